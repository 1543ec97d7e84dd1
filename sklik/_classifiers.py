"""Binary and multiclass classifiers predicting a distribution over labels."""

import functools
import warnings

import numpy as np
from scipy.special import log_expit
from sklearn.base import ClassifierMixin
from sklearn.utils.class_weight import compute_class_weight
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import column_or_1d

from sklik._base import NLLEstimator
from sklik._separation import separation_gate, separation_kind
from sklik.backends import _target_stats as target_stats
from sklik.backends import dask_rows, is_dask_array
from sklik.backends._target import RowVector
from sklik.distributions import Bernoulli, Categorical, LabelDistribution
from sklik.distributions.categorical import log_softmax_rows
from sklik.distributions.label import label_codes
from sklik.exceptions import DegenerateFitWarning
from sklik.models import LinearModel

_SHARED_PARAMETERS = """
    alpha : float, default=0.0
        L2 penalty strength on the coefficients (not on intercepts).
        ``alpha = 1 / (C * n_samples)`` maps to ``LogisticRegression(C=C)``
        (``sum(sample_weight)`` instead of ``n_samples`` with weights).
    fit_intercept : bool, default=True
    solver : {"auto", "newton", "lbfgs", "newton-cg"}, default="auto"
        "auto" takes Newton's method up to 500 parameters (1000 with
        several classes' logits), dense or sparse X, and L-BFGS beyond.
    max_iter : int, default=200
    tol : float, default=1e-8
        Convergence when the sup-norm of the objective's gradient (w.r.t. the
        coefficients of standardised features) is at most tol.
    warm_start : bool, default=False
    class_weight : dict, "balanced" or None, default=None
        Multiplies each sample's weight by the weight of its class.
    model : "linear" or a model specification, default="linear"
        The model f[x, φ] of the logits: the linear model, or a network
        such as ``sklik.models.MLP((32, 32))`` (``coef_`` and ``summary``
        are the linear model's only; the fitted network is ``model_``).
"""


_FORWARDING_NOTES = """
    ``predict_proba``, ``predict_log_proba`` and ``classes_`` are what
    scikit-learn's tools forward; ``predict_dist`` and ``nll`` are not
    forwarded by ``Pipeline``, ``GridSearchCV``, ``CalibratedClassifierCV``
    or ``VotingClassifier``. :func:`sklik.metrics.neg_nll_scorer` (equal to
    ``scoring="neg_log_loss"``) and :func:`sklik.metrics.neg_brier_scorer`
    work through them; ``LabelDistribution(model.predict_log_proba(X),
    model.classes_)`` rebuilds the distribution. Inside ``VotingClassifier``
    the members are fitted on encoded labels (0, 1, ...), so their own
    ``classes_`` are those codes.
"""


