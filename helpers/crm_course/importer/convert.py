"""`import_export`: a CRM export folder -> a validated course dataset plus its report.

Steps, in order: read each export file named by the mapping; map and parse its columns
(errors collected into one `MappingError`); drop rows the course cannot use, each with
its reason (a required value empty, a value out of range, a repeated key, a reference to
a record that is not there); derive what the export does not store; pseudonymise on
request; write the tables and ``dataset.json``; load the result with `load_crm` to
validate it; write ``import_report.md``.

Derived values
--------------
- ``opportunities.close_date`` is cleared for open deals (CRMs store the *expected*
  close date there; the course means the day a deal was won or lost).
- ``opportunities.furthest_stage`` (unless mapped): the stage itself for open and won
  deals; ``lead`` for lost deals, because exports keep no stage history (reported).
- ``accounts.customer_since`` / ``acquisition_channel`` (unless mapped): close date and
  source of the account's first won deal.

Period (``dataset.json``)
-------------------------
data_start = first day of any lead, ticket, campaign or campaign send;
data_end = last day of any of these events (creation, close, response, resolution);
changes_start = the ``changes_start`` argument, else the midpoint rule
data_start + floor((data_end - data_start) / 2) days.
"""

from __future__ import annotations

import difflib
from pathlib import Path

import numpy as np
import pandas as pd

from .. import business_time
from ..data import load_crm, quote_lines, quote_values, write_tables
from ..schema import METADATA_FILE, OPEN_STAGES, REGIONS, TABLES, Column
from . import values as parse
from .mapping import (
    CORE_TABLES,
    DERIVED,
    Mapping,
    MappingError,
    Rule,
    TableMapping,
    load_mapping,
)
from .pseudonym import pseudonymise as pseudonymise_tables
from .pseudonym import resolve_key
from .report import REPORT_FILE, DroppedRow, ImportReport, TableReport

START_EVENTS = {"opportunities": ("created_date",), "tickets": ("created_at",),
                "campaigns": ("start_date",), "campaign_members": ("sent_date",)}
END_EVENTS = {"opportunities": ("created_date", "close_date"),
              "tickets": ("created_at", "first_response_at", "resolved_at"),
              "campaign_members": ("sent_date", "response_date")}


def _read(path: Path, delimiter: str, problems: list[str]) -> pd.DataFrame | None:
    try:
        return pd.read_csv(path, sep=delimiter, dtype=str, keep_default_na=False,
                           na_values=[""], encoding="utf-8-sig", skipinitialspace=True)
    except (UnicodeDecodeError, pd.errors.ParserError) as err:
        problems.append(f"{path.name}: cannot read it as a '{delimiter}'-separated UTF-8 "
                        f"file ({str(err).strip()}); check 'delimiter' in the mapping")
        return None


def _source_text(raw: pd.DataFrame, rule: Rule) -> pd.Series:
    if len(rule.sources) == 1:
        return raw[rule.sources[0]].str.strip().replace("", np.nan)
    joined = raw[list(rule.sources)].fillna("").agg(" ".join, axis=1).str.strip()
    return joined.replace("", np.nan)


