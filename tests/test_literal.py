"""User text is shown as written (issue 11): no Markdown, HTML, maths or link in
a display name, team name, category, KPI label, title, owner or benchmark
source is interpreted on any page or figure, and no text cell of a CSV file is
a spreadsheet formula.  The batch test runs the real reports on hostile inputs;
tests/test_browser.py opens the same pages in Chromium."""
import html
import io
import json
import re
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
import yaml

from conftest import make_params, write_csv
from servicekpi import literal
from servicekpi.runner import run_reports
from servicekpi.teams import team_id

BIN = Path(sys.executable).parent
EVIL = "http://evil.example"
IMG = f"![img]({EVIL}/p.png)"
JS = "[link](javascript:alert(3))"
TAG = "<img src=x onerror=alert(1)>"
HOSTILE = [IMG, JS, TAG, "$x$", "**bold**", "`code`", "=1+2", f"<{EVIL}/auto>", f"{EVIL}/bare",
           "a | b", "# heading", "- item", "a &amp; b &#60;", "x\n\n    indented\n---"]
TAGS = re.compile(r"<[^>]+>")


def render_markdown(text: str) -> str:
    """Markdown to HTML as the report pages render it (nbconvert's mistune)."""
    from nbconvert.filters.markdown_mistune import markdown2html_mistune
    return markdown2html_mistune(text)


def visible(fragment: str) -> str:
    return html.unescape(TAGS.sub("", fragment)).strip()


def shown(text: str) -> str:
    """What a literal rendering of ``text`` reads (line breaks are spaces)."""
    return re.sub(r"[\r\n]+", " ", text)


@pytest.mark.parametrize("text", HOSTILE)
def test_markdown_shows_the_text_as_written(text):
    for source, tags in ((f"*{literal.md(text)}*", {"<p>", "</p>", "<em>", "</em>"}),
                         (f"**Team:** {literal.md(text)} done",
                          {"<p>", "</p>", "<strong>", "</strong>"}),
                         (f"| a | b |\n|---|---|\n| {literal.md(text)} | 2 |", None)):
        out = render_markdown(source)
        assert not re.search(r"<(img|a|code|h\d|li|ul|pre|hr|del|script)\b", out), out
        if tags is not None:
            assert set(re.findall(r"</?\w+>", out)) <= tags, out
            assert shown(text) in visible(out)
        else:   # one row of two cells: a '|' in the text does not split its cell
            assert re.findall(r"<td>(.*?)</td>", out, re.S) and \
                [visible(c) for c in re.findall(r"<td>(.*?)</td>", out, re.S)] \
                == [shown(text), "2"]
    assert "$" not in literal.md(text)          # nothing for a maths parser to find


def test_html_escapes_text_cells_and_labels():
    frame = pd.DataFrame({TAG: [IMG, JS], "n": [1, 2]}, index=[TAG, "$x$"])
    out = literal.table(frame, index=True).to_html()
    assert "<img" not in out and html.escape(TAG) in out
    assert literal.html('" onmouseover="x') == "&quot; onmouseover=&quot;x"


def test_csv_cells_that_would_be_formulas_are_prefixed():
    frame = pd.DataFrame({
        "team": pd.Categorical(["=1+2", "@SUM(A1)", "+cmd", "-2+3", "\tx", "\rx", "phone"]),
        "note": ["=HYPERLINK(\"http://evil\")", None, "ok", "-", "a=1", "@", ""],
        "value": [-0.5, 1.0, -2.0, 0.0, 3.5, -1e-9, 7.0],
        "n": [-3, 1, 2, 3, 4, 5, 6]})
    safe = literal.csv_safe(frame)
    assert list(safe["team"]) == ["'=1+2", "'@SUM(A1)", "'+cmd", "'-2+3", "'\tx", "'\rx", "phone"]
    assert safe["note"].iloc[[0, 2, 3, 4, 5, 6]].tolist() == [
        "'=HYPERLINK(\"http://evil\")", "ok", "'-", "a=1", "'@", ""]
    assert pd.isna(safe["note"].iloc[1])
    assert safe["value"].tolist() == frame["value"].tolist() and safe["value"].dtype == float
    assert safe["n"].tolist() == frame["n"].tolist()
    written = safe.drop(index=5).to_csv(index=False)    # (pandas leaves a bare CR unquoted)
    back = pd.read_csv(io.StringIO(written), keep_default_na=False)
    assert back["value"].iloc[0] == -0.5 and back["n"].iloc[0] == -3     # numbers stay numbers
    assert not any(str(c).startswith(literal.FORMULA_PREFIXES)
                   for c in back[["team", "note"]].to_numpy().ravel())
    assert frame["team"].iloc[0] == "=1+2"                                # the input is untouched


