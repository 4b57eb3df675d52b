"""The sections of the team report, in reading order: for each section its
heading and explanation (message text) and its items in order.

A section's items are made by :mod:`.tables` (Stylers), :mod:`.figures`
(Figures) and :mod:`.sentences` (Markdown and one-sentence Notes); where an
input is absent the section shows the Note saying so instead of the table or
figure.  ``report.section(key)`` (:func:`show_section`) displays one section
in a notebook, so the notebook is one line per section::

    report.section("gaps")

:func:`items` gives a section's items without displaying them (tests, other
front ends).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from . import figures, sentences, tables
from ..errors import ReportError
from ..i18n import catalogue, msg
from .common import Markdown, Note, show


@dataclass(frozen=True)
class Section:
    """One section: ``heading`` is the key of its heading and explanation
    (None: no heading, e.g. the title block), ``items`` make what it shows,
    in order, each from the report (None: nothing to show)."""

    heading: str | None
    items: tuple[Callable, ...]


def _either(why: Callable, item: Callable) -> Callable:
    """``why(report)`` (a Note, or None) when it says something, else ``item(report)``."""
    def make(report):
        found = why(report)
        return found if found is not None else item(report)
    return make


def _when(condition: Callable, item: Callable) -> Callable:
    """``item(report)`` when ``condition(report)``, else nothing."""
    return lambda report: item(report) if condition(report) else None


def _note(key: str, condition: Callable) -> Callable:
    """The note ``key`` when ``condition(report)``, else None."""
    return lambda report: sentences.note(report, key) if condition(report) else None


def _no_comparison(report) -> Note | None:
    """Why there is nothing to compare with: the team's values all rest on too few
    observations, or there is no benchmark and no peer with enough of them."""
    from ..gaps import MIN_N
    from ..periods import label
    if report.has_comparison:
        return None
    t = report.benchmark_rows()
    if len(t) and (t["position"] == "few").all():
        return sentences.note(report, "few_own", min_n=MIN_N, period=label(report.period))
    last = sentences.last_ticket_period(report)
    if last is not None:        # no tickets in the period: nothing of its own to compare
        return sentences.note(report, "no_own_values", period=label(report.period),
                              last=label(last))
    return sentences.note(report, "no_comparison", min_n=MIN_N)


def _control_note(report) -> Note | None:
    if not report.has_targets:
        return sentences.note(report, "no_control")
    if not report.control_tables():
        return sentences.note(report, "short_control")
    return None


def _signals(report):
    if not report.control_tables():
        return None                      # no charts: their note says why
    from . import team
    recent = team.SIGNAL_PERIODS
    if report.control_signals(recent).empty:
        return sentences.note(report, "no_signals", signal_periods=recent)
    return tables.signals(report, recent)


def _causes_note(report) -> Note | None:
    from ..periods import label
    if not report.has_categories:
        missing = [c for c in ("is_complaint", "category") if c not in report.tickets.columns]
        return sentences.note(report, "no_causes_" + "_".join(missing))
    if report.top_causes().empty:
        return sentences.note(report, "no_complaints", period=label(report.period)
                              if report.period is not None else "–")
    return None


def _peers_note(report) -> Note | None:
    from ..periods import label
    m = report.peer_matrix()
    if m.shape[1] == 0 or m.shape[0] < 2:
        from ..gaps import MIN_N
        return sentences.note(report, "no_peers", period=label(report.period)
                              if report.period is not None else "–", min_n=MIN_N)
    return None


def _competency_note(report) -> Note | None:
    if report.competencies is None:
        return sentences.note(report, "no_competencies")
    if report.competency() is None:
        return sentences.note(report, "no_team_competencies")
    return None


def _no_targets(key: str) -> Callable:
    """The note why there are no targets to assess (``no_targets`` /
    ``no_team_targets``), or, for a section that has its own sentence for
    it, the note ``key``."""
    def why(report):
        found = sentences.targets_note(report)
        if found is None:
            return None
        return found if key is None else sentences.note(report, key)
    return why


def _has_targets(report) -> bool:
    return report.has_targets


#: Every section of the team report, in reading order.
SECTIONS: dict[str, Section] = {
    "header": Section(None, (sentences.header,)),
    "summary": Section("summary", (sentences.partial_note, sentences.quiet_note,
                                   sentences.status_summary,
                                   _when(_has_targets, sentences.scorecard_summary))),
    "headline": Section("headline", (tables.headline, sentences.kpis_note)),
    "gaps": Section("gaps", (sentences.stray_targets_note,
                             _either(_no_targets(None), tables.gaps), figures.trajectories)),
    "achievable": Section("achievable", (_either(_no_targets(None), tables.achievability),)),
    "benchmarks": Section("benchmarks", (
        sentences.benchmarks_note,
        _either(_no_comparison, tables.benchmarks),
        figures.bullet, _either(_peers_note, figures.peers))),
    # the scorecard's summary sentence is in the summary section, once
    "scorecard": Section("scorecard", (_either(_no_targets("no_scorecard"), tables.scorecard),
                                       figures.contributions)),
    "forecasts": Section("forecasts", (_either(_no_targets("no_forecasts"), tables.outlook),
                                       figures.fans)),
    "diagnostics": Section("diagnostics", ()),
    "control": Section("control", (_either(_control_note, figures.control), _signals)),
    "causes": Section("causes", (_either(_causes_note, tables.causes),)),
    "driver": Section("driver", (sentences.driver,
                                 _when(lambda r: r.main_driver() is not None,
                                       tables.driver_segments))),
    "competencies": Section("competencies", (_either(_competency_note, figures.competency),
                                             _when(lambda r: r.competency() is not None,
                                                   tables.competency))),
    "trends": Section("trends", (figures.trends, tables.trend)),
    "quality": Section("quality", (tables.quality,)),
    "appendix": Section("appendix", (tables.parameters,)),
    "definitions": Section("definitions", (tables.definitions,)),
}


#: The sections (``report.section.<key>``) whose ``{...}`` :func:`text` fills
#: with the numbers the code uses (:func:`quoted_defaults`), so the text
#: cannot drift from them.
FILLED = ("headline", "gaps", "achievable", "benchmarks", "forecasts", "control", "causes")


def quoted_defaults() -> dict:
    """The code's defaults that the texts of :data:`FILLED` quote: the gap
    table's probability thresholds (``low``, ``high``), ``min_n``, ``level``
    and ``max_stale``, the open-ticket share that makes a period incomplete
    (``max_open``), the periods a pace is measured over (``pace_periods``),
    the number of models the forecast combines (``components``; ``short_components``
    for a series shorter than ``short`` periods) and of series its intervals
    were calibrated on (``calibration_series``), the control charts' phase-I
    reference (``baseline``), the run that starts a new stage
    (``shift_run``) and the recent periods whose special causes are listed
    (``signal_periods``), and how many complaint causes are the top ones
    (``top_causes``)."""
    from ..diagnostics import BASELINE, SHIFT_RUN
    from ..ensemble import COMPONENTS, SHORT, SHORT_COMPONENTS, calibration
    from ..gaps import LEVEL, MAX_STALE, MIN_N, THRESHOLDS
    from ..kpis import MAX_OPEN_SHARE
    from ..targets import PACE_PERIODS
    from . import team

    def pct(x):
        return f"{100 * x:g}%"
    return {"low": pct(THRESHOLDS[0]), "high": pct(THRESHOLDS[1]), "min_n": MIN_N,
            "level": pct(LEVEL), "max_stale": MAX_STALE, "max_open": pct(MAX_OPEN_SHARE),
            "pace_periods": PACE_PERIODS, "components": len(COMPONENTS),
            "short": SHORT, "short_components": len(SHORT_COMPONENTS),
            "calibration_series": f"{calibration().series:,}",
            "baseline": BASELINE, "shift_run": SHIFT_RUN,
            "signal_periods": team.SIGNAL_PERIODS, "top_causes": team.TOP_CAUSES}


def _component_names(language: str) -> str:
    """The combination's models by name, in ``language``: "Theta, ETS with a
    damped trend, ARIMA(1,1,1) with drift, the airline model"."""
    from ..ensemble import COMPONENTS
    from ..gaps import model_name
    return msg("team.list_sep", language).join(model_name(c, language) for c in COMPONENTS)


