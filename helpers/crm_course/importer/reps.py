"""Who is a sales rep: a user of the course department `REP_DEPARTMENT` (the staff that
`kpis.sales_per_rep` and `kpis.activities_per_rep` count). An export whose departments
the mapping does not translate to it has no rep: the import warns, naming the values
found and the mapping key to set, and the report says those KPIs are not measured. An
export that leaves most users' department empty (filled with the mapping's default) keeps
few reps: the import warns (`check_default_department`), and the report cautions when the
reps own less than `REP_SHARE` of the amount won in a period the report shows the KPI
for: the review window or its baseline (`provenance.rep_share`)."""

from __future__ import annotations

import pandas as pd

from ..data import quote_values
from .mapping import MAPPINGS_DIR, Mapping
from .report import ImportReport

REP_DEPARTMENT = "sales"
PER_REP = ("sales_per_rep", "activities_per_rep")   # the KPIs that count reps
MANY_DEFAULTS = 0.25   # users given the default department at this share or more: warned
REP_SHARE = 0.95  # reps owning less: sales per rep reads over 5 % high, the report cautions


def check_default_department(users: pd.DataFrame, placeholder: str | None,
                             report: ImportReport) -> None:
    """When the mapping's default department was filled for `MANY_DEFAULTS` of the people
    of ``users`` (the converted users; ``placeholder``: the placeholder owner's key) or
    more while some are reps, warn in ``report``: sales per rep credits the few reps with
    every won deal, also those of the users given the default."""
    fill = next((f for f in report.filled if f["table"] == "users"
                 and f["column"] == "department" and not f.get("absent")), None)
    people = users[users.user_id != placeholder]
    reps = int((people.department == REP_DEPARTMENT).sum())
    if (fill is None or not reps or fill["default"] == REP_DEPARTMENT
            or fill["rows"] < MANY_DEFAULTS * len(people)):
        return
    report.warnings.append(
        f"{fill['file']}, column '{fill['source']}': {fill['rows']:,} of {len(people):,} "
        f"users have no department and were set to the default '{fill['default']}', so "
        f"only {reps:,} user(s) are sales reps. Sales per rep divides every won deal, also "
        f"those owned by the users set to '{fill['default']}', by those reps' licensed "
        "months (too high), and activities per rep counts those reps only. Fill the "
        "department of your sales reps in the export and import again")


def check_reps(users: pd.DataFrame, placeholder: str | None, mapping: Mapping,
               report: ImportReport) -> None:
    """When no user of ``users`` (the converted users; ``placeholder``: the key of the
    placeholder owner, no person) is in `REP_DEPARTMENT`, record in ``report`` the
    departments found, those ``mapping`` does not translate, and the key to set; and
    warn."""
    people = users[users.user_id != placeholder]
    if people.empty or (people.department == REP_DEPARTMENT).any():
        return
    tm = mapping.tables["users"]
    rule = tm.rules.get("department")
    found = people.department.astype(str).value_counts().sort_index()
    found = found.sort_values(ascending=False, kind="stable")
    translated = set(rule.values.values()) if rule is not None else set()
    untranslated = [v for v in found.index if v not in translated]
    source = (" + ".join(f"'{s}'" for s in rule.sources) if rule is not None and rule.sources
              else "(a constant)")
    own = (f"your own copy of {mapping.path.name}" if mapping.path.parent == MAPPINGS_DIR
           else mapping.path.name)
    report.departments = {
        "found": [[str(k), int(n)] for k, n in found.items()],   # a list: kept in order
        "untranslated": untranslated, "file": tm.file, "source": source,
        "setting": f"tables.users.columns.department.values in {own}"}
    report.warnings.append(
        f"{tm.file}, column {source}: no user is in the course's '{REP_DEPARTMENT}' "
        f"department, so sales per rep and activities per rep are not measured. Departments "
        f"found: {', '.join(f'{v!r} {n}' for v, n in found.items())}"
        + (f"; not translated: {quote_values(untranslated)}" if untranslated else "")
        + f". Translate the department(s) of your sales reps to '{REP_DEPARTMENT}' under "
        f"tables.users.columns.department.values in {own} (e.g. "
        f"{untranslated[0] if untranslated else found.index[0]}: {REP_DEPARTMENT}) and "
        "import again")
