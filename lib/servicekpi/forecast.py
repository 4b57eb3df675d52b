"""Forecasting KPI trajectories, and the probability of meeting a target.

:func:`simulate` takes one KPI series (a pandas Series indexed by period)
and returns a :class:`Simulation`: paths of the KPI's future whose spread
per period is its predictive distribution.  Everything said about a target
comes from one simulation to its deadline: the probability of meeting it,
the forecast (the median path) and its intervals (:meth:`Simulation.outlook`,
:meth:`Simulation.frame`), and when it is expected to be reached
(:meth:`Simulation.expected_reached`).  :func:`forecast` returns the forecast
and prediction intervals for the next periods; :func:`target_outlook` one
target's outlook; :func:`simulate_many` many series at once, in a process
pool.

Methods (``method=``):

``"auto"`` (the default): the **combination** of :mod:`servicekpi.ensemble`:
the mean of Theta, damped ETS, ARIMA and airline-model forecasts on the
modelling scale
(:data:`servicekpi.ensemble.COMPONENTS`), each fitted once; intervals from
the errors that procedure made on held-out data (the calibration tables), so
an 80% interval is as wide as the one that held 80% of those outcomes at the
same horizon.  Its paths are the quantiles of that distribution (path ``j``
of ``n`` is the ``(j + 0.5) / n`` quantile in every period): each period's
spread of paths is the forecast distribution, but a path is not a sampled
trajectory; there are no random draws, so ``seed`` does not change them.

``"select"``: model selection: the candidates below are scored by
rolling-origin cross-validation on the series' own history (mean absolute
error over the last :data:`CV_ORIGINS` origins at a horizon of at most
:data:`MAX_CV_HORIZON`), near ties (within 2%) broken by AIC; the chosen
model's paths simulated by statsmodels (seeded).  With ``calibrate=True``
the model is re-fitted at earlier origins, **before** the points that chose
it, and its errors there compared with the spread of its own simulated
paths: where the errors are larger (the 80th percentile of the standardised
errors above the normal one, ``norm.ppf(0.9)`` = 1.2816), the paths' spread
around their median is widened by that factor (``attrs["calibration"]``;
never narrowed).

Or one candidate by name, simulated by statsmodels (the same calibration):

=================  ==========================================================
naive              ARIMA(0,1,0): random walk
drift              ARIMA(0,1,0) with a linear trend term
seasonal_naive     SARIMA(0,0,0)(0,1,0)m: last season repeated
ets_ann            ETSModel, additive error, no trend (simple exponential smoothing)
ets_aadn           ETSModel, additive error, additive damped trend
ets_ana            ETSModel, additive error, additive seasonality
ets_mnn            ETSModel, multiplicative error (positive, untransformed series)
arima_ar1          ARIMA(1,0,0) with a constant: mean-reverting
theta              ThetaModel (deseasonalised when the series supports it)
=================  ==========================================================

A constant series gets a flat forecast; a series of 1-3 points the result
``not enough history``.  Models that fail to fit are skipped (each failure
kept in :attr:`Simulation.failures`); their warnings are swallowed.  Fits
run with one BLAS thread (threadpoolctl): small models are slower with
more, and much slower when the cores are busy.

Bounds: with both bounds (a rate in [0, 1], NPS in [-100, 100], CSAT in
[1, 5]) the series is modelled on the scaled-logit scale; with only a lower
bound and positive values, on the log scale; paths are back-transformed and
clipped to the bounds: neither the forecast nor its intervals leave the
KPI's range.  A value at a bound (24 of 24 SLAs met) is taken half an
observation inside it when the observations behind it are given
(``counts``; the gap table gives each period's ``n``), else 0.1% of the
range inside it.

Levels of prediction intervals are fractions (``levels=(0.8, 0.95)``, as
``level=0.95`` elsewhere in the package); the columns are named by percent
(``lower_80``, ``upper_95``).

Gaps: missing periods inside the series are filled by linear interpolation
for fitting (listed in ``attrs["filled"]``); forecasts start after the last
observed period.
"""
from __future__ import annotations

import functools
import warnings
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from .ensemble import _one_sd_alpha, _quiet, _reason
from .errors import DataError, InvalidArgument

SEASONS = {"M": 12, "Q": 4, "W": 52}
MIN_POINTS = 4
#: The longest horizon :func:`simulate` cross-validates at when choosing a
#: model (also at most a quarter of the series, and the horizon asked for).
MAX_CV_HORIZON = 6
#: How many rolling origins (at most) that cross-validation averages over.
CV_ORIGINS = 3
#: The prediction-interval levels reported by default (fractions).
LEVELS = (0.8, 0.95)


#: The codes of :attr:`Simulation.status` (words: ``analysis.forecast.status.<code>``
#: in the message catalogue).  :func:`target_outlook` adds ``deadline_reached``
#: and ``no_value_at_deadline``.
SIMULATION_STATUSES = ("ok", "constant", "not_enough_history")


# ------------------------------------------------------------------ normal constants
# Read off the standard normal distribution (scipy), never typed in.
@functools.cache
def _one_sd_percentiles() -> tuple[float, float]:
    """Percentiles at -1 and +1 sd of a normal, 100 Phi(-1) and 100 Phi(1)
    (15.87, 84.13): half their distance is one sd."""
    from scipy.stats import norm
    return float(100 * norm.cdf(-1)), float(100 * norm.cdf(1))


@functools.cache
def _abs_normal_p80() -> float:
    """The 80th percentile of |Z|, Z standard normal: Phi^-1(0.9) = 1.2816
    (P(|Z| <= z) = 2 Phi(z) - 1 = 0.8)."""
    from scipy.stats import norm
    return float(norm.ppf(0.9))


