"""Quantified assessment: score each KPI, weight, total, grade.

The seed documents' method: choose indicators, weight them (by expert
judgement -- AHP here), score each with a rule, sum, and grade the total.

Scoring rules (per KPI, direction-aware; ``rules={kpi: {...}}``):

``{"rule": "attainment"}`` (default)
    100 x attainment: current / target, or target / current for a
    lower-is-better KPI.  Capped at ``cap`` (default 100; e.g. 120 allows a
    bonus for beating the target).
``{"rule": "linear", "floor": x}``
    0 at the floor value, 100 at the target, straight line between; capped
    at 0 below and at ``cap`` (default 100) above.
``{"rule": "bands", "bands": [[threshold, score], ...]}``
    The score of the best threshold reached (>= for higher-is-better KPIs,
    <= for lower-is-better); 0 when none is reached.

Weights: the targets' ``weight`` column by default; a ``{kpi: weight}``
dict; or :func:`ahp_weights` from a pairwise-comparison matrix.

A KPI without a current value is not scored: it lowers ``coverage`` (the
share of the weight that was scored) and is listed in ``missing``; the
total is the weighted mean over the scored KPIs.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from .catalogue import PERSPECTIVES, Catalogue, resolve
from .errors import ConfigError, Problem
from .gaps import gap_table

DEFAULT_BANDS = (("A", 90.0), ("B", 75.0), ("C", 60.0), ("D", 0.0))
ZH_GRADES = {"A": "优秀", "B": "良好", "C": "合格", "D": "不合格"}
#: Saaty's random consistency index for n = 1..15.
RANDOM_INDEX = (0.0, 0.0, 0.58, 0.90, 1.12, 1.24, 1.32, 1.41, 1.45, 1.49, 1.51, 1.48, 1.56,
                1.57, 1.59)


# ------------------------------------------------------------------ scoring rules
def score_value(value: float, target: float, sign: int, rule: dict | None = None,
                baseline: float | None = None) -> float:
    """Score one KPI value (0-100, or above 100 when the rule's cap allows)."""
    rule = dict(rule or {"rule": "attainment"})
    kind = rule.get("rule", "attainment")
    cap = float(rule.get("cap", 100.0))
    if value is None or not np.isfinite(value):
        return np.nan
    if kind == "attainment":
        if value <= 0 or target <= 0:
            if sign < 0 and value <= 0 <= target:   # nothing left at all: best possible
                return cap
            return np.nan
        ratio = value / target if sign > 0 else target / value
        return float(min(max(100.0 * ratio, 0.0), cap))
    if kind == "linear":
        floor = float(rule["floor"])
        if sign * (target - floor) <= 0:
            raise ConfigError(f"linear rule: floor {floor} must be worse than the target "
                              f"{target}", source="scoring rules")
        s = 100.0 * (value - floor) / (target - floor)
        return float(min(max(s, 0.0), cap))
    if kind == "bands":
        best = 0.0
        for threshold, score in rule["bands"]:
            if sign * (value - float(threshold)) >= 0:
                best = max(best, float(score))
        return best
    raise ConfigError(f"unknown scoring rule {kind!r}: expected attainment, linear or bands",
                      source="scoring rules")


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
def grade(score: float, bands=DEFAULT_BANDS, language: str = "en") -> str | None:
    """Grade of a total score by bands ``[(name, minimum), ...]`` (best first)."""
    if score is None or not np.isfinite(score):
        return None
    for name, low in sorted(bands, key=lambda b: -b[1]):
        if score >= low:
            return ZH_GRADES.get(name, name) if language == "zh" else name
    name = sorted(bands, key=lambda b: b[1])[0][0]
    return ZH_GRADES.get(name, name) if language == "zh" else name


def fuzzy_evaluation(scores: pd.DataFrame, bands=DEFAULT_BANDS, language: str = "en"
                     ) -> pd.DataFrame:
    """Fuzzy comprehensive evaluation of each team's KPI scores.

    Each KPI score gets a membership in every grade from triangular
    membership functions peaking at the middle of each grade's band (and
    flat beyond the outer peaks), so memberships sum to 1.  A team's
    evaluation vector is the weighted mean of its KPIs' memberships
    (weights normalised over the scored KPIs: the M(., +) operator); its
    grade is the one with the largest membership.

    ``scores`` is :attr:`Scorecard.scores` (columns team, score, weight).
    Returns one row per team: a membership column per grade, and ``grade``.
    """
    ordered = sorted(bands, key=lambda b: b[1])           # worst first
    lows = [b[1] for b in ordered] + [100.0]
    centres = np.array([(lows[i] + lows[i + 1]) / 2 for i in range(len(ordered))])
    names = [b[0] for b in ordered]

    def membership(s: float) -> np.ndarray:
        s = min(max(s, centres[0]), centres[-1])
        m = np.zeros(len(centres))
        j = int(np.searchsorted(centres, s, side="right")) - 1
        if j >= len(centres) - 1:
            m[-1] = 1.0
        else:
            f = (s - centres[j]) / (centres[j + 1] - centres[j])
            m[j], m[j + 1] = 1 - f, f
        return m

    rows = []
    for team, g in scores.dropna(subset=["score"]).groupby("team", sort=True):
        w = g["weight"].to_numpy(float)
        r = np.vstack([membership(s) for s in g["score"]])
        b = (w / w.sum()) @ r if w.sum() > 0 else r.mean(axis=0)
        best = names[int(np.argmax(b))]
        rows.append({"team": team, **{n: float(x) for n, x in zip(names, b)},
                     "grade": ZH_GRADES.get(best, best) if language == "zh" else best})
    cols = ["team"] + names[::-1] + ["grade"]
    return pd.DataFrame(rows)[cols] if rows else pd.DataFrame(columns=cols)


# ------------------------------------------------------------------ the scorecard
@dataclass
class Scorecard:
    """Per-KPI scores and per-team totals."""

    scores: pd.DataFrame        # team, kpi, perspective, value, target, rule, score, weight, contribution
    totals: pd.DataFrame        # team, score, grade, coverage, missing, <perspective> scores
    weights_source: str


def scorecard(kpis: pd.DataFrame, targets: pd.DataFrame, rules: dict | None = None,
              weights=None, period=None, *, catalogue: Catalogue | None = None,
              bands=DEFAULT_BANDS, language: str = "en") -> Scorecard:
    """Score every targeted KPI of every team and total them.

    Parameters
    ----------
    kpis : DataFrame
        Long KPI table.
    targets : DataFrame or None
        From :func:`servicekpi.load_targets`: which KPIs each team is
        assessed on, their targets (and baselines), and default weights.
        None or empty: no team is scored (both tables empty, with their
        columns).
    rules : dict, optional
        ``{kpi: rule}`` (see the module docstring); default attainment.
    weights : dict, Series or AHPResult, optional
        ``{kpi: weight}`` for every team; default: the targets' weights.
    period : period, optional
        The period scored (default: the latest with data).
    bands : sequence of (grade, minimum score)
        Default A >= 90, B >= 75, C >= 60, D below.
    language : "en" or "zh"
        Grade labels (zh: 优秀/良好/合格/不合格).

    Returns
    -------
    Scorecard
        ``scores``: one row per team and KPI with ``value``, ``target``,
        ``rule``, ``score``, ``weight`` (normalised within the team),
        ``contribution`` (weight x score: the rows of a team sum to its
        total when coverage is complete) and ``status`` (``scored`` or
        ``missing``).  ``totals``: per team ``score``, ``grade``,
        ``coverage``, ``missing`` and one column per perspective.
    """
    cat = resolve(catalogue)
    rules = rules or {}
    unknown = [k for k in rules if k not in cat]
    if unknown:
        raise ConfigError(f"scoring rules for KPIs not in the catalogue: {unknown}",
                          source="scoring rules")
    if weights is not None and hasattr(weights, "weights"):
        weights, source = weights.weights, "AHP"
    else:
        source = "given" if weights is not None else "targets"
    if weights is not None:
        weights = pd.Series(weights, dtype=float)
        if (weights < 0).any():
            raise ConfigError("weights must not be negative", source="weights")
    gaps = gap_table(kpis, targets, period, catalogue=cat, min_n=0)
    rows = []
    for g in gaps.itertuples(index=False):
        d = cat[g.kpi]
        w = (float(weights.get(g.kpi, 0.0)) if weights is not None
             else float(g.weight if pd.notna(g.weight) else 1.0))
        rule = rules.get(g.kpi, {"rule": "attainment"})
        value = g.current if pd.notna(g.current) else np.nan
        sc = score_value(value, g.target, d.sign, rule, g.baseline)
        rows.append({"team": g.team, "kpi": g.kpi, "label": d.label,
                     "perspective": d.perspective, "period": g.as_of,
                     "value_period": g.current_period, "value": value, "target": g.target,
                     "rule": rule.get("rule", "attainment"), "score": sc, "raw_weight": w,
                     "status": "scored" if np.isfinite(sc) else "missing"})
    scores = pd.DataFrame(rows, columns=["team", "kpi", "label", "perspective", "period",
                                         "value_period", "value", "target", "rule", "score",
                                         "raw_weight", "status"])
    totals = []
    if len(scores):
        scores["weight"] = scores["raw_weight"] / scores.groupby("team")["raw_weight"].transform("sum")
        scores["contribution"] = scores["weight"] * scores["score"]
        for team, g in scores.groupby("team", sort=True):
            total, coverage = _weighted(g)
            row = {"team": team, "score": total, "grade": grade(total, bands, language),
                   "coverage": coverage,
                   "missing": ", ".join(g.loc[g["status"] == "missing", "kpi"]),
                   "kpis": len(g)}
            for p in PERSPECTIVES:
                row[p] = _weighted(g[g["perspective"] == p])[0]
            totals.append(row)
    else:
        scores = scores.assign(weight=pd.Series(dtype=float),
                               contribution=pd.Series(dtype=float))
    scores = scores.drop(columns="raw_weight")
    totals = pd.DataFrame(totals, columns=["team", "score", "grade", "coverage", "missing",
                                           "kpis", *PERSPECTIVES])
    return Scorecard(scores, totals, source)


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
