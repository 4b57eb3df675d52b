"""Quantified assessment: score each KPI, weight, total, grade.

The seed documents' method: choose indicators, weight them (by expert
judgement -- AHP here), score each with a rule, sum, and grade the total.

Scoring rules (per KPI, direction-aware; ``rules={kpi: {...}}``):

``{"rule": "progress"}`` (default)
    Progress from the target's baseline to the target: 0 at the baseline,
    100 at the target, a straight line between; clipped at 0 below (a team
    that went backwards scores 0, like one that stood still) and at ``cap``
    (default 100) above.  The target must lie on the KPI's better side of
    the baseline (a baseline equal to the target, or a target worse than
    it, is a :class:`ConfigError`: there is no progress to measure).
    ``{"rule": "progress", "stretch": x, "cap": 120}`` adds a stretch band:
    100 at the target rising linearly to ``cap`` at the stretch value ``x``,
    which must lie beyond the target (and ``cap`` above 100).
``{"rule": "attainment"}``
    100 x current / target (target / current for a lower-is-better KPI),
    capped at ``cap`` (default 100).  Meant for volume-type KPIs, whose zero
    is a natural origin and whose ratio to the target is itself the measure
    (contacts handled, self-service volume, training hours).  It is not the
    default: targets usually sit 5-10% from the baseline, so a team that
    stays at its baseline would score 90-95 (grade A) for no progress.
``{"rule": "linear", "floor": x}``
    0 at the floor value, 100 at the target, straight line between; capped
    at 0 below and at ``cap`` (default 100) above.
``{"rule": "bands", "bands": [[threshold, score], ...]}``
    The score of the best threshold reached (>= for higher-is-better KPIs,
    <= for lower-is-better); 0 when none is reached.

Weights: the targets' ``weight`` column by default (a targets file whose
``weight`` column is absent, or blank for every target of a team, gives
that team equal weights: see :func:`servicekpi.load_targets`); a
``{kpi: weight}`` dict; or :func:`ahp_weights` from a pairwise-comparison
matrix.  Weights are normalised within each team.  A targeted KPI without
a weight (not in the dict given, or a blank weight in a frame), a negative
weight, or a team whose weights are all zero is a :class:`ConfigError`
naming the team and the KPIs: a composite of nothing is not a score.  A
single KPI may weigh 0: it is shown and scored but adds nothing.

The value scored is the gap table's (:func:`servicekpi.gaps.gap_table`;
the report's own when ``gaps`` is given, else one computed with the glide
rule and the same default ``min_n``), so the scorecard and the gap table
judge the same period: while the deadline is ahead, the ``current`` value;
once the deadline has passed, the value *in the deadline period*
(``deadline_value``), the one that decided met or missed.  Before the
deadline a value better than the target scores 100 even when the target
is off track (a seasonal low now, a miss forecast at the deadline): the
status stands beside the score (``target_status``) and the cap below
keeps the grade honest.  A target the
gap table calls ``insufficient_data`` (no value, or too few observations)
is not scored: it lowers ``coverage`` (the share of the weight that was
scored), is listed in ``missing`` and its ``reason`` is ``insufficient_data``
(:func:`unscored_reason` gives the gap table's why in words).
The total is the weighted mean over the scored KPIs.  A team with nothing
scored has no score (NaN in the tables, ``None``/null in JSON, "–" on a
page) and no grade.

Grade cap.  The composite is a weighted mean, so a team can reach a good
grade while important targets are failing.  When the targets whose status
(from ``gaps``: the forecast status of :func:`servicekpi.gaps.gap_table`)
is ``off_track`` or ``missed`` together carry at least ``heavy_weight``
(default 0.25: a quarter of the team's normalised weight, which one
target alone reaches in a team with four or fewer equally weighted
targets) of the weight scored (the weight the composite rests on: a
target with insufficient data neither counts for it nor dilutes it, so a
team whose only target with data is off track is capped), the cap applies: the team's grade and its
fuzzy grade are both at most ``cap_grade`` (default C).  Whether the cap
applies is decided from the statuses and weights alone (``cap``; the
targets that count are marked ``caps`` in the scores), not from the grade;
``capped`` says whether the cap lowered the crisp grade.  The composite
score itself is not changed (the contributions still add up to it times the coverage);
``grade_uncapped`` keeps the grade the score alone gives.
:func:`cap_reason` names the targets and their combined weight, e.g.
"First-contact resolution (weight 20%, off track); Average resolution time
(weight 15%, missed): together 35% of the weight".

Grades are codes (``A`` .. ``D``, or the names of the ``bands`` given); the
words a reader sees come from the message catalogue (``grade.A``), as do
the rule's sentences (:func:`rule_text`).

Fuzzy evaluation (:func:`fuzzy_evaluation`) looks at how the scores spread
over the grades, so its grade can differ from the crisp one (two targets
at 100 and one at 3 weigh towards A, while their mean, 67.7, is a C).  It
is capped by the same rule; where the two grades still differ, the report
says why (which targets the memberships lean on, and the weighted score).
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from .catalogue import PERSPECTIVES, Catalogue, resolve
from .errors import ConfigError, InvalidArgument, Problem
from .gaps import gap_table
from .status import BAD, Status

#: Grade bands, (code, minimum score), best first; words: ``grade.<code>``.
DEFAULT_BANDS = (("A", 90.0), ("B", 75.0), ("C", 60.0), ("D", 0.0))
#: The default scoring rule (see the module docstring).
DEFAULT_RULE = {"rule": "progress"}
#: Targets off track or missed carrying together at least this share of their
#: team's weight cap the team's grade (see the module docstring).
HEAVY_WEIGHT = 0.25
#: Statuses of a target that count towards the cap (:data:`servicekpi.status.BAD`).
CAP_STATUSES = tuple(str(s) for s in BAD)
#: The best grade a team can get while the cap applies.
CAP_GRADE = "C"
#: Saaty's random consistency index for n = 1..15.
RANDOM_INDEX = (0.0, 0.0, 0.58, 0.90, 1.12, 1.24, 1.32, 1.41, 1.45, 1.49, 1.51, 1.48, 1.56,
                1.57, 1.59)
SOURCE = "scoring rules"


# ------------------------------------------------------------------ scoring rules
def _finite(x) -> bool:
    try:
        return x is not None and bool(np.isfinite(float(x)))
    except (TypeError, ValueError):
        return False


def _check_progress(target: float, sign: int, rule: dict, baseline, where: str) -> int:
    """Validate a progress rule for one target; return its better direction (+1/-1)."""
    if not _finite(baseline):
        raise ConfigError(f"{where}the progress rule needs a baseline (got {baseline})",
                          source=SOURCE)
    b, t = float(baseline), float(target)
    if t == b:
        raise ConfigError(f"{where}the baseline equals the target ({t:g}): no progress to "
                          "score", source=SOURCE)
    direction = sign if sign else int(np.sign(t - b))
    if direction * (t - b) < 0:
        better = "higher" if direction > 0 else "lower"
        raise ConfigError(f"{where}the target {t:g} is worse than the baseline {b:g} "
                          f"({better} is better): no progress to score; score a limit "
                          "with the attainment or bands rule", source=SOURCE)
    if "stretch" in rule:
        s = rule["stretch"]
        if not _finite(s) or direction * (float(s) - t) <= 0:
            raise ConfigError(f"{where}stretch {s} must lie beyond the target {t:g}",
                              source=SOURCE)
        if float(rule.get("cap", 100.0)) <= 100:
            raise ConfigError(f"{where}a stretch needs a cap above 100 (the score at the "
                              "stretch value), e.g. {'rule': 'progress', 'stretch': ..., "
                              "'cap': 120}", source=SOURCE)
    return direction


def score_value(value: float, target: float, sign: int, *, rule: dict | None = None,
                baseline: float | None = None, name: str | None = None) -> float:
    """Score one KPI value (0-100, or above 100 when the rule's cap allows).

    Parameters
    ----------
    value, target, baseline : float
        The current value, the target and the target's baseline (the
        progress rule needs the baseline; the other rules ignore it).
    sign : int
        +1 when higher is better, -1 when lower is better
        (:attr:`KPIDefinition.sign`).
    rule : dict, optional
        See the module docstring; default ``{"rule": "progress"}``.
    name : str, optional
        Names the target in error messages (e.g. ``"team 'phone', fcr_rate"``).

    Returns NaN for a missing value.  Raises :class:`ConfigError` for a rule
    that cannot score this target (checked before the value is looked at).
    """
    rule = dict(rule or DEFAULT_RULE)
    kind = rule.get("rule", "progress")
    cap = float(rule.get("cap", 100.0))
    where = f"{name}: " if name else ""
    if kind == "progress":
        _check_progress(target, sign, rule, baseline, where)
    elif kind == "linear":
        floor = float(rule["floor"])
        if sign * (target - floor) <= 0:
            raise ConfigError(f"{where}linear rule: floor {floor} must be worse than the "
                              f"target {target}", source=SOURCE)
    elif kind not in ("attainment", "bands"):
        raise ConfigError(f"{where}unknown scoring rule {kind!r}: expected progress, "
                          "attainment, linear or bands", source=SOURCE)
    if value is None or not np.isfinite(value):
        return np.nan
    if kind == "progress":
        b, t = float(baseline), float(target)
        progress = 100.0 * (value - b) / (t - b)   # direction-aware: t - b points to better
        if "stretch" not in rule or progress <= 100.0:
            return float(min(max(progress, 0.0), cap))
        beyond = (value - t) / (float(rule["stretch"]) - t)
        return float(min(100.0 + (cap - 100.0) * beyond, cap))
    if kind == "attainment":
        if value <= 0 or target <= 0:
            if sign < 0 and value <= 0 <= target:   # nothing left at all: best possible
                return cap
            return np.nan
        ratio = value / target if sign > 0 else target / value
        return float(min(max(100.0 * ratio, 0.0), cap))
    if kind == "linear":
        s = 100.0 * (value - floor) / (target - floor)
        return float(min(max(s, 0.0), cap))
    best = 0.0
    for threshold, score in rule["bands"]:
        if sign * (value - float(threshold)) >= 0:
            best = max(best, float(score))
    return best


# ------------------------------------------------------------------ AHP
@dataclass(frozen=True)
class AHPResult:
    weights: pd.Series          # kpi -> weight, summing to 1
    lambda_max: float
    consistency_index: float
    consistency_ratio: float


def ahp_weights(matrix, labels=None, *, max_cr: float = 0.1) -> AHPResult:
    """Weights from an expert pairwise-comparison matrix (AHP).

    ``matrix[i][j]`` says how much more important item i is than item j on
    Saaty's 1-9 scale; the matrix must be positive and reciprocal
    (``a[j][i] = 1 / a[i][j]``).  Weights are the principal eigenvector,
    normalised to sum to 1.  The consistency ratio CR = CI / RI with
    CI = (lambda_max - n) / (n - 1); a CR above ``max_cr`` (0.1, Saaty's
    threshold) raises :class:`ConfigError`: the judgements contradict each
    other too much to be used.
    """
    if isinstance(matrix, pd.DataFrame):
        labels = list(matrix.index) if labels is None else labels
        matrix = matrix.to_numpy(dtype=float)
    a = np.asarray(matrix, dtype=float)
    n = a.shape[0] if a.ndim == 2 else 0
    problems = []
    if a.ndim != 2 or a.shape[0] != a.shape[1] or n == 0:
        raise ConfigError("AHP matrix must be square", source="AHP")
    labels = list(labels) if labels is not None else [f"item {i + 1}" for i in range(n)]
    if len(labels) != n:
        raise ConfigError(f"{len(labels)} labels for a {n}x{n} matrix", source="AHP")
    if not np.all(np.isfinite(a)) or np.any(a <= 0):
        problems.append(Problem("AHP", None, "every entry must be a positive number"))
    elif not np.allclose(a * a.T, 1.0, rtol=1e-3):
        i, j = np.argwhere(~np.isclose(a * a.T, 1.0, rtol=1e-3))[0]
        problems.append(Problem("AHP", f"{labels[i]} / {labels[j]}",
                                f"not reciprocal: a[i][j] = {a[i, j]:g} but a[j][i] = "
                                f"{a[j, i]:g} (expected {1 / a[i, j]:g})"))
    if problems:
        raise ConfigError(problems, source="AHP")
    vals, vecs = np.linalg.eig(a)
    k = int(np.argmax(vals.real))
    w = np.abs(vecs[:, k].real)
    w = w / w.sum()
    lam = float(vals[k].real)
    ci = (lam - n) / (n - 1) if n > 2 else 0.0
    ri = RANDOM_INDEX[min(n, len(RANDOM_INDEX)) - 1]
    cr = ci / ri if ri > 0 else 0.0
    if cr > max_cr:
        raise ConfigError(f"pairwise comparisons are inconsistent: consistency ratio "
                          f"{cr:.3f} > {max_cr} (lambda_max {lam:.3f}, n {n}); revise the "
                          "judgements", source="AHP")
    return AHPResult(pd.Series(w, index=labels, name="weight"), lam, ci, cr)


# ------------------------------------------------------------------ grades
def _names(bands) -> list[str]:
    """Grade names, best first."""
    return [b[0] for b in sorted(bands, key=lambda b: -float(b[1]))]


def _check_bands(bands, cap_grade=None) -> None:
    names = [b[0] for b in bands]
    lows = sorted(float(b[1]) for b in bands)
    problems = []
    if len(bands) < 2 or len(set(names)) != len(names) or len(set(lows)) != len(lows):
        problems.append("grade bands need two or more grades with distinct names and "
                        f"distinct minimum scores (got {list(bands)})")
    elif lows[-1] >= 100:
        problems.append(f"the best grade's minimum score must be below 100 (got {lows[-1]:g})")
    if cap_grade is not None and cap_grade not in names:
        problems.append(f"cap_grade {cap_grade!r} is not one of the grades {names}")
    if problems:
        raise ConfigError([Problem("grade bands", None, p) for p in problems],
                          source="grade bands")


def grade(score: float, *, bands=DEFAULT_BANDS) -> str | None:
    """Grade code of a total score by bands ``[(name, minimum), ...]`` (best first).

    A score at a band's minimum gets that band's grade (60.0 is C, 59.99 is
    D).  None for a missing score.  The grade in words: :func:`servicekpi.i18n.grade_words`.
    """
    if score is None or not np.isfinite(score):
        return None
    # to 7 decimals, as a score is shown (catalogue.fmt_score): 1.35 / 1.5 * 100 is
    # 89.99999999999999 in floats, shown 90.0, and an A
    score = round(float(score), 7)
    for name, low in sorted(bands, key=lambda b: -b[1]):
        if score >= low:
            return name
    return sorted(bands, key=lambda b: b[1])[0][0]


def _edges(bands) -> np.ndarray:
    """Band edges worst first: each grade's minimum, then 100."""
    return np.array(sorted(float(b[1]) for b in bands) + [100.0])


