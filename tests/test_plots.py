"""Plot helpers: tidy data in, Axes (or Figure) out, direction-aware, in the report's
language and in the unit its tables use."""
import functools
import re
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest

import servicekpi as skpi
from analysis_data import kpi_rows, series, targets
from conftest import png_pixels
from servicekpi import plots
from servicekpi.config import CATALOGUE

CAT = skpi.load_catalogue(CATALOGUE)
K = kpi_rows(series("A", "fcr_rate", "2026-01", [0.71, 0.72, 0.73, 0.74])
             + series("B", "fcr_rate", "2026-01", [0.6, 0.6, 0.6, 0.6])
             + series("A", "avg_resolution_hours", "2026-01", [40, 39, 38, 37], rate=False)
             + series("B", "avg_resolution_hours", "2026-01", [30, 30, 30, 30], rate=False))
T = targets([("A", "fcr_rate", 0.70, "2025-12", 0.80, "2026-12"),
             ("A", "avg_resolution_hours", 41, "2025-12", 30, "2026-12")])
B = pd.DataFrame({"kpi": ["fcr_rate"] * 3, "benchmark": ["industry_median", "top_quartile",
                                                         "best_in_class"],
                  "value": [0.7, 0.78, 0.85], "source": "S", "as_of": pd.Timestamp("2026-06-30")})


def test_trend_returns_axes_with_team_and_peer_lines():
    ax = plots.kpi_trend(K, team="A", kpi="fcr_rate", catalogue=CAT)
    assert isinstance(ax, plt.Axes)
    assert len(ax.get_lines()) == 2 and "higher is better" in ax.get_title(loc="left")


def test_trajectory_draws_glide_target_and_benchmarks():
    ax = plots.kpi_trajectory(K, team="A", kpi="fcr_rate", target=T.iloc[0], benchmarks=B,
                              catalogue=CAT)
    labels = [ln.get_label() for ln in ax.get_lines()]
    assert {"actual", "glide path", "target"} <= set(labels)
    glide = next(ln for ln in ax.get_lines() if ln.get_label() == "glide path")
    assert glide.get_ydata()[0] == 0.70 and np.isclose(glide.get_ydata()[-1], 0.80)
    assert len([t for t in ax.texts if "quartile" in t.get_text()]) == 1


def test_bullet_chart_better_is_right():
    gaps = skpi.gap_table(K, T, catalogue=CAT)
    fig = plots.bullet_chart(gaps, B, catalogue=CAT)
    fcr_ax, res_ax = fig.axes
    assert fcr_ax.get_xlim()[0] < fcr_ax.get_xlim()[1]     # higher is better: rising axis
    assert res_ax.get_xlim()[0] > res_ax.get_xlim()[1]     # lower is better: reversed
    assert not fcr_ax.texts and not res_ax.texts


def test_bullet_chart_marks_a_bound_and_a_value_on_too_few_observations():
    """The gap table shows "at least 241.8 h" for a deadline period with tickets still
    open, and "insufficient data" for a value on 14 observations; the bullet chart drew
    both as plain values against the target.  Each is marked, and said."""
    gaps = skpi.gap_table(K, T, catalogue=CAT)
    gaps.loc[gaps["kpi"] == "avg_resolution_hours", "deadline_at_least"] = True
    gaps.loc[gaps["kpi"] == "fcr_rate", "n"] = 14
    fig = plots.bullet_chart(gaps, B, catalogue=CAT)
    fcr_ax, res_ax = fig.axes
    assert [t.get_text() for t in fcr_ax.texts] == ["n = 14, fewer than 20: insufficient data"]
    assert [t.get_text() for t in res_ax.texts] == ["at least (tickets still open)"]
    bar = next(p for p in res_ax.patches if p.get_hatch())
    assert bar.get_hatch() == "///"
    faint = [p for p in fcr_ax.patches if isinstance(p, plt.Rectangle) and p.get_alpha()]
    assert faint and faint[0].get_alpha() < 1
    plt.close("all")


def test_heatmap_and_contributions():
    ax = plots.peer_heatmap(skpi.peer_matrix(K, catalogue=CAT), team="A", catalogue=CAT)
    assert [t.get_text() for t in ax.get_yticklabels()] == ["A", "B"]
    sc = skpi.scorecard(K, T, catalogue=CAT)
    ax = plots.scorecard_contributions(sc.scores, team="A", catalogue=CAT)
    widths = sorted(p.get_width() for p in ax.patches if isinstance(p, plt.Rectangle)
                    and p.get_height() == 0.8)
    assert np.isclose(sum(sc.scores["contribution"]), sc.totals["score"].iloc[0])
    assert len(widths) == 4


def test_contributions_say_why_a_kpi_is_not_scored_and_never_round_to_100():
    from servicekpi.i18n import msg
    scores = pd.DataFrame({
        "team": "A", "kpi": ["fcr_rate", "csat_pct", "sla_attainment"],
        "weight": [0.4, 0.3, 0.3], "score": [99.75, np.nan, np.nan],
        "contribution": [39.9, np.nan, np.nan], "status": ["scored", "missing", "missing"],
        "reason": ["", "insufficient_data", "not_scorable"], "rule": "progress"})
    for lang in ("en", "zh"):
        ax = plots.scorecard_contributions(scores, team="A", catalogue=CAT, language=lang)
        texts = {t.get_text() for t in ax.texts}
        assert texts == {msg("figures.contributions.score", lang, score="99.7"),
                         *(msg("figures.contributions.not_scored", lang,
                               reason=msg(f"analysis.scorecard.reason.{code}", lang))
                           for code in ("insufficient_data", "not_scorable"))}
        plt.close(ax.figure)


