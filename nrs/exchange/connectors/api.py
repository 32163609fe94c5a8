"""The connectors API router (/api/connectors/…)."""

from ninja import Router

router = Router(tags=["connectors"])
