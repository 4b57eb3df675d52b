"""What a team report and the leadership overview show, computed here so the
notebooks stay thin.

``TeamReport.load(**parameters)`` loads and checks the inputs named by the
notebook's parameters and gives the report's tables (pandas Stylers and
DataFrames) and figures; :func:`show` displays them in a notebook.

Absent inputs.  A path parameter that is None (``targets``, ``benchmarks``,
``kpi_table``, ``competencies``, ``competency_targets``) means that input is
absent: nothing stands in for it.  Only ``catalogue`` has a default, the
project's KPI catalogue (definitions, not data).  A section whose input is
absent shows a one-sentence :class:`Note`, in the report's language,
instead of its table or figure.

Partial periods.  The export's coverage ends at its as-of time (see
:func:`servicekpi.periods.coverage_end`).  When that falls before the end of
the report's last period, the period is partial
(:func:`servicekpi.periods.partial_period`): trends and the trend table
show it, flagged "(partial, to 13 Oct)"; every assessment (the headline's
latest-against-previous, gaps and statuses, scores, benchmarks, peer ranks,
forecasts, control charts and diagnostics) uses the *assessed periods*,
the complete ones, computed once here.  ``include_partial_period: true``
assesses the partial period as a full one (it stays flagged).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import numpy as np
import pandas as pd

from .. import literal
from ..catalogue import Catalogue, load_catalogue
from ..errors import DataError, ServiceKPIError
from ..gaps import LEVEL, ci_label
from ..i18n import (day_words, has_cjk, note, partial_label, status_word, text,
                    use_cjk_font)
from ..kpis import MAX_OPEN_SHARE, assessable, compute_kpis
from ..params import ReportParams
from ..periods import label, last_day, partial_period
from ..tables import load_benchmarks, load_kpi_table, load_targets, merge_kpis
from ..tickets import data_quality, load_tickets
from .common import (BETTER, WORSE, STATUS_STYLE, Note, _baseline, _coverage, _own_rows,
                     _params, _pct, _stamp, styled)


@dataclass
class TeamReport:
    """One team's report: its inputs, assessed periods, tables and figures."""

    params: ReportParams
    catalogue: Catalogue
    tickets: pd.DataFrame
    kpis: pd.DataFrame            # every team, for peer context
    benchmarks: pd.DataFrame | None
    targets: pd.DataFrame | None
    _cache: dict = field(default_factory=dict, repr=False, compare=False)

    @classmethod
    def load(cls, **parameters) -> "TeamReport":
        """Load everything a team report needs from its parameters."""
        p = _params(parameters)
        literal.plain_figures()
        if p.language == "zh" or has_cjk(p.display_name, p.title, p.team):
            use_cjk_font()
        cat = load_catalogue(p.catalogue)
        tickets = load_tickets(p.tickets, **p.ticket_options())
        if not (tickets["team"] == p.team).any():
            teams = ", ".join(map(str, tickets["team"].cat.categories[:20]))
            raise DataError(f"no tickets for team {p.team!r} (teams in the export: {teams})",
                            source=Path(p.tickets).name)
        if has_cjk((tickets.attrs.get("team_names") or {}).get(p.team)):
            use_cjk_font()
        kpis = compute_kpis(tickets, p.period)
        if p.kpi_table is not None:
            table = _own_rows(load_kpi_table(p.kpi_table, period=p.period, catalogue=cat,
                                             team_errors="drop"), p.team, p.kpi_table)
            kpis = merge_kpis(kpis, table, source=Path(p.kpi_table).name)
        bench = load_benchmarks(p.benchmarks, catalogue=cat) if p.benchmarks else None
        targets = (_own_rows(load_targets(p.targets, period=p.period, catalogue=cat,
                                          team_errors="drop"), p.team, p.targets)
                   if p.targets else None)
        return cls(p, cat, tickets, kpis, bench, targets)

    @classmethod
    def from_namespace(cls, namespace: dict) -> "TeamReport":
        """``load`` with the parameters found in a notebook's namespace (``globals()``)."""
        return cls.load(**{k: namespace[k] for k in ReportParams.model_fields if k in namespace})

    def md(self, key: str):
        """A heading and its explanation, in the report's language (for display)."""
        from IPython.display import Markdown
        body = text(key, self.params.language)
        if key == "scorecard":       # the rule's numbers come from the constants
            from ..scorecard import rule_words
            body = body.format(**rule_words(self.params.language))
        return Markdown(body)

    def _note(self, key: str, **values) -> Note:
        return Note(note(key, self.params.language, **values))

    # ------------------------------------------------------------------ basics
    @property
    def name(self) -> str:
        """Display name: the parameters', else the export's name, else the team id."""
        p = self.params
        return (p.display_name or (self.tickets.attrs.get("team_names") or {}).get(p.team)
                or p.team)

    @property
    def team_kpis(self) -> pd.DataFrame:
        k = self.kpis[self.kpis["team"] == self.params.team]
        return k[k["kpi"].isin(self.shown_kpis)]

    @property
    def shown_kpis(self) -> list[str]:
        """KPIs in the report: those asked for, else every catalogue KPI with data."""
        if "shown" not in self._cache:
            mine = self.kpis[(self.kpis["team"] == self.params.team)
                             & self.kpis["value"].notna()]
            have = set(mine["kpi"])
            wanted = self.params.kpis or self.catalogue.names()
            self._cache["shown"] = [k for k in wanted if k in have]
        return self._cache["shown"]

    @property
    def coverage_end(self) -> pd.Timestamp | None:
        """When the export's coverage ends (see :func:`servicekpi.periods.coverage_end`)."""
        return _coverage(self.tickets, self.params)

    @property
    def periods(self) -> list[pd.Period]:
        """The periods shown (the last ``history_periods``), a partial one included."""
        if "periods" not in self._cache:
            ps = sorted(self.team_kpis["period"].unique())
            end = self.coverage_end
            if end is not None:      # nothing after the export's end (a KPI table's future)
                ps = [q for q in ps if q.start_time <= end]
            self._cache["periods"] = ps[-self.params.history_periods:]
        return self._cache["periods"]

    @property
    def partial(self) -> pd.Period | None:
        """The last shown period when the export covers it only partly, else None."""
        ps = self.periods
        return partial_period(self.coverage_end, self.params.period, ps[-1]) if ps else None

    @property
    def assessed_periods(self) -> list[pd.Period]:
        """The shown periods every assessment uses: the partial one left out
        unless ``include_partial_period``."""
        part = None if self.params.include_partial_period else self.partial
        ps = [q for q in self.periods if q != part]
        return ps or list(self.periods)   # only a partial period: assess it (noted)

    @property
    def as_of(self) -> pd.Period | None:
        """The assessed period: the latest complete one (or the partial one
        with ``include_partial_period``)."""
        ps = self.assessed_periods
        return ps[-1] if ps else None

    @property
    def assessed_kpis(self) -> pd.DataFrame:
        """Every team's KPIs up to the assessed period (peers included), without
        durations of periods with too many tickets still open
        (:func:`servicekpi.kpis.assessable`): gaps, scores, forecasts, control
        charts and benchmarks use the latest period that has closed."""
        if "assessed_kpis" not in self._cache:
            k = self.kpis
            self._cache["assessed_kpis"] = (assessable(k[k["period"] <= self.as_of])
                                            if self.as_of is not None else k.iloc[:0])
        return self._cache["assessed_kpis"]

    def period_label(self, q: pd.Period) -> str:
        """A period's label, flagged when it is the partial period."""
        if q is not None and q == self.partial:
            return partial_label(label(q), last_day(self.coverage_end), self.params.language)
        return label(q)

    def partial_note(self) -> Note | None:
        """One note when the last period is partial: left out, or used as full."""
        q = self.partial
        if q is None:
            return None
        lang = self.params.language
        day = day_words(last_day(self.coverage_end), lang)
        if q in self.assessed_periods:
            return self._note("partial_used", label=label(q), day=day)
        return self._note("partial", label=label(q), day=day,
                          assessed=label(self.as_of) if self.as_of is not None else "–")

    @property
    def team_targets(self) -> pd.DataFrame:
        if self.targets is None:
            return pd.DataFrame(columns=["team", "kpi"])
        return self.targets[self.targets["team"] == self.params.team]

    def targets_note(self) -> Note | None:
        """Why there is nothing to assess (no targets file, none for the team), or None."""
        if self.targets is None:
            return self._note("no_targets")
        if self.team_targets.empty:
            return self._note("no_team_targets")
        return None

    def header_markdown(self) -> str:
        """Title block: title, team, period covered, generation time (user text literal)."""
        p = self.params
        ps = self.periods
        span = (f"{label(ps[0])} to {self.period_label(ps[-1])}" if ps else "no data")
        esc = literal.md
        zh = p.language == "zh"
        words = (("团队", "期间", "生成时间", "数据来源", "张工单", "截至") if zh else
                 ("Team", "Periods", "Generated", "Source", "tickets", "as of"))
        return (f"# {esc(p.title)}: {esc(self.name)}\n\n"
                f"**{words[0]}:** {esc(self.name)} (<code>{esc(p.team)}</code>) &nbsp; "
                f"**{words[1]}:** {span} ({p.period}ly) &nbsp; **{words[2]}:** "
                f"{datetime.now().strftime('%Y-%m-%d %H:%M')}\n\n"
                f"{words[3]}: {esc(Path(p.tickets).name)}, {len(self.tickets):,} {words[4]} "
                f"({words[5]} {_stamp(self.tickets.attrs.get('as_of'))}).")

    def summary(self) -> list:
        """The summary section: partial-period note, statuses, score."""
        items = [self.partial_note(), self.status_summary()]
        if self.targets_note() is None:
            items.append(self.scorecard_summary())
        return items

    # ------------------------------------------------------------------ headline
    def headline(self) -> pd.DataFrame:
        """Per KPI: latest assessed value, the one before, change, average over
        the assessed periods, n -- as numbers.

        A duration of a period with too many tickets still open
        (:func:`servicekpi.kpis.assessable`) is left out: ``latest`` is then the
        latest period that has closed (``latest_period``, ``previous_period``
        say which), and ``left_out`` lists the periods left out."""
        ps = self.assessed_periods
        if len(ps) < 1:
            return pd.DataFrame()
        mine = self.team_kpis[self.team_kpis["period"].isin(ps)]
        ok = assessable(mine)
        dropped = mine.loc[~mine.index.isin(ok.index)]
        wide = mine.pivot_table(index="kpi", columns="period", values="value",
                                aggfunc="first", observed=True)
        n = mine.pivot_table(index="kpi", columns="period", values="n",
                             aggfunc="first", observed=True)
        rows = []
        for k in self.shown_kpis:
            d = self.catalogue[k]
            out = set(dropped.loc[dropped["kpi"] == k, "period"])
            keep = [p for p in ps if p in wide.columns and p not in out]
            series = wide.loc[k, keep] if k in wide.index else pd.Series(dtype=float)
            latest = series.iloc[-1] if len(series) else np.nan
            prev = series.iloc[-2] if len(series) > 1 else np.nan
            change = latest - prev
            better = (np.sign(change) * (1 if d.direction == "higher" else -1)
                      if d.direction != "neutral" and np.isfinite(change) else 0)
            when = series.index[-1] if len(series) else ps[-1]
            rows.append({
                "kpi": k, "KPI": self.catalogue.label(k, self.params.language),
                "latest": latest, "previous": prev, "change": change,
                "average": series.mean(),
                "n": n.loc[k, when] if k in n.index and when in n.columns else np.nan,
                "better": better, "latest_period": when,
                "previous_period": series.index[-2] if len(series) > 1 else None,
                "left_out": sorted(out),
            })
        return pd.DataFrame(rows)

    def headline_styled(self):
        """The headline table, formatted per KPI and coloured by direction; a
        value of an earlier period than the column's (the column's period left
        out, tickets still open) carries its period in brackets."""
        t = self.headline()
        if t.empty:
            return t
        lang = self.params.language
        shown = t[["KPI", "latest", "previous", "change", "average", "n"]].copy()
        ps = self.assessed_periods
        shown.columns = ["KPI", self.period_label(ps[-1]),
                         label(ps[-2]) if len(ps) > 1 else "previous",
                         "change", f"average of {len(ps)}", "n (latest)"]
        expected = [ps[-1], ps[-2] if len(ps) > 1 else None]
        fmt = {}
        for i, k in enumerate(t["kpi"]):
            d = self.catalogue[k]
            whens = [t.at[i, "latest_period"], t.at[i, "previous_period"]]
            for j, col in enumerate(shown.columns[1:5]):
                v = shown.at[i, col]
                if col == "change":
                    fmt[(i, col)] = d.fmt_change(v)
                else:
                    fmt[(i, col)] = d.fmt(v)
                if j < 2 and whens[j] is not None and whens[j] != expected[j] \
                        and np.isfinite(v):
                    fmt[(i, col)] += f" ({label(whens[j])})"
        out = shown.astype(object)
        for (i, col), s in fmt.items():
            out.at[i, col] = s
        out["n (latest)"] = [f"{v:,.0f}" if np.isfinite(v) else "–" for v in t["n"]]
        colours = ["background-color: " + (BETTER if b > 0 else WORSE if b < 0 else "")
                   if b else "" for b in t["better"]]
        caption = ("Latest period against the one before; green = better, red = worse, "
                   "following each KPI's direction; pp = percentage points")
        if self.partial is not None and self.partial not in ps:
            caption += f"; {self.period_label(self.partial)} is left out"
        caption += "."
        late = t[[bool(x) for x in t["left_out"]]]
        if len(late):
            sep = "、" if lang == "zh" else ", "
            caption += " " + note("incomplete_headline", lang, kpis=sep.join(late["KPI"]),
                                  periods=sep.join(sorted({label(p) for ps_ in late["left_out"]
                                                           for p in ps_})))
        rule = self.kpis.attrs.get("abandonment")
        if rule and rule.get("left_out") and "abandonment_rate" in set(t["kpi"]):
            sep = "、" if lang == "zh" else ", "
            caption += " " + note("abandonment_channels", lang,
                                  counted=sep.join(rule["counted"]) or "–",
                                  left_out=sep.join(rule["left_out"]))
        return (literal.table(out).apply(lambda _: colours, subset=["change"])
                .set_caption(literal.html(caption)))

    def kpis_note(self) -> Note | None:
        """KPIs asked for but without data, or those a KPI table would give when
        none is named; None when nothing is missing."""
        cat, lang = self.catalogue, self.params.language
        sep = "、" if lang == "zh" else ", "
        if self.params.kpis:
            missing = [k for k in self.params.kpis if k not in self.shown_kpis]
            if missing and self.params.kpi_table is None and all(
                    cat[k].source != "tickets" for k in missing):
                return self._note("no_kpi_table", kpis=sep.join(cat.label(k, lang)
                                                                for k in missing))
            if missing:
                return self._note("no_data_kpis", kpis=sep.join(cat.label(k, lang)
                                                                for k in missing))
            return None
        if self.params.kpi_table is None:
            table_kpis = [k for k in cat.names() if cat[k].source != "tickets"
                          and k not in self.shown_kpis]
            if table_kpis:
                return self._note("no_kpi_table", kpis=sep.join(cat.label(k, lang)
                                                                for k in table_kpis))
        return None

    def trend_table(self, periods: int = 6):
        """KPIs x the last ``periods`` shown periods, formatted per KPI; a
        partial period is flagged in its column label, and a duration of a
        period with too many tickets still open is shown marked
        "(incomplete: 31% open)", with a note in the caption."""
        lang = self.params.language
        ps = self.periods[-periods:]
        rows = self.team_kpis[self.team_kpis["period"].isin(ps)]
        wide = rows.pivot_table(index="kpi", columns="period", values="value",
                                aggfunc="first", observed=True)
        wide = wide.reindex(index=[k for k in self.shown_kpis if k in wide.index])
        still_open = ({(r.kpi, r.period): r.open_share for r in rows.itertuples()
                       if r.open_share > MAX_OPEN_SHARE}
                      if "open_share" in rows.columns else {})
        out = pd.DataFrame(index=[self.catalogue.label(k, lang) for k in wide.index])
        for p in wide.columns:
            out[self.period_label(p)] = [
                self.catalogue[k].fmt(v) + (" " + note("incomplete_mark", lang,
                                                       share=f"{still_open[(k, p)]:.0%}")
                                            if (k, p) in still_open else "")
                for k, v in wide[p].items()]
        caption = "Values per period"
        if still_open:
            caption += ". " + note("incomplete", lang, limit=f"{MAX_OPEN_SHARE:.0%}")
        return literal.table(out, index=True).set_caption(literal.html(caption))

    def trend_figure(self):
        """Every shown KPI over the shown periods against the other teams' median;
        a partial period, and durations of periods with too many tickets still
        open, drawn hollow."""
        from .. import plots
        if not self.shown_kpis or not self.periods:
            return None
        k = self.kpis[(self.kpis["period"] >= self.periods[0])
                      & (self.kpis["period"] <= self.periods[-1])]
        return plots.trend_grid(k, team=self.params.team, kpis=self.shown_kpis,
                                catalogue=self.catalogue, periods=self.params.history_periods,
                                language=self.params.language, partial=self.partial,
                                partial_label=(self.period_label(self.partial)
                                               if self.partial is not None else ""),
                                max_open_share=MAX_OPEN_SHARE,
                                incomplete_label=note("incomplete_legend",
                                                      self.params.language))

    # ------------------------------------------------------------------ targets and gaps
    def gaps(self) -> pd.DataFrame:
        """The team's gap table for the assessed period (cached): status from
        the deadline (:func:`servicekpi.gap_table`, forecast rule), with one
        simulation per target in ``attrs["simulations"]`` that the outlook
        table and the fan charts read too.  Empty, with every column, when
        there are no targets.

        The gap table gets every row up to the assessed period and applies
        :func:`servicekpi.kpis.assessable` itself, so that it can name the
        incomplete periods it leaves out, and treat a deadline period that is
        still incomplete as not over yet (status from the forecast)."""
        if "gaps" not in self._cache:
            from ..gaps import gap_table
            t = self.team_targets if self.targets_note() is None else None
            k = (self.kpis[self.kpis["period"] <= self.as_of] if self.as_of is not None
                 else self.kpis.iloc[:0])
            self._cache["gaps"] = gap_table(k, t, self.as_of, max_open_share=MAX_OPEN_SHARE,
                                            catalogue=self.catalogue, rule="forecast")
        return self._cache["gaps"]

    def status_summary(self) -> str:
        """One sentence per status, in words (Markdown), and the targets better
        than their target now but not expected to meet it at the deadline; a
        Note without targets."""
        from ..gaps import STATUSES
        missing = self.targets_note()
        if missing is not None:
            return missing
        lang = self.params.language
        g = self.gaps()

        def names(sub):
            return literal.md(", ".join(self.catalogue.label(k, lang) for k in sub["kpi"]))
        parts = []
        for s in STATUSES:
            sub = g[g["status"] == s]
            if len(sub):
                parts.append(f"**{len(sub)} {status_word(s, lang)}**: {names(sub)}")
        sep = "；" if lang == "zh" else "; "
        out = (f"{label(self.as_of)}共评估{len(g)}个目标。" if lang == "zh" else
               f"{len(g)} target{'s' if len(g) != 1 else ''} assessed for "
               f"{label(self.as_of)}. ") + sep.join(parts)
        out += "。" if lang == "zh" else "."
        better = g["better_now"].astype(bool)
        for status, en, zh in (
                ("off_track", "Better than the target now, but forecast to miss it at the "
                 "deadline", "当前优于目标，但预计截止期未能达成"),
                ("at_risk", "Better than the target now, but may miss it at the deadline",
                 "当前优于目标，但截止期存在未达成风险")):
            sub = g[better & (g["status"] == status)]
            if len(sub):
                out += (f" {zh}：{names(sub)}。" if lang == "zh" else f" {en}: {names(sub)}.")
        return out

    def gap_styled(self):
        """The gap table, formatted (a Note without targets).  The CI column is
        labelled with the level the gap table used.  "Progress from baseline"
        is the gap table's unclipped ``progress`` (negative: worse than the
        baseline); the caption says the scorecard's progress score is the same
        share clipped to 0-100.  The old attainment ratio stays in the gap
        table's frame, not on the page (it read 93% for a target going
        backwards)."""
        missing = self.targets_note()
        if missing is not None:
            return missing
        g = self.gaps()
        ci_column = ci_label(g.attrs.get("level", LEVEL))
        rows = []
        for r in g.itertuples():
            d = self.catalogue[r.kpi]
            ci = ("–" if not np.isfinite(r.ci_low) else
                  f"{d.fmt(r.ci_low)} – {d.fmt(r.ci_high)}")
            rows.append({
                "KPI": self.catalogue.label(r.kpi, self.params.language),
                "current": d.fmt(r.current), ci_column: ci,
                "better than target now": ("–" if not np.isfinite(r.current) else
                                           "yes" if r.better_now else "no"),
                "baseline": _baseline(d, r.baseline, r.baseline_period, r.baseline_periods),
                "target": f"{d.fmt(r.target)} by {label(r.deadline)}",
                "glide path now": d.fmt(r.glide_now),
                "gap to go": d.fmt_change(r.gap).lstrip("+") if np.isfinite(r.gap) else "–",
                "progress from baseline": _pct(r.progress),
                "needed / period": d.fmt_change(r.needed_pace),
                "recent pace / period": d.fmt_change(r.recent_pace),
                "P(met at deadline)": _pct(r.probability),
                "status": status_word(r.status, self.params.language), "why": r.status_rule,
            })
        out = pd.DataFrame(rows)
        colours = [STATUS_STYLE[s] for s in g["status"]]
        return (literal.table(out).apply(lambda _: colours, subset=["status"])
                .set_caption(f"Gap to target, {label(self.as_of)}: 'gap to go' and paces are "
                             "improvements (a fall for lower-is-better KPIs); progress from "
                             "baseline = share of the baseline-to-target distance covered "
                             "(negative: worse than the baseline; the scorecard's progress "
                             "score is this share clipped to 0-100, beyond 100 only with a "
                             "stretch band); status = the chance that "
                             "the deadline period's value meets the target (met or missed once "
                             "the deadline period is observed and complete)"))

    def trajectory_figure(self):
        """Each target's path: actual (assessed periods), glide path, target,
        benchmarks.  None without targets (the gap table's note says why)."""
        from .. import plots
        if self.targets_note() is not None:
            return None
        return plots.trajectory_grid(self.assessed_kpis, self.team_targets,
                                     team=self.params.team, benchmarks=self.benchmarks,
                                     catalogue=self.catalogue,
                                     periods=2 * self.params.history_periods,
                                     language=self.params.language)

    def achievability(self) -> pd.DataFrame:
        """Per target: the pace it demands against the team's and peers' paces,
        the noise (the larger of the baseline's CI half-width and the range of
        one period's value, both at the level shown), and the verdict (see
        :func:`servicekpi.targets.achievability`)."""
        from ..targets import achievability
        if self.targets_note() is not None:
            return pd.DataFrame()
        a = achievability(self.assessed_kpis, self.team_targets, catalogue=self.catalogue)
        if a.empty:
            return a
        cat = self.catalogue
        lvl = f"{a.attrs['level'] * 100:g}%"          # the level achievability used
        basis = {"ci": f"{lvl} CI half-width of the baseline",
                 "period": f"{lvl} range of one period's value", "": ""}
        return pd.DataFrame({
            "KPI": [cat.label(k, self.params.language) for k in a["kpi"]],
            "baseline": [_baseline(cat[k], b, p, m)
                         for k, b, p, m in zip(a["kpi"], a["baseline"], a["baseline_period"],
                                               a["baseline_periods"])],
            "target change": [cat[k].fmt_change(t - b)
                              for k, t, b in zip(a["kpi"], a["target"], a["baseline"])],
            "noise": [("±" + cat[k].fmt_change(v).lstrip("+") + f" ({basis[w]})")
                      if np.isfinite(v) else "–"
                      for k, v, w in zip(a["kpi"], a["noise"], a["noise_basis"])],
            "required / period": [cat[k].fmt_change(v)
                                  for k, v in zip(a["kpi"], a["required_pace"])],
            "own trend / period": [cat[k].fmt_change(v)
                                   for k, v in zip(a["kpi"], a["own_pace"])],
            "own best / period": [cat[k].fmt_change(v)
                                  for k, v in zip(a["kpi"], a["own_best_pace"])],
            "best peer / period": [cat[k].fmt_change(v)
                                   for k, v in zip(a["kpi"], a["peer_best_pace"])],
            "verdict": a["verdict"],
        })

    def achievability_styled(self):
        return self.targets_note() or styled(self.achievability())

    # ------------------------------------------------------------------ benchmarks
    def benchmark_rows(self) -> pd.DataFrame:
        """:func:`servicekpi.benchmark_table` for the team in the assessed period (cached)."""
        if "benchmarks" not in self._cache:
            from ..benchmarking import benchmark_table
            self._cache["benchmarks"] = benchmark_table(
                self.assessed_kpis, self.params.team, self.benchmarks, period=self.as_of,
                catalogue=self.catalogue)
        return self._cache["benchmarks"]

    def benchmarks_note(self) -> Note | None:
        """Why the comparison is with peers only, or None."""
        if self.benchmarks is None and self.benchmark_rows()["kind"].notna().any():
            return self._note("no_benchmarks")
        return None

    def benchmarks_styled(self):
        """The team against external benchmarks and peers (a Note when there is
        nothing to compare with)."""
        t = self.benchmark_rows()
        if not t["kind"].notna().any():
            return self._note("no_comparison")
        rows, styles = [], []
        present = set(t["reference"].dropna())
        refs = [r for r in ("industry_median", "top_quartile", "best_in_class", "peer_median",
                            "best_peer") if r in present]
        for kpi, g in t.groupby("kpi", sort=False):
            d = self.catalogue[kpi]
            first = g.iloc[0]
            row = {"KPI": self.catalogue.label(kpi, self.params.language),
                   "value": d.fmt(first["value"])}
            style = {}
            by_ref = g.set_index("reference")
            for ref in refs:
                name = ref.replace("_", " ")
                if ref in by_ref.index:
                    r = by_ref.loc[ref]
                    row[name] = d.fmt(r["reference_value"])
                    style[name] = {"leading": BETTER, "level": BETTER, "behind": WORSE}.get(
                        r["position"], "")
                else:
                    row[name] = "–"
            rank = first["peer_rank"]
            row["rank"] = (f"{int(rank)} of {int(first['peer_count'])}"
                           if pd.notna(rank) else "–")
            row["percentile"] = (f"{first['peer_percentile']:.0f}"
                                 if pd.notna(first["peer_percentile"]) else "–")
            rows.append(row)
            styles.append(style)
        out = pd.DataFrame(rows)

        def colour(_):
            return pd.DataFrame([[("background-color: " + s[c]) if s.get(c) else ""
                                  for c in out.columns] for s in styles],
                                index=out.index, columns=out.columns)
        caption = (f"{label(self.as_of)}: green = the team is at or better than the "
                   "reference, red = behind.")
        if self.benchmarks is not None and len(self.benchmarks):
            pairs = sorted({(s, pd.Timestamp(a).date().isoformat()) for s, a in
                            zip(self.benchmarks["source"], self.benchmarks["as_of"])})
            caption += " External benchmarks: " + "; ".join(
                f"{literal.html(s)} ({a})" for s, a in pairs) + "."
        if {"peer_median", "best_peer"} & present:
            caption += " Peers: the other teams."
        return (literal.table(out).apply(colour, axis=None)
                .set_caption(caption))

    def bullet_figure(self):
        """Actual against target over benchmark bands, per targeted KPI with a
        value; None without targets (the gap table's note says why)."""
        from .. import plots
        if self.targets_note() is not None:
            return None
        g = self.gaps()
        if not g["current"].notna().any():
            return None
        return plots.bullet_chart(g, self.benchmarks, catalogue=self.catalogue,
                                  language=self.params.language)

    def peer_matrix(self) -> pd.DataFrame:
        from ..benchmarking import peer_matrix
        return peer_matrix(self.assessed_kpis, self.as_of, catalogue=self.catalogue,
                           kpi_list=self.shown_kpis)

    def peer_figure(self):
        """Percentile of every team on every KPI (a Note without other teams)."""
        from .. import plots
        m = self.peer_matrix()
        if m.shape[1] == 0 or m.shape[0] < 2:
            return self._note("no_peers", period=label(self.as_of))
        ax = plots.peer_heatmap(m, team=self.params.team, catalogue=self.catalogue,
                                language=self.params.language)
        ax.set_title(f"Percentile among teams (100 = best), {label(self.as_of)}", loc="left",
                     fontsize=10)
        return ax.figure

    # ------------------------------------------------------------------ scorecard
    def scorecard(self):
        """This team's scorecard for the assessed period (cached).

        Only the team's own targets are scored (teams are ranked in the
        overview, by grade then score).  Its own gap table (:meth:`gaps`)
        gives the values scored, which targets have insufficient data, and
        the statuses for the grade cap, so the scorecard judges the same
        period as the gap table.  A problem with the team's targets (weights,
        scoring rules) raises :class:`ConfigError`.
        """
        if "scorecard" not in self._cache:
            from ..scorecard import scorecard
            mine = self.targets_note() is None
            self._cache["scorecard"] = scorecard(
                self.assessed_kpis, self.team_targets if mine else None, period=self.as_of,
                catalogue=self.catalogue, language=self.params.language,
                gaps=self.gaps() if mine else None)
        return self._cache["scorecard"]

    def scorecard_summary(self) -> str:
        """The composite score and its grade (with the cap, when it applies),
        coverage, what was not scored and why, and the fuzzy evaluation, with
        the reason when its grade differs from the crisp one (Markdown); a Note
        without targets.  No rank: the overview ranks the teams."""
        if self.targets_note() is not None:
            return self._note("no_scorecard")
        from ..scorecard import fuzzy_evaluation, rule_words
        lang = self.params.language
        esc = literal.md
        sc = self.scorecard()
        t = sc.totals.set_index("team")
        team = self.params.team
        if team not in t.index:
            return self._note("no_scorecard")
        me = t.loc[team]
        mine = sc.scores[sc.scores["team"] == team]
        unscored = "; ".join(f"{self.catalogue.label(r.kpi, lang)} ({r.reason})"
                             for r in mine.itertuples() if r.status == "missing")
        if not np.isfinite(me["score"]):
            return (f"**Composite score –, no grade**: none of the targeted KPIs can be "
                    f"scored for {label(self.as_of)} (not scored: {esc(unscored)}).")
        words = rule_words(lang)
        out = (f"**Composite score {me['score']:.1f} (weighted progress to target) — grade "
               f"{me['grade']}**")
        rule = (f"while targets off track or missed carry together {words['heavy']} or more "
                f"of the team's weight, the grade is at most {words['cap']}")
        if me["capped_by"]:
            out += f" (capped from {me['grade_uncapped']}: {esc(me['capped_by'])}; {rule})"
        elif me["cap_reason"]:
            out += (f" ({rule}: {esc(me['cap_reason'])}; grade {me['grade']} is already no "
                    "better)")
        out += (f". Weights from the {esc(sc.weights_source)}; each KPI scores 0 at its "
                "baseline and 100 at its target, clipped; once a deadline has passed, its "
                f"deadline period's value is scored. Coverage {_pct(me['coverage'])} of the "
                "weight")
        if unscored:
            out += f"; not scored: {esc(unscored)}"
        fz = fuzzy_evaluation(sc.scores, language=lang, totals=sc.totals).set_index("team")
        if team in fz.index:
            f = fz.loc[team]
            members = ", ".join(f"{g} {f[g]:.2f}"
                                for g in fz.columns[:fz.columns.get_loc("grade")])
            out += (f". Fuzzy comprehensive evaluation (memberships {members}): "
                    f"grade {f['grade_uncapped']}")
            if f["grade"] != f["grade_uncapped"]:
                out += f", capped at {f['grade']} (the same cap)"
            if f["grade"] != me["grade"]:
                lean = f["grade_uncapped"]
                why = (f"{int(f['lean_targets'])} of {int(f['scored_targets'])} scored targets "
                       f"({_pct(f['lean_weight'])} of the scored weight) score in grade "
                       f"{lean}'s band" if f["lean_targets"] else
                       "the scores spread over the grades unevenly")
                out += (f". It differs from the grade {me['grade']}: the memberships lean to "
                        f"{lean} because {why}, while the weighted score is "
                        f"{me['score']:.1f}: grade {me['grade_uncapped']}")
                if me["grade"] != me["grade_uncapped"]:
                    out += f", capped at {me['grade']}"
        return out + "."

    def scorecard_table(self) -> pd.DataFrame:
        """Per targeted KPI: baseline, the value scored (its period in brackets
        when it is not the assessed one: the deadline period once the deadline
        has passed), target, progress score, the target's status at the
        deadline (beside the score, so a 100 now shows "off track" when the
        deadline is forecast to miss), weight, points."""
        sc = self.scorecard()
        g = sc.scores[sc.scores["team"] == self.params.team]
        fmt = self.catalogue
        lang = self.params.language

        def value(k, v, at, scored):
            shown = fmt[k].fmt(v)
            if isinstance(scored, pd.Period) and scored != at:
                shown += f" ({label(scored)})"
            return shown
        return pd.DataFrame({
            "KPI": [fmt.label(k, lang) for k in g["kpi"]],
            "perspective": [p.replace("_", " ") for p in g["perspective"]],
            "baseline": [fmt[k].fmt(v) for k, v in zip(g["kpi"], g["baseline"])],
            "value": [value(*a) for a in zip(g["kpi"], g["value"], g["period"],
                                             g["value_period"])],
            "target": [fmt[k].fmt(v) for k, v in zip(g["kpi"], g["target"])],
            "progress score": [f"{s:.0f}" if np.isfinite(s) else "not scored"
                               for s in g["score"]],
            "status": [status_word(s, lang) if isinstance(s, str) else "–"
                       for s in g["target_status"]],
            "weight": [_pct(w) for w in g["weight"]],
            "points": [f"{c:.1f}" if np.isfinite(c) else "–" for c in g["contribution"]],
        })

    def scorecard_styled(self):
        """The team's scorecard table; None without targets (the summary says why)."""
        if self.targets_note() is not None:
            return None
        return styled(self.scorecard_table())

    def contributions_figure(self):
        """Each KPI's points in the team's total; None without targets."""
        import matplotlib.pyplot as plt

        from .. import plots
        if self.targets_note() is not None:
            return None
        fig, ax = plt.subplots(figsize=(8, 0.6 * max(len(self.team_targets), 1) + 1.2))
        plots.scorecard_contributions(self.scorecard().scores, team=self.params.team,
                                      catalogue=self.catalogue, ax=ax,
                                      language=self.params.language)
        return fig

    # ------------------------------------------------------------------ outlook
    def series(self, kpi: str) -> pd.Series:
        """The team's assessable values of one KPI up to the assessed period
        (:attr:`assessed_kpis`), indexed by period: the history the gap table
        simulates from."""
        k = self.assessed_kpis
        k = k[(k["team"] == self.params.team) & (k["kpi"] == kpi) & k["value"].notna()]
        return pd.Series(k["value"].to_numpy(float),
                         index=pd.PeriodIndex(k["period"])).sort_index()

    def forecasts(self) -> dict:
        """kpi -> (Simulation or None, backtest MASE of 'auto'), cached.

        The simulation is the gap table's own (``gaps().attrs["simulations"]``,
        one per target, to its deadline): the status, the probability, the
        outlook table and the fan chart all read the same paths, and nothing
        is fitted again.  None where the gap table made no forecast (the
        deadline has passed, or too few observations).  The backtest MASE is
        a separate accuracy figure: the 'auto' method re-run from the last
        four origins of the same history.
        """
        if "forecasts" not in self._cache:
            from ..forecast import backtest
            sims = self.gaps().attrs.get("simulations", {})
            out = {}
            for t in self.team_targets.itertuples():
                sim = sims.get((self.params.team, t.kpi))
                mase = np.nan
                if sim is not None and sim.ok:
                    bt = backtest(sim.history, min(len(sim.index), 6), methods=["auto"],
                                  origins=4, bounds=self.catalogue[t.kpi].bounds, n_paths=200,
                                  calibrate=False)      # MASE needs the point forecasts only
                    mase = float(bt["MASE"].iloc[0]) if len(bt) else np.nan
                out[t.kpi] = (sim, mase)
            self._cache["forecasts"] = out
        return self._cache["forecasts"]

    def outlook_table(self) -> pd.DataFrame:
        """Per target: status, the forecast at the deadline (the median of the
        simulated paths) with its 80% interval, the probability that the
        deadline period's value meets the target, when the target is expected
        to be reached, the model and its backtest MASE.

        Every number comes from the gap table's row, itself read from the
        target's one simulation.  "Expected reached" is the first period from
        which the expected path (the last value, then the median path) meets
        the target in every period through the deadline; "not by the
        deadline" when the median at the deadline misses it.  A target whose
        deadline period is observed shows that value (met or missed), no
        forecast.
        """
        g = self.gaps()
        fc = self.forecasts()
        lang = self.params.language
        rows = []
        for r in g.itertuples():
            d = self.catalogue[r.kpi]
            sim, mase = fc.get(r.kpi, (None, np.nan))
            observed = r.status in ("met", "missed")
            forecast_made = np.isfinite(r.probability)
            if observed:
                at, interval, prob, reached = (f"{d.fmt(r.deadline_value)} (observed)", "–",
                                               status_word(r.status, lang), "–")
                model = "observed"
            elif forecast_made:
                at = d.fmt(r.forecast_at_deadline)
                interval = f"{d.fmt(r.lower_80)} – {d.fmt(r.upper_80)}"
                prob = _pct(r.probability)
                reached = (label(r.expected_reached) if isinstance(r.expected_reached, pd.Period)
                           else "not by the deadline")
                model = r.model
            else:
                at = interval = prob = reached = "–"
                model = f"no forecast ({sim.status})" if sim is not None else "no forecast"
            rows.append({
                "KPI": self.catalogue.label(r.kpi, lang),
                "target": f"{d.fmt(r.target)} by {label(r.deadline)}",
                "status": status_word(r.status, lang),
                "forecast at deadline": at,
                "80% interval": interval,
                "P(met at deadline)": prob,
                "expected reached": reached,
                "model": model,
                "backtest MASE": "–" if not np.isfinite(mase) else f"{mase:.2f}",
            })
        return pd.DataFrame(rows)

    def outlook_styled(self):
        """The outlook table (a Note without targets)."""
        if self.targets_note() is not None:
            return self._note("no_forecasts")
        return styled(self.outlook_table())

    def fan_charts(self):
        """One fan chart per targeted KPI (Figure); None without targets.

        Each draws the target's simulation from the gap table (exactly its
        periods, to the deadline) over the assessable history it was
        simulated from; a target without a forecast shows its history alone.
        """
        from .. import plots
        if self.targets_note() is not None:
            return None
        items = [(t, self.forecasts()[t["kpi"]][0])
                 for _, t in self.team_targets.iterrows()]
        data = self.assessed_kpis          # assessable rows: the simulations' history

        def draw(ax, item):
            t, sim = item
            plots.fan_chart(data, sim, team=self.params.team, kpi=t["kpi"],
                            target=t, catalogue=self.catalogue,
                            periods=self.params.history_periods, ax=ax,
                            language=self.params.language)
        return plots._small_multiples(items, draw, ncols=2, panel=(6.2, 3.3), legend_cols=3)

    # ------------------------------------------------------------- diagnostics
    def control_tables(self) -> dict:
        """kpi -> control chart (:func:`servicekpi.diagnostics.control_chart`) of
        each targeted KPI with at least 3 assessable values, computed once.

        The chart covers the last ``max(2 * history_periods, 3 seasons)``
        assessed periods (three seasons, so a seasonal pattern can be
        tested and removed), duration periods with too many tickets still
        open left out (see :attr:`assessed_kpis`).  Its limits come
        from the first 12 of them (phase I), with a new stage after a
        detected sustained shift; the main driver's comparison uses its
        seasonal decision."""
        if "control" not in self._cache:
            from ..diagnostics import control_chart, season_length
            out = {}
            k = self.assessed_kpis
            k = k[(k["team"] == self.params.team) & k["value"].notna()]
            for kpi in self.team_targets["kpi"]:
                rows = k[k["kpi"] == kpi].sort_values("period")
                span = max(2 * self.params.history_periods, 3 * season_length(rows["period"]))
                if len(rows) >= 3:
                    out[kpi] = control_chart(rows.tail(span), self.params.team, kpi)
            self._cache["control"] = out
        return self._cache["control"]

    def control_figure(self):
        """Control charts of the targeted KPIs (a Note when there are none)."""
        from .. import plots
        if self.targets_note() is not None:
            return self._note("no_control")
        tables = list(self.control_tables().values())
        if not tables:
            return self._note("short_control")

        def draw(ax, table):
            plots.control_chart(table, catalogue=self.catalogue, ax=ax,
                                language=self.params.language)
        return plots._small_multiples(tables, draw, ncols=2, panel=(6.2, 3.0), legend_cols=4)

    def control_signals(self, recent: int = 6) -> pd.DataFrame:
        """Special causes in the last ``recent`` periods: the value, the value
        expected there (the stage's centre line, with the seasonal effect for
        a seasonal KPI) and the rules broken."""
        from ..diagnostics import RULES
        rows = []
        for kpi, t in self.control_tables().items():
            d = self.catalogue[kpi]
            t = t.tail(recent)
            for r in t[t["signal"]].itertuples():
                rows.append({"KPI": self.catalogue.label(kpi, self.params.language),
                             "period": label(r.period), "value": d.fmt(r.value),
                             "expected": d.fmt(r.expected),
                             "rule broken": "; ".join(RULES[x] for x in r.rules.split(", "))})
        return pd.DataFrame(rows, columns=["KPI", "period", "value", "expected", "rule broken"])

    def control_signals_styled(self, recent: int = 6):
        """The special causes table; a Note when there are none; None when
        there are no control charts (their note says why)."""
        if not self.control_tables():
            return None
        s = self.control_signals(recent)
        return styled(s) if len(s) else self._note("no_signals")

    def top_causes(self, top: int = 3):
        """Pareto of this team's complaints by category in the assessed period."""
        from ..diagnostics import pareto
        if not {"is_complaint", "category"} <= set(self.tickets.columns):
            return None
        p = pareto(self.tickets, team=self.params.team, period=self.as_of, by="category",
                   flag="is_complaint", top=top, freq=self.params.period)
        if p.empty:
            return None
        out = pd.DataFrame({
            "cause (category)": p["category"], "complaints": p["count"],
            "share": [_pct(v, 1) for v in p["share"]],
            "cumulative": [_pct(v, 1) for v in p["cumulative"]],
            "previous period": p["previous"],
            "change": [f"{c:+d}" for c in p["change"]],
            "top": ["top " + str(top) if t else "" for t in p["top"]]})
        out.attrs.update(p.attrs)
        return out

    def causes_styled(self, top: int = 3):
        """The top complaint causes (a Note when there are none)."""
        if not {"is_complaint", "category"} <= set(self.tickets.columns):
            return self._note("no_causes")
        t = self.top_causes(top)
        if t is None:
            return self._note("no_complaints", period=label(self.as_of))
        return styled(t)

    def main_driver(self) -> dict | None:
        """The targeted ticket KPI whose latest value lies furthest from what its
        control chart expects, tested, and its change split into mix and rate
        by category (computed once).

        Every targeted ticket KPI is ranked by the same deseasonalised
        statistic: |z| of its assessed period's point on its control chart
        (:meth:`control_tables`: the distance from the stage's level plus,
        for a seasonal KPI, the seasonal effect, in sigmas on the normal
        scale).  A KPI whose assessed period is not assessable (a duration
        with too many tickets still open) has no such point and is not
        ranked.  Ranking each KPI by its own comparison instead would set
        a seasonal KPI's change over a year (a year of trend included)
        against the others' change over one period.

        The chosen KPI is then tested with the comparison that fits it: the
        previous period, or, when its chart found it seasonal (the test of
        :func:`servicekpi.diagnostics.seasonality`), the same period a year
        earlier (the previous period when that has no value), since a
        seasonal KPI's month-to-month change is mostly the season;
        ``context`` (:func:`servicekpi.diagnostics.seasonal_context`) then
        says whether the month-to-month change is the usual seasonal one,
        in direction and size.  A KPI that no comparison can test (no
        value to compare with) gives way to the next in the ranking.
        Returns a dict: ``kpi, z, expected`` (the chart's expectation for
        the assessed period), ``ranking`` (DataFrame ``kpi, z`` of every
        ranked KPI, largest |z| first), ``before`` (the period compared
        with), ``comparison`` ("year" / "previous"), ``seasonal,
        seasonal_p, test, decomposition, context`` (None when not
        seasonal), or None.
        """
        if "driver" in self._cache:
            return self._cache["driver"]
        from ..diagnostics import compare_periods, decompose_change, seasonal_context
        if self.as_of is None:
            return None
        k = self.assessed_kpis
        charts = self.control_tables()
        ranked = []
        for kpi in dict.fromkeys(self.team_targets["kpi"]):
            d = self.catalogue[kpi]
            chart = charts.get(kpi)
            if (d.source != "tickets" or "category" not in self.tickets or chart is None
                    or chart.empty or chart["period"].iloc[-1] != self.as_of
                    or not np.isfinite(chart["z"].iloc[-1])):
                continue
            ranked.append((kpi, float(chart["z"].iloc[-1]), chart))
        ranked.sort(key=lambda r: -abs(r[1]))            # stable: targets' order on ties
        best = None
        for kpi, z, chart in ranked:
            seasonal = bool(chart.attrs["seasonal"])
            tries = ([("year", self.as_of - chart.attrs["season"])] if seasonal else []) + \
                [("previous", self.as_of - 1)]
            for comparison, before in tries:
                try:
                    test = compare_periods(k, self.params.team, kpi, before, self.as_of,
                                           catalogue=self.catalogue)
                except ServiceKPIError:
                    continue
                best = (kpi, z, chart, test, comparison, before)
                break
            if best is not None:
                break
        if best is None:
            self._cache["driver"] = None
            return None
        kpi, z, chart, test, comparison, before = best
        seasonal = bool(chart.attrs["seasonal"])
        dec = decompose_change(self.tickets, kpi, team=self.params.team, before=before,
                               after=self.as_of, by="category", period=self.params.period,
                               catalogue=self.catalogue)
        context = None
        if seasonal:
            try:
                context = seasonal_context(k, self.params.team, kpi, self.as_of,
                                           catalogue=self.catalogue, seasonal=True)
            except ServiceKPIError:
                context = None
        self._cache["driver"] = {
            "kpi": kpi, "z": z, "expected": float(chart["expected"].iloc[-1]),
            "value": float(chart["value"].iloc[-1]),
            "ranking": pd.DataFrame([(r[0], r[1]) for r in ranked], columns=["kpi", "z"]),
            "before": before, "comparison": comparison, "seasonal": seasonal,
            "seasonal_p": chart.attrs["seasonal_p"], "test": test, "decomposition": dec,
            "context": context}
        return self._cache["driver"]

    def driver_markdown(self) -> str:
        """The main driver section: why this KPI (its control-chart z), which
        comparison and why, the test, the seasonal context, and the mix/rate
        split by category."""
        from ..diagnostics import SEASONAL_ALPHA
        m = self.main_driver()
        if m is None:
            return self._note("no_driver")
        seg = m["decomposition"]["segments"].head(5)
        d = self.catalogue[m["kpi"]]
        share = d.unit == "share"
        f = (lambda v: f"{v * 100:+.1f} pts") if share else (lambda v: d.fmt_change(v))  # noqa: E731
        words = {"kpi": self.catalogue.label(m["kpi"], self.params.language),
                 "before": label(m["before"]), "after": label(self.as_of),
                 "p": f"{m['seasonal_p']:.2f}", "alpha": f"{SEASONAL_ALPHA * 100:g}%"}
        rank = self._note("driver_rank_seasonal" if m["seasonal"] else "driver_rank",
                          kpi=words["kpi"], after=words["after"], value=d.fmt(m["value"]),
                          expected=d.fmt(m["expected"]), z=f"{m['z']:+.1f}")
        if m["comparison"] == "year":
            why = self._note("driver_year", **words)
        elif m["seasonal"]:
            why = self._note("driver_no_year", **words)
        elif np.isfinite(m["seasonal_p"]):
            why = self._note("driver_previous", **words)
        else:
            why = self._note("driver_previous_short", **words)
        sep = "" if self.params.language == "zh" else " "
        esc = literal.md
        lines = [f"*{esc(rank)}{sep}{esc(why)}*", "",
                 f"**{esc(m['test']['sentence'])}.**", ""]
        if m["context"] is not None:
            lines += [esc(m["context"]["sentence"]), ""]
        lines += [esc(m["decomposition"]["sentence"]), "",
                  "| category | share before | share after | value before | value after | "
                  "mix | rate |", "|---|---:|---:|---:|---:|---:|---:|"]
        for r in seg.itertuples():
            lines.append(f"| {esc(r.category)} | {_pct(r.weight_before, 1)} | "
                         f"{_pct(r.weight_after, 1)} | {esc(d.fmt(r.value_before))} | "
                         f"{esc(d.fmt(r.value_after))} | {esc(f(r.mix))} | {esc(f(r.rate))} |")
        return "\n".join(lines)

    def competency(self):
        """(team gaps per dimension, people with the largest gaps) or None."""
        if self.params.competencies is None or self.params.competency_targets is None:
            return None
        if "competency" not in self._cache:
            from ..competencies import (competency_gaps, largest_gaps, load_competencies,
                                       load_competency_targets)
            a = load_competencies(self.params.competencies)
            t = load_competency_targets(self.params.competency_targets)
            self._cache["competency"] = (
                (competency_gaps(a, t, self.params.team), largest_gaps(a, t, self.params.team))
                if (a["team"] == self.params.team).any() else None)
        return self._cache["competency"]

    def competency_table(self) -> pd.DataFrame:
        from ..competencies import LABELS_ZH
        c = self.competency()
        if c is None:
            return pd.DataFrame()
        g = c[0]
        zh = self.params.language == "zh"
        return pd.DataFrame({
            "dimension": [LABELS_ZH[d] if zh else lab for d, lab in zip(g["dimension"], g["label"])],
            "team average": [f"{v:.2f}" for v in g["mean"]],
            "target": [f"{v:.1f}" for v in g["target"]],
            "gap": [f"{v:+.2f}" for v in g["gap"]],
            "people below target": [_pct(v) for v in g["share_below"]],
            "assessed": g["people"]})

    def competency_styled(self):
        """The competency table; None when there is none (the figure's note says why)."""
        return None if self.competency() is None else styled(self.competency_table())

    def competency_figure(self):
        """The competency radar (a Note when there are no assessments for the team)."""
        from .. import plots
        from ..competencies import LABELS_ZH
        if self.params.competencies is None or self.params.competency_targets is None:
            return self._note("no_competencies")
        c = self.competency()
        if c is None:
            return self._note("no_team_competencies")
        ax = plots.competency_radar(c[0], team=self.params.team,
                                    labels=LABELS_ZH if self.params.language == "zh" else None)
        return ax.figure

    # ------------------------------------------------------------------ appendix
    def write_summary(self, path) -> None:
        """Status counts, composite score and grade of this report, as JSON, for the
        batch runner's index.  A missing score or grade is null, never NaN
        (written with ``allow_nan=False``); ``capped_by`` is "" when the grade
        was not capped."""
        if not path:
            return
        import json
        g = self.gaps()
        counts = {k: int(v) for k, v in g["status"].value_counts().items()} if len(g) else {}
        totals = self.scorecard().totals.set_index("team")
        me = totals.loc[self.params.team] if self.params.team in totals.index else {}

        def text(key):
            v = me.get(key) if len(me) else None
            return v if isinstance(v, str) else None

        score = me.get("score") if len(me) else None
        score = float(score) if score is not None and np.isfinite(score) else None
        Path(path).write_text(json.dumps({
            "team": self.params.team, "name": self.name, "status_counts": counts,
            "score": score, "grade": text("grade"), "grade_uncapped": text("grade_uncapped"),
            "capped_by": text("capped_by") or "",
            "period": label(self.as_of) if self.as_of is not None else None,
            "partial_period": label(self.partial) if self.partial is not None else None,
            "language": self.params.language},
            allow_nan=False))

    def quality(self) -> pd.DataFrame:
        """Data-quality summary for this team (counts from the export)."""
        q = data_quality(self.tickets, self.params.team)
        # rows and share are missing for notes about the file as a whole
        q = q.assign(rows=["–" if pd.isna(r) else f"{int(r):,}" for r in q["rows"]],
                     share=["–" if pd.isna(s) else f"{s:.1%}" for s in q["share"]])
        return q.fillna("")

    def parameters_table(self) -> pd.DataFrame:
        """The parameters this report was made with (paths shown by file name)."""
        rows = []
        for key, value in self.params.model_dump().items():
            if isinstance(value, Path):
                value = value.name
            rows.append({"parameter": key, "value": "–" if value is None else str(value)})
        return pd.DataFrame(rows)

    def definitions(self) -> pd.DataFrame:
        """Catalogue entries of the KPIs shown."""
        rows = [{"KPI": self.catalogue.label(k, self.params.language), "unit": d.unit,
                 "better": d.direction, "perspective": d.perspective.replace("_", " "),
                 "definition": d.definition}
                for k in self.shown_kpis for d in [self.catalogue[k]]]
        return pd.DataFrame(rows)


