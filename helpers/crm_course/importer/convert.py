"""`import_export`: a CRM export folder -> a validated course dataset plus its report.

Steps, in order: read each export file named by the mapping (`reading`: encoding and
delimiter declared or detected); map and parse its columns (`columns`, with `dates` and
`amounts`; errors collected into one `MappingError`; numbers and dates are never
guessed, see `values`); drop rows the course cannot use, each with its reason (`drops`:
a required value empty or out of range; `keys`: a repeated key, a reference to a record
that is not there, except deals and tickets of an owner missing from the users export,
kept under a placeholder owner), and clear optional values out of range (the row counts:
a deal with no valid amount is kept, its amount unknown); convert currencies
(`currency`); derive what the export does not store (`derive`); pseudonymise on request;
derive the dataset's period (`period`) and profile (`crm_course.profile`); write the
tables, ``dataset.json`` and ``import_report.md`` into a folder beside the output,
validate it with `load_crm`, then move it into place.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pandas as pd

from ..data import CRM, load_crm, write_tables
from ..kpis.date_order import impossible
from ..profile import is_currency
from ..profile import periods as profile_periods
from ..schema import METADATA_FILE, TABLES
from . import currency as currencies
from .columns import Converter
from .derive import derive, empty_table, typed
from .drops import Dropper, warn_undated, why_core_empty
from .keys import PLACEHOLDER, drop_orphans, placeholder_dates
from .licences import licence_ends
from .mapping import OWNERS, Mapping, MappingError, load_mapping
from .period import iso_date, period
from .pseudonym import personal_ids, resolve_key
from .pseudonym import pseudonymise as pseudonymise_tables
from .reading import decode, present_files, read_export
from .report import REPORT_FILE, ImportReport
from .reps import check_default_department, check_reps
from .zones import company_zone


def _check_out_dir(out: Path) -> None:
    expected = {t.filename for t in TABLES.values()} | {METADATA_FILE, REPORT_FILE}
    if out.is_dir():
        foreign = sorted(p.name for p in out.iterdir() if p.name not in expected)
        if foreign:
            raise FileExistsError(f"{out} holds other files ({', '.join(foreign[:5])}); "
                                  "choose an empty folder")


def _profile(tables: dict[str, pd.DataFrame], spec: Mapping, zone: str | None,
             meta: dict, money: str | None) -> dict:
    """The dataset's profile (`crm_course.profile`): the vocabularies as the export uses
    them (the labels the mapping translates to, in its order, then the others seen, in
    alphabetical order), the mapping's countries, policies and time zone, and the periods."""
    found: dict[str, tuple[set, list]] = {}   # vocabulary -> (values seen, mapping order)
    for table in TABLES.values():
        tm = spec.tables.get(table.name)
        for column in (c for c in table.columns if c.vocabulary):
            seen, order = found.setdefault(column.vocabulary, (set(), []))
            seen |= set(tables[table.name][column.name].dropna())
            rule = tm.rules.get(column.name) if tm else None
            order += [v for v in dict.fromkeys(rule.values.values() if rule else ())
                      if v is not None and v not in order]
    vocabularies: dict[str, list[str] | None] = {}
    for name, (seen, order) in found.items():
        listed = [v for v in order if v in seen]
        vocabularies[name] = listed + sorted(seen - set(listed))
    vocabularies["countries"] = list(spec.countries) if spec.countries else None
    policies = {**spec.policies, "time_zone": zone}
    if money is not None:
        policies["currency"] = money
    return {"vocabularies": vocabularies, "policies": policies,
            "periods": profile_periods(meta)}


def _write(tables: dict[str, pd.DataFrame], report: ImportReport, out: Path) -> None:
    """Write into a new folder beside ``out``, validate it, then put it in ``out``'s place:
    an error leaves ``out`` as it was (absent, or the previous import)."""
    out.parent.mkdir(parents=True, exist_ok=True)
    staging = out.parent / f".{out.name}.importing-{os.getpid()}"
    old = out.parent / f".{out.name}.previous-{os.getpid()}"
    shutil.rmtree(staging, ignore_errors=True)
    try:
        write_tables(tables, report.metadata, staging)
        load_crm(staging)
        report.write(staging)
        if out.exists():
            out.rename(old)
        staging.rename(out)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
        shutil.rmtree(old, ignore_errors=True)


