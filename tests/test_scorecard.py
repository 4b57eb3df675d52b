"""Scoring rules, AHP weights, grades, composite scores and fuzzy evaluation."""
import numpy as np
import pandas as pd
import pytest

import servicekpi as skpi
from analysis_data import kpi_rows, series, targets
from servicekpi.scorecard import score_value


@pytest.mark.parametrize("value,target,sign,rule,expected", [
    (0.76, 0.80, 1, None, 95.0),
    (40, 28, -1, None, 70.0),                                   # lower is better: 28/40
    (0.96, 0.80, 1, None, 100.0),                               # capped
    (0.96, 0.80, 1, {"rule": "attainment", "cap": 120}, 120.0),  # bonus allowed
    (0.70, 0.80, 1, {"rule": "linear", "floor": 0.6}, 50.0),
    (0.50, 0.80, 1, {"rule": "linear", "floor": 0.6}, 0.0),
    (0.90, 0.80, 1, {"rule": "linear", "floor": 0.6}, 100.0),
    (0.90, 0.80, 1, {"rule": "linear", "floor": 0.6, "cap": 150}, 150.0),
    (40, 30, -1, {"rule": "linear", "floor": 50}, 50.0),
    (25, 30, -1, {"rule": "linear", "floor": 50}, 100.0),
    (0.85, 0.9, 1, {"rule": "bands", "bands": [[0.9, 100], [0.8, 80], [0.7, 60]]}, 80.0),
    (0.65, 0.9, 1, {"rule": "bands", "bands": [[0.9, 100], [0.8, 80], [0.7, 60]]}, 0.0),
    (3, 2, -1, {"rule": "bands", "bands": [[2, 100], [4, 70]]}, 70.0),
    (float("nan"), 0.8, 1, None, float("nan")),
])
def test_scoring_rules(value, target, sign, rule, expected):
    got = score_value(value, target, sign, rule)
    assert (np.isnan(got) and np.isnan(expected)) or got == pytest.approx(expected)


def test_bad_rules():
    with pytest.raises(skpi.ConfigError, match="floor"):
        score_value(0.7, 0.8, 1, {"rule": "linear", "floor": 0.9})
    with pytest.raises(skpi.ConfigError, match="unknown scoring rule"):
        score_value(0.7, 0.8, 1, {"rule": "magic"})


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
    assert skpi.grade(score) == en and skpi.grade(score, language="zh") == zh


def test_custom_bands():
    assert skpi.grade(70, bands=[("pass", 50), ("fail", 0)]) == "pass"


def sample():
    k = (series("A", "fcr_rate", "2026-06", [0.76]) +
         series("A", "avg_resolution_hours", "2026-06", [40], rate=False))
    t = targets([("A", "fcr_rate", 0.7, "2025-12", 0.80, "2026-12", {}, 0.6),
                 ("A", "avg_resolution_hours", 45, "2025-12", 28, "2026-12", {}, 0.4)])
    return kpi_rows(k), t


def test_composite_score_and_contributions():
    k, t = sample()
    sc = skpi.scorecard(k, t)
    tot = sc.totals.set_index("team").loc["A"]
    assert tot["score"] == pytest.approx(0.6 * 95 + 0.4 * 70)    # 85
    assert tot["grade"] == "B" and tot["coverage"] == 1.0 and tot["missing"] == ""
    assert sc.scores["contribution"].sum() == pytest.approx(85)
    assert tot["internal_process"] == pytest.approx(85)          # both KPIs internal process
    assert np.isnan(tot["customer"])
    assert skpi.scorecard(k, t, language="zh").totals["grade"].iloc[0] == "良好"


def test_missing_kpi_lowers_coverage_not_score():
    k, t = sample()
    t = pd.concat([t, targets([("A", "csat_pct", 0.7, "2025-12", 0.8, "2026-12", {}, 1.0)])],
                  ignore_index=True)
    sc = skpi.scorecard(k, t)
    tot = sc.totals.iloc[0]
    assert tot["coverage"] == pytest.approx(0.5) and tot["missing"] == "csat_pct"
    assert tot["score"] == pytest.approx(85)
    missing = sc.scores[sc.scores["kpi"] == "csat_pct"].iloc[0]
    assert missing["status"] == "missing" and np.isnan(missing["score"])


def test_given_and_ahp_weights():
    k, t = sample()
    sc = skpi.scorecard(k, t, weights={"fcr_rate": 1, "avg_resolution_hours": 1})
    assert sc.totals["score"].iloc[0] == pytest.approx(82.5) and sc.weights_source == "given"
    ahp = skpi.ahp_weights([[1, 3], [1 / 3, 1]], ["fcr_rate", "avg_resolution_hours"])
    sc = skpi.scorecard(k, t, weights=ahp)
    assert sc.totals["score"].iloc[0] == pytest.approx(0.75 * 95 + 0.25 * 70)
    sc = skpi.scorecard(k, t, rules={"fcr_rate": {"rule": "linear", "floor": 0.6}})
    assert sc.scores.set_index("kpi").loc["fcr_rate", "score"] == pytest.approx(80)
    with pytest.raises(skpi.ConfigError):
        skpi.scorecard(k, t, rules={"nope": {}})


def test_fuzzy_evaluation():
    k, t = sample()
    f = skpi.fuzzy_evaluation(skpi.scorecard(k, t).scores).iloc[0]
    # 95 -> fully A; 70 -> between C (centre 67.5) and B (82.5): C 5/6, B 1/6
    assert f["A"] == pytest.approx(0.6)
    assert f["B"] == pytest.approx(0.4 / 6) and f["C"] == pytest.approx(0.4 * 5 / 6)
    assert f["D"] == pytest.approx(0.0) and f["grade"] == "A"
