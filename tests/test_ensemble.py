"""The combination forecaster (method="auto"): seasonality, components, the
calibrated intervals, and the forecasts it gives on awkward series."""
import sys

import numpy as np
import pandas as pd
import pytest
from scipy import stats

import servicekpi as skpi
from analysis_data import kpi_rows, targets
from servicekpi import ensemble
from servicekpi.ensemble import (COMPONENTS, SHORT_COMPONENTS, TABLES, Adjustment,
                                 Calibration, calibration, combine, fit_calibration,
                                 seasonality_test, table_for)
from servicekpi.forecast import forecast, simulate, simulate_many

IDX = pd.period_range("2022-01", periods=48, freq="M")


def seasonal(n=48, seed=0, level=100.0, amplitude=20.0):
    rng = np.random.default_rng(seed)
    return level + amplitude * np.sin(2 * np.pi * np.arange(n) / 12) + rng.normal(0, 1, n)


# ------------------------------------------------------------------ seasonality
def test_seasonality_test_is_m4s():
    assert seasonality_test(seasonal(), 12)
    assert not seasonality_test(np.random.default_rng(1).normal(100, 1, 48), 12)
    assert not seasonality_test(seasonal(n=35), 12)          # fewer than three seasons
    assert not seasonality_test(seasonal(), 1)
    # the limit by hand: |r_12| > z_0.95 sqrt((1 + 2 sum_{k<12} r_k^2) / n)
    from statsmodels.tsa.stattools import acf
    y = seasonal(seed=3, amplitude=0.6)
    r = acf(y, nlags=12, fft=False)
    limit = stats.norm.ppf(0.95) * np.sqrt((1 + 2 * np.sum(r[1:12] ** 2)) / len(y))
    assert seasonality_test(y, 12) == (abs(r[12]) > limit)


def test_seasonal_adjustment_multiplicative_or_additive():
    y = seasonal()
    adj = Adjustment.of(y, 12, True)
    assert adj.model == "multiplicative" and adj.season.shape == (12,)
    # the adjusted series times its indices is the series again
    n = len(y)
    past = adj.season[(np.arange(n) - (n - 12)) % 12]
    assert np.allclose(adj.adjusted * past, y)
    # a flat forecast of the adjusted series comes back with the season on it
    assert np.allclose(adj.back(np.full(12, 2.0)), 2.0 * adj.season)
    with_zero = y - y.min()                                   # a zero: additive
    add = Adjustment.of(with_zero, 12, True)
    assert add.model == "additive" and np.allclose(add.back(np.zeros(3)), add.season[:3])
    assert Adjustment.of(y, 12, False).back(np.ones(3)).tolist() == [1.0, 1.0, 1.0]


# ------------------------------------------------------------------ components
def test_combine_takes_the_mean_of_its_components():
    c = combine(seasonal(), 12, 6)
    assert c.names == COMPONENTS and c.seasonal and not c.failures
    stacked = np.vstack([c.components[k] for k in COMPONENTS])
    assert np.allclose(c.point, np.mean(stacked, axis=0))
    # (the mean, chosen on M3, is not the median here: the check tells them apart)
    assert not np.allclose(np.mean(stacked, axis=0), np.median(stacked, axis=0))
    # the spread: the ETS component's own sd and the components' disagreement
    assert set(c.sds) == {"theta", "ets"}
    assert np.allclose(c.sd, np.sqrt(c.sds["ets"] ** 2 + np.var(stacked, axis=0)))
    short = combine(seasonal(n=10), 12, 3)
    assert short.names == SHORT_COMPONENTS and not short.seasonal


def test_a_missing_library_is_an_error_not_a_smaller_combination(monkeypatch):
    def missing(*args):
        raise ModuleNotFoundError("No module named 'statsmodels'")
    monkeypatch.setitem(ensemble._FITTERS, "ets", missing)
    with pytest.raises(ImportError, match="statsmodels"):
        combine(seasonal(), 12, 6)


