"""A starter mapping written from an export folder (``--init-mapping``).

For each CSV file the course table is guessed from the file's name (`TABLE_WORDS`), and
for each course column the export column from known names (`COLUMN_WORDS`) or the
closest header (difflib, on lower-case letters and digits only). Columns of fixed
course values (stage, priority ...) list every label seen, each mapped to null: the
user writes the course value beside it. Nothing is guessed silently: every guess is
marked ``# guessed``, every gap ``# TODO``, and `load_mapping` refuses the file until
the required gaps are filled.
"""

from __future__ import annotations

import difflib
import json
import re
from pathlib import Path

import pandas as pd

from ..schema import TABLES
from .mapping import DELIMITERS

TABLE_WORDS = {
    "users": ("user", "users", "owner", "owners", "systemuser", "employees"),
    "accounts": ("account", "accounts", "company", "companies", "organization",
                 "organizations", "organisations"),
    "contacts": ("contact", "contacts", "person", "persons", "people"),
    "opportunities": ("opportunity", "opportunities", "deal", "deals", "sales_pipeline"),
    "campaigns": ("campaign", "campaigns"),
    "campaign_members": ("campaignmember", "campaign_members", "campaignmembers"),
    "tickets": ("case", "cases", "ticket", "tickets", "incident", "incidents"),
    "orders": ("order", "orders", "salesorder"),
}
COLUMN_WORDS = {   # course column -> export headers known to mean it (normalised)
    "user_id": ("userid", "ownerid", "systemuserid"),
    "account_id": ("accountid", "companyid", "associatedcompanyid", "orgid", "account"),
    "contact_id": ("contactid", "personid"),
    "opportunity_id": ("opportunityid", "dealid"),
    "owner_id": ("ownerid", "hubspotownerid", "dealowner", "salesagent", "userid"),
    "agent_id": ("ownerid", "hubspotownerid", "ticketowner", "agent"),
    "ticket_id": ("caseid", "ticketid", "incidentid"),
    "campaign_id": ("campaignid",),
    "created_date": ("createddate", "createdate", "createdon", "engagedate", "addtime"),
    "close_date": ("closedate", "closedon", "actualclosedate", "wontime"),
    "created_at": ("createddate", "createdate", "createdon"),
    "resolved_at": ("closeddate", "closedate", "resolvedon"),
    "stage": ("stagename", "dealstage", "stage", "status", "dealstage"),
    "amount": ("amount", "closevalue", "value", "estimatedvalue", "actualvalue"),
    "name": ("name", "fullname", "dealname", "companyname", "title"),
    "source": ("leadsource", "source", "hsanalyticssource", "origin"),
    "first_name": ("firstname",), "last_name": ("lastname",), "email": ("email",),
    "phone": ("phone",), "department": ("department", "team"),
}
KEY_WORDS = ("id", "hsobjectid", "recordid")   # a table's own key, never a reference
DELETED_WORDS = ("isdeleted", "deleted")         # a row deleted in the CRM (normalised)
ACTIVE_WORDS = ("isactive", "active")            # a user still licensed
LOGIN_WORDS = ("lastlogindate", "lastlogin", "lastloginat")


def _norm(text: str) -> str:
    return re.sub(r"[^a-z0-9]", "", str(text).lower())


def _read(path: Path) -> tuple[pd.DataFrame | None, str, str]:
    """(text columns or None, delimiter, encoding) of one export file."""
    data = path.read_bytes()
    for encoding in ("utf-8-sig", "cp1252", "latin-1"):
        try:
            text = data.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    header = text.split("\n", 1)[0]
    delimiter = max(DELIMITERS, key=header.count)
    try:
        frame = pd.read_csv(path, sep=delimiter, dtype=str, encoding=encoding,
                            keep_default_na=False, na_values=[""], nrows=5000)
    except (pd.errors.ParserError, pd.errors.EmptyDataError, ValueError):
        frame = None
    return frame, delimiter, encoding.replace("utf-8-sig", "utf-8")


def guess_table(stem: str) -> str | None:
    """The course table a file's name suggests (``Opportunity`` -> opportunities). ``stem``: the
    file's name without its extension."""
    word = _norm(stem)
    for table, words in TABLE_WORDS.items():
        if word in (_norm(w) for w in words):
            return table
    close = difflib.get_close_matches(word, [_norm(w) for ws in TABLE_WORDS.values()
                                             for w in ws], n=1, cutoff=0.8)
    return next((t for t, ws in TABLE_WORDS.items() if close and close[0] in map(_norm, ws)),
                None)


