"""Inexact Newton: CG preconditioned by the curvature's diagonal blocks."""

import numpy as np
import pytest
import scipy.sparse as sp
from scipy.special import logsumexp
from sklearn.datasets import load_digits, load_wine
from sklearn.linear_model import LogisticRegression

import sklik.solvers.newton as newton_module
from sklik import BernoulliNLLClassifier, CategoricalNLLClassifier
from sklik._centring import CentringGroups
from sklik.solvers import _pcg
from sklik.solvers._pcg import (
    BlockPreconditioner,
    conjugate_gradients,
    diagonal_blocks,
    prefers_products,
)


def _objective_of(est, X, y):
    """The objective the estimator's fit minimises on X and y."""
    X = X.astype(np.float64) if sp.issparse(X) else np.asarray(X, dtype=np.float64)
    return est._objective(X, y, None)[0]


def _ten_classes(n=3000, p=50, seed=0, sparse=False):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, p)) * rng.uniform(0.1, 10, size=p) + rng.normal(size=p)
    logits = (X / X.std(axis=0)) @ rng.normal(scale=0.2, size=(p, 10))
    y = (logits + rng.gumbel(size=logits.shape)).argmax(axis=1)
    if sparse:
        X = sp.csr_matrix(np.where(rng.uniform(size=X.shape) < 0.7, 0.0, X))
    return X, y


def _dense_newton(monkeypatch):
    monkeypatch.setattr(newton_module, "prefers_products", lambda objective: False)


def test_the_cost_rule_takes_products_for_many_logits_only():
    X, y = load_digits(return_X_y=True)
    est = CategoricalNLLClassifier(alpha=1.0 / len(y))
    assert prefers_products(_objective_of(est, X, y))
    Xw, yw = load_wine(return_X_y=True)
    small = CategoricalNLLClassifier()  # 3 classes, 3 features
    assert not prefers_products(_objective_of(small, Xw[:, :3], yw))
    binary = BernoulliNLLClassifier()  # one column of η: the block is the matrix
    assert not prefers_products(_objective_of(binary, X, (y > 4).astype(int)))


def test_digits_equals_newton_cholesky_of_scikit_learn():
    """LogisticRegression(C=1) is CategoricalNLLClassifier(alpha=1/n)."""
    X, y = load_digits(return_X_y=True)
    n = len(y)
    ours = CategoricalNLLClassifier(alpha=1.0 / n, tol=1e-10).fit(X, y)
    ref = LogisticRegression(solver="newton-cholesky", tol=1e-12, max_iter=200)
    ref.fit(X, y)

    def objective(est):
        Z = X @ est.coef_.T + est.intercept_
        data = np.mean(logsumexp(Z, axis=1) - Z[np.arange(n), y])
        return data + 0.5 / n * np.sum(est.coef_**2)

    assert objective(ours) <= objective(ref) * (1 + 1e-12)
    np.testing.assert_allclose(ours.predict_proba(X), ref.predict_proba(X), atol=1e-6)


@pytest.mark.parametrize("sparse", [False, True])
@pytest.mark.parametrize("alpha", [0.0, 1e-3])
def test_inexact_and_dense_newton_reach_the_same_fit(monkeypatch, sparse, alpha):
    X, y = _ten_classes(sparse=sparse)
    sw = np.random.default_rng(1).uniform(0.5, 2.0, size=len(y))
    inexact = CategoricalNLLClassifier(alpha=alpha, tol=1e-10).fit(X, y, sw)
    assert prefers_products(_objective_of(inexact, X, y))
    _dense_newton(monkeypatch)
    dense = CategoricalNLLClassifier(alpha=alpha, tol=1e-10).fit(X, y, sw)
    np.testing.assert_allclose(
        inexact.predict_proba(X), dense.predict_proba(X), atol=1e-8
    )
    np.testing.assert_allclose(inexact.coef_, dense.coef_, rtol=1e-6, atol=1e-8)


def test_cg_that_fails_hands_over_to_the_dense_matrix(monkeypatch):
    X, y = _ten_classes()
    monkeypatch.setattr(
        newton_module, "conjugate_gradients", lambda *args, **kwargs: (None, 1)
    )
    handed_over = CategoricalNLLClassifier(tol=1e-10).fit(X, y)
    _dense_newton(monkeypatch)
    dense = CategoricalNLLClassifier(tol=1e-10).fit(X, y)
    np.testing.assert_allclose(handed_over.coef_, dense.coef_, rtol=1e-8, atol=1e-10)


def _spd(rng, k, condition=1e4):
    Q, _ = np.linalg.qr(rng.normal(size=(k, k)))
    return (Q * np.geomspace(1.0, condition, k)) @ Q.T


def test_conjugate_gradients_solve_to_the_residual_asked():
    rng = np.random.default_rng(0)
    H = _spd(rng, 40)
    g = rng.normal(size=40)
    d, products = conjugate_gradients(lambda v: H @ v, g, lambda r: r, 1e-10, 400)
    np.testing.assert_allclose(H @ d, -g, atol=1e-9 * np.linalg.norm(g))
    exact = np.linalg.inv(H)  # the exact preconditioner: one product
    d, products = conjugate_gradients(lambda v: H @ v, g, lambda r: exact @ r, 1e-8, 40)
    assert products == 1
    np.testing.assert_allclose(d, -exact @ g, rtol=1e-8)


