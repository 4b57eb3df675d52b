"""KPI table, benchmarks, targets and the catalogue: formats and refusals."""
import pandas as pd
import pytest

import servicekpi as skpi
from servicekpi.config import CATALOGUE


@pytest.fixture(scope="module")
def cat():
    return skpi.load_catalogue(CATALOGUE)


def write(path, text):
    path.write_text(text.strip() + "\n", encoding="utf-8")
    return path


def problem_keys(ei):
    return {(p.column, p.rows) for p in ei.value.problems}


# ---------------------------------------------------------------- catalogue
def test_catalogue_lists_every_ticket_kpi_with_a_direction(cat):
    for k in skpi.TICKET_KPIS:
        assert k in cat
        assert cat[k].direction in ("higher", "lower", "neutral")
    assert cat["avg_first_response_hours"].direction == "lower"
    assert cat["fcr_rate"].direction == "higher"
    assert cat["fcr_rate"].fmt(0.8123) == "81.2%"
    assert cat["fcr_rate"].better(0.9, 0.8) and cat["complaint_rate"].better(0.01, 0.02)
    assert cat["fcr_rate"].fmt_change(-0.054) == "-5.4 pp"      # shares change in points
    assert cat["avg_resolution_hours"].fmt_change(3.0) == "+3.0 h"
    assert cat["avg_first_response_hours"].fmt(0.05) == "3.0 min"    # durations adapt
    assert cat["avg_first_response_hours"].fmt(0.01) == "36 s"
    assert cat["avg_resolution_hours"].fmt(72.0) == "3.0 d"
    assert cat["aht_minutes"].fmt(7.5) == "7.5 min"
    assert cat["nps"].fmt_change(-20) == "-20" and cat["fcr_rate"].fmt(float("nan")) == "–"


def test_catalogue_errors_name_the_key(tmp_path):
    path = write(tmp_path / "c.yaml", """
kpis:
  x:
    label: X
    unit: share
    direction: upwards
    perspective: customer
    colour: red
""")
    with pytest.raises(skpi.ConfigError) as ei:
        skpi.load_catalogue(path)
    keys = {p.column for p in ei.value.problems}
    assert {"kpis.x.direction", "kpis.x.colour"} <= keys
    assert "c.yaml" in str(ei.value) and "unknown key" in str(ei.value)


# ---------------------------------------------------------------- KPI table
def test_kpi_table_loads_and_merges(tmp_path, small_csv, cat):
    path = write(tmp_path / "k.csv", """
team,period,kpi,value,n
A,2024-01,training_hours,6.5,12
A,2024-02,training_hours,7,12
B,2024-01,attrition_rate,0.02,
""")
    table = skpi.load_kpi_table(path, catalogue=cat)
    assert table["period"].dtype == pd.PeriodDtype("M")
    merged = skpi.merge_kpis(skpi.compute_kpis(skpi.load_tickets(small_csv)), table)
    got = merged[(merged["team"] == "a") & (merged["kpi"] == "training_hours")]
    assert got["value"].tolist() == [6.5, 7.0] and got["n"].tolist() == [12, 12]
    # table rows have no open tickets; the computed durations keep their open share
    assert got["open_share"].isna().all() and table["open_share"].isna().all()
    res = merged[(merged["team"] == "a") & (merged["kpi"] == "avg_resolution_hours")]
    assert res["open_share"].tolist()[0] == pytest.approx(1 / 3)
    assert merged.attrs["abandonment"]["counted"] == ["self_service"]


def test_kpi_table_problems(tmp_path, cat):
    path = write(tmp_path / "k.csv", """
team,period,kpi,value,n
A,2024-01,training_hours,6.5,12
A,2024-01,training_hours,7,12
A,March,training_hours,7,1
A,2024-02,made_up,1,1
A,2024-03,training_hours,lots,-1
""")
    with pytest.raises(skpi.DataError) as ei:
        skpi.load_kpi_table(path, catalogue=cat)
    keys = problem_keys(ei)
    assert ("team+period+kpi", (2, 3)) in keys      # duplicate, both rows named
    assert ("period", (4,)) in keys
    assert ("kpi", (5,)) in keys
    assert ("value", (6,)) in keys and ("n", (6,)) in keys


def test_kpi_given_twice_is_refused(tmp_path, small_csv):
    path = write(tmp_path / "k.csv", "team,period,kpi,value\nA,2024-01,volume,99")
    with pytest.raises(skpi.DataError, match="also computed from tickets"):
        skpi.merge_kpis(skpi.compute_kpis(skpi.load_tickets(small_csv)),
                        skpi.load_kpi_table(path))


