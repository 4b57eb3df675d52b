"""Turn raw export cells into typed values, marking what cannot be read.

Each ``parse_*`` function takes one column (any dtype: strings from CSV,
typed values from Parquet or Excel) and returns ``(values, bad)`` where
``bad`` is a boolean mask of cells that are present but unreadable.  Missing
cells are never bad: they come back as missing values.
"""
from __future__ import annotations

import re

import numpy as np
import pandas as pd

#: Cell texts read as "missing" in typed (timestamp, number, boolean) columns.
NULL_TOKENS = frozenset({"", "null", "none", "nan", "nat", "n/a", "na", "#n/a", "-"})
TRUE_TOKENS = frozenset({"true", "t", "yes", "y", "1", "1.0"})
FALSE_TOKENS = frozenset({"false", "f", "no", "n", "0", "0.0"})

_AWARE = re.compile(r"(?:[zZ]|[+-]\d{2}:?\d{2})\s*$")
# Excel stores dates as days since 1899-12-30; accept serials for 1954-2173.
_EXCEL_EPOCH = pd.Timestamp("1899-12-30")
_EXCEL_MIN, _EXCEL_MAX = 20000, 100000


def _is_texty(s: pd.Series) -> bool:
    return s.dtype == object or isinstance(s.dtype, pd.StringDtype)


def text_missing(s: pd.Series) -> np.ndarray:
    """Mask of missing cells: NA, or (for text) a null token such as '' or 'N/A'."""
    miss = s.isna().to_numpy().copy()
    if _is_texty(s):
        low = s.astype("string").str.strip().str.lower()
        miss |= low.isin(NULL_TOKENS).fillna(True).to_numpy(dtype=bool)
    return miss


def parse_text(s: pd.Series) -> tuple[pd.Series, np.ndarray]:
    """Strip text; empty cells become missing.  Nothing is ever bad."""
    out = s.astype("string").str.strip()
    out = out.mask(out == "")
    return out.astype(object).where(out.notna(), None), np.zeros(len(s), bool)


def parse_timestamps(s: pd.Series, *, timezone: str = "UTC",
                     dayfirst: bool = False) -> tuple[pd.Series, np.ndarray]:
    """Parse timestamps to naive ``datetime64[ns]`` in ``timezone``.

    Accepts ISO 8601 (with or without an offset), the usual spreadsheet forms
    (``2024-03-05 14:30``, ``05/03/2024 14:30`` -- day first only when
    ``dayfirst``), Excel serial day numbers and typed datetimes.  Values with
    an offset or a zone are converted to ``timezone``; values without one are
    taken to be in ``timezone`` already.  Either way the result is naive, so
    aware and naive exports compare consistently.
    """
    n = len(s)
    if pd.api.types.is_datetime64_any_dtype(s.dtype):
        if getattr(s.dt, "tz", None) is not None:
            s = s.dt.tz_convert(timezone).dt.tz_localize(None)
        return s.astype("datetime64[ns]").reset_index(drop=True), np.zeros(n, bool)

    out = pd.Series(pd.NaT, index=range(n), dtype="datetime64[ns]")
    miss = text_missing(s)
    if pd.api.types.is_numeric_dtype(s.dtype):
        nums = pd.to_numeric(s, errors="coerce").to_numpy(dtype=float)
        ok = ~miss & (nums >= _EXCEL_MIN) & (nums <= _EXCEL_MAX)
        out[ok] = _EXCEL_EPOCH + pd.to_timedelta(nums[ok], unit="D")
        return out.dt.round("s"), ~miss & ~ok

    text = s.astype("string").str.strip().reset_index(drop=True)
    todo = ~miss
    # Excel serial numbers in a text column
    nums = pd.to_numeric(text.where(todo), errors="coerce").to_numpy(dtype=float)
    serial = todo & (nums >= _EXCEL_MIN) & (nums <= _EXCEL_MAX)
    if serial.any():
        out[serial] = (_EXCEL_EPOCH + pd.to_timedelta(nums[serial], unit="D")).round("s")
    todo &= ~serial
    aware = todo & text.str.contains(_AWARE, na=False).to_numpy(dtype=bool)
    for mask, utc in ((todo & ~aware, False), (aware, True)):
        if not mask.any():
            continue
        parsed = _to_datetime(text[mask], utc=utc, dayfirst=dayfirst)
        if utc:
            parsed = parsed.dt.tz_convert(timezone).dt.tz_localize(None)
        out[mask] = parsed.astype("datetime64[ns]").to_numpy()
    bad = todo & out.isna().to_numpy()
    return out, bad


def _to_datetime(text: pd.Series, *, utc: bool, dayfirst: bool) -> pd.Series:
    # Fast path: ISO 8601.  Whatever fails is retried value by value.
    parsed = pd.to_datetime(text, format="ISO8601", errors="coerce", utc=utc)
    retry = parsed.isna()
    if retry.any():
        again = pd.to_datetime(text[retry], format="mixed", dayfirst=dayfirst,
                               errors="coerce", utc=utc)
        parsed = parsed.copy()
        parsed[retry] = again
    return parsed


def parse_numbers(s: pd.Series, *, integer: bool = False) -> tuple[pd.Series, np.ndarray]:
    """Parse numbers (float64, NaN for missing); with ``integer`` a fraction is bad."""
    miss = text_missing(s)
    if pd.api.types.is_bool_dtype(s.dtype):
        vals = s.astype(float).to_numpy()
    elif pd.api.types.is_numeric_dtype(s.dtype):
        vals = pd.to_numeric(s, errors="coerce").to_numpy(dtype=float, na_value=np.nan)
    else:
        text = s.astype("string").str.strip().str.replace(",", "", regex=False)
        vals = pd.to_numeric(text.where(~miss), errors="coerce").to_numpy(
            dtype=float, na_value=np.nan)
    bad = ~miss & ~np.isfinite(vals)
    if integer:
        frac = np.isfinite(vals) & (np.floor(vals) != vals)
        bad |= frac
    vals = np.where(bad | miss, np.nan, vals)
    return pd.Series(vals), bad


def parse_booleans(s: pd.Series, *, true_values=(), false_values=()) -> tuple[pd.Series, np.ndarray]:
    """Parse true/false, yes/no, y/n, t/f, 1/0 in any case (plus extra spellings)."""
    n = len(s)
    if pd.api.types.is_bool_dtype(s.dtype):
        return s.astype("boolean").reset_index(drop=True), np.zeros(n, bool)
    miss = text_missing(s)
    low = s.astype("string").str.strip().str.lower().reset_index(drop=True)
    trues = TRUE_TOKENS | {str(v).strip().lower() for v in true_values}
    falses = FALSE_TOKENS | {str(v).strip().lower() for v in false_values}
    is_true = low.isin(trues).fillna(False).to_numpy(dtype=bool)
    is_false = low.isin(falses).fillna(False).to_numpy(dtype=bool)
    out = pd.Series(pd.array([pd.NA] * n, dtype="boolean"))
    out[is_true] = True
    out[is_false] = False
    bad = ~miss & ~is_true & ~is_false
    return out, bad
