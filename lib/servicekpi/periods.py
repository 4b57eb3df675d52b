"""Reporting periods: month, ISO week (Monday to Sunday) and quarter.

KPI tables hold periods as :class:`pandas.Period` values.  In files they are
written as labels that read back unchanged: ``2024-03`` (month),
``2024-W05`` (ISO week), ``2024Q1`` (quarter).

Vocabulary: ``freq`` is the kind of period (``"month"``, ``"week"`` or
``"quarter"``); a *period* is one of them (a :class:`pandas.Period`); the
pandas frequency string (``"M"``, ``"W-SUN"``, ``"Q-DEC"``) is what
:func:`freq_of` returns.
"""
from __future__ import annotations

import re

import numpy as np
import pandas as pd

from .errors import InvalidArgument
from .parsing import western_date

#: ``freq`` -> pandas frequency.
FREQS = {"month": "M", "week": "W-SUN", "quarter": "Q-DEC"}

_ISO_WEEK = re.compile(r"^\s*(\d{4})-?W(\d{1,2})\s*$", re.IGNORECASE)
#: A quarter and an (ISO) week as Chinese and Japanese write them: 2026年第2季度,
#: 2026年2季, 2026年第二季度, 2026年Q2; 2026年第12周 (週).
_CJK_QUARTER = re.compile(r"(\d{4})\s*年\s*(?:(?:第\s*)?([1-4一二三四])\s*季度?|Q([1-4]))",
                          re.IGNORECASE)
_CJK_WEEK = re.compile(r"(\d{4})\s*年\s*第\s*(\d{1,2})\s*[周週]")


def freq_of(freq: str) -> str:
    """Return the pandas frequency for ``"month"``, ``"week"`` or ``"quarter"``.

    Raises :class:`~servicekpi.errors.InvalidArgument` for any other ``freq``.
    """
    try:
        return FREQS[freq]
    except (KeyError, TypeError):      # TypeError: an unhashable value
        raise InvalidArgument(
            f"unknown freq {freq!r}: expected one of {', '.join(FREQS)}") from None


def period_codes(timestamps: np.ndarray, freq: str) -> np.ndarray:
    """Integer ordinal of the period each ``datetime64`` value falls in.

    The ordinal matches :attr:`pandas.Period.ordinal` for the same frequency,
    so ``pd.PeriodIndex.from_ordinals(codes, freq=freq_of(freq))`` turns
    codes back into periods.  Vectorised: no per-row Python.
    """
    freq_of(freq)
    ts = np.asarray(timestamps, dtype="datetime64[ns]")
    if freq == "month":
        return ts.astype("datetime64[M]").astype(np.int64)
    if freq == "quarter":
        return ts.astype("datetime64[M]").astype(np.int64) // 3
    # ISO weeks run Monday to Sunday; pandas gives the week 1969-12-29 to
    # 1970-01-04 (day numbers -3 to 3) the W-SUN ordinal 1.
    days = ts.astype("datetime64[D]").astype(np.int64)
    return (days + 3) // 7 + 1


def from_codes(codes, freq: str) -> pd.PeriodIndex:
    """Turn ordinals from :func:`period_codes` back into periods."""
    return pd.PeriodIndex.from_ordinals(np.asarray(codes, dtype=np.int64), freq=freq_of(freq))


def label(p: pd.Period) -> str:
    """File/display label of a period: ``2024-03``, ``2024-W05`` or ``2024Q1``
    (pandas writes a week ``2024-01-29/2024-02-04``); anything else as text."""
    if not isinstance(p, pd.Period):
        return str(p)
    if p.freqstr.startswith("W"):
        iso = p.start_time.isocalendar()
        return f"{iso.year}-W{iso.week:02d}"
    return str(p)


def labels(periods) -> list[str]:
    return [label(p) for p in periods]


class AmbiguousDate(InvalidArgument):
    """A date written with its year last whose day and month could be either
    way round (``05/03/2026``)."""


