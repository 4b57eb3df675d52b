"""The KPI engine: ticket rows in, a long KPI table out.

:func:`compute_kpis` returns one row per team, period and KPI with columns
``team, period, kpi, value, n, numerator, sd, open_share, at_least``.  A ticket counts
in the period of its ``created_at``.  Each KPI is computed only when the
columns it needs are in the export.  Every team gets every period from its
first ticket to the last ticket of the tickets given (a team quiet since its
own last ticket had none in the periods after it); a period without tickets
has ``volume`` 0 and the other KPIs missing (value NaN, n 0), never a
made-up zero.  Not beyond the last ticket: an export filtered by creation
date ends there, whatever the later resolution times; and one team's
tickets alone end at that team's last.

Definitions (``n`` is the denominator: the tickets the KPI is taken over):

=========================== ===========================================================
volume                      tickets created
avg_first_response_hours    mean of first_response_at - created_at, tickets with a response
median_first_response_hours median of the same
avg_resolution_hours        mean of resolved_at - created_at, resolved tickets
fcr_rate                    resolved tickets with contacts == 1 / resolved tickets with
                            contacts known
sla_attainment              tickets meeting SLA / tickets with SLA information. Per ticket:
                            sla_met when given (a "met" on a ticket still open at the
                            as-of time is no outcome yet: left out; a "missed" counts);
                            else resolved_at <= sla_due_at; an unresolved ticket past
                            its due time at the as-of time is a miss; one not yet due is
                            left out
reopen_rate                 resolved tickets reopened / resolved tickets with reopened known
csat_score                  mean csat (1-5)
csat_pct                    csat answers of 4 or 5 / csat answers
nps                         100 x (answers 9-10 minus answers 0-6) / answers
ces_score                   mean ces (1-7)
complaint_rate              is_complaint / tickets with is_complaint known
abandonment_rate            abandoned / tickets with abandoned known, in queued channels
                            (see below)
self_service_rate           channel == self_service / tickets with channel known, when
                            some ticket of the export is self-service (see below)
repeat_contact_rate         tickets whose customer opened another ticket (any team) within
                            the following 7 days (<= 7 x 24 h later) / tickets with
                            customer_id whose 7-day window has ended by the as-of time
aht_minutes                 mean handle_minutes
=========================== ===========================================================

Tickets created less than 7 days before the as-of time are left out of
``repeat_contact_rate``: whether their customer comes back is not known yet,
and counting them would bias the latest period low.

Open tickets: right-censored durations
--------------------------------------
A duration (first response, resolution) is known only once its end event
has happened; an end after the as-of time is not known yet either.  The
three duration KPIs are taken over the tickets whose end is known, so in a
recent period, where the slow tickets are still open, they read low: the
tickets missing are exactly the longest ones.  ``open_share`` says how much
of a duration KPI's *eligible* tickets are still open at the as-of time:

- first response: tickets not abandoned (``abandoned`` true) and not
  resolved without a first response (those never get one); open = no
  first response yet;
- resolution: tickets not abandoned; open = not resolved yet.

It is NaN for every other KPI (and for KPI-table rows).

Such a period is left out of assessments, not estimated:
:func:`assessable` drops the rows whose ``open_share`` exceeds
:data:`MAX_OPEN_SHARE` (5%), and the reports assess the latest period that
passes (statuses, scores, forecasts, control charts, benchmarks and peer
ranks), while trends and the trend table still show the value, marked
incomplete.  Why not a censoring-aware estimate: a *mean* duration is not
identifiable from right-censored data without assuming the shape of the
tail beyond the longest wait observed (the open tickets are the tail), and
a median from the Kaplan-Meier estimator (statsmodels' ``SurvfuncRight``)
exists only while less than half of the tickets are censored, and differs
from the plain median of complete periods (the lower middle value for an
even count), so the same KPI would change definition from one period to
the next.  None is used: every value shown is the plain statistic of its
definition, and a period is assessed only once nearly all of its tickets
have closed.  Tickets that stay open for good (a backlog) keep their
period out of assessments as long as they exceed the threshold: pass
another ``max_open_share`` to :func:`assessable` to accept more.

Abandonment where there is no queue
-----------------------------------
``abandoned`` describes a queue (phone, chat): an empty cell means the
contact had none, so the KPI is n/a for it, never 0.  Some exports write
``false`` for every contact instead.  So when the export has a ``channel``
column, abandonment is taken only over channels in which at least one
contact of the whole export was abandoned (and over tickets whose channel
is empty); the other channels are left out, and ``attrs["abandonment"]``
of the KPI table lists both (``counted``, ``left_out``).  A team with no
ticket left has abandonment NaN (n 0), and is not ranked.

Self-service where there is none
--------------------------------
A system that has no self-service channel (Salesforce's case origins are
Phone, Email and Web) writes none, and every team would read 0% self-service,
a figure about a channel the export cannot show.  So when no ticket of the
whole export has channel ``self_service``, the KPI is NaN (n 0) for every
team, not 0; the data-quality summary of :func:`servicekpi.load_tickets`
says so.  A team without self-service in an export where some other team has
it reads 0%, as it should.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np
import pandas as pd

from .errors import DataError, InvalidArgument, expect_frame
from .periods import FREQS, coverage_end, freq_of, from_codes, label, parse_period, \
    partial_period, period_codes
from .threads import in_order

HOUR_NS = 3_600_000_000_000
REPEAT_WINDOW = np.timedelta64(7, "D")

#: Largest share of a duration KPI's eligible tickets still open at the as-of
#: time for its value to be assessed (see the module docstring and :func:`assessable`).
MAX_OPEN_SHARE = 0.05

#: Duration KPIs -> the column holding their end event.
DURATION_ENDS = {"avg_first_response_hours": "first_response_at",
                 "median_first_response_hours": "first_response_at",
                 "avg_resolution_hours": "resolved_at"}


@dataclass(frozen=True)
class _Cols:
    """Ticket columns as plain numpy arrays, converted once."""

    created: np.ndarray
    frame: pd.DataFrame
    as_of: np.datetime64

    def has(self, *names: str) -> bool:
        return all(n in self.frame.columns for n in names)

    def ts(self, name: str) -> np.ndarray:
        return _as_datetime(self.frame[name])

    def num(self, name: str) -> np.ndarray:
        return _as_float(self.frame[name])


#: The ticket columns holding times.
TIME_COLUMNS = ("created_at", "first_response_at", "resolved_at", "sla_due_at")


def _wall_clock(tickets: pd.DataFrame):
    """``tickets`` with times that carry a zone (a frame built by hand, from an API)
    as wall-clock times of ``created_at``'s zone, the one periods are counted in
    (a ticket created 1 Feb 00:30 in Berlin is February's, not January's as in UTC);
    and that zone (None when no column has one).  A shallow copy when converted."""
    zoned = [c for c in TIME_COLUMNS if c in tickets.columns
             and isinstance(tickets[c].dtype, pd.DatetimeTZDtype)]
    if not zoned:
        return tickets, None
    naive = [c for c in TIME_COLUMNS if c in tickets.columns and c not in zoned
             and pd.api.types.is_datetime64_any_dtype(tickets[c].dtype)
             and tickets[c].notna().any()]
    if naive or "created_at" not in zoned:
        others = naive or ["created_at"]
        raise DataError(f"{', '.join(zoned)} carry a time zone but {', '.join(others)} do "
                        "not: give every time column the same kind (all with a zone, or "
                        "all without)", source="tickets")
    zone = tickets["created_at"].dt.tz
    out = tickets.copy(deep=False)
    for c in zoned:
        out[c] = tickets[c].dt.tz_convert(zone).dt.tz_localize(None)
    return out, zone


def _as_datetime(s: pd.Series) -> np.ndarray:
    if not pd.api.types.is_datetime64_any_dtype(s.dtype):
        raise DataError(f"column is {s.dtype}, expected timestamps; load the export with "
                        "servicekpi.load_tickets first", source="tickets")
    if getattr(s.dt, "tz", None) is not None:
        s = s.dt.tz_convert("UTC").dt.tz_localize(None)
    return s.to_numpy(dtype="datetime64[ns]")


def _as_float(s: pd.Series) -> np.ndarray:
    if isinstance(s.dtype, pd.CategoricalDtype):
        s = s.astype(object)
    try:
        return s.to_numpy(dtype=float, na_value=np.nan)
    except (TypeError, ValueError):
        raise DataError(f"column '{s.name}' holds {s.dtype} values, expected numbers or "
                        "booleans; load the export with servicekpi.load_tickets first",
                        source="tickets") from None


# Each KPI: columns needed, and a function returning (value, n, numerator[, sd]) per group.
# ``agg`` is an _Agg bound to the group codes.
_KPIS: dict[str, tuple[tuple[str, ...], Callable]] = {}


def _kpi(name: str, *needs: str):
    def register(fn):
        _KPIS[name] = (needs, fn)
        return fn
    return register


class _Agg:
    """Sums and counts per group with np.bincount: no Python per group."""

    def __init__(self, groups: np.ndarray, size: int):
        self.g = groups
        self.size = size

    def count(self, mask=None) -> np.ndarray:
        return self._count(self.g if mask is None else self.g[mask])

    def _count(self, g: np.ndarray) -> np.ndarray:
        return np.bincount(g, minlength=self.size).astype(float)

    def mean(self, x: np.ndarray):
        """Mean per group, with the sample standard deviation (two-pass, exact).
        Each ticket-long array is made once (at 10M tickets, 80 MB each)."""
        ok = ~np.isnan(x)
        g, xs = self.g[ok], x[ok]
        n = self._count(g)
        s = np.bincount(g, weights=xs, minlength=self.size)
        with np.errstate(invalid="ignore", divide="ignore"):
            mean = np.where(n > 0, s / n, np.nan)
            xs -= mean[g]           # xs is a copy: the deviations, squared in place
            xs *= xs
            ss = np.bincount(g, weights=xs, minlength=self.size)
            sd = np.where(n > 1, np.sqrt(ss / (n - 1)), np.nan)
        return mean, n, None, sd

    def median(self, x: np.ndarray):
        ok = ~np.isnan(x)
        n = self.count(ok)
        med = pd.Series(x[ok]).groupby(self.g[ok]).median()
        out = np.full(self.size, np.nan)
        out[med.index.to_numpy()] = med.to_numpy()
        return out, n, None

    def rate(self, hit: np.ndarray, known: np.ndarray):
        """Share of ``hit`` among ``known`` rows (``hit`` may be NaN where unknown)."""
        g = self.g[known]
        n = self._count(g)
        num = np.bincount(g, weights=(hit[known] == 1).astype(float), minlength=self.size)
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.where(n > 0, num / n, np.nan), n, num


def _ended(c: _Cols, column: str) -> tuple[np.ndarray, np.ndarray]:
    """(end timestamps, whether the end is known at the as-of time)."""
    end = c.ts(column)
    return end, ~np.isnat(end) & (end <= c.as_of)


def _hours(c: _Cols, later: str) -> np.ndarray:
    end, known = _ended(c, later)
    hours = (end - c.created).view(np.int64) / HOUR_NS    # one new array, filled in place
    hours[~known] = np.nan
    return hours


def _eligible(c: _Cols, kpi: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(eligible tickets of the duration ``kpi``, whether their end is known, the end
    times): see the module docstring."""
    column = DURATION_ENDS[kpi]
    end, done = _ended(c, column)
    eligible = np.ones(len(c.created), bool)
    if c.has("abandoned"):
        eligible &= ~(c.num("abandoned") == 1)
    if column == "first_response_at" and c.has("resolved_at"):
        _, resolved = _ended(c, "resolved_at")
        eligible &= done | ~resolved          # resolved without a reply: none will come
    return eligible, done, end