def test_kpis_given_twice_are_counted_and_quoted_as_a_merge_would(tmp_path, small_csv):
    # four table rows of a KPI the tickets give for the team (volume in two months,
    # fcr once, and volume in a month before the tickets': one series of two sources
    # is one source too many); one of a KPI the tickets do not give
    computed = skpi.compute_kpis(skpi.load_tickets(small_csv))
    path = write(tmp_path / "k.csv", "team,period,kpi,value\nA,2024-01,volume,99\n"
                                     "A,2024-01,training_hours,5\nA,2024-02,volume,1\n"
                                     "B,2024-01,fcr_rate,0.5\nA,1999-01,volume,3\n")
    table = skpi.load_kpi_table(path)
    with pytest.raises(skpi.DataError) as ei:
        skpi.merge_kpis(computed, table)
    message = ei.value.problems[0].message
    assert ("(4 values, e.g. a 2024-01 volume; a 2024-02 volume; b 2024-01 fcr_rate; "
            "a 1999-01 volume)") in message
    merged = skpi.merge_kpis(computed, table.iloc[[1]])
    # the table's text keys joined in the computed KPIs' dtype, not as Python objects
    assert merged["kpi"].dtype == computed["kpi"].dtype != object
    assert merged["team"].dtype == computed["team"].dtype
    assert len(merged) == len(computed) + 1


def test_kpi_table_weekly_and_quarterly(tmp_path):
    w = skpi.load_kpi_table(write(tmp_path / "w.csv", "team,period,kpi,value\nA,2024-W05,x,1"),
                            freq="week")
    assert skpi.periods.label(w["period"][0]) == "2024-W05"
    q = skpi.load_kpi_table(write(tmp_path / "q.csv", "team,period,kpi,value\nA,2024Q2,x,1"),
                            freq="quarter")
    assert str(q["period"][0]) == "2024Q2"
    with pytest.raises(skpi.DataError, match="cannot read period"):
        skpi.load_kpi_table(write(tmp_path / "m.csv", "team,period,kpi,value\nA,2024Q2,x,1"))


# ---------------------------------------------------------------- benchmarks
def test_benchmarks(tmp_path, cat):
    path = write(tmp_path / "b.csv", """
kpi,benchmark,value,source,as_of
fcr_rate,Industry median,0.7,Survey 2026,2026-06-30
fcr_rate,top-quartile,0.78,Survey 2026,2026-06-30
""")
    b = skpi.load_benchmarks(path, catalogue=cat)
    assert b["benchmark"].tolist() == ["industry_median", "top_quartile"]
    assert b["published"][0] == pd.Timestamp("2026-06-30") and "as_of" not in b


def test_benchmarks_published_column(tmp_path, cat):
    """The publication date is `published`; `as_of` (older files) is read as it."""
    path = write(tmp_path / "b.csv", """
kpi,benchmark,value,source,published
fcr_rate,industry_median,0.7,Survey 2026,2026-06-30
fcr_rate,top_quartile,,,
""")
    b = skpi.load_benchmarks(path, catalogue=cat)
    assert list(b.columns) == ["kpi", "benchmark", "value", "source", "published"]
    assert b["published"].tolist() == [pd.Timestamp("2026-06-30")]     # blank row skipped
    bad = write(tmp_path / "bad.csv", "kpi,benchmark,value,source,published\n"
                "fcr_rate,industry_median,0.7,S,someday\n")
    with pytest.raises(skpi.DataError) as ei:
        skpi.load_benchmarks(bad, catalogue=cat)
    assert [p.column for p in ei.value.problems] == ["published"]


def test_benchmark_problems(tmp_path, cat):
    path = write(tmp_path / "b.csv", """
kpi,benchmark,value,source,as_of
fcr_rate,industry_median,0.7,S,2026-06-30
fcr_rate,industry_median,0.72,S,2026-06-30
nope,top_quartile,x,,someday
""")
    with pytest.raises(skpi.DataError) as ei:
        skpi.load_benchmarks(path, catalogue=cat)
    cols = {p.column for p in ei.value.problems}
    assert {"kpi+benchmark+source", "kpi", "value", "source", "as_of"} <= cols


# ---------------------------------------------------------------- targets
TARGETS = """
team,kpi,baseline,baseline_period,target,deadline,milestones,weight,owner
A,fcr_rate,0.70,2025-12,0.80,2026-12,2026-06=0.75; 2026-12=0.80,0.5,Ann
A,avg_first_response_hours,4.0,2025-12,3.0,2026-12,,1.5,Bob
"""


def test_targets_csv(tmp_path, cat):
    t = skpi.load_targets(write(tmp_path / "t.csv", TARGETS), catalogue=cat)
    assert t["milestones"][0] == {pd.Period("2026-06", "M"): 0.75,
                                  pd.Period("2026-12", "M"): 0.80}
    assert t["milestones"][1] == {}
    assert t["weight"].tolist() == [0.5, 1.5]
    assert t["deadline"][0] == pd.Period("2026-12", "M")
    assert t["baseline_periods"].tolist() == [1, 1]    # absent: one period


