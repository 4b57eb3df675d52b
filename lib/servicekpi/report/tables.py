"""Every table of the team report, as a pandas Styler in the one report style
(:func:`.common.table`), in the report's language.

Each function takes a :class:`~.team.TeamReport`, reads its numbers (computed
once there) and returns a Styler, also when there is nothing to list (an
empty table with its column headers).  Values are formatted per KPI in the
unit chosen for the team (:attr:`TeamReport.units`), so a table and a figure
read alike; words come from the message catalogue (``team.*``).
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from ..benchmarking import BENCHMARK_ORDER
from ..tables import PEER_REFERENCES
from ..catalogue import fmt_probability, fmt_share
from ..i18n import msg, note
from ..periods import label
from ..status import Status
from .common import BETTER, WORSE, _pct, dated, done_share, table
from .team import SIGNAL_PERIODS, TOP_CAUSES

__all__ = ["achievability", "benchmarks", "causes", "competency", "definitions",
           "driver_segments", "gaps", "headline", "outlook", "parameters", "quality",
           "scorecard", "signals", "trend"]


# ---------------------------------------------------------------------- helpers
def fmt(report, kpi: str, value) -> str:
    """A KPI's value in the team's unit for it, in the report's language."""
    return report.catalogue[kpi].fmt(value, unit=report.unit(kpi), language=report.language)


def pair(report, kpi: str, value, target) -> tuple[str, str]:
    """A value and its target in the team's unit, a value on the wrong side of
    the target never reading as the target (:meth:`KPIDef.fmt_pair`)."""
    return report.catalogue[kpi].fmt_pair(value, target, unit=report.unit(kpi),
                                          language=report.language)


def change(report, kpi: str, delta) -> str:
    """A change of a KPI's value (shares in percentage points), signed."""
    return report.catalogue[kpi].fmt_change(delta, unit=report.unit(kpi),
                                            language=report.language)


def kpi_label(report, kpi: str) -> str:
    return report.catalogue.label(kpi, report.language)


def columns(report, area: str, *names: str, **values) -> list[str]:
    """Column headers ``team.<area>.col.<name>`` in the report's language."""
    return [msg(f"team.{area}.col.{n}", report.language, **values) for n in names]


def period_label(report, q) -> str:
    """A period's label, flagged when it is the partial period."""
    from ..i18n import partial_label
    from ..periods import last_day
    if q is not None and q == report.partial:
        return partial_label(label(q), last_day(report.coverage_end), report.language)
    return label(q)


def target_by(report, kpi: str, target, deadline, *, shown: str | None = None) -> str:
    """"92.2% by 2026-12"; ``shown``: the target as already formatted (beside
    its value, :func:`pair`)."""
    return msg("team.target_by", report.language,
               value=fmt(report, kpi, target) if shown is None else shown,
               deadline=label(deadline))


#: How far (relative) a typed baseline may be from the data's over its window and
#: still be shown as that mean: it was typed rounded.
BASELINE_RTOL = 0.005

def baseline(report, kpi: str, value, period, periods, without="") -> str:
    """A target's baseline as :func:`stated_baseline` words it, unless the data
    say otherwise: a baseline typed into the targets file that the data over its
    window do not give (as shown) reads "85.0% (as given; the data give 79.1% for
    2025-10 to 2025-12)", or "... no value in the data for ..." -- never "mean of
    3" for a number no mean gave."""
    from ..targets import baseline_interval

    stated = stated_baseline(report, kpi, value, period, periods, without)
    n = int(periods) if periods and periods > 1 else 1
    data = baseline_interval(report.kpis, report.params.team, kpi, period, periods=n)[0]
    end = pd.Period(period)
    window = label(end) if n == 1 else msg("team.window", report.language,
                                           first=label(end - (n - 1)), last=label(end))
    if not np.isfinite(data):
        return msg("team.baseline_given_no_data", report.language,
                   value=fmt(report, kpi, value), window=window)
    # a baseline typed rounded (0.381 for 38.15%) is the data's: within 0.5% of it
    if fmt(report, kpi, data) != fmt(report, kpi, value) and not np.isclose(
            value, data, rtol=BASELINE_RTOL, atol=0):
        return msg("team.baseline_given", report.language, value=fmt(report, kpi, value),
                   data=fmt(report, kpi, data), window=window)
    return stated


