"""Plot helpers in the seaborn style: tidy data in, Axes out.

``data`` is always a long KPI table (``team, period, kpi, value, n``) as
returned by :func:`servicekpi.compute_kpis`.

Text from users (KPI labels and units from a catalogue, team names,
benchmark names, legend labels passed in) is drawn literally: it goes through
:func:`servicekpi.literal.mpl`, so a ``$`` never starts mathtext.
"""
from __future__ import annotations

import math

import matplotlib.pyplot as plt
import matplotlib.ticker as mticker
import numpy as np
import pandas as pd
import seaborn as sns

from .catalogue import Catalogue
from .literal import mpl
from .kpis import MAX_OPEN_SHARE
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
              partial=None, partial_label: str = "partial period",
              max_open_share: float | None = MAX_OPEN_SHARE,
              incomplete_label: str = "incomplete: tickets still open", **kwargs):
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
        Also draw the median of the other teams (dashed grey), over the
        values they have (a team without the KPI, or with the value n/a,
        does not count).  No median is drawn for a period in which a peer's
        value is incomplete (see ``max_open_share``): the median of the
        others alone would compare a different set of teams.
    ax : matplotlib Axes, optional
        Axes to draw on (default: the current Axes).
    partial : Period, optional
        A period the data covers only partly: its point is drawn hollow,
        the line into it dotted, labelled ``partial_label`` in the legend.
    max_open_share : float, optional
        A duration whose ``open_share`` (see :func:`servicekpi.compute_kpis`)
        exceeds it is incomplete: drawn hollow, joined by a dotted line,
        labelled ``incomplete_label``.  None: no such marking.
    kwargs
        Passed to :func:`seaborn.lineplot` for the team's line.

    Returns
    -------
    matplotlib Axes
    """
    ax = ax or plt.gca()
    rows = data[data["kpi"] == kpi]
    if max_open_share is not None and "open_share" in rows.columns:
        incomplete = rows["open_share"].to_numpy(dtype=float) > max_open_share
    else:
        incomplete = np.zeros(len(rows), bool)
    mine = rows[(rows["team"] == team).to_numpy()].assign(
        _incomplete=incomplete[(rows["team"] == team).to_numpy()]).sort_values("period")
    if periods:
        mine = mine.tail(periods)
    x_of = {p: i for i, p in enumerate(mine["period"])}
    ticks = list(x_of)
    if peers:
        near = ((rows["team"] != team) & rows["period"].isin(ticks)).to_numpy()
        # a median over whichever peers have closed would change its mix of teams
        gone = set(rows.loc[near & incomplete, "period"])
        others = rows[near & ~rows["period"].isin(gone).to_numpy()]
        if len(others):
            med = others.groupby("period", observed=True)["value"].median().dropna()
            ax.plot([x_of[p] for p in med.index], med.to_numpy(), ls="--", color=PEER_COLOUR,
                    lw=1.2, label="median of other teams")
    colour = kwargs.pop("color", TEAM_COLOUR)
    name = kwargs.pop("label", team)
    name = None if name is None else mpl(name)
    hollow = mine["_incomplete"].to_numpy() | (mine["period"] == partial).to_numpy()
    shown = mine[mine["value"].notna()]
    if hollow.any() and shown["value"].notna().any():   # dotted through every point
        ax.plot([x_of[p] for p in shown["period"]], shown["value"].to_numpy(float),
                color=colour, lw=1.2, ls=":")
    run = np.cumsum(hollow)          # solid runs of complete points, broken at hollow ones
    for i, key in enumerate(dict.fromkeys(run[~hollow])):
        full = mine[~hollow & (run == key)]
        sns.lineplot(x=[x_of[p] for p in full["period"]], y=full["value"].to_numpy(), ax=ax,
                     marker="o", markersize=4, color=colour,
                     label=name if i == 0 else "_nolegend_", **kwargs)
    for flag, text in ((mine["period"] == partial).to_numpy(), partial_label), \
            (mine["_incomplete"].to_numpy() & (mine["period"] != partial).to_numpy(),
             incomplete_label):
        pts = mine[flag & mine["value"].notna().to_numpy()]
        if len(pts):
            ax.plot([x_of[p] for p in pts["period"]], pts["value"].to_numpy(float), ls="none",
                    marker="o", ms=6, mfc="white", mec=colour, mew=1.5, label=mpl(text))
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
    ax.set_title(mpl(title), fontsize=10, loc="left")
    ax.set_xlabel("")
    ax.set_ylabel(mpl(d.unit) if d is not None and d.unit != "share" else "")
    ax.grid(axis="y", alpha=0.3)
    return ax


def trend_grid(data: pd.DataFrame, *, team: str, kpis: list[str],
               catalogue: Catalogue | None = None, periods: int | None = None,
               ncols: int = 3, language: str = "en", partial=None,
               partial_label: str = "partial period",
               max_open_share: float | None = MAX_OPEN_SHARE,
               incomplete_label: str = "incomplete: tickets still open"):
    """Small multiples of :func:`kpi_trend`, one panel per KPI; returns the Figure."""
    kpis = [k for k in kpis if ((data["kpi"] == k) & (data["team"] == team)).any()]

    def draw(ax, kpi):
        kpi_trend(data, team=team, kpi=kpi, catalogue=catalogue, periods=periods, ax=ax,
                  language=language, partial=partial, partial_label=partial_label,
                  max_open_share=max_open_share, incomplete_label=incomplete_label)
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
            ax.annotate(mpl(name.replace("_", " ")), (1.0, value),
                        xycoords=("axes fraction", "data"),
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
    ax.set_title(mpl(title), fontsize=10, loc="left")
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
        ax.set_yticklabels([mpl(catalogue.label(g.kpi, language) if catalogue else g.kpi)],
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
    labels = [mpl(catalogue.label(k, language) if catalogue else k) for k in matrix.columns]
    sns.heatmap(matrix, ax=ax, vmin=0, vmax=100, cmap="RdYlGn", annot=True, fmt=".0f",
                annot_kws={"fontsize": 7}, cbar_kws={"label": "percentile among teams"},
                linewidths=0.5, linecolor="white", xticklabels=labels,
                yticklabels=[mpl(r) for r in matrix.index])
    ax.set_xlabel("")
    ax.set_ylabel("")
    ax.tick_params(axis="x", labelsize=8, rotation=90)
    if team is not None:
        for lab in ax.get_yticklabels():
            if lab.get_text() == mpl(team):
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
    total when every KPI is scored); grey: the points still to earn before
    the KPI reaches its target (score 100).  ``scores`` is
    :attr:`Scorecard.scores`."""
    ax = ax or plt.gca()
    g = scores[scores["team"] == team].copy()
    g["label"] = [mpl(catalogue.label(k, language) if catalogue else k) for k in g["kpi"]]
    g = g.iloc[::-1]
    got = g["contribution"].fillna(0).to_numpy()
    lost = (g["weight"] * (100 - g["score"].clip(upper=100))).fillna(g["weight"] * 100).to_numpy()
    y = np.arange(len(g))
    ax.barh(y, got, color=TEAM_COLOUR, label="points earned")
    ax.barh(y, lost, left=got, color="#d0d0d0", label="points to the target")
    for yi, (c, s, status) in enumerate(zip(got, g["score"], g["status"])):
        text = "not scored (no data)" if status == "missing" else f"score {s:.0f}"
        ax.text(c + 0.5, yi, text, va="center", fontsize=8)
    ax.set_yticks(y)
    ax.set_yticklabels(g["label"], fontsize=9)
    kind = ("progress score" if "rule" in g and (g["rule"] == "progress").all() else "score")
    ax.set_xlabel(f"weighted points (weight x {kind}); the points of all KPIs add up to "
                  "the composite score, 100 with every target reached")
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


