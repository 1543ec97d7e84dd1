"""The ``summary`` method of every linear sklik estimator (see sklik.inference)."""


class SummaryMixin:
    """Mixin giving an sklik estimator a ``summary`` method (see :func:`summary`)."""

    def summary(
        self,
        X,
        y,
        sample_weight=None,
        *,
        cov_type: str = "observed",
        level: float = 0.95,
    ):
        """Coefficients, standard errors, confidence intervals, llf, AIC and BIC.

        For an unpenalised linear fit (``alpha=0``), from the inverse of the
        observed information at the maximum-likelihood estimate, computed on
        request from the data the estimator was fitted on.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            The training data.
        y : array-like of shape (n_samples,) or (n_samples, n_outputs)
            The training target.
        sample_weight : array-like of shape (n_samples,), default=None
            The fit's sample weights (frequency weights).
        cov_type : {"observed", "expected"}, default="observed"
            Observed (Hessian) or expected (Fisher) information.
        level : float, default=0.95
            Level of the confidence intervals in the table.

        Returns
        -------
        summary : LikelihoodSummary
            A list of them, one per output, for ``MultiOutputNLL``.

        Examples
        --------
        >>> from sklearn.datasets import load_breast_cancer
        >>> from sklik import BernoulliNLLClassifier
        >>> X, y = load_breast_cancer(return_X_y=True, as_frame=True)
        >>> X = X[["mean radius", "mean texture"]]
        >>> s = BernoulliNLLClassifier().fit(X, y).summary(X, y)
        >>> print(s)
                                       BernoulliNLLClassifier results
        ================================================================================
        Estimator:      BernoulliNLLClassifier  No. observations:                    569
        Family:                      bernoulli  Parameters:                            3
        Link:                            logit  Df model:                              2
        Covariance:                   observed  Log-likelihood:                 -145.562
        Method:             maximum likelihood  LL-null:                         -375.72
        Intervals:                    95% Wald  LLR p-value:                  1.105e-100
                                                AIC:                             297.123
                                                BIC:                             310.155
        ================================================================================
                             coef    std err          z      P>|z|     [0.025     0.975]
        --------------------------------------------------------------------------------
        p:intercept       19.8494     1.7739    11.1894   4.59e-29    16.3725    23.3263
        p:mean radius     -1.0571     0.1015   -10.4168   2.08e-25    -1.2560    -0.8582
        p:mean texture    -0.2181     0.0371    -5.8852   3.98e-09    -0.2908    -0.1455
        ================================================================================
        >>> s.conf_int().shape
        (3, 2)
        """
        from sklik.inference import summary  # (it imports the estimators)

        return summary(self, X, y, sample_weight, cov_type=cov_type, level=level)
