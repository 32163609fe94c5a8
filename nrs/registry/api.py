"""Read-only registry endpoints of the public API (mounted by nrs.web.api)."""


from datetime import date
from typing import Annotated, Any

from django.db.models import Q
from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.translation import gettext_noop as _
from ninja import Field, Path, Query, Router, Schema, Status
from ninja.errors import HttpError
from ninja.pagination import LimitOffsetPagination, paginate
from pydantic import ConfigDict

from nrs.accounts import access
from nrs.i18n import bilingual
from nrs.lib import periods
from nrs.lib.errors import InputError
from nrs.registry.models import Indicator, OrgUnit, Regime

router = Router(tags=["registry"])


class Strict(Schema):
    """A response body with every field declared: an undeclared key is a server error (and
    the OpenAPI says ``additionalProperties: false``), never silently dropped. Operations
    answering with one use ``exclude_unset=True``, so optional fields appear only when set."""

    model_config = ConfigDict(extra="forbid")


class IssueOut(Strict):
    """One validation finding (nrs.collection.validation.Issue)."""

    ref: str
    field: str
    code: str
    severity: str
    message_vi: str
    message_en: str


class ApiError(Strict):
    """Every refusal of the API, in one shape (nrs.lib.errors): ``status`` "error", a stable
    machine-readable ``code`` (nrs.lib.errors.DESCRIPTIONS), where the bad input is (``ref``:
    the parameter, JSON path or source; ``field``; ``line``; ``cell``), and the message in
    Vietnamese and English."""

    status: str = Field(description='always "error"')
    code: str = Field("error", description="machine-readable, stable: see the table of codes")
    message_vi: str
    message_en: str
    ref: str | None = Field(None, description="the parameter, JSON path, source or line at fault")
    field: str | None = None
    line: int | str | None = None
    cell: str | None = None
    issues: list[IssueOut] | list[dict[str, Any]] | None = None
    detail: Any = Field(None, description="a parameter that does not parse: Django Ninja's list")
    retry_after: int | None = Field(None, description="429: seconds to wait (also Retry-After)")
    replayed: bool | None = None  # an Idempotency-Key's stored answer, sent again


class Detail(Strict):
    """Django Ninja's own answer to a parameter or body that does not parse (422); the API now
    answers those as an ApiError that keeps ``detail`` (kept for clients that expect it)."""

    detail: Any


class OrgUnitOut(Schema):
    id: int
    code: str
    name_vi: str
    name_en: str
    kind: str
    level: str
    parent_id: int | None
    valid_from: date
    valid_to: date | None
    latitude: float | None
    longitude: float | None
    area_km2: float | None


class LineageOut(Schema):
    predecessor_id: int
    successor_id: int
    effective: date
    share: float
    kind: str


class IndicatorOut(Schema):
    code: str
    area: int
    name_vi: str
    name_en: str
    unit: str
    value_type: str
    decimals: int
    frequency: str
    level: str
    ou_aggregation: str
    weight: str | None
    time_aggregation: str
    formula: str
    breakdowns: list[str]

    @staticmethod
    def resolve_unit(obj: Indicator) -> str:
        return obj.unit.code

    @staticmethod
    def resolve_weight(obj: Indicator) -> str | None:
        return obj.weight.code if obj.weight_id else None  # type: ignore[union-attr]

    @staticmethod
    def resolve_breakdowns(obj: Indicator) -> list[str]:
        return [b.code for b in obj.breakdowns.all()]


class RegimeOut(Schema):
    code: str
    name_vi: str
    name_en: str
    regime_type: str
    content: str
    frequency: str
    reporter_scope: str
    approval_required: bool
    next_period: str | None
    next_cutoff_end: date | None
    next_deadline: date | None
    indicators: list[str]

    @staticmethod
    def resolve_indicators(obj: Regime) -> list[str]:
        return [i.code for i in obj.indicators.all()]


class PeriodOut(Schema):
    sdmx: str
    dhis2: str | None
    start: date
    end: date
    cutoff_start: date
    cutoff_end: date
    deadline: date


# Text parameters: PostgreSQL can neither store nor compare a NUL character (it was a 500).
Text = Annotated[str, Field(pattern=r"^[^\x00]*$")]
MAX_ID = 2**31 - 1  # ids and numbers beyond what a database column holds are a 422, not a 500


class Page(LimitOffsetPagination):
    """Limit/offset with bounds a database can hold (an offset past 2^63 was a 500)."""

    class Input(Schema):
        limit: int = Field(100, ge=1, le=1000)
        offset: int = Field(0, ge=0, le=1_000_000_000)


