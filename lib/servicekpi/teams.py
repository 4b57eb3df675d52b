"""Team ids from the team names an export carries.

An export names its teams as people wrote them (``Group 70``, ``Service
Desk - EMEA``, ``投诉处理中心``).  A report needs an id that is safe as a file
name and still readable: :func:`team_id` lower-cases, turns every run of
characters that are neither letters nor digits (in any script) into ``_`` and
trims it, so Chinese names stay Chinese; ``+ # & @ % *`` are spelled out
(``C++`` -> ``c_plus_plus``, ``C#`` -> ``c_sharp``).  Names that differ only in
case, spacing or separators (``Support``, ``SUPPORT``, ``support-``) are one team:
:func:`team_names` gives each id the spelling most of its tickets use, and
the loader warns about the others.  The same rule reads the team column of
every input (targets, KPI tables, competencies) and ``team:`` in params, so
a team may be written by its id or by its name anywhere.
"""
from __future__ import annotations

import re
import unicodedata

import pandas as pd

#: The team of tickets whose team cell is blank.
UNASSIGNED = "unassigned"
#: Its name, where the export gives none; pages show it in their language
#: (:func:`servicekpi.i18n.team_shown`).
UNASSIGNED_NAME = "Unassigned"

#: A team id: letters (any script), digits, '_', '-', '.', not starting with '.'.
TEAM_ID = re.compile(r"^[^\W_][\w.\-]{0,99}$")

_NOT_WORD = re.compile(r"[\W_]+")
#: Symbols that tell teams apart (C++ and C#, Support and Support+): spelled out,
#: where spaces, dashes, dots and slashes are only separators.
_SYMBOLS = {"+": " plus ", "#": " sharp ", "&": " and ", "@": " at ", "%": " pct ",
            "*": " star "}
_SYMBOL = re.compile("|".join(re.escape(k) for k in _SYMBOLS))


def team_id(name) -> str:
    """A file-safe, readable id for one team name (``UNASSIGNED`` for a blank one)."""
    text = unicodedata.normalize("NFKC", "" if name is None else str(name)).strip()
    if _NOT_WORD.sub("", text):   # a name with letters or digits: its symbols count
        text = _SYMBOL.sub(lambda m: _SYMBOLS[m.group(0)], text)
    slug = _NOT_WORD.sub("_", text.lower()).strip("_")[:100].rstrip("_")
    return slug or UNASSIGNED


def to_ids(names: pd.Series) -> pd.Series:
    """:func:`team_id` of every cell of a column (missing stays missing), computed once
    per distinct name."""
    ids = {n: team_id(n) for n in names.dropna().unique()}
    return names.map(ids, na_action="ignore")


def team_names(counts) -> dict[str, list[str]]:
    """id -> the names that give it, the most frequent first (then in sort order).

    ``counts``: a mapping (or Series) of team name -> number of tickets.
    """
    out: dict[str, list[tuple]] = {}
    for name, k in dict(counts).items():
        out.setdefault(team_id(name), []).append((-int(k), str(name)))
    return {tid: [n for _, n in sorted(v)] for tid, v in sorted(out.items())}


def is_team_id(value: str) -> bool:
    """Whether ``value`` is safe as a team id (and file name)."""
    return bool(TEAM_ID.match(value)) and ".." not in value
