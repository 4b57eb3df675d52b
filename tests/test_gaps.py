"""The gap table: every column and every branch of the status rule, by hand.

The status answers one question: will the value *in the deadline period* be at
or better than the target?  While the deadline is ahead it comes from one
simulation to the deadline (or, without enough history, the glide path);
"met" and "missed" only once the deadline period is observed."""
import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats

import servicekpi as skpi
from analysis_data import kpi_rows, series, targets
from servicekpi.report.sections import text
from servicekpi.gaps import RULES, model_name, why
from servicekpi.status import Status

Z = stats.norm.ppf(0.975)


def wilson(p, n, z=Z):
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return centre - half, centre + half


def gap(kpis, tgts, **kw):
    """The gap table with its "why" column in English (:func:`servicekpi.gaps.why`)."""
    g = skpi.gap_table(kpis, tgts, **kw)
    g["why"] = why(g)
    return g


def table(kpis, tgts, **kw):
    return gap(kpi_rows(kpis), targets(tgts), **kw)


def row(kpis, tgts, team, kpi, **kw):
    g = table(kpis, tgts, **kw)
    return g[(g["team"] == team) & (g["kpi"] == kpi)].iloc[0]


FCR_TARGET = ("A", "fcr_rate", 0.70, "2025-12", 0.80, "2026-12")


def test_statuses_are_the_status_codes():
    assert [str(s) for s in Status] == ["met", "missed", "on_track", "at_risk", "off_track",
                                        "insufficient_data"]
    import servicekpi.gaps as gaps
    assert not hasattr(gaps, "STATUSES")        # one list of statuses: servicekpi.status


def test_runner_index_status_words_in_the_index_language():
    """The index lists a team's statuses in Status order, in the index's words."""
    from servicekpi.runner import _status_cell
    counts = {"status_counts": {"off_track": 2, "met": 1}}

    def cells(language):
        return [(s["css_class"], s["count"], s["word"])
                for s in _status_cell(counts, language)["statuses"]]
    assert cells("en") == [("met", 1, "met"), ("off_track", 2, "off track")]
    assert cells("zh") == [("met", 1, "已达成"), ("off_track", 2, "偏离目标")]


def test_report_texts_quote_the_codes_defaults(monkeypatch):
    import importlib
    ensemble = importlib.import_module("servicekpi.ensemble")
    gaps = importlib.import_module("servicekpi.gaps")
    from servicekpi.kpis import MAX_OPEN_SHARE
    en = text("gaps", "en")
    assert "at least 70%, *at risk* from 30% to 70%, *off track* below 30%" in en
    assert "fewer than 20 observations" in en and "95% confidence interval" in en
    assert f"more than {100 * MAX_OPEN_SHARE:g}% of their tickets" in en
    assert "more than 3 periods old" in en
    from servicekpi.report.sections import FILLED
    for key in FILLED:                   # every field of a filled section is filled
        assert "{" not in text(key, "en") + text(key, "zh"), key
    fc = text("forecasts", "en")
    assert "the average of the forecasts of 4 statistical models" in fc
    assert "4个统计模型" in text("forecasts", "zh")
    # the numbers come from the code, not typed in the text
    monkeypatch.setattr(gaps, "THRESHOLDS", (0.25, 0.8))
    monkeypatch.setattr(gaps, "MIN_N", 30)
    monkeypatch.setattr(ensemble, "COMPONENTS", ("theta", "ets", "arima"))
    en = text("gaps", "en")
    assert "at least 80%, *at risk* from 25% to 80%" in en and "fewer than 30 obs" in en
    assert "不低于80%" in text("gaps", "zh")
    assert "the average of the forecasts of 3 statistical models" in text("forecasts", "en")
    assert "1,428 public monthly series" in text("forecasts", "en")



@pytest.mark.parametrize("section, module, name, value, en_before, en_after, zh_after", [
    ("headline", "servicekpi.kpis", "MAX_OPEN_SHARE", 0.1,
     "more than 5% of its tickets", "more than 10% of its tickets", "超过10%的工单"),
    ("achievable", "servicekpi.targets", "PACE_PERIODS", 4,
     "best pace over any 6 periods", "best pace over any 4 periods", "任意4期内"),
    ("control", "servicekpi.diagnostics", "BASELINE", 10,
     "its first 12 periods", "its first 10 periods", "最初10期"),
    ("control", "servicekpi.diagnostics", "SHIFT_RUN", 7,
     "shift, 8 or more points", "shift, 7 or more points", "连续7点或以上"),
])
def test_section_texts_quote_the_constants(monkeypatch, section, module, name, value,
                                           en_before, en_after, zh_after):
    """Each number of a section text is the constant's: change the constant and
    the text (both languages) changes with it."""
    import importlib
    assert en_before in text(section, "en")
    monkeypatch.setattr(importlib.import_module(module), name, value)
    assert en_after in text(section, "en") and en_before not in text(section, "en")
    assert zh_after in text(section, "zh")


