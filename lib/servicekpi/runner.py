"""Batch runner: every team's report, the leadership overview, and an index.

:func:`run_reports` is what ``servicekpi run`` and ``make reports`` call:

1. load and check every team's parameters (:func:`servicekpi.params.team_params`):
   a problem of every team's (``defaults.yaml``, a file every team names,
   the command line) is reported with all the others and nothing runs; a
   team's own (its file's YAML, a key, a file it alone names) fails that team,
   its problems on the index and on ``teams/<team>.failed.html``;
2. take the output folder's lock (:func:`run_lock`): one run at a time per
   folder;
3. open every input once, as the reports will (each ticket export with its
   mapping; targets, benchmarks, KPI tables, competency files): a team whose
   inputs are wrong fails here, every problem listed on the index and on
   ``teams/<team>.failed.html``, and a wrong row of a shared targets file or
   KPI table fails only the team it names; write every team's KPIs to
   ``<out>/kpis.csv``;
4. execute ``team_report.ipynb`` per team with papermill, in parallel (a
   process pool, or a Dask cluster with ``scheduler``; a local pool's workers
   start their kernels during step 3, :func:`prestart`), and render each to
   HTML (:mod:`servicekpi.htmlout`); then the same for
   ``overview_report.ipynb``;
5. after every finished report, rewrite ``<out>/index.html`` (every team, its
   status summary, its report and the run that produced it; for a failure
   the error with a link to the executed notebook at the failing cell) and
   ``<out>/manifest.json``.

One team's failure never stops the others, not even one that ends its worker
process (a crash, the system's out-of-memory killer): a local pool that loses
a worker stops, and the reports it had not finished run again, one at a time,
each in a process of its own (:func:`_one_by_one`), so that only a report that
ends its process again fails, with that reason.  Every file is written under a
temporary name and renamed, so a report that exists is complete; a report that
fails moves its last good page aside (``<team>.stale.html``, shown as stale on
the index), so no page looks current that is not.  The index and manifest are
merged, not replaced: a run of some teams (``teams``) keeps every other team's
entry.  The manifest records, per report, its parameters, the fingerprints of
its notebook, inputs and package code, the times, the outcome, the run that
produced its page and its last success; a re-run skips a report whose
fingerprints are unchanged and whose last outcome was ok (unless ``force``),
and ``only_failed`` re-runs just the failures.

Pool workers end with the run, however it ends (Ctrl-C, SIGTERM, or kill -9
of the runner), and take their Jupyter kernels with them
(:func:`_worker_init`).
"""
from __future__ import annotations

import asyncio
import hashlib
import json
import multiprocessing.util
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import traceback
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from datetime import datetime
from pathlib import Path

from . import __version__, config
from .errors import ConfigError, Problem, ServiceKPIError
from .config import atomic_write
from .htmlout import render_html
from .params import PATH_KEYS, ReportParams, file_identity, team_params

OVERVIEW = "_overview"
#: Where a run keeps the inputs it prepared for its reports (removed when it ends).
PREPARED_DIR = "_work/prepared"


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
    problems: list = field(default_factory=list)  # a failure before the notebook: every one
    run: str | None = None             # id (start time) of the run that gave this outcome
    page_run: str | None = None        # ... that produced the page (html, or stale)
    last_success: str | None = None    # when the report last succeeded
    stale: str | None = None           # a failed report's last good page, moved aside
    #: a page kept by a run of other teams, older than its inputs: what changed since
    #: (``parameters``, ``code``, or an input file's name; :func:`_outdated`)
    outdated: list = field(default_factory=list)

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
    key = file_identity(path)
    if key not in _HASHES:
        with open(path, "rb") as fh:
            _HASHES[key] = hashlib.file_digest(fh, "sha256").hexdigest()
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
    except (ImportError, OSError, ValueError):   # no jupyter_client, unreadable kernel specs
        pass
    return "python3"


def _ipc_kernel_manager(folder: str):
    """A kernel manager talking to its kernel over local IPC sockets, not TCP.

    Report kernels run beside the process that starts them: IPC keeps their
    traffic off the network (and ipykernel's plain-TCP warning out of the
    console).  Socket files go to ``folder``, one kernel's, and so does its
    connection file: a kernel the runner kills (rather than shuts down) leaves
    nothing behind once the folder is removed (jupyter_client would write the
    file to the system's temporary folder and remove it only at a shutdown).
    Every kernel started is remembered, so that a worker that has to end takes
    its kernels with it (:func:`_kill_kernels`).

    The clients opened on a kernel are remembered too, and closed by
    :meth:`close_clients` after each report in a kept kernel: nbclient leaves a
    client open when it was given the kernel's manager, and an open client's
    sockets go on receiving every message the kernel sends, on both sides (15
    reports in one kernel: 78 sockets left open in the worker, whose memory grew
    by 150 MB, a little more with each report).
    """
    from jupyter_client.manager import AsyncKernelManager

    class IPCKernelManager(AsyncKernelManager):
        def __init__(self, **kwargs):
            kwargs.setdefault("transport", "ipc")
            kwargs.setdefault("ip", os.path.join(folder, "kernel"))
            kwargs.setdefault("connection_file", os.path.join(folder, "kernel.json"))
            super().__init__(**kwargs)
            self._clients = []

        def client(self, **kwargs):
            kc = super().client(**kwargs)
            self._clients.append(kc)
            return kc

        def close_clients(self):
            """Close every client opened on this kernel (a closed one: nothing to do)."""
            while self._clients:
                self._clients.pop().stop_channels()

        async def _async_launch_kernel(self, kernel_cmd, **kw):
            await super()._async_launch_kernel(kernel_cmd, **kw)
            process = getattr(self.provisioner, "process", None)
            if process is not None:
                _KERNELS.append(process)

    return IPCKernelManager


#: Reports a worker runs in one kernel before it starts a fresh one (start-up and
#: imports: 3 CPU-s), a bound on what a long run could leave in a kernel.  With each
#: report's client closed after it (:func:`_ipc_kernel_manager`) a kept kernel does
#: not grow: its low point stayed at 324-340 MB over 36 reports of the 100-team
#: data in one kernel (it went from 330 to 392 MB while clients were left open).
KERNEL_REPORTS = 100
#: glibc's malloc arenas of a report kernel (``MALLOC_ARENA_MAX``; by default 8 per
#: core).  A kernel allocates in several threads (its own, the IOPub thread that
#: sends each figure, Arrow's readers), and what one arena frees the others
#: cannot reuse: over 50 reports of the 100-team benchmark a kernel's peak was
#: 391 MB with the default and 383 MB with 2, in the same time.
KERNEL_ARENAS = 2
#: Run in a kept kernel before each report: nothing of the last report is left
#: (its names, figures, matplotlib settings such as a Chinese report's font: back
#: to those of the user's matplotlibrc).  What is left (modules, their caches) is
#: then frozen out of Python's cyclic garbage collection, which otherwise walks
#: those 200,000 objects again at each full collection: 0.3 s of a 5 s report.
#: Unfrozen first, so that what the last report left as garbage is collected.
#: Then the memory freed is given back (:func:`servicekpi.readers.release_memory`):
#: a kernel waiting for its next report holds its imports and caches, not the
#: last report's freed blocks (20 MB of a 100-team report's kernel).
_RESET = ("get_ipython().run_line_magic('reset', '-f')\n"
          "import gc as _gc, matplotlib as _m, matplotlib.pyplot as _p\n"
          "from servicekpi.readers import release_memory as _r\n"
          "_p.close('all'); _m.rcParams.update(_m.rcParamsOrig)\n"
          "_gc.unfreeze(); _gc.collect(); _gc.freeze(); _r(); del _gc, _m, _p, _r")
#: Run in a prestarted kernel (:func:`prestart`): what a report imports, ahead of it.
_PRELOAD = "import servicekpi.report as _r\n_r.preload(); del _r\n"
_WARM = threading.local()   # per thread (a Dask worker runs tasks in threads)


#: papermill's engine that :func:`execute` runs reports with (:func:`_engine`).
ENGINE = "servicekpi"


