"""What the import did, as data on the loaded dataset (`CRM.provenance`), impossible date
orders listed and counted, and hostile text surviving the import without being run."""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd

from crm_course.data import load_crm
from crm_course.importer import import_export
from crm_course.report_page import build_report

SALESFORCE = Path(__file__).parent / "fixtures" / "exports" / "salesforce"
HOSTILE = {"formula": "=cmd|' /C calc'!A0", "script": "<script>alert(1)</script>",
           "bidi": "Acme \u202egnp.exe"}


def _edit(tmp_path: Path, file: str, changes: dict[tuple[int, str], str]) -> Path:
    folder = tmp_path / "export"
    if not folder.exists():
        shutil.copytree(SALESFORCE, folder)
    frame = pd.read_csv(folder / file, dtype=str, keep_default_na=False)
    for (row, column), value in changes.items():
        frame.loc[row, column] = value
    frame.to_csv(folder / file, index=False)
    return folder


def test_provenance_counts_rows_read_kept_and_dropped_by_cause(tmp_path):
    import_export(SALESFORCE, "salesforce", tmp_path / "out")
    crm = load_crm(tmp_path / "out")
    made = crm.provenance
    assert made["tables"]["contacts"] == {
        "file": "Contact.csv", "rows_read": 13, "rows_kept": 12,
        "dropped": {"'AccountId' not found in Account.csv": 1}}
    assert made["tables"]["opportunities"]["rows_kept"] == len(crm.opportunities) == 23
    for entry in made["tables"].values():   # every row read is kept or dropped for a cause
        assert entry["rows_read"] == entry["rows_kept"] + sum(entry["dropped"].values())
    assert {"table": "opportunities", "column": "source", "file": "Opportunity.csv",
            "source": "LeadSource", "default": "Other", "rows": 1} in made["filled"]
    assert made["currency"] == {"code": "EUR", "conversions": [],
                                "source": "the export's column 'CurrencyIsoCode'"}
    assert made["time_zone"]["zone"] == "Europe/Berlin"
    assert "6 active user(s): Europe/Berlin 6" in made["time_zone"]["source"]
    assert made["absent"]["usage_log"] == "not in the mapping"


def test_deals_closed_before_they_were_created_are_listed_and_counted(tmp_path):
    source = _edit(tmp_path, "Opportunity.csv", {(0, "CloseDate"): "2024-12-01",
                                                 (1, "CloseDate"): "2024-12-02"})
    ids = pd.read_csv(source / "Opportunity.csv", dtype=str).Id[:2].tolist()
    report = import_export(source, "salesforce", tmp_path / "out")
    key = "opportunities.close_date before created_date"
    assert report.impossible == {key: sorted(ids)}
    assert load_crm(tmp_path / "out").provenance["impossible_orders"] == {key: 2}
    text = (tmp_path / "out" / "import_report.md").read_text(encoding="utf-8")
    assert "## Impossible orders (kept, listed)" in text and f"{ids[0]}" in text


def test_hostile_text_survives_the_import_unchanged_and_is_never_markup(tmp_path):
    source = _edit(tmp_path, "Account.csv", {(0, "Name"): HOSTILE["formula"],
                                             (1, "Name"): HOSTILE["script"],
                                             (2, "Industry"): HOSTILE["bidi"]})
    _edit(tmp_path, "User.csv", {(0, "LastName"): HOSTILE["script"]})
    import_export(source, "salesforce", tmp_path / "out")
    crm = load_crm(tmp_path / "out")
    names = crm.accounts.name.tolist()
    assert HOSTILE["formula"] in names and HOSTILE["script"] in names   # data kept as is
    assert HOSTILE["bidi"] in set(crm.accounts.industry.astype(str))
    report = (tmp_path / "out" / "import_report.md").read_text(encoding="utf-8")
    assert "<script>" not in report and "\u202e" not in report
    page = build_report(tmp_path / "r.html", data_dir=tmp_path / "out", focus="all")
    html = page.read_text(encoding="utf-8")
    assert "<script>alert(1)" not in html and "\u202e" not in html
