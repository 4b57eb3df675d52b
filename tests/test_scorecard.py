"""Scoring rules, AHP weights, grades, the grade cap, composite scores and fuzzy evaluation.

Every expected value is worked by hand in the comment beside it.
"""
import json

import numpy as np
import pandas as pd
import pytest

import servicekpi as skpi
from analysis_data import kpi_rows, series, targets
from servicekpi.i18n import msg
from servicekpi.scorecard import (DEFAULT_BANDS, cap_reason, memberships, ranked, rule_numbers,
                                  rule_text, score_value, unscored_reason)

NAN = float("nan")
PROG = {"rule": "progress"}
STRETCH = {"rule": "progress", "stretch": 0.90, "cap": 120}


@pytest.mark.parametrize("value,target,sign,rule,baseline,expected", [
    # progress (the default): baseline 0.70 -> target 0.80, higher is better
    (0.70, 0.80, 1, None, 0.70, 0.0),                 # at the baseline: 0
    (0.75, 0.80, 1, None, 0.70, 50.0),                # halfway: 0.05 / 0.10
    (0.78, 0.80, 1, PROG, 0.70, 80.0),                # 0.08 / 0.10
    (0.80, 0.80, 1, None, 0.70, 100.0),               # at the target
    (0.90, 0.80, 1, None, 0.70, 100.0),               # beyond: clipped at cap 100
    (0.65, 0.80, 1, None, 0.70, 0.0),                 # went backwards: clipped at 0
    (0.81, 0.80, 1, {"rule": "progress", "cap": 120}, 0.70, 110.0),   # 0.11 / 0.10, cap 120
    # lower is better: baseline 50 -> target 30
    (50, 30, -1, None, 50, 0.0),
    (40, 30, -1, None, 50, 50.0),                     # (40 - 50) / (30 - 50)
    (35, 30, -1, None, 50, 75.0),
    (25, 30, -1, None, 50, 100.0),
    (55, 30, -1, None, 50, 0.0),                      # worse than the baseline
    # stretch: 100 at the target 0.80, rising to cap 120 at the stretch 0.90
    (0.75, 0.80, 1, STRETCH, 0.70, 50.0),             # below the target: unchanged
    (0.85, 0.80, 1, STRETCH, 0.70, 110.0),            # 100 + 20 x 0.05 / 0.10
    (0.90, 0.80, 1, STRETCH, 0.70, 120.0),
    (0.95, 0.80, 1, STRETCH, 0.70, 120.0),            # beyond the stretch: cap
    (25, 30, -1, {"rule": "progress", "stretch": 20, "cap": 130}, 50, 115.0),  # 100 + 30 x 5/10
    # attainment (an option, for volume-type KPIs)
    (0.76, 0.80, 1, {"rule": "attainment"}, None, 95.0),
    (40, 28, -1, {"rule": "attainment"}, None, 70.0),           # 28 / 40
    (0.96, 0.80, 1, {"rule": "attainment"}, None, 100.0),       # capped
    (0.96, 0.80, 1, {"rule": "attainment", "cap": 120}, None, 120.0),
    # linear and bands ignore the baseline
    (0.70, 0.80, 1, {"rule": "linear", "floor": 0.6}, None, 50.0),
    (0.50, 0.80, 1, {"rule": "linear", "floor": 0.6}, None, 0.0),
    (0.90, 0.80, 1, {"rule": "linear", "floor": 0.6, "cap": 150}, None, 150.0),
    (40, 30, -1, {"rule": "linear", "floor": 50}, None, 50.0),
    (0.85, 0.9, 1, {"rule": "bands", "bands": [[0.9, 100], [0.8, 80], [0.7, 60]]}, None, 80.0),
    (0.65, 0.9, 1, {"rule": "bands", "bands": [[0.9, 100], [0.8, 80], [0.7, 60]]}, None, 0.0),
    (3, 2, -1, {"rule": "bands", "bands": [[2, 100], [4, 70]]}, None, 70.0),
    (NAN, 0.8, 1, None, 0.7, NAN),
])
def test_scoring_rules(value, target, sign, rule, baseline, expected):
    got = score_value(value, target, sign, rule=rule, baseline=baseline)
    assert (np.isnan(got) and np.isnan(expected)) or got == pytest.approx(expected)


def test_bad_rules():
    name = "team 'A', fcr_rate"
    with pytest.raises(skpi.ConfigError, match="team 'A', fcr_rate: the baseline equals the "
                                               "target"):
        score_value(0.7, 0.8, 1, baseline=0.8, name=name)
    with pytest.raises(skpi.ConfigError, match="worse than the baseline"):
        score_value(0.7, 0.6, 1, baseline=0.7, name=name)         # higher is better, target lower
    with pytest.raises(skpi.ConfigError, match="needs a baseline"):
        score_value(0.7, 0.8, 1)
    with pytest.raises(skpi.ConfigError, match="stretch 0.75 must lie beyond the target"):
        score_value(0.7, 0.8, 1, rule={"rule": "progress", "stretch": 0.75, "cap": 120},
                    baseline=0.6)
    with pytest.raises(skpi.ConfigError, match="cap above 100"):
        score_value(0.7, 0.8, 1, rule={"rule": "progress", "stretch": 0.9}, baseline=0.6)
    with pytest.raises(skpi.ConfigError, match="baseline equals"):   # even without a value
        score_value(NAN, 0.8, 1, baseline=0.8)
    with pytest.raises(skpi.ConfigError, match="floor"):
        score_value(0.7, 0.8, 1, rule={"rule": "linear", "floor": 0.9})
    with pytest.raises(skpi.ConfigError, match="unknown scoring rule"):
        score_value(0.7, 0.8, 1, rule={"rule": "magic"})


