"""
Proportions: Beta regression, with and without a precision model
================================================================

For each of 303 Californian school districts, statsmodels'
``statsmodels.datasets.star98`` counts the 9th graders above and below the
national median in a mathematics test (``NABOVE``, ``NBELOW``), with twelve
district covariates: shares of low-income, Asian, Black and Hispanic
students and of minority teachers, teachers' experience and salaries,
spending per pupil, pupil-teacher ratio, shares of students in university
preparation courses, of charter schools and of year-round schools. The
target is the share above the median, NABOVE / (NABOVE + NBELOW): a
proportion strictly between 0 and 1.

The Beta distribution with mean μ (logit link) and precision φ (log link),
variance μ(1 − μ)/(1 + φ), is the regression model for such a y (Ferrari &
Cribari-Neto 2004): ``NLLRegressor("beta")`` fits μ(x) with one precision
for all districts, ``NLLRegressor("beta", x_dependent="all")`` fits φ(x)
too (Smithson & Verkuilen 2006). Which predicts held-out districts better?
"""

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
import statsmodels.api as sm
from sklearn.model_selection import KFold, RepeatedKFold, cross_val_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

import sklik
from sklik import NLLRegressor
from sklik.metrics import interval_coverage, neg_nll_scorer

data = sm.datasets.star98.load_pandas().data
y = (data["NABOVE"] / (data["NABOVE"] + data["NBELOW"])).to_numpy()
covariates = list(data.columns[2:14])  # the twelve covariates, no interactions
X = data[covariates].to_numpy()
print(f"{len(y)} districts, share above the median from {y.min():.3f} to {y.max():.3f}")

# %%
# No share is exactly 0 or 1, so the Beta applies as it is (it refuses 0
# and 1, which have no density: see :doc:`/user_guide/distributions`).
#
# Held-out NLL: constant precision vs precision(x)
# ------------------------------------------------
#
# The features are standardised in a pipeline. With 303 districts a single
# 5-fold split is noisy, so the 5-fold cross-validation is repeated ten
# times with different shuffles (50 held-out folds per model).

models = {
    "mean(x), constant precision": make_pipeline(
        StandardScaler(), NLLRegressor("beta")
    ),
    "mean(x) and precision(x)": make_pipeline(
        StandardScaler(), NLLRegressor("beta", x_dependent="all")
    ),
}
cv = RepeatedKFold(n_splits=5, n_repeats=10, random_state=0)
fold_nll = {
    name: -cross_val_score(model, X, y, cv=cv, scoring=neg_nll_scorer)
    for name, model in models.items()
}
for name, nll in fold_nll.items():
    print(
        f"{name:>28}: held-out NLL median {np.median(nll):.3f}, "
        f"mean {nll.mean():.3g}, worst fold {nll.max():.3g}"
    )
constant, varying = fold_nll.values()
print(
    f"precision(x) is worse in {np.mean(varying > constant):.0%} of the folds, "
    f"and by more than 1 nat per district in {np.sum(varying > constant + 1)}"
)
normal = make_pipeline(StandardScaler(), NLLRegressor("normal"))
normal_nll = -cross_val_score(normal, X, y, cv=cv, scoring=neg_nll_scorer)
normal_dist = sklik.cross_val_predict_dist(normal, X, y, cv=KFold(5))
print(
    f"{'Normal baseline':>28}: held-out NLL median {np.median(normal_nll):.3f}, "
    f"worse than the constant-precision Beta in "
    f"{np.mean(normal_nll > constant):.0%} of the folds; its predictive mass "
    f"outside (0, 1): {np.mean(normal_dist.cdf(0) + normal_dist.sf(1)):.1e}"
)

# %%
# The constant precision wins. (A Normal on the same standardised features,
# the least-squares baseline, loses to it too: the shares are far from 0 and
# 1 here, so the Normal puts under 1% of its mass outside (0, 1), but the
# Beta's variance μ(1 − μ)/(1 + φ) follows the mean where the Normal's
# cannot.)
# The precision model has twelve more coefficients, and even its median fold
# is worse; in some folds it is catastrophically worse, which drives its mean
# NLL to astronomical values.
# Where does that come from?
#
# One held-out district
# ---------------------
#
# :func:`sklik.cross_val_predict_dist` gives every district its held-out
# Beta distribution. The worst-predicted district under precision(x):

split = KFold(5, shuffle=True, random_state=0)
held_out = {
    name: sklik.cross_val_predict_dist(model, X, y, cv=split)
    for name, model in models.items()
}
varying_dist = held_out["mean(x) and precision(x)"]
mean, var = varying_dist.mean(), varying_dist.var()
precision = mean * (1 - mean) / var - 1  # variance μ(1 − μ)/(1 + φ)
nll_varying = -varying_dist.logpdf(y)
worst = int(np.argmax(nll_varying))
charter = data["PCTCHRT"].to_numpy()
print(
    f"district {worst}: share above the median {y[worst]:.3f}, predicted mean "
    f"{mean[worst]:.3f} with precision "
    f"{precision[worst]:.3g} (median over districts {np.median(precision):.3g}); "
    f"NLL {nll_varying[worst]:.3g}"
)
print(
    f"its share of charter schools: {charter[worst]:.1f}% "
    f"(median over districts {np.median(charter):.1f}%, "
    f"{np.mean(charter > 0):.0%} of districts have any)"
)

# %%
# The precision is exp(x·v + c): a covariate far outside the range the
# model was trained on — here the share of charter schools, zero in most
# districts — pushes it to absurd values, and a Beta that narrow gives the
# observed share practically zero density. This is the exponential link's
# extrapolation, the same trap as σ(x) in :doc:`/user_guide/heteroscedastic`;
# the held-out NLL exposes it, the training NLL never would.
#
# Predictive intervals of the constant-precision model
# ----------------------------------------------------
#
# The 90% predictive interval of each held-out district, sorted by the
# predicted mean, against the observed share; on the right the held-out
# precisions of the precision(x) model against the charter share.

dist = held_out["mean(x), constant precision"]
lo, hi = dist.interval(0.9)
print(f"90% interval coverage (held out): {interval_coverage(y, lo, hi):.1%}")

order = np.argsort(dist.mean())
rank = np.arange(len(y))
outside = (y[order] < lo[order]) | (y[order] > hi[order])
fig, axes = plt.subplots(1, 2, figsize=(13, 4.5), layout="constrained")
ax = axes[0]
ax.fill_between(
    rank, lo[order], hi[order], color="C0", alpha=0.25, label="90% interval"
)
ax.plot(rank, dist.mean()[order], color="C0", label="predicted mean")
ax.scatter(rank[~outside], y[order][~outside], s=8, color="k", label="observed share")
ax.scatter(rank[outside], y[order][outside], s=12, color="C3", label="outside")
ax.set(
    xlabel="district, by predicted mean",
    ylabel="share above the national median",
    title="Beta, mean(x) and constant precision (held out)",
)
ax.legend(fontsize=8, loc="upper left")

ax = axes[1]
ax.scatter(charter, precision, s=10, color="C1")
ax.scatter(charter[worst], precision[worst], s=80, facecolors="none", edgecolors="k")
ax.axhline(
    np.exp(models["mean(x), constant precision"].fit(X, y)[-1].intercept_[1]),
    color="C0",
    ls="--",
    label="constant precision (fit on all districts)",
)
ax.set_yscale("log")
ax.set(
    xlabel="share of charter schools (%)",
    ylabel="held-out precision φ(x)",
    title="precision(x): the exponential link extrapolates",
)
ax.legend(fontsize=8)
plt.show()
