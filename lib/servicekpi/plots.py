"""Plot helpers in the seaborn style: tidy data in, Axes out.

``data`` is always a long KPI table (``team, period, kpi, value, n``) as
returned by :func:`servicekpi.compute_kpis`.
"""
from __future__ import annotations

import math

import matplotlib.pyplot as plt
import matplotlib.ticker as mticker
import numpy as np
import pandas as pd
import seaborn as sns

from .catalogue import Catalogue
from .periods import label

TEAM_COLOUR = "#1f5aa6"
PEER_COLOUR = "#8c8c8c"


def _formatter(unit: str):
    if unit == "share":
        return mticker.PercentFormatter(1.0, decimals=None)
    if unit == "points":
        return mticker.FuncFormatter(lambda v, _: f"{v:+.0f}")
    return mticker.FuncFormatter(lambda v, _: f"{v:,.4g}")


def _has_bold() -> bool:
    """Whether the font drawing sans-serif text has a bold face.  The Chinese
    font packaged with mplfonts has none: asking it for bold would log a
    findfont warning into the report."""
    from matplotlib import font_manager, rcParams

    family = rcParams["font.sans-serif"][0]
    faces = [f for f in font_manager.fontManager.ttflist if f.name == family]
    return not faces or any(f.weight in ("bold", "heavy", "black")
                            or (isinstance(f.weight, int) and f.weight >= 600) for f in faces)


def _axis_format(ax, unit: str, axis: str = "y") -> None:
    getattr(ax, f"{axis}axis").set_major_formatter(_formatter(unit))


def kpi_trend(data: pd.DataFrame, *, team: str, kpi: str, catalogue: Catalogue | None = None,
              periods: int | None = None, peers: bool = True, ax=None, language: str = "en",
              partial=None, partial_label: str = "partial period", **kwargs):
    """Draw one KPI over time for ``team``, with the median of the other teams.

    Parameters
    ----------
    data : DataFrame
        Long KPI table.
    team, kpi : str
        What to draw.
    catalogue : Catalogue, optional
        Gives the label, unit and direction used for titles and axes.
    periods : int, optional
        Show only the last ``periods`` periods of the team's series.
    peers : bool
        Also draw the median of the other teams (dashed grey).
    ax : matplotlib Axes, optional
        Axes to draw on (default: the current Axes).
    partial : Period, optional
        A period the data covers only partly: its point is drawn hollow,
        the line into it dotted, labelled ``partial_label`` in the legend.
    kwargs
        Passed to :func:`seaborn.lineplot` for the team's line.

    Returns
    -------
    matplotlib Axes
    """
    ax = ax or plt.gca()
    rows = data[data["kpi"] == kpi]
    mine = rows[rows["team"] == team].sort_values("period")
    if periods:
        mine = mine.tail(periods)
    x_of = {p: i for i, p in enumerate(mine["period"])}
    ticks = list(x_of)
    if peers:
        others = rows[(rows["team"] != team) & rows["period"].isin(ticks)]
        if len(others):
            med = others.groupby("period", observed=True)["value"].median()
            ax.plot([x_of[p] for p in med.index], med.to_numpy(), ls="--", color=PEER_COLOUR,
                    lw=1.2, label="median of other teams")
    colour = kwargs.pop("color", TEAM_COLOUR)
    full = mine[mine["period"] != partial] if partial is not None else mine
    sns.lineplot(x=[x_of[p] for p in full["period"]], y=full["value"].to_numpy(), ax=ax,
                 marker="o", markersize=4, color=colour, label=kwargs.pop("label", team),
                 **kwargs)
    part = mine[mine["period"] == partial] if partial is not None else mine.iloc[:0]
    if len(part) and part["value"].notna().all():
        x = x_of[partial]
        before = full[full["period"] < partial].tail(1)
        if len(before):
            ax.plot([x_of[before["period"].iloc[0]], x],
                    [before["value"].iloc[0], part["value"].iloc[0]], color=colour, lw=1.2,
                    ls=":")
        ax.plot([x], part["value"].to_numpy(float), ls="none", marker="o", ms=6, mfc="white",
                mec=colour, mew=1.5, label=partial_label)
    step = max(1, math.ceil(len(ticks) / 7))
    ax.set_xticks(range(0, len(ticks), step))
    ax.set_xticklabels([label(ticks[i]) for i in range(0, len(ticks), step)], rotation=0,
                       fontsize=8)
    d = catalogue.kpis.get(kpi) if catalogue else None
    title = catalogue.label(kpi, language) if catalogue else kpi
    if d is not None:
        _axis_format(ax, d.unit)
        if d.direction != "neutral":
            title += "  (" + ("higher" if d.direction == "higher" else "lower") + " is better)"
    ax.set_title(title, fontsize=10, loc="left")
    ax.set_xlabel("")
    ax.set_ylabel(d.unit if d is not None and d.unit != "share" else "")
    ax.grid(axis="y", alpha=0.3)
    return ax


