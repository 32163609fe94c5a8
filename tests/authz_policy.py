"""Who may use each page and API operation: the policy the authorisation matrix
(tests/test_authz_matrix.py) checks against the real URL conf and the real OpenAPI.

Every URL pattern (by name, or by route when it has none) and every API operation (by
operationId) must have an entry here, and every entry must name something that exists:
a new endpoint cannot escape the matrix, and a removed one cannot linger here.

A rule says who is allowed:

* ``PUBLIC`` — anybody, signed in or not;
* ``SIGNED_IN`` — any active signed-in user (or any valid API token);
* ``perm(P, where)`` — the principal's roles give permission P (``EXPECTED_ROLE_PERMS`` below,
  written out here from the documented intent and compared with the code's table by
  tests/test_sec18_oracles_policy.py, never imported from it) ``anywhere``, on the
  ``object``'s org unit (own vs foreign), or on the ``root`` (CP);
  an API token must also be a write token for a permission that is not a read;
* ``ADMIN`` / ``admin(rule)`` — the admin site's door (a coordinator or an auditor, anywhere),
  and inside it the model's own rule;
* ``NOBODY`` — no one in the cast (superusers only, or nothing to see).

Each probe fills path parameters, query and body from the objects of one side (own:
Hà Nội "01"; foreign: Hải Phòng "31"). A probe whose rule is not about the object's
unit is sent once; the others once per side.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

ROOT = "CP"
OWN, FOREIGN = "01", "31"  # Hà Nội, Hải Phòng


class Perm:
    """The permission names, as plain strings: the oracle does not import the code's enum."""

    VIEW_DATA = "view_data"                # approved values and dashboards
    VIEW_UNAPPROVED = "view_unapproved"    # drafts and submitted values
    ENTER_DATA = "enter_data"              # create and edit drafts
    SUBMIT = "submit"                      # send a report for approval
    APPROVE = "approve"                    # approve or return a report
    VIEW_COMPLIANCE = "view_compliance"    # who is late, who is missing
    MANAGE_CATALOGUE = "manage_catalogue"  # indicators, org units, codelists
    MANAGE_REGIMES = "manage_regimes"      # report regimes and deadlines
    SET_TARGETS = "set_targets"            # annual plan values
    MANAGE_USERS = "manage_users"          # users and role grants
    VIEW_AUDIT = "view_audit"              # the audit log
    BRIEFINGS = "briefings"                # briefing documents
    BACKFILL = "backfill"                  # a historical version's real release date


# What each role may do, written out from the documented intent (docs/domain.md roles,
# README's demo cast, docs/security.md): the oracle of the matrix. The code's own table
# (nrs.accounts.access.ROLE_PERMS) must equal it; a wrong mapping there fails
# tests/test_sec18_oracles_policy.py and, through the probes, the matrix.
EXPECTED_ROLE_PERMS: dict[str, frozenset[str]] = {
    # Provincial and national leadership: reads everything in its units, briefings; never writes data.
    "leader": frozenset({"view_data", "view_unapproved", "view_compliance", "briefings"}),
    # Coordinators run the system for their units: catalogue, regimes, targets, users; reads.
    # They neither enter, submit nor approve reports, nor read the audit log.
    "coordinator": frozenset({"view_data", "view_unapproved", "view_compliance", "briefings",
                              "manage_catalogue", "manage_regimes", "set_targets", "manage_users"}),
    # Reporters enter and submit; they never approve.
    "reporter": frozenset({"view_data", "view_unapproved", "enter_data", "submit"}),
    # Approvers approve or return; they never enter data.
    "approver": frozenset({"view_data", "view_unapproved", "approve"}),
    # Viewers read approved values only.
    "viewer": frozenset({"view_data"}),
    # Auditors read the audit log and approved values; nothing else.
    "auditor": frozenset({"view_data", "view_audit"}),
    # Machine clients enter and submit through the API, like a reporter.
    "system": frozenset({"view_data", "view_unapproved", "enter_data", "submit"}),
    # Beside approver or system: only records a past release's real date.
    "backfill": frozenset({"view_data", "backfill"}),
}
READ_PERMS = frozenset({Perm.VIEW_DATA, Perm.VIEW_UNAPPROVED, Perm.VIEW_COMPLIANCE, Perm.VIEW_AUDIT})


