"""The sentences of the team report, in its language: the header block, the
status summary, the scorecard summary, the main driver's paragraph, the
one-sentence notes shown in place of a table or figure, and the words for
the analysis modules' codes (a status's rule, a verdict, a control rule).

Each function takes a :class:`~.team.TeamReport` and returns Markdown (user
text made literal) or a :class:`~.common.Note`; the words come from the
message catalogue (``team.*``, ``report.*``, ``grade.*``, ``status.*``).
"""
from __future__ import annotations

from datetime import datetime
from pathlib import Path

import numpy as np
import pandas as pd

from .. import literal
from ..catalogue import fmt_score
from ..i18n import grade_words, msg
from ..periods import label
from ..status import Status
from ..tickets import export_rows
from .common import Markdown, Note, done_share


def note(report, key: str, **values) -> Note:
    """The one-sentence note ``key`` in the report's language."""
    from ..i18n import note as words
    return Note(words(key, report.language, **values))


def stray_targets_note(report) -> Note | None:
    """Targets rows of a team the export does not have whose name is spelt most
    like this team's of all the export's teams (``phnoe`` for ``phone``, as
    :func:`difflib.get_close_matches` finds it): not among its targets, so its
    composite weighs the others alone; said on its page, with the file's rows."""
    import difflib

    from ..teams import team_id
    if report.params.targets is None:
        return None
    source = Path(report.params.targets).name
    teams = sorted({report.params.team, *report.names})
    rows, names = [], []
    for p in report.unused:
        if p.source != source or p.column != "team":
            continue
        for row, value in zip(p.rows, p.values):
            written = "" if value is None else str(value)
            if difflib.get_close_matches(team_id(written), teams, n=1) == [report.params.team]:
                rows.append(str(row))
                names.append(written)
    if not rows:
        return None
    return note(report, "stray_targets", file=literal.md(source),
                rows=msg("team.list_sep", report.language).join(
                    msg("data.row_dropped.row", report.language, row=r) for r in rows),
                names=msg("team.list_sep", report.language).join(
                    literal.md(repr(n)) for n in dict.fromkeys(names)))


def _names(report, kpis) -> str:
    return literal.md(msg("team.list_sep", report.language).join(
        report.catalogue.label(k, report.language) for k in kpis))


def _end(report, parts: list[str]) -> str:
    """Sentences joined the way the language joins them."""
    return ("" if report.language == "zh" else " ").join(p for p in parts if p)


# ---------------------------------------------------------------------- header
def header(report) -> Markdown:
    """Title block: title, team, periods covered, generation time, source
    (user text literal)."""
    from .tables import period_label
    p, lang, esc = report.params, report.language, literal.md
    ps = report.periods
    span = (msg("team.header.span", lang, first=label(ps[0]),
                last=period_label(report, ps[-1])) if ps else msg("team.header.no_data", lang))
    as_of = report.tickets.attrs.get("as_of")
    stamp = (pd.Timestamp(as_of).strftime("%Y-%m-%d %H:%M") if as_of is not None
             else msg("team.header.unknown", lang))
    title = msg("team.header.title", lang, name=report.name,
                title=p.title or msg("team.header.default_title", lang))
    return Markdown(
        f"# {esc(title)}\n\n"
        # the id beside the name, unless it is the name (投诉处理中心（投诉处理中心）)
        + msg("team.header.line" if report.name != p.team else "team.header.line_no_id", lang,
              name=esc(report.name), id=f"<code>{esc(p.team)}</code>",
              span=span, freq=msg(f"team.freq.{p.freq}", lang),
              generated=datetime.now().strftime("%Y-%m-%d %H:%M"))
        + "\n\n"
        + msg("team.header.source", lang, file=f"<code>{esc(Path(p.tickets).name)}</code>",
              n=f"{export_rows(report.tickets):,}", as_of=stamp))


# ---------------------------------------------------------------------- notes
def targets_note(report) -> Note | None:
    """Why there is nothing to assess (no targets file, none for the team), or None."""
    if report.targets is None:
        return note(report, "no_targets")
    if report.team_targets.empty:
        return note(report, "no_team_targets")
    return None


def partial_note(report) -> Note | None:
    """One note when the last period is partial: left out, or used as full."""
    from ..i18n import day_words
    from ..periods import last_day
    q = report.partial
    if q is None:
        return None
    day = day_words(last_day(report.coverage_end), report.language)
    if q in report.assessed_periods:
        return note(report, "partial_used", label=label(q), day=day)
    return note(report, "partial", label=label(q), day=day,
                assessed=label(report.period) if report.period is not None else "–")


def last_ticket_period(report) -> pd.Period | None:
    """The team's latest period with tickets, when it is before the assessed
    period (a team that stopped, or is quiet); None otherwise."""
    if report.period is None:
        return None
    rows = report.team_rows(report.kpis, "volume")
    busy = rows.loc[rows["value"].fillna(0) > 0, "period"]
    last = busy.max() if len(busy) else None
    return last if last is not None and last < report.period else None


