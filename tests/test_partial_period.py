"""Partial periods: a last period the export covers only partly is flagged in
trends and tables and left out of every assessment, unless
include_partial_period.  Every expected value is worked out by hand below."""
import datetime as dt
import shutil

import numpy as np
import pandas as pd
import pytest

from conftest import HEADER, write_csv
from servicekpi.i18n import partial_label
from servicekpi.periods import coverage_end, last_day, partial_period

M = pd.Period("2024-10", "M")


# ------------------------------------------------------------------ the pure functions
@pytest.mark.parametrize("as_of, period, last, expected", [
    # month: October ends 2024-10-31 23:59:59
    ("2024-10-31 23:59:59", "month", "2024-10", None),
    ("2024-10-31 23:59:58", "month", "2024-10", "2024-10"),
    ("2024-10-13 16:00", "month", "2024-10", "2024-10"),
    ("2024-11-01 00:00:00", "month", "2024-10", None),        # the next period's first second
    ("2024-11-01 00:00:00", "month", "2024-11", "2024-11"),   # ... is partial itself
    ("2024-10-31T23:59:59+08:00", "month", "2024-10", None),  # wall-clock time
    # ISO week 2024-W42: Monday 14 to Sunday 20 October
    ("2024-10-20 23:59:59", "week", "2024-W42", None),
    ("2024-10-20 23:59:58", "week", "2024-W42", "2024-W42"),
    ("2024-10-21 00:00:00", "week", "2024-W42", None),
    ("2024-10-21 00:00:00", "week", "2024-W43", "2024-W43"),
    # quarter: 2024Q3 ends 30 September
    ("2024-09-30 23:59:59", "quarter", "2024Q3", None),
    ("2024-09-30 12:00:00", "quarter", "2024Q3", "2024Q3"),
    ("2024-10-01 00:00:00", "quarter", "2024Q3", None),
    ("2024-10-01 00:00:00", "quarter", "2024Q4", "2024Q4"),
])
def test_partial_period_edges(as_of, period, last, expected):
    from servicekpi.periods import parse_period
    got = partial_period(as_of, period, last)
    assert got == (None if expected is None else parse_period(expected, period))


def test_partial_period_without_an_as_of_or_a_period():
    assert partial_period(None, "month", "2024-10") is None
    assert partial_period("2024-10-13", "month", None) is None


def test_coverage_end_declared_or_inferred():
    # declared: exact; inferred from the latest timestamp: to the end of its day
    assert coverage_end("2024-10-13 16:00") == pd.Timestamp("2024-10-13 16:00")
    end = coverage_end("2024-10-31 21:58:28", declared=False)
    assert end == pd.Timestamp("2024-10-31 23:59:59.999999999")
    assert partial_period(end, "month", "2024-10") is None
    assert partial_period(coverage_end("2024-10-13 16:00", declared=False), "month",
                          "2024-10") == M
    assert coverage_end(None) is None


def test_last_day_and_labels():
    assert last_day(pd.Timestamp("2024-10-13 16:00")) == dt.date(2024, 10, 13)
    assert last_day(pd.Timestamp("2024-10-14 00:00")) == dt.date(2024, 10, 13)   # midnight
    assert partial_label("2024-10", dt.date(2024, 10, 13)) == "2024-10 (partial, to 13 Oct)"
    assert partial_label("2024-10", dt.date(2024, 10, 13), "zh") == "2024-10（不完整，截至10月13日）"


# ------------------------------------------------------------------ a team report
# Team A: July 4 tickets (CSAT 5 4 4 3, mean 4.0), August 6 (3 3 3 3 4 5, mean 3.5),
# September 4 (5 5 4 4, mean 4.5), October 2 (1 2, mean 1.5) up to 13 October 16:00,
# the export's latest timestamp: October is partial ("to 13 Oct").
# Team B: one ticket a month, CSAT 3.
CSAT = {"A": {"2024-07": [5, 4, 4, 3], "2024-08": [3, 3, 3, 3, 4, 5],
              "2024-09": [5, 5, 4, 4], "2024-10": [1, 2]},
        "B": {m: [3] for m in ("2024-07", "2024-08", "2024-09", "2024-10")}}
TARGETS = ("team,kpi,baseline,baseline_period,target,deadline\n"
           "a,csat_score,3.5,2024-06,4.5,2024-12\n")
BENCHMARKS = ("kpi,benchmark,value,source,as_of\n"
              "csat_score,industry_median,4.0,Survey of service desks,2024-06-30\n")


def _rows():
    rows, i = [], 0
    for team, months in CSAT.items():
        for month, scores in months.items():
            for j, score in enumerate(scores):
                i += 1
                day = 13 if (team == "A" and month == "2024-10" and j == 1) else 2 + 2 * j
                hour = "16:00" if day == 13 else "10:00"
                fields = [str(i), team, f"{month}-{day:02d} {hour}"] + [""] * 10 + [
                    str(score), "", "", ""]
                rows.append(",".join(fields))
    return rows


