"""The authorisation matrix: every URL pattern (walked from the URL conf) and every API
operation (read from the OpenAPI) × every principal (anonymous, each role on its own
province, on a foreign one, and the national roles on CP) × the own and the foreign
unit's objects, against the policy in tests/authz_policy.py.

A new URL or operation without a policy entry fails, and so does an entry for one that
is gone. A probe whose rule is not about the object's unit is not repeated for the
foreign province's principals (their answers mirror the own province's twins).
Every request runs in a savepoint that is rolled back, so a POST that was
(rightly or wrongly) allowed leaves nothing behind for the next one. The figures go to
stdout and to artifacts/authz-matrix.txt.
"""

from __future__ import annotations

import json
import logging
import re
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal
from html.parser import HTMLParser
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit

import pytest
from django.contrib.auth.models import Group, Permission
from django.contrib.contenttypes.models import ContentType
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.test import Client, override_settings
from django.urls import URLPattern, URLResolver, get_resolver, resolve, reverse

from nrs.accounts import actions as account_actions
from nrs.accounts import tokens
from nrs.accounts.models import Grant, Role, User
from nrs.audit.models import Event
from nrs.collection import actions as collection_actions
from nrs.collection import bulk
from nrs.lib import periods
from nrs.registry import actions as registry_actions
from nrs.registry.models import Codelist, Indicator, Lineage, MeasureUnit, OrgUnit, Regime
from nrs.reports import actions as report_actions
from nrs.web import demo_values
from nrs.web.api import api
from tests import authz_policy as policy
from tests.authz_policy import FOREIGN, OWN, ROOT, Principal, Probe
from tests.conftest import PASSWORD, current

TODAY = date(2026, 11, 23)
REGIME, INDICATOR = "PROV_KTXH_M", "RETAIL_SALES"
APPROVED, DRAFT = periods.Period.month(2026, 9), periods.Period.month(2026, 10)
PROVINCIAL = [r.value for r in Role]
NATIONAL = [Role.LEADER.value, Role.COORDINATOR.value, Role.AUDITOR.value, Role.VIEWER.value]
ARTIFACT = Path(__file__).resolve().parents[1] / "artifacts" / "authz-matrix.txt"
# A real one-page PDF: attach_document parses it (issue 18, finding 11).
PDF = (b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>"
       b"endobj\n3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 595 842]>>endobj\nxref\n0 4\n"
       b"0000000000 65535 f \n0000000009 00000 n \n0000000052 00000 n \n0000000101 00000 n \n"
       b"trailer<</Size 4/Root 1 0 R>>\nstartxref\n164\n%%EOF\n")


# -- what exists: the URL conf and the OpenAPI ----------------------------------------------

@dataclass(frozen=True)
class Pattern:
    key: str  # the URL name, or the route of an unnamed pattern
    route: str
    namespace: str


def url_patterns() -> list[Pattern]:
    def walk(resolver: URLResolver, prefix: str, namespace: str) -> Iterator[Pattern]:
        for item in resolver.url_patterns:
            route = prefix + str(item.pattern)
            if isinstance(item, URLResolver):
                inner = ":".join(filter(None, [namespace, item.namespace or ""]))
                yield from walk(item, route, inner)
            elif isinstance(item, URLPattern):
                name = item.name and ":".join(filter(None, [namespace, item.name]))
                yield Pattern(name or route, route, namespace)

    return list(walk(get_resolver(), "", ""))


def operations() -> list[tuple[str, str, dict[str, Any]]]:
    schema = api.get_openapi_schema()
    return [(method.upper(), path, operation) for path, item in schema["paths"].items()
            for method, operation in item.items()]


API_SELF = {"api-1:openapi-json", "api-1:openapi-view", "api-1:api-root"}


def _api_route(path: str) -> str:
    return re.sub(r"\{(\w+)\}", r"<\1>", path.lstrip("/"))


