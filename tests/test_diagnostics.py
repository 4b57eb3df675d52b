"""Control charts, before/after tests, Pareto of causes and mix/rate
decomposition, on small cases worked out by hand."""
import numpy as np
import pandas as pd
import pytest
from scipy import stats

import servicekpi as skpi
from analysis_data import kpi_rows
from servicekpi.diagnostics import (D2, compare_periods, control_chart, decompose_change,
                                    pareto, seasonal_context, seasonality, special_causes)


def values(team, kpi, xs, start="2024-01", n=100, numerators=None, sd=np.nan):
    p0 = pd.Period(start, "M")
    return [(team, str(p0 + i), kpi, x, n,
             numerators[i] if numerators is not None else np.nan, sd) for i, x in enumerate(xs)]


def chart_frame(xs, start="2024-01", n=100.0, numerators=None, kpi="x"):
    """A one-team KPI table of ``xs`` (numerators for a p-chart)."""
    per = pd.period_range(start, periods=len(xs), freq="M")
    return pd.DataFrame({"team": "A", "period": per, "kpi": kpi, "value": np.asarray(xs, float),
                         "n": n, "numerator": np.nan if numerators is None else numerators,
                         "sd": np.nan})


def test_d2_is_exact():
    # E|X1 - X2| for independent N(0, 1): the mean of a half-normal with scale sqrt(2)
    assert D2 == pytest.approx(2 / np.sqrt(np.pi), rel=1e-12)
    # the tabulated SPC constant d2 for subgroups of 2
    assert D2 == pytest.approx(1.128, abs=5e-4)
    # and by numerical integration: E|X1 - X2| = integral of |x| times the N(0, 2) density
    from scipy import integrate
    value, _ = integrate.quad(lambda x: abs(x) * stats.norm.pdf(x, scale=np.sqrt(2)),
                              -np.inf, np.inf)
    assert D2 == pytest.approx(value, rel=1e-9)


def test_xmr_limits_come_from_the_phase_one_baseline():
    xs = [10, 11, 10, 11, 10, 11, 10, 11, 10, 30]
    cc = control_chart(kpi_rows(values("A", "aht_minutes", xs)), "A", "aht_minutes",
                       baseline=9)
    assert cc.attrs["kind"] == "xmr" and not cc.attrs["seasonal"]
    centre, sigma = 94 / 9, 1 / (2 / np.sqrt(np.pi))      # every moving range is 1
    assert cc["centre"].iloc[0] == pytest.approx(centre)
    assert cc["sigma"].iloc[0] == pytest.approx(sigma)
    assert cc["baseline"].tolist() == [True] * 9 + [False]
    assert cc["signal"].tolist() == [False] * 9 + [True]
    assert cc["rules"].iloc[-1] == "beyond_3_sigma"
    # the points after the baseline do not move the limits
    other = control_chart(kpi_rows(values("A", "aht_minutes", xs[:9] + [-50])), "A",
                          "aht_minutes", baseline=9)
    assert other["ucl"].iloc[0] == pytest.approx(cc["ucl"].iloc[0])
    # the limits are wider than 3 sigma by the uncertainty of a 9-point baseline: a new
    # in-control point falls outside them 0.27% of the time (simulated independently here)
    ratio = (cc["ucl"].iloc[0] - centre) / sigma
    assert ratio > 3
    r = np.random.default_rng(3)
    base, new = r.standard_normal((400_000, 9)), r.standard_normal(400_000)
    s_hat = np.abs(np.diff(base, axis=1)).mean(axis=1) / (2 / np.sqrt(np.pi))
    outside = np.mean(np.abs(new - base.mean(axis=1)) > ratio * s_hat)
    assert outside == pytest.approx(2 * stats.norm.sf(3), abs=0.0004)
    # z is a normal score: 3 exactly at the limit, 0 at the centre
    at = control_chart(kpi_rows(values("A", "aht_minutes", xs[:9] + [cc["ucl"].iloc[0]])), "A",
                       "aht_minutes", baseline=9)
    assert at["z"].iloc[-1] == pytest.approx(3, abs=1e-6)


def test_p_chart_limits_follow_n():
    nums = [10] * 9 + [30]
    k = kpi_rows(values("A", "fcr_rate", [v / 100 for v in nums], numerators=nums))
    cc = control_chart(k, "A", "fcr_rate", baseline=9)
    assert cc.attrs["kind"] == "p"
    # p = 90/900; a point's distance from an estimated p has variance p(1-p)(1/n + 1/N)
    se = np.sqrt(0.1 * 0.9 * (1 / 100 + 1 / 900))
    assert cc["sigma"].iloc[0] == pytest.approx(0.03)
    assert cc["ucl"].iloc[0] == pytest.approx(0.1 + 3 * se)
    assert cc["lcl"].iloc[0] == pytest.approx(0.1 - 3 * se)
    assert cc["z"].iloc[-1] == pytest.approx(0.2 / se)
    assert cc["signal"].tolist() == [False] * 9 + [True]
    # a sample 16 times smaller has wider limits, each from its own n
    k2 = kpi_rows([("A", "2024-01", "fcr_rate", 0.1, 400, 40, np.nan),
                   ("A", "2024-02", "fcr_rate", 0.1, 25, 2.5, np.nan)])
    cc2 = control_chart(k2, "A", "fcr_rate")
    half = cc2["ucl"] - cc2["centre"]
    assert half.iloc[0] == pytest.approx(3 * 0.3 * np.sqrt(1 / 400 + 1 / 425))
    assert half.iloc[1] == pytest.approx(3 * 0.3 * np.sqrt(1 / 25 + 1 / 425))


def test_run_rules_by_hand():
    z = np.array([0.5] * 8 + [-2.5, 0, -2.4])
    x = np.r_[np.arange(6), [0] * 5]                       # six rising, then flat
    rules = special_causes(x, z)
    assert rules[7] == ["8_on_one_side"] and rules[6] == []
    assert rules[5] == ["6_trending"]
    assert rules[10] == ["2_of_3_beyond_2_sigma"] and rules[9] == []
    assert special_causes(np.zeros(2), np.array([3.01, -3.0])) == [["beyond_3_sigma"], []]


