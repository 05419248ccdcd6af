import pytest

from mlpec_lab.executor import map_unordered


def _square(x):
    return x * x


@pytest.mark.parametrize("executor,workers", [(None, 1), ("local", 2)])
def test_local_executor_returns_every_result_with_its_index(executor, workers):
    got = dict(map_unordered(_square, range(7), executor=executor, max_workers=workers))
    assert got == {i: i * i for i in range(7)}


def test_dask_is_a_drop_in():
    distributed = pytest.importorskip("distributed")
    with distributed.Client(processes=False, n_workers=1, threads_per_worker=2,
                            dashboard_address=None) as client:
        got = dict(map_unordered(_square, range(5), executor=client))
    assert got == {i: i * i for i in range(5)}


def test_unknown_executor_is_refused():
    with pytest.raises(ValueError, match="unknown executor"):
        list(map_unordered(_square, [1], executor="slurm"))