def _membership(score: float, edges: np.ndarray) -> np.ndarray:
    """Memberships (worst grade first) of one score; see :func:`memberships`."""
    k = len(edges) - 1
    s = min(max(score, edges[0]), edges[-1])
    i = min(int(np.searchsorted(edges, s, side="right")) - 1, k - 1)
    u = i + (s - edges[i]) / (edges[i + 1] - edges[i])       # band coordinate, 0..k
    u = min(max(u, 0.5), k - 0.5)                             # flat beyond the outer centres
    return np.clip(1.0 - np.abs(u - (np.arange(k) + 0.5)), 0.0, 1.0)


def memberships(score: float, *, bands=DEFAULT_BANDS) -> pd.Series:
    """A score's membership in each grade (best first), summing to 1.

    The membership functions are triangles in *band coordinates*: the
    score's position ``u`` on a scale where band ``i`` (worst first) runs
    from ``i`` to ``i + 1`` (D 0-1 for scores 0-60, C 1-2 for 60-75, B 2-3
    for 75-90, A 3-4 for 90-100).  Grade ``i`` has membership
    ``max(0, 1 - |u - (i + 0.5)|)``: 1 at its band's centre (30, 67.5,
    82.5, 95), 0.5 at its band's edges, where the neighbouring grade's
    membership is 0.5 too, and 0 at the neighbours' centres; below the
    worst centre the worst grade has 1, above the best centre the best.
    So the grade with the largest membership is the crisp grade: adjacent
    grades cross exactly at the cut-offs 60/75/90, where the tie goes to
    the better grade, as ``score >= minimum`` does in :func:`grade`.
    """
    _check_bands(bands)
    m = _membership(float(score), _edges(bands))
    return pd.Series(m[::-1], index=_names(bands), name="membership")


