"""Fits and predictions on dask arrays, on a real dask.distributed cluster.

A session-scoped ``LocalCluster`` of two single-threaded workers in this
process (threads: fast to start), and one test on worker processes. No
mocks: every dask fit is compared with the numpy fit of the same data,
which it must equal to 1e-10. dask and distributed are in the ``test``
extra: these tests are imported unconditionally, never skipped.
"""

import warnings

import dask.array as da
import distributed
import numpy as np
import pytest
from sklearn.model_selection import GridSearchCV

import sklik._base
from sklik import (
    BernoulliNLLClassifier,
    CategoricalNLLClassifier,
    GaussianNLLRegressor,
    MultiOutputNLL,
    NLLRegressor,
)
from sklik._starts import cold_start
from sklik.backends import RowBlocks, RowsNotGathered, is_dask_array
from sklik.backends._target import RowVector
from sklik.distributions import REGISTRY
from sklik.exceptions import DegenerateFitWarning

TOL = 1e-10
CHUNKS = 200


@pytest.fixture(scope="session")
def client():
    cluster = distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=False, dashboard_address=":0"
    )
    with distributed.Client(cluster) as client:
        yield client
    cluster.close()


def _data(n=1500, p=4, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, p)) * [1.0, 5.0, 0.1, 2.0][:p] + [0.0, 3.0, -1.0, 0.5][:p]
    return X, rng


def _dask(X):
    return da.from_array(X, chunks=(CHUNKS, X.shape[1]))


def _fit_both(est, X, y, **fit_params):
    """(numpy fit, dask fit, their warnings' messages)."""
    fits, messages = [], []
    for data in (X, _dask(X)):
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            fits.append(est.__class__(**est.get_params()).fit(data, y, **fit_params))
        messages.append([str(w.message) for w in caught])
    return fits[0], fits[1], messages


def _assert_same_fit(a, b):
    np.testing.assert_allclose(b.model_.phi_, a.model_.phi_, rtol=TOL, atol=TOL)
    assert b.n_iter_ == a.n_iter_


# -- every estimator's fit equals the numpy fit ----------------------------------------
FAMILIES = [
    ("normal", "all"),
    ("poisson", None),
    ("negative_binomial", None),
    ("zero_inflated_poisson", None),
    ("student_t", "all"),
    ("von_mises", None),
    ("gamma", "all"),
    ("exponential", None),
    ("lognormal", None),
    ("beta", None),
]


@pytest.mark.parametrize("name,x_dependent", FAMILIES)
def test_every_family_fits_as_on_numpy(client, name, x_dependent):
    X, rng = _data(seed=len(name))
    dist = REGISTRY[name].example()
    eta = np.column_stack([0.3 * X[:, 0] - 0.1 * X[:, 3]] * dist.n_params)
    y = np.asarray(dist.to_scipy(eta).rvs(random_state=rng), dtype=float)
    a, b, messages = _fit_both(NLLRegressor(name, x_dependent=x_dependent), X, y)
    _assert_same_fit(a, b)
    assert messages[0] == messages[1]


ESTIMATORS = {
    "lstsq": GaussianNLLRegressor(),
    "ridge": GaussianNLLRegressor(alpha=0.1),
    "heteroscedastic": GaussianNLLRegressor(heteroscedastic=True),
    "no intercept": GaussianNLLRegressor(heteroscedastic=True, fit_intercept=False),
    "newton-cg": NLLRegressor("poisson", solver="newton-cg"),
    "bernoulli": BernoulliNLLClassifier(),
    "bernoulli balanced": BernoulliNLLClassifier(class_weight="balanced", alpha=1e-3),
    "categorical": CategoricalNLLClassifier(),
}


def _target(est, X, rng):
    z = 0.8 * X[:, 0] - 0.2 * X[:, 1] + rng.normal(size=len(X))
    if isinstance(est, BernoulliNLLClassifier):
        return np.where(z > 0.5, "yes", "no")
    if isinstance(est, CategoricalNLLClassifier):
        return np.digitize(z, [-0.5, 0.7])
    if getattr(est, "distribution", "normal") == "poisson":
        return rng.poisson(np.exp(0.3 * X[:, 0]))
    return z * np.exp(0.3 * X[:, 3])


