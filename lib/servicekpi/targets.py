"""SMART targets over time: baselines, glide paths and achievability.

A target (one row of :func:`servicekpi.load_targets`) says: this team moves
this KPI from ``baseline`` (the mean over the ``baseline_periods`` periods
ending at ``baseline_period``) to ``target`` by ``deadline``, optionally
through ``milestones``.

- :func:`baseline_interval` is a baseline computed from the KPI table, with
  its confidence interval: a baseline from one month of 36 survey answers
  is far less certain than one from three months of thousands of tickets.
- :func:`glide_path` is the value expected in each period between baseline
  and deadline: a straight line, or straight lines through the milestones.
  It starts at ``baseline_period`` (the baseline window's last period).
- :func:`period_noise` is the one measure of how much a single period's
  value scatters from one period to the next; :func:`target_noise` sets it
  against the baseline's own interval, on the same footing: the noise a
  target must exceed to mean anything.
- :func:`achievability` compares the improvement per period a target demands
  with the team's own past pace and with its peers' paces, and flags targets
  closer to the baseline than that noise.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from .catalogue import Catalogue, resolve
from .errors import InvalidArgument

#: The codes of :func:`achievability`'s ``verdict``, in the order they are
#: decided (words: ``analysis.achievability.<code>`` in the message catalogue).
VERDICTS = ("met_at_baseline", "within_noise", "no_history", "achievable", "stretch",
            "beyond_any_pace")


def _ordinal(p) -> int:
    return pd.Period(p).ordinal


def baseline_rows(kpis: pd.DataFrame, team: str, kpi: str, baseline_period, *,
                  periods: int = 1) -> pd.DataFrame:
    """The KPI-table rows a baseline over ``periods`` periods ending at
    ``baseline_period`` averages: those with a value, less duration values of
    periods with too many tickets still open (:func:`servicekpi.kpis.assessable`).
    Fewer than ``periods`` when some period of the window has none."""
    from .kpis import assessable

    if periods < 1:
        raise InvalidArgument(f"periods must be at least 1, not {periods}")
    end = pd.Period(baseline_period)
    rows = kpis[(kpis["team"] == team) & (kpis["kpi"] == kpi)]
    rows = assessable(rows)
    rows = rows[rows["value"].notna()]
    return rows[(rows["period"] <= end) & (rows["period"] > end - periods)]


def stated_without(targets: pd.DataFrame, t) -> str | None:
    """A targets row's ``baseline_without`` as text: "" when the file has the column
    and the cell is blank, None when the file has no such column (written before
    it existed: what the baseline left out is not stated)."""
    if "baseline_without" not in targets.columns:
        return None
    v = getattr(t, "baseline_without", None)
    return v.strip() if isinstance(v, str) else ""


def baseline_gaps(kpis: pd.DataFrame, team: str, kpi: str, baseline_period, *,
                  periods: int = 1) -> list[pd.Period]:
    """The periods of a baseline's window it cannot average (:func:`baseline_rows`)."""
    end = pd.Period(baseline_period)
    used = set(baseline_rows(kpis, team, kpi, end, periods=periods)["period"])
    return [p for p in pd.period_range(end - (periods - 1), end) if p not in used]


def baseline_interval(kpis: pd.DataFrame, team: str, kpi: str, baseline_period, *,
                      periods: int = 1, level: float = 0.95, bounds=None
                      ) -> tuple[float, float, float]:
    """The baseline over ``periods`` periods ending at ``baseline_period``, and its CI
    (a t interval cut to ``bounds``, as :func:`servicekpi.gaps.confidence_interval`).

    Returns ``(mean, low, high)``.  The periods' values are pooled over
    their observations, so each ticket or answer counts once:

    - a rate (rows with ``numerator``): sum of numerators / sum of ``n``,
      with a Wilson interval on those totals;
    - a mean (rows with ``sd``): the ``n``-weighted mean, with a t interval
      from the pooled standard deviation (within periods, plus the spread
      between the periods' means around the pooled mean);
    - anything else (a volume, a median, a KPI-table value without ``sd``):
      the plain mean of the periods' values, and NaN bounds.

    Periods without a value are skipped, and so are duration values of
    periods with too many tickets still open (:func:`servicekpi.kpis.assessable`);
    all NaN when none is left.  With ``periods=1`` this is the period's own
    value and the same interval as the gap table's.
    """
    from .gaps import confidence_interval

    rows = baseline_rows(kpis, team, kpi, baseline_period, periods=periods)
    if rows.empty:
        return np.nan, np.nan, np.nan
    v = rows["value"].to_numpy(float)
    n = rows["n"].to_numpy(float) if "n" in rows else np.full(len(rows), np.nan)
    num = (rows["numerator"].to_numpy(float) if "numerator" in rows
           else np.full(len(rows), np.nan))
    sd = rows["sd"].to_numpy(float) if "sd" in rows else np.full(len(rows), np.nan)
    if np.isfinite(num).all() and np.isfinite(n).all() and n.sum() > 0:
        total, hits = n.sum(), num.sum()
        low, high = confidence_interval(hits / total, total, numerator=hits, level=level)
        return float(hits / total), low, high
    if (np.isfinite(n).all() and (n >= 1).all()
            and np.isfinite(np.where(n > 1, sd, 0.0)).all()):
        total = n.sum()
        mean = float((n * v).sum() / total)
        within = np.where(n > 1, (n - 1) * np.where(n > 1, sd, 0.0) ** 2, 0.0).sum()
        between = (n * (v - mean) ** 2).sum()
        pooled = np.sqrt((within + between) / (total - 1)) if total > 1 else np.nan
        low, high = confidence_interval(mean, total, sd=pooled, level=level, bounds=bounds)
        return mean, low, high
    return float(v.mean()), np.nan, np.nan