#: Memberships this close to the largest tie with it (:func:`tied`).
TIE = 1e-12


def tied(memberships) -> np.ndarray:
    """Which memberships share the largest (within :data:`TIE`): more than one is
    a tie, which the better grade takes (:func:`fuzzy_evaluation`)."""
    m = np.asarray(memberships, dtype=float)
    return m >= m.max() - TIE


def _best(m: np.ndarray, names_worst_first: list[str]) -> str:
    """The grade of the largest membership; a tie goes to the better grade."""
    top = np.flatnonzero(tied(m))
    return names_worst_first[int(top[-1])]


def fuzzy_evaluation(scores: pd.DataFrame, *, bands=DEFAULT_BANDS,
                     totals: pd.DataFrame | None = None) -> pd.DataFrame:
    """Fuzzy comprehensive evaluation of each team's KPI scores.

    Each KPI score gets a membership in every grade (:func:`memberships`:
    triangles peaking at each band's centre and crossing at the cut-offs,
    so one score's fuzzy and crisp grades always agree).  A team's
    evaluation vector is the weighted mean of its KPIs' memberships
    (weights normalised over the scored KPIs: the M(., +) operator); its
    grade is the one with the largest membership (a tie goes to the better
    grade).  This can differ from the crisp grade of the composite: it
    looks at how the scores spread over the grades, not only their mean
    (two targets at 100 and one at 3 lean to A; their mean, 67.7, is a C).

    ``scores`` is :attr:`Scorecard.scores` (columns team, score, weight).
    With ``totals`` (:attr:`Scorecard.totals`) the grade cap applies to the
    fuzzy grade exactly as to the crisp one: a team whose ``cap`` is set
    (targets off track or missed carrying ``heavy_weight`` or more of its
    weight) gets at most that grade, whatever its crisp grade.
    Returns one row per team with a scored KPI: a membership column per
    grade code (best first), ``grade`` (capped), ``grade_uncapped`` (codes),
    ``lean_targets`` (how many scored targets score in the uncapped fuzzy
    grade's band), ``lean_weight`` (their share of the scored weight) and
    ``scored_targets``: what the report cites when the fuzzy grade differs
    from the crisp one.
    """
    _check_bands(bands)
    edges = _edges(bands)
    worst_first = sorted(bands, key=lambda b: b[1])
    names = [b[0] for b in worst_first]
    caps = {}
    if totals is not None and len(totals) and "cap" in totals:
        for team, cap in zip(totals["team"], totals["cap"]):
            if isinstance(cap, str) and cap:
                caps[team] = cap
    rows = []
    for team, g in scores.dropna(subset=["score"]).groupby("team", sort=True):
        w = g["weight"].to_numpy(float)
        if not np.isfinite(w).all() or w.sum() <= 0:
            continue
        r = np.vstack([_membership(float(s), edges) for s in g["score"]])
        b = (w / w.sum()) @ r
        uncapped = _best(b, names)
        final = uncapped
        if team in caps and names.index(caps[team]) < names.index(uncapped):
            final = caps[team]
        own = np.array([grade(float(s), bands=bands) == uncapped for s in g["score"]])
        rows.append({"team": team, **{n: float(x) for n, x in zip(names, b)},
                     "grade": final, "grade_uncapped": uncapped,
                     "lean_targets": int(own.sum()),
                     "lean_weight": float(w[own].sum() / w.sum()),
                     "scored_targets": len(g)})
    cols = (["team"] + names[::-1]
            + ["grade", "grade_uncapped", "lean_targets", "lean_weight", "scored_targets"])
    return pd.DataFrame(rows, columns=cols)


