"""The registry: org units (versioned, with lineage), the indicator catalogue,
report regimes and annual targets.

Rows here change only through nrs.registry.actions and the loader in
nrs.registry.loader, which both write their audit events.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import models, transaction
from django.db.models import Q, Value
from django.db.models.functions import Concat, Substr
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from nrs.lib import periods

# Units whose start predates NRS's records (all pre-2025 units) start here.
ORIGIN = date(1900, 1, 1)
REORGANISATION_2025 = date(2025, 7, 1)
MINISTRIES_2025 = date(2025, 3, 1)


class BilingualName(models.Model):
    name_vi = models.CharField(_("name (Vietnamese)"), max_length=300)
    name_en = models.CharField(_("name (English)"), max_length=300)

    class Meta:
        abstract = True

    def __str__(self) -> str:
        return self.name

    @property
    def name(self) -> str:
        """The name in the active language (Vietnamese unless English is chosen)."""
        return self.name_en if (get_language() or "vi").startswith("en") else self.name_vi


# -- org units ------------------------------------------------------------------

class OrgUnitKind(models.TextChoices):
    GOVERNMENT = "government", _("Government")
    MINISTRY = "ministry", _("Ministry")
    MINISTERIAL_AGENCY = "ministerial_agency", _("Ministerial-level agency")
    GOVERNMENT_AGENCY = "government_agency", _("Government agency")
    PROVINCE = "province", _("Province")
    CITY = "city", _("Centrally-run city")
    DISTRICT = "district", _("District (before 2025)")
    COMMUNE = "commune", _("Commune")
    WARD = "ward", _("Ward")
    TOWNSHIP = "township", _("Township (before 2025)")
    SPECIAL_ZONE = "special_zone", _("Special zone")


class Level(models.TextChoices):
    """Where a unit sits for reporting and aggregation."""

    NATIONAL = "national", _("National")
    AGENCY = "agency", _("Central agency")
    PROVINCE = "province", _("Province")
    DISTRICT = "district", _("District")
    COMMUNE = "commune", _("Commune")


LEVEL_OF_KIND = {
    OrgUnitKind.GOVERNMENT: Level.NATIONAL,
    OrgUnitKind.MINISTRY: Level.AGENCY,
    OrgUnitKind.MINISTERIAL_AGENCY: Level.AGENCY,
    OrgUnitKind.GOVERNMENT_AGENCY: Level.AGENCY,
    OrgUnitKind.PROVINCE: Level.PROVINCE,
    OrgUnitKind.CITY: Level.PROVINCE,
    OrgUnitKind.DISTRICT: Level.DISTRICT,
    OrgUnitKind.COMMUNE: Level.COMMUNE,
    OrgUnitKind.WARD: Level.COMMUNE,
    OrgUnitKind.TOWNSHIP: Level.COMMUNE,
    OrgUnitKind.SPECIAL_ZONE: Level.COMMUNE,
}


class OrgUnitQuerySet(models.QuerySet["OrgUnit"]):
    def valid_on(self, day: date) -> OrgUnitQuerySet:
        """Units that exist on ``day``."""
        return self.filter(Q(valid_to__isnull=True) | Q(valid_to__gte=day), valid_from__lte=day)

    def current(self) -> OrgUnitQuerySet:
        return self.filter(valid_to__isnull=True)

    def subtree(self, unit: OrgUnit) -> OrgUnitQuerySet:
        """``unit`` and everything below it, at any date."""
        return self.filter(path__startswith=unit.path)


# The path a new unit holds between its insert and the update that writes its own id into
# its path (inside one transaction, so nobody sees it). It is never a prefix of a real
# path ("/<digits>/..."), so it matches nothing.
PENDING_PATH = "/pending/"
# access.py's cache of a unit's predecessors' paths (a moved subtree makes them stale).
PREDECESSOR_PATHS_KEY = "nrs:predecessor-paths:{}"


class OrgUnit(BilingualName):
    """One version of an administrative or reporting unit.

    A unit that changes territory or is merged ends (``valid_to``) and its
    successors begin; ``Lineage`` rows link them. ``code`` is the statistics
    office's code for provinces, districts and communes, and an NRS code for
    central agencies. ``(code, valid_from)`` is unique: the new Ninh Bình
    (37, from 2025-07-01) is not the old Ninh Bình (37, until 2025-06-30).
    """

    # Codes name units in URLs, SDMX keys and files: letters, digits, '.', '_' and '-' only.
    code = models.CharField(_("code"), max_length=20, validators=[RegexValidator(
        r"^[A-Za-z0-9][A-Za-z0-9._-]*$", _("Letters, digits, '.', '_' and '-' only."))])
    kind = models.CharField(_("kind"), max_length=24, choices=OrgUnitKind.choices)
    level = models.CharField(_("level"), max_length=12, choices=Level.choices)
    parent = models.ForeignKey("self", verbose_name=_("parent"), null=True, blank=True,
                               on_delete=models.PROTECT, related_name="children")
    # Materialised path of primary keys, "/1/25/3021/": a subtree is a prefix.
    path = models.CharField(_("path"), max_length=200, blank=True)
    valid_from = models.DateField(_("valid from"), default=ORIGIN)
    valid_to = models.DateField(_("valid to"), null=True, blank=True)
    latitude = models.FloatField(_("latitude"), null=True, blank=True)
    longitude = models.FloatField(_("longitude"), null=True, blank=True)
    area_km2 = models.FloatField(_("area (km²)"), null=True, blank=True)
    short_name = models.CharField(_("short name"), max_length=120, blank=True)

    objects = OrgUnitQuerySet.as_manager()

    class Meta:
        verbose_name = _("org unit")
        verbose_name_plural = _("org units")
        ordering = ["path"]
        constraints = [
            models.UniqueConstraint(fields=["code", "valid_from"], name="orgunit_code_from_uniq"),
            models.CheckConstraint(condition=Q(valid_to__isnull=True) | Q(valid_to__gte=models.F("valid_from")),
                                   name="orgunit_valid_range"),
            # An empty path would be a prefix of every path: never stored (issue 18, finding 1).
            models.CheckConstraint(condition=Q(path__startswith="/") & Q(path__endswith="/")
                                   & ~Q(path="/"), name="orgunit_path_set"),
        ]
        indexes = [
            # Subtree queries: path LIKE '/1/25/%' (varchar_pattern_ops on PostgreSQL).
            models.Index(fields=["path"], name="orgunit_path_idx",
                         opclasses=["varchar_pattern_ops"]),
            # Lists of one level on a date: "the 34 provinces on 2026-01-01".
            models.Index(fields=["level", "valid_from", "valid_to"], name="orgunit_level_valid_idx"),
            # Lookup by code (every import names units by code).
            models.Index(fields=["code"], name="orgunit_code_idx"),
        ]

    def save(self, *args: Any, **kwargs: Any) -> None:
        """Whatever the entry (admin, actions, a bare create; the loader's bulk writes set
        them the same way): save with ``level`` from the kind and ``path`` from the parent's path; when the
        path changes (a new parent), every descendant is re-pathed in the same transaction."""
        self.level = LEVEL_OF_KIND[OrgUnitKind(self.kind)].value
        if kwargs.get("update_fields") is not None:
            kwargs["update_fields"] = {*kwargs["update_fields"], "path", "level"}
        with transaction.atomic(using=kwargs.get("using")):
            parent_path = self.parent_path()
            if self.pk is None:
                self.path = PENDING_PATH
                super().save(*args, **kwargs)
                self.path = f"{parent_path}{self.pk}/"
                OrgUnit.objects.filter(pk=self.pk).update(path=self.path)
                return
            old = OrgUnit.objects.filter(pk=self.pk).values_list("path", flat=True).first()
            self.path = f"{parent_path}{self.pk}/"
            if old and old != self.path and parent_path.startswith(old):
                raise ValidationError({"parent": _("A unit cannot be placed under itself or "
                                                   "one of its own subunits.")})
            super().save(*args, **kwargs)
            if old and old != self.path:
                repath_subtree(old, self.path)

    def parent_path(self) -> str:
        """The stored path of the parent ("/" for a root), read from the database: an
        in-memory parent may be stale."""
        if self.parent_id is None:
            return "/"
        return str(OrgUnit.objects.values_list("path", flat=True).get(pk=self.parent_id))

    def clean(self) -> None:
        super().clean()
        if self.pk is not None and self.parent_id is not None:
            own = OrgUnit.objects.filter(pk=self.pk).values_list("path", flat=True).first()
            if own and self.parent_path().startswith(own):
                raise ValidationError({"parent": _("A unit cannot be placed under itself or "
                                                   "one of its own subunits.")})

    def is_valid_on(self, day: date) -> bool:
        return self.valid_from <= day and (self.valid_to is None or day <= self.valid_to)

    @property
    def is_current(self) -> bool:
        return self.valid_to is None

    @property
    def depth(self) -> int:
        return self.path.count("/") - 1

    def ancestor_ids(self) -> list[int]:
        return [int(part) for part in self.path.strip("/").split("/") if part]


def repath_subtree(old: str, new: str) -> int:
    """Move every path under ``old`` to the same place under ``new`` (one UPDATE, in the
    caller's transaction); forget the cached predecessor paths that named them. Levels
    follow the kind and do not change. Returns how many descendants moved."""
    moved = OrgUnit.objects.filter(path__startswith=old).exclude(path=old)
    under = list(OrgUnit.objects.filter(path__startswith=old).values_list("pk", flat=True))
    count = moved.update(path=Concat(Value(new), Substr("path", len(old) + 1),
                                     output_field=models.CharField()))
    forget_predecessor_paths(under)
    return count


def forget_predecessor_paths(units: list[int]) -> None:
    """After ``units`` moved or their lineage changed: drop (on commit) access.py's cached
    predecessor paths of every unit that succeeded them, directly or through others."""
    seen: set[int] = set()
    frontier = set(units)
    while frontier:
        frontier = set(Lineage.objects.filter(predecessor_id__in=frontier)
                       .values_list("successor_id", flat=True)) - seen
        seen |= frontier
    keys = [PREDECESSOR_PATHS_KEY.format(pk) for pk in sorted(seen | set(units))]
    transaction.on_commit(lambda: cache.delete_many(keys))


class LineageKind(models.TextChoices):
    MERGE = "merge", _("Merged into")
    SPLIT = "split", _("Split into")
    RENAME = "rename", _("Renamed / re-coded")
    TRANSFER = "transfer", _("Functions transferred")


class Lineage(models.Model):
    """``predecessor`` became (part of) ``successor`` on ``effective``.

    ``share`` is the part of the predecessor that went to this successor: 1.0
    for a plain merge, a weight when the predecessor was split.
    """

    predecessor = models.ForeignKey(OrgUnit, verbose_name=_("predecessor"),
                                    on_delete=models.PROTECT, related_name="successor_links")
    successor = models.ForeignKey(OrgUnit, verbose_name=_("successor"),
                                  on_delete=models.PROTECT, related_name="predecessor_links")
    effective = models.DateField(_("effective date"))
    share = models.DecimalField(_("share"), max_digits=7, decimal_places=6, default=1)
    kind = models.CharField(_("kind"), max_length=12, choices=LineageKind.choices,
                            default=LineageKind.MERGE)
    note = models.CharField(_("note"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("lineage link")
        verbose_name_plural = _("lineage links")
        constraints = [
            models.UniqueConstraint(fields=["predecessor", "successor"], name="lineage_pair_uniq"),
            models.CheckConstraint(condition=Q(share__gt=0) & Q(share__lte=1), name="lineage_share_range"),
        ]

    def __str__(self) -> str:
        return f"{self.predecessor} → {self.successor} ({self.share})"


# -- indicator catalogue ------------------------------------------------------------

class Area(models.IntegerChoices):
    ECONOMIC_GROWTH = 1, _("Economic growth")
    PUBLIC_FINANCE = 2, _("Public finance")
    MACRO_STABILITY = 3, _("Macroeconomic stability")
    BUSINESS_ENVIRONMENT = 4, _("Business environment")
    LABOUR = 5, _("Labour and employment")
    SOCIAL = 6, _("Social issues")
    ENVIRONMENT = 7, _("Environment")
    PUBLIC_ADMINISTRATION = 8, _("Public administration serving citizens")
    INFRASTRUCTURE_SCIENCE = 9, _("Infrastructure, science and technology")


class MeasureUnit(BilingualName):
    code = models.CharField(_("code"), max_length=32, unique=True)

    class Meta:
        verbose_name = _("measurement unit")
        verbose_name_plural = _("measurement units")
        ordering = ["code"]


class Codelist(BilingualName):
    """A breakdown (phân tổ) such as sex or urban/rural."""

    code = models.CharField(_("code"), max_length=32, unique=True)

    class Meta:
        verbose_name = _("breakdown codelist")
        verbose_name_plural = _("breakdown codelists")
        ordering = ["code"]


class Code(BilingualName):
    codelist = models.ForeignKey(Codelist, on_delete=models.CASCADE, related_name="codes")
    code = models.CharField(_("code"), max_length=32)
    order = models.PositiveSmallIntegerField(default=0)

    class Meta:
        verbose_name = _("code")
        verbose_name_plural = _("codes")
        ordering = ["codelist", "order"]
        constraints = [models.UniqueConstraint(fields=["codelist", "code"], name="code_uniq")]


class Frequency(models.TextChoices):
    MONTHLY = "M", _("Monthly")
    QUARTERLY = "Q", _("Quarterly")
    HALF_YEARLY = "S", _("Six-monthly")
    NINE_MONTHS = "N", _("Nine months")
    ANNUAL = "Y", _("Annual")
    YEAR_TO_DATE = "YTD", _("Year to date")

    @property
    def period_kind(self) -> periods.Kind:
        return periods.Kind(self.value)


class ValueType(models.TextChoices):
    INTEGER = "integer", _("Integer")
    DECIMAL = "decimal", _("Decimal")


class OrgAggregation(models.TextChoices):
    SUM = "sum", _("Sum")
    WEIGHTED_MEAN = "wmean", _("Weighted mean")
    NONE = "none", _("Not aggregated")


class TimeAggregation(models.TextChoices):
    SUM = "sum", _("Sum")
    AVERAGE = "avg", _("Average")
    LAST = "last", _("Last value")
    NONE = "none", _("Not aggregated")


class IndicatorKind(models.TextChoices):
    """What a figure is, which decides how it is compared (docs/domain.md)."""

    LEVEL = "level", _("Level")              # a quantity: changes are percentages
    RATE = "rate", _("Rate or share")        # a percentage of something: changes in points
    INDEX = "index", _("Index")              # against a base = 100: changes are percentages
    GROWTH = "growth", _("Growth rate")      # already a change: compared in points, never summed


class Indicator(BilingualName):
    code = models.CharField(_("code"), max_length=32, unique=True)
    area = models.PositiveSmallIntegerField(_("area"), choices=Area.choices)
    unit = models.ForeignKey(MeasureUnit, verbose_name=_("unit"), on_delete=models.PROTECT)
    value_type = models.CharField(_("value type"), max_length=10, choices=ValueType.choices)
    decimals = models.PositiveSmallIntegerField(_("decimals"), default=0)
    frequency = models.CharField(_("frequency"), max_length=3, choices=Frequency.choices)
    frequencies = models.CharField(
        _("published frequencies"), max_length=40, blank=True,
        help_text=_("Every frequency the indicator is published at, separated by ';' "
                    "(M;Q;S;N;Y;YTD). Blank: its own frequency only."))
    kind = models.CharField(_("kind"), max_length=8, choices=IndicatorKind.choices,
                            default=IndicatorKind.LEVEL)
    index_base = models.CharField(_("index base"), max_length=80, blank=True,
                                  help_text=_("For indices: the base, e.g. '2019 = 100'."))
    level = models.CharField(_("lowest reporting level"), max_length=12, choices=Level.choices)
    ou_aggregation = models.CharField(_("aggregation over units"), max_length=8,
                                      choices=OrgAggregation.choices)
    weight = models.ForeignKey("self", verbose_name=_("weighted by"), null=True, blank=True,
                               on_delete=models.PROTECT, related_name="+")
    time_aggregation = models.CharField(_("aggregation over time"), max_length=8,
                                        choices=TimeAggregation.choices)
    breakdowns = models.ManyToManyField(Codelist, verbose_name=_("breakdowns"), blank=True)
    formula = models.CharField(_("formula"), max_length=300, blank=True,
                               help_text=_("For derived indicators: arithmetic over indicator codes."))
    headline = models.BooleanField(_("headline KPI"), default=False)
    description_vi = models.TextField(_("description (Vietnamese)"), blank=True)
    description_en = models.TextField(_("description (English)"), blank=True)
    source = models.CharField(_("source note"), max_length=500, blank=True)

    class Meta:
        verbose_name = _("indicator")
        verbose_name_plural = _("indicators")
        ordering = ["area", "code"]

    @property
    def is_derived(self) -> bool:
        return bool(self.formula)

    @property
    def description(self) -> str:
        english = (get_language() or "vi").startswith("en")
        return self.description_en if english else self.description_vi

    @property
    def published_kinds(self) -> list[str]:
        """The period kinds it is published at, its own frequency first."""
        extra = [f for f in self.frequencies.split(";") if f and f != self.frequency]
        return [self.frequency, *extra]

    def agency_on(self, day: date, role: str = "responsible") -> OrgUnit | None:
        link = (self.responsibilities.filter(valid_from__lte=day, role=role)
                .filter(Q(valid_to__isnull=True) | Q(valid_to__gte=day))
                .select_related("agency").first())
        return link.agency if link else None


class ResponsibilityRole(models.TextChoices):
    RESPONSIBLE = "responsible", _("Responsible agency")
    SOURCE = "source", _("Authoritative national source")


class Responsibility(models.Model):
    """Which agency is responsible for an indicator, and which is its authoritative
    national source (the statistics office for the national statistical series), over
    time (the 2025 mergers: TCTK under BKHDT until 2025-02-28, CTK under BTC since)."""

    role = models.CharField(_("role"), max_length=12, choices=ResponsibilityRole.choices,
                            default=ResponsibilityRole.RESPONSIBLE)
    indicator = models.ForeignKey(Indicator, on_delete=models.CASCADE,
                                  related_name="responsibilities")
    agency = models.ForeignKey(OrgUnit, verbose_name=_("agency"), on_delete=models.PROTECT,
                               related_name="responsibilities")
    valid_from = models.DateField(_("valid from"), default=ORIGIN)
    valid_to = models.DateField(_("valid to"), null=True, blank=True)

    class Meta:
        verbose_name = _("responsible agency")
        verbose_name_plural = _("responsible agencies")
        ordering = ["indicator", "valid_from"]
        constraints = [models.UniqueConstraint(fields=["indicator", "role", "valid_from"],
                                               name="responsibility_role_uniq")]

    def __str__(self) -> str:
        return f"{self.indicator.code}: {self.agency.code} ({self.role}) from {self.valid_from}"


# -- report regimes -------------------------------------------------------------

class RegimeType(models.TextChoices):
    PERIODIC = "periodic", _("Periodic")
    THEMATIC = "thematic", _("Thematic")
    AD_HOC = "adhoc", _("Ad hoc")


class RegimeContent(models.TextChoices):
    TEXT = "text", _("Text")
    DATA = "data", _("Data")
    BOTH = "both", _("Text and data")


class ReporterScope(models.TextChoices):
    LIST = "list", _("Listed units")
    ALL_PROVINCES = "all_provinces", _("All provinces")
    ALL_MINISTRIES = "all_ministries", _("All ministries and ministerial-level agencies")
    ALL_COMMUNES = "all_communes", _("All communes")


class DeadlineKind(models.TextChoices):
    WORKING_DAYS = "working_days", _("Working days after cut-off")
    DAY_OF_MONTH = "day_of_month", _("Day of month")


class Regime(BilingualName):
    """A reporting regime under Decree 09/2019/NĐ-CP."""

    code = models.CharField(_("code"), max_length=40, unique=True)
    regime_type = models.CharField(_("type"), max_length=10, choices=RegimeType.choices)
    content = models.CharField(_("content"), max_length=4, choices=RegimeContent.choices)
    frequency = models.CharField(_("frequency"), max_length=3, choices=Frequency.choices,
                                 blank=True, help_text=_("Blank for ad hoc reports."))
    cutoff_day = models.PositiveSmallIntegerField(
        _("cut-off day"), default=15,
        help_text=_("The window runs from this day of the previous month to the day before it "
                    "in the last month (Decree 09: 15)."))
    deadline_kind = models.CharField(_("deadline rule"), max_length=14,
                                     choices=DeadlineKind.choices)
    deadline_value = models.PositiveSmallIntegerField(_("deadline value"))
    deadline_month_offset = models.PositiveSmallIntegerField(_("deadline month offset"), default=0)
    reporter_scope = models.CharField(_("reporting units"), max_length=16,
                                      choices=ReporterScope.choices)
    reporters = models.ManyToManyField(OrgUnit, verbose_name=_("listed reporting units"),
                                       blank=True, related_name="regimes_reported")
    recipient = models.ForeignKey(OrgUnit, verbose_name=_("recipient"), null=True, blank=True,
                                  on_delete=models.PROTECT, related_name="regimes_received",
                                  help_text=_("Blank: each reporting unit's parent."))
    indicators = models.ManyToManyField(Indicator, verbose_name=_("data form"), blank=True,
                                        related_name="regimes")
    optional_indicators = models.ManyToManyField(
        Indicator, verbose_name=_("optional indicators"), blank=True, related_name="+",
        help_text=_("Indicators of the form that a report may leave empty (a staggered "
                    "release sends some now and the rest in a later version)."))
    document_required = models.BooleanField(
        _("text report required"), default=True,
        help_text=_("For text-and-data regimes: whether submitting needs the text report."))
    outline_vi = models.TextField(_("outline template (Vietnamese)"), blank=True)
    outline_en = models.TextField(_("outline template (English)"), blank=True)
    approval_required = models.BooleanField(_("approval required"), default=True)
    separate_duties = models.BooleanField(
        _("Approver must differ from who entered or submitted"), default=True)
    legal_basis = models.CharField(_("legal basis"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("report regime")
        verbose_name_plural = _("report regimes")
        ordering = ["code"]

    @property
    def cutoff_rule(self) -> periods.CutoffRule:
        return periods.CutoffRule(self.cutoff_day)

    @property
    def deadline_rule(self) -> periods.DeadlineRule:
        return periods.DeadlineRule(self.deadline_kind, self.deadline_value,
                                    self.deadline_month_offset)

    def schedule_for(self, period: periods.Period) -> periods.Schedule:
        return periods.schedule(period, self.cutoff_rule, self.deadline_rule)

    def next_schedule(self, today: date) -> periods.Schedule | None:
        if not self.frequency:
            return None
        kind = Frequency(self.frequency).period_kind
        return periods.next_schedule(kind, today, self.cutoff_rule, self.deadline_rule)

    def reporting_units(self, day: date) -> OrgUnitQuerySet:
        units = OrgUnit.objects.valid_on(day)
        match self.reporter_scope:
            case ReporterScope.ALL_PROVINCES:
                return units.filter(level=Level.PROVINCE)
            case ReporterScope.ALL_MINISTRIES:
                return units.filter(kind__in=[OrgUnitKind.MINISTRY,
                                              OrgUnitKind.MINISTERIAL_AGENCY])
            case ReporterScope.ALL_COMMUNES:
                return units.filter(level=Level.COMMUNE)
        return units.filter(pk__in=self.reporters.values("pk"))


# -- annual targets ---------------------------------------------------------------

class Target(models.Model):
    """One version of an annual plan value (kế hoạch / dự toán năm).

    A change is a new row with a higher ``version``; the highest is current.
    """

    indicator = models.ForeignKey(Indicator, verbose_name=_("indicator"),
                                  on_delete=models.PROTECT, related_name="targets")
    org_unit = models.ForeignKey(OrgUnit, verbose_name=_("org unit"), on_delete=models.PROTECT,
                                 related_name="targets")
    year = models.PositiveSmallIntegerField(_("year"))
    version = models.PositiveIntegerField(_("version"), default=1)
    value = models.DecimalField(_("value"), max_digits=24, decimal_places=6)
    reason = models.CharField(_("reason"), max_length=300, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("set by"), null=True,
                                   blank=True, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(_("set at"), auto_now_add=True)

    class Meta:
        verbose_name = _("annual target")
        verbose_name_plural = _("annual targets")
        ordering = ["indicator", "org_unit", "year", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["indicator", "org_unit", "year", "version"],
                                    name="target_version_uniq"),
        ]

    def __str__(self) -> str:
        return f"{self.indicator.code} {self.org_unit.code} {self.year} v{self.version}"


# -- validation rules ------------------------------------------------------------------

class RuleKind(models.TextChoices):
    RANGE = "range", _("Range")
    COMPARE = "compare", _("Comparison with another indicator")
    SUM = "sum", _("Sum of indicators")
    SCALE = "scale", _("Plausible against the last period (unit-scale slips)")


class Severity(models.TextChoices):
    ERROR = "error", _("Error")
    WARNING = "warning", _("Warning")


class ValidationRule(models.Model):
    """A check declared as data (rules.yaml), applied by nrs.collection.validation."""

    code = models.CharField(_("code"), max_length=40, unique=True)
    kind = models.CharField(_("kind"), max_length=8, choices=RuleKind.choices)
    severity = models.CharField(_("severity"), max_length=8, choices=Severity.choices)
    indicator = models.ForeignKey(Indicator, verbose_name=_("indicator"),
                                  on_delete=models.PROTECT, related_name="rules")
    operator = models.CharField(_("operator"), max_length=2, blank=True)
    other = models.ForeignKey(Indicator, verbose_name=_("other indicator"), null=True,
                              blank=True, on_delete=models.PROTECT, related_name="+")
    terms = models.CharField(_("terms"), max_length=300, blank=True,
                             help_text=_("For sums: indicator codes separated by ';'."))
    minimum = models.DecimalField(_("minimum"), max_digits=24, decimal_places=6, null=True,
                                  blank=True)
    maximum = models.DecimalField(_("maximum"), max_digits=24, decimal_places=6, null=True,
                                  blank=True)
    equals = models.DecimalField(_("equals"), max_digits=24, decimal_places=6, null=True,
                                 blank=True)
    tolerance = models.DecimalField(_("tolerance"), max_digits=24, decimal_places=6, default=0)
    message_vi = models.CharField(_("message (Vietnamese)"), max_length=300)
    message_en = models.CharField(_("message (English)"), max_length=300)

    class Meta:
        verbose_name = _("validation rule")
        verbose_name_plural = _("validation rules")
        ordering = ["code"]

    def __str__(self) -> str:
        return self.code
