"""servicekpi: customer-service KPIs from ticket exports to shared reports.

The public API::

    tickets = servicekpi.load_tickets("export.csv", mapping="zendesk")
    kpis = servicekpi.compute_kpis(tickets, freq="month")
    servicekpi.data_quality(tickets)

plus the loaders of the other inputs (KPI table, benchmarks, targets, the
KPI catalogue), the analyses, and the error types.  Every refusal is a
:class:`ServiceKPIError`.

Names are imported on first use (PEP 562): ``import servicekpi`` loads
neither the statistics libraries nor the plotting ones, so a script that
only loads tickets starts as fast as pandas does.
"""
from __future__ import annotations

import importlib
import importlib.util
import sys
import types

from .errors import (ConfigError, DataError, InvalidArgument, OutputError, Problem,
                     ReportError, ServiceKPIError)

__version__ = "0.1.0"

#: Public name -> the submodule that defines it (imported on first use).
_LAZY = {
    "Catalogue": "catalogue", "KPIDef": "catalogue", "load_catalogue": "catalogue",
    "TICKET_KPIS": "kpis", "available_kpis": "kpis", "compute_kpis": "kpis",
    "assessable": "kpis",
    "load_mapping": "mapping", "presets": "mapping",
    "load_benchmarks": "tables", "load_kpi_table": "tables", "load_targets": "tables",
    "merge_kpis": "tables",
    "data_quality": "tickets", "load_tickets": "tickets", "validate_tickets": "tickets",
    "gap_table": "gaps", "confidence_interval": "gaps",
    "glide_path": "targets", "achievability": "targets", "baseline_interval": "targets",
    "benchmark_table": "benchmarking", "peer_matrix": "benchmarking",
    "nearest_peers": "benchmarking",
    "forecast": "forecast", "target_outlook": "forecast", "backtest": "forecast",
    "simulate": "forecast", "Simulation": "forecast",
    "scorecard": "scorecard", "Scorecard": "scorecard", "ahp_weights": "scorecard",
    "fuzzy_evaluation": "scorecard", "grade": "scorecard", "memberships": "scorecard",
    "ranked": "scorecard",
}

__all__ = [
    "ServiceKPIError", "InvalidArgument", "DataError", "ConfigError", "ReportError",
    "OutputError", "Problem",
    *_LAZY,
    "__version__",
]


def __getattr__(name: str):
    module = _LAZY.get(name)
    if module is not None:
        value = getattr(importlib.import_module(f".{module}", __name__), name)
        globals()[name] = value          # later look-ups skip this function
        return value
    if not name.startswith("_") and importlib.util.find_spec(f"{__name__}.{name}"):
        return importlib.import_module(f".{name}", __name__)    # a submodule: skpi.periods
    raise AttributeError(f"module 'servicekpi' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))


class _Package(types.ModuleType):
    """``servicekpi.scorecard`` and ``servicekpi.forecast`` name both a submodule
    and its main function.  Importing a submodule binds it as an attribute of
    the package; for those names the package keeps the function, as the public
    API promises (``skpi.scorecard(kpis, targets)``)."""

    def __setattr__(self, name, value):
        if isinstance(value, types.ModuleType) and _LAZY.get(name) == name:
            value = getattr(value, name)
        super().__setattr__(name, value)


sys.modules[__name__].__class__ = _Package
