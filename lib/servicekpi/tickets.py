"""Load a ticket export and hold it to the ticket contract.

:func:`load_tickets` reads a file; :func:`validate_tickets` does the work on
a frame already in memory.  Both return a frame with canonical column names
and types, sorted by ``created_at``, plus its data-quality summary
(:func:`data_quality`) and the export's as-of time in ``frame.attrs``.

What is refused (a :class:`~servicekpi.errors.DataError` listing every
problem at once, each with file, column, rows and values): a required column
missing, an empty cell in a required column, unreadable timestamps, numbers
or booleans, values out of range (csat 1-5, nps 0-10, ces 1-7, contacts >= 1,
handle_minutes >= 0, whole numbers where whole numbers are due), two
different rows with the same ticket id, a ticket resolved or first answered
before it was created.  With ``errors="drop"`` the rows with such problems
are dropped instead and counted in the data-quality summary; problems with
the file as a whole (a missing column) are always refused.

What is kept and counted (the data-quality summary): missing survey
answers, blank optional cells, rows repeated identically (kept once), rows
out of chronological order, unresolved tickets, tickets with no response.
"""
from __future__ import annotations

from functools import partial
from pathlib import Path

import numpy as np
import pandas as pd

from . import parsing
from .contracts import check_columns
from .errors import DataError, Problem
from .mapping import Mapping, apply_derivations, apply_mapping, load_mapping
from .readers import read_table
from .schema import CATEGORICAL, TICKET_COLUMNS

def load_tickets(path, mapping=None, *, errors: str = "raise", as_of=None,
                 timezone: str | None = None, dayfirst: bool | None = None) -> pd.DataFrame:
    """Read and validate a ticket export (CSV, Parquet or Excel).

    Parameters
    ----------
    path : str or Path
        The export.
    mapping : str, Path, dict or Mapping, optional
        Column mapping: a preset name (``"zendesk"``, ``"servicenow"``), a
        YAML file, or a dict in the same format.  None: columns already have
        the canonical names.
    errors : {"raise", "drop"}
        Refuse the file on row problems, or drop those rows and count them.
    as_of : timestamp, optional
        When the export was taken (decides which open tickets are overdue).
        Default: the latest timestamp in the export.
    timezone, dayfirst : optional
        Override the mapping's settings for timestamps.

    Returns
    -------
    DataFrame
        Canonical columns, sorted by ``created_at``.  ``data_quality(frame)``
        gives the data-quality summary.
    """
    raw = read_table(path)
    return validate_tickets(raw, mapping=mapping, source=Path(path).name, errors=errors,
                            as_of=as_of, timezone=timezone, dayfirst=dayfirst)