class _NLLClassifier(ClassifierMixin, NLLEstimator):
    """Shared recipe of the classifiers: labels in, label distributions out."""

    def __init__(
        self,
        *,
        alpha=0.0,
        fit_intercept=True,
        solver="auto",
        max_iter=200,
        tol=1e-8,
        warm_start=False,
        class_weight=None,
        model="linear",
    ):
        self.alpha = alpha
        self.fit_intercept = fit_intercept
        self.solver = solver
        self.max_iter = max_iter
        self.tol = tol
        self.warm_start = warm_start
        self.class_weight = class_weight
        self.model = model

    def _encode_target(self, y, sample_weight):
        if isinstance(y, RowVector):  # labels and codes found on the workers
            classes = target_stats.labels(y)
            self._check_n_classes(classes)
            codes = target_stats.encode_labels(y, classes)
        else:
            y = column_or_1d(y, warn=True)
            try:
                check_classification_targets(y)
            except ValueError as exc:
                raise ValueError(f"y: {exc}") from exc
            classes, codes = np.unique(y, return_inverse=True)
            self._check_n_classes(classes)
        if self.class_weight is not None:
            if not (
                self.class_weight == "balanced" or isinstance(self.class_weight, dict)
            ):
                raise ValueError(
                    "class_weight must be None, 'balanced' or a dict; "
                    f"got {self.class_weight!r}."
                )
            if isinstance(codes, RowVector):
                cw, weighted = target_stats.class_weighted(
                    self.class_weight, classes, codes, sample_weight
                )
            else:
                cw = compute_class_weight(self.class_weight, classes=classes, y=y)
                weighted = None
            if not np.all(np.isfinite(cw) & (cw >= 0)):
                raise ValueError(
                    "class_weight must give every class a finite, non-negative "
                    f"weight; got {self.class_weight!r}."
                )
            if weighted is None:
                sample_weight = sample_weight * cw[codes]
            else:
                sample_weight = weighted
            if not sample_weight.sum() > 0:
                raise ValueError(
                    "class_weight and sample_weight leave no sample with a "
                    "positive weight."
                )
        self.classes_ = classes
        return codes, sample_weight, self._make_distribution(len(classes))

    def _check_n_classes(self, classes):
        if len(classes) < 2:
            raise ValueError(
                f"{type(self).__name__} needs samples of at least 2 classes in y; "
                f"got only one class: {classes.tolist()}."
            )

    def _encode_new_target(self, y, n_samples):
        y = column_or_1d(y)
        if y.shape[0] != n_samples:
            raise ValueError(f"y has {y.shape[0]} samples; X has {n_samples}.")
        return label_codes(y, self.classes_)

    def _check_solution(self, objective, phi) -> bool:
        """Warn (and say so) when the unpenalised MLE does not exist."""
        if self.alpha > 0:
            return False
        n_classes = len(self.classes_)
        if objective.rows_local:
            used = objective.w > 0
            class_weight = np.bincount(
                objective.y.astype(np.intp), objective.w, minlength=n_classes
            )
            n_used = int(used.sum())
        else:  # summed on the workers
            class_weight, n_used = target_stats.class_totals(
                objective.y_rows, objective.w_rows, n_classes
            )
        if np.any(class_weight == 0):
            missing = self.classes_[class_weight == 0].tolist()
            message = (
                f"The classes {missing} have zero total weight: their "
                "maximum-likelihood probability is 0, so their logits go to "
                "-infinity and the returned coefficients are finite but "
                "arbitrary in size. Drop those classes from y, or set alpha > 0."
            )
        else:
            # per block of rows (a dask fit's blocks stay on the workers)
            gate = functools.partial(separation_gate, self._log_proba)
            correct, near = zip(*objective.per_block(phi, gate))
            linear = isinstance(objective.model, LinearModel)
            if all(correct) and not linear:  # a network
                message = (
                    "The network classifies every training sample correctly: "
                    "with alpha=0 the likelihood has no maximum (its weights can "
                    "grow without bound), so the fit is arbitrary in size. Set "
                    "alpha > 0 for a finite fit."
                )
                warnings.warn(message, DegenerateFitWarning, stacklevel=4)
                return True
            kind = separation_kind(
                all(correct),
                sum(near),
                objective if linear else None,
                n_used,
                n_classes,
            )
            if kind is None:
                return False
            message = (
                f"The classes are {kind}: with alpha=0 the maximum-likelihood "
                "coefficients are infinite, so the returned ones are finite but "
                "arbitrary in size. Set alpha > 0 for a unique, finite fit."
            )
        warnings.warn(message, DegenerateFitWarning, stacklevel=4)
        return True

    def decision_function(self, X):
        """The logits x·W + b: shape (n_samples,) for two classes, else (n, K)."""
        if is_dask_array(X):  # block by block: a dask array
            return dask_rows.map_rows(self, "decision_function", X)
        eta = self._eta(X)
        if eta.shape[1] == 1:
            return eta[:, 0]
        return eta[:, 1] - eta[:, 0] if eta.shape[1] == 2 else eta

    def predict_log_proba(self, X):
        """Log-probability of each class, shape (n_samples, n_classes)."""
        if is_dask_array(X):  # block by block: a dask array
            return dask_rows.map_rows(self, "predict_log_proba", X)
        return self._log_proba(self._eta(X))

    def predict_proba(self, X):
        """Probability of each class, shape (n_samples, n_classes)."""
        if is_dask_array(X):  # block by block: a dask array
            return dask_rows.map_rows(self, "predict_proba", X)
        return np.exp(self.predict_log_proba(X))

    def predict(self, X):
        """The most probable label of each sample."""
        if is_dask_array(X):  # block by block: a dask array
            return dask_rows.map_rows(self, "predict", X)
        log_proba = self.predict_log_proba(X)
        return self.classes_[np.argmax(log_proba, axis=1)]

    def predict_dist(self, X):
        """The predictive distribution over ``classes_`` for each row of X.

        Returns
        -------
        dist : LabelDistribution
            With ``probs``, ``pmf``/``logpmf`` of labels, ``rvs``, ``mode``.
        """
        return LabelDistribution(self.predict_log_proba(X), self.classes_)

    def _store_fit(self):
        W, b = self.model_.coef_intercept()
        self.coef_, self.intercept_ = W.T.copy(), b

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = True
        return tags


