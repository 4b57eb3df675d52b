"""The demo data set: deterministic, realistic enough, and valid input."""
import pandas as pd

import servicekpi as skpi
from servicekpi.config import CATALOGUE
from servicekpi.demo import TEAMS, generate_tickets


def test_deterministic():
    a = generate_tickets(5, months=3, scale=0.02)
    b = generate_tickets(5, months=3, scale=0.02)
    pd.testing.assert_frame_equal(a, b)
    c = generate_tickets(6, months=3, scale=0.02)
    assert not a.equals(c)


def test_full_size_is_large_enough():
    # the count per team-month is Poisson around the profile volumes
    per_month = sum(t.volume for t in TEAMS)
    assert per_month * 36 >= 200_000 and len(TEAMS) >= 8


def test_demo_files_pass_their_contracts(demo_dir):
    cat = skpi.load_catalogue(CATALOGUE)
    tickets = skpi.load_tickets(demo_dir / "tickets.parquet")
    assert tickets["team"].nunique() == len(TEAMS)
    kpis = skpi.compute_kpis(tickets)
    table = skpi.load_kpi_table(demo_dir / "kpi_table.csv", catalogue=cat)
    merged = skpi.merge_kpis(kpis, table)
    assert {"training_hours", "mttr_hours", "fcr_rate"} <= set(merged["kpi"])
    bench = skpi.load_benchmarks(demo_dir / "benchmarks.csv", catalogue=cat)
    assert set(bench["benchmark"]) == {"industry_median", "top_quartile", "best_in_class"}
    targets = skpi.load_targets(demo_dir / "targets.csv", catalogue=cat)
    assert set(targets["team"]) == {t.team for t in TEAMS}
    # surveys are answered by a minority, like real surveys
    assert 0.5 < tickets["csat"].isna().mean() < 0.95


def test_trends_and_weekends():
    t = generate_tickets(3, months=36, scale=0.25)
    k = skpi.compute_kpis(skpi.validate_tickets(t))

    def first_last(team, kpi):
        s = k[(k["team"] == team) & (k["kpi"] == kpi)]["value"]
        return s.head(6).mean(), s.tail(6).mean()

    a, b = first_last("chat", "fcr_rate")
    assert b > a                                             # improving team
    a, b = first_last("email", "avg_first_response_hours")
    assert b > a                                             # worsening team
    wd = t["created_at"].dt.day_of_week
    assert (wd >= 5).mean() < 2 / 7                          # quieter weekends
