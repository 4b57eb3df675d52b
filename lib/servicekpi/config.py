"""Project paths, in one place.  Scripts take paths as parameters; these are
only the defaults (the repository layout).  And how a file is written whole
(:func:`atomic_write`)."""
from __future__ import annotations

import os
import threading
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


def atomic_write(path, data: str | bytes) -> None:
    """Write text (UTF-8) or bytes to ``path`` whole or not at all: to a name of
    this process and thread in the same folder, then renamed over ``path``
    (processes and threads may write the same file at once).  A failure leaves
    no temporary file behind, and is raised."""
    path = Path(path)
    tmp = path.with_name(f".{path.name}.tmp{os.getpid()}-{threading.get_ident()}")
    try:
        if isinstance(data, bytes):
            tmp.write_bytes(data)
        else:
            tmp.write_text(data, encoding="utf-8")
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
