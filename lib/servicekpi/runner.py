"""Batch runner: every team's report, the leadership overview, and an index.

:func:`run_reports` is what ``servicekpi run`` and ``make reports`` call:

1. load and check every team's parameters: all problems are reported and
   nothing runs;
2. open every input once, as the reports will (each ticket export with its
   mapping; targets, benchmarks, KPI tables, competency files): a team whose
   inputs are wrong fails here with its error on the index, and a wrong row
   of a shared targets file or KPI table fails only the team it names; write
   every team's KPIs to ``<out>/kpis.csv``;
3. execute ``team_report.ipynb`` per team with papermill, in parallel (a
   process pool, or a Dask cluster with ``scheduler``), and render each to
   HTML (:mod:`servicekpi.htmlout`); then the same for
   ``overview_report.ipynb``;
4. write ``<out>/index.html`` (every team, its status summary, its report,
   and for a failure the error in one line with a link to the executed
   notebook at the failing cell) and ``<out>/manifest.json``.

One team's failure never stops the others.  Every file is written under a
temporary name and renamed, so a report that exists is complete.  The
manifest records, per report, its parameters, the fingerprints of its
notebook, inputs and package code, the times and the outcome; a re-run skips
a report whose fingerprints are unchanged and whose last outcome was ok
(unless ``force``), and ``only_failed`` re-runs just the failures.
"""
from __future__ import annotations

import hashlib
import html
import json
import os
import tempfile
import time
import traceback
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import asdict, dataclass, field
from datetime import datetime
from pathlib import Path

from . import __version__, config
from .errors import ServiceKPIError
from .htmlout import atomic_write, render_html
from .params import PATH_KEYS, ReportParams, load_params

OVERVIEW = "_overview"


@dataclass
class TeamResult:
    team: str
    name: str
    outcome: str                       # ok | failed | skipped
    html: str | None = None            # relative to the output folder
    notebook: str | None = None        # executed notebook (or its HTML), relative
    error: str | None = None           # one line
    seconds: float = 0.0
    started: str | None = None
    finished: str | None = None
    summary: dict = field(default_factory=dict)   # status counts from the notebook
    fingerprint: dict = field(default_factory=dict)
    parameters: dict = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return self.outcome in ("ok", "skipped")


@dataclass
class RunSummary:
    out: Path
    results: list[TeamResult] = field(default_factory=list)
    overview: TeamResult | None = None
    seconds: float = 0.0

    @property
    def failed(self) -> list[TeamResult]:
        return [r for r in self.results if not r.ok]

    @property
    def skipped(self) -> list[TeamResult]:
        return [r for r in self.results if r.outcome == "skipped"]

    @property
    def index(self) -> Path:
        return self.out / "index.html"


# ------------------------------------------------------------------ fingerprints
_HASHES: dict[tuple, str] = {}


def file_hash(path) -> str:
    """sha256 of a file's bytes (memoised by path, size and mtime)."""
    p = Path(path)
    st = p.stat()
    key = (str(p.resolve()), st.st_size, st.st_mtime_ns)
    if key not in _HASHES:
        h = hashlib.sha256()
        with open(p, "rb") as fh:
            for block in iter(lambda: fh.read(1 << 20), b""):
                h.update(block)
        _HASHES[key] = h.hexdigest()
    return _HASHES[key]


def code_hash() -> str:
    """sha256 over the package's own source and templates."""
    root = Path(__file__).parent
    h = hashlib.sha256()
    for p in sorted(list(root.rglob("*.py")) + list(root.rglob("*.j2"))
                    + list(root.rglob("*.yaml"))):
        h.update(p.relative_to(root).as_posix().encode())
        h.update(p.read_bytes())
    return h.hexdigest()


def fingerprint(notebook: Path, parameters: dict, inputs: list) -> dict:
    return {"notebook": file_hash(notebook), "parameters": parameters,
            "inputs": {str(p): file_hash(p) for p in inputs if p and Path(p).is_file()},
            "package": __version__, "code": code_hash()}


