"""/sdmx/: the SDMX REST endpoints (structure and data), for a browser session or an API
bearer token (the same check and rate limit as /api/).

Each view authenticates, parses the request, and writes one message; bad input is a 400
and an unknown flow or structure a 404, with SDMX error codes and a bilingual text.
"""

from __future__ import annotations

import json
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext_noop
from django.views.decorators.http import require_GET
from lxml import etree
from lxml.builder import ElementMaker

from nrs.accounts import ratelimit
from nrs.accounts.api_auth import authenticate_bearer, bearer_secret
from nrs.exchange.public import scope as public_scope
from nrs.exchange.sdmx import http, messages, national, query, structures, xsd
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
    response["WWW-Authenticate"] = "Bearer"
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


@require_GET
@http.resource(http.STRUCTURE, error)
def structure(request: HttpRequest, path: str) -> HttpResponse:
    """/sdmx/structure/{type}[/{agency}[/{id}[/{version}]]]: codelist, conceptscheme,
    datastructure, dataflow, or structure/all for everything; ``references=children``
    (or all, descendants) adds what a DSD or dataflow uses."""
    try:
        _authenticate(request, as_json=False)
        parts = path.strip("/").split("/")
        kind, agency, ident, version = (parts + ["", "all", "all", "latest"][len(parts):])[:4]
        everything = structures.build()
        wildcard = ("all", "*")
        message = None
        if (kind in messages.STRUCTURE_TYPES + messages.ALL_TYPES
                and agency in (structures.AGENCY_ID, *wildcard)
                and version in (structures.VERSION, "latest", "+", "~", *wildcard)):
            references = request.GET.get("references", "none") in ("children", "descendants", "all")
            message = messages.structure_message(everything, kind, None if ident in wildcard else ident,
                                                 references)
        if message is None:
            raise NotFound("structure", *bilingual(gettext_noop("no structure '%(path)s'"),
                                                   path=path))
        return HttpResponse(messages.to_xml(message), content_type=XML_STRUCTURE)
    except Refused as refused:
        return refused.response
    except NotFound as exc:
        return error(404, NO_RESULTS, exc.ref, exc.vi, exc.en)


@require_GET
@http.resource(http.SCHEMA, error)
def schema(request: HttpRequest, path: str) -> HttpResponse:
    """/sdmx/schema/{datastructure|dataflow}/{agency}/{id}[/{version}]?dimensionAtObservation=:
    the DSD-specific XML schema of structure-specific data (nrs.exchange.sdmx.xsd). Its
    imports name the official 2.1 schemas by file name: keep it beside them."""
    try:
        _authenticate(request, as_json=False)
        parts = path.strip("/").split("/")
        context, agency, ident, version = (parts + ["", "", "", "latest"][len(parts):])[:4]
        everything = structures.build(validity=False)
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


@require_GET
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
        flow, _, key = path.partition("/")
        everything = structures.build(validity=False)
        parsed = query.parse(flow, key.split("/")[0], request.GET, everything)
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
