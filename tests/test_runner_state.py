"""What a run leaves in its output folder, however it ends: workers and kernels
stopped with it, one run at a time per folder, the index and manifest merged
across runs, a failed report's last good page marked stale, and every problem
of a report that could not start listed."""
import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from conftest import make_params
from servicekpi.cli import main
from servicekpi.runner import LOCK_FILE, RunLocked, TeamResult, run_lock, run_reports

BIN = Path(sys.executable).parent
pytestmark = pytest.mark.e2e      # runs of reports (the lock tests run nothing)

HOSTILE_KPI = "<img src=x onerror=alert(1)>"
# three problems in vip_care's own targets file, one quoting markup
BAD_TARGETS = ("team,kpi,baseline,baseline_period,target,deadline\n"
               "vip_care,fcr_rate,0.7,2026-01,0.8,2025-01\n"
               f"vip_care,{HOSTILE_KPI},0.7,2025-01,0.8,2026-12\n"
               "vip_care,csat_score,abc,2025-01,4.5,2026-12\n")


def row(index: str, team: str) -> str:
    return re.search(rf"<tr><td>{team}</td>.*?</tr>", index, re.S).group(0)


def failing_notebook(root, team):
    """The team notebook with one more cell that fails for ``team``."""
    from servicekpi.config import TEAM_NOTEBOOK

    nb = json.loads(TEAM_NOTEBOOK.read_text())
    nb["cells"].insert(2, {"cell_type": "code", "execution_count": None, "metadata": {},
                           "id": "fails", "outputs": [],
                           "source": f'if team == "{team}":\n'
                                     f'    raise RuntimeError("{team} fails in its notebook")\n'})
    path = root / "failing.ipynb"
    path.write_text(json.dumps(nb))
    return path


# ------------------------------------------------------------------ stopping a run
def _kernel_started(proc, timeout=180):
    """The run's processes once a report kernel runs (its workers and their kernels)."""
    psutil = pytest.importorskip("psutil")
    runner, deadline = psutil.Process(proc.pid), time.time() + timeout
    while time.time() < deadline:
        try:
            below = runner.children(recursive=True)
            if any("ipykernel_launcher" in " ".join(c.cmdline()) for c in below):
                return below
        except psutil.Error:
            pass
        assert proc.poll() is None, "the run ended before a kernel started"
        time.sleep(0.2)
    raise AssertionError("no report kernel started")


def _left_running(processes, seconds=5.0):
    """Those of ``processes`` still running after ``seconds`` (zombies count as gone)."""
    import psutil

    deadline = time.time() + seconds
    while True:
        alive = []
        for p in processes:
            try:
                if p.is_running() and p.status() != psutil.STATUS_ZOMBIE:
                    alive.append(p)
            except psutil.NoSuchProcess:
                pass
        if not alive or time.time() > deadline:
            return alive
        time.sleep(0.1)


