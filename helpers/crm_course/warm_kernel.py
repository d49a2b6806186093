"""A warm start for notebook kernels: one process that has imported the course's libraries
(pandas, scipy, statsmodels, matplotlib, `crm_course`) forks a fresh kernel per run.

Each run still gets its own process (nothing of one run reaches another: the fork is
made from the warm process, never from a used kernel); only the imports are shared,
3 CPU-s per kernel. The executor (`crm_course.executor`, ``warm=True``) starts one warm
process per environment (`Zygote`) and launches each kernel through a stub
(``python warm_kernel.py SOCKET COMMAND...``, stdlib only) in place of the kernel
command. The stub sends its working folder, environment and standard streams; the warm
process forks, and the child becomes ``python -m ipykernel_launcher`` in that folder
with that environment. The stub forwards signals (interrupts) to the kernel and exits
when it does; a kernel whose stub is killed kills its own process group. Whenever the
stub's command or environment differs from the warm process's (another interpreter,
flag or variable), or the warm process is gone, the stub runs the kernel command itself:
a cold kernel, as without this module.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import sys

PRELOAD = ("pandas", "numpy", "scipy.stats", "statsmodels.api", "matplotlib", "crm_course",
           "crm_course.kpis", "crm_course.review", "crm_course.report",
           "crm_course.exercises")  # statsmodels: crm_course imports it where it is used
# set per run by jupyter_client: not part of what the warm process must share
PER_RUN = ("JPY_PARENT_PID", "JPY_SESSION_NAME")
LAUNCHER = "ipykernel_launcher"
INLINE = "module://matplotlib_inline.backend_inline"  # ipykernel's default MPLBACKEND


def environment_key(env: dict) -> str:
    """What must match between a run and the warm process: every variable but the
    per-run ones, with MPLBACKEND as the kernel will set it. ``env``: the run's environment
    variables."""
    env = {k: v for k, v in env.items() if k not in PER_RUN}
    env["MPLBACKEND"] = env.get("MPLBACKEND") or INLINE
    return json.dumps(sorted(env.items()))


def split_command(cmd: list[str]) -> tuple[list[str], list[str]] | None:
    """``[python, flags..., -m, ipykernel_launcher, args...]`` as (interpreter and flags,
    launcher args); None for any other command. ``cmd``: the kernel's command line."""
    for i, part in enumerate(cmd[:-1]):
        if part == "-m" and cmd[i + 1] == LAUNCHER:
            return cmd[:i], cmd[i + 2:]
    return None


# --------------------------------------------------------------------------- stub

def stub(path: str, cmd: list[str]) -> None:
    """The kernel's stand-in for jupyter_client: a fork of the warm process at ``path``
    runs ``cmd``; else ``cmd`` itself runs (``os.execv``)."""
    conn = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    conn.settimeout(30)  # a warm process that does not answer: a cold kernel instead
    with contextlib.suppress(OSError):
        conn.connect(path)
        request = {"cmd": cmd, "cwd": os.getcwd(), "env": dict(os.environ),
                   "stub": os.getpid()}
        socket.send_fds(conn, [json.dumps(request).encode() + b"\n"], [0, 1, 2])
        reply = conn.makefile("rb").readline()
        pid = int(reply) if reply.strip().isdigit() else 0
        if pid:
            _wait_forwarding(pid)
            return
    conn.close()
    os.execv(cmd[0], cmd)


def _wait_forwarding(pid: int) -> None:
    """Forward interrupts and terminations to the kernel ``pid``; return once it exits."""
    import select

    def forward(signum, _frame):
        with contextlib.suppress(OSError):
            os.kill(pid, signum)

    for signum in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP, signal.SIGQUIT):
        signal.signal(signum, forward)
    try:
        fd = os.pidfd_open(pid)
    except ProcessLookupError:
        return
    while not select.select([fd], [], [], None)[0]:
        pass


# --------------------------------------------------------------------------- warm process

