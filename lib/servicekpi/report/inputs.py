"""Every input a set of reports reads, opened once: :func:`load_inputs`.

The team report, the leadership overview and the runner's preflight (and
``servicekpi validate``) all read their inputs here, the same way:

- each ticket export is loaded once for all the teams that read it the same
  way (its path and reading options), and its KPIs are computed once per
  ``freq`` its teams report on;
- each KPI table and targets file is read once and checked at each ``freq``
  it is used at; benchmarks, competency assessments and competency targets
  once per file; each catalogue once;
- every problem is kept, per team: a file that cannot be read fails every
  team that names it, a wrong row of a shared targets file or KPI table
  fails only the team it names, and an export without the team's tickets
  fails that team.

Nothing is refused here: :attr:`Inputs.problems` lists what stops each
team's report, and the caller decides (the team report raises
:meth:`Inputs.raise_for`, the overview leaves those teams out, the
preflight lists them all on the index).
"""
from __future__ import annotations

import functools
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from ..catalogue import Catalogue
from ..config import atomic_write
from ..errors import DataError, InvalidArgument, Problem, ServiceKPIError
from ..params import (ReportParams, _group, _problems, _team_problems, by_export, export_id,
                      file_identity, load_export, load_yaml_file, prepared_index)
from ..parsing import COMPACT_TEXT
from ..periods import coverage_end, label
from ..teams import UNASSIGNED

__all__ = ["Inputs", "load_inputs"]


@dataclass
class Inputs:
    """What :func:`load_inputs` read.

    Per team (keys are team ids; a team whose input failed may be missing from
    the dicts that input fills):

    ``tickets``
        its export, every team of it (one frame shared by the teams of one
        export); from a run's prepared inputs, the tickets of the teams read
        (``tickets_of``), whose ``attrs["team_names"]`` names those teams only;
        either way each ticket carries its part in the KPIs that look across
        teams (:func:`servicekpi.kpis.with_across_teams`);
    ``kpis``
        the KPIs of its export at its ``freq``: every team of the export (peer
        context), KPI-table rows merged in (its own KPI table's rows of its own,
        every row of other teams), with the export's attributes; its ``team`` and
        ``kpi`` columns are compact text (:data:`servicekpi.parsing.COMPACT_TEXT`);
        :meth:`kpis_by_freq` gives the teams' own rows per freq;
    ``targets``, ``benchmarks``
        its targets file (every team's valid rows, read at its ``freq``) and
        benchmarks; absent when it names none;
    ``competencies``
        ``(assessments, target profile)`` when it names both files;
    ``ends``
        when its export's coverage ends (:func:`servicekpi.periods.coverage_end`);
    ``export_names``
        its name as written in its export (None when the export has no name for it);
    ``names``
        the name of every team of its export (id -> the display name the
        parameters give, else the name as written in the export): what its
        figures call its peers;
    ``problems``
        everything that stops its report (absent: none).

    ``computed[freq]`` holds the KPIs computed from the tickets alone, of
    the teams asked for (the run's ``kpis.csv``); ``unused`` a problem per
    targets file or KPI table whose filled-in rows name a team no report of
    these parameters is for (rows no report would show).
    """

    params: list[ReportParams]
    catalogues: dict[str, Catalogue] = field(default_factory=dict)   # path -> catalogue
    tickets: dict[str, pd.DataFrame] = field(default_factory=dict)
    kpis: dict[str, pd.DataFrame] = field(default_factory=dict)
    targets: dict[str, pd.DataFrame] = field(default_factory=dict)
    benchmarks: dict[str, pd.DataFrame] = field(default_factory=dict)
    competencies: dict[str, tuple[pd.DataFrame, pd.DataFrame]] = field(default_factory=dict)
    ends: dict[str, pd.Timestamp | None] = field(default_factory=dict)
    export_names: dict[str, str | None] = field(default_factory=dict)
    names: dict[str, dict[str, str]] = field(default_factory=dict)
    problems: dict[str, list[Problem]] = field(default_factory=dict)
    computed: dict[str, pd.DataFrame] = field(default_factory=dict)
    unused: list[Problem] = field(default_factory=list)
    exports: dict[str, tuple] = field(default_factory=dict)   # team -> its export's key
    #: (export key, freq) -> the KPIs computed from that export (every team of it)
    export_kpis: dict[tuple, pd.DataFrame] = field(default_factory=dict)

    def catalogue(self, team: str | None = None) -> Catalogue | None:
        """The catalogue ``team`` names (default: the first team's); None when it
        could not be read (a problem of the team's).  A team these inputs are
        not for is refused (:meth:`params_of`)."""
        p = self.params_of(team) if team is not None else self.params[0]
        return self.catalogues.get(str(p.catalogue))

    def params_of(self, team: str) -> ReportParams:
        """``team``'s parameters; a team these inputs are not for is refused
        (:class:`~servicekpi.errors.InvalidArgument` naming it)."""
        for p in self.params:
            if p.team == team:
                return p
        raise InvalidArgument(f"no parameters for team {team!r}: these inputs are for "
                              + ", ".join(repr(p.team) for p in self.params))

    @property
    def ok(self) -> list[str]:
        """The teams without problems, in the parameters' order."""
        return [p.team for p in self.params if p.team not in self.problems]

    def first_problem(self, team: str) -> str | None:
        """The first line of ``team``'s first problem (None: it has none)."""
        found = self.problems.get(team)
        return str(found[0]).splitlines()[0] if found else None

    def raise_for(self, team: str) -> None:
        """Refuse ``team``'s report with every problem found for it, if any."""
        found = self.problems.get(team)
        if found:
            raise DataError(found, source=_source(found))

    def kpis_by_freq(self, teams: list[str] | None = None) -> dict[str, pd.DataFrame]:
        """freq -> the KPIs of ``teams`` (default: the teams without problems) on
        that freq, each team's rows from its own export (the overview's tables)."""
        teams = self.ok if teams is None else teams
        frames: dict[str, list[pd.DataFrame]] = {}
        for t in teams:
            if t in self.kpis:
                k = self.kpis[t]
                frames.setdefault(self.params_of(t).freq, []).append(k[k["team"] == t])
        return {f: pd.concat(parts, ignore_index=True) for f, parts in frames.items()}