def rule_numbers(*, bands=DEFAULT_BANDS, heavy_weight: float = HEAVY_WEIGHT,
                 cap_grade: str | None = CAP_GRADE) -> dict:
    """The grading rule's numbers, from the constants (never typed into a text):
    ``bands`` (``[(grade, minimum), ...]`` best first, the worst one's minimum
    left out: it is "below"), ``worst`` (the worst grade), ``best``,
    ``heavy`` (the off-track weight share that caps the grade, 0.25) and
    ``cap`` (the grade it caps at, or None).  :func:`rule_text` puts them in
    words."""
    order = sorted(bands, key=lambda b: -float(b[1]))
    return {"bands": [(n, float(low)) for n, low in order[:-1]], "worst": order[-1][0],
            "best": order[0][0], "heavy": float(heavy_weight), "cap": cap_grade}


def rule_text(language: str = "en", *, bands=DEFAULT_BANDS,
              heavy_weight: float = HEAVY_WEIGHT, cap_grade: str | None = CAP_GRADE
              ) -> dict[str, str]:
    """:func:`rule_numbers` in words, for a sentence: ``bands`` ("A >= 90, B >=
    75, C >= 60, D below" in English), ``heavy`` ("25%"), ``cap`` ("C"; "–"
    without a cap) and ``best`` (the best grade).  Grades in words from the
    catalogue (:func:`servicekpi.i18n.grade_words`: a grade of custom
    ``bands`` other than A-D is shown as its code); the sentences from
    ``analysis.scorecard.*``."""
    from .i18n import grade_words, msg
    r = rule_numbers(bands=bands, heavy_weight=heavy_weight, cap_grade=cap_grade)
    parts = msg("analysis.scorecard.band_separator", language).join(
        msg("analysis.scorecard.band", language, grade=grade_words(n, language),
            low=f"{low:g}")
        for n, low in r["bands"])
    return {"bands": msg("analysis.scorecard.bands", language, bands=parts,
                         worst=grade_words(r["worst"], language)),
            "heavy": f"{r['heavy']:.0%}", "cap": grade_words(r["cap"], language),
            "best": grade_words(r["best"], language)}


