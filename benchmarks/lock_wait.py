"""Lock wait benchmark (issue 18, finding 13): does a sign-in or an approval wait
behind the aggregate worker?

    python benchmarks/lock_wait.py [--database-url URL] [--setup] [--signins N]
                                   [--units N] [--label TEXT]

PostgreSQL only (SQLite serialises every writer, so there is nothing to measure).
The database (default ``nrs_bench_lockwait``; its name must start with nrs_bench)
must hold `nrs init` and `nrs demo`; ``--setup`` creates it fresh and loads them.

What it does, in one process with one connection per thread:

1. **worker**: the queue worker (``pending.apply_all``) applies one queued job,
   the refresh of ``--units`` commune unit-periods of one month (an import's),
   a chunk of whole provinces (at most CHUNK_UNITS = 2,000 unit-periods) per
   transaction, each holding the aggregate-store lock (about 8 s per chunk on
   the 2-core test machine; 2.4 s where the red team measured).
2. **approval**: 0.2 s after the store lock is taken, a real ``approve_submission`` of a submitted demo
   report by an approver of the whole country; another connection watches when
   the approval is committed and when its figures are refreshed.
3. **sign-ins**: 0.4 s after the approval starts, ``--signins`` threads, started
   0.05 s apart, each a transaction writing one sign-in audit event
   (``audit.record(LOGIN)``), as the sign-in view does.

Prints the worker's time, the approval's times, the p50/max of the sign-ins'
durations and whether the worker and the approval committed, and appends them
to benchmarks/results-lock-wait.md. A benchmark, not a test: nothing here fails
on a slow figure.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
NRS = ROOT / ".venv" / "bin" / "nrs"
RESULTS = ROOT / "benchmarks" / "results-lock-wait.md"
DEFAULT_URL = "postgresql://postgres@127.0.0.1:5432/nrs_bench_lockwait"


def _setup(url: str) -> None:
    """A fresh database with `nrs init` and `nrs demo`."""
    import psycopg

    name = url.rsplit("/", 1)[1]
    if not name.startswith("nrs_bench"):
        sys.exit("the benchmark database's name must start with nrs_bench")
    with psycopg.connect(url.rsplit("/", 1)[0] + "/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
        conn.execute(f'CREATE DATABASE "{name}"')
    env = {**os.environ, "NRS_DATABASE_URL": url}
    for command in (["init"], ["demo"]):
        subprocess.run([str(NRS), *command], check=True, env=env)


def _django(url: str) -> None:
    os.environ["NRS_DATABASE_URL"] = url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "nrs.settings")
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()


def _approver() -> Any:
    from nrs.accounts import actions as account_actions
    from nrs.accounts.models import User
    from nrs.registry.models import OrgUnit

    user = User.objects.filter(username="bench.duyet").first()
    if user is None:
        user, _created = account_actions.create_user("bench.duyet", "bench-lock-wait-2026",
                                                     full_name="Benchmark approver", check_password=False)
    account_actions.grant_role(user, "approver", OrgUnit.objects.current().get(code="CP"))  # idempotent
    return user


def _scope(units: int) -> tuple[dict[str, tuple[set[str], set[int]]], Any]:
    """A worker chunk: ``units`` communes of one month, with the commune regime's indicators."""
    from nrs.collection.models import State, Submission
    from nrs.registry.models import OrgUnit, Regime

    regime = Regime.objects.get(code="XA_KTXH_M")
    period = "2026-03"
    codes = set(regime.indicators.values_list("code", flat=True))
    communes = set(OrgUnit.objects.filter(level="commune", valid_to__isnull=True).order_by("code")
                   .values_list("pk", flat=True)[:units])
    submitted = (Submission.objects.filter(state=State.SUBMITTED).select_related("regime", "org_unit")
                 .order_by("-period", "pk").first())
    if submitted is None:  # every demo report waiting for approval was approved by earlier runs:
        # put the newest approved one back (the benchmark's own database, no workflow step)
        submitted = (Submission.objects.filter(state=State.APPROVED, regime__code="PROV_KTXH_M")
                     .select_related("regime", "org_unit").order_by("-period", "pk").first())
        if submitted is None:
            sys.exit("no report in the demo to approve")
        Submission.objects.filter(pk=submitted.pk).update(state=State.SUBMITTED)
        submitted.state = State.SUBMITTED
    return {period: (codes, communes)}, submitted