def test_a_month_label_for_a_quarterly_or_weekly_team_is_refused(tmp_path, cat):
    """A targets file written in months read for a quarterly team: 2025-02 would be
    read as 2025Q1, and a baseline of 6 (months) as 6 quarters.  Refused, naming
    the rows; 2025Q1 or a date (2025-02-15) is read."""
    path = write(tmp_path / "t.csv", """
team,kpi,baseline,baseline_period,baseline_periods,target,deadline
A,fcr_rate,0.70,2025-02,6,0.80,2025-12
B,fcr_rate,0.70,2025Q1,2,0.80,2025-12-31
""")
    with pytest.raises(skpi.DataError) as ei:
        skpi.load_targets(path, catalogue=cat, freq="quarter")
    assert problem_keys(ei) == {("baseline_period", (2,)), ("deadline", (2,))}
    from servicekpi.periods import parse_period
    with pytest.raises(ValueError, match="is a month, not a week"):
        parse_period("2025-02", "week")
    assert str(parse_period("2025-02-15", "quarter")) == "2025Q1"
    assert str(parse_period("2025-02", "month")) == "2025-02"
    # a month written any other way was read as the week of its first day (a deadline
    # "June 2026" due 1-7 June) or as its quarter: refused the same way
    for month in ("June 2026", "06/2026", "2026/06", "2026 June", "2026-6"):
        for freq in ("week", "quarter"):
            with pytest.raises(ValueError, match=f"is a month, not a {freq}"):
                parse_period(month, freq)
        assert str(parse_period(month, "month")) == "2026-06"
    assert str(parse_period("30 June 2026", "week")) == "2026-06-29/2026-07-05"
    # a weekly team's file loaded as months (the default) says what it holds
    weeks = write(tmp_path / "w.csv", "team,kpi,baseline,baseline_period,target,deadline\n"
                  "A,fcr_rate,0.70,2026-W02,0.80,2026-W20\n")
    with pytest.raises(skpi.DataError, match="these are weeks: load it with freq='week'"):
        skpi.load_targets(weeks, catalogue=cat)
    assert skpi.load_targets(weeks, catalogue=cat, freq="week")["deadline"].iloc[0] == \
        parse_period("2026-W20", "week")
    back = write(tmp_path / "b.csv", "team,kpi,baseline,baseline_period,target,deadline\n"
                 "A,fcr_rate,0.70,2026-W02,0.80,2026-W01\n")
    with pytest.raises(skpi.DataError, match="2026-W02 -> 2026-W01"):   # as written
        skpi.load_targets(back, catalogue=cat, freq="week")
    assert str(parse_period("30/06/2026", "quarter")) == "2026Q2"
    assert str(parse_period("2026-06-01/2026-06-07", "week")) == "2026-06-01/2026-06-07"


def test_a_bare_year_is_refused_not_read_as_january(tmp_path, cat):
    """A deadline written "2026" (and a baseline period "2025", or 2025.0 from a
    spreadsheet's number cell) was read as January: a target due "in 2026" fell due in
    2026-01 and read missed.  Refused, naming the rows and what to write."""
    path = write(tmp_path / "t.csv", """
team,kpi,baseline,baseline_period,target,deadline
A,fcr_rate,0.70,2025,0.80,2026
B,fcr_rate,0.70,2025-12,0.80,2026-12
C,fcr_rate,0.70,2025.0,0.80,2026-12
""")
    with pytest.raises(skpi.DataError) as ei:
        skpi.load_targets(path, catalogue=cat)
    assert problem_keys(ei) == {("baseline_period", (2, 4)), ("deadline", (2,))}
    assert "cannot read period: expected a month such as 2024-03" in str(ei.value)
    from servicekpi.periods import parse_period
    for freq, example in (("quarter", "2024Q1"), ("week", "2024-W05")):
        with pytest.raises(ValueError, match=f"'2026' is a year, not a {freq}: .*{example}"):
            parse_period("2026", freq)


def test_targets_that_no_score_can_be_made_of_are_refused_per_team(tmp_path, cat):
    """Read as the reports score them (scored=True): team A's CSAT is 100% at its
    baseline, target 90% (higher is better): no progress to score; team B's
    every weight is 0; team C's 4 h -> 5 h (lower is better) is worse."""
    path = write(tmp_path / "t.csv", """
team,kpi,baseline,baseline_period,target,deadline,weight
A,csat_pct,1.0,2025-03,0.9,2025-09,1
A,avg_first_response_hours,4.0,2025-03,3.0,2025-09,1
B,fcr_rate,0.70,2025-03,0.80,2025-09,0
B,csat_pct,0.70,2025-03,0.80,2025-09,0
C,avg_first_response_hours,4.0,2025-03,5.0,2025-09,1
C,fcr_rate,0.70,2025-03,0.80,2025-09,0
""")
    with pytest.raises(skpi.DataError) as ei:
        skpi.load_targets(path, catalogue=cat, scored=True)    # as the reports read them
    keys = problem_keys(ei)
    assert keys == {("target", (2, 6)), ("weight", (4, 5))}   # row 6: 4 h -> 5 h
    text = str(ei.value)
    assert "'1 -> 0.9 (higher is better)'" in text and "'4 -> 5 (lower is better)'" in text
    assert "every target of team 'b' has weight 0" in text.lower()
    kept = skpi.load_targets(path, catalogue=cat, bad_rows="drop", scored=True)
    assert set(kept.attrs["team_errors"]) == {"a", "b", "c"}
    fine = write(tmp_path / "ok.csv", "team,kpi,baseline,baseline_period,target,deadline,weight\n"
                 "C,fcr_rate,0.70,2025-03,0.80,2025-09,0\nC,csat_pct,0.7,2025-03,0.8,2025-09,2\n")
    assert skpi.load_targets(fine, catalogue=cat, scored=True)["weight"].tolist() == [0, 2]
    # read for other scoring rules (scorecard(rules=...)): kept
    assert len(skpi.load_targets(path, catalogue=cat)) == 6


