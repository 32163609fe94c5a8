"""Session guards: the idle timeout, machine accounts' sessions, and the second factor for
privileged roles.

Both run after django-otp's OTPMiddleware (settings.MIDDLEWARE), for browser sessions only:
API clients with a token have no session user, so nothing here touches them.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.contrib.auth import logout
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.urls import reverse
from django.utils.translation import gettext_noop as _

from nrs.accounts import access, machines, refusal
from nrs.accounts.oidc import EXTERNAL_MFA_KEY
from nrs.accounts.refusal import SignInRefused
from nrs.i18n import bilingual

IDLE_KEY = "nrs_last_seen"
# The last-seen time is saved at most this often (seconds), not on every request.
IDLE_RESOLUTION = 60

# Paths an unverified privileged session may still reach: the 2FA pages themselves,
# signing out, static files, the language switch, the health probe, and the installable app's
# manifest and service worker (they hold no data).
_OPEN_PREFIXES = ("/accounts/2fa/", "/accounts/logout/", "/accounts/login/", "/static/",
                  "/i18n/", "/health/", "/oidc/", "/sw.js", "/manifest.webmanifest",
                  "/public/")  # the public explorer holds only released figures (issue 19)


class IdleTimeoutMiddleware:
    """Signs a session out after NRS_SESSION_IDLE_MINUTES without a request, and at once if it
    belongs to a machine account (machines.token_only: such accounts use API tokens only)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and hasattr(request, "session"):
            if machines.token_only(user):
                return _end_machine_session(request, user)
            now = int(time.time())
            last = request.session.get(IDLE_KEY)
            limit = settings.NRS_SESSION_IDLE_MINUTES * 60
            if isinstance(last, int) and now - last > limit:
                logout(request)
                return _refuse(request, reverse(settings.LOGIN_URL), status=401,
                               **bilingual(_("Session expired after inactivity; sign in again"))._asdict())
            if not isinstance(last, int) or now - last >= IDLE_RESOLUTION:
                request.session[IDLE_KEY] = now
        return self.get_response(request)


class TwoFactorMiddleware:
    """Sends a leader, approver, coordinator or superuser whose session has not passed a
    second factor to /accounts/2fa/ (enrol or verify); htmx, ajax and API calls get 403."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if self._must_verify(request):
            target = reverse("accounts:two_factor")
            return _refuse(request, f"{target}?{urlencode({'next': request.get_full_path()})}",
                           status=403, **bilingual(_("Two-factor verification required first"))._asdict())
        return self.get_response(request)

    @staticmethod
    def _must_verify(request: HttpRequest) -> bool:
        if not settings.NRS_REQUIRE_2FA or request.path.startswith(_OPEN_PREFIXES):
            return False
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated:
            return False
        if user.is_verified() or request.session.get(EXTERNAL_MFA_KEY):
            return False
        return access.needs_second_factor(user)


def _end_machine_session(request: HttpRequest, user: Any) -> HttpResponse:
    """A machine account's browser session (however it was made) is ended before any view runs:
    it cannot read a page or submit a form. Audited as a refused sign-in."""
    refusal.audit(request, SignInRefused(refusal.TOKEN_ONLY, user.username, user), via="session")
    logout(request)
    return _refuse(request, reverse(settings.LOGIN_URL), status=401,
                   **bilingual(_("A machine account uses API tokens only, not the web sign-in"))._asdict())


def _refuse(request: HttpRequest, url: str, *, status: int, vi: str, en: str) -> HttpResponse:
    """A redirect for a page load; a status code for htmx, ajax and the JSON API."""
    htmx = request.headers.get("HX-Request") == "true"
    ajax = request.headers.get("X-Requested-With") == "XMLHttpRequest"
    if htmx or ajax or request.path.startswith("/api/"):
        response = JsonResponse({"status": "error", "message_vi": vi, "message_en": en,
                                 "location": url}, status=status)
        if htmx:
            response["HX-Redirect"] = url
        return response
    return HttpResponseRedirect(url)
