"""Every registered distribution, checked against scipy and finite differences.

The tests iterate over ``REGISTRY``: a new family is checked without anyone
writing a list.
"""

import numpy as np
import pytest
from draws import draw_targets

from sklik.distributions import REGISTRY, Distribution

FAMILIES = sorted(REGISTRY)


def _case(name, n=50, seed=0):
    rng = np.random.default_rng(seed)
    dist = REGISTRY[name].example()
    eta = rng.normal(scale=1.5, size=(n, dist.n_params))
    return dist, eta, draw_targets(dist, eta, seed)


def _scipy_logdensity(frozen, y):
    method = getattr(frozen, "logpdf", None) or frozen.logpmf
    return method(y.astype(frozen.classes.dtype) if hasattr(frozen, "classes") else y)


@pytest.mark.parametrize("name", FAMILIES)
def test_nll_is_minus_scipy_log_density(name):
    dist, eta, y = _case(name)
    expected = -_scipy_logdensity(dist.to_scipy(eta), y)
    np.testing.assert_allclose(dist.nll(y, eta), expected, rtol=1e-12, atol=1e-13)


@pytest.mark.parametrize("name", FAMILIES)
def test_nll_grad_returns_the_nll(name):
    dist, eta, y = _case(name)
    np.testing.assert_array_equal(dist.nll_grad(y, eta)[0], dist.nll(y, eta))


def _central_diff(fun, eta, h=1e-6):
    out = []
    for j in range(eta.shape[1]):
        step = np.zeros_like(eta)
        step[:, j] = h
        out.append((fun(eta + step) - fun(eta - step)) / (2 * h))
    return np.stack(out, axis=-1)


@pytest.mark.parametrize("name", FAMILIES)
def test_gradient_matches_finite_differences(name):
    dist, eta, y = _case(name)
    numeric = _central_diff(lambda e: dist.nll(y, e), eta)
    np.testing.assert_allclose(dist.nll_grad(y, eta)[1], numeric, rtol=1e-6, atol=1e-7)


@pytest.mark.parametrize("name", FAMILIES)
def test_hessian_matches_finite_differences(name):
    dist, eta, y = _case(name)
    if not dist.has_hessian:
        pytest.skip(f"{name} declares no Hessian (Newton uses its Fisher information)")
    numeric = _central_diff(lambda e: dist.nll_grad(y, e)[1], eta)
    np.testing.assert_allclose(dist.hessian(y, eta), numeric, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("name", FAMILIES)
def test_fisher_is_the_score_covariance_and_psd(name):
    """E[g gᵀ] over y drawn from the family itself (g the score w.r.t. η)."""
    dist, eta, _ = _case(name, n=3)
    if not dist.has_fisher:
        pytest.skip(f"{name} declares no Fisher information")
    draws = draw_targets(dist, eta, 1, size=(40000, 3))
    # one call for all draws: η tiled draw by draw
    tiled = np.tile(eta, (len(draws), 1))
    scores = dist.nll_grad(draws.reshape(-1), tiled)[1].reshape(len(draws), 3, -1)
    outer = np.einsum("sij,sik->ijk", scores, scores) / len(draws)
    fisher = dist.fisher(eta)
    np.testing.assert_allclose(outer, fisher, atol=0.05 * np.abs(fisher).max())
    assert np.all(np.linalg.eigvalsh(fisher) > -1e-12 * np.abs(fisher).max())


@pytest.mark.parametrize("name", FAMILIES)
def test_fast_paths_agree_with_the_chain_rule(name):
    """A family's η-level methods equal the generic ones built from θ."""
    dist, eta, y = _case(name)
    if len(dist.links) != dist.n_params:
        pytest.skip(f"{name} has a block link: it gives η-level derivatives itself")
    generic = Distribution.nll_grad(dist, y, eta)
    fast = dist.nll_grad(y, eta)
    np.testing.assert_allclose(fast[0], generic[0], rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(fast[1], generic[1], rtol=1e-9, atol=1e-11)
    if _overrides_theta(dist, "hessian_theta"):
        np.testing.assert_allclose(
            dist.hessian(y, eta),
            Distribution.hessian(dist, y, eta),
            rtol=1e-8,
            atol=1e-10,
        )
    if _overrides_theta(dist, "fisher_theta"):
        np.testing.assert_allclose(
            dist.fisher(eta), Distribution.fisher(dist, eta), rtol=1e-8, atol=1e-10
        )


def _overrides_theta(dist, method):
    return getattr(type(dist), method) is not getattr(Distribution, method)


@pytest.mark.parametrize("name", FAMILIES)
def test_fisher_is_hessian_means_the_hessian_does_not_depend_on_y(name):
    """``fisher_is_hessian`` lets Newton skip Fisher scoring: it must hold
    exactly when the observed Hessian is the same for every y."""
    dist, eta, y = _case(name)
    if not dist.has_hessian:
        assert not dist.fisher_is_hessian
        return
    other = _case(name, seed=1)[2]
    same = np.array_equal(dist.hessian(y, eta), dist.hessian(other, eta))
    assert dist.fisher_is_hessian == same
    if dist.fisher_is_hessian:
        np.testing.assert_array_equal(dist.fisher(eta), dist.hessian(y, eta))


@pytest.mark.parametrize("name", FAMILIES)
def test_init_eta_is_stationary_for_the_intercept_only_problem(name):
    dist, _, y = _case(name, n=400, seed=3)
    if not dist.smooth:
        pytest.skip(
            f"{name}'s NLL is not differentiable: its tests check a subgradient"
        )
    w = np.random.default_rng(4).uniform(0.1, 2.0, size=y.shape[0])
    eta0 = np.broadcast_to(dist.init_eta(y, w), (y.shape[0], dist.n_params))
    grad = w @ dist.nll_grad(y, np.ascontiguousarray(eta0))[1] / w.sum()
    np.testing.assert_allclose(grad, 0.0, atol=1e-10)


@pytest.mark.parametrize("name", FAMILIES)
def test_units_change_the_nll_by_a_constant_only(name):
    """The fit's internal y and η describe the same model: with the model's
    output m, the user's η is m·scale and the internal one m + offset, and
    the two NLLs differ by the log-Jacobian of y's change of units only."""
    dist, eta, y = _case(name)
    scalable = dist.regression and dist.support.high == np.inf  # (not the beta's)
    y_user = y * 1e3 if scalable else y
    y_int, units = dist.units(y_user, np.ones_like(y))
    assert np.all(np.isfinite(units.scale)) and np.all(units.scale > 0)
    gaps, sizes = [], []
    for m in (eta, 0.5 * eta + 0.1):
        user = dist.nll(y_user, m * units.scale)
        gaps.append(user - dist.nll(y_int, m + units.offset))
        sizes.append(1.0 + np.abs(user))
    tolerance = 1e-12 * np.maximum(*sizes)  # rounding of each NLL
    np.testing.assert_array_less(np.abs(gaps[0] - gaps[0][0]), tolerance + 1e-9)
    np.testing.assert_array_less(np.abs(gaps[1] - gaps[0]), tolerance + 1e-9)


@pytest.mark.parametrize("name", FAMILIES)
def test_extreme_logits_stay_finite(name):
    dist, eta, y = _case(name)
    eta = eta * 1e3
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        nll, grad = dist.nll_grad(y, eta)
    assert not np.any(np.isnan(grad))
    assert not np.any(np.isnan(nll))
