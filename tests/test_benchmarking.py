"""Benchmark comparison and peer matrix, direction-aware, with ties."""
import numpy as np
import pandas as pd
import pytest

import servicekpi as skpi
from analysis_data import kpi_rows

KPIS = kpi_rows([
    ("A", "2026-06", "fcr_rate", 0.80, 100), ("B", "2026-06", "fcr_rate", 0.70, 100),
    ("C", "2026-06", "fcr_rate", 0.70, 100), ("D", "2026-06", "fcr_rate", 0.90, 100),
    ("A", "2026-06", "avg_resolution_hours", 10, 100), ("B", "2026-06", "avg_resolution_hours", 20, 100),
    ("C", "2026-06", "avg_resolution_hours", 30, 100), ("D", "2026-06", "avg_resolution_hours", 5, 100),
    ("A", "2026-06", "volume", 100, 100), ("B", "2026-06", "volume", 50, 50),
    ("A", "2026-05", "fcr_rate", 0.10, 100),
])
BENCH = pd.DataFrame({
    "kpi": ["fcr_rate"] * 3 + ["avg_resolution_hours"],
    "benchmark": ["best_in_class", "industry_median", "top_quartile", "industry_median"],
    "value": [0.85, 0.75, 0.80, 15.0],
    "source": ["S"] * 4, "published": pd.Timestamp("2026-06-30")})


def table(team, **kw):
    t = skpi.benchmark_table(KPIS, team, BENCH, **kw)
    return {(r.kpi, r.reference): r for r in t.itertuples()}


def test_ranks_with_ties_and_z_scores():
    b = table("B")[("fcr_rate", "peer_median")]
    assert (b.peer_rank, b.peer_count) == (3, 4)             # A and D better; C tied
    assert table("C")[("fcr_rate", "peer_median")].peer_rank == 3
    assert b.peer_percentile == pytest.approx(100 * 0.5 / 3)  # beats none, ties one
    assert b.peer_quartile == 4
    assert b.z_score == pytest.approx(-1.0)                   # others 0.8, 0.7, 0.9


def test_lower_is_better():
    a = table("A")
    r = a[("avg_resolution_hours", "industry_median")]
    assert r.position == "leading" and r.gap == 0 and r.lead == pytest.approx(5.0)
    assert r.lead_pct == pytest.approx(100 * 5 / 15)
    assert r.peer_rank == 2                                  # only D (5 h) is better
    assert r.peer_percentile == pytest.approx(200 / 3)
    others = np.array([20, 30, 5.0])
    assert r.z_score == pytest.approx(-(10 - others.mean()) / others.std(ddof=1))
    best = a[("avg_resolution_hours", "best_peer")]
    assert best.source == "D" and best.position == "behind" and best.gap == pytest.approx(5)


def test_leading_the_best_benchmark_is_not_a_negative_gap():
    d = table("D")
    for ref in ("industry_median", "top_quartile", "best_in_class"):
        assert d[("fcr_rate", ref)].position == "leading"
        assert d[("fcr_rate", ref)].gap == 0
    assert d[("fcr_rate", "best_in_class")].lead == pytest.approx(0.05)
    assert table("A")[("fcr_rate", "top_quartile")].position == "level"
    b = table("B")
    assert b[("fcr_rate", "peer_median")].gap == pytest.approx(0.1)
    assert b[("fcr_rate", "best_peer")].gap == pytest.approx(0.2)
    assert b[("fcr_rate", "industry_median")].gap_pct == pytest.approx(100 * 0.05 / 0.75)


