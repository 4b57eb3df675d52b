"""User text shown as it was written: on pages, in figures and in CSV files.

Display names, team names and categories from exports, KPI labels and
definitions from a user's catalogue, titles, owners, benchmark sources and
the data-quality messages that quote cells are data, never markup.  Every
place that puts such text on a page, a figure or a CSV file a person opens
goes through this module:

- :func:`md` for Markdown (``display(Markdown(...))``, which nbconvert renders
  with mistune and JupyterLab with marked: Markdown, raw HTML, bare URLs and
  ``$...$`` maths are all live there);
- :func:`html` for raw HTML (Styler captions, ``to_html(escape=False)`` cells),
  and :func:`table` for a Styler whose cells and headers are all text;
- :func:`mpl` for matplotlib text (``$...$`` is mathtext), with
  :func:`plain_figures` turning LaTeX rendering off;
- :func:`csv_safe` for CSV files, against formula injection in spreadsheets.

Why :func:`md` writes character references rather than backslashes.  A
backslash escape does not reach everything: mistune's bare-URL rule turns
``http://host/x`` into a link whatever precedes it, and a backslash before
``&`` would turn an HTML-escaped ``&lt;`` into the visible text "&lt;".
CommonMark (and mistune and marked) treat a numeric character reference as
literal text that never opens or closes any construct (``&#42;x&#42;`` is
"*x*", not emphasis), and the same string is valid HTML text showing the
same characters, so :func:`md`'s output is also safe as the text of an HTML
element (not as an attribute: use :func:`html` there).
"""
from __future__ import annotations

import html as _html
import re

__all__ = ["md", "html", "mpl", "table", "plain_figures", "csv_cell", "csv_safe",
           "FORMULA_PREFIXES"]

#: Characters that open or close Markdown anywhere in a line, as the reports
#: render it: CommonMark's escapes, code, emphasis, links and images, raw HTML
#: and entities; strikethrough and table cells (plugins); ``$`` maths
#: (nbconvert); headings (``#``, also an ATX heading's closing run); e-mail
#: autolinks (``@``, GFM in JupyterLab).
_ALWAYS = frozenset("\\`*_[]<>&$~|#@")
#: Constructs made of harmless characters in a harmful order: bare URLs
#: (mistune's and GFM's ``http://``, GFM's ``www.``).
_SEQUENCES = re.compile(r"(?<=[A-Za-z]):(?=//)|(?<=\bwww)\.", re.I)
#: At the start of a line: list items, ordered lists, setext underlines,
#: definition lists, indented code.
_LINE_START = re.compile(r"^(?:[-+=:\s]|\d+[.)])")
_NEWLINES = re.compile(r"[\r\n]+")


def _ref(c: str) -> str:
    return f"&#{ord(c)};"


#: A text cell starting with one of these is a formula to a spreadsheet
#: (OWASP, CSV injection): ``=``, ``+``, ``-``, ``@``, tab, carriage return.
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def _text(value) -> str:
    return "" if value is None else str(value)


def md(value) -> str:
    """``value`` as literal text inside Markdown (and inside HTML).

    The characters that could start or end Markdown, HTML, an entity, a
    link, an image, a table cell, a bare URL or maths are written as numeric
    character references (``[`` -> ``&#91;``); so is a first character that
    would start a list, a heading or a code block; line breaks become spaces
    (a new line could start a block).  Everything else (letters, digits,
    ``-.,:;()'"%+=`` mid-line) is left as written, so ordinary labels read the
    same in the Markdown source.  Rendered, the text reads exactly as written.
    """
    text = _NEWLINES.sub(" ", _text(value))
    text = "".join(_ref(c) if c in _ALWAYS else c for c in text)
    text = _SEQUENCES.sub(lambda m: _ref(m.group(0)), text)
    lead = _LINE_START.match(text)
    if lead:
        text = text[:lead.end() - 1] + _ref(text[lead.end() - 1]) + text[lead.end():]
    return text


def html(value) -> str:
    """``value`` as literal text inside raw HTML (quotes escaped too, so it is
    safe in an attribute).  Raw HTML is not parsed as Markdown by nbconvert,
    and the report pages load no MathJax."""
    return _html.escape(_text(value), quote=True)


def mpl(value) -> str:
    """``value`` as literal text in a matplotlib figure: every ``$`` escaped, so
    no mathtext is parsed (matplotlib shows ``\\$`` as ``$``; a string whose
    every ``$`` is escaped is never maths).  :func:`plain_figures` makes sure
    text is not handed to LaTeX instead."""
    return _text(value).replace("$", r"\$")


def plain_figures() -> None:
    """Turn off ``text.usetex``: with it on (a user's matplotlibrc), every label
    would be typeset by LaTeX, and no escaping of ``$`` would make it literal."""
    import matplotlib
    matplotlib.rcParams["text.usetex"] = False


def table(frame, *, index: bool = False):
    """A Styler of ``frame`` showing every cell, column label and index label as
    literal text (HTML-escaped); the index hidden unless ``index``."""
    style = (frame.style.format(escape="html").format_index(escape="html", axis=0)
             .format_index(escape="html", axis=1))
    return style if index else style.hide(axis="index")


def csv_cell(value):
    """A text cell that a spreadsheet would read as a formula, prefixed with
    ``'`` (OWASP's advice for CSV injection); anything else as it is.  Only
    text is touched: a number (-0.5) stays a number."""
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


def csv_safe(frame):
    """A copy of ``frame`` whose text cells cannot be read as formulas
    (:func:`csv_cell`), for a CSV file written for people.  Numeric, boolean
    and date columns are left as they are; text and categorical columns are
    checked cell by cell (column labels too)."""
    import pandas as pd

    out = frame.copy()
    for col in out.columns:
        s = out[col]
        if isinstance(s.dtype, pd.CategoricalDtype):
            s = s.astype(object)
        if s.dtype == object or pd.api.types.is_string_dtype(s.dtype):
            out[col] = s.map(csv_cell, na_action="ignore")
    out.columns = [csv_cell(c) for c in out.columns]
    return out
