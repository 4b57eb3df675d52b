"""Report language: the message catalogue, English words in Chinese text, and
figure fonts for Chinese.

Every word a report shows is a message of the catalogue of its language
(:func:`msg`): the YAML files of ``messages/<language>/``, one file per area
of the package (``report.yaml``: section headings with their explanation and
the notes shown in place of a missing input, read with :func:`text` and
:func:`note`; ``figures.yaml``, ``units.yaml``, ``status.yaml``, ...).  KPI
labels and definitions come from the catalogue of KPIs (``label_zh``,
``definition_zh``), status words from :class:`servicekpi.status.Status`.

:func:`english_words` finds English words in a text that should be Chinese
(the tests of the messages, the figures and the rendered pages use it).

Figures with Chinese text need a CJK font: :func:`use_cjk_font` registers the
font files that can draw Chinese with matplotlib, whatever its font cache
holds (an installed Noto Sans CJK, Source Han Sans, WenQuanYi, ..., else the
Noto Sans CJK SC that the ``mplfonts`` package ships), bold faces included,
or raises a clear error instead of drawing empty boxes.
"""
from __future__ import annotations

import functools
import os
import re
import shutil
import string
import subprocess
from importlib.resources import files

from .errors import ReportError

#: The report languages: every message exists in each (a test checks it).
LANGUAGES = ("en", "zh")


@functools.cache
def catalogue(language: str = "en") -> dict[str, str]:
    """Every message of ``language``, by dotted key (``status.met``).

    The catalogue of a language is the folder ``messages/<language>/``: its
    YAML files are merged, each file's nested keys flattened to dotted keys
    (a file holds one area of the package, e.g. ``team.yaml``).  A key defined
    twice is an error.
    """
    import yaml

    if language not in LANGUAGES:
        raise ReportError(f"language {language!r} is not one of {', '.join(LANGUAGES)}")
    out: dict[str, str] = {}

    def walk(prefix: str, node, source: str) -> None:
        if isinstance(node, dict):
            for k, v in node.items():
                walk(f"{prefix}.{k}" if prefix else str(k), v, source)
            return
        if prefix in out:
            raise ReportError(f"message {prefix!r} defined twice ({source})")
        out[prefix] = str(node)

    # the package's own files: libyaml's safe loader when PyYAML has it (0.17 s
    # of Python parsing per language otherwise, paid by every command and kernel)
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    folder = files("servicekpi") / "messages" / language
    for entry in sorted(folder.iterdir(), key=lambda e: e.name):
        if entry.name.endswith(".yaml"):
            walk("", yaml.load(entry.read_text(encoding="utf-8"), Loader=loader) or {},
                 f"messages/{language}/{entry.name}")
    return out


def msg(key: str, language: str = "en", /, **values) -> str:
    """The message ``key`` in ``language``, its ``{name}`` fields filled from
    ``values``.  An unknown key or a missing field raises ReportError (a
    message never shows a raw key or an unfilled brace)."""
    text_ = catalogue(language).get(key)
    if text_ is None:
        raise ReportError(f"no message {key!r} in language {language!r}")
    if not values and not any(f for _, f, _, _ in string.Formatter().parse(text_) if f):
        return text_.format() if "{" in text_ else text_      # {{ is a brace
    try:
        return text_.format(**values)
    except (KeyError, IndexError) as exc:
        raise ReportError(f"message {key!r} ({language}) needs the value {exc}") from None


def code_words(prefix: str, code: str, codes, language: str = "en", *, what: str) -> str:
    """A code of the closed list ``codes`` in words: the message ``<prefix>.<code>``.
    A code not in the list is refused (InvalidArgument naming ``what`` it should be)."""
    from .errors import InvalidArgument
    if code not in codes:
        raise InvalidArgument(f"unknown {what} {code!r}; expected one of {', '.join(codes)}")
    return msg(f"{prefix}.{code}", language)


#: The grade codes, best first: each has a message ``grade.<code>``.
GRADES = ("A", "B", "C", "D")


def grade_words(code, language: str = "en") -> str:
    """A grade code in words: the message ``grade.<code>`` for ``A``-``D``;
    anything else (a summary written before grades were codes) as text, and
    ``–`` for no grade (None, NaN, an empty text)."""
    if isinstance(code, str) and code in GRADES:
        return msg(f"grade.{code}", language)
    if code is None or code == "" or (isinstance(code, float) and code != code):
        return "–"
    return str(code)


def fields(key: str, language: str = "en") -> set[str]:
    """The ``{name}`` fields of a message (a test compares them across languages)."""
    return {f for _, f, _, _ in string.Formatter().parse(catalogue(language)[key]) if f}


def note(key: str, language: str = "en", **values) -> str:
    """The note ``report.note.<key>`` in ``language``, ``{...}`` filled in."""
    return msg(f"report.note.{key}", language, **values)


def day_words(day, language: str = "en") -> str:
    """A calendar day for a sentence: ``13 Oct 2024`` or ``2024年10月13日``."""
    if language == "zh":
        return f"{day.year}年{day.month}月{day.day}日"
    return f"{day.day} {day.strftime('%b')} {day.year}"