def _inputs(p: ReportParams) -> list:
    items = [getattr(p, k) for k in PATH_KEYS]
    if p.mapping and Path(p.mapping).is_file():
        items.append(p.mapping)
    return items


# ------------------------------------------------------------------ kernels
def kernel_name() -> str:
    """``servicekpi`` when registered (``make`` registers it in .venv), else ``python3``."""
    try:
        from jupyter_client.kernelspec import KernelSpecManager
        if "servicekpi" in KernelSpecManager().find_kernel_specs():
            return "servicekpi"
    except Exception:  # pragma: no cover - jupyter_client comes with papermill
        pass
    return "python3"


def _ipc_kernel_manager(folder: str):
    """A kernel manager talking to its kernel over local IPC sockets, not TCP.

    Report kernels run beside the process that starts them: IPC keeps their
    traffic off the network (and ipykernel's plain-TCP warning out of the
    console).  Socket files go to ``folder``.
    """
    from jupyter_client.manager import AsyncKernelManager

    class IPCKernelManager(AsyncKernelManager):
        def __init__(self, **kwargs):
            kwargs.setdefault("transport", "ipc")
            kwargs.setdefault("ip", os.path.join(folder, "kernel"))
            super().__init__(**kwargs)

    return IPCKernelManager


def _one_line(exc: BaseException) -> str:
    name = getattr(exc, "ename", None) or type(exc).__name__
    problems = getattr(exc, "problems", None)
    if problems and len(problems) > 1:  # the first problem, and how many more
        return (f"{name}: {len(problems)} problems, first: {problems[0]} "
                f"(+{len(problems) - 1} more)")[:400]
    value = getattr(exc, "evalue", None) or str(exc)
    first = value.strip().splitlines()[0] if value.strip() else ""
    return f"{name}: {first}"[:300]


def _now() -> str:
    return datetime.now().isoformat(timespec="seconds")


# ------------------------------------------------------------------ one report
def execute(job: dict) -> TeamResult:
    """Execute one notebook with papermill and render it (runs in a worker).

    ``job``: team, name, notebook, parameters, out (folder), stem (file name
    without suffix, relative to out), kernel, fingerprint.
    """
    import papermill as pm

    # reports run side by side, one per core: one numeric thread per kernel
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ.setdefault(var, "1")
    start = time.time()
    out = Path(job["out"]).resolve()
    nb_path = out / f"{job['stem']}.ipynb"
    html_path = out / f"{job['stem']}.html"
    nb_path.parent.mkdir(parents=True, exist_ok=True)
    tmp_nb = nb_path.with_name(f".{nb_path.name}.tmp{os.getpid()}.ipynb")
    params = dict(job["parameters"])
    summary_file = None
    if "summary_file" in job:
        summary_file = out / job["summary_file"]
        params["summary_file"] = str(summary_file)
        summary_file.unlink(missing_ok=True)
    res = TeamResult(job["team"], job["name"], "failed", started=_now(),
                     fingerprint=job.get("fingerprint", {}), parameters=job["parameters"])
    try:
        with tempfile.TemporaryDirectory(prefix="servicekpi-") as sockets:
            pm.execute_notebook(job["notebook"], str(tmp_nb), parameters=params,
                                kernel_name=job["kernel"], progress_bar=False,
                                log_output=False, cwd=str(Path(job["notebook"]).parent),
                                kernel_manager_class=_ipc_kernel_manager(sockets))
        os.replace(tmp_nb, nb_path)
        render_html(nb_path, html_path)
        html_path.with_name(html_path.stem + ".failed.html").unlink(missing_ok=True)
        res.outcome, res.html = "ok", html_path.relative_to(out).as_posix()
        res.notebook = nb_path.relative_to(out).as_posix()
        if summary_file is not None and summary_file.is_file():
            res.summary = _json_safe(json.loads(summary_file.read_text()))
    except Exception as exc:  # this report fails; the run goes on
        res.error = _one_line(exc)
        if not isinstance(exc, (pm.PapermillExecutionError, ServiceKPIError)):
            res.error += " | " + traceback.format_exc(limit=1).strip().splitlines()[-1]
        if tmp_nb.exists():  # papermill wrote the notebook up to the failing cell
            os.replace(tmp_nb, nb_path)
            failed = html_path.with_name(html_path.stem + ".failed.html")
            try:
                render_html(nb_path, failed, toc=False)
                res.notebook = failed.relative_to(out).as_posix()
            except Exception:
                res.notebook = nb_path.relative_to(out).as_posix()
    res.seconds = time.time() - start
    res.finished = _now()
    return res


