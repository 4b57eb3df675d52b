"""The KPI catalogue: what each KPI means, which way is better, and how its
values read (number format, unit) in English and Chinese.

A YAML file (``params/catalogue.yaml``)::

    kpis:
      fcr_rate:
        label: First-contact resolution
        label_zh: 首次解决率
        unit: share          # share (0-1), hours, minutes, score, points, count, ...
        # unit_zh: ...       # optional: the unit in Chinese, when the messages lack it
        format: "{:.1%}"      # a Python format ({unit}: the unit in words), or "duration"
        direction: higher    # higher | lower | neutral (neutral: not targetable)
        perspective: internal_process
        bounds: [0, 1]       # optional: the range the KPI lives in
        source: tickets      # tickets (computed) | table (from the KPI table)
        definition: Resolved tickets needing one contact / resolved tickets ...
        definition_zh: 一次接触即解决的已解决工单数 ÷ ...

Every later analysis reads directions from here, so a lower-is-better KPI is
never mistaken for a higher-is-better one.

A duration (``format: duration``, stored in hours or minutes) is shown in one
:class:`Unit` per KPI and team (:meth:`KPIDef.display_unit`): seconds,
minutes, hours or days, whichever reads best for its typical value, in
tables (:meth:`KPIDef.fmt`) and on figure axes (:meth:`KPIDef.axis_label`)
alike.  Unit words and perspective names come from the message catalogue
(``units.*``).
"""
from __future__ import annotations

import math
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, ValidationError, field_validator, model_validator

from .errors import ConfigError, InvalidArgument, Problem
from .mapping import pydantic_problems

PERSPECTIVES = ("financial", "customer", "internal_process", "learning_growth")


#: The units a duration is shown in, with their length in seconds, and the
#: largest duration (in seconds) each is chosen for: under 90 s in seconds,
#: under 90 min in minutes, under 48 h in hours, else in days.
DURATION_UNITS = (("s", 1, 90), ("min", 60, 90 * 60), ("h", 3600, 48 * 3600),
                  ("d", 86400, math.inf))
#: Seconds in one stored unit of a duration KPI.
_STORED_SECONDS = {"hours": 3600, "minutes": 60}


@dataclass(frozen=True)
class Unit:
    """The unit a KPI's values are shown in: ``code`` (``"s"``, ``"min"``,
    ``"h"``, ``"d"`` for a duration; otherwise the KPI's own unit, e.g.
    ``"share"``, ``"points"``) and ``scale``, the factor that turns a stored
    value into a shown one (a first response stored in hours and shown in
    minutes: 60)."""

    code: str
    scale: float = 1.0

    def word(self, language: str = "en") -> str:
        """The unit as a reader sees it (``min`` / ``分钟``; ``%`` for a share);
        a unit the messages do not know is shown as written."""
        from .i18n import catalogue
        return catalogue(language).get(f"units.{self.code}", self.code)


def _digits(text: str) -> bool:
    """Whether a formatted number shows a digit other than 0 (it does not read 0)."""
    return any(c in "123456789" for c in text)


def _unsigned_zero(text: str) -> str:
    """A formatted number without the sign of a value that rounds to zero
    ("-0 s" is "0 s", "+0.0 pp" is "0.0 pp")."""
    if text.startswith(("-", "+", "−")) and not _digits(text):
        return text[1:]
    return text


def _number(x: float, spec: str) -> str:
    """``x`` formatted with ``spec``, a zero unsigned."""
    return _unsigned_zero(format(x, spec))


#: At most this many decimals are added to a value's usual ones, so that a
#: non-zero value does not read 0 (:func:`_fixed`) or a value on the wrong side
#: of its target does not read as the target (:meth:`KPIDef.fmt_pair`); a
#: difference below that (float noise) still reads 0 / as the target.
MORE_DIGITS = 3
#: The significant digits a non-zero value that would read 0 is shown with.
SIGNIFICANT = 2
_PRECISION = re.compile(r"(\{[^{}]*?:[^{}]*?\.)(\d+)([^{}]*\})")


