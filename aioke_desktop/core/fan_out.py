"""Independent queries at once: a page's dozen PromQL queries cost about one round trip.

Each call runs on a small pool of threads inside the page's worker task (the clients are
thread-safe and keep their deadlines); the pool is gone when the results are in.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

K = TypeVar("K")
T = TypeVar("T")
MAX_PARALLEL = 4  # enough to hide round trips; more only queues at the server


def run_all(calls: Mapping[K, Callable[[], T]], workers: int = MAX_PARALLEL) -> dict[K, T]:
    """Every call's result by its key; the first failure (in key order) is raised."""
    if len(calls) <= 1:
        return {key: call() for key, call in calls.items()}
    with ThreadPoolExecutor(min(workers, len(calls)), thread_name_prefix="query") as pool:
        futures = {key: pool.submit(call) for key, call in calls.items()}
        return {key: future.result() for key, future in futures.items()}
