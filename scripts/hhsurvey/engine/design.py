"""Design-based estimation for stratified cluster samples (Taylor linearisation).

:class:`SurveyDesign` holds the data and the sampling design (weights, strata, stage-1 PSUs,
optional stage-1 fpc) and estimates means, totals, proportions, ratios and quantiles with
design-based standard errors, overall or by domain. It follows R's ``survey`` package
(``svydesign(ids=~psu, strata=~strata, weights=~w, fpc=~fpc, nest=TRUE)``) so that results
can be checked digit by digit against R (``tests/fixtures/r/make_golden.R``):

* variance: with-replacement at stage 1 (the "ultimate cluster" estimator), times the
  stage-1 fpc ``(N_h - n_h) / N_h`` when ``fpc`` is given; later stages are not used;
* domains (``by=``, ``where=``, missing analysis values) are estimated by zero-weighting
  outside the domain, never by dropping rows, so every PSU stays in the variance; a ``by``
  whose columns have no non-missing value has no domain and gives an empty table (usual
  columns and dtypes);
* ``df`` is ``degf(subset(design, domain))``: PSUs minus strata among the PSUs that have
  a positive-weight row in the domain;
* CIs use t quantiles on that ``df``; proportions use the logit interval of
  ``svyciprop(method="logit")``; quantiles use ``qrule="math"`` and the Woodruff interval
  of survey 4.1;
* ``deff`` is R's ``deff=TRUE`` (simple random sampling without replacement reference);
* :meth:`SurveyDesign.estimate` returns an :class:`Estimate`: the estimator's table plus every
  row's influence values, with ``vcov()`` (R ``vcov``, ``svyby(covmat=TRUE)``) and
  ``contrast()`` (R ``svycontrast``); :func:`stack` joins estimates of one design, or of
  several samples (rounds) into one stacked design, so that changes are contrasts.

The shared kernels (PSU totals, covariance within strata, t quantiles, tidy tables) live in
:mod:`hhsurvey.engine.kernels`; replicate designs in :mod:`hhsurvey.engine.replicates`, which this module
imports (never the reverse).

The computational core works on PSU-by-domain totals built in one pass over the rows, so all
levels of ``by`` are done at once: ``np.add.reduceat`` over the PSU runs when rows are stored in
PSU order (no ``by``), scipy's CSR-to-dense scatter otherwise (:func:`hhsurvey.engine.kernels.bin_sum`,
:func:`hhsurvey.engine.kernels.psu_domain_totals`), which adds the rows in the same order as ``np.bincount`` (so the
sums are the same to the last bit) but two to three times faster.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import pandas as pd
from scipy import stats

from hhsurvey.engine.kernels import (
    OUTPUT_COLUMNS,
    By,
    Where,
    domain_df,
    logit_ci,
    psu_covariance,
    t_test,
)
from hhsurvey.engine.kernels import Domain as _Domain
from hhsurvey.engine.kernels import DomainStats as _DomainStats
from hhsurvey.engine.kernels import Structure as _Structure
from hhsurvey.engine.kernels import bin_sum as _bin_sum
from hhsurvey.engine.kernels import check_binary as _check_binary
from hhsurvey.engine.kernels import check_level as _check_level
from hhsurvey.engine.kernels import empty_by as _empty_by
from hhsurvey.engine.kernels import group_sum as _group_sum
from hhsurvey.engine.kernels import psu_domain_totals as _psu_domain_totals
from hhsurvey.engine.kernels import quantile_probs as _quantile_probs
from hhsurvey.engine.kernels import tcrit as _tcrit
from hhsurvey.engine.kernels import tidy as _tidy
from hhsurvey.engine.replicates import ReplicateDesign

__all__ = ["OUTPUT_COLUMNS", "LONELY_PSU_RULES", "Estimate", "SurveyDesign", "logit_ci", "stack"]

LonelyPSU = Literal["fail", "remove", "certainty", "adjust"]
LONELY_PSU_RULES: tuple[str, ...] = ("fail", "remove", "certainty", "adjust")
# A stratum whose fpc factor (N_h - n_h) / N_h is below this is self-representing (R's rule).
_SELF_REPRESENTING = 1e-7


# ----------------------------------------------------------------------------- helpers
def _as_list(by: By) -> list[str]:
    if by is None:
        return []
    if isinstance(by, str):
        return [by]
    return list(by)


def _safe_div(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """a / b with NaN (no warning) where b is 0 or NaN."""
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(b != 0, np.asarray(a, dtype=np.float64) / b, np.nan)


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


# ----------------------------------------------------------------------------- internal data
@dataclass(frozen=True, eq=False)
class _CalStep:
    """One post-stratification step as stored by R's postStratify (for the linearisation)."""

    cell: np.ndarray  # (n,) cell codes 0..P-1
    P: int
    psw: np.ndarray  # (n,) weights after this step (0 replaced by 1 where also oldw == 0)
    omega: np.ndarray  # (n,) weights of the cell mean: old weights (postStratify) or 1 (rake)


@dataclass(frozen=True, eq=False)
class _CalBlock:
    """postStratify = one step applied once; rake = its margins cycled 10 times (R)."""

    steps: tuple[_CalStep, ...]
    n_iter: int