@pytest.fixture
def inputs(tmp_path):
    assert len(HEADER.split(",")) == 17
    tickets = write_csv(tmp_path / "tickets.csv", _rows())
    targets = tmp_path / "targets.csv"
    targets.write_text(TARGETS)
    bench = tmp_path / "benchmarks.csv"
    bench.write_text(BENCHMARKS)
    return tickets, targets, bench


def _report(inputs, **extra):
    from servicekpi.report import TeamReport
    tickets, targets, bench = inputs
    return TeamReport.load(team="a", tickets=str(tickets), targets=str(targets),
                           benchmarks=str(bench), kpi_list=["volume", "csat_score"], **extra)


def test_last_month_half_covered_is_flagged_and_left_out(inputs):
    from servicekpi.report import sections, tables
    from servicekpi.report.sentences import partial_note
    from servicekpi.scorecard import unscored_reason
    r = _report(inputs)
    assert r.name == "A"                                   # the export's name
    assert r.partial == M and r.period == pd.Period("2024-09", "M")
    assert r.assessed_periods == list(pd.period_range("2024-07", "2024-09", freq="M"))
    # headline: September against August, average of July-September
    h = r.headline().set_index("kpi")
    assert h.loc["volume", ["latest", "previous", "change"]].tolist() == [4, 6, -2]
    assert h.loc["volume", "average"] == pytest.approx(14 / 3)
    assert h.loc["csat_score", ["latest", "previous", "change"]].tolist() == [4.5, 3.5, 1.0]
    assert h.loc["csat_score", "average"] == pytest.approx(4.0)
    assert h.loc["csat_score", "n"] == 4
    head = tables.headline(r).to_html()
    assert ">2024-09<" in head and ">2024-08<" in head and "average of 3" in head
    assert "2024-10 (partial, to 13 Oct) is left out" in head
    # the gap table assesses September: glide path 3.5 + 3/6 x (4.5 - 3.5) = 4.0
    g = r.gaps().iloc[0]
    assert g["period"] == pd.Period("2024-09", "M") and g["current_period"] == g["period"]
    assert g["current"] == 4.5 and g["glide_now"] == pytest.approx(4.0)
    assert g["status"] == "insufficient_data"               # n = 4 < 20
    # scores, benchmarks and forecasts: September too
    sc = r.scorecard().scores.iloc[0]
    assert sc["period"] == pd.Period("2024-09", "M") and sc["value"] == 4.5
    # insufficient data in the gap table: shown, not scored (n = 4 < 20)
    assert np.isnan(sc["score"])
    assert "n = 4, below the minimum" in unscored_reason(sc, gaps=r.gaps())
    b = r.benchmark_rows()
    assert (b["period"] == pd.Period("2024-09", "M")).all()
    b = b[b["kpi"] == "csat_score"]
    # September's 4.5 on n = 4 answers: shown, compared with nothing (below 20)
    assert b[["value", "n", "position"]].values.tolist() == [[4.5, 4, "few"]]
    s = r.series("csat_score")
    assert s.index[-1] == pd.Period("2024-09", "M") and s.tolist() == [4.0, 3.5, 4.5]
    # the trend shows October, flagged
    trend = tables.trend(r).to_html()
    for col in ("2024-07", "2024-08", "2024-09", "2024-10 (partial, to 13 Oct)"):
        assert f">{col}<" in trend
    assert "1.50" in trend or "1.5" in trend                  # October's CSAT, shown
    note = partial_note(r)
    assert note.startswith("2024-10 is partial: the export runs to 13 Oct 2024.")
    assert "which use 2024-09" in note
    assert sections.items(r, "summary")[0] == note


def test_partial_period_used_as_full_on_request(inputs):
    from servicekpi.report import tables
    from servicekpi.report.sentences import partial_note
    from servicekpi.scorecard import unscored_reason
    r = _report(inputs, include_partial_period=True)
    assert r.partial == M and r.period == M
    h = r.headline().set_index("kpi")
    assert h.loc["volume", ["latest", "previous", "change"]].tolist() == [2, 4, -2]
    assert h.loc["volume", "average"] == pytest.approx(4.0)        # (4 + 6 + 4 + 2) / 4
    assert h.loc["csat_score", "change"] == pytest.approx(-3.0)     # 1.5 - 4.5
    g = r.gaps().iloc[0]
    assert g["period"] == M and g["current"] == 1.5
    assert g["glide_now"] == pytest.approx(3.5 + 4 / 6)
    # October's 1.5 is the value scored, but rests on n = 2 < 20: not scored, as the gap
    # table's insufficient data
    sc = r.scorecard().scores.iloc[0]
    assert sc["value"] == 1.5 and np.isnan(sc["score"])
    assert "n = 2, below the minimum" in unscored_reason(sc, gaps=r.gaps())
    assert "is assessed as a full period" in partial_note(r)
    assert "(partial, to 13 Oct)" in tables.trend(r).to_html()      # still flagged