def trend_grid(data: pd.DataFrame, *, team: str, kpis: list[str],
               catalogue: Catalogue | None = None, periods: int | None = None,
               ncols: int = 3, language: str = "en", partial=None,
               partial_label: str = "partial period"):
    """Small multiples of :func:`kpi_trend`, one panel per KPI; returns the Figure."""
    kpis = [k for k in kpis if ((data["kpi"] == k) & (data["team"] == team)).any()]

    def draw(ax, kpi):
        kpi_trend(data, team=team, kpi=kpi, catalogue=catalogue, periods=periods, ax=ax,
                  language=language, partial=partial, partial_label=partial_label)
        if ax.get_legend():
            ax.get_legend().remove()
    return _small_multiples(kpis, draw, ncols=ncols, panel=(4.6, 2.9), legend_cols=2)


def _small_multiples(items: list, draw, *, ncols: int, panel: tuple[float, float],
                     legend_cols: int):
    """A grid with one panel per item (``draw(ax, item)``) and one shared legend."""
    n = max(len(items), 1)
    ncols = min(ncols, n)
    nrows = math.ceil(n / ncols)
    fig, axes = plt.subplots(nrows, ncols, figsize=(panel[0] * ncols, panel[1] * nrows),
                             squeeze=False)
    for ax, item in zip(axes.flat, items):
        draw(ax, item)
    for ax in list(axes.flat)[len(items):]:
        ax.set_visible(False)
    seen: dict = {}                  # every panel's legend entries, once each
    for ax in list(axes.flat)[:len(items)]:
        for handle, text in zip(*ax.get_legend_handles_labels()):
            seen.setdefault(text, handle)
    if seen:
        fig.legend(list(seen.values()), list(seen), loc="upper right", ncols=legend_cols,
                   frameon=False, fontsize=9)
    fig.tight_layout(rect=(0, 0, 1, 1 - 0.15 / nrows))
    return fig


def kpi_trajectory(data: pd.DataFrame, *, team: str, kpi: str, target=None,
                   benchmarks: pd.DataFrame | None = None, catalogue: Catalogue | None = None,
                   periods: int | None = None, ax=None, language: str = "en"):
    """A KPI's path against its goal: actual values, glide path, target and
    deadline, and benchmark lines.

    Parameters
    ----------
    data : DataFrame
        Long KPI table.
    team, kpi : str
    target : row of a targets table, optional
        Adds the glide path (dashed), the target (star) at the deadline and a
        deadline marker.
    benchmarks : DataFrame, optional
        Adds a thin line per external benchmark of this KPI.
    periods : int, optional
        Show only the last ``periods`` periods of history.

    Returns
    -------
    matplotlib Axes
    """
    from .targets import glide_path

    ax = ax or plt.gca()
    rows = data[(data["team"] == team) & (data["kpi"] == kpi)].sort_values("period")
    if periods:
        rows = rows.tail(periods)
    x = [p.ordinal for p in rows["period"]]
    ax.plot(x, rows["value"].to_numpy(float), marker="o", ms=3.5, color=TEAM_COLOUR,
            label="actual")
    xs = list(x)
    if target is not None:
        g = glide_path(target)
        ax.plot([p.ordinal for p in g.index], g.to_numpy(), ls="--", color="#555555", lw=1.2,
                label="glide path")
        dl = pd.Period(target["deadline"]).ordinal
        ax.plot([dl], [target["target"]], marker="*", ms=12, color="#c62828", ls="none",
                label="target")
        ax.axvline(dl, color="#c62828", lw=0.8, ls=":")
        xs += [p.ordinal for p in g.index]
    if benchmarks is not None:
        b = benchmarks[benchmarks["kpi"] == kpi]
        for (name, value), colour in zip(b[["benchmark", "value"]].itertuples(index=False),
                                         sns.color_palette("Greens_d", len(b))):
            ax.axhline(value, color=colour, lw=0.9, alpha=0.8)
            ax.annotate(name.replace("_", " "), (1.0, value), xycoords=("axes fraction", "data"),
                        fontsize=7, color=colour, ha="right", va="bottom")
    if xs:
        lo, hi = min(xs), max(xs)
        freq = rows["period"].iloc[0].freq if len(rows) else pd.Period(target["deadline"]).freq
        step = max(1, math.ceil((hi - lo + 1) / 7))
        ticks = list(range(lo, hi + 1, step))
        ax.set_xticks(ticks)
        ax.set_xticklabels([str(pd.Period(ordinal=t, freq=freq)) for t in ticks], fontsize=8)
    d = catalogue.kpis.get(kpi) if catalogue else None
    title = catalogue.label(kpi, language) if catalogue else kpi
    if d is not None:
        _axis_format(ax, d.unit)
    ax.set_title(title, fontsize=10, loc="left")
    ax.grid(axis="y", alpha=0.3)
    return ax