@pytest.mark.parametrize("name", list(ESTIMATORS))
def test_every_estimator_fits_as_on_numpy(client, name):
    est = ESTIMATORS[name]
    X, rng = _data()
    y = _target(est, X, rng)
    weights = rng.uniform(0.0, 2.0, size=len(X))
    a, b, messages = _fit_both(est, X, y, sample_weight=weights)
    _assert_same_fit(a, b)
    assert messages[0] == messages[1] == []


@pytest.mark.parametrize(
    "est",
    [
        NLLRegressor("normal", x_dependent="all", solver="lbfgs", tol=1e-6),
        CategoricalNLLClassifier(solver="lbfgs", tol=1e-6),
    ],
)
def test_lbfgs_reaches_the_numpy_optimum(client, est):
    """L-BFGS-B's path turns on comparisons of values that the order of the
    sums over rows changes in the last digit: the two fits end at different
    points within the tolerance (gradient sup-norm 1e-6) of one optimum."""
    X, rng = _data()
    y = _target(est, X, rng)
    a, b, messages = _fit_both(est, X, y)
    assert messages[0] == messages[1] == []
    np.testing.assert_allclose(b.model_.phi_, a.model_.phi_, rtol=1e-4, atol=1e-5)
    assert b.nll(X, y) == pytest.approx(a.nll(X, y), rel=1e-10)


def test_y_and_sample_weight_may_be_dask_arrays(client):
    X, rng = _data()
    y = _target(BernoulliNLLClassifier(), X, rng)
    weights = rng.uniform(0.5, 2.0, size=len(X))
    a = BernoulliNLLClassifier().fit(X, y, sample_weight=weights)
    b = BernoulliNLLClassifier().fit(
        _dask(X), da.from_array(y, chunks=300), sample_weight=da.from_array(weights)
    )
    _assert_same_fit(a, b)


def test_multioutput_fits_and_predicts_as_on_numpy(client):
    X, rng = _data()
    Y = np.column_stack(
        [X[:, 0] + rng.normal(size=len(X)), X[:, 1] + rng.normal(size=len(X)) > 3]
    )
    model = MultiOutputNLL([GaussianNLLRegressor(), BernoulliNLLClassifier()])
    a = model.fit(X, Y)
    a_pred, a_nll = a.predict(X), a.nll(X, Y)
    b = MultiOutputNLL([GaussianNLLRegressor(), BernoulliNLLClassifier()])
    b.fit(_dask(X), Y)
    for est_a, est_b in zip(a.outputs_, b.outputs_):
        _assert_same_fit(est_a, est_b)
    prediction = b.predict(_dask(X))
    assert is_dask_array(prediction)
    np.testing.assert_allclose(
        prediction.compute().astype(float), a_pred.astype(float), rtol=TOL
    )
    assert b.nll(_dask(X), Y) == pytest.approx(a_nll, rel=TOL)
    assert b.score(_dask(X), Y) == pytest.approx(a.score(X, Y), rel=TOL)


def test_warm_start_from_a_numpy_fit(client):
    X, rng = _data()
    y = _target(GaussianNLLRegressor(), X, rng)
    reg = GaussianNLLRegressor(heteroscedastic=True, warm_start=True).fit(X, y)
    first = reg.model_.phi_.copy()
    reg.fit(_dask(X), y)
    np.testing.assert_allclose(reg.model_.phi_, first, rtol=TOL, atol=TOL)
    assert reg.n_iter_ <= 1


# -- predictions -----------------------------------------------------------------------
def _computed(a):
    return [part.compute() for part in a] if isinstance(a, tuple) else a.compute()