def test_declared_as_of_at_the_end_of_the_month_makes_it_complete(inputs):
    from servicekpi.report import tables
    from servicekpi.report.sentences import partial_note
    r = _report(inputs, as_of="2024-10-31 23:59:59")
    assert r.partial is None and r.period == M and partial_note(r) is None
    assert "partial" not in tables.trend(r).to_html()
    r = _report(inputs, as_of="2024-10-31 23:59:58")
    assert r.partial == M and "to 31 Oct" in tables.period_label(r, M)


def test_chinese_partial_flag(inputs):
    from servicekpi.report import tables
    from servicekpi.report.sentences import partial_note
    r = _report(inputs, language="zh")
    assert ">2024-10（不完整，截至10月13日）<" in tables.trend(r).to_html()
    assert partial_note(r).startswith("2024-10数据不完整：数据截至2024年10月13日。")


def params_folder(root, defaults: str, teams: dict[str, str]):
    """A params/ folder under ``root``: the project's catalogue, ``defaults``
    (plus the catalogue's name) and one file per team."""
    from servicekpi.config import CATALOGUE
    p = root / "params"
    (p / "teams").mkdir(parents=True)
    shutil.copy(CATALOGUE, p / "catalogue.yaml")
    (p / "defaults.yaml").write_text(defaults + "catalogue: catalogue.yaml\n")
    for team, text in teams.items():
        (p / "teams" / f"{team}.yaml").write_text(text)
    return p


def test_overview_leaves_the_partial_period_out(inputs, tmp_path):
    from servicekpi.report import OverviewReport
    tickets, targets, _ = inputs
    p = params_folder(tmp_path, f"tickets: {tickets}\ntargets: {targets}\n",
                      {"a": "team: a\n", "b": "team: b\ndisplay_name: Team B\n"})
    o = OverviewReport.load(p)
    assert o.periods("a") == {"last": M, "partial": M, "assessed": pd.Period("2024-09", "M")}
    g = o.gaps().iloc[0]
    assert g["team"] == "a" and g["period"] == pd.Period("2024-09", "M") and g["current"] == 4.5
    head = o.header()
    assert "**Period:** 2024-09" in head
    assert "Partial last periods, left out of statuses and scores: 2024-10 (partial, to 13 Oct): every team." in head
    # peers are not compared on 4 and 1 answers (below 20 observations): no ranking
    m = o.peer_matrix()
    assert m.shape[1] == 0
    assert "on at least 20 observations each" in str(o.peer_figure())


def test_trend_figure_draws_the_partial_point_hollow(inputs):
    from servicekpi.report import figures
    r = _report(inputs)
    fig = figures.trends(r)
    csat = next(ax for ax in fig.axes if ax.get_title(loc="left").startswith("CSAT (mean"))
    hollow = [ln for ln in csat.get_lines() if ln.get_label() == "2024-10 (partial, to 13 Oct)"]
    assert len(hollow) == 1 and hollow[0].get_markerfacecolor() == "white"
    assert list(hollow[0].get_ydata()) == [1.5]
    # the full line stops at September: July 4.0, August 3.5, September 4.5
    team = next(ln for ln in csat.get_lines() if ln.get_label() == r.name)   # its name
    assert list(team.get_ydata()) == [4.0, 3.5, 4.5]
    legend = [t.get_text() for t in fig.legends[0].get_texts()]
    assert "2024-10 (partial, to 13 Oct)" in legend


def test_the_runs_kpis_csv_marks_what_the_export_covers_in_part(inputs, tmp_path):
    """The run's kpis.csv (runner.team_kpis): each team's KPIs as its report reads
    them, the KPI table's included, with ``complete`` as ``servicekpi kpis``
    writes it: October (covered to 13 Oct) and a KPI-table row after the
    export's end are not complete; September is."""
    from servicekpi.params import load_params
    from servicekpi.report.inputs import load_inputs
    from servicekpi.runner import team_kpis
    tickets, targets, _ = inputs
    table = tmp_path / "kpi_table.csv"
    table.write_text("team,period,kpi,value\na,2024-09,training_hours,6\n"
                     "a,2024-11,training_hours,8\nb,2024-09,training_hours,4\n")
    p = params_folder(tmp_path, f"tickets: {tickets}\nkpi_table: {table}\n",
                      {"a": "team: a\n"})
    params = load_params(p)
    a = team_kpis(load_inputs(params), params[0]).set_index(["period", "kpi"])
    assert set(a["team"]) == {"a"}
    assert a.loc[("2024-09", "csat_score"), ["value", "complete"]].tolist() == [4.5, True]
    assert a.loc[("2024-10", "csat_score"), "complete"] == False   # noqa: E712 (pd.NA-free)
    assert a.loc[("2024-10", "volume"), "value"] == 2
    assert a.loc[("2024-09", "training_hours"), ["value", "complete"]].tolist() == [6, True]
    assert a.loc[("2024-11", "training_hours"), ["value", "complete"]].tolist() == [8, False]