def _fixed(x: float, decimals: int, *, sign: str = "", keep: bool = False) -> str:
    """``x`` with ``decimals`` decimals (``sign``: "+" for a signed change); with
    ``keep``, a non-zero ``x`` that would read 0 gets up to :data:`MORE_DIGITS`
    more, for :data:`SIGNIFICANT` significant digits (1.7 min in hours reads
    0.028, not 0.0).  A value that still rounds to zero has no sign."""
    if keep and x and math.isfinite(x) and round(abs(x), decimals) == 0:
        need = SIGNIFICANT - 1 - math.floor(math.log10(abs(x)))
        more = min(max(decimals, need), decimals + MORE_DIGITS)
        text = _number(x, f"{sign}.{more}f")
        if _digits(text):                        # else float noise: reads 0
            return text.rstrip("0") if more > decimals else text    # 0.020 reads 0.02
    return _number(x, f"{sign}.{decimals}f")


def _more_digits(spec: str, extra: int) -> str:
    """A Python format with ``extra`` more decimals in each precision it gives
    (``{:.1%}`` -> ``{:.3%}``); one without a precision is left as it is."""
    return _PRECISION.sub(lambda m: f"{m[1]}{int(m[2]) + extra}{m[3]}", spec)


def fmt_score(score) -> str:
    """A score (0-100 and beyond) as a reader sees it: one decimal, rounded
    *down* (floored), so that a score never reads as a mark it has not
    reached: 99.75 reads 99.7, not 100 (a target met), and 89.96 reads 89.9,
    not 90.0 (a grade band's edge, bands being given to one decimal at most).
    Missing: '–'."""
    return _floored(score, 1)


def fmt_parts(parts) -> list[str]:
    """Parts of a score (the scorecard's points), one decimal each, that add up
    to their total as :func:`fmt_score` would show it (the composite score with
    every target scored; else the score times the coverage): every part's tenths rounded
    down, then the tenths that lost given one each to the parts that lost most
    (largest remainder, ties in order).  8.406, 12.955 and 21.267 (42.628,
    shown 42.6) read 8.4, 12.9 and 21.3, not 8.4 + 12.9 + 21.2 = 42.5.  A
    missing part reads '–' and counts for nothing."""
    import numpy as np

    x = np.asarray(parts, float)
    ok = np.isfinite(x)
    tenths = x[ok] * 10
    base = np.floor(np.round(tenths, 6))         # as _floored: 57.699999... is 57.7
    # the total as fmt_score floors it, from the parts' exact sum (three thirds of
    # 100 add up to 100.0, not to 99.9 from parts each rounded first)
    short = int(math.floor(round(float(tenths.sum()), 6)) - base.sum())
    order = np.argsort(-(tenths - base), kind="stable")
    base[order[:max(short, 0)]] += 1
    out = np.full(len(x), "–", dtype=object)
    out[ok] = [_unsigned_zero(f"{v / 10:.1f}") for v in base]
    return list(out)


def _floored(x, decimals: int, *, scale: float = 1, suffix: str = "",
             rounding=math.floor) -> str:
    """``x`` times ``scale``, rounded down (or by ``rounding``: ``math.trunc``
    rounds towards zero) to ``decimals`` decimals (after rounding to 6 more
    places, so that a float just below a step, 57.699999... for 57.7, keeps
    it), then ``suffix``; missing or not finite: '–'."""
    try:
        x = float(x)
    except (TypeError, ValueError):
        return "–"
    if not math.isfinite(x):
        return "–"
    step = 10 ** decimals
    return _unsigned_zero(f"{rounding(round(x * scale * step, 6)) / step:.{decimals}f}") + suffix


def fmt_probability(p) -> str:
    """A probability as a reader sees it: a whole percent, rounded *down*
    (floored), so that it compares with the status thresholds
    (:data:`servicekpi.gaps.THRESHOLDS`, 30% and 70%) as the probability itself
    does: 0.495 reads 49% (not 50%), 0.6996 reads 69% for a target at risk
    below 70%, and only a certainty reads 100%.  (Within a millionth below a
    percent a probability reads that percent, as :func:`fmt_score`'s scores:
    a share of simulated paths never lies there.)  Missing: '–'."""
    return _floored(p, 0, scale=100, suffix="%")


