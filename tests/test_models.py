"""The network f[x, φ] (sklik.models.MLP): its passes, start and parameters."""

from types import SimpleNamespace

import numpy as np
import pytest
import scipy.sparse as sp
from scipy.optimize import check_grad
from sklearn.base import clone
from sklearn.model_selection import GridSearchCV, KFold
from threadpoolctl import threadpool_limits

from sklik import CategoricalNLLClassifier, MultiOutputNLL, NLLRegressor
from sklik._objective import NLLObjective
from sklik._starts import cold_start
from sklik.distributions import REGISTRY
from sklik.models import MLP, MLPModel
from sklik.solvers.lbfgs import _Progress


@pytest.fixture(autouse=True, scope="module")
def _one_blas_thread():
    """L-BFGS-B's many tiny BLAS calls crawl when threads fight over busy cores."""
    with threadpool_limits(1):
        yield


ACTIVATIONS = ("relu", "tanh", "logistic", "identity")
SIZES = ((), (5,), (4, 3))
#: Which columns of a three-column η are network outputs.
DEPENDS = ([True, True, True], [True, False, True], [False, False, False])


def _X(n=40, sparse=False, seed=0):
    """Columns of very different offsets and scales, one of them constant."""
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 4)) * [1.0, 10.0, 0.01, 3.0] + [0.0, 5.0, 1.0, -2.0]
    X[:, 2] = 7.0  # a constant column: spread 1, never a division by zero
    if sparse:
        X[rng.random(X.shape) < 0.5] = 0.0
        return sp.csr_matrix(X)
    return X


def _built(sizes, activation, depends, sparse, fit_intercept=True, seed=0):
    X = _X(sparse=sparse, seed=seed)
    spec = MLP(sizes, activation, random_state=seed)
    model = spec.build(X, np.ones(X.shape[0]), depends, fit_intercept)
    rng = np.random.default_rng(seed + 1)
    phi = rng.normal(size=model.n_params) * 0.5
    return model, X, phi, rng


def _central_differences(func, phi, h=1e-6):
    """∂func/∂φ (func's output flattened) column by column, central differences."""
    columns = []
    for k in range(len(phi)):
        step = np.zeros(len(phi))
        step[k] = h
        columns.append((func(phi + step) - func(phi - step)).ravel() / (2 * h))
    return np.stack(columns, axis=-1)


CASES = [
    (activation, sizes, depends, sparse)
    for activation in ACTIVATIONS
    for sizes in SIZES
    for depends in DEPENDS[:2]
    for sparse in (False, True)
]


@pytest.mark.parametrize("activation,sizes,depends,sparse", CASES)
def test_backward_matches_finite_differences(activation, sizes, depends, sparse):
    model, X, phi, rng = _built(sizes, activation, depends, sparse)
    G = rng.normal(size=(X.shape[0], len(depends)))

    def weighted_eta(p):
        return np.sum(G * model.forward(X, p)[0])

    grad = model.backward(model.forward(X, phi)[1], G)
    numeric = _central_differences(weighted_eta, phi)[0]
    np.testing.assert_allclose(grad, numeric, rtol=1e-5, atol=1e-6)
    if not sparse:  # the constant column's first-layer weights: no gradient
        first = model.unpack(np.arange(model.n_params, dtype=float))[0][0]
        scale = np.max(np.abs(grad))
        np.testing.assert_allclose(grad[first[2].astype(int)], 0.0, atol=1e-12 * scale)


@pytest.mark.parametrize("activation,sizes,depends,sparse", CASES)
def test_jvp_matches_finite_differences_and_is_backwards_adjoint(
    activation, sizes, depends, sparse
):
    model, X, phi, rng = _built(sizes, activation, depends, sparse)
    v = rng.normal(size=model.n_params)
    cache = model.forward(X, phi)[1]
    jv = model.jvp(cache, v)
    assert jv.shape == (X.shape[0], len(depends))
    h = 1e-6
    numeric = (model.forward(X, phi + h * v)[0] - model.forward(X, phi - h * v)[0]) / (
        2 * h
    )
    np.testing.assert_allclose(jv, numeric, rtol=1e-5, atol=1e-6)
    # <G, J v> = <Jᵀ G, v>: jvp and backward are the same Jacobian
    G = rng.normal(size=jv.shape)
    assert np.sum(G * jv) == pytest.approx(model.backward(cache, G) @ v, rel=1e-10)
    # a constant column of η moves only with its own bias
    for j in np.flatnonzero(~np.asarray(depends)):
        np.testing.assert_allclose(jv[:, j], jv[0, j])


