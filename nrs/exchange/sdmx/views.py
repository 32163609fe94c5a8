"""/sdmx/: the SDMX REST endpoints (structure and data), for a browser session or an API
bearer token (the same check and rate limit as /api/).

Each view authenticates, parses the request, and writes one message; bad input is a 400
and an unknown flow or structure a 404, with SDMX error codes and a bilingual text.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from dataclasses import replace
from functools import wraps
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext_noop
from lxml import etree
from lxml.builder import ElementMaker
from sdmx.message import StructureMessage

from nrs.accounts import ratelimit
from nrs.accounts.api_auth import authenticate_bearer, bearer_secret, challenge
from nrs.exchange.public import scope as public_scope
from nrs.exchange.sdmx import constraints, http, messages, national, query, resources, structures, xsd
from nrs.exchange.sdmx.query import NotFound
from nrs.i18n import bilingual
from nrs.lib.errors import InputError

XML_DATA = "application/vnd.sdmx.structurespecificdata+xml;version=2.1"
XML_STRUCTURE = "application/vnd.sdmx.structure+xml;version=2.1"
CSV_DATA = "application/vnd.sdmx.data+csv;version=1.0.0"
CSV2_DATA = "application/vnd.sdmx.data+csv;version=2.0.0"
JSON_DATA = "application/vnd.sdmx.data+json;version=1.0.0"
FORMATS = {"structurespecificdata": XML_DATA, "csv": CSV_DATA, "jsondata": JSON_DATA}
# SDMX REST error codes (SDMX 2.1 section 7, web services guidelines).
NO_RESULTS, UNAUTHORISED, SYNTAX, SEMANTIC = "100", "110", "140", "150"
INTERNAL, NOT_IMPLEMENTED = "500", "501"
METHODS = ("GET", "HEAD")
# Structure ``detail`` values other than full: stubs and partial item schemes, not built (501).
STUB_DETAILS = ("allstubs", "referencestubs", "allcompletestubs", "referencecompletestubs")
DETAILS = ("full", "referencepartial")
AVAILABILITY_REFERENCES = ("none", "all", "dataflow", "datastructure", "codelist", "conceptscheme")
RESOURCES = (*resources.BUILT, "structure", "data", "availableconstraint", "schema")
logger = logging.getLogger(__name__)


class Refused(Exception):
    def __init__(self, response: HttpResponse) -> None:
        self.response = response


def error(status: int, code: str, ref: str, vi: str, en: str, *, as_json: bool = False) -> HttpResponse:
    """An SDMX-ML 2.1 Error message (mes:ErrorMessage with a Vietnamese and an English text),
    or for JSON clients the same as JSON."""
    if as_json:
        body = json.dumps({"errors": [{"code": int(code), "title": en, "detail": vi}], "status": "error",
                           "ref": ref, "message_vi": vi, "message_en": en}, ensure_ascii=False)
        return HttpResponse(body, status=status, content_type="application/json; charset=utf-8")
    mes = ElementMaker(namespace=messages.NS_MES, nsmap={"mes": messages.NS_MES, "com": messages.NS_COM})
    com = ElementMaker(namespace=messages.NS_COM)
    lang = "{http://www.w3.org/XML/1998/namespace}lang"
    root = mes.Error(mes.ErrorMessage(com.Text(f"{ref}: {vi}", **{lang: "vi"}),
                                      com.Text(f"{ref}: {en}", **{lang: "en"}), code=code))
    return HttpResponse(etree.tostring(root, encoding="utf-8", xml_declaration=True), status=status,
                        content_type="application/xml; charset=utf-8")


def _authenticate(request: HttpRequest, as_json: bool) -> Any:
    """The request's API token (None for a browser session, and for an anonymous caller when public
    dissemination is on: NRS_PUBLIC, rate limited per address); refuses with 401 or 429."""
    secret = bearer_secret(request)
    if secret is not None:
        try:
            token = authenticate_bearer(request, secret)
        except ratelimit.RateLimited as exc:
            raise Refused(ratelimit.api_response(request, exc)) from None
        if token is not None:
            return token
    elif request.user.is_authenticated and request.user.is_active:
        return None
    elif public_scope.enabled():  # anonymous: released figures only (public_scope.sdmx_scope), per-address rate
        wait = public_scope.throttle(request)
        if wait is not None:
            response = error(429, "503", "rate", *bilingual(gettext_noop(
                "Too many requests from this address; retry after %(seconds)s seconds"), seconds=wait), as_json=as_json)
            response["Retry-After"] = str(wait)
            raise Refused(response)
        return None
    message = bilingual(gettext_noop("sign in or send a valid API token (Authorization: Bearer nrs_…)"))
    response = error(401, UNAUTHORISED, "Authorization", *message, as_json=as_json)
    response["WWW-Authenticate"] = challenge(request)  # error="invalid_token" when one came
    raise Refused(response)


def _format(request: HttpRequest) -> str:
    """The media type asked for: ``format=`` first, then the Accept header with its q-values
    (nrs.exchange.sdmx.http); XML by default. The views' decorator has negotiated it already
    (a 406 or 400 never reaches the view)."""
    chosen = getattr(request, "sdmx_media", None)
    if chosen is not None:
        return str(chosen)
    try:
        return http.choose(request, http.DATA)
    except http.NotAcceptable as exc:
        raise InputError(exc.ref, exc.vi, exc.en) from None


def sdmx_errors(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Every answer of an /sdmx/ view an SDMX one: a method other than GET or HEAD is a 405,
    and an unexpected failure a 500, both as SDMX error messages (never Django's HTML)."""
    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if request.method not in METHODS:
            response = error(405, SEMANTIC, "method", *bilingual(
                gettext_noop("the SDMX REST interface answers %(methods)s only"), methods=", ".join(METHODS)))
            response["Allow"] = ", ".join(METHODS)
            return response
        try:
            return view(request, *args, **kwargs)
        except Exception:  # the SDMX error message, not Django's HTML page; logged in full
            logger.exception("SDMX request %s failed", request.path)
            return error(500, INTERNAL, "server", *bilingual(gettext_noop("the server failed to answer; the "
                                                                          "failure is logged")))
    return wrapped


