"""Replicate weights: generated from strata and PSUs, or supplied with the data.

:class:`hhsurvey.engine.replicates.ReplicateDesign` stores replicate weights as factors: replicate
weight = full-sample weight x a factor that is constant within a PSU (:class:`GroupFactors`,
per PSU or per row), or the delete-one-PSU jackknife in closed form (:class:`JKnFactors`), so
that linear statistics come from PSU totals without an n x R matrix. This module builds them:

* :func:`jkn_factors`: R ``as.svrepdesign(type="JKn")``: one replicate per PSU, the PSU dropped
  and the rest of its stratum reweighted by n_h / (n_h - 1); ``rscales`` = (1 - f_h)(n_h - 1)/n_h
  (so the stage-1 fpc is kept); self-representing strata give no replicates; lonely strata
  follow the design's ``lonely_psu`` as R's ``jknweights``;
* :func:`bootstrap_factors`: Rao-Wu rescaling bootstrap with m_h = n_h - 1, i.e. R
  ``as.svrepdesign(type="subbootstrap")``: in each stratum draw n_h - 1 PSUs with replacement,
  factor = count x n_h / (n_h - 1); ``scale`` = 1 / (R - 1); fpc ignored;
* :func:`brr_factors`: balanced repeated replication, R ``as.svrepdesign(type="BRR")``, and
  Fay's variant (``type="Fay", fay.rho=rho``): two PSUs per stratum; in replicate r the first
  PSU of stratum h (in label order) gets factor 2 - rho and the second rho where row h + 1 of
  the Hadamard matrix (:mod:`hhsurvey.engine.hadamard`) is +1 in column r, the other way round
  where it is -1; ``scale`` = 1 / (R (1 - rho)^2); fpc ignored;
* :func:`supplied_scales`: the ``scale`` and ``rscales`` of replicate weights supplied with the
  data, by their type, as R's ``svrepdesign(type=)`` and Stata's ``svyset`` set them.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence

import numpy as np
from scipy import sparse

from hhsurvey.engine.hadamard import check_hadamard, hadamard
from hhsurvey.engine.kernels import TaylorDesign, psu_domain_totals
from hhsurvey.engine.structure import SELF_REPRESENTING, Structure, check_lonely
from hhsurvey.errors import InputError

__all__ = [
    "GENERATED_TYPES",
    "SUPPLIED_TYPES",
    "GroupFactors",
    "JKnFactors",
    "RowWeights",
    "bootstrap_factors",
    "brr_factors",
    "jkn_factors",
    "supplied_scales",
]

#: Replicates :meth:`hhsurvey.engine.design.SurveyDesign.replicates` generates.
GENERATED_TYPES: tuple[str, ...] = ("jkn", "bootstrap", "brr", "fay")
#: Types of replicate weights supplied with the data (``with_replicate_weights(type=)``).
SUPPLIED_TYPES: tuple[str, ...] = (
    "jk1",
    "jkn",
    "brr",
    "fay",
    "bootstrap",
    "sdr",
    "successive-difference",
    "other",
)


# ----------------------------------------------------------------------------- factors
class GroupFactors:
    """Replicate weight = w_i * F[index_i, r]; index = PSU codes, or None for rows.

    ``s``: the design structure when ``index`` is its PSU codes (PSU totals then use its
    PSU runs, as the Taylor estimates do).
    """

    def __init__(self, index: np.ndarray | None, F: np.ndarray, s: Structure | None = None) -> None:
        self.index, self.F, self.s = index, np.asarray(F, dtype=np.float64), s
        self.R = self.F.shape[1]

    def totals(self, values: np.ndarray, codes: np.ndarray | None, k: int) -> np.ndarray:
        """(R, k) replicate totals of row values by domain."""
        if self.index is None:
            n = len(values)
            d = np.zeros(n, dtype=np.int64) if codes is None else codes
            S = sparse.csr_matrix((values, (np.arange(n), d)), shape=(n, k))
            return np.asarray((S.T @ self.F).T)
        if self.s is not None:
            return self.F.T @ psu_domain_totals(self.s, codes, k, values, row_order=True)
        G = self.F.shape[0]
        key = self.index if codes is None else self.index * k + codes
        T = np.bincount(key, weights=values, minlength=G * k).reshape(G, k)
        return self.F.T @ T

    def column(self, r: int) -> np.ndarray:
        f = self.F[:, r]
        return f if self.index is None else f[self.index]


def _rank_of(A: np.ndarray) -> int:
    """Rank of a small matrix by R's QR tolerance: singular values above 1e-5 of the largest,
    i.e. eigenvalues of A'A above 1e-10 of the largest (a p x p problem, fast on any layout)."""
    ev = np.linalg.eigvalsh(A.T @ A)
    return int(np.count_nonzero(ev > 1e-10 * ev[-1])) if ev[-1] > 0 else 0


