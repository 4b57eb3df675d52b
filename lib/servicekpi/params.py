"""Report parameters: shared defaults plus one file per team, one typed schema.

Layout of a parameter folder::

    params/
      defaults.yaml        # keys shared by every team
      catalogue.yaml       # the KPI catalogue (referenced by `catalogue:`)
      teams/<team>.yaml    # one per team: at least `team:`; overrides defaults

Which teams get a report is decided by ``teams:`` in ``defaults.yaml``:

``teams: auto``
    one report per team found in the export that ``defaults.yaml`` names
    (team ids from :mod:`servicekpi.teams`, display names as written in the
    export; tickets with a blank team make the team ``unassigned``).  A file
    in ``teams/`` only overrides the team whose id is its ``team:`` (or its
    file name); a file for a team the export does not have adds that team.
``teams: files``
    one report per file in ``teams/``.

Without ``teams:`` it is ``files`` when ``teams/`` holds at least one file,
else ``auto``.

Relative paths are relative to the file that names them.  :func:`load_params`
checks every file before anything runs and reports all problems at once:
unknown keys, wrong types, unsafe team ids, KPIs not in the catalogue,
missing data files.  :func:`check_inputs` opens the files themselves (what
``servicekpi validate`` and the runner's preflight do).
"""
from __future__ import annotations

from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from .catalogue import load_catalogue
from .errors import ConfigError, DataError, Problem, ServiceKPIError
from .mapping import load_mapping, pydantic_problems
from .teams import UNASSIGNED, is_team_id, team_id

PATH_KEYS = ("tickets", "kpi_table", "benchmarks", "targets", "catalogue", "competencies",
             "competency_targets")

#: Values of ``teams:`` in defaults.yaml.
TEAM_MODES = ("auto", "files")

#: Rows of each ticket export that ``servicekpi validate`` reads through the loader.
SAMPLE_ROWS = 2000


class ReportParams(BaseModel):
    """Everything one team report needs (the notebook's parameters)."""

    model_config = ConfigDict(extra="forbid")
    team: str = Field(description="team id as in the ticket export; also the file name")
    display_name: str | None = Field(None, description="name shown in reports")
    title: str = "Customer service KPI report"
    period: Literal["month", "week", "quarter"] = "month"
    tickets: Path
    mapping: str | None = Field(
        "auto", description="auto (detect the preset from the header), a preset name, "
        "a mapping YAML path, or null for canonical column names")
    bad_rows: Literal["raise", "drop"] = Field(
        "raise", description="refuse an export with bad rows, or drop them and report them")
    max_dropped_share: float = Field(
        0.05, ge=0, le=1, description="with bad_rows: drop, refuse the export when more "
        "than this share of its rows would be dropped")
    unassigned: Literal["keep", "drop"] = Field(
        "keep", description="tickets with a blank team: keep them as team 'unassigned' "
        "(with a data-quality warning), or drop them (counted)")
    as_of: str | None = Field(
        None, description="when the export was taken (default: its latest timestamp); "
        "later tickets are dropped and counted")
    include_partial_period: bool = Field(
        False, description="use a last period the export covers only partly in "
        "comparisons, statuses, scores and forecasts")
    kpi_table: Path | None = None
    benchmarks: Path | None = None
    targets: Path | None = None
    catalogue: Path
    competencies: Path | None = Field(None, description="competency assessments")
    competency_targets: Path | None = Field(None, description="competency target profile")
    kpis: list[str] | None = Field(None, description="KPIs to show; default: all available")
    history_periods: int = Field(13, ge=2, le=400)
    language: Literal["en", "zh"] = "en"

    @field_validator("team")
    @classmethod
    def _safe_id(cls, v: str) -> str:
        path_like = not v.strip() or v.strip().startswith(".") or any(
            x in v for x in ("/", "\\", ".."))
        if not path_like:
            v = team_id(v)   # "Service Desk" -> service_desk, as the loader names it
        if path_like or not is_team_id(v):
            raise ValueError(f"team id {v!r} is not safe as a file name: use letters "
                             "(any script), digits, '_', '-' and '.', not starting with "
                             "'.' and without '..' or path separators; a team name such as "
                             "'Service Desk' becomes its id service_desk")
        return v

    @field_validator("as_of", mode="before")
    @classmethod
    def _timestamp(cls, v):
        if v is None:
            return v
        import pandas as pd
        try:
            ts = pd.Timestamp(str(v).strip())
        except (ValueError, TypeError):
            ts = pd.NaT
        if pd.isna(ts):
            raise ValueError(f"cannot read {v!r} as a timestamp: expected e.g. "
                             "2024-03-31 or 2024-03-31 18:00")
        return str(v).strip()

    @property
    def name(self) -> str:
        return self.display_name or self.team

    def ticket_options(self) -> dict:
        """Keyword arguments of :func:`servicekpi.load_tickets` for this team's export."""
        return dict(mapping=self.mapping, errors=self.bad_rows, as_of=self.as_of,
                    max_dropped_share=self.max_dropped_share, unassigned=self.unassigned)

    def notebook_parameters(self) -> dict:
        """Parameters for papermill: plain JSON types, absolute paths."""
        return self.model_dump(mode="json")


