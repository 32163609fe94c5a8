"""Public dissemination (issue 19, part 3): released figures served anonymously, and nothing else.

The oracle is the test's own: it stores figures with values it chooses (released, embargoed,
revised after a release, left as a draft, below the published level) and walks every public
route anonymously (the explorer's pages, every link they carry, the revision histories, the
XLSX and SDMX downloads, the SDMX structures and data in every format), checking that each
embargoed value is never written in any form (1234567.8, 1.234.567,8, 1,234,567.8) until its
release time has passed, and that each released one is. Time is moved with time-machine.
"""

from __future__ import annotations

import io
import re
from dataclasses import replace
from datetime import date, datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import openpyxl
import pytest
import time_machine
from django.core.cache import caches
from django.test import Client

from nrs.accounts import actions as account_actions
from nrs.accounts.models import Role
from nrs.collection import actions, bulk
from nrs.collection.models import Submission
from nrs.collection.validation import Row
from nrs.exchange.public import actions as publishing
from nrs.exchange.public.models import Publication, Release
from nrs.lib import periods
from nrs.registry.models import Indicator, Regime
from nrs.web import demo_values
from tests.conftest import current
from tests.test_collection_api import PDF

pytestmark = pytest.mark.django_db
VN = ZoneInfo("Asia/Ho_Chi_Minh")
REGIME, CODE, FLOW = "PROV_KTXH_M", "RETAIL_SALES", "DF_ECONOMIC_GROWTH"
AUG, SEP = periods.Period.month(2026, 8), periods.Period.month(2026, 9)
T0 = datetime(2026, 10, 5, 9, 0, tzinfo=VN)  # when the history was approved
SETUP = datetime(2026, 11, 10, 10, 0, tzinfo=VN)  # the revision approved, the draft saved
AUG_PRELIMINARY = datetime(2026, 10, 6, 9, 0, tzinfo=VN)
SEP_ESTIMATE = datetime(2026, 11, 15, 9, 0, tzinfo=VN)
AUG_OFFICIAL = datetime(2026, 11, 20, 9, 0, tzinfo=VN)

# The test's own figures (distinct digits, so that any rendering of one is recognisable).
AUG_01, AUG_31 = Decimal("135791.1"), Decimal("246813.5")
SEP_01, SEP_31 = Decimal("987654.3"), Decimal("876543.2")
AUG_01_REVISED = Decimal("223344.6")  # approved after AUG's first release: waits for the official one
SEP_31_DRAFT = Decimal("554433.7")  # saved in a revision never approved: never public


def forms(value: Decimal) -> list[str]:
    """Every way a page, a file or a message may write ``value``."""
    whole, _, decimals = str(value).partition(".")
    grouped_en = f"{int(whole):,}"
    return [whole, grouped_en, grouped_en.replace(",", "."), f"{whole}.{decimals}", f"{whole},{decimals}"]


def shows(text: str, value: Decimal) -> bool:
    return any(form in text for form in forms(value))


@pytest.fixture
def figures(make_user, coordinator, settings) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    """August and September of Hà Nội (01) and Hải Phòng (31), approved on T0; Hà Nội's August
    revised and approved on SETUP; Hải Phòng's September revised as a draft; RETAIL_SALES made
    public at province level with its calendar (AUG preliminary past, SEP estimate and AUG
    official to come)."""
    settings.NRS_PUBLIC, settings.NRS_PUBLIC_RATE = True, "100000/m"
    service = make_user("svc", "system", "CP")
    account_actions.grant_role(service, Role.APPROVER, current("CP"))
    regime = Regime.objects.get(code=REGIME)
    mine = {("01", AUG): AUG_01, ("31", AUG): AUG_31, ("01", SEP): SEP_01, ("31", SEP): SEP_31}
    indicators = list(regime.indicators.filter(formula="").select_related("unit").order_by("code"))
    reports = [bulk.Report(regime=regime, unit=current(unit), period=period, submitted_at=T0, approved_at=T0,
                           rows=[replace(row, value=str(value), flag="") if row.indicator == CODE else row
                                 for row in demo_values.values_for(indicators, unit, 1.0, period)])
               for (unit, period), value in mine.items()]
    with time_machine.travel(SETUP, tick=False):
        result = bulk.import_reports(reports, actor=service, today=date(2026, 10, 5))
        assert not result.issues, result.issues
        _revise("01", AUG, AUG_01_REVISED, approve=True, make_user=make_user)
        _revise("31", SEP, SEP_31_DRAFT, approve=False, make_user=make_user)
        publishing.publish(Indicator.objects.get(code=CODE), actor=coordinator, min_level="province", calendar=[
            (AUG.sdmx, "preliminary", AUG_PRELIMINARY), (AUG.sdmx, "official", AUG_OFFICIAL),
            (SEP.sdmx, "estimate", SEP_ESTIMATE)])
    caches["ratelimit"].clear()
    return {"coordinator": coordinator}


