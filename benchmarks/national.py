"""National-scale benchmark (issue 8): NRS against the raw database, side by side.

    python benchmarks/national.py [--database-url URL] [--months N] [--api-values N] ...

One run on PostgreSQL, on a database created fresh and dropped afterwards
(its name must start with nrs_bench):

1. `nrs init` and `nrs demo` (the provinces' monthly reports and logins);
2. **ingest**: the communes' monthly reports (regime XA_KTXH_M, 14 indicators,
   the communes in force in each month: 10,035 before the 2025 reorganisation,
   3,321 after), oldest first. The first ``--api-values`` values go through the
   public bulk API (POST /api/dataValueSets/bulk, NDJSON, 100,000 values per
   request) on the real server; the same rows are then COPYed by psycopg into
   a bare table, and the two times compared;
3. the rest through the product's own bulk path in process
   (nrs.collection.bulk.import_reports: the same validation, versions, audit
   and incremental aggregate refresh), pausing at each ``--checkpoints`` total
   to measure **analytics**: the dashboard's figures (the analytics API over
   HTTP, and the aggregate store's own SQL) against hand-written GROUP BYs over
   the raw values that give the same answer;
4. at the largest size: **freshness** (approval to visibility in
   /api/analytics while ``--load-clients`` clients browse the overview),
   **HTTP load** (wrk, ``--clients`` connections on /dashboard/) and the
   server's **peak RSS**.

Results go to stdout and benchmarks/results-national.md; docs/benchmarks.md
explains them. A benchmark, not a test: nothing here fails on a slow figure.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
import dashboard as common
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

ROOT = common.ROOT
RESULTS = ROOT / "benchmarks" / "results-national.md"
REGIME = "XA_KTXH_M"
FIRST_MONTH = (2020, 1)
# The per-token API rate limits are lifted for the benchmark's server: it measures the server,
# not the limiter (the freshness probe polls every 10 ms, far over the default 600 reads a minute).
UNLIMITED = {"NRS_API_RATE": "1000000/m", "NRS_API_WRITE_RATE": "1000000/m"}
MONTHS = 82  # 2020-01 .. 2026-10, the demo's provinces' span
API_BATCH = 100_000  # values per bulk request (the API's limit)
console = common.console


# ---------------------------------------------------------------- results

@dataclass
class Result:
    section: str
    name: str
    samples: list[float] = field(default_factory=list)  # milliseconds
    value: str = ""  # a single figure instead of samples
    note: str = ""

    def cells(self) -> list[str]:
        if not self.samples:
            return [self.section, self.name, "", self.value, "", self.note]
        p95 = common.percentile(self.samples, 95)
        return [self.section, self.name, str(len(self.samples)), f"{statistics.median(self.samples):.1f}",
                f"{p95:.1f}", self.note]


def timed(fn: Callable[[], Any], runs: int, warmups: int = 2) -> tuple[list[float], Any]:
    answer = None
    for _ in range(warmups):
        answer = fn()
    samples = []
    for _ in range(runs):
        started = time.perf_counter()
        answer = fn()
        samples.append((time.perf_counter() - started) * 1000)
    return samples, answer


# ---------------------------------------------------------------- Django in process

def setup_django(env: dict[str, str]) -> None:
    for key in ("NRS_VAR_DIR", "NRS_DATABASE_URL", "NRS_DEMO"):
        if key in env:
            os.environ[key] = env[key]
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "nrs.settings")
    import django

    django.setup()


def month_list(count: int, first_month: str = "") -> list[Any]:
    from nrs.lib import periods

    year, month = (int(x) for x in first_month.split("-")) if first_month else FIRST_MONTH
    first = periods.Period.month(year, month)
    found = [first]
    while len(found) < count:
        found.append(found[-1].next())
    return found


class Generator:
    """The communes' monthly reports, oldest month first, with plausible values
    (nrs.web.demo_values: trend, season, the catalogue's rules)."""

    def __init__(self, months: int, first_month: str = "") -> None:
        from nrs.registry.models import OrgUnit, Regime

        self.regime = Regime.objects.get(code=REGIME)
        self.indicators = list(self.regime.indicators.filter(formula="").select_related("unit").order_by("code"))
        self.months = month_list(months, first_month)
        communes = list(OrgUnit.objects.filter(level="commune").order_by("code", "valid_from"))
        self.by_month = {m.sdmx: [u for u in communes if u.is_valid_on(m.end)] for m in self.months}
        self.scales = {u.pk: 0.01 * random.Random(f"c{u.code}").lognormvariate(0, 0.5) for u in communes}

    def total(self) -> int:
        return sum(len(units) for units in self.by_month.values()) * len(self.indicators)

    def reports(self, *, held: set[tuple[int, str]]) -> Iterator[Any]:
        """(unit, period, rows) of every report; ``held`` ones (unit id, period) are skipped."""
        from nrs.web import demo_values

        for month in self.months:
            for unit in self.by_month[month.sdmx]:
                if (unit.pk, month.sdmx) not in held:
                    yield unit, month, demo_values.values_for(self.indicators, unit.code, self.scales[unit.pk], month)


def ndjson_line(unit: Any, month: Any, rows: list[Any]) -> bytes:
    values = [{"indicator": r.indicator, "value": r.value} for r in rows]
    return json.dumps({"regime": REGIME, "orgUnit": unit.code, "period": month.sdmx, "status": "approved",
                       "dataValues": values}, separators=(",", ":")).encode()


def values_count() -> int:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM collection_datavalue")
        return int(cursor.fetchone()[0])


def bar() -> Progress:
    return Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                    console=console)


