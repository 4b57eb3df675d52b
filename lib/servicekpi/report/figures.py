"""Every figure of the team report: a matplotlib Figure, or None when there
is nothing to draw (the section's note says why).

Each function takes a :class:`~.team.TeamReport`, draws its numbers (computed
once there) with :mod:`servicekpi.plots`, in the report's language and in the
unit each KPI's tables use (:attr:`TeamReport.units`).  Figure sizes are
set here or by the plots, never in a notebook.
"""
from __future__ import annotations

import functools

from .common import MEASURED

__all__ = ["bullet", "competency", "contributions", "control", "fans", "peers",
           "trajectories", "trends"]

#: Rows of the team report's peer heatmap at most: among more teams it shows
#: the team and the teams ranked nearest to it (every team's rank on every
#: KPI is in the benchmarks table; the overview's heatmap has every team).
PEER_ROWS = 25


def _measured(make):
    """A figure function whose figure may be measured as laid out when shown
    (:data:`servicekpi.report.common.MEASURED`)."""
    @functools.wraps(make)
    def wrapper(report):
        fig = make(report)
        if fig is not None:
            MEASURED.add(fig)
        return fig
    return wrapper


def _common(report) -> dict:
    return {"catalogue": report.catalogue, "language": report.language,
            "units": report.units}


@_measured
def trends(report):
    """Every shown KPI over the shown periods against the other teams' median;
    a partial period, and durations of periods with too many tickets still
    open, drawn hollow."""
    from .. import plots
    from ..i18n import note
    from ..kpis import MAX_OPEN_SHARE
    from .tables import period_label
    if not report.shown_kpis or not report.periods:
        return None
    k = report.kpis[(report.kpis["period"] >= report.periods[0])
                    & (report.kpis["period"] <= report.periods[-1])]
    return plots.trend_grid(k, team=report.params.team, name=report.name,
                            kpi_list=report.shown_kpis,
                            periods=report.params.history_periods, partial=report.partial,
                            partial_label=(period_label(report, report.partial)
                                           if report.partial is not None else ""),
                            max_open_share=MAX_OPEN_SHARE,
                            incomplete_label=note("incomplete_legend", report.language),
                            **_common(report))


@_measured
def trajectories(report):
    """Each target's path: actual (assessed periods), glide path, target,
    benchmarks; None without targets."""
    from .. import plots
    if not report.has_targets:
        return None
    return plots.trajectory_grid(report.assessed_kpis, report.team_targets,
                                 team=report.params.team, benchmarks=report.benchmarks,
                                 periods=2 * report.params.history_periods, **_common(report))


@_measured
def bullet(report):
    """Actual against target over benchmark bands, per targeted KPI with a
    value; None without targets or values."""
    from .. import plots
    if not report.has_targets:
        return None
    g = report.gaps()
    if not g["current"].notna().any():
        return None
    return plots.bullet_chart(g, report.benchmarks, **_common(report))


@_measured
def peers(report):
    """Percentile of every team on every KPI (100 = best); among more than
    :data:`PEER_ROWS` teams, the team and the teams ranked nearest to it
    (:func:`servicekpi.benchmarking.nearest_peers`; the title says which
    ranks).  None without other teams (the section's note says why)."""
    from .. import plots
    from ..benchmarking import nearest_peers
    m = report.peer_matrix()
    if m.shape[1] == 0 or m.shape[0] < 2:
        return None
    shown = nearest_peers(m, report.params.team, PEER_ROWS)
    shown = shown.rename(index=report.name_of)          # names, as the overview's rows
    ax = plots.peer_heatmap(shown, team=report.name, catalogue=report.catalogue,
                            language=report.language, period=report.period)
    return ax.figure


@_measured
def contributions(report):
    """Each KPI's points in the team's composite score; None without targets."""
    import matplotlib.pyplot as plt

    from .. import plots
    if not report.has_targets:
        return None
    fig, ax = plt.subplots(figsize=(8, 0.6 * max(len(report.team_targets), 1) + 1.2))
    plots.scorecard_contributions(report.scorecard().scores, team=report.params.team,
                                  catalogue=report.catalogue, ax=ax,
                                  language=report.language)
    return fig


@_measured
def fans(report):
    """One fan chart per target: its simulation from the gap table (exactly
    its periods, to the deadline) over the assessable history it was
    simulated from; a target without a forecast shows its history alone.
    None without targets."""
    from .. import plots
    if not report.has_targets:
        return None
    forecasts = report.forecasts()
    items = [(t, forecasts[t["kpi"]]) for _, t in report.team_targets.iterrows()]

    def draw(ax, item):
        t, sim = item
        plots.fan_chart(report.assessed_kpis, sim, team=report.params.team, kpi=t["kpi"],
                        target=t, periods=report.params.history_periods, ax=ax,
                        **_common(report))
    return plots.small_multiples(items, draw, ncols=2, panel=(6.2, 3.3), legend_cols=3)


@_measured
def control(report):
    """Control charts of the targeted KPIs; None when there are none."""
    from .. import plots
    tables = list(report.control_tables().values())
    if not tables:
        return None

    def draw(ax, table):
        plots.control_chart(table, ax=ax, **_common(report))
    return plots.small_multiples(tables, draw, ncols=2, panel=(6.2, 3.0), legend_cols=4)


@_measured
def competency(report):
    """The competency radar; None without assessments of the team."""
    from .. import plots
    from ..competencies import dimension_labels
    g = report.competency()
    if g is None:
        return None
    ax = plots.competency_radar(g, team=report.params.team, language=report.language,
                                labels=dimension_labels(report.language))
    return ax.figure