def test_ahp_saaty_example():
    r = skpi.ahp_weights([[1, 3, 5], [1 / 3, 1, 3], [1 / 5, 1 / 3, 1]], ["a", "b", "c"])
    assert r.weights.tolist() == pytest.approx([0.6370, 0.2583, 0.1047], abs=1e-4)
    assert r.lambda_max == pytest.approx(3.0385, abs=1e-4)
    assert r.consistency_ratio == pytest.approx(0.0332, abs=1e-3)


def test_ahp_consistent_and_inconsistent():
    r = skpi.ahp_weights([[1, 2, 4], [0.5, 1, 2], [0.25, 0.5, 1]])
    assert r.weights.tolist() == pytest.approx([4 / 7, 2 / 7, 1 / 7])
    assert r.consistency_ratio == pytest.approx(0.0, abs=1e-9)
    with pytest.raises(skpi.ConfigError, match="inconsistent: consistency ratio"):
        skpi.ahp_weights([[1, 9, 1 / 9], [1 / 9, 1, 9], [9, 1 / 9, 1]])
    with pytest.raises(skpi.ConfigError, match="not reciprocal"):
        skpi.ahp_weights([[1, 2], [2, 1]], ["x", "y"])
    with pytest.raises(skpi.ConfigError, match="square"):
        skpi.ahp_weights([[1, 2, 3]])


@pytest.mark.parametrize("score,en,zh", [(90, "A", "优秀"), (89.99, "B", "良好"),
                                         (60, "C", "合格"), (59.9, "D", "不合格")])
def test_grades(score, en, zh):
    # a grade is a code; its words come from the message catalogue
    assert skpi.grade(score) == en and msg(f"grade.{skpi.grade(score)}", "zh") == zh
    with pytest.raises(TypeError):
        skpi.grade(score, language="zh")                # no language in the analysis


def test_custom_bands():
    assert skpi.grade(70, bands=[("pass", 50), ("fail", 0)]) == "pass"
    with pytest.raises(skpi.ConfigError, match="cap_grade 'C' is not one of the grades"):
        skpi.scorecard(*sample(), bands=[("pass", 50), ("fail", 0)])


# ------------------------------------------------------------------ composite scores
def sample(fcr=0.77, resolution=36.0, w=(0.6, 0.4), team="A"):
    """Team A: FCR 0.70 -> 0.80 (weight 0.6), resolution time 48 h -> 28 h (weight 0.4)."""
    k = (series(team, "fcr_rate", "2026-06", [fcr]) +
         series(team, "avg_resolution_hours", "2026-06", [resolution], rate=False))
    t = targets([(team, "fcr_rate", 0.70, "2025-12", 0.80, "2026-12", {}, w[0]),
                 (team, "avg_resolution_hours", 48, "2025-12", 28, "2026-12", {}, w[1])])
    return kpi_rows(k), t


def gaps_of(team="A", fcr="on_track", resolution="off_track"):
    return pd.DataFrame({"team": [team, team], "kpi": ["fcr_rate", "avg_resolution_hours"],
                         "status": [fcr, resolution]})


def test_a_team_at_its_baseline_scores_zero():
    k, t = sample(fcr=0.70, resolution=48.0)
    sc = skpi.scorecard(k, t)
    tot = sc.totals.iloc[0]
    assert sc.scores["score"].tolist() == [0.0, 0.0]
    assert tot["score"] == 0.0 and tot["grade"] == "D"
    # the attainment ratio would have read B for no progress at all:
    # 0.6 x 100 x 0.70 / 0.80 + 0.4 x 100 x 28 / 48 = 52.5 + 23.33 = 75.83
    att = {"fcr_rate": {"rule": "attainment"}, "avg_resolution_hours": {"rule": "attainment"}}
    old = skpi.scorecard(k, t, rules=att).totals.iloc[0]
    assert old["score"] == pytest.approx(52.5 + 0.4 * 100 * 28 / 48) and old["grade"] == "B"


def test_composite_score_and_contributions():
    k, t = sample()
    sc = skpi.scorecard(k, t)
    s = sc.scores.set_index("kpi")
    # FCR (0.77 - 0.70) / 0.10 = 70; resolution (36 - 48) / (28 - 48) = 60
    assert s.loc["fcr_rate", "score"] == pytest.approx(70)
    assert s.loc["avg_resolution_hours", "score"] == pytest.approx(60)
    assert s["baseline"].tolist() == [0.70, 48] and s["rule"].tolist() == ["progress"] * 2
    tot = sc.totals.set_index("team").loc["A"]
    assert tot["score"] == pytest.approx(0.6 * 70 + 0.4 * 60)    # 66
    assert tot["grade"] == "C" and tot["grade_uncapped"] == "C" and not tot["capped"]
    assert tot["coverage"] == 1.0 and tot["missing"] == "" and tot["problems"] == ""
    assert not tot["cap_checked"]                                  # no gaps given
    assert sc.scores["contribution"].sum() == pytest.approx(66)
    assert tot["internal_process"] == pytest.approx(66)           # both KPIs internal process
    assert np.isnan(tot["customer"])
    assert cap_reason(sc.scores, "A") == ""


def test_missing_kpi_lowers_coverage_not_score():
    k, t = sample()
    t = pd.concat([t, targets([("A", "csat_pct", 0.7, "2025-12", 0.8, "2026-12", {}, 1.0)])],
                  ignore_index=True)
    sc = skpi.scorecard(k, t)
    tot = sc.totals.iloc[0]
    assert tot["coverage"] == pytest.approx(0.5) and tot["missing"] == "csat_pct"
    assert tot["score"] == pytest.approx(66)
    # the points (contributions) add up to the score times the coverage, as the
    # report and the scorecard figure say: 33, not 66
    assert sc.scores["contribution"].sum() == pytest.approx(66 * 0.5)
    from servicekpi.i18n import msg
    for lang in ("en", "zh"):
        assert msg("figures.contributions.xlabel_score", lang).count(
            "times the coverage" if lang == "en" else "乘以覆盖率") == 1
    missing = sc.scores[sc.scores["kpi"] == "csat_pct"].iloc[0]
    assert missing["status"] == "missing" and np.isnan(missing["score"])


