"""Dashboard benchmark: page latency and approval-to-visibility on the demo data.

    python benchmarks/dashboard.py [--database-url URL] [--runs N] [--approvals N]

Prepares a fresh database (`nrs init`, `nrs demo`), starts the real server
(`nrs serve`, uvicorn), signs in as the demo leader and measures, over loopback:

- the dashboard pages and two analytics API queries (median and p95 of N
  sequential GETs after 3 warm-ups, and the page size);
- approval to visibility: POST /api/submissions/{id}/approve, then GET
  /api/analytics until the national figure carries the approval; and, when
  /dashboard/events/ exists, until its SSE stream announces it.

SQLite in a temporary folder by default; with --database-url (PostgreSQL) the
database named in the URL (nrs_bench unless given; its name must start with
nrs_bench) is created fresh and dropped afterwards. Results go to stdout and to
benchmarks/results-<db>.md. See docs/benchmarks.md. A benchmark, not a test:
nothing here fails on a slow figure.
"""

from __future__ import annotations

import argparse
import contextlib
import http.client
import http.cookiejar
import json
import math
import os
import platform
import queue
import re
import shutil
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

ROOT = Path(__file__).resolve().parent.parent
NRS = ROOT / ".venv" / "bin" / "nrs"
LEADER, PASSWORD = "lanhdao", "nrs-demo-2026"
SERVICE = "nrs.demo"  # the demo's loader: system and approver on the whole country
REGIME, INDICATOR = "PROV_KTXH_M", "RETAIL_SALES"
WARMUPS = 3
VISIBLE_TIMEOUT = 30.0
SSE_TIMEOUT = 15.0
PDF = b"%PDF-1.4\n% NRS benchmark: text report placeholder\n%%EOF\n"
console = Console(stderr=True)


# ---------------------------------------------------------------- statistics

def percentile(samples: list[float], pct: float) -> float:
    """Nearest-rank percentile."""
    ordered = sorted(samples)
    return ordered[max(0, math.ceil(pct / 100 * len(ordered)) - 1)]


@dataclass
class Row:
    name: str
    samples: list[float] = field(default_factory=list)
    size: int | None = None
    note: str = ""

    def cells(self) -> list[str]:
        if not self.samples:
            return [self.name, "0", "–", "–", "–", self.note]
        size = f"{self.size / 1024:.1f} KiB" if self.size is not None else "–"
        p95 = f"{percentile(self.samples, 95):.1f}" if len(self.samples) >= 20 else f"{max(self.samples):.1f} (max)"
        return [self.name, str(len(self.samples)), f"{statistics.median(self.samples):.1f}", p95, size, self.note]


# ---------------------------------------------------------------- database and commands

def bench_url(database_url: str) -> str:
    parts = urllib.parse.urlsplit(database_url)
    name = parts.path.lstrip("/") or "nrs_bench"
    if not name.startswith("nrs_bench"):
        sys.exit(f"the benchmark drops its database afterwards; name it nrs_bench…, not '{name}'")
    return urllib.parse.urlunsplit(parts._replace(path=f"/{name}"))


def admin_url(url: str) -> str:
    return urllib.parse.urlunsplit(urllib.parse.urlsplit(url)._replace(path="/postgres"))


def pg_execute(url: str, sql: str) -> Any:
    """Run one statement outside a transaction; the first column of its first row, if any."""
    import psycopg

    with psycopg.connect(url, autocommit=True) as conn:
        cursor = conn.execute(sql)
        row = cursor.fetchone() if cursor.description else None
        return row[0] if row else None


