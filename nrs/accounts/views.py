"""Sign-in pages: login (rate limited), change password, two-factor enrolment and verification."""

from __future__ import annotations

import base64
from typing import Any
from urllib.parse import urlencode

import qrcode
import qrcode.image.svg
from django.conf import settings
from django.contrib.auth import update_session_auth_hash
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.contrib.auth.forms import AuthenticationForm
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render, resolve_url
from django.urls import reverse, reverse_lazy
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from nrs.accounts import actions, machines, oidc, ratelimit, refusal, twofactor
from nrs.accounts.models import User
from nrs.accounts.refusal import SignInRefused

BACKUP_SESSION_KEY = "nrs_backup_codes"


class LoginForm(AuthenticationForm):
    """Django's sign-in form; a machine account's right password is refused (token only)."""

    def confirm_login_allowed(self, user: Any) -> None:
        super().confirm_login_allowed(user)
        if machines.token_only(user):
            raise SignInRefused(refusal.TOKEN_ONLY, user.username, user)


class LoginView(auth_views.LoginView):
    """Django's login, with a per-address rate limit on POST (NRS_LOGIN_RATE), django-axes'
    per-username-and-address lockout, and a per-account limit across addresses
    (NRS_ACCOUNT_FAILURE_LIMIT, ratelimit.account_failures). Machine accounts are refused."""

    template_name = "web/login.html"
    authentication_form = LoginForm

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        ip = ratelimit.client_ip(request)
        wait = ratelimit.hit(request, group="login", key=ip, rate=settings.NRS_LOGIN_RATE)
        if wait is not None:
            return ratelimit.page_response(request, wait)
        username = str(request.POST.get("username", ""))
        before = ratelimit.account_failures(username)
        if before >= settings.NRS_ACCOUNT_FAILURE_LIMIT:
            return ratelimit.account_locked_response(request)
        try:
            response: HttpResponse = super().post(request, *args, **kwargs)
        except SignInRefused as refused:
            return refusal.response(request, refused, via="password")
        if not request.user.is_authenticated:
            ratelimit.audit_account_lock(request, username, before, ratelimit.account_failures(username))
        return response

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context["oidc_name"] = settings.NRS_OIDC_NAME if oidc.configured() else ""
        return context


class PasswordChangeView(auth_views.PasswordChangeView):
    """Change my password: checked against the password policy, recorded in the audit log."""

    template_name = "accounts/password_change.html"
    success_url = reverse_lazy("accounts:password_done")

    def form_valid(self, form: Any) -> HttpResponse:
        user: User = form.user  # the signed-in user (login_required)
        try:
            actions.change_password(user, form.cleaned_data["new_password1"], actor=user)
        except ValidationError as exc:  # the form checked already; kept for a race with settings
            form.add_error("new_password2", exc)
            return self.form_invalid(form)
        update_session_auth_hash(self.request, user)  # stay signed in with the new hash
        return HttpResponseRedirect(self.get_success_url())


class PasswordChangeDoneView(auth_views.PasswordChangeDoneView):
    template_name = "accounts/password_done.html"


def _next(request: HttpRequest) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    # Only a path on this site: redirect() would take any other word for a view's name.
    if target.startswith("/") and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()},
                                                  require_https=request.is_secure()):
        return target
    return resolve_url(settings.LOGIN_REDIRECT_URL)


@never_cache
@login_required
def two_factor(request: HttpRequest) -> HttpResponse:
    """/accounts/2fa/: enrol (no confirmed TOTP device yet) or verify this session."""
    user: User = request.user  # type: ignore[assignment]
    if not twofactor.has_totp(user):
        return _enrol(request, user)
    if user.is_verified():  # type: ignore[attr-defined]
        return render(request, "accounts/two_factor_on.html", {"next": _next(request)})
    error = ""
    if request.method == "POST":
        device = twofactor.verify(user, request.POST.get("code", ""))
        if device is not None:
            twofactor.mark_verified(request, device)
            return redirect(_next(request))
        error = "wrong"
    return render(request, "accounts/two_factor_verify.html",
                  {"error": error, "next": _next(request)}, status=400 if error else 200)


def _enrol(request: HttpRequest, user: User) -> HttpResponse:
    device = twofactor.pending_totp(user)
    error = ""
    if request.method == "POST":
        codes = twofactor.confirm_totp(user, request.POST.get("code", ""))
        if codes is not None:
            device.refresh_from_db()
            twofactor.mark_verified(request, device)
            request.session[BACKUP_SESSION_KEY] = codes
            return redirect(f"{reverse('accounts:backup_codes')}?{urlencode({'next': _next(request)})}")
        error = "wrong"
    secret = base64.b32encode(device.bin_key).decode().rstrip("=")
    return render(request, "accounts/two_factor_enrol.html",
                  {"error": error, "secret": secret, "next": _next(request)},
                  status=400 if error else 200)


@never_cache
@login_required
@require_GET
def qr_code(request: HttpRequest) -> HttpResponse:
    """The QR code of the pending TOTP secret, as SVG (an image, no script)."""
    user: User = request.user  # type: ignore[assignment]
    if twofactor.has_totp(user):
        raise Http404
    device = twofactor.pending_totp(user)
    image = qrcode.make(device.config_url, image_factory=qrcode.image.svg.SvgPathImage, box_size=8)
    return HttpResponse(image.to_string(), content_type="image/svg+xml")


@never_cache
@login_required
def backup_codes(request: HttpRequest) -> HttpResponse:
    """The ten backup codes, shown once right after enrolment."""
    codes = request.session.pop(BACKUP_SESSION_KEY, None)
    if not codes:
        return redirect(_next(request))
    return render(request, "accounts/backup_codes.html", {"codes": codes, "next": _next(request)})


def locked_out(request: HttpRequest, original_response: Any = None, credentials: Any = None) -> HttpResponse:
    """django-axes' answer to a locked-out sign-in (AXES_LOCKOUT_CALLABLE): 429, in both languages."""
    minutes = int(settings.AXES_COOLOFF_TIME.total_seconds() // 60)
    response = render(request, "accounts/locked_out.html",
                      {"failure_limit": settings.AXES_FAILURE_LIMIT, "cooloff_minutes": minutes},
                      status=429)
    response["Retry-After"] = str(minutes * 60)
    return response
