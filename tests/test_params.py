"""The parameter contract: defaults + one file per team, checked before anything runs."""
from pathlib import Path

import pytest
from pydantic import ValidationError

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


def test_a_mistake_in_the_defaults_is_named_in_defaults_yaml_once(tmp_path, demo_dir):
    """A typo in defaults.yaml was reported once per team file, each naming the team
    file, none naming defaults.yaml.  A key a team file writes itself stays its own."""
    p = make_params(tmp_path, demo_dir, {"a": "team: a\n", "b": "team: b\nlangauge: zh\n",
                                         "c": "team: c\n"})
    text = (p / "defaults.yaml").read_text().replace("history_periods: 6",
                                                     "history_periods: 13 months")
    (p / "defaults.yaml").write_text(text + "langauge: zh\n")
    with pytest.raises(skpi.ConfigError) as ei:
        load_params(p)
    got = sorted((Path(x.source).name, x.column) for x in ei.value.problems)
    assert got == [("b.yaml", "langauge"), ("defaults.yaml", "history_periods"),
                   ("defaults.yaml", "langauge")]
    # a file the defaults name and no team overrides: defaults.yaml's problem
    p = make_params(tmp_path / "t", demo_dir, {"a": "team: a\n", "b": "team: b\n"})
    text = (p / "defaults.yaml").read_text()
    (p / "defaults.yaml").write_text(text.replace(f"targets: {demo_dir / 'targets.csv'}",
                                                  "targets: Targets.CSV"))
    with pytest.raises(skpi.ConfigError) as ei:
        load_params(p)
    assert [(Path(x.source).name, x.column) for x in ei.value.problems] == [
        ("defaults.yaml", "targets")]


def test_a_run_fails_a_team_for_its_own_file_and_stops_for_a_shared_problem(
        tmp_path, demo_dir):
    """team_params (what run takes): a YAML typo or unknown key in one team's file
    fails that team alone (named by its file, or the file's name when the YAML does
    not read); a problem of defaults.yaml, or of a file every team names, or of the
    only team, is shared (nothing runs)."""
    from servicekpi.params import team_params

    p = make_params(tmp_path, demo_dir, {
        "phone": "team: phone\n",
        "chat": "team: chat\ndisplay_name: Chat desk\nhistroy_periods: 6\n",
        "email": "team: email\nlanguage: [zh\n",
        "vip": "team: vip_care\ntargets: missing.csv\n",
    })
    got = team_params(p)
    assert [x.team for x in got.ok] == ["phone"] and got.shared == []
    assert {t: [(Path(q.source).name, q.column) for q in qs]
            for t, qs in got.failed.items()} == {
        "chat": [("chat.yaml", "histroy_periods")], "email": [("email.yaml", None)],
        "vip_care": [("vip.yaml", "targets")]}
    assert got.names == {"chat": "Chat desk", "email": "email", "vip_care": "vip_care"}
    # a run of some teams: another team's broken file is not its concern
    got = team_params(p, ["phone", "email"])
    assert [x.team for x in got.ok] == ["phone"] and list(got.failed) == ["email"]
    assert team_params(p, ["phone"]) == ([got.ok[0]], {}, {}, [])
    # a file that does not read is the team's its 'team:' line names, not its file
    # name's; a blank or odd 'team:' is its file's, not every team's
    (p / "teams" / "vip.yaml").write_text("team: vip_care   # VIP\nlanguage: [zh\n")
    (p / "teams" / "odd.yaml").write_text("team:\nhistory_periods: 3\n")
    got = team_params(p)
    assert set(got.failed) == {"chat", "email", "vip_care", "odd"} and got.shared == []
    assert "YAML" in got.failed["vip_care"][0].message
    got = team_params(p, ["vip_care"])        # the run's only team: its YAML, said
    assert ["YAML" in q.message for q in got.shared] == [True] and not got.ok
    (p / "teams" / "odd.yaml").unlink()
    # the only team's problem, or a typo in defaults.yaml: shared, the run stops
    assert team_params(p, ["chat"]).shared[0].column == "histroy_periods"
    (p / "defaults.yaml").write_text((p / "defaults.yaml").read_text() + "langauge: zh\n")
    got = team_params(p)
    assert [(Path(q.source).name, q.column) for q in got.shared] == [
        ("defaults.yaml", "langauge")]


