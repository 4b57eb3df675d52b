"""``servicekpi init``: a parameter folder for a ticket export, ready to run.

:func:`init_params` loads the export with the real loader (detecting its
preset unless one is given), lists its teams, and writes:

``defaults.yaml``
    every key with a comment saying what it does: the export (its path
    relative to the folder), its mapping, how it is read (``dayfirst``,
    ``timezone``, ``encoding``: the values given, else null), ``teams: auto``
    (one report per team in the export), ``freq`` (month, week or quarter),
    the language, the input files;
``catalogue.yaml``
    a copy of the KPI catalogue (labels, units, which way is better);
``targets.csv``
    one row per team and targetable KPI with ``baseline``,
    ``baseline_period`` and ``baseline_periods`` filled: the baseline is the
    mean over the last ``baseline_periods`` (default 3) complete periods
    (:func:`servicekpi.targets.baseline_interval`: pooled over the tickets
    of those periods), ending at the last complete period (a period that
    the export covers only partly, because its as-of time falls before the
    period's end, is not complete), and its 95% confidence interval is
    written beside it (``baseline_interval``, for reading).  A duration KPI
    whose last complete period still has too many tickets open
    (:func:`servicekpi.kpis.assessable`) ends its window at its latest
    period that has not; a window reaching back before a team's first
    period averages the periods there are (``baseline_periods`` says how
    many); a period of the window without a value, or whose durations have
    too many tickets still open, is left out of the mean, named in
    ``baseline_without`` and a note (the reports then say "mean of 2,
    without 2024-04").  ``target`` and
    ``deadline`` are left blank for the user, and rows left blank are skipped
    when loading;
``benchmarks.csv``
    one row per KPI of the export (``benchmark: industry_median``) with
    ``value``, ``source`` and ``published`` blank; blank rows are skipped.

Nothing is overwritten unless ``force``, and nothing is written when the
export does not load or has no tickets left (all created after the as-of
time, say): the error says why.  The targets and benchmarks
templates carry extra columns for reading (``team_name``, ``kpi_label``,
``better``, ``unit``); the loaders read none of them, but refuse a row whose
``unit`` was changed (its value is read in the catalogue's unit all the same).
"""
from __future__ import annotations

import csv
import io
import os
import shutil
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

from . import config
from .errors import ConfigError, DataError, Problem
from .periods import coverage_end, freq_of, label, last_complete_period
from .gaps import LEVEL, ci_label
from .targets import baseline_gaps, baseline_interval

FILES = ("defaults.yaml", "catalogue.yaml", "targets.csv", "benchmarks.csv")
TARGET_TEMPLATE_COLUMNS = ["team", "kpi", "baseline", "baseline_period", "baseline_periods",
                           "baseline_without", "target", "deadline", "weight", "owner", "milestones",
                           "baseline_interval", "team_name", "kpi_label", "better", "unit"]

BASELINE_PERIODS = config.BASELINE_PERIODS
BENCHMARK_TEMPLATE_COLUMNS = ["kpi", "benchmark", "value", "source", "published",
                              "kpi_label", "better", "unit"]


@dataclass
class InitResult:
    """What :func:`init_params` found and wrote."""

    out: Path
    files: dict[str, Path]
    tickets: int
    mapping: str | None              # preset picked or given; None: canonical columns
    detected: bool                   # the preset was detected from the header
    as_of: pd.Timestamp | None
    baseline_period: pd.Period | None
    teams: dict[str, str]            # team id -> name in the export
    target_rows: int
    benchmark_rows: int
    notes: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)   # the export's data quality
    baseline_periods: int = BASELINE_PERIODS  # periods each baseline averages (at most)


def _number(v: float) -> str:
    return f"{round(float(v), 6):.12g}"


def _yaml_line(key: str, value, comment: str, width: int = 34) -> str:
    text = yaml.safe_dump({key: value}, allow_unicode=True, default_flow_style=True,
                          width=10_000).strip()
    if text.startswith("{") and text.endswith("}"):
        text = text[1:-1]
    return f"{text:<{width}} # {comment}" if comment else text


def _relative(target: Path, start: Path) -> str:
    try:
        return Path(os.path.relpath(target.resolve(), start.resolve())).as_posix()
    except ValueError:          # another drive (Windows)
        return target.resolve().as_posix()