def test_the_contributions_axis_label_lies_on_the_report_figure():
    """Its sentence is wider than the report's 8-inch figure in English: it wraps,
    and the page shows all of it (the inline backend's crop did not widen the
    image: the label's end was cut off)."""
    from servicekpi.i18n import use_cjk_font

    sc = skpi.scorecard(K, T, catalogue=CAT)
    for lang in ("en", "zh"):
        with plt.rc_context():
            if lang == "zh":
                use_cjk_font()
            fig, ax = plt.subplots(figsize=(8, 3))
            plots.scorecard_contributions(sc.scores, team="A", catalogue=CAT, ax=ax,
                                          language=lang)
            fig.canvas.draw()
            box = ax.xaxis.label.get_window_extent()
            assert fig.bbox.x0 <= box.x0 and box.x1 <= fig.bbox.x1, lang
            plt.close(fig)


def test_grids_return_figures():
    fig = plots.trend_grid(K, team="A", kpi_list=["fcr_rate", "avg_resolution_hours"],
                           catalogue=CAT)
    assert len([a for a in fig.axes if a.get_visible()]) == 2
    fig = plots.trajectory_grid(K, T, team="A", catalogue=CAT)
    assert len([a for a in fig.axes if a.get_visible()]) == 2


def test_small_multiples_shares_one_legend():
    fig = plots.small_multiples(["x", "y", "z"], lambda ax, item: ax.plot([0, 1], label=item),
                                ncols=2, panel=(2, 2), legend_cols=3)
    assert isinstance(fig, plt.Figure)
    assert [a.get_visible() for a in fig.axes] == [True, True, True, False]
    assert all(a.get_legend() is None for a in fig.axes)
    assert [t.get_text() for t in fig.legends[0].get_texts()] == ["x", "y", "z"]


# ------------------------------------------------- user text is drawn literally
HOSTILE_CAT = CAT.model_copy(deep=True)
HOSTILE_CAT.kpis["fcr_rate"].label = "FCR $x$ **b**"
HOSTILE_CAT.kpis["avg_resolution_hours"].label = r"Resolution $\frac{1}$"   # not valid maths
HOSTILE_CAT.kpis["avg_resolution_hours"].unit = "$hours_$"     # a unit shown as written:
HOSTILE_CAT.kpis["avg_resolution_hours"].format = "{:.1f}"     # not a duration
TEAM = "Plans $5_$10"                   # two '$': mathtext that matplotlib cannot parse
HK = K.assign(team=K["team"].replace({"A": TEAM}))
HT = T.assign(team=TEAM)


def drawn_text(fig) -> list[str]:
    """Every string the figure draws, as drawn (SVG with text kept as text): a
    label parsed as mathtext comes out as separate glyphs, not as its string."""
    import html
    import io
    import re
    buf = io.StringIO()
    with plt.rc_context({"svg.fonttype": "none"}):
        fig.savefig(buf, format="svg")      # mathtext is parsed here: bad maths raises
    return [html.unescape(t) for t in re.findall(r"<text\b[^>]*>([^<]*)</text>", buf.getvalue())]


def test_labels_team_names_and_units_are_drawn_as_written():
    from servicekpi import literal
    from servicekpi.diagnostics import control_chart
    fcr, res = "FCR $x$ **b**", r"Resolution $\frac{1}$"
    literal.plain_figures()
    figs = {
        "trend": plots.trend_grid(HK, team=TEAM, kpi_list=["fcr_rate", "avg_resolution_hours"],
                                  catalogue=HOSTILE_CAT),
        "trajectory": plots.trajectory_grid(HK, HT, team=TEAM, catalogue=HOSTILE_CAT,
                                            benchmarks=B.assign(benchmark="$b$ est")),
        "bullet": plots.bullet_chart(skpi.gap_table(HK, HT, catalogue=HOSTILE_CAT), B,
                                     catalogue=HOSTILE_CAT),
        "heatmap": plots.peer_heatmap(skpi.peer_matrix(HK, catalogue=HOSTILE_CAT), team=TEAM,
                                      catalogue=HOSTILE_CAT).figure,
        "contributions": plots.scorecard_contributions(
            skpi.scorecard(HK, HT, catalogue=HOSTILE_CAT).scores, team=TEAM,
            catalogue=HOSTILE_CAT, ax=plt.subplots()[1]).figure,
        "control": plots.control_chart(control_chart(HK, TEAM, "fcr_rate"),
                                       catalogue=HOSTILE_CAT, ax=plt.subplots()[1]).figure,
        "fan": plots.fan_chart(HK, None, team=TEAM, kpi="avg_resolution_hours",
                               target=HT.iloc[1], catalogue=HOSTILE_CAT,
                               ax=plt.subplots()[1]).figure,
    }
    expected = {"trend": [fcr + "  (higher is better)", TEAM, res + " ($hours_$)"],
                "trajectory": [fcr, res, "$b$ est"], "bullet": [fcr, res],
                "heatmap": [fcr, res, TEAM], "contributions": [fcr, res],
                "control": [fcr + "  ("], "fan": [res]}
    for name, fig in figs.items():
        texts = drawn_text(fig)
        for text in expected[name]:
            assert any(t == text or t.startswith(text) for t in texts), (name, text, texts)
    heat = figs["heatmap"].axes[0]
    mine = [lab for lab in heat.get_yticklabels() if lab.get_text() == literal.mpl(TEAM)]
    assert mine and mine[0].get_color() == plots.TEAM_COLOUR      # still picked out


