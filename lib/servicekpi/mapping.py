"""Column mappings: load an export with its own column names and spellings.

A mapping is a YAML file::

    name: zendesk
    columns:                 # canonical name: source header(s) or a derivation
      ticket_id: Id
      team: [Group, Group name]          # alternatives: the first header present is used
      resolved_at: {source: Solved at, fallback: [Closed at]}
      first_response_at: {source: First reply time in minutes, minutes_after: created_at}
      reopened: {source: Reopens, nonzero: true}
      # notes: {header: what reading from it means}, shown when that header (or a
      # fallback header filling cells) is used
    values:                  # per canonical column: source value -> canonical value
      channel: {Mail: email, Voice: phone}
      satisfied: {Good: true, Bad: false, Offered: null}   # null: missing
      sla_met: {Compliant: true, Violation: false, "*": null}  # "*": any other value
    missing_values: ["(none)"]   # more spellings of an empty cell ('', ?, N/A, NULL, - are built in)
    true_values: [Ja]        # extra spellings of true/false for every boolean column
    false_values: [Nein]
    one_row_per_ticket: {latest_by: [sys_mod_count, sys_updated_on]}
    leave_out:               # rows that are not service tickets: header -> values
      State: [Canceled]
    leave_out_tagged:        # the same, by one word of a list of tags: header -> words
      Tags: [closed_by_merge]
    timezone: UTC            # zone of naive timestamps; aware ones are converted to it
                             # (as_written: aware ones keep the local time written)
    dayfirst: null           # null: decided per column from the data; true/false: declared
    decimal: auto            # "." or ",": the decimal mark of number columns; auto: detected
    encoding: null           # CSV encoding; null: detected (UTF-8, GB18030, Windows-1252)
    delimiter: null          # CSV delimiter; null: detected
    sheet: null              # Excel sheet; null: the first whose header fits

Headers match case-insensitively, ignoring surrounding spaces.  Every
column a mapping names except ``ticket_id``, ``team`` and ``created_at`` is
optional: a file without it is read without it (noted in the data-quality
summary).  ``fallback`` headers fill a column's empty cells row by row (e.g.
``resolved_at`` from ``closed_at`` for tickets closed without a resolution
time), counted.  ``one_row_per_ticket`` reads an event log or audit export
(one row per update of a ticket): each ticket's latest row by the
``latest_by`` headers (those present; the first decides, the next break
ties) is kept and the rows folded are counted.  ``leave_out`` names rows
that are not service tickets (a cancelled incident, a Jira sub-task): a row
whose cell under one of its headers is one of the values listed (compared as
``values`` are) is left out of every KPI, after an event log is folded (the
ticket's latest state decides), and counted per header and value in the
data-quality summary.  ``leave_out_tagged`` does the same by a word of a
cell holding a list (tags separated by spaces, commas or semicolons, as
Zendesk's ``Tags`` column writes them: ``billing closed_by_merge``), compared
without case.  A header the file lacks leaves nothing out.

Presets ship with the package (:func:`presets`): pass the name instead of a
path, or ``"auto"`` (the loader's default) to let :func:`detect_mapping`
choose the preset whose headers fit the file.  Derivations:
``minutes_after`` / ``hours_after`` (a timestamp = another canonical
timestamp plus a duration) and ``nonzero`` (a boolean = a count above zero).
"""
from __future__ import annotations

import codecs
import functools
import difflib
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal, Union

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict, ValidationError, field_validator

from .errors import ConfigError, DataError, InvalidArgument, Problem
from .parsing import AS_WRITTEN, ZONE_ERRORS, null_tokens, text_missing
from .schema import TICKET_COLUMNS

#: The mapping of an export whose columns already have the canonical names.
CANONICAL = "canonical"
AUTO = "auto"
#: In a mapping's ``values``: the value for every other non-empty source value.
OTHER = "*"
REQUIRED = tuple(c.name for c in TICKET_COLUMNS.values() if c.required)

PRESET_DIR = Path(__file__).with_name("mappings")


