"""The batch runner end to end: notebooks executed, HTML rendered, index written,
one team's failure isolated."""
import json
import os
import re

import pandas as pd

import pytest

from conftest import make_params, on_glibc
from servicekpi.cli import main
from servicekpi.runner import run_reports

HOSTILE = "Phone <script>alert(1)</script> & Co"
pytestmark = pytest.mark.e2e      # a run of reports (a few refusals run nothing)


def failing_notebook(root):
    """The team notebook with one more cell that fails for team 'chat' (a report that
    passes every input check and fails inside its notebook)."""
    from servicekpi.config import TEAM_NOTEBOOK

    nb = json.loads(TEAM_NOTEBOOK.read_text())
    nb["cells"].insert(2, {"cell_type": "code", "execution_count": None, "metadata": {},
                           "id": "fails-for-chat",
                           "outputs": [], "source": 'if team == "chat":\n'
                           '    raise RuntimeError("chat fails inside its notebook")\n'})
    path = root / "team_report.ipynb"
    path.write_text(json.dumps(nb))
    return path


@pytest.fixture(scope="module")
def run(tmp_path_factory, demo_dir):
    root = tmp_path_factory.mktemp("run")
    bad_targets = root / "bad_targets.csv"
    bad_targets.write_text("team,kpi,baseline,baseline_period,target,deadline\n"
                           "email,fcr_rate,0.7,2026-01,0.8,2025-01\n")
    params = make_params(root, demo_dir, {
        "phone": f"team: phone\ndisplay_name: '{HOSTILE}'\n",
        "chat": "team: chat\n",                              # fails inside the notebook
        "email": f"team: email\ntargets: {bad_targets}\n",   # bad input: fails before
        "ghost": "team: ghost\n",                             # no tickets: fails before
        "billing": "team: billing\nlanguage: [zh\n",          # its YAML: fails alone
        "vip": "team: vip_care\ndisplay_name: VIP\nhistroy_periods: 6\n",   # a typo'd key
    })
    out = root / "reports"
    summary = run_reports(params, out, workers=2, notebook=failing_notebook(root),
                          progress=False)
    code = 1 if summary.failed or not summary.overview.ok else 0
    return out, code


def test_good_team_report(run):
    out, _ = run
    html = (out / "teams" / "phone.html").read_text()
    assert "Headline KPIs" in html and "KPI trends" in html and "Data quality" in html
    for section in ("Summary", "Targets and gaps", "Benchmark comparison", "Scorecard and grade",
                    "Forecasts and outlook", "Diagnostics", "Control charts",
                    "Top complaint causes", "What drove the largest change", "Team competencies"):
        assert f">{section}<" in html, section
    assert re.search(r"Composite score [0-9.]+ \(weighted progress to target\), grade [ABCD]",
                     html)
    assert "First-contact resolution" in html
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert html.count("data:image/png;base64") >= 1           # figures embedded
    nb = json.loads((out / "teams" / "phone.ipynb").read_text())
    for cell in nb["cells"]:
        for o in cell.get("outputs", []):
            assert o["output_type"] != "error"
            assert o.get("name") != "stderr", o.get("text")   # no warnings in the report


def test_code_hidden(run, tmp_path, monkeypatch):
    """No input cell shows in a report: no input element of nbconvert's and no line of
    the executed notebook's code (parameters cell included).  The same check finds
    both in the same notebook rendered by the same code with its inputs kept."""
    import threading

    import nbconvert

    import servicekpi.htmlout as htmlout
    from conftest import code_lines, shown_code

    out, _ = run
    executed = out / "teams" / "phone.ipynb"
    nb = json.loads(executed.read_text())
    assert len(code_lines(nb)) >= 10
    assert shown_code((out / "teams" / "phone.html").read_text(), nb) == []

    class WithInputs(nbconvert.HTMLExporter):
        def __init__(self, **kwargs):
            super().__init__(**{**kwargs, "exclude_input": False})

    monkeypatch.setattr(nbconvert, "HTMLExporter", WithInputs)
    monkeypatch.setattr(htmlout, "_EXPORTERS", threading.local())   # none made yet
    htmlout.render_html(executed, tmp_path / "with_inputs.html")
    found = shown_code((tmp_path / "with_inputs.html").read_text(), nb)
    assert any(f.startswith("an input element") for f in found), found
    assert sum(f.startswith("code line") for f in found) == len(code_lines(nb)), found