# ---------------------------------------------------------------- 1. ingest

def ingest_api(base: str, token: str, source: Iterator[Any], wanted: int) -> tuple[list[Result], list[tuple]]:
    """POST the first ``wanted`` values through the bulk API, the requests built
    beforehand and sent back to back; then wait until the background worker has
    brought them into the aggregates. Returns the rows sent (for COPY)."""
    client = common.Client(base, token)
    bodies, sent = build_requests(source, wanted)
    per_request: list[float] = []
    with bar() as progress:
        task = progress.add_task("bulk API (HTTP)", total=len(sent))
        started = time.perf_counter()
        for n, (body, count) in enumerate(bodies):
            status, answer, ms = client.request("/api/dataValueSets/bulk", body,
                                                {"Content-Type": "application/x-ndjson",
                                                 "Idempotency-Key": f"bench-{n}"})
            if status != 200:
                sys.exit(f"bulk API: HTTP {status}: {answer[:600]!r}")
            per_request.append(ms)
            progress.advance(task, count)
        seconds = time.perf_counter() - started
        drained = wait_for_aggregates(client, progress)
    whole = seconds + drained
    return [Result("Ingest", f"bulk API: {len(sent):,} values in {len(bodies)} requests",
                   value=f"{seconds:.1f} s", note=f"{len(sent) / seconds:,.0f} values/s; per request median "
                   f"{statistics.median(per_request) / 1000:.1f} s; stored with validation, versions, "
                   "transitions and audit, aggregates queued"),
            Result("Ingest", "bulk API → every figure includes the import (the worker drained the queue)",
                   value=f"{whole:.1f} s", note=f"{len(sent) / whole:,.0f} values/s end to end; the queue "
                   f"drained {drained:.1f} s after the last response")], sent


def build_requests(source: Iterator[Any], wanted: int) -> tuple[list[tuple[bytes, int]], list[tuple]]:
    """NDJSON bodies of up to API_BATCH values (and their value counts) for the first
    ``wanted`` values of ``source``; and the rows, for the COPY comparison."""
    bodies: list[tuple[bytes, int]] = []
    sent: list[tuple] = []
    lines: list[bytes] = []
    count = 0
    for unit, month, rows in source:
        if count + len(rows) > API_BATCH:
            bodies.append((b"\n".join(lines), count))
            lines, count = [], 0
        lines.append(ndjson_line(unit, month, rows))
        sent += [(unit.pk, month.sdmx, month.start, r.indicator, r.value) for r in rows]
        count += len(rows)
        if len(sent) >= wanted:
            break
    if lines:
        bodies.append((b"\n".join(lines), count))
    return bodies, sent


def wait_for_aggregates(client: common.Client, progress: Progress) -> float:
    """Seconds until /api/analytics reports no import pending (the worker, `nrs run_huey`
    started by `nrs serve`, applies the bulk imports' queued refreshes)."""
    task = progress.add_task("aggregates (background worker)", total=None)
    started = time.perf_counter()
    while True:
        meta = client.get_json("/api/analytics?indicator=RETAIL_SALES&orgUnit=CP&start=2026-01&end=2026-01")["meta"]
        if not meta.get("pendingImports"):
            progress.update(task, completed=1, total=1)
            return time.perf_counter() - started
        progress.update(task, description=f"aggregates (background worker): {meta['pendingImports']} imports queued")
        time.sleep(0.5)


