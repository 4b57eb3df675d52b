"""Forecasts and target outlooks: known answers, edge cases, determinism, and
one simulation per target shared by the status, the outlook and the fan chart."""
import math
import sys
import warnings

import numpy as np
import pandas as pd
import pytest

import servicekpi as skpi
from analysis_data import kpi_rows, series, targets
from servicekpi.forecast import Simulation, backtest, forecast, simulate, target_outlook
from servicekpi.gaps import model_name, why

IDX = pd.period_range("2023-01", periods=36, freq="M")


def noisy(level=0.5, sd=0.01, seed=1, n=36, idx=IDX):
    rng = np.random.default_rng(seed)
    return pd.Series(level + rng.normal(0, sd, n), index=idx[:n])


def test_straight_line_is_forecast_as_a_straight_line():
    line = pd.Series(10 + 0.5 * np.arange(36), index=IDX)
    f = forecast(line, 6, method="select")
    assert list(f.index) == list(pd.period_range("2026-01", periods=6, freq="M"))
    assert f["mean"].to_numpy() == pytest.approx(28 + 0.5 * np.arange(6), abs=1e-3)
    assert (f["upper_95"] - f["lower_95"]).max() < 0.05
    assert f.attrs["model"] in ("drift", "ets_aadn") and f.attrs["status"] == "ok"
    assert list(f.columns) == ["mean", "median", "lower_80", "upper_80", "lower_95", "upper_95"]
    # the combination damps a trend (its median includes damped ETS and the airline
    # model, which does not extrapolate one): rising, between the last value and the line
    auto = forecast(line, 6)
    assert auto.attrs["model"] == "combination" and auto.attrs["status"] == "ok"
    assert (np.diff(auto["mean"]) > 0).all()
    assert ((27.5 < auto["mean"]) & (auto["mean"] <= 28 + 0.5 * np.arange(6) + 1e-6)).all()


def test_bounded_rate_near_one_stays_in_range():
    rate = pd.Series(np.clip(0.985 + np.random.default_rng(3).normal(0, 0.01, 36), 0, 1),
                     index=IDX)
    f = forecast(rate, 24, bounds=(0, 1))
    assert (f.to_numpy() <= 1).all() and (f.to_numpy() >= 0).all()
    assert (f["lower_95"] <= f["lower_80"]).all() and (f["lower_80"] <= f["mean"]).all()
    assert (f["mean"] <= f["upper_80"]).all() and (f["upper_80"] <= f["upper_95"]).all()
    nps = pd.Series(np.clip(95 + np.random.default_rng(4).normal(0, 4, 36), -100, 100), index=IDX)
    assert forecast(nps, 12, bounds=(-100, 100))["upper_95"].max() <= 100


def test_a_value_at_a_bound_is_taken_as_near_as_its_observations_allow():
    """An SLA series of 14 months between 67% and 91%, and 24 of 24 met once: taken as
    0.1% from the bound, that month lies as far above 90% on the logit scale as 10%
    lies below it, and the 80% range in four months ran from 15% to 99%.  With the
    observations behind each value, 24 of 24 is taken as 1 - 0.5 / 25 = 98% (the
    empirical logit's half observation), and the range narrows; values inside the
    bounds are read as they are."""
    from servicekpi.forecast import modelling_scale

    values = [0.795, 0.854, 1.0, 0.676, 0.741, 0.721, 0.833, 0.673, 0.711, 0.824, 0.843,
              0.739, 0.738, 0.909]
    n = [39, 41, 24, 37, 27, 43, 30, 49, 38, 34, 51, 46, 42, 33]
    idx = pd.period_range("2024-01", periods=14, freq="M")
    sla, counts = pd.Series(values, index=idx), pd.Series(n, index=idx, dtype=float)
    tr = modelling_scale(sla.to_numpy(), (0, 1))
    z = tr.forward(sla.to_numpy(), counts.to_numpy())
    assert z[2] == pytest.approx(math.log(0.98 / 0.02))
    inside = np.arange(14) != 2
    np.testing.assert_allclose(z[inside], tr.forward(sla.to_numpy())[inside])
    # a mean of answers may lie nearer a bound than half an answer: CSAT 4.9 of 5 on
    # 10 answers, CES 1.2 of 7 on 10, are read as they are, not moved inside
    for bounds, value in (((1, 5), 4.9), ((1, 7), 1.2)):
        scale = modelling_scale(np.array([value]), bounds)
        assert scale.forward([value], [10]) == pytest.approx(scale.forward([value]))

    def range_80(**kw):
        last = simulate(sla, 4, bounds=(0, 1), **kw).paths[-1]
        return np.quantile(last, 0.1), np.quantile(last, 0.9)
    plain, counted = range_80(), range_80(counts=counts)
    assert plain[0] < 0.2 and counted[0] > 0.4            # 15% vs 45%
    assert counted[1] - counted[0] < 0.6 < plain[1] - plain[0]


