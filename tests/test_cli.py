"""The command line: output files, exit codes, no tracebacks on bad input."""
import pandas as pd

from servicekpi.cli import main


def test_kpis_command(small_csv, tmp_path, capsys):
    out = tmp_path / "k.csv"
    assert main(["kpis", str(small_csv), "--out", str(out)]) == 0
    table = pd.read_csv(out)
    assert list(table.columns) == ["team", "period", "kpi", "value", "n", "numerator", "sd"]
    assert table.loc[(table["team"] == "a") & (table["period"] == "2024-01")
                     & (table["kpi"] == "volume"), "value"].item() == 4
    assert "7 tickets" in capsys.readouterr().out


def test_kpis_command_quarter(small_csv, tmp_path):
    out = tmp_path / "k.csv"
    assert main(["kpis", str(small_csv), "--period", "quarter", "--out", str(out)]) == 0
    assert set(pd.read_csv(out)["period"]) == {"2024Q1"}


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
    assert main(["kpis", str(bad), "--errors", "drop", "--out", str(tmp_path / "o.csv")]) == 0
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
    assert main(["kpis", str(bad), "--errors", "drop", "--out", str(out)]) == 2
    assert "Traceback" not in capsys.readouterr().err
    assert main(["kpis", str(bad), "--errors", "drop", "--max-dropped-share", "0.5",
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
