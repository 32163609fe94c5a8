"""Vietnamese first: the language is Vietnamese unless the user chose English
(the language cookie set by the VI/EN switch). The browser's Accept-Language
is not consulted, so a government workstation set up in English still opens
the system in Vietnamese."""

from __future__ import annotations

import asyncio
import contextlib
import html
import json
import re
from collections.abc import Callable, Iterable
from typing import Any

from django.conf import settings
from django.core.exceptions import SuspiciousOperation
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.http.multipartparser import MultiPartParserError
from django.utils import translation
from django.utils.cache import add_never_cache_headers
from django.utils.translation import gettext_noop

from nrs.i18n import bilingual
from nrs.lib.errors import InputError

SUPPORTED = {code for code, _name in settings.LANGUAGES}


class VietnameseFirstLocaleMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        chosen = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME, "")
        language = chosen if chosen in SUPPORTED else settings.LANGUAGE_CODE
        translation.activate(language)
        request.LANGUAGE_CODE = language  # type: ignore[attr-defined]
        response = self.get_response(request)
        response.headers.setdefault("Content-Language", language)
        response.headers.setdefault("Vary", "Cookie")
        translation.deactivate()
        return response


class PermissionsPolicyMiddleware:
    """Permissions-Policy: the browser features NRS never uses are switched off."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        response.headers.setdefault("Permissions-Policy", settings.PERMISSIONS_POLICY)
        return response


# Bad input (issue 18, finding 10) -----------------------------------------------------------

MAX_QUERY_VALUE = 2000
# C0 control characters and DEL: PostgreSQL refuses NUL in text and XML refuses all but tab,
# line feed and carriage return. A path never holds any of them; a query value may hold the three.
_CONTROL_IN_PATH = re.compile(r"[\x00-\x1f\x7f]")
_CONTROL_IN_VALUE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
# Answered in JSON: the API, SDMX, the health check, the live stream and its freshness poll.
MACHINE_PREFIXES = ("/api/", "/sdmx/", "/health/", "/dashboard/events/", "/dashboard/freshness/")
FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


class BadInputMiddleware:
    """Refuses, before any view or database query, a request whose path holds a control byte
    (NUL above all), or whose query or form fields hold one or run over MAX_QUERY_VALUE
    characters: a bilingual 400, JSON for machine paths and a small page otherwise. One guard
    at the door instead of a check in every view (docs/security.md, issue 18 finding 10)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        problem = bad_input(request)
        if problem is not None:
            return refusal(request, problem)
        return self.get_response(request)


def bad_input(request: HttpRequest) -> InputError | None:
    """The first bad part of the request (its ref, both messages and its code), or None."""
    if _CONTROL_IN_PATH.search(request.path) or _CONTROL_IN_PATH.search(request.path_info):
        return InputError("path", *bilingual(gettext_noop("the path holds a control character (NUL)")),
                          code="control_character")
    fields: list[tuple[str, list[str]]] = list(request.GET.lists())
    if request.method == "POST" and request.content_type in FORM_TYPES:
        # Keep the raw body while it fits in memory: an API view that reads request.body after
        # this check (bulk, DHIS2, federation imports sent as a form) must still find it, not 500.
        try:
            _ = request.body
        except SuspiciousOperation:
            # Over DATA_UPLOAD_MAX_MEMORY_SIZE: not parsed here, so that the view still reads the
            # stream itself (a form's upload) or answers 413 (a raw-body import), never a 500.
            return _bad_field(fields)
        # Too many fields or malformed: left to the view's own answer (400).
        with contextlib.suppress(SuspiciousOperation, MultiPartParserError):
            fields += list(request.POST.lists())
    return _bad_field(fields)


def _bad_field(fields: Iterable[tuple[str, list[str]]]) -> InputError | None:
    for name, values in fields:
        ref = _CONTROL_IN_PATH.sub("?", name)[:100]
        if any(_CONTROL_IN_VALUE.search(text) for text in (name, *values)):
            vi, en = bilingual(gettext_noop("parameter %(ref)s holds a control character (NUL)"), ref=ref)
            return InputError(ref, vi, en, code="control_character")
        if any(len(text) > MAX_QUERY_VALUE for text in (name, *values)):
            vi, en = bilingual(gettext_noop("parameter %(ref)s is too long: at most %(limit)s characters"),
                               ref=ref, limit=MAX_QUERY_VALUE)
            return InputError(ref, vi, en, code="value_too_long")
    return None


def refusal(request: HttpRequest, problem: InputError) -> HttpResponse:
    """The bilingual 400: JSON for machine paths and JSON clients (the API's error shape, with
    its code), a small page otherwise."""
    vi, en = problem.vi, problem.en
    if request.path.startswith(MACHINE_PREFIXES) or "json" in request.headers.get("Accept", ""):
        return JsonResponse(problem.as_dict(), status=400, json_dumps_params={"ensure_ascii": False})
    page = (f'<!doctype html><html lang="vi"><meta charset="utf-8"><title>400</title>'
            f'<h1>{html.escape(vi)}</h1><p lang="en">{html.escape(en)}</p>'
            f'<p><a href="/">Trang chủ / Home</a></p></html>')
    return HttpResponse(page, status=400, content_type="text/html; charset=utf-8")