@contextlib.contextmanager
def fresh_database(database_url: str | None, keep: bool = False) -> Iterator[dict[str, str]]:
    """The environment for every `nrs` command: a temporary NRS_VAR_DIR and,
    for PostgreSQL, a database created here and dropped afterwards (both kept
    with ``keep``, to look into a figure)."""
    var_dir = tempfile.mkdtemp(prefix="nrs-bench-")
    env = {**os.environ, "NRS_VAR_DIR": var_dir, "NRS_DEMO": "1", "NRS_LOG_LEVEL": "WARNING"}
    env.pop("NRS_DATABASE_URL", None)
    name = urllib.parse.urlsplit(database_url).path.lstrip("/") if database_url else ""
    if database_url:
        pg_execute(admin_url(database_url), f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        pg_execute(admin_url(database_url), f'CREATE DATABASE "{name}"')
        env["NRS_DATABASE_URL"] = database_url
    try:
        yield env
    finally:
        if keep:
            console.log(f"kept: NRS_VAR_DIR={var_dir}" + (f" NRS_DATABASE_URL={database_url}" if name else ""))
        else:
            if database_url:
                pg_execute(admin_url(database_url), f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            shutil.rmtree(var_dir, ignore_errors=True)


def run_nrs(args: list[str], env: dict[str, str], log: Path) -> tuple[str, float]:
    """Run `nrs ARGS`; its output goes to ``log``. Returns (stdout, seconds)."""
    started = time.perf_counter()
    done = subprocess.run([str(NRS), *args], env=env, capture_output=True, text=True, cwd=ROOT)
    seconds = time.perf_counter() - started
    log.write_text(done.stdout + done.stderr, encoding="utf-8")
    if done.returncode != 0:
        console.print(done.stdout[-2000:], done.stderr[-2000:])
        sys.exit(f"`nrs {' '.join(args)}` failed (exit {done.returncode}); log: {log}")
    return done.stdout, seconds


def prepare(env: dict[str, str]) -> dict[str, float]:
    log_dir = Path(env["NRS_VAR_DIR"])
    timings = {}
    for step in ("init", "demo"):
        with console.status(f"nrs {step}" + (" (about 2 minutes: 4,700 reports, full aggregate rebuild)"
                                               if step == "demo" else "")):
            _out, timings[step] = run_nrs([step], env, log_dir / f"{step}.log")
        console.log(f"nrs {step}: {timings[step]:.1f} s")
    return timings


def issue_token(env: dict[str, str]) -> str:
    out, _seconds = run_nrs(["token", "issue", SERVICE, "--unit", "CP", "--scope", "write", "--name", "bench"],
                            env, Path(env["NRS_VAR_DIR"]) / "token.log")
    return out.strip().splitlines()[-1]


# ---------------------------------------------------------------- the server

def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextlib.contextmanager
def server(env: dict[str, str]) -> Iterator[str]:
    with served(env) as (base, _pid):
        yield base


@contextlib.contextmanager
def served(env: dict[str, str], workers: int = 1) -> Iterator[tuple[str, int]]:
    """`nrs serve` on a free port: (base URL, the server's pid)."""
    port = free_port()
    log = Path(env["NRS_VAR_DIR"]) / "serve.log"
    with log.open("wb") as out:
        proc = subprocess.Popen([str(NRS), "serve", "--host", "127.0.0.1", "--port", str(port),
                                 "--workers", str(workers)],
                                env=env, stdout=out, stderr=subprocess.STDOUT, cwd=ROOT)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_healthy(base, proc, log)
        yield base, proc.pid
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def wait_healthy(base: str, proc: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            sys.exit(f"nrs serve exited ({proc.returncode}):\n{log.read_text(errors='replace')[-2000:]}")
        with contextlib.suppress(OSError), urllib.request.urlopen(f"{base}/health/", timeout=1) as response:
            if response.status == 200:
                return
        time.sleep(0.2)
    sys.exit("nrs serve did not answer /health/ within 60 s")


# ---------------------------------------------------------------- HTTP clients

class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


class Client:
    """urllib with a cookie jar (browser session) or a Bearer token. Does not
    follow redirects, so a page that sends the leader to the login form shows."""

    def __init__(self, base: str, token: str = "") -> None:
        self.base, self.token = base, token
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar), NoRedirect)

    def request(self, path: str, data: bytes | None = None, headers: dict[str, str] | None = None,
                method: str | None = None) -> tuple[int, bytes, float]:
        """(status, body, milliseconds from sending to the last byte)."""
        headers = dict(headers or {})
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        req = urllib.request.Request(self.base + path, data=data, headers=headers, method=method)
        started = time.perf_counter()
        try:
            with self.opener.open(req, timeout=120) as response:
                body, status = response.read(), response.status
        except urllib.error.HTTPError as exc:
            body, status = exc.read(), exc.code
        return status, body, (time.perf_counter() - started) * 1000

    def get_json(self, path: str) -> dict[str, Any]:
        status, body, _ms = self.request(path)
        if status != 200:
            raise RuntimeError(f"GET {path}: {status} {body[:300]!r}")
        return json.loads(body)

    def post_json(self, path: str, payload: dict[str, Any]) -> tuple[int, dict[str, Any], float]:
        status, body, ms = self.request(path, json.dumps(payload).encode(), {"Content-Type": "application/json"})
        return status, json.loads(body or b"{}"), ms

    def post_file(self, path: str, name: str, content: bytes) -> tuple[int, bytes]:
        boundary = uuid.uuid4().hex
        body = (f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="{name}"\r\n'
                f"Content-Type: application/pdf\r\n\r\n").encode() + content + f"\r\n--{boundary}--\r\n".encode()
        status, answer, _ms = self.request(path, body, {"Content-Type": f"multipart/form-data; boundary={boundary}"})
        return status, answer

    def cookie_header(self) -> str:
        return "; ".join(f"{c.name}={c.value}" for c in self.jar)


def login(base: str) -> Client:
    client = Client(base)
    _status, form, _ms = client.request("/accounts/login/")
    found = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', form)
    if found is None:
        sys.exit("no CSRF token on the login form")
    fields = {"csrfmiddlewaretoken": found.group(1).decode(), "username": LEADER, "password": PASSWORD, "next": "/"}
    status, _body, _ms = client.request("/accounts/login/", urllib.parse.urlencode(fields).encode(),
                                        {"Content-Type": "application/x-www-form-urlencoded",
                                         "Referer": f"{base}/accounts/login/"})
    if status != 302 or "sessionid" not in client.cookie_header():
        sys.exit(f"signing in as {LEADER} failed (HTTP {status})")
    return client


# ---------------------------------------------------------------- page latency

def recent_periods(today: date, count: int) -> list[str]:
    """This month and the ``count - 1`` before it, newest first, as YYYY-MM."""
    index = today.year * 12 + today.month - 1
    return [f"{(index - k) // 12}-{(index - k) % 12 + 1:02d}" for k in range(count)]


def page_targets(today: date) -> list[tuple[str, str]]:
    months = recent_periods(today, 24)
    api = f"/api/analytics?indicator={INDICATOR}&orgUnit=CP"
    return [
        ("Dashboard: national overview `/dashboard/`", "/dashboard/"),
        (f"Dashboard: indicator page, monthly (`{INDICATOR}`, unit=CP, view=M)",
         f"/dashboard/indicator/{INDICATOR}/?unit=CP&view=M"),
        (f"Dashboard: indicator page, year to date (`{INDICATOR}`, unit=CP, view=YTD)",
         f"/dashboard/indicator/{INDICATOR}/?unit=CP&view=YTD"),
        ("API: national series, 24 months", f"{api}&start={months[-1]}&end={months[0]}"),
        ("API: 34 provinces × 12 months, with yoy", f"{api}&level=province&start={months[11]}&end={months[0]}"
                                                    "&compare=yoy"),
    ]


def measure_page(client: Client, name: str, path: str, runs: int, progress: Progress) -> Row:
    status, body, _ms = client.request(path)
    if status == 404:
        console.log(f"[yellow]skipped: {path} answers 404 (not there yet)")
        return Row(name, note=f"skipped: `{path.split('?')[0]}` answered 404")
    if status != 200:
        console.log(f"[red]skipped: {path} answers {status}")
        return Row(name, note=f"skipped: HTTP {status}")
    for _ in range(WARMUPS - 1):
        client.request(path)
    row = Row(name, size=len(body))
    task = progress.add_task(name[:60], total=runs)
    for _ in range(runs):
        status, body, ms = client.request(path)
        if status != 200:
            row.note = f"HTTP {status} during the runs"
            break
        row.samples.append(ms)
        progress.advance(task)
    return row


def measure_pages(client: Client, runs: int, today: date) -> list[Row]:
    with bar() as progress:
        return [measure_page(client, name, path, runs, progress) for name, path in page_targets(today)]


def bar() -> Progress:
    return Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                    console=console)