def test_targets_dates_that_read_either_way_are_refused(tmp_path, cat):
    """Deadlines typed as a spreadsheet shows them (UK): 30/09/2025 can only be
    30 September, 05/05/2026 is May either way; 05/03/2026 is 5 March or 3 May,
    and pandas alone would read it as May: refused, naming the row."""
    path = write(tmp_path / "t.csv", """
team,kpi,baseline,baseline_period,target,deadline
A,fcr_rate,0.70,2025-03,0.80,30/09/2025
A,csat_pct,0.70,2025-03,0.80,05/05/2026
B,fcr_rate,0.70,2025-03,0.80,05/03/2026
B,csat_pct,0.70,2025-03,0.80,5.3.2026
""")
    with pytest.raises(skpi.DataError) as ei:
        skpi.load_targets(path, catalogue=cat)
    (p,) = ei.value.problems
    assert (p.column, p.rows) == ("deadline", (4, 5))
    assert "either way round" in p.message and "2024-03" in p.message
    assert "'05/03/2026'" in str(p)
    ok = skpi.load_targets(write(tmp_path / "ok.csv", "\n".join(path.read_text().strip().splitlines()[:3])),
                           catalogue=cat)
    assert [str(d) for d in ok["deadline"]] == ["2025-09", "2026-05"]
    from servicekpi.periods import AmbiguousDate, parse_period
    assert str(parse_period("2026-03-05", "month")) == "2026-03"      # ISO: one way
    assert str(parse_period("12/31/2025", "month")) == "2025-12"
    with pytest.raises(AmbiguousDate, match="2024-W05"):
        parse_period("05/03/2026", "week")
    # in quarters: 1 February and 2 January are both 2026Q1; 5 March and 3 May are not
    assert str(parse_period("01/02/2026", "quarter")) == "2026Q1"
    with pytest.raises(AmbiguousDate, match="2024Q1"):
        parse_period("05/03/2026", "quarter")
    # a weekly deadline typed day first: the week of 30 September 2025 (Tuesday, W40)
    assert skpi.periods.label(parse_period("30/09/2025", "week")) == "2025-W40"


def test_targets_weights_blank_for_a_whole_team_or_absent_are_equal(tmp_path, cat):
    path = write(tmp_path / "t.csv", """
team,kpi,baseline,baseline_period,target,deadline,weight
A,fcr_rate,0.70,2025-12,0.80,2026-12,
A,csat_pct,0.70,2025-12,0.80,2026-12,
B,fcr_rate,0.70,2025-12,0.80,2026-12,0.6
B,csat_pct,0.70,2025-12,0.80,2026-12,0.4
""")
    t = skpi.load_targets(path, catalogue=cat)
    assert t["weight"].tolist() == [1.0, 1.0, 0.6, 0.4]     # A: all blank, equal weights
    path = write(tmp_path / "t.csv", """
team,kpi,baseline,baseline_period,target,deadline
A,fcr_rate,0.70,2025-12,0.80,2026-12
A,csat_pct,0.70,2025-12,0.80,2026-12
""")
    assert skpi.load_targets(path, catalogue=cat)["weight"].tolist() == [1.0, 1.0]


def test_targets_weight_blank_beside_weighted_targets_of_the_team(tmp_path, cat):
    path = write(tmp_path / "t.csv", """
team,kpi,baseline,baseline_period,target,deadline,weight
A,fcr_rate,0.70,2025-12,0.80,2026-12,0.5
A,csat_pct,0.70,2025-12,0.80,2026-12,
A,nps,10,2025-12,20,2026-12,
B,fcr_rate,0.70,2025-12,0.80,2026-12,0.6
B,csat_pct,0.70,2025-12,0.80,2026-12,0.4
C,fcr_rate,0.70,2025-12,0.80,2026-12,
""")
    with pytest.raises(skpi.DataError) as ei:
        skpi.load_targets(path, catalogue=cat)
    (p,) = ei.value.problems
    assert p.source == "t.csv" and p.column == "weight" and p.rows == (3, 4)
    assert "blank weight, while the other targets of team 'a' have one" in p.message
    assert p.values == ("csat_pct", "nps")
    assert "t.csv" in str(ei.value)
    t = skpi.load_targets(path, catalogue=cat, bad_rows="drop")
    assert t["team"].tolist() == ["b", "b", "c"] and t["weight"].tolist() == [0.6, 0.4, 1.0]
    (dropped,) = t.attrs["team_errors"]["a"]
    assert dropped.message.startswith("team 'a': blank weight") and dropped.rows == (3, 4)