def fmt_share(share, limit: float | None = None) -> str:
    """A share of tickets as a percent with as few decimals (0 to 3) as keep it
    true: not 0% when some are, and on its side of ``limit`` (a share of open
    tickets over a limit of "more than 5%" reads 5.3%, not 5%; 4.96% reads 5%,
    which is not more).  Missing: '–'."""
    if share is None or not math.isfinite(share):
        return "–"
    share = float(share)
    for decimals in range(4):
        shown = round(share * 100, decimals)
        if ((shown > 0) == (share > 0) and (shown < 100) == (share < 1)
                and (limit is None or (shown > limit * 100) == (share > limit))):
            return f"{shown:.{decimals}f}%"
    # beyond the last decimal shown: said, not rounded away
    if share > 0 and shown == 0:
        return "<0.001%"
    if share < 1 and shown == 100:
        return ">99.999%"
    return f">{limit * 100:g}%"


class KPIDef(BaseModel):
    """One catalogue entry."""

    model_config = ConfigDict(extra="forbid")
    label: str
    label_zh: str | None = None
    unit: str
    unit_zh: str | None = None
    format: str = "{:.2f}"
    direction: Literal["higher", "lower", "neutral"]
    perspective: Literal["financial", "customer", "internal_process", "learning_growth"]
    bounds: tuple[float | None, float | None] | None = None
    source: Literal["tickets", "table"] = "tickets"
    definition: str = ""
    definition_zh: str | None = None

    @field_validator("format")
    @classmethod
    def _fmt(cls, v):
        if v == "duration":
            return v
        try:
            v.format(0.5, unit="")
        except (ValueError, TypeError, KeyError, IndexError, AttributeError):
            # what str.format raises for a bad spec or field ({:d}, {0} {1}, {x}, {0.y})
            raise ValueError(f"not a Python format string for one number: {v!r} (the "
                             f"unit may be written {{unit}})") from None
        return v

    @model_validator(mode="after")
    def _bounds(self):
        if self.bounds and None not in self.bounds and self.bounds[0] >= self.bounds[1]:
            raise ValueError(f"bounds {list(self.bounds)}: lower must be below upper")
        if self.format == "duration" and self.unit not in _STORED_SECONDS:
            raise ValueError(f"format: duration needs unit hours or minutes, not {self.unit!r}")
        return self

    # ------------------------------------------------------------ words
    def label_text(self, language: str = "en") -> str:
        """The KPI's name in ``language`` (``label_zh`` in Chinese, when given)."""
        return (self.label_zh or self.label) if language == "zh" else self.label

    def definition_text(self, language: str = "en") -> str:
        """The KPI's definition in ``language`` (``definition_zh`` in Chinese, when given)."""
        return (self.definition_zh or self.definition) if language == "zh" else self.definition

    def direction_text(self, language: str = "en") -> str:
        """Which way is better, in words: ``lower is better`` / ``越低越好``."""
        from .i18n import msg
        return msg(f"units.direction.{self.direction}", language)

    def unit_text(self, language: str = "en") -> str:
        """The KPI's own unit in words (``unit_zh`` in Chinese, when given; else
        the messages' word for it, else as written)."""
        if language == "zh" and self.unit_zh:
            return self.unit_zh
        return Unit(self.unit).word(language)

    # ------------------------------------------------------------ units
    @property
    def is_duration(self) -> bool:
        return self.format == "duration"

    def display_unit(self, values=()) -> Unit:
        """The unit to show this KPI in, for a series of its ``values``: for a
        duration, the unit that reads best for the typical (median absolute)
        value (under 90 s in seconds, under 90 min in minutes, under 48 h in
        hours, else in days), chosen once so a table or an axis shows every
        value in the same unit; for any other KPI its own unit (scale 1)."""
        if not self.is_duration:
            return Unit(self.unit)
        import numpy as np
        x = np.abs(np.asarray(values, dtype=float).ravel())
        x = x[np.isfinite(x)]
        return self._duration_unit(float(np.median(x)) if len(x) else math.nan)

    def _duration_unit(self, value: float) -> Unit:
        """The unit that reads best for one stored duration (hours for none)."""
        per = _STORED_SECONDS[self.unit]
        if not math.isfinite(value):
            return Unit("h", per / 3600)
        seconds = abs(value) * per
        code, length = next((c, n) for c, n, upto in DURATION_UNITS if seconds < upto)
        return Unit(code, per / length)

    def axis_label(self, language: str = "en", unit: Unit | None = None) -> str:
        """The KPI's name with the unit its axis shows: ``First response time
        (min)`` / ``首次响应时间（分钟）``; a share in ``(%)``."""
        from .i18n import msg
        return msg("units.axis", language, label=self.label_text(language),
                   unit=self.unit_words(language, unit))

    def unit_words(self, language: str = "en", unit: Unit | None = None) -> str:
        """The unit values are shown in, in words: a duration's ``unit`` (``min``
        / ``分钟``; hours without one), any other KPI's own (:meth:`unit_text`)."""
        if self.is_duration:
            return (unit or self.display_unit()).word(language)
        return self.unit_text(language)

    # ------------------------------------------------------------ numbers
    def fmt(self, value, *, unit: Unit | None = None, language: str = "en",
            against=None) -> str:
        """Format a value with the KPI's number format ('–' for missing).

        A duration is shown in ``unit`` (``3.6 min`` / ``3.6 分钟``); without
        one, in the unit that reads best for this value alone: 40 s, 12.5 min,
        5.2 h, 3.1 d.  ``{unit}`` in a format is the KPI's unit in words.  A
        value that rounds to zero has no sign.  With ``unit`` (the team's
        unit: a value may be far below it), a non-zero duration that would
        read 0 gets more digits (1.7 min in hours: ``0.028 h``, not ``0.0 h``).
        With ``against`` (a target), the value as :meth:`fmt_pair` shows it.
        """
        if against is not None:
            return self.fmt_pair(value, against, unit=unit, language=language)[0]
        return self._shown(value, unit=unit, language=language)

    def _shown(self, value, *, unit: Unit | None = None, language: str = "en",
             extra: int = 0) -> str:
        """:meth:`fmt` with ``extra`` more decimals than the KPI's format gives."""
        try:
            if value is None or value != value:
                return "–"
            value = float(value)
        except (TypeError, ValueError):
            return str(value)
        from .i18n import msg
        if self.is_duration:
            given = unit is not None
            unit = unit or self._duration_unit(value)
            shown = _fixed(value * unit.scale, (0 if unit.code == "s" else 1) + extra,
                           keep=given)
            return msg("units.value", language, value=shown, unit=unit.word(language))
        spec = _more_digits(self.format, extra) if extra else self.format
        try:
            return _unsigned_zero(spec.format(value, unit=self.unit_text(language)))
        except (TypeError, ValueError):
            return str(value)

    def fmt_nonzero(self, value, *, unit: Unit | None = None, language: str = "en") -> str:
        """:meth:`fmt`, with up to :data:`MORE_DIGITS` more decimals for a value that
        is not zero but would read 0: an average of counts (0.42 tickets a month reads
        0.4, not 0, which says there were none)."""
        text = self.fmt(value, unit=unit, language=language)
        try:
            value = float(value)
        except (TypeError, ValueError):
            return text
        extra = 0
        while (value and math.isfinite(value) and extra < MORE_DIGITS
               and not _digits(text)):
            extra += 1
            text = self._shown(value, unit=unit, language=language, extra=extra)
        return text

    def fmt_pair(self, value, target, *, unit: Unit | None = None,
                 language: str = "en") -> tuple[str, str]:
        """A value and its target, formatted (:meth:`fmt`) so that a value on the
        wrong side of the target never reads as the target: when they read
        alike, both get more decimals (up to :data:`MORE_DIGITS`) until they
        differ (CSAT 0.921875 against 0.9221: ``92.19%`` and ``92.21%``, not
        ``92.2%`` twice).  A value that meets its target, or a neutral KPI's,
        is formatted as usual."""
        shown = (self._shown(value, unit=unit, language=language),
                 self._shown(target, unit=unit, language=language))
        try:
            v, t = float(value), float(target)
        except (TypeError, ValueError):
            return shown
        if not (math.isfinite(v) and math.isfinite(t)) or not self.better(t, v):
            return shown
        for extra in range(1, MORE_DIGITS + 1):
            if shown[0] != shown[1]:
                break
            shown = (self._shown(v, unit=unit, language=language, extra=extra),
                     self._shown(t, unit=unit, language=language, extra=extra))
        return shown

    def fmt_change(self, delta, *, unit: Unit | None = None, language: str = "en") -> str:
        """Format a difference of two values, signed: shares in percentage points
        (``+1.5 pp`` / ``+1.5 个百分点``), durations in ``unit`` as :meth:`fmt`.
        A change that rounds to zero has no sign; with ``unit``, a non-zero
        change that would read 0 gets more digits, as in :meth:`fmt`
        (``+0.04 pp``, ``+0.028 h``)."""
        if delta is None or delta != delta:
            return "–"
        from .i18n import msg
        if self.unit == "share":
            return msg("units.pp", language,
                       value=_fixed(delta * 100, 1, sign="+", keep=unit is not None))
        text = self.fmt(delta, unit=unit, language=language)
        if text.startswith(("+", "-", "−")) or not _digits(text):
            return text
        return "+" + text if delta > 0 else text

    @property
    def sign(self) -> int:
        """+1 when higher is better, -1 when lower is better, 0 for neutral KPIs.

        Multiplying a difference by ``sign`` makes positive mean "better"."""
        return {"higher": 1, "lower": -1}.get(self.direction, 0)

    def better(self, a: float, b: float) -> bool:
        """True when ``a`` is strictly better than ``b`` for this KPI."""
        if self.direction == "higher":
            return a > b
        if self.direction == "lower":
            return a < b
        return False