def _engine() -> str:
    """Register (once per process) and name papermill's nbclient engine with one
    change: the executed notebook is written when its execution ends, however it
    ends (papermill's final save, in a ``finally``), not also at every cell's start
    and end.  Those saves serialise and validate the whole notebook, figures
    included, twice per cell: 38 times for a 19-cell report, 0.3 s of a worker's
    time per report (an eighth of the time a worker gives a report besides its
    kernel).  A report that fails still leaves its notebook up to the failing cell.
    """
    from papermill.engines import NBClientEngine, NotebookExecutionManager, papermill_engines

    if ENGINE in papermill_engines._engines:
        return ENGINE

    class SavedWhenDone(NotebookExecutionManager):
        done = False

        def save(self, **kwargs):
            if self.done:
                super().save(**kwargs)

        def notebook_complete(self, **kwargs):
            self.done = True
            super().notebook_complete(**kwargs)

    class Engine(NBClientEngine):
        @classmethod
        def execute_notebook(cls, nb, kernel_name, output_path=None, progress_bar=True,
                             log_output=False, autosave_cell_every=30, **kwargs):
            # papermill's Engine.execute_notebook, with the manager above
            nb_man = SavedWhenDone(nb, output_path=output_path, progress_bar=progress_bar,
                                   log_output=log_output,
                                   autosave_cell_every=autosave_cell_every)
            nb_man.notebook_start()
            try:
                cls.execute_managed_notebook(nb_man, kernel_name, log_output=log_output,
                                             **kwargs)
            finally:
                nb_man.cleanup_pbar()
                nb_man.notebook_complete()
            return nb_man.nb

    papermill_engines.register(ENGINE, Engine)
    return ENGINE


@contextmanager
def _kernel(kernel: str, cwd: str, *, keep: bool):
    """papermill's keyword arguments for the kernel of one report: this worker's
    kept kernel (``keep``, a local pool's worker: :func:`_warm_kernel`), retired
    when the report fails, which may leave it in any state; else a kernel of the
    report's own, killed after it (papermill shuts it down; one left is killed)."""
    if keep:
        km = None
        try:
            km = _warm_kernel(kernel, cwd)
            yield {"km": km}
        except BaseException:
            _retire_kernel()
            raise
        finally:                      # the report's client (nbclient leaves it open)
            if km is not None:
                try:
                    km.close_clients()
                except Exception:     # a client that will not close: a fresh kernel next
                    _retire_kernel()
        return
    with tempfile.TemporaryDirectory(prefix="servicekpi-") as sockets:
        _SOCKET_DIRS.add(sockets)
        try:
            yield {"kernel_manager_class": _ipc_kernel_manager(sockets)}
        finally:
            _kill_kernels()
            _SOCKET_DIRS.discard(sockets)


def _warm_kernel(kernel: str, cwd: str):
    """The kernel manager of this worker's kept kernel, ready for a report.

    Starting a kernel and importing the report's libraries take 2-3 s of a
    report's 5-9 s, so a worker keeps its kernel and runs its next report in
    it, after :data:`_RESET`.  The first report runs in the kernel
    :func:`prestart` started, when it did; else in a new kernel.  A new kernel
    is also started after :data:`KERNEL_REPORTS` reports, for another kernel
    or folder, and when the kept one has died or failed to reset; a report
    that fails retires its kernel (:func:`_retire_kernel`).
    """
    import asyncio

    kept = getattr(_WARM, "kept", None)
    if kept is not None:
        km, key, sockets, used = kept
        try:
            if key == (kernel, cwd) and used < KERNEL_REPORTS and _running(km):
                if used:                  # 0: prestarted, nothing run in it since its reset
                    asyncio.run(_execute_in(km, _RESET))
                _WARM.kept = (km, key, sockets, used + 1)
                return km
        except Exception:               # gone, or not answering: a fresh one
            pass
        _retire_kernel()
    sockets = tempfile.mkdtemp(prefix="servicekpi-")
    _SOCKET_DIRS.add(sockets)
    km = _ipc_kernel_manager(sockets)(kernel_name=kernel)
    _WARM.kept = (km, (kernel, cwd), sockets, 1)
    return km


def _running(km) -> bool:
    """Whether the kernel of ``km`` is running (``has_kernel`` stays true after it died)."""
    process = getattr(getattr(km, "provisioner", None), "process", None)
    return km.has_kernel and process is not None and process.poll() is None


async def _execute_in(km, code: str, timeout: float = 30) -> None:
    """Run ``code`` in the kernel of ``km`` (the reset, the preload), its output
    dropped (not printed on the run's terminal); an error if it fails."""
    kc = km.client()
    kc.start_channels()
    try:
        await kc.wait_for_ready(timeout=timeout)
        reply = await kc.execute_interactive(code, timeout=timeout, store_history=False,
                                             output_hook=lambda msg: None)
        if reply["content"]["status"] != "ok":
            raise RuntimeError("the kernel could not run " + code.splitlines()[0])
    finally:
        kc.stop_channels()


def _retire_kernel() -> None:
    """Kill this thread's kept kernel, if any, and remove its socket folder."""
    kept = getattr(_WARM, "kept", None)
    _WARM.kept = None
    if kept is None:
        return
    km, _, sockets, _ = kept
    process = getattr(getattr(km, "provisioner", None), "process", None)
    if process is not None:
        _kill_kernel(process)
    shutil.rmtree(sockets, ignore_errors=True)
    _SOCKET_DIRS.discard(sockets)


# ------------------------------------------------------------------ worker lifetime
# A pool worker must not outlive its run: left alone it would go on writing
# reports into a folder whose run is gone.  Each worker asks the kernel to
# signal it when its parent dies (Linux), and a thread checks the parent twice
# a second (everywhere).  Its kernels are in their own sessions (jupyter_client
# starts them so), out of reach of signals sent to the run's process group:
# the worker kills them before it ends.  (ipykernel also ends a kernel whose
# parent has gone, within a second: the last resort if a worker is killed
# outright.)
_KERNELS: list = []        # Popen of every kernel this process started and not yet killed
_SOCKET_DIRS: set = set()  # their socket folders
_PR_SET_PDEATHSIG = 1


def _kill_kernels() -> None:
    """Kill every kernel this process started that is still running, with its
    process group (a kernel leads its own)."""
    while _KERNELS:
        _kill_kernel(_KERNELS[-1])


def _kill_kernel(process) -> None:
    """Kill one kernel this process started (and forget it)."""
    if process in _KERNELS:
        _KERNELS.remove(process)
    if process.poll() is not None:      # ended (and reaped): its pid is not ours
        return
    try:
        if os.getpgid(process.pid) == process.pid:
            os.killpg(process.pid, signal.SIGKILL)
        else:
            process.kill()
        process.wait(5)
    except (OSError, subprocess.TimeoutExpired):   # gone meanwhile, or not reaped in time
        pass


def _worker_exit(*_) -> None:
    """End this worker now, with its kernels (its SIGTERM handler)."""
    _end_kernels()
    os._exit(1)


def _end_kernels() -> None:
    """Kill this process's kernels and remove their socket folders."""
    _kill_kernels()
    for folder in list(_SOCKET_DIRS):
        shutil.rmtree(folder, ignore_errors=True)
        _SOCKET_DIRS.discard(folder)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _watch_parent(parent: int, runner: int) -> None:
    while os.getppid() == parent and _alive(runner):
        time.sleep(0.5)
    _worker_exit()


def _worker_init(runner: int) -> None:
    """Initializer of a pool worker: tie its life to the run's (``runner``: the
    run's process id).

    Ctrl-C is the run's to handle (it stops the workers); SIGTERM ends a worker
    with its kernels; so does its parent's death: PR_SET_PDEATHSIG sends it
    SIGTERM at once (Linux), and a watchdog thread notices within half a second
    (any system, also a parent gone before this initializer ran).
    """
    parent = os.getppid()
    for fd in list(_HELD_LOCKS):   # a forked worker must not keep the run's lock alive
        _HELD_LOCKS.discard(fd)
        try:
            os.close(fd)
        except OSError:
            pass
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, _worker_exit)
    # a worker that ends with its pool takes its kept kernel with it
    multiprocessing.util.Finalize(None, _end_kernels, exitpriority=10)
    if sys.platform.startswith("linux"):
        try:
            import ctypes

            ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, int(signal.SIGTERM),
                                                    0, 0, 0)
        except (OSError, AttributeError):   # no prctl: the watchdog still ends it
            pass
    threading.Thread(target=_watch_parent, args=(parent, runner), daemon=True,
                     name="servicekpi-watch-parent").start()


class ErrorLine(str):
    """A one-line error message that keeps every problem behind it: ``problems``,
    each in full (empty when the error was not a list of problems)."""

    problems: tuple = ()


