"""What the collection layer announces to the layers above it (analytics keeps
its aggregates current through these), without importing them.

Both are sent inside the transaction that made the change, so a receiver's
writes commit or roll back with it.
"""

from django.dispatch import Signal

# A workflow step was applied: kwargs submission, action ("submit", "approve",
# "return", "revise").
submission_changed = Signal()

# A bulk import stored whole reports: kwargs indicators (codes), reports (count).
reports_imported = Signal()
