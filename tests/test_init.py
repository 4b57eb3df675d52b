"""`servicekpi init`: a params/ folder from a ticket export, and the three-command path
(init, fill in some targets, run) on a hand-built export and on every vendor fixture."""
import csv
import json
from pathlib import Path

import pandas as pd
import pytest
import yaml

import servicekpi as skpi
from servicekpi.cli import main
from servicekpi.params import load_params
from servicekpi.periods import last_complete_period

FIXTURES = Path(__file__).parent / "fixtures" / "exports"

COLUMNS = ("ticket_id,team,created_at,first_response_at,resolved_at,channel,contacts,"
           "reopened,is_complaint,csat,handle_minutes")

# February 2024, the last complete month (the export ends on 2024-03-10 15:00).
FEBRUARY = [
    # Service Desk
    "S4,Service Desk,2024-02-01 09:00,2024-02-01 10:00,2024-02-01 13:00,phone,1,no,no,5,10",
    "S5,Service Desk,2024-02-10 08:00,2024-02-10 11:00,2024-02-11 08:00,email,2,yes,yes,3,20",
    "S6,Service Desk,2024-02-20 12:00,2024-02-20 12:30,,chat,,,no,,6",
    "S7,Service Desk,2024-02-25 09:00,,2024-02-25 11:00,self_service,1,no,no,4,",
    # 投诉处理中心 (complaints centre)
    "C3,投诉处理中心,2024-02-05 10:00,2024-02-05 12:00,2024-02-07 10:00,phone,3,no,yes,2,30",
    "C4,投诉处理中心,2024-02-15 10:00,2024-02-15 14:00,2024-02-16 10:00,email,1,no,yes,4,25",
    # no team
    "U2,,2024-02-12 09:00,2024-02-12 09:15,2024-02-12 10:00,phone,1,no,no,5,8",
]
MARCH = [   # March is covered only up to the 10th: not complete
    "S8,Service Desk,2024-03-05 09:00,2024-03-05 10:00,2024-03-05 12:00,phone,1,no,no,5,9",
    "C5,投诉处理中心,2024-03-08 10:00,2024-03-08 11:00,,email,,,yes,,",
    "U3,,2024-03-10 14:00,2024-03-10 14:30,2024-03-10 15:00,chat,1,no,no,4,7",
]

# One-period baselines worked by hand from FEBRUARY (see kpis.py for the definitions).
BASELINES_FEBRUARY = {
    "service_desk": {
        "avg_first_response_hours": (1 + 3 + 0.5) / 3,     # S7 has no response
        "median_first_response_hours": 1.0,
        # S6 (20 Feb) is still open on 10 March: 1 of 4 tickets open, more than 5%, so
        # February's resolution time is not a baseline; January's is (history: 5 h each)
        "avg_resolution_hours": 5.0,
        "fcr_rate": 2 / 3,                                 # S4, S7 of S4, S5, S7
        "reopen_rate": 1 / 3,                              # S5
        "csat_score": (5 + 3 + 4) / 3,
        "csat_pct": 2 / 3,                                 # 5 and 4 of 5, 3, 4
        "complaint_rate": 1 / 4,
        "self_service_rate": 1 / 4,
        "aht_minutes": (10 + 20 + 6) / 3,
    },
    "投诉处理中心": {
        "avg_first_response_hours": 3.0, "median_first_response_hours": 3.0,
        "avg_resolution_hours": (48 + 24) / 2, "fcr_rate": 1 / 2, "reopen_rate": 0.0,
        "csat_score": 3.0, "csat_pct": 1 / 2, "complaint_rate": 1.0,
        "self_service_rate": 0.0, "aht_minutes": 27.5,
    },
    "unassigned": {
        "avg_first_response_hours": 0.25, "median_first_response_hours": 0.25,
        "avg_resolution_hours": 1.0, "fcr_rate": 1.0, "reopen_rate": 0.0,
        "csat_score": 5.0, "csat_pct": 1.0, "complaint_rate": 0.0,
        "self_service_rate": 0.0, "aht_minutes": 8.0,
    },
}

