"""Every estimator with a network as its model f[x, φ] (model=MLP(...))."""

import warnings

import numpy as np
import pytest
import scipy.sparse as sp
from scipy import stats
from sklearn.base import clone
from sklearn.datasets import make_moons
from sklearn.exceptions import ConvergenceWarning
from sklearn.metrics import log_loss
from sklearn.neural_network import MLPClassifier
from threadpoolctl import threadpool_limits

from sklik import (
    BernoulliNLLClassifier,
    CategoricalNLLClassifier,
    GaussianNLLRegressor,
    MultiOutputNLL,
    NLLRegressor,
)
from sklik._regressors import regression_families
from sklik.distributions import REGISTRY
from sklik.models import MLP


@pytest.fixture(autouse=True, scope="module")
def _one_blas_thread():
    """L-BFGS-B's many tiny BLAS calls crawl when threads fight over busy cores."""
    with threadpool_limits(1):
        yield


def _net(sizes=(16,), activation="tanh", **kwargs):
    return MLP(sizes, activation, random_state=0, **kwargs)


#: Settings under which these small networks meet the loss rule.
FIT = {"alpha": 1e-3, "tol": 1e-5, "max_iter": 1000}


def _family_data(name, n, seed):
    """η of the first column (both locations of a mixture) = 1.5 sin(2 x₀)."""
    dist = REGISTRY[name].example()
    rng = np.random.default_rng(seed)
    X = rng.uniform(-2, 2, size=(n, 2))
    eta = np.zeros((n, dist.n_params))
    columns = [j for j, p in enumerate(dist.param_names) if p.startswith("loc_")]
    eta[:, columns or [0]] = 1.5 * np.sin(2 * X[:, [0]])
    y = np.asarray(dist.to_scipy(eta).rvs(random_state=seed), dtype=np.float64)
    return X, y


@pytest.mark.parametrize("name", regression_families())
def test_every_family_fits_a_network_that_beats_the_linear_model(name):
    X, y = _family_data(name, 600, 0)
    X_test, y_test = _family_data(name, 2000, 1)
    mixture = "loc_0" in REGISTRY[name]().param_names
    x_dependent = "loc" if mixture else None  # (None: the first parameter)
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        net = NLLRegressor(
            name, x_dependent=x_dependent, model=_net(), **dict(FIT, tol=1e-4)
        )
        net.fit(X, y)
    linear = NLLRegressor(name, x_dependent=x_dependent).fit(X, y)
    assert net.predict(X_test).shape == (2000,)
    assert np.all(np.isfinite(net.predict(X_test)))
    assert net.predict_dist(X_test[:5]).mean().shape == (5,)
    # a non-monotone η: the network's held-out NLL is clearly below the line's
    assert net.nll(X_test, y_test) < linear.nll(X_test, y_test) - 0.05


def _sine(n, seed):
    """y | x ~ Normal(sin x, 0.1 + 0.3 |x| / π): the truth is known."""
    rng = np.random.default_rng(seed)
    x = rng.uniform(-np.pi, np.pi, n)
    mean, sd = np.sin(x), 0.1 + 0.3 * np.abs(x) / np.pi
    return x[:, None], mean + sd * rng.normal(size=n), mean, sd


def test_heteroscedastic_sine_near_the_true_nll_with_calibrated_intervals():
    X, y, _, _ = _sine(5000, 0)
    X_test, y_test, mean, sd = _sine(20000, 1)
    reg = NLLRegressor(
        "normal",
        x_dependent="all",
        model=MLP((32, 32), "tanh", random_state=0),
        max_iter=2000,
        tol=1e-6,
    ).fit(X, y)
    true_nll = -np.mean(stats.norm(mean, sd).logpdf(y_test))
    assert abs(reg.nll(X_test, y_test) - true_nll) < 0.05
    low, high = reg.predict_dist(X_test).interval(0.9)
    inside = (low <= y_test) & (y_test <= high)
    assert np.mean(inside) == pytest.approx(0.9, abs=0.02)
    edges = np.quantile(X_test[:, 0], np.linspace(0, 1, 11)[1:-1])
    decile = np.digitize(X_test[:, 0], edges)
    for k in range(10):  # (2,000 test points each: a standard error of 0.007)
        assert np.mean(inside[decile == k]) == pytest.approx(0.9, abs=0.05)