@pytest.mark.parametrize("section, constant, value, en_before, en_after, zh_after", [
    ("causes", "TOP_CAUSES", 5, "the top 3 go to", "the top 5 go to", "前5位原因"),
    ("control", "SIGNAL_PERIODS", 4, "those of the last 6 periods",
     "those of the last 4 periods", "最近4期的特殊原因"),
])
def test_section_texts_quote_the_reports_constants(monkeypatch, section, constant, value,
                                                   en_before, en_after, zh_after):
    """How many complaint causes are the top ones, and the recent periods whose
    special causes are listed, are constants of the team report
    (report.team.TOP_CAUSES, SIGNAL_PERIODS): the texts quote them from there."""
    from servicekpi.i18n import note
    from servicekpi.report import team
    assert en_before in text(section, "en")
    monkeypatch.setattr(team, constant, value)
    assert en_after in text(section, "en") and en_before not in text(section, "en")
    assert zh_after in text(section, "zh")
    if constant == "SIGNAL_PERIODS":   # the note shown when there are none says the same
        assert note("no_signals", signal_periods=value) == \
            f"No special causes in the last {value} periods."

# ---------------------------------------------------------------- glide-path rule
def test_on_track_higher_is_better():
    k = series("A", "fcr_rate", "2026-01", [0.71, 0.72, 0.73, 0.74, 0.75, 0.76])
    r = row(k, [FCR_TARGET], "A", "fcr_rate", rule="glide")
    assert r["period"] == pd.Period("2026-06", "M")
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
    assert r["status"] == "on_track" and not r["better_now"]
    assert r["why"] == "glide-path rule: at or ahead of the glide path"
    # the glide rule simulates nothing
    assert np.isnan(r["probability"]) and r["model"] is None


def test_off_track_lower_is_better():
    k = series("A", "avg_resolution_hours", "2026-01", [40, 40, 41, 40, 41, 40], n=400,
               rate=False, sd=5.0)
    r = row(k, [("A", "avg_resolution_hours", 40, "2025-12", 28, "2026-12")],
            "A", "avg_resolution_hours", rule="glide")
    assert r["gap"] == pytest.approx(12) and r["gap_pct"] == pytest.approx(100 * 12 / 28)
    assert r["progress"] == pytest.approx(0.0)
    assert r["attainment"] == pytest.approx(28 / 40)
    assert r["glide_now"] == pytest.approx(34)
    half = stats.t.ppf(0.975, 399) * 5 / 20
    assert (r["ci_low"], r["ci_high"]) == pytest.approx((40 - half, 40 + half))
    assert r["needed_pace"] == pytest.approx(2.0)            # 12 h in 6 periods
    assert r["status"] == "off_track"
    assert "more than the noise" in r["why"]


def test_behind_within_noise_is_at_risk_not_off_track():
    k = series("A", "fcr_rate", "2026-01", [0.74] * 6, n=50)
    r = row(k, [FCR_TARGET], "A", "fcr_rate", rule="glide")
    lo, hi = wilson(0.74, 50)
    assert lo < 0.75 < hi
    assert r["status"] == "at_risk" and "less than the noise" in r["why"]
    # the same shortfall on 50,000 tickets is real: off track
    r = row(series("A", "fcr_rate", "2026-01", [0.74] * 6, n=50000), [FCR_TARGET],
            "A", "fcr_rate", rule="glide")
    assert r["status"] == "off_track"


def test_behind_but_pace_suffices():
    k = series("A", "fcr_rate", "2026-01", [0.655 + 0.015 * i for i in range(6)], n=100000)
    r = row(k, [FCR_TARGET], "A", "fcr_rate", rule="glide")
    assert r["current"] == pytest.approx(0.73) and r["recent_pace"] == pytest.approx(0.015)
    assert r["status"] == "at_risk" and "recent pace would reach" in r["why"]


def test_better_now_is_not_met_before_the_deadline():
    """The old rule called this "met" from the current value; the deadline is
    ten months away.  Two values are too few to forecast: the glide-path rule
    decides, and says so."""
    k = series("B", "csat_pct", "2026-01", [0.65, 0.72])
    g = table(k, [("B", "csat_pct", 0.6, "2025-12", 0.7, "2026-12")])
    r = g.iloc[0]
    assert r["gap"] == pytest.approx(-0.02) and bool(r["better_now"])
    assert r["attainment"] == pytest.approx(0.72 / 0.7)
    assert r["progress"] == pytest.approx(1.2)
    assert r["glide_now"] == pytest.approx(0.6 + 0.1 * 2 / 12)
    assert r["status"] == "on_track"
    assert r["why"] == ("glide-path rule (no forecast: not enough history): at or "
                                "ahead of the glide path")
    assert np.isnan(r["probability"]) and r["model"] is None and r["expected_reached"] is None
    # the (failed) forecast is kept, as every target's simulation is
    assert g.attrs["simulations"][("B", "csat_pct")].status == "not_enough_history"


def test_insufficient_data():
    r = row(series("A", "fcr_rate", "2026-01", [0.9], n=10), [FCR_TARGET], "A", "fcr_rate")
    assert r["status"] == "insufficient_data" and "n = 10" in r["why"]
    # a team with no data for the KPI at all
    k = series("A", "csat_pct", "2026-01", [0.8])
    r = row(k, [FCR_TARGET], "A", "fcr_rate")
    assert r["status"] == "insufficient_data" and "no value" in r["why"]
    assert np.isnan(r["current"]) and not r["better_now"]