class _Converter:
    """Maps one export file to one course table, collecting problems and notes."""

    def __init__(self, mapping: Mapping, tm: TableMapping, raw: pd.DataFrame,
                 problems: list[str], report: ImportReport):
        self.mapping, self.tm, self.raw = mapping, tm, raw
        self.problems, self.report = problems, report

    def where(self, column: Column, rule: Rule) -> str:
        sources = " + ".join(f"'{s}'" for s in rule.sources)
        return f"{self.tm.file}, column {sources} ({self.tm.table}.{column.name})"

    def parse(self, column: Column, rule: Rule, text: pd.Series) -> pd.Series:
        kind, where = column.kind, self.where(column, rule)
        if kind in ("date", "datetime"):
            fmt = rule.format or (self.tm.date_format if kind == "date"
                                  else self.tm.datetime_format)
            parsed, bad = parse.parse_dates(text, fmt)
            if bad.any():
                self.problems.append(
                    f"{where}: cannot read {quote_values(text[bad])} at "
                    f"{quote_lines(np.flatnonzero(bad))} as a date; expected the format {fmt} "
                    f"(e.g. {parse.example_date(fmt)}); "
                    "set 'date_format' in the mapping if the export writes dates otherwise")
            return parsed.dt.normalize() if kind == "date" else parsed
        if kind in ("money", "int", "float"):
            parsed, bad = (parse.parse_money(text, self.mapping.decimal) if kind == "money"
                           else parse.parse_numbers(text))
            if bad.any():
                self.problems.append(
                    f"{where}: cannot read {quote_values(text[bad])} at "
                    f"{quote_lines(np.flatnonzero(bad))} as a number "
                    f"(decimal separator '{self.mapping.decimal}')")
            return parsed
        if kind == "bool":
            parsed, bad = parse.parse_flags(text)
            if bad.any():
                self.problems.append(
                    f"{where}: {quote_values(text[bad])} at "
                    f"{quote_lines(np.flatnonzero(bad))} is not "
                    f"a yes/no value ({', '.join(parse.TRUE_WORDS)} / "
                    f"{', '.join(parse.FALSE_WORDS[:-1])})")
            return parsed
        if kind == "category":
            parsed, unknown, fell_back = parse.translate(text, column.values, rule.values,
                                                          rule.fallback)
            if unknown.any():
                known = sorted(set(rule.values) | set(column.values))
                self.problems.append(
                    f"{where}: unknown value {quote_values(text[unknown])} at "
                    f"{quote_lines(np.flatnonzero(unknown))}; known: {', '.join(known)}. Add it "
                    f"under tables.{self.tm.table}.columns.{column.name}.values in "
                    f"{self.mapping.path.name} with the course value it means "
                    f"({', '.join(column.values)})")
            if fell_back.any():
                self.report.notes.append(
                    f"{self.tm.file}, column '{rule.sources[0]}': {int(fell_back.sum())} "
                    f"value(s) not listed in the mapping ({quote_values(text[fell_back])}) were "
                    f"set to the fallback '{rule.fallback}' ({self.tm.table}.{column.name})")
            return parsed
        return text

    def column(self, column: Column, rule: Rule) -> pd.Series:
        if not rule.sources:
            return pd.Series([rule.value] * len(self.raw), index=self.raw.index, dtype=object)
        text = _source_text(self.raw, rule)
        if rule.default is not None:
            empty = text.isna()
            if empty.any():
                self.report.notes.append(
                    f"{self.tm.file}: {int(empty.sum())} empty value(s) of "
                    f"{' + '.join(rule.sources)} set to the default {rule.default!r} "
                    f"({self.tm.table}.{column.name})")
                text = text.fillna(str(rule.default))
        return self.parse(column, rule, text)

    def convert(self) -> pd.DataFrame:
        table, tm = TABLES[self.tm.table], self.tm
        found = list(self.raw.columns)
        used = set()
        for name, rule in tm.rules.items():
            for source in rule.sources:
                used.add(source)
                if source not in found:
                    close = difflib.get_close_matches(source, found, n=1, cutoff=0.6)
                    hint = f" Found '{close[0]}': is it that one?" if close else ""
                    self.problems.append(
                        f"{tm.file}: column '{source}' is missing (mapped to "
                        f"{tm.table}.{name}).{hint} Columns in the file: {', '.join(found)}")
        entry = TableReport(table=tm.table, file=tm.file, rows_read=len(self.raw),
                            unused=[c for c in found if c not in used])
        self.report.tables.append(entry)
        if any(s not in found for r in tm.rules.values() for s in r.sources):
            return pd.DataFrame()
        out = {}
        for column in table.columns:
            rule = tm.rules.get(column.name)
            if rule is None:
                out[column.name] = pd.Series(np.nan, index=self.raw.index, dtype=object)
                (entry.derived if column.name in DERIVED.get(tm.table, ())
                 else entry.missing).append(column.name)
            else:
                entry.mapped[column.name] = rule.describe()
                out[column.name] = self.column(column, rule)
        frame = pd.DataFrame(out, index=self.raw.index)
        frame["_line"] = self.raw.index.to_numpy() + 2
        return frame


def _typed(table: str, frame: pd.DataFrame) -> pd.DataFrame:
    """The course columns of ``frame`` with dtypes `write_tables` can format (columns left
    empty or tables absent are all-missing object columns until here)."""
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


def _empty(table: str) -> pd.DataFrame:
    frame = pd.DataFrame({c: pd.Series([], dtype=object) for c in TABLES[table].column_names})
    frame["_line"] = pd.Series([], dtype=int)
    return frame