def ingest_copy(rows: list[tuple], api_seconds: float) -> Result:
    """The same rows COPYed into a bare table (no validation, versions, audit or aggregates)."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE IF EXISTS bench_raw_values")
        cursor.execute("CREATE TABLE bench_raw_values (org_unit_id int, period varchar(16), period_start date, "
                       "indicator varchar(40), value numeric(24, 6))")
        started = time.perf_counter()
        with cursor.cursor.copy("COPY bench_raw_values FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
        seconds = time.perf_counter() - started
        cursor.execute("DROP TABLE bench_raw_values")
    return Result("Ingest", f"raw psycopg COPY of the same {len(rows):,} rows into a bare table",
                  value=f"{seconds:.2f} s", note=f"{len(rows) / seconds:,.0f} values/s; the API took "
                  f"{api_seconds / seconds:.1f}× as long")


def ingest_copy_indexed(rows: list[tuple], api_seconds: float) -> Result:
    """The same rows COPYed into the real value table, with its indexes and foreign keys
    checked (SET CONSTRAINTS ALL IMMEDIATE), then rolled back: what storing the rows costs
    the database itself, before any validation, versions, audit or aggregates."""
    from django.db import connection, transaction

    from nrs.collection.models import SubmissionVersion
    from nrs.registry.models import Indicator

    ids = dict(Indicator.objects.values_list("code", "id"))
    version = SubmissionVersion.objects.order_by("id").values_list("id", flat=True).first()
    now = datetime.now(UTC)
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_indexes WHERE tablename = 'collection_datavalue'")
        indexes = cursor.fetchone()[0]
        started = time.perf_counter()
        with cursor.cursor.copy("COPY collection_datavalue (version_id, indicator_id, org_unit_id, period, "
                                "period_start, breakdown, value, flag, comment, created_at) FROM STDIN") as copy:
            for unit, period, start, code, value in rows:
                copy.write_row((version, ids[code], unit, period, start, "", value, "", "", now))
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        seconds = time.perf_counter() - started
        transaction.set_rollback(True)
    return Result("Ingest", f"psycopg COPY of the same {len(rows):,} rows into the value table itself "
                  f"(its {indexes} indexes, 4 foreign keys checked; rolled back)", value=f"{seconds:.2f} s",
                  note=f"{len(rows) / seconds:,.0f} values/s; the API took {api_seconds / seconds:.1f}× as long")


def load_in_process(source: Iterator[Any], until: int, progress: Progress, task: Any) -> int:
    """The product's bulk path in process, until the database holds ``until`` values."""
    from django.utils import timezone

    from nrs.collection import bulk
    from nrs.registry.models import Regime
    from nrs.web.demo import _service_account

    regime, actor = Regime.objects.get(code=REGIME), _service_account()
    have = values_count()
    now = timezone.now()

    def reports() -> Iterator[Any]:
        nonlocal have
        for unit, month, rows in source:
            have += len(rows)
            yield bulk.Report(regime=regime, unit=unit, period=month, rows=rows, submitted_at=now, approved_at=now)
            if have >= until:
                return

    chunk: list[Any] = []
    for report in reports():
        chunk.append(report)
        if len(chunk) >= 10_000:  # one import (and one incremental refresh) per 10,000 reports
            _import(bulk, chunk, actor)
            progress.update(task, completed=have)
            chunk = []
    if chunk:
        _import(bulk, chunk, actor)
    progress.update(task, completed=have)
    return have


def ministry_reports(months: list[Any]) -> Iterator[Any]:
    """The ministries' national series: every ministry's sector report (the `*_NGANH_*`
    regimes), each of its periods that lies within ``months``, from each listed reporter in
    force at the period's end, approved, with plausible values (nrs.web.demo_values)."""
    from django.utils import timezone

    from nrs.collection import bulk
    from nrs.lib import periods
    from nrs.registry.models import Regime
    from nrs.web import demo_values

    now, first, last = timezone.now(), months[0].start, months[-1].end
    for regime in Regime.objects.filter(code__contains="_NGANH_", frequency__in=["M", "Q", "S", "Y"]).order_by("code"):
        indicators = list(regime.indicators.filter(formula="").select_related("unit").order_by("code"))
        kind = periods.Kind(regime.frequency)
        for unit in regime.reporters.order_by("code", "valid_from"):
            period = periods.Period.containing(kind, first)
            while period.end <= last:
                if period.start >= first and unit.is_valid_on(period.end):
                    rows = demo_values.values_for(indicators, unit.code, 1.0, period)
                    yield bulk.Report(regime=regime, unit=unit, period=period, rows=rows, submitted_at=now,
                                      approved_at=now)
                period = period.next()


