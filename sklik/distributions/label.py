"""A picklable, vectorised distribution over class labels of any type."""

import numpy as np
from sklearn.utils import check_random_state


class LabelDistribution:
    """Independent categorical distributions over ``classes``, one per row.

    This is the predictive distribution of sklik's classifiers. It is built
    from log-probabilities, so ``logpmf`` keeps full precision for
    probabilities far below machine epsilon.

    Parameters
    ----------
    log_probs : ndarray of shape (n_samples, n_classes)
        Log-probability of each class for each sample.
    classes : array-like of shape (n_classes,)
        The labels, of any type (strings, integers, booleans, ...).

    Attributes
    ----------
    probs : ndarray of shape (n_samples, n_classes)
        Class probabilities; each row sums to one.

    Examples
    --------
    >>> import numpy as np
    >>> from sklik.distributions import LabelDistribution
    >>> d = LabelDistribution(np.log([[0.25, 0.75]]), ["cat", "dog"])
    >>> d.pmf(["dog"])
    array([0.75])
    >>> d.rvs(size=3, random_state=0).shape
    (3, 1)
    """

    def __init__(self, log_probs, classes):
        self.log_probs = np.asarray(log_probs, dtype=np.float64)
        self.classes = np.asarray(classes)
        if self.log_probs.ndim != 2 or self.log_probs.shape[1] != len(self.classes):
            raise ValueError(
                "log_probs must have shape (n_samples, n_classes) with "
                f"n_classes={len(self.classes)}; got {self.log_probs.shape}."
            )

    @property
    def probs(self) -> np.ndarray:
        return np.exp(self.log_probs)

    def __len__(self) -> int:
        return self.log_probs.shape[0]

    def _codes(self, y) -> np.ndarray:
        y = np.asarray(y)
        if y.shape != (len(self),):
            raise ValueError(f"y must have shape ({len(self)},); got {y.shape}.")
        return label_codes(y, self.classes)

    def logpmf(self, y) -> np.ndarray:
        """Log-probability of the label ``y[i]`` under the i-th distribution."""
        codes = self._codes(y)
        return self.log_probs[np.arange(len(codes)), codes]

    def pmf(self, y) -> np.ndarray:
        """Probability of the label ``y[i]`` under the i-th distribution."""
        return np.exp(self.logpmf(y))

    def mode(self) -> np.ndarray:
        """The most probable label of each distribution."""
        return self.classes[np.argmax(self.log_probs, axis=1)]

    def mean(self) -> np.ndarray:
        """Expected label (numeric labels only)."""
        if not np.issubdtype(self.classes.dtype, np.number) and (
            self.classes.dtype != bool
        ):
            raise TypeError("mean() needs numeric labels; use probs or mode().")
        return self.probs @ self.classes.astype(np.float64)

    def entropy(self) -> np.ndarray:
        """Shannon entropy (nats) of each distribution."""
        return -np.sum(self.probs * self.log_probs, axis=1, where=self.probs > 0)

    def rvs(self, size=None, random_state=None) -> np.ndarray:
        """Draw labels, one per distribution per draw.

        ``size=None`` gives shape (n_samples,); an int k gives (k, n_samples);
        a tuple ending in n_samples (scipy's convention) gives that shape.
        """
        rng = (
            random_state
            if isinstance(random_state, np.random.Generator)
            else check_random_state(random_state)
        )
        n = len(self)
        shape = () if size is None else tuple(np.atleast_1d(size))
        if shape[-1:] == (n,):
            shape = shape[:-1]
        cum = np.cumsum(self.probs, axis=1)
        cum[:, -1] = 1.0
        u = rng.random((*shape, n, 1))
        return self.classes[(u > cum).sum(axis=-1)]


def label_codes(y, classes) -> np.ndarray:
    """Position of each label of ``y`` in ``classes``; ValueError for unknown labels.

    Examples
    --------
    >>> label_codes(["b", "a", "b"], ["a", "b"])
    array([1, 0, 1])
    """
    y, classes = np.asarray(y), np.asarray(classes)
    order = np.argsort(classes)
    sorted_classes = classes[order]
    pos = np.clip(np.searchsorted(sorted_classes, y), 0, len(order) - 1)
    unknown = sorted_classes[pos] != y
    if np.any(unknown):
        raise ValueError(
            f"y contains labels not among the classes {classes.tolist()}: "
            f"{np.unique(y[unknown]).tolist()}"
        )
    return order[pos]