def test_order_sources_peers_period_and_neutral():
    t = skpi.benchmark_table(KPIS, "A", BENCH)
    refs = t[t["kpi"] == "fcr_rate"]["reference"].tolist()
    assert refs == ["industry_median", "top_quartile", "best_in_class", "peer_median",
                    "best_peer"]
    assert "volume" not in set(t["kpi"])                     # neutral: nothing is better
    assert t["source"].iloc[0] == "S"
    # the publication date of a benchmark (``as_of`` means the export time only)
    assert "as_of" not in t.columns
    assert t["published"].iloc[0] == pd.Timestamp("2026-06-30")
    assert t.loc[t["reference"] == "peer_median", "published"].iloc[0] == pd.Period("2026-06", "M")
    with pytest.raises(TypeError):
        skpi.benchmark_table(KPIS, "A", BENCH, ["B"])           # peers: keyword only
    only = skpi.benchmark_table(KPIS, "A", peers=["B"])
    assert only[only["kpi"] == "fcr_rate"]["peer_count"].iloc[0] == 2
    may = skpi.benchmark_table(KPIS, "A", period="2026-05")
    assert may["value"].iloc[0] == pytest.approx(0.10) and may["peer_count"].iloc[0] == 1
    assert may["reference"].isna().all() and may["position"].iloc[0] == "n/a"


def test_peer_matrix():
    m = skpi.peer_matrix(KPIS, period="2026-06")
    assert m.loc["D", "fcr_rate"] == 100 and m.loc["A", "fcr_rate"] == pytest.approx(200 / 3)
    assert m.loc["B", "fcr_rate"] == m.loc["C", "fcr_rate"] == pytest.approx(50 / 3)
    assert m["avg_resolution_hours"].to_dict() == pytest.approx(
        {"A": 200 / 3, "B": 100 / 3, "C": 0.0, "D": 100.0})
    assert "volume" not in m.columns


def test_not_applicable_and_open_periods_are_not_ranked():
    """C's abandonment does not apply (NaN: no queue) and D's June resolution time has
    30% of its tickets still open: neither is ranked nor in the peers' median."""
    k = KPIS.copy()
    k["open_share"] = np.where(k["kpi"] == "avg_resolution_hours", 0.0, np.nan)
    k.loc[(k["team"] == "D") & (k["kpi"] == "avg_resolution_hours"), "open_share"] = 0.3
    k = pd.concat([k, pd.DataFrame({
        "team": ["A", "B", "C"], "period": pd.Period("2026-06", "M"),
        "kpi": "abandonment_rate", "value": [0.05, 0.03, np.nan], "n": [100, 100, 0],
        "numerator": [5, 3, 0], "sd": np.nan, "open_share": np.nan})], ignore_index=True)
    a = {(r.kpi, r.reference): r for r in skpi.benchmark_table(k, "A").itertuples()}
    ab = a[("abandonment_rate", "peer_median")]
    assert (ab.peer_rank, ab.peer_count) == (2, 2)            # B only, not C's n/a
    assert ab.reference_value == pytest.approx(0.03)
    res = a[("avg_resolution_hours", "peer_median")]
    assert res.peer_count == 3 and res.reference_value == pytest.approx(25.0)  # B, C
    assert a[("avg_resolution_hours", "best_peer")].source == "B"
    assert "abandonment_rate" not in set(skpi.benchmark_table(k, "C")["kpi"])
    m = skpi.peer_matrix(k, period="2026-06")
    assert np.isnan(m.loc["C", "abandonment_rate"]) and m.loc["A", "abandonment_rate"] == 0
    assert np.isnan(m.loc["D", "avg_resolution_hours"])
    assert m["avg_resolution_hours"].dropna().to_dict() == pytest.approx(
        {"A": 100.0, "B": 50.0, "C": 0.0})