def bullet_chart(gaps: pd.DataFrame, benchmarks: pd.DataFrame | None = None, *,
                 catalogue: Catalogue | None = None, language: str = "en"):
    """One bullet per targeted KPI: the actual value (bar) against the target
    (black tick) over bands set by the benchmarks (worse than the industry
    median, to the top quartile, to best in class, beyond).

    Direction-aware: for a lower-is-better KPI the axis is reversed, so
    better is always to the right.  ``gaps`` is a :func:`gap_table` (one
    team's rows).  Returns the Figure.
    """
    gaps = gaps[gaps["current"].notna()]
    n = max(len(gaps), 1)
    fig, axes = plt.subplots(n, 1, figsize=(7.5, 0.75 * n + 0.6), squeeze=False)
    band_colours = ["#f4cccc", "#fff2cc", "#d9ead3", "#b6d7a8"]
    for ax, g in zip(axes[:, 0], gaps.itertuples()):
        d = catalogue.kpis.get(g.kpi) if catalogue else None
        refs = []
        if benchmarks is not None:
            b = benchmarks[benchmarks["kpi"] == g.kpi].set_index("benchmark")["value"]
            refs = [b[k] for k in ("industry_median", "top_quartile", "best_in_class") if k in b]
        values = [g.current, g.target, g.baseline, *refs]
        lo, hi = min(values), max(values)
        pad = (hi - lo) * 0.15 or abs(hi) * 0.1 or 1.0
        lo, hi = lo - pad, hi + pad
        if d is not None and d.bounds:
            blo, bhi = d.bounds
            lo = max(lo, blo) if blo is not None else lo
            hi = min(hi, bhi) if bhi is not None else hi
        lower_better = g.direction == "lower"
        worst, best = (hi, lo) if lower_better else (lo, hi)
        edges = [worst, *refs, best]
        for i in range(len(edges) - 1):
            ax.axvspan(edges[i], edges[i + 1], color=band_colours[min(i, 3)] if refs else "#eeeeee",
                       lw=0)
        ax.barh([0], [g.current - worst], left=worst, height=0.35, color="#33475b")
        ax.axvline(g.target, color="black", lw=2.2, ymin=0.15, ymax=0.85)
        ax.set_xlim(worst, best)
        ax.set_yticks([0])
        ax.set_yticklabels([catalogue.label(g.kpi, language) if catalogue else g.kpi],
                           fontsize=9)
        if d is not None:
            _axis_format(ax, d.unit, axis="x")
        ax.tick_params(axis="x", labelsize=8)
        for side in ("top", "right", "left"):
            ax.spines[side].set_visible(False)
    has_bands = benchmarks is not None and len(benchmarks)
    axes[0, 0].set_title("Actual (bar) and target (tick); bands: below industry median, "
                         "to top quartile, to best in class; better is to the right"
                         if has_bands else
                         "Actual (bar) and target (tick); better is to the right",
                         fontsize=9, loc="left")
    fig.tight_layout()
    return fig


