"""Policies only from the profile: a copy of the sample with a 45-day maturity window,
business hours 8-17 and North as the control region. The report, the dashboard's
explorer, before/after and what-if computations and lessons 02 and 05 (run once per
session on that copy: `notebook_runs`) each use these, never the course's 30 days,
9-18 or West; no lesson or solution writes a policy into its code."""

from __future__ import annotations

import ast
import functools
import html
import json
import re
import shutil

import numpy as np
import pandas as pd
import pytest
from lesson_claims import outputs

from crm_course import kpis, load_crm, report
from crm_course.business_time import business_hours_between
from crm_course.dashboard import Dashboard
from crm_course.dashboard.before_after import review_result
from crm_course.dashboard.what_if import planned_changes
from crm_course.data import DEFAULT_DATA_DIR
from crm_course.kpis.verdict import causal_verdict
from crm_course.runner import ROOT


@pytest.fixture(scope="module")
def other_dir(tmp_path_factory):
    """The sample's folder copied with the other policies in its dataset.json."""
    folder = tmp_path_factory.mktemp("policies")
    for file in DEFAULT_DATA_DIR.glob("*.csv"):
        shutil.copy(file, folder / file.name)
    changes = pd.read_csv(folder / "changes.csv", dtype=str, keep_default_na=False)
    changes["regions"] = changes.regions.str.replace("North", "@").str.replace(
        "West", "North").str.replace("@", "West")   # North now gets none of the changes
    changes.to_csv(folder / "changes.csv", index=False)
    meta = json.loads((DEFAULT_DATA_DIR / "dataset.json").read_text())
    meta["control_region"] = "North"
    meta["profile"]["policies"].update(
        lead_maturity_days=45, business_hours={"days": "Mon-Fri", "open": 8, "close": 17})
    (folder / "dataset.json").write_text(json.dumps(meta))
    return folder


@pytest.fixture(scope="module")
def other(other_dir):
    return load_crm(other_dir)


def by_hand_conversion(crm, first, last, days: int) -> float:
    o = crm.opportunities
    end = pd.Timestamp(crm.meta["data_end"])
    leads = o.created_date.between(first, last) & (
        o.created_date + pd.Timedelta(days=days) <= end)
    won = leads & (o.stage == "won") & ((o.close_date - o.created_date).dt.days <= days)
    return won.sum() / leads.sum()


def test_the_profile_is_read(other):
    assert other.profile.maturity_days == 45
    assert other.profile.business_hours == (8, 17)
    assert other.profile.control_region == "North"


def test_report_uses_45_days_8_to_17_and_north(other):
    rep = report.assemble(other, "all")
    window = other.period("review")
    expected = by_hand_conversion(other, *window, 45)
    row = next(r for r in rep.rows if r.kpi == "lead_conversion_rate")
    assert row.comparison.after == pytest.approx(expected)
    assert expected != pytest.approx(by_hand_conversion(other, *window, 30))
    cause = " ".join(v.sentence for v in rep.verdicts)
    assert "won within 45 days" in cause and "control region (North)" in cause
    assert "30 days" not in cause and "(West)" not in cause
    assert any("45 days" in c for c in rep.cautions)
    t = other.tickets
    answered = t.created_at.between(*window) & t.first_response_at.notna()
    hours = business_hours_between(t.created_at[answered], t.first_response_at[answered],
                                   (8, 17))
    response = next(r for r in rep.rows if r.kpi == "first_response_hours")
    assert response.comparison.after == pytest.approx(np.median(hours))


def test_dashboard_before_after_uses_them(other):
    conversion = review_result(other, "lead_conversion_rate")
    words = " ".join(conversion.sentences)
    assert "won within 45 days" in words and "(North)" in words and "30 days" not in words
    assert list(conversion.groups.index) == ["control (North)", "regions with the changes"]
    assert conversion.before_after.after == pytest.approx(
        by_hand_conversion(other, *other.period("review"), 45))
    assert conversion.verdict == causal_verdict(other, "lead_conversion_rate")
    response = review_result(other, "first_response_hours")
    t = other.tickets
    first, last = other.period("review")
    mine = (t.created_at >= first) & (t.created_at < last + pd.Timedelta(days=1)) & (
        t.first_response_at.notna())
    hours = business_hours_between(t.created_at[mine], t.first_response_at[mine], (8, 17))
    assert response.before_after.after == pytest.approx(np.median(hours))


