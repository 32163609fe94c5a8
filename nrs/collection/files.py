"""A report's attached text documents in the browser (issue 20, part 4): viewed inline by
everyone who may see the report, and removed before submission through the one write path
(nrs.collection.actions.remove_document; replacing is attaching anew, actions.attach_document).

Viewing is made safe by serving only what the upload check proved (a parsed PDF, a DOCX),
under a fixed Content-Type taken from that check, never from the file name or the browser,
with ``X-Content-Type-Options: nosniff`` and a Content-Security-Policy that forbids every
fetch, script and form and sandboxes the document in an opaque origin: a hostile file cannot
become an HTML page of this site or reach the user's session. Who may see it is asked of the
one access module (access.SUBMISSIONS, "view": the unit's unapproved data).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from typing import Any
from urllib.parse import quote

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST
from openpyxl import Workbook

from nrs.accounts import access
from nrs.collection import actions, documents
from nrs.collection.models import Document, Submission
from nrs.collection.workflow import WorkflowError
from nrs.lib import csvsafe, periods

CONTENT_TYPES = {"pdf": "application/pdf",
                 "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document"}
# No script, no fetch, no form, no framing by other pages; "sandbox" gives the document an
# opaque origin. Inline styles only, for the browser's own PDF viewer page.
INLINE_POLICY = ("default-src 'none'; style-src 'unsafe-inline'; img-src data:; object-src 'self'; "
                 "base-uri 'none'; form-action 'none'; frame-ancestors 'self'; sandbox")


def _kept() -> QuerySet[Document]:
    """Text reports not removed."""
    return Document.objects.exclude(meta__has_key=documents.REMOVED)


def newest_document(submission: Submission) -> Document | None:
    """The text report that counts: the newest not removed, of the newest version that has one."""
    return _kept().filter(version__submission=submission).order_by("-version__number", "-id").first()


def with_documents(submissions: Iterable[Submission]) -> set[int]:
    """For lists of reports (the inbox): the ids of those with a text report not removed, in one
    query; each links to its current one through collection:current_document."""
    ids = [s.pk for s in submissions]
    if not ids:
        return set()
    return set(_kept().filter(version__submission__in=ids).values_list("version__submission_id", flat=True))


def _document(document_id: int) -> Document:
    """The attached document a URL names, with its report (404 when unknown)."""
    return get_object_or_404(
        Document.objects.select_related("version__submission__org_unit", "version__submission__regime"),
        pk=document_id)


def _may_view(request: HttpRequest, submission: Submission) -> None:
    if not access.SUBMISSIONS.user_has_permission_for_instance(request.user, "view", submission):
        raise PermissionDenied


def _form_url(submission: Submission) -> str:
    return reverse("collection:report_form",
                   args=[submission.regime.code, submission.org_unit.code, submission.period])


def disposition(kind: str, filename: str) -> str:
    """RFC 6266/5987: the UTF-8 name percent-encoded (Vietnamese names survive); a PDF opens
    in the browser, a DOCX (which no browser shows) is saved."""
    name = quote(filename.replace("\r", "").replace("\n", ""), safe="")
    return f"{'inline' if kind == 'pdf' else 'attachment'}; filename*=UTF-8''{name}"


@login_required
@require_GET
def document_file(request: HttpRequest, document_id: int) -> FileResponse:
    """One attached document, for whoever may see its report (404 unknown, 403 out of scope)."""
    document = _document(document_id)
    _may_view(request, document.version.submission)
    if document.kind not in CONTENT_TYPES:
        raise Http404
    response = FileResponse(document.file.open("rb"), content_type=CONTENT_TYPES[document.kind])
    response["Content-Disposition"] = disposition(document.kind, document.filename)
    response["Content-Length"] = str(document.size)
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = INLINE_POLICY
    response["Cache-Control"] = "private, no-cache"
    response["Cross-Origin-Resource-Policy"] = "same-origin"
    return response


@login_required
@require_GET
def current_document(request: HttpRequest, regime_code: str, unit_code: str, period_id: str
                     ) -> HttpResponseRedirect:
    """The report's text document that counts (for lists: the inbox, compliance)."""
    try:
        period = periods.parse(period_id).sdmx
    except periods.PeriodError:
        raise Http404 from None
    submission = get_object_or_404(Submission.objects.select_related("org_unit", "regime"),
                                   regime__code=regime_code, org_unit__code=unit_code, period=period)
    _may_view(request, submission)
    found = newest_document(submission)
    if found is None:
        raise Http404
    return redirect("collection:document_file", document_id=found.pk)


@login_required
@require_POST
def remove_document(request: HttpRequest, document_id: int) -> HttpResponse:
    """Remove the attached document before submission; back to the report form with the outcome."""
    document = _document(document_id)
    submission = document.version.submission
    _may_view(request, submission)
    try:
        actions.remove_document(document, actor=request.user)
    except WorkflowError as exc:
        messages.error(request, f"{exc.vi} / {exc.en}")
    else:
        messages.success(request, _("The text report %(name)s was removed.") % {"name": document.filename})
    return HttpResponseRedirect(_form_url(submission), status=303)


# -- spreadsheet downloads beside the CSV ------------------------------------------------------

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
# CSV downloads start with a UTF-8 byte order mark, so that Excel on Windows reads the
# Vietnamese diacritics as UTF-8 (without it, it guesses the ANSI code page).
BOM = "\ufeff"


def xlsx_response(rows: Iterable[Sequence[Any]], filename: str, *, sheet: str = "NRS") -> HttpResponse:
    """Rows (the first one the header) as a one-sheet .xlsx download. Text goes through
    csvsafe (never a formula); numbers stay numbers. Streams rows into a write-only workbook."""
    book = Workbook(write_only=True)
    ws = book.create_sheet(sheet)
    for row in rows:
        ws.append([csvsafe.cell(v) if isinstance(v, str) else v for v in row])
    response = HttpResponse(content_type=XLSX)
    response["Content-Disposition"] = f"attachment; filename=\"{filename}\""
    book.save(response)
    return response


def xlsx_from_csv(text: str, filename: str) -> HttpResponse:
    """A CSV download's text (its cells already guarded by csvsafe) as the same table in .xlsx."""
    return xlsx_response(csv.reader(io.StringIO(text.removeprefix(BOM))), filename)