def test_probability_near_one_and_near_zero():
    met = noisy(0.9, 0.003)
    o = target_outlook(met, 0.8, "2026-06", "higher", bounds=(0, 1))
    assert o["probability"] > 0.97 and o["expected_reached"] is not None
    far = noisy(0.5, 0.003)
    o = target_outlook(far, 0.8, "2026-06", "higher", bounds=(0, 1))
    assert o["probability"] < 0.03 and o["expected_reached"] is None
    assert 0.45 < o["forecast"] < 0.55 and o["lower_80"] < o["forecast"] < o["upper_80"]
    # lower is better: 0.5 against a target of 0.8 is already met
    assert target_outlook(far, 0.8, "2026-06", "lower", bounds=(0, 1))["probability"] > 0.97


def test_deadline_already_passed_uses_the_observed_value():
    o = target_outlook(noisy(0.9, 0.003), 0.8, "2024-06", "higher")
    assert o["probability"] == 1.0 and o["model"] == "observed"
    assert o["expected_reached"] == pd.Period("2024-06", "M")
    # a deadline period without a value is not replaced by another period's value
    gappy = noisy(0.9, 0.003).drop(IDX[17])                   # 2024-06
    o = target_outlook(gappy, 0.8, "2024-06", "higher")
    assert np.isnan(o["probability"]) and o["status"] == "no_value_at_deadline"


def test_short_gappy_and_tiny_series():
    short = noisy(n=8)
    f = forecast(short, 4, method="select")
    assert f.attrs["model"] in ("naive", "drift", "ets_ann")
    gappy = noisy().drop(IDX[[5, 6, 20]])
    f = forecast(gappy, 3)
    assert f.attrs["filled"] == ["2023-06", "2023-07", "2024-09"]
    assert f["mean"].notna().all()
    # four months: too short for any candidate's cross-validation, naive alone
    four = forecast(noisy(n=4), 3, method="select")
    assert four.attrs["model"] == "naive" and (four["mean"] == noisy(n=4).iloc[-1]).all()
    tiny = forecast(noisy(n=3), 5)
    assert tiny.attrs["status"] == "not_enough_history" and len(tiny) == 5
    assert tiny["mean"].isna().all()
    assert forecast(pd.Series([], dtype=float, index=pd.PeriodIndex([], freq="M")), 3) \
        .attrs["status"] == "not_enough_history"
    o = target_outlook(noisy(n=2), 0.6, "2026-06", "higher")
    assert np.isnan(o["probability"]) and o["status"] == "not_enough_history"


def test_constant_series_flat_forecast():
    f = forecast(pd.Series(4.2, index=IDX), 5)
    assert f.attrs["model"] == "constant"
    assert (f.to_numpy() == 4.2).all()


def test_weekly_and_quarterly():
    w = pd.Series(np.arange(30.0), index=pd.period_range("2024-01-01", periods=30, freq="W-SUN"))
    fw = forecast(w, 3)
    assert fw.index[0] == w.index[-1] + 1 and fw.index.freqstr.startswith("W")
    q = pd.Series(np.arange(12.0) + np.tile([0, 1, 2, 1], 3),
                  index=pd.period_range("2023Q1", periods=12, freq="Q"))
    fq = forecast(q, 4)
    assert str(fq.index[0]) == "2026Q1"


