"""The instructor dashboard, headless: set widget values, assert what the views computed."""

from __future__ import annotations

import json
import math
import re
import shutil
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest

from crm_course import kpis
from crm_course import review as rv
from crm_course.dashboard import (
    Dashboard,
    WhatIf,
    measures,
    planned_changes,
    project,
    words,
)
from crm_course.dashboard.explorer import WHOLE
from crm_course.data import CRM, DEFAULT_DATA_DIR, load_crm
from crm_course.kpis import evaluation as ev
from crm_course.kpis.verdict import causal_verdict


@pytest.fixture(scope="module")
def app(sample, tmp_path_factory):
    return Dashboard(sample, recent=tmp_path_factory.mktemp("recent") / "recent.json")


def test_explorer_splits_by_region_with_the_kpi_library_values(app, sample):
    e = app.explorer
    e.area.value, e.kpi.value, e.grouping.value = "service", "first_response_hours", "region"
    assert list(e.series.columns) == sample.profile.vocabularies["regions"]
    march = pd.Timestamp("2026-03-01")
    expected = kpis.first_response_hours(sample, march, "2026-03-31", by="region")
    assert np.allclose(e.series.loc[march], expected.to_numpy(), equal_nan=True)
    assert set(e.table.kpi) == set(kpis.kpi_names("service"))
    assert e.chart.svg.startswith(b"<?xml") and "<table" in e.latest.value


def test_explorer_range_and_an_impossible_grouping(app):
    e = app.explorer
    e.area.value = "customers"  # first KPI: churn_rate, by region only
    e.grouping.value = "team"
    assert list(e.series.columns) == ["whole company"]
    assert "cannot be split by team" in e.message
    e.months.index = (3, 5)
    # churn grows with the period's length and its target is quarterly: drawn per quarter
    assert e.length == "quarter" and list(e.series.index) == [pd.Timestamp("2025-04-01")]
    assert e.series.iloc[0, 0] == pytest.approx(kpis.churn_rate(e.crm, "2025-04-01",
                                                                "2025-06-30"))
    assert "Apr 2025 to Jun 2025" in repr(e.widget)
    e.kpi.value = "repeat_purchase_rate"  # no target: month by month
    assert list(e.series.index) == list(pd.date_range("2025-04-01", periods=3, freq="MS"))


def test_explorer_marks_young_months_and_draws_no_monthly_roi(app):
    e = app.explorer
    e.months.index = (0, len(e.months.options) - 1)
    e.area.value, e.kpi.value, e.grouping.value = "sales", "lead_conversion_rate", WHOLE
    assert e.immature.tolist()[-1] and not e.immature.iloc[:-1].any()  # March 2026
    assert "March 2026 not drawn: no record is 30 days old yet" in e.message  # none is
    drawn = int(e.series.iloc[:, 0].notna().sum())  # the alt text counts what is drawn
    assert drawn < len(e.series) and f" {drawn} points;" in e.chart.alt
    e.area.value, e.kpi.value = "marketing", "marketing_roi"
    assert e.length is None and e.series.empty and "not drawn month by month" in e.message
    e.area.value = "feedback"  # sus_score: two survey waves, points with intervals
    assert list(e.series.index) == [1, 2] and (e.series.low < e.series["mean"]).all()
    assert e.chart.svg.startswith(b"<?xml")


@pytest.mark.parametrize("by", ["team", "department"])
def test_explorer_alt_text_counts_the_lines_drawn(app, by):
    """Second outside review (M4): by team the alt text said '9 lines' beside a legend of 4
    (teams without a lead in the months have no line)."""
    e = app.explorer
    e.months.index = (0, len(e.months.options) - 1)
    e.area.value, e.kpi.value, e.grouping.value = "sales", "lead_conversion_rate", by
    lines = e.series.notna().any()
    assert lines.sum() < len(lines)  # some groups have nothing to draw
    ax = plt.figure().subplots()
    e._draw(ax)
    labels = [line.get_label() for line in ax.get_lines()]
    assert {str(g) for g in lines[lines].index} <= set(labels)
    assert not {str(g) for g in lines[~lines].index} & set(labels)
    plt.close(ax.figure)
    points = int(e.series.notna().to_numpy().sum())
    assert f", {words.counted(int(lines.sum()), 'line')}, {points} points" in e.chart.alt


def test_explorer_says_whose_region_it_splits_by(app):
    """Second outside review: on an import whose accounts have no region, the report said a
    breakdown by region shows one group while the explorer drew the owners' four regions."""
    e = app.explorer
    e.area.value, e.kpi.value, e.grouping.value = "sales", "win_rate", "region"
    assert "by region (the CRM users' region)" in e.message
    e.area.value, e.kpi.value = "customers", "churn_rate"
    assert "by region (the customer accounts' region)" in e.message


def explorer_over(view, first, last) -> None:
    """Set the explorer ``view``'s month range to the months of [first, last]."""
    months = [m for _, m in view.months.options]
    view.months.value = (pd.Timestamp(first).to_period("M").start_time,
                         pd.Timestamp(last).to_period("M").start_time)
    assert view.months.value[0] in months


def test_explorer_counts_the_sales_cycle_from_the_reports_day():
    """Outside review of issue 25 (M4): over Jan-Mar 2025 the table said 14 days where the
    report said 17 (only deals won from 18 Feb count), and the line began at 8 days with no
    mark. `cycles_crm`: deals won from 16 Feb 2025 count, 20, 45, 60 days -> 45."""
    from kpi_fixtures import cycles_crm

    from crm_course.dashboard.explorer import KPIExplorer
    from crm_course.dashboard.render import drawn

    view = KPIExplorer(cycles_crm())
    view.kpi.value = "sales_cycle_days"
    explorer_over(view, "2025-01-01", "2025-03-31")
    cut = ev.counted_from(view.crm, "sales_cycle_days")[1]
    assert view.table.set_index("kpi").value["sales_cycle_days"] == 45  # not 31
    assert view.series["whole company"].iloc[1:].tolist() == [20, 52.5]
    assert view.immature.tolist() == [True, True, False]
    assert f"January 2025 not drawn and February 2025 dashed: {cut}" in view.message
    assert " 2 points;" in view.chart.alt
    with drawn(view._draw) as figure:  # the legend names the cut points, not 'maturing'
        legend = [t.get_text() for t in figure.axes[0].get_legend().get_texts()]
    assert "whole company (from 16 Feb 2025 only)" in legend, legend
    assert "only deals won from 16 Feb 2025 on count" in view.latest.value  # under the table
    explorer_over(view, "2025-03-01", "2025-03-31")  # from the day on: whole, no words
    assert "only deals won" not in view.message + view.latest.value


