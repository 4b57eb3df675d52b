"""The gap table: every column and every branch of the status rule, by hand."""
import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats

import servicekpi as skpi
from analysis_data import kpi_rows, series, targets

Z = stats.norm.ppf(0.975)


def wilson(p, n, z=Z):
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return centre - half, centre + half


def row(kpis, tgts, team, kpi, **kw):
    g = skpi.gap_table(kpi_rows(kpis), targets(tgts), **kw)
    return g[(g["team"] == team) & (g["kpi"] == kpi)].iloc[0]


FCR_TARGET = ("A", "fcr_rate", 0.70, "2025-12", 0.80, "2026-12")


def test_on_track_higher_is_better():
    k = series("A", "fcr_rate", "2026-01", [0.71, 0.72, 0.73, 0.74, 0.75, 0.76])
    r = row(k, [FCR_TARGET], "A", "fcr_rate")
    assert r["as_of"] == pd.Period("2026-06", "M")
    assert r["glide_now"] == pytest.approx(0.75)
    assert r["gap"] == pytest.approx(0.04) and r["gap_pct"] == pytest.approx(5.0)
    assert r["progress"] == pytest.approx(0.6)
    assert r["attainment"] == pytest.approx(0.95)
    assert r["periods_left"] == 6
    assert r["needed_pace"] == pytest.approx(0.04 / 6)
    assert r["recent_pace"] == pytest.approx(0.01)
    assert r["projected"] == pytest.approx(0.82)
    lo, hi = wilson(0.76, 1000)
    assert (r["ci_low"], r["ci_high"]) == pytest.approx((lo, hi))
    assert r["status"] == "on_track"


def test_off_track_lower_is_better():
    k = series("A", "avg_resolution_hours", "2026-01", [40, 40, 41, 40, 41, 40], n=400,
               rate=False, sd=5.0)
    r = row(k, [("A", "avg_resolution_hours", 40, "2025-12", 28, "2026-12")],
            "A", "avg_resolution_hours")
    assert r["gap"] == pytest.approx(12) and r["gap_pct"] == pytest.approx(100 * 12 / 28)
    assert r["progress"] == pytest.approx(0.0)
    assert r["attainment"] == pytest.approx(28 / 40)
    assert r["glide_now"] == pytest.approx(34)
    half = stats.t.ppf(0.975, 399) * 5 / 20
    assert (r["ci_low"], r["ci_high"]) == pytest.approx((40 - half, 40 + half))
    assert r["needed_pace"] == pytest.approx(2.0)            # 12 h in 6 periods
    assert r["status"] == "off_track"
    assert "more than the noise" in r["status_rule"]


def test_met():
    k = series("B", "csat_pct", "2026-01", [0.65, 0.72])
    r = row(k, [("B", "csat_pct", 0.6, "2025-12", 0.7, "2026-12")], "B", "csat_pct")
    assert r["status"] == "met" and r["gap"] == pytest.approx(-0.02)
    assert r["attainment"] == pytest.approx(0.72 / 0.7)
    assert r["progress"] == pytest.approx(1.2)


def test_behind_within_noise_is_at_risk_not_off_track():
    k = series("A", "fcr_rate", "2026-01", [0.74] * 6, n=50)
    r = row(k, [FCR_TARGET], "A", "fcr_rate")
    lo, hi = wilson(0.74, 50)
    assert lo < 0.75 < hi
    assert r["status"] == "at_risk" and "less than the noise" in r["status_rule"]
    # the same shortfall on 50,000 tickets is real: off track
    r = row(series("A", "fcr_rate", "2026-01", [0.74] * 6, n=50000), [FCR_TARGET],
            "A", "fcr_rate")
    assert r["status"] == "off_track"


def test_behind_but_pace_suffices():
    k = series("A", "fcr_rate", "2026-01", [0.655 + 0.015 * i for i in range(6)], n=100000)
    r = row(k, [FCR_TARGET], "A", "fcr_rate")
    assert r["current"] == pytest.approx(0.73) and r["recent_pace"] == pytest.approx(0.015)
    assert r["status"] == "at_risk" and "recent pace would reach" in r["status_rule"]


def test_insufficient_data():
    r = row(series("A", "fcr_rate", "2026-01", [0.9], n=10), [FCR_TARGET], "A", "fcr_rate")
    assert r["status"] == "insufficient_data" and "n = 10" in r["status_rule"]
    # a team with no data for the KPI at all
    k = series("A", "csat_pct", "2026-01", [0.8])
    r = row(k, [FCR_TARGET], "A", "fcr_rate")
    assert r["status"] == "insufficient_data" and "no value" in r["status_rule"]
    assert np.isnan(r["current"])


def test_deadline_passed():
    k = series("A", "fcr_rate", "2026-01", [0.70] * 6, n=5000)
    r = row(k, [("A", "fcr_rate", 0.70, "2025-12", 0.80, "2026-03")], "A", "fcr_rate")
    assert r["periods_left"] == -3 and np.isnan(r["needed_pace"])
    assert r["status"] == "off_track" and "deadline passed" in r["status_rule"]


def test_as_of_and_stale_value():
    k = series("A", "fcr_rate", "2026-01", [0.71, 0.72, None, None])
    r = row(k + series("B", "fcr_rate", "2026-04", [0.5]), [FCR_TARGET], "A", "fcr_rate")
    assert r["as_of"] == pd.Period("2026-04", "M")            # latest period in the table
    assert r["current_period"] == pd.Period("2026-02", "M")   # A's latest value
    r = row(k, [FCR_TARGET], "A", "fcr_rate", as_of="2026-01")
    assert r["current"] == pytest.approx(0.71)


def test_confidence_interval_kinds():
    assert all(np.isnan(skpi.confidence_interval(3.0, 10)))     # no numerator, no sd
    lo, hi = skpi.confidence_interval(0.5, 100, numerator=50)
    assert (lo, hi) == pytest.approx(wilson(0.5, 100))
