"""The KPI catalogue: what each KPI means and which way is better.

A YAML file (``params/catalogue.yaml``)::

    kpis:
      fcr_rate:
        label: First-contact resolution
        label_zh: 首次解决率
        unit: share          # share (0-1), hours, minutes, score, points, count, ...
        format: "{:.1%}"      # a Python format, or "duration" for hours/minutes
        direction: higher    # higher | lower | neutral (neutral: not targetable)
        perspective: internal_process
        bounds: [0, 1]       # optional: the range the KPI lives in
        source: tickets      # tickets (computed) | table (from the KPI table)
        definition: Resolved tickets needing one contact / resolved tickets ...

Every later analysis reads directions from here, so a lower-is-better KPI is
never mistaken for a higher-is-better one.
"""
from __future__ import annotations

from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, ValidationError, field_validator, model_validator

from .errors import ConfigError, Problem
from .mapping import pydantic_problems

PERSPECTIVES = ("financial", "customer", "internal_process", "learning_growth")


class KPIDef(BaseModel):
    """One catalogue entry."""

    model_config = ConfigDict(extra="forbid")
    label: str
    label_zh: str | None = None
    unit: str
    format: str = "{:.2f}"
    direction: Literal["higher", "lower", "neutral"]
    perspective: Literal["financial", "customer", "internal_process", "learning_growth"]
    bounds: tuple[float | None, float | None] | None = None
    source: Literal["tickets", "table"] = "tickets"
    definition: str = ""

    @field_validator("format")
    @classmethod
    def _fmt(cls, v):
        if v == "duration":
            return v
        try:
            v.format(0.5)
        except Exception:
            raise ValueError(f"not a Python format string for one number: {v!r}") from None
        return v

    @model_validator(mode="after")
    def _bounds(self):
        if self.bounds and None not in self.bounds and self.bounds[0] >= self.bounds[1]:
            raise ValueError(f"bounds {list(self.bounds)}: lower must be below upper")
        return self

    def fmt(self, value) -> str:
        """Format a value with the KPI's number format ('–' for missing).

        ``format: duration`` (for units hours or minutes) picks the unit that
        reads best: 40 s, 12.5 min, 5.2 h, 3.1 d.
        """
        try:
            if value is None or value != value:
                return "–"
            if self.format == "duration":
                return _duration(value * (3600 if self.unit == "hours" else 60))
            return self.format.format(value)
        except (TypeError, ValueError):
            return str(value)

    def fmt_change(self, delta) -> str:
        """Format a difference of two values: shares in percentage points."""
        if delta is None or delta != delta:
            return "–"
        if self.unit == "share":
            return f"{delta * 100:+.1f} pp"
        text = self.fmt(delta)
        return text if text.startswith(("+", "-", "−")) else ("+" + text if delta > 0 else text)

    @property
    def sign(self) -> int:
        """+1 when higher is better, -1 when lower is better, 0 for neutral KPIs.

        Multiplying a difference by ``sign`` makes positive mean "better"."""
        return {"higher": 1, "lower": -1}.get(self.direction, 0)

    def better(self, a: float, b: float) -> bool:
        """True when ``a`` is strictly better than ``b`` for this KPI."""
        if self.direction == "higher":
            return a > b
        if self.direction == "lower":
            return a < b
        return False


def _duration(seconds: float) -> str:
    sign, s = ("-" if seconds < 0 else ""), abs(seconds)
    if s < 90:
        return f"{sign}{s:.0f} s"
    if s < 90 * 60:
        return f"{sign}{s / 60:.1f} min"
    if s < 48 * 3600:
        return f"{sign}{s / 3600:.1f} h"
    return f"{sign}{s / 86400:.1f} d"


class Catalogue(BaseModel):
    """KPI name -> :class:`KPIDef`, in report order."""

    model_config = ConfigDict(extra="forbid")
    kpis: dict[str, KPIDef]

    def __contains__(self, name) -> bool:
        return name in self.kpis

    def __getitem__(self, name) -> KPIDef:
        try:
            return self.kpis[name]
        except KeyError:
            raise KeyError(f"KPI {name!r} is not in the catalogue") from None

    def __iter__(self):
        return iter(self.kpis)

    def names(self) -> list[str]:
        return list(self.kpis)

    def label(self, name: str, language: str = "en") -> str:
        d = self.kpis.get(name)
        if d is None:
            return name
        return (d.label_zh or d.label) if language == "zh" else d.label

    def table(self):
        """The catalogue as a DataFrame (one row per KPI)."""
        import pandas as pd
        return pd.DataFrame([{"kpi": k, **d.model_dump()} for k, d in self.kpis.items()])


def load_catalogue(path) -> Catalogue:
    """Load and validate a catalogue YAML; errors name the file and the key."""
    path = Path(path)
    if not path.is_file():
        raise ConfigError("catalogue file not found", source=str(path))
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise ConfigError(f"not valid YAML: {exc}", source=str(path)) from None
    if not isinstance(data, dict) or not isinstance(data.get("kpis"), dict):
        raise ConfigError([Problem(str(path), "kpis", "expected a mapping 'kpis:' of KPI "
                                   "name -> definition")], source=str(path))
    try:
        return Catalogue.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(pydantic_problems(exc, str(path)), source=str(path)) from None


def check_ticket_kpis_listed(cat: Catalogue, source: str) -> None:
    """Every KPI the engine computes must be in the catalogue."""
    from .kpis import TICKET_KPIS
    missing = [k for k in TICKET_KPIS if k not in cat]
    if missing:
        raise ConfigError([Problem(source, "kpis", f"KPI computed from tickets but not in "
                                   f"the catalogue: {k}") for k in missing], source=source)


def default_catalogue() -> Catalogue:
    """The project's catalogue (``params/catalogue.yaml``)."""
    from .config import CATALOGUE
    return load_catalogue(CATALOGUE)


def resolve(catalogue) -> Catalogue:
    """A Catalogue from a Catalogue, a path, or None (the project's catalogue)."""
    if catalogue is None:
        return default_catalogue()
    if isinstance(catalogue, Catalogue):
        return catalogue
    return load_catalogue(catalogue)
