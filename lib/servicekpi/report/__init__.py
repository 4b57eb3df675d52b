"""The report layer: what a team report and the leadership overview show.

=================  ==========================================================
module             job
=================  ==========================================================
:mod:`.inputs`     open every input once (:func:`load_inputs`)
:mod:`.team`       ``TeamReport``: one team's numbers, each computed once
:mod:`.tables`     every team table, a pandas Styler in the one style
:mod:`.figures`    every team figure, a matplotlib Figure or None
:mod:`.sentences`  the team report's sentences and notes, in its language
:mod:`.sections`   the team report's sections: heading and items, in order
:mod:`.overview`   ``OverviewReport``: the leadership roll-up
:mod:`.common`     notes, display, the table style, shared helpers
=================  ==========================================================

A team notebook is one line per section: ``report.section("gaps")``.
"""
from .common import Markdown, Note, preload, show, table
from .overview import OverviewReport
from .team import TeamReport

__all__ = ["Markdown", "Note", "OverviewReport", "TeamReport", "preload", "show", "table"]
