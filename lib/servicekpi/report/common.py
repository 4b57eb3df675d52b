"""Shared pieces of the report layer: notes, display, the one table style and
the small helpers both reports use."""
from __future__ import annotations

import functools
import weakref

import numpy as np
import pandas as pd
from pydantic import ValidationError

from .. import config, literal
from ..errors import ConfigError, Problem
from ..mapping import pydantic_problems
from ..params import ReportParams

#: Cell colours of a value better / worse than what it is compared with.
BETTER, WORSE = "#d9f0d3", "#f6d5d1"


def dated(shown: str, value, period, than, language: str) -> str:
    """``shown`` (a value as formatted) with its period in brackets when it is the
    value of ``period``, known and not ``than`` (the period its column or row is
    of, left out: tickets still open); a missing value ('–') is not dated."""
    from ..i18n import msg
    from ..periods import label

    if (period is None or pd.isna(period) or pd.Period(period) == pd.Period(than)
            or value is None or not np.isfinite(value)):
        return shown
    return msg("team.value_at", language, value=shown, period=label(pd.Period(period)))


def _pct(v, digits=0) -> str:
    return "–" if v is None or not np.isfinite(v) else f"{100 * v:.{digits}f}%"


def done_share(v) -> str:
    """A share of something done (progress towards a target, the scored share
    of the weight) in whole percent, rounded *towards zero*: 0.996 reads 99%,
    so that only what is complete reads 100% (as
    :func:`servicekpi.catalogue.fmt_probability`), and a move away from the
    target is not made larger: -0.0904 reads -9%, not -10%.  Missing: '–'."""
    import math

    from ..catalogue import _floored
    return _floored(v, 0, scale=100, suffix="%", rounding=math.trunc)


class Note(str):
    """One sentence shown in place of a section's table or figure (its input is
    absent, or it has nothing to show).  Displays as Markdown in a notebook,
    as literal text (it may quote KPI labels, names, categories)."""

    def _repr_markdown_(self) -> str:
        return f"*{literal.md(str(self))}*"


class Markdown(str):
    """Report text already written as Markdown (user text in it made literal
    with :func:`servicekpi.literal.md`): a heading, a summary sentence."""

    def _repr_markdown_(self) -> str:
        return str(self)


#: What a report imports as it goes (the package's analysis modules and their
#: libraries), besides what ``import servicekpi.report`` imports.
PRELOADED = ("matplotlib.pyplot", "matplotlib_inline.backend_inline", "seaborn",
             "scipy.stats", "scipy.special", "statsmodels.regression.linear_model",
             "statsmodels.stats.proportion", "pandas.io.formats.style", "IPython.display",
             "servicekpi.benchmarking", "servicekpi.competencies", "servicekpi.diagnostics",
             "servicekpi.forecast", "servicekpi.gaps", "servicekpi.plots",
             "servicekpi.scorecard", "servicekpi.status", "servicekpi.tables",
             "servicekpi.targets", "servicekpi.report.figures", "servicekpi.report.sections",
             "servicekpi.report.sentences", "servicekpi.report.tables")


def preload() -> None:
    """Import what a report imports as it goes (:data:`PRELOADED`, the forecasting
    models too), ahead of it: about 2 s of a new kernel's first report.  The batch
    runner runs it in each worker's new kernel while it reads the inputs
    (:func:`servicekpi.runner.prestart`)."""
    import importlib

    from ..ensemble import load_models

    for name in PRELOADED:
        importlib.import_module(name)
    load_models()


