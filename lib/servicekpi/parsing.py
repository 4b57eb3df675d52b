"""Turn raw export cells into typed values, marking what cannot be read.

Each ``parse_*`` function takes one column (any dtype: strings from CSV,
typed values from Parquet or Excel) and returns ``(values, bad)`` where
``bad`` is a boolean mask of cells that are present but unreadable.  Missing
cells are never bad: they come back as missing values.
"""
from __future__ import annotations

import re
import threading
import unicodedata
import warnings

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

#: Cell texts read as "missing" in typed (timestamp, number, boolean) columns
#: (compared trimmed and lower-cased); a mapping can add its own.
#: Error values a spreadsheet writes in a cell whose formula failed: no value either.
SPREADSHEET_ERRORS = frozenset({"#n/a", "#ref!", "#value!", "#div/0!", "#name?", "#null!",
                                "#num!", "#spill!", "#calc!", "#field!", "#blocked!",
                                "#connect!", "#busy!", "#unknown!", "#getting_data"})
NULL_TOKENS = frozenset({"", "?", "null", "none", "nan", "nat", "n/a", "na", "-", "--",
                         "(null)", "(blank)", "(empty)"}) | SPREADSHEET_ERRORS
TRUE_TOKENS = frozenset({"true", "t", "yes", "y", "1", "1.0"})
FALSE_TOKENS = frozenset({"false", "f", "no", "n", "0", "0.0"})

#: What ``pd.Timestamp(..., tz=name)`` raises for a name that is not a time zone:
#: ZoneInfoNotFoundError (a KeyError), IndexError for "", ValueError for a
#: malformed name, IsADirectoryError (an OSError) for "Europe", TypeError.
ZONE_ERRORS = (LookupError, ValueError, TypeError, OSError)

_TIME = r"(\d:\d\d(?::\d\d(?:[.,]\d+)?)?(?:\s*[AaPp][Mm])?)"
#: How exports write a time's zone, rewritten to ISO's "+hh:mm" (RE2 patterns, applied
#: in this order): 14:30 UTC, 14:30 GMT+0800, 14:30 UTC+8, 14:30+08, 14:30+0800.
_ZONE_FORMS = (
    (r"\s*(?:UTC|GMT)\s*$", "+00:00"),
    (r"\s*(?:UTC|GMT)\s*([+-])(\d\d):?(\d\d)\s*$", r"\1\2:\3"),
    (r"\s*(?:UTC|GMT)\s*([+-])(\d\d)\s*$", r"\1\2:00"),
    (r"\s*(?:UTC|GMT)\s*([+-])(\d)\s*$", r"\10\2:00"),   # RE2: group 1, then "0"
    (r"\s*(?:UTC|GMT)\s*([+-])(\d):(\d\d)\s*$", r"\10\2:\3"),   # GMT+5:30
    (_TIME + r"\s*([+-])(\d)$", r"\1\20\3:00"),                   # 10:00 +8
    (_TIME + r"\s*([+-]\d\d)$", r"\1\2:00"),
    (_TIME + r"\s*([+-]\d\d)(\d\d)$", r"\1\2:\3"),
)
# what any of those forms ends with (one cheap test before rewriting)
_ZONE_HINT = r"(?:UTC|GMT|[+-]\d{1,2}(?::?\d\d)?)\s*$"
# an offset after a time of day, once rewritten: 14:30Z, 14:30:00+08:00, 2:30 PM+01:00
_AWARE = _TIME + r"\s*(?:[zZ]|[+-]\d\d:\d\d)\s*$"
_OFFSET = r"\s*(?:[zZ]|[+-]\d\d:\d\d)\s*$"
# day and month as two numeric fields before a year: 05/03/2024, 5-3-24, Tue 05.03.2024
_DAY_MONTH = (r"(?:^|[^\d/.\-])(?P<a>\d{1,2})[/.\-](?P<b>\d{1,2})[/.\-](?:\d{4}|\d{2})"
              r"(?:\D|$)")
# the same at the start of the cell with a four-digit year: rewritten to ISO once the
# column's order is decided, so that the fast ISO parser reads it
_LEADING_DMY = r"^(\d{1,2})[/.\-](\d{1,2})[/.\-](\d{4})(\D|$)"
_YEAR = r"(?:^|[^\d.,])(?P<year>\d{4})(?:\D|$)"
#: A date written year first (2024-03-10, 2024-03-10T18:00, 2024/03/10): never ambiguous.
ISO_DATE = re.compile(r"^\d{4}[-/.]\d{1,2}[-/.]\d{1,2}(?:$|[T\s])")
#: ``timezone`` value that keeps the wall-clock time an aware timestamp was written in.
AS_WRITTEN = "as_written"
#: Timestamps outside these years are sentinels (9999-12-31, 0001-01-01, 1900-01-01)
#: or typos: read as missing and counted, never as a date.
YEAR_RANGE = (1980, 2099)
# Excel stores dates as days since 1899-12-30; accept serials for 1954-2173.
_EXCEL_EPOCH = pd.Timestamp("1899-12-30")
_EXCEL_MIN, _EXCEL_MAX = 20000, 100000


def is_texty(s: pd.Series) -> bool:
    return s.dtype == object or isinstance(s.dtype, pd.StringDtype)


#: The dtype of compact text: pandas 3's ``str`` (Arrow, NaN for missing), else ``string``.
COMPACT_TEXT = "str" if int(pd.__version__.split(".")[0]) >= 3 else "string"


def _categories(s: pd.Series) -> pd.Series:
    """A categorical column's categories as a column of their own (objects)."""
    return pd.Series(np.asarray(s.cat.categories, dtype=object))


def text_missing(s: pd.Series, na=NULL_TOKENS) -> np.ndarray:
    """Mask of missing cells: NA, or (for text) a null token such as '' or 'N/A'."""
    if isinstance(s.dtype, pd.CategoricalDtype):   # each category once, then by code
        return np.append(text_missing(_categories(s), na), True)[s.cat.codes.to_numpy()]
    miss = s.isna().to_numpy().copy()
    if is_texty(s):
        low = s.astype("string").str.strip().str.lower()
        miss |= low.isin(na).fillna(True).to_numpy(dtype=bool)
    return miss


def null_tokens(extra=()) -> frozenset:
    """The default missing-value spellings plus ``extra`` (trimmed, lower-cased)."""
    return NULL_TOKENS | {str(v).strip().lower() for v in extra}