def test_what_if_starts_from_the_45_day_conversion(other):
    plan = planned_changes(other).set_index("kpi")
    current = plan.current["lead_conversion_rate"]
    current = current.iloc[0] if isinstance(current, pd.Series) else current
    window = other.period("review")
    assert current == pytest.approx(kpis.compute(other, "lead_conversion_rate", *window))
    assert kpis.lead_conversion_rate(other, *window) == pytest.approx(
        by_hand_conversion(other, *window, 45))


def test_dashboard_explorer_marks_45_days_as_maturing(other, tmp_path):
    """With 45 days, February 2026 (ends 45 days or less before 31 Mar) is still maturing
    too, not only March."""
    e = Dashboard(other, recent=tmp_path / "recent.json").explorer
    e.months.index = (0, len(e.months.options) - 1)
    e.area.value, e.kpi.value = "sales", "lead_conversion_rate"
    assert e.immature.tolist()[-2:] == [True, True] and not e.immature.iloc[:-2].any()
    assert "younger than 45 days" in e.message and "30 days" not in e.message


@pytest.mark.notebook
def test_lessons_02_and_05_follow_the_profile(other_dir, notebook_runs):
    lessons = [ROOT / "notebooks" / f"{name}.ipynb"
               for name in ("02_analyse_kpis", "05_review_after_three_months")]
    runs = notebook_runs.run([(nb, {"data_dir": str(other_dir)}) for nb in lessons])
    for run in runs:
        assert run.error is None, run.error
    kpis_text, review = (outputs(run.output) for run in runs)
    for text in (kpis_text, review):
        assert "won within 45 days" in text and "within 30 days" not in text
    assert "control region: North" in review and "control region: West" not in review


POLICY_LITERALS = re.compile(
    r"""days\s*=\s*30\b|\b30\s*days|\(\s*9\s*,\s*18\s*\)|\b0?9:00\b|\b18:00\b"""
    r"""|["'](North|South|East|West)["']""")


@pytest.mark.parametrize("path", sorted([*(ROOT / "notebooks").glob("*.ipynb"),
                                         *(ROOT / "solutions").glob("*.ipynb")]),
                         ids=lambda p: f"{p.parent.name}/{p.stem}")
def test_no_policy_is_written_into_lesson_or_solution_code(path):
    """Maturity days, business hours and the control region come from ``crm.profile``:
    no code line of a lesson or solution writes 30 days, 9-18 or a region name."""
    import nbformat

    found = [line.strip() for cell in nbformat.read(path, as_version=4).cells
             if cell.cell_type == "code" for line in cell.source.splitlines()
             if POLICY_LITERALS.search(line.split("#")[0])]
    assert not found, f"{path.name}: {found}"


PACKAGE = ROOT / "helpers" / "crm_course"
# where the course's own policy values may be written: the profile's defaults and the
# synthetic company's generator (its settings are the sample's, not a reader's)
POLICY_HOMES = ("profile.py", "synth/")
REGION_NAMES = frozenset({"North", "South", "East", "West"})


@functools.cache
def package_trees() -> dict[str, ast.AST]:
    """Each module of the package (its path under the package) parsed, once per session."""
    return {path.relative_to(PACKAGE).as_posix(): ast.parse(path.read_text(encoding="utf-8"))
            for path in sorted(PACKAGE.rglob("*.py"))}


def policy_literals(source: str | ast.AST) -> list[str]:
    """Policy values written into code (docstrings and comments are not code): a
    ``days=``/``hours=`` keyword given a number other than 0 or 1, a ``*days*``/``*hour*``
    parameter defaulting to one (a named constant must stand there), the hours (9, 18),
    a region name as a string. ``source``: code, or its parsed tree."""
    found = []
    for node in ast.walk(ast.parse(source) if isinstance(source, str) else source):
        if isinstance(node, ast.Call):
            found += [f"{node.lineno}: {k.arg}={k.value.value}" for k in node.keywords
                      if k.arg in ("days", "hours") and isinstance(k.value, ast.Constant)
                      and k.value.value not in (0, 1)]
        elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            a = node.args
            positional = a.posonlyargs + a.args
            pairs = [*zip(positional[len(positional) - len(a.defaults):], a.defaults,
                          strict=True), *zip(a.kwonlyargs, a.kw_defaults, strict=True)]
            found += [f"{node.lineno}: {arg.arg}={d.value}" for arg, d in pairs
                      if ("days" in arg.arg or "hour" in arg.arg)
                      and isinstance(d, ast.Constant) and type(d.value) is int
                      and d.value not in (0, 1)]
        elif isinstance(node, ast.Constant) and node.value in REGION_NAMES:
            found.append(f"{node.lineno}: {node.value!r}")
        elif isinstance(node, ast.Tuple) and [getattr(e, "value", None)
                                              for e in node.elts] == [9, 18]:
            found.append(f"{node.lineno}: (9, 18)")
    return found


