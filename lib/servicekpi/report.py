"""What a team report shows, computed here so the notebook stays thin.

``TeamReport.load(**parameters)`` loads and checks the inputs named by the
notebook's parameters (``None`` paths fall back to the demo data set) and
gives the report's tables as pandas Stylers and DataFrames.
"""
from __future__ import annotations

import html
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import numpy as np
import pandas as pd

from . import config
from .catalogue import Catalogue, load_catalogue
from .kpis import compute_kpis
from .params import ReportParams
from .periods import label
from .tables import load_benchmarks, load_kpi_table, load_targets, merge_kpis
from .tickets import data_quality, load_tickets

BETTER, WORSE = "#d9f0d3", "#f6d5d1"

_DEMO_DEFAULTS = {
    "tickets": config.DEMO_DIR / "tickets.parquet",
    "kpi_table": config.DEMO_DIR / "kpi_table.csv",
    "benchmarks": config.DEMO_DIR / "benchmarks.csv",
    "targets": config.DEMO_DIR / "targets.csv",
    "catalogue": config.CATALOGUE,
}


STATUS_STYLE = {"met": "background-color: #b7e1c1", "on_track": "background-color: #d9f0d3",
                "at_risk": "background-color: #ffe8a3", "off_track": "background-color: #f6c1bb",
                "insufficient_data": "background-color: #e0e0e0"}
STATUS_WORDS = {"met": "met", "on_track": "on track", "at_risk": "at risk",
                "off_track": "off track", "insufficient_data": "insufficient data"}


def _pct(v, digits=0) -> str:
    return "–" if v is None or not np.isfinite(v) else f"{100 * v:.{digits}f}%"


