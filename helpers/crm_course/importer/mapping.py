"""Column mappings: how one CRM's export files become the course's tables.

A mapping is a YAML file (see ``mappings/TEMPLATE.yml`` for every key, documented).
The package ships ``salesforce`` (Salesforce's standard Data Export: ',' separated, ISO
8601 timestamps in UTC, '.' decimals), ``salesforce-de`` (a German-localised export: ';',
day-first dates, ',' decimals), ``hubspot`` (internal property names), ``hubspot-web``
(the web interface's export: labels), ``pipedrive`` and ``dynamics365`` (views saved as
CSV); any other CRM gets its own file.
``load_mapping`` reads one and checks it against the course schema (an unknown key is an
error naming the closest valid one), so a mistake is reported before any data is read.
"""

from __future__ import annotations

import codecs
import difflib
from dataclasses import dataclass, field
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml

from ..profile import check_policies, is_currency
from ..schema import TABLES

MAPPINGS_DIR = Path(__file__).resolve().parent / "mappings"
BUILT_IN = ("salesforce", "salesforce-de", "hubspot", "hubspot-web", "pipedrive",
            "dynamics365")
# A mapping maps at least these, and why; an export lacking the file of accounts or
# opportunities is refused with these reasons rather than made up. Without the users file
# (`OWNERS`) every owner is unknown: the deals and tickets are kept under the placeholder
# owner (`keys`), no user is a sales rep, so the per-rep KPIs are not measured.
OWNERS = "users"
CORE_TABLES = {
    "users": "who owns each deal: a department tells sales reps from the others (sales per "
             "rep, adoption), a region and licence start date",
    "accounts": "the company of each deal: industry, region and segment (the breakdowns "
                "and the control region)",
    "opportunities": "the deals themselves: every sales KPI",
}
RULE_KEYS = ("from", "values", "default", "value", "format", "decimal", "if_missing")
WHERE_KEYS = ("keep", "if_present")
TABLE_KEYS = ("file", "columns", "date_format", "datetime_format", "currency", "where",
              "delimiter", "encoding", "licence")
LICENCE_KEYS = ("active", "last_day", "system")   # users: who is licensed, until when
TOP_KEYS = ("crm", "company", "delimiter", "decimal", "encoding", "date_format",
            "datetime_format", "time_zone", "time_zone_from", "timestamps", "countries",
            "currency", "currencies", "policies", "tables")
DELIMITERS = (",", ";", "\t", "|")
# Course columns the importer fills itself when the mapping leaves them out (see convert).
DERIVED = {"opportunities": ("furthest_stage",),
           "accounts": ("customer_since", "acquisition_channel")}


class MappingError(ValueError):
    """Problems found while mapping an export, each naming the file and column concerned."""

    def __init__(self, problems: list[str]):
        self.problems = problems
        head = "1 problem" if len(problems) == 1 else f"{len(problems)} problems"
        super().__init__(f"{head} importing the CRM export:\n"
                         + "\n".join(f"- {p}" for p in problems))


@dataclass(frozen=True)
class Rule:
    """Where one course column comes from.

    ``sources``: export column(s), joined with a space when several (first + last name);
    ``value``: a constant instead; ``values``: export label -> course value (None: no
    value); ``default``: export value for empty cells (translated like the others);
    ``format``: date format overriding the table's; ``decimal``: the decimal separator
    of this column, confirmed (see `values.read_numbers`); ``optional``: the export
    column may be absent (key ``if_missing``), every row then gets ``if_missing``
    (translated like a label; None: no value), and the import report says so.
    """

    sources: tuple[str, ...] = ()
    value: object = None
    values: dict[str, str | None] = field(default_factory=dict)
    default: object = None
    format: str | None = None
    decimal: str | None = None
    optional: bool = False
    if_missing: object = None

    def describe(self) -> str:
        """The rule in words for the import report: the source columns joined with +, "(translated)"
        when values are mapped, or the constant."""
        if not self.sources:
            return f"constant {self.value!r}"
        text = " + ".join(f"'{s}'" for s in self.sources)
        return text + (" (translated)" if self.values else "")