# ------------------------------------------------------------------ the run
def preflight(all_params: list[ReportParams], out: Path) -> dict[str, str]:
    """Check every input once, as the reports will read it; write every team's KPIs
    to kpis.csv.

    Each ticket export is loaded once (every team must have tickets in it);
    targets, benchmarks, KPI tables and competency files are read once per
    file (:func:`servicekpi.params.check_inputs`).  A wrong row of a shared
    targets file or KPI table fails only the team it names.  Returns team ->
    one-line error for the teams that cannot run.
    """
    import pandas as pd

    from .errors import DataError
    from .params import check_inputs, clear_export_cache
    from .periods import labels

    try:
        problems, frames = check_inputs(all_params)
    finally:
        clear_export_cache()
    errors = {team: _one_line(DataError(found)) for team, found in problems.items()}
    frames = [k.assign(period=labels(k["period"])) for k in frames]
    if frames:
        atomic_write(out / "kpis.csv", pd.concat(frames, ignore_index=True).to_csv(index=False))
    return errors


def load_manifest(out: Path) -> dict:
    path = Path(out) / "manifest.json"
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):
        return {}


def _executor(workers: int, scheduler: str | None):
    if scheduler:
        try:
            from distributed import Client
        except ImportError:
            raise ServiceKPIError("--scheduler needs the 'distributed' package "
                                  "(pip install 'servicekpi[dask]')") from None
        client = Client(scheduler)
        return client.get_executor(), client
    return ProcessPoolExecutor(max_workers=workers), None


def run_reports(params_dir=config.PARAMS_DIR, out_dir=config.REPORTS_DIR, *,
                teams: list[str] | None = None, workers: int | None = None,
                notebook=config.TEAM_NOTEBOOK, overview=config.OVERVIEW_NOTEBOOK,
                progress: bool = True, force: bool = False, only_failed: bool = False,
                scheduler: str | None = None, as_of: str | None = None) -> RunSummary:
    """Produce every team's report, the overview and the index; see the module docstring.

    ``as_of`` overrides the parameters' ``as_of:`` for every report.
    """
    start = time.time()
    params_dir = Path(params_dir).resolve()
    overrides = {"as_of": as_of} if as_of is not None else None
    all_params = load_params(params_dir, teams, overrides=overrides)  # raises: nothing runs
    if not all_params:
        from .errors import ConfigError
        raise ConfigError("no team gets a report", source=str(params_dir))
    out = Path(out_dir).resolve()   # notebooks run in their own folder: absolute paths
    (out / "teams").mkdir(parents=True, exist_ok=True)
    for stale in list(out.glob(".*.tmp*")) + list((out / "teams").glob(".*.tmp*")):
        stale.unlink(missing_ok=True)   # left by an interrupted run
    previous = load_manifest(out).get("reports", {})
    summary = RunSummary(out)
    data_errors = preflight(all_params, out)
    kernel = kernel_name()
    jobs, results = [], {}
    for p in all_params:
        params = p.notebook_parameters()
        fp = fingerprint(Path(notebook), params, _inputs(p))
        if p.team in data_errors:
            results[p.team] = TeamResult(p.team, p.name, "failed", error=data_errors[p.team],
                                         fingerprint=fp, parameters=params,
                                         started=_now(), finished=_now())
            continue
        before = previous.get(p.team) or {}
        was_ok = (before.get("outcome") in ("ok", "skipped") and bool(before.get("html"))
                  and (out / before["html"]).is_file())
        if not force and was_ok and (only_failed or before.get("fingerprint") == fp):
            results[p.team] = TeamResult(**{**_known(before), "outcome": "skipped"})
            continue
        jobs.append({"team": p.team, "name": p.name, "notebook": str(notebook),
                     "parameters": params, "out": str(out), "stem": f"teams/{p.team}",
                     "kernel": kernel, "fingerprint": fp,
                     "summary_file": f"teams/{p.team}.summary.json"})
    bar = None
    if progress and jobs:
        from tqdm.auto import tqdm
        bar = tqdm(total=len(jobs), desc="team reports", unit="report")
    workers = max(1, min(workers or os.cpu_count() or 1, len(jobs) or 1))
    pool, client = _executor(workers, scheduler)
    try:
        futures = {pool.submit(execute, job): job for job in jobs}
        for fut in as_completed(futures):
            job = futures[fut]
            try:
                res = fut.result()
            except Exception as exc:  # a worker died
                res = TeamResult(job["team"], job["name"], "failed", error=_one_line(exc),
                                 fingerprint=job["fingerprint"], parameters=job["parameters"])
            results[res.team] = res
            if bar:
                bar.update()
                bar.set_postfix_str(f"{res.team}: {res.outcome}")
        if bar:
            bar.close()
        summary.results = [results[p.team] for p in all_params]
        if overview is not None and Path(overview).is_file():
            summary.overview = _run_overview(pool, summary, all_params, params_dir, overview,
                                             out, kernel, previous.get(OVERVIEW), force,
                                             as_of)
    finally:
        pool.shutdown(wait=True)
        if client is not None:
            client.close()
    summary.seconds = time.time() - start
    write_manifest(summary)
    write_index(summary, all_params)
    return summary