class BernoulliNLLClassifier(_NLLClassifier):
    __doc__ = (
        r"""Binary classifier: y ~ Bernoulli(sigmoid(x·w + b)), by maximum likelihood.

    Minimises the weighted mean binary cross-entropy plus
    :math:`\tfrac{\alpha}{2}\lVert w \rVert^2`. The labels may be of any type;
    ``classes_[1]`` is the positive class.

    Parameters
    ----------"""
        + _SHARED_PARAMETERS
        + r"""
    Attributes
    ----------
    classes_ : ndarray of shape (2,)
    coef_ : ndarray of shape (1, n_features)
    intercept_ : ndarray of shape (1,)
    distribution_ : Bernoulli
    n_features_in_ : int
    feature_names_in_ : ndarray of str
        Present when X had string column names.
    n_iter_ : int

    Notes
    -----"""
        + _FORWARDING_NOTES
        + r"""
    Examples
    --------
    >>> from sklearn.datasets import load_breast_cancer
    >>> from sklearn.preprocessing import StandardScaler
    >>> from sklik import BernoulliNLLClassifier
    >>> X, y = load_breast_cancer(return_X_y=True)
    >>> X = StandardScaler().fit_transform(X)
    >>> clf = BernoulliNLLClassifier(alpha=1e-2).fit(X, y)
    >>> clf.predict_proba(X[:2]).round(3)
    array([[1.   , 0.   ],
           [0.998, 0.002]])
    >>> round(clf.score(X, y), 3)
    0.986
    """
    )

    def _check_n_classes(self, classes):
        super()._check_n_classes(classes)
        if len(classes) > 2:
            raise ValueError(
                "Only binary classification is supported. BernoulliNLLClassifier "
                f"got {len(classes)} classes in y; use CategoricalNLLClassifier "
                "for more than two."
            )

    def _make_distribution(self, n_classes):
        return Bernoulli()

    def _log_proba(self, eta):
        return np.column_stack([log_expit(-eta[:, 0]), log_expit(eta[:, 0])])

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.classifier_tags.multi_class = False
        return tags


class CategoricalNLLClassifier(_NLLClassifier):
    __doc__ = (
        r"""Multiclass classifier: y ~ Categorical(softmax(x·W + b)), by max likelihood.

    Minimises the weighted mean multiclass cross-entropy plus
    :math:`\tfrac{\alpha}{2}\lVert W \rVert^2`, with one logit per class. The
    logits are centred (coefficients and intercepts sum to zero over the
    classes), which makes the unpenalised answer unique; it is the
    multinomial ``LogisticRegression``. With two classes
    ``decision_function`` returns the 1-D logit difference.

    Parameters
    ----------"""
        + _SHARED_PARAMETERS
        + r"""
    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
    coef_ : ndarray of shape (n_classes, n_features)
    intercept_ : ndarray of shape (n_classes,)
    distribution_ : Categorical
    n_features_in_ : int
    feature_names_in_ : ndarray of str
        Present when X had string column names.
    n_iter_ : int

    Notes
    -----"""
        + _FORWARDING_NOTES
        + r"""
    Examples
    --------
    >>> from sklearn.datasets import load_iris
    >>> from sklik import CategoricalNLLClassifier
    >>> X, y = load_iris(return_X_y=True)
    >>> clf = CategoricalNLLClassifier(alpha=1e-3).fit(X, y)
    >>> clf.coef_.sum(axis=0).round(12) + 0.0
    array([0., 0., 0., 0.])
    >>> clf.predict_dist(X[:1]).probs.round(3)
    array([[0.996, 0.004, 0.   ]])
    """
    )

    def _make_distribution(self, n_classes):
        return Categorical(n_classes)

    def _log_proba(self, eta):
        return log_softmax_rows(eta)
