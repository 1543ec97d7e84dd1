"""
Directions: a von Mises network for wind direction
==================================================

*Understanding Deep Learning* (ch. 5) predicts a direction — the wind's —
with a von Mises distribution whose mean direction μ(x) and concentration
κ(x) come from a network. In sklik that is ``NLLRegressor("von_mises",
x_dependent="all", model=MLP(...))``; the NLL is that of angles, so 179° and
−179° are neighbours.

The data are **synthetic** (a sea breeze, made up for this example, so that
the true conditional distribution is known): over the day the wind turns from
the land to the sea and back, and it is steady in the afternoon and variable
at night. The input is the hour of the day, given to the network as a point
on the circle (its cosine and sine), so that 23:59 and 00:00 are neighbours.
We compare the held-out NLL with the truth's and check 90 % intervals (arcs)
overall and in every decile of the hour.
"""

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
from scipy import stats

from sklik import NLLRegressor
from sklik.models import MLP


def true_direction(hour):
    return 0.5 + 1.5 * np.sin(2 * np.pi * hour / 24)


def true_concentration(hour):
    return np.exp(1.0 + 1.2 * np.cos(2 * np.pi * (hour - 15) / 24))


def on_circle(hour):
    angle = 2 * np.pi * hour / 24
    return np.column_stack([np.cos(angle), np.sin(angle)])


def sample(n, seed):
    rng = np.random.default_rng(seed)
    hour = rng.uniform(0, 24, n)
    y = stats.vonmises.rvs(
        true_concentration(hour), loc=true_direction(hour), random_state=rng
    )
    return hour, np.angle(np.exp(1j * y))  # in (-π, π]


hour_train, y_train = sample(5000, seed=0)
hour_test, y_test = sample(20000, seed=1)

reg = NLLRegressor(
    "von_mises",
    x_dependent="all",
    model=MLP((32, 32), "tanh", random_state=0),
    max_iter=2000,
    tol=1e-5,  # stop once 10 iterations in a row gain < 1e-5 nats per sample
)
reg.fit(on_circle(hour_train), y_train)

# %%
# Held-out NLL and coverage of the 90 % arcs
# ------------------------------------------
# The central 90 % arc of a von Mises is centred on its mean direction μ:
# an angle y is inside it if the arc of half-width :math:`|y - \mu|` (taken round the
# circle) holds at most 90 % of the probability, 2·F(:math:`|y - \mu|`; κ) − 1 ≤ 0.9
# with F the cdf of the von Mises centred at 0. (This is the same as testing
# y against ``predict_dist(X).interval(0.9)``, without solving for its ends.)

fitted_test = reg.predict_dist(on_circle(hour_test)).kwds
nll = reg.nll(on_circle(hour_test), y_test)
nll_true = -stats.vonmises.logpdf(
    y_test, true_concentration(hour_test), loc=true_direction(hour_test)
).mean()
offset = np.abs(np.angle(np.exp(1j * (y_test - fitted_test["loc"]))))
inside = 2 * stats.vonmises.cdf(offset, fitted_test["kappa"]) - 1 <= 0.9
deciles = np.minimum((hour_test / 2.4).astype(int), 9)
by_decile = [inside[deciles == d].mean() for d in range(10)]
print(f"{reg.n_iter_} L-BFGS iterations")
print(f"held-out NLL {nll:.4f}, truth's {nll_true:.4f}, gap {nll - nll_true:.4f} nats")
print(f"90% arc coverage {inside.mean():.3f}")
print("by tenth of the day: " + ", ".join(f"{c:.3f}" for c in by_decile))

# %%
# The fitted mean direction and concentration against the true ones
# ------------------------------------------------------------------

grid = np.linspace(0, 24, 300)
fitted = reg.predict_dist(on_circle(grid))
params = fitted.kwds
g_lo, g_hi = fitted.interval(0.9)
fig, axes = plt.subplots(1, 2, figsize=(12, 4.5), layout="constrained")
ax = axes[0]
ax.scatter(hour_test[:3000], y_test[:3000], s=3, color="0.6", label="held-out data")
ax.plot(
    grid,
    np.angle(np.exp(1j * params["loc"])),
    ".",
    ms=2,
    color="C0",
    label="fitted mean direction",
)
for shift in (-2 * np.pi, 0, 2 * np.pi):  # the arcs, drawn wrapped
    ax.fill_between(
        grid,
        g_lo + shift,
        g_hi + shift,
        color="C0",
        alpha=0.2,
        label="fitted 90% arc" if shift == 0 else None,
    )
ax.plot(
    grid,
    np.angle(np.exp(1j * true_direction(grid))),
    "k.",
    ms=1,
    label="true mean direction",
)
ax.set(
    xlim=(0, 24),
    ylim=(-np.pi, np.pi),
    xlabel="hour of the day",
    ylabel="direction (radians)",
    title="wind direction",
)
ax.legend(fontsize=8, loc="lower left")

ax = axes[1]
ax.plot(grid, params["kappa"], color="C0", label="fitted κ")
ax.plot(grid, true_concentration(grid), "k--", lw=1, label="true κ")
ax.set(
    xlim=(0, 24),
    xlabel="hour of the day",
    ylabel="κ",
    title="concentration (steady wind: large κ)",
)
ax.legend(fontsize=8)
plt.show()
