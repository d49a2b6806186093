"""The registry and `kpi_table`: names, metadata, grouping, status and argument errors."""

from __future__ import annotations

import math

import pandas as pd
import pytest
from kpi_fixtures import USERS, empty_crm, make_crm

from crm_course import kpis
from crm_course.kpis import REGISTRY, evaluation, kpi_names, kpi_table

JAN = ("2025-01-01", "2025-01-31")
TARGET_NAMES = ["lead_conversion_rate", "win_rate", "sales_cycle_days", "average_deal_size",
                "campaign_response_rate", "first_response_hours", "resolution_hours", "csat",
                "churn_rate", "active_user_rate", "sus_score", "data_quality_score"]


@pytest.fixture(scope="module")
def crm():
    return make_crm(
        opportunities=[
            {"opportunity_id": "O1", "owner_id": "U1", "created_date": "2025-01-02",
             "close_date": "2025-01-12", "stage": "won", "furthest_stage": "won",
             "amount": 1000},
            {"opportunity_id": "O2", "owner_id": "U2", "created_date": "2025-01-05",
             "close_date": "2025-01-10", "stage": "lost", "amount": 500},
            {"opportunity_id": "O3", "owner_id": "U2", "created_date": "2025-01-06",
             "close_date": "2025-01-20", "stage": "won", "furthest_stage": "won",
             "amount": 3000},
        ],
        tickets=[{"agent_id": "U3", "created_at": "2025-01-07 10:00",
                  "first_response_at": "2025-01-07 13:00"}],
        kpi_targets=[
            {"kpi": "win_rate", "baseline": 0.5, "target": 0.6, "benchmark": 0.2},
            {"kpi": "sales_cycle_days", "baseline": 16, "target": 14},
            {"kpi": "first_response_hours", "baseline": 2, "target": 1.5},
            {"kpi": "csat", "baseline": 0.7, "target": 0.8},
        ])


def test_registry_has_the_names_the_data_uses():
    for name in TARGET_NAMES + ["activities_per_rep"]:
        assert name in REGISTRY and REGISTRY[name].kind == "scalar", name
    sus = REGISTRY["sus_score"]
    assert (sus.area, sus.unit, sus.higher_is_better) == ("feedback", "points", True)
    assert sus.formula.startswith("SUS: odd items (answer-1), even items (5-answer)")


def test_registry_entries_are_complete():
    for k in REGISTRY.values():
        assert k.area in kpis.AREAS, k.name
        assert k.formula and k.unit and k.description, k.name
        assert "=" in (k.func.__doc__ or ""), f"{k.name}: docstring states no formula"
        assert set(k.groupings) <= set(kpis.GROUPINGS), k.name
    table = kpis.registry_table()
    assert list(table.columns[:5]) == ["name", "area", "formula", "unit", "higher_is_better"]
    assert len(table) == len(REGISTRY)


def test_get_kpi_and_compute(crm):
    assert kpis.get_kpi("win_rate").func is kpis.win_rate
    assert kpis.compute(crm, "win_rate", *JAN) == pytest.approx(2 / 3)
    assert kpis.compute(crm, "stage_conversion_won", *JAN) == 1.0
    with pytest.raises(ValueError, match="name: unknown KPI 'win_rat'.*'win_rate'"):
        kpis.get_kpi("win_rat")


def test_kpi_table_values_targets_and_status(crm):
    table = kpi_table(crm, *JAN)
    assert list(table.columns) == ["kpi", "area", "value", "unit", "baseline", "target",
                                   "target_date", "benchmark", "status", "higher_is_better",
                                   "note", "with_interval"]
    assert list(table.kpi) == kpi_names()
    row = table.set_index("kpi")
    assert row.loc["win_rate", "value"] == pytest.approx(2 / 3)     # O1, O3 won; O2 lost
    assert (row.loc["win_rate", "baseline"], row.loc["win_rate", "target"],
            row.loc["win_rate", "benchmark"]) == (0.5, 0.6, 0.2)
    # 2 of 3 won: 0.67 >= 0.6, but the Wilson 95 % interval 0.21-0.94 straddles 0.6
    assert row.loc["win_rate", "status"] == "cannot tell"
    assert row.loc["sales_cycle_days", "value"] == 12.0             # 10 and 14 days
    # median of 2 cycles: its interval is 10-14 days, wholly at or below the target 14
    assert row.loc["sales_cycle_days", "status"] == "met"           # lower is better
    assert row.loc["first_response_hours", "value"] == 3.0
    assert row.loc["first_response_hours", "status"] == "not met"
    assert row.loc["csat", "status"] == "no data"                   # no answer at all
    assert row.loc["pipeline_value", "status"] == "no target"
    assert math.isnan(row.loc["pipeline_value", "target"])
    # no accounts at all: the KPI is not computed, and the note says why
    assert row.loc["churn_rate", "note"] == "no data: the dataset has no customer accounts"
    assert row.loc["activities_per_rep", "note"] == "no data: the dataset has no usage log"
    assert math.isnan(row.loc["activities_per_rep", "value"])
    assert row.loc["win_rate", "note"] == ""
    # the values are those of the functions
    assert row.loc["average_deal_size", "value"] == kpis.average_deal_size(crm, *JAN) == 2000


