"""Deterministic demo data: eight departments, three years of tickets.

:func:`generate_demo` writes, into one folder:

- ``tickets.parquet``: one row per ticket in the canonical columns (about
  230,000 rows at ``scale=1``), with seasonality (a winter peak), weekend
  effects, surveys answered by a minority of customers, repeat contacts
  after unresolved first contacts, and a customer tier column;
- ``kpi_table.csv``: people and cost KPIs that do not come from tickets;
- ``benchmarks.csv``: industry median, top quartile and best in class;
- ``targets.csv``: SMART targets for every team, baselined on the data;
- ``competencies.csv`` and ``competency_targets.csv``: five-dimension
  competency assessments of every agent, and the target profile.

The data is meant to be as hard to read as real data, not a clean curve:

- **Month-level variation.**  Each team-month draws a staffing shock (queue
  pressure: response and resolution times, abandonment) and a quality
  shock (FCR, CSAT, reopens, complaints), both AR(1), so a bad month tends
  to be followed by another; per-ticket noise alone would average out.
- **Trends that are not straight lines** (:func:`_quality`): live chat and
  billing improve and then plateau, field service worsens ever faster,
  email worsens steadily, the complaints desk steps up with a new process
  half-way through and keeps improving slowly, VIP care is flat until a
  service programme starts after the baseline, tech support improves
  steadily, billing's self-service portal is adopted along an S-curve;
  phone has no trend, only its winter peak and its monthly shocks.
- **Shocks** (:class:`Shock`, counted back from the last month): an outage
  20 months before the end (2025-02 in the default data) floods technical
  support (+70% volume, mostly ``outage`` tickets) and phone; a ticketing
  system migration 16 months before the end (2025-06) slows email and
  billing for a few months and takes the billing portal offline.
- **Abandonment only where there is a queue**: ``abandoned`` is True/False
  for phone and chat contacts and missing (NA) for email, web, social and
  self-service contacts, so a team without a queued channel (email) has no
  abandonment rate at all, rather than a rate of 0.
- **Targets baselined on three periods** (:func:`targets`): the baseline is
  the pooled value of the three months ending at ``baseline_period``
  (``baseline_periods`` = 3); each change asked is the team's ambition or
  1.1 times the target's noise, whichever is larger, so no target sits
  inside the noise.  The noise is the one :func:`servicekpi.achievability`
  judges by (:func:`servicekpi.targets.target_noise`): the larger of the
  baseline's 95% CI half-width and the 95% range of a single month's value
  (1.96 period-to-period sds, :func:`servicekpi.targets.period_noise`).
  VIP care's deadline (one month before the end) has passed and the team
  ends close to its targets, so they are met or missed (its NPS, from
  about 18 answers a month, often too few to say); the others end two or
  five months after the data.

Same seed, same files.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from .catalogue import resolve
from .errors import InvalidArgument
from .kpis import compute_kpis
from .periods import label
from .targets import baseline_interval, target_noise

#: Channels where a contact waits in a queue and can hang up: only their
#: contacts have an ``abandoned`` value.
QUEUED_CHANNELS = ("phone", "chat")


@dataclass(frozen=True)
class Shock:
    """A one-off event in one team's data, fading geometrically afterwards.

    ``months_before_end`` places it (0 = the last month); in each later
    month ``decay`` of the previous month's effect is left.
    """

    months_before_end: int
    what: str
    volume: float = 0.0          # extra tickets, as a share of the usual volume
    pressure: float = 0.0        # extra queue pressure (log): slower, more abandonment
    quality: float = 0.0         # change of the quality index
    decay: float = 0.0
    category: str | None = None  # what the extra tickets are about
    self_service: float = 0.0    # < 0: share of self-service contacts pushed to other channels


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
    abandon: float = 0.0             # abandonment of queued contacts (phone, chat)
    trend: str = "flat"              # see _quality
    weekend: float = 0.35            # weekend volume relative to a weekday
    self_service_growth: float = 0.0  # share moved to self_service by the end (S-curve)
    staffing_noise: float = 0.08     # SD of the monthly AR(1) queue-pressure shock (log)
    quality_noise: float = 0.07      # SD of the monthly AR(1) quality shock
    surveys: tuple = (0.25, 0.12, 0.15)  # response rates: csat, nps, ces
    shocks: tuple = ()
    deadline_shift: int = 0          # months added to the demo's default deadline
    targets: dict = field(default_factory=dict)  # kpi -> improvement asked (relative; nps /100)


_OUTAGE, _MIGRATION = 20, 16   # months before the end

TEAMS: tuple[TeamProfile, ...] = (
    TeamProfile("phone", "Phone support", 1500, {"phone": 1.0},
                ("billing question", "account access", "order status", "technical fault",
                 "cancellation"), 0.04, 1.5, 8, 0.78, 4.0, 7.5, 0.02, abandon=0.06,
                staffing_noise=0.06,
                shocks=(Shock(_OUTAGE, "network outage", volume=0.3, pressure=0.3,
                              quality=-0.3, decay=0.3, category="technical fault"),),
                targets={"fcr_rate": 0.05, "abandonment_rate": -0.25, "csat_pct": 0.04,
                         "avg_first_response_hours": -0.15}),
    TeamProfile("email", "Email support", 1100, {"email": 0.9, "web": 0.1},
                ("billing question", "account access", "order status", "technical fault",
                 "feedback"), 5.0, 20, 48, 0.70, 4.1, 11, 0.02, trend="worsening",
                staffing_noise=0.12, quality_noise=0.08,
                shocks=(Shock(_MIGRATION, "ticketing system migration", pressure=0.6,
                              quality=-0.5, decay=0.55),),
                targets={"avg_first_response_hours": -0.2, "sla_attainment": 0.05,
                         "csat_pct": 0.05}),
    TeamProfile("chat", "Live chat", 1300, {"chat": 0.95, "social": 0.05},
                ("order status", "account access", "product question", "technical fault"),
                0.02, 0.8, 4, 0.74, 4.0, 9.5, 0.015, abandon=0.04, trend="plateau",
                targets={"fcr_rate": 0.06, "csat_pct": 0.05, "abandonment_rate": -0.3}),
    TeamProfile("tech_support", "Technical support", 700,
                {"email": 0.45, "phone": 0.3, "web": 0.15, "self_service": 0.1},
                ("connectivity", "device fault", "software bug", "configuration",
                 "outage"), 2.0, 30, 72, 0.58, 3.7, 24, 0.03, abandon=0.05,
                trend="improving", deadline_shift=3,
                shocks=(Shock(_OUTAGE, "network outage", volume=0.7, pressure=0.5,
                              quality=-0.5, decay=0.35, category="outage"),),
                targets={"fcr_rate": 0.10, "avg_resolution_hours": -0.2,
                         "reopen_rate": -0.25, "sla_attainment": 0.04}),
    TeamProfile("billing", "Billing", 650,
                {"phone": 0.45, "email": 0.3, "self_service": 0.25},
                ("invoice query", "payment failed", "refund", "tariff change"),
                2.5, 10, 48, 0.80, 3.9, 9, 0.03, abandon=0.04, trend="plateau",
                self_service_growth=0.35,
                shocks=(Shock(_MIGRATION, "ticketing system migration", pressure=0.5,
                              quality=-0.4, decay=0.5, self_service=-0.6),),
                targets={"self_service_rate": 0.3, "fcr_rate": 0.04, "csat_pct": 0.04}),
    TeamProfile("complaints", "Complaints desk", 260, {"phone": 0.4, "email": 0.45,
                                                      "social": 0.15},
                ("service failure", "billing dispute", "staff conduct", "delay",
                 "product defect"), 8.0, 60, 120, 0.55, 3.2, 32, 1.0, abandon=0.07,
                trend="step", staffing_noise=0.12, quality_noise=0.1, deadline_shift=3,
                targets={"avg_resolution_hours": -0.25, "sla_attainment": 0.08,
                         "csat_pct": 0.10, "repeat_contact_rate": -0.2}),
    TeamProfile("vip_care", "VIP care", 220, {"phone": 0.6, "chat": 0.25, "email": 0.15},
                ("account review", "priority fault", "billing question", "upgrade"),
                0.3, 4, 8, 0.84, 4.4, 16, 0.01, abandon=0.02, weekend=0.6, trend="late",
                surveys=(0.5, 0.08, 0.2), deadline_shift=-3,
                targets={"csat_pct": 0.02, "nps": 0.1, "fcr_rate": 0.02}),
    TeamProfile("field_service", "Field service", 420, {"phone": 0.5, "web": 0.5},
                ("installation", "repair visit", "maintenance", "relocation"),
                3.0, 70, 96, 0.65, 3.7, 95, 0.025, abandon=0.03, trend="accelerating",
                weekend=0.1, staffing_noise=0.1, deadline_shift=3,
                targets={"sla_attainment": 0.08, "avg_resolution_hours": -0.15,
                         "fcr_rate": 0.05}),
)

_PRIORITY = (("P1", 0.05, 0.25), ("P2", 0.2, 0.5), ("P3", 0.55, 1.0), ("P4", 0.2, 2.0))
_TIERS = (("high", 0.1), ("medium", 0.3), ("low", 0.6))


def _quality(trend: str, t: np.ndarray, months: int) -> np.ndarray:
    """Team performance index over time (before noise and shocks): 0 flat, + better.

    ``improving`` / ``worsening``: straight lines; ``plateau``: a fast
    improvement that levels off; ``accelerating``: a worsening that speeds
    up; ``step``: a new process half-way through; ``late``: flat, then an
    improvement over the last 30% of the span.
    """
    x = np.asarray(t, float) / max(months - 1, 1)
    if trend == "flat":
        return np.zeros_like(x)
    if trend == "improving":
        return -0.4 + 1.2 * x
    if trend == "worsening":
        return 0.3 - 0.9 * x
    if trend == "plateau":
        return -0.45 + 0.9 * (1 - np.exp(-x / 0.22))
    if trend == "accelerating":
        return 0.3 - 1.3 * x ** 3
    if trend == "step":
        return np.where(t >= months // 2, 0.3 + 0.8 * (x - 0.5), -0.4)
    if trend == "late":
        return 0.6 * np.clip((x - 0.7) / 0.3, 0, 1)
    raise InvalidArgument(f"unknown trend {trend!r}")


def _ar1(rng, n: int, phi: float, sd: float) -> np.ndarray:
    """A stationary AR(1) series with marginal standard deviation ``sd``."""
    e = rng.normal(0, sd, n)
    x = np.empty(n)
    if n:
        x[0] = e[0]
        for i in range(1, n):
            x[i] = phi * x[i - 1] + np.sqrt(1 - phi ** 2) * e[i]
    return x


def _team_rng(seed: int, k: int) -> np.random.Generator:
    """Team ``k``'s own stream: a change to one team leaves the others' draws alone."""
    return np.random.default_rng([seed, k])


@dataclass
class _Months:
    """One team's month-level state (arrays of one value per month)."""

    volume: np.ndarray     # expected volume relative to the profile's
    pressure: np.ndarray   # log queue pressure: season + staffing shock + events
    quality: np.ndarray    # quality index: trend + quality shock + events
    self_service: np.ndarray
    category: dict         # category -> share of the month's tickets it takes