def test_explorer_table_at_the_data_start_is_the_reports_baseline(app, sample_reports):
    """The report's same-season baseline begins on the data's first day: the explorer's
    table over those months gives the report's sales cycle (the sample: from 15 Feb)."""
    rep = sample_reports.report("all")
    row = next(r for r in rep.rows if r.kpi == "sales_cycle_days")
    assert rep.baseline[0] == rep.baseline[0].to_period("M").start_time  # whole months
    assert row.comparison.cut  # the report cut it: the check is not vacuous
    e = app.explorer
    e.area.value, e.kpi.value, e.grouping.value = "sales", "sales_cycle_days", WHOLE
    explorer_over(e, *rep.baseline)
    shown = e.table.set_index("kpi").loc["sales_cycle_days"]
    assert shown.value == row.comparison.before and shown.status == row.status_before
    assert e.immature.iloc[0] and row.comparison.cut in e.message
    e.months.index = (0, len(e.months.options) - 1)


def test_before_after_matches_the_review_functions(app, sample):
    r = app.review
    # the report's comparison (same baseline rule) and the engine's verdict, nothing else
    r.kpi.value = "lead_conversion_rate"
    window = sample.period("review")
    baseline, _ = ev.comparison_baseline(sample, window)
    test = ev.compare(sample, "lead_conversion_rate", baseline, window)
    assert r.result.before_after == test
    assert r.result.verdict == causal_verdict(sample, "lead_conversion_rate")
    assert ev.baseline_rule(sample, window) in r.result.sentences[0]
    assert r.result.groups.shape == (2, 2)
    # one confidence, the report's: no control on the page to judge at another level
    # (review of issue 25: at 90% the view said "an improvement beyond chance" where the
    # report, at 95%, said "no clear change (chance)" for the same p = 0.091)
    import ipywidgets as widgets

    def controls(w):
        yield w
        for child in getattr(w, "children", ()):
            yield from controls(child)
    assert [c.description for c in controls(r.widget) if isinstance(
        c, widgets.ToggleButtons)] == ["KPI"]
    assert "95% interval" in r.words.value and "99% interval" not in r.words.value


def test_before_after_response_time_is_a_relative_change(app):
    r = app.review
    r.kpi.value = "first_response_hours"
    assert r.result.effect_low < r.result.effect < r.result.effect_high < 0  # faster replies
    assert "%" in r.result.sentences[-1]


def test_what_if_sliders_move_projection_and_roi(app, sample):
    w = app.what_if
    for slider in w.uplifts:
        slider.value = 0.0
    assert w.projection.benefit == 0 and w.projection.roi == pytest.approx(-1)
    conversion = list(w.plan.kpi).index("lead_conversion_rate")
    w.uplifts[conversion].value = 2.0  # points
    w.costs[conversion].value = 20_000
    plan = w.plan
    assert plan.uplift.iloc[conversion] == pytest.approx(0.02)
    assert w.projection.cost == pytest.approx(plan.cost.sum())
    assert w.projection.benefit == pytest.approx(0.02 * plan.money_per_unit.iloc[conversion])
    assert w.projection.roi > -1
    row = w.projection.kpis.set_index("kpi").loc["lead_conversion_rate"]
    assert row.projected == pytest.approx(row.before + 0.02)


def test_default_plan_meets_each_target_on_the_sample(sample):
    plan = planned_changes(sample)
    assert plan.cost.sum() == pytest.approx(sample.changes.cost[sample.changes.kpi.notna()].sum())
    projected = project(plan).kpis
    assert set(projected.status[projected.target.notna()]) == {"meets"}


def test_a_projection_stays_inside_what_each_kpi_can_take(sample):
    # outside review: sliders at their ends showed 'Active user rate 76.2% -> 106.2% met'
    # and 'First response time 1.67 -> -3.33 (business hours) met', priced at full value
    plan = planned_changes(sample)
    up = plan.assign(uplift=[10.0 if k in ("active_user_rate", "lead_conversion_rate")
                             else -100.0 if k == "first_response_hours" else u
                             for k, u in zip(plan.kpi, plan.uplift, strict=True)])
    p = project(up).kpis.set_index("kpi")
    for kpi in set(up.kpi) & {"active_user_rate", "lead_conversion_rate"}:
        assert p.loc[kpi, "projected"] == 1.0
    if "first_response_hours" in p.index:
        assert p.loc["first_response_hours", "projected"] == 0.0
    assert (p.projected.dropna() >= 0).all()
    priced = up[up.money_per_unit.notna()]
    possible = (p.projected - p.before).reindex(priced.kpi).to_numpy() / \
        priced.groupby("kpi").uplift.transform("sum").to_numpy()
    assert project(up).benefit == pytest.approx(
        float((priced.uplift * possible * priced.money_per_unit).sum()))


def test_data_switch_reports_a_bad_folder_and_loads_a_good_one(app, tmp_path, monkeypatch):
    from crm_course.dashboard.serve import START_ENV

    s = app.switch
    assert s.source.value == "sample" and s.folder.value == ""
    showing = s.status.value
    s.source.value, s.folder.value = "folder", str(tmp_path)
    assert not s.load()
    assert "Not loaded" in s.message.value and s.status.value == showing  # still named
    # a relative folder starts where the server was started, and the full path is said
    monkeypatch.setenv(START_ENV, str(DEFAULT_DATA_DIR.parent))
    s.folder.value = "no-such-folder"
    assert not s.load()
    assert str(DEFAULT_DATA_DIR.parent / "no-such-folder") in s.message.value
    assert "where the dashboard was started" in s.message.value
    s.folder.value = DEFAULT_DATA_DIR.name
    s.button.click()
    assert "Showing" in s.status.value and "Not loaded" not in s.message.value
    assert f"Read from {DEFAULT_DATA_DIR.resolve()}" in s.message.value
    assert all(view.crm is s.crm for view in app.views)
    assert s.folder.options[0] == str(DEFAULT_DATA_DIR.resolve())  # offered next time
    assert json.loads(s.recent.read_text()) == [str(DEFAULT_DATA_DIR.resolve())]
    # a file typed for a folder: said to be a file, and its folder named
    s.folder.value = str(DEFAULT_DATA_DIR / "accounts.csv")
    assert not s.load()
    assert "is a file" in s.message.value and f"({DEFAULT_DATA_DIR})" in s.message.value
    assert "there is no folder" not in s.message.value