def _not_implemented(what: str) -> HttpResponse:
    return error(501, NOT_IMPLEMENTED, what, *bilingual(
        gettext_noop("%(what)s is part of SDMX 2.1 REST but NRS does not implement it"), what=what))


@sdmx_errors
@http.resource(http.ANY, error)
def unknown(request: HttpRequest, path: str = "") -> HttpResponse:
    """Any other path under /sdmx/: 501 for an SDMX 2.1 resource NRS does not serve, else 404."""
    resource = path.strip("/").split("/")[0]
    if resource in resources.NOT_BUILT:
        return _not_implemented(resource)
    return error(404, NO_RESULTS, "path", *bilingual(gettext_noop("no SDMX resource '%(path)s'; the resources "
                                                                  "are: %(known)s"),
                                                     path=request.path, known=", ".join(RESOURCES)))


@sdmx_errors
@http.resource(http.STRUCTURE, error)
def structure(request: HttpRequest, path: str) -> HttpResponse:
    """/sdmx/structure/{resource}[/{agency}[/{id}[/{version}]]]: NRS's earlier paths, kept as
    aliases of the standard ones (``structure/all`` and ``structure/structure``: everything)."""
    resource, _, rest = path.strip("/").partition("/")
    return _structure(request, resource, rest)


@sdmx_errors
@http.resource(http.STRUCTURE, error)
def structure_resource(request: HttpRequest, resource: str, path: str = "") -> HttpResponse:
    """/sdmx/{resource}[/{agencyID}[/{resourceID}[/{version}]]]?references=&detail= (SDMX 2.1
    REST structure queries): ids, agencies and versions may be ``all`` or joined by ``+``;
    the version may be ``latest``."""
    return _structure(request, resource, path)


def _structure(request: HttpRequest, resource: str, path: str) -> HttpResponse:
    try:
        _authenticate(request, as_json=False)
        resource = resources.ALIASES.get(resource, resource)
        if resource in resources.NOT_BUILT:
            return _not_implemented(resource)
        if resource not in (*resources.BUILT, *resources.EVERYTHING):
            raise NotFound("resource", *bilingual(gettext_noop("no structure resource '%(resource)s'"),
                                                  resource=resource))
        parts = [part for part in path.strip("/").split("/") if part] if path.strip("/") else []
        if len(parts) > 3:
            raise InputError("path", *bilingual(gettext_noop("a structure query is {resource}/{agencyID}/"
                                                             "{resourceID}/{version}: '%(path)s' has more parts"),
                                                path=path))
        agency, ident, version = (parts + ["all", "all", "latest"][len(parts):])[:3]
        references = request.GET.get("references", "none")
        if references not in (*resources.REFERENCES, *resources.BUILT, *resources.NOT_BUILT):
            raise InputError("references", *bilingual(
                gettext_noop("references must be one of %(values)s, or a structure type"),
                values=", ".join(resources.REFERENCES)))
        detail = request.GET.get("detail", "full")
        if detail in STUB_DETAILS:
            return _not_implemented(f"detail={detail}")
        if detail not in DETAILS:
            raise InputError("detail", *bilingual(gettext_noop("detail must be one of %(values)s"),
                                                  values=", ".join((*DETAILS, *STUB_DETAILS))))
        everything = http.structures()
        found = resources.artefacts(everything, with_constraints=resource in ("contentconstraint",
                                                                              *resources.EVERYTHING)
                                    or references != "none")
        chosen = resources.select(found, resource, agency, ident, version)
        if not chosen:
            raise NotFound("structure", *bilingual(gettext_noop("no structure '%(path)s'"),
                                                   path=f"{resource}/{path}".rstrip("/")))
        objects = [*chosen, *found.referenced(chosen, references)]
        if detail == "referencepartial":
            objects = constraints.partial(objects, chosen, found.by_resource.get("contentconstraint", []))
        return HttpResponse(messages.to_xml(_message(everything, objects)), content_type=XML_STRUCTURE)
    except Refused as refused:
        return refused.response
    except NotFound as exc:
        return error(404, NO_RESULTS, exc.ref, exc.vi, exc.en)
    except InputError as exc:
        return error(400, SYNTAX, exc.ref, exc.vi, exc.en)