class Derived(BaseModel):
    """A canonical column read from source header(s), with fallbacks or a derivation."""

    model_config = ConfigDict(extra="forbid")
    source: Union[str, list[str]]
    fallback: list[str] = []
    notes: dict[str, str] = {}     # header -> what reading the column from it means
    minutes_after: str | None = None
    hours_after: str | None = None
    nonzero: bool = False

    @field_validator("source", "fallback", mode="before")
    @classmethod
    def _listify(cls, v):
        return [v] if isinstance(v, str) else v

    @property
    def sources(self) -> list[str]:
        return list(self.source)

    @property
    def derivation(self) -> dict | None:
        """``{"after": base, "unit": "min"|"h"}``, ``{"nonzero": True}`` or None."""
        if self.minutes_after and self.hours_after:
            raise InvalidArgument("give minutes_after or hours_after, not both")
        if self.minutes_after or self.hours_after:
            return {"after": self.minutes_after or self.hours_after,
                    "unit": "min" if self.minutes_after else "h"}
        return {"nonzero": True} if self.nonzero else None


class OneRowPerTicket(BaseModel):
    model_config = ConfigDict(extra="forbid")
    latest_by: list[str]

    @field_validator("latest_by", mode="before")
    @classmethod
    def _listify(cls, v):
        return [v] if isinstance(v, str) else v


class Mapping(BaseModel):
    """A validated column mapping (see the module docstring for the format)."""

    model_config = ConfigDict(extra="forbid")
    name: str = "custom"
    description: str = ""
    columns: dict[str, Union[str, list[str], Derived]] = {}
    values: dict[str, dict[str, Union[str, bool, int, float, None]]] = {}
    missing_values: list[str] = []
    true_values: list[str] = []
    false_values: list[str] = []
    one_row_per_ticket: OneRowPerTicket | None = None
    leave_out: dict[str, list[str]] = {}
    leave_out_tagged: dict[str, list[str]] = {}
    timezone: str = "UTC"
    dayfirst: bool | None = None
    decimal: Literal[".", ",", "auto"] = "auto"
    encoding: str | None = None
    delimiter: str | None = None
    sheet: Union[str, int, None] = None

    @field_validator("columns")
    @classmethod
    def _specs(cls, v):
        out = {}
        for k, spec in v.items():
            if not isinstance(spec, Derived):
                spec = Derived(source=spec)
            spec.derivation  # noqa: B018  (validates the combination)
            out[k] = spec
        return out

    @field_validator("leave_out", "leave_out_tagged", mode="before")
    @classmethod
    def _as_written(cls, v):
        """Values as the export writes them: whole numbers as text; YAML's readings of
        unquoted words (No -> false) and decimals (1.10 -> 1.1) refused."""
        if not isinstance(v, dict):
            return v
        out = {}
        for header, values in v.items():
            values = values if isinstance(values, list) else [values]
            for x in values:
                if isinstance(x, (bool, float)) or x is None:
                    raise ValueError(f"{header}: {x!r} is how YAML reads an unquoted value: "
                                     "write it in quotes as the export writes it, e.g. 'No'")
            out[header] = [str(x) for x in values]
        return out

    @field_validator("encoding")
    @classmethod
    def _encoding(cls, v):
        if v is not None:
            try:
                codecs.lookup(v)
            except LookupError:
                raise ValueError(f"unknown encoding {v!r}") from None
        return v

    def leave_out_headers(self) -> list[str]:
        """The headers ``leave_out`` and ``leave_out_tagged`` read."""
        return [*self.leave_out, *self.leave_out_tagged]

    def na_values(self) -> frozenset:
        """Spellings of an empty cell: the built-in ones plus ``missing_values``."""
        return null_tokens(self.missing_values)

    def read_options(self) -> dict:
        """Keyword arguments of :func:`servicekpi.readers.read_table`."""
        return dict(encoding=self.encoding, delimiter=self.delimiter, sheet=self.sheet)

    @field_validator("columns", "values")
    @classmethod
    def _canonical_keys(cls, v):
        unknown = [k for k in v if k not in TICKET_COLUMNS]
        if unknown:
            raise ValueError(f"unknown canonical column(s) {unknown}; expected some of "
                             f"{', '.join(TICKET_COLUMNS)}")
        return v

    @field_validator("timezone")
    @classmethod
    def _zone(cls, v):
        if v == AS_WRITTEN:
            return v
        try:
            pd.Timestamp("2024-01-01", tz=v)
        except ZONE_ERRORS:
            raise ValueError(f"unknown time zone {v!r}") from None
        return v