def arrow_text(s: pd.Series) -> pa.Array:
    """A text column as an Arrow string array (for RE2 regexes in C++, not Python)."""
    try:
        arr = pa.array(s, type=pa.string(), from_pandas=True)
    except (pa.ArrowInvalid, pa.ArrowTypeError):
        arr = pa.array(s.astype("string"), type=pa.string(), from_pandas=True)
    return arr.combine_chunks() if isinstance(arr, pa.ChunkedArray) else arr


def _extract_numbers(s: pd.Series | pa.Array, pattern: str) -> dict[str, np.ndarray]:
    """Each named group of ``pattern`` (digits only) as floats, NaN where no match."""
    found = pc.extract_regex(s if isinstance(s, pa.Array) else arrow_text(s), pattern)
    out = {}
    for i in range(found.type.num_fields):
        name = found.type.field(i).name
        digits = found.field(i)
        digits = pc.if_else(pc.and_(found.is_valid(), pc.not_equal(digits, "")), digits, None)
        out[name] = pc.cast(digits, pa.float64()).to_numpy(zero_copy_only=False)
    return out


def day_order_evidence(s: pd.Series) -> dict:
    """What a text column's day/month dates say about their order.

    Returns counts and up to three examples each of values that prove
    day-first (first field > 12), prove month-first (second field > 12), or
    are ambiguous (both fields <= 12 and different).  Year-first (ISO) dates
    and dates with month names are never ambiguous and are not counted.
    """
    out = {"dayfirst": 0, "monthfirst": 0, "ambiguous": 0,
           "examples": {"dayfirst": [], "monthfirst": [], "ambiguous": []}}
    if not is_texty(s) or len(s) == 0:
        return out
    parts = _extract_numbers(s, _DAY_MONTH)
    found = np.flatnonzero(~np.isnan(parts["a"]))
    if not len(found):
        return out
    a, b = parts["a"][found], parts["b"][found]
    vals = s.to_numpy(dtype=object)[found]
    for key, mask in (("dayfirst", (a > 12) & (b <= 12)), ("monthfirst", (b > 12) & (a <= 12)),
                      ("ambiguous", (a <= 12) & (b <= 12) & (a != b))):
        out[key] = int(mask.sum())
        out["examples"][key] = [str(v).strip() for v in vals[mask][:3]]
    return out


def swapped_by_a_spreadsheet(cells: pd.Series, dayfirst: bool) -> str | None:
    """Why a day-first column of a workbook looks rewritten by a spreadsheet that
    reads dates month first (None when it does not).

    A US Excel opening a UK file types each date whose day is 12 or less as a
    date, with day and month swapped (03/01/2024, 3 January, becomes 1 March),
    and leaves the others (15/01/2024) as text.  Saved as a workbook, the column
    mixes typed dates, every one with a day of 12 or less, and day-first text,
    every one with a day above 12: the typed ones cannot be read back.  Told
    from three such cells or more.
    """
    import datetime

    if not dayfirst or cells.dtype != object or \
            pd.api.types.infer_dtype(cells, skipna=True) not in ("mixed", "mixed-integer"):
        return None
    typed = cells.map(lambda v: isinstance(v, datetime.date) and not pd.isna(v)
                      ).to_numpy(dtype=bool)
    text = cells.map(lambda v: isinstance(v, str)).to_numpy(dtype=bool)
    if not typed.any() or not text.any():
        return None
    written = cells[text].astype("string").str.strip()
    days = _extract_numbers(written, r"^(?P<day>\d{1,2})[/.\-]\d{1,2}[/.\-]\d{4}(?:\D|$)")["day"]
    day_first = written[~np.isnan(days)]
    dates = cells[typed]
    if (day_first.empty or len(day_first) + len(dates) < 3
            or (days[~np.isnan(days)] <= 12).any() or max(v.day for v in dates) > 12):
        return None
    return (f"dates typed by a spreadsheet ({', '.join(str(v) for v in dates[:2])}, each "
            f"with a day of 12 or less) beside dates written day first as text "
            f"({', '.join(map(repr, day_first[:2]))}): a spreadsheet that reads dates month "
            "first typed the ones it could, swapping their day and month; export the file "
            "again, or open it with the column as text")


#: What to do about dates whose day order nothing decides, in a ticket export (where
#: it can be declared) and in the files the parameters name (where it cannot).
DECLARE_DAY_ORDER = ("declare it: dayfirst: true or false (in params/defaults.yaml or a "
                     "mapping), or --dayfirst / --monthfirst on the command line")
WRITE_YEAR_FIRST = "write the dates year first (2026-06-05)"


def decide_day_order(evidence: dict, declared: bool | None, *, fallback: dict | None = None,
                     advice: str = DECLARE_DAY_ORDER
                     ) -> tuple[bool, str | None]:
    """Decide a column's day order from :func:`day_order_evidence`, once for the column.

    Returns ``(dayfirst, problem)``.  ``problem`` is a message when the
    values contradict each other or the declared order, or when they are all
    ambiguous and nothing decides: ``fallback`` (the evidence of the file's
    other timestamp columns) or ``declared``.
    """
    ex = evidence["examples"]
    d, m = evidence["dayfirst"], evidence["monthfirst"]
    if d and m:
        return bool(declared), (
            f"dates in both day orders in one column: {', '.join(map(repr, ex['dayfirst']))} "
            f"can only be day-first, {', '.join(map(repr, ex['monthfirst']))} only "
            "month-first; fix the export so the column uses one order")
    if d or m:
        decided = bool(d)
        if declared is not None and declared != decided:
            shown = ex["dayfirst"] if d else ex["monthfirst"]
            return declared, (
                f"dayfirst: {str(declared).lower()} is declared, but "
                f"{', '.join(map(repr, shown))} can only be "
                f"{'day' if decided else 'month'}-first; fix the declaration")
        return decided, None
    if not evidence["ambiguous"] or declared is not None:
        return bool(declared), None
    if fallback and (fallback["dayfirst"] > 0) != (fallback["monthfirst"] > 0):
        return fallback["dayfirst"] > 0, None
    k = evidence["ambiguous"]
    return False, (
        f"day order cannot be decided: {k} date{'s' if k != 1 else ''} such as "
        f"{', '.join(map(repr, ex['ambiguous']))} read either way and none has a day "
        f"above 12; {advice}")


def with_a_word(values: pd.Series) -> pd.Series:
    """``values`` (text, plain or categorical) with every cell that has no letter
    or digit in any script (``-``, ``_``, ``/``, ``*``) made missing: such a cell
    names nothing (a channel written ``-`` is no channel)."""
    def named(texts) -> np.ndarray:
        return pd.Series(texts, dtype="string").str.contains(
            r"[^\W_]", regex=True).fillna(True).to_numpy(bool)
    if isinstance(values.dtype, pd.CategoricalDtype):
        cats = values.cat.categories
        nothing = cats[~named(cats)]
        return values.cat.remove_categories(nothing) if len(nothing) else values
    keep = named(values)
    return values if keep.all() else values.where(keep)


