"""The survey design object: :class:`SurveyDesign`, frozen data plus sampling design.

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
* :meth:`SurveyDesign.estimate` returns an :class:`hhsurvey.engine.results.Estimate`: the
  estimator's table plus every row's influence values, with ``vcov()`` (R ``vcov``,
  ``svyby(covmat=TRUE)``) and ``contrast()`` (R ``svycontrast``);
  :func:`hhsurvey.engine.results.stack` joins estimates of one design, or of several samples
  (rounds) into one stacked design, so that changes are contrasts.

This module is the public face of the engine and holds only the class: its constructor, its
immutability, and one short delegation per method to the module that does the work, by concern:

* :mod:`hhsurvey.engine.structure` - checks the design columns and builds the design arrays,
  the lonely-PSU rule;
* :mod:`hhsurvey.engine.domains` - the domain of each estimator call (``by=``, ``where=``,
  missing values) and its counts and df;
* :mod:`hhsurvey.engine.taylor` - means, proportions, totals, ratios and results objects by
  linearisation, and their variance;
* :mod:`hhsurvey.engine.quantile` - quantiles with Woodruff intervals;
* :mod:`hhsurvey.engine.calibrate` - post-stratification and raking, and the calibration
  residuals of the variance;
* :mod:`hhsurvey.engine.glm` - logistic regression;
* :mod:`hhsurvey.engine.replicates` - replicate-weight designs;
* :mod:`hhsurvey.engine.kernels` and :mod:`hhsurvey.engine.results` - the shared kernels and
  the tidy output vocabulary.

Those modules receive the design as their first argument and never import this one.

The computational core works on PSU-by-domain totals built in one pass over the rows, so all
levels of ``by`` are done at once: ``np.add.reduceat`` over the PSU runs when rows are stored in
PSU order (no ``by``), scipy's CSR-to-dense scatter otherwise
(:func:`hhsurvey.engine.kernels.bin_sum`, :func:`hhsurvey.engine.kernels.psu_domain_totals`),
which adds the rows in the same order as ``np.bincount`` (so the sums are the same to the last
bit) but two to three times faster.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Literal

import numpy as np
import pandas as pd

from hhsurvey.engine import calibrate, glm, quantile, taylor
from hhsurvey.engine.calibrate import CalBlock
from hhsurvey.engine.domains import domain, domain_stats
from hhsurvey.engine.kernels import By, Where
from hhsurvey.engine.replicates import ReplicateDesign
from hhsurvey.engine.results import Estimate
from hhsurvey.engine.structure import build_design, describe, replace_weights

__all__ = ["SurveyDesign"]

LonelyPSU = Literal["fail", "remove", "certainty", "adjust"]


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
    lonely_psu : rule for strata with a single PSU (not self-representing): ``"fail"``
        (:class:`hhsurvey.errors.InputError` naming the strata, when an estimate uses them),
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
        frozen, s = build_design(data, weight, strata, psu, fpc, lonely_psu)
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

    def _derive(self, w: np.ndarray, cal: tuple[CalBlock, ...]) -> SurveyDesign:
        """Same data and design with new weights and calibration blocks (for rake etc.)."""
        new = object.__new__(SurveyDesign)
        w = np.asarray(w, dtype=np.float64)
        w.flags.writeable = False
        s = replace_weights(self._s, w)
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
        return int(domain_stats(self, domain(self, None, None, []))[0].df[0])

    @property
    def is_calibrated(self) -> bool:
        return bool(self._cal)

    def describe(self) -> pd.DataFrame:
        """One row per stratum: PSUs, rows, weight total, population size, singleton flag."""
        return describe(self._s)

    # ------------------------------------------------------------------ estimators
    def mean(self, y: str, by: By = None, where: Where = None, level: float = 0.95) -> pd.DataFrame:
        """Weighted mean of ``y`` (R ``svymean``), by domain."""
        return taylor.mean(self, y, by, where, level)

    def proportion(
        self, y: str, by: By = None, where: Where = None, level: float = 0.95
    ) -> pd.DataFrame:
        """Proportion of a 0/1 (or boolean) variable with the logit CI of ``svyciprop``."""
        return taylor.proportion(self, y, by, where, level)

    def total(
        self, y: str, by: By = None, where: Where = None, level: float = 0.95
    ) -> pd.DataFrame:
        """Weighted total of ``y`` (R ``svytotal``), by domain."""
        return taylor.total(self, y, by, where, level)

    def ratio(
        self,
        numerator: str,
        denominator: str,
        by: By = None,
        where: Where = None,
        level: float = 0.95,
    ) -> pd.DataFrame:
        """Ratio of totals ``sum(w y) / sum(w x)`` (R ``svyratio``), by domain."""
        return taylor.ratio(self, numerator, denominator, by, where, level)

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
        return quantile.quantile(self, y, q, by, where, level)

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
        :func:`hhsurvey.engine.results.stack` joins estimates (of one design, or of several
        rounds) into one.
        """
        return taylor.estimate(self, kind, y, denominator, by, where, level)

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
        return self._derive(*calibrate.poststratify(self, totals, partial))

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
        return self._derive(*calibrate.rake(self, margins, max_iter, epsilon))

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
        return glm.logistic(self, y, X, where, level)