@dataclass(frozen=True)
class Principal:
    """A user with one role on one unit; for the API, one of their tokens (bound to that
    unit) with its scope; ``role=None`` is the anonymous visitor."""

    role: str | None
    unit: str = ""
    scope: str = ""  # "", "read" or "write" (API tokens)

    @property
    def machine_session(self) -> bool:
        """A machine account (system) in a browser: machine accounts use API tokens only, never
        the web sign-in (issue 18, finding 8), so its session opens nothing but public pages."""
        return self.role == "system" and not self.scope

    @property
    def label(self) -> str:
        if self.role is None:
            return "anonymous"
        return f"{self.role}@{self.unit}" + (f"[{self.scope}]" if self.scope else "")

    def holds(self, perm: str, where: str, side: str) -> bool:
        if self.role is None or perm not in EXPECTED_ROLE_PERMS[self.role]:
            return False
        if self.scope == "read" and perm not in READ_PERMS:
            return False
        if where == "root":
            return self.unit == ROOT
        if where == "object":
            return self.unit in (ROOT, side)
        return True


@dataclass(frozen=True)
class Rule:
    kind: str  # public | signed_in | perm | nobody
    perm: str | None = None
    where: str = "anywhere"  # anywhere | object | root
    admin: bool = False  # behind the admin site's door

    def allows(self, who: Principal, side: str) -> bool:
        if who.machine_session:
            return self.kind == "public" and not self.admin
        if self.admin and not (who.holds(Perm.MANAGE_CATALOGUE, "anywhere", side)
                               or who.holds(Perm.VIEW_AUDIT, "anywhere", side)):
            return False
        if self.kind == "public":
            return True
        if self.kind == "signed_in":
            return who.role is not None
        if self.kind == "perm":
            assert self.perm is not None
            return who.holds(self.perm, self.where, side)
        return False

    @property
    def sided(self) -> bool:
        return self.where == "object"

    def __str__(self) -> str:
        text = {"perm": f"{self.perm}@{self.where}"}.get(self.kind, self.kind)
        return f"admin({text})" if self.admin else text


PUBLIC = Rule("public")
SIGNED_IN = Rule("signed_in")
NOBODY = Rule("nobody")
ADMIN = Rule("signed_in", admin=True)


def perm(p: str, where: str = "anywhere") -> Rule:
    return Rule("perm", p, where)


def admin(rule: Rule) -> Rule:
    return Rule(rule.kind, rule.perm, rule.where, admin=True)


# What an answer says about the object's unit when the status alone cannot (scoped lists):
# does it carry the side's data? An answer without it counts as denied.
Rows = Callable[[Any, str], bool]


def json_rows(key: str, field_name: str = "orgUnit") -> Rows:
    def found(response: Any, side: str) -> bool:
        return any(row.get(field_name) == side for row in json.loads(response.content)[key])
    return found


def csv_rows(column: str) -> Rows:
    def found(response: Any, side: str) -> bool:
        text = b"".join(response.streaming_content if response.streaming else [response.content])
        return any(row.get(column) == side for row in csv.DictReader(io.StringIO(text.decode("utf-8-sig"))))
    return found


@dataclass(frozen=True)
class Probe:
    """One request to send: method, rule, and templates filled from the side's objects
    (``{unit}``, ``{unit_pk}``, ``{submission}``… see the matrix's ``objects``)."""

    method: str
    rule: Rule
    query: dict[str, str] = field(default_factory=dict)
    data: dict[str, str] | None = None
    variant: str = ""
    rows: Rows | None = None
    # An answer that passed the access check but refused the input (API validation,
    # a workflow step from the wrong state) still counts as allowed.
    passed: frozenset[int] = frozenset()
    redirect_allows: bool = False  # any redirect is the answer itself (sign-in, sign-out)
    # A complete, valid admin form: re-displayed with an error note, it was refused (the policy
    # said no in the form's clean), not merely invalid.
    form_errors_deny: bool = False


@dataclass(frozen=True)
class Entry:
    params: dict[str, str]
    probes: tuple[Probe, ...]


def get(rule: Rule, **kw: Any) -> Probe:
    return Probe("GET", rule, **kw)


def post(rule: Rule, **kw: Any) -> Probe:
    return Probe("POST", rule, **kw)


def page(rule: Rule, params: dict[str, str] | None = None, **kw: Any) -> Entry:
    return Entry(params or {}, (get(rule, **kw),))


UNIT = {"unit": "{unit}"}
REPORT = {"regime_code": "{regime}", "unit_code": "{unit}", "period_id": "{draft_period}"}