def test_deterministic():
    s = noisy(sd=0.05)
    for method in ("auto", "select"):
        a = forecast(s, 6, bounds=(0, 1), method=method)
        pd.testing.assert_frame_equal(a, forecast(s, 6, bounds=(0, 1), method=method))
    c = forecast(s, 6, bounds=(0, 1), seed=5, method="select")
    assert not np.allclose(a["upper_95"], c["upper_95"])


@pytest.mark.parametrize("method", ["auto", "select"])
def test_no_warnings_leak(method):
    # statsmodels turns some warnings back on inside its fits: they must not reach the user
    rng = np.random.default_rng(9)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        for i in range(5):
            forecast(pd.Series(np.cumsum(rng.normal(0, 1, 36)) + 50, index=IDX), 12,
                     method=method)
        forecast(pd.Series(np.r_[np.zeros(30), np.ones(6)], index=IDX), 6, method=method)
    assert not caught, [str(w.message) for w in caught]


def test_calibration_only_widens():
    s = noisy(sd=0.05, seed=12)
    raw = forecast(s, 6, calibrate=False, method="select")
    cal = forecast(s, 6, method="select")
    assert cal.attrs["calibration"] >= 1.0 and raw.attrs["calibration"] == 1.0
    assert np.allclose(cal["mean"], raw["mean"])                  # the point forecast stays
    assert ((cal["upper_80"] - cal["lower_80"]) >= (raw["upper_80"] - raw["lower_80"]) - 1e-9).all()


def test_explicit_method_and_unknown_method():
    assert forecast(noisy(), 3, method="naive").attrs["model"] == "naive"
    with pytest.raises(ValueError, match="unknown forecasting method"):
        forecast(noisy(), 3, method="crystal_ball")


def test_backtest():
    rng = np.random.default_rng(2)
    walk = pd.Series(np.cumsum(rng.normal(0, 1, 48)) + 100,
                     index=pd.period_range("2022-01", periods=48, freq="M"))
    bt = backtest(walk, 3, methods=["auto", "naive"], origins=6).set_index("method")
    assert set(bt.columns) >= {"MAE", "MASE", "sMAPE", "coverage_80", "coverage_95", "forecasts"}
    assert bt.loc["naive", "forecasts"] == 18
    assert 0.2 < bt.loc["naive", "MASE"] < 3
    assert 0 <= bt.loc["auto", "coverage_80"] <= bt.loc["auto", "coverage_95"] <= 1
    assert (bt["status"] == "ok").all() and (bt["error"] == "").all()
    assert (bt["failed_origins"] == 0).all()


def test_backtest_keeps_a_failing_method_with_its_reason(monkeypatch):
    """A model that fails at every origin is a row with the reason, not dropped."""
    import numpy.linalg
    fc = sys.modules["servicekpi.forecast"]

    def fit(name, y, m):
        if name == "arima_ar1":
            raise numpy.linalg.LinAlgError("Schur decomposition solver error")
        return original(name, y, m)
    original = fc._fit
    monkeypatch.setattr(fc, "_fit", fit)
    rng = np.random.default_rng(2)
    walk = pd.Series(np.cumsum(rng.normal(0, 1, 48)) + 100,
                     index=pd.period_range("2022-01", periods=48, freq="M"))
    bt = backtest(walk, 3, methods=["naive", "arima_ar1"], origins=4,
                  calibrate=False).set_index("method")
    assert list(bt.index) == ["naive", "arima_ar1"]
    assert bt.loc["naive", "status"] == "ok" and bt.loc["naive", "forecasts"] == 12
    bad = bt.loc["arima_ar1"]
    assert bad["status"] == "failed" and bad["forecasts"] == 0 and bad["failed_origins"] == 4
    assert "Schur decomposition solver error" in bad["error"]
    assert "LinAlgError" in bad["error"] and "arima_ar1" in bad["error"]
    assert np.isnan(bad["MAE"]) and np.isnan(bad["MASE"]) and np.isnan(bad["coverage_80"])
    # simulate records failures; an explicit model that cannot be fitted is a DataError
    assert simulate(walk, 3, method="naive").failures == {}
    with pytest.raises(skpi.DataError, match="no forecasting model could be fitted .*"
                                             "arima_ar1: LinAlgError"):
        simulate(walk, 3, method="arima_ar1")
    auto = simulate(walk, 3, method="select")
    assert auto.model != "arima_ar1" and not np.isfinite(auto.scores.get("arima_ar1", np.inf))
    assert any(k.startswith("arima_ar1") for k in auto.failures)


