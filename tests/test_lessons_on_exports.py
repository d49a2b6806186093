"""Bring your own CRM: every lesson and the dashboard run headless on the imported
Salesforce and HubSpot fixture exports, skipping (and saying so) what needs tables the
exports lack; ``crm-course run --data`` runs them and writes the report."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import nbformat
import pytest
from notebook_runs import on_export

from crm_course import runner
from crm_course.cli import main
from crm_course.importer import import_export
from crm_course.notebook import SKIPPED
from crm_course.runner import ROOT

LESSONS = sorted((ROOT / "notebooks").glob("*.ipynb"))
EXPORTS = Path(__file__).parent / "fixtures" / "exports"
FORMATS = ("salesforce", "hubspot")


@pytest.fixture(scope="module")
def imported(notebook_runs):
    """{format: dataset folder} of both fixture exports (imported once per session)."""
    return {name: notebook_runs.imported(name) for name in FORMATS}


@pytest.fixture(scope="module")
def runs(imported, notebook_runs):
    """Every lesson run on both imports (the session's shared runs: lessons 01-06 are
    the ones the lesson claims check); {(format, stem): run}."""
    jobs = [(name, nb) for name in FORMATS for nb in LESSONS]
    done = notebook_runs.run([(nb, on_export(nb, imported[name])) for name, nb in jobs])
    return {(name, nb.stem): run for (name, nb), run in zip(jobs, done, strict=True)}


def _texts(path: Path) -> list[tuple[int, str]]:
    """(cell index, text) of every text output of an executed notebook."""
    nb = nbformat.read(path, as_version=4)
    found = []
    for i, cell in enumerate(nb.cells):
        for out in cell.get("outputs", ()):
            text = out.get("text") or out.get("data", {}).get("text/plain", "")
            found.append((i, "".join(text) if isinstance(text, list) else text))
    return found


@pytest.mark.parametrize("name", FORMATS)
@pytest.mark.parametrize("lesson", [p.stem for p in LESSONS])
def test_lesson_runs_on_an_export(runs, name, lesson):
    run = runs[(name, lesson)]
    assert run.error is None, run.error
    for cell, text in _texts(run.output):
        # an unknown value is said in words, never printed as 'nan%' or a NaN target
        assert not re.search(r"\bnan\s*%|target nan", text, re.I), (cell, text)


@pytest.mark.parametrize("name", FORMATS)
def test_designs_lesson_on_an_export_shows_the_samples_designs(runs, name):
    # run with one design (`notebook_runs.ON_EXPORT`): the export's own branch is its
    # first cell; the designs themselves are the sample's, which nbval checks
    texts = " ".join(text for _, text in _texts(runs[(name, "05b_evaluation_designs")].output))
    assert "is not a generated dataset: the designs below are the course's sample" in texts
    assert "Company seed 23" in texts and "shown here: ab" in texts


@pytest.mark.parametrize("lesson, table", [("01_collect_usage_data", "usage_log"),
                                           ("03_gather_feedback", "survey_responses")])
def test_sections_without_data_say_what_is_missing(runs, lesson, table):
    texts = [t for _, t in _texts(runs[("salesforce", lesson)].output) if t.startswith(SKIPPED)]
    assert texts, f"{lesson}: nothing skipped on an export without {table}"
    assert any(f"{table}.csv" in t for t in texts)


def test_run_command_on_an_export(imported, tmp_path, capsys, monkeypatch):
    """`crm-course run --data`: the lessons only (no solutions), then the report. Two of
    them run here (every lesson's run on this export is `runs` above)."""
    listed = runner.course_notebooks(ROOT, ("notebooks",))
    assert [p.name for p in listed] == [p.name for p in LESSONS]
    chosen = [p for p in listed if p.stem in ("00_welcome", "02_analyse_kpis")]
    monkeypatch.setattr(runner, "course_notebooks", lambda root, folders: (
        chosen if folders == ("notebooks",) else pytest.fail(f"runs {folders}")))
    out = tmp_path / "build"
    assert main(["run", "--data", str(imported["hubspot"]), "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    line = next(ln for ln in printed.splitlines() if ln.startswith("empty tables: "))
    assert line.endswith("; cells that need them are skipped"), line
    named = line.removeprefix("empty tables: ").split(";")[0].split(", ")
    assert {"orders", "campaigns", "campaign_members", "usage_log", "survey_responses",
            "changes", "kpi_targets"} <= set(named), line  # the export has none of them
    assert {"users", "accounts", "opportunities"}.isdisjoint(named), line
    assert "2 of 2 notebooks ran" in printed
    assert "cells skipped" in printed
    assert sorted(p.name for p in (out / "notebooks").glob("*.ipynb")) == [
        p.name for p in chosen]
    assert not (out / "solutions").exists()      # solutions answer the sample's questions
    assert (out / "report.html").is_file()


def test_review_without_first_response_times_says_which_column(runs):
    """Salesforce's standard Case has no first-response field: lesson 05 skips its
    response-time tests and names the column and the mapping key to add."""
    texts = [t for _, t in _texts(runs[("salesforce", "05_review_after_three_months")].output)
             if t.startswith(SKIPPED)]
    assert any("tickets.first_response_at" in t and "tables.tickets.columns.first_response_at"
               in t for t in texts)
    assert not [t for _, t in _texts(runs[("hubspot", "05_review_after_three_months")].output)
                if "tickets.first_response_at" in t and t.startswith(SKIPPED)]


def _printed(runs, name: str, lesson: str) -> str:
    return "\n".join(text for _, text in _texts(runs[(name, lesson)].output))


def test_sentences_about_the_data_follow_the_export(runs):
    """Sentences that used to state the sample company's facts on any dataset: the
    baseline called a year, seasonal dips in August and December, the 09-18 hours, churn
    of 0 % and response times of NaN on an export that records neither."""
    welcome = _printed(runs, "salesforce", "00_welcome")
    assert "Baseline (85 days): 07 Jan 2025 to 01 Apr 2025" in welcome
    assert "Business hours:   Mon-Fri 09:00-18:00" in welcome
    assert "Only 4 whole months of leads: too few to see a season." in welcome
    assert "Measured in the baseline:" in welcome and "first year" not in welcome
    for name in FORMATS:
        for lesson in ("00_welcome", "01_collect_usage_data", "02_analyse_kpis"):
            text = _printed(runs, name, lesson)
            assert "baseline year" not in text.lower(), (name, lesson)
            assert not re.search(r"August|December", text), (name, lesson)
    kpis = _printed(runs, "salesforce", "02_analyse_kpis")
    assert "by hand: 0.0%" not in kpis and not re.search(r"hours nan", kpis)
    skipped = [t for _, t in _texts(runs[("salesforce", "02_analyse_kpis")].output)
               if t.startswith(SKIPPED)]
    assert sum("tickets.first_response_at" in t for t in skipped) == 2
    assert sum("accounts.churn_date" in t for t in skipped) == 4
    plan = _printed(runs, "hubspot", "04_implement_changes")
    assert "median, business hours (Mon-Fri 09:00-18:00)" in plan
    assert "won within 30 days / leads at least 30 days old" in plan


def test_no_sample_company_claims_and_money_in_the_export_currency(runs):
    """No lesson output names the sample company on an export, and the HubSpot export's
    dollars are shown as USD (its profile's currency), never as EUR."""
    for name, lesson in runs:
        printed = _printed(runs, name, lesson)
        assert "Brightwater" not in printed, (name, lesson)
        if name == "hubspot":
            assert not re.search(r"\bEUR\b", printed), lesson
    assert "USD" in _printed(runs, "hubspot", "02_analyse_kpis")
    assert "USD" in _printed(runs, "hubspot", "06_report")


def test_review_table_leaves_out_what_it_cannot_compute(runs):
    """Lesson 05 prints 'Not computed: ...' and its before/after table has no NaN row."""
    nb = nbformat.read(runs[("salesforce", "05_review_after_three_months")].output,
                       as_version=4)
    cell = next(c for c in nb.cells if c.cell_type == "code"
                and "Not computed" in c.source and "before_after" in c.source)
    texts = ["".join(o.get("text", "")) + "".join(o.get("data", {}).get("text/plain", ""))
             for o in cell.outputs]
    # line by line: how the kernel split the prints into outputs depends on timing
    assert any(line.startswith("Not computed: first_response_hours")
               for t in texts for line in t.splitlines())
    table = next(t for t in texts if "baseline" in t and "review" in t)
    assert "first_response_hours" not in table and "nan" not in table.lower()
    assert "win_rate" in table


CORE_FILES = ("User.csv", "Account.csv", "Opportunity.csv")   # the core: users, accounts, deals


@pytest.fixture(scope="module")
def core_runs(notebook_runs, tmp_path_factory):
    """Lessons 01, 04 and 06 on a Salesforce export of only the core files; {stem: run}."""
    source = tmp_path_factory.mktemp("core-export")
    for name in CORE_FILES:
        shutil.copy(EXPORTS / "salesforce" / name, source / name)
    data = tmp_path_factory.mktemp("core-data") / "data"
    import_export(source, "salesforce", data)
    chosen = [nb for nb in LESSONS if nb.stem[:2] in ("01", "04", "06")]
    done = notebook_runs.run([(nb, {"data_dir": str(data)}) for nb in chosen])
    return {nb.stem: run for nb, run in zip(chosen, done, strict=True)}


def test_lessons_on_a_core_only_export_say_what_is_not_there(core_runs):
    """No 'nan', no count of records the export does not have ('0 tickets opened'), and
    lesson 01 says what the import did."""
    for stem, run in core_runs.items():
        assert run.error is None, (stem, run.error)
        printed = "\n".join(text for _, text in _texts(run.output))
        assert not re.search(r"\bnan\b|\b0 tickets\b", printed, re.I), stem
    said = "\n".join(t for _, t in _texts(core_runs["01_collect_usage_data"].output))
    assert ("- Imported from a Salesforce export: 41 rows read from 3 file(s), 39 kept, "
            "2 dropped.") in said     # a deal and an account deleted in Salesforce
    assert "Time zone: Europe/Berlin" in said and "Caution" not in said
    plan = _texts(core_runs["04_implement_changes"].output)
    assert not any("Completeness" in t for _, t in plan)
    assert sum(t.startswith(SKIPPED) and "contacts" in t for _, t in plan) >= 3
