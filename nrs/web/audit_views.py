"""The auditor's viewer at /audit/: the audit log within the auditor's scope, filtered,
paginated newest first, one event in detail, a CSV export (UTF-8 with a byte order mark,
so that Excel on Windows reads the diacritics) and the same table in XLSX, and the chain status.

Scope comes from ``access.AUDIT`` (the audit log's permission policy) only: events of units under the auditor's
VIEW_AUDIT grants, and events tied to no unit only for a grant on the root."""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator
from datetime import datetime, time, timedelta
from itertools import islice
from typing import Any

from django import forms
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Q, QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest, StreamingHttpResponse
from django.shortcuts import get_object_or_404, render
from django.urls import path
from django.utils import timezone
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from nrs.accounts import access
from nrs.audit import chain
from nrs.audit.events import EventType
from nrs.audit.models import Event
from nrs.collection import files
from nrs.lib import csvsafe
from nrs.registry.models import OrgUnit
from nrs.web.dispatch import on_asgi

PAGE_SIZE = 50


class DateInput(forms.DateInput):
    input_type = "date"


class Filters(forms.Form):
    event_type = forms.ChoiceField(label=gettext_lazy("Event"), required=False,
                                   choices=[("", gettext_lazy("All")), *EventType.choices])
    actor = forms.CharField(label=gettext_lazy("Actor (username)"), required=False, max_length=150)
    object_type = forms.CharField(label=gettext_lazy("Object type"), required=False, max_length=60)
    object_id = forms.CharField(label=gettext_lazy("Object id"), required=False, max_length=64)
    unit = forms.CharField(label=gettext_lazy("Org unit code"), required=False, max_length=40)
    date_from = forms.DateField(label=gettext_lazy("From"), required=False, widget=DateInput)
    date_to = forms.DateField(label=gettext_lazy("To"), required=False, widget=DateInput)

    def query(self) -> Q:
        """The filters as one Q (only called on a valid form)."""
        data = self.cleaned_data
        query = Q()
        for name, lookup in (("event_type", "event_type"), ("actor", "actor__username"),
                             ("object_type", "object_type"), ("object_id", "object_id")):
            if data.get(name):
                query &= Q(**{lookup: data[name].strip()})
        if data.get("unit"):
            # A code names a unit in every version; its subtree comes along.
            paths = OrgUnit.objects.filter(code=data["unit"].strip()).values_list("path", flat=True)
            unit_q = Q(pk__in=[])
            for unit_path in paths:
                unit_q |= Q(org_unit__path__startswith=unit_path)
            query &= unit_q
        if data.get("date_from"):
            query &= Q(occurred_at__gte=_day_start(data["date_from"]))
        if data.get("date_to"):
            query &= Q(occurred_at__lt=_day_start(data["date_to"] + timedelta(days=1)))
        return query


def _day_start(day: Any) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


def _visible(request: HttpRequest) -> QuerySet[Event]:
    access.AUDIT.check(request.user, "view")
    return access.AUDIT.instances_user_has_permission_for(request.user, "view")


def _filtered(request: HttpRequest) -> tuple[Filters, QuerySet[Event]]:
    form = Filters(request.GET or None)
    events = _visible(request)
    if form.is_bound:
        events = events.filter(form.query()) if form.is_valid() else events.none()
    return form, events.select_related("actor", "org_unit").order_by("-seq")


def _last(event_type: EventType) -> Event | None:
    """The latest run of a chain check (global facts about the chain, not about any unit)."""
    return Event.objects.filter(event_type=event_type).order_by("-seq").first()


@login_required
def event_list(request: HttpRequest) -> HttpResponse:
    form, events = _filtered(request)
    page = Paginator(events, PAGE_SIZE).get_page(request.GET.get("page"))
    seqs = [event.seq for event in page.object_list]
    return render(request, "web/audit/list.html", {
        "form": form, "page": page, "first": min(seqs, default=0), "last": max(seqs, default=0),
        "verified": _last(EventType.AUDIT_VERIFIED), "anchored": _last(EventType.AUDIT_ANCHORED)})


@login_required
def event_detail(request: HttpRequest, seq: int) -> HttpResponse:
    event = get_object_or_404(_visible(request).select_related("actor", "org_unit"), seq=seq)
    fields = {name: getattr(event, name) for name in chain.HASHED}
    return render(request, "web/audit/detail.html", {
        "e": event, "data": json.dumps(event.data, ensure_ascii=False, indent=2, sort_keys=True),
        "matches": chain.row_hash(fields) == event.hash})


@login_required
@require_POST
def verify_range(request: HttpRequest) -> HttpResponse:
    """htmx: recompute the chain over the seq range of the page shown. The result says only
    whether the range is intact and where it breaks; records nothing (see audit/actions.py)."""
    access.AUDIT.check(request.user, "view")
    try:
        first, last = int(request.POST["first"]), int(request.POST["last"])
    except (KeyError, ValueError):
        return HttpResponseBadRequest("first/last: cần số thứ tự / sequence numbers required")
    if not 1 <= first <= last:
        return HttpResponseBadRequest("first/last: khoảng không hợp lệ / invalid range")
    result = chain.verify(first, last)
    return render(request, "web/audit/_chain.html", {"result": result, "first": first, "last": last})


class _Echo:
    def write(self, value: str) -> str:
        return value


CSV_HEADER = ["seq", "occurred_at", "event_type", "actor", "org_unit", "object_type", "object_id",
              "summary", "data", "action_id", "prev_hash", "hash"]


def _rows(events: QuerySet[Event]) -> Iterator[list[str]]:
    """The export's rows, each cell guarded against formula injection."""
    for e in events.iterator(chunk_size=2000):
        yield [csvsafe.cell(v) for v in (
            e.seq, chain.timestamp(e.occurred_at), e.event_type,
            e.actor.username if e.actor else "", e.org_unit.code if e.org_unit else "",
            e.object_type, e.object_id, e.summary,
            json.dumps(e.data, ensure_ascii=False, sort_keys=True), e.action_id,
            e.prev_hash, e.hash)]


def _csv_rows(events: QuerySet[Event]) -> Iterator[str]:
    writer = csv.writer(_Echo())
    yield files.BOM + writer.writerow(CSV_HEADER)
    for row in _rows(events):
        yield writer.writerow(row)


@on_asgi
@login_required
def export_csv(request: HttpRequest) -> StreamingHttpResponse:
    _form, events = _filtered(request)
    response = StreamingHttpResponse(_csv_rows(events), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="audit-log.csv"'
    return response


# An .xlsx sheet holds at most 1,048,576 rows; a longer selection is cut there (the CSV has all).
XLSX_MAX_ROWS = 1_048_575


@login_required
def export_xlsx(request: HttpRequest) -> HttpResponse:
    """The same selection as the CSV, as a spreadsheet (seq stays a number)."""
    _form, events = _filtered(request)
    rows = ([int(row[0]), *row[1:]] for row in islice(_rows(events), XLSX_MAX_ROWS))
    return files.xlsx_response(_with_header(CSV_HEADER, rows), "audit-log.xlsx", sheet="audit")


def _with_header(header: list[str], rows: Iterator[list[Any]]) -> Iterator[list[Any]]:
    yield header
    yield from rows


app_name = "audit"
urlpatterns = [
    path("", event_list, name="list"),
    path("export.csv", export_csv, name="export"),
    path("export.xlsx", export_xlsx, name="export_xlsx"),
    path("verify/", verify_range, name="verify"),
    path("<int:seq>/", event_detail, name="detail"),
]
