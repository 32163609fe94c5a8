"""What is published, and when: a Publication per public indicator (with the lowest area level
it is published at) and its release calendar, one Release per period and stage.

A figure (indicator, unit, period) is public from the first Release of its period whose time
has passed; what it shows then is the newest approved vintage approved on or before the last
Release that has passed (scope.py). Rows are written only through actions.py (audited with
old and new values), never deleted: a publication is switched off (``active``).
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from nrs.registry.models import Level


class Stage(models.TextChoices):
    ESTIMATE = "estimate", _("Estimate")
    PRELIMINARY = "preliminary", _("Preliminary")
    OFFICIAL = "official", _("Official")


# The area levels a publication may go down to, national first. An agency's value stands for
# the national figure (nrs/exchange/sdmx/national.py), so it is published with the national.
LEVELS = [Level.NATIONAL, Level.PROVINCE, Level.DISTRICT, Level.COMMUNE]


def levels_down_to(lowest: str) -> list[str]:
    """The org unit levels a publication at ``lowest`` serves: national (and agency) down to it."""
    order = [level.value for level in LEVELS]
    shown = order[: order.index(lowest) + 1] if lowest in order else [Level.NATIONAL.value]
    return [*shown, Level.AGENCY.value]


class Publication(models.Model):
    indicator = models.OneToOneField("registry.Indicator", on_delete=models.PROTECT,
                                     related_name="publication", verbose_name=_("indicator"))
    min_level = models.CharField(_("lowest area level published"), max_length=12,
                                 choices=[(level.value, level.label) for level in LEVELS],
                                 default=Level.PROVINCE.value)
    active = models.BooleanField(_("public"), default=True)
    changed_at = models.DateTimeField(_("changed at"), auto_now=True)

    class Meta:
        verbose_name = _("public indicator")
        verbose_name_plural = _("public indicators")
        ordering = ["indicator__code"]

    def __str__(self) -> str:
        return f"{self.indicator_id and self.indicator.code}"


class Release(models.Model):
    publication = models.ForeignKey(Publication, on_delete=models.PROTECT, related_name="releases",
                                    verbose_name=_("public indicator"))
    period = models.CharField(_("period"), max_length=16, help_text=_("SDMX period code, e.g. 2026-Q3"))
    stage = models.CharField(_("stage"), max_length=12, choices=Stage.choices, default=Stage.OFFICIAL)
    release_at = models.DateTimeField(_("release date and time"),
                                      help_text=_("Under embargo until then"))
    changed_at = models.DateTimeField(_("changed at"), auto_now=True)

    class Meta:
        verbose_name = _("release")
        verbose_name_plural = _("release calendar")
        ordering = ["publication", "period", "release_at"]
        constraints = [models.UniqueConstraint(fields=["publication", "period", "stage"],
                                               name="public_release_stage_uniq")]
        indexes = [
            # scope.public_q: "has a release of this indicator's period passed, at or after the
            # vintage's approval?" (an EXISTS per value row).
            models.Index(fields=["publication", "period", "release_at"], name="public_release_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.publication} {self.period} {self.stage} @ {self.release_at:%Y-%m-%d %H:%M}"
