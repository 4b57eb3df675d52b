"""Reports in Chinese end to end (issue 12): with every team's ``language: zh``,
the team reports, the overview and the index show no English word a reader
sees, on the page (text, tooltips, alt texts, the window title) or in a figure
(titles, axis and tick labels, legends, annotations).

Allowed anywhere: the words of :data:`servicekpi.i18n.ALLOWED_WORDS` (KPI
acronyms, model names) and the data a page quotes as it is: display names,
team and KPI ids, ids with an underscore (``sla_met``, ``kpi_table``), the
program's name, the export's categories and other text columns, benchmark
sources, target owners, file names and paths.  Literals a user types that are
also English words (parameter names such as ``targets``, their values such as
``month`` or ``raise``, column names such as ``csat``, file formats, mapping
presets) are allowed in a text without Chinese (a table cell naming a
parameter, its value or a column), quoted (「month」, "month", `month`) or in
``<code>``; inside a Chinese sentence they are English words.  A failure lists
every English word with how often it was found, where (the element and the
section heading above it, or the figure and its part) and the text around it.
"""
from __future__ import annotations

import re
import typing
from collections import defaultdict
from pathlib import Path

import matplotlib
import matplotlib.text
import pandas as pd
import pytest
from matplotlib.figure import Figure

from conftest import make_params, page_text
from servicekpi.i18n import ALLOWED_WORDS, english_words
from servicekpi.params import parameter_words

#: The teams rendered: all in Chinese, so the overview and the index are too.
#: phone has targets, benchmarks and competencies; complaints a Chinese name
#: (as in params/); tech_support an outage among its causes.
TEAMS = {"phone": "Phone support", "complaints": "投诉处理中心 (Complaints desk)",
         "tech_support": "Technical support"}
#: File names and paths (data, not words): ``a/b``, ``x.csv``.
PATH = re.compile(r"\S*[/\\]\S*|[\w.-]+\.(?:csv|parquet|ya?ml|xlsx?|json|ipynb|html?|txt)\b",
                  re.I)
#: A text column of a data file with at most this many distinct values is text a
#: page may quote (categories, channels, sources, owners); more is an id column.
FEW = 100
#: File formats a page names (a literal, like a parameter's value).
FORMATS = frozenset({"csv", "parquet", "xlsx", "xls", "json", "yaml"})
CJK = re.compile(r"[\u3400-\u9fff]")
#: A literal in quotes: 「month」, “month”, "month", 'month', `month`.
QUOTED = re.compile(r"[「“\"'`]([A-Za-z][\w.-]*)[」”\"'`]")


def zh_params(root: Path, data: Path) -> Path:
    return make_params(root, data, {team: f"team: {team}\ndisplay_name: '{name}'\nlanguage: zh\n"
                                    for team, name in TEAMS.items()})


# ---------------------------------------------------------------- the check
class Data:
    """What a page or figure may quote as it is: ``phrases`` (texts of the
    data, removed from a text before its words are read), ``ids`` (words
    allowed anywhere) and ``literals`` (words allowed where they stand alone or
    quoted, see the module's docstring)."""

    def __init__(self, phrases=(), ids=(), literals=()):
        self.phrases = sorted({p for p in phrases if p and re.search(r"[A-Za-z]", p)},
                              key=len, reverse=True)
        self.ids = (frozenset(ids) | ALLOWED_WORDS | {"servicekpi"}
                    | {w for w in parameter_words() if "_" in w})
        self.literals = frozenset(literals) | parameter_words() | FORMATS
        self._phrase = (re.compile("|".join(rf"(?<![A-Za-z]){re.escape(p)}(?![A-Za-z])"
                                            for p in self.phrases))
                        if self.phrases else None)

    @classmethod
    def of(cls, params: Path, data: Path) -> "Data":
        """Display names and team ids of ``params``, the catalogue's KPI ids, the
        text columns of every data file in ``data``; parameter names and the
        values they may take, mapping presets."""
        from servicekpi.catalogue import load_catalogue
        from servicekpi.mapping import CANONICAL, presets
        from servicekpi.params import ReportParams, load_params

        teams = load_params(params)
        phrases = [p.display_name for p in teams] + [p.team for p in teams]
        ids = {p.team for p in teams} | set(load_catalogue(params / "catalogue.yaml"))
        for f in sorted(data.iterdir()):
            if f.suffix not in (".csv", ".parquet"):
                continue
            frame = pd.read_parquet(f) if f.suffix == ".parquet" else pd.read_csv(f)
            for column in frame.columns:
                values = frame[column].dropna()
                if values.dtype.kind in "OSUT" or str(values.dtype).startswith("str"):
                    distinct = values.astype(str).unique()
                    if len(distinct) <= FEW:
                        phrases += list(distinct)
                        ids |= {v for v in distinct if re.fullmatch(r"\w+", v)}
        literals = {*ReportParams.model_fields, CANONICAL, *presets(), "true", "false", "null"}
        for field in ReportParams.model_fields.values():
            literals |= {v for v in _choices(field.annotation) if isinstance(v, str)}
        return cls(phrases, ids, literals)

    def words(self, text: str) -> list[tuple[str, str]]:
        """(word, context) of every English word of ``text`` that is not data."""
        plain = PATH.sub(" ", text)
        if self._phrase is not None:
            plain = self._phrase.sub(" ", plain)
        alone = not CJK.search(plain)
        plain = QUOTED.sub(lambda m: " " if m.group(1) in self.literals else m.group(0), plain)
        found, at = [], 0
        for word in english_words(plain, self.ids):
            m = re.compile(rf"(?<![A-Za-z0-9_]){re.escape(word)}(?![A-Za-z0-9_])").search(
                plain, at)
            at = m.end() if m else at
            if alone and word in self.literals:
                continue
            start = m.start() if m else 0
            context = " ".join(plain[max(0, start - 30):start + len(word) + 30].split())
            found.append((word, context))
        return found


