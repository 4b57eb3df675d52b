"""The command line: output files, exit codes, no tracebacks on bad input."""
import re

import pandas as pd
import pytest

import servicekpi as skpi
from servicekpi.cli import main


def test_kpis_command(small_csv, tmp_path, capsys):
    out = tmp_path / "k.csv"
    assert main(["kpis", str(small_csv), "--out", str(out)]) == 0
    table = pd.read_csv(out)
    assert list(table.columns) == ["team", "period", "kpi", "value", "n", "numerator", "sd",
                                   "open_share", "at_least", "complete"]
    assert table.loc[(table["team"] == "a") & (table["period"] == "2024-01")
                     & (table["kpi"] == "volume"), "value"].item() == 4
    assert "7 tickets" in capsys.readouterr().out


def test_kpis_command_quarter(small_csv, tmp_path):
    out = tmp_path / "k.csv"
    assert main(["kpis", str(small_csv), "--freq", "quarter", "--out", str(out)]) == 0
    assert set(pd.read_csv(out)["period"]) == {"2024Q1"}


def test_old_option_names_are_hidden_aliases(tmp_path, capsys):
    """--period and --errors (the names before --freq and --bad-rows) still work, and
    the help shows only the new names."""
    bad = tmp_path / "bad.csv"
    bad.write_text("ticket_id,team,created_at,csat\n1,A,2024-01-01,9\n"
                   + "".join(f"{i},A,2024-02-01,4\n" for i in range(2, 22)))
    out = tmp_path / "k.csv"
    assert main(["kpis", str(bad), "--period", "quarter", "--errors", "drop",
                 "--out", str(out)]) == 0
    assert set(pd.read_csv(out)["period"]) == {"2024Q1"}
    assert main(["kpis", str(bad), "--errors", "raise", "--out", str(out)]) == 2
    capsys.readouterr()
    assert main(["kpis", "--help"]) == 0
    shown = capsys.readouterr().out
    assert "--freq" in shown and "--bad-rows" in shown
    assert "--period" not in shown and "--errors" not in shown


def test_bad_input_exits_nonzero_without_traceback(tmp_path, capsys):
    bad = tmp_path / "bad.csv"
    bad.write_text("ticket_id,team,created_at,csat\n1,A,2024-01-01,9\n")
    assert main(["kpis", str(bad), "--out", str(tmp_path / "o.csv")]) == 2
    err = capsys.readouterr().err
    assert "bad.csv" in err and "csat" in err and "row 2" in err
    assert "Traceback" not in err
    assert not (tmp_path / "o.csv").exists()
    assert main(["kpis", str(tmp_path / "missing.csv"), "--out", "x.csv"]) == 2
    assert main(["kpis", str(bad), "--mapping", "nope", "--out", "x.csv"]) == 2


def test_drop_mode(tmp_path, capsys):
    bad = tmp_path / "bad.csv"
    good = "".join(f"{i},A,2024-01-01,4\n" for i in range(2, 22))
    bad.write_text("ticket_id,team,created_at,csat\n1,A,2024-01-01,9\n" + good)
    # 1 of 21 rows (4.8%) goes: under the 5% ceiling
    assert main(["kpis", str(bad), "--bad-rows", "drop", "--out", str(tmp_path / "o.csv")]) == 0
    assert "dropped" in capsys.readouterr().out


def test_demo_data_command(tmp_path):
    assert main(["demo-data", "--out", str(tmp_path), "--months", "2", "--scale", "0.01"]) == 0
    assert (tmp_path / "tickets.parquet").exists() and (tmp_path / "targets.csv").exists()


