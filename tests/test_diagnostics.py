"""Control charts, before/after tests, Pareto of causes and mix/rate
decomposition, on small cases worked out by hand."""
import numpy as np
import pandas as pd
import pytest
from scipy import stats

import servicekpi as skpi
from analysis_data import kpi_rows
from servicekpi.diagnostics import compare_periods, control_chart, decompose_change, pareto


def values(team, kpi, xs, start="2024-01", n=100, numerators=None, sd=np.nan):
    p0 = pd.Period(start, "M")
    return [(team, str(p0 + i), kpi, x, n,
             numerators[i] if numerators is not None else np.nan, sd) for i, x in enumerate(xs)]


def test_xmr_flags_the_known_point():
    xs = [10, 11, 10, 11, 10, 11, 10, 11, 10, 30]
    cc = control_chart(kpi_rows(values("A", "aht_minutes", xs)), "A", "aht_minutes",
                       baseline=9)
    assert cc.attrs["kind"] == "xmr"
    centre, sigma = 94 / 9, 1 / 1.128
    assert cc["centre"].iloc[0] == pytest.approx(centre)
    assert cc["ucl"].iloc[0] == pytest.approx(centre + 3 * sigma)
    assert cc["signal"].tolist() == [False] * 9 + [True]
    assert cc["rules"].iloc[-1] == "beyond_3_sigma"


def test_p_chart_limits_follow_n():
    nums = [10] * 9 + [30]
    k = kpi_rows(values("A", "fcr_rate", [v / 100 for v in nums], numerators=nums))
    cc = control_chart(k, "A", "fcr_rate", baseline=9)
    assert cc.attrs["kind"] == "p"
    assert cc["ucl"].iloc[0] == pytest.approx(0.1 + 3 * 0.03)
    assert cc["lcl"].iloc[0] == pytest.approx(0.01)
    assert cc["signal"].tolist() == [False] * 9 + [True]
    # a sample 16 times smaller has limits 4 times wider
    k2 = kpi_rows([("A", "2024-01", "fcr_rate", 0.1, 400, 40, np.nan),
                   ("A", "2024-02", "fcr_rate", 0.1, 25, 2.5, np.nan)])
    cc2 = control_chart(k2, "A", "fcr_rate")
    assert cc2["ucl"].iloc[1] - cc2["centre"].iloc[1] == pytest.approx(
        4 * (cc2["ucl"].iloc[0] - cc2["centre"].iloc[0]))


def test_runs_and_trends():
    base = [11, 9] * 5                                   # centre 10, sigma 2/1.128; ends below
    eight = base + [10.5] * 8
    cc = control_chart(kpi_rows(values("A", "aht_minutes", eight)), "A", "aht_minutes",
                       baseline=10)
    assert cc["signal"].tolist() == [False] * 17 + [True]
    assert cc["rules"].iloc[-1] == "8_on_one_side"
    rising = base + [10.1, 10.2, 10.3, 10.4, 10.5, 10.6]
    cc = control_chart(kpi_rows(values("A", "aht_minutes", rising)), "A", "aht_minutes",
                       baseline=10)
    # 9 (the last baseline point), 10.1, ..., 10.5 is the first run of six rising
    assert cc["signal"].tolist() == [False] * 14 + [True, True]
    assert set(cc["rules"].iloc[14:]) == {"6_trending"}
    sigma = 2 / 1.128
    two = base + [10 + 2.5 * sigma, 10, 10 + 2.5 * sigma]
    cc = control_chart(kpi_rows(values("A", "aht_minutes", two)), "A", "aht_minutes",
                       baseline=10)
    assert cc["rules"].iloc[-1] == "2_of_3_beyond_2_sigma" and cc["signal"].sum() == 1