def test_unknown_methods_are_invalid_arguments():
    with pytest.raises(skpi.InvalidArgument, match="unknown forecasting method"):
        backtest(noisy(), 3, methods=["naive", "crystal_ball"])
    with pytest.raises(skpi.InvalidArgument, match="direction"):
        hand_simulation().share_meeting(4.0, "sideways")


def test_normal_constants_come_from_scipy():
    from scipy import stats
    fc = sys.modules["servicekpi.forecast"]
    assert fc._abs_normal_p80() == stats.norm.ppf(0.9)
    assert fc._abs_normal_p80() == pytest.approx(1.2816, abs=1e-4)    # the tabulated value
    assert fc._one_sd_alpha() == pytest.approx(0.3173, abs=1e-4)
    low, high = fc._one_sd_percentiles()
    assert (low, high) == pytest.approx((15.87, 84.13), abs=1e-2)
    # P(|Z| <= z80) = 0.8 and the +-1 sd band holds 1 - alpha of a normal
    assert 2 * stats.norm.cdf(fc._abs_normal_p80()) - 1 == pytest.approx(0.8)
    assert (high - low) / 100 == pytest.approx(1 - fc._one_sd_alpha())


def test_gap_table_forecast_status():
    flat = series("A", "fcr_rate", "2025-01", [0.70 + 0.002 * np.sin(i) for i in range(18)],
                  n=100000)
    t = targets([("A", "fcr_rate", 0.70, "2025-06", 0.80, "2026-12")])
    table = skpi.gap_table(kpi_rows(flat), t)                   # rule="forecast", the default
    g = table.iloc[0]
    assert g["status"] == "off_track" and g["probability"] < 0.3 and g["rule"] == "forecast"
    assert why(table).iloc[0].startswith(f"forecast ({model_name(g['model'])}): P(the 2026-12 "
                                         "value")
    assert why(table, "zh").iloc[0].startswith(f"预测（{model_name(g['model'], 'zh')}）：2026-12的值"
                                               "达到目标的概率")
    easy = targets([("A", "fcr_rate", 0.68, "2025-06", 0.695, "2026-12")])
    g = skpi.gap_table(kpi_rows(flat), easy, thresholds=(0.1, 0.2)).iloc[0]
    assert 0.2 <= g["probability"] and g["status"] == "on_track"   # never "met" before the deadline
    with pytest.raises(ValueError):
        skpi.gap_table(kpi_rows(flat), t, rule="tea leaves")


# ------------------------------------------------------------ one simulation per target
def hand_simulation(last=5.0):
    """Five paths of a lower-is-better KPI, four months ahead, by hand."""
    history = pd.Series([last], index=pd.period_range("2026-10", periods=1, freq="M"))
    paths = np.array([[3.5, 3.8, 3.9, 4.2, 4.4],      # 2026-11: median 3.9
                      [4.0, 4.1, 4.3, 4.5, 4.6],      # 2026-12: median 4.3
                      [3.6, 3.7, 3.9, 4.1, 4.3],      # 2027-01: median 3.9
                      [3.5, 3.6, 3.8, 3.95, 4.2]])    # 2027-02: median 3.8
    return Simulation(history, pd.period_range("2026-11", periods=4, freq="M"), paths,
                      paths.mean(axis=1), "hand", "ok")


