"""The combination forecaster behind ``method="auto"``: component models, their
combined point forecast, and intervals calibrated on held-out errors.

In forecasting competitions combinations of simple models beat choosing one
model per series (M4: the SES/Holt/damped combination and Theta ahead of
most selection schemes).  :func:`combine` fits each of :data:`COMPONENTS`
once, on the KPI's modelling scale (logit or log when the catalogue bounds
it, see :mod:`servicekpi.forecast`), and takes the **mean** of their
forecasts per period on that scale:

========  ========================================================================
theta     statsmodels ``ThetaModel`` (its own seasonality test and decomposition,
          additive on the logit or log scale)
ets       statsmodels ``ETSModel``: additive error, additive damped trend,
          additive season when the series is seasonal (see below)
arima     statsmodels ``ARIMA(1,1,1)`` with drift on the seasonally adjusted
          series, re-seasonalised
airline   statsmodels ``ARIMA(0,1,1)(0,1,1)m`` (the "airline" model) when the
          series is seasonal, else ``ARIMA(0,1,1)``
========  ========================================================================

The set, the mean and the scale were ranked on the M3 competition's 1,428
monthly series (horizon 18); nothing is fitted to the benchmark's data sets
(M1 and tourism monthly, the demo KPIs: ``benchmarks/bench_forecast.py``).
They were looked at between rounds of work, though: this combination
replaced the median of the same four models on the raw scale after that
missed the M1 goal (OWA 0.928 against 0.90), so its M1 figure is not a
first look.  The candidates were fifteen models: Theta, damped ETS, the
two ARIMAs and the airline model above; SES, Holt, damped Holt and Theta on
the seasonally adjusted series; (M,Ad,M) ETS; and each of the first seven
fitted on the log scale.  Every combination of one to five of them was
ranked by its OWA on M3, taken by mean and (from three) by median.  The best was these
four models on the log scale, by mean (M3 OWA 0.800; the same four on the
raw scale by median, the previous choice, 0.815).  On the log scale is how
the reports model every KPI whose catalogue gives a lower bound (volumes,
times, amounts), and a rate's logit scale behaves alike; so the benchmark
gives its series the bounds of an amount, ``(0, None)``, and also prints
the method without them (M1 OWA 0.93 on the raw scale, tourism 0.77:
there the bounds are most of the gain).  (statsforecast's AutoETS and
AutoCES reached M1 monthly OWA 0.884 joined to the previous choice;
statsforecast 2.1 pins pandas below 3, which doubled the time and memory
of reading an export.)  A series
shorter than :data:`SHORT` periods gets the low-parameter set
:data:`SHORT_COMPONENTS` (Theta without season, simple exponential smoothing,
``ARIMA(0,1,1)``).  A component that fails to fit is left out (the reason
kept in ``failures``); with none left the forecast is naive.

Seasonal (:func:`is_seasonal`): the M4 competition's test
(:func:`seasonality_test`: the lag-``m`` autocorrelation outside its 90%
limit, at least three seasons of data), or the test statsmodels'
``ThetaModel`` makes when asked to difference (``difference=True``; its
default tests the values), on the changes from one period to the next
(:func:`seasonal_in_changes`).  On a trending series of few seasons the M4
test's limit, widened by the trend's autocorrelations at every lag, hides a
clear season: on tourism monthly cut to its last 36 values it found a
season in 49% of the series, and the combination, whose other three models
then ignored the season, scored OWA 0.878 against Theta's 0.618 (Theta
makes its own test, with a narrower limit).  Either test: 0.624 there; chosen on M3 (OWA
0.798 against 0.800 on the whole series, 0.874 against 0.883 on the cut
ones), where the test on changes alone scored 0.808 and 0.874.  The Theta
component keeps its own test (on the values, 90%): made to follow this
verdict (``use_test=False``) the combination scored M3 OWA 0.7986 and
0.8816 against 0.7976 and 0.8740, and with a season removed when either
says so, 0.7983 and 0.8750.  The
adjustment is classical decomposition (:func:`seasonal_indices`),
multiplicative for a positive series, else additive.

Intervals: the spread of the combined forecast ``h`` periods ahead is
``sqrt(sd_ets^2 + var(f_k))``: the exponential-smoothing component's own
forecast variance (statsmodels' analytic one; SES's in the short set,
Theta's when neither fitted: :data:`SPREAD_FROM`) plus the components'
disagreement.  (Theta's own variance is far wider on seasonal data: with it
in a mean of variances, tourism's 80% intervals held 87-96% of outcomes.)  It is
multiplied by the quantiles of the **standardised errors**
``|actual - combined| / sd`` the same procedure made on held-out data: the
tables in ``forecast_calibration.json`` (M3 monthly on the log scale, the
last 18 values of each series held out; written by
``benchmarks/calibrate_forecast.py``), one per length of history
(:func:`table_for`): ``long`` for a series of at least :data:`LONG`
periods, from M3's in-sample parts (48 to 126 values); ``medium`` for
:data:`SHORT` to :data:`LONG` periods, the usual history of a KPI, from the
same series cut to their last 18, 24, 30, 36 or 42 values; ``short`` for
the short set, cut to 6, 9, 12 or 15 values.  A model fitted to fewer
values is less sure of itself than its own variance says, so each table
is fitted on histories as long as the ones it serves.  Every table comes
from errors on the log scale; a rate's logit scale and the raw scale of a
KPI without bounds use them too, an assumption: the demo KPIs (mostly
rates, on the logit scale, 30 periods) are its only check, where the 80%
and 95% intervals held 81% and 94% of outcomes.  A series on the logit or log scale
(a bounded KPI) is seasonally adjusted additively: on those scales zero is
arbitrary, so a multiplicative index would be too.
So an 80% interval is as wide as the interval that held 80% of those
outcomes at the same horizon.  The distribution is symmetric around the
combined forecast on the modelling scale; horizons beyond the table's last
use its last row.  Nothing is re-fitted to calibrate: each component is
fitted once per series.
"""
from __future__ import annotations