def _source(problems: list[Problem]) -> str | None:
    sources = list(dict.fromkeys(q.source for q in problems))
    return sources[0] if len(sources) == 1 else None


def coverage(tickets: pd.DataFrame, p: ReportParams) -> pd.Timestamp | None:
    """When the team's export ends: the loader's as-of time, exact when the
    parameters declare it, else to the end of its day
    (:func:`servicekpi.periods.coverage_end`)."""
    return coverage_end(tickets.attrs.get("as_of") or p.as_of, declared=p.as_of is not None)


def load_inputs(params_list: list[ReportParams], prepared=None, *,
                tickets_of: list[str] | None = None, tables=None) -> Inputs:
    """Open every input the teams' parameters name, each once; see the module
    docstring.  ``params_list``: one team's parameters (a team report) or every
    team's (the overview, the run).  Never raises for a problem of the data:
    they are in :attr:`Inputs.problems`, per team.

    ``prepared``: the index a run's :func:`prepare` wrote.  An export it holds
    (the same file, unchanged, read with the same options) with the KPIs of
    every ``freq`` its teams here report on is not read again: each team gets
    its own tickets from it (a team report) or none (the overview:
    ``tickets_of`` says which teams' tickets to read; default every team
    asked for), and its KPIs as computed from the whole export; everything
    after (which team's KPIs come from which export, KPI-table rows, their
    checks) is done here as without it.

    ``tables``: a folder where the files every team shares (catalogues,
    targets, KPI tables, benchmarks, competency files) are kept as read and
    checked, for a run (:class:`SharedTables`; default: beside ``prepared``,
    none without it).
    """
    from ..catalogue import load_catalogue
    from ..competencies import load_competencies, load_competency_targets
    from ..kpis import compute_kpis, with_across_teams
    from ..params import _raw_table, _unknown_team_rows, no_tickets_reason, team_names
    from ..tables import (check_merge, load_benchmarks, load_kpi_table, load_targets,
                          merge_kpis)

    params_list = list(params_list)
    by_team = {p.team: p for p in params_list}
    inputs = Inputs(params_list)
    shared = SharedTables(tables if tables is not None else
                          Path(prepared).parent / TABLES if prepared is not None else None)
    problems = inputs.problems

    def fail(members, found):
        for p in members:
            problems.setdefault(p.team, []).extend(found)

    # ticket exports: each read once, its KPIs computed once per freq
    export_of: dict[str, tuple] = {}              # team -> its export's key
    present: dict[tuple, set[str]] = {}           # export key -> its teams
    names: dict[tuple, str] = {}                  # export key -> file name
    kpis: dict[tuple, pd.DataFrame] = {}          # (export key, freq) -> every team's KPIs
    index = prepared_index(prepared)
    for key, members in by_export(params_list).items():
        name = names[key] = Path(members[0].tickets).name
        entry = index.get(export_id(members[0]))
        sliced = entry is not None and {p.freq for p in members} <= set(entry["kpis"])
        if sliced:
            tickets, found = _read_prepared(Path(prepared).parent, entry, members, tickets_of)
            kpis.update({(key, freq): k for freq, k in found.items()})
            present[key] = set(entry["teams"])
            called = {**entry.get("names", {}), **entry.get("display", {})}
        else:
            try:
                if not Path(members[0].tickets).is_file():   # named by the parameters' check
                    raise DataError([Problem(name, None, "file not found: "
                                             f"{members[0].tickets}")])
                tickets = load_export(members[0])
                if not len(tickets):
                    raise DataError([Problem(name, None,
                                             no_tickets_reason(tickets, option="as_of:"))])
                # each ticket's part in the KPIs that look across teams, worked out
                # once: the KPIs below take it, and so does each team's prepared slice
                tickets = with_across_teams(tickets)
                for freq in dict.fromkeys(p.freq for p in members):
                    kpis[key, freq] = compute_kpis(tickets, freq=freq)
            except ServiceKPIError as exc:
                fail(members, _problems(exc, name))
                continue
            in_export = team_names(tickets)
            present[key] = set(in_export)       # the teams with tickets
            called = {**in_export, **{p.team: p.display_name for p in members
                                      if p.display_name}}
        given = tickets.attrs.get("team_names") or {}
        for p in members:
            inputs.names[p.team] = called
            export_of[p.team] = key
            inputs.exports[p.team] = key
            inputs.tickets[p.team] = tickets
            inputs.ends[p.team] = coverage(tickets, p)
            inputs.export_names[p.team] = given.get(p.team)
            if p.team not in present[key]:
                fail([p], [Problem(name, "team", f"no tickets for team {p.team!r} in "
                                                 f"{name}")])
        if sliced and len(tickets):
            # some teams' tickets name those teams only: pandas copies a frame's
            # attributes into every column taken from it (100 teams' names: 0.15 s a report)
            read = set(team_names(tickets))
            tickets.attrs["team_names"] = {t: n for t, n in given.items() if t in read}
    inputs.export_kpis = {(key, freq): k for (key, freq), k in kpis.items()}
    # a team asked for takes its KPIs from its own export only
    for (key, freq), k in kpis.items():
        theirs = [t for t, e in export_of.items() if e != key]
        if theirs:
            kpis[key, freq] = k[~k["team"].isin(theirs)]
    computed: dict[str, list[pd.DataFrame]] = {}
    for (key, freq), k in kpis.items():
        ids = [t for t, e in export_of.items() if e == key and by_team[t].freq == freq]
        computed.setdefault(freq, []).append(k[k["team"].isin(ids)])
    inputs.computed = {f: pd.concat(frames, ignore_index=True) for f, frames in computed.items()}

    # catalogues
    for path, members in _group(params_list, lambda p: p.catalogue):
        try:
            inputs.catalogues[path] = shared.get(
                "catalogue", [path], lambda: load_yaml_file(load_catalogue, path))
        except ServiceKPIError as exc:
            fail(members, _problems(exc, path))

    def cat(p):
        return inputs.catalogues.get(str(p.catalogue))

    # KPI tables and targets: each file read once, checked at each freq it is used at
    asked = {p.team for p in params_list}

    def known_of(members) -> tuple[set, list[str]] | None:
        """The teams a file these teams use may name (theirs and their exports'),
        and their exports' names; None when one of them has no export loaded."""
        if not all(p.team in export_of for p in members):
            return None
        keys = {export_of[p.team] for p in members}
        return asked.union(*(present[e] for e in keys)), sorted(names[e] for e in keys)

    merged: dict[tuple, list[pd.DataFrame]] = {}   # (export key, freq) -> table rows to add
    for what in ("kpi_table", "targets"):
        load = load_kpi_table if what == "kpi_table" else load_targets
        raws: dict[str, pd.DataFrame] = {}
        for path, members in _group(params_list, lambda p: getattr(p, what)):
            try:
                raws[path] = shared.get(f"raw {what}", [path],
                                        lambda: _raw_table(path, what))
            except ServiceKPIError as exc:
                fail(members, _problems(exc, path))
                continue
            known = known_of(members)
            if known is not None:
                inputs.unused += _unknown_team_rows(raws[path], Path(path).name, what, *known)
        for path, members in _group(params_list, lambda p: getattr(p, what),
                                    lambda p: (p.freq, str(p.catalogue))):
            if path not in raws:
                continue
            freq = members[0].freq
            try:
                # targets as the reports score them (progress, the file's weights)
                options = {"scored": True} if what == "targets" else {}
                table = shared.get(what, [path, members[0].catalogue], lambda: load(
                    path, freq=freq, catalogue=cat(members[0]), frame=raws[path],
                    bad_rows="drop", **options), freq)
            except ServiceKPIError as exc:
                fail(members, _problems(exc, path))
                continue
            bad = table.attrs.get("team_errors") or {}
            for p in members:
                if p.team in bad:
                    fail([p], bad[p.team])
            if what == "targets":
                inputs.targets.update({p.team: table for p in members})
                continue
            source, ids = Path(path).name, {p.team for p in members}
            for key in dict.fromkeys(export_of[p.team] for p in members
                                     if p.team in export_of):
                if (key, freq) not in kpis:
                    continue
                k = kpis[key, freq]
                # a team asked for takes the rows of its own KPI table into its own
                # export; any other team's rows are peer context of every export of
                # the teams using the file
                candidates = [(team, rows) for team, rows in
                              table.groupby("team", observed=True, sort=False)
                              if not (team in asked and (team not in ids
                                                         or export_of.get(team) != key))]
                try:      # every team at once; a problem: each on its own, to say whose
                    check_merge(k, pd.concat([rows for _, rows in candidates]) if candidates
                                else None, source=source)
                    clean = candidates
                except ServiceKPIError:
                    clean = []
                    for team, rows in candidates:
                        try:
                            check_merge(k[k["team"] == team], rows, source=source)
                        except ServiceKPIError as exc:
                            member = [p for p in members if p.team == team]
                            fail(member, _team_problems(exc, team))   # others: left out
                            continue
                        clean.append((team, rows))
                if clean:
                    merged.setdefault((key, freq), []).extend(rows for _, rows in clean)
    for (key, freq), rows in merged.items():
        kpis[key, freq] = merge_kpis(kpis[key, freq], pd.concat(rows, ignore_index=True),
                                     source="KPI tables")
    # team and KPI as compact text, not Python objects: a report compares them with
    # a team or a KPI at every step, and at 100 teams' rows an object comparison
    # takes 1.2 ms against 0.2 ms
    for kf, k in kpis.items():
        objects = {c: COMPACT_TEXT for c in ("team", "kpi") if k[c].dtype == object}
        if objects:
            kpis[kf] = k.astype(objects)
    # the tickets of no team (unassigned) are no peer of a department: left out of
    # its comparisons (medians, ranks, heatmap); the unassigned report keeps them
    peers: dict[tuple, pd.DataFrame] = {}
    for p in params_list:
        key = export_of.get(p.team)
        if key is not None and (key, p.freq) in kpis:
            k = kpis[key, p.freq]
            if p.team != UNASSIGNED:
                if (key, p.freq) not in peers:
                    gone = (k["team"] == UNASSIGNED).to_numpy()
                    peers[key, p.freq] = k[~gone] if gone.any() else k
                k = peers[key, p.freq]
            inputs.kpis[p.team] = k
    # each targets file's team and KPI cells, read once: to name its rows
    cells = {path: _team_kpi_cells(raw) for path, raw in raws.items()}
    inputs.unused += _unmeasured_targets(params_list, inputs, raws, cells, names, export_of)
    inputs.unused += _after_the_export(params_list, inputs)
    for p in params_list:       # a baseline typed in another unit fails its team
        slips = _unit_slips(p, inputs, cells.get(str(p.targets)) if p.targets else None)
        if slips:
            fail([p], slips)

    # benchmarks (at each catalogue), competency assessments and target profiles
    loaders = (("benchmarks", lambda p, path: load_benchmarks(path, catalogue=cat(p))),
               ("competencies", lambda p, path: load_competencies(path)),
               ("competency_targets", lambda p, path: load_competency_targets(path)))
    read: dict[str, dict[str, pd.DataFrame]] = {}
    for what, load in loaders:
        checked = what == "benchmarks"          # against the catalogue: read per catalogue
        how = (lambda p: str(p.catalogue)) if checked else None
        for path, members in _group(params_list, lambda p: getattr(p, what), how):
            files = [path, members[0].catalogue] if checked else [path]
            try:
                frame = shared.get(what, files, lambda: load(members[0], path))
            except ServiceKPIError as exc:
                fail(members, _problems(exc, path))
                continue
            read.setdefault(what, {}).update({p.team: frame for p in members})
            known = known_of(members) if not checked and "team" in frame else None
            if known is not None and set(frame["team"].dropna().astype(str)) - known[0]:
                from ..readers import read_table        # rows of a team no report has
                inputs.unused += _unknown_team_rows(read_table(path), Path(path).name,
                                                    what, *known)
    inputs.benchmarks = read.get("benchmarks", {})
    for p in params_list:
        a = read.get("competencies", {}).get(p.team)
        t = read.get("competency_targets", {}).get(p.team)
        if a is not None and t is not None:
            inputs.competencies[p.team] = (a, t)
    inputs.problems = {p.team: problems[p.team] for p in params_list if p.team in problems}
    return inputs


