"""
Three classes: softmax logits and probabilities
===============================================

:class:`~sklik.CategoricalNLLClassifier` gives each class k its own linear
logit η_k(x) = x·w_k + b_k and turns the K logits into probabilities with
the softmax, Pr(y = k | x) = exp(η_k) / Σ_j exp(η_j). Adding a constant to
every logit changes no probability, so sklik centres them: at every x the
logits sum to zero. Here the three iris species are predicted from the
petal length alone.
"""

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import load_iris

from sklik import CategoricalNLLClassifier

iris = load_iris()
x = iris.data[:, 2]  # petal length (cm)
y = iris.target_names[iris.target]  # labels of any type: here strings

clf = CategoricalNLLClassifier(alpha=1e-3).fit(x[:, None], y)
print("classes:", clf.classes_)
print("slopes w_k:", clf.coef_[:, 0].round(2), " sum:", round(clf.coef_.sum(), 12))
print(
    "intercepts b_k:", clf.intercept_.round(2), " sum:", round(clf.intercept_.sum(), 12)
)

grid = np.linspace(0.5, 7.5, 300)[:, None]
logits = clf.decision_function(grid)  # (300, 3) raw outputs η_k(x)
proba = clf.predict_proba(grid)  # (300, 3) softmax(η(x))
assert np.allclose(logits.sum(axis=1), 0.0)

# %%
# Raw outputs and probabilities along x
# -------------------------------------
# Where two logits cross, the two classes are equally likely; the class with
# the largest logit is the prediction. The probabilities sum to one at every x.

fig, axes = plt.subplots(1, 2, figsize=(12, 4), layout="constrained")
for k, name in enumerate(clf.classes_):
    axes[0].plot(grid[:, 0], logits[:, k], color=f"C{k}", label=f"η_{name}(x)")
    axes[1].plot(grid[:, 0], proba[:, k], color=f"C{k}", label=f"Pr({name} | x)")
    rows = y == name
    axes[1].plot(
        x[rows], np.full(rows.sum(), -0.05 - 0.04 * k), "|", color=f"C{k}", ms=8
    )
axes[0].axhline(0, color="0.7", lw=0.8)
axes[0].set(
    xlabel="petal length (cm)",
    ylabel="logit",
    title="raw outputs: three centred linear logits",
)
axes[1].set(
    xlabel="petal length (cm)",
    ylabel="probability",
    ylim=(-0.17, 1.05),
    title="softmax: class probabilities (ticks: the data)",
)
for ax in axes:
    ax.legend(fontsize=8)
plt.show()

# %%
# The held-out view: the log loss (the Categorical NLL) of 5-fold
# cross-validation, through scikit-learn's own scorer.

from sklearn.model_selection import cross_val_score

scores = cross_val_score(clf, x[:, None], y, scoring="neg_log_loss", cv=5)
print(f"held-out log loss: {-scores.mean():.3f} ± {scores.std():.3f}")
