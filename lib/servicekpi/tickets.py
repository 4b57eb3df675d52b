"""Load a ticket export and hold it to the ticket contract.

:func:`load_tickets` reads a file; :func:`validate_tickets` does the work on
a frame already in memory.  Both return a frame with canonical column names
and types, sorted by ``created_at``, plus its data-quality summary
(:func:`data_quality`) and the export's as-of time in ``frame.attrs``.

How an export is read (:mod:`servicekpi.readers`, :mod:`servicekpi.mapping`):
the encoding, delimiter, Excel sheet and header row are detected; the
mapping is the preset whose headers fit (``mapping="auto"``) unless one is
named; an event log is folded to each ticket's latest row when the mapping
says so; day order and decimal mark are decided once per column, never per
value; team names become ids (:mod:`servicekpi.teams`).

What is refused (a :class:`~servicekpi.errors.DataError` listing every
problem at once, each with file, column, rows and values): no mapping fits
the header, a required column missing, an empty ticket id or creation time,
unreadable timestamps, numbers or booleans, a column mixing day orders or
decimal marks (or all of whose dates read either way, with no order
declared), values out of range (csat 1-5, nps 0-10, ces 1-7, contacts >= 1,
handle_minutes >= 0, whole numbers where whole numbers are due), two
different rows with the same ticket id, a ticket resolved or first answered
before it was created.  With ``bad_rows="drop"`` the rows with such problems
are dropped instead and counted in the data-quality summary, unless more than
``max_dropped_share`` of the rows would go; problems with the file as a whole
(a missing column, a column's day order) are always refused.

What is kept and counted (the data-quality summary): how the file was read
and with which mapping, event-log rows folded, cells filled from a fallback
column, values a mapping reads as missing, sentinel timestamps (9999-12-31,
0001-01-01) read as missing, tickets with a blank team (team ``unassigned``,
or dropped with ``unassigned="drop"``), tickets created after the as-of time
(dropped) and responses or resolutions after it (not yet known), missing
survey answers, blank optional cells, rows repeated identically (kept
once), rows out of chronological order, unresolved tickets, tickets with no
response.  Each check has a code (``blank_team``, ``row_dropped``, ...); its
words come from the message catalogue (``data.<code>.check`` and
``data.<code>.detail`` in ``messages/<language>/data.yaml``), so the summary
reads in the report's language: ``data_quality(tickets, language="zh")``.
"""
from __future__ import annotations

import re
from dataclasses import replace
from functools import cache, partial
from pathlib import Path

import numpy as np
import pandas as pd

from . import parsing
from .contracts import FIRST_ROW, TEXT_KEEPS, check_columns, repeated
from .errors import ConfigError, DataError, InvalidArgument, Problem, _short, problem_at
from .i18n import catalogue, msg
from .mapping import (AUTO, CANONICAL, REQUIRED, apply_derivations, apply_mapping,
                      detect_mapping, find_headers, header_fit, header_index, left_out,
                      load_mapping, resolve)
from .parsing import AS_WRITTEN, ISO_DATE, YEAR_RANGE, text_missing, western_date
from .readers import Plan, describe_read, read_table, release_memory
from .schema import CATEGORICAL, TICKET_COLUMNS, Column
from .teams import UNASSIGNED, team_names, to_ids
from .threads import in_order

#: With bad_rows="drop", refuse an export when more than this share of rows would go.
MAX_DROPPED_SHARE = 0.05
#: A timestamp column this long whose every value is at midnight has dates only
#: (formatted as dates by a spreadsheet, or exported so): warned.
MIDNIGHT_MIN = 5


def load_tickets(path, mapping="auto", *, bad_rows: str = "raise", as_of=None,
                 timezone: str | None = None, dayfirst: bool | None = None,
                 max_dropped_share: float = MAX_DROPPED_SHARE, unassigned: str = "keep",
                 nrows: int | None = None, encoding: str | None = None,
                 delimiter: str | None = None, sheet=None, decimal: str | None = None,
                 other_columns: bool = True) -> pd.DataFrame:
    """Read and validate a ticket export (CSV, Parquet or Excel).

    Parameters
    ----------
    path : str or Path
        The export.
    mapping : "auto", str, Path, dict, Mapping or None
        Column mapping.  ``"auto"`` (default): the preset whose headers fit
        the file, or the canonical names (the choice is in
        ``frame.attrs["mapping"]`` and the data-quality summary).  A preset
        name (:func:`servicekpi.presets`), a YAML file, or a dict in the same
        format.  None: columns already have the canonical names.
    bad_rows : {"raise", "drop"}
        Refuse the file on row problems, or drop those rows and count them.
    as_of : timestamp, optional
        When the export was taken: tickets created later are dropped and
        counted, and responses or resolutions later are not yet known.
        Default: the latest timestamp in the export that is not in the
        future (later ones are treated as above).
    timezone, dayfirst : optional
        Override the mapping's settings for timestamps (``timezone="as_written"``
        keeps the local time an aware timestamp was written in).
    encoding, delimiter, sheet : optional
        Override the mapping's (or the detected) way of reading the file.
    decimal : {".", ","}, optional
        The decimal mark of number columns (the other mark separates
        thousands), overriding the mapping's; None: the mapping's, by default
        decided per column from the data.
    max_dropped_share : float
        With ``bad_rows="drop"``: refuse the file when more than this share of
        its rows would be dropped (default 5%).
    unassigned : {"keep", "drop"}
        Tickets with a blank team: keep them as team ``unassigned`` (a
        data-quality warning), or drop them (counted).
    nrows : int, optional
        Read only the first ``nrows`` rows (a sample, for checks).
    other_columns : bool
        Keep the columns the mapping does not read (as text, under their own
        names; default).  False reads only the mapping's columns: less memory
        for wide exports and the same KPIs, but two rows with one ticket id
        that differ only in other columns are then taken as identical repeats
        (kept once, a warning) rather than refused.

    Returns
    -------
    DataFrame
        Canonical columns, sorted by ``created_at``; ``team`` holds team ids
        (:func:`servicekpi.teams.team_id`), ``attrs["team_names"]`` maps each
        id to the name in the export.  ``data_quality(frame)`` gives the
        data-quality summary.  It carries, per ticket, what the KPIs that look
        across teams take from the whole export (``__servicekpi_*`` columns,
        :func:`servicekpi.kpis.with_across_teams`: whether the customer came
        back within 7 days to any team, whether its channel counts for
        abandonment and self-service), so that the KPIs of a part an analyst
        takes (one team, one quarter) are those the whole export gives.
    """
    if isinstance(path, pd.DataFrame):
        raise InvalidArgument("path: expected the export's file (CSV, Parquet or Excel), not "
                              "a DataFrame: a frame load_tickets returned is loaded already")
    source = Path(path).name
    _decimal(decimal)
    if timezone is not None:     # a typo is said as the parameters say it, before reading
        from .params import zone_problem
        if (problem := zone_problem(timezone)) is not None:
            raise ConfigError(problem, source="timezone")
    declared = {k: v for k, v in dict(encoding=encoding, delimiter=delimiter,
                                      sheet=sheet).items() if v is not None}
    auto = isinstance(mapping, str) and mapping == AUTO
    m = None if auto else declared_mapping(load_mapping(mapping), decimal)
    chosen = {}

    def plan(columns):   # the mapping fits the header: read what it reads, typed
        chosen["mapping"] = (declared_mapping(detect_mapping(columns, source=source), decimal)
                             if auto else m)
        return reading_plan(chosen["mapping"], columns, other_columns=other_columns)

    held = [read_table(path, nrows=nrows, fits=header_fit(m), plan=plan,
                       **{**({} if auto else m.read_options()), **declared})]
    first_row = held[0].attrs.get("read", {}).get("header_row", 1) + 1
    # handed over in the list, not kept here: validation lets each column go once typed
    return _validate(held, mapping=chosen["mapping"], source=source, bad_rows=bad_rows,
                     as_of=as_of, timezone=timezone, dayfirst=dayfirst,
                     max_dropped_share=max_dropped_share, unassigned=unassigned,
                     first_row=first_row)