def _message(everything: structures.Structures, objects: list[Any]) -> StructureMessage:
    message = StructureMessage(header=messages.header(everything))
    for obj in objects:
        message.add(obj)
    return message


@sdmx_errors
@http.resource(http.STRUCTURE, error)
def availableconstraint(request: HttpRequest, path: str) -> HttpResponse:
    """/sdmx/availableconstraint/{flowRef}[/{key}[/{providerRef}[/{componentID}]]]
    ?startPeriod=&endPeriod=&updatedAfter=&mode=&references=: the cube region of the data the
    query selects in the caller's scope (an Actual content constraint). mode=exact (the
    default): the codes of the data matching the whole key; mode=available: per dimension,
    the codes that match the key's other parts (what a user may still pick)."""
    try:
        token = _authenticate(request, as_json=False)
        parts = path.strip("/").split("/")
        if len(parts) > 4:
            raise InputError("path", *bilingual(gettext_noop("an availability query is availableconstraint/"
                                                             "{flowRef}/{key}/{providerRef}/{componentID}: "
                                                             "'%(path)s' has more parts"), path=path))
        flow, key, provider, component = (parts + ["", "all", "all", "all"][len(parts):])[:4]
        query.parse_provider(provider)
        mode = request.GET.get("mode", "exact")
        if mode not in ("exact", "available"):
            raise InputError("mode", *bilingual(gettext_noop("mode must be exact or available")))
        references = request.GET.get("references", "none")
        if references not in AVAILABILITY_REFERENCES:
            raise InputError("references", *bilingual(gettext_noop("references must be one of %(values)s"),
                                                      values=", ".join(AVAILABILITY_REFERENCES)))
        everything = http.structures(validity=False)
        parsed = query.parse(flow, key, request.GET, everything)
        dims = [*everything.dimension_ids, structures.TIME]
        if component.lower() not in ("all", "*") and component not in dims:
            raise NotFound("componentID", *bilingual(gettext_noop("no dimension '%(id)s'; the dimensions are: "
                                                                  "%(known)s"), id=component, known=", ".join(dims)))
        scope = public_scope.sdmx_scope(request, token)
        areas = national.load(everything.area_codes)
        searched = parsed if mode == "exact" else replace(parsed, wanted=[None] * len(parsed.wanted))
        found = messages.observations(query.rows(searched, everything, scope, areas).iterator(chunk_size=5000),
                                      everything, searched.wanted, areas)
        constraint = constraints.actual(everything, parsed.flow, ((o.key, o.time) for o in found), parsed.wanted,
                                        None if component.lower() in ("all", "*") else component)
        if constraint is None:
            return error(404, NO_RESULTS, "data", *bilingual(gettext_noop("no data match the query (within your "
                                                                          "scope)")))
        objects: list[Any] = [constraint]
        if references != "none":
            found_artefacts = resources.artefacts(everything, with_constraints=False)
            dataflow = everything.dataflows[parsed.flow]
            related = [dataflow, *found_artefacts.descendants(dataflow)]
            objects += [o for o in related if references == "all" or found_artefacts.resource_of(o) == references]
        return HttpResponse(messages.to_xml(_message(everything, objects)), content_type=XML_STRUCTURE)
    except Refused as refused:
        return refused.response
    except NotFound as exc:
        return error(404, NO_RESULTS, exc.ref, exc.vi, exc.en)
    except InputError as exc:
        return error(400, SEMANTIC if exc.ref.startswith("key part") else SYNTAX, exc.ref, exc.vi, exc.en)