def test_runs_and_trends_on_a_chart():
    base = [11, 9] * 5                                   # centre 10; ends below
    eight = base + [10.5] * 8
    cc = control_chart(kpi_rows(values("A", "aht_minutes", eight)), "A", "aht_minutes",
                       baseline=10, detect_shifts=False)
    assert cc["signal"].tolist() == [False] * 17 + [True]
    assert cc["rules"].iloc[-1] == "8_on_one_side"
    rising = base + [10.1, 10.2, 10.3, 10.4, 10.5, 10.6]
    cc = control_chart(kpi_rows(values("A", "aht_minutes", rising)), "A", "aht_minutes",
                       baseline=10, detect_shifts=False)
    # 9 (the last baseline point), 10.1, ..., 10.5 is the first run of six rising
    assert cc["signal"].tolist() == [False] * 14 + [True, True]
    assert set(cc["rules"].iloc[14:]) == {"6_trending"}


def test_a_known_shift_starts_a_stage_with_its_own_limits():
    xs = [10, 11] * 6 + [20, 21] * 5                      # process change in 2025-01
    cc = control_chart(chart_frame(xs), "A", "x", shifts=["2025-01"])
    assert cc["stage"].tolist() == [1] * 12 + [2] * 10
    assert cc["centre"].iloc[0] == pytest.approx(10.5) and cc["centre"].iloc[-1] == 20.5
    assert cc["baseline"].all() and not cc["signal"].any()
    assert [s["source"] for s in cc.attrs["stages"]] == ["start", "known"]
    # a stage shorter than 8 periods is judged against the previous stage's limits
    short = control_chart(chart_frame(xs[:17]), "A", "x", shifts=["2025-01"])
    assert short["stage"].iloc[-1] == 2 and not short.attrs["stages"][1]["own_limits"]
    assert short["centre"].iloc[-1] == pytest.approx(10.5)
    assert short["signal"].iloc[12:].all()
    # shifts outside the series change nothing
    same = control_chart(chart_frame(xs), "A", "x", shifts=["2020-01", "2030-01"],
                         detect_shifts=False)
    assert (same["stage"] == 1).all()


def test_a_detected_step_change_starts_a_new_stage():
    r = np.random.default_rng(5)
    xs = 50 + r.standard_normal(36) + np.where(np.arange(36) >= 18, 5.0, 0.0)
    cc = control_chart(chart_frame(xs), "A", "x")
    assert cc["stage"].tolist() == [1] * 18 + [2] * 18
    assert cc["rules"].iloc[18] == "sustained_shift"
    assert cc.attrs["stages"][1] == {"stage": 2, "start": "2025-07", "source": "detected",
                                     "baseline": ("2025-07", "2026-06"), "excluded": [],
                                     "own_limits": True}
    assert cc["centre"].iloc[-1] == pytest.approx(xs[18:30].mean())
    assert cc["signal"].sum() <= 2
    naive = control_chart(chart_frame(xs), "A", "x", detect_shifts=False)
    assert naive["signal"].iloc[18:].mean() > 0.9      # every later point a "special cause"


def test_a_run_that_fades_is_not_a_shift():
    xs = [11, 9] * 6 + [10.8] * 8 + [9, 11] * 8
    # (seasonal=False: alternating values are a 2-month "season" the test would find)
    cc = control_chart(chart_frame(xs), "A", "x", seasonal=False)
    assert (cc["stage"] == 1).all()
    assert cc["rules"].iloc[19] == "8_on_one_side" and cc["signal"].sum() == 1


SEASON = 3 * np.sin(2 * np.pi * np.arange(1, 13) / 12)    # by month, January first


def seasonal_values(months=36, noise=0.5, seed=4, start="2023-11"):
    per = pd.period_range(start, periods=months, freq="M")
    r = np.random.default_rng(seed)
    return 10 + SEASON[per.month - 1] + noise * r.standard_normal(months)


def test_seasonality_test():
    exact = chart_frame(7 + SEASON[pd.period_range("2023-11", periods=36, freq="M").month - 1],
                        start="2023-11")
    s = seasonality(exact, "A", "x")
    assert s.seasonal and s.p_value == 0 and s.season == 12
    assert s.effects == pytest.approx(SEASON - SEASON.mean(), abs=1e-9)   # January first
    assert s.effect(pd.Period("2025-03", "M")) == pytest.approx(SEASON[2] - SEASON.mean())
    assert seasonality(chart_frame(seasonal_values()), "A", "x").seasonal
    r = np.random.default_rng(1)
    assert not seasonality(chart_frame(r.standard_normal(36)), "A", "x").seasonal
    # a steady trend is not a season (the test's model has a trend)
    trend = chart_frame(np.arange(36) * 0.5 + r.standard_normal(36))
    assert not seasonality(trend, "A", "x").seasonal
    short = seasonality(chart_frame(seasonal_values(20)), "A", "x")
    assert not short.seasonal and np.isnan(short.p_value) and short.reason == "too_few_seasons"
    assert short.reason_text() == "fewer than 2 full seasons"
    assert short.reason_text("zh") == "不足2个完整的季节周期"
    # a shock (four months far out) neither hides the season nor stays in its fit
    shocked = seasonal_values(noise=1.0)
    shocked[13:17] += [8, 8, 20, 6]                             # 2024-12 .. 2025-03
    plain = chart_frame(shocked, start="2023-11")
    s = seasonality(plain, "A", "x")
    assert s.seasonal and s.left_out == (13, 14, 15, 16)
    import statsmodels.formula.api as smf                     # with the shock: p = 0.07
    df = pd.DataFrame({"y": shocked, "t": np.arange(36), "m": plain["period"].dt.month})
    assert smf.ols("y ~ t + C(m)", df).fit().compare_f_test(smf.ols("y ~ t", df).fit())[1] > 0.05
    cc = control_chart(plain, "A", "x")
    assert cc.attrs["seasonal_left_out"] == ["2024-12", "2025-01", "2025-02", "2025-03"]
    assert cc["rules"].iloc[13:17].str.contains("beyond_3_sigma").all()
    # a known shift is a step, not a season
    step = chart_frame(np.where(np.arange(36) >= 18, 5.0, 0.0) + 0.1 * r.standard_normal(36))
    assert not seasonality(step, "A", "x", shifts=["2025-07"]).seasonal


