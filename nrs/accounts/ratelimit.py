"""Rate limits (django-ratelimit) on sign-in and on the API, with 429 answers.

Counters live in settings.RATELIMIT_USE_CACHE, shared by all server processes. A client
that goes over its limit is recorded in the audit log once per limit window, not once per
refused request. Beside them: the client's address (client_ip, the socket's peer only) and
the per-account sign-in limit across addresses (account_failures).
"""

from __future__ import annotations

import time
from typing import Any

from axes.models import AccessAttempt
from django.conf import settings
from django.core.cache import caches
from django.db import transaction
from django.db.models import Sum
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext_noop
from django_ratelimit.core import get_usage

from nrs.audit.events import EventType
from nrs.audit.log import record
from nrs.i18n import bilingual


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
    vi, en = bilingual(gettext_noop("Too many requests with this token; retry after %(seconds)s seconds"),
                       seconds=seconds)
    response = JsonResponse({
        "status": "error",
        "message_vi": vi,
        "message_en": en,
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
    """The client's address: the socket's peer, never a request header. Behind a reverse proxy
    listed in NRS_TRUSTED_PROXIES, `nrs serve` (uvicorn) has already put the proxy's
    X-Forwarded-For here; from anyone else the header is ignored. django-axes uses this too
    (AXES_CLIENT_IP_CALLABLE, through axes_client_ip)."""
    return str(request.META.get("REMOTE_ADDR") or "unknown")


def axes_client_ip(request: HttpRequest) -> str | None:
    """client_ip for django-axes, whose attempt rows keep it in an IP address column: no
    address (a request built in-process, as Django's test client's login() does) is None,
    never the "unknown" placeholder, which PostgreSQL's inet type refuses."""
    address = request.META.get("REMOTE_ADDR")
    return str(address) if address else None


# -- per account, from any address (issue 18, finding 7) ----------------------------------------

def account_failures(username: str) -> int:
    """Wrong passwords for ``username`` (any letter case) from every address within the last
    AXES_COOLOFF_TIME. The count is django-axes' own: its attempt rows (one per username,
    address and user agent, each with its failures) that are still within the cool-off, so
    `nrs axes_reset` lifts this lock as it lifts axes'."""
    name = username.strip()
    if not name:
        return 0
    since = timezone.now() - settings.AXES_COOLOFF_TIME
    total = (AccessAttempt.objects.filter(username__iexact=name, attempt_time__gte=since)
             .aggregate(total=Sum("failures_since_start"))["total"])
    return int(total or 0)


def account_locked(username: str) -> bool:
    """Has ``username`` had NRS_ACCOUNT_FAILURE_LIMIT wrong passwords within the cool-off?"""
    return account_failures(username) >= settings.NRS_ACCOUNT_FAILURE_LIMIT


def audit_account_lock(request: HttpRequest, username: str, before: int, after: int) -> None:
    """Record LOCKED_OUT once, when this request's failure crossed the account limit."""
    limit = settings.NRS_ACCOUNT_FAILURE_LIMIT
    if before < limit <= after:
        name = username.strip()[:150]
        with transaction.atomic():
            record(EventType.LOCKED_OUT, summary=name,
                   data={"scope": "account", "username": name, "failures": after, **client_meta(request)})


def account_locked_response(request: HttpRequest) -> HttpResponse:
    minutes = int(settings.AXES_COOLOFF_TIME.total_seconds() // 60)
    response = render(request, "accounts/account_locked.html",
                      {"failure_limit": settings.NRS_ACCOUNT_FAILURE_LIMIT, "cooloff_minutes": minutes},
                      status=429)
    response["Retry-After"] = str(minutes * 60)
    return response


USER_AGENT_MAX = 300


def client_meta(request: HttpRequest | None) -> dict[str, str]:
    """The client's address and user agent, for sign-in audit events."""
    if request is None:
        return {"ip": "", "user_agent": ""}
    return {"ip": client_ip(request), "user_agent": str(request.META.get("HTTP_USER_AGENT") or "")[:USER_AGENT_MAX]}