#: A date written day and month first, either order, year last: 05/03/2026, 5.3.2026.
_NUMERIC_DATE = re.compile(
    r"(?P<a>\d{1,2})[/.\-](?P<b>\d{1,2})[/.\-](?P<y>\d{4})(?:[ T].*)?")
#: A label of each kind of period, as messages show one.
EXAMPLE = {"month": "2024-03", "week": "2024-W05", "quarter": "2024Q1"}


def _either_way(a: int, b: int, year: int, pandas_freq: str) -> bool:
    """Whether ``a/b/year`` is a date both ways round that fall in different
    periods (05/03/2026 in months; not 01/02/2026 in quarters, nor 05/05/2026)."""
    try:
        days = (pd.Timestamp(year, b, a), pd.Timestamp(year, a, b))
    except ValueError:          # one reading is no date (30/09): it reads one way
        return False
    return days[0].to_period(pandas_freq) != days[1].to_period(pandas_freq)


def no_day(text: str) -> bool:
    """Whether a date as written names a month (or a longer span) and no day:
    read with two default days, its day differs (``June 2026``, ``06/2026``,
    ``2026-06``; not ``2026-06-15``, ``30 June 2026``)."""
    from datetime import datetime

    from dateutil import parser
    try:
        first, late = (parser.parse(text, default=datetime(2000, 1, day)) for day in (1, 28))
    except (ValueError, OverflowError):
        return False
    return first.day != late.day


def parse_period(value, freq: str) -> pd.Period:
    """Parse one period label (or any date inside the period).

    Raises :class:`~servicekpi.errors.InvalidArgument` (a ``ValueError``) when
    the value is not a period of that kind, and :class:`AmbiguousDate` (one)
    for a date whose day and month could be either way round (``05/03/2026``;
    ``30/09/2025`` and ``05/05/2026`` read one way only).
    """
    pandas_freq = freq_of(freq)
    if isinstance(value, pd.Period):
        if value.freqstr != pd.Period("2000-01-01", pandas_freq).freqstr:
            raise InvalidArgument(f"{value} is not a {freq}")
        return value
    written = str(value).strip()
    text = western_date(written)
    if not text or text.lower() in ("nan", "nat", "none"):
        raise InvalidArgument("empty")
    if m := _CJK_QUARTER.fullmatch(text):
        quarter = m[2] or m[3]
        text = f"{m[1]}Q{'一二三四'.find(quarter) + 1 if quarter in '一二三四' else quarter}"
    elif m := _CJK_WEEK.fullmatch(text):
        text = f"{m[1]}-W{m[2]}"
    if not re.search(r"(?:19|20|21)\d\d", text):
        raise InvalidArgument(f"{written!r} has no year")
    m = _ISO_WEEK.match(text)
    if m:
        if freq != "week":
            raise InvalidArgument(f"{written!r} is a week, not a {freq}")
        year, week = int(m.group(1)), int(m.group(2))
        try:
            monday = pd.Timestamp.fromisocalendar(year, week, 1)
        except ValueError:              # week 54, week 0
            raise InvalidArgument(f"{written!r}: {year} has no ISO week {week}") from None
        return monday.to_period(pandas_freq)
    m = _NUMERIC_DATE.fullmatch(text)
    if m and _either_way(int(m["a"]), int(m["b"]), int(m["y"]), pandas_freq):
        # 05/03/2026: 5 March or 3 May, and pandas would guess (month first, unless
        # the first number cannot be a month): one column could mix both
        raise AmbiguousDate(f"{written!r} reads as two dates (day or month first): "
                            f"write the {freq} as " + EXAMPLE[freq])
    if freq == "week" and re.fullmatch(r"\d{4}-\d\d-\d\d/\d{4}-\d\d-\d\d", text):
        text = text.split("/")[0]       # pandas' own label "2024-01-01/2024-01-07"
    if freq == "month" and re.fullmatch(r"\d{4}Q[1-4]", text, re.IGNORECASE):
        raise InvalidArgument(f"{written!r} is a quarter, not a month")
    if re.fullmatch(r"(?:19|20|21)\d\d(?:\.0)?", text):
        # pandas reads a bare year as its first month, quarter or week: a deadline
        # "2026" would fall due in January
        raise InvalidArgument(f"{written!r} is a year, not a {freq}: write the {freq}, e.g. "
                              + EXAMPLE[freq])
    if freq != "month" and no_day(text):
        # a month for a weekly or quarterly team, however written (2026-06, June 2026,
        # 06/2026): read as the week of its first day (a deadline "June" due 1-7 June)
        # or counted in months as quarters (a baseline of 6 months as 6 quarters)
        raise InvalidArgument(f"{written!r} is a month, not a {freq}: write the {freq}, "
                              "e.g. " + EXAMPLE[freq])
    if re.fullmatch(r"\d{4}-?Q[1-4]", text, re.IGNORECASE):
        if freq != "quarter":
            raise InvalidArgument(f"{written!r} is a quarter, not a {freq}")
        return pd.Period(text.replace("-", "").upper(), pandas_freq)
    try:
        return pd.Period(text, pandas_freq)
    except (ValueError, TypeError, OverflowError):
        pass                            # not a label pandas reads: try it as a date
    try:
        return pd.Timestamp(text).to_period(pandas_freq)
    except (ValueError, TypeError, OverflowError):
        raise InvalidArgument(f"{written!r} is not a {freq} nor a date") from None