def _decimal(decimal: str | None) -> None:
    if decimal not in (None, ".", ",", "auto"):
        raise InvalidArgument(f"decimal must be '.', ',' or 'auto', not {decimal!r}")


def declared_mapping(m, decimal: str | None):
    """Mapping ``m`` with the decimal mark declared by an option (None: as it is)."""
    _decimal(decimal)
    if decimal is None or decimal == m.decimal:
        return m
    return m.model_copy(update={"decimal": decimal})


def reading_plan(m, columns, *, other_columns: bool = True) -> Plan:
    """How to read an export whose header is ``columns`` with mapping ``m``.

    Kept: the columns the mapping reads (their fallbacks, the event log's
    ``latest_by`` columns, the ``leave_out`` ones), and the others too when
    ``other_columns``.  Typed as they are read
    (:func:`servicekpi.parsing.fast_column`): each typed
    canonical column that one header feeds as it is, with no value table,
    fallback or derivation; the rest, and any column with a cell the fast
    path cannot read, are typed by :func:`validate_tickets` from their text.
    """
    res = resolve(m, columns)
    fed = pd.Series(list(res.headers.values()), dtype=object).value_counts()
    latest = set(find_headers(header_index(columns), m.one_row_per_ticket.latest_by)
                 if m.one_row_per_ticket else [])
    na = m.na_values()
    typed = {}
    for canon, header in res.headers.items():
        kind = TICKET_COLUMNS[canon].kind
        if (kind in ("timestamp", "number", "int", "bool") and fed[header] == 1
                and header not in latest and canon not in res.fallbacks
                and not m.values.get(canon) and m.columns[canon].derivation is None):
            spec = TICKET_COLUMNS[canon]
            typed[header] = dict(kind=kind, na=na, decimal=m.decimal, low=spec.low,
                                 high=spec.high, true_values=m.true_values,
                                 false_values=m.false_values)
    keep = None
    if not other_columns:
        keep = {*res.headers.values(), *latest,
                *find_headers(header_index(columns), m.leave_out_headers()),
                *(h for fb in res.fallbacks.values() for h in fb)}
    return Plan(keep=keep, typed=typed)


def validate_tickets(raw: pd.DataFrame, mapping="auto", *, source: str = "tickets",
                     bad_rows: str = "raise", as_of=None, timezone: str | None = None,
                     dayfirst: bool | None = None, decimal: str | None = None,
                     max_dropped_share: float = MAX_DROPPED_SHARE, unassigned: str = "keep",
                     first_row: int = FIRST_ROW) -> pd.DataFrame:
    """Type and check a raw ticket frame; see the module docstring and
    :func:`load_tickets` for the options.  An option value other than those
    listed there raises :class:`~servicekpi.errors.InvalidArgument`."""
    return _validate([raw], mapping, source=source, bad_rows=bad_rows, as_of=as_of,
                     timezone=timezone, dayfirst=dayfirst, decimal=decimal,
                     max_dropped_share=max_dropped_share, unassigned=unassigned,
                     first_row=first_row)


