"""Diagnostics: is a change real, and what is behind it?

- :func:`control_chart`: statistical process control of a KPI series -- a
  p-chart (limits from each period's ``n``) for proportions, a Laney p'
  chart for proportions that vary more than sampling explains, an XmR
  (individuals) chart for everything else -- with limits from a phase-I
  baseline, a new stage after a known or detected sustained shift, limits
  around the seasonal pattern for seasonal KPIs, and the special-cause
  rules each flagged point broke.
- :func:`seasonality`: is a KPI seasonal (an F-test of seasonal effects);
  :func:`seasonal_context`: is this period's change the usual seasonal one
  (the same change in earlier years, in direction and size).
- :func:`compare_periods`: before/after with the right test -- two-proportion
  z-test for rates, Welch's t-test for means -- with the difference, its
  confidence interval and an effect size (a :class:`Comparison`).
- :func:`pareto`: the top causes of complaints (or reopens, or SLA misses)
  per team and period, with change against the previous period.
- :func:`decompose_change`: a KPI change between two periods split into mix
  (the segments' shares moved) and rate (the KPI moved within segments);
  the parts add up to the total exactly (a :class:`Decomposition`).

Results are numbers and codes; a result's ``summary(language)`` puts it in
a sentence, in English or Chinese, from the message catalogue
(``analysis.*``).  scipy and statsmodels are imported inside the functions
that use them, so importing this module is cheap.
"""
from __future__ import annotations

import functools
from dataclasses import dataclass, field, replace

import numpy as np
import pandas as pd

from .catalogue import Catalogue, Unit, _fixed, resolve
from .errors import DataError, InvalidArgument, expect_team
from .gaps import ci_label
from .kpis import _as_datetime, _Cols, compute_kpis, sla_outcome
from .periods import coverage_end, freq_of, label, partial_period

#: The special-cause rules, in the order they are checked.  The first four
#: are the classic run rules; ``sustained_shift`` marks the first point of a
#: stage that :func:`control_chart` detected (see there).  Each in words:
#: :func:`rule_text` (``analysis.control.rule.<code>``).
RULES = ("beyond_3_sigma", "8_on_one_side", "6_trending", "2_of_3_beyond_2_sigma",
         "sustained_shift")


def rule_text(rule: str, language: str = "en") -> str:
    """A special-cause rule of :data:`RULES` in words."""
    from .i18n import code_words
    return code_words("analysis.control.rule", rule, RULES, language, what="control-chart rule")


@functools.cache
def _d2() -> float:
    """d2 for moving ranges of two points: E|X1 - X2| / sigma for normal X.

    X1 - X2 is normal with sd sqrt(2) sigma, so |X1 - X2| is half-normal
    with that scale, whose mean is sqrt(2) x sqrt(2 / pi) = 2 / sqrt(pi)
    (1.1284): scipy's half-normal mean, not a typed table value."""
    from scipy.stats import halfnorm
    return float(halfnorm.mean(scale=np.sqrt(2)))


def __getattr__(name: str):
    # D2 (see _d2) is computed on first use, so importing this module needs no scipy
    if name == "D2":
        return _d2()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")

#: Phase-I baseline: each stage's sigma and (unless the chart is seasonal) its
#: centre line come from its first ``BASELINE`` periods (all of them when the
#: stage is shorter).
BASELINE = 12
#: A run of this many points on one side of the centre line can start a new
#: stage; a stage after a known shift gets its own limits once it has this
#: many points (or ``baseline``, when smaller).
SHIFT_RUN = 8
#: Significance level of the test that a run is a sustained shift.
SHIFT_ALPHA = 0.001
#: Significance level of the seasonality F-test, and the full seasons it needs.
SEASONAL_ALPHA = 0.01
MIN_SEASONS = 2


def _series(kpis: pd.DataFrame, team: str, kpi: str) -> pd.DataFrame:
    rows = kpis[(kpis["team"] == team) & (kpis["kpi"] == kpi) & kpis["value"].notna()]
    if rows.empty:
        raise DataError(f"no values of {kpi!r} for team {team!r}", source="KPI table")
    return rows.sort_values("period").reset_index(drop=True)


# ------------------------------------------------------------------ seasonality
@dataclass(frozen=True)
class Seasonality:
    """Is a series seasonal?  The result of :func:`seasonality`.

    ``effects[k]`` is the seasonal effect of position ``k`` in the season
    (``period.ordinal % season``: 0 = January for months, Q1 for quarters),
    in the KPI's units, adjusted for trend and stage level; the effects add
    up to 0.  ``p_value`` is NaN and ``reason`` says why when the series is
    too short to test (a code of :data:`UNTESTED`; :meth:`reason_text`).
    ``left_out``: positions of the outliers left out of the fit (see
    :func:`_without_outliers`).  ``resid_sd``: the residual standard
    deviation of the full model (stage levels, trend and seasonal effects;
    outliers left out): the noise of a single period's value around the
    seasonal pattern (NaN when untested)."""

    seasonal: bool
    p_value: float
    season: int
    effects: np.ndarray
    reason: str = ""
    left_out: tuple[int, ...] = ()
    resid_sd: float = np.nan

    def effect(self, period: pd.Period) -> float:
        """The seasonal effect of ``period`` (0 without a season)."""
        return float(self.effects[period.ordinal % self.season]) if self.season > 1 else 0.0

    def reason_text(self, language: str = "en") -> str:
        """Why the series was not tested, in words ("" when it was)."""
        return _untested(self.reason, language) if self.reason else ""


#: Why a series is not tested for seasonality (:attr:`Seasonality.reason`):
#: no seasonal period for its frequency, fewer than ``MIN_SEASONS`` full
#: seasons, too few periods for the model; ``not_asked`` when the caller
#: decided (``seasonal=True/False``).
UNTESTED = ("no_season", "too_few_seasons", "too_few_periods", "not_asked")


def _untested(code: str, language: str) -> str:
    from .i18n import msg
    return msg(f"analysis.seasonality.untested.{code}", language, seasons=MIN_SEASONS)


def season_length(periods) -> int:
    """Periods per season for these periods' frequency: 12 (months), 4 (quarters),
    52 (weeks); 0 otherwise."""
    from .forecast import SEASONS
    freq = pd.PeriodIndex(periods).freqstr
    return SEASONS.get(freq[0], 0)


def _ordinals(periods) -> np.ndarray:
    return pd.PeriodIndex(periods).asi8.astype(np.int64)


def _season_dummies(pos: np.ndarray, m: int) -> np.ndarray:
    """Seasonal effects' design columns, sum-to-zero coding: column k is 1 at
    position k, -1 at the last position (whose effect is minus the others')."""
    dummies = np.zeros((len(pos), m - 1))
    dummies[pos < m - 1, pos[pos < m - 1]] = 1.0
    dummies[pos == m - 1] = -1.0
    return dummies


def _seasonal_test(y: np.ndarray, ordinals: np.ndarray, stage: np.ndarray, m: int,
                   alpha: float = SEASONAL_ALPHA) -> Seasonality:
    """F-test of seasonal dummies in ``y ~ stage + trend + season``.

    The reduced model has one level per stage and a linear trend; the full
    model adds one effect per position in the season (sum-to-zero coding).
    Outliers are left out first (:func:`_without_outliers`).  Needs
    ``MIN_SEASONS`` full seasons: every position seen at least twice."""
    none = np.zeros(max(m, 1))
    if m < 2:
        return Seasonality(False, np.nan, m, none, "no_season")
    pos = ordinals % m
    if len(y) < MIN_SEASONS * m or np.bincount(pos, minlength=m).min() < MIN_SEASONS:
        return Seasonality(False, np.nan, m, none, "too_few_seasons")
    from statsmodels.regression.linear_model import OLS

    levels = (stage[:, None] == np.unique(stage)[None, :]).astype(float)
    trend = (ordinals - ordinals.mean()) / m
    reduced = np.column_stack([levels, trend])
    full = np.column_stack([reduced, _season_dummies(pos, m)])
    if len(y) - np.linalg.matrix_rank(full) < 1:
        return Seasonality(False, np.nan, m, none, "too_few_periods")
    keep = _without_outliers(y, full, pos, m)
    fit_full, fit_reduced = OLS(y[keep], full[keep]).fit(), OLS(y[keep], reduced[keep]).fit()
    if fit_full.ssr <= 1e-12 * max(fit_reduced.ssr, 1e-300):   # an exact seasonal pattern
        pval = 0.0 if fit_reduced.ssr > 0 else 1.0
    else:
        pval = float(fit_full.compare_f_test(fit_reduced)[1])
    coef = fit_full.params[-(m - 1):]
    resid_sd = float(np.sqrt(fit_full.ssr / fit_full.df_resid)) if fit_full.df_resid > 0 \
        else np.nan
    return Seasonality(bool(pval < alpha), pval, m, np.r_[coef, -coef.sum()],
                       left_out=tuple(int(i) for i in np.flatnonzero(~keep)),
                       resid_sd=resid_sd)


