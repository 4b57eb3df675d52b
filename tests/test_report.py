"""The team report on a small hand-made export: the numbers each table shows
(worked by hand below), one result shape per kind (every table a Styler,
every figure a Figure or None), every section renders, and the Chinese
report speaks Chinese.

The export: teams ``a`` and ``b``, 25 tickets a month from January to June
2024, every ticket answered and resolved the same day.  Team a's satisfied
answers (csat 4 or 5) per month: 12, 15, 15, 17, 18, 20 of 25, so CSAT
(share satisfied) reads 48%, 60%, 60%, 68%, 72%, 80%; team b's 22 of 25
(88%) every month.  Complaints of team a: one "billing" in May; three
"billing" and two "delivery" in June; every other ticket's category is
"general".  Team a's one target: CSAT from 60%
(baseline 2024-02) to 90% by 2024-12, weight 1.  One external benchmark:
CSAT industry median 75%.
"""
import re

import pandas as pd
import pytest
from matplotlib.figure import Figure
from pandas.io.formats.style import Styler

from conftest import png_pixels, write_csv
from servicekpi.i18n import ALLOWED_WORDS, english_words, msg
from servicekpi.params import parameter_words
from servicekpi.report import Markdown, Note, TeamReport
from servicekpi.report import figures, sections, sentences, tables
from servicekpi.report.common import BETTER

HEADER = ("ticket_id,team,created_at,first_response_at,resolved_at,channel,sla_due_at,"
          "contacts,reopened,is_complaint,category,abandoned,handle_minutes,csat,customer_id")
MONTHS = ["2024-01", "2024-02", "2024-03", "2024-04", "2024-05", "2024-06"]
SATISFIED = {"a": [12, 15, 15, 17, 18, 20], "b": [22] * 6}
COMPLAINTS = {("a", "2024-05"): ["billing"],
              ("a", "2024-06"): ["billing", "billing", "billing", "delivery", "delivery"]}


def export_rows() -> list[str]:
    rows, n = [], 0
    for team, happy in SATISFIED.items():
        for month, k in zip(MONTHS, happy):
            causes = COMPLAINTS.get((team, month), [])
            for i in range(25):
                n += 1
                day = f"{month}-{i % 28 + 1:02d}"
                complaint = i < len(causes)
                cause = causes[i] if complaint else "general"
                rows.append(f"{n},{team},{day} 09:00,{day} 09:30,{day} 12:00,phone,"
                            f"{day} 18:00,1,no,{'yes' if complaint else 'no'},{cause},no,10,"
                            f"{5 if i < k else 2},c{n}")
    return rows


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    root = tmp_path_factory.mktemp("report")
    tickets = write_csv(root / "tickets.csv", export_rows(), header=HEADER)
    targets = root / "targets.csv"
    targets.write_text("team,kpi,baseline,baseline_period,target,deadline,weight\n"
                       "a,csat_pct,0.6,2024-02,0.9,2024-12,1\n")
    benchmarks = root / "benchmarks.csv"
    benchmarks.write_text("kpi,benchmark,value,source,as_of\n"
                          "csat_pct,industry_median,0.75,Survey 2024,2024-03-31\n")
    return {"tickets": str(tickets), "targets": str(targets), "benchmarks": str(benchmarks),
            "as_of": "2024-06-30 23:59:59"}


def load(files, language="en") -> TeamReport:
    return TeamReport.load(team="a", language=language, **files)


@pytest.fixture(scope="module")
def report(files):
    return load(files)


@pytest.fixture(scope="module")
def report_zh(files):
    return load(files, "zh")


def shown(styler: Styler, kpi_label: str) -> pd.Series:
    """The row of a table whose first cell is ``kpi_label``, as displayed."""
    data = styler.data
    return data[data.iloc[:, 0] == kpi_label].iloc[0]


def test_periods_and_units(report):
    assert report.period == pd.Period("2024-06", "M")
    assert report.partial is None
    assert report.periods == list(pd.period_range("2024-01", "2024-06", freq="M"))
    assert report.units["csat_pct"].scale == 1          # a share stays a share
    # "one team's KPI series": the assessed values, oldest first
    assert report.series("csat_pct").round(2).tolist() == [0.48, 0.6, 0.6, 0.68, 0.72, 0.8]