# The default: baselines over three periods, December to February, pooled over their
# tickets.  Each history month has, per team, three tickets answered in 1 h and resolved
# in 5 h: phone (1 contact, csat 4, 10 min), email (2 contacts, complaint, csat 5,
# 12 min), chat (1 contact, reopened, csat 3, 14 min).  A median does not pool: the
# mean of the three monthly medians.
BASELINES = {
    "service_desk": {
        "avg_first_response_hours": (6 * 1 + 1 + 3 + 0.5) / 9,
        "median_first_response_hours": (1 + 1 + 1) / 3,
        "avg_resolution_hours": 5.0,     # November to January (February: S6 open)
        "fcr_rate": (2 + 2 + 2) / (3 + 3 + 3),
        "reopen_rate": (1 + 1 + 1) / 9,
        "csat_score": (12 + 12 + 12) / 9,
        "csat_pct": (2 + 2 + 2) / 9,
        "complaint_rate": (1 + 1 + 1) / (3 + 3 + 4),
        "self_service_rate": (0 + 0 + 1) / (3 + 3 + 4),
        "aht_minutes": (36 + 36 + 36) / 9,
    },
    "投诉处理中心": {
        "avg_first_response_hours": (6 * 1 + 2 + 4) / 8,
        "median_first_response_hours": (1 + 1 + 3) / 3,
        "avg_resolution_hours": (6 * 5 + 48 + 24) / 8,
        "fcr_rate": (2 + 2 + 1) / 8, "reopen_rate": (1 + 1 + 0) / 8,
        "csat_score": (12 + 12 + 2 + 4) / 8, "csat_pct": (2 + 2 + 1) / 8,
        "complaint_rate": (1 + 1 + 2) / 8, "self_service_rate": 0.0,
        "aht_minutes": (36 + 36 + 30 + 25) / 8,
    },
    "unassigned": {
        "avg_first_response_hours": (6 * 1 + 0.25) / 7,
        "median_first_response_hours": (1 + 1 + 0.25) / 3,
        "avg_resolution_hours": (6 * 5 + 1) / 7, "fcr_rate": 5 / 7, "reopen_rate": 2 / 7,
        "csat_score": (12 + 12 + 5) / 7, "csat_pct": 5 / 7, "complaint_rate": 2 / 7,
        "self_service_rate": 0.0, "aht_minutes": (36 + 36 + 8) / 7,
    },
}
# the one baseline that ends early, and why
ENDS_EARLY = {("service_desk", "avg_resolution_hours"): "2024-01"}


def history() -> list[str]:
    """November 2023 to January 2024: three tickets a month per team."""
    rows, k = [], 0
    for month in ("2023-11", "2023-12", "2024-01"):
        for team in ("Service Desk", "投诉处理中心", ""):
            for day, channel, contacts, reopened, complaint, csat, handle in (
                    (3, "phone", 1, "no", "no", 4, 10), (12, "email", 2, "no", "yes", 5, 12),
                    (21, "chat", 1, "yes", "no", 3, 14)):
                k += 1
                t = f"{month}-{day:02d}"
                rows.append(f"H{k},{team},{t} 09:00,{t} 10:00,{t} 14:00,{channel},{contacts},"
                            f"{reopened},{complaint},{csat},{handle}")
    return rows


def write_export(path: Path) -> Path:
    path.write_text("\n".join([COLUMNS, *history(), *FEBRUARY, *MARCH]) + "\n",
                    encoding="utf-8")
    return path


@pytest.fixture
def export(tmp_path):
    (tmp_path / "data").mkdir()
    return write_export(tmp_path / "data" / "my_export.csv")


def read_rows(path: Path) -> list[dict]:
    with open(path, encoding="utf-8-sig", newline="") as fh:     # init writes a BOM
        return list(csv.DictReader(fh))


def fill_targets(path: Path, wanted: dict) -> None:
    """Fill target and deadline on some rows, as a user would in a spreadsheet."""
    rows = read_rows(path)
    for r in rows:
        if (r["team"], r["kpi"]) in wanted:
            r["target"], r["deadline"] = wanted[(r["team"], r["kpi"])]
    with open(path, "w", encoding="utf-8", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=list(rows[0]), lineterminator="\n")
        w.writeheader()
        w.writerows(rows)


@pytest.mark.parametrize("as_of, period, expected", [
    ("2024-03-10 15:00", "month", "2024-02"),
    ("2024-03-31 23:59", "month", "2024-02"),               # the last minute still to come
    ("2024-03-31 23:59:59.999999999", "month", "2024-03"),
    ("2024-04-01 00:00", "month", "2024-03"),
    ("2024-03-10 15:00", "quarter", "2023Q4"),
    ("2024-03-10 15:00", "week", "2024-02-26/2024-03-03"),  # Sunday 10 March: week not over
    ("2024-03-11 00:00", "week", "2024-03-04/2024-03-10"),
])
def test_last_complete_period(as_of, period, expected):
    got = last_complete_period(as_of, period)
    assert str(got) == expected