def test_gaussian_regressor_with_a_network_predicts_a_varying_spread():
    X, y, _, sd = _sine(800, 2)
    reg = GaussianNLLRegressor(heteroscedastic=True, model=_net(), **FIT).fit(X, y)
    mean, std = reg.predict(X, return_std=True)
    assert np.corrcoef(std, sd)[0, 1] > 0.9
    assert np.corrcoef(mean, np.sin(X[:, 0]))[0, 1] > 0.95


def _moons(seed):
    X, y = make_moons(1000, noise=0.3, random_state=seed)
    X_test, y_test = make_moons(5000, noise=0.3, random_state=100 + seed)
    return X, y, X_test, y_test


def test_moons_log_loss_no_worse_than_sklearns_mlp_classifier():
    """The same network, penalty and solver as MLPClassifier's.

    sklearn's penalty is alpha / (2 n) · ‖W‖² on the mean log loss, sklik's
    alpha / 2 · ‖W‖²: the same objective with sklearn's alpha = n · sklik's.
    """
    X, y, X_test, y_test = _moons(0)
    clf = BernoulliNLLClassifier(
        model=MLP((16, 16), random_state=0), alpha=1e-3, tol=1e-4, max_iter=1000
    ).fit(X, y)
    sk = MLPClassifier(
        (16, 16), solver="lbfgs", alpha=1e-3 * len(y), max_iter=1000, random_state=0
    ).fit(X, y)
    ours, theirs = (log_loss(y_test, est.predict_proba(X_test)) for est in (clf, sk))
    assert ours <= theirs + 0.005
    assert clf.score(X_test, y_test) > 0.85


def test_categorical_classifier_with_a_network_separates_rings():
    rng = np.random.default_rng(0)
    radius = rng.choice([1.0, 2.0, 3.0], size=1500)
    angle = rng.uniform(0, 2 * np.pi, 1500)
    X = (radius + 0.25 * rng.normal(size=1500))[:, None] * np.column_stack(
        [np.cos(angle), np.sin(angle)]
    )
    y = radius.astype(int)
    train, test = slice(0, 1000), slice(1000, None)
    net = CategoricalNLLClassifier(model=_net((16,)), **FIT).fit(X[train], y[train])
    linear = CategoricalNLLClassifier().fit(X[train], y[train])
    assert net.predict_proba(X[test]).shape == (500, 3)
    assert net.score(X[test], y[test]) > 0.9 > linear.score(X[test], y[test])
    np.testing.assert_array_equal(net.classes_, [1, 2, 3])


def _two_outputs(n, seed):
    rng = np.random.default_rng(seed)
    X = rng.uniform(-2, 2, size=(n, 1))
    y0 = np.sin(2 * X[:, 0]) + 0.2 * rng.normal(size=n)
    y1 = rng.poisson(np.exp(1 + np.sin(2 * X[:, 0])))
    return X, np.column_stack([y0, y1])