def test_targets_baseline_periods(tmp_path, cat):
    path = write(tmp_path / "t.csv", """
team,kpi,baseline,baseline_period,baseline_periods,target,deadline
A,fcr_rate,0.70,2025-12,3,0.80,2026-12
B,fcr_rate,0.70,2025-12,,0.80,2026-12
C,fcr_rate,0.70,2025-12,0,0.80,2026-12
D,fcr_rate,0.70,2025-12,2.5,0.80,2026-12
""")
    with pytest.raises(skpi.DataError) as ei:
        skpi.load_targets(path, catalogue=cat)
    msgs = {(p.column, p.rows): p.message for p in ei.value.problems}
    assert "out of range: expected a whole number >= 1" in msgs[("baseline_periods", (4,))]
    assert "cannot read value" in msgs[("baseline_periods", (5,))]
    t = skpi.load_targets(path, catalogue=cat, bad_rows="drop")
    assert dict(zip(t["team"], t["baseline_periods"])) == {"a": 3, "b": 1}


def test_targets_yaml(tmp_path, cat):
    path = write(tmp_path / "t.yaml", """
targets:
  - team: A
    kpi: fcr_rate
    baseline: 0.7
    baseline_period: 2025-12
    target: 0.8
    deadline: 2026-12
    milestones: {2026-06: 0.75}
    owner: Ann
""")
    t = skpi.load_targets(path, catalogue=cat)
    assert t["milestones"][0] == {pd.Period("2026-06", "M"): 0.75}


def test_target_problems(tmp_path, cat):
    path = write(tmp_path / "t.csv", """
team,kpi,baseline,baseline_period,target,deadline,milestones,weight,owner
A,fcr_rate,0.70,2025-12,0.80,2025-06,,1,Ann
A,not_a_kpi,1,2025-12,2,2026-12,,1,Ann
A,volume,100,2025-12,90,2026-12,,1,Ann
A,csat_pct,0.7,2025-12,0.8,2026-12,,-1,Ann
A,nps,10,2025-12,20,2026-12,2027-03=30,1,Ann
A,nps,10,2025-12,20,2026-12,garbage,1,Ann
""")
    with pytest.raises(skpi.DataError) as ei:
        skpi.load_targets(path, catalogue=cat)
    msgs = {(p.column, p.rows): p.message for p in ei.value.problems}
    assert "deadline is not after the baseline" in msgs[("deadline", (2,))]
    assert "not in the catalogue" in msgs[("kpi", (3,))]
    assert "neutral" in msgs[("kpi", (4,))]
    assert "out of range" in msgs[("weight", (5,))]
    assert "outside" in msgs[("milestones", (6,))]
    assert "cannot read milestones" in msgs[("milestones", (7,))]
    assert ("team+kpi", (6, 7)) in msgs


# ---------------------------------------------------------------- bounds
def test_targets_outside_their_kpis_bounds(tmp_path, cat):
    """Targets, baselines and milestones outside the catalogue's bounds: refused with
    file, column, row and the range expected; a share written as a percentage gets a
    hint."""
    path = write(tmp_path / "t.csv", """
team,kpi,baseline,baseline_period,target,deadline,milestones
A,csat_pct,0.7,2025-12,1.7,2026-12,
B,fcr_rate,70,2025-12,85,2026-12,2026-06=75
C,nps,10,2025-12,20,2026-12,2026-03=15; 2026-06=150
D,avg_first_response_hours,-1,2025-12,3,2026-12,
E,fcr_rate,0,2025-12,1,2026-12,2026-06=0.5
""")
    with pytest.raises(skpi.DataError) as ei:
        skpi.load_targets(path, catalogue=cat)
    msgs = {(p.column, p.rows): p.message for p in ei.value.problems}
    share = "from 0 to 1 (a share: write 0.85 for 85%)"
    assert msgs == {
        ("target", (2,)): f"outside the bounds of KPI 'csat_pct': expected a value {share}",
        ("baseline", (3,)): f"outside the bounds of KPI 'fcr_rate': expected a value {share}",
        ("target", (3,)): f"outside the bounds of KPI 'fcr_rate': expected a value {share}",
        ("milestones", (3,)): f"outside the bounds of KPI 'fcr_rate': expected a value "
                              f"{share}",
        ("milestones", (4,)): "outside the bounds of KPI 'nps': expected a value from -100 "
                              "to 100",
        ("baseline", (5,)): "outside the bounds of KPI 'avg_first_response_hours': expected "
                            "a value of 0 or more"}
    text = str(ei.value)
    assert ("t.csv, column 'target': outside the bounds of KPI 'csat_pct': expected a value "
            f"{share} [1 row: row 2 ('1.7')]") in text
    assert "row 4 ('2026-03=15; 2026-06=150')" in text      # quoted as written
    # a file shared by teams: only the teams whose rows are wrong are left out
    t = skpi.load_targets(path, catalogue=cat, bad_rows="drop")
    assert t["team"].tolist() == ["e"]                       # the bounds themselves are ok
    assert sorted(t.attrs["team_errors"]) == ["a", "b", "c", "d"]
    (a,) = t.attrs["team_errors"]["a"]
    assert a.message.startswith("team 'a': outside the bounds of KPI 'csat_pct'")