import functools
import json
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from .errors import DataError

#: Components of the combination (long enough series).
COMPONENTS = ("theta", "ets", "arima", "airline")
#: Components for a series shorter than :data:`SHORT` periods.
SHORT_COMPONENTS = ("theta", "ses", "arima011")
#: Below this many periods a series gets :data:`SHORT_COMPONENTS`.
SHORT = 16
#: From this many periods a series' intervals use the ``long`` table (M3's
#: in-sample parts are at least this long); below it, ``medium``.
LONG = 48
#: Whose own forecast sd the spread starts from: the first of these fitted.
SPREAD_FROM = ("ets", "ses", "theta")
#: The calibration table (see the module docstring).
CALIBRATION_FILE = Path(__file__).with_name("forecast_calibration.json")


def _quiet(fn):
    """``fn`` with its warnings swallowed: recorded and dropped, because
    statsmodels turns some warnings back on inside its fits (a filter set to
    "ignore" outside does not hold there)."""
    @functools.wraps(fn)
    def run(*args, **kwargs):
        with warnings.catch_warnings(record=True), np.errstate(all="ignore"):
            warnings.simplefilter("ignore")
            return fn(*args, **kwargs)
    return run


def _reason(exc: BaseException) -> str:
    """A failure in a few words: its exception's type and message."""
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


# ------------------------------------------------------------------ seasonality
def seasonality_test(y, m: int) -> bool:
    """The M4 competition's seasonality test.

    True when the lag-``m`` autocorrelation lies outside its 90% limit,
    ``|r_m| > z_0.95 sqrt((1 + 2 sum_{k<m} r_k^2) / n)`` (Bartlett's
    variance; ``z_0.95`` from scipy), for a series of at least three seasons;
    False for shorter series and ``m <= 1``.
    """
    from scipy.stats import norm
    from statsmodels.tsa.stattools import acf

    y = np.asarray(y, float)
    if m <= 1 or len(y) < 3 * m or np.ptp(y) == 0:
        return False
    r = acf(y, nlags=m, fft=False)
    limit = norm.ppf(0.95) * np.sqrt((1 + 2 * np.sum(r[1:m] ** 2)) / len(y))
    return bool(abs(r[m]) > limit)