def test_seasonal_chart_sets_limits_around_the_seasonal_pattern():
    xs = seasonal_values()
    cc = control_chart(chart_frame(xs, start="2023-11"), "A", "x")
    assert cc.attrs["seasonal"] and cc.attrs["seasonal_p"] < 1e-6
    per = cc["period"].dt.month.to_numpy() - 1
    assert (cc["expected"] == cc["centre"]).all()
    # the effects are those of value ~ trend + month (sum-to-zero) by least squares, the
    # level the mean of the values less their month's effect
    import statsmodels.formula.api as smf
    df = pd.DataFrame({"y": xs, "t": np.arange(36), "month": per})
    fit = smf.ols("y ~ t + C(month, Sum)", df).fit()
    month = fit.params.filter(like="C(month").to_numpy()
    eff = np.r_[month, -month.sum()][per]
    assert cc["expected"].to_numpy() == pytest.approx(np.mean(xs - eff) + eff)
    assert np.abs(cc["expected"] - (10 + SEASON[per])).max() < 0.8     # near the truth
    assert (cc["level"] == cc["level"].iloc[0]).all()
    assert cc["signal"].sum() <= 1
    naive = control_chart(chart_frame(xs, start="2023-11"), "A", "x", seasonal=False)
    assert naive["signal"].sum() >= 5            # the seasons read as special causes
    with pytest.raises(skpi.DataError, match="2 full seasons"):
        control_chart(chart_frame(xs[:20]), "A", "x", seasonal=True)


# ------------------------------------------------------------------ false alarms
def nominal_rates(length, series=20_000):
    """Per-point rates of the rules with the centre and sigma known (z = x)."""
    r = np.random.default_rng(11)
    hits = [special_causes(x, x) for x in r.standard_normal((series, length))]
    flat = [h for s in hits for h in s]
    return {"beyond_3_sigma": np.mean([("beyond_3_sigma" in h) for h in flat]),
            "any": np.mean([bool(h) for h in flat])}


CLASSIC = ("beyond_3_sigma", "8_on_one_side", "6_trending", "2_of_3_beyond_2_sigma")


def alarm_rates(charts):
    """(beyond-limits rate after the baseline, classic rules' rate over all points,
    share of series with a detected stage, share declared seasonal)."""
    after = pd.concat([c[~c["baseline"]] for c in charts])
    every = pd.concat(charts)
    classic = every["rules"].map(lambda r: any(x in CLASSIC for x in r.split(", ")))
    return (after["rules"].str.contains("beyond_3_sigma").mean(), classic.mean(),
            np.mean([c["stage"].max() > 1 for c in charts]),
            np.mean([c.attrs["seasonal"] for c in charts]))


@pytest.fixture(scope="module")
def nominal36():
    return nominal_rates(36)


@pytest.mark.parametrize("kind", ["xmr", "p"])
def test_false_alarm_rate_in_control(kind, nominal36):
    # 600 in-control series of 36 months, default settings (12-month phase I,
    # shift detection, seasonality test).  Nominal, with the centre and sigma
    # known: 0.27% of points beyond 3 sigma, 1.3% breaking any of the 4 rules.
    # Here: 0.27% (XmR) and 0.32% (p) beyond the limits after the baseline; 1.9% and
    # 1.7% for the four rules.
    r = np.random.default_rng(21)
    n = r.integers(300, 700, size=36).astype(float)
    charts = []
    for _ in range(600):
        if kind == "xmr":
            charts.append(control_chart(chart_frame(50 + 4 * r.standard_normal(36)), "A", "x"))
        else:
            num = r.binomial(n.astype(int), 0.3).astype(float)
            charts.append(control_chart(chart_frame(num / n, n=n, numerators=num), "A", "x"))
    kinds = pd.Series([c.attrs["kind"] for c in charts]).value_counts(normalize=True)
    if kind == "xmr":
        assert kinds.to_dict() == {"xmr": 1.0}
    else:        # binomial data: a Laney chart only as often as its 5% test allows
        assert set(kinds.index) <= {"p", "laney"} and kinds.get("laney", 0) < 0.08
    beyond, classic, staged, seasonal = alarm_rates(charts)
    assert nominal36["beyond_3_sigma"] == pytest.approx(stats.norm.sf(3) * 2, rel=0.1)
    # beyond the limits after the baseline: near the nominal 0.27% (about 40 expected
    # among the 14,400 points, so +-0.12 points is about 3 standard errors)
    assert beyond == pytest.approx(2 * stats.norm.sf(3), abs=0.0012)
    # all four rules: near the nominal 1.3%; the runs keep some excess (8 on one side
    # most) because the centre line itself is estimated from 12 points
    assert 0.8 * nominal36["any"] < classic < 1.6 * nominal36["any"]
    assert staged < 0.02 and seasonal < 0.03          # false stages and false seasons rare


def test_overdispersed_proportions_get_a_laney_chart(nominal36):
    # month-to-month variation beyond binomial sampling (the rate itself wanders around
    # 30% with sd 1.5 points, while n = 2,000 gives a sampling sd of 1 point): a p-chart
    # flags a good part of in-control points; the Laney p' chart widens the limits by
    # the observed ratio and keeps near-nominal false alarms
    r = np.random.default_rng(31)
    n = np.full(36, 2000.0)
    laney, plain = [], []
    for _ in range(300):
        num = r.binomial(2000, 0.3 + 0.015 * r.standard_normal(36)).astype(float)
        f = chart_frame(num / n, n=n, numerators=num)
        laney.append(control_chart(f, "A", "x"))
        plain.append(control_chart(f, "A", "x", kind="p"))
    assert np.mean([c.attrs["kind"] == "laney" for c in laney]) > 0.9
    chosen = [c for c in laney if c.attrs["kind"] == "laney"]
    # 97% get a Laney chart: 0.37% and 2.2% (300 series: about +-25% sampling error)
    beyond, classic, _, _ = alarm_rates(chosen)
    assert beyond == pytest.approx(2 * stats.norm.sf(3), abs=0.002)
    assert classic < 1.8 * nominal36["any"]
    p_beyond, p_classic, _, _ = alarm_rates(plain)               # 13% and 15%
    assert p_beyond > 10 * 2 * stats.norm.sf(3) and p_classic > 5 * nominal36["any"]
    # Laney's sigma: the moving-range sigma of the standardised proportions, by hand
    c = chosen[0]
    base = c[c["baseline"]].index.to_numpy()
    p = (c["value"] * c["n"])[base].sum() / c["n"][base].sum()
    zs = (c["value"][base] - p) / np.sqrt(p * (1 - p) / c["n"][base])
    sigma_z = np.abs(np.diff(zs))[np.diff(base) == 1].mean() / D2
    assert c["sigma"].iloc[0] == pytest.approx(sigma_z * np.sqrt(p * (1 - p) / 2000))