def test_policy_literals_finds_each_kind():
    source = ("def f(x, within_days=30, *, hours=(9, 18)):\n"
              "    return x + pd.Timedelta(days=45), 'West'\n")
    assert sorted(policy_literals(source)) == ["1: (9, 18)", "1: within_days=30",
                                               "2: 'West'", "2: days=45"]
    assert policy_literals('"""Open 9-18 in the West, 30 days."""\nDAYS = 30\n') == []


def test_no_policy_is_written_into_package_code():
    """Maturity days, business hours and region names are read from ``crm.profile`` (or a
    named constant that is part of a KPI's definition), never written into package code
    outside the profile's defaults and the generator's settings."""
    found = {name: hits for name, tree in package_trees().items()
             if not name.startswith(POLICY_HOMES) and (hits := policy_literals(tree))}
    assert not found, found


def test_the_maturity_day_is_computed_in_one_place():
    """``data_end - maturity_days`` is written once (`kpis._common.mature_until`); every
    other module asks it (or `maturity_cut`)."""
    found = sorted(
        name for name, tree in package_trees().items() for node in ast.walk(tree)
        if isinstance(node, ast.Call) and any(
            k.arg == "days" and "maturity" in ast.unparse(k.value) for k in node.keywords))
    assert found == ["kpis/_common.py"], found


def test_the_generator_writes_no_maturity_window_into_its_words():
    """The generator's texts (the change log) say the sample profile's window
    (`synth.profile.SAMPLE_MATURITY_DAYS`), never a number of days of their own."""
    window = re.compile(r"within \d+\s*$|within \d+ days")
    trees = [tree for name, tree in package_trees().items() if name.startswith("synth/")]
    docstrings = {id(n.value) for tree in trees for n in ast.walk(tree)
                  if isinstance(n, ast.Expr)}  # a docstring explains, it writes no data
    found = [node.value for tree in trees for node in ast.walk(tree)
             if isinstance(node, ast.Constant) and isinstance(node.value, str)
             and id(node) not in docstrings and window.search(node.value)]
    assert not found, found
    changes = pd.read_csv(DEFAULT_DATA_DIR / "changes.csv")
    from crm_course.synth.profile import SAMPLE_MATURITY_DAYS
    assert changes.expected_effect.str.contains(f"won within {SAMPLE_MATURITY_DAYS} days").any()


def test_a_kpis_own_window_is_not_read_as_the_profiles_maturity(other, sample):
    # the outside review of 23: with maturity 45 the report's post-sale incidents row said
    # "younger than 30 days" beside "leads get 45 days to close", unexplained
    from crm_course.kpis import kpi_table
    review = other.period("review")
    notes = kpi_table(other, *review).set_index("kpi").note
    assert "30 days (this KPI's own window)" in notes["post_sale_incidents_per_100_orders"]
    assert "own window" not in notes["lead_conversion_rate"]
    assert "younger than 45 days" in notes["lead_conversion_rate"]
    # where the two windows are equal (the sample: 30 and 30) nothing is added
    sample_notes = kpi_table(sample, *sample.period("review")).set_index("kpi").note
    assert "own window" not in " ".join(sample_notes.astype(str))


def test_explorer_captions_say_the_profiles_policies(other, tmp_path):
    """The explorer's caption of every KPI is its registry description with this profile's
    values: won within 45 days, business hours 08:00-17:00 (the review saw 'won within the
    maturity window' and formulas such as 'median(first reply - created)')."""
    e = Dashboard(other, recent=tmp_path / "recent.json").explorer
    for area in [a for _, a in e.area.options]:
        e.area.value = area
        for _, name in e.kpi.options:
            e.kpi.value = name
            caption = html.unescape(re.sub(r"<[^>]+>", "", e.definition.value))
            assert caption == f"{kpis.kpi_label(name)}: {kpis.get_kpi(name).explained(other)}"
    assert "won within 45 days" in kpis.get_kpi("lead_conversion_rate").explained(other)
    assert "(Mon-Fri 08:00-17:00)" in kpis.get_kpi("first_response_hours").explained(other)
    assert "30 days" not in kpis.get_kpi("resolution_hours").explained(other)
