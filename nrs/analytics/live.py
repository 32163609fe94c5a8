"""Live refresh announcements over Redis pub/sub (only when NRS_REDIS_URL is set).

Every new `Refresh` row is announced on the channel ``<NRS_REDIS_PREFIX>:refresh`` once
its transaction commits; the live stream (/dashboard/events/, nrs.analytics.views) waits
on that channel instead of polling the table. A message only wakes the stream up: the
newest `Refresh` in the database stays the source of truth, and the stream still reads it
every NRS_LIVE_FALLBACK_SECONDS, so a lost message (Redis restarted, a publish that failed)
only delays an update. Without Redis the stream polls, as before.

The announcement hangs on `post_save` of `Refresh` (not on the code that writes it), so
every writer — an approval, a bulk import, the worker's queue, `nrs aggregates` — is heard.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any

import redis
import redis.asyncio
from django.conf import settings
from django.db import transaction
from django.db.models.signals import post_save
from django.dispatch import receiver

from nrs.analytics.models import Refresh

log = logging.getLogger(__name__)

_clients: dict[str, redis.Redis] = {}


def enabled() -> bool:
    return bool(settings.REDIS_URL)


def channel() -> str:
    return f"{settings.NRS_REDIS_PREFIX}:refresh"


def _client() -> redis.Redis:
    url = settings.REDIS_URL
    if url not in _clients:
        _clients[url] = redis.Redis.from_url(url, socket_timeout=2, socket_connect_timeout=2)
    return _clients[url]


def publish(refresh_id: int) -> None:
    """Announce one refresh. Never raises: the refresh is committed already, and streams
    find it in the database within NRS_LIVE_FALLBACK_SECONDS anyway."""
    try:
        _client().publish(channel(), str(refresh_id))
    except redis.RedisError as exc:
        log.warning("could not announce refresh %s on %s: %s", refresh_id, channel(), exc)


@receiver(post_save, sender=Refresh, dispatch_uid="nrs.analytics.live.announce")
def announce(sender: Any, instance: Refresh, created: bool, using: str = "default", **kwargs: Any) -> None:
    if created and enabled():
        refresh_id = instance.pk
        transaction.on_commit(lambda: publish(refresh_id), using=using)


Wait = Callable[[float], Awaitable[bool]]


async def _sleep(seconds: float) -> bool:
    await asyncio.sleep(seconds)
    return False


@asynccontextmanager
async def listener() -> AsyncIterator[Wait]:
    """``wait(seconds)``: True as soon as a refresh is announced, False after ``seconds``
    without one. Subscribed before the caller's first database read, so no refresh
    committed after that read goes unannounced. Without Redis, or when Redis fails,
    ``wait`` just sleeps (the caller polls)."""
    if not enabled():
        yield _sleep
        return
    client = redis.asyncio.Redis.from_url(settings.REDIS_URL, socket_connect_timeout=2)
    pubsub = client.pubsub()
    broken = False
    try:
        await pubsub.subscribe(channel())
    except (redis.RedisError, OSError) as exc:
        log.warning("live stream falls back to polling: %s", exc)
        broken = True

    async def wait(seconds: float) -> bool:
        nonlocal broken
        if broken:
            return await _sleep(seconds)
        loop = asyncio.get_running_loop()
        deadline = loop.time() + seconds
        try:
            while (left := deadline - loop.time()) > 0:
                message = await pubsub.get_message(timeout=left)
                if message is not None and message["type"] == "message":
                    while await pubsub.get_message(timeout=0) is not None:  # several refreshes: one read
                        pass
                    return True
            return False
        except (redis.RedisError, OSError) as exc:
            log.warning("live stream falls back to polling: %s", exc)
            broken = True
            return False

    try:
        yield wait
    finally:
        try:
            await pubsub.aclose()
            await client.aclose()
        except (redis.RedisError, OSError):
            pass