# ---------------------------------------------------------------- SSE

class EventStream(threading.Thread):
    """Reads /dashboard/events/ with the leader's session and queues (arrival
    time, refresh id) for each `event: refresh`; reconnects when the server
    ends the stream (it does every few minutes)."""

    def __init__(self, base: str, cookies: str) -> None:
        super().__init__(daemon=True)
        self.base, self.cookies = urllib.parse.urlsplit(base), cookies
        self.conn: http.client.HTTPConnection | None = None
        self.status, self.last = 0, 0
        self.ready, self.closing = threading.Event(), threading.Event()
        self.events: queue.Queue[tuple[float, int]] = queue.Queue()

    def run(self) -> None:
        while not self.closing.is_set():
            try:
                if not self._read():
                    break
            except (OSError, http.client.HTTPException):
                time.sleep(0.1)
            finally:
                self.ready.set()

    def _read(self) -> bool:
        """One connection; False when the endpoint refuses (not 200)."""
        self.conn = http.client.HTTPConnection(self.base.hostname or "127.0.0.1", self.base.port, timeout=None)
        self.conn.request("GET", f"/dashboard/events/?since={self.last}",
                          headers={"Cookie": self.cookies, "Accept": "text/event-stream"})
        response = self.conn.getresponse()
        self.status = response.status
        self.ready.set()
        if response.status != 200:
            return False
        event = b""
        while line := response.fp.readline():
            if line.startswith(b"event:"):
                event = line.split(b":", 1)[1].strip()
            elif line.startswith(b"data:") and event == b"refresh":
                self.last = int(json.loads(line[5:])["id"])
                self.events.put((time.perf_counter(), self.last))
        return True

    def next_after(self, refresh_id: int) -> float | None:
        """Arrival time of the first event announcing a refresh newer than ``refresh_id``."""
        deadline = time.perf_counter() + SSE_TIMEOUT
        while (left := deadline - time.perf_counter()) > 0:
            try:
                at, found = self.events.get(timeout=left)
            except queue.Empty:
                return None
            if found > refresh_id:
                return at
        return None

    def close(self) -> None:
        self.closing.set()
        if self.conn is not None:
            with contextlib.suppress(OSError):
                if self.conn.sock is not None:
                    self.conn.sock.shutdown(socket.SHUT_RDWR)
            self.conn.close()


