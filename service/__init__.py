"""Orchestration of the service's commands: one library function per CLI command."""