def _cut(text: str, limit: int) -> str:
    """``text`` in at most ``limit`` characters: cut at a space, marked with '…'."""
    if len(text) <= limit:
        return text
    head = text[:limit - 1]
    space = head.rfind(" ")
    return (head[:space] if space > limit // 2 else head).rstrip(" ,;:") + "…"


def _one_line(exc: BaseException) -> ErrorLine:
    """An error in one line of at most about 400 characters, cut between words."""
    name = getattr(exc, "ename", None) or type(exc).__name__
    problems = getattr(exc, "problems", None)
    if problems and len(problems) > 1:  # the first problem, and how many more
        more = f" (+{len(problems) - 1} more)"
        line = ErrorLine(_cut(f"{name}: {len(problems)} problems, first: {problems[0]}",
                              400 - len(more)) + more)
    else:
        value = getattr(exc, "evalue", None) or str(exc)
        first = value.strip().splitlines()[0] if value.strip() else ""
        line = ErrorLine(_cut(f"{name}: {first}", 300))
    line.problems = tuple(str(p) for p in problems or ())
    return line


def _now() -> str:
    return datetime.now().isoformat(timespec="seconds")


# ------------------------------------------------------------------ one report
def _report_environment() -> None:
    """What a worker's kernels inherit: reports run side by side, one per core, so
    one numeric thread per kernel, and each kernel forecasts its targets in its
    own process (never a pool of its own, whatever the shell says: the reports
    already use every worker).  And at most :data:`KERNEL_ARENAS` of glibc's
    malloc arenas, unless the environment sets the arenas itself
    (``MALLOC_ARENA_MAX``, or the ``glibc.malloc.arena_max`` tunable)."""
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ.setdefault(var, "1")
    os.environ["SERVICEKPI_WORKERS"] = "1"
    if "glibc.malloc.arena_max" not in os.environ.get("GLIBC_TUNABLES", ""):
        os.environ.setdefault("MALLOC_ARENA_MAX", str(KERNEL_ARENAS))


def prestart(kernel: str, cwd: str, languages=("en",)) -> bool:
    """Start this worker's kept kernel and import a report's libraries in it, then
    reset it as between reports (:data:`_PRELOAD`, :data:`_RESET`): a pool task the
    run submits, one per worker, while its preflight reads the inputs on one core.
    The first report then finds its kernel ready (kernel start and imports: 3 s).
    While the kernel starts, the worker readies its own part (:func:`_ready_worker`,
    for pages in ``languages``).  True when ready; a failure leaves no kernel, and
    the first report starts its own as without it."""
    _report_environment()
    kept = getattr(_WARM, "kept", None)
    if kept is not None and kept[1] == (kernel, cwd) and kept[3] == 0 and _running(kept[0]):
        return True                       # this worker took two of these tasks
    km = _warm_kernel(kernel, cwd)

    async def start():
        # an async manager (what papermill uses), started as nbclient starts one:
        # kernels side by side must not share IPython's history database
        await km.start_kernel(cwd=cwd, extra_arguments=["--HistoryManager.hist_file=:memory:"])
        try:                              # the kernel starts meanwhile, in its process
            _ready_worker(languages)
        except Exception:                 # not the kernel's failure: the first report
            pass                          # meets it again, and says what it is
        await _execute_in(km, _PRELOAD + _RESET, timeout=120)
    try:
        asyncio.run(start())
    except Exception:
        _retire_kernel()
        return False
    except BaseException:
        _retire_kernel()
        raise
    _WARM.kept = (*_WARM.kept[:3], 0)     # started and clean: no reset before its first
    return True


def _ready_worker(languages) -> None:
    """What a worker does for its first report besides running it, done ahead:
    import papermill with the runner's engine (:func:`_engine`; nbformat's
    validation imports jsonschema, which, with the format checkers JupyterLab
    installs, builds a grammar on import: 1 s) and compile the page templates in
    each language (:func:`~servicekpi.htmlout._exporter`).  2.5 s of a worker's
    first report, in all."""
    import nbformat

    from .htmlout import _exporter

    _engine()                             # imports papermill, its execute module too
    for language in dict.fromkeys(languages):
        _exporter(language).from_notebook_node(nbformat.v4.new_notebook())


def execute(job: dict) -> TeamResult:
    """Execute one notebook with papermill and render it (runs in a worker).

    ``job``: team, name, notebook, parameters, out (folder), stem (file name
    without suffix, relative to out), kernel, fingerprint, language (of the
    page: its ``<html lang>`` and contents).  A report that
    succeeds is ``<stem>.html`` and ``<stem>.ipynb``, both written under
    temporary names and renamed; one that fails is ``<stem>.failed.ipynb``
    (executed up to the failing cell) and ``<stem>.failed.html``.
    """
    import papermill as pm

    _report_environment()
    if "bundle" in job:           # inputs shipped with the job: run where it landed
        return _execute_shipped(job)
    start = time.time()
    out = Path(job["out"]).resolve()
    nb_path = out / f"{job['stem']}.ipynb"
    html_path = out / f"{job['stem']}.html"
    nb_path.parent.mkdir(parents=True, exist_ok=True)
    tmp_nb = nb_path.with_name(f".{nb_path.name}.tmp{os.getpid()}.ipynb")
    params = dict(job["parameters"])
    if job.get("prepared"):
        params["prepared"] = job["prepared"]
    if job.get("workers"):       # the overview's processes (the team reports are done)
        params["workers"] = job["workers"]
    summary_file = None
    if "summary_file" in job:
        summary_file = out / job["summary_file"]
        params["summary_file"] = str(summary_file)
        summary_file.unlink(missing_ok=True)
    res = TeamResult(job["team"], job["name"], "failed", started=_now(),
                     fingerprint=job.get("fingerprint", {}), parameters=job["parameters"])
    try:
        cwd = str(Path(job["notebook"]).parent)
        with _kernel(job["kernel"], cwd, keep=bool(job.get("keep_kernel"))) as kernel:
            pm.execute_notebook(job["notebook"], str(tmp_nb), parameters=params,
                                engine_name=_engine(), kernel_name=job["kernel"],
                                progress_bar=False,
                                log_output=False, cwd=cwd, **kernel)
        # the page, then its notebook: each whole
        render_html(tmp_nb, html_path, language=job.get("language", "en"))
        os.replace(tmp_nb, nb_path)
        res.outcome, res.html = "ok", html_path.relative_to(out).as_posix()
        res.notebook = nb_path.relative_to(out).as_posix()
        if summary_file is not None and summary_file.is_file():
            res.summary = _json_safe(json.loads(summary_file.read_text()))
    # A notebook runs any code in a kernel of its own, and papermill, the kernel
    # and nbconvert can each fail in any way: whatever it is, this report fails
    # (its reason recorded in res.error) and the run goes on with the others.
    except Exception as exc:
        res.error = _one_line(exc)
        if not isinstance(exc, (pm.PapermillExecutionError, ServiceKPIError)):
            res.error += " | " + traceback.format_exc(limit=1).strip().splitlines()[-1]
        if tmp_nb.exists():  # papermill wrote the notebook up to the failing cell
            failed_nb = nb_path.with_name(f"{nb_path.stem}.failed.ipynb")
            os.replace(tmp_nb, failed_nb)
            failed = html_path.with_name(html_path.stem + ".failed.html")
            try:
                render_html(failed_nb, failed, toc=False, language=job.get("language", "en"))
                res.notebook = failed.relative_to(out).as_posix()
            # a notebook that failed may hold outputs nbconvert cannot render, in any
            # way: the index then links the notebook itself, and the error says why
            except Exception as render_exc:
                res.notebook = failed_nb.relative_to(out).as_posix()
                res.error += f" (its page could not be rendered: {_one_line(render_exc)})"
    res.seconds = time.time() - start
    res.finished = _now()
    return res


# ------------------------------------------------------------------ shipped jobs
#: Parameters naming an input file a shipped job carries (``tickets``: its team's
#: prepared tickets; ``mapping`` when it names a file).
SHIPPED_INPUTS = ("kpi_table", "benchmarks", "targets", "catalogue", "competencies",
                  "competency_targets")


def ship(job: dict, prepared: str) -> dict:
    """``job`` carrying what its report reads, for a worker that does not share
    this machine's disk (a Dask cluster's): the notebook, the team's own prepared
    tickets and the KPIs (:func:`servicekpi.report.inputs.prepare`), and every
    input file its parameters name, as bytes.  The worker runs it in a folder of
    its own and sends the pages back (:func:`_execute_shipped`)."""
    import io
    import pyarrow.parquet as pq

    from .params import ReportParams
    from .report.inputs import _team_rows, portable, prepared_entry

    folder = Path(prepared).parent
    params = dict(job["parameters"])
    p = ReportParams(**params)
    entry = prepared_entry(prepared, p)
    files: dict[str, bytes] = {"report.ipynb": Path(job["notebook"]).read_bytes()}
    for key in SHIPPED_INPUTS + ("mapping",):   # each under its own name, as pages name it
        value = params.get(key)
        if value and Path(value).is_file():
            name = f"{key}/{Path(value).name}"
            files[name] = Path(value).read_bytes()
            params[key] = name
    team = _team_rows(pq.ParquetFile(folder / entry["tickets"]), [p.team])
    sink = io.BytesIO()
    pq.write_table(team, sink)
    # the team's prepared tickets, under the export's name (the page names the
    # export); never read as the export: the worker's index is keyed to this file
    name = f"tickets/{Path(p.tickets).name}"
    files[name] = sink.getvalue()
    params["tickets"] = name
    suffix, data = portable(folder / entry["kpis"][p.freq])   # read by any pandas
    kpis = "kpis" + suffix
    files[kpis] = data
    shipped = {"tickets": name, "teams": entry["teams"], "kpis": {p.freq: kpis}}
    return {**job, "prepared": None,
            "bundle": {"files": files, "entry": shipped, "parameters": params}}


def _execute_shipped(job: dict) -> TeamResult:
    """Run a shipped job (:func:`ship`) in a folder of its own; the result carries
    the report's files (its attribute ``pages``: path relative to the output
    folder -> bytes) for the submitter to write (:func:`_write_pages`)."""
    import json as json_

    from .params import ReportParams, export_id
    from .report.inputs import PREPARED

    bundle = job["bundle"]
    with tempfile.TemporaryDirectory(prefix="servicekpi-job-") as here:
        here = Path(here)
        for name, data in bundle["files"].items():
            (here / name).parent.mkdir(parents=True, exist_ok=True)
            (here / name).write_bytes(data)
        params = {k: (str(here / v) if k in SHIPPED_INPUTS + ("mapping", "tickets") and
                      isinstance(v, str) and (here / v).is_file() else v)
                  for k, v in bundle["parameters"].items()}
        index = here / PREPARED
        index.write_text(json_.dumps({export_id(ReportParams(**params)): bundle["entry"]}))
        local = {k: v for k, v in job.items() if k != "bundle"}
        local.update(notebook=str(here / "report.ipynb"), out=str(here / "out"),
                     parameters=params, prepared=str(index))
        res = execute(local)
        res.parameters = job["parameters"]
        res.pages = {f.relative_to(here / "out").as_posix(): f.read_bytes()
                     for f in (here / "out").rglob("*") if f.is_file()
                     and not f.name.endswith(".summary.json")}
    return res


def _write_pages(res: TeamResult, out: Path) -> TeamResult:
    """Write the files a shipped job's result carries (``pages``, an attribute of
    its own: not a field of the manifest) into the output folder."""
    for name, data in (getattr(res, "pages", None) or {}).items():
        atomic_write(out / name, data)
    res.__dict__.pop("pages", None)
    return res


# ------------------------------------------------------------------ the run
def preflight(all_params: list[ReportParams], out: Path, display: dict | None = None
              ) -> tuple[dict[str, str], str, list[Problem]]:
    """Check every input once, as the reports will read it; write every team's KPIs
    to kpis.csv (:func:`team_kpis`), and the prepared inputs the reports read instead of the exports
    (:func:`servicekpi.report.inputs.prepare`, in ``_work/prepared``).

    Each ticket export is loaded once (every team must have tickets in it);
    catalogues, targets, benchmarks, KPI tables and competency files are read
    once per file (:func:`servicekpi.report.inputs.load_inputs`, what the
    reports use), and kept as read and checked beside the prepared inputs,
    where the reports take them (:class:`~servicekpi.report.inputs.SharedTables`).
    A wrong row of a shared targets file or KPI table fails only the team it
    names.  Returns team -> one-line error (keeping every problem) for the
    teams that cannot run, the prepared inputs' index, and a problem per
    targets file or KPI table whose rows name a team no report is for (rows no
    report shows: said on the index, as ``validate`` says them).  ``display``:
    every team's display name (:func:`servicekpi.report.inputs.prepare`).
    """
    import pandas as pd

    from .errors import DataError
    from .params import clear_export_cache
    from .report.inputs import TABLES, load_inputs, prepare

    try:
        inputs = load_inputs(all_params, tables=out / PREPARED_DIR / TABLES)
    finally:
        clear_export_cache()
    errors = {team: _one_line(DataError(found)) for team, found in inputs.problems.items()}
    prepared = prepare(inputs, out / PREPARED_DIR, display)
    frames = [team_kpis(inputs, p) for p in all_params]
    frames = [f for f in frames if len(f)]
    if frames:
        from .literal import csv_safe   # no text cell is read as a spreadsheet formula
        atomic_write(out / "kpis.csv",
                     csv_safe(pd.concat(frames, ignore_index=True)).to_csv(index=False))
    return errors, str(prepared), list(inputs.unused), _dropped(inputs)


def _dropped(inputs) -> list[dict]:
    """Per export read with ``bad_rows: drop`` that lost rows: its file, the rows
    dropped and the rows read (said on the index: the reports are 'ok', but
    rest on fewer tickets than the file holds)."""
    out, seen = [], set()
    for team, tickets in inputs.tickets.items():
        if id(tickets) in seen:
            continue
        seen.add(id(tickets))
        gone = sum((tickets.attrs.get("dropped_by_team") or {}).values())
        if gone:
            out.append({"file": str(tickets.attrs.get("source") or team), "dropped": int(gone),
                        "rows": int(tickets.attrs.get("rows_read") or 0)})
    return out


def team_kpis(inputs, p: ReportParams):
    """``p.team``'s rows of the run's ``kpis.csv``: the KPIs its report reads (those
    computed from its export, and its KPI table's rows unless that table was
    refused; none when its export was), periods as labels, and ``complete``:
    whether its export covers the whole period (False for a partial last period
    and for a KPI table's periods after the export's end, as ``servicekpi
    kpis`` marks them; missing when the export's end is not known)."""
    import pandas as pd

    from .periods import _covers, labels

    k = inputs.kpis.get(p.team)
    if k is None:
        return pd.DataFrame()
    own = k[k["team"] == p.team]
    end = inputs.ends.get(p.team)
    complete = (pd.Series(pd.NA, index=own.index, dtype="boolean") if end is None else
                own["period"].map({q: _covers(end, q) for q in own["period"].unique()})
                .astype("boolean"))
    return own.assign(period=labels(own["period"]), complete=complete)


def load_manifest(out: Path) -> dict:
    path = Path(out) / "manifest.json"
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):
        return {}


