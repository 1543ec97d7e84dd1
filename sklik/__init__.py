"""sklik: scikit-learn estimators fitted by maximum likelihood.

Each estimator's model predicts the parameters of a distribution Pr(y | θ);
the parameters are fitted by minimising the negative log-likelihood, and the
fitted model predicts the whole distribution or its most probable value.
"""

from sklik import metrics
from sklik._classifiers import BernoulliNLLClassifier, CategoricalNLLClassifier
from sklik._meta import cross_val_predict_dist, nll, predict_dist
from sklik._multioutput import MultiOutputNLL
from sklik._regressors import GaussianNLLRegressor, NLLRegressor

__version__ = "0.2.0.dev0"

__all__ = [
    "BernoulliNLLClassifier",
    "CategoricalNLLClassifier",
    "GaussianNLLRegressor",
    "MultiOutputNLL",
    "NLLRegressor",
    "cross_val_predict_dist",
    "metrics",
    "nll",
    "predict_dist",
]
