"""Benchmark comparison: a team against external benchmarks and internal peers.

Every comparison is direction-aware.  Against a reference value (an industry
benchmark, the peer median, the best peer) a team is ``behind`` with a
``gap`` still to go, ``level``, or ``leading`` with a ``lead``: a team better
than the best benchmark is shown leading, never with a negative gap.

Only values that mean something are compared: a KPI that does not apply to
a team (abandonment without a queue: NaN, see :mod:`servicekpi.kpis`) is
n/a, neither ranked nor counted in the peers' median, and neither is a
team without the KPI, nor a duration of a period with too many tickets
still open (:func:`servicekpi.kpis.assessable`).  Such a duration is not
simply dropped from the comparison, which would rank the teams whose
period has closed among themselves: a KPI with a value left out in the
period compared is compared in the latest earlier period in which none is
(:func:`compared_periods`), the period shown beside it.

Nor is a value that rests on fewer than ``min_n`` observations (default
:data:`servicekpi.gaps.MIN_N`, the minimum a status asks): a team with one
CSAT answer is not the "best peer" at 100%, nor counted in the peers'
median, nor ranked.  The team's own such value is kept in its benchmark
table, compared with nothing (``position`` ``few``), as its target's status
is insufficient data.  A KPI table without ``n`` compares every value.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from .catalogue import Catalogue, resolve
from .errors import InvalidArgument, expect_frame
from .gaps import MIN_N
from .kpis import assessed_period, incomplete, too_few as _few, too_small

#: Order in which external benchmarks are listed (others follow, by name).
BENCHMARK_ORDER = ("industry_median", "industry_average", "top_quartile", "best_in_class")


def _period(kpis: pd.DataFrame, team: str | None, period) -> pd.Period:
    return assessed_period(kpis, period, team=team)


def compared_periods(kpis: pd.DataFrame, when, *, min_n: int = MIN_N) -> dict[str, pd.Period]:
    """The period each KPI of a KPI table is compared in: ``when``, unless some
    team's value of the KPI in ``when`` is left out (a duration with too many
    tickets still open, :func:`servicekpi.kpis.incomplete`); then the latest
    earlier period in which none of its values is left out and at least two
    teams have one: the latest period that has closed for every team compared.
    One rule for a team's benchmark table and the heatmap beside it, so both
    rank a KPI in the same period; a team without a value in that period is
    not ranked on it.  When no earlier period qualifies, ``when``, among the
    teams whose value there is kept.  A team with fewer than ``MIN_N`` tickets
    in ``when`` holds no KPI back: it is not compared there, closed or not.  ``kpis``: the table before
    :func:`~servicekpi.kpis.assessable`, with the teams compared only."""
    if not isinstance(when, pd.Period):
        when = _period(kpis, None, when)
    return _periods(kpis, incomplete(kpis), when, min_n)


def _periods(kpis: pd.DataFrame, gone: np.ndarray, when: pd.Period,
             min_n: int = MIN_N) -> dict[str, pd.Period]:
    """:func:`compared_periods`, given the rows left out (``gone``).  A value left
    out of a team too small to be compared in its period (fewer than ``min_n``
    tickets: one ticket, still open) holds no KPI back: closed, it would be left
    out all the same."""
    holds = gone & ~too_small(kpis, min_n)
    left_out = set(zip(kpis["kpi"].astype(str)[holds], kpis["period"][holds]))
    kept = kpis[~gone & kpis["value"].notna().to_numpy() & (kpis["period"] <= when).to_numpy()]
    out = {}
    for kpi, g in kept.groupby(kept["kpi"].astype(str), sort=False):
        if (kpi, when) not in left_out:
            out[kpi] = when
            continue
        counts = g.groupby("period", observed=True).size()
        closed = sorted((p for p, c in counts.items() if c >= 2 and (kpi, p) not in left_out),
                        reverse=True)
        out[kpi] = closed[0] if closed else when
    return out


def _compared(kpis: pd.DataFrame, team: str | None, period, min_n: int = MIN_N
              ) -> tuple[pd.DataFrame, dict[str, pd.Period], pd.Period]:
    """The assessable rows each KPI is compared on (:func:`compared_periods`),
    the periods, and the period compared (``period``, default: ``team``'s
    latest with data, or the table's)."""
    gone = incomplete(kpis)            # the rows assessable() drops, found once
    rows = kpis[~gone]
    when = _period(rows, team, period)
    at = _periods(kpis, gone, when, min_n)
    rows = rows[rows["value"].notna()]
    want = rows["kpi"].astype(str).map(at)          # each row's KPI's period, in one pass
    return rows[(rows["period"].astype(object) == want).to_numpy()], at, when


def _position(sign: int, value: float, ref: float) -> tuple[str, float, float]:
    """(position, gap >= 0, lead >= 0) of ``value`` against ``ref``."""
    ahead = sign * (value - ref)
    if not np.isfinite(ahead):
        return "n/a", np.nan, np.nan
    if np.isclose(ahead, 0.0, rtol=0, atol=1e-12 * max(1.0, abs(ref))):
        return "level", 0.0, 0.0
    return ("leading", 0.0, ahead) if ahead > 0 else ("behind", -ahead, 0.0)


def peer_stats(values: pd.Series, team: str, sign: int) -> dict:
    """Rank, percentile, quartile and z-score of ``team`` among ``values`` (team -> value).

    Rank 1 is best; ties share the best rank they cover (competition
    ranking: 1, 2, 2, 4).  The percentile is the share of the other teams the
    team is better than, counting ties as half (100 = better than all).
    Quartile 1 is the top quarter.  The z-score is (value - peer mean) /
    peer standard deviation over the other teams, signed so that positive is
    better.
    """
    return _standing(values.index.to_numpy(), values.to_numpy(dtype=float, na_value=np.nan),
                     team, sign)


def _standing(names: np.ndarray, values: np.ndarray, team: str, sign: int) -> dict:
    """:func:`peer_stats` of the teams ``names`` with ``values`` (NaN: no value)."""
    has = ~np.isnan(values)
    names, values = names[has], values[has]
    at = names == team
    if not at.any():
        return {}
    mine = values[at][0]
    others = values[~at]
    rank = int((sign * (values - mine) > 0).sum()) + 1
    out = {"peer_rank": rank, "peer_count": len(values)}
    if len(others):
        worse = (sign * (others - mine) < 0).sum()
        ties = (others == mine).sum()
        pct = 100.0 * (worse + 0.5 * ties) / len(others)
        out["peer_percentile"] = pct
        out["peer_quartile"] = 1 if pct >= 75 else 2 if pct >= 50 else 3 if pct >= 25 else 4
    if len(others) >= 2 and others.std(ddof=1) > 0:
        out["z_score"] = sign * (mine - others.mean()) / others.std(ddof=1)
    return out


def benchmark_table(kpis: pd.DataFrame, team: str, benchmarks: pd.DataFrame | None = None,
                    *, peers=None, period=None, catalogue: Catalogue | None = None,
                    min_n: int = MIN_N) -> pd.DataFrame:
    """Compare ``team`` per KPI with external benchmarks and with its peers.

    Parameters
    ----------
    kpis : DataFrame
        Long KPI table.
    team : str
    benchmarks : DataFrame, optional
        From :func:`servicekpi.load_benchmarks`.
    peers : list of str, optional
        Teams to compare with (default: every other team in ``kpis``).
    period : period, optional
        Default: the team's latest period with data.  A KPI with a value left
        out in it (a duration with too many tickets still open, for the team
        or a peer) is compared in the latest period closed for all
        (:func:`compared_periods`, as in :func:`peer_matrix`): its rows'
        ``period`` says which; the team is not ranked on it without a value
        there.
    catalogue : Catalogue, optional
        Directions and labels (default: the project's catalogue).
    min_n : int
        A value on fewer observations (``n``) is compared with nothing: a
        peer's is neither ranked nor a reference, the team's own is kept on
        one row with ``position`` ``few``, ``reference`` None.

    Returns
    -------
    DataFrame, one row per KPI and reference: ``kpi, label, direction,
    period, value, n, reference`` (``industry_median``, ``top_quartile``,
    ``best_in_class``, ..., ``peer_median``, ``best_peer``), ``kind``
    (external/peer), ``reference_value``, ``source``, ``published`` (the
    benchmark's publication date; the period compared for a peer reference),
    ``position`` (leading/level/behind; ``few``, see ``min_n``), ``gap`` and ``gap_pct`` (still to
    go, >= 0), ``lead`` and ``lead_pct`` (ahead, >= 0), and the team's peer
    standing on every row of its KPI: ``peer_rank``, ``peer_count``,
    ``peer_percentile``, ``peer_quartile``, ``z_score``.  Neutral KPIs
    (no better direction) are left out, and so are KPIs without a value for
    the team (n/a); peers without a value are neither ranked nor in the
    medians.
    """
    expect_frame(kpis, "kpis", "a KPI table from servicekpi.compute_kpis")
    expect_frame(benchmarks, "benchmarks", "a benchmarks table from "
                 "servicekpi.load_benchmarks (load the file with it first)")
    cat = resolve(catalogue)
    if peers is not None:
        peers = [peers] if isinstance(peers, str) else list(peers)     # a team, not letters
        unknown = sorted(set(peers) - set(kpis["team"].astype(str)))
        if unknown:
            raise InvalidArgument(f"peers not in the KPI table: {', '.join(unknown)} (its "
                                  f"teams: {', '.join(sorted(kpis['team'].astype(str).unique()))})")
        kpis = kpis[kpis["team"].isin(peers + [team])]
    now, _, _ = _compared(kpis, team, period, min_n)
    # each KPI's rows and benchmarks, found once (not by a scan of the table per KPI)
    by_kpi = dict(tuple(now.groupby("kpi", sort=False, observed=True)))
    listed = {}
    if benchmarks is not None and len(benchmarks):
        b = benchmarks.assign(order=[BENCHMARK_ORDER.index(x) if x in BENCHMARK_ORDER else 99
                                     for x in benchmarks["benchmark"]])
        b = b.sort_values(["order", "benchmark"], kind="stable")
        listed = {k: list(g.itertuples())
                  for k, g in b.groupby("kpi", sort=False, observed=True)}
    rows = []
    for kpi in cat:
        g = by_kpi.get(kpi)
        if g is None:
            continue
        names, values = g["team"].to_numpy(), g["value"].to_numpy(dtype=float)
        own = names == team
        if not own.any():
            continue
        d = cat[kpi]
        if d.sign == 0:
            continue
        mine = float(values[own][0])
        n = g["n"].to_numpy()[own][0]
        at = g["period"].iloc[0]            # when, or the latest period closed for all
        few = _few(g, min_n)
        base = {"kpi": kpi, "label": d.label, "direction": d.direction, "period": at,
                "value": mine, "n": n}
        if few[own][0]:     # too few observations to compare with anything
            rows.append({**base, "reference": None, "kind": None, "position": "few"})
            continue
        names, values, own = names[~few], values[~few], own[~few]
        base.update(_standing(names, values, team, d.sign))
        refs = [(r.benchmark, "external", r.value, r.source, r.published)
                for r in listed.get(kpi, [])]
        others, who = values[~own], names[~own]
        if len(others):
            best = int(others.argmax() if d.sign > 0 else others.argmin())   # the first best
            refs.append(("peer_median", "peer", float(np.median(others)),
                         f"{len(others)} other teams", at))
            refs.append(("best_peer", "peer", float(others[best]), str(who[best]), at))
        if not refs:  # nothing to compare with: keep the team's own value and standing
            rows.append({**base, "reference": None, "kind": None, "position": "n/a"})
        for name, kind, ref, source, published in refs:
            pos, gap, lead = _position(d.sign, mine, ref)
            scale = abs(ref) if ref else np.nan
            rows.append({**base, "reference": name, "kind": kind, "reference_value": ref,
                         "source": source, "published": published, "position": pos,
                         "gap": gap, "gap_pct": 100 * gap / scale,
                         "lead": lead, "lead_pct": 100 * lead / scale})
    cols = ["kpi", "label", "direction", "period", "value", "n", "reference", "kind",
            "reference_value", "source", "published", "position", "gap", "gap_pct", "lead",
            "lead_pct", "peer_rank", "peer_count", "peer_percentile", "peer_quartile",
            "z_score"]
    return pd.DataFrame(rows, columns=cols)


def peer_matrix(kpis: pd.DataFrame, *, period=None, catalogue: Catalogue | None = None,
                kpi_list: list[str] | None = None, min_n: int = MIN_N) -> pd.DataFrame:
    """Teams x KPIs of direction-aware percentile ranks (100 = best), for heatmaps.

    A team's percentile is the share of the other teams it is better than,
    ties counting half; a KPI's column is empty for a team without a value,
    or with one on fewer than ``min_n`` observations (not ranked).
    Neutral KPIs, and KPIs fewer than two teams report, are left out.  A KPI
    with a value left out in ``period`` (tickets still open) is ranked in the
    latest period closed for all (:func:`compared_periods`), named in
    ``attrs["periods"]`` ({kpi: Period}); ``attrs["period"]`` is ``period``.
    """
    cat = resolve(catalogue)
    now, at, when = _compared(kpis, None, period, min_n)
    now = now[~_few(now, min_n)]
    wide = now.pivot_table(index="team", columns="kpi", values="value", aggfunc="first",
                           observed=True)
    wanted = [k for k in (kpi_list or cat.names()) if k in wide.columns and k in cat
              and cat[k].sign != 0 and wide[k].notna().sum() >= 2]
    out = pd.DataFrame(index=wide.index)
    for k in wanted:
        col = wide[k].dropna() * cat[k].sign
        m = len(col)
        # average rank 1..m (m = best) -> share of others beaten, ties half
        out[k] = (col.rank(method="average") - 1) / (m - 1) * 100
    out.index = out.index.astype(str)
    out.attrs["period"] = str(when)
    # the KPIs compared in an earlier period (a value of theirs left out in `when`)
    out.attrs["periods"] = {k: p for k, p in at.items() if p != when and k in out.columns}
    return out


def nearest_peers(matrix: pd.DataFrame, team: str, rows: int) -> pd.DataFrame:
    """At most ``rows`` rows of a :func:`peer_matrix`: ``team`` and the teams
    ranked nearest to it, for a heatmap that stays readable among many teams.

    With ``rows`` or fewer teams the matrix is returned as it is.  Otherwise
    the teams are ranked by their mean percentile over the KPIs they have
    (best first; ties by name; a team without any value last) and the
    ``rows`` consecutive ranks centred on ``team`` are kept (shifted at either
    end), in rank order; a team not in the matrix (no value in its period)
    gets the ``rows`` best ranks.  ``attrs`` gains ``first`` and ``last``
    (1-based ranks shown), ``ranked`` (the number of teams ranked) and
    ``centred`` (whether the rows are centred on ``team``).
    """
    if rows < 1:
        raise ValueError(f"rows must be at least 1, got {rows}")
    if len(matrix) <= rows:
        return matrix
    ranking = pd.DataFrame({"mean": matrix.mean(axis=1).fillna(-np.inf).to_numpy(),
                            "name": matrix.index})
    order = pd.Index(ranking.sort_values(["mean", "name"], ascending=[False, True])["name"])
    centred = team in order
    first = min(max(order.get_loc(team) - rows // 2, 0), len(order) - rows) if centred else 0
    out = matrix.loc[order[first:first + rows]]
    out.attrs = {**matrix.attrs, "first": first + 1, "last": first + rows,
                 "ranked": len(order), "centred": centred}
    return out
