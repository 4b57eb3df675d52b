"""Benchmark: servicekpi.compute_kpis against the same KPIs in DuckDB SQL.

Generates typed ticket sets in memory (as load_tickets returns them: nullable
integers and booleans, categorical team and channel), computes the monthly
KPI table with compute_kpis and with one DuckDB SQL query over the same data
(as an Arrow table, so DuckDB reads it without conversion), checks that both
agree, and prints the time ratio and compute_kpis' peak memory against the
in-memory size of the input columns.

Goals: within 2x of DuckDB's time at 10 million rows; peak memory under 3x
the input size.

    python benchmarks/bench_kpis.py                 # 1M and 10M rows
    python benchmarks/bench_kpis.py --rows 1000000  # one size
"""
from __future__ import annotations

import argparse
import gc
import json
import os
import time
import tracemalloc
from pathlib import Path

import numpy as np
import pandas as pd

from servicekpi import compute_kpis

HERE = Path(__file__).resolve().parent

SQL = """
WITH t AS (
  SELECT *,
    date_trunc('month', created_at) AS month,
    epoch(first_response_at - created_at) / 3600.0 AS frt,
    epoch(resolved_at - created_at) / 3600.0 AS res,
    CASE WHEN sla_met IS NOT NULL THEN sla_met::INT
         WHEN sla_due_at IS NULL THEN NULL
         WHEN resolved_at IS NOT NULL THEN (resolved_at <= sla_due_at)::INT
         WHEN sla_due_at < $as_of THEN 0 END AS sla,
    lead(created_at) OVER (PARTITION BY customer_id ORDER BY created_at, rn) AS next_created
  FROM tickets
)
SELECT team, month,
  count(*)::DOUBLE AS volume,
  avg(frt) AS avg_first_response_hours,
  median(frt) AS median_first_response_hours,
  avg(res) AS avg_resolution_hours,
  avg(CASE WHEN resolved_at IS NOT NULL AND contacts IS NOT NULL
           THEN (contacts = 1)::INT END) AS fcr_rate,
  avg(sla) AS sla_attainment,
  avg(CASE WHEN resolved_at IS NOT NULL THEN reopened::INT END) AS reopen_rate,
  avg(csat) AS csat_score,
  avg((csat >= 4)::INT) AS csat_pct,
  100 * avg(CASE WHEN nps >= 9 THEN 1 WHEN nps <= 6 THEN -1 WHEN nps IS NOT NULL THEN 0 END)
    AS nps,
  avg(ces) AS ces_score,
  avg(is_complaint::INT) AS complaint_rate,
  avg(abandoned::INT) AS abandonment_rate,
  avg((channel = 'self_service')::INT) AS self_service_rate,
  avg(CASE WHEN customer_id IS NOT NULL AND created_at + INTERVAL 7 DAY <= $as_of
           THEN (next_created IS NOT NULL
                 AND next_created - created_at <= INTERVAL 7 DAY)::INT END)
    AS repeat_contact_rate,
  avg(handle_minutes) AS aht_minutes
FROM t GROUP BY team, month
"""


