"""Sign-in and sign-out go to the audit log, each with the client's address (the socket's
peer, ratelimit.client_ip) and user agent (at most 300 characters)."""

from __future__ import annotations

from typing import Any

from axes.signals import user_locked_out
from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.db import transaction
from django.dispatch import receiver

from nrs.accounts.ratelimit import client_meta
from nrs.audit.events import EventType
from nrs.audit.log import record


@receiver(user_logged_in)
def _logged_in(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    with transaction.atomic():
        record(EventType.LOGIN, actor=user, obj=user, summary=user.username, data=client_meta(request))


@receiver(user_logged_out)
def _logged_out(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    if user is not None:
        with transaction.atomic():
            record(EventType.LOGOUT, actor=user, obj=user, summary=user.username, data=client_meta(request))


@receiver(user_login_failed)
def _login_failed(sender: Any, credentials: dict[str, Any], request: Any = None,
                  **kwargs: Any) -> None:
    username = str(credentials.get("username", ""))[:150]
    with transaction.atomic():
        record(EventType.LOGIN_FAILED, summary=username, data={"username": username, **client_meta(request)})


@receiver(user_locked_out)
def _locked_out(sender: Any, request: Any, username: str | None = None, ip_address: str | None = None,
                **kwargs: Any) -> None:
    """django-axes locked a username+address pair out. Axes sends this again on every
    attempt during the lockout; only the moment it starts is recorded. (The per-account lock
    across addresses is recorded by ratelimit.audit_account_lock, with scope "account".)"""
    if getattr(request, "axes_failures_since_start", None) is None:
        return
    name = str(username or "")[:150]
    with transaction.atomic():
        record(EventType.LOCKED_OUT, summary=name,
               data={"scope": "address", "username": name, "failures": request.axes_failures_since_start,
                     **client_meta(request)})