def _known(entry: dict) -> dict:
    keys = TeamResult.__dataclass_fields__
    return {k: v for k, v in entry.items() if k in keys}


def _run_overview(pool, summary, all_params, params_dir, overview, out, kernel, before,
                  force, as_of=None) -> TeamResult:
    links = {r.team: r.html for r in summary.results if r.html}
    params = {"params_dir": str(params_dir.resolve()), "teams": [p.team for p in all_params],
              "links": links, "title": all_params[0].title if all_params else "Overview"}
    if as_of is not None:   # the command line's --as-of, for the overview's own loading
        params["as_of"] = as_of
    inputs = [i for p in all_params for i in _inputs(p)]
    fp = fingerprint(Path(overview), params, sorted(set(map(str, filter(None, inputs)))))
    before = before or {}
    if (not force and before.get("fingerprint") == fp
            and before.get("outcome") in ("ok", "skipped") and before.get("html")
            and (out / before["html"]).is_file()):
        return TeamResult(**{**_known(before), "outcome": "skipped"})
    job = {"team": OVERVIEW, "name": "Leadership overview", "notebook": str(overview),
           "parameters": params, "out": str(out), "stem": "overview", "kernel": kernel,
           "fingerprint": fp}
    return pool.submit(execute, job).result()


def write_manifest(summary: RunSummary) -> None:
    reports = {r.team: asdict(r) for r in summary.results}
    if summary.overview is not None:
        reports[OVERVIEW] = asdict(summary.overview)
    data = {"package_version": __version__, "written": _now(),
            "seconds": round(summary.seconds, 1), "reports": reports}
    atomic_write(summary.out / "manifest.json",
                 json.dumps(_json_safe(data), indent=2, default=str, allow_nan=False))


