"""The company's own vocabularies: an export whose regions, teams and industries are not
the sample's imports as they are, is validated against its own profile, and groups by its
own regions in `kpi_table` and the dashboard; hostile labels stay text in every HTML
output."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import ipywidgets as widgets
import pytest

from crm_course import kpis
from crm_course.dashboard.app import Dashboard
from crm_course.data import DataError, load_crm
from crm_course.importer import MappingError, import_export
from crm_course.importer.mapping import mapping_path
from crm_course.report import assemble
from crm_course.report_page import render

EXPORTS = Path(__file__).parent / "fixtures" / "exports"
REGIONS = {"North": "EMEA", "South": "APAC", "West": "Americas"}
SCRIPT = "<script>alert('region')</script>"
FORMULA = "=cmd|' /C calc'!A0"
BIDI = "Sales \u202eredla\u202c"


def _export(tmp_path: Path, east: str = "EMEA", industries: dict | None = None) -> Path:
    """The Salesforce fixture with the regions of `REGIONS` (East -> ``east``) and other
    industries."""
    folder = tmp_path / "export"
    shutil.copytree(EXPORTS / "salesforce", folder)
    for name in ("User.csv", "Account.csv"):
        path = folder / name
        text = path.read_text(encoding="utf-8")
        for old, new in {**REGIONS, "East": east}.items():
            text = text.replace(f'"{old}"', f'"{new}"')
        for old, new in (industries or {}).items():
            text = text.replace(f'"{old}"', f'"{new}"')
        path.write_text(text, encoding="utf-8")
    return folder


@pytest.fixture(scope="module")
def own(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("own")
    report = import_export(_export(tmp, industries={"Construction": "Aerospace",
                                                    "Healthcare": "Biotech"}),
                           "salesforce", tmp / "data")
    return load_crm(tmp / "data"), report


def test_an_export_with_its_own_regions_and_industries_imports(own):
    crm, report = own
    vocabularies = crm.profile.vocabularies
    assert vocabularies["regions"] == ["APAC", "Americas", "EMEA"]
    assert {"Aerospace", "Biotech"} <= set(vocabularies["industries"])
    assert not {"Construction", "Healthcare"} & set(vocabularies["industries"])
    assert "Sales EMEA" in vocabularies["teams"]      # a label kept as the export has it
    assert list(crm.users.region.cat.categories) == ["APAC", "Americas", "EMEA"]
    listed = "\n".join(report.to_markdown().splitlines())
    assert "- regions: APAC, Americas, EMEA" in listed
    assert "Aerospace" in listed and "fallback" not in listed


def test_kpi_table_and_dashboard_group_by_the_exports_regions(own):
    crm, _ = own
    start, end = crm.period("all")
    table = kpis.kpi_table(crm, start, end, by="region")
    assert table.groupby("kpi").region.apply(list).map(
        lambda r: r == ["APAC", "Americas", "EMEA"]).all()
    win = table[table.kpi == "win_rate"].set_index("region").value
    o = crm.opportunities.merge(crm.users[["user_id", "region"]], left_on="owner_id",
                                right_on="user_id")
    closed = o[o.stage.isin(["won", "lost"]) & o.close_date.between(start, end)]
    by_hand = (closed.stage == "won").groupby(closed.region, observed=True).mean()
    for region, value in by_hand.items():
        assert win[region] == pytest.approx(value)
    e = Dashboard(crm).explorer
    e.area.value, e.kpi.value, e.grouping.value = "sales", "win_rate", "region"
    assert list(e.series.columns) == ["APAC", "Americas", "EMEA"]


def test_a_label_outside_the_profile_is_a_clear_error(own, tmp_path):
    crm, _ = own
    folder = tmp_path / "data"
    shutil.copytree(crm.source, folder)
    path = folder / "accounts.csv"
    path.write_text(path.read_text(encoding="utf-8").replace(",EMEA,", ",Mars,", 1),
                    encoding="utf-8")
    with pytest.raises(DataError, match=r"accounts.csv, column 'region': unknown value 'Mars' "
                       r"at line \d+; allowed \(the company's regions: "
                       r"profile.vocabularies.regions in dataset.json\): APAC, Americas, EMEA"):
        load_crm(folder)


def test_fallback_is_gone(tmp_path):
    mapping = tmp_path / "mine.yml"
    mapping.write_text(mapping_path("salesforce").read_text(encoding="utf-8").replace(
        "values: {Transportation: Logistics, Utilities: Energy}",
        "values: {Transportation: Logistics, Utilities: Energy}\n        fallback: Retail"),
        encoding="utf-8")
    with pytest.raises(MappingError, match="columns.industry: unknown key 'fallback'; "
                                           "allowed: from, values, default"):
        import_export(EXPORTS / "salesforce", mapping, tmp_path / "out")
    for name in ("salesforce", "salesforce-de", "hubspot"):
        assert "fallback" not in mapping_path(name).read_text(encoding="utf-8")


def _html_of(widget) -> list[str]:
    """Every HTML text shown by a widget tree."""
    found = [widget.value] if isinstance(widget, widgets.HTML) else []
    for child in getattr(widget, "children", ()):
        found += _html_of(child)
    return found


def test_hostile_labels_stay_text_in_every_html_output(tmp_path):
    folder = _export(tmp_path, east=SCRIPT, industries={"Retail": FORMULA})
    user = folder / "User.csv"
    user.write_text(user.read_text(encoding="utf-8").replace('"Sales","South"',
                                                             f'"{BIDI}","South"'),
                    encoding="utf-8")
    report = import_export(folder, "salesforce", tmp_path / "data", control_region=SCRIPT)
    crm = load_crm(tmp_path / "data")
    assert SCRIPT in crm.profile.vocabularies["regions"]
    assert FORMULA in crm.profile.vocabularies["industries"]
    dashboard = Dashboard(crm)
    for tab in range(len(dashboard.tabs.children)):  # every view, built as its tab opens
        dashboard.tabs.selected_index = tab
    e = dashboard.explorer
    e.area.value, e.kpi.value, e.grouping.value = "sales", "win_rate", "region"
    assert SCRIPT in list(e.series.columns)
    pages = {"dashboard": "\n".join(_html_of(dashboard.widget)),
             "report": render(crm, assemble(crm)),
             "kpi_table": kpis.kpi_table(crm, *crm.period("all"), by="region").to_html()}
    for name, page in pages.items():
        assert "<script>alert" not in page, name
        assert "\u202e" not in page, name
    assert "&lt;script&gt;alert" in pages["dashboard"] + pages["report"]
    assert "&lt;script&gt;" in report.to_markdown()


@pytest.fixture(scope="module")
def lesson_runs(own, notebook_runs):
    """Lessons 02 and 05 on the export, run by the session's store (both at once)."""
    from crm_course.runner import ROOT

    lessons = ["02_analyse_kpis", "05_review_after_three_months"]
    done = notebook_runs.run([(ROOT / "notebooks" / f"{lesson}.ipynb",
                               {"data_dir": str(own[0].source)}) for lesson in lessons])
    return dict(zip(lessons, done, strict=True))


@pytest.mark.parametrize("lesson", ["02_analyse_kpis", "05_review_after_three_months"])
def test_lessons_run_on_the_exports_own_regions(lesson_runs, lesson):
    """The lessons that compare regions run on it and name its regions, never the
    sample's."""
    import nbformat

    run = lesson_runs[lesson]
    assert run.error is None, run.error
    printed = "\n".join(str(out.get("text") or out.get("data", {}).get("text/plain", ""))
                        for cell in nbformat.read(run.output, as_version=4).cells
                        for out in cell.get("outputs", ()))
    assert not re.search(r"\b(North|South|West)\b", printed)
    if lesson == "02_analyse_kpis":
        assert "Fastest: APAC" in printed and "EMEA" in printed
