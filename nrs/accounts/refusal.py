"""A sign-in NRS refuses on purpose (not a wrong password): a clear page in the reader's
language, HTTP 403, and a SIGNIN_REFUSED event in the audit log."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _

from nrs.accounts.ratelimit import client_meta
from nrs.audit.events import EventType
from nrs.audit.log import record

# Why a sign-in was refused (the audit event's data["reason"]).
TOKEN_ONLY = "token_only"
USERNAME_TAKEN = "username_taken"
ALREADY_LINKED = "already_linked"
EMAIL_UNVERIFIED = "email_unverified"


class SignInRefused(Exception):
    """Raised where a sign-in is refused; the view turns it into ``response``."""

    def __init__(self, reason: str, username: str = "", user: Any = None) -> None:
        super().__init__(f"sign-in refused: {reason}")
        self.reason, self.username, self.user = reason, username[:150], user


def message(reason: str, username: str = "") -> str:
    if reason == TOKEN_ONLY:
        return _("This is a machine account: it reaches NRS only with an API token and cannot sign in "
                 "to the web pages.")
    if reason == USERNAME_TAKEN:
        return _("The username %(username)s is already taken, and an identity provider never signs "
                 "in to an existing account by its name. Ask an administrator to link your "
                 "account.") % {"username": username}
    if reason == ALREADY_LINKED:
        return _("This account is already linked to another person at this identity provider.")
    if reason == EMAIL_UNVERIFIED:
        return _("The identity provider has not verified this e-mail address.")
    return _("This sign-in is refused.")


def audit(request: HttpRequest, refused: SignInRefused, *, via: str) -> None:
    with transaction.atomic():
        record(EventType.SIGNIN_REFUSED, obj=refused.user, summary=f"{refused.username}: {refused.reason}",
               data={"reason": refused.reason, "username": refused.username, "via": via,
                     **client_meta(request)})


def response(request: HttpRequest, refused: SignInRefused, *, via: str) -> HttpResponse:
    """Audit the refusal and answer with the page."""
    audit(request, refused, via=via)
    return render(request, "accounts/signin_refused.html",
                  {"message": message(refused.reason, refused.username)}, status=403)