def _levels(levels, stacklevel: int = 3) -> list[tuple[float, str]]:
    """``[(fraction, column label)]``: ``(0.8, "80")``.  Levels are fractions in
    (0, 1); percentages (80, 95: this module's old convention) are still read,
    with a FutureWarning (``stacklevel`` points it at the caller's line)."""
    out = []
    for lev in levels:
        lev = float(lev)
        if 1 < lev < 100:
            warnings.warn("prediction-interval levels are fractions (0.8, 0.95); "
                          f"{lev:g} was read as {lev / 100:g}", FutureWarning,
                          stacklevel=stacklevel)
            lev /= 100
        if not 0 < lev < 1:
            raise InvalidArgument(f"a prediction-interval level must lie between 0 and 1, "
                                  f"not {lev:g}")
        out.append((lev, f"{100 * lev:g}"))
    return out


# ------------------------------------------------------------------ the series
def _prepare(series: pd.Series) -> tuple[pd.Series, list]:
    """Sorted, regular PeriodIndex; interior gaps interpolated."""
    try:
        s = pd.Series(series).astype(float)
    except (TypeError, ValueError):
        raise InvalidArgument("series: expected numbers indexed by period (a KPI table's "
                              "values with its period column as the index)") from None
    if isinstance(s.index, pd.DatetimeIndex):
        with warnings.catch_warnings():      # pandas 3 announces an offset, not a string
            warnings.simplefilter("ignore")
            freq = pd.infer_freq(s.index) if len(s.index) > 2 else None
        freq = getattr(freq, "freqstr", freq) or "M"
        # months, quarters and years by their first or last day ("MS", "QS-OCT",
        # "YS-JAN") are calendar periods; weeks by any weekday are ISO weeks
        freq = PERIOD_OF.get(freq.lstrip("BC")[:1], freq)   # business days' too
        s.index = s.index.to_period(freq)
    if not isinstance(s.index, pd.PeriodIndex):
        try:
            if pd.api.types.is_numeric_dtype(s.index.dtype):   # positions, not periods
                raise TypeError
            s.index = pd.PeriodIndex(s.index)
        except (TypeError, ValueError):
            raise InvalidArgument("series: expected an index of periods or timestamps (a KPI "
                                  "table's period column), not "
                                  f"{type(s.index).__name__}") from None
    s = s[~s.index.duplicated(keep="last")].sort_index().dropna()
    if s.empty:
        return s, []
    full = pd.period_range(s.index[0], s.index[-1], freq=s.index.freq)
    s = s.reindex(full)
    filled = list(s.index[s.isna()])
    return s.interpolate(method="linear"), filled


#: The period a series of timestamps is read in, by the first letter of pandas'
#: inferred frequency.
PERIOD_OF = {"M": "M", "Q": "Q-DEC", "Y": "Y-DEC", "A": "Y-DEC", "W": "W-SUN"}


def _check_bounds(s: pd.Series, bounds) -> tuple | None:
    """``bounds`` as a (low, high) tuple; refused when they are no range, or values
    lie outside them (a share written in percent, 79.3 against bounds (0, 1), was
    forecast at 0.99)."""
    if bounds is None:
        return None
    try:
        bounds = tuple(bounds)
        if any(isinstance(b, str) for b in bounds):
            raise TypeError
        lo, hi = (None if b is None else float(b) for b in bounds)
    except (TypeError, ValueError):
        raise InvalidArgument(f"bounds: expected (low, high) numbers, None for an open "
                              f"side, not {bounds!r}") from None
    if lo is not None and hi is not None and not lo < hi:
        raise InvalidArgument(f"bounds: low must be below high, not {tuple(bounds)}")
    v = s.to_numpy(float)
    out = ((v < lo) if lo is not None else False) | ((v > hi) if hi is not None else False)
    if np.any(out):
        shown = ", ".join(f"{x:g}" for x in v[out][:3])
        raise InvalidArgument(f"{int(np.sum(out))} value(s) outside the bounds "
                              f"{tuple(bounds)}: {shown} (a share written in percent?)")
    return bounds


def _season(index: pd.PeriodIndex, seasonal_period) -> int:
    if seasonal_period is not None:
        return int(seasonal_period)
    code = index.freqstr[0] if len(index) else "M"
    return SEASONS.get(code, 0)


@dataclass(frozen=True)
class _Transform:
    lo: float | None
    hi: float | None
    kind: str  # none | logit | log

    @classmethod
    def for_series(cls, y: np.ndarray, bounds) -> "_Transform":
        lo, hi = (bounds or (None, None))
        lo = None if lo is None or not np.isfinite(lo) else float(lo)
        hi = None if hi is None or not np.isfinite(hi) else float(hi)
        if lo is not None and hi is not None:
            return cls(lo, hi, "logit")
        if lo is not None and np.min(y) > lo:
            return cls(lo, hi, "log")
        return cls(lo, hi, "none")

    def _inside(self, z, counts=None):
        """Scaled values (0 and 1 the bounds) moved just inside them: 0.1% of the
        range, or a value at a bound with the observations behind it known, half
        an observation (0.5 / (n + 1), the empirical logit's correction): 24 of 24
        SLAs met is 98%, not 99.9%, on a scale where 99.9% lies as far from 90% as
        10% does.  Values inside the bounds are never moved further than 0.1%
        (a mean of n answers, CSAT 4.9 of 5, may lie nearer than half an answer)."""
        z = np.asarray(z, float)
        if counts is not None:
            n = np.asarray(counts, float)
            half = np.where(np.isfinite(n) & (n > 0), 0.5 / (n + 1), 0.0)
            z = np.where(z <= 0, half, np.where(z >= 1, 1 - half, z))
        return np.clip(z, 1e-3, 1 - 1e-3)

    def forward(self, y, counts=None):
        y = np.asarray(y, float)
        if self.kind == "logit":
            z = self._inside((y - self.lo) / (self.hi - self.lo), counts)
            return np.log(z / (1 - z))
        if self.kind == "log":
            return np.log(y - self.lo)
        return y

    def backward(self, z):
        z = np.asarray(z, float)
        if self.kind == "logit":
            y = self.lo + (self.hi - self.lo) / (1 + np.exp(-z))
        elif self.kind == "log":
            y = self.lo + np.exp(np.clip(z, -700, 700))
        else:
            y = z
        if self.lo is not None or self.hi is not None:
            y = np.clip(y, self.lo if self.lo is not None else -np.inf,
                        self.hi if self.hi is not None else np.inf)
        return y


