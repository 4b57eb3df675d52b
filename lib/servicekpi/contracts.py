"""Check a raw frame against a table of :class:`~servicekpi.schema.Column`.

One mechanism for every input (tickets, KPI table, benchmarks, targets):
find missing required columns, type each column, check ranges and required
cells, and collect every problem with its rows and values.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from . import parsing
from .errors import Problem, problem_at
from .i18n import msg
from .periods import label
from .schema import Column
from .readers import release_memory
from .teams import to_ids
from .threads import in_order

#: Missing-value spellings that are still read as text in text columns (a
#: category or priority may well be called "None").
TEXT_KEEPS = frozenset({"none", "na", "nan", "nat", "-", "--"})

#: Row number of the first data row in a file (the header is row 1).
FIRST_ROW = 2


@dataclass
class Checked:
    """Typed columns plus everything found wrong with them."""

    columns: dict[str, pd.Series]
    problems: list[Problem] = field(default_factory=list)
    bad_rows: np.ndarray = None          # rows with row-level problems
    blanks: dict[str, np.ndarray] = field(default_factory=dict)  # optional column -> blank cells
    rownum: np.ndarray = None
    sentinels: dict[str, tuple] = field(default_factory=dict)  # column -> (count, examples)
    notes: list[tuple[str, tuple]] = field(default_factory=list)  # (column, ambiguous values)
    # columns read from one cell each (two canonical columns from one header): a cell
    # is listed once, under the first of them to refuse it
    same_cells: dict = field(default_factory=dict)    # column -> key shared with others
    flagged: dict = field(default_factory=dict)       # that key -> rows listed already
    column_errors: set = field(default_factory=set)  # columns refused as a whole (day
    # order, decimal mark): their unreadable cells follow from it and are not listed
    repeats: dict[str, np.ndarray] = field(default_factory=dict)  # key column -> rows
    # whose value another row has too (:func:`repeated`)

    def flag(self, source: str, column: str, mask: np.ndarray, message: str, values=None):
        """Record a row-level problem for the rows in ``mask``."""
        key = self.same_cells.get(column)
        if key is not None:       # a cell another column read from is listed once
            seen = self.flagged.get(key)
            if seen is not None:
                mask = mask & ~seen
            self.flagged[key] = mask if seen is None else seen | mask
        if not mask.any():
            return
        idx = np.flatnonzero(mask)
        vals = None if values is None else list(np.asarray(values, dtype=object)[idx[:5]])
        self.problems.append(problem_at(source, column, message, self.rownum[idx], vals))
        self.bad_rows |= mask


def check_columns(frame: pd.DataFrame, spec: dict[str, Column], source: str, *,
                  shown: dict[str, pd.Series] | None = None, skip=(),
                  timezone: str = "UTC", dayfirst: bool | None = None,
                  decimal: str = "auto", true_values=(), false_values=(),
                  na=parsing.NULL_TOKENS, rownum: np.ndarray | None = None,
                  required_columns: bool = True, compact_text: bool = False,
                  same_cells: dict | None = None,
                  day_order_advice: str = parsing.DECLARE_DAY_ORDER) -> Checked:
    """Type every column of ``spec`` present in ``frame`` and check it.

    ``shown`` gives, per canonical column, the original cells to quote in
    messages (e.g. before a value mapping); ``skip`` names columns to leave
    untyped (the caller types them).  Missing required columns are problems
    without rows (unless ``required_columns`` is False: the caller checks
    them).  ``rownum`` gives each row's line in the file (default: the
    header is line 1).  ``same_cells`` gives columns read from the same cells
    (two canonical columns from one header) a shared key: a cell both refuse
    is listed once, under the first.  Text comes back as objects (None for missing), or with
    ``compact_text`` in pandas' string dtype (see :func:`~servicekpi.parsing.parse_text`).

    Day order (``dayfirst``, None to decide from the data) and the decimal
    mark (``decimal``, ``"auto"`` to detect) are decided once per column: a
    column whose values contradict each other is a problem naming the column
    with examples.  Timestamps outside :data:`~servicekpi.parsing.YEAR_RANGE`
    are sentinels: missing, counted in ``sentinels``.
    """
    frame = frame.reset_index(drop=True)
    n = len(frame)
    res = Checked({}, bad_rows=np.zeros(n, bool), same_cells=dict(same_cells or {}),
                  rownum=np.arange(n) + FIRST_ROW if rownum is None else np.asarray(rownum))
    todo = [col for name, col in spec.items() if name in frame.columns and name not in skip]
    # each column looked up once, here: the threads typing them side by side only read
    cells_of = {col.name: frame[col.name] for col in todo}
    stamps = [col.name for col in todo if col.kind == "timestamp"]
    evidence = dict(zip(stamps, list(in_order(
        lambda name: parsing.day_order_evidence(cells_of[name]), stamps, keep_all=True))))
    pooled = {k: sum(e[k] for e in evidence.values()) for k in ("dayfirst", "monthfirst")}
    for col in spec.values():
        if required_columns and col.required and col.name not in frame.columns:
            res.problems.append(Problem(
                source, col.name, "required column is missing (columns found: "
                f"{', '.join(map(str, frame.columns[:30])) or 'none'})"))

    def typed(col: Column) -> _Typed:
        """One column typed (columns are typed side by side on threads): nothing
        shared is changed here; the problems are recorded after, in column order."""
        cells, t = cells_of[col.name], _Typed()
        if col.kind == "text":
            # a category or priority may be called "None" or "-"; a channel may not
            keeps = frozenset() if col.name == "channel" else TEXT_KEEPS
            t.values, t.bad = parsing.parse_text(cells, na=na - keeps,
                                                 compact=compact_text)
            if col.name == "team":  # every input names teams by the same ids
                t.values = to_ids(t.values)
            elif col.name == "channel":  # '-' names no channel, as it names no team
                t.values = parsing.with_a_word(t.values)
            if col.key:   # its repeats found here, beside the other columns' typing
                if pd.api.types.is_integer_dtype(cells.dtype):
                    # ids typed as integers (Parquet): equal as numbers when equal as text
                    t.repeats = repeated(cells) & t.values.notna().to_numpy()
                else:
                    t.repeats = repeated(t.values)
        elif col.kind == "timestamp":
            order, t.problem = parsing.decide_day_order(evidence[col.name], dayfirst,
                                                        fallback=pooled,
                                                        advice=day_order_advice)
            t.problem = t.problem or parsing.swapped_by_a_spreadsheet(cells, order)
            t.placeholders = parsing.sentinel_mask(cells)
            t.values, t.bad = parsing.parse_timestamps(cells, timezone=timezone,
                                                       dayfirst=order, na=na,
                                                       sentinel=t.placeholders)
            t.sentinel = t.placeholders & ~parsing.text_missing(cells, na)
        elif col.kind == "bool":
            t.values, t.bad = parsing.parse_booleans(cells, true_values=true_values,
                                                     false_values=false_values, na=na)
        else:
            mark, t.problem, t.ambiguous, t.stray = parsing.decide_decimal(cells, decimal)
            t.values, t.bad = parsing.parse_numbers(cells, integer=col.kind == "int",
                                                    decimal=mark, na=na)
            if t.stray is not None:     # not read with the column's mark: 0,7575 -> 7575
                t.values = t.values.mask(t.stray)
                t.bad = t.bad & ~t.stray
                t.mark = mark
            if t.bad.any():             # 85%: a share written as a percentage
                t.percent = t.bad & cells.astype("string").str.fullmatch(
                    r"\s*[-+]?\d+(?:[.,]\d+)?\s*%\s*").fillna(False).to_numpy(dtype=bool)
                t.bad = t.bad & ~t.percent
        return t

    # bounded (not keep_all): typing other text columns beside the ids' repeats
    # (then found by hashing) raised the peak memory of a 10M-row CSV by 0.8 GB
    for t, col in zip(in_order(typed, todo), todo):
        name, values, bad = col.name, t.values, t.bad
        quote = shown.get(name, cells_of[name]) if shown else cells_of[name]
        if t.problem:
            res.problems.append(Problem(source, _quoted_name(quote, name), t.problem))
            res.column_errors.add(name)
        if t.ambiguous:
            res.notes.append((name, t.ambiguous))
        if t.repeats is not None:
            res.repeats[name] = t.repeats
        if t.sentinel is not None and t.sentinel.any():
            res.sentinels[name] = (int(t.sentinel.sum()),
                                   [str(v) for v in np.asarray(quote, dtype=object)[
                                       np.flatnonzero(t.sentinel)[:3]]])
        if name in res.column_errors:   # refused as a whole: its cells are not listed
            res.bad_rows |= bad
        else:
            missing_day = np.zeros(len(bad), bool)
            if col.kind == "timestamp" and bad.any():
                # a date written as the column's others are, on a day its month lacks:
                # said as such, not as a format to change (31/Feb/24 in a Jira export)
                missing_day[np.flatnonzero(bad)] = parsing.no_such_day(
                    pd.Series(np.asarray(quote, dtype=object)[bad]))
                res.flag(source, name, missing_day, msg("data.reason.no_such_day"), quote)
            res.flag(source, name, bad & ~missing_day,
                     f"cannot read value: expected {col.expected()}", quote)
            if t.stray is not None:
                res.flag(source, name, t.stray, parsing.stray_mark_message(t.mark), quote)
                bad = bad | t.stray
            if t.percent is not None:
                res.flag(source, name, t.percent, f"cannot read value: expected "
                         f"{col.expected()}, without a percent sign (a share as 0.85 for "
                         "85%)", quote)
                bad = bad | t.percent
        if col.kind in ("int", "number"):
            v = values.to_numpy()
            with np.errstate(invalid="ignore"):
                outside = np.zeros(n, bool)
                if col.low is not None:
                    outside |= v < col.low
                if col.high is not None:
                    outside |= v > col.high
                # in range, but too large to hold exactly: an integer column's own limit
                huge = (np.abs(v) >= parsing.EXACT if col.kind == "int"
                        else np.zeros(n, bool)) & ~outside
            res.flag(source, name, outside, f"value out of range: expected {col.expected()}",
                     quote)
            res.flag(source, name, huge, f"value too large: expected {col.expected()}, "
                     f"below 2**53 = {parsing.EXACT:,.0f} (held exactly)", quote)
            refused = outside | huge
            if refused.any():
                values = values.where(~refused)
                bad = bad | refused          # refused cells are not blank ones
        absent = values.isna().to_numpy() & ~bad
        if col.required:
            if name in res.sentinels:   # 9999-12-31 is not an empty cell, but no date either
                placeholder = absent & t.placeholders
                res.flag(source, name, placeholder, "placeholder or out-of-range date "
                         f"(expected a date from {parsing.YEAR_RANGE[0]} to "
                         f"{parsing.YEAR_RANGE[1]})", quote)
                absent &= ~placeholder
            res.flag(source, name, absent, "empty cell in a required column")
        elif absent.any():
            res.blanks[name] = absent
        res.columns[name] = values
    if res.repeats:
        release_memory()   # the ids' sort (repeated), once the threads are done
    return res


@dataclass
class _Typed:
    """One column as :func:`check_columns` typed it, before its problems are recorded."""

    values: pd.Series = None
    bad: np.ndarray = None
    problem: str | None = None          # the column refused as a whole
    ambiguous: tuple = ()               # numbers whose decimal mark was assumed
    placeholders: np.ndarray = None     # timestamps: outside YEAR_RANGE (or missing)
    sentinel: np.ndarray | None = None  # timestamps: outside YEAR_RANGE, not blank
    repeats: np.ndarray | None = None   # a key column: rows whose value recurs
    stray: np.ndarray | None = None     # numbers: cells written with the other mark
    percent: np.ndarray | None = None   # numbers: cells written with a percent sign
    mark: str = "."                     # numbers: the column's decimal mark


def repeated(values: pd.Series) -> np.ndarray:
    """Rows whose value is not missing and occurs more than once (as
    ``duplicated(keep=False) & notna()``).  Sorted, so that repeats lie side by
    side: integers (ids typed by a Parquet export) by NumPy, text held by Arrow
    by Arrow's sort, in C, with no Python object per value.  At 10M text ids,
    Arrow's sort took 1.4 s and 0.3 GB beside the column, against 4.5 s and
    0.85 GB for its hash table (``dictionary_encode``); for integers 0.1-0.3 s
    against 0.9-1.2 s for hashing them."""
    import pyarrow as pa
    import pyarrow.compute as pc

    if pd.api.types.is_integer_dtype(values.dtype):
        known = values.notna().to_numpy()
        numbers = values.to_numpy(dtype=getattr(values.dtype, "numpy_dtype", values.dtype),
                                  na_value=0)
        ordered = np.sort(numbers[known])
        twice = np.unique(ordered[1:][ordered[1:] == ordered[:-1]])
        if not len(twice):
            return np.zeros(len(numbers), bool)
        at = np.searchsorted(twice, numbers).clip(max=len(twice) - 1)
        return known & (twice[at] == numbers)
    if isinstance(values.array, pd.arrays.ArrowStringArray):
        arr = pa.chunked_array(pa.array(values.array))
        if len(arr) < 2:
            return np.zeros(len(arr), bool)
        order = pc.array_sort_indices(arr)                 # missing values last
        ordered = arr.take(order).combine_chunks()
        same = pc.fill_null(pc.equal(ordered.slice(1), ordered.slice(0, len(ordered) - 1)),
                            False).to_numpy(zero_copy_only=False)
        del ordered
        twice = np.zeros(len(arr), bool)      # in sorted order: equal to a neighbour
        twice[1:] |= same
        twice[:-1] |= same
        out = np.empty(len(arr), bool)
        out[order.to_numpy()] = twice
        return out
    codes, _ = pd.factorize(values, use_na_sentinel=True)
    known = codes >= 0
    counts = np.bincount(codes[known], minlength=1)
    return known & (counts[np.where(known, codes, 0)] > 1)


def _quoted_name(quote, name: str) -> str:
    """The column's name in the file (for messages), else the canonical name."""
    return str(getattr(quote, "name", None) or name)


def duplicate_keys(checked: Checked, keys: list[str], source: str, what: str) -> None:
    """Flag rows that repeat a key (all ``keys`` equal), naming every copy."""
    if not all(k in checked.columns for k in keys):
        return
    key = pd.DataFrame({k: checked.columns[k] for k in keys})
    dup = key.duplicated(keep=False).to_numpy() & key.notna().all(axis=1).to_numpy()
    if not dup.any():
        return
    # a week as 2026-W02, as files write it
    shown = [" / ".join(map(label, r)) for r in key.itertuples(index=False)]
    checked.flag(source, keys[-1] if len(keys) == 1 else "+".join(keys), dup,
                 f"duplicate {what} (expected each {' + '.join(keys)} once)", shown)