def init_params(export, out="params", *, mapping: str | None = "auto", freq: str = "month",
                language: str = "en", bad_rows: str = "raise", max_dropped_share: float = 0.05,
                as_of=None, dayfirst: bool | None = None, timezone: str | None = None,
                encoding: str | None = None, decimal: str | None = None,
                force: bool = False, baseline_periods: int = BASELINE_PERIODS) -> InitResult:
    """Write a parameter folder for ``export``; see the module docstring.

    ``dayfirst``, ``timezone``, ``encoding`` and ``decimal`` override the
    mapping's way of reading the export (None: the mapping's, else decided
    from the data) and are written to ``defaults.yaml``.  ``baseline_periods``: how many
    complete periods each baseline averages (1: the last complete period
    alone).  ``freq``: ``"month"``, ``"week"`` or ``"quarter"``; ``bad_rows``:
    ``"raise"`` or ``"drop"`` (as in :func:`servicekpi.load_tickets`).
    """
    from .catalogue import load_catalogue
    from .cli import declare_hints
    from .kpis import MAX_OPEN_SHARE, assessable, compute_kpis, incomplete
    from .params import encoding_problem, no_tickets_reason, team_names, zone_problem
    from .tickets import load_tickets, quality_warnings

    export, out = Path(export), Path(out)
    freq_of(freq)
    if not isinstance(baseline_periods, int) or baseline_periods < 1:
        raise ConfigError([Problem("servicekpi init", "baseline_periods",
                                   f"expected a whole number >= 1, got {baseline_periods!r}")],
                          source="servicekpi init")
    wrong = [Problem("servicekpi init", key, problem) for key, problem in (
        ("timezone", timezone and zone_problem(timezone)),
        ("encoding", encoding and encoding_problem(encoding))) if problem]
    if wrong:
        raise ConfigError(wrong, source="servicekpi init")
    files = {name: out / name for name in FILES}
    existing = [p for p in files.values() if p.exists()]
    if existing and not force:
        raise ConfigError([Problem(str(p), None, "already exists (use --force to overwrite)")
                           for p in existing], source=str(out))
    try:
        tickets = load_tickets(export, mapping, bad_rows=bad_rows, as_of=as_of,
                               max_dropped_share=max_dropped_share, dayfirst=dayfirst,
                               timezone=timezone, encoding=encoding, decimal=decimal)
    except DataError as exc:
        hints = declare_hints(exc.problems, export.name)
        if bad_rows == "raise" and any(q.rows for q in exc.problems):
            hints.append("servicekpi init --bad-rows drop drops such rows instead (and writes "
                         "bad_rows: drop), up to --max-dropped-share (now "
                         f"{max_dropped_share:g}) of the rows")
        if not hints:
            raise
        raise DataError(exc.problems, source=exc.source, hints=hints) from None
    if not len(tickets):
        raise DataError([Problem(export.name, None, no_tickets_reason(tickets))])
    picked = tickets.attrs.get("mapping")
    mapping_value: str | None
    if mapping not in (None, "auto") and Path(mapping).is_file():
        mapping_value = _relative(Path(mapping), out)
    elif picked in (None, "canonical"):
        mapping_value = None if mapping in (None, "auto") else mapping
    else:
        mapping_value = str(picked)
    teams = team_names(tickets)
    stamp = tickets.attrs.get("as_of")
    stamp = pd.Timestamp(stamp) if stamp is not None else (
        tickets["created_at"].max() if len(tickets) else None)
    # the same rule as the reports': an as-of read off the export covers its whole day
    base = last_complete_period(coverage_end(stamp, declared=as_of is not None), freq)
    catalogue = load_catalogue(config.CATALOGUE)
    kpis = compute_kpis(tickets, freq=freq)
    notes: list[str] = []

    # ---- targets template: per team and KPI with a value in the last complete period,
    # the mean of the last baseline_periods periods (see the module docstring)
    targetable = [k for k in catalogue.names() if catalogue[k].direction != "neutral"]
    have = kpis[kpis["value"].notna() & kpis["kpi"].isin(targetable)]
    # a duration whose tickets of the base period are all still open has no value
    # there yet, but has tickets: its window ends at its latest period closed
    waiting = kpis[kpis["kpi"].isin(targetable).to_numpy() & incomplete(kpis)]
    in_base = (pd.concat([have, waiting])[lambda f: f["period"] == base]
               if base is not None else have.iloc[:0])
    ends = _baseline_ends(in_base, assessable(have), base)
    first_value = have.groupby(["team", "kpi"], observed=True)["period"].min()
    target_rows = []
    early = 0
    gaps: list[str] = []      # baselines whose window has a period they cannot average
    for tid, name in teams.items():
        for k in targetable:
            if (tid, k) not in ends:
                continue
            end = ends[(tid, k)]
            used = min(baseline_periods, end.ordinal - first_value[(tid, k)].ordinal + 1)
            d = catalogue[k]
            mean, low, high = baseline_interval(kpis, tid, k, end, periods=used, level=LEVEL,
                                                bounds=d.bounds)
            early += end != base
            without = [label(p) for p in baseline_gaps(kpis, tid, k, end, periods=used)]
            if without:
                gaps.append(f"{tid} {k} without {', '.join(without)}")
            target_rows.append({
                "team": tid, "kpi": k, "baseline": _number(mean),
                "baseline_period": label(end), "baseline_periods": used,
                "baseline_without": "; ".join(without),
                "baseline_interval": (f"{_number(low)} to {_number(high)} ({ci_label(LEVEL)})"
                                      if np.isfinite(high - low) else ""),
                "team_name": name, "kpi_label": catalogue.label(k, language),
                "better": d.direction, "unit": d.unit})
    if base is None or not target_rows:
        notes.append(_no_baselines(tickets, kpis, base, stamp, freq, targetable))
    else:
        first = tickets["created_at"].min()
        start = pd.Period(first, freq_of(freq))
        if (base - baseline_periods < start <= base
                and first.normalize() > start.start_time):
            notes.append(f"the export starts on {first:%Y-%m-%d}, inside {label(start)}: "
                         "baselines averaging that period may rest on part of it")
        missing = {t: sum(1 for k in set(have.loc[have["team"] == t, "kpi"])
                          if (t, k) not in ends) for t in teams}
        missing = {t: c for t, c in missing.items() if c}
        if missing:
            last = tickets.groupby(tickets["team"].astype(str))["created_at"].max()
            teams_named = []
            for t, c in sorted(missing.items(), key=lambda x: -x[1])[:5]:
                quiet = (f", no ticket since {last[t]:%Y-%m-%d}" if t in last.index
                         and pd.Period(last[t], freq_of(freq)) < base else "")
                teams_named.append(f"{t}: {c}{quiet}")
            more = f"; {len(missing) - 5} more teams" if len(missing) > 5 else ""
            count = sum(missing.values())
            pairs = "team/KPI pair has" if count == 1 else "team/KPI pairs have"
            notes.append(f"{count} {pairs} no value in "
                         f"{label(base)} and no row in the targets template ("
                         + "; ".join(teams_named) + more + ")")
        if early:
            notes.append(f"{early} baseline{' ends' if early == 1 else 's end'} before "
                         f"{label(base)}: more than "
                         f"{MAX_OPEN_SHARE:.0%} of their tickets of later periods were still "
                         "open, so those periods' durations would read too low")
        if gaps:
            verb = "baseline averages" if len(gaps) == 1 else "baselines average"
            notes.append(f"{len(gaps)} {verb} fewer periods than baseline_periods: a "
                         "period of the window has no value, "
                         f"or more than {MAX_OPEN_SHARE:.0%} of its tickets still open ("
                         + "; ".join(gaps[:3]) + (", ..." if len(gaps) > 3 else "") + ")")

    # ---- benchmarks template: one row per KPI the export gives
    bench_rows = [{"kpi": k, "benchmark": "industry_median",
                   "kpi_label": catalogue.label(k, language),
                   "better": catalogue[k].direction, "unit": catalogue[k].unit}
                  for k in targetable if k in set(have["kpi"])]

    out.mkdir(parents=True, exist_ok=True)
    _write_csv(files["targets.csv"], TARGET_TEMPLATE_COLUMNS, target_rows)
    _write_csv(files["benchmarks.csv"], BENCHMARK_TEMPLATE_COLUMNS, bench_rows)
    if Path(config.CATALOGUE).resolve() != files["catalogue.yaml"].resolve():
        shutil.copyfile(config.CATALOGUE, files["catalogue.yaml"])
    files["defaults.yaml"].write_text(_defaults_text(
        export=export, out=out, mapping=mapping_value, detected=mapping == "auto",
        picked=picked, teams=teams, freq=freq, language=language, bad_rows=bad_rows,
        max_dropped_share=max_dropped_share, as_of=as_of, stamp=stamp, base=base,
        rows=len(tickets), dayfirst=dayfirst, timezone=timezone, encoding=encoding,
        decimal=decimal,
        baselines=bool(target_rows), baseline_periods=baseline_periods), encoding="utf-8")
    return InitResult(out, files, len(tickets), mapping_value, mapping == "auto", stamp, base,
                      teams, len(target_rows), len(bench_rows), notes,
                      quality_warnings(tickets), baseline_periods)