def test_outlook_read_from_the_paths_by_hand():
    sim = hand_simulation()
    o = sim.outlook(4.0, "lower")
    assert o["probability"] == 0.8                        # 4 of 5 paths <= 4.0 in 2027-02
    assert o["forecast"] == 3.8 and o["mean"] == pytest.approx(3.81)
    # numpy's linear percentiles of (3.5, 3.6, 3.8, 3.95, 4.2): 10% at position 0.4
    assert o["lower_80"] == pytest.approx(3.54) and o["upper_80"] == pytest.approx(4.1)
    assert o["model"] == "hand" and o["horizon"] == 4
    # in December one path sits exactly on the target: "at or better" counts it
    assert sim.outlook(4.0, "lower", at="2026-12")["probability"] == 0.2
    assert list(sim.share_meeting(4.0, "lower")) == [0.6, 0.2, 0.6, 0.8]
    assert list(sim.frame().index) == list(sim.index)
    assert sim.frame()["median"].tolist() == [3.9, 4.3, 3.9, 3.8]


def test_expected_reached_answers_the_status_question():
    """The first period from which the expected path (last value, then the median
    path) meets the target in every period through the deadline."""
    sim = hand_simulation()
    # medians 3.9, 4.3, 3.9, 3.8 against 4.0: met in November, lost in December,
    # met from January on.  "First month at or better" would say November.
    assert sim.expected_reached(4.0, "lower") == pd.Period("2027-01", "M")
    # a December deadline: the median there (4.3) misses, so not by the deadline,
    # although November's median meets the target
    assert sim.expected_reached(4.0, "lower", at="2026-12") is None
    assert sim.outlook(4.0, "lower", at="2026-12")["expected_reached"] is None
    # already better now (3.9) and the median stays better through November
    assert hand_simulation(last=3.9).expected_reached(4.0, "lower", at="2026-11") == \
        pd.Period("2026-10", "M")
    # higher is better, target 3.9: the last value (5.0) and the medians through
    # January (3.9, 4.3, 3.9) meet it, February's (3.8) does not
    assert sim.expected_reached(3.9, "higher") is None
    assert sim.expected_reached(3.9, "higher", at="2027-01") == pd.Period("2026-10", "M")
    with pytest.raises(ValueError, match="direction"):
        sim.expected_reached(4.0, "neutral")


def test_expected_reached_exists_exactly_when_the_median_at_the_deadline_meets():
    s = noisy(0.75, 0.02, seed=4)
    sim = simulate(s, 6, bounds=(0, 1), n_paths=400)
    for target in np.linspace(0.70, 0.80, 11):
        o = sim.outlook(target, "higher")
        assert (o["expected_reached"] is not None) == (o["forecast"] >= target)
        if o["probability"] < 0.5:
            assert o["expected_reached"] is None


def test_the_model_does_not_depend_on_who_asks():
    """target_outlook, the gap table and a direct simulation to the deadline fit
    the same model and give the same paths."""
    s = noisy(0.75, 0.02, seed=4)
    o = target_outlook(s, 0.78, "2026-04", "higher", bounds=(0, 1))
    sim = simulate(s, 4, bounds=(0, 1))
    assert o["simulation"].model == sim.model and np.array_equal(o["simulation"].paths, sim.paths)
    assert o["horizon"] == 4 and o["probability"] == np.mean(sim.paths[-1] >= 0.78)
    k = kpi_rows([("A", str(p), "fcr_rate", v, 1000, v * 1000) for p, v in s.items()])
    g = skpi.gap_table(k, targets([("A", "fcr_rate", 0.75, "2025-06", 0.78, "2026-04")]))
    gsim = g.attrs["simulations"][("A", "fcr_rate")]
    assert gsim.model == sim.model and np.array_equal(gsim.paths, sim.paths)
    assert g.iloc[0]["probability"] == o["probability"]


