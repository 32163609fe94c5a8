"""DHIS2's import options (the query parameters of POST /api/dataValueSets, and the ones a
message may carry itself), each honoured or refused by name: nothing is ignored silently.

    resolve(query, message) -> ImportOptions   (raises InputError naming the option)

Honoured: dryRun; importStrategy CREATE_AND_UPDATE (and its old name NEW_AND_UPDATES), CREATE,
UPDATE, DELETE; the id schemes UID (ids are the partner system's, through its mapping tables)
and CODE (ids are NRS codes) for data elements, category option combos, org units and data
sets; async (run at once, answered with DHIS2's job shape, see push.py).
Accepted with no effect, because NRS already does what they ask for or only skip work:
preheatCache, skipExistingCheck, skipAudit=false, force=false, the strict* and require* checks
(NRS is always strict), firstRowIsHeader (CSV headers are recognised by name).
Refused (409, a conflict naming the option): the NAME and ATTRIBUTE:… id schemes (names are
not unique in NRS: two communes may share one; NRS has no metadata attributes),
skipAudit=true (every NRS write is audited), force=true (a locked report is reopened by a
revision, never overridden), an unknown value of any option. Pure: no database.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from django.utils.translation import gettext_noop as _

from nrs.i18n import bilingual
from nrs.lib.errors import InputError

UID, CODE = "UID", "CODE"
KINDS = ("data_element", "combo", "org_unit", "data_set")
_SCHEME_PARAMS = {"data_element": "dataElementIdScheme", "combo": "categoryOptionComboIdScheme",
                  "org_unit": "orgUnitIdScheme", "data_set": "dataSetIdScheme"}
STRATEGIES = {"CREATE_AND_UPDATE": "CREATE_AND_UPDATE", "NEW_AND_UPDATES": "CREATE_AND_UPDATE",
              "CREATE": "CREATE", "NEW": "CREATE", "UPDATE": "UPDATE", "UPDATES": "UPDATE",
              "DELETE": "DELETE", "DELETES": "DELETE"}
# Accepted as given: NRS does this already, or they only spare DHIS2 some work.
NO_EFFECT = ("preheatCache", "skipExistingCheck", "strictPeriods", "strictDataElements",
             "strictCategoryOptionCombos", "strictAttributeOptionCombos", "strictOrganisationUnits",
             "requireCategoryOptionCombo", "requireAttributeOptionCombo", "firstRowIsHeader",
             "skipLastUpdated", "skipCache")
# Accepted only when false: true asks for something NRS never does.
ONLY_FALSE = {"skipAudit": _("NRS audits every write; skipAudit=true is refused"),
              "force": _("a locked NRS report is reopened by a revision, never forced; "
                         "force=true is refused")}
BOOLEANS = ("dryRun", "async", *NO_EFFECT, *ONLY_FALSE)


@dataclass
class ImportOptions:
    dry_run: bool = False
    strategy: str = "CREATE_AND_UPDATE"
    schemes: dict[str, str] = field(default_factory=lambda: dict.fromkeys(KINDS, UID))
    run_async: bool = False

    def describe(self) -> dict[str, object]:
        """DHIS2's importOptions, as the summary echoes them."""
        return {"dryRun": self.dry_run, "async": self.run_async, "importStrategy": self.strategy,
                "idSchemes": {_SCHEME_PARAMS[k]: v for k, v in self.schemes.items()}}


def _bool(name: str, raw: str) -> bool:
    text = raw.strip().lower()
    if text not in ("true", "false"):
        raise InputError(name, *bilingual(_("import option %(option)s must be true or false, not "
                                            "'%(value)s'"), option=name, value=raw[:40]))
    return text == "true"


def _scheme(name: str, raw: str) -> str:
    text = raw.strip().upper()
    if text in ("UID", "ID"):
        return UID
    if text == CODE:
        return CODE
    if text == "NAME":
        raise InputError(name, *bilingual(_("import option %(option)s=NAME is refused: names are not "
                                            "unique in NRS (two communes may share one); use UID "
                                            "(the mapping tables) or CODE (NRS codes)"), option=name))
    if text.startswith("ATTRIBUTE"):
        raise InputError(name, *bilingual(_("import option %(option)s=ATTRIBUTE is refused: NRS has no "
                                            "metadata attributes; use UID (the mapping tables) or "
                                            "CODE (NRS codes)"), option=name))
    raise InputError(name, *bilingual(_("import option %(option)s: unknown id scheme '%(value)s' "
                                        "(UID or CODE)"), option=name, value=raw[:40]))


def resolve(query: Mapping[str, str], message: Mapping[str, str] | None = None) -> ImportOptions:
    """The options of one import: the message's own win over the query's, and a specific id
    scheme over the general idScheme (DHIS2's precedence)."""
    given = {**query, **(message or {})}
    for name in BOOLEANS:
        if name in given:
            value = _bool(name, given[name])
            if name in ONLY_FALSE and value:
                raise InputError(name, *bilingual(ONLY_FALSE[name]))
    found = ImportOptions(dry_run=_bool("dryRun", given.get("dryRun", "false")),
                          run_async=_bool("async", given.get("async", "false")))
    if "importStrategy" in given:
        strategy = STRATEGIES.get(given["importStrategy"].strip().upper())
        if strategy is None:
            raise InputError("importStrategy", *bilingual(
                _("import option importStrategy: unknown value '%(value)s' (CREATE_AND_UPDATE, "
                  "CREATE, UPDATE or DELETE)"), value=given["importStrategy"][:40]))
        found.strategy = strategy
    general = _scheme("idScheme", given["idScheme"]) if "idScheme" in given else UID
    for kind, name in _SCHEME_PARAMS.items():
        found.schemes[kind] = _scheme(name, given[name]) if name in given else general
    if "categoryOptionComboIdScheme" not in given:  # a combo is named as its data element is
        found.schemes["combo"] = found.schemes["data_element"]
    for name in ("attributeOptionComboIdScheme", "categoryIdScheme", "categoryOptionIdScheme"):
        if name in given:  # checked, then moot: NRS takes only the default attribute option combo
            _scheme(name, given[name])
    if found.schemes["combo"] != found.schemes["data_element"]:
        raise InputError("categoryOptionComboIdScheme", *bilingual(
            _("import option categoryOptionComboIdScheme must be the data elements' scheme "
              "(%(scheme)s): NRS maps a data element and its combo together"),
            scheme=found.schemes["data_element"]))
    return found
