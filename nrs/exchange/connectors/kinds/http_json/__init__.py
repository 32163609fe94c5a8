"""HTTP JSON: a JSON document holding a list of objects, one value each.

``mapping.records`` is a JSON pointer (RFC 6901) to the list ("" or absent: the document
is the list); ``mapping.fields`` names each object's keys. Example::

    {"records": "/data/items",
     "fields": {"indicator": "code", "orgUnit": "area", "period": "month", "value": "amount"},
     "codes": {"indicator": {"RS": "RETAIL_SALES"}, "orgUnit": {"HN": "01"}}}
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import jsonpointer
from django.utils.translation import gettext_lazy as _
from django.utils.translation import gettext_noop

from nrs.exchange.connectors.kinds import Kind, Record, records, register
from nrs.i18n import bilingual
from nrs.lib import safejson
from nrs.lib.errors import InputError


def resolve(document: Any, pointer: str) -> Any:
    """RFC 6901 (the jsonpointer package): "/a/0/b" is document["a"][0]["b"]."""
    if pointer and not pointer.startswith("/"):
        raise InputError("mapping.records", *bilingual(gettext_noop("a JSON pointer starts with '/'")))
    try:
        return jsonpointer.resolve_pointer(document, pointer)
    except jsonpointer.JsonPointerException:
        raise InputError(f"body{pointer}", *bilingual(gettext_noop("'%(pointer)s' is not in the JSON "
                                                                   "document"),
                                                      pointer=pointer)) from None


class HttpJson(Kind):
    code = "http_json"
    label = _("HTTP JSON (a list of objects)")
    accept = "application/json"

    def parse(self, body: bytes, mapping: Mapping[str, Any]) -> list[Record]:
        try:
            document = safejson.loads(body.decode("utf-8-sig"))
        except UnicodeDecodeError:
            raise InputError("body", *bilingual(gettext_noop("JSON must be UTF-8"))) from None
        except json.JSONDecodeError as exc:  # the place only: the message never quotes the content
            raise InputError(f"body: line {exc.lineno}, column {exc.colno}",
                             *bilingual(gettext_noop("malformed JSON"))) from None
        except ValueError:  # safejson's limits (depth, size of numbers)
            raise InputError("body", *bilingual(gettext_noop("malformed JSON"))) from None
        pointer = str(mapping.get("records", ""))
        items = resolve(document, pointer)
        if not isinstance(items, list):
            raise InputError(f"body{pointer}", *bilingual(gettext_noop("must be a JSON array")))
        for n, item in enumerate(items):
            if not isinstance(item, Mapping):
                raise InputError(f"body{pointer}/{n}", *bilingual(gettext_noop("each item must be an object")))
        return records(((f"body{pointer}/{n}", item) for n, item in enumerate(items)), mapping)


KIND = register(HttpJson())