def _read_yaml(path: Path, problems: list[Problem]) -> dict | None:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        problems.append(Problem(str(path), None, f"cannot read YAML: {exc}"))
        return None
    if data is None:
        return {}
    if not isinstance(data, dict):
        problems.append(Problem(str(path), None, "expected a mapping of key: value"))
        return None
    return data


def _resolve(data: dict, base: Path) -> dict:
    out = dict(data)
    for key in PATH_KEYS:
        if isinstance(out.get(key), str) and out[key]:
            out[key] = str((base / out[key]).resolve())
    m = out.get("mapping")
    if isinstance(m, str) and (m.endswith((".yaml", ".yml")) or "/" in m):
        out["mapping"] = str((base / m).resolve())
    return out


def load_params(params_dir, teams: list[str] | None = None, *,
                overrides: dict | None = None) -> list[ReportParams]:
    """Load and check every team's parameters; raise one ConfigError listing all problems.

    ``teams`` keeps only those team ids; ``overrides`` (e.g. ``{"as_of": ...}``
    from the command line) win over every file.
    """
    out, problems = collect_params(params_dir, teams, overrides=overrides)
    if problems:
        raise ConfigError(problems, source=str(params_dir))
    return out


def collect_params(params_dir, teams: list[str] | None = None, *,
                   overrides: dict | None = None) -> tuple[list[ReportParams], list[Problem]]:
    """The valid teams' parameters and every problem found (see :func:`load_params`)."""
    params_dir = Path(params_dir)
    problems: list[Problem] = []
    if not params_dir.is_dir():
        raise ConfigError("parameter folder not found", source=str(params_dir))
    overrides = {k: v for k, v in (overrides or {}).items() if v is not None}
    defaults_path = params_dir / "defaults.yaml"
    defaults: dict = {}
    if defaults_path.is_file():
        defaults = _resolve(_read_yaml(defaults_path, problems) or {}, params_dir)
    mode = defaults.pop("teams", None)
    team_files = sorted((params_dir / "teams").glob("*.y*ml"))
    if mode is None:
        mode = "files" if team_files else "auto"
    elif mode not in TEAM_MODES:
        problems.append(Problem(str(defaults_path), "teams", f"expected auto (one report per "
                                f"team in the export) or files (one per file in teams/), "
                                f"not {mode!r}"))
        mode = "files"

    # team id -> (source file, that file's keys); files only override in auto mode
    entries: dict[str, tuple[str, dict]] = {}
    for path in team_files:
        data = _read_yaml(path, problems)
        if data is None:
            continue
        if "teams" in data:
            problems.append(Problem(str(path), "teams", "belongs in defaults.yaml (it says "
                                    "which teams get a report)"))
            data = {k: v for k, v in data.items() if k != "teams"}
        tid = _id(data.get("team", path.stem))
        if tid in entries:
            problems.append(Problem(str(path), "team", f"team {tid!r} also defined in "
                                    f"{entries[tid][0]}"))
            continue
        entries[tid] = (str(path), {"team": tid, **_resolve(data, path.parent)})

    if teams is not None:
        teams = [_id(t) for t in teams]
    export_teams: dict[str, str] = {}
    if mode == "auto":
        export_teams = _auto_teams(defaults, overrides, defaults_path, problems)
    if mode == "files" and not team_files:
        problems.append(Problem(str(params_dir / "teams"), None,
                                "no team parameter files (teams/<team>.yaml); or set "
                                "'teams: auto' in defaults.yaml for one report per team "
                                "in the export"))
    if export_teams:     # an override for a team the export does not have is a typo,
        for tid, (source, data) in entries.items():  # unless the file names its own export
            if tid not in export_teams and "tickets" not in data:
                problems.append(Problem(source, "team", f"team {tid!r} is not in the export "
                                        f"(teams: auto; its teams: "
                                        f"{', '.join(export_teams)})"))
    order = list(export_teams) + [t for t in entries if t not in export_teams]
    out: list[ReportParams] = []
    for tid in order:
        if teams is not None and tid not in teams:
            continue
        source, data = entries.get(tid, (str(defaults_path), {"team": tid}))
        merged = {**defaults, **data, **overrides}
        if tid in export_teams and "display_name" not in data:
            merged["display_name"] = export_teams[tid]
        try:
            p = ReportParams.model_validate(merged)
        except ValidationError as exc:
            problems += pydantic_problems(exc, source)
            continue
        problems += check_params(p, source)
        out.append(p)
    if teams is not None:
        for t in teams:
            if t not in order:
                where = " or in the export" if mode == "auto" else ""
                problems.append(Problem(str(params_dir / "teams"), "team",
                                        f"no parameter file for team {t!r}{where}"))
    return out, problems


