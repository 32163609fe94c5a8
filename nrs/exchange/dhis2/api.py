"""The dhis2 API router (/api/dhis2/…): DHIS2 dataValueSets (JSON, CSV) and ADX imports.

Each operation checks who may enter data (access.py, the token's unit and scope), then
hands the body to importer.import_payload, which answers like DHIS2's import summary.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils.translation import gettext_noop as _
from ninja import Router, Status

from nrs.accounts import access
from nrs.accounts.access import Perm
from nrs.accounts.api_auth import request_token
from nrs.exchange.dhis2 import importer, parsers
from nrs.i18n import bilingual, error_body
from nrs.lib.errors import InputError
from nrs.registry.api import ApiError, Detail, Strict, Text

router = Router(tags=["dhis2"])



class ImportCountOut(Strict):
    imported: int
    updated: int
    ignored: int
    deleted: int


class ConflictOut(Strict):
    object: str
    value: str
    code: str
    severity: str
    message_vi: str
    message_en: str


class ImportedOut(Strict):
    id: int | None
    regime: str
    orgUnit: str
    period: str
    state: str


class ImportSummaryOut(Strict):
    """DHIS2's import summary, with NRS's bilingual message."""

    responseType: str
    status: str  # SUCCESS | WARNING | ERROR
    dryRun: bool
    importCount: ImportCountOut
    conflicts: list[ConflictOut]
    submissions: list[ImportedOut]
    message_vi: str
    message_en: str
    replayed: bool | None = None


REFUSED = ApiError | Detail
# Every refusal is an import summary (conflicts say why), or a bilingual error before the import.
ANSWERS = {200: ImportSummaryOut, **{code: ImportSummaryOut | REFUSED
                                     for code in (400, 403, 409, 413, 415, 422)}}


def _forbidden() -> dict[str, str]:
    return error_body(_("you may not enter data"))

SUMMARY = {"type": "object", "description": "DHIS2-style import summary: status, importCount, "
           "conflicts [{object, value, message_vi, message_en}], message_vi, message_en"}

DATA_VALUE_SET = {
    "type": "object", "required": ["dataValues"],
    "properties": {
        "dataSet": {"type": "string", "description": "their data set id (mapped to a regime)"},
        "completeDate": {"type": "string"},
        "period": {"type": "string", "description": "202610, 2026Q3, 2026S1, 2026 or 2026-10-01/P1M"},
        "orgUnit": {"type": "string"}, "attributeOptionCombo": {"type": "string"},
        "dataValues": {"type": "array", "items": {"type": "object", "properties": {
            "dataElement": {"type": "string"}, "categoryOptionCombo": {"type": "string"},
            "period": {"type": "string"}, "orgUnit": {"type": "string"},
            "attributeOptionCombo": {"type": "string"},
            "value": {"type": ["string", "number", "null"]}, "comment": {"type": "string"}}}},
    },
}
DVS_BODY = {"requestBody": {"required": True, "content": {
    "application/json": {"schema": DATA_VALUE_SET},
    "text/csv": {"schema": {"type": "string", "description":
                            "dataelement,period,orgunit,categoryoptioncombo,attributeoptioncombo,"
                            "value,storedby,lastupdated,comment,followup"}}}}}
ADX_BODY = {"requestBody": {"required": True, "content": {
    "application/adx+xml": {"schema": {"type": "string", "description":
                                       "an ADX message (urn:ihe:qrph:adx:2015)"}}}}}

_MEDIA = {"application/json": parsers.JSON, "text/csv": parsers.CSV,
          "application/csv": parsers.CSV}


def _media(request: HttpRequest) -> str:
    return request.headers.get("Content-Type", "").split(";")[0].strip().lower()


def _answer(request: HttpRequest, media_type: str, dry_run: bool, system: str,
            data_set: str) -> Status[dict[str, Any]]:
    token = request_token(request)
    if not access.has_perm(request.user, Perm.ENTER_DATA, token=token):
        return Status(403, _forbidden())
    # DHIS2's import options (importStrategy, idScheme…), honoured or refused by name (options.py).
    query = {name: request.GET.get(name, "") for name in request.GET if name not in ("system", "dataSet")}
    if query.get("async", "").strip().lower() == "true":
        refused = importer.option_refused(InputError("async", *bilingual(_(
            "async=true is served on /dhis2/{system}/api/dataValueSets, with DHIS2's job API; "
            "this endpoint imports at once"))))
        return Status(refused.status_code, refused.as_dict())
    summary = importer.import_payload(
        request.body, media_type, actor=request.user, token=token, system=system,
        dry_run=dry_run, idempotency_key=request.headers.get("Idempotency-Key", ""),
        data_set=data_set, query=query)
    return Status(summary.status_code, summary.as_dict())


@router.post("/dataValueSets", response=ANSWERS, openapi_extra=DVS_BODY, exclude_unset=True)
def post_data_value_sets(request: HttpRequest, dryRun: bool = False, system: Text = "",
                         dataSet: Text = "") -> Status[dict[str, Any]]:
    """Import a DHIS2 data value set, JSON or CSV (by Content-Type), through the mapping
    tables of partner system `system` (none: ids are NRS codes). All or nothing; with
    `dryRun=true` nothing is stored; an `Idempotency-Key` header stores a resent message
    once. `dataSet` names the data set for CSV, which carries none."""
    media_type = _MEDIA.get(_media(request), _media(request) or "(none)")
    return _answer(request, media_type, dryRun, system, dataSet)


@router.post("/adx", response=ANSWERS, openapi_extra=ADX_BODY, exclude_unset=True)
def post_adx(request: HttpRequest, dryRun: bool = False, system: Text = "") -> Status[dict[str, Any]]:
    """Import an ADX message (application/adx+xml), as /api/dhis2/dataValueSets does.
    The XML is read with DTDs and entities forbidden."""
    return _answer(request, parsers.ADX, dryRun, system, "")