def test_compare_proportions():
    k = kpi_rows([("A", "2024-01", "fcr_rate", 0.70, 10000, 7000, np.nan),
                  ("A", "2024-02", "fcr_rate", 0.731, 10000, 7310, np.nan),
                  ("A", "2024-03", "fcr_rate", 0.731, 1000, 731, np.nan),
                  ("A", "2023-12", "fcr_rate", 0.70, 1000, 700, np.nan)])
    r = compare_periods(k, "A", "fcr_rate", "2024-01", "2024-02")
    p = 14310 / 20000
    z = 0.031 / np.sqrt(p * (1 - p) * 2 / 10000)
    assert r["p_value"] == pytest.approx(2 * stats.norm.sf(z), rel=1e-6)
    assert r["significant"] and r["ci_low"] < 0.031 < r["ci_high"]
    assert r["sentence"].startswith("First-contact resolution rose 3.1 points (better) (95% CI")
    assert "significant" in r["sentence"] and r["test"] == "two-proportion z-test"
    small = compare_periods(k, "A", "fcr_rate", "2023-12", "2024-03")
    assert not small["significant"] and "within noise" in small["sentence"]
    pooled = compare_periods(k, "A", "fcr_rate", ["2023-12", "2024-01"], ["2024-02"])
    assert pooled["before"] == pytest.approx(7700 / 11000) and pooled["n_before"] == 11000


def test_compare_means_welch():
    k = kpi_rows([("A", "2024-01", "aht_minutes", 10.0, 50, np.nan, 2.0),
                  ("A", "2024-02", "aht_minutes", 11.0, 40, np.nan, 3.0)])
    r = compare_periods(k, "A", "aht_minutes", "2024-01", "2024-02")
    va, vb = 4 / 50, 9 / 40
    t = 1.0 / np.sqrt(va + vb)
    dof = (va + vb) ** 2 / (va ** 2 / 49 + vb ** 2 / 39)
    assert r["p_value"] == pytest.approx(2 * stats.t.sf(t, dof), rel=1e-6)
    assert r["ci_high"] - 1.0 == pytest.approx(stats.t.ppf(0.975, dof) * np.sqrt(va + vb))
    assert r["effect_size"] == pytest.approx(1.0 / np.sqrt((4 + 9) / 2))
    assert "(worse)" in r["sentence"] and not r["significant"]   # AHT: lower is better


def tickets(rows):
    """rows: (team, created, category, contacts, is_complaint) -> loaded tickets."""
    df = pd.DataFrame(rows, columns=["team", "created_at", "category", "contacts",
                                     "is_complaint"])
    df.insert(0, "ticket_id", [f"T{i}" for i in range(len(df))])
    df["resolved_at"] = pd.to_datetime(df["created_at"]) + pd.Timedelta("1h")
    return skpi.validate_tickets(df.astype({"created_at": str, "resolved_at": str}))


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


def test_mix_rate_decomposition_adds_up():
    def block(month, seg, n, first_time):
        return [("t1", f"2024-{month:02d}-05", seg, 1 if i < first_time else 2, False)
                for i in range(n)]
    rows = (block(1, "X", 80, 72) + block(1, "Y", 20, 10)
            + block(2, "X", 50, 45) + block(2, "Y", 50, 20) + block(2, "Z", 0, 0))
    r = decompose_change(tickets(rows), "fcr_rate", team="t1", before="2024-01",
                         after="2024-02")
    assert r["before"] == pytest.approx(0.82) and r["after"] == pytest.approx(0.65)
    assert r["mix"] == pytest.approx(-0.135) and r["rate"] == pytest.approx(-0.035)
    assert r["mix"] + r["rate"] == pytest.approx(r["total"], abs=1e-12)
    seg = r["segments"].set_index("category")
    assert seg.loc["Y", "rate"] == pytest.approx(-0.035)
    assert "fell 17.0 points" in r["sentence"]
    # a segment that appears only after: all mix, and the parts still add up
    rows += block(2, "Z", 25, 25)
    r = decompose_change(tickets(rows), "fcr_rate", team="t1", before="2024-01",
                         after="2024-02")
    assert r["segments"].set_index("category").loc["Z", "rate"] == 0
    assert r["mix"] + r["rate"] == pytest.approx(r["total"], abs=1e-12)


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
    assert r["p_value"] == 1.0 and not r["significant"]
