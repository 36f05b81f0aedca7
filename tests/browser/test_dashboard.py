"""The dashboard in Debian's Chromium driven by Playwright: overview, filter, SLO chart, an alert
after an injected incident, acknowledging it. Screenshots go to ``artifacts/``."""

from __future__ import annotations

import math
import os
import re
import shutil
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import slokit_test_serverproc as sp

CHROMIUM = "/usr/bin/chromium"
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
ARTIFACTS = Path(__file__).resolve().parents[2] / "artifacts"

try:
    from playwright.sync_api import Page, expect, sync_playwright
except ImportError:  # pragma: no cover - depends on the environment
    sync_playwright = None

pytestmark = [
    pytest.mark.skipif(sync_playwright is None, reason="integration: python playwright is not installed"),
    pytest.mark.skipif(
        not (os.path.exists(CHROMIUM) or shutil.which("chromium")),
        reason="integration: Debian chromium is not installed (/usr/bin/chromium)",
    ),
]


@pytest.fixture
def page(tmp_path: Path) -> Iterator[Any]:
    assert sync_playwright is not None
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        context = browser.new_context(viewport={"width": 1280, "height": 900})
        pg = context.new_page()
        pg.set_default_timeout(15000)
        yield pg
        context.close()
        browser.close()


def shot(page: Any, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def history_events(t: int) -> list[dict[str, Any]]:
    """Six hours of traffic, a few slow and failing requests, nothing alarming."""
    out = []
    for m in range(1, 360):
        for j in range(4):
            bad = (m * 4 + j) % 97 == 0
            out.append(
                {
                    "ts": t - 60 * m - 5 - j,
                    "status": 500 if bad else 200,
                    "latency_ms": 40 + (m * 7 + j * 31) % 400,
                }
            )
    return out


def test_dashboard(page: Page, tmp_path: Path) -> None:
    proc = sp.ServerProcess(tmp_path / "b.duckdb").start()
    dialogs: list[str] = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    try:
        t = math.floor(time.time() / 60) * 60
        with proc.client() as c:
            assert c.post("/api/v1/streams/requests/events", json=history_events(t)).status_code == 200

        page.goto(proc.url + "/")
        rows = page.locator("#slo-table tbody tr")
        expect(rows).to_have_count(2)
        # The service's display name is markup: it must show as text and never run.
        cell = page.locator('tr[data-slo="shop-availability"] td').nth(1)
        expect(cell).to_have_text("<script>alert(1)</script>")
        assert page.locator("#main script").count() == 0
        shot(page, "overview")

        page.get_by_label("Search").fill("latency")
        expect(rows).to_have_count(1)
        assert "q=latency" in page.url  # the filter lives in the URL
        page.reload()
        expect(page.locator("#slo-table tbody tr")).to_have_count(1)
        expect(page.get_by_label("Search")).to_have_value("latency")
        page.get_by_label("Search").fill("")
        page.get_by_label("Status").select_option("ok")
        assert "status=ok" in page.url

        # Keyboard only: sort by a column header button, then open an SLO with Enter.
        page.goto(proc.url + "/#/")
        expect(page.locator("#slo-table tbody tr")).to_have_count(2)
        page.locator("#sort-sli").focus()
        page.keyboard.press("Enter")
        expect(page).to_have_url(re.compile(r"sort=sli"))
        expect(page.locator('th[aria-sort="ascending"]')).to_contain_text("SLI")
        page.get_by_role("link", name="<script>alert(1)</script> availability").focus()
        page.keyboard.press("Enter")
        expect(page.locator("#slo-title")).to_have_text("<script>alert(1)</script> availability")
        path = page.locator("#sli-chart path.sli")
        expect(path).to_have_count(1)
        d = path.get_attribute("d") or ""
        assert d.startswith("M") and d.count("L") > 10  # a drawn line, not an empty chart
        expect(page.locator("#budget-chart path.budget")).to_have_count(1)
        # Axis labels, bottom to top, increase (percent formatting keeps "50 %" whole).
        for chart in ("#sli-chart", "#budget-chart"):
            labels = page.locator(f'{chart} text[text-anchor="end"]').all_text_contents()
            values = [float(x.replace("%", "").strip()) for x in labels[:5]]
            assert values == sorted(values) and len(set(values)) == 5, labels
        expect(page.locator("#spec-yaml")).to_contain_text("name: shop-availability")
        expect(page.locator("#rules tbody tr")).to_have_count(4)
        shot(page, "slo")

        # An incident: 200 failing requests in the last two minutes; the evaluator runs every second.
        with proc.client() as c:
            bad = [{"ts": t - 1 - i // 2, "status": 503, "latency_ms": 900} for i in range(200)]
            assert c.post("/api/v1/streams/requests/events", json=bad).status_code == 200
        page.goto(proc.url + "/#/alerts")
        firing = page.locator("#firing tbody tr[data-alert]")
        expect(firing.first).to_be_visible(timeout=20000)
        expect(page.locator("#firing-count")).not_to_have_text("")
        shot(page, "alerts-firing")
        page.get_by_label("API token").fill(sp.TOKEN)
        page.get_by_label("API token").press("Tab")
        first_id = firing.first.get_attribute("data-alert")
        page.locator(f'#firing button[data-ack="{first_id}"]').click()
        expect(page.locator(f'#firing tr[data-alert="{first_id}"]')).to_contain_text("acknowledged")
        shot(page, "alerts-acknowledged")
        with proc.client() as c:
            acked = [a for a in c.get("/api/v1/alerts").json()["firing"] if a["id"] == first_id]
            assert acked and acked[0]["acknowledged_by"] == "dashboard"

        page.set_viewport_size({"width": 390, "height": 844})
        page.goto(proc.url + "/#/slo/shop-latency")
        expect(page.locator("#percentiles tbody tr")).to_have_count(5)
        shot(page, "slo-phone")
        assert dialogs == []
    finally:
        proc.stop()
