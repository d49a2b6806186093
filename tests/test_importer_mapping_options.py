"""Mapping options users need on real exports: ``where`` row filters, a delimiter per
file, and duplicate keys told apart (exact copies vs conflicts, with the rule used)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd

from crm_course.data import load_crm
from crm_course.importer import import_export
from crm_course.importer.mapping import MAPPINGS_DIR

SALESFORCE = Path(__file__).parent / "fixtures" / "exports" / "salesforce"


def _mapping(tmp_path: Path, old: str, new: str) -> Path:
    text = (MAPPINGS_DIR / "salesforce.yml").read_text(encoding="utf-8")
    assert old in text
    path = tmp_path / "my.yml"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    return path


def _export(tmp_path: Path) -> Path:
    folder = tmp_path / "export"
    shutil.copytree(SALESFORCE, folder)
    return folder


def test_where_filters_rows_and_counts_them_as_filtered(tmp_path):
    source = _export(tmp_path)
    deals = pd.read_csv(source / "Opportunity.csv", dtype=str, keep_default_na=False)
    deals["IsDeleted"] = ["true", "1"] + ["false"] * (len(deals) - 2)
    deals.to_csv(source / "Opportunity.csv", index=False)
    mapping = _mapping(tmp_path, "    file: Opportunity.csv\n",
                       "    file: Opportunity.csv\n    where: {IsDeleted: false}\n")
    report = import_export(source, mapping, tmp_path / "out")
    kept = load_crm(tmp_path / "out").opportunities.opportunity_id
    assert len(kept) == len(deals) - 2 and not set(deals.Id[:2]) & set(kept)
    assert report.dropped_by_cause("opportunities") == {
        "filtered out: 'IsDeleted' not false (where in my.yml)": 2}


def test_a_file_can_have_its_own_delimiter(tmp_path):
    source = _export(tmp_path)
    users = pd.read_csv(source / "User.csv", dtype=str, keep_default_na=False)
    users.to_csv(source / "User.csv", sep=";", index=False)
    mapping = _mapping(tmp_path, "    file: User.csv\n", "    file: User.csv\n"
                       "    delimiter: \";\"\n")
    import_export(source, mapping, tmp_path / "out")
    assert len(load_crm(tmp_path / "out").users) == 6


def test_conflicting_duplicates_are_reported_apart_from_exact_copies(tmp_path):
    source = _export(tmp_path)
    path = source / "Opportunity.csv"
    deals = pd.read_csv(path, dtype=str, keep_default_na=False)
    copy, conflict = deals.iloc[[0]], deals.iloc[[1]].assign(Amount="5000.0")
    pd.concat([deals, copy, conflict]).to_csv(path, index=False)
    report = import_export(source, "salesforce", tmp_path / "out")
    amounts = load_crm(tmp_path / "out").opportunities.set_index("opportunity_id").amount
    assert amounts[deals.Id[1]] == float(deals.Amount[1])      # the first row is kept
    assert report.dropped_by_cause("opportunities") == {
        "conflicting duplicate: repeats the key opportunity_id of an earlier row with other "
        "values; the first row is kept": 1,
        "exact copy of an earlier row (key opportunity_id)": 1,
        "filtered out: 'IsDeleted' not false (where in salesforce.yml)": 1}
    reasons = {d.reason for d in report.dropped}
    assert "repeats the key opportunity_id of line 3 with other values (amount); the first " \
           "row is kept" in reasons
