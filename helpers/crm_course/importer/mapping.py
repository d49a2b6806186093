"""Column mappings: how one CRM's export files become the course's tables.

A mapping is a YAML file (see ``mappings/TEMPLATE.yml`` for every key, documented).
The package ships ``salesforce`` and ``hubspot``; any other CRM gets its own file.
``load_mapping`` reads one and checks it against the course schema, so a mistake in
the mapping is reported before any data is read.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import yaml

from ..schema import TABLES

MAPPINGS_DIR = Path(__file__).resolve().parent / "mappings"
BUILT_IN = ("salesforce", "hubspot")
CORE_TABLES = ("users", "accounts", "opportunities")  # an import needs at least these
RULE_KEYS = {"from", "values", "fallback", "default", "value", "format"}
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
    ``value``: a constant instead; ``values``: export label -> course value;
    ``fallback``: course value for unlisted labels; ``default``: export value for empty cells
(translated like the others);
    ``format``: date format overriding the table's.
    """

    sources: tuple[str, ...] = ()
    value: object = None
    values: dict[str, str] = field(default_factory=dict)
    fallback: str | None = None
    default: object = None
    format: str | None = None

    def describe(self) -> str:
        if not self.sources:
            return f"constant {self.value!r}"
        text = " + ".join(f"'{s}'" for s in self.sources)
        return text + (" (translated)" if self.values or self.fallback else "")


@dataclass(frozen=True)
class TableMapping:
    """One export file feeding one course table."""

    table: str
    file: str
    rules: dict[str, Rule]
    date_format: str
    datetime_format: str


@dataclass(frozen=True)
class Mapping:
    """A whole mapping file, parsed."""

    name: str
    path: Path
    company: str | None
    delimiter: str
    decimal: str
    tables: dict[str, TableMapping]
    countries: tuple[str, ...] | None = None


def mapping_path(mapping: str | Path) -> Path:
    """The YAML file of a built-in mapping name, or the path itself."""
    if str(mapping) in BUILT_IN:
        return MAPPINGS_DIR / f"{mapping}.yml"
    return Path(mapping).expanduser()


def _rule(spec, where: str, problems: list[str]) -> Rule:
    if isinstance(spec, str):
        return Rule(sources=(spec,))
    if not isinstance(spec, dict):
        problems.append(f"{where}: expected an export column name or a mapping with "
                        f"keys {', '.join(sorted(RULE_KEYS))}, got {spec!r}")
        return Rule()
    unknown = set(spec) - RULE_KEYS
    if unknown:
        problems.append(f"{where}: unknown key(s) {', '.join(sorted(unknown))}; "
                        f"allowed: {', '.join(sorted(RULE_KEYS))}")
    sources = spec.get("from", ())
    sources = (sources,) if isinstance(sources, str) else tuple(sources)
    if bool(sources) == ("value" in spec):
        problems.append(f"{where}: give either 'from' (export column) or 'value' "
                        "(a constant), not both or neither")
    values = {str(k): str(v) for k, v in (spec.get("values") or {}).items()}
    return Rule(sources=sources, value=spec.get("value"), values=values,
                fallback=spec.get("fallback"), default=spec.get("default"),
                format=spec.get("format"))


def _check_values(rule: Rule, table: str, column: str, where: str,
                  problems: list[str]) -> None:
    col = TABLES[table].column(column)
    targets = list(rule.values.values()) + [v for v in (rule.fallback,) if v is not None]
    if col.kind != "category":
        if targets:
            problems.append(f"{where}: 'values'/'fallback' only apply to category columns")
        return
    if rule.value is not None:
        targets.append(str(rule.value))
    wrong = sorted({t for t in targets if t not in col.values})
    if wrong:
        problems.append(f"{where}: {', '.join(map(repr, wrong))} is not a course value; "
                        f"allowed: {', '.join(col.values)}")


def load_mapping(mapping: str | Path) -> Mapping:
    """Read and check a mapping: ``'salesforce'``, ``'hubspot'`` or a YAML file's path.

    Raises
    ------
    MappingError
        The file is missing or not YAML, names an unknown course table or column, leaves
        out a required course column, or translates to a value the course does not know.
    """
    path = mapping_path(mapping)
    if not path.is_file():
        raise MappingError([f"{path}: mapping file not found; give 'salesforce', 'hubspot' "
                            f"or a YAML file written from {MAPPINGS_DIR / 'TEMPLATE.yml'}"])
    try:
        spec = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as err:
        raise MappingError([f"{path.name}: not valid YAML ({err})"]) from None
    problems: list[str] = []
    date_format = spec.get("date_format", "%Y-%m-%d")
    datetime_format = spec.get("datetime_format", "%Y-%m-%d %H:%M:%S")
    tables = {}
    for table, tspec in (spec.get("tables") or {}).items():
        if table not in TABLES:
            problems.append(f"{path.name}: unknown course table '{table}'; known: "
                            f"{', '.join(TABLES)}")
            continue
        rules = {}
        for column, cspec in (tspec.get("columns") or {}).items():
            where = f"{path.name}, tables.{table}.columns.{column}"
            if column not in TABLES[table].column_names:
                problems.append(f"{where}: the course table has no such column; known: "
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
        tables[table] = TableMapping(
            table=table, file=tspec.get("file", ""), rules=rules,
            date_format=tspec.get("date_format", date_format),
            datetime_format=tspec.get("datetime_format", datetime_format))
    absent = [t for t in CORE_TABLES if t not in tables]
    if absent:
        problems.append(f"{path.name}: the course needs the table(s) {', '.join(absent)}; "
                        "map them under 'tables'")
    countries = spec.get("countries")
    if countries is not None and (not isinstance(countries, list) or not countries
                                  or not all(isinstance(c, str) for c in countries)):
        problems.append(f"{path.name}, countries: expected a list of country names as the "
                        f"company writes them (e.g. [Germany, Austria]), got {countries!r}")
    if problems:
        raise MappingError(problems)
    return Mapping(name=spec.get("crm", path.stem), path=path, company=spec.get("company"),
                   delimiter=spec.get("delimiter", ","), decimal=spec.get("decimal", "."),
                   tables=tables, countries=tuple(countries) if countries else None)