def coverage_end(as_of, *, declared: bool = True) -> pd.Timestamp | None:
    """When an export's coverage ends, from its as-of time.

    A declared as-of time (``as_of:`` in the parameters, ``--as-of``) is
    taken as given.  One inferred from the export's latest timestamp is only
    a lower bound of when the export was taken: it tells the day, so the
    coverage runs to the end of that day (23:59:59.999999999).  Time zones
    are dropped (wall-clock time, as the tickets' periods are).  None or NaT
    gives None.
    """
    if as_of is None:
        return None
    ts = pd.Timestamp(as_of)
    if pd.isna(ts):
        return None
    if ts.tzinfo is not None:
        ts = ts.tz_localize(None)
    if declared:
        return ts
    return ts.normalize() + pd.Timedelta(days=1) - pd.Timedelta(1, "ns")


def partial_period(as_of, freq: str, last_period) -> pd.Period | None:
    """The last period when the export ends before it does, else None.

    ``as_of`` is when the export's coverage ends (see :func:`coverage_end`);
    ``freq`` is ``"month"``, ``"week"`` or ``"quarter"``; ``last_period``
    the latest period with data (a Period or a label).  The period is
    complete when ``as_of`` is at or after its last second (23:59:59 on its
    last day, Sunday for an ISO week); an earlier as-of time, including one
    before the period even starts, makes it partial.  None when either
    argument is None.

    >>> partial_period("2024-10-13 16:00", "month", "2024-10")
    Period('2024-10', 'M')
    >>> partial_period("2024-10-31 23:59:59", "month", "2024-10") is None
    True
    """
    if last_period is None:
        return None
    end = coverage_end(as_of)
    if end is None:
        return None
    last = parse_period(last_period, freq)
    return None if _covers(end, last) else last


def last_complete_period(as_of, freq: str) -> pd.Period | None:
    """The last period the export covers whole: the one ``as_of`` falls in when it is
    at or after that period's last second, else the one before (None when unknown).
    ``as_of`` is when the coverage ends (:func:`coverage_end`), as in
    :func:`partial_period`."""
    end = coverage_end(as_of)
    if end is None:
        return None
    p = pd.Period(end, freq_of(freq))
    return p if _covers(end, p) else p - 1


def _covers(end: pd.Timestamp, p: pd.Period) -> bool:
    """Whether a coverage ending at ``end`` includes the whole of ``p`` (to its last
    second: 23:59:59 on its last day)."""
    return end >= p.end_time.floor("s")


def last_day(end: pd.Timestamp):
    """The last calendar day an export covers (a coverage end at midnight covers
    the day before)."""
    ts = pd.Timestamp(end)
    if ts == ts.normalize():
        ts -= pd.Timedelta(1, "ns")
    return ts.date()
