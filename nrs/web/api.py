"""The public JSON API (django-ninja). OpenAPI at /api/openapi.json, docs at /api/docs.

Machine clients authenticate with `Authorization: Bearer nrs_…` tokens; people
through their browser session.
"""

from typing import Any, cast

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.http import Http404, HttpRequest, HttpResponse
from django.utils.translation import gettext_noop as _
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError, ValidationError
from ninja.parser import Parser

from nrs.accounts.api_auth import BrowserSessionAuth, TokenAuth, challenge, install, unauthorised
from nrs.analytics.api import router as analytics_router
from nrs.collection.api import router as collection_router
from nrs.exchange.connectors.api import router as connectors_router
from nrs.exchange.dhis2.api import router as dhis2_router
from nrs.exchange.federation.api import router as federation_router
from nrs.exchange.qcvn.api import router as qcvn_router
from nrs.i18n import bilingual, error_body
from nrs.lib import errors, safejson
from nrs.lib.errors import InputError
from nrs.registry.api import router as registry_router


class SafeParser(Parser):
    """JSON bodies through nrs.lib.safejson: a deeply nested body is a bilingual 400, and so
    is a NUL in any string or key (PostgreSQL refuses NUL in text: it would be a 500)."""

    def parse_body(self, request: HttpRequest) -> dict[str, Any]:
        body = safejson.loads(request.body)
        refuse_nul(body)
        return cast(dict[str, Any], body)


def refuse_nul(value: Any, ref: str = "") -> None:
    """Raise InputError at the JSON path of the first string or key holding a NUL."""
    if isinstance(value, str):
        if "\x00" in value:
            where = ref or "body"
            raise InputError(where, *bilingual(_("%(ref)s: the string holds a NUL character"), ref=where))
    elif isinstance(value, dict):
        for key, item in value.items():
            inner = f"{ref}.{key}" if ref else str(key)
            refuse_nul(key, inner.replace("\x00", "\\0"))
            refuse_nul(item, inner)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            refuse_nul(item, f"{ref}[{index}]")


ERROR_REF = "#/components/schemas/ApiError"
ERROR_BODY = {"application/json": {"schema": {"$ref": ERROR_REF}}}
# Answers any operation may give, whatever its own code does (documented once, here).
COMMON_ANSWERS = {
    "400": "a parameter holding a control character or over the length limit (nrs.web.middleware) / "
           "tham số chứa ký tự điều khiển hoặc quá dài",
    "401": "no valid token or session / thiếu token hoặc phiên đăng nhập hợp lệ",
    "422": "a parameter that does not parse / tham số không hợp lệ",
    "429": "over the rate limit; see Retry-After / vượt giới hạn tần suất",
}
BODY_ANSWERS = {  # and those with a request body
    "400": "a body that does not parse / nội dung không hợp lệ",
    "413": "a body over the size limit / nội dung quá lớn",
}
WRITES = ("post", "put", "patch", "delete")
# Every write takes an Idempotency-Key (nrs.collection.idempotency): resent with the same key,
# it takes effect once and the first answer comes back with "replayed": true.
IDEMPOTENCY_KEY = {
    "name": "Idempotency-Key", "in": "header", "required": False,
    "schema": {"type": "string", "minLength": 1, "maxLength": 200},
    "description": "any unique string per logical request (1-200 characters): a retry with the same "
                   "key and body takes effect once; the same key with another body is refused "
                   "(422, code idempotency_key_reused)",
}


