"""Shared kernels of the estimation engine: sums, covariance within strata, inference.

The Taylor estimators (:mod:`hhsurvey.engine.taylor` and the modules beside it), the results
objects (:mod:`hhsurvey.engine.results`) and the replicate designs
(:mod:`hhsurvey.engine.replicates`) all import from here, never from each other's private names.
The module holds:

* the zero-weighting of one estimator call (:class:`Domain`, :class:`DomainStats`; built by
  :mod:`hhsurvey.engine.domains`) and what the engine's functions read of a design
  (:class:`TaylorDesign`);
* PSU-by-domain totals (:func:`psu_domain_totals`, :func:`bin_sum`, :func:`group_sum`);
* the with-replacement covariance of PSU totals within strata with the lonely-PSU rules
  (:func:`psu_covariance`);
* inference: t quantiles on the design df (:func:`tcrit`), the logit interval of proportions
  (:func:`logit_ci`), t tests (:func:`t_test`), checks of arguments (:func:`check_level`,
  :func:`check_binary`, :func:`quantile_probs`);
* the design df of a domain (:func:`domain_df`): PSUs with a positive-weight domain row minus
  their strata, R's ``degf(subset(design, domain))``; of the whole design (:func:`design_df`),
  and of a domain under the design's convention (:func:`member_df`).

The design arrays (:class:`hhsurvey.engine.structure.Structure`) are built in
:mod:`hhsurvey.engine.structure`, the tidy tables in :mod:`hhsurvey.engine.results`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

import numpy as np
import pandas as pd
from scipy import sparse

from hhsurvey.engine.distributions import norm_ppf, norm_sf, t_ppf, t_sf
from hhsurvey.engine.structure import Structure, check_lonely

__all__ = [
    "By",
    "Where",
    "Domain",
    "DomainStats",
    "TaylorDesign",
    "bin_sum",
    "check_binary",
    "check_level",
    "design_df",
    "domain_df",
    "group_sum",
    "member_df",
    "logit_ci",
    "psu_covariance",
    "psu_domain_totals",
    "quantile_probs",
    "t_test",
    "tcrit",
]

By = str | Sequence[str] | None
Where = str | np.ndarray | pd.Series | None


# ----------------------------------------------------------------------------- call state
@dataclass(frozen=True, eq=False)
class Domain:
    """Zero-weighting for one estimator call: active rows, domain codes, weights."""

    k: int
    codes: np.ndarray | None  # (n,) domain code, None when k == 1
    labels: pd.DataFrame | None
    active: np.ndarray | None  # (n,) bool, None = every row
    we: np.ndarray  # (n,) w * active
    cache_key: tuple | None  # key for cached domain statistics (None: not cacheable)
    level_counts: np.ndarray | None = None  # (k,) non-missing rows per by level, if counted


@dataclass(frozen=True, eq=False)
class DomainStats:
    """Per-domain counts, weight totals, df, and stratum presence (for lonely PSUs)."""

    Tw: np.ndarray | None  # (G, k) PSU weight totals (cluster designs)
    n: np.ndarray  # (k,) positive-weight rows
    nw: np.ndarray  # (k,) weight totals
    df: np.ndarray  # (k,) PSUs - strata among PSUs present
    present: np.ndarray  # (H, k) stratum has a positive-weight domain row


class TaylorDesign(Protocol):
    """What the engine's functions read of a design (:class:`hhsurvey.engine.design.SurveyDesign`).

    The modules that estimate (:mod:`hhsurvey.engine.taylor`, ``quantile``, ``glm``,
    ``calibrate``, ``replicates``, ``results``) cannot import the design class, which imports
    them: they receive the design and read these attributes.
    """

    data: pd.DataFrame
    weight: str
    strata: str | None
    psu: str | None
    fpc: str | None
    lonely_psu: str
    missing: str  # "zero_weight" | "drop" (hhsurvey.engine.conventions)
    domain_df: str  # "domain" | "design"
    _s: Structure
    _cal: tuple  # calibration blocks (hhsurvey.engine.calibrate.CalBlock)
    _by_cache: dict
    _stats_cache: dict

    @property
    def is_calibrated(self) -> bool: ...


# ----------------------------------------------------------------------------- sums
def group_sum(
    codes: np.ndarray, values: np.ndarray, size: int, starts: np.ndarray | None
) -> np.ndarray:
    """Sum ``values`` into ``size`` groups; ``starts`` = run starts when codes are sorted runs."""
    if starts is not None:
        return np.add.reduceat(values, starts) if len(values) else np.zeros(size)
    return np.bincount(codes, weights=values, minlength=size)


def bin_sum(idx: np.ndarray, values: np.ndarray, size: int) -> np.ndarray:
    """``np.bincount(idx, weights=values, minlength=size)`` for 0 <= idx < size, faster.

    A one-row CSR matrix with column indices ``idx`` converted to dense: scipy adds the
    duplicates in row order, as ``np.bincount`` does, so the sums are bitwise the same, but
    without bincount's extra min/max pass and at two to three times its speed. ``idx`` must be
    in range (internal codes only: scipy does not check it here).
    """
    n = len(idx)
    if n == 0 or size == 0:
        return np.zeros(size)
    vals = np.asarray(values, dtype=np.float64)
    m = sparse.csr_array((vals, idx, np.array([0, n], dtype=idx.dtype)), shape=(1, size))
    return m.toarray()[0]


def psu_domain_totals(
    s: Structure,
    codes: np.ndarray | None,
    k: int,
    values: np.ndarray,
    key: np.ndarray | None = None,
    row_order: bool = False,
) -> np.ndarray:
    """(G, k) PSU-by-domain totals of row values (``key`` = psu * k + codes, if already built).

    Rows stored in PSU order: a (G, k) CSR matrix whose row g holds the rows of PSU g (column =
    domain code) converted to dense, one pass without building the key. Otherwise a scatter on
    the PSU x domain key. Both add rows in row order within each cell, as ``np.bincount``.
    Without domains, PSU-ordered rows are summed by ``np.add.reduceat`` (pairwise summation),
    or, with ``row_order``, in row order (a CSR matrix-vector product: bincount's sums, bit
    for bit, at a fifth of its time on PSU-ordered rows).
    """
    if codes is None:
        if row_order and s.psu_starts is not None and s.n > 0:
            indptr = np.append(s.psu_starts, s.n)
            vals = np.asarray(values, dtype=np.float64)
            m = sparse.csr_array((vals, np.arange(s.n), indptr), shape=(s.G, s.n))
            return (m @ np.ones(s.n)).reshape(s.G, 1)
        return group_sum(s.psu, values, s.G, s.psu_starts).reshape(s.G, 1)
    if s.psu_starts is not None and s.n > 0:
        indptr = np.append(s.psu_starts, s.n).astype(codes.dtype)
        vals = np.asarray(values, dtype=np.float64)
        return sparse.csr_array((vals, codes, indptr), shape=(s.G, k)).toarray()
    if key is None:
        key = s.psu * k + codes
    return bin_sum(key, values, s.G * k).reshape(s.G, k)


# ----------------------------------------------------------------------------- inference
def tcrit(level: float, df: np.ndarray | float) -> np.ndarray:
    """Two-sided t critical value on ``df`` (normal for inf, NaN for df <= 0)."""
    df = np.asarray(df, dtype=np.float64)
    q = 1.0 - (1.0 - level) / 2.0
    with np.errstate(invalid="ignore"):
        out = np.where(np.isinf(df), norm_ppf(q), t_ppf(q, np.where(df > 0, df, 1.0)))
    return np.where(df > 0, out, np.nan)


def check_binary(v: np.ndarray, name: str) -> None:
    """ValueError unless every non-missing value is 0 or 1."""
    odd = (v != 0.0) & (v != 1.0)  # NaN counts as odd here; filtered below
    if odd.any():
        bad = v[odd]
        bad = bad[~np.isnan(bad)]
        if len(bad):
            raise ValueError(
                f"column {name!r} must be 0/1 (or boolean); found values {np.unique(bad)[:5].tolist()}"
            )


def check_level(level: float) -> None:
    if not (0.0 < float(level) < 1.0):
        raise ValueError(f"level must be in (0, 1), got {level!r}")


def logit_ci(
    p: np.ndarray, se: np.ndarray, df: np.ndarray, level: float
) -> tuple[np.ndarray, np.ndarray]:
    """Logit interval of R ``svyciprop(method="logit")``.

    Wald interval for logit(p) with SE(logit p) = SE(p) / (p (1 - p)) (the intercept of an
    intercept-only quasibinomial ``svyglm``), back-transformed. p = 0 or 1 gives [p, p].
    """
    p = np.asarray(p, dtype=np.float64)
    q = tcrit(level, df)
    with np.errstate(divide="ignore", invalid="ignore"):
        s = np.asarray(se, dtype=np.float64) / (p * (1.0 - p))
        eta = np.log(p) - np.log1p(-p)
        lo = 1.0 / (1.0 + np.exp(-(eta - q * s)))
        hi = 1.0 / (1.0 + np.exp(-(eta + q * s)))
    edge = (p == 0.0) | (p == 1.0)
    lo = np.where(edge & ~np.isnan(q), p, lo)
    hi = np.where(edge & ~np.isnan(q), p, hi)
    return lo, hi


# ----------------------------------------------------------------------------- arguments
def quantile_probs(q: float | Sequence[float]) -> np.ndarray:
    """Quantile probabilities as an array; ValueError outside [0, 1]."""
    qs = np.atleast_1d(np.asarray(q, dtype=np.float64))
    if np.any((qs < 0) | (qs > 1)):
        raise ValueError(f"quantile probabilities must be in [0, 1], got {qs.tolist()}")
    return qs


# ----------------------------------------------------------------------------- new kernels
def t_test(est: np.ndarray | float, se: np.ndarray | float, df: np.ndarray | float) -> np.ndarray:
    """Two-sided p-value of ``est / se`` on the t distribution with ``df`` (NaN when df <= 0
    or se is not positive; normal for infinite df)."""
    est, se = np.asarray(est, dtype=np.float64), np.asarray(se, dtype=np.float64)
    df = np.asarray(df, dtype=np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        t = np.abs(est / se)
        p = np.where(np.isinf(df), 2.0 * norm_sf(t), 2.0 * t_sf(t, np.where(df > 0, df, 1.0)))
    return np.where((df > 0) & (se > 0), p, np.nan)


def domain_df(s: Structure, member: np.ndarray) -> float:
    """Design df of a domain: PSUs with a positive-weight row in ``member`` minus their strata.

    R's ``degf(subset(design, domain))``; for element designs every row is a PSU.
    """
    rows = np.asarray(member, dtype=bool) & (s.w > 0)
    psus = np.unique(s.psu[rows])
    return float(len(psus) - len(np.unique(s.psu_stratum[psus])))


def design_df(d: TaylorDesign) -> float:
    """The design df: PSUs with a positive-weight row minus their strata (cached on ``d``).

    What every domain gets under ``domain_df="design"`` (the Stata convention,
    :mod:`hhsurvey.engine.conventions`).
    """
    hit = d._stats_cache.get("_design_df")
    if hit is None:
        s = d._s
        pos = s.w > 0
        psus = np.bincount(s.psu[pos], minlength=s.G) > 0
        strata = np.bincount(s.psu_stratum[psus], minlength=s.H) > 0
        hit = float(psus.sum() - strata.sum())
        d._stats_cache["_design_df"] = hit
    return hit


def member_df(d: TaylorDesign, member: np.ndarray) -> float:
    """The df of a domain ``member`` (a boolean row mask) under the design's convention."""
    if d.domain_df == "design":
        return design_df(d) if bool(np.any(np.asarray(member, dtype=bool) & (d._s.w > 0))) else 0.0
    return domain_df(d._s, member)


