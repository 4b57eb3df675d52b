"""Plot helpers in the seaborn style: tidy data in, Axes out (a Figure for a grid).

``data`` is always a long KPI table (``team, period, kpi, value, n``) as
returned by :func:`servicekpi.compute_kpis`.  Every function takes

- ``language`` (``"en"``, ``"zh"``): every word drawn (titles, legends, axis
  labels, annotations) comes from the message catalogue (``figures.*``,
  :func:`servicekpi.i18n.msg`), KPI names from the KPI catalogue;
- ``units`` (``{kpi: Unit}``, optional): the unit each KPI is shown in
  (:class:`servicekpi.catalogue.Unit`, as the report's tables use it); values
  are drawn times ``unit.scale`` with the unit on the axis
  (:meth:`~servicekpi.catalogue.KPIDef.axis_label`), so a first response of
  0.06 hours is drawn as 3.6 on a "(min)" axis.  Without it each KPI gets
  :meth:`~servicekpi.catalogue.KPIDef.display_unit` of the values drawn.
  Shares are drawn on a percent axis.

Text from users (KPI labels and units from a catalogue, team names,
benchmark names, legend labels passed in) is drawn literally: it goes through
:func:`servicekpi.literal.mpl`, so a ``$`` never starts mathtext.
"""
from __future__ import annotations

import functools
import math
import warnings
import weakref

import matplotlib.pyplot as plt
import matplotlib.ticker as mticker
from matplotlib.text import Text
import numpy as np
import pandas as pd
import seaborn as sns

from .catalogue import Catalogue, KPIDef, Unit, fmt_probability
from .errors import InvalidArgument, expect_team
from .gaps import MIN_N, model_name
from .i18n import bold_ok, catalogue as messages, msg
from .kpis import MAX_OPEN_SHARE, table_freq, too_few, too_small
from .literal import mpl
from .periods import label, parse_period

__all__ = ["kpi_trend", "trend_grid", "kpi_trajectory", "trajectory_grid", "bullet_chart",
           "peer_heatmap", "scorecard_contributions", "fan_chart", "control_chart",
           "competency_radar", "small_multiples", "fits_canvas", "TEAM_COLOUR", "PEER_COLOUR"]

TEAM_COLOUR = "#1f5aa6"
PEER_COLOUR = "#8c8c8c"


# ------------------------------------------------------------------ shared helpers
def _in_language(draw):
    """A figure function drawn in its ``language``: in Chinese (or with a team name
    in Chinese characters) matplotlib is given a CJK font first
    (:func:`servicekpi.i18n.use_cjk_font`), as a report's figures are, so that a
    notebook's figures show characters, not empty boxes."""
    @functools.wraps(draw)
    def drawn(*args, **kwargs):
        from .i18n import has_cjk, use_cjk_font
        team = kwargs.get("team")
        if kwargs.get("language", "en") == "zh" or (isinstance(team, str) and has_cjk(team)):
            # once: a report's twenty figures do not look the font up twenty times,
            # but again when matplotlib's settings were reset since
            family = _CJK_FAMILY.get("family")
            if (family is None or plt.rcParams["font.sans-serif"][:1] != [family]
                    or plt.rcParams["font.family"] != ["sans-serif"]):
                _CJK_FAMILY["family"] = use_cjk_font()
        return draw(*args, **kwargs)
    return drawn


#: The CJK family :func:`_in_language` last set up.
_CJK_FAMILY: dict = {}


def _kpi(catalogue: Catalogue | None, kpi: str) -> KPIDef | None:
    return catalogue.kpis.get(kpi) if catalogue is not None else None


def _name(catalogue: Catalogue | None, kpi: str, language: str) -> str:
    """The KPI's name in ``language`` (its code without a catalogue)."""
    return catalogue.label(kpi, language) if catalogue is not None else kpi


def _unit(d: KPIDef | None, kpi: str, units: dict | None, values) -> Unit:
    """The unit ``kpi`` is drawn in: ``units[kpi]``, else the one that reads
    best for ``values`` (identity without a catalogue entry)."""
    if units and kpi in units:
        return units[kpi]
    return d.display_unit(values) if d is not None else Unit("")


def _formatter(d: KPIDef | None):
    unit = d.unit if d is not None else ""
    if unit == "share":
        return mticker.PercentFormatter(1.0, decimals=None)
    if unit == "points":
        return mticker.FuncFormatter(lambda v, _: f"{v:+.0f}")
    # 4 significant digits below 10,000 (2.35, 1,234); whole numbers from 9,999.5 on,
    # which 4 significant digits would write 1e+04
    return mticker.FuncFormatter(lambda v, _: f"{v:,.0f}" if abs(v) >= 9999.5
                                 else f"{v:,.4g}")


def _value_axis(ax, d: KPIDef | None, unit: Unit, language: str, axis: str = "y") -> None:
    """Tick format of the KPI's unit and, on the y axis, its label with the unit."""
    getattr(ax, f"{axis}axis").set_major_formatter(_formatter(d))
    if d is not None and axis == "y":
        ax.set_ylabel(mpl(d.axis_label(language, unit)), fontsize=8)


