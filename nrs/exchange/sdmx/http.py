"""HTTP for /sdmx/: content negotiation, conditional GET, gzip, and the structures cache.

- ``negotiate``: the ``Accept`` header (RFC 9110 section 12.5.1: media ranges with q-values,
  the most specific range decides an offer's quality) against the media types a resource
  offers; nothing acceptable is a 406 (``NotAcceptable``).
- ``resource``: the decorator every /sdmx/ view wears. It negotiates (``format=`` first),
  leaves the choice in ``request.sdmx_media``, and finishes the response: ``Vary: Accept,
  Accept-Encoding`` on every answer; on a 200, an ETag and Last-Modified, a 304 when the
  client's ``If-None-Match`` / ``If-Modified-Since`` say it has this representation, and gzip
  when ``Accept-Encoding`` allows.
- ``registry_version``: the newest registry change (the audit log's latest ``registry.*``
  event, plus each published table's row count and highest id, which catch writes that
  bypass the actions), the key of ``structures()``: the SDMX structures built once per process
  and reused until the registry changes.

What a representation depends on, besides its body, is collected while the view runs
(``Representation``, through a context variable): the registry version for structures, a
digest of the observations for data (data messages carry a fresh header id and time each
time, so a digest of the body would never match), and the newest change among them.
"""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from collections.abc import Callable, Sequence
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import datetime
from functools import wraps
from typing import Any

from django.db import connection
from django.db.models import Count, Max
from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.utils.cache import get_conditional_response, patch_vary_headers
from django.utils.http import http_date
from django.utils.text import compress_string
from django.utils.translation import gettext_noop

from nrs.audit.events import EventType
from nrs.audit.models import Event
from nrs.i18n import bilingual
from nrs.lib.errors import InputError

# -- content negotiation ------------------------------------------------------------------


@dataclass(frozen=True)
class Offer:
    """A media type a resource can answer in: the one it is served as, the ``format=`` name
    that asks for it (SDMX REST's ``format`` values), and the media types it also answers
    (``application/xml`` for SDMX-ML, ``text/csv`` for SDMX-CSV 1.0)."""

    media: str
    format: str = ""
    also: tuple[str, ...] = ()


XML_DATA = "application/vnd.sdmx.structurespecificdata+xml;version=2.1"
XML_STRUCTURE = "application/vnd.sdmx.structure+xml;version=2.1"
CSV_DATA = "application/vnd.sdmx.data+csv;version=1.0.0"
CSV2_DATA = "application/vnd.sdmx.data+csv;version=2.0.0"
JSON_DATA = "application/vnd.sdmx.data+json;version=1.0.0"
XML_ANY = ("application/xml", "text/xml")

# What each kind of resource answers in, the server's preference first (XML: the default).
DATA = (Offer(XML_DATA, "structurespecificdata", also=XML_ANY),
        Offer(CSV_DATA, "csv", also=("text/csv",)),
        Offer(CSV2_DATA),
        Offer(JSON_DATA, "jsondata"))
STRUCTURE = (Offer(XML_STRUCTURE, also=XML_ANY),)
SCHEMA = (Offer("application/xml", also=("text/xml",)),)
ANY: tuple[Offer, ...] = ()  # a route that only ever answers errors: no negotiation


class NotAcceptable(Exception):
    """No offered media type is acceptable (406)."""

    def __init__(self, accept: str, offered: Sequence[Offer]) -> None:
        self.ref = "Accept"
        self.vi, self.en = bilingual(gettext_noop("none of the media types asked for (%(accept)s) is served here; "
                                                  "this resource is served as %(offered)s"),
                                     accept=accept[:200], offered=", ".join(o.media for o in offered))
        super().__init__(self.en)


@dataclass(frozen=True)
class MediaRange:
    type: str
    subtype: str
    params: tuple[tuple[str, str], ...]
    q: float

    @property
    def specificity(self) -> tuple[int, int]:
        """How specific the range is: */* < type/* < type/subtype < with parameters."""
        return (0 if self.type == "*" else 1 if self.subtype == "*" else 2, len(self.params))

    def matches(self, media: str) -> bool:
        kind, params = split_media(media)
        mtype, _, subtype = kind.partition("/")
        if self.type != "*" and self.type != mtype:
            return False
        if self.subtype != "*" and self.subtype != subtype:
            return False
        offered = dict(params)
        return all(offered.get(name) == value for name, value in self.params)