def rounded_ids(values: pd.Series) -> np.ndarray:
    """Cells of an id column written in scientific notation (``1.03E+11``, ``4,8E+10``):
    a spreadsheet showed a long number so and saved it as shown, so its last digits
    are lost and different ids read alike."""
    if isinstance(values.dtype, pd.CategoricalDtype):   # each category once
        return np.append(rounded_ids(values.cat.categories.to_series()), False)[
            values.cat.codes.to_numpy()]
    arr = arrow_text(values)
    if not pc.any(pc.match_substring(arr, "e+", ignore_case=True)).as_py():
        return np.zeros(len(values), bool)
    return _match(arr, r"^\s*[+-]?\d+(?:[.,]\d+)?[eE]\+\d+\s*$")


def parse_text(s: pd.Series, na=frozenset({""}), *, compact: bool = False
               ) -> tuple[pd.Series, np.ndarray]:
    """Strip text; empty cells (and ``na`` spellings) become missing.  Nothing is ever bad.

    Objects with None for missing cells, or with ``compact`` :data:`COMPACT_TEXT`
    (no Python object per cell).  A categorical column (a dictionary-encoded
    Parquet column) is read one category at a time."""
    if isinstance(s.dtype, pd.CategoricalDtype):
        names = parse_text(_categories(s), na, compact=True)[0].array
        out = pd.Series(names.take(s.cat.codes.to_numpy(), allow_fill=True), index=s.index,
                        name=s.name)
    elif pd.api.types.is_numeric_dtype(s.dtype) and not pd.api.types.is_bool_dtype(s.dtype):
        # a typed number's text (1234, -5, 1.5, inf) has no space and no capital
        out = s.astype("string")
        if pd.api.types.is_float_dtype(s.dtype):   # a spreadsheet's 7.0 is shown as 7
            v = s.to_numpy(dtype=float, na_value=np.nan)
            whole = np.isfinite(v) & (np.floor(v) == v) & (np.abs(v) < 2.0 ** 53)
            if whole.any():
                ints = pd.Series(np.where(whole, v, 0).astype(np.int64), index=s.index,
                                 name=s.name)
                out = ints.astype("string").where(whole, out)
        out = out.mask(out.isin(na)) if len(na) > 1 else out
    elif compact and (untrimmed := _untrimmed(s, na)) is not None:
        return untrimmed, np.zeros(len(s), bool)      # ids, codes: one copy at most
    else:
        out = s.astype("string").str.strip()
        out = out.mask(out.str.lower().isin(na) if len(na) > 1 else out == "")
    if compact:
        return out.astype(COMPACT_TEXT), np.zeros(len(s), bool)
    return out.astype(object).where(out.notna(), None), np.zeros(len(s), bool)


#: A cell beginning or ending with one of these may be trimmed: every Unicode
#: space and separator, control characters and the zero-width ones (more than
#: Arrow's and Python's trimming take away; a cell with one only goes the
#: longer way).
_EDGE_SPACE = r"[\s\p{Z}\p{Cc}\x{180e}\x{200b}\x{feff}]"


def _untrimmed(s: pd.Series, na) -> pd.Series | None:
    """What :func:`parse_text` gives for compact text held by Arrow with no cell
    to trim: the column itself when no cell spells a missing value, else one
    copy with those cells missing.  None when a cell may need trimming (the
    longer way).  Found with passes in C over the column, so that a column of
    ids is held once (at 10M rows, 140 MB), not three times on the way."""
    if s.dtype != COMPACT_TEXT or not isinstance(s.array, pd.arrays.ArrowStringArray):
        return None
    arr = pa.chunked_array(pa.array(s.array))
    if pc.any(pc.match_substring_regex(arr, f"^{_EDGE_SPACE}|{_EDGE_SPACE}$")).as_py():
        return None
    spelled = _spells_missing(arr, na) if len(na) > 1 else pc.equal(arr, "")
    if not pc.any(spelled).as_py():
        return s.astype(COMPACT_TEXT)
    return pd.Series(pc.if_else(spelled, pa.scalar(None, arr.type), arr), dtype=s.dtype,
                     index=s.index, name=s.name)


def _spells_missing(arr, na):
    """Cells of Arrow text that spell a missing value: lower-cased, one of ``na``
    (matched in the text's own Arrow type)."""
    return pc.is_in(pc.utf8_lower(arr), value_set=pa.array(sorted(na), arr.type))