def test_nothing_scored_gives_no_score_and_no_grade():
    k, _ = sample()
    t = targets([("A", "csat_pct", 0.7, "2025-12", 0.8, "2026-12", {}, 1.0)])
    tot = skpi.scorecard(k, t).totals.iloc[0]
    assert np.isnan(tot["score"]) and tot["grade"] is None and tot["coverage"] == 0.0


def test_given_and_ahp_weights():
    k, t = sample()
    sc = skpi.scorecard(k, t, weights={"fcr_rate": 1, "avg_resolution_hours": 1})
    assert sc.totals["score"].iloc[0] == pytest.approx(65) and sc.weights_source == "given"
    ahp = skpi.ahp_weights([[1, 3], [1 / 3, 1]], ["fcr_rate", "avg_resolution_hours"])
    sc = skpi.scorecard(k, t, weights=ahp)
    assert sc.totals["score"].iloc[0] == pytest.approx(0.75 * 70 + 0.25 * 60)
    sc = skpi.scorecard(k, t, rules={"fcr_rate": {"rule": "linear", "floor": 0.6}})
    assert sc.scores.set_index("kpi").loc["fcr_rate", "score"] == pytest.approx(85)  # .17/.2
    with pytest.raises(skpi.ConfigError):
        skpi.scorecard(k, t, rules={"nope": {}})


# ------------------------------------------------------------------ zero or missing weights
def test_zero_or_missing_weights_are_a_clear_error():
    k, t = sample(w=(0, 0))
    with pytest.raises(skpi.ConfigError, match=r"team 'A': the weights of all its targeted KPIs "
                                               r"\(fcr_rate, avg_resolution_hours\) are zero"):
        skpi.scorecard(k, t)
    k, t = sample()
    with pytest.raises(skpi.ConfigError, match="team 'A': no weight for avg_resolution_hours "
                                               "in the weights given"):
        skpi.scorecard(k, t, weights={"fcr_rate": 1})
    t.loc[1, "weight"] = np.nan
    with pytest.raises(skpi.ConfigError, match="no weight for avg_resolution_hours in the "
                                               "targets"):
        skpi.scorecard(k, t)
    t.loc[1, "weight"] = 0.0                       # one zero weight is allowed: scored, no points
    s = skpi.scorecard(k, t).scores.set_index("kpi")
    assert s.loc["avg_resolution_hours", "weight"] == 0 and s.loc["fcr_rate", "weight"] == 1


def test_every_problem_at_once_or_only_the_wrong_team_dropped():
    ka, ta = sample(w=(0, 0))
    kb, tb = sample(team="B")
    tb.loc[0, "baseline"] = 0.80                  # B: FCR baseline equals its target
    k, t = pd.concat([ka, kb], ignore_index=True), pd.concat([ta, tb], ignore_index=True)
    with pytest.raises(skpi.ConfigError) as err:
        skpi.scorecard(k, t)
    assert "2 configuration problems" in str(err.value)
    assert "team 'B', fcr_rate: the baseline equals the target" in str(err.value)
    kc, tc = sample(team="C")
    k, t = pd.concat([k, kc], ignore_index=True), pd.concat([t, tc], ignore_index=True)
    sc = skpi.scorecard(k, t, bad_rows="drop")
    assert set(sc.scores["team"]) == {"C"} and set(sc.team_errors) == {"A", "B"}
    tot = sc.totals.set_index("team")
    assert tot.loc["C", "score"] == pytest.approx(66)
    assert np.isnan(tot.loc["A", "score"]) and tot.loc["A", "grade"] is None
    assert "are zero" in tot.loc["A", "problems"]


# ------------------------------------------------------------------ the grade cap
def sample3(fcr=0.80, resolution=28.0, csat=0.75, w=(1, 1, 1), team="A"):
    """Team A: sample()'s two targets and CSAT 0.70 -> 0.80."""
    k, _ = sample(fcr, resolution, team=team)
    k = pd.concat([k, kpi_rows(series(team, "csat_pct", "2026-06", [csat]))], ignore_index=True)
    t = targets([(team, "fcr_rate", 0.70, "2025-12", 0.80, "2026-12", {}, w[0]),
                 (team, "avg_resolution_hours", 48, "2025-12", 28, "2026-12", {}, w[1]),
                 (team, "csat_pct", 0.70, "2025-12", 0.80, "2026-12", {}, w[2])])
    return k, t


def gaps3(fcr="on_track", resolution="on_track", csat="on_track", team="A"):
    return pd.DataFrame({"team": [team] * 3,
                         "kpi": ["fcr_rate", "avg_resolution_hours", "csat_pct"],
                         "status": [fcr, resolution, csat]})


def test_heavy_off_track_target_caps_the_grade_at_c():
    k, t = sample(fcr=0.80, resolution=40.0)
    # FCR 100, resolution (40 - 48) / (28 - 48) = 40: 0.6 x 100 + 0.4 x 40 = 76 -> B
    sc = skpi.scorecard(k, t, gaps=gaps_of())
    tot = sc.totals.iloc[0]
    assert tot["score"] == pytest.approx(76) and tot["grade_uncapped"] == "B"
    assert tot["grade"] == "C" and tot["cap"] == "C" and tot["cap_checked"]
    assert tot["off_weight"] == pytest.approx(0.4)
    assert tot["capped"] and cap_reason(sc.scores, "A") == ("Average resolution time "
                                                            "(weight 40%, off track)")
    assert sc.scores["contribution"].sum() == pytest.approx(76)     # the score is not changed
    assert sc.scores["caps"].tolist() == [False, True]
    assert sc.scores["target_status"].tolist() == ["on_track", "off_track"]
    # missed caps too; at risk does not
    assert skpi.scorecard(k, t, gaps=gaps_of(resolution="missed")).totals["grade"][0] == "C"
    assert skpi.scorecard(k, t, gaps=gaps_of(resolution="at_risk")).totals["grade"][0] == "B"
    assert cap_reason(sc.scores, "A", "zh") == "平均解决时长（权重40%，偏离目标）"
    # two targets off track: both named, with their combined weight
    both = cap_reason(skpi.scorecard(k, t, gaps=gaps_of(fcr="off_track")).scores, "A")
    assert both == ("First-contact resolution (weight 60%, off track); "
                    "Average resolution time (weight 40%, off track): together 100% of the "
                    "weight")


