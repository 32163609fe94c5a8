"""Mapping tables: another system's ids for data sets, data elements (with their category
option combos), org units, translated to ours (regime, indicator + breakdown, org unit).

Tables hang off a ``PartnerSystem`` (a DHIS2 instance or a ministry system, by code) so
two systems may use the same uids for different things. Periods are parsed, not
tabulated (nrs/exchange/dhis2/periods.py). Rows change only through
nrs.exchange.dhis2.actions.save_mapping, which records MAPPING_CHANGED.
"""

from __future__ import annotations

from typing import Any, ClassVar

from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

# DHIS2 creates its "default" category option combo with this uid on every instance.
DHIS2_DEFAULT_COMBO = "HllvX50cXC0"


class PartnerSystem(models.Model):
    """A system that sends us DHIS2 or ADX messages, and whose ids the tables translate."""

    code = models.CharField(_("code"), max_length=40, unique=True,
                            help_text=_("Given as ?system=CODE on import."))
    name = models.CharField(_("name"), max_length=200)
    default_combo = models.CharField(
        _("default category option combo"), max_length=64, blank=True,
        default=DHIS2_DEFAULT_COMBO,
        help_text=_("The other side's id for 'no disaggregation' (DHIS2: HllvX50cXC0)."))
    default_regime = models.ForeignKey(
        "registry.Regime", verbose_name=_("default regime"), null=True, blank=True,
        on_delete=models.PROTECT, related_name="+",
        help_text=_("For messages that name no data set (DHIS2 CSV)."))
    codes_fallback = models.BooleanField(
        _("unmapped ids are NRS codes"), default=False,
        help_text=_("Ids missing from the tables are taken as NRS codes instead of refused."))
    partial_import = models.BooleanField(
        _("import the mapped values, report unmapped ones"), default=False,
        help_text=_("As DHIS2 does: values whose ids are not mapped are ignored and reported as "
                    "conflicts (status WARNING), the rest is imported. Off: one unmapped id "
                    "refuses the whole message."))
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("partner system")
        verbose_name_plural = _("partner systems")
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.code} — {self.name}"

    def describe(self) -> dict[str, Any]:
        return {"code": self.code, "name": self.name, "default_combo": self.default_combo,
                "default_regime": self.default_regime.code if self.default_regime else "",
                "codes_fallback": self.codes_fallback, "partial_import": self.partial_import,
                "active": self.active}


class RemoteIdMap(models.Model):
    """What DataSetMap and OrgUnitMap share: a partner system's id (``remote_id``) for one of
    our objects, the field named by ``target`` (with a ``code``). The fields stay on each
    table, so their labels and the reverse accessors (``data_sets``, ``org_units``) differ."""

    target: ClassVar[str]
    system: models.ForeignKey[PartnerSystem, PartnerSystem]
    remote_id: models.CharField[str, str]
    active: models.BooleanField[bool, bool]

    class Meta:
        abstract = True
        ordering = ["system", "remote_id"]

    def __str__(self) -> str:
        return f"{self.system.code}: {self.remote_id} → {getattr(self, self.target).code}"

    def describe(self) -> dict[str, Any]:
        return {"system": self.system.code, "remote_id": self.remote_id,
                self.target: getattr(self, self.target).code, "active": self.active}


class DataSetMap(RemoteIdMap):
    """A data set id of the partner system → our regime."""

    target = "regime"

    system = models.ForeignKey(PartnerSystem, verbose_name=_("partner system"),
                               on_delete=models.PROTECT, related_name="data_sets")
    remote_id = models.CharField(_("their data set id"), max_length=64)
    regime = models.ForeignKey("registry.Regime", verbose_name=_("regime"),
                               on_delete=models.PROTECT, related_name="+")
    active = models.BooleanField(_("active"), default=True)

    class Meta(RemoteIdMap.Meta):
        verbose_name = _("data set mapping")
        verbose_name_plural = _("data set mappings")
        constraints = [models.UniqueConstraint(fields=["system", "remote_id"],
                                               name="dhis2_dataset_map_uniq")]