def _month_effects(rng, prof: TeamProfile, month_list) -> _Months:
    months = len(month_list)
    t = np.arange(months)
    moy = np.array([p.month for p in month_list])
    season = 1 + 0.18 * np.cos(2 * np.pi * (moy - 1) / 12)
    volume = season * (1 + 0.004 * t) * np.exp(_ar1(rng, months, 0.5, 0.04))
    pressure = np.log(season) + _ar1(rng, months, 0.6, prof.staffing_noise)
    quality = _quality(prof.trend, t, months) + _ar1(rng, months, 0.5, prof.quality_noise)
    self_service = np.zeros(months)
    category = {}
    for s in prof.shocks:
        i = months - 1 - s.months_before_end
        if not 0 <= i < months:
            continue
        fade = np.where(t >= i, float(s.decay) ** np.maximum(t - i, 0), 0.0)
        volume = volume * (1 + s.volume * fade)
        pressure = pressure + s.pressure * fade
        quality = quality + s.quality * fade
        self_service = self_service + s.self_service * fade
        if s.category:
            category[s.category] = s.volume * fade / (1 + s.volume * fade)
    return _Months(volume, pressure, quality, self_service, category)


def generate_tickets(seed: int = 2026, *, months: int = 36, end: str = "2026-10",
                     scale: float = 1.0, teams=TEAMS) -> pd.DataFrame:
    """Generate the demo ticket export (canonical columns), deterministically."""
    rng = np.random.default_rng(seed)
    month_list = _month_list(end, months)
    frames = []
    for k, prof in enumerate(teams):
        frames.append(_team_tickets(_team_rng(seed, k), prof, month_list, scale))
    df = pd.concat(frames, ignore_index=True)
    df = df.sort_values("created_at", kind="stable").reset_index(drop=True)
    _customers(rng, df, scale)
    df.insert(0, "ticket_id", [f"T{i + 1:07d}" for i in range(len(df))])
    return df


