"""CORS on the public routes (issue 19, part 3): /public/ and /sdmx/ answer a browser script
from any origin, for GET only, when public dissemination is on (NRS_PUBLIC).

A preflight (OPTIONS with Access-Control-Request-Method) is answered here with 204 before any
view runs; a GET's answer gains ``Access-Control-Allow-Origin: *``. No credentials are ever
allowed cross-origin (no Allow-Credentials, and ``*`` forbids them): a cross-origin script is
anonymous, so it sees what scope.public_q lets an anonymous caller see, nothing more.
"""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

from nrs.exchange.public import scope

PREFIXES = ("/public/", "/sdmx/")
METHODS = "GET, HEAD, OPTIONS"
HEADERS = "Accept, Accept-Language, Accept-Encoding, If-None-Match, If-Modified-Since, Range"
EXPOSED = "Content-Disposition, Content-Language, ETag, Last-Modified, Retry-After"
MAX_AGE = "86400"


def cors_headers(response: HttpResponse) -> HttpResponse:
    response["Access-Control-Allow-Origin"] = "*"
    response["Access-Control-Allow-Methods"] = METHODS
    response["Access-Control-Allow-Headers"] = HEADERS
    response["Access-Control-Expose-Headers"] = EXPOSED
    return response


class PublicCorsMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if not request.path.startswith(PREFIXES) or not scope.enabled():
            return self.get_response(request)
        if request.method == "OPTIONS":
            response = cors_headers(HttpResponse(status=204))
            response["Access-Control-Max-Age"] = MAX_AGE
            return response
        response = self.get_response(request)
        if request.method in ("GET", "HEAD"):
            cors_headers(response)
        return response
