"""
A network for the mean and the spread: heteroscedastic regression
=================================================================

*Understanding Deep Learning* (Fig. 5.5) fits a network that predicts both
the mean μ(x) and the standard deviation σ(x) of a normal distribution, by
minimising the negative log-likelihood. With sklik that is
``NLLRegressor("normal", x_dependent="all", model=MLP(...))``: one shared
trunk of hidden layers, two outputs (μ and log σ). Neither needs to be
linear in x, and σ(x) does not have to use μ's features.

The data are synthetic, so the true conditional distribution is known: a sine
whose noise grows away from the middle. We compare the held-out NLL with the
truth's (the lowest any model can reach on average) and check the 90 %
prediction intervals overall and in every decile of x.
"""

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
from scipy import stats

from sklik import NLLRegressor
from sklik.metrics import interval_coverage
from sklik.models import MLP


def true_mean(x):
    return np.sin(x)


def true_sd(x):
    return 0.05 + 0.1 * x**2


rng = np.random.default_rng(0)
x_train, x_test = rng.uniform(-3, 3, 5000), rng.uniform(-3, 3, 20000)
y_train = true_mean(x_train) + true_sd(x_train) * rng.normal(size=5000)
y_test = true_mean(x_test) + true_sd(x_test) * rng.normal(size=20000)

reg = NLLRegressor(
    "normal",
    x_dependent="all",
    model=MLP((32, 32), "tanh", random_state=0),
    max_iter=2000,
    tol=1e-6,
)
reg.fit(x_train[:, None], y_train)

# %%
# Held-out NLL and coverage
# -------------------------
# The truth's NLL is the average of −log p(y | x) under the distribution the
# data came from: no model beats it on average; the gap is what the fit lost.

nll = reg.nll(x_test[:, None], y_test)
nll_true = -stats.norm.logpdf(y_test, true_mean(x_test), true_sd(x_test)).mean()
lo, hi = reg.predict_dist(x_test[:, None]).interval(0.9)
deciles = np.digitize(x_test, np.quantile(x_test, np.linspace(0.1, 0.9, 9)))
by_decile = [
    interval_coverage(y_test[deciles == d], lo[deciles == d], hi[deciles == d])
    for d in range(10)
]
print(f"{reg.n_iter_} L-BFGS iterations")
print(f"held-out NLL {nll:.4f}, truth's {nll_true:.4f}, gap {nll - nll_true:.4f} nats")
print(f"90% interval coverage {interval_coverage(y_test, lo, hi):.3f}")
print("by decile of x: " + ", ".join(f"{c:.3f}" for c in by_decile))

# %%
# The fitted mean and bands against the true ones
# -----------------------------------------------

grid = np.linspace(-3, 3, 300)
mean, std = reg.predict(grid[:, None], return_std=True)
z = stats.norm.ppf(0.95)
fig, axes = plt.subplots(1, 3, figsize=(14, 4), layout="constrained")
ax = axes[0]
ax.scatter(x_test[:1500], y_test[:1500], s=3, color="0.6", label="held-out data")
ax.plot(grid, mean, color="C0", label="fitted μ(x)")
ax.fill_between(
    grid,
    mean - z * std,
    mean + z * std,
    color="C0",
    alpha=0.25,
    label="fitted 90% band",
)
ax.plot(grid, true_mean(grid), "k--", lw=1, label="true μ(x)")
for sign in (-1, 1):
    ax.plot(grid, true_mean(grid) + sign * z * true_sd(grid), "k:", lw=1)
ax.set(xlabel="x", ylabel="y", title="mean and 90% band")
ax.legend(fontsize=8, loc="upper left")

ax = axes[1]
ax.plot(grid, std, color="C0", label="fitted σ(x)")
ax.plot(grid, true_sd(grid), "k--", lw=1, label="true σ(x)")
ax.set(xlabel="x", ylabel="σ", title="standard deviation")
ax.legend(fontsize=8)

ax = axes[2]
ax.bar(np.arange(10), by_decile, color="C0")
ax.axhline(0.9, color="k", ls="--", lw=1, label="nominal 90%")
ax.set(
    ylim=(0.8, 1.0),
    xlabel="decile of x",
    ylabel="coverage",
    title="coverage of the 90% intervals",
)
ax.legend(fontsize=8, loc="lower left")
plt.show()