def test_false_alarm_rate_of_a_seasonal_in_control_series(nominal36):
    r = np.random.default_rng(8)
    seasonal, naive = [], []
    for _ in range(200):
        f = chart_frame(seasonal_values(seed=int(r.integers(1 << 30)), noise=1.0))
        seasonal.append(control_chart(f, "A", "x"))
        naive.append(control_chart(f, "A", "x", seasonal=False))
    # 200 series of 36 months: a seasonal pattern (amplitude 3 sigma) plus noise.  The
    # seasonal chart: 0.31% beyond the limits after the baseline and 1.4% for all four
    # rules (nominal 0.27% and 1.3%); the naive one 1.1% and 15%
    beyond, classic, staged, found = alarm_rates(seasonal)
    assert found > 0.95 and staged < 0.03
    assert beyond == pytest.approx(2 * stats.norm.sf(3), abs=0.0015)
    assert 0.7 * nominal36["any"] < classic < 1.45 * nominal36["any"]
    n_beyond, n_classic, _, _ = alarm_rates(naive)
    assert n_beyond > 3 * 2 * stats.norm.sf(3) and n_classic > 5 * nominal36["any"]


def test_compare_proportions():
    k = kpi_rows([("A", "2024-01", "fcr_rate", 0.70, 10000, 7000, np.nan),
                  ("A", "2024-02", "fcr_rate", 0.731, 10000, 7310, np.nan),
                  ("A", "2024-03", "fcr_rate", 0.731, 1000, 731, np.nan),
                  ("A", "2023-12", "fcr_rate", 0.70, 1000, 700, np.nan)])
    r = compare_periods(k, "A", "fcr_rate", "2024-01", "2024-02")
    p = 14310 / 20000
    z = 0.031 / np.sqrt(p * (1 - p) * 2 / 10000)
    assert r.p_value == pytest.approx(2 * stats.norm.sf(z), rel=1e-6)
    assert r.significant and r.ci_low < 0.031 < r.ci_high
    assert r.summary().startswith("First-contact resolution rose 3.1 points (better) (95% CI")
    assert "significant" in r.summary() and r.test == "two_proportion_z"
    assert r.summary().endswith("significant (two-proportion z-test, p < 0.001)")
    assert r.summary("zh").startswith("首次解决率上升了3.1个百分点（改善）（95%置信区间：")
    assert r.summary("zh").endswith("变化显著（两比例z检验，p < 0.001）")
    from servicekpi.diagnostics import fmt_p       # never "p = 0.000": p is never zero
    assert (fmt_p(0.0004), fmt_p(0.0123), fmt_p(0.004, 2)) == (
        "p < 0.001", "p = 0.012", "p < 0.01")
    small = compare_periods(k, "A", "fcr_rate", "2023-12", "2024-03")
    assert not small.significant and "within noise" in small.summary()
    assert "在噪声范围内" in small.summary("zh")
    pooled = compare_periods(k, "A", "fcr_rate", ["2023-12", "2024-01"], ["2024-02"])
    assert pooled.before == pytest.approx(7700 / 11000) and pooled.n_before == 11000


def test_compare_means_welch():
    k = kpi_rows([("A", "2024-01", "aht_minutes", 10.0, 50, np.nan, 2.0),
                  ("A", "2024-02", "aht_minutes", 11.0, 40, np.nan, 3.0)])
    r = compare_periods(k, "A", "aht_minutes", "2024-01", "2024-02")
    va, vb = 4 / 50, 9 / 40
    t = 1.0 / np.sqrt(va + vb)
    dof = (va + vb) ** 2 / (va ** 2 / 49 + vb ** 2 / 39)
    assert r.p_value == pytest.approx(2 * stats.t.sf(t, dof), rel=1e-6)
    assert r.ci_high - 1.0 == pytest.approx(stats.t.ppf(0.975, dof) * np.sqrt(va + vb))
    assert r.effect_size == pytest.approx(1.0 / np.sqrt((4 + 9) / 2))
    assert r.test == "welch_t" and r.effect_measure == "cohen_d"
    assert "(worse)" in r.summary() and not r.significant   # AHT: lower is better
    assert "（变差）" in r.summary("zh") and "韦尔奇t检验" in r.summary("zh")


def tickets(rows, as_of="2024-12-31 23:59"):
    """rows: (team, created, category, contacts, is_complaint) -> loaded tickets,
    taken at ``as_of`` (by default after their last month has ended)."""
    df = pd.DataFrame(rows, columns=["team", "created_at", "category", "contacts",
                                     "is_complaint"])
    df.insert(0, "ticket_id", [f"T{i}" for i in range(len(df))])
    df["resolved_at"] = pd.to_datetime(df["created_at"]) + pd.Timedelta("1h")
    return skpi.validate_tickets(df.astype({"created_at": str, "resolved_at": str}),
                                 as_of=as_of)


def test_pareto_with_ties_and_change():
    now = {"A": 5, "B": 3, "C": 3, "D": 3, "E": 1}
    before = {"A": 2, "E": 4, "F": 1}
    rows = [("t1", "2024-02-10", c, 1, True) for c, k in now.items() for _ in range(k)]
    rows += [("t1", "2024-01-10", c, 1, True) for c, k in before.items() for _ in range(k)]
    rows += [("t1", "2024-02-11", "A", 1, False)] * 4           # not complaints
    p = pareto(tickets(rows), team="t1")
    assert p.attrs["period"] == "2024-02" and p.attrs["total"] == 15
    assert p["category"].tolist() == ["A", "B", "C", "D", "E", "F"]
    assert p["top"].tolist() == [True, True, True, True, False, False]   # tie at 3
    assert p["share"].iloc[0] == pytest.approx(5 / 15)
    assert p["cumulative"].iloc[3] == pytest.approx(14 / 15)
    f = p.set_index("category")
    assert f.loc["A", "change"] == 3 and f.loc["F", "count"] == 0 and f.loc["F", "previous"] == 1
    assert f.loc["E", "share_change"] == pytest.approx(1 / 15 - 4 / 7)


def test_pareto_leaves_out_a_last_period_the_export_ends_inside():
    """Taken on 11 February, the export holds 11 days of February: by default
    the top causes are January's (against December), not February's 5 against
    January's 7 (read as complaints down); asked for February, February."""
    rows = [("t1", "2023-12-10", "A", 1, True)] * 6 + [("t1", "2024-01-10", "A", 1, True)] * 7
    rows += [("t1", "2024-02-10", "A", 1, True)] * 5
    partial = tickets(rows, as_of="2024-02-11 18:00")
    p = pareto(partial, team="t1")
    assert p.attrs["period"] == "2024-01" and p["count"].tolist() == [7]
    assert p["previous"].tolist() == [6]
    assert pareto(partial, team="t1", period="2024-02").attrs["period"] == "2024-02"
    assert pareto(tickets(rows), team="t1").attrs["period"] == "2024-02"   # taken later
    only = tickets([("t1", "2024-02-10", "A", 1, True)], as_of="2024-02-11 18:00")
    assert pareto(only, team="t1").attrs["period"] == "2024-02"   # nothing before it


