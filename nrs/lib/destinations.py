"""The destination policy of every outbound fetch (connectors, webhooks, federation).

Pure (no Django): the caller passes the operator's allow-list (settings.NRS_FETCH_ALLOW).

- Only ``http`` and ``https`` URLs with a host and without user:password@ are accepted.
- The host is resolved once (getaddrinfo) and EVERY resolved address must be public:
  loopback, private, link-local (which holds the cloud metadata address 169.254.169.254),
  carrier-grade NAT, multicast, reserved, unspecified and documentation addresses are
  refused, and so are the IPv6 forms that carry such an IPv4 address (IPv4-mapped
  ``::ffff:a.b.c.d``, IPv4-compatible ``::a.b.c.d``, 6to4 ``2002::/16``, NAT64 ``64:ff9b::/96``,
  Teredo), unless the host name or the address is on the allow-list (a host name, an
  address or a CIDR network).
- The caller connects to the addresses returned here, never resolving the name again (a
  second resolution could answer differently: DNS rebinding).
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from urllib.parse import urlsplit

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
Network = ipaddress.IPv4Network | ipaddress.IPv6Network
SCHEMES = {"http": 80, "https": 443}
METADATA = frozenset({ipaddress.ip_address("169.254.169.254"), ipaddress.ip_address("fd00:ec2::254")})
NAT64 = ipaddress.ip_network("64:ff9b::/96")
IPV4_COMPATIBLE = ipaddress.ip_network("::/96")
# Allow-list entries this wide defeat the policy: `nrs check --deploy` warns about them.
BROAD_PREFIX = {4: 8, 6: 16}

# Why a destination was refused (the category recorded in the audit log).
BAD_URL, USERINFO, NOT_ALLOWED, UNRESOLVED = "url", "userinfo", "address", "resolve"

Resolver = Callable[..., Sequence[tuple[int, int, int, str, tuple[object, ...]]]]


class Refused(Exception):
    """The destination is not allowed; ``reason`` is one of the categories above."""

    def __init__(self, reason: str, host: str = "") -> None:
        super().__init__(reason)
        self.reason, self.host = reason, host


@dataclass(frozen=True)
class Allow:
    """The operator's allow-list: host names (lower case) and networks."""

    hosts: frozenset[str] = frozenset()
    networks: tuple[Network, ...] = ()

    def admits(self, host: str, address: IPAddress) -> bool:
        if host.lower().rstrip(".") in self.hosts:
            return True
        return any(address.version == net.version and address in net for net in self.networks)


@dataclass(frozen=True)
class Target:
    scheme: str
    host: str  # as in the URL, lower case, without IPv6 brackets
    port: int
    path: str  # path and query, what the request line carries

    @property
    def origin(self) -> tuple[str, str, int]:
        return self.scheme, self.host, self.port


@dataclass(frozen=True)
class Destination:
    target: Target
    addresses: tuple[tuple[int, tuple[object, ...]], ...]  # (family, sockaddr) to connect to, all checked


def parse_allow(entries: Iterable[str]) -> Allow:
    """Entries are host names, addresses or CIDR networks; blanks are ignored."""
    hosts, networks = set(), []
    for raw in entries:
        entry = raw.strip()
        if not entry:
            continue
        try:
            networks.append(ipaddress.ip_network(entry.strip("[]"), strict=False))
        except ValueError:
            hosts.add(entry.lower().rstrip("."))
    return Allow(frozenset(hosts), tuple(networks))


def broad_entries(entries: Iterable[str]) -> list[str]:
    """Allow-list entries that admit a whole swathe of the address space (e.g. 0.0.0.0/0)."""
    allow = parse_allow(entries)
    return [str(net) for net in allow.networks if net.prefixlen < BROAD_PREFIX[net.version]]


def _embedded_ipv4(address: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 address carries, in the forms that reach it."""
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped
    if address.sixtofour is not None:
        return address.sixtofour
    if address.teredo is not None:
        return address.teredo[1]
    if address in IPV4_COMPATIBLE and int(address) > 1:
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    return None


def is_public(address: IPAddress) -> bool:
    """True for a globally routable unicast address; False for everything the policy refuses."""
    if address in METADATA:
        return False
    if isinstance(address, ipaddress.IPv6Address):
        if address.scope_id:
            return False
        if address.ipv4_mapped is not None:  # ::ffff:a.b.c.d is a.b.c.d on a dual-stack socket
            return is_public(address.ipv4_mapped)
        if address in NAT64:  # the translator connects to the embedded IPv4 address
            return is_public(ipaddress.IPv4Address(int(address) & 0xFFFFFFFF))
        inner = _embedded_ipv4(address)
        if inner is not None and not is_public(inner):
            return False
        if address.teredo is not None:  # a tunnel to an arbitrary host: never a data source
            return False
    return (address.is_global and not address.is_multicast and not address.is_reserved
            and not address.is_loopback and not address.is_link_local and not address.is_private
            and not address.is_unspecified)


def target(url: str) -> Target:
    """The URL's scheme, host, port and request path; Refused for anything but http(s) with a host."""
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError:
        raise Refused(BAD_URL) from None
    scheme = parts.scheme.lower()
    if scheme not in SCHEMES or not parts.hostname:
        raise Refused(BAD_URL, parts.hostname or "")
    if parts.username is not None or parts.password is not None or "@" in parts.netloc:
        raise Refused(USERINFO, parts.hostname)
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    return Target(scheme, parts.hostname.lower(), port or SCHEMES[scheme], path)


def _literal(host: str) -> IPAddress | None:
    try:
        return ipaddress.ip_address(host)
    except ValueError:
        return None


def check_literal(url: str, allow: Allow) -> Target:
    """The checks that need no DNS: the URL's shape and, when the host is an address, the address."""
    found = target(url)
    address = _literal(found.host)
    if address is not None and not is_public(address) and not allow.admits(found.host, address):
        raise Refused(NOT_ALLOWED, found.host)
    return found


def resolve(url: str, allow: Allow, getaddrinfo: Resolver | None = None) -> Destination:
    """Resolve the URL's host once and check every address; Refused if any is not allowed
    (or the name does not resolve)."""
    found = check_literal(url, allow)
    try:
        lookup = getaddrinfo or socket.getaddrinfo
        infos = lookup(found.host, found.port, type=socket.SOCK_STREAM, proto=socket.IPPROTO_TCP)
    except (OSError, UnicodeError):
        raise Refused(UNRESOLVED, found.host) from None
    addresses: list[tuple[int, tuple[object, ...]]] = []
    for family, _type, _proto, _name, sockaddr in infos:
        address = ipaddress.ip_address(str(sockaddr[0]).split("%", 1)[0])
        if not is_public(address) and not allow.admits(found.host, address):
            raise Refused(NOT_ALLOWED, found.host)
        if (family, sockaddr) not in addresses:
            addresses.append((family, sockaddr))
    if not addresses:
        raise Refused(UNRESOLVED, found.host)
    return Destination(found, tuple(addresses))