def _after_the_export(params_list, inputs: Inputs) -> list[Problem]:
    """A team's KPI-table rows for periods after its export ends (2026-06 in a table
    whose export was taken in March): no report shows them (its periods end with
    the export); one note per team, naming the periods, as ``validate`` and
    ``run`` say rows no report shows."""
    from ..periods import freq_of
    out = []
    for p in params_list:
        k, end = inputs.kpis.get(p.team), inputs.ends.get(p.team)
        if p.kpi_table is None or k is None or end is None or pd.isna(end):
            continue
        last = pd.Timestamp(end).to_period(freq_of(p.freq))
        later = k.loc[(k["team"] == p.team) & (k["period"] > last), "period"]
        if len(later):
            shown = ", ".join(label(q) for q in sorted(set(later))[:6])
            out.append(Problem(Path(p.kpi_table).name, "period",
                               f"team {p.team!r}: rows for {shown} are after its export "
                               f"ends ({label(last)}): no report shows them"))
    return out


#: Factors between units a baseline is often typed in by mistake, by the KPI's unit:
#: minutes or seconds for hours, hours for days (and the other way round); NPS as a
#: fraction (0.35 for 35).  A share typed as a percent is out of its bounds already.
UNIT_FACTORS = {"hours": (60.0, 3600.0, 24.0), "minutes": (60.0, 3600.0, 1440.0),
                "points": (100.0,)}
