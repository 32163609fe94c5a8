"""NRS on Redis (NRS_REDIS_URL), against a real Redis at 127.0.0.1:6379 (NRS_TEST_REDIS_URL to
change it): the cache, huey's queue and the live stream's pub/sub channel, all under a prefix of
this test's own (parallel CI jobs share one Redis), removed afterwards. Under CI=true these tests
run (an unreachable Redis fails them); elsewhere they are skipped when Redis is unreachable.

In-process: the cache round-trips under the prefix, a committed `Refresh` is announced on the
channel (a rolled-back one is not), and the live stream wakes on the announcement long before it
would have read the database again. Over real HTTP: `nrs serve` with its worker, configured
for Redis, applies a bulk import's queued refresh taken from the Redis queue, and an open
/dashboard/events/ stream receives the refresh through the channel.
"""

from __future__ import annotations

import asyncio
import http.client
import http.cookiejar
import json
import os
import queue
import re
import subprocess
import sys
import threading
import time
import urllib.parse
import urllib.request
import uuid
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest
import redis
from asgiref.sync import async_to_sync, sync_to_async
from django.core.cache import caches
from django.db import transaction
from django.test import override_settings

from nrs.analytics import live, views
from nrs.analytics.models import Refresh
from tests.live import PASSWORD, LiveNode, call
from tests.test_bulk_api import communes, line
from tests.test_bulk_live import _analytics

pytestmark = pytest.mark.django_db
REDIS_URL = os.environ.get("NRS_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")


@pytest.fixture
def redis_prefix() -> Iterator[str]:
    """A prefix of this test's own on a reachable Redis; its keys are deleted afterwards."""
    client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2)
    try:
        client.ping()
    except redis.RedisError as exc:
        if os.environ.get("CI", "").lower() in {"1", "true", "yes"}:
            pytest.fail(f"Redis at {REDIS_URL} is unreachable under CI: {exc}")
        pytest.skip(f"Redis at {REDIS_URL} is unreachable: {exc}")
    prefix = f"nrs_test_{uuid.uuid4().hex[:12]}"
    try:
        yield prefix
    finally:
        keys = list(client.scan_iter(match=f"*{prefix}*", count=1000))
        if keys:
            client.delete(*keys)
        assert not list(client.scan_iter(match=f"*{prefix}*"))
        client.close()


def _redis_settings(prefix: str, **extra: Any) -> override_settings:
    cache = {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL, "KEY_PREFIX": prefix}
    return override_settings(REDIS_URL=REDIS_URL, NRS_REDIS_PREFIX=prefix,
                             CACHES={"default": cache, "ratelimit": cache}, **extra)


def test_the_cache_lives_in_redis_under_the_prefix(redis_prefix: str) -> None:
    with _redis_settings(redis_prefix):
        for alias in ("default", "ratelimit"):
            caches[alias].set(f"probe-{alias}", {"figure": 42}, 60)
            assert caches[alias].get(f"probe-{alias}") == {"figure": 42}
        assert caches["ratelimit"].add("counter", 1, 60) and caches["ratelimit"].incr("counter") == 2
        stored = redis.Redis.from_url(REDIS_URL).keys(f"{redis_prefix}:*")
        assert {key.decode() for key in stored} == {f"{redis_prefix}:1:probe-default",
                                                   f"{redis_prefix}:1:probe-ratelimit", f"{redis_prefix}:1:counter"}


def _subscribed(prefix: str) -> redis.client.PubSub:
    pubsub = redis.Redis.from_url(REDIS_URL).pubsub(ignore_subscribe_messages=True)
    pubsub.subscribe(f"{prefix}:refresh")
    assert pubsub.get_message(timeout=5) is None  # the subscription's confirmation
    return pubsub


def _message(pubsub: redis.client.PubSub, seconds: float = 5) -> Any:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if (message := pubsub.get_message(timeout=deadline - time.monotonic())) is not None:
            return message
    return None


def test_a_committed_refresh_is_announced_and_a_rolled_back_one_is_not(
        redis_prefix: str, django_capture_on_commit_callbacks: Any) -> None:
    pubsub = _subscribed(redis_prefix)
    with _redis_settings(redis_prefix):
        assert live.channel() == f"{redis_prefix}:refresh"
        with django_capture_on_commit_callbacks() as callbacks, transaction.atomic():
            Refresh.objects.create(reason="rolled back", cells=0)
            transaction.set_rollback(True)
        assert callbacks == []
        with django_capture_on_commit_callbacks(execute=True):
            made = Refresh.objects.create(reason="redis test", cells=1)
            assert _message(pubsub, 0.5) is None  # not before the commit
        message = _message(pubsub)
        assert message is not None and message["channel"] == f"{redis_prefix}:refresh".encode()
        assert int(message["data"]) == made.pk
    # Without Redis nothing is announced (and nothing waits for the commit).
    with django_capture_on_commit_callbacks() as callbacks:
        Refresh.objects.create(reason="no redis", cells=0)
    assert callbacks == []
    pubsub.close()


