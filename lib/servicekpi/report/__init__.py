"""The report layer: what a team report and the leadership overview show.

``TeamReport`` (:mod:`.team`) and ``OverviewReport`` (:mod:`.overview`)
compute the numbers; :mod:`.common` holds the notes and the display helper
the notebooks use.
"""
from .common import Note, show, styled
from .overview import OverviewReport
from .team import TeamReport

__all__ = ["Note", "OverviewReport", "TeamReport", "show", "styled"]