def presets() -> list[str]:
    """Names of the mapping presets shipped with servicekpi."""
    return sorted(p.stem for p in PRESET_DIR.glob("*.yaml"))


def canonical_mapping() -> Mapping:
    """The mapping of an export already in canonical column names."""
    return Mapping(name=CANONICAL, description="canonical column names",
                   columns={c: c for c in TICKET_COLUMNS})


def load_mapping(spec) -> Mapping:
    """Load a mapping from a preset name, a YAML path, a dict or a Mapping.

    None gives the canonical mapping (columns already have the canonical
    names).  ``"auto"`` is not a mapping: see :func:`detect_mapping`.
    """
    if isinstance(spec, Mapping):
        return spec
    if spec is None or spec == CANONICAL:
        return canonical_mapping()
    source = "mapping"
    if isinstance(spec, dict):
        data = spec
    else:
        path = Path(spec)
        if not path.exists() and (PRESET_DIR / f"{spec}.yaml").exists():
            path = PRESET_DIR / f"{spec}.yaml"
        source = str(path)
        if not path.is_file():
            raise ConfigError(f"mapping file not found (presets: {', '.join(presets())})",
                              source=source)
        from .readers import read_yaml
        data = read_yaml(path, source=source) or {}
    try:
        return Mapping.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(pydantic_problems(exc, source), source=source) from None


def pydantic_problems(exc: ValidationError, source: str) -> list[Problem]:
    """Turn a pydantic ValidationError into Problems naming each key."""
    out = []
    for err in exc.errors():
        key = ".".join(str(x) for x in err["loc"]) or None
        msg = err["msg"]
        if err["type"] == "extra_forbidden":
            msg = "unknown key"
        out.append(Problem(source, key, msg))
    return out


def header_key(name) -> str:
    """How headers (and mapped values) are compared: spaces collapsed and trimmed,
    case ignored."""
    return " ".join(str(name).split()).lower()


def value_key(value) -> str:
    """How a cell is compared with a mapping's ``values``: as :func:`header_key`,
    and a whole number written with a decimal point compared as the number
    (``5.0`` as ``5``: a column saved from floats, by pandas or in Parquet)."""
    key = header_key(value)
    if re.fullmatch(r"[+-]?\d+\.0*", key):
        key = key.split(".")[0].lstrip("+")
        key = "0" if key.strip("-0") == "" else key
    return key


def value_keys(col: pd.Series) -> pd.Series:
    """Each cell's :func:`value_key` (NA for a missing cell), worked out once per
    distinct value."""
    text = col.astype("string")
    return text.map({v: value_key(v) for v in text.dropna().unique()},
                    na_action="ignore").astype("string")   # text also when all blank


def header_index(columns) -> dict[str, str]:
    """:func:`header_key` -> the file's header as written (the first of equal keys)."""
    index: dict[str, str] = {}
    for c in columns:
        index.setdefault(header_key(c), str(c))
    return index


def find_headers(index: dict[str, str], names) -> list[str]:
    """The file's headers for ``names`` (looked up in a :func:`header_index`), in
    their order, skipping those the file lacks."""
    return [index[header_key(n)] for n in names if header_key(n) in index]


@dataclass
class Resolved:
    """Which header of a file each canonical column of a mapping reads."""

    mapping: Mapping
    headers: dict[str, str] = field(default_factory=dict)      # canonical -> header
    fallbacks: dict[str, list[str]] = field(default_factory=dict)
    absent: dict[str, list[str]] = field(default_factory=dict)  # canonical -> names tried

    @property
    def fits(self) -> bool:
        return all(c in self.headers for c in REQUIRED)

    @property
    def score(self) -> tuple:
        """Ordering of candidate mappings: columns found, then share of its own found."""
        named = len(self.mapping.columns) or 1
        return (self.fits, len(self.headers), len(self.headers) / named)


def resolve(mapping: Mapping, columns) -> Resolved:
    """Match a mapping's source headers to a file's header (case-insensitive)."""
    index = header_index(columns)
    res = Resolved(mapping)
    for canon, spec in mapping.columns.items():
        found = find_headers(index, spec.sources)
        if not found:
            res.absent[canon] = spec.sources
            continue
        res.headers[canon] = found[0]
        fb = find_headers(index, spec.fallback)
        if fb:
            res.fallbacks[canon] = fb
    return res


