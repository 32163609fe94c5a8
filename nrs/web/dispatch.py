"""ASGI: reads run on a fixed pool of threads through Django's WSGI handler (decision 36).

Django's ASGI handler runs a sync view in a new thread per request and crosses between the
event loop and threads three times on the way (sync middleware, async middleware, the sync
view); profiled under 50 clients, that crossing was half of a worker's CPU. A read (GET,
HEAD, OPTIONS) to a sync view has no body to stream in and nothing to wait for but the
database, so it goes through Django's WSGI handler on a pool of ``threads`` threads (a2wsgi):
one crossing, and the threads keep their database connections' pool warm. Everything else —
writes (their bodies, chunked ones included, are spooled by the ASGI handler as before) and
async views (the live stream) — goes to Django's ASGI handler. A write therefore never waits
for a free read thread: an approval is not queued behind the dashboards' page loads.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache
from typing import Any

from a2wsgi import WSGIMiddleware
from asgiref.sync import iscoroutinefunction
from django.urls import Resolver404, resolve

ASGIApp = Callable[..., Any]
READS = frozenset({"GET", "HEAD", "OPTIONS"})


@lru_cache(maxsize=4096)
def async_view(path: str) -> bool:
    """Whether ``path`` resolves to an async view (an unknown path is not: it gets Django's 404)."""
    try:
        return iscoroutinefunction(resolve(path).func)
    except Resolver404:
        return False


def by_threads(scope: dict[str, Any]) -> bool:
    """Whether this request goes to the read threads."""
    return scope["type"] == "http" and scope["method"] in READS and not async_view(scope["path"])


class ReadsOnThreads:
    """Routes each request to the read threads (WSGI) or to Django's ASGI handler."""

    def __init__(self, asgi: ASGIApp, wsgi: Callable[..., Any], threads: int) -> None:
        self.asgi = asgi
        self.reads: ASGIApp = WSGIMiddleware(wsgi, workers=threads)  # type: ignore[arg-type]

    async def __call__(self, scope: dict[str, Any], receive: ASGIApp, send: ASGIApp) -> None:
        app = self.reads if by_threads(scope) else self.asgi
        await app(scope, receive, send)
