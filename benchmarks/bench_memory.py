"""Memory per learner on a shared machine: a JupyterLab server plus the kernel it started,
with lesson 02's setup run (its imports, the course's data) and ``kpi_table``, for
several learners at once.

What a node pays is the proportional set size (PSS, from ``/proc/PID/smaps_rollup``):
each page counted once, split between the processes that map it, so the libraries
every learner maps (Python, pandas, numpy, pyarrow) are shared out. RSS counts them in
full for every process, as a per-process view does. Per learner: server + kernel.

Reference in the same run: one more learner whose kernel reads the same CSV tables with
plain ``pandas.read_csv`` (the floor any pandas lesson pays), measured beside them.

Target: under 250 MiB PSS per learner.

    python benchmarks/bench_memory.py [--learners 3] [--smoke]

``--smoke`` runs one learner on a small generated dataset and writes nothing.
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from readme_section import update_section

TARGET_MIB = 250
NODE_GIB = 16
LEARNER = """
%load_ext crm_course
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from scipy.stats import chi2_contingency
from crm_course import kpis, plots
from crm_course.kpis import evaluation as ev
from crm_course.review import format_p
from crm_course.source import get_crm
plots.use_course_style()
crm = get_crm({data!r}, None)
start, end = crm.period("baseline")
targets = kpis.targets(crm)
scorecard = kpis.kpi_table(crm, start, end)
print(len(scorecard), sum(map(len, crm.tables.values())))
"""  # lesson 02's setup cell (its imports and data), then its scorecard
REFERENCE = """
from pathlib import Path
import pandas as pd
folder = Path({folder!r})
tables = {{p.stem: pd.read_csv(p) for p in sorted(folder.glob("*.csv"))}}
print(len(tables), sum(map(len, tables.values())))
"""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _memory(pid: int) -> dict[str, int]:
    """PSS and RSS in KiB of one process, from /proc/PID/smaps_rollup."""
    out = {}
    for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
        key, _, rest = line.partition(":")
        if key in ("Pss", "Rss"):
            out[key.lower()] = int(rest.split()[0])
    return out


class Learner:
    """One learner's JupyterLab server (its own runtime folder) and the kernel it runs."""

    def __init__(self, root: Path, name: str):
        self.token, self.port = "bench", _free_port()
        self.runtime = root / f"{name}-runtime"
        self.runtime.mkdir(parents=True)
        env = {**os.environ, "JUPYTER_RUNTIME_DIR": str(self.runtime),
               "PYDEVD_DISABLE_FILE_VALIDATION": "1"}
        cmd = [sys.executable, "-m", "jupyterlab", "--no-browser",  # as the hub runs
               f"--port={self.port}", f"--IdentityProvider.token={self.token}",
               f"--ServerApp.root_dir={root}"]
        if os.geteuid() == 0:
            cmd.append("--allow-root")
        self.server = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL,
                                       stderr=subprocess.DEVNULL, cwd=root)
        self.kernel_id = None

    def _api(self, method: str, path: str) -> dict:
        req = urllib.request.Request(
            f"http://127.0.0.1:{self.port}/api/{path}", method=method, data=b"{}"
            if method == "POST" else None, headers={"Authorization": f"token {self.token}"})
        with urllib.request.urlopen(req, timeout=30) as resp:
            return json.loads(resp.read() or b"{}")

    def start_kernel(self) -> None:
        for _ in range(600):  # a loaded 2-core machine took over a minute for four
            try:
                self.kernel_id = self._api("POST", "kernels")["id"]
                return
            except OSError:
                time.sleep(0.5)
        raise RuntimeError(f"the server on port {self.port} never answered")

    def run(self, code: str) -> str:
        """Run ``code`` in the kernel (through its connection file, as the server's
        websocket would) and return what it printed."""
        from jupyter_client import BlockingKernelClient

        client = BlockingKernelClient(
            connection_file=str(self.runtime / f"kernel-{self.kernel_id}.json"))
        client.load_connection_file()
        client.start_channels()
        try:
            client.wait_for_ready(timeout=120)
            printed: list[str] = []
            reply = client.execute_interactive(
                code, timeout=600, output_hook=lambda m: printed.append(
                    m["content"].get("text", "") + m["content"].get("evalue", "")))
        finally:
            client.stop_channels()
        if reply["content"]["status"] != "ok":
            raise RuntimeError("".join(printed))
        return "".join(printed).strip()

    def kernel_pid(self) -> int:
        for pid in os.listdir("/proc"):
            if pid.isdigit():
                try:
                    cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
                except OSError:
                    continue
                if f"kernel-{self.kernel_id}.json".encode() in cmdline:
                    return int(pid)
        raise RuntimeError(f"no process for kernel {self.kernel_id}")

    def memory(self) -> dict[str, int]:
        server, kernel = _memory(self.server.pid), _memory(self.kernel_pid())
        return {k: server[k] + kernel[k] for k in ("pss", "rss")} | {
            "kernel_pss": kernel["pss"], "server_pss": server["pss"]}

    def stop(self) -> None:
        self.server.terminate()
        try:
            self.server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.server.kill()


