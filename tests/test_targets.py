"""Glide paths, trend slopes and achievability, on hand-worked cases."""
import numpy as np
import pandas as pd
import pytest

import servicekpi as skpi
from analysis_data import kpi_rows, series, targets
from servicekpi.targets import trend_slope


def test_straight_glide_path():
    t = targets([("A", "fcr_rate", 0.70, "2025-12", 0.82, "2026-12")]).iloc[0]
    g = skpi.glide_path(t)
    assert len(g) == 13 and g.index[0] == pd.Period("2025-12", "M")
    assert g[pd.Period("2026-06", "M")] == pytest.approx(0.76)
    assert g.iloc[-1] == pytest.approx(0.82)


def test_glide_path_through_milestones_and_outside():
    t = targets([("A", "avg_resolution_hours", 40, "2025-12", 28, "2026-12",
                  {"2026-03": 30})]).iloc[0]
    g = skpi.glide_path(t, ["2025-06", "2026-02", "2026-03", "2026-09", "2027-06"])
    # before baseline: baseline; Feb: 2/3 of the way to the March milestone; Sep: 6/9 of
    # the way from 30 (Mar) to 28 (Dec); after the deadline: the target
    assert g.tolist() == pytest.approx([40, 40 - 10 * 2 / 3, 30, 30 - 2 * 6 / 9, 28])


def test_trend_slope_with_gaps():
    s = pd.Series([1.0, 3.0, 7.0], index=pd.PeriodIndex(["2026-01", "2026-02", "2026-04"],
                                                       freq="M"))
    slope, se, n = trend_slope(s)
    assert slope == pytest.approx(2.0) and n == 3        # the missing March is a gap
    assert np.isnan(trend_slope(s.head(2))[0])


def achv(rows, tgt):
    return skpi.achievability(kpi_rows(rows), targets(tgt)).set_index("team")


def test_achievability_verdicts():
    hist = (series("A", "fcr_rate", "2025-01", [0.60 + 0.005 * i for i in range(12)])
            + series("B", "fcr_rate", "2025-01", [0.50 + 0.02 * i for i in range(12)]))
    # A demands 0.01/period: twice A's best pace, but B has managed 0.02 -> stretch
    r = achv(hist, [("A", "fcr_rate", 0.655, "2025-12", 0.775, "2026-12")])
    assert r.loc["A", "required_pace"] == pytest.approx(0.01)
    assert r.loc["A", "own_pace"] == pytest.approx(0.005)
    assert r.loc["A", "own_best_pace"] == pytest.approx(0.005)
    assert r.loc["A", "peer_best_pace"] == pytest.approx(0.02)
    assert r.loc["A", "verdict"] == "stretch" and r.loc["A", "beyond_own_best"]
    # 0.03/period: beyond anyone
    r = achv(hist, [("A", "fcr_rate", 0.655, "2025-12", 1.0, "2026-11")])
    assert r.loc["A", "verdict"] == "beyond any pace seen"
    # 0.004/period: within A's own pace
    r = achv(hist, [("A", "fcr_rate", 0.655, "2025-12", 0.703, "2026-12")])
    assert r.loc["A", "verdict"] == "achievable"
    assert r.loc["A", "required_pace_percentile"] == 0.0


def test_achievability_lower_is_better_and_met_at_baseline():
    hist = series("A", "avg_resolution_hours", "2025-01", [50 - 1.0 * i for i in range(12)],
                  rate=False)
    r = achv(hist, [("A", "avg_resolution_hours", 39, "2025-12", 33, "2026-12")])
    assert r.loc["A", "required_pace"] == pytest.approx(0.5)   # 6 h less over 12 periods
    assert r.loc["A", "own_pace"] == pytest.approx(1.0)        # falling 1 h a month: better
    assert r.loc["A", "verdict"] == "achievable"
    r = achv(hist, [("A", "avg_resolution_hours", 39, "2025-12", 45, "2026-12")])
    assert r.loc["A", "verdict"] == "met at baseline" and r.loc["A", "met_at_baseline"]


def test_achievability_without_history():
    r = achv(series("A", "fcr_rate", "2025-12", [0.7]),
             [("A", "fcr_rate", 0.7, "2025-12", 0.8, "2026-12")])
    assert r.loc["A", "verdict"] == "no history"
