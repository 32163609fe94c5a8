"""Query parameters of the packets, parsed into registry objects. Every refusal is an
InputError naming the parameter, in Vietnamese and English (the API answers 400)."""

from __future__ import annotations

from datetime import date

from django.utils import timezone
from django.utils.translation import gettext_noop as _

from nrs.collection.models import Submission
from nrs.i18n import bilingual
from nrs.lib import periods
from nrs.lib.errors import InputError
from nrs.registry.models import Indicator, OrgUnit, Regime

MAX_CODES = 500  # codes in one comma-separated parameter


def required(value: str, ref: str) -> str:
    value = value.strip()
    if not value:
        raise InputError(ref, *bilingual(_("the parameter '%(ref)s' is required"),
                                         ref=ref))
    return value


def regime(code: str, ref: str = "regime") -> Regime:
    code = required(code, ref)
    found = Regime.objects.filter(code=code).first()
    if found is None:
        raise InputError(ref, *bilingual(_("unknown regime '%(code)s'"), code=code))
    return found


def period(text: str, ref: str = "period") -> periods.Period:
    text = required(text, ref)
    try:
        return periods.parse(text)
    except periods.PeriodError as exc:
        raise InputError(ref, *bilingual(_("invalid period: %(error)s"), error=exc)) from None


def optional_period(text: str, ref: str) -> periods.Period | None:
    return period(text, ref) if text.strip() else None


def unit(code: str, ref: str = "orgUnit", on: date | None = None) -> OrgUnit:
    """The version of the unit in force on ``on`` (a period's last day), else its newest:
    a code names different units before and after the 2025 reorganisation."""
    code = required(code, ref)
    versions = list(OrgUnit.objects.filter(code=code).order_by("-valid_from"))
    found = next((u for u in versions if on is not None and u.is_valid_on(on)), None)
    found = found or (versions[0] if versions else None)
    if found is None:
        raise InputError(ref, *bilingual(_("unknown org unit '%(code)s'"), code=code))
    return found


def flag(text: str, ref: str, default: bool) -> bool:
    value = text.strip().lower()
    if not value:
        return default
    if value in ("true", "1"):
        return True
    if value in ("false", "0"):
        return False
    raise InputError(ref, *bilingual(_("'%(ref)s' must be true or false"), ref=ref))


def day(text: str, ref: str) -> date:
    """An ISO date, today when empty."""
    if not text.strip():
        return timezone.localdate()
    try:
        found = date.fromisoformat(text.strip())
    except ValueError:
        found = None
    # A year inside the period range, with a year to spare on each side for navigation.
    if found is None or not periods.MIN_YEAR < found.year < periods.MAX_YEAR:
        raise InputError(ref, *bilingual(_("'%(ref)s' must be a date as YYYY-MM-DD, in "
                                           "%(first)s-%(last)s"),
                                         ref=ref, first=periods.MIN_YEAR + 1, last=periods.MAX_YEAR - 1))
    return found


def year(text: str, ref: str = "year") -> int:
    """A calendar year, this year when empty."""
    if not text.strip():
        return timezone.localdate().year
    value = text.strip()
    if not (value.isascii() and value.isdigit()) or not periods.MIN_YEAR <= int(value) <= periods.MAX_YEAR:
        raise InputError(ref, *bilingual(_("'%(ref)s' must be a year from %(min_year)s to "
                                           "%(max_year)s"),
                                         ref=ref, min_year=periods.MIN_YEAR, max_year=periods.MAX_YEAR))
    return int(value)


def codes(text: str, ref: str) -> list[str]:
    found = [c.strip() for c in text.split(",") if c.strip()]
    if len(found) > MAX_CODES:
        raise InputError(ref, *bilingual(_("'%(ref)s' names more than %(max_codes)s codes"),
                                         ref=ref, max_codes=MAX_CODES))
    return found


def indicators(text: str, ref: str = "indicator") -> list[Indicator]:
    wanted = codes(text, ref)
    found = {i.code: i for i in Indicator.objects.filter(code__in=wanted)}
    unknown = [c for c in wanted if c not in found]
    if unknown:
        raise InputError(ref, *bilingual(_("unknown indicator: %(codes)s"),
                                         codes=', '.join(unknown[:5])))
    return [found[c] for c in wanted]


def area(text: str, ref: str = "area") -> int | None:
    from nrs.registry.models import Area

    if not text.strip():
        return None
    value = text.strip()
    if not (value.isascii() and value.isdigit()) or int(value) not in Area.values:
        raise InputError(ref, *bilingual(_("'area' must be an area code from 1 to 9")))
    return int(value)


def submission(regime_code: str, unit_code: str, period_id: str) -> tuple[Regime, OrgUnit, periods.Period,
                                                                            Submission | None]:
    """A report's three coordinates, checked in the order a caller reads them."""
    found_regime = regime(regime_code)
    found_period = period(period_id)
    found_unit = unit(unit_code, on=found_period.end)
    found = (Submission.objects.select_related("regime", "org_unit")
             .filter(regime=found_regime, org_unit=found_unit, period=found_period.sdmx).first())
    return found_regime, found_unit, found_period, found