def test_headline_numbers(report):
    t = tables.headline(report)
    assert isinstance(t, Styler)
    row = shown(t, "CSAT (share satisfied)")
    assert list(t.data.columns[:3]) == ["KPI", "2024-06", "2024-05"]
    assert row["2024-06"] == "80.0%" and row["2024-05"] == "72.0%"
    assert row.iloc[3] == "+8.0 pp"
    assert row.iloc[4] == "64.7%"              # (48 + 60 + 60 + 68 + 72 + 80) / 6
    assert row.iloc[5] == "25"                 # answers in June
    # the change is coloured better (CSAT: higher is better)
    i = list(t.data.iloc[:, 0]).index("CSAT (share satisfied)")
    css = t._compute().ctx[(i, 3)]
    assert ("background-color", BETTER) in css


def test_gap_numbers(report):
    t = tables.gaps(report)
    row = shown(t, "CSAT (share satisfied)")
    cols = list(t.data.columns)
    assert cols[2] == "95% CI"
    assert row["current"] == "80.0%"
    assert row["baseline"] == "60.0% (2024-02)"
    assert row["target"] == "90.0% by 2024-12"
    assert row["better than target now"] == "no"
    assert row["gap to go"] == "10.0 pp"                 # 90% - 80%
    assert row["progress from baseline"] == "66%"        # (80 - 60) / (90 - 60), floored
    g = report.gaps().iloc[0]
    assert row["status"] == msg(f"status.{g['status']}")
    assert row["why"] and row["why"] != g["rule"]        # the rule in words, not its code


def test_scorecard_numbers_and_summary(report):
    t = tables.scorecard(report)
    row = shown(t, "CSAT (share satisfied)")
    assert row["progress score"] == "66.6"               # 66.67, floored: never a mark not reached
    assert row["weight"] == "100%" and row["points"] == "66.6"
    assert row["baseline"] == "60.0%" and row["value"] == "80.0%" and row["target"] == "90.0%"
    me = report.totals
    assert me["score"] == pytest.approx(200 / 3) and me["grade"] == "C"
    summary = sentences_text(report, "summary")
    assert "Composite score 66.6" in summary and f"grade {msg('grade.C')}" in summary
    # the score is stated once: in the summary, not again in the scorecard section
    assert "Composite score" not in sentences_text(report, "scorecard")


@pytest.fixture(scope="module")
def just_short(files, tmp_path_factory):
    """Team a's report with its CSAT target 0.02 pp above the June value (80%),
    deadline June (missed), and a lower-is-better target (first response:
    30 min now, 36 min at the baseline, 24 min the target)."""
    targets = tmp_path_factory.mktemp("short") / "targets.csv"
    targets.write_text("team,kpi,baseline,baseline_period,target,deadline,weight\n"
                       "a,csat_pct,0.6,2024-02,0.8002,2024-06,1\n"
                       "a,avg_first_response_hours,0.6,2024-02,0.4,2024-12,1\n")
    return {lang: load({**files, "targets": str(targets)}, lang) for lang in ("en", "zh")}


def test_a_missed_target_never_reads_as_met(just_short):
    r = just_short["en"]
    csat = "CSAT (share satisfied)"
    gap = shown(tables.gaps(r), csat)
    assert gap["current"] == "80.00%" and gap["target"] == "80.02% by 2024-06"
    assert gap["progress from baseline"] == "99%"        # 0.999, not "100%"
    row = shown(tables.scorecard(r), csat)
    assert row["value"] == "80.00%" and row["target"] == "80.02%"
    assert row["progress score"] == "99.9"               # 99.9, not "100"
    assert row["status"] == msg("status.missed")
    out = shown(tables.outlook(r), csat)
    assert out["target"] == "80.02% by 2024-06" and "80.00%" in out.iloc[3]
    # the contributions chart says the same score
    fig = figures.contributions(r)
    texts = [t.get_text() for ax in fig.axes for t in ax.texts]
    assert msg("figures.contributions.score", score="99.9") in texts
    assert not any(t == msg("figures.contributions.score", score="100") for t in texts)


def test_target_change_is_an_improvement(just_short):
    r = just_short["en"]
    t = tables.achievability(r)
    assert t.data.columns[2] == "improvement to target"
    fr = shown(t, r.catalogue.label("avg_first_response_hours"))
    assert fr.iloc[2] == "+12.0 min"                     # 36 -> 24 min: 12 min better
    assert shown(t, "CSAT (share satisfied)").iloc[2] == "+20.0 pp"
    zh = tables.achievability(just_short["zh"])
    assert zh.data.columns[2] == msg("team.achievable.col.change", "zh") == "达标所需改善"


