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
``servicekpi validate`` and the runner's preflight do), each ticket export in
full through the same loader the reports use.

Two keys have older names that are still read: ``period:`` for ``freq:``
(month, week or quarter) and ``kpis:`` for ``kpi_list:`` (see
:data:`OLD_NAMES`); the parameters always say ``freq`` and ``kpi_list``.
"""
from __future__ import annotations

import codecs
from dataclasses import replace
from pathlib import Path
from typing import Literal, NamedTuple

from pydantic import (BaseModel, ConfigDict, Field, ValidationError, field_validator,
                      model_validator)

from .catalogue import load_catalogue
from .errors import ConfigError, DataError, Problem, ServiceKPIError, unique
from .mapping import load_mapping, pydantic_problems
from .parsing import AS_WRITTEN, ISO_DATE, YEAR_RANGE, ZONE_ERRORS, western_date
from .readers import read_yaml, yaml_problem
from .teams import UNASSIGNED, UNASSIGNED_NAME, is_team_id, team_id, to_ids

PATH_KEYS = ("tickets", "kpi_table", "benchmarks", "targets", "catalogue", "competencies",
             "competency_targets")

#: Values of ``teams:`` in defaults.yaml.
TEAM_MODES = ("auto", "files")

#: Older key -> the key it is read as (a parameter file may still use the old one).
OLD_NAMES = {"period": "freq", "kpis": "kpi_list"}


def _as_written(problems: list[Problem], *written: dict) -> list[Problem]:
    """``problems`` naming a key as the files ``written`` do: ``period`` where they say
    ``period`` (and none says ``freq``), ``kpis`` likewise."""
    keys = {k for data in written if isinstance(data, dict) for k in data}
    back = {new: old for old, new in OLD_NAMES.items() if old in keys and new not in keys}
    return [replace(q, column=back[q.column]) if q.column in back else q for q in problems]


def _where_written(problems: list[Problem], source: str, defaults_path: Path,
                   defaults: dict, team: dict) -> list[Problem]:
    """``problems`` found in a team's merged parameters (named after its ``source``)
    naming ``defaults.yaml`` instead for a key only the defaults write: a typo there is
    one problem of that file, not one of every team file."""
    if not isinstance(defaults, dict) or not defaults:
        return problems
    team = team if isinstance(team, dict) else {}
    return [replace(q, source=str(defaults_path))
            if q.source == source and q.column in defaults and q.column not in team else q
            for q in problems]


def new_names(data: dict) -> dict:
    """``data`` with the older keys of :data:`OLD_NAMES` renamed; a key given under
    both names is left as it is (the model refuses it, naming both)."""
    if not isinstance(data, dict):
        return data
    out = dict(data)
    for old, new in OLD_NAMES.items():
        if old in out and new not in out:
            out[new] = out.pop(old)
    return out


class ReportParams(BaseModel):
    """Everything one team report needs (the notebook's parameters)."""

    model_config = ConfigDict(extra="forbid")
    team: str = Field(description="team id as in the ticket export; also the file name")
    display_name: str | None = Field(None, description="name shown in reports")
    title: str | None = Field(
        None, description="report title (default: 'Customer service KPI report' in the "
        "report's language)")
    freq: Literal["month", "week", "quarter"] = Field(
        "month", description="the periods KPIs are computed and assessed for (older "
        "files: period)")
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
    dayfirst: bool | None = Field(
        None, description="day order of dates such as 01/03/2024: true (day first), false "
        "(month first), or null: the mapping's, else decided from the data")
    timezone: str | None = Field(
        None, description="time zone of timestamps written without one (a zone name such "
        "as Europe/London, or as_written: keep the local time an offset was written in); "
        "null: the mapping's (UTC unless it says)")
    encoding: str | None = Field(
        None, description="text encoding of a CSV export (utf-8, gb18030, cp1252, ...); "
        "null: the mapping's, else detected")
    decimal: Literal[".", ","] | None = Field(
        None, description="decimal mark of numbers ('.' or ','; the other separates "
        "thousands, so with ',' 1.440 is 1440); null: the mapping's, else decided per "
        "column from the data")
    include_partial_period: bool = Field(
        False, description="use a last period the export covers only partly in "
        "comparisons, statuses, scores and forecasts")
    kpi_table: Path | None = None
    benchmarks: Path | None = None
    targets: Path | None = None
    catalogue: Path
    competencies: Path | None = Field(None, description="competency assessments")
    competency_targets: Path | None = Field(None, description="competency target profile")
    kpi_list: list[str] | None = Field(None, description="KPIs to show; default: all "
                                       "available (older files: kpis)")
    history_periods: int = Field(13, ge=2, le=400)
    language: Literal["en", "zh"] = "en"

    @model_validator(mode="before")
    @classmethod
    def _old_names(cls, data):
        if isinstance(data, dict):
            both = [f"{new} and {old} are one key ({old} is its older name): give one"
                    for old, new in OLD_NAMES.items() if old in data and new in data]
            if both:
                raise ValueError("; ".join(both))
        return new_names(data)

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
        problem = as_of_problem(str(v).strip())
        if problem:
            raise ValueError(problem)
        return western_date(str(v).strip())      # 2025年3月31日 -> 2025-3-31

    @field_validator("timezone", "encoding")
    @classmethod
    def _known(cls, v, info):
        check = zone_problem if info.field_name == "timezone" else encoding_problem
        problem = None if v is None else check(v)
        if problem:
            raise ValueError(problem)
        return v

    @property
    def name(self) -> str:
        return self.display_name or self.team

    def ticket_options(self) -> dict:
        """Keyword arguments of :func:`servicekpi.load_tickets` for this team's export
        (``dayfirst``, ``timezone``, ``encoding`` and ``decimal``: None leaves the
        mapping's)."""
        return dict(mapping=self.mapping, bad_rows=self.bad_rows, as_of=self.as_of,
                    max_dropped_share=self.max_dropped_share, unassigned=self.unassigned,
                    dayfirst=self.dayfirst, timezone=self.timezone, encoding=self.encoding,
                    decimal=self.decimal)

    def notebook_parameters(self) -> dict:
        """Parameters for papermill: plain JSON types, absolute paths."""
        return self.model_dump(mode="json")


def as_of_problem(text: str) -> str | None:
    """Why ``text`` cannot be an as-of time (None when it can): unreadable, or outside
    the years timestamps are read in (:data:`servicekpi.parsing.YEAR_RANGE`)."""
    import pandas as pd

    written = western_date(str(text).strip())
    try:
        ts = pd.Timestamp(written) if ISO_DATE.match(written) else pd.NaT
    except (ValueError, TypeError, OverflowError):
        ts = pd.NaT
    if pd.isna(ts):
        return (f"cannot read {text!r} as a time: write it year first, e.g. 2024-03-31 "
                "or '2024-03-31 18:00' (a date such as 03/04/2024 could read either way)")
    early, late = YEAR_RANGE
    if not early <= ts.year <= late:
        return (f"as-of time {text!r} is outside the years {early}-{late}: timestamps "
                "outside them are read as missing (placeholders such as 9999-12-31), so "
                "it would not say when the export was taken")
    return None


def zone_problem(text: str) -> str | None:
    """Why ``text`` is not a time zone servicekpi reads in (None when it is)."""
    import pandas as pd

    if text == AS_WRITTEN:
        return None
    try:
        pd.Timestamp("2024-01-01", tz=text)
    except ZONE_ERRORS:
        return (f"unknown time zone {text!r}: expected a zone name such as UTC or "
                f"Europe/London, or {AS_WRITTEN} (keep the local time an offset was "
                "written in)")
    return None


def encoding_problem(text: str) -> str | None:
    """Why ``text`` is not a text encoding Python knows (None when it is)."""
    try:
        codecs.lookup(text)
    except LookupError:
        return (f"unknown encoding {text!r}: expected e.g. utf-8, utf-8-sig, gb18030, "
                "cp1252 or latin-1")
    return None


def _read_yaml(path: Path, problems: list[Problem]) -> dict | None:
    try:
        data = read_yaml(path)
    except ConfigError as exc:
        problems += exc.problems
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
    if is_mapping_file(m):
        out["mapping"] = str((base / m).resolve())
    return out


def is_mapping_file(mapping) -> bool:
    """Whether a ``mapping:`` value names a file (a path or a .yaml name), not a preset."""
    return isinstance(mapping, str) and (mapping.endswith((".yaml", ".yml")) or "/" in mapping)


def load_params(params_dir, teams: list[str] | None = None, *,
                overrides: dict | None = None, prepared=None) -> list[ReportParams]:
    """Load and check every team's parameters; raise one ConfigError listing all problems.

    ``teams`` keeps only those team ids; ``overrides`` (e.g. ``{"as_of": ...}``
    from the command line) win over every file.  ``prepared``: a run's prepared
    index; with ``teams: auto``, an export it holds as it is now gives its teams
    without being read.
    """
    out, problems = collect_params(params_dir, teams, overrides=overrides, prepared=prepared)
    if problems:
        raise ConfigError(problems, source=str(params_dir))
    return out


def collect_params(params_dir, teams: list[str] | None = None, *,
                   overrides: dict | None = None, prepared=None
                   ) -> tuple[list[ReportParams], list[Problem]]:
    """The valid teams' parameters and every problem found (see :func:`load_params`)."""
    out, problems, _, _ = _collect(params_dir, teams, overrides, prepared)
    return out, unique(problems)


class TeamParams(NamedTuple):
    """A parameter folder as a run takes it (:func:`team_params`)."""
    ok: list[ReportParams]           # the teams whose parameters are right
    failed: dict[str, list[Problem]]  # team id -> the problems of its own parameters
    names: dict[str, str]            # failed team id -> its name as far as it is known
    shared: list[Problem]            # problems of every team's (stop the run)

    def every_problem(self) -> list[Problem]:
        """The shared problems and every team's, each once (what stops a run)."""
        return unique(self.shared + [q for qs in self.failed.values() for q in qs])


def team_params(params_dir, teams: list[str] | None = None, *,
                overrides: dict | None = None, prepared=None) -> TeamParams:
    """The parameters of a run: one team's mistake (a YAML typo in its file, an unknown
    key, a file it names that is missing) fails that team alone; a problem of every
    team's (in ``defaults.yaml``, a file every team names, the command line, or the
    only team's) is ``shared`` and stops the run."""
    out, problems, concerns, names = _collect(params_dir, teams, overrides, prepared)
    if teams is not None:   # the file of a team this run is not for: not its problem
        chosen = {_id(t) for t in teams}
        concerns = {q: ts & chosen for q, ts in concerns.items()}
        problems = [q for q in problems if concerns.get(q, True)]
    everyone = {p.team for p in out} | {t for q in problems for t in concerns.get(q, ())}
    defaults = str(Path(params_dir) / "defaults.yaml")
    shared = [q for q in unique(problems) if q.source == defaults
              or concerns.get(q, everyone) >= everyone]
    failed: dict[str, list[Problem]] = {}
    for q in unique(problems):
        if q not in shared:
            for t in sorted(concerns[q]):
                failed.setdefault(t, []).append(q)
    ok = [p for p in out if p.team not in failed]
    return TeamParams(ok, failed, {t: names.get(t, t) for t in failed}, shared)


def _collect(params_dir, teams, overrides, prepared):
    """``(parameters, problems, concerns, names)``: the valid teams' parameters,
    every problem, each team-file problem -> the teams it concerns, and the
    display name of each team as its file gives it."""
    params_dir = Path(params_dir)
    problems: list[Problem] = []
    concerns: dict[Problem, set[str]] = {}
    names: dict[str, str] = {}

    owner: dict[str, str] = {}         # team file -> the team its problems concern

    def of_team(tid, found: list[Problem], source: str | None = None) -> None:
        problems.extend(found)
        if not (isinstance(tid, str) and tid.strip()):   # team: blank, or not a name
            tid = owner.get(source) if source else None
        if tid is not None:
            for q in found:
                concerns.setdefault(q, set()).add(tid)

    if not params_dir.is_dir():
        raise ConfigError("parameter folder not found", source=str(params_dir))
    overrides = new_names({k: v for k, v in (overrides or {}).items() if v is not None})
    defaults_path = params_dir / "defaults.yaml"
    defaults: dict = {}
    written: dict[str, dict] = {}      # source file -> its keys as written
    if defaults_path.is_file():
        read = _read_yaml(defaults_path, problems)
        if read is None:   # what follows from missing defaults would only mislead
            return [], problems, concerns, names
        written[str(defaults_path)] = read
        defaults = _resolve(new_names(read), params_dir)
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
        unread: list[Problem] = []
        data = _read_yaml(path, unread)
        owner[str(path)] = _id(path.stem)
        if data is None:    # the team its 'team:' line names, else its file's name
            of_team(_written_team(path) or owner[str(path)], unread)
            continue
        tid = _id(data.get("team", path.stem))
        if isinstance(tid, str) and tid.strip():
            owner[str(path)] = tid
        if isinstance(data.get("display_name"), str) and isinstance(tid, str):
            names.setdefault(tid, data["display_name"])
        if "teams" in data:
            of_team(tid, [Problem(str(path), "teams", "belongs in defaults.yaml (it says "
                                  "which teams get a report)")], str(path))
            data = {k: v for k, v in data.items() if k != "teams"}
        if tid in entries:
            of_team(tid, [Problem(str(path), "team", f"team {tid!r} also defined in "
                                  f"{entries[tid][0]}")], str(path))
            continue
        written[str(path)] = data
        entries[tid] = (str(path), {"team": tid, **_resolve(new_names(data), path.parent)})

    if teams is not None:
        teams = [_id(t) for t in teams]
    export_teams: dict[str, str] = {}
    if mode == "auto":
        export_teams = _auto_teams(defaults, overrides, defaults_path, problems, prepared)
    if mode == "files" and not team_files:
        problems.append(Problem(str(params_dir / "teams"), None,
                                "no team parameter files (teams/<team>.yaml); or set "
                                "'teams: auto' in defaults.yaml for one report per team "
                                "in the export"))
    if export_teams:     # an override for a team the export does not have is a typo,
        for tid, (source, data) in entries.items():  # unless the file names its own export
            if tid not in export_teams and "tickets" not in data:
                of_team(tid, [Problem(source, "team", f"team {tid!r} is not in the export "
                                      f"(teams: auto; its teams: "
                                      f"{', '.join(export_teams)})")])
    order = list(export_teams) + [t for t in entries if t not in export_teams]
    out: list[ReportParams] = []
    for tid in order:
        if teams is not None and tid not in teams:
            continue
        source, data = entries.get(tid, (str(defaults_path), {"team": tid}))
        merged = {**defaults, **data, **overrides}
        if tid in export_teams and "display_name" not in data:
            merged["display_name"] = export_teams[tid]
        as_written = [written.get(str(defaults_path), {}), written.get(source, {})]
        try:
            p = ReportParams.model_validate(merged)
        except ValidationError as exc:
            of_team(tid, _where_written(_as_written(pydantic_problems(exc, source),
                                                    *as_written), source, defaults_path,
                                        *as_written), source)
            continue
        of_team(tid, _where_written(_as_written(check_params(p, source), *as_written),
                                    source, defaults_path, *as_written), source)
        out.append(p)
    if teams is not None:
        failed = {t for ts in concerns.values() for t in ts}   # its file is wrong
        for t in teams:
            if t not in order and t not in failed:
                where = " or in the export" if mode == "auto" else ""
                problems.append(Problem(str(params_dir / "teams"), "team",
                                        f"no parameter file for team {t!r}{where}"))
    return out, problems, concerns, names


def _written_team(path: Path) -> str | None:
    """The team a parameter file that does not read as YAML names on its own
    ``team:`` line (its id), if it has one."""
    import re
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return None
    m = re.search(r"^team\s*:\s*(['\"]?)([^'\"#\n]*?)\1\s*(?:#.*)?$", text, re.M)
    tid = _id(m.group(2).strip()) if m and m.group(2).strip() else None
    return tid if isinstance(tid, str) and is_team_id(tid) else None


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
                problems: list[Problem], prepared=None) -> dict[str, str]:
    """``teams: auto``: team id -> display name, for every team of the defaults' export
    (from the prepared index ``prepared`` when it holds the export as it is now)."""
    if not defaults.get("tickets"):
        problems.append(Problem(str(source), "tickets", "teams: auto needs the ticket export "
                                "in defaults.yaml"))
        return {}
    try:  # the export's reading options, checked like any team's
        probe = ReportParams.model_validate({**defaults, **overrides, "team": UNASSIGNED})
    except ValidationError as exc:
        problems += [q for q in pydantic_problems(exc, str(source)) if q.column != "team"]
        return {}
    name = Path(probe.tickets).name
    if not Path(probe.tickets).is_file():
        problems.append(Problem(str(source), "tickets", "teams: auto cannot list the teams: "
                                f"file not found: {probe.tickets}"))
        return {}
    held = prepared_index(prepared).get(export_id(probe))
    if held is not None and "names" in held:     # read for this run already
        return held["names"]
    try:
        frame = load_export(probe)
    except ServiceKPIError as exc:
        problems += [Problem(str(source), "teams", "teams: auto cannot list the teams of "
                             f"{name}: the export does not load")]
        problems += _problems(exc, name)
        return {}
    if not len(frame):
        problems.append(Problem(name, None, no_tickets_reason(frame, option="as_of:")))
        return {}
    return team_names(frame)


