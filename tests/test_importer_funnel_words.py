"""Without a stage history the importer takes each lost deal as lost at the first stage,
so a later stage conversion short of 100% is deals still open, not deals lost: the
report's sources section and import_report.md say so (the numbers are unchanged)."""

from __future__ import annotations

from pathlib import Path

import pytest

from crm_course import kpis
from crm_course.data import load_crm
from crm_course.importer import import_export, provenance
from crm_course.report import assemble
from crm_course.schema import FUNNEL_STAGES

HUBSPOT_WEB = Path(__file__).parent / "fixtures" / "exports" / "hubspot_web"


def test_conversion_to_won_short_of_100_is_said_to_be_open_deals(tmp_path):
    import_export(HUBSPOT_WEB, "hubspot-web", tmp_path / "out")
    crm = load_crm(tmp_path / "out", cache=False)
    first, last = crm.period("baseline")
    o = crm.opportunities
    made = o[o.created_date.dt.normalize().between(first, last)]
    reached = made[made.furthest_stage.isin(FUNNEL_STAGES[-2:])]
    assert kpis.stage_conversion(crm, first, last, stage="won") == pytest.approx(0.8)
    # the 1 deal of 5 that reached negotiation and is not won is open, none is lost
    assert set(reached.stage) == {"won", "negotiation"} and (reached.stage != "won").sum() == 1
    funnel = [s for s in provenance.lines(crm) if s.startswith("Funnel")]
    assert len(funnel) == 1
    assert ("past the first step, a conversion short of 100% is deals still open at that "
            f"stage, not deals lost ({kpis.kpi_label('stage_conversion_won')} counts the deals "
            "still open at negotiation as not yet won; they may still close)") in funnel[0]
    assert funnel == [s for s in assemble(crm, "sales").provenance if s.startswith("Funnel")]
    text = (tmp_path / "out" / "import_report.md").read_text(encoding="utf-8")
    assert ("what they miss of 100% is deals still open at the stage (not lost; they may "
            "still close)") in text