def _title(ax, text: str, fontsize: float = 10) -> None:
    """``ax``'s title, left, at the top of its plot area (``y=1.0``), where
    matplotlib puts it when nothing is above the plot area.  Given ``y``,
    matplotlib does not measure the panel's y tick labels at every draw to look
    for an offset text ("1e6") the title could overlap: our value axes have none
    (:func:`_formatter` writes each tick in full), and x tick labels are below.
    That measuring was a third of the 20-panel trend grid's drawing time."""
    ax.set_title(text, fontsize=fontsize, loc="left", y=1.0)


def _benchmark_name(name: str, language: str) -> str:
    """A benchmark's name: a standard kind in words, any other as written."""
    return messages(language).get(f"figures.benchmark.{name}", name.replace("_", " "))


#: Figures laid out to fit their canvas, checked (:func:`fits_canvas`): shown as
#: they are, without the crop to their content that asks matplotlib to lay every
#: label out once more (half of the 20-panel trend grid's time).
_FITS: weakref.WeakSet = weakref.WeakSet()


def fits_canvas(fig) -> bool:
    """Whether ``fig`` was laid out to fit its canvas, so that showing it needs
    no crop to its content (a crop measures every label once more: as much
    time as drawing the figure): a :func:`small_multiples` grid, when the
    labels of any length it holds lie on the canvas (:func:`_texts_inside`)
    and, without ``spacing``, matplotlib's tight layout could place every
    panel's labels."""
    return fig in _FITS


def _texts_inside(fig, axes) -> bool:
    """Whether the text users write lies inside the figure: the panels' titles
    and notes, their y axis labels (KPI label and unit) and the shared legend.
    A fixed layout holds tick labels (up to 9 characters beside, 8 below:
    tested), not text of any length.  Measured before drawing: titles and
    notes where they stand; a y axis label along its axis only (how far left
    of the axis is set when drawn; the spacing holds that); the legend by its
    width (placed in the figure's top band when it is not wider than the
    figure).  A canvas without a renderer (pdf, svg) is never said to fit."""
    get_renderer = getattr(fig.canvas, "get_renderer", None)
    if get_renderer is None:
        return False
    renderer = get_renderer()
    box = fig.bbox

    def inside(text, across=True) -> bool:
        if not (text.get_visible() and text.get_text()):
            return True
        e = text.get_window_extent(renderer)
        return (e.y0 >= box.y0 and e.y1 <= box.y1
                and (not across or (e.x0 >= box.x0 and e.x1 <= box.x1)))

    for ax in axes:
        if not all(inside(t) for t in ax.get_children() if isinstance(t, Text)):
            return False
        if not inside(ax.yaxis.label, across=False):
            return False
    return all(legend.get_window_extent(renderer).width <= box.width for legend in fig.legends)


#: Inches of a fixed small-multiples layout: right of the last column (half of
#: its last x tick label, 2026-W13, sticks out), below the last row (its x tick
#: labels), per row of the shared legend, and above the first row (its titles).
_EDGE, _BELOW, _LEGEND_ROW, _TITLE = 0.3, 0.35, 0.25, 0.4


def small_multiples(items: list, draw, *, ncols: int, panel: tuple[float, float],
                    legend_cols: int, spacing: tuple[float, float] | None = None):
    """A grid with one panel per item and one shared legend; returns the Figure.

    Parameters
    ----------
    items : list
        One panel each, in reading order (rows of ``ncols``).
    draw : callable
        ``draw(ax, item)`` draws one panel; its legend entries are collected
        (each label once) into the figure's legend, top right.
    ncols : int
        Panels per row (fewer when there are fewer items).
    panel : (float, float)
        Width and height of one panel, in inches: with its labels and title
        (matplotlib's tight layout places them), or, with ``spacing``, of its
        plot area alone.
    legend_cols : int
        Columns of the shared legend.
    spacing : (float, float), optional
        Room left of and above every panel's plot area, in inches (its y tick
        labels and axis label; its title and the x tick labels of the panel
        above), added to the figure: a fixed layout, for grids of many
        panels, where the tight layout would measure every label of every
        panel once more.  Such a figure fits its canvas (:func:`fits_canvas`)
        unless a title, a y axis label or the legend is longer than the
        figure allows.
    """
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
        if ax.get_legend():
            ax.get_legend().remove()
    if seen:
        fig.legend(list(seen.values()), list(seen), loc="upper right", ncols=legend_cols,
                   frameon=False, fontsize=9)
    if spacing is None:
        # matplotlib's tight layout fits every panel's labels on the canvas, or
        # says it cannot (and leaves the layout as it was): a figure it laid out,
        # whose titles and legend lie on the canvas too, needs no crop to show
        with warnings.catch_warnings(record=True) as said:
            warnings.simplefilter("always")
            fig.tight_layout(rect=(0, 0, 1, 1 - 0.15 / nrows))
        placed = True
        for w in said:                               # said again, as without the catch
            # "Tight layout not applied", "Axes not compatible with tight_layout"
            placed &= not issubclass(w.category, UserWarning)
            warnings.warn_explicit(w.message, w.category, w.filename, w.lineno,
                                   module=__name__,
                                   registry=globals().setdefault("__warningregistry__", {}))
        if placed and _texts_inside(fig, list(axes.flat)[:len(items)]):
            _FITS.add(fig)
        return fig
    left, above = spacing
    legend = _LEGEND_ROW * math.ceil(len(seen) / legend_cols)
    top = legend + _TITLE            # the first row has no x labels above its titles
    width = ncols * (panel[0] + left) + _EDGE
    height = nrows * panel[1] + (nrows - 1) * above + top + _BELOW
    fig.set_size_inches(width, height)
    fig.subplots_adjust(left=left / width, right=1 - _EDGE / width,
                        bottom=_BELOW / height, top=1 - top / height,
                        wspace=left / panel[0], hspace=above / panel[1])
    if _texts_inside(fig, list(axes.flat)[:len(items)]):
        _FITS.add(fig)
    return fig


