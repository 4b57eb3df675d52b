"""The leadership overview's presentation: tables as Stylers in the report
style, statuses and grades in words, every word in the overview's language.
No notebook runs here."""
import html
import re

import pandas as pd
import pytest

from conftest import make_params, page_text
from servicekpi.i18n import ALLOWED_WORDS, english_words, msg
from servicekpi.params import parameter_words
from servicekpi.report import OverviewReport
from servicekpi.report.overview import SECTIONS
from servicekpi.status import Status


@pytest.fixture(scope="module")
def overviews(tmp_path_factory, demo_dir):
    """The demo's overview in Chinese (every team zh) and in English."""
    out = {}
    for lang in ("zh", "en"):
        root = tmp_path_factory.mktemp(lang)
        p = make_params(root, demo_dir, {t: f"team: {t}\nlanguage: {lang}\n"
                                         for t in ("phone", "chat", "email", "vip_care")})
        out[lang] = OverviewReport.load(p, links={"phone": "teams/phone.html"})
    return out


def items(ov):
    """Everything the overview shows, as text a reader sees."""
    shown = [ov.header()] + [ov.heading(k) for k in SECTIONS]
    for method in ("status_table", "ranking_table", "at_risk_table"):
        t = getattr(ov, method)()
        shown.append(t if isinstance(t, str) else t.to_html())
    shown.append(ov.report_links())
    return shown


def data_words(ov) -> set[str]:
    """The words of the data the overview quotes: its title (a parameter), team
    names, owners."""
    data = [ov.title] + [ov.name(p.team) for p in ov.teams] + [p.team for p in ov.teams]
    data += [o for t in ov.targets.values() for o in t.get("owner", pd.Series()).dropna()]
    return {w for text in data for w in english_words(text, set())}


def figure_texts(ov) -> list[str]:
    """Every text drawn in the overview's figure (the teams x KPIs heatmap)."""
    from matplotlib.text import Text
    fig = ov.peer_figure()
    return [t.get_text() for t in fig.findobj(Text)] if not isinstance(fig, str) else []


def shown_english(ov) -> list[str]:
    allow = set(ALLOWED_WORDS) | parameter_words() | data_words(ov)
    words = [w for t in figure_texts(ov) for w in english_words(t, allow)]
    for item in items(ov):
        text = " ".join(t for t, _, seen in page_text(str(item)).pieces if seen)
        words += english_words(re.sub(r"#[0-9a-fA-F]{6}", "", text), allow)
    return words


def test_chinese_overview_has_no_english_words(overviews):
    ov = overviews["zh"]
    assert ov.language == "zh"
    assert shown_english(ov) == []
    assert "管理层总览" in ov.header() and "## 各项目标的状态" in ov.heading("status")
    assert ov.catalogue.label("fcr_rate", "zh") in figure_texts(ov)      # the figure checked
    # the check can fail: the English overview is full of English words
    assert {"Teams", "Period", "Generated"} <= set(shown_english(overviews["en"]))


def test_tables_are_stylers_with_status_and_grade_words(overviews):
    ov = overviews["zh"]
    status = ov.status_table()
    frame = status.data
    words = [s.label("zh") for s in Status]
    assert list(frame.columns) == ["团队", "评估期", *words]
    assert frame.iloc[-1, 0] == "全部团队"
    counts = ov.status_counts()
    assert list(counts.columns) == [s.value for s in Status]
    assert frame.iloc[-1, 2:].tolist() == counts.sum().tolist()
    html = status.to_html()
    for s in Status:                      # a count cell is coloured by its status
        if counts[s.value].sum():
            assert s.background in html
    assert '<a href="teams/phone.html">' in html                  # links kept as links
    ranking = ov.ranking_table().data
    assert set(ranking["等级"]) <= {"优秀", "良好", "合格", "不合格", "–"}
    assert set(ov.ranking()["grade"].dropna()) <= {"A", "B", "C", "D"}    # codes in numbers
    at_risk = ov.at_risk_table()
    if not isinstance(at_risk, str):
        assert set(at_risk.data["状态"]) <= {Status.OFF_TRACK.label("zh"),
                                            Status.AT_RISK.label("zh")}
        assert set(at_risk.data[msg("overview.column.better_now", "zh")]) <= {"是", "否"}


