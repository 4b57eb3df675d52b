"""Team ids from the team names an export carries.

An export names its teams as people wrote them (``Group 70``, ``Service
Desk - EMEA``, ``投诉处理中心``).  A report needs an id that is safe as a file
name and still readable: :func:`team_id` lower-cases, turns every run of
characters that are neither letters nor digits (in any script) into ``_`` and
trims it, so Chinese names stay Chinese.  :func:`team_ids` does it for every
name of an export and keeps ids unique (``_2``, ``_3``, ... in order of the
names' sort order), so the same export always gives the same ids.
"""
from __future__ import annotations

import re
import unicodedata

#: The team of tickets whose team cell is blank.
UNASSIGNED = "unassigned"

#: A team id: letters (any script), digits, '_', '-', '.', not starting with '.'.
TEAM_ID = re.compile(r"^[^\W_][\w.\-]{0,99}$")

_NOT_WORD = re.compile(r"[\W_]+")


def team_id(name) -> str:
    """A file-safe, readable id for one team name (``UNASSIGNED`` for a blank one)."""
    text = unicodedata.normalize("NFKC", "" if name is None else str(name)).strip()
    slug = _NOT_WORD.sub("_", text.lower()).strip("_")[:100].rstrip("_")
    return slug or UNASSIGNED


def team_ids(names) -> dict[str, str]:
    """name -> id for every distinct name, ids unique and stable."""
    out: dict[str, str] = {}
    used: set[str] = set()
    for name in sorted({str(n) for n in names}):
        base = team_id(name)
        tid, k = base, 1
        while tid in used:
            k += 1
            tid = f"{base}_{k}"
        used.add(tid)
        out[name] = tid
    return out


def is_team_id(value: str) -> bool:
    """Whether ``value`` is safe as a team id (and file name)."""
    return bool(TEAM_ID.match(value)) and ".." not in value
