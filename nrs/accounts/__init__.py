"""Users, roles on org units, and access.py: the only scoping path."""
