"""Categorical output distribution over K classes with a softmax link."""

import numpy as np
from scipy.special import log_softmax, softmax

from sklik._chunks import row_chunks
from sklik.distributions._base import Block, Distribution
from sklik.distributions.label import LabelDistribution


class Categorical(Distribution):
    r"""Categorical distribution of ``y ∈ {0, …, K-1}`` with K raw logits.

    .. math::

        -\log \Pr(y = k \mid \eta) = \log \sum_j e^{\eta_j} - \eta_k.

    Adding a constant to every logit changes nothing (``shift_invariant``);
    the objective centres the logits so that the fitted answer is unique.

    Parameters
    ----------
    n_classes : int
        Number of classes K (at least 2).

    Examples
    --------
    >>> import numpy as np
    >>> from sklik.distributions import Categorical
    >>> Categorical(3).nll(np.array([2]), np.zeros((1, 3)))
    array([1.09861229])
    """

    fisher_is_hessian = True  # the softmax is the canonical link
    regression = False  # labels: CategoricalNLLClassifier

    def __init__(self, n_classes: int):
        self.n_classes = int(n_classes)

    @classmethod
    def example(cls):
        return cls(n_classes=4)

    @property
    def param_names(self):
        return tuple(f"logit_{k}" for k in range(self.n_classes))

    @property
    def blocks(self):
        return (Block("logits", tuple(range(self.n_classes)), shift_invariant=True),)

    def theta(self, eta):
        return softmax(eta, axis=1)

    def params(self, eta):
        return {"probs": self.theta(eta)}

    # -- on θ: the class probabilities ----------------------------------------
    def nll_grad_theta(self, y, theta):
        codes = _codes(y)
        p_own = np.take_along_axis(theta, codes[:, None], axis=1)[:, 0]
        grad = np.zeros_like(theta)
        grad[np.arange(len(codes)), codes] = -1.0 / p_own
        with np.errstate(divide="ignore"):
            return -np.log(p_own), grad

    def scipy_from_theta(self, theta):
        with np.errstate(divide="ignore"):
            return LabelDistribution(np.log(theta), np.arange(self.n_classes))

    def start_theta(self, y, sample_weight):
        freq = np.bincount(_codes(y), weights=sample_weight, minlength=self.n_classes)
        return freq / freq.sum()

    # -- fast paths on η ------------------------------------------------------

    def nll(self, y, eta):
        logp = log_softmax_rows(eta)
        return -np.take_along_axis(logp, _codes(y)[:, None], axis=1)[:, 0]

    def nll_grad(self, y, eta):
        logp = log_softmax_rows(eta)
        codes = _codes(y)
        nll = -np.take_along_axis(logp, codes[:, None], axis=1)[:, 0]
        grad = np.exp(logp, out=logp)  # in place: one (n, K) array, not two
        grad[np.arange(len(codes)), codes] -= 1.0
        return nll, grad

    def hessian(self, y, eta):
        p = softmax(eta, axis=1)
        out = -p[:, :, None] * p[:, None, :]
        idx = np.arange(self.n_classes)
        out[:, idx, idx] += p
        return out

    def hessian_factors(self, y, eta):
        """The Hessian as ``diag(a) - b bᵀ`` per sample: ``(a, b) = (p, p)``.

        Optional for a distribution: the Gram matrix of such a curvature is a
        few symmetric products instead of K(K+1)/2 general ones.
        """
        p = softmax(eta, axis=1)
        return p, p

    def init_eta(self, y, sample_weight):
        freq = np.bincount(_codes(y), weights=sample_weight, minlength=self.n_classes)
        logf = np.log(np.clip(freq / freq.sum(), 1e-15, None))
        return logf - logf.mean()

    def to_scipy(self, eta):
        return LabelDistribution(log_softmax(eta, axis=1), np.arange(self.n_classes))

    def mean(self, eta):
        return self.theta(eta) @ np.arange(self.n_classes, dtype=np.float64)

    def __repr__(self):
        return f"Categorical(n_classes={self.n_classes})"


def log_softmax_rows(eta):
    """``scipy.special.log_softmax(eta, axis=1)`` holding one (n, K) array.

    scipy's holds three at once; here the exponentials are taken a chunk of
    rows at a time, which keeps a multinomial fit's memory below the size of
    X.
    """
    out = eta - np.max(eta, axis=1, keepdims=True)
    log_norm = np.empty(out.shape[0])
    for rows in row_chunks(*out.shape):
        log_norm[rows] = np.log(np.sum(np.exp(out[rows]), axis=1))
    out -= log_norm[:, None]
    return out


def _codes(y):
    return np.asarray(y).astype(np.intp, copy=False)