def text(key: str, language: str = "en") -> str:
    """A section's heading and explanation (``report.section.<key>``, Markdown)
    in ``language``; the numbers of the :data:`FILLED` sections filled in from
    the code's defaults.  Other sections with ``{...}`` (the scorecard's) are
    returned unfilled, for the caller to fill."""
    name = f"report.section.{key}"
    if key in FILLED:
        return msg(name, language, **quoted_defaults(), models=_component_names(language))
    if name not in catalogue(language):
        raise ReportError(f"no message {name!r} in language {language!r}")
    return catalogue(language)[name]


def heading(report, key: str) -> Markdown | None:
    """A section's heading and explanation in the report's language, the
    numbers it quotes filled in from the code's constants."""
    name = SECTIONS[key].heading
    if name is None:
        return None
    body = text(name, report.language)
    if name == "scorecard":          # the grading rule's numbers, in words
        from ..scorecard import rule_text
        body = body.format(**rule_text(report.language))
    if name == "forecasts" and report.params.freq != "month":
        # the intervals' errors are monthly series': said for a weekly or quarterly team
        body += ("" if report.language == "zh" else " ") + msg(   # no space after 。
            "report.forecast_freq", report.language,
            freq=msg(f"team.freq.{report.params.freq}", report.language))
    return Markdown(body)


def items(report, key: str) -> list:
    """What section ``key`` shows after its heading, in order: Stylers,
    Figures, Markdown and Notes (nothing left out is None)."""
    if key not in SECTIONS:
        from ..errors import InvalidArgument
        raise InvalidArgument(f"no report section {key!r}; the sections are "
                              f"{', '.join(SECTIONS)}")
    return [x for x in (make(report) for make in SECTIONS[key].items) if x is not None]


def show_section(report, key: str) -> None:
    """Display section ``key``: its heading, then its items."""
    show(heading(report, key) if key in SECTIONS else None, *items(report, key))