def test_benchmark_and_causes_numbers(report):
    t = tables.benchmarks(report)
    row = shown(t, "CSAT (share satisfied)")
    assert row["value"] == "80.0%" and row[msg("figures.benchmark.industry_median")] == "75.0%"
    assert row["rank"] == "2 of 2"                        # team b: 88%
    assert "Survey 2024 (2024-03-31)" in t.caption
    c = tables.causes(report).data
    assert c.iloc[:, 0].tolist() == ["billing", "delivery"]
    assert c.iloc[:, 1].tolist() == ["3", "2"]
    assert c.iloc[:, 2].tolist() == ["60.0%", "40.0%"]
    assert c.iloc[:, 3].tolist() == ["60.0%", "100.0%"]
    assert c.iloc[:, 4].tolist() == ["1", "0"] and c.iloc[:, 5].tolist() == ["+2", "+2"]


def test_benchmarks_from_two_sources_and_of_other_names_are_each_a_column(files, tmp_path):
    """Two surveys giving an industry median for one KPI made every team's report fail
    (TypeError: unhashable type: 'Series'); a benchmark of another name (industry
    average, a peer club's) was left out of the table while its source was cited.
    Each is a column, named with its source when another source gives the same one;
    the bullet chart draws no bands it cannot draw, and says so."""
    from matplotlib.text import Text

    from servicekpi.report import figures
    two = tmp_path / "benchmarks.csv"
    two.write_text("kpi,benchmark,value,source,published\n"
                   "csat_pct,industry_median,0.72,Survey A,2024\n"
                   "csat_pct,industry_median,0.85,Survey B,2024-03-31\n"
                   "csat_pct,industry_average,0.78,Survey A,2024\n"
                   "csat_pct,peer club median,0.70,Peer club,2024-03-31\n")
    report = load({**files, "benchmarks": str(two)})
    t = tables.benchmarks(report)
    row = shown(t, "CSAT (share satisfied)")
    assert row["industry median (Survey A)"] == "72.0%"
    assert row["industry median (Survey B)"] == "85.0%"
    assert row["industry average"] == "78.0%" and row["peer club median"] == "70.0%"
    # a publication date as precise as written: "2024", not 2024-01-01
    assert "Survey A (2024)" in t.caption and "2024-01-01" not in t.caption
    assert list(t.data.columns[2:6]) == ["industry median (Survey A)",
                                         "industry median (Survey B)", "industry average",
                                         "peer club median"]
    texts = [x.get_text() for x in figures.bullet(report).findobj(Text)]
    assert "no bands: the benchmarks' sources give different values" in texts


def test_causes_tied_with_the_last_of_the_top_are_marked_as_tied():
    """Counts 5, 4, 2, 2, 2, 1 with the top 3: "top 3" on three rows, the two
    tied with the third marked as tied, in both languages."""
    from types import SimpleNamespace

    from servicekpi.diagnostics import pareto
    rows = [("a", 5), ("b", 4), ("c", 2), ("d", 2), ("e", 2), ("f", 1)]
    cats = [c for c, n in rows for _ in range(n)]
    tickets = pd.DataFrame({"team": "t", "category": cats, "is_complaint": True,
                            "created_at": pd.Timestamp("2024-06-03")})
    for lang, top, tied in (("en", "top 3", "tied with the top 3"), ("zh", "前3位", "与前3位并列")):
        fake = SimpleNamespace(language=lang,
                               top_causes=lambda n: pareto(tickets, top=n, freq="month"))
        marks = tables.causes(fake, 3).data.iloc[:, 6].tolist()
        assert marks == [top, top, top, tied, tied, ""]


def test_status_summary_counts_the_gap_table(report):
    g = report.gaps()
    from servicekpi.status import Status
    text = sentences_text(report, "summary")
    assert "1 target assessed for 2024-06." in text
    s = Status(g["status"].iloc[0])
    assert f"**1 {s.label('en')}**: CSAT (share satisfied)" in text


def sentences_text(report, key) -> str:
    return "\n".join(str(i) for i in sections.items(report, key) if isinstance(i, str))


TABLES = ("headline", "trend", "gaps", "achievability", "benchmarks", "scorecard", "outlook",
          "signals", "causes", "driver_segments", "competency", "quality", "parameters",
          "definitions")
