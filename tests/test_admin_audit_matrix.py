"""Issue 18, finding 5: every admin screen and inline that saves something records a chained
audit event. The matrix enumerates every ModelAdmin on the admin site and every inline of
each; the expected outcome of each case is written here, not derived from the admins."""

from __future__ import annotations

from typing import Any

import pytest
from django import forms
from django.contrib import admin
from django.test import Client

from nrs.audit import chain
from nrs.audit.models import Event

pytestmark = pytest.mark.django_db


# -- building a POST from a rendered admin form ----------------------------------------------

def _field_data(bound: Any, name: str) -> dict[str, Any]:
    """The POST entries a browser would send for ``bound`` left as rendered."""
    widget, value = bound.field.widget, bound.value()
    if isinstance(bound.field, forms.MultipleChoiceField | forms.ModelMultipleChoiceField) and not value:
        return {}
    if isinstance(widget, forms.CheckboxInput):
        return {name: "on"} if value else {}
    if isinstance(widget, forms.MultiWidget):
        parts = widget.decompress(value) if not isinstance(value, list) else value
        return {f"{name}_{n}": "" if part is None else str(part) for n, part in enumerate(parts)}
    if isinstance(value, (list, tuple)):
        return {name: [str(v) for v in value]}
    return {name: "" if value is None else str(value)}


def _form_data(form: Any) -> dict[str, Any]:
    data: dict[str, Any] = {}
    for name in form.fields:
        data.update(_field_data(form[name], form.add_prefix(name)))
    return data


def form_data(response: Any) -> dict[str, Any]:
    """The admin page's form and inline forms as rendered: its own values re-posted."""
    context = response.context
    data = _form_data(context["adminform"].form)
    for inline in context["inline_admin_formsets"]:
        formset = inline.formset
        data.update(_form_data(formset.management_form))
        for form in formset.forms:
            data.update(_form_data(form))
    data["_save"] = "Save"
    return data


def inline_prefix(response: Any, model: str) -> str:
    for inline in response.context["inline_admin_formsets"]:
        if inline.formset.model._meta.model_name == model:
            return str(inline.formset.prefix)
    raise AssertionError(f"no inline of {model}")


def events_since(seq: int) -> list[Event]:
    return list(Event.objects.filter(seq__gt=seq).order_by("seq"))


def head() -> int:
    return chain.head()[0]


def chain_verifies() -> bool:
    return bool(chain.verify().ok)