def test_conjugate_gradients_start_from_the_best_multiple_of_a_guess():
    rng = np.random.default_rng(4)
    H = _spd(rng, 30)
    g = rng.normal(size=30)
    exact = -np.linalg.solve(H, g)
    d, products = conjugate_gradients(
        lambda v: H @ v, g, lambda r: r, 1e-8, 100, guess=2.0 * exact
    )
    assert products == 1  # the guess, scaled to minimise the model, solves it
    np.testing.assert_allclose(d, exact, rtol=1e-10)
    near = exact * (1.0 + 1e-6 * rng.normal(size=30))
    d, warm = conjugate_gradients(lambda v: H @ v, g, lambda r: r, 1e-4, 100, near)
    _, cold = conjugate_gradients(lambda v: H @ v, g, lambda r: r, 1e-4, 100)
    np.testing.assert_allclose(H @ d, -g, atol=1e-4 * np.linalg.norm(g))
    assert warm < cold
    uphill = -exact  # not a descent direction: ignored, no product spent on it
    d, products = conjugate_gradients(
        lambda v: H @ v, g, lambda r: r, 1e-4, 100, guess=uphill
    )
    assert products == cold and g @ d < 0


def test_the_intercept_only_blocks_come_from_the_design_gram(monkeypatch):
    """Where every row of η is the same, the blocks are the cached design
    Gram matrix times each column's curvature: what the general path gives
    (which leaves out no sample there: the weights, 0.5 to 2, are all well
    above 1 % of their mean)."""
    X, y = load_digits(return_X_y=True)
    sw = np.random.default_rng(5).uniform(0.5, 2.0, size=len(y))
    est = CategoricalNLLClassifier(alpha=1.0 / len(y))
    objective = _objective_of(est, X, y)
    objective = type(objective)(
        objective.X, y, sw, objective.dist, objective.model, 1.0 / len(y)
    )
    phi = objective.model.init_params(objective.intercept_only_eta())
    assert np.all(objective.eta(phi) == objective.eta(phi)[0])
    cached = diagonal_blocks(objective, phi, fisher=False)
    monkeypatch.setattr(_pcg, "_constant_curvature", lambda *args: None)
    formed = diagonal_blocks(objective, phi, fisher=False)
    for (entries, block), (same, expected) in zip(cached, formed, strict=True):
        np.testing.assert_array_equal(entries, same)
        np.testing.assert_allclose(block, expected, rtol=1e-10, atol=1e-12)


def test_conjugate_gradients_stop_at_negative_curvature():
    rng = np.random.default_rng(1)
    H = _spd(rng, 10)
    g = rng.normal(size=10)
    d, _ = conjugate_gradients(lambda v: -H @ v, g, lambda r: r, 1e-8, 50)
    assert d is None  # no step at all: the caller takes the dense matrix
    mixed = H.copy()
    mixed[-1, -1] = -1e6  # negative curvature along the last axis only
    g[-1] = 1e-3
    d, products = conjugate_gradients(lambda v: mixed @ v, g, lambda r: r, 1e-14, 50)
    assert d is not None and g @ d < 0 and products < 50


def test_block_preconditioner_with_shifts_is_symmetric_positive_definite():
    rng = np.random.default_rng(2)
    k, p1 = 4, 5  # four columns of η, five entries each (a centring group per row)
    blocks = [(np.arange(j * p1, (j + 1) * p1), _spd(rng, p1, 1e3)) for j in range(k)]
    index = np.arange(k * p1)
    groups = CentringGroups(index, index % p1, k * p1)
    penalty = np.tile(np.append(np.full(p1 - 1, 0.1), 0.0), k)
    M_inv = BlockPreconditioner(blocks, k * p1, groups, penalty)
    Minv = np.column_stack([M_inv(e) for e in np.eye(k * p1)])
    np.testing.assert_allclose(Minv, Minv.T, atol=1e-12)
    assert np.linalg.eigvalsh(Minv).min() > 0
    # along a shift shared by a group: divided by K plus the row's penalty
    shift = (index % p1 == 0).astype(float)
    np.testing.assert_allclose(M_inv(shift), shift / (k + 0.1))


def test_block_preconditioner_gives_constant_columns_no_step():
    block = np.diag([2.0, 0.0, 3.0])
    z = BlockPreconditioner([(np.arange(3), block)], 3)(np.ones(3))
    np.testing.assert_allclose(z, [0.5, 0.0, 1 / 3])


def test_interleaved_blocks_and_tiled_groups_match_the_general_paths():
    """A linear model's K classes: reshapes give what index and scatter give."""
    rng = np.random.default_rng(3)
    k, p1 = 3, 4  # entry i of φ is class i mod k, row i // k
    index = np.arange(k * p1)
    blocks = [(index[j::k], _spd(rng, p1, 1e2)) for j in range(k)]
    penalty = rng.uniform(0.0, 0.1, k * p1)
    fast = BlockPreconditioner(
        blocks, k * p1, CentringGroups(index, index // k, k * p1), penalty
    )
    assert fast.interleaved and fast.groups.tiled
    general = BlockPreconditioner(
        blocks[::-1], k * p1, CentringGroups(index, index // k, k * p1), penalty
    )
    general.groups.tiled = False
    assert not general.interleaved
    r = rng.normal(size=k * p1)
    np.testing.assert_allclose(fast(r), general(r), rtol=1e-12)