def no_tickets_reason(frame, *, option: str = "--as-of") -> str:
    """One line saying why a loaded export has no tickets left, from its data-quality
    records (``frame.attrs['data_quality']``), with what would keep them; ``option``
    names the as-of setting (``--as-of`` on the command line, ``as_of:`` in a file)."""
    records = frame.attrs.get("data_quality") or []
    import pandas as pd

    from .tickets import data_quality

    quality = data_quality(frame)                     # English, as every refusal
    read = next((r.rows for r in quality.itertuples() if r.code == "rows_read"), None)
    parts, advice = [], []
    for r, record in zip(quality.itertuples(), records):
        n = int(r.rows) if pd.notna(r.rows) else 0
        if r.severity != "dropped" or not n:
            continue
        if r.code == "created_after_as_of":
            when = (record.get("values") or {}).get("limit")
            if frame.attrs.get("as_of") is None:      # none given: the limit was now
                parts.append(f"created after now ({when}, in the zone furthest ahead, "
                             "UTC+14): dates in the future")
                advice.append("check the export's created_at dates, or say when it was "
                              f"taken ({option})")
            else:
                parts.append(f"created after the as-of time {when}")
                advice.append(f"a later as-of time ({option}) keeps them")
        elif r.code == "blank_team":
            parts.append("without a team (unassigned: drop)")
            advice.append("unassigned: keep keeps them as team 'unassigned'")
        elif r.code == "row_dropped":
            where = f" in {r.column}" if isinstance(r.column, str) else ""
            parts.append(f"bad{where} ({r.detail})")
            advice.append("fix those rows or the mapping")
        else:
            parts.append(f"{r.check} ({r.detail})" if r.detail else str(r.check))
        parts[-1] = (n, parts[-1])
    rows = f"{read:,} rows" if read is not None else "the rows"
    if not parts:
        return f"no tickets left of the {rows} read"
    if len(parts) == 1 and parts[0][0] == read:
        text = f"no tickets left: all {rows} were {parts[0][1]}"
    else:
        text = (f"no tickets left of the {rows} read: "
                + "; ".join(f"{n:,} {'was' if n == 1 else 'were'} {what}"
                            for n, what in parts))
    return text + ("; " + "; ".join(dict.fromkeys(advice)) if advice else "")


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
            name = UNASSIGNED_NAME           # tickets with a blank team
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

    key = export_key(p)
    if key not in _EXPORTS:
        if p.mapping not in (None, "auto"):    # a mapping file that cannot be read:
            load_yaml_file(load_mapping, p.mapping)   # a ConfigError, not a traceback
        _EXPORTS.clear()              # the previous export goes before this one is read
        frame = load_tickets(p.tickets, **p.ticket_options())
        _EXPORTS[key] = frame
    return _EXPORTS[key]


