"""Web hardening: the production environment passes Django's deploy checks (and fails them
without HTTPS), every page carries the security headers and a strict Content-Security-Policy,
templates hold no inline script, and deeply nested JSON is a clear error."""

from __future__ import annotations

import json
import os
import re
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from django.test import Client

from nrs.lib import safejson

ROOT = Path(__file__).resolve().parent.parent
NRS = str(Path(sys.executable).parent / "nrs")


def _production_env(var_dir: Path) -> dict[str, str]:
    """deploy/production.env.example with its placeholders filled in."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("NRS_")}
    env.pop("DJANGO_SETTINGS_MODULE", None)
    for line in (ROOT / "deploy" / "production.env.example").read_text().splitlines():
        if line.strip() and not line.startswith("#"):
            name, _, value = line.partition("=")
            env[name.strip()] = value.strip()
    assert env["NRS_HTTPS"] == "1" and env["NRS_DEBUG"] == "0"
    env.update({"NRS_SECRET_KEY": secrets.token_urlsafe(64), "NRS_VAR_DIR": str(var_dir),
                "NRS_DATABASE_URL": f"sqlite:///{var_dir / 'nrs.sqlite3'}", "NRS_REDIS_URL": ""})
    return env


def _deploy_check(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run([NRS, "check", "--deploy", "--fail-level", "WARNING"], env=env,
                          capture_output=True, text=True, timeout=120, check=False)


def test_the_production_environment_passes_the_deploy_checks(tmp_path: Path) -> None:
    env = _production_env(tmp_path)
    passed = _deploy_check(env)
    assert passed.returncode == 0, passed.stdout + passed.stderr
    # Without HTTPS the same environment fails: no redirect, no HSTS.
    env.pop("NRS_HTTPS")
    failed = _deploy_check(env)
    assert failed.returncode != 0
    assert "security.W004" in failed.stderr and "security.W008" in failed.stderr


@pytest.mark.django_db
def test_pages_carry_the_security_headers() -> None:
    answer = Client().get("/accounts/login/")
    assert answer.status_code == 200
    policy = dict(part.strip().split(" ", 1) for part in answer["Content-Security-Policy"].split(";"))
    assert policy["default-src"] == "'self'" and policy["script-src"] == "'self'"
    assert policy["frame-ancestors"] == "'none'" and policy["object-src"] == "'none'"
    assert policy["base-uri"] == "'none'" and policy["form-action"] == "'self'"
    assert "unsafe" not in policy["script-src"] and "unsafe" not in policy["connect-src"]
    assert answer["X-Frame-Options"] == "DENY"
    assert answer["Referrer-Policy"] == "same-origin"
    assert answer["Cross-Origin-Opener-Policy"] == "same-origin"
    assert answer["X-Content-Type-Options"] == "nosniff"
    assert "camera=()" in answer["Permissions-Policy"]


def test_https_settings_follow_nrs_https(tmp_path: Path) -> None:
    env = _production_env(tmp_path)
    code = ("from django.conf import settings as s; import json; print(json.dumps([s.SECURE_SSL_REDIRECT, "
            "s.SECURE_HSTS_SECONDS, s.SECURE_HSTS_INCLUDE_SUBDOMAINS, s.SESSION_COOKIE_SECURE, "
            "s.CSRF_COOKIE_SECURE, s.SECURE_PROXY_SSL_HEADER]))")
    on = subprocess.run([NRS, "shell", "-c", code], env=env, capture_output=True, text=True, check=True)
    assert json.loads(on.stdout.strip().splitlines()[-1]) == [True, 31536000, True, True, True,
                                                               ["HTTP_X_FORWARDED_PROTO", "https"]]
    env.update({"NRS_HTTPS": "0", "NRS_SECURE_PROXY_HEADER": ""})
    off = subprocess.run([NRS, "shell", "-c", code], env=env, capture_output=True, text=True, check=True)
    assert json.loads(off.stdout.strip().splitlines()[-1])[:3] == [False, 0, False]


INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)(?![^>]*type=\"application/json\")[^>]*>", re.I)
INLINE_HANDLER = re.compile(r"""\s(?:on[a-z]+|hx-on[:\w-]*)\s*=\s*["']""", re.I)


def test_templates_hold_no_inline_script() -> None:
    found = []
    for path in (ROOT / "nrs").rglob("templates/**/*.html"):
        text = path.read_text(encoding="utf-8")
        if "/reports/" in str(path):  # rendered to PDF/DOCX, never served to a browser
            continue
        for pattern in (INLINE_SCRIPT, INLINE_HANDLER, re.compile(r"javascript:", re.I)):
            found += [f"{path.relative_to(ROOT)}: {m.group(0).strip()}" for m in pattern.finditer(text)]
    assert found == []
    # json_script output is data, not script: it is how figures reach dashboard.js.
    assert INLINE_SCRIPT.search('<script id="x" type="application/json">') is None
    assert INLINE_SCRIPT.search("<script>alert(1)</script>") is not None


def test_nesting_depth_is_checked_before_parsing() -> None:
    with pytest.raises(safejson.TooDeep) as refused:
        safejson.loads(b"[" * 100_000 + b"]" * 100_000)
    assert "64" in refused.value.vi and "nested too deeply" in refused.value.en
    assert safejson.loads("[" * 64 + "]" * 64) is not None
    with pytest.raises(safejson.TooDeep):
        safejson.loads("[" * 65 + "]" * 65)
    # Brackets inside strings (escaped quotes too) do not count.
    assert safejson.loads(json.dumps({"a": "[" * 1000 + '\\"' + "{" * 1000})) == {
        "a": "[" * 1000 + '\\"' + "{" * 1000}
    with pytest.raises(json.JSONDecodeError):
        safejson.loads(b"[1, 2")


@pytest.mark.django_db
def test_a_deeply_nested_body_is_a_bilingual_400_not_a_500(hanoi_reporter) -> None:  # type: ignore[no-untyped-def]
    from nrs.accounts import tokens
    from tests.conftest import current

    _t, secret = tokens.issue_token(hanoi_reporter, current("01"), name="t", scope="write")
    client = Client(HTTP_AUTHORIZATION=f"Bearer {secret}")
    deep = b"[" * 100_000 + b"]" * 100_000
    for url, body in (("/api/dataValueSets", deep), ("/api/submissions/1/submit", b'{"comment": ' + deep + b"}")):
        answer = client.post(url, body, content_type="application/json")
        assert answer.status_code == 400, (url, answer.content[:200])
        assert "nested too deeply" in answer.json()["message_en"] and answer.json()["message_vi"]
    broken = client.post("/api/submissions/1/submit", b'{"comment": ', content_type="application/json")
    assert broken.status_code == 400 and broken.json()["message_en"] == "malformed JSON"
