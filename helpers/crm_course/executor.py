"""The one place that runs notebooks: the runner, the grader, `crm-course execute` and the
tests.

Every run happens in a child process (``python -m crm_course.executor JOB.json``) whose
output goes to a log file, so kernel chatter ("Kernel is running over TCP without
encryption", interrupts at shutdown) never reaches the terminal. Two engines:

- ``papermill``: `papermill.execute_notebook` (parameters injected, the first error
  stops the run): lessons and solutions.
- ``nbclient``: parameters injected with `papermill.parameterize_notebook`, then
  nbclient with ``allow_errors`` and an output cap (the grader), or strict and without
  timing metadata (`execute_in_place`, outputs committed for nbval).

A run that fails while the kernel starts ("Address already in use", papermill #511) is
retried once. ``warm=True`` forks each kernel from a process that has already imported
the course's libraries (`crm_course.warm_kernel`, one per environment, ended with this
process): still one fresh process per run, 3 CPU-s less each. Learner code is never run
here but inside bubblewrap (`crm_course.sandbox`, which runs `run_nbclient` as its
client).
"""

from __future__ import annotations

import ast
import contextlib
import json
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from .paths import HOME_ENV

KERNEL = "python3"
START_RACES = ("Address already in use", "Kernel died before replying",
               "Kernel didn't respond in")
LOG_TAIL = 4000  # bytes of the child's log kept for an error message


@dataclass
class NotebookRun:
    """Outcome of one run. ``error`` is None when the run did what was asked."""

    source: Path
    output: Path
    seconds: float
    error: str | None = None
    status: dict = field(default_factory=dict)


# --------------------------------------------------------------------------- parameters

def parameters_of(path: str | Path) -> dict:
    """Default values of the notebook's ``parameters`` cell (`papermill.inspect_notebook`,
    read as Python whatever the notebook's metadata claims); a value that is not a
    Python literal is left out. ``path``: the notebook."""
    import nbformat
    import papermill

    nb = nbformat.read(path, as_version=4)
    nb.metadata["kernelspec"] = {"name": KERNEL, "language": "python",
                                 "display_name": "Python 3"}
    nb.metadata.pop("language_info", None)
    with tempfile.TemporaryDirectory(prefix="crm-inspect-") as tmp:
        copy = Path(tmp) / "notebook.ipynb"
        nbformat.write(nb, copy)
        found = papermill.inspect_notebook(str(copy))
    values = {}
    for name, spec in found.items():
        with contextlib.suppress(ValueError, SyntaxError, TypeError):
            values[name] = ast.literal_eval(spec["default"])
    return values


def parameterize(nb, parameters: dict):
    """``nb`` with an ``injected-parameters`` cell holding ``parameters`` (name -> value,
    `papermill.parameterize_notebook`), always as Python whatever the notebook's metadata
    claims."""
    from papermill.parameterize import parameterize_notebook

    nb.metadata.setdefault("papermill", {})  # as papermill's own loader leaves them
    for cell in nb.cells:
        cell.metadata.setdefault("tags", [])
    return parameterize_notebook(nb, parameters, kernel_name=KERNEL, language="python")


# --------------------------------------------------------------------------- parent side

def execute(source: Path, output: Path, parameters: dict | None = None, *,
            cwd: Path | None = None, engine: str = "papermill",
            cell_timeout: float | None = None, wall_timeout: float | None = None,
            allow_errors: bool = False, output_cap: int | None = None,
            record_timing: bool = True, env: dict | None = None,
            retries: int = 1, warm: bool = False) -> NotebookRun:
    """Run ``source`` into ``output`` in a child process (see the module docstring).

    ``cell_timeout`` stops one cell; ``wall_timeout`` kills the whole run (and its
    kernel); ``warm``: the kernel is forked from a warm process (`warm_kernel`).
    ``parameters``: values for the notebook's ``parameters`` cell; ``cwd``: the kernel's folder;
    ``engine``: "papermill" or "nbclient"; ``allow_errors``: go on after a failing cell (nbclient);
    ``output_cap``: characters of output kept before the rest is cut (nbclient; None: no cap);
    ``record_timing``: keep nbclient's timing metadata; ``env``: variables added to the child's
    environment; ``retries``: runs more after a kernel-start race.
    """
    source, output = Path(source), Path(output)
    started = time.perf_counter()
    run_dir = Path(tempfile.mkdtemp(prefix="crm-run-"))
    try:
        for attempt in range(retries + 1):
            status = _run_child(source, output, parameters, run_dir, cwd, engine,
                                cell_timeout, wall_timeout, allow_errors, output_cap,
                                record_timing, env, warm)
            said = status.get("log", "") + str(status.get("error", ""))
            raced = not status.get("completed") and not status.get("timed_out") and any(
                r in said for r in START_RACES)
            if not (raced and attempt < retries):
                break
    finally:
        import shutil

        shutil.rmtree(run_dir, ignore_errors=True)
    return NotebookRun(source, output, time.perf_counter() - started,
                       status.get("error") or None, status)


