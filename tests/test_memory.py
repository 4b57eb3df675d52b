"""How the command line's process allocates memory (config.tune_allocator,
config.give_back_memory) and how loading lets a read frame go."""
import json
import os
import subprocess
import sys
import weakref

import pandas as pd
import pytest

import servicekpi.tickets as tickets_mod
from conftest import on_glibc
from servicekpi.tickets import load_tickets

glibc = pytest.mark.skipif(not on_glibc(), reason="the allocator settings are glibc's")


def _huge_pages_always() -> bool:
    """Transparent huge pages for every mapping: a fresh 64 MB block then takes
    a few dozen page faults, not 16,384, tuned or not."""
    try:
        with open("/sys/kernel/mm/transparent_hugepage/enabled") as f:
            return "[always]" in f.read()
    except OSError:
        return False

# A fresh process: allocate a 64 MB array (every page written), free it, allocate
# it again; print whether tuning applied and the page faults of the second time.
_REUSE = """
import json, resource, sys
from servicekpi import config
tuned = config.tune_allocator() if sys.argv[1] == "tune" else None
import numpy as np
a = np.ones(8 << 20); del a
before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
b = np.ones(8 << 20)
print(json.dumps({"tuned": tuned, "faults": resource.getrusage(resource.RUSAGE_SELF).ru_minflt
                  - before}))
"""


def _run(code: str, *args: str, **env) -> object:
    """What ``code`` prints (JSON) in a fresh process of this servicekpi, with no
    allocator setting in its environment but ``env``."""
    clean = {k: v for k, v in os.environ.items()
             if not k.startswith("MALLOC_") and k not in ("GLIBC_TUNABLES",
                                                          "NUMPY_MADVISE_HUGEPAGE")}
    clean["PYTHONPATH"] = os.pathsep.join(sys.path)
    out = subprocess.run([sys.executable, "-c", code, *args], env={**clean, **env},
                         capture_output=True, text=True, check=True)
    return json.loads(out.stdout)


def _reuse(mode: str, **env) -> dict:
    return _run(_REUSE, mode, **env)


@glibc
def test_a_tuned_process_reuses_a_large_freed_block():
    # 64 MB is above the largest block glibc keeps by default: mapped afresh and
    # faulted in page by page again (16,384 pages of 4 KB), unless tuned
    plain = _reuse("plain", NUMPY_MADVISE_HUGEPAGE="0")
    tuned = _reuse("tune")
    assert tuned["tuned"] is True
    assert tuned["faults"] < 1_000
    if not _huge_pages_always():
        assert plain["faults"] > 10_000


@glibc
@pytest.mark.parametrize("setting", [{"MALLOC_ARENA_MAX": "4"},
                                     {"GLIBC_TUNABLES": "glibc.malloc.arena_max=4"}])
def test_the_users_own_allocator_settings_are_left_alone(setting):
    kept = _reuse("tune", NUMPY_MADVISE_HUGEPAGE="0", **setting)
    assert kept["tuned"] is False
    if not _huge_pages_always():
        assert kept["faults"] > 10_000


@glibc
def test_a_process_that_imported_numpy_is_left_alone_and_its_children_too():
    """NumPy reads its huge-page setting when imported: tuning sets it for the
    command's own import only, and leaves the environment (which the report
    kernels it starts inherit) as it was."""
    code = ("import os, sys, json; from servicekpi import config\n"
            "first = config.tune_allocator()\n"
            "print(json.dumps([first, config.tune_allocator(), 'numpy' in sys.modules,\n"
            "                  os.environ.get('NUMPY_MADVISE_HUGEPAGE')]))")
    assert _run(code) == [True, False, True, None]


_GIVE_BACK = """
import json, sys
import numpy as np
from servicekpi import config
def rss():
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * 4096
# 400 MB of 512 KB arrays from glibc's heap, each followed by a 4 KB one (NumPy
# takes both from malloc); the large ones freed, the small ones kept above them
blocks = [(np.ones(64 << 10), np.ones(512)) for i in range(800)]
full = rss()
small = [b for _, b in blocks]
del blocks
freed = rss()
config.give_back_memory()
print(json.dumps({"full": full, "freed": freed, "after": rss()}))
"""


@glibc
def test_free_memory_below_blocks_in_use_is_given_back():
    # the 512 KB blocks from the heap
    out = _run(_GIVE_BACK, MALLOC_MMAP_THRESHOLD_=str(1 << 20))
    mb = 1 << 20
    assert out["freed"] > out["full"] - 50 * mb      # free, but still the process's
    assert out["after"] < out["freed"] - 300 * mb    # given back


def test_loading_lets_the_frame_it_read_go_before_it_returns(tmp_path, monkeypatch):
    """The frame read is handed to validation, not kept alive by the call: its
    columns can be freed as they are typed (load_tickets used to pass it as an
    argument, which the call held until it returned)."""
    path = tmp_path / "t.csv"
    pd.DataFrame({"ticket_id": ["T1", "T2", "T3"], "team": ["a", "a", "b"],
                  "created_at": ["2024-01-02 10:00", "2024-01-03 11:00",
                                 "2024-01-04 12:00"]}).to_csv(path, index=False)
    read, alive = [], []
    real_read = tickets_mod.read_table

    def read_table(*args, **kwargs):
        df = real_read(*args, **kwargs)
        read.append(weakref.ref(df))
        return df

    real_release = tickets_mod.release_memory

    def release_memory():
        alive.append(read[0]() is not None if read else None)
        real_release()

    monkeypatch.setattr(tickets_mod, "read_table", read_table)
    monkeypatch.setattr(tickets_mod, "release_memory", release_memory)
    t = load_tickets(path)
    assert list(t["ticket_id"]) == ["T1", "T2", "T3"]
    assert alive and alive[-1] is False