FORMULA_TEAMS = ["=1+2", "@SUM(A1)", "+cmd", "-2+3", "\tx"]


def _text_cells(path: Path) -> list[str]:
    import csv
    with open(path, newline="", encoding="utf-8") as fh:
        rows = list(csv.reader(fh))
    out = []
    for row in rows:
        for cell in row:
            try:
                float(cell)
            except ValueError:
                out.append(cell)
    return out


def test_kpis_csv_has_no_formula_cells(tmp_path):
    """Export team names that are formulas.  The CSV holds team ids, which cannot
    start with = + - @ (servicekpi.teams), so this guards csv_safe staying on
    the write path rather than reproducing a live injection."""
    rows = [f'{i},"{name}",2024-01-0{i} 09:00,2024-01-0{i} 10:00'
            for i, name in enumerate(FORMULA_TEAMS, start=1)]
    export = write_csv(tmp_path / "t.csv", rows, header="ticket_id,team,created_at,resolved_at")
    out = tmp_path / "k.csv"
    proc = subprocess.run([str(BIN / "servicekpi"), "kpis", str(export), "--out", str(out)],
                          capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    cells = _text_cells(out)
    assert cells and not [c for c in cells if c.startswith(literal.FORMULA_PREFIXES)]
    assert pd.read_csv(out)["value"].dtype == float                # numbers stay numbers


# ---------------------------------------------------------------- the real batch
NAME = f"Billing {IMG} {JS} {TAG} $x$ **bold** `code` =1+2 $5_$10"   # in the export
VARIANT = NAME.replace("Billing", "BILLING")                         # same id, other spelling
DISPLAY = f"Phone {IMG} {JS} {TAG} $x$ **bold** =1+2"                 # display_name
TITLE = f"KPIs {IMG} $x$"
LABELS = {"fcr_rate": f"FCR {IMG} $x$", "csat_pct": f"CSAT {JS} {TAG} **b**"}
DEFINITION = f"def {IMG} {JS}"
OWNER = f"{IMG} {JS} {TAG} $x$ =1+2"
SOURCE = f"{JS} {IMG} {TAG} $y$"
CATEGORIES = {"billing question": IMG, "invoice query": JS, "payment failed": f"{TAG} | $x$",
              "order status": "**bold** `code`", "account access": "=1+2"}
_BATCH: dict = {}


def hostile_params(root: Path, demo: Path) -> Path:
    """The small demo with hostile text in every place user text comes from."""
    data = root / "data"
    data.mkdir(parents=True)
    t = pd.read_parquet(demo / "tickets.parquet")
    billing = t.index[t["team"] == "billing"]
    t["team"] = t["team"].replace({"billing": NAME})
    t.loc[billing[:3], "team"] = VARIANT
    t["category"] = t["category"].replace(CATEGORIES)
    t.to_parquet(data / "tickets.parquet")
    for f in ("kpi_table.csv", "targets.csv", "competencies.csv", "benchmarks.csv",
              "competency_targets.csv"):
        d = pd.read_csv(demo / f, dtype=str, keep_default_na=False)
        if "team" in d:            # other inputs name the team by its name, as allowed
            d["team"] = d["team"].replace({"billing": NAME})
        if "owner" in d:
            d["owner"] = OWNER
        if "source" in d:
            d["source"] = SOURCE
        d.to_csv(data / f, index=False)
    params = make_params(root, data, {
        "billing": f"team: {team_id(NAME)}\n",
        "phone": f"team: phone\ndisplay_name: {json.dumps(DISPLAY)}\n"})
    cat = yaml.safe_load((params / "catalogue.yaml").read_text())
    for k, v in LABELS.items():
        cat["kpis"][k]["label"] = v
    cat["kpis"]["abandonment_rate"]["definition"] = DEFINITION
    (params / "catalogue.yaml").write_text(yaml.safe_dump(cat, allow_unicode=True))
    with open(params / "defaults.yaml", "a") as fh:
        fh.write(f"title: {json.dumps(TITLE)}\n")
    return params


def hostile_batch(tmp_path_factory, demo_dir):
    """Run the real batch once per session on :func:`hostile_params` (shared with
    tests/test_browser.py); returns (summary, output folder)."""
    if "out" not in _BATCH:
        root = tmp_path_factory.mktemp("hostile")
        summary = run_reports(hostile_params(root, demo_dir), root / "reports", workers=2,
                              progress=False)
        _BATCH["out"] = (summary, root / "reports")
    return _BATCH["out"]


@pytest.fixture(scope="module")
def hostile(tmp_path_factory, demo_dir):
    return hostile_batch(tmp_path_factory, demo_dir)


def pages(out: Path) -> dict[str, str]:
    """The index, the overview and both team reports (those that were written)."""
    files = {"index": out / "index.html", "overview": out / "overview.html",
             "billing": out / "teams" / f"{team_id(NAME)}.html",
             "phone": out / "teams" / "phone.html"}
    return {name: f.read_text() for name, f in files.items() if f.exists()}


@pytest.mark.e2e
def test_hostile_text_runs_and_breaks_no_figure(hostile):
    summary, out = hostile
    assert [r.outcome for r in summary.results] == ["ok", "ok"], \
        [(r.team, r.error) for r in summary.results]
    assert summary.overview.outcome == "ok", summary.overview.error   # '$5_$10' in its heatmap


@pytest.mark.e2e
def test_no_markup_from_user_text_on_any_page(hostile):
    _, out = hostile
    for name, page in pages(out).items():
        assert not re.search(r'<img\b[^>]*\bsrc="(?!data:)', page), name
        assert not re.search(r'(href|src|action)\s*=\s*["\']?\s*javascript:', page, re.I), name
        assert not re.search(r"<[a-z][^<>]*\sonerror\s*=", page, re.I), name
        for made in ("<strong>bold</strong>", "<strong>b</strong>", "<code>code</code>",
                     f'href="{EVIL}'):
            assert made not in page, (name, made)
    assert len(pages(out)) == 4


@pytest.mark.e2e
def test_hostile_text_reads_as_written(hostile):
    _, out = hostile
    p = pages(out)
    esc = lambda s: html.escape(s, quote=False)  # noqa: E731
    expected = {
        "billing": [NAME, TITLE, *LABELS.values(), DEFINITION, SOURCE, *CATEGORIES.values(),
                    repr(VARIANT)],   # the data-quality note quoting the other spelling
        "phone": [DISPLAY, TITLE, *LABELS.values(), SOURCE],
        "overview": [DISPLAY, NAME, TITLE, LABELS["fcr_rate"], OWNER],
        "index": [DISPLAY, TITLE],
    }
    assert set(p) == set(expected)
    for name, texts in expected.items():
        for text in texts:
            assert esc(text) in p[name] or esc(text).replace("'", "&#x27;") in p[name], \
                (name, text)


@pytest.mark.e2e
def test_runner_kpis_csv_has_no_formula_cells(hostile):
    """The runner's all-KPIs CSV (a guard, as for ``servicekpi kpis``)."""
    _, out = hostile
    cells = _text_cells(out / "kpis.csv")
    assert cells and not [c for c in cells if c.startswith(literal.FORMULA_PREFIXES)]
