"""Output distributions Pr(y | θ) and their registry.

A new family is one new module with a :class:`Distribution` subclass and one
line in ``REGISTRY``; the test-suite iterates over the registry.
"""

from sklik.distributions._base import Distribution
from sklik.distributions.bernoulli import Bernoulli
from sklik.distributions.beta import Beta
from sklik.distributions.categorical import Categorical
from sklik.distributions.exponential import Exponential
from sklik.distributions.gamma import Gamma
from sklik.distributions.label import LabelDistribution
from sklik.distributions.laplace import Laplace
from sklik.distributions.lognormal import LogNormal
from sklik.distributions.mixture import NormalMixture
from sklik.distributions.negative_binomial import NegativeBinomial
from sklik.distributions.normal import Normal
from sklik.distributions.poisson import Poisson
from sklik.distributions.student_t import StudentT
from sklik.distributions.von_mises import VonMises
from sklik.distributions.zero_inflated_poisson import ZeroInflatedPoisson

#: Every family sklik knows, by name; the tests iterate over it.
REGISTRY: dict[str, type[Distribution]] = {
    "normal": Normal,
    "bernoulli": Bernoulli,
    "categorical": Categorical,
    "poisson": Poisson,
    "negative_binomial": NegativeBinomial,
    "zero_inflated_poisson": ZeroInflatedPoisson,
    "student_t": StudentT,
    "von_mises": VonMises,
    "laplace": Laplace,
    "gamma": Gamma,
    "exponential": Exponential,
    "lognormal": LogNormal,
    "beta": Beta,
    "normal_mixture": NormalMixture,
}

__all__ = [
    "REGISTRY",
    "Bernoulli",
    "Beta",
    "Categorical",
    "Distribution",
    "Exponential",
    "Gamma",
    "LabelDistribution",
    "Laplace",
    "LogNormal",
    "NegativeBinomial",
    "Normal",
    "NormalMixture",
    "Poisson",
    "StudentT",
    "VonMises",
    "ZeroInflatedPoisson",
]