#: Periods up to the baseline whose changes size :func:`period_noise` (two years of months).
NOISE_PERIODS = 24

#: The periods a pace (the OLS trend per period) is measured over: the gap
#: table's recent pace (:func:`servicekpi.gaps.gap_table`) and the team's own,
#: best and peers' paces of :func:`achievability` (the report texts quote it from here).
PACE_PERIODS = 6


def period_noise(values: pd.Series, *, periods: int | None = NOISE_PERIODS) -> float:
    """The period-to-period standard deviation of a single period's value.

    How far one period's value typically lands from where the process is:
    the sigma of ``value = level + noise``, robust to one-off shocks and
    unmoved by a steady trend.  From the changes between consecutive
    periods (the last ``periods`` values; a gap in the periods breaks the
    chain): with independent noise of sd sigma, each change is the drift
    plus noise of sd sqrt(2) sigma, so

        sigma = MAD(changes) / sqrt(2),

    the MAD (median absolute deviation from the median change, scaled to a
    normal sd by scipy's ``median_abs_deviation(scale="normal")``, i.e.
    divided by the normal quartile 0.6745) centred on the median change so
    a steady drift drops out, and resistant to a shock month, which makes
    two outlying changes the median ignores.  A seasonal KPI's regular
    swings from one period to the next count as noise here: a single
    period's value does move that much.  NaN with fewer than 2 changes.
    """
    s = values.dropna()
    if periods is not None:
        s = s.tail(periods)
    v = s.to_numpy(float)
    d = np.diff(v)
    if isinstance(s.index, pd.PeriodIndex) and len(s):
        d = d[np.diff(s.index.asi8) == 1]           # consecutive periods only
    if len(d) < 2:
        return np.nan
    from scipy.stats import median_abs_deviation
    return float(median_abs_deviation(d, scale="normal") / np.sqrt(2))