def seasonal_in_changes(y, m: int) -> bool:
    """The seasonality test of statsmodels' ``ThetaModel(difference=True)``, on
    the first differences ``d`` of ``y``: ``len(d) r_m^2 / sum_{k<m} r_k^2`` (``r_0 = 1``)
    above the 90% point of chi-squared with one degree of freedom (scipy).
    Differencing takes out a trend, whose autocorrelations would otherwise
    hide the season.  False for fewer than three seasons of ``y`` (as
    :func:`seasonality_test`), ``m <= 1`` or constant changes."""
    from scipy.stats import chi2
    from statsmodels.tsa.stattools import acf

    y = np.asarray(y, float)
    if m <= 1 or len(y) < 3 * m:
        return False
    d = np.diff(y)
    if np.ptp(d) == 0:
        return False
    r = acf(d, nlags=m, fft=False)
    return bool(len(d) * r[m] ** 2 / np.sum(r[:m] ** 2) > chi2.ppf(0.90, 1))


def is_seasonal(y, m: int) -> bool:
    """Whether the combination removes a season from ``y``: the M4 test
    (:func:`seasonality_test`) or the test on the changes
    (:func:`seasonal_in_changes`) finds one (see the module docstring)."""
    return seasonality_test(y, m) or seasonal_in_changes(y, m)


@_quiet
def seasonal_indices(y, m: int, *, additive: bool = False) -> tuple[np.ndarray, str]:
    """Classical decomposition's seasonal indices for the last ``m`` positions
    of ``y`` and the model: ``multiplicative``, or ``additive`` when asked
    (a series on the logit or log scale, whose zero is arbitrary) or when
    ``y`` has a value <= 0 (an index cannot divide such a series)."""
    from statsmodels.tsa.seasonal import seasonal_decompose

    y = np.asarray(y, float)
    model = "multiplicative" if not additive and np.min(y) > 0 else "additive"
    dec = seasonal_decompose(y, model=model, period=m)
    return np.asarray(dec.seasonal[-m:], float), model


@dataclass(frozen=True)
class Adjustment:
    """A series' seasonal adjustment: ``adjusted`` values, and ``back(f)``
    putting the season back on a forecast of the adjusted series."""

    adjusted: np.ndarray
    season: np.ndarray | None = None   # indices of the last m positions
    model: str = "none"                # none | additive | multiplicative

    @classmethod
    def of(cls, y: np.ndarray, m: int, seasonal: bool, *, additive: bool = False
           ) -> "Adjustment":
        if not seasonal:
            return cls(y)
        season, model = seasonal_indices(y, m, additive=additive)
        n = len(y)
        past = season[(np.arange(n) - (n - m)) % m]
        adjusted = y / past if model == "multiplicative" else y - past
        return cls(adjusted, season, model)

    def future(self, h: int) -> np.ndarray:
        """The seasonal index of each of the ``h`` periods after the series."""
        if self.season is None:
            return np.zeros(h) if self.model != "multiplicative" else np.ones(h)
        return self.season[np.arange(h) % len(self.season)]

    def back(self, f: np.ndarray) -> np.ndarray:
        if self.model == "multiplicative":
            return f * self.future(len(f))
        if self.model == "additive":
            return f + self.future(len(f))
        return f


# ------------------------------------------------------------------ components
@dataclass
class Component:
    """One fitted component: its point forecast and, when the model gives one,
    its forecast standard deviation (both on the modelling scale)."""

    name: str
    point: np.ndarray
    sd: np.ndarray | None = None


