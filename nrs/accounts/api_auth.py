"""API authentication: `Authorization: Bearer nrs_<prefix>_<secret>` tokens, rate limited
per token (NRS_API_RATE for reads, NRS_API_WRITE_RATE for writes)."""

from __future__ import annotations

import json
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext_noop
from ninja.security import HttpBearer, SessionAuth

from nrs.accounts import ratelimit
from nrs.accounts.tokens import touch, verify_token
from nrs.i18n import bilingual


class TokenAuth(HttpBearer):
    def authenticate(self, request: HttpRequest, token: str) -> Any:
        return authenticate_bearer(request, token)


class BrowserSessionAuth(SessionAuth):
    """The browser session, with ninja's CSRF check, for requests that could be a browser's:
    a request carrying an Authorization header is a machine's (its token was wrong, or of a
    kind NRS does not take), and a request without a signed-in session has nothing for CSRF
    to protect. Both fall through to 401 instead of 403 "CSRF check Failed"."""

    def __call__(self, request: HttpRequest) -> Any:
        if "Authorization" in request.headers or not request.user.is_authenticated:
            return None
        return super().__call__(request)


def unauthorised() -> dict[str, str]:
    """The 401 answer's body, in both languages."""
    vi, en = bilingual(gettext_noop("sign in or send a valid API token (Authorization: Bearer nrs_…)"))
    return {"status": "error", "code": "unauthenticated", "ref": "Authorization", "message_vi": vi,
            "message_en": en}


def challenge(request: HttpRequest) -> str:
    """The WWW-Authenticate value of a 401 (RFC 6750): invalid_token when credentials came."""
    if "Authorization" in request.headers:
        return 'Bearer realm="nrs", error="invalid_token"'
    return 'Bearer realm="nrs"'


def bearer_secret(request: HttpRequest) -> str | None:
    """The secret of an `Authorization: Bearer …` header, or None (as ninja's HttpBearer
    reads it), for plain Django views outside the API such as /sdmx/."""
    scheme, _, secret = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not secret.strip():
        return None
    return secret.strip()


def authenticate_bearer(request: HttpRequest, token: str) -> Any:
    """The one token check, for the API and for plain views alike: verify the secret,
    count the request against the token's rate (RateLimited when over it), record its use,
    and make the token's user the request's user. Returns the token, or None."""
    found = verify_token(token)
    if found is None:
        return None
    group, rate = ratelimit.api_rate(request)
    wait = ratelimit.hit(request, group=group, key=found.prefix, rate=rate,
                         actor=found.user, obj=found, org_unit=found.org_unit)
    if wait is not None:
        raise ratelimit.RateLimited(wait)
    touch(found)
    request.user = found.user
    request.nrs_token = found  # type: ignore[attr-defined]
    return found


def request_token(request: HttpRequest) -> Any:
    """The API token of this request, or None for a browser session."""
    return getattr(request, "nrs_token", None)


def install(api: Any) -> None:
    """Answer the API's rate-limit refusals with 429, a bilingual JSON body (code rate_limited)
    and Retry-After."""
    api.add_exception_handler(ratelimit.RateLimited, rate_limited)


def rate_limited(request: HttpRequest, exc: ratelimit.RateLimited) -> HttpResponse:
    """ratelimit.api_response, its body in the API's one error shape (code rate_limited)."""
    response = ratelimit.api_response(request, exc)
    body = json.loads(response.content)
    response.content = json.dumps({"code": "rate_limited", **body}, ensure_ascii=False).encode()
    return response


# -- DHIS2-style credentials (the /dhis2/{system}/api/ mount, issue 19 part 4) -------------------

DHIS2_CHALLENGE = 'Basic realm="DHIS2"'


def dhis2_token_text(secret: str) -> str:
    """An NRS token as DHIS2 clients may spell it: ``d2pat_<prefix>_<secret>`` (DHIS2's personal
    access token prefix) is the same token as ``nrs_<prefix>_<secret>``."""
    secret = secret.strip()
    return "nrs_" + secret[len("d2pat_"):] if secret.startswith("d2pat_") else secret


def _system_account(user: Any) -> bool:
    from nrs.accounts.models import Grant, Role

    return bool(user is not None and user.is_active
                and Grant.objects.active().filter(user=user, role=Role.SYSTEM).exists())


def authenticate_dhis2(request: HttpRequest) -> Any:
    """The credentials DHIS2 and dhis2-java-client send, checked the one way tokens are:

    - ``Authorization: ApiToken <token>`` (a DHIS2 personal access token header) carrying an NRS
      API token, written ``nrs_…`` or ``d2pat_…``;
    - ``Authorization: Basic`` with a user name and one of that user's API tokens as the password;
    - ``Authorization: Basic`` with a system account's user name and password (a user holding the
      SYSTEM role: people sign in with two factors, so their passwords are refused here), through
      Django's authenticate and so django-axes' lockout.

    Returns the token (or the user, for a password), having set request.user; None when the
    credentials are missing or wrong. Raises ratelimit.RateLimited when over the token's rate."""
    import base64
    import binascii

    from django.contrib.auth import authenticate

    scheme, _sep, credentials = request.headers.get("Authorization", "").partition(" ")
    scheme, credentials = scheme.lower(), credentials.strip()
    if not credentials:
        return None
    if scheme in ("apitoken", "bearer"):
        return authenticate_bearer(request, dhis2_token_text(credentials))
    if scheme != "basic":
        return None
    try:
        decoded = base64.b64decode(credentials, validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError, ValueError):
        return None
    username, sep, password = decoded.partition(":")
    if not sep or not username or not password:
        return None
    text = dhis2_token_text(password)
    if text.startswith("nrs_"):
        found = verify_token(text)
        if found is None or found.user.get_username() != username:
            return None
        return authenticate_bearer(request, text)
    if ratelimit.account_locked(username):
        return None
    user = authenticate(request, username=username, password=password)
    if user is None or not _system_account(user):
        return None
    request.user = user
    return user
