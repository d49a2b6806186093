"""`make bench`: run every benchmarks/bench_*.py in turn; fail if any misses its target.

Extra arguments (e.g. ``--smoke``) are passed to every script."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).parent


def main() -> int:
    failed = []
    for script in sorted(HERE.glob("bench_*.py")):
        print(f"== {script.name}", flush=True)
        run = subprocess.run([sys.executable, str(script), *sys.argv[1:]], cwd=HERE.parent)
        if run.returncode != 0:
            failed.append(script.name)
    if failed:
        print(f"missed targets: {', '.join(failed)}", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
