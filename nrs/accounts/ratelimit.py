"""Rate limits (django-ratelimit) on sign-in and on the API, with 429 answers.

Counters live in settings.RATELIMIT_USE_CACHE, shared by all server processes. A client
that goes over its limit is recorded in the audit log once per limit window, not once per
refused request.
"""

from __future__ import annotations

import time
from typing import Any

from django.conf import settings
from django.core.cache import caches
from django.db import transaction
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django_ratelimit.core import get_usage

from nrs.audit.events import EventType
from nrs.audit.log import record


class RateLimited(Exception):
    """Raised by the API's authentication when a token is over its rate (nrs/web/api.py
    turns it into api_response)."""

    def __init__(self, retry_after: int) -> None:
        super().__init__(f"rate limited, retry after {retry_after} s")
        self.retry_after = retry_after


def hit(request: HttpRequest, *, group: str, key: str, rate: str, actor: Any = None,
        obj: Any = None, org_unit: Any = None) -> int | None:
    """Count one request of ``key`` in ``group``. Returns the seconds to wait when over
    ``rate`` (then audited once per window), else None."""
    usage = get_usage(request, group=group, key=lambda _group, _request: key, rate=rate,
                      increment=True)
    if usage is None or not usage["should_limit"]:
        return None
    retry_after = max(1, int(usage["time_left"]))
    window_end = int(time.time()) + retry_after
    first = caches[settings.RATELIMIT_USE_CACHE].add(
        f"nrs-rl-audited:{group}:{key}:{window_end}", 1, retry_after + 5)
    if first:
        with transaction.atomic():
            record(EventType.RATE_LIMITED, actor=actor, obj=obj, org_unit=org_unit,
                   summary=f"{group}: {key}"[:300], data={"group": group, "rate": rate})
    return retry_after


def api_rate(request: HttpRequest) -> tuple[str, str]:
    """(group, rate) of an API request: writes have their own, lower rate."""
    if request.method in ("GET", "HEAD", "OPTIONS"):
        return "api.read", settings.NRS_API_RATE
    return "api.write", settings.NRS_API_WRITE_RATE


def api_response(request: HttpRequest, exc: RateLimited) -> HttpResponse:
    seconds = exc.retry_after
    response = JsonResponse({
        "status": "error",
        "message_vi": f"Quá nhiều yêu cầu với token này; thử lại sau {seconds} giây",
        "message_en": f"Too many requests with this token; retry after {seconds} seconds",
        "retry_after": seconds,
    }, status=429)
    response["Retry-After"] = str(seconds)
    return response


def page_response(request: HttpRequest, retry_after: int) -> HttpResponse:
    response = render(request, "accounts/rate_limited.html", {"retry_after": retry_after},
                      status=429)
    response["Retry-After"] = str(retry_after)
    return response


def client_ip(request: HttpRequest) -> str:
    return str(request.META.get("REMOTE_ADDR") or "unknown")


USER_AGENT_MAX = 300


def client_meta(request: HttpRequest | None) -> dict[str, str]:
    """The client's address and user agent, for sign-in audit events."""
    if request is None:
        return {"ip": "", "user_agent": ""}
    return {"ip": client_ip(request), "user_agent": str(request.META.get("HTTP_USER_AGENT") or "")[:USER_AGENT_MAX]}
