"""Team competencies: assessment scores against a target profile.

The seed documents' competency model has five dimensions: product expertise,
process discipline, adaptability, digital literacy and communication.

Inputs (CSV, Parquet or Excel):

- assessments: ``person, team, dimension, score`` (one row per person and
  dimension; scores on the assessment's scale, 1-5 by default);
- target profile: ``dimension, target`` with an optional ``team`` column for
  team-specific targets (rows without a team apply to every team).

A dimension's name for a reader comes from the message catalogue
(:func:`dimension_label`: ``analysis.competency.<dimension>``).
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from . import parsing
from .contracts import check_columns, duplicate_keys
from .errors import DataError
from .readers import read_table
from .schema import Column

DIMENSIONS = ("product_expertise", "process_discipline", "adaptability", "digital_literacy",
              "communication")


def dimension_label(dimension: str, language: str = "en") -> str:
    """A competency dimension's name for a reader ("Product expertise")."""
    from .i18n import code_words
    return code_words("analysis.competency", dimension, DIMENSIONS, language,
                      what="competency dimension")


def dimension_labels(language: str = "en") -> dict[str, str]:
    """Every dimension's name for a reader, ``{dimension: name}`` (the radar's labels)."""
    return {d: dimension_label(d, language) for d in DIMENSIONS}

ASSESSMENT_COLUMNS = {c.name: c for c in [
    Column("person", "text", required=True), Column("team", "text", required=True),
    Column("dimension", "text", required=True),
    Column("score", "number", required=True, low=1, high=5)]}
TARGET_COLUMNS = {c.name: c for c in [
    Column("dimension", "text", required=True),
    Column("target", "number", required=True, low=1, high=5), Column("team", "text")]}


def _dimensions(checked, source):
    dim = checked.columns.get("dimension")
    if dim is None:
        return
    norm = dim.where(dim.isna(), dim.astype(str).str.strip().str.lower()
                     .str.replace(r"[\s\-]+", "_", regex=True))
    checked.columns["dimension"] = norm
    bad = (~norm.isin(DIMENSIONS) & norm.notna()).to_numpy(dtype=bool)
    checked.flag(source, "dimension", bad, "unknown competency dimension (expected one of "
                 f"{', '.join(DIMENSIONS)})", dim)


def load_competencies(path, *, frame: pd.DataFrame | None = None) -> pd.DataFrame:
    """Load assessment scores; refuses unknown dimensions, scores outside 1-5,
    and a person assessed twice on one dimension."""
    source = Path(path).name if path is not None else "competencies"
    raw = read_table(path) if frame is None else frame
    checked = check_columns(raw, ASSESSMENT_COLUMNS, source,
                            day_order_advice=parsing.WRITE_YEAR_FIRST)
    _dimensions(checked, source)
    duplicate_keys(checked, ["person", "dimension"], source, "assessment")
    if checked.problems:
        raise DataError(checked.problems, source=source)
    return pd.DataFrame(checked.columns)[list(ASSESSMENT_COLUMNS)]


def load_competency_targets(path, *, frame: pd.DataFrame | None = None) -> pd.DataFrame:
    """Load the target profile (``dimension, target[, team]``)."""
    source = Path(path).name if path is not None else "competency targets"
    raw = read_table(path) if frame is None else frame
    checked = check_columns(raw, TARGET_COLUMNS, source,
                            day_order_advice=parsing.WRITE_YEAR_FIRST)
    _dimensions(checked, source)
    if "team" not in checked.columns:
        checked.columns["team"] = pd.Series([None] * len(raw), dtype=object)
    duplicate_keys(checked, ["team", "dimension"], source, "target")
    if checked.problems:
        raise DataError(checked.problems, source=source)
    return pd.DataFrame(checked.columns)[["team", "dimension", "target"]]


def _target_for(targets: pd.DataFrame, team: str) -> pd.Series:
    general = targets[targets["team"].isna()].set_index("dimension")["target"]
    own = targets[targets["team"] == team].set_index("dimension")["target"]
    return own.combine_first(general)


def competency_gaps(assessments: pd.DataFrame, targets: pd.DataFrame, *,
                    team: str | None = None) -> pd.DataFrame:
    """Team averages per dimension against the target profile.

    One row per team and dimension (a code of :data:`DIMENSIONS`; its name
    for a reader: :func:`dimension_label`): ``mean``, ``people``,
    ``target``, ``gap`` (target - mean; positive = short of the target) and
    ``share_below`` (share of the people below the target).
    """
    rows = []
    teams = [team] if team is not None else sorted(assessments["team"].unique())
    for t in teams:
        a = assessments[assessments["team"] == t]
        goal = _target_for(targets, t)
        for dim in DIMENSIONS:
            s = a.loc[a["dimension"] == dim, "score"]
            target = goal.get(dim, np.nan)
            rows.append({"team": t, "dimension": dim,
                         "mean": s.mean() if len(s) else np.nan, "people": len(s),
                         "target": target,
                         "gap": target - s.mean() if len(s) else np.nan,
                         # no target for the dimension: nobody is below it, n/a (not 0%)
                         "share_below": (float((s < target).mean())
                                         if len(s) and pd.notna(target) else np.nan)})
    return pd.DataFrame(rows)