def _validate(held: list, mapping, *, source, bad_rows, as_of, timezone, dayfirst,
              max_dropped_share, unassigned, first_row, decimal=None) -> pd.DataFrame:
    """:func:`validate_tickets` of the frame in ``held``, taken out of it: a frame
    a caller passes as an argument stays referenced by the call until it returns
    (and its columns with it), one in a list can be let go column by column."""
    raw = held.pop()
    if bad_rows not in ("raise", "drop"):
        raise InvalidArgument(f"bad_rows must be 'raise' or 'drop', not {bad_rows!r}")
    if unassigned not in ("keep", "drop"):
        raise InvalidArgument(f"unassigned must be 'keep' or 'drop', not {unassigned!r}")
    if isinstance(mapping, str) and mapping == AUTO:
        m = detect_mapping(raw.columns, source=source)
    else:
        m = load_mapping(mapping)
    m = declared_mapping(m, decimal)
    tz = timezone or m.timezone
    dayfirst = m.dayfirst if dayfirst is None else dayfirst
    na = m.na_values()
    read_info = raw.attrs.get("read")
    rows_read = len(raw)
    raw = raw.reset_index(drop=True)
    rownum = np.arange(len(raw)) + first_row
    quality = _Quality(rows_read)
    if m.name == CANONICAL:          # the built-in mapping: its description is ours
        quality.add("mapping", None, None, "info", variant="detail_canonical", name=m.name)
    elif m.description:              # a preset's or the user's mapping file's words
        quality.add("mapping", None, None, "info", variant="detail_described",
                    name=m.name, description=m.description)
    else:
        quality.add("mapping", None, None, "info", name=m.name)
    if read_info:
        quality.add("file_read", None, None, "info", read=_plain(read_info))
        for new, old in (read_info.get("renamed") or {}).items():
            quality.add("duplicate_header", None, None, "warning", old=old, new=new)

    explicit = as_of is not None
    limit = _as_of(as_of, tz) if explicit else _now()
    folded, fold_problems = _one_row_per_ticket(raw, rownum, m, source, quality,
                                                timezone=tz, dayfirst=dayfirst, na=na,
                                                as_of=limit if explicit else None)
    if fold_problems:   # the log cannot be ordered: nothing after this would be right
        raise DataError(fold_problems, source=source)
    # rows that are not tickets, by each ticket's latest row
    states = raw[list(dict.fromkeys(find_headers(header_index(raw.columns),
                                                 m.leave_out_headers())))]
    out_rows, records = left_out(states if folded is None else
                                 states.iloc[folded].reset_index(drop=True), m)
    del states
    for q in records:
        quality.add(q["code"], q["column"], q["rows"], q["severity"], **q["values"])
    if folded is not None or out_rows.any():
        keep = (np.arange(len(raw)) if folded is None else folded)[~out_rows]
        rownum, held = rownum[keep], [raw]
        del raw
        raw = _rows_of(held, keep)
    mapped = apply_mapping(raw, m, source)
    frame, derived = mapped.frame.reset_index(drop=True), mapped.derived
    n = len(frame)
    problems = list(mapped.problems)
    for q in mapped.quality:
        quality.add(q["code"], q["column"], q["rows"], q["severity"],
                    variant=q.get("variant", "detail"), **q["values"])
    if n == 0 and not problems:
        problems.append(Problem(source, None, "the file has a header but no rows"))

    shown = {k: v.reset_index(drop=True) for k, v in mapped.shown.items()}
    checked = check_columns(frame, TICKET_COLUMNS, source, shown=shown,
                            skip=[*derived, "team"], timezone=tz, dayfirst=dayfirst,
                            decimal=m.decimal, true_values=m.true_values,
                            false_values=m.false_values, na=na, rownum=rownum,
                            required_columns=False, compact_text=True,
                            same_cells=shared_headers(mapped.sources))
    for col in REQUIRED:   # the required-column check is ours (it knows about the mapping)
        if col not in frame.columns and not any(p.column == col for p in mapped.problems):
            problems.append(Problem(source, col, "required column is missing (columns "
                                    f"found: {', '.join(map(str, raw.columns[:30]))})"))
    out = checked.columns
    flag = partial(checked.flag, source)
    # ids a spreadsheet saved as it showed them (1.03E+11): digits lost, ids alike
    rounded_ticket = np.zeros(n, bool)
    if "ticket_id" in out:
        rounded_ticket = parsing.rounded_ids(out["ticket_id"])
        flag("ticket_id", rounded_ticket, msg("data.reason.rounded_id"),
             shown.get("ticket_id", out["ticket_id"]))
    if "customer_id" in out:
        rounded = parsing.rounded_ids(out["customer_id"])
        if rounded.any():
            seen = pd.Series(np.asarray(shown.get("customer_id", out["customer_id"]),
                                        dtype=object)[rounded]).value_counts()
            quality.add("rounded_id", "customer_id", int(rounded.sum()), "warning",
                        examples=", ".join(f"{v!r}" for v in seen.index[:3]))
            out["customer_id"] = out["customer_id"].mask(rounded)
    for name, (count, examples) in checked.sentinels.items():
        quality.add("timestamp_out_of_range", name, count, "warning",
                    examples=", ".join(map(repr, examples)), first=YEAR_RANGE[0],
                    last=YEAR_RANGE[1])
    for name in derived:  # durations or counts, derived once everything is typed
        cells = frame[name]
        mark, problem, ambiguous, stray = parsing.decide_decimal(cells, m.decimal)
        if problem:
            problems.append(Problem(source, mapped.sources[name], problem))
        if ambiguous:
            checked.notes.append((name, ambiguous))
        values, bad = parsing.parse_numbers(cells, decimal=mark, na=na)
        flag(mapped.sources[name], bad, "cannot read value: expected a number", shown[name])
        if stray is not None:
            values = values.mask(stray)
            flag(mapped.sources[name], stray & ~bad, parsing.stray_mark_message(mark),
                 shown[name])
        out[name] = values
    for name, ambiguous in checked.notes:
        quality.add("decimal_mark_assumed", name, None, "warning",
                    examples=", ".join(map(repr, ambiguous)))
    # blank cells are counted among the rows kept (quality.settle): a row dropped
    # for another reason is no blank cell of the tickets read
    for name, blank in checked.blanks.items():
        nulled = mapped.nulled.get(name)        # read as no value by the mapping: said
        if nulled is not None:
            blank = blank & ~nulled
        if TICKET_COLUMNS[name].survey:
            quality.add_rows("survey_answer_missing", name, blank, "info")
        elif name == "sla_met" and "sla_due_at" in out:
            # Freshdesk leaves its SLA outcome blank until a ticket is resolved: read
            # from the due time where there is one, left out where not
            # (a cell the mapping reads as no value too: said as such, not as blank)
            due = blank & out["sla_due_at"].notna().to_numpy()
            quality.add_rows("blank_cell", name, due, "info", variant="detail_due")
            quality.add_rows("blank_cell", name, blank & ~due, "warning")
        elif name not in ("first_response_at", "resolved_at", "sla_due_at"):
            quality.add_rows("blank_cell", name, blank, "warning")

    # --- teams: ids from the export's names; blank -> unassigned ------------
    drop_extra = np.zeros(n, bool)
    names_of: dict[str, str] = {}
    team_codes = team_of = None   # each row's distinct team cell, and each cell's team id:
    if "team" in frame:           # to say whose rows are dropped
        # each distinct cell read once: its name, its id, whether it names no team
        cells = frame["team"]
        if cells.dtype == object:      # 1 and 1.0, True and 1: distinct names as written
            cells = cells.astype("string")
        codes, cells = pd.factorize(cells, use_na_sentinel=True)
        codes = np.where(codes < 0, len(cells), codes)        # a missing cell: the last
        names, _ = parsing.parse_text(pd.Series([*cells, None], dtype=object),
                                      na=na - TEXT_KEEPS)
        ids = to_ids(names)
        # no letter or digit ('-', '?', '(none)'): no team either
        no_team = (names.isna() | (ids == UNASSIGNED)).to_numpy()
        blank = no_team[codes]
        if blank.any():
            if unassigned == "drop":
                drop_extra |= blank
                quality.add_rows("blank_team", "team", blank, "dropped",
                                 variant="detail_dropped", dropped=True)
            else:
                quality.add_rows("blank_team", "team", blank, "warning",
                                 variant="detail_kept", unassigned=UNASSIGNED)
        team_codes = codes
        team_of = np.where(no_team, UNASSIGNED, np.asarray(ids, dtype=object))
        tickets_of = np.bincount(codes, minlength=len(names))
        per_name = pd.Series(tickets_of, index=names.where(~no_team, None).fillna(""))
        written = per_name[tickets_of > 0].groupby(level=0).sum()
        spellings = team_names(written)
        alike = {tid: v for tid, v in spellings.items() if len(v) > 1 and tid != UNASSIGNED}
        if alike:   # the rows: tickets whose team is spelled other than as shown
            other = sum(int(written[name]) for v in alike.values() for name in v[1:])
            quality.add("team_names_alike", "team", other, "warning",
                        groups=[[tid, list(v)] for tid, v in alike.items()])
        team_of = ids.where(~no_team, UNASSIGNED).to_numpy(dtype=object)
        teams = sorted(set(team_of[tickets_of > 0]))
        place = {t: i for i, t in enumerate(teams)}
        out["team"] = pd.Series(pd.Categorical.from_codes(
            np.array([place.get(t, -1) for t in team_of])[codes], categories=teams))
        names_of = {tid: (v[0] or UNASSIGNED) for tid, v in spellings.items()}
        del codes, blank

    if derived:
        typed = pd.DataFrame(out, copy=False)
        apply_derivations(typed, derived)
        for canon in derived:
            out[canon] = typed[canon]
        del typed

    # A clock change within a ticket: times are kept as local times (as written,
    # or of the declared zone), so a later time at another UTC offset than the
    # creation's is moved to the creation's offset: the durations and SLA
    # comparisons within the ticket are exact, its period unchanged.
    if tz == AS_WRITTEN and "created_at" in shown:
        offsets, ends, variant = parsing.written_offsets, shown, "detail"
    elif str(tz).upper() != "UTC" and "created_at" in out:
        offsets, ends, variant = partial(parsing.local_offsets, zone=tz), out, "detail_zone"
    else:
        offsets = None
    if offsets is not None:
        start = offsets(ends["created_at"])
        for later in ("first_response_at", "resolved_at", "sla_due_at"):
            if later in ends and later in out and later not in derived:
                end = offsets(ends[later])
                moved = ~np.isnan(start) & ~np.isnan(end) & (end != start)
                if moved.any():
                    shift = pd.to_timedelta(np.where(moved, end - start, 0.0), unit="min")
                    out[later] = out[later] - shift.to_numpy()
                    quality.add("clock_change", later, int(moved.sum()), "info",
                                variant=variant, zone=str(tz))
                if variant == "detail_zone":   # an hour the clock repeats: offset unknown
                    told = out["created_at"].notna() & out[later].notna()
                    unknown = told.to_numpy(dtype=bool) & (np.isnan(start) | np.isnan(end))
                    quality.add("clock_change_unknown", later, int(unknown.sum()),
                                "warning", zone=str(tz))

    # --- the as-of time: nothing after it is known yet ----------------------
    if "created_at" in out:
        late = (out["created_at"] > limit).fillna(False).to_numpy(dtype=bool)
        if late.any():
            drop_extra |= late
            quality.add("created_after_as_of", "created_at", int(late.sum()), "dropped",
                        variant="detail" if explicit else "detail_now",
                        limit=f"{limit:%Y-%m-%d %H:%M}")
        for later in ("first_response_at", "resolved_at"):
            if later in out:
                after = ((out[later] > limit).fillna(False).to_numpy(dtype=bool)) & ~late
                if after.any():
                    out[later] = out[later].mask(after)
                    quality.add("after_as_of", later, int(after.sum()), "warning",
                                limit=f"{limit:%Y-%m-%d %H:%M}")

    # --- dates without a time of day: durations in whole days ------------
    for name in ("created_at", "first_response_at", "resolved_at"):
        if name in out:
            stamps = out[name].to_numpy()
            known = stamps[~np.isnat(stamps)]
            if len(known) >= MIDNIGHT_MIN and (known == known.astype("datetime64[D]")).all():
                quality.add("dates_only", name, None, "warning")

    # --- consistency between columns ------------------------------------
    if "created_at" in out:
        created = out["created_at"]
        for later, what in (("first_response_at", "first_response"),
                            ("resolved_at", "resolution")):
            if later in out:
                # a ticket created after the as-of time is dropped as such (a typo'd
                # year, say), not refused for what follows from it
                before = (out[later] < created).fillna(False).to_numpy(dtype=bool) & ~late
                if before.any():   # both times quoted, for the rows flagged only
                    shown_as = pd.Series("", index=created.index, dtype=object)
                    shown_as[before] = [f"{_minute(a)} -> {_minute(b)}" for a, b in
                                        zip(created[before], out[later][before])]
                    flag(later, before, _before_created(what, later), shown_as)

    # --- duplicate ticket ids -------------------------------------------
    dup_drop = np.zeros(n, bool)
    if "ticket_id" in out:
        ids = out["ticket_id"]
        dup = checked.repeats.get("ticket_id")     # found as the column was typed
        if dup is None:
            dup = repeated(ids)
        dup = dup & ~rounded_ticket                # refused as rounded already
        if dup.any():
            sub = raw.loc[dup].astype("string").fillna("")
            same = sub.duplicated(keep=False)
            conflicting_ids = set(ids[dup][~same.to_numpy()])
            conflict = ids.isin(conflicting_ids).to_numpy() & dup
            flag("ticket_id", conflict, msg("data.reason.duplicate_id_log"
                                            if m.one_row_per_ticket is None
                                            else "data.reason.duplicate_id"), ids)
            # identical repeats: keep the first copy
            repeat = ids.duplicated(keep="first").to_numpy() & dup & ~conflict
            if repeat.any():
                quality.add("identical_duplicates", "ticket_id", int(repeat.sum()),
                            "warning")
                dup_drop = repeat
        del ids, dup

    problems += checked.problems
    bad = checked.bad_rows
    whole = [p for p in problems if not p.rows]
    named = partial(_named, where=mapped.where, read=set(mapped.sources))
    if problems and (bad_rows == "raise" or whole):
        raise DataError(named(problems), source=source)
    if problems:  # bad_rows == "drop": record what is dropped, then drop it
        dropped = int(bad.sum())
        if n and dropped / n > max_dropped_share:
            top = sorted(problems, key=lambda p: -p.count)
            # the rows an event log folds (or the mapping leaves out) are no tickets:
            # the share is of the tickets read, and says so when the file had more rows
            what, whose = ("rows", "") if n == rows_read else (
                "tickets", f" (the file's {rows_read:,} rows, less those folded into one per "
                           "ticket or left out as not tickets)")
            head = Problem(source, None, (
                f"{dropped:,} of {n:,} {what} ({dropped / n:.1%}) would be dropped{whose}, "
                f"more than max_dropped_share ({max_dropped_share:.0%}): check the mapping "
                f"and the export; the largest reasons follow"))
            raise DataError([head] + named(top[:5]), source=source)
        for p in problems:    # with the file's header and the rows, to find them by
            header = mapped.sources.get(p.column, p.column)
            quality.add("row_dropped", p.column, p.count, "dropped", reason=p.message,
                        header=None if header is None else str(header),
                        at=[[int(r), None if _blank_value(v) else _short(v)] for r, v in zip(
                            p.rows, p.values or (None,) * len(p.rows))])
    # whose rows were dropped: a team's page says how many of its own (its month
    # with a dropped ticket reads one ticket short, not quiet)
    dropped_by = {}
    if team_codes is not None and bad.any():
        per_cell = np.bincount(team_codes[bad], minlength=len(team_of))
        for cell in np.flatnonzero(per_cell):
            tid = str(team_of[cell])
            dropped_by[tid] = dropped_by.get(tid, 0) + int(per_cell[cell])

    # The rows kept, in created order: one take per column, each column let go
    # once taken (the raw, mapped and typed frames share their columns), so
    # memory grows by a column per thread at a time, not by a copy of the frame.
    quality.settle(~bad & ~dup_drop, ~drop_extra)
    take = np.flatnonzero(~bad & ~dup_drop & ~drop_extra)
    created = out["created_at"].to_numpy()[take]
    out_of_order = int((created[1:] < created[:-1]).sum())   # NaT compares False
    if out_of_order:
        quality.add("rows_out_of_order", "created_at", out_of_order, "info")
    take = take[np.argsort(created, kind="stable")]
    del created
    extras = {c: frame[c] for c in frame.columns if c not in TICKET_COLUMNS}
    del raw, mapped, frame, shown, checked, flag
    in_place = len(take) == n and (n < 2 or bool((np.diff(take) == 1).all()))

    def taken(k):           # on the threads (threads.in_order), a column each
        v = out.pop(k)
        return _finished(k, v.reset_index(drop=True) if in_place
                         else v.iloc[take].reset_index(drop=True))

    names = list(out)
    kept = dict(zip(names, list(in_order(taken, names, keep_all=True))))
    for k in list(extras):   # other columns travel along, as text
        v = parsing.parse_text(extras.pop(k).reset_index(drop=True), compact=True)[0]
        v = v if in_place else v.iloc[take].reset_index(drop=True)
        # a column with no value at all stays Python objects (None), as it always was
        kept[k] = pd.Series([None] * len(v), dtype=object) if v.isna().all() else v
    tickets = pd.DataFrame(kept, copy=False)
    # the read, mapped and text columns let go above, and the row arrays here (at
    # 10M rows 0.3 GB; given back after the return otherwise, not at all)
    del kept, rownum, bad, dup_drop, drop_extra
    take = None                   # read by taken(), above
    release_memory()

    if "resolved_at" in tickets:
        quality.add("unresolved", "resolved_at", int(tickets["resolved_at"].isna().sum()),
                    "info")
    if "first_response_at" in tickets:
        quality.add("no_first_response", "first_response_at",
                    int(tickets["first_response_at"].isna().sum()), "info")
    if "channel" in tickets:
        seen = tickets["channel"].value_counts()
        if len(seen) and "self_service" not in seen.index:
            quality.add("no_self_service", "channel", None, "info", channels=", ".join(
                f"{c} ({n:,})" for c, n in seen.head(6).items()) + (", ..." if len(seen) > 6
                                                                    else ""))
    absent_opt = [c for c, s in TICKET_COLUMNS.items() if not s.required and c not in tickets]
    if absent_opt:
        from .kpis import TICKET_KPIS, available_kpis
        lost = [k for k in TICKET_KPIS if k not in available_kpis(tickets.columns)]
        quality.add("optional_absent", None, None, "info", columns=", ".join(absent_opt),
                    kpis=lost)
    extras = [c for c in tickets.columns if c not in TICKET_COLUMNS]
    tickets = tickets[[c for c in TICKET_COLUMNS if c in tickets] + extras]

    stamps = [tickets[c].max() for c in ("created_at", "first_response_at", "resolved_at")
              if c in tickets]
    export_as_of = max((s for s in stamps if pd.notna(s)), default=pd.NaT)
    as_of = limit if explicit else export_as_of
    present = set(tickets["team"].unique()) if "team" in tickets else set()
    # attrs stay JSON-friendly so a loaded frame can be saved to Parquet
    tickets.attrs["as_of"] = None if pd.isna(as_of) else as_of.isoformat()
    tickets.attrs["export_rows"] = len(tickets)   # a part a caller takes keeps the count
    # a declared as-of time is exact; the export's latest timestamp only tells the day
    # it was taken (servicekpi.periods.coverage_end)
    tickets.attrs["as_of_declared"] = bool(explicit)
    tickets.attrs["source"] = source
    tickets.attrs["mapping"] = m.name
    tickets.attrs["team_names"] = {k: v for k, v in sorted(names_of.items()) if k in present}
    tickets.attrs["rows_read"] = rows_read
    tickets.attrs["data_quality"] = quality.records(len(tickets))
    tickets.attrs["dropped_by_team"] = dropped_by
    from .kpis import with_across_teams
    # a frame saved and read back brings its own copies (as text, from a CSV) but not
    # their mark: with_across_teams works them out again for this export
    return with_across_teams(tickets)