# ------------------------------------------------------------------ the scorecard
@dataclass
class Scorecard:
    """Per-KPI scores and per-team totals."""

    scores: pd.DataFrame        # team, kpi, baseline, value, target, rule, score, weight, ...
    totals: pd.DataFrame        # team, score, grade, grade_uncapped, capped_by, cap_checked, ...
    weights_source: str
    #: team -> the problems that left it unscored (``bad_rows="drop"``).
    team_errors: dict = field(default_factory=dict)


SCORE_COLUMNS = ["team", "kpi", "label", "perspective", "period", "value_period", "baseline",
                 "value", "target", "rule", "score", "weight", "contribution", "status",
                 "reason", "target_status", "caps"]
TOTAL_COLUMNS = ["team", "score", "grade", "grade_uncapped", "capped", "cap", "off_weight",
                 "cap_checked", "coverage", "missing", "kpis", *PERSPECTIVES, "problems"]
#: Gap-table columns a given ``gaps`` table overrides (those it has).
GAP_COLUMNS = ("period", "current", "current_period", "deadline_value", "status")
#: The codes of the scores' ``reason`` (why a target is not scored; "" when
#: it is): words ``analysis.scorecard.reason.<code>``, see :func:`unscored_reason`.
REASONS = ("no_value", "not_scorable", "insufficient_data")


