"""The write path for publications and their release calendar: each change is checked, saved
and audited (METADATA_CHANGED, every changed field's old and new value) in one transaction,
whoever makes it (the admin, the demo, a script, a test). Publishing is national metadata, like
the catalogue: the catalogue permission on the root.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext_noop

from nrs.accounts import access
from nrs.accounts.access import Perm
from nrs.audit.events import EventType
from nrs.audit.log import record
from nrs.exchange.public.models import Publication, Release, Stage
from nrs.i18n import bilingual
from nrs.lib import periods
from nrs.registry.actions import diff, national_root, snapshot
from nrs.registry.models import Indicator


def may_publish(actor: Any) -> bool:
    """May ``actor`` mark indicators public and keep the release calendar?"""
    root = national_root()
    return root is not None and access.has_perm(actor, Perm.MANAGE_CATALOGUE, root)


def _require(actor: Any) -> None:
    if not may_publish(actor):
        raise PermissionDenied("publishing figures needs the catalogue permission on the national root")


def _check_period(release: Release) -> None:
    """The period is an SDMX code of one of the indicator's period kinds."""
    try:
        period = periods.parse_sdmx(release.period)
    except (periods.PeriodError, ValueError):
        vi, en = bilingual(gettext_noop("period '%(period)s' is not an SDMX period code (e.g. 2026-Q3)"),
                           period=release.period)
        raise ValidationError({"period": f"{vi} / {en}"}) from None
    indicator = release.publication.indicator
    kinds = indicator.published_kinds
    if period.kind.value not in kinds:
        vi, en = bilingual(gettext_noop("period '%(period)s' is not one of the indicator's frequencies (%(kinds)s)"),
                           period=release.period, kinds=", ".join(kinds))
        raise ValidationError({"period": f"{vi} / {en}"})
    release.period = period.sdmx


@transaction.atomic
def save_publication(obj: Publication, *, actor: Any) -> Publication:
    """Create or change a publication (public or not, its lowest area level), audited."""
    _require(actor)
    stored = Publication.objects.filter(pk=obj.pk).first() if obj.pk else None
    before = snapshot(stored) if stored is not None else {}
    obj.full_clean()
    obj.save()
    record(EventType.METADATA_CHANGED, actor=actor, obj=obj,
           summary=f"{'created' if stored is None else 'changed'} publication {obj}",
           data={"created": stored is None, "model": obj._meta.label_lower, "changes": diff(before, snapshot(obj))})
    return obj


@transaction.atomic
def save_release(obj: Release, *, actor: Any) -> Release:
    """Create or change one release of the calendar (its period, stage, date and time), audited."""
    _require(actor)
    stored = Release.objects.filter(pk=obj.pk).first() if obj.pk else None
    before = snapshot(stored) if stored is not None else {}
    _check_period(obj)
    obj.full_clean()
    obj.save()
    record(EventType.METADATA_CHANGED, actor=actor, obj=obj,
           summary=f"{'created' if stored is None else 'changed'} release {obj}",
           data={"created": stored is None, "model": obj._meta.label_lower, "changes": diff(before, snapshot(obj))})
    return obj


def publish(indicator: Indicator, *, actor: Any, min_level: str = "province",
            calendar: list[tuple[str, str, datetime]] = ()) -> Publication:  # type: ignore[assignment]
    """Mark ``indicator`` public at ``min_level`` with ``calendar`` [(period, stage, release_at)]:
    every row through save_publication / save_release, all or nothing."""
    with transaction.atomic():
        publication = Publication.objects.filter(indicator=indicator).first() or Publication(indicator=indicator)
        publication.min_level, publication.active = min_level, True
        save_publication(publication, actor=actor)
        for period, stage, release_at in calendar:
            release = (Release.objects.filter(publication=publication, period=period, stage=stage).first()
                       or Release(publication=publication, period=period, stage=Stage(stage)))
            release.release_at = release_at
            save_release(release, actor=actor)
        return publication
