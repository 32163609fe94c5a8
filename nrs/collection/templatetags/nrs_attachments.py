"""The report form's list of text documents, each marked current, replaced or removed."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django import template

from nrs.collection import documents

register = template.Library()


@register.filter
def attachment_rows(docs: Iterable[Any], submission: Any) -> list[dict[str, Any]]:
    """Newest first. The current one is the newest not removed of the version in progress;
    the others of that version were replaced by it; older versions' keep their own."""
    rows, seen_versions = [], set()
    for doc in docs:
        removed = documents.is_removed(doc.meta)
        number = doc.version.number
        current = not removed and number not in seen_versions
        if current:
            seen_versions.add(number)
        rows.append({"doc": doc, "removed": removed, "current": current,
                     "replaced": not removed and not current,
                     "in_progress": submission is not None and number == submission.version})
    return rows


@register.simple_tag
def with_text_reports(rows: Iterable[Any]) -> set[int]:
    """For lists of reports (the inbox; rows with a ``submission``): the ids of the reports that
    have a text report to open, in one query rather than one per row."""
    from nrs.collection.files import with_documents  # the view module, loaded on first use

    return with_documents(row.submission for row in rows)
