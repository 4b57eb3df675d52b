"""One report, one story: the summary, gap table, outlook, fan charts, scorecard,
overview and the batch summary JSON say the same thing about each target.

Built on the small demo (``demo_dir``): every team's report and the overview
are loaded from one params folder, and each statement is checked against the
gap table, the one source of statuses.
"""
import json
import re

import numpy as np
import pandas as pd
import pytest

from conftest import make_params
from servicekpi.i18n import msg
from servicekpi.params import load_params
from servicekpi.report import OverviewReport, TeamReport, tables
from servicekpi.report.sentences import scorecard_summary, status_summary
from servicekpi.status import BAD, Status

TEAMS = ("phone", "chat", "vip_care", "field_service")


@pytest.fixture(scope="module")
def reports(demo_dir, tmp_path_factory):
    root = tmp_path_factory.mktemp("agreement")
    params = make_params(root, demo_dir, {t: f"team: {t}\n" for t in TEAMS})
    teams = {p.team: TeamReport.load(**p.notebook_parameters())
             for p in load_params(params)}
    return teams, OverviewReport.load(params), root


@pytest.mark.parametrize("team", TEAMS)
def test_summary_gap_table_outlook_and_fan_chart_agree(reports, team):
    r = reports[0][team]
    g = r.gaps()
    assert len(g) and set(g["status"]) <= set(Status)
    # the summary's counts are the gap table's
    summary = status_summary(r)
    for s in Status:
        n = int((g["status"] == s).sum())
        found = re.search(rf"\*\*(\d+) {re.escape(s.label('en'))}\*\*", summary)
        assert (int(found.group(1)) if found else 0) == n, (s, summary)
    # no target is "met" or "missed" before its deadline period is observed
    ahead = g["deadline"].map(pd.Period) > r.period
    assert not g.loc[ahead, "status"].isin([Status.MET, Status.MISSED]).any()
    out = tables.outlook(r).data
    out.columns = ["kpi", "target", "status", "forecast", "interval", "probability",
                   "reached", "model", "mase"]
    sims = g.attrs["simulations"]
    for row, o in zip(g.itertuples(), out.itertuples()):
        assert o.status == Status(row.status).label("en")
        sim = sims.get((row.team, row.kpi))
        if not np.isfinite(row.probability) or row.status in ("met", "missed"):
            continue
        # the status, the probability, the outlook and the fan chart: one set of paths
        assert r.forecasts()[row.kpi][0] is sim
        assert sim.model == row.model and o.model == msg(f"figures.model.{sim.model}")
        sign = r.catalogue[row.kpi].sign
        p = float(np.mean(sign * (sim.paths[-1] - row.target) >= 0))
        assert p == pytest.approx(row.probability)
        assert sim.index[-1] == pd.Period(row.deadline)
        expected = ("on_track" if p >= 0.7 else "at_risk" if p >= 0.3 else "off_track")
        if row.n >= 20:
            assert row.status == expected
        assert o.probability == f"{100 * p:.0f}%"     # "P(met at deadline)"
        # "expected reached" answers the status question: a date iff the median meets it
        median_meets = sign * (np.median(sim.paths[-1]) - row.target) >= 0
        assert isinstance(row.expected_reached, pd.Period) == bool(median_meets)


@pytest.mark.parametrize("team", TEAMS)
def test_grade_cannot_read_a_or_b_with_a_heavy_target_off_track(reports, team):
    r = reports[0][team]
    sc = r.scorecard()
    me = sc.totals.set_index("team").loc[team]
    g = r.gaps().set_index("kpi")
    mine = sc.scores[sc.scores["team"] == team].set_index("kpi")
    bad = [k for k in mine.index if g.at[k, "status"] in BAD and mine.at[k, "weight"] > 0]
    if mine.loc[bad, "weight"].sum() >= 0.25:     # together a quarter of the weight or more
        from servicekpi.scorecard import cap_reason
        assert me["grade"] in ("C", "D", None), (me["grade"], bad)
        reason = cap_reason(sc.scores, team, catalogue=r.catalogue)
        assert all(r.catalogue.label(k) in reason for k in bad)
        assert me["capped"] == (me["grade_uncapped"] in ("A", "B"))
        from servicekpi.scorecard import fuzzy_evaluation
        fz = fuzzy_evaluation(sc.scores, totals=sc.totals).set_index("team")
        if team in fz.index:                      # the fuzzy grade is capped too
            assert fz.at[team, "grade"] in ("C", "D")
    else:
        assert me["cap"] is None and not me["capped"]
    # the scorecard scores what the gap table judged: the deadline value once it passed
    for k in mine.index:
        if np.isfinite(mine.at[k, "score"]) and pd.notna(g.at[k, "deadline_value"]):
            assert mine.at[k, "value"] == g.at[k, "deadline_value"]
    # the summary sentence states the same grade and score
    text = scorecard_summary(r)
    if np.isfinite(me["score"]):
        assert f"grade {msg('grade.' + me['grade'])}" in text and f"{me['score']:.1f}" in text
    else:       # nothing scored (every target insufficient data in the gap table)
        assert me["grade"] is None and "no grade" in text
    # a target the gap table calls insufficient data is not scored
    short = g.index[g["status"] == "insufficient_data"]
    assert mine.loc[short, "score"].isna().all()


def test_overview_agrees_with_each_team_report(reports):
    teams, overview, _ = reports
    og = overview.gaps()
    totals = overview.scorecard_totals().set_index("team")
    for team, r in teams.items():
        mine = og[og["team"] == team].set_index("kpi")["status"]
        own = r.gaps().set_index("kpi")["status"]
        pd.testing.assert_series_equal(mine.sort_index(), own.sort_index(),
                                       check_names=False)
        own_total = r.scorecard().totals.set_index("team").loc[team]
        assert totals.at[team, "grade"] == own_total["grade"]
        assert totals.at[team, "score"] == pytest.approx(own_total["score"], nan_ok=True)


def test_batch_summary_json_has_no_nan_and_matches(reports):
    teams, _, root = reports
    for team, r in teams.items():
        path = root / f"{team}.json"
        r.write_summary(path)
        data = json.loads(path.read_text(), parse_constant=lambda c: pytest.fail(c))
        counts = r.gaps()["status"].value_counts().to_dict()
        assert data["status_counts"] == {k: int(v) for k, v in counts.items()}
        assert data["grade"] == r.scorecard().totals.set_index("team").at[team, "grade"]
