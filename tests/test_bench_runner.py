"""The runner benchmark's parts (benchmarks/bench_runner.py): the generated
workload, the anchor's jobs file run by xargs, and the peak-RSS sampler.
No notebook runs here."""
from __future__ import annotations

import importlib.util
import shlex
import subprocess
import sys
from pathlib import Path

import pandas as pd
import yaml
import pytest

BENCH = Path(__file__).resolve().parents[1] / "benchmarks" / "bench_runner.py"


@pytest.fixture(scope="module")
def bench():
    spec = importlib.util.spec_from_file_location("bench_runner", BENCH)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module        # its dataclass looks its module up there
    spec.loader.exec_module(module)
    yield module
    del sys.modules[spec.name]


@pytest.fixture(scope="module")
def generated(bench, tmp_path_factory):
    """10 generated teams (8 profiles + 2 second copies), at a small scale."""
    return bench.many_teams(tmp_path_factory.mktemp("many"), 10, scale=0.02)


def test_team_profiles_cycle_the_demo(bench):
    teams = bench.team_profiles(19)
    names = [t.team for t in teams]
    assert len(set(names)) == 19
    assert names[:2] == ["phone_1", "email_1"]
    assert names[8] == "phone_2" and names[16:] == ["phone_3", "email_3", "chat_3"]
    assert teams[8].volume == teams[0].volume and teams[8].name == "Phone support 2"


def test_many_teams_writes_n_teams(bench, generated):
    from servicekpi.params import load_params

    files = sorted(p.stem for p in (generated / "teams").glob("*.yaml"))
    assert len(files) == 10
    params = load_params(generated)
    assert sorted(p.team for p in params) == files
    tickets = pd.read_parquet(params[0].tickets, columns=["team"])
    assert set(tickets["team"]) == set(files)
    # each team's demo settings come along: the complaints desk's report is in Chinese
    assert {p.team: p.language for p in params}["complaints_1"] == "zh"
    # ... and the demo's defaults (read as a file: the demo data may not be generated)
    demo = yaml.safe_load((bench.config.PARAMS_DIR / "defaults.yaml").read_text())
    assert params[0].history_periods == demo.get("history_periods", 13)


def test_anchor_jobs_one_line_per_report_and_overview(bench, generated, tmp_path):
    out = tmp_path / "out dir with 'quotes' and spaces"
    jobs = bench.anchor_jobs(generated, out, "servicekpi")
    assert len(jobs) == 11 and not any("\n" in job for job in jobs)
    papermill, nbconvert = (shlex.split(part) for part in jobs[-1].split(" && "))
    assert papermill[1:4] == [str(bench.config.OVERVIEW_NOTEBOOK), str(out / "overview.ipynb"),
                              "-f"]
    assert papermill[papermill.index("-k") + 1] == "servicekpi"
    assert nbconvert[-1] == str(out / "overview.ipynb")
    teams = {Path(shlex.split(j)[2]).stem for j in jobs[:-1]}
    assert teams == {p.stem for p in (generated / "teams").glob("*.yaml")}


def test_xargs_runs_every_line_with_quoted_paths(bench, tmp_path):
    folder = tmp_path / "a folder with spaces and 'quotes'"
    folder.mkdir()
    write = "import sys, pathlib; pathlib.Path(sys.argv[1]).write_text('done')"
    jobs = [bench.shell_line([sys.executable, "-c", write, folder / f"report {i}.html"],
                             ["test", "-f", folder / f"report {i}.html"]) for i in range(5)]
    jobfile = tmp_path / "jobs file"
    jobfile.write_text("\n".join(jobs) + "\n")
    subprocess.run(bench.xargs_command(jobfile, 2), check=True)
    assert sorted(p.name for p in folder.iterdir()) == [f"report {i}.html" for i in range(5)]


def test_shell_line_refuses_a_newline(bench):
    with pytest.raises(ValueError):
        bench.shell_line(["echo", "two\nlines"])


def test_peak_rss_of_a_marked_child(bench):
    """sh (the root, not marked) runs a python child that holds 100 MB for 1.5 s."""
    code = "import time; block = b'x' * (100 * 2**20); time.sleep(1.5)"
    script = f"{shlex.quote(sys.executable)} -c {shlex.quote(code)} rss-probe; true"
    root = subprocess.Popen(["sh", "-c", script])
    sampler = bench.PeakRSS(root.pid, mark="rss-probe", interval=0.05)
    sampler.start()
    root.wait()
    sampler.stop()
    assert len(sampler.kernels) == 1
    assert 100 <= next(iter(sampler.kernels.values())) / 2**20 <= 160
    assert 0 < sampler.rest / 2**20 < 20      # sh alone


