"""
Counts: Poisson, negative binomial or zero-inflated Poisson?
============================================================

The RAND Health Insurance Experiment recorded how often each of 20190
people visited a doctor in a year (``mdvis``), with their insurance plan
(coinsurance rate, deductible, participation incentive), physical
limitation, number of chronic diseases and self-rated health; the data
ship with statsmodels (``statsmodels.datasets.randhie``). The target is a
count, so the predictive distribution should be one: but which?

- the **Poisson** has one parameter, its variance equals its mean;
- the **negative binomial** (NB2) adds a dispersion α, with variance
  mean + α·mean²: overdispersion;
- the **zero-inflated Poisson** adds a probability π of a structural zero
  (someone who never sees a doctor), else a Poisson count.

:class:`~sklik.NLLRegressor` fits each by maximum likelihood with the mean
(the rate for the zero-inflated Poisson) a log-linear function of the nine
covariates; with ``x_dependent="all"`` the zero-inflated Poisson's zero
probability depends on them too. We compare the four models, and a Normal
baseline, by their held-out negative log-likelihood (5-fold
``cross_val_score`` with :func:`sklik.metrics.neg_nll_scorer`), and look
at the predicted distribution of the number of visits against the
observed one.
"""

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
import statsmodels.api as sm
from sklearn.model_selection import KFold, cross_val_score

import sklik
from sklik import NLLRegressor
from sklik.metrics import neg_nll_scorer

data = sm.datasets.randhie.load_pandas().data
y = data["mdvis"].to_numpy(dtype=float)
X = data.drop(columns="mdvis").to_numpy(dtype=float)
print(
    f"{len(y)} people; visits: mean {y.mean():.2f}, variance {y.var():.1f} "
    f"({y.var() / y.mean():.1f} times the mean), {np.mean(y == 0):.1%} zeros, "
    f"maximum {y.max():.0f}"
)

# %%
# The variance is several times the mean: far more spread than a Poisson
# allows, even before the covariates explain part of the mean.
#
# Held-out NLL of each model
# --------------------------

models = {
    "Poisson": NLLRegressor("poisson"),
    "negative binomial": NLLRegressor("negative_binomial"),
    "zero-inflated Poisson": NLLRegressor("zero_inflated_poisson"),
    "zero-inflated Poisson, π(x)": NLLRegressor(
        "zero_inflated_poisson", x_dependent="all"
    ),
}
cv = KFold(5, shuffle=True, random_state=0)
held_out_nll = {}
for name, model in models.items():
    scores = -cross_val_score(model, X, y, cv=cv, scoring=neg_nll_scorer)
    held_out_nll[name] = scores.mean()
    print(
        f"{name:>28}: held-out NLL {scores.mean():.3f} "
        f"(folds {scores.min():.3f} to {scores.max():.3f})"
    )
gain = held_out_nll["Poisson"] - held_out_nll["negative binomial"]
print(f"the negative binomial is {gain:.2f} nats per person better than the Poisson")

# %%
# And a Normal, the default of a regressor? Its density is not a
# probability of a count, so its NLL cannot be set against these as it is.
# Read as a distribution over counts — Pr(Y = k) = Φ(k + ½) − Φ(k − ½),
# the Normal rounded to the nearest integer — it can. Its free variance
# beats the Poisson's, which is tied to the mean, but it stays far behind
# the negative binomial, and it spends much of its probability on negative
# numbers of visits.

normal = sklik.cross_val_predict_dist(NLLRegressor("normal"), X, y, cv=cv)
rounded = normal.sf(y - 0.5) - normal.sf(y + 0.5)  # accurate in the upper tail
print(
    f"{'Normal, rounded to counts':>28}: held-out NLL {-np.log(rounded).mean():.3f}; "
    f"{normal.cdf(-0.5).mean():.0%} of its predictive mass is below -½ visits"
)

# %%
# The negative binomial wins by a wide margin. Zero inflation helps the
# Poisson, and a zero probability that depends on x helps a little more, but
# both stay far behind: they fix the zeros, not the long right tail, and the
# tail is what the overdispersion is about here. (Letting the negative
# binomial's dispersion depend on x as well changes little: see the search
# over families and ``x_dependent`` in :doc:`/user_guide/distributions`.)
#
# The fitted parameters
# ---------------------
#
# On all the data: the negative binomial's dispersion α, which R's
# ``MASS::glm.nb`` reports as θ = 1/α (see :doc:`/user_guide/distributions`
# for the naming across libraries), and the zero-inflated Poisson's
# probability of a structural zero.

nb = NLLRegressor("negative_binomial").fit(X, y)
zip_ = NLLRegressor("zero_inflated_poisson").fit(X, y)
alpha = np.exp(nb.intercept_[1])
zero_prob = 1 / (1 + np.exp(-zip_.intercept_[1]))
print(f"negative binomial: dispersion α = {alpha:.3f} (R's theta = {1 / alpha:.3f})")
print(f"zero-inflated Poisson: zero_prob π = {zero_prob:.3f}")

# %%
# The predicted distribution of the number of visits
# ---------------------------------------------------
#
# :func:`sklik.cross_val_predict_dist` gives every person the predictive
# distribution of the model that did not see them; averaging its
# probabilities Pr(Y = k) over people gives the share of people the model
# expects with k visits, to set against the observed shares.

ks = np.arange(31)
observed = np.array([np.mean(y == k) for k in ks])
expected = {}
for name in ("Poisson", "negative binomial", "zero-inflated Poisson"):
    dist = sklik.cross_val_predict_dist(models[name], X, y, cv=cv)
    expected[name] = np.array([dist.pmf(k).mean() for k in ks])
    print(
        f"{name:>22}: Pr(0) {expected[name][0]:.3f} (observed {observed[0]:.3f}), "
        f"Pr(Y > 10) {1 - expected[name][:11].sum():.3f} "
        f"(observed {np.mean(y > 10):.3f})"
    )

# %%
# The Poisson expects too few zeros, too many people with two to five visits
# and far too few with many: it is too narrow. Zero inflation repairs the
# zeros (and then expects too few people with one visit), not the tail. The
# negative binomial follows the observed shares closely from 0 to 30 visits,
# its tail if anything a little heavy, as the log scale on the right shows.

fig, axes = plt.subplots(1, 2, figsize=(13, 4.5), layout="constrained")
for ax, last, log in ((axes[0], 12, False), (axes[1], 30, True)):
    k = ks[: last + 1]
    ax.bar(k, observed[: last + 1], color="0.8", label="observed share")
    for (name, probs), marker in zip(expected.items(), "os^"):
        ax.plot(k, probs[: last + 1], marker=marker, ms=4, label=f"{name} (held out)")
    ax.set(xlabel="visits to a doctor in the year, k", ylabel="share of people")
    if log:
        ax.set_yscale("log")
        ax.set_ylim(1e-5, 0.5)
        ax.set_title("the tail, on a log scale")
    else:
        ax.set_title(
            "Pr(Y = k): NLL "
            + ", ".join(f"{held_out_nll[n]:.2f}" for n in expected)
            + " (Poisson, NB, ZIP)"
        )
    ax.legend(fontsize=8)
plt.show()