@pytest.mark.parametrize(
    "est,methods",
    [
        (GaussianNLLRegressor(heteroscedastic=True), ["predict"]),
        (NLLRegressor("gamma"), ["predict"]),
        (
            BernoulliNLLClassifier(),
            ["predict", "predict_proba", "predict_log_proba", "decision_function"],
        ),
        (
            CategoricalNLLClassifier(alpha=1e-3),
            ["predict", "predict_proba", "predict_log_proba", "decision_function"],
        ),
    ],
)
def test_predictions_are_dask_arrays_equal_to_numpy(client, est, methods):
    X, rng = _data(seed=5)
    if isinstance(est, NLLRegressor):
        y = np.exp(0.2 * X[:, 0]) * rng.gamma(2.0, size=len(X))
    else:
        y = _target(est, X, rng)
    fitted = est.fit(X, y)  # a numpy fit predicts on dask X (and the reverse)
    Xd = _dask(X)
    for method in methods:
        lazy = getattr(fitted, method)(Xd)
        assert is_dask_array(lazy)
        np.testing.assert_array_equal(lazy.compute(), getattr(fitted, method)(X))
    if isinstance(est, GaussianNLLRegressor):
        mean, std = fitted.predict(Xd, return_std=True)
        assert is_dask_array(mean) and is_dask_array(std)
        np.testing.assert_array_equal(std.compute(), fitted.predict(X, True)[1])
    dist_np, dist_dask = fitted.predict_dist(X), fitted.predict_dist(Xd)
    if isinstance(est, NLLRegressor):
        np.testing.assert_allclose(dist_dask.mean(), dist_np.mean(), rtol=TOL)
    else:
        np.testing.assert_array_equal(dist_dask.probs, dist_np.probs)
    weights = rng.uniform(0.0, 2.0, size=len(X))
    assert fitted.nll(Xd, y, weights) == pytest.approx(fitted.nll(X, y, weights), TOL)
    assert fitted.score(Xd, y) == pytest.approx(fitted.score(X, y), rel=TOL)


# -- the closed forms and what is not a sum over rows ----------------------------------
def test_harvey_start_is_the_numpy_start(client):
    X, rng = _data()
    y = _target(GaussianNLLRegressor(), X, rng)
    starts = []
    for data in (X, _dask(X)):
        reg = GaussianNLLRegressor(heteroscedastic=True)
        Xv, yv = reg._validate_X_y(data, y, reset=True)
        objective, _ = reg._objective(Xv, yv, None)
        starts.append(cold_start(objective))
    assert isinstance(Xv, RowBlocks)
    np.testing.assert_allclose(starts[1], starts[0], rtol=TOL, atol=TOL)


def _collinear(rng, n=800):
    x = rng.normal(size=(n, 2))
    return np.column_stack([x, x[:, 0] - 2 * x[:, 1]])  # rank 2 of 3


def test_ill_conditioned_least_squares_is_refused_or_fitted_by_newton(client):
    rng = np.random.default_rng(7)
    X = _collinear(rng)
    y = X[:, 0] + rng.normal(size=len(X))
    with pytest.raises(RowsNotGathered, match="solver='newton'"):
        GaussianNLLRegressor().fit(_dask(X), y)
    exact = GaussianNLLRegressor().fit(X, y)  # gelsd: the minimum-norm solution
    newton = GaussianNLLRegressor(solver="newton").fit(_dask(X), y)
    np.testing.assert_allclose(newton.predict(X), exact.predict(X), rtol=1e-8)
    assert newton.scale_ == pytest.approx(exact.scale_, rel=1e-8)


def test_singular_fisher_information_takes_the_eigen_fallback(client):
    """Newton's fallback on a rank-deficient design: the square root of the
    Fisher information (a row per sample) is replaced by its eigenvectors."""
    rng = np.random.default_rng(8)
    X = _collinear(rng)
    y = (X[:, 0] + rng.normal(size=len(X)) > 0).astype(int)
    a, b, messages = _fit_both(BernoulliNLLClassifier(), X, y)
    np.testing.assert_allclose(b.predict_proba(X), a.predict_proba(X), rtol=1e-8)
    assert messages[0] == messages[1] == []


def test_laplace_exact_fit_is_refused_and_lbfgs_runs(client):
    X, rng = _data()
    y = X[:, 0] + rng.laplace(size=len(X))
    with pytest.raises(RowsNotGathered, match="linear programme"):
        NLLRegressor("laplace").fit(_dask(X), y)
    lbfgs = NLLRegressor("laplace", solver="lbfgs", max_iter=15)
    a, b, messages = _fit_both(lbfgs, X, y)
    assert len(messages[0]) == len(messages[1])  # (both warn: it is not smooth)
    # The location's NLL has kinks at the data: both optima are approximate.
    assert b.nll(X, y) == pytest.approx(a.nll(X, y), rel=1e-6)