def test_measure_counts_the_commands_cpu(bench, tmp_path):
    busy = "import time\nt = time.process_time()\nwhile time.process_time() - t < 0.5: pass"
    m = bench.measure([sys.executable, "-c", busy], tmp_path / "log")
    assert 0.45 <= m.cpu_s <= 1.5 and m.seconds >= 0.5
    assert m.kernel_mb == [] and m.rest_mb > 0 and 0 <= m.others <= 1
    with pytest.raises(RuntimeError, match="status 3"):
        bench.measure([sys.executable, "-c", "raise SystemExit(3)"], tmp_path / "log")


def test_measure_splits_kernel_peaks_at_the_end_of_the_team_reports(bench, tmp_path):
    """Two 'kernels': one holds 40 MB, marks the end of the team reports (a file),
    then works holding 120 MB more as the overview, in a forked helper process
    too; the other holds 250 MB and sits idle.  The team peaks are each one's
    before the mark, the overview's is the working one's after it (not the idle
    one's), and the forked helper is no kernel."""
    marker = tmp_path / "teams-done"
    idle = "import time; a = b'x' * (250 * 2**20); time.sleep(3.5)"
    work = ("import os, sys, time, pathlib\n"
            "a = b'x' * (40 * 2**20); time.sleep(1.0)\n"
            "pathlib.Path(sys.argv[1]).write_text('x'); time.sleep(0.5)\n"
            "b = b'y' * (120 * 2**20)\n"
            "if os.fork() == 0:\n"
            "    time.sleep(1.0); os._exit(0)\n"
            "t = time.process_time()\n"
            "while time.process_time() - t < 1.0: pass\n"
            "os.wait()\n")
    py, mark = shlex.quote(sys.executable), bench.KERNEL_MARK
    cmd = ["sh", "-c", f"{py} -c {shlex.quote(idle)} {mark} & "
                       f"{py} -c {shlex.quote(work)} {shlex.quote(str(marker))} {mark}; wait"]
    m = bench.measure(cmd, tmp_path / "log", split=lambda: marker.stat().st_mtime)
    low, high = sorted(m.kernel_mb)
    assert 40 <= low < 100 and high >= 250
    assert 160 <= m.overview_mb < 250
    assert "in the team reports" in m.kernels() and f"{m.overview_mb:.0f} MB" in m.kernels()
    whole = bench.measure(cmd, tmp_path / "log")        # without a split: one peak each
    assert len(whole.kernel_mb) == 2 and whole.overview_mb is None
    assert sorted(whole.kernel_mb)[0] >= 160


def test_kernel_check_runs_the_teams_in_one_kernel(bench, generated, tmp_path, monkeypatch):
    ran = []

    def measure(cmd, log, env=None, split=None):
        assert split is not None          # the overview after them, in the same kernel: out
        ran.append([str(c) for c in cmd])
        return bench.Measure(1.0, 1.0, 0.0, kernels.pop(0), 100.0, 300.0, split=True)

    monkeypatch.setattr(bench, "measure", measure)
    monkeypatch.setattr(bench, "check_pages", lambda out, teams: None)
    kernels = [[350.0], [350.0, 360.0]]
    assert bench.kernel_check(tmp_path / "p", tmp_path / "k") == 350
    cmd = ran[0]
    assert cmd[cmd.index("--workers") + 1] == "1" and "--force" in cmd
    assert cmd[cmd.index("--teams") + 1] == ",".join(bench.CHECKED)
    with pytest.raises(RuntimeError, match="2 report kernels"):
        bench.kernel_check(tmp_path / "p", tmp_path / "k")
    # the 8 profiles' first copies: in every generated workload, their own seeds' tickets
    assert bench.CHECKED[:2] == ["phone_1", "email_1"] and len(set(bench.CHECKED)) == 8
    assert set(bench.CHECKED) <= {f.stem for f in (generated / "teams").glob("*.yaml")}


def _row(teams, tickets, one_kernel, median, kernels=2):
    return {"teams": teams, "reports": teams + 1, "export_tickets": tickets,
            "run_s_per_report": 2.5, "speedup": 3.0, "one_kernel_reports": 8,
            "one_kernel_export_tickets": 237_000 if teams == 8 else tickets,
            "one_kernel_mb": one_kernel, "run_kernel_mb_median": median,
            "run_kernels_seen": kernels}


def test_kernel_memory_is_judged_on_one_kernel_running_the_same_reports(bench):
    same, as_run = bench.goals([_row(8, 238_000, 350, 350), _row(100, 3_033_000, 370, 390)],
                               2)[-2:]
    assert same.endswith("one kernel running the same 8 reports: 350 MB at 237,000 tickets; "
                         "370 MB at 3,033,000 (export x12.8, kernel x1.06, met)")
    assert as_run.endswith("350 MB at 238,000 tickets, 4 reports per kernel; 390 MB at "
                           "3,033,000, 50 per kernel (kernel x1.11, MISSED)")
    same = bench.goals([_row(8, 238_000, 350, 350), _row(100, 3_033_000, 390, 350)], 2)[-2]
    assert same.endswith("kernel x1.11, MISSED)")
    assert "needs a second, larger workload" in bench.goals([_row(8, 238_000, 350, 350)], 2)[-2]