def test_every_url_pattern_and_operation_has_a_policy_entry() -> None:
    patterns = url_patterns()
    api_routes = {_api_route(path) for _m, path, _op in operations()}
    missing = [p.key for p in patterns if p.namespace != "api-1" and p.key not in policy.URLS]
    missing += [f"{p.key} (not in the OpenAPI)" for p in patterns
                if p.namespace == "api-1" and p.key not in API_SELF and p.route not in api_routes]
    missing += [f"{p.key} (the API's own page)" for p in patterns
                if p.key in API_SELF and p.key not in policy.URLS]
    assert not missing, f"URL patterns without an entry in tests/authz_policy.py: {missing}"
    stale = set(policy.URLS) - {p.key for p in patterns}
    assert not stale, f"policy entries for URL patterns that no longer exist: {sorted(stale)}"
    ids = [op["operationId"] for _m, _p, op in operations()]
    assert not [i for i in ids if i not in policy.API], "API operations without a policy entry"
    assert not set(policy.API) - set(ids), f"stale API entries: {sorted(set(policy.API) - set(ids))}"
    for opid, entry in policy.API.items():
        method = next(m for m, _p, op in operations() if op["operationId"] == opid)
        assert all(probe.method == method for probe in entry.probes), opid


# -- the cast and the objects ------------------------------------------------------------------

@dataclass
class Cast:
    users: dict[Principal, User]
    secrets: dict[Principal, str]
    objects: dict[str, dict[str, str]]
    bodies: dict[str, dict[str, Any]]
    media: Path
    setup_seconds: float = 0.0


def _rows(regime: Regime, code: str, period: periods.Period) -> list[Any]:
    indicators = list(regime.indicators.filter(formula="").select_related("unit").order_by("code"))
    return demo_values.values_for(indicators, code, 6.0 if code == OWN else 3.0, period)


def _build_cast(media: Path) -> Cast:
    started = time.monotonic()
    regime = Regime.objects.get(code=REGIME)
    service, _ = account_actions.create_user("matrix.service", PASSWORD)
    for role in (Role.SYSTEM, Role.APPROVER):
        account_actions.grant_role(service, role, current(ROOT))
    users: dict[Principal, User] = {}
    secrets: dict[Principal, str] = {}
    homes = [(role, unit) for unit in (OWN, FOREIGN) for role in PROVINCIAL]
    for role, unit in homes + [(role, ROOT) for role in NATIONAL]:
        user, _ = account_actions.create_user(f"{role}.{unit.lower()}", PASSWORD, full_name=f"{role} {unit}")
        account_actions.grant_role(user, role, current(unit), actor=service)
        users[Principal(role, unit)] = user
        for scope in ("read", "write"):
            _token, secret = tokens.issue_token(user, current(unit), name="matrix", scope=scope)
            secrets[Principal(role, unit, scope)] = secret
    # Approved September reports (bulk, as history arrives) and open October drafts, each
    # with its text report attached, in both provinces.
    imported = bulk.import_reports(
        [bulk.Report(regime=regime, unit=current(code), period=APPROVED, rows=_rows(regime, code, APPROVED),
                     submitted_at=datetime(2026, 10, 3, tzinfo=UTC), approved_at=datetime(2026, 10, 5, tzinfo=UTC))
         for code in (OWN, FOREIGN)], actor=service, today=TODAY)
    assert not imported.issues
    coordinator = users[Principal(Role.COORDINATOR, ROOT)]
    indicator = Indicator.objects.get(code=INDICATOR)
    objects: dict[str, dict[str, str]] = {}
    bodies: dict[str, dict[str, Any]] = {}
    briefing = report_actions.request_briefing("brief", APPROVED.sdmx, actor=coordinator, sign=False, today=TODAY)
    report_actions.generate_briefing(briefing.pk, today=TODAY)
    group = Group.objects.create(name="matrix")
    shared = {
        "regime": REGIME, "regime_pk": str(regime.pk), "indicator": INDICATOR, "indicator_pk": str(indicator.pk),
        # Dashboards of an indicator nobody reports here: the same access checks, without
        # ranking a hundred communes for each of the allowed principals.
        "quiet_indicator": Indicator.objects.exclude(regimes__code=REGIME).order_by("code").values_list(
            "code", flat=True).first() or INDICATOR,
        "approved_period": APPROVED.sdmx, "draft_period": DRAFT.sdmx, "briefing": str(briefing.pk),
        "unit_ct": str(ContentType.objects.get_for_model(OrgUnit).pk),
        "lineage": str(Lineage.objects.order_by("pk").values_list("pk", flat=True).first()),
        "codelist": str(Codelist.objects.order_by("pk").values_list("pk", flat=True).first()),
        "measureunit": str(MeasureUnit.objects.order_by("pk").values_list("pk", flat=True).first()),
        "group": str(group.pk), **_third_party(service),
        **_dhis2_objects(coordinator), **_federation_objects(coordinator), **_connector_objects(coordinator),
        **_public_objects(coordinator),
    }
    for code in (OWN, FOREIGN):
        unit = current(code)
        rows = _rows(regime, code, DRAFT)
        saved = collection_actions.check_and_save_values(regime, unit, DRAFT, rows, actor=service, today=TODAY)
        assert saved.ok and saved.submission is not None, saved.issues
        document = collection_actions.attach_document(regime, unit, DRAFT, PDF, "bao-cao.pdf", actor=service)
        target, _ = registry_actions.set_target(indicator, unit, 2026, Decimal(1000), actor=coordinator)
        reporter = users[Principal(Role.REPORTER, code)]
        objects[code] = {
            **shared, "unit": code, "unit_pk": str(unit.pk), "submission": str(saved.submission.pk),
            "document": str(document.pk),
            "user": str(reporter.pk), "grant": str(Grant.objects.get(user=reporter).pk), "target": str(target.pk),
            "event": str(Event.objects.filter(org_unit=unit).order_by("pk").values_list("pk", flat=True).first()),
            "event_seq": str(Event.objects.filter(org_unit=unit).order_by("pk").values_list("seq", flat=True).first()),
        }
        bodies[code] = {"regime": REGIME, "orgUnit": code, "period": DRAFT.sdmx,
                        "dataValues": [{"indicator": r.indicator, "value": str(r.value)} for r in rows]}
    return Cast(users, secrets, objects, bodies, media, time.monotonic() - started)


