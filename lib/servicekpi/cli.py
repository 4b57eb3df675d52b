"""The ``servicekpi`` command line.

    servicekpi init EXPORT [--out DIR] [--mapping auto|PRESET|FILE] [--freq F]
                    [--language en|zh] [--bad-rows raise|drop] [--as-of T] [--force]
                    [--dayfirst|--monthfirst] [--timezone TZ] [--encoding ENC]
                    [--decimal .|,] [--baseline-periods N]
    servicekpi kpis TICKETS [--mapping auto|PRESET|FILE] [--freq month|week|quarter]
                    [--bad-rows raise|drop] [--max-dropped-share X] [--as-of T]
                    [--dayfirst|--monthfirst] [--timezone TZ] [--encoding ENC]
                    [--decimal .|,] --out FILE.csv
    servicekpi demo-data --out DIR [--seed N]
    servicekpi run [--params DIR] [--teams a,b] [--workers N] [--out DIR] [--only-failed]
                   [--force] [--scheduler ADDRESS] [--as-of T]
    servicekpi validate [--params DIR]

Every failure is one line on stderr, never a traceback: bad input or usage, an
output that cannot be written, an unreachable scheduler exit with status 2; a
report that failed with 1 (also an unexpected error: re-run with --debug to see
its traceback).

``--period`` and ``--errors`` (the names before ``--freq`` and ``--bad-rows``)
are still read, as hidden aliases.
"""
from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from . import config
from .errors import OutputError, ServiceKPIError


def _kpis(args) -> int:
    import pandas as pd

    from .errors import DataError, Problem
    from .kpis import compute_kpis
    from .params import no_tickets_reason
    from .periods import coverage_end, label, labels, last_day, partial_period
    from .tickets import quality_warnings

    writable(args.out)
    mapping = _mapping(args.mapping)
    tickets = _load(args.tickets, mapping, args)
    picked = tickets.attrs.get("mapping") or "canonical"
    print(f"mapping: {picked}" + (" (detected from the header)" if mapping == "auto" else ""))
    if not len(tickets):
        raise DataError([Problem(Path(args.tickets).name, None, no_tickets_reason(tickets))])
    table = compute_kpis(tickets, freq=args.freq)
    # the last period is complete when the export's coverage reaches its end
    end = coverage_end(tickets.attrs.get("as_of") or args.as_of,
                       declared=args.as_of is not None)
    last = table["period"].max() if len(table) else None
    part = partial_period(end, args.freq, last)
    table = table.assign(period=labels(table["period"]),
                         complete=(table["period"] != part) if part is not None else True)
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    from .literal import csv_safe       # no text cell is read as a spreadsheet formula
    csv_safe(table).to_csv(out, index=False)
    print(f"{len(tickets):,} tickets, {table['team'].nunique()} teams, "
          f"{table['kpi'].nunique()} KPIs -> {out} ({len(table):,} rows)")
    if part is not None:
        stamp = pd.Timestamp(tickets.attrs.get("as_of") or end)
        print(f"last {args.freq} {label(part)} is partial: the export covers it to "
              f"{last_day(end):%Y-%m-%d} (as-of time {stamp:%Y-%m-%d %H:%M}); its rows "
              "have complete = False")
    for line in quality_warnings(tickets):
        print(f"  {line}")
    return 0


def _load(path, mapping, args):
    """``load_tickets`` with the command line's loading options; a problem the loader
    asks to declare says which option declares it."""
    from .errors import DataError
    from .tickets import load_tickets

    try:
        return load_tickets(path, mapping, bad_rows=args.bad_rows, as_of=args.as_of,
                            max_dropped_share=args.max_dropped_share, dayfirst=args.dayfirst,
                            timezone=args.timezone, encoding=args.encoding,
                            decimal=args.decimal)
    except DataError as exc:
        hints = declare_hints(exc.problems, Path(path).name)
        if not hints:
            raise
        raise DataError(exc.problems, source=exc.source, hints=hints) from None


def declare_hints(problems, source: str) -> list:
    """Hints for loader problems that ask to declare the day order or the encoding:
    the command-line options that declare them (unless the problem names them)."""
    text = " ".join(p.message for p in problems)
    hints = []
    if ("day order" in text or "dayfirst" in text) and "--dayfirst" not in text:
        hints.append("--dayfirst (01/03 is 1 March) or --monthfirst (01/03 is 3 January) "
                     "declares the day order")
    if "encoding" in text and "--encoding" not in text:
        hints.append("--encoding declares the file's encoding (e.g. --encoding gb18030, "
                     "--encoding cp1252)")
    if "decimal" in text and "--decimal" not in text:
        hints.append("--decimal , (or --decimal .) declares the decimal mark")
    return hints