def show(*items) -> None:
    """Display report items in a notebook cell, in order.

    A :class:`Note` shows as an italic sentence, any other ``str`` as
    Markdown, a matplotlib Figure as an image (:func:`_png`; then closed, so
    the inline backend does not show it twice), anything else (a Styler) as it is.
    None is skipped: a figure that has nothing to draw draws nothing.
    """
    import matplotlib.pyplot as plt
    from IPython.display import Markdown as IPythonMarkdown
    from IPython.display import display
    from matplotlib.figure import Figure

    for item in items:
        if item is None:
            continue
        if isinstance(item, Note):
            display(IPythonMarkdown(item._repr_markdown_()))
        elif isinstance(item, str):
            display(IPythonMarkdown(str(item)))
        elif isinstance(item, Figure):
            if _inline_png():
                png = _png(item)
                if png is not None:
                    display(png)
            else:
                display(item)
            plt.close(item)
        else:
            display(item)


def _inline_png() -> bool:
    """Whether figures are shown as the report's notebooks show them: by the
    inline backend, as plain PNG (not retina, SVG or an interactive widget,
    which a user may ask for in JupyterLab: those keep their own way)."""
    import matplotlib

    if "inline" not in matplotlib.get_backend():
        return False
    try:
        from matplotlib_inline.backend_inline import InlineBackend
    except ImportError:
        return False
    return set(InlineBackend.instance().figure_formats) == {"png"}


#: zlib's level for the report's figures: 3 writes them in two thirds of the time
#: of zlib's default (6), for 1% more bytes (a team report's eight figures: 0.24 s
#: against 0.35 s, 1,184 kB against 1,173 kB).
PNG_LEVEL = 3


#: Figures the report's figure functions made (:mod:`servicekpi.report.figures`):
#: their kinds of artist are known (every one tested pixel for pixel), so
#: :func:`_content_box` may measure them as laid out.  Any other figure given to
#: :func:`show` (a user's) is cropped matplotlib's own way.
MEASURED: weakref.WeakSet = weakref.WeakSet()


def _png(fig):
    """``fig`` as the inline backend shows it (a PNG at the figure's dpi, cropped
    to its content, with the backend's settings; None for a figure with nothing
    drawn), the same pixels, made with less work:

    - a figure laid out to fit its canvas (:func:`servicekpi.plots.fits_canvas`)
      is the image of that canvas, uncropped: the crop lays every label out once
      more, which for the 20-panel trend grid doubles the time to show it;
    - a report's figure without a layout engine (the peer heatmap, the
      contributions, the competency radar: :data:`MEASURED`) is cropped to its
      content as laid out (:func:`_content_box`), without the draw matplotlib
      makes first to find it: a third of the time to show the heatmap's
      hundreds of labels.  A figure laid out by ``tight_layout`` keeps the
      placeholder engine it leaves, and matplotlib's way;
    - zlib writes it at :data:`PNG_LEVEL`.

    It stays RGBA: written as RGB (10% fewer bytes, 0.06 s less for a report's
    figures) it would need a copy of the 20-panel trend grid's pixels, 12 MB
    more at a report kernel's peak.
    """
    import matplotlib
    from IPython.core.pylabtools import print_figure
    from IPython.display import Image
    from matplotlib_inline.backend_inline import InlineBackend

    from ..plots import fits_canvas

    kwargs = dict(InlineBackend.instance().print_figure_kwargs)
    kwargs["pil_kwargs"] = {**kwargs.get("pil_kwargs", {}), "compress_level": PNG_LEVEL}
    if fits_canvas(fig):
        kwargs["bbox_inches"] = None
    elif fig in MEASURED and kwargs.get("bbox_inches", "tight") == "tight":
        box = _content_box(fig, kwargs)
        if box is not None:
            kwargs["bbox_inches"] = box
    with matplotlib.rc_context({"savefig.bbox": None}):   # the notebooks ask for "tight"
        data = print_figure(fig, "png", **kwargs)
    return None if data is None else Image(data=data, format="png")


