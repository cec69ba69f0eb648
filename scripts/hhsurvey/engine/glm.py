"""Design-based regression: R ``svyglm(family=quasibinomial())`` and ``family=gaussian()``.

:meth:`hhsurvey.engine.design.SurveyDesign.logistic` calls :func:`logistic`, ``linear`` calls
:func:`linear`. The model matrix (:func:`_model_matrix`) takes a list of columns (treatment
dummies for text, categorical and boolean columns) or a patsy right-hand side; the logistic
coefficients solve the weighted score equations by Newton-Raphson (:func:`_fit_logistic`), the
linear ones are weighted least squares; their covariance is the linearised sandwich, the
covariance of the PSU totals of the score rows within strata
(:func:`hhsurvey.engine.taylor.cov_dense`, calibration and lonely-PSU rule included), and
``df`` is R's ``df.residual`` (the domain's design df + 1 - the number of coefficients), or
under Stata's convention (``domain_df="design"``) the design df, as Stata's ``e(df_r)``
(:func:`model_df`).
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence

import numpy as np
import pandas as pd

from hhsurvey.engine.distributions import t_sf
from hhsurvey.engine.domains import domain, domain_stats, numeric
from hhsurvey.engine.kernels import TaylorDesign, Where, check_binary, check_level, tcrit
from hhsurvey.engine.structure import factorize
from hhsurvey.engine.taylor import cov_dense

__all__ = ["complete_model_rows", "linear", "logistic", "model_df"]


def _prepare(d: TaylorDesign, y: str, X: str | Sequence[str], where: Where, binary: bool):
    """Model matrix, names, the domain of the fit, y and X with rows outside it set to 0."""
    Xm, names = _model_matrix(d.data, X)
    v = numeric(d, y)
    if binary:
        check_binary(v, y)
    dom = domain(d, None, where, [v, *Xm.T])
    st, _ = domain_stats(d, dom)
    if dom.active is None:
        return names, dom, st, v, Xm
    y0 = np.where(dom.active, v, 0.0)
    Xa = np.where(dom.active[:, None], Xm, 0.0)
    return names, dom, st, y0, Xa


def model_df(d: TaylorDesign, design_df: float, n_coefficients: int) -> float:
    """The df of a model's t tests and intervals: R's ``df.residual`` (the domain's design df
    + 1 - the number of coefficients) under ``domain_df="domain"``, Stata's ``e(df_r)`` (the
    design df of the estimation sample, PSUs - strata) under ``domain_df="design"``."""
    if d.domain_df == "design":
        return design_df
    return design_df + 1.0 - n_coefficients


def _coefficients(
    d: TaylorDesign,
    beta: np.ndarray,
    rows: np.ndarray,
    bread: np.ndarray | None,
    st,
    names: list[str],
    level: float,
) -> pd.DataFrame:
    """The tidy coefficient table, t on :func:`model_df`. The covariance is that of the totals of
    the influence rows ``rows`` (``bread`` None), or the sandwich ``bread V(rows) bread`` of
    the score rows ``rows``, whose influence rows ``rows @ bread`` are then never formed (an
    n x p by p x p product that OpenBLAS can take a second on)."""
    cov = cov_dense(d, rows, st.present[:, 0])
    if bread is not None:
        cov = bread @ cov @ bread
    se = np.sqrt(np.diag(cov))
    df = model_df(d, float(st.df[0]), len(beta))
    q = tcrit(level, df)
    with np.errstate(divide="ignore", invalid="ignore"):
        tval = beta / se
        pval = 2.0 * t_sf(np.abs(tval), df) if df > 0 else np.full_like(beta, np.nan)
    return pd.DataFrame(
        {
            "term": pd.Series(names, dtype=object),
            "estimate": beta,
            "se": se,
            "ci_low": beta - q * se,
            "ci_high": beta + q * se,
            "df": np.full(len(beta), df),
            "p_value": pval,
        }
    )


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
    ``df`` = domain degf + 1 - number of coefficients (R's ``df.residual``; Stata's design df
    under ``domain_df="design"``), used for t CIs and p-values. Rows with missing y or X are
    excluded as a domain.
    """
    check_level(level)
    names, dom, st, y0, Xa = _prepare(d, y, X, where, binary=True)
    beta, mu = _fit_logistic(Xa, y0, dom.we)
    info = Xa.T @ (Xa * (dom.we * mu * (1.0 - mu))[:, None])
    # influence rows formed as before the linear model came, so that results stay bitwise
    U = (Xa * (dom.we * (y0 - mu))[:, None]) @ np.linalg.inv(info)
    out = _coefficients(d, beta, U, None, st, names, level)
    pval = out.pop("p_value")
    return out.assign(
        odds_ratio=np.exp(beta),
        or_ci_low=np.exp(out["ci_low"]),
        or_ci_high=np.exp(out["ci_high"]),
        p_value=pval,
    )


