"""Real NRS servers for tests that cross the network: a database of their own
(a fresh PostgreSQL database when the suite runs on PostgreSQL, else a SQLite
file), set up with the real CLI, served by the real `nrs serve` on 127.0.0.1.

`LiveNode` is shared by the live tests through the session fixture
`live_node` (tests/conftest.py); the nodes of a run start from one database after
`nrs init` (conftest's initialised_database) and share one STATIC_ROOT, so the registry
is loaded and the static files collected once per run. A test that
must kill or restart a server starts its own process on the same node with
`node.start()` / `node.kill()`.
"""

from __future__ import annotations

import atexit
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.utils.datastructures import CaseInsensitiveMapping

NRS = str(Path(sys.executable).parent / "nrs")
PG = os.environ.get("NRS_DATABASE_URL", "").startswith("postgres")
PASSWORD = "a-strong-pass-2026"
# One STATIC_ROOT for every node and demo a run starts: the first `nrs init` collects the static
# files (hashing and brotli, about a minute), the others find them current and skip it
# (nrs/web/storage.py, collect).
STATIC_ROOT = Path(tempfile.mkdtemp(prefix="nrs-static-"))
atexit.register(shutil.rmtree, STATIC_ROOT, True)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def fresh_database(tmp: Path, label: str) -> Iterator[str]:
    """A database URL of its own: PostgreSQL when the suite runs on it, else SQLite."""
    if not PG:
        yield f"sqlite:///{tmp / 'nrs.sqlite3'}"
        return
    with _postgres_database(label) as url:
        yield url


@contextmanager
def copy_of_database(source: str, tmp: Path, label: str) -> Iterator[str]:
    """A database of its own holding what ``source`` (a URL from fresh_database, with nobody
    connected to it) holds, e.g. a registry loaded once by `nrs init`: a file copy on SQLite,
    CREATE DATABASE … TEMPLATE on PostgreSQL. Dropped afterwards."""
    if not PG:
        target = tmp / "nrs.sqlite3"
        shutil.copyfile(source.removeprefix("sqlite:///"), target)
        yield f"sqlite:///{target}"
        return
    with _postgres_database(label, template=source.rsplit("/", 1)[1]) as url:
        yield url


