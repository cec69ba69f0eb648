"""Means, totals, proportions and ratios by Taylor linearisation, and their variance.

The Taylor estimators of :class:`hhsurvey.engine.design.SurveyDesign` (``mean``, ``proportion``,
``total``, ``ratio``, ``estimate``) are the functions of this module; the design method passes
itself as the first argument ``d``. Each builds the call's domain
(:mod:`hhsurvey.engine.domains`), the domain totals and the linearised score, and the variance
of its PSU totals within strata, with the lonely-PSU rule
(:func:`hhsurvey.engine.structure.check_lonely`) and, for a calibrated design, the calibration
residuals (:mod:`hhsurvey.engine.calibrate`):

* the fast path (clustered, not calibrated) takes PSU-by-domain totals of the weighted values
  in one pass for all levels of ``by``;
* the general path (element sampling, calibration) forms the row score and its PSU totals
  (:func:`_var_rows`);
* :func:`mean_core` (the domain mean and its variance) serves the Woodruff intervals of
  :mod:`hhsurvey.engine.quantile`; :func:`cov_dense` (covariance of dense scores) the
  regressions of :mod:`hhsurvey.engine.glm`.

``deff`` is R's ``deff=TRUE``: the variance over that of simple random sampling without
replacement of the same size.
"""

from __future__ import annotations

from typing import Literal

import numpy as np
import pandas as pd

from hhsurvey.engine.calibrate import cal_steps, corrections, residualise
from hhsurvey.engine.domains import domain, domain_stats, domain_sum, fast_path, numeric
from hhsurvey.engine.kernels import (
    By,
    Domain,
    DomainStats,
    TaylorDesign,
    Where,
    bin_sum,
    check_binary,
    check_level,
    group_sum,
    logit_ci,
    psu_domain_totals,
    tcrit,
)
from hhsurvey.engine.results import Estimate, empty_by, tidy
from hhsurvey.engine.structure import check_lonely

__all__ = [
    "cov_dense",
    "estimate",
    "mean",
    "mean_core",
    "proportion",
    "proportion_values",
    "ratio",
    "total",
    "total_values",
]