def _revise(unit: str, period: periods.Period, value: Decimal, *, approve: bool, make_user: Any) -> None:
    regime, where = Regime.objects.get(code=REGIME), current(unit)
    submission = Submission.objects.get(regime=regime, org_unit=where, period=period.sdmx)
    reporter, approver = make_user(f"r{unit}", "reporter", unit), make_user(f"a{unit}", "approver", unit)
    actions.revise_submission(submission, actor=reporter, reason="corrected")
    saved = actions.check_and_save_values(regime, where, period, [Row(ref="r", indicator=CODE, org_unit=unit,
                                                                      value=str(value), comment="checked")],
                                          actor=reporter, today=date(2026, 11, 10))
    assert saved.ok, saved.issues
    if approve:
        actions.attach_document(regime, where, period, PDF, "report.pdf", actor=reporter)
        actions.submit_submission(submission, actor=reporter, today=date(2026, 11, 10))
        actions.approve_submission(submission, actor=approver)


# -- walking every public route -----------------------------------------------------------------

SDMX_FORMATS = ({"format": "csv"}, {"format": "jsondata"}, {"format": "structurespecificdata"}, {})


def _starts(language: str, structures: bool) -> list[tuple[str, dict[str, str]]]:
    """The routes a crawl starts from: the explorer, every history and period (released or not),
    every download, and (once: they do not depend on the language) the SDMX data in every format
    and key shape, and with ``structures`` the SDMX structures too (large and slow to build)."""
    starts: list[tuple[str, dict[str, str]]] = [("/public/", {}), (f"/public/{CODE}/", {}),
                                                (f"/public/{CODE}/download.xlsx", {})]
    for period in (AUG, SEP):
        starts.append((f"/public/{CODE}/", {"period": period.sdmx}))
        for unit in ("01", "31", "CP"):
            starts.append((f"/public/{CODE}/history/", {"unit": unit, "period": period.sdmx}))
    if language != "vi":
        return starts
    for key in (f"M.{CODE}.", f"M.{CODE}.01+31", "all"):
        for fmt in SDMX_FORMATS:
            starts.append((f"/sdmx/data/{FLOW}/{key}", fmt))
    for query in ({"startPeriod": "2026-09", "format": "csv"}, {"lastNObservations": "1", "format": "csv"},
                  {"updatedAfter": "2026-01-01T00:00:00", "format": "csv"}):
        starts.append((f"/sdmx/data/{FLOW}/M.{CODE}.01+31", query))
    starts += [(f"/sdmx/data/{FLOW}/M.{CODE}.CP", {"format": "csv"}), (f"/sdmx/availableconstraint/{FLOW}/all", {})]
    if structures:
        starts += [("/sdmx/structure/all", {}), (f"/sdmx/dataflow/VN_VPCP/{FLOW}", {}),
                   (f"/sdmx/schema/dataflow/VN_VPCP/{FLOW}", {})]
    return starts


HREF = re.compile(r'(?:href|src)="(/(?:public|sdmx)/[^"#]*)"')