def test_a_failing_component_is_left_out_with_its_reason(monkeypatch):
    def broken(*args):
        raise np.linalg.LinAlgError("Schur decomposition solver error")
    monkeypatch.setitem(ensemble._FITTERS, "arima", broken)
    c = combine(seasonal(), 12, 6)
    assert "arima" not in c.names and len(c.names) == len(COMPONENTS) - 1
    assert c.failures == {"arima": "LinAlgError: Schur decomposition solver error"}
    assert np.allclose(c.point, np.mean(np.vstack(list(c.components.values())), axis=0))
    for name in list(ensemble._FITTERS):
        monkeypatch.setitem(ensemble._FITTERS, name, broken)
    naive = combine(seasonal(), 12, 4)                       # none left: naive
    assert naive.names == ("naive",) and np.all(naive.point == seasonal()[-1])
    assert set(naive.failures) >= set(COMPONENTS)
    sim = simulate(pd.Series(seasonal(), index=IDX), 4)
    assert sim.model == "combination" and sim.components == ("naive",)
    assert set(sim.failures) >= set(COMPONENTS)


# ------------------------------------------------------------------ calibration
def test_fit_calibration_recovers_the_normal_quantiles():
    z = np.random.default_rng(0).standard_normal((20000, 3))
    cal = fit_calibration(z, pool=0)
    q = cal.abs_quantile(np.array([1, 2, 3]), [0.8, 0.95])
    # P(|Z| <= q) = p  <=>  q = Phi^-1((1 + p) / 2)
    assert q[:, 0] == pytest.approx(stats.norm.ppf(0.9), abs=0.03)
    assert q[:, 1] == pytest.approx(stats.norm.ppf(0.975), abs=0.05)
    # standardised errors may shrink with the horizon (the sd grows); quantiles
    # never fall with the probability
    z[:, 2] *= 0.5
    cal = fit_calibration(z, pool=0)
    assert cal.abs_quantile([3], [0.8])[0, 0] < cal.abs_quantile([2], [0.8])[0, 0]
    assert np.all(np.diff(cal.quantiles, axis=1) >= 0)
    # beyond the table: its last row
    assert np.array_equal(cal.abs_quantile([9], [0.8]), cal.abs_quantile([3], [0.8]))
    with pytest.raises(skpi.DataError, match="horizon 2"):
        fit_calibration(np.c_[z[:, 0], np.full(len(z), np.nan)], pool=0)


def test_offsets_are_the_quantiles_of_a_symmetric_distribution():
    cal = Calibration(np.array([0.0, 0.5, 1.0]), np.array([[0.0, 1.0, 3.0]]))
    off = cal.offsets(2, 4)                    # u = 1/8, 3/8, 5/8, 7/8 -> |2u - 1| = 3/4, 1/4
    assert off.shape == (2, 4) and np.allclose(off.sum(axis=1), 0)
    # |offset| at p = 3/4 on the table (0 -> 0, 0.5 -> 1, 1 -> 3): 1 + 0.25 / 0.5 * 2 = 2
    assert off[0].tolist() == [-2.0, -0.5, 0.5, 2.0]
    # the share of offsets within +-q(0.8) is 80%
    cal = calibration()
    off = cal.offsets(18, 1000)
    inner = cal.abs_quantile(np.arange(1, 19), [0.8])[:, 0]
    assert np.mean(np.abs(off) <= inner[:, None] + 1e-12) == pytest.approx(0.8, abs=0.002)


def test_the_packaged_tables():
    short = calibration("short")
    assert short.horizons == 18 and short.series == 1428 and "cut to its last" in short.source
    # a short series' own sds are too narrow: its table widens more than the long one
    assert np.all(short.abs_quantile(np.arange(1, 19), [0.8])
                  > calibration().abs_quantile(np.arange(1, 19), [0.8]))
    assert simulate(pd.Series(seasonal(n=12), index=IDX[:12]), 3).components == \
        SHORT_COMPONENTS
    cal = calibration()
    assert cal.horizons == 18 and cal.series == 1428 and "M3 monthly" in cal.source
    assert cal.probs[0] == 0 and cal.probs[-1] == 1
    assert np.all(np.diff(cal.quantiles, axis=1) >= 0)
    # errors have heavier tails than a normal's: the 95% quantile is further out
    # from the 80% one than Phi^-1(0.975) / Phi^-1(0.9) = 1.53
    q = cal.abs_quantile(np.arange(1, 19), [0.8, 0.95])
    assert np.all(q[:, 1] / q[:, 0] > stats.norm.ppf(0.975) / stats.norm.ppf(0.9))


