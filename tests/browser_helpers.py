"""What the browser tests share: Chromium's arguments, axe-core run on a page, and a page
settled before it is checked (tests/test_demo_browser.py, test_issue20_axe.py,
test_issue20_walks.py, test_issue20_entry_browser.py, test_issue20_phone.py)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                 "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]
AXE = Path(__file__).resolve().parent.parent / "node_modules" / "axe-core" / "axe.min.js"


def axe(page: Any, context: dict[str, Any] | None = None) -> list[dict[str, Any]]:
    """axe-core on the page as it stands (``context``: axe's include/exclude, else the whole
    document): each violation with a serious or critical node, as {id, impact, help, nodes},
    its nodes those serious or critical ones, each {target, summary}. axe is loaded once per
    page through the DevTools protocol (page.evaluate), which the Content-Security-Policy does
    not govern, not as an inline script tag."""
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        page.evaluate(AXE.read_text(encoding="utf-8"))
    return list(page.evaluate(
        "context => axe.run(context || document, {resultTypes: ['violations']})"
        ".then(r => r.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,"
        " nodes: v.nodes.filter(n => ['serious', 'critical'].includes(n.impact))"
        ".map(n => ({target: n.target.join(' '), summary: n.failureSummary.replace(/\\s+/g, ' ')}))}))"
        ".filter(v => v.nodes.length))", context))


def axe_ids(page: Any, context: dict[str, Any] | None = None) -> list[str]:
    """axe's serious or critical violations, one line each: the rule and its first five targets."""
    return [f"{v['id']}: " + ", ".join(n["target"] for n in v["nodes"][:5]) for v in axe(page, context)]


def settle(page: Any) -> None:
    """Charts drawn and htmx requests answered before a page is checked. (Not "networkidle":
    the dashboards keep a Server-Sent Events stream open.)"""
    page.wait_for_load_state("load")
    page.wait_for_function(
        "() => !document.querySelector('.htmx-request')"
        " && Array.from(document.querySelectorAll('[data-figure]')).every(e => e.dataset.drawn)",
        timeout=20_000)
    page.wait_for_timeout(100)
