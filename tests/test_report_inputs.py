"""A null input means none: no demo file stands in for targets, benchmarks, a
KPI table or competencies the parameters do not name, and each section whose
input is absent says so in one sentence (English or Chinese) and draws
nothing.  The overview works with no targets and with teams on different
periods."""
import json
import re

import pandas as pd
import pytest

from conftest import make_params
from servicekpi.i18n import note
from servicekpi.params import load_params
from servicekpi.report import Note, OverviewReport, TeamReport

DEMO_WORDS = ("Demo", "demo", "synthetic")
FIGURE = re.compile(r"data:image/[a-z+]+;base64,[A-Za-z0-9+/=]+")   # (may spell anything)


def bare_params(root, data, teams: dict[str, str]):
    """A params folder naming the tickets and catalogue only (every other input null)."""
    p = make_params(root, data, teams)
    (p / "defaults.yaml").write_text(
        f"tickets: {data / 'tickets.parquet'}\ncatalogue: catalogue.yaml\nhistory_periods: 6\n"
        "targets: null\nbenchmarks: null\nkpi_table: null\ncompetencies: null\n"
        "competency_targets: null\n")
    return p


def team_report(params_dir, team):
    p = next(x for x in load_params(params_dir) if x.team == team)
    return TeamReport.load(**p.notebook_parameters())


def rendered(item) -> str:
    """The text a report item shows (a Styler's HTML, a Note's sentence)."""
    if item is None:
        return ""
    if hasattr(item, "to_html"):
        return item.to_html()
    return str(item)


SECTIONS = ("headline_styled", "kpis_note", "gap_styled", "trajectory_figure",
            "achievability_styled", "benchmarks_note", "benchmarks_styled", "bullet_figure",
            "scorecard_summary", "scorecard_styled", "contributions_figure", "outlook_styled",
            "fan_charts", "control_figure", "control_signals_styled", "causes_styled",
            "driver_markdown", "competency_figure", "competency_styled")


@pytest.fixture(scope="module")
def bare(tmp_path_factory, demo_dir):
    root = tmp_path_factory.mktemp("bare")
    return bare_params(root, demo_dir, {"billing": "team: billing\n", "chat": "team: chat\n",
                                        "complaints": "team: complaints\nlanguage: zh\n"})


def test_no_demo_file_stands_in(bare):
    r = team_report(bare, "billing")
    assert r.targets is None and r.benchmarks is None
    assert r.params.kpi_table is None and r.params.competencies is None
    # only ticket KPIs: none of the KPI table's
    assert set(r.kpis["kpi"]) <= {k for k in r.catalogue.names()
                                  if r.catalogue[k].source == "tickets"}


def test_each_absent_input_is_one_sentence_and_nothing_drawn(bare):
    r = team_report(bare, "billing")
    items = {name: getattr(r, name)() for name in SECTIONS}
    assert items["gap_styled"] == note("no_targets")
    assert items["achievability_styled"] == note("no_targets")
    assert items["benchmarks_note"] == note("no_benchmarks")
    assert items["scorecard_summary"] == note("no_scorecard")
    assert items["outlook_styled"] == note("no_forecasts")
    assert items["control_figure"] == note("no_control")
    assert items["driver_markdown"] == note("no_driver")
    assert items["competency_figure"] == note("no_competencies")
    assert items["kpis_note"].startswith("No KPI table is named in the parameters (kpi_table)")
    assert "Training hours per agent" in items["kpis_note"]
    for name in ("trajectory_figure", "bullet_figure", "scorecard_styled",
                 "contributions_figure", "fan_charts", "control_signals_styled",
                 "competency_styled"):
        assert items[name] is None, name                   # no empty axes, no empty table
    for name, item in items.items():
        if isinstance(item, Note):
            assert item.count(". ") == 0 and item.endswith("."), name   # one sentence
    # the peer comparison still shows, naming no demo source
    bench = rendered(items["benchmarks_styled"])
    assert "peer median" in bench and "industry median" not in bench
    assert r.summary() == [None, note("no_targets")]
    assert r.status_summary() == note("no_targets")
    text = "\n".join(rendered(i) for i in items.values())
    for word in DEMO_WORDS:
        assert word not in text
    assert "0 rows" not in text


def test_notes_in_chinese(bare):
    r = team_report(bare, "complaints")
    assert r.gap_styled() == note("no_targets", "zh")
    assert r.benchmarks_note() == note("no_benchmarks", "zh")
    assert r.competency_figure() == note("no_competencies", "zh")
    assert r.outlook_styled() == "无预测：预测仅针对设有目标的指标，而本团队没有设定目标。"
    assert "人均培训时长" in r.kpis_note()


def test_a_team_alone_has_nothing_to_compare_with(tmp_path, demo_dir):
    p = bare_params(tmp_path, demo_dir, {"billing": "team: billing\n"})
    t = pd.read_parquet(demo_dir / "tickets.parquet")
    t[t["team"] == "billing"].to_parquet(tmp_path / "billing.parquet")
    (p / "teams" / "billing.yaml").write_text(f"team: billing\ntickets: {tmp_path}/billing.parquet\n"
                                              "as_of: 2026-10-31 23:59:59\n")
    r = team_report(p, "billing")
    assert r.benchmarks_note() is None
    assert r.benchmarks_styled() == note("no_comparison")
    assert r.peer_figure() == note("no_peers", period="2026-10")


