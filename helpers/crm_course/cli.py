"""``crm-course``: the command line, a thin face over the package's modules.

Each subcommand is registered by one ``_add_<name>`` function below and does its
work in the module named in its help; nothing here computes anything itself.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
from pathlib import Path

from . import __version__


def _add_data(sub) -> None:
    p = sub.add_parser("data", help="generate, validate or document datasets (crm_course.synth)")
    dsub = p.add_subparsers(dest="data_command", required=True, metavar="ACTION")
    g = dsub.add_parser("generate", help="write a generated dataset (CSV tables + dataset.json)")
    who = g.add_mutually_exclusive_group()
    who.add_argument("--seed", type=int, default=None,
                     help="random seed (default: the course's sample, 23)")
    who.add_argument("--learner", default=None, help="a learner's personal dataset: the seed "
                     "is derived from this id and the secret in $CRM_COURSE_SECRET")
    g.add_argument("--scale", type=float, default=1.0,
                   help="company size; 1 = about 80 CRM users and 6,000 leads (default 1)")
    g.add_argument("--start", default=None, help="CRM go-live date, YYYY-MM-DD "
                   "(default 2025-01-01)")
    g.add_argument("--effect", type=float, default=1.0,
                   help="size of the improvements' effect, 0 = none (default 1)")
    g.add_argument("--design", choices=("staged", "ab", "its"), default=None,
                   help="an evaluation design instead of the sample's regional package: "
                   "staged roll-out, A/B test of a reminder, or a 48-month series for an "
                   "interrupted time series (crm_course.designs; default: none)")
    g.add_argument("--out", type=Path, required=True, help="folder to write into")
    g.add_argument("--force", action="store_true",
                   help="write into a folder that already holds other files")
    g.set_defaults(func=_data_generate)
    v = dsub.add_parser("validate", help="load a dataset and report every problem found")
    v.add_argument("folder", type=Path, nargs="?", default=None,
                   help="dataset folder (default: the bundled sample)")
    v.set_defaults(func=_data_validate)
    d = dsub.add_parser("docs", help="write the data dictionary (Markdown) from the schema")
    d.add_argument("--out", type=Path, default=None, help="file to write (default: print)")
    d.set_defaults(func=_data_docs)
    i = dsub.add_parser("import", help="turn a CRM export (Salesforce, HubSpot or any CRM "
                        "with a mapping file) into a course dataset (crm_course.importer)")
    i.add_argument("--from", dest="source", type=Path, required=True,
                   help="folder holding the export's CSV files")
    i.add_argument("--init-mapping", type=Path, default=None, metavar="FILE",
                   help="write a starter mapping for the export folder to FILE (tables and "
                   "columns guessed, labels listed for translation) and stop")
    i.add_argument("--mapping", default=None,
                   help="salesforce (standard Data Export), salesforce-de (German-style "
                   "export), hubspot (internal names), hubspot-web (the web export's "
                   "labels), pipedrive, dynamics365, or a mapping YAML file (see "
                   "TEMPLATE.yml)")
    i.add_argument("--out", type=Path, default=None, help="folder to write the dataset into")
    i.add_argument("--pseudonymise", action="store_true", help="replace names, e-mails and "
                   "phones by keyed hashes (key from $CRM_COURSE_SECRET)")
    i.add_argument("--changes-start", default=None, help="day the improvements went live, "
                   "YYYY-MM-DD (default: the middle of the export's period)")
    i.add_argument("--export-date", default=None, help="day the export was taken, "
                   "YYYY-MM-DD: the data's end (default: the latest dated event: creation, "
                   "close, ticket, order, activity); later dates are reported and left out "
                   "of the period")
    i.add_argument("--time-zone", default=None, help="the company's IANA time zone, e.g. "
                   "Europe/Berlin: timestamps with a zone (Z) are converted to it "
                   "(default: the mapping's time_zone)")
    i.add_argument("--currency", default=None, help="ISO 4217 code of the export's amounts, "
                   "e.g. MXN, when no column says it (a single-currency Salesforce org has "
                   "no CurrencyIsoCode); default: the mapping's 'currency'")
    i.add_argument("--rates", type=Path, default=None, help="exchange rates for an export "
                   "in several currencies: Salesforce's DatedConversionRate export or a CSV "
                   "currency,rate[,from_date] (units per one unit of the reporting currency)")
    i.add_argument("--control-region", default=None, help="region that got no changes "
                   "before the review (a region as it reads after the mapping): "
                   "enables the difference-in-differences parts (default: none)")
    i.add_argument("--company", default=None, help="company name shown in the lessons and "
                   "the report (default: the mapping's, else the export folder's name)")
    i.set_defaults(func=_data_import)


def _data_generate(args) -> int:
    from .designs.specs import design_of
    from .source import STAMP, write_generated
    from .synth.profile import DEFAULT_SEED, DEFAULT_START
    from .synth.seeds import learner_seed

    out: Path = args.out
    expected = {f"{n}.csv" for n in _table_names()} | {"dataset.json", "README.md", STAMP}
    if out.is_dir() and not args.force:
        foreign = sorted(p.name for p in out.iterdir() if p.name not in expected)
        if foreign:
            print(f"error: {out} holds other files ({', '.join(foreign[:5])}); choose an empty "
                  "folder or pass --force", file=sys.stderr)
            return 2
    seed = DEFAULT_SEED if args.seed is None else args.seed
    if args.learner is not None:
        seed = learner_seed(args.learner)
    design = None if args.design is None else design_of(args.design, seed)
    (out / STAMP).unlink(missing_ok=True)  # always written afresh: a hand-edited copy is repaired
    write_generated(out, seed, scale=args.scale, start=args.start or DEFAULT_START,
                    effect=args.effect, design=design, keep_others=True)
    paths = [p for p in (out / "dataset.json", *(out / f"{n}.csv" for n in _table_names()))
             if p.is_file()]
    size = sum(p.stat().st_size for p in paths)
    print(f"wrote {len(paths)} files, {size / 1e6:.1f} MB to {out} (seed {seed})")
    return 0


def _table_names() -> list[str]:
    from .schema import TABLES

    return list(TABLES)


def _data_validate(args) -> int:
    from .data import DataError, load_crm

    try:
        crm = load_crm(args.folder)
    except DataError as err:
        print(err, file=sys.stderr)
        return 1
    print(f"ok: {crm!r}")
    return 0


def _data_docs(args) -> int:
    from .datadoc import data_dictionary

    text = data_dictionary()
    if args.out is None:
        print(text, end="")
    else:
        args.out.write_text(text, encoding="utf-8")
        print(f"wrote {args.out}")
    return 0


def _data_import(args) -> int:
    from .importer import import_export

    if args.init_mapping is not None:
        from .importer.starter import write_starter_mapping
        try:
            path = write_starter_mapping(args.source, args.init_mapping)
        except (ValueError, OSError) as err:
            print(f"error: {err}", file=sys.stderr)
            return 2
        print(f"wrote {path}: check the guessed lines and fill the TODOs, then import with "
              f"--mapping {path}")
        return 0
    if args.mapping is None or args.out is None:
        print("error: give --mapping and --out (or --init-mapping FILE to write a starter "
              "mapping)", file=sys.stderr)
        return 2
    try:
        report = import_export(args.source, args.mapping, args.out, args.pseudonymise,
                               changes_start=args.changes_start, company=args.company,
                               control_region=args.control_region,
                               time_zone=args.time_zone, export_date=args.export_date,
                               rates=args.rates, currency=args.currency)
    except (ValueError, OSError) as err:  # MappingError, DataError: ValueErrors
        print(f"error: {err}", file=sys.stderr)
        return 2
    except Exception as err:  # noqa: BLE001 - a bug of ours: a message, never a traceback
        print(f"error: the import stopped on an unexpected {type(err).__name__} ({err}); "
              "nothing was written to the output folder. This is a bug in crm_course's "
              "importer: please report it with the header lines of the export's files",
              file=sys.stderr)
        return 2
    for warning in report.warnings:
        print(f"warning: {warning}", file=sys.stderr)
    rows = sum(t.rows_written for t in report.tables)
    print(f"imported {rows:,} rows into {args.out}; {len(report.dropped)} dropped; "
          f"report: {args.out / 'import_report.md'}")
    return 0


def _add_run(sub) -> None:
    p = sub.add_parser("run", help="the main job: validate the data and run every notebook "
                       "headless into a build folder (crm_course.runner)")
    p.add_argument("--out", type=Path, default=Path("build"), help="output folder (default build)")
    p.add_argument("--data-dir", "--data", type=Path, default=None,
                   help="dataset folder, e.g. an imported CRM export: the lessons and the "
                   "dashboard run on it, skipping what needs absent tables (default: the "
                   "sample, plus every solution)")
    p.add_argument("--jobs", type=int, default=2, help="notebooks run in parallel (default 2)")
    p.add_argument("--timeout", type=int, default=600,
                   help="seconds allowed per cell (default 600)")
    p.set_defaults(func=_run)


def _run(args) -> int:
    from .runner import run_course

    return run_course(out=args.out, data_dir=args.data_dir, jobs=args.jobs,
                      timeout=args.timeout)


def _add_build_exercises(sub) -> None:
    p = sub.add_parser("build-exercises", help="build exercises/ from solutions/ "
                       "(crm_course.build)")
    p.add_argument("--force", action="store_true",
                   help="overwrite exercise notebooks edited since they were generated")
    p.add_argument("--check", action="store_true",
                   help="write nothing; exit 1 if exercises/ is not what the build produces")
    p.add_argument("--solutions", type=Path, default=None, help="folder of solution notebooks")
    p.add_argument("--exercises", type=Path, default=None, help="folder to write into")
    p.set_defaults(func=_build_exercises)


def _build_exercises(args) -> int:
    from .build import main

    return main(force=args.force, check=args.check, solutions=args.solutions,
                exercises=args.exercises)


def _add_grade(sub) -> None:
    p = sub.add_parser("grade", help="grade submitted exercise notebooks (crm_course.grading)")
    p.add_argument("submissions", type=Path, nargs="*", metavar="SUBMISSION",
                   help="submitted notebooks (never modified)")
    p.add_argument("--exchange", type=Path, default=None, help="grade the hub's exchange "
                   "folder instead: the newest submission per learner and notebook, the "
                   "roster from the hub, feedback into each learner's ~/feedback/")
    p.add_argument("--out", type=Path, required=True,
                   help="folder for gradebook.csv, results.json and feedback/")
    p.add_argument("--jobs", type=int, default=os.cpu_count() or 1,
                   help="notebooks run in parallel (default: number of cores)")
    p.add_argument("--timeout", type=float, default=120,
                   help="seconds allowed per notebook (default 120)")
    p.add_argument("--memory", type=int, default=2048, metavar="MIB",
                   help="MiB of RAM per submission (default 2048; enforced where a cgroup "
                   "per sandbox can be made: root or a delegated cgroup v2 subtree; the "
                   "limit in force is printed first)")
    p.add_argument("--roster", type=Path, default=None,
                   help="CSV file binding submissions to learners: columns learner and "
                   "submission (file name) or username (file stem or folder)")
    p.add_argument("--no-roster", action="store_true",
                   help="grade without a roster: each notebook's declared learner (or its "
                   "file name) is taken at its word (anyone can claim anyone)")
    p.add_argument("--no-sandbox", action="store_true",
                   help="run learner code as yourself, with your files and environment "
                   "(only for work you trust; default: a bubblewrap sandbox per notebook)")
    p.set_defaults(func=_grade)


def _grade(args) -> int:
    """``crm-course grade``: grade, print a one-line summary per submission; with
    ``--exchange``, the hub's exchange (`crm_course.exchange.grade_exchange`)."""
    import time

    from .escape import clean
    from .exchange import ExchangeError, grade_exchange
    from .grading import Refusal, SandboxUnavailable, grade
    from .identity import RosterError

    os.umask(0o077)  # executed notebooks, gradebook, feedback: the grader's alone (the
    # exchange gives each learner's feedback to that learner)
    if (args.exchange is None) == (not args.submissions):
        print("error: give SUBMISSION files or --exchange DIR (one of the two)",
              file=sys.stderr)
        return 2
    if args.exchange is not None and (args.roster is not None or args.no_roster):
        print("error: --exchange uses the hub's roster; leave out --roster/--no-roster",
              file=sys.stderr)
        return 2
    if args.exchange is None and args.roster is None and not args.no_roster:
        print("error: give --roster ROSTER.csv (binds each file to a learner), or "
              "--no-roster to take each notebook's declared learner at its word",
              file=sys.stderr)
        return 2
    start = time.monotonic()
    sandbox, memory = not args.no_sandbox, args.memory * 1024**2
    if sandbox:
        from .sandbox import Limits, memory_limit

        print(f"memory limit: {memory_limit(Limits(memory=memory))}")
    try:
        if args.exchange is not None:
            results, written = grade_exchange(args.exchange, args.out, jobs=args.jobs,
                                              timeout=args.timeout, sandbox=sandbox,
                                              memory=memory)
            print(f"wrote feedback into {len(written)} learner home(s)")
        else:
            results = grade(args.submissions, args.out, jobs=args.jobs, timeout=args.timeout,
                            sandbox=sandbox, roster=args.roster, memory=memory)
    except SandboxUnavailable as err:
        print(f"error: {err}. Install bubblewrap (apt-get install bubblewrap) or, only for "
              "work you trust, pass --no-sandbox.", file=sys.stderr)
        return 2
    except (RosterError, ExchangeError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    for r in results:
        note = f"  ({clean(r.reason)})" if r.reason else ""
        print(f"{clean(r.learner):<20} {r.score:g}/{r.max_score:g}{note}")
    print(f"graded {len(results)} submission(s) in {time.monotonic() - start:.1f} s; "
          f"wrote {Path(args.out) / 'gradebook.csv'} and "
          f"{Path(args.out) / 'class_report.html'}")
    return 1 if any(r.refused == Refusal.NAME_COLLISION for r in results) else 0


def _add_class_report(sub) -> None:
    p = sub.add_parser("class-report", help="class analytics of a grading run: share solved "
                       "/ wrong / not attempted per question, frequent mistakes, what to "
                       "reteach, per-learner completion (crm_course.class_report)")
    p.add_argument("results", type=Path, metavar="RESULTS_DIR",
                   help="the --out folder of `crm-course grade` (or its results.json)")
    p.add_argument("--out", type=Path, default=None,
                   help="HTML file to write (default RESULTS_DIR/class_report.html)")
    p.set_defaults(func=_class_report)


def _class_report(args) -> int:
    from .class_report import main

    return main(args.results, args.out)


def _add_progress(sub) -> None:
    p = sub.add_parser("progress", help="your progress on every exercise, from the local "
                       "event log (crm_course.exercises.progress)")
    p.add_argument("exercise", nargs="?", default=None,
                   help="also list this exercise's questions, e.g. 00_warmup or 0")
    p.add_argument("--dataset", default=None,
                   help="dataset fingerprint to show (default: the one used last)")
    p.add_argument("--log", type=Path, default=None,
                   help="event log (default $CRM_COURSE_HOME/events.jsonl)")
    p.set_defaults(func=_progress)


def _progress(args) -> int:
    from .exercises.progress import print_progress

    return print_progress(args.log, args.exercise, args.dataset)


def _add_execute(sub) -> None:
    p = sub.add_parser("execute", help="re-execute lessons/solutions in place so their stored "
                       "outputs are current (for authors; crm_course.runner)")
    p.add_argument("notebooks", type=Path, nargs="+", help="notebook files")
    p.add_argument("--timeout", type=int, default=600, help="seconds per cell (default 600)")
    p.set_defaults(func=_execute)


def _execute(args) -> int:
    from .executor import execute_in_place
    from .runner import NOTEBOOK_FOLDERS

    for path in args.notebooks:
        if path.resolve().parent.name not in NOTEBOOK_FOLDERS:
            print(f"error: {path} is not in {' or '.join(NOTEBOOK_FOLDERS)}/; learners' "
                  "exercise notebooks are never executed in place", file=sys.stderr)
            return 2
    for path in args.notebooks:
        execute_in_place(path, args.timeout)
        print(f"executed {path}")
    return 0


def _add_report(sub) -> None:
    p = sub.add_parser("report", help="write the evaluation report of a dataset as one "
                       "self-contained HTML page (crm_course.report_page)")
    p.add_argument("--data-dir", type=Path, default=None,
                   help="dataset folder (default: the sample)")
    p.add_argument("--seed", type=int, default=None,
                   help="generate the sample company with this seed instead")
    p.add_argument("--focus", choices=("sales", "service", "all"), default="sales",
                   help="CRM areas the report covers (default: sales)")
    p.add_argument("--out", type=Path, default=Path("build/report.html"),
                   help="HTML file to write (default build/report.html)")
    p.set_defaults(func=_report)


def _report(args) -> int:
    from .report_page import build_report

    if args.data_dir is not None and args.seed is not None:
        print("error: give --data-dir or --seed, not both", file=sys.stderr)
        return 2
    try:
        path = build_report(args.out, data_dir=args.data_dir, seed=args.seed,
                            focus=args.focus)
    except (ValueError, OSError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 1
    print(f"wrote {path}")
    return 0


def _add_dashboard(sub) -> None:
    p = sub.add_parser("dashboard", help="serve the instructor dashboard "
                       "(notebooks/dashboard.ipynb) with Voila (crm_course.dashboard)")
    p.add_argument("--port", type=int, default=8866, help="port to serve on (default 8866)")
    p.add_argument("--no-browser", action="store_true", help="do not open a web browser")
    p.add_argument("--dev", action="store_true",
                   help="development mode: show Python tracebacks in the page")
    p.add_argument("--cull-idle", type=int, default=120, metavar="SECONDS",
                   help="shut down the kernel of a page closed or reloaded this long ago "
                        "(default 120)")
    p.add_argument("--results", type=Path, default=None, metavar="DIR",
                   help="open this `crm-course grade --out` folder in the Class tab")
    p.add_argument("--data", type=Path, default=None, metavar="DIR",
                   help="start on the CRM data in this folder (a generated dataset or an "
                        "import; default: the bundled sample)")
    p.add_argument("--visitors", type=int, default=None, metavar="N",
                   help="how many people open the page at the same moment: that many "
                        "kernels (about 300 MB each) are started ahead so their controls "
                        "answer at once; every visitor sees the first chart at once anyway "
                        "(default 2)")
    p.set_defaults(func=_dashboard)


def _dashboard(args) -> int:
    """Serve the dashboard until Ctrl-C or ``kill -TERM``: SIGTERM to this command is
    passed on to Voila, which shuts its kernels down (killing this process alone left
    Voila running)."""
    import signal
    import subprocess
    import tempfile
    import threading

    from .dashboard.serve import (
        VISITORS,
        address,
        environment,
        first_view_command,
        listening,
        ready_words,
        starting_words,
        voila_command,
        wait_listening,
    )

    if args.results is not None:
        from .class_report import ResultsError, load_results  # pandas: only when asked

        try:
            load_results(args.results)
        except ResultsError as err:
            print(f"crm-course dashboard: --results: {err}", file=sys.stderr)
            return 2
    if args.data is not None and not args.data.is_dir():
        print(f"crm-course dashboard: --data: there is no folder {args.data.resolve()}",
              file=sys.stderr)
        return 2
    args.visitors = VISITORS if args.visitors is None else args.visitors
    if args.visitors < 1:
        print(f"crm-course dashboard: --visitors is {args.visitors}: give 1 or more",
              file=sys.stderr)
        return 2
    if listening(args.port):  # else 'ready' below would be another program's port
        print(f"crm-course dashboard: something already answers at {address(args.port)}: "
              "stop it, or give another --port", file=sys.stderr)
        return 2
    command = voila_command(args.port, dev=args.dev, open_browser=not args.no_browser,
                            cull_idle=args.cull_idle, pool_size=args.visitors)
    print(starting_words(args.port), flush=True)  # at once: the rest takes 10-30 s
    from .runner import ROOT  # nbformat's imports: after the words
    with tempfile.TemporaryDirectory(prefix="crm-dashboard-") as first_view:
        env = environment(args.results, first_view=first_view, data=args.data)
        # the first view before the server listens: its first visitor sees a chart at once
        written = subprocess.run(first_view_command(), cwd=ROOT, env=env, text=True,
                                 stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        if written.returncode:
            print(f"crm-course dashboard: the dashboard cannot be drawn on this data: "
                  f"{written.stderr.strip() or '(no message)'}", file=sys.stderr)
            return 2
        # its own process group: a stop reaches Voila through this command only, and what
        # it leaves (kernels of a Voila stopped while starting them) is killed as a group
        print("First view drawn; starting the server ...", flush=True)
        voila = subprocess.Popen(command, cwd=ROOT, start_new_session=True, env=env)
        stopping: list[bool] = []

        def announce() -> None:
            if wait_listening(args.port, lambda: voila.poll() is None and not stopping):
                print(ready_words(args.port), flush=True)

        threading.Thread(target=announce, daemon=True).start()

        def stop(*_) -> None:
            stopping.append(True)
            voila.send_signal(signal.SIGTERM)

        signal.signal(signal.SIGTERM, stop)
        try:
            code = voila.wait()
        except KeyboardInterrupt:
            stop()
            code = 0
        try:
            voila.wait(timeout=30)
        except subprocess.TimeoutExpired:
            voila.kill()
            voila.wait()
        with contextlib.suppress(ProcessLookupError):  # nothing of it left
            os.killpg(voila.pid, signal.SIGKILL)
        return 0 if stopping or code in (0, -signal.SIGTERM) else code


def _add_submit(sub) -> None:
    p = sub.add_parser("submit", help="submit a saved notebook into the course's exchange "
                       "folder, timestamped, never replacing an earlier submission "
                       "(crm_course.exchange)")
    p.add_argument("notebook", type=Path, help="the notebook file (save it first)")
    p.add_argument("--exchange", type=Path, default=None,
                   help="exchange folder (default $CRM_COURSE_EXCHANGE, set by the hub)")
    p.add_argument("--user", default=None, help="your user name (default $JUPYTERHUB_USER)")
    p.set_defaults(func=_submit)


def _submit(args) -> int:
    from .inbox import ExchangeError, submit

    try:
        path = submit(args.notebook, args.exchange, args.user)
    except (ExchangeError, OSError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 1
    print(f"submitted {args.notebook} as {path.name}")
    return 0


def _add_hub(sub) -> None:
    p = sub.add_parser("hub", help="a local JupyterHub on 127.0.0.1 with demo learners and "
                       "an instructor, for trying the course's flow (crm_course.hub)")
    p.add_argument("--port", type=int, default=8000, help="port of the hub (default 8000)")
    p.add_argument("--state", type=Path, default=Path("build/hub"),
                   help="folder for the hub's state, homes, datasets, exchange "
                   "(default build/hub)")
    p.set_defaults(func=_hub)


def _hub(args) -> int:
    import subprocess

    from .hub import DEMO_INSTRUCTOR, DEMO_LEARNERS, DEMO_PASSWORD, local_hub

    try:
        command, env = local_hub(args.state, args.port, args.port + 1, args.port + 2)
    except ValueError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    state = args.state.resolve()
    print(f"JupyterHub on http://127.0.0.1:{args.port}/ : learners {', '.join(DEMO_LEARNERS)}, "
          f"instructor {DEMO_INSTRUCTOR}, password {DEMO_PASSWORD}\nThe instructor grades "
          f"at http://127.0.0.1:{args.port}/services/course-instructor/ or with: "
          f"CRM_COURSE_SECRET=$(cat {state}/secret) crm-course grade --exchange "
          f"{state}/exchange --out {state}/grades")
    try:
        return subprocess.run(command, env=env).returncode
    except KeyboardInterrupt:
        return 0


def build_parser() -> argparse.ArgumentParser:
    """The ``crm-course`` argument parser, one subcommand per ``_add_*`` function."""
    parser = argparse.ArgumentParser(
        prog="crm-course",
        description="Evaluate and continuously improve your CRM: course tools.")
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for add in (_add_data, _add_run, _add_execute, _add_build_exercises, _add_grade,
                _add_class_report, _add_progress, _add_report, _add_dashboard, _add_submit,
                _add_hub):
        add(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    """``crm-course``: run the subcommand ``argv`` names (default: the command line's); its exit
    status."""
    parser = build_parser()
    args = parser.parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    raise SystemExit(main())