class _Dropper:
    """Removes rows with their reasons, recording each in the report."""

    def __init__(self, frames: dict[str, pd.DataFrame], mapping: Mapping,
                 report: ImportReport):
        self.frames, self.mapping, self.report = frames, mapping, report

    def drop(self, table: str, mask: np.ndarray, reasons: pd.Series | str) -> None:
        frame = self.frames[table]
        if not mask.any():
            return
        tm = self.mapping.tables[table]
        key = TABLES[table].primary_key[0]
        reasons = (pd.Series(reasons, index=frame.index) if isinstance(reasons, str)
                   else reasons)
        for idx in frame.index[mask]:
            record = frame.at[idx, key]
            self.report.dropped.append(DroppedRow(
                table=table, file=tm.file, line=int(frame.at[idx, "_line"]),
                key="(no key)" if pd.isna(record) else str(record), reason=reasons[idx]))
        self.frames[table] = frame[~mask]

    def rule_source(self, table: str, column: str) -> str:
        rule = self.mapping.tables[table].rules.get(column)
        return " + ".join(f"'{s}'" for s in rule.sources) if rule and rule.sources else column

    def required_and_ranges(self, table: str) -> None:
        for column in TABLES[table].columns:
            frame = self.frames[table]
            values = frame[column.name]
            if not column.nullable and column.name not in DERIVED.get(table, ()):
                self.drop(table, values.isna().to_numpy(),
                          f"empty {self.rule_source(table, column.name)}: "
                          f"{table}.{column.name} needs a value")
            values = self.frames[table][column.name]
            if column.minimum is not None or column.maximum is not None:
                numbers = pd.to_numeric(values, errors="coerce")
                low = -np.inf if column.minimum is None else column.minimum
                high = np.inf if column.maximum is None else column.maximum
                outside = (numbers.notna() & ~numbers.between(low, high)).to_numpy()
                limits = (f"at least {low:g}" if column.maximum is None
                          else f"from {low:g} to {high:g}")
                self.drop(table, outside, f"{self.rule_source(table, column.name)} out of "
                          f"range for {table}.{column.name} (expected {limits})")
        key = list(TABLES[table].primary_key)
        repeated = self.frames[table].duplicated(key, keep="first").to_numpy()
        self.drop(table, repeated, f"repeats the key {'/'.join(key)} of an earlier row")

    def references(self) -> None:
        """Drop (required) or clear (optional) references to records that are not there,
        until none is left (a dropped account takes its deals, then their orders...)."""
        changed = True
        while changed:
            changed = False
            for table, spec in TABLES.items():
                for column in spec.columns:
                    if column.references is None:
                        continue
                    target, target_column = column.references.split(".")
                    frame = self.frames[table]
                    known = set(self.frames[target][target_column].dropna())
                    orphan = (frame[column.name].notna()
                              & ~frame[column.name].isin(known)).to_numpy()
                    if not orphan.any():
                        continue
                    changed = True
                    target_file = (self.mapping.tables[target].file
                                   if target in self.mapping.tables else f"{target} (absent)")
                    if column.nullable:
                        self.frames[table] = frame.assign(**{
                            column.name: frame[column.name].where(~orphan)})
                        self.report.notes.append(
                            f"{self.mapping.tables[table].file}: {int(orphan.sum())} value(s) "
                            f"of {self.rule_source(table, column.name)} not found in "
                            f"{target_file} were cleared ({table}.{column.name} is optional)")
                    else:
                        reasons = ("'" + frame[column.name].astype(str) + f"' of "
                                   f"{self.rule_source(table, column.name)} not found in "
                                   f"{target_file}")
                        self.drop(table, orphan, reasons)


def _derive(frames: dict[str, pd.DataFrame], mapping: Mapping, report: ImportReport) -> None:
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
                                "deal(s) set to 'lead': the export keeps no stage history")
    frames["opportunities"] = opps
    accounts = frames["accounts"]
    won = opps[opps.stage == "won"].sort_values(["close_date", "opportunity_id"])
    first = won.drop_duplicates("account_id").set_index("account_id")
    arules = mapping.tables["accounts"].rules
    if "customer_since" not in arules:
        accounts = accounts.assign(customer_since=accounts.account_id.map(first.close_date))
    if "acquisition_channel" not in arules:
        accounts = accounts.assign(acquisition_channel=accounts.account_id.map(first.source))
    frames["accounts"] = accounts


