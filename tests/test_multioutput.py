"""MultiOutputNLL: named outputs with nested parameters, and its score."""

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.datasets import load_iris, load_linnerud
from sklearn.metrics import accuracy_score, r2_score
from sklearn.model_selection import GridSearchCV, KFold
from sklearn.utils.estimator_checks import parametrize_with_checks

from sklik import CategoricalNLLClassifier, GaussianNLLRegressor, MultiOutputNLL

G = GaussianNLLRegressor


@pytest.fixture(scope="module")
def two_outputs():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(200, 4))
    Y = np.column_stack(
        [X @ [1.0, -2.0, 0.0, 0.5], 3.0 * X[:, 1] + 0.2 * X[:, 2]]
    ) + rng.normal(size=(200, 2))
    return X, Y


@pytest.fixture(scope="module")
def iris_mixed():
    X, y = load_iris(return_X_y=True)
    species = np.array(["setosa", "versicolor", "virginica"], dtype=object)[y]
    return X[:, :3], np.column_stack([species, X[:, 3]])


# -- names and nested parameters ------------------------------------------------------
def test_a_plain_list_is_named_by_position():
    model = MultiOutputNLL([G(alpha=1.0), CategoricalNLLClassifier()])
    params = model.get_params()
    assert params["output0"] is model.outputs[0]
    assert params["output0__alpha"] == 1.0
    assert params["output1__class_weight"] is None
    shallow = model.get_params(deep=False)
    assert shallow["outputs"] is model.outputs
    assert not any(key.startswith("output0") for key in shallow)


def test_pairs_give_the_names():
    weight, pulse = G(), G(heteroscedastic=True)
    model = MultiOutputNLL([("weight", weight), ("pulse", pulse)])
    params = model.get_params()
    assert params["weight"] is weight and params["pulse"] is pulse
    assert params["pulse__heteroscedastic"] is True
    assert not any(key.startswith("output0") for key in params)


@pytest.mark.parametrize("named", [False, True])
def test_set_params_reaches_one_output(named, two_outputs):
    X, Y = two_outputs
    outputs = [("a", G()), ("b", G())] if named else [G(), G()]
    model = MultiOutputNLL(outputs)
    second = "b" if named else "output1"
    assert model.set_params(**{f"{second}__alpha": 5.0}) is model
    assert model.get_params()[f"{second}__alpha"] == 5.0
    assert model.get_params()[("a" if named else "output0") + "__alpha"] == 0.0
    model.fit(X, Y)
    assert [est.alpha for est in model.outputs_] == [0.0, 5.0]
    # the penalty was used: the fit differs from the unpenalised one
    free = G().fit(X, Y[:, 1])
    assert not np.allclose(model.outputs_[1].coef_, free.coef_)
    np.testing.assert_allclose(model.outputs_[0].coef_, G().fit(X, Y[:, 0]).coef_)


@pytest.mark.parametrize("named", [False, True])
def test_set_params_replaces_an_output_and_keeps_the_form(named):
    outputs = [("a", G()), ("b", G())] if named else [G(), G()]
    model = MultiOutputNLL(outputs)
    new = CategoricalNLLClassifier()
    model.set_params(**{"b" if named else "output1": new})
    assert model.get_params()["b" if named else "output1"] is new
    if named:
        assert model.outputs[1] == ("b", new) and model.outputs[0][0] == "a"
    else:
        assert model.outputs[1] is new and not isinstance(model.outputs[0], tuple)
    assert outputs[1] is not new and outputs[1] != ("b", new)  # caller's list kept


def test_outputs_are_set_before_their_parameters():
    model = MultiOutputNLL()
    model.set_params(outputs=[("x", G()), ("y", G())], y__alpha=2.0, x__tol=1e-6)
    assert model.outputs[1][1].alpha == 2.0 and model.outputs[0][1].tol == 1e-6


def test_unknown_names_are_refused():
    model = MultiOutputNLL([("a", G())])
    with pytest.raises(ValueError, match="Invalid parameter 'b'"):
        model.set_params(b__alpha=1.0)
    with pytest.raises(ValueError, match="Invalid parameter 'output0'"):
        model.set_params(output0__alpha=1.0)


def test_clone_copies_the_outputs_with_their_parameters():
    model = MultiOutputNLL([("a", G(alpha=3.0)), ("b", CategoricalNLLClassifier())])
    copy = clone(model)
    assert copy.outputs[0][1] is not model.outputs[0][1]
    assert copy.get_params()["a__alpha"] == 3.0
    copy.set_params(a__alpha=7.0)
    assert model.get_params()["a__alpha"] == 3.0  # the original is untouched