def candidates() -> list[Mapping]:
    """The canonical mapping and every preset, in the order detection tries them."""
    return [canonical_mapping()] + [_preset(name) for name in presets()]


@functools.lru_cache(maxsize=None)
def _preset(name: str) -> Mapping:
    return load_mapping(PRESET_DIR / f"{name}.yaml")


def detect_mapping(columns, *, source: str = "tickets") -> Mapping:
    """The mapping whose headers best fit ``columns``: canonical names or a preset.

    A candidate fits when it finds ``ticket_id``, ``team`` and ``created_at``;
    among those that fit, the one that finds the most columns wins (then
    the one that finds the largest share of the columns it names).  When
    none fits, the :class:`DataError` lists, for the closest candidate, the
    canonical columns not found and the file's headers nearest to the names
    it looked for.
    """
    columns = [str(c) for c in columns]
    ranked = sorted((resolve(m, columns) for m in candidates()),
                    key=lambda r: r.score, reverse=True)
    best = ranked[0]
    if best.fits:
        return best.mapping
    problems = []
    closest = [r for r in ranked if r.score[1] == best.score[1]][:3]
    for r in closest[:1]:
        for canon in REQUIRED:
            if canon in r.headers:
                continue
            tried = sorted({n for m in ranked for n in m.absent.get(canon, [])})
            near = _nearest(columns, [canon] + tried)
            problems.append(Problem(
                source, canon, f"no column for canonical '{canon}' (looked for "
                f"{', '.join(map(repr, tried[:8]))}{' ...' if len(tried) > 8 else ''}); "
                f"closest headers in the file: {', '.join(map(repr, near)) or 'none'}"))
    names = ", ".join(r.mapping.name for r in closest)
    problems.append(Problem(
        source, None, f"no mapping fits this header (columns found: "
        f"{', '.join(columns[:30]) or 'none'}; closest: {names}; presets: "
        f"{', '.join(presets())}): write a mapping YAML that names your headers "
        f"(mapping: <file>): a copy of the system's preset from {PRESET_DIR} with its "
        "headers replaced by yours (an export in another language), or the README's "
        "'Other names?'"))
    raise DataError(problems, source=source)


def _nearest(headers: list[str], names: list[str], n: int = 3) -> list[str]:
    keyed = {header_key(h): h for h in headers}
    scores: dict[str, float] = {}
    for name in names:
        words = set(header_key(name).replace("_", " ").replace("/", " ").split())
        for k, h in keyed.items():
            r = difflib.SequenceMatcher(None, header_key(name), k).ratio()
            if k in words or words & set(k.replace("_", " ").split()):
                r = max(r, 0.6)   # 'id' for 'ticket_id', 'opened' for 'date opened'
            if r >= 0.5:
                scores[h] = max(scores.get(h, 0.0), r)
    return [h for h, _ in sorted(scores.items(), key=lambda kv: -kv[1])[:n]]


def header_fit(mapping: Mapping | None):
    """A scorer for :func:`servicekpi.readers.read_table`'s ``fits``: how well a
    candidate header row fits ``mapping`` (or any candidate, when None)."""
    maps = [mapping] if mapping is not None else candidates()

    def fits(header: list[str]) -> float:
        best = 0.0
        for m in maps:
            r = resolve(m, header)
            if r.fits:
                best = max(best, float(len(r.headers)))
        return best
    return fits


@dataclass
class Mapped:
    """A raw frame in canonical names, and what the mapping did to it."""

    frame: pd.DataFrame
    shown: dict[str, pd.Series]                 # canonical -> cells as in the file
    sources: dict[str, str]                     # canonical -> header read
    derived: dict[str, dict]                    # canonical -> derivation
    problems: list[Problem] = field(default_factory=list)
    quality: list[dict] = field(default_factory=list)
    fallbacks: dict[str, list[str]] = field(default_factory=dict)   # canonical -> headers
    #: canonical -> the cells its values table reads as no value (Freshdesk's 0
    #: customer interactions): not cells left blank in the file
    nulled: dict[str, np.ndarray] = field(default_factory=dict)

    def where(self, canon: str) -> str:
        """A canonical column as a message names it: the file's header(s) it was read
        from, and the name it was read as (``Closed / Resolved, read as resolved_at``);
        the canonical name alone when the file uses it."""
        headers = list(dict.fromkeys([self.sources.get(canon, canon),
                                      *self.fallbacks.get(canon, [])]))
        if [header_key(h) for h in headers] == [header_key(canon)]:
            return canon
        return f"{' / '.join(map(str, headers))}, read as {canon}"


