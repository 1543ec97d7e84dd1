"""MultiOutputNLL: several outputs, each with its own distribution, fitted jointly."""

import numpy as np
from sklearn.base import BaseEstimator, clone, is_classifier
from sklearn.utils import RegressorTags
from sklearn.utils.validation import check_array, check_is_fitted, validate_data

from sklik._base import NLLEstimator
from sklik._regressors import GaussianNLLRegressor
from sklik._validation import check_real, keep_state_on_error, naming_the_input


def _column(Y, j):
    """Column j of Y; an object column of numbers or booleans gets their dtype.

    A y that mixes label columns with numeric ones is an object array, in
    which integer labels would not be recognised as class labels.
    """
    col = Y[:, j]
    if col.dtype == object:
        typed = np.asarray(col.tolist())
        if typed.dtype.kind in "biuf":
            return typed
    return col


class MultiOutputNLL(BaseEstimator):
    """Independent per-output distributions: the total NLL is the sum over outputs.

    Each column of y gets its own sklik estimator (its own family and link);
    because the outputs are independent given x, the joint negative
    log-likelihood is the sum of the per-output ones and the joint maximum is
    reached by maximising each output's likelihood.

    Parameters
    ----------
    outputs : list of sklik estimators or None, default=None
        One estimator per column of y. ``None`` means a
        ``GaussianNLLRegressor()`` for every column. Families may be mixed,
        e.g. a ``CategoricalNLLClassifier`` for a label column and
        ``GaussianNLLRegressor`` for positions.

    Attributes
    ----------
    outputs_ : list of fitted estimators
    n_outputs_ : int
    n_features_in_ : int
    feature_names_in_ : ndarray of str
        Present when X had string column names.

    Notes
    -----
    ``predict(X, return_std=True)`` needs every output to be a regressor;
    only then can ``Pipeline`` and the scorers of :mod:`sklik.metrics` score
    the model inside a pipeline. With a classifier among the outputs, score
    the bare estimator (the scorers then use ``predict_dist``) or call
    ``nll``. A y mixing label columns with numbers is an object array; a
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
    """

    def __init__(self, outputs=None):
        self.outputs = outputs

    def _templates(self, n_outputs):
        if self.outputs is None:
            return [GaussianNLLRegressor() for _ in range(n_outputs)]
        if not isinstance(self.outputs, list | tuple):
            raise TypeError(
                "outputs must be None or a list of sklik estimators, one per "
                f"column of y; got {type(self.outputs).__name__}."
            )
        outputs = list(self.outputs)
        if len(outputs) != n_outputs:
            raise ValueError(
                f"outputs has {len(outputs)} estimators but y has {n_outputs} columns."
            )
        for est in outputs:
            if not isinstance(est, NLLEstimator):
                raise TypeError(
                    f"outputs must hold sklik estimators; got {type(est).__name__}."
                )
        return outputs

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
        check_real(X, "X")
        with naming_the_input():
            X = validate_data(self, X, accept_sparse=("csr", "csc"), dtype=np.float64)
        Y = self._check_y(y, X.shape[0])
        templates = self._templates(Y.shape[1])
        self.outputs_ = [
            clone(est).fit(X, _column(Y, j), sample_weight)
            for j, est in enumerate(templates)
        ]
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
        if return_std:
            if not self._all_regressors(self.outputs_):
                raise ValueError(
                    "return_std=True needs every output to be a regressor."
                )
            mean_std = [est.predict(X, return_std=True) for est in self.outputs_]
            return tuple(np.column_stack(part) for part in zip(*mean_std))
        preds = [est.predict(X) for est in self.outputs_]
        mixed = not self._all_regressors(self.outputs_) and any(
            not is_classifier(est) for est in self.outputs_
        )
        return (
            np.column_stack(preds).astype(object) if mixed else np.column_stack(preds)
        )

    def predict_dist(self, X) -> list:
        """One predictive distribution per output (see each estimator's)."""
        X = self._X(X)
        return [est.predict_dist(X) for est in self.outputs_]

    def nll(self, X, y, sample_weight=None) -> float:
        """Per-sample NLL summed over outputs, averaged over samples."""
        X = self._X(X)
        Y = self._check_y(y, X.shape[0])
        return float(
            sum(
                est.nll(X, _column(Y, j), sample_weight)
                for j, est in enumerate(self.outputs_)
            )
        )

    def score(self, X, y, sample_weight=None) -> float:
        """The mean of the outputs' own scores (R² for regressors, accuracy for
        classifiers)."""
        X = self._X(X)
        Y = self._check_y(y, X.shape[0])
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
        templates = self.outputs if isinstance(self.outputs, list | tuple) else []
        templates = [est for est in templates if isinstance(est, NLLEstimator)]
        if self._all_regressors(templates):
            tags.estimator_type = "regressor"
            tags.regressor_tags = RegressorTags()
        tags.target_tags.required = True
        tags.target_tags.single_output = False
        tags.target_tags.multi_output = True
        tags.input_tags.sparse = True
        return tags