@sdmx_errors
@http.resource(http.SCHEMA, error)
def schema(request: HttpRequest, path: str) -> HttpResponse:
    """/sdmx/schema/{datastructure|dataflow}/{agency}/{id}[/{version}]?dimensionAtObservation=:
    the DSD-specific XML schema of structure-specific data (nrs.exchange.sdmx.xsd). Its
    imports name the official 2.1 schemas by file name: keep it beside them."""
    try:
        _authenticate(request, as_json=False)
        parts = path.strip("/").split("/")
        context, agency, ident, version = (parts + ["", "", "", "latest"][len(parts):])[:4]
        everything = http.structures(validity=False)
        known = {"datastructure": [structures.DSD_ID], "dataflow": list(everything.dataflows)}
        if (ident not in known.get(context, []) or agency not in (structures.AGENCY_ID, "all", "*")
                or version not in (structures.VERSION, "latest", "*", "+", "~")):
            raise NotFound("schema", *bilingual(gettext_noop("no structure '%(path)s'"),
                                                path=path))
        dim_at_obs = query.parse_dim_at_obs(request.GET.get("dimensionAtObservation", ""))
        namespace = messages.dsd_namespace(everything, dim_at_obs)
        return HttpResponse(xsd.build(everything, namespace, dim_at_obs), content_type="application/xml")
    except Refused as refused:
        return refused.response
    except NotFound as exc:
        return error(404, NO_RESULTS, exc.ref, exc.vi, exc.en)
    except InputError as exc:
        return error(400, SYNTAX, exc.ref, exc.vi, exc.en)


@sdmx_errors
@http.resource(http.DATA, error)
def data(request: HttpRequest, path: str) -> HttpResponse:
    """/sdmx/data/{flow}[/{key}[/{provider}]]?startPeriod=&endPeriod=&dimensionAtObservation=
    &knownOn=&updatedAfter=&detail=&firstNObservations=&lastNObservations=: the approved
    values of the flow in the caller's scope (VIEW_DATA)."""
    as_json = request.GET.get("format") == "jsondata" or "json" in request.headers.get("Accept", "")
    try:
        token = _authenticate(request, as_json)
        media = _format(request)
        as_json = media == JSON_DATA
        parts = path.strip("/").split("/")
        if len(parts) > 3:
            raise InputError("path", *bilingual(gettext_noop("a data query is data/{flowRef}/{key}/{providerRef}: "
                                                             "'%(path)s' has more parts"), path=path))
        flow, key, provider = (parts + ["", "all", "all"][len(parts):])[:3]
        query.parse_provider(provider)
        everything = http.structures(validity=False)
        parsed = query.parse(flow, key, request.GET, everything)
        scope = public_scope.sdmx_scope(request, token)
        areas = national.load(everything.area_codes)
        found = messages.observations(query.rows(parsed, everything, scope, areas).iterator(chunk_size=5000),
                                      everything, parsed.wanted, areas)
        if not found:
            return error(404, NO_RESULTS, "data", *bilingual(gettext_noop("no data match the query (within your "
                                                                          "scope)")), as_json=as_json)
        return _data_response(media, everything, parsed, messages.limit(found, parsed.first_n, parsed.last_n))
    except Refused as refused:
        return refused.response
    except NotFound as exc:
        return error(404, NO_RESULTS, exc.ref, exc.vi, exc.en, as_json=as_json)
    except InputError as exc:
        return error(400, SEMANTIC if exc.ref.startswith("key part") else SYNTAX, exc.ref, exc.vi, exc.en,
                     as_json=as_json)


def _data_response(media: str, everything: structures.Structures, parsed: query.DataQuery,
                   found: list[messages.Obs]) -> HttpResponse:
    """The data message of ``found`` as ``media``, with what ``detail`` asks for."""
    message = messages.data_message(everything, parsed.flow, found, parsed.dim_at_obs,
                                    observations=parsed.with_observations, attributes=parsed.with_attributes)
    if media in (CSV_DATA, CSV2_DATA):
        return HttpResponse(messages.data_csv(message, media.rsplit("=", 1)[1]),
                            content_type=f"{media}; charset=utf-8")
    if media == JSON_DATA:
        return HttpResponse(messages.data_json(message, everything, parsed.dim_at_obs),
                            content_type=f"{JSON_DATA}; charset=utf-8")
    return HttpResponse(messages.data_xml(message, everything, parsed.dim_at_obs), content_type=XML_DATA)
