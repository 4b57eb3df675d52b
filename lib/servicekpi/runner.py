"""Batch runner: execute the team report for every team, render HTML, write an index.

:func:`run_reports` is what ``servicekpi run`` and ``make reports`` call:

1. load and check every team's parameters (all problems reported, nothing run);
2. check each distinct ticket export once, and write all teams' KPIs to
   ``<out>/kpis.csv``;
3. execute ``team_report.ipynb`` per team with papermill, in parallel
   processes, and render each to HTML with nbconvert (code and prompts
   hidden); files are written to a temporary name and renamed, so a report
   that exists is complete;
4. write ``<out>/index.html`` linking every report, with the one-line error
   of any team that failed.  One team's failure never stops the others.
"""
from __future__ import annotations

import html
import os
import tempfile
import time
import traceback
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from . import config
from .errors import ServiceKPIError
from .params import ReportParams, load_params


@dataclass
class TeamResult:
    team: str
    name: str
    ok: bool
    html: str | None = None          # relative to the output folder
    notebook: str | None = None      # executed notebook, relative
    error: str | None = None         # one line
    seconds: float = 0.0


@dataclass
class RunSummary:
    out: Path
    results: list[TeamResult] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def failed(self) -> list[TeamResult]:
        return [r for r in self.results if not r.ok]

    @property
    def index(self) -> Path:
        return self.out / "index.html"


def _atomic_write(path: Path, text: str) -> None:
    tmp = path.with_name(f".{path.name}.tmp{os.getpid()}")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)


def kernel_name() -> str:
    """The Jupyter kernel for report notebooks: ``servicekpi`` when registered
    (``make`` registers it in .venv), else ``python3``."""
    try:
        from jupyter_client.kernelspec import KernelSpecManager
        if "servicekpi" in KernelSpecManager().find_kernel_specs():
            return "servicekpi"
    except Exception:  # pragma: no cover - jupyter_client always present with papermill
        pass
    return "python3"


def _ipc_kernel_manager(folder: str):
    """A kernel manager talking to the kernel over local IPC sockets, not TCP.

    Report kernels run on the same machine as the runner: IPC keeps their
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


def render_html(notebook_path: Path, html_path: Path) -> None:
    """Render an executed notebook to a self-contained HTML file, code hidden."""
    import nbformat
    from nbconvert import HTMLExporter

    exporter = HTMLExporter(exclude_input=True, exclude_input_prompt=True,
                            exclude_output_prompt=True)
    body, _ = exporter.from_notebook_node(nbformat.read(notebook_path, as_version=4))
    _atomic_write(html_path, body)


def _one_line(exc: BaseException) -> str:
    name = getattr(exc, "ename", None) or type(exc).__name__
    problems = getattr(exc, "problems", None)
    if problems and len(problems) > 1:  # the first problem, and how many more
        return (f"{name}: {len(problems)} problems, first: {problems[0]} "
                f"(+{len(problems) - 1} more)")[:400]
    value = getattr(exc, "evalue", None) or str(exc)
    first = value.strip().splitlines()[0] if value.strip() else ""
    return f"{name}: {first}"[:300]


def run_team(params: dict, notebook: str, out_dir: str, kernel: str) -> TeamResult:
    """Execute and render one team's report (runs in a worker process)."""
    import papermill as pm

    # Reports run side by side, one per core: keep each kernel's numeric
    # libraries to one thread so they do not fight over the cores.
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ.setdefault(var, "1")
    start = time.time()
    p = ReportParams.model_validate(params)
    out = Path(out_dir)
    (out / "teams").mkdir(parents=True, exist_ok=True)
    nb_path = out / "teams" / f"{p.team}.ipynb"
    html_path = out / "teams" / f"{p.team}.html"
    tmp_nb = nb_path.with_name(f".{nb_path.name}.tmp{os.getpid()}.ipynb")
    result = TeamResult(p.team, p.name, ok=False,
                        notebook=str(nb_path.relative_to(out)))
    try:
        with tempfile.TemporaryDirectory(prefix="servicekpi-") as sockets:
            pm.execute_notebook(notebook, str(tmp_nb), parameters=p.notebook_parameters(),
                                kernel_name=kernel, progress_bar=False, log_output=False,
                                cwd=str(Path(notebook).parent),
                                kernel_manager_class=_ipc_kernel_manager(sockets))
        os.replace(tmp_nb, nb_path)
        render_html(nb_path, html_path)
        result.ok = True
        result.html = str(html_path.relative_to(out))
    except Exception as exc:  # the team fails; the run goes on
        result.error = _one_line(exc)
        if tmp_nb.exists():  # papermill wrote the notebook up to the failing cell
            os.replace(tmp_nb, nb_path)
            try:
                render_html(nb_path, html_path.with_name(f"{p.team}.failed.html"))
                result.notebook = str(html_path.with_name(f"{p.team}.failed.html")
                                      .relative_to(out))
            except Exception:
                pass
        if not isinstance(exc, (pm.PapermillExecutionError, ServiceKPIError)):
            result.error += " | " + traceback.format_exc(limit=1).strip().splitlines()[-1]
    result.seconds = time.time() - start
    return result


