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
from servicekpi.i18n import msg, note
from servicekpi.params import load_params
from servicekpi.report import Note, OverviewReport, TeamReport, figures, sections, tables
from servicekpi.report.sentences import benchmarks_note, kpis_note, status_summary

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


def shown(r) -> dict:
    """Every section's items, by section."""
    return {key: sections.items(r, key) for key in sections.SECTIONS}


#: The sections that show one Note and nothing else when their input is absent.
ALONE = {"gaps": "no_targets", "achievable": "no_targets", "scorecard": "no_scorecard",
         "forecasts": "no_forecasts", "control": "no_control", "driver": "no_driver",
         "competencies": "no_competencies"}


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
    items = shown(r)
    for key, why in ALONE.items():        # one sentence, no empty axes, no empty table
        assert items[key] == [note(why)], key
    assert benchmarks_note(r) == note("no_benchmarks")
    assert kpis_note(r).startswith("No KPI table is named in the parameters (kpi_table)")
    assert "Training hours per agent" in kpis_note(r)
    for name in ("trajectories", "bullet", "contributions", "fans", "control", "competency"):
        assert getattr(figures, name)(r) is None, name      # nothing to draw
    for key, its in items.items():
        for item in its:
            if isinstance(item, Note):
                assert item.count(". ") == 0 and item.endswith("."), key   # one sentence
    # the peer comparison still shows, naming no demo source
    assert items["benchmarks"][0] == note("no_benchmarks")
    bench = rendered(items["benchmarks"][1])
    assert msg("figures.benchmark.peer_median") in bench
    assert msg("figures.benchmark.industry_median") not in bench
    assert items["summary"] == [note("no_targets")]
    assert status_summary(r) == note("no_targets")
    text = "\n".join(rendered(i) for its in items.values() for i in its)
    for word in DEMO_WORDS:
        assert word not in text
    assert "0 rows" not in text


def test_notes_in_chinese(bare):
    r = team_report(bare, "complaints")
    assert sections.items(r, "gaps") == [note("no_targets", "zh")]
    # the small demo's complaints desk has 13 tickets a month: none of its values is
    # compared (fewer than 20 observations), which the note says rather than "no
    # benchmarks"
    assert benchmarks_note(r) is None
    assert sections.items(r, "benchmarks")[0] == note("few_own", "zh", min_n=20,
                                                      period="2026-10")
    assert note("few_own", "zh", min_n=20, period="2026-10") == (
        "本团队2026-10的每个数值都基于少于20个观测：不与外部基准或其他团队比较"
        "（目标状态的判定也要求这么多观测）。")
    assert sections.items(r, "competencies") == [note("no_competencies", "zh")]
    assert sections.items(r, "forecasts") == [
        "无预测：预测仅针对设有目标的指标，而本团队没有设定目标。"]
    assert "人均培训时长" in kpis_note(r)


def test_a_team_alone_has_nothing_to_compare_with(tmp_path, demo_dir):
    p = bare_params(tmp_path, demo_dir, {"billing": "team: billing\n"})
    t = pd.read_parquet(demo_dir / "tickets.parquet")
    t[t["team"] == "billing"].to_parquet(tmp_path / "billing.parquet")
    (p / "teams" / "billing.yaml").write_text(f"team: billing\ntickets: {tmp_path}/billing.parquet\n"
                                              "as_of: 2026-10-31 23:59:59\n")
    r = team_report(p, "billing")
    assert sections.items(r, "benchmarks") == [
        note("no_comparison", min_n=20), note("no_peers", period="2026-10", min_n=20)]
    assert figures.peers(r) is None
    assert isinstance(tables.benchmarks(r), type(tables.headline(r)))   # empty: a Styler


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
    assert sections.items(r, "gaps") == [note("no_team_targets")]
    assert sections.items(r, "summary") == [note("no_team_targets")]
    assert sections.items(r, "scorecard") == [note("no_scorecard")]
    assert sections.items(r, "competencies") == [note("no_team_competencies")]


def test_overview_without_targets_or_benchmarks(bare):
    o = OverviewReport.load(bare)
    assert o.status_table() == msg("overview.note.no_targets_any")
    assert o.ranking_table() == msg("overview.note.no_targets_any")
    assert o.at_risk_table() == msg("overview.note.no_targets_any")
    assert o.gaps().empty and o.at_risk().empty
    assert "**Period:** 2026-10" in o.header()
    m = o.peer_matrix()
    assert list(m.index) == ["billing", "chat", "complaints"]


def test_overview_with_teams_on_different_periods(tmp_path, demo_dir):
    # email's targets in weeks (the demo's are in months, which a weekly team refuses)
    weekly = tmp_path / "email_targets.csv"
    weekly.write_text("team,kpi,baseline,baseline_period,baseline_periods,target,deadline,"
                      "weight\n"
                      "email,avg_first_response_hours,9.4076,2025-W49,3,6.521,2026-W52,0.4\n"
                      "email,sla_attainment,0.6191,2025-W49,3,0.6869,2026-W52,0.35\n"
                      "email,csat_pct,0.4399,2025-W49,3,0.5352,2026-W52,0.25\n")
    p = make_params(tmp_path, demo_dir, {"billing": "team: billing\n",
                                         "chat": "team: chat\n",
                                         "email": "team: email\nperiod: week\n"
                                                  f"kpi_table: null\ntargets: {weekly}\n"})
    o = OverviewReport.load(p)
    assert set(o.kpis) == {"month", "week"}
    # the export ends on Saturday 31 October 2026: October is complete, ISO week
    # 2026-W44 (26 October to 1 November) is not
    assert o.assessed("billing") == pd.Period("2026-10", "M")
    per = o.periods("email")
    assert per["partial"] == pd.Period("2026-10-26", "W-SUN")
    assert per["assessed"] == pd.Period("2026-10-19", "W-SUN")
    head = o.header()
    assert "**Periods:** 2026-10 (2 teams), 2026-W43 (1 team)" in head
    assert "Partial last periods, left out of statuses and scores: 2026-W44 (partial, to 31 Oct): email." in head
    assert [o.assessed_label(t) for t in ("billing", "chat", "email")] == [
        "2026-10", "2026-10", "2026-W43"]
    assert o.status_counts().index.tolist() == ["billing", "chat", "email"]
    g = o.gaps()
    assert set(g.loc[g["team"] == "email", "period"]) == {pd.Period("2026-10-19", "W-SUN")}
    assert len(o.scorecard_totals()) == 3
    # weeks are ranked among weeks only: email has no peer there
    m = o.peer_matrix()
    assert m.loc["email (2026-W43)"].isna().all()
    assert m.loc["billing (2026-10)"].notna().any()


