"""The objective: its gradient and curvature, and the sample-weight invariances."""

import numpy as np
import pytest
import scipy.sparse as sp
from scipy.optimize import check_grad

from sklik._objective import NLLObjective
from sklik._row_sums import curvature_times_rows
from sklik.distributions import REGISTRY, Normal
from sklik.models import LinearModel


def _problem(
    name,
    *,
    sparse=False,
    fit_intercept=True,
    alpha=0.0,
    weights=None,
    n=60,
    p=4,
    heteroscedastic=True,
    seed=0,
):
    rng = np.random.default_rng(seed)
    dist = REGISTRY[name].example()
    X = rng.normal(size=(n, p)) * [1.0, 10.0, 0.01, 3.0][:p] + [0, 5.0, 1.0, -2][:p]
    eta = rng.normal(size=(n, dist.n_params)) * 0.5
    y = np.asarray(dist.to_scipy(eta).rvs(random_state=seed), dtype=np.float64)
    w = np.ones(n) if weights is None else weights
    if sparse:
        X[rng.random(X.shape) < 0.5] = 0.0
        X = sp.csr_matrix(X)
    depends = [True] * dist.n_params
    if isinstance(dist, Normal):
        depends[1] = heteroscedastic
    model = LinearModel.from_data(X, w, depends, fit_intercept)
    return NLLObjective(X, y, w, dist, model, alpha), rng


CASES = [
    (name, sparse, fit_intercept, alpha, weighted)
    for name in sorted(REGISTRY)
    for sparse in (False, True)
    for fit_intercept in (True, False)
    for alpha, weighted in ((0.0, False), (0.3, True))
]


@pytest.mark.parametrize("name,sparse,fit_intercept,alpha,weighted", CASES)
def test_gradient_matches_finite_differences(
    name, sparse, fit_intercept, alpha, weighted
):
    w = np.random.default_rng(9).uniform(0, 3, size=60) if weighted else None
    obj, rng = _problem(
        name, sparse=sparse, fit_intercept=fit_intercept, alpha=alpha, weights=w
    )
    phi = rng.normal(size=obj.model.n_params) * 0.3
    err = check_grad(lambda v: obj(v)[0], lambda v: obj(v)[1], phi)
    assert err < 1e-6 * max(1.0, np.linalg.norm(obj(phi)[1]))