@pytest.mark.parametrize("named", [False, True])
def test_grid_search_tunes_one_outputs_alpha(named):
    X, Y = load_linnerud(return_X_y=True)
    outputs = [("weight", G()), ("waist", G()), ("pulse", G())]
    model = MultiOutputNLL(outputs if named else [G(), G(), G()])
    key = "waist__alpha" if named else "output1__alpha"
    search = GridSearchCV(model, {key: [0.0, 1e2, 1e6]}, cv=KFold(4)).fit(X, Y)
    scores = search.cv_results_["mean_test_score"]
    assert len(set(np.round(scores, 12))) == 3  # the parameter changed the fits
    best = search.best_params_[key]
    assert search.best_estimator_.outputs_[1].alpha == best
    assert search.best_estimator_.outputs_[0].alpha == 0.0
    if named:
        assert search.best_estimator_.named_outputs_["waist"].alpha == best
    # the chosen score is the one GridSearchCV computed for that alpha
    assert scores[search.best_index_] == pytest.approx(scores.max())


def test_named_outputs_after_fit(two_outputs):
    X, Y = two_outputs
    model = MultiOutputNLL([("first", G()), ("second", G())]).fit(X, Y)
    assert list(model.named_outputs_) == ["first", "second"]
    assert model.named_outputs_["second"] is model.outputs_[1]
    default = MultiOutputNLL().fit(X, Y)
    assert list(default.named_outputs_) == ["output0", "output1"]


@pytest.mark.parametrize(
    "outputs, error, pattern",
    [
        ([("a", G()), ("a", G())], ValueError, r"unique; repeated: \['a'\]"),
        ([("a__b", G()), ("c", G())], ValueError, r"'a__b' is not allowed"),
        ([("outputs", G()), ("c", G())], ValueError, r"'outputs' is not allowed"),
        ([("a", G()), G()], TypeError, r"not a mix of both"),
        ([("a", G()), ("b", "G")], TypeError, r"outputs must hold sklik estimators"),
    ],
)
def test_bad_outputs_are_explained_in_fit(outputs, error, pattern, two_outputs):
    X, Y = two_outputs
    model = MultiOutputNLL(outputs)
    assert "outputs" in model.get_params()  # get_params never raises
    with pytest.raises(error, match=pattern):
        model.fit(X, Y)


_FIVE_COLUMNS = (
    "the check fits a y of five columns, and the estimator was given one "
    "output: fit refuses the mismatch (test_bad_outputs_are_explained_in_fit "
    "and test_common's MultiOutputNLL() cover the check's behaviour)"
)


# The checks' tiny noise-free data make the Normal's scale collapse: sklik
# warns (DegenerateFitWarning), as test_common.py explains.
@pytest.mark.filterwarnings("ignore::sklik.exceptions.DegenerateFitWarning")
@parametrize_with_checks(
    [MultiOutputNLL([("y", G())]), MultiOutputNLL([G()])],
    expected_failed_checks=lambda est: {"check_regressor_multioutput": _FIVE_COLUMNS},
)
def test_explicit_outputs_pass_sklearns_checks(estimator, check):
    check(estimator)


# -- score ----------------------------------------------------------------------------
def test_score_of_regressors_is_the_uniform_average_r2(two_outputs):
    X, Y = two_outputs
    model = MultiOutputNLL().fit(X, Y)
    pred = model.predict(X)
    assert model.score(X, Y) == pytest.approx(
        r2_score(Y, pred, multioutput="uniform_average"), rel=1e-12
    )
    w = np.linspace(0.1, 2.0, len(X))
    assert model.score(X, Y, w) == pytest.approx(
        r2_score(Y, pred, sample_weight=w, multioutput="uniform_average"), rel=1e-12
    )
    assert model.score(X, Y, w) != pytest.approx(model.score(X, Y))


def test_score_with_a_classifier_is_minus_the_joint_nll(iris_mixed):
    X, Y = iris_mixed
    model = MultiOutputNLL([CategoricalNLLClassifier(alpha=1e-2), G()]).fit(X, Y)
    assert model.score(X, Y) == -model.nll(X, Y)
    w = np.linspace(0.1, 2.0, len(X))
    assert model.score(X, Y, w) == -model.nll(X, Y, w)
    # not the old mean of accuracy and R², two unrelated scales
    accuracy = accuracy_score(Y[:, 0].astype(str), model.predict(X)[:, 0].astype(str))
    r2 = r2_score(Y[:, 1].astype(float), model.predict(X)[:, 1].astype(float))
    assert model.score(X, Y) != pytest.approx((accuracy + r2) / 2, rel=1e-3)
    # greater is better: a worse model scores lower
    worse = MultiOutputNLL([CategoricalNLLClassifier(alpha=10.0), G(alpha=10.0)])
    assert worse.fit(X, Y).score(X, Y) < model.score(X, Y)