@dataclass(frozen=True)
class Licence:
    """Users whose licence ended (see `licences`): ``active`` the export's yes/no column
    (no: licence ended), ``last_day`` the column with its last day (e.g. the last login;
    optional), ``system`` column -> values marking system or integration users."""

    active: str
    last_day: str | None = None
    system: dict[str, tuple[str, ...]] = field(default_factory=dict)

    @property
    def columns(self) -> list[str]:
        """The export columns the licence rule reads: the active flag, the last day if given, the
        system-user columns."""
        return [self.active, *([self.last_day] if self.last_day else []), *self.system]


@dataclass(frozen=True)
class TableMapping:
    """One export file feeding one course table."""

    table: str
    file: str
    rules: dict[str, Rule]
    date_format: str
    datetime_format: str
    currency: str | None = None    # export column holding each row's currency code
    where: dict[str, tuple[str, ...]] = field(default_factory=dict)  # column -> values kept
    where_if_present: frozenset[str] = frozenset()   # where columns that may be absent
    licence: Licence | None = None   # users only: whose licence ended (`licences`)
    delimiter: str | None = None   # this file's delimiter (default: the mapping's)
    encoding: str | None = None    # this file's encoding (default: the mapping's)


@dataclass(frozen=True)
class Mapping:
    """A whole mapping file, parsed."""

    name: str
    path: Path
    company: str | None
    delimiter: str | None          # None: detected from each file's header line
    decimal: str
    tables: dict[str, TableMapping]
    countries: tuple[str, ...] | None = None
    encoding: str = "utf-8"
    time_zone: str | None = None
    time_zone_from: tuple[str, str] | None = None   # (export file, column)
    timestamps: str = "local"     # zone of timestamps written without one: local or utc
    policies: dict = field(default_factory=dict)    # see crm_course.profile
    currencies: dict[str, str] = field(default_factory=dict)  # currency label -> ISO code


def own_copy(mapping: Mapping) -> str:
    """Where the user edits ``mapping``: a built-in one is copied first."""
    if mapping.path.parent == MAPPINGS_DIR:
        return (f"your own copy of {mapping.path.name} (copy it from "
                f"{MAPPINGS_DIR.parent.name}/{MAPPINGS_DIR.name}, or write one with "
                "--init-mapping, and import with --mapping your-copy.yml)")
    return mapping.path.name


def mapping_path(mapping: str | Path) -> Path:
    """The YAML file of a built-in mapping name, or the path itself. ``mapping``: a name
    in `BUILT_IN` or a YAML file's path ('~' expanded)."""
    if str(mapping) in BUILT_IN:
        return MAPPINGS_DIR / f"{mapping}.yml"
    return Path(mapping).expanduser()


def unknown_keys(spec: dict, allowed, where: str, problems: list[str]) -> None:
    """Report every key of ``spec`` not in ``allowed``, with the closest valid key. ``where``: names
    the place in the mapping; ``problems``: list the messages are appended to."""
    for key in spec:
        if key in allowed:
            continue
        close = difflib.get_close_matches(str(key), allowed, n=1, cutoff=0.5)
        hint = f" (did you mean '{close[0]}'?)" if close else ""
        problems.append(f"{where}: unknown key '{key}'{hint}; allowed: {', '.join(allowed)}")


def _rule(spec, where: str, problems: list[str]) -> Rule:
    if isinstance(spec, str):
        return Rule(sources=(spec,))
    if not isinstance(spec, dict):
        problems.append(f"{where}: expected an export column name or a mapping with "
                        f"keys {', '.join(RULE_KEYS)}, got {spec!r}")
        return Rule()
    unknown_keys(spec, RULE_KEYS, where, problems)
    if spec.get("decimal", ".") not in (".", ","):
        problems.append(f"{where}, decimal: expected '.' or ',', got {spec['decimal']!r}")
    sources = spec.get("from", ())
    sources = (sources,) if isinstance(sources, str) else tuple(sources)
    if bool(sources) == ("value" in spec):
        problems.append(f"{where}: give either 'from' (export column) or 'value' "
                        "(a constant), not both or neither")
    values = {str(k): None if v is None else str(v)
              for k, v in (spec.get("values") or {}).items()}
    if "if_missing" in spec and not sources:
        problems.append(f"{where}: 'if_missing' needs 'from' (the export column that may "
                        "be absent)")
    return Rule(sources=sources, value=spec.get("value"), values=values,
                default=spec.get("default"),
                format=spec.get("format"), decimal=spec.get("decimal"),
                optional="if_missing" in spec, if_missing=spec.get("if_missing"))