#: Seconds to wait for the Dask scheduler of ``--scheduler`` to answer.
SCHEDULER_TIMEOUT = 5


def connect_scheduler(address: str, timeout: float | None = None):
    """A Dask ``Client`` of the scheduler at ``address``.  An address nobody answers at
    within ``timeout`` seconds (default :data:`SCHEDULER_TIMEOUT`, not Dask's 30), one
    that is not an address, or a server that is not a Dask scheduler: a
    :class:`ServiceKPIError` naming the address."""
    try:
        from distributed import Client
    except ImportError:
        raise ServiceKPIError("--scheduler needs the 'distributed' package "
                              "(pip install 'servicekpi[dask]')") from None
    timeout = SCHEDULER_TIMEOUT if timeout is None else timeout
    try:      # a bare connection first: a Client that fails to start lingers and, when
        asyncio.run(_reach(address, timeout))   # collected, prints a traceback
        return Client(address, timeout=timeout, set_as_default=False)
    # OSError: no answer; ValueError: not an address; anything else: what answered
    # speaks some other protocol, and Dask may fail on it in any way (the reason is
    # kept in the message)
    except Exception as exc:
        if isinstance(exc, OSError):
            why = f"no answer within {timeout:g} s (is the scheduler running there?)"
        elif isinstance(exc, ValueError):
            why = _one_line(exc).removeprefix("ValueError: ")
        else:
            why = f"what answered is not a Dask scheduler ({_one_line(exc)[:120]})"
        raise ServiceKPIError(f"cannot connect to the Dask scheduler at {address}: {why}") \
            from None


async def _reach(address: str, timeout: float) -> None:
    from distributed.comm import connect

    comm = await connect(address, timeout=timeout)
    await comm.close()


def _executor(workers: int, scheduler):
    """A pool for the reports: the Dask cluster of ``scheduler`` (an address, or a
    client from :func:`connect_scheduler`), else local processes."""
    if scheduler:
        client = connect_scheduler(scheduler) if isinstance(scheduler, str) else scheduler
        return client.get_executor(), client
    return _local_pool(workers), None


def _local_pool(workers: int) -> ProcessPoolExecutor:
    """Local worker processes that end with this run (:func:`_worker_init`)."""
    return ProcessPoolExecutor(max_workers=workers, initializer=_worker_init,
                               initargs=(os.getpid(),))


