"""Shared pieces of the report layer: notes, display, table style and the
small formatting helpers both reports use."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
from pydantic import ValidationError

from .. import config, literal
from ..errors import ConfigError, DataError, Problem
from ..mapping import pydantic_problems
from ..params import ReportParams
from ..periods import coverage_end, label

BETTER, WORSE = "#d9f0d3", "#f6d5d1"

STATUS_STYLE = {"met": "background-color: #b7e1c1",
                "missed": "background-color: #c62828; color: #ffffff",
                "on_track": "background-color: #d9f0d3",
                "at_risk": "background-color: #ffe8a3", "off_track": "background-color: #f6c1bb",
                "insufficient_data": "background-color: #e0e0e0"}


def _baseline(d, value, period, periods) -> str:
    """A target's baseline with the period(s) it averages: "78.1% (2025-12)" or
    "78.1% (2025-10 to 2025-12, mean of 3)"."""
    if periods and periods > 1:
        first = pd.Period(period) - (int(periods) - 1)
        return f"{d.fmt(value)} ({label(first)} to {label(period)}, mean of {int(periods)})"
    return f"{d.fmt(value)} ({label(period)})"


def _pct(v, digits=0) -> str:
    return "–" if v is None or not np.isfinite(v) else f"{100 * v:.{digits}f}%"


class Note(str):
    """One sentence shown in place of a section's table or figure (its input is
    absent, or it has nothing to show).  Displays as Markdown in a notebook,
    as literal text (it may quote KPI labels, names, categories)."""

    def _repr_markdown_(self) -> str:
        return f"*{literal.md(str(self))}*"


def show(*items) -> None:
    """Display report items in a notebook cell, in order.

    A :class:`Note` shows as an italic sentence, any other ``str`` as
    Markdown, a matplotlib Figure as an image (then closed, so the inline
    backend does not show it twice), anything else (Styler, DataFrame) as
    it is.  None is skipped: a figure that has nothing to draw draws nothing.
    """
    import matplotlib.pyplot as plt
    from IPython.display import Markdown, display
    from matplotlib.figure import Figure

    for item in items:
        if item is None:
            continue
        if isinstance(item, Note):
            display(Markdown(item._repr_markdown_()))
        elif isinstance(item, str):
            display(Markdown(item))
        elif isinstance(item, Figure):
            display(item)
            plt.close(item)
        else:
            display(item)


def styled(frame: pd.DataFrame):
    """A plain table for a report: no index, every cell and label literal text."""
    return literal.table(frame)


def _stamp(value) -> str:
    return "unknown" if value is None else pd.Timestamp(value).strftime("%Y-%m-%d %H:%M")


def _coverage(tickets: pd.DataFrame, p: ReportParams) -> pd.Timestamp | None:
    """When the team's export ends: the loader's as-of time, exact when the
    parameters declare it, else to the end of its day."""
    return coverage_end(tickets.attrs.get("as_of") or p.as_of, declared=p.as_of is not None)


def _params(parameters: dict) -> ReportParams:
    """Validate notebook parameters; the catalogue defaults to the project's."""
    parameters = dict(parameters)
    if parameters.get("catalogue") is None:
        parameters["catalogue"] = config.CATALOGUE     # KPI definitions, not data
    if parameters.get("tickets") is None:
        raise ConfigError([Problem("report parameters", "tickets",
                                   "no ticket export named: set tickets to a CSV, Parquet "
                                   "or Excel file")], source="report parameters")
    try:
        return ReportParams.model_validate(parameters)
    except ValidationError as exc:
        raise ConfigError(pydantic_problems(exc, "report parameters"),
                          source="report parameters") from None


def _own_rows(table: pd.DataFrame, team: str, path) -> pd.DataFrame:
    """A shared file loaded with ``team_errors="drop"``: refuse it when ``team``'s
    own rows are wrong; other teams' wrong rows are only left out."""
    problems = (table.attrs.get("team_errors") or {}).get(team)
    if problems:
        raise DataError(problems, source=Path(path).name)
    return table