def _check_values(rule: Rule, table: str, column: str, where: str,
                  problems: list[str]) -> None:
    col = TABLES[table].column(column)
    targets = [v for v in rule.values.values() if v is not None]
    if not rule.sources and rule.value is None and not col.nullable:
        problems.append(f"{where}: 'value: null' leaves {table}.{column} empty, but it needs "
                        "a value")
    if col.kind != "category":
        if rule.values:
            problems.append(f"{where}: 'values' only apply to category columns")
        return
    if col.vocabulary is not None:   # the company's own labels: any value is one
        return
    if rule.value is not None:
        targets.append(str(rule.value))
    nulls = [k for k, v in rule.values.items() if v is None]
    if nulls and not col.nullable:
        problems.append(f"{where}: {', '.join(map(repr, nulls))} mapped to no value, but "
                        f"{table}.{column} needs one")
    wrong = sorted({t for t in targets if t not in col.values})
    if wrong:
        problems.append(f"{where}: {', '.join(map(repr, wrong))} is not a course value; "
                        f"allowed: {', '.join(col.values)}")


def _settings(spec: dict, name: str, problems: list[str]) -> dict:
    """The file-wide settings: delimiter, decimal, encoding, time zone (checked)."""
    delimiter = spec.get("delimiter")
    if delimiter is not None and delimiter not in DELIMITERS:
        problems.append(f"{name}, delimiter: expected one of "
                        f"{', '.join(map(repr, DELIMITERS))} or none (detected), got "
                        f"{delimiter!r}")
    decimal = spec.get("decimal", ".")
    if decimal not in (".", ","):
        problems.append(f"{name}, decimal: expected '.' or ',', got {decimal!r}")
    encoding = spec.get("encoding", "utf-8")
    check_encoding(encoding, f"{name}, encoding", problems)
    time_zone = spec.get("time_zone")
    if time_zone is not None:
        try:
            ZoneInfo(str(time_zone))
        except (ZoneInfoNotFoundError, ValueError):
            problems.append(f"{name}, time_zone: unknown time zone {time_zone!r}; give an "
                            "IANA name such as Europe/Berlin or America/New_York")
    source = spec.get("time_zone_from")
    if source is not None and not (isinstance(source, dict) and set(source) == {"file",
                                                                               "column"}):
        problems.append(f"{name}, time_zone_from: expected {{file: <export file>, column: "
                        f"<column holding IANA zone names>}}, got {source!r}")
        source = None
    timestamps = spec.get("timestamps", "local")
    if timestamps not in ("local", "utc"):
        problems.append(f"{name}, timestamps: expected 'local' (timestamps without a zone "
                        f"are the company's local time) or 'utc', got {timestamps!r}")
    return {"delimiter": delimiter, "decimal": decimal, "encoding": encoding,
            "timestamps": timestamps,
            "time_zone": time_zone,
            "time_zone_from": (source["file"], source["column"]) if source else None}


def check_encoding(encoding, where: str, problems: list[str]) -> None:
    """Append to ``problems`` why ``encoding`` (set at ``where`` in the mapping) is no
    encoding Python knows, if so."""
    try:
        codecs.lookup(encoding)
    except (LookupError, TypeError):
        problems.append(f"{where}: unknown encoding {encoding!r}; e.g. utf-8, "
                        "cp1252 (Windows, Western Europe), latin-1")


def _where_text(value) -> str:
    """A ``where`` value as the text it matches (YAML true/false as 'true'/'false')."""
    return str(value).strip().lower()


