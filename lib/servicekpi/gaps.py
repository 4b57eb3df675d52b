"""Gap analysis: where each team stands against its targets, and whether it
will meet them.

:func:`gap_table` gives one row per target (team and KPI).  Every sign is
direction-aware: ``gap`` is positive while there is still distance to go,
whether the KPI should rise (FCR) or fall (response time).

A target asks one question: will the KPI's value *in the deadline period*
be at or better than the target?  The status answers it (``status_rule``
says which branch applied); :data:`STATUSES` lists them all.

Only the assessable rows count (:func:`servicekpi.kpis.assessable`): a
duration period with too many tickets still open is incomplete, and is left
out of statuses and forecasts (``status_rule`` names the periods left out,
the first :data:`SHOWN_LEFT_OUT` of them).  The *current* value is the
latest assessable one.

1. ``insufficient_data`` -- no value at or before the as-of period.
2. The deadline period is at or before the as-of period (the deadline has
   passed) and assessable: its observed value decides.  ``met`` when it is
   at or better than the target, ``missed`` when not (``status_rule`` says
   whether the shortfall is within the ``level`` confidence interval of
   that value, i.e. could be noise).  ``insufficient_data`` when the
   deadline period has no value or rests on fewer than ``min_n``
   observations.
   A deadline period that has a value but is left out as incomplete (too
   many of its tickets still open) is not over yet for the KPI: its status
   comes from the forecast, as in 5, simulated from the last assessable
   period before it to the deadline (``status_rule`` says so, with the
   share of its tickets still open).
3. Otherwise, the current value is stale -- from more than ``max_stale``
   periods before the as-of period (say, a duration KPI whose tickets never
   close): ``insufficient_data``; it would drive the forecast from a value
   long gone (``status_rule`` names its period).
4. The current value rests on fewer than ``min_n`` observations:
   ``insufficient_data``.
5. The deadline is ahead (``rule="forecast"``, the default): the series is
   simulated once to the deadline (:func:`servicekpi.forecast.simulate`)
   and ``probability`` is the share of paths at or better than the target
   in the deadline period: ``on_track`` when it is at least the upper
   threshold (0.7), ``at_risk`` between the thresholds, ``off_track``
   below the lower one (0.3).  A value better than the target *now* does
   not make a target met: ``better_now`` says so separately (a seasonal
   low now can be followed by a peak at the deadline).
6. Where no forecast can be made (too little history), or with
   ``rule="glide"``, the glide-path rule decides (``status_rule`` says
   so): ``on_track`` at or ahead of the glide path (the value expected by
   now); ``at_risk`` behind it but with a recent pace (OLS trend of the
   last ``pace_periods`` periods) that would reach the target by the
   deadline, or behind by less than the noise (the glide value inside the
   confidence interval of the current value); ``off_track`` otherwise.

"met" and "missed" therefore only appear once the deadline period is
observed and complete; before that every status is a statement about the
deadline.

One simulation per target: ``probability``, ``forecast_at_deadline`` (the
median of the paths in the deadline period), ``lower_80``/``upper_80``/
``lower_95``/``upper_95`` (their central 80% and 95%), ``expected_reached``
and ``model`` come from the same :class:`~servicekpi.forecast.Simulation`,
kept in ``attrs["simulations"][(team, kpi)]`` for the report's outlook
table and fan chart.  ``expected_reached`` is the first period from which
the expected path (the last observed value, then the median path) is at or
better than the target in every period through the deadline; None means
"not by the deadline", and it is set exactly when the median forecast at
the deadline meets the target.

Confidence intervals: Wilson for proportions (KPIs with a numerator), t for
means (KPIs with a standard deviation); none otherwise (a median, or a KPI
table value without ``sd``).  ``attrs["level"]`` gives their level.
"""
from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats
from statsmodels.stats.proportion import proportion_confint

from .catalogue import Catalogue, resolve
from .targets import glide_path, trend_slope

#: Every status a target can have, in the order reports show them.
STATUSES = ("met", "missed", "on_track", "at_risk", "off_track", "insufficient_data")

#: Defaults of :func:`gap_table` (the report texts quote them from here):
#: probability thresholds of the forecast rule (off track below the first,
#: on track from the second), the fewest observations behind a deciding
#: value, the confidence level, and how many periods old the current value
#: may be before it is too stale to assess from.
THRESHOLDS = (0.3, 0.7)
MIN_N = 20
LEVEL = 0.95
MAX_STALE = 3

#: How many left-out periods ``status_rule`` names (then "+N more").
SHOWN_LEFT_OUT = 3

#: The columns read from a target's simulation (NaN/None when there is none).
FORECAST_COLUMNS = ("probability", "forecast_at_deadline", "lower_80", "upper_80",
                    "lower_95", "upper_95", "expected_reached", "model")