def test_failures_isolated_and_indexed(run):
    out, code = run
    assert code == 1
    index = (out / "index.html").read_text()
    assert "&lt;script&gt;" in index and "<script>alert" not in index
    assert 'href="teams/phone.html"' in index
    row = re.search(r"<tr><td>chat</td>.*?</tr>", index, re.S).group(0)
    assert "failed" in row and "chat fails inside its notebook" in row
    assert 'href="teams/chat.failed.html"' in row             # shows the failing cell
    assert (out / "teams" / "chat.failed.html").exists()
    email = re.search(r"<tr><td>email</td>.*?</tr>", index, re.S).group(0)
    assert "failed" in email and "deadline is not after the baseline" in email
    assert not (out / "teams" / "email.ipynb").exists()       # its inputs stopped it
    ghost = re.search(r"<tr><td>ghost</td>.*?</tr>", index, re.S).group(0)
    assert "no tickets for team &#39;ghost&#39;" in ghost
    # a mistake in one team's parameter file fails that team alone, listed with its file
    billing = re.search(r"<tr><td>billing</td>.*?</tr>", index, re.S).group(0)
    assert "failed" in billing and "billing.yaml" in billing, billing
    assert 'href="teams/billing.failed.html"' in billing
    vip = re.search(r"<tr><td>VIP</td>.*?</tr>", index, re.S).group(0)
    assert "histroy_periods" in vip and "vip.yaml" in vip, vip
    manifest = json.loads((out / "manifest.json").read_text())["reports"]
    assert manifest["vip_care"]["outcome"] == manifest["billing"]["outcome"] == "failed"
    assert manifest["phone"]["outcome"] == "ok"
    page = (out / "teams" / "billing.failed.html").read_text()
    assert "billing.yaml" in page and "YAML" in page, page[:2000]
    assert not list(out.rglob(".*.tmp*"))                    # no half-written files


def test_all_teams_kpi_csv(run, demo_dir):
    """Every KPI the reports read, the KPI table's too, with ``complete``; a team
    stopped by its targets still has its KPIs, a team without tickets none."""
    out, _ = run
    text = (out / "kpis.csv").read_text()
    assert text.startswith("team,period,kpi,value,n,numerator,sd,open_share,at_least,complete\n")
    k = pd.read_csv(out / "kpis.csv")
    assert set(k["team"]) == {"phone", "chat", "email"}
    table = pd.read_csv(demo_dir / "kpi_table.csv")
    for team in ("phone", "email"):
        mine = table[(table["team"] == team)]
        shown = k[(k["team"] == team) & k["kpi"].isin(set(mine["kpi"]))]
        assert len(shown) == len(mine) > 0 and set(shown["kpi"]) == set(mine["kpi"])
    assert k["complete"].all()                # the demo export covers its last month


