"""Design-based logistic regression: R ``svyglm(family=quasibinomial())``.

:meth:`hhsurvey.engine.design.SurveyDesign.logistic` calls :func:`logistic`. The model matrix
(:func:`_model_matrix`) takes a list of columns (treatment dummies for text, categorical and
boolean columns) or a patsy right-hand side; the coefficients solve the weighted score
equations by Newton-Raphson (:func:`_fit_logistic`); their covariance is the linearised
sandwich, the covariance of the PSU totals of the score rows within strata
(:func:`hhsurvey.engine.taylor.cov_dense`, calibration and lonely-PSU rule included).
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence

import numpy as np
import pandas as pd
from scipy import stats

from hhsurvey.engine.domains import domain, domain_stats, numeric
from hhsurvey.engine.kernels import TaylorDesign, Where, check_binary, check_level, tcrit
from hhsurvey.engine.structure import factorize
from hhsurvey.engine.taylor import cov_dense

__all__ = ["logistic"]


def logistic(
    d: TaylorDesign,
    y: str,
    X: str | Sequence[str],
    where: Where = None,
    level: float = 0.95,
) -> pd.DataFrame:
    """Design-based logistic regression (R ``svyglm(family=quasibinomial())``).

    ``X`` is a list of columns (numeric as is; text, categorical or boolean columns get
    treatment dummies against their first sorted level, named ``col[T.level]``) or a
    patsy formula right-hand side such as ``"C(race) + age"``. Coefficients solve the
    weighted score equations; SEs are the linearised sandwich with strata and PSUs;
    ``df`` = domain degf + 1 - number of coefficients (R's ``df.residual``), used for t
    CIs and p-values. Rows with missing y or X are excluded as a domain.
    """
    check_level(level)
    Xm, names = _model_matrix(d.data, X)
    v = numeric(d, y)
    check_binary(v, y)
    dom = domain(d, None, where, [v, *Xm.T])
    st, _ = domain_stats(d, dom)
    act = np.ones(d._s.n, dtype=bool) if dom.active is None else dom.active
    y0 = np.where(act, v, 0.0)
    Xa = np.where(act[:, None], Xm, 0.0)
    beta, mu = _fit_logistic(Xa, y0, dom.we)
    info = Xa.T @ (Xa * (dom.we * mu * (1.0 - mu))[:, None])
    U = (Xa * (dom.we * (y0 - mu))[:, None]) @ np.linalg.inv(info)
    cov = cov_dense(d, U, st.present[:, 0])
    se = np.sqrt(np.diag(cov))
    df = float(st.df[0]) + 1.0 - len(beta)
    q = tcrit(level, df)
    lo, hi = beta - q * se, beta + q * se
    with np.errstate(divide="ignore", invalid="ignore"):
        tval = beta / se
        pval = 2.0 * stats.t.sf(np.abs(tval), df) if df > 0 else np.full_like(beta, np.nan)
    return pd.DataFrame(
        {
            "term": pd.Series(names, dtype=object),
            "estimate": beta,
            "se": se,
            "ci_low": lo,
            "ci_high": hi,
            "df": np.full(len(beta), df),
            "odds_ratio": np.exp(beta),
            "or_ci_low": np.exp(lo),
            "or_ci_high": np.exp(hi),
            "p_value": pval,
        }
    )


def _fit_logistic(
    X: np.ndarray, y: np.ndarray, w: np.ndarray, max_iter: int = 100
) -> tuple[np.ndarray, np.ndarray]:
    """Weighted logistic MLE by Newton-Raphson (weights normalised to mean 1, as svyglm)."""
    pos = w > 0
    wn = w / w[pos].mean()
    beta = np.zeros(X.shape[1])
    for _ in range(max_iter):
        mu = 1.0 / (1.0 + np.exp(-(X @ beta)))
        info = X.T @ (X * (wn * mu * (1.0 - mu))[:, None])
        grad = X.T @ (wn * (y - mu))
        if np.linalg.matrix_rank(info) < X.shape[1]:
            raise ValueError("logistic: design matrix is rank deficient in the estimation domain")
        step = np.linalg.solve(info, grad)
        beta = beta + step
        if np.max(np.abs(step)) <= 1e-12 * (1.0 + np.max(np.abs(beta))):
            break
    else:  # stacklevel: the caller of SurveyDesign.logistic
        warnings.warn(
            "logistic: Newton-Raphson did not converge (separation?)", RuntimeWarning, stacklevel=4
        )
    mu = 1.0 / (1.0 + np.exp(-(X @ beta)))
    return beta, mu


def _model_matrix(data: pd.DataFrame, X: str | Sequence[str]) -> tuple[np.ndarray, list[str]]:
    """Design matrix with intercept: columns list (dummies for categorical) or patsy RHS."""
    if isinstance(X, str) and X not in data.columns:
        import patsy

        rhs = X.split("~", 1)[-1]
        dm = patsy.dmatrix(
            rhs, data, NA_action=patsy.NAAction(NA_types=[]), return_type="dataframe"
        )
        names = ["(Intercept)" if c == "Intercept" else c for c in dm.columns]
        return dm.to_numpy(dtype=np.float64), names
    cols = [X] if isinstance(X, str) else list(X)
    mats, names = [np.ones((len(data), 1))], ["(Intercept)"]
    for c in cols:
        if c not in data.columns:
            raise ValueError(f"covariate column {c!r} not in data")
        s = data[c]
        if pd.api.types.is_numeric_dtype(s.dtype) and not pd.api.types.is_bool_dtype(s.dtype):
            mats.append(s.to_numpy(dtype=np.float64, na_value=np.nan)[:, None])
            names.append(c)
            continue
        codes, levels = factorize(s)
        if len(levels) < 2:
            raise ValueError(f"covariate {c!r} has fewer than 2 levels")
        D = np.zeros((len(data), len(levels) - 1))
        for j in range(1, len(levels)):
            D[:, j - 1] = codes == j
        D[codes < 0] = np.nan
        mats.append(D)
        names.extend(f"{c}[T.{lv}]" for lv in levels[1:])
    return np.hstack(mats), names
