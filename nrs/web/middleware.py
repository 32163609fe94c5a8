"""Vietnamese first: the language is Vietnamese unless the user chose English
(the language cookie set by the VI/EN switch). The browser's Accept-Language
is not consulted, so a government workstation set up in English still opens
the system in Vietnamese."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils import translation

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
        vi = f"Yêu cầu quá lớn: tối đa {megabytes} MB"
        en = f"request too large: at most {megabytes} MB"
        accept = dict(scope.get("headers") or []).get(b"accept", b"")
        if scope.get("path", "").startswith("/api/") or b"json" in accept:
            body = json.dumps({"status": "error", "ref": "body", "message_vi": vi,
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
