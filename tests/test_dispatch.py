"""Which handler serves a request (nrs/web/dispatch.py): reads to sync views on the read
threads through Django's WSGI handler; writes and the async live stream through its ASGI
handler. Real URL resolution; the full path is exercised by every live test."""

from __future__ import annotations

import pytest
from django.urls import reverse

from nrs.web.dispatch import asgi_view, by_threads


def _scope(method: str, path: str, kind: str = "http") -> dict[str, object]:
    return {"type": kind, "method": method, "path": path}


@pytest.mark.parametrize("method", ["GET", "HEAD", "OPTIONS"])
def test_reads_of_sync_views_go_to_the_threads(method: str) -> None:
    for path in ("/dashboard/", "/api/analytics", "/no/such/page/"):
        assert by_threads(_scope(method, path)), path


@pytest.mark.parametrize("method", ["POST", "PUT", "PATCH", "DELETE"])
def test_writes_go_to_the_asgi_handler(method: str) -> None:
    for path in ("/api/dataValueSets", "/api/submissions/1/approve", "/accounts/login/"):
        assert not by_threads(_scope(method, path)), path


def test_the_live_stream_is_async_and_goes_to_the_asgi_handler() -> None:
    events = reverse("analytics:events")
    assert asgi_view(events)
    assert not asgi_view(reverse("analytics:overview"))
    assert not by_threads(_scope("GET", events))


def test_other_scopes_go_to_the_asgi_handler() -> None:
    assert not by_threads({"type": "lifespan"} | {"method": "GET", "path": "/"})
    assert not by_threads(_scope("GET", "/dashboard/", kind="websocket"))


def test_static_files_health_and_streamed_exports_go_to_the_asgi_handler() -> None:
    """They may hold a connection for long (a download at the client's pace) or must answer
    while the read threads are busy (the health probe)."""
    for path in ("/static/plotly/plotly.min.js", reverse("health"), reverse("audit:export")):
        assert not by_threads(_scope("GET", path)), path