def quiet_note(report) -> Note | None:
    """A note when the team has had no tickets since before the assessed period."""
    last = last_ticket_period(report)
    if last is None:
        return None
    gap = report.period.ordinal - last.ordinal
    return note(report, "quiet" if gap > 1 else "quiet_one", last=label(last),
                period=label(report.period), periods=gap)


def kpis_note(report) -> Note | None:
    """KPIs asked for but without data, or those a KPI table would give when
    none is named; None when nothing is missing."""
    missing = report.missing_kpis()
    if missing is None:
        return None
    why, kpis = missing
    names = msg("team.list_sep", report.language).join(
        report.catalogue.label(k, report.language) for k in kpis)
    return note(report, "no_kpi_table" if why == "no_kpi_table" else "no_data_kpis",
                kpis=names)


def benchmarks_note(report) -> Note | None:
    """Why the comparison is with peers only, or None."""
    if report.benchmarks is None and report.has_comparison:
        return note(report, "no_benchmarks")
    return None


# ---------------------------------------------------------------------- summary
def status_summary(report) -> Markdown | Note:
    """How many targets are in each status, which, and those better than their
    target now but not expected to meet it at the deadline; a Note without
    targets."""
    missing = targets_note(report)
    if missing is not None:
        return missing
    lang = report.language
    g = report.gaps()
    n = len(g)
    parts = [msg("team.summary.count", lang, n=int((g["status"] == s).sum()),
                 status=s.label(lang), kpis=_names(report, g.loc[g["status"] == s, "kpi"]))
             for s in Status if (g["status"] == s).any()]
    period = label(report.period) if report.period is not None else "–"
    out = [msg("team.summary.assessed_one" if n == 1 else "team.summary.assessed", lang,
               n=n, period=period)
           + msg("team.summary.counts", lang,
                 counts=msg("team.summary.sep", lang).join(parts))]
    better = g["better_now"].astype(bool)
    for status in (Status.OFF_TRACK, Status.AT_RISK):
        sub = g[better & (g["status"] == status)]
        if len(sub):
            out.append(msg(f"team.summary.better_{status.value}", lang,
                           kpis=_names(report, sub["kpi"])))
    return Markdown(_end(report, out))


def scorecard_summary(report) -> Markdown | Note:
    """The composite score and its grade (with the cap, when it applies),
    coverage, what was not scored and why, and the fuzzy evaluation, with
    the reason when its grade differs from the crisp one; a Note without
    targets.  No rank: the overview ranks the teams."""
    if not report.has_targets or report.totals is None:
        return note(report, "no_scorecard")
    lang, esc = report.language, literal.md
    sc = report.scorecard()
    me = report.totals
    mine = sc.scores[sc.scores["team"] == report.params.team]
    from ..scorecard import cap_reason, rule_text, unscored_reason, weight_share
    unscored = msg("team.list_sep_long", lang).join(
        msg("team.scorecard.unscored_one", lang, kpi=report.catalogue.label(r.kpi, lang),
            reason=unscored_reason(r, lang, gaps=report.gaps()))
        for r in mine.itertuples() if r.status == "missing")
    period = label(report.period) if report.period is not None else "–"
    if not np.isfinite(me["score"]):
        weightless = [report.catalogue.label(r.kpi, lang) for r in mine.itertuples()
                      if r.status == "scored"]      # scored, all of weight 0: no composite
        if weightless:
            return Markdown(msg("team.scorecard.none_weighted", lang, period=period,
                                scored=esc(msg("team.list_sep", lang).join(weightless)),
                                unscored=esc(unscored) or "–"))
        return Markdown(msg("team.scorecard.none", lang, period=period,
                            unscored=esc(unscored)))
    words = rule_text(lang)
    grade = grade_words(me["grade"], lang)
    capping = cap_reason(sc.scores, report.params.team, lang, catalogue=report.catalogue)
    out = [msg("team.scorecard.score", lang, score=fmt_score(me["score"]), grade=grade)]
    if me["capped"]:
        out.append(msg("team.scorecard.capped", lang, uncapped=grade_words(
            me["grade_uncapped"], lang), targets=esc(capping), heavy=words["heavy"],
            cap=words["cap"]))
    elif isinstance(me["cap"], str) and me["cap"]:
        out.append(msg("team.scorecard.cap_no_effect", lang, grade=grade,
                       targets=esc(capping), heavy=words["heavy"], cap=words["cap"]))
    out.append(msg("team.scorecard.method", lang,
                   source=esc(weights_source(report, sc.weights_source)),
                   coverage=done_share(me["coverage"])))
    if unscored:
        out.append(msg("team.scorecard.unscored", lang, targets=esc(unscored)))
    f = report.fuzzy()
    if f is not None:
        grades = list(f.index[:list(f.index).index("grade")])
        members = msg("team.list_sep_long", lang).join(
            f"{grade_words(g, lang)} {f[g]:.2f}" for g in grades)
        # the largest membership shared by two grades or more: the rule's tie-break
        # (the better grade) picks the grade, the memberships do not lean to it
        from ..scorecard import tied as ties
        tied = [g for g, t in zip(grades, ties([float(f[g]) for g in grades])) if t]
        if len(tied) > 1:
            out.append(msg("team.scorecard.fuzzy_tied", lang, members=members,
                           tied=msg("team.list_sep", lang).join(grade_words(g, lang)
                                                                for g in tied),
                           uncapped=grade_words(f["grade_uncapped"], lang)))
            if f["grade"] != f["grade_uncapped"]:
                out.append(msg("team.scorecard.differs_capped", lang,
                               grade=grade_words(f["grade"], lang)))
        elif f["grade"] != f["grade_uncapped"]:
            out.append(msg("team.scorecard.fuzzy_capped", lang, members=members,
                           uncapped=grade_words(f["grade_uncapped"], lang),
                           grade=grade_words(f["grade"], lang)))
        else:
            out.append(msg("team.scorecard.fuzzy", lang, members=members,
                           grade=grade_words(f["grade"], lang)))
        if len(tied) == 1 and f["grade"] != me["grade"]:     # a tie is said above, no lean
            lean = grade_words(f["grade_uncapped"], lang)
            why = (msg("team.scorecard.lean_targets", lang, k=int(f["lean_targets"]),
                       n=int(f["scored_targets"]), weight=weight_share(f["lean_weight"]),
                       grade=lean)
                   if f["lean_targets"] else msg("team.scorecard.lean_spread", lang))
            out.append(msg("team.scorecard.differs", lang, grade=grade, lean=lean, why=why,
                           score=fmt_score(me["score"]),
                           uncapped=grade_words(me["grade_uncapped"], lang)))
            if me["grade"] != me["grade_uncapped"]:
                out.append(msg("team.scorecard.differs_capped", lang, grade=grade))
    return Markdown(_end(report, out))