def load_ministries(months: list[Any]) -> Result:
    """The ministries' series through the product's bulk path in process, like the communes'."""
    from nrs.collection import bulk
    from nrs.web.demo import _service_account

    reports = list(ministry_reports(months))
    started = time.perf_counter()
    for i in range(0, len(reports), 10_000):
        _import(bulk, reports[i:i + 10_000], _service_account())
    seconds = time.perf_counter() - started
    values = sum(len(r.rows) for r in reports)
    regimes = len({r.regime.code for r in reports})
    return Result("Setup", f"the ministries' national series: {regimes} sector reports (`*_NGANH_*`), "
                  f"{len(reports):,} reports", value=f"{values:,} values",
                  note=f"{seconds:.1f} s, bulk path in process")


def _import(bulk: Any, chunk: list[Any], actor: Any) -> None:
    result = bulk.import_reports(chunk, actor=actor, today=date.today())
    if result.issues:
        sys.exit(f"bulk import refused: {[str(i) for i in result.issues[:5]]}")


# ---------------------------------------------------------------- 2. analytics

@dataclass
class Probe:
    name: str
    api: str  # the analytics API path the dashboard uses
    store_sql: str  # what the aggregate store runs for it
    raw_sql: str  # a GROUP BY over the raw values giving the same figures
    params: dict[str, Any]


INDICATOR = "LAND_DISPUTES"  # a commune indicator without breakdowns; provinces report it too


def pick_indicator() -> tuple[str, int]:
    from nrs.registry.models import Indicator

    return INDICATOR, Indicator.objects.get(code=INDICATOR).pk


# The raw values as the engine reads them: the current, approved version of
# each report; per province, its own value where it reported one, else the sum
# of the values reported below it (communes); provinces found by the unit's
# materialised path ("/1/<province>/…"). Nationally, a central agency's own
# figure (a ministry's national series) stands, else the provinces' sum
# (nrs/analytics/rollup.py; the agency with the lowest id if several report).
RAW = """
WITH cur AS (
    SELECT split_part(u.path, '/', 3)::int AS province, u.level = 'province' AS own,
           u.level = 'agency' AS agency, u.id AS unit, dv.period, dv.period_start, dv.value
    FROM collection_datavalue dv
    JOIN collection_submissionversion v ON v.id = dv.version_id AND v.approved_at IS NOT NULL
    JOIN collection_submission s ON s.id = v.submission_id AND s.version = v.number
    JOIN registry_orgunit u ON u.id = dv.org_unit_id
    WHERE dv.indicator_id = %(indicator)s AND dv.breakdown = ''
      AND dv.period_start BETWEEN %(start)s AND %(end)s
      AND u.level IN ('agency', 'province', 'district', 'commune')
), per_province AS (
    SELECT province, period, period_start,
           coalesce(sum(value) FILTER (WHERE own), sum(value) FILTER (WHERE NOT own)) AS value
    FROM cur WHERE NOT agency GROUP BY province, period, period_start
), by_agency AS (
    SELECT DISTINCT ON (period) period, period_start, value FROM cur WHERE agency ORDER BY period, unit
), national AS (
    SELECT period, period_start, coalesce(a.value, p.value) AS value
    FROM (SELECT period, period_start, sum(value) AS value FROM per_province GROUP BY period, period_start) p
    FULL JOIN by_agency a USING (period, period_start)
)
"""