@pytest.mark.parametrize("name", sorted(REGISTRY))
@pytest.mark.parametrize("sparse", [False, True])
def test_hessian_matches_finite_differences_and_hessp(name, sparse):
    obj, rng = _problem(name, sparse=sparse, alpha=0.1)
    phi = rng.normal(size=obj.model.n_params) * 0.3
    H = obj.hessian(phi)
    h = 1e-6
    numeric = np.column_stack(
        [
            (obj(phi + h * e)[1] - obj(phi - h * e)[1]) / (2 * h)
            for e in np.eye(len(phi))
        ]
    )
    if obj.dist.has_hessian:  # (else H is the Fisher information: not checked here)
        np.testing.assert_allclose(H, numeric, rtol=1e-5, atol=1e-6)
    v = rng.normal(size=len(phi))
    np.testing.assert_allclose(obj.hessp(phi, v), H @ v, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(
        obj.hessp(phi, v, fisher=True),
        obj.hessian(phi, fisher=True) @ v,
        rtol=1e-10,
        atol=1e-12,
    )


@pytest.mark.parametrize("name", sorted(REGISTRY))
def test_gram_from_raw_columns_equals_gram_from_centred_columns(name, monkeypatch):
    """Dense Gram matrices are built from X as stored and moved to the
    column means afterwards, unless an offset dwarfs its column's spread;
    the two ways agree, and a constant column's rows are exact zeros (not
    the rounding the shift leaves, which the solver would take for a
    direction)."""
    rng = np.random.default_rng(3)
    dist = REGISTRY[name].example()
    X = rng.normal(size=(80, 4)) * [1.0, 10.0, 0.5, 0.0] + [0.0, 5.0, 20.0, 3.7]
    eta = rng.normal(size=(80, dist.n_params)) * 0.5
    y = np.asarray(dist.to_scipy(eta).rvs(random_state=3), dtype=np.float64)
    w = rng.uniform(0.5, 2.0, size=80)
    model = LinearModel.from_data(X, w, [True] * dist.n_params, True)
    obj = NLLObjective(X, y, w, dist, model, 0.0)
    phi = rng.normal(size=model.n_params) * 0.3
    raw = obj.hessian(phi)
    monkeypatch.setattr("sklik.models._moments._MAX_UNCENTRED", 0.0)
    centred = obj.hessian(phi)
    np.testing.assert_allclose(raw, centred, rtol=1e-11, atol=1e-11 * np.abs(raw).max())
    gram = raw - obj._add_curvature_extra(np.zeros_like(raw))  # (centring term)
    constant = np.flatnonzero(model.mask.ravel()) // model.mask.shape[1] == 3
    assert np.all(gram[constant] == 0.0) and np.all(gram[:, constant] == 0.0)


@pytest.mark.parametrize("sparse", [False, True])
@pytest.mark.parametrize("heteroscedastic", [True, False])
def test_column_grams_are_the_diagonal_blocks_of_gram(sparse, heteroscedastic):
    """One Gram matrix per column of η, on that column's entries of φ; the
    rows of zero weight in most of a column are skipped (a gather), which
    changes nothing."""
    obj, rng = _problem("normal", sparse=sparse, heteroscedastic=heteroscedastic)
    model, n = obj.model, obj.X.shape[0]
    c = rng.uniform(0.1, 2.0, size=(n, 2))
    c[rng.random(n) < 0.8, 0] = 0.0  # mostly zero: the gathering path
    C = np.zeros((n, 2, 2))
    C[:, [0, 1], [0, 1]] = c
    full = model.gram(obj.X, C)
    blocks = model.column_grams(obj.X, c)
    for j, block in enumerate(blocks):
        entries = model.column_entries(j)
        np.testing.assert_allclose(
            block, full[np.ix_(entries, entries)], rtol=1e-12, atol=1e-12
        )


@pytest.mark.parametrize("same", [True, False])
def test_curvature_times_u_from_the_factors(same):
    """diag(a) - b bᵀ times u, per sample and weighted: the softmax's (a is
    b, the shorter path) and a general pair give the explicit product."""
    rng = np.random.default_rng(4)
    a = rng.uniform(0.1, 1.0, size=(30, 4))
    b = a if same else rng.uniform(0.1, 1.0, size=(30, 4))
    w, u = rng.uniform(0.5, 2.0, size=30), rng.normal(size=(30, 4))

    class Factored:
        def hessian_factors(self, y, eta):
            return a, b

    times = curvature_times_rows(Factored(), None, w, None)
    C = w[:, None, None] * (
        np.einsum("ij,jk->ijk", a, np.eye(4)) - b[:, :, None] * b[:, None, :]
    )
    expected = np.einsum("ijk,ik->ij", C, u)
    np.testing.assert_allclose(times(u.copy()), expected, rtol=1e-12)


def _user_params(obj, seed=1):
    rng = np.random.default_rng(seed)
    return obj.model.to_user(rng.normal(size=obj.model.n_params) * 0.3)


@pytest.mark.parametrize("name", sorted(REGISTRY))
def test_weights_of_ones_equal_no_weights(name):
    obj1, _ = _problem(name, weights=np.ones(60))
    obj2, _ = _problem(name, weights=np.full(60, 2.5))
    params = _user_params(obj1)
    np.testing.assert_allclose(
        obj1(obj1.model.from_user(*params))[0],
        obj2(obj2.model.from_user(*params))[0],
        rtol=1e-13,
    )


def _subset_objective(obj, rows, weights):
    """The same problem on a subset / repetition of the rows."""
    X = obj.X[rows]
    y = obj.y[rows]
    model = LinearModel.from_data(
        X, weights, obj.model.depends_on_x, obj.model.fit_intercept
    )
    return NLLObjective(X, y, weights, obj.dist, model, obj.penalty.any() * 0.3)


@pytest.mark.parametrize("name", sorted(REGISTRY))
@pytest.mark.parametrize("sparse", [False, True])
def test_integer_weights_equal_repeated_rows_and_zero_equals_dropped(name, sparse):
    counts = np.random.default_rng(5).integers(0, 4, size=60)
    obj_w, _ = _problem(name, sparse=sparse, alpha=0.3, weights=counts.astype(float))
    rows = np.repeat(np.arange(60), counts)
    obj_r = _subset_objective(obj_w, rows, np.ones(len(rows)))
    params = _user_params(obj_w)
    f_w = obj_w(obj_w.model.from_user(*params))[0]
    f_r = obj_r(obj_r.model.from_user(*params))[0]
    np.testing.assert_allclose(f_w, f_r, rtol=1e-12)
    # the internal standardisation sees the same data too: identical φ-space
    np.testing.assert_allclose(obj_w.model.x_scale, obj_r.model.x_scale, rtol=1e-12)


def test_centring_term_vanishes_at_centred_logits_only():
    obj, _ = _problem("categorical", alpha=0.0)
    W, b = _user_params(obj)
    centred = obj.model.from_user(W - W.mean(axis=1, keepdims=True), b - b.mean())
    shifted = obj.model.from_user(W - W.mean(axis=1, keepdims=True) + 1.0, b - b.mean())
    assert obj._centring(centred)[0] == pytest.approx(0.0, abs=1e-20)
    assert obj._centring(shifted)[0] > 0
    # the likelihood itself does not see the shift
    assert obj.mean_nll(centred) == pytest.approx(obj.mean_nll(shifted), rel=1e-12)


@pytest.mark.parametrize("sparse", [False, True])
def test_model_round_trip_and_forward(sparse):
    obj, rng = _problem("normal", sparse=sparse)
    W = rng.normal(size=(4, 2))
    b = rng.normal(size=2)
    W_back, b_back = obj.model.to_user(obj.model.from_user(W, b))
    np.testing.assert_allclose(W_back, W, rtol=1e-12)
    np.testing.assert_allclose(b_back, b, rtol=1e-12)
    eta = obj.model.forward(obj.X, obj.model.from_user(W, b))[0]
    np.testing.assert_allclose(eta, obj.X @ W + b, rtol=1e-12, atol=1e-12)


def test_penalty_is_on_user_scale_coefficients():
    obj, _ = _problem("bernoulli", alpha=0.7)
    W, b = _user_params(obj)
    phi = obj.model.from_user(W, b)
    expected = obj.mean_nll(phi) + 0.35 * np.sum(W**2)
    assert obj(phi)[0] == pytest.approx(expected, rel=1e-12)
