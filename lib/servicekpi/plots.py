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

TEAM_COLOUR = "#1f5aa6"
PEER_COLOUR = "#8c8c8c"


def _axis_format(ax, unit: str) -> None:
    if unit == "share":
        ax.yaxis.set_major_formatter(mticker.PercentFormatter(1.0, decimals=None))
    elif unit == "points":
        ax.yaxis.set_major_formatter(mticker.FuncFormatter(lambda v, _: f"{v:+.0f}"))
    else:
        ax.yaxis.set_major_formatter(mticker.FuncFormatter(lambda v, _: f"{v:,.4g}"))


def kpi_trend(data: pd.DataFrame, *, team: str, kpi: str, catalogue: Catalogue | None = None,
              periods: int | None = None, peers: bool = True, ax=None, language: str = "en",
              **kwargs):
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
    sns.lineplot(x=[x_of[p] for p in mine["period"]], y=mine["value"].to_numpy(), ax=ax,
                 marker="o", markersize=4, color=kwargs.pop("color", TEAM_COLOUR),
                 label=kwargs.pop("label", team), **kwargs)
    step = max(1, math.ceil(len(ticks) / 7))
    ax.set_xticks(range(0, len(ticks), step))
    ax.set_xticklabels([str(ticks[i]) for i in range(0, len(ticks), step)], rotation=0,
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
               ncols: int = 3, language: str = "en"):
    """Small multiples of :func:`kpi_trend`, one panel per KPI; returns the Figure."""
    kpis = [k for k in kpis if ((data["kpi"] == k) & (data["team"] == team)).any()]
    n = max(len(kpis), 1)
    ncols = min(ncols, n)
    nrows = math.ceil(n / ncols)
    fig, axes = plt.subplots(nrows, ncols, figsize=(4.6 * ncols, 2.9 * nrows), squeeze=False)
    for ax, kpi in zip(axes.flat, kpis):
        kpi_trend(data, team=team, kpi=kpi, catalogue=catalogue, periods=periods, ax=ax,
                  language=language)
        ax.get_legend().remove() if ax.get_legend() else None
    for ax in list(axes.flat)[len(kpis):]:
        ax.set_visible(False)
    handles, labels = axes.flat[0].get_legend_handles_labels()
    if handles:
        fig.legend(handles, labels, loc="upper right", ncols=2, frameon=False, fontsize=9)
    fig.tight_layout(rect=(0, 0, 1, 0.96))
    return fig