def linear(
    d: TaylorDesign,
    y: str,
    X: str | Sequence[str],
    where: Where = None,
    level: float = 0.95,
) -> pd.DataFrame:
    """Design-based linear regression (R ``svyglm(family=gaussian())``).

    Weighted least squares; the covariance is the sandwich (X'WX)^-1 V(sum of scores)
    (X'WX)^-1 with score rows w x (y - x'b), their PSU totals' covariance within strata, as
    R's ``vcov(svyglm(...))``. ``df``: :func:`model_df`.
    """
    check_level(level)
    names, dom, st, y0, Xa = _prepare(d, y, X, where, binary=False)
    w = dom.we
    xtwx = Xa.T @ (Xa * w[:, None])
    if np.linalg.matrix_rank(xtwx) < Xa.shape[1]:
        raise ValueError("linear: design matrix is rank deficient in the estimation domain")
    beta = np.linalg.solve(xtwx, Xa.T @ (w * y0))
    scores = Xa * (w * (y0 - Xa @ beta))[:, None]
    return _coefficients(d, beta, scores, np.linalg.inv(xtwx), st, names, level)


def complete_model_rows(data: pd.DataFrame, y: str, X: str | Sequence[str]) -> np.ndarray | None:
    """Rows with a value of ``y`` and of every model-matrix column (None when all have)."""
    if y not in data.columns:
        return None
    Xm, _ = _model_matrix(data, X)
    keep = data[y].notna().to_numpy() & ~np.isnan(Xm).any(axis=1)
    return None if keep.all() else keep


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
        # rows with a missing value (numeric or categorical) become NaN rows of the matrix,
        # which the domain of the fit excludes
        dm = patsy.dmatrix(
            rhs,
            data.reset_index(drop=True),
            NA_action=patsy.NAAction(on_NA="drop", NA_types=["None", "NaN"]),
            return_type="dataframe",
        ).reindex(range(len(data)))
        names = ["(Intercept)" if c == "Intercept" else c for c in dm.columns]
        return dm.to_numpy(dtype=np.float64), names
    cols = [X] if isinstance(X, str) else list(X)
    mats, names = [np.ones(len(data))], ["(Intercept)"]
    for c in cols:
        if c not in data.columns:
            raise ValueError(f"covariate column {c!r} not in data")
        s = data[c]
        if pd.api.types.is_numeric_dtype(s.dtype) and not pd.api.types.is_bool_dtype(s.dtype):
            mats.append(s.to_numpy(dtype=np.float64, na_value=np.nan))
            names.append(c)
            continue
        codes, levels = factorize(s)
        if len(levels) < 2:
            raise ValueError(f"covariate {c!r} has fewer than 2 levels")
        for j in range(1, len(levels)):
            mats.append(np.where(codes < 0, np.nan, (codes == j).astype(np.float64)))
        names.extend(f"{c}[T.{lv}]" for lv in levels[1:])
    out = np.empty((len(data), len(mats)))  # filled column by column: no n x p concatenation
    for j, col in enumerate(mats):
        out[:, j] = col
    return out, names