def test_competency_labels_are_drawn_as_written():
    g = pd.DataFrame({"team": "t", "dimension": ["adaptability", "communication"],
                      "mean": [3.0, 4.0], "target": [4.0, 4.0]})
    ax = plots.competency_radar(g, team="t", labels={"communication": "$5_$10"})
    texts = drawn_text(ax.figure)
    assert "$5_$10" in texts and "Adaptability" in texts


def test_plain_figures_turns_latex_off():
    from servicekpi import literal
    with plt.rc_context({"text.usetex": True}):
        literal.plain_figures()
        assert plt.rcParams["text.usetex"] is False


# ------------------------------------------------- units: drawn as the tables show them
# Phone-like first responses: 3-4 minutes, stored in hours.
FR = "median_first_response_hours"
MINUTES = [3.0 + 0.05 * i + 0.3 * np.sin(i) for i in range(24)]
FK = kpi_rows(series("A", FR, "2024-01", [m / 60 for m in MINUTES], rate=False)
              + series("B", FR, "2024-01", [4.2 / 60] * 24, rate=False))
FT = targets([("A", FR, 3.2 / 60, "2024-12", 2.5 / 60, "2026-06")])


@functools.cache
def fr_gaps() -> pd.DataFrame:
    """The gap table of FT, with its simulation (computed once: it is slow)."""
    return skpi.gap_table(FK, FT, catalogue=CAT)


def test_duration_drawn_in_its_display_unit():
    from servicekpi.catalogue import Unit
    from servicekpi.diagnostics import control_chart
    unit = CAT[FR].display_unit(FK.loc[FK["team"] == "A", "value"])
    assert unit == Unit("min", 60)
    ax = plots.kpi_trend(FK, team="A", kpi=FR, catalogue=CAT, ax=plt.subplots()[1])
    team = next(ln for ln in ax.get_lines() if ln.get_label() == "A")
    assert np.allclose(team.get_ydata(), MINUTES)
    peers = next(ln for ln in ax.get_lines() if ln.get_label() == "median of other teams")
    assert np.allclose(peers.get_ydata(), 4.2)
    assert ax.get_ylabel() == "Median first response time (min)"
    ax = plots.kpi_trajectory(FK, team="A", kpi=FR, target=FT.iloc[0], catalogue=CAT,
                              ax=plt.subplots()[1], language="zh")
    lines = {ln.get_label(): ln.get_ydata() for ln in ax.get_lines()}
    assert np.allclose(lines["实际值"], MINUTES) and np.isclose(lines["目标"][0], 2.5)
    assert ax.get_ylabel() == "首次响应时间中位数（分钟）"
    ax = plots.control_chart(control_chart(FK, "A", FR), catalogue=CAT, ax=plt.subplots()[1])
    value = next(ln for ln in ax.get_lines() if ln.get_label() == "value")
    assert np.allclose(value.get_ydata(), MINUTES)
    sim = fr_gaps().attrs["simulations"][("A", FR)]
    ax = plots.fan_chart(FK, sim, team="A", kpi=FR, target=FT.iloc[0], catalogue=CAT,
                         ax=plt.subplots()[1])
    median = next(ln for ln in ax.get_lines() if ln.get_label() == "forecast (median)")
    assert 1 < np.nanmedian(median.get_ydata()) < 6          # minutes, not 0.05 hours
    bullet = plots.bullet_chart(fr_gaps(), catalogue=CAT)
    target = [ln for ln in bullet.axes[0].get_lines()][0].get_xdata()[0]
    assert np.isclose(target, 2.5)


def test_units_given_are_used_for_every_kpi():
    from servicekpi.catalogue import Unit
    ax = plots.kpi_trend(FK, team="A", kpi=FR, catalogue=CAT, units={FR: Unit("s", 3600)},
                         ax=plt.subplots()[1], language="zh")
    team = next(ln for ln in ax.get_lines() if ln.get_label() == "A")
    assert np.allclose(team.get_ydata(), [60 * m for m in MINUTES])
    assert ax.get_ylabel() == "首次响应时间中位数（秒）"
    ax = plots.kpi_trend(K, team="A", kpi="fcr_rate", catalogue=CAT, ax=plt.subplots()[1])
    assert ax.get_ylabel() == "First-contact resolution (%)"
    plt.gcf().canvas.draw()
    assert all(t.get_text().endswith("%") for t in ax.get_yticklabels() if t.get_text())


