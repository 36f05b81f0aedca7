"""A grouped SLO in the dashboard (Debian's Chromium via Playwright): the overview's group count,
the SLO page's groups table, and group labels on the alerts page — labels are event data, so a
route named like markup must show as text and never run."""

from __future__ import annotations

import math
import os
import shutil
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import slokit_test_serverproc as sp

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking"]
EVIL = "<script>alert(1)</script>"
SPEC = sp.GROUPED_SPEC

try:
    from playwright.sync_api import expect, sync_playwright
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
def page() -> Iterator[Any]:
    assert sync_playwright is not None
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        context = browser.new_context(viewport={"width": 1280, "height": 900})
        pg = context.new_page()
        pg.set_default_timeout(15000)
        yield pg
        context.close()
        browser.close()


def test_groups_in_the_dashboard(page: Any, tmp_path: Path) -> None:
    spec = tmp_path / "slos.yaml"
    spec.write_text(SPEC)
    proc = sp.ServerProcess(tmp_path / "g.duckdb", spec).start()
    dialogs: list[str] = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    try:
        t = math.floor(time.time() / 60) * 60
        events = []
        for i in range(120):
            ts = t - 1800 + i * 15
            events.append({"ts": ts, "route": "/orders", "status": 200})
            events.append({"ts": ts, "route": EVIL, "status": 500 if i % 2 else 200})
            events.append({"ts": ts, "status": 200})
        with proc.client() as c:
            assert c.post("/api/v1/streams/api/events", json=events).status_code == 200

        page.goto(proc.url + "/")
        expect(page.locator("#slo-table tbody tr")).to_have_count(1)  # one row per SLO
        expect(page.locator('tr[data-slo="api-ok"]')).to_contain_text("3 groups by route")

        page.goto(proc.url + "/#/slo/api-ok")
        rows = page.locator("#groups tbody tr")
        expect(rows).to_have_count(3)
        evil = page.locator("#groups tbody tr td:first-child").filter(has_text="alert(1)")
        expect(evil).to_have_text('route="<script>alert(1)</script>"')
        expect(page.locator("#groups tbody tr td:first-child").first).to_have_text('route=""')
        assert page.locator("#main script").count() == 0
        # A group's own page: its state and its charts.
        page.locator("#groups tbody a", has_text="/orders").click()
        expect(page.locator("#slo-title")).to_have_text('api-ok route="/orders"')
        expect(page.locator("#sli-chart path.sli")).to_have_count(1)
        expect(page.locator(".cards")).to_contain_text("100 %")

        page.goto(proc.url + "/#/alerts")
        firing = page.locator("#firing tbody tr[data-alert]")
        expect(firing.first).to_be_visible(timeout=20000)
        expect(firing.first).to_contain_text('{route="<script>alert(1)</script>"}')
        assert page.locator("#main script").count() == 0
        assert dialogs == []
    finally:
        proc.stop()
