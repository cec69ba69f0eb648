"""Quantiles of a survey design: R 4.1 ``svyquantile`` (``qrule="math"``, Woodruff interval).

:meth:`hhsurvey.engine.design.SurveyDesign.quantile` calls :func:`quantile`. The estimate is
:func:`qrule_math` on the domain's values sorted with their cumulative weights
(:func:`cumulative_weights`, in extended precision as R); the Woodruff interval maps the
interval of the domain proportion below the estimate back through the weighted quantile
function. :func:`quantile_frames` does it for every domain and probability, given the SE of
that proportion: by linearisation here (:func:`hhsurvey.engine.taylor.mean_core`), from the
replicates in :mod:`hhsurvey.engine.replicates`.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from functools import partial

import numpy as np
import pandas as pd

from hhsurvey.engine.domains import domain, domain_stats, fast_path, numeric, psu_key
from hhsurvey.engine.kernels import (
    By,
    Domain,
    DomainStats,
    TaylorDesign,
    Where,
    check_level,
    quantile_probs,
    tcrit,
)
from hhsurvey.engine.results import empty_by, tidy
from hhsurvey.engine.structure import Structure
from hhsurvey.engine.taylor import mean_core

__all__ = ["cumulative_weights", "qrule_math", "quantile", "quantile_frames"]


def cumulative_weights(w_sorted: np.ndarray) -> np.ndarray:
    """Running sums accumulated in extended precision, as R's ``cumsum`` (LDOUBLE)."""
    return np.cumsum(w_sorted, dtype=np.longdouble).astype(np.float64)


def qrule_math(
    x_sorted: np.ndarray, w_sorted: np.ndarray, p: float, cumw: np.ndarray | None = None
) -> float:
    """R survey 4.1 ``qrule_math`` on data already sorted by x (positive weights only).

    The last x whose cumulative weight is <= p * total, or the next x unless the cumulative
    share equals p exactly. Sums are accumulated like R's (extended precision) so that
    exact ties (equal weights, p * n integer) resolve as in R.
    """
    n = len(x_sorted)
    if n == 0 or not np.isfinite(p):
        return math.nan
    if cumw is None:
        cumw = cumulative_weights(w_sorted)
    total = float(cumw[-1])
    below = np.flatnonzero(cumw <= p * total)
    pos = int(below[-1]) if len(below) else 0  # R's last(): 1 (first element) when none
    nxt = pos if pos == n - 1 else pos + 1
    wlow = p - cumw[pos] / total
    return float(x_sorted[pos] if wlow == 0 else x_sorted[nxt])


def quantile(
    d: TaylorDesign,
    y: str,
    q: float | Sequence[float],
    by: By = None,
    where: Where = None,
    level: float = 0.95,
) -> pd.DataFrame:
    """Quantile(s) of ``y`` (R 4.1 ``svyquantile``: qrule="math", Woodruff CI).

    The interval maps the Wald interval of the domain proportion below the estimate
    back through the weighted quantile function; ``se`` is its width over 2 t (as R).
    ``deff`` is NaN. A sequence of ``q`` adds a leading column ``p``.
    """
    check_level(level)
    v = numeric(d, y)
    dom = domain(d, by, where, [v])
    if dom.k == 0:
        return empty_by(dom.labels, q)
    st, _ = domain_stats(d, dom)
    return quantile_frames(d._s, v, q, dom, st, level, partial(_woodruff_mean, d))


def _woodruff_mean(
    d: TaylorDesign, dom: Domain, st: DomainStats, u: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Domain mean of the indicator and its SE (Taylor)."""
    key = psu_key(d._s, dom) if dom.codes is not None and fast_path(d) else None
    est, var, _ = mean_core(d, dom, st, key, u)
    return est, np.sqrt(var)


def quantile_frames(
    s: Structure,
    v: np.ndarray,
    q: float | Sequence[float],
    dom: Domain,
    st: DomainStats,
    level: float,
    prop_se: Callable[[Domain, DomainStats, np.ndarray], tuple[np.ndarray, np.ndarray]],
) -> pd.DataFrame:
    """Quantiles and Woodruff CIs for every domain (shared with replicate designs).

    ``prop_se(dom, st, u)``: the domain proportion of the 0/1 values ``u`` (below the
    estimate) and its SE, by linearisation or from replicates.
    """
    qs = quantile_probs(q)
    act = s.w > 0 if dom.active is None else dom.active & (s.w > 0)
    rows = np.flatnonzero(act)
    codes = np.zeros(s.n, dtype=np.int64) if dom.codes is None else dom.codes
    order = rows[np.lexsort((v[rows], codes[rows]))]
    xs, ws, ds = v[order], s.w[order], codes[order]
    bounds = np.searchsorted(ds, np.arange(dom.k + 1))
    slices = [
        (xs[a:b], ws[a:b], cumulative_weights(ws[a:b]))
        for a, b in zip(bounds[:-1], bounds[1:], strict=True)
    ]
    tq = tcrit(level, st.df)
    frames = []
    for p in qs:
        qhat = np.array([qrule_math(x, w, p, c) for x, w, c in slices])
        thr = qhat[codes] if dom.codes is not None else np.full(s.n, qhat[0])
        with np.errstate(invalid="ignore"):
            u = (v <= thr).astype(np.float64)
        phat, pse = prop_se(dom, st, u)
        plo, phi = phat - tq * pse, phat + tq * pse
        lo = np.array(
            [
                math.nan if not (a >= 0) else qrule_math(x, w, a, c)
                for (x, w, c), a in zip(slices, plo, strict=True)
            ]
        )
        hi = np.array(
            [
                math.nan if not (b <= 1) else qrule_math(x, w, b, c)
                for (x, w, c), b in zip(slices, phi, strict=True)
            ]
        )
        se = (hi - lo) / (2.0 * tq)
        out = tidy(dom.labels, qhat, se, lo, hi, st.df, np.full(dom.k, np.nan), st.n, st.nw)
        if not np.isscalar(q) and np.ndim(q) > 0:
            out.insert(0, "p", p)
        frames.append(out)
    return pd.concat(frames, ignore_index=True) if len(frames) > 1 else frames[0]
