"""load_inputs: every input opened once for every team that reads it, every
problem kept for the team it concerns."""
import pandas as pd

import pytest

from conftest import SMALL, write_csv
from servicekpi.config import CATALOGUE
from servicekpi.errors import DataError
from servicekpi.params import ReportParams, check_inputs, clear_export_cache
from servicekpi.report.inputs import load_inputs

TARGETS = ("team,kpi,baseline,baseline_period,target,deadline\n"
           "a,csat_score,4.0,2024-01,4.5,2024-06\n"
           "b,csat_score,3.0,2024-01,2024-03,2024-06\n")   # b's target is not a number


@pytest.fixture
def counted(monkeypatch):
    """How many times each file was read (ticket exports and tables)."""
    import servicekpi.readers as readers
    import servicekpi.tickets as tickets

    reads: dict[str, int] = {}

    def counting(module, name):
        real = getattr(module, name)

        def wrapper(path, *args, **kwargs):
            reads[str(path)] = reads.get(str(path), 0) + 1
            return real(path, *args, **kwargs)
        monkeypatch.setattr(module, name, wrapper)

    counting(tickets, "load_tickets")
    counting(readers, "read_table")
    clear_export_cache()
    yield reads
    clear_export_cache()


def params(tmp_path, team, **extra):
    return ReportParams(team=team, tickets=tmp_path / "tickets.csv", catalogue=CATALOGUE,
                        mapping=None, **extra)


def test_one_export_read_once_for_two_teams(tmp_path, counted):
    write_csv(tmp_path / "tickets.csv", SMALL)
    (tmp_path / "targets.csv").write_text(TARGETS)
    both = [params(tmp_path, t, targets=tmp_path / "targets.csv") for t in ("a", "b")]
    inputs = load_inputs(both)
    assert counted[str(tmp_path / "tickets.csv")] == 1
    assert counted[str(tmp_path / "targets.csv")] == 1
    assert inputs.tickets["a"] is inputs.tickets["b"]          # one frame, shared
    assert inputs.kpis["a"] is inputs.kpis["b"]                # KPIs computed once
    assert set(inputs.kpis["a"]["team"]) == {"a", "b"}         # peers included
    # b's wrong row of the shared targets file fails b only, naming the row
    assert "a" not in inputs.problems and inputs.ok == ["a"]
    assert [q.column for q in inputs.problems["b"]] == ["target"]
    assert inputs.problems["b"][0].rows == (3,)
    assert list(inputs.targets["a"]["team"]) == ["a"]          # b's row left out
    by_freq = inputs.kpis_by_freq()
    assert list(by_freq) == ["month"] and set(by_freq["month"]["team"]) == {"a"}


def test_every_problem_of_every_team_at_once(tmp_path, counted):
    """A team missing from the export, a team whose catalogue cannot be read and a
    team with a wrong targets row: each gets its own problems, in one pass."""
    write_csv(tmp_path / "tickets.csv", SMALL)
    (tmp_path / "targets.csv").write_text(TARGETS)
    (tmp_path / "broken.yaml").write_text("kpis: [\n")
    teams = [params(tmp_path, "a", targets=tmp_path / "targets.csv"),
             params(tmp_path, "b", targets=tmp_path / "targets.csv"),
             params(tmp_path, "ghost")]
    teams.append(ReportParams(team="a2", tickets=tmp_path / "tickets.csv",
                              catalogue=tmp_path / "broken.yaml", mapping=None))
    inputs = load_inputs(teams)
    assert counted[str(tmp_path / "tickets.csv")] == 1
    assert set(inputs.problems) == {"b", "ghost", "a2"}
    assert "no tickets for team 'ghost'" in inputs.first_problem("ghost")
    # a2 has two problems: not in the export, and its catalogue does not read
    assert [q.source for q in inputs.problems["a2"]] == ["tickets.csv",
                                                         str(tmp_path / "broken.yaml")]
    with pytest.raises(DataError, match="target"):
        inputs.raise_for("b")
    inputs.raise_for("a")                                      # no problem: no error
    # the runner's and `servicekpi validate`'s view of the same load
    errors, frames = check_inputs(teams)
    assert set(errors) == {"b", "ghost", "a2"}
    assert set(pd.concat(frames)["team"]) == {"a", "b"}        # KPIs of the teams in it


