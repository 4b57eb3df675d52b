"""Report parameters: shared defaults plus one file per team, one typed schema.

Layout of a parameter folder::

    params/
      defaults.yaml        # keys shared by every team
      catalogue.yaml       # the KPI catalogue (referenced by `catalogue:`)
      teams/<team>.yaml    # one per team: at least `team:`; overrides defaults

Relative paths are relative to the file that names them.  :func:`load_params`
checks every file before anything runs and reports all problems at once:
unknown keys, wrong types, unsafe team ids, KPIs not in the catalogue,
missing data files.
"""
from __future__ import annotations

import re
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from .catalogue import load_catalogue
from .errors import ConfigError, Problem, ServiceKPIError
from .mapping import load_mapping, pydantic_problems

#: A team id becomes a file name: letters, digits, '_', '-', '.', not leading '.'.
TEAM_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.\-]{0,99}$")
PATH_KEYS = ("tickets", "kpi_table", "benchmarks", "targets", "catalogue", "competencies",
             "competency_targets")


class ReportParams(BaseModel):
    """Everything one team report needs (the notebook's parameters)."""

    model_config = ConfigDict(extra="forbid")
    team: str = Field(description="team id as in the ticket export; also the file name")
    display_name: str | None = Field(None, description="name shown in reports")
    title: str = "Customer service KPI report"
    period: Literal["month", "week", "quarter"] = "month"
    tickets: Path
    mapping: str | None = Field(None, description="mapping preset name or YAML path")
    bad_rows: Literal["raise", "drop"] = Field(
        "raise", description="refuse an export with bad rows, or drop them and report them")
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
        if not TEAM_ID.match(v) or ".." in v:
            raise ValueError(f"team id {v!r} is not safe as a file name: use letters, "
                             "digits, '_', '-' and '.', not starting with '.' and "
                             "without '..' or path separators")
        return v

    @property
    def name(self) -> str:
        return self.display_name or self.team

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


def load_params(params_dir, teams: list[str] | None = None) -> list[ReportParams]:
    """Load and check every team's parameters; raise one ConfigError listing all problems."""
    params_dir = Path(params_dir)
    problems: list[Problem] = []
    if not params_dir.is_dir():
        raise ConfigError("parameter folder not found", source=str(params_dir))
    defaults_path = params_dir / "defaults.yaml"
    defaults = {}
    if defaults_path.is_file():
        defaults = _resolve(_read_yaml(defaults_path, problems) or {}, params_dir)
    team_files = sorted((params_dir / "teams").glob("*.y*ml"))
    if not team_files:
        problems.append(Problem(str(params_dir / "teams"), None,
                                "no team parameter files (teams/<team>.yaml)"))
    out: list[ReportParams] = []
    seen: dict[str, Path] = {}
    for path in team_files:
        data = _read_yaml(path, problems)
        if data is None:
            continue
        merged = {**defaults, **_resolve(data, path.parent)}
        if "team" not in data:
            merged.setdefault("team", path.stem)
        try:
            p = ReportParams.model_validate(merged)
        except ValidationError as exc:
            problems += pydantic_problems(exc, str(path))
            continue
        if teams is not None and p.team not in teams:
            continue
        if p.team in seen:
            problems.append(Problem(str(path), "team", f"team {p.team!r} also defined in "
                                    f"{seen[p.team]}"))
        seen[p.team] = path
        problems += check_params(p, str(path))
        out.append(p)
    if teams is not None:
        for t in teams:
            if t not in seen:
                problems.append(Problem(str(params_dir / "teams"), "team",
                                        f"no parameter file for team {t!r}"))
    if problems:
        raise ConfigError(problems, source=str(params_dir))
    return out


def by_export(all_params: list[ReportParams]) -> dict[tuple, list[ReportParams]]:
    """Teams grouped by the ticket export they read, and how: (tickets, mapping,
    period, bad_rows) -> their parameters.  Each group is loaded once."""
    groups: dict[tuple, list[ReportParams]] = {}
    for p in all_params:
        groups.setdefault((str(p.tickets), p.mapping, p.period, p.bad_rows), []).append(p)
    return groups


def check_params(p: ReportParams, source: str) -> list[Problem]:
    """Problems with the files and KPIs one parameter set names."""
    problems = []
    for key in PATH_KEYS:
        path = getattr(p, key)
        if path is not None and not Path(path).is_file():
            problems.append(Problem(source, key, f"file not found: {path}"))
    if p.mapping is not None:
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