def split_media(media: str) -> tuple[str, tuple[tuple[str, str], ...]]:
    """"type/subtype; a=1" -> ("type/subtype", (("a", "1"),)): names and types in lower
    case, values unquoted; ``q`` is not a media type parameter (it starts the accept-params)."""
    kind, *rest = media.split(";")
    params = []
    for part in rest:
        name, _, value = part.partition("=")
        params.append((name.strip().lower(), value.strip().strip('"')))
    return kind.strip().lower(), tuple(params)


def parse_accept(header: str) -> list[MediaRange]:
    """The media ranges of an Accept header. A range without a subtype, or with a q that is
    not a number in [0, 1], is left out (RFC 9110 lets a server ignore what it cannot parse)."""
    ranges = []
    for item in header.split(","):
        if not item.strip():
            continue
        kind, params = split_media(item)
        mtype, slash, subtype = kind.partition("/")
        if not slash or not mtype or not subtype or (mtype == "*" and subtype != "*"):
            continue
        q, kept = 1.0, []
        for name, value in params:
            if name == "q":
                try:
                    q = float(value)
                except ValueError:
                    q = -1.0
                break  # what follows q are accept-extensions
            kept.append((name, value))
        if 0.0 <= q <= 1.0:
            ranges.append(MediaRange(mtype, subtype, tuple(kept), q))
    return ranges


def quality(ranges: list[MediaRange], offer: Offer) -> float:
    """The q of ``offer``: that of the most specific range that matches it or one of its
    aliases (0 when none does)."""
    best: tuple[tuple[int, int], float] | None = None
    for media in (offer.media, *offer.also):
        for found in ranges:
            if found.matches(media) and (best is None or found.specificity > best[0]):
                best = (found.specificity, found.q)
    return best[1] if best is not None else 0.0


def negotiate(accept: str, offers: Sequence[Offer]) -> Offer:
    """The acceptable offer of highest quality; among equals, the first offered (the
    server's preference). No Accept header (or an empty one) accepts anything."""
    if not accept.strip():
        return offers[0]
    ranges = parse_accept(accept)
    if not ranges:  # nothing parseable: as if absent
        return offers[0]
    scored = [(quality(ranges, offer), -position, offer) for position, offer in enumerate(offers)]
    q, _position, offer = max(scored, key=lambda item: (item[0], item[1]))
    if q <= 0:
        raise NotAcceptable(accept, offers)
    return offer


def choose(request: HttpRequest, offers: Sequence[Offer]) -> str:
    """The media type to answer ``request`` in: ``format=`` if given (one of the offers'
    names, else a 400), otherwise the Accept header's best (else a 406)."""
    name = request.GET.get("format", "")
    named = {offer.format: offer for offer in offers if offer.format}
    if name and named:
        if name not in named:
            raise InputError("format", *bilingual(gettext_noop("format must be one of %(formats)s"),
                                                  formats=", ".join(named)))
        return named[name].media
    return negotiate(request.headers.get("Accept", ""), offers).media


# -- what a representation depends on -------------------------------------------------------

@dataclass
class Representation:
    """Filled while a view runs: what its answer depends on beyond the body's framing (the
    parts of the ETag) and the newest change among them (Last-Modified)."""

    parts: list[str] = field(default_factory=list)
    last_modified: datetime | None = None

    def depends_on(self, part: str, changed: datetime | None = None) -> None:
        self.parts.append(part)
        if changed is not None and (self.last_modified is None or changed > self.last_modified):
            self.last_modified = changed


_current: ContextVar[Representation | None] = ContextVar("nrs_sdmx_representation", default=None)


def representation() -> Representation:
    """The representation being built (a throwaway one outside a view)."""
    found = _current.get()
    return found if found is not None else Representation()


# -- the registry's version, and the structures cache -----------------------------------------