def target_noise(kpis: pd.DataFrame, team: str, kpi: str, baseline_period, *,
                 periods: int = 1, level: float = 0.95,
                 history: int | None = NOISE_PERIODS) -> dict:
    """The noise a target's change must exceed, at ``level``.

    The larger of two half-widths at the same ``level``:

    - ``baseline_half_width``: half the baseline's confidence interval
      (:func:`baseline_interval` over ``periods`` periods ending at
      ``baseline_period``): how uncertain the baseline itself is (NaN for
      a KPI without one: a median, a volume);
    - ``period_range``: z x ``period_sd``, z the normal quantile of
      ``level`` (1.96 at 95%), ``period_sd`` the :func:`period_noise` of the
      team's values up to ``baseline_period`` (the last ``history`` of
      them): the range a single period's value scatters in around the
      process level at ``level``.

    Returns a dict: ``noise`` (the larger; NaN when neither exists),
    ``basis`` (``"ci"``, ``"period"`` or ``""``), ``baseline_half_width``,
    ``period_sd``, ``period_range``, ``level``.  Duration values of periods
    with too many tickets still open are left out
    (:func:`servicekpi.kpis.assessable`).
    """
    from .kpis import assessable

    _, low, high = baseline_interval(kpis, team, kpi, baseline_period, periods=periods,
                                     level=level)
    half = (high - low) / 2 if np.isfinite(high - low) else np.nan
    hist = _series(assessable(kpis), team, kpi)
    sd = period_noise(hist[hist.index <= pd.Period(baseline_period)], periods=history)
    from scipy.stats import norm
    spread = float(norm.ppf((1 + level) / 2)) * sd
    if np.isfinite(half) and not (np.isfinite(spread) and spread > half):
        noise, basis = half, "ci"
    elif np.isfinite(spread):
        noise, basis = spread, "period"
    else:
        noise, basis = np.nan, ""
    return {"noise": float(noise), "basis": basis, "baseline_half_width": float(half),
            "period_sd": float(sd), "period_range": float(spread), "level": level}


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
    (statsmodels' OLS, imported here: ``import servicekpi`` stays light.)
    """
    s = values.dropna()
    if len(s) < 3:
        return np.nan, np.nan, len(s)
    return _slope(_period_ordinals(s.index), s.to_numpy(dtype=float))


def _period_ordinals(index) -> np.ndarray:
    """The ordinals of an index of periods."""
    if isinstance(index, pd.PeriodIndex):
        return index.asi8
    return np.array([p.ordinal for p in index], dtype=np.int64)


def _slope(x: np.ndarray, y: np.ndarray) -> tuple[float, float, int]:
    """:func:`trend_slope` of values ``y`` at period ordinals ``x``, missing values
    left out (the same statsmodels OLS, on arrays: a report computes hundreds)."""
    known = ~np.isnan(y)
    x, y = x[known], y[known]
    if len(y) < 3:
        return np.nan, np.nan, len(y)
    x = np.asarray(x, dtype=float)
    if np.ptp(x) == 0:
        return np.nan, np.nan, len(y)
    from statsmodels.regression.linear_model import OLS
    design = np.column_stack([np.ones(len(x)), x - x.mean()])
    fit = OLS(y, design).fit()
    return float(fit.params[1]), float(fit.bse[1]), len(y)


def _team_arrays(rows: pd.DataFrame) -> dict:
    """team -> (period ordinals, values) of one KPI's rows, in period order (rows
    without a team or a period left out)."""
    rows = rows[rows["team"].notna().to_numpy() & rows["period"].notna().to_numpy()]
    ords = pd.PeriodIndex(rows["period"]).asi8
    values = rows["value"].to_numpy(dtype=float)
    codes, teams = pd.factorize(rows["team"])
    order = np.lexsort((ords, codes))
    bounds = np.searchsorted(codes[order], np.arange(len(teams) + 1))
    return {team: (ords[order[a:b]], values[order[a:b]])
            for team, a, b in zip(teams, bounds[:-1], bounds[1:])}


def _pace_before(ords: np.ndarray, values: np.ndarray, end: int,
                 pace_periods: int) -> float:
    """The trend slope over the last ``pace_periods`` rows up to ordinal ``end``
    (``ords`` sorted, as :func:`_team_arrays` gives them), as
    ``trend_slope(series[:end].tail(pace_periods))``: rows, not calendar periods."""
    mine = ords <= end
    return _slope(ords[mine][-pace_periods:], values[mine][-pace_periods:])[0]


def _series(kpis: pd.DataFrame, team: str, kpi: str) -> pd.Series:
    return _as_series(kpis[(kpis["team"] == team) & (kpis["kpi"] == kpi)])


def _as_series(rows: pd.DataFrame) -> pd.Series:
    """One team's rows of one KPI as a series of values by period."""
    return pd.Series(rows["value"].to_numpy(dtype=float),
                     index=pd.PeriodIndex(rows["period"])).sort_index()


def best_pace(series: pd.Series, pace_periods: int, sign: int) -> float:
    """The best improvement per period over any ``pace_periods`` consecutive periods."""
    best = np.nan
    if len(series) < pace_periods:
        return best
    x = _period_ordinals(series.index)
    y = series.to_numpy(dtype=float, na_value=np.nan)
    for end in range(pace_periods, len(series) + 1):
        slope, _, n = _slope(x[end - pace_periods:end], y[end - pace_periods:end])
        if n >= 3 and np.isfinite(slope):
            best = np.nanmax([best, sign * slope])
    return best


