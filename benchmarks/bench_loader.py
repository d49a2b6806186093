"""Loader speed: `load_crm` against a single-threaded pyarrow parse of the same files.

Targets at scale 100: a first load (parse + validate, no cache) within 2x of the
reference, and a second load of the unchanged folder (from the cache) under 1 s.

The reference reads every table's CSV with pyarrow on one thread and converts it to
pandas, with no checks: the floor cost of getting the text into DataFrames. Each
measurement runs in a fresh subprocess, so peak memory (max RSS) is its own; the cache
lives in a temporary folder. The reference and the uncached load take turns for
``--repeat`` rounds and each keeps its best time, so both see the same page cache and a
busy moment of the machine does not decide the ratio.

    python benchmarks/bench_loader.py [--scale 100] [--data DIR] [--repeat 3] [--smoke]

``--data`` measures an existing dataset folder instead of generating one; ``--smoke``
runs the same code paths once at scale 0.02 and writes nothing to the README.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from readme_section import update_section

SMOKE_SCALE = 0.02
REFERENCE = r"""
import json, resource, sys, time
from pathlib import Path
import pyarrow.csv as pacsv
from crm_course.schema import TABLES
folder = Path(sys.argv[1])
t0 = time.perf_counter()
rows = 0
for table in TABLES.values():
    frame = pacsv.read_csv(folder / table.filename,
                           read_options=pacsv.ReadOptions(use_threads=False)).to_pandas()
    rows += len(frame)
seconds = time.perf_counter() - t0
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(json.dumps(dict(seconds=seconds, rows=rows, peak_mb=peak)))
"""
LOAD = r"""
import json, resource, sys, time
from crm_course import fastload
from crm_course.data import load_crm
cache = sys.argv[2] == "cache"
t0 = time.perf_counter()
crm = load_crm(sys.argv[1], cache=cache)
seconds = time.perf_counter() - t0
hit = cache and fastload.Cache(crm.source, vocabularies=crm.profile.vocabularies).load() is not None
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(json.dumps(dict(seconds=seconds, rows=sum(map(len, crm.tables.values())),
                      peak_mb=peak, cached_after=hit)))
"""


def child(code: str, *args: str, env: dict | None = None) -> dict:
    out = subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True,
                         check=True, cwd=tempfile.gettempdir(), env=env)
    return json.loads(out.stdout.strip().splitlines()[-1])


def generate(scale: float, folder: Path) -> None:
    subprocess.run([sys.executable, "-m", "crm_course.cli", "data", "generate", "--scale",
                    str(scale), "--out", str(folder)], check=True, capture_output=True)


def measure(folder: Path, repeat: int = 3) -> dict:
    """Reference and load without cache (best of ``repeat`` rounds, taking turns), a load
    filling the cache, a cached load."""
    from crm_course.fastload import RACY_SECONDS

    newest = max(p.stat().st_ctime for p in folder.iterdir())
    time.sleep(max(0.0, newest + RACY_SECONDS + 0.5 - time.time()))  # cacheable files
    with tempfile.TemporaryDirectory() as cache:
        env = {**os.environ, "CRM_COURSE_CACHE": cache}
        rounds = [(child(REFERENCE, str(folder)), child(LOAD, str(folder), "none", env=env))
                  for _ in range(repeat)]
        reference = min((r for r, _ in rounds), key=lambda r: r["seconds"])
        first = min((f for _, f in rounds), key=lambda f: f["seconds"])
        filling = child(LOAD, str(folder), "cache", env=env)
        cached = child(LOAD, str(folder), "cache", env=env)
    size = sum(p.stat().st_size for p in folder.glob("*.csv"))
    return dict(rows=first["rows"], mb=size / 1e6, reference_s=reference["seconds"],
                reference_mb=reference["peak_mb"], load_s=first["seconds"],
                load_mb=first["peak_mb"], filling_s=filling["seconds"],
                cached_s=cached["seconds"], cached_mb=cached["peak_mb"],
                ratio=first["seconds"] / reference["seconds"],
                cache_filled=filling["cached_after"], same_rows=(
                    first["rows"] == reference["rows"] == cached["rows"]))


def table(scale: float, r: dict) -> str:
    return "\n".join([
        "| scale | rows | CSV (MB) | reference: pyarrow, 1 thread (s) | load_crm (s) | "
        "ratio | load filling the cache (s) | second load, cached (s) | peak RSS "
        "reference / load / cached (MB) |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
        f"| {scale:g} | {r['rows']:,} | {r['mb']:.0f} | {r['reference_s']:.2f} | "
        f"{r['load_s']:.2f} | {r['ratio']:.2f}x | {r['filling_s']:.2f} | "
        f"{r['cached_s']:.2f} | {r['reference_mb']:.0f} / {r['load_mb']:.0f} / "
        f"{r['cached_mb']:.0f} |"])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--scale", type=float, default=100)
    parser.add_argument("--data", type=Path, default=None,
                        help="an existing dataset folder (default: generate one)")
    parser.add_argument("--repeat", type=int, default=3,
                        help="rounds of reference and uncached load (best of each)")
    parser.add_argument("--smoke", action="store_true",
                        help=f"one quick round at scale {SMOKE_SCALE}; no README update")
    args = parser.parse_args()
    if args.smoke:
        args.repeat = 1
    scale = SMOKE_SCALE if args.smoke else args.scale
    with tempfile.TemporaryDirectory() as tmp:
        folder = args.data
        if folder is None:
            folder = Path(tmp) / "data"
            generate(scale, folder)
        result = measure(folder, args.repeat)
    print(table(scale, result))
    problems = [] if result["same_rows"] and result["cache_filled"] else [
        "the loads disagree on the rows, or the cache was not filled"]
    if not args.smoke:
        update_section("loader", table(scale, result))
        if result["ratio"] > 2:
            problems.append(f"load_crm took {result['ratio']:.2f}x the reference (target 2x)")
        if result["cached_s"] >= 1:
            problems.append(f"the cached load took {result['cached_s']:.2f} s (target < 1 s)")
    for problem in problems:
        print(f"MISSED: {problem}", file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).parent))
    raise SystemExit(main())