def measure(data: Path, learners: int) -> dict:
    """Every learner and the reference running at once; memory read once all are done."""
    with tempfile.TemporaryDirectory() as tmp:
        group = [Learner(Path(tmp), f"learner{i}") for i in range(learners)]
        reference = Learner(Path(tmp), "reference")
        try:
            for one in (*group, reference):
                one.start_kernel()
            printed = [one.run(LEARNER.format(data=str(data))) for one in group]
            ref_printed = reference.run(REFERENCE.format(folder=str(data)))
            time.sleep(1)
            per = [one.memory() for one in group]
            ref = reference.memory()
        finally:
            for one in (*group, reference):
                one.stop()
    mib = 1024
    pss = sum(p["pss"] for p in per) / len(per) / mib
    return dict(learners=learners, pss=pss, rss=sum(p["rss"] for p in per) / len(per) / mib,
                kernel_pss=sum(p["kernel_pss"] for p in per) / len(per) / mib,
                server_pss=sum(p["server_pss"] for p in per) / len(per) / mib,
                ref_pss=ref["pss"] / mib, ref_rss=ref["rss"] / mib,
                fit=int(NODE_GIB * 1024 // pss), rows=printed[0].split()[-1],
                ref_rows=ref_printed.split()[-1])


def table(r: dict) -> str:
    return "\n".join([
        f"| learners at once | PSS per learner (MiB): server + kernel | RSS per learner "
        f"(MiB) | reference, plain pandas.read_csv: PSS / RSS (MiB) | learners in "
        f"{NODE_GIB} GiB (by PSS) |",
        "|---:|---:|---:|---:|---:|",
        f"| {r['learners']} | {r['pss']:.0f} ({r['server_pss']:.0f} + {r['kernel_pss']:.0f})"
        f" | {r['rss']:.0f} | {r['ref_pss']:.0f} / {r['ref_rss']:.0f} | {r['fit']} |"])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--learners", type=int, default=3)
    parser.add_argument("--data", type=Path, default=None,
                        help="a dataset folder (default: the course's sample, datasets/)")
    parser.add_argument("--smoke", action="store_true",
                        help="one learner on a small generated dataset; no README update")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        data = args.data or Path(__file__).resolve().parents[1] / "datasets"
        if args.smoke:
            args.learners, data = 1, Path(tmp) / "data"
            subprocess.run([sys.executable, "-m", "crm_course.cli", "data", "generate",
                            "--scale", "0.05", "--out", str(data)], check=True,
                           capture_output=True)
        result = measure(data.resolve(), args.learners)
    print(table(result))
    problems = []
    if result["rows"] != result["ref_rows"]:
        problems.append(f"the course loaded {result['rows']} rows, pandas "
                        f"{result['ref_rows']}")
    if not args.smoke:
        update_section("memory", table(result))
        if result["pss"] >= TARGET_MIB:
            problems.append(f"{result['pss']:.0f} MiB PSS per learner (target < {TARGET_MIB})")
    for problem in problems:
        print(f"MISSED: {problem}", file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).parent))
    raise SystemExit(main())