def _run_child(source, output, parameters, run_dir, cwd, engine, cell_timeout,
               wall_timeout, allow_errors, output_cap, record_timing, env, warm) -> dict:
    status_path, pid_path = run_dir / "status.json", run_dir / "kernel.pid"
    for p in (status_path, pid_path):
        p.unlink(missing_ok=True)
    job = {"engine": engine, "source": str(source), "output": str(output),
           "parameters": parameters or {}, "cwd": str(cwd or source.parent),
           "cell_timeout": cell_timeout, "allow_errors": allow_errors,
           "output_cap": output_cap, "record_timing": record_timing,
           "status": str(status_path), "kernel_pid": str(pid_path)}
    child_env = dict(os.environ, PYDEVD_DISABLE_FILE_VALIDATION="1", **(env or {}))
    child_env = {k: v for k, v in child_env.items() if v is not None}
    job["warm"] = warm_socket(child_env) if warm else None
    job_path = run_dir / "job.json"
    job_path.write_text(json.dumps(job, default=str), encoding="utf-8")
    argv = [sys.executable, "-m", "crm_course.executor", str(job_path)]
    log_path = run_dir / "run.log"
    with open(log_path, "wb") as log:
        proc = subprocess.Popen(argv, env=child_env, stdout=log, stderr=subprocess.STDOUT,
                                stdin=subprocess.DEVNULL, start_new_session=True)
        timed_out = False
        try:
            proc.wait(timeout=wall_timeout)
        except subprocess.TimeoutExpired:
            timed_out = True
        finally:
            if pid_path.is_file():  # the kernel has its own session
                with contextlib.suppress(ValueError, OSError):
                    _kill_group(int(pid_path.read_text()))
            _kill_group(proc.pid)
            proc.wait()
    status = _read_status(status_path)
    status["timed_out"] = timed_out
    status["exit_code"] = proc.returncode
    status["log"] = _tail(log_path)
    if not status.get("reported"):
        status["error"] = status.get("error") or (
            f"the run stopped without a report (exit {proc.returncode})" if not timed_out
            else f"stopped after {wall_timeout:g} s")
    return status


_WARM: dict[str, tuple[subprocess.Popen, str] | None] = {}
_WARM_LOCK = threading.Lock()


def warm_socket(env: dict) -> str | None:
    """The socket of this process's warm kernel process for ``env`` (started on first
    use, `warm_kernel.serve`); None when none could start (runs then start cold)."""
    from .warm_kernel import environment_key

    key = environment_key(env)
    with _WARM_LOCK:
        if key not in _WARM:
            _WARM[key] = _start_warm(env)
        found = _WARM[key]
    return found[1] if found else None


def _start_warm(env: dict) -> tuple[subprocess.Popen, str] | None:
    from jupyter_client.kernelspec import get_kernel_spec

    from . import warm_kernel

    parts = warm_kernel.split_command(get_kernel_spec(KERNEL).argv)
    if parts is None:
        return None
    folder = tempfile.mkdtemp(prefix="crm-warm-")
    path = os.path.join(folder, "socket")
    # run by path, not ``-m crm_course...``: nothing is imported before `serve` says how
    proc = subprocess.Popen([sys.executable, *parts[0][1:], warm_kernel.__file__, "serve",
                             path], env=env, cwd=folder, stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                            start_new_session=True)
    if proc.stdout.readline().strip() != b"ready":
        _stop_warm(proc, folder)
        return None
    import atexit

    atexit.register(_stop_warm, proc, folder)
    return proc, path


def _stop_warm(proc: subprocess.Popen, folder: str) -> None:
    """Close the warm process's standard input (it reaps its kernels and exits), kill it
    after 10 s."""
    import shutil

    with contextlib.suppress(OSError):
        proc.stdin.close()
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        _kill_group(proc.pid)
        proc.wait()
    shutil.rmtree(folder, ignore_errors=True)


