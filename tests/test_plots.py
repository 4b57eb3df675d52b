"""Plot helpers: tidy data in, Axes (or Figure) out, direction-aware."""
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

import servicekpi as skpi
from analysis_data import kpi_rows, series, targets
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


def test_heatmap_and_contributions():
    ax = plots.peer_heatmap(skpi.peer_matrix(K, catalogue=CAT), team="A", catalogue=CAT)
    assert [t.get_text() for t in ax.get_yticklabels()] == ["A", "B"]
    sc = skpi.scorecard(K, T, catalogue=CAT)
    ax = plots.scorecard_contributions(sc.scores, team="A", catalogue=CAT)
    widths = sorted(p.get_width() for p in ax.patches if isinstance(p, plt.Rectangle)
                    and p.get_height() == 0.8)
    assert np.isclose(sum(sc.scores["contribution"]), sc.totals["score"].iloc[0])
    assert len(widths) == 4


def test_grids_return_figures():
    fig = plots.trend_grid(K, team="A", kpis=["fcr_rate", "avg_resolution_hours"], catalogue=CAT)
    assert len([a for a in fig.axes if a.get_visible()]) == 2
    fig = plots.trajectory_grid(K, T, team="A", catalogue=CAT)
    assert len([a for a in fig.axes if a.get_visible()]) == 2


# ------------------------------------------------- user text is drawn literally
HOSTILE_CAT = CAT.model_copy(deep=True)
HOSTILE_CAT.kpis["fcr_rate"].label = "FCR $x$ **b**"
HOSTILE_CAT.kpis["avg_resolution_hours"].label = r"Resolution $\frac{1}$"   # not valid maths
HOSTILE_CAT.kpis["avg_resolution_hours"].unit = "$hours_$"
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
        "trend": plots.trend_grid(HK, team=TEAM, kpis=["fcr_rate", "avg_resolution_hours"],
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
    expected = {"trend": [fcr + "  (higher is better)", TEAM, "$hours_$"],
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
    g = pd.DataFrame({"team": "t", "dimension": ["a", "b", "c"], "label": ["$x$", "b_", "c"],
                      "mean": [3.0, 4.0, 2.0], "target": [4.0, 4.0, 4.0]})
    ax = plots.competency_radar(g, team="t", labels={"b": "$5_$10"})
    texts = drawn_text(ax.figure)
    assert "$x$" in texts and "$5_$10" in texts


def test_plain_figures_turns_latex_off():
    from servicekpi import literal
    with plt.rc_context({"text.usetex": True}):
        literal.plain_figures()
        assert plt.rcParams["text.usetex"] is False