def apply_mapping(raw: pd.DataFrame, mapping: Mapping, source: str) -> Mapped:
    """Rename/derive columns, fill from fallbacks and translate values.

    Problems: a required canonical column with no header, a derivation whose
    base is not a timestamp column.  Quality items: optional columns not in
    the file, cells filled from a fallback column.  Columns the mapping does
    not read travel along under their own names.
    """
    na = mapping.na_values()
    res = resolve(mapping, raw.columns)
    problems: list[Problem] = []
    quality: list[dict] = []
    for canon in REQUIRED:
        if canon not in res.headers and canon in mapping.columns:
            problems.append(Problem(source, canon, (
                f"mapping '{mapping.name}' reads canonical column '{canon}' from "
                f"{' or '.join(map(repr, res.absent[canon]))}, which is not in the file "
                f"(columns found: {', '.join(map(str, raw.columns[:30])) or 'none'})")))
    absent = [c for c in res.absent if c not in REQUIRED]
    if absent and mapping.name != CANONICAL:
        quality.append(dict(code="mapped_column_absent", column=None, rows=None,
                            severity="info", values=dict(
                                mapping=mapping.name,
                                columns=", ".join(f"{c} ({' / '.join(res.absent[c])})"
                                                  for c in absent))))
    used = set(res.headers.values()) | {h for fb in res.fallbacks.values() for h in fb}
    out = pd.DataFrame(index=raw.index)
    shown: dict[str, pd.Series] = {}
    derived: dict[str, dict] = {}
    for canon, header in res.headers.items():
        spec = mapping.columns[canon]
        if header_key(header) != header_key(spec.sources[0]):
            note = {header_key(k): v for k, v in spec.notes.items()}.get(header_key(header))
            quality.append(dict(
                code="alternative_header", column=canon, rows=None,
                severity="warning" if note else "info",
                variant="detail_noted" if note else "detail",
                values=dict(header=str(header), expected=spec.sources[0],
                            **({"note": note} if note else {}))))
        col = raw[header]
        notes = {header_key(k): v for k, v in spec.notes.items()}
        for fb in res.fallbacks.get(canon, []):
            blank = text_missing(col, na)
            fill = blank & ~text_missing(raw[fb], na)
            if fill.any():
                col = col.astype(object).where(~fill, raw[fb].astype(object))
                note = notes.get(header_key(fb))
                if note:   # what the fallback's cells may be: named, with the values read
                    quality.append(dict(
                        code="fallback_filled", column=canon, rows=int(fill.sum()),
                        severity="warning", variant="detail_noted", values=dict(
                            header=str(header), fallback=str(fb), note=note,
                            examples=counted(raw[fb], fill, limit=5))))
                    continue
                quality.append(dict(
                    code="fallback_filled", column=canon, rows=int(fill.sum()),
                    severity="info", values=dict(header=str(header), fallback=str(fb))))
        shown[canon] = col
        out[canon] = col
        d = mapping.columns[canon].derivation
        if d is not None:
            base = d.get("after")
            if base is not None and (base not in TICKET_COLUMNS or
                                     TICKET_COLUMNS[base].kind != "timestamp" or
                                     base not in res.headers):
                problems.append(Problem(source, canon, (
                    f"mapping '{mapping.name}' derives '{canon}' as a duration after "
                    f"'{base}', which is not a timestamp column of the file")))
                continue
            derived[canon] = d
    for c in raw.columns:   # the rest travels along (a same-named canonical is replaced)
        if c not in used and c not in out.columns:
            out[c] = raw[c]
    nulled: dict[str, np.ndarray] = {}
    for canon, table in mapping.values.items():
        if canon in out.columns and table:
            lookup = {value_key(k): v for k, v in table.items() if k != OTHER}
            before = out[canon]
            key = value_keys(before)
            hit = key.isin(list(lookup)).fillna(False).to_numpy(dtype=bool)
            to_none = hit.copy()
            to_none[hit] = [lookup[k] is None for k in key[hit]]
            if to_none.any():
                nulled[canon] = to_none
                quality.append(dict(
                    code="mapped_to_none", column=canon, rows=int(to_none.sum()),
                    severity="info", values=dict(mapping=mapping.name,
                                                 examples=counted(before, to_none, 5))))
            other = np.zeros(len(hit), bool)
            if OTHER in table:   # every other non-empty value
                other = ~hit & ~text_missing(out[canon], na)
            if hit.any() or other.any():
                col = out[canon].astype(object).copy()
                col[hit] = [lookup[k] for k in key[hit]]
                if other.any():
                    col[other] = table[OTHER]
                out[canon] = col
            if other.any():
                quality.append(dict(
                    code="value_not_in_mapping", column=canon, rows=int(other.sum()),
                    severity="warning", variant="detail" if table[OTHER] is not None
                    else "empty", values=dict(value=str(table[OTHER]),
                                              examples=counted(before, other, 5))))
    return Mapped(out, shown, dict(res.headers), derived, problems, quality,
                  {k: list(v) for k, v in res.fallbacks.items()}, nulled)