def _safe_div(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """a / b with NaN (no warning) where b is 0 or NaN."""
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(b != 0, np.asarray(a, dtype=np.float64) / b, np.nan)


# ----------------------------------------------------------------------------- estimators
def mean(
    d: TaylorDesign, y: str, by: By = None, where: Where = None, level: float = 0.95
) -> pd.DataFrame:
    """Weighted mean of ``y`` (R ``svymean``), by domain."""
    check_level(level)
    v = numeric(d, y)
    dom = domain(d, by, where, [v])
    if dom.k == 0:
        return empty_by(dom.labels)
    st, key = domain_stats(d, dom)
    est, var, yy = mean_core(d, dom, st, key, v, want_sq=True)
    se = np.sqrt(var)
    q = tcrit(level, st.df)
    deff = _safe_div(var, _vsrs_mean(st, yy, est))
    return tidy(dom.labels, est, se, est - q * se, est + q * se, st.df, deff, st.n, st.nw)


def proportion(
    d: TaylorDesign, y: str, by: By = None, where: Where = None, level: float = 0.95
) -> pd.DataFrame:
    """Proportion of a 0/1 (or boolean) variable with the logit CI of ``svyciprop``."""
    v = numeric(d, y)
    check_binary(v, y)
    return proportion_values(d, v, by, where, level)


def proportion_values(
    d: TaylorDesign, v: np.ndarray, by: By = None, where: Where = None, level: float = 0.95
) -> pd.DataFrame:
    """:func:`proportion` of the 0/1 values ``v`` (NaN = missing), one per row of the data."""
    check_level(level)
    dom = domain(d, by, where, [v])
    if dom.k == 0:
        return empty_by(dom.labels)
    st, key = domain_stats(d, dom)
    est, var, yy = mean_core(d, dom, st, key, v, want_sq=True)
    se = np.sqrt(var)
    lo, hi = logit_ci(est, se, st.df, level)
    deff = _safe_div(var, _vsrs_mean(st, yy, est))
    return tidy(dom.labels, est, se, lo, hi, st.df, deff, st.n, st.nw)


def total(
    d: TaylorDesign, y: str, by: By = None, where: Where = None, level: float = 0.95
) -> pd.DataFrame:
    """Weighted total of ``y`` (R ``svytotal``), by domain."""
    return total_values(d, numeric(d, y), by, where, level)


def total_values(
    d: TaylorDesign, v: np.ndarray, by: By = None, where: Where = None, level: float = 0.95
) -> pd.DataFrame:
    """:func:`total` of the values ``v`` (NaN = missing), one per row of the data."""
    check_level(level)
    dom = domain(d, by, where, [v])
    if dom.k == 0:
        return empty_by(dom.labels)
    st, key = domain_stats(d, dom)
    y0 = v if dom.active is None else np.where(dom.active, v, 0.0)
    wy = dom.we * y0
    if fast_path(d):
        Ty = psu_domain_totals(d._s, dom.codes, dom.k, wy, key)
        est = Ty.sum(axis=0)
        var = _var_psu_totals(d, Ty, st.present)
    else:
        est = domain_sum(dom, wy)
        var = _var_rows(d, [wy], [np.ones(dom.k)], dom, st)
    yy = domain_sum(dom, wy * y0)
    mean = est / st.nw
    vsrs = _vsrs_mean(st, yy, mean) * st.nw**2
    se = np.sqrt(var)
    q = tcrit(level, st.df)
    return tidy(
        dom.labels,
        est,
        se,
        est - q * se,
        est + q * se,
        st.df,
        _safe_div(var, vsrs),
        st.n,
        st.nw,
    )


def ratio(
    d: TaylorDesign,
    numerator: str,
    denominator: str,
    by: By = None,
    where: Where = None,
    level: float = 0.95,
) -> pd.DataFrame:
    """Ratio of totals ``sum(w y) / sum(w x)`` (R ``svyratio``), by domain."""
    check_level(level)
    vy, vx = numeric(d, numerator), numeric(d, denominator)
    dom = domain(d, by, where, [vy, vx])
    if dom.k == 0:
        return empty_by(dom.labels)
    st, key = domain_stats(d, dom)
    if dom.active is not None:
        vy, vx = np.where(dom.active, vy, 0.0), np.where(dom.active, vx, 0.0)
    wy, wx = dom.we * vy, dom.we * vx
    if fast_path(d):
        Ty = psu_domain_totals(d._s, dom.codes, dom.k, wy, key)
        Tx = psu_domain_totals(d._s, dom.codes, dom.k, wx, key)
        Y, X = Ty.sum(axis=0), Tx.sum(axis=0)
        with np.errstate(divide="ignore", invalid="ignore"):
            r = Y / X
            var = _var_psu_totals(d, (Ty - r * Tx) / X, st.present)
    else:
        Y, X = domain_sum(dom, wy), domain_sum(dom, wx)
        with np.errstate(divide="ignore", invalid="ignore"):
            r = Y / X
        var = _var_rows(d, [wy, wx], [1.0 / X, -r / X], dom, st)
    # deff: svytotal(r_i, deff=TRUE) of the linearised variable r_i = (y - R x) / X
    syy = domain_sum(dom, wy * vy)
    ssq = syy - 2 * r * domain_sum(dom, wy * vx) + r**2 * domain_sum(dom, wx * vx)
    if np.any(ssq < 1e-9 * np.abs(syy)):
        resid = vy - r[dom.codes] * vx if dom.codes is not None else vy - r[0] * vx
        ssq = domain_sum(dom, dom.we * resid * resid)
    with np.errstate(divide="ignore", invalid="ignore"):
        s2 = ssq / st.nw * st.n / (st.n - 1) / X**2
        vsrs = s2 * st.nw**2 * (st.nw - st.n) / (st.nw * st.n)
    se = np.sqrt(var)
    q = tcrit(level, st.df)
    return tidy(dom.labels, r, se, r - q * se, r + q * se, st.df, _safe_div(var, vsrs), st.n, st.nw)


_ESTIMATORS = {"mean": mean, "proportion": proportion, "total": total}


def estimate(
    d: TaylorDesign,
    kind: Literal["mean", "proportion", "total", "ratio"],
    y: str,
    denominator: str | None = None,
    by: By = None,
    where: Where = None,
    level: float = 0.95,
) -> Estimate:
    """A Taylor estimate as a results object: the tidy table plus influence values.

    ``kind`` names the estimator (``"ratio"`` needs ``denominator``); ``by``, ``where``
    and ``level`` are those of the estimator, whose table :attr:`Estimate.table` is
    (the same rows and columns). :attr:`Estimate.influence` holds, for every row of the
    data, its linearisation value for each domain row of the table, so that
    :meth:`Estimate.vcov` gives the covariance matrix of the estimates and
    :meth:`Estimate.contrast` any linear combination with its SE and t interval;
    :func:`hhsurvey.engine.results.stack` joins estimates (of one design, or of several rounds)
    into one.
    """
    if kind == "ratio":
        if denominator is None:
            raise ValueError("estimate('ratio', ...) needs a denominator column")
        table = ratio(d, y, denominator, by=by, where=where, level=level)
        vx = numeric(d, denominator)
        values = [numeric(d, y), vx]
    elif kind in ("mean", "proportion", "total"):
        if denominator is not None:
            raise ValueError(f"estimate({kind!r}, ...) takes no denominator")
        table = _ESTIMATORS[kind](d, y, by=by, where=where, level=level)
        vx = None
        values = [numeric(d, y)]
    else:
        raise ValueError(f"kind must be 'mean', 'proportion', 'total' or 'ratio', got {kind!r}")
    dom = domain(d, by, where, values)
    U, member = _influence(d, kind, values[0], vx, dom)
    return Estimate(d, table, U, member, level)


def _influence(
    d: TaylorDesign, kind: str, v: np.ndarray, vx: np.ndarray | None, dom: Domain
) -> tuple[np.ndarray, np.ndarray]:
    """(n, k) influence values of a linear estimator per domain, and (n, k) membership.

    mean, proportion: w (y - mean_d) / N_d; total: w y; ratio: w (y - r_d x) / X_d, in the
    column of the row's domain (zero outside the domain and for missing values), then the
    calibration residualisation when the design is calibrated. These are the scores whose
    PSU totals give every variance of the engine.
    """
    s, k = d._s, dom.k
    if k == 0:
        return np.zeros((s.n, 0)), np.zeros((s.n, 0), dtype=bool)
    act = np.ones(s.n, dtype=bool) if dom.active is None else dom.active
    codes = np.zeros(s.n, dtype=np.int64) if dom.codes is None else dom.codes
    y0 = np.where(act, v, 0.0)
    wy = dom.we * y0
    with np.errstate(divide="ignore", invalid="ignore"):
        if kind == "total":
            z = wy
        elif kind == "ratio":
            x0 = np.where(act, vx, 0.0)
            Y, X = domain_sum(dom, wy), domain_sum(dom, dom.we * x0)
            r = Y / X
            z = dom.we * (y0 - r[codes] * x0) / X[codes]
        else:
            N = domain_sum(dom, dom.we)
            m = domain_sum(dom, wy) / N
            z = dom.we * (y0 - m[codes]) / N[codes]
    z = np.nan_to_num(z, nan=0.0, posinf=0.0, neginf=0.0)
    U = np.zeros((s.n, k))
    U[np.arange(s.n), codes] = z
    if d._cal:
        U = residualise(d._cal, U)
    member = np.zeros((s.n, k), dtype=bool)
    inside = act & (s.w > 0)
    member[np.flatnonzero(inside), codes[inside]] = True
    return U, member


# ----------------------------------------------------------------------------- means
def mean_core(
    d: TaylorDesign,
    dom: Domain,
    st: DomainStats,
    key: np.ndarray | None,
    v: np.ndarray,
    want_sq: bool = False,
) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
    """Domain means, their variances and (optionally) sum of w y^2 per domain."""
    y0 = v if dom.active is None else np.where(dom.active, v, 0.0)
    wy = dom.we * y0
    N = st.nw
    if fast_path(d):
        Ty = psu_domain_totals(d._s, dom.codes, dom.k, wy, key)
        with np.errstate(divide="ignore", invalid="ignore"):
            est = Ty.sum(axis=0) / N
            var = _var_psu_totals(d, (Ty - est * st.Tw) / N, st.present)
    else:
        with np.errstate(divide="ignore", invalid="ignore"):
            est = domain_sum(dom, wy) / N
            var = _var_rows(d, [wy, dom.we], [1.0 / N, -est / N], dom, st)
    yy = None
    if want_sq:
        if dom.codes is None:
            yy = np.array([np.dot(wy, y0)])
        else:
            yy = bin_sum(dom.codes, wy * y0, dom.k)
        # guard against cancellation in sum(w y^2)/N - mean^2
        with np.errstate(divide="ignore", invalid="ignore"):
            s2 = yy / N - est**2
            cancel = np.any((s2 < 1e-9 * np.abs(yy / N)) & (N > 0))
        if cancel:
            c = y0 - (est[dom.codes] if dom.codes is not None else est[0])
            with np.errstate(invalid="ignore"):
                yy = domain_sum(dom, dom.we * c * c) + N * est**2
    return est, var, yy


def _vsrs_mean(st: DomainStats, yy: np.ndarray, est: np.ndarray) -> np.ndarray:
    """SRSWOR variance of a mean of the same size (R ``deff=TRUE`` reference)."""
    N, n = st.nw, st.n.astype(np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        s2 = (yy / N - est**2) * n / (n - 1)
        out = s2 * (N - n) / (N * n)
    return np.where(N < n, np.nan, out)


# ----------------------------------------------------------------------------- variance
def _var_psu_totals(d: TaylorDesign, T: np.ndarray, present: np.ndarray) -> np.ndarray:
    """Variance per column of the (G, k) PSU totals of a linearised score."""
    s = d._s
    S1 = np.add.reduceat(T, s.stratum_starts, axis=0)
    mean = S1 / s.n_psu[:, None]
    dev = T - mean[s.psu_stratum]
    S2 = np.add.reduceat(dev * dev, s.stratum_starts, axis=0)
    return _combine(d, S1, S2, present)


def _combine(d: TaylorDesign, S1: np.ndarray, S2: np.ndarray, present: np.ndarray) -> np.ndarray:
    """Sum stratum contributions; apply the lonely-PSU rule to singleton strata."""
    s = d._s
    var = s.cfac @ S2
    if s.lonely.any():
        check_lonely(s, present, d.lonely_psu)
        if d.lonely_psu == "adjust":
            npsu = s.n_psu[:, None] * present
            with np.errstate(invalid="ignore", divide="ignore"):
                grand = S1.sum(axis=0) / npsu.sum(axis=0)
            lon = np.flatnonzero(s.lonely)
            dev = S1[lon] - grand
            contrib = (s.one_minus_f[lon, None] * dev * dev) * present[lon]
            var = var + contrib.sum(axis=0)
    return var


def _var_rows(
    d: TaylorDesign, parts: list[np.ndarray], coefs: list[np.ndarray], dom: Domain, st: DomainStats
) -> np.ndarray:
    """Variance of the row score z_i = sum_j coefs_j[d_i] parts_j[i] (general path)."""
    s = d._s
    if dom.codes is None:
        z = sum(np.asarray(c, dtype=np.float64)[0] * p for c, p in zip(coefs, parts, strict=True))
    else:
        z = sum(
            np.asarray(c, dtype=np.float64)[dom.codes] * p
            for c, p in zip(coefs, parts, strict=True)
        )
    z = np.nan_to_num(np.asarray(z, dtype=np.float64), nan=0.0, posinf=0.0, neginf=0.0)
    k = dom.k
    if d._cal:
        C = corrections(d._cal, z, dom.codes, k)
        steps = cal_steps(d._cal)
        if not s.element:
            key = s.psu if dom.codes is None else s.psu * k + dom.codes
            T = np.bincount(key, weights=z, minlength=s.G * k).reshape(s.G, k)
            for step, Cs in zip(steps, C, strict=True):
                E = np.bincount(
                    s.psu * step.P + step.cell, weights=step.psw, minlength=s.G * step.P
                )
                T = T + E.reshape(s.G, step.P) @ Cs
            var = _var_psu_totals(d, T, st.present)
        else:
            var = np.empty(k)
            chunk = max(1, 4_000_000 // max(s.n, 1))
            for a in range(0, k, chunk):
                b = min(k, a + chunk)
                X = np.zeros((s.n, b - a))
                if dom.codes is None:
                    X[:, 0] = z
                else:
                    inside = (dom.codes >= a) & (dom.codes < b)
                    X[np.flatnonzero(inside), dom.codes[inside] - a] = z[inside]
                for step, Cs in zip(steps, C, strict=True):
                    X += step.psw[:, None] * Cs[step.cell, a:b]
                var[a:b] = _var_psu_totals(d, X[s.elem_order], st.present[:, a:b])
    elif not s.element:
        key = s.psu if dom.codes is None else s.psu * k + dom.codes
        T = np.bincount(key, weights=z, minlength=s.G * k).reshape(s.G, k)
        var = _var_psu_totals(d, T, st.present)
    else:
        hk = s.stratum if dom.codes is None else s.stratum * k + dom.codes
        S1 = np.bincount(hk, weights=z, minlength=s.H * k).reshape(s.H, k)
        m = S1 / s.n_psu[:, None]
        cnt = np.bincount(hk, minlength=s.H * k).reshape(s.H, k)
        c = z - m.reshape(-1)[hk]
        S2 = np.bincount(hk, weights=c * c, minlength=s.H * k).reshape(s.H, k)
        S2 = S2 + (s.n_psu[:, None] - cnt) * m * m
        var = _combine(d, S1, S2, st.present)
    return np.where(st.nw > 0, var, np.nan)


def cov_dense(d: TaylorDesign, U: np.ndarray, present: np.ndarray) -> np.ndarray:
    """Covariance matrix of the totals of dense row scores U (n, p), e.g. GLM scores."""
    s = d._s
    p = U.shape[1]
    if d._cal:
        U = residualise(d._cal, U)
    if s.element:
        T = U[s.elem_order]
    else:
        T = np.stack([group_sum(s.psu, U[:, j], s.G, s.psu_starts) for j in range(p)], axis=1)
    S1 = np.add.reduceat(T, s.stratum_starts, axis=0)
    dev = T - (S1 / s.n_psu[:, None])[s.psu_stratum]
    cov = (dev * s.cfac[s.psu_stratum][:, None]).T @ dev
    check_lonely(s, present[:, None], d.lonely_psu)
    if d.lonely_psu == "adjust" and s.lonely.any():
        npsu = (s.n_psu * present).sum()
        grand = S1.sum(axis=0) / npsu
        for h in np.flatnonzero(s.lonely & present):
            dev_h = S1[h] - grand
            cov = cov + s.one_minus_f[h] * np.outer(dev_h, dev_h)
    return cov