def _stop_workers(*pools) -> None:
    """Stop pools at once: queued reports are cancelled, running ones end with
    their workers (SIGTERM: each kills its kernels, :func:`_worker_exit`); every
    pool's workers are signalled before any is waited for."""
    processes = []
    for pool in pools:
        if not isinstance(pool, ProcessPoolExecutor):  # a Dask executor: cancels its futures
            pool.shutdown(wait=False)
            continue
        processes += list((pool._processes or {}).values())   # public only from Python 3.14
        pool.shutdown(wait=False, cancel_futures=True)
    for p in processes:
        if p.is_alive():
            p.terminate()
    for p in processes:
        p.join(5)
        if p.is_alive():
            p.kill()
            p.join(1)


class _Stop:
    """Whether a signal asked the run to stop (:func:`_signals_stop_the_run`).

    The handler raises KeyboardInterrupt where the main thread is, and that
    can be a place that swallows it: a ``__del__`` or weakref callback being
    run (Python prints "Exception ignored" and goes on), or a library's bare
    ``except:``.  The run would then finish as if nothing had happened.  So the
    signal is also kept here, and the run's waits look every half second
    (:meth:`check`, :func:`_waited`)."""

    def __init__(self):
        self.signum: int | None = None

    def check(self) -> None:
        """KeyboardInterrupt (naming the signal) if a signal asked to stop."""
        if self.signum is not None:
            raise KeyboardInterrupt(signal.Signals(self.signum).name)


#: How often (seconds) a run waiting for its reports looks at :class:`_Stop`.
STOP_POLL = 0.5


@contextmanager
def _signals_stop_the_run():
    """SIGTERM and SIGINT (Ctrl-C) stop a run: its workers and kernels stopped, the
    index saying so (:func:`run_reports`), not the run ended on the spot.  Yields
    the :class:`_Stop` they set.  Only in the main thread, where Python runs
    signal handlers; and SIGINT only when it has Python's own handler (one
    ignored, as under ``nohup``, stays ignored).

    The first signal raises KeyboardInterrupt; another while the run stops is
    not raised again in the middle of stopping (that is bounded: workers are
    killed after 5 s).  A KeyboardInterrupt of ours swallowed in a ``__del__``
    is not printed as "Exception ignored" with a traceback: the run stops
    all the same (``sys.unraisablehook``)."""
    stop = _Stop()
    if threading.current_thread() is not threading.main_thread():
        yield stop
        return

    def stopping(signum, frame):
        if stop.signum is not None:         # stopping already
            return
        stop.signum = signum
        raise KeyboardInterrupt(signal.Signals(signum).name)

    hook = sys.unraisablehook

    def unraisable(info):
        if not (stop.signum is not None and isinstance(info.exc_value, KeyboardInterrupt)):
            hook(info)

    previous = {signal.SIGTERM: signal.signal(signal.SIGTERM, stopping)}
    if signal.getsignal(signal.SIGINT) is signal.default_int_handler:
        previous[signal.SIGINT] = signal.signal(signal.SIGINT, stopping)
    sys.unraisablehook = unraisable
    try:
        yield stop
    finally:
        sys.unraisablehook = hook
        for signum, handler in previous.items():
            signal.signal(signum, handler)


def _waited(futures, stop: _Stop):
    """``futures`` as each is done (as :func:`concurrent.futures.as_completed`),
    while looking at ``stop`` every :data:`STOP_POLL` seconds."""
    pending = set(futures)
    while pending:
        done, pending = wait(pending, timeout=STOP_POLL, return_when=FIRST_COMPLETED)
        stop.check()
        yield from done


@contextmanager
def _removed_afterwards(path: Path):
    """``path`` (a folder) removed when the block ends, however it ends (and the
    folder it is in, when that is left empty: :func:`_remove_folder`)."""
    try:
        yield path
    finally:
        _remove_folder(path)


def _remove_folder(path: Path) -> None:
    """``path`` removed with what it holds, then its parent if it is left empty
    (``_work``, which holds only the prepared inputs): an output folder is what
    a reader is given."""
    shutil.rmtree(path, ignore_errors=True)
    try:
        path.parent.rmdir()
    except OSError:          # holds something else, or is already gone
        pass


# ------------------------------------------------------------------ one run per folder
LOCK_FILE = ".servicekpi.lock"


class RunLocked(ServiceKPIError):
    """Another run is writing to the same output folder."""


def _holder(fd: int) -> str | None:
    """Who a lock file names: "PID n, started t" (None: it names nobody)."""
    text = os.pread(fd, 4096, 0).decode("utf-8", "replace").strip()
    if not text:
        return None
    try:
        data = json.loads(text)
        return f"PID {int(data['pid'])}, started {str(data['started']).replace('T', ' ')}"
    except (ValueError, KeyError, TypeError):
        return f"unreadable lock file {text[:60]!r}"


#: File descriptors of the run locks this process holds.  A forked pool worker
#: inherits them, and an ``flock`` lasts while any process keeps its descriptor:
#: workers close theirs (:func:`_worker_init`), so a killed run's lock is free as
#: soon as the run itself is gone, even while its workers are still stopping.
_HELD_LOCKS: set[int] = set()


@contextmanager
def run_lock(out):
    """Hold ``<out>/.servicekpi.lock`` for the length of a run: one run at a time
    per output folder.

    The lock is an ``flock`` on that file, which the system releases however its
    holder ends; the file names the holder (PID and start time).  While another
    run holds it, :class:`RunLocked` names that run (``servicekpi run`` prints
    it and exits with status 2).  A lock file left by a run that was killed is
    taken over, with a one-line notice on stderr.  Yields this run's record:
    ``id`` (its start time), ``pid``, ``started``.
    """
    import fcntl

    path = Path(out) / LOCK_FILE
    while True:
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = _holder(fd) or "one that is starting"
            os.close(fd)
            raise RunLocked(f"{Path(out)} is in use by another servicekpi run ({holder}): "
                            "wait for it to end, or stop it") from None
        try:    # the file is still the one at that path (its last holder removes it)
            if os.fstat(fd).st_ino == os.stat(path).st_ino:
                break
        except FileNotFoundError:
            pass
        os.close(fd)
    try:
        left = _holder(fd)
        if left is not None:
            print(f"servicekpi: taking over the lock of a run that did not end cleanly "
                  f"({left}; no longer running): {path}", file=sys.stderr)
        started = _now()
        run = {"id": started, "pid": os.getpid(), "started": started}
        os.ftruncate(fd, 0)
        os.pwrite(fd, json.dumps({"pid": run["pid"], "started": started}).encode(), 0)
        _HELD_LOCKS.add(fd)
        yield run
    finally:
        _HELD_LOCKS.discard(fd)
        path.unlink(missing_ok=True)     # while still holding it: see the loop above
        os.close(fd)