def _month_list(end: str, months: int) -> pd.PeriodIndex:
    last = pd.Period(end, "M")
    return pd.period_range(last - (months - 1), last, freq="M")


def _team_tickets(rng, prof: TeamProfile, month_list, scale) -> pd.DataFrame:
    months = len(month_list)
    eff = _month_effects(rng, prof, month_list)
    counts = rng.poisson(prof.volume * scale * eff.volume)

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
    q = eff.quality[m] + rng.normal(0, 0.05, n)
    load = np.exp(eff.pressure[m])
    weekend = pd.DatetimeIndex(created).day_of_week.to_numpy() >= 5

    chans = list(prof.channels)
    probs = np.array([prof.channels[c] for c in chans], float)
    channel = np.array(chans, dtype=object)[rng.choice(len(chans), n, p=probs / probs.sum())]
    if prof.self_service_growth:   # a portal adopted along an S-curve
        x = m / max(months - 1, 1)
        adoption = 1 / (1 + np.exp(-(x - 0.7) / 0.1))
        channel[rng.random(n) < prof.self_service_growth * adoption] = "self_service"
    down = rng.random(n) < -eff.self_service[m]   # portal offline: customers call or write
    fallback = [c for c in chans if c != "self_service"] or ["web"]
    channel[down & (channel == "self_service")] = fallback[0]
    category = np.array(prof.categories, dtype=object)[
        rng.choice(len(prof.categories), n, p=_zipf(len(prof.categories)))]
    for cat, share in eff.category.items():
        category[rng.random(n) < share[m]] = cat
    pr = rng.choice(len(_PRIORITY), n, p=[p[1] for p in _PRIORITY])
    priority = np.array([p[0] for p in _PRIORITY], dtype=object)[pr]
    sla_factor = np.array([p[2] for p in _PRIORITY])[pr]

    queued = np.isin(channel, QUEUED_CHANNELS)
    abandoned = queued & (rng.random(n) < prof.abandon * load * np.exp(-0.8 * q))
    frt = np.exp(np.log(prof.frt_hours) + rng.normal(0, 0.8, n)) * load ** 1.5 \
        * np.exp(-0.6 * q) * np.where(weekend, 1.8, 1.0)
    res = frt + np.exp(np.log(prof.res_hours) + rng.normal(0, 0.9, n)) * np.exp(-0.5 * q) \
        * load ** 0.5
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
    r_csat, r_nps, r_ces = prof.surveys
    csat = np.clip(np.rint(latent), 1, 5)
    csat[(rng.random(n) > r_csat) | abandoned] = np.nan
    nps = np.clip(np.rint(2.2 * latent - 1.2 + rng.normal(0, 1.2, n)), 0, 10)
    nps[(rng.random(n) > r_nps) | abandoned] = np.nan
    ces = np.clip(np.rint(7.5 - 1.3 * latent + rng.normal(0, 0.8, n)), 1, 7)
    ces[(rng.random(n) > r_ces) | abandoned] = np.nan

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
        # only a queued contact can hang up: NA (not False) for the others
        "abandoned": pd.arrays.BooleanArray(abandoned, ~queued),
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
    """People and cost KPIs per team and month (the KPI table input).

    They follow the same month-level quality as the team's tickets (its
    trend, shocks and noise), drawn again from the team's own stream.
    """
    rng = np.random.default_rng(seed + 1)
    rows = []
    for k, prof in enumerate(teams):
        q = _month_effects(_team_rng(seed, k), prof, month_list).quality
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
    return pd.DataFrame(rows, columns=["kpi", "benchmark", "value", "source", "published"])


