"""The DHIS2-compatible mount, one per partner system: /dhis2/{system}/api/…

DHIS2's Aggregate Data Exchange (target type EXTERNAL) and dhis2-java-client post to
``{base}/api/dataValueSets``; with ``{base}`` = ``https://nrs…/dhis2/{system}`` they push to
NRS unchanged:

- POST {base}/api/dataValueSets and {base}/api/{version}/dataValueSets (e.g. /api/40/), also
  with DHIS2's ``.json``/``.xml``/``.csv``/``.adx`` suffix: JSON, CSV, ADX or DXF2 XML by
  Content-Type, through the system's mapping tables (importer.import_payload);
- GET {base}/api/system/tasks/DATAVALUE_IMPORT/{id} and
  {base}/api/system/taskSummaries/DATAVALUE_IMPORT/{id}: the job API an ``async=true`` import
  is polled through (dhis2-java-client always sends async=true). NRS runs the import at once
  and keeps its summary (ImportJob), so the first poll says it is complete.

Credentials are a machine's (api_auth.authenticate_dhis2: ``ApiToken``, Basic with a token,
Basic with a system account's password); there is no session and so no CSRF. A missing or bad
one gets 401 with ``WWW-Authenticate: Basic realm="DHIS2"``. Outside DEBUG the mount answers
only over HTTPS (request.is_secure(), which trusts the TLS proxy's header when
NRS_SECURE_PROXY_HEADER sets SECURE_PROXY_SSL_HEADER). Every answer is DHIS2's WebMessage
(httpStatus, httpStatusCode, status, message, response), in JSON, with NRS's bilingual
message beside DHIS2's English one; never HTML.
"""

from __future__ import annotations

import secrets
import string
from typing import Any, cast

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils.translation import gettext_noop as _
from django.views.decorators.csrf import csrf_exempt

from nrs.accounts import ratelimit
from nrs.accounts.api_auth import DHIS2_CHALLENGE, authenticate_dhis2, request_token
from nrs.accounts.models import User
from nrs.exchange.dhis2 import importer, parsers
from nrs.exchange.dhis2.models import ImportJob, PartnerSystem
from nrs.exchange.dhis2.options import resolve
from nrs.i18n import bilingual
from nrs.lib.errors import InputError

JOB_TYPE = "DATAVALUE_IMPORT"
HTTP_NAMES = {200: "OK", 400: "Bad Request", 401: "Unauthorized", 403: "Forbidden",
              404: "Not Found", 405: "Method Not Allowed", 409: "Conflict",
              413: "Payload Too Large", 415: "Unsupported Media Type", 429: "Too Many Requests"}
MEDIA = {"application/json": parsers.JSON, "text/csv": parsers.CSV, "application/csv": parsers.CSV,
         "application/adx+xml": parsers.ADX, "application/xml": parsers.DXF2,
         "text/xml": parsers.DXF2}


def web_message(http: int, status: str, message: tuple[str, str], response: dict[str, Any] | None = None,
                error_code: str = "") -> JsonResponse:
    """DHIS2's WebMessage; ``message`` is (vi, en): DHIS2's ``message`` is the English."""
    vi, en = message
    body: dict[str, Any] = {"httpStatus": HTTP_NAMES.get(http, str(http)), "httpStatusCode": http,
                            "status": status, "message": en, "message_vi": vi, "message_en": en}
    if error_code:
        body["errorCode"] = error_code
    if response is not None:
        body["response"] = response
    return JsonResponse(body, status=http, json_dumps_params={"ensure_ascii": False})


def _refused(http: int, message: tuple[str, str], error_code: str) -> JsonResponse:
    return web_message(http, "ERROR", message, error_code=error_code)


def _unauthorised() -> JsonResponse:
    answer = _refused(401, bilingual(_("send DHIS2 credentials: Authorization: ApiToken <NRS API token>, "
                                       "or Basic with a system account")), "E1001")
    answer["WWW-Authenticate"] = DHIS2_CHALLENGE
    return answer


def _summary(summary: importer.ImportSummary) -> dict[str, Any]:
    """The ImportSummary as DHIS2 writes it (responseType, status, description, importCount,
    conflicts [{object, value, errorCode}]), with NRS's bilingual messages."""
    found = summary.as_dict()
    conflicts = [{"object": c["object"], "value": c["value"], "errorCode": c["code"],
                  "message_vi": c["message_vi"], "message_en": c["message_en"]}
                 for c in found["conflicts"]]
    body = {"responseType": "ImportSummary", "status": found["status"],
            "description": found["message_en"], "importCount": found["importCount"],
            "conflicts": conflicts, "dataSetComplete": "false", "dryRun": found["dryRun"],
            "submissions": found["submissions"], "message_vi": found["message_vi"],
            "message_en": found["message_en"]}
    if summary.replayed:
        body["replayed"] = True
    return body


def _answer(summary: importer.ImportSummary) -> tuple[int, str, tuple[str, str]]:
    """(HTTP status, WebMessage status, message) as DHIS2 answers an import summary: 200 OK,
    409 WARNING with conflicts, 409 ERROR (or the refusal's own 400/403/413/415)."""
    if summary.status == "SUCCESS":
        return 200, "OK", bilingual(_("Import was successful."))
    if summary.status == "WARNING":
        return 409, "WARNING", bilingual(_("One more conflicts encountered, please check import summary."))
    http = summary.status_code if summary.status_code in (400, 403, 413, 415) else 409
    return http, "ERROR", bilingual(_("An error occurred, please check import summary."))