def run_reports(params_dir=config.PARAMS_DIR, out_dir=config.REPORTS_DIR, *,
                teams: list[str] | None = None, workers: int | None = None,
                notebook=config.TEAM_NOTEBOOK, overview=config.OVERVIEW_NOTEBOOK,
                progress: bool = True, force: bool = False, only_failed: bool = False,
                scheduler: str | None = None, as_of: str | None = None) -> RunSummary:
    """Produce every team's report, the overview and the index; see the module docstring.

    ``as_of`` overrides the parameters' ``as_of:`` for every report.  ``teams``
    runs those teams' reports only; the index and manifest keep every other
    team's.  Raises :class:`RunLocked` while another run writes to ``out_dir``.
    """
    start = time.time()
    params_dir = Path(params_dir).resolve()
    overrides = {"as_of": as_of} if as_of is not None else None
    # a problem of every team's stops the run before anything runs; a team's own
    # (its file's YAML, a key, a file it names) fails that team alone
    found = team_params(params_dir, teams, overrides=overrides)
    all_params = found.ok
    if found.shared or not all_params:
        raise ConfigError(found.every_problem() or "no team gets a report",
                          source=str(params_dir))
    out = Path(out_dir).resolve()   # notebooks run in their own folder: absolute paths
    (out / "teams").mkdir(parents=True, exist_ok=True)
    # the prepared inputs are a copy of the exports: gone however the run ends
    with run_lock(out) as run, _signals_stop_the_run() as stop, \
            _removed_afterwards(out / PREPARED_DIR):
        _remove_temporary_files(out)        # left by a run that was killed
        summary = RunSummary(out)
        record = RunRecord(out, run, load_manifest(out), all_params, partial=teams is not None,
                           failed=found.failed)
        for t, problems in found.failed.items():   # its own parameters are wrong
            record.settle(TeamResult(t, found.names[t], "failed",
                                     error=_one_line(ConfigError(problems)),
                                     problems=problems, started=_now(), finished=_now()))
        if as_of is not None:
            record.run["as_of"] = as_of
        display = {p.team: p.display_name for p in all_params if p.display_name}
        if teams is not None:     # the pages this run keeps: still what their inputs give?
            now = team_params(params_dir, overrides=overrides)
            _mark_outdated(record, now.ok, Path(notebook), set(now.failed))
            # what the reports call their peers: every team's name, not this run's only
            display = {p.team: p.display_name for p in now.ok if p.display_name}
        kernel = kernel_name()
        # what each team's report needs, known before the inputs are read: whether it
        # is unchanged since its last good page (skipped), its parameters, fingerprint
        planned = {}
        for p in all_params:
            params = p.notebook_parameters()
            fp = fingerprint(Path(notebook), params, _inputs(p))
            before = record.before(p.team)
            was_ok = (before.get("outcome") in ("ok", "skipped")
                      and bool(before.get("html")) and (out / before["html"]).is_file())
            skip = not force and was_ok and (only_failed or before.get("fingerprint") == fp)
            planned[p.team] = params, fp, skip
        to_run = sum(not skip for _, _, skip in planned.values())
        overview_workers = max(1, workers or os.cpu_count() or 1)   # it runs alone
        pool, client = _executor(min(overview_workers, to_run or 1), scheduler)
        lone_pools: list[ProcessPoolExecutor] = []     # those of :func:`_one_by_one`
        try:
            if client is None:   # each worker starts its kernel while the inputs are read
                for _ in range(min(overview_workers, to_run)):
                    pool.submit(prestart, kernel, str(Path(notebook).parent),
                                sorted({p.language for p in all_params}))
            data_errors, prepared, unused, dropped = preflight(all_params, out, display)
            record.run["dropped"] = dropped
            if unused and not record.run.get("partial"):   # rows no report of these shows
                record.run["unused"] = [str(q) for q in unused]
                for q in unused:
                    print(f"servicekpi: note: {q}", file=sys.stderr)
            stop.check()
            jobs = []
            for p in all_params:
                params, fp, skip = planned[p.team]
                if p.team in data_errors:
                    error = data_errors[p.team]
                    record.settle(TeamResult(p.team, p.name, "failed", error=error,
                                             problems=list(getattr(error, "problems", ()))
                                             or [error], fingerprint=fp, parameters=params,
                                             started=_now(), finished=_now()))
                    continue
                if skip:        # unchanged; or, re-running only failures, maybe not
                    before = record.before(p.team)
                    record.settle(TeamResult(**{**_known(before), "outcome": "skipped",
                                                "outdated": _outdated(before.get("fingerprint"),
                                                                      fp)}))
                    continue
                jobs.append({"team": p.team, "name": p.name, "notebook": str(notebook),
                             "parameters": params, "out": str(out), "stem": f"teams/{p.team}",
                             "kernel": kernel, "fingerprint": fp, "language": p.language,
                             "summary_file": f"teams/{p.team}.summary.json",
                             "prepared": prepared, "keep_kernel": scheduler is None})
            if scheduler:        # a cluster's workers may not share this disk: inputs go along
                jobs = [ship(job, prepared) for job in jobs]
            record.write()       # failures found before running, before anything runs
            bar = None
            if progress and jobs:
                from tqdm.auto import tqdm
                bar = tqdm(total=len(jobs), desc="team reports", unit="report")

            def done(fut, job, alone=False):
                res = record.settle(_result(fut, job, alone=alone))
                record.write()
                if bar:
                    bar.update()
                    bar.set_postfix_str(f"{res.team}: {res.outcome}")

            lost: list[dict] = []     # the reports of workers lost with a local pool
            try:
                futures = {pool.submit(execute, job): job for job in jobs}
            except BrokenProcessPool:  # a worker ended while it started its kernel
                futures, lost = {}, list(jobs)
            for fut, job in _settled(_waited(futures, stop), futures, lost, client):
                done(fut, job)
            if lost:
                notice = (f"servicekpi: a worker process ended abruptly {ENDED}; the "
                          f"{len(lost)} report(s) its pool had not finished run again, "
                          "one at a time, each in a process of its own")
                if bar:                 # on a line of its own, not inside the bar's
                    bar.write(notice, file=sys.stderr)
                else:
                    print(notice, file=sys.stderr)
                for fut, job in _one_by_one(lost, stop, lone_pools):
                    done(fut, job, alone=True)
            if client is None and (lost or getattr(pool, "_broken", False)):
                # a pool that lost a worker takes no more work: the overview gets a
                # new one (a worker may also end after the last report, or while it
                # starts its kernel with no report to run)
                pool = _renewed(pool, out)
            if bar:
                bar.close()
            summary.results = [record.entries[t] for t in record.run["teams"]]
            if overview is not None and Path(overview).is_file():
                # the overview reads every team's inputs: it runs on this machine
                here = pool if scheduler is None else _local_pool(1)
                try:
                    summary.overview = record.settle(
                        _run_overview(here, record, all_params, params_dir, overview,
                                      kernel, force, as_of, prepared, keep_kernel=True,
                                      workers=overview_workers, stop=stop))
                except BaseException:
                    if here is not pool:    # the cluster's: stopped below; this one here
                        _stop_workers(here)
                    raise
                finally:
                    if here is not pool:
                        here.shutdown(wait=True)
        # Whatever ends the run early (an error of any kind, Ctrl-C, SystemExit): stop
        # the workers, record the state and the reason in manifest.json (the index
        # says the run stopped) and raise it on (the command line prints it).
        except BaseException as exc:
            _stop_workers(pool, *lone_pools)
            if client is None:              # its workers are gone: so are their writes
                _remove_temporary_files(out)
            record.run["error"] = str(_one_line(exc))
            record.write("interrupted" if isinstance(exc, KeyboardInterrupt) else "failed")
            raise
        finally:
            pool.shutdown(wait=True)
            if client is not None:
                client.close()
        try:      # a signal whose KeyboardInterrupt was swallowed after the last wait
            stop.check()
        except KeyboardInterrupt as exc:
            record.run["error"] = str(_one_line(exc))
            record.write("interrupted")
            raise
        summary.seconds = time.time() - start
        record.write("finished")
    return summary


def _remove_temporary_files(out: Path) -> None:
    _remove_partial_files(out)
    _remove_folder(out / PREPARED_DIR)


def _remove_partial_files(out: Path, pids=None) -> None:
    """The files that processes ended while writing them left under their temporary
    names (:func:`execute`, :func:`~servicekpi.config.atomic_write`, each naming
    its process): every one, or those of the processes ``pids``."""
    for stale in list(out.glob(".*.tmp*")) + list((out / "teams").glob(".*.tmp*")):
        if pids is None or any(re.search(rf"\.tmp{pid}(?!\d)", stale.name) for pid in pids):
            stale.unlink(missing_ok=True)


def _result(fut, job: dict, *, alone: bool = False) -> TeamResult:
    """The result of ``job`` from its future; ``alone``: it ran in a process of its
    own (:func:`_one_by_one`), so a process that ended abruptly was this report's."""
    try:
        return _write_pages(fut.result(), Path(job["out"]))
    # The pool reports a worker that died (BrokenProcessPool), a cancelled job, or a
    # Dask worker's failure of any kind: the report fails with that reason recorded.
    except Exception as exc:
        error = _one_line(exc)
        if alone and isinstance(exc, BrokenProcessPool):
            error = ErrorLine("WorkerDied: the process running this report ended abruptly "
                              f"{ENDED}, again when the report ran alone")
        return TeamResult(job["team"], job["name"], "failed", error=error,
                          fingerprint=job["fingerprint"], parameters=job["parameters"],
                          finished=_now())


def _settled(done, futures: dict, lost: list, client):
    """``(future, job)`` for each of ``done`` (futures of ``futures``), except a
    local pool's reports that ended because the pool lost a worker: those are
    added to ``lost``, to run again (:func:`_one_by_one`).  When a worker ends, the
    pool ends its other workers too and fails every report it had not finished,
    so which one ended it is not known."""
    for fut in done:
        if (client is None and not fut.cancelled()
                and isinstance(fut.exception(), BrokenProcessPool)):
            lost.append(futures[fut])
        else:
            yield fut, futures[fut]


#: How a worker process ends abruptly, as the run's messages say it.
ENDED = "(a crash, or the system's out-of-memory killer)"


def _renewed(pool, out: Path) -> ProcessPoolExecutor:
    """A new local pool (one worker, for the overview) for a pool that lost a
    worker, once the lost workers' partly written files are removed."""
    pool.shutdown(wait=True)
    _remove_partial_files(out)
    return _local_pool(1)