def _json_safe(obj):
    """``obj`` with every NaN or infinite float replaced by None (null in JSON):
    a score or grade that could not be computed is missing, never NaN."""
    if isinstance(obj, float):
        return obj if obj == obj and obj not in (float("inf"), float("-inf")) else None
    if isinstance(obj, dict):
        return {k: _json_safe(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_json_safe(v) for v in obj]
    return obj


from .gaps import STATUSES as STATUS_ORDER  # noqa: E402  (the one list of statuses)


def _status_cell(summary: dict) -> str:
    """The index's cell for one team: its status counts, in the words of its
    report's language (the summary's ``language``, else English), and grade."""
    from .i18n import status_word
    counts = summary.get("status_counts") or {}
    lang = summary.get("language") or "en"
    parts = [f'<span class="st {s}">{counts[s]} {html.escape(status_word(s, lang))}</span>'
             for s in STATUS_ORDER if counts.get(s)]
    grade, score = summary.get("grade"), summary.get("score")
    if isinstance(grade, str) and grade:
        shown = f"grade {grade}"
        if isinstance(score, (int, float)) and score == score and abs(score) != float("inf"):
            shown += f" ({score:.1f}"
            capped = summary.get("capped_by")
            if isinstance(capped, str) and capped:
                shown += f", capped from {summary.get('grade_uncapped')}"
            shown += ")"
        title = summary.get("capped_by") or ""
        title = f' title="{html.escape(title)}"' if isinstance(title, str) and title else ""
        parts.append(f'<span class="grade"{title}>{html.escape(shown)}</span>')
    return " ".join(parts) or "–"


def write_index(summary: RunSummary, all_params: list[ReportParams]) -> None:
    """index.html: every team with its status summary and links (all text escaped)."""
    esc = html.escape
    rows = []
    for r in summary.results:
        if r.ok:
            status = f'<span class="ok">{"ok" if r.outcome == "ok" else "ok (unchanged)"}</span>'
            link = f'<a href="{esc(r.html)}">report</a>'
            detail = _status_cell(r.summary)
        else:
            status = '<span class="fail">failed</span>'
            link = (f'<a href="{esc(r.notebook)}">executed notebook (failing cell)</a>'
                    if r.notebook else "")
            detail = esc(r.error or "")
        rows.append(f"<tr><td>{esc(r.name)}</td><td><code>{esc(r.team)}</code></td>"
                    f"<td>{status}</td><td>{link}</td><td>{detail}</td></tr>")
    title = all_params[0].title if all_params else "Customer service KPI reports"
    ok = sum(r.ok for r in summary.results)
    ov = summary.overview
    if ov is None:
        overview = ""
    elif ov.ok:
        overview = f'<p class="overview"><a href="{esc(ov.html)}">Leadership overview</a></p>'
    else:
        link = f' (<a href="{esc(ov.notebook)}">executed notebook</a>)' if ov.notebook else ""
        overview = (f'<p class="overview fail">Leadership overview failed: '
                    f'{esc(ov.error or "")}{link}</p>')
    page = f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{esc(title)}</title>
<style>
body {{ font-family: system-ui, -apple-system, "Segoe UI", sans-serif; margin: 2rem auto;
       max-width: 72rem; padding: 0 1rem; color: #222; }}
table {{ border-collapse: collapse; width: 100%; }}
th, td {{ text-align: left; padding: .4rem .6rem; border-bottom: 1px solid #ddd;
         vertical-align: top; }}
.ok {{ color: #1a7f37; font-weight: 600; }} .fail {{ color: #c62828; font-weight: 600; }}
.overview {{ font-size: 1.15rem; }}
.st {{ display: inline-block; padding: 0 .4rem; border-radius: .3rem; margin: 0 .15rem .15rem 0;
      font-size: .85rem; }}
.met {{ background: #b7e1c1; }} .missed {{ background: #c62828; color: #ffffff; }}
.on_track {{ background: #d9f0d3; }}
.at_risk {{ background: #ffe8a3; }} .off_track {{ background: #f6c1bb; }}
.insufficient_data {{ background: #e0e0e0; }} .grade {{ font-weight: 600; margin-left: .3rem; }}
@media print {{ a {{ color: inherit; }} }}
</style></head><body>
<h1>{esc(title)}</h1>
<p>Generated {datetime.now().strftime('%Y-%m-%d %H:%M')} &middot; {ok} of
{len(summary.results)} team reports ok &middot; <a href="kpis.csv">all KPIs (CSV)</a>
&middot; <a href="manifest.json">run manifest</a></p>
{overview}
<table><thead><tr><th>Team</th><th>Id</th><th>Status</th><th>Link</th>
<th>Targets and grade / error</th></tr></thead><tbody>
{chr(10).join(rows)}
</tbody></table>
</body></html>
"""
    atomic_write(summary.index, page)
