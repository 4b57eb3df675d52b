"""Benchmark: `servicekpi run` against a plain loop of the papermill and
jupyter nbconvert command lines over the same notebooks and parameters.

Two workloads: the 8 demo teams (params/ on data/demo, generated if missing)
and 32 generated teams (4 copies of each demo profile, at a quarter of the
demo volume).  Both are timed from cold (``--force``, fresh output folder)
and include the leadership overview.  Goal: ``servicekpi run`` at least 2x
faster than the plain loop on this 2-core machine.

    python benchmarks/bench_runner.py [--only demo|32]
"""
from __future__ import annotations

import argparse
import dataclasses
import json
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

from servicekpi import config
from servicekpi.demo import TEAMS, benchmarks, generate_demo, generate_tickets, kpi_table, targets
from servicekpi.kpis import compute_kpis
from servicekpi.params import load_params

BIN = Path(sys.executable).parent
HERE = Path(__file__).resolve().parent


def demo_params() -> Path:
    if not (config.DEMO_DIR / "tickets.parquet").exists():
        generate_demo(config.DEMO_DIR)
    return config.PARAMS_DIR


def many_teams(root: Path, copies: int = 4, scale: float = 0.25) -> Path:
    """A data set and params/ folder with len(TEAMS) x copies teams."""
    import pandas as pd

    teams = tuple(dataclasses.replace(t, team=f"{t.team}_{i}", name=f"{t.name} {i}")
                  for i in range(1, copies + 1) for t in TEAMS)
    data = root / "data"
    data.mkdir(parents=True)
    tickets = generate_tickets(7, scale=scale, teams=teams)
    tickets.to_parquet(data / "tickets.parquet", index=False)
    months = pd.period_range("2023-11", "2026-10", freq="M")
    kpi_table(7, teams, months).to_csv(data / "kpi_table.csv", index=False)
    benchmarks().to_csv(data / "benchmarks.csv", index=False)
    targets(compute_kpis(tickets), teams, pd.Period("2025-12", "M"),
            pd.Period("2026-12", "M")).to_csv(data / "targets.csv", index=False)
    params = root / "params"
    (params / "teams").mkdir(parents=True)
    shutil.copy(config.CATALOGUE, params / "catalogue.yaml")
    (params / "defaults.yaml").write_text(
        "tickets: ../data/tickets.parquet\nkpi_table: ../data/kpi_table.csv\n"
        "benchmarks: ../data/benchmarks.csv\ntargets: ../data/targets.csv\n"
        "catalogue: catalogue.yaml\n")
    for t in teams:
        (params / "teams" / f"{t.team}.yaml").write_text(
            f"team: {t.team}\ndisplay_name: {t.name}\n")
    return params


def time_runner(params: Path, out: Path) -> float:
    t0 = time.perf_counter()
    subprocess.run([str(BIN / "servicekpi"), "run", "--params", str(params), "--out", str(out),
                    "--force"], check=True, capture_output=True)
    return time.perf_counter() - t0


def time_plain_loop(params: Path, out: Path) -> float:
    """papermill + nbconvert command lines, one report after the other."""
    out.mkdir(parents=True)
    jobs = []
    for p in load_params(params):
        f = out / f"{p.team}.yaml"
        f.write_text(yaml.safe_dump(p.notebook_parameters()))
        jobs.append((config.TEAM_NOTEBOOK, f, out / f"{p.team}.ipynb"))
    ov = out / "overview.yaml"
    ov.write_text(yaml.safe_dump({"params_dir": str(params)}))
    jobs.append((config.OVERVIEW_NOTEBOOK, ov, out / "overview.ipynb"))
    t0 = time.perf_counter()
    for nb, prm, result in jobs:
        subprocess.run([str(BIN / "papermill"), str(nb), str(result), "-f", str(prm),
                        "--no-progress-bar", "-k", "python3"], check=True, capture_output=True,
                       cwd=str(nb.parent))
        subprocess.run([str(BIN / "jupyter"), "nbconvert", "--to", "html", "--no-input",
                        str(result)], check=True, capture_output=True)
    return time.perf_counter() - t0


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--only", choices=["demo", "32"])
    args = ap.parse_args(argv)
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        work = []
        if args.only in (None, "demo"):
            work.append(("8 demo teams", demo_params()))
        if args.only in (None, "32"):
            work.append(("32 generated teams", many_teams(tmp / "many")))
        for label, params in work:
            n = len(load_params(params)) + 1
            runner = time_runner(params, tmp / f"runner-{len(rows)}")
            loop = time_plain_loop(params, tmp / f"loop-{len(rows)}")
            rows.append({"workload": label, "reports": n, "servicekpi_run_s": round(runner, 1),
                         "plain_loop_s": round(loop, 1), "speedup": round(loop / runner, 2),
                         "s_per_report_run": round(runner / n, 2),
                         "s_per_report_loop": round(loop / n, 2)})
            r = rows[-1]
            print(f"{label}: {n} reports (incl. overview): servicekpi run {runner:.1f} s "
                  f"({r['s_per_report_run']:.1f} s/report), plain loop {loop:.1f} s "
                  f"({r['s_per_report_loop']:.1f} s/report), speed-up {r['speedup']:.2f}x",
                  flush=True)
    print("goal: speed-up >= 2x")
    (HERE / "results").mkdir(exist_ok=True)
    (HERE / "results" / "bench_runner.json").write_text(json.dumps(rows, indent=2))


if __name__ == "__main__":
    main()