def test_fan_chart_draws_the_simulation_to_the_deadline():
    from servicekpi import plots
    from servicekpi.catalogue import resolve
    s = noisy(0.75, 0.02, seed=4)
    k = kpi_rows([("A", str(p), "fcr_rate", v, 1000, v * 1000) for p, v in s.items()])
    t = targets([("A", "fcr_rate", 0.75, "2025-06", 0.78, "2026-04")])
    g = skpi.gap_table(k, t)
    sim = g.attrs["simulations"][("A", "fcr_rate")]
    ax = plots.fan_chart(k, sim, team="A", kpi="fcr_rate", target=t.iloc[0],
                         catalogue=resolve(None))
    line = next(ln for ln in ax.get_lines() if ln.get_label() == "forecast (median)")
    assert list(line.get_xdata()) == [p.ordinal for p in pd.period_range("2025-12", "2026-04",
                                                                          freq="M")]
    assert np.array_equal(line.get_ydata(), np.r_[s.iloc[-1], sim.median])
    band = next(c for c in ax.collections if c.get_label() == "80% interval")
    top = band.get_paths()[0].vertices[:, 1]
    assert np.isclose(top, np.percentile(sim.paths[-1], 90)).any()
    title = ax.get_title(loc="left")
    p = g.iloc[0]["probability"]
    assert f"model: {model_name(sim.model)}" in title and f"P(met 2026-04) {math.floor(round(100 * p, 6))}%" in title



def hand_report(kpis, tgts):
    """A TeamReport on a hand-made KPI table (team "a", export as of 1 Nov 2026)."""
    from servicekpi import config
    from servicekpi.catalogue import load_catalogue
    from servicekpi.params import ReportParams
    from servicekpi.report import TeamReport
    p = ReportParams(team="a", tickets="tickets.csv", catalogue=config.CATALOGUE)
    tickets = pd.DataFrame({"team": ["a"]})
    tickets.attrs["as_of"] = pd.Timestamp("2026-11-01")
    return TeamReport(p, load_catalogue(config.CATALOGUE), tickets, kpis, None, tgts)


def test_report_status_outlook_and_fan_chart_read_one_simulation():
    rng = np.random.default_rng(3)
    idx = pd.period_range("2023-01", "2026-10", freq="M")
    fcr = [0.74 + 0.001 * i + rng.normal(0, 0.012) for i in range(len(idx))]
    target = 0.785
    r = hand_report(kpi_rows(series("a", "fcr_rate", "2023-01", fcr)),
                    targets([("a", "fcr_rate", 0.75, "2025-12", target, "2026-12")]))
    assert r.period == pd.Period("2026-10", "M")
    g = r.gaps()
    sim = g.attrs["simulations"][("a", "fcr_rate")]
    assert r.forecasts()["fcr_rate"] is sim                      # not fitted again
    assert list(sim.index) == list(pd.period_range("2026-11", "2026-12", freq="M"))
    at = sim.paths[-1]
    row = g.iloc[0]
    p = np.mean(at >= target)
    assert row["probability"] == p and 0 < p < 1
    assert row["status"] == ("on_track" if p >= 0.7 else "at_risk" if p >= 0.3 else "off_track")
    from servicekpi.i18n import msg
    from servicekpi.report import figures, sections, tables
    fmt = r.catalogue["fcr_rate"].fmt
    out = tables.outlook(r).data.iloc[0]
    model = msg(f"figures.model.{sim.model}")          # the model's name in words
    assert out["P(met at deadline)"] == f"{math.floor(round(100 * p, 6))}%"
    assert out["forecast at deadline"] == fmt(np.median(at))
    assert out["80% interval"] == f"{fmt(np.percentile(at, 10))} – {fmt(np.percentile(at, 90))}"
    assert out["model"] == model and row["rule"] == "forecast"
    reached = sim.expected_reached(target, "higher")
    assert out["expected reached"] == (str(reached) if reached else "not by the deadline")
    assert "met now" not in tables.outlook(r).data.to_string()
    fig = figures.fans(r)
    ax = fig.axes[0]
    assert f"P(met 2026-12) {math.floor(round(100 * p, 6))}%" in ax.get_title(loc="left")
    line = next(ln for ln in ax.get_lines() if ln.get_label() == "forecast (median)")
    assert np.array_equal(line.get_ydata()[1:], sim.median)
    # the gap table names its CI level; the summary flags a value better than the target
    # now that may miss it at the deadline
    html = tables.gaps(r).to_html()
    assert "95% CI" in html and "better than target now" in html
    # progress is labelled for what it is, next to the scorecard's clipped score; the old
    # attainment ratio stays in the frame, off the page
    assert "progress from baseline" in html and "clipped to 0-100" in html
    assert "attainment" not in html and "attainment" in g.columns
    from servicekpi.report.sentences import status_summary
    assert status_summary(r).startswith("1 target assessed for 2026-10. **1 ")
    r._cache["gaps"] = g.assign(better_now=True, status="off_track")
    assert status_summary(r) == ("1 target assessed for 2026-10. **1 off track**: First-contact "
                                 "resolution. Better than the target now, but forecast to miss "
                                 "it at the deadline: First-contact resolution.")
    assert sections.items(r, "summary")[0] == status_summary(r)