def file_identity(path) -> tuple[str, int, int]:
    """A file as it is now: its resolved path, size and modification time (a
    changed file is another file).  Raises OSError when it cannot be looked at."""
    path = Path(path)
    st = path.stat()
    return str(path.resolve()), st.st_size, st.st_mtime_ns


def export_key(p: ReportParams) -> tuple:
    """An export as ``p`` reads it: the file as it is now (:func:`file_identity`)
    and the reading options.  Raises OSError when the file cannot be looked at."""
    return (*file_identity(p.tickets),
            *sorted((k, str(v)) for k, v in p.ticket_options().items()))


def export_id(p: ReportParams) -> str:
    """:func:`export_key` as a key of a run's prepared index
    (:func:`servicekpi.report.inputs.prepare`; "" when the file cannot be looked at)."""
    import json
    try:
        return json.dumps(export_key(p))
    except OSError:
        return ""


def prepared_index(prepared) -> dict:
    """The index of a run's prepared inputs (:func:`servicekpi.report.inputs.prepare`):
    export id -> what was prepared of it; empty for None."""
    if prepared is None:
        return {}
    import json
    try:
        return json.loads(Path(prepared).read_text())
    except (OSError, ValueError) as exc:
        raise DataError(f"prepared inputs cannot be read ({exc}); run the report "
                        "without them", source=str(prepared)) from None