def _third_party(user: User) -> dict[str, str]:
    """One row of each third-party model the admin lists (2FA devices, sign-in records)."""
    from axes.models import AccessAttempt, AccessFailureLog, AccessLog
    from django_otp.plugins.otp_static.models import StaticDevice
    from django_otp.plugins.otp_totp.models import TOTPDevice

    seen = {"ip_address": "10.0.0.1", "user_agent": "matrix", "username": user.username}
    return {"totp": str(TOTPDevice.objects.create(user=user, name="matrix").pk),
            "static": str(StaticDevice.objects.create(user=user, name="matrix").pk),
            "attempt": str(AccessAttempt.objects.create(failures_since_start=1, **seen).pk),
            "accesslog": str(AccessLog.objects.create(**seen).pk),
            "failurelog": str(AccessFailureLog.objects.create(**seen).pk)}


# Issue 5: one row of each exchange model the admin lists, by the key its AdminModel names.
def _dhis2_objects(coordinator: User) -> dict[str, str]:
    from nrs.exchange.dhis2.actions import save_mapping
    from nrs.exchange.dhis2.models import DataElementMap, DataSetMap, OrgUnitMap, PartnerSystem

    system = save_mapping(PartnerSystem(code="MATRIX_DHIS2", name="matrix"), actor=coordinator)
    rows = {
        "dhis2_dataset_map": DataSetMap(system=system, remote_id="dsMatrix", regime=Regime.objects.get(code=REGIME)),
        "dhis2_element_map": DataElementMap(system=system, data_element="deMatrix",
                                            indicator=Indicator.objects.get(code=INDICATOR)),
        "dhis2_unit_map": OrgUnitMap(system=system, remote_id="ouMatrix", org_unit=current(OWN)),
    }
    return {"dhis2_system": str(system.pk),
            **{key: str(save_mapping(row, actor=coordinator).pk) for key, row in rows.items()}}