def _kill_group(pid: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError, OSError):
        os.killpg(os.getpgid(pid), signal.SIGKILL)


def read_capped(path: Path, cap: int, within: Path | None = None) -> bytes | None:
    """The bytes of a regular file of at most ``cap`` bytes, never through a symlink (nor
    a folder that leads out of ``within``); None when it is missing, not a plain file or
    larger than ``cap``. ``path``: the file; ``within``: a folder its real parent must lie in (None:
    anywhere)."""
    if within is not None and not Path(os.path.realpath(Path(path).parent)).is_relative_to(
            os.path.realpath(within)):
        return None
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    except OSError:
        return None
    with os.fdopen(fd, "rb") as fh:
        st = os.fstat(fh.fileno())
        import stat

        if not stat.S_ISREG(st.st_mode) or st.st_size > cap:
            return None
        data = fh.read(cap + 1)
    return data if len(data) <= cap else None


def _read_status(path: Path) -> dict:
    raw = read_capped(path, 200_000)
    try:
        status = json.loads(raw) if raw is not None else {}
    except ValueError:
        status = {}
    return status if isinstance(status, dict) else {}


def _tail(path: Path) -> str:
    try:
        with os.fdopen(os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK), "rb") as fh:
            fh.seek(max(0, os.fstat(fh.fileno()).st_size - LOG_TAIL))
            return fh.read(LOG_TAIL).decode("utf-8", "replace")
    except OSError:
        return ""


# --------------------------------------------------------------------------- conveniences

def run_notebook(source: Path, output: Path, parameters: dict, timeout: int) -> NotebookRun:
    """A lesson or solution with papermill, kernel in the notebook's folder;
    ``error`` names the first failing cell. ``source``, ``output``: the notebook and where the run
    is written; ``parameters``: values for its ``parameters`` cell; ``timeout``: seconds per
    cell."""
    output = Path(output)
    output.parent.mkdir(parents=True, exist_ok=True)
    return execute(Path(source), output, parameters, cwd=Path(source).parent,
                   cell_timeout=timeout)


def execute_in_place(path: Path, timeout: int = 600) -> None:
    """Re-execute a lesson or solution and store its outputs in the file (for committing).

    Runs the way nbval will compare it: kernel in the notebook's folder, default data,
    ``PYTHONHASHSEED=0``, no timing metadata, the exercise event log in a throw-away
    folder, matplotlib's default (inline) backend; consecutive prints of a cell as one
    output (how the kernel split them depends on timing: same run, same bytes). Raises
    RuntimeError naming the cell. ``path``: the notebook; ``timeout``: seconds per cell.
    """
    import nbformat
    from nbconvert.preprocessors import CoalesceStreamsPreprocessor

    with tempfile.TemporaryDirectory(prefix="crm-execute-") as home:
        run = execute(path, path, engine="nbclient", cell_timeout=timeout,
                      record_timing=False, env={HOME_ENV: home,
                                                "PYTHONHASHSEED": "0", "MPLBACKEND": None})
    if run.error:
        raise RuntimeError(f"{path}: {run.error}")
    nb = nbformat.read(path, as_version=4)
    CoalesceStreamsPreprocessor().preprocess(nb, {})
    nbformat.write(nb, path)


# --------------------------------------------------------------------------- child side

def without_iri_checker() -> None:
    """Leave out jsonschema's optional IRI format checker in a child that only runs
    notebooks: importing it (``rfc3987_syntax``) compiles an Earley grammar, 1.3 CPU-s per
    process, and nbformat's schema checks no IRI."""
    sys.modules.setdefault("rfc3987_syntax", None)  # None: `import` raises ImportError


def _child(job_path: str) -> int:
    import logging

    without_iri_checker()

    logging.basicConfig(level=logging.ERROR)
    for name in ("papermill", "traitlets", "nbclient"):
        logging.getLogger(name).setLevel(logging.ERROR)
    job = json.loads(Path(job_path).read_text(encoding="utf-8"))
    status = {"reported": True, "completed": False, "kernel_died": False, "error": ""}
    try:
        if job["engine"] == "papermill":
            _papermill(job, status)
        else:
            run_nbclient(job, status)
    except Exception as err:  # noqa: BLE001 - report, never crash silently
        status["error"] = f"{type(err).__name__}: {str(err)[:300]}"
    Path(job["status"]).write_text(json.dumps(status), encoding="utf-8")
    return 0