@contextmanager
def _postgres_database(label: str, template: str = "") -> Iterator[str]:
    """A new database beside the suite's (a copy of ``template`` when given), dropped afterwards."""
    import psycopg

    base = os.environ["NRS_DATABASE_URL"]
    name = f"nrs_{label}_{uuid.uuid4().hex[:8]}"
    copy = f' TEMPLATE "{template}"' if template else ""
    with psycopg.connect(base, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"{copy}')
    try:
        yield base.rsplit("/", 1)[0] + f"/{name}"
    finally:
        with psycopg.connect(base, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@dataclass
class Response:
    status: int
    body: bytes
    headers: Mapping[str, str]  # case-insensitive, as HTTP header names are

    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class LiveNode:
    """One NRS installation: a database, a var dir, an environment, and the
    servers started on it."""

    database: str
    var_dir: Path
    env: dict[str, str] = field(default_factory=dict)
    tokens: dict[str, str] = field(default_factory=dict)
    processes: list[subprocess.Popen[bytes]] = field(default_factory=list)
    base: str = ""

    def __post_init__(self) -> None:
        env = {k: v for k, v in os.environ.items() if not k.startswith("NRS_")}
        env.pop("DJANGO_SETTINGS_MODULE", None)
        env.update({"NRS_DATABASE_URL": self.database, "NRS_VAR_DIR": str(self.var_dir),
                    "NRS_STATIC_ROOT": str(STATIC_ROOT)})
        self.env = env

    def nrs(self, *args: str, check: bool = True, timeout: int = 600) -> subprocess.CompletedProcess[str]:
        result = subprocess.run([NRS, *args], env=self.env, capture_output=True, text=True,
                                timeout=timeout, check=False)
        if check:
            assert result.returncode == 0, result.stdout + result.stderr
        return result

    def user(self, username: str, role: str, unit: str) -> None:
        self.nrs("createuser", username, "--password", PASSWORD, "--role", role, "--unit", unit)

    def token(self, username: str, unit: str, scope: str = "write") -> str:
        out = self.nrs("token", "issue", username, "--unit", unit, "--scope", scope).stdout
        secret = out.strip().splitlines()[-1]
        self.tokens[username] = secret
        return secret

    def start(self, *, workers: int = 1, port: int | None = None, worker: bool = False,
              env: dict[str, str] | None = None) -> str:
        """Start `nrs serve` and wait for /health/; returns its base URL. ``worker``: with
        its background worker (`nrs run_huey`, a child of the server). ``env``: variables
        added for this server only (e.g. NRS_REDIS_URL)."""
        port = port or free_port()
        args = [NRS, "serve", "--port", str(port), "--workers", str(workers)] + ([] if worker else ["--no-worker"])
        proc = subprocess.Popen(args, env={**self.env, **(env or {})}, stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL, start_new_session=True)
        self.processes.append(proc)
        base = f"http://127.0.0.1:{port}"
        # A cold first answer takes seconds on a loaded machine (the CI jobs side by side on 2
        # cores): each try waits 10 s, and the server has 3 minutes in all.
        deadline = time.monotonic() + 180
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"nrs serve exited with {proc.returncode}")
            try:
                with urllib.request.urlopen(f"{base}/health/", timeout=10):
                    break
            except OSError:
                if time.monotonic() > deadline:
                    raise RuntimeError("nrs serve did not answer /health/ in 3 minutes") from None
                time.sleep(0.2)
        self.base = self.base or base
        return base

    def kill(self, base: str) -> None:
        """kill -9 the server (and its uvicorn workers) serving ``base``."""
        port = base.rsplit(":", 1)[1]
        for proc in list(self.processes):
            if f"--port {port} " in " ".join(proc.args) + " ":  # type: ignore[arg-type]
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(timeout=10)
                self.processes.remove(proc)

    def stop(self) -> None:
        for proc in self.processes:
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGTERM)
                try:
                    proc.wait(timeout=15)
                except subprocess.TimeoutExpired:
                    os.killpg(proc.pid, signal.SIGKILL)
        self.processes.clear()

    def query(self, sql: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
        """Rows of one SQL statement run directly on the node's database (``%s``
        placeholders on both databases), bypassing the application."""
        if self.database.startswith("postgres"):
            import psycopg

            with psycopg.connect(self.database, autocommit=True) as conn:
                return list(conn.execute(sql, params).fetchall())  # type: ignore[arg-type]
        import sqlite3

        conn = sqlite3.connect(self.database.removeprefix("sqlite:///"), timeout=30)
        try:
            return list(conn.execute(sql.replace("%s", "?"), params).fetchall())
        finally:
            conn.close()

    def alive(self, base: str | None = None) -> bool:
        try:
            with urllib.request.urlopen(f"{base or self.base}/health/", timeout=5) as response:
                return response.status == 200
        except OSError:
            return False


def call(base: str, method: str, path: str, *, token: str = "", body: bytes | None = None,
         headers: dict[str, str] | None = None, timeout: float = 120) -> Response:
    """One HTTP request; an error status is returned, not raised."""
    sent = {"Content-Type": "application/json"} if body is not None else {}
    if token:
        sent["Authorization"] = f"Bearer {token}"
    sent.update(headers or {})
    request = urllib.request.Request(base + path, data=body, method=method, headers=sent)
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return Response(response.status, response.read(), CaseInsensitiveMapping(dict(response.headers)))
    except urllib.error.HTTPError as exc:
        return Response(exc.code, exc.read(), CaseInsensitiveMapping(dict(exc.headers)))