def parse_timestamps(s: pd.Series, *, timezone: str = "UTC", dayfirst: bool = False,
                     na=NULL_TOKENS, sentinel: np.ndarray | None = None
                     ) -> tuple[pd.Series, np.ndarray]:
    """Parse timestamps to naive ``datetime64[ns]`` in ``timezone``.

    Accepts ISO 8601 (with or without an offset), the usual spreadsheet forms
    (``2024-03-05 14:30``, ``05/03/2024 14:30`` -- day first only when
    ``dayfirst``), Excel serial day numbers and typed datetimes.  Values with
    an offset or a zone (``Z``, ``+08:00``, ``+0800``, ``+08``, `` UTC``,
    ``GMT+0800``, ``UTC+8``) are converted to ``timezone``, or keep the time
    as written with ``timezone="as_written"``; values without one are taken to
    be in ``timezone`` already.  Either way the result is naive, so
    aware and naive exports compare consistently.  ``dayfirst`` applies to the
    whole column (decide it with :func:`decide_day_order`).  Timestamps
    outside :data:`YEAR_RANGE` (sentinels) are missing, not bad: see
    :func:`sentinel_mask`.
    """
    n = len(s)
    if pd.api.types.is_datetime64_any_dtype(s.dtype):
        s = s.reset_index(drop=True)
        outside = sentinel_mask(s)
        if outside.any():                     # before any change of unit (9999-12-31)
            s = s.mask(outside)
        if getattr(s.dt, "tz", None) is not None:
            s = (s.dt.tz_localize(None) if timezone == AS_WRITTEN
                 else s.dt.tz_convert(timezone).dt.tz_localize(None))
        return s.astype("datetime64[ns]"), np.zeros(n, bool)

    out = pd.Series(pd.NaT, index=range(n), dtype="datetime64[ns]")
    miss = text_missing(s, na) | (sentinel_mask(s) if sentinel is None else sentinel)
    if pd.api.types.is_numeric_dtype(s.dtype):
        nums = pd.to_numeric(s, errors="coerce").to_numpy(dtype=float)
        ok = ~miss & (nums >= _EXCEL_MIN) & (nums <= _EXCEL_MAX)
        out[ok] = _EXCEL_EPOCH + pd.to_timedelta(nums[ok], unit="D")
        return out.dt.round("s"), ~miss & ~ok

    text = s.astype("string").str.strip().reset_index(drop=True)
    todo = ~miss
    # Excel serial numbers in a text column (only cells that look like one are converted)
    # (45295.385, or 45295,385 where a comma is the decimal mark)
    looks = todo & _match(arrow_text(text), r"^\d{5}(?:[.,]\d+)?$")
    nums = np.full(n, np.nan)
    if looks.any():
        nums[looks] = pd.to_numeric(text[looks].str.replace(",", ".", regex=False),
                                    errors="coerce").to_numpy(dtype=float)
    serial = todo & (nums >= _EXCEL_MIN) & (nums <= _EXCEL_MAX)
    if serial.any():
        out[serial] = (_EXCEL_EPOCH + pd.to_timedelta(nums[serial], unit="D")).round("s")
    todo &= ~serial
    if not todo.any():
        return out, np.zeros(n, bool)

    arr = _english_months(_normalise_zones(_western_dates(arrow_text(text))))
    # day/month/year at the start -> year-month-day, in the order decided for the column
    lead = _match(arr, _LEADING_DMY)
    if lead.any():
        arr = pc.replace_substring_regex(arr, _LEADING_DMY,
                                         r"\3-\2-\1\4" if dayfirst else r"\3-\1-\2\4")
        arr = pc.replace_substring_regex(arr, r"^(\d{4})-(\d)-", r"\1-0\2-")
        arr = pc.replace_substring_regex(arr, r"^(\d{4}-\d\d)-(\d)(\D|$)", r"\1-0\2\3")
    aware = todo & _match(arr, _AWARE)
    if timezone == AS_WRITTEN and aware.any():  # keep the wall-clock time written
        arr = pc.replace_substring_regex(arr, _OFFSET, "")
        aware[:] = False
    text = pd.Series(arr.to_pandas(), dtype="string")
    guessed = np.zeros(n, bool)              # read value by value
    for mask, utc in ((todo & ~aware, False), (aware, True)):
        if not mask.any():
            continue
        parsed, slow = _to_datetime(text[mask], utc=utc, dayfirst=dayfirst)
        guessed[np.flatnonzero(mask)[slow]] = True
        if utc:
            parsed = parsed.dt.tz_convert(timezone).dt.tz_localize(None)
        out[mask] = parsed.astype("datetime64[ns]").to_numpy()
    # a date read value by value (not rewritten above) must have its day and month
    # where the column's order says: dateutil swaps them when a "month" is above 12
    check = guessed & ~lead & ~np.isnat(out.to_numpy())
    if check.any():
        fields = _extract_numbers(s.reset_index(drop=True)[check], _DAY_MONTH)
        a, b = fields["a"], fields["b"]
        day, month = (a, b) if dayfirst else (b, a)
        # compare with the time as written, before any change of zone
        wall, _ = _to_datetime(pd.Series(pc.replace_substring_regex(
            arrow_text(text[check]), _OFFSET, "").to_pandas(), dtype="string"),
            utc=False, dayfirst=dayfirst)
        swapped = ~np.isnan(a) & ((wall.dt.day.to_numpy() != day) |
                                  (wall.dt.month.to_numpy() != month))
        out[np.flatnonzero(check)[swapped]] = pd.NaT
    outside = _outside_years(out)
    out[outside] = pd.NaT
    bad = todo & out.isna().to_numpy() & ~outside
    return out, bad


#: Month names and abbreviations that dates written in German, French, Spanish,
#: Portuguese, Italian and Dutch use (Jira writes dd/MMM/yy in the exporting
#: user's language: 04/Dez/23, 07/déc./25, 04/ene/24), by the English abbreviation
#: read in their place.  No spelling stands for two months in these languages.
FOREIGN_MONTHS = {
    "Jan": ("januar", "jänner", "jän", "janvier", "janv", "enero", "ene", "janeiro",
            "gennaio", "gen", "januari"),
    "Feb": ("februar", "février", "fevrier", "févr", "fevr", "febrero", "fevereiro", "fev",
            "febbraio", "februari"),
    "Mar": ("märz", "maerz", "mär", "mrz", "mars", "marzo", "março", "marco", "maart",
            "mrt"),
    "Apr": ("avril", "avr", "abril", "abr", "aprile"),
    "May": ("mai", "mayo", "maio", "maggio", "mag", "mei"),
    "Jun": ("juni", "juin", "junio", "junho", "giugno", "giu"),
    "Jul": ("juli", "juillet", "juil", "julio", "julho", "luglio", "lug"),
    "Aug": ("août", "aout", "agosto", "ago", "augustus"),
    "Sep": ("septembre", "septiembre", "setembro", "settembre", "set"),
    "Oct": ("oktober", "okt", "octobre", "octubre", "outubro", "out", "ottobre", "ott"),
    "Nov": ("novembre", "noviembre", "novembro"),
    "Dec": ("dezember", "dez", "décembre", "decembre", "déc", "diciembre", "dic",
            "dezembro", "dicembre"),
}

def _day_then(words) -> str:
    """A day, then one of ``words`` (a month, maybe with a dot), then a separator."""
    alternatives = "|".join(sorted(map(re.escape, words), key=len, reverse=True))
    return rf"(?i)^(\d{{1,2}}\.?[/ .\-]\s*)(?:{alternatives})\.?([/ .,\-])"


_FOREIGN_MONTH = _day_then([n for names in FOREIGN_MONTHS.values() for n in names])


def _clock(words: str, shift: int) -> list[tuple[str, str]]:
    """An hour of 1-12 after one of ``words`` (a.m. or p.m.) as the 24-hour
    clock's: ``shift`` 0 for the morning (12 is 00), 12 for the afternoon."""
    return [(rf"(?:{words})\s*0?{h}:", f" {h % 12 + shift:02d}:") for h in range(1, 13)]


