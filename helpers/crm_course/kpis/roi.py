"""ROI of the CRM and of its improvements, from the change log and the sales results.

ROI = (benefit - cost) / cost. `changes_roi`, the ROI of the improvements, is the naive
before/after on the one first-year basis of every ROI of the improvements
(`basis.changes_roi`, `basis.first_year_basis`; the other estimates are in `payoff`).
`crm_roi`, the ROI of the CRM: cost, the one-off costs (``changes.cost``) of the changes
with status 'done' that went live in the period. Benefit: the gross margin of the extra
deals won compared with a reference conversion rate,

    benefit = (lead_conversion_rate - reference_rate) x leads x gross margin per won deal,

over the leads created in the period (`margin_per_won_deal` of those leads), conversion
as the course defines it: won within the maturity window (`lead_conversion_rate`). Other
benefits (service time saved, better data) are not priced. ROI is company-wide: it cannot
be split by ``by``.

Maturity: the engine's rule (`engine.mature_end`, the registry entry's ``matures``) is
applied here, once, to the whole window (`measured_window`): the window's leads and costs
end on the last day whose leads are old enough, so ``changes_roi(crm, a, b)``,
``evaluation.compute``, `kpi_table`, the exercises and the dashboard give one value for one
window.
"""

from __future__ import annotations

import numpy as np

from ..data import CRM
from ..inference import with_sign
from ._common import (
    Result,
    divide,
    fixed_groups,
    in_period,
    isin,
    maturity_cut,
    period,
    user_groups,
)
from .sales import converted_leads

DONE = "done"


def _done_changes(crm: CRM, first, last):
    c = crm.changes
    return c[in_period(c.start_date, first, last) & (c.status == DONE).to_numpy(dtype=bool)]


def created_leads(crm: CRM, first, last, regions: set[str] | None) -> np.ndarray:
    """Mask of the opportunities (leads) created in [``first``, ``last``] whose owner's
    region is one of ``regions`` (None: every region)."""
    o = crm.opportunities
    leads = in_period(o.created_date, first, last)
    if regions is not None:
        groups = user_groups(crm, o, "owner_id", "region")
        wanted = [k for k, r in enumerate(groups.labels) if r in regions]
        leads &= np.isin(groups.codes, wanted)
    return leads


def margin_per_won_deal(crm: CRM, start=None, end=None, *,
                        regions: set[str] | None = None) -> float:
    """Gross margin of a won deal, the one definition every ROI of the course uses.

    margin_per_won_deal = sum of ``orders.gross_margin`` of the orders that came from won
    deals / number of won deals, over the deals created from ``start`` to ``end`` (default:
    the whole data) whose owner works in ``regions`` (default: every region). A won deal
    without an order counts with margin 0.

    Returns
    -------
    float; NaN when no deal was won or the dataset has no orders (margin unknown, not 0).
    """
    first, last = crm.period("all") if start is None and end is None else period(start, end)
    return _margin(crm, created_leads(crm, first, last, regions))


def _margin(crm: CRM, leads: np.ndarray) -> float:
    o = crm.opportunities
    won = leads & (o.stage == "won").to_numpy(dtype=bool)
    orders = crm.orders
    if orders.empty:
        return float("nan")
    from_won = isin(orders.opportunity_id, o.opportunity_id[won])
    return float(divide(orders.gross_margin.to_numpy(dtype=float)[from_won].sum(),
                        np.count_nonzero(won))[0])


def measured_window(crm: CRM, start, end) -> tuple:
    """(first, last) of an ROI KPI (its entry ``matures``) over [start, end] after the
    engine's maturity rule (`_common.maturity_cut`): ``last`` earlier than asked when the
    window's last leads are too young; ``last < first`` when none is old enough."""
    first, last = period(start, end)
    return first, maturity_cut(crm, first, last)[0]


def _check_rate(reference_rate) -> None:
    if reference_rate is not None and not (isinstance(reference_rate, int | float)
                                           and 0 <= reference_rate <= 1):
        raise ValueError(f"reference_rate must be None or a share from 0 to 1, "
                         f"got {reference_rate!r}")


