"""API authentication: `Authorization: Bearer nrs_<prefix>_<secret>` tokens."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja.security import HttpBearer

from nrs.accounts.tokens import verify_token


class TokenAuth(HttpBearer):
    def authenticate(self, request: HttpRequest, token: str) -> Any:
        found = verify_token(token)
        if found is None:
            return None
        request.user = found.user
        request.nrs_token = found  # type: ignore[attr-defined]
        return found


def request_token(request: HttpRequest) -> Any:
    """The API token of this request, or None for a browser session."""
    return getattr(request, "nrs_token", None)