def _federation_objects(coordinator: User) -> dict[str, str]:
    """A registered node (Hà Nội's) and one batch received from it."""
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    from nrs.exchange.federation import actions as federation
    from nrs.exchange.federation import signing
    from nrs.exchange.federation.models import ReceivedBatch

    node, _secret = federation.register_node("MATRIX", signing.public_text(Ed25519PrivateKey.generate()),
                                             [OWN], actor=coordinator)
    batch = ReceivedBatch.objects.create(node=node, batch_id="matrix", sequence=1, sha256="0" * 64,
                                         signature="matrix")
    return {"fed_node": str(node.pk), "fed_batch": str(batch.pk)}


def _public_objects(coordinator: User) -> dict[str, str]:
    """Issue 19: a publication of the matrix's indicator and one release of its calendar."""
    from datetime import UTC, datetime

    from nrs.exchange.public.actions import publish

    publication = publish(Indicator.objects.get(code=INDICATOR), actor=coordinator,
                          calendar=[(APPROVED.sdmx, "official", datetime(2026, 1, 1, 2, tzinfo=UTC))])
    return {"public_publication": str(publication.pk), "public_release": str(publication.releases.get().pk)}


def _connector_objects(coordinator: User) -> dict[str, str]:
    """A connector and a webhook subscription on the root (CP), and one delivery of it."""
    from nrs.exchange.connectors import actions as connectors
    from nrs.exchange.connectors.models import Connector, Delivery, Subscription

    system, _ = account_actions.create_user("matrix.connector", PASSWORD)
    account_actions.grant_role(system, Role.SYSTEM, current(ROOT), actor=coordinator)
    connector = connectors.save_connector(Connector(
        name="matrix", kind="http_json", url="http://127.0.0.1:9/values", regime=Regime.objects.get(code=REGIME),
        org_unit=current(ROOT), run_as=system,
        mapping={"fields": {"indicator": "i", "value": "v"}, "period": "2026-10"},
    ), actor=coordinator, changed=["name"], secret="matrix-secret")
    subscription = connectors.save_subscription(Subscription(
        name="matrix", url="http://127.0.0.1:9/hook", org_unit=current(ROOT)), actor=coordinator, changed=["name"],
        secret="matrix-secret")
    delivery = Delivery.objects.create(subscription=subscription, event="approved", payload={"event": "approved"})
    return {"connector": str(connector.pk), "subscription": str(subscription.pk), "delivery": str(delivery.pk)}


# Its subject is the access rules, not the engine: .ci/run sweeps it once, on SQLite.
pytestmark = pytest.mark.ci_sqlite_only


MATRIX_SETTINGS = {"NRS_REQUIRE_2FA": False, "SESSION_ENGINE": "django.contrib.sessions.backends.cache",
                   "PASSWORD_HASHERS": ["django.contrib.auth.hashers.MD5PasswordHasher"],
                   "NRS_API_RATE": "100000/m", "NRS_API_WRITE_RATE": "100000/m",
                   "NRS_LOGIN_RATE": "100000/m", "RATELIMIT_ENABLE": False,
                   "NRS_FETCH_ALLOW": ["127.0.0.1"]}  # the cast's connector and webhook point at loopback


@pytest.fixture(scope="module")
def cast(django_db_setup, django_db_blocker, tmp_path_factory) -> Iterator[Cast]:  # type: ignore[no-untyped-def]
    """One dataset for the whole module, built through the real actions inside a
    transaction that is rolled back at the end."""
    media = tmp_path_factory.mktemp("matrix-media")
    with django_db_blocker.unblock(), override_settings(MEDIA_ROOT=media, **MATRIX_SETTINGS):
        atomic = transaction.atomic()
        atomic.__enter__()
        try:
            yield _build_cast(media)
        finally:
            transaction.set_rollback(True)
            atomic.__exit__(None, None, None)


@pytest.fixture
def matrix_settings(cast, settings) -> Iterator[Cast]:  # type: ignore[no-untyped-def]
    settings.MEDIA_ROOT = cast.media  # the briefing's files (the autouse fixture moves media per test)
    for name, value in MATRIX_SETTINGS.items():
        setattr(settings, name, value)
    logging.disable(logging.WARNING)  # thousands of refusals, each logged with its traceback
    try:
        yield cast
    finally:
        logging.disable(logging.NOTSET)