COLUMNS = ("team", "kpi", "label", "direction", "as_of", "current_period", "current", "n",
           "ci_low", "ci_high", "better_now", "baseline", "baseline_period", "baseline_periods", "target",
           "deadline", "deadline_value", "glide_now", "gap", "gap_pct", "progress",
           "attainment", "periods_left", "needed_pace", "recent_pace", "projected", "status",
           "status_rule", *FORECAST_COLUMNS, "weight", "owner")


class Simulations(dict):
    """``{(team, kpi): Simulation}``, shared (not copied) by the frames derived
    from a gap table: pandas deep-copies ``attrs`` on every operation, and a
    simulation is read-only, so every copy points at the same paths."""

    def __deepcopy__(self, memo):
        return self


def ci_label(level: float = LEVEL) -> str:
    """A confidence interval's label with its level: ``95% CI``, ``97.5% CI``."""
    return f"{level * 100:g}% CI"


def confidence_interval(value, n, numerator=np.nan, sd=np.nan, level: float = LEVEL
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


def _assessable(kpis: pd.DataFrame, max_open_share=None) -> pd.DataFrame:
    """:func:`servicekpi.kpis.assessable`, with its own default threshold."""
    from .kpis import assessable
    return assessable(kpis) if max_open_share is None else assessable(kpis, max_open_share)


def _left_out_note(periods) -> str:
    """`` (2026-08, 2026-09, 2026-10 +2 more left out: incomplete, ...)``, or ""."""
    if not periods:
        return ""
    shown = ", ".join(map(str, periods[:SHOWN_LEFT_OUT]))
    more = len(periods) - SHOWN_LEFT_OUT
    shown += f" +{more} more" if more > 0 else ""
    return f" ({shown} left out: incomplete, too many tickets still open)"


def _num(row, col) -> float:
    v = row.get(col, np.nan)
    return float(v) if pd.notna(v) else np.nan


def gap_table(kpis: pd.DataFrame, targets: pd.DataFrame, as_of=None, *,
              catalogue: Catalogue | None = None, pace_periods: int = 6, min_n: int = MIN_N,
              level: float = LEVEL, rule: str = "forecast", thresholds=THRESHOLDS,
              forecast_options: dict | None = None,
              max_open_share: float | None = None, max_stale: int = MAX_STALE
              ) -> pd.DataFrame:
    """One row per target: current value, the outlook at the deadline, and its status.

    Parameters
    ----------
    kpis : DataFrame
        Long KPI table (``team, period, kpi, value, n`` [, ``numerator``,
        ``sd``, ``open_share``]).  Only the assessable rows are used
        (:func:`servicekpi.kpis.assessable`).
    targets : DataFrame or None
        From :func:`servicekpi.load_targets`; None (no targets) gives an
        empty table with every column.
    as_of : period, optional
        The period to assess (default: the latest period with data).
    catalogue : Catalogue, optional
        Directions, bounds and labels (default: the project's catalogue).
    pace_periods : int
        Periods in the recent-pace trend.
    min_n : int
        Fewer observations behind the value that decides: ``insufficient_data``.
    level : float
        Confidence level of the interval around the current (and the
        deadline) value; ``attrs["level"]``.
    rule : {"forecast", "glide"}
        While the deadline is ahead: status from the probability that the
        deadline period's value meets the target (one simulation per target),
        or from the glide path and recent pace (no simulation).
    thresholds : (low, high)
        Probability thresholds of the forecast rule.
    forecast_options : dict, optional
        Passed to :func:`servicekpi.forecast.simulate` (``n_paths``,
        default 1000, ``seed``, ``method``, ``calibrate``, ...).
    max_open_share : float, optional
        Passed to :func:`servicekpi.kpis.assessable` (default: its own).
    max_stale : int
        A current value from more than this many periods before the as-of
        period is too old to assess or forecast from: ``insufficient_data``
        (unless the deadline period is observed and decides).

    Returns
    -------
    DataFrame with, per target: ``current`` (and its ``current_period``,
    ``n``, ``ci_low``, ``ci_high``), ``better_now`` (the current value is at
    or better than the target), ``baseline``, ``target``, ``deadline``,
    ``deadline_value`` (observed, once the deadline has passed),
    ``glide_now``, ``gap`` and ``gap_pct`` (positive = still to go; percent
    of the target), ``progress`` (share of the baseline-to-target distance
    covered), ``attainment`` (current / target, inverted for lower-is-better
    KPIs; only when both are positive), ``periods_left``, ``needed_pace``
    (improvement per period still needed) against ``recent_pace``,
    ``projected`` (value at the deadline at the recent pace), ``status``,
    ``status_rule`` and the forecast columns (:data:`FORECAST_COLUMNS`, see
    the module docstring).  ``attrs``: ``simulations`` ({(team, kpi):
    Simulation}, one per target simulated), ``level``, ``rule``,
    ``thresholds``.
    """
    if rule not in ("glide", "forecast"):
        raise ValueError("rule must be 'glide' or 'forecast'")
    lo_t, hi_t = thresholds
    if not 0 <= lo_t <= hi_t <= 1:
        raise ValueError("thresholds must satisfy 0 <= low <= high <= 1")
    cat = resolve(catalogue)
    sims = Simulations()
    attrs = {"simulations": sims, "level": level, "rule": rule, "thresholds": (lo_t, hi_t)}
    if targets is None or len(targets) == 0:
        out = pd.DataFrame(columns=list(COLUMNS))
        out.attrs.update(attrs)
        return out
    now = _as_of(kpis, as_of)
    usable = _assessable(kpis, max_open_share)
    options = {"n_paths": 1000, **(forecast_options or {})}
    rows = []
    for t in targets.itertuples(index=False):
        d = cat[t.kpi]
        sign = d.sign
        deadline = pd.Period(t.deadline)

        def own(frame):
            return frame[(frame["team"] == t.team) & (frame["kpi"] == t.kpi)
                         & (frame["period"] <= now) & frame["value"].notna()]
        mine = own(usable).sort_values("period")
        observed = own(kpis)
        left_out = sorted(set(observed["period"]) - set(mine["period"]))
        row = {"team": t.team, "kpi": t.kpi, "label": d.label, "direction": d.direction,
               "as_of": now, "baseline": t.baseline, "baseline_period": t.baseline_period,
               "baseline_periods": int(getattr(t, "baseline_periods", 1) or 1),
               "target": t.target, "deadline": t.deadline,
               "weight": getattr(t, "weight", 1.0), "owner": getattr(t, "owner", None),
               "better_now": False, "expected_reached": None, "model": None}
        row["glide_now"] = float(glide_path(t._asdict(), [now]).iloc[0])
        row["periods_left"] = deadline.ordinal - now.ordinal
        note = _left_out_note(left_out)
        if mine.empty:
            rows.append({**row, "status": "insufficient_data",
                         "status_rule": f"no value for {t.kpi} at or before {now}{note}"})
            continue
        last = mine.iloc[-1]
        cur = float(last["value"])
        n = _num(last, "n")
        lo, hi = confidence_interval(cur, n, _num(last, "numerator"), _num(last, "sd"), level)
        series = pd.Series(mine["value"].to_numpy(float), index=pd.PeriodIndex(mine["period"]))
        slope, _, _ = trend_slope(series.tail(pace_periods))
        gap = sign * (t.target - cur)
        left = row["periods_left"]
        row.update({
            "current_period": last["period"], "current": cur, "n": n,
            "ci_low": lo, "ci_high": hi, "better_now": bool(gap <= 0),
            "gap": gap,
            "gap_pct": 100 * gap / abs(t.target) if t.target != 0 else np.nan,
            "progress": (cur - t.baseline) / (t.target - t.baseline),
            "attainment": (np.nan if cur <= 0 or t.target <= 0 else
                           (cur / t.target if sign > 0 else t.target / cur)),
            "needed_pace": gap / left if left > 0 else np.nan,
            "recent_pace": sign * slope if np.isfinite(slope) else np.nan,
            "projected": cur + slope * left if np.isfinite(slope) and left > 0 else np.nan,
        })
        # the deadline has passed, but its period has a value left out as incomplete
        # (too many tickets still open): it is not over yet, the forecast decides
        pending = left <= 0 and deadline in left_out
        prefix = ""
        if pending:
            share = _num(observed[observed["period"] == deadline].iloc[-1], "open_share")
            still = f"{share:.0%} of tickets still open" if np.isfinite(share) else \
                "too many tickets still open"
            prefix = (f"deadline period {deadline} not yet complete ({still}): status from "
                      f"the {'glide path' if rule == 'glide' else 'forecast'}; ")
            series = series[series.index < deadline]    # simulate from before the deadline
        stale = now.ordinal - last["period"].ordinal
        if left <= 0 and not pending:
            at = mine[mine["period"] == deadline]
            status, why = _observed_status(row, at, sign, min_n, level, t.kpi)
            row.update(status=status, status_rule=why + note)
        elif stale > max_stale:
            row.update(status="insufficient_data", status_rule=(
                f"{prefix}the latest assessable value is from {last['period']}, {stale} "
                f"periods before {now} (more than {max_stale}): too old to assess or "
                f"forecast from{note}"))
        elif np.isfinite(n) and n < min_n:
            row.update(status="insufficient_data",
                       status_rule=f"{prefix}n = {n:.0f} observations, below the minimum of "
                       f"{min_n}{note}")
        elif rule == "glide":
            status, why = _glide_status(row, sign, level)
            row.update(status=status, status_rule=f"{prefix}glide-path rule: {why}{note}")
        else:
            from .forecast import simulate
            sim = simulate(series, deadline.ordinal - series.index[-1].ordinal
                           if len(series) else 0, bounds=d.bounds, **options)
            sims[(t.team, t.kpi)] = sim
            _forecast_status(row, sim, d.direction, sign, deadline, thresholds, level,
                             note, prefix)
        rows.append(row)
    out = pd.DataFrame(rows, columns=list(COLUMNS))
    out["better_now"] = out["better_now"].astype(bool)
    reached = out["expected_reached"].astype(object)        # Periods, None: never NaT
    out["expected_reached"] = reached.where(reached.notna(), None)
    out.attrs.update(attrs)
    return out


def _observed_status(r: dict, at: pd.DataFrame, sign: int, min_n: int, level: float,
                     kpi: str) -> tuple[str, str]:
    """Deadline passed: the observed deadline value decides (met / missed)."""
    deadline = pd.Period(r["deadline"])
    if at.empty:
        return "insufficient_data", (f"deadline {deadline} has passed but has no value for "
                                     f"{kpi}: neither met nor missed can be said")
    a = at.iloc[-1]
    value, n = float(a["value"]), _num(a, "n")
    r["deadline_value"] = value
    if np.isfinite(n) and n < min_n:
        return "insufficient_data", (f"deadline {deadline}: its value rests on n = {n:.0f} "
                                     f"observations, below the minimum of {min_n}")
    if sign * (value - r["target"]) >= 0:
        return "met", f"deadline {deadline} observed: value at or better than the target"
    lo, hi = confidence_interval(value, n, _num(a, "numerator"), _num(a, "sd"), level)
    if not np.isfinite(lo):
        noise = "no confidence interval for this KPI"
    elif lo <= r["target"] <= hi:
        noise = f"the shortfall is within the {level:.0%} confidence interval of that value"
    else:
        noise = f"the shortfall is beyond the {level:.0%} confidence interval of that value"
    return "missed", f"deadline {deadline} observed: value misses the target; {noise}"


def _glide_status(r: dict, sign: int, level: float) -> tuple[str, str]:
    """Deadline ahead, no forecast: glide path, recent pace and noise."""
    cur = r["current"]
    noise = f"{level:.0%} confidence interval"
    has_ci = np.isfinite(r["ci_low"])
    behind = sign * (r["glide_now"] - cur)
    if behind <= 0:
        return "on_track", "at or ahead of the glide path"
    pace, needed = r["recent_pace"], r["needed_pace"]
    if np.isfinite(pace) and pace >= needed:
        return "at_risk", ("behind the glide path, but the recent pace would reach the "
                           "target by the deadline")
    if has_ci and r["ci_low"] <= r["glide_now"] <= r["ci_high"]:
        return "at_risk", f"behind the glide path by less than the noise ({noise})"
    why = ("no recent trend" if not np.isfinite(pace) else
           "the recent pace would not reach the target")
    return "off_track", f"behind the glide path by more than the noise, and {why}"


def _forecast_status(row: dict, sim, direction: str, sign: int, deadline: pd.Period,
                     thresholds, level: float, note: str, prefix: str = "") -> None:
    """Deadline ahead (or its period incomplete): the status from the
    simulation to the deadline, in place (the glide-path rule where the
    simulation has no paths).  ``prefix`` starts ``status_rule``."""
    o = sim.outlook(row["target"], direction)
    if not np.isfinite(o["probability"]):
        status, why = _glide_status(row, sign, level)
        row.update(status=status, model=None,
                   status_rule=f"{prefix}glide-path rule (no forecast: {sim.status}): "
                               f"{why}{note}")
        return
    row.update(probability=o["probability"], forecast_at_deadline=o["forecast"],
               expected_reached=o["expected_reached"], model=o["model"],
               **{k: o[k] for k in ("lower_80", "upper_80", "lower_95", "upper_95")})
    p = o["probability"]
    low, high = thresholds
    row["status"] = "on_track" if p >= high else "at_risk" if p >= low else "off_track"
    cmp = (f">= {high:.2f}" if p >= high else f"between {low:.2f} and {high:.2f}" if p >= low
           else f"< {low:.2f}")
    now = "; better than the target now" if row["better_now"] else ""
    row["status_rule"] = (f"{prefix}forecast ({o['model']}): P(the {deadline} value meets "
                          f"the target) = {p:.2f} {cmp}{now}{note}")