def _open_share(c: _Cols, agg: "_Agg", kpi: str) -> tuple[np.ndarray, np.ndarray | None]:
    """Per group: eligible tickets still without ``kpi``'s end event / eligible
    tickets (see the module docstring), NaN where none is eligible; and the value
    the KPI will have at least (:func:`_at_least`), None for a KPI without one."""
    eligible, done, end = _eligible(c, kpi)
    n = agg.count(eligible)
    open_ = eligible & ~done
    still_open = agg.count(open_)
    with np.errstate(invalid="ignore", divide="ignore"):
        share = np.where(n > 0, still_open / n, np.nan)
    bound = (_at_least(c, agg, done, end, open_, still_open > 0)
             if kpi in BOUNDED_BELOW else None)
    return share, bound


#: Duration KPIs whose final value a lower bound is known of while tickets are open
#: (:func:`_at_least`).  Not the first-response KPIs: a ticket still waiting for a
#: reply may be resolved without one and leave their tickets, taking its wait along.
BOUNDED_BELOW = frozenset({"avg_resolution_hours"})


def _at_least(c: _Cols, agg: "_Agg", done, end, open_, open_groups) -> np.ndarray:
    """Per group with tickets still open: the mean resolution time with each open
    ticket (not abandoned: it will be resolved) taken at its age at the as-of time,
    an abandoned one still open at 0 h, beside the tickets the value averages
    (every resolved one).  An open ticket's time can only grow: the value the KPI
    will have at least once they are all resolved.  NaN elsewhere (the value is final).  Sums per group (bincount): no
    pass over the tickets beyond the value's own."""
    out = np.full(agg.size, np.nan)
    if not open_groups.any():
        return out
    hours = np.zeros(len(c.created))
    hours[done] = (end[done] - c.created[done]).view(np.int64) / HOUR_NS
    hours[open_] = (c.as_of - c.created[open_]).astype("timedelta64[ns]").view(np.int64) \
        / HOUR_NS
    # every ticket: an abandoned one still open may yet be closed, in no time, so it
    # is counted at 0 h (a mean with it at 0 h is no higher than with it at any time,
    # nor than one without it)
    total = np.bincount(agg.g, weights=hours, minlength=agg.size)
    n = agg.count()
    with np.errstate(invalid="ignore", divide="ignore"):
        out[open_groups] = (total / n)[open_groups]
    return out


