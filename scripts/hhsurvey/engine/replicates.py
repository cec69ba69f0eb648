"""Replicate-weight variance estimation (jackknife, bootstrap, BRR, Fay, supplied weights).

:class:`ReplicateDesign` has the estimator API of :class:`hhsurvey.engine.design.SurveyDesign`
(``mean``, ``total``, ``proportion``, ``ratio``, ``quantile`` with ``by=``, ``where=``,
``level=``; same output columns) but takes its variance from replicate weights, as R's
``svrepdesign``:

    V = scale * sum_r rscales_r (theta_r - centre)^2,

with ``centre`` the mean of the replicates (``mse=False``, R's default
``survey.replicates.mse=FALSE``) or the full-sample estimate (``mse=True``). It also
evaluates arbitrary statistics (:meth:`ReplicateDesign.replicate_se`,
:meth:`ReplicateDesign.estimate_statistic`) for composite indicators.

Replicate weights are stored compressed (replicate weight = full-sample weight x a factor
constant within a PSU) and built in :mod:`hhsurvey.engine.repweights`: generated from strata
and PSUs (``jkn``, ``bootstrap``, ``brr``, ``fay``; :meth:`ReplicateDesign.from_design`) or
supplied with the data by type (``jk1``, ``jkn``, ``brr``, ``fay``, ``bootstrap``, ``sdr`` /
``successive-difference``, ``other``; :meth:`ReplicateDesign.from_weights`), so linear
statistics are computed from PSU totals and never materialise an n x R matrix.

The design's conventions (:mod:`hhsurvey.engine.conventions`) apply as follows: ``domain_df=
"design"`` gives every domain the design df (for supplied weights the df is the design's
anyway); rows missing an analysis variable get weight 0 in the full sample and in every
replicate, which with fixed replicate weights is the same as dropping them, so ``missing=`` does
not change a replicate estimate (generated replicates are built once, from all the design's
PSUs).
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import pandas as pd

from hhsurvey.engine.domains import domain, domain_stats, domain_sum, numeric
from hhsurvey.engine.kernels import (
    By,
    Domain,
    DomainStats,
    TaylorDesign,
    Where,
    check_binary,
    check_level,
    logit_ci,
    member_df,
    tcrit,
)
from hhsurvey.engine.quantile import quantile_frames
from hhsurvey.engine.repweights import (
    GENERATED_TYPES,
    GroupFactors,
    JKnFactors,
    RowWeights,
    bootstrap_factors,
    brr_factors,
    jkn_factors,
    supplied_scales,
)
from hhsurvey.engine.results import empty_by, tidy

__all__ = ["ReplicateDesign", "replicate_variance"]


Statistic = Callable[[pd.DataFrame, np.ndarray], "float | np.ndarray | pd.Series"]


def replicate_variance(
    thetas: np.ndarray, full: np.ndarray, scale: float, rscales: np.ndarray, mse: bool
) -> np.ndarray:
    """R ``svrVar`` per column of ``thetas`` (R, k); replicates giving NaN are dropped."""
    thetas = np.asarray(thetas, dtype=np.float64)
    if thetas.ndim == 1:
        thetas = thetas[:, None]
    full = np.broadcast_to(np.asarray(full, dtype=np.float64), (thetas.shape[1],))
    out = np.empty(thetas.shape[1])
    for j in range(thetas.shape[1]):
        t = thetas[:, j]
        ok = ~np.isnan(t)
        if not ok.any() or np.isnan(full[j]):
            out[j] = np.nan
            continue
        if not ok.all():
            warnings.warn(
                f"{np.count_nonzero(~ok)} replicates gave NaN results and were discarded.",
                RuntimeWarning,
                stacklevel=3,
            )
        t, rs = t[ok], rscales[ok]
        centre = full[j] if mse else t[rs > 0].mean()
        out[j] = scale * np.sum(rs * (t - centre) ** 2)
    return out


# ----------------------------------------------------------------------------- design
class ReplicateDesign:
    """A frozen replicate-weight design with the :class:`SurveyDesign` estimator API."""

    __slots__ = ("_base", "_df", "_factors", "_nw_cache", "method", "mse", "rscales", "scale")

    def __init__(
        self,
        base: TaylorDesign,
        factors: GroupFactors | JKnFactors | RowWeights,
        scale: float,
        rscales: np.ndarray,
        mse: bool,
        method: str,
        df: float | str | None = None,
    ) -> None:
        rscales = np.asarray(rscales, dtype=np.float64).reshape(-1)
        if len(rscales) != factors.R:
            raise ValueError(f"rscales has length {len(rscales)}, expected {factors.R} replicates")
        rscales.flags.writeable = False
        for name, value in (
            ("_base", base),
            ("_factors", factors),
            ("scale", float(scale)),
            ("rscales", rscales),
            ("mse", bool(mse)),
            ("method", method),
            ("_df", df),
            ("_nw_cache", {}),
        ):
            object.__setattr__(self, name, value)

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError(f"ReplicateDesign is immutable; cannot set {name!r}")

    def __repr__(self) -> str:
        return f"ReplicateDesign(method={self.method!r}, replicates={self.n_replicates}, scale={self.scale:.6g}, mse={self.mse})"

    # ------------------------------------------------------------------ constructors
    @classmethod
    def from_design(
        cls,
        design: TaylorDesign,
        method: str = "jkn",
        n: int | None = None,
        seed: int | np.random.Generator | None = None,
        mse: bool = False,
        rho: float | None = None,
        hadamard: np.ndarray | None = None,
    ) -> ReplicateDesign:
        """Build JKn, bootstrap, BRR or Fay replicates from a Taylor design (see module doc)."""
        if design.is_calibrated:
            raise NotImplementedError(
                "replicates of a calibrated design are not supported: build replicates from the "
                "uncalibrated design (calibration of replicate weights is not implemented)"
            )
        if method not in GENERATED_TYPES:
            raise ValueError(f"method must be one of {GENERATED_TYPES}, got {method!r}")
        if rho is not None and method != "fay":
            raise ValueError(f"rho= applies to method='fay' only, not {method!r}")
        if hadamard is not None and method not in ("brr", "fay"):
            raise ValueError(f"hadamard= applies to method='brr' or 'fay' only, not {method!r}")
        if method in ("jkn", "brr", "fay") and n is not None:
            raise ValueError(f"method={method!r} sets the number of replicates; n must be None")
        if method == "jkn":
            factors, rscales = jkn_factors(design)
            return cls(design, factors, 1.0, rscales, mse, "jkn")
        if method == "bootstrap":
            R = 500 if n is None else int(n)
            factors = bootstrap_factors(design, R, seed)
            return cls(design, factors, 1.0 / (R - 1), np.ones(R), mse, "bootstrap")
        if method == "fay" and (rho is None or not 0.0 < rho < 1.0):
            raise ValueError(f"method='fay' needs rho=, 0 < rho < 1 (got {rho!r})")
        r = 0.0 if rho is None else float(rho)
        factors = brr_factors(design, r, hadamard)
        scale = 1.0 / (factors.R * (1.0 - r) ** 2)
        return cls(design, factors, scale, np.ones(factors.R), mse, method)

    @classmethod
    def from_weights(
        cls,
        design: TaylorDesign,
        repweights: np.ndarray | pd.DataFrame | Sequence[str],
        type: str = "other",  # noqa: A002 - R's and Stata's name for it
        *,
        rho: float | None = None,
        scale: float | None = None,
        rscales: np.ndarray | Sequence[float] | None = None,
        mse: bool = False,
        df: float | None = None,
    ) -> ReplicateDesign:
        """Design from existing replicate weights (combined: full weight x adjustment).

        ``design``: the full-sample design, e.g. ``SurveyDesign(data, weight="w")``
        (:meth:`hhsurvey.engine.design.SurveyDesign.with_replicate_weights` calls this).
        ``repweights``: an (n, R) array, a DataFrame, or column names of the design's data.
        ``type`` sets ``scale``/``rscales`` (:func:`hhsurvey.engine.repweights.supplied_scales`);
        ``df`` defaults to R's rule: the rank of the replicate weights minus 1.
        """
        if isinstance(repweights, pd.DataFrame):
            RW = repweights.to_numpy(dtype=np.float64)
        elif isinstance(repweights, np.ndarray):
            RW = np.asarray(repweights, dtype=np.float64)
        else:
            RW = design.data[list(repweights)].to_numpy(dtype=np.float64)
        w = design._s.w
        if RW.ndim != 2 or RW.shape[0] != len(w):
            raise ValueError(f"repweights must be (n={len(w)}, R), got shape {RW.shape}")
        zero = w == 0
        if zero.any() and np.any(RW[zero] != 0):
            raise ValueError("rows with zero full-sample weight must have zero replicate weights")
        factors = RowWeights(RW, w)
        scale, rs = supplied_scales(type, factors, rho, scale, rscales)
        # df None: R's rule, the rank of the weights - 1, read at the first estimate (with
        # the check of the weights, in the pass that estimate makes over them)
        return cls(design, factors, scale, rs, mse, type, df="rank" if df is None else df)

    # ------------------------------------------------------------------ properties
    @property
    def n_replicates(self) -> int:
        return self._factors.R

    @property
    def design(self) -> TaylorDesign:
        """The full-sample (Taylor) design these replicates belong to."""
        return self._base

    @property
    def data(self) -> pd.DataFrame:
        return self._base.data

    @property
    def weights(self) -> pd.Series:
        return self._base.weights

    @property
    def replicate_weights(self) -> np.ndarray:
        """The (n, R) matrix of replicate weights (materialised: memory n x R)."""
        w = self._base._s.w
        return np.stack([w * self._factors.column(r) for r in range(self.n_replicates)], axis=1)

    def with_mse(self, mse: bool) -> ReplicateDesign:
        """Same replicates centred at the full-sample estimate (True) or their mean (False)."""
        return ReplicateDesign(
            self._base, self._factors, self.scale, self.rscales, mse, self.method, self._df
        )

    # ------------------------------------------------------------------ estimators
    def mean(self, y: str, by: By = None, where: Where = None, level: float = 0.95) -> pd.DataFrame:
        """Weighted mean with replicate SE (R ``svymean`` on a ``svrepdesign``)."""
        return self._ratio_like(y, None, by, where, level, "mean")

    def proportion(
        self, y: str, by: By = None, where: Where = None, level: float = 0.95
    ) -> pd.DataFrame:
        """Proportion of a 0/1 variable, replicate SE, logit CI on the design df."""
        check_binary(numeric(self._base, y), y)
        return self._ratio_like(y, None, by, where, level, "proportion")

    def total(
        self, y: str, by: By = None, where: Where = None, level: float = 0.95
    ) -> pd.DataFrame:
        """Weighted total with replicate SE."""
        return self._ratio_like(y, None, by, where, level, "total")

    def ratio(
        self,
        numerator: str,
        denominator: str,
        by: By = None,
        where: Where = None,
        level: float = 0.95,
    ) -> pd.DataFrame:
        """Ratio of totals with replicate SE."""
        return self._ratio_like(numerator, denominator, by, where, level, "ratio")

    def quantile(
        self,
        y: str,
        q: float | Sequence[float],
        by: By = None,
        where: Where = None,
        level: float = 0.95,
    ) -> pd.DataFrame:
        """Quantiles with the Woodruff CI using the replicate SE of the proportion below."""
        check_level(level)
        base = self._base
        v = numeric(base, y)
        dom = domain(base, by, where, [v])
        if dom.k == 0:
            return empty_by(dom.labels, q)
        st = self._stats(dom)
        return quantile_frames(base._s, v, q, dom, st, level, self._woodruff)

    def replicate_se(self, statistic: Statistic) -> float | np.ndarray:
        """Replicate SE of ``statistic(data, weights)`` (scalar or 1-D result)."""
        full, thetas = self._evaluate(statistic)
        se = np.sqrt(replicate_variance(thetas, full, self.scale, self.rscales, self.mse))
        return float(se[0]) if np.ndim(full) == 0 else se

    def estimate_statistic(
        self,
        statistic: Statistic,
        by: By = None,
        where: Where = None,
        level: float = 0.95,
        *,
        domains: np.ndarray | Sequence[np.ndarray] | None = None,
        interval: str = "t",
    ) -> pd.DataFrame:
        """Tidy estimate of a composite statistic of ``(data, weights)``, SE from replicates.

        - No ``by``/``where``/``domains``: one row (or one per element of a vector result,
          in a leading ``term`` column); ``df`` is the design df.
        - ``by=`` / ``where=``: R ``svyby`` semantics. The statistic is evaluated on each
          domain with the weights of the rows outside it set to 0 (a scalar per call), one
          row per domain level with the by columns; ``df``, ``n`` and ``n_weighted`` are the
          domain's, as for the Taylor estimators.
        - ``domains=``: the statistic returns a vector, computed in one call on the whole
          sample (e.g. shares by quintile of a line estimated on everybody); ``domains`` gives
          the domain of each element (an (n, k) boolean array, or k masks). ``df`` counts the
          PSUs holding a positive-weight row of the element's domain, minus their strata.

        The estimate uses the full-sample weights; ``deff`` is NaN. ``interval="t"``: estimate
        +- t(df) x SE; ``"logit"``: the logit interval of proportions (as ``proportion``).
        """
        check_level(level)
        if interval not in ("t", "logit"):
            raise ValueError(f"interval must be 't' or 'logit', got {interval!r}")
        base = self._base
        s = base._s
        labels = None
        if by is not None or where is not None:
            if domains is not None:
                raise ValueError("give either by=/where= or domains=, not both")
            dom = domain(base, by, where, [])
            if dom.k == 0:
                return empty_by(dom.labels)
            st = self._stats(dom)
            act = np.ones(s.n, dtype=bool) if dom.active is None else dom.active
            codes = np.zeros(s.n, dtype=np.int64) if dom.codes is None else dom.codes
            masks = [act & (codes == j) for j in range(dom.k)]

            def per_domain(data: pd.DataFrame, w: np.ndarray) -> np.ndarray:
                return np.array([float(np.asarray(statistic(data, w * m))) for m in masks])

            full, thetas = self._evaluate(per_domain)
            labels, df, n, nw = dom.labels, st.df, st.n, st.nw
        elif domains is not None:
            M = np.asarray(domains, dtype=bool)
            M = M.T if M.ndim == 2 and M.shape[0] != s.n else M
            M = M.reshape(s.n, -1)
            full, thetas = self._evaluate(statistic)
            if np.size(full) != M.shape[1]:
                raise ValueError(
                    f"the statistic returned {np.size(full)} value(s) for {M.shape[1]} domain(s)"
                )
            pos = M & (s.w > 0)[:, None]
            n = pos.sum(axis=0)
            nw = s.w @ M
            if self._df is None:
                df = np.array([member_df(base, M[:, j]) for j in range(M.shape[1])])
            else:
                df = np.where(n > 0, self._design_df(), np.nan)
        else:
            full, thetas = self._evaluate(statistic)
            st = self._stats(domain(base, None, None, []))
            k = np.size(full)
            df, n, nw = np.full(k, st.df[0]), np.full(k, st.n[0]), np.full(k, st.nw[0])
        est = np.atleast_1d(np.asarray(full, dtype=np.float64))
        se = np.sqrt(replicate_variance(thetas, est, self.scale, self.rscales, self.mse))
        if interval == "logit":
            lo, hi = logit_ci(est, se, df, level)
        else:
            q = tcrit(level, df)
            lo, hi = est - q * se, est + q * se
        out = tidy(labels, est, se, lo, hi, df, np.full(len(est), np.nan), n, nw)
        if labels is None and domains is None and np.ndim(full) > 0:
            raw = statistic(base.data, s.w.copy())
            names = (
                raw.index.astype(str)
                if isinstance(raw, pd.Series)
                else [str(i) for i in range(len(est))]
            )
            out.insert(0, "term", pd.Series(list(names), dtype=object))
        return out

    # ------------------------------------------------------------------ internals
    def _evaluate(self, statistic: Statistic) -> tuple[np.ndarray, np.ndarray]:
        base = self._base
        w = base._s.w
        full = np.asarray(statistic(base.data, w.copy()), dtype=np.float64)
        thetas = np.stack(
            [
                np.atleast_1d(
                    np.asarray(statistic(base.data, w * self._factors.column(r)), dtype=np.float64)
                )
                for r in range(self.n_replicates)
            ]
        )
        return full, thetas

    def _design_df(self) -> float:
        """The df of supplied weights: given, or R's rule (rank of the weights - 1)."""
        if self._df == "rank":
            return float(self._factors.rank()) - 1.0
        return float(self._df)

    def _stats(self, dom: Domain) -> DomainStats:
        st, _ = domain_stats(self._base, dom)
        if self._df is None:
            return st
        df = np.where(st.n > 0, self._design_df(), np.nan)
        return DomainStats(st.Tw, st.n, st.nw, df, st.present)

    def _rep_weight_totals(self, dom: Domain) -> np.ndarray:
        key = dom.cache_key
        if key is not None and key in self._nw_cache:
            return self._nw_cache[key]
        full = getattr(self._factors, "full_totals", None)
        if key == () and full is not None:  # every row, the design's weights: known already
            self._nw_cache[key] = full[:, None]
            return self._nw_cache[key]
        out = self._factors.totals(dom.we, dom.codes, dom.k)
        if key is not None:
            self._nw_cache[key] = out
        return out

    def _ratio_like(
        self, y: str, x: str | None, by: By, where: Where, level: float, kind: str
    ) -> pd.DataFrame:
        check_level(level)
        base = self._base
        vy = numeric(base, y)
        vx = numeric(base, x) if x is not None else None
        dom = domain(base, by, where, [vy] if vx is None else [vy, vx])
        if dom.k == 0:
            return empty_by(dom.labels)
        if dom.active is not None:
            vy = np.where(dom.active, vy, 0.0)
            vx = None if vx is None else np.where(dom.active, vx, 0.0)
        wy = dom.we * vy
        Y = domain_sum(dom, wy)
        Yr = self._factors.totals(wy, dom.codes, dom.k)  # first: may read the df in its pass
        st = self._stats(dom)
        with np.errstate(divide="ignore", invalid="ignore"):
            if kind == "total":
                est, reps = Y, Yr
            elif kind == "ratio":
                wx = dom.we * vx
                est = Y / domain_sum(dom, wx)
                reps = Yr / self._factors.totals(wx, dom.codes, dom.k)
            else:
                est = Y / st.nw
                reps = Yr / self._rep_weight_totals(dom)
        var = replicate_variance(reps, est, self.scale, self.rscales, self.mse)
        se = np.sqrt(var)
        if kind == "proportion":
            lo, hi = logit_ci(est, se, st.df, level)
        else:
            q = tcrit(level, st.df)
            lo, hi = est - q * se, est + q * se
        deff = self._deff(dom, st, kind, var, vy, vx, est)
        return tidy(dom.labels, est, se, lo, hi, st.df, deff, st.n, st.nw)

    def _deff(
        self,
        dom: Domain,
        st: DomainStats,
        kind: str,
        var: np.ndarray,
        vy: np.ndarray,
        vx: np.ndarray | None,
        est: np.ndarray,
    ) -> np.ndarray:
        """Replicate variance over the SRSWOR variance of the Taylor ``deff`` reference."""
        N, n = st.nw, st.n.astype(np.float64)

        def at(v: np.ndarray) -> np.ndarray | float:
            return v[dom.codes] if dom.codes is not None else v[0]

        with np.errstate(divide="ignore", invalid="ignore"):
            if kind == "ratio":
                resid = vy - at(est) * vx
                factor = N**2 / domain_sum(dom, dom.we * vx) ** 2
            elif kind == "total":
                resid = vy - at(est / N)
                factor = N**2
            else:
                resid = vy - at(est)
                factor = np.ones(dom.k)
            s2 = domain_sum(dom, dom.we * resid * resid) / N * n / (n - 1)
            return var / (s2 * factor * (N - n) / (N * n))

    def _woodruff(
        self, dom: Domain, st: DomainStats, u: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray]:
        """Domain proportion of u and its replicate SE."""
        wu = dom.we * (u if dom.active is None else np.where(dom.active, u, 0.0))
        with np.errstate(divide="ignore", invalid="ignore"):
            est = domain_sum(dom, wu) / st.nw
            reps = self._factors.totals(wu, dom.codes, dom.k) / self._rep_weight_totals(dom)
        return est, np.sqrt(replicate_variance(reps, est, self.scale, self.rscales, self.mse))
