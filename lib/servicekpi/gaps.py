"""Gap analysis: where each team stands against its targets, and whether it
will meet them.

:func:`gap_table` gives one row per target (team and KPI).  Every sign is
direction-aware: ``gap`` is positive while there is still distance to go,
whether the KPI should rise (FCR) or fall (response time).

A target asks one question: will the KPI's value *in the deadline period*
be at or better than the target?  The status answers it (a
:class:`servicekpi.status.Status` code); ``rule`` is the code of the branch
that applied (:data:`RULES`), and :func:`why` puts it in words, in English
or Chinese, with the numbers behind it.

Only the assessable rows count (:func:`servicekpi.kpis.assessable`): a
duration period with too many tickets still open is incomplete, and is left
out of statuses and forecasts (``left_out`` lists those periods; :func:`why`
names the first :data:`SHOWN_LEFT_OUT` of them).  The *current* value is the
latest assessable one; once the deadline has passed, the deadline period's
(the value the target was about, the one that decides its status), so that
the row's gap, progress and "better now" agree with its status and score
(and it has no recent pace: none is asked of it any more).

1. ``insufficient_data`` -- no value at or before the assessed period
   (``rule`` ``no_value``); ``not_measured`` when the data do not measure
   the KPI (:func:`servicekpi.kpis.measured_kpis`: a column it needs is
   missing, or a rule makes it n/a, self-service without a self-service
   channel in the export), so no wait will assess it; ``unknown_team`` when
   the table has no row of the target's team at all (a targets file of
   another export, a team written another way).
2. The deadline period is at or before the assessed period (the deadline
   has passed) and assessable: its observed value decides.  ``met`` when it
   is at or better than the target (``deadline_met``), ``missed`` when not
   (``deadline_missed_within_ci`` / ``deadline_missed_beyond_ci``: the
   shortfall is within, or beyond, the ``level`` confidence interval of that
   value, i.e. could be noise, or not; ``deadline_missed_no_ci``).
   ``insufficient_data`` when the deadline period has no value
   (``deadline_no_value``) or rests on fewer than ``min_n`` observations
   (``deadline_few``).
   A deadline period that has a value but is left out as incomplete (too
   many of its tickets still open) is not over yet for the KPI: its status
   comes from the forecast, as in 5, simulated from the last assessable
   period before it to the deadline (``deadline_pending`` is True,
   ``deadline_open_share`` the share of its tickets still open).  What its
   tickets have taken so far bounds its value from below
   (``deadline_floor``, :func:`servicekpi.compute_kpis`' ``at_least``: a
   duration can only grow as the open tickets close): the forecast is read
   given that bound (:meth:`~servicekpi.forecast.Simulation.at_least`), so a
   median below what is already certain is never the forecast.
3. Otherwise, the current value is stale -- from more than ``max_stale``
   periods before the assessed period (say, a duration KPI whose tickets
   never close): ``insufficient_data`` (``stale``); it would drive the
   forecast from a value long gone.
4. The current value rests on fewer than ``min_n`` observations:
   ``insufficient_data`` (``few``).
5. The deadline is ahead (``rule="forecast"``, the default): the series is
   simulated once to the deadline (:func:`servicekpi.forecast.simulate`)
   and ``probability`` is the share of paths at or better than the target
   in the deadline period (``rule`` ``forecast``): ``on_track`` when it is
   at least the upper threshold (0.7), ``at_risk`` between the thresholds,
   ``off_track`` below the lower one (0.3).  A value better than the target
   *now* does not make a target met: ``better_now`` says so separately (a
   seasonal low now can be followed by a peak at the deadline).
6. Where no forecast can be made (too little history: ``no_forecast`` is
   the simulation's status), or with ``rule="glide"``, the glide-path rule
   decides: ``on_track`` at or ahead of the glide path, the value expected
   by now (``glide_ahead``); ``at_risk`` behind it but with a recent pace
   (OLS trend of the last ``pace_periods`` periods) that would reach the
   target by the deadline (``glide_pace``), or behind by less than the
   noise, the glide value inside the confidence interval of the current
   value (``glide_noise``); ``off_track`` otherwise (``glide_no_trend``,
   ``glide_slow``).

"met" and "missed" therefore only appear once the deadline period is
observed and complete; before that every status is a statement about the
deadline.

One simulation per target: ``probability``, ``forecast_at_deadline`` (the
median of the paths in the deadline period), ``lower_80``/``upper_80``/
``lower_95``/``upper_95`` (their central 80% and 95%), ``expected_reached``
and ``model`` come from the same :class:`~servicekpi.forecast.Simulation`,
kept in ``attrs["simulations"][(team, kpi)]`` for the report's outlook
table and fan chart.  ``expected_reached`` is the first period from which
the expected path (the last observed value, then the median path) is at or
better than the target in every period through the deadline; None means
"not by the deadline", and it is set exactly when the median forecast at
the deadline meets the target.

Confidence intervals: Wilson for proportions (KPIs with a numerator), t for
means (KPIs with a standard deviation); none otherwise (a median, or a KPI
table value without ``sd``).  ``attrs["level"]`` gives their level.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from .catalogue import Catalogue, fmt_probability, fmt_share, resolve
from .errors import InvalidArgument, expect_frame
from .kpis import MAX_OPEN_SHARE, assessed_period, measured_kpis, table_freq
from .periods import label, parse_period
from .status import Status
from .targets import PACE_PERIODS, glide_path, stated_without, trend_slope

#: Defaults of :func:`gap_table` (the report texts quote them from here):
#: probability thresholds of the forecast rule (off track below the first,
#: on track from the second), the fewest observations behind a deciding
#: value, the confidence level, and how many periods old the current value
#: may be before it is too stale to assess from.
THRESHOLDS = (0.3, 0.7)
MIN_N = 20
LEVEL = 0.95
MAX_STALE = 3

#: How many left-out periods :func:`why` names (then "+N more").
SHOWN_LEFT_OUT = 3

#: The codes of the ``rule`` column: which branch of the status rule decided
#: (see the module docstring); :func:`why` gives each in words
#: (``analysis.gaps.why.<code>`` in the message catalogue).
RULES = ("no_value", "not_measured", "unknown_team", "deadline_no_value", "deadline_few", "deadline_met",
         "deadline_met_bound", "deadline_missed_bound",
         "deadline_missed_within_ci", "deadline_missed_beyond_ci", "deadline_missed_no_ci",
         "stale", "few", "glide_ahead", "glide_pace", "glide_noise", "glide_no_trend",
         "glide_slow", "forecast")

#: The columns read from a target's simulation (NaN/None when there is none).
FORECAST_COLUMNS = ("probability", "forecast_at_deadline", "lower_80", "upper_80",
                    "lower_95", "upper_95", "expected_reached", "model")

COLUMNS = ("team", "kpi", "label", "direction", "period", "current_period", "current", "n",
           "ci_low", "ci_high", "better_now", "baseline", "baseline_period", "baseline_periods",
           "baseline_without",
           "target", "deadline", "deadline_value", "deadline_n", "glide_now", "gap", "gap_pct",
           "progress", "attainment", "periods_left", "needed_pace", "recent_pace", "projected",
           "status", "rule", "no_forecast", "deadline_pending", "deadline_open_share",
           "deadline_floor", "deadline_at_least", "history", "filled",
           "left_out", *FORECAST_COLUMNS, "weight", "owner")


class Simulations(dict):
    """``{(team, kpi): Simulation}``, shared (not copied) by the frames derived
    from a gap table: pandas deep-copies ``attrs`` on every operation, and a
    simulation is read-only, so every copy points at the same paths."""

    def __deepcopy__(self, memo):
        return self


def ci_label(level: float = LEVEL, language: str = "en") -> str:
    """A confidence interval's label with its level: ``95% CI``, ``97.5% CI``
    (zh: ``95%置信区间``)."""
    from .i18n import msg
    return msg("analysis.ci", language, level=f"{level * 100:g}%")


def check_level(level) -> None:
    """Refuse a confidence level that is no fraction strictly between 0 and 1 (95
    for 0.95 gave intervals of NaN beside statuses that still showed)."""
    try:
        ok = 0 < float(level) < 1
    except (TypeError, ValueError):
        ok = False
    if not ok:
        raise InvalidArgument(f"level must be a fraction between 0 and 1 (0.95 for 95%), "
                              f"not {level!r}")


def confidence_interval(value, n, *, numerator=np.nan, sd=np.nan, level: float = LEVEL,
                        bounds=None) -> tuple[float, float]:
    """CI of one KPI value: Wilson for a proportion, t for a mean, else NaNs.

    ``bounds`` (the catalogue's ``(low, high)``, either None): a t interval is
    cut to them, since the KPI's mean cannot lie outside (a mean of few,
    skewed durations: 115 min with a t interval from -155 min reads 0 to 385
    min).  Cutting changes no comparison with a value inside the bounds.
    ``level`` is a fraction (0.95), as everywhere."""
    check_level(level)
    alpha = 1 - level
    if np.isfinite(numerator) and np.isfinite(n) and n > 0:
        from statsmodels.stats.proportion import proportion_confint
        lo, hi = proportion_confint(numerator, n, alpha=alpha, method="wilson")
        return float(lo), float(hi)
    if np.isfinite(sd) and np.isfinite(n) and n > 1:
        from scipy import stats
        half = stats.t.ppf(1 - alpha / 2, n - 1) * sd / np.sqrt(n)
        low, high = bounds if bounds else (None, None)
        return (float(value - half if low is None else max(value - half, low)),
                float(value + half if high is None else min(value + half, high)))
    return np.nan, np.nan




def _assessable(kpis: pd.DataFrame, max_open_share=None) -> pd.DataFrame:
    """:func:`servicekpi.kpis.assessable`, with its own default threshold."""
    from .kpis import assessable
    return assessable(kpis) if max_open_share is None else \
        assessable(kpis, max_open_share=max_open_share)


def _num(row, col) -> float:
    v = row.get(col, np.nan)
    return float(v) if pd.notna(v) else np.nan


def gap_table(kpis: pd.DataFrame, targets: pd.DataFrame, *, period=None,
              catalogue: Catalogue | None = None, pace_periods: int = PACE_PERIODS,
              min_n: int = MIN_N,
              level: float = LEVEL, rule: str = "forecast", thresholds=THRESHOLDS,
              forecast_options: dict | None = None,
              max_open_share: float | None = None, max_stale: int = MAX_STALE,
              measured=None) -> pd.DataFrame:
    """One row per target: current value, the outlook at the deadline, and its status.

    Parameters
    ----------
    kpis : DataFrame
        Long KPI table (``team, period, kpi, value, n`` [, ``numerator``,
        ``sd``, ``open_share``]).  Only the assessable rows are used
        (:func:`servicekpi.kpis.assessable`).
    targets : DataFrame or None
        From :func:`servicekpi.load_targets`; None (no targets) gives an
        empty table with every column.
    period : period, optional
        The period assessed (default: the latest period with data, before the
        one the export ends inside: :func:`servicekpi.kpis.assessed_period`).
    catalogue : Catalogue, optional
        Directions, bounds and labels (default: the project's catalogue).
    pace_periods : int
        Periods in the recent-pace trend (:data:`servicekpi.targets.PACE_PERIODS`).
    min_n : int
        Fewer observations behind the value that decides: ``insufficient_data``.
    level : float
        Confidence level of the interval around the current (and the
        deadline) value; ``attrs["level"]``.
    rule : {"forecast", "glide"}
        While the deadline is ahead: status from the probability that the
        deadline period's value meets the target (one simulation per target),
        or from the glide path and recent pace (no simulation).
    thresholds : (low, high)
        Probability thresholds of the forecast rule.
    forecast_options : dict, optional
        Passed to :func:`servicekpi.forecast.simulate_many`, which simulates
        every target (``n_paths``, default 1000, ``method``, ``seed``,
        ``calibrate``, ``workers``: processes, see its docstring).
    max_open_share : float, optional
        Passed to :func:`servicekpi.kpis.assessable` (default: its own).
    max_stale : int
        A current value from more than this many periods before the assessed
        period is too old to assess or forecast from: ``insufficient_data``
        (unless the deadline period is observed and decides).
    measured : collection of str, optional
        The KPIs the whole data measure (default:
        :func:`servicekpi.kpis.measured_kpis` of ``kpis``; pass it when ``kpis``
        holds one team's rows).  A target without a value on another KPI is
        ``insufficient_data`` with the rule ``not_measured``.

    Returns
    -------
    DataFrame with, per target: ``period`` (the period assessed),
    ``current`` (and its ``current_period``, ``n``, ``ci_low``,
    ``ci_high``), ``better_now`` (the current value is at or better than the
    target), ``baseline``, ``target``, ``deadline``, ``deadline_value`` and
    ``deadline_n`` (observed, once the deadline has passed), ``glide_now``,
    ``gap`` and ``gap_pct`` (positive = still to go; percent of the target),
    ``progress`` (share of the baseline-to-target distance covered),
    ``attainment`` (current / target, inverted for lower-is-better KPIs;
    only when both are positive), ``periods_left``, ``needed_pace``
    (improvement per period still needed) against ``recent_pace``,
    ``projected`` (value at the deadline at the recent pace), ``status``
    (a :class:`~servicekpi.status.Status` code), ``rule`` (the branch that
    decided, :data:`RULES`), ``no_forecast`` (the simulation's status when
    the forecast rule fell back to the glide path, else None),
    ``deadline_at_least`` (the deadline period's value, ``current`` with it, is
    the least it can end at: :func:`_decided_by_bound`),
    ``deadline_pending`` and ``deadline_open_share`` (the deadline has passed
    but its period is incomplete), ``left_out`` (the periods left out as
    incomplete, a tuple) and the forecast columns
    (:data:`FORECAST_COLUMNS`, see the module docstring).  :func:`why` gives
    each row's rule in words.  ``attrs``: ``simulations`` ({(team, kpi):
    Simulation}, one per target simulated), ``level``, ``rule``,
    ``thresholds``, ``min_n``, ``max_stale``.

    Raises
    ------
    InvalidArgument
        ``rule`` not "glide" or "forecast", thresholds not 0 <= low <= high <= 1.
    """
    if rule not in ("glide", "forecast"):
        raise InvalidArgument(f"rule must be 'glide' or 'forecast', not {rule!r}")
    expect_frame(kpis, "kpis", "a KPI table from servicekpi.compute_kpis")
    expect_frame(targets, "targets", "a targets table from servicekpi.load_targets (load "
                 "the file with it first)")
    lo_t, hi_t = thresholds
    if not 0 <= lo_t <= hi_t <= 1:
        raise InvalidArgument(f"thresholds must satisfy 0 <= low <= high <= 1, not "
                              f"{tuple(thresholds)}")
    check_level(level)
    cat = resolve(catalogue)
    sims = Simulations()
    attrs = {"simulations": sims, "level": level, "rule": rule, "thresholds": (lo_t, hi_t),
             "min_n": min_n, "max_stale": max_stale}
    if targets is None or len(targets) == 0:
        out = pd.DataFrame(columns=list(COLUMNS))
        out.attrs.update(attrs)
        return out
    now = assessed_period(kpis, period)
    freq = table_freq(kpis)
    kinds = {pd.Period(d).freqstr for d in targets["deadline"]
             if isinstance(d, pd.Period) and pd.notna(d)}
    if kinds - {now.freqstr}:
        raise InvalidArgument(f"the targets' deadlines are periods of another kind "
                              f"({', '.join(sorted(kinds))}) than the KPI table's "
                              f"({now.freqstr}): load the targets with "
                              f"freq={freq or now.freqstr!r}")
    usable = _assessable(kpis, max_open_share)
    options = {"n_paths": 1000, **(forecast_options or {})}
    rows = []
    to_simulate = {}     # row number -> (row, simulate()'s arguments, direction, sign)
    measured = set(measured_kpis(kpis) if measured is None else measured)
    known_teams = set(kpis["team"].astype(str))
    attrs["teams"] = sorted(known_teams)          # named when a target's team is not
    partial = kpis.attrs.get("partial")
    if partial is not None:
        partial = parse_period(partial, freq or "month")
    for t in targets.itertuples(index=False):
        d = cat[t.kpi]
        sign = d.sign
        deadline = pd.Period(t.deadline)

        def own(frame):
            return frame[(frame["team"] == t.team) & (frame["kpi"] == t.kpi)
                         & (frame["period"] <= now) & frame["value"].notna()]
        mine = own(usable).sort_values("period")
        observed = own(kpis)
        left_out = tuple(sorted(set(observed["period"]) - set(mine["period"])))
        row = {"team": t.team, "kpi": t.kpi, "label": d.label, "direction": d.direction,
               "period": now, "baseline": t.baseline, "baseline_period": t.baseline_period,
               "baseline_periods": int(getattr(t, "baseline_periods", 1) or 1),
               "baseline_without": stated_without(targets, t),
               "target": t.target, "deadline": t.deadline,
               "weight": getattr(t, "weight", 1.0), "owner": getattr(t, "owner", None),
               "better_now": False, "expected_reached": None, "model": None,
               "no_forecast": None, "deadline_pending": False, "deadline_at_least": False,
               "deadline_floor": np.nan, "history": np.nan, "filled": np.nan,
               "left_out": left_out}
        row["glide_now"] = float(glide_path(t._asdict(), [now]).iloc[0])
        row["periods_left"] = deadline.ordinal - now.ordinal
        if mine.empty:
            rows.append({**row, "status": Status.INSUFFICIENT_DATA,
                         "rule": "unknown_team" if str(t.team) not in known_teams
                         else "no_value" if t.kpi in measured else "not_measured"})
            continue
        last = mine.iloc[-1]
        at_deadline = mine[mine["period"] == deadline]
        deadline_seen = (row["periods_left"] <= 0 and deadline not in left_out
                         and not at_deadline.empty)
        # no bound for a period the export ends inside: tickets not created yet may
        # still lower its mean
        bound = _decided_by_bound(observed, deadline, t.target, sign) \
            if row["periods_left"] <= 0 and deadline != partial else None
        if bound is not None and deadline_seen and (
                sign * (float(at_deadline["value"].iloc[-1]) - t.target) < 0) == (sign < 0):
            bound = None   # the value observed decides as the bound would
        if bound is not None:
            # the deadline period still has tickets open, but what they have taken so far
            # decides: its value is read as that bound, as an observed deadline's is
            at_deadline, deadline_seen = bound, True
            left_out = tuple(p for p in left_out if p != deadline)
            row.update(left_out=left_out, deadline_at_least=True,
                       deadline_open_share=float(bound["open_share"].iloc[0]))
        if deadline_seen:
            # the deadline has passed: the target was about its period, and every column
            # of the row (current, better now, gap, progress) is about that value, as the
            # status and the scorecard are; no pace is asked or shown any more
            last = at_deadline.iloc[-1]
        cur = float(last["value"])
        n = _num(last, "n")
        lo, hi = confidence_interval(cur, n, numerator=_num(last, "numerator"),
                                     sd=_num(last, "sd"), level=level, bounds=d.bounds)
        series = pd.Series(mine["value"].to_numpy(float), index=pd.PeriodIndex(mine["period"]))
        slope, _, _ = trend_slope(series.tail(pace_periods))
        gap = sign * (t.target - cur)
        left = row["periods_left"]
        row.update({
            "current_period": last["period"], "current": cur, "n": n,
            "ci_low": lo, "ci_high": hi, "better_now": bool(gap <= 0),
            "gap": gap,
            "gap_pct": 100 * gap / abs(t.target) if t.target != 0 else np.nan,
            "progress": (cur - t.baseline) / (t.target - t.baseline),
            "attainment": (np.nan if cur <= 0 or t.target <= 0 else
                           (cur / t.target if sign > 0 else t.target / cur)),
            "needed_pace": gap / left if left > 0 else np.nan,
            "recent_pace": sign * slope if np.isfinite(slope) and not deadline_seen else np.nan,
            "projected": cur + slope * left if np.isfinite(slope) and left > 0 else np.nan,
        })
        # the deadline has passed, but its period has a value left out as incomplete
        # (too many tickets still open): it is not over yet, the forecast decides
        pending = left <= 0 and deadline in left_out and bound is None
        if pending:
            held = observed[observed["period"] == deadline].iloc[-1]
            # a bound only for a period the export covers whole: tickets not created
            # yet may still lower the mean of one it ends inside
            row.update(deadline_pending=True, deadline_open_share=_num(held, "open_share"),
                       deadline_floor=_num(held, "at_least") if deadline != partial
                       else np.nan)
            series = series[series.index < deadline]    # simulate from before the deadline
        stale = now.ordinal - last["period"].ordinal
        if left <= 0 and not pending:
            at = mine[mine["period"] == deadline] if bound is None else bound
            status, code = _observed_status(row, at, sign, min_n, level)
            if bound is not None and status in (Status.MET, Status.MISSED):
                code = "deadline_met_bound" if status == Status.MET else "deadline_missed_bound"
            row.update(status=status, rule=code)
        elif stale > max_stale:
            row.update(status=Status.INSUFFICIENT_DATA, rule="stale")
        elif np.isfinite(n) and n < min_n:
            row.update(status=Status.INSUFFICIENT_DATA, rule="few")
        elif rule == "glide":
            row.update(zip(("status", "rule"), _glide_status(row, sign)))
        else:
            task = {"series": series, "bounds": d.bounds,
                    "horizon": deadline.ordinal - series.index[-1].ordinal if len(series) else 0}
            if "n" in mine:   # how near a bound a value is: its observations say
                task["counts"] = pd.Series(mine["n"].to_numpy(float),
                                           index=pd.PeriodIndex(mine["period"]))
            to_simulate[len(rows)] = (row, task, d.direction, sign)
        rows.append(row)
    if to_simulate:
        # every target's simulation at once: in a process pool when there are many
        from .forecast import simulate_many
        done = simulate_many({key: task for key, (_, task, _, _) in to_simulate.items()},
                             **options)
        for key, (row, _, direction, sign) in to_simulate.items():
            sim = done[key]
            row.update(history=len(sim.history) - len(sim.filled), filled=len(sim.filled))
            if np.isfinite(row["deadline_floor"]):     # what the deadline can no longer be
                sim = sim.at_least(row["deadline"], row["deadline_floor"])
            # attrs keeps one simulation per (team, kpi): the last target's, as before
            sims[(row["team"], row["kpi"])] = sim
            _forecast_status(row, sim, direction, sign, thresholds)
    out = pd.DataFrame(rows, columns=list(COLUMNS))
    out["status"] = [str(Status(s)) for s in out["status"]]       # plain codes in the frame
    out["better_now"] = out["better_now"].astype(bool)
    out["deadline_pending"] = out["deadline_pending"].astype(bool)
    out["deadline_at_least"] = out["deadline_at_least"].astype(bool)
    reached = out["expected_reached"].astype(object)        # Periods, None: never NaT
    out["expected_reached"] = reached.where(reached.notna(), None)
    for col in ("no_forecast", "model"):
        out[col] = out[col].astype(object).where(out[col].notna(), None)
    out.attrs.update(attrs)
    return out


def _decided_by_bound(observed: pd.DataFrame, deadline: pd.Period, target: float,
                      sign: int) -> pd.DataFrame | None:
    """The deadline period's row, its value replaced by ``at_least`` (see
    :func:`servicekpi.compute_kpis`: each ticket still open counted at its age so
    far), when that bound already decides the target: for a KPI that should fall
    (a duration), a bound worse than the target is a miss whatever the open tickets
    take; for one that should rise, a bound at or better than it is met.  Its ``n``
    counts the open tickets too; no confidence interval (no ``sd``).  None when
    the bound decides nothing or is not known."""
    held = observed[observed["period"] == deadline]
    if held.empty or "at_least" not in held.columns:
        return None
    row = held.iloc[[-1]].copy()
    b = float(row["at_least"].iloc[0])
    if not np.isfinite(b) or not ((sign < 0 and b > target) or (sign > 0 and b >= target)):
        return None
    share = float(row["open_share"].iloc[0]) if "open_share" in row else np.nan
    n = float(row["n"].iloc[0]) if "n" in row else np.nan
    row["value"] = b
    row["n"] = n / (1 - share) if np.isfinite(share) and share < 1 and np.isfinite(n) \
        else np.nan
    for col in ("sd", "numerator"):
        if col in row:
            row[col] = np.nan
    return row


def _observed_status(r: dict, at: pd.DataFrame, sign: int, min_n: int, level: float
                     ) -> tuple[Status, str]:
    """Deadline passed: the observed deadline value decides (met / missed).
    Returns (status, rule code); sets ``deadline_value`` and ``deadline_n``."""
    if at.empty:
        return Status.INSUFFICIENT_DATA, "deadline_no_value"
    a = at.iloc[-1]
    value, n = float(a["value"]), _num(a, "n")
    r["deadline_value"], r["deadline_n"] = value, n
    if np.isfinite(n) and n < min_n:
        return Status.INSUFFICIENT_DATA, "deadline_few"
    if sign * (value - r["target"]) >= 0:
        return Status.MET, "deadline_met"
    lo, hi = confidence_interval(value, n, numerator=_num(a, "numerator"), sd=_num(a, "sd"),
                                 level=level)
    if not np.isfinite(lo):
        return Status.MISSED, "deadline_missed_no_ci"
    if lo <= r["target"] <= hi:
        return Status.MISSED, "deadline_missed_within_ci"
    return Status.MISSED, "deadline_missed_beyond_ci"


def _glide_status(r: dict, sign: int) -> tuple[Status, str]:
    """Deadline ahead, no forecast: glide path, recent pace and noise.
    Returns (status, rule code)."""
    cur = r["current"]
    has_ci = np.isfinite(r["ci_low"])
    behind = sign * (r["glide_now"] - cur)
    if behind <= 0:
        return Status.ON_TRACK, "glide_ahead"
    pace, needed = r["recent_pace"], r["needed_pace"]
    if np.isfinite(pace) and pace >= needed:
        return Status.AT_RISK, "glide_pace"
    if has_ci and r["ci_low"] <= r["glide_now"] <= r["ci_high"]:
        return Status.AT_RISK, "glide_noise"
    return Status.OFF_TRACK, "glide_no_trend" if not np.isfinite(pace) else "glide_slow"


def _forecast_status(row: dict, sim, direction: str, sign: int, thresholds) -> None:
    """Deadline ahead (or its period incomplete): the status from the
    simulation to the deadline, in place (the glide-path rule where the
    simulation has no paths, ``no_forecast`` saying why)."""
    o = sim.outlook(row["target"], direction)
    if not np.isfinite(o["probability"]):
        status, code = _glide_status(row, sign)
        row.update(status=status, rule=code, model=None, no_forecast=sim.status)
        return
    row.update(probability=o["probability"], forecast_at_deadline=o["forecast"],
               expected_reached=o["expected_reached"], model=o["model"],
               **{k: o[k] for k in ("lower_80", "upper_80", "lower_95", "upper_95")})
    p = o["probability"]
    low, high = thresholds
    row["status"] = (Status.ON_TRACK if p >= high else Status.AT_RISK if p >= low
                     else Status.OFF_TRACK)
    row["rule"] = "forecast"


# ------------------------------------------------------------------ in words
def why(table: pd.DataFrame, language: str = "en") -> pd.Series:
    """The rule behind each row's status, in words (the gap table's "why").

    ``table`` is a :func:`gap_table` (its ``attrs`` give the level, the
    thresholds, ``min_n`` and ``max_stale`` the sentences quote); returns a
    Series of sentences in ``language`` aligned with its rows, from the
    message catalogue (``analysis.gaps.why.*``), e.g. "forecast (ets_ann):
    P(the 2026-12 value meets the target) = 24% < 30%" (probabilities as the table's
    column shows them, :func:`~servicekpi.catalogue.fmt_probability`).
    """
    attrs = table.attrs
    level = attrs.get("level", LEVEL)
    low, high = attrs.get("thresholds", THRESHOLDS)
    context = {"min_n": attrs.get("min_n", MIN_N), "max_stale": attrs.get("max_stale", MAX_STALE),
               "level": f"{level:.0%}", "low": low, "high": high,
               "basis": attrs.get("rule", "forecast"),
               "teams": ", ".join(attrs.get("teams") or [])}
    return pd.Series([_why_row(r, language, context) for r in table.to_dict("records")],
                     index=table.index, dtype=object)


def model_name(model: str, language: str = "en") -> str:
    """A forecasting model's name for a reader (``figures.model.<code>``:
    ``ets_ana`` -> "ETS(A,N,A)"); a code without one (``constant``) as it is."""
    from .i18n import catalogue
    return catalogue(language).get(f"figures.model.{model}", str(model))


def _why_row(r: dict, language: str, c: dict) -> str:
    from .i18n import msg

    def m(key, **values):
        return msg(f"analysis.gaps.why.{key}", language, **values)
    code = r["rule"]     # periods as the table beside it shows them (2026-W12)
    period, deadline = label(r["period"]), label(pd.Period(r["deadline"]))
    text = ""
    if r.get("deadline_pending"):
        share = r.get("deadline_open_share", np.nan)
        still = (m("pending_open", share=fmt_share(share, MAX_OPEN_SHARE))
                 if pd.notna(share) and np.isfinite(share)
                 else m("pending_unknown"))
        text = m("pending", deadline=deadline, open=still,
                 basis=m("basis_glide" if c["basis"] == "glide" else "basis_forecast"))
        if pd.notna(r.get("deadline_floor")) and code == "forecast":   # the floor read
            text = text.rstrip("; ；") + m("pending_floor")
    if code == "no_value":
        text += m("no_value", kpi=r["kpi"], period=period)
    elif code == "not_measured":
        text += m("not_measured", kpi=r["kpi"])
    elif code == "unknown_team":
        text += m("unknown_team", team=r["team"], teams=c["teams"])
    elif code == "deadline_no_value":
        text += m("deadline_no_value", kpi=r["kpi"], deadline=deadline)
    elif code == "deadline_few":
        text += m("deadline_few", deadline=deadline, n=f"{r['deadline_n']:.0f}",
                  min_n=c["min_n"])
    elif code in ("deadline_met_bound", "deadline_missed_bound"):
        share = r.get("deadline_open_share", np.nan)
        text += m(code, deadline=deadline, open=fmt_share(share))
    elif code.startswith("deadline_"):
        text += m(code, deadline=deadline, level=c["level"])
    elif code == "stale":
        cur = pd.Period(r["current_period"])
        text += m("stale", current_period=label(cur), stale=pd.Period(r["period"]).ordinal
                  - cur.ordinal, period=period, max_stale=c["max_stale"])
    elif code == "few":
        text += m("few", n=f"{r['n']:.0f}", min_n=c["min_n"])
    elif code.startswith("glide_"):
        reason = r.get("no_forecast")
        detail = m(code, level=c["level"]) if code == "glide_noise" else m(code)
        text += (m("glide_fallback", reason=msg(f"analysis.forecast.status.{reason}", language),
                   why=detail) if isinstance(reason, str) else m("glide", why=detail))
    elif code == "forecast":
        # shown as the gap table's column shows it (fmt_probability: floored percents)
        p = float(r["probability"])
        low, high = fmt_probability(c["low"]), fmt_probability(c["high"])
        cmp = (m("above", high=high) if p >= c["high"] else
               m("between", low=low, high=high) if p >= c["low"] else m("below", low=low))
        text += m("forecast", model=model_name(r["model"], language), deadline=deadline,
                  p=fmt_probability(p), comparison=cmp)
        # a forecast on a short or gappy history says what it rests on
        from .ensemble import SHORT
        seen, filled = r.get("history"), r.get("filled")
        if pd.notna(seen) and (seen < SHORT or (pd.notna(filled) and filled > 0)):
            text += m("history", n=int(seen), filled=int(filled or 0)) if filled else \
                m("history_short", n=int(seen))
        if r.get("better_now"):
            text += m("better_now")
    else:
        raise InvalidArgument(f"unknown gap-table rule {code!r}; expected one of "
                              f"{', '.join(RULES)}")
    left_out = list(r.get("left_out") or ())
    if left_out:
        listed = m("list_separator").join(map(label, left_out[:SHOWN_LEFT_OUT]))
        more = len(left_out) - SHOWN_LEFT_OUT
        if more > 0:
            listed = m("more", shown=listed, more=more)
        text += m("left_out", periods=listed)
    return text