def preflight(all_params: list[ReportParams], out: Path) -> dict[str, str]:
    """Check each distinct ticket export once; write every team's KPIs to kpis.csv.

    Returns team -> one-line error for teams whose data cannot be used.
    """
    from .kpis import compute_kpis
    from .periods import labels
    from .tickets import load_tickets

    errors: dict[str, str] = {}
    frames = []
    groups: dict[tuple, list[ReportParams]] = {}
    for p in all_params:
        groups.setdefault((str(p.tickets), p.mapping, p.period, p.bad_rows), []).append(p)
    for (tickets, mapping, period, bad_rows), members in groups.items():
        try:
            t = load_tickets(tickets, mapping, errors=bad_rows)
            k = compute_kpis(t, period)
        except ServiceKPIError as exc:
            for p in members:
                errors[p.team] = _one_line(exc)
            continue
        teams = set(map(str, t["team"].cat.categories))
        for p in members:
            if p.team not in teams:
                errors[p.team] = f"DataError: no tickets for team {p.team!r} in {Path(tickets).name}"
        k = k[k["team"].isin([p.team for p in members])]
        frames.append(k.assign(period=labels(k["period"])))
    if frames:
        import pandas as pd
        text = pd.concat(frames, ignore_index=True).to_csv(index=False)
        _atomic_write(out / "kpis.csv", text)
    return errors


def run_reports(params_dir=config.PARAMS_DIR, out_dir=config.REPORTS_DIR, *,
                teams: list[str] | None = None, workers: int | None = None,
                notebook=config.TEAM_NOTEBOOK, progress: bool = True) -> RunSummary:
    """Produce every team's report and the index; see the module docstring."""
    start = time.time()
    all_params = load_params(params_dir, teams)       # raises before anything runs
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    summary = RunSummary(out)
    data_errors = preflight(all_params, out)
    for p in all_params:
        if p.team in data_errors:
            summary.results.append(TeamResult(p.team, p.name, False, error=data_errors[p.team]))
    todo = [p for p in all_params if p.team not in data_errors]
    workers = workers or os.cpu_count() or 1
    kernel = kernel_name()
    bar = None
    if progress:
        from tqdm.auto import tqdm
        bar = tqdm(total=len(todo), desc="team reports", unit="report")
    with ProcessPoolExecutor(max_workers=max(1, min(workers, len(todo) or 1))) as pool:
        futures = {pool.submit(run_team, p.notebook_parameters(), str(notebook), str(out),
                               kernel): p for p in todo}
        for fut in as_completed(futures):
            p = futures[fut]
            try:
                res = fut.result()
            except Exception as exc:  # a worker died
                res = TeamResult(p.team, p.name, False, error=_one_line(exc))
            summary.results.append(res)
            if bar:
                bar.update()
                bar.set_postfix_str(f"{p.team}: {'ok' if res.ok else 'FAILED'}")
    if bar:
        bar.close()
    order = {p.team: i for i, p in enumerate(all_params)}
    summary.results.sort(key=lambda r: order.get(r.team, 0))
    summary.seconds = time.time() - start
    write_index(summary, all_params)
    return summary


def write_index(summary: RunSummary, all_params: list[ReportParams]) -> None:
    """index.html: one row per team with its status and links (names escaped)."""
    esc = html.escape
    rows = []
    for r in summary.results:
        if r.ok:
            status = '<span class="ok">ok</span>'
            link = f'<a href="{esc(r.html)}">report</a>'
            detail = f"{r.seconds:.0f} s"
        else:
            status = '<span class="fail">failed</span>'
            link = (f'<a href="{esc(r.notebook)}">executed notebook</a>'
                    if r.notebook else "")
            detail = esc(r.error or "")
        rows.append(f"<tr><td>{esc(r.name)}</td><td><code>{esc(r.team)}</code></td>"
                    f"<td>{status}</td><td>{link}</td><td>{detail}</td></tr>")
    title = all_params[0].title if all_params else "Customer service KPI reports"
    ok = sum(r.ok for r in summary.results)
    page = f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{esc(title)}</title>
<style>
body {{ font-family: system-ui, -apple-system, "Segoe UI", sans-serif; margin: 2rem auto;
       max-width: 60rem; padding: 0 1rem; color: #222; }}
table {{ border-collapse: collapse; width: 100%; }}
th, td {{ text-align: left; padding: .4rem .6rem; border-bottom: 1px solid #ddd; }}
.ok {{ color: #1a7f37; font-weight: 600; }} .fail {{ color: #c62828; font-weight: 600; }}
</style></head><body>
<h1>{esc(title)}</h1>
<p>Generated {datetime.now().strftime('%Y-%m-%d %H:%M')} &middot; {ok} of
{len(summary.results)} team reports ok &middot; <a href="kpis.csv">all KPIs (CSV)</a></p>
<table><thead><tr><th>Team</th><th>Id</th><th>Status</th><th>Link</th><th>Detail</th></tr>
</thead><tbody>
{chr(10).join(rows)}
</tbody></table>
</body></html>
"""
    _atomic_write(summary.index, page)