FIGURES = ("trends", "trajectories", "bullet", "peers", "contributions", "fans", "control",
           "competency")


@pytest.mark.parametrize("language", ["en", "zh"])
def test_every_table_is_a_styler_and_every_figure_a_figure_or_none(files, language, report,
                                                                  report_zh):
    r = report if language == "en" else report_zh
    for name in TABLES:
        assert isinstance(getattr(tables, name)(r), Styler), name
        getattr(tables, name)(r).to_html()                      # renders
    for name in FIGURES:
        fig = getattr(figures, name)(r)
        assert fig is None or isinstance(fig, Figure), name
    assert figures.competency(r) is None          # no assessments named: nothing drawn


def test_an_empty_table_is_an_empty_styler(files, tmp_path):
    bare = {k: v for k, v in files.items() if k not in ("targets", "benchmarks")}
    r = TeamReport.load(team="a", **bare)
    for name in ("gaps", "achievability", "scorecard", "outlook", "signals"):
        t = getattr(tables, name)(r)
        assert isinstance(t, Styler) and t.data.empty and len(t.data.columns), name
    # the section shows the note instead
    assert sections.items(r, "gaps")[0] == Note(msg("report.note.no_targets"))


@pytest.mark.parametrize("language", ["en", "zh"])
def test_each_section_renders(report, report_zh, language, capsys):
    r = report if language == "en" else report_zh
    for key in sections.SECTIONS:
        for item in sections.items(r, key):
            assert isinstance(item, (Styler, Figure, Note, Markdown)), (key, type(item))
        r.section(key)                           # displays (plain text outside a notebook)
    with pytest.raises(ValueError, match="no report section"):
        sections.items(r, "nonsense")


def chinese_text(r) -> str:
    """Every word the Chinese report shows, but its figures: headings, sentences,
    notes, and every table's caption, headers and cells (HTML entities read as
    the characters they show, ids in <code> left out).  The data-quality
    details quote the export as read (encodings, mapping and column names):
    the loader's messages (data.*) are checked where they are written."""
    import html
    details = msg("data.columns.detail", "zh")
    parts = []
    for key in sections.SECTIONS:
        parts.append(str(sections.heading(r, key) or ""))
        for item in sections.items(r, key):
            if isinstance(item, Styler):
                data = item.data.drop(columns=[details], errors="ignore")
                parts += [item.caption or "", *map(str, item.data.columns),
                          *data.astype(str).to_numpy().ravel()]
            elif isinstance(item, str):
                parts.append(html.unescape(re.sub(r"<code>.*?</code>", "", str(item))))
    return "\n".join(parts)


def test_chinese_report_has_no_english_words(report_zh, files):
    from servicekpi.params import ReportParams
    data = {"csv", "Survey", "billing", "delivery", "general", "phone"}  # files, source,
    # categories; the appendix lists the parameters by the names a user writes
    allow = ALLOWED_WORDS | parameter_words() | data | set(ReportParams.model_fields)
    # the parameters table lists the parameters by name, their values as given
    params = {str(v) for v in report_zh.params.model_dump().values()}
    words = english_words(chinese_text(report_zh), allow=allow | {
        w for v in params for w in re.findall(r"[A-Za-z_]+", v)})
    assert words == [], sorted(set(words))


def test_summary_json_keys(report, tmp_path):
    import json
    report.write_summary(tmp_path / "s.json")
    data = json.loads((tmp_path / "s.json").read_text())
    assert data["grade"] == "C" and data["score"] == pytest.approx(66.7, abs=0.05)
    assert data["status_counts"] == {report.gaps()["status"].iloc[0]: 1}
    assert {"status_counts", "grade", "score", "capped_by", "grade_uncapped", "language",
            "period", "partial_period", "team", "name"} <= set(data)


def test_tables_and_figures_share_each_kpis_unit(report):
    """First response takes 30 minutes on every ticket: stored in hours (0.5),
    shown in minutes in the tables and on the trend panel's axis alike."""
    unit = report.units["avg_first_response_hours"]
    assert unit.code == "min" and unit.scale == pytest.approx(60)
    row = shown(tables.headline(report), "Average first response time")
    assert row["2024-06"] == "30.0 min" and row["2024-05"] == "30.0 min"
    fig = figures.trends(report)
    ax = next(a for a in fig.axes if a.get_title(loc="left").startswith(
        "Average first response time"))
    assert "(min)" in ax.get_ylabel()
    team = next(ln for ln in ax.get_lines() if ln.get_label() == "a")
    assert list(team.get_ydata()) == pytest.approx([30.0] * 6)


