"""What a team report shows, computed here so the notebook stays thin.

``TeamReport.load(**parameters)`` loads and checks the inputs named by the
notebook's parameters (``None`` paths fall back to the demo data set) and
gives the report's tables as pandas Stylers and DataFrames.
"""
from __future__ import annotations

import html
from dataclasses import dataclass
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


def _stamp(value) -> str:
    return "unknown" if value is None else pd.Timestamp(value).strftime("%Y-%m-%d %H:%M")


@dataclass
class TeamReport:
    params: ReportParams
    catalogue: Catalogue
    tickets: pd.DataFrame
    kpis: pd.DataFrame            # every team, for peer context
    benchmarks: pd.DataFrame | None
    targets: pd.DataFrame | None

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
