"""The aggregate store: every figure the dashboards show, kept current on write.

A cell is a figure computed from the reported values (which, with every
vintage, stay in nrs.collection): a unit's own reported value (``derived``
False), or one derived from others; a refresh replaces the derived cells it
recomputes. ``Refresh`` rows
are the append-only log of refreshes that live dashboards follow.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class Basis(models.TextChoices):
    APPROVED = "A", _("Approved values")
    PREVIEW = "P", _("Approved and submitted values (preview)")


class Cell(models.Model):
    """One figure: indicator × org unit × period, on a basis.

    Preview cells exist only where a submitted report changes a figure; a
    preview reads them over the approved cells.
    """

    basis = models.CharField(_("basis"), max_length=1, choices=Basis.choices)
    indicator = models.ForeignKey("registry.Indicator", on_delete=models.CASCADE, related_name="+")
    org_unit = models.ForeignKey("registry.OrgUnit", on_delete=models.CASCADE, related_name="+")
    period = models.CharField(_("period"), max_length=16)
    kind = models.CharField(_("period kind"), max_length=3)
    period_start = models.DateField(_("period start"))
    value = models.DecimalField(_("value"), max_digits=24, decimal_places=6)
    n = models.PositiveIntegerField(_("reported values"))
    rebuilt = models.BooleanField(_("rebuilt through the lineage"), default=False)
    # False: the unit's own reported value, which no refresh replaces or deletes.
    derived = models.BooleanField(_("derived (not reported)"), default=True)
    refreshed_at = models.DateTimeField(_("refreshed at"))

    class Meta:
        verbose_name = _("aggregate")
        verbose_name_plural = _("aggregates")
        constraints = [models.UniqueConstraint(fields=["basis", "indicator", "org_unit", "period"],
                                               name="cell_key_uniq")]
        indexes = [
            # A series: one indicator, one unit, one kind of period, in time order.
            models.Index(fields=["basis", "indicator", "org_unit", "kind", "period_start"],
                         name="cell_series_idx"),
            # A map or a ranking: one indicator, one period, every unit.
            models.Index(fields=["basis", "indicator", "period"], name="cell_slice_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.basis}:{self.indicator_id}/{self.org_unit_id}/{self.period}={self.value}"


class Refresh(models.Model):
    """One refresh of the store (append-only). Dashboards watch the newest id."""

    at = models.DateTimeField(_("at"), auto_now_add=True)
    reason = models.CharField(_("reason"), max_length=200)
    cells = models.PositiveIntegerField(_("cells written"))
    indicators = models.JSONField(_("indicators"), default=list)
    periods = models.JSONField(_("periods"), default=list)

    class Meta:
        verbose_name = _("aggregate refresh")
        verbose_name_plural = _("aggregate refreshes")
        ordering = ["-id"]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M:%S} {self.reason}"


class PendingRefresh(models.Model):
    """The aggregate refresh a bulk import still owes, queued in the import's own
    transaction (so it exists exactly when the values do) and applied by the
    background worker (nrs.analytics.pending, decision 35). ``done_at`` is set when
    every figure includes the import."""

    created_at = models.DateTimeField(_("queued at"), auto_now_add=True)
    reason = models.CharField(_("reason"), max_length=200)
    # {period (SDMX): [[indicator codes], [org unit ids]]}: what the import stored, approved.
    touched = models.JSONField(_("touched"), default=dict)
    # Submissions left awaiting approval: each gets its preview.
    submitted = models.JSONField(_("awaiting approval"), default=list)
    values = models.PositiveIntegerField(_("values"), default=0)
    attempts = models.PositiveIntegerField(_("attempts"), default=0)
    error = models.TextField(_("last error"), blank=True)
    done_at = models.DateTimeField(_("applied at"), null=True, blank=True)

    class Meta:
        verbose_name = _("queued aggregate refresh")
        verbose_name_plural = _("queued aggregate refreshes")
        ordering = ["id"]
        indexes = [models.Index(fields=["done_at", "id"], name="pending_open_idx")]

    def __str__(self) -> str:
        return f"{self.created_at:%Y-%m-%d %H:%M:%S} {self.reason}"