def modelling_scale(y, bounds) -> _Transform:
    """The scale a series with these catalogue ``bounds`` is modelled on (see
    the module docstring): ``forward`` and ``backward`` map values to it and
    back, ``kind`` is ``logit``, ``log`` or ``none``.  The combination's
    calibration tables were fitted on the same scale
    (``benchmarks/calibrate_forecast.py``)."""
    return _Transform.for_series(np.asarray(y, float), bounds)


# ------------------------------------------------------------------ candidate models
@dataclass
class _Fit:
    name: str
    result: object
    kind: str  # arima | ets | theta
    aic: float = np.nan

    def mean(self, h: int) -> np.ndarray:
        return np.asarray(_quiet(self.result.forecast)(h), float)

    def paths(self, h: int, n: int, rng: np.random.Generator) -> np.ndarray:
        if self.kind in ("ets", "arima"):   # statsmodels' own simulation of the fitted model
            sims = _quiet(self.result.simulate)(h, anchor="end", repetitions=n, rng=rng)
        else:  # theta: normal marginals from its prediction-interval variance
            mean = self.mean(h)
            lo = _quiet(self.result.prediction_intervals)(h, alpha=_one_sd_alpha())["lower"]
            sd = np.maximum(mean - np.asarray(lo, float), 0.0)
            sims = mean[:, None] + sd[:, None] * rng.standard_normal((h, n))
        return np.asarray(sims, float).reshape(h, -1)


def _candidates(n: int, m: int, positive_raw: bool) -> list[str]:
    seasonal = m > 1 and n >= 2 * m + 2
    short = n < max(2 * m, 16) if m > 1 else n < 16
    if short:
        return ["naive", "drift", "ets_ann"]
    names = ["naive", "drift", "ets_ann", "ets_aadn", "arima_ar1", "theta"]
    if positive_raw:
        names.append("ets_mnn")
    if seasonal:
        names += ["seasonal_naive", "ets_ana"]
    return names


class _NoFit(Exception):
    """A model fitted without error but unusable (parameters not finite)."""


CANDIDATES = ("naive", "drift", "seasonal_naive", "ets_ann", "ets_aadn", "ets_ana", "ets_mnn",
              "arima_ar1", "theta")
#: Every ``method=`` of :func:`simulate` (see the module docstring).
METHODS = ("auto", "select", *CANDIDATES)


@_quiet
def _fit(name: str, y: np.ndarray, m: int) -> _Fit:
    from statsmodels.tsa.arima.model import ARIMA
    from statsmodels.tsa.exponential_smoothing.ets import ETSModel
    from statsmodels.tsa.forecasting.theta import ThetaModel

    if name == "naive":
        r = ARIMA(y, order=(0, 1, 0)).fit()
        return _Fit(name, r, "arima", r.aic)
    if name == "drift":
        r = ARIMA(y, order=(0, 1, 0), trend="t").fit()
        return _Fit(name, r, "arima", r.aic)
    if name == "seasonal_naive":
        r = ARIMA(y, order=(0, 0, 0), seasonal_order=(0, 1, 0, m)).fit()
        return _Fit(name, r, "arima", r.aic)
    if name == "arima_ar1":
        r = ARIMA(y, order=(1, 0, 0), trend="c").fit()
        return _Fit(name, r, "arima", r.aic)
    if name.startswith("ets_"):
        spec = {"ets_ann": dict(error="add"),
                "ets_aadn": dict(error="add", trend="add", damped_trend=True),
                "ets_ana": dict(error="add", seasonal="add", seasonal_periods=m),
                "ets_mnn": dict(error="mul")}[name]
        r = ETSModel(y, **spec).fit(disp=False)
        if not np.all(np.isfinite(r.params)):
            raise _NoFit("did not converge")
        return _Fit(name, r, "ets", r.aic)
    if name == "theta":
        r = ThetaModel(y, period=m if m > 1 else None,
                       deseasonalize=bool(m > 1 and len(y) >= 2 * m)).fit()
        return _Fit(name, r, "theta", np.nan)
    raise InvalidArgument(f"unknown forecasting model {name!r}; expected one of "
                          f"{', '.join(CANDIDATES)}")


