"""Broken exports never give a traceback: the import command exits 0 with a dataset
that loads, or 2 with a message naming what to change.

Each case copies one fixture export and breaks it with 1-3 seeded mutations: a column
removed, emptied or retyped (garbage, hostile text, out-of-range numbers, impossible
dates), garbage bytes, a wrong delimiter, a truncated, emptied or deleted file, a
conflicting duplicate row. ``FUZZ_CASES`` cases run by default (set the environment
variable ``CRM_COURSE_FUZZ_CASES`` for more); `make claims` runs a sweep of 500 other
seeds and prints how many ended with exit 0 and exit 2.
"""

from __future__ import annotations

import csv
import io
import os
import random
import shutil
from pathlib import Path

import pytest

from crm_course.cli import main
from crm_course.data import load_crm

EXPORTS = Path(__file__).parent / "fixtures" / "exports"
FORMATS = {"salesforce": "salesforce", "salesforce_de": "salesforce-de", "hubspot": "hubspot",
           "hubspot_web": "hubspot-web", "pipedrive": "pipedrive", "dynamics365": "dynamics365"}
FUZZ_CASES = int(os.environ.get("CRM_COURSE_FUZZ_CASES", "36"))
GARBAGE = ["abc", "", " ", "-1", "-99999999", "1e309", "nan", "inf", "2025-13-45",
           "31.02.2025", "0000-00-00", "9999-12-31T99:99:99Z", "=cmd|' /C calc'!A0",
           "<script>alert(1)</script>", "\u202egnp.exe", "\x00", "1,234", "1.234", "1.234,5",
           "€", "true", "Closed Won", "x" * 5000, '"', "a;b,c\td", "\ufeff", "NULL"]


def _mutate(folder: Path, rng: random.Random) -> list[str]:
    """Apply one random mutation to a random file of ``folder``; return what was done."""
    files = sorted(p for p in folder.iterdir() if p.suffix == ".csv")
    if not files:
        return ["nothing left"]
    path = rng.choice(files)
    data = path.read_bytes()
    text = data.decode("utf-8", errors="replace")
    sep = ";" if text.split("\n", 1)[0].count(";") > text.split("\n", 1)[0].count(",") else ","
    rows = list(csv.reader(io.StringIO(text, newline=""), delimiter=sep))
    kind = rng.choice(["remove", "empty", "retype", "retype", "bytes", "delimiter",
                       "truncate", "zero", "delete", "duplicate", "header"])
    if kind in ("remove", "empty", "retype", "duplicate", "header") and len(rows) > 1:
        col = rng.randrange(len(rows[0]))
        if kind == "remove":
            rows = [r[:col] + r[col + 1:] for r in rows]
        elif kind == "empty":
            rows = [rows[0]] + [r[:col] + [""] + r[col + 1:] for r in rows[1:]]
        elif kind == "retype":
            rows = [rows[0]] + [r[:col] + [rng.choice(GARBAGE)] + r[col + 1:]
                                if rng.random() < 0.5 else r for r in rows[1:]]
        elif kind == "duplicate":
            row = list(rng.choice(rows[1:]))
            if row:
                row[rng.randrange(len(row))] = rng.choice(GARBAGE)
            rows.append(row)
        else:
            rows[0] = [rng.choice(GARBAGE) if rng.random() < 0.3 else c for c in rows[0]]
        out = io.StringIO()
        csv.writer(out, delimiter=sep, lineterminator="\n").writerows(rows)
        path.write_text(out.getvalue(), encoding="utf-8")
    elif kind == "bytes":
        at = rng.randrange(len(data) + 1)
        path.write_bytes(data[:at] + bytes(rng.randrange(256) for _ in range(8)) + data[at:])
    elif kind == "delimiter":
        path.write_text(text.replace(sep, rng.choice(["\t", "|", ";" if sep == "," else ","])),
                        encoding="utf-8")
    elif kind == "truncate":
        path.write_bytes(data[:rng.randrange(len(data) + 1)])
    elif kind == "zero":
        path.write_bytes(b"")
    elif kind == "delete":
        path.unlink()
    return [f"{kind} {path.name}"]


def run_case(seed: int, tmp_path: Path, capsys) -> tuple[int, str, list[str]]:
    """Break a fixture export with seed ``seed`` and import it; (exit code, stderr, what
    was broken). Asserts the contract: exit 0 and a dataset that loads, or exit 2 and a
    message without a traceback."""
    rng = random.Random(seed)
    name = rng.choice(sorted(FORMATS))
    source = tmp_path / f"export{seed}"
    shutil.copytree(EXPORTS / name, source)
    done = [name]
    for _ in range(rng.randint(1, 3)):
        done += _mutate(source, rng)
    out = tmp_path / f"out{seed}"
    code = main(["data", "import", "--from", str(source), "--mapping", FORMATS[name],
                 "--out", str(out)])
    err = capsys.readouterr().err
    assert code in (0, 2), (done, code, err)
    assert "Traceback" not in err and "unexpected" not in err, (done, err)
    if code == 0:
        load_crm(out, cache=False)
    else:
        assert err.startswith("error: ") and len(err) > 40, (done, err)
        assert not out.exists(), done
    return code, err, done


@pytest.mark.parametrize("seed", range(FUZZ_CASES))
def test_a_broken_export_gives_a_dataset_or_a_message(seed, tmp_path, capsys):
    run_case(seed, tmp_path, capsys)


SWEEP_CASES = 500


@pytest.mark.claims
def test_500_broken_exports_give_a_dataset_or_a_message(tmp_path, capsys):
    """The sweep (make claims): 500 more seeds over every fixture format; every case
    is run, then the failures are listed together with the tally of exit codes."""
    codes, failures = {0: 0, 2: 0}, []
    for seed in range(10_000, 10_000 + SWEEP_CASES):
        try:
            code, _, _ = run_case(seed, tmp_path, capsys)
            codes[code] += 1
        except AssertionError as err:
            failures.append(f"seed {seed}: {str(err)[:300]}")
        shutil.rmtree(tmp_path / f"out{seed}", ignore_errors=True)
        shutil.rmtree(tmp_path / f"export{seed}", ignore_errors=True)
    with capsys.disabled():
        print(f"\nfuzz sweep: {SWEEP_CASES} cases, exit 0: {codes[0]}, exit 2: {codes[2]}, "
              f"failed: {len(failures)}")
    assert not failures, "\n".join(failures)
    assert codes[0] > 0 and codes[2] > 0   # the sweep reaches both outcomes