@pytest.mark.e2e
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
    assert note("few_own", "zh", min_n=20, period="2026-10") in pages["complaints"]
    assert msg("overview.note.no_targets_any") in pages["overview"]
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
    assert g.empty and {"status", "probability", "period"} <= set(g.columns)
    sc = scorecard(kpis, None)
    assert sc.scores.empty and {"team", "score", "weight", "contribution"} <= set(sc.scores.columns)
    assert sc.totals.empty and "grade" in sc.totals.columns


def test_a_baseline_typed_in_another_unit_fails_its_team(tmp_path, demo_dir):
    """tech_support's average resolution baseline typed in minutes (42.789 h x 60) and
    its target too: scored as typed it read 'on track', progress 500%, score 100.
    Refused for that team, naming the row and the unit; another team's targets in the
    same file are not concerned.  A baseline typed that differs from the data without
    a unit's factor (as given) stays a label, not a refusal."""
    from servicekpi.report.inputs import load_inputs
    t = pd.read_csv(demo_dir / "targets.csv", dtype=str)
    row = (t["team"] == "tech_support") & (t["kpi"] == "avg_resolution_hours")
    for col in ("baseline", "target"):                  # init wrote the data's baseline
        t.loc[row, col] = f"{float(t.loc[row, col].iloc[0]) * 60:.2f}"
    odd = (t["team"] == "email") & (t["kpi"] == "avg_first_response_hours")
    t.loc[odd, "baseline"] = f"{float(t.loc[odd, 'baseline'].iloc[0]) * 1.3:.4f}"  # as given
    path = tmp_path / "targets.csv"
    t.to_csv(path, index=False)
    params = make_params(tmp_path, demo_dir, {"tech_support": "team: tech_support\n",
                                              "email": "team: email\n"})
    text = (params / "defaults.yaml").read_text()
    (params / "defaults.yaml").write_text(text.replace(str(demo_dir / "targets.csv"),
                                                      str(path)))
    found = load_inputs(load_params(params))
    assert list(found.problems) == ["tech_support"]
    problem = found.problems["tech_support"][0]
    assert (problem.column, problem.rows) == ("baseline", (int(row.idxmax()) + 2,))
    assert "is 60 times what the data give" in problem.message
    assert "avg_resolution_hours is in hours" in problem.message


def test_kpi_table_rows_after_the_export_ends_are_said(tmp_path, demo_dir):
    """A KPI-table row for a period after the export ends (a typo, or a table newer
    than the export) was in no report and said nowhere; validate and run note it
    with the rows no report shows."""
    from servicekpi.report.inputs import load_inputs
    table = pd.read_csv(demo_dir / "kpi_table.csv", dtype=str)
    later = table[table["team"] == "phone"].head(1).assign(period="2031-06")
    path = tmp_path / "kpi_table.csv"
    pd.concat([table, later]).to_csv(path, index=False)
    params = make_params(tmp_path, demo_dir, {"phone": f"team: phone\nkpi_table: {path}\n",
                                              "chat": "team: chat\n"})
    found = load_inputs(load_params(params))
    notes = [q for q in found.unused if q.column == "period"]
    assert len(notes) == 1 and "team 'phone': rows for 2031-06 are after its export ends" \
        in notes[0].message and not found.problems


def test_unit_factors_are_the_kpis_units_own():
    """Factors of time apply to durations, a hundred to NPS; an NPS baseline 23 times
    the data's, or a complaint rate 25 times, is a baseline as given, not a unit."""
    from servicekpi.report.inputs import UNIT_FACTORS
    assert set(UNIT_FACTORS) == {"hours", "minutes", "points"}
    assert 24.0 not in UNIT_FACTORS["points"] and 100.0 not in UNIT_FACTORS["hours"]


def test_competency_rows_of_a_team_no_report_has_are_said(tmp_path, demo_dir):
    """Competency scores and targets for a team neither in the export nor in the
    parameters (ghost) were ignored unsaid, where a KPI table's are named."""
    from servicekpi.report.inputs import load_inputs
    scores = pd.read_csv(demo_dir / "competencies.csv", dtype=str)
    ghost = scores[scores["team"] == "phone"].head(2).assign(team="ghost", person="ghost-01")
    path = tmp_path / "competencies.csv"
    pd.concat([scores, ghost]).to_csv(path, index=False)
    params = make_params(tmp_path, demo_dir, {"phone": f"team: phone\ncompetencies: {path}\n"})
    found = load_inputs(load_params(params))
    notes = [q for q in found.unused if q.source == "competencies.csv"]
    assert len(notes) == 1 and len(notes[0].rows) == 2
    assert "these competency scores would never be shown" in notes[0].message
    assert not found.problems