#: Dates and times as Chinese and Japanese spreadsheets and ticket systems write
#: them, each rewritten to the ISO form read after it (in this order; full-width
#: digits and colons, ２０２５：, are read as ASCII ones first): ``2025年1月3日``
#: is 2025-1-3 (also with 号, and a weekday after it, 星期五, （周五） or (金), as after
#: 2025/1/3),
#: ``2025年1月`` is 2025-1, ``2025年`` 2025, ``14时05分30秒`` (时, 時, 点, 點) is 14:05:30, and an
#: hour after 上午 or 下午 (午前, 午後) is on the 24-hour clock: 下午2:05 is 14:05,
#: 上午12:30 is 00:30.  The order of year, month and day is the one written.
#: A weekday after a date: 星期五, 周五, （周五） in Chinese; (金), (金曜日) in Japanese.
_WEEKDAY = (r"(?:[(（]?(?:星期|周|週)[一二三四五六日天][)）]?"
            r"|[(（][月火水木金土日](?:曜日?)?[)）])")
CJK_DATE_FORMS: tuple[tuple[str, str], ...] = (
    (rf"(\d{{4}})\s*年\s*(\d{{1,2}})\s*月\s*(\d{{1,2}})\s*[日号號]\s*{_WEEKDAY}?",
     r"\1-\2-\3 "),
    (rf"(\d{{4}}[-/.]\d{{1,2}}[-/.]\d{{1,2}})\s*{_WEEKDAY}", r"\1 "),   # 2025/1/3（周五）
    (r"(\d{4})\s*年\s*(\d{1,2})\s*月", r"\1-\2"),
    (r"(\d{4})\s*年\s*$", r"\1"),
    (r"(\d{1,2})\s*[时時点點]\s*(\d{1,2})\s*分\s*(\d{1,2})\s*秒", r"\1:\2:\3"),
    (r"(\d{1,2})\s*[时時点點]\s*(\d{1,2})\s*分", r"\1:\2"),
    *_clock("上午|午前", 0), *_clock("下午|午後", 12),
    (r"\s+", " "),
)


def western_date(text: str) -> str:
    """One date or time as written in Chinese or Japanese, in the ISO form
    (:data:`CJK_DATE_FORMS`); any other text as it is."""
    if text.isascii():
        return text
    text = unicodedata.normalize("NFKC", text)
    for pattern, iso in CJK_DATE_FORMS:
        text = re.sub(pattern, iso, text)
    for one_digit in (r"(?<=\d{4}-)(\d)(?!\d)", r"(?<=\d{4}-\d\d-)(\d)(?!\d)",
                      r"(?<= )(\d)(?=:)", r"(?<=:)(\d)(?!\d)"):    # 2025-03-01 09:05
        text = re.sub(one_digit, r"0\1", text)
    return text.strip()


def _western_dates(arr: pa.Array) -> pa.Array:
    """:func:`western_date` for a column, only in the cells that are not ASCII."""
    other = pc.invert(pc.fill_null(pc.string_is_ascii(arr), True))
    if not pc.any(other).as_py():
        return arr
    rows = pa.array(np.flatnonzero(other.to_numpy(zero_copy_only=False)))
    part = pc.utf8_normalize(arr.take(rows), "NFKC")
    for pattern, iso in CJK_DATE_FORMS:
        part = pc.replace_substring_regex(part, pattern, iso)
    return pc.replace_with_mask(arr, other, pc.utf8_trim_whitespace(part))


def _english_months(arr: pa.Array) -> pa.Array:
    """Month names of :data:`FOREIGN_MONTHS` after a day (``04/Dez/23``,
    ``4. Dez. 2023``) replaced by the English abbreviation (``04/Dec/23``): only
    in the cells that have one (one pass finds them)."""
    foreign = _match(arr, _FOREIGN_MONTH)
    if not foreign.any():
        return arr
    rows = pa.array(np.flatnonzero(foreign))
    part = arr.take(rows)
    for english, names in FOREIGN_MONTHS.items():
        part = pc.replace_substring_regex(part, _day_then(names), rf"\1{english}\2")
    return pc.replace_with_mask(arr, pa.array(foreign), part)


def _normalise_zones(arr: pa.Array) -> pa.Array:
    """Every zone form of :data:`_ZONE_FORMS` rewritten to ISO's "+hh:mm"."""
    if pc.any(pc.match_substring_regex(arr, _ZONE_HINT)).as_py():
        for pattern, iso in _ZONE_FORMS:
            arr = pc.replace_substring_regex(arr, pattern, iso)
    return arr


#: Dates whose day sits where no reading can move it (year first, or before a
#: month's name), each with the same date on day 28.
_FIXED_DAY = ((r"^(\d{4}[-/.]\d{1,2}[-/.])(?:29|30|31)(\D.*)?$", r"\g<1>28\2"),
              (r"^(?:29|30|31)([/ .\-]\s*[^\W\d_]{3,}.*)$", r"28\1"))


def no_such_day(cells: pd.Series) -> np.ndarray:
    """Which cells are dates in a readable form whose day does not exist in
    their month (``31/Feb/24 9:00 AM``, ``2024-04-31``): not read as they are,
    read with day 28 they are dates.  Only forms whose day cannot be another field (year first, or the
    day before a month's name)."""
    text = cells.astype("string").str.strip().reset_index(drop=True)
    out = np.zeros(len(text), bool)
    for pattern, on_28 in _FIXED_DAY:
        hit = text.str.fullmatch(pattern).fillna(False).to_numpy(dtype=bool)
        if not hit.any():
            continue
        day_28 = text[hit].str.replace(pattern, on_28, regex=True)
        values, bad = parse_timestamps(day_28)
        _, unread = parse_timestamps(text[hit].reset_index(drop=True))
        out[np.flatnonzero(hit)[unread & ~bad & values.notna().to_numpy()]] = True
    return out


def written_offsets(s: pd.Series) -> np.ndarray:
    """The UTC offset (minutes) each cell was written with, NaN where it has none."""
    if not is_texty(s) or not len(s):
        return np.full(len(s), np.nan)
    arr = _normalise_zones(arrow_text(s.reset_index(drop=True)))
    parts = _extract_numbers(arr, r"[+-](?P<h>\d\d):(?P<m>\d\d)\s*$")
    minutes = parts["h"] * 60 + parts["m"]
    minutes = np.where(_match(arr, r"-\d\d:\d\d\s*$"), -minutes, minutes)
    return np.where(_match(arr, r"[zZ]\s*$"), 0.0, minutes)


def local_offsets(values: pd.Series, zone: str) -> np.ndarray:
    """The UTC offset (minutes) of each naive local time of ``zone`` in ``values``;
    NaN where a value is missing, or is a local time the zone's clock change
    repeats or skips (its offset cannot be told)."""
    idx = pd.DatetimeIndex(values)
    try:
        here = idx.tz_localize(zone, ambiguous="NaT", nonexistent="NaT")
    except ZONE_ERRORS:
        return np.full(len(idx), np.nan)
    return np.asarray((idx - here.tz_convert("UTC").tz_localize(None)).total_seconds()
                      / 60, float)