def clear_export_cache() -> None:
    _EXPORTS.clear()


def by_export(all_params: list[ReportParams]) -> dict[tuple, list[ReportParams]]:
    """Teams grouped by the ticket export they read, and how: (tickets,
    *sorted(ticket_options().items())) -> their parameters.  Each group is loaded
    once, whatever freqs its teams report on."""
    groups: dict[tuple, list[ReportParams]] = {}
    for p in all_params:
        key = (str(p.tickets), *sorted((k, str(v)) for k, v in p.ticket_options().items()))
        groups.setdefault(key, []).append(p)
    return groups


def load_yaml_file(load, path):
    """``load(path)`` for a loader of a YAML file (a catalogue, a column mapping), its
    file not UTF-8 or nested too deeply refused as a :class:`ConfigError` naming it."""
    try:
        return load(path)
    except (UnicodeDecodeError, RecursionError) as exc:
        raise ConfigError(yaml_problem(exc), source=str(path)) from None


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
        except (UnicodeDecodeError, RecursionError) as exc:   # the file itself, once
            problems.append(Problem(str(p.mapping), None, yaml_problem(exc)))
        except ConfigError as exc:
            if Path(str(p.mapping)).is_file():   # the mapping file's own problems, once
                problems += exc.problems
            else:                               # a preset or file name mistyped: here
                problems.append(Problem(source, "mapping", str(exc)))
        except ServiceKPIError as exc:
            problems.append(Problem(source, "mapping", str(exc)))
    if p.kpi_list and Path(p.catalogue).is_file():
        try:
            cat = load_yaml_file(load_catalogue, p.catalogue)
        except ConfigError as exc:
            problems += exc.problems
        else:
            for k in p.kpi_list:
                if k not in cat:
                    problems.append(Problem(source, "kpi_list", f"KPI {k!r} is not in the "
                                            f"catalogue {p.catalogue}"))
    return problems


