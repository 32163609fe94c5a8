"""Page weight and largest contentful paint of the leader's pages, in Chromium (issue 20, part 6).

    python benchmarks/page_weight.py --base http://127.0.0.1:8000 [--user lanhdao] [--runs 1]

Against a running demo server (`make demo`, or `nrs init && nrs demo && nrs serve`), signed in as
the demo leader. For the overview, the indicator page and a province profile, at desktop size
(1280×800) and on a phone (390×844), on emulated fast 4G and slow 4G (Chrome DevTools' presets,
through CDP Network.emulateNetworkConditions), each load starts with an empty browser cache and
no service worker, and records:

- the bytes transferred (the sum of CDP Network.loadingFinished encodedDataLength: headers and
  bodies as they came over the wire, compressed where the server compressed);
- the first byte of the page (the server's time plus one round trip) and the largest contentful
  paint (a PerformanceObserver on "largest-contentful-paint");
- the load event and, on the indicator page, when the chart has been drawn (Plotly loaded and run).

A benchmark, not a test: nothing here fails on a slow figure. Playwright for Python with Debian's
Chromium (/usr/bin/chromium); no browser is downloaded.
"""

from __future__ import annotations

import argparse
import statistics
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from playwright.sync_api import Page, sync_playwright

CHROMIUM = "/usr/bin/chromium"
DEMO_PASSWORD = "nrs-demo-2026"  # the demo logins' shared password (nrs/web/demo.py)
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]
# Chrome DevTools' presets: throughput in bytes per second, latency in milliseconds.
NETWORKS = {
    "fast 4G": {"latency": 165.0, "downloadThroughput": 9_000_000 * 0.9 / 8,
                "uploadThroughput": 1_500_000 * 0.9 / 8},
    "slow 4G": {"latency": 562.5, "downloadThroughput": 1_600_000 * 0.9 / 8,
                "uploadThroughput": 750_000 * 0.9 / 8},
}
VIEWPORTS: dict[str, dict[str, Any]] = {
    "desktop 1280×800": {"viewport": {"width": 1280, "height": 800}},
    "phone 390×844": {"viewport": {"width": 390, "height": 844}, "device_scale_factor": 3,
                      "is_mobile": True, "has_touch": True},
}
PAGES = {
    "overview": "/dashboard/",
    "indicator": "/dashboard/indicator/RETAIL_SALES/",
    "province profile": "/dashboard/province/01/",
}
LCP_SCRIPT = """
window.__lcp = 0;
new PerformanceObserver(list => {
  for (const e of list.getEntries()) { window.__lcp = e.renderTime || e.loadTime || e.startTime; }
}).observe({type: "largest-contentful-paint", buffered: true});
"""


@dataclass
class Load:
    page: str
    viewport: str
    network: str
    bytes: int
    requests: int
    ttfb_ms: float
    lcp_ms: float
    load_ms: float
    chart_ms: float | None


def _sign_in(page: Page, base: str, user: str, password: str) -> None:
    page.goto(f"{base}/accounts/login/")
    page.fill("#id_username", user)
    page.fill("#id_password", password)
    page.click("#sign-in")
    page.wait_for_load_state("networkidle")
    if "/accounts/login/" in page.url:
        sys.exit(f"could not sign in as {user}")


def measure(browser: Any, base: str, user: str, password: str, name: str, path: str,
            viewport: str, network: str) -> Load:
    context = browser.new_context(service_workers="block", **VIEWPORTS[viewport])
    try:
        page = context.new_page()
        _sign_in(page, base, user, password)
        cdp = context.new_cdp_session(page)
        cdp.send("Network.enable")
        cdp.send("Network.clearBrowserCache")  # cold: signing in fetched the styles and scripts
        cdp.send("Network.setCacheDisabled", {"cacheDisabled": False})
        cdp.send("Network.emulateNetworkConditions", {"offline": False, **NETWORKS[network]})
        received: dict[str, int] = {}
        cdp.on("Network.loadingFinished",
               lambda e: received.__setitem__(e["requestId"], int(e["encodedDataLength"])))
        page.add_init_script(LCP_SCRIPT)
        page.goto(f"{base}{path}", wait_until="load", timeout=180_000)
        chart = None
        if page.locator("#series").count():
            page.wait_for_function("() => document.getElementById('series').dataset.drawn", timeout=180_000)
            chart = page.evaluate("performance.now()")
        page.wait_for_timeout(500)
        lcp = float(page.evaluate("window.__lcp"))
        timing = page.evaluate("(({responseStart, loadEventEnd}) => [responseStart, loadEventEnd])"
                               "(performance.getEntriesByType('navigation')[0])")
        return Load(name, viewport, network, sum(received.values()), len(received), float(timing[0]), lcp,
                    float(timing[1]), chart)
    finally:
        context.close()


def _mb(n: float) -> str:
    return f"{n / 1_000_000:.2f} MB"


def _s(ms: float | None) -> str:
    return "–" if ms is None else f"{ms / 1000:.2f} s"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--base", default="http://127.0.0.1:8000")
    parser.add_argument("--user", default="lanhdao")
    parser.add_argument("--password", default="", help="default: the demo's")
    parser.add_argument("--runs", type=int, default=1, help="cold loads per case (the median is shown)")
    parser.add_argument("--pages", default=",".join(PAGES), help="which pages, comma-separated")
    parser.add_argument("--out", type=Path, help="also write the Markdown table here")
    args = parser.parse_args()
    password = args.password or DEMO_PASSWORD
    rows = ["| page | viewport | network | transferred | requests | first byte | LCP | load event | chart drawn |",
            "| --- | --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |"]
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        for name, path in PAGES.items():
            if name not in args.pages.split(","):
                continue
            for viewport in VIEWPORTS:
                for network in NETWORKS:
                    loads = [measure(browser, args.base, args.user, password, name, path, viewport, network)
                             for _ in range(args.runs)]
                    med = sorted(loads, key=lambda x: x.lcp_ms)[len(loads) // 2]
                    row = (f"| {name} | {viewport} | {network} | {_mb(statistics.median(x.bytes for x in loads))} "
                           f"| {med.requests} | {_s(med.ttfb_ms)} | {_s(med.lcp_ms)} | {_s(med.load_ms)} "
                           f"| {_s(med.chart_ms)} |")
                    rows.append(row)
                    print(row, flush=True)
        browser.close()
    table = "\n".join(rows) + "\n"
    if args.out:
        args.out.write_text(table, encoding="utf-8")
    print()
    print(table)


if __name__ == "__main__":
    main()