@pytest.mark.parametrize("language", ["en", "zh"])
def test_each_figure_is_shown_as_matplotlib_draws_it(report, report_zh, language, monkeypatch):
    """The page's image of every figure has exactly the pixels matplotlib's own
    way gives (the inline backend's crop to the content; a figure that fits its
    canvas: the canvas), though the heatmap and the contributions are cropped
    as measured, without matplotlib's draw before the crop."""
    import matplotlib
    from IPython.core.pylabtools import print_figure

    from servicekpi.plots import fits_canvas
    from servicekpi.report import common

    measured = {}
    real = common._content_box
    monkeypatch.setattr(common, "_content_box", lambda fig, kwargs: measured.setdefault(
        fig, real(fig, kwargs)))
    r = report if language == "en" else report_zh
    shown_ = {}
    for name in FIGURES:
        fig = getattr(figures, name)(r)
        if fig is None:
            continue
        assert fig in common.MEASURED, name
        image = png_pixels(common._png(fig).data)
        again = getattr(figures, name)(r)
        with matplotlib.rc_context({"savefig.bbox": None}):
            drawn = png_pixels(print_figure(again, "png", bbox_inches=(
                None if fits_canvas(again) else "tight")))
        assert image.shape == drawn.shape and (image == drawn).all(), name
        shown_[name] = measured.get(fig) is not None
    assert {name for name, box in shown_.items() if box} == {"peers", "contributions"}, shown_


def test_chinese_figures_have_no_english_words(report_zh):
    from matplotlib.text import Text
    allow = ALLOWED_WORDS | {"general", "billing", "delivery"}
    for name in FIGURES:
        fig = getattr(figures, name)(report_zh)
        if fig is None:
            continue
        texts = [t.get_text() for t in fig.findobj(Text)]
        words = english_words("\n".join(texts), allow=allow)
        assert words == [], (name, sorted(set(words)))


@pytest.mark.parametrize("drop, says", [
    (["is_complaint"], "it has no is_complaint column saying which tickets are complaints"),
    (["category"], "it has no category column"),
    (["is_complaint", "category"], "it has neither an is_complaint nor a category column"),
])
def test_no_causes_says_which_column_is_missing(files, tmp_path, drop, says):
    """An export with categories but no complaint flag (Freshdesk's Type, Salesforce's
    Type) is not said to lack a category column."""
    raw = pd.read_csv(files["tickets"], dtype=str).drop(columns=drop)
    export = tmp_path / "tickets.csv"
    raw.to_csv(export, index=False)
    r = TeamReport.load(team="a", tickets=str(export), as_of=files["as_of"])
    note = sections._causes_note(r)
    assert isinstance(note, Note) and says in str(note)


def test_an_average_over_fewer_periods_says_how_many(files, tmp_path):
    """Team a's March has no survey answer (its CSAT cells blank): CSAT's average is
    over 5 of the 6 periods, (48 + 60 + 68 + 72 + 80) / 5 = 65.6%, and says so
    beside the column's 'average of 6'; a KPI with all 6 reads plainly."""
    raw = pd.read_csv(files["tickets"], dtype=str)
    march = raw["team"].eq("a") & raw["created_at"].str.startswith("2024-03")
    raw.loc[march, "csat"] = ""
    export = tmp_path / "tickets.csv"
    raw.to_csv(export, index=False)
    t = tables.headline(TeamReport.load(team="a", tickets=str(export), as_of=files["as_of"]))
    assert t.data.columns[4] == "average of 6"
    assert shown(t, "CSAT (share satisfied)").iloc[4] == "65.6% (of 5)"
    assert shown(t, "Tickets created").iloc[4] == "25"