def stated_baseline(report, kpi: str, value, period, periods, without="") -> str:
    """A target's baseline with the period(s) it averages, as its targets row says:
    "78.1% (2025-12)", "78.1% (2025-10 to 2025-12, mean of 3)", or with
    ``baseline_without`` "2025-11" (init writes the periods of the window it could
    not average: a duration with too many tickets still open, say) "(2025-10 to
    2025-12, mean of 2, without 2025-11)".  A targets file without that column
    (written before it) states nothing: the periods of the window without a value
    the baseline could average are found in the KPIs (``without`` None)."""
    from ..targets import baseline_gaps

    lang = report.language
    without = without if isinstance(without, str) else None
    if periods and periods > 1 and without is None:
        gaps = baseline_gaps(report.kpis, report.params.team, kpi, period, periods=int(periods))
        without = "; ".join(map(label, gaps)) if len(gaps) < int(periods) else ""
    left = [w.strip() for w in str(without or "").split(";") if w.strip()]
    if periods and periods > 1:
        first = pd.Period(period) - (int(periods) - 1)
        if left and len(left) < int(periods):
            return msg("team.baseline_mean_without", lang, value=fmt(report, kpi, value),
                       first=label(first), last=label(period), n=int(periods) - len(left),
                       without=sep(report).join(left))
        return msg("team.baseline_mean", lang, value=fmt(report, kpi, value),
                   first=label(first), last=label(period), n=int(periods))
    return msg("team.baseline_one", lang, value=fmt(report, kpi, value), period=label(period))


def sep(report) -> str:
    """The separator of a list of names."""
    return msg("team.list_sep", report.language)


def yes_no(report, flag) -> str:
    return msg("team.yes" if flag else "team.no", report.language)


def status_word(report, code) -> str:
    return Status(code).label(report.language) if isinstance(code, str) and code else "–"


def status_colours(codes) -> list[str]:
    return [Status(c).css if isinstance(c, str) and c else "" for c in codes]


# ---------------------------------------------------------------------- headline, trend
def headline(report):
    """Per KPI: latest assessed period, the one before, the change (green
    better, red worse, by the KPI's direction), the average, n; a value of an
    earlier period than its column's (the column's period left out, tickets
    still open) carries its period in brackets."""
    t = report.headline()
    lang = report.language
    ps = report.assessed_periods
    heads = (columns(report, "headline", "kpi")
             + [period_label(report, ps[-1]) if ps else msg("team.headline.col.latest", lang),
                label(ps[-2]) if len(ps) > 1 else msg("team.headline.col.previous", lang)]
             + columns(report, "headline", "change", "average", "n", n=len(ps)))
    expected = [ps[-1] if ps else None, ps[-2] if len(ps) > 1 else None]
    rows = []
    for r in t.itertuples():
        cells = [kpi_label(report, r.kpi)]
        for v, when, want in ((r.latest, r.latest_period, expected[0]),
                              (r.previous, r.previous_period, expected[1])):
            cells.append(dated(fmt(report, r.kpi, v), v, when, want, lang))
        average = report.catalogue[r.kpi].fmt_nonzero(     # of 0.42 tickets: not 0
            r.average, unit=report.unit(r.kpi), language=lang)
        if np.isfinite(r.average) and r.averaged != len(ps):   # periods without a value
            average = msg("team.headline.average_over", lang, value=average, n=r.averaged)
        cells += [change(report, r.kpi, r.change), average,
                  f"{r.n:,.0f}" if np.isfinite(r.n) else "–"]
        rows.append(cells)
    out = pd.DataFrame(rows, columns=heads)
    # a change on fewer than MIN_N observations is not called better or worse (3
    # tickets' +22 h is chance as likely as not), as no status is judged on it
    from ..gaps import MIN_N
    few = (t["n"].to_numpy(dtype=float) < MIN_N) & (t["kpi"] != "volume").to_numpy()
    colours = {heads[3]: ["" if f else BETTER if b > 0 else WORSE if b < 0 else ""
                          for b, f in zip(t["better"], few)]}
    caption = [msg("team.headline.caption", lang)]
    if (few & (t["better"].to_numpy() != 0)).any():
        caption.append(msg("team.headline.few", lang, min_n=MIN_N))
    if report.partial is not None and report.partial not in ps:
        caption.append(msg("team.headline.left_out", lang,
                           period=period_label(report, report.partial)))
    late = t[[bool(x) for x in t["left_out"]]]
    if len(late):
        caption.append(note("incomplete_headline", lang,
                           kpis=sep(report).join(kpi_label(report, k) for k in late["kpi"]),
                           periods=sep(report).join(sorted({label(p) for ps_ in late["left_out"]
                                                            for p in ps_}))))
    rule = report.kpis.attrs.get("abandonment")
    if rule and rule.get("left_out") and "abandonment_rate" in set(t["kpi"]):
        caption.append(note("abandonment_channels", lang,
                           counted=sep(report).join(rule["counted"]) or "–",
                           left_out=sep(report).join(rule["left_out"])))
    return table(out, caption=_join(report, caption), colours=colours)


