"""Review of issue 28, finding 3: lesson 04's monitoring table showed targets as raw 0.121 /
1.500 / 0.800 beside the action plan's 12.1%, and lesson 02's scorecard 0.914 'score 0-1'
where the report shows a percent. Every KPI value is shown in its registry unit's format,
the report's (`report.format_value`), in the committed lessons (the sample; nbval proves
them fresh)."""

from __future__ import annotations

import math

import nbformat
import pandas as pd
import pytest

from crm_course import kpis
from crm_course.data import CRM
from crm_course.kpis.payoff import action_plan
from crm_course.report import format_value, formatted_kpis
from crm_course.runner import ROOT


def _outputs(lesson: str) -> str:
    nb = nbformat.read(ROOT / "notebooks" / f"{lesson}.ipynb", as_version=4)
    return "\n".join(str(o.get("text", "")) + str(o.get("data", {}).get("text/plain", ""))
                     for c in nb.cells if c.cell_type == "code" for o in c.outputs)


def test_formatted_kpis_uses_each_rows_unit():
    table = pd.DataFrame({"value": [0.914, 1.5, 9500.0], "n": [1, 2, 3]},
                         index=["data_quality_score", "first_response_hours",
                                "average_deal_size"])
    shown = formatted_kpis(table, ["value"], "EUR")
    assert list(shown.value) == ["91.4%", "1.5 business hours", "EUR 9,500"]
    assert list(shown.n) == [1, 2, 3] and table.value.iloc[0] == 0.914  # a copy


def test_lesson_04_monitoring_targets_in_their_format(sample):
    text = _outputs("04_implement_changes")
    targets = kpis.targets(sample).target
    block = text[text.index("frequency"):]
    for kpi in ("lead_conversion_rate", "first_response_hours", "active_user_rate",
                "data_quality_score", "sus_score"):
        assert format_value(targets[kpi], kpis.REGISTRY[kpi].unit) in block, kpi
    assert "0.121" not in block and "1.500" not in block


def test_lesson_04_action_plan_is_action_plan(sample):
    """The action plan lesson 04 prints is `payoff.action_plan`, the what-if's default."""
    text = _outputs("04_implement_changes")
    plan = action_plan(sample, ["active_user_rate", "sus_score", "first_response_hours"])
    for kpi, row in plan.iterrows():
        line = f"{format_value(row.baseline, row.unit)}  "
        assert line in text and format_value(row.target, row.unit) in text, kpi
    assert plan.uplift["first_response_hours"] < 0 < plan.uplift["active_user_rate"]


def test_action_plan_steps_to_the_target_never_past_it(sample):
    plan = action_plan(sample, ["active_user_rate", "first_response_hours",
                                "activities_per_rep"])
    assert plan.uplift["active_user_rate"] == pytest.approx(
        plan.target["active_user_rate"] - plan.baseline["active_user_rate"])
    assert math.isnan(plan.uplift["activities_per_rep"])  # no target recorded
    met = sample.kpi_targets.copy()
    met.loc[met.kpi == "active_user_rate", "target"] = 0.5  # already met at the baseline
    met.loc[met.kpi == "first_response_hours", "target"] = 3.0
    crm = CRM({**sample.tables, "kpi_targets": met}, sample.meta)
    plan = action_plan(crm, ["active_user_rate", "first_response_hours"])
    assert (plan.uplift == 0).all()  # no step backwards to a target already met


def test_no_committed_output_writes_money_amount_first():
    # the outside review of 23: lesson 02 wrote "837 EUR" where the report and the
    # dashboard write "EUR 837" (`profile.money`, the one way money is written)
    import json
    import re

    from crm_course.runner import ROOT
    amount_first = re.compile(r"\d[\d,.]* (?:EUR|USD|GBP)\b")
    found = []
    for path in sorted([*ROOT.glob("notebooks/*.ipynb"), *ROOT.glob("solutions/*.ipynb")]):
        for k, cell in enumerate(json.loads(path.read_text())["cells"]):
            for out in cell.get("outputs", []):
                data = out.get("data", {})
                text = "".join([*out.get("text", ""), *data.get("text/plain", ""),
                                *data.get("text/html", "")])
                found += [f"{path.name} cell {k}: {m}" for m in amount_first.findall(text)]
    assert found == []


def test_lesson_02_service_table_shows_each_kpi_in_its_format(sample):
    """Review of issue 28 (seeds 36842, 73918): lesson 02's service table showed CSAT as
    0.73 and resolution time as 16.09 beside the scorecard's 72.9% and 16.1 h."""
    lines = _outputs("02_analyse_kpis").splitlines()
    start, end = sample.period("baseline")

    def shown(label: str) -> str:
        return next(line for line in lines if line.startswith(label))[len(label):].strip()

    csat = shown("CSAT (share of 4-5 answers)")
    assert csat == format_value(kpis.csat(sample, start, end), "share")
    assert csat.endswith("%") and not csat.startswith("0.")
    assert shown("resolution time, median (business hours)") == format_value(
        kpis.resolution_hours(sample, start, end), "business hours")