#: How near a baseline's ratio to the data's must be to one of them (relative).
UNIT_FACTOR_RTOL = 0.15


def _team_kpi_cells(raw: pd.DataFrame) -> tuple | None:
    """A targets file's team ids and KPI names as read, row by row (to name rows)."""
    from ..parsing import parse_text
    from ..teams import to_ids
    if not {"team", "kpi"} <= set(raw.columns):
        return None
    raw = raw.reset_index(drop=True)
    return (to_ids(parse_text(raw["team"])[0]).to_numpy(dtype=object),
            parse_text(raw["kpi"])[0].str.strip().to_numpy(dtype=object))


def _unit_slips(p, inputs: Inputs, cells: tuple | None) -> list[Problem]:
    """Targets rows of team ``p`` whose typed baseline is the data's over its window
    times a unit factor (:data:`UNIT_FACTORS`): 709.55 for an average resolution the
    data give as 11.8 h (minutes for hours).  Scored as typed, the target (570, in
    minutes too) read met with a progress of 500%; refused, naming the row."""
    from ..contracts import FIRST_ROW
    from ..errors import problem_at

    t, k, cat = inputs.targets.get(p.team), inputs.kpis.get(p.team), inputs.catalogue(p.team)
    if t is None or k is None or cells is None or cat is None:
        return []
    teams, kpi_of = cells
    out = []
    mine = None
    for r in t[t["team"] == p.team].itertuples():
        factors = UNIT_FACTORS.get(cat[r.kpi].unit, ()) if r.kpi in cat else ()
        if not factors:
            continue
        # the window's plain mean: near enough to tell a unit's factor (the
        # baseline as pooled is :func:`servicekpi.targets.baseline_interval`'s)
        end = pd.Period(r.baseline_period)
        if mine is None:                # the team's rows, once
            mine = k[k["team"] == p.team]
        window = mine[(mine["kpi"] == r.kpi) & (mine["period"] > end - int(r.baseline_periods))
                      & (mine["period"] <= end)]
        data = float(window["value"].mean()) if len(window) else np.nan
        if not (np.isfinite(data) and np.isfinite(r.baseline) and data * r.baseline > 0):
            continue                            # (an NPS of -35 typed -0.35: both below 0)
        ratio = r.baseline / data
        factor = next((f for f in factors for x in (f, 1 / f)
                       if abs(ratio / x - 1) <= UNIT_FACTOR_RTOL), None)
        if factor is None:
            continue
        at = np.flatnonzero((teams == p.team) & (kpi_of == r.kpi))
        unit = cat[r.kpi].unit
        times = (f"{ratio:.0f} times" if ratio > 1 else f"1/{1 / ratio:.0f} of")
        out.append(problem_at(
            Path(p.targets).name, "baseline",
            f"team {p.team!r}: the baseline of {r.kpi} is {times} what the data give over "
            f"its window ({data:.4g}): written in another unit? {r.kpi} is in {unit}; "
            "write the baseline and the target in it", at[:1] + FIRST_ROW,
            [f"{r.baseline:g}"]))
    return out