def trend(report, periods: int = 6):
    """KPIs x the last ``periods`` shown periods; the partial period flagged
    in its column label, a duration of a period with too many tickets still
    open marked "(incomplete: 31% open)", explained in the caption."""
    from ..kpis import MAX_OPEN_SHARE
    lang = report.language
    rows = report.trend(periods)
    ps = sorted(rows["period"].unique())
    kpis = [k for k in report.shown_kpis if k in set(rows["kpi"])]
    by = rows.set_index(["kpi", "period"])
    out = pd.DataFrame({msg("team.trend.col.kpi", lang): [kpi_label(report, k) for k in kpis]})
    flagged = False
    for p in ps:
        cells = []
        for k in kpis:
            if (k, p) not in by.index:
                cells.append("–")
                continue
            r = by.loc[(k, p)]
            shown = fmt(report, k, r["value"])
            if r["open_share"] > MAX_OPEN_SHARE:
                flagged = True
                shown = _join(report, [shown, note("incomplete_mark", lang,
                                                   share=fmt_share(r["open_share"], MAX_OPEN_SHARE))])
            cells.append(shown)
        out[period_label(report, p)] = cells
    shown = len(report.periods)          # the periods the figure spans, this table's last
    last = min(periods, shown)
    caption = [msg("team.trend.caption", lang) if last >= shown else
               msg("team.trend.caption_last", lang, n=last, shown=shown)]
    if flagged:
        caption.append(note("incomplete", lang, limit=f"{MAX_OPEN_SHARE:.0%}"))
    return table(out, caption=_join(report, caption))


# ---------------------------------------------------------------------- targets
def gaps(report):
    """The gap table: current value and its CI, better than target now,
    baseline, target, glide path, gap, progress from baseline (unclipped),
    needed and recent pace, P(met at deadline), status (coloured), why."""
    from ..gaps import LEVEL, why
    g = report.gaps()
    lang = report.language
    level = g.attrs.get("level", LEVEL)
    heads = columns(report, "gap", "kpi", "current", "ci", "better_now", "baseline", "target",
                    "glide", "gap", "progress", "needed", "pace", "probability", "status",
                    "why", level=f"{level * 100:g}%")
    rows = []
    for r, reason in zip(g.itertuples(), why(g, lang)):
        k = r.kpi
        current, target = pair(report, k, r.current, r.target)
        if getattr(r, "deadline_at_least", False):   # the least an open period can end at
            current = msg("team.at_least", lang, value=current)
        current = dated(current, r.current, r.current_period, r.period, lang)
        rows.append([
            kpi_label(report, k), current,
            "–" if not np.isfinite(r.ci_low) else
            msg("team.range", lang, low=fmt(report, k, r.ci_low), high=fmt(report, k, r.ci_high)),
            "–" if not np.isfinite(r.current) else yes_no(report, r.better_now),
            baseline(report, k, r.baseline, r.baseline_period, r.baseline_periods,
                     r.baseline_without),
            target_by(report, k, r.target, r.deadline, shown=target),
            fmt(report, k, r.glide_now),
            change(report, k, r.gap).lstrip("+") if np.isfinite(r.gap) else "–",
            done_share(r.progress), change(report, k, r.needed_pace),
            change(report, k, r.recent_pace), fmt_probability(r.probability),
            status_word(report, r.status), reason])
    out = pd.DataFrame(rows, columns=heads)
    return table(out, caption=msg("team.gap.caption", lang, period=_period(report)),
                 colours={heads[12]: status_colours(g["status"])})


