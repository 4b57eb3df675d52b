"""Independent work on a table's columns, side by side on the machine's cores.

numpy, pandas and pyarrow let go of the GIL in their loops over a column, so
typing an export's columns, or computing its KPIs, on a few threads uses the
cores a single Python thread leaves idle.  The results come back in the order
of the work, so what is built from them is the same as when done one by one.
"""
from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor
from typing import Callable, Iterable, Iterator, TypeVar

T = TypeVar("T")
R = TypeVar("R")

#: At most this many threads work on one table at once.
MAX_THREADS = 4


def cores() -> int:
    """The cores this process may run on (its CPU affinity where the system has one)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:     # not on Linux
        return os.cpu_count() or 1


def in_order(fn: Callable[[T], R], items: Iterable[T]) -> Iterator[R]:
    """``fn(x)`` for each of ``items``, computed on up to :data:`MAX_THREADS`
    threads and yielded in ``items``' order.

    Taken one at a time, a result can be let go before the next comes, so
    memory holds the few in flight, not all of them.  An exception in a call
    is raised where its result would come.  A pool per call: a pool kept
    between calls would not survive a fork (the batch runner's workers are
    forked).
    """
    items = list(items)
    workers = min(len(items), cores(), MAX_THREADS)
    if workers <= 1:
        yield from map(fn, items)
        return
    with ThreadPoolExecutor(workers, thread_name_prefix="servicekpi") as pool:
        yield from pool.map(fn, items)