def open_stream(base: str, leader: Client) -> EventStream | None:
    stream = EventStream(base, leader.cookie_header())
    stream.start()
    if not stream.ready.wait(10) or stream.status != 200:
        console.log(f"[yellow]skipped SSE: /dashboard/events/ answered {stream.status or 'nothing in 10 s'}")
        stream.close()
        return None
    return stream


# ---------------------------------------------------------------- approval to visibility

@dataclass
class Approvals:
    approve: dict[str, list[float]] = field(default_factory=dict)
    visible: dict[str, list[float]] = field(default_factory=dict)
    sse: dict[str, list[float]] = field(default_factory=dict)
    failures: list[str] = field(default_factory=list)


def national(api: Client, period: str) -> tuple[int, str | None]:
    """(refreshId, national value of the indicator) for one month."""
    answer = api.get_json(f"/api/analytics?indicator={INDICATOR}&orgUnit=CP&start={period}&end={period}")
    rows = [r for r in answer["rows"] if r["period"] == period]
    return int(answer["meta"]["refreshId"]), rows[0]["value"] if rows else None


def submissions(api: Client, period: str) -> list[dict[str, Any]]:
    return list(api.get_json(f"/api/submissions?regime={REGIME}&period={period}")["submissions"])


def approve_and_watch(api: Client, stream: EventStream | None, report: dict[str, Any], kind: str,
                      result: Approvals) -> None:
    before_id, before_value = national(api, report["period"])
    t0 = time.perf_counter()
    status, answer, approve_ms = api.post_json(f"/api/submissions/{report['id']}/approve", {"comment": ""})
    if status != 200:
        result.failures.append(f"approve {report['orgUnit']} {report['period']}: HTTP {status} {answer}")
        return
    result.approve.setdefault(kind, []).append(approve_ms)
    while time.perf_counter() - t0 < VISIBLE_TIMEOUT:
        refresh_id, value = national(api, report["period"])
        if refresh_id > before_id and value != before_value:
            result.visible.setdefault(kind, []).append((time.perf_counter() - t0) * 1000)
            break
        time.sleep(0.01)
    else:
        result.failures.append(f"{report['orgUnit']} {report['period']}: not visible after {VISIBLE_TIMEOUT:.0f} s")
    if stream is not None:
        at = stream.next_after(before_id)
        if at is None:
            result.failures.append(f"{report['orgUnit']} {report['period']}: no SSE event in {SSE_TIMEOUT:.0f} s")
        else:
            result.sse.setdefault(kind, []).append((at - t0) * 1000)