# ------------------------------------------------------------------ trends
#: Room left of and above each trend panel's plot area, in inches
#: (:func:`small_multiples`): y tick labels of up to 9 characters (2,000,000)
#: and the axis label; the title and the x tick labels of the panel above.
TREND_SPACING = (1.0, 0.75)


def _expect_kpi(data: pd.DataFrame, team: str, kpi: str, catalogue=None) -> None:
    """Refuse a team the table has no row of, or a KPI neither it nor the
    catalogue knows (a mistyped code: a blank figure otherwise).  A KPI of the
    catalogue without data (a target on a KPI the export does not measure) is
    drawn empty, as its report says why."""
    from .catalogue import resolve
    expect_team(data, team, "the KPI table")
    if "kpi" in data.columns and not (data["kpi"] == kpi).any() \
            and kpi not in resolve(catalogue):
        raise InvalidArgument(f"KPI {kpi!r} is not in the KPI table; its KPIs: "
                              + ", ".join(sorted(set(data["kpi"].astype(str)))))


@_in_language
def kpi_trend(data: pd.DataFrame, *, team: str, kpi: str, catalogue: Catalogue | None = None,
              periods: int | None = None, peers: bool = True, ax=None, language: str = "en",
              units: dict | None = None, partial=None, partial_label: str | None = None,
              max_open_share: float | None = MAX_OPEN_SHARE,
              incomplete_label: str | None = None, **kwargs):
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
        does not count, nor does a value on fewer than
        :data:`servicekpi.gaps.MIN_N` observations, as in every peer
        comparison: :mod:`servicekpi.benchmarking`).  No median is drawn for a
        period in which a peer's value is incomplete (see ``max_open_share``):
        the median of the others alone would compare a different set of teams.
    ax : matplotlib Axes, optional
        Axes to draw on (default: the current Axes, which also gets a legend).
    language : str
        Language of the words drawn.
    units : dict, optional
        KPI -> :class:`~servicekpi.catalogue.Unit` to draw in (default: the
        unit that reads best for the team's values shown).
    partial : Period or str, optional
        A period the data covers only partly (a label such as
        :func:`servicekpi.compute_kpis`' ``attrs["partial"]``, 2026-W44, reads
        as the table's kind of period): its point is drawn hollow,
        the line into it dotted, labelled ``partial_label`` in the legend
        (default: "partial period" in ``language``).
    max_open_share : float, optional
        A duration whose ``open_share`` (see :func:`servicekpi.compute_kpis`)
        exceeds it is incomplete: drawn hollow, joined by a dotted line,
        labelled ``incomplete_label`` (default: the report's note
        ``incomplete_legend`` in ``language``).  None: no such marking.
    kwargs
        Passed to :meth:`matplotlib.axes.Axes.plot` for the team's line.

    Returns
    -------
    matplotlib Axes
    """
    from .i18n import note

    standalone = ax is None
    ax = ax or plt.gca()
    if partial_label is None:
        partial_label = msg("figures.trend.partial", language)
    if incomplete_label is None:
        incomplete_label = note("incomplete_legend", language)
    _expect_kpi(data, team, kpi, catalogue)
    rows = data[data["kpi"] == kpi]
    if partial is not None and not isinstance(partial, pd.Period) and table_freq(data):
        partial = parse_period(partial, table_freq(data))
    if max_open_share is not None and "open_share" in rows.columns:
        incomplete = rows["open_share"].to_numpy(dtype=float) > max_open_share
    else:
        incomplete = np.zeros(len(rows), bool)
    mine = rows[(rows["team"] == team).to_numpy()].assign(
        _incomplete=incomplete[(rows["team"] == team).to_numpy()]).sort_values("period")
    if periods:
        mine = mine.tail(periods)
    d = _kpi(catalogue, kpi)
    unit = _unit(d, kpi, units, mine["value"])
    scale = unit.scale
    x_of = {p: i for i, p in enumerate(mine["period"])}
    ticks = list(x_of)
    if peers:
        near = ((rows["team"] != team) & rows["period"].isin(ticks)).to_numpy()
        # a median over whichever peers have closed would change its mix of teams
        # (a team too small to be compared, closed or not, does not change it)
        small = too_small(data, MIN_N)[(data["kpi"] == kpi).to_numpy()]
        gone = set(rows.loc[near & incomplete & ~small, "period"])
        near = near & ~too_few(rows, MIN_N)     # as every peer comparison
        others = rows[near & ~rows["period"].isin(gone).to_numpy()]
        if len(others):
            med = others.groupby("period", observed=True)["value"].median().dropna()
            ax.plot([x_of[p] for p in med.index], med.to_numpy() * scale, ls="--",
                    color=PEER_COLOUR, lw=1.2, label=msg("figures.trend.peer_median", language))
    colour = kwargs.pop("color", TEAM_COLOUR)
    name = kwargs.pop("label", team)
    name = None if name is None else mpl(name)
    hollow = mine["_incomplete"].to_numpy() | (mine["period"] == partial).to_numpy()
    has_value = mine["value"].notna().to_numpy()
    shown = mine[has_value]
    if hollow.any() and len(shown):   # dotted through every point
        ax.plot([x_of[p] for p in shown["period"]], shown["value"].to_numpy(float) * scale,
                color=colour, lw=1.2, ls=":")
    run = np.cumsum(hollow)          # solid runs of complete points, broken at hollow ones
    labelled = False                 # the team's name labels its first solid run drawn
    for key in dict.fromkeys(run[~hollow]):
        full = mine[~hollow & (run == key) & has_value]     # a missing value is stepped over
        if not len(full):
            continue
        ax.plot([x_of[p] for p in full["period"]], full["value"].to_numpy(float) * scale,
                marker="o", markersize=4, color=colour,
                label="_nolegend_" if labelled else name, **kwargs)
        labelled = True
    for flag, text in ((mine["period"] == partial).to_numpy(), partial_label), \
            (mine["_incomplete"].to_numpy() & (mine["period"] != partial).to_numpy(),
             incomplete_label):
        pts = mine[flag & mine["value"].notna().to_numpy()]
        if len(pts):
            ax.plot([x_of[p] for p in pts["period"]], pts["value"].to_numpy(float) * scale,
                    ls="none", marker="o", ms=6, mfc="white", mec=colour, mew=1.5,
                    label=mpl(text))
    # a value on too few observations to compare (3 answers' 100%): ringed in grey,
    # as the peers' median leaves such values out
    few = too_few(mine, MIN_N) & has_value & ~hollow
    if few.any():
        pts = mine[few]
        ax.plot([x_of[p] for p in pts["period"]], pts["value"].to_numpy(float) * scale,
                ls="none", marker="o", ms=8, mfc="none", mec=PEER_COLOUR, mew=1.2,
                label=mpl(msg("figures.trend.few", language, min_n=MIN_N)))
    step = max(1, math.ceil(len(ticks) / 7))
    ax.set_xticks(range(0, len(ticks), step))
    ax.set_xticklabels([label(ticks[i]) for i in range(0, len(ticks), step)], rotation=0,
                       fontsize=8)
    title = _name(catalogue, kpi, language)
    if d is not None and d.direction != "neutral":
        title = msg(f"figures.trend.{d.direction}", language, label=title)
    _title(ax, mpl(title))
    ax.set_xlabel("")
    ax.set_ylabel("")
    _value_axis(ax, d, unit, language)
    ax.grid(axis="y", alpha=0.3)
    if standalone and ax.get_legend_handles_labels()[0]:
        ax.legend(fontsize=8)        # in a grid, small_multiples draws one legend for all
    return ax


@_in_language
def trend_grid(data: pd.DataFrame, *, team: str, kpi_list: list[str], name: str | None = None,
               catalogue: Catalogue | None = None, periods: int | None = None,
               ncols: int = 3, language: str = "en", units: dict | None = None, partial=None,
               partial_label: str | None = None,
               max_open_share: float | None = MAX_OPEN_SHARE,
               incomplete_label: str | None = None):
    """Small multiples of :func:`kpi_trend`, one panel per KPI (those the team
    has, in the order of ``kpi_list``), the team's line labelled ``name`` (default:
    the id); returns the Figure."""
    expect_team(data, team, "the KPI table")
    shown = [k for k in kpi_list if ((data["kpi"] == k) & (data["team"] == team)).any()]
    from .catalogue import resolve
    unknown = [k for k in kpi_list if k not in resolve(catalogue)]
    if not shown and unknown:       # mistyped codes: said; the team's missing KPIs: blank
        theirs = sorted(set(data.loc[data["team"] == team, "kpi"].astype(str)))
        raise InvalidArgument(f"no KPI {unknown} in the catalogue nor in the KPI table; "
                              f"team {team!r} has {', '.join(theirs)}")

    def draw(ax, kpi):
        kpi_trend(data, team=team, kpi=kpi, catalogue=catalogue, periods=periods, ax=ax,
                  language=language, units=units, partial=partial,
                  partial_label=partial_label, max_open_share=max_open_share,
                  incomplete_label=incomplete_label, label=name or team)
    return small_multiples(shown, draw, ncols=ncols, panel=(3.6, 2.15), legend_cols=2,
                           spacing=TREND_SPACING)


# ------------------------------------------------------------------ targets
@_in_language
def kpi_trajectory(data: pd.DataFrame, *, team: str, kpi: str, target=None,
                   benchmarks: pd.DataFrame | None = None, catalogue: Catalogue | None = None,
                   periods: int | None = None, ax=None, language: str = "en",
                   units: dict | None = None):
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
    language, units
        As for :func:`kpi_trend`.

    Returns
    -------
    matplotlib Axes
    """
    from .targets import glide_path

    ax = ax or plt.gca()
    rows = data[(data["team"] == team) & (data["kpi"] == kpi)].sort_values("period")
    if periods:
        rows = rows.tail(periods)
    d = _kpi(catalogue, kpi)
    unit = _unit(d, kpi, units, rows["value"])
    scale = unit.scale
    x = [p.ordinal for p in rows["period"]]
    ax.plot(x, rows["value"].to_numpy(float) * scale, marker="o", ms=3.5, color=TEAM_COLOUR,
            label=msg("figures.trajectory.actual", language))
    xs = list(x)
    if target is not None:
        g = glide_path(target)
        ax.plot([p.ordinal for p in g.index], g.to_numpy() * scale, ls="--", color="#555555",
                lw=1.2, label=msg("figures.trajectory.glide_path", language))
        dl = pd.Period(target["deadline"]).ordinal
        ax.plot([dl], [target["target"] * scale], marker="*", ms=12, color="#c62828",
                ls="none", label=msg("figures.trajectory.target", language))
        ax.axvline(dl, color="#c62828", lw=0.8, ls=":")
        xs += [p.ordinal for p in g.index]
    if benchmarks is not None:
        b = benchmarks[benchmarks["kpi"] == kpi]
        for (name, value), colour in zip(b[["benchmark", "value"]].itertuples(index=False),
                                         sns.color_palette("Greens_d", len(b))):
            ax.axhline(value * scale, color=colour, lw=0.9, alpha=0.8)
            ax.annotate(mpl(_benchmark_name(name, language)), (1.0, value * scale),
                        xycoords=("axes fraction", "data"),
                        fontsize=7, color=colour, ha="right", va="bottom")
    if xs:
        lo, hi = min(xs), max(xs)
        freq = rows["period"].iloc[0].freq if len(rows) else pd.Period(target["deadline"]).freq
        step = max(1, math.ceil((hi - lo + 1) / 7))
        ticks = list(range(lo, hi + 1, step))
        ax.set_xticks(ticks)
        ax.set_xticklabels([label(pd.Period(ordinal=t, freq=freq)) for t in ticks], fontsize=8)
    _title(ax, mpl(_name(catalogue, kpi, language)))
    _value_axis(ax, d, unit, language)
    ax.grid(axis="y", alpha=0.3)
    return ax


@_in_language
def trajectory_grid(data: pd.DataFrame, targets: pd.DataFrame, *, team: str,
                    benchmarks: pd.DataFrame | None = None,
                    catalogue: Catalogue | None = None, periods: int | None = None,
                    ncols: int = 2, language: str = "en", units: dict | None = None):
    """:func:`kpi_trajectory` for each of ``team``'s targets; returns the Figure."""
    mine = [t for _, t in targets[targets["team"] == team].iterrows()]

    def draw(ax, t):
        kpi_trajectory(data, team=team, kpi=t["kpi"], target=t, benchmarks=benchmarks,
                       catalogue=catalogue, periods=periods, ax=ax, language=language,
                       units=units)
    return small_multiples(mine, draw, ncols=ncols, panel=(6.2, 3.2), legend_cols=3)


@_in_language
def bullet_chart(gaps: pd.DataFrame, benchmarks: pd.DataFrame | None = None, *,
                 catalogue: Catalogue | None = None, language: str = "en",
                 units: dict | None = None):
    """One bullet per targeted KPI: the actual value (bar) against the target
    (black tick) over bands set by the benchmarks (worse than the industry
    median, to the top quartile, to best in class, beyond).

    Direction-aware: for a lower-is-better KPI the axis is reversed, so
    better is always to the right.  ``gaps`` is a :func:`gap_table` (one
    team's rows); values are drawn in ``units`` (default: the unit that reads
    best for the KPI's current, target and baseline), the unit beside the
    KPI's name.  Returns the Figure.
    """
    gaps = gaps[gaps["current"].notna()]
    n = max(len(gaps), 1)
    fig, axes = plt.subplots(n, 1, figsize=(7.5, 0.75 * n + 0.6), squeeze=False)
    band_colours = ["#f4cccc", "#fff2cc", "#d9ead3", "#b6d7a8"]
    for ax, g in zip(axes[:, 0], gaps.itertuples()):
        d = _kpi(catalogue, g.kpi)
        unit = _unit(d, g.kpi, units, [g.current, g.target, g.baseline])
        refs, differ = [], False
        if benchmarks is not None:
            b = benchmarks[benchmarks["kpi"] == g.kpi].set_index("benchmark")["value"]
            kinds = [k for k in ("industry_median", "top_quartile", "best_in_class") if k in b]
            # bands need one value each: sources that give different ones, no bands
            differ = any(b[[k]].nunique() > 1 for k in kinds)
            refs = [] if differ else [float(b[[k]].iloc[0]) for k in kinds]
        current, target, baseline = (v * unit.scale for v in (g.current, g.target, g.baseline))
        refs = [r * unit.scale for r in refs]
        values = [current, target, baseline, *refs]
        lo, hi = min(values), max(values)
        pad = (hi - lo) * 0.15 or abs(hi) * 0.1 or 1.0
        lo, hi = lo - pad, hi + pad
        if d is not None and d.bounds:
            blo, bhi = d.bounds
            lo = max(lo, blo * unit.scale) if blo is not None else lo
            hi = min(hi, bhi * unit.scale) if bhi is not None else hi
        lower_better = g.direction == "lower"
        worst, best = (hi, lo) if lower_better else (lo, hi)
        edges = [worst, *refs, best]
        for i in range(len(edges) - 1):
            ax.axvspan(edges[i], edges[i + 1], color=band_colours[min(i, 3)] if refs else "#eeeeee",
                       lw=0)
        # a value the gap table does not take as it is: the least an open deadline
        # period can end at, or one on too few observations; drawn so, and said
        bound = bool(getattr(g, "deadline_at_least", False))
        few = pd.notna(g.n) and g.n < MIN_N
        ax.barh([0], [current - worst], left=worst, height=0.35, color="#33475b",
                alpha=0.45 if few else 1.0, hatch="///" if bound else None,
                edgecolor="white" if bound else None, lw=0)
        marks = ([msg("figures.bullet.at_least", language)] if bound else []) + \
            ([msg("figures.bullet.few", language, n=f"{g.n:,.0f}", min_n=MIN_N)] if few else []) \
            + ([msg("figures.bullet.sources_differ", language)] if differ else [])
        if marks:
            ax.annotate(mpl(msg("figures.bullet.marks", language).join(marks)), (current, 0),
                        xytext=(4, 9), textcoords="offset points", fontsize=7, va="bottom",
                        color="#33475b")
        ax.axvline(target, color="black", lw=2.2, ymin=0.15, ymax=0.85)
        ax.set_xlim(worst, best)
        ax.set_yticks([0])
        ax.set_yticklabels([mpl(d.axis_label(language, unit) if d is not None else g.kpi)],
                           fontsize=9)
        _value_axis(ax, d, unit, language, axis="x")
        ax.tick_params(axis="x", labelsize=8)
        for side in ("top", "right", "left"):
            ax.spines[side].set_visible(False)
    has_bands = benchmarks is not None and len(benchmarks)
    _title(axes[0, 0], msg("figures.bullet.title_bands" if has_bands else "figures.bullet.title",
                           language), fontsize=9)
    fig.tight_layout()
    return fig


# ------------------------------------------------------------------ comparisons
@_in_language
def peer_heatmap(matrix: pd.DataFrame, *, team: str | None = None,
                 catalogue: Catalogue | None = None, ax=None, language: str = "en",
                 period=None):
    """Teams x KPIs percentile ranks (100 = best) from :func:`peer_matrix`;
    ``team``'s row framed and its name in the team colour (bold where the font
    has a bold face); with ``period``, the title "Percentile among teams
    (100 = best), <period>" (a KPI ranked in an earlier period, one of the
    matrix's ``attrs["periods"]``, names it beside its label), and for a matrix cut by
    :func:`~servicekpi.benchmarking.nearest_peers` a second line naming the
    ranks shown.  Returns the Axes."""
    if ax is None:
        fig, ax = plt.subplots(figsize=(1.0 + 0.55 * matrix.shape[1],
                                        1.2 + 0.42 * matrix.shape[0]))
    earlier = matrix.attrs.get("periods") or {}    # KPIs ranked in an earlier period
    labels = [mpl(msg("team.value_at", language, value=_name(catalogue, k, language),
                      period=label(earlier[k])) if k in earlier
                  else _name(catalogue, k, language)) for k in matrix.columns]
    sns.heatmap(matrix, ax=ax, vmin=0, vmax=100, cmap="RdYlGn", annot=True, fmt=".0f",
                annot_kws={"fontsize": 7},
                cbar_kws={"label": msg("figures.heatmap.colourbar", language)},
                linewidths=0.5, linecolor="white", xticklabels=labels,
                yticklabels=[mpl(r) for r in matrix.index])
    ax.set_xlabel("")
    ax.set_ylabel("")
    ax.tick_params(axis="x", labelsize=8, rotation=90)
    if period is not None:
        title = msg("figures.heatmap.title", language, period=label(pd.Period(period)))
        cut = matrix.attrs
        if "ranked" in cut:
            ranks = {"first": cut["first"], "last": cut["last"], "ranked": cut["ranked"]}
            title += "\n" + (msg("figures.heatmap.nearest", language, team=mpl(team), **ranks)
                             if cut.get("centred") and team is not None else
                             msg("figures.heatmap.best", language, **ranks))
        _title(ax, title)
    if team is not None:
        for lab in ax.get_yticklabels():
            if lab.get_text() == mpl(team):
                lab.set_color(TEAM_COLOUR)
                if bold_ok():
                    lab.set_fontweight("bold")
        rows = list(matrix.index)
        if team in rows:
            i = rows.index(team)
            ax.add_patch(plt.Rectangle((0, i), matrix.shape[1], 1, fill=False,
                                       edgecolor="black", lw=1.6))
    return ax


@_in_language
def scorecard_contributions(scores: pd.DataFrame, *, team: str,
                            catalogue: Catalogue | None = None, ax=None,
                            language: str = "en"):
    """Each KPI's weighted contribution to the team's total (bars sum to the
    total when every KPI is scored); grey: the points still to earn before
    the KPI reaches its target (score 100).  ``scores`` is
    :attr:`Scorecard.scores`.  Returns the Axes."""
    from .catalogue import fmt_score
    from .scorecard import unscored_reason
    ax = ax or plt.gca()
    g = scores[scores["team"] == team].copy()
    names = [_name(catalogue, k, language) for k in g["kpi"]]
    # why each unscored KPI is not scored, the KPI by its name (its bar's label)
    g["why"] = [unscored_reason({**row, "kpi": name}, language) if row.get("reason") else ""
                for row, name in zip(g.to_dict("records"), names)]
    g["label"] = [mpl(n) for n in names]
    g = g.iloc[::-1]
    got = g["contribution"].fillna(0).to_numpy()
    lost = (g["weight"] * (100 - g["score"].clip(upper=100))).fillna(g["weight"] * 100).to_numpy()
    y = np.arange(len(g))
    ax.barh(y, got, color=TEAM_COLOUR, label=msg("figures.contributions.earned", language))
    ax.barh(y, lost, left=got, color="#d0d0d0",
            label=msg("figures.contributions.to_target", language))
    for yi, (c, s, status, why) in enumerate(zip(got, g["score"], g["status"], g["why"])):
        text = (msg("figures.contributions.not_scored", language, reason=mpl(why))
                if status == "missing" else
                msg("figures.contributions.score", language, score=fmt_score(s)))
        ax.text(c + 0.5, yi, text, va="center", fontsize=8)
    ax.set_yticks(y)
    ax.set_yticklabels(g["label"], fontsize=9)
    progress = "rule" in g and (g["rule"] == "progress").all()
    # a long sentence: wrapped at the figure's edges (a report's figure is 8 inches wide)
    ax.set_xlabel(msg("figures.contributions.xlabel_progress" if progress
                      else "figures.contributions.xlabel_score", language), wrap=True)
    ax.legend(loc="lower right", fontsize=8, frameon=False)
    ax.grid(axis="x", alpha=0.3)
    return ax


# ------------------------------------------------------------------ outlook
@_in_language
def fan_chart(data: pd.DataFrame, forecast, *, team: str, kpi: str, target=None,
              catalogue: Catalogue | None = None, periods: int | None = None, ax=None,
              language: str = "en", units: dict | None = None):
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
    history alone.  ``language`` and ``units`` as for :func:`kpi_trend` (the
    unit is chosen from the history drawn).  Returns the Axes.
    """
    from .forecast import Simulation

    _expect_kpi(data, team, kpi, catalogue)
    d = _kpi(catalogue, kpi)
    if d is not None and not (units and kpi in units):
        hist = data[(data["team"] == team) & (data["kpi"] == kpi)].sort_values("period")
        units = {**(units or {}), kpi: d.display_unit(
            hist["value"].tail(periods) if periods else hist["value"])}
    unit = _unit(d, kpi, units, [])
    ax = kpi_trajectory(data, team=team, kpi=kpi, target=target, catalogue=catalogue,
                        periods=periods, ax=ax, language=language, units=units)
    sim = forecast if isinstance(forecast, Simulation) else None
    if sim is not None:
        frame, centre, line = sim.frame(), "median", msg("figures.fan.median", language)
    elif forecast is not None and "median" in forecast:    # servicekpi.forecast's frame
        frame, centre, line = forecast, "median", msg("figures.fan.median", language)
    elif forecast is not None:
        frame, centre, line = forecast, "mean", msg("figures.fan.forecast", language)
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
                lo = np.r_[start[1], frame[f"lower_{lev}"].to_numpy(float)] * unit.scale
                hi = np.r_[start[1], frame[f"upper_{lev}"].to_numpy(float)] * unit.scale
                ax.fill_between(x0, lo, hi, color=TEAM_COLOUR, alpha=alpha, lw=0,
                                label=msg("figures.fan.interval", language, level=lev))
        ax.plot(x0, np.r_[start[1], frame[centre].to_numpy(float)] * unit.scale,
                color=TEAM_COLOUR, ls="-.", lw=1.4, label=line)
        lo_x, hi_x = ax.get_xlim()
        ax.set_xlim(lo_x, max(hi_x, x[-1] + 0.5))
        freq = frame.index.freq
        step = max(1, math.ceil((ax.get_xlim()[1] - ax.get_xlim()[0]) / 7))
        ticks = list(range(int(math.ceil(ax.get_xlim()[0])), int(ax.get_xlim()[1]) + 1, step))
        ax.set_xticks(ticks)
        ax.set_xticklabels([label(pd.Period(ordinal=t, freq=freq)) for t in ticks], fontsize=8)
    model = sim.model if sim is not None else (frame.attrs.get("model") if len(frame) else None)
    extra = [msg("figures.fan.model", language, model=model_name(model, language))] \
        if model else []
    deadline = pd.Period(target["deadline"]) if target is not None else None
    if (sim is not None and sim.ok and deadline is not None and deadline in sim.index
            and d is not None and d.direction in ("higher", "lower")):
        p = sim.outlook(float(target["target"]), d.direction, at=deadline)["probability"]
        extra.append(msg("figures.fan.probability", language, deadline=label(deadline),
                         percent=fmt_probability(p)))
    if extra:
        _title(ax, msg("figures.fan.extra", language, title=ax.get_title(loc="left"),
                       items=msg("figures.fan.separator", language).join(extra)))
    return ax


# ------------------------------------------------------------------ diagnostics
@_in_language
def control_chart(table: pd.DataFrame, *, catalogue: Catalogue | None = None, ax=None,
                  language: str = "en", units: dict | None = None):
    """Draw a :func:`servicekpi.diagnostics.control_chart` table: values, the
    centre line (the seasonal expectation, for a seasonal chart) and the
    control limits, stepped by period and stage; each stage's phase-I
    baseline shaded; a dotted line where a new stage starts (a known or
    detected shift); flagged points circled in red.  ``language`` and
    ``units`` as for :func:`kpi_trend`.  Returns the Axes."""
    ax = ax or plt.gca()
    kpi = table.attrs.get("kpi", "")
    d = _kpi(catalogue, kpi)
    unit = _unit(d, kpi, units, table["value"])
    scale = unit.scale
    # each period at its place in time: a month without a value is a gap in the
    # lines, not squeezed out (three points of 2025-12, 2026-01 and 2026-03 are not
    # evenly spaced)
    ordinals = np.array([p.ordinal for p in table["period"]], dtype=np.int64)
    x = ordinals - ordinals[0] if len(ordinals) else ordinals
    span = int(x[-1]) + 1 if len(x) else 0

    def spread(col):               # a column over every period of the span, NaN between
        out = np.full(span, np.nan)
        out[x] = table[col].to_numpy(float) * scale
        return out
    seasonal = bool(table.attrs.get("seasonal"))
    base = table["baseline"].to_numpy() if "baseline" in table else np.zeros(len(x), bool)
    for i in np.flatnonzero(base & ~np.r_[False, base[:-1]]):     # each baseline window
        j = i
        while j + 1 < len(x) and base[j + 1]:
            j += 1
        ax.axvspan(x[i] - 0.5, x[j] + 0.5, color="#eeeeee", zorder=0, lw=0,
                   label=msg("figures.control.baseline", language))
    stage = table["stage"].to_numpy() if "stage" in table else np.ones(len(x), int)
    for i in np.flatnonzero(np.diff(stage)) + 1:
        ax.axvline(x[i] - 0.5, color="#777777", lw=0.9, ls=":",
                   label=msg("figures.control.new_stage", language))
        ax.annotate(msg("figures.control.stage", language, stage=stage[i]), (x[i] - 0.4, 1),
                    xycoords=("data", "axes fraction"), va="top", fontsize=7, color="#555555")
    every = np.arange(span)
    ax.plot(every, spread("value"), marker="o", ms=3.5, color=TEAM_COLOUR,
            lw=1.2, label=msg("figures.control.value", language), zorder=3)
    ax.step(every, spread("centre"), where="mid", color="#555555", lw=1,
            label=msg("figures.control.seasonal_centre" if seasonal
                      else "figures.control.centre", language))
    ax.step(every, spread("ucl"), where="mid", color="#c62828", lw=0.9,
            ls="--", label=msg("figures.control.limits", language))
    ax.step(every, spread("lcl"), where="mid", color="#c62828", lw=0.9, ls="--")
    sig = table["signal"].to_numpy()
    if sig.any():
        ax.plot(x[sig], table["value"].to_numpy(float)[sig] * scale, "o", ms=8, mfc="none",
                mec="#c62828", mew=1.8, label=msg("figures.control.special_cause", language),
                zorder=4)
    step = max(1, math.ceil(span / 7))
    ticks = every[::step]
    ax.set_xticks(ticks)
    ax.set_xticklabels([label(table["period"].iloc[0] + int(t)) for t in ticks], fontsize=8)
    ax.set_xlim(-0.6, span - 0.4)
    kind = table.attrs.get("kind")
    kind = msg(f"figures.control.{kind if kind in ('p', 'laney') else 'xmr'}", language)
    title = msg("figures.control.title_seasonal" if seasonal else "figures.control.title",
                language, label=mpl(_name(catalogue, kpi, language)), kind=kind)
    _title(ax, title)
    _value_axis(ax, d, unit, language)
    ax.grid(axis="y", alpha=0.3)
    return ax


@_in_language
def competency_radar(gaps: pd.DataFrame, *, team: str, ax=None, labels: dict | None = None,
                     language: str = "en"):
    """Radar chart of a team's average competency scores against the target
    profile (``gaps`` from :func:`servicekpi.competencies.competency_gaps`).
    ``labels`` maps a dimension to the name drawn (default: its name in
    ``language``, :func:`servicekpi.competencies.dimension_label`).  Returns
    the Axes."""
    from .competencies import dimension_label

    g = gaps[gaps["team"] == team]
    if ax is None:
        fig = plt.figure(figsize=(5, 5))
        ax = fig.add_subplot(projection="polar")
    angles = np.linspace(0, 2 * np.pi, len(g), endpoint=False)
    loop = np.r_[angles, angles[:1]]
    for col, colour, style, key in (("target", "#c62828", "--", "figures.radar.target"),
                                    ("mean", TEAM_COLOUR, "-", "figures.radar.team")):
        vals = g[col].to_numpy(float)
        ax.plot(loop, np.r_[vals, vals[:1]], color=colour, ls=style, lw=1.8,
                label=msg(key, language))
        if col == "mean":
            ax.fill(loop, np.r_[vals, vals[:1]], color=colour, alpha=0.15)
    names = [mpl(labels[d] if labels and d in labels else dimension_label(d, language))
             for d in g["dimension"]]
    ax.set_xticks(angles)
    ax.set_xticklabels(names, fontsize=9)
    ax.set_ylim(1, 5)
    ax.set_yticks([2, 3, 4, 5])
    ax.tick_params(axis="y", labelsize=7)
    ax.legend(loc="upper right", bbox_to_anchor=(1.25, 1.12), fontsize=8, frameon=False)
    return ax