def test_freq_and_kpi_list_and_their_older_names(tmp_path, demo_dir):
    """`freq` and `kpi_list` are the keys; `period` and `kpis` (older files) are read as
    them, a team file's new key overrides the defaults' old one, and a problem names
    the key as the file writes it."""
    p = make_params(tmp_path, demo_dir, {
        "a": "team: a\nperiod: week\nkpis: [fcr_rate]\n",
        "b": "team: b\nfreq: quarter\nkpi_list: [nps]\n",
    })
    got = {x.team: x for x in load_params(p)}
    assert (got["a"].freq, got["a"].kpi_list) == ("week", ["fcr_rate"])
    assert (got["b"].freq, got["b"].kpi_list) == ("quarter", ["nps"])
    dumped = got["a"].model_dump()
    assert dumped["freq"] == "week" and dumped["kpi_list"] == ["fcr_rate"]
    assert "period" not in dumped and "kpis" not in dumped
    assert ReportParams(team="x", tickets=tmp_path, catalogue=tmp_path, period="week",
                        kpis=["nps"]).freq == "week"
    with pytest.raises(ValidationError, match="freq and period are one key"):
        ReportParams(team="x", tickets=tmp_path, catalogue=tmp_path, period="week",
                     freq="month")
    bad = make_params(tmp_path / "bad", demo_dir, {
        "c": "team: c\nperiod: fortnight\n", "d": "team: d\nfreq: fortnight\n"})
    with pytest.raises(skpi.ConfigError) as ei:
        load_params(bad)
    got = {(Path(x.source).name, x.column) for x in ei.value.problems}
    assert {("c.yaml", "period"), ("d.yaml", "freq")} <= got


@pytest.mark.parametrize("bad", ["a/b", "..", "a..b", ".hidden", "x\\y", "", "  "])
def test_unsafe_team_ids(bad, tmp_path):
    with pytest.raises(ValidationError, match="not safe as a file name"):
        ReportParams(team=bad, tickets=tmp_path, catalogue=tmp_path)


@pytest.mark.parametrize("name, tid", [("Service Desk", "service_desk"), ("a b", "a_b"),
                                       ("投诉处理中心", "投诉处理中心"), ("Group 70", "group_70")])
def test_team_names_become_the_loaders_ids(name, tid, tmp_path):
    assert ReportParams(team=name, tickets=tmp_path, catalogue=tmp_path).team == tid


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


# ---------------------------------------------------------------- teams: auto
AUTO_EXPORT = ("ticket_id,team,created_at\n"
               "1,Service Desk,2024-01-02 09:00\n"
               "2,投诉处理中心,2024-01-03 10:00\n"
               "3,,2024-01-04 11:00\n"
               "4,Group 70,2024-01-05 12:00\n"
               "5,Service Desk,2024-01-06 12:00\n")


def auto_params(tmp_path, defaults="teams: auto\n", files=None) -> Path:
    from servicekpi.config import CATALOGUE

    p = tmp_path / "params"
    (p / "teams").mkdir(parents=True)
    (tmp_path / "export.csv").write_text(AUTO_EXPORT, encoding="utf-8")
    (p / "defaults.yaml").write_text(f"tickets: ../export.csv\ncatalogue: {CATALOGUE}\n"
                                     "mapping: null\n" + defaults, encoding="utf-8")
    for name, text in (files or {}).items():
        (p / "teams" / name).write_text(text, encoding="utf-8")
    return p


def test_teams_auto_with_one_override(tmp_path):
    p = auto_params(tmp_path, files={
        "group_70.yaml": "history_periods: 4\n",                  # matched by file name
        "complaints.yaml": "team: 投诉处理中心\nlanguage: zh\ndisplay_name: 投诉中心\n",
    })
    got = load_params(p)
    # export order: by name, the team of blank cells last
    assert [x.team for x in got] == ["group_70", "service_desk", "投诉处理中心", "unassigned"]
    by = {x.team: x for x in got}
    assert by["group_70"].display_name == "Group 70" and by["group_70"].history_periods == 4
    assert by["service_desk"].display_name == "Service Desk"
    assert by["service_desk"].history_periods == 13 and by["service_desk"].language == "en"
    assert by["投诉处理中心"].language == "zh" and by["投诉处理中心"].display_name == "投诉中心"
    assert by["unassigned"].display_name == "Unassigned"
    assert by["service_desk"].tickets == (tmp_path / "export.csv").resolve()
    assert [x.team for x in load_params(p, ["unassigned", "group_70"])] == [
        "group_70", "unassigned"]
    with pytest.raises(skpi.ConfigError, match="no parameter file for team 'zz' or in the "
                                               "export"):
        load_params(p, ["zz"])


