"""Outgoing HTTP for connectors and webhooks: http and https only, a timeout on every
request, a cap on what is read, and errors that say what went wrong in both languages.

Standard-library urllib: the requests NRS makes are plain GETs and POSTs, and it keeps
redirects to http/https (urllib's handler refuses others)."""

from __future__ import annotations

import base64
import urllib.error
import urllib.request
from dataclasses import dataclass
from urllib.parse import urlsplit

from django.conf import settings

from nrs.lib.errors import InputError

SCHEMES = frozenset({"http", "https"})


class FetchError(InputError):
    """The upstream could not be read (network, timeout, HTTP error, too big): worth a retry."""


@dataclass(frozen=True)
class Answer:
    status: int
    body: bytes
    content_type: str


def check_url(url: str) -> None:
    """Only http:// and https:// URLs with a host (no file:, ftp:, data:…)."""
    parts = urlsplit(url)
    if parts.scheme.lower() not in SCHEMES or not parts.hostname:
        raise InputError("url", "chỉ chấp nhận địa chỉ http:// hoặc https://",
                         "only http:// or https:// URLs are accepted")


def basic(username: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{username}:{password}".encode()).decode("ascii")


def request(url: str, *, method: str = "GET", body: bytes | None = None,
            headers: dict[str, str] | None = None, timeout: float | None = None,
            max_bytes: int | None = None) -> Answer:
    """Send one request; any status is returned (the caller decides what is a failure).
    Raises FetchError when there is no answer at all or the answer is too big."""
    check_url(url)
    timeout = timeout or settings.NRS_CONNECTOR_TIMEOUT
    cap = max_bytes or settings.NRS_CONNECTOR_MAX_BYTES
    req = urllib.request.Request(url, data=body, method=method,
                                 headers={"User-Agent": "NRS", **(headers or {})})
    try:
        with urllib.request.urlopen(req, timeout=timeout) as answer:
            return Answer(answer.status, _read(answer, cap), answer.headers.get("Content-Type", ""))
    except urllib.error.HTTPError as exc:
        with exc:
            return Answer(exc.code, _read(exc, cap), exc.headers.get("Content-Type", "") if exc.headers else "")
    except FetchError:
        raise
    except TimeoutError:
        raise FetchError("url", f"hết thời gian chờ ({timeout:g} giây)", f"timed out after {timeout:g} s") from None
    except (urllib.error.URLError, OSError, ValueError) as exc:
        reason = getattr(exc, "reason", exc)
        raise FetchError("url", f"không kết nối được: {reason}", f"cannot connect: {reason}") from None


def _read(answer: object, cap: int) -> bytes:
    data: bytes = answer.read(cap + 1)  # type: ignore[attr-defined]
    if len(data) > cap:
        raise FetchError("body", f"dữ liệu vượt quá {cap} byte", f"the answer is over {cap} bytes")
    return data