def _text(response: Any) -> str:
    body = b"".join(response.streaming_content) if response.streaming else response.content
    if response.get("Content-Type", "").startswith("application/vnd.openxmlformats"):
        book = openpyxl.load_workbook(io.BytesIO(body), read_only=True)
        return "\n".join(" ".join(str(c) for c in row if c is not None)
                         for sheet in book.worksheets for row in sheet.iter_rows(values_only=True))
    return body.decode("utf-8", "replace")


def walk(client: Client, *, structures: bool = False) -> dict[str, tuple[int, str]]:
    """Every start route and every /public/ or /sdmx/ link found on the way, in Vietnamese and
    English: url -> (status, text)."""
    seen: dict[str, tuple[int, str]] = {}
    for language in ("vi", "en"):
        client.cookies["django_language"] = language
        queue = [(path, dict(query)) for path, query in _starts(language, structures)]
        while queue:
            path, query = queue.pop()
            response = client.get(path, query, HTTP_ACCEPT_LANGUAGE=language)
            url = response.request["PATH_INFO"] + ("?" + response.request["QUERY_STRING"]
                                                   if response.request.get("QUERY_STRING") else "")
            key = f"{language} {url}"
            if key in seen:
                continue
            assert response.status_code < 500, (url, response.status_code)
            text = _text(response)
            seen[key] = (response.status_code, text)
            for link in HREF.findall(text):
                link = link.replace("&amp;", "&")
                if f"{language} {link}" not in seen and len(seen) < 400:
                    queue.append((link.split("?")[0], dict(p.split("=", 1) for p in link.split("?", 1)[1].split("&")
                                                            if "=" in p) if "?" in link else {}))
    return seen


def never_shown(seen: dict[str, tuple[int, str]], *values: Decimal) -> None:
    for url, (_status, text) in seen.items():
        for value in values:
            assert not shows(text, value), f"{value} served anonymously at {url}"


def shown_somewhere(seen: dict[str, tuple[int, str]], value: Decimal, where: str) -> None:
    assert any(shows(text, value) for url, (status, text) in seen.items() if where in url and status == 200), \
        f"{value} not served at {where}"


def test_every_public_route_serves_released_figures_and_never_an_embargoed_one(figures) -> None:  # type: ignore[no-untyped-def]
    client = Client()
    # Between AUG's preliminary release and SEP's estimate: August as first released only.
    with time_machine.travel(datetime(2026, 11, 12, 12, 0, tzinfo=VN), tick=False):
        seen = walk(client, structures=True)
    never_shown(seen, SEP_01, SEP_31, AUG_01_REVISED, SEP_31_DRAFT, SEP_01 + SEP_31, AUG_01_REVISED + AUG_31)
    shown_somewhere(seen, AUG_01 + AUG_31, f"/public/{CODE}/")  # the national figure, over the provinces
    for value in (AUG_01, AUG_31):
        shown_somewhere(seen, value, f"/sdmx/data/{FLOW}/")
        shown_somewhere(seen, value, f"/public/{CODE}/download.xlsx")
        shown_somewhere(seen, value, f"/public/{CODE}/")
    shown_somewhere(seen, AUG_01, "/history/?unit=01&period=2026-08")
    assert sum(1 for url in seen if url.startswith("vi /public/")) >= 8

    # One second before SEP's estimate it is still under embargo; at its time it is released.
    with time_machine.travel(SEP_ESTIMATE.timestamp() - 1, tick=False):
        never_shown({"csv": (200, _text(client.get(f"/sdmx/data/{FLOW}/M.{CODE}.", {"format": "csv"})))},
                    SEP_01, SEP_31)
    with time_machine.travel(datetime(2026, 11, 16, 8, 0, tzinfo=VN), tick=False):
        seen = walk(client)
    never_shown(seen, AUG_01_REVISED, SEP_31_DRAFT, AUG_01_REVISED + AUG_31)
    for value in (SEP_01, SEP_31, AUG_01):
        shown_somewhere(seen, value, f"/sdmx/data/{FLOW}/")
        shown_somewhere(seen, value, f"/public/{CODE}/")
        shown_somewhere(seen, value, f"/public/{CODE}/download.xlsx")

    # After AUG's official release the revision is public, and its history shows both releases.
    with time_machine.travel(datetime(2026, 11, 21, 8, 0, tzinfo=VN), tick=False):
        seen = walk(client)
        history = client.get(f"/public/{CODE}/history/", {"unit": "01", "period": AUG.sdmx},
                             HTTP_ACCEPT_LANGUAGE="en")
    never_shown(seen, SEP_31_DRAFT, SEP_31_DRAFT + SEP_01)
    shown_somewhere(seen, AUG_01_REVISED, f"/sdmx/data/{FLOW}/")
    shown_somewhere(seen, AUG_01_REVISED + AUG_31, "/history/?unit=CP&period=2026-08")
    shown_somewhere(seen, AUG_01_REVISED, f"/public/{CODE}/download.xlsx")
    assert not any(shows(text, AUG_01) for url, (_s, text) in seen.items() if "/sdmx/data/" in url)
    rows = re.findall(r'<tr data-stage="(\w+)">(.*?)</tr>', history.content.decode(), re.S)
    assert [stage for stage, _ in rows] == ["preliminary", "official"]
    assert shows(rows[0][1], AUG_01) and "06/10/2026 09:00" in rows[0][1]
    assert shows(rows[1][1], AUG_01_REVISED) and "20/11/2026 09:00" in rows[1][1]