class DataElementMap(models.Model):
    """A data element (+ category option combo) of the partner system → our indicator
    and breakdown. ``combo`` is a DHIS2 category option combo id, or for ADX the
    disaggregation attributes in the form ``sex=F;ageGroup=under5`` (sorted by name);
    empty matches the default combo."""

    system = models.ForeignKey(PartnerSystem, verbose_name=_("partner system"),
                               on_delete=models.PROTECT, related_name="data_elements")
    data_element = models.CharField(_("their data element id"), max_length=64)
    combo = models.CharField(_("their category option combo"), max_length=200, blank=True)
    indicator = models.ForeignKey("registry.Indicator", verbose_name=_("indicator"),
                                  on_delete=models.PROTECT, related_name="+")
    breakdown = models.CharField(_("breakdown"), max_length=200, blank=True,
                                 help_text=_("Our breakdown, e.g. SEX=F; empty for the total."))
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("data element mapping")
        verbose_name_plural = _("data element mappings")
        ordering = ["system", "data_element", "combo"]
        constraints = [models.UniqueConstraint(fields=["system", "data_element", "combo"],
                                               name="dhis2_element_map_uniq")]

    def __str__(self) -> str:
        combo = f" / {self.combo}" if self.combo else ""
        target = f" [{self.breakdown}]" if self.breakdown else ""
        return f"{self.system.code}: {self.data_element}{combo} → {self.indicator.code}{target}"

    def clean(self) -> None:
        """The breakdown must name the indicator's own codelists and codes, written the
        way validation writes it, so that mapped rows land on the same keys."""
        if self.indicator_id is None or not self.breakdown:
            return
        lists = {cl.code: {c.code for c in cl.codes.all()}
                 for cl in self.indicator.breakdowns.prefetch_related("codes")}
        pairs = {}
        for part in self.breakdown.split(";"):
            name, sep, code = (s.strip() for s in part.partition("="))
            if not sep or name not in lists or code not in lists[name]:
                raise ValidationError({"breakdown": _(
                    "'%(part)s' is not a breakdown of this indicator (NAME=CODE; NAME=CODE)")
                    % {"part": part}})
            pairs[name] = code
        self.breakdown = ";".join(f"{k}={pairs[k]}" for k in sorted(pairs))

    def describe(self) -> dict[str, Any]:
        return {"system": self.system.code, "data_element": self.data_element,
                "combo": self.combo, "indicator": self.indicator.code,
                "breakdown": self.breakdown, "active": self.active}


class OrgUnitMap(RemoteIdMap):
    """An org unit id of the partner system → our org unit (by code: the version valid
    in the reported period is used)."""

    target = "org_unit"

    system = models.ForeignKey(PartnerSystem, verbose_name=_("partner system"),
                               on_delete=models.PROTECT, related_name="org_units")
    remote_id = models.CharField(_("their org unit id"), max_length=64)
    org_unit = models.ForeignKey("registry.OrgUnit", verbose_name=_("org unit"),
                                 on_delete=models.PROTECT, related_name="+")
    active = models.BooleanField(_("active"), default=True)

    class Meta(RemoteIdMap.Meta):
        verbose_name = _("org unit mapping")
        verbose_name_plural = _("org unit mappings")
        constraints = [models.UniqueConstraint(fields=["system", "remote_id"],
                                               name="dhis2_orgunit_map_uniq")]


class ImportJob(models.Model):
    """An import asked for with ``async=true`` on the DHIS2 mount: NRS runs it at once and keeps
    its summary here, so DHIS2's job API (/api/system/tasks/…, /api/system/taskSummaries/…)
    can answer the client that polls for it (dhis2-java-client always does)."""

    uid = models.CharField(_("job id"), max_length=11, unique=True)
    system = models.ForeignKey(PartnerSystem, verbose_name=_("partner system"),
                               on_delete=models.PROTECT, related_name="+")
    user = models.ForeignKey("accounts.User", verbose_name=_("user"), on_delete=models.PROTECT,
                             related_name="+")
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    status = models.CharField(_("status"), max_length=10)
    summary = models.JSONField(_("import summary"))

    class Meta:
        verbose_name = _("DHIS2 import job")
        verbose_name_plural = _("DHIS2 import jobs")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.system.code}: {self.uid} ({self.status})"