def test_english_overview_keeps_its_words(overviews):
    ov = overviews["en"]
    header = ov.header()
    assert header.startswith("# Customer service KPI report: leadership overview")
    assert "**Teams:** 4" in header and "**Period:** " in header
    frame = ov.status_table().data
    assert list(frame.columns)[:2] == ["team", "period"] and frame.iloc[-1, 0] == "all teams"
    caption = html.unescape(ov.ranking_table().caption)
    assert "A >= 90" in caption and "25%" in caption


def test_unknown_section_is_refused(overviews):
    from servicekpi.errors import InvalidArgument
    with pytest.raises(InvalidArgument, match="unknown overview section"):
        overviews["en"].section("status_counts")


def test_goals_at_risk_show_values_in_the_teams_unit():
    """The goals at risk show a value in the unit the team's page shows the KPI in
    (one unit per KPI and team, from the team's values shown), not in the unit
    that reads best for the value alone."""
    from analysis_data import kpi_rows, series, targets
    from servicekpi import config
    from servicekpi.catalogue import load_catalogue
    from servicekpi.params import ReportParams
    kpi = "avg_resolution_hours"
    hours = [1.0 + 0.02 * (i % 3) for i in range(23)] + [2.0]   # about an hour, then two
    k = kpi_rows(series("a", kpi, "2024-01", hours, n=400, rate=False, sd=0.3))
    t = targets([("a", kpi, 1.0, "2024-12", 0.5, "2026-12")])
    p = ReportParams(team="a", tickets="tickets.csv", catalogue=config.CATALOGUE)
    cat = load_catalogue(config.CATALOGUE)
    ov = OverviewReport("t", [p], cat, {"month": k}, {"month": t}, {},
                        ends={"a": pd.Timestamp("2026-01-01")})
    assert list(ov.at_risk()["kpi"]) == [kpi]
    unit = ov.assessment("a").unit(kpi)
    assert unit.code == "min"                    # the team's values: about an hour
    cell = ov.at_risk_table().data.iloc[0, 2]
    assert cell == cat[kpi].fmt(2.0, unit=unit) and cell.endswith("min")
    assert cat[kpi].fmt(2.0) != cell             # the value alone would read in hours


def test_teams_assessed_in_processes_as_one_after_the_other(tmp_path, demo_dir):
    """workers=2 assesses the teams in a process pool (their assessments come back
    from it), with the same gap tables, scorecards and ranking as workers=1; each
    team's assessment holds its own KPI rows only."""
    p = make_params(tmp_path, demo_dir, {t: f"team: {t}\n" for t in ("phone", "chat", "email")})
    import numpy as np
    teams = ("phone", "chat", "email")
    one, two = OverviewReport.load(p, workers=1), OverviewReport.load(p, workers=2)
    assert (one.workers, two.workers) == (1, 2)
    before = {w: {t: o.assessment(t) for t in teams} for w, o in ((1, one), (2, two))}
    assert set(before[2]["chat"].kpis["team"]) == {"chat"}
    pd.testing.assert_frame_equal(two.gaps(), one.gaps())
    assert all(two.assessment(t) is not before[2][t] for t in teams)       # from the pool
    assert all(one.assessment(t) is before[1][t] for t in teams)           # computed here
    sims = {w: o.gaps().attrs["simulations"] for w, o in ((1, one), (2, two))}
    assert sims[1].keys() == sims[2].keys() and len(sims[1])
    assert all(np.array_equal(sims[1][k].paths, sims[2][k].paths) for k in sims[1])
    pd.testing.assert_frame_equal(two.scorecard().scores, one.scorecard().scores)
    pd.testing.assert_frame_equal(two.ranking(), one.ranking())
    assert len(one.gaps()) and set(one.gaps()["team"]) == set(teams)