def test_a_share_of_open_tickets_reads_on_its_side_of_the_limit():
    """A week with 2 of 38 tickets open (5.26%) was marked "incomplete: 5% open"
    under a rule of more than 5%; 1 ticket open in 300 read "0% of its tickets still
    open".  Shares keep the decimals that keep them true."""
    from servicekpi.catalogue import fmt_share
    from servicekpi.kpis import MAX_OPEN_SHARE
    assert fmt_share(2 / 38, MAX_OPEN_SHARE) == "5.3%"
    assert fmt_share(0.0496, MAX_OPEN_SHARE) == "5%"           # not more than 5%: true
    assert fmt_share(1 / 300) == "0.3%" and fmt_share(0.31, MAX_OPEN_SHARE) == "31%"
    assert fmt_share(0) == "0%" and fmt_share(float("nan")) == "–"
    assert fmt_share(299 / 300) == "99.7%" and fmt_share(1) == "100%"   # not all open
    assert fmt_share(1e-6) == "<0.001%" and fmt_share(0.05000001, 0.05) == ">5%"


def test_the_header_does_not_repeat_a_name_that_is_the_id(report):
    """'团队：投诉处理中心（投诉处理中心）': the id beside the name only when they differ."""
    import dataclasses

    from servicekpi.report import sentences

    def line(r):
        return re.sub(r"<[^>]+>", "", str(sentences.header(r)).split("\n\n")[1])

    named = dataclasses.replace(report, params=report.params.model_copy(
        update={"display_name": "Team A"}), _cache={})
    assert line(named).startswith("**Team:** Team A (a) ")
    plain = dataclasses.replace(report, params=report.params.model_copy(
        update={"display_name": "a"}), _cache={})
    assert line(plain).startswith("**Team:** a  ") or line(plain).startswith("**Team:** a &nbsp;")


def test_a_weekly_teams_forecast_text_says_its_intervals_are_from_monthly_series(report):
    """The intervals' errors come from monthly series; a weekly or quarterly team's
    forecasts section said 'monthly series' and nothing of its own periods."""
    import dataclasses

    from servicekpi.report import sections
    monthly = str(sections.heading(report, "forecasts"))
    assert "This team's periods are" not in monthly
    weekly = dataclasses.replace(report, params=report.params.model_copy(
        update={"freq": "week"}), _cache={})
    assert "This team's periods are weekly: its intervals take the errors of monthly" \
        in str(sections.heading(weekly, "forecasts"))
    zh = dataclasses.replace(report, params=report.params.model_copy(
        update={"freq": "week", "language": "zh"}), _cache={})
    assert "。本团队按周评估：" in str(sections.heading(zh, "forecasts"))   # no space


def test_the_parameters_appendix_names_files_not_paths(report):
    """A mapping file was shown by its whole path, the other files by their names."""
    import dataclasses
    for mapping, shown in (("/srv/params/maps/custom.YAML", "custom.YAML"),
                           ("/srv/params/maps/custom_mapping", "custom_mapping"),
                           ("zendesk", "zendesk")):
        r = dataclasses.replace(report, params=report.params.model_copy(
            update={"mapping": mapping}), _cache={})
        rows = dict(tables.parameters(r).data.to_numpy().tolist())
        assert rows["mapping"] == shown


def test_trend_table_caption_says_which_periods_it_shows(report, report_zh):
    """The trend figure shows every period (6 here); the table of values only the
    last few, and its caption says so, not "Values per period" as if all."""
    assert report.periods[-1] == pd.Period("2024-06", "M") and len(report.periods) == 6
    assert "Values per period." in tables.trend(report).to_html()
    last = tables.trend(report, periods=4).to_html()
    assert "Values of the last 4 periods (the figure shows all 6)." in last
    assert ">2024-02<" not in last and ">2024-03<" in last
    assert "最近4期的数值（上图显示全部6期）。" in tables.trend(report_zh, periods=4).to_html()