def test_light_targets_off_track_cap_together():
    # weights 0.6 / 0.2 / 0.2: FCR 100, resolution 40 -> 40, CSAT 0.75 -> 50
    # 0.6 x 100 + 0.2 x 40 + 0.2 x 50 = 78 -> B
    k, t = sample3(resolution=40.0, w=(0.6, 0.2, 0.2))
    one = skpi.scorecard(k, t, gaps=gaps3(resolution="off_track")).totals.iloc[0]
    assert one["score"] == pytest.approx(78)
    assert one["grade"] == "B" and one["cap"] is None and not one["capped"]
    assert one["off_weight"] == pytest.approx(0.2)                # 20% < 25%: no cap
    two = skpi.scorecard(k, t, gaps=gaps3(resolution="off_track", csat="missed"))
    tot = two.totals.iloc[0]
    assert tot["off_weight"] == pytest.approx(0.4)                # 20% + 20% >= 25%
    assert tot["grade"] == "C" and tot["grade_uncapped"] == "B"
    assert tot["capped"] and cap_reason(two.scores, "A") == (
        "Average resolution time (weight 20%, off track); CSAT (share satisfied) (weight 20%, "
        "missed): together 40% of the weight")
    assert two.scores["caps"].tolist() == [False, True, True]
    zh = cap_reason(two.scores, "A", "zh")
    assert zh == "平均解决时长（权重20%，偏离目标）；客户满意率（权重20%，未达成）：合计占权重40%"
    # exactly the threshold caps: 0.25 + 0.0 of (0.5, 0.25, 0.25)
    k, t = sample3(resolution=40.0, w=(0.5, 0.25, 0.25))
    assert skpi.scorecard(k, t, gaps=gaps3(csat="off_track")).totals["cap"][0] == "C"


def test_the_cap_weighs_the_targets_scored():
    """Phone's FCR (weight 0.2) is off track and scores 40; resolution (0.8)
    has insufficient data.  The composite rests on FCR alone (40, coverage 20%),
    so FCR carries all of the weight scored: capped, though 20% of the total.
    The cap's reason says which share it counts."""
    k, t = sample(fcr=0.74, resolution=40.0, w=(0.2, 0.8))
    gaps = gaps_of(fcr="off_track", resolution="insufficient_data")
    sc = skpi.scorecard(k, t, gaps=gaps)
    tot = sc.totals.iloc[0]
    assert tot["coverage"] == pytest.approx(0.2) and tot["score"] == pytest.approx(40)
    assert tot["off_weight"] == pytest.approx(1.0) and tot["cap"] == "C"
    assert cap_reason(sc.scores, "A") == ("First-contact resolution (weight 20%, off track): "
                                          "100% of the weight scored")
    assert cap_reason(sc.scores, "A", "zh") == "首次解决率（权重20%，偏离目标）：占已计分权重的100%"
    # FCR at risk instead: no cap, whatever the coverage
    assert skpi.scorecard(k, t, gaps=gaps_of(fcr="at_risk", resolution="insufficient_data")
                          ).totals["cap"][0] is None


def test_grade_and_weight_read_as_shown():
    """Weights 0.15, 0.35, 1 scoring 0, 100, 100: 1.35 / 1.5 is 90 (89.99999999999999
    in floats), shown 90.0, an A.  A weight of 0.249 off track reads 24%, not 25%
    beside a grade the 25% cap did not lower; 0.25 reads 25% and caps."""
    from servicekpi.catalogue import fmt_score
    from servicekpi.scorecard import weight_share
    ninety = (np.array([0.15, 0.35, 1]) / 1.5 * [0, 100, 100]).sum()     # as scorecard() adds
    assert ninety < 90 and fmt_score(ninety) == "90.0"
    assert skpi.grade(ninety) == "A" and skpi.grade(89.96) == "B"
    w = np.array([0.1, 0.15, 0.15]) / 0.4                 # normalised weights, scores 0, 100, 100
    assert (w * [0, 100, 100]).sum() < 75 and skpi.grade((w * [0, 100, 100]).sum()) == "B"
    assert weight_share(0.249) == "24%" and weight_share(0.25) == "25%"
    assert weight_share(1 / 3) == "33%" and weight_share(float("nan")) == "–"
    k, t = sample(fcr=0.80, resolution=40.0, w=(0.751, 0.249))
    sc = skpi.scorecard(k, t, gaps=gaps_of())
    assert sc.totals["cap"][0] is None
    assert sc.scores.loc[1, "weight"] == pytest.approx(0.249)


def test_no_cap_when_the_off_track_target_is_light_or_the_team_unchecked():
    k, t = sample(fcr=0.80, resolution=40.0, w=(0.8, 0.2))
    # 0.8 x 100 + 0.2 x 40 = 88 -> B; resolution weighs 20% < 25%
    tot = skpi.scorecard(k, t, gaps=gaps_of()).totals.iloc[0]
    assert tot["score"] == pytest.approx(88) and tot["grade"] == "B" and not tot["capped"]
    assert tot["cap_checked"] and tot["cap"] is None
    k, t = sample(fcr=0.80, resolution=40.0)
    assert skpi.scorecard(k, t, gaps=gaps_of(), heavy_weight=0.5).totals["grade"][0] == "B"
    assert skpi.scorecard(k, t, gaps=gaps_of(), cap_grade=None).totals["grade"][0] == "B"
    other = skpi.scorecard(k, t, gaps=gaps_of(team="Z")).totals.iloc[0]   # A not in the gaps
    assert other["grade"] == "B" and not other["cap_checked"] and np.isnan(other["off_weight"])