def _period(report) -> str:
    return label(report.period) if report.period is not None else "–"


def achievability(report):
    """Per target: the improvement it demands (target - baseline, positive
    when the target is better than the baseline, as the paces beside it), the
    noise, the pace required against
    the team's own trend and best pace and the best peer's, and the verdict."""
    from ..gaps import LEVEL
    from .sentences import verdict
    a = report.achievability()
    lang = report.language
    heads = columns(report, "achievable", "kpi", "baseline", "change", "noise", "required",
                    "own", "own_best", "peer_best", "verdict")
    rows = []
    lvl = f"{a.attrs.get('level', LEVEL) * 100:g}%"          # the level achievability used
    for r in a.itertuples():
        k = r.kpi
        # the paces in the unit that reads them (hours a period, not 0.1 d each):
        # compared with each other, they must not round alike
        paces = (r.required_pace, r.own_pace, r.own_best_pace, r.peer_best_pace)
        d = report.catalogue[k]
        unit = d.display_unit(paces) if d.is_duration else report.unit(k)
        shown = [d.fmt_change(p, unit=unit, language=lang) for p in paces]
        noise = "–"
        if np.isfinite(r.noise):
            basis = (msg(f"team.achievable.basis.{r.noise_basis}", lang, level=lvl)
                     if r.noise_basis else "")
            noise = msg("team.achievable.noise", lang,
                        value=change(report, k, r.noise).lstrip("+"), basis=basis)
        rows.append([kpi_label(report, k),
                     baseline(report, k, r.baseline, r.baseline_period, r.baseline_periods,
                              r.baseline_without),
                     change(report, k, report.catalogue[k].sign * (r.target - r.baseline)),
                     noise, *shown, verdict(report, r)])
    return table(pd.DataFrame(rows, columns=heads))


# ---------------------------------------------------------------------- benchmarks
REFERENCES = (*BENCHMARK_ORDER, *PEER_REFERENCES)


def _benchmark_head(reference: str, source: str | None, language: str) -> str:
    """A benchmarks column's head: the reference in words as the figures name it
    (any other name as written), and its source when another gives it too."""
    from ..plots import _benchmark_name
    name = _benchmark_name(reference, language)
    return msg("team.benchmarks.from_source", language, name=name, source=source) \
        if source else name


