"""Delivery: which emails are due, rendering them, the transports and the send ledger."""
