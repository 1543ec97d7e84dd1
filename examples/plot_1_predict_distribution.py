"""
Predict a distribution, not a value
===================================

A sklik estimator answers "what is y at x?" with a whole distribution. For a
regression it is a Normal density per input, from
:meth:`~sklik.GaussianNLLRegressor.predict_dist`; for a classification, a
probability per class, from
:meth:`~sklik.CategoricalNLLClassifier.predict_dist`. Here are both, at two
inputs each.
"""

import matplotlib

matplotlib.use("Agg")  # draw to files; no display needed
import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import load_iris

from sklik import CategoricalNLLClassifier, GaussianNLLRegressor

# %%
# A regression whose noise grows with x
# -------------------------------------
# With ``heteroscedastic=True`` the model predicts a mean μ(x) and a standard
# deviation σ(x), so the predictive density is narrow at small x and wide at
# large x.

rng = np.random.default_rng(0)
x = rng.uniform(0, 10, size=300)
y = 2.0 + 0.8 * x + (0.2 + 0.15 * x) * rng.normal(size=x.size)
reg = GaussianNLLRegressor(heteroscedastic=True).fit(x[:, None], y)

x_query = np.array([[2.0], [8.0]])
dist = reg.predict_dist(x_query)  # a frozen scipy.stats.norm, one per row
print("mean:", dist.mean().round(2), " std:", dist.std().round(2))
print("90% intervals:\n", np.column_stack(dist.interval(0.9)).round(2))

# %%
# A classification: iris species from petal length
# ------------------------------------------------
# :class:`~sklik.CategoricalNLLClassifier` predicts the probability of each
# of the three species; at a petal length of 1.5 cm only one species is
# plausible, at 4.9 cm two are.

iris = load_iris()
petal_length = iris.data[:, [2]]
clf = CategoricalNLLClassifier(alpha=1e-3).fit(petal_length, iris.target)
lengths = np.array([[1.5], [4.9]])
probs = clf.predict_dist(lengths).probs
for length, p in zip(lengths[:, 0], probs):
    print(
        f"{length} cm: "
        + ", ".join(f"{n} {q:.3f}" for n, q in zip(iris.target_names, p))
    )

# %%
# The figure
# ----------
# Left, the data with μ(x) ± 2σ(x); middle, the two predictive densities
# (same shape, different centre and width); right, the two predictive
# distributions over species.

fig, axes = plt.subplots(1, 3, figsize=(13, 3.8), layout="constrained")
grid = np.linspace(0, 10, 200)[:, None]
mean, std = reg.predict(grid, return_std=True)
ax = axes[0]
ax.scatter(x, y, s=6, color="0.6", label="data")
ax.plot(grid[:, 0], mean, color="C0", label="μ(x)")
ax.fill_between(grid[:, 0], mean - 2 * std, mean + 2 * std, alpha=0.2, label="±2σ(x)")
for xq, color in zip(x_query[:, 0], ("C1", "C2")):
    ax.axvline(xq, color=color, ls="--")
ax.set(xlabel="x", ylabel="y", title="regression: data and fit")
ax.legend(loc="upper left", fontsize=8)

ax = axes[1]
ys = np.linspace(y.min() - 2, y.max() + 2, 400)
density = dist.pdf(ys[:, None])  # shape (400, 2): one column per input
for i, color in enumerate(("C1", "C2")):
    ax.plot(ys, density[:, i], color=color, label=f"Pr(y | x = {x_query[i, 0]:g})")
    ax.fill_between(ys, density[:, i], color=color, alpha=0.15)
ax.set(xlabel="y", ylabel="density", title="two predictive densities")
ax.legend(fontsize=8)

ax = axes[2]
width = 0.38
for i, color in enumerate(("C1", "C2")):
    ax.bar(
        np.arange(3) + (i - 0.5) * width,
        probs[i],
        width,
        color=color,
        label=f"petal length {lengths[i, 0]:g} cm",
    )
ax.set_xticks(np.arange(3), iris.target_names)
ax.set(ylabel="Pr(species | petal length)", ylim=(0, 1.05), title="classification")
ax.legend(fontsize=8)
plt.show()
