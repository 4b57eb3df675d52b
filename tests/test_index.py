"""The run's own pages (index, problems page, stale banner) and the report
pages' frame (htmlout): words in the page's language, statuses from Status,
every value literal.  No notebook runs here."""
import hashlib
import html
import re
from pathlib import Path

import nbformat
import pandas as pd
import pytest

from conftest import page_text
from servicekpi.htmlout import render_html
from servicekpi.i18n import ALLOWED_WORDS, english_words
from servicekpi.runner import OVERVIEW, RunRecord, TeamResult, file_hash
from servicekpi.status import Status

HOSTILE = "东区 <script>alert(1)</script>"
#: The data these pages quote (team ids, the hostile name, file names): not words of theirs.
DATA = {"east", "west", "north", "script", "alert", "kpis", "csv", "targets", "kpi_table"}


class Params:
    def __init__(self, team, title="客服指标报告"):
        self.team, self.title = team, title


def record(out: Path, language: str, state: str = "running") -> RunRecord:
    """An index with every kind of row: a report with every status, a capped
    grade and a hostile name; one that failed before its notebook (problems)
    with a stale page; one that failed inside its notebook; a failed overview
    with its last good page."""
    (out / "teams").mkdir(parents=True, exist_ok=True)
    rec = RunRecord(out, {"id": "2026-10-14T09:30:00", "pid": 4242, "started": "x"}, {},
                    [Params("east"), Params("west"), Params("north")], partial=True)
    lang = {"language": language}
    counts = {s.value: i + 1 for i, s in enumerate(Status)}
    rec.settle(TeamResult("east", HOSTILE, "ok", html="teams/east.html", parameters=lang,
                          summary={"status_counts": counts, "grade": "C", "score": 61.25,
                                   "grade_uncapped": "B", "capped_by": "首次解决率（偏离目标）",
                                   "language": language}))
    (out / "teams" / "west.html").write_text("<html><body><p>旧页面</p></body></html>")
    rec.settle(TeamResult("west", "西区", "failed", error="数据错误：共 2 个问题",
                          problems=["targets.csv：截止期早于基线期", "kpi_table.csv：重复的行"],
                          parameters=lang))
    rec.settle(TeamResult("north", "北区", "failed", error="笔记本出错",
                          notebook="teams/north.failed.html", parameters=lang))
    rec.overview = TeamResult(OVERVIEW, "总览", "failed", error="总览出错",
                              notebook="overview.failed.html", stale="overview.stale.html",
                              page_run="2026-10-01T08:00:00")
    rec.write(state)
    return rec


def shown_words(page: str, allow=()) -> list[str]:
    """The English words a reader sees on ``page`` (text, tooltips), outside
    ``<code>`` (ids), ``<style>`` and the allow-list."""
    allowed = set(ALLOWED_WORDS) | set(allow)
    return [w for text, _, shown in page_text(page).pieces if shown
            for w in english_words(text, allowed)]


@pytest.mark.parametrize("state", ["running", "interrupted", "failed", "finished"])
def test_chinese_index_has_no_english_words(tmp_path, state):
    record(tmp_path, "zh", state)
    page = (tmp_path / "index.html").read_text()
    assert '<html lang="zh">' in page
    assert shown_words(page, allow=DATA) == []
    assert "生成于" in page and "管理层总览" in page and "全部问题" in page
    assert "等级：合格（61.2 分，由良好下调）" in page       # grade words, not codes
    problems = (tmp_path / "teams" / "west.failed.html").read_text()
    assert '<html lang="zh">' in problems and "发现 2 个问题" in problems
    assert shown_words(problems, allow=DATA) == []
    stale = (tmp_path / "teams" / "west.stale.html").read_text()
    assert "已过期" in stale and shown_words(stale) == []


