"""MultiOutputNLL with a network: one shared trunk for every output, fitted jointly.

The outputs' families are put side by side as one :class:`JointDistribution`
(η's columns are theirs concatenated, y has one column per output, the NLL
is the sum), a private estimator fits it with the network by the recipe of
:class:`~sklik._base.NLLEstimator`, and each output estimator is then given
its own family and a view of its columns of the fitted network, so that it
predicts as if fitted alone (the book's multi-output network, *Understanding
Deep Learning* §5.5).
"""

import numpy as np
from sklearn.base import clone

from sklik._base import NLLEstimator
from sklik.distributions._base import Block, Distribution, EtaUnits


class JointDistribution(Distribution):
    """Independent outputs side by side: y (n, m), η the outputs' columns in a row.

    The negative log-likelihood is the sum of the outputs'; gradients,
    guards and curvature are theirs in their own columns (the curvature
    block-diagonal). Blocks keep their invariances, named
    ``"<output>:<block>"``.

    Parameters
    ----------
    dists : list of Distribution
        One per output, set up for its data (``for_data``).
    names : list of str
        The outputs' names.
    """

    regression = False  # (not a family of NLLRegressor's)

    def __init__(self, dists, names):
        self.dists = list(dists)
        self.names = list(names)
        stops = np.cumsum([d.n_params for d in self.dists])
        self.slices = [slice(b - d.n_params, b) for b, d in zip(stops, self.dists)]

    @property
    def param_names(self):
        return tuple(
            f"{name}:{p}"
            for name, d in zip(self.names, self.dists)
            for p in d.param_names
        )

    @property
    def blocks(self):
        return tuple(
            Block(
                f"{name}:{b.name}",
                tuple(s.start + c for c in b.columns),
                b.shift_invariant,
            )
            for name, d, s in zip(self.names, self.dists, self.slices)
            for b in d.blocks
        )

    @property
    def has_hessian(self) -> bool:
        return all(d.has_hessian for d in self.dists)

    @property
    def has_fisher(self) -> bool:
        return all(d.has_fisher for d in self.dists)

    @property
    def smooth(self) -> bool:
        return all(d.smooth for d in self.dists)

    @property
    def local_optima(self) -> bool:
        return any(d.local_optima for d in self.dists)

    def _parts(self, y, eta):
        return [(d, y[:, j], eta[:, s]) for j, (d, s) in enumerate(self._pairs())]

    def _pairs(self):
        return zip(self.dists, self.slices)

    # -- the abstract θ-level contract: the joint family works on η ------------------
    def nll_grad_theta(self, y, theta):
        raise NotImplementedError("JointDistribution works on η only.")

    def scipy_from_theta(self, theta):
        raise NotImplementedError("JointDistribution works on η only.")

    def start_theta(self, y, sample_weight):
        raise NotImplementedError("JointDistribution works on η only.")

    # -- on η -------------------------------------------------------------------------
    def theta(self, eta):
        return np.hstack([d.theta(e) for d, _, e in self._parts(eta, eta)])

    def nll(self, y, eta):
        return sum(d.nll(yj, e) for d, yj, e in self._parts(y, eta))

    def nll_grad(self, y, eta):
        total, grad = 0.0, np.empty(eta.shape)
        for (d, yj, e), s in zip(self._parts(y, eta), self.slices):
            nll, grad[:, s] = d.nll_grad(yj, e)
            total = total + nll
        return total, grad

    def _block_diagonal(self, per_output):
        """(n, P, P) with each output's (n, P_j, P_j) block from ``per_output``."""
        blocks = [per_output(j, d, s) for j, (d, s) in enumerate(self._pairs())]
        n, size = blocks[0].shape[0], self.slices[-1].stop
        out = np.zeros((n, size, size))
        for block, s in zip(blocks, self.slices):
            out[:, s, s] = block
        return out

    def hessian(self, y, eta):
        return self._block_diagonal(lambda j, d, s: d.hessian(y[:, j], eta[:, s]))

    def fisher(self, eta):
        return self._block_diagonal(lambda j, d, s: d.fisher(eta[:, s]))

    def to_scipy(self, eta):
        """One predictive distribution per output."""
        return [d.to_scipy(eta[:, s]) for d, s in self._pairs()]

    # -- the data ----------------------------------------------------------------------
    def units(self, y, sample_weight):
        parts = [d.units(y[:, j], sample_weight) for j, d in enumerate(self.dists)]
        y_int = np.column_stack([yj for yj, _ in parts])
        scale = np.concatenate([u.scale for _, u in parts])
        shift = np.concatenate([u.shift for _, u in parts])
        return y_int, EtaUnits(scale, shift)

    def init_eta(self, y, sample_weight):
        return np.concatenate(
            [d.init_eta(y[:, j], sample_weight) for j, d in enumerate(self.dists)]
        )

    def guard(self, eta):
        parts = [d.guard(eta[:, s]) for d, s in self._pairs()]
        if all(p is None for p in parts):
            return None
        value, grad, curvature = 0.0, np.zeros(eta.shape), np.zeros(eta.shape)
        for p, s in zip(parts, self.slices):
            if p is not None:
                value = value + p[0]
                grad[:, s], curvature[:, s] = p[1], p[2]
        return value, grad, curvature

    def degenerate_message(self, y, eta, sample_weight):
        for name, (d, yj, e) in zip(self.names, self._parts(y, eta)):
            message = d.degenerate_message(yj, e, sample_weight)
            if message:
                return f"Output {name!r}: {message}"
        return None

    def __repr__(self) -> str:
        return f"JointDistribution({self.dists!r})"


