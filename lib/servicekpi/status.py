"""The one list of target statuses: their order, colours and codes.

A status is a code (:class:`Status`, a ``str`` enum, so a frame's column
compares with ``"met"``); the words a reader sees come from the message
catalogue (``status.<code>``, :func:`servicekpi.i18n.msg`), the colours from
here, for the report tables and the index page's CSS alike.
"""
from __future__ import annotations

from enum import StrEnum


class Status(StrEnum):
    """A target's status at its deadline (see :func:`servicekpi.gap_table`).

    Members are in reading order: settled outcomes first (met, missed), then
    the forecast verdicts from best to worst, then insufficient data.
    """

    MET = "met"
    MISSED = "missed"
    ON_TRACK = "on_track"
    AT_RISK = "at_risk"
    OFF_TRACK = "off_track"
    INSUFFICIENT_DATA = "insufficient_data"

    @property
    def order(self) -> int:
        """Position in :class:`Status` (0 = met)."""
        return list(Status).index(self)

    @property
    def background(self) -> str:
        return _COLOURS[self][0]

    @property
    def foreground(self) -> str | None:
        return _COLOURS[self][1]

    @property
    def css(self) -> str:
        """The cell style of this status, e.g. ``background-color: #b7e1c1; white-space:
        nowrap``."""
        out = f"background-color: {self.background}"
        out += f"; color: {self.foreground}" if self.foreground else ""
        # on one line: Chinese breaks between any two characters, and in a narrow
        # column a status stood one character a line (偏/离/目/标)
        return out + "; white-space: nowrap"

    def label(self, language: str = "en") -> str:
        """The status in words, in ``language``."""
        from .i18n import msg
        return msg(f"status.{self.value}", language)


_COLOURS = {
    Status.MET: ("#b7e1c1", None),
    Status.MISSED: ("#c62828", "#ffffff"),
    Status.ON_TRACK: ("#d9f0d3", None),
    Status.AT_RISK: ("#ffe8a3", None),
    Status.OFF_TRACK: ("#f6c1bb", None),
    Status.INSUFFICIENT_DATA: ("#e0e0e0", None),
}

#: Statuses whose targets are not going well: off track before the deadline, missed after.
BAD = (Status.OFF_TRACK, Status.MISSED)


def status_css() -> str:
    """CSS rules ``.met { background: ...; }`` for every status (the index page)."""
    rules = []
    for s in Status:
        fg = f" color: {s.foreground};" if s.foreground else ""
        rules.append(f".{s.value} {{ background: {s.background};{fg} }}")
    return "\n".join(rules)
