"""`kpi_table`: every scalar KPI of the registry for one period, in one tidy DataFrame.

Lessons, the report and the dashboard all read their numbers from here; the values come
from the evaluation engine (`evaluation.evaluate`: maturity, the data's start, possible
values) and each
status compares the value with its target over the target's own period length.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from ..data import CRM
from ..inference import CONFIDENCE
from ..schema import TABLE_WORDS
from ._common import GROUPINGS, check_by, group_labels, maturity_cut, period, shared_work
from .basis import first_year_basis, naive_roi_words
from .engine import (
    PERIOD_MONTHS,
    evaluate,
    level_interval,
    measured_span,
    months_between,
    per_period_interval,
    per_period_value,
    restates,
    target_period,
    values_interval,
)
from .registry import REGISTRY, kpi_names
from .roi import ASSUMPTIONS, conversion_benefit, crm_roi_inputs, roi, roi_text

STATUSES = ("met", "not met", "cannot tell", "met early", "not met yet", "cannot tell yet",
            "no target", "no data")
# a target whose date lies after the period's end is not yet due: its status says so
NOT_DUE = {"met": "met early", "not met": "not met yet", "cannot tell": "cannot tell yet"}
NO_TARGET = "no target recorded"   # a table's Target cell for a KPI without one
COLUMNS = ("kpi", "area", "value", "unit", "baseline", "target", "target_date", "benchmark",
           "status", "higher_is_better", "note", "with_interval")


def status(value: float, target: float, higher_is_better: bool | None,
           low: float | None = None, high: float | None = None) -> str:
    """The target status, judged with the ``value``'s uncertainty.

    With an interval [``low``, ``high``] of the value: 'met' when the whole interval is on
    the good side of ``target`` (in the KPI's good direction), 'not met' when the whole
    interval is on the bad side, 'cannot tell' when it straddles the target. Without one
    (``low``/``high`` None: a value measured exactly, such as a stock at the period's
    end), the value itself decides. 'no data' when the value is NaN, 'no target' without
    a target (or direction). ``higher_is_better``: the KPI's good direction (None: none)."""
    if math.isnan(value):
        return "no data"
    if target is None or higher_is_better is None or math.isnan(target):
        return "no target"
    low, high = (value, value) if low is None or high is None else (low, high)
    good, bad = (low, high) if higher_is_better else (-high, -low)
    goal = target if higher_is_better else -target
    if good >= goal:
        return "met"
    return "not met" if bad < goal else "cannot tell"


def due_status(judged: str, target_date, last) -> str:
    """``judged`` (a `status`) for a period ending on ``last``: as it is when the target is
    due by then (``target_date`` on or before ``last``, or not recorded), else the not-yet-
    due status ('met early', 'not met yet', 'cannot tell yet'): a target set for 30 June
    is not missed on data that end on 31 March."""
    if judged not in NOT_DUE or pd.isna(target_date) or pd.Timestamp(target_date) <= last:
        return judged
    return NOT_DUE[judged]


def against_measured(crm: CRM, name: str, start, end, reference: float,
                     what: str = "The recorded estimate") -> str:
    """Where ``reference`` (a figure recorded before the data, on the KPI's definition)
    lies against the 95 % interval of KPI ``name`` measured over [start, end]: inside it
    (the data cannot tell them apart), or above or below it. Shares print as percent. ``what``: the
    sentence's subject, naming ``reference``."""
    first, last = period(start, end)
    value = float(evaluate(crm, name, first, last).value)
    low, high, exact = level_interval(crm, name, first, last)
    fmt = "{:.1%}".format if REGISTRY[name].unit == "share" else "{:,.3g}".format
    if math.isnan(reference) or math.isnan(value):
        return f"{what}: no comparison (a figure is missing)."
    if low is None:
        how = ("a level measured exactly" if exact
               else "no interval here: the value alone is compared")
        return f"{what}, {fmt(reference)}, against {fmt(value)} measured ({how})."
    where = ("inside" if low <= reference <= high else
             "above" if reference > high else "below")
    tail = ("the data cannot tell the two apart" if where == "inside" else
            f"it is {'higher' if where == 'above' else 'lower'} than the data show")
    return (f"{what}, {fmt(reference)}, lies {where} the measured value's 95% interval "
            f"({fmt(low)} to {fmt(high)}): {tail}.")


def _names(kpis) -> list[str]:
    scalar = kpi_names()
    if kpis is None:
        return scalar
    names = [kpis] if isinstance(kpis, str) else list(kpis)
    wrong = [n for n in names if n not in scalar]
    if wrong:
        tables = [n for n in wrong if n in REGISTRY]
        why = (f" ({', '.join(tables)} {'is a table' if len(tables) == 1 else 'are tables'}: "
               "call the function itself)") if tables else ""
        raise ValueError(f"kpis: unknown KPI name(s) {', '.join(map(repr, wrong))}{why}; "
                         f"known: {', '.join(scalar)}")
    return names


def targets(crm: CRM) -> pd.DataFrame:
    """Baseline, target and benchmark of every scalar KPI, the ``period`` they refer to
    ('month', 'quarter', 'year') and the ``target_date`` by which the target should be
    reached, indexed by KPI name; NaN / None / NaT where ``crm.kpi_targets`` has no row (a
    CRM export usually has none)."""
    recorded = crm.kpi_targets.set_index("kpi")
    numbers = recorded[["baseline", "target", "benchmark"]].reindex(kpi_names()).astype(float)
    length = recorded["period"].reindex(kpi_names()).astype(object)
    return numbers.assign(period=length.where(length.notna(), None),
                          target_date=pd.to_datetime(recorded["target_date"]
                                                     .reindex(kpi_names())))


def _roi_range(crm: CRM, name: str, first, last) -> str:
    """An ROI row's range and pricing assumptions: for ``changes_roi`` the naive ROI of the
    improvements with its test (`basis.naive_roi_words`; the page that shows the row adds
    the ROI the report leads with, `payoff.headline_words`, which reads this table); the
    CRM's (`crm_roi_words`) for ``crm_roi``; '' for any other KPI."""
    if name == "changes_roi":
        return naive_roi_words(crm, first, last)
    return crm_roi_words(crm, first, last) if name == "crm_roi" else ""


def _window_note(crm: CRM, name: str, note: str, first, last) -> str:
    """The engine's ``note`` (maturity) of KPI ``name`` over [first, last], naming the window
    the value is measured on: for ``changes_roi`` it starts no earlier than the month the
    first improvement went live (`basis.first_year_basis`), so the note names that."""
    basis = first_year_basis(crm, first, last) if name == "changes_roi" else ""
    if isinstance(basis, str) or basis.first <= first:
        return note
    cut = maturity_cut(crm, basis.first, last)[1]
    return (f"{cut or f'measured {basis.first:%d %b %Y} to {basis.last:%d %b %Y}'}; the "
            "measured window starts on the first day of the month the first improvement went "
            "live")


def crm_roi_words(crm: CRM, first, last, confidence: float = CONFIDENCE) -> str:
    """The CRM's ROI (``crm_roi``) with its range and both pricing assumptions: the
    uplift, lead conversion of the period's leads (Wilson interval, `values_interval`)
    minus the recorded pre-CRM conversion (a recorded figure, no interval), and the ends of
    its interval priced over those leads through `roi.roi` (so the loss side stops at
    -100 %) under each of `roi.ASSUMPTIONS`; '' when it cannot be computed."""
    found = crm_roi_inputs(crm, first, last)
    if found is None:
        return ""
    won, counted, reference, margin, cost = found
    if not cost > 0 or counted < 2 or math.isnan(margin) or math.isnan(reference):
        return ""
    share = won / counted
    low, high, _ = values_interval(np.repeat([1.0, 0.0], [won, counted - won]), "share",
                                   confidence)
    days = crm.profile.maturity_days
    rois = {a: [roi_text(roi(conversion_benefit(p - reference, counted, margin, a, days),
                             cost)) for p in (share, low, high)] for a in ASSUMPTIONS}
    (m, m_low, m_high), (e, e_low, e_high) = rois["more wins"], rois["earlier wins"]
    return (f"ROI {m} if the extra wins are deals that would otherwise be lost (more wins), "
            f"range {m_low} to {m_high}: lead conversion of the period's {counted:,} leads "
            f"old enough, {share:.1%} ({confidence:.0%} interval {low:.1%} to {high:.1%}), "
            f"against the recorded {reference:.1%} before the CRM (a recorded figure, "
            f"without interval), x {crm.profile.money(margin)} gross margin per won deal, "
            f"priced; if they are the same deals won sooner (earlier wins) {e} (range "
            f"{e_low} to {e_high})")


def missing_note(crm: CRM, name: str) -> str:
    """'' when the KPI ``name`` can be computed from ``crm``; else what the dataset lacks in
    words (`schema.TABLE_WORDS`): 'no data: the dataset has no service tickets', or for an
    empty column the column in words (`column_words`) and then the mapping key to type:
    'no data: the service tickets have no first response time; map the column in the
    import mapping: tables.tickets.columns.first_response_at'. A KPI needing one of several
    sources (`KPI.needs_any`) lacks data when all of them are lacking, and names them all."""
    k = REGISTRY[name]
    missing = crm.missing(*k.tables)
    either = crm.missing(*k.needs_any)
    if k.needs_any and len(either) == len(k.needs_any):
        missing += [m for m in either if m not in missing]
    tables = [TABLE_WORDS[m] for m in missing if "." not in m]
    said = [f"the dataset has no {join_words(tables)}"] if tables else []
    for need in (m for m in missing if "." in m):
        table, column = need.split(".")
        said.append(f"the {TABLE_WORDS[table]} have no {column_words(column)}; map the "
                    f"column in the import mapping: tables.{table}.columns.{column}")
    return f"no data: {'; '.join(said)}" if said else ""


def column_words(column: str) -> str:
    """A column's name in words: 'churn_date' -> 'churn date', 'first_response_at' ->
    'first response time'. ``column``: the schema's column name."""
    if column.endswith("_at"):
        column = column.removesuffix("_at") + "_time"
    return column.replace("_", " ")


def join_words(items: list[str]) -> str:
    """'a', 'a or b', 'a, b or c'. ``items``: the words to join."""
    return " or ".join(items) if len(items) <= 2 else f"{', '.join(items[:-1])} or {items[-1]}"


def unknown_amount_note(crm: CRM, name: str) -> str:
    """For KPIs summing ``opportunities.amount``: how many deals have no amount (an export
    can lack it); '' when all have one. ``name``: the KPI's name."""
    unknown = int(crm.opportunities.amount.isna().sum())
    if not REGISTRY[name].sums_amount or not unknown:
        return ""
    return (f"{unknown} of {len(crm.opportunities)} opportunities have no amount: counted, "
            "their value left out")


def judged_per(crm: CRM, name: str, start, end) -> str:
    """The period ('quarter') that `kpi_table`'s value of KPI ``name`` over [start, end] is
    a rate per: its target's, when the KPI is judged per that period (`engine.restates`:
    it grows with the period's length, the window is not one such period, a target is
    recorded); '' when the value is over the window itself."""
    length = target_period(crm, name)
    return length if length and restates(name, *period(start, end), length) else ""


ALONE = "judged on the value alone"  # the note's words when no interval could be used


def group_intervals(crm: CRM, name: str, first, last, by: str
                    ) -> dict[str, tuple[float | None, float | None]]:
    """{group: (low, high)}: the 95 % interval of KPI ``name`` in each group of ``by`` from
    the group's records (`records`, after the maturity and left-truncation rules,
    `engine.measured_span`), as `level_interval` for the
    whole company; {} for a KPI without record-level observations."""
    k = REGISTRY[name]
    if k.records is None or k.aggregation == "level" or by not in k.groupings:
        return {}
    first_ok, last_ok, _, _ = measured_span(crm, name, first, last)
    if last_ok < first_ok:
        return {}
    found = k.records(crm, first_ok, last_ok, by=by)
    found = found[found.notna()]
    return {label: values_interval(x.to_numpy(), k.test)[:2]
            for label, x in found.groupby(level=0)}


def _judged(crm: CRM, name: str, first, last, value: float, target: float, length,
            by: str | None, interval: tuple | None) -> tuple[float, str, str, bool]:
    """(value shown, status, how it was judged: '' or a note, whether an interval or an
    exact level judged it) of one value (the company's, or a group's of ``by`` with its
    ``interval``) against the target (see `kpi_table`): the value shown is the one judged,
    the pooled rate per ``length`` for a KPI judged per its target's period."""
    k = REGISTRY[name]
    if math.isnan(value) or math.isnan(target):
        return value, status(value, target, k.higher_is_better), "", False
    if restates(name, first, last, length) and by is not None:
        return value, "no target", (f"its target is per {length}: a group's value over "
                                    "this period is not judged against it"), False
    if restates(name, first, last, length):
        return _per_period(crm, name, first, last, target, length)
    if by is None:
        low, high, exact = level_interval(crm, name, first, last)
    else:
        exact = k.aggregation == "level"
        low, high = interval if interval and interval[0] is not None else (None, None)
        exact = exact or low is not None
    how = "" if exact else f"no interval for this KPI here: {ALONE}"
    return value, status(value, target, k.higher_is_better, low, high), how, bool(exact)


def _per_period(crm: CRM, name: str, first, last, target: float, length: str
                ) -> tuple[float, str, str, bool]:
    """`_judged` for KPI ``name`` judged per ``length``, its target's period: the pooled
    rate over the window's whole periods with its interval, or NaN and 'no data' with why
    (a window shorter than one period, or holding no whole calendar one)."""
    k = REGISTRY[name]
    restated, how = per_period_value(crm, name, first, last, length)
    if math.isnan(restated):
        months = months_between(first, last)
        span = ("under a month" if months < 0.5 else "a month" if months < 1.5
                else f"{months:.0f} months")
        why = (f"{span} is shorter than the target's period, a {length}"
               if months < PERIOD_MONTHS[length] else how)
        return math.nan, "no data", f"{why}: not judged against the target", False
    shown = f"{restated:.1%}" if k.unit == "share" else f"{restated:.3g}"
    low, high = per_period_interval(crm, name, first, last, length)
    if low is None:
        return (restated, status(restated, target, k.higher_is_better),
                f"judged per {length}, the target's period: {shown} a {length} ({how}); no "
                f"interval here: {ALONE}", False)
    return (restated, status(restated, target, k.higher_is_better, low, high),
            f"judged per {length}, the target's period: {shown} a {length}, 95% interval "
            f"{low:.1%} to {high:.1%} ({how})", True)


def kpi_table(crm: CRM, start, end, by: str | None = None, *, kpis=None) -> pd.DataFrame:
    """Every scalar KPI of the registry for the period, with baseline, target and status.

    Parameters
    ----------
    crm : CRM
        The loaded data (``load_crm()``).
    start, end : str or Timestamp
        First and last day of the period, both included.
    by : None, 'department', 'region' or 'team'
        Split every KPI by this attribute of the user behind each record (owner, agent,
        user), or of the account for customer KPIs (region only). A KPI that cannot be
        split gets NaN for every group and says why in ``note``.
    kpis : list of str, optional
        Only these registered KPIs (default: all scalar ones, registry order).

    Returns
    -------
    DataFrame
        One row per KPI (and group): ``kpi, area, [by,] value, unit, baseline, target,
        target_date, benchmark, status, higher_is_better, note, with_interval``.
        ``baseline``, ``target`` and ``benchmark`` come from ``crm.kpi_targets`` (company-
        wide, NaN when not recorded), ``target_date`` too (NaT). ``status`` is 'met' / 'not
        met' against the target in the KPI's good direction when the value's 95 % interval
        (`evaluation.level_interval`) lies wholly on one side of it, 'cannot tell' when the
        interval straddles it, 'no target', or 'no data' (value NaN: nothing to compute it
        from); a group is judged the same way with the interval of its own records
        (`group_intervals`). Without an interval (a KPI without records, a group of one
        record) the value alone decides, the note says 'judged on the value alone' and
        ``with_interval`` is False. A KPI that grows with the period's length (churn) is
        judged over its target's period: over a year against a quarterly target, its value
        is the pooled quarterly rate, judged with its interval, which the note gives (a
        group is then not judged); over a window shorter than the target's period (or
        holding no whole one) it is not judged: NaN, 'no data' and the note says why. A KPI
        whose records need time (lead conversion) counts only records old enough at the
        data's end, and the note says when that cuts the period; a duration counted at its
        end (the sales cycle) counts only records ending late enough after the data's start
        (`evaluation.counted_from`), and the note says so when that cuts it. A KPI whose tables are
        empty (an export without a usage log ...) is not computed: its value is NaN and its
        note names the empty tables. When the target's date lies after the period's end, the
        target is not due yet and the status says so (`due_status`): 'met early', 'not met
        yet' or 'cannot tell yet'.

    Raises
    ------
    ValueError
        ``end`` before ``start``, an unknown ``by`` (lists the allowed values), or an
        unknown name in ``kpis``.
    """
    first, last = period(start, end)
    check_by(by, tuple(GROUPINGS))
    names = _names(kpis)
    refs = targets(crm)
    labels = [None] if by is None else list(group_labels(crm, by))
    rows = []
    with shared_work():
        for name in names:
            k = REGISTRY[name]
            absent = missing_note(crm, name)
            note = absent or "; ".join(
                n for n in (unknown_amount_note(crm, name), k.note) if n)
            if by is not None and by not in k.groupings:
                values = [np.nan] * len(labels)
                can = " or ".join(k.groupings) if k.groupings else "nothing (company-wide)"
                note = f"cannot be split by {by}: only by {can}"
            elif absent:
                values = [np.nan] * len(labels)
            else:
                measured = evaluate(crm, name, first, last, **({"by": by} if by else {}))
                note = "; ".join(n for n in (_window_note(crm, name, measured.note, first,
                                                          last), measured.cut,
                                             note, _roi_range(crm, name, first, last))
                                 if n)
                values = ([measured.value] if by is None else
                          measured.value.reindex(labels).to_numpy(dtype=float))
            baseline, target, benchmark, length, target_date = refs.loc[name]
            grouped = (group_intervals(crm, name, first, last, by)
                       if by is not None and not math.isnan(target) else {})
            for label, value in zip(labels, values, strict=True):
                value, judged, how, with_interval = _judged(
                    crm, name, first, last, float(value), target, length, by,
                    grouped.get(label))
                rows.append({
                    "kpi": name, "area": k.area, by: label, "value": value,
                    "unit": crm.profile.unit(k.unit), "baseline": baseline, "target": target,
                    "target_date": target_date, "benchmark": benchmark,
                    "status": due_status(judged, target_date, last),
                    "higher_is_better": k.higher_is_better,
                    "note": "; ".join(n for n in (note, how) if n),
                    "with_interval": with_interval,
                })
    columns = list(COLUMNS[:2]) + ([by] if by else []) + list(COLUMNS[2:])
    table = pd.DataFrame(rows, columns=columns)
    table["note"] = table["note"].astype("str")
    return table