# -- the web pages, by URL name (unnamed patterns by route) -------------------------------

URLS: dict[str, Entry] = {
    "home": page(SIGNED_IN),
    "health": page(PUBLIC),
    # The installable app (issue 20): its manifest and service worker hold no data.
    "pwa_manifest": page(PUBLIC),
    "pwa_service_worker": page(PUBLIC),
    "login": page(PUBLIC),  # no POST: a wrong password counts towards the lockout
    "logout": Entry({}, (post(PUBLIC, redirect_allows=True),)),  # sent last: it ends the session
    "set_language": Entry({}, (get(PUBLIC), post(PUBLIC, data={"language": "vi", "next": "/"}))),
    # The registry is reference metadata: any signed-in user reads all of it.
    "registry:home": page(SIGNED_IN),
    "registry:unit_tree": page(SIGNED_IN),
    "registry:unit_search": page(SIGNED_IN, query={"q": "Hà"}),
    "registry:unit_detail": page(SIGNED_IN, {"pk": "{unit_pk}"}),
    "registry:unit_children": page(SIGNED_IN, {"pk": "{unit_pk}"}),
    "registry:indicator_list": page(SIGNED_IN),
    "registry:indicator_detail": page(SIGNED_IN, {"code": "{indicator}"}),
    "registry:regime_list": page(SIGNED_IN),
    "registry:regime_detail": page(SIGNED_IN, {"code": "{regime}"}),
    # Data collection.
    "collection:my_reports": page(SIGNED_IN),
    "collection:compliance": Entry({}, (
        get(perm(Perm.VIEW_COMPLIANCE)),
        get(perm(Perm.VIEW_COMPLIANCE, "object"), variant="csv", rows=csv_rows("org_unit"),
            query={"regime": "{regime}", "period": "{approved_period}", "format": "csv"}))),
    "collection:report_form": Entry(REPORT, (
        get(perm(Perm.VIEW_UNAPPROVED, "object")),
        post(perm(Perm.ENTER_DATA, "object"), variant="save", data={"action": "save"}),
        post(perm(Perm.APPROVE, "object"), variant="approve", data={"action": "approve"}))),
    "collection:excel_template": page(perm(Perm.VIEW_UNAPPROVED, "object"), REPORT),
    # Attached text reports (issue 20): seen by whoever sees the report, removed by whoever enters it.
    "collection:document_file": page(perm(Perm.VIEW_UNAPPROVED, "object"), {"document_id": "{document}"}),
    "collection:current_document": page(perm(Perm.VIEW_UNAPPROVED, "object"), REPORT),
    "collection:remove_document": Entry({"document_id": "{document}"}, (post(perm(Perm.ENTER_DATA, "object")),)),
    # Dashboards: every page asks for the unit it shows.
    "analytics:overview": page(perm(Perm.VIEW_DATA, "object"), query=UNIT),
    "analytics:indicator": page(perm(Perm.VIEW_DATA, "object"), {"code": "{quiet_indicator}"},
                                query={**UNIT, "view": "Y"}),
    "analytics:download": page(perm(Perm.VIEW_DATA, "object"), {"code": "{quiet_indicator}", "fmt": "csv"},
                               query={**UNIT, "view": "Y"}),
    "analytics:province": page(perm(Perm.VIEW_DATA, "object"), {"code": "{unit}"}),
    "analytics:screen": page(perm(Perm.VIEW_DATA, "object"), query=UNIT),
    "analytics:events": page(perm(Perm.VIEW_DATA), query={"once": "1", "since": "0"}),
    "analytics:freshness": page(perm(Perm.VIEW_DATA)),
    # Briefings are national documents: the permission on the root.
    "reports:list": Entry({}, (get(perm(Perm.BRIEFINGS, "root")),
                               post(perm(Perm.BRIEFINGS, "root"), data={}))),
    "reports:detail": page(perm(Perm.BRIEFINGS, "root"), {"pk": "{briefing}"}),
    "reports:download": page(perm(Perm.BRIEFINGS, "root"), {"pk": "{briefing}", "fmt": "pdf"}),
    "reports:archive": Entry({"pk": "{briefing}"}, (post(perm(Perm.BRIEFINGS, "root")),)),
    # The admin site's own pages.
    "admin:index": page(ADMIN),
    "admin:login": page(PUBLIC, redirect_allows=True),  # who may enter is sent on to the index
    "admin/login/": page(PUBLIC, redirect_allows=True),  # the one sign-in page, in front of the admin's
    "admin:logout": Entry({}, (post(PUBLIC, redirect_allows=True),)),  # sent last: it ends the session
    "admin:password_change": page(ADMIN),
    "admin:password_change_done": page(ADMIN),
    "admin:autocomplete": page(NOBODY),  # no model uses autocomplete fields
    "admin:jsi18n": page(ADMIN),
    "admin:view_on_site": page(NOBODY, {"content_type_id": "{unit_ct}", "object_id": "{unit_pk}"}),
    "admin/(?P<url>.*)$": page(NOBODY, {"url": "nothing-here/"}),  # any unknown admin URL: 404
    # My account: any signed-in user, for themselves only (nothing in the URL names anyone).
    "accounts:password_change": Entry({}, (get(SIGNED_IN), post(SIGNED_IN, data={}))),
    "accounts:password_done": page(SIGNED_IN),
    "accounts:two_factor": Entry({}, (get(SIGNED_IN),
                                      post(SIGNED_IN, data={"code": "000000"}, passed=frozenset({400})))),
    "accounts:qr_code": page(SIGNED_IN),
    "accounts:backup_codes": page(SIGNED_IN),
    # OpenID Connect sign-in answers 404 until it is configured (it is not in the tests).
    "oidc_authentication_init": page(NOBODY),
    "oidc_authentication_callback": page(NOBODY),
    # The audit log viewer: events of the units under the auditor's grant.
    "audit:list": page(perm(Perm.VIEW_AUDIT)),
    "audit:export": Entry({}, (get(perm(Perm.VIEW_AUDIT)),
                               get(perm(Perm.VIEW_AUDIT, "object"), variant="unit", rows=csv_rows("org_unit")))),
    "audit:export_xlsx": page(perm(Perm.VIEW_AUDIT)),
    "audit:verify": Entry({}, (post(perm(Perm.VIEW_AUDIT), data={"first": "1", "last": "1"}),)),
    "audit:detail": page(perm(Perm.VIEW_AUDIT, "object"), {"seq": "{event_seq}"}),
    # The API's own URL patterns: its operations are in API below, by operationId.
    "api-1:openapi-json": page(PUBLIC),
    "api-1:openapi-view": page(PUBLIC),
    "api-1:api-root": page(NOBODY),  # /api/ itself: 404 (the docs are at /api/docs)
    # -- issue 5: SDMX (/sdmx/) --
    # Structures are registry metadata: any signed-in user (or token). Data: approved values
    # in the caller's scope; an answer without the side's series counts as denied.
    "sdmx:structure": page(SIGNED_IN, {"path": "codelist/VN_VPCP/CL_FREQ/1.0"}),
    "sdmx:schema": page(SIGNED_IN, {"path": "dataflow/VN_VPCP/DF_ECONOMIC_GROWTH/1.0"}),
    "sdmx:data": page(perm(Perm.VIEW_DATA, "object"), {"path": "DF_ECONOMIC_GROWTH/M.{indicator}.{unit}"},
                      query={"format": "csv", "startPeriod": "{approved_period}"}, rows=csv_rows("REF_AREA")),
    # Issue 19: the 2.1 REST structure paths, availableconstraint (the data in the caller's
    # scope: another unit's key finds nothing) and the SDMX 404/501 for everything else.
    "sdmx:resource": page(SIGNED_IN, {"resource": "dataflow"}),
    "sdmx:resource-path": page(SIGNED_IN, {"resource": "codelist", "path": "VN_VPCP/CL_FREQ/1.0"}),
    "sdmx:availableconstraint": page(perm(Perm.VIEW_DATA, "object"),
                                     {"path": "DF_ECONOMIC_GROWTH/M.{indicator}.{unit}"},
                                     query={"startPeriod": "{approved_period}"}),
    "sdmx:unknown": page(NOBODY, {"path": "nothing/here"}),  # an SDMX 404 (501 for a resource not built)
    # -- end SDMX --
    # -- issue 5: connectors and webhooks (/connectors/) --
    # The run log: coordinators (the catalogue permission), each seeing the connectors of the
    # units under their grant; the matrix's connector feeds the root, so only CP's opens it.
    "connectors:list": page(perm(Perm.MANAGE_CATALOGUE)),
    "connectors:detail": page(perm(Perm.MANAGE_CATALOGUE, "root"), {"pk": "{connector}"}),
    # -- end connectors and webhooks (/connectors/) --
    # -- issue 19: the DHIS2 push mount (/dhis2/{system}/api/…) --
    # Machine credentials only (ApiToken, Basic), HTTPS only; sessions get 401. The matrix has
    # no partner system, so every probe is refused; tests/test_issue19_dhis2_push.py covers who
    # may push.
    "dhis2_data_value_sets": Entry({"system": "MATRIX"}, (post(NOBODY),)),
    "dhis2_task": page(NOBODY, {"system": "MATRIX", "job_type": "DATAVALUE_IMPORT", "uid": "Aaaaaaaaaa1"}),
    "dhis2_task_summary": page(NOBODY, {"system": "MATRIX", "job_type": "DATAVALUE_IMPORT",
                                        "uid": "Aaaaaaaaaa1"}),
    "dhis2_not_served": page(NOBODY, {"rest": "x"}),
    # -- end DHIS2 push mount --
    # -- issue 19: public dissemination (/public/) --
    # Off in the matrix's settings (NRS_PUBLIC unset): a 404 for everyone. With it on, the
    # pages are open to all and hold only released figures: tests/test_issue19_public.py walks
    # every public route anonymously, before and after each release.
    "public:index": page(NOBODY),
    "public:indicator": page(NOBODY, {"code": "RETAIL_SALES"}),
    "public:history": page(NOBODY, {"code": "RETAIL_SALES"}),
    "public:download": page(NOBODY, {"code": "RETAIL_SALES"}),
    # -- end public dissemination --
}


