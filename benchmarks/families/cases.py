"""The cases: a family (sklik's parametrisation), a data set, and the tools.

Kinds and their peers (see ``benchmarks/README.md`` for the settings):

=============  ==============================  =================================
kind           sklik                           peers (same objective)
=============  ==============================  =================================
poisson        poisson                         sklearn PoissonRegressor lbfgs and
                                               newton-cholesky, glum,
                                               statsmodels GLM
gamma_mean     exponential (the Gamma mean's   sklearn GammaRegressor lbfgs and
               MLE does not depend on the      newton-cholesky, glum,
               shape)                          statsmodels GLM (mean only)
gamma          gamma (mean and shape)          gamlss GA; glum / sklearn
                                               newton-cholesky + the shape MLE
nb2            negative_binomial               statsmodels NegativeBinomial
                                               (newton, bfgs), gamlss NBI;
                                               info: glum NB at a fixed α
nb_alpha_x     negative_binomial, "all"        gamlss NBI σ(x), scipy L-BFGS
zip            zero_inflated_poisson           statsmodels ZeroInflatedPoisson
                                               (newton, bfgs), gamlss ZIP
beta           beta, "all"                     statsmodels BetaModel (newton,
                                               bfgs)
student_t      student_t                       statsmodels TLinearModel (bfgs),
                                               gamlss TF
hetero         normal, "all"                   gamlss NO σ(x), scipy L-BFGS
laplace        laplace                         sklearn QuantileRegressor (highs),
                                               statsmodels QuantReg
lognormal      lognormal                       sklearn LinearRegression on log y
=============  ==============================  =================================
"""

from dataclasses import dataclass, field

from . import tools as T

#: kind -> (objective family, depends-on-x per parameter, sklik x_dependent)
KINDS = {
    "poisson": ("poisson", [True], None),
    "gamma_mean": ("gamma", [True, False], None),
    "gamma": ("gamma", [True, False], None),
    "nb2": ("negative_binomial", [True, False], None),
    "nb_alpha_x": ("negative_binomial", [True, True], "all"),
    "zip": ("zero_inflated_poisson", [True, False], None),
    "beta": ("beta", [True, True], "all"),
    "student_t": ("student_t", [True, False, False], None),
    "hetero": ("normal", [True, True], "all"),
    "laplace": ("laplace", [True, False], None),
    "lognormal": ("lognormal", [True, False], None),
}

LABELS = {
    "poisson": "Poisson",
    "gamma_mean": "Gamma mean",
    "gamma": "Gamma mean+shape",
    "nb2": "NB2 (α const.)",
    "nb_alpha_x": "NB2 α(x)",
    "zip": "ZIP",
    "beta": "Beta φ(x)",
    "student_t": "Student-t",
    "hetero": "Normal σ(x)",
    "laplace": "Laplace",
    "lognormal": "log-normal",
}


@dataclass
class Case:
    kind: str
    n: int = 0
    p: int = 20
    data: str = "synthetic"  # or a statsmodels data set's name
    skip: tuple = ()
    name: str = field(default="")

    def __post_init__(self):
        self.family, self.depends, self.x_dependent = KINDS[self.kind]
        if not self.name:
            where = (
                f"n={self.n:.0e} p={self.p}".replace("e+0", "e")
                if self.data == "synthetic"
                else self.data
            )
            self.name = f"{LABELS[self.kind]} {where}"


def tools_for(case, alpha_hat=None):
    """The tools of a case, sklik first. ``alpha_hat``: NB2's α at the optimum."""
    k, fam = case.kind, case.family
    if k == "poisson":
        tools = [
            T.sklik_tool("poisson"),
            T.sklearn_glm("poisson", "lbfgs"),
            T.sklearn_glm("poisson", "newton-cholesky"),
            T.glum_glm("poisson"),
            T.statsmodels_glm("poisson"),
        ]
    elif k == "gamma_mean":
        tools = [
            T.sklik_exponential_as_gamma_mean(),
            T.sklearn_glm("gamma", "lbfgs", P=2),
            T.sklearn_glm("gamma", "newton-cholesky", P=2),
            T.glum_glm("gamma", P=2),
            T.statsmodels_glm("gamma", P=2),
        ]
    elif k == "gamma":
        tools = [
            T.sklik_tool("gamma"),
            T.gamlss_for("gamma"),
            T.sklearn_glm("gamma", "newton-cholesky", P=2, shape=True),
            T.glum_glm("gamma", P=2, shape=True),
        ]
    elif k == "nb2":
        tools = [
            T.sklik_tool(fam),
            T.statsmodels_nb2("newton"),
            T.statsmodels_nb2("bfgs"),
            T.gamlss_for("nb2"),
        ]
        if alpha_hat is not None:
            tools.append(T.glum_nb_fixed_alpha(alpha_hat))
    elif k == "nb_alpha_x":
        tools = [
            T.sklik_tool(fam, "all"),
            T.gamlss_for("nb_alpha_x"),
            T.scipy_ml(fam, case.depends),
        ]
    elif k == "zip":
        tools = [
            T.sklik_tool(fam),
            T.statsmodels_zip("newton"),
            T.statsmodels_zip("bfgs"),
            T.gamlss_for("zip"),
        ]
    elif k == "beta":
        tools = [
            T.sklik_tool(fam, "all"),
            T.statsmodels_beta("newton"),
            T.statsmodels_beta("bfgs"),
        ]
    elif k == "student_t":
        tools = [
            T.sklik_tool(fam),
            T.statsmodels_t("bfgs"),
            T.gamlss_for("student_t"),
        ]
    elif k == "hetero":
        tools = [
            T.sklik_tool(fam, "all"),
            T.gamlss_for("hetero"),
            T.scipy_ml(fam, case.depends),
        ]
    elif k == "laplace":
        tools = [
            T.sklik_tool(fam),
            T.sklearn_quantile(),
            T.statsmodels_quantreg(),
        ]
    elif k == "lognormal":
        tools = [T.sklik_tool(fam), T.sklearn_linreg_log()]
    else:
        raise ValueError(k)
    return [t for t in tools if t.name not in case.skip]


