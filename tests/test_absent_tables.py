"""Datasets without some tables (a CRM export): `CRM.missing`, `kpi_table`'s notes,
`kpis.targets`, and the lessons' ``%%needs`` cells."""

from __future__ import annotations

import math
from pathlib import Path

import pandas as pd
import pytest
from IPython.core.interactiveshell import InteractiveShell
from kpi_fixtures import make_crm

from crm_course import kpis
from crm_course.data import CRM
from crm_course.notebook import Skipped, transform

JAN = ("2025-01-01", "2025-01-31")


@pytest.fixture(scope="module")
def export():
    """Opportunities and accounts only; no usage log, survey, orders, targets ..."""
    return make_crm(
        accounts=[{"account_id": "A1", "customer_since": "2024-06-01", "churn_date": None}],
        opportunities=[
            {"opportunity_id": "O1", "account_id": "A1", "owner_id": "U1",
             "created_date": "2025-01-02", "close_date": "2025-01-12", "stage": "won",
             "furthest_stage": "won", "amount": 1000}])


@pytest.fixture
def shell(export):
    ip = InteractiveShell.instance()
    ip.run_line_magic("load_ext", "crm_course")
    ip.user_ns["crm"] = export
    yield ip
    ip.user_ns.pop("crm", None)


def test_missing_names_empty_tables_and_null_metadata(export):
    assert "usage_log" in export.absent and "opportunities" not in export.absent
    assert export.missing("opportunities", "usage_log", "survey_responses") == [
        "usage_log", "survey_responses"]
    export.meta["control_region"] = None
    assert export.missing("control_region", "data_start") == ["control_region"]
    with pytest.raises(ValueError, match="unknown table, column or metadata key 'usage_logs'"
                                         ".*did you mean 'usage_log'"):
        export.missing("usage_logs")


def test_an_empty_column_is_missing_like_an_empty_table(export, sample):
    # tickets is empty: named as the table; the amounts are there, no churn date is
    assert export.missing("tickets.first_response_at", "opportunities.amount",
                          "accounts.churn_date", "tickets") == ["tickets",
                                                                "accounts.churn_date"]
    assert sample.missing("tickets.first_response_at", "accounts.churn_date") == []
    with pytest.raises(ValueError, match="did you mean 'tickets.first_response_at'"):
        export.missing("tickets.first_respons_at")


def test_churn_without_churn_dates_is_not_recorded(sample):
    from crm_course.data import CRM

    accounts = sample.accounts.assign(churn_date=pd.NaT)
    blind = CRM({**sample.tables, "accounts": accounts}, sample.meta)
    quarter = ("2025-04-01", "2025-06-30")
    assert kpis.churn_rate(sample, *quarter) > 0
    assert math.isnan(kpis.churn_rate(blind, *quarter))
    assert math.isnan(kpis.retention_rate(blind, *quarter))
    assert kpis.churn_rate(blind, *quarter, by="region").isna().all()
    row = kpis.kpi_table(blind, *quarter, kpis=["churn_rate"]).set_index("kpi")
    assert row.note["churn_rate"] == (
        "no data: the customer accounts have no churn date; map the column in the import "
        "mapping: tables.accounts.columns.churn_date")


def test_kpi_table_names_the_empty_tables(export):
    row = kpis.kpi_table(export, *JAN).set_index("kpi")
    assert row.loc["lead_conversion_rate", "value"] == 1.0
    assert row.loc["lead_conversion_rate", "note"] == ""
    for name, note in [("active_user_rate", "usage log"), ("sus_score", "user survey"),
                       ("average_order_value", "orders"),
                       ("changes_roi", "change log or orders")]:
        assert math.isnan(row.loc[name, "value"]), name
        assert row.loc[name, "note"] == f"no data: the dataset has no {note}", name
    # also when split: every group unknown, same note
    split = kpis.kpi_table(export, *JAN, by="region", kpis=["active_user_rate"])
    assert split.value.isna().all() and (split.note.str.startswith("no data")).all()


