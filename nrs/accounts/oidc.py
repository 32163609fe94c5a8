"""Optional OpenID Connect sign-in (mozilla-django-oidc), off unless NRS_OIDC_* is set.

The provider proves who someone is; NRS decides what they may do. A signed-in person is
matched to an existing active user by one claim (NRS_OIDC_CLAIM: "email", or "username"
for ``preferred_username``); no role is ever granted from claims. Unknown people are
refused, or created without any grant when NRS_OIDC_CREATE_USERS=1. Two-factor still
applies to privileged roles unless NRS_OIDC_TRUST_MFA=1 and the ID token's ``amr`` says
"mfa". There is no discovery (no internet): every endpoint is configured.
"""

from __future__ import annotations

from typing import Any

import jwt
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import SuspiciousOperation
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.urls import path
from mozilla_django_oidc.auth import OIDCAuthenticationBackend
from mozilla_django_oidc.views import OIDCAuthenticationCallbackView, OIDCAuthenticationRequestView

from nrs.accounts import actions

# Session key set when the identity provider did the second factor (middleware.py reads it).
EXTERNAL_MFA_KEY = "nrs_external_mfa"
USERNAME_CLAIM = "preferred_username"


def configured() -> bool:
    """Is OpenID Connect sign-in switched on (every required setting present)?"""
    needed = [settings.NRS_OIDC_ISSUER, settings.OIDC_RP_CLIENT_ID, settings.OIDC_RP_CLIENT_SECRET,
              settings.OIDC_OP_AUTHORIZATION_ENDPOINT, settings.OIDC_OP_TOKEN_ENDPOINT,
              settings.OIDC_OP_USER_ENDPOINT]
    symmetric = settings.OIDC_RP_SIGN_ALGO.startswith("HS")
    return all(needed) and (symmetric or bool(settings.OIDC_OP_JWKS_ENDPOINT))


class OIDCBackend(OIDCAuthenticationBackend):  # type: ignore[misc]
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self.enabled = configured()
        if self.enabled:
            super().__init__(*args, **kwargs)
        self.UserModel = get_user_model()

    def authenticate(self, request: HttpRequest | None, **kwargs: Any) -> Any:
        if not self.enabled or request is None or "nonce" not in kwargs:
            return None  # not an OIDC callback: leave it to the other backends
        return super().authenticate(request, **kwargs)

    def _verify_jws(self, payload: str, key: Any) -> dict[str, Any]:
        """Signature (by the parent), then audience (our client id), issuer and expiry."""
        header = jwt.get_unverified_header(payload)
        if header.get("alg") != self.OIDC_RP_SIGN_ALGO:
            raise SuspiciousOperation("unexpected ID token algorithm")
        try:
            claims: dict[str, Any] = jwt.decode(
                payload, key, algorithms=[self.OIDC_RP_SIGN_ALGO], audience=self.OIDC_RP_CLIENT_ID,
                issuer=settings.NRS_OIDC_ISSUER, options={"require": ["exp", "iss", "aud", "sub"]})
        except jwt.InvalidTokenError as exc:
            raise SuspiciousOperation(f"ID token refused: {exc}") from None
        return claims

    def _claim(self) -> tuple[str, str]:
        """(claim name, User field) used to match a person to a user."""
        if settings.NRS_OIDC_CLAIM == "username":
            return USERNAME_CLAIM, "username"
        return "email", "email"

    def verify_claims(self, claims: dict[str, Any]) -> bool:
        claim, _field = self._claim()
        return bool(claims.get(claim))

    def filter_users_by_claims(self, claims: dict[str, Any]) -> QuerySet[Any]:
        claim, field = self._claim()
        value = str(claims.get(claim) or "")
        if not value:
            return self.UserModel.objects.none()
        return self.UserModel.objects.filter(is_active=True, **{f"{field}__iexact": value})

    def get_or_create_user(self, access_token: str, id_token: str, payload: dict[str, Any]) -> Any:
        info = self.get_userinfo(access_token, id_token, payload)
        if not self.verify_claims(info):
            raise SuspiciousOperation("the matching claim is missing")
        users = list(self.filter_users_by_claims(info)[:2])
        if len(users) > 1:
            raise SuspiciousOperation("several users match")
        if users:
            user = users[0]
        elif settings.NRS_OIDC_CREATE_USERS:
            user = self.create_user(info)
        else:
            return None
        amr = payload.get("amr") or []
        trusted = settings.NRS_OIDC_TRUST_MFA and isinstance(amr, list) and "mfa" in amr
        self.request.session[EXTERNAL_MFA_KEY] = bool(trusted)
        return user

    def create_user(self, claims: dict[str, Any]) -> Any:
        """A new user with no grant and no password (they sign in only through the provider)."""
        claim, _field = self._claim()
        username = str(claims.get(USERNAME_CLAIM) or claims.get(claim) or "")[:150]
        user, _created = actions.create_user(
            username, None, full_name=str(claims.get("name") or "")[:200],
            email=str(claims.get("email") or ""), check_password=False)
        return user


class AuthenticateView(OIDCAuthenticationRequestView):  # type: ignore[misc]
    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not configured():
            raise Http404
        return super().dispatch(request, *args, **kwargs)  # type: ignore[no-any-return]


class CallbackView(OIDCAuthenticationCallbackView):  # type: ignore[misc]
    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not configured():
            raise Http404
        return super().dispatch(request, *args, **kwargs)  # type: ignore[no-any-return]


# Mounted at /oidc/ always; every view answers 404 until OpenID Connect is configured.
urlpatterns = [
    path("authenticate/", AuthenticateView.as_view(), name="oidc_authentication_init"),
    path("callback/", CallbackView.as_view(), name="oidc_authentication_callback"),
]