# ------------------------------------------------------------------ forecasts
def test_bounded_kpis_stay_in_their_range():
    rng = np.random.default_rng(3)
    rate = pd.Series(np.clip(0.97 + rng.normal(0, 0.015, 48), 0, 1), index=IDX)
    sim = simulate(rate, 24, bounds=(0, 1))
    assert sim.model == "combination"
    assert np.nanmax(sim.paths) <= 1 and np.nanmin(sim.paths) >= 0
    f = sim.frame()
    assert (f["lower_95"] <= f["lower_80"]).all() and (f["upper_80"] <= f["upper_95"]).all()
    # a longer horizon is never more certain (on the logit scale the widths may not
    # grow on the rate's scale near its bound, so look at the unbounded series too)
    g = simulate(pd.Series(seasonal(seed=5), index=IDX), 24).frame()
    for lev in ("80", "95"):
        assert (np.diff(g[f"upper_{lev}"] - g["median"]) >= -1e-9).all()
        assert (np.diff(g["median"] - g[f"lower_{lev}"]) >= -1e-9).all()
    # the median path is the combined forecast taken back from the logit scale
    tr = sys.modules["servicekpi.forecast"]._Transform.for_series(rate.to_numpy(), (0, 1))
    point = combine(tr.forward(rate.to_numpy()), 12, 24).point
    assert np.allclose(sim.median, tr.backward(point), atol=1e-9)
    csat = pd.Series(np.clip(4.6 + rng.normal(0, 0.1, 48), 1, 5), index=IDX)
    f = forecast(csat, 12, bounds=(1, 5))
    assert f["upper_95"].max() <= 5 and f["lower_95"].min() >= 1
    # a lower bound alone: the log scale, so the interval reaches further up than down
    minutes = pd.Series(np.exp(1 + rng.normal(0, 0.4, 48)), index=IDX)
    f = simulate(minutes, 6, bounds=(0, None)).frame()
    assert ((f["upper_95"] - f["median"]) > (f["median"] - f["lower_95"])).all()
    # a seasonal rate around 50%: on the logit scale the season is removed additively
    swing = pd.Series(0.5 + 0.03 * np.sin(2 * np.pi * np.arange(48) / 12)
                      + rng.normal(0, 0.005, 48), index=IDX)
    logit = sys.modules["servicekpi.forecast"]._Transform.for_series(swing.to_numpy(), (0, 1))
    z = logit.forward(swing.to_numpy())
    assert combine(z, 12, 6, additive=True).seasonal
    assert Adjustment.of(z, 12, True, additive=True).model == "additive"
    sim = simulate(swing, 6, bounds=(0, 1))
    truth = 0.5 + 0.03 * np.sin(2 * np.pi * np.arange(48, 54) / 12)
    assert np.max(np.abs(sim.median - truth)) < 0.015


def test_short_gappy_and_constant_series():
    rng = np.random.default_rng(5)
    short = pd.Series(0.8 + rng.normal(0, 0.02, 7), index=IDX[:7])
    sim = simulate(short.drop(IDX[[2, 4]]), 3, bounds=(0, 1))
    assert [str(p) for p in sim.filled] == ["2022-03", "2022-05"]
    assert set(sim.components) <= set(SHORT_COMPONENTS) and sim.components
    assert np.isfinite(sim.median).all() and list(sim.index) == list(IDX[7:10])
    four = simulate(short.iloc[:4], 2)
    assert four.status == "ok" and np.isfinite(four.median).all()
    assert simulate(short.iloc[:3], 2).status == "not_enough_history"
    flat = simulate(pd.Series(0.9, index=IDX), 6, bounds=(0, 1))
    assert flat.model == "constant" and np.all(flat.paths == 0.9)