def validate_tickets(raw: pd.DataFrame, mapping=None, *, source: str = "tickets",
                     errors: str = "raise", as_of=None, timezone: str | None = None,
                     dayfirst: bool | None = None) -> pd.DataFrame:
    """Type and check a raw ticket frame; see the module docstring."""
    if errors not in ("raise", "drop"):
        raise ValueError("errors must be 'raise' or 'drop'")
    m: Mapping = load_mapping(mapping)
    tz = timezone or m.timezone
    dayfirst = m.dayfirst if dayfirst is None else dayfirst
    raw = raw.reset_index(drop=True)
    frame, problems, notes = apply_mapping(raw, m, source)
    derived = frame.attrs.pop("derived", {})
    n = len(frame)
    quality = _Quality(n)
    for note in notes:
        quality.add("mapped column absent", None, 0, "info", note)

    missing = [c.name for c in TICKET_COLUMNS.values()
               if c.required and c.name not in frame.columns]
    mapped_src = {c: (s if isinstance(s, str) else s.source) for c, s in m.columns.items()}
    for col in missing:
        if col in mapped_src and mapped_src[col] not in raw.columns:
            continue  # already reported by the mapping
        problems.append(Problem(source, col, "required column is missing (columns found: "
                                f"{', '.join(map(str, raw.columns[:30])) or 'none'})"))
    if n == 0 and not missing:
        problems.append(Problem(source, None, "the file has a header but no rows"))

    shown = {name: raw[mapped_src[name]] for name in TICKET_COLUMNS
             if name in mapped_src and mapped_src[name] in raw}
    checked = check_columns(frame, TICKET_COLUMNS, source, shown=shown, skip=derived,
                            timezone=tz, dayfirst=dayfirst, true_values=m.true_values,
                            false_values=m.false_values)
    # the required-column check is ours (it knows about the mapping)
    checked.problems = [p for p in checked.problems if p.rows]
    out = checked.columns
    flag = partial(checked.flag, source)
    for name in derived:  # minutes or counts, derived once everything is typed
        values, bad = parsing.parse_numbers(frame[name].reset_index(drop=True))
        flag(mapped_src[name], bad, "cannot read value: expected a number", shown[name])
        out[name] = values
    for name, blanks in checked.blanks.items():
        if TICKET_COLUMNS[name].survey:
            quality.add("survey answer missing", name, blanks, "info",
                        "kept; the ticket counts in every KPI but this survey's")
        elif name not in ("first_response_at", "resolved_at", "sla_due_at"):
            quality.add("blank cell", name, blanks, "warning",
                        "kept; left out of the KPIs that need this column")

    if derived:
        typed = pd.DataFrame(out)
        apply_derivations(typed, derived)
        for canon in derived:
            out[canon] = typed[canon]

    # --- consistency between columns ------------------------------------
    if "created_at" in out:
        created = out["created_at"]
        for later, what in (("first_response_at", "first response"),
                            ("resolved_at", "resolution")):
            if later in out:
                before = (out[later] < created).fillna(False).to_numpy(dtype=bool)
                flag(later, before, f"{what} is before the ticket was created "
                     f"(expected {later} >= created_at)", out[later].astype(str))

    # --- duplicate ticket ids -------------------------------------------
    dup_drop = np.zeros(n, bool)
    if "ticket_id" in out:
        ids = out["ticket_id"]
        dup = ids.duplicated(keep=False).to_numpy() & ids.notna().to_numpy()
        if dup.any():
            sub = raw.loc[dup].astype("string").fillna("")
            same = sub.duplicated(keep=False)
            conflicting_ids = set(ids[dup][~same.to_numpy()])
            conflict = ids.isin(conflicting_ids).to_numpy() & dup
            flag("ticket_id", conflict, "duplicate ticket id with different contents "
                 "(expected each ticket once)", ids)
            # identical repeats: keep the first copy
            repeat = ids.duplicated(keep="first").to_numpy() & dup & ~conflict
            if repeat.any():
                quality.add("identical duplicate rows removed", "ticket_id", int(repeat.sum()),
                            "warning", "the same row appears more than once; kept once")
                dup_drop = repeat

    problems += checked.problems
    bad_rows = checked.bad_rows
    if problems and (errors == "raise" or not bad_rows.any() or
                     any(not p.rows for p in problems)):
        raise DataError(problems, source=source)
    if problems:  # errors == "drop": record what is dropped, then drop it
        for p in problems:
            quality.add("row dropped", p.column, p.count, "dropped", p.message)

    keep = ~bad_rows & ~dup_drop
    tickets = pd.DataFrame({k: v[keep] for k, v in out.items()}).reset_index(drop=True)
    for extra in frame.columns:
        if extra not in TICKET_COLUMNS:  # other columns travel along, as text
            tickets[extra] = parsing.parse_text(frame[extra].reset_index(drop=True))[0][keep].values

    created = tickets["created_at"]
    out_of_order = int((created.diff().dt.total_seconds() < 0).sum())
    if out_of_order:
        quality.add("rows out of time order", "created_at", out_of_order, "info",
                    "sorted by created_at")
    order = np.argsort(created.to_numpy(), kind="stable")
    tickets = tickets.iloc[order].reset_index(drop=True)
    if "channel" in tickets:  # "Self Service", "self-service" -> self_service
        ch = tickets["channel"].astype("string").str.lower().str.replace(r"[\s\-]+", "_",
                                                                         regex=True)
        tickets["channel"] = ch.astype(object).where(ch.notna(), None)
    for c in CATEGORICAL:
        if c in tickets:
            tickets[c] = tickets[c].astype("category")
    for name, spec in TICKET_COLUMNS.items():
        if name in tickets and spec.kind == "int":
            tickets[name] = tickets[name].astype("Int64")

    if "resolved_at" in tickets:
        quality.add("unresolved tickets", "resolved_at", int(tickets["resolved_at"].isna().sum()),
                    "info", "left out of resolution KPIs")
    if "first_response_at" in tickets:
        quality.add("tickets without a first response", "first_response_at",
                    int(tickets["first_response_at"].isna().sum()), "info",
                    "left out of response-time KPIs")
    absent_opt = [c for c, s in TICKET_COLUMNS.items() if not s.required and c not in tickets]
    if absent_opt:
        from .kpis import TICKET_KPIS, available_kpis
        lost = [k for k in TICKET_KPIS if k not in available_kpis(tickets.columns)]
        quality.add("optional columns absent", None, 0, "info",
                    f"not in the export: {', '.join(absent_opt)}; KPIs not computed: "
                    f"{', '.join(lost) or 'none'}")
    extras = [c for c in tickets.columns if c not in TICKET_COLUMNS]
    tickets = tickets[[c for c in TICKET_COLUMNS if c in tickets] + extras]

    stamps = [tickets[c].max() for c in ("created_at", "first_response_at", "resolved_at")
              if c in tickets]
    export_as_of = max((s for s in stamps if pd.notna(s)), default=pd.NaT)
    as_of = _as_of(as_of, tz) if as_of is not None else export_as_of
    # attrs stay JSON-friendly so a loaded frame can be saved to Parquet
    tickets.attrs["as_of"] = None if pd.isna(as_of) else as_of.isoformat()
    tickets.attrs["source"] = source
    tickets.attrs["rows_read"] = n
    tickets.attrs["data_quality"] = quality.records(len(tickets))
    return tickets