def _theta(y, m, h, seasonal, adj, additive=False) -> Component:
    from statsmodels.tsa.forecasting.theta import ThetaModel
    # on the logit or log scale a season is removed additively (a multiplicative
    # index would depend on the scale's arbitrary zero); else statsmodels' choice
    r = ThetaModel(y, period=m if m > 1 else 1,
                   deseasonalize=bool(m > 1 and len(y) >= 2 * m),
                   method="additive" if additive else "auto").fit()
    return Component("theta", np.asarray(r.forecast(h), float), _theta_sd(r, h))


def _theta_plain(y, m, h, seasonal, adj, additive=False) -> Component:
    from statsmodels.tsa.forecasting.theta import ThetaModel
    r = ThetaModel(y, period=1, deseasonalize=False).fit()
    return Component("theta", np.asarray(r.forecast(h), float), _theta_sd(r, h))


@functools.cache
def _one_sd_alpha() -> float:
    """Two-sided tail outside +-1 sd of a normal, 2 (1 - Phi(1)) = 0.3173: the
    alpha whose prediction interval is the mean +- one standard deviation."""
    from scipy.stats import norm
    return float(2 * norm.sf(1))


def _theta_sd(result, h: int) -> np.ndarray:
    """Theta's forecast sd: half its +-1 sd prediction interval's width."""
    pi = result.prediction_intervals(h, alpha=_one_sd_alpha())
    return (np.asarray(pi["upper"], float) - np.asarray(pi["lower"], float)) / 2


def _ets(y, m, h, seasonal, adj, additive=False, *, trend: bool = True) -> Component:
    from statsmodels.tsa.exponential_smoothing.ets import ETSModel
    season = seasonal and len(y) >= 2 * m + 2
    model = ETSModel(pd.Series(y), error="add", trend="add" if trend else None,
                     damped_trend=trend, seasonal="add" if season else None,
                     seasonal_periods=m if season else None)
    r = model.fit(disp=False)
    if not np.all(np.isfinite(r.params)):
        raise DataError("ETS parameters are not finite (the fit did not converge)")
    p = r.get_prediction(start=len(y), end=len(y) + h - 1)
    return Component("ets" if trend else "ses", np.asarray(r.forecast(h), float),
                     np.sqrt(np.asarray(p.forecast_variance, float)))


def _ses(y, m, h, seasonal, adj, additive=False) -> Component:
    return _ets(y, m, h, seasonal, adj, additive, trend=False)



def _arima(y, m, h, seasonal, adj, additive=False) -> Component:
    from statsmodels.tsa.arima.model import ARIMA
    r = ARIMA(adj.adjusted, order=(1, 1, 1), trend="t").fit()
    return Component("arima", adj.back(np.asarray(r.forecast(h), float)))


def _arima011(y, m, h, seasonal, adj, additive=False) -> Component:
    from statsmodels.tsa.arima.model import ARIMA
    r = ARIMA(y, order=(0, 1, 1)).fit()
    return Component("arima011", np.asarray(r.forecast(h), float))


def _airline(y, m, h, seasonal, adj, additive=False) -> Component:
    from statsmodels.tsa.arima.model import ARIMA
    if seasonal:
        r = ARIMA(y, order=(0, 1, 1), seasonal_order=(0, 1, 1, m)).fit()
    else:
        r = ARIMA(y, order=(0, 1, 1)).fit()
    return Component("airline", np.asarray(r.forecast(h), float))


_FITTERS = {"theta": _theta, "ets": _ets, "arima": _arima, "airline": _airline,
            "theta_plain": _theta_plain, "ses": _ses, "arima011": _arima011}
_SHORT_FITTERS = {"theta": _theta_plain, "ses": _ses, "arima011": _arima011}