#: KPIs whose value for one team depends on other teams' tickets too: a customer's
#: next contact with any team, abandonment counted in the channels where any
#: contact of the export was abandoned, self-service counted where any contact
#: of the export was self-service.
ACROSS_TEAMS = frozenset({"repeat_contact_rate", "abandonment_rate", "self_service_rate"})

#: Columns an export's tickets may carry (as a report loads them:
#: :func:`with_across_teams`), and so each part of it (one team's prepared
#: tickets, :func:`servicekpi.report.inputs.prepare`), so that the KPIs of
#: :data:`ACROSS_TEAMS` come out of a part as out of the whole export: per ticket,
#: whether the customer came back within the window (1, 0, NaN), whether its
#: abandoned flag is counted and whether its channel is.  Written by
#: :func:`across_teams`; the channels' rule is in ``attrs["abandonment_channels"]``.
REPEAT_HIT = "__servicekpi_repeat_hit"
ABANDONMENT_COUNTED = "__servicekpi_abandonment_counted"
SELF_SERVICE_COUNTED = "__servicekpi_self_service_counted"


def across_teams(tickets: pd.DataFrame) -> tuple[dict[str, np.ndarray], dict]:
    """What a part of ``tickets`` must carry to compute the KPIs of
    :data:`ACROSS_TEAMS` as ``tickets`` as a whole does: the columns
    :data:`REPEAT_HIT`, :data:`ABANDONMENT_COUNTED` and
    :data:`SELF_SERVICE_COUNTED` (those the export allows) and the attributes
    to set on the part."""
    columns, attrs = {}, {}
    if "customer_id" in tickets.columns:
        columns[REPEAT_HIT] = repeat_contacts(tickets["customer_id"],
                                              _as_datetime(tickets["created_at"]))
    rule = abandonment_channels(tickets)
    if rule is not None:
        columns[ABANDONMENT_COUNTED] = rule[0]
        attrs["abandonment_channels"] = rule[1]
    if "channel" in tickets.columns:
        columns[SELF_SERVICE_COUNTED] = self_service_counted(tickets)
    return columns, attrs


def with_across_teams(tickets: pd.DataFrame) -> pd.DataFrame:
    """``tickets`` (a whole export) carrying the columns of :func:`across_teams`
    and their attributes: a shallow copy, ``tickets`` itself when it carries them
    already.  KPIs computed from it are those of ``tickets``
    (:func:`compute_kpis` takes each ticket's part from the columns instead of
    working it out again), and so are those of any part of it.  The columns are
    trusted only with the mark this function leaves in ``attrs`` (``CARRIED``):
    frames joined by ``pd.concat`` (their attrs differ, and are dropped) or read
    back from a CSV are worked out again, as a whole."""
    if carries_across_teams(tickets):
        return tickets
    stale = [c for c in CARRIED_COLUMNS if c in tickets.columns]
    # worked out without them: across_teams would take a stale copy's rule
    carried = tickets.drop(columns=stale) if stale else tickets.copy(deep=False)
    columns, attrs = across_teams(carried)
    for name, values in columns.items():
        carried[name] = values
    carried.attrs = {**tickets.attrs, **attrs, CARRIED: True}
    return carried