def test_deterministic_and_seed_free():
    y = pd.Series(seasonal(seed=7), index=IDX)
    a, b = simulate(y, 12), simulate(y, 12, seed=99)
    assert np.array_equal(a.paths, b.paths)          # quantile paths: no random draws
    # the single models simulate at random, seeded
    c, d = simulate(y, 6, method="select"), simulate(y, 6, method="select")
    assert np.array_equal(c.paths, d.paths)
    assert not np.array_equal(c.paths, simulate(y, 6, method="select", seed=5).paths)


def test_forecast_of_a_seasonal_series_follows_the_season():
    y = seasonal(seed=2)
    sim = simulate(pd.Series(y, index=IDX), 12)
    truth = 100 + 20 * np.sin(2 * np.pi * np.arange(48, 60) / 12)
    assert np.max(np.abs(sim.median - truth)) < 4
    f = sim.frame()
    inside = (truth >= f["lower_95"]) & (truth <= f["upper_95"])
    assert inside.all()


# ------------------------------------------------------------------ levels
def test_levels_are_fractions():
    y = pd.Series(seasonal(), index=IDX)
    f = forecast(y, 3, levels=(0.5, 0.9))
    assert list(f.columns) == ["mean", "median", "lower_50", "upper_50", "lower_90", "upper_90"]
    with pytest.warns(FutureWarning, match="fractions"):
        old = forecast(y, 3, levels=(50, 90))
    pd.testing.assert_frame_equal(old, f)
    with pytest.raises(skpi.InvalidArgument, match="between 0 and 1"):
        forecast(y, 3, levels=(0,))


# ------------------------------------------------------------------ many series
def test_simulate_many_in_a_pool_gives_the_same_simulations():
    tasks = {i: {"series": pd.Series(seasonal(seed=i), index=IDX), "horizon": 4 + i}
             for i in range(5)}
    one = simulate_many(tasks, workers=1)
    pooled = simulate_many(tasks, workers=2)
    assert list(pooled) == list(tasks)
    for i in tasks:
        assert np.array_equal(one[i].paths, pooled[i].paths) and pooled[i].index.equals(
            one[i].index)


def test_workers_from_the_environment(monkeypatch):
    from servicekpi.forecast import default_workers
    monkeypatch.setenv("SERVICEKPI_WORKERS", "1")
    assert default_workers() == 1
    monkeypatch.setenv("SERVICEKPI_WORKERS", "lots")
    with pytest.raises(skpi.InvalidArgument, match="SERVICEKPI_WORKERS"):
        default_workers()
    monkeypatch.delenv("SERVICEKPI_WORKERS")
    assert default_workers() >= 1


def test_two_targets_on_one_kpi_each_get_their_own_forecast():
    v = np.clip(0.7 + 0.05 * np.sin(np.arange(48) / 2), 0, 1)
    k = kpi_rows([("a", str(p), "fcr_rate", x, 1000, x * 1000) for p, x in zip(IDX, v)])
    t = targets([("a", "fcr_rate", 0.7, "2025-06", 0.74, "2026-06"),
                 ("a", "fcr_rate", 0.7, "2025-06", 0.76, "2026-12")])
    g = skpi.gap_table(k, t)
    assert g["status"].notna().all() and g["rule"].eq("forecast").all()
    assert g["probability"].iloc[0] != g["probability"].iloc[1]
    # attrs keeps one simulation per (team, kpi): the last target's, to its deadline
    assert str(g.attrs["simulations"][("a", "fcr_rate")].index[-1]) == "2026-12"


def test_select_draws_are_the_same_in_a_pool():
    tasks = {i: {"series": pd.Series(seasonal(seed=i), index=IDX), "horizon": 3}
             for i in range(4)}
    one = simulate_many(tasks, workers=1, method="select", n_paths=200)
    pooled = simulate_many(tasks, workers=2, method="select", n_paths=200)
    for i in tasks:
        assert np.array_equal(one[i].paths, pooled[i].paths)