def test_a_kpi_the_data_does_not_measure_is_named_so():
    """A target on a KPI no team has a value of in any period (self-service in a Salesforce
    export, whose case origins are Phone, Email and Web; CSAT without a survey column) is
    insufficient data for a reason no wait will remove: the rule says so.  A team with no
    value of a KPI other teams have is the plain "no value"."""
    from pathlib import Path
    t = skpi.load_tickets(Path(__file__).parent / "fixtures" / "exports" / "salesforce.csv",
                          "salesforce")
    k = skpi.compute_kpis(t)
    assert k.loc[k["kpi"] == "self_service_rate", "value"].isna().all()
    tg = targets([("tier_1_support", "self_service_rate", 0.1, "2024-01", 0.2, "2024-12"),
                  ("tier_1_support", "csat_pct", 0.8, "2024-01", 0.9, "2024-12"),
                  ("tier_1_support", "avg_resolution_hours", 30, "2024-01", 20, "2024-12")])
    g = gap(k, tg, period="2024-02").set_index("kpi")     # the export ends on 28 Feb 2024
    assert g["rule"].to_dict() == {"self_service_rate": "not_measured",
                                   "csat_pct": "not_measured",
                                   "avg_resolution_hours": "few"}
    assert (g.loc[["self_service_rate", "csat_pct"], "status"] == "insufficient_data").all()
    assert g.loc["self_service_rate", "why"].startswith(
        "no value for self_service_rate in any period of any team: the data does not "
        "measure it")
    # one team's rows, as a team report passes them: what the data measures is the whole
    # table's, given as `measured`
    mine = k[k["team"] == "tier_1_support"]
    other = kpi_rows(series("tier_2_support", "csat_pct", "2024-01", [0.85], n=40))
    whole = pd.concat([k, other], ignore_index=True)
    g = gap(mine, tg, period="2024-02",
            measured=whole.loc[whole["value"].notna(), "kpi"].unique())
    assert g.set_index("kpi")["rule"].to_dict() == {
        "self_service_rate": "not_measured", "csat_pct": "no_value",
        "avg_resolution_hours": "few"}
    assert why(g).tolist()[1] == "no value for csat_pct at or before 2024-02"
    assert why(g, "zh").tolist()[0].startswith("self_service_rate在任何团队的任何一期都没有数值")


def test_as_of_and_stale_value():
    k = series("A", "fcr_rate", "2026-01", [0.71, 0.72, None, None])
    r = row(k + series("B", "fcr_rate", "2026-04", [0.5]), [FCR_TARGET], "A", "fcr_rate")
    assert r["period"] == pd.Period("2026-04", "M")            # latest period in the table
    assert r["current_period"] == pd.Period("2026-02", "M")   # A's latest value
    r = row(k, [FCR_TARGET], "A", "fcr_rate", period="2026-01")
    assert r["current"] == pytest.approx(0.71)


def test_confidence_interval_kinds_and_level():
    assert all(np.isnan(skpi.confidence_interval(3.0, 10)))     # no numerator, no sd
    lo, hi = skpi.confidence_interval(0.5, 100, numerator=50)
    assert (lo, hi) == pytest.approx(wilson(0.5, 100))
    k = series("A", "fcr_rate", "2026-01", [0.71, 0.72, 0.73, 0.74, 0.75, 0.76])
    g = table(k, [FCR_TARGET], rule="glide", level=0.9)
    assert g.attrs["level"] == 0.9
    z90 = stats.norm.ppf(0.95)
    assert (g.iloc[0]["ci_low"], g.iloc[0]["ci_high"]) == pytest.approx(wilson(0.76, 1000, z90))


def test_a_mean_durations_interval_stops_at_zero():
    """Five tickets, mean 1.9 h, sd 4.5 h: t(4) 97.5% = 2.776, half-width
    2.776 x 4.5 / sqrt(5) = 5.587 h, so the t interval runs from -3.69 h.  A mean
    time cannot be negative: the interval is cut at the catalogue's bound, 0."""
    half = stats.t.ppf(0.975, 4) * 4.5 / np.sqrt(5)
    assert half == pytest.approx(5.587, abs=1e-3)
    assert skpi.confidence_interval(1.9, 5, sd=4.5) == pytest.approx((1.9 - half, 1.9 + half))
    assert skpi.confidence_interval(1.9, 5, sd=4.5, bounds=(0, None)) == pytest.approx(
        (0.0, 1.9 + half))
    assert skpi.confidence_interval(0.9, 5, sd=0.5, bounds=(0, 1))[1] == 1.0
    k = series("A", "avg_resolution_hours", "2026-01", [2.0, 1.9], n=5, rate=False, sd=4.5)
    r = row(k, [("A", "avg_resolution_hours", 2.0, "2025-12", 1.0, "2026-12")],
            "A", "avg_resolution_hours", rule="glide")
    assert (r["ci_low"], r["ci_high"]) == pytest.approx((0.0, 1.9 + half))


