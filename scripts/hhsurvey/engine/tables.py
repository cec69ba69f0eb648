"""Categorical variables in one call, and two-way tables with the Rao-Scott tests.

:meth:`hhsurvey.engine.design.SurveyDesign.categorical` calls :func:`categorical`: the share
(or weighted count) of every level of a variable, by domain, one tidy row per domain and level,
as R's ``svymean(~factor(y), design)`` / ``svytotal(~factor(y), design)`` (with ``svyby`` for
domains). Each level is the proportion (total) of its 0/1 indicator, so the SEs, intervals, df
and deff are those of :func:`hhsurvey.engine.taylor.proportion_values` and
:func:`hhsurvey.engine.taylor.total_values`.

:meth:`~hhsurvey.engine.design.SurveyDesign.crosstab` calls :func:`crosstab`: the cell shares of
a two-way table (their covariance by linearisation) and the tests of independence of R's
``svychisq`` (Rao and Scott 1984): with p the cell shares, V their design covariance, D =
diag(p), C the interaction contrasts of the saturated model residualised on the main effects,

    Delta = (C' D^-1 C / N)^-1 (C' D^-1 V D^-1 C),

the Pearson statistic X^2 = N sum (p_ij - p_i. p_.j)^2 / (p_i. p_.j) on the table scaled to the
N rows, and

* ``"F"`` (second-order, R ``statistic="F"``): F = X^2 / tr(Delta) on d0 = tr(Delta)^2 /
  tr(Delta^2) and d0 x nu degrees of freedom, nu the design df of the table's domain;
* ``"Chisq"`` (first-order, R ``statistic="Chisq"``): X^2 / mean(diag Delta) against
  chi-square with (r - 1)(c - 1) df.

Levels are those present among the domain's rows with a positive weight, in sorted order.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from hhsurvey.engine.distributions import chi2_sf, f_sf
from hhsurvey.engine.domains import domain, domain_stats
from hhsurvey.engine.kernels import (
    By,
    TaylorDesign,
    Where,
    check_level,
    logit_ci,
    psu_covariance,
)
from hhsurvey.engine.results import empty_by, tidy
from hhsurvey.engine.structure import factorize
from hhsurvey.engine.taylor import cov_dense, proportion_values, total_values

__all__ = ["CrossTab", "categorical", "crosstab", "rao_scott"]

#: Columns of :attr:`CrossTab.tests`.
TEST_COLUMNS = ("test", "statistic", "ndf", "ddf", "p_value", "pearson")


def _levels(d: TaylorDesign, col: str) -> tuple[np.ndarray, pd.Index]:
    if col not in d.data.columns:
        raise ValueError(f"column {col!r} not in data")
    return factorize(d.data[col])


def categorical(
    d: TaylorDesign,
    y: str,
    by: By = None,
    where: Where = None,
    kind: str = "proportion",
    level: float = 0.95,
) -> pd.DataFrame:
    """Share (``kind="proportion"``) or weighted count (``"total"``) of every level of ``y``.

    One row per domain and level, domains in the order of ``by``'s levels and levels sorted
    (a categorical's own order): the ``by`` columns, ``y``, then the tidy columns.
    """
    check_level(level)
    if kind not in ("proportion", "total"):
        raise ValueError(f"kind must be 'proportion' or 'total', got {kind!r}")
    codes, levels = _levels(d, y)
    missing = codes < 0
    estimator = proportion_values if kind == "proportion" else total_values
    frames = []
    for j in range(len(levels)):
        v = (codes == j).astype(np.float64)
        v[missing] = np.nan
        frames.append(estimator(d, v, by, where, level))
    nby = 0 if by is None else (1 if isinstance(by, str) else len(list(by)))
    if not frames or len(frames[0]) == 0:
        out = empty_by(domain(d, by, where, []).labels)
        out.insert(nby, y, pd.Series(levels[:0]))
        return out
    k, L = len(frames[0]), len(frames)
    out = pd.concat(frames, ignore_index=True)
    out.insert(nby, y, levels.take(np.repeat(np.arange(L), k)))
    order = np.arange(L * k).reshape(L, k).T.reshape(-1)  # domain-major, then level
    return out.iloc[order].reset_index(drop=True)


@dataclass(frozen=True, eq=False)
class CrossTab:
    """A two-way table: the cells (:attr:`table`) and the Rao-Scott tests (:attr:`tests`).

    ``table``: one tidy row per cell (row level, column level, then the tidy columns): the
    cell's share of the domain, its SE and logit interval; ``n``/``n_weighted`` are the
    domain's. ``tests``: two rows, ``"F"`` (second-order Rao-Scott, R ``svychisq(statistic =
    "F")``: ``statistic`` F, ``ndf`` d0, ``ddf`` d0 x nu) and ``"Chisq"`` (first-order,
    ``statistic="Chisq"``: ``statistic`` X^2 / mean(diag Delta), ``ndf`` (r-1)(c-1), ``ddf``
    inf); ``pearson`` is the uncorrected X^2 (what R prints as ``X-squared``).
    ``delta``: the eigenvalues of the design-effect matrix Delta.
    """

    table: pd.DataFrame
    tests: pd.DataFrame
    delta: np.ndarray


def _present_codes(codes: np.ndarray, inside: np.ndarray, levels: pd.Index):
    """Codes renumbered over the levels present among the rows ``inside``."""
    present = np.bincount(codes[inside & (codes >= 0)], minlength=len(levels)) > 0
    remap = np.full(len(levels) + 1, -1, dtype=np.int64)
    remap[:-1][present] = np.arange(int(present.sum()))
    return remap[codes], levels[present]


def crosstab(
    d: TaylorDesign, row: str, col: str, where: Where = None, level: float = 0.95
) -> CrossTab:
    """Cell shares of ``row`` x ``col`` in the domain ``where`` and the Rao-Scott tests."""
    check_level(level)
    rc, rlev = _levels(d, row)
    cc, clev = _levels(d, col)
    rv = np.where(rc >= 0, rc, np.nan).astype(np.float64)
    cv = np.where(cc >= 0, cc, np.nan).astype(np.float64)
    dom = domain(d, None, where, [rv, cv])
    st, _ = domain_stats(d, dom)
    s = d._s
    act = np.ones(s.n, dtype=bool) if dom.active is None else dom.active
    inside = act & (s.w > 0)
    rc, rlev = _present_codes(rc, inside, rlev)
    cc, clev = _present_codes(cc, inside, clev)
    R, C = len(rlev), len(clev)
    if R < 2 or C < 2:
        raise ValueError(
            f"crosstab needs two levels or more in {row!r} and {col!r} within the domain "
            f"(found {R} and {C})"
        )
    K = R * C
    N = float(st.nw[0])
    cell = np.where(act, rc * C + cc, 0)
    we = dom.we
    p = np.bincount(cell, weights=we, minlength=K) / N
    V = _cell_covariance(d, cell, we, act, p, N, st.present[:, 0])
    se = np.sqrt(np.diag(V))
    df = np.full(K, st.df[0])
    lo, hi = logit_ci(p, se, df, level)
    n = float(st.n[0])
    with np.errstate(divide="ignore", invalid="ignore"):
        vsrs = p * (1 - p) * n / (n - 1) * (N - n) / (N * n)
        deff = np.where(vsrs > 0, np.diag(V) / vsrs, np.nan)
    labels = pd.DataFrame(
        {row: rlev.take(np.repeat(np.arange(R), C)), col: clev.take(np.tile(np.arange(C), R))}
    )
    table = tidy(labels, p, se, lo, hi, df, deff, np.full(K, st.n[0]), np.full(K, N))
    tests, delta = rao_scott(p.reshape(R, C), V, n, float(st.df[0]))
    return CrossTab(table, tests, delta)


def _cell_covariance(
    d: TaylorDesign,
    cell: np.ndarray,
    we: np.ndarray,
    act: np.ndarray,
    p: np.ndarray,
    N: float,
    present: np.ndarray,
) -> np.ndarray:
    """Covariance of the cell shares: influence w (1[cell] - p) / N of the domain's rows."""
    s, K = d._s, len(p)
    if d._cal:  # calibration residuals need the row scores
        rows = np.flatnonzero(act)
        U = np.zeros((s.n, K))
        U[rows, :] = -np.outer(we[rows], p) / N
        U[rows, cell[rows]] += we[rows] / N
        return cov_dense(d, U, present)
    Tc = np.bincount(s.psu * K + cell, weights=we, minlength=s.G * K).reshape(s.G, K)
    Tw = np.bincount(s.psu, weights=we, minlength=s.G)
    T = (Tc - np.outer(Tw, p)) / N
    return psu_covariance(s, T, np.repeat(present[:, None], K, axis=1), d.lonely_psu)


