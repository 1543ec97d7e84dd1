"""Output distributions Pr(y | θ) and their registry.

A new family is one new module with a :class:`Distribution` subclass and one
line in ``REGISTRY``; the test-suite iterates over the registry.
"""

from sklik.distributions._base import Distribution
from sklik.distributions.bernoulli import Bernoulli
from sklik.distributions.categorical import Categorical
from sklik.distributions.label import LabelDistribution
from sklik.distributions.negative_binomial import NegativeBinomial
from sklik.distributions.normal import Normal
from sklik.distributions.poisson import Poisson
from sklik.distributions.zero_inflated_poisson import ZeroInflatedPoisson

#: Every family sklik knows, by name; the tests iterate over it.
REGISTRY: dict[str, type[Distribution]] = {
    "normal": Normal,
    "bernoulli": Bernoulli,
    "categorical": Categorical,
    "poisson": Poisson,
    "negative_binomial": NegativeBinomial,
    "zero_inflated_poisson": ZeroInflatedPoisson,
}

__all__ = [
    "REGISTRY",
    "Bernoulli",
    "Categorical",
    "Distribution",
    "LabelDistribution",
    "NegativeBinomial",
    "Normal",
    "Poisson",
    "ZeroInflatedPoisson",
]
