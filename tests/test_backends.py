"""Backends: sums over row blocks, a memmap read in place, dask optional.

The dask backend on a real cluster is in test_dask.py; here the pieces that
need no cluster: the per-block arithmetic both objectives share adds up to
the whole, a read-only memmap is fitted without a copy, sklik imports and
fits without dask installed, and a dask X without a client (dask's
default scheduler) fits as numpy does.
"""

import subprocess
import sys
import textwrap
from itertools import pairwise

import numpy as np
import pytest

from sklik import BernoulliNLLClassifier, GaussianNLLRegressor, NLLRegressor
from sklik._objective import NLLObjective
from sklik._row_sums import (
    curvature_sums_rows,
    forward_rows,
    gram_rows,
    hessp_rows,
    value_grad_rows,
)
from sklik.backends import is_dask_array, is_distributed
from sklik.distributions import REGISTRY
from sklik.models import LinearModel


def _objective(name, n=300, p=3, seed=0, alpha=0.0):
    rng = np.random.default_rng(seed)
    dist = REGISTRY[name].example()
    X = rng.normal(size=(n, p)) + [0.0, 3.0, -1.0][:p]
    eta = rng.normal(size=(n, dist.n_params)) * 0.3
    y = np.asarray(dist.to_scipy(eta).rvs(random_state=seed), dtype=np.float64)
    w = rng.uniform(0.5, 2.0, size=n)
    model = LinearModel.from_data(X, w, [True] * dist.n_params, True)
    return NLLObjective(X, y, w, dist, model, alpha), rng


@pytest.mark.parametrize("name", ["normal", "poisson", "categorical", "student_t"])
def test_sums_over_blocks_of_rows_are_the_objective(name):
    """The map-reduce identity the dask backend relies on: the row functions
    applied to blocks and added up give the objective's own sums."""
    obj, rng = _objective(name)
    phi = rng.normal(size=obj.model.n_params) * 0.2
    v = rng.normal(size=obj.model.n_params)
    edges = [0, 37, 38, 150, 300]  # uneven blocks, one of a single row
    value, grad, H, Hv, diag = 0.0, 0.0, 0.0, 0.0, 0.0
    dist, model = obj.dist, obj.model
    fisher = dist.has_fisher
    constant = obj._constant_fisher() if fisher else None
    for a, b in pairwise(edges):
        X, y, w = obj.X[a:b], obj.y[a:b], obj.w[a:b]
        eta, cache = forward_rows(model, X, phi, obj.eta_offset)
        part, part_grad = value_grad_rows(dist, model, y, w, eta, cache)
        value, grad = value + part, grad + part_grad
        H = H + gram_rows(dist, model, X, y, w, eta, fisher, constant)
        Hv = Hv + hessp_rows(dist, model, y, w, eta, cache, v)
        diag = diag + curvature_sums_rows(dist, y, w, eta)
    whole_value, whole_grad = obj(phi)
    penalty = obj.penalty_value(phi)
    extra = obj.penalty * phi + obj._centring(phi)[1]  # (not sums over rows)
    np.testing.assert_allclose(value + penalty, whole_value, rtol=1e-13)
    np.testing.assert_allclose(grad + extra, whole_grad, rtol=1e-11, atol=1e-14)
    np.testing.assert_allclose(
        H, obj._data_gram(phi, fisher, constant), rtol=1e-11, atol=1e-14
    )
    np.testing.assert_allclose(
        Hv, obj._data_hessp(phi, v, False), rtol=1e-11, atol=1e-14
    )
    np.testing.assert_allclose(diag, obj._data_curvature_sums(phi), rtol=1e-12)


def _memmap(tmp_path, X):
    path = tmp_path / "X.npy"
    np.save(path, X)
    return np.load(path, mmap_mode="r")


def test_a_read_only_memmap_is_fitted_in_place(tmp_path):
    """validate_data (check_array) returns a view of a float64 memmap, and the
    objective reads that view: no copy of X at any step of the fit."""
    rng = np.random.default_rng(1)
    X = rng.normal(size=(500, 4))
    y = X @ [1.0, -2.0, 0.5, 0.0] + rng.normal(size=500)
    M = _memmap(tmp_path, X)
    assert not M.flags.writeable
    reg = GaussianNLLRegressor(heteroscedastic=True)
    Xv, yv = reg._validate_X_y(M, y, reset=True)
    assert np.shares_memory(Xv, M)
    objective, _ = reg._objective(Xv, yv, None)
    assert np.shares_memory(objective.X, M)
    fitted = GaussianNLLRegressor(heteroscedastic=True).fit(M, y)
    expected = GaussianNLLRegressor(heteroscedastic=True).fit(X, y)
    np.testing.assert_array_equal(fitted.coef_, expected.coef_)
    np.testing.assert_array_equal(fitted.predict(M), expected.predict(X))


def test_memmap_fit_allocates_no_copy_of_x(tmp_path):
    """tracemalloc: the peak of a memmap fit stays below X's size (a copy of X
    alone would reach it; the fit's own arrays take about half of it)."""
    import tracemalloc

    rng = np.random.default_rng(2)
    X = rng.normal(size=(40_000, 20))  # 6.4 MB
    y = (X[:, 0] + rng.normal(size=len(X)) > 0).astype(float)
    M = _memmap(tmp_path, X)
    clf = BernoulliNLLClassifier()
    clf.fit(M[:100], y[:100])  # (imports and first-call caches outside the trace)
    tracemalloc.start()
    clf.fit(M, y)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert peak < 0.8 * X.nbytes, peak / X.nbytes


def test_sklik_imports_and_fits_without_dask():
    code = textwrap.dedent(
        """
        import sys
        sys.modules["dask"] = None  # import dask now raises ImportError
        sys.modules["distributed"] = None
        import numpy as np
        import sklik
        from sklik import GaussianNLLRegressor
        from sklik.backends import is_dask_array
        X = np.arange(20.0).reshape(10, 2)
        reg = GaussianNLLRegressor().fit(X, X[:, 0] + np.arange(10) % 3)
        assert not is_dask_array(X)
        assert "dask.array" not in sys.modules
        print("ok", reg.predict(X[:1]).shape)
        """
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=False
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "ok (1,)"


def test_numpy_arrays_are_not_distributed():
    X = np.zeros((3, 2))
    assert not is_dask_array(X) and not is_distributed(X)


def test_dask_without_a_client_fits_as_numpy():
    """No distributed client (or a local scheduler configured): dask's own
    scheduler computes the chunks once into this process."""
    import dask
    import dask.array as da

    rng = np.random.default_rng(3)
    X = rng.normal(size=(600, 3))
    y = rng.poisson(np.exp(0.3 * X[:, 0] - 0.2 * X[:, 2]))
    Xd = da.from_array(X, chunks=(130, 3))
    with dask.config.set(scheduler="sync"):
        dask_fit = NLLRegressor("poisson").fit(Xd, y)
        predicted = dask_fit.predict(Xd)
        assert is_dask_array(predicted)
        predicted = predicted.compute()
    numpy_fit = NLLRegressor("poisson").fit(X, y)
    np.testing.assert_allclose(dask_fit.coef_, numpy_fit.coef_, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(predicted, numpy_fit.predict(X), rtol=1e-10)
