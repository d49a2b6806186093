"""Time zones: zone-less timestamps get the zone the mapping declares (Salesforce's Data
Export: UTC), the company's zone comes from --time-zone or the active users' majority
(counts shown), and import_report.md says which zone was assumed for what."""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
import pytest

from crm_course.data import load_crm
from crm_course.importer import MappingError, import_export

SALESFORCE = Path(__file__).parent / "fixtures" / "exports" / "salesforce"


def _export(tmp_path: Path, users: dict | None = None, strip_zone: bool = False) -> Path:
    folder = tmp_path / "export"
    shutil.copytree(SALESFORCE, folder)
    if strip_zone:   # '2025-01-07T08:15:00.000Z' -> '2025-01-07 08:15:00', as real exports
        for path in folder.glob("*.csv"):
            frame = pd.read_csv(path, dtype=str, keep_default_na=False)
            for column in frame.columns:
                frame[column] = frame[column].str.replace(
                    r"^(\d{4}-\d\d-\d\d)T(\d\d:\d\d:\d\d)\.000Z$", r"\1 \2", regex=True)
            frame.to_csv(path, index=False)
    if users:
        frame = pd.read_csv(folder / "User.csv", dtype=str, keep_default_na=False)
        for column, values in users.items():
            frame[column] = values
        frame.to_csv(folder / "User.csv", index=False)
    return folder


def test_zone_less_utc_timestamps_give_the_same_local_times(tmp_path):
    zoned = import_export(SALESFORCE, "salesforce", tmp_path / "zoned")
    plain = import_export(_export(tmp_path, strip_zone=True), "salesforce", tmp_path / "plain")
    a, b = load_crm(tmp_path / "zoned"), load_crm(tmp_path / "plain")
    for name in ("opportunities", "tickets", "users", "accounts"):
        pd.testing.assert_frame_equal(a.tables[name], b.tables[name])
    assert (a.tickets.created_at != a.tickets.created_at.dt.normalize()).any()
    text = (tmp_path / "plain" / "import_report.md").read_text(encoding="utf-8")
    assert ("- Case.csv, column 'CreatedDate' (tickets.created_at): 12 timestamp(s) without a "
            "zone taken as UTC ('timestamps: utc' in salesforce.yml) and converted to "
            "Europe/Berlin") in text
    assert "CloseDate" not in text.split("## Time zones assumed")[1].split("##")[0]
    assert zoned.metadata["time_zone"] == plain.metadata["time_zone"] == "Europe/Berlin"


def test_a_late_utc_timestamp_falls_on_the_local_day(tmp_path):
    """20:47 UTC on 7 February is 14:47 the same day in Mexico City, 21:47 in Berlin;
    01:30 UTC on 8 February is still 7 February in Mexico City."""
    source = _export(tmp_path, strip_zone=True)
    deals = pd.read_csv(source / "Opportunity.csv", dtype=str, keep_default_na=False)
    deals.loc[0, "CreatedDate"] = "2025-02-08 01:30:00"
    deals.to_csv(source / "Opportunity.csv", index=False)
    import_export(source, "salesforce", tmp_path / "mx", time_zone="America/Mexico_City")
    created = load_crm(tmp_path / "mx").opportunities.set_index("opportunity_id").created_date
    assert created[deals.Id[0]] == pd.Timestamp("2025-02-07")


def test_the_company_zone_is_the_active_users_majority_with_counts(tmp_path):
    source = _export(tmp_path, users={
        "TimeZoneSidKey": ["America/Los_Angeles"] * 4 + ["America/Mexico_City"] * 2,
        "IsActive": ["false"] * 4 + ["true"] * 2})
    report = import_export(source, "salesforce", tmp_path / "out")
    assert report.metadata["time_zone"] == "America/Mexico_City"
    text = (tmp_path / "out" / "import_report.md").read_text(encoding="utf-8")
    assert ("- Time zone: America/Mexico_City (from User.csv, column 'TimeZoneSidKey', most "
            "common among 2 active user(s): America/Mexico_City 2 (4 inactive, system or "
            "integration user(s) ignored))"
            ) in text


def test_system_and_integration_users_do_not_vote_for_the_zone(tmp_path):
    # the finding: active AutomatedProcess / integration users in Los Angeles outvoted the
    # company's people in Mexico City
    source = _export(tmp_path, users={
        "TimeZoneSidKey": ["America/Los_Angeles"] * 4 + ["America/Mexico_City"] * 2,
        "IsActive": ["true"] * 6,
        "UserType": ["AutomatedProcess", "CloudIntegrationUser", "LicenseManager",
                     "automatedprocess", "Standard", "Standard"]})
    report = import_export(source, "salesforce", tmp_path / "out")
    assert report.metadata["time_zone"] == "America/Mexico_City"
    text = (tmp_path / "out" / "import_report.md").read_text(encoding="utf-8")
    assert ("most common among 2 active user(s): America/Mexico_City 2 (4 inactive, system "
            "or integration user(s) ignored)") in text


def test_a_tie_among_active_users_asks_for_the_time_zone(tmp_path):
    source = _export(tmp_path, users={
        "TimeZoneSidKey": ["Europe/Berlin"] * 3 + ["Europe/Madrid"] * 3})
    with pytest.raises(MappingError, match="cannot tell the company's time zone from the "
                                           "active users \\(Europe/Berlin 3, Europe/Madrid 3\\)"
                                           "; pass --time-zone"):
        import_export(source, "salesforce", tmp_path / "out")
    import_export(source, "salesforce", tmp_path / "out", time_zone="Europe/Madrid")
    assert "(from --time-zone)" in (tmp_path / "out" / "import_report.md").read_text()