def perspective_label(code: str, language: str = "en") -> str:
    """A balanced-scorecard perspective in words: ``customer`` -> ``customer`` /
    ``客户``; ``internal_process`` -> ``internal process`` / ``内部流程``."""
    from .i18n import msg
    if code not in PERSPECTIVES:
        raise InvalidArgument(f"perspective {code!r} is not one of {', '.join(PERSPECTIVES)}")
    return msg(f"units.perspective.{code}", language)


class Catalogue(BaseModel):
    """KPI name -> :class:`KPIDef`, in report order."""

    model_config = ConfigDict(extra="forbid")
    kpis: dict[str, KPIDef]

    def __contains__(self, name) -> bool:
        return name in self.kpis

    def __getitem__(self, name) -> KPIDef:
        try:
            return self.kpis[name]
        except KeyError:
            raise InvalidArgument(f"KPI {name!r} is not in the catalogue") from None

    def __iter__(self):
        return iter(self.kpis)

    def names(self) -> list[str]:
        return list(self.kpis)

    def label(self, name: str, language: str = "en") -> str:
        """The KPI's name in ``language``; an unknown KPI by its name."""
        d = self.kpis.get(name)
        return name if d is None else d.label_text(language)

    def table(self):
        """The catalogue as a DataFrame (one row per KPI)."""
        import pandas as pd
        return pd.DataFrame([{"kpi": k, **d.model_dump()} for k, d in self.kpis.items()])


def load_catalogue(path) -> Catalogue:
    """Load and validate a catalogue YAML; errors name the file and the key."""
    path = Path(path)
    if not path.is_file():
        raise ConfigError("catalogue file not found", source=str(path))
    from .readers import read_yaml
    data = read_yaml(path)
    if not isinstance(data, dict) or not isinstance(data.get("kpis"), dict):
        raise ConfigError([Problem(str(path), "kpis", "expected a mapping 'kpis:' of KPI "
                                   "name -> definition")], source=str(path))
    try:
        return Catalogue.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(pydantic_problems(exc, str(path)), source=str(path)) from None


def default_catalogue() -> Catalogue:
    """The project's catalogue (``params/catalogue.yaml``)."""
    from .config import CATALOGUE
    return load_catalogue(CATALOGUE)


def resolve(catalogue) -> Catalogue:
    """A Catalogue from a Catalogue, a path, or None (the project's catalogue)."""
    if catalogue is None:
        return default_catalogue()
    if isinstance(catalogue, Catalogue):
        return catalogue
    return load_catalogue(catalogue)