def test_a_value_on_too_few_observations_is_compared_with_nothing():
    """CSAT of one answer (C: 100%) is not the best peer, nor in the peers' median, nor
    ranked; the team's own value on 3 answers (D) is kept on one row, compared with
    nothing, as its target's status is insufficient data (the same minimum, 20)."""
    k = kpi_rows([("A", "2026-06", "csat_pct", 0.80, 100), ("B", "2026-06", "csat_pct", 0.90, 50),
                  ("C", "2026-06", "csat_pct", 1.00, 1), ("D", "2026-06", "csat_pct", 0.60, 3),
                  ("E", "2026-06", "csat_pct", 0.70, 20)])
    t = skpi.benchmark_table(k, "A").set_index("reference")
    assert t.loc["best_peer", ["reference_value", "source"]].tolist() == [0.90, "B"]
    assert t.loc["peer_median", ["reference_value", "source"]].tolist() == [
        pytest.approx(0.80), "2 other teams"]                  # median of B 0.90, E 0.70
    assert t.loc["best_peer", ["peer_rank", "peer_count"]].tolist() == [2, 3]
    assert t.loc["best_peer", "peer_percentile"] == 50.0       # beats E, not B
    d = skpi.benchmark_table(k, "D")
    assert len(d) == 1
    assert d.iloc[0][["value", "n", "position"]].tolist() == [0.60, 3, "few"]
    assert d.iloc[0][["reference", "kind"]].isna().all() and np.isnan(d.iloc[0]["peer_rank"])
    # the minimum can be set: with 1, C is the best peer
    t = skpi.benchmark_table(k, "A", min_n=1).set_index("reference")
    assert t.loc["best_peer", "source"] == "C"
    m = skpi.peer_matrix(k)
    assert m["csat_pct"].dropna().to_dict() == {"A": 50.0, "B": 100.0, "E": 0.0}
    assert skpi.peer_matrix(k, min_n=1)["csat_pct"].notna().sum() == 5


def test_peers_named_as_a_team_or_wrongly():
    """peers="B" is team B, not the letters; a team not in the table is refused."""
    one = skpi.benchmark_table(KPIS, "A", peers="B")
    assert set(one.loc[one["kind"] == "peer", "source"]) == {"1 other teams", "B"}
    with pytest.raises(skpi.InvalidArgument, match="peers not in the KPI table: Bb"):
        skpi.benchmark_table(KPIS, "A", peers=["Bb"])


def test_a_peer_on_too_few_observations_sets_no_pace():
    """Achievability: a peer of 4 cases a month (its SLA from 0% to 100% in three months)
    is not the best peer pace; one of 40 is."""
    rows = []
    for i, p in enumerate(["2026-01", "2026-02", "2026-03", "2026-04"]):
        rows += [("A", p, "sla_attainment", 0.70, 200), ("B", p, "sla_attainment", 0.1 + 0.3 * i, 4),
                 ("C", p, "sla_attainment", 0.60 + 0.02 * i, 40)]
    tg = pd.DataFrame([{"team": "A", "kpi": "sla_attainment", "baseline": 0.70,
                        "baseline_period": pd.Period("2026-04", "M"), "target": 0.80,
                        "deadline": pd.Period("2026-12", "M")}])
    a = skpi.achievability(kpi_rows(rows), tg).iloc[0]
    assert a["peer_best_pace"] == pytest.approx(0.02)       # C's; B's 0.30 left out
    a = skpi.achievability(kpi_rows(rows), tg, min_n=1).iloc[0]
    assert a["peer_best_pace"] == pytest.approx(0.30)