def test_multioutput_fits_one_shared_trunk_jointly():
    X, Y = _two_outputs(800, 0)
    X_test, Y_test = _two_outputs(2000, 1)
    outputs = [("y", NLLRegressor("normal")), ("counts", NLLRegressor("poisson"))]
    multi = MultiOutputNLL(outputs, model=_net(), **FIT).fit(X, Y)
    for est in multi.outputs_:
        assert est.model_.network is multi.model_  # one network for both
    assert multi.model_.n_params == (1 * 16 + 16) + 16 * 2 + 3  # trunk, heads, biases
    separate = [
        NLLRegressor(name, model=_net(), **FIT).fit(X, Y[:, j])
        for j, name in enumerate(["normal", "poisson"])
    ]
    linear = MultiOutputNLL(outputs).fit(X, Y)
    pred = multi.predict(X_test)
    assert pred.shape == (2000, 2)
    for j, est in enumerate(multi.outputs_):
        joint = est.nll(X_test, Y_test[:, j])
        assert joint < linear.outputs_[j].nll(X_test, Y_test[:, j]) - 0.1
        assert joint == pytest.approx(separate[j].nll(X_test, Y_test[:, j]), abs=0.05)
    assert multi.n_iter_[0] == multi.n_iter_[1] > 0


def test_multioutput_shared_trunk_refuses_class_weight():
    X, Y = _two_outputs(100, 0)
    Y[:, 1] = np.arange(100) < 30  # (unbalanced: the class weights are not 1)
    outputs = [NLLRegressor(), BernoulliNLLClassifier(class_weight="balanced")]
    with pytest.raises(ValueError, match="class_weight"):
        MultiOutputNLL(outputs, model=_net(), **FIT).fit(X, Y)


def test_a_network_has_no_coefficients_or_summary():
    X, y, _, _ = _sine(200, 0)
    reg = NLLRegressor(model=_net(), **FIT).fit(X, y)
    for name in ("coef_", "intercept_"):
        assert not hasattr(reg, name)
        with pytest.raises(AttributeError, match=r"linear model.*model_"):
            getattr(reg, name)
    unpenalised = NLLRegressor(model=_net(), alpha=0.0, tol=1e-3).fit(X, y)
    with pytest.raises(ValueError, match="linear model"):
        unpenalised.summary(X, y)
    multi = MultiOutputNLL(model=_net(), tol=1e-3).fit(X, np.column_stack([y, y]))
    with pytest.raises(AttributeError, match="linear model"):
        multi.outputs_[0].coef_
    with pytest.raises(ValueError, match="linear model"):
        multi.summary(X, np.column_stack([y, y]))
    # a refit with the linear model brings them back
    reg.set_params(model="linear").fit(X, y)
    assert reg.coef_.shape == (2, 1)


def test_convergence_warning_only_when_the_loss_rule_fails():
    X, y, _, _ = _sine(300, 0)
    with pytest.warns(ConvergenceWarning, match="n_iter_no_change=10"):
        reg = NLLRegressor(model=_net(), max_iter=2).fit(X, y)
    assert reg.n_iter_ == 2
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        reg = NLLRegressor(model=_net(), **FIT).fit(X, y)
    assert reg.n_iter_ < FIT["max_iter"]
    # a smaller patience stops sooner, at a loss no better
    quick = NLLRegressor(model=_net(n_iter_no_change=2), **FIT).fit(X, y)
    assert quick.n_iter_ < reg.n_iter_
    assert quick.nll(X, y) >= reg.nll(X, y) - 1e-3


def test_gauss_newton_solver_reaches_the_lbfgs_fit():
    X, y, _, _ = _sine(300, 0)
    lbfgs = NLLRegressor(model=_net((8,)), alpha=1e-2, tol=1e-7, max_iter=3000).fit(
        X, y
    )
    newton_cg = NLLRegressor(
        model=_net((8,)), alpha=1e-2, solver="newton-cg", tol=1e-5, max_iter=500
    ).fit(X, y)
    assert newton_cg.nll(X, y) == pytest.approx(lbfgs.nll(X, y), abs=0.02)
    with pytest.raises(ValueError, match="newton"):
        NLLRegressor(model=_net(), solver="newton").fit(X, y)


