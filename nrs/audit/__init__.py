"""Append-only audit log. Every action records its event here, in its own transaction."""