def _id(value):
    """A team as a file or the command line names it -> its id (``Service Desk`` ->
    ``service_desk``, as :class:`ReportParams` and the loader have it); anything
    path-like is left for the validator to refuse."""
    if not isinstance(value, str):
        return value
    path_like = (not value.strip() or value.strip().startswith(".")
                 or any(x in value for x in ("/", "\\", "..")))
    return value if path_like else team_id(value)


def _auto_teams(defaults: dict, overrides: dict, source: Path,
                problems: list[Problem]) -> dict[str, str]:
    """``teams: auto``: team id -> display name, for every team of the defaults' export."""
    if not defaults.get("tickets"):
        problems.append(Problem(str(source), "tickets", "teams: auto needs the ticket export "
                                "in defaults.yaml"))
        return {}
    try:  # the export's reading options, checked like any team's
        probe = ReportParams.model_validate({**defaults, **overrides, "team": UNASSIGNED})
    except ValidationError as exc:
        problems += [q for q in pydantic_problems(exc, str(source)) if q.column != "team"]
        return {}
    if not Path(probe.tickets).is_file():
        return {}                                    # check_params reports it per team
    try:
        frame = load_export(probe)
    except ServiceKPIError as exc:
        problems += [Problem(str(source), "teams", "teams: auto cannot list the teams of "
                             f"{Path(probe.tickets).name}: the export does not load")]
        problems += _problems(exc, Path(probe.tickets).name)
        return {}
    return team_names(frame)


def team_names(frame) -> dict[str, str]:
    """team id -> name as written in the export, for a loaded ticket frame; ordered by
    name, the team of tickets with a blank team (``unassigned``) last."""
    ids = [str(t) for t in frame["team"].astype("category").cat.remove_unused_categories()
           .cat.categories]
    given = frame.attrs.get("team_names") or {}
    out = {}
    for t in ids:
        name = given.get(t)
        if t == UNASSIGNED and (name is None or str(name).strip() in ("", UNASSIGNED)):
            name = "Unassigned"              # tickets with a blank team
        elif name is None or not str(name).strip():
            name = t
        out[t] = str(name).strip()
    order = sorted(out, key=lambda t: (t == UNASSIGNED, out[t].casefold(), t))
    return {t: out[t] for t in order}


# one loaded export, reused by load_params (teams: auto) and the runner's preflight
_EXPORTS: dict[tuple, object] = {}


def load_export(p: ReportParams):
    """The ticket export of ``p`` loaded with its options (the last one is kept in memory,
    so listing its teams and checking it reads the file once)."""
    from .tickets import load_tickets

    path = Path(p.tickets)
    st = path.stat()
    key = (str(path.resolve()), st.st_size, st.st_mtime_ns,
           *sorted((k, str(v)) for k, v in p.ticket_options().items()))
    if key not in _EXPORTS:
        frame = load_tickets(path, **p.ticket_options())
        _EXPORTS.clear()
        _EXPORTS[key] = frame
    return _EXPORTS[key]


def clear_export_cache() -> None:
    _EXPORTS.clear()


def sample_export(p: ReportParams, rows: int = SAMPLE_ROWS):
    """The first ``rows`` rows of ``p``'s export through the real loader and its mapping."""
    from .tickets import load_tickets

    return load_tickets(p.tickets, nrows=rows, **p.ticket_options())


def by_export(all_params: list[ReportParams]) -> dict[tuple, list[ReportParams]]:
    """Teams grouped by the ticket export they read, and how: (tickets, period,
    *sorted(ticket_options().items())) -> their parameters.  Each group is loaded once."""
    groups: dict[tuple, list[ReportParams]] = {}
    for p in all_params:
        key = (str(p.tickets), p.period, *sorted(p.ticket_options().items()))
        groups.setdefault(key, []).append(p)
    return groups


def check_params(p: ReportParams, source: str) -> list[Problem]:
    """Problems with the files and KPIs one parameter set names."""
    problems = []
    for key in PATH_KEYS:
        path = getattr(p, key)
        if path is not None and not Path(path).is_file():
            problems.append(Problem(source, key, f"file not found: {path}"))
    if p.mapping not in (None, "auto"):
        try:
            load_mapping(p.mapping)
        except ServiceKPIError as exc:
            problems.append(Problem(source, "mapping", str(exc)))
    if p.kpis and Path(p.catalogue).is_file():
        try:
            cat = load_catalogue(p.catalogue)
        except ConfigError as exc:
            problems += exc.problems
        else:
            for k in p.kpis:
                if k not in cat:
                    problems.append(Problem(source, "kpis", f"KPI {k!r} is not in the "
                                            f"catalogue {p.catalogue}"))
    return problems