def test_kpis_mapping_auto_as_of_and_drop_ceiling(small_csv, tmp_path, capsys):
    out = tmp_path / "k.csv"
    assert main(["kpis", str(small_csv), "--out", str(out)]) == 0
    assert "mapping: canonical (detected from the header)" in capsys.readouterr().out
    # --as-of 2024-02-01: the two March tickets of team a are not created yet
    assert main(["kpis", str(small_csv), "--as-of", "2024-02-01", "--out", str(out)]) == 0
    assert "5 tickets" in capsys.readouterr().out
    table = pd.read_csv(out)
    assert set(table["period"]) == {"2024-01"}
    assert main(["kpis", str(small_csv), "--as-of", "someday", "--out", str(out)]) == 2
    bad = tmp_path / "bad.csv"          # 1 bad row of 2: 50% would go
    bad.write_text("ticket_id,team,created_at,csat\n1,A,2024-01-01,9\n2,A,2024-01-01,4\n")
    assert main(["kpis", str(bad), "--bad-rows", "drop", "--out", str(out)]) == 2
    assert "Traceback" not in capsys.readouterr().err
    assert main(["kpis", str(bad), "--bad-rows", "drop", "--max-dropped-share", "0.5",
                 "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "1 tickets" in printed and "dropped" in printed
    assert main(["kpis", str(bad), "--max-dropped-share", "2", "--out", str(out)]) == 2


def test_validate_opens_every_input(tmp_path, demo_dir, capsys):
    """A broken targets row, a broken benchmarks file, a bad KPI table and an export
    missing a column: all reported at once, the targets row naming its team."""
    from conftest import make_params

    data = tmp_path / "inputs"
    data.mkdir()
    (data / "targets.csv").write_text(
        "team,kpi,baseline,baseline_period,target,deadline\n"
        "phone,fcr_rate,0.7,2024-01,0.8,2024-12\n"
        "chat,fcr_rate,0.7,2024-06,0.8,2024-01\n")           # row 3: deadline before baseline
    (data / "benchmarks.csv").write_text("kpi,benchmark,value\nfcr_rate,industry_median,0.7\n")
    (data / "kpi_table.csv").write_text("team,period,kpi,value\nphone,2024-01,happiness,3\n")
    (data / "export.csv").write_text("ticket_id,team,opened\n1,email,2024-01-01\n")
    params = make_params(tmp_path, demo_dir, {
        "phone": "team: phone\n",
        "chat": "team: chat\n",
        "email": f"team: email\ntickets: {data / 'export.csv'}\nmapping: null\n",
    })
    defaults = params / "defaults.yaml"
    text = defaults.read_text()
    for key in ("targets", "benchmarks", "kpi_table"):
        text = text.replace(f"{key}: {demo_dir / (key + '.csv')}",
                            f"{key}: {data / (key + '.csv')}")
    defaults.write_text(text)
    assert main(["validate", "--params", str(params)]) == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err
    assert "targets.csv, column 'deadline': team 'chat': deadline is not after" in err
    assert "row 3" in err
    assert "benchmarks.csv, column 'source': required column is missing" in err
    assert "kpi_table.csv, column 'kpi': team 'phone': KPI not in the catalogue" in err
    assert "happiness" in err
    assert "export.csv, column 'created_at'" in err
    assert err.count("benchmarks.csv, column 'source'") == 1          # once, not per team


def test_validate_ok(tmp_path, demo_dir, capsys):
    from conftest import make_params

    params = make_params(tmp_path, demo_dir, {"phone": "team: phone\n"})
    assert main(["validate", "--params", str(params)]) == 0
    assert "1 teams ok (phone)" in capsys.readouterr().out


# ---------------------------------------------------------------- read options
def ambiguous_export(path, rows=2):
    """Dates that read either way (no day above 12): 01/03/2024 and 02/03/2024."""
    lines = [f"{i},Desk,0{i}/03/2024 09:00" for i in range(1, rows + 1)]
    path.write_text("ticket_id,team,created_at\n" + "\n".join(lines) + "\n")
    return path


def test_kpis_dayfirst_and_monthfirst(tmp_path, capsys):
    export = ambiguous_export(tmp_path / "amb.csv")
    out = tmp_path / "k.csv"
    assert main(["kpis", str(export), "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert "day order cannot be decided" in err
    assert "--dayfirst" in err and "--monthfirst" in err       # the options that declare it
    assert not out.exists()
    # day first: 1 and 2 March -> March, 2 tickets
    assert main(["kpis", str(export), "--dayfirst", "--as-of", "2024-04-01", "--out",
                 str(out)]) == 0
    t = pd.read_csv(out)
    assert t.loc[t["kpi"] == "volume", ["period", "value"]].values.tolist() == [["2024-03", 2]]
    # month first: 3 January and 3 February -> one ticket in each month
    assert main(["kpis", str(export), "--monthfirst", "--as-of", "2024-04-01", "--out",
                 str(out)]) == 0
    t = pd.read_csv(out)
    assert t.loc[t["kpi"] == "volume", ["period", "value"]].values.tolist() == [
        ["2024-01", 1], ["2024-02", 1]]
    capsys.readouterr()
    assert main(["kpis", str(export), "--dayfirst", "--monthfirst", "--out", str(out)]) == 2
    assert "not allowed with argument" in capsys.readouterr().err


def test_kpis_timezone(tmp_path, capsys):
    """23:30 UTC on 31 January is 07:30 on 1 February in Shanghai (UTC+8)."""
    export = tmp_path / "tz.csv"
    export.write_text("ticket_id,team,created_at\n1,A,2024-01-31T23:30:00+00:00\n"
                      "2,A,2024-02-10T10:00:00+00:00\n")
    out = tmp_path / "k.csv"
    args = ["kpis", str(export), "--as-of", "2024-03-01", "--out", str(out)]
    assert main(args) == 0
    assert pd.read_csv(out)["period"].tolist() == ["2024-01", "2024-02"]
    assert main(args + ["--timezone", "Asia/Shanghai"]) == 0
    t = pd.read_csv(out)
    assert t[["period", "value"]].values.tolist() == [["2024-02", 2]]
    capsys.readouterr()
    assert main(args + ["--timezone", "Mars/Olympus"]) == 2
    assert "unknown time zone 'Mars/Olympus'" in capsys.readouterr().err
    assert main(args + ["--timezone", "as_written"]) == 0


def test_kpis_encoding(tmp_path, capsys):
    """A Windows-1251 (Cyrillic) export: detection reads it as Windows-1252; --encoding
    cp1251 reads the team name as written."""
    export = tmp_path / "cyr.csv"
    export.write_bytes("ticket_id,team,created_at\n1,Поддержка,2024-01-05\n"
                       .encode("cp1251"))
    out = tmp_path / "k.csv"
    assert main(["kpis", str(export), "--encoding", "cp1251", "--as-of", "2024-02-01",
                 "--out", str(out)]) == 0
    assert pd.read_csv(out)["team"].tolist() == ["поддержка"]
    capsys.readouterr()
    assert main(["kpis", str(export), "--encoding", "klingon", "--out", str(out)]) == 2
    assert "unknown encoding 'klingon'" in capsys.readouterr().err


def test_kpis_decimal(tmp_path, capsys):
    """--decimal , reads 1.440 as 1440 (a thousands point): AHT (1440 + 2250) / 2."""
    export = tmp_path / "eu.csv"
    export.write_text("ticket_id;team;created_at;handle_minutes\n"
                      "1;Desk;2024-01-03 09:00;1.440\n2;Desk;2024-01-04 09:00;2.250\n")
    out = tmp_path / "k.csv"
    args = ["kpis", str(export), "--as-of", "2024-02-01", "--out", str(out)]
    assert main(args) == 0
    assert "decimal mark assumed" in capsys.readouterr().out

    def aht():
        return pd.read_csv(out).set_index("kpi").loc["aht_minutes", "value"]
    assert aht() == pytest.approx((1.44 + 2.25) / 2)
    assert main(args + ["--decimal", ","]) == 0
    assert "decimal mark" not in capsys.readouterr().out and aht() == pytest.approx(1845)
    assert main(args + ["--decimal", ";"]) == 2
    assert "invalid choice: ';'" in capsys.readouterr().err
    with pytest.raises(skpi.InvalidArgument, match="decimal must be"):
        skpi.load_tickets(export, decimal="x")          # before the file is read


# ---------------------------------------------------------------- empty results
def test_kpis_no_tickets_left_exits_2(small_csv, tmp_path, capsys):
    out = tmp_path / "k.csv"
    assert main(["kpis", str(small_csv), "--as-of", "2023-12-31", "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert err.strip().splitlines() == [
        "error: tickets.csv: no tickets left: all 7 rows were created after the as-of time "
        "2023-12-31 00:00; a later as-of time (--as-of) keeps them"]
    assert not out.exists()
    future = tmp_path / "future.csv"          # created after now: dates in the future
    future.write_text("ticket_id,team,created_at\n1,A,2098-01-01\n2,A,2098-01-02\n")
    assert main(["kpis", str(future), "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert "no tickets left: all 2 rows were created after now (" in err
    assert "dates in the future; check the export's created_at dates" in err
    assert not out.exists()


# ---------------------------------------------------------------- partial last period
def test_kpis_complete_column(small_csv, tmp_path, capsys):
    """The export's latest timestamp is 2024-03-02 10:00 (ticket 7's first response):
    March is covered to 2 March only, January is complete."""
    out = tmp_path / "k.csv"
    assert main(["kpis", str(small_csv), "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert ("last month 2024-03 is partial: the export covers it to 2024-03-02 (as-of "
            "time 2024-03-02 10:00); its rows have complete = False") in printed
    t = pd.read_csv(out)
    assert t["complete"].dtype == bool
    assert set(t.loc[t["period"] == "2024-03", "complete"]) == {False}
    assert set(t.loc[t["period"] != "2024-03", "complete"]) == {True}
    # declared as of 1 April 00:00: March is complete, nothing is printed about it
    assert main(["kpis", str(small_csv), "--as-of", "2024-04-01", "--out", str(out)]) == 0
    assert "partial" not in capsys.readouterr().out
    assert pd.read_csv(out)["complete"].all()
    # as of 31 March 23:59: the last minute of March is still to come
    assert main(["kpis", str(small_csv), "--as-of", "2024-03-31 23:59", "--out",
                 str(out)]) == 0
    assert "last month 2024-03 is partial: the export covers it to 2024-03-31" in (
        capsys.readouterr().out)
    t = pd.read_csv(out)
    assert set(t.loc[t["period"] == "2024-03", "complete"]) == {False}
    # quarters: Q1 ends 31 March; as of 2 March it is partial
    assert main(["kpis", str(small_csv), "--freq", "quarter", "--out", str(out)]) == 0
    assert not pd.read_csv(out)["complete"].any()


def test_kpis_help_documents_complete(capsys):
    assert main(["kpis", "--help"]) == 0
    text = " ".join(capsys.readouterr().out.split())
    assert "complete is False in the rows of a last period the export covers only partly" in text


# ---------------------------------------------------------------- as-of range
@pytest.mark.parametrize("when", ["9999-12-31", "1979-12-31 23:59", "2100-01-01"])
def test_as_of_outside_the_years_read(when, small_csv, tmp_path, capsys):
    assert main(["kpis", str(small_csv), "--as-of", when, "--out",
                 str(tmp_path / "k.csv")]) == 2
    err = capsys.readouterr().err
    assert f"as-of time '{when}' is outside the years 1980-2099" in err
    assert not (tmp_path / "k.csv").exists()


def test_as_of_at_the_ends_of_the_years_read(small_csv, tmp_path):
    out = tmp_path / "k.csv"
    assert main(["kpis", str(small_csv), "--as-of", "2099-12-31", "--out", str(out)]) == 0
    assert main(["kpis", str(small_csv), "--as-of", "1980-01-01", "--out", str(out)]) == 2


# ---------------------------------------------------------------- validate reads it all
def sorted_day_first(path, early=2050, late=30):
    """Sorted by date, day first: ``early`` tickets on 1-12 March (every date reads
    either way), then ``late`` on 13-28 March (a day above 12: day first)."""
    rows = [f"{i},Desk,{1 + i * 12 // early:02d}/03/2024 09:00" for i in range(early)]
    rows += [f"{early + i},Desk,{13 + i % 16:02d}/03/2024 10:00" for i in range(late)]
    path.write_text("ticket_id,team,created_at\n" + "\n".join(rows) + "\n")
    return path


def test_validate_reads_the_whole_export(tmp_path, capsys, monkeypatch):
    """The first 2,000 rows cannot decide the day order; the whole file can, as run
    reads it: validate passes where kpis, init and run do, reading the export once."""
    import servicekpi.tickets

    export = sorted_day_first(tmp_path / "sorted.csv")
    out = tmp_path / "params"
    assert main(["init", str(export), "--out", str(out)]) == 0
    reads = []
    real = servicekpi.tickets.load_tickets
    monkeypatch.setattr(servicekpi.tickets, "load_tickets",
                        lambda *a, **k: reads.append(k.get("nrows")) or real(*a, **k))
    assert main(["validate", "--params", str(out)]) == 0
    assert reads == [None]                    # one read, all of it
    printed = capsys.readouterr().out
    assert "1 teams ok (desk)" in printed and "first 2,000" not in printed
    assert "read in full" in printed
    # the other way round: a duplicate ticket id with other contents at row 2,082
    text = export.read_text() + "5,Desk,28/03/2024 11:00\n"
    export.write_text(text)
    assert main(["validate", "--params", str(out)]) == 2
    err = capsys.readouterr().err
    assert "duplicate ticket id with different contents" in err and "row 2082" in err


def validate_params(tmp_path, export_text, defaults=""):
    from servicekpi.config import CATALOGUE

    p = tmp_path / "params"
    (p / "teams").mkdir(parents=True)
    (tmp_path / "export.csv").write_text(export_text)
    (p / "defaults.yaml").write_text(f"tickets: ../export.csv\ncatalogue: {CATALOGUE}\n"
                                     "mapping: null\nteams: auto\n" + defaults)
    return p


def test_validate_no_tickets_left(tmp_path, capsys):
    p = validate_params(tmp_path, "ticket_id,team,created_at\n1,A,2024-01-05\n"
                        "2,B,2024-01-06\n3,A,2024-01-07\n", "as_of: 2024-01-01\n")
    assert main(["validate", "--params", str(p)]) == 2
    err = capsys.readouterr().err
    assert ("export.csv: no tickets left: all 3 rows were created after the as-of time "
            "2024-01-01 00:00; a later as-of time (as_of:) keeps them") in err
    assert "teams ok" not in err and "Traceback" not in err
    # run refuses the same folder before anything runs
    assert main(["run", "--params", str(p), "--out", str(tmp_path / "reports")]) == 2
    assert "no tickets left: all 3 rows" in capsys.readouterr().err
    assert not (tmp_path / "reports" / "index.html").exists()


def test_validate_rows_for_unknown_teams(tmp_path, capsys):
    """A targets row and a KPI-table row for teams neither the export nor the
    parameters have: listed with file, row and the known team ids."""
    p = validate_params(tmp_path, "ticket_id,team,created_at,resolved_at\n"
                        "1,Service Desk,2024-01-05 09:00,2024-01-05 10:00\n"
                        "2,Field,2024-02-06 09:00,2024-02-06 11:00\n",
                        "as_of: 2024-03-01\ntargets: targets.csv\nkpi_table: kpis.csv\n")
    (p / "targets.csv").write_text(
        "team,kpi,baseline,baseline_period,target,deadline\n"
        "Service Desk,avg_resolution_hours,1,2024-01,0.8,2024-12\n"
        "nosuchteam,avg_resolution_hours,1,2024-01,0.8,2024-12\n"   # row 3
        "ghost,avg_resolution_hours,1,2024-01,,\n")                   # blank: skipped
    (p / "kpis.csv").write_text("team,period,kpi,value\nfield,2024-01,training_hours,3\n"
                                "Feild,2024-01,training_hours,4\n")   # row 3: a typo
    assert main(["validate", "--params", str(p)]) == 2
    err = capsys.readouterr().err
    assert ("targets.csv, column 'team': team not in export.csv nor in the parameters "
            "(known team ids: field, service_desk): these targets would never be shown; "
            "fix the team or remove the rows [1 row: row 3 ('nosuchteam')]") in err
    assert ("kpis.csv, column 'team': team not in export.csv nor in the parameters "
            "(known team ids: field, service_desk): these KPI values would never be "
            "shown; fix the team or remove the rows [1 row: row 3 ('Feild')]") in err
    assert "ghost" not in err
    (p / "targets.csv").write_text("team,kpi,baseline,baseline_period,target,deadline\n"
                                   "Service Desk,avg_resolution_hours,1,2024-01,0.8,"
                                   "2024-12\n")
    (p / "kpis.csv").write_text("team,period,kpi,value\nField,2024-01,training_hours,3\n")
    assert main(["validate", "--params", str(p)]) == 0


@pytest.mark.e2e
def test_validate_names_targets_on_kpis_the_data_do_not_measure(tmp_path, capsys):
    """A Zendesk-like export has no contacts column (no first-contact resolution) and no
    SLA outcome: targets on them were accepted, and every report read "insufficient
    data" for them forever.  validate names the rows; run notes them and goes on."""
    p = validate_params(tmp_path, "ticket_id,team,created_at,resolved_at\n"
                        "1,Support,2024-01-05 09:00,2024-01-05 10:00\n"
                        "2,Support,2024-02-06 09:00,2024-02-06 11:00\n",
                        "as_of: 2024-03-01\ntargets: targets.csv\n")
    (p / "targets.csv").write_text(
        "team,kpi,baseline,baseline_period,target,deadline\n"
        "Support,avg_resolution_hours,1.5,2024-02,1,2024-12\n"
        "Support,fcr_rate,0.7,2024-02,0.8,2024-12\n"                       # row 3
        "Support,sla_attainment,0.8,2024-02,0.9,2024-12\n")                # row 4
    assert main(["validate", "--params", str(p)]) == 2
    err = capsys.readouterr().err
    for kpi, row in (("fcr_rate", 3), ("sla_attainment", 4)):
        assert (f"targets.csv, column 'kpi': export.csv does not measure {kpi} (a column "
                "it needs is missing, or no ticket has the channel it counts): these "
                "targets would never be assessed; remove them, or give data that measure "
                f"it [1 row: row {row} ('Support')]") in err
    assert "avg_resolution_hours" not in err
    assert main(["run", "--params", str(p), "--out", str(tmp_path / "r")]) == 0
    captured = capsys.readouterr()
    assert "export.csv does not measure fcr_rate" in captured.out + captured.err


def test_validate_refuses_a_target_outside_its_kpis_bounds(tmp_path, demo_dir, capsys):
    """A csat_pct target of 1.7 (bounds [0, 1]) was shown as "170.0% by 2026-12"."""
    from conftest import make_params

    params = make_params(tmp_path, demo_dir, {"billing": "team: billing\n"})
    targets = tmp_path / "targets.csv"
    targets.write_text("team,kpi,baseline,baseline_period,target,deadline\n"
                       "billing,csat_pct,0.8,2025-12,1.7,2026-12\n")
    defaults = params / "defaults.yaml"
    defaults.write_text(re.sub(r"(?m)^targets: .*$", f"targets: {targets}",
                               defaults.read_text()))
    assert main(["validate", "--params", str(params)]) == 2
    err = capsys.readouterr().err
    assert err.strip() == ("error: targets.csv, column 'target': team 'billing': outside the "
                           "bounds of KPI 'csat_pct': expected a value from 0 to 1 (a share: "
                           "write 0.85 for 85%) [1 row: row 2 ('1.7')]")
