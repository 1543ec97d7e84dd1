"""The multilayer perceptron f[x, φ] set up for one fit (built by ``MLP.build``).

.. warning:: Experimental: the Model interface may change between minor
   releases.
"""

import itertools

import numpy as np
import scipy.sparse as sp
from scipy.special import expit
from sklearn.utils import check_random_state

from sklik.models._base import Model
from sklik.models._standardise import (
    divide_columns,
    extreme_column_factors,
    weighted_column_moments,
)

#: The output layer's weights start at this fraction of Glorot's scale, so
#: that η starts near the intercept-only optimum at every x (but not exactly
#: at it: with zero output weights no gradient reaches the hidden layers).
_OUTPUT_INIT_SCALE = 0.1


def _activate(name, Z):
    """The activation, in place."""
    if name == "relu":
        np.maximum(Z, 0.0, out=Z)
    elif name == "tanh":
        np.tanh(Z, out=Z)
    elif name == "logistic":
        expit(Z, out=Z)
    return Z


def _times_derivative(name, delta, A):
    """delta ⊙ f'(z), in place, from the activation's output A."""
    if name == "relu":
        # (a product with the mask: 5x faster than assigning through it)
        np.multiply(delta, A > 0, out=delta)
    elif name == "tanh":
        delta *= 1.0 - A * A
    elif name == "logistic":
        delta *= A * (1.0 - A)
    return delta