def test_a_team_that_stopped_says_so(files, tmp_path):
    """Team c had 25 tickets in January and February and none after: in June, the
    period assessed, it has no value.  Its summary says it has had no tickets
    since February, 4 periods before June; its benchmark section says it has no
    value for June, not that no other team has one (a and b have theirs)."""
    raw = pd.read_csv(files["tickets"], dtype=str)
    c = raw[raw["team"].eq("a") & raw["created_at"].str[:7].isin(["2024-01", "2024-02"])].copy()
    c["team"] = "c"
    c["ticket_id"] = "c" + c["ticket_id"]
    export = tmp_path / "tickets.csv"
    pd.concat([raw, c]).to_csv(export, index=False)
    r = TeamReport.load(team="c", tickets=str(export), as_of=files["as_of"])
    assert r.period == pd.Period("2024-06", "M")
    assert str(sentences.quiet_note(r)) == (
        "The team has no tickets after 2024-02, 4 periods before 2024-06, the period "
        "assessed: it has no value for 2024-06, and its latest values are from 2024-02.")
    assert str(sections._no_comparison(r)) == (
        "The team has no value of these KPIs for 2024-06 (no tickets after 2024-02): it is "
        "not compared with benchmarks or other teams there.")
    zh = TeamReport.load(team="c", tickets=str(export), as_of=files["as_of"], language="zh")
    assert str(sentences.quiet_note(zh)).startswith("本团队2024-02之后没有工单，比评估期2024-06早4期")
    a = TeamReport.load(team="a", tickets=str(export), as_of=files["as_of"])
    assert sentences.quiet_note(a) is None
    # the index's row says it too, from the summary the report writes
    import json

    from servicekpi.runner import _status_cell
    r.write_summary(tmp_path / "c.json")
    summary = json.loads((tmp_path / "c.json").read_text())
    assert summary["last_tickets"] == "2024-02"
    assert _status_cell(summary, "en")["quiet"] == "no tickets after 2024-02"
    assert _status_cell(summary, "zh")["quiet"] == "2024-02之后没有工单"
    a.write_summary(tmp_path / "a.json")
    assert _status_cell(json.loads((tmp_path / "a.json").read_text()), "en")["quiet"] is None


def test_a_category_without_tickets_in_a_period_has_no_value_there(report):
    """Team a's June has delivery tickets (2 of 25), May none: the driver table
    shows delivery's May share 0.0% and its May value '–', not June's 100%
    (which the decomposition takes so that delivery has no rate effect)."""
    seg = report.main_driver()["decomposition"].segments.set_index("category")
    assert seg.loc["delivery", "weight_before"] == 0 and seg.loc["delivery", "rate"] == 0
    rows = tables.driver_segments(report).data.set_index("category")
    assert rows.loc["delivery"].tolist()[:4] == ["0.0%", "8.0%", "–", "100.0%"]
    assert rows.loc["general"].iloc[2] != "–"


def test_paces_read_in_their_own_unit(tmp_path):
    """Team a's resolution time falls 1.75 h a month from 110 h (shown in days);
    team b's 2.9 h a month.  The target, 110 - 1.75 x 5 - 3.3 x 6 h by December,
    asks 3.3 h a month.  In days each pace read '+0.1 d' beside 'beyond any pace
    seen'; in hours they read apart."""
    months = pd.period_range("2024-01", periods=6, freq="M")
    rows, n = [], 0
    for team, start, fall in (("a", 110.0, 1.75), ("b", 100.0, 2.9)):
        for i, m in enumerate(months):
            for j in range(25):
                n += 1
                t0 = pd.Timestamp(f"{m}-{j % 28 + 1:02d} 08:00")
                done = t0 + pd.Timedelta(hours=start - fall * i)
                rows.append(f"{n},{team},{t0:%Y-%m-%d %H:%M},{done:%Y-%m-%d %H:%M}")
    export = write_csv(tmp_path / "t.csv", rows,
                       header="ticket_id,team,created_at,resolved_at")
    base = 110 - 1.75 * 5
    targets = tmp_path / "targets.csv"
    targets.write_text("team,kpi,baseline,baseline_period,target,deadline\n"
                       f"a,avg_resolution_hours,{base},2024-06,{base - 3.3 * 6},2024-12\n")
    r = TeamReport.load(team="a", tickets=str(export), targets=str(targets),
                        as_of="2024-07-20 00:00", kpi_list=["avg_resolution_hours"])
    a = r.achievability().iloc[0]
    assert a["required_pace"] == pytest.approx(3.3) and a["own_best_pace"] == pytest.approx(1.75)
    row = shown(tables.achievability(r), "Average resolution time")
    assert row.iloc[1].startswith("4.2 d")                     # the baseline, in days
    assert list(row.iloc[4:8]) == ["+3.3 h", "+1.8 h", "+1.8 h", "+2.9 h"]