def peer_heatmap(matrix: pd.DataFrame, *, team: str | None = None,
                 catalogue: Catalogue | None = None, ax=None, language: str = "en"):
    """Teams x KPIs percentile ranks (100 = best) from :func:`peer_matrix`."""
    if ax is None:
        fig, ax = plt.subplots(figsize=(1.0 + 0.55 * matrix.shape[1],
                                        1.2 + 0.42 * matrix.shape[0]))
    labels = [catalogue.label(k, language) if catalogue else k for k in matrix.columns]
    sns.heatmap(matrix, ax=ax, vmin=0, vmax=100, cmap="RdYlGn", annot=True, fmt=".0f",
                annot_kws={"fontsize": 7}, cbar_kws={"label": "percentile among teams"},
                linewidths=0.5, linecolor="white", xticklabels=labels)
    ax.set_xlabel("")
    ax.set_ylabel("")
    ax.tick_params(axis="x", labelsize=8, rotation=90)
    if team is not None:
        for lab in ax.get_yticklabels():
            if lab.get_text() == str(team):
                lab.set_color(TEAM_COLOUR)
                if _has_bold():
                    lab.set_fontweight("bold")
        rows = list(matrix.index)
        if team in rows:
            i = rows.index(team)
            ax.add_patch(plt.Rectangle((0, i), matrix.shape[1], 1, fill=False,
                                       edgecolor="black", lw=1.6))
    return ax


def scorecard_contributions(scores: pd.DataFrame, *, team: str,
                            catalogue: Catalogue | None = None, ax=None,
                            language: str = "en"):
    """Each KPI's weighted contribution to the team's total (bars sum to the
    total when every KPI is scored); grey: the points each KPI left on the
    table.  ``scores`` is :attr:`Scorecard.scores`."""
    ax = ax or plt.gca()
    g = scores[scores["team"] == team].copy()
    g["label"] = [catalogue.label(k, language) if catalogue else k for k in g["kpi"]]
    g = g.iloc[::-1]
    got = g["contribution"].fillna(0).to_numpy()
    lost = (g["weight"] * (100 - g["score"].clip(upper=100))).fillna(g["weight"] * 100).to_numpy()
    y = np.arange(len(g))
    ax.barh(y, got, color=TEAM_COLOUR, label="points earned")
    ax.barh(y, lost, left=got, color="#d0d0d0", label="points missed")
    for yi, (c, s, status) in enumerate(zip(got, g["score"], g["status"])):
        text = "not scored (no data)" if status == "missing" else f"score {s:.0f}"
        ax.text(c + 0.5, yi, text, va="center", fontsize=8)
    ax.set_yticks(y)
    ax.set_yticklabels(g["label"], fontsize=9)
    ax.set_xlabel("weighted points (weight x score)")
    ax.legend(loc="lower right", fontsize=8, frameon=False)
    ax.grid(axis="x", alpha=0.3)
    return ax


def trajectory_grid(data: pd.DataFrame, targets: pd.DataFrame, *, team: str,
                    benchmarks: pd.DataFrame | None = None,
                    catalogue: Catalogue | None = None, periods: int | None = None,
                    ncols: int = 2, language: str = "en"):
    """:func:`kpi_trajectory` for each of ``team``'s targets; returns the Figure."""
    mine = [t for _, t in targets[targets["team"] == team].iterrows()]

    def draw(ax, t):
        kpi_trajectory(data, team=team, kpi=t["kpi"], target=t, benchmarks=benchmarks,
                       catalogue=catalogue, periods=periods, ax=ax, language=language)
    return _small_multiples(mine, draw, ncols=ncols, panel=(6.2, 3.2), legend_cols=3)