@dataclass(frozen=True)
class AdminModel:
    """A model's admin screens: who sees them, adds, changes; which object they open
    (a key of the matrix's objects, per side) and what an add or change POST carries."""

    obj: str
    view: Rule
    add: Rule
    change: Rule
    add_data: dict[str, str] | None = None
    password: bool = False  # the user admin's password page
    form_errors_deny: bool = False  # the add and change POSTs carry complete, valid forms
    listing: Rule | None = None  # the changelist, when it differs from an object's page

    def entries(self, key: str) -> dict[str, Entry]:
        app, model = key.split(".")
        name = f"admin:{app}_{model}"
        obj = {"object_id": f"{{{self.obj}}}"}
        found = {
            f"{name}_changelist": page(self.listing or self.view),
            f"{name}_add": Entry({}, (get(_unsided(self.add)), post(self.add, data=self.add_data or {},
                                                                     form_errors_deny=self.form_errors_deny))),
            f"{name}_history": page(self.view, obj),
            f"{name}_delete": Entry(obj, (get(admin(NOBODY)), post(admin(NOBODY), data={"post": "yes"}))),
            f"{name}_change": Entry(obj, (get(self.view), post(self.change, data={},
                                                                 form_errors_deny=self.form_errors_deny))),
            # The bare object URL only redirects to the change page, behind the admin's door.
            f"admin/{app}/{model}/<path:object_id>/": page(ADMIN, obj),
        }
        if self.password:
            found["admin:auth_user_password_change"] = Entry(
                {"id": f"{{{self.obj}}}"}, (get(self.change), post(self.change, data={})))
        return found