def _problems(exc: ServiceKPIError, source) -> list[Problem]:
    return list(getattr(exc, "problems", None) or [Problem(str(source), None, str(exc))])


def check_inputs(all_params: list[ReportParams], *, sample_rows: int | None = SAMPLE_ROWS):
    """Open every input the parameters name, the way a report will.

    Ticket exports are read through the loader with their mapping: the first
    ``sample_rows`` rows (``None``: all of them, once per export, and each
    team must have tickets).  Targets, benchmarks, KPI tables, competencies
    and competency targets are read in full through their loaders, once per
    file.  A row of a shared targets file or KPI table that is wrong concerns
    only the team it names.

    Returns ``(errors, kpis)``: team id -> the problems that stop its report
    (a problem with a whole file is listed for every team that uses it), and
    the KPIs computed from each export for its teams.
    """
    from .catalogue import load_catalogue
    from .competencies import load_competencies, load_competency_targets
    from .kpis import compute_kpis
    from .tables import load_benchmarks, load_kpi_table, load_targets, merge_kpis

    errors: dict[str, list[Problem]] = {}

    def fail(members, problems):
        for p in members:
            errors.setdefault(p.team, []).extend(problems)

    kpis, frames = {}, []
    for members in by_export(all_params).values():
        first, name = members[0], Path(members[0].tickets).name
        try:
            t = load_export(first) if sample_rows is None else sample_export(first, sample_rows)
            k = compute_kpis(t, first.period)
        except ServiceKPIError as exc:
            fail(members, _problems(exc, name))
            continue
        if sample_rows is None:
            present = set(team_names(t))
            for p in members:
                if p.team not in present:
                    fail([p], [Problem(name, "team", f"no tickets for team {p.team!r} in "
                                                     f"{name}")])
        ids = [p.team for p in members]
        frames.append(k[k["team"].isin(ids)])
        kpis.update({t_: k[k["team"] == t_] for t_ in ids})

    catalogues = {}
    for path, members in _group(all_params, lambda p: p.catalogue):
        try:
            catalogues[path] = load_catalogue(path)
        except ServiceKPIError as exc:
            fail(members, _problems(exc, path))

    def cat(p):
        return catalogues.get(str(p.catalogue))

    for key in ("kpi_table", "targets"):
        load = load_kpi_table if key == "kpi_table" else load_targets
        groups = _group(all_params, lambda p: getattr(p, key), lambda p: (p.period,
                                                                        str(p.catalogue)))
        for path, members in groups:
            try:
                table = load(path, period=members[0].period, catalogue=cat(members[0]),
                             team_errors="drop")
            except ServiceKPIError as exc:
                fail(members, _problems(exc, path))
                continue
            bad = table.attrs.get("team_errors") or {}
            for p in members:
                if p.team in bad:
                    fail([p], bad[p.team])
                elif key == "kpi_table" and p.team in kpis:
                    try:
                        merge_kpis(kpis[p.team], table[table["team"] == p.team],
                                   source=Path(path).name)
                    except ServiceKPIError as exc:
                        fail([p], _team_problems(exc, p.team))
    others = (("benchmarks", lambda p, path: load_benchmarks(path, catalogue=cat(p))),
              ("competencies", lambda p, path: load_competencies(path)),
              ("competency_targets", lambda p, path: load_competency_targets(path)))
    for key, load in others:
        groups = _group(all_params, lambda p: getattr(p, key),
                        (lambda p: str(p.catalogue)) if key == "benchmarks" else None)
        for path, members in groups:
            try:
                load(members[0], path)
            except ServiceKPIError as exc:
                fail(members, _problems(exc, path))
    return errors, frames


def _team_problems(exc: ServiceKPIError, team: str) -> list[Problem]:
    return [Problem(q.source, q.column, f"team {team!r}: {q.message}", q.rows, q.values,
                    q.count) for q in _problems(exc, team)]


def _group(all_params, path_of, how=None) -> list[tuple[str, list[ReportParams]]]:
    """(path, the teams naming it) for each existing file, once per way of reading it
    (``how``: e.g. the period a targets file is read at)."""
    groups: dict[tuple, list[ReportParams]] = {}
    for p in all_params:
        path = path_of(p)
        if path is not None and Path(path).is_file():
            groups.setdefault((str(path), how(p) if how else None), []).append(p)
    return [(key[0], members) for key, members in groups.items()]
