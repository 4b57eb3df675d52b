"""The ``servicekpi`` command line.

    servicekpi kpis TICKETS [--mapping FILE] [--period month|week|quarter] --out FILE.csv
    servicekpi demo-data --out DIR [--seed N]
    servicekpi run [--params DIR] [--teams a,b] [--workers N] [--out DIR] [--only-failed]
                   [--force] [--scheduler ADDRESS]
    servicekpi validate [--params DIR]

Bad input exits with status 2 and the error message, no traceback.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from . import config
from .errors import ServiceKPIError


def _kpis(args) -> int:
    from .kpis import compute_kpis
    from .periods import labels
    from .tickets import data_quality, load_tickets

    tickets = load_tickets(args.tickets, args.mapping, errors=args.errors)
    table = compute_kpis(tickets, args.period)
    table = table.assign(period=labels(table["period"]))
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    table.to_csv(out, index=False)
    q = data_quality(tickets)
    print(f"{len(tickets):,} tickets, {table['team'].nunique()} teams, "
          f"{table['kpi'].nunique()} KPIs -> {out} ({len(table):,} rows)")
    for r in q.itertuples():
        if r.severity != "info":
            print(f"  data quality ({r.severity}): {r.check}"
                  f"{' in ' + str(r.column) if isinstance(r.column, str) else ''}: "
                  f"{r.rows:,} rows - {r.detail}")
    return 0


def _demo(args) -> int:
    from .demo import generate_demo

    paths = generate_demo(args.out, seed=args.seed, months=args.months, scale=args.scale)
    for name, p in paths.items():
        print(f"{name:>10}: {p}")
    return 0


def _run(args) -> int:
    from .runner import run_reports

    teams = [t.strip() for t in args.teams.split(",") if t.strip()] if args.teams else None
    summary = run_reports(args.params, args.out, teams=teams, workers=args.workers,
                          force=args.force, only_failed=args.only_failed,
                          scheduler=args.scheduler)
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
    from .params import load_params

    teams = load_params(args.params)
    print(f"{args.params}: {len(teams)} team parameter files ok "
          f"({', '.join(p.team for p in teams)})")
    return 0


def build_parser() -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(prog="servicekpi", description=__doc__.split("\n")[0])
    sub = ap.add_subparsers(dest="command", required=True)

    k = sub.add_parser("kpis", help="compute the KPI table from a ticket export")
    k.add_argument("tickets", help="ticket export: CSV, Parquet or Excel")
    k.add_argument("--mapping", help="column mapping: preset name or YAML file")
    k.add_argument("--period", choices=["month", "week", "quarter"], default="month")
    k.add_argument("--errors", choices=["raise", "drop"], default="raise",
                   help="refuse the file on bad rows (default), or drop them and report")
    k.add_argument("--out", required=True, help="output CSV")
    k.set_defaults(func=_kpis)

    d = sub.add_parser("demo-data", help="generate the demo data set")
    d.add_argument("--out", default=str(config.DEMO_DIR))
    d.add_argument("--seed", type=int, default=2026)
    d.add_argument("--months", type=int, default=36)
    d.add_argument("--scale", type=float, default=1.0, help="ticket volume multiplier")
    d.set_defaults(func=_demo)

    r = sub.add_parser("run", help="render every team's report and the index")
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
    r.set_defaults(func=_run)

    v = sub.add_parser("validate", help="check a params/ folder without running anything")
    v.add_argument("--params", default=str(config.PARAMS_DIR))
    v.set_defaults(func=_validate)
    return ap


def main(argv=None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except ServiceKPIError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