def _content_box(fig, kwargs: dict):
    """The box (inches) matplotlib crops ``fig`` to when saved with
    ``bbox_inches="tight"`` and ``kwargs``, measured on the figure as laid out;
    None where only matplotlib's way finds it.

    matplotlib draws the whole figure (every label laid out) before it measures
    the content, for what is placed at draw time: a layout engine's work, and
    artists a report's figures do not have (a legend spread to the axes' width,
    a partial polar plot, wrapped text in a legend, draw callbacks).  A title's,
    tick's, colour bar's or legend's place is worked out by the measuring
    itself.  So a report's figure (:data:`MEASURED`) without a layout engine,
    shown by Agg at its own dpi, is measured as it is: tested to be pixel for
    pixel the image matplotlib's way makes, for every figure of the team report
    in both languages."""
    import matplotlib
    from matplotlib.backends.backend_agg import FigureCanvasAgg, RendererAgg

    pad = kwargs.get("pad_inches")
    pad = matplotlib.rcParams["savefig.pad_inches"] if pad is None else pad
    if (fig.get_layout_engine() is not None or not isinstance(fig.canvas, FigureCanvasAgg)
            or kwargs.get("backend") is not None or pad == "layout"
            or kwargs.get("dpi", fig.dpi) != fig.dpi
            or kwargs.get("bbox_extra_artists") is not None):
        return None
    # measured by a renderer of one pixel at the figure's dpi (text is measured by
    # its font, places by the figure's own box): the canvas' renderer would hold a
    # buffer of the whole figure until the figure is collected (in one kernel, 8
    # reports of the 100-team data: 388-391 MB with it, 368-373 MB with this)
    return fig.get_tightbbox(RendererAgg(1, 1, fig.dpi)).padded(pad)


def table(frame: pd.DataFrame, *, caption: str | None = None,
          colours: pd.DataFrame | dict | None = None, index: bool = False):
    """Every report table, in one style: a pandas Styler of ``frame`` (cells
    already display strings), every cell and label literal text (escaped),
    the index hidden unless ``index``.

    ``caption`` is plain text (escaped).  ``colours`` gives cell background
    colours: a frame shaped like ``frame`` (``""`` for none), or a dict
    ``column -> list of colours`` for some columns; a colour is a CSS
    colour (``#d9f0d3``) or a whole cell style (``background-color: ...``,
    e.g. :attr:`servicekpi.status.Status.css`).  An empty ``frame`` gives
    an empty Styler, never a DataFrame or None."""
    style = literal.table(frame, index=index)
    if colours is not None and len(frame):
        css = (pd.DataFrame(colours, index=frame.index).reindex(columns=frame.columns)
               if isinstance(colours, dict) else colours.copy())
        css = css.reindex(index=frame.index, columns=frame.columns).astype(object).fillna("")
        css = css.map(lambda c: (c if not c or ":" in c else f"background-color: {c}"))
        style = style.apply(lambda _: css.to_numpy(), axis=None)
    if caption:
        style = style.set_caption(literal.html(caption))
    return style


def _cached(method):
    """Compute a report method's result once (kept in the report's ``_cache``;
    its arguments are part of the key, none: the method's name)."""
    @functools.wraps(method)
    def wrapper(self, *args, **kwargs):
        key = ((method.__name__, args, tuple(sorted(kwargs.items())))
               if args or kwargs else method.__name__)
        if key not in self._cache:
            self._cache[key] = method(self, *args, **kwargs)
        return self._cache[key]
    return wrapper


def _params(parameters: dict) -> ReportParams:
    """Validate notebook parameters; the catalogue defaults to the project's."""
    parameters = dict(parameters)
    if parameters.get("catalogue") is None:
        parameters["catalogue"] = config.CATALOGUE     # KPI definitions, not data
    if parameters.get("tickets") is None:
        raise ConfigError([Problem("report parameters", "tickets",
                                   "no ticket export named: set tickets to a CSV, Parquet "
                                   "or Excel file")], source="report parameters")
    try:
        return ReportParams.model_validate(parameters)
    except ValidationError as exc:
        raise ConfigError(pydantic_problems(exc, "report parameters"),
                          source="report parameters") from None