class MLPModel(Model):
    """A multilayer perceptron: one shared trunk, one output per x-dependent η column.

    .. warning:: Experimental: the Model interface may change between minor
       releases.

    The first layer acts on the standardised columns ``(x - offset) /
    scale`` (offset 0 for sparse X), folded into its weights, so X is never
    copied. The output layer gives one raw η column per parameter that
    depends on x; every column of η has an output bias (the x-dependent
    ones only with ``fit_intercept``), which starts at the intercept-only
    optimum. Without any x-dependent column there is no trunk: η is the
    biases alone.

    φ holds, layer by layer, the weights (row-major, fan-in by fan-out) and
    biases of the hidden layers, then the output weights (last hidden
    width by the number of x-dependent columns), then the free output
    biases. The L2 penalty takes every weight (the first layer's on the
    standardised columns), no bias. Models are built by
    :meth:`sklik.models.MLP.build`; see there for the parameters.

    Attributes
    ----------
    n_iter_no_change : int
        Read by the L-BFGS solver: its fit stops when the objective improved
        by less than ``tol`` for this many consecutive iterations.
    verbose : int
        Read by the L-BFGS solver: print progress to stderr every
        ``verbose`` iterations (0: never).

    Examples
    --------
    >>> import numpy as np
    >>> from sklik.models import MLP
    >>> X = np.random.default_rng(0).normal(size=(5, 3))
    >>> model = MLP((4,), "tanh", random_state=0).build(
    ...     X, np.ones(5), depends_on_x=[True, False], fit_intercept=True
    ... )
    >>> model.n_params  # 3·4 + 4 weights and biases, 4·1 outputs, 2 biases
    22
    >>> phi = model.init_params(np.array([0.5, -1.0]))
    >>> eta, cache = model.forward(X, phi)
    >>> eta.shape, bool(np.all(eta[:, 1] == -1.0))
    ((5, 2), True)
    >>> model.backward(cache, np.ones((5, 2))).shape
    (22,)
    """

    has_jvp = True
    has_gram = False

    def __init__(
        self,
        hidden_layer_sizes,
        activation,
        depends_on_x,
        fit_intercept,
        x_offset,
        x_scale,
        random_state=None,
        n_iter_no_change=10,
        verbose=0,
    ):
        self.hidden_layer_sizes = tuple(int(h) for h in hidden_layer_sizes)
        self.activation = activation
        self._depends_on_x = np.asarray(depends_on_x, dtype=bool)
        self.fit_intercept = bool(fit_intercept)
        self.x_offset = np.asarray(x_offset, dtype=np.float64)
        self.x_scale = np.asarray(x_scale, dtype=np.float64)
        self.random_state = random_state
        self.n_iter_no_change = n_iter_no_change
        self.verbose = verbose
        self.out_columns = np.flatnonzero(self._depends_on_x)
        self.bias_mask = self.fit_intercept | ~self._depends_on_x
        n_out = len(self.out_columns)
        widths = (len(self.x_scale), *self.hidden_layer_sizes, n_out)
        # (fan_in, fan_out) of every layer with weights; no trunk without outputs
        self.layers = list(itertools.pairwise(widths)) if n_out else []
        offsets, start = [], 0
        for k, (fan_in, fan_out) in enumerate(self.layers):
            hidden = k < len(self.layers) - 1
            offsets.append((start, start + fan_in * fan_out))
            start += fan_in * fan_out + (fan_out if hidden else 0)
        self._weight_slices = [slice(a, b) for a, b in offsets]
        self._n_trunk = start
        self._n_params = start + int(self.bias_mask.sum())

    # -- layout ----------------------------------------------------------------
    @property
    def depends_on_x(self) -> np.ndarray:
        return self._depends_on_x

    @property
    def n_features(self) -> int:
        return len(self.x_scale)

    @property
    def n_params(self) -> int:
        """Length of φ."""
        return self._n_params

    def unpack(self, phi):
        """Views of φ: the weight matrices, the hidden biases and η's biases (P,)."""
        weights, biases = [], []
        for k, ((fan_in, fan_out), ws) in enumerate(
            zip(self.layers, self._weight_slices)
        ):
            weights.append(phi[ws].reshape(fan_in, fan_out))
            if k < len(self.layers) - 1:
                biases.append(phi[ws.stop : ws.stop + fan_out])
        eta_bias = np.zeros(len(self._depends_on_x))
        eta_bias[self.bias_mask] = phi[self._n_trunk :]
        return weights, biases, eta_bias

    def output_entries(self):
        """The output weights (rows: last hidden units) and biases (last row)."""
        bias_index = np.arange(self._n_trunk, self._n_params)
        bias_col = np.flatnonzero(self.bias_mask)
        if not self.layers:
            return bias_index, np.zeros(len(bias_index), dtype=int), bias_col
        fan_in, fan_out = self.layers[-1]
        ws = self._weight_slices[-1]
        index = np.arange(ws.start, ws.stop)
        row = np.repeat(np.arange(fan_in), fan_out)
        col = np.tile(self.out_columns, fan_in)
        bias_row = np.full(len(bias_index), fan_in)
        return (
            np.concatenate([index, bias_index]),
            np.concatenate([row, bias_row]),
            np.concatenate([col, bias_col]),
        )

    def penalty_weights(self) -> np.ndarray:
        """1 for every weight, 0 for every bias."""
        out = np.zeros(self._n_params)
        for ws in self._weight_slices:
            out[ws] = 1.0
        return out

    # -- the parameters' start -------------------------------------------------
    def init_params(self, eta0, random_state=None) -> np.ndarray:
        """Glorot-uniform weights and biases, small output weights, η's biases at eta0.

        ``random_state`` None takes the specification's: the same seed gives
        the same start, so the same fit. The draws follow scikit-learn's
        MLP: per layer its weights, then its biases, each uniform on ±√(6 /
        (fan_in + fan_out)) (√2 instead of √6 for the logistic activation).
        """
        rng = check_random_state(
            self.random_state if random_state is None else random_state
        )
        factor = 2.0 if self.activation == "logistic" else 6.0
        phi = np.zeros(self._n_params)
        for k, ((fan_in, fan_out), ws) in enumerate(
            zip(self.layers, self._weight_slices)
        ):
            bound = np.sqrt(factor / (fan_in + fan_out))
            weights = rng.uniform(-bound, bound, size=fan_in * fan_out)
            if k < len(self.layers) - 1:
                phi[ws] = weights
                phi[ws.stop : ws.stop + fan_out] = rng.uniform(-bound, bound, fan_out)
            else:
                phi[ws] = _OUTPUT_INIT_SCALE * weights
        phi[self._n_trunk :] = np.asarray(eta0, dtype=np.float64)[self.bias_mask]
        return phi

    # -- the passes ------------------------------------------------------------
    def _first_layer(self, W):
        """The first layer's weights and bias shift on the raw columns."""
        W_raw = W / self.x_scale[:, None]
        return W_raw, self.x_offset @ W_raw

    def _forward(self, X, phi, keep):
        weights, biases, eta_bias = self.unpack(phi)
        n = X.shape[0]
        if not self.layers:
            return np.tile(eta_bias, (n, 1)), []
        activations = []
        A = X
        for k, W in enumerate(weights):
            if k == 0:
                W_raw, shift = self._first_layer(W)
                Z = np.asarray(A @ W_raw)
                Z -= shift
            else:
                Z = A @ W
            if k < len(weights) - 1:
                Z += biases[k]
                A = _activate(self.activation, Z)
                if keep:
                    activations.append(A)
        return self._to_eta(Z, eta_bias), activations

    def _to_eta(self, out, eta_bias):
        """η (n, P) from the output layer's values (n, D) and η's biases."""
        if len(self.out_columns) == len(eta_bias):
            out += eta_bias
            return out
        eta = np.empty((out.shape[0], len(eta_bias)))
        eta[:] = eta_bias
        eta[:, self.out_columns] += out
        return eta

    def forward(self, X, phi):
        """η of shape (n_samples, P); the cache holds X, φ and the activations."""
        eta, activations = self._forward(X, phi, keep=True)
        return eta, (X, phi, activations)

    def backward(self, cache, G) -> np.ndarray:
        """∂/∂φ of Σ_ij G_ij η_ij: back-propagation through the layers."""
        X, phi, activations = cache
        weights = self.unpack(phi)[0]
        grad = np.zeros(self._n_params)
        grad[self._n_trunk :] = np.einsum("ij->j", G)[self.bias_mask]
        if not self.layers:
            return grad
        delta = G if len(self.out_columns) == G.shape[1] else G[:, self.out_columns]
        for k in range(len(weights) - 1, -1, -1):
            ws = self._weight_slices[k]
            if k > 0:
                A = activations[k - 1]
                grad[ws] = (A.T @ delta).ravel()
                previous = delta @ weights[k].T
                delta = _times_derivative(self.activation, previous, A)
                grad[ws.start - A.shape[1] : ws.start] = np.einsum("ij->j", delta)
            else:
                gW = np.asarray(X.T @ delta)
                gW -= np.outer(self.x_offset, np.einsum("ij->j", delta))
                gW /= self.x_scale[:, None]
                grad[ws] = gW.ravel()
        return grad

    def jvp(self, cache, v) -> np.ndarray:
        """∂η/∂φ · v (forward mode), shape (n_samples, P)."""
        X, phi, activations = cache
        weights, _, _ = self.unpack(phi)
        d_weights, d_biases, d_eta_bias = self.unpack(np.asarray(v, dtype=np.float64))
        if not self.layers:
            return np.tile(d_eta_bias, (X.shape[0], 1))
        W_raw, shift = self._first_layer(d_weights[0])
        dZ = np.asarray(X @ W_raw)
        dZ -= shift
        for k in range(1, len(weights)):
            A = activations[k - 1]
            dZ += d_biases[k - 1]
            dA = _times_derivative(self.activation, dZ, A)
            dZ = dA @ weights[k]
            dZ += A @ d_weights[k]
        return self._to_eta(dZ, d_eta_bias)

    def warm_params(self, previous, output_scale) -> np.ndarray | None:
        """φ of the fitted network ``previous`` for this fit (a warm start).

        The same function f[x, φ̂] re-expressed for this fit's input
        standardisation and output units (``output_scale``, the family's
        ``EtaUnits.scale``); None if ``previous`` is not a network of the
        same layout (then the fit starts cold).
        """
        if not (
            isinstance(previous, MLPModel)
            and hasattr(previous, "phi_")
            and previous.layers == self.layers
            and previous.activation == self.activation
            and np.array_equal(previous.bias_mask, self.bias_mask)
            and np.array_equal(previous.out_columns, self.out_columns)
        ):
            return None
        phi = previous.phi_.copy()
        weights, biases, _ = self.unpack(phi)  # (views of phi)
        bias_at = np.full(len(self.bias_mask), -1)
        bias_at[self.bias_mask] = np.arange(self._n_trunk, self._n_params)
        if self.layers:
            # ((x - o)/s)·W + b = ((x - o')/s')·W' + b' with W' = W·s'/s and
            # b' = b + ((o' - o)/s)·W: the first layer's bias absorbs the shift.
            shift = ((self.x_offset - previous.x_offset) / previous.x_scale) @ (
                weights[0]
            )
            weights[0] *= (self.x_scale / previous.x_scale)[:, None]
            if biases:
                biases[0] += shift
            else:  # no hidden layer: the shift goes to the outputs' biases
                has_bias = bias_at[self.out_columns] >= 0
                phi[bias_at[self.out_columns][has_bias]] += shift[has_bias]
        # η_user = scale · output: the output layer in this fit's units
        ratio = previous.output_scale_ / np.asarray(output_scale, dtype=np.float64)
        if self.layers:
            weights[-1] *= ratio[self.out_columns]
        phi[self._n_trunk :] *= ratio[self.bias_mask]
        return phi

    # -- the fitted model --------------------------------------------------------
    def predict_eta(self, X) -> np.ndarray:
        """f[x, φ̂] on the user's scale of η, shape (n, P) (no activations kept)."""
        eta = self._forward(X, self.phi_, keep=False)[0]
        eta *= self.output_scale_
        return eta

    def __repr__(self) -> str:
        return (
            f"MLPModel(hidden_layer_sizes={self.hidden_layer_sizes}, "
            f"activation={self.activation!r}, n_features={self.n_features}, "
            f"n_params={self.n_params})"
        )


def input_standardisation(X, w):
    """Weighted column offsets (0 for sparse X) and spreads, as the linear model's.

    Columns of extreme magnitude are measured divided by a power of two
    (exactly) so that no square overflows; a constant column gets spread 1.
    """
    prescale = extreme_column_factors(X)
    offset, scale = weighted_column_moments(
        divide_columns(X, prescale), w, center=not sp.issparse(X)
    )
    rounding = X.shape[0] * np.finfo(np.float64).eps * np.abs(offset)
    constant = ~(scale > rounding) | ~np.isfinite(scale)
    scale[constant] = 1.0
    return offset * prescale, scale * prescale