def test_an_error_crosses_the_pool_unchanged(monkeypatch):
    fc = sys.modules["servicekpi.forecast"]

    def fit(name, y, m):
        raise np.linalg.LinAlgError("Schur decomposition solver error")
    monkeypatch.setattr(fc, "_fit", fit)
    # the pool's processes must see the stand-in: forked after it is set, whatever the
    # default start method (forkserver on Linux from Python 3.14)
    import concurrent.futures
    import functools
    import multiprocessing
    monkeypatch.setattr(concurrent.futures, "ProcessPoolExecutor", functools.partial(
        concurrent.futures.ProcessPoolExecutor, mp_context=multiprocessing.get_context("fork")))
    tasks = {i: {"series": pd.Series(seasonal(seed=i), index=IDX), "horizon": 3}
             for i in range(4)}
    with pytest.raises(skpi.DataError) as alone:
        simulate_many(tasks, workers=1, method="naive")
    with pytest.raises(skpi.DataError) as pooled:
        simulate_many(tasks, workers=2, method="naive")
    assert str(alone.value) == str(pooled.value)
    assert str(pooled.value).startswith("KPI series: no forecasting model could be fitted")
    assert pooled.value.source == "KPI series"


def test_gap_table_simulates_its_targets_once_each_in_a_pool():
    rows, tgts = [], []
    for i, team in enumerate("abcde"):
        v = np.clip(0.7 + 0.05 * np.sin(np.arange(48) / 2) + 0.01 * i, 0, 1)
        rows += [(team, str(p), "fcr_rate", x, 1000, x * 1000) for p, x in zip(IDX, v)]
        tgts.append((team, "fcr_rate", 0.7, "2025-06", 0.74, "2026-06"))
    k, t = kpi_rows(rows), targets(tgts)
    pooled = skpi.gap_table(k, t, forecast_options={"workers": 2})
    alone = skpi.gap_table(k, t, forecast_options={"workers": 1})
    pd.testing.assert_series_equal(pooled["probability"], alone["probability"])
    assert len(pooled.attrs["simulations"]) == 5
    for key, sim in pooled.attrs["simulations"].items():
        assert np.array_equal(sim.paths, alone.attrs["simulations"][key].paths)


