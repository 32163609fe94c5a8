"""ASGI: reads run on a fixed pool of threads through Django's WSGI handler (decision 36).

Django's ASGI handler runs a sync view in a new thread per request and crosses between the
event loop and threads three times on the way (sync middleware, async middleware, the sync
view); profiled under 50 clients, that crossing was half of a worker's CPU. A read (GET,
HEAD, OPTIONS) to a sync view has no body to stream in and nothing to wait for but the
database, so it goes through Django's WSGI handler on a pool of ``threads`` threads (a2wsgi):
one crossing, and the threads keep their database connections' pool warm. Everything else —
writes (their bodies, chunked ones included, are spooled by the ASGI handler as before) and
async views (the live stream), static files and sync views marked ``on_asgi`` (a streamed
export, the health probe) — goes to Django's ASGI handler. A write therefore never waits
for a free read thread: an approval is not queued behind the dashboards' page loads.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache
from typing import Any, TypeVar

from a2wsgi import WSGIMiddleware
from asgiref.sync import iscoroutinefunction
from django.conf import settings
from django.urls import Resolver404, resolve

from nrs.web.middleware import ASGIApp

View = TypeVar("View", bound=Callable[..., Any])
READS = frozenset({"GET", "HEAD", "OPTIONS"})


def on_asgi(view: View) -> View:
    """Marks a sync view that streams its answer (an export): Django's ASGI handler serves it,
    so a slow download never holds one of the few read threads while other pages wait."""
    view.nrs_on_asgi = True  # type: ignore[attr-defined]
    return view


@lru_cache(maxsize=4096)
def asgi_view(path: str) -> bool:
    """Whether ``path`` resolves to an async view or one marked ``on_asgi`` (an unknown path
    does not: it gets Django's 404)."""
    try:
        func = resolve(path).func
    except Resolver404:
        return False
    return iscoroutinefunction(func) or getattr(func, "nrs_on_asgi", False)


def by_threads(scope: dict[str, Any]) -> bool:
    """Whether this request goes to the read threads. Static files (WhiteNoise: up to a few MB
    each, at the client's pace) go to the ASGI handler."""
    if scope["type"] != "http" or scope["method"] not in READS:
        return False
    path = scope["path"]
    return not (path.startswith(settings.STATIC_URL) or asgi_view(path))


class ReadsOnThreads:
    """Routes each request to the read threads (WSGI) or to Django's ASGI handler."""

    def __init__(self, asgi: ASGIApp, wsgi: Callable[..., Any], threads: int) -> None:
        self.asgi = asgi
        self.reads: ASGIApp = WSGIMiddleware(wsgi, workers=threads)  # type: ignore[arg-type]

    async def __call__(self, scope: dict[str, Any], receive: ASGIApp, send: ASGIApp) -> None:
        app = self.reads if by_threads(scope) else self.asgi
        await app(scope, receive, send)