#: The columns :func:`with_across_teams` adds, and the mark in ``attrs`` that they
#: were worked out for the frame they are part of.
CARRIED_COLUMNS = (REPEAT_HIT, ABANDONMENT_COUNTED, SELF_SERVICE_COUNTED)
CARRIED = "across_teams"


def carries_across_teams(tickets: pd.DataFrame) -> bool:
    """Whether ``tickets`` carry the columns of :func:`with_across_teams` worked out
    for the export they are part of (its mark in ``attrs``, every column the export
    allows present)."""
    wanted = ([REPEAT_HIT] if "customer_id" in tickets.columns else []) + (
        [ABANDONMENT_COUNTED] if {"abandoned", "channel"} <= set(tickets.columns) else []) + (
        [SELF_SERVICE_COUNTED] if "channel" in tickets.columns else [])
    return bool(tickets.attrs.get(CARRIED)) and all(c in tickets.columns for c in wanted)


@_kpi("volume")
def _volume(c, agg):
    n = agg.count()
    return n, n, None


@_kpi("avg_first_response_hours", "first_response_at")
def _avg_frt(c, agg):
    return agg.mean(_hours(c, "first_response_at"))


@_kpi("median_first_response_hours", "first_response_at")
def _median_frt(c, agg):
    return agg.median(_hours(c, "first_response_at"))


@_kpi("avg_resolution_hours", "resolved_at")
def _avg_res(c, agg):
    return agg.mean(_hours(c, "resolved_at"))


@_kpi("fcr_rate", "resolved_at", "contacts")
def _fcr(c, agg):
    contacts = c.num("contacts")
    known = ~np.isnat(c.ts("resolved_at")) & ~np.isnan(contacts)
    return agg.rate((contacts == 1).astype(float), known)


def sla_outcome(c: _Cols) -> np.ndarray:
    """Per ticket: 1 met, 0 missed, NaN no SLA information (see module doc)."""
    met = c.num("sla_met") if c.has("sla_met") else np.full(len(c.created), np.nan)
    if c.has("sla_met", "resolved_at"):
        # "met" on a ticket still open at the as-of time is not an outcome yet (the
        # systems keep it true until the SLA breaches): left out, as one not yet due
        _, resolved = _ended(c, "resolved_at")
        met = np.where((met == 1) & ~resolved, np.nan, met)
    if c.has("sla_due_at"):
        due = c.ts("sla_due_at")
        todo = np.isnan(met) & ~np.isnat(due)
        if c.has("resolved_at"):
            res = c.ts("resolved_at")
            resolved = ~np.isnat(res)
        else:
            res = np.full(len(due), np.datetime64("NaT"), "datetime64[ns]")
            resolved = np.zeros(len(due), bool)
        met = met.copy()
        done = todo & resolved
        met[done] = (res[done] <= due[done]).astype(float)
        overdue = todo & ~resolved & (due < c.as_of)
        met[overdue] = 0.0
    return met


@_kpi("sla_attainment", "sla_met|sla_due_at")
def _sla(c, agg):
    met = sla_outcome(c)
    return agg.rate(met, ~np.isnan(met))


@_kpi("reopen_rate", "resolved_at", "reopened")
def _reopen(c, agg):
    reopened = c.num("reopened")
    known = ~np.isnat(c.ts("resolved_at")) & ~np.isnan(reopened)
    return agg.rate(reopened, known)


@_kpi("csat_score", "csat")
def _csat(c, agg):
    return agg.mean(c.num("csat"))


@_kpi("csat_pct", "csat|satisfied")
def _csat_pct(c, agg):
    """Share of satisfied answers: csat 4 or 5 where a 1-5 answer is given, else a
    yes/no rating (``satisfied``, e.g. Zendesk's Good/Bad)."""
    n = len(c.created)
    x = c.num("csat") if c.has("csat") else np.full(n, np.nan)
    hit = np.where(np.isnan(x), np.nan, (x >= 4).astype(float))
    if c.has("satisfied"):
        yes_no = c.num("satisfied")
        hit = np.where(np.isnan(hit), yes_no, hit)
    return agg.rate(hit, ~np.isnan(hit))


@_kpi("nps", "nps")
def _nps(c, agg):
    x = c.num("nps")
    known = ~np.isnan(x)
    score = np.where(x >= 9, 1.0, np.where(x <= 6, -1.0, 0.0))
    value, n, _, sd = agg.mean(np.where(known, score, np.nan))
    return value * 100.0, n, None, sd * 100.0


@_kpi("ces_score", "ces")
def _ces(c, agg):
    return agg.mean(c.num("ces"))


def _flag_rate(column):
    def fn(c, agg):
        x = c.num(column)
        return agg.rate(x, ~np.isnan(x))
    return fn


_kpi("complaint_rate", "is_complaint")(_flag_rate("is_complaint"))


