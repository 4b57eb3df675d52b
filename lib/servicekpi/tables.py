"""The other inputs: the KPI table, benchmarks and SMART targets.

All three are read from CSV, Parquet or Excel (targets also from YAML) and
held to their contracts in :mod:`servicekpi.schema`, with the same error
reporting as ticket exports: every problem at once, each with file, column,
rows and values.

Templates have rows waiting to be filled in (``servicekpi init`` writes them):
a targets row whose ``target`` and ``deadline`` are both blank, and a
benchmarks row whose ``value``, ``source`` and ``published`` are all blank, are
skipped.  Their ``team`` cells may name a team as the export does
(``Service Desk`` is read as the team id ``service_desk``,
:func:`servicekpi.teams.team_id`).  Targets and KPI tables are often shared
by many teams: their bad-rows switch, ``bad_rows="drop"`` (as for a ticket
export, :func:`servicekpi.load_tickets`), leaves out only the teams whose
rows are wrong and says which in ``attrs["team_errors"]`` (see
:func:`load_targets`).
"""
from __future__ import annotations

import re
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd

from .catalogue import Catalogue, Unit
from .contracts import FIRST_ROW, Checked, check_columns, duplicate_keys
from .errors import DataError, InvalidArgument, Problem
from .i18n import LANGUAGES
from . import parsing
from .parsing import parse_text, text_missing, western_date
from .periods import EXAMPLE, AmbiguousDate, freq_of, label, parse_period
from .readers import read_table, read_yaml
from .teams import to_ids
from .schema import BENCHMARK_COLUMNS, KPI_TABLE_COLUMNS, TARGET_COLUMNS


def _periods(checked: Checked, column: str, freq: str, source: str) -> pd.Series:
    """Parse a period column in place, flagging unreadable labels (each
    distinct cell parsed once: a KPI table repeats a few labels many times)."""
    values = checked.columns[column]
    out = []
    bad = np.zeros(len(values), bool)
    either = np.zeros(len(values), bool)
    parsed: dict = {}               # (type, cell) -> Period, or the error it raised
    for i, v in enumerate(values):
        if v is None or (isinstance(v, float) and np.isnan(v)):
            out.append(pd.NaT)
            continue
        key = (type(v), v)          # 2024 and 2024.0 are read apart, as one by one
        if key not in parsed:
            try:
                parsed[key] = parse_period(v, freq)
            except ValueError as exc:   # InvalidArgument: not a period of that kind
                parsed[key] = exc
        if isinstance(parsed[key], Exception):
            out.append(pd.NaT)
            bad[i] = True
            either[i] = isinstance(parsed[key], AmbiguousDate)
        else:
            out.append(parsed[key])
    example = EXAMPLE[freq]
    checked.flag(source, column, bad & ~either,
                 f"cannot read period: expected a {freq} such as {example}"
                 + _other_freq([k[1] for k, p in parsed.items()
                                if isinstance(p, Exception) and not isinstance(p, AmbiguousDate)],
                               freq), values)
    checked.flag(source, column, either, "day and month could be either way round, in "
                 f"different {freq}s: write the {freq} as {example}", values)
    result = pd.Series(out, dtype=pd.PeriodDtype(freq_of(freq)))
    checked.columns[column] = result
    return result


def _other_freq(cells: list, freq: str) -> str:
    """A hint when every cell not read as a ``freq`` is a period of another kind
    (``2026-W02`` read for months: the file is for a weekly team).  Only the
    labels not read are read again, once for each other kind."""
    from .periods import parse_period as read_as
    for other in EXAMPLE:
        if other == freq or not cells:
            continue
        try:
            for v in cells:
                read_as(v, other)
        except ValueError:
            continue
        return f" (these are {other}s: load it with freq={other!r}, as a team with freq: {other} does)"
    return ""