def test_invalid_params_run_nothing(tmp_path, demo_dir, capsys):
    params = make_params(tmp_path, demo_dir, {"a": "team: a\nbogus: 1\n",
                                              "b": "team: b\nkpis: [nope]\n"})
    out = tmp_path / "out"
    assert main(["run", "--params", str(params), "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert "bogus" in err and "nope" in err
    assert not out.exists()


def test_run_reports_api_summary(tmp_path, demo_dir):
    params = make_params(tmp_path, demo_dir, {"vip": "team: vip_care\n"})
    summary = run_reports(params, tmp_path / "r", workers=1, progress=False)
    assert [r.ok for r in summary.results] == [True]
    assert summary.index.exists()


def test_one_line_error_names_first_problem():
    from servicekpi.errors import DataError, Problem
    from servicekpi.runner import _one_line

    exc = DataError([Problem("t.csv", "csat", "value out of range", (3,), (9,), 1),
                     Problem("t.csv", "nps", "value out of range", (4,), (11,), 1)])
    line = _one_line(exc)
    assert line.startswith("DataError: 2 problems, first: t.csv, column 'csat'")
    assert "(+1 more)" in line and "\n" not in line


def test_a_long_error_is_cut_between_words():
    from servicekpi.errors import DataError, Problem
    from servicekpi.runner import _one_line

    words = " ".join(f"word{i}" for i in range(200))
    one = _one_line(DataError([Problem("t.csv", "team", words)]))
    assert len(one) <= 300 and one.endswith("…") and one[:-1].split()[-1].startswith("word")
    assert one[:-1].split()[-1] in words.split()               # a whole word
    many = _one_line(DataError([Problem("t.csv", "team", words), Problem("t.csv", "x", "y")]))
    assert len(many) <= 400 and many.endswith("… (+1 more)")
    assert _one_line(ValueError("short")) == "ValueError: short"


def test_no_overview_notebook_when_every_teams_inputs_are_refused(tmp_path, demo_dir):
    """Both teams' targets are refused before any notebook runs: the overview is
    not run either (it had nothing to read and failed with a traceback page); the
    index says so, and the teams' problems are each on their row."""
    bad = tmp_path / "bad_targets.csv"
    bad.write_text("team,kpi,baseline,baseline_period,target,deadline\n"
                   "phone,fcr_rate,0.7,2026-01,0.8,2025-01\n"
                   "chat,nope,0.7,2026-01,0.8,2026-12\n")
    params = make_params(tmp_path, demo_dir, {"phone": f"team: phone\ntargets: {bad}\n",
                                              "chat": f"team: chat\ntargets: {bad}\n"})
    out = tmp_path / "out"
    summary = run_reports(params, out, workers=1, progress=False)
    assert [r.outcome for r in summary.results] == ["failed", "failed"]
    assert not summary.overview.ok and summary.overview.error.startswith("not made")
    assert not (out / "overview.failed.html").exists()
    assert not (out / "overview.failed.ipynb").exists()
    index = (out / "index.html").read_text()
    assert "Leadership overview failed: not made: no team&#39;s inputs could be read" in index
    assert "deadline is not after the baseline" in index and "not in the catalogue" in index


def test_rows_no_report_shows_are_said_on_the_index(tmp_path, demo_dir, capsys):
    """A targets row for a team neither in the export nor in the parameters
    ('Nobody Here'): validate names it, and so does run, on stderr and on the
    index (here the one team's own targets are refused too: nothing runs)."""
    bad = tmp_path / "targets.csv"
    bad.write_text("team,kpi,baseline,baseline_period,target,deadline\n"
                   "phone,fcr_rate,0.7,2026-01,0.8,2025-01\n"
                   "Nobody Here,fcr_rate,0.7,2026-01,0.8,2026-12\n")
    params = make_params(tmp_path, demo_dir, {"phone": f"team: phone\ntargets: {bad}\n"})
    out = tmp_path / "out"
    summary = run_reports(params, out, workers=1, progress=False)
    assert [r.outcome for r in summary.results] == ["failed"]
    err = capsys.readouterr().err
    assert "servicekpi: note: targets.csv, column 'team': team not in" in err
    assert "[1 row: row 3 ('Nobody Here')]" in err
    index = (out / "index.html").read_text()
    assert "Rows of the parameters&#39; files that no report shows" in index
    assert "row 3 (&#39;Nobody Here&#39;)" in index
    run = json.loads((out / "manifest.json").read_text())["run"]
    assert len(run["unused"]) == 1


def test_bad_rows_drop_lets_the_report_run(tmp_path, demo_dir):
    import pandas as pd

    t = pd.read_parquet(demo_dir / "tickets.parquet")
    t["csat"] = t["csat"].astype("Float64")
    t.loc[t.index[:3], "csat"] = 9                       # three bad survey answers
    t.to_parquet(tmp_path / "bad.parquet")
    params = make_params(tmp_path, demo_dir, {
        "strict": f"team: billing\ntickets: {tmp_path / 'bad.parquet'}\n",
        "lenient": f"team: billing\ndisplay_name: x\ntickets: {tmp_path / 'bad.parquet'}\n"
                   "bad_rows: drop\n"})
    # two files for one team id are refused: keep one at a time
    (params / "teams" / "lenient.yaml").unlink()
    strict = run_reports(params, tmp_path / "r1", workers=1, progress=False)
    assert not strict.results[0].ok and "csat" in strict.results[0].error
    (params / "teams" / "strict.yaml").write_text(
        f"team: billing\ntickets: {tmp_path / 'bad.parquet'}\nbad_rows: drop\n")
    lenient = run_reports(params, tmp_path / "r2", workers=1, progress=False)
    assert lenient.results[0].ok, lenient.results[0].error
    html = (tmp_path / "r2" / "teams" / "billing.html").read_text()
    assert "row dropped" in html


def test_overview(run):
    out, _ = run
    html = (out / "overview.html").read_text()
    for section in ("Status of every goal", "Ranking by composite score", "Goals most at risk",
                    "Teams x KPIs", "Department reports"):
        assert f">{section}<" in html, section
    assert 'href="teams/phone.html"' in html
    assert "<script>alert" not in html and "&lt;script&gt;alert(1)" in html
    assert "Partly left out for data problems" in html        # email's bad targets file
    left_out = re.search(r"Partly left out for data problems.*?</p>", html, re.S).group(0)
    assert "billing" in left_out and "histroy_periods" in left_out, left_out
    assert "VIP:" in left_out           # named as its file names it, not by its id
    index = (out / "index.html").read_text()
    assert 'href="overview.html"' in index


def test_shared_targets_bad_row_fails_only_its_team(tmp_path, demo_dir):
    """One wrong row for 'email' in the targets file every team shares: email fails
    before running, with the row on the index; phone runs.  --as-of reaches the report."""
    shared = tmp_path / "targets.csv"
    table = pd.read_csv(demo_dir / "targets.csv", dtype=str)
    wrong = {"team": "email", "kpi": "nps", "baseline": "10", "baseline_period": "2026-06",
             "target": "20", "deadline": "2026-01", "weight": "1", "owner": "someone"}
    pd.concat([table, pd.DataFrame([wrong])]).to_csv(shared, index=False)
    params = make_params(tmp_path, demo_dir, {"phone": "team: phone\n",
                                              "email": "team: email\n"})
    defaults = params / "defaults.yaml"
    defaults.write_text(defaults.read_text().replace(str(demo_dir / "targets.csv"),
                                                     str(shared)))
    out = tmp_path / "reports"
    code = main(["run", "--params", str(params), "--out", str(out), "--workers", "1",
                 "--as-of", "2026-09-15 12:00"])
    manifest = json.loads((out / "manifest.json").read_text())["reports"]
    assert code == 1
    assert manifest["phone"]["outcome"] == "ok", manifest["phone"]["error"]
    assert manifest["email"]["outcome"] == "failed"
    assert "team 'email': deadline is not after the baseline" in manifest["email"]["error"]
    assert manifest["email"]["notebook"] is None                  # never started
    index = (out / "index.html").read_text()
    row = re.search(r"<tr><td>email</td>.*?</tr>", index, re.S).group(0)
    assert "deadline is not after the baseline" in row
    assert manifest["phone"]["parameters"]["as_of"] == "2026-09-15 12:00"
    html = (out / "teams" / "phone.html").read_text()
    assert "as of 2026-09-15 12:00" in html
    # the overview reads the exports as of the same time: September is partial,
    # August the period assessed, and nothing later than September exists
    overview = (out / "overview.html").read_text()
    assert "<strong>Period:</strong> 2026-08" in overview, re.findall(r"Period:.{0,80}", overview)
    assert "2026-10" not in overview


def auto_params(root, rows: str, extra: str = ""):
    """A params folder for ``t.csv`` (ticket_id, team, created_at + ``rows``), every
    team of the export (teams: auto), canonical columns, the project's catalogue."""
    from servicekpi.config import CATALOGUE

    (root / "t.csv").write_text("ticket_id,team,created_at\n" + rows)
    p = root / "params"
    p.mkdir()
    (p / "defaults.yaml").write_text(f"tickets: ../t.csv\ncatalogue: {CATALOGUE}\n"
                                     "mapping: null\nteams: auto\n" + extra)
    return p


def test_preflight_reads_the_export_as_the_parameters_say(tmp_path):
    """dayfirst: true in defaults.yaml: 01/03 and 02/03/2024 are 1 and 2 March, so the
    run's kpis.csv has one March row of volume 2 (month first they would be January
    and February)."""
    import pandas as pd

    from servicekpi.params import load_params
    from servicekpi.runner import preflight

    p = auto_params(tmp_path, "1,Desk,01/03/2024 09:00\n2,Desk,02/03/2024 09:00\n",
                    "dayfirst: true\n")
    errors, _, _, _ = preflight(load_params(p), tmp_path)
    assert errors == {}
    k = pd.read_csv(tmp_path / "kpis.csv")
    assert k.loc[k["kpi"] == "volume", ["team", "period", "value"]].values.tolist() == [
        ["desk", "2024-03", 2]]
    (p / "defaults.yaml").write_text((p / "defaults.yaml").read_text()
                                     .replace("dayfirst: true", "dayfirst: false"))
    preflight(load_params(p), tmp_path)
    k = pd.read_csv(tmp_path / "kpis.csv")
    assert k.loc[k["kpi"] == "volume", "period"].tolist() == ["2024-01", "2024-02"]


def test_run_refuses_an_export_with_no_tickets_left(tmp_path, capsys):
    """Every ticket created after as_of: an error before anything runs (not an
    overview of no teams)."""
    p = auto_params(tmp_path, "1,A,2024-05-01\n2,B,2024-05-02\n")
    out = tmp_path / "reports"
    assert main(["run", "--params", str(p), "--out", str(out), "--as-of",
                 "2024-04-30 23:00"]) == 2
    err = capsys.readouterr().err
    assert ("t.csv: no tickets left: all 2 rows were created after the as-of time "
            "2024-04-30 23:00") in err
    assert not out.exists()


def _notebook(path, *cells):
    """A notebook at ``path`` for the servicekpi kernel: a parameters cell
    (``n = None``), then ``cells``."""
    import nbformat

    from servicekpi import runner
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": runner.kernel_name(), "language": "python",
                                 "display_name": "Python"}
    nb.cells = [nbformat.v4.new_code_cell("n = None", metadata={"tags": ["parameters"]}),
                *(nbformat.v4.new_code_cell(c) for c in cells)]
    nbformat.write(nb, path)
    return path


def _kept_kernel_sequence(jobs):
    """Run ``jobs`` one after the other in this (pool worker) process: the outcome of
    each and the pid of the kernel kept after it."""
    from servicekpi import runner
    def socket_count():
        here = f"/proc/{os.getpid()}/fd"
        return sum(os.readlink(f"{here}/{fd}").startswith("socket:")
                   for fd in os.listdir(here) if os.path.exists(f"{here}/{fd}"))

    seen, files, open_sockets = [], set(), []
    for job in jobs:
        ok = runner.execute(job).ok
        kept = runner._WARM.kept
        seen.append((ok, kept and kept[0].provisioner.process.pid))
        open_sockets.append(socket_count())
        if kept:
            km, _, sockets, _ = kept
            assert os.path.dirname(km.connection_file) == sockets
            assert os.path.exists(km.connection_file)
            files.add(km.connection_file)
    runner._end_kernels()
    return (seen, len(runner._KERNELS), sorted(f for f in files if os.path.exists(f)),
            open_sockets)


def _prestarted_sequence(kernel, cwd, job):
    """prestart, then ``job``, in this (pool worker) process: whether the kernel was
    ready, the pid of the kernel kept after each, the reports counted, and whether
    the report ran."""
    from servicekpi import htmlout, runner
    ready = runner.prestart(kernel, cwd, ["zh", "en"])
    exporters = sorted(getattr(htmlout._EXPORTERS, "by_language", {}))
    started = runner._WARM.kept
    pid, used = started[0].provisioner.process.pid, started[3]
    again = runner.prestart(kernel, cwd)          # a second task in the same worker
    res = runner.execute(job)
    kept = runner._WARM.kept
    out = (ready, again, used, pid, kept[0].provisioner.process.pid, kept[3], res.ok,
           res.error, exporters)
    runner._end_kernels()
    return out


def test_a_worker_starts_its_kernel_before_its_first_report(tmp_path):
    """While the run reads its inputs, each worker starts its kernel and imports a
    report's libraries in it (prestart): the first report runs in that kernel,
    with the libraries imported and nothing of the preload's names left; the
    worker has its page exporters ready for the run's languages."""
    from servicekpi import runner

    path = _notebook(tmp_path / "first.ipynb",
                     "import sys\nassert '_r' not in globals()\n"
                     "assert 'servicekpi.plots' in sys.modules       # preloaded\n"
                     "assert 'statsmodels.tsa.arima.model' in sys.modules")
    job = {"team": "a", "name": "a", "notebook": str(path), "parameters": {"n": 1},
           "out": str(tmp_path / "out"), "stem": "a", "kernel": runner.kernel_name(),
           "keep_kernel": True}
    pool = runner._local_pool(1)
    try:
        (ready, again, used, pid, after, counted, ok, error, exporters) = pool.submit(
            _prestarted_sequence, runner.kernel_name(), str(tmp_path), job).result()
    finally:
        pool.shutdown()
    assert ready and again and used == 0
    assert ok, error
    assert after == pid and counted == 1          # the report ran in it, counted once
    assert exporters == ["en", "zh"]               # the worker's pages, ready in each language


def test_a_worker_keeps_its_kernel_and_leaves_nothing_of_the_last_report(tmp_path):
    """A local worker runs its reports in one kernel (start-up and imports once),
    reset before each: no name, figure or matplotlib setting of the last report is
    left, what is left is frozen out of garbage collection, and the memory freed
    is given back; a report that fails retires the kernel.  Its kernels have at
    most ``KERNEL_ARENAS`` malloc arenas.  (In a pool worker, as the runner
    runs it: a process that talked to a kernel must not fork.)"""
    from servicekpi import runner

    def notebook(name, *cells):
        return _notebook(tmp_path / f"{name}.ipynb", *cells)

    # 100 MB of 64 KB blocks freed between 4 KB ones still in use (kept past the
    # reset): glibc holds them until the reset gives them back (on glibc only)
    rss = "int(open('/proc/self/status').read().split('VmRSS:')[1].split()[0])"
    held = tmp_path / "rss-held"
    leave = notebook("leave", "import matplotlib\nleft = 1\n"
                     "matplotlib.rcParams['font.family'] = 'serif'",
                     "import sys, pathlib, numpy as np, servicekpi.readers\n"
                     "blocks = [(np.ones(8 << 10), np.ones(512)) for _ in range(1600)]\n"
                     "sys._servicekpi_pin = [small for _, small in blocks]\n"
                     f"del blocks\npathlib.Path({str(held)!r}).write_text(str({rss}))")
    check = notebook("check", "import matplotlib\n"
                     "assert 'left' not in globals()\n"
                     "assert matplotlib.rcParams['font.family'] == ['sans-serif']")
    glibc = on_glibc()
    arenas = os.environ.get("MALLOC_ARENA_MAX", str(runner.KERNEL_ARENAS))
    kept = notebook("kept", "import gc, matplotlib, os, pathlib\n"
                    "assert 'left' not in globals()\n"
                    "assert matplotlib.rcParams['font.family'] == ['sans-serif']\n"
                    "assert gc.get_freeze_count() > 10000   # the modules, out of collections\n"
                    f"assert os.environ['MALLOC_ARENA_MAX'] == {arenas!r}\n"
                    f"held = int(pathlib.Path({str(held)!r}).read_text())\n"
                    f"assert {not glibc} or {rss} < held - 50_000, ({rss}, held)")
    fail = notebook("fail", "raise ValueError('no')")

    def job(nb, stem):
        return {"team": stem, "name": stem, "notebook": str(nb), "parameters": {"n": 1},
                "out": str(tmp_path / "out"), "stem": stem, "kernel": runner.kernel_name(),
                "keep_kernel": True}

    pool = runner._local_pool(1)
    try:
        seen, left, files_left, open_sockets = pool.submit(_kept_kernel_sequence, [
            job(leave, "a"), job(kept, "b"), job(fail, "c"), job(check, "d")]).result()
    finally:
        pool.shutdown()
    (a, first), (b, same), (c, retired), (d, fresh) = seen
    assert a and b and not c and d
    assert same == first                  # the report ran in the kernel kept
    assert retired is None                # the failure retired it
    assert fresh not in (None, first)     # a new one for the next report
    assert left == 0                      # and the worker's end kills it
    assert files_left == []               # connection files went with their socket folders
    # each report's client is closed after it: in one kernel, no more sockets open
    # in the worker after the second report than after the first
    assert open_sockets[1] <= open_sockets[0]


def _counted_writes(job):
    """``job`` run by :func:`runner.execute` in this (pool worker) process: its
    result and how many times papermill wrote the notebook (its engine's saves
    and its own final write)."""
    import papermill.engines
    import papermill.execute

    from servicekpi import runner
    writes = []
    for module in (papermill.engines, papermill.execute):
        real = module.write_ipynb

        def counted(nb, path, real=real):
            writes.append(path)
            return real(nb, path)
        module.write_ipynb = counted
    res = runner.execute(job)
    return res.ok, res.error, res.notebook, len(writes)


def test_the_notebook_is_written_when_its_execution_ends_not_at_every_cell(tmp_path):
    """papermill saves an executed notebook at every cell's start and end (a report's
    figures serialised 38 times); the runner's engine writes it when the execution
    ends, however it ends: a kernel that dies mid-report still leaves the notebook
    up to that cell, and its page."""
    import nbformat

    from servicekpi import runner

    def notebook(name, *cells):
        return _notebook(tmp_path / f"{name}.ipynb", *cells)

    def job(nb, stem):
        return {"team": stem, "name": stem, "notebook": str(nb), "parameters": {"n": 1},
                "out": str(tmp_path / "out"), "stem": stem, "kernel": runner.kernel_name()}

    good = notebook("good", "print('one')", "print('two')", "print('three')")
    dies = notebook("dies", "print('before')", "import os\nos._exit(1)", "print('after')")
    pool = runner._local_pool(1)
    try:
        ok, error, _, writes = pool.submit(_counted_writes, job(good, "good")).result()
        died = pool.submit(_counted_writes, job(dies, "dies")).result()
    finally:
        pool.shutdown()
    assert ok, error
    assert writes == 2          # the engine's final save, papermill's final write (was 13)
    executed = nbformat.read(tmp_path / "out" / "good.ipynb", as_version=4)
    assert [c.outputs[0]["text"] for c in executed.cells[2:]] == ["one\n", "two\n", "three\n"]

    ok, error, page, writes = died
    assert not ok and "Kernel died" in error, error
    assert writes == 1 and page == "dies.failed.html"
    failed = nbformat.read(tmp_path / "out" / "dies.failed.ipynb", as_version=4)
    assert failed.cells[2].outputs[0]["text"] == "before\n"
    assert not failed.cells[4].outputs
    assert "before" in (tmp_path / "out" / "dies.failed.html").read_text()