def _baseline_ends(in_base: pd.DataFrame, usable: pd.DataFrame, base) -> dict:
    """(team, kpi) -> the last period of its baseline window: ``base``, or for a
    duration KPI whose ``base`` value has too many tickets open (every one, even:
    no value yet), its latest earlier period without (absent when there is none)."""
    ends = {}
    usable = usable[usable["period"] <= base] if base is not None else usable.iloc[:0]
    latest = usable.groupby(["team", "kpi"], observed=True)["period"].max()
    for r in in_base.itertuples():
        key = (str(r.team), r.kpi)
        if (r.team, r.kpi) in latest.index:
            ends[key] = latest[(r.team, r.kpi)]
    return ends


def _no_baselines(tickets, kpis, base, stamp, freq, targetable) -> str:
    """Why the targets template has no baselines, and what would give some."""
    first = tickets["created_at"].min()
    shorter = {"quarter": "month", "month": "week"}.get(freq)
    if base is None or pd.Period(first, freq_of(freq)) > base:
        text = (f"the export covers {first:%Y-%m-%d} to {stamp:%Y-%m-%d %H:%M}, no complete "
                f"{freq}: the targets template has no baselines")
        return text + (f"; --freq {shorter} gives some" if shorter else "")
    given = sorted(set(kpis.loc[kpis["value"].notna(), "kpi"]))
    return (f"no KPI with a target direction has a value in {label(base)} (the export "
            f"gives {', '.join(given) or 'none'}): the targets template has no rows; columns "
            "such as first_response_at, resolved_at or csat give targetable KPIs")


