"""The network f[x, φ]: a multilayer perceptron predicting the raw parameters η."""

import numbers

import numpy as np
from sklearn.base import BaseEstimator
from sklearn.utils import check_random_state

from sklik.models._mlp_model import MLPModel, input_standardisation

#: scikit-learn's names of the activations.
ACTIVATIONS = ("relu", "tanh", "logistic", "identity")


class MLP(BaseEstimator):
    """A multilayer perceptron as the model f[x, φ] of any sklik estimator.

    Passed as ``model=`` (``NLLRegressor(..., model=MLP((32, 32)))``), it
    predicts the distribution's raw parameters η with one shared trunk of
    hidden layers and one output per parameter that depends on x (the
    network of *Understanding Deep Learning*, ch. 5); the parameters that do
    not depend on x are fitted constants (output biases). The inputs are
    standardised inside the model (weighted column mean and spread; sparse
    X: spread only), so no ``StandardScaler`` is needed. The estimator
    fits it by L-BFGS (``solver="auto"``) in float64; ``"newton-cg"`` uses
    Gauss-Newton Hessian-vector products.

    This object is a specification: clonable, with ``get_params`` and
    ``set_params``, so ``GridSearchCV`` can search
    ``model__hidden_layer_sizes``. The fitted network is the estimator's
    ``model_``; a network has no ``coef_``, ``intercept_`` or
    ``summary()``.

    Parameters
    ----------
    hidden_layer_sizes : int or tuple of int, default=(100,)
        The width of each hidden layer; ``()`` gives no hidden layer (a
        linear model of the standardised columns).
    activation : {"relu", "tanh", "logistic", "identity"}, default="relu"
        The hidden layers' activation (scikit-learn's names).
    random_state : int, RandomState instance or None, default=None
        Seeds the initial weights: the same seed gives a bit-identical fit.
    n_iter_no_change : int, default=10
        The fit converged when the objective improved by less than the
        estimator's ``tol`` for this many consecutive L-BFGS iterations
        (scikit-learn's ``MLPRegressor`` rule for its stochastic solvers);
        see Notes.
    verbose : int, default=0
        If positive, print the iteration, the objective and the gradient's
        sup-norm to stderr every ``verbose`` L-BFGS iterations.

    Notes
    -----
    **Objective.** The estimator minimises the weighted mean NLL plus
    ``alpha / 2`` times the sum of squares of every weight (the first
    layer's act on the standardised columns; no bias is penalised). This is
    scikit-learn's MLP penalty divided by the number of samples:
    ``MLPClassifier(alpha=a)`` (mean log loss + ``a / (2 n)`` · ‖W‖²)
    corresponds to ``alpha = a / n_samples`` with standardised inputs. A
    regression's location is fitted in units of y's spread, so ``alpha``
    does not depend on the units of y.

    **Convergence.** A network's loss keeps creeping down long after its
    predictions stop changing, and its gradient is never as small as a
    convex fit's: with an MLP, L-BFGS stops when the objective (a mean, in
    nats per sample) improved by less than ``tol`` in each of
    ``n_iter_no_change`` consecutive iterations, and the estimator warns
    (``ConvergenceWarning``) only if that did not happen within
    ``max_iter`` iterations. The estimators' default ``tol=1e-8`` is
    strict for this rule; ``tol=1e-6`` and ``max_iter`` of a few thousand
    suit most networks. A gradient sup-norm at most ``tol`` also stops the
    fit, as for any model.

    **Start.** Glorot-uniform weights (scikit-learn's draws), the output
    weights at a tenth of that scale and the output biases at the
    intercept-only optimum, so the fit starts at (nearly) the unconditional
    distribution of y.

    **Warm start.** With the estimator's ``warm_start=True``, a refit with
    a network of the same layout starts from the previous one (the same
    function of x, re-expressed for the new data's standardisation and
    units); another layout starts cold.

    Examples
    --------
    >>> import numpy as np
    >>> from sklik import NLLRegressor
    >>> from sklik.models import MLP
    >>> rng = np.random.default_rng(0)
    >>> X = rng.uniform(-3, 3, size=(500, 1))
    >>> y = np.sin(X[:, 0]) + (0.05 + 0.1 * X[:, 0] ** 2) * rng.normal(size=500)
    >>> reg = NLLRegressor(
    ...     "normal", x_dependent="all", model=MLP((16,), "tanh", random_state=0),
    ...     max_iter=500, tol=1e-6,
    ... ).fit(X, y)
    >>> mean, std = reg.predict(np.array([[0.0], [2.5]]), return_std=True)
    >>> bool(abs(mean[0]) < 0.1 and std[0] < std[1])
    True
    """

    def __init__(
        self,
        hidden_layer_sizes=(100,),
        activation="relu",
        random_state=None,
        *,
        n_iter_no_change=10,
        verbose=0,
    ):
        self.hidden_layer_sizes = hidden_layer_sizes
        self.activation = activation
        self.random_state = random_state
        self.n_iter_no_change = n_iter_no_change
        self.verbose = verbose

    def _sizes(self) -> tuple[int, ...]:
        sizes = self.hidden_layer_sizes
        if isinstance(sizes, numbers.Integral):
            sizes = (sizes,)
        try:
            sizes = tuple(sizes)
        except TypeError:
            sizes = None
        if sizes is None or not all(
            isinstance(h, numbers.Integral) and not isinstance(h, bool) and h > 0
            for h in sizes
        ):
            raise ValueError(
                "hidden_layer_sizes must be a positive int or a tuple of them; "
                f"got {self.hidden_layer_sizes!r}."
            )
        return tuple(int(h) for h in sizes)

    def _check_params(self):
        if self.activation not in ACTIVATIONS:
            raise ValueError(
                f"activation must be one of {list(ACTIVATIONS)}; "
                f"got {self.activation!r}."
            )
        for name in ("n_iter_no_change", "verbose"):
            value = getattr(self, name)
            low = 1 if name == "n_iter_no_change" else 0
            if not (
                isinstance(value, numbers.Integral)
                and not isinstance(value, bool)
                and value >= low
            ):
                raise ValueError(f"{name} must be an integer >= {low}; got {value!r}.")
        try:
            check_random_state(self.random_state)
        except ValueError as exc:
            raise ValueError(f"random_state: {exc}") from None

    def build(self, X, sample_weight, depends_on_x, fit_intercept) -> MLPModel:
        """A fresh network set up for X: its input standardisation and layout.

        Parameters
        ----------
        X : {ndarray, sparse matrix} of shape (n_samples, n_features)
            The training data, validated (float64).
        sample_weight : ndarray of shape (n_samples,)
            The fit's weights (the standardisation's moments are weighted).
        depends_on_x : sequence of bool, length P
            Which columns of η are outputs of the network; the others are
            constants (output biases).
        fit_intercept : bool
            Whether the x-dependent columns have an output bias.

        Returns
        -------
        model : MLPModel
        """
        sizes = self._sizes()
        self._check_params()
        w = np.asarray(sample_weight, dtype=np.float64)
        offset, scale = input_standardisation(X, w / w.sum())
        return MLPModel(
            sizes,
            self.activation,
            depends_on_x,
            fit_intercept,
            offset,
            scale,
            random_state=self.random_state,
            n_iter_no_change=self.n_iter_no_change,
            verbose=self.verbose,
        )