# ---------------------------------------------------------------- deadline observed
def test_a_forecast_takes_each_value_with_its_observations():
    """The gap table hands each period's n to the simulation: 24 of 24 met once among
    14 months of 67-91% moves the 80% outlook less than a 99.9% would (see
    test_forecast's test_a_value_at_a_bound_...): its lower end above 40%."""
    values = [0.795, 0.854, 1.0, 0.676, 0.741, 0.721, 0.833, 0.673, 0.711, 0.824, 0.843,
              0.739, 0.738, 0.909]
    n = [39, 41, 24, 37, 27, 43, 30, 49, 38, 34, 51, 46, 42, 33]
    k = [r for v, m, i in zip(values, n, range(14))
         for r in series("A", "sla_attainment", str(pd.Period("2024-01", "M") + i), [v], n=m)]
    r = row(k, [("A", "sla_attainment", 0.78, "2024-12", 0.85, "2025-06")], "A",
            "sla_attainment")
    assert r["status"] in ("at_risk", "off_track") and r["lower_80"] > 0.4


def test_baseline_without_as_the_targets_file_states_it():
    """A targets frame read by pandas has NaN in a blank baseline_without cell: stated
    as nothing left out (""), never the text "nan"; a frame without the column states
    nothing (None: the report asks the data)."""
    k = series("A", "fcr_rate", "2025-10", [0.70, 0.71, 0.72, 0.73])
    t = targets([FCR_TARGET])
    assert row(k, [FCR_TARGET], "A", "fcr_rate")["baseline_without"] is None
    t["baseline_without"] = [np.nan]
    g = gap(kpi_rows(k), t)
    assert g["baseline_without"].tolist() == [""]


DEADLINE_MARCH = ("A", "fcr_rate", 0.70, "2025-12", 0.80, "2026-03")


def test_met_after_the_deadline_from_the_deadline_value():
    # 0.81 in March (the deadline) meets 0.80; today's 0.75 does not change that, and
    # the row is about March's value: current, better now, gap and progress with it
    k = series("A", "fcr_rate", "2026-01", [0.70, 0.72, 0.81, 0.76, 0.75, 0.75])
    g = table(k, [DEADLINE_MARCH])
    r = g.iloc[0]
    assert r["periods_left"] == -3 and np.isnan(r["needed_pace"])
    assert r["status"] == "met" and r["better_now"]
    assert r["deadline_value"] == pytest.approx(0.81) == r["current"]
    assert r["current_period"] == pd.Period("2026-03", "M")
    assert r["gap"] == pytest.approx(-0.01) and np.isnan(r["recent_pace"])   # none asked
    assert r["why"] == "deadline 2026-03 observed: value at or better than the target"
    assert np.isnan(r["probability"]) and g.attrs["simulations"] == {}    # nothing to forecast


def test_missed_within_and_beyond_noise():
    # 0.78 in March on 1,000 tickets: the target 0.80 is inside its 95% Wilson interval
    k = series("A", "fcr_rate", "2026-01", [0.85, 0.85, 0.78, 0.85, 0.85, 0.85])
    lo, hi = wilson(0.78, 1000)
    assert lo < 0.80 < hi
    r = row(k, [DEADLINE_MARCH], "A", "fcr_rate")
    # missed then, and the row says so: today's 0.85 is not what the target was about
    assert r["status"] == "missed" and not r["better_now"] and r["current"] == 0.78
    assert r["why"] == ("deadline 2026-03 observed: value misses the target; the "
                                "shortfall is within the 95% confidence interval of that value")
    # 0.70 on 5,000 tickets: Wilson (0.687, 0.713), well short of 0.80
    k = series("A", "fcr_rate", "2026-01", [0.70] * 6, n=5000)
    assert wilson(0.70, 5000)[1] < 0.80
    r = row(k, [DEADLINE_MARCH], "A", "fcr_rate")
    assert r["status"] == "missed" and "beyond the 95% confidence interval" in r["why"]


def test_deadline_passed_without_a_deadline_value():
    k = series("A", "fcr_rate", "2026-01", [0.70, 0.72, None, 0.76])
    r = row(k, [DEADLINE_MARCH], "A", "fcr_rate")
    assert r["status"] == "insufficient_data"
    assert r["why"] == ("deadline 2026-03 has passed but has no value for "
                                "fcr_rate: neither met nor missed can be said")
    # a deadline value on too few observations decides nothing either
    k = series("A", "fcr_rate", "2026-03", [0.9, 0.9], n=10)
    r = row(k, [DEADLINE_MARCH], "A", "fcr_rate")
    assert r["status"] == "insufficient_data" and "n = 10" in r["why"]


# ---------------------------------------------------------------- status from the deadline
# A lower-is-better KPI with a strong season: low in October, peak in December.
SEASON = {1: 0.3, 2: 0.1, 3: 0.0, 4: -0.1, 5: -0.2, 6: -0.3, 7: -0.3, 8: -0.2, 9: -0.1,
          10: -0.4, 11: 0.1, 12: 0.6}


def seasonal_kpis():
    idx = pd.period_range("2022-01", "2026-10", freq="M")
    noise = np.random.default_rng(5).normal(0, 0.03, len(idx))
    values = [4.0 + SEASON[p.month] + e for p, e in zip(idx, noise)]
    return series("A", "avg_first_response_hours", "2022-01", values, n=500, rate=False,
                  sd=1.0)


DECEMBER = ("A", "avg_first_response_hours", 4.0, "2025-12", 3.8, "2026-12")


@pytest.fixture(scope="module")
def december():
    return table(seasonal_kpis(), [DECEMBER])


