"""Optional OpenID Connect sign-in (mozilla-django-oidc), off unless NRS_OIDC_* is set.

The provider proves who someone is; NRS decides what they may do. A person at the provider
is its issuer and ``sub`` (ExternalIdentity, identities.py): after a user's first sign-in,
only that link signs them in. The first time, a person is matched to an existing active user
by one claim (NRS_OIDC_CLAIM: "email", which the provider must have verified, or "username"
for ``preferred_username``), and only if no other person of this issuer is linked to that
user. No role is ever granted from claims. Unknown people are refused, or created without
any grant when NRS_OIDC_CREATE_USERS=1; a username already taken is refused, never handed
out. Machine accounts (machines.py) never sign in here. Two-factor still
applies to privileged roles unless NRS_OIDC_TRUST_MFA=1 and the ID token's ``amr`` says
"mfa". There is no discovery (no internet): every endpoint is configured.
"""

from __future__ import annotations

from typing import Any

import jwt
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import SuspiciousOperation
from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.urls import path
from mozilla_django_oidc.auth import OIDCAuthenticationBackend
from mozilla_django_oidc.views import OIDCAuthenticationCallbackView, OIDCAuthenticationRequestView

from nrs.accounts import actions, machines, refusal
from nrs.accounts.identities import ExternalIdentity
from nrs.accounts.refusal import SignInRefused
from nrs.audit.events import EventType
from nrs.audit.log import record

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
        issuer, subject = str(payload["iss"]), str(payload["sub"])
        if str(info.get("sub", "")) != subject:  # OpenID Connect Core 5.3.2
            raise SuspiciousOperation("the userinfo subject is not the ID token's")
        link = ExternalIdentity.objects.select_related("user").filter(issuer=issuer, subject=subject).first()
        if link is not None:  # a known person: the link alone decides
            user = link.user if link.user.is_active else None
        else:
            user = self._first_sign_in(issuer, subject, info)
        if user is None:
            return None
        if machines.token_only(user):
            raise SignInRefused(refusal.TOKEN_ONLY, user.username, user)
        amr = payload.get("amr") or []
        trusted = settings.NRS_OIDC_TRUST_MFA and isinstance(amr, list) and "mfa" in amr
        self.request.session[EXTERNAL_MFA_KEY] = bool(trusted)
        return user

    def _first_sign_in(self, issuer: str, subject: str, info: dict[str, Any]) -> Any:
        """Match by the configured claim and link; or provision; or None (refused)."""
        if not self.verify_claims(info):
            raise SuspiciousOperation("the matching claim is missing")
        claim, _field = self._claim()
        if claim == "email" and not _verified(info):
            raise SignInRefused(refusal.EMAIL_UNVERIFIED, str(info.get(USERNAME_CLAIM) or ""))
        users = list(self.filter_users_by_claims(info)[:2])
        if len(users) > 1:
            raise SuspiciousOperation("several users match")
        if users:
            if ExternalIdentity.objects.filter(user=users[0], issuer=issuer).exists():
                raise SignInRefused(refusal.ALREADY_LINKED, users[0].username, users[0])
            try:
                return _link(users[0], issuer, subject)
            except IntegrityError:  # another person of this issuer was linked a moment ago
                raise SignInRefused(refusal.ALREADY_LINKED, users[0].username, users[0]) from None
        if settings.NRS_OIDC_CREATE_USERS:
            return self._provision(issuer, subject, info)
        return None

    def _provision(self, issuer: str, subject: str, info: dict[str, Any]) -> Any:
        """A new user with no grant and no password, linked to this person. A username that
        is taken (in any letter case) is refused: never an existing account."""
        claim, _field = self._claim()
        username = str(info.get(USERNAME_CLAIM) or info.get(claim) or "")[:150]
        if not username:
            raise SuspiciousOperation("no username to create")
        if self.UserModel.objects.filter(username__iexact=username).exists():
            raise SignInRefused(refusal.USERNAME_TAKEN, username)
        try:
            with transaction.atomic():
                user, created = actions.create_user(
                    username, None, full_name=str(info.get("name") or "")[:200],
                    email=str(info.get("email") or "") if _verified(info) else "", check_password=False)
                if not created:  # taken between the check and the insert
                    raise SignInRefused(refusal.USERNAME_TAKEN, username)
                return _link(user, issuer, subject)
        except IntegrityError:  # the same race, caught by the unique username or link
            raise SignInRefused(refusal.USERNAME_TAKEN, username) from None

    def create_user(self, claims: dict[str, Any]) -> Any:
        """Not used: provisioning goes through _provision (which links the identity)."""
        raise NotImplementedError


def _verified(info: dict[str, Any]) -> bool:
    """Has the provider verified the e-mail? (Some providers send the string "true".)"""
    value = info.get("email_verified")
    return value is True or (isinstance(value, str) and value.lower() == "true")


@transaction.atomic
def _link(user: Any, issuer: str, subject: str) -> Any:
    """Link ``user`` to the person (issuer, subject); audited as a change of the user."""
    ExternalIdentity.objects.create(user=user, issuer=issuer, subject=subject)
    record(EventType.USER_CHANGED, obj=user, summary=f"{user.username}: linked to {issuer}"[:300],
           data={"external_identity": {"old": None, "new": {"issuer": issuer, "subject": subject}}})
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
        try:
            return super().dispatch(request, *args, **kwargs)  # type: ignore[no-any-return]
        except SignInRefused as refused:
            return refusal.response(request, refused, via="oidc")


# Mounted at /oidc/ always; every view answers 404 until OpenID Connect is configured.
urlpatterns = [
    path("authenticate/", AuthenticateView.as_view(), name="oidc_authentication_init"),
    path("callback/", CallbackView.as_view(), name="oidc_authentication_callback"),
]