def test_data_switch_shows_the_loaded_seed_and_fresh_recent_folders(sample, tmp_path):
    """The seed box follows the data loaded; the Data tab, when opened, offers folders
    another page's kernel loaded since this one started."""
    from crm_course.dashboard.datasets import remember

    recent = tmp_path / "recent.json"
    page = Dashboard(sample, recent=recent)
    s = page.switch
    s.seed.value = sample.meta["seed"] + 1
    s.source.value, s.folder.value = "folder", str(DEFAULT_DATA_DIR)
    assert s.load() and s.seed.value == sample.meta["seed"]
    other = _dataset_files(tmp_path / "other")
    remember(recent, other)  # another visitor's kernel loads a folder
    assert str(other) not in s.folder.options
    page.tabs.selected_index = len(page.tabs.children) - 1  # the Data tab
    assert s.folder.options[0] == str(other)


def _dataset_files(folder: Path) -> Path:
    """``folder`` made with an empty file of each of a CRM dataset's files: what the recent
    list checks (`datasets.holds_dataset`)."""
    from crm_course.dashboard.datasets import dataset_files

    folder.mkdir()
    for name in dataset_files():
        (folder / name).write_text("")
    return folder


def test_recent_folders_drop_folders_that_no_longer_exist_or_hold_no_dataset(tmp_path):
    from crm_course.dashboard.datasets import recent_folders, remember

    kept, gone, emptied = (_dataset_files(tmp_path / name) for name in ("kept", "gone", "emptied"))
    file = tmp_path / "recent.json"
    assert remember(file, kept) == [str(kept)]
    assert remember(file, gone) == [str(gone), str(kept)]
    assert remember(file, emptied) == [str(emptied), str(gone), str(kept)]
    shutil.rmtree(gone)
    (emptied / "dataset.json").unlink()  # no longer a dataset: not offered
    assert recent_folders(file) == [str(kept)]
    page = Dashboard(load_crm(), recent=file)
    assert list(page.switch.folder.options) == [str(kept)]
    file.write_text('{"not": "a list"}')
    assert recent_folders(file) == []


def test_the_tests_never_write_the_users_recent_folders(sample, tmp_path_factory):
    """The outside review found a test's export in the user's list: every test has its own
    file (tests/conftest.py), which the dashboard reads and writes by default."""
    from crm_course.paths import RECENT_FILE, cache_dir, recent_file

    user = Path.home() / ".cache" / "crm-course" / RECENT_FILE
    before = user.read_bytes() if user.exists() else None
    mine = recent_file()
    assert tmp_path_factory.getbasetemp() in mine.parents
    assert mine != cache_dir() / RECENT_FILE and mine != user
    s = Dashboard(sample).switch  # no file given: the default
    assert s.recent == mine
    s.source.value, s.folder.value = "folder", str(DEFAULT_DATA_DIR)
    assert s.load()
    assert json.loads(mine.read_text()) == [str(DEFAULT_DATA_DIR.resolve())]
    assert (user.read_bytes() if user.exists() else None) == before


def test_each_test_has_its_own_recent_folders_file():
    from crm_course.dashboard.datasets import recent_folders
    from crm_course.paths import recent_file

    # the test above loaded a folder into its own file: not this test's
    assert not recent_file().exists() and recent_folders(recent_file()) == []


def test_the_data_box_says_what_to_type_in_which_box(app, monkeypatch):
    """The outside review: seed -5 said "expected non-negative integer"; '~/nothere' was
    told the relative-path rule; the Seed box showed while 'data folder' was chosen."""
    from crm_course.dashboard.serve import START_ENV

    s = app.switch
    before = s.crm
    s.source.value = "seed"
    assert s.seed.layout.display is None and s.folder.layout.display == "none"
    s.seed.value = -5
    assert not s.load() and s.crm is before
    assert ("Not loaded: the Seed box holds -5: the seed must be a whole number 0 or more"
            in s.message.value)
    assert "non-negative" not in s.message.value
    s.source.value = "folder"
    assert s.seed.layout.display == "none" and s.folder.layout.display is None
    assert "Seed box" not in s.message.value  # the seed's message leaves with its box
    s.folder.value = "/tmp"  # a folder without a dataset: which box to type in
    assert not s.load() and "in the Folder box" in s.message.value
    s.folder.value = "~/nothere-room2"
    assert not s.load()
    text = s.message.value
    assert f"there is no folder {Path.home() / 'nothere-room2'}: type the path" in text
    assert "Folder box" in text and "relative path" not in text
    s.folder.value = "/nothere-room2"
    assert not s.load() and "relative path" not in s.message.value
    monkeypatch.setenv(START_ENV, "/tmp")
    s.folder.value = "nothere-room2"  # relative: where it was looked for is said
    assert not s.load()
    assert ("there is no folder /tmp/nothere-room2 (a relative path starts from /tmp, where "
            "the dashboard was started)") in s.message.value
    s.folder.value = ""
    assert not s.load() and "the Folder box is empty" in s.message.value
    s.source.value = "sample"
    assert s.seed.layout.display == "none" and s.folder.layout.display == "none"
    assert s.crm is before


def test_a_folder_without_the_dataset_says_so_in_one_line(sample, tmp_path):
    """The outside review: a folder holding no dataset got "14 problems" with the loader's
    key names; now one line, and a partial dataset the files it lacks, in plain words."""
    from crm_course.dashboard.datasets import dataset_files

    s = Dashboard(sample, recent=tmp_path / "recent.json").switch
    empty = tmp_path / "shots"
    empty.mkdir()
    (empty / "room.png").write_bytes(b"")
    s.source.value, s.folder.value = "folder", str(empty)
    assert not s.load()
    text = s.message.value
    assert f"{empty} holds no CRM dataset: none of dataset.json, users.csv" in text
    assert "Type the folder that holds the CRM tables" in text
    assert "problems" not in text and "changes_start" not in text and text.count("\n") == 0
    assert "white-space:pre-line;word-break:normal" in text and "<pre" not in text
    partial = tmp_path / "partial"
    shutil.copytree(DEFAULT_DATA_DIR, partial)
    (partial / "users.csv").unlink()
    (partial / "dataset.json").unlink()
    s.folder.value = str(partial)
    assert not s.load()
    assert (f"{partial} lacks 2 of the {len(dataset_files())} files of a CRM dataset: "
            "dataset.json, users.csv. Add them") in s.message.value
    assert "Showing" in s.status.value  # the data on screen still named


