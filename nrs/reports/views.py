"""Briefing documents in the web UI: request one, watch it being generated,
download it (PDF, DOCX, e-document package), see its signature, archive it."""

from __future__ import annotations

import uuid
from typing import Any

from django import forms
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone, translation
from django.utils.translation import get_language, gettext_lazy
from django.views.decorators.http import require_POST

from nrs.accounts import access
from nrs.accounts.access import Perm
from nrs.collection.documents import trust_roots
from nrs.lib import edoc, periods, signatures
from nrs.registry.models import OrgUnit
from nrs.reports import actions
from nrs.reports.models import Briefing, Kind, Status


def _period_choices() -> list[tuple[str, str]]:
    """The last 12 months, 4 quarters and 2 years, newest first."""
    today = timezone.localdate()
    month = periods.Period.containing(periods.Kind.MONTH, today)
    quarter = periods.Period.containing(periods.Kind.QUARTER, today)
    found = [month.shift(-i) for i in range(1, 13)] + [quarter.shift(-i) for i in range(1, 5)]
    found += [periods.Period.annual(today.year - i) for i in (1, 2)]
    return [(p.sdmx, periods.label(p, get_language())) for p in found]  # "Tháng 10/2026", sent as "2026-10"


class RequestForm(forms.Form):
    kind = forms.ChoiceField(label=gettext_lazy("Document"), choices=Kind.choices)
    period = forms.ChoiceField(label=gettext_lazy("Period"), choices=_period_choices)
    language = forms.ChoiceField(label=gettext_lazy("Language"),
                                 choices=[("vi", "Tiếng Việt"), ("en", "English")])
    sign = forms.BooleanField(label=gettext_lazy("Sign digitally"), required=False, initial=True)


def _allowed(request: HttpRequest) -> OrgUnit:
    root = OrgUnit.objects.current().get(parent__isnull=True)
    access.require(request.user, Perm.BRIEFINGS, root)
    return root


@login_required
def briefings(request: HttpRequest) -> HttpResponse:
    _allowed(request)
    form = RequestForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            briefing = actions.request_briefing(form.cleaned_data["kind"], form.cleaned_data["period"],
                                                actor=request.user, language=form.cleaned_data["language"],
                                                sign=form.cleaned_data["sign"])
        except actions.BriefingError as exc:
            form.add_error(None, f"{exc.vi} / {exc.en}")
        else:
            return redirect("reports:detail", pk=briefing.pk)
    archived = request.GET.get("archived") == "1"
    rows = Briefing.objects.filter(archived=archived).select_related("requested_by")[:200]
    return render(request, "reports/list.html", {"form": form, "rows": rows, "archived": archived})


def _signature(briefing: Briefing) -> list[signatures.SignatureInfo]:
    if not briefing.pdf:
        return []
    with briefing.pdf.open("rb") as handle:
        return signatures.verify_pdf(handle.read(), trust_roots())


@login_required
def detail(request: HttpRequest, pk: int) -> HttpResponse:
    _allowed(request)
    briefing = get_object_or_404(Briefing, pk=pk)
    context: dict[str, Any] = {"b": briefing}
    if briefing.status == Status.DONE:
        context["signatures"] = _signature(briefing)
    template = "reports/_status.html" if request.htmx else "reports/detail.html"  # type: ignore[attr-defined]
    return render(request, template, context)


@login_required
def download(request: HttpRequest, pk: int, fmt: str) -> HttpResponse:
    _allowed(request)
    briefing = get_object_or_404(Briefing, pk=pk, status=Status.DONE)
    stem = f"nrs-{briefing.kind}-{briefing.period}-{briefing.number.split('/')[0]}"
    if fmt == "pdf":
        return _file(briefing.pdf.read(), "application/pdf", f"{stem}.pdf")
    if fmt == "docx" and briefing.docx:
        return _file(briefing.docx.read(), "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
                     f"{stem}.docx")
    if fmt == "edoc":
        return _file(edoc.build(package(briefing)), edoc.FORMATS["nrs-edoc-1"].media_type, f"{stem}.edoc.zip")
    raise Http404(fmt)


def _file(data: bytes, media_type: str, filename: str) -> HttpResponse:
    response = HttpResponse(data, content_type=media_type)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def package(briefing: Briefing) -> edoc.Package:
    """The briefing as a package for the national e-document exchange platform."""
    with briefing.pdf.open("rb") as handle:
        pdf = handle.read()
    with translation.override(briefing.language):  # the document's language, not the sender's page
        subject = f"{briefing.get_kind_display()} {periods.label(briefing.period, briefing.language, style='document')}"
    number, _slash, symbol = briefing.number.partition("/")
    meta = edoc.DocumentMeta(number=number, symbol=symbol, issued_on=briefing.issued_on, doc_type="Báo cáo",
                             urgency="thuong", subject=subject, signer=briefing.signed_by, place="Hà Nội")
    return edoc.Package(
        package_id=str(uuid.uuid5(uuid.NAMESPACE_URL, f"nrs:briefing:{briefing.pk}:{briefing.pdf_sha256}")),
        created_at=briefing.finished_at or timezone.now(),
        sender=edoc.Agency("VPCP", "Văn phòng Chính phủ"), receivers=(edoc.Agency("CP", "Chính phủ"),),
        meta=meta, attachments=(edoc.Attachment(f"{briefing.kind}-{briefing.period}.pdf", "application/pdf", pdf),),
        signed=bool(briefing.signed_by))


@login_required
@require_POST
def archive(request: HttpRequest, pk: int) -> HttpResponse:
    _allowed(request)
    actions.archive_briefing(get_object_or_404(Briefing, pk=pk), actor=request.user)
    return redirect("reports:list")