def shared_headers(sources: dict[str, str]) -> dict[str, str]:
    """Canonical column -> its header, for the columns that share a header with
    another (Zendesk's Satisfaction Score read as csat and as satisfied)."""
    headers = pd.Series(sources, dtype=object)
    return headers[headers.duplicated(keep=False)].to_dict() if len(headers) else {}


def _named(found: list[Problem], *, where, read: set) -> list[Problem]:
    """Each row's problem named by the export's header it was read from
    (:meth:`servicekpi.mapping.Mapped.where`), for the columns ``read``."""
    return [replace(p, column=where(p.column)) if p.rows and p.column in read else p
            for p in found]


def _blank_value(v) -> bool:
    """Whether a problem's value is an empty cell (shown without a value)."""
    try:
        return v is None or bool(pd.isna(v))
    except (TypeError, ValueError):
        return False


def _minute(ts) -> str:
    """A timestamp as a message quotes it: to the minute, unless it has seconds."""
    ts = pd.Timestamp(ts)
    return f"{ts:%Y-%m-%d %H:%M}" if ts == ts.floor("min") else str(ts)


def _finished(name: str, v: pd.Series) -> pd.Series:
    """A kept column in the dtype loaded tickets have: the columns of
    :data:`~servicekpi.schema.CATEGORICAL` categorical, with the categories
    their rows use (a team whose every row was dropped is no category), channel
    spellings folded ("Self Service", "self-service" -> self_service); whole
    numbers as ``Int64``."""
    if name == "channel":
        ch = v.astype("category")
        spelled = ch.cat.categories.astype("string").str.lower().str.replace(
            r"[\s\-]+", "_", regex=True)
        v = ch.map(dict(zip(ch.cat.categories, spelled))).astype(
            "category").cat.reorder_categories(sorted(set(spelled)))
    if name in CATEGORICAL:
        v = v.astype("category")
        codes = v.cat.codes.to_numpy().astype(np.int64) + 1     # 0: missing
        used = np.bincount(codes, minlength=len(v.cat.categories) + 1)[1:] > 0
        return v if used.all() else v.cat.remove_categories(v.cat.categories[~used])
    if name in TICKET_COLUMNS and TICKET_COLUMNS[name].kind == "int":
        # whole numbers below 2**53 or NaN (contracts.check_columns): cast as they are
        x = v.to_numpy(dtype=float, na_value=np.nan)
        missing = np.isnan(x)
        return pd.Series(pd.arrays.IntegerArray(np.where(missing, 0.0, x).astype(np.int64),
                                                missing), index=v.index, name=v.name)
    return v


