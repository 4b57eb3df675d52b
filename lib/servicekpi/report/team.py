"""One team's report: its inputs and the numbers it shows, each computed once.

``TeamReport.load(**parameters)`` loads and checks the inputs named by the
notebook's parameters; the methods here return numbers (DataFrames, small
result objects, dicts), cached, so that a table and a figure of the same
thing read one computation.  What a reader sees is made elsewhere:
:mod:`.tables` (every table a pandas Styler), :mod:`.figures` (every figure a
matplotlib Figure or None), :mod:`.sentences` (the sentences and notes) and
:mod:`.sections` (which items each section shows, in order);
``report.section("gaps")`` displays one section in a notebook.

Absent inputs.  A path parameter that is None (``targets``, ``benchmarks``,
``kpi_table``, ``competencies``, ``competency_targets``) means that input is
absent: nothing stands in for it.  Only ``catalogue`` has a default, the
project's KPI catalogue (definitions, not data).  A section whose input is
absent shows a one-sentence :class:`~.common.Note` instead of its table or
figure.

Partial periods.  The export's coverage ends at its as-of time (see
:func:`servicekpi.periods.coverage_end`).  When that falls before the end of
the report's last period, the period is partial
(:func:`servicekpi.periods.partial_period`): trends and the trend table
show it, flagged "(partial, to 13 Oct)"; every assessment (the headline's
latest-against-previous, gaps and statuses, scores, benchmarks, peer ranks,
forecasts, control charts and diagnostics) uses the *assessed periods*,
the complete ones, computed once by :class:`.assess.Assessment`, the same
per-team assessment the overview makes.  ``include_partial_period: true``
assesses the partial period as a full one (it stays flagged).
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from ..catalogue import Catalogue, Unit
from ..errors import ServiceKPIError
from ..kpis import assessable
from ..params import ReportParams
from ..periods import label
from ..tickets import data_quality
from .assess import Assessment, gap_store
from .common import _cached, _params
from .inputs import coverage


#: How many recent periods the table of control-chart signals lists.
SIGNAL_PERIODS = 6
#: How many complaint categories count as the top causes.
TOP_CAUSES = 3


@dataclass
class TeamReport:
    """One team's report: its inputs, assessed periods and numbers."""

    params: ReportParams
    catalogue: Catalogue
    tickets: pd.DataFrame
    kpis: pd.DataFrame            # every team, for peer context
    benchmarks: pd.DataFrame | None
    targets: pd.DataFrame | None
    #: (assessments, target profile) when both competency files are named
    competencies: tuple[pd.DataFrame, pd.DataFrame] | None = None
    #: the run's folder of gap tables and scorecards, for the overview
    #: (:func:`.assess.gap_store`)
    store: Path | None = None
    #: every team of the export: id -> the name its figures show (the team's own
    #: is :attr:`name`); a team not in it: its id
    names: dict = field(default_factory=dict)
    #: rows of the inputs no report shows (:attr:`.inputs.Inputs.unused`): a
    #: targets row whose team is spelt like this one's is said on its page
    unused: list = field(default_factory=list)
    _cache: dict = field(default_factory=dict, repr=False, compare=False)

    @classmethod
    def load(cls, prepared=None, **parameters) -> "TeamReport":
        """Load everything a team report needs from its parameters, with
        :func:`servicekpi.report.inputs.load_inputs` (the loader the overview
        and the runner use too); every problem found is raised at once.
        ``prepared``: the index of a run's prepared inputs (the team's own
        tickets and the KPIs, read instead of the whole export)."""
        from ..i18n import prepare_figures
        from .inputs import load_inputs
        p = _params(parameters)
        inputs = load_inputs([p], prepared)
        inputs.raise_for(p.team)
        names = inputs.names.get(p.team, {})
        prepare_figures(p.language, p.display_name, p.title, p.team,
                        inputs.export_names.get(p.team), *names.values())
        return cls(p, inputs.catalogue(p.team), inputs.tickets[p.team], inputs.kpis[p.team],
                   inputs.benchmarks.get(p.team), inputs.targets.get(p.team),
                   inputs.competencies.get(p.team), gap_store(prepared), names,
                   list(inputs.unused))

    @classmethod
    def from_namespace(cls, namespace: dict) -> "TeamReport":
        """``load`` with the parameters found in a notebook's namespace (``globals()``),
        and its ``prepared`` inputs when the runner passed some."""
        return cls.load(namespace.get("prepared"),
                        **{k: namespace[k] for k in ReportParams.model_fields if k in namespace})

    def section(self, key: str) -> None:
        """Display one section of the report in a notebook: its heading and
        explanation, then its tables, figures and sentences in order (see
        :data:`servicekpi.report.sections.SECTIONS`)."""
        from .sections import show_section
        show_section(self, key)

    # ------------------------------------------------------------------ basics
    @property
    def language(self) -> str:
        return self.params.language

    @property
    def name(self) -> str:
        """Display name: the parameters', else the export's name, else the team id."""
        from ..i18n import team_shown
        p = self.params
        return team_shown(p.team, p.display_name or (self.tickets.attrs.get("team_names")
                                                     or {}).get(p.team) or p.team,
                          self.language)

    def name_of(self, team: str) -> str:
        """What the report calls a team: its own :attr:`name`, a peer's from
        :attr:`names`, else the id."""
        from ..i18n import team_shown
        if team == self.params.team:
            return self.name
        return team_shown(team, self.names.get(team, team), self.language)

    @property
    def assessment(self) -> Assessment:
        """The team's assessment (:class:`.assess.Assessment`, the one the overview
        makes for the team too): periods, units, gap table and scorecard."""
        if "assessment" not in self._cache:
            self._cache["assessment"] = Assessment(self.params, self.catalogue, self.kpis,
                                                   self.targets, self.coverage_end, self.store)
        return self._cache["assessment"]

    def team_rows(self, data: pd.DataFrame | None = None, kpi: str | None = None
                  ) -> pd.DataFrame:
        """This team's rows of a long KPI table (default :attr:`kpis`), of one
        KPI when ``kpi`` is given, else of the KPIs shown."""
        return self.assessment.team_rows(data, kpi)

    def series(self, kpi: str, data: pd.DataFrame | None = None) -> pd.Series:
        """The team's values of one KPI, indexed by period, oldest first,
        missing values left out; by default the assessable values up to the
        assessed period (:attr:`assessed_kpis`), the history the gap table
        simulates from."""
        k = self.team_rows(self.assessed_kpis if data is None else data, kpi)
        k = k[k["value"].notna()].sort_values("period")
        return pd.Series(k["value"].to_numpy(float), index=pd.PeriodIndex(k["period"]),
                         name=kpi)

    @property
    def shown_kpis(self) -> list[str]:
        """KPIs in the report: those asked for, else every catalogue KPI with data."""
        return self.assessment.shown_kpis

    @property
    def units(self) -> dict[str, Unit]:
        """KPI -> the unit its values are shown in, in tables and figures alike
        (:attr:`.assess.Assessment.units`: chosen once per KPI from the team's
        values in the periods shown)."""
        return self.assessment.units

    def unit(self, kpi: str) -> Unit:
        """The unit of one KPI (:attr:`units`; a KPI not shown: from its own values,
        :meth:`.assess.Assessment.unit`).  Looked up in :attr:`units` first, so a
        report whose ``units`` are given (a subclass, a test) is not recomputed."""
        units = self.units
        return units[kpi] if kpi in units else self.assessment.unit(kpi)

    @property
    def coverage_end(self) -> pd.Timestamp | None:
        """When the export's coverage ends (see :func:`servicekpi.periods.coverage_end`)."""
        return coverage(self.tickets, self.params)

    @property
    def periods(self) -> list[pd.Period]:
        """The periods shown (the last ``history_periods``), a partial one included."""
        return self.assessment.periods

    @property
    def partial(self) -> pd.Period | None:
        """The last shown period when the export covers it only partly, else None."""
        return self.assessment.partial

    @property
    def assessed_periods(self) -> list[pd.Period]:
        """The shown periods every assessment uses: the partial one left out
        unless ``include_partial_period``."""
        return self.assessment.assessed_periods

    @property
    def period(self) -> pd.Period | None:
        """The assessed period: the latest complete one (or the partial one
        with ``include_partial_period``)."""
        return self.assessment.period

    @property
    def assessed_kpis(self) -> pd.DataFrame:
        """Every team's KPIs up to the assessed period (peers included), without
        durations of periods with too many tickets still open
        (:func:`servicekpi.kpis.assessable`): gaps, scores, forecasts, control
        charts and benchmarks use the latest period that has closed."""
        return self.assessment.assessed_kpis

    @property
    def team_targets(self) -> pd.DataFrame:
        """The team's rows of the targets file (empty, with its key columns, without one)."""
        return self.assessment.team_targets

    @property
    def has_targets(self) -> bool:
        """True when a targets file is named and sets targets for this team."""
        return self.assessment.has_targets

    # ------------------------------------------------------------------ headline and trends
    @_cached
    def headline(self) -> pd.DataFrame:
        """Per KPI: latest assessed value, the one before, change, average over
        the assessed periods (``averaged``: how many have a value), n -- as numbers.

        A duration of a period with too many tickets still open
        (:func:`servicekpi.kpis.assessable`) is left out: ``latest`` is then the
        latest period that has closed (``latest_period``, ``previous_period``
        say which), and ``left_out`` lists the periods left out.  ``better``
        is +1 when the change is an improvement, -1 a deterioration, 0 else."""
        ps = self.assessed_periods
        columns = ["kpi", "latest", "previous", "change", "average", "averaged", "n",
                   "better", "latest_period", "previous_period", "left_out"]
        if not ps:
            return pd.DataFrame(columns=columns)
        mine = self.team_rows()
        mine = mine[mine["period"].isin(ps)]
        ok = assessable(mine)
        dropped = mine.loc[~mine.index.isin(ok.index)]
        rows = []
        for k in self.shown_kpis:
            d = self.catalogue[k]
            out = set(dropped.loc[dropped["kpi"] == k, "period"])
            rk = mine[(mine["kpi"] == k) & ~mine["period"].isin(out)].sort_values("period")
            series = pd.Series(rk["value"].to_numpy(float), index=list(rk["period"]))
            n = pd.Series(rk["n"].to_numpy(float), index=list(rk["period"]))
            latest = series.iloc[-1] if len(series) else np.nan
            prev = series.iloc[-2] if len(series) > 1 else np.nan
            change = latest - prev
            better = (int(np.sign(change)) * d.sign
                      if d.direction != "neutral" and np.isfinite(change) else 0)
            when = series.index[-1] if len(series) else ps[-1]
            rows.append({
                "kpi": k, "latest": latest, "previous": prev, "change": change,
                "average": series.mean(), "averaged": int(series.notna().sum()),
                "n": n.get(when, np.nan), "better": better,
                "latest_period": when,
                "previous_period": series.index[-2] if len(series) > 1 else None,
                "left_out": sorted(out)})
        return pd.DataFrame(rows, columns=columns)

    @_cached
    def trend(self, periods: int = 6) -> pd.DataFrame:
        """The team's rows of the shown KPIs in the last ``periods`` shown
        periods (long: kpi, period, value, open_share), for the trend table."""
        ps = self.periods[-periods:]
        rows = self.team_rows()
        rows = rows[rows["period"].isin(ps)]
        if "open_share" not in rows.columns:
            rows = rows.assign(open_share=0.0)
        return rows[["kpi", "period", "value", "open_share"]].reset_index(drop=True)

    def missing_kpis(self) -> tuple[str, list[str]] | None:
        """KPIs the report cannot show: ``("no_kpi_table", kpis)`` when they come
        from a KPI table and none is named, ``("no_data", kpis)`` when asked for
        but without data; None when nothing is missing."""
        cat = self.catalogue
        if self.params.kpi_list:
            missing = [k for k in self.params.kpi_list if k not in self.shown_kpis]
            if not missing:
                return None
            if self.params.kpi_table is None and all(cat[k].source != "tickets"
                                                     for k in missing):
                return "no_kpi_table", missing
            return "no_data", missing
        if self.params.kpi_table is None:
            table_kpis = [k for k in cat.names() if cat[k].source != "tickets"
                          and k not in self.shown_kpis]
            if table_kpis:
                return "no_kpi_table", table_kpis
        return None

    # ------------------------------------------------------------------ targets and gaps
    @_cached
    def gaps(self) -> pd.DataFrame:
        """The team's gap table for the assessed period
        (:meth:`.assess.Assessment.gaps`, the overview's for the team too):
        status from the deadline (:func:`servicekpi.gap_table`, forecast
        rule), with one simulation per target in ``attrs["simulations"]``
        that the outlook table and the fan charts read too.  Empty, with
        every column, when there are no targets."""
        return self.assessment.gaps()

    @_cached
    def achievability(self) -> pd.DataFrame:
        """Per target: the pace it demands against the team's and peers' paces,
        the noise and the verdict (:func:`servicekpi.targets.achievability`);
        empty without targets."""
        from ..targets import achievability
        if not self.has_targets:
            return pd.DataFrame()
        return achievability(self.assessed_kpis, self.team_targets, catalogue=self.catalogue)

    # ------------------------------------------------------------------ benchmarks
    @_cached
    def benchmark_rows(self) -> pd.DataFrame:
        """:func:`servicekpi.benchmark_table` for the team in the assessed period (a
        duration left out there for some team: the latest period closed for all)."""
        from ..benchmarking import benchmark_table
        return benchmark_table(self.assessment.kpis_to_period, self.params.team,
                               self.benchmarks, period=self.period, catalogue=self.catalogue)

    @property
    def has_comparison(self) -> bool:
        """True when there is something to compare with (benchmarks or peers)."""
        return bool(self.benchmark_rows()["kind"].notna().any())

    @_cached
    def peer_matrix(self) -> pd.DataFrame:
        """Every team's percentile on every shown KPI in the assessed period
        (:func:`servicekpi.peer_matrix`)."""
        from ..benchmarking import peer_matrix
        return peer_matrix(self.assessment.kpis_to_period, period=self.period,
                           catalogue=self.catalogue, kpi_list=self.shown_kpis)

    # ------------------------------------------------------------------ scorecard
    @_cached
    def scorecard(self):
        """This team's scorecard for the assessed period
        (:meth:`.assess.Assessment.scorecard`, the overview's for the team too).

        Only the team's own targets are scored (teams are ranked in the
        overview, by grade then score).  Its own gap table gives the values
        scored, which targets have insufficient data, and the statuses for
        the grade cap, so the scorecard judges the same period as the gap
        table.  A problem with the team's targets (weights, scoring rules)
        raises :class:`ConfigError`.
        """
        return self.assessment.scorecard()

    @property
    def totals(self) -> pd.Series | None:
        """The team's row of the scorecard totals (score, grade codes, cap), or None."""
        t = self.scorecard().totals.set_index("team")
        return t.loc[self.params.team] if self.params.team in t.index else None

    @_cached
    def fuzzy(self) -> pd.Series | None:
        """The team's fuzzy comprehensive evaluation (memberships per grade,
        grade codes), or None when nothing is scored."""
        from ..scorecard import fuzzy_evaluation
        sc = self.scorecard()
        fz = fuzzy_evaluation(sc.scores, totals=sc.totals).set_index("team")
        return fz.loc[self.params.team] if self.params.team in fz.index else None

    # ------------------------------------------------------------------ outlook
    @_cached
    def forecasts(self) -> dict:
        """kpi -> Simulation or None.

        The simulation is the gap table's own (``gaps().attrs["simulations"]``,
        one per target, to its deadline): the status, the probability, the
        outlook table and the fan chart all read the same paths, and nothing
        is fitted again.  None where the gap table made no forecast (the
        deadline has passed, or too few observations).
        """
        sims = self.gaps().attrs.get("simulations", {})
        return {kpi: sims.get((self.params.team, kpi)) for kpi in self.team_targets["kpi"]}

    # ------------------------------------------------------------- diagnostics
    @_cached
    def control_tables(self) -> dict:
        """kpi -> control chart (:func:`servicekpi.diagnostics.control_chart`) of
        each targeted KPI with at least 3 assessable values.

        The chart covers the last ``max(2 * history_periods, 3 seasons)``
        assessed periods (three seasons, so a seasonal pattern can be
        tested and removed), duration periods with too many tickets still
        open left out (see :attr:`assessed_kpis`).  Its limits come
        from the first 12 of them (phase I), with a new stage after a
        detected sustained shift; the main driver's comparison uses its
        seasonal decision."""
        from ..diagnostics import control_chart, season_length
        out = {}
        for kpi in self.team_targets["kpi"]:
            rows = self.team_rows(self.assessed_kpis, kpi)
            rows = rows[rows["value"].notna()].sort_values("period")
            span = max(2 * self.params.history_periods, 3 * season_length(rows["period"]))
            if len(rows) >= 3:
                out[kpi] = control_chart(rows.tail(span), self.params.team, kpi,
                                         bounds=self.catalogue[kpi].bounds)
        return out

    @_cached
    def control_signals(self, recent: int = SIGNAL_PERIODS) -> pd.DataFrame:
        """Special causes in the last ``recent`` periods of each control chart:
        kpi, period, value, the value expected there (the stage's centre line,
        with the seasonal effect for a seasonal KPI) and the rules broken
        (codes of :data:`servicekpi.diagnostics.RULES`, comma-separated)."""
        columns = ["period", "value", "expected", "rules"]
        rows = []
        for kpi, t in self.control_tables().items():
            t = t.tail(recent)
            # plain tuples of the four columns: a namedtuple class of a control
            # table's every column cost 50 ms to build, per KPI and report
            for values in t.loc[t["signal"].to_numpy(dtype=bool), columns].itertuples(
                    index=False, name=None):
                rows.append({"kpi": kpi, **dict(zip(columns, values))})
        return pd.DataFrame(rows, columns=["kpi", *columns])

    @property
    def has_categories(self) -> bool:
        """True when the export has complaint flags and categories."""
        return {"is_complaint", "category"} <= set(self.tickets.columns)

    @_cached
    def top_causes(self, top: int = TOP_CAUSES) -> pd.DataFrame:
        """Pareto of this team's complaints by category in the assessed period
        (:func:`servicekpi.diagnostics.pareto`); empty when there are none."""
        from ..diagnostics import pareto
        if not self.has_categories or self.period is None:
            return pd.DataFrame()
        return pareto(self.tickets, team=self.params.team, period=self.period, by="category",
                      flag="is_complaint", top=top, freq=self.params.freq)

    @_cached
    def main_driver(self) -> dict | None:
        """The targeted ticket KPI whose latest value lies furthest from what its
        control chart expects, tested, and its change split into mix and rate
        by category.

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
        Returns a dict: ``kpi, z, expected, value`` (the chart's expectation
        and the value in the assessed period), ``ranking`` (DataFrame ``kpi,
        z`` of every ranked KPI, largest |z| first), ``before`` (the period
        compared with), ``comparison`` ("year" / "previous"), ``seasonal,
        seasonal_p, test, decomposition, context`` (None when not
        seasonal), or None.
        """
        from ..diagnostics import compare_periods, decompose_change, seasonal_context
        now = self.period
        if now is None:
            return None
        k = self.assessed_kpis
        charts = self.control_tables()
        ranked = []
        for kpi in dict.fromkeys(self.team_targets["kpi"]):
            chart = charts.get(kpi)
            if (self.catalogue[kpi].source != "tickets" or "category" not in self.tickets
                    or chart is None or chart.empty or chart["period"].iloc[-1] != now
                    or not np.isfinite(chart["z"].iloc[-1])):
                continue
            ranked.append((kpi, float(chart["z"].iloc[-1]), chart))
        ranked.sort(key=lambda r: -abs(r[1]))            # stable: targets' order on ties
        best = None
        for kpi, z, chart in ranked:
            seasonal = bool(chart.attrs["seasonal"])
            tries = ([("year", now - chart.attrs["season"])] if seasonal else []) + \
                [("previous", now - 1)]
            for comparison, before in tries:
                try:
                    test = compare_periods(k, self.params.team, kpi, before, now,
                                           catalogue=self.catalogue)
                except ServiceKPIError:      # no value to compare with: the next one
                    continue
                best = (kpi, z, chart, test, comparison, before)
                break
            if best is not None:
                break
        if best is None:
            return None
        kpi, z, chart, test, comparison, before = best
        seasonal = bool(chart.attrs["seasonal"])
        # a prepared report holds its own team's tickets, each with its part in the
        # KPIs that look across teams (kpis.across_teams)
        dec = decompose_change(self.tickets, kpi, team=self.params.team, before=before,
                               after=now, by="category", freq=self.params.freq,
                               catalogue=self.catalogue)
        context = None
        if seasonal:
            try:
                context = seasonal_context(k, self.params.team, kpi, now,
                                           catalogue=self.catalogue, seasonal=True)
            except ServiceKPIError:          # no earlier year: no context sentence
                context = None
        return {
            "kpi": kpi, "z": z, "expected": float(chart["expected"].iloc[-1]),
            "value": float(chart["value"].iloc[-1]),
            "ranking": pd.DataFrame([(r[0], r[1]) for r in ranked], columns=["kpi", "z"]),
            "before": before, "comparison": comparison, "seasonal": seasonal,
            "seasonal_p": chart.attrs["seasonal_p"], "test": test, "decomposition": dec,
            "context": context}

    @_cached
    def competency(self) -> pd.DataFrame | None:
        """The team's competency gaps per dimension
        (:func:`servicekpi.competencies.competency_gaps`), or None when the
        inputs are absent or assess nobody of the team."""
        from ..competencies import competency_gaps
        if self.competencies is None:
            return None
        a, t = self.competencies
        if not (a["team"] == self.params.team).any():
            return None
        return competency_gaps(a, t, team=self.params.team)

    # ------------------------------------------------------------------ appendix
    @_cached
    def quality(self) -> pd.DataFrame:
        """Data-quality summary for this team (:func:`servicekpi.data_quality`),
        its checks and details in the report's language."""
        return data_quality(self.tickets, self.params.team, language=self.language)

    def write_summary(self, path) -> None:
        """Status counts, composite score and grade of this report, as JSON, for the
        batch runner's index.  A missing score or grade is null, never NaN
        (written with ``allow_nan=False``); grades are codes (A-D);
        ``capped_by`` names the targets that capped the grade in each language
        (``{"en": ..., "zh": ...}``: the index is in English when the teams' languages
        mix; empty when the grade was not capped)."""
        if not path:
            return
        g = self.gaps()
        counts = {str(k): int(v) for k, v in g["status"].value_counts().items()} if len(g) \
            else {}
        me = self.totals

        def code(key):
            v = me.get(key) if me is not None else None
            return v if isinstance(v, str) else None
        capped_by = {}
        if me is not None and me.get("capped"):
            from ..i18n import LANGUAGES
            from ..scorecard import cap_reason
            capped_by = {lang: cap_reason(self.scorecard().scores, self.params.team, lang,
                                          catalogue=self.catalogue) for lang in LANGUAGES}

        score = me.get("score") if me is not None else None
        score = float(score) if score is not None and np.isfinite(score) else None
        from .sentences import last_ticket_period
        quiet = last_ticket_period(self)        # no tickets since: said on the index too
        Path(path).write_text(json.dumps({
            "team": self.params.team, "name": self.name, "status_counts": counts,
            "score": score, "grade": code("grade"), "grade_uncapped": code("grade_uncapped"),
            "capped_by": capped_by,
            "period": label(self.period) if self.period is not None else None,
            "partial_period": label(self.partial) if self.partial is not None else None,
            "last_tickets": label(quiet) if quiet is not None else None,
            "language": self.params.language},
            allow_nan=False))