def serve(path: str) -> None:
    """Import `PRELOAD`, then fork a kernel for each stub that connects to ``path`` with
    this process's command and environment; exit when standard input closes (the
    executor that started it is gone)."""
    import builtins
    import importlib
    import select

    sys.path[0] = os.getcwd()  # not this file's folder (its notebook.py, profile.py ...)
    os.environ["MPLBACKEND"] = os.environ.get("MPLBACKEND") or INLINE
    # pandas chooses display.max_columns at import: 20 inside a Jupyter kernel (an IPython
    # shell with a ``kernel``), 0 elsewhere; the kernels forked from here are Jupyter's
    builtins.get_ipython = _KernelShell
    try:
        for name in PRELOAD:
            importlib.import_module(name)
    finally:
        del builtins.get_ipython
    key, prefix = environment_key(dict(os.environ)), [sys.executable, *_flags()]
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(path)
    listener.listen(16)
    sys.stdout.write("ready\n")
    sys.stdout.flush()
    while True:
        ready = select.select([listener, sys.stdin], [], [], 1.0)[0]
        _reap()
        if sys.stdin in ready and not sys.stdin.buffer.read1(1):
            return
        if listener in ready:
            conn, _ = listener.accept()
            with conn:
                _fork_kernel(conn, listener, key, prefix)


class _KernelShell:
    """What a Jupyter kernel's ``get_ipython()`` looks like to an import-time check."""

    kernel = True


def _reap() -> None:
    """Wait for every kernel that has ended (its CPU time then counts as this process's
    children's, and so as the executor's)."""
    with contextlib.suppress(ChildProcessError):
        while os.waitpid(-1, os.WNOHANG)[0]:
            pass


def _flags() -> list[str]:
    """This interpreter's -X options (the kernel spec's ``-Xfrozen_modules=off``)."""
    return [f"-X{k}" if v is True else f"-X{k}={v}" for k, v in sys._xoptions.items()]


def _fork_kernel(conn: socket.socket, listener: socket.socket, key: str,
                 prefix: list[str]) -> None:
    message, fds, _, _ = socket.recv_fds(conn, 1 << 20, 3)
    try:
        request = json.loads(message)
        parts = split_command(request["cmd"])
        if len(fds) != 3 or parts is None or parts[0] != prefix or \
                environment_key(request["env"]) != key:
            conn.sendall(b"cold\n")
            return
        sys.stdout.flush()
        sys.stderr.flush()
        pid = os.fork()
        if pid == 0:
            listener.close()
            conn.close()
            _become_kernel(request, parts[1], fds)
        conn.sendall(f"{pid}\n".encode())
    finally:
        for fd in fds:
            os.close(fd)


def _become_kernel(request: dict, args: list[str], fds: list[int]) -> None:
    """In the forked child: the stub's streams, folder and environment, then
    ``python -m ipykernel_launcher args`` as a cold start would run it."""
    import runpy
    import threading

    code = 1
    try:
        os.setsid()
        for signum in (signal.SIGTERM, signal.SIGHUP):
            signal.signal(signum, signal.SIG_DFL)
        signal.signal(signal.SIGINT, signal.default_int_handler)
        for target, fd in enumerate(fds):
            os.dup2(fd, target)
            os.close(fd)
        os.chdir(request["cwd"])
        os.environ.clear()
        os.environ.update(request["env"])
        watcher = os.pidfd_open(request["stub"])
        threading.Thread(target=_die_with, args=(watcher,), daemon=True).start()
        sys.path[0] = os.getcwd()
        launcher = __import__("importlib.util").util.find_spec(LAUNCHER).origin
        sys.argv = [launcher, *args]
        runpy.run_module(LAUNCHER, run_name="__main__", alter_sys=True)
        code = 0
    except SystemExit as done:
        code = done.code if isinstance(done.code, int) else (0 if done.code is None else 1)
    finally:
        import atexit

        atexit._run_exitfuncs()
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)


def _die_with(pidfd: int) -> None:
    """Kill this kernel's process group once the stub (``pidfd``) is gone."""
    import select

    select.select([pidfd], [], [])
    os.killpg(0, signal.SIGKILL)


if __name__ == "__main__":
    if len(sys.argv) >= 3 and sys.argv[1] == "serve":
        serve(sys.argv[2])
    elif len(sys.argv) >= 3:
        stub(sys.argv[1], sys.argv[2:])
    else:
        raise SystemExit("usage: python warm_kernel.py serve SOCKET | SOCKET COMMAND...")