def _cv_error(name: str, y: np.ndarray, m: int, h: int, origins: int = CV_ORIGINS,
              failures: dict | None = None) -> float:
    """Mean absolute error of ``name`` over rolling origins at the end of ``y``
    (inf when the model fails at an origin: the reason goes to ``failures``)."""
    errors = []
    min_train = max(MIN_POINTS + 2, 2 * m + 2 if name in ("seasonal_naive", "ets_ana") else 0)
    for j in range(origins):
        cut = len(y) - h - j * max(1, h // 2)
        if cut < min_train:
            break
        try:
            f = _fit(name, y[:cut], m).mean(h)
        except InvalidArgument:
            raise
        except Exception as exc:
            # statsmodels may fail in many ways on a short or odd series (LinAlgError,
            # ValueError, convergence); the candidate scores inf (kept in the
            # simulation's ``scores``, the reason in its ``failures``) and is not chosen
            if failures is not None:
                failures[f"{name} at origin {cut}"] = _reason(exc)
            return np.inf
        err = np.abs(y[cut:cut + h] - f[:len(y[cut:cut + h])])
        if not np.all(np.isfinite(err)):
            return np.inf
        errors.append(err.mean())
    return float(np.mean(errors)) if errors else np.inf


# ------------------------------------------------------------------ simulation
def _sign(direction: str) -> int:
    sign = {"higher": 1, "lower": -1}.get(direction)
    if sign is None:
        raise InvalidArgument(f"direction must be 'higher' or 'lower', not {direction!r}")
    return sign


@dataclass
class Simulation:
    """Simulated future paths of a KPI (on its own scale).

    One simulation answers every question about a target: the probability of
    meeting it (:meth:`outlook`), the forecast and its intervals
    (:meth:`frame`, the fan chart) and when it is expected to be reached.
    ``index`` holds the simulated periods (the period after the last
    observed one up to the horizon, the deadline when made by
    :func:`gap_table`); ``paths[i, j]`` is path ``j``'s value in period
    ``index[i]``.
    """

    history: pd.Series
    index: pd.PeriodIndex              # future periods
    paths: np.ndarray                  # (horizon, n_paths)
    mean: np.ndarray                   # (horizon,)
    model: str | None
    status: str                        # ok | constant | not_enough_history
    scores: dict = field(default_factory=dict)
    filled: list = field(default_factory=list)
    calibration: float = 1.0
    #: Models that failed to fit, ``{what: reason}`` (``what`` is the model's
    #: name, or ``"<name> at origin <i>"`` for the calibration's refits).
    failures: dict = field(default_factory=dict)
    #: The combination's components that were fitted and combined (``"auto"``).
    components: tuple = ()

    @property
    def ok(self) -> bool:
        """True when there are paths to read (a model was fitted, or the series is constant)."""
        return self.status in ("ok", "constant") and self.paths.size > 0

    @property
    def median(self) -> np.ndarray:
        """The median path: per period, the median of the simulated values
        (the point forecast every report section shows)."""
        if not self.ok:
            return np.full(len(self.index), np.nan)
        return np.nanmedian(self.paths, axis=1)

    def frame(self, levels=LEVELS) -> pd.DataFrame:
        """The forecast as a frame indexed by the simulated periods: ``mean``,
        ``median`` and, per level (a fraction), ``lower_<percent>`` /
        ``upper_<percent>`` (the central share of the paths); ``attrs`` as
        :func:`forecast`'s."""
        out = _frame(self, levels)
        out.insert(1, "median", self.median)
        return out

    def at_least(self, period, floor: float) -> "Simulation":
        """These paths given that the value in ``period`` is at least ``floor``
        (a deadline period still open whose tickets have already taken that
        long, :func:`servicekpi.compute_kpis`' ``at_least``): the paths at or
        above it there, whole (the forecast conditioned on what is known).
        When fewer than :data:`AT_LEAST_PATHS` reach it (the forecast all but
        rules the bound out: the value will end just above it), every path is
        raised to it in that period instead: a probability is not read off a
        handful of the outermost paths."""
        from dataclasses import replace
        if not self.ok or not np.isfinite(floor) or pd.Period(period) not in self.index:
            return self
        i = self.index.get_loc(pd.Period(period))
        above = np.isfinite(self.paths[i]) & (self.paths[i] >= floor)
        if above.sum() >= AT_LEAST_PATHS:
            paths = self.paths[:, above]
        else:
            paths = self.paths.copy()
            paths[i] = np.maximum(paths[i], floor)
        return replace(self, paths=paths, mean=np.nanmean(paths, axis=1))

    def share_meeting(self, target: float, direction: str) -> np.ndarray:
        """Per simulated period, the share of paths at or better than ``target``."""
        sign = _sign(direction)
        if not self.ok:
            return np.full(len(self.index), np.nan)
        finite = np.isfinite(self.paths)
        good = finite & (sign * (np.where(finite, self.paths, 0.0) - target) >= 0)
        count = finite.sum(axis=1)
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.where(count > 0, good.sum(axis=1) / np.maximum(count, 1), np.nan)

    def expected_reached(self, target: float, direction: str, *, at=None
                         ) -> pd.Period | None:
        """When the target is expected to be reached, in the sense of the status.

        The first period from which the *expected path* (the last observed
        value, then the median path) is at or better than ``target`` in
        every period through ``at`` (default: the last simulated period, the
        deadline).  None ("not by the deadline") when the median at ``at``
        misses the target: it exists exactly when the median forecast at the
        deadline meets the target.
        """
        sign = _sign(direction)
        if not self.ok or self.history.empty:
            return None
        end = len(self.index) - 1 if at is None else self.index.get_loc(pd.Period(at))
        periods = [self.history.index[-1], *self.index[:end + 1]]
        values = np.r_[self.history.iloc[-1], self.median[:end + 1]]
        good = sign * (values - target) >= 0
        if not good[-1]:
            return None
        misses = np.flatnonzero(~good)
        return periods[misses[-1] + 1 if misses.size else 0]

    def outlook(self, target: float, direction: str, *, at=None, levels=LEVELS) -> dict:
        """Everything the reports say about one target, from these paths.

        At period ``at`` (default: the last simulated period, the deadline):
        ``probability`` (share of paths at or better than the target),
        ``forecast`` (the median), ``mean``, ``lower_<percent>`` /
        ``upper_<percent>`` per level (the central share of the paths), ``expected_reached`` (see
        :meth:`expected_reached`), ``model``, ``status`` and ``horizon``.
        NaNs (and None) when there are no paths.
        """
        out = {"probability": np.nan, "forecast": np.nan, "mean": np.nan,
               "expected_reached": None, "model": self.model, "status": self.status,
               "horizon": len(self.index)}
        levels = _levels(levels, stacklevel=3)
        for _, name in levels:
            out[f"lower_{name}"] = out[f"upper_{name}"] = np.nan
        if not self.ok:
            return out
        i = len(self.index) - 1 if at is None else self.index.get_loc(pd.Period(at))
        values = self.paths[i][np.isfinite(self.paths[i])]
        out.update(probability=float(self.share_meeting(target, direction)[i]),
                   forecast=float(self.median[i]), mean=float(self.mean[i]),
                   expected_reached=self.expected_reached(target, direction, at=self.index[i]),
                   horizon=i + 1)
        for lev, name in levels:
            out[f"lower_{name}"], out[f"upper_{name}"] = (
                float(v) for v in np.quantile(values, _tails(lev)))
        return out


#: The fewest paths at or above a bound that :meth:`Simulation.at_least` reads a
#: conditional forecast from (1% of the default 1,000).
AT_LEAST_PATHS = 10


def simulate(series: pd.Series, horizon: int, *, bounds=None, seasonal_period=None,
             method: str = "auto", n_paths: int = 1000, seed: int = 0,
             calibrate: bool = True, counts: pd.Series | None = None) -> Simulation:
    """Forecast ``horizon`` periods after the last observed one as ``n_paths`` paths.

    ``method``: ``"auto"`` (the combination), ``"select"`` (model selection)
    or a candidate's name (see the module docstring).  Each model is fitted
    once, so simulating a target to its deadline once gives every section
    that reads it the same forecast.  The same input (and ``seed``) gives the
    same paths.  ``calibrate`` applies to ``"select"`` and the single models
    (the combination's intervals are always the calibrated ones).  ``counts``:
    the observations behind each value (a KPI table's ``n``, by period), which
    say how close to a bound a value at it is taken (see ``_Transform._inside``).
    """
    if method not in METHODS:
        raise InvalidArgument(f"unknown forecasting method {method!r}; expected one of "
                              f"{', '.join(METHODS)}")
    if (isinstance(horizon, (bool, str)) or not isinstance(horizon, (int, float, np.number))
            or not float(horizon).is_integer() or horizon < 0):
        raise InvalidArgument(f"horizon: expected a whole number of periods (0 or more), "
                              f"not {horizon!r}")
    s, filled = _prepare(series)
    horizon = int(horizon)
    bounds = _check_bounds(s, bounds)
    if s.empty:
        idx = pd.PeriodIndex([], freq="M")
        return Simulation(s, idx, np.empty((0, 0)), np.empty(0), None, "not_enough_history")
    idx = pd.period_range(s.index[-1] + 1, periods=max(horizon, 0), freq=s.index.freq)
    n = len(s)
    # the values observed, not those filled between them: two values a year apart
    # are no twelve periods of history
    if n - len(filled) < MIN_POINTS or horizon < 1:
        return Simulation(s, idx, np.full((len(idx), 0), np.nan), np.full(len(idx), np.nan),
                          None, "not_enough_history" if n - len(filled) < MIN_POINTS else "ok",
                          filled=filled)
    y_raw = s.to_numpy(float)
    if np.ptp(y_raw) < 1e-12 * max(1.0, abs(y_raw[0])):
        flat = np.full((horizon, n_paths), y_raw[-1])
        return Simulation(s, idx, flat, flat[:, 0].copy(), "constant", "constant",
                          filled=filled)
    tr = modelling_scale(y_raw, bounds)
    y = tr.forward(y_raw, None if counts is None else
                   pd.Series(counts).reindex(s.index).to_numpy(float))
    m = _season(s.index, seasonal_period)
    with _one_thread():
        if method == "auto":
            return _combination(s, idx, y, tr, m, horizon, n_paths, filled)
        return _single(s, idx, y, y_raw, tr, m, horizon, method, n_paths, seed, calibrate,
                       filled)


def _combination(s, idx, y, tr, m, horizon, n_paths, filled) -> Simulation:
    """``method="auto"``: the combination's quantile paths (module docstring)."""
    from .ensemble import calibration, combine
    c = combine(y, m, horizon, additive=tr.kind != "none")
    table = calibration(c.table)
    dev = c.sd[:, None] * table.offsets(horizon, n_paths)
    # a longer horizon is never more certain: each quantile's distance from the
    # forecast never shrinks from one period to the next
    dev = np.sign(dev) * np.maximum.accumulate(np.abs(dev), axis=0)
    z_paths = c.point[:, None] + dev
    paths = tr.backward(z_paths)
    return Simulation(s, idx, paths, np.nanmean(paths, axis=1), "combination", "ok",
                      filled=filled, failures=dict(c.failures), components=c.names)


def _single(s, idx, y, y_raw, tr, m, horizon, method, n_paths, seed, calibrate,
            filled) -> Simulation:
    """``method="select"`` or one candidate: the model's own simulated paths."""
    rng = np.random.default_rng(seed)
    scores: dict = {}
    failures: dict = {}
    n = len(y)
    skip = 0
    if method == "select":
        names = _candidates(n, m, tr.kind == "none" and np.min(y_raw) > 0)
        h_cv = int(min(horizon, MAX_CV_HORIZON, max(1, n // 4)))
        scores = {name: _cv_error(name, y, m, h_cv, failures=failures) for name in names}
        # the calibration below is fitted before the points that chose the model
        skip = h_cv + (CV_ORIGINS - 1) * max(1, h_cv // 2)
        finite = {k: v for k, v in scores.items() if np.isfinite(v)}
        order = sorted(finite, key=finite.get) or ["naive"]
        best = order[0]
        # no candidate scored (a series too short to cross-validate): the naive
        # forecast alone
        near = [k for k in order if k in finite and finite[k] <= finite[best] * 1.02] or [best]
        fits = {}
        for name in near:
            try:
                fits[name] = _fit(name, y, m)
            except Exception as exc:
                # a statsmodels fit that fails on the whole series: recorded, and
                # the near tie is decided among the others
                failures[name] = _reason(exc)
        if len(fits) > 1:
            aics = {k: f.aic for k, f in fits.items() if np.isfinite(f.aic)}
            best = min(aics, key=aics.get) if aics else best
        fitted = fits.get(best) or _fit_first(order, y, m, failures)
    else:
        fitted = _fit_first([method], y, m, failures, fallback=False)
    z_paths = fitted.paths(horizon, n_paths, rng)
    z_paths = np.where(np.isfinite(z_paths), z_paths, np.nan)
    # the point forecast comes from the model's own paths; calibration widens only
    # the intervals
    mean = (np.nanmean(tr.backward(z_paths), axis=1) if tr.kind != "none"
            else np.asarray(fitted.mean(horizon), float))
    factor = (_calibration(fitted.name, y[:n - skip], m, horizon, seed, failures)
              if calibrate else 1.0)
    if factor > 1.0:
        centre = np.nanmedian(z_paths, axis=1, keepdims=True)
        z_paths = centre + factor * (z_paths - centre)
    paths = tr.backward(z_paths)
    return Simulation(s, idx, paths, mean, fitted.name, "ok", scores, filled, factor,
                      failures)


class _one_thread:
    """Fit with one BLAS thread (threadpoolctl): statsmodels' small matrices are
    slower with more, and much slower when other processes use the cores."""

    def __enter__(self):
        from threadpoolctl import threadpool_limits
        self._limits = threadpool_limits(limits=1, user_api="blas")
        return self

    def __exit__(self, *exc):
        self._limits.restore_original_limits()
        return False


def _calibration(name: str, y: np.ndarray, m: int, horizon: int, seed: int,
                 failures: dict | None = None, origins: int = 4, n_paths: int = 200) -> float:
    """How much wider the model's intervals must be to match its own recent errors.

    At each of the last ``origins`` rolling origins the model is fitted to
    the history before it and simulated ``h`` steps; each outcome is
    standardised by the paths' median and spread (half the central 68%
    range, the 15.87th to 84.13th percentile: +-1 sd of a normal).  Returns
    the 80th percentile of the absolute standardised errors over the normal
    one (:func:`_abs_normal_p80`, 1.2816), or 1 when that is smaller or there
    are too few origins.  An origin where the model cannot be fitted is
    recorded in ``failures`` and contributes no errors.
    """
    rng = np.random.default_rng(seed + 1)
    z = []
    min_train = max(MIN_POINTS + 4, 2 * m if name in ("seasonal_naive", "ets_ana") else 0)
    h = min(horizon, 12)
    while h > 1 and len(y) - h - max(1, h // 3) < min_train:   # room for two origins
        h -= 1
    for j in range(origins):
        cut = len(y) - h - j * max(1, h // 3)
        if cut < min_train:
            break
        try:
            sims = _fit(name, y[:cut], m).paths(h, n_paths, rng)
        except Exception as exc:
            # statsmodels may fail on the shorter history of an origin: recorded,
            # and the factor comes from the other origins
            if failures is not None:
                failures[f"{name} at origin {cut}"] = _reason(exc)
            continue
        actual = y[cut:cut + h]
        med = np.nanmedian(sims, axis=1)
        low, high = _one_sd_percentiles()
        spread = (np.nanpercentile(sims, high, axis=1) - np.nanpercentile(sims, low, axis=1)) / 2
        ok = spread > 0
        z += list(np.abs(actual[ok] - med[ok]) / spread[ok])
    if len(z) < 6:
        return 1.0
    return float(max(1.0, np.percentile(z, 80) / _abs_normal_p80()))


def _fit_first(order: list[str], y, m, failures: dict, *, fallback: bool = True) -> _Fit:
    """The first model of ``order`` (then naive, with ``fallback``) that fits;
    each failure recorded in ``failures``.  DataError when none does."""
    for name in dict.fromkeys(order + (["naive"] if fallback else [])):
        try:
            return _fit(name, y, m)
        except InvalidArgument:
            raise
        except Exception as exc:
            # statsmodels may fail in many ways (LinAlgError, ValueError, a model
            # that does not converge): recorded, and the next model is tried
            failures[name] = _reason(exc)
    raise DataError("no forecasting model could be fitted to the series ("
                    + "; ".join(f"{k}: {v}" for k, v in failures.items()) + ")",
                    source="KPI series")


def _tails(level: float) -> tuple[float, float]:
    """The quantiles bounding a central ``level`` interval: 0.8 -> (0.1, 0.9)
    (rounded, so 0.1 is 0.1 and not 0.09999999999999998)."""
    return round((1 - level) / 2, 12), round((1 + level) / 2, 12)


def _frame(sim: Simulation, levels, stacklevel: int = 4) -> pd.DataFrame:
    out = pd.DataFrame(index=sim.index)
    out["mean"] = sim.mean
    for lev, name in _levels(levels, stacklevel=stacklevel):
        if sim.paths.size and sim.paths.shape[1]:
            low, high = _tails(lev)
            out[f"lower_{name}"] = np.nanquantile(sim.paths, low, axis=1)
            out[f"upper_{name}"] = np.nanquantile(sim.paths, high, axis=1)
        else:
            out[f"lower_{name}"] = np.nan
            out[f"upper_{name}"] = np.nan
    out.index.name = "period"
    out.attrs.update(model=sim.model, status=sim.status, scores=sim.scores,
                     filled=[str(p) for p in sim.filled], calibration=sim.calibration,
                     failures=dict(sim.failures), components=list(sim.components))
    return out


def forecast(series: pd.Series, horizon: int, *, levels=LEVELS, bounds=None,
             seasonal_period=None, method: str = "auto", n_paths: int = 1000,
             seed: int = 0, calibrate: bool = True) -> pd.DataFrame:
    """Forecast a KPI series ``horizon`` periods ahead.

    Parameters
    ----------
    series : Series
        KPI values indexed by period (PeriodIndex, or timestamps); gaps allowed.
    horizon : int
        Periods to forecast after the last observed one.
    levels : tuple of float
        Prediction-interval levels, fractions (0.8 is the central 80%).
    bounds : (low, high), optional
        The KPI's range (None for an open side): the catalogue's ``bounds``.
    seasonal_period : int, optional
        Default: 12 for monthly, 4 for quarterly, 52 for weekly series.
    method : str
        ``"auto"`` (the combination), ``"select"`` or one of :data:`CANDIDATES`
        (:data:`METHODS`; see the module docstring).
    n_paths, seed : int
        Paths behind the intervals, and the random seed (of the simulated
        models; the combination's paths are quantiles, not draws).
    calibrate : bool
        ``"select"`` and single models: widen intervals the model's own
        earlier errors show to be too narrow.  The combination's intervals
        are always the calibrated ones.

    Returns
    -------
    DataFrame indexed by the future periods with ``median`` (the point forecast
    the reports show and :func:`servicekpi.plots.fan_chart` draws), ``mean``
    (of the paths on the KPI's own scale: for a duration modelled on the log
    scale, its far tail can put it above every interval), ``lower_<level>``,
    ``upper_<level>``; ``attrs`` holds ``model`` (the model used:
    ``combination`` for ``"auto"``), ``status`` (``ok``, ``constant`` or
    ``not_enough_history``), ``components`` (the combination's models that
    were fitted), ``scores`` (``"select"``: the cross-validation error of
    each candidate), ``calibration`` (the widening factor of ``"select"``
    and single models), ``filled`` (gaps filled) and ``failures`` (the
    models that failed to fit, with the reason).
    """
    sim = simulate(series, horizon, bounds=bounds, seasonal_period=seasonal_period,
                   method=method, n_paths=n_paths, seed=seed, calibrate=calibrate)
    out = _frame(sim, levels)
    out.insert(1, "median", sim.median)      # as Simulation.frame
    return out


# ------------------------------------------------------------------ target outlook
def target_outlook(series: pd.Series, target: float, deadline, direction: str, *,
                   bounds=None, seasonal_period=None, method: str = "auto",
                   n_paths: int = 1000, seed: int = 0, levels=LEVELS) -> dict:
    """Probability that the KPI is at or better than ``target`` in the ``deadline`` period.

    The series is simulated once, to the deadline (:func:`simulate`), and
    everything is read from those paths (:meth:`Simulation.outlook`):
    ``probability`` is the share of paths at or better than the target in
    the deadline period; ``forecast`` their median there, with ``lower_<l>``
    and ``upper_<l>``; ``expected_reached`` the first period from which the
    expected path (last observed value, then the median path) meets the
    target in every period through the deadline (None: not by the
    deadline); ``simulation`` the :class:`Simulation` itself.

    When the deadline is not after the last observed period, the observed
    deadline value decides (probability 1 or 0, ``model`` ``"observed"``);
    a deadline period without a value gives NaN (``status``
    ``"no_value_at_deadline"``; ``"deadline_reached"`` when it has one).
    """
    sign = _sign(direction)
    s, filled = _prepare(series)
    out = {"probability": np.nan, "expected_reached": None, "forecast": np.nan,
           "model": None, "status": "not_enough_history", "horizon": 0, "simulation": None}
    if s.empty:
        return out
    deadline = pd.Period(deadline, freq=s.index.freq)
    horizon = deadline.ordinal - s.index[-1].ordinal
    out["horizon"] = horizon
    if horizon <= 0:
        if deadline not in s.index or deadline in filled:     # not observed
            return {**out, "model": "observed", "status": "no_value_at_deadline"}
        value = float(s[deadline])
        ok = sign * (value - target) >= 0
        return {**out, "probability": float(ok), "forecast": value,
                "expected_reached": deadline if ok else None, "model": "observed",
                "status": "deadline_reached"}
    sim = simulate(s, horizon, bounds=bounds, seasonal_period=seasonal_period, method=method,
                   n_paths=n_paths, seed=seed)
    return {**sim.outlook(target, direction, levels=levels), "simulation": sim}


# ------------------------------------------------------------------ many series
#: :func:`simulate_many` uses a process pool from this many series on.
POOL_MIN = 4


def default_workers() -> int:
    """Processes for :func:`simulate_many` and for the overview's teams
    (:meth:`servicekpi.report.OverviewReport.assess_teams`):
    ``SERVICEKPI_WORKERS`` when set (the batch runner sets 1 in its report
    kernels, which already run side by side, and passes the overview its
    own number), else every core."""
    import os
    value = os.environ.get("SERVICEKPI_WORKERS", "")
    try:
        return max(1, int(value)) if value.strip() else max(1, os.cpu_count() or 1)
    except ValueError:
        raise InvalidArgument(f"SERVICEKPI_WORKERS must be a whole number, not {value!r}")


def _simulate_task(task: dict) -> Simulation:
    return simulate(**task)


def simulate_many(tasks: dict, *, workers: int | None = None, **options) -> dict:
    """:func:`simulate` for many series: ``{key: Simulation}``.

    ``tasks`` maps a key to :func:`simulate`'s keyword arguments for that
    series (at least ``series`` and ``horizon``; ``bounds`` ...);
    ``options`` apply to every series (``method``, ``n_paths``, ``seed``, ...).
    From :data:`POOL_MIN` series on, with more than one worker (default:
    :func:`default_workers`), the series are simulated in a process pool;
    the results are the same as one by one.  An error raised for one series
    is raised here, as one by one.
    """
    workers = default_workers() if workers is None else max(1, int(workers))
    jobs = {key: {**options, **task} for key, task in tasks.items()}
    if workers == 1 or len(jobs) < POOL_MIN:
        return {key: simulate(**job) for key, job in jobs.items()}
    from concurrent.futures import ProcessPoolExecutor

    from . import ensemble
    ensemble.load_models()       # imported once here, not once per worker process
    with ProcessPoolExecutor(min(workers, len(jobs))) as pool:
        done = pool.map(_simulate_task, jobs.values(), chunksize=1)
        return dict(zip(jobs, done))


# ------------------------------------------------------------------ accuracy
#: The columns of :func:`backtest` (then one ``coverage_<level>`` per level).
BACKTEST_COLUMNS = ("method", "status", "error", "MAE", "MASE", "sMAPE", "forecasts",
                    "failed_origins")


def backtest(series: pd.Series, horizon: int, *, methods=None, origins: int = 6,
             levels=LEVELS, bounds=None, seasonal_period=None, n_paths: int = 300,
             seed: int = 0, calibrate: bool = True) -> pd.DataFrame:
    """Accuracy of each method over rolling origins at the end of the series.

    For each origin (the last ``origins`` positions leaving ``horizon``
    periods to compare), each method forecasts from the history up to the
    origin.  Returns one row per method, also for a method that failed:
    ``status`` (``ok``; ``failed`` when no origin gave a finite forecast),
    ``error`` (why the origins that failed did: the first reason, "" when
    none failed), ``failed_origins``, ``MAE``, ``MASE`` (MAE over the
    in-sample MAE of the seasonal naive forecast, or the naive one without
    seasonality, on the history up to the last origin), ``sMAPE`` (percent),
    ``coverage_<level>`` (share of outcomes inside the interval) and
    ``forecasts`` (how many values were compared); the errors are NaN for a
    failed method.  The point forecast scored is the median path, the one
    the reports show.  By default every method is compared: ``auto`` (the
    combination), ``select`` (whose chosen model may differ by origin) and
    the candidates a series of this length gets.  ``calibrate=False`` skips
    the interval calibration of ``select`` and the single models at each
    origin (faster; the point forecasts, hence MAE, MASE and sMAPE, are the
    same).  No row when the series leaves no origin with enough history.
    """
    s, _ = _prepare(series)
    y = s.to_numpy(float)
    m = _season(s.index, seasonal_period)
    methods = list(methods) if methods else ["auto", "select"] + _candidates(
        len(y) - horizon, m, bounds is None and len(y) and np.min(y) > 0)
    unknown = [x for x in methods if x not in METHODS]
    if unknown:
        raise InvalidArgument(f"unknown forecasting method(s) {unknown}; expected one of "
                              f"{', '.join(METHODS)}")
    levels = _levels(levels)
    columns = [*BACKTEST_COLUMNS, *(f"coverage_{name}" for _, name in levels)]
    cuts = [len(y) - horizon - j for j in range(origins)]
    cuts = [c for c in cuts if c >= MIN_POINTS + 2]
    if not cuts:
        return pd.DataFrame(columns=columns)
    base = y[:min(cuts)]
    lag = m if m > 1 and len(base) > m else 1
    scale = np.mean(np.abs(base[lag:] - base[:-lag])) if len(base) > lag else np.nan
    rows = []
    for meth in methods:
        errs, ape, inside = [], [], {name: [] for _, name in levels}
        reasons = []
        for c in cuts:
            hist = s.iloc[:c]
            try:
                f = simulate(hist, horizon, bounds=bounds, seasonal_period=seasonal_period,
                             method=meth, n_paths=n_paths, seed=seed, calibrate=calibrate
                             ).frame([lev for lev, _ in levels])
            except Exception as exc:
                # a statsmodels fit failing on this origin's history (forecast
                # raises DataError when no model fits; statsmodels its own errors):
                # the origin is recorded as failed, with the reason
                reasons.append(_reason(exc))
                continue
            actual = y[c:c + horizon]
            pred = f["median"].to_numpy()[:len(actual)]
            if not np.all(np.isfinite(pred)):
                reasons.append(f"no finite forecast ({f.attrs.get('status')})")
                continue
            errs += list(np.abs(actual - pred))
            denom = np.abs(actual) + np.abs(pred)
            ape += list(np.where(denom > 0, 200 * np.abs(actual - pred) / denom, 0.0))
            for _, name in levels:
                lo = f[f"lower_{name}"].to_numpy()[:len(actual)]
                hi = f[f"upper_{name}"].to_numpy()[:len(actual)]
                inside[name] += list((actual >= lo) & (actual <= hi))
        row = {"method": meth, "status": "ok" if errs else "failed",
               "error": reasons[0] if reasons else "", "failed_origins": len(reasons),
               "MAE": np.nan, "MASE": np.nan, "sMAPE": np.nan, "forecasts": len(errs)}
        row.update({f"coverage_{name}": np.nan for _, name in levels})
        if errs:
            mae = float(np.mean(errs))
            row.update(MAE=mae, sMAPE=float(np.mean(ape)),
                       MASE=mae / scale if scale and np.isfinite(scale) and scale > 0 else np.nan)
            for _, name in levels:
                row[f"coverage_{name}"] = float(np.mean(inside[name]))
        rows.append(row)
    return pd.DataFrame(rows, columns=columns)
