"""Every table of the leadership overview, as a pandas Styler in the one report
style (:func:`.common.table`), in the overview's language.

Each function takes an :class:`~.overview.OverviewReport`, reads its numbers
(computed once there) and returns a Styler.  Words come from the message
catalogue (``overview.*``, ``status.*``, ``grade.*``); statuses are coloured
by :class:`~servicekpi.status.Status`.  Team names link to their reports: the
team column is the one column of HTML (each name made literal by
:meth:`~.overview.OverviewReport.team_link`); every other cell is escaped.
"""
from __future__ import annotations

import pandas as pd

from ..catalogue import fmt_probability, fmt_score
from ..i18n import grade_words, msg
from ..periods import label
from ..status import Status
from .common import BETTER, WORSE, dated, done_share, table

__all__ = ["at_risk_table", "ranking_table", "status_table"]

#: Cell colours of the grades, best to worst.
GRADE_COLOURS = {"A": BETTER, "B": "#eef7e8", "C": "#fff2cc", "D": WORSE}


def _words(ov, *keys: str) -> list[str]:
    return [msg(f"overview.column.{k}", ov.language) for k in keys]


def _with_links(style, column: str):
    """The team column shown as the HTML links it holds (names already literal)."""
    return style.format(lambda v: v, subset=[column])


def status_table(ov):
    """Teams x statuses: how many targets each team has in each status for its
    assessed period, and a total row; a count cell coloured by its status."""
    lang = ov.language
    counts = ov.status_counts()
    assessed = set(ov._assessed_teams())      # the others: no targets assessed, not zeros
    team, period = _words(ov, "team", "period")
    out = pd.DataFrame({team: [ov.team_link(t) for t in counts.index],
                        period: [ov.assessed_label(t) for t in counts.index]})
    statuses = [Status(s) for s in counts.columns]
    for s in statuses:
        out[s.label(lang)] = [int(v) if t in assessed else "–"
                              for t, v in counts[s.value].items()]
    total = counts.sum()
    out.loc[len(out)] = [msg("overview.all_teams", lang), "",
                         *[int(total[s.value]) for s in statuses]]
    colours = {s.label(lang): [s.css if v and v != "–" else "" for v in out[s.label(lang)]]
               for s in statuses}
    caption = msg("overview.caption.status", lang)
    if len(assessed) < len(counts):
        caption += msg("overview.caption.status_none", lang)
    style = table(out, caption=caption, colours=colours)
    last = out.index[-1]
    return _with_links(style, team).set_properties(subset=pd.IndexSlice[[last], :],
                                                   **{"font-weight": "bold"})