def _where(spec: dict, where: str, problems: list[str]
           ) -> tuple[dict[str, tuple[str, ...]], frozenset[str]]:
    """A table's ``where``: export column -> the values kept (a value, a list, or
    ``{keep: <value(s)>, if_present: true}``), and the columns that may be absent from
    the export (``if_present``: then no row is filtered on them, and the report says so)."""
    kept, optional = {}, set()
    for column, rule in spec.items():
        if isinstance(rule, dict):
            unknown_keys(rule, WHERE_KEYS, f"{where}.{column}", problems)
            if "keep" not in rule:
                problems.append(f"{where}.{column}: 'keep' (the value(s) of rows kept) is "
                                f"missing, e.g. {{keep: false, if_present: true}}")
            if rule.get("if_present", False) not in (True, False):
                problems.append(f"{where}.{column}.if_present: expected true or false, got "
                                f"{rule['if_present']!r}")
            if rule.get("if_present") is True:
                optional.add(str(column))
            rule = rule.get("keep")
        kept[str(column)] = tuple(_where_text(x) for x in
                                  (rule if isinstance(rule, list) else [rule]))
    return kept, frozenset(optional)


def _licence(spec, table: str, where: str, problems: list[str]) -> Licence | None:
    """The users table's ``licence`` key, checked (None when not given)."""
    if spec is None:
        return None
    example = ("{active: IsActive, last_day: LastLoginDate, system: {UserType: "
               "[AutomatedProcess]}}")
    if table != "users" or not isinstance(spec, dict) or not isinstance(
            spec.get("active"), str) or not isinstance(spec.get("system", {}), dict):
        problems.append(f"{where}: expected (under tables.users only) {example}, got {spec!r}")
        return None
    unknown_keys(spec, LICENCE_KEYS, where, problems)
    return Licence(active=spec["active"], last_day=spec.get("last_day"),
                   system={str(k): tuple(str(x) for x in (v if isinstance(v, list) else [v]))
                           for k, v in (spec.get("system") or {}).items()})