def test_a_kpi_with_a_value_left_out_is_compared_in_the_latest_period_closed_for_all():
    """D's June resolution time is left out (30% still open).  With May's values of
    every team there, resolution time is compared in May, for every team, D
    included: not among the three teams whose June has closed (D's own page would
    lose the KPI, and A would be ranked among three).  The other KPIs stay in June;
    a comparison among teams whose June has closed (peers A, B) stays in June."""
    k = KPIS.copy()
    may = kpi_rows([("A", "2026-05", "avg_resolution_hours", 12, 100),
                    ("B", "2026-05", "avg_resolution_hours", 8, 100),
                    ("C", "2026-05", "avg_resolution_hours", 30, 100),
                    ("D", "2026-05", "avg_resolution_hours", 40, 100)])
    k = pd.concat([k, may], ignore_index=True)
    k["open_share"] = np.where(k["kpi"] == "avg_resolution_hours", 0.0, np.nan)
    june = k["period"] == pd.Period("2026-06", "M")
    k.loc[(k["team"] == "D") & (k["kpi"] == "avg_resolution_hours") & june, "open_share"] = 0.3
    june_p, may_p = pd.Period("2026-06", "M"), pd.Period("2026-05", "M")
    assert skpi.benchmarking.compared_periods(k, june_p) == {
        "fcr_rate": june_p, "avg_resolution_hours": may_p, "volume": june_p}
    for team, rank in (("A", 2), ("D", 4)):          # May: B 8, A 12, C 30, D 40 h
        t = skpi.benchmark_table(k, team)
        res = t[(t["kpi"] == "avg_resolution_hours") & (t["reference"] == "peer_median")].iloc[0]
        assert res["period"] == may_p and (res["peer_rank"], res["peer_count"]) == (rank, 4)
        assert res["published"] == may_p
        assert set(t.loc[t["kpi"] == "fcr_rate", "period"]) == {june_p}
    a = skpi.benchmark_table(k, "A")
    assert a.loc[(a["kpi"] == "avg_resolution_hours") & (a["reference"] == "best_peer"),
                 "source"].item() == "B"
    assert a.loc[a["kpi"] == "avg_resolution_hours", "value"].iloc[0] == 12
    among = skpi.benchmark_table(k, "A", peers=["B"])          # D not compared: June
    res = among[(among["kpi"] == "avg_resolution_hours") & (among["reference"] == "best_peer")]
    assert res["period"].item() == june_p and res["reference_value"].item() == 20
    m = skpi.peer_matrix(k, period="2026-06")
    assert m.attrs["period"] == "2026-06" and m.attrs["periods"] == {"avg_resolution_hours": may_p}
    assert m["avg_resolution_hours"].to_dict() == pytest.approx(
        {"A": 100 * 2 / 3, "B": 100.0, "C": 100 / 3, "D": 0.0})
    assert m.loc["D", "fcr_rate"] == 100.0                       # June, as before
    # A without a May value: the table and the heatmap still rank May (one rule for
    # both), and A is not ranked on the KPI, rather than ranked in April or June
    no_a = k[~((k["team"] == "A") & (k["period"] == may_p))]
    t = skpi.benchmark_table(no_a, "A")
    assert "avg_resolution_hours" not in set(t["kpi"])
    assert set(skpi.benchmark_table(no_a, "B").query("kpi == 'avg_resolution_hours'")
               ["period"]) == {may_p}
    assert np.isnan(skpi.peer_matrix(no_a, period="2026-06").loc["A", "avg_resolution_hours"])
    # no earlier period closed for two teams: June, among the teams whose June is kept
    only_june = k[k["period"] == june_p]
    assert skpi.benchmarking.compared_periods(only_june, "2026-06")["avg_resolution_hours"] == june_p


def test_the_heatmap_names_the_earlier_period_of_a_kpi_in_its_label():
    """Weekly periods too: a week's label, not its string read back as a minute."""
    from servicekpi import plots
    week = pd.Period("2026-05-04", "W")
    m = pd.DataFrame({"fcr_rate": [100.0, 0.0], "avg_resolution_hours": [0.0, 100.0]},
                     index=["A", "B"])
    m.attrs["periods"] = {"avg_resolution_hours": week}
    ax = plots.peer_heatmap(m, period=week + 1)
    assert [t.get_text() for t in ax.get_xticklabels()] == [
        "fcr_rate", "avg_resolution_hours (2026-W19)"]      # no catalogue: the codes


def _matrix(means: dict) -> pd.DataFrame:
    """A peer matrix whose rows have the given mean percentiles (two KPIs)."""
    return pd.DataFrame({"fcr_rate": list(means.values()), "csat": list(means.values())},
                        index=list(means)).rename_axis("team")