def test_the_live_stream_wakes_on_the_announcement(redis_prefix: str, django_capture_on_commit_callbacks: Any) -> None:
    """The database is read again only every 60 s here, so an event within seconds of the
    refresh can only come from the channel."""
    first = Refresh.objects.create(reason="before", cells=0)

    def refresh_now() -> int:
        with django_capture_on_commit_callbacks(execute=True):
            return Refresh.objects.create(reason="announced", cells=1).pk

    async def scenario() -> tuple[str, float, int]:
        stream = views._stream(first.pk, once=True)
        assert await anext(stream) == "retry: 2000\n\n"
        waiting = asyncio.ensure_future(anext(stream))
        await asyncio.sleep(0.5)  # subscribed, read the database: nothing newer than `first`
        assert not waiting.done()
        made = await sync_to_async(refresh_now)()
        began = time.monotonic()
        chunk = await asyncio.wait_for(waiting, 10)
        await stream.aclose()
        return chunk, time.monotonic() - began, made

    with _redis_settings(redis_prefix, NRS_LIVE_FALLBACK_SECONDS=60):
        chunk, seconds, made = async_to_sync(scenario)()
    assert chunk.startswith("event: refresh\n") and json.loads(chunk.split("data: ", 1)[1])["id"] == made
    assert seconds < 5


def test_settings_namespace_the_cache_and_the_queue(redis_prefix: str, tmp_path: Any) -> None:
    """NRS_REDIS_PREFIX names the cache keys and huey's Redis queue; by default the prefix is
    derived from the database, so two instances on one Redis get two queues."""
    script = ("import django; django.setup(); from django.conf import settings; "
              "from huey.contrib.djhuey import HUEY; "
              "print('RESULT', settings.NRS_REDIS_PREFIX, settings.CACHES['default']['KEY_PREFIX'], "
              "type(HUEY).__name__, HUEY.storage.queue_key)")

    def run(**env: str) -> list[str]:
        base = {k: v for k, v in os.environ.items() if not k.startswith("NRS_")}
        result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True, timeout=60,
                                env={**base, "DJANGO_SETTINGS_MODULE": "nrs.settings", "NRS_VAR_DIR": str(tmp_path),
                                     "NRS_REDIS_URL": REDIS_URL, **env})
        return next(line_.split()[1:] for line_ in result.stdout.splitlines() if line_.startswith("RESULT "))

    assert run(NRS_REDIS_PREFIX=redis_prefix) == [redis_prefix, redis_prefix, "RedisHuey",
                                                  f"huey.redis.{redis_prefix}"]
    one = run(NRS_DATABASE_URL=f"sqlite:///{tmp_path / 'one.sqlite3'}")
    other = run(NRS_DATABASE_URL=f"sqlite:///{tmp_path / 'other.sqlite3'}")
    assert one[0] != other[0] and one[0].startswith("nrs_") and one[3] == f"huey.redis.{one[0]}"
    assert run(NRS_DATABASE_URL=f"sqlite:///{tmp_path / 'one.sqlite3'}") == one  # stable


# -- over real HTTP ------------------------------------------------------------------------------

def _sign_in(base: str, username: str) -> str:
    """A session cookie header for ``username`` (the login form, as a browser does)."""
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    with opener.open(f"{base}/accounts/login/", timeout=30) as response:
        found = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', response.read())
    assert found is not None
    fields = {"csrfmiddlewaretoken": found.group(1).decode(), "username": username, "password": PASSWORD, "next": "/"}
    request = urllib.request.Request(f"{base}/accounts/login/", data=urllib.parse.urlencode(fields).encode(),
                                     headers={"Referer": f"{base}/accounts/login/"})
    with opener.open(request, timeout=30):
        pass
    cookies = "; ".join(f"{c.name}={c.value}" for c in jar)
    assert "sessionid=" in cookies, cookies
    return cookies


class EventStream(threading.Thread):
    """Reads /dashboard/events/ and queues (arrival time, refresh id) per `event: refresh`."""

    def __init__(self, base: str, cookies: str, since: int) -> None:
        super().__init__(daemon=True)
        parts = urllib.parse.urlsplit(base)
        self.conn = http.client.HTTPConnection(parts.hostname or "127.0.0.1", parts.port, timeout=120)
        self.cookies, self.since = cookies, since
        self.status = 0
        self.opened = threading.Event()
        self.events: queue.Queue[tuple[float, int]] = queue.Queue()

    def run(self) -> None:
        try:
            self.conn.request("GET", f"/dashboard/events/?since={self.since}",
                              headers={"Cookie": self.cookies, "Accept": "text/event-stream"})
            response = self.conn.getresponse()
            self.status = response.status
            self.opened.set()
            event = b""
            while line_ := response.fp.readline():
                if line_.startswith(b"event:"):
                    event = line_.split(b":", 1)[1].strip()
                elif line_.startswith(b"data:") and event == b"refresh":
                    self.events.put((time.monotonic(), int(json.loads(line_[5:])["id"])))
        except (OSError, http.client.HTTPException):
            pass
        finally:
            self.opened.set()

    def close(self) -> None:
        try:
            if self.conn.sock is not None:
                self.conn.sock.shutdown(2)
        except OSError:
            pass
        self.conn.close()


