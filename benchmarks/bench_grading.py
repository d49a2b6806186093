"""Time to grade 20 submissions of the warm-up with ``--jobs 1`` and ``--jobs 2``.

Submissions are made from solutions/00_warmup.ipynb: 20 learners, every fourth one
with a wrong q5 (mean instead of median). Learner datasets are generated before timing
(the cache is shared by both runs). Prints a table and writes it between the
``<!-- grading:start -->`` / ``<!-- grading:end -->`` markers of benchmarks/README.md.

    .venv/bin/python benchmarks/bench_grading.py [--n 20] [--jobs 1 2] [--smoke]

``--smoke`` grades 2 submissions with each job count and writes nothing (``make test`` runs
it). Exit status 1 when a grade is wrong or, with 20 or more submissions, when ``--jobs 2``
is less than 1.5x as fast as ``--jobs 1``.
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import tempfile
import time
from pathlib import Path

import nbformat
from readme_section import README, update_section

from crm_course.grading import grade
from crm_course.source import get_crm

ROOT = Path(__file__).resolve().parents[1]


def make_submissions(folder: Path, n: int) -> list[Path]:
    paths = []
    for i in range(n):
        nb = nbformat.read(ROOT / "solutions" / "00_warmup.ipynb", as_version=4)
        learner = f"learner-{i + 1:02d}"
        for cell in nb.cells:
            if "parameters" in cell.metadata.get("tags", []):
                cell.source = cell.source.replace("learner = None", f"learner = {learner!r}")
            if i % 4 == 3 and 'ex.check("q5"' in cell.source:
                cell.source = cell.source.replace(".median()", ".mean()")
        path = folder / f"{learner}.ipynb"
        nbformat.write(nb, path)
        paths.append(path)
    return paths


SPEED_UP_TARGET = 1.5  # --jobs 2 over --jobs 1, checked from 20 submissions up


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=20)
    parser.add_argument("--jobs", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--timeout", type=float, default=120)
    parser.add_argument("--no-readme", action="store_true")
    parser.add_argument("--smoke", action="store_true",
                        help="2 submissions, README untouched")
    args = parser.parse_args()
    if args.smoke:
        args.n, args.no_readme = 2, True
    os.environ.setdefault("CRM_COURSE_HOME", tempfile.mkdtemp(prefix="crm-bench-home-"))
    with tempfile.TemporaryDirectory(prefix="crm-bench-") as tmp:
        folder = Path(tmp) / "submissions"
        folder.mkdir()
        paths = make_submissions(folder, args.n)
        for i in range(args.n):  # warm the dataset cache: time grading, not generation
            get_crm(learner=f"learner-{i + 1:02d}")
        rows = []
        for jobs in args.jobs:
            start = time.perf_counter()
            results = grade(paths, Path(tmp) / f"out-{jobs}", jobs=jobs,
                            timeout=args.timeout, progress=False)
            seconds = time.perf_counter() - start
            scores = sorted({r.score for r in results})
            reasons = [r.reason for r in results if r.reason]
            if reasons:
                raise SystemExit(f"grading failed with --jobs {jobs}: {reasons}")
            rows.append((jobs, seconds, scores))
    base = rows[0][1]
    lines = [f"Time to grade {args.n} warm-up submissions (`crm-course grade`), "
             f"{os.cpu_count()} cores, Python {platform.python_version()}:", "",
             "| --jobs | seconds | per notebook | speed-up | scores seen |",
             "|---:|---:|---:|---:|---|"]
    for jobs, seconds, scores in rows:
        lines.append(f"| {jobs} | {seconds:.1f} | {seconds / args.n:.2f} | "
                     f"{base / seconds:.2f}x | {', '.join(f'{s:g}' for s in scores)} |")
    table = "\n".join(lines)
    print(table)
    if not args.no_readme:
        update_section("grading", table)
        print(f"\nwrote {README}")
    by_jobs = {jobs: seconds for jobs, seconds, _ in rows}
    if args.n >= 20 and {1, 2} <= by_jobs.keys() and by_jobs[1] / by_jobs[2] < SPEED_UP_TARGET:
        print(f"MISSED: --jobs 2 is {by_jobs[1] / by_jobs[2]:.2f}x --jobs 1 "
              f"(target {SPEED_UP_TARGET}x)", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