def test_the_overview_takes_the_gap_tables_its_team_reports_stored(tmp_path, demo_dir,
                                                                   monkeypatch):
    """In a run, each team report keeps its gap table and its scorecard in the
    run's store, under a digest of its inputs; the overview takes those instead
    of simulating every target and scoring every team again, and shows the same.
    A team whose inputs differ in any way (one KPI value) is not found there,
    and is computed."""
    import dataclasses
    import importlib

    import numpy as np

    from servicekpi import gaps as gaps_module
    scorecard_module = importlib.import_module("servicekpi.scorecard")   # not the function
    from servicekpi.params import load_params
    from servicekpi.report import TeamReport

    teams = ("phone", "chat", "email")
    p = make_params(tmp_path, demo_dir, {t: f"team: {t}\n" for t in teams})
    store = tmp_path / "run" / "gaps"
    stored, cards = {}, {}
    for q in load_params(p):
        report = dataclasses.replace(TeamReport.load(**q.notebook_parameters()), store=store)
        stored[q.team] = report.gaps()
        cards[q.team] = report.scorecard()
    assert len(list(store.glob("*-gaps.pkl"))) == len(list(store.glob("*-scorecard.pkl"))) \
        == len(teams)
    plain = OverviewReport.load(p, workers=1)          # no store: computes every team
    plain.gaps(), plain.scorecard()

    computed, scored = [], []
    real = gaps_module.gap_table
    monkeypatch.setattr(gaps_module, "gap_table", lambda k, *a, **kw: (
        computed.append(None if k is None else sorted(set(k["team"]))), real(k, *a, **kw))[1])
    real_scorecard = scorecard_module.scorecard
    monkeypatch.setattr(scorecard_module, "scorecard", lambda *a, **kw: (
        scored.append(1), real_scorecard(*a, **kw))[1])
    ov = dataclasses.replace(OverviewReport.load(p, workers=2), store=store, _cache={})
    # (found in the store here: a pool's processes would simulate out of sight)
    assert all(ov.assessment(t)._stored("gaps") is not None for t in teams)
    pd.testing.assert_frame_equal(ov.gaps(), plain.gaps())
    assert [c for c in computed if c is not None] == []      # nothing simulated again
    for t in teams:
        pd.testing.assert_frame_equal(ov.assessment(t).gaps(), stored[t])
        sims = ov.assessment(t).gaps().attrs["simulations"]
        assert all(np.array_equal(s.paths, plain.gaps().attrs["simulations"][k].paths)
                   for k, s in sims.items())
    pd.testing.assert_frame_equal(ov.scorecard().scores, plain.scorecard().scores)
    pd.testing.assert_frame_equal(ov.scorecard().totals, plain.scorecard().totals)
    assert scored == []                      # every team's scorecard from the store
    for t in teams:                          # each as its own report scored it
        pd.testing.assert_frame_equal(ov.assessment(t).scorecard(bad_rows="drop").totals,
                                      cards[t].totals)

    computed.clear()
    changed = dataclasses.replace(OverviewReport.load(p, workers=1), store=store, _cache={})
    k = changed.kpis["month"]
    row = np.flatnonzero((k["team"] == "chat").to_numpy())[-1]
    k.iloc[row, k.columns.get_loc("value")] += 1.0
    changed.gaps()
    assert [c for c in computed if c is not None] == [["chat"]], computed
    scored.clear()
    changed.scorecard()
    assert len(scored) == 1                 # chat's scorecard: computed, the others' taken


