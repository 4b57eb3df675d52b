"""Render executed notebooks to self-contained HTML.

The template (``templates/servicekpi``) is JupyterLab's without the scripts
nbconvert loads from CDNs (require.js, MathJax, mermaid): a report opens
correctly with no network at all.  Inputs and prompts are hidden, figures
are embedded, and a table of contents of the ``##``/``###`` headings is
inserted after the title cell, titled in the report's language (which is
also the page's ``<html lang>``).
"""
from __future__ import annotations

import html
import re
import threading
from pathlib import Path

from .config import atomic_write

TEMPLATES = Path(__file__).with_name("templates")
_HEADING = re.compile(r'<h([23]) id="([^"]+)"[^>]*>(.*?)</h\1>', re.S)
_TAGS = re.compile(r"<[^>]+>")
_CELL = '<div class="jp-Cell'
_H1 = re.compile(r"<h1[^>]*>(.*?)</h1>", re.S)
_TITLE = re.compile(r"<title>.*?</title>", re.S)
#: The alternative text nbconvert gives an image without one (every figure).
_NBCONVERT_ALT = 'alt="No description has been provided for this image"'


def table_of_contents(body: str, language: str = "en") -> str:
    """A nested list of the page's h2/h3 headings, linking to their ids, titled
    in ``language``."""
    from .i18n import msg
    items, open_sub = [], False
    for level, anchor, inner in _HEADING.findall(body):
        text = html.unescape(_TAGS.sub("", inner)).replace("¶", "").strip()
        link = f'<li><a href="#{anchor}">{html.escape(text)}</a>'
        if level == "2":
            if open_sub:
                items.append("</ol></li>")
                open_sub = False
            elif items:
                items.append("</li>")
            items.append(link)
        else:
            if not open_sub:
                items.append("<ol>")
                open_sub = True
            items.append(link + "</li>")
    if not items:
        return ""
    items.append("</ol></li>" if open_sub else "</li>")
    title = html.escape(msg("index.contents", language))
    return (f'<nav class="skpi-toc" aria-label="{title}"><strong>{title}</strong><ol>'
            + "".join(items) + "</ol></nav>")


_EXPORTERS = threading.local()


def _exporter(language: str):
    """This thread's HTML exporter for pages in ``language``, made once: an
    exporter compiles its Jinja templates on first use (0.3 s, as long as the
    rest of a page), and a worker renders page after page.  One per thread,
    since rendering registers filters on the exporter (a Dask worker runs
    reports in threads)."""
    from nbconvert import HTMLExporter

    made = _EXPORTERS.__dict__.setdefault("by_language", {})
    if language not in made:
        made[language] = HTMLExporter(
            template_name="servicekpi", extra_template_basedirs=[str(TEMPLATES)],
            exclude_input=True, exclude_input_prompt=True, exclude_output_prompt=True,
            language_code=language)
    return made[language]


def render_html(notebook_path, html_path, *, toc: bool = True, language: str = "en") -> None:
    """Render an executed notebook to ``html_path`` (code and prompts hidden), a
    page in ``language`` (its ``<html lang>`` and the contents' title)."""
    import nbformat

    nb = nbformat.read(notebook_path, as_version=4)
    body, _ = _exporter(language).from_notebook_node(nb)
    from .i18n import msg
    body = body.replace(_NBCONVERT_ALT, f'alt="{html.escape(msg("index.figure", language))}"')
    h1 = _H1.search(body)
    if h1:        # the page's title: its heading, not the notebook's file name
        title = html.unescape(_TAGS.sub("", h1.group(1))).replace("¶", "").strip()
        body = _TITLE.sub(lambda _: f"<title>{html.escape(title)}</title>", body, count=1)
    if toc:
        nav = table_of_contents(body, language)
        first_h1 = body.find("<h1")
        nxt = body.find(_CELL, first_h1) if first_h1 >= 0 else -1
        if nav and nxt >= 0:
            body = body[:nxt] + nav + "\n" + body[nxt:]
    atomic_write(Path(html_path), body)