def _published_tables() -> list[Any]:
    from nrs.registry import models as registry

    return [registry.OrgUnit, registry.Indicator, registry.MeasureUnit, registry.Codelist,
            registry.Code, registry.Regime]


@dataclass(frozen=True)
class RegistryVersion:
    key: str
    changed: datetime | None


def registry_version() -> RegistryVersion:
    """The registry as the structures see it: the newest ``registry.*`` audit event (every
    change through nrs.registry's actions and the loader records one, in the same
    transaction), and each published table's count and highest id (writes that bypass the
    actions: a migration, a shell). One indexed query per table."""
    kinds = [kind for kind in EventType.values if kind.startswith("registry.")]
    # audit_event_type_time_idx: the newest event of each registry type.
    event = (Event.objects.filter(event_type__in=kinds).order_by("-occurred_at", "-seq")
             .values_list("seq", "hash", "occurred_at").first())
    parts = [f"{event[0]}:{event[1]}" if event else "-"]
    for model in _published_tables():
        found = model.objects.aggregate(n=Count("pk"), top=Max("pk"))
        parts.append(f"{model.__name__}:{found['n']}:{found['top']}")
    return RegistryVersion(hashlib.sha256("|".join(parts).encode()).hexdigest()[:32],
                           event[2] if event else None)


class _Cache:
    """A small per-process LRU of what the registry's version keys."""

    def __init__(self, size: int) -> None:
        self.size, self.items, self.lock = size, OrderedDict[Any, Any](), threading.Lock()

    def get(self, key: Any) -> Any:
        with self.lock:
            if key in self.items:
                self.items.move_to_end(key)
                return self.items[key]
        return None

    def put(self, key: Any, value: Any) -> None:
        with self.lock:
            self.items[key] = value
            self.items.move_to_end(key)
            while len(self.items) > self.size:
                self.items.popitem(last=False)

    def clear(self) -> None:
        with self.lock:
            self.items.clear()


STRUCTURES = _Cache(4)
BUILT_WITH = "nrs_built_with"  # the attribute a cached Structures carries: how it was built
MESSAGES = _Cache(32)


def cacheable() -> bool:
    """Only what a committed database holds is cached: inside a transaction a request may
    see its own uncommitted writes (and a test's rolled-back data must not outlive it)."""
    return not connection.in_atomic_block


def structures(*, validity: bool = True) -> Any:
    """nrs.exchange.sdmx.structures.build(validity=…), built once per registry version and
    process. Records the version in the representation (ETag, Last-Modified)."""
    from nrs.exchange.sdmx import structures as built

    version = registry_version()
    representation().depends_on(f"registry:{version.key}", version.changed)
    if not cacheable():
        return built.build(validity=validity)
    key = (version.key, validity)
    found = STRUCTURES.get(key)
    if found is None:
        found = built.build(validity=validity)
        setattr(found, BUILT_WITH, f"validity={validity}")
        STRUCTURES.put(key, found)
    return found


def cached(key: tuple[Any, ...] | None, produce: Callable[[], bytes]) -> bytes:
    """``produce()``, kept per process under ``key`` (None: not cached)."""
    if key is None or not cacheable():
        return produce()
    found = MESSAGES.get(key)
    if found is None:
        found = produce()
        MESSAGES.put(key, found)
    return found  # type: ignore[no-any-return]


# -- the decorator ------------------------------------------------------------------------

VARY = ("Accept", "Accept-Encoding")
GZIP_MIN = 200  # bytes; smaller answers are not worth compressing


