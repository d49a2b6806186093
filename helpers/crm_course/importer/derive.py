"""What the import derives, and the frames' final types.

- ``opportunities.close_date`` is cleared for open deals (CRMs store the *expected*
  close date there; the course means the day a deal was won or lost).
- ``opportunities.furthest_stage`` (unless mapped): the stage itself for open and won
  deals; ``lead`` for lost deals, because exports keep no stage history (reported).
- ``accounts.customer_since`` / ``acquisition_channel`` (unless mapped): close date and
  source of the account's first won deal.
- a loss reason is kept on lost deals only, an incident type on post-sale incidents only.
"""

from __future__ import annotations

import pandas as pd

from ..schema import OPEN_STAGES, TABLES
from .mapping import Mapping
from .report import ImportReport


def typed(table: str, frame: pd.DataFrame) -> pd.DataFrame:
    """The course columns of ``frame`` (course table ``table``) with dtypes
    `write_tables` can format (columns left empty or tables absent are all-missing object
    columns until here)."""
    out = {}
    for column in TABLES[table].columns:
        values = frame[column.name]
        if column.kind in ("date", "datetime"):
            values = pd.to_datetime(values)
        elif column.kind in ("int", "float", "money"):
            values = pd.to_numeric(values).astype("float64")
        elif column.kind == "bool":
            values = values.astype(bool)
        out[column.name] = values
    return pd.DataFrame(out, index=frame.index)


def empty_table(table: str) -> pd.DataFrame:
    """An empty frame of course table ``table`` (an absent export file)."""
    frame = pd.DataFrame({c: pd.Series([], dtype=object) for c in TABLES[table].column_names})
    frame["_line"] = pd.Series([], dtype=int)
    return frame



def derive(frames: dict[str, pd.DataFrame], mapping: Mapping, report: ImportReport) -> None:
    """Fill what the export does not store (see the module docstring) into ``frames``,
    as ``mapping`` leaves it out; each fill noted in ``report``."""
    opps = frames["opportunities"]
    open_deal = opps.stage.isin(OPEN_STAGES) & opps.close_date.notna()
    if open_deal.any():
        report.notes.append(f"opportunities: close_date cleared for {int(open_deal.sum())} "
                            "open deal(s): the export's date is an expected close date")
        opps = opps.assign(close_date=opps.close_date.where(~open_deal))
    rules = mapping.tables["opportunities"].rules
    if "furthest_stage" not in rules:
        lost = opps.stage == "lost"
        opps = opps.assign(furthest_stage=opps.stage.where(~lost, "lead"))
        if lost.any():
            report.notes.append(f"opportunities: furthest_stage of {int(lost.sum())} lost "
                                "deal(s) set to 'lead': the export keeps no stage history. "
                                "Stage conversions past the first step then lose no lost "
                                "deal: what they miss of 100% is deals still open at the "
                                "stage (not lost; they may still close)")
            report.filled.append({
                "table": "opportunities", "column": "furthest_stage", "file": "",
                "source": "no stage history", "default": "lead", "rows": int(lost.sum()),
                "derived": True})
    # the schema's rules for the two: a loss reason only on lost deals, an incident type
    # only on post-sale incidents (a vendor's field may be filled on others)
    opps = _only_where(opps, "opportunities", "loss_reason", opps.stage == "lost",
                       "deal(s) not lost", report)
    frames["opportunities"] = opps
    tickets = frames["tickets"]
    frames["tickets"] = _only_where(tickets, "tickets", "incident_type",
                                    tickets.category == "post-sale incident",
                                    "ticket(s) not a post-sale incident", report)
    accounts = frames["accounts"]
    won = opps[(opps.stage == "won") & opps.account_id.notna()].sort_values(
        ["close_date", "opportunity_id"])
    first = won.drop_duplicates("account_id").set_index("account_id")
    arules = mapping.tables["accounts"].rules
    # through dicts: Series.map with an empty datetime Series fails (no won deal at all)
    if "customer_since" not in arules:
        accounts = accounts.assign(customer_since=pd.to_datetime(
            accounts.account_id.map(first.close_date.to_dict())))
    if "acquisition_channel" not in arules:
        accounts = accounts.assign(acquisition_channel=accounts.account_id.map(
            first.source.to_dict()))
    frames["accounts"] = accounts


def _only_where(frame: pd.DataFrame, table: str, column: str, keep: pd.Series, others: str,
                report: ImportReport) -> pd.DataFrame:
    """``frame`` (course table ``table``) with ``column`` cleared outside ``keep``, noted
    with the count."""
    cleared = frame[column].notna() & ~keep
    if not cleared.any():
        return frame
    report.notes.append(f"{table}: {column} cleared on {int(cleared.sum())} {others} (the "
                        "course keeps it for those only)")
    return frame.assign(**{column: frame[column].where(~cleared)})

