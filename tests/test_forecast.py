"""Forecasts and target outlooks: known answers, edge cases, determinism."""
import warnings

import numpy as np
import pandas as pd
import pytest

import servicekpi as skpi
from analysis_data import kpi_rows, series, targets
from servicekpi.forecast import backtest, forecast, target_outlook

IDX = pd.period_range("2023-01", periods=36, freq="M")


def noisy(level=0.5, sd=0.01, seed=1, n=36, idx=IDX):
    rng = np.random.default_rng(seed)
    return pd.Series(level + rng.normal(0, sd, n), index=idx[:n])


def test_straight_line_is_forecast_as_a_straight_line():
    line = pd.Series(10 + 0.5 * np.arange(36), index=IDX)
    f = forecast(line, 6)
    assert list(f.index) == list(pd.period_range("2026-01", periods=6, freq="M"))
    assert f["mean"].to_numpy() == pytest.approx(28 + 0.5 * np.arange(6), abs=1e-3)
    assert (f["upper_95"] - f["lower_95"]).max() < 0.05
    assert f.attrs["model"] in ("drift", "ets_aadn") and f.attrs["status"] == "ok"
    assert list(f.columns) == ["mean", "lower_80", "upper_80", "lower_95", "upper_95"]


def test_bounded_rate_near_one_stays_in_range():
    rate = pd.Series(np.clip(0.985 + np.random.default_rng(3).normal(0, 0.01, 36), 0, 1),
                     index=IDX)
    f = forecast(rate, 24, bounds=(0, 1))
    assert (f.to_numpy() <= 1).all() and (f.to_numpy() >= 0).all()
    assert (f["lower_95"] <= f["lower_80"]).all() and (f["lower_80"] <= f["mean"]).all()
    assert (f["mean"] <= f["upper_80"]).all() and (f["upper_80"] <= f["upper_95"]).all()
    nps = pd.Series(np.clip(95 + np.random.default_rng(4).normal(0, 4, 36), -100, 100), index=IDX)
    assert forecast(nps, 12, bounds=(-100, 100))["upper_95"].max() <= 100


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


def test_short_gappy_and_tiny_series():
    short = noisy(n=8)
    f = forecast(short, 4)
    assert f.attrs["model"] in ("naive", "drift", "ets_ann")
    gappy = noisy().drop(IDX[[5, 6, 20]])
    f = forecast(gappy, 3)
    assert f.attrs["filled"] == ["2023-06", "2023-07", "2024-09"]
    assert f["mean"].notna().all()
    # four months: too short for any candidate's cross-validation, naive alone
    four = forecast(noisy(n=4), 3)
    assert four.attrs["model"] == "naive" and (four["mean"] == noisy(n=4).iloc[-1]).all()
    tiny = forecast(noisy(n=3), 5)
    assert tiny.attrs["status"] == "not enough history" and len(tiny) == 5
    assert tiny["mean"].isna().all()
    assert forecast(pd.Series([], dtype=float, index=pd.PeriodIndex([], freq="M")), 3) \
        .attrs["status"] == "not enough history"
    o = target_outlook(noisy(n=2), 0.6, "2026-06", "higher")
    assert np.isnan(o["probability"]) and o["status"] == "not enough history"


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
    a, b = forecast(s, 6, bounds=(0, 1)), forecast(s, 6, bounds=(0, 1))
    pd.testing.assert_frame_equal(a, b)
    c = forecast(s, 6, bounds=(0, 1), seed=5)
    assert not np.allclose(a["upper_95"], c["upper_95"])


def test_no_warnings_leak():
    rng = np.random.default_rng(9)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        for i in range(5):
            forecast(pd.Series(np.cumsum(rng.normal(0, 1, 36)) + 50, index=IDX), 12)
        forecast(pd.Series(np.r_[np.zeros(30), np.ones(6)], index=IDX), 6)
    assert not caught, [str(w.message) for w in caught]


def test_calibration_only_widens():
    s = noisy(sd=0.05, seed=12)
    raw = forecast(s, 6, calibrate=False)
    cal = forecast(s, 6)
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


def test_gap_table_forecast_status():
    flat = series("A", "fcr_rate", "2025-01", [0.70 + 0.002 * np.sin(i) for i in range(18)],
                  n=100000)
    t = targets([("A", "fcr_rate", 0.70, "2025-06", 0.80, "2026-12")])
    g = skpi.gap_table(kpi_rows(flat), t, rule="forecast").iloc[0]
    assert g["status"] == "off_track" and g["probability"] < 0.3
    assert g["status_rule"].startswith("forecast (")
    easy = targets([("A", "fcr_rate", 0.68, "2025-06", 0.701, "2026-12")])
    g = skpi.gap_table(kpi_rows(flat), easy, rule="forecast", thresholds=(0.1, 0.2)).iloc[0]
    assert g["status"] in ("met", "on_track")
    with pytest.raises(ValueError):
        skpi.gap_table(kpi_rows(flat), t, rule="tea leaves")
