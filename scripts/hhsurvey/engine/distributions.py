"""Quantiles and tail probabilities of the t, normal, beta, F and chi-square distributions,
from ``scipy.special`` (the functions ``scipy.stats`` itself calls for these).

Importing ``scipy.stats`` costs about 0.5 s in every job that estimates anything; these few
functions are all the library needs. Each returns exactly what ``scipy.stats`` returns
(checked bit for bit in ``tests/unit/engine/test_distributions.py``), boundaries included.
"""

from __future__ import annotations

import numpy as np
from scipy import special

__all__ = ["beta_ppf", "chi2_sf", "f_sf", "norm_ppf", "norm_sf", "t_ppf", "t_sf"]


def t_ppf(q, df):
    """``scipy.stats.t.ppf(q, df)``: -inf at q = 0, inf at q = 1."""
    q = np.asarray(q, dtype="float64")
    out = special.stdtrit(df, q)
    return np.where(q == 0, -np.inf, out)[()]


def t_sf(x, df):
    """``scipy.stats.t.sf(x, df)``."""
    return special.stdtr(df, -np.asarray(x, dtype="float64"))


def norm_ppf(q):
    """``scipy.stats.norm.ppf(q)``."""
    return special.ndtri(q)


def norm_sf(x):
    """``scipy.stats.norm.sf(x)``."""
    return special.ndtr(-np.asarray(x, dtype="float64"))


def beta_ppf(q, a, b):
    """``scipy.stats.beta.ppf(q, a, b)``."""
    return special.betaincinv(a, b, q)


def f_sf(x, dfn, dfd):
    """``scipy.stats.f.sf(x, dfn, dfd)``."""
    return special.fdtrc(dfn, dfd, x)


def chi2_sf(x, df):
    """``scipy.stats.chi2.sf(x, df)``."""
    return special.chdtrc(df, x)