def test_init_writes_params_and_templates(export, tmp_path, capsys):
    out = tmp_path / "params"
    assert main(["init", str(export), "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    for line in ("service_desk: Service Desk", "投诉处理中心: 投诉处理中心",
                 "unassigned: Unassigned", f"servicekpi run --params {out.as_posix()}",
                 f"servicekpi validate --params {out.as_posix()}",
                 "baselines from 2024-02 (mean of up to 3 periods",
                 "Note: 1 baseline ends before 2024-02: more than 5% of their tickets"):
        assert line in printed, line
    for name in ("defaults.yaml", "catalogue.yaml", "targets.csv", "benchmarks.csv"):
        assert str(out / name) in printed

    defaults = yaml.safe_load((out / "defaults.yaml").read_text(encoding="utf-8"))
    assert defaults["tickets"] == "../data/my_export.csv"     # relative to the folder
    assert defaults["mapping"] is None                        # canonical column names
    assert defaults["teams"] == "auto" and defaults["freq"] == "month"
    assert "period" not in defaults
    assert "kpi_list" in defaults and "kpis" not in defaults
    assert defaults["targets"] == "targets.csv" and defaults["catalogue"] == "catalogue.yaml"
    assert defaults["language"] == "en" and defaults["kpi_table"] is None
    # how the export is read: nothing declared, so null (the mapping's, else the data's)
    assert defaults["dayfirst"] is None and defaults["timezone"] is None
    assert defaults["encoding"] is None
    text = (out / "defaults.yaml").read_text(encoding="utf-8")
    assert all(line.startswith("#") or "#" in line for line in text.splitlines() if line)

    rows = read_rows(out / "targets.csv")
    got = {}
    for r in rows:
        assert r["baseline_period"] == ENDS_EARLY.get((r["team"], r["kpi"]), "2024-02")
        assert r["baseline_periods"] == "3" and r["target"] == r["deadline"] == ""
        got.setdefault(r["team"], {})[r["kpi"]] = float(r["baseline"])
    assert set(got) == set(BASELINES)
    for team, expected in BASELINES.items():
        assert set(got[team]) == set(expected), team
        for kpi, value in expected.items():
            assert got[team][kpi] == pytest.approx(value, abs=1e-6), (team, kpi)
    # a template nobody filled in loads as no targets
    assert len(skpi.load_targets(out / "targets.csv", catalogue=None)) == 0

    bench = read_rows(out / "benchmarks.csv")
    assert {r["kpi"] for r in bench} == set(BASELINES["service_desk"])
    assert all(r["benchmark"] == "industry_median" and r["value"] == r["source"] ==
               r["published"] == "" for r in bench)
    assert len(skpi.load_benchmarks(out / "benchmarks.csv")) == 0

    # teams: auto reads the export's teams with their names
    teams = {p.team: p for p in load_params(out)}
    assert list(teams) == ["service_desk", "投诉处理中心", "unassigned"]
    assert teams["service_desk"].display_name == "Service Desk"
    assert teams["投诉处理中心"].display_name == "投诉处理中心"
    assert teams["unassigned"].display_name == "Unassigned"


def test_init_one_period_baselines(export, tmp_path):
    """--baseline-periods 1: the last complete period alone, as before the window."""
    assert main(["init", str(export), "--out", str(tmp_path / "params"),
                 "--baseline-periods", "1"]) == 0
    got = {}
    for r in read_rows(tmp_path / "params" / "targets.csv"):
        assert r["baseline_period"] == ENDS_EARLY.get((r["team"], r["kpi"]), "2024-02")
        assert r["baseline_periods"] == "1"
        got.setdefault(r["team"], {})[r["kpi"]] = float(r["baseline"])
    for team, expected in BASELINES_FEBRUARY.items():
        assert set(got[team]) == set(expected), team
        for kpi, value in expected.items():
            assert got[team][kpi] == pytest.approx(value, abs=1e-6), (team, kpi)


def test_init_baseline_interval_and_window(export, tmp_path):
    """The interval written beside each baseline is targets.baseline_interval's; the
    filled-in file loads with its baseline_periods; a window longer than the history
    averages the periods there are and says how many."""
    from scipy import stats
    from statsmodels.stats.proportion import proportion_confint

    from servicekpi.scaffold import init_params

    init_params(export, tmp_path / "p3")
    rows = {(r["team"], r["kpi"]): r for r in read_rows(tmp_path / "p3" / "targets.csv")}
    # FCR, December to February: 6 of 9 resolved tickets with one contact (Wilson)
    lo, hi = proportion_confint(6, 9, method="wilson")
    fcr = rows[("service_desk", "fcr_rate")]["baseline_interval"]
    assert fcr == f"{round(lo, 6):.12g} to {round(hi, 6):.12g} (95% CI)"
    # AHT, December to February: nine handle times 10, 12, 14 (x2), 10, 20, 6 -> mean 12
    x = [10, 12, 14, 10, 12, 14, 10, 20, 6]
    half = stats.t.ppf(0.975, 8) * pd.Series(x).std() / 3
    assert rows[("service_desk", "aht_minutes")]["baseline_interval"] == (
        f"{round(12 - half, 6):.12g} to {round(12 + half, 6):.12g} (95% CI)")
    assert rows[("service_desk", "median_first_response_hours")]["baseline_interval"] == ""
    fill_targets(tmp_path / "p3" / "targets.csv",
                 {("service_desk", "fcr_rate"): ("0.8", "2024-12")})
    t = skpi.load_targets(tmp_path / "p3" / "targets.csv")
    assert t["baseline_periods"].tolist() == [3]

    # six periods asked, four there (November to February)
    res = init_params(export, tmp_path / "p6", baseline_periods=6)
    rows = {(r["team"], r["kpi"]): r for r in read_rows(tmp_path / "p6" / "targets.csv")}
    assert res.baseline_periods == 6
    assert rows[("service_desk", "fcr_rate")]["baseline_periods"] == "4"
    assert float(rows[("service_desk", "fcr_rate")]["baseline"]) == pytest.approx(8 / 12)
    with pytest.raises(skpi.ConfigError, match="baseline_periods"):
        init_params(export, tmp_path / "p0", baseline_periods=0)


def test_init_refuses_to_overwrite(export, tmp_path, capsys):
    out = tmp_path / "params"
    out.mkdir()
    (out / "targets.csv").write_text("mine\n")
    assert main(["init", str(export), "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert "targets.csv" in err and "--force" in err and "Traceback" not in err
    assert (out / "targets.csv").read_text() == "mine\n"      # untouched
    assert not (out / "defaults.yaml").exists()               # nothing written
    assert main(["init", str(export), "--out", str(out), "--force"]) == 0
    # with a byte-order mark: Excel on a Chinese (or any non-UTF-8) Windows opens a CSV
    # without one in its code page, the teams' names garbled, and saves it back so
    assert (out / "targets.csv").read_bytes().startswith(b"\xef\xbb\xbfteam,kpi,baseline")
    assert (out / "benchmarks.csv").read_bytes().startswith(b"\xef\xbb\xbf")


def test_init_bad_export_exits_2(tmp_path, capsys):
    bad = tmp_path / "bad.csv"
    bad.write_text("id,group,when\n1,a,2024-01-01\n")
    assert main(["init", str(bad), "--out", str(tmp_path / "p")]) == 2
    err = capsys.readouterr().err
    assert "created_at" in err and "Traceback" not in err
    assert not (tmp_path / "p").exists()


def test_blank_template_rows_are_skipped(tmp_path):
    """Rows with target and deadline both blank are skipped; row numbers stay the file's."""
    path = tmp_path / "targets.csv"
    path.write_text("team,kpi,baseline,baseline_period,target,deadline\n"
                    "a,fcr_rate,0.7,2024-02,,\n"                 # row 2: template row
                    "a,csat_score,4.0,2024-02,4.5,2024-09\n"     # row 3
                    "b,fcr_rate,0.6,2024-02,0.7,\n")             # row 4: deadline missing
    with pytest.raises(skpi.DataError) as ei:
        skpi.load_targets(path)
    assert [p.rows for p in ei.value.problems] == [(4,)]
    path.write_text(path.read_text().replace("0.7,\n", "0.7,2024-12\n"))
    got = skpi.load_targets(path)
    assert list(got["kpi"]) == ["csat_score", "fcr_rate"] and list(got["team"]) == ["a", "b"]


@pytest.mark.e2e
def test_three_commands(export, tmp_path):
    """init, fill in two targets, run: a report for every team of the export."""
    out = tmp_path / "params"
    assert main(["init", str(export), "--out", str(out)]) == 0
    fill_targets(out / "targets.csv", {("service_desk", "fcr_rate"): ("0.8", "2024-09"),
                                       ("投诉处理中心", "avg_resolution_hours"): ("10", "2024-12")})
    assert main(["validate", "--params", str(out)]) == 0
    reports = tmp_path / "reports"
    code = main(["run", "--params", str(out), "--out", str(reports), "--workers", "2"])
    manifest = json.loads((reports / "manifest.json").read_text())
    errors = {t: r["error"] for t, r in manifest["reports"].items() if r["outcome"] != "ok"}
    assert code == 0, errors
    for team in ("service_desk", "投诉处理中心", "unassigned"):
        assert (reports / "teams" / f"{team}.html").is_file(), team
    assert (reports / "overview.html").is_file()
    index = (reports / "index.html").read_text(encoding="utf-8")
    assert "Service Desk" in index and "投诉处理中心" in index and "Unassigned" in index
    html = (reports / "teams" / "service_desk.html").read_text(encoding="utf-8")
    assert "Service Desk" in html


@pytest.mark.e2e
@pytest.mark.parametrize("fixture", sorted(FIXTURES.glob("*.csv")), ids=lambda p: p.stem)
def test_three_commands_on_vendor_fixtures(fixture, tmp_path):
    """Each vendor fixture: init (preset detected), fill one target, run one team."""
    out = tmp_path / "params"
    assert main(["init", str(fixture), "--out", str(out)]) == 0
    rows = read_rows(out / "targets.csv")
    assert rows, "no baselines: the fixture has no complete month"
    cat = skpi.load_catalogue(out / "catalogue.yaml")

    def better(r):                   # a target 10% better, whichever way better is
        b = float(r["baseline"])
        return b * 1.1 + 0.01 if r["better"] == "higher" else b * 0.9

    def inside(r):                   # ... and inside the KPI's bounds (a share stays <= 1)
        lo, hi = cat[r["kpi"]].bounds or (None, None)
        return (lo is None or better(r) >= lo) and (hi is None or better(r) <= hi)
    first = next(r for r in rows if float(r["baseline"]) > 0 and inside(r))
    fill_targets(out / "targets.csv", {(first["team"], first["kpi"]): (
        str(better(first)), "2030-12")})
    assert main(["validate", "--params", str(out)]) == 0
    teams = [p.team for p in load_params(out)]
    assert first["team"] in teams
    reports = tmp_path / "reports"
    code = main(["run", "--params", str(out), "--out", str(reports), "--teams", first["team"],
                 "--workers", "1"])
    manifest = json.loads((reports / "manifest.json").read_text())
    errors = {t: r["error"] for t, r in manifest["reports"].items() if r["outcome"] != "ok"}
    assert code == 0, errors
    assert (reports / "teams" / f"{first['team']}.html").is_file()
    assert (reports / "overview.html").is_file()


def test_init_with_bad_rows(export, tmp_path, capsys):
    """One unreadable csat among 37 tickets: refused with a hint; --bad-rows drop writes
    bad_rows: drop and the folder loads."""
    text = export.read_text(encoding="utf-8").replace("phone,1,no,no,5,10", "phone,1,no,no,9,10")
    export.write_text(text, encoding="utf-8")
    out = tmp_path / "params"
    assert main(["init", str(export), "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert "csat" in err and "--bad-rows drop" in err and not out.exists()
    assert main(["init", str(export), "--out", str(out), "--bad-rows", "drop"]) == 0
    defaults = yaml.safe_load((out / "defaults.yaml").read_text(encoding="utf-8"))
    assert defaults["bad_rows"] == "drop" and defaults["max_dropped_share"] == 0.05
    # S4 (csat 9) is dropped: service_desk's February csat is 3 and 4, so over
    # December to February (4, 5, 3 a month before) (12 + 12 + 7) / 8
    rows = {(r["team"], r["kpi"]): float(r["baseline"]) for r in read_rows(out / "targets.csv")}
    assert rows[("service_desk", "csat_score")] == pytest.approx(31 / 8)
    assert len(load_params(out)) == 3


def test_shared_targets_name_teams_as_the_export_does(tmp_path):
    """A targets file may write 'Service Desk' for service_desk; a wrong row fails only
    its team (bad_rows='drop'), with the file's row number."""
    path = tmp_path / "targets.csv"
    path.write_text("team,kpi,baseline,baseline_period,target,deadline\n"
                    "Service Desk,fcr_rate,0.7,2024-02,0.8,2024-09\n"
                    "投诉处理中心,csat_score,3,2024-02,4,2024-09\n"
                    "投诉处理中心,fcr_rate,0.5,2024-02,0.6,2023-09\n", encoding="utf-8")
    got = skpi.load_targets(path, bad_rows="drop")
    assert list(got["team"]) == ["service_desk"]
    bad = got.attrs["team_errors"]
    assert list(bad) == ["投诉处理中心"] and bad["投诉处理中心"][0].rows == (4,)
    assert bad["投诉处理中心"][0].message.startswith("team '投诉处理中心': deadline is not after")
    with pytest.raises(skpi.DataError, match="row 4"):
        skpi.load_targets(path)


# ---------------------------------------------------------------- read options
def test_init_writes_the_read_options_it_was_given(tmp_path, capsys):
    """01/03/2024 and 02/03/2024 read either way: init refuses them with the option
    that declares the order, and writes the order it was given."""
    export = tmp_path / "amb.csv"
    export.write_text("ticket_id,team,created_at\n1,Desk,01/03/2024 09:00\n"
                      "2,Desk,02/03/2024 09:00\n")
    out = tmp_path / "params"
    assert main(["init", str(export), "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert "day order cannot be decided" in err and "--dayfirst" in err
    assert not out.exists()
    assert main(["init", str(export), "--out", str(out), "--dayfirst",
                 "--timezone", "Europe/London"]) == 0
    text = (out / "defaults.yaml").read_text(encoding="utf-8")
    defaults = yaml.safe_load(text)
    assert defaults["dayfirst"] is True and defaults["timezone"] == "Europe/London"
    assert defaults["encoding"] is None
    for key, comment in (("dayfirst: true", "null: the mapping's, else decided from the "
                          "data; true (1 March) or false (3 January) to declare"),
                         ("timezone: Europe/London", "as_written: keep the local time"),
                         ("encoding: null", "null: the mapping's, else detected")):
        line = next(x for x in text.splitlines() if x.startswith(key))
        assert comment in line, line
    # the folder reads the export as init did: 1 and 2 March
    got = load_params(out)
    assert [(p.team, p.dayfirst, p.timezone) for p in got] == [("desk", True,
                                                                 "Europe/London")]
    assert main(["validate", "--params", str(out)]) == 0
    tickets = skpi.load_tickets(export, **got[0].ticket_options())
    assert tickets["created_at"].dt.strftime("%Y-%m-%d").tolist() == ["2024-03-01",
                                                                      "2024-03-02"]
    # month first: 3 January and 3 February
    assert main(["init", str(export), "--out", str(out), "--monthfirst", "--force"]) == 0
    assert yaml.safe_load((out / "defaults.yaml").read_text())["dayfirst"] is False
    assert main(["init", str(export), "--out", str(out), "--force", "--timezone",
                 "Nowhere/Town"]) == 2
    assert "unknown time zone 'Nowhere/Town'" in capsys.readouterr().err


def test_init_writes_the_encoding_it_was_given(tmp_path):
    export = tmp_path / "cyr.csv"
    export.write_bytes("ticket_id,team,created_at\n1,Поддержка,2024-01-05\n"
                       "2,Поддержка,2024-02-05\n".encode("cp1251"))
    out = tmp_path / "params"
    assert main(["init", str(export), "--out", str(out), "--encoding", "cp1251"]) == 0
    assert yaml.safe_load((out / "defaults.yaml").read_text())["encoding"] == "cp1251"
    got = load_params(out)
    assert [(p.team, p.display_name, p.encoding) for p in got] == [
        ("поддержка", "Поддержка", "cp1251")]


def test_init_writes_the_decimal_mark_it_was_given(tmp_path):
    """Handle times 1.440 and 2.250 with a thousands point: init --decimal , reads
    them as 1440 and 2250 and writes decimal: ',' for the reports to read alike."""
    export = tmp_path / "eu.csv"
    export.write_text("ticket_id;team;created_at;handle_minutes\n"
                      "1;Desk;2024-01-03 09:00;1.440\n2;Desk;2024-02-04 09:00;2.250\n")
    out = tmp_path / "params"
    assert main(["init", str(export), "--out", str(out), "--decimal", ","]) == 0
    text = (out / "defaults.yaml").read_text(encoding="utf-8")
    assert yaml.safe_load(text)["decimal"] == ","
    (got,) = load_params(out)
    tickets = skpi.load_tickets(export, **got.ticket_options())
    assert tickets["handle_minutes"].tolist() == [1440, 2250]


def test_a_baseline_says_which_period_of_its_window_it_leaves_out(tmp_path, capsys):
    """Resolution hours of one desk: March 10 and 14 h, April three tickets of 100 h
    and one still open (25% open: its durations read too low and are left out),
    May 10 and 20 h.  The baseline over March to May is (10 + 14 + 10 + 20) / 4 =
    13.5 h from 2 periods, not 3: init says so, and the report's targets table reads
    "mean of 2, without 2024-04"."""
    from servicekpi.report import TeamReport, tables

    rows = ["1,Desk,2024-03-05 08:00,2024-03-05 18:00",
            "2,Desk,2024-03-10 08:00,2024-03-10 22:00",
            *(f"{i},Desk,2024-04-0{i} 08:00,2024-04-{i + 4:02d} 12:00" for i in (3, 4, 5)),
            "6,Desk,2024-04-20 08:00,",
            "7,Desk,2024-05-06 08:00,2024-05-06 18:00",
            "8,Desk,2024-05-08 08:00,2024-05-09 04:00",
            "9,Old Desk,2024-03-07 08:00,2024-03-07 10:00"]   # quiet since March
    export = tmp_path / "desk.csv"
    export.write_text("ticket_id,team,created_at,resolved_at\n" + "\n".join(rows) + "\n")
    out = tmp_path / "params"
    assert main(["init", str(export), "--out", str(out), "--as-of", "2024-06-15 00:00"]) == 0
    printed = capsys.readouterr().out
    as_of = next(x for x in (out / "defaults.yaml").read_text().splitlines()
                 if x.startswith("as_of:"))
    assert "2024-06-15" in as_of and "latest timestamp (" not in as_of   # not the export's
    assert ("1 baseline averages fewer periods than baseline_periods: a period of the window "
            "has no value, or more than 5% of its tickets still open (desk "
            "avg_resolution_hours without 2024-04)") in printed
    # a team without tickets in the baseline's period is named, with its last ticket
    assert ("1 team/KPI pair has no value in 2024-05 and no row in the targets template "
            "(old_desk: 1, no ticket since 2024-03-07)") in printed
    row = next(r for r in read_rows(out / "targets.csv") if r["kpi"] == "avg_resolution_hours")
    assert float(row["baseline"]) == pytest.approx(13.5)
    assert (row["baseline_period"], row["baseline_periods"], row["baseline_without"]) == (
        "2024-05", "3", "2024-04")

    def shown(**changes):
        with open(out / "targets.csv", "w", newline="", encoding="utf-8") as fh:
            w = csv.DictWriter(fh, fieldnames=list(row))
            w.writeheader()
            w.writerow({**row, "target": "10", "deadline": "2024-12", **changes})
        p = next(x for x in load_params(out) if x.team == "desk")
        return tables.gaps(TeamReport.load(**p.notebook_parameters())).to_html()
    assert "13.5 h (2024-03 to 2024-05, mean of 2, without 2024-04)" in shown()
    # the text says what the targets file says of its baseline, not what today's data do
    assert "13.5 h (2024-03 to 2024-05, mean of 3)" in shown(baseline_without="")
    # a baseline typed rounded is the data's mean; one the data do not give is not
    # called "mean of 2": 30 h typed where March and May average 13.5 h; a window
    # before any ticket
    assert "13.5 h (2024-03 to 2024-05, mean of 2, without 2024-04)" in shown(
        baseline="13.52")
    assert "30.0 h (as given; the data give 13.5 h for 2024-03 to 2024-05)" in shown(
        baseline="30")
    assert "30.0 h (as given; no value in the data for 2023-10 to 2023-12)" in shown(
        baseline="30", baseline_period="2023-12", baseline_without="")
    # a targets file written before the column states nothing: the data are asked
    del row["baseline_without"]
    assert "13.5 h (2024-03 to 2024-05, mean of 2, without 2024-04)" in shown()


def test_a_baseline_ends_before_a_period_whose_tickets_are_all_open(tmp_path, capsys):
    """Hardware's only May ticket is still open: May has no resolution time yet
    (not a period without tickets).  Its baseline ends in April, (4 + 24 + 48) / 3 =
    25.3 h over March and April, as for a period 25% open; it was left out of the
    template and named as having no value in May."""
    rows = ["1,Hardware,2024-03-04 09:00,2024-03-04 13:00",
            "2,Hardware,2024-03-20 09:00,2024-03-21 09:00",
            "3,Hardware,2024-04-10 09:00,2024-04-12 09:00",
            "4,Hardware,2024-05-15 09:00,"]
    export = tmp_path / "hw.csv"
    export.write_text("ticket_id,team,created_at,resolved_at\n" + "\n".join(rows) + "\n")
    out = tmp_path / "params"
    assert main(["init", str(export), "--out", str(out), "--as-of", "2024-06-10 00:00"]) == 0
    printed = capsys.readouterr().out
    row = next(r for r in read_rows(out / "targets.csv") if r["kpi"] == "avg_resolution_hours")
    assert float(row["baseline"]) == pytest.approx((4 + 24 + 48) / 3)
    assert (row["baseline_period"], row["baseline_periods"]) == ("2024-04", "2")
    assert "no value in 2024-05" not in printed
    assert "1 baseline ends before 2024-05" in printed


# ---------------------------------------------------------------- no tickets left
def test_init_as_of_before_every_ticket(export, tmp_path, capsys):
    """--as-of 2020-01-01: all 37 tickets were created later; nothing is written and
    the advice is about the as-of time, not the period."""
    out = tmp_path / "params"
    assert main(["init", str(export), "--out", str(out), "--as-of", "2020-01-01"]) == 2
    err = capsys.readouterr().err
    assert err.strip().splitlines() == [
        "error: my_export.csv: no tickets left: all 37 rows were created after the as-of "
        "time 2020-01-01 00:00; a later as-of time (--as-of) keeps them"]
    assert "--freq" not in err
    assert not out.exists()


def test_init_export_in_the_future(tmp_path, capsys):
    future = tmp_path / "future.csv"
    future.write_text("ticket_id,team,created_at\n1,A,2098-01-01\n2,A,2098-02-01\n")
    assert main(["init", str(future), "--out", str(tmp_path / "params")]) == 2
    err = capsys.readouterr().err
    assert "no tickets left: all 2 rows were created after now (" in err
    assert ("dates in the future; check the export's created_at dates, or say when it was "
            "taken (--as-of)") in err
    assert not (tmp_path / "params").exists()


def test_init_notes_say_why_there_are_no_baselines(tmp_path, capsys):
    # 1-20 March 2024 only: no complete month; weeks are complete
    short = tmp_path / "short.csv"
    short.write_text("ticket_id,team,created_at,resolved_at\n"
                     "1,A,2024-03-01 09:00,2024-03-01 10:00\n"
                     "2,A,2024-03-20 09:00,2024-03-20 12:00\n")
    assert main(["init", str(short), "--out", str(tmp_path / "p1")]) == 0
    printed = capsys.readouterr().out
    assert ("Note: the export covers 2024-03-01 to 2024-03-20 12:00, no complete month: "
            "the targets template has no baselines; --freq week gives some") in printed
    assert "no rows: no baselines" in printed and "try a shorter" not in printed
    # January to March with only the required columns: February is complete but
    # volume is the only KPI, and it has no target direction
    bare = tmp_path / "bare.csv"
    bare.write_text("ticket_id,team,created_at\n1,A,2024-01-05\n2,A,2024-02-05\n"
                    "3,A,2024-03-05\n")
    assert main(["init", str(bare), "--out", str(tmp_path / "p2")]) == 0
    printed = capsys.readouterr().out
    assert ("Note: no KPI with a target direction has a value in 2024-02 (the export "
            "gives volume)") in printed
    assert "--freq" not in printed


def test_init_baseline_period_agrees_with_the_reports(tmp_path):
    """An as-of read off the export covers its whole day (periods.coverage_end), for
    init's baselines as for the reports' partial period: a last ticket at 21:00 on 29
    February leaves February complete in both."""
    from servicekpi.periods import coverage_end, partial_period
    from servicekpi.scaffold import init_params

    export = tmp_path / "e.csv"
    export.write_text("ticket_id,team,created_at,resolved_at\n"
                      "1,A,2024-01-10 09:00,2024-01-10 11:00\n"
                      "2,A,2024-02-12 09:00,2024-02-12 10:00\n"
                      "3,A,2024-02-29 21:00,\n")
    res = init_params(export, tmp_path / "params")
    assert str(res.baseline_period) == "2024-02"
    assert partial_period(coverage_end("2024-02-29 21:00", declared=False), "month",
                          "2024-02") is None


def test_template_names_cannot_be_read_as_formulas(tmp_path):
    """The targets template's team_name (from the export) is written so a spreadsheet
    shows it as text: '=1+2, not 3; the team id read back is left as it is."""
    export = write_export(tmp_path / "export.csv")
    export.write_text(export.read_text(encoding="utf-8").replace("Service Desk", "=1+2"),
                      encoding="utf-8")
    assert main(["init", str(export), "--out", str(tmp_path / "params"),
                 "--baseline-periods", "1"]) == 0
    written = read_rows(tmp_path / "params" / "targets.csv")
    names = {r["team_name"] for r in written}
    assert "'=1+2" in names and "=1+2" not in names
    ids = {r["team"] for r in written}
    assert all(not i.startswith(("=", "'")) for i in ids)
