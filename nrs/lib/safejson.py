"""JSON parsing that refuses deeply nested documents before ``json.loads`` recurses into
them: ``[[[[…`` a hundred thousand levels deep is a clear bilingual error, never a
RecursionError or a 500."""

from __future__ import annotations

import json
import re
from typing import Any

from nrs.lib.errors import InputError

MAX_DEPTH = 64

_STRINGS = re.compile(rb'"(?:[^"\\]|\\.)*+"', re.DOTALL)
_NOT_BRACKETS = bytes(b for b in range(256) if b not in b"[]{}")
_OPEN = frozenset(b"[{")


class TooDeep(InputError):
    """A JSON document nested deeper than MAX_DEPTH."""


def depth_error(limit: int = MAX_DEPTH) -> TooDeep:
    return TooDeep("body", f"JSON lồng nhau quá sâu (tối đa {limit} cấp)",
                   f"JSON nested too deeply (at most {limit} levels)")


def check_depth(raw: bytes | str, limit: int = MAX_DEPTH) -> None:
    """Raise TooDeep if arrays/objects nest deeper than ``limit`` (brackets inside strings
    do not count)."""
    data = raw.encode("utf-8", "surrogatepass") if isinstance(raw, str) else raw
    brackets = _STRINGS.sub(b"", data).translate(None, _NOT_BRACKETS)
    depth = 0
    for byte in brackets:
        if byte in _OPEN:
            depth += 1
            if depth > limit:
                raise depth_error(limit)
        else:
            depth -= 1


def loads(raw: bytes | str, limit: int = MAX_DEPTH) -> Any:
    """``json.loads`` after the depth check; json.JSONDecodeError/UnicodeDecodeError pass through."""
    check_depth(raw, limit)
    try:
        return json.loads(raw)
    except RecursionError:  # belt and braces: never a 500
        raise depth_error(limit) from None
