"""The leadership overview: every team of a parameter folder, rolled up.

:class:`OverviewReport` loads the teams' inputs once
(:func:`.inputs.load_inputs`) and computes the numbers the overview shows,
each once (cached): the teams' assessed periods, gap tables and scores (each
team's from its :class:`~.assess.Assessment`, the one its own report
reads), status counts and ranking, the goals at risk and the teams x KPIs
percentiles.  The
tables a reader sees are made in :mod:`.overview_tables` (pandas Stylers in
the one report style); the words come from the message catalogue
(``overview.*``), in the overview's :attr:`~OverviewReport.language`.

The notebook shows it one section per cell: ``overview.section("status")``.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import pandas as pd

from .. import config, literal
from ..catalogue import Catalogue
from ..errors import ServiceKPIError
from ..i18n import page_language, stamp
from ..i18n import msg
from ..params import ReportParams
from ..periods import label, last_day
from ..teams import UNASSIGNED
from .assess import Assessment, gap_store
from .common import Markdown, Note, _cached

#: The overview's sections in reading order: key -> method giving its content.
SECTIONS = {"status": "status_table", "ranking": "ranking_table", "at_risk": "at_risk_table",
            "peers": "peer_figure", "reports": "report_links"}


def _one_process_each() -> None:
    """A worker of :meth:`OverviewReport.assess_teams` forecasts in its own
    process (:func:`servicekpi.forecast.default_workers`), never starting a
    pool of its own beside its siblings."""
    import os
    os.environ["SERVICEKPI_WORKERS"] = "1"


def _assessed(assessment: Assessment) -> Assessment:
    """An assessment with its gap table and its overview scorecard computed
    (in a worker process of :meth:`OverviewReport.assess_teams`)."""
    assessment.gaps()
    assessment.scorecard(bad_rows="drop")
    return assessment


def overview_inputs(params_dir=None, teams=None, as_of=None, prepared=None):
    """``(parameters, inputs)`` of the overview (:meth:`OverviewReport.load`): every
    team of ``params_dir`` (the project's params/ by default), its inputs as read
    and checked without the tickets' rows; ``inputs.ok`` empty: no team to show.
    A team whose own parameters are wrong is among ``inputs.problems`` (left out,
    as one whose inputs are); a problem of every team's raises ConfigError."""
    from ..errors import ConfigError
    from ..params import clear_export_cache, team_params
    from .inputs import load_inputs

    params_dir = params_dir or config.PARAMS_DIR
    found = team_params(params_dir, teams, prepared=prepared,
                        overrides={"as_of": as_of} if as_of is not None else None)
    if found.shared or (found.failed and not found.ok):
        raise ConfigError(found.every_problem(), source=str(params_dir))
    try:
        inputs = load_inputs(found.ok, prepared, tickets_of=[])   # no rows
    finally:
        clear_export_cache()
    inputs.problems.update(found.failed)
    for t in found.failed:      # left out, named as its file names it (not by its id)
        inputs.export_names.setdefault(t, found.names.get(t))
    return found.ok, inputs


@dataclass
class OverviewReport:
    """The leadership roll-up across every team of a parameter folder.

    Teams on different freqs.  Teams may report on different kinds of
    period (some monthly, some weekly or quarterly) in one overview: KPIs
    and targets are kept per freq (``kpis[freq]``, ``targets[freq]``), each
    team is assessed on its own latest complete period (statuses, ranking
    and goals at risk list that period per team), and the teams x KPIs
    matrix ranks each team among the teams on the same freq (a week is
    never compared with a month).

    One assessment per team.  Each team is assessed by the same
    :class:`~.assess.Assessment` as its own report (:meth:`assessment`): its
    own catalogue (``catalogues``), its KPIs and targets, its export's
    coverage end and ``include_partial_period``, so its periods, statuses,
    probabilities, scores and grade are those of its page; the goals at
    risk show each value in the unit, and each KPI under the label, the
    team's page shows.  The teams x KPIs matrix, which sets the teams side
    by side on one KPI, reads one catalogue (``catalogue``: the first team's).
    A team with no targets is listed with no statuses; with no targets at
    all, the status, ranking and at-risk sections each show one sentence.  A team whose
    inputs have a problem is left out of the numbers (``excluded``: team ->
    the problem's first line), listed in the header.
    """

    title: str | None                # None: the default title, in the overview's language
    teams: list[ReportParams]
    catalogue: Catalogue
    kpis: dict                       # freq -> long KPI table of its teams
    targets: dict                    # freq -> targets of its teams (absent: none)
    links: dict
    ends: dict = field(default_factory=dict)          # team -> export coverage end
    export_names: dict = field(default_factory=dict)  # team -> name in its export
    excluded: dict = field(default_factory=dict)      # team -> why its data is left out
    #: team -> its own catalogue (a team not in it: :attr:`catalogue`, the one the
    #: teams x KPIs matrix reads)
    catalogues: dict = field(default_factory=dict)
    #: processes assessing the teams (:meth:`assess_teams`); 1: one after the other.
    #: :meth:`load` sets it (default: every core)
    workers: int = 1
    #: the run's gap tables and scorecards its team reports computed
    #: (:func:`.assess.gap_store`)
    store: Path | None = None
    #: team -> what changed since its report's page was made (``parameters``,
    #: ``code`` or an input file's name): its page is older than what this shows
    outdated: dict = field(default_factory=dict)
    _cache: dict = field(default_factory=dict, repr=False, compare=False)

    @classmethod
    def load(cls, params_dir=None, teams=None, links=None, title=None,
             as_of=None, prepared=None, workers=None, outdated=None) -> "OverviewReport":
        """Load every team named in ``params_dir`` (default: the project's params/);
        ``as_of`` overrides the parameters' ``as_of:`` (``servicekpi run --as-of``).
        A team whose inputs have a problem is left out (see ``excluded``); when
        every team is, :class:`ServiceKPIError` lists why.  ``prepared``: the index
        of a run's prepared inputs (the KPIs are read from it, not the exports).
        ``workers``: processes assessing the teams (default:
        :func:`servicekpi.forecast.default_workers`: ``SERVICEKPI_WORKERS``, else
        every core).  ``outdated``: team -> what changed since its report's page
        (a run of some teams keeps the others' pages; the header names them)."""
        from ..forecast import default_workers
        from ..i18n import prepare_figures

        all_params, inputs = overview_inputs(params_dir, teams, as_of, prepared)
        excluded = {t: inputs.first_problem(t) for t in inputs.problems}
        ok = inputs.ok
        if not ok:
            raise ServiceKPIError("no team's data could be loaded: "
                                  + "; ".join(f"{t}: {e}" for t, e in excluded.items()))
        targets: dict = {}
        for t in ok:
            table = inputs.targets.get(t)
            if table is not None:
                targets.setdefault(inputs.params_of(t).freq, []).append(
                    table[table["team"] == t])
        report = cls(title or all_params[0].title, all_params, inputs.catalogue(ok[0]),
                     inputs.kpis_by_freq(ok),
                     {f: pd.concat(parts, ignore_index=True) for f, parts in targets.items()},
                     links or {}, dict(inputs.ends), dict(inputs.export_names), excluded,
                     {t: inputs.catalogue(t) for t in ok},
                     default_workers() if workers is None else max(1, int(workers)),
                     gap_store(prepared), outdated=dict(outdated or {}))
        prepare_figures(report.language, title, *(p.title for p in all_params),
                        *(report.name(p.team) for p in all_params))   # team names too
        return report

    # ------------------------------------------------------------------ basics
    @property
    def language(self) -> str:
        """Chinese when every team's report is; else English."""
        return page_language(p.language for p in self.teams)

    def _msg(self, key: str, **values) -> str:
        return msg(f"overview.{key}", self.language, **values)

    def note(self, key: str, **values) -> Note:
        """One sentence in place of a section (``overview.note.<key>``)."""
        return Note(self._msg(f"note.{key}", **values))

    def _params(self, team: str) -> ReportParams:
        for p in self.teams:
            if p.team == team:
                return p
        from ..errors import InvalidArgument
        raise InvalidArgument(f"team {team!r} is not in this overview: its teams are "
                              + ", ".join(repr(p.team) for p in self.teams))

    def name(self, team: str) -> str:
        from ..i18n import team_shown
        for p in self.teams:
            if p.team == team:
                return team_shown(team, p.display_name or self.export_names.get(team) or team,
                                  self.language)
        return self.export_names.get(team) or team     # a team left out: as its file names it

    def team_link(self, team: str) -> str:
        """The team's display name as literal text, linking to its report when there
        is one: valid in raw HTML (the tables) and in Markdown (the list of reports)."""
        text_ = literal.md(self.name(team))
        href = self.links.get(team)
        return f'<a href="{literal.html(href)}">{text_}</a>' if href else text_

    def catalogue_of(self, team: str) -> Catalogue:
        """The catalogue ``team``'s parameters name (its labels, directions, units)."""
        own = self.catalogues.get(team)
        return own if own is not None else self.catalogue

    def assessment(self, team: str) -> Assessment:
        """``team``'s :class:`~.assess.Assessment`, as its own report makes it:
        its parameters, its own catalogue, its KPIs, its targets and its
        export's coverage end.  It holds the team's own KPI rows: everything
        an assessment computes reads only those (the team's report passes
        its peers' rows too, for its peer sections)."""
        key = ("assessment", team)
        if key not in self._cache:
            p = self._params(team)
            k = self.kpis.get(p.freq)
            self._cache[key] = Assessment(p, self.catalogue_of(team),
                                          k[(k["team"] == team).to_numpy()]
                                          if k is not None else None,
                                          self.targets.get(p.freq), self.ends.get(team),
                                          self.store)
        return self._cache[key]

    def assess_teams(self) -> None:
        """Compute every assessed team's gap table and scorecard (the slow part:
        one simulation per target), in :attr:`workers` processes when there
        are several teams; a gap table (and a scorecard) this run's team
        reports computed from the same inputs is taken from the run's store
        (:attr:`store`).  Each
        team's is computed as one after the other would (its simulations are
        seeded), and kept in its assessment."""
        if self._cache.get("teams_assessed"):
            return
        # those the team reports of this run computed are taken from its store
        teams = [t for t in self._assessed_teams() if not self.assessment(t).restore_gaps()]
        if self.workers > 1 and len(teams) > 1:
            from concurrent.futures import ProcessPoolExecutor

            from .. import ensemble
            ensemble.load_models()       # imported once here, not once per process
            # each process simulates its team's targets itself: no pool of its own
            with ProcessPoolExecutor(min(self.workers, len(teams)),
                                     initializer=_one_process_each) as pool:
                done = pool.map(_assessed, [self.assessment(t) for t in teams], chunksize=1)
                for team, a in zip(teams, done):
                    self._cache[("assessment", team)] = a
        self._cache["teams_assessed"] = True

    def _assessed_teams(self) -> list[str]:
        """The teams with targets and an assessed period, in the parameters' order."""
        return [p.team for p in self.teams if self.assessment(p.team).has_targets
                and self.assessment(p.team).period is not None]

    # ------------------------------------------------------------------ periods
    @_cached
    def periods(self, team: str) -> dict:
        """The team's ``last`` period shown, ``partial`` period (or None) and
        ``assessed`` period (or None when it has no data): its assessment's."""
        a = self.assessment(team)
        return {"last": a.periods[-1] if a.periods else None, "partial": a.partial,
                "assessed": a.period}

    def assessed(self, team: str) -> pd.Period | None:
        return self.periods(team)["assessed"]

    def assessed_label(self, team: str) -> str:
        q = self.assessed(team)
        return label(q) if q is not None else "–"

    @property
    def has_targets(self) -> bool:
        return any(len(t) for t in self.targets.values())

    def no_targets(self):
        """The note why no team has targets: no targets file named, or the files
        named set none."""
        named = any(p.targets is not None for p in self.teams)
        return self.note("no_targets_set" if named else "no_targets_any")

    # ------------------------------------------------------------------ assessments
    @_cached
    def gaps(self) -> pd.DataFrame:
        """Every team's gap table for its own assessed period (its assessment's,
        :meth:`.assess.Assessment.gaps`, computed by :meth:`assess_teams` or
        taken from the run's store), the teams in the parameters' order."""
        from ..gaps import gap_table
        self.assess_teams()
        frames = [self.assessment(t).gaps() for t in self._assessed_teams()]
        out = gap_table(None, None, rule="forecast")
        if frames:
            sims = out.attrs["simulations"]
            for f in frames:       # pd.concat drops attrs that differ: merge them
                sims.update(f.attrs["simulations"])
            attrs = {**frames[0].attrs, "simulations": sims}
            out = pd.concat(frames, ignore_index=True)
            out.attrs.update(attrs)
        return out

    @_cached
    def status_counts(self) -> pd.DataFrame:
        """Teams x statuses (:class:`~servicekpi.status.Status` codes, in their
        order): how many targets each team has in each status, for its assessed
        period; every team a row, in the parameters' order."""
        from ..status import Status
        order = [s.value for s in Status]
        g = self.gaps()
        table = (g.groupby(["team", "status"]).size().unstack(fill_value=0)
                 if len(g) else pd.DataFrame(columns=order))
        return (table.reindex(columns=order, fill_value=0)
                .reindex([p.team for p in self.teams], fill_value=0).astype(int))

    @_cached
    def scorecard(self):
        """Every team's scorecard for its own assessed period, in one
        :class:`~servicekpi.scorecard.Scorecard` (``scores`` and ``totals`` of
        every team with targets): each team's assessment's
        (:meth:`.assess.Assessment.scorecard`), as in the team's own report,
        except that a team whose targets cannot be scored is listed unscored
        with its problems (``bad_rows="drop"``); grades are codes A-D."""
        from ..scorecard import Scorecard, scorecard
        self.assess_teams()
        cards = [self.assessment(t).scorecard(bad_rows="drop")
                 for t in self._assessed_teams()]
        if not cards:
            return scorecard(None, None)
        return Scorecard(pd.concat([c.scores for c in cards], ignore_index=True),
                         pd.concat([c.totals for c in cards], ignore_index=True),
                         cards[0].weights_source,
                         {t: e for c in cards for t, e in c.team_errors.items()})

    def scorecard_totals(self) -> pd.DataFrame:
        """The totals of :meth:`scorecard`: one row per team with targets."""
        return self.scorecard().totals

    @_cached
    def ranking(self) -> pd.DataFrame:
        """:meth:`scorecard_totals` ranked: by grade, then composite score (a team
        whose grade is capped ranks below every team with a better grade,
        whatever its score); ``rank`` first."""
        from ..scorecard import ranked
        return ranked(self.scorecard_totals())

    @_cached
    def at_risk(self, n: int = 10) -> pd.DataFrame:
        """The goals most at risk, their deadline still ahead or its period not
        yet complete: off track first, then at risk, each by lowest probability
        that the deadline period's value meets the target (targets assessed by
        the glide-path fallback, without a probability, last of their status);
        at most ``n`` rows of the gap table's columns.  ``attrs["counts"]``:
        status -> how many goals have it in all (what the cut leaves out)."""
        from ..status import Status
        g = self.gaps()
        g = g[g["status"].isin([Status.OFF_TRACK, Status.AT_RISK])]
        worst = g["status"].map(lambda s: -Status(s).order)
        out = (g.assign(_worst=worst)
               .sort_values(["_worst", "probability", "gap_pct"],
                            ascending=[True, True, False], na_position="last")
               .drop(columns="_worst").head(n))
        out.attrs["counts"] = {s: int((g["status"] == s).sum())
                               for s in (Status.OFF_TRACK, Status.AT_RISK)}
        return out

    @_cached
    def peer_matrix(self) -> pd.DataFrame:
        """Teams x KPIs percentiles (100 = best) among the teams on the same freq,
        each freq at its latest assessed period; partial periods left out per
        team.  Rows are display names (with the period when freqs mix)."""
        from ..benchmarking import peer_matrix
        parts = []
        for freq, k in self.kpis.items():
            # the tickets of no team are no department to rank
            members = [p for p in self.teams if p.freq == freq and p.team != UNASSIGNED
                       and self.assessed(p.team) is not None]
            if not members:
                continue
            keep = pd.Series(False, index=k.index)
            for p in members:
                keep |= (k["team"] == p.team) & (k["period"] <= self.assessed(p.team))
            when = max(self.assessed(p.team) for p in members)
            m = peer_matrix(k[keep], period=when, catalogue=self.catalogue)
            m = m.reindex([p.team for p in members])   # a team without values: a blank row
            m.index = [self._msg("peer_row", name=self.name(t), period=label(when))
                       if len(self.kpis) > 1 else self.name(t) for t in m.index]
            parts.append(m)
        if not parts:
            return pd.DataFrame()
        out = pd.concat(parts)
        out = out[[k for k in self.catalogue.names() if k in out.columns]]
        if len(parts) == 1:     # one freq: its KPIs compared in an earlier period, named
            out.attrs["periods"] = parts[0].attrs.get("periods", {})
        return out

    # ------------------------------------------------------------------ what is shown
    def header(self) -> Markdown:
        """The overview's title, its teams and periods, when it was made, the
        teams whose last period is partial and those left out."""
        from ..i18n import changed_since, partial_label
        m, lang = self._msg, self.language
        assessed: dict = {}
        for p in self.teams:
            if self.assessed(p.team) is not None:
                assessed.setdefault(self.assessed_label(p.team), []).append(p.team)
        if len(assessed) == 1:
            period = m("header.period", period=next(iter(assessed)))
        else:
            period = m("header.periods", periods=m("header.list_separator").join(
                m("header.period_one_team", period=q) if len(ts) == 1
                else m("header.period_teams", period=q, n=len(ts))
                for q, ts in assessed.items()))
        title = self.title or msg("team.header.default_title", lang)
        lines = [f"# {m('header.title', title=literal.md(title))}",
                 " &nbsp; ".join([m("header.teams", n=len(self.teams)), period,
                                  m("header.generated", stamp=stamp(datetime.now(), lang))])]
        sep = m("header.item_separator")
        partial: dict[str, list[str]] = {}        # the partial period as said -> teams
        for p in self.teams:
            per = self.periods(p.team)
            if per["partial"] is not None and per["partial"] != per["assessed"]:
                tag = partial_label(label(per["partial"]), last_day(self.ends[p.team]), lang)
                partial.setdefault(tag, []).append(literal.md(self.name(p.team)))
        if partial:     # once per partial period: 40 teams of one export share theirs
            lines.append(m("header.partial_teams", teams=sep.join(
                m("header.partial_item", text=tag, teams=m("header.every_team")
                  if len(names) == len(self.teams) else m("header.list_separator").join(names))
                for tag, names in partial.items())))
        old = [m("header.team_item", team=literal.md(self.name(t)),
                 text=literal.md(changed_since(what, lang)))
               for t, what in self.outdated.items()
               if what and t in self.links and t not in self.excluded]   # (shown as now)
        if old:
            lines.append(m("header.outdated", teams=sep.join(old)))
        if self.excluded:
            lines.append(m("header.excluded", teams=sep.join(
                m("header.team_item", team=literal.md(self.name(t)), text=literal.md(e))
                for t, e in self.excluded.items())))
        return Markdown("\n\n".join(lines))

    def heading(self, key: str) -> Markdown:
        """A section's heading and its one-paragraph explanation."""
        values = {}
        if key == "ranking":      # the rule's numbers come from the scoring constants
            from ..scorecard import rule_text
            values = {k: v for k, v in rule_text(self.language).items()
                      if k in ("cap", "heavy")}
        elif key == "peers":      # blank cells: as every peer comparison, MIN_N
            from ..gaps import MIN_N
            values = {"min_n": MIN_N}
        text_ = self._msg(f"section.{key}.text", **values)
        return Markdown(f"## {self._msg(f'section.{key}.heading')}\n\n{text_}")

    def status_table(self):
        """Targets by status per team (a Note when no team has targets)."""
        from .overview_tables import status_table
        return status_table(self) if self.has_targets else self.no_targets()

    def ranking_table(self):
        """Teams ranked by grade and score (a Note when no team has targets)."""
        from .overview_tables import ranking_table
        if not self.has_targets:
            return self.no_targets()
        if self.scorecard_totals().empty:
            return self.note("no_period_any")
        return ranking_table(self)

    def at_risk_table(self, n: int = 10):
        """The goals most at risk (a Note without targets, or with none at risk)."""
        from .overview_tables import at_risk_table
        if not self.has_targets:
            return self.no_targets()
        if self.at_risk(n).empty:
            return self.note("no_at_risk")
        return at_risk_table(self, n)

    def peer_figure(self):
        """The teams x KPIs heatmap (a Note when no two teams share a KPI)."""
        from .. import plots
        m = self.peer_matrix()
        if m.shape[1] == 0:
            from ..gaps import MIN_N
            return self.note("no_peers_any", min_n=MIN_N)
        ax = plots.peer_heatmap(m, catalogue=self.catalogue, language=self.language)
        return ax.figure

    def report_links(self) -> Markdown:
        """The list of the teams' reports (a team without one: its name alone)."""
        return Markdown("\n".join(f"- {self.team_link(p.team)}" for p in self.teams))

    def section(self, key: str) -> None:
        """Display one section in a notebook: ``header``, or a heading with its
        explanation and then its table or figure (:data:`SECTIONS`)."""
        from .common import show
        if key == "header":
            show(self.header())
            return
        if key not in SECTIONS:
            from ..errors import InvalidArgument
            raise InvalidArgument(f"unknown overview section {key!r}: expected header, "
                                  + ", ".join(SECTIONS))
        show(self.heading(key), getattr(self, SECTIONS[key])())


__all__ = ["OverviewReport", "SECTIONS"]
