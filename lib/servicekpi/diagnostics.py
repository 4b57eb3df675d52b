"""Diagnostics: is a change real, and what is behind it?

- :func:`control_chart`: statistical process control of a KPI series -- a
  p-chart (limits from each period's ``n``) for proportions, an XmR
  (individuals) chart for everything else -- with the special-cause rules
  each flagged point broke.
- :func:`compare_periods`: before/after with the right test -- two-proportion
  z-test for rates, Welch's t-test for means -- with the difference, its
  confidence interval and an effect size, in words.
- :func:`pareto`: the top causes of complaints (or reopens, or SLA misses)
  per team and period, with change against the previous period.
- :func:`decompose_change`: a KPI change between two periods split into mix
  (the segments' shares moved) and rate (the KPI moved within segments);
  the parts add up to the total exactly.
"""
from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats

from .catalogue import Catalogue, resolve
from .errors import DataError
from .kpis import compute_kpis, sla_outcome, _Cols, _as_datetime
from .periods import freq_of, label

#: The special-cause rules, in the order they are checked.
RULES = {
    "beyond_3_sigma": "a point beyond the 3-sigma limits",
    "8_on_one_side": "8 points in a row on one side of the centre line",
    "6_trending": "6 points in a row steadily rising or falling",
    "2_of_3_beyond_2_sigma": "2 of 3 points in a row beyond 2 sigma on the same side",
}


def _series(kpis: pd.DataFrame, team: str, kpi: str) -> pd.DataFrame:
    rows = kpis[(kpis["team"] == team) & (kpis["kpi"] == kpi) & kpis["value"].notna()]
    if rows.empty:
        raise DataError(f"no values of {kpi!r} for team {team!r}", source="KPI table")
    return rows.sort_values("period").reset_index(drop=True)


def control_chart(kpis: pd.DataFrame, team: str, kpi: str, *, kind: str | None = None,
                  baseline: int | None = None) -> pd.DataFrame:
    """Control-chart table of one team's KPI.

    Parameters
    ----------
    kpis : DataFrame
        Long KPI table.
    team, kpi : str
    kind : {"p", "xmr"}, optional
        Default: ``p`` when the KPI has numerators (a proportion), else ``xmr``.
    baseline : int, optional
        Compute the centre line and limits from the first ``baseline``
        periods only (default: all).

    Returns
    -------
    DataFrame, one row per period: ``period, value, n, centre, sigma,
    lcl, ucl`` (3-sigma limits; for a p-chart they vary with ``n`` and stay
    inside 0..1), ``z`` (distance from the centre in sigmas), ``signal``
    and ``rules`` (the rules broken, comma-separated; see :data:`RULES`).
    Rules: beyond 3 sigma; 8 in a row on one side; 6 in a row rising or
    falling; 2 of 3 in a row beyond 2 sigma on the same side.
    """
    s = _series(kpis, team, kpi)
    has_num = "numerator" in s and s["numerator"].notna().all() and (s["n"] > 0).all()
    kind = kind or ("p" if has_num else "xmr")
    base = s.head(baseline) if baseline else s
    x = s["value"].to_numpy(float)
    if kind == "p":
        if not has_num:
            raise DataError(f"{kpi!r} has no numerators: a p-chart needs counts",
                            source="KPI table")
        p = base["numerator"].sum() / base["n"].sum()
        sigma = np.sqrt(p * (1 - p) / s["n"].to_numpy(float))
        centre = np.full(len(s), p)
        lcl, ucl = np.clip(p - 3 * sigma, 0, 1), np.clip(p + 3 * sigma, 0, 1)
    elif kind == "xmr":
        xb = base["value"].to_numpy(float)
        mr = np.abs(np.diff(xb))
        if len(mr) == 0:
            raise DataError(f"an XmR chart of {kpi!r} needs at least 2 periods",
                            source="KPI table")
        sigma = np.full(len(s), mr.mean() / 1.128)    # d2 for moving ranges of 2
        centre = np.full(len(s), xb.mean())
        lcl, ucl = centre - 3 * sigma, centre + 3 * sigma
    else:
        raise ValueError("kind must be 'p' or 'xmr'")
    with np.errstate(divide="ignore", invalid="ignore"):
        z = np.where(sigma > 0, (x - centre) / sigma, 0.0)
    broken = special_causes(x, z)
    out = pd.DataFrame({"period": s["period"], "value": x, "n": s["n"], "centre": centre,
                        "sigma": sigma, "lcl": lcl, "ucl": ucl, "z": z})
    out["rules"] = [", ".join(r) for r in broken]
    out["signal"] = [bool(r) for r in broken]
    out.attrs.update(kind=kind, team=team, kpi=kpi)
    return out


