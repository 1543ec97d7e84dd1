"""
Binary classification: logit, sigmoid, probability
==================================================

:class:`~sklik.BernoulliNLLClassifier` models a two-class label as
y ~ Bernoulli(p(x)) with p(x) = sigmoid(η(x)) and a linear logit
η(x) = x·w + b, fitted by minimising the binary cross-entropy (the Bernoulli
negative log-likelihood). The three panels follow the recipe: the model's
raw output η(x), the link that maps it into [0, 1], and the resulting
probability Pr(y = 1 | x) against the data.
"""

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
from scipy.special import expit

from sklik import BernoulliNLLClassifier

rng = np.random.default_rng(0)
n = 400
x = rng.uniform(-4, 6, size=n)
true_logit = -1.0 + 1.2 * x
labels = np.where(rng.random(n) < expit(true_logit), "pass", "fail")

clf = BernoulliNLLClassifier().fit(x[:, None], labels)
print("classes:", clf.classes_, " (the second is the 'y = 1' class)")
print(
    f"fitted logit: {clf.intercept_[0]:.2f} + {clf.coef_[0, 0]:.2f}·x "
    "(true: -1.00 + 1.20·x)"
)
print(f"training NLL (binary cross-entropy): {clf.nll(x[:, None], labels):.3f}")

# %%
# The three steps of the model
# ----------------------------

grid = np.linspace(-4, 6, 300)[:, None]
eta = clf.decision_function(grid)  # the logit η(x)
p = clf.predict_proba(grid)[:, 1]  # sigmoid(η(x)) = Pr(y = "pass" | x)

fig, axes = plt.subplots(1, 3, figsize=(14, 3.9), layout="constrained")
ax = axes[0]
ax.plot(grid[:, 0], eta, color="C0", label="fitted η(x)")
ax.plot(grid[:, 0], -1.0 + 1.2 * grid[:, 0], "k--", lw=1, label="true η(x)")
ax.axhline(0, color="0.7", lw=0.8)
ax.set(xlabel="x", ylabel="η (logit)", title="1. the model: a linear logit")
ax.legend(fontsize=8)

ax = axes[1]
t = np.linspace(-8, 8, 300)
ax.plot(t, expit(t), color="C1")
ax.set(
    xlabel="η", ylabel="sigmoid(η) = 1 / (1 + e^(−η))", title="2. the link: the sigmoid"
)
ax.axvline(0, color="0.7", lw=0.8)
ax.axhline(0.5, color="0.7", lw=0.8)

ax = axes[2]
is_pass = labels == "pass"
jitter = rng.uniform(-0.04, 0.04, size=n)
ax.scatter(x, is_pass + jitter, s=5, color="0.5", label="data (jittered)")
ax.plot(grid[:, 0], p, color="C2", label="fitted Pr(pass | x)")
ax.plot(grid[:, 0], expit(-1.0 + 1.2 * grid[:, 0]), "k--", lw=1, label="true")
ax.set(xlabel="x", ylabel="Pr(y = pass | x)", title="3. the probability")
ax.legend(fontsize=8, loc="center right")
plt.show()

# %%
# ``predict`` returns the most probable label (p > 0.5, i.e. η > 0);
# ``predict_dist`` returns a distribution over the labels themselves:

dist = clf.predict_dist([[0.0], [2.0]])
print(dist.probs.round(3), dist.mode())
print(dist.rvs(size=5, random_state=0))