def test_separation_is_detected_as_on_numpy(client):
    rng = np.random.default_rng(9)
    x = rng.normal(size=(300, 2))
    separable = (x[:, 0] > 0).astype(int)
    quasi = x.copy()
    quasi[:20, 0] = 0.0  # on the boundary, both classes: quasi-separation
    quasi_y = np.where(quasi[:, 0] > 0, 1, 0)
    quasi_y[:10] = 1
    for X, y, kind in ((x, separable, "linearly"), (quasi, quasi_y, "quasi")):
        # (max_iter: Newton would push the coefficients on until max_iter)
        _, _, messages = _fit_both(BernoulliNLLClassifier(max_iter=20), X, y)
        assert messages[0] == messages[1]
        assert any(kind in message for message in messages[1])


def test_degenerate_fit_warns_as_on_numpy(client):
    X, _ = _data(n=400)
    with pytest.warns(DegenerateFitWarning, match="Every y"):
        NLLRegressor("poisson").fit(_dask(X), np.zeros(len(X)))


def test_columns_of_extreme_magnitude(client):
    X, rng = _data()
    y = _target(GaussianNLLRegressor(), X, rng)
    X = X * [1e300, 1.0, 1e-300, 1.0]
    a, b, _ = _fit_both(GaussianNLLRegressor(heteroscedastic=True), X, y)
    _assert_same_fit(a, b)
    np.testing.assert_allclose(b.coef_, a.coef_, rtol=TOL)


# -- validation ------------------------------------------------------------------------
@pytest.mark.parametrize("bad", [np.nan, np.inf])
def test_nan_and_inf_raise_the_numpy_error(client, bad):
    X, rng = _data(n=600)
    X[433, 2] = bad
    y = rng.normal(size=len(X))
    with pytest.raises(ValueError) as numpy_error:
        GaussianNLLRegressor().fit(X, y)
    with pytest.raises(ValueError) as dask_error:
        GaussianNLLRegressor().fit(_dask(X), y)
    assert str(dask_error.value) == str(numpy_error.value)


def test_validation_is_lazy_and_names_the_problem(client):
    X, rng = _data(n=600)
    y = rng.normal(size=len(X))
    with pytest.raises(ValueError, match="2-D"):
        GaussianNLLRegressor().fit(_dask(X)[:, 0], y)
    with pytest.raises(ValueError, match="Complex"):
        GaussianNLLRegressor().fit(_dask(X).astype(complex), y)
    with pytest.raises(ValueError, match="compute_chunk_sizes"):
        GaussianNLLRegressor().fit(_dask(X)[_dask(X)[:, 0] > 0], y[X[:, 0] > 0])
    with pytest.raises(ValueError, match="inconsistent numbers of samples"):
        GaussianNLLRegressor().fit(_dask(X), y[:-1])
    chunked_columns = da.from_array(X, chunks=(250, 2))  # rechunked by rows
    a, b = GaussianNLLRegressor().fit(X, y), GaussianNLLRegressor()
    _assert_same_fit(a, b.fit(chunked_columns, y))
    with pytest.raises(ValueError, match="features"):
        b.predict(_dask(X[:, :3]))
    lazy = b.predict(da.from_array(np.full((10, 4), np.nan)))  # raises when computed
    with pytest.raises(ValueError, match="NaN"):
        lazy.compute()


# -- where the work is done ------------------------------------------------------------
def test_one_task_per_worker_per_pass(client):
    X, rng = _data()
    y = _target(BernoulliNLLClassifier(), X, rng)
    clf = BernoulliNLLClassifier()
    Xv, yv = clf._validate_X_y(_dask(X), y, reset=True)
    objective, _ = clf._objective(Xv, yv, None)
    n_workers = len(objective.X.workers)
    assert n_workers == 2
    phi = np.zeros(objective.model.n_params)
    with distributed.get_task_stream(client) as stream:
        objective(phi)
        objective.hessian(phi)
        objective.hessp(phi, np.ones_like(phi))
    keys = [task["key"] for task in stream.data]
    for method in ("value_grad", "gram", "hessp"):
        assert sum(f"sklik-{method}-" in key for key in keys) == n_workers
    assert len(keys) == 3 * n_workers
    # A whole fit: every task is one of the objective's rounds, one per worker.
    with distributed.get_task_stream(client) as stream:
        BernoulliNLLClassifier().fit(Xv, yv)
    sklik_tasks = [t for t in stream.data if t["key"].startswith("sklik-")]
    rounds = {key.rsplit("-", 1)[0] for key in (t["key"] for t in sklik_tasks)}
    assert len(sklik_tasks) == n_workers * len(rounds)