def probes(code: str, pk: int, months: list[Any]) -> list[Probe]:
    from nrs.lib import periods
    from nrs.registry.models import OrgUnit

    root = OrgUnit.objects.get(code="CP").pk
    first, last = months[0], months[-1]
    ytd, before = periods.Period.ytd(last.year, last.index), periods.Period.ytd(last.year - 1, last.index)
    api = f"/api/analytics?indicator={code}&orgUnit=CP"
    series = ("SELECT period, value FROM analytics_cell WHERE basis = 'A' AND indicator_id = %(indicator)s "
              "AND org_unit_id = %(root)s AND kind = 'M' AND period_start BETWEEN %(start)s AND %(end)s "
              "ORDER BY period_start")
    return [
        Probe(f"national series, {len(months)} months", f"{api}&start={first.sdmx}&end={last.sdmx}", series,
              RAW + "SELECT period, value FROM national ORDER BY period",
              {"indicator": pk, "root": root, "start": first.start, "end": last.start}),
        Probe(f"34-province map, {last.sdmx}", f"{api}&level=province&start={last.sdmx}&end={last.sdmx}",
              "SELECT o.code, c.value FROM analytics_cell c JOIN registry_orgunit o ON o.id = c.org_unit_id "
              "WHERE c.basis = 'A' AND c.indicator_id = %(indicator)s AND c.period = %(period)s "
              "AND o.level = 'province' AND o.valid_from <= %(end)s "
              "AND (o.valid_to IS NULL OR o.valid_to >= %(end)s) ORDER BY o.code",
              RAW + "SELECT province, value FROM per_province ORDER BY province",
              {"indicator": pk, "period": last.sdmx, "start": last.start, "end": last.end}),
        Probe(f"year to date {ytd.sdmx} and year on year", f"{api}&start={ytd.sdmx}&end={ytd.sdmx}&compare=yoy",
              "SELECT period, value FROM analytics_cell WHERE basis = 'A' AND indicator_id = %(indicator)s "
              "AND org_unit_id = %(root)s AND period IN (%(before)s, %(ytd)s) ORDER BY period",
              RAW + "SELECT extract(year FROM period_start)::int, sum(value) FROM national "
                    "WHERE period_start BETWEEN %(ytd_start)s AND %(ytd_end)s "
                    "OR period_start BETWEEN %(start)s AND %(before_end)s GROUP BY 1 ORDER BY 1",
              {"indicator": pk, "root": root, "ytd": ytd.sdmx, "before": before.sdmx, "start": before.start,
               "end": ytd.end, "ytd_start": ytd.start, "ytd_end": ytd.end, "before_end": before.end}),
    ]


def sql(query: str, params: dict[str, Any]) -> list[tuple]:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(query, params)
        return list(cursor.fetchall())


def same(store: list[tuple], raw: list[tuple]) -> bool:
    """The store's figures equal the raw GROUP BY's (compared by value, in order)."""
    return sorted(round(float(v), 3) for _k, v in store) == sorted(round(float(v), 3) for _k, v in raw)


def analyze() -> None:
    """Refresh the planner's statistics after a load, as autovacuum would."""
    from django.db import connection

    with connection.cursor() as cursor:
        for table in ("collection_datavalue", "collection_submissionversion", "collection_submission",
                      "analytics_cell"):
            cursor.execute(f"ANALYZE {table}")


