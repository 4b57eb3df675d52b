"""Project paths, in one place.  Scripts take paths as parameters; these are
only the defaults (the repository layout).  How a file is written whole
(:func:`atomic_write`), and how the command line's process allocates memory
(:func:`tune_allocator`)."""
from __future__ import annotations

import ctypes
import importlib
import os
import sys
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


#: mallopt's parameters (glibc's malloc.h).
_M_TRIM_THRESHOLD, _M_MMAP_MAX, _M_ARENA_MAX = -1, -4, -8
#: Free memory the allocator keeps at the top of its heap before it gives it back.
KEEP_FREED = 256 << 20


def tune_allocator() -> bool:
    """Let this process reuse the large blocks of memory it frees, rather than
    return each one to the operating system and ask for it again.

    Working on a large export allocates and frees arrays of tens of megabytes
    many times over (a column of 10M rows is 80 MB).  glibc's malloc maps each
    block above 32 MB afresh (and a thread's large blocks that do not fit its
    arena's heap), and the kernel clears every page of it on first use: on the
    project's 2-core machine, a third of ``servicekpi kpis``' time on a 10M-row
    export was spent there.  Here the blocks come from one heap (one arena, no
    separate mappings), which keeps up to :data:`KEEP_FREED` of free memory at
    its top; and NumPy does not ask for huge pages (with few page faults, the
    kernel then spent as long preparing the huge ones).

    Called by the command line (:func:`servicekpi.cli.main`) before it does any
    work, not on import: a process that imports servicekpi keeps its allocator
    as it is, and the processes the command starts do not inherit it (report
    kernels have settings of their own: :data:`servicekpi.runner.KERNEL_ARENAS`).
    Changes nothing (and returns False) where the C library is not glibc, when
    the environment sets glibc's malloc settings (a ``MALLOC_*`` variable,
    ``glibc.malloc`` tunables): those are the user's, or when NumPy is already
    imported.  The arena setting needs the process to have no second thread
    that has allocated yet.
    """
    mallopt = _glibc("mallopt")
    if (mallopt is None or "numpy" in sys.modules
            or any(k.startswith("MALLOC_") for k in os.environ)
            or "glibc.malloc." in os.environ.get("GLIBC_TUNABLES", "")):
        return False
    mallopt.argtypes, mallopt.restype = [ctypes.c_int, ctypes.c_int], ctypes.c_int
    done = [mallopt(_M_ARENA_MAX, 1), mallopt(_M_MMAP_MAX, 0),
            mallopt(_M_TRIM_THRESHOLD, KEEP_FREED)]
    # NumPy reads the setting when it is imported (a user's own stays): set for
    # that import only, not for the processes this one starts
    unset = "NUMPY_MADVISE_HUGEPAGE" not in os.environ
    if unset:
        os.environ["NUMPY_MADVISE_HUGEPAGE"] = "0"
    try:
        importlib.import_module("numpy")
    finally:
        if unset:
            del os.environ["NUMPY_MADVISE_HUGEPAGE"]
    return all(done)


def give_back_memory() -> None:
    """Return the whole free pages of glibc's heaps to the operating system
    (``malloc_trim``), wherever they lie: the allocator itself gives back only
    free memory at a heap's top, not the columns of a frame freed below
    longer-lived ones.  Nothing on another C library."""
    trim = _glibc("malloc_trim")
    if trim is not None:
        trim.argtypes, trim.restype = [ctypes.c_size_t], ctypes.c_int
        trim(0)


def _glibc(name: str):
    """A function of glibc's malloc, None when the process runs on another C library."""
    try:
        if not os.confstr("CS_GNU_LIBC_VERSION"):
            return None
        return getattr(ctypes.CDLL(None), name)
    except (ValueError, OSError, AttributeError):   # not glibc (musl, macOS, Windows)
        return None