def crm_roi(crm: CRM, start, end, *, by: str | None = None,
            reference_rate: float | None = None, within_days: int | None = None) -> Result:
    """ROI of the CRM over the period: (benefit - cost) / cost.

    roi = ((conversion - reference_rate) x leads x margin per won deal - cost) / cost, with
    cost = all done changes that went live in the period (implementation, licences,
    training, updates) and the benefit over the leads created in the period (see the
    module), through `roi` (so -1, the whole cost lost, at worst); 0 is break-even. The
    period ends where its leads stop being old enough (`measured_window`).

    Parameters
    ----------
    reference_rate : float, optional
        Conversion without the CRM; default: the pre-CRM lead conversion recorded in
        ``kpi_targets`` (baseline of lead_conversion_rate).
    within_days : int, optional
        Another conversion window than the profile's maturity (`lead_conversion_rate`).

    Returns
    -------
    float; NaN when there is no cost in the period, no won deal, or no reference.
    """
    groups = fixed_groups(by)
    found = crm_roi_inputs(crm, start, end, reference_rate, within_days)
    if found is None:
        return groups.result(np.array([np.nan]), "crm_roi")
    won, counted, reference_rate, margin, cost = found
    benefit = (won - reference_rate * counted) * margin
    value = roi(benefit, cost) if cost > 0 and not np.isnan(benefit) else float("nan")
    return groups.result(np.array([value]), "crm_roi")


def crm_roi_inputs(crm: CRM, start, end, reference_rate: float | None = None,
                   within_days: int | None = None
                   ) -> tuple[int, int, float, float, float] | None:
    """(won, counted, reference_rate, margin, cost) of `crm_roi` over [start, end] (cut by
    `measured_window`): leads won within the window of `lead_conversion_rate` and leads that
    count, of those created in the period; the reference conversion (``reference_rate``;
    default: the recorded baseline of lead conversion, NaN when none); `margin_per_won_deal`
    of those leads; the cost of the done changes that went live in it. None when no lead is
    old enough. ``within_days``: another conversion window, as in `crm_roi`."""
    _check_rate(reference_rate)
    first, last = measured_window(crm, start, end)
    if last < first:
        return None
    if reference_rate is None:
        t = crm.kpi_targets
        recorded = t.baseline[t.kpi == "lead_conversion_rate"].to_numpy(dtype=float)
        reference_rate = float(recorded[0]) if len(recorded) else float("nan")
    leads = created_leads(crm, first, last, None)
    days = crm.profile.maturity_days if within_days is None else within_days
    counted, won = converted_leads(crm, leads, days)
    return (np.count_nonzero(won), np.count_nonzero(counted), float(reference_rate),
            _margin(crm, leads), float(_done_changes(crm, first, last).cost.sum()))


# --------------------------------------------------------------------------- the one ROI

LOSS_FLOOR = -1.0  # the whole cost lost: an ROI never goes lower (a fall is not charged)
DISCOUNT_RATE = 0.10  # a year: what having a margin sooner is worth (as `clv_retention`)
ASSUMPTIONS = {
    "more wins": "the extra wins within the maturity window are deals that would "
                 "otherwise have been lost, each worth the margin per won deal",
    "earlier wins": "the extra wins are deals that would have been won later anyway: "
                    "only having their margin sooner is gained, worth the discount rate "
                    "over the maturity window",
}


def roi(benefit: float, cost: float) -> float:
    """The course's one ROI, as a fraction shown in percent: (max(``benefit``, 0) - ``cost``)
    / cost, so -1 (-100 %: the whole cost lost) at worst.

    A negative benefit (the KPI fell) is not charged to the investment: that would be a
    causal claim the data do not support; the ROI is then -100 %, a number, never "no ROI".
    Raises ValueError for a cost that is not positive.
    """
    if not cost > 0:
        raise ValueError(f"cost must be positive, got {cost}")
    return (max(benefit, 0.0) - cost) / cost


def roi_text(value: float) -> str:
    """An ROI in percent, signed, in whole percent (a level, not a change: one that rounds
    to zero is '0 %'): 4.3 -> '+430 %', -1 -> '-100 %'; NaN -> 'n/a'. ``value``: the ROI
    as a fraction."""
    if value is None or np.isnan(value):
        return "n/a"
    return f"{with_sign(value, f'{abs(value) * 100:,.0f}')} %"


def conversion_benefit(uplift: float, leads: float, margin: float, assumption: str,
                       days: int) -> float:
    """Margin a conversion ``uplift`` (share) over ``leads`` brings under ``assumption``:
    'more wins' uplift x leads x ``margin``; 'earlier wins' that x DISCOUNT_RATE x days / 365
    (the same margin, ``days`` sooner)."""
    if assumption not in ASSUMPTIONS:
        raise ValueError(f"assumption must be one of {', '.join(ASSUMPTIONS)}, "
                         f"got {assumption!r}")
    extra = uplift * leads * margin
    return extra if assumption == "more wins" else extra * DISCOUNT_RATE * days / 365