def test_every_kpi_needs_known_tables():
    from crm_course.schema import TABLES
    for k in kpis.REGISTRY.values():
        assert k.tables and {t.split(".")[0] for t in k.tables} <= set(TABLES), k.name
        for need in k.tables:
            table, _, column = need.partition(".")
            assert not column or column in TABLES[table].column_names, need
    assert kpis.REGISTRY["sus_score"].tables == ("survey_responses",)
    assert kpis.registry_table().set_index("name").loc["crm_roi", "needs"] == (
        "kpi_targets, opportunities, orders")


def test_targets_has_every_kpi_and_nan_where_not_recorded(export):
    frame = kpis.targets(export)
    assert list(frame.index) == kpis.kpi_names()
    assert list(frame.columns) == ["baseline", "target", "benchmark", "period", "target_date"]
    assert frame.isna().all().all()


def test_targets_reads_the_recorded_rows(sample):
    frame = kpis.targets(sample)
    assert frame.loc["win_rate", "target"] == 0.18
    assert math.isnan(frame.loc["average_deal_size", "benchmark"])
    assert math.isnan(frame.loc["pipeline_value", "target"])


def test_needs_transform_runs_keeps_or_skips(export):
    ns = {"crm": export}
    code = ["%%needs opportunities\n", "x = 1\n"]
    assert transform(code, ns) == ["\n", "x = 1\n"]                   # line numbers kept
    assert transform(["x = 1\n"], ns) == ["x = 1\n"]                  # other cells untouched
    skipped = transform(["%%needs usage_log survey_responses\n", "x = 1\n"], ns)
    assert len(skipped) == 1 and "Skipped(('usage_log', 'survey_responses')" in skipped[0]
    with pytest.raises(ValueError, match="name the tables"):
        transform(["%%needs\n", "x\n"], ns)
    with pytest.raises(NameError, match="variable `crm`"):
        transform(["%%needs usage_log\n", "x\n"], {})


def test_needs_a_column(export):
    ns = {"crm": export}
    assert transform(["%%needs opportunities.amount\n", "x\n"], ns) == ["\n", "x\n"]
    skipped = transform(["%%needs opportunities tickets.csat\n", "x\n"], ns)
    assert "Skipped(('tickets',)" in skipped[0]
    skipped = transform(["%%needs accounts.churn_date\n", "x\n"], ns)
    assert "Skipped(('accounts.churn_date',)" in skipped[0]
    located = CRM(export.tables, export.meta, Path("/home/someone/exports/acme"))
    skipped = transform(["%%needs tickets\n", "x\n"], {"crm": located})
    assert "'acme')" in skipped[0] and "/home/someone" not in skipped[0]   # folder name
    text = repr(Skipped(("tickets.csat", "control_region"), "export"))
    assert text == ("Skipped: this cell needs tickets.csat, control_region in dataset.json, "
                    "which are empty in this dataset (export). To see this analysis, map "
                    "tickets.csat in the import mapping (a tables.tickets.columns.csat entry) "
                    "and set it in dataset.json; the committed lesson shows it on the sample "
                    "company.")


def test_needs_cell_in_a_shell(shell):
    result = shell.run_cell("%%needs usage_log\nnever = 1\nnever")
    assert result.success and isinstance(result.result, Skipped)
    assert "never" not in shell.user_ns
    assert "usage_log.csv" in repr(result.result)
    assert "**Skipped:**" in result.result._repr_markdown_()
    result = shell.run_cell("%%needs opportunities\nn = len(crm.opportunities)\nn")
    assert result.success and result.result == 1 and shell.user_ns["n"] == 1
    failing = shell.run_cell("%%needs opportunities\n1 / 0")
    assert not failing.success                                       # errors still fail
    assert isinstance(failing.error_in_exec, ZeroDivisionError)
    shell.run_line_magic("load_ext", "crm_course")                   # loading twice is fine
    needs = [t for t in shell.input_transformers_cleanup
             if getattr(t, "crm_course_needs", False)]
    assert len(needs) == 1