def test_a_cause_without_complaints_this_period_is_no_top_one():
    """February: A 5 complaints; B (2) and C (1) only in January.  The top 3 is
    A alone: B and C are listed (their change) but not marked."""
    now, before = {"A": 5}, {"B": 2, "C": 1}
    rows = [("t1", "2024-02-10", c, 1, True) for c, k in now.items() for _ in range(k)]
    rows += [("t1", "2024-01-10", c, 1, True) for c, k in before.items() for _ in range(k)]
    p = pareto(tickets(rows), team="t1")
    assert p["category"].tolist() == ["A", "B", "C"]
    assert p["top"].tolist() == [True, False, False]
    assert p["change"].tolist() == [5, -2, -1]


def fcr_block(month, seg, n, first_time):
    """``n`` tickets of team t1 in segment ``seg``, created on the 5th of 2024's
    ``month``, the first ``first_time`` of them resolved in one contact."""
    return [("t1", f"2024-{month:02d}-05", seg, 1 if i < first_time else 2, False)
            for i in range(n)]


def test_mix_rate_decomposition_adds_up():
    rows = (fcr_block(1, "X", 80, 72) + fcr_block(1, "Y", 20, 10)
            + fcr_block(2, "X", 50, 45) + fcr_block(2, "Y", 50, 20) + fcr_block(2, "Z", 0, 0))
    r = decompose_change(tickets(rows), "fcr_rate", team="t1", before="2024-01",
                         after="2024-02")
    assert r.before == pytest.approx(0.82) and r.after == pytest.approx(0.65)
    assert r.mix == pytest.approx(-0.135) and r.rate == pytest.approx(-0.035)
    assert r.mix + r.rate == pytest.approx(r.total, abs=1e-12)
    seg = r.segments.set_index("category")
    assert seg.loc["Y", "rate"] == pytest.approx(-0.035)
    # mix, each value against the KPI's mean over the two months (0.82 + 0.65) / 2 = 0.735:
    # X (0.9, above it) shrank 0.3: -0.3 x (0.9 - 0.735) = -0.0495;
    # Y (0.45, below it) grew 0.3: +0.3 x (0.45 - 0.735) = -0.0855; both pulled FCR down
    assert seg.loc["X", "mix"] == pytest.approx(-0.0495)
    assert seg.loc["Y", "mix"] == pytest.approx(-0.0855)
    assert r.largest_shift == "Y"
    assert r.summary() == ("First-contact resolution fell 17.0 points from 2024-01 to "
                           "2024-02: 13.5 points down from the mix of category (largest "
                           "shift: Y), 3.5 points down from the rate within each category.")
    assert r.summary("zh", by_label="类别") == (
        "首次解决率从2024-01到2024-02下降了17.0个百分点：类别构成的变化使其下降13.5个百分点"
        "（变化最大的是Y），各类别内部比率的变化使其下降3.5个百分点。")
    # a report's unit: an amount that would read 0.0 points gets more digits
    from dataclasses import replace
    from servicekpi.catalogue import Unit
    small = replace(r, mix=-0.0003, rate=r.total + 0.0003)
    assert "0.0 points down from the mix" in small.summary()
    assert "0.03 points down from the mix" in small.summary(unit=Unit("share"))
    # a segment that appears only after: all mix, and the parts still add up
    rows += fcr_block(2, "Z", 25, 25)
    r = decompose_change(tickets(rows), "fcr_rate", team="t1", before="2024-01",
                         after="2024-02")
    assert r.segments.set_index("category").loc["Z", "rate"] == 0
    assert r.mix + r.rate == pytest.approx(r.total, abs=1e-12)


def test_a_segment_level_with_the_kpi_moves_it_by_no_mix():
    """Worked by hand: January A 50 tickets at FCR 0.8, B 50 at 0.6 (KPI 0.7);
    February A 25 at 0.8, B 25 at 0.6, C 50 at 0.7 (KPI 0.7).  C's share grew
    from 0 to 50% at the KPI's own value: no effect; A and B shrank by 25
    points each, +0.1 and -0.1 from the KPI: -0.025 and +0.025."""
    rows = (fcr_block(1, "A", 50, 40) + fcr_block(1, "B", 50, 30)
            + fcr_block(2, "A", 25, 20) + fcr_block(2, "B", 25, 15) + fcr_block(2, "C", 50, 35))
    r = decompose_change(tickets(rows), "fcr_rate", team="t1", before="2024-01",
                         after="2024-02")
    seg = r.segments.set_index("category")
    assert r.total == pytest.approx(0) and r.mix == pytest.approx(0)
    assert seg.loc["C", "mix"] == pytest.approx(0, abs=1e-12)
    assert seg.loc["A", "mix"] == pytest.approx(-0.025)
    assert seg.loc["B", "mix"] == pytest.approx(0.025)
    assert (seg["rate"].abs() < 1e-12).all()


def test_kpis_by_segment(small_csv):
    t = skpi.load_tickets(small_csv)
    k = skpi.compute_kpis(t, by="channel")
    assert list(k.columns[:3]) == ["team", "channel", "period"]
    v = k[(k["team"] == "a") & (k["channel"] == "phone") & (k["kpi"] == "volume")]
    assert dict(zip(v["period"].astype(str), v["value"])) == {"2024-01": 1, "2024-02": 0,
                                                              "2024-03": 1}
    with pytest.raises(skpi.DataError, match="no such column"):
        skpi.compute_kpis(t, by="tier")


def test_compare_without_variance_is_quiet():
    import warnings
    k = kpi_rows([("A", "2024-01", "complaint_rate", 0.0, 50, 0, np.nan),
                  ("A", "2024-02", "complaint_rate", 0.0, 60, 0, np.nan)])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        r = compare_periods(k, "A", "complaint_rate", "2024-01", "2024-02")
    assert r.p_value == 1.0 and not r.significant