def _problems(exc: ServiceKPIError, source) -> list[Problem]:
    return list(getattr(exc, "problems", None) or [Problem(str(source), None, str(exc))])


def check_inputs(all_params: list[ReportParams], *, unused: list[Problem] | None = None):
    """Open every input the parameters name, the way a report will
    (:func:`servicekpi.report.inputs.load_inputs`: each ticket export read in
    full once, each other file once; a wrong row of a shared targets file or
    KPI table concerns only the team it names).

    Returns ``(errors, kpis)``: team id -> the problems that stop its report
    (a problem with a whole file is listed for every team that uses it), and
    the KPIs computed from the tickets, a frame per freq, of these teams.
    ``unused``, when given, receives a problem per targets file or KPI table
    whose filled-in rows name a team none of these reports is for.
    """
    from .report.inputs import load_inputs

    inputs = load_inputs(all_params)
    if unused is not None:
        unused += inputs.unused
    return inputs.problems, list(inputs.computed.values())


def _listed(items: list[str], most: int = 20) -> str:
    shown = ", ".join(items[:most])
    return shown + (f", ... ({len(items)} in all)" if len(items) > most else "")


def _raw_table(path, key: str):
    """A targets file or KPI table as its loader reads it, before checking."""
    from .readers import read_table
    from .tables import _targets_yaml

    if key == "targets" and Path(path).suffix.lower() in (".yaml", ".yml"):
        return _targets_yaml(Path(path))
    return read_table(path)