def _rows_of(held: list, positions: np.ndarray) -> pd.DataFrame:
    """The rows at ``positions`` of the frame in ``held``, taken out of it column by
    column, each let go once taken (from a shallow copy: a frame a caller still
    holds keeps its columns): memory grows by a column, not by the frame's copy."""
    raw = held.pop().copy(deep=False)
    if not raw.columns.is_unique:
        return raw.iloc[positions].reset_index(drop=True)
    attrs = raw.attrs
    taken = {}
    for c in list(raw.columns):
        taken[c] = raw.pop(c).iloc[positions].reset_index(drop=True)
        release_memory()           # the column let go, given back before the next
    frame = pd.DataFrame(taken, index=pd.RangeIndex(len(positions)), copy=False)
    frame.attrs = attrs
    return frame


def _one_row_per_ticket(raw, rownum, m, source, quality, *, timezone, dayfirst, na,
                        as_of=None):
    """Fold an event log to each ticket's latest row (``one_row_per_ticket``).

    Only tickets with several rows are folded.  Their rows are ordered by the
    ``latest_by`` columns present, each parsed only while it is needed to
    break ties (a number, else a timestamp whose day order comes from the
    column or, when it cannot tell, from the file's mapped timestamp
    columns).  With an explicit ``as_of``, updates made after it are left
    out first (what was known then), as long as a ticket keeps one row.
    Rows still tied on every key: the last in the file is kept, counted
    unless they are identical copies.
    Blank ids are never folded together (they are refused later).  Returns the
    positions of the rows kept (None: every row) and the problems.
    """
    if m.one_row_per_ticket is None or raw.empty:
        return None, []
    res = resolve(m, raw.columns)
    id_col = res.headers.get("ticket_id")
    if id_col is None:
        return None, []
    ids = raw[id_col].astype("string").str.strip().mask(text_missing(raw[id_col], na))
    dup = repeated(ids)
    release_memory()                # the ids' sort
    if not dup.any():
        return None, []            # one row per ticket already
    keys = find_headers(header_index(raw.columns), m.one_row_per_ticket.latest_by)
    if not keys:
        quality.add("event_log_not_folded", None, None, "info",
                    columns=", ".join(map(str, m.one_row_per_ticket.latest_by)))
        return None, []
    stamps = [h for c, h in res.headers.items() if TICKET_COLUMNS[c].kind == "timestamp"]
    pooled = {k: sum(parsing.day_order_evidence(raw[h])[k] for h in stamps)
              for k in ("dayfirst", "monthfirst")}
    sub = np.flatnonzero(dup)
    order = pd.DataFrame({"_id": ids.to_numpy()[sub], "_pos": sub})
    problems: list[Problem] = []
    is_time: dict[str, bool] = {}

    def parse(k):
        cells = raw[k].iloc[sub].reset_index(drop=True)
        nums, bad = parsing.parse_numbers(cells, na=na)
        is_time[k] = bool(bad.any())
        if is_time[k]:   # the day order of the whole column, not of these rows
            first, problem = parsing.decide_day_order(parsing.day_order_evidence(raw[k]),
                                                      dayfirst, fallback=pooled)
            if problem:
                problems.append(Problem(source, k, problem))
            times, bad = parsing.parse_timestamps(cells, timezone=timezone, dayfirst=first,
                                                  na=na)
            nums = pd.Series(times.to_numpy(dtype="datetime64[ns]").astype(np.int64)
                             .astype(float)).where(times.notna().to_numpy())
        if bad.any():
            idx = np.flatnonzero(bad)
            problems.append(problem_at(source, k, "cannot read value: expected a number or "
                                       "a timestamp (it orders a ticket's updates)",
                                       rownum[sub[idx]], list(cells.to_numpy(dtype=object)[idx])))
        return nums.to_numpy()

    parsed: dict[str, np.ndarray] = {}

    def values(k):
        if k not in parsed:
            parsed[k] = parse(k)
        return parsed[k]

    if as_of is not None:   # what was known at the as-of time: later updates left out
        limit = float(np.datetime64(as_of, "ns").astype(np.int64))
        after = np.zeros(len(order), bool)
        for k in keys:
            v = values(k)
            if is_time[k]:
                after |= v > limit
        if problems:
            return None, problems
        keeps = ~pd.Series(after).groupby(order["_id"].to_numpy()).transform("all")
        drop = after & keeps.to_numpy()
        if drop.any():
            quality.add("event_log_after_as_of", id_col, int(drop.sum()), "info")
            order = order[~drop].reset_index(drop=True)
            for k in parsed:
                parsed[k] = parsed[k][~drop]
    used: list[str] = []
    for k in keys:
        order[k] = values(k)
        used.append(k)
        if problems:
            return None, problems
        ranked = order.sort_values(["_id", *used, "_pos"], na_position="first", kind="stable")
        last = ranked.drop_duplicates("_id", keep="last")
        tied = ranked.merge(last[["_id", *used]], on=["_id", *used], how="inner")
        ties = tied.groupby("_id").size()
        if not (ties > 1).any():
            break
    keep_pos = np.sort(np.concatenate([np.flatnonzero(~dup), last["_pos"]]))
    folded = len(raw) - len(keep_pos)
    quality.add("event_log_folded", id_col, folded, "info", columns=", ".join(used))
    if (ties > 1).any():   # identical copies (exports that overlap) are no choice
        rows = tied[tied["_id"].isin(ties.index[ties > 1])]
        content = raw.iloc[rows["_pos"]].astype("string").fillna("")
        ties = (content.assign(_id=rows["_id"].to_numpy()).drop_duplicates()
                .groupby("_id").size())
    if (ties > 1).any():
        quality.add("event_log_ties", id_col, int((ties > 1).sum()), "warning",
                    columns=", ".join(keys))
    return keep_pos, []


