"""An export whose users mostly have no department keeps few sales reps: the import warns
and the report cautions that sales per rep credits them with others' deals."""

from __future__ import annotations

import shutil
import warnings
from pathlib import Path

import pandas as pd

from crm_course import report as course_report
from crm_course.data import load_crm
from crm_course.importer import import_export, provenance

SALESFORCE = Path(__file__).parent / "fixtures" / "exports" / "salesforce"


def _export(tmp_path: Path, blank: list[str]) -> Path:
    """The Salesforce fixture with the Department of the users ``blank`` emptied."""
    folder = tmp_path / "export"
    shutil.copytree(SALESFORCE, folder)
    users = pd.read_csv(folder / "User.csv", dtype=str, keep_default_na=False)
    users.loc[users.Id.isin(blank), "Department"] = ""
    users.to_csv(folder / "User.csv", index=False)
    return folder


def _won_share(crm, owner: str, period: str = "review") -> float:
    """``owner``'s share of the amount won in ``period`` (deals closed in it)."""
    first, last = crm.period(period)
    o = crm.opportunities
    won = o[(o.stage == "won") & o.close_date.between(first, last)]
    return won.amount[won.owner_id == owner].sum() / won.amount.sum()


def test_most_departments_empty_warns_and_cautions(tmp_path):
    blank = [f"005Aa00000Kx{i}AAA" for i in range(2, 7)]   # all but Mara Voss (Kx1)
    report = import_export(_export(tmp_path, blank), "salesforce", tmp_path / "out")
    warned = [w for w in report.warnings if "5 of 6 users have no department" in w]
    assert len(warned) == 1 and "Sales per rep" in warned[0] and "activities per rep" in warned[0]
    assert "5 of 6 users have no department" in (tmp_path / "out" / "import_report.md").read_text()
    crm = load_crm(tmp_path / "out", cache=False)
    share = _won_share(crm, "005Aa00000Kx1AAA")
    assert share < 0.5
    said = provenance.rep_share(crm)
    first, last = crm.period("review")
    assert len(said) == 2 and (f"only {share:.0%} of the amount won from {first:%d %b %Y} "
                               f"to {last:%d %b %Y} (the review window)") in said[1]
    assert "(the baseline it is compared with)" in said[0]   # low there too
    assert said == provenance.cautions(crm)[:2]
    # the window the KPI is shown for, not the whole data (25 %, a second finding)
    assert f"{_won_share(crm, '005Aa00000Kx1AAA', 'all'):.0%}" == "25%" != f"{share:.0%}"
    assert set(said) <= set(course_report.assemble(crm, "sales").cautions)


def _move_won_to(tmp_path: Path, owner: str, first, last) -> None:
    """The imported dataset in tmp_path/out with every deal won from ``first`` to ``last``
    given to ``owner`` (a user key)."""
    deals = pd.read_csv(tmp_path / "out" / "opportunities.csv", dtype=str,
                        keep_default_na=False)
    close = pd.to_datetime(deals.close_date, errors="coerce")
    deals.loc[(deals.stage == "won") & close.between(first, last), "owner_id"] = owner
    deals.to_csv(tmp_path / "out" / "opportunities.csv", index=False)


def test_a_low_share_in_the_baseline_alone_is_cautioned(tmp_path):
    """Reps own the review window's won amount but not the baseline's: the report compares
    sales per rep between the two, so the baseline is named and the mix said."""
    blank = [f"005Aa00000Kx{i}AAA" for i in range(2, 7)]
    import_export(_export(tmp_path, blank), "salesforce", tmp_path / "out")
    crm = load_crm(tmp_path / "out", cache=False)
    _move_won_to(tmp_path, "005Aa00000Kx1AAA", *crm.period("review"))
    crm = load_crm(tmp_path / "out", cache=False)
    assert _won_share(crm, "005Aa00000Kx1AAA") == 1.0
    (first, last), _ = provenance.comparison_baseline(crm, crm.period("review"))
    said = course_report.assemble(crm, "sales").cautions
    low = [c for c in said if "of the sales department" in c]
    share = _won_share(crm, "005Aa00000Kx1AAA", "baseline")
    assert len(low) == 1 and (f"owns only {share:.0%} of the amount won from "
                              f"{first:%d %b %Y} to {last:%d %b %Y} (the baseline it is "
                              "compared with)") in low[0]
    assert any("so its change mixes in the change of that share" in c and "100% from" in c
               for c in said)
    mine = [c for c in said if c.startswith("Sales per rep")]
    assert provenance.cautions(crm)[:2] == mine   # lesson 01's default: the same periods


def test_an_amount_won_too_large_to_add_up_gives_no_nan(tmp_path):
    """A dataset whose won amounts sum to infinity (written by hand: the import refuses
    such amounts) gets a plain caution, never 'nan%' or a sentence broken off."""
    blank = [f"005Aa00000Kx{i}AAA" for i in range(2, 7)]
    import_export(_export(tmp_path, blank), "salesforce", tmp_path / "out")
    deals = pd.read_csv(tmp_path / "out" / "opportunities.csv", dtype=str,
                        keep_default_na=False)
    won = deals.index[deals.stage == "won"]
    deals.loc[won, "amount"] = "1e308"
    deals.to_csv(tmp_path / "out" / "opportunities.csv", index=False)
    with warnings.catch_warnings():
        warnings.simplefilter("error")   # no numpy overflow warning either
        said = provenance.rep_share(load_crm(tmp_path / "out", cache=False))
    assert said and all("nan" not in c and "owned (see" not in c for c in said)
    assert "too large to add up" in said[0]


def test_departments_filled_no_warning(tmp_path):
    report = import_export(_export(tmp_path, []), "salesforce", tmp_path / "out")
    assert not [w for w in report.warnings if "no department" in w]
    crm = load_crm(tmp_path / "out", cache=False)
    assert provenance.rep_share(crm) == []
    assert provenance.rep_share(load_crm()) == []   # the sample: reps own every won deal


def test_placeholder_deals_are_said_to_be_outside_the_regions(tmp_path):
    """The placeholder owner has no region: the report says its deals are left out of the
    regions' counts, and they are (the sum over regions is short by them)."""
    from crm_course import kpis

    folder = _export(tmp_path, [])
    deals = pd.read_csv(folder / "Opportunity.csv", dtype=str, keep_default_na=False)
    deals.loc[[0, 1, 2], "OwnerId"] = "005GONE1"
    deals.to_csv(folder / "Opportunity.csv", index=False)
    import_export(folder, "salesforce", tmp_path / "out")
    crm = load_crm(tmp_path / "out", cache=False)
    said = [s for s in provenance.lines(crm) if s.startswith("Without a region")]
    assert said == ["Without a region (3 deals of the placeholder): a breakdown by region "
                    "leaves them out, so the regions' counts add up to fewer than the totals, "
                    "and they are outside every comparison of regions (the control region "
                    "against the others)."]
    assert "Without a region (3 deals" in (tmp_path / "out" / "import_report.md").read_text()
    assert not [s for s in provenance.lines(crm) if "department, team or region" in s]
    first, last = crm.period("all")
    by_region = kpis.pipeline_value(crm, first, last, by="region")
    assert "owner-not-in-users-export" in set(crm.opportunities.owner_id)
    assert by_region.index.notna().all()   # no group for the region-less placeholder