# ------------------------------------------------------------------ selection
def test_selection_calibrates_before_the_points_that_chose_the_model(monkeypatch):
    fc = sys.modules["servicekpi.forecast"]
    seen = {}
    original = fc._calibration

    def spy(name, y, *args, **kwargs):
        seen["n"] = len(y)
        return original(name, y, *args, **kwargs)
    monkeypatch.setattr(fc, "_calibration", spy)
    y = pd.Series(np.cumsum(np.random.default_rng(4).normal(0, 1, 48)) + 50, index=IDX)
    fc.simulate(y, 12, method="select")
    h_cv = min(12, fc.MAX_CV_HORIZON, 48 // 4)               # 6
    used = h_cv + (fc.CV_ORIGINS - 1) * max(1, h_cv // 2)     # 6 + 2 * 3 = 12
    assert seen["n"] == 48 - used
    fc.simulate(y, 12, method="theta")                        # no selection: all of it
    assert seen["n"] == 48


def test_theta_removes_a_season_additively_on_the_logit_or_log_scale():
    # log of a positive seasonal series: every value is above zero, so statsmodels'
    # "auto" would divide by multiplicative indices, which on the log scale depend
    # on the unit the KPI is measured in; the combination asks for additive ones
    from statsmodels.tsa.forecasting.theta import ThetaModel
    y = np.log(seasonal() * 10)
    on_log = combine(y, 12, 6, additive=True).components["theta"]
    additive = ThetaModel(y, period=12, method="additive").fit().forecast(6)
    automatic = ThetaModel(y, period=12).fit().forecast(6)
    assert np.allclose(on_log, additive)
    assert not np.allclose(additive, automatic)
    # a raw series keeps statsmodels' choice
    assert np.allclose(combine(seasonal(), 12, 6).components["theta"],
                       ThetaModel(seasonal(), period=12).fit().forecast(6))


def test_each_length_of_history_has_its_own_table():
    assert [table_for(n) for n in (4, 15, 16, 30, 47, 48, 120)] == \
        ["short", "short", "medium", "medium", "medium", "long", "long"]
    for name in TABLES:
        cal = calibration(name)
        assert cal.horizons == 18 and cal.series == 1428 and "M3 monthly" in cal.source
    assert "18/24/30/36/42" in calibration("medium").source
    # a series of 30 periods (a typical KPI history) gets the medium table: its 80%
    # interval is the combination's spread times that table's 80% quantile
    y = seasonal(n=30)
    c = combine(y, 12, 6)
    assert c.table == "medium" and c.names == COMPONENTS
    f = simulate(pd.Series(y, index=IDX[:30]), 6).frame(levels=[0.8])
    half = (f["upper_80"] - f["lower_80"]).to_numpy() / 2
    h = np.arange(1, 7)
    medium = np.maximum.accumulate(c.sd * calibration("medium").abs_quantile(h, [0.8])[:, 0])
    long = np.maximum.accumulate(c.sd * calibration("long").abs_quantile(h, [0.8])[:, 0])
    assert np.allclose(half, medium, rtol=0.02)
    assert not np.allclose(half, long, rtol=0.02)


def test_simulate_fits_the_combination_on_the_bounded_scale_with_additive_seasons():
    # a seasonal rate of 60-80%: every logit is positive, where statsmodels' Theta
    # would pick a multiplicative season by itself; simulate asks for additive ones
    from servicekpi.forecast import modelling_scale
    rng = np.random.default_rng(3)
    y = 0.7 + 0.1 * np.sin(2 * np.pi * np.arange(48) / 12) + rng.normal(0, 0.01, 48)
    sim = simulate(pd.Series(y, index=IDX), 6, bounds=(0, 1))
    scale = modelling_scale(y, (0, 1))
    z = scale.forward(y)
    assert scale.kind == "logit" and z.min() > 0
    additive = combine(z, 12, 6, additive=True)
    assert np.allclose(sim.median, scale.backward(additive.point), atol=1e-9)
    assert not np.allclose(additive.components["theta"],
                           combine(z, 12, 6).components["theta"])


def test_a_season_under_a_trend_is_found_in_the_changes():
    """Three years of a growing volume (log scale) with a 15% season: the M4 test's
    limit, widened by the trend's autocorrelations, misses the season; the test on
    the changes finds it, as statsmodels' ThetaModel does when asked to difference,
    and the combination removes it."""
    from servicekpi.ensemble import is_seasonal, seasonal_in_changes
    from statsmodels.tsa.forecasting.theta import ThetaModel

    def theta_says(y, difference):
        model = ThetaModel(y, period=12, difference=difference)
        model._test_seasonality()
        return model._has_seasonality

    t = np.arange(36)
    y = (np.log(1000 + 40 * t) + 0.15 * np.sin(2 * np.pi * t / 12)
         + np.random.default_rng(0).normal(0, 0.02, 36))
    assert not seasonality_test(y, 12)
    assert seasonal_in_changes(y, 12) and is_seasonal(y, 12)
    assert theta_says(y, difference=True) and not theta_says(y, difference=False)
    assert combine(y, 12, 6, additive=True).seasonal
    # no season: neither test; too short or constant changes: no test
    noise = np.random.default_rng(1).normal(5, 0.1, 48)
    assert not seasonal_in_changes(noise, 12) and not is_seasonal(noise, 12)
    assert not theta_says(noise, difference=True)
    assert not seasonal_in_changes(y[:35], 12)
    assert not seasonal_in_changes(np.arange(48.0), 12)
    # either test suffices: a level series whose season the M4 test finds
    assert is_seasonal(seasonal(), 12)