# ------------------------------------------------- every word of a Chinese figure is Chinese
def chinese_figures():
    from servicekpi.competencies import DIMENSIONS
    from servicekpi.diagnostics import control_chart
    gaps = fr_gaps()
    sim = gaps.attrs["simulations"][("A", FR)]
    bench = pd.DataFrame({"kpi": [FR] * 3, "benchmark": ["industry_median", "top_quartile",
                                                         "best_in_class"],
                          "value": [4.5 / 60, 3 / 60, 2 / 60], "source": "S"})
    scores = pd.DataFrame({"team": "A", "kpi": [FR, "fcr_rate"], "weight": [0.6, 0.4],
                           "score": [40.0, np.nan], "contribution": [24.0, np.nan],
                           "status": ["scored", "missing"], "rule": "progress"})
    stepped = control_chart(FK, "A", FR)
    stepped.loc[stepped.index[14:], "stage"] = 2         # a new stage: its marker and label
    radar = pd.DataFrame({"team": "A", "dimension": list(DIMENSIONS), "mean": 3.0,
                          "target": 4.0})
    zh = {"language": "zh"}
    both = pd.concat([FK, K])
    yield "trend", plots.trend_grid(both, team="A",
                                    kpi_list=[FR, "fcr_rate", "avg_resolution_hours"],
                                    catalogue=CAT, partial=pd.Period("2025-12", "M"), **zh)
    yield "trajectory", plots.trajectory_grid(FK, FT, team="A", benchmarks=bench, catalogue=CAT,
                                              **zh)
    yield "bullet", plots.bullet_chart(gaps, bench, catalogue=CAT, **zh)
    yield "heatmap", plots.peer_heatmap(skpi.peer_matrix(both, catalogue=CAT), team="A",
                                        catalogue=CAT, period="2025-12", **zh).figure
    yield "contributions", plots.scorecard_contributions(scores, team="A", catalogue=CAT,
                                                         ax=plt.subplots()[1], **zh).figure
    yield "fan", plots.fan_chart(FK, sim, team="A", kpi=FR, target=FT.iloc[0], catalogue=CAT,
                                 ax=plt.subplots()[1], **zh).figure
    yield "control", plots.control_chart(stepped, catalogue=CAT, ax=plt.subplots()[1],
                                         **zh).figure
    yield "radar", plots.competency_radar(radar, team="A", **zh).figure


def test_figures_measured_as_laid_out_have_matplotlibs_pixels(monkeypatch):
    """Every kind of figure the plots draw (the radar's polar axes, the heatmap's
    colour bar, the wrapped label of the contributions, legends, a stage's
    label), cropped as measured (in :data:`~servicekpi.report.common.MEASURED`),
    has exactly the pixels of matplotlib's own crop; a figure not made by a
    report is never measured."""
    import matplotlib
    from IPython.core.pylabtools import print_figure

    from servicekpi.i18n import use_cjk_font
    from servicekpi.report import common

    measured = []
    real = common._content_box
    monkeypatch.setattr(common, "_content_box", lambda fig, kwargs: measured.append(
        (fig, real(fig, kwargs))) or measured[-1][1])
    with plt.rc_context():
        use_cjk_font()
        for name, fig in chinese_figures():
            if plots.fits_canvas(fig) or fig.get_layout_engine() is not None:
                plt.close(fig)
                continue
            common.MEASURED.add(fig)
            ours = png_pixels(common._png(fig).data)
            with matplotlib.rc_context({"savefig.bbox": None}):
                theirs = png_pixels(print_figure(fig, "png", bbox_inches="tight"))
            assert ours.shape == theirs.shape and (ours == theirs).all(), name
            assert measured[-1][0] is fig and measured[-1][1] is not None, name
            plt.close(fig)
    assert len(measured) >= 4
    fig, ax = plt.subplots()
    ax.plot([0, 1])
    common._png(fig)                       # a user's figure: matplotlib's way
    assert measured[-1][0] is not fig
    plt.close(fig)


def test_chinese_figures_draw_no_english_word():
    from servicekpi.i18n import ALLOWED_WORDS, english_words, has_cjk, use_cjk_font
    with plt.rc_context():
        use_cjk_font()
        for name, fig in chinese_figures():
            texts = [t for t in drawn_text(fig) if t.strip()]
            words = [w for t in texts for w in english_words(t, ALLOWED_WORDS)]
            assert not words, (name, words, texts)
            assert any(has_cjk(t) for t in texts), name
            plt.close(fig)


def test_the_english_word_check_sees_every_kind_of_text():
    """The walk above reads titles, axis labels, tick labels, legends and
    annotations: English in any of them is found."""
    from servicekpi.i18n import english_words
    fig, ax = plt.subplots()
    ax.set_title("KPI")
    ax.set_ylabel("NPS (points)")
    ax.plot([0, 1], label="actual")
    ax.legend()
    ax.annotate("stage 2", (0, 0))
    ax.set_xticks([0, 1], ["2026-01", "week"])
    texts = drawn_text(fig)
    assert sorted(w for t in texts for w in english_words(t)) == ["actual", "points", "stage",
                                                                  "week"]