def _unit_column(checked: Checked, raw: pd.DataFrame, catalogue: Catalogue | None,
                 source: str) -> None:
    """The ``unit`` column the templates carry for reading (the KPI's unit in the
    catalogue): a row that says another (``minutes`` where the catalogue's unit
    is hours) had its value read in the catalogue's, 30 minutes as 30 hours;
    refused.  A blank cell, or a file without the column, says nothing."""
    if catalogue is None or "unit" not in raw.columns or "kpi" not in checked.columns:
        return
    def plain(text):          # "Score 1 - 5" as "score 1-5"
        return re.sub(r"\s*-\s*", "-", re.sub(r"\s+", " ", str(text).strip().lower()))
    said = parse_text(raw["unit"].reset_index(drop=True))[0].map(
        lambda s: plain(s) if isinstance(s, str) else s)
    kpis = checked.columns["kpi"]
    unit = kpis.map(lambda k: catalogue[k].unit if k in catalogue else None)
    # the unit as the catalogue writes it, or its words on the pages (h, 小时)
    names = {u: {plain(u)} | {plain(Unit(u).word(lang)) for lang in LANGUAGES}
             for u in set(unit.dropna())}
    other = np.array([isinstance(s, str) and s != "" and u is not None and s not in names[u]
                      for s, u in zip(said, unit)], dtype=bool)
    checked.flag(source, "unit", other, "the values are read in the catalogue's unit for the "
                 "KPI, not in this one: write the value in " + "/".join(sorted(set(
                     unit[other].dropna()))) + " (the unit column is for reading)",
                 [f"{s} for {k}" for s, k in zip(said, kpis)])


def _unknown_kpis(checked: Checked, catalogue: Catalogue | None, source: str) -> None:
    if catalogue is None or "kpi" not in checked.columns:
        return
    kpi = checked.columns["kpi"]
    unknown = (~kpi.isin(catalogue.names()) & kpi.notna()).to_numpy(dtype=bool)
    checked.flag(source, "kpi", unknown, "KPI not in the catalogue (add it to the "
                 "catalogue, or fix the name)", kpi)


def _outside_bounds(checked: Checked, catalogue: Catalogue | None, source: str,
                    column: str, values, quote=None) -> None:
    """Flag rows whose value (or any of its values: a list per row) lies outside
    their KPI's ``bounds`` in the catalogue (a csat_pct target of 1.7, an NPS
    benchmark of 150); ``quote``: the cells to quote (default the values).  A share
    written as a percentage (85 for 0.85) gets a hint."""
    c = checked.columns
    if catalogue is None or "kpi" not in c:
        return
    kpis = c["kpi"]
    beyond, low, high = _beyond_bounds(catalogue, kpis, values)
    for kpi in kpis.dropna().unique():
        outside = beyond & (kpis == kpi).to_numpy(dtype=bool)
        if not outside.any():
            continue
        lo, hi = catalogue.kpis[kpi].bounds
        if lo is not None and hi is not None:
            expected = f"from {lo:g} to {hi:g}"
        else:
            expected = f"of {lo:g} or more" if lo is not None else f"of {hi:g} or less"
        message = f"outside the bounds of KPI {kpi!r}: expected a value {expected}"
        if ((lo, hi) == (0, 1) and (low[outside] >= 0).all()
                and (high[outside] <= 100).all()):
            message += " (a share: write 0.85 for 85%)"
        checked.flag(source, column, outside, message, values if quote is None else quote)