def test_ci_label_shows_the_level_and_cohens_h_is_statsmodels():
    k = kpi_rows([("A", "2024-01", "fcr_rate", 0.70, 10000, 7000, np.nan),
                  ("A", "2024-02", "fcr_rate", 0.731, 10000, 7310, np.nan)])
    r90 = compare_periods(k, "A", "fcr_rate", "2024-01", "2024-02", level=0.9)
    assert "(90% CI " in r90.summary() and "95%" not in r90.summary()
    assert "(97.5% CI " in compare_periods(k, "A", "fcr_rate", "2024-01", "2024-02",
                                            level=0.975).summary()
    assert "90%置信区间" in r90.summary("zh")
    # Cohen's h by hand: 2 asin(sqrt(p2)) - 2 asin(sqrt(p1))
    h = 2 * np.arcsin(np.sqrt(0.731)) - 2 * np.arcsin(np.sqrt(0.70))
    assert r90.effect_size == pytest.approx(h) and r90.effect_measure == "cohen_h"
    # a narrower interval at 90% than at 95%
    r95 = compare_periods(k, "A", "fcr_rate", "2024-01", "2024-02")
    assert r90.ci_high - r90.ci_low < r95.ci_high - r95.ci_low


def first_response_series(octobers=(25, 27, 23), seed=9):
    """36 months (2023-11 .. 2026-10) of average first response time (hours) with a
    seasonal pattern; the September -> October change is ``octobers`` seconds in
    2024, 2025 and 2026."""
    per = pd.period_range("2023-11", periods=36, freq="M")
    r = np.random.default_rng(seed)
    v = 0.06 + 0.015 * np.cos(2 * np.pi * (per.month.to_numpy() - 1) / 12) \
        + 0.0005 * r.standard_normal(36)
    for year, secs in zip((2024, 2025, 2026), octobers):
        i = list(per).index(pd.Period(f"{year}-10", "M"))
        v[i] = v[i - 1] + secs / 3600
    rows = [("phone", str(p), "avg_first_response_hours", x, 1500, np.nan, 0.05)
            for p, x in zip(per, v)]
    return kpi_rows(rows)


def test_seasonal_context_says_the_change_is_the_usual_one():
    k = first_response_series()
    c = seasonal_context(k, "phone", "avg_first_response_hours", "2026-10")
    assert c.seasonal and c.usual and c.p_value < 0.01
    assert c.change == pytest.approx(23 / 3600)
    assert c.past["period"].tolist() == ["2025-10", "2024-10"]
    assert c.past["change"].to_numpy() * 3600 == pytest.approx([27, 25])
    assert c.summary() == ("Average first response time rose 23 s from 2026-09 to 2026-10; "
                           "the same change in past years: +27 s (2025-10), +25 s (2024-10): "
                           "the usual seasonal rise.")
    # in the unit a report's tables use (minutes here), every amount alike
    from servicekpi.catalogue import Unit
    assert c.summary(unit=Unit("min", 60)) == (
        "Average first response time rose 0.4 min from 2026-09 to 2026-10; the same change "
        "in past years: +0.4 min (2025-10), +0.4 min (2024-10): the usual seasonal rise.")
    assert "0.0064 小时" in c.summary("zh", unit=Unit("h", 1))     # 23 s: never "0.0"
    zh = c.summary("zh")
    assert zh.startswith("平均首次响应时间从2026-09到2026-10上升了") and \
        zh.endswith("：属于通常的季节性上升。") and "（2025-10），" in zh
    # a fall where the other years rose is not the usual change
    odd = seasonal_context(first_response_series((25, 27, -20)), "phone",
                           "avg_first_response_hours", "2026-10", seasonal=True)
    assert not odd.usual and odd.summary().endswith("not the usual seasonal pattern.")
    # no seasonal pattern: said, with the test's p-value
    r = np.random.default_rng(2)
    flat = kpi_rows([("phone", str(p), "avg_first_response_hours", 0.06 + 0.001 * e, 1500,
                      np.nan, 0.05)
                     for p, e in zip(pd.period_range("2023-11", periods=36, freq="M"),
                                     r.standard_normal(36))])
    c = seasonal_context(flat, "phone", "avg_first_response_hours", "2026-10")
    assert not c.seasonal and not c.usual
    assert "no seasonal pattern at the 1% level (F-test p = " in c.summary()
    assert "在1%显著性水平下没有季节性规律（F检验 p = " in c.summary("zh")
    # the caller decided: not tested, and said so
    c = seasonal_context(flat, "phone", "avg_first_response_hours", "2026-10", seasonal=False)
    assert c.reason == "not_asked" and c.summary().endswith(
        "; not tested for seasonality (not asked).")


def test_seasonal_context_checks_the_size_of_the_change():
    """A rise in the usual direction is the usual one only if it is about the usual
    size: inside the past years' changes widened by the noise of a change."""
    import statsmodels.formula.api as smf
    k = first_response_series()
    c = seasonal_context(k, "phone", "avg_first_response_hours", "2026-10")
    # the noise: 1.96 x sqrt(2) x the residual sd of value ~ trend + month (no outlier here)
    df = pd.DataFrame({"y": k["value"], "t": np.arange(36), "m": k["period"].dt.month})
    sigma = np.sqrt(smf.ols("y ~ t + C(m)", df).fit().scale)
    noise = stats.norm.ppf(0.975) * np.sqrt(2) * sigma
    assert c.noise == pytest.approx(noise) and 4 < noise * 3600 < 6      # about 5 s
    assert c.usual_range == pytest.approx((25 / 3600 - noise, 27 / 3600 + noise))
    assert c.verdict == "usual"
    # +80 s against +25 s and +27 s: the same direction, three times the size
    big = seasonal_context(first_response_series((25, 27, 80)), "phone",
                           "avg_first_response_hours", "2026-10")
    assert big.seasonal and not big.usual and big.verdict == "larger"
    assert big.summary().endswith(": larger than the usual seasonal rise (past years +25 s "
                                  "to +27 s, give or take 5 s of noise at 95%).")
    assert big.summary("zh").endswith("：大于通常的季节性上升（往年为+25 秒至+27 秒，"
                                      "噪声约±5 秒，置信水平95%）。")
    # +8 s: a smaller rise than usual
    small = seasonal_context(first_response_series((25, 27, 8)), "phone",
                             "avg_first_response_hours", "2026-10", seasonal=True)
    assert small.verdict == "smaller" and not small.usual
    assert ": smaller than the usual seasonal rise (past years +25 s to +27 s" in \
        small.summary()
    # +31 s: beyond the past years' changes, but not by more than the noise
    near = seasonal_context(first_response_series((25, 27, 31)), "phone",
                            "avg_first_response_hours", "2026-10")
    assert near.usual and near.summary().endswith("the usual seasonal rise.")
    # at 50% the band is narrower (0.67 x sqrt(2) sigma, about 2 s): +31 s is larger
    tight = seasonal_context(first_response_series((25, 27, 31)), "phone",
                             "avg_first_response_hours", "2026-10", level=0.5)
    assert tight.verdict == "larger" and "noise at 50%" in tight.summary()


