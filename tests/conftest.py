"""Fixtures and helpers shared by the tests; the ``e2e`` marker's guard.

Tests that execute notebooks are marked ``e2e`` (``pytest -m "not e2e"`` runs
the fast unit tests).  A test that executes a notebook through papermill in
this process or a worker forked from it (``run_reports``, ``servicekpi run``
in-process, ``papermill.execute_notebook``) without the marker fails, and so
does one that uses a fixture that did.  A notebook run by a ``papermill`` or
``servicekpi`` subprocess is not seen: mark such tests by hand.

``make test`` runs the suite with pytest-xdist, one test file per worker
(``--dist loadfile``): the module-scoped fixtures that run a batch of reports
then run once, not once per worker.  Every test writes under its own
``tmp_path`` (each worker has its own ``demo_dir``), so no two workers share a
file, an output folder or its run lock.
"""
import html.parser
import os
import shutil
import signal
import tempfile
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

# Imported here, in the process that starts the xdist workers, so matplotlib's
# font cache exists before workers and report kernels start (matplotlib writes
# it under a lock, but a process that finds no cache rebuilds it and may print
# to the notebook's stderr).
import matplotlib.font_manager  # noqa: E402, F401
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402


class SignalLeftChanged(UserWarning):
    """A test left the process's SIGINT handler other than it found it."""


class _SigintAsFound:
    """Each test, with its fixtures of every scope, leaves SIGINT's handler as it
    found it.  A child process inherits an ignored SIGINT: a later test's
    ``servicekpi run`` would then not stop on Ctrl-C (``--dist loadfile`` runs
    files one after another in a worker).  The handler is restored, and the
    test whose set-up, call or tear-down changed it named in a warning.  (A
    plugin of its own: this file's hooks of the same names guard the e2e mark.)"""

    @staticmethod
    def _kept(item, phase: str, before) -> None:
        if signal.getsignal(signal.SIGINT) is not before:
            signal.signal(signal.SIGINT, before)
            item.warn(SignalLeftChanged(f"the {phase} of {item.nodeid} left the SIGINT "
                                        "handler changed; restored"))

    def _guard(phase: str):
        @pytest.hookimpl(wrapper=True)
        def hook(self, item):
            before = signal.getsignal(signal.SIGINT)
            try:
                return (yield)
            finally:
                self._kept(item, phase, before)
        return hook

    pytest_runtest_setup = _guard("set-up")
    pytest_runtest_call = _guard("call")
    pytest_runtest_teardown = _guard("tear-down")
    del _guard


def pytest_configure(config):
    config.pluginmanager.register(_SigintAsFound(), "servicekpi-sigint-as-found")


HEADER = ("ticket_id,team,created_at,first_response_at,resolved_at,channel,sla_due_at,"
          "sla_met,contacts,reopened,is_complaint,abandoned,handle_minutes,csat,nps,ces,"
          "customer_id")

# The hand-worked ticket set (see test_kpis.py for every expected value).
SMALL = [
    "1,a,2024-01-02 09:00,2024-01-02 10:00,2024-01-02 13:00,phone,2024-01-02 12:00,,1,no,no,no,10,5,10,2,c1",
    "2,a,2024-01-05 09:00,2024-01-05 12:00,2024-01-06 09:00,email,2024-01-07 09:00,,2,yes,yes,no,20,4,7,3,c1",
    "3,a,2024-01-20 09:00,2024-01-20 11:00,,chat,2024-01-21 09:00,,,,no,no,,,0,,c2",
    "4,a,2024-01-25 09:00,,,self_service,,true,,,no,yes,,2,9,,",
    "5,a,2024-03-01 08:00,2024-03-01 08:30,2024-03-01 10:00,phone,2024-03-01 12:00,,1,no,no,no,6,,,,c3",
    "7,a,2024-03-02 09:00,2024-03-02 10:00,,email,2024-03-10 09:00,,,,no,no,8,,,,c3",
    "6,b,2024-01-10 12:00,2024-01-10 12:06,2024-01-10 18:00,phone,2024-02-01 00:00,,1,no,no,no,15,3,6,5,c2",
]


def png_pixels(png: bytes) -> np.ndarray:
    """A PNG's pixels (height x width x channels), to compare images exactly."""
    import io

    from PIL import Image
    return np.asarray(Image.open(io.BytesIO(png)))


def on_glibc() -> bool:
    """Whether this process runs on glibc (whose allocator settings some tests check)."""
    try:
        return bool(os.confstr("CS_GNU_LIBC_VERSION"))
    except (ValueError, OSError, AttributeError):   # musl, macOS, Windows
        return False


