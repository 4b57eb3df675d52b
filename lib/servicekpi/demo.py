"""Deterministic demo data: eight departments, three years of tickets.

:func:`generate_demo` writes, into one folder:

- ``tickets.parquet``: one row per ticket in the canonical columns (about
  230,000 rows at ``scale=1``), with seasonality (a winter peak), weekend
  effects, teams improving (chat, tech support, billing), worsening (email,
  field service), one step change (the complaints desk's new process from
  month 19), surveys answered by a minority of customers, repeat contacts
  after unresolved first contacts, and a customer tier column;
- ``kpi_table.csv``: people and cost KPIs that do not come from tickets;
- ``benchmarks.csv``: industry median, top quartile and best in class;
- ``targets.csv``: SMART targets for every team, baselined on the data;
- ``competencies.csv`` and ``competency_targets.csv``: five-dimension
  competency assessments of every agent, and the target profile.

Same seed, same files.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from .kpis import compute_kpis
from .periods import label


@dataclass(frozen=True)
class TeamProfile:
    team: str
    name: str
    volume: int                      # tickets per month at scale 1
    channels: dict                   # channel -> share
    categories: tuple
    frt_hours: float                 # median first response
    res_hours: float                 # median response-to-resolution
    sla_hours: float                 # SLA for priority P3 (others scale)
    fcr: float
    csat: float                      # latent satisfaction centre (1-5 scale)
    aht: float                       # minutes
    complaint: float
    abandon: float = 0.0
    trend: str = "flat"              # flat | improving | worsening | step
    weekend: float = 0.35            # weekend volume relative to a weekday
    self_service_growth: float = 0.0  # share moved to self_service by the end
    targets: dict = field(default_factory=dict)  # kpi -> relative improvement asked


TEAMS: tuple[TeamProfile, ...] = (
    TeamProfile("phone", "Phone support", 1500, {"phone": 1.0},
                ("billing question", "account access", "order status", "technical fault",
                 "cancellation"), 0.04, 1.5, 8, 0.78, 4.0, 7.5, 0.02, abandon=0.06,
                targets={"fcr_rate": 0.05, "abandonment_rate": -0.25, "csat_pct": 0.04,
                         "avg_first_response_hours": -0.15}),
    TeamProfile("email", "Email support", 1100, {"email": 0.9, "web": 0.1},
                ("billing question", "account access", "order status", "technical fault",
                 "feedback"), 5.0, 20, 48, 0.70, 4.1, 11, 0.02, trend="worsening",
                targets={"avg_first_response_hours": -0.2, "sla_attainment": 0.05,
                         "csat_pct": 0.05}),
    TeamProfile("chat", "Live chat", 1300, {"chat": 0.95, "social": 0.05},
                ("order status", "account access", "product question", "technical fault"),
                0.02, 0.8, 4, 0.74, 4.0, 9.5, 0.015, abandon=0.04, trend="improving",
                targets={"fcr_rate": 0.06, "csat_pct": 0.05, "abandonment_rate": -0.3}),
    TeamProfile("tech_support", "Technical support", 700,
                {"email": 0.45, "phone": 0.3, "web": 0.15, "self_service": 0.1},
                ("connectivity", "device fault", "software bug", "configuration",
                 "outage"), 2.0, 30, 72, 0.58, 3.7, 24, 0.03, trend="improving",
                targets={"fcr_rate": 0.10, "avg_resolution_hours": -0.2,
                         "reopen_rate": -0.25, "sla_attainment": 0.04}),
    TeamProfile("billing", "Billing", 650,
                {"phone": 0.45, "email": 0.3, "self_service": 0.25},
                ("invoice query", "payment failed", "refund", "tariff change"),
                2.5, 10, 48, 0.80, 3.9, 9, 0.03, trend="improving", self_service_growth=0.2,
                targets={"self_service_rate": 0.5, "fcr_rate": 0.04, "csat_pct": 0.04}),
    TeamProfile("complaints", "Complaints desk", 260, {"phone": 0.4, "email": 0.45,
                                                      "social": 0.15},
                ("service failure", "billing dispute", "staff conduct", "delay",
                 "product defect"), 8.0, 60, 120, 0.55, 3.2, 32, 1.0, trend="step",
                targets={"avg_resolution_hours": -0.25, "sla_attainment": 0.08,
                         "csat_pct": 0.10, "repeat_contact_rate": -0.2}),
    TeamProfile("vip_care", "VIP care", 220, {"phone": 0.6, "chat": 0.25, "email": 0.15},
                ("account review", "priority fault", "billing question", "upgrade"),
                0.3, 4, 8, 0.88, 4.4, 16, 0.01, abandon=0.02, weekend=0.6,
                targets={"csat_pct": 0.02, "nps": 0.1, "fcr_rate": 0.02}),
    TeamProfile("field_service", "Field service", 420, {"phone": 0.5, "web": 0.5},
                ("installation", "repair visit", "maintenance", "relocation"),
                3.0, 70, 96, 0.65, 3.7, 95, 0.025, trend="worsening", weekend=0.1,
                targets={"sla_attainment": 0.08, "avg_resolution_hours": -0.15,
                         "fcr_rate": 0.05}),
)

_PRIORITY = (("P1", 0.05, 0.25), ("P2", 0.2, 0.5), ("P3", 0.55, 1.0), ("P4", 0.2, 2.0))
_TIERS = (("high", 0.1), ("medium", 0.3), ("low", 0.6))


def _quality(trend: str, t: np.ndarray, months: int) -> np.ndarray:
    """Team performance index over time: 0 flat, +/- for better/worse."""
    x = t / max(months - 1, 1)
    if trend == "improving":
        return -0.3 + 0.9 * x
    if trend == "worsening":
        return 0.3 - 0.9 * x
    if trend == "step":
        return np.where(t >= months // 2, 0.5, -0.4)
    return np.zeros_like(x)


def generate_tickets(seed: int = 2026, *, months: int = 36, end: str = "2026-10",
                     scale: float = 1.0, teams=TEAMS) -> pd.DataFrame:
    """Generate the demo ticket export (canonical columns), deterministically."""
    rng = np.random.default_rng(seed)
    last = pd.Period(end, "M")
    month_list = pd.period_range(last - (months - 1), last, freq="M")
    frames = []
    for k, prof in enumerate(teams):
        frames.append(_team_tickets(rng, prof, k, month_list, scale))
    df = pd.concat(frames, ignore_index=True)
    df = df.sort_values("created_at", kind="stable").reset_index(drop=True)
    _customers(rng, df, scale)
    df.insert(0, "ticket_id", [f"T{i + 1:07d}" for i in range(len(df))])
    return df


def _team_tickets(rng, prof: TeamProfile, k: int, month_list, scale) -> pd.DataFrame:
    months = len(month_list)
    t = np.arange(months)
    moy = np.array([p.month for p in month_list])
    season = 1 + 0.18 * np.cos(2 * np.pi * (moy - 1) / 12)
    growth = 1 + 0.004 * t
    counts = rng.poisson(prof.volume * scale * season * growth)
    q_month = _quality(prof.trend, t, months)

    created, month_idx = [], []
    for i, p in enumerate(month_list):
        days = pd.date_range(p.start_time, p.end_time.normalize(), freq="D")
        w = np.where(days.day_of_week >= 5, prof.weekend, 1.0)
        day = rng.choice(len(days), size=counts[i], p=w / w.sum())
        hour = np.clip(rng.normal(13, 3.2, counts[i]), 0, 23.99)
        stamp = days.values[day] + (hour * 3600).astype("timedelta64[s]")
        created.append(stamp)
        month_idx.append(np.full(counts[i], i))
    created = np.concatenate(created).astype("datetime64[ns]")
    m = np.concatenate(month_idx)
    n = len(created)
    q = q_month[m] + rng.normal(0, 0.05, n)
    load = season[m]
    weekend = pd.DatetimeIndex(created).day_of_week.to_numpy() >= 5

    chans = list(prof.channels)
    probs = np.array([prof.channels[c] for c in chans], float)
    channel = np.array(chans, dtype=object)[rng.choice(len(chans), n, p=probs / probs.sum())]
    if prof.self_service_growth:
        move = rng.random(n) < prof.self_service_growth * m / max(months - 1, 1)
        channel[move] = "self_service"
    category = np.array(prof.categories, dtype=object)[
        rng.choice(len(prof.categories), n, p=_zipf(len(prof.categories)))]
    pr = rng.choice(len(_PRIORITY), n, p=[p[1] for p in _PRIORITY])
    priority = np.array([p[0] for p in _PRIORITY], dtype=object)[pr]
    sla_factor = np.array([p[2] for p in _PRIORITY])[pr]

    abandoned = rng.random(n) < prof.abandon * load * np.exp(-0.8 * q)
    frt = np.exp(np.log(prof.frt_hours) + rng.normal(0, 0.8, n)) * load ** 1.5 \
        * np.exp(-0.6 * q) * np.where(weekend, 1.8, 1.0)
    res = frt + np.exp(np.log(prof.res_hours) + rng.normal(0, 0.9, n)) * np.exp(-0.5 * q)
    hours = lambda h: (h * 3600).astype("timedelta64[s]")  # noqa: E731  whole seconds
    first_response = created + hours(frt)
    resolved = created + hours(res)
    end_time = month_list[-1].end_time.to_datetime64()
    open_ = (resolved > end_time) | (rng.random(n) < 0.004)
    first_response[abandoned | (first_response > end_time)] = np.datetime64("NaT")
    resolved[abandoned | open_] = np.datetime64("NaT")
    sla_due = created + hours(prof.sla_hours * sla_factor)
    sla_due[abandoned] = np.datetime64("NaT")

    fcr_p = np.clip(prof.fcr + 0.12 * q - 0.03 * (load - 1), 0.05, 0.98)
    first_time = rng.random(n) < fcr_p
    contacts = np.where(first_time, 1, 2 + rng.geometric(0.6, n) - 1).astype(float)
    contacts[abandoned] = np.nan
    contacts[rng.random(n) < 0.005] = np.nan
    reopened = rng.random(n) < 0.05 * np.exp(-0.5 * q) * np.where(first_time, 0.6, 2.0)
    complaint = rng.random(n) < min(prof.complaint, 1.0) * np.where(
        prof.complaint >= 1, 1.0, np.exp(-0.6 * q) * np.where(first_time, 0.7, 2.0))
    handle = rng.gamma(4.0, prof.aht / 4.0, n)
    handle[abandoned] = np.nan

    speed = np.log1p(np.where(np.isnan(res), prof.res_hours, res)) - np.log1p(prof.res_hours)
    latent = prof.csat + 0.8 * q - 0.35 * speed - 0.7 * (~first_time) + rng.normal(0, 0.9, n)
    csat = np.clip(np.rint(latent), 1, 5)
    csat[(rng.random(n) > 0.25) | abandoned] = np.nan
    nps = np.clip(np.rint(2.2 * latent - 1.2 + rng.normal(0, 1.2, n)), 0, 10)
    nps[(rng.random(n) > 0.12) | abandoned] = np.nan
    ces = np.clip(np.rint(7.5 - 1.3 * latent + rng.normal(0, 0.8, n)), 1, 7)
    ces[(rng.random(n) > 0.15) | abandoned] = np.nan

    return pd.DataFrame({
        "team": prof.team,
        "created_at": created,
        "first_response_at": first_response,
        "resolved_at": resolved,
        "channel": channel,
        "category": category,
        "priority": priority,
        "sla_due_at": sla_due,
        "contacts": pd.array(contacts, dtype="Float64").astype("Int64"),
        "reopened": pd.array(np.where(np.isnat(resolved), None, reopened), dtype="boolean"),
        "is_complaint": complaint,
        "abandoned": abandoned,
        "handle_minutes": np.round(handle, 1),
        "csat": pd.array(csat, dtype="Float64").astype("Int64"),
        "nps": pd.array(nps, dtype="Float64").astype("Int64"),
        "ces": pd.array(ces, dtype="Float64").astype("Int64"),
        "_needs_followup": ~first_time & ~abandoned,
    })


def _zipf(k: int) -> np.ndarray:
    w = 1.0 / np.arange(1, k + 1)
    return w / w.sum()


def _customers(rng, df: pd.DataFrame, scale: float) -> None:
    """Customer ids (with tiers) and follow-up contacts after unresolved first contacts."""
    n = len(df)
    pool = max(int(60000 * scale), 50)
    cust = rng.integers(0, pool, n)
    follow = np.flatnonzero(df.pop("_needs_followup").to_numpy() & (rng.random(n) < 0.45))
    per_day = max(n / (len(df["created_at"].dt.to_period("D").unique()) or 1), 1)
    step = rng.integers(1, max(int(per_day * 5), 2), len(follow))
    target = follow + step
    ok = target < n
    cust[target[ok]] = cust[follow[ok]]
    df["customer_id"] = np.char.add("C", np.char.zfill(cust.astype(str), 6))
    tiers = np.array([t[0] for t in _TIERS], dtype=object)
    tier_of = rng.choice(len(_TIERS), pool, p=[t[1] for t in _TIERS])
    df["customer_tier"] = tiers[tier_of[cust]]


def kpi_table(seed: int, teams, month_list) -> pd.DataFrame:
    """People and cost KPIs per team and month (the KPI table input)."""
    rng = np.random.default_rng(seed + 1)
    rows = []
    for prof in teams:
        t = np.arange(len(month_list))
        q = _quality(prof.trend, t, len(month_list))
        agents = max(int(prof.volume / 45), 4)
        for i, p in enumerate(month_list):
            heads = agents + int(rng.integers(-1, 2))
            per = label(p)
            rows += [
                (prof.team, per, "training_hours", round(6 + 3 * q[i] + rng.normal(0, 0.8), 1),
                 heads),
                (prof.team, per, "employee_satisfaction",
                 round(float(np.clip(0.72 + 0.1 * q[i] + rng.normal(0, 0.04), 0, 1)), 3),
                 max(heads - int(rng.integers(0, 3)), 1)),
                (prof.team, per, "attrition_rate",
                 round(float(np.clip(0.025 - 0.012 * q[i] + rng.normal(0, 0.006), 0, 1)), 4),
                 heads),
                (prof.team, per, "cost_per_ticket",
                 round(prof.aht * 0.9 * (1 - 0.1 * q[i]) + rng.normal(0, 0.4), 2), None),
            ]
            if prof.team == "field_service":
                rows.append((prof.team, per, "mttr_hours",
                             round(30 * (1 - 0.4 * q[i]) + rng.normal(0, 2), 1), None))
    return pd.DataFrame(rows, columns=["team", "period", "kpi", "value", "n"]).astype(
        {"n": "Int64"})


BENCHMARKS = {
    # kpi: (industry median, top quartile, best in class)
    "fcr_rate": (0.70, 0.78, 0.86),
    "sla_attainment": (0.80, 0.88, 0.95),
    "csat_pct": (0.72, 0.80, 0.88),
    "csat_score": (3.9, 4.2, 4.5),
    "nps": (20, 35, 55),
    "reopen_rate": (0.08, 0.05, 0.03),
    "complaint_rate": (0.030, 0.020, 0.010),
    "abandonment_rate": (0.07, 0.05, 0.03),
    "ces_score": (3.2, 2.7, 2.2),
    "repeat_contact_rate": (0.15, 0.10, 0.06),
    "attrition_rate": (0.030, 0.020, 0.012),
    "employee_satisfaction": (0.70, 0.78, 0.85),
}


def benchmarks() -> pd.DataFrame:
    rows = []
    for kpi, values in BENCHMARKS.items():
        for name, v in zip(("industry_median", "top_quartile", "best_in_class"), values):
            rows.append((kpi, name, v, "Demo contact-centre benchmark survey (synthetic)",
                         "2026-06-30"))
    return pd.DataFrame(rows, columns=["kpi", "benchmark", "value", "source", "as_of"])


def targets(kpis: pd.DataFrame, teams, baseline: pd.Period, deadline: pd.Period
            ) -> pd.DataFrame:
    """SMART targets from each team's ambitions, baselined on the data."""
    base = kpis[kpis["period"] == baseline].set_index(["team", "kpi"])["value"]
    owners = ("Head of", "Team lead,", "Operations manager,")
    rows = []
    for prof in teams:
        for j, (kpi, change) in enumerate(prof.targets.items()):
            b = base.get((prof.team, kpi))
            if b is None or not np.isfinite(b):
                continue
            tgt = b * (1 + change)
            if kpi.endswith("_rate") or kpi in ("sla_attainment", "csat_pct"):
                tgt = min(tgt, 0.99)
            if kpi == "nps":
                tgt = b + 100 * change
            if round(tgt, 4) == round(b, 4):  # nothing left to improve (tiny samples)
                continue
            marks = "; ".join(
                f"{label(q)}={b + (tgt - b) * (i + 1) / 4:.4g}"
                for i, q in enumerate(pd.period_range(baseline + 3, deadline, freq="3M")))
            rows.append((prof.team, kpi, round(b, 4), label(baseline), round(tgt, 4),
                         label(deadline), marks, [0.4, 0.35, 0.25, 0.2][j % 4],
                         f"{owners[j % 3]} {prof.name}"))
    return pd.DataFrame(rows, columns=["team", "kpi", "baseline", "baseline_period",
                                       "target", "deadline", "milestones", "weight", "owner"])


