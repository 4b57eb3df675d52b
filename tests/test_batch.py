"""The batch runner's promises: skip unchanged, re-run failures, drop in a Dask
cluster, and leave notebooks usable with plain papermill and nbconvert.  (An
interrupted run: test_runner_state.py.)"""
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import make_params
from servicekpi.config import TEAM_NOTEBOOK
from servicekpi.runner import run_reports

BIN = Path(sys.executable).parent
pytestmark = pytest.mark.e2e      # every test here executes notebooks


def test_skip_unchanged_then_rerun_on_change(tmp_path, demo_dir, monkeypatch):
    params = make_params(tmp_path, demo_dir, {"billing": "team: billing\n"})
    monkeypatch.chdir(tmp_path)
    out = Path("r")                       # relative, as `make reports` passes it
    params = params.relative_to(tmp_path)
    first = run_reports(params, out, workers=1, progress=False)
    assert [r.outcome for r in first.results] == ["ok"] and first.overview.outcome == "ok"
    html_time = (out / "teams" / "billing.html").stat().st_mtime_ns
    second = run_reports(params, out, workers=1, progress=False)
    assert [r.outcome for r in second.results] == ["skipped"]
    assert second.overview.outcome == "skipped"
    assert (out / "teams" / "billing.html").stat().st_mtime_ns == html_time
    manifest = json.loads((out / "manifest.json").read_text())
    entry = manifest["reports"]["billing"]
    assert entry["outcome"] == "skipped" and entry["fingerprint"]["inputs"]
    assert entry["parameters"]["team"] == "billing" and entry["started"] and entry["finished"]
    assert set(entry["summary"]) >= {"status_counts", "grade", "period"}
    assert sum(entry["summary"]["status_counts"].values()) == 3     # billing has 3 targets
    # a changed parameter re-runs the report; force re-runs regardless
    (params / "teams" / "billing.yaml").write_text("team: billing\nhistory_periods: 4\n")
    third = run_reports(params, out, workers=1, progress=False)
    assert [r.outcome for r in third.results] == ["ok"]
    forced = run_reports(params, out, workers=1, progress=False, force=True)
    assert [r.outcome for r in forced.results] == ["ok"]


def test_only_failed(tmp_path, demo_dir):
    bad = tmp_path / "bad_targets.csv"
    bad.write_text("team,kpi,baseline,baseline_period,target,deadline\n"
                   "chat,fcr_rate,0.7,2026-01,0.8,2025-01\n")
    params = make_params(tmp_path, demo_dir, {"billing": "team: billing\n",
                                              "chat": f"team: chat\ntargets: {bad}\n"})
    out = tmp_path / "r"
    first = run_reports(params, out, workers=2, progress=False)
    assert {r.team: r.outcome for r in first.results} == {"billing": "ok", "chat": "failed"}
    bad.write_text("team,kpi,baseline,baseline_period,target,deadline\n"
                   "chat,fcr_rate,0.7,2025-01,0.8,2026-12\n")
    (params / "teams" / "billing.yaml").write_text("team: billing\nhistory_periods: 5\n")
    again = run_reports(params, out, workers=2, progress=False, only_failed=True)
    # billing changed but did not fail: left alone; chat is re-run and now passes
    assert {r.team: r.outcome for r in again.results} == {"billing": "skipped", "chat": "ok"}
    assert "failed" not in (out / "index.html").read_text().split("<tbody>")[1]


def test_dask_scheduler(tmp_path, demo_dir):
    distributed = pytest.importorskip("distributed")
    params = make_params(tmp_path, demo_dir, {"billing": "team: billing\n",
                                              "vip_care": "team: vip_care\n"})
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  dashboard_address=None) as cluster:
        summary = run_reports(params, tmp_path / "r", progress=False,
                              scheduler=cluster.scheduler_address)
    assert [r.outcome for r in summary.results] == ["ok", "ok"]
    assert summary.overview.outcome == "ok"
    assert (tmp_path / "r" / "teams" / "vip_care.html").exists()


def test_plain_papermill_and_nbconvert(tmp_path, demo_dir):
    team = tmp_path / "billing.yaml"
    team.write_text(f"team: billing\ndisplay_name: Billing\ntickets: {demo_dir / 'tickets.parquet'}\n"
                    f"targets: {demo_dir / 'targets.csv'}\n"
                    f"benchmarks: {demo_dir / 'benchmarks.csv'}\n"
                    f"kpi_table: {demo_dir / 'kpi_table.csv'}\n")
    out = tmp_path / "out.ipynb"
    subprocess.run([str(BIN / "papermill"), str(TEAM_NOTEBOOK), str(out), "-f", str(team),
                    "--no-progress-bar", "-k", "python3"], check=True,
                   capture_output=True, cwd=tmp_path)
    subprocess.run([str(BIN / "jupyter"), "nbconvert", "--to", "html", "--no-input", str(out)],
                   check=True, capture_output=True)
    html = (tmp_path / "out.html").read_text()
    assert "Headline KPIs" in html and "Billing" in html


