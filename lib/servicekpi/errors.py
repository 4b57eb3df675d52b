"""One exception hierarchy for everything servicekpi refuses.

``ServiceKPIError`` is the root: catch it to handle any refusal of this
package.  Every public function refuses with one of its subclasses::

    ServiceKPIError              root; ``except ServiceKPIError`` catches every refusal
    ├── InvalidArgument          an argument value a function refuses (an unknown
    │                            ``freq``, a KPI name not in the catalogue, ...);
    │                            also a ``ValueError``, so ``except ValueError`` works
    ├── DataError                input data breaks its contract (a ticket export,
    │                            a KPI table, benchmarks, targets)
    ├── ConfigError              a parameter, catalogue or column-mapping file is wrong
    ├── ReportError              a report could not be produced
    └── OutputError              an output cannot be written where it was asked for

:class:`DataError` and :class:`ConfigError` carry a list of :class:`Problem`
records so that every problem found is reported at once, each naming the
file, the column, the first offending rows and values, and what was expected.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Sequence

#: How many offending rows/values a problem quotes before saying "and N more".
MAX_EXAMPLES = 5


@dataclass(frozen=True)
class Problem:
    """One thing wrong with an input, with enough detail to find and fix it.

    Attributes
    ----------
    source : str
        File (or other source) the problem was found in.
    column : str or None
        Column (or parameter key) concerned; ``None`` for whole-file problems.
    message : str
        What is wrong and what was expected.
    rows : tuple of int
        Up to :data:`MAX_EXAMPLES` row numbers.  Row numbers are spreadsheet
        row numbers: the header is row 1, the first data row is row 2.
    values : tuple
        The offending values at those rows.
    count : int
        How many rows have this problem in all.
    """

    source: str
    column: str | None
    message: str
    rows: tuple[int, ...] = ()
    values: tuple[Any, ...] = ()
    count: int = 0

    def __str__(self) -> str:
        where = f"{self.source}"
        if self.column is not None:      # a parameters file has keys, not columns
            word = "key" if str(self.source).lower().endswith((".yaml", ".yml")) else "column"
            where += f", {word} '{self.column}'"
        text = f"{where}: {self.message}"
        if self.count:
            shown = ", ".join(
                f"row {r}" + ("" if v is _NO_VALUE else f" ({_short(v)})")
                for r, v in zip(self.rows, self.values or (_NO_VALUE,) * len(self.rows))
            )
            more = self.count - len(self.rows)
            text += f" [{self.count} row{'s' if self.count != 1 else ''}: {shown}"
            text += f", and {more} more]" if more > 0 else "]"
        return text


_NO_VALUE = object()


def _short(value: Any, width: int = 40) -> str:
    text = repr(value) if isinstance(value, str) else str(value)
    return text if len(text) <= width else text[: width - 3] + "..."


def problem_at(source: str, column: str | None, message: str,
               rows: Sequence[int], values: Sequence[Any] | None = None) -> Problem:
    """Build a :class:`Problem` from all offending rows, keeping the first few."""
    rows = list(rows)
    vals = tuple(values[:MAX_EXAMPLES]) if values is not None else ()
    return Problem(source, column, message, tuple(int(r) for r in rows[:MAX_EXAMPLES]),
                   vals, len(rows))


def unique(problems: Sequence[Problem]) -> list[Problem]:
    """``problems`` in order, each once (one file's problem found through several
    teams that use it is one problem)."""
    seen: set[str] = set()
    out = []
    for p in problems:
        key = f"{p!r}"
        if key not in seen:
            seen.add(key)
            out.append(p)
    return out


class ServiceKPIError(Exception):
    """Root of every error servicekpi raises on purpose."""


class InvalidArgument(ServiceKPIError, ValueError):
    """An argument value a function refuses (an unknown ``freq``, a KPI name that is
    not in the catalogue, an option out of range).

    Also a :class:`ValueError`, so callers written as ``except ValueError`` keep
    working.
    """


class _ProblemsError(ServiceKPIError):
    kind = "problem"

    def __init__(self, problems: Sequence[Problem] | str, source: str | None = None, *,
                 hints: Sequence[str] = ()):
        if isinstance(problems, str):
            problems = [Problem(source or "input", None, problems)]
        self.problems: list[Problem] = list(problems)
        self.source = source or (self.problems[0].source if self.problems else None)
        self.hints: list[str] = list(hints)   # what would fix it; not problems
        super().__init__(self._render())

    def __reduce__(self):
        # pickled whole (a process pool sends it back): the same problems and message
        return (_rebuild, (type(self), self.problems, self.source, self.hints))

    def _noun(self) -> str:
        """What the problems are: data problems when each is in a data file (an
        export, a targets table), whatever raised them (a parameters check lists
        the export's rows too), else the error's own kind; "problems" when mixed."""
        data = [_is_data_file(p.source) for p in self.problems]
        if all(data):
            return "data problem"
        return self.kind if not any(data) else "problem"

    def _render(self) -> str:
        n = len(self.problems)
        if n == 1:
            text = str(self.problems[0])
        else:
            head = f"{n} {self._noun()}s found"
            if self.source:
                head += f" in {self.source}"
            text = head + ":\n" + "\n".join(f"  - {p}" for p in self.problems)
        return text + "".join(f"\n  hint: {h}" for h in self.hints)


#: The endings of the files that hold data (exports, targets, benchmarks, KPI
#: tables), not parameters.
DATA_FILES = (".csv", ".tsv", ".txt", ".xlsx", ".xlsm", ".xls", ".parquet", ".pq", ".json")


def _is_data_file(source) -> bool:
    return str(source or "").lower().endswith(DATA_FILES)


def _rebuild(cls, problems, source, hints):
    return cls(problems, source, hints=hints)


class DataError(_ProblemsError):
    """Input data breaks its contract (missing columns, bad values, ...)."""

    kind = "data problem"


class ConfigError(_ProblemsError):
    """A parameter, catalogue or mapping file is wrong."""

    kind = "configuration problem"


class ReportError(ServiceKPIError):
    """A report could not be produced."""


class OutputError(ServiceKPIError):
    """An output cannot be written where it was asked for (a folder that is a file,
    one this process may not write in, a read-only file system)."""


def expect_team(frame, team, what: str = "the tickets") -> None:
    """Refuse a ``team`` that ``frame`` (tickets or a KPI table) has no row of,
    naming the teams it has (an analyst who writes a team's name, 'Billing Team',
    for its id gets that, not an empty table or a blank figure)."""
    if team is None or "team" not in getattr(frame, "columns", ()):
        return
    teams = set(frame["team"].astype(str))
    if str(team) not in teams:
        shown = sorted(teams)
        listed = ", ".join(shown[:20]) + (f", ... ({len(shown)} in all)" if len(shown) > 20
                                          else "")
        raise InvalidArgument(f"team {team!r} is not in {what}; their teams (ids): {listed}")


def expect_frame(value, name: str, what: str) -> None:
    """Refuse ``value`` for the argument ``name`` unless it is a DataFrame (or None,
    where the caller allows it): a path or anything else is named, with what the
    frame should be (``what``: "a KPI table from servicekpi.compute_kpis"), rather
    than failing inside pandas."""
    import pandas as pd

    if value is None or isinstance(value, pd.DataFrame):
        return
    shown = f"{type(value).__name__} {_short(value)}" if isinstance(value, (str, bytes)) \
        or hasattr(value, "__fspath__") else type(value).__name__
    raise InvalidArgument(f"{name}: expected {what}, not {shown}")
