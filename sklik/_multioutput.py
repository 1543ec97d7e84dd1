"""MultiOutputNLL: several outputs, each with its own distribution, fitted jointly."""

import numpy as np
from sklearn.base import BaseEstimator, clone, is_classifier
from sklearn.utils import Bunch, RegressorTags
from sklearn.utils.validation import check_array, check_is_fitted, validate_data

from sklik._base import NLLEstimator
from sklik._output_names import _column, _is_pair, _named
from sklik._regressors import GaussianNLLRegressor
from sklik._shared_trunk import fit_shared_trunk
from sklik._summary_mixin import SummaryMixin
from sklik._validation import check_real, keep_state_on_error, naming_the_input
from sklik.backends import dask_rows, is_dask_array, is_distributed


class MultiOutputNLL(SummaryMixin, BaseEstimator):
    """Independent per-output distributions: the total NLL is the sum over outputs.

    Each column of y gets its own sklik estimator (its own family and link);
    because the outputs are independent given x, the joint negative
    log-likelihood is the sum of the per-output ones and the joint maximum is
    reached by maximising each output's likelihood.

    Parameters
    ----------
    outputs : list of sklik estimators, list of (str, estimator) pairs, or \
None, default=None
        One estimator per column of y, in the order of the columns.
        ``None`` means a ``GaussianNLLRegressor()`` for every column.
        Families may be mixed, e.g. a ``CategoricalNLLClassifier`` for a
        label column and ``GaussianNLLRegressor`` for positions. As with
        ``Pipeline`` steps and ``VotingRegressor`` estimators, each output
        has a name: the first of its pair, or ``"output0"``,
        ``"output1"``, ... for a plain list. Names must be unique and must
        not contain ``"__"``.
    model : None or a model specification, default=None
        None: each output fits its own model, independently (its own
        ``model=``). A specification such as ``sklik.models.MLP((32, 32))``:
        one network with a shared trunk predicts every output's
        x-dependent parameters (each output's ``x_dependent`` and family
        say which), fitted jointly on the summed NLL (the multi-output
        network of *Understanding Deep Learning* §5.5). The joint fit takes
        ``alpha``, ``solver``, ``max_iter`` and ``tol`` below; every
        output must then use the same sample weights (no ``class_weight``).
    alpha, solver, max_iter, tol : default=0.0, "auto", 200, 1e-8
        The joint fit's settings, as each estimator's; used only with
        ``model`` (without it, each output's own settings apply).

    Attributes
    ----------
    outputs_ : list of fitted estimators
        One per column of y, in order.
    named_outputs_ : :class:`~sklearn.utils.Bunch`
        The same fitted estimators by output name.
    n_outputs_ : int
    n_iter_ : ndarray of shape (n_outputs,)
        Each output's solver iterations (the joint fit's, with ``model``).
    model_ : Model
        With ``model``: the fitted network shared by every output (each
        output's ``model_`` is a view of its columns).
    n_features_in_ : int
    feature_names_in_ : ndarray of str
        Present when X had string column names.

    Notes
    -----
    **Nested parameters.** ``get_params()`` lists each output's parameters
    as ``<name>__<parameter>``, so ``set_params(output1__alpha=0.1)`` and
    ``GridSearchCV(model, {"output1__alpha": [...]})`` reach one output's
    ``alpha``; ``set_params(<name>=estimator)`` replaces an output. The
    names cannot come from the columns of a y DataFrame: they must exist
    before ``fit`` sees y, since a search sets them on an unfitted clone.
    With ``outputs=None`` the estimators are created in ``fit`` and have
    no settable parameters: give the list to tune them.

    **score.** When every output is a regressor, ``score`` is the R² of
    the means averaged uniformly over the outputs, as scikit-learn's
    ``MultiOutputRegressor.score`` (and what ``cross_val_score`` and
    scikit-learn's checks expect of a regressor). With a classifier among
    the outputs, ``score`` is minus the joint NLL, ``-nll(X, y)``: averaging
    R² with accuracy mixes two unrelated scales, while the log-likelihood
    of the joint distribution is the one quantity the model fits and the
    outputs' parts of it add up (greater is better, as scikit-learn
    expects of a score).

    ``predict(X, return_std=True)`` needs every output to be a regressor;
    ``predict_dist`` and ``nll`` work for any mix (the scorers of
    :mod:`sklik.metrics` use them, also at the end of a ``Pipeline``, and
    :func:`sklik.predict_dist` reaches them through pipelines and
    searches). A y mixing label columns with numbers is an object array; a
    column of numeric labels in it is given its numeric dtype before its
    classifier sees it.

    Examples
    --------
    >>> from sklearn.datasets import load_linnerud
    >>> from sklik import MultiOutputNLL
    >>> X, Y = load_linnerud(return_X_y=True)
    >>> model = MultiOutputNLL().fit(X, Y)
    >>> model.predict(X[:2]).shape
    (2, 3)
    >>> [round(float(d.std()[0]), 2) for d in model.predict_dist(X[:1])]
    [20.59, 2.1, 6.76]

    Named outputs, and one output's penalty chosen by cross-validation:

    >>> from sklearn.model_selection import GridSearchCV
    >>> from sklik import GaussianNLLRegressor
    >>> model = MultiOutputNLL(
    ...     [("weight", GaussianNLLRegressor()), ("waist", GaussianNLLRegressor()),
    ...      ("pulse", GaussianNLLRegressor())]
    ... )
    >>> model.set_params(pulse__alpha=10.0).get_params()["pulse__alpha"]
    10.0
    >>> search = GridSearchCV(model, {"waist__alpha": [0.0, 1.0, 100.0]}, cv=4)
    >>> search.fit(X, Y).best_estimator_.named_outputs_["waist"].alpha
    100.0
    """

    def __init__(
        self,
        outputs=None,
        *,
        model=None,
        alpha=0.0,
        solver="auto",
        max_iter=200,
        tol=1e-8,
    ):
        self.outputs = outputs
        self.model = model
        self.alpha = alpha
        self.solver = solver
        self.max_iter = max_iter
        self.tol = tol

    def get_params(self, deep=True) -> dict:
        """Parameters of this estimator and, if ``deep``, of every output.

        Parameters
        ----------
        deep : bool, default=True
            Also return each output as ``<name>`` and its parameters as
            ``<name>__<parameter>``.

        Returns
        -------
        params : dict
        """
        params = super().get_params(deep=False)
        if not deep:
            return params
        if hasattr(self.model, "get_params") and not isinstance(self.model, type):
            for key, value in self.model.get_params(deep=True).items():
                params[f"model__{key}"] = value  # (model__hidden_layer_sizes, ...)
        try:
            named = _named(self.outputs)
        except (TypeError, ValueError):  # fit says what is wrong
            return params
        for name, est in named:
            params[name] = est
            if hasattr(est, "get_params") and not isinstance(est, type):
                for key, value in est.get_params(deep=True).items():
                    params[f"{name}__{key}"] = value
        return params

    def set_params(self, **params):
        """Set parameters, an output's as ``<name>__<parameter>``.

        ``outputs`` is set first; ``<name>=estimator`` then replaces the
        output of that name, and ``<name>__<parameter>`` sets a parameter
        of it.

        Parameters
        ----------
        **params : dict

        Returns
        -------
        self : MultiOutputNLL
        """
        if "outputs" in params:
            self.outputs = params.pop("outputs")
        try:
            names = [name for name, _ in _named(self.outputs)]
        except (TypeError, ValueError):  # fit says what is wrong
            names = []
        for name in [key for key in params if key in names]:
            self._replace_output(name, params.pop(name))
        if params:
            super().set_params(**params)
        return self

    def _replace_output(self, name, estimator):
        outputs = list(self.outputs)
        for j, (current, _) in enumerate(_named(outputs)):
            if current == name:
                outputs[j] = (name, estimator) if _is_pair(outputs[j]) else estimator
        self.outputs = outputs

    def _templates(self, n_outputs):
        if self.outputs is None:
            return [(f"output{j}", GaussianNLLRegressor()) for j in range(n_outputs)]
        named = _named(self.outputs)
        if len(named) != n_outputs:
            raise ValueError(
                f"outputs has {len(named)} estimators but y has {n_outputs} columns."
            )
        for _, est in named:
            if not isinstance(est, NLLEstimator):
                raise TypeError(
                    f"outputs must hold sklik estimators; got {type(est).__name__}."
                )
        return named

    @keep_state_on_error
    def fit(self, X, y, sample_weight=None):
        """Fit one estimator per column of y.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
        y : array-like of shape (n_samples, n_outputs)
        sample_weight : array-like of shape (n_samples,), default=None

        Returns
        -------
        self : object
            The fitted estimator. If fit raises, a previously fitted state is
            left untouched and usable.
        """
        if is_distributed(X):  # persisted by rows once for every output
            X = dask_rows.place_rows(self, X, reset=True)
        else:
            check_real(X, "X")
            with naming_the_input():
                X = validate_data(
                    self, X, accept_sparse=("csr", "csc"), dtype=np.float64
                )
        Y = self._check_y(y, X.shape[0])
        templates = self._templates(Y.shape[1])
        self.__dict__.pop("model_", None)  # (a refit may drop the shared network)
        if self.model is not None:  # one network for every output
            if not hasattr(self.model, "build") or isinstance(self.model, type):
                raise ValueError(
                    "model must be None (each output its own model) or a model "
                    f"specification such as sklik.models.MLP(...); got {self.model!r}."
                )
            self.outputs_, self.model_, _ = fit_shared_trunk(
                self, X, Y, sample_weight, templates, _column
            )
        else:
            self.outputs_ = [
                clone(est).fit(X, _column(Y, j), sample_weight)
                for j, (_, est) in enumerate(templates)
            ]
        self.n_iter_ = np.array([est.n_iter_ for est in self.outputs_])
        self.named_outputs_ = Bunch(
            **{name: est for (name, _), est in zip(templates, self.outputs_)}
        )
        self.n_outputs_ = Y.shape[1]
        return self

    def _check_y(self, y, n_samples):
        if y is None:
            raise ValueError(
                "MultiOutputNLL requires y to be passed, but the target y is None."
            )
        Y = check_array(y, dtype=None, ensure_all_finite=False, ensure_2d=False)
        if Y.ndim != 2:
            raise ValueError(
                "y must be 2-D of shape (n_samples, n_outputs); got "
                f"{Y.ndim}-D. For one output use the estimator itself."
            )
        if Y.shape[0] != n_samples:
            raise ValueError(f"y has {Y.shape[0]} samples; X has {n_samples}.")
        return Y

    def _X(self, X):
        check_is_fitted(self)
        if is_dask_array(X):  # checked lazily
            return dask_rows.validate_predict(self, X)
        check_real(X, "X")
        with naming_the_input():
            return validate_data(
                self, X, reset=False, accept_sparse=("csr", "csc"), dtype=np.float64
            )

    def _all_regressors(self, estimators) -> bool:
        return not any(is_classifier(est) for est in estimators)

    def predict(self, X, return_std=False):
        """Each output's prediction (mean or most probable label), shape (n, m).

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
        return_std : bool, default=False
            Also return the predictive standard deviations (all outputs
            must then be regressors).

        Returns
        -------
        pred : ndarray of shape (n_samples, n_outputs)
            Object dtype only when label columns are mixed with numbers.
        std : ndarray of shape (n_samples, n_outputs)
            Only when ``return_std=True``.
        """
        X = self._X(X)
        stack = dask_rows.stack_columns if is_dask_array(X) else np.column_stack
        if return_std:
            if not self._all_regressors(self.outputs_):
                raise ValueError(
                    "return_std=True needs every output to be a regressor."
                )
            mean_std = [est.predict(X, return_std=True) for est in self.outputs_]
            return tuple(stack(part) for part in zip(*mean_std))
        preds = [est.predict(X) for est in self.outputs_]
        mixed = not self._all_regressors(self.outputs_) and any(
            not is_classifier(est) for est in self.outputs_
        )
        if mixed and stack is not np.column_stack:  # (dask stacks one dtype)
            preds = [pred.astype(object) for pred in preds]
        return stack(preds).astype(object) if mixed else stack(preds)

    def predict_dist(self, X) -> list:
        """One predictive distribution per output (see each estimator's)."""
        X = self._X(X)
        return [est.predict_dist(X) for est in self.outputs_]

    def nll(self, X, y, sample_weight=None) -> float:
        """Per-sample NLL summed over outputs, averaged over samples."""
        X = self._X(X)
        return self._nll(X, self._check_y(y, X.shape[0]), sample_weight)

    def _nll(self, X, Y, sample_weight) -> float:
        return float(
            sum(
                est.nll(X, _column(Y, j), sample_weight)
                for j, est in enumerate(self.outputs_)
            )
        )

    def score(self, X, y, sample_weight=None) -> float:
        """R² averaged over the outputs if all are regressors, else ``-nll``.

        See the class's Notes for why.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
        y : array-like of shape (n_samples, n_outputs)
        sample_weight : array-like of shape (n_samples,), default=None

        Returns
        -------
        score : float
            Greater is better.
        """
        X = self._X(X)
        Y = self._check_y(y, X.shape[0])
        if not self._all_regressors(self.outputs_):
            return -self._nll(X, Y, sample_weight)
        return float(
            np.mean(
                [
                    est.score(X, _column(Y, j), sample_weight)
                    for j, est in enumerate(self.outputs_)
                ]
            )
        )

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        try:
            templates = [est for _, est in _named(self.outputs)]
        except (TypeError, ValueError):
            templates = []
        templates = [est for est in templates if isinstance(est, NLLEstimator)]
        if self._all_regressors(templates):
            tags.estimator_type = "regressor"
            tags.regressor_tags = RegressorTags()
        tags.target_tags.required = True
        tags.target_tags.single_output = False
        tags.target_tags.multi_output = True
        tags.input_tags.sparse = True
        return tags