def test_a_server_on_redis_queues_refreshes_and_streams_them(live_node: LiveNode, redis_prefix: str) -> None:
    live_node.user("redis.bulk", "system", "01")
    live_node.nrs("createuser", "redis.bulk", "--role", "approver", "--unit", "01")
    token = live_node.token("redis.bulk", "01", "write")
    live_node.user("redis.leader", "leader", "CP")
    # The database is read again only every 120 s: an event sooner comes from the channel.
    env = {"NRS_REDIS_URL": REDIS_URL, "NRS_REDIS_PREFIX": redis_prefix, "NRS_LIVE_FALLBACK_SECONDS": "120",
           "NRS_REQUIRE_2FA": "false", "NRS_SECURE_COOKIES": "false"}  # sign-in over plain HTTP
    base = live_node.start(workers=1, worker=True, env=env)
    stream: EventStream | None = None
    try:
        cookies = _sign_in(base, "redis.leader")
        assert call(base, "GET", "/dashboard/", headers={"Cookie": cookies}).status == 200
        keys = redis.Redis.from_url(REDIS_URL).keys(f"{redis_prefix}:*")
        assert keys, "the server's cache (rate-limit counters, overview) is not in Redis under the prefix"
        since = int(live_node.query("SELECT coalesce(max(id), 0) FROM analytics_refresh")[0][0])
        stream = EventStream(base, cookies, since)
        stream.start()
        assert stream.opened.wait(30) and stream.status == 200
        time.sleep(1)  # subscribed; nothing newer than `since` yet
        assert stream.events.empty()
        pubsub = _subscribed(redis_prefix)

        units = communes("01", "2025-06", 2)
        lines = [line(unit, "2025-06") for unit in units]
        value = json.loads(lines[0])["dataValues"][0]
        answer = call(base, "POST", "/api/dataValueSets/bulk", token=token, body="\n".join(lines).encode(),
                      headers={"Content-Type": "application/x-ndjson"})
        assert answer.status == 200, answer.body
        assert answer.json()["aggregates"] == "queued"
        posted = time.monotonic()
        # (a) The worker takes the queued refresh from the Redis queue and applies it.
        while True:
            found = _analytics(base, token, value["indicator"], units[0].code, "2025-06")
            if found["meta"]["pendingImports"] == 0 and found["rows"] and found["rows"][0]["value"] is not None:
                break
            assert time.monotonic() - posted < 90, found["meta"]
            time.sleep(0.25)
        assert Decimal(str(found["rows"][0]["value"])) == Decimal(str(value["value"]))
        newest = int(live_node.query("SELECT max(id) FROM analytics_refresh")[0][0])
        assert newest > since
        # The worker (another process) announced the refresh on the channel.
        message = _message(pubsub, 10)
        assert message is not None and int(message["data"]) > since
        pubsub.close()
        # (b) The open stream heard of it through the channel, well before its next database read.
        arrived, refresh_id = stream.events.get(timeout=30)
        assert since < refresh_id <= newest
        assert arrived - posted < 60
    finally:  # its worker must not take other tests' tasks
        if stream is not None:
            stream.close()
        live_node.kill(base)


def test_on_redis_sessions_are_cached_and_signing_out_holds_in_every_worker(live_node: LiveNode,
                                                                           redis_prefix: str) -> None:
    """With Redis, sessions are read through the shared cache (cached_db); signing out
    deletes the session from the cache and the database, so no worker still knows it."""
    live_node.user("redis.viewer", "leader", "CP")
    env = {"NRS_REDIS_URL": REDIS_URL, "NRS_REDIS_PREFIX": redis_prefix, "NRS_REQUIRE_2FA": "false",
           "NRS_SECURE_COOKIES": "false"}
    base = live_node.start(workers=2, env=env)
    try:
        cookies = _sign_in(base, "redis.viewer")
        session = re.search(r"sessionid=([^;]+)", cookies).group(1)  # type: ignore[union-attr]
        csrf = re.search(r"csrftoken=([^;]+)", cookies).group(1)  # type: ignore[union-attr]
        pages = [call(base, "GET", "/dashboard/", headers={"Cookie": cookies}) for _ in range(20)]  # both workers
        assert all(p.status == 200 and b'name="password"' not in p.body for p in pages)
        store = redis.Redis.from_url(REDIS_URL)
        assert store.keys(f"{redis_prefix}:*cached_db{session}"), "the session is not cached in Redis"
        out = call(base, "POST", "/accounts/logout/", body=b"", headers={
            "Cookie": cookies, "X-CSRFToken": csrf, "Content-Type": "application/x-www-form-urlencoded"})
        assert out.status == 200, out.status
        assert not store.keys(f"{redis_prefix}:*cached_db{session}")
        assert not live_node.query("SELECT 1 FROM django_session WHERE session_key = %s", (session,))
        after = [call(base, "GET", "/dashboard/", headers={"Cookie": cookies}) for _ in range(20)]
        assert all(b'name="password"' in p.body for p in after), "a worker still served the signed-out session"
    finally:
        live_node.kill(base)