def _unsided(rule: Rule) -> Rule:
    """The add form's GET: the add permission somewhere (the unit is chosen in the form)."""
    return Rule(rule.kind, rule.perm, "anywhere" if rule.where == "object" else rule.where, rule.admin)


CATALOGUE = admin(perm(Perm.MANAGE_CATALOGUE, "root"))
ADMIN_MODELS: dict[str, AdminModel] = {
    # Users and grants: a coordinator manages the users and grants within their units.
    "accounts.user": AdminModel("user", ADMIN, admin(perm(Perm.MANAGE_USERS)),
                                admin(perm(Perm.MANAGE_USERS, "object")), password=True),
    # Grants (issue 18): a coordinator grants a role to someone else within its units, and
    # changes (the expiry of) grants there; nobody grants to themselves (the "self" probe below).
    "accounts.grant": AdminModel("grant", ADMIN, admin(perm(Perm.MANAGE_USERS, "object")),
                                 admin(perm(Perm.MANAGE_USERS, "object")), form_errors_deny=True,
                                 add_data={"user": "{user}", "role": "viewer", "org_unit": "{unit_pk}"}),
    # The catalogue is national; an org unit may be changed within one's units.
    "registry.orgunit": AdminModel("unit_pk", ADMIN, CATALOGUE, admin(perm(Perm.MANAGE_CATALOGUE, "object"))),
    "registry.lineage": AdminModel("lineage", ADMIN, CATALOGUE, CATALOGUE),
    "registry.indicator": AdminModel("indicator_pk", ADMIN, CATALOGUE, CATALOGUE),
    "registry.codelist": AdminModel("codelist", ADMIN, CATALOGUE, CATALOGUE),
    "registry.measureunit": AdminModel("measureunit", ADMIN, CATALOGUE, CATALOGUE),
    "registry.regime": AdminModel("regime_pk", ADMIN, admin(perm(Perm.MANAGE_REGIMES, "root")),
                                  admin(perm(Perm.MANAGE_REGIMES, "root"))),
    # Targets are set on a unit, by whoever may set targets there; never edited.
    "registry.target": AdminModel("target", ADMIN, admin(perm(Perm.SET_TARGETS, "object")), NOBODY,
                                  add_data={"indicator": "{indicator_pk}", "org_unit": "{unit_pk}",
                                            "year": "2027", "value": "12345", "reason": "matrix"}),
    # The audit log: read-only, for auditors.
    "audit.event": AdminModel("event", admin(perm(Perm.VIEW_AUDIT, "object")), NOBODY, NOBODY,
                              listing=admin(perm(Perm.VIEW_AUDIT))),
    # Third-party models: Django's model permissions, which no NRS role grants.
    "auth.group": AdminModel("group", NOBODY, NOBODY, NOBODY),
    "otp_totp.totpdevice": AdminModel("totp", NOBODY, NOBODY, NOBODY),
    "otp_static.staticdevice": AdminModel("static", NOBODY, NOBODY, NOBODY),
    "axes.accessattempt": AdminModel("attempt", NOBODY, NOBODY, NOBODY),
    "axes.accesslog": AdminModel("accesslog", NOBODY, NOBODY, NOBODY),
    "axes.accessfailurelog": AdminModel("failurelog", NOBODY, NOBODY, NOBODY),
    # -- issue 5: DHIS2 mappings --
    # Partner systems and their mapping tables are national metadata, like the catalogue.
    "dhis2.partnersystem": AdminModel("dhis2_system", ADMIN, CATALOGUE, CATALOGUE),
    "dhis2.datasetmap": AdminModel("dhis2_dataset_map", ADMIN, CATALOGUE, CATALOGUE),
    "dhis2.dataelementmap": AdminModel("dhis2_element_map", ADMIN, CATALOGUE, CATALOGUE),
    "dhis2.orgunitmap": AdminModel("dhis2_unit_map", ADMIN, CATALOGUE, CATALOGUE),
    # -- end DHIS2 mappings --
    # -- issue 5: federation --
    # Nodes are registered nationally (the catalogue permission on the root); received
    # batches are provenance, read-only.
    "federation.node": AdminModel("fed_node", ADMIN, CATALOGUE, CATALOGUE),
    "federation.receivedbatch": AdminModel("fed_batch", ADMIN, NOBODY, NOBODY),
    # -- end federation --
    # -- issue 5: connectors and webhooks --
    # Coordinators, scoped to the units under their grant (the matrix's rows are on the root);
    # deliveries are a read-only log.
    "connectors.connector": AdminModel("connector", admin(perm(Perm.MANAGE_CATALOGUE, "root")),
                                       admin(perm(Perm.MANAGE_CATALOGUE)), admin(perm(Perm.MANAGE_CATALOGUE, "root")),
                                       listing=admin(perm(Perm.MANAGE_CATALOGUE))),
    "connectors.subscription": AdminModel("subscription", admin(perm(Perm.MANAGE_CATALOGUE, "root")),
                                          admin(perm(Perm.MANAGE_CATALOGUE)),
                                          admin(perm(Perm.MANAGE_CATALOGUE, "root")),
                                          listing=admin(perm(Perm.MANAGE_CATALOGUE))),
    "connectors.delivery": AdminModel("delivery", admin(perm(Perm.MANAGE_CATALOGUE, "root")), NOBODY, NOBODY,
                                      listing=admin(perm(Perm.MANAGE_CATALOGUE))),
    # -- end connectors and webhooks --
    # -- issue 19: the public release calendar (catalogue permission on the root; no delete) --
    "public.publication": AdminModel("public_publication", ADMIN, CATALOGUE, CATALOGUE),
    "public.release": AdminModel("public_release", ADMIN, CATALOGUE, CATALOGUE),
    # -- end public release calendar --
}
for _model, _spec in ADMIN_MODELS.items():
    URLS.update(_spec.entries(_model))