def test_control_chart_figure_shows_stages_baseline_and_expectation():
    from servicekpi import plots
    r = np.random.default_rng(5)
    xs = 50 + r.standard_normal(36) + np.where(np.arange(36) >= 18, 5.0, 0.0)
    ax = plots.control_chart(control_chart(chart_frame(xs), "A", "x"))
    labels = ax.get_legend_handles_labels()[1]
    assert {"phase-I baseline (limits from here)", "new stage (shift)", "centre",
            "control limits", "value", "special cause"} <= set(labels)
    assert [t.get_text() for t in ax.texts] == ["stage 2"]
    seasonal = plots.control_chart(control_chart(chart_frame(seasonal_values()), "A", "x"))
    assert "seasonal expectation" in seasonal.get_legend_handles_labels()[1]
    assert "seasonal" in seasonal.get_title(loc="left")


def seasonal_team(tmp_path, seasonal: bool):
    """A team's tickets over 36 months whose first-contact resolution is seasonal
    (or flat), and a target for it; returns the report's parameters."""
    from servicekpi.config import CATALOGUE
    r = np.random.default_rng(13)
    rows = []
    for p in pd.period_range("2023-11", periods=36, freq="M"):
        rate = 0.75 + (0.1 * np.cos(2 * np.pi * (p.month - 1) / 12) if seasonal else 0)
        start = p.start_time
        for i in range(300):
            created = start + pd.Timedelta(hours=int(r.integers(0, 24 * p.days_in_month - 2)))
            rows.append((f"T{len(rows)}", "t1", created, created + pd.Timedelta("1h"),
                         "billing" if i % 3 else "outage", 1 if r.random() < rate else 2))
    rows[-1] = rows[-1][:2] + (pd.Timestamp("2026-10-31 22:00"),
                               pd.Timestamp("2026-10-31 23:00")) + rows[-1][4:]
    t = pd.DataFrame(rows, columns=["ticket_id", "team", "created_at", "resolved_at",
                                    "category", "contacts"])
    t.to_csv(tmp_path / "tickets.csv", index=False)
    (tmp_path / "targets.csv").write_text(
        "team,kpi,baseline,baseline_period,target,deadline\n"
        "t1,fcr_rate,0.75,2025-12,0.8,2026-12\n")
    return dict(team="t1", tickets=str(tmp_path / "tickets.csv"),
                targets=str(tmp_path / "targets.csv"), catalogue=str(CATALOGUE))


def test_main_driver_compares_a_seasonal_kpi_with_a_year_earlier(tmp_path):
    from servicekpi.report import TeamReport
    r = TeamReport.load(**seasonal_team(tmp_path, seasonal=True))
    chart = r.control_tables()["fcr_rate"]
    assert r.control_tables() is r.control_tables()            # computed once
    assert chart.attrs["seasonal"] and len(chart) == 36
    m = r.main_driver()
    assert m["kpi"] == "fcr_rate" and m["comparison"] == "year"
    assert m["before"] == pd.Period("2025-10", "M")
    k = r.kpis[(r.kpis["kpi"] == "fcr_rate")].set_index("period")["value"]
    assert m["test"].before == pytest.approx(k[pd.Period("2025-10", "M")])
    assert m["decomposition"].before == pytest.approx(k[pd.Period("2025-10", "M")])
    assert m["context"].summary().startswith("First-contact resolution ")
    from servicekpi.report.sentences import driver
    text = driver(r)
    assert "so 2026-10 is compared with 2025-10, the same period a year earlier" in text
    assert "the same change in past years" in text


def test_main_driver_compares_a_flat_kpi_with_the_period_before(tmp_path):
    from servicekpi.report import TeamReport
    r = TeamReport.load(**seasonal_team(tmp_path, seasonal=False))
    assert not r.control_tables()["fcr_rate"].attrs["seasonal"]
    m = r.main_driver()
    assert m["comparison"] == "previous" and m["before"] == pd.Period("2026-09", "M")
    assert m["context"] is None
    from servicekpi.report.sentences import driver
    assert "2026-10 is compared with 2026-09, the period before" in driver(r)


def driver_team(tmp_path, open_share=0.0):
    """36 months of a team's tickets, targets on first-contact resolution (seasonal,
    with a one-off slump a year before the assessed 2026-10) and on average
    resolution time (flat, 10 h +- 2 h a ticket, 0.8 h slower in 2026-10, and
    ``open_share`` of 2026-10's tickets still open)."""
    from servicekpi.config import CATALOGUE
    r = np.random.default_rng(21)
    rows = []
    for p in pd.period_range("2023-11", periods=36, freq="M"):
        rate = 0.75 + 0.1 * np.cos(2 * np.pi * (p.month - 1) / 12)
        if p == pd.Period("2025-10", "M"):
            rate = 0.45
        slow = 0.8 if p == pd.Period("2026-10", "M") else 0.0
        for i in range(300):
            created = p.start_time + pd.Timedelta(
                minutes=int(r.integers(0, 60 * (24 * p.days_in_month - 30))))
            hours = max(10 + slow + 2 * r.standard_normal(), 0.5)
            resolved = created + pd.Timedelta(hours=hours)
            if p == pd.Period("2026-10", "M") and i < open_share * 300:
                resolved = pd.NaT
            rows.append((f"T{len(rows)}", "t1", created, resolved,
                         "billing" if i % 3 else "outage", 1 if r.random() < rate else 2))
    rows.append((f"T{len(rows)}", "t1", pd.Timestamp("2026-10-31 22:00"),
                 pd.Timestamp("2026-10-31 23:00"), "billing", 1))
    t = pd.DataFrame(rows, columns=["ticket_id", "team", "created_at", "resolved_at",
                                    "category", "contacts"])
    t.to_csv(tmp_path / "tickets.csv", index=False)
    (tmp_path / "targets.csv").write_text(
        "team,kpi,baseline,baseline_period,target,deadline\n"
        "t1,fcr_rate,0.75,2025-12,0.8,2026-12\n"
        "t1,avg_resolution_hours,10,2025-12,9,2026-12\n")
    return dict(team="t1", tickets=str(tmp_path / "tickets.csv"),
                targets=str(tmp_path / "targets.csv"), catalogue=str(CATALOGUE))