class _Analysis:
    """Gap, benchmark and scorecard views of a TeamReport (mixed in below)."""

    @property
    def as_of(self):
        return self.periods[-1] if self.periods else None

    @property
    def team_targets(self) -> pd.DataFrame:
        if self.targets is None:
            return pd.DataFrame(columns=["team", "kpi"])
        return self.targets[self.targets["team"] == self.params.team]

    def gaps(self) -> pd.DataFrame:
        """The team's gap table; status by the forecast rule (cached)."""
        if "gaps" not in self._cache:
            from .gaps import gap_table
            self._cache["gaps"] = gap_table(self.kpis, self.team_targets, self.as_of,
                                            catalogue=self.catalogue, rule="forecast")
        return self._cache["gaps"]

    def series(self, kpi: str) -> pd.Series:
        """The team's values of one KPI up to the report period, indexed by period."""
        k = self.kpis[(self.kpis["team"] == self.params.team) & (self.kpis["kpi"] == kpi)
                      & (self.kpis["period"] <= self.as_of) & self.kpis["value"].notna()]
        return pd.Series(k["value"].to_numpy(float), index=pd.PeriodIndex(k["period"]))

    def forecasts(self) -> dict:
        """kpi -> (forecast frame to the deadline, backtest MASE of 'auto'), cached."""
        if "forecasts" not in self._cache:
            from .forecast import backtest, forecast
            out = {}
            for t in self.team_targets.itertuples():
                d = self.catalogue[t.kpi]
                s = self.series(t.kpi)
                h = max(pd.Period(t.deadline).ordinal - self.as_of.ordinal, 3)
                f = forecast(s, h, bounds=d.bounds)
                bt = backtest(s, min(h, 6), methods=["auto"], origins=4, bounds=d.bounds,
                              n_paths=200)
                out[t.kpi] = (f, float(bt["MASE"].iloc[0]) if len(bt) else np.nan)
            self._cache["forecasts"] = out
        return self._cache["forecasts"]

    def outlook_table(self) -> pd.DataFrame:
        """Per target: forecast at the deadline, probability of meeting the target,
        when it is expected to be reached, model used and its backtest MASE."""
        g = self.gaps()
        fc = self.forecasts()
        rows = []
        for r in g.itertuples():
            d = self.catalogue[r.kpi]
            f, mase = fc.get(r.kpi, (pd.DataFrame(), np.nan))
            at = f.loc[pd.Period(r.deadline)] if pd.Period(r.deadline) in f.index else None
            met_now = r.status == "met"
            prob = 1.0 if met_now and not np.isfinite(getattr(r, "probability", np.nan)) \
                else getattr(r, "probability", np.nan)
            reached = getattr(r, "expected_reached", None)
            rows.append({
                "KPI": self.catalogue.label(r.kpi, self.params.language),
                "target": f"{d.fmt(r.target)} by {label(r.deadline)}",
                "forecast at deadline": "–" if at is None else d.fmt(at["mean"]),
                "80% interval": "–" if at is None else
                f"{d.fmt(at['lower_80'])} – {d.fmt(at['upper_80'])}",
                "P(meet target)": "met now" if met_now else _pct(prob),
                "expected reached": (label(r.current_period) if met_now else
                                     label(reached) if isinstance(reached, pd.Period)
                                     else "not within horizon"),
                "model": f.attrs.get("model") or f.attrs.get("status", "–"),
                "backtest MASE": "–" if not np.isfinite(mase) else f"{mase:.2f}",
            })
        return pd.DataFrame(rows)

    def status_summary(self) -> str:
        """One sentence per status, in words (Markdown)."""
        g = self.gaps()
        if g.empty:
            return "No targets are set for this team."
        parts = []
        for status in ("met", "on_track", "at_risk", "off_track", "insufficient_data"):
            sub = g[g["status"] == status]
            if len(sub):
                names = ", ".join(self.catalogue.label(k, self.params.language)
                                  for k in sub["kpi"])
                parts.append(f"**{len(sub)} {STATUS_WORDS[status]}**: {html.escape(names)}")
        return (f"{len(g)} targets assessed for {label(self.as_of)}. " + "; ".join(parts) + ".")

    def gap_styled(self):
        g = self.gaps()
        if g.empty:
            return g
        rows = []
        for r in g.itertuples():
            d = self.catalogue[r.kpi]
            ci = ("–" if not np.isfinite(r.ci_low) else
                  f"{d.fmt(r.ci_low)} – {d.fmt(r.ci_high)}")
            rows.append({
                "KPI": self.catalogue.label(r.kpi, self.params.language),
                "current": d.fmt(r.current), "95% CI": ci,
                "baseline": f"{d.fmt(r.baseline)} ({label(r.baseline_period)})",
                "target": f"{d.fmt(r.target)} by {label(r.deadline)}",
                "glide path now": d.fmt(r.glide_now),
                "gap to go": d.fmt_change(r.gap).lstrip("+") if np.isfinite(r.gap) else "–",
                "progress": _pct(r.progress), "attainment": _pct(r.attainment),
                "needed / period": d.fmt_change(r.needed_pace),
                "recent pace / period": d.fmt_change(r.recent_pace),
                "status": STATUS_WORDS[r.status], "why": r.status_rule,
            })
        out = pd.DataFrame(rows)
        colours = [STATUS_STYLE[s] for s in g["status"]]
        return (out.style.hide(axis="index")
                .apply(lambda _: colours, subset=["status"])
                .set_caption("Gap to target: 'gap to go' and paces are improvements (a fall "
                             "for lower-is-better KPIs); progress = share of the baseline-to-"
                             "target distance covered"))

    def achievability(self) -> pd.DataFrame:
        from .targets import achievability
        a = achievability(self.kpis, self.team_targets, catalogue=self.catalogue)
        if a.empty:
            return a
        out = pd.DataFrame({
            "KPI": [self.catalogue.label(k, self.params.language) for k in a["kpi"]],
            "required / period": [self.catalogue[k].fmt_change(v)
                                  for k, v in zip(a["kpi"], a["required_pace"])],
            "own trend / period": [self.catalogue[k].fmt_change(v)
                                   for k, v in zip(a["kpi"], a["own_pace"])],
            "own best / period": [self.catalogue[k].fmt_change(v)
                                  for k, v in zip(a["kpi"], a["own_best_pace"])],
            "best peer / period": [self.catalogue[k].fmt_change(v)
                                   for k, v in zip(a["kpi"], a["peer_best_pace"])],
            "verdict": a["verdict"],
        })
        return out

    def benchmarks_styled(self):
        from .benchmarking import benchmark_table
        t = benchmark_table(self.kpis, self.params.team, self.benchmarks, period=self.as_of,
                            catalogue=self.catalogue)
        if t.empty:
            return t
        rows, styles = [], []
        refs = ["industry_median", "top_quartile", "best_in_class", "peer_median", "best_peer"]
        for kpi, g in t.groupby("kpi", sort=False):
            d = self.catalogue[kpi]
            first = g.iloc[0]
            row = {"KPI": self.catalogue.label(kpi, self.params.language),
                   "value": d.fmt(first["value"])}
            style = {}
            by_ref = g.set_index("reference")
            for ref in refs:
                name = ref.replace("_", " ")
                if ref in by_ref.index:
                    r = by_ref.loc[ref]
                    row[name] = d.fmt(r["reference_value"])
                    style[name] = {"leading": BETTER, "level": BETTER, "behind": WORSE}.get(
                        r["position"], "")
                else:
                    row[name] = "–"
            rank = first["peer_rank"]
            row["rank"] = (f"{int(rank)} of {int(first['peer_count'])}"
                           if pd.notna(rank) else "–")
            row["percentile"] = (f"{first['peer_percentile']:.0f}"
                                 if pd.notna(first["peer_percentile"]) else "–")
            rows.append(row)
            styles.append(style)
        out = pd.DataFrame(rows)

        def colour(_):
            return pd.DataFrame([[("background-color: " + s[c]) if s.get(c) else ""
                                  for c in out.columns] for s in styles],
                                index=out.index, columns=out.columns)
        src = ""
        if self.benchmarks is not None and len(self.benchmarks):
            pairs = sorted({(s, pd.Timestamp(a).date().isoformat()) for s, a in
                            zip(self.benchmarks["source"], self.benchmarks["as_of"])})
            src = "; ".join(f"{html.escape(s)} ({a})" for s, a in pairs)
        return (out.style.hide(axis="index").apply(colour, axis=None)
                .set_caption(f"{label(self.as_of)}: green = the team is at or better than "
                             f"the reference, red = behind. External benchmarks: "
                             f"{src or 'none given'}. Peers: the other teams."))

    def peer_matrix(self) -> pd.DataFrame:
        from .benchmarking import peer_matrix
        return peer_matrix(self.kpis, self.as_of, catalogue=self.catalogue,
                           kpi_list=self.shown_kpis)

    def scorecard(self):
        from .scorecard import scorecard
        return scorecard(self.kpis, self.targets, period=self.as_of, catalogue=self.catalogue,
                         language=self.params.language)

    def scorecard_summary(self) -> str:
        sc = self.scorecard()
        t = sc.totals.set_index("team")
        if self.params.team not in t.index:
            return "No scorecard: the team has no targets."
        me = t.loc[self.params.team]
        ranked = t["score"].rank(ascending=False, method="min")
        rank = int(ranked[self.params.team]) if np.isfinite(me["score"]) else None
        text = (f"**Composite score {me['score']:.1f} — grade {me['grade']}** "
                f"(rank {rank} of {len(t)} teams; weights from the targets; scoring rule: "
                f"attainment, capped at 100). Coverage {_pct(me['coverage'])} of the weight")
        if me["missing"]:
            text += f"; not scored for lack of data: {html.escape(me['missing'])}"
        from .scorecard import fuzzy_evaluation
        fz = fuzzy_evaluation(sc.scores, language=self.params.language).set_index("team")
        if self.params.team in fz.index:
            f = fz.loc[self.params.team]
            members = ", ".join(f"{g} {f[g]:.2f}" for g in fz.columns if g != "grade")
            text += (f". Fuzzy comprehensive evaluation (memberships {members}): "
                     f"grade {f['grade']}")
        return text + "."

    def scorecard_table(self) -> pd.DataFrame:
        sc = self.scorecard()
        g = sc.scores[sc.scores["team"] == self.params.team]
        return pd.DataFrame({
            "KPI": [self.catalogue.label(k, self.params.language) for k in g["kpi"]],
            "perspective": [p.replace("_", " ") for p in g["perspective"]],
            "value": [self.catalogue[k].fmt(v) for k, v in zip(g["kpi"], g["value"])],
            "target": [self.catalogue[k].fmt(v) for k, v in zip(g["kpi"], g["target"])],
            "score": [f"{s:.0f}" if np.isfinite(s) else "not scored" for s in g["score"]],
            "weight": [_pct(w) for w in g["weight"]],
            "points": [f"{c:.1f}" if np.isfinite(c) else "–" for c in g["contribution"]],
        })