# Nobody grants roles to themselves, whatever their permissions (separation of duties).
URLS["admin:accounts_grant_add"] = Entry({}, (*URLS["admin:accounts_grant_add"].probes, post(
    admin(NOBODY), variant="self", data={"user": "{me}", "role": "viewer", "org_unit": "{unit_pk}"},
    form_errors_deny=True)))
# django-otp's own screens for a TOTP device: Django's model permissions.
URLS["admin:otp_totp_totpdevice_config"] = page(NOBODY, {"pk": "{totp}"})
URLS["admin:otp_totp_totpdevice_qrcode"] = page(NOBODY, {"pk": "{totp}"})
# Third-party apps have nothing an NRS role may see: their app index is a 404.
ADMIN_APPS = {"registry": ADMIN, "accounts": ADMIN, "audit": admin(perm(Perm.VIEW_AUDIT)),
              "auth": NOBODY, "otp_totp": NOBODY, "otp_static": NOBODY, "axes": NOBODY,
              "dhis2": ADMIN,
              "federation": ADMIN,
              "connectors": admin(perm(Perm.MANAGE_CATALOGUE))}
URLS["admin:app_list"] = Entry({"app_label": "{app}"}, tuple(
    Probe("GET", rule, variant=app) for app, rule in ADMIN_APPS.items()))