def fan_chart(data: pd.DataFrame, forecast: pd.DataFrame, *, team: str, kpi: str, target=None,
              catalogue: Catalogue | None = None, periods: int | None = None, ax=None,
              language: str = "en"):
    """History, forecast mean with its 80% and 95% bands, and (with ``target``)
    the glide path, the target and the deadline.

    ``forecast`` is a :func:`servicekpi.forecast` frame for this series.
    Returns the Axes.
    """
    ax = kpi_trajectory(data, team=team, kpi=kpi, target=target, catalogue=catalogue,
                        periods=periods, ax=ax, language=language)
    if len(forecast) and forecast["mean"].notna().any():
        x = [p.ordinal for p in forecast.index]
        hist = data[(data["team"] == team) & (data["kpi"] == kpi)].sort_values("period")
        last = hist[hist["value"].notna()].iloc[-1]
        x0 = [last["period"].ordinal] + x
        for lev, alpha in ((95, 0.18), (80, 0.32)):
            if f"lower_{lev}" in forecast:
                lo = np.r_[last["value"], forecast[f"lower_{lev}"].to_numpy(float)]
                hi = np.r_[last["value"], forecast[f"upper_{lev}"].to_numpy(float)]
                ax.fill_between(x0, lo, hi, color=TEAM_COLOUR, alpha=alpha, lw=0,
                                label=f"{lev}% interval")
        ax.plot(x0, np.r_[last["value"], forecast["mean"].to_numpy(float)], color=TEAM_COLOUR,
                ls="-.", lw=1.4, label="forecast")
        lo_x, hi_x = ax.get_xlim()
        ax.set_xlim(lo_x, max(hi_x, x[-1] + 0.5))
        freq = forecast.index.freq
        step = max(1, math.ceil((ax.get_xlim()[1] - ax.get_xlim()[0]) / 7))
        ticks = list(range(int(math.ceil(ax.get_xlim()[0])), int(ax.get_xlim()[1]) + 1, step))
        ax.set_xticks(ticks)
        ax.set_xticklabels([str(pd.Period(ordinal=t, freq=freq)) for t in ticks], fontsize=8)
    model = forecast.attrs.get("model")
    if model:
        ax.set_title(ax.get_title(loc="left") + f"  (model: {model})", fontsize=10, loc="left")
    return ax


def control_chart(table: pd.DataFrame, *, catalogue: Catalogue | None = None, ax=None,
                  language: str = "en"):
    """Draw a :func:`servicekpi.diagnostics.control_chart` table: values,
    centre line, 3-sigma limits (stepped for a p-chart), flagged points in red."""
    ax = ax or plt.gca()
    x = np.arange(len(table))
    ax.plot(x, table["value"], marker="o", ms=3.5, color=TEAM_COLOUR, lw=1.2, label="value")
    ax.plot(x, table["centre"], color="#555555", lw=1, label="centre")
    ax.step(x, table["ucl"], where="mid", color="#c62828", lw=0.9, ls="--", label="3-sigma limits")
    ax.step(x, table["lcl"], where="mid", color="#c62828", lw=0.9, ls="--")
    sig = table["signal"].to_numpy()
    if sig.any():
        ax.plot(x[sig], table["value"].to_numpy()[sig], "o", ms=8, mfc="none", mec="#c62828",
                mew=1.8, label="special cause")
    step = max(1, math.ceil(len(x) / 7))
    ax.set_xticks(x[::step])
    ax.set_xticklabels([str(p) for p in table["period"].iloc[::step]], fontsize=8)
    kpi = table.attrs.get("kpi", "")
    d = catalogue.kpis.get(kpi) if catalogue else None
    title = (catalogue.label(kpi, language) if catalogue else kpi) + \
        f"  ({'p-chart' if table.attrs.get('kind') == 'p' else 'XmR chart'})"
    if d is not None:
        _axis_format(ax, d.unit)
    ax.set_title(title, fontsize=10, loc="left")
    ax.grid(axis="y", alpha=0.3)
    return ax


def competency_radar(gaps: pd.DataFrame, *, team: str, ax=None, labels: dict | None = None):
    """Radar chart of a team's average competency scores against the target
    profile (``gaps`` from :func:`servicekpi.competencies.competency_gaps`)."""
    g = gaps[gaps["team"] == team]
    if ax is None:
        fig = plt.figure(figsize=(5, 5))
        ax = fig.add_subplot(projection="polar")
    angles = np.linspace(0, 2 * np.pi, len(g), endpoint=False)
    loop = np.r_[angles, angles[:1]]
    for col, colour, style, name in (("target", "#c62828", "--", "target profile"),
                                     ("mean", TEAM_COLOUR, "-", "team average")):
        vals = g[col].to_numpy(float)
        ax.plot(loop, np.r_[vals, vals[:1]], color=colour, ls=style, lw=1.8, label=name)
        if col == "mean":
            ax.fill(loop, np.r_[vals, vals[:1]], color=colour, alpha=0.15)
    names = [(labels or {}).get(d, lab) for d, lab in zip(g["dimension"], g["label"])]
    ax.set_xticks(angles)
    ax.set_xticklabels(names, fontsize=9)
    ax.set_ylim(1, 5)
    ax.set_yticks([2, 3, 4, 5])
    ax.tick_params(axis="y", labelsize=7)
    ax.legend(loc="upper right", bbox_to_anchor=(1.25, 1.12), fontsize=8, frameon=False)
    return ax
