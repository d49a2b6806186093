"""The records behind a KPI a change can be judged on, one row per lead, deal, ticket,
order or survey response, with where the change was assigned (region), when (before /
after go-live) and by whom: the KPI's own records (its registry entry's ``records`` with
``by=RECORD``, `kpis.records`), so the verdict compares exactly what the KPI counts.

A panel has ``y`` (the record's value: 1/0 for a won lead, hours to first reply, 1/0 for a
satisfied CSAT answer ...), ``region``, ``treated`` (the region got an improvement by the
change log, `treated_regions`, and is not the profile's control region; records of a
region in neither group, or of none, are left out), ``post`` (created on or after
``changes_start``), ``created`` (the day the record belongs to) and the column of the
person who handled it (``owner_id``, ``agent_id``, ...: `handler`). The mean (shares,
money) or median (durations) of ``y`` over a period is the registry's value of the KPI
(`kpis.compute`).
"""

from __future__ import annotations

import pandas as pd

from ..data import CRM
from ..schema import CHANGE_KINDS, region_names
from .records import RECORD
from .registry import REGISTRY

JUDGED = ("share", "median")  # tests whose change the verdict states (pp / relative %)


def panel_kpis() -> list[str]:
    """The KPIs a change can be judged on, in registry order: dated records (the entry's
    ``dated``) whose test is a share or a median (the verdict states a change in points or
    relative %; a mean of money or scores has no such scale yet), and not left-truncated
    (the sales cycle: deals won in the data's first weeks cannot be old, so a panel over
    the whole data would bias the months before go-live)."""
    return [name for name, k in REGISTRY.items()
            if k.records is not None and k.dated and k.test in JUDGED
            and not k.left_truncated]


def panel_entry(kpi: str):
    """The registry entry of ``kpi``; ValueError naming `panel_kpis` when it has no panel."""
    if kpi not in panel_kpis():
        raise ValueError(f"kpi: {kpi!r} has no dated records to judge a change on; one of "
                         f"{', '.join(panel_kpis())}")
    return REGISTRY[kpi]


def panel(crm: CRM, kpi: str, **options) -> pd.DataFrame:
    """The records behind ``kpi`` (one of `panel_kpis`) over the data's whole period, with
    ``post`` and ``treated``; ``options`` go to the records function (e.g.
    ``business_hours=False``). ``attrs``: ``handler`` (the person column) and ``test`` (the
    registry's statistic: share, median or mean)."""
    entry = panel_entry(kpi)
    out = entry.records(crm, *crm.period("all"), by=RECORD, **options)
    out = out[_compared(crm, out.region)]
    created = pd.to_datetime(out.created)
    out = out.assign(created=created,
                     post=created >= pd.Timestamp(crm.meta["changes_start"]),
                     treated=_treated(crm, out.region))
    out.attrs.update(handler=out.columns[0], test=entry.test)
    return out


IMPROVEMENTS = tuple(k for k in CHANGE_KINDS if k not in ("implementation", "licence"))


def _improvements(crm: CRM) -> pd.DataFrame:
    """The change log's improvements live from go-live: done changes starting on or after
    ``changes_start`` of a kind in `IMPROVEMENTS`."""
    c = crm.changes
    live = ((c.status == "done").to_numpy(dtype=bool)
            & c.kind.astype(str).isin(IMPROVEMENTS).to_numpy(dtype=bool)
            & (c.start_date >= pd.Timestamp(crm.meta["changes_start"])).to_numpy(dtype=bool))
    return c[live]


def treated_regions(crm: CRM) -> list[str]:
    """The regions that got an improvement (`_improvements`) by the change log, sorted;
    [] when the dataset has no change log. With a control region that got none, every
    other region of the log's changes; with one that got some (`control_changed`), it
    is among them."""
    if crm.missing("changes") or crm.changes.empty:
        return []
    return sorted(set().union(*map(region_names, _improvements(crm).regions)))


def control_changed(crm: CRM) -> list[str]:
    """Ids of the improvements (done changes live on or after go-live, ``changes_start``,
    of a kind that changes how people work: training, system update, process change,
    integration; `IMPROVEMENTS`) whose regions include the control region: with any, the
    control region is no control group. Licences and the implementation, for every
    region, are not improvements; a change with no KPI recorded still is one."""
    control = crm.profile.control_region
    if not control or crm.changes.empty:
        return []
    live = _improvements(crm)
    return list(live.change_id[live.regions.map(lambda text: control in region_names(text))]
                .astype(str))


def _treated(crm: CRM, region: pd.Series) -> pd.Series:
    """Whether each record's ``region`` got an improvement (`treated_regions`) and is not
    the named control region; without a change log, every region but the control."""
    control, got = crm.profile.control_region, set(treated_regions(crm))
    return (region.isin(got) if got else region.notna()) & (region != control)


def _compared(crm: CRM, region: pd.Series) -> pd.Series:
    """Records that belong to one of the compared groups: a region that got an improvement
    or the control region. A record without a region (an owner missing from the users
    export) or of a region that got no improvement and is not the control is in neither."""
    got = set(treated_regions(crm))
    control = crm.profile.control_region
    return region.isin(got | {control}) if got else region.notna()


def handler(frame: pd.DataFrame) -> str:
    """The column of a panel naming who handled each record (``owner_id``, ``agent_id``). ``frame``:
    a `panel`."""
    return frame.attrs["handler"]


def lead_outcomes(crm: CRM) -> pd.DataFrame:
    """`panel` of ``lead_conversion_rate``: one row per lead old enough to have had the
    profile's maturity window to close, with ``won`` (within the window, = ``y``),
    ``created_date`` (= ``created``), ``post``, ``treated``, ``region`` and ``owner_id``."""
    out = panel(crm, "lead_conversion_rate")
    return out.assign(won=out.y.astype(bool), created_date=out.created)


def ticket_response_times(crm: CRM, business_hours: bool = True) -> pd.DataFrame:
    """`panel` of ``first_response_hours``: one row per answered ticket with ``hours`` (the
    profile's business hours, or calendar hours; = ``y``), ``post``, ``treated``,
    ``region`` (the account's) and ``agent_id``. ``business_hours``: False for calendar hours."""
    out = panel(crm, "first_response_hours", business_hours=business_hours)
    return out.assign(hours=out.y)


def csat_answers(crm: CRM) -> pd.DataFrame:
    """`panel` of ``csat``: one row per CSAT answer, ``y`` = 1 for a 4 or 5."""
    return panel(crm, "csat")