def test_a_reloaded_page_gets_its_folder_back(sample, tmp_path, monkeypatch):
    """The data line names the folder read (the page keeps it in its address); the folder
    the page types into the hidden box after a reload is loaded, said, and the box emptied
    (the page's sign that it is done); the bundled sample stays the sample even when the
    server starts on other data (`paths.DATA_ENV`)."""
    from crm_course.dashboard.datasets import folder_of
    from crm_course.paths import DATA_ENV

    other = tmp_path / "other"
    shutil.copytree(DEFAULT_DATA_DIR, other)
    page = Dashboard(sample, recent=tmp_path / "recent.json")
    s = page.switch
    assert f"data-folder='{DEFAULT_DATA_DIR.resolve()}'" in s.status.value
    s.reopen.value = str(other)
    assert folder_of(s.crm) == other and s.reopen.value == ""
    assert f"data-folder='{other}'" in s.status.value
    assert f"Loaded again after the page reloaded: {other}" in s.message.value
    assert page.explorer.crm is s.crm and s.source.value == "folder"
    s.reopen.value = str(DEFAULT_DATA_DIR)  # the sample, loaded before the reload
    assert s.source.value == "sample" and s.folder.value == ""
    s.reopen.value = str(other)
    loaded = s.crm
    s.reopen.value = str(other)  # on screen already: not read again
    assert s.crm is loaded and s.reopen.value == ""
    s.reopen.value = str(tmp_path / "gone")  # removed since: said, the data kept
    assert "Not loaded" in s.message.value and s.crm is loaded and s.reopen.value == ""
    monkeypatch.setenv(DATA_ENV, str(other))
    s.source.value = "sample"
    assert s.load() and folder_of(s.crm) == DEFAULT_DATA_DIR.resolve()


def test_dashboard_starts_on_the_data_folder_and_writes_its_first_view(tmp_path, monkeypatch):
    """`crm-course dashboard --data DIR`: the server's kernels and the first view written
    before it starts read DIR (`paths.DATA_ENV`); a page whose address asks for other data
    says so above the first view."""
    import subprocess

    from crm_course.dashboard import first_view, serve
    from crm_course.paths import DATA_ENV

    other = tmp_path / "other"
    shutil.copytree(DEFAULT_DATA_DIR, other)
    monkeypatch.delenv(DATA_ENV, raising=False)
    env = serve.environment(first_view=tmp_path / "view", data=other)
    assert env[DATA_ENV] == str(other) and DATA_ENV not in serve.environment()
    (tmp_path / "view").mkdir()
    subprocess.run(serve.first_view_command(), env=env, check=True, timeout=300)
    page = first_view.page_start(tmp_path / "view")
    assert f"data-folder='{other}'" in page and "is starting" not in page
    assert "<img" in page and "Loading the data" not in page
    assert first_view.page_start(tmp_path / "view", data=str(other)) == page
    asked = first_view.page_start(tmp_path / "view", data=str(DEFAULT_DATA_DIR))
    assert f"Loading the data this page showed</b> ({DEFAULT_DATA_DIR})" in asked
    assert "Loading the data" not in first_view.page_start(tmp_path / "nothing", data="x")


def test_dashboard_command_refuses_a_data_folder_it_cannot_show(tmp_path, capsys):
    """`crm-course dashboard --data` names what is wrong before any server starts."""
    import socket

    from crm_course.cli import main

    assert main(["dashboard", "--no-browser", "--data", str(tmp_path / "gone")]) == 2
    assert f"--data: there is no folder {tmp_path / 'gone'}" in capsys.readouterr().err
    with socket.socket() as free:  # a port nothing listens on (8866 may be taken here)
        free.bind(("127.0.0.1", 0))
        port = free.getsockname()[1]
    assert main(["dashboard", "--no-browser", f"--port={port}", "--data", str(tmp_path)]) == 2
    out, err = capsys.readouterr()
    assert out.startswith(f"Starting the dashboard at http://127.0.0.1:{port}/")
    assert f"cannot be drawn on this data: {tmp_path} holds no CRM dataset" in err
    assert "Traceback" not in err


# ------------------------------------------------------------------ a real CRM export

@pytest.fixture(scope="module")
def exports(vendor_export):
    """The Salesforce and HubSpot fixture exports, imported: no change log, usage log,
    survey, orders or targets; control_region null; 23 and 14 leads."""
    return {name: vendor_export(name, name)[1] for name in ("salesforce", "hubspot")}


@pytest.fixture(scope="module")
def export_app(exports, tmp_path_factory):
    # its own recent-folders file: a test's folders never reach the user's list
    return Dashboard(load_crm(exports["salesforce"]),
                     recent=tmp_path_factory.mktemp("recent") / "recent.json")


def test_export_before_after_without_a_control_group(export_app):
    r = export_app.review
    crm = export_app.review.crm
    assert crm.meta["control_region"] is None
    for key in measures(crm):
        r.kpi.value = key
        result = r.result
        assert result.did is None and np.isnan(result.effect)
        assert list(result.groups.index) == ["all regions"]  # none is the control
        assert list(result.groups.columns) == ["baseline", "review window"]  # the sentence's
        assert "no control group" in result.sentences[-1]
        assert r.chart.svg.startswith(b"<?xml")
    r.kpi.value = "lead_conversion_rate"
    leads = rv.lead_outcomes(crm)  # every lead is treated; the chart: all before go-live
    first, _ = crm.period("all")
    before = leads[(leads.created >= first) & ~leads.post]
    assert r.result.groups.iloc[0, 0] == pytest.approx(before.won.mean())
    assert "all regions: no control region" in r.chart.alt
    assert "All regions" in repr(r.widget)


