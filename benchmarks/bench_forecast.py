"""Benchmark: forecast accuracy of servicekpi.forecast(method="auto").

Compared with seasonal naive and Naive2 (the M-competition reference: naive
on seasonally adjusted data, re-seasonalised) on

- the demo data: every monthly team x KPI series (36 points; the last 6 held out);
- real monthly series shipped inside statsmodels' wheel (nothing downloaded):
  El Nino sea-surface temperatures 1950-2010 and Mauna Loa CO2 (weekly,
  averaged to months), cut into windows of 48 months with 12 held out.

Reported per data set and method: sMAPE and MASE (M4 definitions: MASE scaled
by the in-sample seasonal-naive error), and for "auto" the empirical coverage
of the 80% and 95% intervals.  Goals: auto better than Naive2 on both
measures; 80% intervals covering 75-85% of outcomes.  Also the time to
forecast 100 series of 36 monthly points (goal: under 60 s on 2 cores).

    python benchmarks/bench_forecast.py
"""
from __future__ import annotations

import os

# one numeric thread per worker process: the workers already use every core
for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import json
import time
import warnings
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np
import pandas as pd

from servicekpi.forecast import forecast

HERE = Path(__file__).resolve().parent
M = 12


def _seasonal_test(y: np.ndarray, m: int) -> bool:
    """M4's 90% autocorrelation test for seasonality at lag m."""
    if len(y) < 3 * m:
        return False
    from statsmodels.tsa.stattools import acf
    r = acf(y, nlags=m, fft=False)
    limit = 1.645 * np.sqrt((1 + 2 * np.sum(r[1:m] ** 2)) / len(y))
    return abs(r[m]) > limit


def naive2(y: np.ndarray, h: int, m: int = M) -> np.ndarray:
    """Naive forecast of the seasonally adjusted series, re-seasonalised."""
    if not _seasonal_test(y, m):
        return np.repeat(y[-1], h)
    from statsmodels.tsa.seasonal import seasonal_decompose
    model = "multiplicative" if np.min(y) > 0 else "additive"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        dec = seasonal_decompose(y, model=model, period=m)
    season = dec.seasonal[-m:]                          # the last full cycle of indices
    future = np.array([season[i % m] for i in range(h)])
    last_adj = y[-1] / season[-1] if model == "multiplicative" else y[-1] - season[-1]
    return last_adj * future if model == "multiplicative" else last_adj + future


def seasonal_naive(y: np.ndarray, h: int, m: int = M) -> np.ndarray:
    if len(y) < m:
        return np.repeat(y[-1], h)
    return np.array([y[len(y) - m + (i % m)] for i in range(h)])


def _scores(train, actual, pred, m=M):
    lag = m if len(train) > m else 1
    scale = np.mean(np.abs(train[lag:] - train[:-lag]))
    mase = np.mean(np.abs(actual - pred)) / scale if scale > 0 else np.nan
    denom = np.abs(actual) + np.abs(pred)
    smape = np.mean(200 * np.abs(actual - pred) / np.where(denom > 0, denom, 1.0))
    return smape, mase


def evaluate(task):
    """One series: scores of auto, seasonal naive and Naive2 (run in a worker)."""
    name, values, h, bounds = task
    y = np.asarray(values, float)
    train, actual = y[:-h], y[-h:]
    idx = pd.period_range("2000-01", periods=len(train), freq="M")
    f = forecast(pd.Series(train, index=idx), h, bounds=bounds)
    out = {"series": name, "model": f.attrs.get("model")}
    preds = {"auto": f["mean"].to_numpy(), "seasonal_naive": seasonal_naive(train, h),
             "naive2": naive2(train, h)}
    for meth, pred in preds.items():
        out[f"{meth}_smape"], out[f"{meth}_mase"] = _scores(train, actual, pred)
    for lev in (80, 95):
        lo, hi = f[f"lower_{lev}"].to_numpy(), f[f"upper_{lev}"].to_numpy()
        out[f"cover_{lev}"] = float(np.mean((actual >= lo) & (actual <= hi)))
    return out