def test_the_cap_is_decided_from_statuses_not_from_the_grade():
    # a grade already at or below C is not lowered, but the cap still applies
    k, t = sample(fcr=0.76, resolution=40.0)          # 0.6 x 60 + 0.4 x 40 = 52 -> D
    tot = skpi.scorecard(k, t, gaps=gaps_of()).totals.iloc[0]
    assert tot["grade"] == "D" and not tot["capped"]
    assert tot["cap"] == "C" and cap_reason(
        skpi.scorecard(k, t, gaps=gaps_of()).scores, "A") == ("Average resolution time "
                                                              "(weight 40%, off track)")


# ------------------------------------------------------------------ the value scored
def test_after_the_deadline_the_deadline_value_is_scored():
    # FCR 0.70 -> 0.80 due 2026-03: 0.78 in March (missed), 0.85 in June
    k = kpi_rows(series("A", "fcr_rate", "2026-01", [0.74, 0.76, 0.78, 0.80, 0.83, 0.85]))
    t = targets([("A", "fcr_rate", 0.70, "2025-12", 0.80, "2026-03", {}, 1.0)])
    s = skpi.scorecard(k, t, period="2026-06").scores.iloc[0]
    # (0.78 - 0.70) / 0.10 = 80, not 100 from June's 0.85
    assert s["score"] == pytest.approx(80) and s["value"] == pytest.approx(0.78)
    assert s["value_period"] == pd.Period("2026-03", "M")
    g = skpi.gap_table(k, t, period="2026-06", rule="glide")
    assert g["status"][0] == "missed"
    sc = skpi.scorecard(k, t, period="2026-06", gaps=g)
    assert sc.scores["score"][0] == pytest.approx(80)
    tot = sc.totals.iloc[0]                        # 80 -> B, capped: missed, weight 100%
    assert tot["grade_uncapped"] == "B" and tot["grade"] == "C" and tot["capped"]
    assert cap_reason(sc.scores, "A") == "First-contact resolution (weight 100%, missed)"
    # before the deadline the current value scores
    s = skpi.scorecard(k, t, period="2026-02").scores.iloc[0]
    assert s["score"] == pytest.approx(60) and s["value_period"] == pd.Period("2026-02", "M")


def test_insufficient_data_is_not_scored_like_the_gap_table():
    k, t = sample()
    small = k["kpi"] == "avg_resolution_hours"
    k.loc[small, "n"] = 12                         # below the gap table's min_n of 20
    sc = skpi.scorecard(k, t)
    s = sc.scores.set_index("kpi")
    assert s.loc["fcr_rate", "score"] == pytest.approx(70)
    assert np.isnan(s.loc["avg_resolution_hours", "score"])
    assert s.loc["avg_resolution_hours", "status"] == "missing"
    assert s.loc["avg_resolution_hours", "reason"] == "insufficient_data"
    # in words: the gap table's why for that target, in either language
    g = skpi.gap_table(k, t, rule="glide")
    row = sc.scores.iloc[1]
    assert unscored_reason(row, gaps=g) == "n = 12, below the minimum of 20 observations"
    assert unscored_reason(row, "zh", gaps=g) == "仅有12个观测，少于最低要求的20个"
    assert unscored_reason(row) == "insufficient data"               # without the gap table
    assert unscored_reason(sc.scores.iloc[0]) == ""
    tot = sc.totals.iloc[0]
    assert tot["score"] == pytest.approx(70) and tot["coverage"] == pytest.approx(0.6)
    assert tot["missing"] == "avg_resolution_hours"
    assert s.loc["fcr_rate", "reason"] == ""


def test_the_reports_gap_rows_decide_the_value_and_what_is_scored():
    k, t = sample()                                 # FCR 0.77 -> 70, resolution 36 -> 60
    g = pd.DataFrame({"team": ["A", "A"], "kpi": ["fcr_rate", "avg_resolution_hours"],
                      "current": [0.75, 36.0], "status": ["at_risk", "insufficient_data"]})
    s = skpi.scorecard(k, t, gaps=g).scores.set_index("kpi")
    assert s.loc["fcr_rate", "score"] == pytest.approx(50)       # (0.75 - 0.70) / 0.10
    assert np.isnan(s.loc["avg_resolution_hours", "score"])
    assert s.loc["avg_resolution_hours", "reason"] == "insufficient_data"
    assert unscored_reason(s.reset_index().iloc[1], "zh") == "数据不足"


def test_ranking_by_grade_then_score():
    totals = pd.DataFrame({"team": ["capped", "b", "c", "none", "b2"],
                           "score": [80.0, 76.0, 70.0, NAN, 76.0],
                           "grade": ["C", "B", "C", None, "B"]})
    r = ranked(totals)
    assert r["team"].tolist() == ["b", "b2", "capped", "c", "none"]
    assert r["rank"].tolist()[:4] == [1, 1, 3, 4] and r["rank"].isna().tolist()[-1]


# ------------------------------------------------------------------ fuzzy evaluation
@pytest.mark.parametrize("cut", [60.0, 75.0, 90.0])
@pytest.mark.parametrize("delta", [-0.01, 0.0, 0.01])
def test_fuzzy_and_crisp_grades_agree_at_every_cut_off(cut, delta):
    s = cut + delta
    m = memberships(s)
    best = m[m >= m.max() - 1e-12].index[0]            # a tie goes to the better grade
    assert best == skpi.grade(s)
    one = pd.DataFrame({"team": ["T"], "score": [s], "weight": [1.0]})
    assert skpi.fuzzy_evaluation(one)["grade"][0] == skpi.grade(s)
    if delta == 0:                                     # adjacent grades cross at 0.5
        assert sorted(m.to_numpy())[-2:] == pytest.approx([0.5, 0.5])