def _choices(annotation) -> set:
    """The values of the ``Literal`` types in a type annotation."""
    if typing.get_origin(annotation) is typing.Literal:
        return set(typing.get_args(annotation))
    return set().union(*(_choices(a) for a in typing.get_args(annotation)))


def english_on_page(html: str, data: Data) -> list[tuple[str, str, str]]:
    """(word, where, context) of every English word a reader sees on a page."""
    return [(word, where, context)
            for text, where, shown in page_text(html).pieces if shown and text.strip()
            for word, context in data.words(text)]


def figure_texts(fig: Figure, name: str) -> list[tuple[str, str]]:
    """(text, where) of every visible text of a figure, ticks included (drawn
    first, so that tick labels are set)."""
    fig.canvas.draw()
    role = {}
    for i, ax in enumerate(fig.axes):
        label = f"{name}, axes {i + 1}"
        role[id(ax.title)] = f"{label} title"
        for t in (ax._left_title, ax._right_title):
            role[id(t)] = f"{label} title"
        role[id(ax.xaxis.label)] = f"{label} x label"
        role[id(ax.yaxis.label)] = f"{label} y label"
        for t in ax.get_xticklabels(minor=False) + ax.get_xticklabels(minor=True):
            role[id(t)] = f"{label} x tick label"
        for t in ax.get_yticklabels(minor=False) + ax.get_yticklabels(minor=True):
            role[id(t)] = f"{label} y tick label"
        if ax.get_legend() is not None:
            role[id(ax.get_legend().get_title())] = f"{label} legend title"
            for t in ax.get_legend().get_texts():
                role[id(t)] = f"{label} legend"
    for legend in fig.legends:
        role[id(legend.get_title())] = f"{name} legend title"
        for t in legend.get_texts():
            role[id(t)] = f"{name} legend"
    if fig._suptitle is not None:
        role[id(fig._suptitle)] = f"{name} title"
    return [(t.get_text(), role.get(id(t), f"{name} text"))
            for t in fig.findobj(matplotlib.text.Text)
            if t.get_visible() and t.get_text().strip()]


def english_in_figure(fig: Figure, name: str, data: Data) -> list[tuple[str, str, str]]:
    return [(word, where, context) for text, where in figure_texts(fig, name)
            for word, context in data.words(text)]


def summary(found: list[tuple[str, str, str]], what: str) -> str:
    """One line per English word: how often, then where and in what text (at most
    three places a word)."""
    places = defaultdict(list)
    for word, where, context in found:
        places[word].append((where, context))
    lines = [f"{what}: {len(found)} English words ({len(places)} distinct) a reader sees:"]
    for word, seen in sorted(places.items(), key=lambda kv: (-len(kv[1]), kv[0])):
        shown = "; ".join(f"{where}: «{context}»" for where, context in
                          list(dict.fromkeys(seen))[:3])
        lines.append(f"  {word!r} x{len(seen)} — {shown}")
    return "\n".join(lines)


# --------------------------------------------------- the check finds English
PAGE = """<!DOCTYPE html><html><head><title>Notebook</title><style>.x{color:red}</style>
<script>var hidden = "script text";</script></head><body>
<h2 id="s">目标与差距</h2><nav aria-label="Contents"><strong>目录</strong></nav>
<p>Progress 进度 NPS 与 CSAT，团队 Phone support，原因 order status，
文件 /tmp/x/tickets.parquet</p><table><tr><th>Why</th><th>fcr_rate</th><th>kpi_table</th>
<th>targets</th><td>on track</td><td>month</td></tr></table>
<p>按 month 汇总，映射「canonical」</p>
<img alt="No description has been provided for this image" src="data:image/png;base64,AAAA">
<div hidden>hidden words</div><span style="display: none">none shown</span>
<code>report.md("summary")</code><p>2026-10 第3名/共8个 p 值 0.03</p></body></html>"""


