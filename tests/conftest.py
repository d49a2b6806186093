"""Shared fixtures: the bundled sample, loaded once per test session, and its reports
(`sample_reports`); the fixture exports imported once (`vendor_export`); the session's
executed notebooks (`notebook_runs`); markers applied by file (``FILE_MARKERS``) or name
(``SLOW_TESTS``)."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest
from notebook_runs import NotebookRuns

from crm_course.data import load_crm
from crm_course.executor import without_iri_checker

# the test modules import nbformat: without jsonschema's IRI checker, which no test uses,
# that import costs each process (an xdist worker) 0.1 CPU-s instead of 1.4
without_iri_checker()

DATASETS = Path(__file__).resolve().parents[1] / "datasets"
EXPORTS = Path(__file__).resolve().parent / "fixtures" / "exports"


@pytest.fixture(scope="session")
def sample():
    """The bundled sample dataset (datasets/), parsed and validated."""
    return load_crm()


class SampleReports:
    """The report on the bundled sample, assembled (``report(focus)``) and rendered
    (``page(focus)``) once per focus and session (xdist worker). Read them. (The package
    is imported in the fixtures: xdist's controller, which runs no test, never does.)"""

    def __init__(self, crm):
        self.crm, self.reports, self.pages = crm, {}, {}

    def report(self, focus: str):
        """`report.assemble` on the sample; ``focus``: 'sales', 'all', ..."""
        from crm_course.report import assemble

        if focus not in self.reports:
            self.reports[focus] = assemble(self.crm, focus)
        return self.reports[focus]

    def page(self, focus: str) -> str:
        """The report page's HTML of ``report(focus)``; ``focus``: as for `report`."""
        from crm_course.report_page import render

        if focus not in self.pages:
            self.pages[focus] = render(self.crm, self.report(focus))
        return self.pages[focus]


@pytest.fixture(scope="session")
def sample_reports(sample) -> SampleReports:
    """The sample's reports and pages, shared by the test files (`SampleReports`)."""
    return SampleReports(sample)


@pytest.fixture(scope="session")
def notebook_runs(tmp_path_factory) -> NotebookRuns:
    """Notebook executions shared by every test file and xdist worker of the session:
    stored in the parent of the workers' basetemp (one folder per ``pytest`` run)."""
    base = tmp_path_factory.getbasetemp()
    shared = base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base
    return NotebookRuns(shared / "notebook-runs")


@pytest.fixture(scope="session")
def vendor_export(tmp_path_factory):
    """``vendor_export(folder, mapping)``: the fixture export ``folder``
    (tests/fixtures/exports) imported with the built-in ``mapping``, once per session
    (xdist worker) for every file that reads it: (import report, output folder). Read
    them; a test that changes the output imports its own copy."""
    from crm_course.importer import import_export

    done = {}

    def imported(folder: str, mapping: str):
        if (folder, mapping) not in done:
            out = tmp_path_factory.mktemp(folder) / "data"
            done[folder, mapping] = import_export(EXPORTS / folder, mapping, out), out
        return done[folder, mapping]
    return imported


@pytest.fixture
def sample_dir_copy():
    """``copy(folder, **meta)``: the bundled sample copied into ``folder`` with
    ``dataset.json`` keys replaced (e.g. a hostile company name); returns the folder."""
    def copy(folder: Path, **meta) -> Path:
        target = Path(folder) / "dataset"
        shutil.copytree(DATASETS, target)
        path = target / "dataset.json"
        path.write_text(json.dumps({**json.loads(path.read_text()), **meta}, indent=2),
                        encoding="utf-8")
        return target
    return copy


# markers by test file (pyproject.toml describes them): `make check` deselects them all,
# `make test` runs all but `integration` (and `claims`, `bench`)
FILE_MARKERS = {
    "notebook": {"test_lesson_claims.py", "test_lesson_claims_more.py",
                 "test_lesson_kpi_numbers.py", "test_lessons_papermill.py",
                 "test_solutions_papermill.py",
                 "test_lessons_on_exports.py", "test_notebook_runs.py", "test_executor.py",
                 "test_hostile.py", "test_grading.py", "test_grading_identity.py",
                 "test_hub.py", "test_vocabularies.py", "test_designs_lesson.py",
                 "test_warm_kernel.py"},
    "browser": {"test_dashboard_browser.py", "test_dashboard_page.py",
                "test_dashboard_xss.py", "test_report_browser.py", "test_hub_browser.py"},
    "hub": {"test_hub.py", "test_hub_browser.py"},
    # the whole report, dashboard or book on several seeds: 9-20 CPU-s a file; the 383
    # exercise-bank cases 43 CPU-s; generation per seed; the fuzzed exports (profiled
    # 2026-12-07): in `make test`, not `make check`
    "slow": {"test_claims_seeds.py", "test_claims_null.py", "test_designs_data.py",
             "test_book.py", "test_dashboard_report.py", "test_consistency.py",
             "test_dashboard_words.py", "test_exercise_banks.py", "test_synth_added.py",
             "test_importer_fuzz.py"},
    # whole services end to end, a minute or more of wall each: `make integration` (CI
    # runs it after `make test`)
    "integration": {"test_hub_browser.py", "test_hostile.py", "test_dashboard_browser.py",
                    "test_dashboard_page.py", "test_dashboard_xss.py"},
}
# single tests of several CPU-seconds (whole generation, parse or report), kept out of
# `make check` so it stays under a minute (pytest --durations, 2026-12-07)
SLOW_TESTS = {
    "test_class_view.py::test_the_dashboard_opens_the_class_tab_from_a_results_folder",
    "test_dashboard.py::test_every_chart_keeps_its_legend_and_labels_inside_the_png",
    "test_dashboard.py::test_every_chart_keeps_its_legend_and_labels_inside_the_svg",
    "test_loader.py::test_cache_is_used_until_a_file_changes",
    "test_loader.py::test_fast_parse_equals_the_careful_one",
    "test_synth.py::test_committed_sample_is_exactly_the_default_generation",
    "test_synth.py::test_scale_grows_the_company",
    "test_synth.py::test_same_seed_gives_the_same_bytes",
    "test_what_if_value.py::test_sample_default_plan_is_target_minus_baseline_and_every_"
    "slider_moves_roi",
    "test_report_outlook.py::test_outlook_claims_nothing_on_effect_0_data",
    # every test on the report of seed 61's no-effect data (its fixture: 2.3 CPU-s)
    "test_report_null_sentences.py::test_no_sentence_implies_an_effect_without_a_test",
    "test_report_null_sentences.py::test_cause_section_states_every_check_and_credits_nothing",
    "test_report_null_sentences.py::test_roi_in_percent_never_below_minus_100_and_never_no_roi",
    "test_report_null_sentences.py::test_the_roi_range_says_four_regions_bound_no_range",
    "test_report_null_sentences.py::test_alt_text_names_no_young_month_as_lowest_or_highest",
    # `crm-course dashboard` started for real: Voila and its pre-heated kernels (6 CPU-s)
    "test_dashboard_kernels.py::test_sigterm_to_the_dashboard_command_stops_voila_and_its_"
    "kernels",
    # the whole report on a changed copy of the sample, 1.1-1.7 CPU-s each (2026-12-07)
    "test_registry_entry.py::test_one_entry_is_enough_for_table_compute_report_and_dashboard",
    "test_bidi_pages.py::test_the_report_page_shows_no_direction_control",
    "test_policies.py::test_report_uses_45_days_8_to_17_and_north",
    "test_importer_date_orders.py::test_the_report_page_counts_impossible_orders_in_its_data_"
    "quality_section",
    "test_report.py::test_hostile_company_name_is_escaped",
}


def pytest_collection_modifyitems(items):
    """Mark every test by its file (``FILE_MARKERS``) or name (``SLOW_TESTS``); nbval's
    cells and every test reading the session's executed notebooks (`notebook_runs`) are
    `notebook`."""
    for item in items:
        name = item.path.name
        if f"{name}::{getattr(item, 'originalname', item.name)}" in SLOW_TESTS:
            item.add_marker("slow")
        if item.path.suffix == ".ipynb" or "notebook_runs" in getattr(item, "fixturenames",
                                                                      ()):
            item.add_marker("notebook")
        for marker, files in FILE_MARKERS.items():
            if name in files:
                item.add_marker(marker)


def pytest_terminal_summary(terminalreporter, config):
    """How many notebook executions the shared store made (xdist: read by the controller
    from the workers' shared folder)."""
    factory = getattr(config, "_tmp_path_factory", None)
    log = factory and factory.getbasetemp() / "notebook-runs" / "executed.txt"
    if log and log.is_file():
        lines = log.read_text().splitlines()
        seconds = sum(float(line.split()[1]) for line in lines)
        terminalreporter.write_line(f"notebook_runs: {len(lines)} notebook executions, "
                                    f"{seconds:.0f} s of run time")


# hostile notebooks are run only by the grader, in its sandbox (tests/test_hostile.py),
# never by nbval
collect_ignore_glob = ["hostile/*.ipynb"]