@pytest.mark.parametrize("design", ["ab", "staged", "its"])
def test_a_design_dataset_names_its_control_group(design):
    """An A/B test's (and a staged roll-out's) control group is a set of sales reps
    (dataset.json's design block): the before/after and the report say so, and the A/B
    test's sentence gives its two halves' rates; only the time series has no control
    group."""
    from crm_course import report
    from crm_course.dashboard.before_after import review_result, verdict_rule
    from crm_course.designs import experiment, get_design_crm

    crm = get_design_crm(design, 23)
    said = review_result(crm, "lead_conversion_rate").sentences[-1]
    assert said in report.causal_sentence(crm, ["lead_conversion_rate"])
    # the chart's caption: one line for all regions, and where the design's control group is
    assert ("design's own control group" in verdict_rule(crm)) == (design != "its")
    if design == "its":
        assert "there is no control group in this dataset" in said
        return
    assert "no control group" not in said and "not a region" in said
    if design == "ab":
        rates = experiment.analyse(crm)
        reps = pd.Series(crm.profile.design["arms"]).value_counts()
        assert (f"reminder group {rates.after:.1%}" in said
                and f"control group {rates.before:.1%}" in said
                and f"of {reps['control']} reps" in said)
    else:  # in words, the wave's name after them (review of issue 25: "wave 'wave 4'")
        never = crm.profile.design["never_treated"]
        assert f"the roll-out's never-switched wave ({never})" in said
        assert "wave 'wave" not in said and repr(never) not in said


def test_an_ab_test_chart_shows_its_two_halves_as_the_report_compares_them():
    """On an A/B test's data the before/after chart of the targeted KPI draws the test's
    two halves of reps (not all regions): during the test the report's own rates
    (`designs.experiment.analyse`), and the difference with its interval in the title."""
    from crm_course.dashboard.before_after import BeforeAfter
    from crm_course.designs import experiment, get_design_crm

    crm = get_design_crm("ab", 23)
    view = BeforeAfter(crm)
    view.kpi.value = crm.profile.design["kpi"]
    groups, rates = view.result.groups, experiment.analyse(crm)
    assert [g.split(" (")[0] for g in groups.index] == ["control group", "reminder group"]
    assert groups.iloc[:, 1].tolist() == pytest.approx([rates.before, rates.after])
    before = experiment.test_leads(crm, during=False)
    assert groups.iloc[0, 0] == pytest.approx(before[before.arm == "control"].won.mean())
    test = experiment.clustered(crm)
    assert view.result.test.effect == pytest.approx(test.effect)
    svg = view.chart.svg.decode()
    assert "reminder group" in svg and "all regions" not in svg
    assert f"{100 * test.effect:+.1f} pp" in svg  # the title's difference, named as such
    assert "difference during the test, regions taken out:" in svg
    # no title line so long that the chart (and its text) shrinks to fit the column
    assert all(len(line) <= 60 for line in re.findall(r">([^<>]+)</text>", svg)), svg
    assert "during the test" in view.chart.alt and "all regions" not in view.chart.alt
    view.kpi.value = "win_rate"  # a KPI the test did not target: all regions, as before
    assert list(view.result.groups.index) == ["all regions"]


def test_a_control_region_with_changes_is_not_called_control(sample_dir_copy, tmp_path):
    """A control region the change log lists among an improvement's regions is no control
    group (`kpis.verdict.control_changed`): the chart, its caption and alt text say so, as
    the verdict does, and never call it "control (West)"."""
    from crm_course.dashboard.before_after import BeforeAfter
    from crm_course.kpis.verdict import control_changed

    folder = sample_dir_copy(tmp_path)
    changes = pd.read_csv(folder / "changes.csv", dtype=str, keep_default_na=False)
    control = json.loads((folder / "dataset.json").read_text())["control_region"]
    training = changes.index[changes.kind == "training"][0]
    changes.loc[training, "regions"] += f";{control}"
    changes.to_csv(folder / "changes.csv", index=False)
    crm = load_crm(folder)
    assert control_changed(crm)
    view = BeforeAfter(crm)
    first = view.result.groups.index[0]
    assert first.startswith(f"{control}, no control group")
    svg = view.chart.svg.decode()
    assert f"control ({control})" not in svg + view.chart.alt
    assert f"{control}, no control group" in svg
    assert "no control group" in view.result.rule and "no control group" in view.chart.alt
    assert "no control group" in view.result.verdict.sentence  # the verdict agrees


def test_export_what_if_has_nothing_to_plan(export_app):
    w = export_app.what_if
    assert w.plan.empty and w.uplifts == [] and w.projection.cost == 0
    assert w.plan.current.dtype == float and w.plan.target.dtype == float
    assert "the dataset has no change log" in w.headline_box.value and w.chart.svg == b""
    assert ".csv" not in w.headline_box.value
    assert repr(w.widget).startswith("What-if: No planned changes")


def test_export_explorer_names_the_empty_tables(export_app):
    e = export_app.explorer
    e.area.value, e.grouping.value = "adoption", "team"
    assert e.series.isna().all().all()
    assert "no data: the dataset has no usage log" in e.message
    assert e.chart.svg == b"" and e.chart.value == ""  # no empty chart
    assert set(e.table.status) == {"no data"} and "no target recorded" in repr(e.widget)
    e.area.value, e.grouping.value = "service", "region"
    assert ("no data: the service tickets have no first response time; map the column in "
            "the import mapping: tables.tickets.columns.first_response_at"
            in e.message)  # no standard field: in words first, then the key to type
    assert e.chart.svg == b""
    e.kpi.value = "resolution_hours"                        # computed from the export's cases
    assert e.series.notna().any().any() and e.chart.svg.startswith(b"<?xml")


def test_export_without_campaigns_draws_no_cac_chart_and_says_why(exports):
    """Second outside review (M4): an export without campaigns or acquisition costs drew an
    empty CAC chart ('1 line, 0 points', axis 0-1) with no word of why."""
    from crm_course.dashboard.explorer import KPIExplorer

    e = KPIExplorer(load_crm(exports["hubspot"]))
    assert e.crm.campaigns.empty and e.crm.accounts.acquisition_cost.isna().all()
    e.area.value, e.grouping.value = "marketing", WHOLE
    e.kpi.value = "cac"
    assert "no data: the dataset has no campaigns" in e.message
    assert "customer accounts have no acquisition cost" in e.message
    assert "tables.accounts.columns.acquisition_cost" in e.message
    assert e.chart.svg == b"" and e.chart.alt == ""
    row = e.table.set_index("kpi").loc["cac"]
    assert row.status == "no data" and "no campaigns" in row.note


