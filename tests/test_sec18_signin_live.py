"""Issue 18, finding 7, over the network: the real `nrs serve` on loopback, with no trusted
proxy configured, must not let a new X-Forwarded-For value per request dodge the lockout
(before the fix: 12 wrong passwords and no lockout, then the right one worked)."""

from __future__ import annotations

import http.cookiejar
import re
import urllib.error
import urllib.parse
import urllib.request

import pytest

from tests.live import PASSWORD  # the live node's users' password

pytestmark = [pytest.mark.django_db, pytest.mark.ci_pg_only]

ATTEMPTS = 12
FAILURE_LIMIT = 5  # settings.AXES_FAILURE_LIMIT's default, which the live node runs with


def _post_login(base: str, username: str, password: str, forwarded_for: str) -> int:
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar), _NoRedirect())
    with opener.open(f"{base}/accounts/login/", timeout=30) as response:
        found = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', response.read())
    assert found is not None
    fields = {"csrfmiddlewaretoken": found.group(1).decode(), "username": username, "password": password}
    request = urllib.request.Request(
        f"{base}/accounts/login/", data=urllib.parse.urlencode(fields).encode(),
        headers={"Referer": f"{base}/accounts/login/", "X-Forwarded-For": forwarded_for})
    try:
        with opener.open(request, timeout=30) as response:
            return int(response.status)
    except urllib.error.HTTPError as error:
        return int(error.code)


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        return None


def _attempts(base: str, username: str) -> list[int]:
    return [_post_login(base, username, "wrong-password", f"203.0.113.{n + 1}") for n in range(ATTEMPTS)]


def test_a_new_forwarded_for_per_request_does_not_dodge_the_lockout(live_node):
    live_node.user("xff.target", "viewer", "01")
    plain_http = {"NRS_SECURE_COOKIES": "false", "NRS_REQUIRE_2FA": "false"}  # sign-in over plain HTTP
    base = live_node.start(workers=2, env=plain_http)  # no NRS_TRUSTED_PROXIES: the default
    try:
        statuses = _attempts(base, "xff.target")
        # Wrong passwords answer 200 (the form again) until the limit, then 429.
        assert statuses[:FAILURE_LIMIT - 1] == [200] * (FAILURE_LIMIT - 1), statuses
        assert statuses[FAILURE_LIMIT - 1:] == [429] * (ATTEMPTS - FAILURE_LIMIT + 1), statuses
        # And the right password, with yet another forged address, is refused too.
        assert _post_login(base, "xff.target", PASSWORD, "203.0.113.200") == 429
    finally:
        live_node.kill(base)


def test_the_forwarded_for_of_a_configured_proxy_is_believed(live_node):
    """The other side: with loopback configured as the proxy (what uvicorn did unasked before
    the fix), each forged address counts on its own and the lockout never comes."""
    live_node.user("xff.proxied", "viewer", "01")
    env = {"NRS_SECURE_COOKIES": "false", "NRS_REQUIRE_2FA": "false", "NRS_TRUSTED_PROXIES": "127.0.0.1"}
    base = live_node.start(env=env)
    try:
        assert _attempts(base, "xff.proxied") == [200] * ATTEMPTS
        assert _post_login(base, "xff.proxied", PASSWORD, "203.0.113.200") == 302
    finally:
        live_node.kill(base)