def test_team_heatmap_among_many_teams_shows_its_nearest_ranks():
    """30 teams: the team report's heatmap keeps 25 rows, the team's among them, and
    says which ranks it shows; the overview's (no team) keeps all 30."""
    from servicekpi.report.figures import PEER_ROWS
    teams = [f"t{i:02d}" for i in range(30)]
    k = kpi_rows([(t, "2026-06", "fcr_rate", 0.5 + i / 100, 100) for i, t in enumerate(teams)]
                 + [(t, "2026-06", "csat_score", 3 + i / 20, 100) for i, t in enumerate(teams)])
    m = skpi.peer_matrix(k, catalogue=CAT)
    shown = skpi.nearest_peers(m, "t03", PEER_ROWS)
    ax = plots.peer_heatmap(shown, team="t03", catalogue=CAT, period="2026-06")
    rows = [t.get_text() for t in ax.get_yticklabels()]
    # best first: t29 ... t00; t03 is 27th of 30, so the last 25 ranks are kept
    assert PEER_ROWS == 25
    assert rows == [f"t{i:02d}" for i in range(24, -1, -1)] and "t03" in rows
    assert ax.get_title(loc="left").splitlines()[1] == (
        "t03 and the teams ranked nearest to it by mean percentile: ranks 6–30 of 30")
    assert len(plots.peer_heatmap(m, catalogue=CAT).get_yticklabels()) == 30
    absent = plots.peer_heatmap(skpi.nearest_peers(m, "gone", PEER_ROWS), team="gone",
                                catalogue=CAT, period="2026-06")
    assert absent.get_title(loc="left").splitlines()[1] == (
        "The teams ranked best by mean percentile: ranks 1–25 of 30")


def test_trend_steps_over_a_missing_value():
    """A period without a value: the team's line joins its neighbours (as before),
    labelled once; a solid run with no value at all draws nothing, and the team's
    name labels the first run drawn.  Standalone, the Axes has its legend."""
    k = K.copy()
    a_fcr = (k["team"] == "A") & (k["kpi"] == "fcr_rate")
    k.loc[a_fcr & (k["period"] == pd.Period("2026-02", "M")), "value"] = np.nan
    ax = plots.kpi_trend(k, team="A", kpi="fcr_rate", catalogue=CAT, ax=plt.subplots()[1])
    team = [ln for ln in ax.get_lines() if ln.get_label() == "A"]
    assert len(team) == 1
    assert list(team[0].get_xdata()) == [0, 2, 3]
    assert np.allclose(team[0].get_ydata(), [0.71, 0.73, 0.74])
    assert ax.get_legend() is None                      # an Axes given: its caller's legend
    # January missing, February partial (hollow): the first solid run has no value
    k.loc[a_fcr & (k["period"] == pd.Period("2026-01", "M")), "value"] = np.nan
    k.loc[a_fcr & (k["period"] == pd.Period("2026-02", "M")), "value"] = 0.72
    plt.figure()
    ax = plots.kpi_trend(k, team="A", kpi="fcr_rate", catalogue=CAT,
                         partial=pd.Period("2026-02", "M"))
    team = [ln for ln in ax.get_lines() if ln.get_label() == "A"]
    assert len(team) == 1 and list(team[0].get_xdata()) == [2, 3]
    assert "A" in [t.get_text() for t in ax.get_legend().get_texts()]


def test_partial_period_given_as_compute_kpis_writes_it():
    """``compute_kpis`` gives the partial period as a label (attrs travel into
    Parquet): a week's, 2026-W05, marks the week 26 Jan - 1 Feb in a weekly table
    (pandas writes it 2026-01-26/2026-02-01, which the label never equalled)."""
    weeks = pd.period_range("2026-01-05", periods=4, freq="W-SUN")     # 2026-W02..W05
    k = pd.DataFrame({"team": "A", "period": weeks, "kpi": "fcr_rate",
                      "value": [0.7, 0.71, 0.72, 0.5], "n": 100})
    k.attrs["freq"] = "week"
    for partial in ("2026-W05", weeks[-1]):
        plt.figure()
        ax = plots.kpi_trend(k, team="A", kpi="fcr_rate", catalogue=CAT, partial=partial)
        team = [ln for ln in ax.get_lines() if ln.get_label() == "A"]
        assert list(team[0].get_xdata()) == [0, 1, 2]           # the partial week hollow
        assert "partial period" in [t.get_text() for t in ax.get_legend().get_texts()]
    plt.figure()
    ax = plots.kpi_trend(k, team="A", kpi="fcr_rate", catalogue=CAT)
    team = [ln for ln in ax.get_lines() if ln.get_label() == "A"]
    assert list(team[0].get_xdata()) == [0, 1, 2, 3]