def partial_label(period_label: str, day, language: str = "en") -> str:
    """A partial period's label: ``2024-10 (partial, to 13 Oct)`` or
    ``2024-10（不完整，截至10月13日）``."""
    short = f"{day.month}月{day.day}日" if language == "zh" else f"{day.day} {day.strftime('%b')}"
    return msg("report.partial_label", language, period=period_label, day=short)


def team_shown(team: str, name: str, language: str = "en") -> str:
    """A team's name as a page in ``language`` shows it: the team of tickets with a
    blank team in the page's words (``未分配``), every other as given."""
    from .teams import UNASSIGNED, UNASSIGNED_NAME
    if team == UNASSIGNED and (name or "").strip() in ("", UNASSIGNED, UNASSIGNED_NAME):
        return msg("team.unassigned", language)      # no name of its own given
    return name


def changed_since(what: list[str], language: str = "en") -> str:
    """What changed since a kept report's page was made (``parameters``, ``code``
    or an input file's name), in words: ``its parameters and targets.csv changed
    since its page was made``."""
    names = [msg(f"index.outdated.{w}", language) if w in ("parameters", "code") else w
             for w in what]
    sep, last = msg("index.outdated.separator", language), msg("index.outdated.and", language)
    listed = names[0] if len(names) == 1 else sep.join(names[:-1]) + last + names[-1]
    return msg("index.outdated.changed", language, what=listed)


def page_language(languages) -> str:
    """The language of a page about several reports (the overview, the index):
    Chinese when every report is, else English."""
    languages = list(languages)
    return "zh" if languages and all(x == "zh" for x in languages) else "en"


def stamp(when, language: str = "en") -> str:
    """A date and time as the pages show it: ``2026-10-13 14:05`` or
    ``2026年10月13日 14:05``."""
    return msg("index.stamp", language, year=when.year, month=when.month, day=when.day,
               time=when.strftime("%H:%M"))


# ---------------------------------------------------- English words in Chinese
#: Latin words a Chinese text may show: KPI acronyms, the names of the
#: forecasting models and methods, the Laney chart (a proper name) and UTC.
ALLOWED_WORDS = frozenset({"NPS", "CSAT", "SLA", "FCR", "AHT", "CES", "KPI",
                           "ETS", "ARIMA", "Theta", "MASE", "Laney", "UTC", "ISO"})

_WORD = re.compile(r"[A-Za-z][A-Za-z0-9_]*")


def english_words(text, allow=ALLOWED_WORDS) -> list[str]:
    """The English words of ``text`` not in ``allow``, in order.

    A word is a run of letters, digits and underscores starting with a Latin
    letter and holding at least two Latin letters (``why``, ``is_complaint``,
    ``ets_ann``); single letters (``z``, ``h``, ``p90``) and numbers are not words.
    A Chinese text should give an empty list: pass the data it may quote
    (team names, file names, ids) in ``allow`` along with :data:`ALLOWED_WORDS`.
    """
    return [w for w in _WORD.findall(str(text))
            if sum(c.isascii() and c.isalpha() for c in w) >= 2 and w not in allow]


# ------------------------------------------------------------------ CJK fonts
#: Families that draw Chinese, most preferred first.
CJK_FAMILIES = ("Noto Sans CJK SC", "Noto Sans CJK JP", "Noto Sans CJK TC", "Noto Sans SC",
                "Source Han Sans SC", "Source Han Sans CN", "WenQuanYi Zen Hei",
                "WenQuanYi Micro Hei", "SimHei", "Microsoft YaHei", "PingFang SC",
                "Heiti SC", "Droid Sans Fallback")

#: File names of fonts that draw Chinese (for systems without fontconfig).
_CJK_FILE = re.compile(r"cjk|wqy|wenquanyi|sourcehan|simhei|simsun|msyh|yahei|pingfang|heiti|"
                       r"hiragino|droidsansfallback|notosanssc|notoserifsc", re.I)
_FONT_EXT = (".ttf", ".otf", ".ttc")


@functools.cache
def cjk_font_files() -> tuple[str, ...]:
    """The font files of this machine that can draw Chinese: those fontconfig
    lists for the language zh (``fc-list :lang=zh``), and those among
    :func:`matplotlib.font_manager.findSystemFonts` whose file name says so
    (Windows, macOS).  Every weight is a file of its own (or a face of a
    ``.ttc`` collection), so the bold faces are among them."""
    from matplotlib import font_manager

    found: list[str] = []
    fc_list = shutil.which("fc-list")
    if fc_list:
        try:
            out = subprocess.run([fc_list, ":lang=zh", "--format=%{file}\\n"],
                                 capture_output=True, text=True, timeout=60).stdout
        except (OSError, subprocess.SubprocessError):   # a broken fontconfig: use the scan
            out = ""
        found += [line.strip() for line in out.splitlines() if line.strip()]
    found += [p for p in font_manager.findSystemFonts()
              if _CJK_FILE.search(os.path.basename(p).replace("-", "").replace("_", ""))]
    return tuple(dict.fromkeys(p for p in found if p.lower().endswith(_FONT_EXT)))