# ---------------------------------------------------------------------- main driver
def driver(report) -> Markdown | Note:
    """The main driver paragraph: why this KPI (its control-chart z), which
    comparison and why, the test, the seasonal context and the mix/rate
    split (the table of categories is :func:`.tables.driver_segments`)."""
    from ..diagnostics import SEASONAL_ALPHA, fmt_p
    from .tables import fmt
    m = report.main_driver()
    if m is None:
        return note(report, "no_driver")
    lang, esc = report.language, literal.md
    kpi = m["kpi"]
    words = {"kpi": report.catalogue.label(kpi, lang), "before": label(m["before"]),
             "after": label(report.period), "p": fmt_p(m["seasonal_p"], 2),
             "alpha": f"{SEASONAL_ALPHA * 100:g}%"}
    rank = note(report, "driver_rank_seasonal" if m["seasonal"] else "driver_rank",
                kpi=words["kpi"], after=words["after"], value=fmt(report, kpi, m["value"]),
                expected=fmt(report, kpi, m["expected"]), z=f"{m['z']:+.1f}")
    if m["comparison"] == "year":
        why = note(report, "driver_year", **words)
    elif m["seasonal"]:
        why = note(report, "driver_no_year", **words)
    elif np.isfinite(m["seasonal_p"]):
        why = note(report, "driver_previous", **words)
    else:
        why = note(report, "driver_previous_short", **words)
    lines = [f"*{esc(_end(report, [rank, why]))}*",
             f"**{esc(result_sentence(report, m['test']))}**"]
    if m["context"] is not None:
        lines.append(esc(result_sentence(report, m["context"])))
    lines.append(esc(result_sentence(report, m["decomposition"])))
    return Markdown("\n\n".join(lines))


# ---------------------------------------------------------------------- analysis codes
def result_sentence(report, result) -> str:
    """An analysis result (a comparison, a seasonal context, a decomposition)
    in a sentence, in the report's language, its values in the unit the
    tables use for the KPI (:meth:`TeamReport.unit`)."""
    from ..diagnostics import Decomposition
    unit = report.unit(result.kpi)
    if isinstance(result, Decomposition):
        return result.summary(report.language, unit=unit,
                              by_label=msg("team.driver.col.category", report.language))
    return result.summary(report.language, unit=unit)


def verdict(report, row) -> str:
    """An achievability verdict in words."""
    from ..targets import verdict_text
    return verdict_text(row.verdict, report.language)


def control_rule(report, code: str) -> str:
    """A control-chart rule (:data:`servicekpi.diagnostics.RULES`) in words."""
    from ..diagnostics import rule_text
    return rule_text(code, report.language)


def no_forecast(report, sim) -> str:
    """The outlook's model cell when no forecast was made, with the reason."""
    from ..i18n import catalogue
    lang = report.language
    if sim is None:
        return msg("team.outlook.no_forecast", lang)
    key = f"analysis.forecast.status.{sim.status}"
    return msg("team.outlook.no_forecast_why", lang,
               why=msg(key, lang) if key in catalogue(lang) else sim.status)


def weights_source(report, source: str) -> str:
    """Where the scorecard's weights come from (``team.scorecard.weights.<code>``)."""
    return msg(f"team.scorecard.weights.{source}", report.language)