def test_better_now_but_forecast_to_miss_at_a_seasonal_peak_is_not_met(december):
    """October is the seasonal low (3.6 h), December the peak (4.6 h): against
    3.8 h by December the KPI is better than the target now, and will miss it."""
    r = december.iloc[0]
    assert r["current_period"] == pd.Period("2026-10", "M") and r["current"] < 3.7
    assert bool(r["better_now"]) and r["gap"] < 0
    assert r["status"] == "off_track"
    assert r["probability"] < 0.05
    assert r["forecast_at_deadline"] > 4.4 and r["lower_95"] > 3.8
    assert r["expected_reached"] is None                     # not by the deadline
    assert r["why"].startswith(f"forecast ({model_name(r['model'])}): P(the 2026-12 value meets "
                                       "the target) = ")
    assert r["why"].endswith("< 30%; better than the target now")
    # the glide path alone would have called it on track
    assert row(seasonal_kpis(), [DECEMBER], "A", "avg_first_response_hours",
               rule="glide")["status"] == "on_track"
    # once October itself is the deadline, the observed October value decides: met
    october = ("A", "avg_first_response_hours", 4.0, "2025-12", 3.8, "2026-10")
    assert row(seasonal_kpis(), [october], "A", "avg_first_response_hours")["status"] == "met"


def test_status_probability_and_intervals_come_from_one_simulation():
    target = ("A", "avg_first_response_hours", 4.0, "2025-12", 3.8, "2027-10")
    g = table(seasonal_kpis(), [target])
    r = g.iloc[0]
    sim = g.attrs["simulations"][("A", "avg_first_response_hours")]
    assert sim.index[0] == pd.Period("2026-11", "M") and sim.index[-1] == pd.Period("2027-10")
    at = sim.paths[-1]                                      # the deadline period, every path
    assert r["probability"] == np.mean(at <= 3.8)
    assert r["forecast_at_deadline"] == np.median(at)
    assert (r["lower_80"], r["upper_80"]) == (np.percentile(at, 10), np.percentile(at, 90))
    assert (r["lower_95"], r["upper_95"]) == (np.percentile(at, 2.5), np.percentile(at, 97.5))
    assert r["model"] == sim.model and f"forecast ({model_name(sim.model)})" in r["why"]
    assert r["expected_reached"] == sim.expected_reached(3.8, "lower")
    # October is the seasonal low (3.6 h): next October is likely to meet 3.8 h.  The
    # expected path meets it now (3.6), misses from November (4.1) to September
    # (3.9), meets again in October: expected reached = the deadline itself
    assert r["status"] == "on_track" and r["probability"] >= 0.7
    assert r["expected_reached"] == pd.Period("2027-10", "M")
    # derived frames share the simulations, not copies
    assert g[g["status"] == "on_track"].attrs["simulations"][("A", "avg_first_response_hours")] \
        is sim


def test_deterministic(december):
    a, b = december, table(seasonal_kpis(), [DECEMBER])
    pd.testing.assert_frame_equal(a, b)
    key = ("A", "avg_first_response_hours")
    assert np.array_equal(a.attrs["simulations"][key].paths, b.attrs["simulations"][key].paths)
    # the combination's paths are quantiles: no random draws, the seed changes nothing
    assert a.attrs["simulations"][key].model == "combination"
    c = table(seasonal_kpis(), [DECEMBER], forecast_options={"seed": 3})
    assert np.array_equal(a.attrs["simulations"][key].paths, c.attrs["simulations"][key].paths)
    # a simulated model's paths are seeded draws
    one, two = (table(seasonal_kpis(), [DECEMBER], forecast_options={"seed": seed,
                                                                      "method": "select"})
                for seed in (0, 3))
    assert one.attrs["simulations"][key].model == two.attrs["simulations"][key].model
    assert not np.array_equal(one.attrs["simulations"][key].paths,
                              two.attrs["simulations"][key].paths)


def test_incomplete_duration_periods_are_left_out():
    k = kpi_rows(series("A", "avg_resolution_hours", "2026-01", [40, 40, 41, 40, 41, 30],
                        n=400, rate=False, sd=5.0))
    k["open_share"] = [0.0, 0.0, 0.01, 0.0, 0.02, 0.30]     # June: 30% still open
    t = targets([("A", "avg_resolution_hours", 40, "2025-12", 35, "2026-12")])
    r = gap(k, t, rule="glide").iloc[0]
    assert r["period"] == pd.Period("2026-06", "M")
    assert r["current_period"] == pd.Period("2026-05", "M") and r["current"] == 41
    assert "2026-06 left out: incomplete" in r["why"]
    # a looser threshold keeps June (and its too-good 30 h)
    r = gap(k, t, rule="glide", max_open_share=0.5).iloc[0]
    assert r["current"] == 30 and "left out" not in r["why"]


def durations(values, open_share, start="2025-11"):
    """Average resolution hours from ``start``, 400 tickets a month, sd 5 h."""
    k = kpi_rows(series("A", "avg_resolution_hours", start, values, n=400, rate=False,
                        sd=5.0))
    k["open_share"] = open_share
    return k


# months 2025-11 .. 2026-10; August to October still have tickets open
OPEN = [0.0] * 9 + [0.27, 0.40, 0.60]


