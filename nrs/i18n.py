"""Bad-input messages in both languages, from the one catalogue (issue 20, part 5).

The API answers a bad input with ``message_vi`` and ``message_en`` side by side, whatever the
user's language. Both come from one English msgid: the English is the msgid itself, the
Vietnamese its translation in nrs/locale/vi/LC_MESSAGES/django.po. So the Vietnamese is edited
in the .po like every other string, not hard-coded beside the English.

    from django.utils.translation import gettext_noop as _
    from nrs.i18n import Pair, bilingual

    vi, en = bilingual(_("period '%(period)s' is not open yet (opens %(opens)s)"),
                       period=period, opens=Pair(f"{d:%d/%m/%Y}", f"{d:%Y-%m-%d}"))
    raise InputError(ref, *bilingual(_("the value must be a number")))

The msgid must be marked where it is written, with a name makemessages extracts (`_` bound to
gettext_noop or gettext_lazy, or gettext_noop itself); a plain variable is not extracted and
the catalogue test cannot see it. A parameter is a plain value (the same in both languages), a
``Pair`` (one text per language, e.g. a date written the Vietnamese and the ISO way, or a nested
bilingual message), or a lazy translation (rendered in each language).

This module is a layer of its own between nrs.audit and nrs.lib: every Django layer may use it,
and nrs.lib stays free of Django (lib-level errors keep their explicit pairs).
"""

from __future__ import annotations

from typing import Any, NamedTuple

from django.utils import translation
from django.utils.functional import Promise


class Pair(NamedTuple):
    """A text in Vietnamese and in English (a parameter, or what ``bilingual`` returns)."""

    vi: str
    en: str


def _value(value: Any, language: str) -> Any:
    if isinstance(value, Pair):
        return value.vi if language == "vi" else value.en
    return str(value) if isinstance(value, Promise) else value


def _render(message: str | Promise, language: str, params: dict[str, Any]) -> str:
    with translation.override(language):
        msgid = str(message)
        text = translation.gettext(msgid) if msgid and language != "en" else msgid
        if not params:
            return text
        return text % {name: _value(value, language) for name, value in params.items()}


def bilingual(message: str | Promise, /, **params: Any) -> Pair:
    """(vi, en) of an English msgid with %(name)s parameters; the English is the msgid itself."""
    return Pair(_render(message, "vi", params), _render(message, "en", params))


def error_body(message: str | Promise, /, **params: Any) -> dict[str, str]:
    """An API error answer, ``{"status": "error", "message_vi": …, "message_en": …}``."""
    vi, en = bilingual(message, **params)
    return {"status": "error", "message_vi": vi, "message_en": en}
