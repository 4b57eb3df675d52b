"""SMART targets over time: glide paths and achievability.

A target (one row of :func:`servicekpi.load_targets`) says: this team moves
this KPI from ``baseline`` (measured in ``baseline_period``) to ``target`` by
``deadline``, optionally through ``milestones``.

- :func:`glide_path` is the value expected in each period between baseline
  and deadline: a straight line, or straight lines through the milestones.
- :func:`achievability` compares the improvement per period a target demands
  with the team's own past pace and with its peers' paces.
"""
from __future__ import annotations

import numpy as np
import pandas as pd
import statsmodels.api as sm

from .catalogue import Catalogue, resolve


def _ordinal(p) -> int:
    return pd.Period(p).ordinal


def glide_path(target: pd.Series | dict, periods=None) -> pd.Series:
    """Expected value per period from baseline to deadline.

    Parameters
    ----------
    target : row of a targets table (Series or dict)
        Needs ``baseline, baseline_period, target, deadline`` and optionally
        ``milestones`` ({period: value}).
    periods : iterable of Period, optional
        Evaluate at these periods instead (before the baseline the path is
        the baseline; after the deadline, the target).

    Returns
    -------
    Series indexed by period.
    """
    t = dict(target)
    b_per, d_per = pd.Period(t["baseline_period"]), pd.Period(t["deadline"])
    points = {b_per.ordinal: float(t["baseline"])}
    for p, v in (t.get("milestones") or {}).items():
        o = _ordinal(p)
        if b_per.ordinal < o < d_per.ordinal:
            points[o] = float(v)
    points[d_per.ordinal] = float(t["target"])   # the target wins at the deadline
    xs = np.array(sorted(points))
    ys = np.array([points[x] for x in xs])
    if periods is None:
        idx = pd.period_range(b_per, d_per, freq=b_per.freq)
    else:
        idx = pd.PeriodIndex(list(periods), freq=b_per.freq)
    return pd.Series(np.interp(idx.asi8, xs, ys), index=idx, name="glide_path")


def trend_slope(values: pd.Series) -> tuple[float, float, int]:
    """OLS slope per period of a KPI series indexed by period (gaps allowed).

    Returns (slope, standard error, points used); NaNs when fewer than 3 points.
    """
    s = values.dropna()
    if len(s) < 3:
        return np.nan, np.nan, len(s)
    x = np.array([p.ordinal for p in s.index], dtype=float)
    if np.ptp(x) == 0:
        return np.nan, np.nan, len(s)
    fit = sm.OLS(s.to_numpy(dtype=float), sm.add_constant(x - x.mean())).fit()
    return float(fit.params[1]), float(fit.bse[1]), len(s)


def _series(kpis: pd.DataFrame, team: str, kpi: str) -> pd.Series:
    rows = kpis[(kpis["team"] == team) & (kpis["kpi"] == kpi)]
    return pd.Series(rows["value"].to_numpy(dtype=float),
                     index=pd.PeriodIndex(rows["period"])).sort_index()


def best_pace(series: pd.Series, window: int, sign: int) -> float:
    """The best improvement per period over any ``window`` consecutive periods."""
    best = np.nan
    for end in range(window, len(series) + 1):
        slope, _, n = trend_slope(series.iloc[end - window:end])
        if n >= 3 and np.isfinite(slope):
            best = np.nanmax([best, sign * slope])
    return best


def achievability(kpis: pd.DataFrame, targets: pd.DataFrame, *,
                  catalogue: Catalogue | None = None, window: int = 6) -> pd.DataFrame:
    """Is each target achievable, judged by history and by peers?

    For each target: the improvement per period it demands (``required_pace``,
    in KPI units, positive = better), the team's own trend over the
    ``window`` periods up to the baseline (``own_pace``), the best pace the
    team reached over any ``window`` periods up to the baseline
    (``own_best_pace``), and the same KPI's paces at the other teams over the
    ``window`` periods up to the baseline (``peer_median_pace``,
    ``peer_best_pace``, and ``required_pace_percentile``: the share of peer
    paces the required pace exceeds).

    ``verdict`` is ``met at baseline`` (the baseline already reaches the
    target), ``beyond any pace seen`` (faster than the team's best and every
    peer's), ``stretch`` (faster than the team's best, but a peer has
    managed it), ``achievable``, or ``no history`` (fewer than 3 periods
    before the baseline).
    """
    cat = resolve(catalogue)
    rows = []
    for t in targets.itertuples(index=False):
        d = cat[t.kpi]
        sign = d.sign
        periods = (pd.Period(t.deadline).ordinal - pd.Period(t.baseline_period).ordinal)
        required = sign * (t.target - t.baseline) / periods
        hist = _series(kpis, t.team, t.kpi)
        hist = hist[hist.index <= pd.Period(t.baseline_period)]
        own, _, n_own = trend_slope(hist.tail(window))
        own_best = best_pace(hist, window, sign)
        peer_paces = []
        for other in kpis.loc[kpis["kpi"] == t.kpi, "team"].unique():
            if other == t.team:
                continue
            ph = _series(kpis, other, t.kpi)
            slope, _, n = trend_slope(ph[ph.index <= pd.Period(t.baseline_period)].tail(window))
            if np.isfinite(slope):
                peer_paces.append(sign * slope)
        peer_paces = np.array(peer_paces)
        met = sign * (t.baseline - t.target) >= 0
        if met:
            verdict = "met at baseline"
        elif n_own < 3:
            verdict = "no history"
        elif np.isfinite(own_best) and required <= own_best:
            verdict = "achievable"
        elif len(peer_paces) and required <= peer_paces.max():
            verdict = "stretch"
        else:
            verdict = "beyond any pace seen"
        rows.append({
            "team": t.team, "kpi": t.kpi, "baseline": t.baseline, "target": t.target,
            "baseline_period": t.baseline_period, "deadline": t.deadline,
            "periods": periods, "required_pace": required,
            "own_pace": sign * own if np.isfinite(own) else np.nan,
            "own_best_pace": own_best,
            "peer_median_pace": float(np.median(peer_paces)) if len(peer_paces) else np.nan,
            "peer_best_pace": float(peer_paces.max()) if len(peer_paces) else np.nan,
            "required_pace_percentile": (100.0 * float((peer_paces < required).mean())
                                         if len(peer_paces) else np.nan),
            "met_at_baseline": bool(met),
            "beyond_own_best": bool(not met and not (np.isfinite(own_best)
                                                     and required <= own_best)),
            "verdict": verdict,
        })
    return pd.DataFrame(rows)