def rao_scott(P: np.ndarray, V: np.ndarray, N: float, nu: float) -> tuple[pd.DataFrame, np.ndarray]:
    """The Rao-Scott tests of an r x c table of shares ``P`` (row-major ``V``), as ``svychisq``.

    ``N``: the rows the table is scaled to (the Pearson statistic); ``nu``: the design df.
    Returns the tests table (:data:`TEST_COLUMNS`) and the eigenvalues of Delta.
    """
    R, C = P.shape
    p = P.reshape(-1)
    ri, ci = np.repeat(np.arange(R), C), np.tile(np.arange(C), R)
    X1 = np.column_stack(
        [np.ones(R * C)]
        + [(ri == i).astype(float) for i in range(1, R)]
        + [(ci == j).astype(float) for j in range(1, C)]
    )
    Xi = np.column_stack(
        [((ri == i) & (ci == j)).astype(float) for i in range(1, R) for j in range(1, C)]
    )
    Cm = Xi - X1 @ np.linalg.lstsq(X1, Xi, rcond=None)[0]
    inv_p = np.where(p > 0, 1.0 / np.where(p > 0, p, 1.0), 0.0)
    denom = (Cm * (inv_p / N)[:, None]).T @ Cm
    A = Cm * inv_p[:, None]
    delta_m = np.linalg.solve(denom, A.T @ V @ A)
    tr = float(np.trace(delta_m))
    d0 = tr**2 / float(np.trace(delta_m @ delta_m))
    E = np.outer(P.sum(axis=1), P.sum(axis=0))
    with np.errstate(divide="ignore", invalid="ignore"):
        x2 = float(N * np.sum((P - E) ** 2 / E))
    dof = (R - 1) * (C - 1)
    f = x2 / tr
    chisq = x2 / (tr / dof)
    tests = pd.DataFrame(
        {
            "test": pd.Series(["F", "Chisq"], dtype=object),
            "statistic": [f, chisq],
            "ndf": [d0, float(dof)],
            "ddf": [d0 * nu, np.inf],
            "p_value": [
                float(f_sf(f, d0, d0 * nu)) if nu > 0 else np.nan,
                float(chi2_sf(chisq, dof)),
            ],
            "pearson": [x2, x2],
        }
    )
    return tests, np.sort(np.linalg.eigvals(delta_m).real)[::-1]
