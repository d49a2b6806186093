"""Shared fixtures: the bundled sample, loaded once per test session, and its reports
(`sample_reports`); the fixture exports imported once (`vendor_export`); the session's
executed notebooks (`notebook_runs`); markers applied by file (``FILE_MARKERS``) or name
(``SLOW_TESTS``)."""

from __future__ import annotations

import hashlib
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


@pytest.fixture(scope="session", autouse=True)
def _session_recent_folders(tmp_path_factory):
    """The dashboard's recent-folders file (`paths.RECENT_ENV`) of the whole session, in its
    temporary folder: servers and kernels a test starts (module fixtures too) inherit it,
    so no test ever writes the user's own list (~/.cache/crm-course/recent-folders.json)."""
    from crm_course.paths import RECENT_ENV, RECENT_FILE

    with pytest.MonkeyPatch.context() as patch:
        patch.setenv(RECENT_ENV, str(tmp_path_factory.getbasetemp() / RECENT_FILE))
        yield


@pytest.fixture(autouse=True)
def _own_recent_folders(request, tmp_path_factory, monkeypatch):
    """Each test's own recent-folders file (`paths.RECENT_ENV`): what one test loads is
    never offered to another, nor written to the user's list."""
    from crm_course.paths import RECENT_ENV

    name = hashlib.sha256(request.node.nodeid.encode()).hexdigest()[:16]
    monkeypatch.setenv(RECENT_ENV, str(tmp_path_factory.getbasetemp() / "recent"
                                       / f"{name}.json"))


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
    "test_dashboard.py::test_every_chart_keeps_its_legend_and_labels_inside_the_svg",
    "test_loader.py::test_cache_is_used_until_a_file_changes",
    "test_loader.py::test_fast_parse_equals_the_careful_one",
    "test_synth.py::test_committed_sample_is_exactly_the_default_generation",
    "test_synth.py::test_scale_grows_the_company",
    "test_synth.py::test_same_seed_gives_the_same_bytes",
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
    # end-to-end tests of 2 s or more each on a loaded machine (a whole import, report,
    # what-if or dashboard view; pytest --durations, 2026-12-07, second pass): `make test`
    # runs them, `make check` keeps the unit tests and the whole-package static checks
    "test_bidi_pages.py::test_the_dashboard_shows_no_direction_control",
    "test_class_view.py::test_the_class_tab_reads_new_results_when_opened_and_says_when_it_read",
    "test_dashboard.py::test_an_ab_test_chart_shows_its_two_halves_as_the_report_compares_them",
    "test_dashboard.py::test_before_after_matches_the_review_functions",
    "test_dashboard.py::test_explorer_splits_by_region_with_the_kpi_library_values",
    "test_dashboard.py::test_export_before_after_without_a_control_group",
    "test_dashboard.py::test_what_if_sliders_move_projection_and_roi",
    "test_feedback_links.py::test_within_groups_sentence_claims_no_link_on_unlinked_data",
    "test_import_filter_first.py::test_a_deleted_row_with_a_retired_stage_is_filtered_before_"
    "labels_are_checked",
    "test_import_formats.py::test_records_read_kept_and_dropped_by_cause",
    "test_import_formats.py::test_report_page_runs_on_an_export_and_names_a_missing_target",
    "test_import_formats.py::test_salesforce_custom_loss_fields_and_case_reasons",
    "test_import_owners.py::test_untranslated_departments_are_warned_by_name_and_the_report_s"
    "ays_not_measured",
    "test_import_reps.py::test_most_departments_empty_warns_and_cautions",
    "test_import_standard_org.py::test_a_standard_org_imports_with_stated_defaults",
    "test_import_standard_org.py::test_every_built_in_mapping_imports_without_its_custom_fields",
    "test_import_undated_closed.py::test_closed_deals_without_a_close_date_are_kept_and_said",
    "test_import_undated_closed.py::test_the_kpis_named_do_leave_the_undated_deals_out",
    "test_importer.py::test_a_number_in_the_other_convention_is_an_error",
    "test_importer.py::test_an_ambiguous_column_needs_the_decimal_confirmed",
    "test_importer.py::test_company_and_control_region_from_the_command_line",
    "test_importer.py::test_ids_made_of_emails_are_hashed",
    "test_importer.py::test_mapping_errors_name_the_file_and_column",
    "test_importer.py::test_pseudonymised_output_holds_no_email_or_phone",
    "test_importer.py::test_zoned_timestamps_need_a_time_zone",
    "test_importer_currency.py::test_several_currencies_are_converted_with_the_rates_given",
    "test_importer_currency.py::test_the_reporting_currency_from_the_option_is_said_so_with_rates",
    "test_importer_date_orders.py::test_a_user_without_a_department_gets_the_mappings_default",
    "test_importer_date_orders.py::test_provenance_on_the_page_and_a_caution_naming_the_kpis_"
    "a_large_drop_can_bias",
    "test_importer_date_orders.py::test_the_data_end_at_the_latest_event_keeps_closes_after_t"
    "he_last_creation",
    "test_importer_partial.py::test_a_partial_export_imports_and_says_what_is_missing",
    "test_importer_partial.py::test_an_export_without_users_keeps_every_deal_and_says_what_is"
    "_not_measured",
    "test_importer_provenance.py::test_hostile_text_survives_the_import_unchanged_and_is_neve"
    "r_markup",
    "test_importer_zones.py::test_zone_less_utc_timestamps_give_the_same_local_times",
    "test_payoff_range.py::test_randomisation_range_is_the_permutation_test_inverted",
    "test_report.py::test_page_has_summary_first_and_nothing_from_outside",
    "test_report_alt_and_windows.py::test_alt_text_uses_the_label_and_names_quarters",
    "test_report_alt_and_windows.py::test_before_after_window_ends_where_the_reports_does",
    "test_report_churn_and_control.py::test_churn_target_is_judged_with_the_kpi_tables_status",
    "test_report_churn_and_control.py::test_no_control_comparison_described_when_the_control_"
    "got_changes",
    "test_roi_one_basis.py::test_one_figure_for_the_naive_roi_everywhere",
    "test_roi_one_definition.py::test_lesson_04_prints_the_plan_roi",
    "test_source.py::test_write_generated_reuses_same_arguments_and_replaces_others",
    "test_verdict_floor.py::test_the_report_says_it_and_emits_no_runtime_warning",
    "test_what_if_value.py::test_lead_conversion_is_priced_on_the_payoff_basis_in_the_lessons"
    "_words",
    "test_what_if_value.py::test_projection_starts_before_the_changes_not_from_the_review_window",
    "test_what_if_value.py::test_sample_default_plan_is_lesson_04s_action_plan_and_every_slid"
    "er_moves_roi",
    "test_what_if_value.py::test_the_projection_states_both_assumptions_and_the_measured_roi_"
    "beside_it",
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
    # a renamed test would silently return to `make check`: its old name must go
    here = Path(__file__).parent
    stale = sorted(t for t in SLOW_TESTS if f"def {t.split('::')[1]}("
                   not in (here / t.split("::")[0]).read_text(encoding="utf-8"))
    if stale:
        raise pytest.UsageError("tests/conftest.py SLOW_TESTS names tests that do not exist "
                                "(renamed or removed): " + ", ".join(stale))


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