def abandonment_channels(tickets: pd.DataFrame) -> tuple[np.ndarray, dict] | None:
    """Which tickets abandonment is taken over, when the export has a channel.

    Returns (per ticket: counted, {"counted": [...], "left_out": [...]}) or
    None without ``channel`` and ``abandoned`` columns.  A part of an export
    that carries :data:`ABANDONMENT_COUNTED` (:func:`across_teams`): the rule of
    the whole export.  Counted: the
    abandoned flag is known and the ticket's channel is one in which at least
    one contact of the whole export was abandoned, or is empty; left out:
    channels with known flags and no abandoned contact (see the module
    docstring).
    """
    if not {"abandoned", "channel"} <= set(tickets.columns):
        return None
    if ABANDONMENT_COUNTED in tickets.columns:    # part of an export: its rule
        counted = tickets[ABANDONMENT_COUNTED].to_numpy(dtype=bool)
        rule = tickets.attrs.get("abandonment_channels")
        if rule is None:   # the names went with the attributes: those of these tickets
            channel = tickets["channel"].astype("string")
            known = ~np.isnan(_as_float(tickets["abandoned"]))
            named = channel.notna().to_numpy()
            counted_names = set(channel[counted & named])
            rule = {"counted": sorted(counted_names),
                    "left_out": sorted(set(channel[known & named]) - counted_names)}
        return counted, rule
    flag = _as_float(tickets["abandoned"])
    codes, names = pd.factorize(tickets["channel"], sort=True)
    names = [str(x) for x in names]
    known = ~np.isnan(flag)
    named = codes >= 0
    queued = np.bincount(codes[named & (flag == 1)], minlength=len(names)) > 0
    flagged = np.bincount(codes[named & known], minlength=len(names)) > 0
    counted = known & ~named
    counted[named] |= known[named] & queued[codes[named]]
    return counted, {"counted": [x for x, q in zip(names, queued) if q],
                     "left_out": [x for x, q, f in zip(names, queued, flagged) if f and not q]}


@_kpi("abandonment_rate", "abandoned")
def _abandonment(c, agg):
    x = c.num("abandoned")
    rule = abandonment_channels(c.frame)
    return agg.rate(x, ~np.isnan(x) if rule is None else rule[0])


