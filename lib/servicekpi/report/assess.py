"""One team's assessment, computed one way for its own report and for the overview.

:class:`Assessment` takes what a team is assessed from -- its parameters, its
own catalogue, the KPIs of its export at its freq, the targets and when its
export's coverage ends -- and computes, each once (cached): the KPIs shown and
the unit each is shown in, the periods shown, the partial period, the
assessed periods and period, the KPIs assessed, the gap table (statuses,
probabilities, one simulation per target) and the scorecard (scores, score,
grade).  :class:`~.team.TeamReport` reads its team's; the
:class:`~.overview.OverviewReport` one per team: a team's statuses,
probabilities, scores and grade are computed the same way, from the same
inputs, on both pages.

Partial periods.  When the export's coverage ends before the end of the last
period shown, that period is partial (:func:`servicekpi.periods.partial_period`):
it is shown, flagged, but every assessment uses the complete periods (the
*assessed periods*); ``include_partial_period: true`` assesses it as a full
one.  A team whose only period is partial is assessed on it.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from ..catalogue import Catalogue, Unit
from ..kpis import MAX_OPEN_SHARE, assessable
from ..params import ReportParams
from ..periods import partial_period
from .common import _cached
from .inputs import keep, read_kept

__all__ = ["Assessment"]


@dataclass
class Assessment:
    """One team's assessed periods, gap table and scorecard.

    ``kpis`` is a long KPI table holding the team's rows (its own export's,
    KPI-table rows merged in); other teams' rows are peer context (the
    gap table and the scorecard read the team's rows only).  ``targets``: a
    targets table (the team's rows are assessed; None: no targets).  ``end``:
    when the team's export's coverage ends (:func:`.inputs.coverage`; None:
    not known).  ``store``: a run's folder of gap tables and scorecards
    (:func:`gap_store`), where a team report keeps its own and the overview
    finds them."""

    params: ReportParams
    catalogue: Catalogue
    kpis: pd.DataFrame | None
    targets: pd.DataFrame | None
    end: pd.Timestamp | None
    #: a run's folder of computed gap tables and scorecards (:func:`gap_store`),
    #: None: none
    store: Path | None = None
    _cache: dict = field(default_factory=dict, repr=False, compare=False)

    def __post_init__(self):
        if self.kpis is None:       # a team without KPIs (its export failed)
            self.kpis = pd.DataFrame({"team": pd.Series(dtype=object),
                                      "period": pd.Series(dtype=object),
                                      "kpi": pd.Series(dtype=object),
                                      "value": pd.Series(dtype=float)})

    @property
    def team(self) -> str:
        return self.params.team

    def team_rows(self, data: pd.DataFrame | None = None, kpi: str | None = None
                  ) -> pd.DataFrame:
        """The team's rows of a long KPI table (default :attr:`kpis`), of one
        KPI when ``kpi`` is given, else of the KPIs shown."""
        k = self.kpis if data is None else data
        k = k[k["team"] == self.team]
        return k[k["kpi"] == kpi] if kpi is not None else k[k["kpi"].isin(self.shown_kpis)]

    @property
    def shown_kpis(self) -> list[str]:
        """KPIs shown: those asked for (``kpis:``), else every catalogue KPI,
        that have data for the team, in that order."""
        if "shown" not in self._cache:
            k = self.kpis
            have = set(k.loc[(k["team"] == self.team) & k["value"].notna(), "kpi"])
            wanted = self.params.kpi_list or self.catalogue.names()
            self._cache["shown"] = [name for name in wanted if name in have]
        return self._cache["shown"]

    @property
    def units(self) -> dict[str, Unit]:
        """KPI -> the unit its values are shown in, in tables and figures alike:
        chosen once per KPI from the team's values in the periods shown
        (:meth:`servicekpi.catalogue.KPIDef.display_unit`)."""
        if "units" not in self._cache:
            rows = self.team_rows()
            rows = rows[rows["period"].isin(self.periods)]
            self._cache["units"] = {
                k: self.catalogue[k].display_unit(rows.loc[rows["kpi"] == k, "value"].dropna())
                for k in self.shown_kpis}
        return self._cache["units"]

    def unit(self, kpi: str) -> Unit:
        """The unit of one KPI (:attr:`units`; a KPI not shown: from its own values)."""
        units = self.units
        if kpi not in units:
            units[kpi] = self.catalogue[kpi].display_unit(
                self.team_rows(kpi=kpi)["value"].dropna())
        return units[kpi]

    # ------------------------------------------------------------------ periods
    @property
    def periods(self) -> list[pd.Period]:
        """The periods shown (the last ``history_periods`` of the KPIs shown),
        a partial one included; nothing after the export's end (a KPI
        table's future)."""
        if "periods" not in self._cache:
            ps = sorted(self.team_rows()["period"].unique())
            if self.end is not None:
                ps = [q for q in ps if q.start_time <= self.end]
            self._cache["periods"] = ps[-self.params.history_periods:]
        return self._cache["periods"]

    @property
    def partial(self) -> pd.Period | None:
        """The last shown period when the export covers it only partly, else None."""
        ps = self.periods
        return partial_period(self.end, self.params.freq, ps[-1]) if ps else None

    @property
    def assessed_periods(self) -> list[pd.Period]:
        """The shown periods every assessment uses: the partial one left out
        unless ``include_partial_period`` (only a partial period: it)."""
        part = None if self.params.include_partial_period else self.partial
        ps = [q for q in self.periods if q != part]
        return ps or list(self.periods)

    @property
    def period(self) -> pd.Period | None:
        """The assessed period: the latest complete one (or the partial one
        with ``include_partial_period``); None without data."""
        ps = self.assessed_periods
        return ps[-1] if ps else None

    @property
    def assessed_kpis(self) -> pd.DataFrame:
        """The KPIs it holds (a team report: every team's; the overview: the
        team's own) up to the assessed period, without durations of periods
        with too many tickets still open (:func:`servicekpi.kpis.assessable`)."""
        if "assessed_kpis" not in self._cache:
            self._cache["assessed_kpis"] = assessable(self.kpis_to_period)
        return self._cache["assessed_kpis"]

    @property
    def kpis_to_period(self) -> pd.DataFrame:
        """The KPIs it holds up to the assessed period, durations of periods with
        too many tickets still open included (the comparisons leave them out
        themselves and compare such a KPI in the latest period closed for all:
        :func:`servicekpi.benchmarking.compared_periods`)."""
        k = self.kpis
        return k[k["period"] <= self.period] if self.period is not None else k.iloc[:0]

    # ------------------------------------------------------------------ targets
    @property
    def team_targets(self) -> pd.DataFrame:
        """The team's targets (empty, with its key columns, without any)."""
        if self.targets is None:
            return pd.DataFrame(columns=["team", "kpi"])
        return self.targets[self.targets["team"] == self.team]

    @property
    def has_targets(self) -> bool:
        """True when the targets set targets for this team."""
        return self.targets is not None and not self.team_targets.empty

    @_cached
    def gaps(self) -> pd.DataFrame:
        """The team's gap table for the assessed period
        (:func:`servicekpi.gap_table`, forecast rule), one simulation per
        target in ``attrs["simulations"]``; empty, with every column, without
        targets.  It gets every row of the team up to the assessed period and applies
        :func:`servicekpi.kpis.assessable` itself, so that it can name the
        incomplete periods it leaves out, and treat a deadline period that is
        still incomplete as not over yet (status from the forecast).  Only the
        team's own rows: a gap table reads nothing of other teams (a team report
        holds every team's KPIs, 72,000 rows at 100 teams), but which KPIs the
        data measures at all is the whole table's (``measured``)."""
        from ..gaps import gap_table
        from ..kpis import measured_kpis
        whole = self.kpis
        k = (whole[(whole["period"] <= self.period) & (whole["team"] == self.team)]
             if self.period is not None else whole.iloc[:0])
        measured = measured_kpis(whole)
        table = gap_table(k, self.team_targets if self.has_targets else None,
                          period=self.period, max_open_share=MAX_OPEN_SHARE,
                          catalogue=self.catalogue, rule="forecast", measured=measured)
        self._keep("gaps", table)
        return table

    # ------------------------------------------------------------------ a run's store
    def restore_gaps(self) -> bool:
        """Take the gap table from the run's store (:attr:`store`) when it holds
        one computed from exactly these inputs; True when it did (or the gap
        table is already computed).  The overview asks before :meth:`gaps`,
        which computes the table (and keeps it in the store)."""
        if "gaps" not in self._cache:
            table = self._stored("gaps")
            if table is None:
                return False
            self._cache["gaps"] = table
        return True

    def _inputs_key(self) -> str | None:
        """A digest of everything the gap table and the scorecard are computed
        from (the names they are kept under in the run's store): the team's own
        KPI rows up to the assessed period (in one order: a team report holds
        its peers' rows too, the overview the team's alone), its targets, the
        period, its catalogue and this package's version.  None when there is
        nothing to store (no store, no targets, no assessed period)."""
        if self.store is None or not self.has_targets or self.period is None:
            return None
        if "inputs_key" not in self._cache:
            from .. import __version__
            k = self.kpis
            own = k[((k["team"] == self.team) & (k["period"] <= self.period)).to_numpy()]
            own = own.sort_values(["period", "kpi"], kind="stable")
            digest = hashlib.sha256(f"{__version__}|{self.period}|{MAX_OPEN_SHARE}|".encode())
            for frame in (own, self.team_targets):
                frame = frame[sorted(frame.columns, key=str)]
                digest.update(repr([(str(c), str(t)) for c, t in frame.dtypes.items()]).encode())
                digest.update(pd.util.hash_pandas_object(frame, index=False, categorize=False)
                              .to_numpy().tobytes())
            digest.update(self.catalogue.model_dump_json().encode())
            self._cache["inputs_key"] = digest.hexdigest()
        return self._cache["inputs_key"]

    # The store only saves time: whatever goes wrong with it (a file missing, torn,
    # unreadable or unwritable, inputs it cannot digest) means computing the gap
    # table or the scorecard, never a failed report.
    def _stored(self, what: str):
        """``what`` ("gaps", "scorecard") as the run's store holds it for these
        inputs; None when it does not."""
        try:
            key = self._inputs_key()
        except Exception:
            return None
        return None if key is None else read_kept(self.store / f"{key}-{what}.pkl")

    def _keep(self, what: str, value) -> None:
        """Put ``what`` (the gap table, the scorecard) in the run's store, for the
        overview."""
        try:
            key = self._inputs_key()
        except Exception:
            return
        if key is not None:
            keep(self.store / f"{key}-{what}.pkl", value)

    @_cached
    def scorecard(self, bad_rows: str = "raise"):
        """The team's scorecard for the assessed period
        (:func:`servicekpi.scorecard`): its own gap table (:meth:`gaps`)
        gives the values scored, which targets have insufficient data and
        the statuses of the grade cap.  ``bad_rows``: a target that cannot be
        scored (weights, scoring rules) raises :class:`ConfigError`
        (``"raise"``, the team's report) or leaves the team unscored with its
        problems (``"drop"``, the overview).  A scorecard its team's report
        computed from the same inputs is taken from the run's store (one with
        problems is never kept: ``"raise"`` raises for it)."""
        from ..scorecard import scorecard
        mine = self.has_targets
        card = self._stored("scorecard") if mine else None
        if card is None:
            card = scorecard(self.assessed_kpis, self.team_targets if mine else None,
                             period=self.period, catalogue=self.catalogue,
                             gaps=self.gaps() if mine else None, bad_rows=bad_rows)
            if mine and not card.team_errors:
                self._keep("scorecard", card)
        return card


def gap_store(prepared) -> Path | None:
    """The folder of gap tables and scorecards beside a run's prepared inputs
    (``prepared``: their index, :data:`.inputs.PREPARED`), None without
    prepared inputs.

    Each team's report puts the gap table and the scorecard it computed
    there, named by a digest of its inputs (:meth:`Assessment._inputs_key`),
    and the overview, which runs after the team reports, takes them instead
    of simulating every target and scoring every team again (100 teams'
    scorecards: 2.5 s); one whose inputs differ in any way is not found, and
    computed.  It goes when the run removes its prepared inputs."""
    return Path(prepared).parent / "gaps" if prepared else None