def _unmeasured_targets(params_list, inputs: Inputs, raws: dict, cells: dict, names: dict,
                        export_of: dict) -> list[Problem]:
    """Targets rows on a KPI the team's data do not measure at all
    (:func:`servicekpi.kpis.measured_kpis`: a column it needs is missing from the
    export, or a rule makes it n/a): a report shows them as not measured, and no
    later export of the same kind will assess them.  One problem per targets file and KPI, naming the
    rows, for ``validate`` to refuse and ``run`` to note."""
    from ..contracts import FIRST_ROW
    from ..errors import problem_at
    from ..kpis import measured_kpis

    out = []
    for path, members in _group(params_list, lambda p: p.targets):
        if cells.get(path) is None:
            continue
        raw = raws[path].reset_index(drop=True)
        teams, kpi = cells[path]
        stray: dict[str, list[int]] = {}
        exports: dict[str, set] = {}
        measured_in: dict[int, set] = {}     # per KPI table: every team of an export's
        for p in members:
            k = inputs.kpis.get(p.team)
            if k is None:
                continue
            if id(k) not in measured_in:
                measured_in[id(k)] = measured_kpis(k)
            measured = measured_in[id(k)]
            for i in np.flatnonzero(teams == p.team):
                if isinstance(kpi[i], str) and kpi[i] not in measured:
                    stray.setdefault(kpi[i], []).append(i)
                    exports.setdefault(kpi[i], set()).add(names.get(export_of.get(p.team),
                                                                    "the data"))
        for name, rows in stray.items():
            at = np.array(sorted(rows))
            out.append(problem_at(
                Path(path).name, "kpi", f"{' or '.join(sorted(exports[name]))} does not "
                f"measure {name} (a column it needs is missing, or no ticket has the channel "
                "it counts): these targets would never be assessed; remove them, or give "
                "data that measure it",
                at + FIRST_ROW, list(raw["team"].to_numpy(dtype=object)[at])))
    return out