def _one_by_one(jobs: list[dict], stop: "_Stop", pools: list):
    """``(future, job)`` for each of ``jobs``, run one at a time, each in a process
    of its own (a pool of one worker, in ``pools`` while it runs): a report that
    ends its process then fails alone (:func:`_result` with ``alone``), and one
    at a time, none is ended by the memory another takes.  The process starts
    its kernel for the report and kills it when it ends."""
    for job in jobs:
        one = _local_pool(1)
        pools.append(one)
        try:
            fut = one.submit(execute, job)
        except OSError as exc:           # no process (out of memory): this report fails
            fut = Future()
            fut.set_exception(exc)
        pids = list(one._processes or ())               # its process's, for its files
        for _ in _waited([fut], stop):
            pass
        one.shutdown(wait=True)
        pools.remove(one)
        if isinstance(fut.exception(), BrokenProcessPool):
            _remove_partial_files(Path(job["out"]), pids)
        yield fut, job


def _outdated(before: dict, now: dict) -> list[str]:
    """What differs between a page's fingerprint and its inputs' now, of what the
    overview's figures of the team also rest on: ``parameters`` (an as-of time, a
    key), the name of each input file changed, added or gone, ``code`` (the
    package; not the team notebook, which the overview does not run)."""
    if not before:
        return []
    what = ["parameters"] if before.get("parameters") != now["parameters"] else []
    was, files = before.get("inputs") or {}, now["inputs"]
    what += sorted({Path(f).name for f in set(was) | set(files) if was.get(f) != files.get(f)})
    if any(before.get(k) != now[k] for k in ("package", "code")):
        what.append("code")
    return what


def _mark_outdated(record: "RunRecord", everyone: list[ReportParams], notebook: Path,
                   wrong: set[str] = frozenset()) -> None:
    """In a run of some teams, mark each page it keeps whose inputs, parameters or
    code changed since it was made (:attr:`TeamResult.outdated`): the overview
    assesses every team as it is now, and the index and overview say which pages
    are older.  A team no longer in the parameters is marked ``removed`` (the
    overview leaves it out); one whose parameters are now wrong (``wrong``),
    ``parameters``."""
    kept = [t for t in record.order if t in record.entries and t not in record.settled
            and t not in record.run["teams"] and record.entries[t].ok]
    if not kept:
        return
    now = {p.team: p for p in everyone}     # each team's parameters as they are now
    for t in kept:
        p = now.get(t)
        record.entries[t].outdated = (
            ["parameters"] if t in wrong else ["removed"] if p is None else
            _outdated(record.entries[t].fingerprint,
                      fingerprint(notebook, p.notebook_parameters(), _inputs(p))))


def _known(entry: dict) -> dict:
    keys = TeamResult.__dataclass_fields__
    return {k: v for k, v in entry.items() if k in keys}


def _run_overview(pool, record, all_params, params_dir, overview, kernel, force,
                  as_of=None, prepared=None, keep_kernel=False, workers=1, *,
                  stop: _Stop) -> TeamResult:
    """The overview of every team on the index (in a run of some teams, also the
    others), linking to their current pages.  It runs after the team reports,
    alone: it assesses the teams in ``workers`` processes (not part of its
    fingerprint: the page is the same with any number)."""
    teams = [t for t in record.order if t in record.entries
             and record.entries[t].outdated != ["removed"]]    # a team no longer in params
    links = {t: record.entries[t].html for t in teams
             if record.entries[t].ok and record.entries[t].html}
    if (not record.run.get("partial") and teams
            and all(record.entries[t].problems for t in teams)
            and not _overview_has_a_team(params_dir, as_of, prepared)):
        # every team's inputs were refused, for the overview too: nothing to roll up,
        # said on the index (not by a notebook's traceback)
        return TeamResult(OVERVIEW, "Leadership overview", "failed", finished=_now(),
                          error=ErrorLine("not made: no team's inputs could be read "
                                          "(each team's problems are listed below)"))
    params = {"params_dir": str(params_dir.resolve()), "teams": teams,
              "links": links, "title": record.title}
    if as_of is not None:   # the command line's --as-of, for the overview's own loading
        params["as_of"] = as_of
    outdated = {t: record.entries[t].outdated for t in teams if record.entries[t].outdated}
    if outdated:            # pages older than what the overview shows of their teams
        params["outdated"] = outdated
    inputs = [i for p in all_params for i in _inputs(p)]
    ran = {p.team for p in all_params}
    inputs += [i for t in teams if t not in ran
               for i in (record.entries[t].fingerprint or {}).get("inputs", {})]
    fp = fingerprint(Path(overview), params, sorted(set(map(str, filter(None, inputs)))))
    before = record.before(OVERVIEW)
    out = record.out
    if (not force and before.get("fingerprint") == fp
            and before.get("outcome") in ("ok", "skipped") and before.get("html")
            and (out / before["html"]).is_file()):
        return TeamResult(**{**_known(before), "outcome": "skipped"})
    job = {"team": OVERVIEW, "name": "Leadership overview", "notebook": str(overview),
           "parameters": params, "out": str(out), "stem": "overview", "kernel": kernel,
           "fingerprint": fp, "language": _language(*(record.entries[t] for t in teams)),
           "prepared": prepared, "keep_kernel": keep_kernel, "workers": workers}
    fut = pool.submit(execute, job)
    for _ in _waited([fut], stop):
        pass
    return _result(fut, job)


def _overview_has_a_team(params_dir, as_of, prepared) -> bool:
    """Whether the overview would have a team to show (its inputs read as it reads
    them); asked only when every team of a run failed before its report."""
    from .report.overview import overview_inputs
    try:
        return bool(overview_inputs(params_dir, None, as_of, prepared)[1].ok)
    except Exception:       # the overview itself will say what is wrong
        return True


class RunRecord:
    """An output folder's manifest and index, merged across runs.

    A run replaces the entries of the reports it runs and keeps every other
    team's (a run of every team drops the teams it no longer has).  Each
    report settled (:meth:`settle`) puts its files in order; :meth:`write`
    rewrites ``manifest.json`` and ``index.html`` and is called after every
    finished report, so both describe the pages on disk even when the run is
    killed.
    """

    def __init__(self, out: Path, run: dict, manifest: dict, all_params, *, partial: bool,
                 failed: dict | None = None):
        self.out, self.run, self.start = out, dict(run, state="running"), time.time()
        previous = manifest.get("reports") if isinstance(manifest, dict) else None
        self.previous = previous if isinstance(previous, dict) else {}
        ids = [p.team for p in all_params] + [t for t in failed or ()]  # failed: by params
        kept = [t for t in self.previous if t != OVERVIEW] if partial else []
        self.order = kept + [t for t in ids if t not in kept]
        self.run.update(teams=ids, partial=partial)
        self.entries = {t: e for t in self.order if (e := _entry(self.previous.get(t)))}
        self.overview = _entry(self.previous.get(OVERVIEW))
        self.title = all_params[0].title      # None: the default title, in the page's language
        self.settled: set[str] = set()

    def before(self, team: str) -> dict:
        """The team's entry as the run found it ({} if none)."""
        entry = self.previous.get(team)
        return entry if isinstance(entry, dict) else {}

    def settle(self, res: TeamResult) -> TeamResult:
        """Record this run's outcome of a report and put its files in order: a
        success removes the stale and failed pages; a failure moves the last good
        page aside as stale (``<stem>.stale.html``, with its notebook) and, when
        it failed before its notebook ran, writes a page of every problem
        (``<stem>.failed.html``)."""
        before = self.before(res.team)
        stem = "overview" if res.team == OVERVIEW else f"teams/{res.team}"
        res.run = self.run["id"]
        if res.outcome == "ok":
            res.page_run, res.last_success, res.stale = self.run["id"], res.finished, None
            for suffix in (".stale.html", ".stale.ipynb", ".failed.html", ".failed.ipynb"):
                (self.out / f"{stem}{suffix}").unlink(missing_ok=True)
        elif res.outcome == "skipped":   # a manifest older than these fields: its times
            res.page_run = res.page_run or res.finished
            res.last_success = res.last_success or res.finished
        else:
            res.last_success = before.get("last_success") or (
                before.get("finished") if before.get("outcome") in ("ok", "skipped") else None)
            self._retire(res, before, stem)
        if res.team == OVERVIEW:
            self.overview = res
        else:
            self.entries[res.team] = res
            self.settled.add(res.team)
        return res

    def _retire(self, res: TeamResult, before: dict, stem: str) -> None:
        out = self.out
        page = out / f"{stem}.html"
        if page.is_file():      # the last good page: kept, but marked stale
            stale = out / f"{stem}.stale.html"
            os.replace(page, stale)
            if (out / f"{stem}.ipynb").is_file():
                os.replace(out / f"{stem}.ipynb", out / f"{stem}.stale.ipynb")
            res.stale = f"{stem}.stale.html"
            res.page_run = before.get("page_run") or before.get("finished")
            _stale_banner(stale, res, "../" if "/" in stem else "",
                          _language(*self.entries.values()) if res.team == OVERVIEW
                          else _language(res))
        elif before.get("stale") and (out / before["stale"]).is_file():
            res.stale, res.page_run = before["stale"], before.get("page_run")
        (out / f"{stem}.summary.json").unlink(missing_ok=True)
        if res.problems:        # failed before its notebook ran: a page of every problem
            (out / f"{stem}.failed.ipynb").unlink(missing_ok=True)
            atomic_write(out / _problems_href(res), problems_page(res, self.title))
        elif not res.notebook:  # no notebook of this run (its worker died): none of another
            for suffix in (".failed.html", ".failed.ipynb"):
                (out / f"{stem}{suffix}").unlink(missing_ok=True)

    def write(self, state: str = "running") -> None:
        """Rewrite manifest.json and index.html (``state``: running, finished,
        interrupted or failed)."""
        self.run["state"] = state
        self.run["finished"] = None if state == "running" else _now()
        self.run["done"] = len(self.settled)
        reports = {t: asdict(self.entries[t]) for t in self.order if t in self.entries}
        if self.overview is not None:
            reports[OVERVIEW] = asdict(self.overview)
        data = {"package_version": __version__, "written": _now(),
                "seconds": round(time.time() - self.start, 1), "run": self.run,
                "reports": reports}
        atomic_write(self.out / "manifest.json",
                     json.dumps(_json_safe(data), indent=2, default=str, allow_nan=False))
        write_index(self)


