"""Glide paths, trend slopes and achievability, on hand-worked cases."""
import numpy as np
import pandas as pd
import pytest
from scipy import stats

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
    assert r.loc["A", "verdict"] == "beyond_any_pace"
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
    assert r.loc["A", "verdict"] == "met_at_baseline" and r.loc["A", "met_at_baseline"]


def test_achievability_without_history():
    r = achv(series("A", "fcr_rate", "2025-12", [0.7]),
             [("A", "fcr_rate", 0.7, "2025-12", 0.8, "2026-12")])
    assert r.loc["A", "verdict"] == "no_history"


# ---------------------------------------------------------------- baselines over a window
def test_baseline_interval_pools_a_rate_wilson():
    from statsmodels.stats.proportion import proportion_confint

    from servicekpi.targets import baseline_interval
    k = kpi_rows([("A", "2025-10", "fcr_rate", 0.70, 100, 70),
                  ("A", "2025-11", "fcr_rate", 0.90, 50, 45),
                  ("A", "2025-12", "fcr_rate", 0.60, 50, 30)])
    # 145 of 200 over the three months (not 0.7333, the mean of the months' rates),
    # Wilson on the totals
    mean, lo, hi = baseline_interval(k, "A", "fcr_rate", "2025-12", periods=3)
    assert mean == pytest.approx(0.725)
    assert (lo, hi) == pytest.approx(proportion_confint(145, 200, method="wilson"))
    # the last two: 75 of 100
    assert baseline_interval(k, "A", "fcr_rate", "2025-12", periods=2)[0] == pytest.approx(0.75)
    # one period: the period's own value and interval
    mean, lo, hi = baseline_interval(k, "A", "fcr_rate", "2025-12")
    assert mean == 0.60 and (lo, hi) == pytest.approx(proportion_confint(30, 50, method="wilson"))
    # a 90% interval is narrower
    lo90, hi90 = baseline_interval(k, "A", "fcr_rate", "2025-12", periods=3, level=0.9)[1:]
    assert (lo90, hi90) == pytest.approx(proportion_confint(145, 200, alpha=0.1,
                                                            method="wilson"))


def test_baseline_interval_pools_a_mean_t():
    from scipy import stats

    from servicekpi.targets import baseline_interval
    # November: answers 3 and 5 (mean 4, sd sqrt 2); December: 5 and 5 (mean 5, sd 0).
    # Pooled: 3, 5, 5, 5 -> mean 4.5, sd 1.0, t interval with 3 degrees of freedom
    k = kpi_rows([("A", "2025-11", "csat_score", 4.0, 2, np.nan, 2 ** 0.5),
                  ("A", "2025-12", "csat_score", 5.0, 2, np.nan, 0.0)])
    mean, lo, hi = baseline_interval(k, "A", "csat_score", "2025-12", periods=2)
    half = stats.t.ppf(0.975, 3) * 1.0 / 2
    assert mean == pytest.approx(4.5) and (lo, hi) == pytest.approx((4.5 - half, 4.5 + half))


def test_baseline_interval_without_ci_gaps_and_open_tickets():
    from servicekpi.targets import baseline_interval
    k = kpi_rows([("A", "2025-10", "median_first_response_hours", 2.0, 40),
                  ("A", "2025-11", "median_first_response_hours", np.nan, 0),
                  ("A", "2025-12", "median_first_response_hours", 4.0, 40)])
    # a median does not pool: the mean of the medians, no interval; November has none
    mean, lo, hi = baseline_interval(k, "A", "median_first_response_hours", "2025-12",
                                     periods=3)
    assert mean == 3.0 and np.isnan(lo) and np.isnan(hi)
    # a duration with too many tickets open is left out of the baseline
    k["open_share"] = [0.0, np.nan, 0.2]
    assert baseline_interval(k, "A", "median_first_response_hours", "2025-12",
                             periods=3)[0] == 2.0
    assert np.isnan(baseline_interval(k, "A", "fcr_rate", "2025-12")[0])
    with pytest.raises(ValueError):
        baseline_interval(k, "A", "fcr_rate", "2025-12", periods=0)


def test_target_within_the_baselines_noise():
    """The issue's case: NPS from 36 answers a month (sd 85 points), target +10."""
    from scipy import stats
    hist = series("A", "nps", "2025-01", [20.0] * 12, n=36, rate=False, sd=85.0)
    # one month: half-width t(35) x 85 / 6 = 28.8 points > 10
    r = achv(hist, [("A", "nps", 20, "2025-12", 30, "2026-12")])
    assert r.loc["A", "noise"] == pytest.approx(stats.t.ppf(0.975, 35) * 85 / 6)
    assert r.loc["A", "noise_basis"] == "ci" and r.loc["A", "baseline_periods"] == 1
    assert r.loc["A", "verdict"] == "within_noise" and r.loc["A", "within_noise"]
    # three months pooled: sd 85 x sqrt(105 / 107), n 108: half-width 16.1, still > 10
    t = targets([("A", "nps", 20, "2025-12", 30, "2026-12")]).assign(baseline_periods=3)
    r = skpi.achievability(kpi_rows(hist), t).set_index("team")
    assert r.loc["A", "noise"] == pytest.approx(
        stats.t.ppf(0.975, 107) * 85 * (105 / 107) ** 0.5 / 108 ** 0.5)
    assert r.loc["A", "verdict"] == "within_noise"
    # +30 points is more than the noise: judged by pace (flat history: beyond any pace)
    t["target"] = 50
    r = skpi.achievability(kpi_rows(hist), t).set_index("team")
    assert r.loc["A", "verdict"] == "beyond_any_pace" and not r.loc["A", "within_noise"]