def benchmarks(report):
    """The team against each external benchmark and its peers (green: at or
    better than the reference, red: behind), with its rank among the teams; a
    value on too few observations is shown with its n, compared with nothing."""
    from ..gaps import MIN_N
    t = report.benchmark_rows()
    lang = report.language
    t = t[t["kind"].notna() | (t["position"] == "few")] if len(t) else t
    present = set(t["reference"].dropna()) if len(t) else set()
    # a column per reference: every benchmark the file names (the standard ones first),
    # one per source when sources give the same one (named beside it), then the peers'
    if len(t):
        t = t.assign(source=t["source"].where(t["kind"] == "external"))
    found = (list(dict.fromkeys(zip(t["reference"], t["source"])))
             if len(t) else [])
    found = [(r, s) for r, s in found if isinstance(r, str)]
    order = {r: i for i, r in enumerate(REFERENCES)}
    refs = sorted(found, key=lambda rs: (rs[0] in PEER_REFERENCES,
                                         order.get(rs[0], len(REFERENCES))))
    sources = {r: sum(x == r for x, _ in refs) for r, _ in refs}
    heads = (columns(report, "benchmarks", "kpi", "value")
             + [_benchmark_head(r, s if sources[r] > 1 and isinstance(s, str) else None, lang)
                for r, s in refs]
             + columns(report, "benchmarks", "rank", "percentile"))
    rows, colours = [], []
    for kpi, g in t.groupby("kpi", sort=False):
        first = g.iloc[0]
        by_ref = {(r, s if isinstance(s, str) else None): row
                  for r, s, row in zip(g["reference"], g["source"], g.to_dict("records"))}
        # compared in the latest period closed for all when the assessed one left it out
        value = dated(fmt(report, kpi, first["value"]), first["value"], first["period"],
                      report.period, lang)
        if first["position"] == "few":
            value = msg("team.benchmarks.few_value", lang, value=value,
                        n=f"{first['n']:.0f}")
        row, colour = [kpi_label(report, kpi), value], ["", ""]
        for ref, src in refs:
            r = by_ref.get((ref, src if isinstance(src, str) else None))
            if r is not None:
                row.append(fmt(report, kpi, r["reference_value"]))
                colour.append({"leading": BETTER, "level": BETTER,
                               "behind": WORSE}.get(r["position"], ""))
            else:
                row.append("–")
                colour.append("")
        rank = first["peer_rank"]
        row.append(msg("team.benchmarks.rank", lang, rank=int(rank),
                       count=int(first["peer_count"])) if pd.notna(rank) else "–")
        row.append(f"{first['peer_percentile']:.0f}" if pd.notna(first["peer_percentile"])
                   else "–")
        rows.append(row)
        colours.append(colour + ["", ""])
    out = pd.DataFrame(rows, columns=heads)
    caption = [msg("team.benchmarks.caption", lang, period=_period(report))]
    if report.benchmarks is not None and len(report.benchmarks):
        written = report.benchmarks.attrs.get("published_as") or {}    # "2025", "2024-06"
        pairs = sorted({(s, written.get((s, pd.Timestamp(a).isoformat()),
                                        pd.Timestamp(a).date().isoformat()))
                        for s, a in zip(report.benchmarks["source"],
                                        report.benchmarks["published"])})
        caption.append(msg("team.benchmarks.external", lang, sources=msg(
            "team.list_sep_long", lang).join(f"{s} ({a})" for s, a in pairs)))
    if {"peer_median", "best_peer"} & present:
        caption.append(msg("team.benchmarks.peers", lang))
    if {"peer_median", "best_peer"} & present or (len(t) and (t["position"] == "few").any()):
        caption.append(msg("team.benchmarks.few", lang, min_n=MIN_N))
    return table(out, caption=_join(report, caption),
                 colours=pd.DataFrame(colours, columns=heads) if rows else None)


# ---------------------------------------------------------------------- scorecard
def scorecard(report):
    """Per targeted KPI: perspective, baseline, the value scored (its period in
    brackets when not the assessed one), target, progress score, the target's
    status at the deadline (beside the score), weight, points."""
    from ..catalogue import fmt_parts, fmt_score, perspective_label
    from ..scorecard import weight_share
    sc = report.scorecard()
    lang = report.language
    g = sc.scores[sc.scores["team"] == report.params.team]
    heads = columns(report, "scorecard", "kpi", "perspective", "baseline", "value", "target",
                    "score", "status", "weight", "points")
    points = fmt_parts(g["contribution"])      # adding up to the score as shown
    gaps = report.gaps()
    bound = (set(gaps.loc[gaps["deadline_at_least"].astype(bool), "kpi"])
             if len(gaps) and "deadline_at_least" in gaps else set())
    rows = []
    for r, shown in zip(g.itertuples(), points):
        k = r.kpi
        value, target = pair(report, k, r.value, r.target)
        if k in bound:      # the least a deadline period still open can end at
            value = msg("team.at_least", lang, value=value)
        value = dated(value, r.value, r.value_period, r.period, lang)
        score = (fmt_score(r.score) if np.isfinite(r.score)
                 else msg("team.scorecard.not_scored", lang))
        if k in bound and np.isfinite(r.score) and r.score > 0 \
                and report.catalogue[k].sign < 0:
            # scored on the least its value can end at (a time: lower is better), so
            # its score can only be lower
            score = msg("team.at_most", lang, value=score)
        rows.append([kpi_label(report, k), perspective_label(r.perspective, lang),
                     fmt(report, k, r.baseline), value, target, score,
                     status_word(report, r.target_status), weight_share(r.weight), shown])
    return table(pd.DataFrame(rows, columns=heads),
                 colours={heads[6]: status_colours(g["target_status"])})


