"""Gap analysis: where each team stands against its targets now.

:func:`gap_table` gives one row per target (team and KPI).  Every sign is
direction-aware: ``gap`` is positive while there is still distance to go,
whether the KPI should rise (FCR) or fall (response time).

Status rule (``status_rule`` says which branch applied):

1. ``insufficient_data`` -- no value at or before the as-of period, or the
   current value rests on fewer than ``min_n`` observations.
2. ``met`` -- the current value is at or better than the target.
3. Deadline passed and not met: ``at_risk`` if the shortfall is within the
   current value's confidence interval (noise), else ``off_track``.
4. ``on_track`` -- at or ahead of the glide path (the expected value now).
5. ``at_risk`` -- behind the glide path, but the recent pace (OLS trend of
   the last ``pace_periods`` periods) would reach the target by the deadline.
6. ``at_risk`` -- behind the glide path by less than the noise: the glide
   value lies inside the confidence interval of the current value.
7. ``off_track`` -- behind the glide path by more than the noise, and the
   recent pace would not reach the target by the deadline.

With ``rule="forecast"``, steps 3-7 are replaced by the forecast's
probability of meeting the target by the deadline (see
:func:`servicekpi.forecast.target_outlook`): ``on_track`` when it is at least
the upper threshold (0.7), ``at_risk`` between the thresholds, ``off_track``
below the lower one (0.3).  Where the forecast cannot be made (too little
history) the glide-path rule is used, and ``status_rule`` says so.

Confidence intervals: Wilson for proportions (KPIs with a numerator), t for
means (KPIs with a standard deviation); none otherwise (a median, or a KPI
table value without ``sd``), in which case rule 6 cannot apply.
"""
from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats
from statsmodels.stats.proportion import proportion_confint

from .catalogue import Catalogue, resolve
from .targets import glide_path, trend_slope

STATUSES = ("met", "on_track", "at_risk", "off_track", "insufficient_data")


def confidence_interval(value, n, numerator=np.nan, sd=np.nan, level: float = 0.95
                        ) -> tuple[float, float]:
    """CI of one KPI value: Wilson for a proportion, t for a mean, else NaNs."""
    alpha = 1 - level
    if np.isfinite(numerator) and np.isfinite(n) and n > 0:
        lo, hi = proportion_confint(numerator, n, alpha=alpha, method="wilson")
        return float(lo), float(hi)
    if np.isfinite(sd) and np.isfinite(n) and n > 1:
        half = stats.t.ppf(1 - alpha / 2, n - 1) * sd / np.sqrt(n)
        return float(value - half), float(value + half)
    return np.nan, np.nan


def _as_of(kpis: pd.DataFrame, as_of) -> pd.Period:
    if as_of is None:
        return kpis.loc[kpis["value"].notna(), "period"].max()
    freq = kpis["period"].dtype.freq if isinstance(kpis["period"].dtype, pd.PeriodDtype) \
        else None
    return pd.Period(as_of, freq=freq) if not isinstance(as_of, pd.Period) else as_of