def test_below_the_published_level_nothing_is_served(figures) -> None:  # type: ignore[no-untyped-def]
    publication = Publication.objects.get(indicator__code=CODE)
    publication.min_level = "national"
    publishing.save_publication(publication, actor=figures["coordinator"])
    with time_machine.travel(datetime(2026, 11, 21, 8, 0, tzinfo=VN), tick=False):
        seen = walk(Client())
    never_shown(seen, AUG_01, AUG_31, SEP_01, SEP_31, AUG_01_REVISED, SEP_31_DRAFT)


def test_off_by_default_nothing_is_public(figures, settings) -> None:  # type: ignore[no-untyped-def]
    settings.NRS_PUBLIC = False
    client = Client()
    with time_machine.travel(datetime(2026, 11, 21, 8, 0, tzinfo=VN), tick=False):
        assert client.get("/public/").status_code == 404
        assert client.get(f"/public/{CODE}/").status_code == 404
        assert client.get(f"/public/{CODE}/download.xlsx").status_code == 404
        assert client.get(f"/sdmx/data/{FLOW}/M.{CODE}.", {"format": "csv"}).status_code == 401
        assert client.get("/sdmx/structure/all").status_code == 401
        preflight = client.options(f"/sdmx/data/{FLOW}/all", HTTP_ORIGIN="https://example.org",
                                   HTTP_ACCESS_CONTROL_REQUEST_METHOD="GET")
        assert "Access-Control-Allow-Origin" not in preflight


def test_cors_for_get_and_preflight(figures) -> None:  # type: ignore[no-untyped-def]
    client = Client()
    for path in (f"/sdmx/data/{FLOW}/M.{CODE}.", "/public/", "/sdmx/structure/dataflow"):
        preflight = client.options(path, HTTP_ORIGIN="https://stat.example.org",
                                   HTTP_ACCESS_CONTROL_REQUEST_METHOD="GET",
                                   HTTP_ACCESS_CONTROL_REQUEST_HEADERS="accept")
        assert preflight.status_code == 204
        assert preflight["Access-Control-Allow-Origin"] == "*"
        assert "GET" in preflight["Access-Control-Allow-Methods"]
        assert "accept" in preflight["Access-Control-Allow-Headers"].lower()
        assert "Access-Control-Allow-Credentials" not in preflight
        got = client.get(path, HTTP_ORIGIN="https://stat.example.org")
        assert got["Access-Control-Allow-Origin"] == "*", path
    # Not on the signed-in pages.
    assert "Access-Control-Allow-Origin" not in client.get("/dashboard/", HTTP_ORIGIN="https://stat.example.org")


