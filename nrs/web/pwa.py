"""The installable web app (issue 20, part 6): its manifest and its service worker.

The service worker is served at /sw.js so that its scope is the whole site; it keeps the app
shell (styles, scripts, icons) and the last overview the user saw, network first, and shows that
overview offline stamped with its refresh time (nrs/templates/pwa/sw.js)."""

from __future__ import annotations

import functools
import hashlib
import json
import re

from django.contrib.staticfiles import finders
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.template import engines
from django.template.loader import render_to_string
from django.templatetags.static import static
from django.urls import reverse
from django.views.decorators.http import require_safe

# Precached on install: what every page needs, and the overview (which draws no Plotly chart).
SHELL = ["nrs/nrs.css", "nrs/site.js", "nrs/dashboard.js", "nrs/icons/icon.svg", "nrs/icons/icon-192.png"]


def _htmx() -> list[str]:
    """htmx's script URL(s), as base.html loads them (django-htmx's template tag)."""
    tag = engines["django"].from_string("{% load django_htmx %}{% htmx_script %}").render()
    return re.findall(r'src="([^"]+)"', tag)


@functools.cache
def _shell() -> tuple[tuple[str, ...], str]:
    """The shell's URLs and a version that changes whenever one of the files does: static files
    change with a deployment, which restarts the processes, so each process hashes them once."""
    digest = hashlib.sha256()
    for name in SHELL:
        found = finders.find(name)
        if isinstance(found, str):
            with open(found, "rb") as fh:
                digest.update(fh.read())
    urls = (*(static(name) for name in SHELL), *_htmx())
    digest.update("\n".join(urls).encode())
    return urls, digest.hexdigest()[:16]


@require_safe
def service_worker(request: HttpRequest) -> HttpResponse:
    urls, version = _shell()
    script = render_to_string("pwa/sw.js", {
        "version": version, "shell": json.dumps(urls), "overview": json.dumps(reverse("analytics:overview")),
        "logout": json.dumps(reverse("logout")), "static": json.dumps(static("")),
    })
    response = HttpResponse(script, content_type="text/javascript; charset=utf-8")
    response["Service-Worker-Allowed"] = "/"
    response["Cache-Control"] = "no-cache"
    return response


@require_safe
def manifest(request: HttpRequest) -> JsonResponse:
    """Vietnamese first: the app's name is Vietnamese whatever the page's language."""
    data = {
        "name": "Hệ thống thông tin báo cáo quốc gia",
        "short_name": "NRS",
        "description": "Số liệu kinh tế - xã hội: báo cáo, tổng hợp và bảng điều hành",
        "lang": "vi",
        "start_url": "/",
        "scope": "/",
        "display": "standalone",
        "background_color": "#f6f7f9",
        "theme_color": "#b3261e",
        "icons": [
            {"src": static("nrs/icons/icon-192.png"), "sizes": "192x192", "type": "image/png"},
            {"src": static("nrs/icons/icon-512.png"), "sizes": "512x512", "type": "image/png"},
            {"src": static("nrs/icons/icon.svg"), "sizes": "any", "type": "image/svg+xml"},
        ],
    }
    response = JsonResponse(data, json_dumps_params={"ensure_ascii": False})
    response["Content-Type"] = "application/manifest+json"
    return response