def measure_analytics(client: common.Client, size: int, months: list[Any], runs: int) -> list[Result]:
    analyze()
    code, pk = pick_indicator()
    found = []
    for probe in probes(code, pk, months):
        http, answer = timed(lambda p=probe: client.get_json(p.api), runs)  # type: ignore[misc]
        store_ms, stored = timed(lambda p=probe: sql(p.store_sql, p.params), runs)
        raw_ms, raw = timed(lambda p=probe: sql(p.raw_sql, p.params), max(5, runs // 4), warmups=1)
        rows = len(answer.get("rows", []))
        agree = "same figures" if same(stored, raw) else "FIGURES DIFFER"
        label = f"{size / 1e6:.1f}M values · {probe.name} ({code})"
        ratio = statistics.median(raw_ms) / statistics.median(store_ms)
        found += [Result("Analytics", f"{label}: analytics API over HTTP", http, note=f"{rows} rows"),
                  Result("Analytics", f"{label}: aggregate store SQL", store_ms,
                         note=f"raw GROUP BY is {ratio:,.0f}× slower; {agree}"),
                  Result("Analytics", f"{label}: raw GROUP BY over the values", raw_ms,
                         note=f"{statistics.median(raw_ms) / statistics.median(http):.1f}× the API's median")]
    return found


# ---------------------------------------------------------------- 3-5. freshness, load, memory

def hold_back(gen: Generator, count: int) -> list[tuple[Any, Any, list[Any]]]:
    """``count`` commune reports of the last month, kept out of the load to be
    submitted and approved during the freshness measurement."""
    last = gen.months[-1]
    units = gen.by_month[last.sdmx]
    chosen = random.Random(7).sample(units, min(count, len(units)))
    from nrs.web import demo_values

    return [(u, last, demo_values.values_for(gen.indicators, u.code, gen.scales[u.pk], last)) for u in chosen]


def submit_held(held: list[tuple[Any, Any, list[Any]]]) -> None:
    from django.utils import timezone

    from nrs.collection import bulk
    from nrs.collection.models import State
    from nrs.registry.models import Regime
    from nrs.web.demo import _service_account

    regime, now = Regime.objects.get(code=REGIME), timezone.now()
    reports = [bulk.Report(regime=regime, unit=u, period=m, rows=rows, state=State.SUBMITTED, submitted_at=now)
               for u, m, rows in held]
    _import(bulk, reports, _service_account())


def wrk(base: str, path: str, cookie: str, clients: int, seconds: int) -> dict[str, Any]:
    """wrk on ``path`` with the leader's session; latency percentiles and errors."""
    script = Path(tempfile.mkdtemp()) / "report.lua"
    script.write_text(
        'done = function(summary, latency, requests)\n'
        '  io.write(string.format("JSON {\\"p50\\": %d, \\"p95\\": %d, \\"p99\\": %d, \\"requests\\": %d, '
        '\\"errors\\": %d, \\"non2xx\\": %d}\\n", latency:percentile(50), latency:percentile(95), '
        'latency:percentile(99), summary.requests, summary.errors.connect + summary.errors.read + '
        'summary.errors.write + summary.errors.timeout, summary.errors.status))\nend\n')
    out = subprocess.run(["wrk", f"-t{min(2, clients)}", f"-c{clients}", f"-d{seconds}s", "--timeout", "10s",
                          "-H", f"Cookie: {cookie}", "-s", str(script), base + path],
                         capture_output=True, text=True, check=True).stdout
    line = next(x for x in out.splitlines() if x.startswith("JSON "))
    found = json.loads(line[5:])
    found["rps"] = found["requests"] / seconds
    return found


def check_session(base: str, path: str, cookie: str) -> None:
    """wrk counts neither a redirect to the login page nor its 200 as an error: check
    first that the session really gets the page (HTTP 200, not a redirect)."""
    client = common.Client(base)
    status, _body, _ms = client.request(path, headers={"Cookie": cookie})
    if status != 200:
        sys.exit(f"the leader's session does not get {path} (HTTP {status}): wrk would measure the login redirect")


def measure_load(base: str, cookie: str, clients: int, seconds: int) -> list[Result]:
    found = []
    province_year = "/api/analytics?indicator=RETAIL_SALES&orgUnit=CP&level=province&start=2026-01&end=2026-10"
    for path in ("/dashboard/", province_year):
        check_session(base, path, cookie)
        got = wrk(base, path, cookie, clients, seconds)
        found.append(Result("HTTP load", f"{clients} concurrent clients, {seconds} s on `{path}` (wrk)",
                            value=f"p50 {got['p50'] / 1000:.0f} ms, p95 {got['p95'] / 1000:.0f} ms, "
                                  f"p99 {got['p99'] / 1000:.0f} ms",
                            note=f"{got['requests']:,} requests ({got['rps']:.0f}/s), {got['errors']} socket "
                                 f"errors, {got['non2xx']} non-2xx"))
    return found


def measure_freshness(base: str, token: str, cookie: str, period: str, code: str, clients: int,
                      units: list[str]) -> list[Result]:
    """Approve the held-back commune reports one by one while wrk loads the overview;
    time from the approve call to the commune's figure in /api/analytics (its
    province reports its own figure, which stands over its communes' sum)."""
    api = common.Client(base, token)
    waiting = [s for unit in units for s in api.get_json(
        f"/api/submissions?regime={REGIME}&period={period}&orgUnit={unit}")["submissions"] if s["state"] == "submitted"]
    if not waiting:
        sys.exit("freshness: none of the held-back reports is awaiting approval")
    load = threading.Thread(target=lambda: wrk(base, "/dashboard/", cookie, clients, 10 + 3 * len(waiting)),
                            daemon=True)
    load.start()
    time.sleep(2)
    approve_ms, visible_ms, missed = [], [], 0
    for report in waiting:
        query = f"/api/analytics?indicator={code}&orgUnit={report['orgUnit']}&start={period}&end={period}"
        before = api.get_json(query)["meta"].get("refreshId") or 0
        started = time.perf_counter()
        status, _body, ms = api.post_json(f"/api/submissions/{report['id']}/approve", {"comment": ""})
        if status != 200:
            sys.exit(f"approve {report['id']}: HTTP {status}")
        approve_ms.append(ms)
        while True:
            now = api.get_json(query)
            seen = (now["meta"].get("refreshId") or 0) > before and any(r.get("value") is not None
                                                                        for r in now["rows"])
            if seen or time.perf_counter() - started > 30:
                missed += not seen
                break
            time.sleep(0.01)
        visible_ms.append((time.perf_counter() - started) * 1000)
    load.join()
    note = f"while {clients} wrk clients browse /dashboard/" + (f"; {missed} NOT SEEN in 30 s" if missed else "")
    return [Result("Freshness", "approve call, POST /api/submissions/{id}/approve", approve_ms, note=note),
            Result("Freshness", f"approval → the commune's figure in /api/analytics ({code}, {period})",
                   visible_ms, note=note)]


def server_pids(root_pid: int) -> list[int]:
    found, todo = [], [root_pid]
    while todo:
        pid = todo.pop()
        found.append(pid)
        for entry in Path("/proc").iterdir():
            if entry.name.isdigit():
                try:
                    stat = (entry / "stat").read_text().rsplit(")", 1)[1].split()
                except OSError:
                    continue
                if int(stat[1]) == pid:
                    todo.append(int(entry.name))
    return found


def peak_rss(root_pid: int) -> list[Result]:
    found = []
    for pid in server_pids(root_pid):
        try:
            status = Path(f"/proc/{pid}/status").read_text()
            cmd = Path(f"/proc/{pid}/cmdline").read_text().replace("\0", " ").strip()
        except OSError:
            continue
        fields = dict(line.split(":", 1) for line in status.splitlines() if ":" in line)
        hwm = int(fields.get("VmHWM", "0 kB").split()[0]) / 1024
        found.append(Result("Memory", f"peak RSS (VmHWM) of pid {pid}: `{cmd[-70:]}`", value=f"{hwm:.0f} MB"))
    return found


# ---------------------------------------------------------------- the run

def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database-url", default="postgres://postgres@127.0.0.1:5432/nrs_bench_national")
    parser.add_argument("--months", type=int, default=MONTHS, help="months of commune reports from --first-month")
    parser.add_argument("--first-month", default="", metavar="YYYY-MM",
                        help="the first month of commune reports (default 2020-01); a shorter run that ends in "
                             "the current communes' months measures freshness on today's units")
    parser.add_argument("--api-values", type=int, default=1_000_000)
    parser.add_argument("--checkpoints", default="1000000,3000000,10000000",
                        help="total values at which analytics are measured (the last: everything)")
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--seconds", type=int, default=30)
    parser.add_argument("--approvals", type=int, default=20)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--keep", action="store_true")
    parser.add_argument("--reuse", metavar="NRS_VAR_DIR",
                        help="measure again on a database kept by --keep (with its NRS_VAR_DIR): analytics, "
                             "freshness, HTTP load and memory, no loading")
    parser.add_argument("--results", type=Path, default=RESULTS)
    return parser.parse_args()


def phase(section: str, run: Callable[[], list[Result]]) -> list[Result]:
    """A measurement that fails is reported as such; the run goes on."""
    try:
        return run()
    except (Exception, SystemExit) as exc:  # a benchmark reports a failure, it does not stop
        console.print_exception()
        return [Result(section, "FAILED", value=type(exc).__name__, note=str(exc)[:200])]


def write_results(about: dict[str, str], results: list[Result], path: Path = RESULTS) -> str:
    lines = ["# National-scale benchmark results", "", "Written by `benchmarks/national.py`; read with "
             "docs/benchmarks.md.", ""]
    lines += [f"- {k}: {v}" for k, v in about.items()]
    lines += ["", "| Part | Measurement | n | median ms (or figure) | p95 ms | note |", "|---|---|---:|---:|---:|---|"]
    lines += ["| " + " | ".join(r.cells()) + " |" for r in results]
    text = "\n".join(lines) + "\n"
    path.write_text(text, encoding="utf-8")
    return text


def serve_and_measure(env: dict[str, str], args: argparse.Namespace, token: str, gen: Generator,
                      held: list[Any], about: dict[str, str], results: list[Result]) -> None:
    """The measurements after loading: analytics at this size, freshness, HTTP load, memory."""
    with common.served(env, workers=args.workers) as (base, pid):
        leader = common.login(base)
        results += phase("Analytics", lambda: measure_analytics(leader, values_count(), gen.months[-72:], args.runs))
        write_results(about, results, args.results)
        submit_held(held)
        code, _pk = pick_indicator()
        results += phase("Freshness", lambda: measure_freshness(
            base, token, leader.cookie_header(), gen.months[-1].sdmx, code, args.clients,
            [u.code for u, _m, _r in held]))
        write_results(about, results, args.results)
        results += phase("HTTP load", lambda: measure_load(base, leader.cookie_header(), args.clients, args.seconds))
        results += peak_rss(pid)


def reuse(args: argparse.Namespace) -> None:
    url = common.bench_url(args.database_url)
    env = {**os.environ, "NRS_VAR_DIR": args.reuse, "NRS_DEMO": "1", "NRS_LOG_LEVEL": "WARNING",
           "NRS_DATABASE_URL": url, **UNLIMITED}
    about = {**common.machine(url), "mode": f"--reuse: measured again on the kept database ({url})"}
    results: list[Result] = []
    token = common.issue_token(env)
    setup_django(env)
    from nrs.collection.models import Submission

    gen = Generator(args.months, args.first_month)
    taken = set(Submission.objects.filter(period=gen.months[-1].sdmx).values_list("org_unit_id", flat=True))
    held = [h for h in hold_back(gen, args.approvals + len(taken) + 50) if h[0].pk not in taken][:args.approvals]
    serve_and_measure(env, args, token, gen, held, about, results)
    about["values in the database"] = f"{values_count():,}"
    about["server"] = f"`nrs serve --workers {args.workers}` (uvicorn)"
    print(write_results(about, results, args.results))


def main() -> None:
    args = parse_args()
    if args.reuse:
        reuse(args)
        return
    if subprocess.run(["sh", "-c", "command -v wrk"], capture_output=True).returncode:
        sys.exit("wrk is not installed (Debian: apt-get install -y wrk; `make bench` installs it)")
    url = common.bench_url(args.database_url)
    checkpoints = [int(float(x)) for x in args.checkpoints.split(",")]
    results: list[Result] = []
    about = common.machine(url)
    started = time.perf_counter()
    with common.fresh_database(url, keep=args.keep) as env:
        env.update(UNLIMITED)
        timings = common.prepare(env)
        results.append(Result("Setup", "`nrs init` + `nrs demo` (provinces, logins)",
                              value=f"{timings['init'] + timings['demo']:.0f} s"))
        token = common.issue_token(env)
        setup_django(env)
        gen = Generator(args.months, args.first_month)
        with console.status("the ministries' national series"):
            results.append(load_ministries(gen.months))
        held = hold_back(gen, args.approvals)
        source = gen.reports(held={(u.pk, m.sdmx) for u, m, _r in held})
        console.log(f"commune reports to load: {gen.total():,} values ({len(gen.months)} months)")
        with common.served(env, workers=args.workers) as (base, pid):
            api_results, sent = ingest_api(base, token, source, args.api_values)
            results += api_results
            api_seconds = float(api_results[0].value.split()[0])
            results.append(ingest_copy(sent, api_seconds))
            results.append(ingest_copy_indexed(sent, api_seconds))
            del sent
            with bar() as progress:
                task = progress.add_task("bulk path (in process)", total=max(checkpoints[-1], gen.total()))
                for target in checkpoints:
                    size = load_in_process(source, target, progress, task)
                    progress.stop()
                    leader = common.login(base)  # a fresh session: loading outlasts its inactivity timeout
                    results += phase("Analytics", lambda s=size, c=leader: measure_analytics(  # type: ignore[misc]
                        c, s, gen.months[-72:], args.runs))
                    progress.start()
                    write_results(about, results, args.results)  # what is measured so far survives a later failure
            submit_held(held)
            leader = common.login(base)
            code, _pk = pick_indicator()
            results += phase("Freshness", lambda: measure_freshness(
                base, token, leader.cookie_header(), gen.months[-1].sdmx, code, args.clients,
                [u.code for u, _m, _r in held]))
            write_results(about, results, args.results)
            results += phase("HTTP load", lambda: measure_load(base, leader.cookie_header(), args.clients,
                                                                args.seconds))
            results += peak_rss(pid)
        about["values in the database"] = f"{values_count():,}"
        about["run took"] = f"{(time.perf_counter() - started) / 60:.0f} min"
        about["server"] = f"`nrs serve --workers {args.workers}` (uvicorn)"
    print(write_results(about, results, args.results))


if __name__ == "__main__":
    main()
