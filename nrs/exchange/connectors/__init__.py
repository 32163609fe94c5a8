"""Scheduled pull connectors (one folder per kind) and outgoing webhooks."""
