"""Generator speed and memory at scale 1 and 100 (target: scale 100 under 60 s).

Each scale runs in a fresh subprocess so peak memory (max RSS) is its own. The
reference, measured in the same run, is the floor cost of randomness: numpy drawing
as many uniform numbers as the generated tables have cells.

    python benchmarks/bench_generator.py [--scales 1 100] [--smoke] [--no-readme]

``--smoke`` measures scale 0.02 only and writes nothing (``make test`` runs it).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

from readme_section import update_section

CHILD = r"""
import json, resource, sys, tempfile, time
import numpy as np
from crm_course.synth import generate
from crm_course.data import write_tables, load_crm
scale = float(sys.argv[1])
t0 = time.perf_counter(); d = generate(scale=scale); t_gen = time.perf_counter() - t0
rows = sum(len(t) for t in d.tables.values())
cells = sum(t.size for t in d.tables.values())
peak_gen = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
t0 = time.perf_counter(); np.random.default_rng(0).random(cells); t_ref = time.perf_counter() - t0
with tempfile.TemporaryDirectory() as tmp:
    t0 = time.perf_counter(); paths = write_tables(d.tables, d.metadata, tmp)
    t_write = time.perf_counter() - t0
    size = sum(p.stat().st_size for p in paths)
    del d
    t0 = time.perf_counter(); load_crm(tmp); t_load = time.perf_counter() - t0
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(json.dumps(dict(scale=scale, rows=rows, generate_s=t_gen, reference_s=t_ref,
                      write_s=t_write, load_s=t_load, mb_on_disk=size / 1e6,
                      peak_generate_mb=peak_gen, peak_total_mb=peak)))
"""


def measure(scale: float) -> dict:
    out = subprocess.run([sys.executable, "-c", CHILD, str(scale)], capture_output=True,
                         text=True, check=True, cwd=tempfile.gettempdir())
    return json.loads(out.stdout.strip().splitlines()[-1])


def table(results: list[dict]) -> str:
    lines = ["| scale | rows | generate (s) | reference: numpy draws (s) | write CSV (s) | "
             "load + validate (s) | CSV size (MB) | peak RSS generate (MB) | "
             "peak RSS all (MB) |", "|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for r in results:
        lines.append(f"| {r['scale']:g} | {r['rows']:,} | {r['generate_s']:.2f} | "
                     f"{r['reference_s']:.3f} | {r['write_s']:.1f} | {r['load_s']:.1f} | "
                     f"{r['mb_on_disk']:.1f} | {r['peak_generate_mb']:.0f} | "
                     f"{r['peak_total_mb']:.0f} |")
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--scales", type=float, nargs="+", default=[1, 100])
    parser.add_argument("--no-readme", action="store_true", help="do not update README.md")
    parser.add_argument("--smoke", action="store_true",
                        help="scale 0.02 only, README untouched")
    args = parser.parse_args()
    if args.smoke:
        args.scales, args.no_readme = [0.02], True
    results = [measure(s) for s in args.scales]
    text = table(results)
    print(text)
    if not args.no_readme:
        update_section("generator", text)
    slow = [r for r in results if r["scale"] >= 100 and r["generate_s"] > 60]
    if slow:
        print("MISSED: scale 100 must generate in under 60 s", file=sys.stderr)
    return 1 if slow else 0


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).parent))
    raise SystemExit(main())