def _unknown_team_rows(raw, source: str, key: str, known: set[str],
                       exports: list[str]) -> list[Problem]:
    """Rows of a targets file, KPI table or competency file naming a team not in
    ``known`` (the teams of the reports using it and of their ``exports``): rows no
    report shows.  Targets rows left blank (a template's) are skipped as the loader
    skips them."""
    import numpy as np

    from .contracts import FIRST_ROW
    from .errors import problem_at
    from .parsing import parse_text, text_missing

    if "team" not in raw.columns or not len(raw):
        return []
    raw = raw.reset_index(drop=True)
    names = parse_text(raw["team"])[0]
    ids = to_ids(names)
    filled = np.ones(len(raw), bool)
    if key == "targets" and {"target", "deadline"} <= set(raw.columns):
        filled = ~(text_missing(raw["target"]) & text_missing(raw["deadline"]))
    stray = (ids.notna() & ~ids.isin(list(known))).to_numpy(dtype=bool) & filled
    if not stray.any():
        return []
    what = {"targets": "targets", "competencies": "competency scores",
            "competency_targets": "competency targets"}.get(key, "KPI values")
    # one problem per team named: each with its own rows (a report reads them to say
    # which of a team's targets went to a team spelt like it)
    out = []
    for tid in dict.fromkeys(ids[stray]):
        at = np.flatnonzero(stray & (ids == tid).to_numpy(dtype=bool))
        out.append(problem_at(source, "team", f"team not in {' or '.join(exports)} nor in "
                              f"the parameters (known team ids: {_listed(sorted(known))}): "
                              f"these {what} would never be shown; fix the team or remove "
                              "the rows", at + FIRST_ROW, list(names.to_numpy(dtype=object)[at])))
    return out


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