def test_a_file_without_the_team(tmp_path, demo_dir):
    targets = tmp_path / "targets.csv"
    targets.write_text("team,kpi,baseline,baseline_period,target,deadline\n"
                       "chat,fcr_rate,0.7,2025-12,0.8,2026-12\n")
    p = bare_params(tmp_path, demo_dir, {"billing": f"team: billing\ntargets: {targets}\n"
                                         f"competencies: {demo_dir / 'competencies.csv'}\n"
                                         "competency_targets: "
                                         f"{demo_dir / 'competency_targets.csv'}\n"})
    assessments = pd.read_csv(demo_dir / "competencies.csv")
    assessments[assessments["team"] != "billing"].to_csv(tmp_path / "comp.csv", index=False)
    (p / "teams" / "billing.yaml").write_text(
        (p / "teams" / "billing.yaml").read_text().replace(
            str(demo_dir / "competencies.csv"), str(tmp_path / "comp.csv")))
    r = team_report(p, "billing")
    assert r.gap_styled() == note("no_team_targets")
    assert r.scorecard_summary() == note("no_scorecard")
    assert r.competency_figure() == note("no_team_competencies")


def test_overview_without_targets_or_benchmarks(bare):
    o = OverviewReport.load(bare)
    assert o.status_counts() == note("no_targets_any")
    assert o.ranking() == note("no_targets_any")
    assert o.at_risk_table() == note("no_targets_any")
    assert o.gaps().empty and o.at_risk().empty
    assert "**Period:** 2026-10" in o.header_markdown()
    m = o.peer_matrix()
    assert list(m.index) == ["billing", "chat", "complaints"]


def test_overview_with_teams_on_different_periods(tmp_path, demo_dir):
    p = make_params(tmp_path, demo_dir, {"billing": "team: billing\n",
                                         "chat": "team: chat\n",
                                         "email": "team: email\nperiod: week\n"
                                                  "kpi_table: null\n"})
    o = OverviewReport.load(p)
    assert set(o.kpis) == {"month", "week"}
    # the export ends on Saturday 31 October 2026: October is complete, ISO week
    # 2026-W44 (26 October to 1 November) is not
    assert o.assessed("billing") == pd.Period("2026-10", "M")
    per = o.periods("email")
    assert per["partial"] == pd.Period("2026-10-26", "W-SUN")
    assert per["assessed"] == pd.Period("2026-10-19", "W-SUN")
    head = o.header_markdown()
    assert "**Periods:** 2026-10 (2 teams), 2026-W43 (1 team)" in head
    assert "email: 2026-W44 (partial, to 31 Oct)" in head
    counts = o.status_counts().data
    assert counts.set_index("period").index[:3].tolist() == ["2026-10", "2026-10", "2026-W43"]
    g = o.gaps()
    assert set(g.loc[g["team"] == "email", "as_of"]) == {pd.Period("2026-10-19", "W-SUN")}
    assert len(o.scorecard_totals()) == 3
    # weeks are ranked among weeks only: email has no peer there
    m = o.peer_matrix()
    assert m.loc["email (2026-W43)"].isna().all()
    assert m.loc["billing (2026-10)"].notna().any()


def test_run_without_targets_or_benchmarks(tmp_path, demo_dir):
    """servicekpi run on params naming no targets, benchmarks, KPI table or
    competencies: every report, the overview and the index are ok and name no
    demo source."""
    from servicekpi.runner import run_reports

    p = bare_params(tmp_path, demo_dir, {"billing": "team: billing\n",
                                         "complaints": "team: complaints\nlanguage: zh\n"})
    out = tmp_path / "r"
    summary = run_reports(p, out, workers=2, progress=False)
    assert [r.outcome for r in summary.results] == ["ok", "ok"], summary.results
    assert summary.overview.outcome == "ok", summary.overview.error
    assert summary.results[0].summary["status_counts"] == {}
    assert summary.results[0].summary["grade"] is None
    pages = {name: FIGURE.sub("", (out / path).read_text()) for name, path in
             (("billing", "teams/billing.html"), ("complaints", "teams/complaints.html"),
              ("overview", "overview.html"), ("index", "index.html"))}
    for name, page in pages.items():
        for word in ("Demo", "synthetic"):
            assert word not in page, name
        assert "rows ×" not in page and "rows x " not in page, name
    assert note("no_targets").replace("'", "&#x27;") in pages["billing"] \
        or note("no_targets") in pages["billing"]
    assert "No external benchmarks file is named" in pages["billing"]
    assert note("no_benchmarks", "zh") in pages["complaints"]
    assert note("no_targets_any") in pages["overview"]
    assert 'href="overview.html"' in pages["index"]
    for nb in ("teams/billing.ipynb", "teams/complaints.ipynb", "overview.ipynb"):
        cells = json.loads((out / nb).read_text())["cells"]
        for cell in cells:
            for o in cell.get("outputs", []):
                assert o["output_type"] != "error", nb
                assert o.get("name") != "stderr", (nb, o.get("text"))


def test_tickets_must_be_named():
    from servicekpi.errors import ConfigError
    with pytest.raises(ConfigError, match="no ticket export named"):
        TeamReport.load(team="billing")


def test_no_targets_gives_empty_tables_with_their_columns():
    from servicekpi.gaps import gap_table
    from servicekpi.scorecard import scorecard

    kpis = pd.DataFrame({"team": ["a"], "period": pd.PeriodIndex(["2024-01"], freq="M"),
                         "kpi": ["fcr_rate"], "value": [0.7], "n": [50.0]})
    g = gap_table(kpis, None, rule="forecast")
    assert g.empty and {"status", "probability", "as_of"} <= set(g.columns)
    sc = scorecard(kpis, None)
    assert sc.scores.empty and {"team", "score", "weight", "contribution"} <= set(sc.scores.columns)
    assert sc.totals.empty and "grade" in sc.totals.columns
