"""A standard Salesforce org has none of the custom fields the built-in mapping reads
(Region__c, Segment__c, Product_Line__c, Loss_Reason__c, Competitor__c): the import is
not refused; each gets its ``if_missing`` value, and the import report and the lessons'
"where the data come from" say what that costs. `make claims` runs every lesson on it."""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
import pytest
from notebook_runs import on_export

from crm_course.data import load_crm
from crm_course.importer import import_export, provenance
from crm_course.kpis import kpi_table

SALESFORCE = Path(__file__).parent / "fixtures" / "exports" / "salesforce"
CUSTOM = {"Account.csv": ["Region__c", "Segment__c"],
          "Opportunity.csv": ["Product_Line__c", "Loss_Reason__c", "Competitor__c"]}
LESSONS = sorted((Path(__file__).parents[1] / "notebooks").glob("*.ipynb"))


def standard_org(folder: Path) -> Path:
    """The Salesforce fixture without its custom fields, in ``folder``."""
    shutil.copytree(SALESFORCE, folder)
    for name, columns in CUSTOM.items():
        frame = pd.read_csv(folder / name, dtype=str, keep_default_na=False)
        frame.drop(columns=columns).to_csv(folder / name, index=False)
    return folder


@pytest.fixture(scope="module")
def imported(tmp_path_factory):
    root = tmp_path_factory.mktemp("standard")
    out = root / "data"
    report = import_export(standard_org(root / "export"), "salesforce", out)
    return report, out


def test_a_standard_org_imports_with_stated_defaults(imported):
    report, out = imported
    crm = load_crm(out, cache=False)
    full = load_crm(import_export(SALESFORCE, "salesforce", out.parent / "full").out_dir,
                    cache=False)
    assert {t: len(f) for t, f in crm.tables.items()} == {
        t: len(f) for t, f in full.tables.items()}            # no row lost for them
    assert set(crm.accounts.region) == {"Unknown"}
    assert set(crm.accounts.segment) == {"Mid-market"}
    assert set(crm.opportunities.product_line) == {"Unknown"}
    assert crm.opportunities.loss_reason.isna().all()
    assert crm.missing("opportunities.loss_reason", "opportunities.competitor") == [
        "opportunities.loss_reason", "opportunities.competitor"]
    said = provenance.lines(crm)
    assert ("accounts.region: Region__c is not in Account.csv, so all 11 rows read are set "
            "to 'Unknown'; a breakdown or comparison by region shows one group and says "
            "nothing.") in said
    assert "opportunities.loss_reason: not measured (Loss_Reason__c is not in " \
           "Opportunity.csv)." in said
    text = (out / "import_report.md").read_text(encoding="utf-8")
    assert ("Account.csv: column 'Segment__c' not in this export (if_missing in "
            "salesforce.yml): every row set to 'Mid-market'") in text
    table = kpi_table(crm, *crm.period("all")).set_index("kpi")
    assert table.value["win_rate"] == pytest.approx(
        kpi_table(full, *full.period("all")).set_index("kpi").value["win_rate"])


def test_a_missing_column_without_if_missing_is_still_an_error(tmp_path):
    source = standard_org(tmp_path / "export")
    frame = pd.read_csv(source / "Opportunity.csv", dtype=str, keep_default_na=False)
    frame.drop(columns=["StageName"]).to_csv(source / "Opportunity.csv", index=False)
    with pytest.raises(ValueError, match="column 'StageName' is missing"):
        import_export(source, "salesforce", tmp_path / "out")


@pytest.fixture(scope="module")
def lesson_runs(notebook_runs, imported):
    _, out = imported
    done = notebook_runs.run([(nb, on_export(nb, out)) for nb in LESSONS])
    return {nb.stem: run for nb, run in zip(LESSONS, done, strict=True)}


@pytest.mark.claims
@pytest.mark.parametrize("lesson", [nb.stem for nb in LESSONS])
def test_every_lesson_runs_on_a_standard_org(lesson_runs, lesson):
    """make claims: every lesson on the export without custom fields."""
    assert lesson_runs[lesson].error is None, lesson_runs[lesson].error


@pytest.mark.claims
def test_lesson_01_says_what_the_missing_custom_fields_cost(lesson_runs):
    import nbformat

    nb = nbformat.read(lesson_runs["01_collect_usage_data"].output, as_version=4)
    cell = next(c for c in nb.cells if c.get("id") == "c02-provenance")
    printed = "".join(o.get("text", "") for o in cell.outputs)
    assert ("- accounts.segment: Segment__c is not in Account.csv, so all 11 rows read are "
            "set to 'Mid-market'; a breakdown or comparison by segment shows one group and "
            "says nothing.") in printed, printed
    assert "- opportunities.competitor: not measured (Competitor__c is not in " in printed


# every built-in mapping's custom fields: (fixture, mapping, {file: [columns]})
CUSTOM_FIELDS = [
    ("pipedrive", "pipedrive",
     {"organizations.csv": ["Organization - Industry", "Organization - Segment",
                            "Organization - Sales region"],
      "deals.csv": ["Deal - Product line"]}),
    ("dynamics365", "dynamics365",
     {"accounts.csv": ["Territory", "Customer Size"], "opportunities.csv": ["Product Line"]}),
    ("hubspot_web", "hubspot-web",
     {"companies.csv": ["Company size"], "deals.csv": ["Product line"]}),
    ("hubspot", "hubspot", {"deals.csv": ["product_line"]}),
]


@pytest.mark.parametrize(("fixture", "mapping", "custom"), CUSTOM_FIELDS,
                         ids=[c[0] for c in CUSTOM_FIELDS])
def test_every_built_in_mapping_imports_without_its_custom_fields(tmp_path, fixture, mapping,
                                                                   custom):
    # the finding: Pipedrive and Dynamics exports without the org's custom fields were
    # refused ("column 'Organization - Industry' is missing") with no setting named
    source = tmp_path / "export"
    shutil.copytree(SALESFORCE.parent / fixture, source)
    for name, columns in custom.items():
        frame = pd.read_csv(source / name, dtype=str, keep_default_na=False)
        frame.drop(columns=columns).to_csv(source / name, index=False)
    full = import_export(SALESFORCE.parent / fixture, mapping, tmp_path / "full")
    import_export(source, mapping, tmp_path / "out")
    crm, whole = load_crm(tmp_path / "out", cache=False), load_crm(full.out_dir, cache=False)
    assert {t: len(f) for t, f in crm.tables.items()} == {
        t: len(f) for t, f in whole.tables.items()}            # no row lost for them
    text = (tmp_path / "out" / "import_report.md").read_text(encoding="utf-8")
    for name, columns in custom.items():
        for column in columns:
            assert f"{name}: column '{column}' not in this export (if_missing" in text, column