# ---------------------------------------------------------------------- outlook
def outlook(report):
    """Per target: status, the forecast at the deadline (median of the
    simulated paths) and its 80% interval, P(met at deadline), when the
    target is expected to be reached and the model; a target whose deadline
    period is observed shows that value."""
    from ..gaps import model_name
    g = report.gaps()
    fc = report.forecasts()
    lang = report.language
    heads = columns(report, "outlook", "kpi", "target", "status", "forecast", "interval",
                    "probability", "reached", "model")
    rows = []
    for r in g.itertuples():
        k = r.kpi
        sim = fc.get(k)
        observed = r.status in (Status.MET, Status.MISSED)
        value, target = pair(report, k, r.deadline_value if observed
                             else r.forecast_at_deadline, r.target)
        if observed and getattr(r, "deadline_at_least", False):
            at = msg("team.outlook.bound_value", lang, value=value)
            interval, prob, reached = "–", status_word(report, r.status), "–"
            model = msg("team.outlook.observed", lang)
        elif observed:
            at = msg("team.outlook.observed_value", lang, value=value)
            interval, prob, reached = "–", status_word(report, r.status), "–"
            model = msg("team.outlook.observed", lang)
        elif np.isfinite(r.probability):
            at = value
            interval = msg("team.range", lang, low=fmt(report, k, r.lower_80),
                           high=fmt(report, k, r.upper_80))
            prob = fmt_probability(r.probability)
            reached = (label(r.expected_reached) if isinstance(r.expected_reached, pd.Period)
                       else msg("team.outlook.not_by_deadline", lang))
            model = model_name(r.model, lang)
        else:
            at = interval = prob = reached = "–"
            from .sentences import no_forecast
            model = no_forecast(report, sim)
        rows.append([kpi_label(report, k), target_by(report, k, r.target, r.deadline,
                                                     shown=target),
                     status_word(report, r.status), at, interval, prob, reached, model])
    return table(pd.DataFrame(rows, columns=heads),
                 colours={heads[2]: status_colours(g["status"])})


# ---------------------------------------------------------------------- diagnostics
def signals(report, recent: int = SIGNAL_PERIODS):
    """Special causes of the last ``recent`` periods of each control chart:
    the value, the value expected there and the rules broken."""
    from .sentences import control_rule
    s = report.control_signals(recent)
    lang = report.language
    heads = columns(report, "control", "kpi", "period", "value", "expected", "rules")
    rows = [[kpi_label(report, r.kpi), label(r.period), fmt(report, r.kpi, r.value),
             fmt(report, r.kpi, r.expected),
             msg("team.list_sep_long", lang).join(control_rule(report, x)
                                                  for x in r.rules.split(", "))]
            for r in s.itertuples()]
    return table(pd.DataFrame(rows, columns=heads))


def causes(report, top: int = TOP_CAUSES):
    """The team's complaints by category in the assessed period: count, share,
    cumulative share, the period before, change; the top ``top`` marked, and
    a cause tied with the last of them marked as tied (so that "top 3" is
    never written on more than three rows)."""
    p = report.top_causes(top)
    lang = report.language
    heads = columns(report, "causes", "cause", "count", "share", "cumulative", "previous",
                    "change", "top")

    def marked(i, r) -> str:
        if not r.top:
            return ""
        return msg("team.causes.top" if i < top else "team.causes.top_tied", lang, n=top)
    rows = [[r.category, f"{r.count:,}", _pct(r.share, 1), _pct(r.cumulative, 1),
             f"{r.previous:,}", f"{r.change:+d}", marked(i, r)]
            for i, r in enumerate(p.itertuples())] if len(p) else []
    return table(pd.DataFrame(rows, columns=heads))