# ------------------------------------------------------------------ combination
@dataclass
class Combined:
    """The combination's forecast on the modelling scale.

    ``point`` the mean of the components' forecasts per period; ``sd`` the
    spread the calibration table scales (see the module docstring);
    ``components`` each component's forecast;
    ``failures`` ``{component: reason}``; ``seasonal`` the test's verdict;
    ``sds`` each component's own forecast sd, where it gives one.
    """

    point: np.ndarray
    sd: np.ndarray
    components: dict = field(default_factory=dict)
    failures: dict = field(default_factory=dict)
    seasonal: bool = False
    sds: dict = field(default_factory=dict)
    #: The calibration table for its intervals (:func:`table_for`).
    table: str = "long"

    @property
    def short(self) -> bool:
        """The series was shorter than :data:`SHORT`: the short set, the short table."""
        return self.table == "short"

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(self.components)


@_quiet
def combine(y, m: int, h: int, *, additive: bool = False) -> Combined:
    """Fit every component to ``y`` (modelling scale, no gaps) once and
    combine their ``h``-period forecasts (see the module docstring).

    ``additive``: remove a season additively whatever the values (for a
    series on the logit or log scale, where a multiplicative index would
    depend on an arbitrary zero).  Raises :class:`DataError` when the series
    is empty; ``ImportError`` when a component's library is missing (the
    combination is never quietly made of fewer models than it was calibrated
    for).
    """
    y = np.asarray(y, float)
    if len(y) == 0:
        raise DataError("an empty series cannot be forecast", source="KPI series")
    table = table_for(len(y))
    short = table == "short"
    fitters = _SHORT_FITTERS if short else {k: _FITTERS[k] for k in COMPONENTS}
    seasonal = (not short) and is_seasonal(y, m)
    failures = {}
    try:
        adj = Adjustment.of(y, m, seasonal, additive=additive)
    except Exception as exc:
        # classical decomposition failing on an odd series: no season is removed
        failures["seasonal adjustment"] = _reason(exc)
        adj, seasonal = Adjustment(y), False
    parts = {}
    for name, fit in fitters.items():
        try:
            c = fit(y, m, h, seasonal, adj, additive)
            if c.point.shape != (h,) or not np.all(np.isfinite(c.point)):
                raise DataError("forecast not finite")
            parts[name] = c
        except ImportError:
            raise
        except Exception as exc:
            # statsmodels fails in many ways on short or odd series (LinAlgError,
            # ValueError, non-convergence): that component is left out, recorded
            failures[name] = _reason(exc)
    if not parts:
        naive = np.full(h, y[-1])
        sd = np.std(np.diff(y)) * np.sqrt(np.arange(1, h + 1)) if len(y) > 1 else np.zeros(h)
        return Combined(naive, sd, {"naive": naive}, failures, seasonal, table=table)
    points = np.vstack([c.point for c in parts.values()])
    point = np.mean(points, axis=0)
    own = next((c.sd for key in SPREAD_FROM if (c := parts.get(key)) is not None
                and c.sd is not None and np.all(np.isfinite(c.sd))), None)
    if own is not None:
        # the exponential-smoothing model's own variance + the components' disagreement
        spread = np.sqrt(own ** 2 + np.var(points, axis=0))
    else:
        # no component gave a forecast sd: the spread of one-step changes, growing
        # like a random walk's
        spread = np.std(np.diff(y)) * np.sqrt(np.arange(1, h + 1))
        failures["spread"] = "no component gave a forecast standard deviation"
    return Combined(point, np.asarray(spread, float),
                    {k: c.point for k, c in parts.items()}, failures, seasonal,
                    {k: c.sd for k, c in parts.items() if c.sd is not None}, table)