@pytest.mark.parametrize("level, status, p", [(100.0, "on_track", 1.0),
                                               (120.0, "off_track", 0.0)])
def test_incomplete_deadline_period_is_not_over_yet(level, status, p):
    """The deadline (August) has passed but 27% of its tickets are still open: its
    101 h reads too low (the slowest tickets are missing).  Neither met nor
    "insufficient data": the status comes from one simulation from July, the
    last assessable period, to August.  A constant history simulates flat paths,
    so P(August meets 110 h) is 1 at 100 h and 0 at 120 h."""
    k = durations([level] * 9 + [101.0, 90.0, 80.0], OPEN)
    t = targets([("A", "avg_resolution_hours", 130, "2025-12", 110, "2026-08")])
    g = gap(k, t)
    r = g.iloc[0]
    assert r["period"] == pd.Period("2026-10", "M") and r["periods_left"] == -2
    assert r["current_period"] == pd.Period("2026-07", "M") and r["current"] == level
    assert r["status"] == status and r["probability"] == p
    assert np.isnan(r["deadline_value"])                 # August's 101 h is not used
    sim = g.attrs["simulations"][("A", "avg_resolution_hours")]
    assert sim.history.index[-1] == pd.Period("2026-07", "M")
    assert list(sim.index) == [pd.Period("2026-08", "M")]        # one simulation, to August
    assert r["model"] == sim.model == "constant"
    assert r["why"] == (
        "deadline period 2026-08 not yet complete (27% of tickets still open): status from "
        f"the forecast; forecast (constant): P(the 2026-08 value meets the target) = "
        f"{'100% >= 70%' if p else '0% < 30%'} (on 9 periods of history)"
        f"{'; better than the target now' if p else ''} "
        "(2026-08, 2026-09, 2026-10 left out: incomplete, too many tickets still open)")
    # once August has closed (1% open), its observed value decides
    closed = durations([level] * 9 + [101.0, 90.0, 80.0], [0.0] * 9 + [0.01, 0.40, 0.60])
    r = gap(closed, t).iloc[0]
    assert r["status"] == "met" and r["deadline_value"] == 101.0


def test_incomplete_deadline_period_is_forecast_above_what_its_tickets_took():
    """August (the deadline, 27% still open) reads 101 h so far, and its tickets
    have taken at least 103.5 h on average (each open one at its age): August can
    only end at 103.5 h or more.  The history (about 100 h) puts 94% of the paths
    at or below the target, 104 h: read alone, on track.  Given the bound only the
    paths at 103.5 h or more are August's, and few of them are at or below 104 h:
    off track; the forecast and its interval at the deadline are at least 103.5 h,
    and the fan chart draws those paths.  (A bound above 104 h decides a miss
    outright: test_censored.)"""
    values = list(100 + 2 * np.random.default_rng(3).standard_normal(9)) + [101.0, 90.0, 80.0]
    k = durations(values, OPEN)
    t = targets([("A", "avg_resolution_hours", 130, "2025-12", 104, "2026-08")])
    alone = gap(k, t).iloc[0]
    assert alone["status"] == "on_track" and alone["forecast_at_deadline"] < 104
    unbound = skpi.gap_table(k, t).attrs["simulations"][("A", "avg_resolution_hours")]
    k["at_least"] = np.where(k["period"] == pd.Period("2026-08", "M"), 103.5, np.nan)
    g = gap(k, t)
    r = g.iloc[0]
    sim = g.attrs["simulations"][("A", "avg_resolution_hours")]
    assert r["deadline_floor"] == 103.5 and r["deadline_pending"]
    above = unbound.paths[-1] >= 103.5
    assert sim.paths.shape[1] == above.sum() and (sim.paths[-1] >= 103.5).all()
    assert r["probability"] == pytest.approx(np.mean(unbound.paths[-1][above] <= 104))
    assert r["probability"] < 0.3 and r["status"] == "off_track"
    assert r["forecast_at_deadline"] >= 103.5 and r["lower_95"] >= 103.5
    assert r["why"].startswith(
        "deadline period 2026-08 not yet complete (27% of tickets still open): status from "
        "the forecast, given what its tickets have taken so far (those still open counted "
        "at their age: the value can only be higher); forecast (")
    # a bound below every path changes nothing; one above every path raises them to it
    assert unbound.at_least(pd.Period("2026-08", "M"), 0.0).paths.shape == unbound.paths.shape
    top = unbound.at_least(pd.Period("2026-08", "M"), unbound.paths[-1].max() + 1)
    assert (top.paths[-1] == unbound.paths[-1].max() + 1).all()


def test_incomplete_deadline_period_of_a_noisy_series_reads_one_simulation():
    values = list(100 + 4 * np.random.default_rng(2).standard_normal(9)) + [101.0, 90.0, 80.0]
    g = gap(durations(values, OPEN),
                       targets([("A", "avg_resolution_hours", 130, "2025-12", 104, "2026-08")]))
    r = g.iloc[0]
    sim = g.attrs["simulations"][("A", "avg_resolution_hours")]
    assert list(sim.index) == [pd.Period("2026-08", "M")]
    assert r["probability"] == np.mean(sim.paths[-1] <= 104)
    assert r["status"] in ("on_track", "at_risk", "off_track")
    assert r["why"].startswith("deadline period 2026-08 not yet complete (27% of "
                                       f"tickets still open): status from the forecast; "
                                       f"forecast ({model_name(sim.model)}): P(the "
                                       "2026-08 value")