def _self_service_hits(channel: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """Per ticket: self-service (1.0 / 0.0) and channel known."""
    if isinstance(channel.dtype, pd.CategoricalDtype):  # compare codes, not strings
        codes = channel.cat.codes.to_numpy()
        cats = list(channel.cat.categories)
        target = cats.index("self_service") if "self_service" in cats else -2
        return (codes == target).astype(float), codes >= 0
    return ((channel.astype(object) == "self_service").to_numpy(dtype=float),
            channel.notna().to_numpy())


def self_service_counted(tickets: pd.DataFrame) -> np.ndarray:
    """Per ticket: its channel counts in self-service rate: known, in an export where
    some ticket is self-service (see the module docstring).  A part of an export that
    carries :data:`SELF_SERVICE_COUNTED` (:func:`across_teams`): the whole export's."""
    if SELF_SERVICE_COUNTED in tickets.columns:
        return tickets[SELF_SERVICE_COUNTED].to_numpy(dtype=bool)
    hit, known = _self_service_hits(tickets["channel"])
    return known & bool((hit == 1).any())


@_kpi("self_service_rate", "channel")
def _self_service(c, agg):
    hit, _ = _self_service_hits(c.frame["channel"])
    return agg.rate(hit, self_service_counted(c.frame))


def repeat_contacts(customer: pd.Series, created: np.ndarray) -> np.ndarray:
    """Per ticket: 1.0 if the same customer opens another ticket within 7 days
    after it, 0.0 if not, NaN when the customer is unknown."""
    codes, _ = pd.factorize(customer, sort=False)
    if len(created) > 1 and (created[1:] >= created[:-1]).all():
        # in time order (as loaded): a ticket's next one of the same customer is the
        # next row of the customer's group, found in one pass without a sort
        later = pd.Series(created).groupby(codes, sort=False).shift(-1).to_numpy()
        hit = ((later - created) <= REPEAT_WINDOW).astype(float)   # NaT: none later
    else:
        order = np.lexsort((created, codes))   # by customer, then time (ties: row order)
        cs, ts = codes[order], created[order]
        hit_sorted = np.zeros(len(order), float)
        if len(order) > 1:
            same = cs[1:] == cs[:-1]
            hit_sorted[:-1] = same & ((ts[1:] - ts[:-1]) <= REPEAT_WINDOW)
        hit = np.empty(len(order), float)
        hit[order] = hit_sorted
    hit[codes < 0] = np.nan
    return hit


@_kpi("repeat_contact_rate", "customer_id")
def _repeat(c, agg):
    hit = (c.frame[REPEAT_HIT].to_numpy(dtype=float) if REPEAT_HIT in c.frame.columns
           else repeat_contacts(c.frame["customer_id"], c.created))
    known = ~np.isnan(hit) & (c.created + REPEAT_WINDOW <= c.as_of)
    return agg.rate(hit, known)


@_kpi("aht_minutes", "handle_minutes")
def _aht(c, agg):
    return agg.mean(c.num("handle_minutes"))


#: KPIs an export may have the columns of and still not measure, by a rule over the
#: whole export: abandonment without a queued channel, self-service without a
#: self-service channel (NaN, n 0, for every team: see the module docstring).
RULED_OUT = ("abandonment_rate", "self_service_rate")


def measured_kpis(kpis: pd.DataFrame) -> set[str]:
    """The KPIs a long KPI table's data measure: those it has rows of (the export has
    their columns, or a KPI table gives them), less those a rule makes n/a for the
    whole export (``attrs["not_measured"]``, :func:`compute_kpis`).  A KPI measured
    but without a value yet (a survey no one has answered, repeat contacts of an
    export a few days old) is measured."""
    if "kpi" not in kpis.columns:
        return set()
    return set(kpis["kpi"].astype(str).unique()) - set(kpis.attrs.get("not_measured") or ())


def too_small(rows: pd.DataFrame, min_n: int) -> np.ndarray:
    """Which rows of a long KPI table would hold a value on fewer than ``min_n``
    observations even once every ticket is closed, so that no peer comparison
    would use them, closed or not: the team's tickets in the period (its
    ``volume`` row), else, for a row with tickets still open, its ``n`` closed
    ones over the share closed (``open_share``), are fewer than ``min_n``.
    Unknown (every ticket open, and no volume): not too small."""
    n = pd.to_numeric(rows["n"], errors="coerce").to_numpy(dtype=float, na_value=np.nan) \
        if "n" in rows.columns else np.full(len(rows), np.nan)
    if "open_share" in rows.columns:
        closed = 1 - rows["open_share"].to_numpy(dtype=float, na_value=np.nan)
        with np.errstate(invalid="ignore", divide="ignore"):
            # a row with tickets open: its closed ones over the share closed; a
            # row without open_share (a rate, a count): its own n
            n = np.where(np.isfinite(closed), np.where(closed > 0, n / closed, np.nan), n)
    volume = rows[(rows["kpi"] == "volume").to_numpy()] if "kpi" in rows.columns else rows[:0]
    if len(volume):
        count = volume.set_index(["team", "period"])["value"]
        count = count[~count.index.duplicated()].reindex(
            pd.MultiIndex.from_arrays([rows["team"], rows["period"]]))
        n = np.where(count.notna().to_numpy(), count.to_numpy(dtype=float, na_value=np.nan), n)
    return n < min_n


def too_few(rows: pd.DataFrame, min_n: int) -> np.ndarray:
    """Which rows of a long KPI table hold a value on fewer than ``min_n``
    observations (``n`` known; a table without ``n``: none), which no peer
    comparison uses (:mod:`servicekpi.benchmarking`)."""
    if "n" not in rows.columns:
        return np.zeros(len(rows), bool)
    n = pd.to_numeric(rows["n"], errors="coerce").to_numpy(dtype=float, na_value=np.nan)
    return n < min_n


def table_freq(kpis: pd.DataFrame) -> str | None:
    """``"month"``, ``"week"`` or ``"quarter"``: the kind of period of a long KPI
    table (its ``attrs["freq"]``, else its ``period`` column's); None when the
    column holds no periods."""
    freq = kpis.attrs.get("freq")
    if freq in FREQS:
        return freq
    dtype = kpis["period"].dtype if "period" in kpis.columns else None
    if isinstance(dtype, pd.PeriodDtype):
        for name, code in FREQS.items():
            if pd.Period("2000-01-01", code).freqstr == pd.Period("2000-01-01",
                                                                    dtype.freq).freqstr:
                return name
    return None


def assessed_period(kpis: pd.DataFrame, period=None, *, team: str | None = None
                    ) -> pd.Period:
    """The period an assessment of ``kpis`` is for.

    ``period`` given: read as a period of the table's kind
    (:func:`servicekpi.periods.parse_period`: "2026-06", a date inside it;
    "June" is refused, not read as June of the year 1).  Default: the latest
    period with a value (``team``'s, when given), but not the period the
    export ends inside (``attrs["partial"]``, :func:`compute_kpis`) while an
    earlier one has a value: a deadline in a month 13 days old is neither met
    nor missed yet.

    Raises
    ------
    InvalidArgument
        A ``period`` that is not one of the table's kind; no value to assess
        (an empty table, or ``team`` without a value); a ``period`` column of
        text, not periods (a KPI table read back from a CSV with pandas).
    """
    if "period" in kpis.columns and len(kpis) \
            and not isinstance(kpis["period"].dtype, pd.PeriodDtype):
        raise InvalidArgument(
            f"the KPI table's period column holds {kpis['period'].dtype} values such as "
            f"{kpis['period'].iloc[0]!r}, not periods: read a KPI table with "
            "servicekpi.load_kpi_table, or parse the column, e.g. kpis['period'] = "
            "pd.PeriodIndex(kpis['period'], freq='M') (and leave out the rows whose "
            "'complete' is False: a period the export ends inside)")
    freq = table_freq(kpis)
    if period is not None:
        if freq is None:
            return pd.Period(period) if not isinstance(period, pd.Period) else period
        try:
            return parse_period(period, freq)
        except ValueError as exc:
            raise InvalidArgument(f"period {period!r}: {exc}; write it as a {freq} of the "
                                  f"KPI table, e.g. {label(kpis['period'].max())}"
                                  if len(kpis) else f"period {period!r}: {exc}") from None
    rows = kpis[kpis["value"].notna()] if "value" in kpis.columns else kpis.iloc[:0]
    if team is not None:
        rows = rows[rows["team"] == team]
    if not len(rows):
        whose = f" for team {team!r}" if team is not None else ""
        raise InvalidArgument(f"the KPI table has no value{whose}: no period to assess")
    latest = rows["period"].max()
    part = kpis.attrs.get("partial")
    if part is not None and freq is not None and latest == parse_period(part, freq):
        earlier = rows.loc[rows["period"] < latest, "period"]
        if len(earlier):
            return earlier.max()
    return latest


def assessable(kpis: pd.DataFrame, *, max_open_share: float = MAX_OPEN_SHARE) -> pd.DataFrame:
    """The rows of a KPI table usable for assessment.

    Drops the rows whose ``open_share`` exceeds ``max_open_share``: duration
    KPIs of periods with too many tickets still open (see the module
    docstring; :func:`incomplete`).  Rows with ``open_share`` NaN (other KPIs,
    KPI-table rows) are kept; a frame without the column is returned unchanged.
    """
    if "open_share" not in kpis.columns:
        return kpis
    return kpis[~incomplete(kpis, max_open_share=max_open_share)]


def incomplete(kpis: pd.DataFrame, *, max_open_share: float = MAX_OPEN_SHARE) -> np.ndarray:
    """Per row of a KPI table: whether :func:`assessable` drops it (a duration of
    a period in which more than ``max_open_share`` of its tickets are still open)."""
    if "open_share" not in kpis.columns:
        return np.zeros(len(kpis), bool)
    return kpis["open_share"].to_numpy(dtype=float) > max_open_share


#: Every KPI the engine computes from tickets, in report order.
TICKET_KPIS = tuple(_KPIS)


def available_kpis(columns) -> list[str]:
    """KPIs computable from an export with these columns."""
    cols = set(columns)
    return [k for k, (needs, _) in _KPIS.items()
            if all(any(alt in cols for alt in need.split("|")) for need in needs)]


#: The segment value of tickets whose segment column is empty.
MISSING_SEGMENT = "(missing)"


def compute_kpis(tickets: pd.DataFrame, *, freq: str = "month", as_of=None,
                 kpi_list=None, by: str | None = None) -> pd.DataFrame:
    """Compute every available KPI per team and period.

    Parameters
    ----------
    tickets : DataFrame
        Canonical ticket columns, as returned by :func:`servicekpi.load_tickets`.
    freq : {"month", "week", "quarter"}
        Kind of period a ticket counts in (by its ``created_at``).
    as_of : timestamp, optional
        Time of the export, deciding which open tickets are overdue and
        which repeat-contact windows are complete.  Default: the loader's
        as-of, else the latest timestamp in the export.
    kpi_list : list of str, optional
        Compute only these KPIs (default: all available).
    by : str, optional
        A ticket column (channel, category, priority, a customer tier, ...)
        to split every team's KPIs by; the result gets that column after
        ``team``, with ``(missing)`` for tickets where it is empty.  Repeat
        contacts still look across all of a customer's tickets.

    Returns
    -------
    DataFrame
        Columns ``team, period, kpi, value, n, numerator, sd, open_share,
        at_least``;
        ``numerator`` is set for rates (value = numerator / n), ``sd`` (the
        sample standard deviation of the values averaged) for means; both
        are NaN otherwise.  They carry what confidence intervals need.
        ``open_share``: for the duration KPIs, the share of their eligible
        tickets still open at the as-of time (NaN otherwise; see the module
        docstring and :func:`assessable`); ``at_least``: for the resolution
        time (:data:`BOUNDED_BELOW`) where tickets are still open, the value
        it will have at least once they are resolved (each taken at its age
        at the as-of time), NaN elsewhere.  ``attrs["abandonment"]``: the
        channels abandonment is counted over and those left out, when the
        export has ``channel`` and ``abandoned`` columns; ``attrs["freq"]``:
        ``freq``; ``attrs["not_measured"]``: the KPIs of :data:`RULED_OUT` a
        rule makes n/a for the whole export; ``attrs["partial"]``: the label of the last period when the
        export ends inside it (:func:`servicekpi.periods.partial_period`: the
        as-of time given or declared to the loader, else the end of the day
        of the export's latest timestamp), else None.  The gap table, the
        scorecard and the comparisons assess the latest period *before* it
        unless told a period (:func:`assessed_period`): a deadline in a month
        13 days old is not yet met or missed.

    Raises
    ------
    DataError
        ``team`` or ``created_at`` missing or with empty cells, or ``by`` not a
        column of ``tickets``.
    InvalidArgument
        An unknown ``freq``, a name in ``kpi_list`` the engine does not compute,
        or ``by`` one of ``team``, ``created_at``, ``ticket_id``; an ``as_of``
        before tickets were created (what was known then is the export loaded
        with ``load_tickets(..., as_of=...)``, which leaves out later tickets
        and later updates).
    """
    columns = ["team", "period", "kpi", "value", "n", "numerator", "sd", "open_share",
               "at_least"]
    expect_frame(tickets, "tickets", "a ticket frame from servicekpi.load_tickets (load the "
                 "export with it first)")
    for col in ("team", "created_at"):
        if col not in tickets.columns:
            raise DataError(f"required column '{col}' is missing", source="tickets")
    freq_of(freq)
    if not tickets.attrs.get(CARRIED):    # columns not worked out for this frame: ignored
        stale = [c for c in CARRIED_COLUMNS if c in tickets.columns]
        if stale:
            tickets = tickets.drop(columns=stale)
    tickets, zone = _wall_clock(tickets)
    chosen = available_kpis(tickets.columns)
    if isinstance(kpi_list, str):       # one KPI, not its letters
        kpi_list = [kpi_list]
    if kpi_list is not None:
        unknown = [k for k in kpi_list if k not in _KPIS]
        if unknown:
            raise InvalidArgument(f"unknown KPI(s) {unknown}; the engine computes "
                                  f"{list(_KPIS)}")
        chosen = [k for k in chosen if k in kpi_list]
        if not chosen:
            cols = set(tickets.columns)

            def lacks(k):
                return ", ".join(n.replace("|", " or ") for n in _KPIS[k][0]
                                 if not any(a in cols for a in n.split("|")))
            raise InvalidArgument("none of the KPIs asked for can be computed from these "
                                  "tickets: " + "; ".join(f"{k} needs {lacks(k)}"
                                                          for k in kpi_list)
                                  + ", which they do not have")
    created = _as_datetime(tickets["created_at"])
    if np.isnat(created).any():
        raise DataError("created_at has empty cells; load the export with "
                        "servicekpi.load_tickets first", source="tickets")
    if len(tickets) == 0:
        return pd.DataFrame({c: [] for c in columns}).astype(
            {"value": float, "n": float, "numerator": float, "sd": float,
             "open_share": float, "at_least": float})

    team = tickets["team"]
    if by is not None:
        shown = [str(c) for c in tickets.columns if c not in CARRIED_COLUMNS]
        if by not in shown:
            raise DataError(f"cannot split KPIs by '{by}': no such column (columns: "
                            f"{', '.join(shown)})", source="tickets")
        if by in ("team", "created_at", "ticket_id"):
            raise InvalidArgument(f"cannot split KPIs by {by!r}: it is what KPIs are "
                                  "grouped by already, or an id")
        seg = tickets[by].astype("string").fillna(MISSING_SEGMENT)
        team = pd.Series(team.astype(str).to_numpy(), dtype="string") + "\x1f" + seg.to_numpy()
    if isinstance(team.dtype, pd.CategoricalDtype):
        team_codes = team.cat.codes.to_numpy().astype(np.int64)
        team_names = team.cat.categories.astype(str)
    else:
        team_codes, team_names = pd.factorize(team, sort=True)
        team_names = pd.Index(team_names).astype(str)
    if (team_codes < 0).any():
        raise DataError("team has empty cells; load the export with "
                        "servicekpi.load_tickets first", source="tickets")

    given = declared = as_of is not None
    if given:
        try:
            stamp = pd.Timestamp(as_of)
        except (TypeError, ValueError):
            raise InvalidArgument(f"as_of {as_of!r} is not a time; write it year first, "
                                  "e.g. '2024-03-10 18:00'") from None
        if pd.isna(stamp):
            raise InvalidArgument(f"as_of {as_of!r} is not a time")
    else:
        as_of = tickets.attrs.get("as_of")
        declared = bool(tickets.attrs.get("as_of_declared"))
    if as_of is None or pd.isna(as_of):
        stamps = [created.max()] + [
            np.nanmax(_as_datetime(tickets[c])) for c in ("first_response_at", "resolved_at")
            if c in tickets.columns and tickets[c].notna().any()]
        as_of = max(stamps)
    stamp = pd.Timestamp(as_of)
    if stamp.tzinfo is not None:        # on the tickets' wall clock (none: its own)
        stamp = (stamp.tz_convert(zone) if zone is not None else stamp).tz_localize(None)
    as_of = np.datetime64(stamp, "ns")
    if given and as_of < created.max():
        raise InvalidArgument(
            f"as_of {stamp} is before the latest ticket ({pd.Timestamp(created.max())}): "
            "tickets created later would count, with updates made after it; load "
            "the export as it was then with load_tickets(..., as_of=...)")

    pc = period_codes(created, freq)
    p0 = pc.min()
    # every team's periods run to the last ticket of the tickets given: a team quiet
    # since its own last one had no ticket in the periods after it (volume 0)
    end = int(pc.max())
    n_periods = int(end - p0 + 1)
    pc -= p0                                    # each period's place in the span
    groups = team_codes * n_periods
    groups += pc
    size = len(team_names) * n_periods
    agg = _Agg(groups, size)
    cols = _Cols(created=created, frame=tickets, as_of=as_of)

    # each team's span of periods: its first ticket's to the export's last
    first = np.full(len(team_names), np.iinfo(np.int64).max)
    last = np.full(len(team_names), end - p0)
    np.minimum.at(first, team_codes, pc)
    del pc, team_codes      # not needed by the KPIs: 160 MB at 10M tickets
    t_idx = np.repeat(np.arange(len(team_names)), n_periods)
    p_idx = np.tile(np.arange(n_periods), len(team_names))
    live = (p_idx >= first[t_idx]) & (p_idx <= last[t_idx])
    keep = np.flatnonzero(live)

    def one(name):
        value, n, num, *rest = _KPIS[name][1](cols, agg)
        sd = rest[0] if rest else None
        still_open, at_least = (_open_share(cols, agg, name) if name in DURATION_ENDS
                                else (None, None))
        return pd.DataFrame({
            "t": t_idx[keep], "p": p_idx[keep], "kpi": name,
            "value": value[keep], "n": n[keep],
            "numerator": np.nan if num is None else num[keep],
            "sd": np.nan if sd is None else sd[keep],
            "open_share": np.nan if still_open is None else still_open[keep],
            "at_least": np.nan if at_least is None else at_least[keep]})

    # the KPIs side by side on the cores (the threads only read the tickets).
    # Repeat contacts first when they are worked out here: they take longest (a
    # pass over the customers), the others fit beside them.
    slow = [k for k in chosen if k == "repeat_contact_rate" and REPEAT_HIT not in tickets]
    order = slow + [k for k in chosen if k not in slow]
    done = dict(zip(order, list(in_order(one, order, keep_all=True))))
    parts = [done.pop(k) for k in chosen]
    out = pd.concat(parts, ignore_index=True)
    out = out.sort_values(["t", "p"], kind="stable").reset_index(drop=True)
    result = pd.DataFrame({
        "team": team_names[out["t"].to_numpy()],
        "period": pd.Series(from_codes(out["p"].to_numpy() + p0, freq)),
        "kpi": out["kpi"].to_numpy(),
        "value": out["value"].to_numpy(),
        "n": out["n"].to_numpy(),
        "numerator": out["numerator"].to_numpy(),
        "sd": out["sd"].to_numpy(),
        "open_share": out["open_share"].to_numpy(dtype=float),
        "at_least": out["at_least"].to_numpy(dtype=float),
    })
    if by is not None:
        parts = result["team"].str.split("\x1f", n=1, expand=True)
        result["team"] = parts[0].to_numpy()
        result.insert(1, by, parts[1].to_numpy())
    result.attrs["freq"] = freq
    # KPIs the export has the columns of, that a rule makes n/a for all of it
    result.attrs["not_measured"] = [
        k for k in RULED_OUT if k in chosen
        and not (result["n"].to_numpy()[(result["kpi"] == k).to_numpy()] > 0).any()]
    part = partial_period(coverage_end(pd.Timestamp(as_of), declared=declared), freq,
                          from_codes([end], freq)[0])
    result.attrs["partial"] = None if part is None else label(part)
    if "abandonment_rate" in chosen:
        rule = abandonment_channels(tickets)
        if rule is not None:
            result.attrs["abandonment"] = rule[1]
    return result