def test_the_same_index_in_english_and_mixed_languages(tmp_path):
    """The English-word check finds the English index's words (it can fail); an
    index whose reports are not all Chinese is English."""
    record(tmp_path / "en", "en")
    page = (tmp_path / "en" / "index.html").read_text()
    assert '<html lang="en">' in page
    assert {"Generated", "reports", "grade", "capped"} <= set(shown_words(page))
    assert "grade C (61.2, capped from B)" in page
    rec = record(tmp_path / "mixed", "zh")
    rec.entries["north"].parameters = {"language": "en"}
    rec.write()
    assert '<html lang="en">' in (tmp_path / "mixed" / "index.html").read_text()


def test_status_classes_are_the_status_members(tmp_path):
    """The index's status spans: one CSS class per Status member, in Status
    order, each with the CSS rule (colours) of servicekpi.status."""
    record(tmp_path, "en")
    page = (tmp_path / "index.html").read_text()
    spans = re.findall(r'<span class="st ([a-z_]+)">(\d+) ([^<]+)</span>', page)
    assert [c for c, _, _ in spans] == [s.value for s in Status]
    assert [(int(n), w) for _, n, w in spans] == [(i + 1, s.label("en"))
                                                   for i, s in enumerate(Status)]
    style = re.search(r"<style>(.*?)</style>", page, re.S).group(1)
    rules = dict(re.findall(r"\.([a-z_]+) \{ background: (#[0-9a-f]{6});", style))
    assert {c: rules[c] for c, _, _ in spans} == {s.value: s.background for s in Status}


def test_every_value_stays_literal(tmp_path):
    record(tmp_path, "zh")
    page = (tmp_path / "index.html").read_text()
    assert "<script>alert" not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert 'title="首次解决率（偏离目标）"' in page


def test_report_page_in_its_language(tmp_path):
    """A rendered report page: <html lang>, the contents box's title and the
    figures' alternative text in the report's language; the page's title is
    its heading."""
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_markdown_cell("# 客服报告：东区"),
                nbformat.v4.new_markdown_cell("## 摘要\n\n正文"),
                nbformat.v4.new_markdown_cell("## 目标与差距")]
    nbformat.write(nb, tmp_path / "r.ipynb")
    render_html(tmp_path / "r.ipynb", tmp_path / "zh.html", language="zh")
    page = (tmp_path / "zh.html").read_text()
    assert '<html lang="zh">' in page and "<title>客服报告：东区</title>" in page
    assert '<strong>目录</strong>' in page
    assert shown_words(page) == []
    render_html(tmp_path / "r.ipynb", tmp_path / "en.html")
    assert "<strong>Contents</strong>" in (tmp_path / "en.html").read_text()


def test_one_exporter_per_language_renders_page_after_page(tmp_path, monkeypatch):
    """A worker renders many pages: each language's exporter is made once and
    gives the same page, for each notebook, as a new exporter does."""
    import threading

    import nbconvert

    from servicekpi import htmlout

    made = []

    class Counted(nbconvert.HTMLExporter):
        def __init__(self, **kwargs):
            made.append(kwargs["language_code"])
            super().__init__(**kwargs)

    monkeypatch.setattr(nbconvert, "HTMLExporter", Counted)
    monkeypatch.setattr(htmlout, "_EXPORTERS", threading.local())
    pages = {}
    for i, (title, lang) in enumerate([("# Phone", "en"), ("# 邮件", "zh"),
                                       ("# Chat\n\n![x](data:image/png;base64,AA==)", "en"),
                                       ("# 投诉", "zh")]):
        nb = nbformat.v4.new_notebook()
        nb.cells = [nbformat.v4.new_markdown_cell(title), nbformat.v4.new_markdown_cell("## A")]
        nbformat.write(nb, tmp_path / f"{i}.ipynb")
        render_html(tmp_path / f"{i}.ipynb", tmp_path / f"{i}.html", language=lang)
        pages[i, lang] = (tmp_path / f"{i}.html").read_text()
    assert made == ["en", "zh"]
    for (i, lang), page in pages.items():
        monkeypatch.setattr(htmlout, "_EXPORTERS", threading.local())
        render_html(tmp_path / f"{i}.ipynb", tmp_path / "fresh.html", language=lang)
        assert (tmp_path / "fresh.html").read_text() == page
    assert len(made) == 6