def _as_of(value, tz: str) -> pd.Timestamp:
    written = value
    if isinstance(value, str):
        value = western_date(value.strip())     # 2025年3月10日 18:00
    if isinstance(value, str) and not ISO_DATE.match(value):
        raise ConfigError(f"as-of time {written!r}: write it year first, e.g. 2024-03-10 or "
                          "'2024-03-10 18:00' (10/03/2024 reads either way)", source="as_of")
    try:
        ts = pd.Timestamp(value)
    except (ValueError, TypeError, OverflowError):        # 2025-13-10: no such date
        raise ConfigError(f"as-of time {written!r} is no date and time: write it year "
                          "first, e.g. 2024-03-10 or '2024-03-10 18:00'",
                          source="as_of") from None
    if ts.tzinfo is not None and tz == AS_WRITTEN:
        # each time of the export keeps the clock it was written in: an instant in
        # another offset cannot be placed among them
        raise ConfigError(f"as-of time {value!r} has a time zone, but this export's times "
                          "are read as written (timezone: as_written, each in its own "
                          "offset): give the as-of time as the export's clock shows it, "
                          "without a zone, e.g. '2024-03-06 10:30'", source="as_of")
    if ts.tzinfo is not None:
        ts = ts.tz_convert(tz).tz_localize(None)
    return ts