def scorecard(kpis: pd.DataFrame, targets: pd.DataFrame, *, rules: dict | None = None,
              weights=None, period=None, catalogue: Catalogue | None = None,
              bands=DEFAULT_BANDS, gaps: pd.DataFrame | None = None,
              heavy_weight: float = HEAVY_WEIGHT, cap_grade: str | None = CAP_GRADE,
              bad_rows: str = "raise") -> Scorecard:
    """Score every targeted KPI of every team, total and grade them.

    Parameters
    ----------
    kpis : DataFrame
        Long KPI table.
    targets : DataFrame or None
        From :func:`servicekpi.load_targets`: which KPIs each team is
        assessed on, their targets and baselines, and default weights.
        None or empty: no team is scored (both tables empty, with their
        columns).
    rules : dict, optional
        ``{kpi: rule}`` (see the module docstring); default progress from
        the baseline (0) to the target (100).
    weights : dict, Series or AHPResult, optional
        ``{kpi: weight}`` for every team (every targeted KPI needs one);
        default: the targets' weights.
    period : period, optional
        The period scored (default: the latest with data).  The value
        scored is the gap table's: ``current`` (the latest assessable value
        at or before it) while the deadline is ahead, ``deadline_value``
        once it has passed; none for a target with ``insufficient_data``.
    bands : sequence of (grade, minimum score)
        Default A >= 90, B >= 75, C >= 60, D below.
    gaps : DataFrame, optional
        The report's gap table (:func:`servicekpi.gaps.gap_table`, forecast
        rule).  For the targets in it, its ``current``, ``deadline_value``
        and ``status`` (those of its columns present) decide the value
        scored and whether it is scored; its statuses decide the grade cap.
        Only the teams in it are checked for the cap (``cap_checked``).
        Targets not in it (all of them without ``gaps``) use a gap table
        computed here, for them only, with the glide rule and the default
        ``min_n`` (same values and ``insufficient_data``; no cap).
    heavy_weight : float
        The cap applies when the targets off track or missed carry together
        at least this share of the team's normalised weight (default 0.25).
    cap_grade : str or None
        The best grade (crisp and fuzzy) while the cap applies (default C);
        None: no cap.
    bad_rows : {"raise", "drop"}
        The bad-rows switch of a table shared by teams (as in
        :func:`servicekpi.load_targets`): a target that cannot be scored
        (no or zero weights, a progress rule without progress to measure)
        raises one :class:`ConfigError` listing every problem, or, with
        ``"drop"``, leaves its team unscored (``problems`` in its totals row,
        the problems per team in :attr:`Scorecard.team_errors`) and scores
        the others.

    Returns
    -------
    Scorecard
        ``scores``: one row per team and KPI with ``baseline``, ``value``
        (the value scored; kept when the target is not scored for
        insufficient data, to be shown) and ``value_period`` (its period),
        ``target``, ``rule``, ``score``, ``weight`` (normalised within the team),
        ``contribution`` (weight x score: the rows of a team sum to its
        total when coverage is complete), ``status`` (``scored`` or
        ``missing``), ``reason`` (why not scored, a code of :data:`REASONS`;
        "" when scored; words: :func:`unscored_reason`), ``target_status``
        (from ``gaps``; None when not checked) and ``caps`` (the target
        counts towards a cap that applies).
        ``totals``: per team ``score`` (the weighted progress, never
        capped), ``grade`` (capped), ``grade_uncapped`` (grade codes),
        ``capped`` (the cap lowered the crisp grade), ``cap`` (the grade cap
        in force, or None; :func:`cap_reason` names the targets behind it),
        ``off_weight`` (the share of the weight scored that is off track or missed; NaN
        when not checked), ``cap_checked``, ``coverage``, ``missing``,
        ``kpis``, one column per perspective, and ``problems`` ("" when
        scored).

    Raises
    ------
    ConfigError
        Scoring rules, weights or bands that cannot score the targets.
    InvalidArgument
        ``bad_rows`` not "raise" or "drop".
    """
    cat = resolve(catalogue)
    rules = rules or {}
    unknown = [k for k in rules if k not in cat]
    if unknown:
        raise ConfigError(f"scoring rules for KPIs not in the catalogue: {unknown}",
                          source=SOURCE)
    _check_bands(bands, cap_grade)
    if not 0 < heavy_weight <= 1:
        raise ConfigError(f"heavy_weight must be in (0, 1], got {heavy_weight}", source=SOURCE)
    if bad_rows not in ("raise", "drop"):
        raise InvalidArgument(f"bad_rows must be 'raise' or 'drop', not {bad_rows!r}")
    if weights is not None and hasattr(weights, "weights"):
        weights, source = weights.weights, "AHP"
    else:
        source = "given" if weights is not None else "targets"
    if weights is not None:
        weights = pd.Series(weights, dtype=float)
    statuses = {}
    checked_teams = set()
    if gaps is not None and len(gaps):
        statuses = {(t, k): s for t, k, s in zip(gaps["team"], gaps["kpi"], gaps["status"])}
        checked_teams = set(gaps["team"])
    problems = _check_targets(targets, rules, weights, cat)
    if problems and bad_rows == "raise":
        raise ConfigError([p for ps in problems.values() for p in ps], source=SOURCE)
    if targets is not None and problems:
        targets = targets[~targets["team"].isin(list(problems))]
    table = _assessed(kpis, targets, period, cat, gaps)
    rows = []
    for g in table.itertuples(index=False):
        d = cat[g.kpi]
        w = weights.get(g.kpi, np.nan) if weights is not None else g.weight
        rule = rules.get(g.kpi, DEFAULT_RULE)
        passed = _finite(g.deadline_value)
        value = (float(g.deadline_value) if passed else
                 float(g.current) if _finite(g.current) else np.nan)
        sc = score_value(value, g.target, d.sign, rule=rule, baseline=g.baseline)  # checked
        reason = "" if np.isfinite(sc) else "no_value" if not np.isfinite(value) \
            else "not_scorable"
        if g.status == Status.INSUFFICIENT_DATA:      # shown, not scored, as in the gap table
            sc = np.nan
            reason = "insufficient_data"
        rows.append({"team": g.team, "kpi": g.kpi, "label": d.label,
                     "perspective": d.perspective, "period": g.period,
                     "value_period": (pd.Period(g.deadline) if passed else g.current_period)
                     if np.isfinite(value) else None,
                     "baseline": g.baseline, "value": value, "target": g.target,
                     "rule": rule.get("rule", "progress"), "score": sc,
                     "raw_weight": float(w), "status": "scored" if np.isfinite(sc) else "missing",
                     "reason": reason,
                     "target_status": statuses.get((g.team, g.kpi))})
    scores = pd.DataFrame(rows, columns=[c for c in SCORE_COLUMNS
                                         if c not in ("weight", "contribution", "caps")]
                          + ["raw_weight"])
    scores = scores.copy()
    scores["weight"] = scores["raw_weight"] / scores.groupby("team")["raw_weight"].transform("sum")
    scores["contribution"] = scores["weight"] * scores["score"]
    scores["caps"] = False
    order = _names(bands)
    totals = []
    for team, g in scores.groupby("team", sort=True):
        total, coverage = _weighted(g)
        uncapped = grade(total, bands=bands)
        checked = team in checked_teams
        off = g[g["target_status"].isin(CAP_STATUSES) & (g["weight"] > 0)]
        # over the weight the score rests on (the targets scored, and any off track
        # or missed): a team whose only target with data is off track is capped, as
        # much as one whose every target is
        based = g[(g["status"] == "scored") | g.index.isin(off.index)]["weight"].sum()
        off_weight = (float(off["weight"].sum() / based) if based > 0 else 0.0) \
            if checked else np.nan
        cap = None
        if checked and cap_grade is not None and len(off) \
                and off_weight >= heavy_weight - 1e-9:
            cap = cap_grade
            scores.loc[off.index, "caps"] = True
        final = uncapped
        if cap is not None and uncapped is not None and order.index(uncapped) < order.index(cap):
            final = cap
        row = {"team": team, "score": total, "grade": final, "grade_uncapped": uncapped,
               "capped": final != uncapped, "cap": cap, "off_weight": off_weight,
               "cap_checked": checked, "coverage": coverage,
               "missing": ", ".join(g.loc[g["status"] == "missing", "kpi"]),
               "kpis": len(g), "problems": ""}
        for p in PERSPECTIVES:
            row[p] = _weighted(g[g["perspective"] == p])[0]
        totals.append(row)
    for team, ps in sorted(problems.items()):
        totals.append({"team": team, "score": np.nan, "grade": None, "grade_uncapped": None,
                       "capped": False, "cap": None, "off_weight": np.nan,
                       "cap_checked": team in checked_teams,
                       "coverage": np.nan, "missing": "", "kpis": 0,
                       **{p: np.nan for p in PERSPECTIVES},
                       "problems": "; ".join(p.message for p in ps)})
    scores = scores.drop(columns="raw_weight")[SCORE_COLUMNS].reset_index(drop=True)
    scores["caps"] = scores["caps"].astype(bool)
    totals = pd.DataFrame(totals, columns=TOTAL_COLUMNS)
    totals["capped"] = totals["capped"].astype(bool)
    for col in ("grade", "grade_uncapped", "cap"):      # no grade: None, never NaN
        totals[col] = pd.Series([g if isinstance(g, str) else None for g in totals[col]],
                                index=totals.index, dtype=object)
    return Scorecard(scores, totals, source, problems)