def _stale_banner(page: Path, res: TeamResult, up: str, language: str) -> None:
    """Say at the top of a page moved aside that it is stale, and why."""
    text = page.read_text(encoding="utf-8")
    body = text.find("<body")
    end = text.find(">", body)
    if body < 0 or end < 0:
        return
    banner = _render("stale_banner.html.j2", language, r=res, up=up)
    atomic_write(page, text[:end + 1] + banner + text[end + 1:])


def _entry(data) -> TeamResult | None:
    """A manifest entry as a :class:`TeamResult` (None if it is not one)."""
    if not isinstance(data, dict):
        return None
    try:
        return TeamResult(**_known(data))
    except TypeError:
        return None


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


# ------------------------------------------------------------------ the run's pages
#: The run's own pages (index, problems page, stale banner): Jinja2 templates,
#: autoescaped, so every name, id, error and problem stays literal text.
PAGES = Path(__file__).with_name("templates") / "pages"


def _environment():
    import jinja2

    return jinja2.Environment(loader=jinja2.FileSystemLoader(PAGES), autoescape=True,
                              undefined=jinja2.StrictUndefined, trim_blocks=True,
                              lstrip_blocks=True, keep_trailing_newline=True)


def _words(language: str):
    """``t(key, **values)``: a message of index.yaml in ``language``."""
    from .i18n import msg

    return lambda key, **values: msg(f"index.{key}", language, **values)


def _render(template: str, language: str, **context) -> str:
    from markupsafe import Markup

    from .status import status_css

    return _environment().get_template(template).render(
        lang=language, t=_words(language), when=_when, status_css=Markup(status_css()),
        **context)


def _language(*results: TeamResult | None) -> str:
    """The language of a page about these reports: Chinese when every one is."""
    from .i18n import page_language

    return page_language((r.parameters or {}).get("language") or "en"
                         for r in results if r is not None and r.team != OVERVIEW)


def _status_cell(summary: dict, language: str) -> dict:
    """The index's cell for one team, from its report's summary: its status
    counts in :class:`~servicekpi.status.Status` order, and its grade."""
    from .catalogue import fmt_score
    from .i18n import grade_words
    from .status import Status

    t = _words(language)
    counts = summary.get("status_counts") or {}
    statuses = [{"css_class": s.value, "count": counts[s.value], "word": s.label(language)}
                for s in Status if counts.get(s.value)]
    grade, score = summary.get("grade"), summary.get("score")
    shown, title = None, None
    if isinstance(grade, str) and grade:
        shown = t("grade", grade=grade_words(grade, language))
        if isinstance(score, (int, float)) and score == score and abs(score) != float("inf"):
            detail = [t("score", score=fmt_score(score))]   # as the team's page shows it
            if summary.get("capped_by"):
                detail.append(t("capped_from", grade=grade_words(
                    summary.get("grade_uncapped"), language)))
            shown += t("score_detail", detail=t("detail_separator").join(detail))
        capped = summary.get("capped_by")     # in each language; older: the team's
        if isinstance(capped, dict):
            capped = capped.get(language)
        elif summary.get("language", language) != language:
            capped = None
        title = capped if isinstance(capped, str) and capped else None
    quiet = summary.get("last_tickets")
    return {"statuses": statuses, "grade": shown, "grade_title": title,
            "quiet": t("quiet", last=quiet) if isinstance(quiet, str) and quiet else None}


def _outdated_line(r: TeamResult, record: "RunRecord", language: str) -> str | None:
    """The index's line for a kept page older than its inputs: what changed and the
    command that makes it again (with the run's ``--as-of``), or that the team is
    no longer in the parameters."""
    from .i18n import changed_since
    t = _words(language)
    if not r.outdated:
        return None
    if r.outdated == ["removed"]:
        return t("outdated.removed")
    command = f"servicekpi run --teams {r.team}"
    if record.run.get("as_of"):
        command += f' --as-of "{record.run["as_of"]}"'
    return t("outdated.row", changed=changed_since(r.outdated, language), command=command)


def _title(title: str | None, language: str) -> str:
    """The reports' title: the parameters' ``title:``, else the default one."""
    from .i18n import msg

    return title or msg("team.header.default_title", language)


def _when(run_id) -> str:
    """A run (its start time) as the pages show it."""
    return str(run_id).replace("T", " ") if run_id else "–"


def _problems_href(r: TeamResult) -> str:
    return f"teams/{r.team}.failed.html"


def problems_page(r: TeamResult, title: str | None) -> str:
    """``teams/<team>.failed.html`` for a report that failed before its notebook
    ran: every problem in full, in the report's language (all text literal)."""
    language = _language(r)
    n = len(r.problems)
    from .i18n import team_shown
    name = team_shown(r.team, r.name, language)
    head = _words(language)("problems.title_one" if n == 1 else "problems.title_many",
                            name=name, n=n)
    return _render("problems.html.j2", language, title=head, r=r, name=name,
                   report_title=_title(title, language))


def _run_line(record: "RunRecord", language: str) -> str:
    run = record.run
    t = _words(language)
    ids = run.get("teams") or []
    scope = t("run.every_team")
    if run.get("partial"):
        shown = t("run.team_separator").join(ids[:5])
        scope = (t("run.teams_more", teams=shown, more=len(ids) - 5) if len(ids) > 5
                 else t("run.teams", teams=shown))
    state = run["state"]
    if state not in ("running", "interrupted", "failed"):
        return t("run.finished", run=_when(run["id"]), scope=scope)
    head = t("run.head", run=_when(run["id"]), pid=run["pid"], scope=scope)
    return t(f"run.{state}", head=head, done=run.get("done", 0), total=len(ids))


def write_index(record: "RunRecord") -> None:
    """index.html: every team with its status summary, its page and the run that
    produced it, in the language of its reports (Chinese when every one is);
    all text literal."""
    from .i18n import msg, stamp, team_shown

    results = [record.entries[t] for t in record.order if t in record.entries]
    language = _language(*results)
    rows = []
    for r in results:
        row = {"result": r, "problems_href": _problems_href(r), "statuses": [],
               "name": team_shown(r.team, r.name, language),
               "grade": None, "grade_title": None,
               "outdated": _outdated_line(r, record, language)}
        if r.ok:
            row.update(_status_cell(r.summary, language))
        rows.append(row)
    title = _title(record.title, language)
    page = _render("index.html.j2", language, title=title, heading=title,
                   generated=stamp(datetime.now(), language), ok=sum(r.ok for r in results),
                   rows=rows, run_line=_run_line(record, language), overview=record.overview,
                   unused=record.run.get("unused") or [],
                   dropped=[msg("index.dropped", language, **d)
                            for d in record.run.get("dropped") or []])
    atomic_write(record.out / "index.html", page)