def test_switch_to_another_export(export_app, exports):
    s = export_app.switch
    assert "imported, no seed" in s.status.value and s.seed.value == 23
    assert (s.source.value, s.folder.value) == ("folder", str(exports["salesforce"]))
    s.source.value, s.folder.value = "folder", str(exports["hubspot"])
    assert s.load()
    assert all(view.crm is s.crm for view in export_app.views)
    assert repr(export_app.widget).startswith("Data: hubspot, 08 Jan 2025 to 02 Jun 2025, "
                                              "imported, no seed, 14 leads")
    assert export_app.review.result.did is None and export_app.what_if.plan.empty


def _models(widget, seen=None) -> set:
    """The widget models a page creates to show ``widget``: it, and every widget its
    traits hold (children, layouts, styles), once each."""
    import ipywidgets as widgets

    seen = set() if seen is None else seen
    if widget.model_id in seen:
        return seen
    seen.add(widget.model_id)
    for name in widget.keys:
        value = getattr(widget, name)
        for item in value if isinstance(value, (list, tuple)) else (value,):
            if isinstance(item, widgets.Widget):
                _models(item, seen)
    return seen


def test_views_are_built_when_their_tab_opens(exports, tmp_path):
    """The page starts with the explorer and the data switch (a third of the widget
    models); a tab's view is built once, when the tab is opened, on the data then shown."""
    app = Dashboard(load_crm(exports["salesforce"]), recent=tmp_path / "recent.json")
    made = len(_models(app.widget))
    assert made < 100, made  # the sample's page held 248 when every view was built with it
    waiting = app.tabs.children[1].children[0]
    assert "Computing this view" in waiting.value
    assert repr(app.widget).count("built when its tab is opened") == 3
    hubspot = load_crm(exports["hubspot"])
    app.set_crm(hubspot)  # a data set loaded before the tab was ever opened
    app.tabs.selected_index = 2
    what_if = app.tabs.children[2].children[0]
    assert what_if is app.what_if.widget and app.what_if.crm is hubspot
    app.tabs.selected_index = 0
    app.tabs.selected_index = 2  # opened again: the same view, not a second one
    assert app.tabs.children[2].children[0] is what_if
    assert app.tabs.children[1].children == (waiting,)  # still waiting: never opened
    assert app.views == (app.explorer, app.what_if)
    assert app.review.crm is hubspot  # read: built on the data shown


def test_a_view_that_cannot_be_computed_says_why_in_its_tab(exports, monkeypatch, tmp_path):
    from crm_course.dashboard import app as app_module

    def broken(crm):
        raise ValueError("regions.csv: no <b>region</b> column")

    app = Dashboard(load_crm(exports["salesforce"]), recent=tmp_path / "recent.json")
    monkeypatch.setattr(app_module, "BeforeAfter", broken)
    app.tabs.selected_index = 1
    said = app.tabs.children[1].children[0].value
    assert "could not be computed: regions.csv: no &lt;b&gt;region&lt;/b&gt; column" in said
    monkeypatch.undo()  # opened again: tried again
    app.tabs.selected_index = 0
    app.tabs.selected_index = 1
    assert app.tabs.children[1].children == (app.review.widget,)


def test_what_if_without_targets_or_orders(sample):
    # a change log, but no KPI targets (uplifts start at 0) and no orders (no margin to
    # price extra deals or kept customers with; logging time saved is still priced)
    tables = {**sample.tables, "kpi_targets": sample.kpi_targets.iloc[:0],
              "orders": sample.orders.iloc[:0]}
    w = WhatIf(CRM(tables, sample.meta))
    assert len(w.plan) == len(sample.changes[sample.changes.kpi.notna()])
    assert (w.plan.uplift == 0).all() and w.plan.target.isna().all()
    assert w.projection.benefit == 0 and w.projection.payback_month is None
    w.uplifts[0].value = 2.0  # active users: priced through lead conversion, not here
    assert w.projection.benefit == 0 and w.projection.not_priced == ("active_user_rate",)
    assert "Not priced: Active user rate." in w.headline_box.value
    assert "nan" not in w.summary.value.lower()
    assert "no target recorded" in repr(w.widget)


def test_explorer_names_kpis_and_areas_for_people_and_starts_on_whole_company(app):
    e = app.explorer
    e.area.value = "service"
    assert ("First response time", "first_response_hours") in e.kpi.options
    assert e.area.label == "Service"
    fresh = Dashboard(e.crm).explorer
    assert fresh.grouping.label == "whole company" and fresh.grouping.index == 0


def test_what_if_sliders_start_on_their_grid(app):
    # a value off the grid min + k x step is snapped by the browser, and the page would
    # then show another plan than the model's (0.3 -> 0.25, 3.8 -> 3.94)
    from crm_course.dashboard.what_if import nice_step, on_grid

    for slider in [*app.what_if.uplifts, *app.what_if.costs]:
        k = (slider.value - slider.min) / slider.step
        assert k == pytest.approx(round(k), abs=1e-9), (slider.description, slider.value)
        assert (slider.max - slider.min) / slider.step == pytest.approx(
            round((slider.max - slider.min) / slider.step), abs=1e-9)
    assert [nice_step(x) for x in (0.125, 0.3, 0.07, 4.0)] == [0.2, 0.5, 0.1, 5.0]
    assert on_grid(0.31, 0.1, math.ceil) == 0.4 and on_grid(12_340, 100, round) == 12_300


