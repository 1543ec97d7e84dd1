"""Models f[x, φ] that map the features to the raw distribution parameters η."""

from sklik.models.linear import LinearModel

__all__ = ["LinearModel"]