def test_the_check_finds_every_english_word_a_reader_sees():
    data = Data(["Phone support", "order status"], {"fcr_rate"}, {"month", "canonical"})
    found = english_on_page(PAGE, data)
    assert [w for w, _, _ in found] == ["Notebook", "Contents", "Progress", "Why", "on",
                                        "track", "month", "No", "description", "has", "been",
                                        "provided", "for", "this", "image"]
    where = {w: place for w, place, _ in found}
    assert where["Contents"] == "aria-label= of <nav> in <h2> '目标与差距'"
    assert where["Progress"] == "<p> in <h2> '目标与差距'"
    assert where["Notebook"] == "<title> in (top of the page)"
    assert where["month"] == "<p> in <h2> '目标与差距'"      # in <td> alone it is a value
    assert "'on' x1" in summary(found, "page") and "«Contents»" in summary(found, "page")


def test_the_check_reads_every_text_of_a_figure():
    import matplotlib.pyplot as plt

    from servicekpi.i18n import use_cjk_font

    with matplotlib.rc_context():
        use_cjk_font()
        fig, ax = plt.subplots()
        ax.plot([1, 2], [3, 4], label="target 目标")
        ax.set_title("首次响应时间")
        ax.set_ylabel("hours")
        ax.set_xticks([1, 2], ["Jan", "2026-10"])
        ax.legend()
        ax.annotate("CSAT 下降", (1, 3))
        found = english_in_figure(fig, "figure 1", Data())
    assert sorted((w, where) for w, where, _ in found) == [
        ("Jan", "figure 1, axes 1 x tick label"), ("hours", "figure 1, axes 1 y label"),
        ("target", "figure 1, axes 1 legend")]


# ------------------------------------------------------------ the reports
@pytest.fixture(scope="module")
def zh_run(tmp_path_factory, demo_dir):
    """The reports of :data:`TEAMS`, the overview and the index, all in Chinese;
    the data they may quote; and each page's error when it failed."""
    from servicekpi.runner import run_reports

    root = tmp_path_factory.mktemp("zh")
    params = zh_params(root, demo_dir)
    done = run_reports(params, root / "reports", workers=2, progress=False)
    errors = {f"teams/{r.team}.html": r.error for r in done.results if r.outcome != "ok"}
    if done.overview is not None and done.overview.outcome != "ok":
        errors["overview.html"] = done.overview.error
    return root / "reports", Data.of(params, demo_dir), errors


@pytest.mark.e2e
@pytest.mark.parametrize("page", ["index.html", "overview.html",
                                  *(f"teams/{t}.html" for t in TEAMS)])
def test_no_english_on_a_chinese_page(zh_run, page):
    out, data, errors = zh_run
    assert page not in errors, f"{page} failed: {errors[page]}"
    html = (out / page).read_text(encoding="utf-8")
    assert re.search(r"[\u4e00-\u9fff]", html), f"{page}: no Chinese at all"
    found = english_on_page(html, data)
    assert not found, summary(found, page)


@pytest.mark.e2e
@pytest.mark.parametrize("team", list(TEAMS))
def test_no_english_in_a_chinese_figure(tmp_path, demo_dir, team):
    """Every figure of every section of the team report (the sections'
    registry, as the notebook shows them); a section that fails is listed with
    the words found in the others."""
    from servicekpi.params import load_params
    from servicekpi.report import TeamReport
    from servicekpi.report.sections import SECTIONS, items

    params = zh_params(tmp_path, demo_dir)
    data = Data.of(params, demo_dir)
    p = next(x for x in load_params(params) if x.team == team)
    report = TeamReport.load(**p.notebook_parameters())
    assert report.language == "zh"
    figures, found, failed = 0, [], []
    for key in SECTIONS:
        try:
            shown = items(report, key)
        except Exception as exc:      # listed below, with what the other sections show
            failed.append(f"section {key}: {type(exc).__name__}: {exc}")
            continue
        shown = [f for x in shown for f in (x if isinstance(x, (list, tuple)) else [x])]
        for i, fig in enumerate(f for f in shown if isinstance(f, Figure)):
            figures += 1
            found += english_in_figure(fig, f"section {key}, figure {i + 1}", data)
    problems = ([summary(found, f"figures of {team}")] if found else []) + failed
    assert not problems, "\n".join(problems)
    assert figures >= 5, f"{team}: only {figures} figures drawn"