def test_every_chart_keeps_its_legend_and_labels_inside_the_svg(app, tmp_path):
    # chart_svg cuts the figure to the tight box of everything drawn: each text and legend
    # must lie inside that box, and the SVG must be that box's size (in points)
    import json as js
    import re

    from class_fixtures import make_class
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.legend import Legend

    from crm_course.dashboard.class_view import ClassView, draw_shares, shares
    from crm_course.dashboard.render import PAD_INCHES, chart_svg, drawn

    (tmp_path / "results.json").write_text(js.dumps(make_class(app.explorer.crm)))
    report = ClassView(tmp_path).report
    app.explorer.grouping.value = "team"  # the longest legend
    draws = [app.explorer._draw, app.review._draw, app.what_if._draw,
             lambda ax: draw_shares(ax, shares(report))]
    for draw in draws:
        with drawn(draw) as figure:
            renderer = FigureCanvasAgg(figure).get_renderer()
            box = figure.get_tightbbox(renderer).padded(PAD_INCHES)
            shown = [a for ax in figure.axes for a in (
                ax.get_legend(), ax.title, ax._left_title, ax.xaxis.label, ax.yaxis.label,
                *ax.texts) if a is not None and a.get_visible()
                and (isinstance(a, Legend) or a.get_text().strip())]
            named = [a.get_text() for a in shown if not isinstance(a, Legend)]
            assert any(isinstance(a, Legend) for a in shown) or (  # or lines named at
                draw == app.review._draw and any("control (" in t for t in named))  # their end
            for artist in [*shown, *figure.axes]:  # axes: with their tick labels
                extent = (artist.get_tightbbox(renderer) if artist in figure.axes
                          else artist.get_window_extent(renderer))
                inches = extent.transformed(figure.dpi_scale_trans.inverted())
                assert (box.x0 - 1e-6 <= inches.x0 and inches.x1 <= box.x1 + 1e-6
                        and box.y0 - 1e-6 <= inches.y0 and inches.y1 <= box.y1 + 1e-6), artist
        svg = chart_svg(draw).decode()
        width, height = (float(v) for v in re.search(
            r'<svg[^>]*width="([\d.]+)pt" height="([\d.]+)pt"', svg).groups())
        # the SVG renderer measures text unhinted, Agg hinted: up to 2% apart on a wide chart
        assert abs(width / (box.width * 72) - 1) < 0.02, (draw, width, box.width * 72)
        assert abs(height / (box.height * 72) - 1) < 0.02, (draw, height, box.height * 72)
        assert chart_svg(draw).decode() == svg  # same chart, same bytes
    app.explorer.grouping.value = WHOLE


def test_first_view_is_the_explorers_chart_and_starts_every_page(app, tmp_path, monkeypatch):
    # the page's first bytes (sent before any kernel, `voila_app`): a document head and the
    # chart and caption the live explorer shows; before a kernel wrote it, a line saying
    # the dashboard is starting; a company name stays escaped text
    from crm_course.dashboard import first_view
    from crm_course.dashboard.serve import FIRST_VIEW_ENV

    monkeypatch.delenv(FIRST_VIEW_ENV, raising=False)
    assert first_view.publish(app) is None  # not served: nothing written
    assert "is starting" in first_view.page_start(tmp_path)  # nothing written yet
    status = app.switch.status.value
    app.switch.status.value = status.replace("<b>", "<b>&lt;script&gt;", 1)
    try:
        monkeypatch.setenv(FIRST_VIEW_ENV, str(tmp_path))
        written = first_view.publish(app)
    finally:
        app.switch.status.value = status
    assert written == tmp_path / first_view.FILE and list(tmp_path.iterdir()) == [written]
    page = first_view.page_start()
    assert page.startswith("<!DOCTYPE html>") and "<meta charset='utf-8'>" in page
    assert "id='crm-first-view'" in page and "is starting" not in page
    assert app.explorer.chart.value in page and app.explorer.note.value in page
    assert "<script>" not in page and "&lt;script&gt;" in page


def test_a_page_that_fails_after_its_first_view_says_so(monkeypatch):
    """Voila failing after the first view went out (a kernel that cannot start) could no
    longer send its error page: the visitor kept a chart promising controls 'in a moment'.
    The handler now appends an alert naming the error (escaped), and a visitor who left
    is not written to."""
    import asyncio
    import types

    from tornado.iostream import StreamClosedError

    from crm_course.dashboard.voila_app import FirstBytesHandler

    def handler(error):
        async def pages(path=None):
            yield "<p>voila's page</p>"
            raise error
        sent = []

        async def flush():
            pass
        return sent, types.SimpleNamespace(
            notebook_path="dashboard.ipynb", get_generator=pages, write=sent.append,
            flush=flush, set_header=lambda *a: None,
            get_argument=lambda name, default=None: default)

    get = FirstBytesHandler.get.__wrapped__  # without tornado's login check
    sent, page = handler(RuntimeError("Kernel died before replying <kernel_info>"))
    asyncio.run(get(page, ""))
    assert sent[0].startswith("<!DOCTYPE html>") and sent[1] == "<p>voila's page</p>"
    assert "could not start" in sent[-1] and "role='alert'" in sent[-1]
    assert "RuntimeError: Kernel died before replying &lt;kernel_info&gt;" in sent[-1]
    assert ".crm-connecting{display:none}" in sent[-1]
    sent, page = handler(StreamClosedError())
    asyncio.run(get(page, ""))
    assert len(sent) == 2  # nothing written to a closed connection


def test_what_if_judges_a_projection_with_its_interval_and_keeps_its_pricing_closed(app):
    """The projected KPIs against their targets in the engine's words ('met', 'not met',
    'cannot tell': the current value's interval moved by the uplift), never 'meets'
    without an interval; the pricing list sits behind its own closed toggle."""
    from crm_course.dashboard.what_if import STATUS, projected_status
    from crm_course.kpis.engine import level_interval

    w = app.what_if
    k = w.projection.kpis.set_index("kpi")
    assert set(w.statuses) <= {"met", "not met", "cannot tell", "no target"}
    assert STATUS in w.summary.value and "meets" not in w.summary.value
    row = k.loc["active_user_rate"]  # hand-checked: the interval decides, not the value
    low, high, _ = level_interval(w.crm, "active_user_rate", *w.crm.period("review"))
    shift = row.projected - row.current
    expected = ("met" if low + shift >= row.target else
                "not met" if high + shift < row.target else "cannot tell")
    assert projected_status(w.crm, "active_user_rate", row.current, row.projected,
                            row.target) == expected
    assert projected_status(w.crm, "active_user_rate", row.current, row.target,
                            row.target) == "cannot tell"  # on the target: its interval straddles
    assert w.pricing.selected_index is None and w.pricing.children == (w.assumptions,)
    assert w.assumptions not in w.widget.children


