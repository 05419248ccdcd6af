"""One executor interface for many independent jobs (oracle labels, field scans, NEB...).

Local processes by default; a ``dask.distributed.Client`` (or its scheduler address,
``"dask://host:port"``, or ``"dask"`` for a local cluster) is a drop-in replacement.
"""
from __future__ import annotations

import concurrent.futures as cf
import os
from typing import Any, Callable, Iterable, Iterator


def _single_thread_worker():
    """Each worker process uses one thread for BLAS/OpenMP/Numba/torch."""
    for var in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS", "NUMBA_NUM_THREADS"):
        os.environ[var] = "1"


def _dask_client(executor):
    from distributed import Client

    if isinstance(executor, Client):
        return executor, False
    if executor == "dask":
        return Client(processes=True, threads_per_worker=1, dashboard_address=None), True
    return Client(executor[len("dask://"):] if executor.startswith("dask://") else executor), True


def map_unordered(
    fn: Callable[[Any], Any],
    items: Iterable[Any],
    executor: Any = None,
    max_workers: int | None = None,
) -> Iterator[tuple[int, Any]]:
    """Run ``fn(item)`` for every item; yield ``(index, result)`` as jobs finish.

    executor: None or "local" (a process pool, ``max_workers`` processes; 1 means run
    in this process, in order), "dask" / "dask://host:port" / a ``distributed.Client``.
    An exception raised by ``fn`` propagates; jobs not yet started are cancelled when
    the caller stops iterating (Ctrl-C included).
    """
    items = list(items)
    if executor in (None, "local"):
        workers = max_workers or 1
        if workers == 1:
            for index, item in enumerate(items):
                yield index, fn(item)
            return
        pool = cf.ProcessPoolExecutor(max_workers=workers, initializer=_single_thread_worker)
        futures = {pool.submit(fn, item): i for i, item in enumerate(items)}
        try:
            for future in cf.as_completed(futures):
                yield futures[future], future.result()
        finally:
            for future in futures:
                future.cancel()
            pool.shutdown(wait=True, cancel_futures=True)
        return
    if isinstance(executor, str) and not (executor == "dask" or executor.startswith("dask://")):
        raise ValueError(
            f"unknown executor {executor!r}: use 'local', 'dask', 'dask://host:port' "
            "or a distributed.Client"
        )
    from distributed import as_completed

    client, owned = _dask_client(executor)
    futures = client.map(fn, items, pure=False)
    index_of = {f.key: i for i, f in enumerate(futures)}
    try:
        for future in as_completed(futures):
            yield index_of[future.key], future.result()
    finally:
        client.cancel(futures)
        if owned:
            client.close()