def targets(kpis: pd.DataFrame, teams, baseline: pd.Period, deadline: pd.Period, *,
            periods: int = 3, noise: float = 1.1) -> pd.DataFrame:
    """SMART targets from each team's ambitions, baselined on the data.

    Parameters
    ----------
    kpis : DataFrame
        :func:`servicekpi.compute_kpis` output of the demo tickets.
    teams : sequence of TeamProfile
        Ambitions (``targets``), deadline shifts, names.
    baseline : Period
        The last of the baseline periods (``baseline_period``).
    deadline : Period
        The default deadline; a team's ``deadline_shift`` moves it (never
        to or before the baseline).
    periods : int
        Periods pooled into the baseline, ending at ``baseline``, as
        :func:`servicekpi.targets.baseline_interval` pools them (a rate:
        numerators over denominators; a mean: weighted by ``n``); fewer
        when the data starts later.  A target whose KPI has no value in one
        of them is left out.
    noise : float
        The smallest change asked, in multiples of the target's noise as
        :func:`servicekpi.achievability` measures it
        (:func:`servicekpi.targets.target_noise` at 95%: the larger of the
        baseline's CI half-width and 1.96 period-to-period sds of the KPI
        up to the baseline): a smaller ambition is raised to it, so targets
        are not inside the noise.  A target never asks for more than a 60%
        cut, nor leaves the KPI's range (a share at most 0.99).

    Returns
    -------
    DataFrame in the layout :func:`servicekpi.load_targets` reads, with
    ``baseline_periods``.
    """
    baseline = pd.Period(baseline, "M")
    first = pd.PeriodIndex(kpis["period"]).min()
    window = pd.period_range(max(baseline - (periods - 1), first), baseline, freq="M")
    owners = ("Head of", "Team lead,", "Operations manager,")
    cat = resolve(None)
    rows = []
    for prof in teams:
        due = max(pd.Period(deadline, "M") + prof.deadline_shift, baseline + 1)
        mine = kpis[kpis["team"] == prof.team]
        for j, (kpi, change) in enumerate(prof.targets.items()):
            k = mine[mine["kpi"] == kpi]
            per = pd.PeriodIndex(k["period"])
            base_rows = k[per.isin(window)]
            if len(base_rows) < len(window) or base_rows["value"].isna().any():
                continue
            b = baseline_interval(kpis, prof.team, kpi, baseline, periods=len(window))[0]
            step = abs(b * change) if kpi != "nps" else abs(100 * change)
            floor = target_noise(kpis, prof.team, kpi, baseline, periods=len(window))["noise"]
            if np.isfinite(floor):
                step = max(step, noise * floor)
            tgt = b + np.sign(change) * step
            if change < 0:
                tgt = max(tgt, 0.4 * b)   # never ask for more than a 60% cut
            low, high = cat[kpi].bounds
            if low is not None:
                tgt = max(tgt, low)
            if high is not None:
                tgt = min(tgt, 0.99 if high == 1 else high)
            if round(tgt, 4) == round(b, 4):  # nothing left to improve (tiny samples)
                continue
            span = due.ordinal - baseline.ordinal
            marks = "; ".join(
                f"{label(q)}={b + (tgt - b) * (q.ordinal - baseline.ordinal) / span:.4g}"
                for q in pd.period_range(baseline + 3, due - 1, freq="3M"))
            rows.append((prof.team, kpi, round(b, 4), label(baseline), len(window),
                         round(tgt, 4), label(due), marks, [0.4, 0.35, 0.25, 0.2][j % 4],
                         f"{owners[j % 3]} {prof.name}"))
    return pd.DataFrame(rows, columns=["team", "kpi", "baseline", "baseline_period",
                                       "baseline_periods", "target", "deadline",
                                       "milestones", "weight", "owner"])


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


def generate_demo(out, *, seed: int = 2026, months: int = 36, end: str = "2026-10",
                  scale: float = 1.0) -> dict[str, Path]:
    """Write the demo data set into ``out``; returns the paths written.

    ``scale`` multiplies ticket volumes (tests use a small scale);
    ``months`` and ``end`` set the time span.  Targets are baselined on the
    three months ending ten months before ``end`` (with 12 months or fewer:
    ending in the middle month), due two months after ``end`` unless a team
    says otherwise (VIP care: one month before ``end``; tech support,
    complaints and field service: five months after).
    """
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    tickets = generate_tickets(seed, months=months, end=end, scale=scale)
    month_list = _month_list(end, months)
    last = month_list[-1]
    kpis = compute_kpis(tickets, freq="month")
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