def test_the_ranking_shows_each_score_as_the_team_pages_do(overviews, monkeypatch):
    """Scores are floored to one decimal on the team pages (``fmt_score``: 99.88 is
    not yet 99.9, and 89.96 not yet a grade band's 90.0); the ranking shows the same
    figure, not one rounded the other way."""
    from servicekpi.catalogue import fmt_score

    ov = overviews["en"]
    ranked = ov.ranking().copy()
    ranked.loc[ranked.index[0], "score"] = 99.88
    if len(ranked) > 1:
        ranked.loc[ranked.index[1], "score"] = 89.96
    monkeypatch.setattr(ov, "ranking", lambda: ranked)
    shown = ov.ranking_table().data
    column = shown.columns[3]
    assert list(shown[column]) == [fmt_score(v) for v in ranked["score"]]
    assert shown[column].iloc[0] == "99.8"
    if len(ranked) > 1:
        assert shown[column].iloc[1] == "89.9"


def test_a_current_value_of_an_earlier_period_is_dated(overviews, monkeypatch):
    """Most at risk: a goal whose current value is of an earlier period than the
    one assessed (that period left out, tickets still open) shows it with its
    period in brackets, as the team pages do; the others show the value alone."""
    from servicekpi.periods import label
    ov = overviews["en"]
    rows = ov.at_risk().copy()
    assert len(rows) >= 2
    first, second = rows.index[0], rows.index[1]
    earlier = pd.Period(rows.loc[first, "period"]) - 1
    rows.loc[first, "current_period"] = earlier
    rows.loc[second, "current_period"] = pd.Period(rows.loc[second, "period"])
    monkeypatch.setattr(ov, "at_risk", lambda n=10: rows)
    shown = ov.at_risk_table().data
    current = shown.columns[2]
    assert shown[current].iloc[0].endswith(f" ({label(earlier)})")
    assert not shown[current].iloc[1].endswith(")")


def test_a_cut_list_of_goals_at_risk_says_what_it_leaves_out(overviews):
    """'Goals most at risk' shows 10 rows: a leader read them as every goal at risk
    (the demo has 23; Billing's two off-track goals, which cap its grade, were not
    among them and nothing said so).  Off track comes first, then at risk, and the
    caption says how many of how many are shown."""
    ov = overviews["en"]
    g = ov.gaps()
    off = int((g["status"] == Status.OFF_TRACK).sum())
    risk = int((g["status"] == Status.AT_RISK).sum())
    assert off + risk > 2
    shown = ov.at_risk(2)
    order = [Status(s).order for s in ov.at_risk(off + risk)["status"]]
    assert order == sorted(order, reverse=True)            # off track, then at risk
    caption = ov.at_risk_table(2).caption
    assert (f"The 2 most at risk of {off + risk} ({off} off track, {risk} at risk)"
            in caption), caption
    assert len(shown) == 2
    assert "most at risk of" not in ov.at_risk_table(off + risk).caption


def test_a_team_without_targets_is_not_a_row_of_zeros():
    """A team with no targets read as 0 goals in every status, and was missing from
    the ranking: its status cells are '–' (the caption says why), and it is ranked
    last with 'no targets to assess'.  Targets files that set no targets are not
    'no targets file is named'."""
    from analysis_data import kpi_rows, series, targets
    from servicekpi import config
    from servicekpi.catalogue import load_catalogue
    from servicekpi.params import ReportParams
    kpi = "fcr_rate"
    k = pd.concat([kpi_rows(series(t, kpi, "2024-01", [0.6 + 0.002 * i for i in range(24)],
                                   n=400)) for t in ("a", "b")], ignore_index=True)
    t = targets([("a", kpi, 0.6, "2024-03", 0.9, "2026-12")])
    ps = [ReportParams(team=x, tickets="tickets.csv", targets="targets.csv",
                       catalogue=config.CATALOGUE) for x in ("a", "b")]
    cat = load_catalogue(config.CATALOGUE)
    ends = {x: pd.Timestamp("2026-01-01") for x in ("a", "b")}
    ov = OverviewReport("t", ps, cat, {"month": k}, {"month": t}, {}, ends=ends)
    status = ov.status_table()
    rows = status.data.set_index(status.data.columns[0])
    assert list(rows.loc["b"].iloc[1:]) == ["–"] * len(Status)
    assert sum(rows.loc["a"].iloc[1:]) == 1
    assert "–: no targets to assess" in status.caption
    ranking = ov.ranking_table().data
    assert list(ranking.iloc[:, 1]) == ["a", "b"]
    assert ranking.iloc[1, 0] == "–" and ranking.iloc[1, -1].startswith("no targets to assess")
    none = OverviewReport("t", ps, cat, {"month": k}, {"month": t.iloc[:0]}, {}, ends=ends)
    for note in (none.status_table(), none.ranking_table(), none.at_risk_table()):
        assert str(note).startswith("The targets files named in the parameters set no targets")
    unnamed = [p.model_copy(update={"targets": None}) for p in ps]
    note = OverviewReport("t", unnamed, cat, {"month": k}, {}, {}, ends=ends).status_table()
    assert str(note).startswith("No targets file is named")