def _demo(args) -> int:
    from .demo import generate_demo

    writable(args.out, folder=True)
    paths = generate_demo(args.out, seed=args.seed, months=args.months, scale=args.scale)
    for name, p in paths.items():
        print(f"{name:>10}: {p}")
    return 0


def _init(args) -> int:
    from .scaffold import init_params, summary_lines

    writable(args.out, folder=True)
    res = init_params(args.export, args.out, mapping=_mapping(args.mapping), freq=args.freq,
                      language=args.language, bad_rows=args.bad_rows,
                      max_dropped_share=args.max_dropped_share, as_of=args.as_of,
                      dayfirst=args.dayfirst, timezone=args.timezone, encoding=args.encoding,
                      decimal=args.decimal, force=args.force,
                      baseline_periods=args.baseline_periods)
    print("\n".join(summary_lines(res, args.export)))
    return 0


def _run(args) -> int:
    from .runner import connect_scheduler, run_reports

    teams = [t.strip() for t in args.teams.split(",") if t.strip()] if args.teams else None
    writable(args.out, folder=True)
    client = connect_scheduler(args.scheduler) if args.scheduler else None  # fails fast
    try:
        summary = run_reports(args.params, args.out, teams=teams, workers=args.workers,
                              force=args.force, only_failed=args.only_failed,
                              scheduler=client, as_of=args.as_of)
    finally:
        if client is not None:
            client.close()
    ran = [r for r in summary.results if r.outcome == "ok"]
    print(f"\n{len(ran)} ok, {len(summary.failed)} failed, {len(summary.skipped)} skipped "
          f"(unchanged), {summary.seconds:.0f} s")
    for r in summary.failed:
        print(f"  FAILED {r.team}: {r.error}")
    ov = summary.overview
    if ov is not None and not ov.ok:
        print(f"  FAILED overview: {ov.error}")
    print(f"Index: {summary.index.resolve()}")
    return 1 if summary.failed or (ov is not None and not ov.ok) else 0


def _validate(args) -> int:
    """Everything ``run`` reads, opened as it will be; every problem in one error."""
    from .errors import ConfigError, DataError, Problem, unique
    from .params import check_inputs, clear_export_cache, collect_params

    try:
        teams, problems = collect_params(args.params)
        unused: list = []
        found, _ = check_inputs(teams, unused=unused)
    finally:
        clear_export_cache()
    # a file's problem once, however many teams use it; named by its teams when it
    # is not every team's (run fails those teams alone: bad_rows: raise in one's file)
    from dataclasses import replace
    owners: dict = {}
    for team, team_problems in found.items():
        for q in team_problems:
            owners.setdefault(q, []).append(team)
    every = {p.team for p in teams}

    def whose(q):
        who = owners.get(q, [])
        if len(every) < 2 or not who or set(who) >= every or q.message.startswith("team "):
            return q        # every team's, or named by its team already
        names = ", ".join(repr(t) for t in who)
        return replace(q, message=f"team{'s' if len(who) > 1 else ''} {names}: {q.message}")
    data_problems = unique([whose(q) for team_problems in found.values() for q in team_problems]
                           + unused)
    if not teams and not problems and not data_problems:
        problems = [Problem(str(args.params), None, "no team gets a report")]
    if problems:
        raise ConfigError(unique(problems + data_problems), source=str(args.params))
    if data_problems:
        raise DataError(data_problems, source=str(args.params))
    print(f"{args.params}: {len(teams)} teams ok ({', '.join(p.team for p in teams)}); "
          "inputs read in full as run reads them: ticket exports, targets, benchmarks, "
          "KPI tables, competencies")
    return 0


def _mapping(text: str | None) -> str | None:
    """The --mapping option as the loaders take it; a preset or mapping file that
    cannot be loaded is refused before the export is read."""
    spec = None if text is None or text.lower() in ("none", "null", "canonical") else text
    if spec is not None and spec != "auto":
        from .mapping import load_mapping
        from .params import load_yaml_file

        load_yaml_file(load_mapping, spec)
    return spec


def writable(path, *, folder: bool = False) -> Path:
    """Refuse an output (``folder``: a folder, else a file) that cannot be written,
    before any work is done: the path or its nearest existing folder is a file, a
    folder this process may not write in, or on a read-only file system.  Nothing is
    created.  (Writing can still fail later, e.g. on a full disk: :func:`main`.)"""
    path = Path(path)
    if path.exists():
        if folder != path.is_dir():
            raise OutputError(f"--out {path}: is a {'file' if folder else 'folder'}, "
                              f"expected {'a folder' if folder else 'a file name'}")
        if not folder and not os.access(path, os.W_OK):
            raise OutputError(f"--out {path}: cannot write it: {_why(path)}")
    probe = path if folder else path.parent
    while not probe.exists() and probe != probe.parent:
        probe = probe.parent
    if not probe.is_dir():
        raise OutputError(f"--out {path}: cannot create it: {probe} is a file, not a folder")
    if not os.access(probe, os.W_OK | os.X_OK):
        raise OutputError(f"--out {path}: cannot write in {probe}: {_why(probe)}")
    return path