def test_date_labels_do_not_overlap_on_a_21_month_axis_and_percents_carry_no_zeros():
    """The explorer's chart of a 21-month dataset (the A/B design's): its date labels side
    by side without overlap (the review saw them overlap), and its percent axis without
    needless decimals ('15.00%')."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    from crm_course.dashboard.explorer import KPIExplorer
    from crm_course.dashboard.render import drawn
    from crm_course.designs import get_design_crm

    crm = get_design_crm("ab", 23)
    first, last = crm.period("all")
    assert (last.year - first.year) * 12 + last.month - first.month + 1 == 21
    view = KPIExplorer(crm)
    with drawn(view._draw) as figure:
        FigureCanvasAgg(figure).draw()
        ax = figure.axes[0]
        boxes = sorted((t.get_window_extent() for t in ax.get_xticklabels()
                        if t.get_text()), key=lambda b: b.x0)
        percents = [t.get_text() for t in ax.get_yticklabels() if t.get_text()]
    assert len(boxes) >= 4
    assert all(a.x1 < b.x0 for a, b in zip(boxes, boxes[1:], strict=False)), boxes
    assert percents and not any(re.search(r"\.\d*0%", p) for p in percents), percents


@pytest.mark.parametrize(("step", "expected"), [
    (0.025, ["10%", "12.5%", "15%", "17.5%", "20%", "22.5%"]),  # the review saw '12%', '18%'
    (0.0025, ["97.5%", "97.75%", "98%", "98.25%", "98.5%"]),
    (0.05, ["10%", "15%", "20%", "25%"]),  # no needless decimals ('15.0%')
])
def test_percent_ticks_are_written_as_their_values(step, expected):
    from matplotlib.figure import Figure
    from matplotlib.ticker import FixedLocator, PercentFormatter

    from crm_course.dashboard.render import _percent_labels

    ax = Figure().subplots()
    first = float(expected[0].rstrip("%")) / 100
    ticks = [first + i * step for i in range(len(expected))]
    ax.yaxis.set_major_locator(FixedLocator(ticks))
    ax.yaxis.set_major_formatter(PercentFormatter(1.0))
    _percent_labels(ax)
    assert [ax.yaxis.get_major_formatter()(t, i) for i, t in enumerate(ticks)] == expected


def test_the_explorer_table_judges_the_reports_review_window():
    # the outside review: on an A/B dataset (an 18-month review window) the explorer's
    # table judged the last 3 months (lead conversion 14.6 %, 'cannot tell') while the
    # report and the other tabs judged the review window (13.2 %, 'met')
    from crm_course.dashboard.explorer import latest_values, months, table_window
    from crm_course.designs import get_design_crm

    crm = get_design_crm("ab", 23)
    first, last = crm.period("review")
    assert (last - first).days > 200  # the test's whole length, not a quarter
    whole = (months(crm)[0], months(crm)[-1] + pd.offsets.MonthEnd(0))
    assert table_window(crm, *whole)[:2] == (first, last)
    shown = latest_values(crm, "sales", *whole).set_index("kpi")
    judged = kpis.kpi_table(crm, first, last, kpis=kpis.kpi_names("sales")).set_index("kpi")
    assert shown.loc["lead_conversion_rate", "value"] == judged.loc[
        "lead_conversion_rate", "value"]
    assert shown.status.tolist() == judged.status.tolist()
    # a range that stops earlier: its own last three months, said so
    earlier = table_window(crm, whole[0], pd.Timestamp(last) - pd.offsets.MonthEnd(2))
    assert earlier[2].startswith("the last 3 months") and earlier[1] < last
    # a range of two months is judged whole and called so (it was "the last 3 months")
    short = (pd.Timestamp(first), pd.Timestamp(first) + pd.offsets.MonthEnd(2))
    start, end, said = table_window(crm, *short)
    assert (start, end) == kpis.period(*short) and said.startswith("the whole range")


def test_takeaways_and_the_area_table_sit_behind_closed_toggles(app):
    """The lesson's takeaways are a toggle of the dashboard (not text under every view,
    as a markdown cell after the widget was), and the explorer's area table is behind a
    closed toggle named for what it holds, so a view is its controls and chart."""
    import nbformat

    toggles = {box.titles[0]: box for box in app.widget.children if hasattr(box, "titles")}
    assert "Key takeaways" in toggles and toggles["Key takeaways"].selected_index is None
    assert "control group" in toggles["Key takeaways"].children[0].value
    notebook = nbformat.read(Path(__file__).parents[1] / "notebooks" / "dashboard.ipynb", 4)
    assert not any("Key takeaways" in c.source for c in notebook.cells)
    e = app.explorer
    assert e.latest_box.selected_index is None and e.latest_box.children == (e.latest,)
    assert e.latest_box.titles[0].startswith(f"{e.area.label}: every KPI and its status")


def test_the_dashboard_words_say_where_to_go_and_when_it_listens():
    """The outside review: 20-36 s of silence from `crm-course dashboard` to Voila's
    banner. What it prints at once names the address and what takes the time; a line when
    the port accepts connections (`serve.wait_listening`)."""
    import socket

    from crm_course.dashboard import serve

    assert serve.starting_words(8866) == (
        "Starting the dashboard at http://127.0.0.1:8866/ : drawing the first view, then the "
        "server starts (about 10-30 s) ...")
    assert "http://127.0.0.1:8866/" in serve.ready_words(8866)
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        port = server.getsockname()[1]
        assert not serve.listening(port)
        assert not serve.wait_listening(port, lambda: True, every=0.05, timeout=0.3)
        server.listen()
        assert serve.listening(port)
        assert serve.wait_listening(port, lambda: True, every=0.05, timeout=5)
        assert not serve.wait_listening(port, lambda: False)  # the server stopped first


def test_the_dashboard_command_speaks_before_the_server_listens(tmp_path):
    """The command's first line comes within seconds, before the port accepts connections;
    a port already taken is said instead of announcing another program as the dashboard."""
    import os
    import select
    import signal
    import socket
    import subprocess
    import sys
    import time

    from crm_course.cli import main
    from crm_course.dashboard import serve

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    start = time.monotonic()
    cli = subprocess.Popen([sys.executable, "-m", "crm_course.cli", "dashboard", "--no-browser",
                            f"--port={port}"], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                           text=True, start_new_session=True,
                           env={**os.environ, "PYTHONHASHSEED": "0"})
    try:
        ready, _, _ = select.select([cli.stdout], [], [], 30)
        assert ready, "nothing printed in 30 s"
        first = cli.stdout.readline().rstrip("\n")
        took = time.monotonic() - start
        assert first == serve.starting_words(port)
        assert not serve.listening(port), "printed only once the server listened"
    finally:
        os.killpg(cli.pid, signal.SIGKILL)  # the CLI and its first-view drawing
        cli.wait()
    assert took < 30
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        assert main(["dashboard", "--no-browser", f"--port={taken.getsockname()[1]}"]) == 2
