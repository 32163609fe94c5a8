"""Outgoing HTTP for connectors, webhooks and federation: one destination policy, http and
https only, a timeout on every request, a cap on what is read, and errors that say what
went wrong in both languages without revealing anything about the far side.

The policy (nrs.lib.destinations, settings.NRS_FETCH_ALLOW) is checked after DNS resolution
and the connection goes to the very address that was checked: the standard library's
http.client connection is given a socket factory that connects to the pinned address, while
the Host header and the TLS server name (SNI, certificate check) stay the URL's host name.
Redirects are followed here, a few at most, each target checked again; a redirect to another
origin (scheme, host or port) drops the Authorization and Cookie headers. No proxy is used.

Errors are generic on purpose: "destination not allowed", "connection failed", "timed out",
or the HTTP status the caller reports. A closed port, an open port speaking something else
and an unresolvable name look the same, and no upstream byte is ever put in a message."""

from __future__ import annotations

import base64
import http.client
import socket
import ssl
from collections.abc import Mapping
from dataclasses import dataclass, field
from urllib.parse import urljoin

from django.conf import settings
from django.utils.translation import gettext_noop as _

from nrs.i18n import bilingual
from nrs.lib import destinations
from nrs.lib.errors import InputError

SCHEMES = frozenset(destinations.SCHEMES)
REDIRECTS = frozenset({301, 302, 303, 307, 308})
MAX_REDIRECTS = 5
# Headers that carry credentials: never sent to another origin than the one configured.
CREDENTIAL_HEADERS = frozenset({"authorization", "cookie", "proxy-authorization"})


class FetchError(InputError):
    """The upstream could not be read (network, timeout, HTTP error, too big): worth a retry."""


class DestinationRefused(InputError):
    """The policy refuses the destination (not retried: it is the configuration's fault).
    ``host`` and ``reason`` are for the audit log."""

    def __init__(self, host: str, reason: str) -> None:
        super().__init__("url", *bilingual(_("destination not allowed")))
        self.host, self.reason = host, reason


@dataclass(frozen=True)
class Answer:
    status: int
    body: bytes
    content_type: str
    redirects: list[str] = field(default_factory=list, compare=False)


def allow_list() -> destinations.Allow:
    return destinations.parse_allow(getattr(settings, "NRS_FETCH_ALLOW", []) or [])


def _refused(exc: destinations.Refused) -> InputError:
    if exc.reason == destinations.BAD_URL:
        return InputError("url", *bilingual(_("only http:// or https:// URLs are accepted")))
    if exc.reason == destinations.USERINFO:
        return InputError("url", *bilingual(_("the URL must not contain a user name or password")))
    return DestinationRefused(exc.host, exc.reason)


def check_url(url: str) -> None:
    """At save time: an http(s) URL with a host, no user:password@, and a destination the
    policy allows. A name that does not resolve now is accepted (DNS changes: every fetch
    checks again)."""
    allow = allow_list()
    try:
        destinations.check_literal(url, allow)
        destinations.resolve(url, allow)
    except destinations.Refused as exc:
        if exc.reason != destinations.UNRESOLVED:
            raise _refused(exc) from None


def basic(username: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{username}:{password}".encode()).decode("ascii")


def _connection(destination: destinations.Destination, timeout: float) -> http.client.HTTPConnection:
    """A stdlib connection to the URL's host whose socket goes to the checked addresses only."""
    where = destination.target
    conn: http.client.HTTPConnection
    if where.scheme == "https":
        conn = http.client.HTTPSConnection(where.host, where.port, timeout=timeout,
                                           context=ssl.create_default_context())
    else:
        conn = http.client.HTTPConnection(where.host, where.port, timeout=timeout)

    def pinned(_address: object, timeout: float | None = None, source: object = None) -> socket.socket:
        last: OSError | None = None
        for family, sockaddr in destination.addresses:
            sock = socket.socket(family, socket.SOCK_STREAM)
            try:
                sock.settimeout(timeout)
                sock.connect(sockaddr)
                return sock
            except OSError as exc:
                sock.close()
                last = exc
        raise last or OSError("no address")

    conn._create_connection = pinned  # type: ignore[attr-defined]  # http.client's socket factory hook
    return conn


def _once(destination: destinations.Destination, method: str, body: bytes | None,
          headers: Mapping[str, str], timeout: float, cap: int) -> tuple[int, str, str, bytes]:
    conn = _connection(destination, timeout)
    try:
        conn.request(method, destination.target.path, body=body, headers=dict(headers))
        answer = conn.getresponse()
        location = answer.getheader("Location", "") or ""
        if answer.status in REDIRECTS and location:
            return answer.status, answer.getheader("Content-Type", "") or "", location, b""
        data = answer.read(cap + 1)
        if len(data) > cap:
            raise FetchError("body", *bilingual(_("the answer is over %(cap)s bytes"),
                                                cap=cap))
        return answer.status, answer.getheader("Content-Type", "") or "", "", data
    finally:
        conn.close()


def _drop_credentials(headers: dict[str, str]) -> dict[str, str]:
    return {k: v for k, v in headers.items() if k.lower() not in CREDENTIAL_HEADERS}


def request(url: str, *, method: str = "GET", body: bytes | None = None,
            headers: dict[str, str] | None = None, timeout: float | None = None,
            max_bytes: int | None = None) -> Answer:
    """Send one request; any status is returned (the caller decides what is a failure).
    Raises DestinationRefused when the policy refuses the URL or a redirect's target,
    FetchError when there is no answer at all or the answer is too big."""
    timeout = timeout or settings.NRS_CONNECTOR_TIMEOUT
    cap = max_bytes or settings.NRS_CONNECTOR_MAX_BYTES
    allow = allow_list()
    sending = {"User-Agent": "NRS", **(headers or {})}
    first: tuple[str, str, int] | None = None
    followed: list[str] = []
    while True:
        try:
            destination = destinations.resolve(url, allow)
        except destinations.Refused as exc:
            if exc.reason == destinations.UNRESOLVED:
                raise _failed() from None
            raise _refused(exc) from None
        origin = destination.target.origin
        first = first or origin
        if origin != first:
            sending = _drop_credentials(sending)
        try:
            status, content_type, location, data = _once(destination, method, body, sending, timeout, cap)
        except FetchError:
            raise
        except TimeoutError:
            raise FetchError("url", *bilingual(_("timed out"))) from None
        except (OSError, http.client.HTTPException, ValueError):
            raise _failed() from None
        if not location or method not in ("GET", "HEAD"):
            return Answer(status, data, content_type, followed)
        if len(followed) >= MAX_REDIRECTS:
            raise FetchError("url", *bilingual(_("too many redirects")))
        url = urljoin(url, location)
        followed.append(url)


def _failed() -> FetchError:
    return FetchError("url", *bilingual(_("connection failed")))
