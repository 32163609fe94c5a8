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

from nrs.exchange.connectors.kinds import Kind, Record, records, register
from nrs.lib import safejson
from nrs.lib.errors import InputError


def resolve(document: Any, pointer: str) -> Any:
    """RFC 6901 (the jsonpointer package): "/a/0/b" is document["a"][0]["b"]."""
    if pointer and not pointer.startswith("/"):
        raise InputError("mapping.records", "con trỏ JSON phải bắt đầu bằng '/'",
                         "a JSON pointer starts with '/'")
    try:
        return jsonpointer.resolve_pointer(document, pointer)
    except jsonpointer.JsonPointerException:
        raise InputError(f"body{pointer}", f"không tìm thấy '{pointer}' trong tài liệu JSON",
                         f"'{pointer}' is not in the JSON document") from None


class HttpJson(Kind):
    code = "http_json"
    label = _("HTTP JSON (a list of objects)")
    accept = "application/json"

    def parse(self, body: bytes, mapping: Mapping[str, Any]) -> list[Record]:
        try:
            document = safejson.loads(body.decode("utf-8-sig"))
        except UnicodeDecodeError:
            raise InputError("body", "JSON phải mã hóa UTF-8", "JSON must be UTF-8") from None
        except json.JSONDecodeError as exc:  # the place only: the message never quotes the content
            raise InputError(f"body: line {exc.lineno}, column {exc.colno}", "JSON không hợp lệ",
                             "malformed JSON") from None
        except ValueError:  # safejson's limits (depth, size of numbers)
            raise InputError("body", "JSON không hợp lệ", "malformed JSON") from None
        pointer = str(mapping.get("records", ""))
        items = resolve(document, pointer)
        if not isinstance(items, list):
            raise InputError(f"body{pointer}", "phải là một mảng JSON", "must be a JSON array")
        for n, item in enumerate(items):
            if not isinstance(item, Mapping):
                raise InputError(f"body{pointer}/{n}", "mỗi phần tử phải là một đối tượng",
                                 "each item must be an object")
        return records(((f"body{pointer}/{n}", item) for n, item in enumerate(items)), mapping)


KIND = register(HttpJson())