def test_stale_current_value_is_insufficient_data():
    """Resolution times from June on never close: the latest assessable value is
    May's, five periods before October, too old to forecast December from."""
    open_share = [0.0] * 7 + [0.3, 0.4, 0.5, 0.6, 0.7]
    k = durations([100.0] * 12, open_share)
    t = targets([("A", "avg_resolution_hours", 130, "2025-12", 110, "2026-12")])
    g = gap(k, t)
    r = g.iloc[0]
    assert r["current_period"] == pd.Period("2026-05", "M")
    assert r["status"] == "insufficient_data" and np.isnan(r["probability"])
    assert g.attrs["simulations"] == {}
    assert r["why"] == (
        "the latest assessable value is from 2026-05, 5 periods before 2026-10 (more than "
        "3): too old to assess or forecast from (2026-06, 2026-07, 2026-08 +2 more left out: "
        "incomplete, too many tickets still open)")
    # the glide rule does not assess from it either
    assert gap(k, t, rule="glide").iloc[0]["status"] == "insufficient_data"
    # allowed to be five periods old, it drives the forecast (flat paths: P = 1)
    r = gap(k, t, max_stale=5).iloc[0]
    assert r["status"] == "on_track" and r["probability"] == 1.0
    # three periods old is not stale: as of August the forecast decides
    r = gap(k, t, period="2026-08").iloc[0]
    assert r["status"] == "on_track"
    assert r["why"].endswith("(2026-06, 2026-07, 2026-08 left out: incomplete, too "
                                     "many tickets still open)")


def test_why_in_chinese_and_every_rule_has_words():
    k = series("A", "fcr_rate", "2026-01", [0.70, 0.72, 0.81, 0.76, 0.75, 0.75])
    g = table(k, [DEADLINE_MARCH])
    assert g["rule"].iloc[0] == "deadline_met"
    assert why(g, "zh").iloc[0] == "截止期2026-03已观测：数值达到或优于目标"
    g = table(series("A", "fcr_rate", "2026-01", [0.9], n=10), [FCR_TARGET])
    assert g["rule"].iloc[0] == "few" and why(g, "zh").iloc[0] == "仅有10个观测，少于最低要求的20个"
    g = table(series("B", "csat_pct", "2026-01", [0.65, 0.72]),
              [("B", "csat_pct", 0.6, "2025-12", 0.7, "2026-12")])
    assert g["rule"].iloc[0] == "glide_ahead" and g["no_forecast"].iloc[0] == "not_enough_history"
    assert why(g, "zh").iloc[0] == "按目标路径判定（无法预测：历史数据不足）：达到或领先于目标路径"
    from servicekpi.i18n import catalogue
    for lang in ("en", "zh"):
        words = catalogue(lang)
        assert all(f"analysis.gaps.why.{code}" in words for code in RULES)
        assert all(f"analysis.forecast.status.{code}" in words
                   for code in ("ok", "constant", "not_enough_history", "deadline_reached",
                                "no_value_at_deadline"))


def test_left_out_periods_named_in_chinese():
    open_share = [0.0] * 7 + [0.3, 0.4, 0.5, 0.6, 0.7]
    g = gap(durations([100.0] * 12, open_share),
            targets([("A", "avg_resolution_hours", 130, "2025-12", 110, "2026-12")]))
    assert g["left_out"].iloc[0] == tuple(pd.period_range("2026-06", "2026-10", freq="M"))
    assert why(g, "zh").iloc[0] == (
        "最新的可评估数值来自2026-05，比2026-10早5期（超过3期）：过于陈旧，无法据此评估或预测"
        "（2026-06、2026-07、2026-08等，另有2期未纳入：期间不完整，过多工单仍未关闭）")


def test_the_period_assessed_is_keyword_only():
    k = kpi_rows(series("A", "fcr_rate", "2026-01", [0.7, 0.71]))
    with pytest.raises(TypeError):
        skpi.gap_table(k, targets([FCR_TARGET]), "2026-01")
    assert skpi.gap_table(k, targets([FCR_TARGET]), period="2026-01",
                          rule="glide")["period"].iloc[0] == pd.Period("2026-01", "M")


def test_empty_and_invalid():
    g = skpi.gap_table(None, None)
    assert g.empty and {"status", "better_now", "probability", "lower_95",
                        "expected_reached", "model"} <= set(g.columns)
    assert g.attrs["simulations"] == {}
    k = kpi_rows(series("A", "fcr_rate", "2026-01", [0.7]))
    with pytest.raises(ValueError):
        gap(k, targets([FCR_TARGET]), rule="tea leaves")
    with pytest.raises(ValueError):
        gap(k, targets([FCR_TARGET]), thresholds=(0.8, 0.2))


