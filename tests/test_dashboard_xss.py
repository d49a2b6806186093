"""Stored XSS in the Voila dashboard: a data folder whose company name and change titles
are HTML, script and Markdown payloads is loaded through the data switch; in Chromium
nothing runs (no dialog) and nothing loads (no request for a payload's address), and
the payloads are shown as text."""

from __future__ import annotations

import json
import shutil

import pytest
from test_dashboard_browser import BUILT, ROOT, browser_page, pytestmark, voila  # noqa: F401

COMPANY = ("<script>alert('company script')</script><img src=x onerror=alert('company img')>"
           "[click](javascript:alert('company link'))![i](http://example.invalid/md.png)"
           "<iframe src='http://example.invalid/frame'></iframe>")
TITLES = ["<img src=x onerror=alert('title img')>", "<svg onload=alert('title svg')>",
          "<iframe src=//example.invalid/title></iframe>"]


@pytest.fixture
def hostile_folder(tmp_path):
    folder = tmp_path / "export"
    shutil.copytree(ROOT / "datasets", folder, ignore=shutil.ignore_patterns("README.md"))
    meta = json.loads((folder / "dataset.json").read_text(encoding="utf-8"))
    meta["company"] = COMPANY
    (folder / "dataset.json").write_text(json.dumps(meta, indent=1), encoding="utf-8")
    import pandas as pd

    changes = pd.read_csv(folder / "changes.csv", dtype=str, keep_default_na=False)
    planned = changes.index[changes.kpi != ""][:len(TITLES)]
    changes.loc[planned, "title"] = TITLES[:len(planned)]
    changes.to_csv(folder / "changes.csv", index=False)
    return folder


def test_payloads_in_company_and_change_titles_do_not_run(voila, browser_page,  # noqa: F811
                                                         hostile_folder):
    page = browser_page
    dialogs, requests = [], []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    page.on("request", lambda r: requests.append(r.url))
    page.goto(voila, timeout=60_000)
    page.locator(".widget-html", has_text="Showing").first.wait_for(timeout=60_000)
    page.locator(".lm-TabBar-tab", has_text="Data").click()
    page.get_by_role("button", name="data folder").click()
    page.locator(".crm-data input[list]").fill(str(hostile_folder))  # the Folder box
    page.get_by_role("button", name="Load").click()
    page.wait_for_function("() => document.body.innerText.includes('<script>alert')",
                           timeout=60_000)
    for tab in ("Before / after", "What if"):  # views built when their tab opens
        page.locator(".lm-TabBar-tab", has_text=tab).click()
        page.wait_for_function(BUILT, timeout=60_000)
    page.wait_for_timeout(2000)
    html = page.content()
    assert dialogs == []
    outside = [u for u in requests if "example.invalid" in u or u.rstrip("/").endswith("/x")
               or u.startswith("javascript:")]
    assert outside == []
    assert "&lt;img src=x onerror=alert('company img')&gt;" in html
    for title in TITLES:
        assert title.replace("<", "&lt;").replace(">", "&gt;") in html