def prepare_revision(api: Client, report: dict[str, Any]) -> bool:
    """Approved report → revise → RETAIL_SALES +1 % → text report → submit."""
    where = f"regime={REGIME}&orgUnit={report['orgUnit']}&period={report['period']}"
    values = api.get_json(f"/api/dataValues?indicator={INDICATOR}&orgUnit={report['orgUnit']}"
                          f"&period={report['period']}")["dataValues"]
    if not values:
        return False
    old = Decimal(values[0]["value"])
    new = (old * Decimal("1.01")).quantize(Decimal("0.1"))
    new = new if new != old else old + Decimal("0.1")
    steps = [
        api.post_json(f"/api/submissions/{report['id']}/revise", {"comment": "benchmark revision"})[0],
        api.post_json("/api/dataValueSets", {"regime": REGIME, "orgUnit": report["orgUnit"],
                                             "period": report["period"],
                                             "dataValues": [{"indicator": INDICATOR, "value": str(new)}]})[0],
        api.post_file(f"/api/documents?{where}", "bao-cao.pdf", PDF)[0],
        api.post_json(f"/api/submissions/{report['id']}/submit", {"comment": ""})[0],
    ]
    return all(s == 200 for s in steps)


def measure_approvals(base: str, token: str, leader: Client, today: date, wanted: int) -> Approvals:
    api = Client(base, token)
    months = recent_periods(today, 4)
    listed = [s for p in months for s in submissions(api, p)]
    waiting = [s for s in listed if s["state"] == "submitted"]
    approved = [s for s in listed if s["state"] == "approved"]
    revisions = approved[:max(0, wanted - len(waiting))]
    result = Approvals()
    stream = open_stream(base, leader)
    try:
        with bar() as progress:
            task = progress.add_task("approvals", total=len(waiting) + len(revisions))
            for report in waiting:
                approve_and_watch(api, stream, report, "demo's submitted reports (approved first)", result)
                progress.advance(task)
            for report in revisions:
                if prepare_revision(api, report):
                    approve_and_watch(api, stream, report, "revised reports (1 value changed)", result)
                else:
                    result.failures.append(f"could not prepare a revision of {report['orgUnit']} {report['period']}")
                progress.advance(task)
    finally:
        if stream is not None:
            stream.close()
    if stream is None:
        result.failures.append("SSE skipped: /dashboard/events/ did not answer 200")
    return result