# -- sending and judging ----------------------------------------------------------------------

@dataclass
class Tally:
    title: str
    checks: list[tuple[str, str, str, str, str]] = field(default_factory=list)  # who, what, side, expected, got
    seconds: Counter[str] = field(default_factory=Counter)

    def add(self, who: Principal, what: str, side: str, expected: bool, got: str) -> None:
        want = "allow" if expected else "deny"
        self.checks.append((who.label, what, side, want, got))

    def mismatches(self, kind: str) -> list[str]:
        return [f"{who} {what} [{side}]: expected {want}, got {got}" for who, what, side, want, got in self.checks
                if want != got and (got == "allow" if kind == "allow" else got != "allow")]

    def summary(self) -> str:
        got = Counter(c[4] for c in self.checks)
        return (f"{self.title}: {len(self.checks)} checks, {got['allow']} allowed, {got['deny']} denied, "
                f"{len(self.mismatches('allow'))} unexpected allows, {len(self.mismatches('deny'))} unexpected denies")


# Redirects that refuse: to sign in, or the admin's "no such object" back to its index.
REFUSED = {"/accounts/login/", "/admin/login/", "/admin/"}


def judge(response: Any, probe: Probe, side: str) -> str:
    code = response.status_code
    if 300 <= code < 400:
        refused = urlsplit(response.headers.get("Location", "")).path in REFUSED
        return "deny" if refused and not probe.redirect_allows else "allow"
    if probe.form_errors_deny and code == 200 and b'class="errornote"' in response.content:
        return "deny"  # a complete form refused in its clean: the policy said no
    if 200 <= code < 300 or code in probe.passed:
        if probe.rows is not None and code == 200 and not probe.rows(response, side):
            return "deny"  # an answer without the unit's data: scoped out
        return "allow"
    if code in (401, 403, 404):
        return "deny"
    return f"status {code}"


def send(client: Client, probe: Probe, url: str, query: dict[str, str], body: Any, side: str,
         **extra: Any) -> str:
    """One request in a savepoint rolled back afterwards: nothing it writes survives."""
    with transaction.atomic():
        try:
            target = url + ("?" + "&".join(f"{k}={quote(v)}" for k, v in query.items()) if query else "")
            if probe.method == "GET":
                response = client.get(target, **extra)
            elif isinstance(body, (str, bytes)):
                response = client.post(target, body, content_type="application/json", **extra)
            else:
                response = client.post(target, body or {}, **extra)
            got = judge(response, probe, side)  # (not closed: that would end the test's connection)
        except Exception as exc:  # a server error is a finding, not a crash of the matrix
            got = f"error {type(exc).__name__}: {exc}"[:200]
        transaction.set_rollback(True)
    return got


def fill(template: str, values: dict[str, str]) -> str:
    return template.format(**values)


def build_url(pattern: Pattern, params: dict[str, str]) -> str:
    # Optional parts of a regex route (the DHIS2 mount's "(?:(?P<version>\d{2})/)?", "/?") are left out.
    route = re.sub(r"\(\?:(?:[^()]|\([^()]*\))*\)\?", "", pattern.route).replace("/?$", "$")
    route = re.sub(r"\(\?P<(\w+)>[^)]*\)", lambda m: quote(params[m.group(1)], safe="/"), route)
    route = re.sub(r"<(?:\w+:)?(\w+)>", lambda m: quote(params[m.group(1)], safe=""), route)
    return "/" + route.replace("^", "").replace("$", "")


def principals() -> list[Principal]:
    return [Principal(None)] + [Principal(role, unit) for unit in (OWN, FOREIGN) for role in PROVINCIAL] + [
        Principal(role, ROOT) for role in NATIONAL]


def _sides(probe: Probe) -> tuple[str, ...]:
    return (OWN, FOREIGN) if probe.rule.sided else (OWN,)


def _values(cast: Cast, side: str, probe: Probe, me: User | None) -> dict[str, str]:
    return {**cast.objects[side], "variant": probe.variant, "app": probe.variant, "me": str(me.pk if me else "")}