#: Template columns for reading only (names from the export and the catalogue):
#: written so a spreadsheet cannot take them for formulas.  The columns read
#: back (team, kpi, ...) are written as they are.
READING_COLUMNS = ("team_name", "kpi_label")


def _write_csv(path: Path, columns: list[str], rows: list[dict]) -> None:
    from .literal import csv_cell

    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=columns, lineterminator="\n")
    w.writeheader()
    for r in rows:
        w.writerow({c: csv_cell(r.get(c, "")) if c in READING_COLUMNS else r.get(c, "")
                    for c in columns})
    # with a byte-order mark: Excel opens a CSV without one in the system's code page
    # (GBK on a Chinese Windows: 在线客服 read as 鍦ㄧ嚎瀹㈡湇), and saves it back so
    path.write_text(buf.getvalue(), encoding="utf-8-sig")


def _defaults_text(*, export, out, mapping, detected, picked, teams, freq, language, bad_rows,
                   max_dropped_share, as_of, stamp, base, rows, dayfirst=None, timezone=None,
                   encoding=None, decimal=None, baselines=True, baseline_periods=1) -> str:
    if mapping is None:
        how = "the export's columns already have servicekpi's names"
    elif detected:
        how = f"detected from the export's header: {picked}"
    else:
        how = "as given to servicekpi init"
    shown = "; ".join(f"{t} ({n})" if n != t else t for t, n in teams.items())
    lines = [
        f"# Written by `servicekpi init {export.name}`: {rows:,} tickets, {len(teams)} teams.",
        "# Shared by every team's report. A file teams/<team id>.yaml overrides any key",
        "# for that team (at least `team: <id>`). Paths are relative to this folder.",
        f"# Teams in the export (id (name)): {' '.join(shown.split())}",
        "",
        _yaml_line("title", None, "heading of every report; null: 'Customer service KPI "
                   "report' in the report's language"),
        _yaml_line("tickets", _relative(export, out), "the ticket export (CSV, Parquet, Excel)"),
        _yaml_line("mapping", mapping, f"column names: a preset, a mapping YAML, auto "
                   f"(detect) or null (canonical names); {how}"),
        _yaml_line("dayfirst", dayfirst, "day order of dates such as 01/03/2024; null: "
                   "the mapping's, else decided from the data; true (1 March) or false "
                   "(3 January) to declare"),
        _yaml_line("timezone", timezone, "zone of timestamps written without one (e.g. "
                   "Europe/London; as_written: keep the local time an offset was written "
                   "in); null: the mapping's (UTC unless it says)"),
        _yaml_line("encoding", encoding, "text encoding of a CSV export (utf-8, gb18030, "
                   "cp1252, ...); null: the mapping's, else detected"),
        _yaml_line("decimal", decimal, "decimal mark of numbers ('.' or ','; the other "
                   "separates thousands); null: the mapping's, else decided from the data"),
        _yaml_line("teams", "auto", "auto: one report per team in the export (files in "
                   "teams/ only override); files: one per file in teams/"),
        _yaml_line("freq", freq, "periods KPIs are computed for: month | week | quarter"),
        _yaml_line("as_of", as_of, "when the export was taken; null: its latest timestamp"
                   + (f" ({stamp:%Y-%m-%d %H:%M})" if stamp is not None and as_of is None
                      else "")),
        _yaml_line("include_partial_period", False, "true: use a last period the export "
                   "covers only partly in comparisons, statuses, scores, forecasts"),
        _yaml_line("bad_rows", bad_rows, "raise: refuse an export with bad rows; drop: drop "
                   "them and report them"),
        _yaml_line("max_dropped_share", max_dropped_share, "with bad_rows: drop, refuse the "
                   "export when more than this share of rows would go"),
        _yaml_line("unassigned", "keep", "tickets with a blank team: keep (team "
                   "'unassigned', with a warning) or drop"),
        _yaml_line("targets", "targets.csv", "fill in target and deadline; rows left blank "
                   "are skipped" + (f" (baselines: mean of up to {baseline_periods} periods "
                                    f"to {label(base)})" if baselines else "")),
        _yaml_line("benchmarks", "benchmarks.csv", "external reference values; rows without "
                   "value, source and published are skipped"),
        _yaml_line("kpi_table", None, "KPIs not from tickets (team, period, kpi, value, n); "
                   "null: none"),
        _yaml_line("catalogue", "catalogue.yaml", "every KPI: label, unit, format, which way "
                   "is better"),
        _yaml_line("competencies", None, "competency assessments (person, team, dimension, "
                   "score); null: none"),
        _yaml_line("competency_targets", None, "competency target profile (dimension, target"
                   "[, team]); null: none"),
        _yaml_line("kpi_list", None, "KPIs shown; null: every KPI the data supports"),
        _yaml_line("history_periods", 13, "periods shown in tables and trend charts"),
        _yaml_line("language", language, "en | zh (headings, labels, status words)"),
    ]
    return "\n".join(lines) + "\n"