def kernel_manager(warm: str | None):
    """jupyter_client's kernel manager class; with ``warm`` (a warm process's socket),
    one that starts each kernel through the stub of `crm_course.warm_kernel`."""
    from jupyter_client.manager import AsyncKernelManager

    if not warm:
        return AsyncKernelManager
    from . import warm_kernel

    class WarmKernelManager(AsyncKernelManager):
        def format_kernel_cmd(self, extra_arguments=None):
            cmd = super().format_kernel_cmd(extra_arguments)
            return [sys.executable, warm_kernel.__file__, warm, *cmd]

    return WarmKernelManager


def _papermill(job: dict, status: dict) -> None:
    import papermill

    try:
        papermill.execute_notebook(job["source"], job["output"], parameters=job["parameters"],
                                   cwd=job["cwd"], kernel_name=KERNEL, progress_bar=False,
                                   execution_timeout=job["cell_timeout"],
                                   kernel_manager_class=kernel_manager(job.get("warm")))
        status["completed"] = True
    except papermill.PapermillExecutionError as err:
        status["error"] = f"cell {err.exec_count}: {err.ename}: {err.evalue}"


def run_nbclient(job: dict, status: dict) -> None:
    """Run ``job`` (source, output, parameters, cwd, cell_timeout, allow_errors,
    output_cap, record_timing, kernel_pid) with nbclient; fill ``status`` in."""
    import nbformat
    from nbclient import NotebookClient
    from nbclient.exceptions import CellExecutionError, CellTimeoutError, DeadKernelError

    cap, pid_path = job["output_cap"], job["kernel_pid"]

    class Client(NotebookClient):
        seen = 0
        flooded = False
        cell_timeouts = 0

        async def _async_handle_timeout(self, timeout, cell=None):
            self.cell_timeouts += 1
            return await super()._async_handle_timeout(timeout, cell)

        async def async_start_new_kernel(self, **kwargs):
            await super().async_start_new_kernel(**kwargs)
            proc = getattr(getattr(self.km, "provisioner", None), "process", None)
            if proc is not None:
                Path(pid_path).write_text(str(proc.pid))

        def output(self, outs, msg, display_id, cell_index):
            if cap is None:
                return super().output(outs, msg, display_id, cell_index)
            if self.flooded:  # already cut: no more work per message
                return None
            self.seen += len(json.dumps(msg.get("content", {}), default=str))
            if self.seen > cap:
                if not self.flooded:
                    self.flooded = True
                    outs.append(nbformat.v4.new_output(
                        "stream", name="stderr", text="[output cut: too much output]\n"))
                return None
            return super().output(outs, msg, display_id, cell_index)

    nb = nbformat.read(job["source"], as_version=4)
    if job["parameters"]:
        nb = parameterize(nb, job["parameters"])
    timeout = job["cell_timeout"]
    client = Client(nb, kernel_name=KERNEL, timeout=timeout, startup_timeout=60,
                    kernel_manager_class=kernel_manager(job.get("warm")),
                    allow_errors=job["allow_errors"], interrupt_on_timeout=True,
                    record_timing=job["record_timing"],
                    error_on_timeout={"ename": "CellTimeoutError", "traceback": [],
                                      "evalue": f"stopped after {timeout} s"},
                    resources={"metadata": {"path": job["cwd"]}})
    try:
        client.execute()
        status["completed"] = True
    except DeadKernelError:
        status.update(kernel_died=True, error="the kernel died (crashed or was killed)")
    except CellTimeoutError:
        status["error"] = "a cell ran longer than the time limit"
    except CellExecutionError as err:
        status["error"] = str(err).strip().splitlines()[-1][:300]
    except RuntimeError as err:
        status["error"] = str(err)[:300]
    status.update(flooded=client.flooded, cell_timeouts=client.cell_timeouts,
                  cell_errors=[f"cell {i}: {out.get('ename')}"
                               for i, cell in enumerate(nb.cells)
                               for out in cell.get("outputs", [])
                               if out.get("output_type") == "error"])
    if status["completed"] or job["allow_errors"]:
        with contextlib.suppress(OSError):  # an unwritable copy is no run error
            nbformat.write(nb, job["output"])


if __name__ == "__main__":
    if len(sys.argv) != 2:
        raise SystemExit("usage: python -m crm_course.executor JOB.json")
    raise SystemExit(_child(sys.argv[1]))