def test_the_unassigned_tickets_are_no_peer(files, tmp_path):
    """Tickets with a blank team make the team 'unassigned' (30 a month, all
    satisfied): a data-quality bucket, not a department.  Team a is ranked among
    the teams (2 of 2, behind b), not 3 of 3; the peer median is b's; the
    unassigned report itself still sees a and b."""
    raw = pd.read_csv(files["tickets"], dtype=str)
    blank = raw[raw["team"].eq("b")].copy()
    blank["team"] = ""
    blank["ticket_id"] = "u" + blank["ticket_id"]
    blank["csat"] = "5"
    export = tmp_path / "tickets.csv"
    pd.concat([raw, blank]).to_csv(export, index=False)
    r = TeamReport.load(team="a", tickets=str(export), as_of=files["as_of"])
    assert "unassigned" not in set(r.kpis["team"])
    b = r.benchmark_rows()
    csat = b[(b["kpi"] == "csat_pct") & (b["reference"] == "peer_median")].iloc[0]
    assert (csat["peer_rank"], csat["peer_count"]) == (2, 2)
    assert csat["reference_value"] == pytest.approx(22 / 25)             # b's alone
    assert "unassigned" not in set(r.peer_matrix().index)
    u = TeamReport.load(team="unassigned", tickets=str(export), as_of=files["as_of"])
    assert {"a", "b", "unassigned"} <= set(u.kpis["team"])


def test_a_change_on_few_observations_is_not_coloured(files, tmp_path):
    """Team a with 3 tickets in June (25 before): its changes are not coloured
    better or worse, and the caption says why; with 25 they are."""
    raw = pd.read_csv(files["tickets"], dtype=str)
    june = raw["team"].eq("a") & raw["created_at"].str.startswith("2024-06")
    export = tmp_path / "tickets.csv"
    raw.drop(raw[june].index[3:]).to_csv(export, index=False)
    r = TeamReport.load(team="a", tickets=str(export), as_of=files["as_of"])
    t = tables.headline(r)
    html_ = t.to_html()
    assert ("A change whose latest value rests on fewer than 20 observations is not "
            "coloured: it could be chance.") in html_
    h = r.headline().set_index("kpi")
    assert h.loc["csat_pct", "n"] == 3 and h.loc["csat_pct", "better"] != 0
    full = tables.headline(TeamReport.load(team="a", tickets=files["tickets"],
                                           as_of=files["as_of"])).to_html()
    assert "not coloured" not in full
    from servicekpi.report.common import BETTER, WORSE
    assert BETTER not in html_ and WORSE not in html_          # the cells' styles
    assert BETTER in full or WORSE in full


def test_a_targets_row_of_a_team_spelt_like_this_one_is_said_on_its_page(files, tmp_path):
    """targets.csv gives team a's CSAT target as team 'aa' (a typo; no such team
    in the export): a's page says so in its targets section, naming the file and
    the row, since its composite now weighs its other targets alone; b's page
    (not spelt alike) says nothing."""
    targets = tmp_path / "targets.csv"
    targets.write_text("team,kpi,baseline,baseline_period,target,deadline,weight\n"
                       "b,csat_pct,0.8,2024-02,0.9,2024-12,1\n"
                       "aa,csat_pct,0.6,2024-02,0.9,2024-12,1\n")
    kw = dict(tickets=files["tickets"], targets=str(targets), as_of=files["as_of"])
    a = TeamReport.load(team="a", **kw)
    assert str(sentences.stray_targets_note(a)) == (
        "targets.csv names the team 'aa' (row 3), which is not in the export: if these "
        "targets are this team's, fix the team there; until then they are not among its "
        "targets, and its composite weighs the others alone.")
    assert sentences.stray_targets_note(TeamReport.load(team="b", **kw)) is None
    zh = TeamReport.load(team="a", language="zh", **kw)
    assert str(sentences.stray_targets_note(zh)).startswith("targets.csv中写的团队 'aa'（第3行）")


def test_a_stray_targets_row_is_found_among_many(files, tmp_path):
    """Five rows of other stray teams come first (x1 to x5), then 'aa': each stray
    team is its own problem with its own rows, so a's note still finds row 7."""
    targets = tmp_path / "targets.csv"
    targets.write_text("team,kpi,baseline,baseline_period,target,deadline,weight\n"
                       + "".join(f"x{i},csat_pct,0.6,2024-02,0.9,2024-12,1\n" for i in range(1, 6))
                       + "aa,csat_pct,0.6,2024-02,0.9,2024-12,1\n")
    r = TeamReport.load(team="a", tickets=files["tickets"], targets=str(targets),
                        as_of=files["as_of"])
    assert [p.values for p in r.unused if p.source == "targets.csv"] == [
        ("x1",), ("x2",), ("x3",), ("x4",), ("x5",), ("aa",)]
    assert "'aa' (row 7)" in str(sentences.stray_targets_note(r))