def summary_lines(res: InitResult, export) -> list[str]:
    """What ``servicekpi init`` prints: what it found, what it wrote, what to do next."""
    how = ("canonical column names" if res.mapping is None else
           f"mapping {res.mapping}" + (" (detected from the header)" if res.detected else ""))
    stamp = f", as of {res.as_of:%Y-%m-%d %H:%M}" if res.as_of is not None else ""
    lines = [f"{Path(export).name}: {res.tickets:,} tickets, {how}{stamp}",
             f"{len(res.teams)} teams (id: name in the export):"]
    lines += [f"  {t}: {n}" for t, n in res.teams.items()]
    lines += [f"  {w}" for w in res.warnings]
    base = label(res.baseline_period) if res.baseline_period is not None else "none"
    what = {"defaults.yaml": "shared parameters (teams: auto: one report per team)",
            "catalogue.yaml": "KPI catalogue (copy)",
            "targets.csv": (f"{res.target_rows} rows, baselines from {base} (mean of up "
                            f"to {res.baseline_periods} periods, {ci_label(LEVEL)} beside it); target "
                            "and deadline blank" if res.target_rows else
                            "no rows: no baselines (see the note)"),
            "benchmarks.csv": f"{res.benchmark_rows} rows; value, source and published "
                              "blank"}
    lines.append("Wrote:")
    lines += [f"  {p}  {what[name]}" for name, p in res.files.items()]
    lines += [f"Note: {n}" for n in res.notes]
    folder = res.out.as_posix()
    lines += ["Next: fill in target and deadline (e.g. "
              f"{label(res.baseline_period + 6) if res.baseline_period is not None else '2025-12'}"
              f") on the rows of {res.files['targets.csv'].as_posix()} you want to track "
              "(blank rows are skipped), then:",
              f"  servicekpi validate --params {folder}",
              f"  servicekpi run --params {folder}"]
    return lines