def _assessed(kpis, targets, period, cat, gaps: pd.DataFrame | None) -> pd.DataFrame:
    """The targets (one row each, in their order; ``weight`` 1 without the
    column) with the columns of :data:`GAP_COLUMNS`: those of ``gaps`` for
    the targets in it, those of a glide-rule gap table computed for the
    others only (none when ``gaps`` has every target and every column)."""
    if targets is None or not len(targets):
        return gap_table(kpis, None, rule="glide")
    table = targets.reset_index(drop=True)
    table = table.assign(weight=table["weight"] if "weight" in table else 1.0,
                         **{col: pd.Series([None] * len(table), dtype=object)
                            for col in GAP_COLUMNS})
    given = (gaps.drop_duplicates(["team", "kpi"]).set_index(["team", "kpi"])
             if gaps is not None and len(gaps) else None)
    there = (pd.MultiIndex.from_frame(table[["team", "kpi"]]).isin(given.index)
             if given is not None else np.zeros(len(table), bool))
    # a target gaps lack, or a column they lack: the glide rule's
    glide = ~there if given is not None and all(c in given for c in GAP_COLUMNS) \
        else np.ones(len(table), bool)
    if glide.any():
        computed = gap_table(kpis, targets.iloc[np.flatnonzero(glide)], period=period,
                             catalogue=cat, rule="glide")
        for col in GAP_COLUMNS:
            column = np.array(table[col], dtype=object)
            column[glide] = computed[col].to_numpy(dtype=object)
            table[col] = column
    if there.any():
        key = pd.MultiIndex.from_frame(table.loc[there, ["team", "kpi"]])
        for col in GAP_COLUMNS:
            if col in given:
                column = np.array(table[col], dtype=object)
                column[there] = given[col].reindex(key).to_numpy(dtype=object)
                table[col] = column
    return table


def cap_reason(scores: pd.DataFrame, team: str, language: str = "en", *,
               catalogue: Catalogue | None = None) -> str:
    """The targets that cap ``team``'s grade (the scores marked ``caps``), and
    their combined share of the weight scored, in words: "Average resolution
    time (weight 40%, off track)"; "" when no cap applies.  Weights read as
    shares do (:func:`weight_share`); with targets unscored the share of the
    weight scored follows ("together 100% of the weight scored").  ``scores``
    is :attr:`Scorecard.scores`."""
    from .i18n import msg
    cat = resolve(catalogue)
    mine = scores[scores["team"] == team]
    off = mine[mine["caps"].astype(bool)]
    text = msg("analysis.scorecard.cap_separator", language).join(
        msg("analysis.scorecard.cap_target", language, kpi=cat.label(r.kpi, language),
            weight=weight_share(r.weight), status=Status(r.target_status).label(language))
        for r in off.itertuples(index=False))
    based = mine.loc[(mine["status"] == "scored") | mine["caps"].astype(bool), "weight"].sum()
    if len(off) and based < 1 - 1e-9:
        text += msg("analysis.scorecard.cap_of_scored", language,
                    weight=weight_share(off["weight"].sum() / based))
    elif len(off) > 1:
        text += msg("analysis.scorecard.cap_together", language,
                    weight=weight_share(off["weight"].sum()))
    return text