def test_period_noise_by_hand():
    from servicekpi.targets import period_noise
    # changes 1, 2, 3, 4: median 2.5, absolute deviations 1.5, 0.5, 0.5, 1.5 -> MAD 1,
    # a normal sd of 1 / 0.6745 for a change, of that / sqrt(2) for one period's value
    s = pd.Series([1.0, 2, 4, 7, 11])
    assert period_noise(s) == pytest.approx(1 / stats.norm.ppf(0.75) / 2 ** 0.5)
    assert period_noise(s) == pytest.approx(1.0484, abs=1e-4)
    # one outage month moves it little (changes 1, 2, 3, 4, 49, -44, 5: median 3, MAD 2);
    # the plain sd of the changes jumps
    spiky = pd.Series([1.0, 2, 4, 7, 11, 60, 16, 21])
    assert period_noise(spiky) == pytest.approx(2 / stats.norm.ppf(0.75) / 2 ** 0.5)
    assert period_noise(spiky) < 3 < spiky.diff().std() / 2 ** 0.5
    # a steady trend is not noise; fewer than two changes: no estimate
    assert period_noise(pd.Series(np.arange(10.0) * 3)) == 0
    assert np.isnan(period_noise(pd.Series([1.0, 2])))
    # only the last `periods` values count, and only changes between consecutive periods
    assert period_noise(pd.concat([pd.Series([50.0, -50, 50]), s]), periods=5) == \
        period_noise(s)
    gap = pd.Series([1.0, 2, 4, 100, 103, 107],
                    index=pd.PeriodIndex(["2025-01", "2025-02", "2025-03", "2025-06",
                                          "2025-07", "2025-08"], freq="M"))
    assert period_noise(gap) == period_noise(pd.Series([1.0, 2, 4, 7, 11]))  # 1, 2, 3, 4


def test_within_noise_from_the_period_to_period_sd():
    """A median has no interval: the noise is the 95% range of one month's value,
    1.96 period-to-period sds."""
    values = [2.0, 2.4, 1.8, 2.2, 2.0, 2.2]
    hist = series("A", "median_first_response_hours", "2025-07", values, rate=False)
    # changes .4, -.6, .4, -.2, .2: median .2, absolute deviations .2, .8, .2, .4, 0 -> MAD .2
    sd = 0.2 / stats.norm.ppf(0.75) / 2 ** 0.5                # 0.2097
    noise = stats.norm.ppf(0.975) * sd                         # 0.4110
    r = achv(hist, [("A", "median_first_response_hours", 2.2, "2025-12", 2.1, "2026-06")])
    assert r.loc["A", "period_sd"] == pytest.approx(sd)
    assert np.isnan(r.loc["A", "baseline_half_width"])
    assert r.loc["A", "noise"] == pytest.approx(noise) and r.loc["A", "noise_basis"] == "period"
    assert r.loc["A", "verdict"] == "within_noise"
    # 0.35 h: more than one sd, still inside one month's 95% range
    r = achv(hist, [("A", "median_first_response_hours", 2.2, "2025-12", 1.85, "2026-06")])
    assert r.loc["A", "verdict"] == "within_noise"
    r = achv(hist, [("A", "median_first_response_hours", 2.2, "2025-12", 1.5, "2026-06")])
    assert r.loc["A", "verdict"] != "within_noise"
    # at 80% the range is 1.28 sds: 0.35 h is beyond it
    r = skpi.achievability(kpi_rows(hist), targets([("A", "median_first_response_hours", 2.2,
                                                     "2025-12", 1.85, "2026-06")]), level=0.8)
    assert r["noise"].iloc[0] == pytest.approx(stats.norm.ppf(0.9) * sd)
    assert r["verdict"].iloc[0] != "within_noise" and r.attrs["level"] == 0.8