def test_a_european_targets_file_with_milestones_and_one_stray_decimal_mark(tmp_path, cat):
    """Excel in a decimal-comma locale writes ';' between cells and '0,8008' in them; a
    milestone cell '2026-03=0,8008; 2026-06=0,8107' is two milestones.  One target typed
    with a decimal point in such a file is its row's problem (its team's), not every
    team's: read with the file's comma it would be 7575."""
    path = write(tmp_path / "t.csv", """
team;kpi;baseline;baseline_period;target;deadline;milestones
A;fcr_rate;0,7910;2025-12;0,8200;2026-12;"2026-03=0,8008; 2026-06=0,8107"
B;fcr_rate;0,70;2025-12;0.7575;2026-12;
C;csat_pct;0,75;2025-12;0,85;2026-12;2026-06=0,8
D;csat_pct;0,75;2025-12;0,85;2026-12;2026-03=0,78, 2026-06=0,8
""")
    with pytest.raises(skpi.DataError) as ei:
        skpi.load_targets(path, catalogue=cat)
    assert [(p.column, p.rows, p.message) for p in ei.value.problems] == [
        ("target", (3,), "a decimal point in a column of decimal commas: write the number "
                         "as the column's others are")]
    t = skpi.load_targets(path, catalogue=cat, bad_rows="drop").set_index("team")
    assert sorted(t.attrs["team_errors"]) == ["b"]
    P = pd.Period
    assert t.loc["a", "milestones"] == {P("2026-03", "M"): 0.8008, P("2026-06", "M"): 0.8107}
    assert t.loc["a", ["baseline", "target"]].tolist() == [0.791, 0.82]
    assert t.loc["c", "milestones"] == {P("2026-06", "M"): 0.8}
    assert t.loc["d", "milestones"] == {P("2026-03", "M"): 0.78, P("2026-06", "M"): 0.8}
    # a milestone with the other mark than the file's is refused, not read 75 for 0,75
    path = write(tmp_path / "points.csv", """
team,kpi,baseline,baseline_period,target,deadline,milestones
A,fcr_rate,0.70,2025-12,0.80,2026-12,"2026-03=0,75; 2026-06=0,78"
B,fcr_rate,0.70,2025-12,0.80,2026-12,"2026-03=0.75, 2026-06=0.78"
""")
    with pytest.raises(skpi.DataError) as ei:
        skpi.load_targets(path, catalogue=cat)
    (p,) = ei.value.problems
    assert (p.column, p.rows) == ("milestones", (2,))
    assert p.message.endswith("each value written with a decimal point (the file's targets "
                              "show no decimal comma)")
    # a thousands separator is no other mark: 1,200 is 1200 in a decimal-point file
    path = write(tmp_path / "thousands.csv", """
team,kpi,baseline,baseline_period,target,deadline,milestones
A,avg_resolution_hours,1500,2025-12,1000.5,2026-12,"2026-06=1,200"
""")
    assert skpi.load_targets(path, catalogue=cat)["milestones"].iloc[0] == {
        P("2026-06", "M"): 1200.0}
    # and one team's stray mark beside another team's own problem: each team its own
    path = write(tmp_path / "two.csv", """
team;kpi;baseline;baseline_period;target;deadline
A;fcr_rate;0,80;2025-12;0,80;2026-12
B;fcr_rate;0,70;2025-12;0.7575;2026-12
C;fcr_rate;0,70;2025-12;0,80;2026-12
""")
    t = skpi.load_targets(path, catalogue=cat, scored=True, bad_rows="drop")
    assert t["team"].tolist() == ["c"] and sorted(t.attrs["team_errors"]) == ["a", "b"]


def test_a_target_written_as_a_percentage_says_how_to_write_it(tmp_path, cat):
    path = write(tmp_path / "t.csv", """
team,kpi,baseline,baseline_period,target,deadline
A,fcr_rate,0.70,2025-12,85%,2026-12
B,fcr_rate,0.70,2025-12,0.85,2026-12
""")
    with pytest.raises(skpi.DataError) as ei:
        skpi.load_targets(path, catalogue=cat)
    (p,) = ei.value.problems
    assert (p.column, p.rows, p.message) == (
        "target", (2,), "cannot read value: expected a number, without a percent sign (a "
        "share as 0.85 for 85%)")


def test_an_ambiguous_date_in_a_benchmarks_file_says_what_to_write(tmp_path, cat):
    """The advice was to declare dayfirst in defaults.yaml, which benchmark files do not
    read: they are to write the date year first."""
    path = write(tmp_path / "b.csv", """
kpi,benchmark,value,source,published
fcr_rate,industry_median,0.7,Survey,05/06/2026
""")
    with pytest.raises(skpi.DataError) as ei:
        skpi.load_benchmarks(path, catalogue=cat)
    (p,) = ei.value.problems
    assert p.message.endswith("read either way and none has a day above 12; write the "
                              "dates year first (2026-06-05)")


def test_targets_yaml_outside_bounds(tmp_path, cat):
    path = write(tmp_path / "t.yaml", """
targets:
  - {team: A, kpi: csat_pct, baseline: 0.7, baseline_period: 2025-12, target: 85,
     deadline: 2026-12, milestones: {2026-06: 0.8}}
""")
    with pytest.raises(skpi.DataError) as ei:
        skpi.load_targets(path, catalogue=cat)
    (p,) = ei.value.problems
    assert (p.source, p.column, p.rows, p.values) == ("t.yaml", "target", (2,), ("85",))
    assert "write 0.85 for 85%" in p.message