def guess_column(column: str, headers: list[str], key: bool = False) -> str | None:
    """The export header that most likely holds the course ``column`` (``key``: the
    table's own key, which generic names such as 'Id' or 'Record ID' also hold). ``headers``: the
    export's headers."""
    by_norm = {_norm(h): h for h in headers}
    for word in (_norm(column), *COLUMN_WORDS.get(column, ()), *(KEY_WORDS if key else ())):
        if word in by_norm:
            return by_norm[word]
    close = difflib.get_close_matches(_norm(column), list(by_norm), n=1, cutoff=0.8)
    return by_norm[close[0]] if close else None


def _filters(table: str, headers: list[str], used: set[str]) -> list[str]:
    """The ``where`` and ``licence`` keys the file's columns suggest: a deleted-flag column
    (`DELETED_WORDS`) filters out deleted rows; the users' active flag (`ACTIVE_WORDS`)
    ends the licence of users who left."""
    by_norm = {_norm(h): h for h in headers}
    out = []
    deleted = next((by_norm[w] for w in DELETED_WORDS if w in by_norm), None)
    if deleted is not None:
        used.add(deleted)
        out.append(f"    where: {{{_q(deleted)}: false}}     # guessed: rows deleted in the "
                   "CRM are left out (counted in import_report.md)")
    active = next((by_norm[w] for w in ACTIVE_WORDS if w in by_norm), None)
    if table == "users" and active is not None:
        used.add(active)
        login = next((by_norm[w] for w in LOGIN_WORDS if w in by_norm), None)
        out += ["    licence:              # guessed: users who left count as staff only "
                "until then", f"      active: {_q(active)}"]
        if login is not None:
            used.add(login)
            out.append(f"      last_day: {_q(login)}")
    return out


def _q(value) -> str:
    return json.dumps(str(value), ensure_ascii=False)   # a JSON string is a YAML scalar


def starter_mapping(source: str | Path) -> str:
    """The starter mapping's YAML text for the export folder ``source``."""
    source = Path(source).expanduser()
    files = sorted(p for p in source.iterdir() if p.suffix.lower() in (".csv", ".txt"))
    if not files:
        raise ValueError(f"{source.name}: no .csv file in the export folder")
    out = [f"# Starter mapping written from the export folder {source.name!r}.",
           "# Check every '# guessed' line, fill every '# TODO', translate every label",
           "# mapped to null, then import with --mapping this-file.yml. Every key is",
           "# documented in TEMPLATE.yml (crm_course/importer/mappings).",
           f"crm: {_q(source.name)}", "timestamps: local     # TODO utc if the export writes UTC",
           "tables:"]
    taken: set[str] = set()
    for path in files:
        frame, delimiter, encoding = _read(path)
        table = guess_table(path.stem)
        if table is None or table in taken or frame is None:
            why = ("unreadable" if frame is None else "no course table guessed" if table is None
                   else f"a second file for {table}")
            out.append(f"  # {path.name}: {why}; columns: "
                       f"{', '.join(map(str, frame.columns)) if frame is not None else '-'}")
            continue
        taken.add(table)
        out += [f"  {table}:", f"    file: {_q(path.name)}", f"    delimiter: {_q(delimiter)}"
                f"     # encoding {encoding}"]
        headers = list(map(str, frame.columns))
        used = set()
        out += _filters(table, headers, used)
        out.append("    columns:")
        for column in TABLES[table].columns:
            found = guess_column(column.name, headers,
                                 key=(column.name,) == TABLES[table].primary_key)
            need = "optional" if column.nullable else "required"
            if found is None:
                out.append(f"      # {column.name}: TODO export column ({need}, {column.kind}: "
                           f"{column.description})")
                continue
            used.add(found)
            if column.kind == "category" and column.values:
                labels = sorted(frame[found].dropna().str.strip().unique())[:50]
                out.append(f"      {column.name}:      # guessed; course values: "
                           f"{', '.join(column.values)}")
                out.append(f"        from: {_q(found)}")
                out.append("        values:       # TODO the course value of each label")
                out += [f"          {_q(label)}: null" for label in labels]
            else:
                out.append(f"      {column.name}: {_q(found)}      # guessed ({need})")
        left = [h for h in headers if h not in used]
        if left:
            out.append(f"    # not used: {', '.join(left)}")
    return "\n".join(out) + "\n"


def write_starter_mapping(source: str | Path, out: str | Path) -> Path:
    """Write `starter_mapping` to ``out`` (never over an existing file). ``source``: the export's
    folder."""
    out = Path(out).expanduser()
    if out.exists():
        raise FileExistsError(f"{out.name} exists; give a new file name for the starter "
                              "mapping (nothing is overwritten)")
    out.write_text(starter_mapping(source), encoding="utf-8")
    return out
