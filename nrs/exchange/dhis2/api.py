"""The dhis2 API router (/api/dhis2/…)."""

from ninja import Router

router = Router(tags=["dhis2"])
