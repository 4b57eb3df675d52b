"""Benchmark: a Parquet export larger than a report needs in memory (50M rows by default).

Writes a ticket export of ``--rows`` rows (several years of a large contact
centre, 20 teams) as one Parquet file, written in chunks of 5M rows so that
generating it never holds the whole export, then measures, each in a fresh
process with its peak resident memory:

- ``servicekpi kpis EXPORT``: the export read, validated and its monthly KPI
  table computed (pandas; the loader reads the Parquet file by row groups and
  keeps only the columns it maps);
- DuckDB computing the same KPIs from the same file (``bench_ingest.DUCK``);
- with ``--run``: ``servicekpi run`` of every team's report and the overview
  on it (params: the demo catalogue, no targets or benchmarks), and the peak
  RSS of each report kernel: each reads its own team's slice of the prepared
  tickets, not the export.

The goal of the speed issue: the 50M-row case completes within this
machine's memory (24 GB); its time and peak memory are reported.

    python benchmarks/bench_large.py [--rows 50000000] [--run]
"""
from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from bench_ingest import DUCK, _isolated  # noqa: E402
from bench_kpis import SQL, make_tickets  # noqa: E402

CHUNK = 5_000_000


def write_export(rows: int, path: Path) -> Path:
    """``rows`` tickets in chunks of :data:`CHUNK` (ids unique, each chunk three
    years of tickets of the same 20 teams), one Parquet file."""
    writer = None
    done = 0
    while done < rows:
        n = min(CHUNK, rows - done)
        df = make_tickets(n, seed=1 + done // CHUNK)
        df["ticket_id"] += done
        table = pa.Table.from_pandas(df, preserve_index=False)
        if writer is None:
            writer = pq.ParquetWriter(path, table.schema)
        writer.write_table(table, row_group_size=1 << 20)
        done += n
        del df, table
    writer.close()
    return path


def write_params(root: Path, export: Path) -> Path:
    from servicekpi import config

    params = root / "params"
    (params / "teams").mkdir(parents=True)
    shutil.copy(config.CATALOGUE, params / "catalogue.yaml")
    (params / "defaults.yaml").write_text(
        f"tickets: {export}\ncatalogue: catalogue.yaml\nteams: auto\n")
    return params


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--rows", type=int, default=50_000_000)
    ap.add_argument("--run", action="store_true", help="also servicekpi run on it")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--export", type=Path,
                    help="the export to use: written there if missing, kept afterwards")
    ap.add_argument("--skip", nargs="*", default=[], choices=["kpis", "duckdb"],
                    help="measurements to leave out (e.g. to time only --run again)")
    args = ap.parse_args(argv)
    results = {"rows": args.rows}
    with tempfile.TemporaryDirectory(prefix="bench-large-") as tmp:
        tmp = Path(tmp)
        export = args.export or tmp / "export.parquet"
        if not export.exists():
            write_export(args.rows, export)
        results["rows"] = pq.ParquetFile(export).metadata.num_rows
        results["file_mb"] = round(export.stat().st_size / 2**20)
        print(f"{results['rows']:,} rows, Parquet {results['file_mb']:,} MB", flush=True)
        bin_ = Path(sys.executable).with_name("servicekpi")
        if "kpis" not in args.skip:
            s, mb = _isolated([str(bin_), "kpis", str(export), "--out", str(tmp / "ours.csv")])
            results.update(servicekpi_kpis_s=round(s, 1), servicekpi_kpis_peak_mb=round(mb))
            print(f"servicekpi kpis: {s:.1f} s, peak {mb:,.0f} MB", flush=True)
        if "duckdb" not in args.skip:
            (tmp / "kpis.sql").write_text(SQL)
            s, mb = _isolated([sys.executable, "-c", DUCK, str(export), str(tmp / "duck.csv"),
                               str(tmp / "kpis.sql")])
            results.update(duckdb_s=round(s, 1), duckdb_peak_mb=round(mb))
            print(f"duckdb: {s:.1f} s, peak {mb:,.0f} MB", flush=True)
        if args.run:
            from bench_runner import check_pages, measure
            from servicekpi.teams import team_id
            params = write_params(tmp, export)
            out = tmp / "out"
            try:
                m = measure([bin_, "run", "--params", params, "--out", out, "--workers",
                             args.workers, "--force"], tmp / "run.log")
                # the teams from the team column alone (load_params would read the export)
                teams = pq.read_table(export, columns=["team"]).column(0).unique()
                check_pages(out, sorted({team_id(t) for t in teams.to_pylist()}))
            except RuntimeError as exc:          # the run failed: say so, keep the figures
                results["run_error"] = str(exc)
                print(f"servicekpi run FAILED: {exc}", flush=True)
            else:
                results.update(run_s=round(m.seconds, 1), run_cpu_s=round(m.cpu_s, 1),
                               run_kernels=m.kernels(), run_rest_peak_mb=round(m.rest_mb))
                print(f"servicekpi run: {m.seconds:.1f} s ({m.cpu_s:.0f} CPU-s); report "
                      f"kernels' peak RSS {m.kernels()}; the runner and its workers' peak "
                      f"{m.rest_mb:,.0f} MB (summed)", flush=True)
    print("goal (speed issue): the 50M-row case completes within 24 GB")
    (HERE / "results").mkdir(exist_ok=True)
    (HERE / "results" / "bench_large.json").write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