def ranking_table(ov):
    """Teams by grade, then composite score, with the cap's reason (the targets
    off track or missed that cap the grade, :func:`servicekpi.scorecard.cap_reason`),
    the coverage of the scored weight and what was not scored.  The caption's
    numbers (grade bands, the cap's weight share and grade) come from
    :func:`servicekpi.scorecard.rule_text`."""
    from ..scorecard import cap_reason, rule_text
    lang = ov.language
    t = ov.ranking()
    scores = ov.scorecard().scores
    w = rule_text(lang)
    sep = msg("overview.header.list_separator", lang)
    cols = _words(ov, "rank", "team", "period", "score", "grade", "capped_by", "coverage",
                  "not_scored")

    def capped(row):
        cat = ov.catalogue_of(row.team)
        if row.capped:
            return msg("overview.capped_from", lang, grade=grade_words(row.grade_uncapped, lang),
                       reason=cap_reason(scores, row.team, lang, catalogue=cat))
        if isinstance(row.cap, str):
            return msg("overview.cap_applies", lang, cap=grade_words(row.cap, lang),
                       reason=cap_reason(scores, row.team, lang, catalogue=cat))
        return "–"

    def not_scored(row):
        if row.problems:
            return row.problems
        missing = [k for k in str(row.missing or "").split(", ") if k]
        return sep.join(ov.catalogue_of(row.team).label(k, lang) for k in missing) or "–"

    rows = list(t.itertuples(index=False))
    out = pd.DataFrame({
        cols[0]: ["–" if pd.isna(r) else str(int(r)) for r in t["rank"]],
        cols[1]: [ov.team_link(x) for x in t["team"]],
        cols[2]: [ov.assessed_label(x) for x in t["team"]],
        cols[3]: [fmt_score(v) for v in t["score"].astype(float)],   # as on the team pages
        cols[4]: [grade_words(g, lang) for g in t["grade"]],
        cols[5]: [capped(r) for r in rows],
        cols[6]: [done_share(v) for v in t["coverage"]],
        cols[7]: [not_scored(r) for r in rows],
    }, columns=cols)
    ranked = set(t["team"])          # every team a row: those without targets last
    none = [p.team for p in ov.teams if p.team not in ranked]
    if none:
        dash = ["–"] * len(none)
        out = pd.concat([out, pd.DataFrame({
            cols[0]: dash, cols[1]: [ov.team_link(x) for x in none],
            cols[2]: [ov.assessed_label(x) for x in none], cols[3]: dash, cols[4]: dash,
            cols[5]: dash, cols[6]: dash,
            cols[7]: [msg("overview.no_targets_row", lang)] * len(none)})], ignore_index=True)
    colours = {cols[4]: [GRADE_COLOURS.get(g, "") if isinstance(g, str) else ""
                         for g in t["grade"]] + [""] * len(none)}
    caption = msg("overview.caption.ranking", lang, bands=w["bands"], heavy=w["heavy"],
                  cap=w["cap"])
    return _with_links(table(out, caption=caption, colours=colours), cols[1])


def at_risk_table(ov, n: int = 10):
    """The goals most at risk (:meth:`~.overview.OverviewReport.at_risk`): team,
    KPI, current value, whether it is already at or better than the target,
    the target and its deadline, the probability of meeting it, the status
    (coloured) and the owner.  Each KPI is labelled from the team's own
    catalogue and its values shown in the team's unit for it (the one its
    page shows them in, :meth:`.assess.Assessment.unit`), current value and
    target alike."""
    lang = ov.language
    g = ov.at_risk(n)
    cols = _words(ov, "team", "kpi", "current", "better_now", "target", "probability",
                  "status", "owner")

    def fmt(team, kpi, value):
        unit = ov.assessment(team).unit(kpi)
        return ov.catalogue_of(team)[kpi].fmt(value, unit=unit, language=lang)

    out = pd.DataFrame({
        cols[0]: [ov.team_link(t) for t in g["team"]],
        cols[1]: [ov.catalogue_of(t).label(k, lang) for t, k in zip(g["team"], g["kpi"])],
        cols[2]: [dated(fmt(t, k, v), v, c, p, lang)      # an earlier period's: dated
                  for t, k, v, c, p in zip(g["team"], g["kpi"], g["current"],
                                           g["current_period"], g["period"])],
        cols[3]: [msg("overview.yes" if b else "overview.no", lang) for b in g["better_now"]],
        cols[4]: [msg("overview.target_by", lang, value=fmt(t, k, v), deadline=label(d))
                  for t, k, v, d in zip(g["team"], g["kpi"], g["target"], g["deadline"])],
        cols[5]: [fmt_probability(p) for p in g["probability"]],   # as on the team pages
        cols[6]: [Status(s).label(lang) for s in g["status"]],
        cols[7]: [o if isinstance(o, str) and o else "–" for o in g["owner"]],
    }, columns=cols)
    colours = {cols[6]: [Status(s).css for s in g["status"]]}
    caption = msg("overview.caption.at_risk", lang)
    counts = g.attrs.get("counts", {})
    if sum(counts.values()) > len(g):      # the cut said, with what it leaves out
        caption += msg("overview.caption.at_risk_cut", lang, shown=len(g),
                       total=sum(counts.values()), off=counts.get(Status.OFF_TRACK, 0),
                       risk=counts.get(Status.AT_RISK, 0))
    return _with_links(table(out, caption=caption, colours=colours), cols[0])