def fan_chart(data: pd.DataFrame, forecast, *, team: str, kpi: str, target=None,
              catalogue: Catalogue | None = None, periods: int | None = None, ax=None,
              language: str = "en"):
    """History, the forecast with its 80% and 95% bands, and (with ``target``)
    the glide path, the target and the deadline.

    ``forecast`` is a :class:`servicekpi.forecast.Simulation` of this series
    (the gap table's, ``gaps.attrs["simulations"][(team, kpi)]``), or a
    :func:`servicekpi.forecast` frame.  A simulation is drawn as simulated:
    exactly its periods (to the deadline), the median path as the forecast
    line and the central 80% and 95% of its paths as bands, from the last
    value it was simulated from; with ``target`` (and a catalogue giving the
    direction) the title adds the model and P(the deadline period's value
    meets the target), read from the same paths
    (:meth:`~servicekpi.forecast.Simulation.outlook`).  None draws the
    history alone.  Returns the Axes.
    """
    from .forecast import Simulation

    ax = kpi_trajectory(data, team=team, kpi=kpi, target=target, catalogue=catalogue,
                        periods=periods, ax=ax, language=language)
    sim = forecast if isinstance(forecast, Simulation) else None
    if sim is not None:
        frame, centre, line = sim.frame(), "median", "forecast (median)"
    elif forecast is not None:
        frame, centre, line = forecast, "mean", "forecast"
    else:
        frame = pd.DataFrame(columns=["mean"])
    if len(frame) and frame[centre].notna().any():
        x = [p.ordinal for p in frame.index]
        if sim is not None:
            start = (sim.history.index[-1], float(sim.history.iloc[-1]))
        else:
            hist = data[(data["team"] == team) & (data["kpi"] == kpi)].sort_values("period")
            last = hist[hist["value"].notna()].iloc[-1]
            start = (last["period"], float(last["value"]))
        x0 = [start[0].ordinal] + x
        for lev, alpha in ((95, 0.18), (80, 0.32)):
            if f"lower_{lev}" in frame:
                lo = np.r_[start[1], frame[f"lower_{lev}"].to_numpy(float)]
                hi = np.r_[start[1], frame[f"upper_{lev}"].to_numpy(float)]
                ax.fill_between(x0, lo, hi, color=TEAM_COLOUR, alpha=alpha, lw=0,
                                label=f"{lev}% interval")
        ax.plot(x0, np.r_[start[1], frame[centre].to_numpy(float)], color=TEAM_COLOUR,
                ls="-.", lw=1.4, label=line)
        lo_x, hi_x = ax.get_xlim()
        ax.set_xlim(lo_x, max(hi_x, x[-1] + 0.5))
        freq = frame.index.freq
        step = max(1, math.ceil((ax.get_xlim()[1] - ax.get_xlim()[0]) / 7))
        ticks = list(range(int(math.ceil(ax.get_xlim()[0])), int(ax.get_xlim()[1]) + 1, step))
        ax.set_xticks(ticks)
        ax.set_xticklabels([str(pd.Period(ordinal=t, freq=freq)) for t in ticks], fontsize=8)
    model = sim.model if sim is not None else (frame.attrs.get("model") if len(frame) else None)
    extra = [f"model: {model}"] if model else []
    d = catalogue.kpis.get(kpi) if catalogue else None
    deadline = pd.Period(target["deadline"]) if target is not None else None
    if (sim is not None and sim.ok and deadline is not None and deadline in sim.index
            and d is not None and d.direction in ("higher", "lower")):
        p = sim.outlook(float(target["target"]), d.direction, at=deadline)["probability"]
        extra.append(f"P(met {deadline}) {100 * p:.0f}%")
    if extra:
        ax.set_title(ax.get_title(loc="left") + f"  ({', '.join(extra)})", fontsize=10,
                     loc="left")
    return ax