def _beyond_bounds(catalogue: Catalogue, kpis: pd.Series, values
                   ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per row: whether its value (or any of its values: a list per row) lies
    outside its KPI's ``bounds`` in the catalogue; with each row's lowest and
    highest value (NaN: none)."""
    rows = [_numbers(v if isinstance(v, list) else [v]) for v in values]
    low = np.array([min(r, default=np.nan) for r in rows], dtype=float)
    high = np.array([max(r, default=np.nan) for r in rows], dtype=float)
    beyond = np.zeros(len(rows), bool)
    for kpi in kpis.dropna().unique():
        d = catalogue.kpis.get(kpi)
        if d is None or not d.bounds:
            continue
        lo, hi = d.bounds
        with np.errstate(invalid="ignore"):
            outside = np.zeros(len(rows), bool)
            if lo is not None:
                outside |= low < lo
            if hi is not None:
                outside |= high > hi
        beyond |= outside & (kpis == kpi).to_numpy(dtype=bool)
    return beyond, low, high


def _numbers(cells) -> list[float]:
    """The cells that are numbers (blanks and NaN left out)."""
    out = []
    for x in cells:
        try:
            f = float(x)
        except (TypeError, ValueError):
            continue
        if f == f:
            out.append(f)
    return out


def _finish(checked: Checked, source: str, order: list[str]) -> pd.DataFrame:
    if checked.problems:
        raise DataError(checked.problems, source=source)
    return pd.DataFrame({c: checked.columns[c] for c in order if c in checked.columns})


def _at_rows(check, raw: pd.DataFrame, positions: np.ndarray, source: str) -> pd.DataFrame:
    """``check(frame)`` on some of a file's rows (0-based ``positions`` in the file);
    the row numbers of its problems are the file's."""
    try:
        return check(raw.reset_index(drop=True))
    except DataError as exc:
        problems = [replace(p, rows=tuple(int(positions[r - FIRST_ROW]) + FIRST_ROW
                                          for r in p.rows)) if p.rows else p
                    for p in exc.problems]
        raise DataError(problems, source=source) from None


def _load_rows(check, raw: pd.DataFrame, keep: np.ndarray, source: str,
               bad_rows: str) -> pd.DataFrame:
    """Check the rows in ``keep``; with ``bad_rows="drop"`` a team whose rows have
    problems is left out (``attrs["team_errors"]``: team -> its problems) instead of
    refusing the file.  Problems that concern no single team (a missing column, a
    blank team, a clash between teams) still refuse it."""
    if bad_rows not in ("raise", "drop"):
        raise InvalidArgument(f"bad_rows must be 'raise' or 'drop', not {bad_rows!r}")
    raw = raw.reset_index(drop=True)
    positions = np.flatnonzero(keep)
    sub = raw.iloc[positions]
    try:
        table = _at_rows(check, sub, positions, source)
    except DataError as exc:
        if (bad_rows == "raise" or "team" not in sub.columns
                or any(not p.rows for p in exc.problems)):
            raise
        teams = parse_text(sub["team"])[0]
        if teams.isna().any():
            raise
        teams = to_ids(teams)
        bad: dict[str, list[Problem]] = {}
        ok = np.ones(len(sub), bool)
        for team in dict.fromkeys(teams):
            mine = (teams == team).to_numpy()
            try:
                _at_rows(check, sub[mine], positions[mine], source)
            except DataError as team_exc:
                bad[team] = [replace(p, message=f"team {team!r}: {p.message}")
                             for p in team_exc.problems]
                ok &= ~mine
        # a problem only the whole file shows (a number written with the other decimal
        # mark than the file's): the teams of its rows, unless their own check found one
        at = {int(pos) + FIRST_ROW: i for i, pos in enumerate(positions)}
        ids = teams.to_numpy(dtype=object)
        own = set(bad)
        for p in exc.problems:
            for team in dict.fromkeys(ids[at[r]] for r in p.rows if r in at):
                if team in own:
                    continue
                rows = tuple(r for r in p.rows if r in at and ids[at[r]] == team)
                values = (tuple(v for r, v in zip(p.rows, p.values) if r in rows)
                          if p.values and len(p.values) == len(p.rows) else p.values)
                bad.setdefault(team, []).append(replace(
                    p, message=f"team {team!r}: {p.message}", rows=rows, values=values))
                ok &= (teams != team).to_numpy()
        if not bad:
            raise
        try:
            table = _at_rows(check, sub[ok], positions[ok], source)
        except DataError:
            raise exc from None
        table.attrs["team_errors"] = bad
        return table
    table.attrs["team_errors"] = {}
    return table


def _blank(raw: pd.DataFrame, columns: tuple[str, ...]) -> np.ndarray:
    """Rows whose ``columns`` are all blank (False everywhere when one is absent)."""
    if not all(c in raw.columns for c in columns):
        return np.zeros(len(raw), bool)
    out = np.ones(len(raw), bool)
    for c in columns:
        out &= text_missing(raw[c].reset_index(drop=True))
    return out


def _path_or_frame(path, frame):
    """(path, frame): a DataFrame given as the path is the frame (an analyst's table
    built in pandas)."""
    if isinstance(path, pd.DataFrame):
        if frame is not None:
            raise InvalidArgument("give the table as the path or as frame=, not both")
        return None, path
    return path, frame


def load_kpi_table(path, *, freq: str = "month", catalogue: Catalogue | None = None,
                   frame: pd.DataFrame | None = None, bad_rows: str = "raise") -> pd.DataFrame:
    """Load a long KPI table ``team, period, kpi, value[, n][, sd]``.

    ``n`` is the sample size behind a value (leave it out for a census such
    as headcount-based figures); ``sd`` the standard deviation of the values
    averaged, when the value is a mean (it gives a confidence interval).

    For KPIs that do not come from tickets (training hours, employee
    satisfaction, attrition, MTTR, ...).  Periods are parsed at ``freq``
    granularity (``"month"``, ``"week"`` or ``"quarter"``); a KPI missing
    from ``catalogue`` and a repeated team + period + kpi are refused.
    ``bad_rows``: as in :func:`load_targets`.
    """
    freq_of(freq)
    path, frame = _path_or_frame(path, frame)
    source = Path(path).name if path is not None else "kpi table"
    raw = read_table(path) if frame is None else frame
    return _load_rows(lambda f: _check_kpi_table(f, freq, catalogue, source), raw,
                      np.ones(len(raw), bool), source, bad_rows)


def _check_kpi_table(raw: pd.DataFrame, freq: str, catalogue: Catalogue | None,
                     source: str) -> pd.DataFrame:
    checked = check_columns(raw, KPI_TABLE_COLUMNS, source,
                            day_order_advice=parsing.WRITE_YEAR_FIRST)
    if "period" in checked.columns:
        _periods(checked, "period", freq, source)
    _unknown_kpis(checked, catalogue, source)
    if "value" in checked.columns:      # an employee satisfaction of 82 for 0.82: refused
        _outside_bounds(checked, catalogue, source, "value", checked.columns["value"],
                        raw["value"].reset_index(drop=True))
    duplicate_keys(checked, ["team", "period", "kpi"], source, "KPI value")
    table = _finish(checked, source, ["team", "period", "kpi", "value", "n", "sd"])
    for col in ("n", "sd"):
        if col not in table:
            table[col] = np.nan
    table["numerator"] = np.nan
    table["open_share"] = np.nan     # only durations computed from tickets have open tickets
    table["at_least"] = np.nan
    table = table[["team", "period", "kpi", "value", "n", "numerator", "sd", "open_share",
                   "at_least"]]
    table.attrs["freq"] = freq
    return table


def merge_kpis(computed: pd.DataFrame, table: pd.DataFrame | None, *,
               source: str = "kpi table") -> pd.DataFrame:
    """Add KPI-table rows to computed KPIs; a KPI given both ways is refused.

    The computed KPIs' columns are kept (``open_share`` NaN for table rows).  A
    KPI the tickets give a team no value of (its computed rows all n/a) may come
    from the table: those n/a rows give way to the table's, one row per team,
    period and KPI."""
    if table is None or len(table) == 0:
        return computed
    check_merge(computed, table, source=source)
    blank = computed["value"].isna().to_numpy()
    if blank.any():
        given = _keys_in(computed, table, ["team", "kpi"])
        computed = computed[~(blank & given)]
    table = table.reindex(columns=computed.columns)
    # text keys in the computed KPIs' dtype: Python objects would make the whole
    # column objects (100 teams' 72,000 rows: 3 MB of str objects in every report)
    table = table.astype({c: computed[c].dtype for c in ("team", "kpi")
                          if c in table and table[c].dtype != computed[c].dtype
                          and isinstance(computed[c].dtype, pd.StringDtype)})
    merged = pd.concat([computed, table], ignore_index=True)
    merged = merged.sort_values(["team", "period"], kind="stable").reset_index(drop=True)
    merged.attrs = dict(computed.attrs)
    return merged


def check_merge(computed: pd.DataFrame, table: pd.DataFrame | None, *,
                source: str = "kpi table") -> None:
    """Raise what :func:`merge_kpis` would refuse in adding ``table`` to
    ``computed``, without building the merged table (a report checks every
    team's KPI-table rows against every team's KPIs before it merges them)."""
    if table is None or len(table) == 0 or not len(computed):
        return
    pc, pt = computed["period"].dtype, table["period"].dtype
    if pc != pt:
        raise DataError([Problem(source, "period", f"periods are {pt}, but the KPIs "
                                 f"computed from tickets are {pc}: use the same period")],
                        source=source)
    # one source per team and KPI, whatever the periods: table rows before (or after)
    # the tickets' periods made one series of two sources, its forecast and status
    # changed unsaid.  A KPI the tickets give no value of (not measured) may come
    # from the table.
    measured = computed[computed["value"].notna()]
    both = table[_keys_in(table, measured, ["team", "kpi"])]
    if len(both):
        rows = [f"{r.team} {label(r.period)} {r.kpi}" for r in both.head(5).itertuples()]
        raise DataError([Problem(source, "kpi", "KPI given in the KPI table and also "
                                 f"computed from tickets for the same team ({len(both)} "
                                 f"values, e.g. {'; '.join(rows)}): keep one source per "
                                 "team and KPI (a series of two sources is forecast and "
                                 "assessed as one)")], source=source)


def _keys_in(rows: pd.DataFrame, other: pd.DataFrame, key: list[str]) -> np.ndarray:
    """Which of ``rows`` have their ``key`` (every column equal) among ``other``'s.

    Each column's values are numbered by ``rows``' distinct ones and looked up
    in ``other`` by them: integers only, no joined frame (a report checks its
    KPI-table rows against every team's computed KPIs, 100 teams' 58,000 rows:
    a merge on the text keys left its kernel 7 MB larger).
    """
    mine = np.zeros(len(rows), np.int64)
    theirs = np.zeros(len(other), np.int64)
    for c in key:
        codes, distinct = pd.factorize(rows[c], use_na_sentinel=False)
        at = pd.Index(distinct).get_indexer(other[c])
        # the keys so far numbered again, 0 .. distinct keys - 1: no overflow
        mine, keys = pd.factorize(mine * len(distinct) + codes)
        theirs = np.where((theirs >= 0) & (at >= 0), theirs * len(distinct) + at, -1)
        theirs = np.where(theirs >= 0, pd.Index(keys).get_indexer(theirs), -1)
    return np.isin(mine, theirs[theirs >= 0])


def load_benchmarks(path, *, catalogue: Catalogue | None = None,
                    frame: pd.DataFrame | None = None) -> pd.DataFrame:
    """Load external benchmarks ``kpi, benchmark, value, source, published``.

    ``benchmark`` names the reference point (``industry_median``,
    ``top_quartile``, ``best_in_class``, ...); names are normalised to
    lower case with underscores.  ``published`` is the date of the figures
    (a file may call the column ``as_of``, as older files do; the frame
    returned always says ``published``).  A value outside its KPI's
    ``bounds`` in the catalogue is refused.  Rows whose ``value``, ``source``
    and ``published`` are all blank (a template's unfilled rows) are skipped.
    """
    path, frame = _path_or_frame(path, frame)
    source = Path(path).name if path is not None else "benchmarks"
    raw = read_table(path) if frame is None else frame
    old = "as_of" in raw.columns and "published" not in raw.columns
    if old:
        raw = raw.rename(columns={"as_of": "published"})
    keep = ~_blank(raw, ("value", "source", "published"))
    try:
        return _load_rows(lambda f: _check_benchmarks(f, catalogue, source), raw, keep, source,
                          "raise")
    except DataError as exc:
        if not old:
            raise
        # problems name the column as the file does
        raise DataError([replace(p, column="as_of") if p.column == "published" else p
                         for p in exc.problems], source=exc.source) from None


def _check_benchmarks(raw: pd.DataFrame, catalogue: Catalogue | None,
                      source: str) -> pd.DataFrame:
    checked = check_columns(raw, BENCHMARK_COLUMNS, source,
                            day_order_advice=parsing.WRITE_YEAR_FIRST)
    if "benchmark" in checked.columns:
        b = checked.columns["benchmark"]
        checked.columns["benchmark"] = b.where(b.isna(), b.astype(str).str.strip().str.lower()
                                                 .str.replace(r"[\s\-]+", "_", regex=True))
    _unknown_kpis(checked, catalogue, source)
    _unit_column(checked, raw, catalogue, source)
    if "benchmark" in checked.columns:   # the names of the figures the teams give
        own = checked.columns["benchmark"].isin(PEER_REFERENCES).to_numpy(dtype=bool)
        checked.flag(source, "benchmark", own, "peer_median and best_peer are the other "
                     "teams' figures, worked out from the data: name an external "
                     "benchmark otherwise (e.g. peer_club_median)", checked.columns["benchmark"])
    written = _published_as(raw, checked)
    if "team" in raw.columns:     # a benchmarks file is every team's that names it
        named = parse_text(raw["team"].reset_index(drop=True))[0].str.strip()
        checked.flag(source, "team", (named.notna() & (named != "")).to_numpy(dtype=bool),
                     "benchmarks apply to every team whose parameters name the file: a "
                     "team column is not read (a team's own benchmarks go in a file its "
                     "parameters name, benchmarks: in teams/<team>.yaml)", named)
    if "value" in checked.columns:
        _outside_bounds(checked, catalogue, source, "value", checked.columns["value"],
                        raw["value"].reset_index(drop=True))
    duplicate_keys(checked, ["kpi", "benchmark", "source"], source, "benchmark")
    _benchmarks_in_order(checked, catalogue, source)
    out = _finish(checked, source, list(BENCHMARK_COLUMNS))
    out.attrs["published_as"] = written
    return out


def _published_as(raw: pd.DataFrame, checked: Checked) -> dict:
    """(source, publication date as read) -> the date as precise as it was written,
    for a date without its day: "2025" read as 2025-01-01 is shown "2025", "June
    2024" read as 2024-06-01 "2024-06" (a report names a source with its date: a
    day nobody gave is not shown)."""
    from .periods import no_day
    if "published" not in raw.columns or "published" not in checked.columns:
        return {}
    cells = parse_text(raw["published"].reset_index(drop=True))[0]
    out = {}
    for text, when, src in zip(cells, checked.columns["published"],
                               checked.columns.get("source", [None] * len(cells))):
        if not isinstance(text, str) or pd.isna(when):
            continue
        plain = western_date(text.strip().lstrip("'"))
        if no_day(plain):
            year = re.fullmatch(r"(?:19|20|21)\d\d(?:\.0)?", plain)
            out[(src, pd.Timestamp(when).isoformat())] = (
                str(pd.Timestamp(when).year) if year else pd.Timestamp(when).strftime("%Y-%m"))
    return out


#: The references the other teams' values give (:func:`servicekpi.benchmark_table`).
PEER_REFERENCES = ("peer_median", "best_peer")
#: Benchmarks that rank: each at least as good as the one before, in the KPI's direction.
RANKED_BENCHMARKS = ("industry_median", "top_quartile", "best_in_class")


def _benchmarks_in_order(checked: Checked, catalogue: Catalogue | None, source: str) -> None:
    """Refuse a source's top quartile worse than its median, or best in class worse
    than either, in the KPI's direction (a top quartile of 20 h over a median of
    10 h for a resolution time: the team 'behind' the median and 'leading' the
    top quartile at once)."""
    c = checked.columns
    if catalogue is None or not {"kpi", "benchmark", "value"} <= set(c):
        return
    frame = pd.DataFrame({"kpi": c["kpi"], "benchmark": c["benchmark"], "value": c["value"],
                          "source": c.get("source", pd.Series([None] * len(c["kpi"])))})
    bad = np.zeros(len(frame), bool)
    shown = [None] * len(frame)
    for (kpi, _), g in frame[frame["benchmark"].isin(RANKED_BENCHMARKS)].groupby(
            ["kpi", "source"], dropna=False, sort=False):
        if kpi not in catalogue or catalogue[kpi].direction not in ("higher", "lower"):
            continue
        sign = 1 if catalogue[kpi].direction == "higher" else -1
        worse = "<" if sign > 0 else ">"          # worse than the benchmark below it
        rows = list(g.assign(rank=g["benchmark"].map(RANKED_BENCHMARKS.index))
                    .sort_values("rank").iterrows())
        for (_, a), (j, b) in zip(rows, rows[1:]):
            if pd.notna(a["value"]) and pd.notna(b["value"]) and \
                    sign * (b["value"] - a["value"]) < 0:
                bad[j] = True
                shown[j] = (f"{b['benchmark']} {b['value']:g} {worse} "
                            f"{a['benchmark']} {a['value']:g}")
    checked.flag(source, "value", bad, "benchmarks out of order: a top quartile or best in "
                 "class must be at least as good as the benchmark below it, in the KPI's "
                 "direction (for a KPI where lower is better, the lower value)", shown)


_MILESTONE = re.compile(r"^\s*([^=:]+?)\s*[=:]\s*([-+0-9.,eE]+)\s*$")
#: Between milestones: a semicolon or a line break, or a comma before the next
#: 'period=' (a comma inside a number, 0,8008 in a file of decimal commas, is not)
_BETWEEN_MILESTONES = re.compile(r"[;\n]|,(?=\s*[^,;=\n]+[=:])")


def load_targets(path, *, freq: str = "month", catalogue: Catalogue | None = None,
                 frame: pd.DataFrame | None = None, bad_rows: str = "raise",
                 scored: bool = False) -> pd.DataFrame:
    """Load SMART targets, one per team and KPI.

    Columns: ``team, kpi, baseline, baseline_period, target, deadline``
    (required), ``baseline_periods`` (a whole number >= 1, default 1: the
    baseline is the mean over that many periods ending at
    ``baseline_period``, see :func:`servicekpi.targets.baseline_interval`;
    periods are read at ``freq``, ``"month"``, ``"week"`` or ``"quarter"``;
    always returned), ``milestones`` (``"2025Q1=0.80; 2025Q2=0.82"`` in a
    table, or a mapping in YAML), ``weight`` (>= 0) and ``owner``.
    YAML files hold ``targets:``, a list of such records.

    Weights: without a ``weight`` column, or with it blank for every target
    of a team, the team's targets weigh the same (1 each).  A team with
    some targets weighted and others blank is refused (each blank row is
    named): a forgotten weight must not silently count as 1.

    Refused: a deadline not after the baseline period, a KPI not in the
    catalogue (or one without a better direction), a negative weight, a
    blank weight beside weighted targets of the same team, a
    milestone outside baseline..deadline, a target equal to its baseline,
    a baseline, target or milestone outside the KPI's ``bounds`` in the
    catalogue (a share of 85 gets the hint to write 0.85), a team + KPI
    given twice.

    ``scored``: the targets are scored as the reports score them (the progress
    from the baseline to the target, with the file's weights; see
    :mod:`servicekpi.scorecard`), so also refused: a target worse than its
    baseline (in the catalogue's direction), a team whose every weight is 0.
    Other scoring rules (``scorecard(rules=...)``) can score such targets.

    A row whose ``target`` and ``deadline`` are both blank is skipped (a
    template row nobody filled in); row numbers in messages stay the file's.

    ``bad_rows="drop"`` (the ticket export's bad-rows switch, per team): a
    file shared by teams fails only the teams whose rows are wrong.  Their
    rows are left out and ``attrs["team_errors"]`` maps each such team to
    its problems (each message starts with ``team '<id>':``); a problem that concerns no single team (a missing
    column, a blank team cell) still refuses the file.  With the default
    ``"raise"`` any problem refuses it.  ``attrs["team_errors"]`` is always set.
    """
    freq_of(freq)
    path, frame = _path_or_frame(path, frame)
    source = Path(path).name if path is not None else "targets"
    if frame is None and path is not None and Path(path).suffix.lower() in (".yaml", ".yml"):
        frame = _targets_yaml(Path(path))
    raw = read_table(path) if frame is None else frame
    keep = ~_blank(raw, ("target", "deadline"))
    return _load_rows(lambda f: _check_targets(f, freq, catalogue, source, scored), raw, keep,
                      source, bad_rows)


def _check_targets(raw: pd.DataFrame, freq: str, catalogue: Catalogue | None,
                   source: str, scored: bool = False) -> pd.DataFrame:
    checked = check_columns(raw, TARGET_COLUMNS, source,
                            day_order_advice=parsing.WRITE_YEAR_FIRST)
    for col in ("baseline_period", "deadline"):
        if col in checked.columns:
            _periods(checked, col, freq, source)
    _unknown_kpis(checked, catalogue, source)
    _unit_column(checked, raw, catalogue, source)
    c = checked.columns
    if catalogue is not None and "kpi" in c:
        neutral = c["kpi"].map(lambda k: k in catalogue and catalogue[k].direction == "neutral")
        checked.flag(source, "kpi", neutral.to_numpy(dtype=bool), "KPI has no better "
                     "direction (neutral in the catalogue), so it cannot be targeted", c["kpi"])
    if "baseline_period" in c and "deadline" in c:
        early = np.array([pd.notna(b) and pd.notna(d) and d <= b
                          for b, d in zip(c["baseline_period"], c["deadline"])])
        checked.flag(source, "deadline", early, "deadline is not after the baseline "
                     "period (expected baseline_period < deadline)",
                     [f"{label(b)} -> {label(d)}"
                      for b, d in zip(c["baseline_period"], c["deadline"])])
    if "baseline" in c and "target" in c:
        same = (c["baseline"] == c["target"]).to_numpy(dtype=bool)
        checked.flag(source, "target", same, "target equals the baseline: nothing to "
                     "improve", c["target"])
        if scored and catalogue is not None and "kpi" in c:
            # the report scores progress from the baseline to the target
            # (servicekpi.scorecard): a target on the wrong side has none to score
            known = [catalogue.kpis.get(k) if isinstance(k, str) else None for k in c["kpi"]]
            sign = np.array([d.sign if d is not None else 0 for d in known], dtype=float)
            gap = (c["target"] - c["baseline"]).to_numpy(dtype=float)
            # a baseline or target outside the KPI's bounds is refused as such (below)
            inside = ~(_beyond_bounds(catalogue, c["kpi"], c["baseline"])[0]
                       | _beyond_bounds(catalogue, c["kpi"], c["target"])[0])
            worse = (np.nan_to_num(sign * gap) < 0) & inside
            checked.flag(source, "target", worse, "target is worse than its baseline: "
                         "nothing to improve (a target's score is its progress from the "
                         "baseline to the target)",
                         [f"{b:g} -> {t:g} ({d.direction} is better)" if d is not None
                          else "" for d, b, t in zip(known, c["baseline"], c["target"])])
    c["weight"] = _weights(checked, raw, source, scored)
    if "baseline_periods" in c:
        c["baseline_periods"] = c["baseline_periods"].fillna(1).astype("int64")
    else:
        c["baseline_periods"] = pd.Series(np.ones(len(raw), dtype="int64"))
    written = c.get("milestones", pd.Series([None] * len(raw)))
    c["milestones"] = _milestones(checked, raw, freq, source)
    for col in ("baseline", "target"):
        if col in c:
            _outside_bounds(checked, catalogue, source, col, c[col],
                            raw[col].reset_index(drop=True))
    _outside_bounds(checked, catalogue, source, "milestones",
                    [list(marks.values()) for marks in c["milestones"]], written)
    duplicate_keys(checked, ["team", "kpi"], source, "target")
    return _finish(checked, source, list(TARGET_COLUMNS))


def _weights(checked: Checked, raw: pd.DataFrame, source: str, scored: bool = False
             ) -> pd.Series:
    """The targets' weights.  The column absent, or blank for every target of a
    team: equal weights (1 each).  Blank for some targets of a team whose other
    targets have a weight: a problem on the blank rows, naming the team (a
    weight left out by mistake would silently count as 1)."""
    c = checked.columns
    if "weight" not in c:
        return pd.Series(np.ones(len(raw)))
    blank = text_missing(raw["weight"].reset_index(drop=True))
    teams = c.get("team", pd.Series([None] * len(raw)))
    weight = c["weight"].to_numpy(dtype=float)
    for team in teams.dropna().unique():
        mine = (teams == team).to_numpy(dtype=bool)
        if blank[mine].any() and not blank[mine].all():
            checked.flag(source, "weight", mine & blank,
                         f"blank weight, while the other targets of team {team!r} have one: "
                         "give each of the team's targets a weight, or leave all of them "
                         "blank for equal weights", c["kpi"] if "kpi" in c else None)
        elif scored and not blank[mine].any() and (weight[mine] == 0).all():
            checked.flag(source, "weight", mine,
                         f"every target of team {team!r} has weight 0: no composite score "
                         "can be formed; give at least one a positive weight",
                         c["kpi"] if "kpi" in c else None)
    return c["weight"].where(~blank, 1.0)


def _targets_yaml(path: Path) -> pd.DataFrame:
    data = read_yaml(path, error=DataError, source=path.name) or {}
    records = data.get("targets") if isinstance(data, dict) else data
    if not isinstance(records, list) or not all(isinstance(r, dict) for r in records):
        raise DataError("expected 'targets:' with a list of records", source=path.name)
    rows = []
    for r in records:
        r = dict(r)
        ms = r.get("milestones")
        if isinstance(ms, dict):
            r["milestones"] = "; ".join(f"{k}={v}" for k, v in ms.items())
        rows.append({k: (None if v is None else str(v)) for k, v in r.items()})
    return pd.DataFrame(rows)


def _milestones(checked: Checked, raw: pd.DataFrame, freq: str, source: str) -> pd.Series:
    """Parse milestone strings into {period: value} dicts, flagging bad ones."""
    c = checked.columns
    text = c.get("milestones", pd.Series([None] * len(raw)))
    out, bad, outside = [], np.zeros(len(raw), bool), np.zeros(len(raw), bool)
    starts = c.get("baseline_period", pd.Series([pd.NaT] * len(raw)))
    ends = c.get("deadline", pd.Series([pd.NaT] * len(raw)))
    # a milestone's value is written with the decimal mark of the file's targets
    numbers = [raw[k] for k in ("target", "baseline") if k in raw.columns]
    mark = parsing.decimal_style(pd.concat(numbers, ignore_index=True))[0] if numbers \
        else "."
    for i, cell in enumerate(text):
        marks: dict = {}
        if cell:
            for part in _BETWEEN_MILESTONES.split(str(cell)):
                if not part.strip():
                    continue
                m = _MILESTONE.match(part)
                # not a number only the other decimal mark reads: 0,75 in a file of
                # decimal points would read 75 (1,200 is 1200 there, as in a target)
                other = parsing.COMMA_PROOF if mark == "." else parsing.POINT_PROOF
                value = (parsing.parse_numbers(pd.Series([m.group(2)], dtype=object),
                                               decimal=mark)[0].iloc[0]
                         if m is not None and not re.match(other, m.group(2).strip())
                         else np.nan)
                if m is None or not np.isfinite(value):
                    bad[i] = True
                    continue
                try:
                    marks[parse_period(m.group(1), freq)] = float(value)
                except ValueError:      # not a period (InvalidArgument)
                    bad[i] = True
            b, d = starts.iloc[i], ends.iloc[i]
            if pd.notna(b) and pd.notna(d) and any(not (b < p <= d) for p in marks):
                outside[i] = True
        out.append(dict(sorted(marks.items())))
    checked.flag(source, "milestones", bad, "cannot read milestones: expected "
                 "'period=value' pairs separated by ';', each value written with "
                 + ("a decimal comma, as the file's targets are" if mark == "," else
                    "a decimal point (the file's targets show no decimal comma)"), text)
    checked.flag(source, "milestones", outside, "milestone outside the baseline period .. "
                 "deadline range", text)
    return pd.Series(out, dtype=object)