# ------------------------------------------------------------------ kept for a run
def read_kept(path):
    """What :func:`keep` put at ``path``; None when it is not there, torn or
    unreadable (what is kept only saves time: the caller computes it)."""
    import pickle
    try:
        return pickle.loads(Path(path).read_bytes())
    except Exception:
        return None


def keep(path, value) -> None:
    """``value`` pickled at ``path``, whole or not at all
    (:func:`~servicekpi.config.atomic_write`: processes and threads may keep the
    same thing at once).  A failure keeps nothing."""
    import pickle
    try:
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        atomic_write(path, pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL))
    except Exception:
        pass


# ------------------------------------------------------------------ shared files
#: The folder, beside a run's prepared inputs, of the shared files as read and checked.
TABLES = "tables"


class SharedTables:
    """The files every team of a run shares (catalogues, targets, KPI tables,
    benchmarks, competency files), each as read and checked once: the
    preflight reads them for every team, and each team's report and the
    overview take them from ``folder`` instead of reading and checking the
    same files again (0.3 s of a report).

    An entry is named by a digest of what it is made from: what was read (its
    kind and arguments, such as the freq of a targets file) and each file's
    resolved path, size and modification time (the catalogue's too, for what
    is checked against it), so that a file changed since is read again.  The
    folder only saves time: an entry missing, torn or unreadable is read
    again; a read that fails is never kept (its error is raised as without
    it).  ``folder`` None: every file is read."""

    def __init__(self, folder):
        self.folder = Path(folder) if folder is not None else None

    def get(self, kind: str, files: list, read, *args):
        """``read()``, or what it gave for these ``files`` and ``args`` before."""
        if self.folder is None:
            return read()
        import hashlib
        import json

        try:                                  # None: no file (the built-in catalogue)
            made_of = [None if f is None else file_identity(f) for f in files]
            key = hashlib.sha256(json.dumps([kind, made_of, [str(a) for a in args]])
                                 .encode()).hexdigest()
        except OSError:                       # cannot be looked at: read (and fail) as usual
            return read()
        path = self.folder / f"{key}.pkl"
        value = read_kept(path)
        if value is None:
            value = read()
            keep(path, value)
        return value


# ------------------------------------------------------------------ prepared inputs
#: The file :func:`prepare` lists the prepared inputs in.
PREPARED = "prepared.json"


def prepare(inputs: Inputs, folder, display: dict | None = None) -> Path:
    """Write what the team reports and the overview read from the ticket exports,
    once for a run: each export's validated tickets as Parquet sorted by team
    (a row group per team, so a report reads its own), and its KPIs at each
    freq its teams report on, as computed from the whole export (a pickle); the index
    (``prepared.json``) names each export by its file, size, time and reading
    options.  Returns the index's path: pass it to :func:`load_inputs` as
    ``prepared``.  ``display``: team -> the name the parameters give it, for
    every team of the run's folder (a run of some teams: the others' too), what
    each report calls its peers (default: the teams of ``inputs``)."""
    import json

    from ..params import team_names

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    index: dict[str, dict] = {}
    files: dict[int, str] = {}           # id of a frame -> its file

    def write(frame, stem, by_team=False):
        written = id(frame)
        if written in files:
            return files[written]
        if by_team:      # tickets: Parquet, a row group per team
            path = folder / f"{stem}-{len(files)}.parquet"
            _write_by_team(frame, path, _kept(frame))
        else:            # a KPI table, read whole by every report: see _read_frame
            path = folder / f"{stem}-{len(files)}.pkl"
            frame.to_pickle(path)
        files[written] = path.name
        return path.name

    if display is None:
        display = {q.team: q.display_name for q in inputs.params if q.display_name}
    for p in inputs.params:
        key = inputs.exports.get(p.team)
        if key is None or (key, p.freq) not in inputs.export_kpis:   # not loaded
            continue
        tickets = inputs.tickets[p.team]
        entry = index.get(export_id(p))
        if entry is None:
            names = team_names(tickets)
            entry = index[export_id(p)] = {
                "tickets": write(tickets, "tickets", by_team=True),
                "teams": sorted(names), "names": names, "kpis": {},
                "display": {t: n for t, n in display.items() if t in names}}
        entry["kpis"][p.freq] = write(inputs.export_kpis[key, p.freq], "kpis")
    path = folder / PREPARED
    path.write_text(json.dumps(index, indent=1))
    return path


