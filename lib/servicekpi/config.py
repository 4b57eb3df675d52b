"""Project paths, in one place.  Scripts take paths as parameters; these are
only the defaults (the repository layout)."""
from __future__ import annotations

import os
from pathlib import Path

#: Repository root (lib/servicekpi/config.py -> ../..).  SERVICEKPI_ROOT overrides.
PROJ_ROOT = Path(os.environ.get("SERVICEKPI_ROOT", Path(__file__).resolve().parents[2]))
PARAMS_DIR = PROJ_ROOT / "params"
NOTEBOOKS_DIR = PROJ_ROOT / "notebooks"
REPORTS_DIR = PROJ_ROOT / "reports"
DEMO_DIR = PROJ_ROOT / "data" / "demo"
CATALOGUE = PARAMS_DIR / "catalogue.yaml"
TEAM_NOTEBOOK = NOTEBOOKS_DIR / "team_report.ipynb"
OVERVIEW_NOTEBOOK = NOTEBOOKS_DIR / "overview_report.ipynb"

#: Periods a baseline written by ``servicekpi init`` averages, by default.
BASELINE_PERIODS = 3
