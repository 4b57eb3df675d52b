"""servicekpi: customer-service KPIs from ticket exports to shared reports.

The public API::

    tickets = servicekpi.load_tickets("export.csv", mapping="zendesk")
    kpis = servicekpi.compute_kpis(tickets, period="month")
    servicekpi.data_quality(tickets)

plus the loaders of the other inputs (KPI table, benchmarks, targets, the
KPI catalogue) and the error types.  Every refusal is a
:class:`ServiceKPIError`.
"""
from .benchmarking import benchmark_table, peer_matrix
from .catalogue import Catalogue, KPIDef, load_catalogue
from .errors import ConfigError, DataError, Problem, ReportError, ServiceKPIError
from .forecast import Simulation, backtest, forecast, simulate, target_outlook
from .gaps import confidence_interval, gap_table
from .kpis import TICKET_KPIS, assessable, available_kpis, compute_kpis
from .mapping import load_mapping, presets
from .tables import load_benchmarks, load_kpi_table, load_targets, merge_kpis
from .scorecard import (Scorecard, ahp_weights, fuzzy_evaluation, grade, memberships, ranked,
                        scorecard)
from .targets import achievability, baseline_interval, glide_path
from .tickets import data_quality, load_tickets, validate_tickets

__version__ = "0.1.0"

__all__ = [
    "Catalogue", "KPIDef", "load_catalogue",
    "ServiceKPIError", "DataError", "ConfigError", "ReportError", "Problem",
    "TICKET_KPIS", "available_kpis", "compute_kpis", "assessable",
    "load_mapping", "presets",
    "load_benchmarks", "load_kpi_table", "load_targets", "merge_kpis",
    "data_quality", "load_tickets", "validate_tickets",
    "gap_table", "confidence_interval", "glide_path", "achievability",
    "baseline_interval",
    "benchmark_table", "peer_matrix",
    "forecast", "target_outlook", "backtest", "simulate", "Simulation",
    "scorecard", "Scorecard", "ahp_weights", "fuzzy_evaluation", "grade",
    "memberships", "ranked",
    "__version__",
]
