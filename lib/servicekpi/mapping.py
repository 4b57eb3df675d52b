"""Column mappings: load an export with its own column names and spellings.

A mapping is a YAML file::

    name: zendesk
    columns:                 # canonical name: source column (or a derivation)
      ticket_id: Id
      created_at: Created at
      first_response_at: {source: First reply time in minutes, minutes_after: created_at}
      reopened: {source: Reopens, nonzero: true}
    values:                  # per canonical column: source value -> canonical value
      channel: {Mail: email, Voice: phone}
    true_values: [Ja]        # extra spellings of true/false for every boolean column
    false_values: [Nein]
    timezone: UTC            # zone of naive timestamps; aware ones are converted to it
    dayfirst: false          # 05/03/2024 is 5 March when true

Presets ship with the package (``zendesk``, ``servicenow``): pass the name
instead of a path.  Derivations: ``minutes_after`` (a timestamp = another
canonical timestamp plus a number of minutes) and ``nonzero`` (a boolean =
a count above zero).
"""
from __future__ import annotations

from pathlib import Path
from typing import Union

import numpy as np
import pandas as pd
import yaml
from pydantic import BaseModel, ConfigDict, ValidationError, field_validator

from .errors import ConfigError, Problem
from .schema import TICKET_COLUMNS

PRESET_DIR = Path(__file__).with_name("mappings")


class Derived(BaseModel):
    model_config = ConfigDict(extra="forbid")
    source: str
    minutes_after: str | None = None
    nonzero: bool = False


class Mapping(BaseModel):
    """A validated column mapping (see the module docstring for the format)."""

    model_config = ConfigDict(extra="forbid")
    name: str = "custom"
    description: str = ""
    columns: dict[str, Union[str, Derived]] = {}
    values: dict[str, dict[str, Union[str, bool, int, float]]] = {}
    true_values: list[str] = []
    false_values: list[str] = []
    timezone: str = "UTC"
    dayfirst: bool = False

    @field_validator("columns", "values")
    @classmethod
    def _canonical_keys(cls, v):
        unknown = [k for k in v if k not in TICKET_COLUMNS]
        if unknown:
            raise ValueError(f"unknown canonical column(s) {unknown}; expected some of "
                             f"{', '.join(TICKET_COLUMNS)}")
        return v

    @field_validator("timezone")
    @classmethod
    def _zone(cls, v):
        try:
            pd.Timestamp("2024-01-01", tz=v)
        except Exception:
            raise ValueError(f"unknown time zone {v!r}") from None
        return v


def presets() -> list[str]:
    """Names of the mapping presets shipped with servicekpi."""
    return sorted(p.stem for p in PRESET_DIR.glob("*.yaml"))


def load_mapping(spec) -> Mapping:
    """Load a mapping from a preset name, a YAML path, a dict or a Mapping."""
    if spec is None or isinstance(spec, Mapping):
        return spec or Mapping()
    source = "mapping"
    if isinstance(spec, dict):
        data = spec
    else:
        path = Path(spec)
        if not path.exists() and (PRESET_DIR / f"{spec}.yaml").exists():
            path = PRESET_DIR / f"{spec}.yaml"
        source = str(path)
        if not path.is_file():
            raise ConfigError(f"mapping file not found (presets: {', '.join(presets())})",
                              source=source)
        try:
            data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        except yaml.YAMLError as exc:
            raise ConfigError(f"not valid YAML: {exc}", source=source) from None
    try:
        return Mapping.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(pydantic_problems(exc, source), source=source) from None


def pydantic_problems(exc: ValidationError, source: str) -> list[Problem]:
    """Turn a pydantic ValidationError into Problems naming each key."""
    out = []
    for err in exc.errors():
        key = ".".join(str(x) for x in err["loc"]) or None
        msg = err["msg"]
        if err["type"] == "extra_forbidden":
            msg = "unknown key"
        out.append(Problem(source, key, msg))
    return out


def apply_mapping(raw: pd.DataFrame, mapping: Mapping, source: str
                  ) -> tuple[pd.DataFrame, list[Problem], list[str]]:
    """Rename/derive columns and translate values.

    Returns the frame with canonical names, problems (a required canonical
    column whose mapped source column is absent) and notes (optional mapped
    columns that are absent).
    """
    problems: list[Problem] = []
    notes: list[str] = []
    out = raw.copy()
    renames: dict[str, str] = {}
    derived: dict[str, Derived] = {}
    for canon, src in mapping.columns.items():
        src_col = src if isinstance(src, str) else src.source
        if src_col not in raw.columns:
            msg = (f"mapping '{mapping.name}' reads canonical column '{canon}' from "
                   f"'{src_col}', which is not in the file")
            if TICKET_COLUMNS[canon].required:
                problems.append(Problem(source, src_col, msg))
            else:
                notes.append(msg)
            continue
        if isinstance(src, str):
            renames[src_col] = canon
        else:
            derived[canon] = src
    # canonical-named columns already in the file but also mapped from elsewhere
    # are replaced by the mapped one
    clash = [c for c in renames.values() if c in out.columns and c not in renames]
    out = out.drop(columns=clash).rename(columns=renames)
    for canon, d in derived.items():
        out[canon] = raw[d.source].values  # typed later; derivation after parsing
    for canon, d in list(derived.items()):
        base = d.minutes_after
        if base is not None and (base not in TICKET_COLUMNS or
                                 TICKET_COLUMNS[base].kind != "timestamp" or
                                 base not in out.columns):
            problems.append(Problem(source, canon, f"mapping '{mapping.name}' derives "
                                    f"'{canon}' as minutes after '{base}', which is not a "
                                    "timestamp column of the file"))
            del derived[canon]
        elif base is None and not d.nonzero:
            problems.append(Problem(source, canon, f"mapping '{mapping.name}': a derived "
                                    "column needs 'minutes_after' or 'nonzero: true'"))
            del derived[canon]
    out.attrs["derived"] = {k: v.model_dump() for k, v in derived.items()}
    for canon, table in mapping.values.items():
        if canon in out.columns and table:
            lookup = {str(k).strip().lower(): v for k, v in table.items()}
            col = out[canon]
            key = col.astype("string").str.strip().str.lower()
            mapped = key.map(lookup)
            hit = mapped.notna().to_numpy(dtype=bool)
            if hit.any():
                col = col.astype(object)
                col[hit] = mapped[hit].to_numpy(dtype=object)
                out[canon] = col
    return out, problems, notes


def apply_derivations(frame: pd.DataFrame, derived: dict) -> None:
    """Finish derived columns once their sources are typed (in place)."""
    for canon, d in derived.items():
        if d.get("minutes_after"):
            base = frame[d["minutes_after"]]
            mins = pd.to_numeric(frame[canon], errors="coerce")
            frame[canon] = base + pd.to_timedelta(mins, unit="min")
        elif d.get("nonzero"):
            vals = pd.to_numeric(frame[canon], errors="coerce")
            frame[canon] = pd.array(np.where(vals.isna(), None, vals > 0), dtype="boolean")