def test_status_with_an_interval_met_not_met_or_cannot_tell():
    # higher is better, target 0.15: interval above / below / around it
    assert kpis.status(0.2, 0.15, True, 0.16, 0.24) == "met"
    assert kpis.status(0.1, 0.15, True, 0.05, 0.14) == "not met"
    assert kpis.status(0.16, 0.15, True, 0.12, 0.20) == "cannot tell"  # 0.1 pp over: unknown
    # lower is better (hours), target 1.5
    assert kpis.status(1.2, 1.5, False, 1.0, 1.4) == "met"
    assert kpis.status(1.4, 1.5, False, 1.2, 1.7) == "cannot tell"
    assert kpis.status(2.0, 1.5, False, 1.6, 2.4) == "not met"


def test_status():
    assert kpis.status(0.2, 0.1, True) == "met"
    assert kpis.status(0.2, 0.1, False) == "not met"
    assert kpis.status(0.1, 0.1, False) == "met"
    assert kpis.status(0.1, float("nan"), True) == "no target"
    assert kpis.status(float("nan"), 0.1, True) == "no data"
    assert kpis.status(float("nan"), float("nan"), True) == "no data"   # unknown first


def test_kpi_table_by_region(crm):
    table = kpi_table(crm, *JAN, by="region")
    assert list(table.columns[:3]) == ["kpi", "area", "region"]
    assert len(table) == 4 * len(kpi_names())
    win = table[table.kpi == "win_rate"].set_index("region").value
    assert win["North"] == 1.0 and win["South"] == 0.5 and math.isnan(win["East"])
    cac = table[table.kpi == "cac"]
    assert cac.value.isna().all()
    assert (cac.note == "cannot be split by region: only by nothing (company-wide)").all()
    churn = table[table.kpi == "churn_rate"]
    assert not churn.note.str.startswith("cannot").any()  # churn splits by account region


def test_kpi_table_by_team_keeps_every_group(crm):
    table = kpi_table(crm, *JAN, by="team")
    assert set(table.team) == set(kpis.group_labels(crm, "team"))
    assert table.groupby("kpi").size().eq(len(kpis.group_labels(crm, "team"))).all()


def test_kpi_table_selected_kpis(crm):
    table = kpi_table(crm, *JAN, kpis=["win_rate", "csat"])
    assert list(table.kpi) == ["win_rate", "csat"]


def test_kpi_table_invalid_arguments(crm):
    with pytest.raises(ValueError, match="^end"):
        kpi_table(crm, "2025-02-01", "2025-01-31")
    with pytest.raises(ValueError, match="by must be None or one of 'department', 'region', "
                                         "'team', got 'country'"):
        kpi_table(crm, *JAN, by="country")
    with pytest.raises(ValueError, match="kpis: unknown KPI name.*'win_rat'"):
        kpi_table(crm, *JAN, kpis=["win_rat"])
    with pytest.raises(ValueError, match="funnel is a table"):
        kpi_table(crm, *JAN, kpis=["funnel"])


def test_kpi_table_on_empty_data():
    table = kpi_table(empty_crm(), *JAN)   # every table empty: nothing is known
    assert table.value.isna().all()
    assert table.note.str.match(r"no data: the dataset has no [A-Za-z ,]+$").all()
    assert not table.note.str.contains("_").any()  # what is missing in words, not code names


def test_plain_floats(crm):
    for name in kpi_names():
        value = REGISTRY[name](crm, *JAN)
        assert type(value) is float, name