def test_verbose_prints_progress_to_stderr(capsys):
    X, y, _, _ = _sine(200, 0)
    reg = NLLRegressor(model=_net(verbose=5), **FIT).fit(X, y)
    out, err = capsys.readouterr()
    assert out == ""
    lines = err.splitlines()
    assert len(lines) == reg.n_iter_ // 5
    assert lines[0].startswith("Iteration 5: objective ")
    assert "gradient sup-norm" in lines[-1]
    objectives = [float(line.split("objective ")[1].split(",")[0]) for line in lines]
    assert objectives[-1] < objectives[0]
    NLLRegressor(model=_net(), **FIT).fit(X, y)  # verbose=0: silent
    assert capsys.readouterr() == ("", "")


@pytest.mark.parametrize("sparse", [False, True])
def test_weights_equal_repeats_up_to_the_stop(sparse):
    """Integer weights and repeated rows: one objective, so (nearly) one fit.

    Only nearly: their sums round differently, which moves L-BFGS's path on
    a non-convex objective a little. Ignoring the weights moves it far more.
    """
    rng = np.random.RandomState(0)
    X = rng.rand(300, 3)
    y = X[:, 0] ** 2 + 0.3 * rng.randn(300)
    labels = (X[:, 0] + X[:, 1] > 1).astype(int) + (X[:, 2] > 0.5)
    sw = rng.randint(0, 4, 300)
    X_rep = X.repeat(sw, axis=0)
    if sparse:
        X, X_rep = sp.csr_matrix(X), sp.csr_matrix(X_rep)
    settings = {"model": _net((5,)), "alpha": 1e-2, "tol": 1e-8, "max_iter": 3000}
    for est, target, outputs in (
        (NLLRegressor(x_dependent="all", **settings), y, "predict"),
        (CategoricalNLLClassifier(**settings), labels, "predict_proba"),
    ):
        weighted = getattr(clone(est).fit(X, target, sw), outputs)(X)
        repeated = getattr(clone(est).fit(X_rep, target.repeat(sw)), outputs)(X)
        unweighted = getattr(clone(est).fit(X, target), outputs)(X)
        assert np.max(np.abs(weighted - repeated)) < 2e-3
        assert np.max(np.abs(weighted - unweighted)) > 2e-2


@pytest.mark.parametrize(
    "est",
    [
        NLLRegressor("poisson"),
        NLLRegressor("normal", x_dependent="all"),
        CategoricalNLLClassifier(),
    ],
    ids=repr,
)
def test_a_network_without_hidden_layers_is_the_linear_model(est):
    """At alpha=0 both reach the one maximum-likelihood fit of a GLM."""
    rng = np.random.default_rng(0)
    X = rng.normal(size=(400, 3)) * [1.0, 10.0, 0.1] + [0.0, 50.0, 1.0]
    lin = 0.5 * X[:, 0] - 0.03 * X[:, 1] + 2 * X[:, 2]
    if isinstance(est, CategoricalNLLClassifier):
        y = (lin + rng.logistic(size=400) > 0).astype(int) + (X[:, 0] > 1)
        outputs = "predict_proba"
    elif est.distribution == "poisson":
        y, outputs = rng.poisson(np.exp(lin)), "predict"
    else:
        y, outputs = lin + np.exp(0.3 * X[:, 0]) * rng.normal(size=400), "predict_dist"
    linear = clone(est).fit(X, y)
    # (seed 4 of the normal ends in L-BFGS-B's line search failing in rounding
    # noise, at the optimum: no ConvergenceWarning for that either)
    for seed in (0, 4):
        with warnings.catch_warnings():
            warnings.simplefilter("error", ConvergenceWarning)
            net = (
                clone(est)
                .set_params(model=MLP((), random_state=seed), tol=1e-9, max_iter=3000)
                .fit(X, y)
            )
        if outputs == "predict_dist":
            expected, got = linear.predict_dist(X).std(), net.predict_dist(X).std()
        else:
            expected, got = getattr(linear, outputs)(X), getattr(net, outputs)(X)
        np.testing.assert_allclose(got, expected, rtol=5e-4, atol=1e-6)