class DocumentedAPI(NinjaAPI):
    """The OpenAPI lists the answers that authentication, parameter parsing, the body
    parser and the rate limit give, besides each operation's own, all as ApiError; every
    write declares the Idempotency-Key header. Every error answer carries a code."""

    def get_openapi_schema(self, *, path_prefix: str | None = None,
                           path_params: dict[str, Any] | None = None) -> Any:
        schema = super().get_openapi_schema(path_prefix=path_prefix, path_params=path_params)
        for item in schema["paths"].values():
            for method, operation in item.items():
                # Ninja keys its answers by int: as strings, so that an operation's own 422 is not
                # shadowed by the common one when the document is written out as JSON.
                responses = {str(code): answer for code, answer in operation["responses"].items()}
                answers = {**COMMON_ANSWERS, **(BODY_ANSWERS if method in ("post", "put", "patch") else {})}
                for code, text in answers.items():
                    responses.setdefault(code, {"description": text, "content": ERROR_BODY})
                operation["responses"] = responses
                if method in WRITES:
                    parameters = operation.setdefault("parameters", [])
                    if not any(p.get("name") == IDEMPOTENCY_KEY["name"] for p in parameters):
                        parameters.append(dict(IDEMPOTENCY_KEY))
        return schema

    def create_response(self, request: HttpRequest, data: Any, *, status: int | None = None,
                        temporal_response: HttpResponse | None = None) -> HttpResponse:
        """An error body without a code gets its HTTP status's (nrs.lib.errors.STATUS_CODES)."""
        code = temporal_response.status_code if temporal_response else status
        if isinstance(data, dict) and code is not None and code >= 400:
            data = errors.with_code(data, code)
        return super().create_response(request, data, status=status, temporal_response=temporal_response)


api = DocumentedAPI(title="NRS API", version="1", auth=[TokenAuth(), BrowserSessionAuth()], parser=SafeParser(),
                    description="National Reporting System. Errors in Vietnamese and English, each with a "
                                "machine-readable code (ApiError).")
install(api)  # rate-limited tokens get 429 with Retry-After


@api.exception_handler(AuthenticationError)
def _unauthorised(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
    """No valid token or session: 401 with a Bearer challenge and a bilingual body."""
    response = api.create_response(request, unauthorised(), status=401)
    response["WWW-Authenticate"] = challenge(request)
    return response


# Ninja's own refusals, in the one error shape (nrs.lib.errors); "detail" is kept as it was.
HTTP_MESSAGES = {
    403: _("you may not read this"),
    404: _("not found"),
}


@api.exception_handler(HttpError)
def _http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    """Ninja wraps a body the parser refused in HttpError(400): answer in both languages."""
    cause = exc.__cause__
    if isinstance(cause, InputError):
        return api.create_response(request, cause.as_dict(), status=400)
    if isinstance(cause, ValueError):  # malformed JSON or bad UTF-8
        refused = InputError("body", *bilingual(_("malformed JSON")), code="malformed_json")
        return api.create_response(request, refused.as_dict(), status=400)
    message = HTTP_MESSAGES.get(exc.status_code, _("the request was refused"))
    return api.create_response(request, {**error_body(message), "detail": str(exc)}, status=exc.status_code)


@api.exception_handler(Http404)
def _not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
    """get_object_or_404 and its kin: code not_found, in both languages."""
    return api.create_response(request, {**error_body(_("not found")), "code": "not_found",
                                         "detail": "Not Found"}, status=404)


@api.exception_handler(ValidationError)
def _invalid(request: HttpRequest, exc: ValidationError) -> HttpResponse:
    """A parameter or body field that does not parse: code invalid_parameter, ``ref`` the first
    one's name, and Ninja's own list under ``detail`` as before."""
    first = exc.errors[0] if exc.errors else {}
    place = [str(part) for part in first.get("loc", ())]
    ref = ".".join(place[2:] if place[:1] == ["body"] else place[1:]) or ".".join(place) or "request"
    vi, en = bilingual(_("%(ref)s: the value does not parse"), ref=ref)
    refused = InputError(ref, vi, en, code="invalid_parameter")
    return api.create_response(request, refused.as_dict() | {"detail": exc.errors}, status=422)


@api.exception_handler(RequestDataTooBig)
def _too_big(request: HttpRequest, exc: RequestDataTooBig) -> HttpResponse:
    """A body over DATA_UPLOAD_MAX_MEMORY_SIZE (bigger ones never get past nrs/asgi.py)."""
    limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE // (1024 * 1024)
    vi, en = bilingual(_("request too large: at most %(limit)s MB"), limit=limit)
    return api.create_response(request, InputError("body", vi, en, code="too_large").as_dict(), status=413)
api.add_router("/registry", registry_router)
api.add_router("", collection_router)
api.add_router("", analytics_router)
api.add_router("/dhis2", dhis2_router)
api.add_router("/qcvn", qcvn_router)
api.add_router("/federation", federation_router)
api.add_router("/connectors", connectors_router)
