"""Money in several currencies: recognise the currency column, convert, or refuse.

An export file with money columns may carry each row's currency in a column: the
mapping's ``currency:`` under the table, else a column named as one of `CURRENCY_COLUMNS`
(Salesforce ``CurrencyIsoCode``, HubSpot ``deal_currency_code`` / "Currency"). Then:

- one currency in the whole export: it is the dataset's currency (the mapping's
  ``currency``, when it names another one, is an error);
- several: every amount is converted to the reporting currency with the rates file the
  user gives (``--rates``), else the import stops naming the currencies and the option.
  Amounts are never summed across currencies under one label.

Rates file (`read_rates`): Salesforce's ``DatedConversionRate`` or ``CurrencyType`` export
(``IsoCode``, ``ConversionRate``, ``StartDate``), or a plain CSV ``currency,rate[,from_date]``.
A rate is the number of units of the currency per one unit of the corporate currency
(Salesforce's convention; the corporate currency has rate 1). So

    amount_reporting = amount / rate[currency] * rate[reporting]

with the rate in force on the row's date (the latest ``from_date`` on or before it; a won
or lost deal's close date, an open deal's created date (its close date is only expected,
and the import clears it), a campaign's start date ...: `rate_days`, and the import report
says which date chose how many rows' rates). The reporting currency is the mapping's
``currency`` if given, else the one with rate 1.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from ..data import quote_lines, quote_values
from ..profile import is_currency

MAPPED = "(currency of the amounts)"   # the report's name for a table's currency column
CURRENCY_COLUMNS = ("CurrencyIsoCode", "deal_currency_code", "Deal Currency Code",
                    "Currency", "currency")
# The date whose rate converts a row: the first present of these columns.
RATE_DATES = {"opportunities": ("close_date", "created_date"), "campaigns": ("start_date",),
              "orders": ("order_date",), "accounts": ("customer_since", "created_date"),
              "changes": ("start_date",)}
_HEADERS = {"currency": ("IsoCode", "currency"), "rate": ("ConversionRate", "rate"),
            "from_date": ("StartDate", "from_date")}


class CurrencyError(ValueError):
    """A problem with the export's currencies or the rates file (one message)."""


@dataclass(frozen=True)
class Conversion:
    """Rows of one currency converted with one rate (for the report and provenance)."""

    table: str
    currency: str
    rate: float           # units of ``currency`` per unit of the reporting currency
    from_date: str | None
    rows: int
    total_before: float   # sum of the rows' first money column, in ``currency``


def money_columns(table) -> list[str]:
    """The money columns of the schema ``table``."""
    return [c.name for c in table.columns if c.kind == "money"]


def find_column(columns: list[str], declared: str | None) -> str | None:
    """The export column holding each row's currency: ``declared`` or a known name. ``columns``: the
    export's headers."""
    if declared is not None:
        return declared
    return next((c for c in CURRENCY_COLUMNS if c in columns), None)