def _write(tally: Tally, extra: list[str]) -> None:
    ARTIFACT.parent.mkdir(exist_ok=True)
    mode = "w" if tally.title.startswith("web") else "a"
    with ARTIFACT.open(mode, encoding="utf-8") as out:
        out.write("\n".join([tally.summary(), *extra, *tally.mismatches("allow"), *tally.mismatches("deny")]) + "\n")
        for row in tally.checks:
            out.write("  " + " | ".join(row) + "\n")
    print("\n" + "\n".join([tally.summary(), *extra]))
    if tally.seconds:
        print("slowest: " + ", ".join(f"{k} {v:.1f} s" for k, v in tally.seconds.most_common(6)))


@pytest.mark.django_db
def test_web_matrix(matrix_settings: Cast) -> None:
    cast = matrix_settings
    started = time.monotonic()
    patterns = [p for p in url_patterns() if p.namespace != "api-1" or p.key in API_SELF]
    last = {"logout", "admin:logout"}
    patterns.sort(key=lambda p: p.key in last)
    tally = Tally("web pages")
    shadowed: set[str] = set()
    for who in principals():
        user = cast.users.get(who)
        client = Client()
        if user is not None:
            client.force_login(user)
        for pattern in patterns:
            entry = policy.URLS[pattern.key]
            for probe in entry.probes:
                if not probe.rule.sided and who.unit == FOREIGN:
                    continue  # not about a unit: the same answer as for the own province's twin
                for side in _sides(probe):
                    values = _values(cast, side, probe, user)
                    url = build_url(pattern, {k: fill(v, values) for k, v in entry.params.items()})
                    match = resolve(urlsplit(url).path)
                    if (match.view_name if match.url_name else match.route) != pattern.key:
                        shadowed.add(pattern.key)  # an earlier pattern answers this URL (it has its own entry)
                        continue
                    body = {k: fill(v, values) for k, v in (probe.data or {}).items()}
                    query = {k: fill(v, values) for k, v in probe.query.items()}
                    t0 = time.monotonic()
                    got = send(client, probe, url, query, body if probe.data is not None else None, side)
                    tally.seconds[pattern.key] += time.monotonic() - t0
                    what = f"{probe.method} {pattern.key}" + (f" ({probe.variant})" if probe.variant else "")
                    tally.add(who, what, side, probe.rule.allows(who, side), got)
                    if pattern.key in last and user is not None:
                        client.force_login(user)
    extra = [f"web: {len(patterns)} URL patterns, {len(principals())} principals, "
             f"cast built in {cast.setup_seconds:.1f} s, checks in {time.monotonic() - started:.1f} s",
             f"web: shadowed by an earlier pattern, never reached: {sorted(shadowed) or 'none'}"]
    _write(tally, extra)
    assert not tally.mismatches("allow"), "UNEXPECTED ALLOWS:\n" + "\n".join(tally.mismatches("allow"))
    assert not tally.mismatches("deny"), "unexpected denies:\n" + "\n".join(tally.mismatches("deny"))


def api_principals() -> list[Principal]:
    return [Principal(None)] + [Principal(p.role, p.unit, scope) for p in principals()[1:]
                                for scope in ("read", "write")]


def _api_body(cast: Cast, probe: Probe, side: str) -> Any:
    kind = (probe.data or {})
    if kind.get("json") == "value_set":
        return json.dumps(cast.bodies[side])
    if kind.get("json") == "comment":
        return json.dumps({"comment": "matrix"})
    if kind.get("file") == "pdf":
        return {"file": SimpleUploadedFile("bao-cao.pdf", PDF, content_type="application/pdf")}
    return None