def test_main_driver_ranks_every_kpi_on_its_control_chart(tmp_path):
    """FCR against a year earlier (a slump then) looks like the bigger change, but that
    compares a year with a month; on the same footing, the control charts' z, the
    resolution time's jump is far the larger."""
    from servicekpi.report import TeamReport
    r = TeamReport.load(**driver_team(tmp_path))
    charts = r.control_tables()
    fcr, res = charts["fcr_rate"], charts["avg_resolution_hours"]
    assert fcr.attrs["seasonal"] and not res.attrs["seasonal"]
    # each KPI's own comparison, measured as before (difference over CI width), favours FCR
    k = r.assessed_kpis

    def strength(kpi, before):
        t = compare_periods(k, "t1", kpi, before, "2026-10")
        return abs(t.difference) / (t.ci_high - t.ci_low)
    assert strength("fcr_rate", "2025-10") > 1.2 * strength("avg_resolution_hours", "2026-09")
    m = r.main_driver()
    assert m["kpi"] == "avg_resolution_hours" and m["comparison"] == "previous"
    assert m["z"] == res["z"].iloc[-1] and abs(m["z"]) > 3 > abs(fcr["z"].iloc[-1])
    assert m["ranking"]["kpi"].tolist() == ["avg_resolution_hours", "fcr_rate"]
    assert m["expected"] == pytest.approx(res["expected"].iloc[-1])
    assert m["test"].difference == pytest.approx(
        res["value"].iloc[-1] - res["value"].iloc[-2])
    from servicekpi.report.sentences import driver
    text = driver(r)
    assert "Of the targeted KPIs, Average resolution time lies furthest in 2026-10" in text
    assert f"(z = {m['z']:+.1f})" in text


def test_main_driver_leaves_out_an_incomplete_duration_period(tmp_path):
    """With a tenth of October's tickets still open, October's resolution time is not
    assessed: it is neither ranked nor compared, and FCR is the driver."""
    from servicekpi.report import TeamReport
    r = TeamReport.load(**driver_team(tmp_path, open_share=0.1))
    assert r.period == pd.Period("2026-10", "M")
    full = r.kpis[(r.kpis["kpi"] == "avg_resolution_hours")
                  & (r.kpis["period"] == r.period)]
    assert len(full) == 1 and full["open_share"].iloc[0] > 0.05      # computed, not assessed
    assert r.control_tables()["avg_resolution_hours"]["period"].iloc[-1] < r.period
    m = r.main_driver()
    assert m["kpi"] == "fcr_rate" and m["comparison"] == "year"
    assert m["ranking"]["kpi"].tolist() == ["fcr_rate"]
    assert m["before"] == pd.Period("2025-10", "M")


def test_refusals_are_invalid_arguments_and_rules_have_words():
    from servicekpi.diagnostics import RULES, rule_text
    frame = chart_frame(np.arange(20.0))
    with pytest.raises(skpi.InvalidArgument, match="kind must be"):
        control_chart(frame, "A", "x", kind="u")
    with pytest.raises(skpi.InvalidArgument, match="baseline must be at least 2"):
        control_chart(frame, "A", "x", baseline=1)
    with pytest.raises(skpi.InvalidArgument, match="seasonal must be"):
        control_chart(frame, "A", "x", seasonal="maybe")
    with pytest.raises(skpi.InvalidArgument, match="flag must be one of"):
        pareto(tickets([("t1", "2024-02-10", "A", 1, True)]), flag="angry")
    assert rule_text("8_on_one_side") == "8 points in a row on one side of the centre line"
    assert rule_text("8_on_one_side", "zh") == "连续8点位于中心线同一侧"
    assert all(skpi.i18n.has_cjk(rule_text(r, "zh")) for r in RULES)
    with pytest.raises(skpi.InvalidArgument):
        rule_text("9_in_a_row")


def test_analysis_modules_import_no_statistics_or_plotting_library():
    """``import servicekpi`` stays light: scipy, statsmodels and matplotlib are
    imported inside the functions that use them."""
    import subprocess
    import sys
    code = ("import sys\n"
            "import servicekpi.gaps, servicekpi.forecast, servicekpi.diagnostics, "
            "servicekpi.targets, servicekpi.scorecard, servicekpi.benchmarking, "
            "servicekpi.competencies\n"
            "print(sorted({m.split('.')[0] for m in sys.modules} & "
            "{'scipy', 'statsmodels', 'matplotlib', 'seaborn'}))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout
    assert out.strip() == "[]"


def test_the_tail_table_is_the_whole_grid_computed_at_once():
    """_mr_tail sums a few grid points at a time (memory); each point's sum is its
    own, so the table is bit for bit the one computed over the whole grid at once."""
    from scipy.special import log_ndtr, logsumexp

    from servicekpi.diagnostics import _mr_sample, _mr_tail
    for runs in ((11,), (4, 6)):
        grid, logp = _mr_tail(runs)
        v = _mr_sample(runs)
        whole = np.log(2) + logsumexp(log_ndtr(-grid[:, None] * v[None, :]), axis=1) \
            - np.log(len(v))
        assert np.array_equal(logp, np.minimum(whole, 0.0))


def test_control_limits_stop_at_the_kpis_bounds_and_gaps_stay_gaps():
    """Resolution times swinging from 5 to 50 h: the individuals chart's lower
    limit falls below zero, drawn at 0 given the KPI's bounds, as no duration can
    be below it; the upper limit is unchanged.  A month without a value (2024-06) is a gap in the
    chart, not squeezed out."""
    import matplotlib.pyplot as plt

    from servicekpi import plots
    values = [10, 40, 5, 50, 8, 45, 12]
    periods = ["2024-01", "2024-02", "2024-03", "2024-04", "2024-05", "2024-07", "2024-08"]
    k = pd.DataFrame({"team": "A", "period": pd.PeriodIndex(periods, freq="M"),
                      "kpi": "avg_resolution_hours", "value": values, "n": 100.0})
    free = control_chart(k, "A", "avg_resolution_hours", detect_shifts=False, seasonal=False)
    bound = control_chart(k, "A", "avg_resolution_hours", detect_shifts=False, seasonal=False,
                          bounds=(0, None))
    assert (free["lcl"] < 0).all() and (bound["lcl"] == 0).all()
    assert np.allclose(bound["ucl"], free["ucl"])
    ax = plots.control_chart(bound, ax=plt.subplots()[1])
    line = [ln for ln in ax.get_lines() if ln.get_marker() == "o"][0]
    assert list(line.get_xdata()) == list(range(8))
    assert np.isnan(line.get_ydata()[5]) and line.get_ydata()[6] == 45
    assert [t.get_text() for t in ax.get_xticklabels()][:2] == ["2024-01", "2024-03"]