def test_benchmarks_outside_bounds(tmp_path, cat):
    path = write(tmp_path / "b.csv", """
kpi,benchmark,value,source,as_of
nps,industry_median,150,S,2026-06-30
fcr_rate,top_quartile,78,S,2026-06-30
fcr_rate,industry_median,0.7,S,2026-06-30
aht_minutes,industry_median,-2,S,2026-06-30
""")
    with pytest.raises(skpi.DataError) as ei:
        skpi.load_benchmarks(path, catalogue=cat)
    msgs = {(p.column, p.rows, p.values): p.message for p in ei.value.problems}
    assert msgs == {
        ("value", (2,), ("150",)): "outside the bounds of KPI 'nps': expected a value from "
                                   "-100 to 100",
        ("value", (3,), ("78",)): "outside the bounds of KPI 'fcr_rate': expected a value "
                                  "from 0 to 1 (a share: write 0.85 for 85%)",
        ("value", (5,), ("-2",)): "outside the bounds of KPI 'aht_minutes': expected a value "
                                  "of 0 or more"}
    assert skpi.load_benchmarks(path, catalogue=None)["value"].tolist() == [150, 78, 0.7, -2]


def test_refused_options_are_invalid_arguments(tmp_path):
    path = write(tmp_path / "k.csv", "team,period,kpi,value\nA,2024-01,x,1")
    with pytest.raises(skpi.InvalidArgument, match="unknown freq"):
        skpi.load_kpi_table(path, freq="daily")
    with pytest.raises(skpi.InvalidArgument, match="bad_rows must be"):
        skpi.load_kpi_table(path, bad_rows="ignore")
    with pytest.raises(skpi.InvalidArgument, match="unknown freq"):
        skpi.load_targets(path, freq="daily")


def test_a_period_label_repeated_is_read_once_and_flagged_on_every_row(tmp_path, cat,
                                                                         monkeypatch):
    """Labels are parsed once per distinct cell: an unreadable one repeated is named
    on each of its rows, a readable one gives the same period on each."""
    from servicekpi import tables
    seen = []

    def counted(value, freq):
        seen.append(value)
        return parse(value, freq)
    parse = tables.parse_period
    monkeypatch.setattr(tables, "parse_period", counted)
    path = write(tmp_path / "k.csv", """
team,period,kpi,value,n
A,2024-13,training_hours,1,1
A,2024-01,training_hours,2,1
B,2024-13,training_hours,3,1
B,2024-01,training_hours,4,1
""")
    with pytest.raises(skpi.DataError) as ei:
        skpi.load_kpi_table(path, catalogue=cat)
    assert ("period", (2, 4)) in problem_keys(ei)
    assert sorted(seen) == ["2024-01", "2024-13"]                   # each label once
    ok = skpi.load_kpi_table(write(tmp_path / "ok.csv", "team,period,kpi,value\n"
                                   "A,2024-01,x,1\nB,2024-01,x,2\nC,2024-02,x,3"))
    assert [str(p) for p in ok["period"]] == ["2024-01", "2024-01", "2024-02"]


def test_benchmarks_out_of_order_in_the_kpis_direction_are_refused(tmp_path, cat):
    """A top quartile of 20 h over a median of 10 h for a resolution time read the team
    'behind' the median and 'leading' the top quartile at once; a top quartile below
    the median for FCR likewise.  Each source's ranked benchmarks must be in order."""
    path = write(tmp_path / "b.csv", """
kpi,benchmark,value,source,published
avg_resolution_hours,industry_median,10,S,2025-01-01
avg_resolution_hours,top_quartile,20,S,2025-01-01
avg_resolution_hours,best_in_class,4,S,2025-01-01
fcr_rate,industry_median,0.72,S,2025-01-01
fcr_rate,top_quartile,0.60,S,2025-01-01
fcr_rate,industry_median,0.70,T,2025-01-01
fcr_rate,top_quartile,0.80,T,2025-01-01
csat_pct,industry_median,0.7,S,2025-01-01
csat_pct,best_in_class,0.9,S,2025-01-01
""")
    with pytest.raises(skpi.DataError) as ei:
        skpi.load_benchmarks(path, catalogue=cat)
    assert problem_keys(ei) == {("value", (3, 6))}
    assert "top_quartile 20 > industry_median 10" in str(ei.value)


def test_a_kpi_table_value_outside_its_kpis_bounds_is_refused(tmp_path, cat):
    """An employee satisfaction of 82 (for 0.82) in the KPI table was shown as 8200.0%
    and ranked first among the teams; the same value in targets or benchmarks is
    refused, and so it is here, with the hint."""
    path = write(tmp_path / "k.csv", """
team,period,kpi,value,n
A,2026-01,employee_satisfaction,82,40
A,2026-02,employee_satisfaction,0.81,40
""")
    with pytest.raises(skpi.DataError, match=r"a share: write 0\.85 for 85%") as ei:
        skpi.load_kpi_table(path, catalogue=cat)
    assert problem_keys(ei) == {("value", (2,))}


