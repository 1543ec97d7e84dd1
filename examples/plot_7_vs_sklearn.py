"""
sklik vs scikit-learn: same means, plus a calibrated spread
===========================================================

Fitted by maximum likelihood, sklik's estimators reproduce scikit-learn's
classics where they overlap:

* :class:`~sklik.GaussianNLLRegressor` (``alpha=0``) has the coefficients of
  ``LinearRegression`` — least squares is the Normal likelihood's maximum;
* :class:`~sklik.BernoulliNLLClassifier` with ``alpha = 1/(C·n)`` has the
  probabilities of ``LogisticRegression(C=C)``.

What sklik adds is the spread. ``LinearRegression`` has none;
``BayesianRidge`` has one constant noise level (plus parameter uncertainty).
sklik's heteroscedastic model lets σ depend on x, and on data whose spread
changes its intervals stay calibrated *everywhere*, not just on average.
"""

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
from scipy.stats import norm
from sklearn.datasets import load_breast_cancer, load_diabetes
from sklearn.linear_model import BayesianRidge, LinearRegression, LogisticRegression
from sklearn.model_selection import KFold
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from sklik import BernoulliNLLClassifier, GaussianNLLRegressor
from sklik.metrics import interval_coverage, log_score

# %%
# Same means: regression coefficients on diabetes
# -----------------------------------------------

X, y = load_diabetes(return_X_y=True)
X = StandardScaler().fit_transform(X)
ours = GaussianNLLRegressor().fit(X, y)
ols = LinearRegression().fit(X, y)
bayes = BayesianRidge().fit(X, y)
print(
    "max |coef difference| vs LinearRegression:", np.abs(ours.coef_ - ols.coef_).max()
)
print(f"sklik's σ = {ours.scale_:.2f}; LinearRegression has no σ")
mean_ours, mean_ols, mean_bayes = ours.predict(X), ols.predict(X), bayes.predict(X)
print(
    "max |mean difference| vs BayesianRidge:",
    f"{np.abs(mean_ours - mean_bayes).max():.1f} (y has sd {y.std():.1f})",
)

# %%
# ``BayesianRidge`` shrinks the coefficients of correlated features a little,
# so its means are close to, not equal to, least squares.
#
# %%
# Same probabilities: logistic regression on breast cancer
# --------------------------------------------------------

Xc, yc = load_breast_cancer(return_X_y=True)
Xc = StandardScaler().fit_transform(Xc)
C = 1.0
clf = BernoulliNLLClassifier(alpha=1 / (C * len(yc))).fit(Xc, yc)
logreg = LogisticRegression(C=C, tol=1e-10, max_iter=10_000).fit(Xc, yc)
p_ours, p_theirs = clf.predict_proba(Xc)[:, 1], logreg.predict_proba(Xc)[:, 1]
print(
    "max |probability difference| vs LogisticRegression:",
    np.abs(p_ours - p_theirs).max(),
)

# %%
# The spread: held-out 90% intervals where the noise grows
# --------------------------------------------------------
# The largest nucleus area of a breast-cancer sample ("worst area"),
# predicted from its ten mean measurements: bigger nuclei, bigger spread. We
# predict every sample from a model fitted on the other folds and check, in
# five groups of increasing predicted area, how often the 90% interval holds
# the truth.

data = load_breast_cancer(as_frame=True).frame
features = [c for c in data.columns if c.startswith("mean ")]
Xa, ya = data[features].to_numpy(), data["worst area"].to_numpy()
models = {
    "BayesianRidge": BayesianRidge(),
    "sklik, constant σ": GaussianNLLRegressor(),
    "sklik, σ(x)": GaussianNLLRegressor(heteroscedastic=True),
}
mean = {name: np.zeros_like(ya) for name in models}
std = {name: np.zeros_like(ya) for name in models}
for train, test in KFold(5, shuffle=True, random_state=0).split(Xa):
    for name, model in models.items():
        fitted = make_pipeline(StandardScaler(), model).fit(Xa[train], ya[train])
        mean[name][test], std[name][test] = fitted.predict(Xa[test], return_std=True)

groups = np.digitize(
    mean["sklik, σ(x)"], np.quantile(mean["sklik, σ(x)"], [0.2, 0.4, 0.6, 0.8])
)
coverage = {}
for name in models:
    dist = norm(mean[name], std[name])
    lo, hi = dist.interval(0.9)
    coverage[name] = [
        interval_coverage(ya[groups == g], lo[groups == g], hi[groups == g])
        for g in range(5)
    ]
    print(
        f"{name:>18}: held-out NLL {log_score(ya, dist):.3f}, "
        f"90% coverage {interval_coverage(ya, lo, hi):.1%}, "
        "by group: " + " ".join(f"{c:.0%}" for c in coverage[name])
    )

# %%
# All three cover about 90% overall. But the constant-σ models get there by
# being too wide for small nuclei and too narrow for large ones; σ(x) keeps
# close to 90% in every group, and its held-out NLL is much better.

fig, axes = plt.subplots(1, 3, figsize=(15, 4.2), layout="constrained")
ax = axes[0]
ax.scatter(mean_ols, mean_ours, s=8, color="C0", label="LinearRegression")
ax.scatter(mean_bayes, mean_ours, s=8, color="C1", marker="x", label="BayesianRidge")
lim = (mean_ours.min() - 10, mean_ours.max() + 10)
ax.plot(lim, lim, "k--", lw=0.8)
ax.set(
    xlabel="scikit-learn predicted mean",
    ylabel="sklik predicted mean",
    title="diabetes: the same means",
)
ax.legend(fontsize=8)

ax = axes[1]
ax.scatter(p_theirs, p_ours, s=6, color="C2")
ax.plot([0, 1], [0, 1], "k--", lw=0.8)
ax.set(
    xlabel="LogisticRegression Pr(y=1)",
    ylabel="sklik Pr(y=1)",
    title="breast cancer: same probabilities",
)

ax = axes[2]
width = 0.27
for i, (name, cov) in enumerate(coverage.items()):
    ax.bar(np.arange(5) + (i - 1) * width, cov, width, label=name)
ax.axhline(0.9, color="k", ls="--", lw=1, label="nominal 90%")
ax.set_xticks(np.arange(5), ["smallest", "2", "3", "4", "largest"])
ax.set(
    xlabel="fifth of predicted worst area",
    ylim=(0.5, 1.02),
    ylabel="held-out coverage of the 90% interval",
    title="breast cancer worst area: calibrated spread",
)
ax.legend(fontsize=8, loc="lower left")
plt.show()