def _period(frames: dict[str, pd.DataFrame], changes_start) -> dict:
    def days(events: dict) -> pd.Series:
        parts = [pd.to_datetime(frames[t][c]).dropna() for t, cols in events.items()
                 for c in cols]
        return pd.concat(parts).dt.normalize() if parts else pd.Series(dtype="datetime64[ns]")

    starts, ends = days(START_EVENTS), days(END_EVENTS)
    if starts.empty:
        raise MappingError(["no dated lead, ticket or campaign in the export: cannot tell "
                            "the period the data covers"])
    start, end = starts.min(), max(ends.max(), starts.max())
    changes = (start + pd.Timedelta(days=(end - start).days // 2) if changes_start is None
               else pd.Timestamp(changes_start))
    if not start < changes <= end:
        raise ValueError(f"changes_start {changes.date()} must fall after {start.date()} and "
                         f"no later than {end.date()} (the period of the export)")
    return {"data_start": str(start.date()), "changes_start": str(changes.date()),
            "data_end": str(end.date())}


def _check_out_dir(out: Path) -> None:
    expected = {t.filename for t in TABLES.values()} | {METADATA_FILE, REPORT_FILE}
    if out.is_dir():
        foreign = sorted(p.name for p in out.iterdir() if p.name not in expected)
        if foreign:
            raise FileExistsError(f"{out} holds other files ({', '.join(foreign[:5])}); "
                                  "choose an empty folder")


def import_export(source_dir: str | Path, mapping: str | Path, out_dir: str | Path,
                  pseudonymise: bool = False, *, secret: str | None = None,
                  changes_start: str | None = None, company: str | None = None,
                  control_region: str | None = None) -> ImportReport:
    """Turn a CRM export (a folder of CSV files) into a validated course dataset.

    Parameters
    ----------
    source_dir : str or Path
        Folder holding the export's CSV files, named as in the mapping.
    mapping : str or Path
        ``'salesforce'``, ``'hubspot'`` or a mapping YAML file (see ``TEMPLATE.yml``).
    out_dir : str or Path
        Folder to write the dataset into (new, or holding only a previous import).
    pseudonymise : bool
        Replace names, e-mails and phones by keyed hashes (see `pseudonym`).
    secret : str, optional
        Hashing key; default: the environment variable ``CRM_COURSE_SECRET``.
    changes_start : str, optional
        Day the improvements went live (default: the period's midpoint, see the module).
    company : str, optional
        Company name (default: the mapping's ``company``, else the export folder's name).
    control_region : str, optional
        The region (a course region, after the mapping's translation) that got no changes
        before the review: it makes difference-in-differences possible (default: none).

    Returns
    -------
    ImportReport
        Also written as ``import_report.md`` in ``out_dir``.

    Raises
    ------
    MappingError
        Every mapping problem found, naming the file and column: missing export file or
        column, unknown label (stage, priority ...), unreadable date or amount.
    """
    source, out = Path(source_dir).expanduser(), Path(out_dir).expanduser()
    if control_region is not None and control_region not in REGIONS:
        raise ValueError(f"control_region must be one of {', '.join(REGIONS)} (the course's "
                         f"regions, as the mapping translates them), got {control_region!r}")
    spec = load_mapping(mapping)
    key = resolve_key(secret) if pseudonymise else None
    _check_out_dir(out)
    if not source.is_dir():
        raise MappingError([f"{source}: export folder not found"])
    report = ImportReport(crm=spec.name, source=source, out_dir=out)
    problems: list[str] = []
    frames: dict[str, pd.DataFrame] = {}
    for name, tm in spec.tables.items():
        path = source / tm.file
        if not path.is_file():
            if name in CORE_TABLES:
                here = ", ".join(sorted(p.name for p in source.glob("*.csv"))) or "none"
                problems.append(f"{path}: file not found; the course needs table '{name}' "
                                f"from it (CSV files in the folder: {here})")
            else:
                report.absent[name] = f"{tm.file} not found in the export"
            continue
        raw = _read(path, spec.delimiter, problems)
        if raw is not None:
            frames[name] = _Converter(spec, tm, raw, problems, report).convert()
    if problems:
        raise MappingError(problems)
    for name in TABLES:
        if name not in frames:
            report.absent.setdefault(name, "not in the mapping")
            frames[name] = _empty(name)
    dropper = _Dropper(frames, spec, report)
    for name in spec.tables:
        if name not in report.absent:
            dropper.required_and_ranges(name)
    dropper.references()
    _derive(frames, spec, report)
    for entry in report.tables:
        entry.rows_written = len(frames[entry.table])
    tables = {name: _typed(name, frames[name]) for name in TABLES}
    if key is not None:
        report.pseudonymised = pseudonymise_tables(tables, key)
    report.metadata = {
        "company": company or spec.company or source.resolve().name, "seed": None,
        "scale": None, "effect": None, **_period(frames, changes_start),
        "control_region": control_region, "survey_waves": [], "business_hours": business_time.LABEL,
        "countries": list(spec.countries) if spec.countries else None}
    write_tables(tables, report.metadata, out)
    load_crm(out)
    report.write()
    return report