@pytest.mark.parametrize("centre,name", [(30, "D"), (67.5, "C"), (82.5, "B"), (95, "A")])
def test_memberships_peak_at_band_centres(centre, name):
    m = memberships(centre)
    assert m[name] == pytest.approx(1.0) and m.sum() == pytest.approx(1.0)


def test_fuzzy_and_crisp_agree_everywhere():
    for s in np.arange(0, 120.001, 0.05):
        m = memberships(s)
        assert m.sum() == pytest.approx(1.0)
        assert m[m >= m.max() - 1e-12].index[0] == skpi.grade(s), s


@pytest.mark.parametrize("score,expected", [
    (55, {"D": 7 / 12, "C": 5 / 12}),       # u = 55/60; D 1 - |u - 0.5|, C 1 - |u - 1.5|
    (70, {"C": 5 / 6, "B": 1 / 6}),         # u = 1 + 10/15
    (88, {"B": 19 / 30, "A": 11 / 30}),     # u = 2 + 13/15
    (92, {"A": 0.7, "B": 0.3}),             # u = 3 + 2/10
    (10, {"D": 1.0}), (100, {"A": 1.0}), (115, {"A": 1.0}),
])
def test_membership_values(score, expected):
    m = memberships(score)
    assert m.to_dict() == pytest.approx({**{g: 0.0 for g in "ABCD"}, **expected})


def test_fuzzy_evaluation_of_a_team():
    scores = pd.DataFrame({"team": ["A", "A"], "score": [95.0, 55.0], "weight": [0.6, 0.4]})
    f = skpi.fuzzy_evaluation(scores).iloc[0]
    # 95 -> fully A; 55 -> D 7/12, C 5/12
    assert f["A"] == pytest.approx(0.6) and f["B"] == pytest.approx(0.0)
    assert f["C"] == pytest.approx(0.4 * 5 / 12) and f["D"] == pytest.approx(0.4 * 7 / 12)
    assert f["grade"] == "A" and f["grade_uncapped"] == "A"


def test_fuzzy_grade_cannot_lean_to_a_past_a_heavy_target_off_track():
    # three equal weights: FCR 100, resolution 100, CSAT (0.7034 - 0.70) / 0.10 = 3.4
    # composite (100 + 100 + 3.4) / 3 = 67.8 -> C; memberships A 2/3 (two scores of 100),
    # D 1/3 (3.4 lies below D's centre 30) -> the fuzzy vector leans to A
    k, t = sample3(csat=0.7034)
    free = skpi.scorecard(k, t)
    f = skpi.fuzzy_evaluation(free.scores, totals=free.totals).iloc[0]
    assert free.totals["score"][0] == pytest.approx(67.8) and free.totals["grade"][0] == "C"
    assert f["A"] == pytest.approx(2 / 3) and f["D"] == pytest.approx(1 / 3)
    assert f["grade"] == "A"                        # no cap: differs, and the report says why
    assert f["lean_targets"] == 2 and f["scored_targets"] == 3
    assert f["lean_weight"] == pytest.approx(2 / 3)
    from servicekpi.report.sentences import scorecard_summary
    from servicekpi.scorecard import cap_reason
    text = scorecard_summary(_summary_report(free, gaps3()))
    assert ("It differs from the grade C: the memberships lean to A because 2 of 3 scored "
            "targets (66% of the scored weight) score in grade A's band, while the weighted "
            "score is 67.8: grade C.") in text
    # CSAT (weight 1/3 >= 25%) off track: the cap applies to both grades, although the
    # crisp grade C is not lowered by it
    sc = skpi.scorecard(k, t, gaps=gaps3(csat="off_track"))
    tot = sc.totals.iloc[0]
    assert tot["grade"] == "C" and not tot["capped"] and tot["cap"] == "C"
    assert cap_reason(sc.scores, "A") == "CSAT (share satisfied) (weight 33%, off track)"
    f = skpi.fuzzy_evaluation(sc.scores, totals=sc.totals).iloc[0]
    assert f["grade_uncapped"] == "A" and f["grade"] == "C"
    text = scorecard_summary(_summary_report(sc, gaps3(csat="off_track")))
    assert "grade A, capped at C (the same cap)." in text and "differs" not in text
    assert ("While targets off track or missed carry together 25% or more of the weight "
            "scored, the grade is at most C: CSAT (share satisfied) (weight 33%, off track); "
            "grade C is already no better.") in text
    # a crisp D under the cap: the fuzzy grade is capped at C and the summary says why
    # weights 0.45 / 0.3 / 0.25, scores 100 / 0 / 55: 45 + 0 + 13.75 = 58.75 -> D;
    # memberships A 0.45, D 0.3 + 0.25 x 7/12 = 0.4458, C 0.25 x 5/12 -> A, capped at C
    k, t = sample3(resolution=48.0, csat=0.755, w=(0.45, 0.3, 0.25))
    g = gaps3(resolution="off_track")
    sc = skpi.scorecard(k, t, gaps=g)
    f = skpi.fuzzy_evaluation(sc.scores, totals=sc.totals).iloc[0]
    assert sc.totals["score"][0] == pytest.approx(58.75) and sc.totals["grade"][0] == "D"
    assert f["A"] == pytest.approx(0.45) and f["D"] == pytest.approx(0.3 + 0.25 * 7 / 12)
    assert f["grade_uncapped"] == "A" and f["grade"] == "C"
    text = scorecard_summary(_summary_report(sc, g))
    assert ("grade A, capped at C (the same cap). It differs from the grade D: the "
            "memberships lean to A because 1 of 3 scored targets (45% of the scored weight) "
            "score in grade A's band, while the weighted score is 58.7: grade D.") in text