def test_noise_is_the_larger_of_the_baseline_ci_and_one_months_range():
    """The review's case: a precise baseline (10,000 tickets a month, CI half-width
    0.0087) but months that scatter more than that; both half-widths at 95%."""
    from statsmodels.stats.proportion import proportion_confint
    values = [0.70, 0.72, 0.69, 0.71, 0.70, 0.73]
    hist = series("A", "fcr_rate", "2025-07", values, n=10000)
    lo, hi = proportion_confint(7300, 10000, method="wilson")
    # changes .02, -.03, .02, -.01, .03: median .02, deviations 0, .05, 0, .03, .01 -> MAD .01
    sd = 0.01 / stats.norm.ppf(0.75) / 2 ** 0.5                # 0.01048
    tgt = [("A", "fcr_rate", 0.73, "2025-12", 0.745, "2026-06")]
    r = achv(hist, tgt)
    assert r.loc["A", "baseline_half_width"] == pytest.approx((hi - lo) / 2, rel=1e-6)
    assert r.loc["A", "period_sd"] == pytest.approx(sd)
    assert r.loc["A", "noise"] == pytest.approx(stats.norm.ppf(0.975) * sd)    # 0.0205
    assert r.loc["A", "noise_basis"] == "period"
    # +1.5 points: beyond the baseline's CI (0.0087), inside one month's range: within noise
    assert (hi - lo) / 2 < 0.015 and r.loc["A", "verdict"] == "within_noise"
    r = achv(hist, [("A", "fcr_rate", 0.73, "2025-12", 0.76, "2026-06")])
    assert r.loc["A", "verdict"] != "within_noise"
    # 100 tickets a month: the baseline's CI (0.087) is the larger
    r = achv(series("A", "fcr_rate", "2025-07", values, n=100), tgt)
    assert r.loc["A", "noise_basis"] == "ci"
    assert r.loc["A", "noise"] == pytest.approx(r.loc["A", "baseline_half_width"])


# ---------------------------------------------------------------- peers' paces, on arrays
def _reference_paces(kpis, team, kpi, baseline_period, pace_periods, sign):
    """Peer paces as achievability computed them before it worked on arrays: a series
    per peer, cut at the baseline, its last pace_periods values, trend_slope."""
    from servicekpi.targets import _as_series
    rows = kpis[kpis["kpi"] == kpi]
    out = []
    for other, g in rows.groupby("team", sort=False):
        if other == team:
            continue
        s = _as_series(g)
        slope = trend_slope(s[s.index <= pd.Period(baseline_period)].tail(pace_periods))[0]
        if np.isfinite(slope):
            out.append(sign * slope)
    return np.array(out)


def test_peer_paces_are_those_of_each_peers_own_series():
    rng = np.random.default_rng(7)
    hist = series("A", "fcr_rate", "2025-01", [0.60 + 0.005 * i for i in range(12)])
    # B: a value missing inside the pace window; C: a gap (periods absent) and rows after
    # the baseline; D: two values only; E: every value missing; F: rows out of order
    b = [0.5 + 0.02 * i for i in range(12)]
    b[9] = None
    hist += series("B", "fcr_rate", "2025-01", b)
    hist += [r for r in series("C", "fcr_rate", "2024-10", list(rng.uniform(0.5, 0.8, 20)))
             if r[1] not in ("2025-07", "2025-08")]
    hist += series("D", "fcr_rate", "2025-11", [0.7, 0.72])
    hist += [("E", p, "fcr_rate", np.nan, 1000, np.nan, np.nan)
             for p in ("2025-09", "2025-10", "2025-11", "2025-12")]
    hist += series("F", "fcr_rate", "2025-01", list(rng.uniform(0.6, 0.7, 12)))[::-1]
    kpis = kpi_rows(hist)
    r = skpi.achievability(kpis, targets([("A", "fcr_rate", 0.655, "2025-12", 0.775,
                                           "2026-12")]), pace_periods=6).iloc[0]
    paces = _reference_paces(kpis, "A", "fcr_rate", "2025-12", 6, 1)
    assert len(paces) == 3                       # B, C and F; D too short, E no value
    assert r["peer_median_pace"] == np.median(paces)
    assert r["peer_best_pace"] == paces.max()
    assert r["required_pace_percentile"] == 100 * (paces < r["required_pace"]).mean()


def test_best_pace_skips_missing_values_and_short_series():
    from servicekpi.targets import best_pace
    idx = pd.period_range("2025-01", periods=8, freq="M")
    s = pd.Series([1.0, 2.0, np.nan, 4.0, 4.5, 5.0, 9.0, 9.5], index=idx)
    windows = [trend_slope(s.iloc[e - 4:e]) for e in range(4, 9)]
    assert best_pace(s, 4, 1) == max(w[0] for w in windows if w[2] >= 3)
    assert best_pace(s, 4, -1) == max(-w[0] for w in windows if w[2] >= 3)
    nullable = s.astype("Float64")                # pandas' own missing marker
    assert best_pace(nullable, 4, 1) == best_pace(s, 4, 1)
    assert np.isnan(best_pace(s.head(3), 4, 1))
    assert np.isnan(best_pace(pd.Series([1.0, 2.0]), 4, 1))   # too short: no index needed
    assert np.isnan(trend_slope(pd.Series([1.0, 2.0]))[0])