def test_no_output_column_is_the_biases_alone():
    model, X, phi, _ = _built((5,), "tanh", DEPENDS[2], sparse=False)
    assert model.n_params == 3 and model.layers == []
    np.testing.assert_array_equal(model.forward(X, phi)[0], np.tile(phi, (40, 1)))


def test_fit_intercept_false_drops_the_output_biases_of_outputs_only():
    model, X, phi, _ = _built((5,), "tanh", [True, False, True], False, False)
    with_bias = _built((5,), "tanh", [True, False, True], False)[0]
    assert with_bias.n_params - model.n_params == 2  # two x-dependent columns
    G = np.ones((X.shape[0], 3))
    numeric = _central_differences(lambda p: np.sum(G * model.forward(X, p)[0]), phi)[0]
    np.testing.assert_allclose(
        model.backward(model.forward(X, phi)[1], G), numeric, rtol=1e-5, atol=1e-6
    )


def test_inputs_are_standardised_inside_the_model():
    """A shift and a rescaling of the columns leave the fitted η unchanged."""
    X = _X()
    spec = MLP((6,), "tanh", random_state=0)
    model = spec.build(X, np.ones(40), [True], True)
    moved = X * [2.0, 1e-3, 1.0, 50.0] + [1e3, -4.0, 0.0, 2.0]
    model_moved = spec.build(moved, np.ones(40), [True], True)
    phi = model.init_params(np.zeros(1))
    np.testing.assert_allclose(
        model.forward(X, phi)[0], model_moved.forward(moved, phi)[0], atol=1e-9
    )


FAMILIES = ["normal", "poisson", "gamma", "categorical", "von_mises", "student_t"]


@pytest.mark.parametrize("name", FAMILIES)
@pytest.mark.parametrize("sparse", [False, True])
def test_objective_gradient_with_a_network(name, sparse):
    dist = REGISTRY[name].example()
    rng = np.random.default_rng(3)
    X = _X(n=50, sparse=sparse)
    eta = rng.normal(size=(50, dist.n_params)) * 0.5
    y = np.asarray(dist.to_scipy(eta).rvs(random_state=3), dtype=np.float64)
    w = rng.uniform(0.5, 2.0, size=50)
    depends = [True] * dist.n_params
    depends[-1] = dist.n_params == 1  # the last parameter constant, if several
    model = MLP((4, 3), "tanh", random_state=0).build(X, w, depends, True)
    objective = NLLObjective(X, y, w, dist, model, alpha=0.3)
    phi = cold_start(objective) + rng.normal(size=model.n_params) * 0.2
    err = check_grad(lambda p: objective(p)[0], lambda p: objective(p)[1], phi)
    assert err < 1e-6 * max(1.0, np.linalg.norm(objective(phi)[1]))
    # the Gauss-Newton product is Jᵀ C J v + α v (J from jvp, C the curvature)
    v = rng.normal(size=model.n_params)
    eta_phi, cache = objective.forward(phi)
    C = objective.curvature(eta_phi, slice(None))
    expected = model.backward(cache, np.einsum("ijk,ik->ij", C, model.jvp(cache, v)))
    expected += objective.penalty * v + objective._centring(v)[1]
    np.testing.assert_allclose(objective.hessp(phi, v), expected, rtol=1e-10)