def achievability(kpis: pd.DataFrame, targets: pd.DataFrame, *,
                  catalogue: Catalogue | None = None, pace_periods: int = PACE_PERIODS,
                  level: float = 0.95, noise_periods: int | None = NOISE_PERIODS,
                  min_n: int | None = None) -> pd.DataFrame:
    """Is each target achievable, judged by history and by peers?

    For each target: the improvement per period it demands (``required_pace``,
    in KPI units, positive = better), the team's own trend over the
    ``pace_periods`` periods up to the baseline (``own_pace``), the best pace
    the team reached over any ``pace_periods`` periods up to the baseline
    (``own_best_pace``), and the same KPI's paces at the other teams over the
    ``pace_periods`` periods up to the baseline (``peer_median_pace``,
    ``peer_best_pace``, and ``required_pace_percentile``: the share of peer
    paces the required pace exceeds).  A peer's value on fewer than ``min_n``
    observations (default :data:`servicekpi.gaps.MIN_N`) is left out of its
    pace, as of every peer comparison (:mod:`servicekpi.benchmarking`): a
    team of four cases a month sets no pace for others.

    ``noise`` is :func:`target_noise` at ``level``: the larger of the
    half-width of the baseline's confidence interval (over the target's
    ``baseline_periods``; ``baseline_half_width``) and the range a single
    period's value scatters in, z x ``period_sd`` (``period_sd``: the
    :func:`period_noise` of the last ``noise_periods`` values up to the
    baseline); ``noise_basis`` says which (``ci``, ``period``, or ``""``
    when neither exists).  A target's deadline is judged on one period's
    value, so a target inside that range could be reached, or missed, by
    one ordinary month.  ``attrs["level"]`` is ``level``.

    ``verdict`` is a code (:data:`VERDICTS`; :func:`verdict_text` gives
    its words): ``met_at_baseline`` (the baseline already reaches the
    target), ``within_noise`` (|target - baseline| < ``noise``: reaching
    it could not be told apart from chance), ``beyond_any_pace`` (faster
    than the team's best and every peer's), ``stretch`` (faster than the
    team's best, but a peer has managed it), ``achievable``, or
    ``no_history`` (fewer than 3 periods before the baseline).  Duration
    values of periods with too many tickets still open are left out
    (:func:`servicekpi.kpis.assessable`).
    """
    from .gaps import MIN_N
    from .kpis import assessable, too_few as _few

    cat = resolve(catalogue)
    kpis = assessable(kpis)
    few = _few(kpis, MIN_N if min_n is None else min_n)
    peers = kpis.assign(value=kpis["value"].mask(few)) if few.any() else kpis
    by_kpi: dict[str, dict] = {}            # kpi -> team -> (periods, values), split once
    own_rows: dict[str, pd.DataFrame] = {}  # team -> its rows
    rows = []
    for t in targets.itertuples(index=False):
        d = cat[t.kpi]
        sign = d.sign
        periods = (pd.Period(t.deadline).ordinal - pd.Period(t.baseline_period).ordinal)
        required = sign * (t.target - t.baseline) / periods
        if t.team not in own_rows:
            own_rows[t.team] = kpis[kpis["team"] == t.team]
        hist = _series(own_rows[t.team], t.team, t.kpi)
        hist = hist[hist.index <= pd.Period(t.baseline_period)]
        own, _, n_own = trend_slope(hist.tail(pace_periods))
        own_best = best_pace(hist, pace_periods, sign)
        if t.kpi not in by_kpi:
            by_kpi[t.kpi] = _team_arrays(peers[peers["kpi"] == t.kpi])
        end = pd.Period(t.baseline_period).ordinal
        peer_paces = []
        for other, (ords, values) in by_kpi[t.kpi].items():
            if other != t.team:
                pace = _pace_before(ords, values, end, pace_periods)
                if np.isfinite(pace):
                    peer_paces.append(sign * pace)
        peer_paces = np.array(peer_paces)
        window_n = int(getattr(t, "baseline_periods", 1) or 1)
        tn = target_noise(own_rows[t.team], t.team, t.kpi, t.baseline_period,
                          periods=window_n, level=level, history=noise_periods)
        noise, basis = tn["noise"], tn["basis"]
        met = sign * (t.baseline - t.target) >= 0
        if met:
            verdict = "met_at_baseline"
        elif np.isfinite(noise) and abs(t.target - t.baseline) < noise:
            verdict = "within_noise"
        elif n_own < 3:
            verdict = "no_history"
        elif np.isfinite(own_best) and required <= own_best:
            verdict = "achievable"
        elif len(peer_paces) and required <= peer_paces.max():
            verdict = "stretch"
        else:
            verdict = "beyond_any_pace"
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
            "baseline_periods": window_n,
            "baseline_without": stated_without(targets, t),
            "baseline_half_width": tn["baseline_half_width"],
            "period_sd": tn["period_sd"], "noise": noise, "noise_basis": basis,
            "within_noise": bool(np.isfinite(noise) and abs(t.target - t.baseline) < noise),
            "met_at_baseline": bool(met),
            "beyond_own_best": bool(not met and not (np.isfinite(own_best)
                                                     and required <= own_best)),
            "verdict": verdict,
        })
    out = pd.DataFrame(rows)
    out.attrs["level"] = level
    return out


def verdict_text(verdict: str, language: str = "en") -> str:
    """An :func:`achievability` verdict code in words (``within_noise`` ->
    "within noise" / "在噪声范围内")."""
    from .i18n import code_words
    return code_words("analysis.achievability", verdict, VERDICTS, language,
                      what="achievability verdict")
