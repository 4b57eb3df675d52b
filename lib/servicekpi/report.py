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
from .errors import DataError, ServiceKPIError
from .i18n import STATUS, has_cjk, status_word, text, use_cjk_font
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
    "competencies": config.DEMO_DIR / "competencies.csv",
    "competency_targets": config.DEMO_DIR / "competency_targets.csv",
}


STATUS_STYLE = {"met": "background-color: #b7e1c1", "on_track": "background-color: #d9f0d3",
                "at_risk": "background-color: #ffe8a3", "off_track": "background-color: #f6c1bb",
                "insufficient_data": "background-color: #e0e0e0"}
STATUS_WORDS = STATUS["en"]


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
                parts.append(f"**{len(sub)} {status_word(status, self.params.language)}**: "
                             f"{html.escape(names)}")
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
                "status": status_word(r.status, self.params.language), "why": r.status_rule,
            })
        out = pd.DataFrame(rows)
        colours = [STATUS_STYLE[s] for s in g["status"]]
        return (out.style.hide(axis="index").format(escape="html")
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
        return (out.style.hide(axis="index").format(escape="html").apply(colour, axis=None)
                .set_caption(f"{label(self.as_of)}: green = the team is at or better than "
                             f"the reference, red = behind. External benchmarks: "
                             f"{src or 'none given'}. Peers: the other teams."))

    def peer_matrix(self) -> pd.DataFrame:
        from .benchmarking import peer_matrix
        return peer_matrix(self.kpis, self.as_of, catalogue=self.catalogue,
                           kpi_list=self.shown_kpis)

    def scorecard(self):
        """Every team's scorecard for the report period (cached)."""
        if "scorecard" not in self._cache:
            from .scorecard import scorecard
            self._cache["scorecard"] = scorecard(self.kpis, self.targets, period=self.as_of,
                                                 catalogue=self.catalogue,
                                                 language=self.params.language)
        return self._cache["scorecard"]

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

    # ------------------------------------------------------------- diagnostics
    def control_tables(self) -> dict:
        """kpi -> control-chart table over the shown history, for each targeted KPI."""
        from .diagnostics import control_chart
        out = {}
        k = self.kpis[self.kpis["period"] <= self.as_of]
        for kpi in self.team_targets["kpi"]:
            rows = k[(k["team"] == self.params.team) & (k["kpi"] == kpi)]
            rows = rows[rows["value"].notna()].sort_values("period")
            if len(rows) >= 3:
                out[kpi] = control_chart(rows.tail(2 * self.params.history_periods),
                                         self.params.team, kpi)
        return out

    def control_figure(self):
        from . import plots
        tables = list(self.control_tables().values())

        def draw(ax, table):
            plots.control_chart(table, catalogue=self.catalogue, ax=ax,
                                language=self.params.language)
        return plots._small_multiples(tables, draw, ncols=2, panel=(6.2, 3.0), legend_cols=4)

    def control_signals(self, recent: int = 6) -> pd.DataFrame:
        """Special causes in the last ``recent`` periods, with the rules they broke."""
        from .diagnostics import RULES
        rows = []
        for kpi, t in self.control_tables().items():
            t = t.tail(recent)
            for r in t[t["signal"]].itertuples():
                rows.append({"KPI": self.catalogue.label(kpi, self.params.language),
                             "period": label(r.period),
                             "value": self.catalogue[kpi].fmt(r.value),
                             "rule broken": "; ".join(RULES[x] for x in r.rules.split(", "))})
        return pd.DataFrame(rows, columns=["KPI", "period", "value", "rule broken"])

    def top_causes(self, top: int = 3):
        """Pareto of this team's complaints by category in the report period."""
        from .diagnostics import pareto
        if not {"is_complaint", "category"} <= set(self.tickets.columns):
            return None
        p = pareto(self.tickets, team=self.params.team, period=self.as_of, by="category",
                   flag="is_complaint", top=top, freq=self.params.period)
        if p.empty:
            return None
        out = pd.DataFrame({
            "cause (category)": p["category"], "complaints": p["count"],
            "share": [_pct(v, 1) for v in p["share"]],
            "cumulative": [_pct(v, 1) for v in p["cumulative"]],
            "previous period": p["previous"],
            "change": [f"{c:+d}" for c in p["change"]],
            "top": ["top " + str(top) if t else "" for t in p["top"]]})
        out.attrs.update(p.attrs)
        return out

    def main_driver(self) -> dict | None:
        """The targeted ticket KPI that moved most (in its own noise) since the
        previous period, tested, and its change split into mix and rate by category."""
        from .diagnostics import compare_periods, decompose_change
        prev = self.as_of - 1
        best = None
        for kpi in self.team_targets["kpi"]:
            d = self.catalogue[kpi]
            if d.source != "tickets" or "category" not in self.tickets:
                continue
            try:
                test = compare_periods(self.kpis, self.params.team, kpi, prev, self.as_of,
                                       catalogue=self.catalogue)
            except ServiceKPIError:
                continue
            strength = abs(test["difference"]) / max(test["ci_high"] - test["ci_low"], 1e-12)
            if best is None or strength > best[0]:
                best = (strength, kpi, test)
        if best is None:
            return None
        _, kpi, test = best
        dec = decompose_change(self.tickets, kpi, team=self.params.team, before=prev,
                               after=self.as_of, by="category", period=self.params.period,
                               catalogue=self.catalogue)
        return {"kpi": kpi, "test": test, "decomposition": dec}

    def driver_markdown(self) -> str:
        m = self.main_driver()
        if m is None:
            return "No targeted ticket KPI with category data to decompose."
        seg = m["decomposition"]["segments"].head(5)
        d = self.catalogue[m["kpi"]]
        share = d.unit == "share"
        f = (lambda v: f"{v * 100:+.1f} pts") if share else (lambda v: d.fmt_change(v))  # noqa: E731
        lines = [f"**{html.escape(m['test']['sentence'])}.**", "",
                 html.escape(m["decomposition"]["sentence"]), "",
                 "| category | share before | share after | value before | value after | "
                 "mix | rate |", "|---|---:|---:|---:|---:|---:|---:|"]
        for r in seg.itertuples():
            lines.append(f"| {html.escape(str(r.category))} | {_pct(r.weight_before, 1)} | "
                         f"{_pct(r.weight_after, 1)} | {d.fmt(r.value_before)} | "
                         f"{d.fmt(r.value_after)} | {f(r.mix)} | {f(r.rate)} |")
        return "\n".join(lines)

    def competency(self):
        """(team gaps per dimension, people with the largest gaps) or None."""
        if self.params.competencies is None or self.params.competency_targets is None:
            return None
        from .competencies import (competency_gaps, largest_gaps, load_competencies,
                                   load_competency_targets)
        a = load_competencies(self.params.competencies)
        t = load_competency_targets(self.params.competency_targets)
        if not (a["team"] == self.params.team).any():
            return None
        return competency_gaps(a, t, self.params.team), largest_gaps(a, t, self.params.team)

    def competency_table(self) -> pd.DataFrame:
        from .competencies import LABELS_ZH
        c = self.competency()
        if c is None:
            return pd.DataFrame()
        g = c[0]
        zh = self.params.language == "zh"
        return pd.DataFrame({
            "dimension": [LABELS_ZH[d] if zh else lab for d, lab in zip(g["dimension"], g["label"])],
            "team average": [f"{v:.2f}" for v in g["mean"]],
            "target": [f"{v:.1f}" for v in g["target"]],
            "gap": [f"{v:+.2f}" for v in g["gap"]],
            "people below target": [_pct(v) for v in g["share_below"]],
            "assessed": g["people"]})

    def competency_figure(self):
        from . import plots
        from .competencies import LABELS_ZH
        c = self.competency()
        if c is None:
            return None
        ax = plots.competency_radar(c[0], team=self.params.team,
                                    labels=LABELS_ZH if self.params.language == "zh" else None)
        return ax.figure

    def write_summary(self, path) -> None:
        """Status counts and grade of this report, as JSON, for the batch runner's index."""
        if not path:
            return
        import json
        g = self.gaps()
        counts = {k: int(v) for k, v in g["status"].value_counts().items()} if len(g) else {}
        totals = self.scorecard().totals.set_index("team")
        grade = (totals.loc[self.params.team, "grade"]
                 if self.params.team in totals.index else None)
        Path(path).write_text(json.dumps({"team": self.params.team, "status_counts": counts,
                                          "grade": grade, "period": label(self.as_of)}))

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
        if p.language == "zh" or has_cjk(p.display_name, p.title):
            use_cjk_font()
        cat = load_catalogue(p.catalogue)
        tickets = load_tickets(p.tickets, p.mapping, errors=p.bad_rows)
        if not (tickets["team"] == p.team).any():
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

    def md(self, key: str):
        """A heading and its explanation, in the report's language (for display)."""
        from IPython.display import Markdown
        return Markdown(text(key, self.params.language))

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
        zh = p.language == "zh"
        words = (("团队", "期间", "生成时间", "数据来源", "张工单", "截至") if zh else
                 ("Team", "Periods", "Generated", "Source", "tickets", "as of"))
        return (f"# {esc(p.title)}: {esc(p.name)}\n\n"
                f"**{words[0]}:** {esc(p.name)} (`{esc(p.team)}`) &nbsp; **{words[1]}:** {span} "
                f"({p.period}ly) &nbsp; **{words[2]}:** "
                f"{datetime.now().strftime('%Y-%m-%d %H:%M')}\n\n"
                f"{words[3]}: {esc(Path(p.tickets).name)}, {len(self.tickets):,} {words[4]} "
                f"({words[5]} {_stamp(self.tickets.attrs.get('as_of'))}).")

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
        return (out.style.hide(axis="index").format(escape="html")
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
        return out.style.format(escape="html").set_caption("Values per period")

    def quality(self) -> pd.DataFrame:
        """Data-quality summary for this team (counts from the export)."""
        q = data_quality(self.tickets, self.params.team)
        q = q.assign(share=[f"{s:.1%}" for s in q["share"]])
        return q.fillna("")

    def parameters_table(self) -> pd.DataFrame:
        """The parameters this report was made with (paths shown by file name)."""
        rows = []
        for key, value in self.params.model_dump().items():
            if isinstance(value, Path):
                value = value.name
            rows.append({"parameter": key, "value": "–" if value is None else str(value)})
        return pd.DataFrame(rows)

    def definitions(self) -> pd.DataFrame:
        """Catalogue entries of the KPIs shown."""
        rows = [{"KPI": self.catalogue.label(k, self.params.language), "unit": d.unit,
                 "better": d.direction, "perspective": d.perspective.replace("_", " "),
                 "definition": d.definition}
                for k in self.shown_kpis for d in [self.catalogue[k]]]
        return pd.DataFrame(rows)


# ---------------------------------------------------------------------- the overview
def _by_file(all_params, key: str, names: list[str]) -> dict:
    """path -> the teams (among ``names``) whose parameter ``key`` names it."""
    out: dict = {}
    for p in all_params:
        path = getattr(p, key)
        if path is not None and p.team in names:
            out.setdefault(str(path), []).append(p.team)
    return out


def styled(frame: pd.DataFrame):
    """A plain table for a report: no index, every cell HTML-escaped."""
    return frame.style.hide(axis="index").format(escape="html")


@dataclass
class OverviewReport:
    """The leadership roll-up across every team of a parameter folder."""

    title: str
    teams: list[ReportParams]
    catalogue: Catalogue
    kpis: pd.DataFrame
    targets: pd.DataFrame | None
    benchmarks: pd.DataFrame | None
    links: dict
    _cache: dict = field(default_factory=dict, repr=False, compare=False)
    excluded: dict = field(default_factory=dict)   # team -> why its data is left out

    @classmethod
    def load(cls, params_dir=None, teams=None, links=None, title=None) -> "OverviewReport":
        """Load every team named in ``params_dir`` (default: the project's params/)."""
        from .params import by_export, load_params
        all_params = load_params(params_dir or config.PARAMS_DIR, teams)
        first = all_params[0]
        if has_cjk(title, *(p.title for p in all_params), *(p.name for p in all_params)):
            use_cjk_font()     # team names in the figures
        cat = load_catalogue(first.catalogue)
        frames, target_frames, excluded = [], [], {}
        for (tickets, mapping, period, bad_rows), members in by_export(all_params).items():
            names = [p.team for p in members]
            try:   # one export's problems leave its teams out, not the whole overview
                k = compute_kpis(load_tickets(tickets, mapping, errors=bad_rows), period)
            except ServiceKPIError as exc:
                excluded.update({n: str(exc).splitlines()[0] for n in names})
                continue
            frames.append(k[k["team"].isin(names)])
        if not frames:
            raise ServiceKPIError("no team's data could be loaded: "
                                  + "; ".join(f"{t}: {e}" for t, e in excluded.items()))
        kpis = pd.concat(frames, ignore_index=True)
        names = [p.team for p in all_params if p.team not in excluded]
        for key in ("kpi_table", "targets"):
            for path, members in _by_file(all_params, key, names).items():
                try:
                    if key == "kpi_table":
                        t = load_kpi_table(path, period=first.period, catalogue=cat)
                        kpis = merge_kpis(kpis, t[t["team"].isin(members)],
                                          source=Path(path).name)
                    else:
                        t = load_targets(path, period=first.period, catalogue=cat)
                        target_frames.append(t[t["team"].isin(members)])
                except ServiceKPIError as exc:
                    for n in members:
                        excluded.setdefault(n, f"{key}: {str(exc).splitlines()[0]}")
        targets = pd.concat(target_frames, ignore_index=True) if target_frames else None
        bench = load_benchmarks(first.benchmarks, catalogue=cat) if first.benchmarks else None
        report = cls(title or first.title, all_params, cat, kpis, targets, bench, links or {})
        report.excluded = excluded
        return report

    @property
    def as_of(self):
        return self.kpis.loc[self.kpis["value"].notna(), "period"].max()

    def name(self, team: str) -> str:
        for p in self.teams:
            if p.team == team:
                return p.name
        return team

    def team_link(self, team: str) -> str:
        """The team's display name (escaped), linking to its report when there is one."""
        text = html.escape(self.name(team))
        href = self.links.get(team)
        return f'<a href="{html.escape(href)}">{text}</a>' if href else text

    def header_markdown(self) -> str:
        text = (f"# {html.escape(self.title)}: leadership overview\n\n"
                f"**Teams:** {len(self.teams)} &nbsp; **Period:** {label(self.as_of)} &nbsp; "
                f"**Generated:** {datetime.now().strftime('%Y-%m-%d %H:%M')}")
        if self.excluded:
            text += "\n\n**Partly left out for data problems:** " + "; ".join(
                f"{html.escape(self.name(t))}: {html.escape(e)}" for t, e in self.excluded.items())
        return text

    def gaps(self) -> pd.DataFrame:
        if "gaps" not in self._cache:
            from .gaps import gap_table
            t = self.targets if self.targets is not None else pd.DataFrame(
                columns=["team", "kpi"])
            self._cache["gaps"] = gap_table(self.kpis, t, self.as_of, catalogue=self.catalogue,
                                            rule="forecast")
        return self._cache["gaps"]

    def status_counts(self):
        """Teams x statuses: how many targets each team has in each status."""
        g = self.gaps()
        order = ["met", "on_track", "at_risk", "off_track", "insufficient_data"]
        table = (g.groupby(["team", "status"]).size().unstack(fill_value=0)
                 .reindex(columns=order, fill_value=0)) if len(g) else pd.DataFrame(columns=order)
        table = table.reindex([p.team for p in self.teams], fill_value=0)
        out = pd.DataFrame({"team": [self.team_link(t) for t in table.index]})
        for s in order:
            out[STATUS_WORDS[s]] = table[s].to_numpy()
        total = table.sum()
        out.loc[len(out)] = ["<b>all teams</b>", *[int(total[s]) for s in order]]

        def colour(col):
            s = next(k for k, v in STATUS_WORDS.items() if v == col.name)
            return [STATUS_STYLE[s] if v else "" for v in col]
        return (out.style.hide(axis="index")
                .apply(colour, subset=[STATUS_WORDS[s] for s in order])
                .set_caption(f"Targets by status, {label(self.as_of)} (status from the forecast's "
                             "probability of meeting each target by its deadline)"))

    def ranking(self):
        """Teams by composite score, with grade and coverage."""
        from .scorecard import scorecard
        sc = scorecard(self.kpis, self.targets, period=self.as_of, catalogue=self.catalogue,
                       language=self.teams[0].language)
        t = sc.totals.sort_values("score", ascending=False).reset_index(drop=True)
        out = pd.DataFrame({
            "rank": t["score"].rank(ascending=False, method="min").astype("Int64"),
            "team": [self.team_link(x) for x in t["team"]],
            "score": [f"{v:.1f}" if np.isfinite(v) else "–" for v in t["score"]],
            "grade": t["grade"].fillna("–"),
            "coverage": [_pct(v) for v in t["coverage"]],
            "not scored": t["missing"].replace("", "–"),
        })
        colours = {"A": BETTER, "B": "#eef7e8", "C": "#fff2cc", "D": WORSE}
        zh = {"优秀": "A", "良好": "B", "合格": "C", "不合格": "D"}
        styles = [f"background-color: {colours.get(zh.get(g, g), '')}" for g in out["grade"]]
        return (out.style.hide(axis="index").apply(lambda _: styles, subset=["grade"])
                .set_caption("Composite score: weighted attainment of each team's targets "
                             "(A >= 90, B >= 75, C >= 60, D below)"))

    def at_risk(self, n: int = 10) -> pd.DataFrame:
        """The goals most at risk: lowest probability of meeting the target first."""
        g = self.gaps()
        g = g[g["status"].isin(["off_track", "at_risk"])].copy()
        if g.empty:
            return pd.DataFrame(columns=["team", "KPI", "current", "target", "P(meet)", "status"])
        g = g.sort_values(["probability", "gap_pct"], ascending=[True, False]).head(n)
        return pd.DataFrame({
            "team": [self.team_link(t) for t in g["team"]],
            "KPI": [html.escape(self.catalogue.label(k, self.teams[0].language))
                    for k in g["kpi"]],
            "current": [self.catalogue[k].fmt(v) for k, v in zip(g["kpi"], g["current"])],
            "target": [f"{self.catalogue[k].fmt(v)} by {label(d)}"
                       for k, v, d in zip(g["kpi"], g["target"], g["deadline"])],
            "P(meet)": [_pct(p) for p in g["probability"]],
            "status": [STATUS_WORDS[s] for s in g["status"]],
            "owner": [html.escape(str(o)) if o else "–" for o in g["owner"]],
        })

    def peer_matrix(self) -> pd.DataFrame:
        from .benchmarking import peer_matrix
        m = peer_matrix(self.kpis, self.as_of, catalogue=self.catalogue)
        m.index = [self.name(t) for t in m.index]
        return m

    def links_markdown(self) -> str:
        items = [f"- {self.team_link(p.team)}" for p in self.teams]
        return "\n".join(items)