def resource(offers: Sequence[Offer], refuse: Callable[[int, str, str, str, str], HttpResponse]) -> Callable[..., Any]:
    """Wrap an /sdmx/ view: negotiate its media type (``request.sdmx_media``; a 406 or, for
    a bad ``format=``, a 400 through ``refuse(status, sdmx_code, ref, vi, en)``), then add
    Vary, ETag, Last-Modified, 304 and gzip to what it answers."""

    def wrap(view: Callable[..., HttpResponseBase]) -> Callable[..., HttpResponseBase]:
        @wraps(view)
        def inner(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
            token = _current.set(Representation())
            try:
                response = _answer(view, offers, refuse, request, *args, **kwargs)
                return finish(request, response, representation())
            finally:
                _current.reset(token)
        return inner
    return wrap


def _answer(view: Callable[..., HttpResponseBase], offers: Sequence[Offer],
            refuse: Callable[[int, str, str, str, str], HttpResponse], request: HttpRequest,
            *args: Any, **kwargs: Any) -> HttpResponseBase:
    if request.method not in ("GET", "HEAD") or not offers:
        return view(request, *args, **kwargs)  # the view's own 405, or nothing to negotiate
    try:
        request.sdmx_media = choose(request, offers)  # type: ignore[attr-defined]
    except NotAcceptable as exc:
        return refuse(406, "140", exc.ref, exc.vi, exc.en)
    except InputError as exc:
        return refuse(400, "140", exc.ref, exc.vi, exc.en)
    return view(request, *args, **kwargs)


def finish(request: HttpRequest, response: HttpResponseBase, found: Representation) -> HttpResponseBase:
    """Vary on every answer; on a 200 with a body: ETag (of what the representation depends
    on and its media type, else of the body), Last-Modified, a 304 if the client has it,
    and gzip."""
    patch_vary_headers(response, VARY)
    if response.status_code != 200 or response.streaming or not isinstance(response, HttpResponse):
        return response
    if not response.has_header("ETag"):
        if found.parts:
            digest = hashlib.sha256("\n".join([response.get("Content-Type", ""), request.get_full_path(),
                                               *found.parts]).encode())
        else:
            digest = hashlib.sha256(response.content)
        # Weak when made of what the answer depends on: its bytes (the header's id and time)
        # may differ while it says the same.
        response["ETag"] = f'{"W/" if found.parts else ""}"{digest.hexdigest()[:40]}"'
    if found.last_modified is not None and not response.has_header("Last-Modified"):
        response["Last-Modified"] = http_date(found.last_modified.timestamp())
    conditional = get_conditional_response(
        request, etag=response["ETag"],
        last_modified=int(found.last_modified.timestamp()) if found.last_modified is not None else None,
        response=response)
    if conditional is not None and conditional is not response:
        patch_vary_headers(conditional, VARY)
        return conditional
    return gzip(request, response)


def gzip(request: HttpRequest, response: HttpResponse) -> HttpResponse:
    """Compress the body when the client accepts gzip (as Django's GZipMiddleware does; the
    ETag becomes weak, as it names the uncompressed bytes)."""
    accepts = [part.split(";")[0].strip().lower() for part in request.headers.get("Accept-Encoding", "").split(",")]
    if ("gzip" not in accepts and "*" not in accepts) or _refused_gzip(request) \
            or response.has_header("Content-Encoding") or len(response.content) < GZIP_MIN:
        return response
    compressed = _compressed(response.content)
    if len(compressed) >= len(response.content):
        return response
    response.content = compressed
    response["Content-Length"] = str(len(compressed))
    response["Content-Encoding"] = "gzip"
    etag = response.get("ETag", "")
    if etag and not etag.startswith("W/"):
        response["ETag"] = f"W/{etag}"
    return response


GZIPPED = _Cache(8)
GZIP_KEEP = 64 * 1024  # bytes: larger bodies keep their compressed copy (a cached structure)


def _compressed(content: bytes) -> bytes:
    if len(content) < GZIP_KEEP:
        return compress_string(content)
    key = hashlib.sha256(content).digest()
    found = GZIPPED.get(key)
    if found is None:
        found = compress_string(content)
        GZIPPED.put(key, found)
    return found  # type: ignore[no-any-return]


def _refused_gzip(request: HttpRequest) -> bool:
    """gzip;q=0 (or *;q=0 without gzip named) refuses it."""
    for part in request.headers.get("Accept-Encoding", "").split(","):
        coding, _, params = part.partition(";")
        if coding.strip().lower() in ("gzip", "*") and params.replace(" ", "").lower() in ("q=0", "q=0.0", "q=0.00",
                                                                                          "q=0.000"):
            return True
    return False