#: Parameter and column names that are also words a reader sees as table headers and
#: labels (in English: "team", "period", "value"): a Chinese page words them, so
#: :func:`parameter_words` leaves them out.
READER_WORDS = frozenset({"team", "period", "value", "values", "name", "title", "description",
                          "columns", "language", "kpi", "freq", "mapping"})


def parameter_words() -> frozenset[str]:
    """The names a user types that a text may quote as they are: the keys of
    report parameters (``targets``, ``kpi_table``) and of column mappings
    (``decimal``), the options a key takes (``bad_rows: drop``), ticket and
    KPI-table columns (``is_complaint``), YAML's ``true``/``false`` and the
    command ``servicekpi``; not
    :data:`READER_WORDS` nor the frequencies (``month``, ``week``), which a
    reader sees in words."""
    import typing

    from .mapping import Mapping
    from .schema import KPI_TABLE_COLUMNS, TICKET_COLUMNS

    words = {*TICKET_COLUMNS, *KPI_TABLE_COLUMNS, "true", "false", "servicekpi"}
    for model in (ReportParams, Mapping):
        for name, field in model.model_fields.items():
            words.add(name)
            if name != "freq" and typing.get_origin(field.annotation) is typing.Literal:
                words.update(v for v in typing.get_args(field.annotation) if isinstance(v, str))
    return frozenset(words - READER_WORDS)
