"""The test suite's own cost: wall and CPU time of `make test` (target: under 6 minutes
wall on an idle 2-core machine) and of `make integration` (no target; CI runs both).

Runs the pytest command of each Makefile recipe (read from the Makefile, so the two
never differ) in a child process, one after the other, and reports its wall time, the CPU
time of the child and everything it waited for (xdist workers, executor children, kernels,
the warm kernel processes and the kernels they fork and reap), the tests passed, the
notebook executions of the shared store (tests/notebook_runs.py) and the sum of every
test's setup, call and teardown times (``--durations=0``; the slowest are printed). The
load average before the run is printed beside it: on a shared machine the wall time is
not the idle one, and CPU time and the durations' sum are the measures to compare.

    python benchmarks/bench_suite.py [--smoke] [--no-readme] [--only TARGET]

``--smoke`` runs the ``test`` command on one small test file, without xdist, and writes
nothing; ``--only test`` measures that recipe alone (its row only).
"""

from __future__ import annotations

import argparse
import os
import re
import resource
import shlex
import subprocess
import sys
import time
from pathlib import Path

from readme_section import update_section

ROOT = Path(__file__).resolve().parents[1]
TARGET_S = 360  # make test's wall time
TARGETS = ("test", "integration")  # the Makefile recipes measured, in this order
SMOKE_FILE = "tests/test_business_time.py"


def recipe_args(target: str) -> list[str]:
    """The arguments after ``python -m pytest`` in the Makefile's ``target`` recipe."""
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8").replace("\\\n", " ")
    found = re.search(rf"^{target}:.*\n\t\$\(BIN\)/python -m pytest (.+)$", makefile, re.M)
    if not found:
        raise SystemExit(f"Makefile: no `{target}:` recipe running `$(BIN)/python -m pytest`")
    return shlex.split(found[1])


def smoke_args(args: list[str]) -> list[str]:
    """The same options but one small test file, in one process (no xdist workers)."""
    kept, skip = [], 0
    for arg in args:
        if skip:
            skip -= 1
        elif arg in ("-n", "--dist"):
            skip = 1
        elif arg not in ("tests", "notebooks", "solutions"):
            kept.append(arg)
    return [*kept, SMOKE_FILE]


def _environment() -> dict[str, str]:
    """This process's environment as `make test` sets it, without an outer pytest's
    variables (the smoke runs inside `make test`)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST_")}
    return env | {"PYTHONHASHSEED": "0", "PYDEVD_DISABLE_FILE_VALIDATION": "1"}


def measure(args: list[str]) -> dict:
    """Run pytest with ``args`` from the repository root; its cost and counts."""
    load = os.getloadavg()[0]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    run = subprocess.run([sys.executable, "-m", "pytest", "-p", "no:cacheprovider",
                          "--durations=0", "--durations-min=0", *args],
                         cwd=ROOT, capture_output=True, text=True,
                         env=_environment())
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)
    passed = re.search(r"(\d+) passed", run.stdout)
    failed = re.search(r"(\d+) failed", run.stdout)
    executions = re.search(r"notebook_runs: (\d+) notebook executions", run.stdout)
    per_test: dict[str, float] = {}  # setup + call + teardown
    for seconds, test in re.findall(r"^(\d+\.\d+)s (?:setup|call|teardown) +(\S+)",
                                    run.stdout, re.M):
        per_test[test] = per_test.get(test, 0.0) + float(seconds)
    slowest = sorted(((t, name) for name, t in per_test.items()), reverse=True)[:25]
    return dict(returncode=run.returncode, wall_s=wall, cpu_s=cpu, load=load,
                durations_s=sum(per_test.values()), slowest=slowest,
                passed=int(passed[1]) if passed else 0,
                failed=int(failed[1]) if failed else 0,
                executions=int(executions[1]) if executions else 0,
                tail=run.stdout[-3000:] + run.stderr[-2000:])


def table(measured: dict[str, tuple[list[str], dict]]) -> str:
    """One row per target: {target: (pytest arguments, `measure`'s result)}."""
    rows = [
        "| target | command | passed | failed | notebook executions (shared store) | "
        "wall (s) | CPU (s) | CPU / wall | sum of test durations (s) | load before | goal |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---|"]
    for target, (args, r) in measured.items():
        goal = (f"wall < {TARGET_S} s on an idle 2-core machine" if target == "test"
                else "none (CI runs it after make test)")
        rows.append(
            f"| `make {target}` | `pytest {shlex.join(args)}` | {r['passed']} | "
            f"{r['failed']} | {r['executions']} | {r['wall_s']:.0f} | {r['cpu_s']:.0f} | "
            f"{r['cpu_s'] / r['wall_s']:.2f} | {r['durations_s']:.0f} | {r['load']:.2f} | "
            f"{goal} |")
    return "\n".join(rows)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--no-readme", action="store_true", help="do not update README.md")
    parser.add_argument("--smoke", action="store_true",
                        help=f"the same command on {SMOKE_FILE} only, README untouched")
    parser.add_argument("--only", choices=TARGETS, help="measure this recipe alone")
    args = parser.parse_args()
    if args.smoke:
        args.no_readme = True
        commands = {"test": smoke_args(recipe_args("test"))}
    else:
        commands = {target: recipe_args(target) for target in TARGETS
                    if args.only in (None, target)}
    measured = {}
    for target, pytest_args in commands.items():
        result = measure(pytest_args)
        measured[target] = pytest_args, result
        print(f"make {target}, slowest (s):\n" + "\n".join(
            f"{t:8.1f}  {what}" for t, what in result["slowest"]))
        if result["returncode"] != 0 or not result["passed"]:
            print(f"pytest exited {result['returncode']}:\n{result['tail']}", file=sys.stderr)
            return 1
    text = table(measured)
    print(text)
    if not args.no_readme:
        update_section("suite", "## The test suite's own cost (`make test`, "
                       "`make integration`)\n\n" + text)
    wall = measured["test"][1]["wall_s"] if "test" in measured else 0.0
    if not args.smoke and wall > TARGET_S:
        print(f"MISSED: make test took {wall:.0f} s (target {TARGET_S} s; load before "
              f"{measured['test'][1]['load']:.2f})", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).parent))
    raise SystemExit(main())
