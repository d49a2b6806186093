"""crm_course.kpis: the course's KPI library.

Pure functions over the loaded CRM data (`crm_course.load_crm`), one per KPI, grouped by
area: `sales`, `marketing`, `service`, `customers`, `adoption`, `data_quality`, `feedback`
(SUS) and `roi`. The registry (`REGISTRY`, `get_kpi`, `kpi_names`, `registry_table`)
records each KPI's name, area, formula, unit and good direction; `kpi_table` computes them
all for one period, with targets and status.

Common parameters
-----------------
crm : CRM
    The data, from ``load_crm()`` (or ``CRM(tables, meta)``).
start, end : str or Timestamp
    First and last day of the period, both included. A record belongs to a period by its
    own date (lead: ``created_date``; closed deal: ``close_date``; order: ``order_date``;
    ticket: ``created_at``; usage: ``date``); stocks (pipeline, open tickets, data
    quality) are taken at the end of the period's last day.
by : None, 'department', 'region' or 'team'
    Split by an attribute of the user behind each record (owner, agent, user), or of the
    account (region) for customer KPIs. KPIs that cannot be split raise `GroupingError`.
first, last : Timestamp
    The same period as ``start``, ``end``, already checked and made Timestamps
    (`period`): the names inner functions (records, engine) use.
confidence : float
    Two-sided confidence level of an interval or test (0.95: significance level 0.05),
    here and in `crm_course.inference` and `crm_course.designs`.

Returns
-------
A scalar KPI returns a plain float (NaN = no data to compute it from, e.g. a division by
zero), or with ``by`` a Series with one value per group (every group of the dataset's profile,
in its order: `group_labels`).

Errors name the argument: ``end`` before ``start``, an unknown ``by`` (listing the allowed
values), an unknown KPI ``name``.
"""

from ._common import GROUPINGS, GroupingError, group_labels, period
from .adoption import (
    active_user_rate,
    feature_usage,
    logins_per_user,
    unused_feature_count,
    unused_features,
)
from .basis import changes_roi
from .customers import (
    average_order_value,
    churn_rate,
    clv_retention,
    clv_simple,
    cohort_retention,
    cross_sell_rate,
    orders_per_customer,
    repeat_purchase_rate,
    retention_rate,
    visits_per_active_customer,
    winback_counts,
    winback_rate,
)
from .data_quality import (
    canonical_countries,
    completeness,
    completeness_by_column,
    data_quality_score,
    duplicate_clusters,
    duplicate_contact_rate,
    invalid_value_rate,
    invalid_values,
)
from .engine import compute
from .feedback import sus_score
from .marketing import (
    cac,
    campaign_conversion_rate,
    campaign_response_rate,
    cost_per_lead,
    marketing_roi,
)
from .registry import (
    AREAS,
    KPI,
    REGISTRY,
    get_kpi,
    kpi_label,
    kpi_names,
    registry_table,
)
from .roi import crm_roi, margin_per_won_deal
from .sales import (
    activities_per_rep,
    average_deal_size,
    funnel,
    lead_conversion_eventual,
    lead_conversion_rate,
    pipeline_value,
    sales_cycle_days,
    sales_per_rep,
    stage_conversion,
    win_rate,
)
from .service import (
    case_load_per_agent,
    csat,
    first_response_hours,
    open_tickets,
    overdue_tickets,
    post_sale_incidents_by_type,
    post_sale_incidents_per_100_orders,
    resolution_hours,
)
from .table import against_measured, judged_per, kpi_table, missing_note, status, targets

__all__ = [
    "AREAS", "GROUPINGS", "group_labels", "KPI", "REGISTRY", "GroupingError", "against_measured",
    "activities_per_rep", "active_user_rate", "average_deal_size", "average_order_value",
    "cac", "campaign_conversion_rate", "campaign_response_rate", "case_load_per_agent",
    "changes_roi", "churn_rate", "clv_retention", "clv_simple", "cohort_retention",
    "completeness", "completeness_by_column", "compute", "cost_per_lead", "crm_roi",
    "canonical_countries", "cross_sell_rate", "csat", "data_quality_score", "duplicate_clusters",
    "duplicate_contact_rate", "feature_usage", "first_response_hours", "funnel", "get_kpi",
    "invalid_value_rate", "invalid_values", "judged_per", "kpi_label", "kpi_names", "kpi_table",
    "lead_conversion_eventual", "lead_conversion_rate", "margin_per_won_deal", "missing_note",
    "logins_per_user", "marketing_roi", "open_tickets", "orders_per_customer",
    "overdue_tickets", "period", "pipeline_value", "post_sale_incidents_per_100_orders",
    "post_sale_incidents_by_type", "visits_per_active_customer",
    "registry_table", "repeat_purchase_rate", "resolution_hours", "retention_rate",
    "sales_cycle_days", "sales_per_rep", "stage_conversion", "status", "targets", "sus_score",
    "unused_feature_count", "unused_features", "win_rate", "winback_counts", "winback_rate",
]