def test_fuzzy_grade_is_capped_with_the_crisp_one():
    k, t = sample(fcr=0.80, resolution=40.0)
    sc = skpi.scorecard(k, t, gaps=gaps_of())
    f = skpi.fuzzy_evaluation(sc.scores, totals=sc.totals).iloc[0]
    # 100 -> A (0.6); 40 -> D band, u = 40/60: D 5/6, C 1/6 (x 0.4)
    assert f["A"] == pytest.approx(0.6) and f["D"] == pytest.approx(0.4 * 5 / 6)
    assert f["grade_uncapped"] == "A" and f["grade"] == "C"
    assert skpi.fuzzy_evaluation(sc.scores)["grade"][0] == "A"


# ------------------------------------------------------------------ no NaN on a page or in JSON
def _strict(text):
    def refuse(token):
        raise AssertionError(f"{token} in JSON")
    return json.loads(text, parse_constant=refuse)


def _summary_report(sc, gaps=None):
    from servicekpi.catalogue import resolve
    from servicekpi.report import TeamReport

    class Report(TeamReport):       # only what write_summary and the scorecard read
        period = pd.Period("2026-06", "M")
        partial = None
        name = "Team A"
        has_targets = True

        kpis = None

        def team_rows(self, data=None, kpi=None):     # no volume rows: not quiet
            return pd.DataFrame({"period": pd.PeriodIndex([], freq="M"), "value": []})

        @property
        def units(self):            # each scored KPI's unit, from its scored values
            s = self.scorecard().scores
            return {k: self.catalogue[k].display_unit(g["value"])
                    for k, g in s.groupby("kpi")}

    r = Report.__new__(Report)
    r.params = type("P", (), {"team": "A", "language": "en"})()
    r.catalogue = resolve(None)
    r._cache = {"gaps": gaps_of() if gaps is None else gaps, "scorecard": sc}
    return r


def test_no_composite_when_the_targets_scored_weigh_nothing():
    """FCR is scored (weight 0) and resolution time has insufficient data (weight
    1): no composite, and the summary says the scored target weighs 0, not that
    none could be scored."""
    from servicekpi.report.sentences import scorecard_summary
    k, t = sample(fcr=0.74, resolution=40.0, w=(0, 1))
    gaps = gaps_of(fcr="off_track", resolution="insufficient_data")
    sc = skpi.scorecard(k, t, gaps=gaps)
    assert np.isnan(sc.totals["score"][0])
    assert sc.scores.loc[0, "score"] == pytest.approx(40)
    text = scorecard_summary(_summary_report(sc, gaps))
    assert text.startswith("**Composite score –, no grade**: the targets scored for 2026-06 "
                           "weigh 0 in the targets file (First-contact resolution), so no "
                           "composite rests on them (not scored: Average resolution time")
    assert "none of the targeted KPIs" not in text


def test_a_fuzzy_tie_is_said_as_a_tie():
    """FCR at its target (100) and resolution time at its baseline (0), equal
    weights: memberships A 0.50 and D 0.50, the weighted score 50, grade D.  The
    fuzzy grade is A only by the tie-break: the summary says the grades tie, not
    that the memberships lean to A."""
    k, t = sample(fcr=0.80, resolution=48.0, w=(1, 1))
    gaps = gaps_of(fcr="at_risk", resolution="at_risk")
    sc = skpi.scorecard(k, t, gaps=gaps)
    f = skpi.fuzzy_evaluation(sc.scores, totals=sc.totals).iloc[0]
    from servicekpi.report.sentences import scorecard_summary
    assert (f["A"], f["D"], f["grade"]) == (0.5, 0.5, "A") and sc.totals["grade"][0] == "D"
    text = scorecard_summary(_summary_report(sc, gaps))
    assert ("Fuzzy comprehensive evaluation (memberships A 0.50; B 0.00; C 0.00; D 0.50): "
            "tied between A, D, so no grade stands out; by the rule's tie-break (the "
            "better grade), A.") in text
    assert "lean" not in text and "differs" not in text


def test_summary_json_has_null_not_nan(tmp_path):
    k, _ = sample()
    nothing = skpi.scorecard(k, targets([("A", "csat_pct", 0.7, "2025-12", 0.8, "2026-12",
                                          {}, 1.0)]))
    path = tmp_path / "a.json"
    _summary_report(nothing).write_summary(path)
    data = _strict(path.read_text())
    assert data["score"] is None and data["grade"] is None and data["capped_by"] == {}
    k, t = sample(fcr=0.80, resolution=40.0)
    _summary_report(skpi.scorecard(k, t, gaps=gaps_of())).write_summary(path)
    data = _strict(path.read_text())
    assert data["score"] == pytest.approx(76) and data["grade"] == "C"
    assert data["grade_uncapped"] == "B" and "Average resolution time" in data["capped_by"]["en"]
    assert "平均解决时长" in data["capped_by"]["zh"]     # the index may be in either
    assert data["status_counts"] == {"on_track": 1, "off_track": 1}


def test_index_and_manifest_never_show_nan():
    from servicekpi.runner import _json_safe, _status_cell

    assert _status_cell({"grade": NAN, "score": NAN, "status_counts": {}}, "en") == {
        "statuses": [], "grade": None, "grade_title": None, "quiet": None}
    cell = _status_cell({"grade": "C", "score": 76.0, "grade_uncapped": "B",
                         "capped_by": "Average resolution time (weight 40%, off track)"}, "en")
    assert cell["grade"] == "grade C (76.0, capped from B)"
    assert cell["grade_title"] == "Average resolution time (weight 40%, off track)"
    # the score as the team's page shows it (floored): 99.88 is not yet 99.9
    assert _status_cell({"grade": "A", "score": 99.88}, "en")["grade"] == "grade A (99.8)"
    cell = _status_cell({"grade": "C", "score": NAN, "grade_uncapped": "B"}, "zh")
    assert cell["grade"] == "等级：合格" and "nan" not in str(cell)
    safe = _json_safe({"summary": {"score": NAN, "grade": NAN, "list": [np.inf, 1.5]}})
    assert json.dumps(safe, allow_nan=False) == ('{"summary": {"score": null, "grade": null, '
                                                 '"list": [null, 1.5]}}')


