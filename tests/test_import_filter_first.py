"""The mapping's row filter (``where``) runs before any value is read: a deleted row's
retired stage or unreadable amount does not block the import, and the import report
still lists the row the filter removed."""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd

from crm_course.data import load_crm
from crm_course.importer import import_export

EXPORTS = Path(__file__).parent / "fixtures" / "exports"


def test_a_deleted_row_with_a_retired_stage_is_filtered_before_labels_are_checked(tmp_path):
    folder = tmp_path / "export"
    shutil.copytree(EXPORTS / "salesforce", folder)
    deals = pd.read_csv(folder / "Opportunity.csv", dtype=str, keep_default_na=False)
    deleted = deals.index[deals.IsDeleted == "true"][0]
    deals.loc[deleted, ["StageName", "Amount"]] = ["Retired Stage 2019", "12x00"]
    deals.to_csv(folder / "Opportunity.csv", index=False)
    report = import_export(folder, "salesforce", tmp_path / "out")
    filtered = [d for d in report.dropped if d.table == "opportunities"
                and d.reason.startswith("filtered out:")]
    assert [(d.line, d.key) for d in filtered] == [(deleted + 2, deals.Id[deleted])]
    assert deals.Id[deleted] not in set(load_crm(tmp_path / "out").opportunities
                                        .opportunity_id)
    text = (tmp_path / "out" / "import_report.md").read_text(encoding="utf-8")
    assert f"| Opportunity.csv | {deleted + 2} | {deals.Id[deleted]} |" in text
    assert "Retired Stage 2019" not in text


def test_a_pipedrive_deal_with_status_deleted_is_filtered_by_where(tmp_path):
    folder = tmp_path / "export"
    shutil.copytree(EXPORTS / "pipedrive", folder)
    deals = pd.read_csv(folder / "deals.csv", dtype=str, keep_default_na=False)
    deals.loc[0, ["Deal - Status", "Deal - Stage"]] = ["deleted", "Old stage"]
    deals.to_csv(folder / "deals.csv", index=False)
    mapping = tmp_path / "pipedrive.yml"
    text = (Path(__file__).parents[1] / "helpers" / "crm_course" / "importer" / "mappings"
            / "pipedrive.yml").read_text(encoding="utf-8")
    mapping.write_text(text.replace("  opportunities:\n", "  opportunities:\n    where: "
                                    "{Deal - Status: [open, won, lost]}\n", 1),
                       encoding="utf-8")
    report = import_export(folder, mapping, tmp_path / "out")
    assert [(d.line, d.key, d.reason) for d in report.dropped
            if d.table == "opportunities"] == [
        (2, deals["Deal - ID"][0], "filtered out: 'Deal - Status' not open or won or lost "
                                   "(where in pipedrive.yml)")]