def test_sample_dataset_smoke(sample):
    """Every KPI and grouping runs on the bundled sample, and NaN appears only where the
    sample has no data for it."""
    start, end = sample.period("all")
    table = kpi_table(sample, start, end)
    assert table.value.notna().all(), table[table.value.isna()].kpi.tolist()
    for by in ("department", "region", "team"):
        split = kpi_table(sample, start, end, by=by)
        assert len(split) == len(kpi_names()) * len(kpis.group_labels(sample, by))
    assert kpis.first_response_hours(sample, *sample.period("baseline")) == pytest.approx(
        2.0, abs=0.3)
    assert isinstance(kpis.funnel(sample, start, end), pd.DataFrame)


def _deals(owner: str, won: int, lost: int) -> list[dict]:
    return [{"opportunity_id": f"{owner}-{i}", "owner_id": owner, "created_date": "2025-01-02",
             "close_date": "2025-01-12", "stage": "won" if i < won else "lost",
             "furthest_stage": "won" if i < won else "proposal", "amount": 100}
            for i in range(won + lost)]


def test_a_group_meets_its_target_only_with_its_interval():
    """Win rate target 0.60, 40 closed deals per region (Wilson 95 %, by hand):
    North 36/40 = 0.90 [0.77, 0.96] met; South 26/40 = 0.65 [0.50, 0.78] straddles 0.60,
    so 'cannot tell' (the value alone said 'met'); East 8/40 = 0.20 [0.11, 0.35] not met."""
    users = [*USERS, {"user_id": "U7", "department": "sales", "team": "Sales East",
                            "region": "East"}]
    crm = make_crm(users=users,
                   opportunities=_deals("U1", 36, 4) + _deals("U2", 26, 14) + _deals("U7", 8, 32),
                   kpi_targets=[{"kpi": "win_rate", "baseline": 0.5, "target": 0.6}])
    table = kpi_table(crm, *JAN, by="region", kpis=["win_rate"]).set_index("region")
    assert table.value.round(2).to_dict() == {"North": 0.9, "South": 0.65, "East": 0.2,
                                              "West": pytest.approx(math.nan, nan_ok=True)}
    assert table.status.to_dict() == {"North": "met", "South": "cannot tell",
                                      "East": "not met", "West": "no data"}
    assert not table.note.str.contains("value alone").any()
    intervals = kpis.table.group_intervals(crm, "win_rate", *pd.to_datetime(JAN), "region")
    assert intervals["South"] == pytest.approx((0.495, 0.779), abs=0.002)
    # the company as a whole: 70/120 = 0.583 [0.494, 0.668] straddles 0.60 as well
    assert kpi_table(crm, *JAN, kpis=["win_rate"]).status.item() == "cannot tell"


def test_a_group_without_an_interval_says_it_was_judged_on_the_value_alone(crm):
    """One closed deal in South: no interval, so the note says the value alone decided;
    churn's quarterly target is not applied to a group's rate over another length."""
    table = kpi_table(crm, *JAN, by="region").set_index(["kpi", "region"])
    assert table.loc[("win_rate", "North"), "status"] == "met"      # 1 of 1 won, target 0.6
    assert "judged on the value alone" in table.loc[("win_rate", "North"), "note"]
    assert not table.loc[("win_rate", "North"), "with_interval"]  # the report reads this
    accounts = [{"account_id": f"A{i}", "region": "North", "customer_since": "2024-01-01",
                 "churn_date": "2025-02-01" if i < 2 else None} for i in range(10)]
    churn = make_crm(accounts=accounts, kpi_targets=[
        {"kpi": "churn_rate", "baseline": 0.05, "target": 0.04, "period": "quarter"}])
    one_year = kpi_table(churn, "2025-01-01", "2025-12-31", by="region",
                         kpis=["churn_rate"]).set_index("region")
    assert one_year.value["North"] == 0.2                   # 2 of 10 lost over the year
    assert one_year.status["North"] == "no target"          # not 'not met' against 4 %
    assert "its target is per quarter" in one_year.note["North"]


def test_a_recorded_estimate_is_judged_against_the_measured_interval():
    """Win rate 26/40 = 0.65, Wilson 95 % [0.495, 0.779] (by hand, as above): a recorded
    0.60 lies inside it, 0.85 above, 0.40 below; a missing figure is said to be missing."""
    crm = make_crm(opportunities=_deals("U1", 26, 14))
    said = {ref: kpis.against_measured(crm, "win_rate", *JAN, ref) for ref in (0.6, 0.85, 0.4)}
    assert said[0.6] == ("The recorded estimate, 60.0%, lies inside the measured value's 95% "
                         "interval (49.5% to 77.9%): the data cannot tell the two apart.")
    assert "lies above" in said[0.85] and "higher than the data show" in said[0.85]
    assert "lies below" in said[0.4] and "lower than the data show" in said[0.4]
    assert "no comparison" in kpis.against_measured(crm, "win_rate", *JAN, math.nan)