def competencies(seed: int, teams) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Competency assessments (1-5) per agent and dimension, and a target profile."""
    from .competencies import DIMENSIONS

    rng = np.random.default_rng(seed + 2)
    rows = []
    for prof in teams:
        agents = max(int(prof.volume / 45), 4)
        q = float(_quality(prof.trend, np.array([35]), 36)[0])
        strength = rng.normal(0, 0.3, len(DIMENSIONS))
        for a in range(agents):
            person = f"{prof.team}-{a + 1:02d}"
            skill = rng.normal(0, 0.4)
            for d, dim in enumerate(DIMENSIONS):
                score = 3.4 + 0.4 * q + strength[d] + skill + rng.normal(0, 0.5)
                rows.append((person, prof.team, dim, float(np.clip(np.round(score * 2) / 2, 1, 5))))
    assessments = pd.DataFrame(rows, columns=["person", "team", "dimension", "score"])
    target = pd.DataFrame({"team": None, "dimension": list(DIMENSIONS),
                           "target": [4.0, 4.0, 3.5, 3.5, 4.0]})
    vip = pd.DataFrame({"team": "vip_care", "dimension": ["communication", "product_expertise"],
                        "target": [4.5, 4.5]})
    return assessments, pd.concat([target, vip], ignore_index=True)


def generate_demo(out, seed: int = 2026, *, months: int = 36, end: str = "2026-10",
                  scale: float = 1.0) -> dict[str, Path]:
    """Write the demo data set into ``out``; returns the paths written.

    ``scale`` multiplies ticket volumes (tests use a small scale);
    ``months`` and ``end`` set the time span.
    """
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    tickets = generate_tickets(seed, months=months, end=end, scale=scale)
    last = pd.Period(end, "M")
    month_list = pd.period_range(last - (months - 1), last, freq="M")
    kpis = compute_kpis(tickets, "month")
    baseline = last - 10 if months > 12 else month_list[len(month_list) // 2]
    deadline = last + 2
    paths = {
        "tickets": out / "tickets.parquet",
        "kpi_table": out / "kpi_table.csv",
        "benchmarks": out / "benchmarks.csv",
        "targets": out / "targets.csv",
        "competencies": out / "competencies.csv",
        "competency_targets": out / "competency_targets.csv",
    }
    tmp = {k: p.with_name(p.name + ".tmp") for k, p in paths.items()}
    tickets.to_parquet(tmp["tickets"], index=False)
    kpi_table(seed, TEAMS, month_list).to_csv(tmp["kpi_table"], index=False)
    benchmarks().to_csv(tmp["benchmarks"], index=False)
    targets(kpis, TEAMS, baseline, deadline).to_csv(tmp["targets"], index=False)
    assessed, profile = competencies(seed, TEAMS)
    assessed.to_csv(tmp["competencies"], index=False)
    profile.to_csv(tmp["competency_targets"], index=False)
    for k in paths:  # only complete files get their final names
        tmp[k].replace(paths[k])
    return paths