def test_file_hash_is_the_sha256_of_the_bytes(tmp_path):
    data = bytes(range(256)) * 5000
    (tmp_path / "f.bin").write_bytes(data)
    assert file_hash(tmp_path / "f.bin") == hashlib.sha256(data).hexdigest()


def test_the_line_of_a_kept_page_older_than_its_inputs():
    """What the index says of a page a run of other teams kept: what changed and the
    command that makes it again, with the run's --as-of (without it, the page would
    not match the overview either); a team no longer in the parameters is not told
    to run a report that cannot run."""
    from types import SimpleNamespace

    from servicekpi.runner import _outdated_line
    r = TeamResult("billing", "Billing", "ok", outdated=["parameters", "targets.csv"])
    run = SimpleNamespace(run={"as_of": "2026-01-15"})
    assert _outdated_line(r, run, "en") == (
        "Out of date: its parameters and targets.csv changed since its page was made; the "
        'overview shows the team as it is now. Run its report again (servicekpi run --teams '
        'billing --as-of "2026-01-15").')
    assert _outdated_line(r, SimpleNamespace(run={}), "zh").endswith(
        "（servicekpi run --teams billing）。")
    gone = TeamResult("billing", "Billing", "ok", outdated=["removed"])
    assert _outdated_line(gone, run, "en").startswith("No longer in the parameters")
    assert _outdated_line(TeamResult("b", "B", "ok"), run, "en") is None


def test_a_kept_team_whose_parameters_went_wrong_is_not_called_removed(tmp_path, demo_dir):
    """A run of phone alone, chat's file now with a typo: chat's kept page is out of
    date for its parameters, not 'no longer in the parameters' (it is, and wrong)."""
    from types import SimpleNamespace

    from conftest import make_params
    from servicekpi.config import TEAM_NOTEBOOK
    from servicekpi.params import team_params
    from servicekpi.runner import _mark_outdated
    p = make_params(tmp_path, demo_dir, {"phone": "team: phone\n",
                                         "chat": "team: chat\nhistroy_periods: 3\n",
                                         "vip": "team: vip_care\n"})
    (p / "teams" / "vip.yaml").unlink()                         # vip_care: gone
    now = team_params(p)
    record = SimpleNamespace(order=["phone", "chat", "vip_care"], settled=set(),
                             run={"teams": ["phone"]},
                             entries={t: TeamResult(t, t, "ok")
                                      for t in ("phone", "chat", "vip_care")})
    _mark_outdated(record, now.ok, TEAM_NOTEBOOK, set(now.failed))
    assert record.entries["chat"].outdated == ["parameters"]
    assert record.entries["vip_care"].outdated == ["removed"]


def test_the_index_says_how_many_rows_an_export_lost(tmp_path):
    """An export read with bad_rows: drop lost 3 of its 18 rows: every report is
    'ok', and the index says the reports rest on the rest (in each language)."""
    from servicekpi.runner import _dropped
    for language, line in (("en", "jsm.csv: 3 of its 18 rows dropped as unreadable (bad_rows: "
                                  "drop): the reports rest on the rest; each team's data-quality "
                                  "table gives the reasons and its own rows among them."),
                           ("zh", "jsm.csv：18行中有3行因无法读取被剔除（bad_rows: drop）")):
        rec = record(tmp_path / language, language)
        rec.run["dropped"] = [{"file": "jsm.csv", "dropped": 3, "rows": 18}]
        rec.write()
        page = (tmp_path / language / "index.html").read_text()
        assert line in html.unescape(page)
    frame = pd.DataFrame({"team": ["a"]})
    frame.attrs.update(dropped_by_team={"a": 2, "unassigned": 1}, source="jsm.csv",
                       rows_read=18)
    inputs = type("Inputs", (), {"tickets": {"a": frame, "b": frame}})()
    assert _dropped(inputs) == [{"file": "jsm.csv", "dropped": 3, "rows": 18}]