def approval_rows(result: Approvals) -> list[Row]:
    """Every approval together, then each kind of report on its own."""
    measures = [("Approve call, POST …/approve", result.approve),
                ("Approval → visible in /api/analytics", result.visible),
                ("Approval → SSE `event: refresh` on /dashboard/events/", result.sse)]
    rows = [Row(f"{name}: all", [x for xs in found.values() for x in xs]) for name, found in measures if found]
    for kind in result.approve:
        rows += [Row(f"{name}: {kind}", found[kind]) for name, found in measures if kind in found]
    return rows


# ---------------------------------------------------------------- machine and report

def cpu_model() -> str:
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    return platform.processor() or "unknown"


def ram_gib() -> str:
    with contextlib.suppress(OSError):
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                return f"{int(line.split()[1]) / 1024 / 1024:.1f} GiB"
    return "unknown"


def db_version(database_url: str | None) -> str:
    if database_url is None:
        return f"SQLite {sqlite3.sqlite_version} (WAL, file in a temporary folder)"
    return str(pg_execute(admin_url(database_url), "SELECT version()")).split(" on ")[0]


def git_commit() -> str:
    done = subprocess.run(["git", "describe", "--always", "--dirty"], cwd=ROOT, capture_output=True, text=True)
    return done.stdout.strip() or "unknown"


def machine(database_url: str | None) -> dict[str, str]:
    return {"CPU": cpu_model(), "Cores": str(os.cpu_count()), "RAM": ram_gib(),
            "OS": platform.platform(), "Python": platform.python_version(), "Database": db_version(database_url),
            "Load average (1, 5, 15 min) at start": " ".join(f"{x:.2f}" for x in os.getloadavg()),
            "NRS commit": git_commit(), "Date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")}


def markdown(title: str, about: dict[str, str], timings: dict[str, float], rows: list[Row],
             failures: list[str]) -> str:
    lines = [f"## {title}", "", "| Machine | |", "|---|---|", *[f"| {k} | {v} |" for k, v in about.items()], "",
             "| Step | Seconds |", "|---|---:|", *[f"| `nrs {k}` | {v:.1f} |" for k, v in timings.items()], "",
             "| Measurement | n | median ms | p95 ms | size | note |", "|---|---:|---:|---:|---:|---|",
             *["| " + " | ".join(row.cells()) + " |" for row in rows]]
    if failures:
        lines += ["", "Notes:", "", *[f"- {f}" for f in failures]]
    return "\n".join(lines) + "\n"


# ---------------------------------------------------------------- main

def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", help="PostgreSQL, e.g. postgres://postgres@127.0.0.1:5432/nrs_bench "
                                               "(created fresh and dropped afterwards); default: SQLite")
    parser.add_argument("--runs", type=int, default=30, help="timed GETs per page, after 3 warm-ups (default 30)")
    parser.add_argument("--approvals", type=int, default=20,
                        help="approvals to time: the demo's submitted reports, then revisions of approved "
                             "ones up to this number (default 20)")
    parser.add_argument("--keep", action="store_true", help="keep the database and NRS_VAR_DIR afterwards")
    return parser.parse_args()


def main() -> None:
    args = parse_args()
    if not NRS.exists():
        sys.exit(f"{NRS} is missing: run `make install` first")
    url = bench_url(args.database_url) if args.database_url else None
    db = "postgresql" if url else "sqlite"
    about = machine(url)
    about["Run"] = (f"{args.runs} timed GETs per page after {WARMUPS} warm-ups; up to {args.approvals} approvals; "
                    "`nrs serve` (1 uvicorn worker, default settings)")
    today = date.today()
    with fresh_database(url, args.keep) as env:
        timings = prepare(env)
        token = issue_token(env)
        with server(env) as base:
            leader = login(base)
            rows = measure_pages(leader, args.runs, today)
            approvals = measure_approvals(base, token, leader, today, args.approvals)
    rows += approval_rows(approvals)
    text = markdown(f"Dashboard benchmark on {db}", about, timings, rows, approvals.failures)
    print(text)
    out = ROOT / "benchmarks" / f"results-{db}.md"
    out.write_text(text, encoding="utf-8")
    console.log(f"written to {out.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