def _require_reader(request: HttpRequest) -> None:
    if not access.can_browse_registry(request.user):
        raise HttpError(403, "forbidden")  # answered as an ApiError, code "forbidden" (nrs.web.api)


@router.get("/orgunits", response={200: list[OrgUnitOut], 403: ApiError})
@paginate(Page)
def list_orgunits(request: HttpRequest, level: Text | None = None, on: date | None = None,
                  parent: int | None = Query(None, ge=1, le=MAX_ID),
                  q: Text | None = None):  # type: ignore[no-untyped-def]
    _require_reader(request)
    units = OrgUnit.objects.valid_on(on or timezone.localdate()).order_by("path")
    if level:
        units = units.filter(level=level)
    if parent is not None:
        units = units.filter(parent_id=parent)
    if q:
        units = units.filter(Q(code=q) | Q(name_vi__icontains=q) | Q(name_en__icontains=q))
    return units


@router.get("/orgunits/{unit_id}", response={200: OrgUnitOut, 403: ApiError, 404: ApiError})
def get_orgunit(request: HttpRequest, unit_id: int = Path(..., ge=1, le=MAX_ID)) -> OrgUnit:
    _require_reader(request)
    return get_object_or_404(OrgUnit, pk=unit_id)


@router.get("/orgunits/{unit_id}/lineage",
            response={200: list[LineageOut], 403: ApiError, 404: ApiError})
def get_lineage(request: HttpRequest, unit_id: int = Path(..., ge=1, le=MAX_ID)) -> list[object]:
    _require_reader(request)
    unit = get_object_or_404(OrgUnit, pk=unit_id)
    return [*unit.predecessor_links.all(), *unit.successor_links.all()]


@router.get("/indicators", response={200: list[IndicatorOut], 403: ApiError})
@paginate(Page)
def list_indicators(request: HttpRequest, area: int | None = Query(None, ge=0, le=MAX_ID),
                    q: Text | None = None):  # type: ignore[no-untyped-def]
    _require_reader(request)
    indicators = Indicator.objects.select_related("unit", "weight").prefetch_related(
        "breakdowns").order_by("area", "code")
    if area is not None:
        indicators = indicators.filter(area=area)
    if q:
        indicators = indicators.filter(Q(code__icontains=q) | Q(name_vi__icontains=q)
                                       | Q(name_en__icontains=q))
    return indicators


@router.get("/indicators/{code}", response={200: IndicatorOut, 403: ApiError, 404: ApiError})
def get_indicator(request: HttpRequest, code: Text) -> Indicator:
    _require_reader(request)
    return get_object_or_404(Indicator.objects.select_related("unit", "weight"), code=code)


@router.get("/regimes", response={200: list[RegimeOut], 403: ApiError})
def list_regimes(request: HttpRequest) -> list[Regime]:
    _require_reader(request)
    today = timezone.localdate()
    regimes = list(Regime.objects.prefetch_related("indicators").order_by("code"))
    for regime in regimes:
        sched = regime.next_schedule(today)
        regime.next_period = str(sched.period) if sched else None  # type: ignore[attr-defined]
        regime.next_cutoff_end = sched.cutoff_end if sched else None  # type: ignore[attr-defined]
        regime.next_deadline = sched.deadline if sched else None  # type: ignore[attr-defined]
    return regimes


@router.get("/regimes/{code}/periods/{period_id}",
            response={200: PeriodOut, 400: ApiError, 403: ApiError, 404: ApiError}, exclude_unset=True)
def regime_period(request: HttpRequest, code: Text, period_id: Text) -> Any:
    """The cut-off window and deadline of one period (SDMX or DHIS2 id) under a regime."""
    _require_reader(request)
    regime = get_object_or_404(Regime, code=code)
    try:
        period = periods.parse(period_id)
    except periods.PeriodError as exc:
        vi, en = bilingual(_("invalid period: %(error)s"), error=exc)
        return Status(400, InputError("period_id", vi, en, code="invalid_period").as_dict())
    sched = regime.schedule_for(period)
    try:
        dhis2: str | None = period.dhis2
    except periods.PeriodError:
        dhis2 = None
    return {"sdmx": period.sdmx, "dhis2": dhis2, "start": period.start, "end": period.end,
            "cutoff_start": sched.cutoff_start, "cutoff_end": sched.cutoff_end,
            "deadline": sched.deadline}
