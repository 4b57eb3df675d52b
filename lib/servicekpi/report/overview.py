"""The leadership overview: every team of a parameter folder, rolled up."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import numpy as np
import pandas as pd

from .. import config, literal
from ..catalogue import Catalogue, load_catalogue
from ..errors import ServiceKPIError
from ..i18n import has_cjk, note, partial_label, status_word, use_cjk_font
from ..kpis import compute_kpis
from ..params import ReportParams
from ..periods import label, last_day, partial_period
from ..tables import load_kpi_table, load_targets, merge_kpis
from ..tickets import load_tickets
from .common import BETTER, WORSE, STATUS_STYLE, Note, _coverage, _pct


# ---------------------------------------------------------------------- the overview
def _by_file(all_params, key: str, names: list[str]) -> dict:
    """(path, period) -> the teams (among ``names``) whose parameter ``key`` names it."""
    out: dict = {}
    for p in all_params:
        path = getattr(p, key)
        if path is not None and p.team in names:
            out.setdefault((str(path), p.period), []).append(p.team)
    return out


@dataclass
class OverviewReport:
    """The leadership roll-up across every team of a parameter folder.

    Teams on different periods.  Teams may report on different kinds of
    period (some monthly, some weekly or quarterly) in one overview: KPIs
    and targets are kept per kind (``kpis[kind]``, ``targets[kind]``), each
    team is assessed on its own latest complete period (statuses, ranking
    and goals at risk list that period per team), and the teams x KPIs
    matrix ranks each team among the teams on the same kind of period (a
    week is never compared with a month).

    Partial periods: as in :class:`TeamReport`, per team (its export's
    coverage end and ``include_partial_period``).  A team with no targets
    is listed with no statuses; with no targets at all, the status, ranking
    and at-risk sections each show one sentence.
    """

    title: str
    teams: list[ReportParams]
    catalogue: Catalogue
    kpis: dict                       # period kind -> long KPI table of its teams
    targets: dict                    # period kind -> targets of its teams (absent: none)
    links: dict
    ends: dict = field(default_factory=dict)          # team -> export coverage end
    export_names: dict = field(default_factory=dict)  # team -> name in its export
    _cache: dict = field(default_factory=dict, repr=False, compare=False)
    excluded: dict = field(default_factory=dict)   # team -> why its data is left out

    @classmethod
    def load(cls, params_dir=None, teams=None, links=None, title=None,
             as_of=None) -> "OverviewReport":
        """Load every team named in ``params_dir`` (default: the project's params/);
        ``as_of`` overrides the parameters' ``as_of:`` (``servicekpi run --as-of``)."""
        from ..params import by_export, load_params
        all_params = load_params(params_dir or config.PARAMS_DIR, teams,
                                 overrides={"as_of": as_of} if as_of is not None else None)
        first = all_params[0]
        cat = load_catalogue(first.catalogue)
        frames: dict = {}
        target_frames: dict = {}
        excluded, ends, export_names = {}, {}, {}
        for members in by_export(all_params).values():
            names = [p.team for p in members]
            p0 = members[0]
            try:   # one export's problems leave its teams out, not the whole overview
                tickets = load_tickets(p0.tickets, **p0.ticket_options())
                k = compute_kpis(tickets, p0.period)
            except ServiceKPIError as exc:
                excluded.update({n: str(exc).splitlines()[0] for n in names})
                continue
            frames.setdefault(p0.period, []).append(k[k["team"].isin(names)])
            for p in members:
                ends[p.team] = _coverage(tickets, p)
                export_names[p.team] = (tickets.attrs.get("team_names") or {}).get(p.team)
        if not frames:
            raise ServiceKPIError("no team's data could be loaded: "
                                  + "; ".join(f"{t}: {e}" for t, e in excluded.items()))
        kpis = {kind: pd.concat(f, ignore_index=True) for kind, f in frames.items()}
        names = [p.team for p in all_params if p.team not in excluded]
        for key in ("kpi_table", "targets"):
            for (path, kind), members in _by_file(all_params, key, names).items():
                try:     # a wrong row leaves out its team; a wrong file, its teams
                    load = load_kpi_table if key == "kpi_table" else load_targets
                    t = load(path, period=kind, catalogue=cat, team_errors="drop")
                except ServiceKPIError as exc:
                    for n in members:
                        excluded.setdefault(n, f"{key}: {str(exc).splitlines()[0]}")
                    continue
                for n, problems in (t.attrs.get("team_errors") or {}).items():
                    if n in members:
                        excluded.setdefault(n, f"{key}: {problems[0]}")
                ok = [n for n in members if n not in excluded]
                if key == "kpi_table":
                    kpis[kind] = merge_kpis(kpis[kind], t[t["team"].isin(ok)],
                                            source=Path(path).name)
                else:
                    target_frames.setdefault(kind, []).append(t[t["team"].isin(ok)])
        targets = {kind: pd.concat(f, ignore_index=True) for kind, f in target_frames.items()}
        report = cls(title or first.title, all_params, cat, kpis, targets, links or {},
                     ends, export_names)
        report.excluded = excluded
        literal.plain_figures()
        if has_cjk(title, *(p.title for p in all_params),
                   *(report.name(p.team) for p in all_params)):
            use_cjk_font()     # team names in the figures
        return report

    @property
    def language(self) -> str:
        """Chinese when every team's report is; else English."""
        return "zh" if all(p.language == "zh" for p in self.teams) else "en"

    def _note(self, key: str, **values) -> Note:
        return Note(note(key, self.language, **values))

    def _params(self, team: str) -> ReportParams:
        return next(p for p in self.teams if p.team == team)

    def name(self, team: str) -> str:
        for p in self.teams:
            if p.team == team:
                return p.display_name or self.export_names.get(team) or team
        return team

    def team_link(self, team: str) -> str:
        """The team's display name as literal text, linking to its report when there
        is one: valid in raw HTML (the tables) and in Markdown (the list of reports)."""
        text_ = literal.md(self.name(team))
        href = self.links.get(team)
        return f'<a href="{literal.html(href)}">{text_}</a>' if href else text_

    # ------------------------------------------------------------------ periods
    def periods(self, team: str) -> dict:
        """The team's ``last`` period, ``partial`` period (or None) and
        ``assessed`` period (or None when it has no data), cached."""
        key = ("periods", team)
        if key not in self._cache:
            p = self._params(team)
            k = self.kpis.get(p.period)
            ps = sorted(k.loc[k["team"] == team, "period"].unique()) if k is not None else []
            end = self.ends.get(team)
            if end is not None:
                ps = [q for q in ps if q.start_time <= end]
            last = ps[-1] if ps else None
            part = partial_period(end, p.period, last)
            if part is not None and not p.include_partial_period and len(ps) > 1:
                ps = ps[:-1]
            self._cache[key] = {"last": last, "partial": part,
                                "assessed": ps[-1] if ps else None}
        return self._cache[key]

    def assessed(self, team: str) -> pd.Period | None:
        return self.periods(team)["assessed"]

    def _team_kpis(self, team: str) -> pd.DataFrame:
        """Every team's KPIs of ``team``'s kind, up to its assessed period."""
        p = self._params(team)
        k = self.kpis[p.period]
        return k[k["period"] <= self.assessed(team)]

    def _team_targets(self, team: str) -> pd.DataFrame | None:
        t = self.targets.get(self._params(team).period)
        if t is None:
            return None
        t = t[t["team"] == team]
        return t if len(t) else None

    @property
    def has_targets(self) -> bool:
        return any(len(t) for t in self.targets.values())

    def header_markdown(self) -> str:
        assessed = {}
        for p in self.teams:
            q = self.assessed(p.team)
            if q is not None:
                assessed.setdefault(label(q), []).append(p.team)
        if len(assessed) == 1:
            period = f"**Period:** {next(iter(assessed))}"
        else:
            period = "**Periods:** " + ", ".join(
                f"{q} ({len(ts)} team{'s' if len(ts) > 1 else ''})"
                for q, ts in assessed.items())
        out = (f"# {literal.md(self.title)}: leadership overview\n\n"
               f"**Teams:** {len(self.teams)} &nbsp; {period} &nbsp; "
               f"**Generated:** {datetime.now().strftime('%Y-%m-%d %H:%M')}")
        partial = []
        for p in self.teams:
            per = self.periods(p.team)
            if per["partial"] is not None and per["partial"] != per["assessed"]:
                tag = partial_label(label(per["partial"]), last_day(self.ends[p.team]),
                                    self.language)
                partial.append(f"{literal.md(self.name(p.team))}: {tag}")
        if partial:
            out += "\n\n" + note("partial_teams", self.language, teams="; ".join(partial))
        if self.excluded:
            out += "\n\n**Partly left out for data problems:** " + "; ".join(
                f"{literal.md(self.name(t))}: {literal.md(e)}" for t, e in self.excluded.items())
        return out

    # ------------------------------------------------------------------ assessments
    def gaps(self) -> pd.DataFrame:
        """Every team's gap table for its own assessed period (cached)."""
        if "gaps" not in self._cache:
            from ..gaps import gap_table
            frames = []
            for p in self.teams:
                t = self._team_targets(p.team)
                if t is None or self.assessed(p.team) is None:
                    continue
                frames.append(gap_table(self._team_kpis(p.team), t, self.assessed(p.team),
                                        catalogue=self.catalogue, rule="forecast"))
            out = gap_table(None, None, rule="forecast")
            if frames:
                sims = out.attrs["simulations"]
                for f in frames:       # pd.concat drops attrs that differ: merge them
                    sims.update(f.attrs["simulations"])
                attrs = {**frames[0].attrs, "simulations": sims}
                out = pd.concat(frames, ignore_index=True)
                out.attrs.update(attrs)
            self._cache["gaps"] = out
        return self._cache["gaps"]

    def status_counts(self):
        """Teams x statuses: how many targets each team has in each status, for
        its assessed period (a Note when no team has targets).  Status words in
        the overview's language."""
        if not self.has_targets:
            return self._note("no_targets_any")
        from ..gaps import STATUSES
        g = self.gaps()
        order = list(STATUSES)
        table = (g.groupby(["team", "status"]).size().unstack(fill_value=0)
                 .reindex(columns=order, fill_value=0)) if len(g) else pd.DataFrame(columns=order)
        table = table.reindex([p.team for p in self.teams], fill_value=0)
        out = pd.DataFrame({"team": [self.team_link(t) for t in table.index],
                            "period": [label(self.assessed(t)) if self.assessed(t) is not None
                                       else "–" for t in table.index]})
        words = {s: status_word(s, self.language) for s in order}
        for s in order:
            out[words[s]] = table[s].to_numpy()
        total = table.sum()
        out.loc[len(out)] = ["<b>all teams</b>", "", *[int(total[s]) for s in order]]

        def colour(col):
            s = next(k for k, v in words.items() if v == col.name)
            return [STATUS_STYLE[s] if v else "" for v in col]
        return (out.style.hide(axis="index")
                .apply(colour, subset=list(words.values()))
                .set_caption("Targets by status, each team in its latest complete period: "
                             "while a deadline is ahead, from the probability that the "
                             "deadline period's value meets the target; met or missed once "
                             "the deadline period is observed and complete"))

    def scorecard_totals(self) -> pd.DataFrame:
        """Every team's composite score for its own assessed period (cached), from
        the rows of :meth:`gaps` (the values scored, insufficient data, the
        statuses of the grade cap), as in each team's own report."""
        if "totals" not in self._cache:
            from ..scorecard import scorecard
            frames = []
            for p in self.teams:
                t = self._team_targets(p.team)
                if t is None or self.assessed(p.team) is None:
                    continue
                sc = scorecard(self._team_kpis(p.team), t, period=self.assessed(p.team),
                               catalogue=self.catalogue, language=self.language,
                               gaps=self.gaps(), team_errors="drop")
                frames.append(sc.totals)
            self._cache["totals"] = (pd.concat(frames, ignore_index=True) if frames
                                     else scorecard(None, None).totals)
        return self._cache["totals"]

    def ranking(self):
        """Teams by grade, then composite score, with the cap's reason and coverage
        (a Note without targets).  A team whose grade is capped ranks below every
        team with a better grade, whatever its score.  The caption's numbers
        (grade bands, the cap's weight share and grade) come from
        :func:`servicekpi.scorecard.rule_words`."""
        from ..scorecard import ranked, rule_words
        t = self.scorecard_totals()
        if not self.has_targets or t.empty:
            return self._note("no_targets_any")
        t = ranked(t, language=self.language)
        esc = literal.html
        w = rule_words(self.language)
        out = pd.DataFrame({
            "rank": t["rank"],
            "team": [self.team_link(x) for x in t["team"]],
            "period": [label(self.assessed(x)) for x in t["team"]],
            "score": [f"{v:.1f}" if np.isfinite(v) else "–" for v in t["score"]],
            "grade": t["grade"].fillna("–"),
            "capped by": [f"capped from {esc(str(u))}: {esc(c)}" if c else
                          f"cap {esc(str(w['cap']))} applies, grade already no better: "
                          f"{esc(r)}" if r else "–"
                          for c, r, u in zip(t["capped_by"], t["cap_reason"],
                                             t["grade_uncapped"])],
            "coverage": [_pct(v) for v in t["coverage"]],
            "not scored": [esc(p) if p else esc(m) if m else "–"
                           for m, p in zip(t["missing"], t["problems"])],
        })
        colours = {"A": BETTER, "B": "#eef7e8", "C": "#fff2cc", "D": WORSE}
        zh = {"优秀": "A", "良好": "B", "合格": "C", "不合格": "D"}
        styles = [f"background-color: {colours.get(zh.get(g, g), '')}" for g in out["grade"]]
        return (out.style.hide(axis="index").apply(lambda _: styles, subset=["grade"])
                .set_caption(
                    "Ranked by grade, then composite score. Composite score: the weighted "
                    "progress of each team's targets, each scoring 0 at its baseline and 100 "
                    "at its target (clipped; after the deadline, the deadline period's "
                    f"value); {w['bands']}. While the targets off track or missed carry "
                    f"together {w['heavy']} or more of a team's weight, the team's grade is "
                    f"capped at {w['cap']} (see 'capped by'); the score is not changed."))

    def at_risk(self, n: int = 10) -> pd.DataFrame:
        """The goals most at risk, their deadline still ahead or its period not
        yet complete (off track or at risk): lowest probability that the
        deadline period's value meets the target first (targets assessed by
        the glide-path fallback, without a probability, last).  ``better now``
        flags a current value already at or better than the target; status
        words in the overview's language."""
        g = self.gaps()
        g = g[g["status"].isin(["off_track", "at_risk"])].copy()
        cols = ["team", "KPI", "current", "better now", "target", "P(met at deadline)",
                "status", "owner"]
        if g.empty:
            return pd.DataFrame(columns=cols)
        g = g.sort_values(["probability", "gap_pct"], ascending=[True, False]).head(n)
        return pd.DataFrame({
            "team": [self.team_link(t) for t in g["team"]],
            "KPI": [literal.html(self.catalogue.label(k, self.language)) for k in g["kpi"]],
            "current": [literal.html(self.catalogue[k].fmt(v))
                        for k, v in zip(g["kpi"], g["current"])],
            "better now": ["yes" if b else "no" for b in g["better_now"]],
            "target": [f"{literal.html(self.catalogue[k].fmt(v))} by {label(d)}"
                       for k, v, d in zip(g["kpi"], g["target"], g["deadline"])],
            "P(met at deadline)": [_pct(p) for p in g["probability"]],
            "status": [status_word(s, self.language) for s in g["status"]],
            "owner": [literal.html(o) if o else "–" for o in g["owner"]],
        })

    def at_risk_table(self, n: int = 10):
        """:meth:`at_risk` as HTML (its cells are literal text already), or a Note."""
        from IPython.display import HTML
        if not self.has_targets:
            return self._note("no_targets_any")
        t = self.at_risk(n)
        if t.empty:
            return self._note("no_at_risk")
        return HTML(t.to_html(index=False, escape=False))

    def peer_matrix(self) -> pd.DataFrame:
        """Teams x KPIs percentiles (100 = best) among the teams on the same kind
        of period, each kind at its latest assessed period; partial periods left
        out per team.  Rows are display names (with the period when kinds mix)."""
        from ..benchmarking import peer_matrix
        parts = []
        for kind, k in self.kpis.items():
            members = [p for p in self.teams if p.period == kind
                       and self.assessed(p.team) is not None]
            if not members:
                continue
            keep = pd.Series(False, index=k.index)
            for p in members:
                keep |= (k["team"] == p.team) & (k["period"] <= self.assessed(p.team))
            when = max(self.assessed(p.team) for p in members)
            m = peer_matrix(k[keep], when, catalogue=self.catalogue)
            m = m.reindex([p.team for p in members])   # a team without values: a blank row
            suffix = f" ({label(when)})" if len(self.kpis) > 1 else ""
            m.index = [self.name(t) + suffix for t in m.index]
            parts.append(m)
        if not parts:
            return pd.DataFrame()
        out = pd.concat(parts)
        return out[[k for k in self.catalogue.names() if k in out.columns]]

    def peer_figure(self):
        """The teams x KPIs heatmap (a Note when no two teams share a KPI)."""
        from .. import plots
        m = self.peer_matrix()
        if m.shape[1] == 0:
            return self._note("no_peers_any")
        ax = plots.peer_heatmap(m, catalogue=self.catalogue, language=self.language)
        return ax.figure

    def links_markdown(self) -> str:
        items = [f"- {self.team_link(p.team)}" for p in self.teams]
        return "\n".join(items)

