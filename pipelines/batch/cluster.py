"""Where batch work runs: in this process, on a local ``dask.distributed`` cluster, or on an
existing Dask cluster (``dask scheduler`` / ``dask worker``, Dask-Jobqueue, Dask Gateway).

Each worker process gets as many threads for TensorFlow, ONNX Runtime and GDAL as it has
Dask threads, so workers do not oversubscribe the cores.  Install with
``pip install "crossmask[dask]"``.
"""

from __future__ import annotations

import contextlib
import importlib.util
import os
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from crossmask.errors import InputError

__all__ = ["dask_client", "map_unordered", "worker_env"]


def worker_env(threads: int) -> dict[str, str]:
    """Environment that keeps a worker's libraries to ``threads`` threads each."""
    n = str(max(1, threads))
    return {"TF_NUM_INTRAOP_THREADS": n, "TF_NUM_INTEROP_THREADS": "1", "OMP_NUM_THREADS": n,
            "GDAL_NUM_THREADS": n, "TF_CPP_MIN_LOG_LEVEL": "3", "CROSSMASK_THREADS": n}


@contextlib.contextmanager
def dask_client(workers: int | None = None, scheduler: str | None = None,
                threads_per_worker: int | None = None) -> Iterator[Any]:
    """A ``distributed.Client``: on ``scheduler`` (an address such as
    ``tcp://10.0.0.5:8786``) or on a new local cluster of ``workers`` processes with
    ``threads_per_worker`` threads each (default: the cores shared out); None when
    neither is given (run in this process)."""
    if not workers and not scheduler:
        yield None
        return
    if importlib.util.find_spec("distributed") is None:
        raise InputError('--workers/--scheduler need Dask: pip install "crossmask[dask]"')
    from distributed import Client, LocalCluster

    if scheduler:
        with Client(scheduler) as client:
            yield client
        return
    if workers < 1:
        raise InputError(f"--workers {workers}: need at least one worker")
    threads = threads_per_worker or max(1, (os.cpu_count() or 1) // workers)
    with LocalCluster(n_workers=workers, threads_per_worker=threads, processes=True,
                      dashboard_address=None, env=worker_env(threads)) as cluster, \
            Client(cluster) as client:
        yield client


def map_unordered(fn: Callable, items: Iterable, client=None,
                  on_error: Callable[[Any, BaseException], Any] | None = None) -> Iterator:
    """``fn(item)`` for every item, results as they finish: in this process without a
    client, else as Dask tasks (one per item).  A task that fails outside ``fn`` (a worker
    killed past Dask's retries) gives ``on_error(item, error)`` instead of stopping."""
    items = list(items)
    if client is None:
        yield from (fn(item) for item in items)
        return
    from distributed import as_completed

    futures = client.map(fn, items, pure=False)
    index = {future.key: i for i, future in enumerate(futures)}
    for future in as_completed(futures):
        try:
            yield future.result()
        except Exception as err:  # noqa: BLE001 - a lost worker must not end the batch
            if on_error is None:
                raise
            yield on_error(items[index[future.key]], err)
