"""WorkerPool: lazy, spawned workers; a pool whose worker died is replaced; closing is final."""

from __future__ import annotations

import operator
import os
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool

import pytest

from media_types.workers import WorkerPool


class _CountingPool(ProcessPoolExecutor):
    made: list[_CountingPool]

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.start_method = kwargs["mp_context"].get_start_method()
        self.made.append(self)


async def test_the_pool_starts_on_first_use_and_replaces_a_broken_one(monkeypatch) -> None:
    monkeypatch.setattr(_CountingPool, "made", [], raising=False)
    pool = WorkerPool(1, executor_type=_CountingPool)
    assert _CountingPool.made == []
    try:
        assert await pool.run(operator.add, 2, 3) == 5
        with pytest.raises(BrokenProcessPool):
            await pool.run(os._exit, 1)  # a worker killed mid-job, as by the OOM killer
        assert await pool.run(operator.mul, 4, 5) == 20
    finally:
        pool.close()
    assert [made.start_method for made in _CountingPool.made] == ["spawn", "spawn"]


async def test_a_closed_pool_refuses_work_and_closing_twice_is_fine() -> None:
    pool = WorkerPool(1, start_method="forkserver")
    pool.close()
    pool.close()
    with pytest.raises(RuntimeError):
        await pool.run(operator.add, 1, 1)


def test_fork_and_an_empty_pool_are_refused() -> None:
    with pytest.raises(ValueError):
        WorkerPool(1, start_method="fork")
    with pytest.raises(ValueError):
        WorkerPool(0)