def import_export(source_dir: str | Path, mapping: str | Path, out_dir: str | Path,
                  pseudonymise: bool = False, *, secret: str | None = None,
                  changes_start: str | None = None, company: str | None = None,
                  control_region: str | None = None, time_zone: str | None = None,
                  export_date: str | None = None,
                  rates: str | Path | None = None,
                  currency: str | None = None) -> ImportReport:
    """Turn a CRM export (a folder of CSV files) into a validated course dataset.

    Parameters
    ----------
    source_dir : str or Path
        Folder holding the export's CSV files, named as in the mapping.
    mapping : str or Path
        A built-in name (`mapping.BUILT_IN`: ``'salesforce'``, ``'hubspot-web'``,
        ``'pipedrive'``, ``'dynamics365'`` ...) or a mapping YAML file (see
        ``TEMPLATE.yml``).
    out_dir : str or Path
        Folder to write the dataset into (new, or holding only a previous import). It is
        replaced only once the new dataset is complete and valid.
    pseudonymise : bool
        Replace names, e-mails and phones by keyed hashes (see `pseudonym`).
    secret : str, optional
        Hashing key; default: the environment variable ``CRM_COURSE_SECRET``.
    changes_start : str, optional
        Day the improvements went live, YYYY-MM-DD (default: the period's midpoint).
    company : str, optional
        Company name (default: the mapping's ``company``, else the export folder's name).
    control_region : str, optional
        The region (a course region, after the mapping's translation) that got no changes
        before the review: it makes difference-in-differences possible (default: none).
    time_zone : str, optional
        The company's IANA time zone (default: the mapping's ``time_zone`` or
        ``time_zone_from``); timestamps with a zone (``Z``) are converted to it.
    export_date : str, optional
        Day the export was taken, YYYY-MM-DD: the data's end (default: the latest
        dated event, no later than today); later dates are reported and left out of the
        period's bounds.
    rates : str or Path, optional
        Exchange rates for an export whose amounts are in several currencies (see
        `importer.currency`); without it such an export is refused.
    currency : str, optional
        ISO 4217 code of the amounts when no export column says it (default: the
        mapping's ``currency``); an export with amounts and neither is refused.

    Returns
    -------
    ImportReport
        Also written as ``import_report.md`` in ``out_dir``.

    Raises
    ------
    MappingError
        Every mapping problem found, naming the file and column: missing export file or
        column, wrong delimiter or encoding, unknown label (stage, priority ...),
        unreadable or ambiguous date or number.
    """
    source, out = Path(source_dir).expanduser(), Path(out_dir).expanduser()
    changes_start = iso_date(changes_start, "changes_start")
    export_date = iso_date(export_date, "export_date")
    money_code = None if currency is None else str(currency).strip().upper()
    if money_code is not None and not is_currency(money_code):
        raise ValueError(f"--currency must be an ISO 4217 code such as EUR, USD or MXN, "
                         f"got {currency!r}")
    spec = load_mapping(mapping)
    key = resolve_key(secret) if pseudonymise else None
    _check_out_dir(out)
    if not source.is_dir():
        raise MappingError([f"{source.name}: export folder not found"])
    report = ImportReport(crm=spec.name, source=source, out_dir=out)
    report.reading.update(encoding=spec.encoding, decimal=spec.decimal)
    problems: list[str] = []
    zone = company_zone(time_zone, spec, source, problems, report)
    frames: dict[str, pd.DataFrame] = {}
    raws: dict[str, pd.DataFrame] = {}
    present = present_files(source, spec, problems, report)
    # files with non-ASCII text the top-level encoding reads: another one would break them
    fine = [tm.file for tm in map(spec.tables.get, present)
            if tm.encoding is None and not (source / tm.file).read_bytes().isascii()
            and decode(source / tm.file, spec.encoding, []) is not None]
    for name in present:
        tm = spec.tables[name]
        if tm.encoding is not None:
            report.reading.setdefault("encodings", {})[tm.file] = tm.encoding
        raw = read_export(source / tm.file, spec, problems, tm.delimiter, name,
                          [f for f in fine if f != tm.file])
        if raw is not None:
            report.reading.setdefault("delimiters", {})[tm.file] = raw.attrs["delimiter"]
            raws[name] = raw
            frames[name] = Converter(spec, tm, raw, problems, report, zone,
                                      money_code).convert()
    if problems:
        raise MappingError(problems)
    for name in TABLES:
        if name not in frames:
            report.absent.setdefault(name, "not in the mapping")
            frames[name] = empty_table(name)
    dropper = Dropper(frames, spec, report)
    for name in spec.tables:
        if name not in report.absent:
            dropper.required_and_ranges(name)
    drop_orphans(dropper)
    frames = dropper.frames
    problems = why_core_empty(frames, spec, report)
    if problems:
        raise MappingError(problems)
    declared = money_code or spec.policies.get("currency")
    said = "--currency" if money_code else f"'currency' in {spec.path.name}"
    columns = {t.table: t.mapped[currencies.MAPPED].strip("'") for t in report.tables
               if currencies.MAPPED in t.mapped}
    try:
        money, report.conversions, report.currency_source = currencies.resolve(
            frames, {t: tm.file for t, tm in spec.tables.items()}, declared, rates,
            report.notes, said, columns)
    except currencies.CurrencyError as err:
        raise MappingError([str(err)]) from None
    derive(frames, spec, report)
    warn_undated(frames, spec, report)
    check_reps(frames["users"], dropper.placeholder, spec, report)
    check_default_department(frames["users"], dropper.placeholder, report)
    for entry in report.tables:   # rows of the export kept: the placeholder is none
        entry.rows_written = len(frames[entry.table]) - int(
            entry.table == "users" and dropper.placeholder is not None)
    licence = spec.tables["users"].licence
    ends = (None if licence is None or OWNERS in report.absent else licence_ends(
        frames["users"], raws["users"], frames, licence, spec, zone, report))
    dates = period(frames, changes_start, export_date, report)
    tables = {name: typed(name, frames[name]) for name in TABLES}
    tables["users"] = placeholder_dates(tables["users"], dropper.placeholder,
                                        dates["data_end"])
    report.impossible = {o.rule: list(o.keys) for o in impossible(CRM(tables, {}))}
    if key is not None:
        report.pseudonymised = pseudonymise_tables(tables, key)
        if dropper.placeholder is not None:   # not a person: its name stays readable
            tables["users"].loc[frames["users"].user_id == dropper.placeholder,
                                "name"] = PLACEHOLDER["name"]
    for group in personal_ids(tables):
        report.notes.append(f"{', '.join(f'{t}.{c}' for t, c in group)}: keys made of "
                            "e-mail addresses, phone numbers or names; import with "
                            "--pseudonymise to replace them by keyed hashes")
    report.metadata = {
        "company": company or spec.company or source.resolve().name, "seed": None,
        "scale": None, "effect": None,
        **dates,
        "control_region": control_region, "survey_waves": [], "time_zone": zone}
    if ends is not None and ends.notna().any():   # after pseudonymising: the keys written
        stop = ends.to_numpy()
        users = tables["users"].user_id.to_numpy()
        report.metadata["licence_end"] = {str(u): str(pd.Timestamp(d).date()) for u, d in
                                          sorted(zip(users, stop, strict=True)) if not pd.isna(d)}
    report.metadata["profile"] = _profile(tables, spec, zone, report.metadata, money)
    regions = report.metadata["profile"]["vocabularies"]["regions"]
    if control_region is not None and control_region not in regions:
        raise ValueError(f"control_region {control_region!r} has no user or account in this "
                         f"export; its regions are {', '.join(regions)}")
    report.metadata["import"] = report.provenance()
    _write(tables, report, out)
    return report
