"""An open deal is converted at the rate of its created date (its close date is only
expected, and the import clears it), a won or lost deal at the rate of its close date,
as importer/currency.py's docstring says; import_report.md says which date chose how many
rows' rates."""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
import pytest

from crm_course.data import load_crm
from crm_course.importer import import_export

SALESFORCE = Path(__file__).parent / "fixtures" / "exports" / "salesforce"


def test_open_deals_take_the_rate_of_their_created_date(tmp_path):
    folder = tmp_path / "export"
    shutil.copytree(SALESFORCE, folder)
    deals = pd.read_csv(folder / "Opportunity.csv", dtype=str, keep_default_na=False)
    deals["CurrencyIsoCode"] = "EUR"
    won = deals.index[deals.StageName == "Closed Won"][0]
    still = deals.index[~deals.StageName.str.startswith("Closed")
                        & (deals.IsDeleted != "true")][0]
    deals.loc[[won, still], "CurrencyIsoCode"] = "USD"
    deals.loc[won, ["CreatedDate", "CloseDate"]] = ["2025-01-10T09:00:00.000Z", "2025-03-10"]
    deals.loc[still, ["CreatedDate", "CloseDate"]] = ["2025-01-10T09:00:00.000Z",
                                                      "2025-03-10"]   # expected close
    deals.to_csv(folder / "Opportunity.csv", index=False)
    rates = tmp_path / "rates.csv"
    rates.write_text("currency,rate,from_date\nEUR,1,\nUSD,2,2025-01-01\nUSD,4,2025-03-01\n",
                     encoding="utf-8")
    report = import_export(folder, "salesforce", tmp_path / "out", rates=rates)
    amount = load_crm(tmp_path / "out", cache=False).opportunities.set_index(
        "opportunity_id").amount
    assert amount[deals.Id[still]] == pytest.approx(float(deals.Amount[still]) / 2)
    assert amount[deals.Id[won]] == pytest.approx(float(deals.Amount[won]) / 4)
    assert ("currency: Opportunity.csv: converted at the rate in force on the close date "
            "for 1 row(s); on the created date of open deals (their close date is only "
            "expected) for 1 row(s)") in report.notes
    text = (tmp_path / "out" / "import_report.md").read_text(encoding="utf-8")
    assert "on the created date of open deals (their close date is only expected)" in text