def write_csv(path, rows, header=HEADER):
    path.write_text(header + "\n" + "\n".join(rows) + "\n", encoding="utf-8")
    return path


@pytest.fixture
def small_csv(tmp_path):
    return write_csv(tmp_path / "tickets.csv", SMALL)


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


@pytest.fixture
def rng():
    return np.random.default_rng(7)


@pytest.fixture(scope="session")
def demo_dir(tmp_path_factory):
    """A small demo data set (a few percent of full size, 14 months)."""
    from servicekpi.demo import generate_demo

    out = tmp_path_factory.mktemp("demo")
    generate_demo(out, seed=11, months=14, scale=0.04)
    return out


def make_params(root: Path, data: Path, teams: dict[str, str]) -> Path:
    """A params/ folder pointing at ``data``, with one file per entry of ``teams``."""
    from servicekpi.config import CATALOGUE

    p = root / "params"
    (p / "teams").mkdir(parents=True)
    shutil.copy(CATALOGUE, p / "catalogue.yaml")
    (p / "defaults.yaml").write_text(
        f"tickets: {data / 'tickets.parquet'}\nkpi_table: {data / 'kpi_table.csv'}\n"
        f"benchmarks: {data / 'benchmarks.csv'}\ntargets: {data / 'targets.csv'}\n"
        "catalogue: catalogue.yaml\nhistory_periods: 6\n"
        f"competencies: {data / 'competencies.csv'}\n"
        f"competency_targets: {data / 'competency_targets.csv'}\n")
    for name, text in teams.items():
        (p / "teams" / f"{name}.yaml").write_text(text)
    return p


# ------------------------------------------------------------ the e2e marker's guard
#: A file every papermill execution appends a line to (this process and the
#: workers it forks): its size before and after a test or fixture says whether
#: that test or fixture executed a notebook.
_NOTEBOOK_LOG: dict[str, Path | None] = {"path": None}
#: (baseid, argname) of the fixtures whose setup executed a notebook.
_NOTEBOOK_FIXTURES: set[tuple[str, str]] = set()
#: The size of the log when a test's setup began.
_BEFORE = pytest.StashKey[int]()


def _notebooks_run() -> int:
    path = _NOTEBOOK_LOG["path"]
    return path.stat().st_size if path is not None and path.exists() else 0


def _record_notebooks() -> None:
    """Wrap ``papermill.execute_notebook`` to log each execution (once per process)."""
    if _NOTEBOOK_LOG["path"] is not None:
        return
    import papermill

    fd, name = tempfile.mkstemp(prefix="servicekpi-notebooks-", suffix=".log")
    os.close(fd)
    _NOTEBOOK_LOG["path"] = Path(name)
    original = papermill.execute_notebook

    def execute_notebook(input_path, *args, **kwargs):
        with open(name, "a", encoding="utf-8") as log:
            log.write(f"{os.getpid()} {input_path}\n")
        return original(input_path, *args, **kwargs)

    papermill.execute_notebook = execute_notebook


def pytest_unconfigure(config):
    if _NOTEBOOK_LOG["path"] is not None:
        _NOTEBOOK_LOG["path"].unlink(missing_ok=True)


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item):
    _record_notebooks()
    item.stash[_BEFORE] = _notebooks_run()


@pytest.hookimpl(wrapper=True)
def pytest_fixture_setup(fixturedef, request):
    before = _notebooks_run()
    result = yield
    if _notebooks_run() > before:
        _NOTEBOOK_FIXTURES.add((fixturedef.baseid, fixturedef.argname))
    return result


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item):
    result = yield
    if item.get_closest_marker("e2e") is None:
        fixtures = sorted(name for base, name in _NOTEBOOK_FIXTURES
                          if name in item.fixturenames and item.nodeid.startswith(base))
        if _notebooks_run() > item.stash.get(_BEFORE, 0) or fixtures:
            via = f" (through the fixture {', '.join(fixtures)})" if fixtures else ""
            pytest.fail(f"{item.nodeid} executes a notebook{via} but is not marked e2e: add "
                        "@pytest.mark.e2e (pytestmark = pytest.mark.e2e for a module of "
                        "notebook tests), so that `pytest -m 'not e2e'` stays the fast suite",
                        pytrace=False)
    return result


# ------------------------------------------------------------ what a page shows
#: Elements whose text a reader never sees as text on the page.
_UNSEEN = {"style", "script", "template", "noscript"}
#: Elements that have no end tag.
_VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta",
         "source", "track", "wbr"}