def sentinel_mask(s: pd.Series) -> np.ndarray:
    """Cells holding a timestamp outside :data:`YEAR_RANGE` (9999-12-31, 0001-01-01, ...).

    Found by the year written in the text (such dates do not fit pandas'
    timestamps) or by the typed value.
    """
    if pd.api.types.is_datetime64_any_dtype(s.dtype):
        if not isinstance(s.dtype, pd.ArrowDtype):
            return _outside_years(s)
        years = s.dt.year.to_numpy(dtype=float, na_value=np.nan)   # Arrow-backed timestamps
    elif is_texty(s):
        years = _extract_numbers(s, _YEAR)["year"] if len(s) else np.zeros(0)
    else:
        return np.zeros(len(s), bool)
    early, late = YEAR_RANGE
    return (years < early) | (years > late)


def _outside_years(s: pd.Series) -> np.ndarray:
    """Typed timestamps outside :data:`YEAR_RANGE` (in their own zone), by comparison
    with the range's ends: no calendar field is worked out per value."""
    early, late = YEAR_RANGE
    tz = getattr(s.dt, "tz", None)
    if tz is not None:           # the year as written in the value's own zone
        s = s.dt.tz_localize(None)
    unit = np.datetime_data(s.dtype)[0]
    start, end = (np.datetime64(f"{year}-01-01", unit).astype(np.int64)
                  for year in (early, late + 1))
    stamps = s.to_numpy().view(np.int64)     # NaT is the smallest int64: not outside
    return ((stamps < start) & (stamps != np.iinfo(np.int64).min)) | (stamps >= end)


#: A day, a month's English abbreviation and a year (04/Jan/24, 04-Jan-2024).
_NAMED_MONTH = r"^\d{1,2}[/\- ][A-Za-z]{3}[/\- ]\d{2}"
_NAMED_MONTH_FORMATS = ("%d/%b/%y %I:%M %p", "%d/%b/%y %H:%M", "%d/%b/%Y %I:%M %p",
                        "%d/%b/%Y %H:%M", "%d-%b-%Y %H:%M:%S", "%d-%b-%Y %H:%M", "%d %b %Y %H:%M")


def _to_datetime(text: pd.Series, *, utc: bool, dayfirst: bool
                 ) -> tuple[pd.Series, np.ndarray]:
    """Parse: ISO 8601 in one pass, whatever fails value by value (dateutil).

    Returns the values and a mask of those the value-by-value parser read.
    Values starting with a four-digit year are read year-first whatever
    ``dayfirst`` says.  A value with a zone this module does not rewrite
    (dateutil would guess it, often with the sign reversed) is not read.
    """
    parsed = pd.to_datetime(text, format="ISO8601", errors="coerce", utc=utc)
    retry = parsed.isna().to_numpy().copy()
    if retry.any() and _match(arrow_text(text[retry]), _NAMED_MONTH).any():
        # Jira's dd/MMM/yy h:mm a and its kin, in one pass per format (dateutil
        # reads about 10,000 values a second)
        parsed = parsed.copy()
        for form in _NAMED_MONTH_FORMATS:
            rest = text[retry]
            got = pd.to_datetime(rest, format=form, errors="coerce", utc=utc)
            found = got.notna().to_numpy()
            if found.any():
                parsed[rest.index[found]] = got[found]
                retry[np.flatnonzero(retry)[found]] = False
            if not retry.any():
                break
    if retry.any():
        parsed = parsed.copy()
        rest = text[retry]
        yearfirst = _match(arrow_text(rest), r"^\d{4}[-/.]")
        for mask, first in ((yearfirst, False), (~yearfirst, dayfirst)):
            if mask.any():
                parsed[rest.index[mask]] = _mixed(rest[mask], utc=utc, dayfirst=first)
    return parsed, retry


#: Held while the warning filters are changed: they are the whole process's, and
#: columns are typed side by side on threads (:mod:`servicekpi.threads`).
_FILTERS = threading.RLock()


class _UnknownZone:
    """pandas 2 drops a zone word it does not know ("EST") with a FutureWarning
    and reads the rest, a silently wrong time; pandas 3 refuses the value.
    Inside this context the warning is raised, so both versions refuse it.
    One thread at a time: another's leaving the context would otherwise take
    the filter away from a thread still inside it."""

    def __enter__(self):
        _FILTERS.acquire()
        try:
            self._catch = warnings.catch_warnings()
            self._catch.__enter__()
            warnings.filterwarnings("error", message=".*un-recognized timezone",
                                    category=FutureWarning)
        except BaseException:
            _FILTERS.release()
            raise
        return self

    def __exit__(self, *exc):
        try:
            return self._catch.__exit__(*exc)
        finally:
            _FILTERS.release()


def _mixed(text: pd.Series, *, utc: bool, dayfirst: bool) -> pd.Series:
    try:
        with _UnknownZone():
            out = pd.to_datetime(text, format="mixed", dayfirst=dayfirst, errors="coerce",
                                 utc=utc)
        if utc or not isinstance(out.dtype, pd.DatetimeTZDtype):
            return out if pd.api.types.is_datetime64_any_dtype(out.dtype) else _one_by_one(
                text, utc=utc, dayfirst=dayfirst)
    except (ValueError, TypeError, FutureWarning):
        pass
    return _one_by_one(text, utc=utc, dayfirst=dayfirst)


def _one_by_one(text: pd.Series, *, utc: bool, dayfirst: bool) -> pd.Series:
    """Value by value; a value that comes back with a zone of its own, or with
    a zone word pandas does not know, is not read."""
    out = []
    for v in text:
        try:
            with _UnknownZone():
                ts = pd.to_datetime(v, dayfirst=dayfirst, utc=utc)
        except (ValueError, TypeError, OverflowError, FutureWarning):
            ts = pd.NaT
        if not utc and ts is not pd.NaT and getattr(ts, "tzinfo", None) is not None:
            ts = pd.NaT
        out.append(ts)
    return pd.Series(pd.DatetimeIndex(out, tz="UTC" if utc else None), index=text.index)


#: A number that can only be read with a decimal comma (``11,4``, ``1.234,5``), and
#: one only with a decimal point (``11.4``, ``1,234.5``); ``1,234`` proves neither.
COMMA_PROOF = r"^[+-]?(?:\d+,(?:\d{1,2}|\d{4,})|\d{1,3}(?:\.\d{3})+,\d+|,\d+)$"
POINT_PROOF = r"^[+-]?(?:\d+\.(?:\d{1,2}|\d{4,})|\d{1,3}(?:,\d{3})+\.\d+|\.\d+)$"