def test_trend_grid_has_a_fixed_layout_whose_labels_fit_between_panels():
    """The trend grid is laid out without tight_layout: every panel has TREND_SPACING
    inches left of and above it, and each panel's y labels (tick labels and axis
    label, the widest a 7-character value) stay clear of the panel on its left,
    its title clear of the panel above."""
    big = kpi_rows(series("A", "volume", "2026-01", [1_234_567, 2_345_678, 1_999_999, 2_000_000],
                          rate=False) + series("B", "volume", "2026-01", [5, 6, 7, 8], rate=False))
    k = pd.concat([K, big], ignore_index=True)
    fig = plots.trend_grid(k, team="A", kpi_list=["fcr_rate", "volume", "avg_resolution_hours"],
                            catalogue=CAT, ncols=2)
    left, above = plots.TREND_SPACING
    dpi = fig.dpi
    axes = [ax for ax in fig.axes if ax.get_visible()]
    boxes = [ax.get_position().transformed(fig.transFigure) for ax in axes]
    assert np.isclose((boxes[1].x0 - boxes[0].x1) / dpi, left)          # gap between columns
    assert np.isclose((boxes[0].y0 - boxes[2].y1) / dpi, above)         # gap between rows
    for b in boxes:                                          # every plot area its panel size
        assert np.allclose((b.width / dpi, b.height / dpi), (3.6, 2.15))
    one = plots.trend_grid(K, team="A", kpi_list=["fcr_rate"], catalogue=CAT)
    b = one.axes[0].get_position().transformed(one.transFigure)
    assert np.allclose((b.width / one.dpi, b.height / one.dpi), (3.6, 2.15))   # one panel too
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    ticks = [t.get_text() for t in axes[1].get_yticklabels() if t.get_text()]
    assert max(map(len, ticks)) >= 9                        # "2,000,000": wider than 7
    assert "2,000,000" in ticks and not any("e+" in t for t in ticks)    # never 2e+06
    assert axes[1].get_tightbbox(renderer).x0 > boxes[0].x1
    assert axes[2].get_tightbbox(renderer).y1 < boxes[0].y0


def weekly(kpis, team="A", weeks=13, value=1_999_999.0):
    """A weekly KPI table: labels of 8 characters (2026-W05), values of 9."""
    periods = pd.period_range("2026-01-05", periods=weeks, freq="W")
    rows = [{"team": t, "period": p, "kpi": k, "value": value * (1 + i / 100), "n": 100}
            for t in (team, "B") for k in kpis for i, p in enumerate(periods)]
    return pd.DataFrame(rows)


def _on_its_canvas(fig) -> tuple[int, int]:
    """Assert that ``fig`` is said to fit its canvas and that, drawn, its whole
    content lies on it; its canvas' size in pixels."""
    assert plots.fits_canvas(fig)
    fig.canvas.draw()
    content = fig.get_tightbbox(fig.canvas.get_renderer())          # inches
    width, height = fig.get_size_inches()
    assert content.x0 >= 0 and content.y0 >= 0
    assert content.x1 <= width and content.y1 <= height, (content, width, height)
    return round(width * fig.dpi), round(height * fig.dpi)


def _png_size(png: bytes) -> tuple[int, int]:
    """Width and height from a PNG's header."""
    return int.from_bytes(png[16:20], "big"), int.from_bytes(png[20:24], "big")


def test_a_fixed_layout_fits_its_canvas_and_is_shown_as_it_is():
    """A trend grid's every label (the widest tick labels: 2026-W05 below, 2,000,000
    beside, titles, the legend) lies on its canvas, so the report shows the canvas
    itself: no crop pass, the image the canvas' size."""
    from servicekpi.report.common import _png

    kpis = ["volume", "avg_resolution_hours", "fcr_rate", "csat_score", "sla_attainment"]
    fig = plots.trend_grid(weekly(kpis), team="A", kpi_list=kpis, catalogue=CAT, ncols=3)
    canvas = _on_its_canvas(fig)
    png = _png(fig).data
    assert _png_size(png) == canvas                                  # the canvas itself
    idat = png.index(b"IDAT") + 4                  # zlib's header: FLEVEL 1 is levels 2-5
    assert png[idat + 1] >> 6 == 1                 # (zlib's default, 6, writes 2)
    plt.close(fig)


def test_labels_longer_than_the_layout_allows_are_cropped_as_before(monkeypatch):
    """A user's KPI label can be any length: a panel title past the figure's
    right edge, or a y axis label past its bottom (a panel of the last row, not
    the last column: its title runs into the next panel, not off the figure),
    makes the figure not fit, and it is shown cropped to its content (the
    inline backend's way), never cut off; a figure that fits is shown as the
    image of its canvas.  A canvas that cannot measure text (pdf) is never said
    to fit."""
    from matplotlib.backends.backend_pdf import FigureCanvasPdf
    from matplotlib.figure import Figure

    from servicekpi.report import common

    kpis = ["volume", "csat_score", "fcr_rate"]
    shown = []
    monkeypatch.setattr("IPython.display.display", lambda item, **kw: shown.append(item))
    monkeypatch.setattr(common, "_inline_png", lambda: True)
    for kpi, label in (("csat_score", None), ("csat_score", "First-contact resolution " * 4),
                       ("fcr_rate", "Share of tickets resolved at the first contact " * 2)):
        cat = CAT.model_copy(deep=True)
        if label:
            cat[kpi].label = label
        fig = plots.trend_grid(weekly(kpis), team="A", kpi_list=kpis, catalogue=cat, ncols=2)
        assert plots.fits_canvas(fig) == (label is None), (kpi, label)
        canvas = tuple(round(v * fig.dpi) for v in fig.get_size_inches())
        common.show(fig)
        size = _png_size(shown[-1].data)
        if label is None:
            assert size == canvas                    # the canvas itself
        else:                                        # cropped to every label: more
            assert size[0] > canvas[0] or size[1] > canvas[1], (size, canvas)
    assert [type(x).__name__ for x in shown] == ["Image", "Image", "Image"]
    pdf = Figure()
    pdf.add_subplot().set_title("t")
    FigureCanvasPdf(pdf)
    assert not plots._texts_inside(pdf, pdf.axes)