def special_causes(x: np.ndarray, z: np.ndarray) -> list[list[str]]:
    """Rules broken at each point (a point is flagged when it completes a run)."""
    n = len(x)
    out: list[list[str]] = [[] for _ in range(n)]
    for i in range(n):
        if abs(z[i]) > 3:
            out[i].append("beyond_3_sigma")
        if i >= 7:
            w = z[i - 7:i + 1]
            if (w > 0).all() or (w < 0).all():
                out[i].append("8_on_one_side")
        if i >= 5:
            d = np.diff(x[i - 5:i + 1])
            if (d > 0).all() or (d < 0).all():
                out[i].append("6_trending")
        if i >= 2:
            w = z[i - 2:i + 1]
            if ((w > 2).sum() >= 2 and z[i] > 2) or ((w < -2).sum() >= 2 and z[i] < -2):
                out[i].append("2_of_3_beyond_2_sigma")
    return out


def _amount(d, v: float, *, signed: bool = False) -> str:
    """A change in words: shares in points ("3.1 points"), else in the KPI's format.

    Unsigned (a size, the verb gives the direction) unless ``signed``."""
    if not signed:
        v = abs(v)
    if d is not None and d.unit == "share":
        return f"{v * 100:.1f}" + ("" if signed else " points")
    return d.fmt(v) if d is not None else f"{v:.3g}"


# ------------------------------------------------------------------ before / after
def _pool(rows: pd.DataFrame) -> dict:
    """Pool several periods: counts add; means combine with their spread."""
    n = rows["n"].to_numpy(float)
    total = n.sum()
    out = {"n": total, "value": np.nan, "numerator": np.nan, "sd": np.nan}
    if total <= 0:
        return out
    if rows["numerator"].notna().all():
        out["numerator"] = rows["numerator"].sum()
        out["value"] = out["numerator"] / total
        return out
    m = rows["value"].to_numpy(float)
    mean = (n * m).sum() / total
    out["value"] = mean
    sd = rows["sd"].to_numpy(float)
    if np.isfinite(sd).all() and total > 1:
        ss = ((n - 1) * sd ** 2).sum() + (n * (m - mean) ** 2).sum()
        out["sd"] = float(np.sqrt(ss / (total - 1)))
    return out


