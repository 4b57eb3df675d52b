"""The parameter contract: defaults + one file per team, checked before anything runs."""
from pathlib import Path

import pytest

import servicekpi as skpi
from conftest import make_params
from servicekpi.params import ReportParams, load_params


def test_load_params(tmp_path, demo_dir):
    p = make_params(tmp_path, demo_dir, {"phone": "team: phone\ndisplay_name: Phone <b>&</b>\n",
                                         "chat": "team: chat\nhistory_periods: 3\n"})
    got = {x.team: x for x in load_params(p)}
    assert got["phone"].name == "Phone <b>&</b>" and got["phone"].history_periods == 6
    assert got["chat"].history_periods == 3                    # team file overrides
    assert got["chat"].catalogue == (p / "catalogue.yaml").resolve()
    assert [x.team for x in load_params(p, ["chat"])] == ["chat"]


def test_all_problems_at_once(tmp_path, demo_dir):
    p = make_params(tmp_path, demo_dir, {
        "a": "team: a\ncolour: blue\n",                       # unknown key
        "b": "team: b\nhistory_periods: many\n",              # wrong type
        "c": "team: c\nkpis: [fcr_rate, happiness]\n",        # KPI not in catalogue
        "d": "team: d\ntickets: nowhere.csv\n",               # missing data file
        "e": "team: ../../etc\n",                             # unsafe id
        "f": "team: f\nperiod: fortnight\n",
    })
    with pytest.raises(skpi.ConfigError) as ei:
        load_params(p)
    got = {(Path(x.source).name, x.column) for x in ei.value.problems}
    assert {("a.yaml", "colour"), ("b.yaml", "history_periods"), ("c.yaml", "kpis"),
            ("d.yaml", "tickets"), ("e.yaml", "team"), ("f.yaml", "period")} <= got
    assert "happiness" in str(ei.value) and "nowhere.csv" in str(ei.value)


@pytest.mark.parametrize("bad", ["a/b", "..", "a..b", ".hidden", "a b", "x\\y", ""])
def test_unsafe_team_ids(bad, tmp_path):
    with pytest.raises(Exception):
        ReportParams(team=bad, tickets=tmp_path, catalogue=tmp_path)


def test_unknown_team_requested(tmp_path, demo_dir):
    p = make_params(tmp_path, demo_dir, {"a": "team: a\n"})
    with pytest.raises(skpi.ConfigError, match="no parameter file for team 'zz'"):
        load_params(p, ["zz"])


def test_repository_params_are_valid(tmp_path, demo_dir):
    """params/ as committed: every team file valid against the demo data layout."""
    import shutil
    from servicekpi.config import PARAMS_DIR
    from servicekpi.demo import TEAMS

    shutil.copytree(PARAMS_DIR, tmp_path / "params")
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "demo").symlink_to(demo_dir)
    teams = load_params(tmp_path / "params")
    assert {p.team for p in teams} == {t.team for t in TEAMS}
    assert all(p.display_name for p in teams)