# Signed-in answers are never stored (issue 18, finding 12) ------------------------------------

class NoStoreMiddleware:
    """`Cache-Control: no-store` (and Django's never-cache set) on every answer to a signed-in
    user or an API token, whatever its type (HTML, JSON, CSV, XLSX, PDF, DOCX): a shared or
    browser cache must not keep a person's figures. Static files (whitenoise answers before
    the user is known) and anonymous answers keep their own caching."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        user = getattr(request, "user", None)
        if getattr(request, "nrs_token", None) is not None or (user is not None and user.is_authenticated):
            add_never_cache_headers(response)
            response.headers.setdefault("Pragma", "no-cache")
        return response


class BearerChallengeMiddleware:
    """Every 401 names the Bearer scheme (RFC 6750); when the request brought credentials
    that were refused, it says error="invalid_token" (the API, /sdmx/ and their kin alike)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if response.status_code == 401:
            if "WWW-Authenticate" in response.headers and not request.path.startswith("/api/"):
                pass  # the view's own challenge (the DHIS2 mount's Basic realm="DHIS2")
            elif "Authorization" in request.headers:
                response["WWW-Authenticate"] = 'Bearer realm="nrs", error="invalid_token"'
            else:
                response.headers.setdefault("WWW-Authenticate", 'Bearer realm="nrs"')
        return response


# ASGI: request-size limit (issue 7, docs/security.md) ------------------------------------------

ASGIApp = Callable[..., Any]


class BodyLimit:
    """ASGI wrapper around the Django application: a request body larger than ``limit``
    bytes gets 413 before Django reads or spools it. A declared Content-Length over the
    limit is refused at once; a chunked body is counted as it arrives and cut off at the
    limit (Django sees a client disconnect and lets go of what it had spooled).

    After the 413 the connection lingers, as nginx's lingering close does: the body still
    arriving is read and dropped until the client has been quiet for LINGER_IDLE seconds (at
    most LINGER_MOST), and only then is the connection closed. Closing a socket with unread
    data makes the kernel send a reset, which can destroy the 413 before the client reads it."""

    def __init__(self, app: ASGIApp, limit: int) -> None:
        self.app, self.limit = app, limit

    async def __call__(self, scope: dict[str, Any], receive: ASGIApp, send: ASGIApp) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = _content_length(scope)
        if declared is not None and declared > self.limit:
            await self._refuse(scope, receive, send)
            return
        state = {"received": 0, "exceeded": False, "started": False}

        async def limited_receive() -> dict[str, Any]:
            if state["exceeded"]:
                return {"type": "http.disconnect"}
            message: dict[str, Any] = await receive()
            if message["type"] == "http.request":
                state["received"] += len(message.get("body", b""))
                if state["received"] > self.limit:
                    state["exceeded"] = True
                    return {"type": "http.disconnect"}
            return message

        async def tracking_send(message: dict[str, Any]) -> None:
            if state["exceeded"]:
                return  # the 413 below answers instead
            if message["type"] == "http.response.start":
                state["started"] = True
            await send(message)

        await self.app(scope, limited_receive, tracking_send)
        if state["exceeded"] and not state["started"]:
            await self._refuse(scope, receive, send)

    async def _refuse(self, scope: dict[str, Any], receive: ASGIApp, send: ASGIApp) -> None:
        megabytes = self.limit // (1024 * 1024)
        vi, en = bilingual(gettext_noop("request too large: at most %(limit)s MB"), limit=megabytes)
        accept = dict(scope.get("headers") or []).get(b"accept", b"")
        if scope.get("path", "").startswith("/api/") or b"json" in accept:
            body = json.dumps({"status": "error", "code": "too_large", "ref": "body", "message_vi": vi,
                               "message_en": en}, ensure_ascii=False).encode()
            content_type = b"application/json"
        else:
            body = (f'<!doctype html><html lang="vi"><meta charset="utf-8"><title>413</title>'
                    f"<h1>{vi}</h1><p lang=\"en\">{en}</p></html>").encode()
            content_type = b"text/html; charset=utf-8"
        await send({"type": "http.response.start", "status": 413, "headers": [
            (b"content-type", content_type), (b"content-length", str(len(body)).encode()),
            (b"connection", b"close")]})
        # The whole answer goes out now; the response ends (and the server closes) after lingering.
        await send({"type": "http.response.body", "body": body, "more_body": True})
        await linger(receive)
        await send({"type": "http.response.body", "body": b""})


LINGER_IDLE = 1.0
LINGER_MOST = 5.0


async def linger(receive: ASGIApp, idle: float = LINGER_IDLE, most: float = LINGER_MOST) -> None:
    """Read and drop the rest of a refused body until the client is quiet for ``idle``
    seconds, it disconnects or ends the body, or ``most`` seconds have passed."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + most
    while (left := deadline - loop.time()) > 0:
        try:
            message = await asyncio.wait_for(receive(), timeout=min(idle, left))
        except TimeoutError:
            return
        if message["type"] != "http.request" or not message.get("more_body"):
            return


def _content_length(scope: dict[str, Any]) -> int | None:
    for name, value in scope.get("headers") or []:
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None
    return None
