"""End to end, as a newcomer: `nrs init` and `nrs demo` (twice each, to prove
they are idempotent), `nrs serve`, then a real Chromium signs in and browses.

The server runs on its own SQLite file, as `make demo` does."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import CHROMIUM

NRS = str(Path(sys.executable).parent / "nrs")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                 "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]


def _env(var_dir: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("NRS_")}
    env.update({"NRS_VAR_DIR": str(var_dir), "NRS_DEMO": "1", "DJANGO_SETTINGS_MODULE": ""})
    env.pop("DJANGO_SETTINGS_MODULE")
    return env


def _run(args: list[str], env: dict[str, str]) -> str:
    result = subprocess.run([NRS, *args], env=env, capture_output=True, text=True, timeout=600,
                            check=False)
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="module")
def demo_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    var_dir = tmp_path_factory.mktemp("demo-var")
    env = _env(var_dir)
    first = _run(["init"], env)
    assert "Registry loaded" in first
    second = _run(["init"], env)
    assert "Registry loaded: 0 changes" in second
    demo = _run(["demo"], env)
    assert "hanoi.baocao" in demo and "9 users" in demo
    reports = int(demo.split("Demo: ")[2].split(" reports")[0])
    # 11 unchanged provinces since 2020-01, 52 old ones until 2025-06, 23 merged since 2025-07.
    assert reports > 4500
    again = _run(["demo"], env)
    assert "Demo: 0 users and 0 targets added" in again and "Demo: 0 reports" in again
    created = _run(["createuser", "an.nguyen", "--password", "a-strong-pass-2026",
                    "--role", "reporter", "--unit", "01"], env)
    assert "created" in created
    assert "exists, unchanged" in _run(["createuser", "an.nguyen", "--role", "reporter",
                                        "--unit", "01"], env)
    port = _free_port()
    server = subprocess.Popen([NRS, "serve", "--port", str(port)], env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(100):
            try:
                with urllib.request.urlopen(f"{base}/health/", timeout=1) as response:
                    if response.status == 200:
                        break
            except OSError:
                time.sleep(0.2)
        else:
            pytest.fail("nrs serve did not come up")
        yield base
    finally:
        server.terminate()
        server.wait(timeout=10)


@pytest.fixture(scope="session")
def browser_type_launch_args() -> dict[str, object]:
    return {"executable_path": str(CHROMIUM), "args": CHROMIUM_ARGS}


def _sign_in(page, base: str, username: str = "hanoi.baocao") -> None:  # type: ignore[no-untyped-def]
    from nrs.web.demo import DEMO_PASSWORD

    page.goto(f"{base}/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", DEMO_PASSWORD)
    page.click("#sign-in")
    page.wait_for_url(f"{base}/registry/")


@pytest.mark.browser
def test_sign_in_and_see_the_registry_in_both_languages(demo_server: str, page) -> None:  # type: ignore[no-untyped-def]
    _sign_in(page, demo_server)
    assert page.inner_text("[data-stat=provinces]") == "34"
    assert page.inner_text("[data-stat=communes]") == "3321"
    assert "Danh mục" in page.content() or "tỉnh" in page.content()
    page.click("button[data-lang=en]")
    page.wait_for_selector("text=provinces and centrally-run cities")
    page.click("button[data-lang=vi]")
    page.wait_for_selector("text=tỉnh, thành phố trực thuộc trung ương")


@pytest.mark.browser
def test_search_the_catalogue_live(demo_server: str, page) -> None:  # type: ignore[no-untyped-def]
    _sign_in(page, demo_server)
    page.goto(f"{demo_server}/registry/indicators/")
    page.fill("#indicator-q", "CPI")
    page.wait_for_function("!document.querySelector('#indicator-rows').innerText.includes('GDP_CUR')")
    assert "CPI_MOM" in page.inner_text("#indicator-rows")
    assert "?q=CPI" in page.url


@pytest.mark.browser
def test_expand_the_unit_tree_before_the_reorganisation(demo_server: str, page) -> None:  # type: ignore[no-untyped-def]
    _sign_in(page, demo_server)
    page.goto(f"{demo_server}/registry/units/?on=2025-06-30")
    page.click("li[data-code=CP] > button.toggle")
    page.wait_for_selector("li[data-code='35']")  # old Hà Nam is there on 30/06/2025
    page.click("li[data-code='35'] > a")
    page.wait_for_selector("#successors")
    assert "Ninh Bình" in page.inner_text("#successors")
    page.screenshot(path=str(Path(os.environ.get("NRS_SCREENSHOTS", "/tmp")) / "nrs-unit.png"))


def test_init_rejects_bad_data_naming_file_and_row(tmp_path: Path) -> None:
    import shutil

    from nrs.registry.sources import DATA_DIR

    data = tmp_path / "data"
    shutil.copytree(DATA_DIR, data)
    lines = (data / "indicators.csv").read_text(encoding="utf-8").splitlines()
    lines.append(lines[1])  # a duplicate of the first indicator
    (data / "indicators.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    env = _env(tmp_path / "var")
    result = subprocess.run([NRS, "init", "--data", str(data)], env=env, capture_output=True,
                            text=True, timeout=600, check=False)
    assert result.returncode != 0
    assert f"indicators.csv, dòng/row {len(lines)}" in result.stderr
    assert "duplicate code" in result.stderr and "mã trùng" in result.stderr


def _sign_out(page, base: str) -> None:  # type: ignore[no-untyped-def]
    page.context.clear_cookies()


@pytest.mark.browser
def test_report_through_the_web_form_and_approve(demo_server: str, page) -> None:  # type: ignore[no-untyped-def]
    from django.utils import timezone

    from nrs.lib import periods
    from tests.test_collection_api import SPECIAL

    # The demo leaves Hà Nội's report for the current month empty, for a person to fill in.
    month = periods.Period.containing(periods.Kind.MONTH, timezone.localdate()).sdmx
    form = f"{demo_server}/report/PROV_KTXH_M/01/{month}/"
    _sign_in(page, demo_server)
    page.goto(form)
    inputs = page.locator("input[name^='v-']")
    for n in range(inputs.count()):
        box = inputs.nth(n)
        code = (box.get_attribute("name") or "")[2:]
        box.fill(SPECIAL.get(code, "100"))
        # Against the demo history these are unusual: the reporter explains each one.
        page.fill(f"input[name='c-{code}']", "Số liệu kiểm thử / test figures")
    page.fill("input[name='v-EXPORT_TOTAL']", "abc")
    page.click("#save")
    page.wait_for_selector("tr.has-error[data-code='EXPORT_TOTAL'] [data-issue='value_invalid']")
    page.fill("input[name='v-EXPORT_TOTAL']", "2500.5")
    page.click("#save")
    page.wait_for_selector("#message")
    from tests.test_collection_api import PDF

    page.set_input_files("input[name='document']", {"name": "bao-cao-thang-10.pdf",
                                                     "mimeType": "application/pdf", "buffer": PDF})
    page.click("#attach")
    page.wait_for_selector("#documents >> text=bao-cao-thang-10.pdf")
    page.click("#submit")
    page.wait_for_selector("[data-state='submitted']")
    page.screenshot(path=str(Path(os.environ.get("NRS_SCREENSHOTS", "/tmp")) / "nrs-form.png"),
                    full_page=False)
    _sign_out(page, demo_server)
    _sign_in(page, demo_server, "hanoi.duyet")
    page.goto(form)
    page.click("#approve")
    page.wait_for_selector("[data-state='approved']")
    assert "2500.5" in page.input_value("input[name='v-EXPORT_TOTAL']")