def test_nearest_peers_keeps_the_team_centred_among_its_rank_neighbours():
    # ranks by mean percentile: e 90, a 80, c 70, b 60 (tied with g, by name), g 60, d 50, f 10
    m = _matrix({"a": 80, "b": 60, "c": 70, "d": 50, "e": 90, "f": 10, "g": 60})
    m.loc["f", "csat"] = np.nan                  # mean over the KPIs it has: still 10
    m.attrs["period"] = "2026-06"
    out = skpi.nearest_peers(m, "b", 3)
    assert list(out.index) == ["c", "b", "g"]
    assert out.attrs == {"period": "2026-06", "first": 3, "last": 5, "ranked": 7,
                         "centred": True}
    assert list(skpi.nearest_peers(m, "e", 3).index) == ["e", "a", "c"]     # shifted at the top
    assert list(skpi.nearest_peers(m, "f", 4).index) == ["b", "g", "d", "f"]  # and at the bottom
    assert skpi.nearest_peers(m, "f", 4).attrs["first"] == 4
    assert skpi.nearest_peers(m, "b", 7) is m                        # few enough: as it is
    best = skpi.nearest_peers(m, "z", 3)                 # a team without a value: the best
    assert list(best.index) == ["e", "a", "c"] and best.attrs["centred"] is False
    pd.testing.assert_series_equal(skpi.nearest_peers(m, "a", 5).loc["a"], m.loc["a"])


def test_nearest_peers_ranks_a_team_without_values_last():
    m = _matrix({"a": 80, "b": np.nan, "c": 70})
    assert list(skpi.nearest_peers(m, "b", 2).index) == ["c", "b"]
    with pytest.raises(ValueError, match="at least 1"):
        skpi.nearest_peers(m, "a", 0)


def test_a_team_too_small_to_compare_holds_no_kpi_back():
    """E had one ticket in June, still open (resolution time left out, open share
    100%).  It would not be compared even closed (1 ticket, fewer than MIN_N = 20),
    so resolution time stays in June for every team; the heatmap and A's table
    rank June among A-D.  With 30 tickets, half of them open, E would be compared
    once closed: resolution time goes back to May, the latest period closed for
    all, as for D in the test above."""
    k = KPIS.copy()
    may = kpi_rows([(t, "2026-05", "avg_resolution_hours", v, 100)
                    for t, v in (("A", 12), ("B", 8), ("C", 30), ("D", 40))])
    tiny = kpi_rows([("E", "2026-06", "avg_resolution_hours", np.nan, 0),
                     ("E", "2026-06", "volume", 1, 1), ("E", "2026-05", "volume", 0, 0)])
    k = pd.concat([k, may, tiny], ignore_index=True)
    k["open_share"] = np.where(k["kpi"] == "avg_resolution_hours", 0.0, np.nan)
    e_res = (k["team"] == "E") & (k["kpi"] == "avg_resolution_hours")
    k.loc[e_res, "open_share"] = 1.0
    june_p, may_p = pd.Period("2026-06", "M"), pd.Period("2026-05", "M")
    assert skpi.benchmarking.compared_periods(k, june_p)["avg_resolution_hours"] == june_p
    t = skpi.benchmark_table(k, "A")
    res = t[(t["kpi"] == "avg_resolution_hours") & (t["reference"] == "peer_median")].iloc[0]
    assert res["period"] == june_p and (res["peer_rank"], res["peer_count"]) == (2, 4)
    assert skpi.peer_matrix(k, period="2026-06").attrs["periods"] == {}
    # the trend chart draws the others' June median (20 and 30 h and 5 h around A)
    import matplotlib.pyplot as plt
    ax = skpi.plots.kpi_trend(k, team="A", kpi="avg_resolution_hours", ax=plt.subplots()[1])
    median = [ln for ln in ax.get_lines() if ln.get_linestyle() == "--"][0]
    assert list(median.get_xdata()) == [0, 1] and median.get_ydata()[1] == pytest.approx(20)
    # E with 30 tickets, 15 open: compared once closed, so it holds June back
    k.loc[(k["team"] == "E") & (k["kpi"] == "volume") & (k["period"] == june_p), "value"] = 30
    k.loc[e_res, ["value", "n", "open_share"]] = [6.0, 15, 0.5]
    assert skpi.benchmarking.compared_periods(k, june_p)["avg_resolution_hours"] == may_p
    ax = skpi.plots.kpi_trend(k, team="A", kpi="avg_resolution_hours", ax=plt.subplots()[1])
    median = [ln for ln in ax.get_lines() if ln.get_linestyle() == "--"][0]
    assert list(median.get_xdata()) == [0]                   # no June median without E