def test_a_unit_changed_in_the_templates_unit_column_is_refused(tmp_path, cat):
    """init's templates carry the catalogue's unit for reading; an analyst who wrote
    30 with unit 'minutes' had it read as 30 hours (a median of 30 h: every team
    leading).  Refused, naming the row; the unit as written, or blank, is fine."""
    path = write(tmp_path / "b.csv", """
kpi,benchmark,value,source,published,kpi_label,better,unit
avg_first_response_hours,industry_median,30,S,2025-01-01,Average first response time,lower,minutes
avg_resolution_hours,industry_median,20,S,2025-01-01,Average resolution time,lower,hours
fcr_rate,industry_median,0.7,S,2025-01-01,First-contact resolution,higher,
avg_resolution_hours,top_quartile,10,S,2025-01-01,Average resolution time,lower, 小时
csat_score,industry_median,4,S,2025-01-01,CSAT (mean score),higher,Score 1 - 5
fcr_rate,top_quartile,0.8,S,2025-01-01,First-contact resolution,higher,%
""")
    with pytest.raises(skpi.DataError, match="write the value in hours") as ei:
        skpi.load_benchmarks(path, catalogue=cat)
    assert problem_keys(ei) == {("unit", (2,))}     # the unit's words: its own
    targets = write(tmp_path / "t.csv", """
team,kpi,baseline,baseline_period,target,deadline,unit
A,avg_resolution_hours,600,2025-12,480,2026-12,Minutes
B,avg_resolution_hours,10,2025-12,8,2026-12,hours
""")
    with pytest.raises(skpi.DataError) as ei:
        skpi.load_targets(targets, catalogue=cat)
    assert problem_keys(ei) == {("unit", (2,))}


def test_a_team_column_in_benchmarks_is_refused_not_ignored(tmp_path, cat):
    """A benchmark meant for one team (a team column) was applied to every team."""
    path = write(tmp_path / "b.csv", """
kpi,benchmark,value,source,published,team
fcr_rate,industry_median,0.7,S,2025-01-01,
fcr_rate,top_quartile,0.8,S,2025-01-01,phone
""")
    with pytest.raises(skpi.DataError, match="a team column is not read") as ei:
        skpi.load_benchmarks(path, catalogue=cat)
    assert problem_keys(ei) == {("team", (3,))}


def test_a_kpi_the_tickets_do_not_measure_comes_from_the_table_once(tmp_path, demo_dir):
    """A KPI the tickets give a team only as n/a rows may come from its KPI table:
    the n/a rows give way (kept, they made two rows per period and the report's
    tables failed: 'The truth value of a Series is ambiguous')."""
    computed = skpi.compute_kpis(skpi.load_tickets(demo_dir / "tickets.parquet"))
    team, kpi = "email", "abandonment_rate"          # email has no abandonment: n/a
    assert computed.loc[(computed["team"] == team) & (computed["kpi"] == kpi),
                        "value"].isna().all()
    periods = computed.loc[(computed["team"] == team) & (computed["kpi"] == kpi), "period"]
    rows = "".join(f"{team},{p},{kpi},0.5,40\n" for p in periods.astype(str))
    table = skpi.load_kpi_table(write(tmp_path / "k.csv", "team,period,kpi,value,n\n" + rows))
    merged = skpi.merge_kpis(computed, table)
    mine = merged[(merged["team"] == team) & (merged["kpi"] == kpi)]
    assert len(mine) == len(periods) and (mine["value"] == 0.5).all()
    assert not merged.duplicated(["team", "period", "kpi"]).any()


def test_the_peer_references_are_not_names_of_external_benchmarks(tmp_path, cat):
    """An external benchmark named peer_median read as 'median of other teams (Peer
    club)' beside the teams' own median."""
    path = write(tmp_path / "b.csv", """
kpi,benchmark,value,source,published
fcr_rate,Peer median,0.7,Peer club,2025-01-01
fcr_rate,industry_median,0.7,S,2025-01-01
""")
    with pytest.raises(skpi.DataError, match="the other teams' figures") as ei:
        skpi.load_benchmarks(path, catalogue=cat)
    assert problem_keys(ei) == {("benchmark", (2,))}


def test_a_benchmarks_publication_date_without_its_day_is_kept_as_written(tmp_path, cat):
    """'2025' was shown as 'Survey A (2025-01-01)', a day the source never gave; a year
    or a month alone (June 2024 is how reports date themselves) is read as its first
    day and kept as precise as it was written, for the report to show."""
    path = write(tmp_path / "b.csv", """
kpi,benchmark,value,source,published
fcr_rate,industry_median,0.7,Survey A,2025
fcr_rate,top_quartile,0.8,Survey A,2025-03-31
csat_pct,industry_median,0.7,Survey B,June 2024
csat_pct,top_quartile,0.8,Survey C,２０２５
""")
    b = skpi.load_benchmarks(path, catalogue=cat)
    assert b["published"].tolist()[:3] == [pd.Timestamp("2025-01-01"),
                                           pd.Timestamp("2025-03-31"),
                                           pd.Timestamp("2024-06-01")]
    assert b.attrs["published_as"] == {("Survey A", "2025-01-01T00:00:00"): "2025",
                                       ("Survey B", "2024-06-01T00:00:00"): "2024-06",
                                       ("Survey C", "2025-01-01T00:00:00"): "2025"}