def test_teams_default_auto_without_files_files_otherwise(tmp_path):
    p = auto_params(tmp_path, defaults="")
    assert len(load_params(p)) == 4                           # no files: auto
    (p / "teams" / "service_desk.yaml").write_text("team: service_desk\n")
    assert [x.team for x in load_params(p)] == ["service_desk"]   # files: only those
    (p / "defaults.yaml").write_text((p / "defaults.yaml").read_text() + "teams: auto\n")
    assert len(load_params(p)) == 4


def test_teams_auto_problems(tmp_path):
    p = auto_params(tmp_path, defaults="teams: every\n",
                    files={"a.yaml": "team: a\nteams: auto\n"})
    with pytest.raises(skpi.ConfigError) as ei:
        load_params(p)
    got = {(Path(x.source).name, x.column) for x in ei.value.problems}
    assert {("defaults.yaml", "teams"), ("a.yaml", "teams")} <= got
    # an export that does not load: teams cannot be listed, the loader's problem is shown
    p2 = auto_params(tmp_path / "x", files={})
    (tmp_path / "x" / "export.csv").write_text("ticket_id,team,created_at\n1,a,someday\n")
    with pytest.raises(skpi.ConfigError) as ei:
        load_params(p2)
    text = str(ei.value)
    assert "cannot list the teams of export.csv" in text and "someday" in text


def test_as_of_override_and_check(tmp_path):
    p = auto_params(tmp_path, defaults="as_of: 2024-01-04\n")
    assert {x.as_of for x in load_params(p)} == {"2024-01-04"}
    got = load_params(p, overrides={"as_of": "2024-01-05 18:00"})
    assert {x.as_of for x in got} == {"2024-01-05 18:00"}
    # the as-of time decides which tickets exist: none of group_70's is before it
    assert "group_70" not in {x.team for x in load_params(p)}
    with pytest.raises(skpi.ConfigError, match="as_of"):
        load_params(p, overrides={"as_of": "soon"})


def test_teams_auto_override_for_a_team_not_in_the_export(tmp_path):
    p = auto_params(tmp_path, files={"servicedesk.yaml": "language: zh\n"})
    with pytest.raises(skpi.ConfigError, match="team 'servicedesk' is not in the export "
                                               r"\(teams: auto; its teams: group_70, "
                                               "service_desk, 投诉处理中心, unassigned"):
        load_params(p)
    # a team with its own export is another team, not a typo
    (tmp_path / "other.csv").write_text("ticket_id,team,created_at\n1,x,2024-01-01\n")
    (p / "teams" / "servicedesk.yaml").write_text(f"tickets: {tmp_path / 'other.csv'}\n")
    assert "servicedesk" in {x.team for x in load_params(p)}
    # a file named as people write the team matches it: Service Desk.yaml -> service_desk
    (p / "teams" / "servicedesk.yaml").unlink()
    (p / "teams" / "Service Desk.yaml").write_text("language: zh\n")
    by = {x.team: x for x in load_params(p, ["Service Desk"])}
    assert list(by) == ["service_desk"] and by["service_desk"].language == "zh"


# ---------------------------------------------------------------- how the export is read
def test_read_options_are_parameters(tmp_path):
    p = ReportParams(team="a", tickets=tmp_path, catalogue=tmp_path, dayfirst=True,
                     timezone="Europe/London", encoding="cp1252")
    opts = p.ticket_options()
    assert (opts["dayfirst"], opts["timezone"], opts["encoding"]) == (True, "Europe/London",
                                                                      "cp1252")
    plain = ReportParams(team="a", tickets=tmp_path, catalogue=tmp_path).ticket_options()
    assert plain["dayfirst"] is None and plain["timezone"] is None
    assert plain.get("encoding") is None
    assert ReportParams(team="a", tickets=tmp_path, catalogue=tmp_path,
                        timezone="as_written").timezone == "as_written"
    with pytest.raises(ValidationError, match="unknown time zone 'Mars/Olympus'"):
        ReportParams(team="a", tickets=tmp_path, catalogue=tmp_path, timezone="Mars/Olympus")
    with pytest.raises(ValidationError, match="unknown encoding 'klingon'"):
        ReportParams(team="a", tickets=tmp_path, catalogue=tmp_path, encoding="klingon")
    with pytest.raises(ValidationError, match="dayfirst"):
        ReportParams(team="a", tickets=tmp_path, catalogue=tmp_path, dayfirst="sometimes")