def _run(args: argparse.Namespace) -> dict[str, Any]:
    from django.db import connection, transaction

    from nrs.analytics import pending
    from nrs.audit.events import EventType
    from nrs.audit.log import record
    from nrs.collection import actions

    approver = _approver()
    touched, submission = _scope(args.units)
    out: dict[str, Any] = {"signins": [], "report": str(submission),
                           "unit_periods": sum(len(u) for _c, u in touched.values())}

    def worker() -> None:
        """The queue worker (``pending.apply_all``) over one queued job: the import of
        ``--units`` commune unit-periods, a chunk of whole provinces per transaction."""
        from nrs.analytics.models import PendingRefresh, Refresh

        try:
            PendingRefresh.objects.create(
                reason="benchmark import", values=out["unit_periods"], submitted=[],
                touched={p: [sorted(c), sorted(u)] for p, (c, u) in touched.items()})
            after = Refresh.objects.order_by("-id").values_list("id", flat=True).first() or 0
            took = time.monotonic()
            pending.apply_all()
            out["worker_seconds"] = time.monotonic() - took
            out["chunks"] = Refresh.objects.filter(id__gt=after, reason="benchmark import").count()
            out["worker"] = "committed"
        except Exception as exc:  # a deadlock victim loses its whole chunk
            out["worker"] = f"rolled back: {type(exc).__name__}: {str(exc).splitlines()[0]}"
        finally:
            connection.close()

    def store_locked() -> bool:
        with connection.cursor() as cursor:
            cursor.execute("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND classid = 0 "
                           "AND objid = %s AND granted", [pending._LOCK_KEY])
            return bool(cursor.fetchone()[0])

    approving = threading.Event()

    def approve() -> None:
        started = time.monotonic()
        approving.set()
        try:
            actions.approve_submission(submission, actor=approver, comment="benchmark")
            out["approval_outcome"] = "committed"
        except Exception as exc:
            out["approval_outcome"] = f"rolled back: {type(exc).__name__}: {str(exc).splitlines()[0]}"
        finally:
            out["approval"] = time.monotonic() - started
            connection.close()

    def watch(started: threading.Event) -> None:
        """From another connection: when the approval is committed, and when its
        figures are (the Refresh row its refresh writes)."""
        from nrs.analytics.models import Refresh
        from nrs.collection.models import State, Submission

        try:
            after = Refresh.objects.order_by("-id").values_list("id", flat=True).first() or 0
            started.wait(30)
            begin = time.monotonic()
            while time.monotonic() - begin < 60 and "figures_visible" not in out:
                now = time.monotonic() - begin
                if "approval_visible" not in out and Submission.objects.filter(
                        pk=submission.pk, state=State.APPROVED).exists():
                    out["approval_visible"] = now
                if Refresh.objects.filter(id__gt=after, reason=f"approve {submission}").exists():
                    out["figures_visible"] = now
                time.sleep(0.01)
        finally:
            connection.close()

    def signin() -> None:
        try:
            started = time.monotonic()
            with transaction.atomic():
                record(EventType.LOGIN, actor=approver, summary="benchmark sign-in")
            out["signins"].append(time.monotonic() - started)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker)]
    threads[0].start()
    begin = time.monotonic()
    while not store_locked() and time.monotonic() - begin < 30:
        time.sleep(0.01)
    time.sleep(0.2)
    threads.append(threading.Thread(target=watch, args=(approving,)))
    threads[-1].start()
    threads.append(threading.Thread(target=approve))
    threads[-1].start()
    time.sleep(0.4)
    for _ in range(args.signins):
        threads.append(threading.Thread(target=signin))
        threads[-1].start()
        time.sleep(0.05)
    for thread in threads:
        thread.join()
    return out


def _report(args: argparse.Namespace, out: dict[str, Any]) -> str:
    waits = sorted(out["signins"])
    lines = [
        f"## {args.label or 'run'}: {datetime.now(UTC):%Y-%m-%d %H:%M} UTC",
        "",
        f"Command: `python benchmarks/lock_wait.py --signins {args.signins} --units {args.units}`",
        "",
        "| measure | seconds |",
        "|---|---|",
        f"| worker: {out['unit_periods']} unit-periods queued, applied in {out.get('chunks', '?')} chunks | "
        f"{out.get('worker_seconds', float('nan')):.3f} |",
        f"| approval of {out['report']} (started 0.2 s into the chunk): the call | "
        f"{out.get('approval', float('nan')):.3f} |",
        f"| approval: committed (seen by another connection) | {out.get('approval_visible', float('nan')):.3f} |",
        f"| approval: its figures refreshed (seen by another connection) | "
        f"{out.get('figures_visible', float('nan')):.3f} |",
        f"| sign-in audit event, p50 of {len(waits)} | {statistics.median(waits):.3f} |",
        f"| sign-in audit event, max | {max(waits):.3f} |",
        "",
        f"Worker chunk: {out.get('worker', '?')}. Approval: {out.get('approval_outcome', '?')}.",
        "",
    ]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database-url", default=DEFAULT_URL)
    parser.add_argument("--setup", action="store_true", help="create the database fresh: nrs init, nrs demo")
    parser.add_argument("--signins", type=int, default=20)
    parser.add_argument("--units", type=int, default=2000)
    parser.add_argument("--label", default="")
    args = parser.parse_args()
    if not args.database_url.startswith("postgres"):
        sys.exit("PostgreSQL only: SQLite serialises every writer")
    if args.setup:
        _setup(args.database_url)
    _django(args.database_url)
    text = _report(args, _run(args))
    print(text)
    with RESULTS.open("a", encoding="utf-8") as handle:
        handle.write(text + "\n")


if __name__ == "__main__":
    main()