def compare_periods(kpis: pd.DataFrame, team: str, kpi: str, before, after, *,
                    catalogue: Catalogue | None = None, level: float = 0.95) -> dict:
    """Did ``kpi`` really change between ``before`` and ``after``?

    ``before``/``after`` are a period or a list of periods (pooled).  Rates
    (KPIs with numerators) get a two-proportion z-test (statsmodels) and a
    Newcombe interval for the difference, with Cohen's h; means (KPIs with
    ``sd``) Welch's t-test (scipy) and a Welch interval, with Cohen's d.
    Returns a dict: ``before``, ``after``, ``difference``, ``ci_low``,
    ``ci_high``, ``p_value``, ``test``, ``effect_size``, ``significant`` and
    ``sentence`` ("First-contact resolution rose 3.1 points (95% CI 1.2 to
    5.0), significant" or "... within noise").
    """
    from statsmodels.stats.proportion import (confint_proportions_2indep,
                                              proportions_ztest)

    cat = resolve(catalogue)
    rows = kpis[(kpis["team"] == team) & (kpis["kpi"] == kpi)]
    pick = lambda ps: rows[rows["period"].astype(str).isin(  # noqa: E731
        [str(p) for p in (ps if isinstance(ps, (list, tuple)) else [ps])])]
    a, b = _pool(pick(before)), _pool(pick(after))
    if not (a["n"] > 0 and b["n"] > 0):
        raise DataError(f"no data for {kpi!r} of team {team!r} in one of the periods",
                        source="KPI table")
    diff = b["value"] - a["value"]
    alpha = 1 - level
    if np.isfinite(a["numerator"]) and np.isfinite(b["numerator"]):
        with np.errstate(all="ignore"):   # all 0s or all 1s: no variance, no evidence
            _, pval = proportions_ztest([b["numerator"], a["numerator"]], [b["n"], a["n"]])
        lo, hi = confint_proportions_2indep(b["numerator"], b["n"], a["numerator"], a["n"],
                                            method="newcomb", compare="diff", alpha=alpha)
        effect = 2 * np.arcsin(np.sqrt(b["value"])) - 2 * np.arcsin(np.sqrt(a["value"]))
        test, effect_name = "two-proportion z-test", "Cohen's h"
    elif np.isfinite(a["sd"]) and np.isfinite(b["sd"]) and a["n"] > 1 and b["n"] > 1:
        with np.errstate(all="ignore"):
            t = stats.ttest_ind_from_stats(b["value"], b["sd"], b["n"], a["value"], a["sd"],
                                           a["n"], equal_var=False)
        pval = t.pvalue
        va, vb = a["sd"] ** 2 / a["n"], b["sd"] ** 2 / b["n"]
        se = np.sqrt(va + vb)
        dof = (va + vb) ** 2 / (va ** 2 / (a["n"] - 1) + vb ** 2 / (b["n"] - 1))
        half = stats.t.ppf(1 - alpha / 2, dof) * se
        lo, hi = diff - half, diff + half
        pooled = np.sqrt((a["sd"] ** 2 + b["sd"] ** 2) / 2)
        effect = diff / pooled if pooled > 0 else np.nan
        test, effect_name = "Welch t-test", "Cohen's d"
    else:
        raise DataError(f"{kpi!r} carries neither numerators nor standard deviations: "
                        "no test applies", source="KPI table")
    if not np.isfinite(pval):   # zero variance on both sides
        pval = 1.0 if diff == 0 else 0.0
    sig = bool(pval < alpha)
    d = cat.kpis.get(kpi)
    name = cat.label(kpi) if d else kpi
    verb = "rose" if diff > 0 else "fell" if diff < 0 else "did not change"
    better = ""
    if d is not None and d.sign and diff != 0:
        better = " (better)" if d.sign * diff > 0 else " (worse)"
    sentence = (f"{name} {verb} {_amount(d, diff)}{better} (95% CI "
                f"{_amount(d, lo, signed=True)} to {_amount(d, hi, signed=True)}), "
                + ("significant" if sig else "within noise")
                + f" ({test}, p = {pval:.3f})")
    return {"kpi": kpi, "before": a["value"], "after": b["value"], "n_before": a["n"],
            "n_after": b["n"], "difference": diff, "ci_low": float(lo), "ci_high": float(hi),
            "p_value": float(pval), "test": test, "effect_size": float(effect),
            "effect_measure": effect_name, "significant": sig, "sentence": sentence}


# ------------------------------------------------------------------ Pareto of causes
FLAGS = {"is_complaint": "complaints", "reopened": "reopened tickets",
         "sla_missed": "SLA misses"}


def _flag(tickets: pd.DataFrame, flag: str) -> np.ndarray:
    if flag == "sla_missed":
        created = _as_datetime(tickets["created_at"])
        as_of = tickets.attrs.get("as_of") or created.max()
        met = sla_outcome(_Cols(created, tickets, np.datetime64(pd.Timestamp(as_of), "ns")))
        return met == 0
    if flag not in tickets.columns:
        raise DataError(f"no column '{flag}' in the tickets", source="tickets")
    return tickets[flag].to_numpy(dtype=float, na_value=np.nan) == 1


def pareto(tickets: pd.DataFrame, *, team: str | None = None, period=None,
           by: str = "category", flag: str = "is_complaint", top: int = 3,
           freq: str = "month") -> pd.DataFrame:
    """The top causes of ``flag`` (complaints, reopens or SLA misses) by ``by``.

    Counts flagged tickets per ``by`` value in ``period`` (default: the
    latest period of the team's tickets), with ``share``, ``cumulative``
    share, ``top`` (the first ``top`` causes, and any tied with the last of
    them), and the change against the previous period (``previous``,
    ``change`` in tickets, ``share_change`` in share points).  Sorted by
    count, then name, so ties are listed in a stable order.
    """
    if flag not in FLAGS:
        raise ValueError(f"flag must be one of {', '.join(FLAGS)}")
    t = tickets if team is None else tickets[tickets["team"] == team]
    if by not in t.columns:
        raise DataError(f"no column '{by}' in the tickets", source="tickets")
    per = pd.PeriodIndex(t["created_at"].dt.to_period(freq_of(freq)))
    hit = _flag(t, flag)
    now = pd.Period(period, freq_of(freq)) if period is not None else per.max()
    cause = t[by].astype("string").fillna("(missing)").to_numpy()

    def counts(p):
        m = (per == p) & hit
        return pd.Series(cause[m]).value_counts()
    cur, prev = counts(now), counts(now - 1)
    names = sorted(set(cur.index) | set(prev.index))
    out = pd.DataFrame({by: names, "count": [int(cur.get(n, 0)) for n in names],
                        "previous": [int(prev.get(n, 0)) for n in names]})
    out = out[(out["count"] > 0) | (out["previous"] > 0)]
    out = out.sort_values(["count", by], ascending=[False, True]).reset_index(drop=True)
    total, total_prev = out["count"].sum(), out["previous"].sum()
    out["share"] = out["count"] / total if total else 0.0
    out["cumulative"] = out["share"].cumsum()
    prev_share = out["previous"] / total_prev if total_prev else 0.0
    out["change"] = out["count"] - out["previous"]
    out["share_change"] = out["share"] - prev_share
    cut = out["count"].iloc[top - 1] if len(out) >= top else 0
    out["top"] = (out.index < top) | ((out["count"] == cut) & (cut > 0))
    out.attrs.update(period=label(now), flag=flag, total=int(total),
                     previous_total=int(total_prev))
    return out


