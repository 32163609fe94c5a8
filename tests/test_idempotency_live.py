"""The same Idempotency-Key sent 10 times at once, over real HTTP, to a real
server with two worker processes, is stored exactly once.

The server gets a database of its own (a fresh PostgreSQL database when the
suite runs on PostgreSQL, else a SQLite file), set up with the real CLI."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from tests.test_demo_browser import _free_port

NRS = str(Path(sys.executable).parent / "nrs")
PG = os.environ.get("NRS_DATABASE_URL", "").startswith("postgres")


def _nrs(args: list[str], env: dict[str, str]) -> str:
    result = subprocess.run([NRS, *args], env=env, capture_output=True, text=True, timeout=600,
                            check=False)
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


@pytest.fixture(scope="module")
def database(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    if not PG:
        yield f"sqlite:///{tmp_path_factory.mktemp('idem') / 'nrs.sqlite3'}"
        return
    import psycopg

    base = os.environ["NRS_DATABASE_URL"]
    name = f"nrs_idem_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(base, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield base.rsplit("/", 1)[0] + f"/{name}"
    finally:
        with psycopg.connect(base, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="module")
def server(database: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str]]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("NRS_")}
    env.pop("DJANGO_SETTINGS_MODULE", None)
    env.update({"NRS_DATABASE_URL": database, "NRS_VAR_DIR": str(tmp_path_factory.mktemp("var"))})
    _nrs(["init"], env)
    _nrs(["createuser", "hn.system", "--password", "a-strong-pass-2026", "--role", "system",
          "--unit", "01"], env)
    secret = _nrs(["token", "issue", "hn.system", "--unit", "01", "--scope", "write"],
                  env).strip().splitlines()[-1]
    port = _free_port()
    proc = subprocess.Popen([NRS, "serve", "--port", str(port), "--workers", "2"], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(150):
            try:
                with urllib.request.urlopen(f"{base}/health/", timeout=1):
                    break
            except OSError:
                time.sleep(0.2)
        yield base, secret
    finally:
        proc.terminate()
        proc.wait(timeout=15)


def _call(base: str, secret: str, method: str, path: str, body: bytes | None = None,
          key: str = "") -> tuple[int, dict]:  # type: ignore[type-arg]
    headers = {"Authorization": f"Bearer {secret}", "Content-Type": "application/json"}
    if key:
        headers["Idempotency-Key"] = key
    request = urllib.request.Request(base + path, data=body, method=method, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read())


def test_same_key_ten_times_at_once_is_stored_once(server: tuple[str, str]) -> None:
    base, secret = server
    values = [{"indicator": code, "value": str(100 + n)}
              for n, code in enumerate(["EXPORT_TOTAL", "IMPORT_TOTAL", "RETAIL_SALES",
                                        "BUDGET_REVENUE", "ENT_NEW"])]
    body = json.dumps({"regime": "PROV_KTXH_M", "orgUnit": "01", "period": "2026-10",
                       "dataValues": values}).encode()
    with ThreadPoolExecutor(max_workers=10) as pool:
        answers = list(pool.map(lambda _: _call(base, secret, "POST", "/api/dataValueSets", body,
                                                key="batch-2026-10-01"), range(10)))
    assert [status for status, _ in answers] == [200] * 10, answers
    assert sorted(bool(a.get("replayed")) for _, a in answers) == [False] + [True] * 9
    assert {a["saved"] for _, a in answers} == {5}
    status, stored = _call(base, secret, "GET", "/api/dataValues?approved=false&orgUnit=01")
    assert status == 200
    assert len(stored["dataValues"]) == 5
