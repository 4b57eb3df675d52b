"""Small KPI tables for the analysis tests, built by hand."""
import numpy as np
import pandas as pd


def kpi_rows(rows):
    """rows: (team, period, kpi, value, n[, numerator][, sd]) -> long KPI table."""
    out = []
    for r in rows:
        team, period, kpi, value, n, *rest = r
        numerator = rest[0] if len(rest) > 0 else np.nan
        sd = rest[1] if len(rest) > 1 else np.nan
        out.append({"team": team, "period": pd.Period(period, "M"), "kpi": kpi,
                    "value": value, "n": n, "numerator": numerator, "sd": sd})
    return pd.DataFrame(out).astype({"period": pd.PeriodDtype("M")})


def series(team, kpi, start, values, n=1000, rate=True, sd=np.nan):
    p0 = pd.Period(start, "M")
    return [(team, str(p0 + i), kpi, v, n, v * n if rate else np.nan, sd)
            for i, v in enumerate(values) if v is not None]


def targets(rows):
    """rows: (team, kpi, baseline, baseline_period, target, deadline[, milestones, weight])."""
    out = []
    for r in rows:
        team, kpi, b, bp, t, d, *rest = r
        out.append({"team": team, "kpi": kpi, "baseline": b,
                    "baseline_period": pd.Period(bp, "M"), "target": t,
                    "deadline": pd.Period(d, "M"),
                    "milestones": {pd.Period(k, "M"): v for k, v in (rest[0] if rest else {}).items()},
                    "weight": rest[1] if len(rest) > 1 else 1.0, "owner": "o"})
    return pd.DataFrame(out)