def test_report_forecasts_an_incomplete_deadline_period():
    """The report hands the gap table every row, so a deadline period (September)
    whose durations are still incomplete is seen as such: forecast from August,
    not "insufficient data"."""
    rng = np.random.default_rng(8)
    hours = [30 + rng.normal(0, 1.5) for _ in range(46)]          # 2023-01 .. 2026-10
    k = kpi_rows(series("a", "avg_resolution_hours", "2023-01", hours, n=400, rate=False,
                        sd=10.0))
    k["open_share"] = [0.0] * 44 + [0.20, 0.45]                   # September, October open
    r = hand_report(k, targets([("a", "avg_resolution_hours", 32, "2025-12", 31, "2026-09")]))
    assert r.period == pd.Period("2026-10", "M")
    g = r.gaps()
    row = g.iloc[0]
    sim = g.attrs["simulations"][("a", "avg_resolution_hours")]
    assert row["current_period"] == pd.Period("2026-08", "M")
    assert list(sim.index) == [pd.Period("2026-09", "M")]
    assert row["probability"] == np.mean(sim.paths[-1] <= 31)
    assert row["status"] in ("on_track", "at_risk", "off_track")
    from servicekpi.gaps import why
    from servicekpi.i18n import msg
    from servicekpi.report import tables
    rule = why(g).iloc[0]
    assert rule.startswith("deadline period 2026-09 not yet complete (20% of tickets still "
                           "open): status from the forecast; forecast (")
    assert rule.endswith("(2026-09, 2026-10 left out: incomplete, too many tickets still open)")
    out = tables.outlook(r).data.iloc[0]
    assert out["model"] == msg(f"figures.model.{sim.model}")
    assert out["P(met at deadline)"] == f"{math.floor(round(100 * row['probability'], 6))}%"


def test_overview_status_words_in_its_language():
    from servicekpi import config
    from servicekpi.catalogue import load_catalogue
    from servicekpi.params import ReportParams
    from servicekpi.report import OverviewReport
    from servicekpi.status import Status
    fcr = [0.74 + 0.001 * i for i in range(46)]
    k = kpi_rows(series("a", "fcr_rate", "2023-01", fcr))
    t = targets([("a", "fcr_rate", 0.75, "2025-12", 0.95, "2026-12")])   # far off
    p = ReportParams(team="a", tickets="tickets.csv", catalogue=config.CATALOGUE,
                     language="zh")
    ov = OverviewReport("t", [p], load_catalogue(config.CATALOGUE), {"month": k},
                        {"month": t}, {}, ends={"a": pd.Timestamp("2026-11-01")})
    assert ov.language == "zh" and ov.gaps().iloc[0]["status"] == "off_track"
    html = ov.status_table().to_html()
    assert all(s.label("zh") in html for s in Status)
    assert "off track" not in html and "insufficient data" not in html
    assert list(ov.at_risk()["status"]) == ["off_track"]             # codes in the numbers
    assert "偏离目标" in ov.at_risk_table().to_html()                 # words on the page