def test_a_crop_without_matplotlibs_first_draw_has_its_pixels():
    """A figure that does not fit its canvas (a title past its edge) is cropped
    as measured, without the draw matplotlib makes before it crops: the same
    image, pixel for pixel, as matplotlib's ``bbox_inches="tight"``."""
    from IPython.core.pylabtools import print_figure

    from servicekpi.report import common

    kpis = ["volume", "csat_score", "fcr_rate"]
    cat = CAT.model_copy(deep=True)
    cat["csat_score"].label = "First-contact resolution " * 4
    figs = [plots.trend_grid(weekly(kpis), team="A", kpi_list=kpis, catalogue=cat, ncols=2)
            for _ in range(2)]
    assert not plots.fits_canvas(figs[0])
    common.MEASURED.add(figs[0])                   # as the report's trends figure is
    assert common._content_box(figs[0], {}) is not None
    ours = png_pixels(common._png(figs[0]).data)
    theirs = png_pixels(print_figure(figs[1], "png", bbox_inches="tight"))
    assert ours.shape == theirs.shape and (ours == theirs).all()
    for fig in figs:
        plt.close(fig)


def test_a_grid_the_tight_layout_placed_is_shown_as_its_canvas(monkeypatch):
    """A grid laid out by matplotlib's tight layout (trajectories, control charts,
    fan charts) has every label on its canvas: it is shown as the canvas itself,
    without the crop pass.  A label the tight layout cannot place (it says so,
    and the warning is still given) is shown cropped to its content, never cut."""
    import warnings

    from servicekpi.report import common

    shown = []
    monkeypatch.setattr("IPython.display.display", lambda item, **kw: shown.append(item))
    monkeypatch.setattr(common, "_inline_png", lambda: True)
    fig = plots.trajectory_grid(K, T, team="A", catalogue=CAT)
    canvas = _on_its_canvas(fig)
    common.show(fig)
    assert _png_size(shown[-1].data) == canvas

    cat = CAT.model_copy(deep=True)
    cat["fcr_rate"].label = "First-contact resolution " * 8     # a title past the edge
    fig = plots.trajectory_grid(K, T, team="A", catalogue=cat)
    assert not plots.fits_canvas(fig)
    canvas = tuple(round(v * fig.dpi) for v in fig.get_size_inches())
    common.show(fig)
    size = _png_size(shown[-1].data)
    assert size[0] > canvas[0], (size, canvas)                 # cropped to the title: wider

    def long_ticks(ax, item):
        ax.plot([0, 1], label=item)
        ax.set_yticks([0.5], ["a very long tick label " * 6])
    with warnings.catch_warnings(record=True) as said:
        warnings.simplefilter("always")
        fig = plots.small_multiples(["x", "y"], long_ticks, ncols=2, panel=(3, 2),
                                    legend_cols=2)
    assert [str(w.message).split(".")[0] for w in said] == ["Tight layout not applied"]
    assert not plots.fits_canvas(fig)


def test_panel_titles_sit_above_the_plot_area_with_no_offset_text_to_step_over():
    """A panel's title stands at the top of its plot area, without matplotlib's
    search at every draw for an offset text ("1e6") under it (it measured every y
    tick label once more): the value axes write each tick in full, so there is
    none, even for values a default axis writes with one."""
    from matplotlib.text import Text

    from servicekpi.diagnostics import control_chart

    values = [1e6 + 0.1 * (1 + i % 4) for i in range(24)]
    near = kpi_rows(series("A", "avg_resolution_hours", "2024-01", values, rate=False)
                    + series("B", "avg_resolution_hours", "2024-01", values, rate=False))
    fig, ax = plt.subplots()
    ax.plot(values)
    fig.canvas.draw()
    assert ax.yaxis.get_offset_text().get_text()          # a default axis has one
    plt.close(fig)
    axes = []
    for catalogue in (CAT, None):
        for draw in (plots.kpi_trend, plots.kpi_trajectory):
            axes.append(draw(near, team="A", kpi="avg_resolution_hours", catalogue=catalogue,
                             ax=plt.subplots()[1]))
        axes.append(plots.control_chart(control_chart(near, "A", "avg_resolution_hours"),
                                        catalogue=catalogue, ax=plt.subplots()[1]))
    sim = fr_gaps().attrs["simulations"][("A", FR)]
    axes.append(plots.fan_chart(FK, sim, team="A", kpi=FR, target=FT.iloc[0], catalogue=CAT,
                                ax=plt.subplots()[1]))
    axes.append(plots.bullet_chart(fr_gaps(), catalogue=CAT).axes[0])
    for ax in axes:
        ax.figure.canvas.draw()
        for axis in (ax.xaxis, ax.yaxis):
            assert axis.get_offset_text().get_text() == ""
        title = next(t for t in ax.get_children() if isinstance(t, Text)
                     and t.get_text() == ax.get_title(loc="left"))
        assert title.get_text()
        assert title.get_window_extent().y0 >= ax.get_window_extent().y1
        plt.close(ax.figure)