# ------------------------------------------------------------------ mix / rate
def decompose_change(tickets: pd.DataFrame, kpi: str, *, team: str, before, after,
                     by: str = "category", period: str = "month",
                     catalogue: Catalogue | None = None) -> dict:
    """Split the change of ``kpi`` between two periods into mix and rate effects.

    With segment weights w (each segment's share of the KPI's denominator)
    and segment values r, the KPI is sum(w * r).  The change splits into

    - mix  = sum((w_after - w_before) * (r_before + r_after) / 2)
    - rate = sum((r_after - r_before) * (w_before + w_after) / 2)

    which add up to the total change exactly.  A segment present in one
    period only contributes to mix (its rate is taken as unchanged).

    Returns a dict with ``before``, ``after``, ``total``, ``mix``, ``rate``,
    ``segments`` (a DataFrame of each segment's weights, values and
    contributions) and a ``sentence``.
    """
    cat = resolve(catalogue)
    # all teams' tickets: repeat contacts look across teams
    seg = compute_kpis(tickets, period, by=by, kpis=[kpi])
    seg = seg[(seg["kpi"] == kpi) & (seg["team"] == team)]
    b, a = pd.Period(before, freq_of(period)), pd.Period(after, freq_of(period))

    def side(p):
        rows = seg[(seg["period"] == p) & (seg["n"] > 0)].set_index(by)
        if rows.empty:
            raise DataError(f"no {kpi!r} data for team {team!r} in {label(p)}",
                            source="tickets")
        return rows["n"] / rows["n"].sum(), rows["value"]
    w1, r1 = side(b)
    w2, r2 = side(a)
    idx = sorted(set(w1.index) | set(w2.index))
    w1, w2 = w1.reindex(idx, fill_value=0.0), w2.reindex(idx, fill_value=0.0)
    r1, r2 = r1.reindex(idx), r2.reindex(idx)
    r1, r2 = r1.fillna(r2), r2.fillna(r1)
    mix = (w2 - w1) * (r1 + r2) / 2
    rate = (r2 - r1) * (w1 + w2) / 2
    v1, v2 = float((w1 * r1).sum()), float((w2 * r2).sum())
    segments = pd.DataFrame({by: idx, "weight_before": w1.to_numpy(), "weight_after": w2.to_numpy(),
                             "value_before": r1.to_numpy(), "value_after": r2.to_numpy(),
                             "mix": mix.to_numpy(), "rate": rate.to_numpy()})
    segments["total"] = segments["mix"] + segments["rate"]
    segments = segments.reindex(segments["total"].abs().sort_values(ascending=False).index)
    d = cat.kpis.get(kpi)
    f = lambda v: _amount(d, v)  # noqa: E731
    total = v2 - v1
    main_mix = segments.loc[segments["mix"].abs().idxmax(), by] if len(segments) else None
    verb = "rose" if total > 0 else "fell" if total < 0 else "did not change"
    sentence = (f"{cat.label(kpi)} {verb} {f(total)} from {label(b)} to {label(a)}: "
                f"{f(mix.sum())} {'up' if mix.sum() >= 0 else 'down'} from the mix of {by} "
                f"(largest shift: {main_mix}), {f(rate.sum())} "
                f"{'up' if rate.sum() >= 0 else 'down'} from the rate within each {by}.")
    return {"kpi": kpi, "team": team, "by": by, "before": v1, "after": v2, "total": total,
            "mix": float(mix.sum()), "rate": float(rate.sum()),
            "segments": segments.reset_index(drop=True), "sentence": sentence}