def read_rates(path: str | Path) -> pd.DataFrame:
    """The rates file as columns currency, rate, from_date (NaT: always), sorted. ``path``: the
    rates file (CSV: currency, rate, optional from_date)."""
    path = Path(path).expanduser()
    if not path.is_file():
        raise CurrencyError(f"{path.name}: rates file not found (--rates)")
    try:
        raw = pd.read_csv(path, dtype=str, keep_default_na=False, na_values=[""],
                          encoding="utf-8-sig", sep=None, engine="python")
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError,
            ValueError) as err:
        raise CurrencyError(f"{path.name}: cannot read the rates file as CSV ({err}); "
                            "expected columns currency,rate[,from_date]") from None
    found = {key: next((c for c in names if c in raw.columns), None)
             for key, names in _HEADERS.items()}
    if found["currency"] is None or found["rate"] is None:
        raise CurrencyError(f"{path.name}: expected columns currency,rate[,from_date] (or "
                            "Salesforce's IsoCode, ConversionRate, StartDate); found "
                            f"{', '.join(map(str, raw.columns))}")
    rates = pd.DataFrame({
        "currency": raw[found["currency"]].str.strip().str.upper(),
        "rate": pd.to_numeric(raw[found["rate"]], errors="coerce"),
        "from_date": (pd.to_datetime(raw[found["from_date"]], format="ISO8601",
                                     errors="coerce")
                      if found["from_date"] else pd.Series(pd.NaT, index=raw.index))})
    bad = rates.rate.isna() | ~(rates.rate > 0) | ~rates.currency.map(is_currency)
    if found["from_date"]:
        bad = bad | (raw[found["from_date"]].notna() & rates.from_date.isna())
    if bad.any():
        rows = raw.loc[bad].fillna("").astype(str)
        shown = rows[found["currency"]] + "," + rows[found["rate"]]
        raise CurrencyError(f"{path.name}: {quote_values(shown)} at "
                            f"{quote_lines(np.flatnonzero(bad.to_numpy()))} is not a currency "
                            "code, a positive rate and an optional date YYYY-MM-DD")
    if rates.empty:
        raise CurrencyError(f"{path.name}: the rates file holds no rate")
    twice = rates.duplicated(["currency", "from_date"], keep=False).to_numpy()
    if twice.any():
        rows = raw.loc[twice].fillna("").astype(str)
        raise CurrencyError(f"{path.name}: {quote_values(rows[found['currency']])} at "
                            f"{quote_lines(np.flatnonzero(twice))} give(s) more than one rate "
                            "for the same currency and start date; keep one rate per "
                            "currency and date")
    return rates.sort_values(["currency", "from_date"], na_position="first",
                             ignore_index=True)


def reporting_currency(rates: pd.DataFrame, declared: str | None, source: str) -> str:
    """The mapping's currency, else the rates file's one currency with rate 1. ``rates``:
    `read_rates`; ``declared``: the mapping's currency (None: not given); ``source``: the rates
    file's name, for the error."""
    if declared is not None:
        return declared
    corporate = sorted(set(rates.currency[rates.rate == 1]))
    if len(corporate) != 1:
        which = ", ".join(corporate) + " have" if corporate else "no currency has"
        raise CurrencyError(f"{source}: cannot tell the reporting currency: {which} rate 1; "
                            "pass --currency with the reporting currency (e.g. --currency USD) "
                            "or set 'currency' in the mapping")
    return corporate[0]


def rate_on(rates: pd.DataFrame, currency: str, days: pd.Series) -> tuple[pd.Series, pd.Series]:
    """The rate of ``currency`` (listed in ``rates``) in force on each day, and the
    rate's from_date; NaN where no rate of it starts on or before the day. ``days``: the days
    (timestamps)."""
    mine = rates[rates.currency == currency]
    starts = mine.from_date.fillna(pd.Timestamp("1677-09-22")).to_numpy(dtype="datetime64[ns]")
    at = np.searchsorted(starts, days.to_numpy(dtype="datetime64[ns]"), side="right") - 1
    ok = (at >= 0) & days.notna().to_numpy()
    pick = np.clip(at, 0, None)
    rate = pd.Series(np.where(ok, mine.rate.to_numpy()[pick], np.nan), index=days.index)
    start = pd.Series(mine.from_date.to_numpy()[pick], index=days.index).where(ok)
    return rate, start


def rate_days(table: str, frame: pd.DataFrame) -> tuple[pd.Series, pd.Series]:
    """The day whose rate converts each row of ``frame`` (the converted ``table``): the
    first present of its `RATE_DATES`, an open deal's close date left out (it is only
    expected); and, per row, that date's name in words ('the close date'; '' when none)."""
    from ..schema import OPEN_STAGES

    day = pd.Series(pd.NaT, index=frame.index, dtype="datetime64[ns]")
    chosen = pd.Series("", index=frame.index)
    deals = table == "opportunities"
    still = frame.stage.isin(OPEN_STAGES).to_numpy() if deals else np.zeros(len(frame), bool)
    for column in RATE_DATES.get(table, ()):
        dates = pd.to_datetime(frame[column]).astype("datetime64[ns]")
        what = pd.Series(f"the {column.replace('_', ' ')}", index=frame.index)
        if deals and column == "close_date":
            dates = dates.where(~still)
        elif deals and column == "created_date":
            what = what.where(~still, "the created date of open deals (their close date is "
                                      "only expected)")
        take = day.isna() & dates.notna()
        day, chosen = day.where(~take, dates), chosen.where(~take, what)
    return day, chosen


