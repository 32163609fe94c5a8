"""CSRF everywhere: every URL in the URL conf, posted to by a signed-in person without a CSRF
token, is refused with 403. Generated from the URL conf, so a new view is covered the day it
is added, and a view marked csrf_exempt fails this test. The API's machine clients use bearer
tokens (not cookies, so nothing for a forged request to ride on); the API's session
authentication enforces CSRF itself, which is checked here too."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver

pytestmark = pytest.mark.django_db
BODY = '{"regime": "PROV_KTXH_M", "orgUnit": "01", "period": "2026-09", "dataValues": []}'


def _patterns(resolver: URLResolver, prefix: str = "") -> Iterator[tuple[str, URLPattern]]:
    for entry in resolver.url_patterns:
        if isinstance(entry, URLResolver):
            yield from _patterns(entry, prefix + str(entry.pattern))
        else:
            yield prefix + str(entry.pattern), entry


def _url(route: str) -> str | None:
    """A concrete URL for a route: each <converter:name> filled with a sample value."""
    if route.startswith("^") or "(?P" in route:  # a regex route (the admin's app index)
        return None
    filled = re.sub(r"<(?:(\w+):)?\w+>", lambda m: "1" if m.group(1) == "int" else "x", route)
    return "/" + filled


def _routes() -> list[tuple[str, str]]:
    found = []
    for route, pattern in _patterns(get_resolver()):
        url = _url(route)
        if url is not None:
            found.append((url, pattern.lookup_str))
    return found


def test_the_walk_covers_the_site() -> None:
    urls = [url for url, _ in _routes()]
    for expected in ("/accounts/login/", "/accounts/logout/", "/i18n/setlang/", "/admin/",
                     "/api/dataValueSets", "/report/x/x/x/", "/briefings/"):
        assert expected in urls, expected
    assert len(urls) > 60


def test_every_post_without_a_csrf_token_is_refused(coordinator) -> None:  # type: ignore[no-untyped-def]
    client = Client(enforce_csrf_checks=True)
    client.force_login(coordinator)
    accepted = []
    for url, view in _routes():
        answer = client.post(url, {"comment": "x"})
        if url.startswith("/api/"):
            # Ninja: session authentication checks CSRF (403); GET-only operations say 405.
            ok = (answer.status_code == 403 and b"CSRF" in answer.content) or answer.status_code == 405
        else:
            ok = answer.status_code == 403 and b"CSRF" in answer.content
        if not ok:
            accepted.append((url, view, answer.status_code))
    assert accepted == []


def test_api_writes_with_a_session_need_the_csrf_token(hanoi_reporter) -> None:  # type: ignore[no-untyped-def]
    client = Client(enforce_csrf_checks=True)
    client.force_login(hanoi_reporter)
    refused = client.post("/api/dataValueSets?dryRun=true", BODY, content_type="application/json")
    assert refused.status_code == 403 and b"CSRF" in refused.content
    client.get("/accounts/login/")  # sets the CSRF cookie, as a page the person opened would
    token = client.cookies["csrftoken"].value
    allowed = client.post("/api/dataValueSets?dryRun=true", BODY, content_type="application/json",
                          headers={"X-CSRFToken": token})
    assert allowed.status_code == 200, allowed.content  # exactly: a 500 (or any refusal) fails
    answer = allowed.json()
    assert answer["dryRun"] is True and answer["status"] == "ok" and answer["saved"] == 0, answer


def test_a_session_form_post_without_the_token_gets_the_csrf_page(hanoi_reporter) -> None:  # type: ignore[no-untyped-def]
    """The report form, posted with the session cookie but no token: 403 and Django's CSRF page
    (not a 500, not a redirect); with the token the same post is not refused."""
    client = Client(enforce_csrf_checks=True)
    client.force_login(hanoi_reporter)
    url = "/report/PROV_KTXH_M/01/2026-10/"
    refused = client.post(url, {"action": "save"})
    assert refused.status_code == 403
    assert refused["Content-Type"].startswith("text/html") and b"CSRF" in refused.content
    token = client.get(url).cookies.get("csrftoken") or client.cookies["csrftoken"]
    allowed = client.post(url, {"action": "save", "csrfmiddlewaretoken": token.value})
    assert allowed.status_code in (200, 302), allowed.status_code  # the form's own answer


@pytest.mark.parametrize("authorization", [None, "Bearer nrs_not-a-real-token", "Bearer "])
def test_an_api_post_without_a_valid_bearer_token_is_401(authorization: str | None) -> None:
    """No session and no valid token: 401 (not authenticated), never 403 "CSRF check Failed"
    (there is no cookie a forged request could ride on) and never a 500."""
    headers = {"Authorization": authorization} if authorization is not None else {}
    answer = Client(enforce_csrf_checks=True).post("/api/dataValueSets?dryRun=true", BODY,
                                                   content_type="application/json", headers=headers)
    assert answer.status_code == 401, (answer.status_code, answer.content[:300])