# -- the API, by operationId ------------------------------------------------------------------

PASSED = frozenset({400, 409, 422})  # validation or workflow refusals after the access check
DRAFT = {"regime": "{regime}", "orgUnit": "{unit}", "period": "{draft_period}"}


def api(*probes: Probe) -> Entry:
    return Entry({}, probes)


API: dict[str, Entry] = {
    "nrs_registry_api_list_orgunits": api(get(SIGNED_IN, query={"q": "{unit}"})),
    "nrs_registry_api_get_orgunit": api(get(SIGNED_IN)),
    "nrs_registry_api_get_lineage": api(get(SIGNED_IN)),
    "nrs_registry_api_list_indicators": api(get(SIGNED_IN, query={"limit": "5"})),
    "nrs_registry_api_get_indicator": Entry({"code": "{indicator}"}, (get(SIGNED_IN),)),
    "nrs_registry_api_list_regimes": api(get(SIGNED_IN)),
    "nrs_registry_api_regime_period": Entry({"code": "{regime}"}, (get(SIGNED_IN),)),
    "nrs_collection_api_post_data_value_set": api(
        post(perm(Perm.ENTER_DATA, "object"), query={"dryRun": "true"}, data={"json": "value_set"},
             passed=PASSED)),
    "nrs_collection_api_post_bulk": api(
        post(perm(Perm.ENTER_DATA, "object"), data={"json": "value_set"}, passed=PASSED)),
    "nrs_collection_api_get_data_values": api(
        get(perm(Perm.VIEW_DATA, "object"), variant="approved", rows=json_rows("dataValues"),
            query={"orgUnit": "{unit}", "period": "{approved_period}"}),
        get(perm(Perm.VIEW_UNAPPROVED, "object"), variant="unapproved", rows=json_rows("dataValues"),
            query={"orgUnit": "{unit}", "period": "{draft_period}", "approved": "false"})),
    "nrs_collection_api_post_transition": api(*(
        post(perm(p, "object"), variant=action, data={"json": "comment"}, passed=PASSED)
        for action, p in (("submit", Perm.SUBMIT), ("approve", Perm.APPROVE),
                          ("return", Perm.APPROVE), ("revise", Perm.ENTER_DATA)))),
    "nrs_collection_api_list_submissions": api(
        get(perm(Perm.VIEW_UNAPPROVED, "object"), rows=json_rows("submissions"), query={"orgUnit": "{unit}"})),
    "nrs_collection_api_post_document": api(
        post(perm(Perm.ENTER_DATA, "object"), query=DRAFT, data={"file": "pdf"}, passed=PASSED)),
    "nrs_collection_api_get_compliance": api(
        get(perm(Perm.VIEW_COMPLIANCE, "object"), rows=json_rows("units"),
            query={"regime": "{regime}", "period": "{approved_period}"})),
    "nrs_analytics_api_get_analytics": api(
        get(perm(Perm.VIEW_DATA, "object"), variant="approved", rows=json_rows("rows"),
            query={"indicator": "{indicator}", "orgUnit": "{unit}", "start": "{approved_period}",
                   "end": "{approved_period}"}),
        get(perm(Perm.VIEW_UNAPPROVED, "object"), variant="preview", rows=json_rows("rows"),
            query={"indicator": "{indicator}", "orgUnit": "{unit}", "basis": "preview",
                   "start": "{approved_period}", "end": "{approved_period}"})),
    # -- issue 5: DHIS2 and ADX --
    # The JSON body is the side's value set in NRS names, which the DHIS2 reader accepts too.
    "nrs_exchange_dhis2_api_post_data_value_sets": api(
        post(perm(Perm.ENTER_DATA, "object"), query={"dryRun": "true"}, data={"json": "value_set"},
             passed=PASSED)),
    # An empty body: the door (enter data anywhere); the unit check is in tests/test_dhis2.py.
    "nrs_exchange_dhis2_api_post_adx": api(
        post(perm(Perm.ENTER_DATA), query={"dryRun": "true"}, passed=PASSED)),
    # -- end DHIS2 and ADX --
    # -- issue 5: QCVN 125 --
    # Directories (regimes, forms, periods, indicators, sets, groups, breakdowns): any signed-in
    # user or token. Data packets: the unit's view permission (approved) or unapproved-data one.
    "qcvn_packet_types": api(get(SIGNED_IN)),
    "qcvn_packet_01_reporting_regime": api(get(SIGNED_IN, query={"regime": "{regime}"})),
    "qcvn_packet_02_report_form": api(get(SIGNED_IN, query={"regime": "{regime}"})),
    "qcvn_packet_03_outline_form": api(get(SIGNED_IN, query={"regime": "{regime}"})),
    "qcvn_packet_04_report_data": api(
        get(perm(Perm.VIEW_DATA, "object"), variant="approved",
            query={"regime": "{regime}", "orgUnit": "{unit}", "period": "{approved_period}"}),
        get(perm(Perm.VIEW_UNAPPROVED, "object"), variant="current", query={**DRAFT, "approved": "false"})),
    "qcvn_packet_05_list_report_data": api(
        get(perm(Perm.VIEW_DATA, "object"), variant="approved",
            rows=lambda r, side: any(x["orgUnit"] == side for x in json.loads(r.content)["payload"]["rows"]),
            query={"regime": "{regime}", "period": "{approved_period}"}),
        get(perm(Perm.VIEW_UNAPPROVED, "object"), variant="current",
            rows=lambda r, side: any(x["orgUnit"] == side for x in json.loads(r.content)["payload"]["rows"]),
            query={"regime": "{regime}", "period": "{draft_period}", "approved": "false"})),
    "qcvn_packet_06_outline_submission": api(
        get(perm(Perm.VIEW_DATA, "object"), variant="approved",
            query={"regime": "{regime}", "orgUnit": "{unit}", "period": "{approved_period}"}),
        get(perm(Perm.VIEW_UNAPPROVED, "object"), variant="current", query={**DRAFT, "approved": "false"})),
    "qcvn_packet_07_report_status": api(get(perm(Perm.VIEW_UNAPPROVED, "object"), query=DRAFT)),
    "qcvn_packet_08_report_period_directory": api(get(SIGNED_IN, query={"regime": "{regime}", "year": "2026"})),
    "qcvn_packet_09_indicator_directory": api(get(SIGNED_IN)),
    "qcvn_packet_10_kpi_set": api(get(SIGNED_IN)),
    "qcvn_packet_11_indicator_groups": api(get(SIGNED_IN)),
    "qcvn_packet_12_breakdowns": api(get(SIGNED_IN)),
    "qcvn_packet_13_kpi_data": api(
        get(perm(Perm.VIEW_DATA, "object"),
            rows=lambda r, side: any(x["orgUnit"] == side for x in json.loads(r.content)["payload"]["values"]),
            query={"indicator": "{indicator}", "orgUnit": "{unit}", "period": "{approved_period}"})),
    # -- end QCVN 125 --
    # -- issue 5: federation --
    # Only a registered node's own account may push batches; no role in the cast is one.
    "nrs_exchange_federation_api_post_batch": api(post(NOBODY)),
    # -- end federation --
    # -- issue 5: connectors and webhooks --
    # -- end connectors and webhooks --
}

# Path parameters of the API, by name, filled from the side's objects.
API_PARAMS = {"unit_id": "{unit_pk}", "period_id": "{draft_period}",
              "submission_id": "{submission}", "action": "{variant}"}