def test_a_chinese_figure_drawn_from_a_notebook_gets_a_cjk_font(recwarn):
    """Outside a report nothing had set a CJK font: plots.kpi_trend(..., language="zh")
    drew every Chinese label as an empty box, with a "Glyph missing" warning each."""
    import matplotlib

    k = kpi_rows([("a", p, "fcr_rate", 0.7 + i / 100, 100)
                  for i, p in enumerate(["2026-01", "2026-02", "2026-03"])])
    with matplotlib.rc_context():
        matplotlib.rcdefaults()                     # as a fresh kernel has it
        ax = plots.kpi_trend(k, team="a", kpi="fcr_rate", language="zh",
                             catalogue=skpi.load_catalogue(CATALOGUE))
        ax.figure.canvas.draw()
        assert "首次解决率" in ax.get_title(loc="left")
        missing = [w for w in recwarn if "missing from" in str(w.message)]
        assert missing == []
        plt.close("all")


def test_weekly_periods_read_as_iso_weeks_in_figures_and_reasons():
    """Weekly reports showed pandas' week labels (2026-03-16/2026-03-22) on the
    trajectory and control-chart axes and in the gap table's reasons, beside
    tables and titles saying 2026-W12; the labels overlapped on the axes."""
    from servicekpi.diagnostics import control_chart
    from servicekpi.gaps import gap_table, why
    weeks = pd.period_range("2025-11-03", periods=24, freq="W")
    rng = np.random.default_rng(3)
    k = pd.DataFrame({"team": "A", "period": weeks, "kpi": "fcr_rate",
                      "value": 0.70 + rng.normal(0, 0.01, len(weeks)), "n": 400})
    k["numerator"] = k["value"] * k["n"]
    t = pd.DataFrame([{"team": "A", "kpi": "fcr_rate", "baseline": 0.70,
                       "baseline_period": weeks[2], "target": 0.80,
                       "deadline": weeks[-1] + 10,
                       "milestones": {}, "weight": 1.0, "owner": "o"}])
    g = gap_table(k, t, catalogue=CAT)
    reason = why(g).iloc[0]
    assert "2026-W" in reason and "/" not in reason, reason
    ax = plots.kpi_trajectory(k, team="A", kpi="fcr_rate", target=t.iloc[0], catalogue=CAT)
    ticks = [x.get_text() for x in ax.get_xticklabels()]
    assert ticks and all(re.fullmatch(r"20\d\d-W\d\d", x) for x in ticks), ticks
    ax = plots.control_chart(control_chart(k, "A", "fcr_rate"), catalogue=CAT)
    ticks = [x.get_text() for x in ax.get_xticklabels()]
    assert ticks and all(re.fullmatch(r"20\d\d-W\d\d", x) for x in ticks), ticks
    plt.close("all")


def test_a_team_or_kpi_not_in_the_table_is_refused_not_drawn_blank():
    """A team's name for its id ('Billing Team'), or a KPI code mistyped, drew a
    blank figure; the figure functions name what the table has instead.  So does
    pareto for the tickets."""
    import servicekpi as skpi
    from servicekpi import diagnostics
    with pytest.raises(skpi.InvalidArgument, match=r"team 'Billing Team' is not in the KPI "
                                                   r"table; their teams \(ids\): A, B"):
        plots.kpi_trend(K, team="Billing Team", kpi="fcr_rate")
    with pytest.raises(skpi.InvalidArgument, match=r"KPI 'fcr' is not in the KPI table; its "
                                                   r"KPIs: avg_resolution_hours, fcr_rate"):
        plots.kpi_trend(K, team="A", kpi="fcr")
    with pytest.raises(skpi.InvalidArgument, match=r"no KPI \['csat'\] in the catalogue nor "
                                                   r"in the KPI table; team 'A' has "):
        plots.trend_grid(K, team="A", kpi_list=["csat"])
    with pytest.raises(skpi.InvalidArgument, match="team 'Billing Team' is not in the KPI"):
        plots.trend_grid(K, team="Billing Team", kpi_list=["fcr_rate"])
    t = skpi.load_tickets(Path(__file__).parent / "fixtures" / "exports" / "zendesk.csv")
    with pytest.raises(skpi.InvalidArgument, match=r"team 'Billing' is not in the tickets; "
                                                   r"their teams \(ids\): billing, support"):
        diagnostics.pareto(t, team="Billing")


def test_a_value_on_few_observations_is_ringed_in_the_trend():
    """Team A's CSAT share rests on 3 answers in March (100%) and 400 before: its
    March point is ringed and the legend says why; values on 400 are not."""
    k = kpi_rows(series("A", "csat_pct", "2026-01", [0.7, 0.72], n=400)
                 + series("A", "csat_pct", "2026-03", [1.0], n=3)
                 + series("B", "csat_pct", "2026-01", [0.6, 0.6, 0.6], n=400))
    ax = plots.kpi_trend(k, team="A", kpi="csat_pct", catalogue=CAT)
    rings = [ln for ln in ax.get_lines() if ln.get_label() == "fewer than 20 observations"]
    assert len(rings) == 1 and list(rings[0].get_xdata()) == [2]
    assert "fewer than 20 observations" in [t.get_text() for t in ax.get_legend().get_texts()]
    plt.figure()
    ax = plots.kpi_trend(k[k["n"] > 3], team="A", kpi="csat_pct", catalogue=CAT)
    assert not [ln for ln in ax.get_lines() if ln.get_label() == "fewer than 20 observations"]