def load_mapping(mapping: str | Path) -> Mapping:
    """Read and check a mapping. ``mapping``: a built-in name (`BUILT_IN`) or a YAML
    file's path.

    Raises
    ------
    MappingError
        The file is missing or not YAML, has a key the importer does not know (with the
        closest valid key), names an unknown course table or column, leaves out a required
        course column, or translates to a value the course does not know.
    """
    path = mapping_path(mapping)
    if not path.is_file():
        raise MappingError([f"{path.name}: mapping file not found; give "
                            f"{', '.join(map(repr, BUILT_IN))} or a YAML file written from "
                            "TEMPLATE.yml (crm_course/importer/mappings)"])
    try:
        spec = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as err:
        raise MappingError([f"{path.name}: not valid YAML ({err})"]) from None
    if not isinstance(spec, dict):
        raise MappingError([f"{path.name}: expected keys such as 'tables', got {spec!r}"])
    problems: list[str] = []
    unknown_keys(spec, TOP_KEYS, path.name, problems)
    settings = _settings(spec, path.name, problems)
    date_format = spec.get("date_format", "%Y-%m-%d")
    datetime_format = spec.get("datetime_format", "%Y-%m-%d %H:%M:%S")
    tables = {}
    for table, tspec in (spec.get("tables") or {}).items():
        if table not in TABLES:
            close = difflib.get_close_matches(str(table), list(TABLES), n=1)
            hint = f" (did you mean '{close[0]}'?)" if close else ""
            problems.append(f"{path.name}: unknown course table '{table}'{hint}; known: "
                            f"{', '.join(TABLES)}")
            continue
        tspec = tspec or {}
        unknown_keys(tspec, TABLE_KEYS, f"{path.name}, tables.{table}", problems)
        rules = {}
        for column, cspec in (tspec.get("columns") or {}).items():
            where = f"{path.name}, tables.{table}.columns.{column}"
            if column not in TABLES[table].column_names:
                close = difflib.get_close_matches(str(column), TABLES[table].column_names, n=1)
                hint = f" (did you mean '{close[0]}'?)" if close else ""
                problems.append(f"{where}: the course table has no such column{hint}; known: "
                                f"{', '.join(TABLES[table].column_names)}")
                continue
            rules[column] = _rule(cspec, where, problems)
            _check_values(rules[column], table, column, where, problems)
        unmapped = [c.name for c in TABLES[table].columns if not c.nullable
                    and c.name not in rules and c.name not in DERIVED.get(table, ())]
        for column in unmapped:
            problems.append(f"{path.name}, tables.{table}.columns: the course column "
                            f"'{column}' is required; add '{column}: <export column>' or "
                            f"'{column}: {{value: <constant>}}'")
        if "file" not in tspec:
            problems.append(f"{path.name}, tables.{table}: 'file' (the export file) is missing")
        where = tspec.get("where") or {}
        if not isinstance(where, dict):
            problems.append(f"{path.name}, tables.{table}.where: expected export column -> "
                            f"value(s) to keep (e.g. where: {{IsDeleted: false}}), got {where!r}")
            where = {}
        delimiter = tspec.get("delimiter")
        if delimiter is not None and delimiter not in DELIMITERS:
            problems.append(f"{path.name}, tables.{table}.delimiter: expected one of "
                            f"{', '.join(map(repr, DELIMITERS))}, got {delimiter!r}")
        encoding = tspec.get("encoding")
        if encoding is not None:
            check_encoding(encoding, f"{path.name}, tables.{table}.encoding", problems)
        kept, if_present = _where(where, f"{path.name}, tables.{table}.where", problems)
        licence = _licence(tspec.get("licence"), table, f"{path.name}, tables.{table}.licence",
                           problems)
        tables[table] = TableMapping(
            table=table, file=tspec.get("file", ""), rules=rules,
            date_format=tspec.get("date_format", date_format),
            datetime_format=tspec.get("datetime_format", datetime_format),
            currency=tspec.get("currency"), delimiter=delimiter, encoding=encoding,
            where=kept, where_if_present=if_present, licence=licence)
    absent = [t for t in CORE_TABLES if t not in tables]
    if absent:
        problems.append(f"{path.name}: the course needs the table(s) {', '.join(absent)}; "
                        "map them under 'tables'")
    countries = spec.get("countries")
    if countries is not None and (not isinstance(countries, list) or not countries
                                  or not all(isinstance(c, str) for c in countries)):
        problems.append(f"{path.name}, countries: expected a list of country names as the "
                        f"company writes them (e.g. [Germany, Austria]), got {countries!r}")
    policies = spec.get("policies") or {}
    if not isinstance(policies, dict):
        problems.append(f"{path.name}, policies: expected keys such as business_hours, "
                        f"sla_hours, lead_maturity_days; got {policies!r}")
        policies = {}
    problems += check_policies({k: v for k, v in policies.items()
                                if k not in ("time_zone", "currency")}, f"{path.name}, policies")
    for key in ("time_zone", "currency"):
        if key in policies:
            problems.append(f"{path.name}, policies.{key}: set it with the top-level "
                            f"'{key}' key")
    if "currency" in spec:
        if not is_currency(spec["currency"]):
            problems.append(f"{path.name}, currency: expected the ISO 4217 code of the "
                            f"export's money (e.g. EUR, USD, GBP), got {spec['currency']!r}")
        policies = {**policies, "currency": spec["currency"]}
    currencies = spec.get("currencies") or {}
    if not isinstance(currencies, dict) or not all(is_currency(str(v))
                                                   for v in currencies.values()):
        problems.append(f"{path.name}, currencies: expected the currency column's labels "
                        f"with their ISO 4217 codes (e.g. {{Euro: EUR}}), got {currencies!r}")
        currencies = {}
    if problems:
        raise MappingError(problems)
    return Mapping(currencies={str(k).strip().lower(): str(v)
                               for k, v in currencies.items()},
                   name=spec.get("crm", path.stem), path=path, company=spec.get("company"),
                   tables=tables, countries=tuple(countries) if countries else None,
                   policies=policies, **settings)