def test_arguments_a_notebook_passes_wrong_are_refused_in_words():
    """A share in percent against bounds (0, 1) was forecast at 0.988, below its own
    80% interval; bounds (1, 0) gave zeros with status ok; a horizon of 2.5 gave 2
    periods and -1 none; a monthly series indexed by month starts ("MS") failed inside
    pandas.  Each is refused saying what to pass, or read."""
    s = pd.Series([0.70, 0.72, 0.71, 0.74, 0.73, 0.75, 0.76, 0.74, 0.77, 0.78, 0.77, 0.79],
                  index=pd.period_range("2025-01", periods=12, freq="M"))
    with pytest.raises(skpi.InvalidArgument, match=r"12 value\(s\) outside the bounds "
                                                   r"\(0, 1\): 70, 72, 71 \(a share written "
                                                   r"in percent\?\)"):
        skpi.forecast(s * 100, 3, bounds=(0, 1))
    with pytest.raises(skpi.InvalidArgument, match=r"low must be below high, not \(1, 0\)"):
        skpi.forecast(s, 3, bounds=(1, 0))
    for horizon in (2.5, -1, True):
        with pytest.raises(skpi.InvalidArgument, match="horizon: expected a whole number"):
            skpi.forecast(s, horizon)
    by_start = skpi.forecast(s.to_timestamp(how="start"), 3, bounds=(0, 1))
    assert by_start.equals(skpi.forecast(s, 3, bounds=(0, 1)))
    with pytest.raises(skpi.InvalidArgument, match="not RangeIndex"):
        skpi.forecast(pd.Series(s.to_numpy()), 3)
    for horizon in ("3", None):
        with pytest.raises(skpi.InvalidArgument, match="horizon: expected a whole number"):
            skpi.forecast(s, horizon)
    with pytest.raises(skpi.InvalidArgument, match=r"bounds: expected \(low, high\) numbers"):
        skpi.forecast(s, 3, bounds=("0", "1"))
    # quarters dated by their first day are calendar quarters, not quarters of a year
    # ending in January (2023-01-01 read as 2023Q4)
    b = pd.Series(s.to_numpy(), index=pd.date_range("2024-01-01", periods=12, freq="BMS"))
    assert skpi.forecast(b, 1, bounds=iter((0, 1))).index.tolist() == [
        pd.Period("2025-01", "M")]            # business month starts; bounds an iterator
    q = pd.Series(s.to_numpy(), index=pd.period_range("2023Q1", periods=12, freq="Q"))
    assert skpi.forecast(q.to_timestamp(how="start"), 2).index.tolist() == [
        pd.Period("2026Q1", "Q-DEC"), pd.Period("2026Q2", "Q-DEC")]


def test_a_duration_forecast_has_a_median_the_fan_chart_draws():
    """A resolution time modelled on the log scale: the mean of its paths is pulled
    up by their far tail (above every interval here: 60 h once, 3.1 h last), so
    forecast() gives the median too, the point forecast the reports show, and a
    fan chart of the frame draws it, not the mean."""
    import matplotlib.pyplot as plt
    values = [60, 40, 25, 18, 12, 9, 30, 8, 6, 5, 4, 3.1]
    s = pd.Series(values, index=pd.period_range("2025-01", periods=12, freq="M"))
    f = skpi.forecast(s, 6, bounds=(0, None))
    assert (f["lower_95"] <= f["median"]).all() and (f["median"] <= f["upper_95"]).all()
    sim = skpi.simulate(s, 6, bounds=(0, None))
    assert np.allclose(f["median"], sim.median) and np.allclose(f["mean"], sim.mean)
    k = pd.DataFrame({"team": "A", "period": s.index, "kpi": "avg_resolution_hours",
                      "value": values, "n": 100})
    ax = skpi.plots.fan_chart(k, f, team="A", kpi="avg_resolution_hours",
                              ax=plt.subplots()[1])
    line = [ln for ln in ax.get_lines() if ln.get_label() == "forecast (median)"]
    assert len(line) == 1
    assert np.allclose(line[0].get_ydata()[1:], f["median"].to_numpy())