#: Attributes whose value a reader sees (tooltips) or hears (screen readers).
_SHOWN_ATTRIBUTES = ("alt", "title", "aria-label", "placeholder")
#: nbconvert's classes of a code cell's input (editor, highlighted source).
INPUT_CLASSES = {"jp-InputArea-editor", "jp-CodeMirrorEditor", "jp-Editor", "cm-editor",
                 "input_area", "highlight"}


class PageText(html.parser.HTMLParser):
    """The text of an HTML page, in pieces, each with where it was found.

    ``pieces``: (text, where, shown) — ``where`` names the element (its tag and
    the heading of the section it is in), ``shown`` is False for text inside
    ``<style>``/``<script>``, a hidden element (``hidden``, ``display:none``,
    ``visibility:hidden``) or, when ``skip_code``, ``<code>``.  ``classes``: every
    class of every element, with the section it is in.
    """

    def __init__(self, *, skip_code: bool = True):
        super().__init__(convert_charrefs=True)
        self.skip_code = skip_code
        self.stack: list[tuple[str, bool]] = []     # (tag, unseen)
        self.pieces: list[tuple[str, str, bool]] = []
        self.classes: list[tuple[str, str]] = []
        self.section = "(top of the page)"
        self._heading: list[str] | None = None

    @property
    def unseen(self) -> bool:
        return bool(self.stack) and self.stack[-1][1]

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        style = (a.get("style") or "").replace(" ", "").lower()
        unseen = (self.unseen or tag in _UNSEEN or "hidden" in a
                  or "display:none" in style or "visibility:hidden" in style
                  or (self.skip_code and tag == "code"))
        for c in (a.get("class") or "").split():
            self.classes.append((c, self.section))
        for name in _SHOWN_ATTRIBUTES:
            if a.get(name) and not unseen:
                self.pieces.append((a[name], f"{name}= of <{tag}> in {self.section}", True))
        if tag in ("h1", "h2", "h3", "h4"):
            self._heading = []
        if tag not in _VOID:
            self.stack.append((tag, unseen))

    def handle_startendtag(self, tag, attrs):
        self.handle_starttag(tag, attrs)
        if tag not in _VOID and self.stack and self.stack[-1][0] == tag:
            self.stack.pop()

    def handle_endtag(self, tag):
        if tag in ("h1", "h2", "h3", "h4") and self._heading is not None:
            heading = " ".join("".join(self._heading).replace("\u00b6", "").split())
            self.section = f"<{tag}> {heading[:60]!r}"
            self._heading = None
        for i in range(len(self.stack) - 1, -1, -1):    # close it and what it left open
            if self.stack[i][0] == tag:
                del self.stack[i:]
                return

    def handle_data(self, data):
        if self._heading is not None:
            self._heading.append(data)
        tag = self.stack[-1][0] if self.stack else "document"
        self.pieces.append((data, f"<{tag}> in {self.section}", not self.unseen))


def page_text(page_html: str, *, skip_code: bool = True) -> PageText:
    parser = PageText(skip_code=skip_code)
    parser.feed(page_html)
    parser.close()
    return parser


def _squash(text: str) -> str:
    return " ".join(text.split())


def code_lines(notebook: dict, *, shortest: int = 12) -> list[str]:
    """The distinctive lines of a notebook's code cells: each stripped line of
    at least ``shortest`` characters (shorter ones, like ``)`` or ``else:``,
    could be ordinary text)."""
    lines = []
    for cell in notebook["cells"]:
        if cell["cell_type"] != "code":
            continue
        source = cell["source"] if isinstance(cell["source"], str) else "".join(cell["source"])
        lines += [_squash(ln) for ln in source.splitlines() if len(ln.strip()) >= shortest]
    return list(dict.fromkeys(lines))


def shown_code(page_html: str, notebook: dict) -> list[str]:
    """What of ``notebook``'s code a rendered page shows: nbconvert's input
    elements (editor, highlighted source) and the lines of code found in the
    page's text.  Empty when every input is hidden."""
    page = page_text(page_html, skip_code=False)
    found = [f'an input element (class "{c}") in {where}'
             for c, where in dict.fromkeys(page.classes) if c in INPUT_CLASSES]
    text = _squash(" ".join(t for t, _, _ in page.pieces))
    text_joined = _squash("".join(t for t, _, _ in page.pieces))   # highlighted: one span a token
    found += [f"code line {line!r}" for line in code_lines(notebook)
              if line in text or line in text_joined]
    return found