def demo_tasks(h=6):
    from servicekpi import compute_kpis, load_catalogue, load_tickets
    from servicekpi.config import CATALOGUE, DEMO_DIR
    from servicekpi.demo import generate_demo

    if not (DEMO_DIR / "tickets.parquet").exists():
        generate_demo(DEMO_DIR)
    cat = load_catalogue(CATALOGUE)
    k = compute_kpis(load_tickets(DEMO_DIR / "tickets.parquet"))
    tasks = []
    for (team, kpi), g in k.groupby(["team", "kpi"], sort=True):
        v = g.sort_values("period")["value"].to_numpy(float)
        if kpi not in cat or cat[kpi].sign == 0 or np.isnan(v).any() or np.ptp(v) == 0:
            continue
        tasks.append((f"{team}/{kpi}", v, h, cat[kpi].bounds))
    return tasks


def public_tasks(h=12, length=48, step=24):
    from statsmodels.datasets import co2, elnino

    el = elnino.load_pandas().data.drop(columns="YEAR").to_numpy(float).ravel()
    c = co2.load_pandas().data["co2"]
    c = c.resample("MS").mean().interpolate().to_numpy(float)
    tasks = []
    for name, y in (("elnino", el), ("co2", c)):
        for start in range(0, len(y) - length + 1, step):
            tasks.append((f"{name}[{start}]", y[start:start + length], h, None))
    return tasks


def summarise(results: list[dict], label: str) -> dict:
    df = pd.DataFrame(results)
    row = {"data": label, "series": len(df)}
    for meth in ("auto", "seasonal_naive", "naive2"):
        row[f"{meth}_sMAPE"] = round(float(df[f"{meth}_smape"].mean()), 3)
        row[f"{meth}_MASE"] = round(float(df[f"{meth}_mase"].mean()), 3)
    row["coverage_80"] = round(float(df["cover_80"].mean()), 3)
    row["coverage_95"] = round(float(df["cover_95"].mean()), 3)
    row["models"] = df["model"].value_counts().to_dict()
    return row


def main():
    workers = os.cpu_count() or 1
    rows = []
    with ProcessPoolExecutor(workers) as pool:
        for label, tasks in (("demo KPIs (h=6)", demo_tasks()),
                             ("statsmodels elnino+co2 (h=12)", public_tasks())):
            rows.append(summarise(list(pool.map(evaluate, tasks, chunksize=4)), label))
        # speed: 100 series of 36 monthly points, horizon 12
        rng = np.random.default_rng(0)
        t = np.arange(36)
        speed = [(f"s{i}", 50 + 0.2 * i * t / 36 + 3 * np.sin(2 * np.pi * t / 12)
                  + rng.normal(0, 1, 36), 1, None) for i in range(100)]
        t0 = time.perf_counter()
        list(pool.map(_forecast_only, [s[1] for s in speed], chunksize=5))
        seconds = time.perf_counter() - t0
    for r in rows:
        print(f"\n{r['data']}: {r['series']} series")
        print(f"  {'method':<16}{'sMAPE':>8}{'MASE':>8}")
        for meth in ("auto", "seasonal_naive", "naive2"):
            print(f"  {meth:<16}{r[meth + '_sMAPE']:>8.3f}{r[meth + '_MASE']:>8.3f}")
        print(f"  auto interval coverage: 80% -> {r['coverage_80']:.1%}, "
              f"95% -> {r['coverage_95']:.1%}")
        print(f"  models chosen: {r['models']}")
    print(f"\n100 series x 36 monthly points, horizon 12: {seconds:.1f} s on {workers} workers")
    print("goals: auto below Naive2 on sMAPE and MASE; 80% coverage 75-85%; < 60 s")
    out = HERE / "results"
    out.mkdir(exist_ok=True)
    (out / "bench_forecast.json").write_text(json.dumps({"accuracy": rows,
                                                         "seconds_100_series": seconds},
                                                        indent=2, default=str))


def _forecast_only(values):
    idx = pd.period_range("2020-01", periods=len(values), freq="M")
    return forecast(pd.Series(values, index=idx), 12).attrs["model"]


if __name__ == "__main__":
    main()
