"""The one write path for briefing documents: request, generate (a background
task), archive. Each state change runs in one transaction with its audit event."""

from __future__ import annotations

import hashlib
from datetime import date
from typing import Any

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_noop as _

from nrs.accounts import access
from nrs.accounts.access import Perm
from nrs.audit.events import EventType
from nrs.audit.log import record
from nrs.i18n import bilingual
from nrs.lib import periods, signatures
from nrs.lib.errors import InputError
from nrs.registry.models import OrgUnit
from nrs.reports import charts, content, render, signing
from nrs.reports.models import Briefing, Kind, Status

SYMBOL = "BC-VPCP"


class BriefingError(InputError):
    """A request that cannot be made: the project's bilingual input error, naming the field."""


def _root() -> OrgUnit:
    return OrgUnit.objects.current().get(parent__isnull=True)


def _next_number(year: int) -> str:
    """The next document number of the year: 1/BC-VPCP, 2/BC-VPCP, …"""
    count = Briefing.objects.select_for_update().filter(issued_on__year=year).count()
    return f"{count + 1}/{SYMBOL}"


def request_briefing(kind: str, period: str, *, actor: Any, language: str = "vi", sign: bool = True,
                     today: date | None = None) -> Briefing:
    """Queue a document for generation (the worker runs generate_briefing)."""
    access.require(actor, Perm.BRIEFINGS, _root())
    if kind not in Kind.values:
        raise BriefingError("kind", *bilingual(_("unknown document kind: %(kind)s"), kind=kind))
    try:
        parsed = periods.parse(period)
    except periods.PeriodError as exc:
        raise BriefingError("period", *bilingual(_("invalid period: %(error)s"), error=exc)) from None
    if parsed.kind not in (periods.Kind.MONTH, periods.Kind.QUARTER, periods.Kind.YEAR):
        raise BriefingError("period", *bilingual(_("only monthly, quarterly or annual reports")))
    issued = today or timezone.localdate()
    with transaction.atomic():
        briefing = Briefing.objects.create(kind=kind, period=parsed.sdmx, language="en" if language == "en" else "vi",
                                           number=_next_number(issued.year), issued_on=issued, sign=sign,
                                           requested_by=actor if getattr(actor, "pk", None) else None)
        record(EventType.BRIEFING_REQUESTED, actor=actor, obj=briefing, summary=str(briefing),
               data={"kind": kind, "period": parsed.sdmx, "language": briefing.language})
        transaction.on_commit(lambda: _enqueue(briefing.pk))
    return briefing


def _enqueue(pk: int) -> None:
    from nrs.reports.tasks import generate_briefing

    generate_briefing(pk)


def _progress(briefing: Briefing, percent: int, status: str = Status.RUNNING) -> None:
    """Progress is shown while the worker runs: saved at once, outside the final transaction."""
    Briefing.objects.filter(pk=briefing.pk).update(progress=percent, status=status)


def generate_briefing(pk: int, *, today: date | None = None) -> Briefing:
    """Build the content, the charts, the DOCX and the PDF; sign the PDF; store both."""
    briefing = Briefing.objects.get(pk=pk)
    if briefing.is_finished:
        return briefing
    try:
        files = _build(briefing, today or timezone.localdate())
    except Exception as exc:  # the failure is recorded and shown; the worker stays up
        _fail(briefing, exc)
        raise
    return _finish(briefing, *files)


def _build(briefing: Briefing, today: date) -> tuple[bytes, bytes, str]:
    brief = briefing.kind == Kind.BRIEF
    _progress(briefing, 10)
    found = content.build(periods.parse_sdmx(briefing.period), language=briefing.language, today=today)
    _progress(briefing, 40)
    pictures = {} if brief else {s.area: png for s in found.sections if (png := charts.change_chart(s))}
    _progress(briefing, 60)
    identity = signing.identity() if briefing.sign else None
    head = render.heading(found, number=briefing.number, issued_on=briefing.issued_on, brief=brief,
                          signer_name=signer_name(briefing, identity), signed=identity is not None)
    docx = b"" if brief else render.to_docx(found, head, pictures)
    _progress(briefing, 75)
    pdf = render.to_pdf(found, head, pictures, brief=brief)
    _progress(briefing, 90)
    signer = ""
    if identity is not None:
        pdf = signatures.sign_pdf(pdf, identity.identity, reason=head.subtitle, location="Hà Nội")
        signer = identity.name
    return pdf, docx, signer


def signer_name(briefing: Briefing, identity: signing.Signer | None) -> str:
    """The full name printed under the signature: the deployment's signing official
    (NRS_BRIEFING_SIGNER_NAME), else the requesting user's full name, else the signing
    certificate's name; "" leaves the line empty."""
    configured = str(getattr(settings, "NRS_BRIEFING_SIGNER_NAME", "") or "")
    user = briefing.requested_by
    return configured or (user.full_name if user is not None else "") or (identity.name if identity else "")


@transaction.atomic
def _finish(briefing: Briefing, pdf: bytes, docx: bytes, signer: str) -> Briefing:
    stem = f"{briefing.kind}-{briefing.period}-{briefing.pk}"
    briefing.pdf.save(f"{stem}.pdf", ContentFile(pdf), save=False)
    if docx:
        briefing.docx.save(f"{stem}.docx", ContentFile(docx), save=False)
    briefing.pdf_sha256 = hashlib.sha256(pdf).hexdigest()
    briefing.signed_by, briefing.status, briefing.progress = signer, Status.DONE, 100
    briefing.finished_at = timezone.now()
    briefing.save()
    record(EventType.BRIEFING_GENERATED, actor=briefing.requested_by, obj=briefing, summary=str(briefing),
           data={"sha256": briefing.pdf_sha256, "signed_by": signer, "bytes": len(pdf)})
    return briefing


@transaction.atomic
def _fail(briefing: Briefing, exc: Exception) -> None:
    message = str(exc)[:500] or type(exc).__name__
    Briefing.objects.filter(pk=briefing.pk).update(status=Status.FAILED, message=message, finished_at=timezone.now())
    record(EventType.BRIEFING_FAILED, actor=briefing.requested_by, obj=briefing, summary=str(briefing),
           data={"error": message})


@transaction.atomic
def archive_briefing(briefing: Briefing, *, actor: Any) -> Briefing:
    access.require(actor, Perm.BRIEFINGS, _root())
    briefing.archived = True
    briefing.save(update_fields=["archived"])
    record(EventType.BRIEFING_ARCHIVED, actor=actor, obj=briefing, summary=str(briefing))
    return briefing