def driver_segments(report, n: int = 5):
    """The main driver's change by category (the largest ``n``): shares and
    values before and after, and the mix and rate effects."""
    m = report.main_driver()
    heads = columns(report, "driver", "category", "share_before", "share_after",
                    "value_before", "value_after", "mix", "rate",
                    before=label(m["before"]) if m else "",
                    after=_period(report))
    rows = []
    if m is not None:
        k = m["kpi"]
        for r in m["decomposition"].segments.head(n).itertuples():
            # a category without tickets in a period has no value there (the
            # decomposition takes its other period's, so that it has no rate effect)
            rows.append([r.category, _pct(r.weight_before, 1), _pct(r.weight_after, 1),
                         fmt(report, k, r.value_before) if r.weight_before > 0 else "–",
                         fmt(report, k, r.value_after) if r.weight_after > 0 else "–",
                         change(report, k, r.mix), change(report, k, r.rate)])
    return table(pd.DataFrame(rows, columns=heads))


def competency(report):
    """Per competency dimension: team average against the target profile,
    gap, share of people below target, people assessed."""
    from ..competencies import dimension_label
    g = report.competency()
    lang = report.language
    heads = columns(report, "competency", "dimension", "mean", "target", "gap", "below",
                    "people")
    def number(x, spec):          # a dimension without a target, or nobody assessed: '–'
        return format(x, spec) if pd.notna(x) else "–"
    rows = [] if g is None else [
        [dimension_label(r.dimension, lang), number(r.mean, ".2f"), number(r.target, ".1f"),
         number(r.gap, "+.2f"), _pct(r.share_below), f"{int(r.people):,}"]
        for r in g.itertuples()]
    return table(pd.DataFrame(rows, columns=heads))


# ---------------------------------------------------------------------- appendix
def quality(report):
    """What the loader found in the export for this team: check, column,
    rows, share, severity, detail (words from the messages ``data.*``)."""
    q = report.quality()
    lang = report.language
    heads = [msg(f"data.columns.{c}", lang)
             for c in ("check", "column", "rows", "share", "severity", "detail")]
    rows = [[r.check, r.column if isinstance(r.column, str) else "",
             "–" if pd.isna(r.rows) else f"{int(r.rows):,}",
             "–" if pd.isna(r.share) else f"{r.share:.1%}",
             msg(f"data.severity.{r.severity}", lang),
             r.detail if isinstance(r.detail, str) else ""]
            for r in q.itertuples()]
    return table(pd.DataFrame(rows, columns=heads))


def parameters(report):
    """The parameters this report was made with (paths shown by file name)."""
    from pathlib import Path

    from ..params import is_mapping_file
    heads = columns(report, "parameters", "name", "value")
    rows = []
    for key, value in report.params.model_dump().items():
        if isinstance(value, Path) or (key == "mapping" and is_mapping_file(value)):
            value = Path(value).name          # a mapping file too (not a preset's name)
        elif isinstance(value, bool):             # as the parameters file writes it
            value = "true" if value else "false"
        elif isinstance(value, (list, tuple)):
            value = ", ".join(map(str, value))
        rows.append([key, "–" if value is None else str(value)])
    return table(pd.DataFrame(rows, columns=heads))


def definitions(report):
    """The catalogue entries of the KPIs shown: unit (as shown), which way is
    better, perspective, definition."""
    from ..catalogue import perspective_label
    lang = report.language
    heads = columns(report, "definitions", "kpi", "unit", "better", "perspective",
                    "definition")
    rows = []
    for k in report.shown_kpis:
        d = report.catalogue[k]
        rows.append([kpi_label(report, k), d.unit_words(lang, report.unit(k)),
                     d.direction_text(lang), perspective_label(d.perspective, lang),
                     d.definition_text(lang)])
    return table(pd.DataFrame(rows, columns=heads))


def _join(report, sentences: list[str]) -> str:
    """Sentences of a caption, joined the way the language joins them."""
    return ("" if report.language == "zh" else " ").join(s for s in sentences if s)