def test_an_export_that_does_not_load_fails_its_teams_only(tmp_path, counted):
    write_csv(tmp_path / "tickets.csv", SMALL)
    (tmp_path / "other.csv").write_text("ticket_id,team\n1,a\n")   # no created_at
    good = params(tmp_path, "a")
    bad = ReportParams(team="b", tickets=tmp_path / "other.csv", catalogue=CATALOGUE,
                       mapping=None)
    inputs = load_inputs([good, bad])
    assert inputs.ok == ["a"] and list(inputs.problems) == ["b"]
    assert "other.csv" in str(inputs.problems["b"][0])
    assert "b" not in inputs.kpis and "a" in inputs.kpis


def test_teams_on_two_freqs_read_the_export_once(tmp_path, counted):
    write_csv(tmp_path / "tickets.csv", SMALL)
    month, week = params(tmp_path, "a"), params(tmp_path, "b", freq="week")
    inputs = load_inputs([month, week])
    assert counted[str(tmp_path / "tickets.csv")] == 1
    assert str(inputs.kpis["a"]["period"].dtype) == "period[M]"
    assert str(inputs.kpis["b"]["period"].dtype).startswith("period[W")
    assert sorted(inputs.kpis_by_freq()) == ["month", "week"]


def test_a_team_the_inputs_are_not_for_is_refused_by_name(tmp_path, counted):
    from servicekpi.errors import InvalidArgument
    write_csv(tmp_path / "tickets.csv", SMALL)
    inputs = load_inputs([params(tmp_path, "a")])
    assert inputs.params_of("a").team == "a" and inputs.catalogue("a") is not None
    for ask in (inputs.params_of, inputs.catalogue):
        with pytest.raises(InvalidArgument, match="no parameters for team 'ghost'"):
            ask("ghost")


def test_a_kpi_table_row_that_clashes_fails_its_team_only(tmp_path, counted):
    """KPI-table rows are checked against the computed KPIs for every team at once;
    when a team's rows clash (a KPI both in the table and computed), that team
    fails by name and the other teams' rows still come in."""
    write_csv(tmp_path / "tickets.csv", SMALL)
    (tmp_path / "kpis.csv").write_text(
        "team,period,kpi,value\n"
        "a,2024-01,training_hours,12\n"
        "b,2024-01,volume,99\n"              # b's volume is computed from its tickets
        "peer,2024-01,training_hours,8\n")   # a team of the table only: peer context
    teams = [params(tmp_path, t, kpi_table=tmp_path / "kpis.csv") for t in ("a", "b")]
    inputs = load_inputs(teams)
    assert inputs.ok == ["a"]
    assert "also computed from tickets" in inputs.first_problem("b")
    k = inputs.kpis["a"]
    table = k[k["kpi"] == "training_hours"].set_index("team")["value"].to_dict()
    assert table == {"a": 12.0, "peer": 8.0}
    assert not ((k["team"] == "b") & (k["value"] == 99)).any()
    clean = [params(tmp_path, "a", kpi_table=tmp_path / "kpis.csv")]
    (tmp_path / "kpis.csv").write_text("team,period,kpi,value\na,2024-01,training_hours,12\n"
                                       "b,2024-01,training_hours,5\n")
    clear_export_cache()
    k = load_inputs(clean).kpis["a"]
    assert k[k["kpi"] == "training_hours"].set_index("team")["value"].to_dict() == {
        "a": 12.0, "b": 5.0}