def weight_share(share: float) -> str:
    """A share of a team's weight as pages show it: a whole percent rounded
    down (as scores are, :func:`servicekpi.catalogue.fmt_score`), so that it compares with
    the cap's share (:data:`HEAVY_WEIGHT`, 25%) as the share itself does: 0.249
    reads 24%, not 25% beside a grade the cap did not lower.  Missing: '–'.
    (:func:`servicekpi.report.common.done_share` for a share that may be
    negative, progress.)"""
    from .catalogue import _floored
    return _floored(share, 0, scale=100, suffix="%")


def unscored_reason(row, language: str = "en", *, gaps: pd.DataFrame | None = None) -> str:
    """Why a target of the scores (a row of :attr:`Scorecard.scores`) is not
    scored, in words; "" when it is.  For ``insufficient_data``, the gap
    table's why (:func:`servicekpi.gaps.why`) when ``gaps`` (a gap table
    with the target) is given."""
    from .i18n import msg
    get = row.get if hasattr(row, "get") else lambda k, d=None: getattr(row, k, d)
    code = get("reason", "")
    if not code:
        return ""
    if code not in REASONS:
        raise InvalidArgument(f"unknown scorecard reason {code!r}; expected one of "
                              f"{', '.join(REASONS)}")
    if code == "insufficient_data" and gaps is not None and "rule" in gaps and len(gaps):
        from .gaps import why
        mine = gaps[(gaps["team"] == get("team")) & (gaps["kpi"] == get("kpi"))]
        if len(mine) and isinstance(mine["rule"].iloc[0], str):
            return why(mine.iloc[:1], language).iloc[0]
    return msg(f"analysis.scorecard.reason.{code}", language, kpi=get("kpi"))


def _check_targets(targets, rules: dict, weights, cat) -> dict:
    """team -> the problems that keep it from being scored: a rule that cannot
    score a target, a missing or negative weight, all weights zero."""
    problems: dict = {}
    if targets is None or len(targets) == 0:
        return problems

    def add(team, message):
        problems.setdefault(team, []).append(Problem(SOURCE, "weight", f"team {team!r}: "
                                                     f"{message}"))

    for t in targets.itertuples(index=False):
        try:
            score_value(np.nan, t.target, cat[t.kpi].sign, rule=rules.get(t.kpi, DEFAULT_RULE),
                        baseline=t.baseline, name=f"team {t.team!r}, {t.kpi}")
        except ConfigError as exc:
            problems.setdefault(t.team, []).extend(exc.problems)
    where = "in the weights given" if weights is not None else "in the targets"
    for team, g in targets.groupby("team", sort=False):
        if weights is not None:
            raw = pd.Series([weights.get(k, np.nan) for k in g["kpi"]], dtype=float)
        else:
            raw = pd.to_numeric(g["weight"], errors="coerce") if "weight" in g \
                else pd.Series(1.0, index=g.index)
        raw, kpis = raw.to_numpy(float), g["kpi"].to_numpy()
        bad = ~np.isfinite(raw)
        if bad.any():
            add(team, f"no weight for {', '.join(kpis[bad])} {where}: every targeted KPI "
                "needs a weight")
        if (raw[~bad] < 0).any():
            add(team, f"negative weight for {', '.join(kpis[~bad & (raw < 0)])}: weights "
                "must be >= 0")
        elif not bad.any() and raw.sum() == 0:
            add(team, f"the weights of all its targeted KPIs ({', '.join(kpis)}) are zero: "
                "no composite score can be formed; give at least one a positive weight")
    return problems


def ranked(totals: pd.DataFrame, *, bands=DEFAULT_BANDS) -> pd.DataFrame:
    """Scorecard totals ordered best first: by grade (the capped one), then by score.

    A capped team therefore ranks below every team with a better grade,
    whatever its score.  Adds ``rank`` (1 = best; equal grade and score share
    a rank; <NA> for a team without a score, listed last).
    """
    local = {n: i for i, n in enumerate(_names(bands))}
    t = totals.copy()
    t["_grade"] = [local.get(g, len(local)) if isinstance(g, str) else len(local)
                   for g in t["grade"]]
    t["_score"] = -pd.to_numeric(t["score"], errors="coerce")
    t = t.sort_values(["_grade", "_score", "team"], na_position="last", kind="stable")
    key = list(zip(t["_grade"], t["_score"]))
    ranks, last = [], None
    for i, (k, s) in enumerate(zip(key, t["score"])):
        if not _finite(s):
            ranks.append(pd.NA)
            continue
        if k != last:
            rank, last = i + 1, k
        ranks.append(rank)
    t.insert(0, "rank", pd.array(ranks, dtype="Int64"))
    return t.drop(columns=["_grade", "_score"]).reset_index(drop=True)


def _weighted(g: pd.DataFrame) -> tuple[float, float]:
    """(weighted mean score over scored rows, share of weight scored)."""
    if g.empty or g["weight"].sum() == 0:
        return np.nan, np.nan
    ok = g["score"].notna()
    w = g.loc[ok, "weight"]
    coverage = float(w.sum() / g["weight"].sum())
    if w.sum() == 0:
        return np.nan, coverage
    return float((w * g.loc[ok, "score"]).sum() / w.sum()), coverage