def test_a_target_of_a_team_the_table_lacks_says_so():
    """Targets of another export (team 'phone' in a table of teams A and B): the
    row is insufficient data, and its why names the team and the table's teams,
    not 'no value for fcr_rate', which reads as a data shortage."""
    k = kpi_rows(series("A", "fcr_rate", "2026-01", [0.7, 0.72, 0.71, 0.73])
                 + series("B", "fcr_rate", "2026-01", [0.6, 0.6, 0.6, 0.6]))
    t = targets([("phone", "fcr_rate", 0.7, "2025-12", 0.8, "2026-12"),
                 ("A", "fcr_rate", 0.7, "2025-12", 0.8, "2026-12")])
    g = gap(k, t)
    assert g["status"].tolist()[0] == "insufficient_data" and g["rule"].iloc[0] == "unknown_team"
    assert g["why"].iloc[0] == ("team 'phone' has no row in the KPI table (its teams: A, B): "
                                "a targets file of another export, or the team written another "
                                "way?")
    assert g["rule"].iloc[1] != "unknown_team"
    assert why(g, "zh").iloc[0].startswith("KPI 表中没有团队「phone」的任何一行（表中的团队：A, B）")


def test_a_forecast_counts_only_the_values_observed_and_says_what_it_rests_on():
    """FCR observed in 2025-03, 2025-11 and 2025-12 only: three values, below the
    four a forecast needs, however many months lie between (filled, they counted
    as ten).  With a fourth value the forecast is made, and its why says it rests
    on 4 periods of history with 6 missing filled in; 24 months without a gap say
    nothing more."""
    from servicekpi.forecast import MIN_POINTS, simulate
    gappy = pd.Series([0.6, 0.62, 0.63], index=pd.PeriodIndex(["2025-03", "2025-11", "2025-12"],
                                                               freq="M"))
    sim = simulate(gappy, 6, bounds=(0, 1))
    assert MIN_POINTS == 4 and sim.status == "not_enough_history" and len(sim.filled) == 7
    k = kpi_rows([("A", p, "fcr_rate", v, 400, v * 400) for p, v in
                  (("2025-03", 0.6), ("2025-05", 0.61), ("2025-11", 0.62), ("2025-12", 0.63))])
    r = gap(k, targets([("A", "fcr_rate", 0.6, "2025-03", 0.7, "2026-06")])).iloc[0]
    assert r["rule"] == "forecast" and (r["history"], r["filled"]) == (4, 6)
    assert r["why"].endswith(" (on 4 values observed, 6 missing periods between them filled "
                             "in)")
    long = kpi_rows(series("A", "fcr_rate", "2024-01", list(0.6 + 0.002 * np.arange(24)),
                           n=400))
    r = gap(long, targets([("A", "fcr_rate", 0.6, "2024-03", 0.7, "2026-06")])).iloc[0]
    assert r["history"] == 24 and "periods of history" not in r["why"]
    assert why(gap(k, targets([("A", "fcr_rate", 0.6, "2025-03", 0.7, "2026-06")])),
               "zh").iloc[0].endswith("（基于4个实际观测值，其间缺失的6期按插值补齐）")


def test_a_level_written_as_a_percentage_is_refused():
    """level=95 gave NaN intervals beside statuses that still showed; a level is a
    fraction everywhere (forecast levels, thresholds)."""
    k = kpi_rows(series("A", "fcr_rate", "2026-01", [0.7, 0.72, 0.71, 0.73]))
    t = targets([("A", "fcr_rate", 0.7, "2025-12", 0.8, "2026-12")])
    for call in (lambda: skpi.gap_table(k, t, level=95),
                 lambda: skpi.confidence_interval(0.8, 100, numerator=80, level=95),
                 lambda: skpi.confidence_interval(0.8, 100, numerator=80, level=0)):
        with pytest.raises(skpi.InvalidArgument, match=r"level must be a fraction between 0 "
                                                       r"and 1 \(0.95 for 95%\)"):
            call()
    lo, hi = skpi.confidence_interval(0.8, 100, numerator=80, level=0.95)
    assert lo == pytest.approx(0.7112, abs=1e-4) and hi == pytest.approx(0.8666, abs=1e-4)


def test_no_floor_for_a_period_the_export_ends_inside_nor_a_why_the_glide_rule_made():
    """The deadline is the partial period (assessed as asked): tickets not created
    yet may lower its mean, so its 'at least' bounds nothing and the forecast
    reads every path.  A pending deadline decided by the glide rule (too short a
    history to forecast) does not say the forecast read the floor."""
    values = list(100 + 2 * np.random.default_rng(3).standard_normal(9)) + [101.0, 90.0, 80.0]
    k = durations(values, OPEN)
    k["at_least"] = np.where(k["period"] == pd.Period("2026-08", "M"), 103.5, np.nan)
    t = targets([("A", "avg_resolution_hours", 130, "2025-12", 104, "2026-08")])
    k.attrs["partial"] = "2026-08"
    r = gap(k, t, period="2026-08").iloc[0]
    assert np.isnan(r["deadline_floor"]) and "given what its tickets" not in r["why"]
    short = durations([100.0, 101.0, 99.0, 105.0], [0.0, 0.0, 0.0, 0.3], start="2026-05")
    short["at_least"] = [np.nan, np.nan, np.nan, 103.5]
    r = gap(short, targets([("A", "avg_resolution_hours", 130, "2025-12", 104, "2026-08")])
            ).iloc[0]
    assert r["deadline_pending"] and r["no_forecast"] == "not_enough_history"
    assert r["rule"].startswith("glide") and "given what its tickets" not in r["why"]
