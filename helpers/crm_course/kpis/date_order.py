"""Records whose dates are in an impossible order, and the duration KPIs that leave them out.

A rule is the schema's ``Column.not_before`` (`schema.impossible_orders`): a deal closes on
or after the day it was created, a ticket is answered and resolved after it was opened, a
campaign response follows the send. A record breaking one stays in the data (it counts as
a lead, a deal, a ticket) but its duration is never measured (`_common.in_order`).
"""

from __future__ import annotations

from dataclasses import dataclass

from ..data import CRM
from ..schema import TABLES, impossible_orders
from ._common import in_order
from .registry import REGISTRY

DURATION_UNITS = ("days", "hours")  # a KPI whose unit ends so measures a duration


@dataclass(frozen=True)
class ImpossibleOrder:
    """One rule's records in the wrong order."""

    table: str
    later: str      # the column that comes too early
    earlier: str
    keys: tuple[str, ...]   # their primary keys, sorted
    kpis: tuple[str, ...]   # the duration KPIs that leave them out

    @property
    def rule(self) -> str:
        """The rule broken, in words: 'table.later before earlier'."""
        return f"{self.table}.{self.later} before {self.earlier}"


def duration_kpis(table: str, column: str) -> tuple[str, ...]:
    """Scalar KPIs measuring the time up to ``table.column``: those that need that ``column``,
    or the table itself, and have a duration unit (``sales_cycle_days`` for
    ``opportunities.close_date``) or count an ``outcome`` within the maturity window ('won':
    ``lead_conversion_rate``)."""
    return tuple(k.name for k in REGISTRY.values() if k.kind == "scalar"
                 and (k.unit.endswith(DURATION_UNITS) or k.outcome)
                 and (f"{table}.{column}" in k.tables or table in k.tables))


def impossible(crm: CRM) -> list[ImpossibleOrder]:
    """Every rule broken by at least one record of ``crm``, in schema order."""
    found = []
    for table, later, earlier in impossible_orders():
        frame = crm.tables[table]
        wrong = ~in_order(frame, table, later)
        if wrong.any():
            key = frame[TABLES[table].primary_key[0]][wrong].astype(str)
            found.append(ImpossibleOrder(table, later, earlier, tuple(sorted(key)),
                                         duration_kpis(table, later)))
    return found