def counted(cells: pd.Series, rows: np.ndarray, limit: int | None = None) -> str:
    """The values of ``cells`` in ``rows`` as written, the most frequent first, each
    with its count ("'Canceled' (3), 'Cancelled' (1)"): the first ``limit`` of
    them, then "..." when there are more."""
    seen = pd.Series(cells.to_numpy(dtype=object)[rows]).value_counts()
    shown = seen if limit is None else seen.head(limit)
    return (", ".join(f"{v!r} ({c:,})" for v, c in shown.items())
            + (", ..." if len(shown) < len(seen) else ""))


#: What separates the tags of a cell that lists them (``leave_out_tagged``).
TAG_SEPARATORS = r"[\s,;]+"


def left_out(raw: pd.DataFrame, mapping: Mapping) -> tuple[np.ndarray, list[dict]]:
    """Rows of ``raw`` that ``mapping.leave_out`` (a cell's value) or
    ``leave_out_tagged`` (one of a cell's tags) says are not tickets, and one
    quality record per header: the rows it leaves out and their values as
    written (the tags that left them out)."""
    out = np.zeros(len(raw), bool)
    quality: list[dict] = []
    index = header_index(raw.columns)
    for tagged, listing in ((False, mapping.leave_out), (True, mapping.leave_out_tagged)):
        for name, listed in listing.items():
            header = index.get(header_key(name))
            if header is None or not listed:
                continue
            wanted = {value_key(v) for v in listed}
            if tagged:
                # each distinct cell once: the first of its tags that is listed
                text = raw[header].astype("string")
                first = {v: next((t for t in re.split(TAG_SEPARATORS, v.lower()) if t in wanted),
                                 None) for v in text.dropna().unique()}
                shown = text.map(first, na_action="ignore")
                hit = shown.notna().to_numpy(dtype=bool) & ~out
            else:
                shown = raw[header]
                hit = value_keys(shown).isin(wanted).fillna(False).to_numpy(dtype=bool) & ~out
            if hit.any():
                quality.append(dict(code="left_out_tagged" if tagged else "left_out",
                                    column=None, rows=int(hit.sum()), severity="dropped",
                                    values=dict(mapping=mapping.name, header=str(header),
                                                values=counted(shown, hit))))
                out |= hit
    return out, quality


def apply_derivations(frame: pd.DataFrame, derived: dict) -> None:
    """Finish derived columns once their sources are typed (in place)."""
    for canon, d in derived.items():
        if d.get("after"):
            base = frame[d["after"]]
            amount = pd.to_numeric(frame[canon], errors="coerce")
            frame[canon] = base + pd.to_timedelta(amount, unit=d["unit"])
        elif d.get("nonzero"):
            vals = pd.to_numeric(frame[canon], errors="coerce")
            frame[canon] = pd.array(np.where(vals.isna(), None, vals > 0), dtype="boolean")