def make_tickets(rows: int, seed: int = 1, teams: int = 20) -> pd.DataFrame:
    """Typed tickets over three years, vectorised (no per-row Python)."""
    rng = np.random.default_rng(seed)
    start = np.datetime64("2023-11-01T00:00:00", "s").astype("datetime64[ns]")
    span = np.int64(3 * 365 * 86400)
    created = start + (rng.integers(0, span, rows) * 1_000_000_000).astype("timedelta64[ns]")
    created.sort()

    def later(hours, missing):
        t = created + (hours * 3.6e12).astype("timedelta64[ns]")
        t[rng.random(rows) < missing] = np.datetime64("NaT")
        return t

    def nullable_int(low, high, missing):
        v = rng.integers(low, high + 1, rows).astype(float)
        v[rng.random(rows) < missing] = np.nan
        return pd.array(v, dtype="Float64").astype("Int64")

    def nullable_bool(p, missing):
        v = pd.array(rng.random(rows) < p, dtype="boolean")
        v[rng.random(rows) < missing] = pd.NA
        return v

    channels = np.array(["phone", "email", "chat", "web", "self_service"])
    return pd.DataFrame({
        "ticket_id": np.arange(rows),
        "team": pd.Categorical.from_codes(rng.integers(0, teams, rows),
                                          [f"team_{i:02d}" for i in range(teams)]),
        "created_at": created,
        "first_response_at": later(rng.lognormal(0.5, 1.0, rows), 0.03),
        "resolved_at": later(rng.lognormal(2.5, 1.0, rows) + 5, 0.05),
        "channel": pd.Categorical.from_codes(rng.integers(0, 5, rows), channels),
        "sla_due_at": later(np.full(rows, 24.0), 0.02),
        "sla_met": nullable_bool(0.85, 0.7),
        "contacts": nullable_int(1, 3, 0.02),
        "reopened": nullable_bool(0.06, 0.05),
        "is_complaint": nullable_bool(0.03, 0.0),
        "abandoned": nullable_bool(0.04, 0.0),
        "handle_minutes": np.round(rng.gamma(4.0, 3.0, rows), 1),
        "csat": nullable_int(1, 5, 0.75),
        "nps": nullable_int(0, 10, 0.85),
        "ces": nullable_int(1, 7, 0.85),
        "customer_id": rng.integers(0, max(rows // 4, 1), rows),
    })


def time_servicekpi(df: pd.DataFrame, as_of) -> tuple[float, pd.DataFrame, int]:
    gc.collect()
    tracemalloc.start()
    t0 = time.perf_counter()
    out = compute_kpis(df, freq="month", as_of=as_of)
    seconds = time.perf_counter() - t0
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return seconds, out, peak


def time_duckdb(df: pd.DataFrame, as_of) -> tuple[float, pd.DataFrame]:
    import duckdb
    import pyarrow as pa

    table = pa.Table.from_pandas(df.assign(rn=np.arange(len(df))), preserve_index=False)
    con = duckdb.connect()
    con.register("tickets", table)
    t0 = time.perf_counter()
    out = con.execute(SQL, {"as_of": pd.Timestamp(as_of).to_pydatetime()}).df()
    seconds = time.perf_counter() - t0
    con.close()
    return seconds, out


def compare(ours: pd.DataFrame, sql: pd.DataFrame) -> float:
    """Largest absolute difference between the two KPI tables."""
    wide = ours.pivot_table(index=["team", "period"], columns="kpi", values="value",
                            observed=True, dropna=False)
    sql = sql.assign(period=pd.to_datetime(sql["month"]).dt.to_period("M"))
    sql = sql.set_index(["team", "period"]).drop(columns="month")
    sql.index = sql.index.set_levels(sql.index.levels[0].astype(str), level=0)
    wide.index = wide.index.set_levels(wide.index.levels[0].astype(str), level=0)
    joined = wide.join(sql.add_suffix("_sql"), how="outer")
    worst = 0.0
    for k in wide.columns:
        d = (joined[k] - joined[f"{k}_sql"]).abs().max()
        worst = max(worst, float(d))
    return worst


def run(rows: int) -> dict:
    df = make_tickets(rows)
    as_of = df["created_at"].max()
    input_bytes = int(df.memory_usage(deep=True, index=False).sum())
    ours_s, ours, peak = time_servicekpi(df, as_of)
    ours_s2, _, _ = time_servicekpi(df, as_of)
    duck_s, sql = time_duckdb(df, as_of)
    duck_s2, _ = time_duckdb(df, as_of)
    best_ours, best_duck = min(ours_s, ours_s2), min(duck_s, duck_s2)
    return {
        "rows": rows,
        "servicekpi_s": round(best_ours, 3),
        "duckdb_s": round(best_duck, 3),
        "ratio": round(best_ours / best_duck, 2),
        "input_mb": round(input_bytes / 2**20, 1),
        "peak_mb": round(peak / 2**20, 1),
        "peak_over_input": round(peak / input_bytes, 2),
        "max_abs_difference": compare(ours, sql),
        "cores": os.cpu_count(),
    }


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--rows", type=int, nargs="*", default=[1_000_000, 10_000_000])
    args = ap.parse_args(argv)
    results = []
    print(f"{'rows':>11} {'servicekpi s':>13} {'duckdb s':>9} {'ratio':>6} "
          f"{'input MB':>9} {'peak MB':>8} {'peak/input':>10} {'max |diff|':>11}")
    for rows in args.rows:
        r = run(rows)
        results.append(r)
        print(f"{r['rows']:>11,} {r['servicekpi_s']:>13.2f} {r['duckdb_s']:>9.2f} "
              f"{r['ratio']:>6.2f} {r['input_mb']:>9.0f} {r['peak_mb']:>8.0f} "
              f"{r['peak_over_input']:>10.2f} {r['max_abs_difference']:>11.2e}", flush=True)
    print("goals: ratio <= 2.0 at 10M rows; peak/input < 3.0")
    out = HERE / "results"
    out.mkdir(exist_ok=True)
    (out / "bench_kpis.json").write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
