"""Independent work on a table's columns, side by side on the machine's cores.

numpy, pandas and pyarrow let go of the GIL in their loops over a column, so
typing an export's columns, or computing its KPIs, on a few threads uses the
cores a single Python thread leaves idle.  The results come back in the order
of the work, so what is built from them is the same as when done one by one.
"""
from __future__ import annotations

import os
from collections import deque
from concurrent.futures import ThreadPoolExecutor
from itertools import islice
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


def in_order(fn: Callable[[T], R], items: Iterable[T], *,
             keep_all: bool = False) -> Iterator[R]:
    """``fn(x)`` for each of ``items``, on up to :data:`MAX_THREADS` threads,
    yielded in ``items``' order.

    At most as many calls as there are threads are started ahead of the result
    being taken, so memory holds those and the one taken, not every result.
    With ``keep_all`` (for a caller that keeps every result anyway) every call
    is queued at once: the threads go on with the calls after a long one while
    its result is awaited, which the bound would have stopped (computing 10M
    tickets' KPIs, one thread found repeat contacts for 3-4 s while the other
    waited, its next call not yet started).  An exception in a call is raised
    where its result would come; a consumer that stops early has the calls not
    yet started cancelled and those running waited for.  A pool per call: a
    pool kept between calls would not survive a fork (the batch runner's
    workers are forked).
    """
    items = list(items)
    workers = min(len(items), cores(), MAX_THREADS)
    if workers <= 1:
        yield from map(fn, items)
        return
    todo = iter(items)
    with ThreadPoolExecutor(workers, thread_name_prefix="servicekpi") as pool:
        ahead = deque(pool.submit(fn, x) for x in islice(todo, None if keep_all else workers))
        try:
            while ahead:
                result = ahead.popleft().result()
                for x in islice(todo, 1):        # the next call starts before this one is used
                    ahead.append(pool.submit(fn, x))
                yield result
        finally:
            for future in ahead:
                future.cancel()