def _packaged_font_file() -> str | None:
    """Noto Sans CJK SC (regular only) from the ``mplfonts`` wheel (a
    dependency), so Chinese figures work on a machine without system CJK fonts."""
    try:
        path = files("mplfonts") / "fonts" / "NotoSansCJKsc-Regular.otf"
    except ModuleNotFoundError:
        return None
    return str(path) if path.is_file() else None


def _register(paths) -> None:
    """Add the font files matplotlib's font list does not hold yet (its cache
    may have been built before they were installed)."""
    from matplotlib import font_manager

    manager = font_manager.fontManager
    known = {os.path.realpath(f.fname) for f in manager.ttflist}
    for path in paths:
        if os.path.realpath(path) in known:
            continue
        try:
            manager.addfont(path)
        except (OSError, RuntimeError, ValueError):  # a font file FreeType cannot read
            continue
        known.add(os.path.realpath(path))


def _weight(w) -> int:
    from matplotlib import font_manager
    return w if isinstance(w, int) else font_manager.weight_dict.get(str(w), 400)


def has_bold(family: str) -> bool:
    """Whether matplotlib has a bold face (weight 600 or more) of ``family``."""
    from matplotlib import font_manager
    return any(f.name == family and _weight(f.weight) >= 600
               for f in font_manager.fontManager.ttflist)


def _best_family() -> str | None:
    """The preferred registered family that draws Chinese: one with a bold face
    before one without; among them, the order of :data:`CJK_FAMILIES`, then
    any other family of a CJK font file (:func:`cjk_font_files`) or named so."""
    from matplotlib import font_manager

    ttf = font_manager.fontManager.ttflist
    cjk_files = {os.path.realpath(p) for p in cjk_font_files()}
    others = {f.name for f in ttf if os.path.realpath(f.fname) in cjk_files
              or re.search(r"\b(CJK|Han)\b", f.name)}
    names = {f.name for f in ttf}
    ranked = [f for f in CJK_FAMILIES if f in names] + sorted(others - set(CJK_FAMILIES))
    if not ranked:
        return None
    return next((f for f in ranked if has_bold(f)), ranked[0])


def find_cjk_font(rescan: bool = True) -> str | None:
    """The family name of a font that can draw Chinese, or None.

    With ``rescan`` the system's CJK font files (:func:`cjk_font_files`) are
    registered with matplotlib first, whatever its font cache lists; without
    any, the regular Noto Sans CJK SC packaged with ``mplfonts``."""
    if rescan:
        _register(cjk_font_files())
    family = _best_family()
    if family is None:
        packaged = _packaged_font_file()
        if packaged:
            _register([packaged])
            family = _best_family()
    return family


def prepare_figures(language: str, *texts) -> None:
    """Set matplotlib up for a report's figures: labels drawn literally
    (:func:`servicekpi.literal.plain_figures`), and a CJK font when the report is
    in Chinese or any of ``texts`` (titles, team names) holds CJK characters."""
    from .literal import plain_figures
    plain_figures()
    if language == "zh" or has_cjk(*texts):
        use_cjk_font()


def use_cjk_font() -> str:
    """Make matplotlib draw Chinese text with a CJK font, and return its family.

    When the font has no bold face (the packaged one), titles and labels are
    drawn in normal weight (``axes.titleweight``, ``figure.titleweight``,
    ``axes.labelweight``, ``figure.labelweight``), since asking it for bold
    would log ``findfont: Failed to find font weight bold``; the report's
    figures ask for bold only where :func:`has_bold`.  Raises ReportError
    naming what to install when there is no CJK font.
    """
    import matplotlib

    family = find_cjk_font()
    if family is None:
        raise ReportError(
            "language: zh needs a font with Chinese characters for the figures, and none is "
            "installed. On Debian/Ubuntu: sudo apt-get install fonts-noto-cjk; on other "
            "systems install Noto Sans CJK or Source Han Sans.")
    current = matplotlib.rcParams["font.sans-serif"]
    matplotlib.rcParams["font.sans-serif"] = [family] + [f for f in current if f != family]
    matplotlib.rcParams["font.family"] = "sans-serif"
    matplotlib.rcParams["axes.unicode_minus"] = False
    if not has_bold(family):
        for key in ("axes.titleweight", "figure.titleweight", "axes.labelweight",
                    "figure.labelweight"):
            matplotlib.rcParams[key] = "normal"
    return family


def bold_ok() -> bool:
    """Whether text drawn now in bold finds a bold face (the first sans-serif
    family has one, or it is not a family matplotlib knows)."""
    from matplotlib import font_manager, rcParams

    family = rcParams["font.sans-serif"][0]
    known = any(f.name == family for f in font_manager.fontManager.ttflist)
    return not known or has_bold(family)


_CJK = re.compile(r"[\u2e80-\u9fff\uac00-\ud7af\uf900-\ufaff\uff00-\uffef]")


def has_cjk(*texts) -> bool:
    """True when any of the texts holds Chinese, Japanese or Korean characters."""
    return any(_CJK.search(str(t)) for t in texts if t)