def test_x_is_computed_once_per_fit_and_never_gathered(client):
    Xd = da.random.default_rng(3).normal(size=(1500, 4), chunks=(CHUNKS, 4))
    X = Xd.compute()  # (the same numbers for the numpy fit)
    y = _target(CategoricalNLLClassifier(), X, np.random.default_rng(3))
    with distributed.get_task_stream(client) as stream:
        clf = CategoricalNLLClassifier().fit(Xd, y)
    computed = [t["key"] for t in stream.data if Xd.name in str(t["key"])]
    assert len(computed) == Xd.numblocks[0]  # each block once: X is persisted
    _assert_same_fit(CategoricalNLLClassifier().fit(X, y), clf)
    rows = RowBlocks.persist(Xd)
    with pytest.raises(RowsNotGathered):
        np.asarray(rows)


@pytest.mark.parametrize(
    "est", [BernoulliNLLClassifier(class_weight="balanced"), CategoricalNLLClassifier()]
)
def test_y_and_the_weights_never_come_to_the_client(client, monkeypatch, est):
    """y and the weights stay on the workers: nothing computes or gathers them
    here, and the fit's objective holds no n-sized array."""
    X, rng = _data()
    y = _target(est, X, rng)
    weights = rng.uniform(0.5, 2.0, size=len(X))
    expected = est.__class__(**est.get_params()).fit(X, y, sample_weight=weights)
    objectives = []
    make = sklik._base.make_objective

    def kept(*args, **kwargs):
        objectives.append(make(*args, **kwargs))
        return objectives[-1]

    def forbidden(*args, **kwargs):
        raise AssertionError("y or the weights came to the client")

    monkeypatch.setattr(sklik._base, "make_objective", kept)
    monkeypatch.setattr(RowVector, "gather", forbidden)
    monkeypatch.setattr(da.Array, "compute", forbidden)
    monkeypatch.setattr(da.Array, "__array__", forbidden)
    yd, wd = da.from_array(y, chunks=300), da.from_array(weights, chunks=700)
    clf = est.__class__(**est.get_params()).fit(_dask(X), yd, sample_weight=wd)
    _assert_same_fit(expected, clf)
    (objective,) = objectives
    sized = [
        name
        for name, value in vars(objective).items()
        if isinstance(value, np.ndarray) and value.size >= len(X)
    ]
    assert sized == [] and objective._gathered == {}


def test_worker_processes(client):
    X, rng = _data()
    y = _target(BernoulliNLLClassifier(), X, rng)
    expected = BernoulliNLLClassifier().fit(X, y)
    with (
        distributed.LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0"
        ) as cluster,
        distributed.Client(cluster),
    ):
        clf = BernoulliNLLClassifier().fit(_dask(X), y)
        proba = clf.predict_proba(_dask(X)).compute()
    _assert_same_fit(expected, clf)
    np.testing.assert_allclose(proba, expected.predict_proba(X), rtol=TOL)


def test_grid_search_under_the_joblib_dask_backend(client):
    from joblib import parallel_backend

    X, rng = _data(n=600)
    y = _target(CategoricalNLLClassifier(), X, rng)
    grid = {"alpha": [1e-4, 1e-2, 1.0]}
    expected = GridSearchCV(CategoricalNLLClassifier(), grid, cv=3).fit(X, y)
    with parallel_backend("dask"), distributed.get_task_stream(client) as stream:
        search = GridSearchCV(CategoricalNLLClassifier(), grid, cv=3, n_jobs=-1)
        search.fit(X, y)
    assert any("fit_and_score" in str(task["key"]) for task in stream.data)
    assert search.best_params_ == expected.best_params_
    np.testing.assert_allclose(
        search.cv_results_["mean_test_score"],
        expected.cv_results_["mean_test_score"],
        rtol=TOL,
    )