def psu_covariance(s: Structure, T: np.ndarray, present: np.ndarray, lonely_psu: str) -> np.ndarray:
    """Covariance matrix of the columns of T, the (G, p) PSU totals of linearised scores.

    The engine's variance formula: sum over strata of (1 - f_h) n_h / (n_h - 1) times the
    cross-products of PSU totals centred at their stratum mean. Singleton strata follow
    ``lonely_psu``: ``"fail"`` raises InputError when a column uses one (``present``: (H, p)
    stratum holds a positive-weight row of the column's domain); ``"adjust"`` adds
    (1 - f_h) d_hj d_hl with d the singleton's total minus the grand mean of the PSU totals
    of the strata present (R >= 4.4); ``"remove"``/``"certainty"`` add nothing. The diagonal
    is the variance the estimators report.
    """
    T = np.asarray(T, dtype=np.float64)
    present = np.asarray(present, dtype=bool)
    S1 = np.add.reduceat(T, s.stratum_starts, axis=0)
    dev = T - (S1 / s.n_psu[:, None])[s.psu_stratum]
    cov = (dev * s.cfac[s.psu_stratum][:, None]).T @ dev
    if s.lonely.any():
        check_lonely(s, present, lonely_psu)
        if lonely_psu == "adjust":
            npsu = (s.n_psu[:, None] * present).sum(axis=0)
            with np.errstate(invalid="ignore", divide="ignore"):
                grand = S1.sum(axis=0) / npsu
            for h in np.flatnonzero(s.lonely):
                d = np.where(present[h], S1[h] - grand, 0.0)
                cov = cov + s.one_minus_f[h] * np.outer(d, d)
    return cov