def test_a_group_is_compared_with_the_others_pooled_with_its_test():
    """Win rate of East, 8/40 = 20%, against North and South pooled, 62/80 = 77.5%: -57.5 pp,
    far beyond chance; South (26/40) against North (36/40) alone: -25 pp, p = 0.007."""
    users = [*USERS, {"user_id": "U7", "department": "sales", "team": "Sales East",
                      "region": "East"}]
    crm = make_crm(users=users,
                   opportunities=_deals("U1", 36, 4) + _deals("U2", 26, 14) + _deals("U7", 8, 32))
    east = evaluation.group_against_others(crm, "win_rate", *JAN, "region", "East",
                                           ["North", "South", "East"])
    assert east.startswith("its win rate is 20.0% (n=40) against 77.5% in the other 2 pooled "
                           "(n=80; -57.5 pp, 95% interval")
    assert east.endswith("p < 0.001): a difference beyond chance.")
    south = evaluation.group_against_others(crm, "win_rate", *JAN, "region", "South",
                                            ["North", "South"])
    assert "-25.0 pp" in south and "p = 0.007" in south
    with pytest.raises(ValueError, match="sales_cycle_days"):
        evaluation.group_against_others(crm, "sales_cycle_days", *JAN, "region", "East", [])


def test_eventual_conversion_is_a_second_definition_with_its_own_entry(crm):
    """Issue 28: one name, one definition. Eventual conversion has its own registry entry
    (kind 'diagnostic'), so it never enters kpi_table under any name."""
    entry = REGISTRY["lead_conversion_eventual"]
    assert entry.kind == "diagnostic" and entry.func is kpis.lead_conversion_eventual
    assert "lead_conversion_eventual" not in kpi_names()
    assert "lead_conversion_eventual" in kpi_names(kind=None)
    assert "lead_conversion_eventual" not in set(kpi_table(crm, *JAN).kpi)
    assert entry(crm, *JAN) == kpis.lead_conversion_eventual(crm, *JAN)


def test_a_target_not_yet_due_is_not_missed():
    """Win rate target 0.60 due 30 Jun 2025, judged on January: 36/40 met early, 26/40
    cannot tell yet, 8/40 not met yet (the intervals of the test above); judged on a
    period ending on or after the date, the plain statuses."""
    users = [*USERS, {"user_id": "U7", "department": "sales", "team": "Sales East",
                      "region": "East"}]
    crm = make_crm(users=users,
                   opportunities=_deals("U1", 36, 4) + _deals("U2", 26, 14) + _deals("U7", 8, 32),
                   kpi_targets=[{"kpi": "win_rate", "baseline": 0.5, "target": 0.6,
                                 "target_date": "2025-06-30"}])
    table = kpi_table(crm, *JAN, by="region", kpis=["win_rate"]).set_index("region")
    assert table.status.to_dict() == {"North": "met early", "South": "cannot tell yet",
                                      "East": "not met yet", "West": "no data"}
    assert (table.target_date == pd.Timestamp("2025-06-30")).all()
    assert kpis.table.due_status("not met", pd.Timestamp("2025-06-30"),
                                 pd.Timestamp("2025-06-30")) == "not met"
    assert kpis.table.due_status("not met", pd.NaT, pd.Timestamp("2025-01-31")) == "not met"
    assert kpis.table.due_status("no target", pd.Timestamp("2026-01-01"),
                                 pd.Timestamp("2025-01-31")) == "no target"
    whole = kpi_table(crm, "2025-01-01", "2025-06-30", kpis=["win_rate"]).status.item()
    assert whole == "cannot tell"  # 70/120: due by the period's end, judged as usual


def test_no_note_says_nan_for_any_one_month_window(sample):
    """Every KPI over every month of the sample: a one-month window against churn's
    quarterly target said 'judged per quarter, the target's period: nan%' (the review);
    it is not judged and says why, as is any value that cannot be computed."""
    import re

    for start in pd.date_range(*sample.period("all"), freq="MS"):
        table = kpi_table(sample, start, start + pd.offsets.MonthEnd(0))
        said = [(name, note) for name, note in zip(table.kpi, table.note, strict=True)
                if re.search(r"\bnan\b", note, re.IGNORECASE)]
        assert not said, (start, said)
        churn = table.set_index("kpi").loc["churn_rate"]
        assert math.isnan(churn.value) and churn.status == "no data", start
        assert churn.note.startswith("a month is shorter than the target's period"), start