def test_kill_9_of_the_run_leaves_nothing_behind(tmp_path, demo_dir, capsys):
    """kill -9 of `servicekpi run` while its reports run (the runner only, as a
    user's kill would): its workers and their kernels end within seconds; while it
    ran, a second run into the same folder was refused naming it; what it left is
    whole and the index names nothing that is not; the next run takes its lock
    over and finishes the work."""
    params = make_params(tmp_path, demo_dir, {t: f"team: {t}\n"
                                              for t in ("billing", "chat", "email")})
    out = tmp_path / "r"
    proc = subprocess.Popen([str(BIN / "servicekpi"), "run", "--params", str(params),
                             "--out", str(out), "--workers", "2"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            start_new_session=True)
    try:
        deadline = time.time() + 180
        while time.time() < deadline and not list((out / "teams").glob("*.html")):
            time.sleep(0.2)
        below = _kernel_started(proc)                # the first report is done, others run
        mine = out / "teams" / ".mine.tmp1"
        mine.write_text("a temporary file of the running run")
        assert main(["run", "--params", str(params), "--out", str(out)]) == 2
        err = capsys.readouterr().err.strip()
        assert err.count("\n") == 0 and f"another servicekpi run (PID {proc.pid}," in err, err
        assert mine.exists()                         # the refused run touched nothing
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
        left = _left_running(below)
        assert not left, [" ".join(p.cmdline()) for p in left]
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
    for page in (out / "teams").glob("*.html"):    # whatever has its final name is whole
        assert page.read_text().rstrip().endswith("</html>"), page
    index = (out / "index.html").read_text()       # written after the checks, before reports
    for href in re.findall(r'href="([^"]+)"', index):
        assert (out / href).is_file(), href
    assert "had not finished when this page was written" in index
    # the next run takes the lock over, picks up where it stopped, cleans up
    summary = run_reports(params, out, workers=2, progress=False)
    assert "taking over the lock of a run that did not end cleanly" in capsys.readouterr().err
    assert all(r.ok for r in summary.results)
    outcomes = [r.outcome for r in summary.results]
    assert "skipped" in outcomes and set(outcomes) <= {"ok", "skipped"}   # done is not redone
    assert not list(out.rglob(".*.tmp*")) and not (out / ".servicekpi.lock").exists()
    assert not (out / "_work").exists()                 # the prepared inputs, and their folder
    assert "finished" in (out / "index.html").read_text()


@pytest.mark.parametrize("how", ["SIGTERM to the run", "Ctrl-C in its terminal"])
def test_a_stopped_run_stops_its_workers_and_kernels(tmp_path, demo_dir, how):
    params = make_params(tmp_path, demo_dir, {"billing": "team: billing\n"})
    out = tmp_path / "r"
    # Ctrl-C as a terminal delivers it: the run starts with SIGINT's default action,
    # whatever this test process inherited (an ignored SIGINT is inherited, and a
    # Python started with it ignored never raises KeyboardInterrupt)
    proc = subprocess.Popen([str(BIN / "servicekpi"), "run", "--params", str(params),
                             "--out", str(out), "--workers", "1"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
                            start_new_session=True,
                            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    try:
        below = _kernel_started(proc)
        if how.startswith("SIGTERM"):
            os.kill(proc.pid, signal.SIGTERM)
        else:       # the terminal sends SIGINT to the whole foreground process group
            os.killpg(proc.pid, signal.SIGINT)
        status = proc.wait(30)
        err = proc.stderr.read()
        assert status == 130, err
        left = _left_running(below)
        assert not left, [" ".join(p.cmdline()) for p in left]
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
    assert "Traceback" not in err and "Exception ignored" not in err, err
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["run"]["state"] == "interrupted" and "billing" not in manifest["reports"]
    assert "was interrupted after 0 of 1 team reports" in (out / "index.html").read_text()
    assert not list(out.rglob(".*.tmp*")) and not (out / LOCK_FILE).exists()
    assert not list((out / "teams").glob("*.html"))


def test_a_signal_whose_interrupt_is_swallowed_still_stops_the_run(tmp_path, demo_dir,
                                                                     monkeypatch):
    """Ctrl-C's KeyboardInterrupt is raised wherever the main thread is, and a
    ``__del__`` being run (or a bare ``except:``) swallows it: the run sees the
    signal all the same, at its next look, and stops as interrupted."""
    from servicekpi import runner

    real_wait, sent = runner.wait, []

    def wait_swallowing(*args, **kwargs):      # the first look: Ctrl-C, lost
        if not sent:
            sent.append(True)
            try:
                os.kill(os.getpid(), signal.SIGINT)
                time.sleep(1)                  # the handler runs (and raises) in here
            except KeyboardInterrupt:
                pass
        return real_wait(*args, **kwargs)

    monkeypatch.setattr(runner, "wait", wait_swallowing)
    params = make_params(tmp_path, demo_dir, {"billing": "team: billing\n"})
    out = tmp_path / "r"
    inherited = signal.signal(signal.SIGINT, signal.default_int_handler)   # as in a terminal
    try:
        started = time.time()
        with pytest.raises(KeyboardInterrupt, match="SIGINT"):
            run_reports(params, out, workers=1, progress=False)
        assert sent and time.time() - started < 60
        assert signal.getsignal(signal.SIGINT) is signal.default_int_handler   # given back
    finally:
        signal.signal(signal.SIGINT, inherited)
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["run"]["state"] == "interrupted" and "billing" not in manifest["reports"]


# ------------------------------------------------------------------ a worker that dies
#: team -> "always" or "once": the stand-in report below ends its worker process
#: (as a crash or the out-of-memory killer would) every time, or the first time;
#: "hangs": it does not end (until its process is ended).
DIE: dict[str, str] = {}


def report_or_die(job):
    """A stand-in for ``runner.execute`` in the pool's (forked) workers: ends the
    process for a team of :data:`DIE`, else writes a page; each call leaves a
    line ``<pid> <its pool's size>`` in ``<out>/ran-<team>``, and ``overlap``
    there when another lone process (a pool of one) was running."""
    out, team = Path(job["out"]), job["team"]
    tried = out / f"ran-{team}"
    first = not tried.exists()
    alone = os.environ["POOL_SIZE"] == "1"
    with open(tried, "a") as f:
        f.write(f"{os.getpid()} {os.environ['POOL_SIZE']}\n")
        if alone:
            try:
                os.close(os.open(out / "lone-running", os.O_CREAT | os.O_EXCL))
            except FileExistsError:
                f.write("overlap\n")
    # written as execute writes, under the process's temporary name
    partial = out / "teams" / f".{team}.ipynb.tmp{os.getpid()}.ipynb"
    partial.write_text("{}")
    if DIE.get(team) == "always" or (DIE.get(team) == "once" and first):
        if alone:
            (out / "lone-running").unlink()
        os._exit(9)
    if DIE.get(team) == "hangs":
        time.sleep(120)
    time.sleep(1.5)        # the other reports are running or queued when one dies
    page = out / f"{job['stem']}.html"
    page.write_text(f"<html><body>{team}</body></html>")
    partial.unlink()
    if alone:
        (out / "lone-running").unlink()
    return TeamResult(team, job["name"], "ok", html=f"{job['stem']}.html", started="x",
                      finished="y", fingerprint=job["fingerprint"],
                      parameters=job["parameters"])


def sized_pool(workers):
    """``runner._local_pool``, its workers told their pool's size (``POOL_SIZE``);
    forked, whatever the default, so that they see this process's :data:`DIE`
    and stand-ins."""
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    return ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("fork"),
                               initializer=sized_worker, initargs=(os.getpid(), workers))


def sized_worker(runner_pid, workers):
    from servicekpi import runner

    runner._worker_init(runner_pid)
    os.environ["POOL_SIZE"] = str(workers)


def no_kernel(*args):
    return False


def die(*args):
    os._exit(9)


TEAMS = ("billing", "chat", "email", "phone")


def run_with_a_dying_worker(tmp_path, demo_dir, monkeypatch, die_as, prestart=no_kernel,
                            teams=TEAMS, broken_first=False, **options):
    """``run_reports`` of ``teams`` on 2 workers, the reports :func:`report_or_die`,
    the workers' kernels started by ``prestart``; ``broken_first``: the reports
    are submitted once the pool knows it lost a worker.  Returns the summary, the
    output folder and each team's calls (see :func:`report_or_die`)."""
    from servicekpi import runner

    for team, how in die_as.items():
        monkeypatch.setitem(DIE, team, how)
    monkeypatch.setattr(runner, "execute", report_or_die)
    monkeypatch.setattr(runner, "prestart", prestart)
    monkeypatch.setattr(runner, "_local_pool", sized_pool)
    pools, real_executor, real_preflight = [], runner._executor, runner.preflight

    def executor(*args):
        pool, client = real_executor(*args)
        pools.append(pool)
        return pool, client

    def preflight(*args):
        deadline = time.time() + 60
        while broken_first and not pools[0]._broken and time.time() < deadline:
            time.sleep(0.05)
        assert not broken_first or pools[0]._broken
        return real_preflight(*args)

    monkeypatch.setattr(runner, "_executor", executor)
    monkeypatch.setattr(runner, "preflight", preflight)
    params = make_params(tmp_path, demo_dir, {t: f"team: {t}\n" for t in teams})
    out = tmp_path / "r"
    summary = run_reports(params, out, workers=2, **{"overview": None, "progress": False,
                                                     **options})
    tries = {t: (out / f"ran-{t}").read_text().split("\n")[:-1] for t in teams
             if (out / f"ran-{t}").exists()}
    return summary, out, tries


NOTICE = ("servicekpi: a worker process ended abruptly (a crash, or the system's "
          "out-of-memory killer); the {} report(s) its pool had not finished run "
          "again, one at a time, each in a process of its own")


def test_a_report_that_ends_its_worker_fails_alone(tmp_path, demo_dir, monkeypatch, capsys):
    """The pool ends every worker when one dies, and fails each report it had
    not finished: those run again, each in a process of its own, and only the
    report that ends its process again fails, saying so."""
    from servicekpi.config import OVERVIEW_NOTEBOOK

    summary, out, tries = run_with_a_dying_worker(tmp_path, demo_dir, monkeypatch,
                                                  {"chat": "always"},
                                                  overview=OVERVIEW_NOTEBOOK, progress=True)
    outcome = {r.team: r.outcome for r in summary.results}
    assert outcome == {"billing": "ok", "chat": "failed", "email": "ok", "phone": "ok"}
    chat = {r.team: r for r in summary.results}["chat"]
    assert chat.error == ("WorkerDied: the process running this report ended abruptly (a "
                          "crash, or the system's out-of-memory killer), again when the "
                          "report ran alone")
    for team in ("billing", "email", "phone"):
        assert (out / "teams" / f"{team}.html").read_text() == (
            f"<html><body>{team}</body></html>")
    # chat ran twice: in the pool, then in a process of its own, as did every
    # report the pool had not finished, one at a time
    assert [line.split()[1] for line in tries["chat"]] == ["2", "1"]
    again = [line.split()[0] for t in tries.values() for line in t if line.endswith(" 1")]
    assert len(again) == len(set(again))
    assert all(t[-1].endswith(" 1") for t in tries.values() if len(t) == 2)
    assert not any("overlap" in t for t in tries.values())
    lost = len(again)
    # on a line of its own, not inside the progress bar's
    assert lost >= 2 and NOTICE.format(lost) in capsys.readouterr().err.splitlines()
    assert summary.overview.outcome == "ok"       # in a pool of its own, after the loss
    assert (out / "overview.html").read_text() == "<html><body>_overview</body></html>"
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["run"]["state"] == "finished"
    assert "WorkerDied" in row((out / "index.html").read_text(), "chat")
    assert not list(out.rglob(".*.tmp*"))


def test_a_report_whose_worker_died_once_runs_again(tmp_path, demo_dir, monkeypatch,
                                                    capsys):
    summary, out, tries = run_with_a_dying_worker(tmp_path, demo_dir, monkeypatch,
                                                  {"billing": "once"})
    assert [r.outcome for r in summary.results] == ["ok"] * 4
    assert len(tries["billing"]) == 2
    lost = sum(line.endswith(" 1") for t in tries.values() for line in t)
    assert capsys.readouterr().err == NOTICE.format(lost) + "\n"


def test_a_worker_that_dies_starting_its_kernel_stops_no_report(tmp_path, demo_dir,
                                                                 monkeypatch, capsys):
    """The pool is broken before the reports are submitted (the submission raises)."""
    summary, out, tries = run_with_a_dying_worker(tmp_path, demo_dir, monkeypatch, {},
                                                  prestart=die, broken_first=True)
    assert [r.outcome for r in summary.results] == ["ok"] * 4
    assert all(len(t) == 1 and t[0].endswith(" 1") for t in tries.values())
    assert len({t[0] for t in tries.values()}) == len(TEAMS)      # a process each
    assert capsys.readouterr().err == NOTICE.format(4) + "\n"


def test_a_pool_broken_with_no_report_lost_still_runs_the_overview(tmp_path, demo_dir,
                                                                   monkeypatch, capsys):
    """A worker that ends with no report of its pool to finish (here: while it
    starts its kernel, the one team failing before its report): the overview
    runs in a new pool, and the run finishes.  (The overview is asked to run as
    if it had a team to show: with none, it is not run at all.)"""
    from servicekpi import runner
    from servicekpi.config import OVERVIEW_NOTEBOOK

    monkeypatch.setattr(runner, "_overview_has_a_team", lambda *args: True)
    summary, out, tries = run_with_a_dying_worker(
        tmp_path, demo_dir, monkeypatch, {}, prestart=die, teams=("nobody",),
        broken_first=True, overview=OVERVIEW_NOTEBOOK)
    assert [r.outcome for r in summary.results] == ["failed"] and not tries
    assert "no tickets for team 'nobody'" in summary.results[0].error
    assert summary.overview.outcome == "ok"
    assert json.loads((out / "manifest.json").read_text())["run"]["state"] == "finished"
    assert capsys.readouterr().err == ""


def test_a_stop_while_lost_reports_run_again_ends_their_processes(tmp_path, demo_dir,
                                                                   monkeypatch):
    """SIGTERM while a lost report runs again in a process of its own: the run
    stops as interrupted, and that process is ended."""
    import threading

    psutil = pytest.importorskip("psutil")

    out = tmp_path / "r"

    def stop_when_billing_runs_alone():
        deadline = time.time() + 60
        while time.time() < deadline:
            tries = (out / "ran-billing").read_text().split() if (
                out / "ran-billing").exists() else []
            if tries[-1:] == ["1"]:               # billing, in a pool of one
                os.kill(os.getpid(), signal.SIGTERM)
                return
            time.sleep(0.05)

    threading.Thread(target=stop_when_billing_runs_alone, daemon=True).start()
    started = time.time()
    with pytest.raises(KeyboardInterrupt, match="SIGTERM"):     # billing: lost in the pool
        run_with_a_dying_worker(tmp_path, demo_dir, monkeypatch,
                                {"chat": "always", "billing": "hangs"})
    assert time.time() - started < 60
    pid, size = (out / "ran-billing").read_text().split("\n")[-2].split()
    assert size == "1"
    try:
        lone = [psutil.Process(int(pid))]
    except psutil.NoSuchProcess:
        lone = []
    try:
        assert not _left_running(lone, seconds=10)
    finally:
        for p in lone:                  # not left sleeping when the check fails
            try:
                p.kill()
            except psutil.NoSuchProcess:
                pass
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["run"]["state"] == "interrupted" and "billing" not in manifest["reports"]


def test_the_partial_files_of_a_process_are_told_by_its_whole_pid(tmp_path):
    from servicekpi.runner import _remove_partial_files

    (tmp_path / "teams").mkdir()
    names = [".chat.ipynb.tmp12.ipynb", "teams/.chat.html.tmp12-140", ".a.tmp123.ipynb",
             "teams/.b.html.tmp120-7", "teams/chat.html"]
    for name in names:
        (tmp_path / name).write_text("x")
    _remove_partial_files(tmp_path, [12])
    assert sorted(str(p.relative_to(tmp_path)) for p in tmp_path.rglob("*") if p.is_file()
                  ) == [".a.tmp123.ipynb", "teams/.b.html.tmp120-7", "teams/chat.html"]
    _remove_partial_files(tmp_path)                       # every process's
    assert [p.name for p in tmp_path.rglob("*") if p.is_file()] == ["chat.html"]


# ------------------------------------------------------------------ one run at a time
def hold_lock(out):
    """Another process holding ``out``'s lock, as a run does."""
    holder = subprocess.Popen(
        [sys.executable, "-c", "import sys, time\nfrom servicekpi.runner import run_lock\n"
         "with run_lock(sys.argv[1]):\n    print('held', flush=True)\n    time.sleep(120)\n",
         str(out)], stdout=subprocess.PIPE, text=True)
    assert holder.stdout.readline().strip() == "held"
    return holder


def test_a_second_run_into_one_folder_is_refused(tmp_path, demo_dir, capsys):
    params = make_params(tmp_path, demo_dir, {"billing": "team: billing\n"})
    out = tmp_path / "r"
    out.mkdir()
    holder = hold_lock(out)
    try:
        assert main(["run", "--params", str(params), "--out", str(out)]) == 2
    finally:
        holder.kill()
        holder.wait()
    err = capsys.readouterr().err
    assert err.count("\n") == 1, err                     # one line
    assert (f"is in use by another servicekpi run (PID {holder.pid}, started " in err
            and str(out) in err), err
    assert not (out / "index.html").exists() and not (out / "kpis.csv").exists()


def test_a_lock_left_by_a_killed_run_is_taken_over(tmp_path, capsys):
    holder = hold_lock(tmp_path)
    holder.kill()                                        # kill -9: the file stays
    holder.wait()
    assert str(holder.pid) in (tmp_path / LOCK_FILE).read_text()
    with run_lock(tmp_path) as run:
        err = capsys.readouterr().err
        assert err.count("\n") == 1, err
        assert "taking over the lock of a run that did not end cleanly" in err
        assert f"PID {holder.pid}," in err and "no longer running" in err
        assert json.loads((tmp_path / LOCK_FILE).read_text())["pid"] == os.getpid() == run["pid"]
        with pytest.raises(RunLocked, match=f"another servicekpi run \\(PID {os.getpid()},"):
            with run_lock(tmp_path):                     # held: refused, even by us
                pass
    assert not (tmp_path / LOCK_FILE).exists()           # a run that ends removes it
    with run_lock(tmp_path):                             # and the next says nothing
        assert capsys.readouterr().err == ""


# ------------------------------------------------------------------ problems before running
def test_every_problem_before_the_notebook_is_listed(tmp_path, demo_dir):
    (tmp_path / "vip_targets.csv").write_text(BAD_TARGETS)
    params = make_params(tmp_path, demo_dir, {
        "vip_care": f"team: vip_care\ntargets: {tmp_path / 'vip_targets.csv'}\n"})
    out = tmp_path / "r"
    summary = run_reports(params, out, workers=1, progress=False, overview=None)
    assert [r.outcome for r in summary.results] == ["failed"]
    assert not (out / "_work").exists()
    index = (out / "index.html").read_text()
    cells = row(index, "vip_care")
    assert "more)" not in cells                          # not "first ... (+2 more)"
    for what in ("column &#39;baseline&#39;: team &#39;vip_care&#39;: cannot read value",
                 "column &#39;kpi&#39;: team &#39;vip_care&#39;: KPI not in the catalogue",
                 "column &#39;deadline&#39;: team &#39;vip_care&#39;: deadline is not after"):
        assert cells.count(what) == 1, what
    assert cells.count("<li>") == 3 and HOSTILE_KPI not in index
    assert 'href="teams/vip_care.failed.html">every problem</a>' in cells
    page = (out / "teams" / "vip_care.failed.html").read_text()
    assert page.count("<li>") == 3 and "found 3 problems" in page
    assert "&lt;img src=x onerror=alert(1)&gt;" in page and HOSTILE_KPI not in page
    assert "row 2 (&#39;2026-01 -&gt; 2025-01&#39;)" in page
    assert not (out / "teams" / "vip_care.ipynb").exists()   # no notebook ran
    manifest = json.loads((out / "manifest.json").read_text())["reports"]["vip_care"]
    assert len(manifest["problems"]) == 3 and manifest["notebook"] is None


# ------------------------------------------------------------------ runs one after another
@pytest.fixture(scope="module")
def history(tmp_path_factory, demo_dir):
    """One output folder through six runs; what each left (its exit code, manifest,
    index and files)."""
    root = tmp_path_factory.mktemp("history")
    params = make_params(root, demo_dir, {"billing": "team: billing\n",
                                          "vip_care": "team: vip_care\n"})
    out = root / "reports"
    seen = {}

    def run(name, *extra, **api):
        if api:
            run_reports(params, out, progress=False, **api)
            code = None
        else:
            code = main(["run", "--params", str(params), "--out", str(out), "--workers", "2",
                         *extra])
        seen[name] = {"code": code, "index": (out / "index.html").read_text(),
                      "manifest": json.loads((out / "manifest.json").read_text()),
                      "files": {p.relative_to(out).as_posix() for p in out.rglob("*")
                                if p.is_file()}}
        stale = out / "teams" / "vip_care.stale.html"
        seen[name]["stale page"] = stale.read_text() if stale.exists() else None
        overview = out / "overview.html"
        seen[name]["overview"] = overview.read_text() if overview.exists() else None

    run("full")
    run("partial", "--teams", "vip_care", "--force")
    run("full again")
    (root / "vip_targets.csv").write_text(BAD_TARGETS)       # vip_care's inputs break
    (params / "teams" / "vip_care.yaml").write_text(
        f"team: vip_care\ntargets: {root / 'vip_targets.csv'}\n")
    run("inputs broken")
    (params / "teams" / "vip_care.yaml").write_text("team: vip_care\n")
    run("fixed")
    run("notebook fails", teams=["vip_care"], workers=1,      # its notebook fails
        notebook=failing_notebook(root, "vip_care"))
    (params / "teams" / "billing.yaml").write_text("team: billing\nhistory_periods: 5\n")
    run("billing changed", "--teams", "vip_care")             # billing's page is kept
    run("billing run")
    return seen


def run_id(seen, name):
    return seen[name]["manifest"]["run"]["id"]


def when(run):
    return run.replace("T", " ")


def test_a_partial_run_keeps_the_other_teams(history):
    full, partial = history["full"]["manifest"], history["partial"]["manifest"]
    assert history["full"]["code"] == 0 and history["partial"]["code"] == 0
    assert partial["reports"]["billing"] == full["reports"]["billing"]   # kept as it was
    assert partial["reports"]["vip_care"]["run"] == run_id(history, "partial")
    assert partial["run"]["partial"] and partial["run"]["teams"] == ["vip_care"]
    index = history["partial"]["index"]
    assert when(run_id(history, "full")) in row(index, "billing")       # its page's run
    assert when(run_id(history, "partial")) in row(index, "vip_care")
    assert 'href="teams/billing.html"' in index and "2 of 2 team reports ok" in index
    # the overview still covers both teams
    assert partial["reports"]["_overview"]["parameters"]["teams"] == ["billing", "vip_care"]
    assert set(partial["reports"]["_overview"]["parameters"]["links"]) == {"billing",
                                                                          "vip_care"}


def test_the_next_full_run_redoes_nothing(history):
    again = history["full again"]["manifest"]["reports"]
    assert {t: e["outcome"] for t, e in again.items()} == {
        "billing": "skipped", "vip_care": "skipped", "_overview": "skipped"}
    assert again["billing"]["page_run"] == run_id(history, "full")
    assert again["vip_care"]["page_run"] == run_id(history, "partial")
    index = history["full again"]["index"]
    assert when(run_id(history, "full")) in row(index, "billing")


def test_last_success_per_team(history):
    def last(name, team):
        return history[name]["manifest"]["reports"][team]["last_success"]

    partial_done = history["partial"]["manifest"]["reports"]["vip_care"]["finished"]
    assert last("partial", "vip_care") == partial_done
    assert last("full again", "vip_care") == last("inputs broken", "vip_care") == partial_done
    assert last("fixed", "vip_care") == history["fixed"]["manifest"]["reports"]["vip_care"][
        "finished"] != partial_done
    assert last("notebook fails", "vip_care") == last("fixed", "vip_care")
    assert last("notebook fails", "billing") == last("full", "billing")


def test_a_failure_before_the_notebook_marks_the_last_good_page_stale(history):
    seen = history["inputs broken"]
    assert seen["code"] == 1
    entry = seen["manifest"]["reports"]["vip_care"]
    assert entry["outcome"] == "failed" and entry["stale"] == "teams/vip_care.stale.html"
    assert entry["page_run"] == run_id(history, "partial")
    assert "teams/vip_care.html" not in seen["files"] and "teams/vip_care.ipynb" not in seen[
        "files"]
    assert {"teams/vip_care.stale.html", "teams/vip_care.stale.ipynb",
            "teams/vip_care.failed.html"} <= seen["files"]
    page = seen["stale page"]                             # says so itself
    assert (f"Stale: this is the last good page, from run {when(run_id(history, 'partial'))}"
            f". Run {when(run_id(history, 'inputs broken'))} failed: DataError: 3 problems"
            in page) and "Headline KPIs" in page
    cells = row(seen["index"], "vip_care")
    assert 'href="teams/vip_care.stale.html"' in cells
    assert (f"last good page</a> <span class=\"stale\">from run "
            f"{when(run_id(history, 'partial'))} (stale)") in cells
    assert cells.count("<li>") == 3
    # the overview, run again, no longer links the stale page
    overview = seen["manifest"]["reports"]["_overview"]
    assert overview["outcome"] == "ok" and set(overview["parameters"]["links"]) == {"billing"}
    assert '<span class="ok">ok (unchanged)</span>' in row(seen["index"], "billing")
    assert "teams/billing.html" in seen["files"]


def test_success_clears_stale_and_failed_pages(history):
    seen = history["fixed"]
    assert seen["code"] == 0
    assert not {f for f in seen["files"] if ".stale." in f or ".failed." in f}
    assert "stale" not in seen["index"].split("<tbody>")[1]


def test_a_failure_in_the_notebook_marks_the_last_good_page_stale(history):
    seen = history["notebook fails"]
    entry = seen["manifest"]["reports"]["vip_care"]
    assert entry["outcome"] == "failed" and "vip_care fails in its notebook" in entry["error"]
    assert entry["page_run"] == run_id(history, "fixed") and entry["stale"]
    assert {"teams/vip_care.stale.html", "teams/vip_care.stale.ipynb",
            "teams/vip_care.failed.html", "teams/vip_care.failed.ipynb"} <= seen["files"]
    assert "teams/vip_care.html" not in seen["files"]
    cells = row(seen["index"], "vip_care")
    assert 'href="teams/vip_care.failed.html">executed notebook (failing cell)' in cells
    assert f"from run {when(run_id(history, 'fixed'))} (stale)" in cells
    # billing, not in this run, keeps its entry
    assert seen["manifest"]["reports"]["billing"] == history["fixed"]["manifest"]["reports"][
        "billing"]


def test_a_kept_page_older_than_its_inputs_is_said_on_the_index_and_overview(history):
    """A run of some teams keeps the others' pages, while the overview assesses every
    team as it is now: after billing's parameters changed, a run of vip_care gave an
    overview that disagreed with billing's page and the index, and nothing said so.
    The index marks billing's page out of date (what changed, how to run it again) and
    the overview's header names it; a run of billing clears both."""
    changed = history["billing changed"]
    assert changed["manifest"]["reports"]["billing"]["outdated"] == ["parameters"]
    billing = row(changed["index"], "billing")
    assert ("Out of date: its parameters changed since its page was made" in billing
            and "servicekpi run --teams billing" in billing), billing
    assert "Out of date" not in row(changed["index"], "vip_care")
    head = re.search(r"Reports older than this overview.*?</p>", changed["overview"], re.S)
    assert head and "billing" in head.group(0) and "vip_care" not in head.group(0)
    done = history["billing run"]
    assert done["manifest"]["reports"]["billing"]["outdated"] == []
    assert "Out of date" not in done["index"] and "older than this" not in done["overview"]
    # runs before the change kept nothing older than its inputs
    for name in ("partial", "notebook fails"):
        assert "Out of date" not in history[name]["index"], name