def decimal_style(s: pd.Series) -> tuple[str, str | None, np.ndarray | None]:
    """The decimal mark a text column of numbers uses: ``"."`` or ``","``.

    ``11,4`` and ``1.234,5`` prove a decimal comma; ``11.4`` and ``1,234.5``
    a decimal point; ``1,234`` or ``1.234`` alone prove nothing (read with a
    decimal point, the comma as a thousands separator: see
    :func:`ambiguous_numbers`).  Returns ``(mark, problem, stray)``.  A
    column holding both marks is read with the one most of its cells prove
    when the other is a few strays (one, or at most :data:`STRAY_SHARE` of
    the cells proving either), and ``stray`` marks those cells (a target typed
    ``0,7575`` among ``0.80``: a problem of that row, not of the file; read
    with the column's mark it would be 7575); otherwise the column is refused
    as a whole (``problem``): a file half of each was mixed, not mistyped.
    """
    if not is_texty(s):
        return ".", None, None
    arr = pc.utf8_trim_whitespace(arrow_text(s.dropna()))
    c = _match(arr, COMMA_PROOF)
    d = _match(arr, POINT_PROOF)
    if c.any() and d.any():
        few, many = sorted((int(c.sum()), int(d.sum())))
        if few < many and few <= max(1, STRAY_SHARE * (few + many)):
            mark = "," if c.sum() > d.sum() else "."
            stray = np.zeros(len(s), bool)
            stray[np.flatnonzero(s.notna().to_numpy())[d if mark == "," else c]] = True
            return mark, None, stray
        text = pd.Series(arr.to_pylist(), dtype=object)
        ex_c = ", ".join(map(repr, text[c].head(3)))
        ex_d = ", ".join(map(repr, text[d].head(3)))
        return ".", (f"numbers with a decimal comma ({ex_c}) and with a decimal point "
                     f"({ex_d}) in one column, neither a few strays; fix the file so it "
                     "uses one"), None
    return ("," if c.any() else "."), None, None


#: The largest share of a column's decimal-proving cells the other mark may have and
#: be read as strays (problems of their rows) rather than refuse the column.
STRAY_SHARE = 0.2


def stray_mark_message(mark: str) -> str:
    """A row problem: a number written with the other decimal mark than its column's."""
    other, own = ("point", "commas") if mark == "," else ("comma", "points")
    return (f"a decimal {other} in a column of decimal {own}: write the number as the "
            "column's others are")


def ambiguous_numbers(s: pd.Series) -> list[str]:
    """Up to three values such as ``1.234`` or ``1,234`` (one mark, three digits after
    it) that read as a thousand or as a fraction, in a column that proves neither."""
    if not is_texty(s):
        return []
    arr = pc.utf8_trim_whitespace(arrow_text(s.dropna()))
    hit = _match(arr, r"^[+-]?\d{1,3}[.,]\d{3}$")
    return [str(v) for v in pd.Series(arr.to_pylist(), dtype=object)[hit].head(3)] \
        if hit.any() else []


def decide_decimal(s: pd.Series, declared: str = "auto"
                   ) -> tuple[str, str | None, tuple[str, ...], np.ndarray | None]:
    """A column's decimal mark, once for the column: ``(mark, problem,
    ambiguous, stray)``.

    ``declared`` is ``"."``, ``","`` or ``"auto"`` (decide from the data with
    :func:`decimal_style`).  ``ambiguous``: values that read either way when
    nothing decided it (they are read with ``.`` as the decimal point; the
    data-quality summary warns, message ``data.decimal_mark_assumed``), else
    empty.  ``stray``: the cells written with the other mark (problems of
    their rows, :func:`stray_mark_message`), or None.
    """
    if declared != "auto":
        return declared, None, (), None
    mark, problem, stray = decimal_style(s)
    ambiguous: tuple[str, ...] = ()
    if problem is None and mark == "." and stray is None:
        ambiguous = tuple(ambiguous_numbers(s))
    return mark, problem, ambiguous, stray


def _match(arr: pa.Array, pattern: str) -> np.ndarray:
    return pc.match_substring_regex(arr, pattern).fill_null(False).to_numpy(
        zero_copy_only=False)


#: 2**53: from it on, not every whole number is held exactly by a float64 (2**53 + 1
#: is read as 2**53), so a count or a score cannot be taken as written.
EXACT = 2.0 ** 53


def parse_numbers(s: pd.Series, *, integer: bool = False, decimal: str = ".",
                  na=NULL_TOKENS) -> tuple[pd.Series, np.ndarray]:
    """Parse numbers (float64, NaN for missing); with ``integer`` a fraction is bad.
    A whole number of :data:`EXACT` or more is returned as read: it is a number,
    but not held exactly, and the caller refuses it as too large
    (:func:`servicekpi.contracts.check_columns`).

    ``decimal`` is the column's decimal mark (decide it with
    :func:`decimal_style`); the other mark is a thousands separator.
    """
    miss = text_missing(s, na)
    if pd.api.types.is_bool_dtype(s.dtype):
        vals = s.astype(float).to_numpy()
    elif s.dtype == np.float64:    # typed as read (NaN for missing)
        vals = s.to_numpy()
    elif pd.api.types.is_numeric_dtype(s.dtype):
        vals = pd.to_numeric(s, errors="coerce").to_numpy(dtype=float, na_value=np.nan)
    else:
        text = s.astype("string").str.strip()
        if decimal == ",":
            text = text.str.replace(".", "", regex=False).str.replace(",", ".", regex=False)
        else:
            text = text.str.replace(",", "", regex=False)
        vals = pd.to_numeric(text.where(~miss), errors="coerce").to_numpy(
            dtype=float, na_value=np.nan)
    bad = ~miss & ~np.isfinite(vals)
    if integer:   # a fraction
        bad |= np.isfinite(vals) & (np.floor(vals) != vals)
    cleared = (bad | miss) & ~np.isnan(vals)
    if cleared.any():
        return pd.Series(np.where(cleared, np.nan, vals)), bad
    if s.dtype == np.float64:
        # typed numbers read whole (a 10M-row column is 80 MB): the column itself,
        # shared until either is written (copy-on-write), not a copy
        return s.reset_index(drop=True).rename(None), bad
    return pd.Series(vals), bad