def control_chart(table: pd.DataFrame, *, catalogue: Catalogue | None = None, ax=None,
                  language: str = "en"):
    """Draw a :func:`servicekpi.diagnostics.control_chart` table: values, the
    centre line (the seasonal expectation, for a seasonal chart) and the
    control limits, stepped by period and stage; each stage's phase-I
    baseline shaded; a dotted line where a new stage starts (a known or
    detected shift); flagged points circled in red."""
    ax = ax or plt.gca()
    x = np.arange(len(table))
    seasonal = bool(table.attrs.get("seasonal"))
    base = table["baseline"].to_numpy() if "baseline" in table else np.zeros(len(x), bool)
    for i in np.flatnonzero(base & ~np.r_[False, base[:-1]]):     # each baseline window
        j = i
        while j + 1 < len(x) and base[j + 1]:
            j += 1
        ax.axvspan(i - 0.5, j + 0.5, color="#eeeeee", zorder=0, lw=0,
                   label="phase-I baseline (limits from here)")
    stage = table["stage"].to_numpy() if "stage" in table else np.ones(len(x), int)
    for i in np.flatnonzero(np.diff(stage)) + 1:
        ax.axvline(i - 0.5, color="#777777", lw=0.9, ls=":", label="new stage (shift)")
        ax.annotate(f"stage {stage[i]}", (i - 0.4, 1), xycoords=("data", "axes fraction"),
                    va="top", fontsize=7, color="#555555")
    ax.plot(x, table["value"], marker="o", ms=3.5, color=TEAM_COLOUR, lw=1.2, label="value",
            zorder=3)
    ax.step(x, table["centre"], where="mid", color="#555555", lw=1,
            label="seasonal expectation" if seasonal else "centre")
    ax.step(x, table["ucl"], where="mid", color="#c62828", lw=0.9, ls="--",
            label="control limits")
    ax.step(x, table["lcl"], where="mid", color="#c62828", lw=0.9, ls="--")
    sig = table["signal"].to_numpy()
    if sig.any():
        ax.plot(x[sig], table["value"].to_numpy()[sig], "o", ms=8, mfc="none", mec="#c62828",
                mew=1.8, label="special cause", zorder=4)
    step = max(1, math.ceil(len(x) / 7))
    ax.set_xticks(x[::step])
    ax.set_xticklabels([str(p) for p in table["period"].iloc[::step]], fontsize=8)
    ax.set_xlim(-0.6, len(x) - 0.4)
    kpi = table.attrs.get("kpi", "")
    d = catalogue.kpis.get(kpi) if catalogue else None
    kind = {"p": "p-chart", "laney": "Laney p′ chart"}.get(table.attrs.get("kind"), "XmR chart")
    extra = ", seasonal" if seasonal else ""
    title = mpl(catalogue.label(kpi, language) if catalogue else kpi) + f"  ({kind}{extra})"
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
    names = [mpl((labels or {}).get(d, lab)) for d, lab in zip(g["dimension"], g["label"])]
    ax.set_xticks(angles)
    ax.set_xticklabels(names, fontsize=9)
    ax.set_ylim(1, 5)
    ax.set_yticks([2, 3, 4, 5])
    ax.tick_params(axis="y", labelsize=7)
    ax.legend(loc="upper right", bbox_to_anchor=(1.25, 1.12), fontsize=8, frameon=False)
    return ax