@pytest.mark.parametrize("freq", ["month", "week"])
def test_explore_notebook_runs(tmp_path, demo_dir, freq):
    """The analysts' notebook on the demo: no error; the small demo ends on
    31 October, so its last month is whole and its last week (2026-W44, to
    1 November) partial: said, flagged, and left out of the forecast."""
    import papermill as pm

    from servicekpi.config import NOTEBOOKS_DIR

    # papermill sees every parameter (a comment with '=' in it hid four of them)
    seen = pm.inspect_notebook(str(NOTEBOOKS_DIR / "explore.ipynb"))
    assert list(seen) == ["tickets", "mapping", "freq", "team", "targets", "benchmarks"]
    assert all(p["help"] for p in seen.values())
    out = tmp_path / "explore.ipynb"
    pm.execute_notebook(str(NOTEBOOKS_DIR / "explore.ipynb"), str(out), kernel_name="python3",
                        progress_bar=False, cwd=str(tmp_path),
                        parameters={"tickets": str(demo_dir / "tickets.parquet"),
                                    "targets": str(demo_dir / "targets.csv")
                                    if freq == "month" else None,
                                    "benchmarks": str(demo_dir / "benchmarks.csv"),
                                    "team": "billing", "freq": freq})
    nb = json.loads(out.read_text())
    errors = [o for c in nb["cells"] for o in c.get("outputs", [])
              if o["output_type"] == "error" or o.get("name") == "stderr"]
    assert not errors, errors
    printed = "".join("".join(o.get("text", "")) for c in nb["cells"]
                      for o in c.get("outputs", []) if o["output_type"] == "stream")
    assert re.search(r"fcr_rate: \d+ periods of history; model combination, status ok", printed)
    (forecast,) = ["".join(o["data"]["text/plain"]) for o in nb["cells"][-1]["outputs"]
                   if o["output_type"] == "execute_result"]
    first = forecast.split("\n")[2]                # after the header and the index name
    if freq == "month":
        assert "partial" not in printed and first.startswith("2026-11 ")
    else:
        assert "2026-W44 is partial (the export ends inside it)" in printed
        assert first.startswith("2026-10-26/2026-11-01 ")        # W44 forecast, not fitted


def test_plain_papermill_names_no_demo_input(tmp_path, demo_dir):
    """The notebook's own defaults bring in no demo targets, benchmarks, KPI table or
    competencies: a parameter file naming only an export gets a report of that export,
    each absent input's section saying so in one sentence."""
    import re

    from servicekpi.i18n import note

    team = tmp_path / "billing.yaml"
    team.write_text(f"team: billing\ntickets: {demo_dir / 'tickets.parquet'}\n")
    out = tmp_path / "out.ipynb"
    subprocess.run([str(BIN / "papermill"), str(TEAM_NOTEBOOK), str(out), "-f", str(team),
                    "--no-progress-bar", "-k", "python3"], check=True,
                   capture_output=True, cwd=tmp_path)
    subprocess.run([str(BIN / "jupyter"), "nbconvert", "--to", "html", "--no-input", str(out)],
                   check=True, capture_output=True)
    html = re.sub(r"data:image/[a-z+]+;base64,[A-Za-z0-9+/=]+", "",   # figures
                  (tmp_path / "out.html").read_text())
    assert "Headline KPIs" in html
    assert "Demo" not in html and "synthetic" not in html and "rows ×" not in html
    for key in ("no_benchmarks", "no_forecasts", "no_competencies", "no_control"):
        assert note(key) in html, key


def test_a_shipped_job_needs_nothing_of_the_submitters_disk(tmp_path, demo_dir):
    """A Dask worker may not share the submitter's disk: the job carries the
    notebook, the team's prepared tickets, the KPIs and every input file, and the
    result carries the pages back.  Here every file the job came from is moved
    away before it runs."""
    import shutil

    from servicekpi.params import load_params
    from servicekpi.runner import (_local_pool, _write_pages, execute, kernel_name,
                                   preflight, ship)

    data = tmp_path / "data"
    shutil.copytree(demo_dir, data)
    params = make_params(tmp_path, data, {"billing": "team: billing\n"})
    out = tmp_path / "r"
    (out / "teams").mkdir(parents=True)
    p = load_params(params)[0]
    errors, prepared, _, _ = preflight([p], out)
    assert errors == {}
    job = ship({"team": p.team, "name": p.name, "notebook": str(TEAM_NOTEBOOK),
                "parameters": p.notebook_parameters(), "out": str(out),
                "stem": "teams/billing", "kernel": kernel_name(), "language": "en",
                "summary_file": "teams/billing.summary.json"}, prepared)
    # the KPIs travel as Parquet, which a worker with another pandas reads too
    (kpis,) = job["bundle"]["entry"]["kpis"].values()
    assert kpis == "kpis.parquet" and job["bundle"]["files"][kpis][:4] == b"PAR1"
    moved = tmp_path / "elsewhere"
    moved.mkdir()
    for folder in (data, params, Path(prepared).parent):
        shutil.move(folder, moved / folder.name)
    pool = _local_pool(1)                 # in a worker, as on a cluster
    try:
        res = pool.submit(execute, job).result()
    finally:
        pool.shutdown()
    assert res.outcome == "ok", res.error
    assert not (out / "teams" / "billing.html").exists()       # nothing written here
    assert res.summary["status_counts"] and set(res.pages) >= {"teams/billing.html",
                                                                "teams/billing.ipynb"}
    _write_pages(res, out)
    page = (out / "teams" / "billing.html").read_text()
    assert "Customer service KPI report: billing" in page
    assert "tickets.parquet" in page and "targets.csv" in page   # the files' own names
    assert res.parameters == p.notebook_parameters()           # as the manifest shows them