def parse_booleans(s: pd.Series, *, true_values=(), false_values=(),
                   na=NULL_TOKENS) -> tuple[pd.Series, np.ndarray]:
    """Parse true/false, yes/no, y/n, t/f, 1/0 in any case (plus extra spellings)."""
    n = len(s)
    if pd.api.types.is_bool_dtype(s.dtype):
        return s.astype("boolean").reset_index(drop=True), np.zeros(n, bool)
    miss = text_missing(s, na)
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


# ------------------------------------------------------------------ fast path
#: The cells :func:`fast_column` reads, by kind: forms that read one way only,
#: whatever the column's day order or decimal mark.  Numbers leave out one to
#: three digits, a point and three digits ("1.234": a thousand or a fraction).
_FAST = {
    "timestamp": r"^\d{4}-\d\d-\d\d(?:[T ]\d\d:\d\d(?::\d\d(?:\.\d{1,6})?)?)?$",
    "int": r"^[+-]?\d{1,15}$",
    "number": r"^[+-]?(?:\d{1,15}|\d{0,15}\.(?:\d{1,2}|\d{4,15})|\d{4,15}\.\d{3}|\.\d{3})$",
    "number_point": r"^[+-]?(?:\d{1,15}|\d{0,15}\.\d{1,15})$",
}
#: The fast path's types as text is read: timestamps in microseconds, whose range
#: holds any year written (Arrow's cast to nanoseconds overflowed silently before
#: some versions), then in the nanoseconds loaded tickets hold once their years
#: are checked (:func:`_in_range`), so that checking them later copies nothing.
_FAST_TYPES = {"timestamp": pa.timestamp("us"), "int": pa.float64(), "number": pa.float64()}


def _spellings(tokens) -> set[str]:
    """Lower-case tokens as exports write them: true, TRUE, True."""
    return {w for t in tokens for w in (t, t.upper(), t.capitalize())}


def fast_column(arr: pa.Array | pa.ChunkedArray, kind: str, *, na=NULL_TOKENS,
                decimal: str = "auto", true_values=(), false_values=(), low=None, high=None):
    """A text column typed in one vectorised pass, or None when any cell needs the
    tolerant parsers (``parse_timestamps``, ``parse_numbers``, ``parse_booleans``).

    Read here: missing cells (``na``, trimmed and lower-cased), timestamps
    written year first without a zone (``2024-03-05``, ``2024-03-05 14:30``,
    ``2024-03-05T14:30:00.250``: naive, so taken to be in the column's zone),
    whole numbers, decimals with a point that cannot be a thousands separator,
    and the true/false spellings.  Every cell read here is read exactly as
    the tolerant parser reads it; a column with any other cell (a day-first
    date, a zone, a decimal comma, ``1.234``, a typo) returns None and goes
    whole to the tolerant parser, which decides its day order and decimal mark
    from all of its values.  So does a column with a value the loader flags
    (below ``low``, above ``high``, a timestamp outside :data:`YEAR_RANGE`),
    so that messages quote its cells as written.  Timestamps come back in
    nanoseconds, numbers as float64, booleans as Arrow booleans.
    ``decimal``: the column's declared mark (``","`` leaves only whole numbers
    to this path).  ``na``: the missing spellings; one that looks like a value
    (a mapping's ``999`` or ``2024-01-01``) is looked for in every cell.
    """
    if not (pa.types.is_string(arr.type) or pa.types.is_large_string(arr.type)):
        return None
    if kind == "bool":
        trues = TRUE_TOKENS | {str(v).strip().lower() for v in true_values}
        falses = FALSE_TOKENS | {str(v).strip().lower() for v in false_values}
        # every cell as exports write them (True, FALSE, yes, blank)? else trimmed, and
        # each cell must be a spelling or missing
        exact = _spellings(trues) | _spellings(falses) | {""}
        as_written = pc.all(pc.is_in(arr, value_set=pa.array(sorted(exact)))).as_py()
        low = pc.utf8_lower(arr if as_written else pc.utf8_trim_whitespace(arr))
        is_true = pc.is_in(low, value_set=pa.array(sorted(trues)))
        is_false = pc.is_in(low, value_set=pa.array(sorted(falses)))
        if not as_written:
            missing = pc.is_in(low, value_set=pa.array(sorted(na), pa.string()))
            if not pc.all(pc.or_(missing, pc.or_(is_true, is_false))).as_py():
                return None
        # as parse_booleans: a spelling both true and false reads false
        return pc.if_else(is_false, False, pc.if_else(is_true, True, pa.scalar(None, pa.bool_())))
    if kind not in _FAST_TYPES:
        return None
    pattern = _FAST["int" if kind == "int" or (kind == "number" and decimal == ",")
                    else "number_point" if kind == "number" and decimal == "." else kind]
    # a missing spelling that reads as a value: looked for in every cell
    lookalike = any(re.fullmatch(pattern, t) for t in na if t)
    if kind == "timestamp" and not lookalike:   # Arrow's ISO 8601 reader: strict (raises)
        try:
            return _in_range(pc.cast(pc.if_else(pc.equal(arr, ""), pa.scalar(None, pa.string()),
                                                arr), _FAST_TYPES[kind]), kind, low, high)
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
            pass
    # first as written (values and blank cells: two passes), else trimmed with missing spellings
    ok = pc.match_substring_regex(arr, pattern)
    present = pc.fill_null(ok, False)
    if lookalike or not pc.all(pc.or_(present, pc.fill_null(pc.equal(arr, ""), True))).as_py():
        text = pc.utf8_trim_whitespace(arr)
        missing = pc.or_(pc.is_null(text), _spells_missing(text, na))
        present = pc.match_substring_regex(text, pattern)
        if not pc.all(pc.or_(missing, present)).as_py():
            return None
        arr, present = text, pc.and_(present, pc.invert(missing))
    try:
        values = pc.cast(pc.if_else(present, arr, pa.scalar(None, pa.string())),
                         _FAST_TYPES[kind])
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):   # 2024-02-30
        return None
    return _in_range(values, kind, low, high)


def _in_range(values: pa.Array, kind: str, low, high):
    """``values`` when none is one the loader flags (see :func:`fast_column`), else
    None; numbers with -0 read as 0, as ``pd.to_numeric`` reads them."""
    if kind == "timestamp":
        years = pc.year(values)
        low, high = YEAR_RANGE
    else:
        years, values = values, pc.add(values, 0.0)
    if len(values) and values.null_count < len(values):
        least, most = pc.min_max(years).values()
        if (low is not None and least.as_py() < low) or (high is not None
                                                        and most.as_py() > high):
            return None
    # in YEAR_RANGE: nanoseconds hold every value (a checked cast, never wrapped)
    return values.cast(pa.timestamp("ns")) if kind == "timestamp" else values