def _kept(frame: pd.DataFrame) -> dict:
    """What Parquet does not keep of ``frame``: its attributes, every category (a
    slice holds its teams' only), which text columns are Python objects."""
    return {**frame.attrs, "categories": {
        c: frame[c].cat.categories.tolist() for c in frame.columns
        if isinstance(frame[c].dtype, pd.CategoricalDtype)},
        "objects": [c for c in frame.columns if frame[c].dtype == object]}


def portable(path: Path) -> tuple[str, bytes]:
    """A prepared file's suffix and bytes, for a machine that may have another
    pandas (a cluster's worker: pickles are not read across pandas versions):
    a KPI table's pickle as Parquet, which :func:`_read_frame` reads as it was."""
    path = Path(path)
    if path.suffix != ".pkl":
        return path.suffix, path.read_bytes()
    return ".parquet", _as_parquet(*file_identity(path))


@functools.lru_cache(maxsize=4)
def _as_parquet(path: str, size: int, mtime_ns: int) -> bytes:
    """The pickled frame at ``path`` (as it is: its size and time) as Parquet bytes,
    converted once: every job a run ships carries the same KPI table."""
    import io

    import pyarrow as pa
    import pyarrow.parquet as pq

    frame = pd.read_pickle(path)
    sink = io.BytesIO()
    pq.write_table(_with_attrs(pa.Table.from_pandas(frame, preserve_index=False),
                               _kept(frame)), sink)
    return sink.getvalue()


def _with_attrs(table, kept: dict):
    """``table`` with ``kept`` (what Parquet does not keep) in its schema metadata."""
    import json

    return table.replace_schema_metadata({**table.schema.metadata,
                                          _ATTRS: json.dumps(kept).encode()})


def _write_by_team(frame: pd.DataFrame, path: Path, kept: dict) -> None:
    """Tickets as a row group per team, written team by team: memory grows by two
    teams' rows (one being written, the next being taken), not by a sorted copy
    of the export.  Each row carries its place
    in the export and its part in the KPIs that look across teams."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    from ..kpis import with_across_teams

    frame = with_across_teams(frame)         # as loaded for the run: carried already
    kept = {**kept, **frame.attrs, "export_rows": len(frame)}
    # a copy without the attributes (in ``kept``; pandas would copy them into each
    # team's rows) and with each Arrow-backed column (text) in one piece: taking rows
    # of a column in pieces joins them first, a whole column's copy for every team
    frame = frame.copy(deep=False)
    frame.attrs = {}
    for c in frame.columns:
        dtype = frame[c].dtype
        if isinstance(dtype, pd.ArrowDtype) or getattr(dtype, "storage", None) == "pyarrow":
            pieces = frame[c].array.__arrow_array__()
            if pieces.num_chunks > 1:
                try:
                    whole = pieces.combine_chunks()
                except pa.ArrowInvalid:     # over 2 GB of 32-bit offsets: kept in pieces
                    continue
                frame[c] = pd.Series(pd.array(whole, dtype=dtype), index=frame.index, name=c)
    codes, _ = pd.factorize(frame["team"], sort=True)
    order = np.argsort(codes, kind="stable")
    bounds = [0, *(np.flatnonzero(np.diff(codes[order])) + 1), len(frame)]
    schema = _schema(frame)

    def tables():
        for start, end in zip(bounds[:-1], bounds[1:]):
            rows = order[start:end]
            table = pa.Table.from_pandas(frame.iloc[rows], schema=schema, preserve_index=False)
            yield table.append_column(_ROW, pa.array(rows.astype(np.int64)))

    # a team's rows are encoded and compressed (Arrow, without the GIL) in a thread
    # while the next team's are taken: the two halves of the work side by side
    from concurrent.futures import ThreadPoolExecutor

    writer, pending = None, None
    try:
        # the pool's end waits for the write in flight, also when the next table
        # fails: the writer is closed after, never during, a write
        with ThreadPoolExecutor(1) as encoder:
            for table in tables():
                if writer is None:
                    writer = pq.ParquetWriter(path, _with_attrs(table, kept).schema)
                if pending is not None:
                    pending.result()          # in order, one team's table in flight
                pending = encoder.submit(writer.write_table, table.replace_schema_metadata(
                    writer.schema.metadata))
            if pending is not None:
                pending.result()
    finally:
        if writer is not None:
            writer.close()


def _schema(frame: pd.DataFrame):
    """The Arrow schema of ``frame`` whichever of its rows are written: a text
    column of Python objects typed by its values, not by a slice's (one with no
    value would be typed null)."""
    import pyarrow as pa

    schema = pa.Schema.from_pandas(frame.iloc[:0], preserve_index=False)
    for c in frame.columns:
        if frame[c].dtype == object:
            some = np.flatnonzero(frame[c].notna().to_numpy())[:1000]
            kind = pa.array(frame[c].iloc[some]).type if len(some) else pa.null()
            schema = schema.set(schema.get_field_index(c), pa.field(c, kind))
    return schema


def prepared_entry(prepared, p: ReportParams) -> dict:
    """The entry of the prepared index ``prepared`` for the export ``p`` reads."""
    entry = prepared_index(prepared).get(export_id(p))
    if entry is None:
        raise DataError(f"the prepared inputs hold no export {p.tickets} as it is now",
                        source=str(prepared))
    return entry


def _read_prepared(folder: Path, entry: dict, members: list[ReportParams],
                   tickets_of: list[str] | None):
    """The prepared tickets of the teams ``tickets_of`` (default: ``members``) with
    the export's attributes, and freq -> KPIs."""
    teams = [p.team for p in members] if tickets_of is None else list(tickets_of)
    tickets = _read_frame(folder / entry["tickets"], teams)
    kpis = {freq: _read_frame(folder / name) for freq, name in entry["kpis"].items()
            if freq in {p.freq for p in members}}
    return tickets, kpis


