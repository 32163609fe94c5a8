"""One translation system: the Vietnamese catalogue django.po (issue 20, part 5).

nrs/locale/vi/LC_MESSAGES/django.po is the one source of the Vietnamese texts; the compiled
django.mo beside it is committed so that a fresh clone needs no GNU gettext. These tests fail when
a message is untranslated or fuzzy, when a translation drops or invents a %(name)s placeholder,
when the .mo lags the .po, and when the source uses a msgid the .po does not hold yet.
"""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

import polib
import pytest
from django.core.management import call_command

ROOT = Path(__file__).resolve().parent.parent
SOURCE = ROOT / "nrs"
PO = SOURCE / "locale" / "vi" / "LC_MESSAGES" / "django.po"
MO = PO.with_suffix(".mo")
HOW_TO_FIX = (
    "Run `make messages` (extracts the new strings into nrs/locale/vi/LC_MESSAGES/django.po), "
    "then translate them in django.po (empty msgstr, or a `#, fuzzy` guess to check and unflag), "
    "then run `make messages` again to compile django.mo."
)
PLACEHOLDER = re.compile(r"%\((\w+)\)[-#0 +]*\d*(?:\.\d+)?[sdifgeExXor]")


def catalogue() -> polib.POFile:
    return polib.pofile(str(PO))


def key(entry: polib.POEntry) -> str:
    return f"{entry.msgctxt}\x04{entry.msgid}" if entry.msgctxt else entry.msgid


def listing(msgids: list[str]) -> str:
    return "\n".join(f"  {m!r}" for m in msgids)


def test_every_message_is_translated_and_none_is_fuzzy() -> None:
    entries = [e for e in catalogue() if not e.obsolete]
    fuzzy = [e.msgid for e in entries if "fuzzy" in e.flags]
    untranslated = [e.msgid for e in entries if "fuzzy" not in e.flags and not e.translated()]
    problems = []
    if untranslated:
        problems.append(f"{len(untranslated)} untranslated:\n{listing(untranslated)}")
    if fuzzy:
        problems.append(f"{len(fuzzy)} fuzzy (a guess by makemessages, not a translation):\n{listing(fuzzy)}")
    if problems:
        pytest.fail("\n".join(problems) + "\n" + HOW_TO_FIX, pytrace=False)


def test_translations_keep_the_placeholders() -> None:
    wrong = []
    for entry in catalogue():
        if entry.obsolete or not entry.translated():
            continue
        wanted = set(PLACEHOLDER.findall(entry.msgid + (entry.msgid_plural or "")))
        texts = list(entry.msgstr_plural.values()) if entry.msgid_plural else [entry.msgstr]
        for text in texts:
            got = set(PLACEHOLDER.findall(text))
            if got != wanted:
                wrong.append(f"{entry.msgid!r} -> {text!r}: {sorted(got)} instead of {sorted(wanted)}")
    if wrong:
        pytest.fail(
            "Translations whose %(name)s placeholders differ from the msgid's:\n" + "\n".join(wrong), pytrace=False
        )


def test_the_committed_mo_is_compiled_from_the_po() -> None:
    def texts(catalog: polib._BaseFile) -> dict[str, object]:
        found: dict[str, object] = {}
        for e in catalog:
            text = {int(n): t for n, t in e.msgstr_plural.items()} if e.msgid_plural else e.msgstr
            if (
                e.msgid
                and not e.obsolete
                and "fuzzy" not in e.flags
                and (any(text.values()) if isinstance(text, dict) else text)
            ):
                found[key(e)] = text
        return found

    po, mo = texts(catalogue()), texts(polib.mofile(str(MO)))
    stale = sorted(k for k in po.keys() | mo.keys() if po.get(k) != mo.get(k))
    if stale:
        pytest.fail(
            f"django.mo differs from django.po on {len(stale)} messages:\n{listing(stale)}\n"
            "Compile it: `make messages` (or `cd nrs && ../.venv/bin/nrs compilemessages`).",
            pytrace=False,
        )


def copy_sources(target: Path) -> None:
    """What makemessages reads (domain django: .py, .html, .txt), without the catalogue."""
    for path in SOURCE.rglob("*"):
        relative = path.relative_to(SOURCE)
        if relative.parts[0] == "locale" or "__pycache__" in relative.parts:
            continue
        if path.is_file() and path.suffix in {".py", ".html", ".txt"}:
            destination = target / relative
            destination.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(path, destination)


@pytest.mark.skipif(
    shutil.which("xgettext") is None and os.environ.get("CI") != "true",
    reason="GNU gettext is not installed (apt-get install gettext)",
)
def test_the_catalogue_holds_every_message_of_the_source(tmp_path, settings, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """Extract afresh, as `make messages` does, from a copy of the tree (makemessages writes
    temporary files beside the templates, and would update the real catalogue)."""
    tree = tmp_path / "nrs"
    copy_sources(tree)
    (tree / "locale").mkdir()
    settings.LOCALE_PATHS = [tree / "locale"]
    monkeypatch.chdir(tree)
    call_command("makemessages", locale=["vi"], verbosity=0)
    fresh = polib.pofile(str(tree / "locale" / "vi" / "LC_MESSAGES" / "django.po"))

    held = {key(e) for e in catalogue() if not e.obsolete}
    missing = [key(e) for e in fresh if key(e) not in held]
    if missing:
        pytest.fail(
            f"The source uses {len(missing)} msgids that django.po does not hold (the catalogue is stale):\n"
            f"{listing(missing)}\n{HOW_TO_FIX}",
            pytrace=False,
        )


def test_bilingual_takes_the_vietnamese_from_the_catalogue() -> None:
    from django.utils import translation
    from django.utils.translation import gettext_lazy

    from nrs.i18n import Pair, bilingual

    with translation.override("en"):
        assert bilingual("%(count)d grant(s) revoked.", count=3) == ("Đã thu hồi 3 quyền.", "3 grant(s) revoked.")
        assert translation.get_language() == "en"
    # A Pair parameter gives each language its own text; a lazy one is rendered in each.
    assert bilingual("%(a)s / %(b)s", a=Pair("x", "y"), b=gettext_lazy("Accounts")) == (
        "x / Tài khoản",
        "y / Accounts",
    )