def test_dayfirst_in_defaults_reads_an_ambiguous_export(tmp_path):
    """02/03/2024 and 05/03/2024: no day above 12. Undeclared, teams: auto cannot list
    the teams; dayfirst: true reads 2 and 5 March, false 3 February and 3 May."""
    from servicekpi.params import load_export

    p = auto_params(tmp_path)
    (tmp_path / "export.csv").write_text("ticket_id,team,created_at\n1,Desk,02/03/2024\n"
                                         "2,Desk,05/03/2024\n")
    with pytest.raises(skpi.ConfigError, match="day order cannot be decided"):
        load_params(p)
    defaults = (p / "defaults.yaml").read_text()
    (p / "defaults.yaml").write_text(defaults + "dayfirst: true\n")
    (got,) = load_params(p)
    assert got.team == "desk" and got.dayfirst is True
    assert load_export(got)["created_at"].dt.strftime("%m-%d").tolist() == ["03-02", "03-05"]
    (p / "defaults.yaml").write_text(defaults + "dayfirst: false\n")
    (got,) = load_params(p)
    assert load_export(got)["created_at"].dt.strftime("%m-%d").tolist() == ["02-03", "05-03"]


def test_decimal_in_defaults_reads_thousands_separators(tmp_path):
    """A semicolon export whose handle times are 1.440 and 2.250 minutes with a
    thousands point (1440 and 2250) and 12: no cell tells the mark, so undeclared
    they read 1.44 and 2.25 (AHT (1.44 + 2.25 + 12) / 3 = 5.23, with a warning
    saying to declare decimal: ','); declared in the parameters, AHT
    (1440 + 2250 + 12) / 3 = 1234."""
    from servicekpi.params import load_export

    p = auto_params(tmp_path)
    (tmp_path / "export.csv").write_text(
        "ticket_id;team;created_at;handle_minutes\n1;Desk;2024-01-03 09:00;1.440\n"
        "2;Desk;2024-01-04 09:00;2.250\n3;Desk;2024-01-05 09:00;12\n")

    def aht(params):
        k = skpi.compute_kpis(load_export(params)).set_index("kpi")
        return k.loc["aht_minutes", "value"]
    (got,) = load_params(p)
    assert got.decimal is None and aht(got) == pytest.approx((1.44 + 2.25 + 12) / 3)
    warned = skpi.tickets.quality_warnings(load_export(got))
    assert any("declare decimal: ','" in w for w in warned)
    defaults = (p / "defaults.yaml").read_text()
    (p / "defaults.yaml").write_text(defaults + "decimal: ','\n")
    (got,) = load_params(p)
    assert got.ticket_options()["decimal"] == "," and aht(got) == pytest.approx(1234)
    assert not any("decimal" in w for w in skpi.tickets.quality_warnings(load_export(got)))
    (p / "defaults.yaml").write_text(defaults + "decimal: ';'\n")
    with pytest.raises(skpi.ConfigError, match="decimal"):
        load_params(p)


def test_timezone_and_encoding_checked_in_files(tmp_path):
    p = auto_params(tmp_path, defaults="timezone: Mars/Olympus\nencoding: klingon\n")
    with pytest.raises(skpi.ConfigError) as ei:
        load_params(p)
    text = str(ei.value)
    assert "unknown time zone 'Mars/Olympus'" in text and "unknown encoding 'klingon'" in text


@pytest.mark.parametrize("when", ["9999-12-31", "1900-01-01", "2100-01-01 00:00"])
def test_as_of_outside_the_years_read_is_refused(when, tmp_path):
    p = auto_params(tmp_path, defaults=f"as_of: '{when}'\n")
    with pytest.raises(skpi.ConfigError, match=f"as-of time '{when}' is outside the years "
                                               "1980-2099"):
        load_params(p)


# ---------------------------------------------------------------- no teams
def test_teams_auto_no_tickets_left(tmp_path):
    """as_of before every ticket: not '0 teams', but why."""
    p = auto_params(tmp_path, defaults="as_of: 2023-12-31 18:00\n")
    with pytest.raises(skpi.ConfigError) as ei:
        load_params(p)
    assert [str(q) for q in ei.value.problems] == [
        "export.csv: no tickets left: all 5 rows were created after the as-of time "
        "2023-12-31 18:00; a later as-of time (as_of:) keeps them"]


def test_teams_auto_export_not_found(tmp_path):
    p = auto_params(tmp_path)
    (tmp_path / "export.csv").unlink()
    with pytest.raises(skpi.ConfigError, match="teams: auto cannot list the teams: file "
                                               "not found"):
        load_params(p)