def _without_outliers(y: np.ndarray, X: np.ndarray, pos: np.ndarray, m: int) -> np.ndarray:
    """Points kept for the seasonal fit: outliers left out one at a time.

    When the largest externally studentised residual of the least-squares
    fit is an outlier (Bonferroni: its two-sided p on Student's t, times the
    number of points, below 1%), it is left out and the model refitted; then
    so is each next largest while beyond the 3-sigma equivalent (p < 0.27%:
    a shock often lasts several periods).  At most a sixth of the points,
    and never one a season's position or the model needs.  So a shock (a
    special cause) neither hides a seasonal pattern nor makes one."""
    from scipy import stats

    keep = np.ones(len(y), bool)
    rank = np.linalg.matrix_rank(X)
    for _ in range(len(y) // 6):
        Xk, yk = X[keep], y[keep]
        pinv = np.linalg.pinv(Xk)
        resid = yk - Xk @ (pinv @ yk)
        df = len(yk) - rank
        ssr = float(resid @ resid)
        if df < 3 or ssr <= 1e-20 * max(float(np.sum((y - y.mean()) ** 2)), 1e-300):
            break
        # externally studentised residuals: each against the fit without it
        h = np.einsum("ij,ji->i", Xk, pinv)
        with np.errstate(all="ignore"):     # a point with leverage 1 has no t
            s2 = (ssr - resid ** 2 / (1 - h)) / (df - 1)
            t = resid / np.sqrt(s2 * (1 - h))
            p = np.where(h < 1 - 1e-9, 2 * stats.t.sf(np.abs(t), df - 1), np.nan)
        if not np.isfinite(p).any():
            break
        if keep.all() and np.nanmin(p) * len(p) >= 0.01:     # no outlier at all (Bonferroni)
            break
        if np.nanmin(p) >= 2 * stats.norm.sf(3):
            break
        trial = keep.copy()
        trial[np.flatnonzero(keep)[np.nanargmin(p)]] = False
        if (np.bincount(pos[trial], minlength=m).min() < MIN_SEASONS
                or np.linalg.matrix_rank(X[trial]) < rank):
            break
        keep = trial
    return keep


def _stage_index(ordinals: np.ndarray, starts) -> np.ndarray:
    return np.searchsorted(np.asarray(sorted(starts)), np.arange(len(ordinals)), side="right")


def _shift_starts(periods, shifts) -> list[int]:
    """Indices of the first period at or after each known shift (inside the series)."""
    if not shifts:
        return []
    ords = _ordinals(periods)
    freq = pd.PeriodIndex(periods).freq
    out = set()
    for sh in shifts:
        o = pd.Period(str(sh), freq=freq).ordinal
        i = int(np.searchsorted(ords, o))
        if 0 < i < len(ords):
            out.add(i)
    return sorted(out)


def seasonality(kpis: pd.DataFrame, team: str, kpi: str, *, period=None, shifts=None,
                alpha: float = SEASONAL_ALPHA) -> Seasonality:
    """Is one team's KPI seasonal?  The test :func:`control_chart` and
    :func:`seasonal_context` use.

    Fits ``value ~ stage level + linear trend + seasonal effects`` by least
    squares (statsmodels OLS) on the periods up to ``period`` (default: all),
    shocks left out (:func:`_without_outliers`), and F-tests the seasonal
    effects against the model without them: the KPI is seasonal when p <
    ``alpha`` (0.01).  Stages are separated by the known ``shifts``
    (periods where the process changed), so a step is not read as a
    season; the trend keeps a steady drift from looking like one.
    Needs two full seasons (24 months, 8 quarters); shorter series are not
    seasonal (``reason`` says so).
    """
    s = _series(kpis, team, kpi)
    if period is not None:
        s = s[s["period"] <= pd.Period(str(period), freq=s["period"].dt.freq)]
    ords = _ordinals(s["period"])
    stage = _stage_index(ords, [0] + _shift_starts(s["period"], shifts))
    return _seasonal_test(s["value"].to_numpy(float), ords, stage, season_length(s["period"]),
                          alpha)


# ------------------------------------------------------------------ control charts
#: Baselines simulated (once per baseline shape, seeded) for the distribution
#: of the moving-range sigma, see :func:`_mr_tail`.
SIMULATED_BASELINES = 20_000
#: A proportion's chart is a Laney p' chart when the moving-range sigma of its
#: standardised values exceeds what binomial sampling gives in 1 -
#: OVERDISPERSION_ALPHA of series (see :func:`control_chart`).
OVERDISPERSION_ALPHA = 0.05


@functools.lru_cache(maxsize=256)
def _mr_sample(runs: tuple[int, ...]) -> np.ndarray:
    """Sorted simulated V = sigma-hat / sigma for a moving-range sigma whose
    moving ranges come in ``runs`` of consecutive ones (one run of 11 for a
    12-point baseline, unless phase-I screening left points out), from
    ``SIMULATED_BASELINES`` standard normal baselines (seeded: reproducible)."""
    rng = np.random.default_rng(20_240_601)
    mr = np.hstack([np.abs(np.diff(rng.standard_normal((SIMULATED_BASELINES, r + 1)), axis=1))
                    for r in runs])
    return np.sort(mr.mean(axis=1) / _d2())


#: Grid points of :func:`_mr_tail` computed at once (each row is its own sum, so the
#: values do not depend on it).
_TAIL_ROWS = 8


@functools.lru_cache(maxsize=256)
def _mr_tail(runs: tuple[int, ...]) -> tuple[np.ndarray, np.ndarray]:
    """Tail of a new point's standardised distance on an XmR (or Laney) chart.

    With the centre the mean of m values and sigma-hat = (average of the
    moving ranges) / d2, a new in-control point has T = (x - centre) /
    (sigma-hat sqrt(1 + 1/m)) = Z / V, with Z standard normal and V =
    sigma-hat / sigma independent of it (the mean of normal data is
    independent of its differences).  So P(|T| > t) = E[2 Phi(-t V)]: the
    normal tail averaged over V's sampling distribution, which has no closed
    form and is simulated (:func:`_mr_sample`).  Returns a grid of t and
    log P(|T| > t) on it."""
    from scipy.special import log_ndtr, logsumexp

    v = _mr_sample(runs)
    grid = np.r_[np.linspace(0, 10, 101), np.geomspace(10.2, 1e6, 60)]
    # a few grid points at a time: the whole grid at once made arrays of 161 x
    # 20,000 values, 140 MB at its peak and 0.2 s of page faults per call in a report
    step = _TAIL_ROWS
    lse = np.concatenate([logsumexp(log_ndtr(-grid[i:i + step, None] * v[None, :]), axis=1)
                          for i in range(0, len(grid), step)])
    logp = np.log(2) + lse - np.log(len(v))
    return grid, np.minimum(logp, 0.0)


def _overdispersed(lim: "_Limits") -> bool:
    """Is a baseline's moving-range sigma of standardised proportions larger
    than binomial sampling gives, P(V >= sigma_z) < OVERDISPERSION_ALPHA?"""
    if lim.sigma is None:
        return False
    v = _mr_sample(lim.runs)
    return bool((len(v) - np.searchsorted(v, lim.sigma)) / len(v) < OVERDISPERSION_ALPHA)


@dataclass(frozen=True)
class _Limits:
    """One stage's phase-I estimates: the (deseasonalised) level; the n behind
    it (p and Laney charts); sigma (XmR: of the values; Laney: of the
    standardised proportions), the points behind the level and the runs of
    consecutive moving ranges behind sigma (XmR, Laney)."""
    level: float
    sigma: float | None = None
    points: int = 0
    runs: tuple[int, ...] = ()
    total_n: float = np.inf


def _moving_range_sigma(d: np.ndarray, keep: np.ndarray):
    """(sigma, runs) from the moving ranges of consecutive kept points, or (None, ())."""
    pairs = np.flatnonzero(np.diff(keep) == 1)
    if not len(pairs):
        return None, ()
    runs = np.diff(np.flatnonzero(np.diff(np.r_[-2, pairs, len(keep) + 2]) != 1))
    return float(np.abs(np.diff(d))[pairs].mean() / _d2()), tuple(sorted(int(r) for r in runs))


def _estimate(kind: str, x, n, eff, keep: np.ndarray) -> _Limits:
    """Phase-I estimates from the baseline points ``keep`` (sorted indices).

    p-chart: the pooled deseasonalised proportion p (sigma follows each
    period's n).  Laney p': p, and the moving-range sigma of the
    standardised proportions (x - p) / sqrt(p (1 - p) / n).  XmR: the mean,
    and the average moving range of consecutive kept points over d2.  Sigma
    is None when there is no moving range."""
    d = x[keep] - eff[keep]
    if kind in ("p", "laney"):
        p = float((n[keep] * d).sum() / n[keep].sum())
        lim = _Limits(p, points=len(keep), total_n=float(n[keep].sum()))
        if kind == "p":
            return lim
        e = np.clip(p + eff[keep], 0.0, 1.0)
        with np.errstate(divide="ignore", invalid="ignore"):
            zs = np.where(e * (1 - e) > 0, (x[keep] - e) / np.sqrt(e * (1 - e) / n[keep]), 0.0)
        sigma, runs = _moving_range_sigma(zs, keep)
        return replace(lim, sigma=sigma, runs=runs)
    sigma, runs = _moving_range_sigma(d, keep)
    return _Limits(float(d.mean()), sigma, len(keep), runs)


def _stage_level(kind: str, lim: _Limits, x, n, eff) -> _Limits:
    """A seasonal stage's level: its mean deseasonalised value over the whole
    stage (n-weighted for a proportion; the outliers left out of the
    seasonal fit left out here too: pass the others), the phase-I sigma kept.

    The seasonal effects are estimated from every year, so each year's
    deseasonalised values carry that year's share of their error: a level
    from the first year alone would sit apart from the later years by twice
    the error of a year's mean, and runs on one side would come too often.
    Estimated with the effects, over the stage, it does not."""
    d = x - eff
    if kind in ("p", "laney"):
        return replace(lim, level=float((n * d).sum() / n.sum()), total_n=float(n.sum()),
                       points=len(d))
    return replace(lim, level=float(d.mean()), points=len(d))


def _judge(kind: str, lim: _Limits, x, n, eff):
    """(centre, sigma, z, half-width of the limits) of points against a stage's limits.

    Each chart allows for the centre (and sigma) being estimated from a
    short baseline, so that each rule keeps its normal-theory false-alarm
    rate for the points after it.  p-chart: sigma = sqrt(p (1 - p) / n),
    z = (x - p) / (sigma sqrt(1 + n / N)), N the baseline's total n; limits
    at |z| = 3.  XmR and Laney p' (sigma = sigma_z sqrt(p (1 - p) / n)): z is
    the normal score of the point's two-sided tail probability under
    :func:`_mr_tail`; the limits are where |z| = 3."""
    from scipy import stats

    centre = lim.level + eff
    if kind in ("p", "laney"):
        centre = np.clip(centre, 0.0, 1.0)
        sigma = np.sqrt(centre * (1 - centre) / n)
        widen = np.sqrt(1 + n / lim.total_n)
    else:
        sigma = np.full(len(x), 1.0)
        widen = np.full(len(x), np.sqrt(1 + 1 / max(lim.points, 1)))
    if kind == "p":
        se = sigma * widen
        with np.errstate(divide="ignore", invalid="ignore"):
            z = np.where(se > 0, (x - centre) / se, 0.0)
        return centre, sigma, z, 3 * se
    sigma = sigma * (lim.sigma or 0.0)
    se = sigma * widen
    if not (se > 0).any():
        return centre, sigma, np.zeros(len(x)), np.zeros(len(x))
    grid, logp = _mr_tail(lim.runs)
    with np.errstate(divide="ignore", invalid="ignore"):
        t = np.where(se > 0, np.abs(x - centre) / se, 0.0)
    lp = np.interp(t, grid, logp) - np.log(2)          # one-sided tail, log
    with np.errstate(over="ignore"):
        z = np.where(lp > -700, stats.norm.isf(np.exp(lp)), np.sqrt(-2 * lp))
    z = np.sign(x - centre) * z
    w = np.interp(-np.log(2 * stats.norm.sf(3)), -logp, grid)
    return centre, sigma, z, w * se


def _phase_one(kind, x, n, eff, base: np.ndarray) -> tuple[_Limits, np.ndarray]:
    """One stage's limits from its baseline, screened once: baseline points
    beyond the trial limits are left out and the limits recomputed (their
    moving ranges too).  Returns (limits, points kept)."""
    lim = _estimate(kind, x, n, eff, base)
    if kind != "p" and lim.sigma is None:
        return lim, base
    out = np.abs(_judge(kind, lim, x[base], n[base], eff[base])[2]) > 3
    keep = base[~out]
    if out.any() and len(keep) >= (1 if kind == "p" else 2):
        lim2 = _estimate(kind, x, n, eff, keep)
        if kind == "p" or lim2.sigma is not None:
            return lim2, keep
    return lim, base


def _shift_test(d: np.ndarray, a: int, k: int, b: int) -> tuple[float, float]:
    """(difference, p-value): does the (deseasonalised) level from ``k`` to the
    stage's end ``b`` differ from the stage's level before it, ``[a, k)``?
    The pooled two-sample t-test, as the t-test of the new level's dummy in
    the least-squares model ``d ~ 1 + new level`` on the stage's points."""
    from statsmodels.regression.linear_model import OLS

    y = d[a:b]
    X = np.column_stack([np.ones(len(y)), (np.arange(a, b) >= k).astype(float)])
    fit = OLS(y, X).fit()
    coef = float(fit.params[1])
    if fit.ssr <= 1e-20 * max(float(np.sum((y - y.mean()) ** 2)), 1e-300):
        return coef, (0.0 if abs(coef) > 0 else 1.0)     # no noise: any step is a shift
    return coef, float(fit.pvalues[1])


def _find_shift(z, d, starts: list[int], min_stage: int) -> int | None:
    """The first sustained shift in time order, or None.

    A run of ``SHIFT_RUN`` or more points on one side of the centre line
    (its stage's ``[i, j)``) is a candidate.  The shift's period is placed
    by least squares: the start ``k`` from ``i - 2`` to ``j - SHIFT_RUN``
    (so the new stage begins with at least ``SHIFT_RUN`` of the run's
    points) whose new level has the largest t statistic.  The stage before
    keeps at least 2 points (the first stage) or ``min_stage`` (a later
    one, enough for its own limits).  The shift is sustained when that new
    level differs from the stage's at SHIFT_ALPHA, in the run's direction."""
    bounds = list(zip(starts, starts[1:] + [len(z)]))
    for a, b in bounds:
        i = a
        while i < b:
            side = int(np.sign(z[i]))
            j = i + 1
            while j < b and side != 0 and np.sign(z[j]) == side:
                j += 1
            lo = max(i - 2, a + (min_stage if a else 2))
            if side and j - SHIFT_RUN >= lo:
                tests = [(k, *_shift_test(d, a, k, b)) for k in range(lo, j - SHIFT_RUN + 1)]
                k, coef, p = min(tests, key=lambda r: r[2])
                if p < SHIFT_ALPHA and np.sign(coef) == side:
                    return k
            i = j
    return None


def control_chart(kpis: pd.DataFrame, team: str, kpi: str, *, kind: str | None = None,
                  baseline: int | None = None, shifts=None, detect_shifts: bool = True,
                  seasonal="auto", bounds=None) -> pd.DataFrame:
    """Control-chart table of one team's KPI, as SPC practitioners draw it:
    phase-I limits, stages after process changes, seasonal expectation.

    Parameters
    ----------
    kpis : DataFrame
        Long KPI table.
    team, kpi : str
    kind : {"p", "laney", "xmr"}, optional
        ``p``: p-chart, sigma sqrt(p (1 - p) / n) from each period's own
        ``n``.  ``laney``: Laney p' chart, that sigma times sigma_z, the
        moving-range sigma of the standardised proportions (x - p) /
        sqrt(p (1 - p) / n): for proportions that vary from period to period
        more than sampling explains, usual with hundreds of tickets a month.
        ``xmr``: individuals chart, sigma = average moving range / d2, d2 =
        2/sqrt(pi) (see :data:`D2`).  Default: for a KPI with numerators (a
        proportion) ``laney`` when the series' sigma_z (all its points) is
        above what binomial sampling gives in 95% of series of its length
        (:data:`OVERDISPERSION_ALPHA`), else ``p``; ``xmr`` otherwise.  (A
        Laney chart on binomial data costs a little sensitivity; a p-chart
        on overdispersed data flags month after month, hence the 5%.)
    baseline : int, optional
        Phase-I window: each stage's centre line and sigma come from its
        first ``baseline`` periods (default :data:`BASELINE`, 12; all of a
        stage's periods when it is shorter), not from the whole history, so
        later points are judged against a fixed reference.  The window is
        screened once: points beyond its trial limits are left out and the
        limits recomputed.  At least 2.
    shifts : list of periods, optional
        Known process changes: each starts a new stage.  A stage gets its own
        limits, from its own first periods, once it has :data:`SHIFT_RUN`
        (8) periods (or ``baseline``, when smaller); until then its points
        are judged against the previous stage's limits.  Shifts outside the
        series are ignored.
    detect_shifts : bool
        Detect sustained shifts (default True).  A run of 8 or more points
        on one side of the centre line is a candidate.  Its start is placed
        by least squares (from 2 points before the run to where 8 of the
        run's points remain after it), and the shift is *sustained* when the
        new level, from there to the stage's end, differs from the stage's
        level at p < :data:`SHIFT_ALPHA` (0.001; t-test of the new level in
        the least-squares model ``value ~ stage levels (+ seasonal effects)
        + new level``), in the run's direction.  It starts a new stage
        with limits from its own first periods; its first point is flagged
        ``sustained_shift``.  Repeated until no run qualifies.  The stage
        before keeps at least 2 points (the first stage) or 8 (a later
        one).  A run that fades is not a shift: it stays flagged
        ``8_on_one_side``.
    seasonal : "auto", True or False
        Limits on the residuals from the seasonal pattern.  ``"auto"``
        decides with the test of :func:`seasonality` (an F-test of seasonal
        effects in ``value ~ stage levels + trend + season``, p < 0.01,
        needs two full seasons), with the stages found here.  The seasonal
        pattern is estimated from the whole series, since a phase-I window
        is shorter than the two seasons it needs: the effects (adjusted for
        trend and stage level) and, with them, each stage's level, the mean
        of its deseasonalised values (value minus effect; see
        :func:`_stage_level` for why not its first year's).  Sigma still
        comes from the phase-I window's deseasonalised values.  True forces
        the seasonal model (a DataError without two full seasons).
    bounds : (low, high), optional
        The KPI's range (the catalogue's ``bounds``): an individuals chart's
        limits stop at it, as SPC draws them (a duration's lower limit below
        zero is 0: no value can fall beyond it).

    Returns
    -------
    DataFrame, one row per period: ``period, value, n``; ``centre`` (the
    centre line: the stage's level plus the period's seasonal effect);
    ``sigma`` (the process sigma: XmR the moving-range sigma, p-chart
    sqrt(p (1 - p) / n), Laney that times sigma_z); ``lcl, ucl`` (the
    control limits; a proportion's vary with ``n`` and stay inside 0..1);
    ``z`` (the point's distance from the centre in sigmas, on the normal
    scale); ``rules`` (the rules broken, comma-separated; see
    :data:`RULES`); ``signal``; ``stage`` (1, 2, ...); ``expected`` (the
    value expected in the period, the centre line: ``expected ==
    centre``); ``level`` (the stage's level without the seasonal effect:
    equals ``centre`` when not seasonal); ``baseline`` (True for the
    phase-I points the stage's limits came from).  Rules are checked
    within each stage: beyond the limits (|z| > 3); 8 in a row on one side;
    6 in a row rising or falling (on the deseasonalised values); 2 of 3 in
    a row beyond 2 sigma on the same side.  ``attrs``: ``kind, team, kpi,
    seasonal, seasonal_p, season`` (periods per season), ``seasonal_effects``
    (position in season -> effect; empty when not seasonal),
    ``seasonal_left_out`` (outliers left out of the seasonal fit),
    ``baseline`` and ``stages`` (one dict per stage: ``stage, start, source`` "start" /
    "known" / "detected", ``baseline`` (first and last period of its
    window, None when it uses the previous stage's limits), ``excluded``
    (window periods screened out), ``own_limits``).

    Limits allow for the baseline being short.  With the centre and sigma
    estimated from 12 points, plain 3-sigma XmR limits put about 1.9% of
    later in-control points outside instead of 0.27%.  So a point's ``z``
    is the normal score of its tail probability given the estimates (XmR
    and Laney: :func:`_mr_tail`; p-chart: sqrt(1 + n/N) for the centre
    estimated from N baseline cases) and the limits sit where |z| = 3:
    wider than 3 sigma by the estimates' own uncertainty (4.4 sigma for
    XmR from 12 points).
    On simulated in-control series of 36 months (2,000 of each kind, as in
    ``tests/test_diagnostics.py``): points after the baseline fall outside
    the limits at 0.27% (XmR) and 0.31% (p-chart), nominal 0.27%; 1.8% and
    1.7% of all points break one of the four rules, against 1.3% with the
    centre and sigma known: the runs keep some excess (8 on one side: 1.0%
    against 0.6%) because the centre line is itself estimated from 12
    points; a longer ``baseline`` reduces it.  Seasonal series: 0.18% and
    1.1% on the seasonal chart (each point is part of its own seasonal
    estimate, which makes it a little conservative), 1.2% and 16% on a
    chart that ignores the season.  Proportions that vary more than
    sampling explains: 96% get a Laney chart; 0.37% and 2.0%, where a
    p-chart flags 12% and 13%.  False stages: 0.5% of series; false
    seasonal patterns: 1.4%.
    """
    s = _series(kpis, team, kpi)
    has_num = "numerator" in s and s["numerator"].notna().all() and (s["n"] > 0).all()
    auto_p = kind is None and has_num
    kind = kind or ("p" if has_num else "xmr")
    if kind not in ("p", "laney", "xmr"):
        raise InvalidArgument(f"kind must be 'p', 'laney' or 'xmr', not {kind!r}")
    if kind != "xmr" and not has_num:
        raise DataError(f"{kpi!r} has no numerators: a p-chart needs counts",
                        source="KPI table")
    if seasonal not in ("auto", True, False):
        raise InvalidArgument(f"seasonal must be 'auto', True or False, not {seasonal!r}")
    B = BASELINE if baseline is None else int(baseline)
    if B < 2:
        raise InvalidArgument(f"baseline must be at least 2 periods, not {B}")
    x = s["value"].to_numpy(float)
    n = s["n"].to_numpy(float)
    ords, m = _ordinals(s["period"]), season_length(s["period"])
    known = _shift_starts(s["period"], shifts)
    starts = sorted({0, *known})
    if kind == "xmr" and (starts[1] if len(starts) > 1 else len(x)) < 2:
        raise DataError(f"an XmR chart of {kpi!r} needs at least 2 periods"
                        + (" before the first shift" if len(starts) > 1 else ""),
                        source="KPI table")
    min_own = min(SHIFT_RUN, B)
    for _ in range(len(x)):
        stage = _stage_index(ords, starts)
        season = _seasonal_test(x, ords, stage, m)
        use = season.seasonal if seasonal == "auto" else bool(seasonal)
        if use and not np.isfinite(season.p_value):
            if seasonal is True:
                raise DataError(f"a seasonal chart of {kpi!r} needs {MIN_SEASONS} full "
                                f"seasons ({_untested(season.reason, 'en')})",
                                source="KPI table")
            use = False
        eff = season.effects[ords % m] if use else np.zeros(len(x))
        spans = list(zip(starts, starts[1:] + [len(x)]))
        if auto_p:                   # binomial or wider month-to-month variation?
            every = _estimate("laney", x, n, eff, np.arange(len(x)))
            kind = "laney" if _overdispersed(every) else "p"
        centre, sigma, z, half, level = (np.empty(len(x)) for _ in range(5))
        in_base = np.zeros(len(x), bool)
        info, lim = [], None
        for k, (a, b) in enumerate(spans):
            own = k == 0 or b - a >= min_own
            if own:
                base = np.arange(a, min(a + B, b))
                lim, kept = _phase_one(kind, x, n, eff, base)
                in_base[kept] = True
                if use:                 # the level is estimated with the seasonal effects
                    fit = np.setdiff1d(np.arange(a, b), season.left_out)
                    lim = _stage_level(kind, lim, x[fit], n[fit], eff[fit])
            centre[a:b], sigma[a:b], z[a:b], half[a:b] = _judge(kind, lim, x[a:b], n[a:b],
                                                                eff[a:b])
            level[a:b] = lim.level if kind == "xmr" else np.clip(lim.level, 0, 1)
            info.append({"stage": k + 1, "start": label(s["period"].iloc[a]),
                         "source": "start" if a == 0 else "known" if a in known else "detected",
                         "baseline": ((label(s["period"].iloc[base[0]]),
                                       label(s["period"].iloc[base[-1]])) if own else None),
                         "excluded": ([label(s["period"].iloc[i])
                                       for i in np.setdiff1d(base, kept)] if own else []),
                         "own_limits": own})
        if not detect_shifts:
            break
        j = _find_shift(z, x - eff, starts, min_own)
        if j is None:
            break
        starts = sorted({*starts, j})
    broken: list[list[str]] = []
    for a, b in spans:
        part = special_causes((x - eff)[a:b], z[a:b])
        if a > 0 and a not in known:
            part[0].append("sustained_shift")
        broken += part
    lcl, ucl = centre - half, centre + half
    if kind != "xmr":
        lcl, ucl = np.clip(lcl, 0, 1), np.clip(ucl, 0, 1)
    elif bounds is not None:
        low, high = (np.nan if b is None else b for b in bounds)
        lcl = np.where(np.isnan(low), lcl, np.fmax(lcl, low))
        ucl = np.where(np.isnan(high), ucl, np.fmin(ucl, high))
    out = pd.DataFrame({"period": s["period"], "value": x, "n": s["n"], "centre": centre,
                        "sigma": sigma, "lcl": lcl, "ucl": ucl, "z": z,
                        "rules": [", ".join(r) for r in broken],
                        "signal": [bool(r) for r in broken], "stage": stage,
                        "expected": centre.copy(), "level": level, "baseline": in_base})
    out.attrs.update(kind=kind, team=team, kpi=kpi, seasonal=bool(use),
                     seasonal_p=season.p_value, season=m,
                     seasonal_left_out=[label(s["period"].iloc[i]) for i in season.left_out],
                     seasonal_effects=({k: float(v) for k, v in enumerate(season.effects)}
                                       if use else {}),
                     baseline=B, stages=info)
    return out


def special_causes(x: np.ndarray, z: np.ndarray) -> list[list[str]]:
    """Rules broken at each point (a point is flagged when it completes a run).

    ``z`` is the distance from the centre in sigmas (for the runs and the
    limits), ``x`` the values (for the trend rule)."""
    from numpy.lib.stride_tricks import sliding_window_view as windows
    n = len(x)
    hits = {r: np.zeros(n, bool) for r in ("beyond_3_sigma", "8_on_one_side", "6_trending",
                                           "2_of_3_beyond_2_sigma")}
    hits["beyond_3_sigma"] = np.abs(z) > 3
    if n >= 8:
        w = windows(z, 8)
        hits["8_on_one_side"][7:] = (w > 0).all(axis=1) | (w < 0).all(axis=1)
    if n >= 6:
        w = windows(np.diff(x), 5)
        hits["6_trending"][5:] = (w > 0).all(axis=1) | (w < 0).all(axis=1)
    if n >= 3:
        w = windows(z, 3)
        hits["2_of_3_beyond_2_sigma"][2:] = ((((w > 2).sum(axis=1) >= 2) & (z[2:] > 2))
                                             | (((w < -2).sum(axis=1) >= 2) & (z[2:] < -2)))
    out: list[list[str]] = [[] for _ in range(n)]
    for rule, hit in hits.items():
        for i in np.flatnonzero(hit):
            out[i].append(rule)
    return out


# ------------------------------------------------------------------ in words
def _msg(key: str, language: str, **values) -> str:
    from .i18n import msg
    return msg(f"analysis.{key}", language, **values)


def _fmt(d, v: float, language: str, *, change: bool = False, unit=None) -> str:
    """The KPI's own format of ``v`` (``fmt`` or, for a signed change,
    ``fmt_change``), in ``language``, in ``unit`` (a :class:`~.catalogue.Unit`,
    the one a report's tables use; None: the unit that reads best for ``v``)."""
    f = d.fmt_change if change else d.fmt
    return f(v, unit=unit, language=language)


def _amount(d, v: float, language: str = "en", *, signed: bool = False, unit=None) -> str:
    """A change in words: shares in points ("3.1 points"), else in the KPI's format.

    Unsigned (a size, the verb gives the direction) unless ``signed`` (then
    a share is the bare number of points, "-1.2").  With ``unit`` (a report's),
    a non-zero amount that would read 0.0 gets more digits, as in the tables."""
    if not signed:
        v = abs(v)
    if d is not None and d.unit == "share":
        points = _fixed(v * 100, 1, keep=unit is not None)
        return points if signed else _msg("amount.points", language, value=points)
    return _fmt(d, v, language, unit=unit) if d is not None else f"{v:.3g}"


def _signed(d, v: float, language: str = "en", *, unit=None) -> str:
    """A signed change: ``+2.9 points`` for shares, else the KPI's format (``+27 s``)."""
    if d is not None and d.unit == "share":
        return _msg("amount.points", language,
                    value=_fixed(v * 100, 1, sign="+", keep=unit is not None))
    return _fmt(d, v, language, change=True, unit=unit) if d is not None else f"{v:+.3g}"


def _change(d, v: float, language: str, *, unit=None) -> str:
    """``rose 3.1 points`` / ``fell 23 s`` / ``did not change``."""
    if v == 0:
        return _msg("change.unchanged", language)
    return _msg("change.rose" if v > 0 else "change.fell", language,
                amount=_amount(d, v, language, unit=unit))


def _name(cat, kpi: str, language: str) -> str:
    return cat.label(kpi, language) if kpi in cat.kpis else kpi


# ------------------------------------------------------------------ before / after
def _pool(rows: pd.DataFrame) -> dict:
    """Pool several periods: counts add; means combine with their spread."""
    n = rows["n"].to_numpy(float)
    total = n.sum()
    out = {"n": total, "value": np.nan, "numerator": np.nan, "sd": np.nan}
    if total <= 0:
        return out
    if rows["numerator"].notna().all():
        out["numerator"] = rows["numerator"].sum()
        out["value"] = out["numerator"] / total
        return out
    m = rows["value"].to_numpy(float)
    mean = (n * m).sum() / total
    out["value"] = mean
    sd = rows["sd"].to_numpy(float)
    if np.isfinite(sd).all() and total > 1:
        ss = ((n - 1) * sd ** 2).sum() + (n * (m - mean) ** 2).sum()
        out["sd"] = float(np.sqrt(ss / (total - 1)))
    return out


@dataclass(frozen=True, eq=False)
class Comparison:
    """The result of :func:`compare_periods`: did a KPI really change?

    ``before``/``after`` are the (pooled) values, ``n_before``/``n_after``
    their observations; ``difference`` = after - before with its
    ``level`` confidence interval (``ci_low``, ``ci_high``); ``p_value`` of
    ``test`` (``two_proportion_z`` or ``welch_t``); ``effect_size`` with its
    ``effect_measure`` (``cohen_h`` or ``cohen_d``); ``significant`` (p <
    1 - ``level``).  :meth:`summary` says it in a sentence."""

    kpi: str
    before: float
    after: float
    n_before: float
    n_after: float
    difference: float
    ci_low: float
    ci_high: float
    p_value: float
    test: str
    effect_size: float
    effect_measure: str
    significant: bool
    level: float
    catalogue: Catalogue | None = field(default=None, repr=False)

    def summary(self, language: str = "en", *, unit: Unit | None = None) -> str:
        """"First-contact resolution rose 3.1 points (better) (95% CI 1.2 to 5.0),
        significant (two-proportion z-test, p < 0.001)".  ``unit``: the unit a
        duration's amounts are shown in (a report's, for its tables'); None:
        each in the unit that reads best for it."""
        cat = resolve(self.catalogue)
        d = cat.kpis.get(self.kpi)
        diff = self.difference
        better = ""
        if d is not None and d.sign and diff != 0:
            better = _msg("change.better" if d.sign * diff > 0 else "change.worse", language)
        return _msg("compare.sentence", language, kpi=_name(cat, self.kpi, language),
                    change=_change(d, diff, language, unit=unit), better=better,
                    ci=ci_label(self.level, language),
                    low=_amount(d, self.ci_low, language, signed=True, unit=unit),
                    high=_amount(d, self.ci_high, language, signed=True, unit=unit),
                    verdict=_msg("compare.significant" if self.significant
                                 else "compare.within_noise", language),
                    test=_msg(f"compare.test.{self.test}", language), p=fmt_p(self.p_value))


def fmt_p(p: float, decimals: int = 3) -> str:
    """A p-value as a reader sees it: ``p = 0.012``, or ``p < 0.001`` for one that
    would read 0.000 (it is never zero)."""
    floor = 10.0 ** -decimals
    return f"p < {floor:.{decimals}f}" if p < floor else f"p = {p:.{decimals}f}"


def compare_periods(kpis: pd.DataFrame, team: str, kpi: str, before, after, *,
                    catalogue: Catalogue | None = None, level: float = 0.95) -> Comparison:
    """Did ``kpi`` really change between ``before`` and ``after``?

    ``before``/``after`` are a period or a list of periods (pooled).  Rates
    (KPIs with numerators) get a two-proportion z-test (statsmodels) and a
    Newcombe interval for the difference, with Cohen's h; means (KPIs with
    ``sd``) Welch's t-test (scipy) and a Welch interval, with Cohen's d.
    Returns a :class:`Comparison` (its ``summary(language)``: "First-contact
    resolution rose 3.1 points (better) (95% CI 1.2 to 5.0), significant
    (...)" or "... within noise"; the CI label gives ``level``).  Cohen's h
    is statsmodels' ``proportion_effectsize(after, before)``.
    """
    from scipy import stats
    from statsmodels.stats.proportion import (confint_proportions_2indep,
                                              proportion_effectsize, proportions_ztest)

    cat = resolve(catalogue)
    rows = kpis[(kpis["team"] == team) & (kpis["kpi"] == kpi)]
    pick = lambda ps: rows[rows["period"].astype(str).isin(  # noqa: E731
        [str(p) for p in (ps if isinstance(ps, (list, tuple)) else [ps])])]
    a, b = _pool(pick(before)), _pool(pick(after))
    if not (a["n"] > 0 and b["n"] > 0):
        raise DataError(f"no data for {kpi!r} of team {team!r} in one of the periods",
                        source="KPI table")
    diff = b["value"] - a["value"]
    alpha = 1 - level
    if np.isfinite(a["numerator"]) and np.isfinite(b["numerator"]):
        with np.errstate(all="ignore"):   # all 0s or all 1s: no variance, no evidence
            _, pval = proportions_ztest([b["numerator"], a["numerator"]], [b["n"], a["n"]])
        lo, hi = confint_proportions_2indep(b["numerator"], b["n"], a["numerator"], a["n"],
                                            method="newcomb", compare="diff", alpha=alpha)
        effect = proportion_effectsize(b["value"], a["value"])
        test, effect_name = "two_proportion_z", "cohen_h"
    elif np.isfinite(a["sd"]) and np.isfinite(b["sd"]) and a["n"] > 1 and b["n"] > 1:
        with np.errstate(all="ignore"):
            t = stats.ttest_ind_from_stats(b["value"], b["sd"], b["n"], a["value"], a["sd"],
                                           a["n"], equal_var=False)
        pval = t.pvalue
        va, vb = a["sd"] ** 2 / a["n"], b["sd"] ** 2 / b["n"]
        se = np.sqrt(va + vb)
        dof = (va + vb) ** 2 / (va ** 2 / (a["n"] - 1) + vb ** 2 / (b["n"] - 1))
        half = stats.t.ppf(1 - alpha / 2, dof) * se
        lo, hi = diff - half, diff + half
        pooled = np.sqrt((a["sd"] ** 2 + b["sd"] ** 2) / 2)
        effect = diff / pooled if pooled > 0 else np.nan
        test, effect_name = "welch_t", "cohen_d"
    else:
        raise DataError(f"{kpi!r} carries neither numerators nor standard deviations: "
                        "no test applies", source="KPI table")
    if not np.isfinite(pval):   # zero variance on both sides
        pval = 1.0 if diff == 0 else 0.0
    return Comparison(kpi, float(a["value"]), float(b["value"]), float(a["n"]), float(b["n"]),
                      float(diff), float(lo), float(hi), float(pval), test, float(effect),
                      effect_name, bool(pval < alpha), level, cat)


# ------------------------------------------------------------------ seasonal change
#: The codes of :attr:`SeasonalContext.verdict` ("" when not seasonal, or
#: no earlier year to compare with).
SEASONAL_VERDICTS = ("usual", "larger", "smaller", "different")


@dataclass(frozen=True, eq=False)
class SeasonalContext:
    """The result of :func:`seasonal_context`: is a change the usual seasonal one?

    ``change`` from ``previous`` to ``period`` (labels); ``past`` (DataFrame
    ``period, previous, change``, latest first); ``seasonal`` and
    ``p_value`` (of the seasonality test; NaN when given or untestable),
    ``reason`` (why untested, a code of :data:`UNTESTED`, or ""); ``usual``;
    ``verdict`` (:data:`SEASONAL_VERDICTS` or ""); ``usual_range`` (low,
    high); ``noise``; ``level`` and ``alpha``.  :meth:`summary` says it."""

    kpi: str
    period: str
    previous: str
    change: float
    past: pd.DataFrame
    seasonal: bool
    p_value: float
    usual: bool
    verdict: str
    usual_range: tuple
    noise: float
    level: float
    alpha: float
    reason: str = ""
    catalogue: Catalogue | None = field(default=None, repr=False)

    def summary(self, language: str = "en", *, unit: Unit | None = None) -> str:
        """"Average first response time rose 23 s from 2026-09 to 2026-10; the
        same change in past years: +27 s (2025-10), +25 s (2024-10): the usual
        seasonal rise.".  ``unit`` as for :meth:`Comparison.summary`."""
        cat = resolve(self.catalogue)
        d = cat.kpis.get(self.kpi)
        change, past = self.change, self.past
        text = _msg("seasonal.change", language, kpi=_name(cat, self.kpi, language),
                    change=_change(d, change, language, unit=unit), previous=self.previous,
                    period=self.period)
        if len(past):
            text += _msg("seasonal.past", language, changes=_msg("list_separator", language).join(
                _msg("seasonal.past_one", language, period=p,
                     change=_signed(d, c, language, unit=unit))
                for p, c in zip(past["period"], past["change"])))
        move = _msg("seasonal.rise" if change > 0 else "seasonal.fall", language)
        if self.usual:
            text += _msg("seasonal.usual", language, move=move)
        elif self.verdict in ("larger", "smaller"):
            lo, hi = past["change"].min(), past["change"].max()
            seen = (_signed(d, lo, language, unit=unit) if lo == hi else _msg(
                "seasonal.range", language, low=_signed(d, lo, language, unit=unit),
                high=_signed(d, hi, language, unit=unit)))
            text += _msg(f"seasonal.{self.verdict}", language, move=move, seen=seen,
                         noise=_amount(d, self.noise, language, unit=unit),
                         level=f"{self.level * 100:g}%")
        elif self.seasonal and len(past):
            text += _msg("seasonal.different", language)
        elif self.seasonal:
            text += _msg("seasonal.no_earlier", language)
        elif np.isfinite(self.p_value):
            text += _msg("seasonal.not_seasonal", language, alpha=f"{self.alpha * 100:g}%",
                         p=fmt_p(self.p_value, 2))
        else:
            text += _msg("seasonal.untested", language,
                         reason=_untested(self.reason or "not_asked", language))
        return text


def seasonal_context(kpis: pd.DataFrame, team: str, kpi: str, period, *,
                     catalogue: Catalogue | None = None, seasonal="auto",
                     alpha: float = SEASONAL_ALPHA, level: float = 0.95) -> SeasonalContext:
    """Is the change into ``period`` the usual seasonal one?

    The change of ``kpi`` from the period before ``period`` to ``period``,
    and the same change (the same two periods of the season) in each
    earlier year with both values.  ``seasonal`` is decided by
    :func:`seasonality` on the periods up to ``period``, unless given (a
    control chart's ``attrs["seasonal"]``, so a report says one thing).

    The change is *the usual seasonal one* when the KPI is seasonal, at
    least one earlier year has the change, every earlier year moved the
    same way as this one, and by about as much: inside the range of the
    earlier years' changes widened by the noise of a change, z x sqrt(2) x
    sigma (z the normal quantile of ``level``; sigma the residual sd of
    the seasonal model of :func:`seasonality`, a single period's noise
    around the seasonal pattern, or, when the series is too short for that
    model, :func:`servicekpi.targets.period_noise`; a change is the
    difference of two periods' values, hence sqrt(2)).  Beyond that range
    it is *larger* or *smaller than the usual seasonal rise* (or fall).

    Returns a :class:`SeasonalContext`: ``kpi, period, previous`` (labels),
    ``change``, ``past`` (DataFrame ``period, previous, change``, latest
    first), ``seasonal``, ``p_value`` (of the seasonality test; NaN when
    given or untestable), ``usual``, ``verdict`` (``usual``, ``larger``,
    ``smaller``, ``different`` (another direction than some earlier year)
    or ``""`` (not seasonal, or no earlier year)), ``usual_range`` (low,
    high: the widened range; NaNs without earlier years), ``noise`` (z x
    sqrt(2) x sigma); its ``summary(language)`` is the sentence ("Average
    first response time rose 23 s from 2026-09 to 2026-10; the same change
    in past years: +27 s (2025-10), +25 s (2024-10): the usual seasonal
    rise.").
    """
    from scipy.stats import norm

    from .targets import period_noise

    cat = resolve(catalogue)
    s = _series(kpis, team, kpi)
    freq = s["period"].dt.freq
    now = pd.Period(str(period), freq=freq)
    s = s[s["period"] <= now]
    values = dict(zip(s["period"], s["value"].astype(float)))
    if now not in values or now - 1 not in values:
        raise DataError(f"no values of {kpi!r} for team {team!r} in {label(now - 1)} and "
                        f"{label(now)}", source="KPI table")
    m = season_length(s["period"])
    test = seasonality(s, team, kpi, alpha=alpha)
    if seasonal == "auto":
        is_seasonal, pval, reason = test.seasonal, test.p_value, test.reason
    else:
        is_seasonal, pval, reason = bool(seasonal), np.nan, "not_asked"
    sigma = test.resid_sd
    if not np.isfinite(sigma):
        sigma = period_noise(pd.Series(s["value"].to_numpy(float),
                                       index=pd.PeriodIndex(s["period"])), periods=None)
    noise = float(norm.ppf((1 + level) / 2) * np.sqrt(2) * sigma)
    change = values[now] - values[now - 1]
    past = []
    for k in range(1, len(s) // max(m, 1) + 1) if m > 1 else []:
        q = now - k * m
        if q in values and q - 1 in values:
            past.append({"period": label(q), "previous": label(q - 1),
                         "change": values[q] - values[q - 1]})
    past = pd.DataFrame(past, columns=["period", "previous", "change"])
    band = ((float(past["change"].min() - noise), float(past["change"].max() + noise))
            if len(past) and np.isfinite(noise) else (np.nan, np.nan))
    verdict = ""
    if is_seasonal and len(past):
        if change == 0 or not (np.sign(past["change"]) == np.sign(change)).all():
            verdict = "different"
        elif not np.isfinite(noise) or band[0] <= change <= band[1]:
            verdict = "usual"
        else:
            verdict = "larger" if abs(change) > past["change"].abs().max() else "smaller"
    return SeasonalContext(kpi, label(now), label(now - 1), change, past, is_seasonal, pval,
                           verdict == "usual", verdict, band, noise, level, alpha,
                           reason, cat)


# ------------------------------------------------------------------ Pareto of causes
#: What :func:`pareto` counts: complaints, reopened tickets, SLA misses.
FLAGS = ("is_complaint", "reopened", "sla_missed")


def _flag(tickets: pd.DataFrame, flag: str) -> np.ndarray:
    if flag == "sla_missed":
        created = _as_datetime(tickets["created_at"])
        as_of = tickets.attrs.get("as_of") or created.max()
        met = sla_outcome(_Cols(created, tickets, np.datetime64(pd.Timestamp(as_of), "ns")))
        return met == 0
    if flag not in tickets.columns:
        raise DataError(f"no column '{flag}' in the tickets", source="tickets")
    return tickets[flag].to_numpy(dtype=float, na_value=np.nan) == 1


def pareto(tickets: pd.DataFrame, *, team: str | None = None, period=None,
           by: str = "category", flag: str = "is_complaint", top: int = 3,
           freq: str = "month") -> pd.DataFrame:
    """The top causes of ``flag`` (complaints, reopens or SLA misses) by ``by``.

    Counts flagged tickets per ``by`` value in ``period`` (default: the
    latest period of the team's tickets, but not a last period the export ends
    inside while an earlier one has tickets: 13 days of October against all of
    September would read as complaints halved), with ``share``, ``cumulative``
    share, ``top`` (the first ``top`` causes, and any tied with the last of
    them), and the change against the previous period (``previous``,
    ``change`` in tickets, ``share_change`` in share points).  Sorted by
    count, then name, so ties are listed in a stable order.
    """
    if flag not in FLAGS:
        raise InvalidArgument(f"flag must be one of {', '.join(FLAGS)}, not {flag!r}")
    if top < 1:
        raise InvalidArgument(f"top must be at least 1, not {top}")
    expect_team(tickets, team)
    t = tickets if team is None else tickets[tickets["team"] == team]
    if by not in t.columns:
        raise DataError(f"no column '{by}' in the tickets", source="tickets")
    per = pd.PeriodIndex(t["created_at"].dt.to_period(freq_of(freq)))
    hit = _flag(t, flag)
    now = pd.Period(period, freq_of(freq)) if period is not None else per.max()
    if period is None and len(tickets):
        part = partial_period(
            coverage_end(tickets.attrs.get("as_of"),
                         declared=bool(tickets.attrs.get("as_of_declared"))),
            freq, pd.Period(_as_datetime(tickets["created_at"]).max(), freq_of(freq)))
        if part is not None and now == part and (per < now).any():
            now = now - 1
    cause = t[by].astype("string").fillna("(missing)").to_numpy()

    def counts(p):
        m = (per == p) & hit
        return pd.Series(cause[m]).value_counts()
    cur, prev = counts(now), counts(now - 1)
    names = sorted(set(cur.index) | set(prev.index))
    out = pd.DataFrame({by: names, "count": [int(cur.get(n, 0)) for n in names],
                        "previous": [int(prev.get(n, 0)) for n in names]})
    out = out[(out["count"] > 0) | (out["previous"] > 0)]
    out = out.sort_values(["count", by], ascending=[False, True]).reset_index(drop=True)
    total, total_prev = out["count"].sum(), out["previous"].sum()
    out["share"] = out["count"] / total if total else 0.0
    out["cumulative"] = out["share"].cumsum()
    prev_share = out["previous"] / total_prev if total_prev else 0.0
    out["change"] = out["count"] - out["previous"]
    out["share_change"] = out["share"] - prev_share
    cut = out["count"].iloc[top - 1] if len(out) >= top else 0
    # a cause with no complaint this period is never a top one, whatever its place
    out["top"] = ((out.index < top) | (out["count"] == cut)) & (out["count"] > 0)
    out.attrs.update(period=label(now), flag=flag, total=int(total),
                     previous_total=int(total_prev))
    return out


# ------------------------------------------------------------------ mix / rate
@dataclass(frozen=True, eq=False)
class Decomposition:
    """The result of :func:`decompose_change`: a KPI change split into mix and rate.

    ``before``/``after`` are the KPI's values in ``before_period`` and
    ``after_period`` (labels), ``total`` = after - before = ``mix`` +
    ``rate``; ``segments`` one row per value of ``by`` (largest total
    first).  :meth:`summary` says it in a sentence."""

    kpi: str
    team: str
    by: str
    before_period: str
    after_period: str
    before: float
    after: float
    total: float
    mix: float
    rate: float
    segments: pd.DataFrame
    catalogue: Catalogue | None = field(default=None, repr=False)

    @property
    def largest_shift(self):
        """The segment whose change of share moved the KPI most (largest |mix|:
        see :func:`decompose_change`), or None."""
        seg = self.segments
        return seg.loc[seg["mix"].abs().idxmax(), self.by] if len(seg) else None

    def summary(self, language: str = "en", *, by_label: str | None = None,
                unit: Unit | None = None) -> str:
        """"First-contact resolution fell 17.0 points from 2024-01 to 2024-02:
        13.5 points down from the mix of category (largest shift: Y), 3.5 points
        down from the rate within each category."  ``by_label`` names the
        segments' column for a reader (default: the column's name); ``unit`` as
        for :meth:`Comparison.summary`."""
        cat = resolve(self.catalogue)
        d = cat.kpis.get(self.kpi)

        def way(v):
            return _msg("decomposition.up" if v >= 0 else "decomposition.down", language)
        return _msg("decomposition.sentence", language, kpi=_name(cat, self.kpi, language),
                    change=_change(d, self.total, language, unit=unit),
                    before=self.before_period, after=self.after_period,
                    mix=_amount(d, self.mix, language, unit=unit),
                    mix_way=way(self.mix), rate=_amount(d, self.rate, language, unit=unit),
                    rate_way=way(self.rate), by=by_label or self.by,
                    largest=self.largest_shift)


def decompose_change(tickets: pd.DataFrame, kpi: str, *, team: str, before, after,
                     by: str = "category", freq: str = "month",
                     catalogue: Catalogue | None = None) -> Decomposition:
    """Split the change of ``kpi`` between two periods into mix and rate effects.

    With segment weights w (each segment's share of the KPI's denominator)
    and segment values r, the KPI is sum(w * r).  The change splits into

    - mix  = sum((w_after - w_before) * ((r_before + r_after) / 2 - c))
    - rate = sum((r_after - r_before) * (w_before + w_after) / 2)

    which add up to the total change exactly.  ``c``, the KPI's mean over the
    two periods, changes no sum (the shares' changes add up to zero) but
    makes each segment's mix effect mean what its row says: the change of
    its share times how far its value lies from the KPI's.  A segment that
    grows moves the KPI towards its own value: up when that is above the
    KPI, down when below, and not at all when level with it.  (Without
    ``c`` a growing segment whose value is below the KPI's showed a
    positive effect, offset by a large negative one of the segments that
    shrank.)  A segment present in one period only contributes to mix (its
    rate is taken as unchanged).
    ``freq`` is the kind of period (``"month"``, ``"week"``, ``"quarter"``).

    Returns a :class:`Decomposition`: ``before``, ``after``, ``total``,
    ``mix``, ``rate``, ``segments`` (a DataFrame of each segment's weights,
    values and contributions); ``summary(language)`` for the sentence.
    """
    cat = resolve(catalogue)
    # all teams' tickets: repeat contacts look across teams
    seg = compute_kpis(tickets, freq=freq, by=by, kpi_list=[kpi])
    seg = seg[(seg["kpi"] == kpi) & (seg["team"] == team)]
    b, a = pd.Period(before, freq_of(freq)), pd.Period(after, freq_of(freq))

    def side(p):
        rows = seg[(seg["period"] == p) & (seg["n"] > 0)].set_index(by)
        if rows.empty:
            raise DataError(f"no {kpi!r} data for team {team!r} in {label(p)}",
                            source="tickets")
        return rows["n"] / rows["n"].sum(), rows["value"]
    w1, r1 = side(b)
    w2, r2 = side(a)
    idx = sorted(set(w1.index) | set(w2.index))
    w1, w2 = w1.reindex(idx, fill_value=0.0), w2.reindex(idx, fill_value=0.0)
    r1, r2 = r1.reindex(idx), r2.reindex(idx)
    r1, r2 = r1.fillna(r2), r2.fillna(r1)
    v1, v2 = float((w1 * r1).sum()), float((w2 * r2).sum())
    mix = (w2 - w1) * ((r1 + r2) / 2 - (v1 + v2) / 2)
    rate = (r2 - r1) * (w1 + w2) / 2
    segments = pd.DataFrame({by: idx, "weight_before": w1.to_numpy(), "weight_after": w2.to_numpy(),
                             "value_before": r1.to_numpy(), "value_after": r2.to_numpy(),
                             "mix": mix.to_numpy(), "rate": rate.to_numpy()})
    segments["total"] = segments["mix"] + segments["rate"]
    segments = segments.reindex(segments["total"].abs().sort_values(ascending=False).index)
    return Decomposition(kpi, team, by, label(b), label(a), v1, v2, v2 - v1,
                         float(mix.sum()), float(rate.sum()),
                         segments.reset_index(drop=True), cat)