def test_anonymous_callers_are_rate_limited_per_address(figures, settings) -> None:  # type: ignore[no-untyped-def]
    settings.NRS_PUBLIC_RATE = "3/m"
    caches["ratelimit"].clear()
    client = Client(REMOTE_ADDR="203.0.113.7")
    answers = [client.get(f"/sdmx/data/{FLOW}/M.{CODE}.", {"format": "csv"}).status_code for _ in range(4)]
    assert answers[:3] != [429] * 3 and answers[3] == 429
    limited = client.get("/public/")
    assert limited.status_code == 429 and int(limited["Retry-After"]) > 0
    assert Client(REMOTE_ADDR="203.0.113.8").get("/public/").status_code == 200  # another address


def test_bad_input_is_a_4xx(figures) -> None:  # type: ignore[no-untyped-def]
    client = Client()
    with time_machine.travel(datetime(2026, 11, 21, 8, 0, tzinfo=VN), tick=False):
        assert client.get(f"/public/{CODE}/", {"period": "2026-13"}).status_code == 400
        assert client.get(f"/public/{CODE}/", {"period": "2027-01"}).status_code == 404
        assert client.get(f"/public/{CODE}/history/", {"unit": "01", "period": "nope"}).status_code == 400
        assert client.get(f"/public/{CODE}/history/", {"unit": "zz", "period": "2026-08"}).status_code == 404
        assert client.get("/public/NO_SUCH/").status_code == 404
        assert client.get(f"/public/{CODE}/", {"period": "2026-0\x008"}).status_code == 400
        assert client.post("/public/").status_code in (403, 405)


def test_the_calendar_is_written_through_audited_actions(figures, make_user) -> None:  # type: ignore[no-untyped-def]
    from django.core.exceptions import PermissionDenied, ValidationError

    from nrs.audit.models import Event

    viewer = make_user("viewer", "viewer", "CP")
    release = Release.objects.get(publication__indicator__code=CODE, period=SEP.sdmx)
    before = Event.objects.count()
    release.release_at = datetime(2026, 11, 14, 9, 0, tzinfo=VN)
    publishing.save_release(release, actor=figures["coordinator"])
    event = Event.objects.order_by("-pk").first()
    assert Event.objects.count() == before + 1 and event.data["model"] == "public.release"
    change = event.data["changes"]["release_at"]
    assert datetime.fromisoformat(change["new"]) == datetime(2026, 11, 14, 9, 0, tzinfo=VN)
    assert datetime.fromisoformat(change["old"]) == SEP_ESTIMATE
    with pytest.raises(PermissionDenied):
        publishing.save_release(release, actor=viewer)
    bad = Release(publication=release.publication, period="2026-13", stage="official", release_at=SEP_ESTIMATE)
    with pytest.raises(ValidationError) as raised:
        publishing.save_release(bad, actor=figures["coordinator"])
    assert "period" in raised.value.message_dict
    assert Event.objects.count() == before + 1


def test_the_demo_calendar_follows_the_stored_versions(figures, make_user) -> None:  # type: ignore[no-untyped-def]
    """nrs demo's publish_demo: one release per approved version of each period (AUG: the first
    report, then the approved revision), the newest period's official release ahead (embargo),
    and the next period scheduled."""
    from django.utils import timezone

    from nrs.web import demo

    make_user("dieuphoi", "coordinator", "CP")
    with time_machine.travel(datetime(2026, 11, 21, 8, 0, tzinfo=VN), tick=False):
        assert demo.publish_demo() > 0
        now = timezone.now()
    releases = {(r.period, r.stage): r.release_at for r in Release.objects.filter(publication__indicator__code=CODE)}
    assert releases[(AUG.sdmx, "preliminary")] == datetime(2026, 10, 5, 10, 0, tzinfo=VN)  # T0's hour after
    assert releases[(AUG.sdmx, "official")] == datetime(2026, 11, 10, 11, 0, tzinfo=VN)  # SETUP's hour after
    assert releases[(SEP.sdmx, "official")] > now  # the newest period: under embargo
    assert releases[("2026-10", "official")] > releases[(SEP.sdmx, "official")]
    assert Publication.objects.get(indicator__code=CODE).min_level == "province"