class SurveyDesign:
    """A frozen survey design: data plus weights, strata, stage-1 PSUs and fpc.

    Parameters
    ----------
    data : the sample, one row per unit (persons or households).
    weight : column of sampling weights (numeric, finite, >= 0).
    strata : stratum column or None (unstratified).
    psu : stage-1 PSU column or None (element sampling). PSUs are nested in strata
        (R ``nest=TRUE``): the same PSU label in two strata is two PSUs.
    fpc : column with the stage-1 population size of the stratum (number of PSUs, or of
        elements when ``psu`` is None), as R ``svydesign(fpc=)``; values <= 1 are read as
        sampling fractions, as in R. None: sampling with replacement.
    lonely_psu : rule for strata with a single PSU (not self-representing):
        ``"fail"`` (ValueError naming the strata, when an estimate uses them),
        ``"remove"`` / ``"certainty"`` (the stratum adds no variance), or ``"adjust"``
        (the PSU total is centred at the grand mean of all PSU totals, R >= 4.4).
        Singletons that appear only inside a domain are not lonely (R's default
        ``survey.adjust.domain.lonely=FALSE``).
    """

    __slots__ = (
        "_by_cache",
        "_cal",
        "_s",
        "_stats_cache",
        "data",
        "fpc",
        "lonely_psu",
        "psu",
        "strata",
        "weight",
    )

    data: pd.DataFrame
    weight: str
    strata: str | None
    psu: str | None
    fpc: str | None
    lonely_psu: str

    def __init__(
        self,
        data: pd.DataFrame,
        weight: str,
        strata: str | None = None,
        psu: str | None = None,
        fpc: str | None = None,
        lonely_psu: LonelyPSU = "fail",
    ) -> None:
        if not isinstance(data, pd.DataFrame):
            raise TypeError(f"data must be a pandas DataFrame, got {type(data).__name__}")
        if lonely_psu not in LONELY_PSU_RULES:
            raise ValueError(f"lonely_psu must be one of {LONELY_PSU_RULES}, got {lonely_psu!r}")
        missing = [c for c in (weight, strata, psu, fpc) if c is not None and c not in data.columns]
        if missing:
            raise ValueError(f"design columns not in data: {missing}")
        frozen = data.copy(deep=False)  # copy-on-write: later edits of `data` do not leak in
        s = _build_structure(frozen, weight, strata, psu, fpc)
        for name, value in (
            ("data", frozen),
            ("weight", weight),
            ("strata", strata),
            ("psu", psu),
            ("fpc", fpc),
            ("lonely_psu", lonely_psu),
            ("_s", s),
            ("_cal", ()),
            ("_by_cache", {}),
            ("_stats_cache", {}),
        ):
            object.__setattr__(self, name, value)

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError(f"SurveyDesign is immutable; cannot set {name!r}")

    def __repr__(self) -> str:
        s = self._s
        kind = "element sampling" if s.element else f"{s.G} PSUs"
        cal = f", calibrated ({len(self._cal)} step(s))" if self._cal else ""
        fpc = f", fpc={self.fpc!r}" if self.fpc else ", with replacement"
        return (
            f"SurveyDesign(n={s.n}, {s.H} strata, {kind}{fpc}, lonely_psu={self.lonely_psu!r}{cal})"
        )

    def _derive(self, w: np.ndarray, cal: tuple[_CalBlock, ...]) -> SurveyDesign:
        """Same data and design with new weights and calibration blocks (for rake etc.)."""
        new = object.__new__(SurveyDesign)
        w = np.asarray(w, dtype=np.float64)
        w.flags.writeable = False
        s = _replace_weights(self._s, w)
        for name in ("data", "weight", "strata", "psu", "fpc", "lonely_psu"):
            object.__setattr__(new, name, getattr(self, name))
        object.__setattr__(new, "_s", s)
        object.__setattr__(new, "_cal", cal)
        object.__setattr__(new, "_by_cache", self._by_cache)  # domain codes do not depend on w
        object.__setattr__(new, "_stats_cache", {})
        return new

    # ------------------------------------------------------------------ properties
    @property
    def weights(self) -> pd.Series:
        """Analysis weights (after calibration, if any), aligned with ``data``."""
        return pd.Series(self._s.w.copy(), index=self.data.index, name=self.weight)

    @property
    def n_psu(self) -> int:
        """Number of stage-1 PSUs (rows for element sampling)."""
        return self._s.G

    @property
    def n_strata(self) -> int:
        return self._s.H

    @property
    def degf(self) -> int:
        """Design degrees of freedom: PSUs minus strata (positive-weight rows only)."""
        return int(self._stats(self._domain(None, None, []))[0].df[0])

    @property
    def is_calibrated(self) -> bool:
        return bool(self._cal)

    def describe(self) -> pd.DataFrame:
        """One row per stratum: PSUs, rows, weight total, population size, singleton flag."""
        s = self._s
        rows = np.bincount(s.stratum, minlength=s.H)
        wsum = np.bincount(s.stratum, weights=s.w, minlength=s.H)
        out = pd.DataFrame(
            {
                "stratum": s.strata_labels,
                "n_psu": s.n_psu.astype(np.int64),
                "n": rows.astype(np.int64),
                "weight_total": wsum,
                "population_size": s.fpc_pop.astype(np.float64),
                "singleton": s.lonely.copy(),
            }
        )
        out["population_size"] = out["population_size"].where(np.isfinite(out["population_size"]))
        return out

    # ------------------------------------------------------------------ estimators
    def mean(self, y: str, by: By = None, where: Where = None, level: float = 0.95) -> pd.DataFrame:
        """Weighted mean of ``y`` (R ``svymean``), by domain."""
        _check_level(level)
        v = self._numeric(y)
        dom = self._domain(by, where, [v])
        if dom.k == 0:
            return _empty_by(dom.labels)
        st, key = self._stats(dom)
        est, var, yy = self._mean_core(dom, st, key, v, want_sq=True)
        se = np.sqrt(var)
        q = _tcrit(level, st.df)
        deff = _safe_div(var, self._vsrs_mean(st, yy, est))
        return _tidy(dom.labels, est, se, est - q * se, est + q * se, st.df, deff, st.n, st.nw)

    def proportion(
        self, y: str, by: By = None, where: Where = None, level: float = 0.95
    ) -> pd.DataFrame:
        """Proportion of a 0/1 (or boolean) variable with the logit CI of ``svyciprop``."""
        _check_level(level)
        v = self._numeric(y)
        _check_binary(v, y)
        dom = self._domain(by, where, [v])
        if dom.k == 0:
            return _empty_by(dom.labels)
        st, key = self._stats(dom)
        est, var, yy = self._mean_core(dom, st, key, v, want_sq=True)
        se = np.sqrt(var)
        lo, hi = logit_ci(est, se, st.df, level)
        deff = _safe_div(var, self._vsrs_mean(st, yy, est))
        return _tidy(dom.labels, est, se, lo, hi, st.df, deff, st.n, st.nw)

    def total(
        self, y: str, by: By = None, where: Where = None, level: float = 0.95
    ) -> pd.DataFrame:
        """Weighted total of ``y`` (R ``svytotal``), by domain."""
        _check_level(level)
        v = self._numeric(y)
        dom = self._domain(by, where, [v])
        if dom.k == 0:
            return _empty_by(dom.labels)
        st, key = self._stats(dom)
        y0 = v if dom.active is None else np.where(dom.active, v, 0.0)
        wy = dom.we * y0
        if self._fast(dom):
            Ty = self._psu_totals(dom, key, wy)
            est = Ty.sum(axis=0)
            var = self._var_psu_totals(Ty, st.present)
        else:
            est = self._dom_sum(dom, wy)
            var = self._var_rows([wy], [np.ones(dom.k)], dom, st)
        yy = self._dom_sum(dom, wy * y0)
        mean = est / st.nw
        vsrs = self._vsrs_mean(st, yy, mean) * st.nw**2
        se = np.sqrt(var)
        q = _tcrit(level, st.df)
        return _tidy(
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
        self,
        numerator: str,
        denominator: str,
        by: By = None,
        where: Where = None,
        level: float = 0.95,
    ) -> pd.DataFrame:
        """Ratio of totals ``sum(w y) / sum(w x)`` (R ``svyratio``), by domain."""
        _check_level(level)
        vy, vx = self._numeric(numerator), self._numeric(denominator)
        dom = self._domain(by, where, [vy, vx])
        if dom.k == 0:
            return _empty_by(dom.labels)
        st, key = self._stats(dom)
        if dom.active is not None:
            vy, vx = np.where(dom.active, vy, 0.0), np.where(dom.active, vx, 0.0)
        wy, wx = dom.we * vy, dom.we * vx
        if self._fast(dom):
            Ty, Tx = self._psu_totals(dom, key, wy), self._psu_totals(dom, key, wx)
            Y, X = Ty.sum(axis=0), Tx.sum(axis=0)
            with np.errstate(divide="ignore", invalid="ignore"):
                r = Y / X
                var = self._var_psu_totals((Ty - r * Tx) / X, st.present)
        else:
            Y, X = self._dom_sum(dom, wy), self._dom_sum(dom, wx)
            with np.errstate(divide="ignore", invalid="ignore"):
                r = Y / X
            var = self._var_rows([wy, wx], [1.0 / X, -r / X], dom, st)
        # deff: svytotal(r_i, deff=TRUE) of the linearised variable r_i = (y - R x) / X
        syy = self._dom_sum(dom, wy * vy)
        ssq = syy - 2 * r * self._dom_sum(dom, wy * vx) + r**2 * self._dom_sum(dom, wx * vx)
        if np.any(ssq < 1e-9 * np.abs(syy)):
            resid = vy - r[dom.codes] * vx if dom.codes is not None else vy - r[0] * vx
            ssq = self._dom_sum(dom, dom.we * resid * resid)
        with np.errstate(divide="ignore", invalid="ignore"):
            s2 = ssq / st.nw * st.n / (st.n - 1) / X**2
            vsrs = s2 * st.nw**2 * (st.nw - st.n) / (st.nw * st.n)
        se = np.sqrt(var)
        q = _tcrit(level, st.df)
        return _tidy(
            dom.labels, r, se, r - q * se, r + q * se, st.df, _safe_div(var, vsrs), st.n, st.nw
        )

    def quantile(
        self,
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
        _check_level(level)
        v = self._numeric(y)
        dom = self._domain(by, where, [v])
        if dom.k == 0:
            return _empty_by(dom.labels, q)
        st, _ = self._stats(dom)
        out = self._quantile_frames(v, q, dom, st, level, self._woodruff_mean)
        return out

    def estimate(
        self,
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
        :func:`stack` joins estimates (of one design, or of several rounds) into one.
        """
        if kind == "ratio":
            if denominator is None:
                raise ValueError("estimate('ratio', ...) needs a denominator column")
            table = self.ratio(y, denominator, by=by, where=where, level=level)
            vx = self._numeric(denominator)
            values = [self._numeric(y), vx]
        elif kind in ("mean", "proportion", "total"):
            if denominator is not None:
                raise ValueError(f"estimate({kind!r}, ...) takes no denominator")
            table = getattr(self, kind)(y, by=by, where=where, level=level)
            vx = None
            values = [self._numeric(y)]
        else:
            raise ValueError(f"kind must be 'mean', 'proportion', 'total' or 'ratio', got {kind!r}")
        dom = self._domain(by, where, values)
        U, member = self._influence(kind, values[0], vx, dom)
        return Estimate(self, table, U, member, level)

    # ------------------------------------------------------------------ design operations
    def poststratify(
        self, totals: pd.Series | Mapping[str, pd.Series], partial: bool = False
    ) -> SurveyDesign:
        """Post-stratify to population counts (R ``postStratify``); returns a new design.

        ``totals`` is a pandas Series of population counts indexed by the post-stratum
        level(s): its ``index.names`` name the data columns (a MultiIndex cross-classifies
        several columns). A one-entry mapping ``{column: Series}`` is accepted too. Cells
        in the sample but not in ``totals`` are an error; cells in ``totals`` but not in
        the sample are an error unless ``partial=True`` (then ignored, as R).
        The variance uses R's linearisation (residuals from post-stratum means).
        """
        series = _totals_series(totals)
        step, new_w = self._ps_step(series, self._s.w, partial)
        return self._derive(new_w, (*self._cal, _CalBlock((step,), 1)))

    def rake(
        self,
        margins: Mapping[str, pd.Series] | Sequence[pd.Series],
        max_iter: int = 10,
        epsilon: float = 1.0,
    ) -> SurveyDesign:
        """Rake to marginal population counts (R ``rake``); returns a new design.

        ``margins`` maps each column (or tuple of columns) to a Series of population counts
        by level, or is a sequence of such Series whose ``index.names`` name the columns.
        Iterative proportional fitting stops, as R does, when the weighted cross-table of
        all margin variables changes by less than ``epsilon`` (absolute; a value < 1 is a
        fraction of the weight total) or after ``max_iter`` sweeps (warning). The variance
        uses R's raking linearisation (10 sweeps of margin-mean residuals).
        """
        if isinstance(margins, Mapping):
            series = [_totals_series({k: v}) for k, v in margins.items()]
        else:
            series = [_totals_series(m) for m in margins]
        if not series:
            raise ValueError("rake needs at least one margin")
        w = self._s.w
        eps = epsilon * float(w.sum()) if epsilon < 1 else float(epsilon)
        allcols = list(dict.fromkeys(c for s in series for c in s.index.names))
        joint, _, _, _ = self._by_codes(allcols)

        def table(wt: np.ndarray) -> np.ndarray:
            return np.bincount(joint, weights=wt, minlength=int(joint.max()) + 1)

        old = table(w)
        converged, it, steps = False, 0, ()
        while it < max_iter:
            new_steps = []
            for s in series:
                step, w = self._ps_step(s, w, False)
                new_steps.append(_CalStep(step.cell, step.P, step.psw, np.ones(self._s.n)))
            steps = tuple(new_steps)
            new = table(w)
            if np.max(np.abs(old - new)) < eps:
                converged = True
                break
            old = new
            it += 1
        if not converged:
            warnings.warn(
                f"Raking did not converge after {it} iterations.", RuntimeWarning, stacklevel=2
            )
        return self._derive(w, (*self._cal, _CalBlock(steps, 10)))

    def replicates(
        self,
        method: Literal["jkn", "bootstrap"] = "jkn",
        n: int | None = None,
        seed: int | np.random.Generator | None = None,
        mse: bool = False,
    ) -> ReplicateDesign:
        """Replicate-weight version of this design (same estimator API).

        ``"jkn"``: stratified delete-one-PSU jackknife, R ``as.svrepdesign(type="JKn")``
        (fpc enters through ``rscales``; ``n`` must be None). ``"bootstrap"``: Rao-Wu
        rescaling bootstrap drawing n_h - 1 PSUs with replacement in each stratum, which is
        R ``as.svrepdesign(type="subbootstrap")``; ``n`` replicates (default 500), fpc
        ignored. ``mse=False`` centres replicates at their mean (R default).
        """
        return ReplicateDesign.from_design(self, method=method, n=n, seed=seed, mse=mse)

    def with_replicate_weights(
        self,
        repweights: np.ndarray | pd.DataFrame | Sequence[str],
        scale: float,
        rscales: np.ndarray | Sequence[float] | None = None,
        mse: bool = False,
        df: float | None = None,
        method: str = "other",
    ) -> ReplicateDesign:
        """This sample with given replicate weights, as R ``svrepdesign(repweights=, weights=)``.

        ``repweights``: an (n, R) array, a DataFrame, or column names of ``data`` (combined
        weights: full weight x adjustment). ``scale``/``rscales`` as R; ``df`` defaults to
        R's rule, the rank of the replicate weights minus 1.
        """
        return ReplicateDesign.from_weights(
            self, repweights, scale, rscales=rscales, mse=mse, df=df, method=method
        )

    def logistic(
        self,
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
        _check_level(level)
        Xm, names = _model_matrix(self.data, X)
        v = self._numeric(y)
        _check_binary(v, y)
        dom = self._domain(None, where, [v, *Xm.T])
        st, _ = self._stats(dom)
        act = np.ones(self._s.n, dtype=bool) if dom.active is None else dom.active
        y0 = np.where(act, v, 0.0)
        Xa = np.where(act[:, None], Xm, 0.0)
        beta, mu = _fit_logistic(Xa, y0, dom.we)
        info = Xa.T @ (Xa * (dom.we * mu * (1.0 - mu))[:, None])
        U = (Xa * (dom.we * (y0 - mu))[:, None]) @ np.linalg.inv(info)
        cov = self._cov_dense(U, st.present[:, 0])
        se = np.sqrt(np.diag(cov))
        df = float(st.df[0]) + 1.0 - len(beta)
        q = _tcrit(level, df)
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

    # ------------------------------------------------------------------ internals: inputs
    def _numeric(self, col: str) -> np.ndarray:
        """Analysis column as float64 (NaN = missing); ValueError if not numeric."""
        if col not in self.data.columns:
            raise ValueError(f"column {col!r} not in data")
        s = self.data[col]
        if pd.api.types.is_bool_dtype(s.dtype) or pd.api.types.is_numeric_dtype(s.dtype):
            return s.to_numpy(dtype=np.float64, na_value=np.nan)
        raise ValueError(f"column {col!r} must be numeric or boolean, has dtype {s.dtype}")

    def _where_mask(self, where: Where) -> np.ndarray:
        """Boolean subpopulation mask; missing counts as outside (as R subset())."""
        if isinstance(where, str):
            if where not in self.data.columns:
                raise ValueError(f"where column {where!r} not in data")
            m = self.data[where]
        elif isinstance(where, pd.Series):
            if not where.index.equals(self.data.index):
                raise ValueError("where Series must have the same index as the design data")
            m = where
        else:
            m = pd.Series(np.asarray(where))
            if len(m) != self._s.n:
                raise ValueError(f"where has length {len(m)}, data has {self._s.n} rows")
        if not (pd.api.types.is_bool_dtype(m.dtype) or pd.api.types.is_numeric_dtype(m.dtype)):
            raise ValueError(f"where must be boolean or 0/1, has dtype {m.dtype}")
        arr = m.to_numpy(dtype=np.float64, na_value=np.nan)
        bad = arr[~np.isnan(arr) & (arr != 0) & (arr != 1)]
        if len(bad):
            raise ValueError(f"where must be boolean or 0/1; found {np.unique(bad)[:5].tolist()}")
        return arr == 1.0

    def _by_codes(
        self, by: list[str]
    ) -> tuple[np.ndarray, pd.DataFrame, np.ndarray | None, np.ndarray | None]:
        """Domain codes (sorted levels present in data), labels, missing-level mask, and the
        rows per level (non-missing rows; None when not counted)."""
        key = tuple(by)
        hit = self._by_cache.get(key)
        if hit is not None:
            return hit
        missing = [c for c in by if c not in self.data.columns]
        if missing:
            raise ValueError(f"by columns not in data: {missing}")
        if len(by) == 1:
            codes, levels, counts = _factorize_counted(self.data[by[0]])
            miss = codes < 0
            anymiss = bool(miss.any())
            codes = np.where(miss, 0, codes) if anymiss else codes
            codes = np.ascontiguousarray(codes, dtype=np.int64)
            codes.flags.writeable = False
            labels1 = pd.DataFrame({by[0]: pd.Series(levels).reset_index(drop=True)})
            out1 = (codes, labels1, miss if anymiss else None, counts)
            self._by_cache[key] = out1
            return out1
        codes_list, levels_list = zip(*(_factorize(self.data[c]) for c in by), strict=True)
        sizes = [len(lv) for lv in levels_list]
        combined = np.zeros(self._s.n, dtype=np.int64)
        bad = np.zeros(self._s.n, dtype=bool)
        for c, size in zip(codes_list, sizes, strict=True):
            bad |= c < 0
            combined = combined * size + np.maximum(c, 0)
        span = math.prod(sizes) if sizes else 1
        counts = None
        if span <= 50_000_000:
            cnt = np.bincount(combined[~bad] if bad.any() else combined, minlength=span)
            present = cnt > 0
            combos = np.flatnonzero(present)
            counts = cnt[combos]
            remap = np.cumsum(present) - 1
            codes = remap[combined] if len(combos) < span else combined
        else:
            combos, codes = np.unique(combined[~bad], return_inverse=True)
            full = np.zeros(self._s.n, dtype=np.int64)
            full[~bad] = codes
            codes = full
        labels = {}
        rest = combos.copy()
        for col, lv, size in reversed(list(zip(by, levels_list, sizes, strict=True))):
            labels[col] = lv.take(rest % size) if size else lv
            rest //= max(size, 1)
        labels_df = pd.DataFrame({c: pd.Series(labels[c]).reset_index(drop=True) for c in by})
        codes = np.ascontiguousarray(codes, dtype=np.int64)
        codes.flags.writeable = False
        out = (codes, labels_df, bad if bad.any() else None, counts)
        self._by_cache[key] = out
        return out

    def _domain(self, by: By, where: Where, values: list[np.ndarray]) -> _Domain:
        """Zero-weighting for a call: missing values, where= and by= combined."""
        s = self._s
        active: np.ndarray | None = None
        for v in values:
            nan = np.isnan(v)
            if nan.any():
                active = ~nan if active is None else active & ~nan
        by_list = _as_list(by)
        cacheable = active is None and where is None
        if where is not None:
            wm = self._where_mask(where)
            active = wm if active is None else active & wm
        if by_list:
            codes, labels, bymiss, counts = self._by_codes(by_list)
            if bymiss is not None:
                active = ~bymiss if active is None else active & ~bymiss
            k = len(labels)
        else:
            codes, labels, k, counts = None, None, 1, None
        we = s.w if active is None else np.where(active, s.w, 0.0)
        return _Domain(k, codes, labels, active, we, tuple(by_list) if cacheable else None, counts)

    # ------------------------------------------------------------------ internals: sums
    def _fast(self, dom: _Domain) -> bool:
        """PSU-total fast path: clustered, not calibrated."""
        return not self._s.element and not self._cal

    def _key(self, dom: _Domain) -> np.ndarray | None:
        """PSU x domain key for the PSU-by-domain totals (None: not needed, see below)."""
        s = self._s
        if dom.codes is None:
            return s.psu
        if s.psu_starts is not None:  # PSU-ordered rows: totals from the PSU runs, no key
            return None
        return s.psu * dom.k + dom.codes

    def _psu_totals(self, dom: _Domain, key: np.ndarray | None, values: np.ndarray) -> np.ndarray:
        """(G, k) PSU-by-domain totals of row values."""
        return _psu_domain_totals(self._s, dom.codes, dom.k, values, key)

    def _dom_sum(self, dom: _Domain, values: np.ndarray) -> np.ndarray:
        """(k,) domain totals of row values."""
        if dom.codes is None:
            return np.array([values.sum()])
        return _bin_sum(dom.codes, values, dom.k)

    def _stats(self, dom: _Domain) -> tuple[_DomainStats, np.ndarray | None]:
        """Counts, weight totals, df and stratum presence per domain (cached when possible)."""
        if dom.cache_key is not None and dom.cache_key in self._stats_cache:
            return self._stats_cache[dom.cache_key]
        s = self._s
        if dom.active is None:
            pos = None if s.all_pos else s.w > 0
        else:
            pos = dom.active if s.all_pos else dom.active & (s.w > 0)
        if s.element:
            hk = s.stratum if dom.codes is None else s.stratum * dom.k + dom.codes
            if pos is None:
                cnt = np.bincount(hk, minlength=s.H * dom.k).reshape(s.H, dom.k)
            else:
                cnt = np.bincount(hk[pos], minlength=s.H * dom.k).reshape(s.H, dom.k)
            n = cnt.sum(axis=0)
            present = cnt > 0
            df = n - present.sum(axis=0)
            nw = self._dom_sum(dom, dom.we)
            Tw, key = None, None
        else:
            key = self._key(dom) if dom.codes is not None else None
            Tw = self._psu_totals(dom, key, dom.we)
            if dom.codes is None:
                n = np.array([s.n if pos is None else np.count_nonzero(pos)])
            elif pos is None and dom.level_counts is not None:
                n = dom.level_counts  # rows per level, counted when the by column was coded
            else:
                n = np.bincount(dom.codes if pos is None else dom.codes[pos], minlength=dom.k)
            # a PSU has a positive-weight domain row iff its domain weight total is > 0
            hasrow = Tw > 0
            present = np.add.reduceat(hasrow, s.stratum_starts, axis=0) > 0
            df = hasrow.sum(axis=0) - present.sum(axis=0)
            nw = Tw.sum(axis=0)
        st = _DomainStats(Tw, n.astype(np.int64), nw, df.astype(np.float64), present)
        out = (st, key)
        if dom.cache_key is not None:
            self._stats_cache[dom.cache_key] = out
        return out

    def _mean_core(
        self,
        dom: _Domain,
        st: _DomainStats,
        key: np.ndarray | None,
        v: np.ndarray,
        want_sq: bool = False,
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
        """Domain means, their variances and (optionally) sum of w y^2 per domain."""
        y0 = v if dom.active is None else np.where(dom.active, v, 0.0)
        wy = dom.we * y0
        N = st.nw
        if self._fast(dom):
            Ty = self._psu_totals(dom, key, wy)
            with np.errstate(divide="ignore", invalid="ignore"):
                est = Ty.sum(axis=0) / N
                var = self._var_psu_totals((Ty - est * st.Tw) / N, st.present)
        else:
            with np.errstate(divide="ignore", invalid="ignore"):
                est = self._dom_sum(dom, wy) / N
                var = self._var_rows([wy, dom.we], [1.0 / N, -est / N], dom, st)
        yy = None
        if want_sq:
            if dom.codes is None:
                yy = np.array([np.dot(wy, y0)])
            else:
                yy = _bin_sum(dom.codes, wy * y0, dom.k)
            # guard against cancellation in sum(w y^2)/N - mean^2
            with np.errstate(divide="ignore", invalid="ignore"):
                s2 = yy / N - est**2
                cancel = np.any((s2 < 1e-9 * np.abs(yy / N)) & (N > 0))
            if cancel:
                c = y0 - (est[dom.codes] if dom.codes is not None else est[0])
                with np.errstate(invalid="ignore"):
                    yy = self._dom_sum(dom, dom.we * c * c) + N * est**2
        return est, var, yy

    def _vsrs_mean(self, st: _DomainStats, yy: np.ndarray, est: np.ndarray) -> np.ndarray:
        """SRSWOR variance of a mean of the same size (R ``deff=TRUE`` reference)."""
        N, n = st.nw, st.n.astype(np.float64)
        with np.errstate(divide="ignore", invalid="ignore"):
            s2 = (yy / N - est**2) * n / (n - 1)
            out = s2 * (N - n) / (N * n)
        return np.where(N < n, np.nan, out)

    # ------------------------------------------------------------------ internals: variance
    def _var_psu_totals(self, T: np.ndarray, present: np.ndarray) -> np.ndarray:
        """Variance per column of the (G, k) PSU totals of a linearised score."""
        s = self._s
        S1 = np.add.reduceat(T, s.stratum_starts, axis=0)
        mean = S1 / s.n_psu[:, None]
        dev = T - mean[s.psu_stratum]
        S2 = np.add.reduceat(dev * dev, s.stratum_starts, axis=0)
        return self._combine(S1, S2, present)

    def _combine(self, S1: np.ndarray, S2: np.ndarray, present: np.ndarray) -> np.ndarray:
        """Sum stratum contributions; apply the lonely-PSU rule to singleton strata."""
        s = self._s
        var = s.cfac @ S2
        if s.lonely.any():
            self._check_lonely(present)
            if self.lonely_psu == "adjust":
                npsu = s.n_psu[:, None] * present
                with np.errstate(invalid="ignore", divide="ignore"):
                    grand = S1.sum(axis=0) / npsu.sum(axis=0)
                lon = np.flatnonzero(s.lonely)
                dev = S1[lon] - grand
                contrib = (s.one_minus_f[lon, None] * dev * dev) * present[lon]
                var = var + contrib.sum(axis=0)
        return var

    def _cal_corrections(self, z: np.ndarray, codes: np.ndarray | None, k: int) -> list[np.ndarray]:
        """R's calibration residualisation in closed form: (P_s, k) cell corrections.

        The residualised score is x_i = z_i + sum_s psw_s(i) C_s[cell_s(i)], where each
        step replaces x by x - psw_s * (omega-weighted cell mean of x / psw_s).
        """
        steps = [st for b in self._cal for st in b.steps]
        dense = z.ndim == 2

        def cellsum(step: _CalStep, vals: np.ndarray) -> np.ndarray:
            if dense:
                return np.stack(
                    [
                        np.bincount(step.cell, weights=vals * z[:, j], minlength=step.P)
                        for j in range(k)
                    ],
                    1,
                )
            key = step.cell if codes is None else step.cell * k + codes
            return np.bincount(key, weights=vals * z, minlength=step.P * k).reshape(step.P, k)

        ratio = [st.omega / st.psw for st in steps]
        A = [cellsum(st, r) for st, r in zip(steps, ratio, strict=True)]
        omega_tot = [np.bincount(st.cell, weights=st.omega, minlength=st.P) for st in steps]
        B = {}
        for i, si in enumerate(steps):
            for j, sj in enumerate(steps):
                B[i, j] = np.bincount(
                    si.cell * sj.P + sj.cell, weights=ratio[i] * sj.psw, minlength=si.P * sj.P
                ).reshape(si.P, sj.P)
        C = [np.zeros((st.P, k)) for st in steps]
        idx = 0
        for block in self._cal:
            ids = list(range(idx, idx + len(block.steps)))
            idx += len(block.steps)
            for _ in range(block.n_iter):
                for i in ids:
                    M = A[i] + sum(B[i, j] @ C[j] for j in range(len(steps)))
                    with np.errstate(invalid="ignore", divide="ignore"):
                        M = np.where(omega_tot[i][:, None] > 0, M / omega_tot[i][:, None], 0.0)
                    C[i] = C[i] - M
        return C

    def _var_rows(
        self, parts: list[np.ndarray], coefs: list[np.ndarray], dom: _Domain, st: _DomainStats
    ) -> np.ndarray:
        """Variance of the row score z_i = sum_j coefs_j[d_i] parts_j[i] (general path)."""
        s = self._s
        if dom.codes is None:
            z = sum(
                np.asarray(c, dtype=np.float64)[0] * p for c, p in zip(coefs, parts, strict=True)
            )
        else:
            z = sum(
                np.asarray(c, dtype=np.float64)[dom.codes] * p
                for c, p in zip(coefs, parts, strict=True)
            )
        z = np.nan_to_num(np.asarray(z, dtype=np.float64), nan=0.0, posinf=0.0, neginf=0.0)
        k = dom.k
        if self._cal:
            C = self._cal_corrections(z, dom.codes, k)
            steps = [x for b in self._cal for x in b.steps]
            if not s.element:
                key = s.psu if dom.codes is None else s.psu * k + dom.codes
                T = np.bincount(key, weights=z, minlength=s.G * k).reshape(s.G, k)
                for step, Cs in zip(steps, C, strict=True):
                    E = np.bincount(
                        s.psu * step.P + step.cell, weights=step.psw, minlength=s.G * step.P
                    )
                    T = T + E.reshape(s.G, step.P) @ Cs
                var = self._var_psu_totals(T, st.present)
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
                    var[a:b] = self._var_psu_totals(X[s.elem_order], st.present[:, a:b])
        elif not s.element:
            key = s.psu if dom.codes is None else s.psu * k + dom.codes
            T = np.bincount(key, weights=z, minlength=s.G * k).reshape(s.G, k)
            var = self._var_psu_totals(T, st.present)
        else:
            hk = s.stratum if dom.codes is None else s.stratum * k + dom.codes
            S1 = np.bincount(hk, weights=z, minlength=s.H * k).reshape(s.H, k)
            m = S1 / s.n_psu[:, None]
            cnt = np.bincount(hk, minlength=s.H * k).reshape(s.H, k)
            c = z - m.reshape(-1)[hk]
            S2 = np.bincount(hk, weights=c * c, minlength=s.H * k).reshape(s.H, k)
            S2 = S2 + (s.n_psu[:, None] - cnt) * m * m
            var = self._combine(S1, S2, st.present)
        return np.where(st.nw > 0, var, np.nan)

    def _cov_dense(self, U: np.ndarray, present: np.ndarray) -> np.ndarray:
        """Covariance matrix of the totals of dense row scores U (n, p), e.g. GLM scores."""
        s = self._s
        p = U.shape[1]
        if self._cal:
            C = self._cal_corrections(U, None, p)
            steps = [x for b in self._cal for x in b.steps]
            U = U + sum(
                step.psw[:, None] * Cs[step.cell] for step, Cs in zip(steps, C, strict=True)
            )
        if s.element:
            T = U[s.elem_order]
        else:
            T = np.stack([_group_sum(s.psu, U[:, j], s.G, s.psu_starts) for j in range(p)], axis=1)
        S1 = np.add.reduceat(T, s.stratum_starts, axis=0)
        dev = T - (S1 / s.n_psu[:, None])[s.psu_stratum]
        cov = (dev * s.cfac[s.psu_stratum][:, None]).T @ dev
        self._check_lonely(present[:, None])
        if self.lonely_psu == "adjust" and s.lonely.any():
            npsu = (s.n_psu * present).sum()
            grand = S1.sum(axis=0) / npsu
            for h in np.flatnonzero(s.lonely & present):
                d = S1[h] - grand
                cov = cov + s.one_minus_f[h] * np.outer(d, d)
        return cov

    def _influence(
        self, kind: str, v: np.ndarray, vx: np.ndarray | None, dom: _Domain
    ) -> tuple[np.ndarray, np.ndarray]:
        """(n, k) influence values of a linear estimator per domain, and (n, k) membership.

        mean, proportion: w (y - mean_d) / N_d; total: w y; ratio: w (y - r_d x) / X_d, in the
        column of the row's domain (zero outside the domain and for missing values), then the
        calibration residualisation when the design is calibrated. These are the scores whose
        PSU totals give every variance of the engine.
        """
        s, k = self._s, dom.k
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
                Y, X = self._dom_sum(dom, wy), self._dom_sum(dom, dom.we * x0)
                r = Y / X
                z = dom.we * (y0 - r[codes] * x0) / X[codes]
            else:
                N = self._dom_sum(dom, dom.we)
                m = self._dom_sum(dom, wy) / N
                z = dom.we * (y0 - m[codes]) / N[codes]
        z = np.nan_to_num(z, nan=0.0, posinf=0.0, neginf=0.0)
        U = np.zeros((s.n, k))
        U[np.arange(s.n), codes] = z
        if self._cal:
            C = self._cal_corrections(U, None, k)
            steps = [x for b in self._cal for x in b.steps]
            U = U + sum(
                step.psw[:, None] * Cs[step.cell] for step, Cs in zip(steps, C, strict=True)
            )
        member = np.zeros((s.n, k), dtype=bool)
        inside = act & (s.w > 0)
        member[np.flatnonzero(inside), codes[inside]] = True
        return U, member

    def _check_lonely(self, present: np.ndarray) -> None:
        """ValueError naming singleton strata used by an estimate (lonely_psu='fail')."""
        s = self._s
        if self.lonely_psu != "fail" or not s.lonely.any():
            return
        used = s.lonely[:, None] & present
        if used.any():
            bad = s.strata_labels[np.flatnonzero(used.any(axis=1))].tolist()
            raise ValueError(
                f"Stratum {bad} has only one PSU (lonely_psu='fail'); "
                "use lonely_psu='remove', 'certainty' or 'adjust'"
            )

    # ------------------------------------------------------------------ internals: quantiles
    def _woodruff_mean(
        self, dom: _Domain, st: _DomainStats, u: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray]:
        """Domain mean of the indicator and its SE (Taylor)."""
        key = self._key(dom) if dom.codes is not None and self._fast(dom) else None
        est, var, _ = self._mean_core(dom, st, key, u)
        return est, np.sqrt(var)

    def _quantile_frames(
        self,
        v: np.ndarray,
        q: float | Sequence[float],
        dom: _Domain,
        st: _DomainStats,
        level: float,
        prop_se: Callable[[_Domain, _DomainStats, np.ndarray], tuple[np.ndarray, np.ndarray]],
    ) -> pd.DataFrame:
        """Quantiles and Woodruff CIs for every domain (shared with replicate designs)."""
        qs = _quantile_probs(q)
        s = self._s
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
        tq = _tcrit(level, st.df)
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
            out = _tidy(dom.labels, qhat, se, lo, hi, st.df, np.full(dom.k, np.nan), st.n, st.nw)
            if not np.isscalar(q) and np.ndim(q) > 0:
                out.insert(0, "p", p)
            frames.append(out)
        return pd.concat(frames, ignore_index=True) if len(frames) > 1 else frames[0]

    # ------------------------------------------------------------------ internals: calibration
    def _ps_step(
        self, totals: pd.Series, w: np.ndarray, partial: bool
    ) -> tuple[_CalStep, np.ndarray]:
        """One postStratify: scale weights in each cell to its population count."""
        cols = list(totals.index.names)
        for c in cols:
            if c is None or c not in self.data.columns:
                raise ValueError(
                    f"population totals index must be named after data columns, got {cols}"
                )
        codes, labels, miss, _ = self._by_codes(cols)
        if miss is not None:
            raise ValueError(f"missing values in post-stratification column(s) {cols}")
        P = len(labels)
        samp = np.bincount(codes, weights=w, minlength=P)
        cell_keys = pd.MultiIndex.from_frame(labels) if len(cols) > 1 else pd.Index(labels[cols[0]])
        pop_index = totals.index if len(cols) > 1 else pd.Index(totals.index)
        pos = pop_index.get_indexer(cell_keys)
        if np.any(pos < 0):
            absent = [cell_keys[i] for i in np.flatnonzero(pos < 0)]
            raise ValueError(
                f"post-strata in the sample but not in the population totals: {absent[:10]}"
            )
        pop = totals.to_numpy(dtype=np.float64)[pos]
        only_pop = np.setdiff1d(np.arange(len(totals)), pos)
        only_pop = only_pop[totals.to_numpy(dtype=np.float64)[only_pop] > 0]
        if len(only_pop) and not partial:
            raise ValueError(
                f"population cells absent from the sample: {list(totals.index[only_pop])[:10]}; use partial=True to ignore them"
            )
        if np.any(np.isnan(pop)) or np.any(pop < 0):
            raise ValueError("population totals must be non-negative numbers")
        with np.errstate(divide="ignore", invalid="ignore"):
            g = np.where(samp > 0, pop / samp, 0.0)
        if np.any((samp == 0) & (pop > 0)):
            raise ValueError(
                "a post-stratum has zero sample weight but a positive population count"
            )
        new_w = w * g[codes]
        psw = np.where((new_w == 0) & (w == 0), 1.0, new_w)
        return _CalStep(np.asarray(codes), P, psw, w.copy()), new_w


# ----------------------------------------------------------------------------- construction
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
    else:
        warnings.warn(
            "logistic: Newton-Raphson did not converge (separation?)", RuntimeWarning, stacklevel=3
        )
    mu = 1.0 / (1.0 + np.exp(-(X @ beta)))
    return beta, mu


def _factorize(col: pd.Series) -> tuple[np.ndarray, pd.Index]:
    """Codes (-1 = missing) and sorted levels present in the column."""
    codes, levels, _ = _factorize_counted(col)
    return codes, levels


def _factorize_counted(col: pd.Series) -> tuple[np.ndarray, pd.Index, np.ndarray | None]:
    """:func:`_factorize` plus the rows per level when they come for free (else None)."""
    if isinstance(col.dtype, pd.CategoricalDtype):
        cats = col.cat.categories
        raw = col.cat.codes.to_numpy().astype(np.int64)
        cnt = np.bincount(raw[raw >= 0], minlength=len(cats))
        present = cnt > 0
        order = np.arange(len(cats)) if col.cat.ordered else np.asarray(cats.argsort())
        order = order[present[order]]
        remap = np.full(len(cats), -1, dtype=np.int64)
        remap[order] = np.arange(len(order))
        codes = np.where(raw >= 0, remap[np.maximum(raw, 0)], -1)
        return codes, cats.take(order), cnt[order]
    arr = col.to_numpy()
    if arr.dtype.kind in "iu" and len(arr):
        lo, hi = int(arr.min()), int(arr.max())
        if hi - lo <= 10 * len(arr) + 1_000_000:
            c = arr - lo if arr.dtype == np.int64 else arr.astype(np.int64) - lo
            cnt = np.bincount(c, minlength=hi - lo + 1)
            present = cnt > 0
            if present.all():
                return c, pd.Index(np.arange(lo, hi + 1).astype(arr.dtype)), cnt
            levels = np.flatnonzero(present) + lo
            codes = (np.cumsum(present) - 1)[c]
            return codes, pd.Index(levels.astype(arr.dtype)), cnt[present]
    codes, uniques = pd.factorize(col, sort=True, use_na_sentinel=True)
    return np.asarray(codes, dtype=np.int64), pd.Index(uniques), None


def _build_structure(
    data: pd.DataFrame, weight: str, strata: str | None, psu: str | None, fpc: str | None
) -> _Structure:
    """Validate the design columns and compute the arrays used by every estimate."""
    n = len(data)
    if n == 0:
        raise ValueError("data has no rows")
    wcol = data[weight]
    if pd.api.types.is_bool_dtype(wcol.dtype) or not pd.api.types.is_numeric_dtype(wcol.dtype):
        raise ValueError(f"weight column {weight!r} must be numeric, has dtype {wcol.dtype}")
    w = wcol.to_numpy(dtype=np.float64, na_value=np.nan)
    bad = np.flatnonzero(np.isnan(w))
    if len(bad):
        raise ValueError(
            f"weight column {weight!r} has {len(bad)} missing value(s), e.g. rows {data.index[bad[:5]].tolist()}"
        )
    bad = np.flatnonzero(~np.isfinite(w) | (w < 0))
    if len(bad):
        raise ValueError(
            f"weight column {weight!r} has {len(bad)} negative or infinite value(s): {w[bad[:5]].tolist()} "
            f"at rows {data.index[bad[:5]].tolist()}"
        )
    if strata is not None:
        if data[strata].isna().any():
            rows = data.index[data[strata].isna().to_numpy()][:5].tolist()
            raise ValueError(f"strata column {strata!r} has missing values, e.g. rows {rows}")
        hcodes, hlabels = _factorize(data[strata])
    else:
        hcodes, hlabels = np.zeros(n, dtype=np.int64), pd.Index([1])
    H = len(hlabels)
    element = psu is None
    if element:
        order = np.argsort(hcodes, kind="stable")
        psu_codes = np.empty(n, dtype=np.int64)
        psu_codes[order] = np.arange(n)
        psu_stratum = hcodes[order]
        G = n
        elem_order = order
    else:
        if data[psu].isna().any():
            rows = data.index[data[psu].isna().to_numpy()][:5].tolist()
            raise ValueError(f"psu column {psu!r} has missing values, e.g. rows {rows}")
        pcodes, plabels = _factorize(data[psu])
        pair = hcodes * len(plabels) + pcodes  # PSUs nested in strata
        span = H * len(plabels)
        if span <= 50_000_000:  # O(n) numbering; PSUs numbered in (stratum, psu) order
            seen = np.bincount(pair, minlength=span) > 0
            uniq = np.flatnonzero(seen)
            psu_codes = (np.cumsum(seen) - 1)[pair]
        else:
            uniq, inv = np.unique(pair, return_inverse=True)  # sorted => grouped by stratum
            psu_codes = inv.astype(np.int64)
        psu_stratum = (uniq // len(plabels)).astype(np.int64)
        G = len(uniq)
        elem_order = None
    n_psu = np.bincount(psu_stratum, minlength=H).astype(np.float64)
    stratum_starts = np.concatenate([[0], np.cumsum(n_psu)[:-1]]).astype(np.int64)
    starts = None
    if not element and n > 1 and bool(np.all(psu_codes[1:] >= psu_codes[:-1])):
        starts = np.concatenate([[0], np.flatnonzero(np.diff(psu_codes)) + 1])
    # fpc: stage-1 population size per stratum
    pop = np.full(H, np.inf)
    if fpc is not None:
        fcol = data[fpc]
        if not pd.api.types.is_numeric_dtype(fcol.dtype) or fcol.isna().any():
            raise ValueError(f"fpc column {fpc!r} must be numeric without missing values")
        f = fcol.to_numpy(dtype=np.float64)
        fs = f[np.argsort(hcodes, kind="stable")]
        rstart = np.concatenate([[0], np.cumsum(np.bincount(hcodes, minlength=H))[:-1]])
        lo, hi = np.minimum.reduceat(fs, rstart), np.maximum.reduceat(fs, rstart)
        varying = np.flatnonzero(lo != hi)
        if len(varying):
            raise ValueError(
                f"fpc column {fpc!r} varies within strata {hlabels[varying[:5]].tolist()}"
            )
        is_pop = np.any(f > 1)
        if is_pop and np.any(f < 1):
            raise ValueError(
                f"fpc column {fpc!r} must be all population sizes (>= 1) or all fractions (<= 1)"
            )
        if np.any(f <= 0):
            raise ValueError(f"fpc column {fpc!r} has non-positive values")
        pop = lo if is_pop else n_psu / lo
        over = np.flatnonzero(pop < n_psu - 1e-9)
        if len(over):
            raise ValueError(
                f"fpc implies more than 100% sampling in strata {hlabels[over[:5]].tolist()}: "
                f"population {pop[over[:5]].tolist()} < sampled PSUs {n_psu[over[:5]].tolist()}"
            )
    one_minus_f = np.where(np.isinf(pop), 1.0, (pop - n_psu) / np.where(np.isinf(pop), 1.0, pop))
    selfrep = one_minus_f < _SELF_REPRESENTING
    with np.errstate(divide="ignore", invalid="ignore"):
        cfac = np.where((n_psu > 1) & ~selfrep, one_minus_f * n_psu / (n_psu - 1), 0.0)
    lonely = (n_psu == 1) & ~selfrep
    arrays = [
        w,
        hcodes,
        psu_codes,
        psu_stratum,
        n_psu,
        stratum_starts,
        pop,
        cfac,
        one_minus_f,
        lonely,
    ]
    for a in arrays:
        a.flags.writeable = False
    return _Structure(
        n=n,
        w=w,
        stratum=hcodes,
        strata_labels=hlabels,
        element=element,
        psu=psu_codes,
        psu_starts=starts,
        G=G,
        H=H,
        psu_stratum=psu_stratum,
        stratum_starts=stratum_starts,
        n_psu=n_psu,
        fpc_pop=pop,
        cfac=cfac,
        one_minus_f=one_minus_f,
        lonely=lonely,
        elem_order=elem_order,
        all_pos=bool(np.all(w > 0)),
    )


def _replace_weights(s: _Structure, w: np.ndarray) -> _Structure:
    fields = {f: getattr(s, f) for f in s.__dataclass_fields__}
    fields["w"] = w
    fields["all_pos"] = bool(np.all(w > 0))
    return _Structure(**fields)


def _totals_series(totals: pd.Series | Mapping[str, pd.Series]) -> pd.Series:
    """Normalise population totals to a Series whose index names are data columns."""
    if isinstance(totals, pd.Series):
        if any(nm is None for nm in totals.index.names):
            raise ValueError("population totals Series needs index.names set to the data column(s)")
        return totals
    if isinstance(totals, Mapping) and len(totals) == 1:
        (col, s), *_ = totals.items()
        if not isinstance(s, pd.Series):
            s = pd.Series(s)
        s = s.copy()
        if isinstance(col, tuple):
            s.index = s.index.set_names(list(col))
        else:
            s.index = s.index.set_names(col)
        return s
    raise ValueError(
        "population totals must be a Series named by column(s) or a one-entry {column: Series} mapping"
    )


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
        codes, levels = _factorize(s)
        if len(levels) < 2:
            raise ValueError(f"covariate {c!r} has fewer than 2 levels")
        D = np.zeros((len(data), len(levels) - 1))
        for j in range(1, len(levels)):
            D[:, j - 1] = codes == j
        D[codes < 0] = np.nan
        mats.append(D)
        names.extend(f"{c}[T.{lv}]" for lv in levels[1:])
    return np.hstack(mats), names


# ----------------------------------------------------------------------------- results object
class Estimate:
    """A Taylor estimate with its influence values (statsmodels' ``Results``, for surveys).

    Made by :meth:`SurveyDesign.estimate` or :func:`stack`; immutable.

    Attributes
    ----------
    table : the tidy table of the estimator (by columns, then ``estimate, se, ci_low,
        ci_high, df, deff, n, n_weighted``), one row per domain; after :func:`stack`, a
        leading key column names the part each row comes from.
    influence : (n, k) array: for each row of the design's data (the stacked data after
        :func:`stack`) its linearisation value for each of the k rows of ``table``.
    member : (n, k) boolean array: the row lies in that table row's domain with a positive
        weight (what the domain df counts).
    design : the design of the rows (a stacked design after :func:`stack`).
    level : confidence level of the intervals.
    """

    __slots__ = ("design", "influence", "level", "member", "table")

    design: SurveyDesign
    table: pd.DataFrame
    influence: np.ndarray
    member: np.ndarray
    level: float

    def __init__(
        self,
        design: SurveyDesign,
        table: pd.DataFrame,
        influence: np.ndarray,
        member: np.ndarray,
        level: float,
    ) -> None:
        influence = np.asarray(influence, dtype=np.float64)
        member = np.asarray(member, dtype=bool)
        if influence.shape != (design._s.n, len(table)) or member.shape != influence.shape:
            raise ValueError(
                f"influence and member must be (n={design._s.n}, k={len(table)}), got "
                f"{influence.shape} and {member.shape}"
            )
        influence.flags.writeable = False
        member.flags.writeable = False
        for name, value in (
            ("design", design),
            ("table", table),
            ("influence", influence),
            ("member", member),
            ("level", float(level)),
        ):
            object.__setattr__(self, name, value)

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError(f"Estimate is immutable; cannot set {name!r}")

    def __repr__(self) -> str:
        return f"Estimate(k={len(self.table)}, n={self.influence.shape[0]}, level={self.level})"

    def __len__(self) -> int:
        return len(self.table)

    @property
    def estimates(self) -> np.ndarray:
        """The k estimates (the ``estimate`` column of :attr:`table`)."""
        return self.table["estimate"].to_numpy(dtype=np.float64)

    def _psu_totals(self, U: np.ndarray) -> np.ndarray:
        s = self.design._s
        return np.stack(
            [np.bincount(s.psu, weights=U[:, j], minlength=s.G) for j in range(U.shape[1])],
            axis=1,
        ).reshape(s.G, U.shape[1])

    def _present(self, member: np.ndarray) -> np.ndarray:
        """(H, p): the stratum holds a positive-weight row of each column's domain."""
        s = self.design._s
        return np.stack(
            [np.bincount(s.stratum[m], minlength=s.H) > 0 for m in member.T], axis=1
        ).reshape(s.H, member.shape[1])

    def vcov(self) -> np.ndarray:
        """(k, k) covariance matrix of the estimates, from the PSU totals of the influence
        values within strata (the engine's variance formula, fpc and lonely-PSU rule included;
        its diagonal is ``table.se ** 2``). Rows of domains without weight are NaN."""
        d = self.design
        T = self._psu_totals(self.influence)
        cov = psu_covariance(d._s, T, self._present(self.member), d.lonely_psu)
        empty = ~self.member.any(axis=0)
        cov[empty, :] = np.nan
        cov[:, empty] = np.nan
        return cov

    def contrast(
        self,
        weights: Sequence[float] | np.ndarray | Mapping[int, float],
        level: float | None = None,
    ) -> pd.DataFrame:
        """One tidy row for sum_j weights_j x estimate_j (R ``svycontrast``).

        ``weights``: one coefficient per row of :attr:`table`, or a mapping {row position:
        coefficient} (other rows 0). The SE is that of the combined influence values; ``df``
        counts the PSUs that hold a positive-weight row of any domain with a non-zero
        coefficient, minus their strata (R ``degf(subset(design, those domains))``); the
        interval is estimate +- t(df) x SE, and ``p_value`` tests the combination against 0.
        ``deff`` and ``n_weighted`` are NaN; ``n`` counts the rows of those domains.
        """
        k = len(self.table)
        if isinstance(weights, Mapping):
            c = np.zeros(k)
            for j, cj in weights.items():
                c[int(j)] = float(cj)
        else:
            c = np.asarray(weights, dtype=np.float64).reshape(-1)
            if len(c) != k:
                raise ValueError(f"contrast needs {k} weights (one per table row), got {len(c)}")
        level = self.level if level is None else float(level)
        _check_level(level)
        used = c != 0
        est = float(np.dot(c[used], self.estimates[used])) if used.any() else 0.0
        member = self.member[:, used].any(axis=1)
        d = self.design
        z = self.influence[:, used] @ c[used]
        T = self._psu_totals(z[:, None])
        present = self._present(member[:, None])
        var = float(psu_covariance(d._s, T, present, d.lonely_psu)[0, 0])
        se = math.sqrt(var) if var >= 0 else math.nan
        df = domain_df(d._s, member)
        q = float(_tcrit(level, df))
        out = _tidy(
            None,
            np.array([est]),
            np.array([se]),
            np.array([est - q * se]),
            np.array([est + q * se]),
            np.array([df]),
            np.array([math.nan]),
            np.array([int(member.sum())]),
            np.array([math.nan]),
        )
        return out.assign(p_value=t_test(est, se, df))


def stack(
    estimates: Sequence[Estimate] | Mapping[str, Estimate],
    *,
    shared_psus: bool = False,
    key: str = "part",
) -> Estimate:
    """Join estimates into one :class:`Estimate` whose :meth:`~Estimate.vcov` and
    :meth:`~Estimate.contrast` cover all their rows.

    - Estimates of one design object (several variables or estimators on one sample): their
      influence columns are put side by side, so covariances between them enter.
    - Estimates of different samples (two rounds): their rows are stacked into one design.
      With ``shared_psus=False`` (independent samples) strata become part x stratum and PSUs
      are distinct, so the parts are independent. With ``shared_psus=True`` (PSUs revisited)
      strata and PSU labels are shared: a PSU present in both parts is one PSU, and the
      covariance between the parts enters. Influence values are taken as they are (already
      residualised for calibration); a stage-1 fpc is carried per row.

    The table gets a leading column ``key`` with the part names (the mapping's keys, or
    0, 1, ...). The confidence level is the first estimate's; the lonely-PSU rule too.
    """
    if isinstance(estimates, Mapping):
        names, parts = list(estimates.keys()), list(estimates.values())
    else:
        parts = list(estimates)
        names = list(range(len(parts)))
    if not parts:
        raise ValueError("stack needs at least one estimate")
    table = pd.concat(
        [p.table.assign(**{key: nm}) for nm, p in zip(names, parts, strict=True)],
        ignore_index=True,
    )
    table = table[[key, *[c for c in table.columns if c != key]]]
    first = parts[0]
    if all(p.design is first.design for p in parts):
        U = np.concatenate([p.influence for p in parts], axis=1)
        M = np.concatenate([p.member for p in parts], axis=1)
        return Estimate(first.design, table, U, M, first.level)
    frames = []
    fpc = any(p.design.fpc is not None for p in parts)
    for nm, p in zip(names, parts, strict=True):
        d, s = p.design, p.design._s
        tag = "" if shared_psus else f"{nm}:"
        stratum = tag + pd.Series(np.asarray(s.strata_labels)[s.stratum]).astype("str")
        if s.element:
            psu = f"{nm}:row" + pd.Series(np.arange(s.n)).astype("str")
        else:
            psu = tag + d.data[d.psu].astype("str").reset_index(drop=True)
        cols = {"_stratum": stratum.to_numpy(), "_psu": psu.to_numpy(), "_w": s.w}
        if fpc:
            cols["_fpc"] = s.fpc_pop[s.stratum]
        frames.append(pd.DataFrame(cols))
    data = pd.concat(frames, ignore_index=True)
    design = SurveyDesign(
        data,
        weight="_w",
        strata="_stratum",
        psu="_psu",
        fpc="_fpc" if fpc else None,
        lonely_psu=first.design.lonely_psu,
    )
    n = [p.influence.shape[0] for p in parts]
    k = [p.influence.shape[1] for p in parts]
    U = np.zeros((sum(n), sum(k)))
    M = np.zeros((sum(n), sum(k)), dtype=bool)
    r0 = c0 = 0
    for p, ni, ki in zip(parts, n, k, strict=True):
        U[r0 : r0 + ni, c0 : c0 + ki] = p.influence
        M[r0 : r0 + ni, c0 : c0 + ki] = p.member
        r0, c0 = r0 + ni, c0 + ki
    return Estimate(design, table, U, M, first.level)