class RowWeights:
    """Supplied replicate weights kept as given: replicate weight r of row i is ``RW[i, r]``.

    The factor of a row is ``RW[i, r] / w_i`` (0 where w_i = 0), never materialised: replicate
    totals of weighted values ``w_i v_i`` are ``sum_i v_i RW[i, r]``, one streaming pass over RW
    (a sparse n x k product). The rank of the weights (the design df, R's rule) and their
    replicate totals come from one more pass (:meth:`summarise`), fused with the first totals
    without domains; a missing or infinite weight raises ValueError there.
    """

    def __init__(self, RW: np.ndarray, w: np.ndarray) -> None:
        self.RW, self.R = RW, RW.shape[1]
        pos = w > 0
        self.inv_w = np.where(pos, 1.0 / np.where(pos, w, 1.0), 0.0)
        self.full_totals: np.ndarray | None = None  # (R,) column sums, set by summarise()
        self._rank: int | None = None

    def totals(self, values: np.ndarray, codes: np.ndarray | None, k: int) -> np.ndarray:
        """(R, k) replicate totals of row values ``w_i v_i`` by domain."""
        v = values * self.inv_w
        if codes is None and self.full_totals is None:
            return self.summarise(v)[:, None]
        n = len(v)
        d = np.zeros(n, dtype=np.int32) if codes is None else codes
        indptr = np.arange(n + 1, dtype=d.dtype)
        S = sparse.csr_matrix((v, d, indptr), shape=(n, k))  # one entry per row
        return np.asarray((S.T @ self.RW).T)

    def rank(self) -> int:
        """Rank of the replicate weights, R's ``qr(weights, tol=1e-5)$rank``."""
        if self._rank is None:
            self.summarise(None)
        return int(self._rank)

    def _spread_rank(self) -> int | None:
        """R when rows spread over the file (about 50 R of them) already have rank R, which
        the whole matrix cannot exceed; None otherwise (the sketch decides)."""
        n = self.RW.shape[0]
        sub = self.RW[:: max(1, n // (50 * self.R))]
        if not np.isfinite(sub).all():
            return None
        return self.R if _rank_of(sub) == self.R else None

    def summarise(self, v: np.ndarray | None) -> np.ndarray | None:
        """One pass over RW: the replicate totals of the weights (:attr:`full_totals`), the
        rank (unless spread rows settle it) and, ``v`` given, the totals ``sum_i v_i RW[i, r]``,
        which it returns.

        The rank is that of a sketch: the rows are added into 4R + 8 groups (row i into group
        i mod (4R + 8)) with fixed pseudo-random normal coefficients, a generic combination of
        the rows that keeps the rank of the R columns (a column combination vanishes in every
        group only if it vanishes, save for a set of coefficients of probability 0); singular
        values above 1e-5 of the largest count, as R's QR tolerance.
        """
        if self._rank is None:
            self._rank = self._spread_rank()
        sketch = self._rank is None
        n = self.RW.shape[0]
        k = min(n, 4 * self.R + 8) if sketch else 0
        parts = [p for p, on in (("group", sketch), ("total", True), ("v", v is not None)) if on]
        m = len(parts)
        idx = np.int32 if m * n < 2**31 else np.int64
        cols = np.empty(m * n, dtype=idx)
        vals = np.empty(m * n)
        for j, part in enumerate(parts):
            if part == "group":
                cols[j::m] = np.resize(np.arange(k, dtype=idx), n)
                vals[j::m] = np.random.default_rng(20261207).standard_normal(n)
            else:
                cols[j::m] = k + (j - sketch)
                vals[j::m] = 1.0 if part == "total" else v
        indptr = np.arange(0, m * n + 1, m, dtype=idx)
        S = sparse.csr_matrix((vals, cols, indptr), shape=(n, k + m - sketch))
        out = np.asarray(S.T @ self.RW)  # streams the rows of RW
        if not np.isfinite(out).all() and not np.isfinite(self.RW).all():
            raise ValueError("missing or infinite values in replicate weights")
        if sketch:
            self._rank = _rank_of(out[:k])
        self.full_totals = out[k]
        return None if v is None else out[k + 1]

    def column(self, r: int) -> np.ndarray:
        return self.RW[:, r] * self.inv_w

    def max_factors(self) -> np.ndarray:
        """(R,) the largest factor RW / w of each replicate."""
        return (self.RW * self.inv_w[:, None]).max(axis=0)


class JKnFactors:
    """Delete-one-PSU jackknife in closed form from PSU totals (plus dense extra columns)."""

    def __init__(self, design: TaylorDesign, drop: np.ndarray, extra: np.ndarray) -> None:
        s = design._s
        self.s, self.drop, self.extra = s, drop, extra
        with np.errstate(divide="ignore", invalid="ignore"):
            self.mult = np.where(s.n_psu > 1, s.n_psu / (s.n_psu - 1), 1.0)
        self.R = len(drop) + extra.shape[1]

    def totals(self, values: np.ndarray, codes: np.ndarray | None, k: int) -> np.ndarray:
        s = self.s
        T = psu_domain_totals(s, codes, k, values, row_order=True)
        S = np.add.reduceat(T, s.stratum_starts, axis=0)
        h = s.psu_stratum[self.drop]
        m = self.mult[h][:, None]
        reps = T.sum(axis=0)[None, :] + (m - 1.0) * S[h] - m * T[self.drop]
        if self.extra.shape[1]:
            reps = np.vstack([reps, self.extra.T @ T])
        return reps

    def column(self, r: int) -> np.ndarray:
        s = self.s
        if r >= len(self.drop):
            return self.extra[:, r - len(self.drop)][s.psu]
        j = self.drop[r]
        h = s.psu_stratum[j]
        f = np.ones(s.G)
        a = s.stratum_starts[h]
        f[a : a + int(s.n_psu[h])] = self.mult[h]
        f[j] = 0.0
        return f[s.psu]


# ----------------------------------------------------------------------------- generated
def jkn_factors(design: TaylorDesign) -> tuple[JKnFactors, np.ndarray]:
    """Delete-one-PSU jackknife factors of a design and their ``rscales``."""
    s = design._s
    if s.G > 50_000:
        raise ValueError(f"JKn would need {s.G} replicates; use method='bootstrap'")
    selfrep = s.one_minus_f < SELF_REPRESENTING
    keep = np.flatnonzero((s.n_psu[s.psu_stratum] > 1) & ~selfrep[s.psu_stratum])
    rscales = ((s.one_minus_f * (s.n_psu - 1) / s.n_psu)[s.psu_stratum])[keep]
    extra, extra_rs = [], []
    lonely = np.flatnonzero(s.lonely)
    if len(lonely):
        check_lonely(s, np.ones((s.H, 1), dtype=bool), design.lonely_psu)
        if design.lonely_psu == "adjust":
            H = s.H
            for h in lonely:
                col = np.where(s.psu_stratum == h, 0.0, H / (H - 1))
                extra.append(col)
                extra_rs.append((H - 1) / H)
    if len(keep) == 0 and not extra:
        raise ValueError("all strata are exhaustively sampled or lonely: no replicates")
    ex = np.stack(extra, axis=1) if extra else np.zeros((s.G, 0))
    return JKnFactors(design, keep, ex), np.concatenate([rscales, extra_rs])


def bootstrap_factors(
    design: TaylorDesign, R: int, seed: int | np.random.Generator | None
) -> GroupFactors:
    """Rao-Wu rescaling bootstrap factors (n_h - 1 PSUs drawn with replacement per stratum)."""
    s = design._s
    if R < 2:
        raise ValueError("bootstrap needs at least 2 replicates")
    if s.G * R > 200_000_000:
        raise ValueError(f"{s.G} PSUs x {R} replicates is too large")
    if design.fpc is not None:
        warnings.warn(
            "bootstrap replicates ignore the fpc (as R's subbootstrap)", UserWarning, stacklevel=4
        )
    lonely = np.flatnonzero(s.lonely | (s.n_psu == 1))
    if len(lonely) and design.lonely_psu in ("fail", "adjust"):
        raise InputError(
            f"Stratum {s.strata_labels[lonely].tolist()} has only one PSU; the bootstrap needs "
            f"lonely_psu='remove' or 'certainty' (got {design.lonely_psu!r})",
            "the strata and PSU columns of the survey design (one PSU sampled in the stratum)",
            "build the design with lonely_psu='remove', 'certainty' or 'collapse' for bootstrap "
            "replicates, use method='jkn', or merge the stratum with a similar one",
        )
    rng = seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)
    F = np.ones((s.G, R))
    for h in range(s.H):
        nh = int(s.n_psu[h])
        if nh < 2:
            continue
        a = s.stratum_starts[h]
        counts = rng.multinomial(nh - 1, np.full(nh, 1.0 / nh), size=R)  # (R, nh)
        F[a : a + nh, :] = counts.T * (nh / (nh - 1))
    return GroupFactors(s.psu, F, s)


def brr_factors(
    design: TaylorDesign, rho: float = 0.0, matrix: np.ndarray | None = None
) -> GroupFactors:
    """BRR (``rho`` = 0) or Fay (0 < ``rho`` < 1) factors from a Hadamard matrix."""
    s = design._s
    if not 0.0 <= rho < 1.0:
        raise ValueError(f"Fay's rho must be in [0, 1), got {rho!r}")
    odd = np.flatnonzero(s.n_psu != 2)
    if s.element or len(odd):
        where = (
            "element sampling (no PSU column)"
            if s.element
            else (
                f"strata {s.strata_labels[odd[:5]].tolist()} hold "
                f"{s.n_psu[odd[:5]].astype(int).tolist()} PSUs"
            )
        )
        raise InputError(
            f"BRR and Fay replicates need exactly two PSUs in every stratum: {where}",
            "the strata and PSU columns of the survey design",
            "use method='jkn' or 'bootstrap', or group the PSUs of each stratum into two "
            "half-samples (variance PSUs) first",
        )
    if design.fpc is not None:
        warnings.warn("BRR and Fay replicates ignore the fpc (as R)", UserWarning, stacklevel=4)
    S = hadamard(s.H) if matrix is None else check_hadamard(matrix, s.H)
    signs = S[1 : s.H + 1].astype(np.float64)  # (H, R)
    first = np.where(signs > 0, 2.0 - rho, rho)
    F = np.empty((s.G, S.shape[1]))
    F[s.stratum_starts] = first
    F[s.stratum_starts + 1] = 2.0 - first
    return GroupFactors(s.psu, F, s)


# ----------------------------------------------------------------------------- supplied
def supplied_scales(
    kind: str,
    factors: RowWeights,
    rho: float | None,
    scale: float | None,
    rscales: np.ndarray | Sequence[float] | None,
) -> tuple[float, np.ndarray]:
    """``scale`` and ``rscales`` of supplied replicate weights of type ``kind``.

    ``factors``: the supplied replicate weights (their factors over the full-sample weights). As R ``svrepdesign``: ``"jk1"`` scale (R - 1)/R; ``"jkn"`` rscales (n_h - 1)/n_h,
    read as 1 / (the largest factor of the replicate), n_h / (n_h - 1); ``"brr"`` 1/R;
    ``"fay"`` 1/(R (1 - rho)^2); ``"bootstrap"`` 1/(R - 1); ``"sdr"`` and
    ``"successive-difference"`` 4/R (Fay and Train 1995); ``"other"`` the ``scale`` given.
    An explicit ``scale`` overrides the type's for ``jk1``, ``bootstrap`` and ``other``, and
    explicit ``rscales`` for ``jkn``, ``jk1``, ``bootstrap`` and ``other``; the other types set
    both themselves.
    """
    if kind not in SUPPLIED_TYPES:
        raise ValueError(f"type must be one of {SUPPLIED_TYPES}, got {kind!r}")
    R = factors.R
    fixed = kind in ("brr", "fay", "sdr", "successive-difference")
    if fixed and (scale is not None or rscales is not None):
        raise ValueError(f"type={kind!r} sets scale and rscales itself; do not give them")
    if kind == "fay":
        if rho is None or not 0.0 < rho < 1.0:
            raise ValueError(f"type='fay' needs Fay's rho=, 0 < rho < 1 (got {rho!r})")
    elif rho is not None:
        raise ValueError(f"rho= applies to type='fay' only, not {kind!r}")
    if kind == "other" and scale is None:
        raise ValueError("type='other' needs scale= (and rscales=, default 1)")
    if kind == "jkn" and rscales is None:
        top = factors.max_factors()
        if np.any(top <= 1.0):
            raise ValueError(
                "type='jkn': a replicate has no factor above 1 (n_h / (n_h - 1)); give "
                "rscales= explicitly"
            )
        rscales = 1.0 / top
    if R < 2 and kind in ("jk1", "bootstrap"):
        raise ValueError(f"type={kind!r} needs at least 2 replicates, got {R}")
    if scale is None:
        scale = {
            "jk1": lambda: (R - 1) / R,
            "jkn": lambda: 1.0,
            "brr": lambda: 1.0 / R,
            "fay": lambda: 1.0 / (R * (1.0 - float(rho)) ** 2),
            "bootstrap": lambda: 1.0 / (R - 1),
            "sdr": lambda: 4.0 / R,
            "successive-difference": lambda: 4.0 / R,
        }[kind]()
    rs = np.ones(R) if rscales is None else np.asarray(rscales, dtype=np.float64).reshape(-1)
    return float(scale), rs
