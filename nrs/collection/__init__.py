"""Submissions, their versions and transitions, data values (every vintage kept),
validation.py (the one validation module) and actions.py (the one write path)."""