def _why(path: Path) -> str:
    try:
        if os.statvfs(path).f_flag & os.ST_RDONLY:
            return "read-only file system"
    except OSError:
        pass
    return "permission denied"


def _checked(check_name: str, read=lambda text: text):
    """An argparse type that refuses what ``servicekpi.params.<check_name>`` refuses,
    and gives what it accepts as ``read`` reads it."""
    def check(text: str) -> str:
        from . import params

        problem = getattr(params, check_name)(text)
        if problem:
            raise argparse.ArgumentTypeError(problem)
        return read(text)
    check.__name__ = check_name.replace("_problem", "")
    return check


def _iso_time(text: str) -> str:
    """A time as written (2025年3月31日 18:00 too) in the ISO form."""
    from .parsing import western_date
    return western_date(text.strip())


_timestamp, _zone, _encoding = (_checked("as_of_problem", _iso_time),
                                _checked("zone_problem"), _checked("encoding_problem"))


def _share(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not 0 <= value <= 1:
        raise argparse.ArgumentTypeError(f"expected a share from 0 to 1, e.g. 0.05, "
                                         f"not {text!r}")
    return value


def _loading_options(p: argparse.ArgumentParser) -> None:
    """How a ticket export is read (kpis and init)."""
    p.add_argument("--mapping", default="auto",
                   help="column mapping: auto (default: detect the preset from the header), "
                   "a preset name, a mapping YAML file, or none (canonical column names)")
    p.add_argument("--freq", choices=["month", "week", "quarter"], default="month",
                   help="the periods KPIs are computed for (default: month)")
    p.add_argument("--period", dest="freq", choices=["month", "week", "quarter"],
                   default=argparse.SUPPRESS, help=argparse.SUPPRESS)   # old name of --freq
    p.add_argument("--bad-rows", choices=["raise", "drop"], default="raise",
                   help="refuse the file on bad rows (default), or drop them and report")
    p.add_argument("--errors", dest="bad_rows", choices=["raise", "drop"],
                   default=argparse.SUPPRESS, help=argparse.SUPPRESS)   # old name of --bad-rows
    p.add_argument("--max-dropped-share", type=_share, default=0.05, metavar="X",
                   help="with --bad-rows drop: refuse the file when more than this share of "
                   "its rows would be dropped (default 0.05)")
    p.add_argument("--as-of", metavar="TIME", type=_timestamp,
                   help="when the export was taken, in the years 1980-2099 (default: its "
                   "latest timestamp); later tickets are dropped and counted")
    order = p.add_mutually_exclusive_group()
    order.add_argument("--dayfirst", dest="dayfirst", action="store_const", const=True,
                       default=None, help="dates such as 01/03/2024 are day first (1 March)")
    order.add_argument("--monthfirst", dest="dayfirst", action="store_const", const=False,
                       help="dates such as 01/03/2024 are month first (3 January); "
                       "default: the mapping's, else decided from the data")
    p.add_argument("--timezone", metavar="TZ", type=_zone,
                   help="time zone of timestamps written without one (e.g. Europe/London), "
                   "or as_written (keep the local time an offset was written in); default: "
                   "the mapping's (UTC unless it says)")
    p.add_argument("--encoding", metavar="ENC", type=_encoding,
                   help="text encoding of a CSV export (e.g. utf-8, gb18030, cp1252); "
                   "default: the mapping's, else detected")
    p.add_argument("--decimal", choices=[".", ","],
                   help="decimal mark of numbers (the other one separates thousands: with "
                   "--decimal , 1.440 is 1440); default: the mapping's, else decided per "
                   "column from the data")


def build_parser() -> argparse.ArgumentParser:
    from .config import BASELINE_PERIODS   # not scaffold's: it imports the forecasts

    ap = argparse.ArgumentParser(prog="servicekpi", description=__doc__.split("\n")[0])
    debug = "show the traceback of an unexpected error instead of one line"
    ap.add_argument("--debug", action="store_true", help=debug)
    common = argparse.ArgumentParser(add_help=False)   # --debug after the command too
    common.add_argument("--debug", action="store_true", default=argparse.SUPPRESS,
                        help=debug)
    sub = ap.add_subparsers(dest="command", required=True)

    i = sub.add_parser("init", parents=[common],
                       help="write a params/ folder for a ticket export: "
                       "defaults.yaml, targets and benchmarks templates")
    i.add_argument("export", help="ticket export: CSV, Parquet or Excel")
    i.add_argument("--out", default="params", help="parameter folder to write (default: "
                   "params)")
    _loading_options(i)
    i.add_argument("--language", choices=["en", "zh"], default="en")
    i.add_argument("--baseline-periods", type=int, default=BASELINE_PERIODS, metavar="N",
                   help="complete periods each baseline averages (default: "
                   f"{BASELINE_PERIODS}; 1 = the last complete period alone)")
    i.add_argument("--force", action="store_true", help="overwrite existing files")
    i.set_defaults(func=_init)

    k = sub.add_parser("kpis", parents=[common],
                       help="compute the KPI table from a ticket export",
                       description="Compute the KPI table from a ticket export: one row "
                       "per team, period and KPI (team, period, kpi, value, n, numerator, "
                       "sd, complete). complete is False in the rows of a last period the "
                       "export covers only partly (its as-of time falls before the period's "
                       "end); a line says so when it happens. Exits 2, writing nothing, "
                       "when no ticket is left (e.g. all created after --as-of).")
    k.add_argument("tickets", help="ticket export: CSV, Parquet or Excel")
    _loading_options(k)
    k.add_argument("--out", required=True, help="output CSV")
    k.set_defaults(func=_kpis)

    d = sub.add_parser("demo-data", parents=[common],
                       help="generate the demo data set")
    d.add_argument("--out", default=str(config.DEMO_DIR))
    d.add_argument("--seed", type=int, default=2026)
    d.add_argument("--months", type=int, default=36)
    d.add_argument("--scale", type=float, default=1.0, help="ticket volume multiplier")
    d.set_defaults(func=_demo)

    r = sub.add_parser("run", parents=[common],
                       help="render every team's report and the index")
    r.add_argument("--params", default=str(config.PARAMS_DIR))
    r.add_argument("--teams", help="comma-separated team ids (default: all)")
    r.add_argument("--workers", type=int, default=None, help="parallel reports (default: cores)")
    r.add_argument("--out", default=str(config.REPORTS_DIR))
    r.add_argument("--only-failed", action="store_true",
                   help="re-run only the reports that failed last time")
    r.add_argument("--force", action="store_true",
                   help="re-run reports even when nothing they depend on changed")
    r.add_argument("--scheduler", metavar="ADDRESS",
                   help="run on an existing Dask distributed cluster (e.g. tcp://host:8786)")
    r.add_argument("--as-of", metavar="TIME", type=_timestamp,
                   help="when the exports were taken (overrides "
                   "as_of: in the parameters), e.g. 2024-03-31 or '2024-03-31 18:00'")
    r.set_defaults(func=_run)

    v = sub.add_parser("validate", parents=[common],
                       help="check a params/ folder and open every input it "
                       "names, as run will, without running anything",
                       description="Check a params/ folder and read every input it names "
                       "in full, through the loaders run uses (each ticket export once): "
                       "every problem at once, exit 2. Also lists targets and KPI-table "
                       "rows for teams no report is for.")
    v.add_argument("--params", default=str(config.PARAMS_DIR))
    v.set_defaults(func=_validate)
    return ap


def main(argv=None) -> int:
    config.tune_allocator()    # before any thread, before NumPy is imported
    try:
        args = build_parser().parse_args(argv)
    except SystemExit as exc:           # usage errors (status 2) and --help (0)
        return exc.code if isinstance(exc.code, int) else 2
    try:
        return args.func(args)
    except ServiceKPIError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except OSError as exc:          # last resort: a write failed (disk full, ...)
        if args.debug:
            raise
        where = exc.filename or getattr(args, "out", None)   # every command writes --out
        why = exc.strerror or _first_line(exc)
        print(f"servicekpi: cannot write {where}: {why}" if where else f"servicekpi: {why}",
              file=sys.stderr)
        return 2
    except Exception as exc:
        # Broad on purpose: the command line's last resort, so that a bug (or input
        # nothing checks yet) is one line on stderr and exit status 1, not a
        # traceback; the reason is printed (type and first line), --debug re-raises.
        if args.debug:
            raise
        print(f"servicekpi: unexpected error: {type(exc).__name__}: {_first_line(exc)} "
              "(re-run with --debug to see the traceback)", file=sys.stderr)
        return 1


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return (text.splitlines()[0] if text else "")[:300]


if __name__ == "__main__":
    sys.exit(main())