class OutputColumns:
    """One output's columns of a fitted shared network: its ``model_``.

    Parameters
    ----------
    network : Model
        The fitted network, shared by every output.
    columns : slice
        This output's columns of the network's η.
    """

    def __init__(self, network, columns):
        self.network = network
        self.columns = columns

    def predict_eta(self, X) -> np.ndarray:
        """This output's η (n, P_j) on the user's scale."""
        return self.network.predict_eta(X)[:, self.columns]

    def __repr__(self) -> str:
        return f"OutputColumns({self.network!r}, {self.columns!r})"


class _SharedTrunkFit(NLLEstimator):
    """The joint fit: the outputs' families, one network, one objective."""

    def __init__(self, estimators, names, model, alpha, solver, max_iter, tol):
        self.estimators = estimators
        self.names = names
        self.model = model
        self.alpha = alpha
        self.solver = solver
        self.max_iter = max_iter
        self.tol = tol
        self.fit_intercept = True
        self.warm_start = False

    def _validate_X_y(self, X, y, reset):
        return X, y  # (validated by MultiOutputNLL and the output estimators)

    def _encode_target(self, y, sample_weight):
        parts = [
            est._encode_target(yj, sample_weight) for est, yj in zip(self.estimators, y)
        ]
        for (_, sw, _), name in zip(parts, self.names):
            if not np.array_equal(sw, sample_weight):
                raise ValueError(
                    f"Output {name!r} reweights its samples (class_weight): with "
                    "a shared trunk every output has the same sample weights."
                )
        y_enc = np.column_stack(
            [np.asarray(yj, dtype=np.float64) for yj, _, _ in parts]
        )
        return (
            y_enc,
            sample_weight,
            JointDistribution([d for *_, d in parts], self.names),
        )

    def _depends_on_x(self, dist):
        return np.concatenate(
            [
                np.asarray(est._depends_on_x(d), dtype=bool)
                for est, d in zip(self.estimators, dist.dists)
            ]
        )

    def _encode_new_target(self, y, n_samples):
        raise NotImplementedError


def fit_shared_trunk(multi, X, Y, sample_weight, templates, column):
    """Fit every output's family with one network (``multi.model``), jointly.

    Returns the fitted output estimators (each predicting through its
    columns of the shared network) and the network itself.
    """
    settings = {
        "model": multi.model,
        "alpha": multi.alpha,
        "solver": multi.solver,
        "max_iter": multi.max_iter,
        "tol": multi.tol,
    }
    estimators = [clone(est).set_params(**settings) for _, est in templates]
    # Each output validates its column as it would alone (and learns n_features_in_).
    columns = [
        est._validate_X_y(X, column(Y, j), reset=True)[1]
        for j, est in enumerate(estimators)
    ]
    joint = _SharedTrunkFit(
        estimators, [name for name, _ in templates], **settings
    ).fit(X, columns, sample_weight)
    for est, dist, cols in zip(
        estimators, joint.distribution_.dists, joint.distribution_.slices
    ):
        est.distribution_ = dist
        est.model_ = OutputColumns(joint.model_, cols)
        est.n_iter_ = joint.n_iter_
    return estimators, joint.model_, joint.n_iter_
