"""The qcvn API router (/api/qcvn/…)."""

from ninja import Router

router = Router(tags=["qcvn"])
