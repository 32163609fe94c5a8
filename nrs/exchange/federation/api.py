"""The federation API router (/api/federation/…)."""

from ninja import Router

router = Router(tags=["federation"])