def test_the_grading_rule_numbers_and_words():
    assert rule_numbers() == {"bands": [("A", 90.0), ("B", 75.0), ("C", 60.0)], "worst": "D",
                              "best": "A", "heavy": 0.25, "cap": "C"}
    assert rule_text("en") == {"bands": "A >= 90, B >= 75, C >= 60, D below", "heavy": "25%",
                               "cap": "C", "best": "A"}
    assert rule_text("zh") == {"bands": "优秀 >= 90，良好 >= 75，合格 >= 60，其余为不合格",
                               "heavy": "25%", "cap": "合格", "best": "优秀"}
    # other bands and shares are stated as they are (grades without words: their codes)
    w = rule_text("en", bands=[("pass", 50), ("fail", 0)], heavy_weight=0.3, cap_grade="pass")
    assert w == {"bands": "pass >= 50, fail below", "heavy": "30%", "cap": "pass",
                 "best": "pass"}
    assert rule_text("zh", cap_grade=None)["cap"] == "–"
    assert DEFAULT_BANDS[2] == ("C", 60.0)
    import sys
    module = sys.modules["servicekpi.scorecard"]
    assert not hasattr(module, "ZH_GRADES") and not hasattr(module, "rule_words")
    source = open(module.__file__, encoding="utf-8").read()
    assert not skpi.i18n.has_cjk(source)            # no Chinese in the analysis


def test_team_scorecard_shows_status_beside_score_and_no_rank():
    k, t = sample(fcr=0.83, resolution=40.0)       # FCR better than target now: 100
    sc = skpi.scorecard(k, t, gaps=gaps_of(fcr="off_track", resolution="at_risk"))
    from servicekpi.report import tables
    from servicekpi.report.sentences import scorecard_summary
    r = _summary_report(sc, gaps_of(fcr="off_track", resolution="at_risk"))
    table = tables.scorecard(r).data
    assert table["progress score"].tolist() == ["100.0", "40.0"]      # fmt_score
    assert table["status"].tolist() == ["off track", "at risk"]
    r.params.language = "zh"
    assert tables.scorecard(r).data["状态"].tolist() == ["偏离目标", "有风险"]
    r.params.language = "en"
    text = scorecard_summary(r)
    assert "Rank" not in text and "rank" not in text
    # 0.6 x 100 + 0.4 x 40 = 76 -> B, capped at C: FCR (60%) off track
    assert "**Composite score 76.0 (weighted progress to target), grade C.**" in text
    assert ("The grade is capped from B: First-contact resolution (weight 60%, off track); "
            "while targets off track or missed carry together 25% or more of the weight "
            "scored, the grade is at most C.") in text
    # the value scored after the deadline shows its period
    k = kpi_rows(series("A", "fcr_rate", "2026-01", [0.74, 0.76, 0.78, 0.80, 0.83, 0.85]))
    t = targets([("A", "fcr_rate", 0.70, "2025-12", 0.80, "2026-03", {}, 1.0)])
    g = skpi.gap_table(k, t, period="2026-06", rule="glide")
    r = _summary_report(skpi.scorecard(k, t, period="2026-06", gaps=g), g)
    row = tables.scorecard(r).data.iloc[0]
    assert row["value"] == "78.0% (2026-03)" and row["status"] == "missed"
    assert row["progress score"] == "80.0"


def test_a_glide_gap_table_is_computed_only_for_the_targets_the_gaps_lack(monkeypatch):
    """The gaps given decide the values scored: no gap table is computed again for
    the targets they have (one for the others only, all of them without gaps)."""
    import sys
    module = sys.modules["servicekpi.scorecard"]     # the module, not its function
    k, t = sample(fcr=0.80, resolution=40.0)
    full = skpi.gap_table(k, t, rule="glide")
    alone = skpi.scorecard(k, t)
    calls = []
    real = module.gap_table

    def counting(kpis, targets, **options):
        calls.append(None if targets is None else list(targets["kpi"]))
        return real(kpis, targets, **options)
    monkeypatch.setattr(module, "gap_table", counting)
    sc = skpi.scorecard(k, t, gaps=full)
    assert calls == []
    cols = ["team", "kpi", "value", "value_period", "score", "weight", "status", "reason"]
    pd.testing.assert_frame_equal(sc.scores[cols], alone.scores[cols])
    assert sc.scores["target_status"].tolist() == list(full["status"])
    skpi.scorecard(k, t, gaps=full[full["kpi"] == "fcr_rate"])
    assert calls == [["avg_resolution_hours"]]
    calls.clear()
    skpi.scorecard(k, t)
    assert calls == [["fcr_rate", "avg_resolution_hours"]]


def test_the_index_tooltip_of_a_capped_grade_is_in_the_index_language():
    """An English index (teams' languages mixed) showed a Chinese team's cap reason in
    Chinese; the summary keeps it in each language, the index takes its own."""
    from servicekpi.runner import _status_cell
    summary = {"grade": "C", "score": 84.3, "grade_uncapped": "B", "language": "zh",
               "capped_by": {"en": "SLA attainment (weight 29%, off track)",
                             "zh": "SLA达成率（权重29%，偏离目标）"}}
    assert _status_cell(summary, "en")["grade_title"] == "SLA attainment (weight 29%, off track)"
    assert _status_cell(summary, "zh")["grade_title"] == "SLA达成率（权重29%，偏离目标）"
    older = {**summary, "capped_by": "SLA达成率（权重29%，偏离目标）"}   # a manifest before
    assert _status_cell(older, "en")["grade_title"] is None
    assert _status_cell(older, "en")["grade"] == "grade C (84.3, capped from B)"
