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
from servicekpi.tickets import load_tickets

glibc = pytest.mark.skipif(
    not sys.platform.startswith("linux") or os.confstr("CS_GNU_LIBC_VERSION") is None,
    reason="the allocator settings are glibc's")

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


def _reuse(mode: str, **env) -> dict:
    clean = {k: v for k, v in os.environ.items()
             if not k.startswith("MALLOC_") and k not in ("GLIBC_TUNABLES",
                                                          "NUMPY_MADVISE_HUGEPAGE")}
    out = subprocess.run([sys.executable, "-c", _REUSE, mode], env={**clean, **env},
                         capture_output=True, text=True, check=True)
    return json.loads(out.stdout)


@glibc
def test_a_tuned_process_reuses_a_large_freed_block():
    # 64 MB is above the largest block glibc keeps by default: mapped afresh and
    # faulted in page by page again (16,384 pages of 4 KB), unless tuned
    plain = _reuse("plain", NUMPY_MADVISE_HUGEPAGE="0")
    tuned = _reuse("tune")
    assert plain["faults"] > 10_000
    assert tuned["tuned"] is True
    assert tuned["faults"] < 1_000


@glibc
def test_the_users_own_allocator_settings_are_left_alone():
    kept = _reuse("tune", MALLOC_ARENA_MAX="4", NUMPY_MADVISE_HUGEPAGE="0")
    assert kept["tuned"] is False
    assert kept["faults"] > 10_000


_GIVE_BACK = """
import json, sys
from servicekpi import config
def rss():
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * 4096
blocks = []
for i in range(800):               # 400 MB of 512 KB blocks, a small one after each
    blocks.append((bytearray(512 << 10), bytearray(64)))
full = rss()
for i in range(len(blocks)):       # the large ones freed below the small ones kept
    blocks[i] = blocks[i][1]
freed = rss()
config.give_back_memory()
print(json.dumps({"full": full, "freed": freed, "after": rss()}))
"""


@glibc
def test_free_memory_below_blocks_in_use_is_given_back():
    clean = {k: v for k, v in os.environ.items() if not k.startswith("MALLOC_")}
    clean["MALLOC_MMAP_THRESHOLD_"] = str(1 << 20)   # the 512 KB blocks from the heap
    out = json.loads(subprocess.run([sys.executable, "-c", _GIVE_BACK], env=clean,
                                    capture_output=True, text=True, check=True).stdout)
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