def resolve(frames: dict[str, pd.DataFrame], files: dict[str, str], declared: str | None,
            rates_path: str | Path | None, notes: list[str], said: str = "the mapping",
            columns: dict[str, str] | None = None
            ) -> tuple[str | None, list[Conversion], str | None]:
    """The dataset's currency, the conversions made and where the currency came from
    (``said``, the export's column or the rates file), converting ``frames``' money
    columns in place when the export holds several (see the module's docstring); None
    when the export has no amount. ``declared``: the currency given (``said``: by whom,
    for the messages).
    An export with amounts, no currency column and nothing declared is refused: the
    course never assumes a currency. ``frames`` carry each row's code in ``_currency``
    (from the export's column) and their file line in ``_line``; ``files``: table ->
    export file, and ``columns``: table -> its currency column, for the messages. ``rates_path``:
    the rates file (None: none given); ``notes``: list the import report's notes are appended to."""
    from ..schema import TABLES

    columns = columns or {}
    carriers = {t: f for t, f in frames.items() if "_currency" in f and len(f)}
    seen: dict[str, int] = {}
    for table, frame in carriers.items():
        code = frame["_currency"]
        money = frame[money_columns(TABLES[table])].notna().any(axis=1)
        wrong = (code.notna() & money & ~code.map(lambda c: is_currency(c))).to_numpy()
        if wrong.any():
            raise CurrencyError(
                f"{files[table]}, column '{columns.get(table, '?')}': "
                f"{quote_values(code[wrong])} at lines "
                f"{', '.join(map(str, frame['_line'][wrong].head(5)))} is not an ISO 4217 "
                "currency code (EUR, USD, COP ...); correct the export, translate the "
                "labels with 'currencies' in the mapping (e.g. Euro: EUR), or set the "
                "table's 'currency' column in the mapping")
        for c, n in code[money].value_counts().items():
            seen[c] = seen.get(c, 0) + int(n)
    codes = sorted(seen)
    if rates_path is not None and len(codes) < 2:
        notes.append(f"currency: {Path(rates_path).name} (--rates) not used: the export's "
                     f"amounts are in {codes[0] if codes else 'no stated currency'}")
    if not codes:
        amounts = sorted(files.get(t, t) for t, f in frames.items()
                         if len(f) and money_columns(TABLES[t])
                         and f[money_columns(TABLES[t])].notna().any().any())
        if declared is None and amounts:
            raise CurrencyError(
                f"{', '.join(amounts)}: the export has amounts but no currency code (no "
                f"column {', '.join(CURRENCY_COLUMNS[:3])} ..., or it is empty), and "
                "neither the mapping "
                "nor the command says which currency they are in (a single-currency "
                "Salesforce org exports no CurrencyIsoCode). Pass --currency with its ISO "
                "4217 code (e.g. --currency MXN), or set 'currency: MXN' in the mapping")
        return declared, [], said if declared else None
    if len(codes) == 1:
        if declared is not None and declared != codes[0]:
            column = ", ".join(f"{files[t]} column '{columns.get(t, '?')}'"
                               for t in carriers)
            raise CurrencyError(f"the export's currency column ({column}) holds only "
                                f"{codes[0]}, but {said} says {declared}; correct it (or "
                                f"leave it out: the column says {codes[0]})")
        _fill_empty(carriers, files, codes[0], notes)
        notes.append(f"currency: every amount is in {codes[0]} (the export's currency "
                     "column): the dataset's currency")
        return codes[0], [], "the export's column " + ", ".join(
            dict.fromkeys(f"'{columns.get(t, '?')}'" for t in carriers))
    counts = ", ".join(f"{c} {seen[c]} row(s)" for c in sorted(seen, key=lambda c: -seen[c]))
    where = ", ".join(sorted({files[t] for t in carriers}))
    if rates_path is None:
        raise CurrencyError(
            f"{where}: the amounts are in {len(codes)} currencies ({counts}); the course "
            "never adds amounts of different currencies. Give the exchange rates with "
            "--rates FILE (Salesforce's DatedConversionRate or CurrencyType export, or a "
            "CSV currency,rate[,from_date]: units of the currency per one unit of the "
            "reporting currency); the reporting currency is the mapping's 'currency', "
            "else the one with rate 1")
    rates = read_rates(rates_path)
    target = reporting_currency(rates, declared, Path(rates_path).name)
    lacking = [c for c in [*codes, target] if c not in set(rates.currency)]
    if lacking:
        raise CurrencyError(f"{Path(rates_path).name}: no rate for "
                            f"{', '.join(dict.fromkeys(lacking))} (the export uses {counts}; "
                            f"reporting currency {target})")
    _fill_empty(carriers, files, declared, notes)
    conversions, already = [], 0   # rows already in the reporting currency
    for table, frame in carriers.items():
        dates = RATE_DATES.get(table, ())
        day, chosen = rate_days(table, frame)
        factor = pd.Series(np.nan, index=frame.index)
        money = frame[money_columns(TABLES[table])].notna().any(axis=1)
        for code in codes:
            rows = ((frame["_currency"] == code) & money).to_numpy()
            if code == target:   # already in the reporting currency: nothing converted
                factor[rows] = 1.0
                already += int(rows.sum())
                continue
            if not rows.any():
                continue
            rate, start = rate_on(rates, code, day[rows])
            target_rate, target_start = rate_on(rates, target, day[rows])
            missing = rate.isna() | target_rate.isna()
            if missing.any():
                raise CurrencyError(
                    f"{files[table]}: no rate of {code} or {target} in "
                    f"{Path(rates_path).name} on or before the date of lines "
                    f"{', '.join(map(str, frame['_line'][rows][missing.to_numpy()].head(5)))} "
                    f"(dates from {' or '.join(dates) or 'none'}); add earlier rates")
            factor[rows] = (target_rate / rate).to_numpy()
            first = money_columns(TABLES[table])[0]
            per_target = rate / target_rate   # units of the currency per reporting unit
            start = pd.concat([start, target_start], axis=1).max(axis=1)
            for (r, s), group in frame[rows].groupby(
                    [per_target, start.fillna(pd.Timestamp(0))], sort=True):
                conversions.append(Conversion(
                    table, code, float(r), None if s == pd.Timestamp(0) else str(s.date()),
                    len(group), float(pd.to_numeric(group[first]).sum())))
        for column in money_columns(TABLES[table]):
            frame[column] = pd.to_numeric(frame[column]).astype("float64") * factor
        converted = chosen[(factor != 1).to_numpy() & factor.notna().to_numpy()]
        if len(converted):
            notes.append(f"currency: {files[table]}: converted at the rate in force on "
                         + "; on ".join(f"{what} for {n} row(s)" for what, n in
                                        converted.value_counts(sort=False).items()))
    notes.append(f"currency: amounts in {counts} converted to {target} with "
                 f"{Path(rates_path).name} (rates listed under 'Currency conversions')"
                 + (f"; the {already} row(s) already in {target} are kept as they are"
                    if already else ""))
    for table, frame in frames.items():
        if table not in carriers and len(frame) and money_columns(TABLES[table]) and \
                frame[money_columns(TABLES[table])].notna().any().any():
            notes.append(f"{files.get(table, table)}: no currency column; its amounts "
                         f"({', '.join(money_columns(TABLES[table]))}) are taken to be in "
                         f"{target}, not converted")
    converted = f"the rates file {Path(rates_path).name} (--rates)"
    return (target, conversions,
            f"{said}, amounts converted with {converted}" if declared
            else f"{converted}, amounts converted")


def _fill_empty(carriers: dict[str, pd.DataFrame], files: dict[str, str],
                code: str | None, notes: list[str]) -> None:
    """Rows with money and no currency code take ``code`` (noted), else are an error."""
    from ..schema import TABLES

    for table, frame in carriers.items():
        money = frame[money_columns(TABLES[table])].notna().any(axis=1)
        empty = (frame["_currency"].isna() & money).to_numpy()
        if not empty.any():
            continue
        lines = ", ".join(map(str, frame["_line"][empty].head(5)))
        if code is None:
            raise CurrencyError(f"{files[table]}: {int(empty.sum())} row(s) with an amount "
                                f"and no currency (lines {lines}); set 'currency' in the "
                                "mapping to the currency they are in")
        frame.loc[empty, "_currency"] = code
        notes.append(f"{files[table]}: {int(empty.sum())} row(s) with an amount and no "
                     f"currency (lines {lines}) taken to be in {code}")