def _authenticated(request: HttpRequest) -> JsonResponse | None:
    """None when the request may go on; else the refusal (plain HTTP, no or bad credentials)."""
    if not (settings.DEBUG or request.is_secure()):
        return _refused(403, bilingual(_("the DHIS2 mount answers only over HTTPS")), "E1004")
    try:
        who = authenticate_dhis2(request)
    except ratelimit.RateLimited as exc:
        answer = _refused(429, bilingual(_("Too many requests with this token; retry after %(seconds)s "
                                           "seconds"), seconds=exc.retry_after), "E1005")
        answer["Retry-After"] = str(exc.retry_after)
        return answer
    return _unauthorised() if who is None else None


def _partner(code: str) -> PartnerSystem | None:
    return PartnerSystem.objects.filter(code=code, active=True).first()


def _no_system(code: str) -> JsonResponse:
    return _refused(404, bilingual(_("unknown or inactive partner system '%(code)s'"), code=code[:40]),
                    "E1005")


def _job_uid() -> str:
    """A DHIS2 uid: 11 characters, a letter first."""
    letters, alphabet = string.ascii_letters, string.ascii_letters + string.digits
    return secrets.choice(letters) + "".join(secrets.choice(alphabet) for _n in range(10))


@csrf_exempt
def data_value_sets(request: HttpRequest, system: str, version: str = "", suffix: str = "") -> HttpResponse:
    if request.method != "POST":
        answer = _refused(405, bilingual(_("only POST is served here: NRS takes pushes, it does not "
                                           "export data value sets")), "E1006")
        answer["Allow"] = "POST"
        return answer
    refused = _authenticated(request)
    if refused is not None:
        return refused
    partner = _partner(system)
    if partner is None:
        return _no_system(system)
    given = request.headers.get("Content-Type", "").split(";")[0].strip().lower()
    if not given and suffix:  # DHIS2's format suffix stands in for a missing Content-Type
        given = {"json": "application/json", "xml": "application/xml", "csv": "application/csv",
                 "adx": "application/adx+xml"}[suffix]
    media_type = MEDIA.get(given)
    if media_type is None:
        return _refused(415, bilingual(_("unsupported content type '%(media_type)s': send application/json, "
                                         "application/xml (DXF2), application/adx+xml or "
                                         "application/csv"), media_type=given[:80] or "(none)"), "E1007")
    query = {name: request.GET.get(name, "") for name in request.GET}
    try:
        options = resolve(query)
    except InputError as exc:
        summary = importer.option_refused(exc)
        http, status, message = _answer(summary)
        return web_message(http, status, message, _summary(summary))
    summary = importer.import_payload(
        request.body, media_type, actor=request.user, token=request_token(request),
        system=partner.code, idempotency_key=request.headers.get("Idempotency-Key", ""),
        query=query)
    if options.run_async:
        return _start_job(request, partner, summary)
    http, status, message = _answer(summary)
    return web_message(http, status, message, _summary(summary))


def _start_job(request: HttpRequest, partner: PartnerSystem, summary: importer.ImportSummary) -> JsonResponse:
    """DHIS2's answer to an async import: the job, whose summary the task API then serves."""
    job = ImportJob.objects.create(uid=_job_uid(), system=partner, user=cast(User, request.user),
                                   status=summary.status, summary=_summary(summary))
    return web_message(200, "OK", bilingual(_("Initiated %(job)s"), job="dataValueImport"), {
        "responseType": "JobConfigurationWebMessageResponse", "name": "dataValueImport",
        "id": job.uid, "created": job.created_at.isoformat(), "jobType": JOB_TYPE,
        "relativeNotifierEndpoint": f"/dhis2/{partner.code}/api/system/tasks/{JOB_TYPE}/{job.uid}"})


def _job(request: HttpRequest, system: str, job_type: str, uid: str) -> ImportJob | JsonResponse:
    if request.method != "GET":
        answer = _refused(405, bilingual(_("only GET is served here")), "E1006")
        answer["Allow"] = "GET"
        return answer
    refused = _authenticated(request)
    if refused is not None:
        return refused
    job = (ImportJob.objects.filter(uid=uid, system__code=system, user=cast(User, request.user)).first()
           if job_type == JOB_TYPE else None)
    if job is None:  # another user's job is not found either
        return _refused(404, bilingual(_("no import job '%(uid)s' of yours"), uid=uid[:11]), "E1005")
    return job


@csrf_exempt
def task(request: HttpRequest, system: str, job_type: str, uid: str, version: str = "") -> HttpResponse:
    """The job's notifications, newest first, as DHIS2 lists them: one, completed."""
    job = _job(request, system, job_type, uid)
    if isinstance(job, JsonResponse):
        return job
    counts = job.summary.get("importCount", {})
    message = ("Import complete with status {status}, {imported} imported, {updated} updated, "
               "{deleted} deleted, {ignored} ignored").format(status=job.status, **{
                   key: counts.get(key, 0) for key in ("imported", "updated", "deleted", "ignored")})
    return JsonResponse([{
        "uid": job.uid, "id": job.uid, "level": "ERROR" if job.status == "ERROR" else "INFO",
        "category": JOB_TYPE, "time": job.created_at.isoformat(), "message": message,
        "completed": True, "dataType": "PARAMETERS"}], safe=False)


@csrf_exempt
def task_summary(request: HttpRequest, system: str, job_type: str, uid: str, version: str = "") -> HttpResponse:
    """The job's ImportSummary."""
    job = _job(request, system, job_type, uid)
    if isinstance(job, JsonResponse):
        return job
    return JsonResponse(job.summary, json_dumps_params={"ensure_ascii": False})


@csrf_exempt
def not_served(request: HttpRequest, rest: str = "") -> HttpResponse:
    """Any other path under /dhis2/: DHIS2's 404 WebMessage, never an HTML page."""
    return _refused(404, bilingual(_("not served by NRS's DHIS2 mount: only POST "
                                     "{system}/api/dataValueSets and its job API")), "E1005")