def _stamp(value) -> str:
    return "unknown" if value is None else pd.Timestamp(value).strftime("%Y-%m-%d %H:%M")


@dataclass
class TeamReport(_Analysis):
    params: ReportParams
    catalogue: Catalogue
    tickets: pd.DataFrame
    kpis: pd.DataFrame            # every team, for peer context
    benchmarks: pd.DataFrame | None
    targets: pd.DataFrame | None
    _cache: dict = field(default_factory=dict, repr=False, compare=False)

    @classmethod
    def load(cls, **parameters) -> "TeamReport":
        """Load everything a team report needs from its parameters."""
        for key, default in _DEMO_DEFAULTS.items():
            if parameters.get(key) is None and (key in ("tickets", "catalogue")
                                                or Path(default).exists()):
                parameters[key] = default
        p = ReportParams.model_validate(parameters)
        cat = load_catalogue(p.catalogue)
        tickets = load_tickets(p.tickets, p.mapping, errors=p.bad_rows)
        if not (tickets["team"] == p.team).any():
            from .errors import DataError
            teams = ", ".join(map(str, tickets["team"].cat.categories[:20]))
            raise DataError(f"no tickets for team {p.team!r} (teams in the export: {teams})",
                            source=Path(p.tickets).name)
        kpis = compute_kpis(tickets, p.period)
        if p.kpi_table is not None:
            table = load_kpi_table(p.kpi_table, period=p.period, catalogue=cat)
            kpis = merge_kpis(kpis, table, source=Path(p.kpi_table).name)
        bench = load_benchmarks(p.benchmarks, catalogue=cat) if p.benchmarks else None
        targets = load_targets(p.targets, period=p.period, catalogue=cat) if p.targets else None
        return cls(p, cat, tickets, kpis, bench, targets)

    def fan_charts(self):
        """One fan chart per targeted KPI (Figure)."""
        from . import plots
        items = [(t, self.forecasts()[t["kpi"]][0])
                 for _, t in self.team_targets.iterrows()]

        def draw(ax, item):
            t, f = item
            plots.fan_chart(self.kpis[self.kpis["period"] <= self.as_of], f,
                            team=self.params.team, kpi=t["kpi"], target=t,
                            catalogue=self.catalogue, periods=self.params.history_periods,
                            ax=ax, language=self.params.language)
        return plots._small_multiples(items, draw, ncols=2, panel=(6.2, 3.3), legend_cols=3)

    @classmethod
    def from_namespace(cls, namespace: dict) -> "TeamReport":
        """``load`` with the parameters found in a notebook's namespace (``globals()``)."""
        return cls.load(**{k: namespace[k] for k in ReportParams.model_fields if k in namespace})

    # ------------------------------------------------------------------ basics
    @property
    def team_kpis(self) -> pd.DataFrame:
        k = self.kpis[self.kpis["team"] == self.params.team]
        return k[k["kpi"].isin(self.shown_kpis)]

    @property
    def shown_kpis(self) -> list[str]:
        """KPIs in the report: those asked for, else every catalogue KPI with data."""
        mine = self.kpis[(self.kpis["team"] == self.params.team) & self.kpis["value"].notna()]
        have = set(mine["kpi"])
        wanted = self.params.kpis or self.catalogue.names()
        return [k for k in wanted if k in have]

    @property
    def periods(self) -> list[pd.Period]:
        ps = sorted(self.team_kpis["period"].unique())
        return ps[-self.params.history_periods:]

    def header_markdown(self) -> str:
        """Title block: title, team, period covered, generation time (HTML-escaped)."""
        p = self.params
        ps = self.periods
        span = f"{label(ps[0])} to {label(ps[-1])}" if ps else "no data"
        esc = html.escape
        return (f"# {esc(p.title)}: {esc(p.name)}\n\n"
                f"**Team:** {esc(p.name)} (`{esc(p.team)}`) &nbsp; **Periods:** {span} "
                f"({p.period}ly) &nbsp; **Generated:** "
                f"{datetime.now().strftime('%Y-%m-%d %H:%M')}\n\n"
                f"Source: {esc(Path(p.tickets).name)}, {len(self.tickets):,} tickets "
                f"(as of {_stamp(self.tickets.attrs.get('as_of'))}).")

    # ------------------------------------------------------------------ tables
    def headline(self) -> pd.DataFrame:
        """Per KPI: latest value, previous period, change, average, n -- as numbers."""
        ps = self.periods
        if len(ps) < 1:
            return pd.DataFrame()
        wide = self.team_kpis.pivot_table(index="kpi", columns="period", values="value",
                                          aggfunc="first", observed=True)
        n = self.team_kpis.pivot_table(index="kpi", columns="period", values="n",
                                       aggfunc="first", observed=True)
        rows = []
        for k in self.shown_kpis:
            d = self.catalogue[k]
            series = wide.loc[k, [p for p in ps if p in wide.columns]] if k in wide.index \
                else pd.Series(dtype=float)
            latest = series.iloc[-1] if len(series) else np.nan
            prev = series.iloc[-2] if len(series) > 1 else np.nan
            change = latest - prev
            better = (np.sign(change) * (1 if d.direction == "higher" else -1)
                      if d.direction != "neutral" and np.isfinite(change) else 0)
            rows.append({
                "kpi": k, "KPI": self.catalogue.label(k, self.params.language),
                "latest": latest, "previous": prev, "change": change,
                "average": series.mean(),
                "n": n.loc[k, ps[-1]] if k in n.index and ps[-1] in n.columns else np.nan,
                "better": better,
            })
        return pd.DataFrame(rows)

    def headline_styled(self):
        """The headline table, formatted per KPI and coloured by direction."""
        t = self.headline()
        if t.empty:
            return t
        shown = t[["KPI", "latest", "previous", "change", "average", "n"]].copy()
        ps = self.periods
        shown.columns = ["KPI", label(ps[-1]), label(ps[-2]) if len(ps) > 1 else "previous",
                         "change", f"average of {len(ps)}", "n (latest)"]
        fmt = {}
        for i, k in enumerate(t["kpi"]):
            d = self.catalogue[k]
            for col in shown.columns[1:5]:
                v = shown.at[i, col]
                if col == "change":
                    fmt[(i, col)] = d.fmt_change(v)
                else:
                    fmt[(i, col)] = d.fmt(v)
        out = shown.astype(object)
        for (i, col), s in fmt.items():
            out.at[i, col] = s
        out["n (latest)"] = [f"{v:,.0f}" if np.isfinite(v) else "–" for v in t["n"]]
        colours = ["background-color: " + (BETTER if b > 0 else WORSE if b < 0 else "")
                   if b else "" for b in t["better"]]
        return (out.style.hide(axis="index")
                .apply(lambda _: colours, subset=["change"])
                .set_caption("Latest period against the one before; green = better, "
                             "red = worse, following each KPI's direction; pp = "
                             "percentage points"))

    def trend_table(self, periods: int = 6):
        """KPIs x the last ``periods`` periods, formatted per KPI."""
        ps = self.periods[-periods:]
        wide = self.team_kpis[self.team_kpis["period"].isin(ps)].pivot_table(
            index="kpi", columns="period", values="value", aggfunc="first", observed=True)
        wide = wide.reindex(index=[k for k in self.shown_kpis if k in wide.index])
        out = pd.DataFrame(index=[self.catalogue.label(k, self.params.language)
                                  for k in wide.index])
        for p in wide.columns:
            out[label(p)] = [self.catalogue[k].fmt(v) for k, v in wide[p].items()]
        return out.style.set_caption("Values per period")

    def quality(self) -> pd.DataFrame:
        """Data-quality summary for this team (counts from the export)."""
        q = data_quality(self.tickets, self.params.team)
        q = q.assign(share=[f"{s:.1%}" for s in q["share"]])
        return q.fillna("")

    def definitions(self) -> pd.DataFrame:
        """Catalogue entries of the KPIs shown."""
        rows = [{"KPI": self.catalogue.label(k, self.params.language), "unit": d.unit,
                 "better": d.direction, "perspective": d.perspective.replace("_", " "),
                 "definition": d.definition}
                for k in self.shown_kpis for d in [self.catalogue[k]]]
        return pd.DataFrame(rows)