@pytest.mark.parametrize("name", ["normal", "poisson", "categorical", "gamma"])
def test_output_biases_start_at_the_intercept_only_optimum(name):
    dist = REGISTRY[name].example()
    rng = np.random.default_rng(5)
    X = _X(n=200)
    eta = rng.normal(size=(200, dist.n_params)) * 0.5
    y = np.asarray(dist.to_scipy(eta).rvs(random_state=5), dtype=np.float64)
    depends = [True] * dist.n_params
    model = MLP((8,), random_state=0).build(X, np.ones(200), depends, True)
    objective = NLLObjective(X, y, np.ones(200), dist, model, alpha=0.0)
    phi0 = cold_start(objective)
    weights, _, biases = model.unpack(phi0)
    np.testing.assert_array_equal(
        biases, dist.init_eta(y, np.full(200, 1 / 200)) - objective.eta_offset
    )
    # η starts near the unconditional distribution (small output weights) ...
    assert 0 < np.max(np.abs(weights[-1])) < 0.1
    # ... and with the output weights at zero the biases are the optimum.
    flat = phi0.copy()
    index, row, _ = model.output_entries()
    flat[index[row < weights[-1].shape[0]]] = 0.0
    grad = objective(flat)[1]
    assert np.max(np.abs(grad[index[row == weights[-1].shape[0]]])) < 1e-6


def _reg(random_state, **kwargs):
    return NLLRegressor(
        "normal",
        x_dependent="all",
        model=MLP((6, 5), "tanh", random_state=random_state),
        alpha=1e-2,
        max_iter=1000,
        tol=1e-4,
        **kwargs,
    )