def _now() -> pd.Timestamp:
    """The latest time a ticket can have been created when no as-of time is given:
    now in the zone furthest ahead (UTC+14), since exports often write local times
    without a zone.  Enough to catch a date years ahead; an exact cut needs as_of."""
    return pd.Timestamp.now(tz="UTC").tz_localize(None) + pd.Timedelta(hours=14)


def _plain(value):
    """``value`` with JSON types only (attrs travel into Parquet files)."""
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, (np.integer, np.floating, np.bool_)):
        return value.item()
    return value


class _Quality:
    """The data-quality records of one load: codes and values, no words (the words
    come from the message catalogue when :func:`data_quality` shows them)."""

    def __init__(self, rows: int):
        self.rows = rows
        self.items: list[dict] = []
        self._rows: list[tuple[dict, np.ndarray, bool]] = []   # add_rows, until settle

    def add(self, code, column, count, severity, *, variant="detail", **values):
        """Record check ``code``: ``count`` rows concerned (left out when 0), or None
        for a note about the file as a whole (always recorded); ``variant`` names the
        detail message (``data.<code>.<variant>``), ``values`` fill its fields."""
        if count is None or count:
            self.items.append(dict(code=code, variant=variant, column=column,
                                   rows=None if count is None else int(count),
                                   severity=severity, values=_plain(values)))

    def add_rows(self, code, column, mask, severity, *, variant="detail",
                 dropped: bool = False, **values):
        """:meth:`add` for the rows of ``mask``, counted once the rows dropped for
        a problem are known (:meth:`settle`): only the rows kept, or, ``dropped``,
        the rows this check drops that nothing else does."""
        if mask.any():
            self.add(code, column, int(mask.sum()), severity, variant=variant, **values)
            self._rows.append((self.items[-1], mask, dropped))

    def settle(self, valid: np.ndarray, kept: np.ndarray) -> None:
        """Count the :meth:`add_rows` records among the ``valid`` rows (not
        dropped for a problem): those ``kept`` too, or, for a check that drops
        rows itself, those it drops; a record left with no row goes."""
        for item, mask, dropped in self._rows:
            item["rows"] = int((mask & valid & (True if dropped else kept)).sum())
        self.items = [i for i in self.items if i["rows"] is None or i["rows"] > 0]
        self._rows = []

    def records(self, kept: int) -> list[dict]:
        head = [dict(code="rows_read", variant="detail", column=None, rows=self.rows,
                     severity="info", values={"kept": f"{kept:,}"})]
        for item in self.items:
            item["share"] = (None if item["rows"] is None else
                             item["rows"] / self.rows if self.rows else 0.0)
        head[0]["share"] = 1.0
        return head + self.items


#: Columns of :func:`data_quality`.
QUALITY_COLUMNS = ["code", "check", "column", "rows", "share", "severity", "detail"]

#: Checks whose counts :func:`data_quality` recomputes for one team.
_PER_TEAM = ("rows_read", "survey_answer_missing", "unresolved", "no_first_response")


#: A row problem's reason as the contracts write it (:meth:`Column.expected` words).
_REASON = re.compile(r"(?P<what>cannot read value|value out of range): expected "
                     r"(?P<kind>.+?)(?: from (?P<low>\S+) to (?P<high>\S+)| >= (?P<least>\S+))?")
#: A column kind's words in those reasons -> the kind.
_KINDS = {Column("x", k).expected(): k for k in ("text", "timestamp", "bool", "int", "number")}


def _before_created(what: str, column: str, language: str = "en") -> str:
    """The reason of a row whose ``column`` (first response or resolution, ``what``)
    is before its creation."""
    return msg("data.reason.before_created", language, column=column,
               what=msg(f"data.reason.{what}", language))


@cache
def _fixed_reasons(language: str) -> dict[str, str]:
    """The checks' reasons written from the message catalogue, as English writes
    them -> in ``language``."""
    out = {msg(f"data.reason.{key}"): msg(f"data.reason.{key}", language)
           for key in ("empty_required", "rounded_id", "duplicate_id", "duplicate_id_log",
                       "no_such_day")}
    for what, column in (("first_response", "first_response_at"), ("resolution", "resolved_at")):
        out[_before_created(what, column)] = _before_created(what, column, language)
    return out


def reason_words(reason: str, language: str = "en") -> str:
    """A dropped row's reason in ``language``: the checks' common reasons (a value
    not read, out of range, an empty required cell, a time before the ticket's
    creation, a duplicate or rounded id) in words of the message catalogue
    (``data.reason.*``); any other as the check wrote it."""
    fixed = _fixed_reasons(language)
    if reason in fixed:
        return fixed[reason]
    m = _REASON.fullmatch(reason)
    if m is None or m["kind"] not in _KINDS:
        return reason
    kind = msg(f"data.reason.kind.{_KINDS[m['kind']]}", language,
               **{v: v for v in ("true", "false", "yes", "no")})   # cells as written
    if m["low"] is not None:
        kind = msg("data.reason.between", language, kind=kind, low=m["low"], high=m["high"])
    elif m["least"] is not None:
        kind = msg("data.reason.at_least", language, kind=kind, low=m["least"])
    key = "not_read" if m["what"] == "cannot read value" else "out_of_range"
    return msg(f"data.reason.{key}", language, expected=kind)


