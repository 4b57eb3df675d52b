"""The command line: output files, exit codes, no tracebacks on bad input."""
import pandas as pd

from servicekpi.cli import main


def test_kpis_command(small_csv, tmp_path, capsys):
    out = tmp_path / "k.csv"
    assert main(["kpis", str(small_csv), "--out", str(out)]) == 0
    table = pd.read_csv(out)
    assert list(table.columns) == ["team", "period", "kpi", "value", "n", "numerator", "sd"]
    assert table.loc[(table["team"] == "A") & (table["period"] == "2024-01")
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
    bad.write_text("ticket_id,team,created_at,csat\n1,A,2024-01-01,9\n2,A,2024-01-01,4\n")
    assert main(["kpis", str(bad), "--errors", "drop", "--out", str(tmp_path / "o.csv")]) == 0
    assert "dropped" in capsys.readouterr().out


def test_demo_data_command(tmp_path):
    assert main(["demo-data", "--out", str(tmp_path), "--months", "2", "--scale", "0.01"]) == 0
    assert (tmp_path / "tickets.parquet").exists() and (tmp_path / "targets.csv").exists()