def client_for(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def the_admins() -> dict[str, Any]:
    return {f"{m._meta.app_label}.{m._meta.model_name}": a for m, a in admin.site._registry.items()}


# -- the matrix ----------------------------------------------------------------------------------

NATIONAL, SUPERUSER, READ_ONLY = "national coordinator", "superuser", "read-only"
ADD, CHANGE = "add", "change"

# Who saves each admin screen, and which of add and change it offers: the oracle, written out.
# A screen not listed here fails test_the_matrix_lists_every_admin.
SCREENS: dict[str, tuple[str, tuple[str, ...]]] = {
    "auth.group": (SUPERUSER, (ADD, CHANGE)),
    "otp_totp.totpdevice": (SUPERUSER, (ADD, CHANGE)),
    "otp_static.staticdevice": (SUPERUSER, (ADD, CHANGE)),
    "axes.accessattempt": (SUPERUSER, (CHANGE,)),
    "axes.accesslog": (SUPERUSER, (CHANGE,)),
    "axes.accessfailurelog": (SUPERUSER, (CHANGE,)),
    "accounts.user": (NATIONAL, (ADD, CHANGE)),
    "accounts.grant": (NATIONAL, (ADD, CHANGE)),  # a change: the grant's expiry
    "registry.orgunit": (NATIONAL, (ADD, CHANGE)),
    "registry.lineage": (NATIONAL, (ADD, CHANGE)),
    "registry.indicator": (NATIONAL, (ADD, CHANGE)),
    "registry.codelist": (NATIONAL, (ADD, CHANGE)),
    "registry.measureunit": (NATIONAL, (ADD, CHANGE)),
    "registry.regime": (NATIONAL, (ADD, CHANGE)),
    "registry.target": (NATIONAL, (ADD,)),
    "dhis2.partnersystem": (NATIONAL, (ADD, CHANGE)),
    "dhis2.datasetmap": (NATIONAL, (ADD, CHANGE)),
    "dhis2.dataelementmap": (NATIONAL, (ADD, CHANGE)),
    "dhis2.orgunitmap": (NATIONAL, (ADD, CHANGE)),
    "federation.node": (NATIONAL, (ADD, CHANGE)),
    "federation.receivedbatch": (READ_ONLY, ()),
    "connectors.connector": (NATIONAL, (ADD, CHANGE)),
    "connectors.subscription": (NATIONAL, (ADD, CHANGE)),
    "connectors.delivery": (READ_ONLY, ()),
    "public.publication": (NATIONAL, (ADD, CHANGE)),
    "public.release": (NATIONAL, (ADD, CHANGE)),
    "audit.event": (READ_ONLY, ()),
}
# Inlines: (screen, inline model) -> whether a row can be added in it on the screen's change page.
INLINES: dict[tuple[str, str], bool] = {
    ("registry.indicator", "registry.responsibility"): True,
    ("registry.codelist", "registry.code"): True,
    ("otp_static.staticdevice", "otp_static.statictoken"): True,
    ("accounts.user", "accounts.grant"): False,
    ("federation.receivedbatch", "federation.federatedversion"): False,
    ("connectors.delivery", "connectors.deliveryattempt"): False,
}
# Gaps owned by other helpers of issue 18 (the lead removes a mark once its helper's fix is in).
# Mark a case here with its helper's name while its fix is pending: it runs as a strict xfail.
# (The user admin's USER_CREATED/USER_CHANGED, helper duties, and the connector admin, helper
# ssrf, were fixed before this matrix was committed: nothing is pending.)
OWNED_ELSEWHERE: dict[tuple[str, str], str] = {}


def test_the_matrix_lists_every_admin() -> None:
    registered = the_admins()
    assert set(registered) == set(SCREENS)
    inlines = {(key, inline.model._meta.label_lower)
               for key, model_admin in registered.items() for inline in model_admin.inlines}
    assert inlines == set(INLINES)


def _cases() -> list[Any]:
    cases = []
    for key, (_who, modes) in SCREENS.items():
        for mode in (ADD, CHANGE):
            marks = []
            if (key, mode) in OWNED_ELSEWHERE:
                marks.append(pytest.mark.xfail(strict=True, reason=OWNED_ELSEWHERE[(key, mode)]))
            expected = "saves" if mode in modes else "refuses"
            cases.append(pytest.param(key, mode, expected, id=f"{key}-{mode}-{expected}", marks=marks))
    return cases


# -- the cast: who acts and one row of each screen -------------------------------------------------

class Cast:
    def __init__(self, coordinator: Any, superuser: Any) -> None:
        self.coordinator, self.superuser = coordinator, superuser
        self.objects: dict[str, Any] = {}


def _node_key() -> str:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    from nrs.exchange.federation import signing

    return str(signing.public_text(Ed25519PrivateKey.generate()))


def _objects(cast: Cast) -> dict[str, Any]:
    from axes.models import AccessAttempt, AccessFailureLog, AccessLog
    from django.contrib.auth.models import Group
    from django_otp.plugins.otp_static.models import StaticDevice
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from nrs.accounts import actions as accounts
    from nrs.accounts.models import Grant
    from nrs.exchange.connectors import actions as connectors
    from nrs.exchange.connectors.models import Connector, Delivery, Subscription
    from nrs.exchange.dhis2.actions import save_mapping
    from nrs.exchange.dhis2.models import DataElementMap, DataSetMap, OrgUnitMap, PartnerSystem
    from nrs.exchange.federation import actions as federation
    from nrs.exchange.federation.models import ReceivedBatch
    from nrs.registry import actions as registry
    from nrs.registry.models import Codelist, Indicator, Lineage, MeasureUnit, Regime
    from tests.conftest import current

    who = cast.coordinator
    seen = {"ip_address": "10.0.0.1", "user_agent": "matrix", "username": who.username}
    person, _ = accounts.create_user("matrix.person", "a-long-password-2026", full_name="Matrix")
    accounts.grant_role(person, "viewer", current("01"), actor=who)
    system, _ = accounts.create_user("matrix.system", "a-long-password-2026")
    accounts.grant_role(system, "system", current("CP"), actor=who)
    regime, indicator = Regime.objects.get(code="PROV_KTXH_M"), Indicator.objects.get(code="GDP_GROWTH")
    partner = save_mapping(PartnerSystem(code="MATRIX", name="matrix"), actor=who)
    node, _secret = federation.register_node("MATRIX", _node_key(), ["01"], actor=who)
    from datetime import UTC, datetime

    from nrs.exchange.public.actions import publish
    publication = publish(Indicator.objects.get(code="RETAIL_SALES"), actor=who,
                          calendar=[("2026-09", "official", datetime(2026, 10, 20, 2, tzinfo=UTC))])
    subscription = connectors.save_subscription(Subscription(
        name="matrix", url="http://127.0.0.1:9/hook", org_unit=current("CP")), actor=who,
        changed=["name"], secret="matrix-secret")
    return {
        "auth.group": Group.objects.create(name="matrix"),
        "otp_totp.totpdevice": TOTPDevice.objects.create(user=person, name="matrix"),
        "otp_static.staticdevice": StaticDevice.objects.create(user=person, name="matrix"),
        "axes.accessattempt": AccessAttempt.objects.create(failures_since_start=1, **seen),
        "axes.accesslog": AccessLog.objects.create(**seen),
        "axes.accessfailurelog": AccessFailureLog.objects.create(**seen),
        "accounts.user": person,
        "accounts.grant": Grant.objects.filter(user=person).get(),
        "registry.orgunit": current("01"),
        "registry.lineage": Lineage.objects.order_by("pk").first(),
        "registry.indicator": indicator,
        "registry.codelist": Codelist.objects.filter(codes__isnull=False).order_by("code").first(),
        "registry.measureunit": MeasureUnit.objects.order_by("code").first(),
        "registry.regime": regime,
        "registry.target": registry.set_target(indicator, current("CP"), 2027, 7, actor=who)[0],
        "dhis2.partnersystem": partner,
        "dhis2.datasetmap": save_mapping(DataSetMap(system=partner, remote_id="ds", regime=regime), actor=who),
        "dhis2.dataelementmap": save_mapping(DataElementMap(system=partner, data_element="de",
                                                           indicator=indicator), actor=who),
        "dhis2.orgunitmap": save_mapping(OrgUnitMap(system=partner, remote_id="ou", org_unit=current("01")),
                                         actor=who),
        "federation.node": node,
        "federation.receivedbatch": ReceivedBatch.objects.create(node=node, batch_id="matrix", sequence=1,
                                                                 sha256="0" * 64, signature="matrix"),
        "connectors.connector": connectors.save_connector(Connector(
            name="matrix", kind="http_json", url="http://127.0.0.1:9/values", regime=regime,
            org_unit=current("CP"), run_as=system,
            mapping={"fields": {"indicator": "i", "value": "v"}, "period": "2026-10"}),
            actor=who, changed=["name"], secret="matrix-secret"),
        "connectors.subscription": subscription,
        "connectors.delivery": Delivery.objects.create(subscription=subscription, event="approved",
                                                       payload={"event": "approved"}),
        "public.publication": publication,
        "public.release": publication.releases.get(),
        "audit.event": Event.objects.order_by("-seq").first(),
    }


def _add_data(key: str, cast: Cast) -> dict[str, Any]:
    """The fields an add form needs beyond its initial values (a browser user's typing)."""
    from nrs.registry.models import Codelist, Indicator, MeasureUnit, OrgUnit, Regime
    from tests.conftest import current

    names = {"name_vi": "Ma trận", "name_en": "Matrix"}
    unit_pk, person = current("01").pk, cast.objects["accounts.user"]
    return {
        "auth.group": {"name": "matrix-added"},
        "otp_totp.totpdevice": {"user": person.pk, "name": "added"},
        "otp_static.staticdevice": {"user": person.pk, "name": "added"},
        "accounts.user": {"username": "matrix.added", "password1": "a-long-password-2026",
                          "password2": "a-long-password-2026", "usable_password": "true"},
        "accounts.grant": {"user": person.pk, "role": "viewer", "org_unit": current("37").pk},
        "registry.orgunit": {**names, "code": "ZZ90", "kind": "province", "parent": current("CP").pk},
        "registry.lineage": {"predecessor": current("37").pk, "successor": OrgUnit.objects.get(
            code="ZZ90").pk if OrgUnit.objects.filter(code="ZZ90").exists() else current("31").pk,
            "effective": "2030-01-01", "share": "0.5", "kind": "transfer"},
        "registry.indicator": {**names, "code": "MATRIX_IND", "area": "1",
                               "unit": MeasureUnit.objects.order_by("code")[0].pk, "value_type": "decimal",
                               "frequency": "M", "level": "province", "ou_aggregation": "sum",
                               "time_aggregation": "sum", "kind": "level"},
        "registry.codelist": {**names, "code": "MATRIX_CL"},
        "registry.measureunit": {**names, "code": "MATRIX_MU"},
        "registry.regime": {**names, "code": "MATRIX_RG", "regime_type": "periodic", "content": "data",
                            "frequency": "M", "deadline_kind": "day_of_month", "deadline_value": "20",
                            "reporter_scope": "all_provinces"},
        "registry.target": {"indicator": Indicator.objects.get(code="GDP_GROWTH").pk, "org_unit": unit_pk,
                            "year": "2028", "value": "6.5", "reason": "matrix"},
        "dhis2.partnersystem": {"code": "MATRIX_ADDED", "name": "added"},
        "dhis2.datasetmap": {"system": cast.objects["dhis2.partnersystem"].pk, "remote_id": "ds2",
                             "regime": Regime.objects.get(code="PROV_KTXH_M").pk},
        "dhis2.dataelementmap": {"system": cast.objects["dhis2.partnersystem"].pk, "data_element": "de2",
                                 "indicator": Indicator.objects.get(code="GDP_GROWTH").pk},
        "dhis2.orgunitmap": {"system": cast.objects["dhis2.partnersystem"].pk, "remote_id": "ou2",
                             "org_unit": current("37").pk},
        "federation.node": {"code": "MATRIX_ADDED", "name": "added", "public_key": _node_key(),
                            "units": [str(current("37").pk)]},
        "connectors.connector": {"name": "added", "kind": "http_json", "url": "http://127.0.0.1:9/v",
                                 "interval_minutes": "15",
                                 "regime": Regime.objects.get(code="PROV_KTXH_M").pk,
                                 "org_unit": current("CP").pk, "auth": "none",
                                 "run_as": cast.objects["connectors.connector"].run_as_id,
                                 "mapping": '{"fields": {"indicator": "i", "value": "v"}, "period": "2026-10"}'},
        "connectors.subscription": {"name": "added", "url": "http://127.0.0.1:9/hook2",
                                    "org_unit": current("CP").pk, "secret": "a-signing-secret"},
        "public.publication": {"indicator": Indicator.objects.get(code="GDP_GROWTH").pk, "min_level": "province",
                               "active": "on"},
        "public.release": {"publication": cast.objects["public.publication"].pk, "period": "2026-08",
                           "stage": "official", "release_at_0": "2026-10-20", "release_at_1": "09:00:00"},
    }.get(key, {}) | ({"breakdowns": [str(Codelist.objects.order_by("code")[0].pk)]}
                      if key == "registry.indicator" else {})


# One field each change form changes (a browser user's edit); blank: saved as rendered.
CHANGES: dict[str, dict[str, Any]] = {
    "auth.group": {"name": "matrix-renamed"},
    "otp_totp.totpdevice": {"name": "renamed"},
    "otp_static.staticdevice": {"name": "renamed"},
    "accounts.user": {"full_name": "Matrix renamed"},
    "accounts.grant": {"expires_at_0": "2030-12-31", "expires_at_1": "12:00:00"},
    "registry.orgunit": {"name_en": "Hanoi (renamed)"},
    "registry.lineage": {"note": "matrix"},
    "registry.indicator": {"name_en": "GDP growth (renamed)"},
    "registry.codelist": {"name_en": "renamed"},
    "registry.measureunit": {"name_en": "renamed"},
    "registry.regime": {"separate_duties": None},  # None: a box unticked
    "dhis2.partnersystem": {"name": "renamed"},
    "dhis2.datasetmap": {"remote_id": "ds-renamed"},
    "dhis2.dataelementmap": {"combo": "renamed"},
    "dhis2.orgunitmap": {"remote_id": "ou-renamed"},
    "federation.node": {"name": "renamed"},
    "connectors.connector": {"interval_minutes": "30"},
    "connectors.subscription": {"name": "renamed"},
    "public.publication": {"min_level": "national"},
    "public.release": {"stage": "preliminary"},
}
# A new row in each inline that takes one.
INLINE_ROWS: dict[str, Any] = {
    "registry.responsibility": lambda: {"role": "source", "agency": _unit_pk("CTK"),
                                        "valid_from": "2031-01-01", "valid_to": ""},
    "registry.code": lambda: {"code": "MATRIX", "name_vi": "Ma trận", "name_en": "Matrix", "order": "99"},
    "otp_static.statictoken": lambda: {"token": "matrixtoken"},
}


def _unit_pk(code: str) -> int:
    from tests.conftest import current

    return int(current(code).pk)


@pytest.fixture(autouse=True)
def _quick_passwords(settings):  # type: ignore[no-untyped-def]
    """Five accounts per case: a cheap hasher (the matrix is about audit events, not hashing)."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def cast(coordinator, settings) -> Cast:  # type: ignore[no-untyped-def]
    from nrs.accounts import actions as accounts

    settings.NRS_FETCH_ALLOW = ["127.0.0.1"]  # the connectors' test upstream is on loopback
    superuser, _ = accounts.create_user("matrix.root", "a-long-password-2026", is_superuser=True)
    found = Cast(coordinator, superuser)
    found.objects = _objects(found)
    return found


def _url(key: str, mode: str, obj: Any) -> str:
    app, model = key.split(".")
    return f"/admin/{app}/{model}/add/" if mode == ADD else f"/admin/{app}/{model}/{obj.pk}/change/"


def _with_inline_rows(key: str, response: Any, data: dict[str, Any]) -> list[str]:
    """Add one row to each inline of the page that takes one; returns their models."""
    added = []
    for inline in response.context["inline_admin_formsets"]:
        label = inline.formset.model._meta.label_lower
        if not INLINES.get((key, label)):
            continue
        prefix, total = inline.formset.prefix, int(data[f"{inline.formset.prefix}-TOTAL_FORMS"])
        data.update({f"{prefix}-{total}-{name}": value for name, value in INLINE_ROWS[label]().items()})
        data[f"{prefix}-TOTAL_FORMS"] = str(total + 1)
        added.append(label)
    return added


@pytest.mark.parametrize(("key", "mode", "expected"), _cases())
def test_every_admin_save_is_a_chained_event(cast: Cast, key: str, mode: str, expected: str) -> None:
    who, _modes = SCREENS[key]
    client = client_for(cast.superuser if who == SUPERUSER else cast.coordinator)
    url = _url(key, mode, cast.objects[key])
    seq = head()
    if expected == "refuses":
        response = client.post(url, {"_save": "Save"})
        assert response.status_code == 403, response.status_code
        assert [e.event_type for e in events_since(seq)] == []
        return
    page = client.get(url)
    assert page.status_code == 200, page.status_code
    data = form_data(page)
    data.update(_add_data(key, cast) if mode == ADD else CHANGES.get(key, {}))
    data = {name: value for name, value in data.items() if value is not None}
    inlines = _with_inline_rows(key, page, data) if mode == CHANGE else []
    if mode == CHANGE:  # every inline that takes rows is offered to the screen's steward
        assert set(inlines) == {label for (screen, label), rows in INLINES.items() if screen == key and rows}
    response = client.post(url, data)
    errors = (response.context["adminform"].form.errors, [f.errors for i in response.context[
        "inline_admin_formsets"] for f in i.formset]) if response.status_code == 200 else None
    assert response.status_code == 302, errors
    events = events_since(seq)
    assert any(e.object_type == key for e in events), f"{key} {mode}: no audit event names it"
    for label in inlines:
        assert any(e.object_type == label for e in events), f"{key}: no event for the {label} row"
    assert chain_verifies()
