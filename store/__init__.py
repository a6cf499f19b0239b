"""The service's memory."""
