"""Models f[x, φ] that map the features to the raw distribution parameters η."""

from sklik.models._mlp_model import MLPModel
from sklik.models.linear import LinearModel
from sklik.models.mlp import MLP

__all__ = ["MLP", "LinearModel", "MLPModel"]