def _as_of(value, tz: str) -> pd.Timestamp:
    ts = pd.Timestamp(value)
    if ts.tzinfo is not None:
        ts = ts.tz_convert(tz).tz_localize(None)
    return ts


class _Quality:
    def __init__(self, rows: int):
        self.rows = rows
        self.items: list[dict] = []

    def add(self, check, column, count, severity, detail):
        if count or severity == "info" and column is None:
            self.items.append(dict(check=check, column=column, rows=int(count),
                                   severity=severity, detail=detail))

    def records(self, kept: int) -> list[dict]:
        head = [dict(check="rows read", column=None, rows=self.rows, severity="info",
                     detail=f"{kept} kept")]
        for item in self.items:
            item["share"] = item["rows"] / self.rows if self.rows else 0.0
        head[0]["share"] = 1.0
        return head + self.items


def data_quality(tickets: pd.DataFrame, team: str | None = None) -> pd.DataFrame:
    """The data-quality summary of a loaded export, one row per check.

    Columns: check, column, rows, share (of rows read), severity
    (``info``, ``warning`` or ``dropped``), detail.  With ``team`` the
    per-ticket counts are recomputed for that team's tickets.
    """
    records = tickets.attrs.get("data_quality") or []
    table = pd.DataFrame(records, columns=["check", "column", "rows", "share",
                                           "severity", "detail"])
    if team is None:
        return table
    sub = tickets[tickets["team"] == team]
    rows = []
    total = len(sub)
    rows.append(dict(check="tickets", column=None, rows=total, share=1.0, severity="info",
                     detail=f"of {len(tickets)} in the export"))
    for name, spec in TICKET_COLUMNS.items():
        if name in sub and spec.survey:
            k = int(sub[name].isna().sum())
            if k:
                rows.append(dict(check="survey answer missing", column=name, rows=k,
                                 share=k / total if total else 0.0, severity="info",
                                 detail="kept; the ticket counts in every KPI but this survey's"))
    for col, check in (("resolved_at", "unresolved tickets"),
                       ("first_response_at", "tickets without a first response")):
        if col in sub:
            k = int(sub[col].isna().sum())
            rows.append(dict(check=check, column=col, rows=k,
                             share=k / total if total else 0.0, severity="info", detail=""))
    export_wide = table[~table["check"].isin(["rows read", "survey answer missing",
                                              "unresolved tickets",
                                              "tickets without a first response"])]
    out = pd.DataFrame(rows, columns=table.columns)
    if len(export_wide):
        export_wide = export_wide.assign(detail=export_wide["detail"] + " (whole export)")
        out = pd.concat([out, export_wide], ignore_index=True)
    return out