_REAL = [
    ("poisson", "randhie"),
    ("nb2", "randhie"),
    ("nb_alpha_x", "randhie"),
    ("zip", "randhie"),
    ("gamma_mean", "fair"),
    ("gamma", "fair"),
    ("lognormal", "fair"),
    ("beta", "star98"),
    ("student_t", "engel"),
    ("hetero", "engel"),
    ("laplace", "engel"),
]

#: Peers left out at n >= 1e5, each slower there than every other peer of its
#: case by a factor of 10 or more (measured at n = 1e5, 1 thread, loaded
#: machine): sklearn L-BFGS 25 s (Poisson) and 42 s (Gamma) against 0.6-0.8 s
#: for newton-cholesky; statsmodels ZIP by Newton 78 s (its numerical
#: Hessian) against 13 s by BFGS; QuantileRegressor (HiGHS on the primal LP
#: with 2n + 2p variables) already 26 s at n = 1e4, against 5 s for QuantReg.
SLOW_AT_1E5 = (
    "sklearn lbfgs",
    "statsmodels ZeroInflatedPoisson (newton)",
    "sklearn QuantileRegressor (highs)",
)
#: ... and at n = 1e6 also statsmodels GLM (IRLS: 1.8 s and 5 s at 1e5).
SLOW_AT_1E6 = (*SLOW_AT_1E5, "statsmodels GLM (IRLS)")


def full_cases():
    cases = [Case(kind, data=data) for kind, data in _REAL]
    for kind in KINDS:
        cases.append(Case(kind, 10_000))
        cases.append(Case(kind, 100_000, skip=SLOW_AT_1E5))
    for kind in ("poisson", "gamma_mean", "lognormal"):
        cases.append(Case(kind, 1_000_000, skip=SLOW_AT_1E6))
    return cases


#: Peers left out of the default run (the full run keeps them): each at least
#: 10x slower than the fastest peer of its case in a full run (1 thread):
#: sklearn L-BFGS on the GLMs (4 s on randhie and fair against 0.05-0.15 s
#: for statsmodels' IRLS), gamlss's ZIP (13 s on randhie against 3 s for
#: statsmodels by BFGS).
SLOW_DEFAULT = ("sklearn lbfgs", "gamlss ZIP")


def default_cases():
    """Every real data set, every kind at n = 1e4, two GLMs at 1e5 (< 10 min)."""
    cases = [Case(kind, data=data, skip=SLOW_DEFAULT) for kind, data in _REAL]
    cases += [Case(kind, 10_000, skip=SLOW_DEFAULT) for kind in KINDS]
    cases += [
        Case(kind, 100_000, skip=(*SLOW_AT_1E5, "statsmodels GLM (IRLS)"))
        for kind in ("poisson", "gamma_mean")
    ]
    return cases


def quick_cases():
    """One real and a few synthetic cases, the slow peers left out (~2 min)."""
    slow = (*SLOW_AT_1E5, "gamlss NBI", "gamlss NO σ(x)", "statsmodels GLM (IRLS)")
    return [
        Case("poisson", data="randhie", skip=slow),
        Case("poisson", 10_000, skip=slow),
        Case("gamma_mean", 10_000, skip=slow),
        Case("nb2", 10_000, skip=slow),
        Case("hetero", 10_000, skip=slow),
        Case("laplace", data="engel"),
        Case("lognormal", 10_000),
    ]