#: The key of the schema metadata :func:`prepare` keeps a frame's attributes under.
_ATTRS = b"servicekpi.attrs"
#: The column of prepared tickets holding each row's place in the export.
_ROW = "__servicekpi_row"


def _team_rows(f, teams: list[str]):
    """The rows of ``teams`` of the prepared tickets file ``f`` (a ParquetFile), read
    from the row groups whose team statistics can hold them only.  (A dataset
    filter on the team column read every row group: the statistics of a
    dictionary column were not used, and a team's report held the whole export
    for a moment.)"""
    import pyarrow as pa
    import pyarrow.compute as pc

    j = f.schema_arrow.get_field_index("team")
    wanted = sorted(map(str, teams))
    groups = []
    for i in range(f.num_row_groups):
        stats = f.metadata.row_group(i).column(j).statistics
        if stats is None or not stats.has_min_max or any(
                stats.min <= t <= stats.max for t in wanted):
            groups.append(i)
    table = f.read_row_groups(groups) if groups else f.schema_arrow.empty_table()
    team = table.column("team").cast(pa.string())
    return table.filter(pc.is_in(team, value_set=pa.array(wanted, pa.string())))


def _read_frame(path: Path, teams: list[str] | None = None) -> pd.DataFrame:
    """A frame :func:`prepare` wrote, as it was (``teams``: those teams' rows only;
    an empty list: no rows, the attributes only).

    A KPI table is a pickle, read whole: every report reads every team's KPIs
    (its peers), and Parquet's reader left a report kernel 15 MB larger for
    100 teams' (a 4 MB frame), against the frame's own 4 MB read from a pickle.
    """
    import json

    import pyarrow.parquet as pq

    if path.suffix == ".pkl":
        frame = pd.read_pickle(path)
        return (frame if teams is None
                else frame[frame["team"].isin(teams)].reset_index(drop=True))
    f = pq.ParquetFile(path)
    attrs = json.loads(f.schema_arrow.metadata[_ATTRS])
    if teams is None:
        frame = f.read().to_pandas()
    elif teams:
        frame = _team_rows(f, teams).to_pandas()
    else:
        frame = f.schema_arrow.empty_table().to_pandas()
    if _ROW in frame.columns:   # a team's rows are in the export's order already
        if teams is None or len(teams) > 1:
            frame = frame.sort_values(_ROW, kind="stable").reset_index(drop=True)
        frame = frame.drop(columns=_ROW)
    for c, categories in attrs.pop("categories").items():
        frame[c] = frame[c].astype(pd.CategoricalDtype(categories))
    for c in attrs.pop("objects"):
        frame[c] = frame[c].astype(object).where(frame[c].notna(), None)
    if teams is None:                # the whole export: its own count
        attrs.pop("export_rows", None)
    frame.attrs = attrs
    return frame