def _words(record: dict, language: str) -> tuple[str, str]:
    """The check and detail of a data-quality record in ``language``."""
    code = record["code"]
    values = dict(record.get("values") or {})
    if code == "file_read":
        detail = describe_read(values.get("read") or {}, language=language)
    elif code == "row_dropped":
        detail = msg("data.row_dropped.detail", language,
                     reason=reason_words(str(values.get("reason", "")), language))
        at = values.get("at") or []
        if at and values.get("header"):      # where: the file's header and its rows
            shown = msg("data.list_separator", language).join(
                msg("data.row_dropped.row", language, row=r) if v is None else
                msg("data.row_dropped.row_value", language, row=r, value=v) for r, v in at)
            more = int(record.get("rows") or 0) - len(at)
            if more > 0:
                shown = msg("data.row_dropped.more", language, rows=shown, more=more)
            detail += msg("data.row_dropped.at", language, header=values["header"], rows=shown)
    else:
        preset = f"data.preset.{values.get('name')}"
        if code == "mapping" and preset in catalogue("en") \
                and msg(preset) == values.get("description"):   # a preset's own words
            values["description"] = msg(preset, language)
        if code == "team_names_alike":
            values["groups"] = "; ".join(
                msg("data.team_names_alike.group", language, id=tid,
                    names=", ".join(map(repr, names)), shown=names[0] if names else "")
                for tid, names in values.get("groups", []))
        if code == "optional_absent":     # the KPIs by their labels, as the report's
            from .catalogue import default_catalogue
            from .errors import ServiceKPIError
            try:
                cat = default_catalogue()
            except ServiceKPIError:      # no project catalogue (SERVICEKPI_ROOT): codes
                cat = {}
            sep = msg("data.list_separator", language)
            values["kpis"] = sep.join(cat.label(k, language) if k in cat else k
                                      for k in values.get("kpis") or []) or msg("data.none",
                                                                                language)
            values["columns"] = sep.join(msg("data.column_name", language, name=c)
                                         for c in str(values.get("columns", "")).split(", "))
        detail = msg(f"data.{code}.{record.get('variant') or 'detail'}", language, **values)
    return msg(f"data.{code}.check", language), detail


def _row(record: dict, language: str) -> dict:
    check, detail = _words(record, language)
    return dict(code=record["code"], check=check, column=record.get("column"),
                rows=record.get("rows"), share=record.get("share"),
                severity=record["severity"], detail=detail)


def quality_warnings(tickets: pd.DataFrame, *, language: str = "en") -> list[str]:
    """The data-quality checks that are not merely informative, one line each."""
    lines = []
    for r in data_quality(tickets, language=language).itertuples():
        if r.severity != "info":
            count = (msg("data.warning_count", language, rows=f"{int(r.rows):,}")
                     if pd.notna(r.rows) else "")                 # NA: the file as a whole
            where = (msg("data.warning_where", language, column=r.column)
                     if isinstance(r.column, str) else "")
            lines.append(msg("data.warning_line", language,
                             severity=msg(f"data.severity.{r.severity}", language),
                             check=r.check, where=where, count=count, detail=r.detail))
    return lines


def export_rows(tickets: pd.DataFrame) -> int:
    """Tickets in the whole export: ``len(tickets)``, or for one team's slice of a
    prepared export (:func:`servicekpi.report.inputs.prepare`) its ``export_rows``."""
    return int(tickets.attrs.get("export_rows", len(tickets)))


def data_quality(tickets: pd.DataFrame, team: str | None = None, *,
                 language: str = "en") -> pd.DataFrame:
    """The data-quality summary of a loaded export, one row per check.

    Columns: ``code`` (the check's code, e.g. ``blank_team``: the same in every
    language), ``check`` (its name), ``column``, ``rows``, ``share`` (of rows
    read), ``severity`` (a code: ``info``, ``warning`` or ``dropped``; its words
    are the messages ``data.severity.<code>``), ``detail``.  ``check`` and
    ``detail`` are in ``language`` (``"en"`` or ``"zh"``), from the messages
    ``data.<code>.*``.  ``rows`` and ``share`` are missing for notes about the
    file as a whole (the mapping used, how it was read).  With ``team`` the
    per-ticket counts are recomputed for that team's tickets (their shares of
    the team's tickets; the ``tickets`` row's share is the team's share of the
    export, whose total its detail names), and the checks of the whole export
    say so.  So are they for a part of the export a caller took (rows of a
    quarter, of a channel): its counts are its own, the loader's checks the
    whole export's.

    Raises
    ------
    InvalidArgument
        ``team`` not a team of ``tickets``.
    """
    if not isinstance(tickets, pd.DataFrame):
        raise InvalidArgument(f"tickets: expected the frame load_tickets returns, not "
                              f"{type(tickets).__name__} (load the export first: "
                              "data_quality(load_tickets(path)))")
    if "data_quality" not in tickets.attrs:
        # a frame read some other way (pd.read_csv) has no record: an empty summary
        # would read as an export without problems
        raise InvalidArgument("tickets: no data-quality record: these tickets were not "
                              "loaded with servicekpi.load_tickets (or validate_tickets), "
                              "which records what it finds")
    records = tickets.attrs.get("data_quality") or []
    table = pd.DataFrame([_row(r, language) for r in records],
                         columns=QUALITY_COLUMNS).astype({"rows": "Int64", "share": "Float64"})
    if team is None:
        if not records or len(tickets) == export_rows(tickets):
            return table
        sub = tickets                   # a part of the export: its own counts
    else:
        teams = set(tickets["team"].astype(str)) if "team" in tickets.columns else set()
        if str(team) not in teams:
            raise InvalidArgument(f"team {team!r} is not in the tickets; their teams: "
                                  f"{', '.join(sorted(teams)[:20])}")
        sub = tickets[tickets["team"] == team]
    total = len(sub)

    def row(code, column, k, share):
        return _row(dict(code=code, column=column, rows=k, share=share, severity="info",
                         values={"total": f"{everything:,}"} if code == "tickets" else {}),
                    language)

    # the team's tickets, and their share of the export's (its detail names that total)
    everything = export_rows(tickets)
    rows = [row("tickets", None, total, total / everything if everything else np.nan)]
    if team is not None:
        gone = int((tickets.attrs.get("dropped_by_team") or {}).get(str(team), 0))
        if gone:        # the team's own rows among those dropped, of its rows read
            rows.append(_row(dict(code="team_rows_dropped", column=None, rows=gone,
                                  share=gone / (total + gone), severity="dropped",
                                  values={}), language))
    for name, spec in TICKET_COLUMNS.items():
        if name in sub and spec.survey:
            k = int(sub[name].isna().sum())
            if k:
                rows.append(row("survey_answer_missing", name, k, k / total if total else 0.0))
    for col, code in (("resolved_at", "unresolved"), ("first_response_at", "no_first_response")):
        if col in sub:
            k = int(sub[col].isna().sum())
            rows.append(row(code, col, k, k / total if total else 0.0))
    export_wide = table[~table["code"].isin(_PER_TEAM)]
    out = pd.DataFrame(rows, columns=QUALITY_COLUMNS).astype({"rows": "Int64",
                                                              "share": "Float64"})
    if len(export_wide):
        export_wide = export_wide.assign(detail=[msg("data.whole_export", language, detail=d)
                                                 for d in export_wide["detail"]])
        out = pd.concat([out, export_wide], ignore_index=True)
    return out