def test_the_header_names_kept_pages_older_than_the_overview_it_shows():
    """A kept page older than its inputs is named in the header; a team the overview
    leaves out (its parameters now wrong) is not said to be shown as it is now."""
    from analysis_data import kpi_rows, series
    from servicekpi import config
    from servicekpi.catalogue import load_catalogue
    from servicekpi.params import ReportParams
    k = pd.concat([kpi_rows(series(t, "fcr_rate", "2024-01", [0.6] * 24, n=400))
                   for t in ("a", "b")], ignore_index=True)
    ps = [ReportParams(team=x, tickets="tickets.csv", catalogue=config.CATALOGUE)
          for x in ("a", "b")]
    ov = OverviewReport("t", ps[:1], load_catalogue(config.CATALOGUE), {"month": k}, {},
                        {"a": "teams/a.html", "b": "teams/b.html"},
                        ends={"a": pd.Timestamp("2026-01-01")},
                        excluded={"b": "b.yaml, key 'langauge': unknown key"},
                        outdated={"a": ["targets.csv"], "b": ["parameters"]})
    header = str(ov.header())
    older = re.search(r"\*\*Reports older than this overview\*\*.*", header).group(0)
    assert "a: targets.csv changed since its page was made" in older
    assert "b:" not in older.split("**Partly left out")[0]


def test_the_header_says_a_shared_partial_period_once():
    """Three teams of one export taken on 13 January, one of another taken on
    20 January: the header names each partial period once, with 'every team' when
    all share it, not one item per team (40 teams made a wall of text)."""
    from analysis_data import kpi_rows, series
    from servicekpi import config
    from servicekpi.catalogue import load_catalogue
    from servicekpi.params import ReportParams
    teams = ("a", "b", "c", "d")
    k = pd.concat([kpi_rows(series(t, "fcr_rate", "2024-01", [0.6] * 13, n=400))
                   for t in teams], ignore_index=True)
    ps = [ReportParams(team=x, tickets="tickets.csv", catalogue=config.CATALOGUE)
          for x in teams]
    cat = load_catalogue(config.CATALOGUE)

    def header(ends):
        ov = OverviewReport("t", ps, cat, {"month": k}, {}, {t: f"teams/{t}.html" for t in teams},
                            ends={t: pd.Timestamp(e) for t, e in ends.items()})
        return re.search(r"Partial last periods.*", str(ov.header())).group(0)
    same = {t: "2025-01-13 12:00" for t in teams}
    assert header(same) == ("Partial last periods, left out of statuses and scores: "
                            "2025-01 (partial, to 13 Jan): every team.")
    assert header({**same, "d": "2025-01-20 12:00"}) == (
        "Partial last periods, left out of statuses and scores: 2025-01 (partial, to 13 Jan): "
        "a, b, c; 2025-01 (partial, to 20 Jan): d.")