# ------------------------------------------------------------------ calibration
@dataclass(frozen=True)
class Calibration:
    """Quantiles of standardised absolute errors per horizon.

    ``probs`` (increasing, in [0, 1]) and ``quantiles[h - 1, i]``: the
    ``probs[i]`` quantile of ``|actual - forecast| / sd`` at horizon ``h``.
    """

    probs: np.ndarray
    quantiles: np.ndarray
    source: str = ""
    series: int = 0

    @property
    def horizons(self) -> int:
        return self.quantiles.shape[0]

    def abs_quantile(self, h: np.ndarray, p: np.ndarray) -> np.ndarray:
        """The ``p`` quantile of the standardised absolute error at horizons
        ``h`` (1-based; beyond the table: its last row), interpolated; shape
        ``(len(h), len(p))``."""
        rows = np.clip(np.asarray(h, int), 1, self.horizons) - 1
        return np.vstack([np.interp(p, self.probs, self.quantiles[r]) for r in rows])

    def offsets(self, h: int, n: int) -> np.ndarray:
        """``(h, n)`` standardised offsets: the ``(j + 0.5) / n`` quantiles of
        the symmetric distribution whose absolute value has this table's
        quantiles, per horizon (sorted, antisymmetric: their mean is 0)."""
        u = (np.arange(n) + 0.5) / n
        q = self.abs_quantile(np.arange(1, h + 1), np.abs(2 * u - 1))
        return np.sign(u - 0.5) * q

    def to_dict(self) -> dict:
        return {"source": self.source, "series": self.series,
                "probs": [round(float(p), 6) for p in self.probs],
                "quantiles": [[round(float(v), 5) for v in row] for row in self.quantiles]}

    @classmethod
    def from_dict(cls, data: dict) -> "Calibration":
        return cls(np.asarray(data["probs"], float), np.asarray(data["quantiles"], float),
                   data.get("source", ""), int(data.get("series", 0)))


def fit_calibration(errors: np.ndarray, *, probs=None, pool: int = 1, source: str = ""
                    ) -> Calibration:
    """The calibration table from held-out standardised errors.

    ``errors[i, h - 1]`` is series ``i``'s ``(actual - forecast) / sd`` at
    horizon ``h`` (NaN where missing).  Each horizon's quantiles of the
    absolute errors are taken over its own errors and those of the ``pool``
    horizons either side (smoother tails), made non-decreasing in the
    probability.  They may fall with the horizon (the sd they divide grows);
    the intervals' widths themselves never do (see
    :func:`servicekpi.forecast.simulate`).
    """
    e = np.abs(np.asarray(errors, float))
    probs = np.linspace(0, 1, 201) if probs is None else np.asarray(probs, float)
    rows = []
    for h in range(e.shape[1]):
        lo, hi = max(0, h - pool), min(e.shape[1], h + pool + 1)
        v = e[:, lo:hi].ravel()
        v = v[np.isfinite(v)]
        if v.size == 0:
            raise DataError(f"no finite errors at horizon {h + 1}", source="calibration")
        rows.append(np.quantile(v, probs))
    q = np.maximum.accumulate(np.vstack(rows), axis=1)
    return Calibration(probs, q, source, int(e.shape[0]))


#: The tables of :data:`CALIBRATION_FILE`, by the length of history they serve
#: (:func:`table_for`).
TABLES = ("long", "medium", "short")


def table_for(n: int) -> str:
    """The calibration table for a series of ``n`` periods: ``short`` below
    :data:`SHORT` (the short set of components), ``medium`` below
    :data:`LONG`, else ``long``."""
    return "short" if n < SHORT else "medium" if n < LONG else "long"


@functools.cache
def calibration(table: str = "long") -> Calibration:
    """One of the package's calibration tables (:data:`CALIBRATION_FILE`,
    :data:`TABLES`)."""
    data = json.loads(CALIBRATION_FILE.read_text(encoding="utf-8"))
    return Calibration.from_dict(data[table])


def load_models() -> None:
    """Import the statsmodels models the components use (about a second):
    done once before a process pool forks, so no worker pays it again."""
    from statsmodels.tsa.arima.model import ARIMA  # noqa: F401
    from statsmodels.tsa.exponential_smoothing.ets import ETSModel  # noqa: F401
    from statsmodels.tsa.forecasting.theta import ThetaModel  # noqa: F401
    from statsmodels.tsa.seasonal import seasonal_decompose  # noqa: F401
    from statsmodels.tsa.stattools import acf  # noqa: F401