def _sine(n=200, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.uniform(-3, 3, size=(n, 2))
    y = np.sin(X[:, 0]) + (0.1 + 0.1 * np.abs(X[:, 0])) * rng.normal(size=n)
    return X, y


def test_same_random_state_gives_a_bit_identical_fit():
    X, y = _sine()
    a, b = _reg(0).fit(X, y), _reg(0).fit(X, y)
    np.testing.assert_array_equal(a.model_.phi_, b.model_.phi_)
    np.testing.assert_array_equal(a.predict(X), b.predict(X))
    c = _reg(1).fit(X, y)
    assert not np.array_equal(a.model_.phi_, c.model_.phi_)
    # a RandomState instance is copied by clone: refits are identical too
    spec = _reg(np.random.RandomState(7))
    np.testing.assert_array_equal(
        clone(spec).fit(X, y).model_.phi_, clone(spec).fit(X, y).model_.phi_
    )


def test_mlp_is_a_clonable_specification():
    spec = MLP((7, 3), "tanh", random_state=2, n_iter_no_change=4, verbose=0)
    params = spec.get_params()
    assert params == {
        "hidden_layer_sizes": (7, 3),
        "activation": "tanh",
        "random_state": 2,
        "n_iter_no_change": 4,
        "verbose": 0,
    }
    copy = clone(spec)
    assert copy is not spec and copy.get_params() == params
    assert spec.set_params(hidden_layer_sizes=(2,)) is spec
    assert spec.hidden_layer_sizes == (2,)
    est = NLLRegressor(model=MLP((3,)))
    est.set_params(model__activation="logistic", model__hidden_layer_sizes=4)
    assert est.get_params()["model__activation"] == "logistic"
    assert clone(est).model.hidden_layer_sizes == 4
    multi = MultiOutputNLL(model=MLP((3,)))
    multi.set_params(model__hidden_layer_sizes=(5,))
    assert multi.get_params()["model__hidden_layer_sizes"] == (5,)


def test_grid_search_over_hidden_layer_sizes():
    X, y = _sine(n=150)
    search = GridSearchCV(
        _reg(0),
        {"model__hidden_layer_sizes": [(2,), (8,)]},
        cv=KFold(3, shuffle=True, random_state=0),
    ).fit(X, y)
    assert search.best_params_["model__hidden_layer_sizes"] in [(2,), (8,)]
    assert (
        search.best_estimator_.model_.hidden_layer_sizes
        == (search.best_params_["model__hidden_layer_sizes"])
    )
    assert np.all(np.isfinite(search.cv_results_["mean_test_score"]))


@pytest.mark.parametrize(
    "params,argument",
    [
        ({"hidden_layer_sizes": (0,)}, "hidden_layer_sizes"),
        ({"hidden_layer_sizes": (3, -1)}, "hidden_layer_sizes"),
        ({"hidden_layer_sizes": (2.5,)}, "hidden_layer_sizes"),
        ({"hidden_layer_sizes": "wide"}, "hidden_layer_sizes"),
        ({"hidden_layer_sizes": True}, "hidden_layer_sizes"),
        ({"activation": "softmax"}, "activation"),
        ({"n_iter_no_change": 0}, "n_iter_no_change"),
        ({"verbose": -1}, "verbose"),
        ({"verbose": 1.5}, "verbose"),
        ({"random_state": "seed"}, "random_state"),
    ],
)
def test_bad_params_raise_naming_the_argument(params, argument):
    X, y = _sine(n=30)
    with pytest.raises(ValueError, match=argument):
        NLLRegressor(model=MLP(**params)).fit(X, y)


def test_bad_model_raises_naming_the_argument():
    X, y = _sine(n=30)
    with pytest.raises(ValueError, match="model"):
        NLLRegressor(model="mlp").fit(X, y)
    with pytest.raises(ValueError, match="model"):
        CategoricalNLLClassifier(model=MLP).fit(X, y > 0)
    with pytest.raises(ValueError, match="model"):
        MultiOutputNLL(model="mlp").fit(X, np.column_stack([y, y]))


def test_model_repr_and_type():
    X, y = _sine(n=60)
    est = _reg(0).fit(X, y)
    assert isinstance(est.model_, MLPModel)
    assert "hidden_layer_sizes=(6, 5)" in repr(est.model_)


@pytest.mark.parametrize("sizes", [(), (4, 3)])
@pytest.mark.parametrize("sparse", [False, True])
def test_warm_params_give_the_previous_function_in_new_units(sizes, sparse):
    X, y = _sine(300)
    est = NLLRegressor(
        "normal",
        x_dependent="all",
        model=MLP(sizes, "tanh", random_state=0),
        alpha=1e-2,
        tol=1e-4,
        max_iter=300,
    ).fit(X, y)
    previous = est.model_
    shift = [0.0, 0.0] if sparse else [5.0, -3.0]
    moved = X * [10.0, 0.1] + shift
    if sparse:
        X, moved = sp.csr_matrix(X), sp.csr_matrix(moved)
    spec = MLP(sizes, "tanh", random_state=1)
    model = spec.build(moved, np.ones(300), [True, True], True)
    assert not np.allclose(model.x_scale, previous.x_scale)
    scale = previous.output_scale_ * [2.0, 0.5]  # other units of η as well
    phi = model.warm_params(previous, scale)
    np.testing.assert_allclose(  # the same function of x, built on other data
        model.fitted(phi, scale).predict_eta(X),
        previous.predict_eta(X),
        rtol=1e-10,
        atol=1e-10,
    )
    other = MLP((4,), "tanh").build(moved, np.ones(300), [True, True], True)
    assert other.warm_params(previous, scale) is None  # another layout


def test_warm_start_continues_from_the_previous_network():
    X, y = _sine()
    est = _reg(0).fit(X, y)
    cold_iterations, before, nll = est.n_iter_, est.predict(X), est.nll(X, y)
    est.set_params(warm_start=True).fit(X, y)
    # it starts where the last fit stopped (the loss rule: within tol there)
    assert est.n_iter_ <= 2 * MLP().n_iter_no_change < cold_iterations
    assert est.nll(X, y) < nll + 1e-3
    np.testing.assert_allclose(est.predict(X), before, atol=0.05)
    # another layout starts cold: as a fresh fit of that layout
    est.set_params(model__hidden_layer_sizes=(3,)).fit(X, y)
    fresh = _reg(0).set_params(model__hidden_layer_sizes=(3,)).fit(X, y)
    np.testing.assert_array_equal(est.model_.phi_, fresh.model_.phi_)


def test_loss_rule_counts_iterations_without_improvement():
    """n_iter_no_change iterations in a row not below the best by tol: converged."""
    network = SimpleNamespace(n_iter_no_change=3, verbose=0)
    progress = _Progress(network, tol=0.1)
    values = [10.0, 5.0, 4.95, 4.9, 3.0, 2.95, 2.92, 2.91]
    stops = [progress.stop(value, 1.0) for value in values]
    assert stops == [False] * 7 + [True] and progress.converged
    assert not progress.gradient_met
    # a gradient sup-norm at most tol stops it at once
    progress = _Progress(network, tol=0.1)
    assert progress.stop(10.0, 0.1) and progress.gradient_met
    # a model without the rule (the linear one) stops on the gradient only
    linear = _Progress(SimpleNamespace(), tol=0.1)
    assert not any(linear.stop(1.0, 1.0) for _ in range(20))
