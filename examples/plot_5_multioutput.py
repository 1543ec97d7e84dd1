"""
Several outputs at once: a class and a position
===============================================

:class:`~sklik.MultiOutputNLL` fits one sklik estimator per column of y and
treats the outputs as independent given x, so the joint negative
log-likelihood is the sum of the per-output ones. The families can be mixed.
Here, from the hour of the day, we predict at once

* the **weather** — a class (sun, cloud, rain), by a
  :class:`~sklik.CategoricalNLLClassifier`, and
* the **temperature** — a position on the real line, by a heteroscedastic
  :class:`~sklik.GaussianNLLRegressor`.

Both depend on the hour non-linearly and periodically, so the features are
periodic splines of the hour, in a ``Pipeline``.
"""

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
from scipy.special import softmax
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import SplineTransformer

from sklik import CategoricalNLLClassifier, GaussianNLLRegressor, MultiOutputNLL

rng = np.random.default_rng(0)
n = 800
hour = rng.uniform(0, 24, size=n)
phase = 2 * np.pi * (hour - 9) / 24
# weather: rain is likelier in the afternoon, cloud at night
logits = np.column_stack([np.sin(phase), -np.sin(phase), 1.5 * np.cos(phase - 1.5)])
names = np.array(["sun", "cloud", "rain"], dtype=object)
weather = names[(rng.random((n, 1)) > softmax(logits, axis=1).cumsum(axis=1)).sum(1)]
# temperature: warm around 15h, and more variable by day than by night
temperature = 12 + 6 * np.sin(phase) + (1.0 + 0.8 * np.sin(phase)) * rng.normal(size=n)

Y = np.column_stack([weather, temperature])  # object array: a label, a number
X = hour[:, None]

model = make_pipeline(
    SplineTransformer(knots=np.linspace(0, 24, 7)[:, None], extrapolation="periodic"),
    MultiOutputNLL(
        [
            CategoricalNLLClassifier(alpha=1e-4),
            GaussianNLLRegressor(heteroscedastic=True, alpha=1e-4),
        ]
    ),
).fit(X, Y)
multi = model[-1]

# %%
# One model, two kinds of prediction
# ----------------------------------
# ``predict`` gives the most probable weather and the mean temperature side
# by side; ``predict_dist`` gives one distribution per output.

hours = np.array([[3.0], [15.0]])
print(model.predict(hours))
weather_dist, temperature_dist = multi.predict_dist(model[:-1].transform(hours))
print("classes:", multi.outputs_[0].classes_)  # sorted: cloud, rain, sun
print("Pr(class | hour):\n", weather_dist.probs.round(2))
print(
    "temperature 90% intervals:\n",
    np.column_stack(temperature_dist.interval(0.9)).round(1),
)

# %%
# The joint NLL is the sum of the outputs' NLLs:

Z = model[:-1].transform(X)
parts = [est.nll(Z, Y[:, j]) for j, est in enumerate(multi.outputs_)]
print(
    f"joint NLL {multi.nll(Z, Y):.3f} = weather {parts[0]:.3f} "
    f"+ temperature {parts[1]:.3f}"
)

# %%
# The figure: the two predictive distributions along the day
# ----------------------------------------------------------

grid = np.linspace(0, 24, 300)[:, None]
weather_dist, temperature_dist = multi.predict_dist(model[:-1].transform(grid))
fig, axes = plt.subplots(1, 2, figsize=(13, 4), layout="constrained")
ax = axes[0]
ax.stackplot(
    grid[:, 0],
    weather_dist.probs.T,
    labels=list(multi.outputs_[0].classes_),
    colors=[
        {"sun": "gold", "cloud": "0.75", "rain": "C0"}[c]
        for c in multi.outputs_[0].classes_
    ],
    alpha=0.8,
)
ax.set(
    xlabel="hour of the day",
    ylabel="Pr(weather | hour)",
    xlim=(0, 24),
    ylim=(0, 1),
    title="output 1: a class (Categorical)",
)
ax.legend(loc="lower left", fontsize=8)

ax = axes[1]
mean, std = temperature_dist.mean(), temperature_dist.std()
ax.scatter(hour, temperature, s=4, color="0.6", label="data")
ax.plot(grid[:, 0], mean, color="C3", label="mean")
ax.fill_between(
    grid[:, 0], mean - 2 * std, mean + 2 * std, color="C3", alpha=0.2, label="±2σ(hour)"
)
ax.set(
    xlabel="hour of the day",
    ylabel="temperature (°C)",
    xlim=(0, 24),
    title="output 2: a position (Gaussian, heteroscedastic)",
)
ax.legend(loc="lower left", fontsize=8)
plt.show()
