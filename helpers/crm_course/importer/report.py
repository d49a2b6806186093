"""The import report: what was mapped, what is missing, and every row dropped and why.

It is returned by `import_export` and written as ``import_report.md`` next to the data.
It names files, columns, lines and record keys, never personal values (e-mails, phones)
nor absolute paths (folders by their name only).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from ..escape import markdown as md
from ..profile import Profile
from .mapping import OWNERS

REPORT_FILE = "import_report.md"
FILTERED = "filtered out:"   # the cause of rows a mapping's `where` leaves out on purpose


def counted(n: int, cause: str) -> str:
    """``n`` rows and their cause: '3 for empty 'Id'', '12 filtered out: ...'. ``n``: the
    number of rows; ``cause``: why they were left out (a mapping's filter starts with
    `FILTERED`)."""
    return f"{n:,} {cause}" if cause.startswith(FILTERED) else f"{n:,} for {cause}"


NOUNS = {"opportunities": ("deal", "owner"), "tickets": ("ticket", "agent")}


def placeholder_lines(kept: dict, users: bool = True) -> list[str]:
    """What keeping records under the placeholder owner did, one sentence per table and
    one on the KPIs it affects; ``kept``: table -> {rows, owners, file, source, id, name}
    (`ImportReport.placeholder`); ``users``: False when the export has no users (then
    every record is the placeholder's and no one is a rep)."""
    out = []
    for table, k in kept.items():
        record, owner = NOUNS.get(table, ("record", "owner"))
        out.append(f"{k['rows']:,} {record}{'' if k['rows'] == 1 else 's'} of "
                   f"{k['owners']:,} {owner}{'' if k['owners'] == 1 else 's'} missing from "
                   f"the users export kept under a placeholder owner, '{k['name']}' "
                   f"({k['file']}, {k['source']}; user id {k['id']}).")
    if out and not users:
        out.append("The placeholder is no sales rep (department 'unknown', no region) and "
                   "holds no licence in the data's period; the export has no users, so no "
                   "one is a rep: sales per rep and activities per rep are not measured, and "
                   "logins per user, the active user rate, survey invitations and the reps "
                   "of the report's A/B test plan count no one; every record counts in every "
                   "other KPI (win rate, pipeline, deal size, sales cycle, service times), "
                   "and a breakdown by the owner's department or team shows one group.")
    elif out:
        out.append("The placeholder is no sales rep (department 'unknown', no region) and "
                   "holds no licence in the data's period: it adds no rep-months to sales "
                   "per rep and activities per rep, and logins per user, the active user "
                   "rate, survey invitations and the reps of the report's A/B test plan do "
                   "not count it; but sales per rep divides every deal won (the team's "
                   "sales, the placeholder's included) by the reps' months, so it reads high "
                   "by the placeholder's share of the won amount (the report says how "
                   "much); its records count in every other KPI (win rate, pipeline, "
                   "deal size, sales cycle, service times), and a breakdown by the owner's "
                   "department or team shows them as a group of their own.")
        counted_out = ", ".join(f"{k['rows']:,} {NOUNS.get(t, ('record', ''))[0]}"
                                f"{'' if k['rows'] == 1 else 's'}" for t, k in kept.items())
        out.append(f"Without a region ({counted_out} of the placeholder): a breakdown by "
                   "region leaves them out, so the regions' counts add up to fewer than the "
                   "totals, and they are outside every comparison of regions (the control "
                   "region against the others).")
    return out


@dataclass
class TableReport:
    """One course table filled from one export file."""

    table: str
    file: str
    rows_read: int = 0
    rows_written: int = 0
    mapped: dict[str, str] = field(default_factory=dict)   # course column -> its source
    missing: list[str] = field(default_factory=list)       # optional columns left empty
    derived: list[str] = field(default_factory=list)       # filled by the importer
    unused: list[str] = field(default_factory=list)        # export columns not used


@dataclass(frozen=True)
class DroppedRow:
    """One export row left out of the course data."""

    table: str
    file: str
    line: int
    key: str
    reason: str
    cause: str = ""   # the reason without the row's own value, to count rows by cause


@dataclass
class ImportReport:
    """Everything an import did, as data; ``to_markdown`` is the readable view."""

    crm: str
    source: Path
    out_dir: Path
    tables: list[TableReport] = field(default_factory=list)
    absent: dict[str, str] = field(default_factory=dict)    # course table -> why absent
    dropped: list[DroppedRow] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    pseudonymised: list[str] = field(default_factory=list)
    metadata: dict = field(default_factory=dict)
    conversions: list = field(default_factory=list)   # currency.Conversion, rates used
    zones: list[str] = field(default_factory=list)    # which zone was assumed for what
    staff: dict = field(default_factory=dict)   # users whose licence ended (`licences`)
    zone_source: str | None = None                     # where the company's zone came from
    currency_source: str | None = None   # where the dataset's currency came from
    period_end: str | None = None        # what the data's end is (export date or event)
    filled: list[dict] = field(default_factory=list)   # defaults filled: table, column, ...
    impossible: dict[str, list[str]] = field(default_factory=dict)  # order -> record keys
    placeholder: dict = field(default_factory=dict)   # table -> records of unknown owners
    several: dict = field(default_factory=dict)   # table -> rows naming several records
    departments: dict = field(default_factory=dict)   # why no user is a sales rep, if so
    warnings: list[str] = field(default_factory=list)   # said on the command line too
    reading: dict = field(default_factory=dict)   # encoding(s), decimal(s), delimiters used

    def provenance(self) -> dict:
        """What the import did, as data (``dataset.json`` key ``import``; `CRM.provenance`):
        rows read, kept and dropped by cause per table, defaults filled, currency and
        conversions, time zone and what it was assumed for, impossible orders kept, users
        whose licence ended (``staff``: counts of ended and system users), rows whose
        reference listed several records and was cleared (``several``)."""
        policies = self.metadata.get("profile", {}).get("policies", {})
        return {
            "crm": self.crm,
            "tables": {t.table: {"file": t.file, "rows_read": t.rows_read,
                                 "rows_kept": t.rows_written,
                                 "dropped": self.dropped_by_cause(t.table)}
                       for t in self.tables},
            "absent": dict(self.absent),
            "filled": list(self.filled),
            "currency": {"code": policies.get("currency"), "source": self.currency_source,
                         "conversions": [dict(vars(c)) for c in self.conversions]},
            "time_zone": {"zone": self.metadata.get("time_zone"), "source": self.zone_source,
                          "assumed": list(self.zones)},
            "impossible_orders": {k: len(v) for k, v in self.impossible.items()},
            "reading": dict(self.reading),
            "period": {"data_start": self.metadata.get("data_start"),
                       "data_end": self.metadata.get("data_end"), "end": self.period_end},
            "staff": dict(self.staff),
            "placeholder": dict(self.placeholder),
            "several": dict(self.several),
            "departments": dict(self.departments),
        }

    def dropped_by_cause(self, table: str) -> dict[str, int]:
        """Rows of ``table`` dropped, counted by cause (most frequent first, then A-Z)."""
        counts: dict[str, int] = {}
        for d in self.dropped:
            if d.table == table:
                counts[d.cause or d.reason] = counts.get(d.cause or d.reason, 0) + 1
        return dict(sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])))

    def reading_lines(self) -> list[str]:
        """How the files were read, for the report's head: encoding (each file's where
        the mapping sets one per file), decimal separator (each column's where the
        mapping sets another) and each file's delimiter (declared or detected); [] when
        no file was read."""
        if not self.reading.get("delimiters"):
            return []
        delimiters = ", ".join(f"{md(f)} {d!r}" for f, d in self.reading["delimiters"].items())
        encodings = "; ".join(f"{md(e)} for {md(f)}" for f, e in
                              self.reading.get("encodings", {}).items())
        decimals = "; ".join(f"{d!r} in {md(c)}" for c, d in
                             self.reading.get("decimals", {}).items())
        return [f"- Files read as {md(self.reading['encoding'])} text"
                + (f" ({encodings})" if encodings else "")
                + f", decimal separator {self.reading['decimal']!r}"
                + (f" ({decimals})" if decimals else "")
                + f"; column delimiter: {delimiters}"]

    def to_markdown(self) -> str:
        """The report as Markdown (stable order: schema order, then file line)."""
        zone = self.metadata.get("time_zone")
        money = self.metadata.get("profile", {}).get("policies", {}).get("currency")
        out = [f"# Import report: {md(self.crm)} export", "",
               f"- Export folder: {md(self.source.name)}",
               f"- Course dataset: {md(self.out_dir.name)}",
               f"- Time zone: {md(zone) if zone else 'not given (no timestamp carried a zone)'}"
               + (f" (from {md(self.zone_source)})" if zone and self.zone_source else ""),
               *self.reading_lines(),
               f"- Currency: {md(money)} (from {md(self.currency_source)})"
               if self.currency_source else "- Currency: none (no amount in the export)",
               f"- Period: {self.metadata.get('data_start')} to {self.metadata.get('data_end')}"
               + (f" (the end: {md(self.period_end)})" if self.period_end else "")
               + f"; changes start {self.metadata.get('changes_start')}", "",
               "## Tables", "", "| table | export file | rows read | rows written | dropped |",
               "|---|---|---:|---:|---:|"]
        for t in self.tables:
            out.append(f"| {t.table} | {md(t.file)} | {t.rows_read} | {t.rows_written} | "
                       f"{t.rows_read - t.rows_written} |")
        out += ["", "## Columns", ""]
        for t in self.tables:
            out.append(f"### {t.table} (from {md(t.file)})")
            out += [f"- mapped: {', '.join(f'{c} <- {md(s)}' for c, s in t.mapped.items())}"]
            if t.derived:
                out.append(f"- derived by the importer: {', '.join(map(md, t.derived))}")
            if t.missing:
                out.append(f"- not in this export (left empty): {', '.join(t.missing)}")
            if t.unused:
                out.append(f"- export columns not used: {', '.join(map(md, t.unused))}")
            out.append("")
        if self.metadata:  # written once the import has its dates
            out += ["## Dataset profile", "",
                    "What the lessons and KPIs take as this company's own (dataset.json, "
                    "\"profile\"): the values the export uses and the policies the mapping "
                    "sets.", ""]
            out += Profile.from_meta(self.metadata).to_markdown() + [""]
        if self.warnings:
            out += ["## Warnings", ""] + [f"- {md(w)}" for w in self.warnings] + [""]
        if self.placeholder:
            out += ["## Owners not in the users export", ""]
            out += [f"- {md(line)}" for line in placeholder_lines(
                self.placeholder, OWNERS not in self.absent)] + [""]
        if self.impossible:
            out += ["## Impossible orders (kept, listed)", "",
                    "Rows whose dates are in an impossible order; they are kept as the export "
                    "has them and counted as records, but left out of every duration KPI "
                    "(sales cycle, first response, resolution) and of every 'within a "
                    "window' count (lead conversion): their duration would be negative.", ""]
            out += [f"- {md(what)}: {len(keys)} ({md(', '.join(keys[:10]))}"
                    f"{' ...' if len(keys) > 10 else ''})"
                    for what, keys in self.impossible.items()] + [""]
        if self.zones:
            out += ["## Time zones assumed", ""] + [f"- {md(z)}" for z in self.zones] + [""]
        out += ["## Tables absent from the export", ""]
        out += [f"- {name}: {md(why)}; " + (
            "written with the placeholder owner only (see 'Owners not in the users export'); "
            "sales per rep and activities per rep are not measured" if name == OWNERS else
            "written with its header only (lessons and KPIs that need it are skipped)")
            for name, why in self.absent.items()] or ["- none"]
        out += ["", f"## Rows dropped ({len(self.dropped)})", ""]
        if self.dropped:
            out += ["| table | export file | line | record | reason |", "|---|---|---:|---|---|"]
            order = {t.table: i for i, t in enumerate(self.tables)}
            out += [f"| {d.table} | {md(d.file)} | {d.line} | {md(d.key)} | {md(d.reason)} |"
                    for d in sorted(self.dropped, key=lambda d: (order[d.table], d.line))]
        else:
            out.append("- none")
        if self.conversions:
            out += ["", "## Currency conversions", "",
                    "| table | currency | rate (per reporting unit) | rate from | rows | "
                    "total before |", "|---|---|---:|---|---:|---:|"]
            out += [f"| {c.table} | {c.currency} | {c.rate:g} | {c.from_date or 'always'} | "
                    f"{c.rows} | {c.total_before:,.2f} |" for c in self.conversions]
        out += ["", "## Notes", ""] + ([f"- {md(n)}" for n in self.notes] or ["- none"])
        if self.pseudonymised:
            out += ["", "## Pseudonymised", "",
                    f"- replaced by keyed hashes: {', '.join(self.pseudonymised)}"]
        return "\n".join(out) + "\n"

    def write(self, folder: Path | None = None) -> Path:
        """Write the report into ``folder`` (default: the dataset's folder)."""
        path = (folder or self.out_dir) / REPORT_FILE
        path.write_text(self.to_markdown(), encoding="utf-8")
        return path