@pytest.mark.django_db
def test_api_matrix(matrix_settings: Cast) -> None:
    cast = matrix_settings
    started = time.monotonic()
    tally = Tally("API operations")
    ops = operations()
    for who in api_principals():
        secret = cast.secrets.get(who)
        client = Client(HTTP_AUTHORIZATION=f"Bearer {secret}") if secret else Client()
        for method, path, operation in ops:
            entry = policy.API[operation["operationId"]]
            for probe in entry.probes:
                if not probe.rule.sided and who.unit == FOREIGN:
                    continue  # not about a unit: the same answer as for the own province's twin
                for side in _sides(probe):
                    values = _values(cast, side, probe, None)
                    params = {k: fill(v, values) for k, v in {**policy.API_PARAMS, **entry.params}.items()}
                    url = path.format(**{k: quote(v, safe="") for k, v in params.items()})
                    query = {k: fill(v, values) for k, v in probe.query.items()}
                    got = send(client, probe, url, query, _api_body(cast, probe, side), side)
                    what = f"{method} {path}" + (f" ({probe.variant})" if probe.variant else "")
                    tally.add(who, what, side, probe.rule.allows(who, side), got)
    extra = [f"API: {len(ops)} operations, {len(api_principals())} principals (tokens: role × unit × scope, "
             f"and none), checks in {time.monotonic() - started:.1f} s"]
    _write(tally, extra)
    assert not tally.mismatches("allow"), "UNEXPECTED ALLOWS:\n" + "\n".join(tally.mismatches("allow"))
    assert not tally.mismatches("deny"), "unexpected denies:\n" + "\n".join(tally.mismatches("deny"))


# -- escalation through a valid admin form ------------------------------------------------------

class _FormFields(HTMLParser):
    """The fields a browser would send from the page's form with id ``form_id``."""

    def __init__(self, form_id: str) -> None:
        super().__init__()
        self.form_id, self.inside, self.fields = form_id, False, {}  # type: ignore[var-annotated]
        self._select: str | None = None
        self._textarea: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "form":
            self.inside = a.get("id") == self.form_id
        if not self.inside or (not a.get("name") and tag != "option"):
            return
        if tag == "input" and a.get("type") not in ("submit", "button", "file"):
            if a.get("type") in ("checkbox", "radio") and "checked" not in a:
                return
            self.fields.setdefault(a["name"], []).append(a.get("value", "on" if a.get("type") == "checkbox" else ""))
        elif tag == "select":
            self._select = a["name"]
            self.fields.setdefault(a["name"], [])
        elif tag == "option" and self._select and "selected" in a:
            self.fields[self._select].append(a.get("value", ""))
        elif tag == "textarea":
            self._textarea = a["name"]
            self.fields[a["name"]] = [""]

    def handle_data(self, data: str) -> None:
        if self._textarea:
            self.fields[self._textarea] = [self.fields[self._textarea][0] + data]

    def handle_endtag(self, tag: str) -> None:
        if tag == "select":
            self._select = None
        elif tag == "textarea":
            self._textarea = None
        elif tag == "form":
            self.inside = False


@pytest.mark.django_db
def test_a_user_manager_cannot_make_anyone_a_superuser(matrix_settings: Cast) -> None:
    """The user admin's form, posted in full as a browser would, with the superuser box
    ticked and Django permissions chosen: nobody becomes a superuser or gains them."""
    cast = matrix_settings
    coordinator = cast.users[Principal(Role.COORDINATOR, ROOT)]
    client = Client()
    client.force_login(coordinator)
    url = reverse("admin:accounts_user_change", args=[coordinator.pk])
    page = client.get(url)
    assert page.status_code == 200
    form = _FormFields("user_form")
    form.feed(page.content.decode())
    data = {name: values if len(values) > 1 else (values[0] if values else "") for name, values in form.fields.items()}
    assert data["username"] == coordinator.username  # the form was read
    data.update({"is_superuser": "on", "is_staff": "on", "full_name": "changed by the matrix",
                 "user_permissions": [str(Permission.objects.get(codename="change_group").pk)],
                 "groups": [str(Group.objects.get(name="matrix").pk)]})
    answer = client.post(url, data)
    assert answer.status_code == 302, answer.content.decode()[:2000]  # saved
    coordinator.refresh_from_db()
    assert coordinator.full_name == "changed by the matrix"
    assert not coordinator.is_superuser
    assert not coordinator.user_permissions.exists() and not coordinator.groups.exists()