def gap_table(kpis: pd.DataFrame, targets: pd.DataFrame, as_of=None, *,
              catalogue: Catalogue | None = None, pace_periods: int = 6, min_n: int = 20,
              level: float = 0.95, rule: str = "glide", thresholds=(0.3, 0.7),
              forecast_options: dict | None = None) -> pd.DataFrame:
    """One row per target: current value against baseline, glide path and target.

    Parameters
    ----------
    kpis : DataFrame
        Long KPI table (``team, period, kpi, value, n`` [, ``numerator``, ``sd``]).
    targets : DataFrame or None
        From :func:`servicekpi.load_targets`; None (no targets) gives an
        empty table with every column.
    as_of : period, optional
        The period to assess (default: the latest period with data).
    catalogue : Catalogue, optional
        Directions and labels (default: the project's catalogue).
    pace_periods : int
        Periods in the recent-pace trend.
    min_n : int
        Fewer observations behind the current value: ``insufficient_data``.
    level : float
        Confidence level of the interval around the current value.
    rule : {"glide", "forecast"}
        Status from the glide path and recent pace, or from the forecast's
        probability of meeting the target (adds ``probability``,
        ``forecast_at_deadline``, ``expected_reached`` and ``model``).
    thresholds : (low, high)
        Probability thresholds of the forecast rule.
    forecast_options : dict, optional
        Passed to :func:`servicekpi.forecast.target_outlook` (``n_paths``,
        ``seed``, ``method``, ...).

    Returns
    -------
    DataFrame with, per target: ``current`` (and its ``current_period``,
    ``n``, ``ci_low``, ``ci_high``), ``baseline``, ``target``, ``deadline``,
    ``glide_now``, ``gap`` and ``gap_pct`` (positive = still to go; percent
    of the target), ``progress`` (share of the baseline-to-target distance
    covered), ``attainment`` (current / target, inverted for lower-is-better
    KPIs; only when both are positive), ``periods_left``, ``needed_pace``
    (improvement per period still needed) against ``recent_pace``,
    ``projected`` (value at the deadline at the recent pace), ``status`` and
    ``status_rule``.  See the module docstring for the status rule.
    """
    if rule not in ("glide", "forecast"):
        raise ValueError("rule must be 'glide' or 'forecast'")
    lo_t, hi_t = thresholds
    if not 0 <= lo_t <= hi_t <= 1:
        raise ValueError("thresholds must satisfy 0 <= low <= high <= 1")
    cat = resolve(catalogue)
    rows = []
    cols = ["team", "kpi", "label", "direction", "as_of", "current_period", "current", "n",
            "ci_low", "ci_high", "baseline", "baseline_period", "target", "deadline",
            "glide_now", "gap", "gap_pct", "progress", "attainment", "periods_left",
            "needed_pace", "recent_pace", "projected", "status", "status_rule", "weight",
            "owner"]
    if rule == "forecast":
        cols += ["probability", "forecast_at_deadline", "expected_reached", "model"]
    if targets is None or len(targets) == 0:
        return pd.DataFrame(columns=cols)
    now = _as_of(kpis, as_of)
    for t in targets.itertuples(index=False):
        d = cat[t.kpi]
        sign = d.sign
        mine = kpis[(kpis["team"] == t.team) & (kpis["kpi"] == t.kpi)
                    & (kpis["period"] <= now) & kpis["value"].notna()].sort_values("period")
        row = {"team": t.team, "kpi": t.kpi, "label": d.label, "direction": d.direction,
               "as_of": now, "baseline": t.baseline, "baseline_period": t.baseline_period,
               "target": t.target, "deadline": t.deadline,
               "weight": getattr(t, "weight", 1.0), "owner": getattr(t, "owner", None)}
        row["glide_now"] = float(glide_path(t._asdict(), [now]).iloc[0])
        row["periods_left"] = pd.Period(t.deadline).ordinal - now.ordinal
        if mine.empty:
            rows.append({**row, "status": "insufficient_data",
                         "status_rule": f"no value for {t.kpi} at or before {now}"})
            continue
        last = mine.iloc[-1]
        cur = float(last["value"])
        n = float(last["n"]) if pd.notna(last.get("n")) else np.nan
        lo, hi = confidence_interval(cur, n, float(last.get("numerator", np.nan)),
                                     float(last.get("sd", np.nan)), level)
        series = pd.Series(mine["value"].to_numpy(float), index=pd.PeriodIndex(mine["period"]))
        slope, _, _ = trend_slope(series.tail(pace_periods))
        gap = sign * (t.target - cur)
        left = row["periods_left"]
        row.update({
            "current_period": last["period"], "current": cur, "n": n,
            "ci_low": lo, "ci_high": hi,
            "gap": gap,
            "gap_pct": 100 * gap / abs(t.target) if t.target != 0 else np.nan,
            "progress": (cur - t.baseline) / (t.target - t.baseline),
            "attainment": (np.nan if cur <= 0 or t.target <= 0 else
                           (cur / t.target if sign > 0 else t.target / cur)),
            "needed_pace": gap / left if left > 0 else np.nan,
            "recent_pace": sign * slope if np.isfinite(slope) else np.nan,
            "projected": cur + slope * left if np.isfinite(slope) and left > 0 else np.nan,
        })
        row["status"], row["status_rule"] = _status(row, sign, min_n, level)
        if rule == "forecast" and row["status"] not in ("insufficient_data", "met"):
            _forecast_status(row, series, t, d, thresholds, forecast_options or {})
        rows.append(row)
    return pd.DataFrame(rows, columns=cols)


def _status(r: dict, sign: int, min_n: int, level: float) -> tuple[str, str]:
    n, cur = r["n"], r["current"]
    if np.isfinite(n) and n < min_n:
        return "insufficient_data", f"n = {n:.0f} observations, below the minimum of {min_n}"
    noise = f"{level:.0%} confidence interval"
    if r["gap"] <= 0:
        return "met", "current value at or better than the target"
    has_ci = np.isfinite(r["ci_low"])
    if r["periods_left"] <= 0:
        if has_ci and r["ci_low"] <= r["target"] <= r["ci_high"]:
            return "at_risk", f"deadline passed; target within the {noise} of the current value"
        return "off_track", "deadline passed and target not met"
    behind = sign * (r["glide_now"] - cur)
    if behind <= 0:
        return "on_track", "at or ahead of the glide path"
    pace, needed = r["recent_pace"], r["needed_pace"]
    if np.isfinite(pace) and pace >= needed:
        return "at_risk", ("behind the glide path, but the recent pace would reach the "
                           "target by the deadline")
    if has_ci and r["ci_low"] <= r["glide_now"] <= r["ci_high"]:
        return "at_risk", f"behind the glide path by less than the noise ({noise})"
    why = "no recent trend" if not np.isfinite(pace) else "the recent pace would not reach the target"
    return "off_track", f"behind the glide path by more than the noise, and {why}"


def _forecast_status(row: dict, series: pd.Series, t, d, thresholds, options: dict) -> None:
    """Replace the glide-path status by the forecast's, in place."""
    from .forecast import target_outlook

    if row["periods_left"] <= 0:
        return  # deadline passed: the observed value decides (glide rule, step 3)
    o = target_outlook(series, t.target, t.deadline, d.direction, bounds=d.bounds, **options)
    row.update(probability=o["probability"], forecast_at_deadline=o["forecast"],
               expected_reached=o["expected_reached"], model=o["model"])
    p = o["probability"]
    if not np.isfinite(p):
        row["status_rule"] = f"glide-path rule (forecast: {o['status']}): {row['status_rule']}"
        return
    low, high = thresholds
    status = "on_track" if p >= high else "at_risk" if p >= low else "off_track"
    cmp = (f">= {high:.2f}" if p >= high else f"between {low:.2f} and {high:.2f}" if p >= low
           else f"< {low:.2f}")
    row["status"] = status
    row["status_rule"] = (f"forecast ({o['model']}): P(target met by the deadline) = "
                          f"{p:.2f} {cmp}")
