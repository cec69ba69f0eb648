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
* ``convention="stata"`` (or its parts ``missing="drop"``, ``domain_df="design"``) gives
  Stata's and samplics' answers instead: rows missing an analysis variable leave the design
  before the estimate, and every domain and every model coefficient gets the design df
  (:mod:`hhsurvey.engine.conventions`);
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
* :mod:`hhsurvey.engine.glm` - logistic and linear regression;
* :mod:`hhsurvey.engine.tables` - categorical variables over all their levels, two-way tables
  with Rao-Scott tests;
* :mod:`hhsurvey.engine.replicates` (with :mod:`hhsurvey.engine.repweights` and
  :mod:`hhsurvey.engine.hadamard`) - replicate-weight designs;
* :mod:`hhsurvey.engine.conventions` - R's or Stata's handling of missing values and domain df;
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

from hhsurvey.engine import calibrate, glm, quantile, tables, taylor
from hhsurvey.engine.calibrate import CalBlock
from hhsurvey.engine.conventions import complete_rows, resolve_convention, subset_where
from hhsurvey.engine.domains import domain, domain_stats
from hhsurvey.engine.kernels import By, Where
from hhsurvey.engine.replicates import ReplicateDesign
from hhsurvey.engine.results import Estimate
from hhsurvey.engine.structure import (
    build_design,
    describe,
    replace_weights,
    subset_structure,
)
from hhsurvey.engine.tables import CrossTab

__all__ = ["SurveyDesign"]

LonelyPSU = Literal["fail", "remove", "certainty", "adjust", "collapse"]
Convention = Literal["r", "stata"]


def _by_list(by: By) -> list[str]:
    if by is None:
        return []
    return [by] if isinstance(by, str) else list(by)


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
        ``"remove"`` / ``"certainty"`` (the stratum adds no variance), ``"adjust"``
        (the PSU total is centred at the grand mean of all PSU totals, R >= 4.4), or
        ``"collapse"`` (each single-PSU stratum is merged with the next stratum in label
        order, the last one with the one before; each merge is logged and listed by
        :attr:`collapsed`). Singletons that appear only inside a domain are not lonely (R's
        default ``survey.adjust.domain.lonely=FALSE``).
    convention : ``"r"`` (default: R ``survey``) or ``"stata"`` (Stata ``svy:``, samplics):
        shorthand for the two parts below (:mod:`hhsurvey.engine.conventions`).
    missing : ``"zero_weight"`` (R: rows missing an analysis or ``by`` variable stay in the
        design with weight 0) or ``"drop"`` (Stata: they leave the design before the
        estimate; not available on a calibrated design). None: the convention's.
    domain_df : ``"domain"`` (R: PSUs minus strata among the PSUs of the domain) or
        ``"design"`` (Stata: the design df for every domain, and for the coefficients of
        :meth:`linear` and :meth:`logistic`, Stata's ``e(df_r)``, where R takes the
        residual df). None: the convention's.
    """

    __slots__ = (
        "_by_cache",
        "_cal",
        "_drop_cache",
        "_parent",
        "_s",
        "_stats_cache",
        "convention",
        "data",
        "domain_df",
        "fpc",
        "lonely_psu",
        "missing",
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
    convention: str
    missing: str
    domain_df: str

    def __init__(
        self,
        data: pd.DataFrame,
        weight: str,
        strata: str | None = None,
        psu: str | None = None,
        fpc: str | None = None,
        lonely_psu: LonelyPSU = "fail",
        convention: Convention = "r",
        missing: Literal["zero_weight", "drop"] | None = None,
        domain_df: Literal["domain", "design"] | None = None,
    ) -> None:
        name, missing, domain_df = resolve_convention(convention, missing, domain_df)
        frozen, s = build_design(data, weight, strata, psu, fpc, lonely_psu)
        for attr, value in (
            ("data", frozen),
            ("weight", weight),
            ("strata", strata),
            ("psu", psu),
            ("fpc", fpc),
            ("lonely_psu", lonely_psu),
            ("convention", name),
            ("missing", missing),
            ("domain_df", domain_df),
            ("_s", s),
            ("_cal", ()),
            ("_parent", None),
            ("_by_cache", {}),
            ("_stats_cache", {}),
            ("_drop_cache", {}),
        ):
            object.__setattr__(self, attr, value)

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError(f"SurveyDesign is immutable; cannot set {name!r}")

    def __repr__(self) -> str:
        s = self._s
        kind = "element sampling" if s.element else f"{s.G} PSUs"
        cal = f", calibrated ({len(self._cal)} step(s))" if self._cal else ""
        fpc = f", fpc={self.fpc!r}" if self.fpc else ", with replacement"
        conv = f", convention={self.convention!r}"
        if self.convention == "custom":
            conv = f", missing={self.missing!r}, domain_df={self.domain_df!r}"
        return (
            f"SurveyDesign(n={s.n}, {s.H} strata, {kind}{fpc}, lonely_psu={self.lonely_psu!r}"
            f"{conv}{cal})"
        )

    def _derive(self, w: np.ndarray, cal: tuple[CalBlock, ...]) -> SurveyDesign:
        """Same data and design with new weights and calibration blocks (for rake etc.)."""
        new = object.__new__(SurveyDesign)
        w = np.asarray(w, dtype=np.float64)
        w.flags.writeable = False
        s = replace_weights(self._s, w)
        for name in (
            "data",
            "weight",
            "strata",
            "psu",
            "fpc",
            "lonely_psu",
            "convention",
            "missing",
            "domain_df",
        ):
            object.__setattr__(new, name, getattr(self, name))
        object.__setattr__(new, "_s", s)
        object.__setattr__(new, "_cal", cal)
        object.__setattr__(new, "_parent", None)
        object.__setattr__(new, "_by_cache", self._by_cache)  # domain codes do not depend on w
        object.__setattr__(new, "_stats_cache", {})
        object.__setattr__(new, "_drop_cache", {})
        return new

    def _subset(self, keep: np.ndarray, columns: Sequence[str]) -> SurveyDesign:
        """The design of the rows ``keep`` alone, with the design columns and ``columns`` (all
        columns when one of them is no column, e.g. a model formula); its structure is this
        design's without the rows dropped (rebuilt under ``lonely_psu="collapse"``)."""
        design_cols = [c for c in (self.weight, self.strata, self.psu, self.fpc) if c]
        cols = list(dict.fromkeys([*design_cols, *columns]))
        data = (
            self.data[keep]
            if any(c not in self.data.columns for c in cols)
            else (self.data.loc[keep, cols])
        )
        if self.lonely_psu == "collapse":
            sub = SurveyDesign(
                data,
                self.weight,
                self.strata,
                self.psu,
                self.fpc,
                "collapse",
                missing="drop",
                domain_df=self.domain_df,  # type: ignore[arg-type]
            )
        else:
            sub = object.__new__(SurveyDesign)
            for name in ("weight", "strata", "psu", "fpc", "lonely_psu", "convention"):
                object.__setattr__(sub, name, getattr(self, name))
            for name, value in (
                ("data", data),
                ("missing", "drop"),
                ("domain_df", self.domain_df),
                ("_s", subset_structure(self._s, keep)),
                ("_cal", ()),
                ("_by_cache", {}),
                ("_stats_cache", {}),
                ("_drop_cache", {}),
            ):
                object.__setattr__(sub, name, value)
        object.__setattr__(sub, "_parent", self)
        return sub

    def _sample(
        self, columns: Sequence[str], by: By, where: Where, keep: np.ndarray | None = None
    ) -> tuple[SurveyDesign, Where]:
        """The design an estimator call runs on, and its ``where=``.

        ``missing="zero_weight"``: this design. ``missing="drop"``: the design of the rows that
        have every analysis column and ``by`` column (or the rows ``keep``), built once per set
        of columns and kept (the design is immutable).
        """
        if self.missing != "drop":
            return self, where
        cols = [*columns, *_by_list(by)]
        if keep is None:
            keep = complete_rows(self.data, cols)
        if keep is None:
            return self, where
        named = isinstance(where, str) and where in self.data.columns
        key = (*sorted(set(cols)), *([f"where={where}"] if named else []))
        sub = self._drop_cache.get(key)
        if sub is None:
            if self._cal:
                raise ValueError(
                    "missing='drop' is not available on a calibrated design: calibrate the "
                    "design of the complete rows, or use missing='zero_weight'"
                )
            sub = self._subset(keep, [*cols, *([where] if named else [])])
            self._drop_cache[key] = sub
        return sub, subset_where(where, keep, self.data.index)

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

    @property
    def collapsed(self) -> pd.DataFrame:
        """Strata merged by ``lonely_psu="collapse"``: one row per original stratum of a merged
        group (``stratum``, ``collapsed_into``: the label of the merged stratum)."""
        rows = [(part, group) for group, parts in self._s.collapsed for part in parts]
        return pd.DataFrame(rows, columns=["stratum", "collapsed_into"], dtype=object)

    def describe(self) -> pd.DataFrame:
        """One row per stratum (merged strata under ``"collapse"``): PSUs, rows, weight total,
        population size, singleton flag."""
        return describe(self._s)

    # ------------------------------------------------------------------ estimators
    def mean(self, y: str, by: By = None, where: Where = None, level: float = 0.95) -> pd.DataFrame:
        """Weighted mean of ``y`` (R ``svymean``), by domain."""
        d, where = self._sample([y], by, where)
        return taylor.mean(d, y, by, where, level)

    def proportion(
        self, y: str, by: By = None, where: Where = None, level: float = 0.95
    ) -> pd.DataFrame:
        """Proportion of a 0/1 (or boolean) variable with the logit CI of ``svyciprop``."""
        d, where = self._sample([y], by, where)
        return taylor.proportion(d, y, by, where, level)

    def total(
        self, y: str, by: By = None, where: Where = None, level: float = 0.95
    ) -> pd.DataFrame:
        """Weighted total of ``y`` (R ``svytotal``), by domain."""
        d, where = self._sample([y], by, where)
        return taylor.total(d, y, by, where, level)

    def ratio(
        self,
        numerator: str,
        denominator: str,
        by: By = None,
        where: Where = None,
        level: float = 0.95,
    ) -> pd.DataFrame:
        """Ratio of totals ``sum(w y) / sum(w x)`` (R ``svyratio``), by domain."""
        d, where = self._sample([numerator, denominator], by, where)
        return taylor.ratio(d, numerator, denominator, by, where, level)

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
        d, where = self._sample([y], by, where)
        return quantile.quantile(d, y, q, by, where, level)

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
        cols = [y] if denominator is None else [y, denominator]
        d, where = self._sample(cols, by, where)
        return taylor.estimate(d, kind, y, denominator, by, where, level)

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
        method: Literal["jkn", "bootstrap", "brr", "fay"] = "jkn",
        n: int | None = None,
        seed: int | np.random.Generator | None = None,
        mse: bool = False,
        *,
        rho: float | None = None,
        hadamard: np.ndarray | None = None,
    ) -> ReplicateDesign:
        """Replicate-weight version of this design (same estimator API).

        ``"jkn"``: stratified delete-one-PSU jackknife, R ``as.svrepdesign(type="JKn")``
        (fpc enters through ``rscales``; ``n`` must be None). ``"bootstrap"``: Rao-Wu
        rescaling bootstrap drawing n_h - 1 PSUs with replacement in each stratum, which is
        R ``as.svrepdesign(type="subbootstrap")``; ``n`` replicates (default 500), fpc
        ignored. ``"brr"``: balanced repeated replication, R ``as.svrepdesign(type="BRR")``,
        and ``"fay"`` with ``rho=`` (0 < rho < 1), R ``as.svrepdesign(type="Fay",
        fay.rho=rho)``: every stratum must hold two PSUs; replicate r keeps (weight x 2, or
        2 - rho) the first PSU of stratum h (in label order) where row h + 1 of the Hadamard
        matrix is +1 in column r and the second one elsewhere (weight x 0, or rho);
        ``hadamard=`` gives the matrix (+-1 or 0/1, at least H + 1 rows, as R's
        ``hadamard.matrix=``), else Sylvester's or Paley's of the smallest order above the
        number of strata (:mod:`hhsurvey.engine.hadamard`). ``mse=False`` centres replicates
        at their mean (R default), ``mse=True`` at the full-sample estimate.
        """
        return ReplicateDesign.from_design(
            self, method=method, n=n, seed=seed, mse=mse, rho=rho, hadamard=hadamard
        )

    def with_replicate_weights(
        self,
        repweights: np.ndarray | pd.DataFrame | Sequence[str],
        type: str = "other",  # noqa: A002 - R's and Stata's name for it
        *,
        rho: float | None = None,
        scale: float | None = None,
        rscales: np.ndarray | Sequence[float] | None = None,
        mse: bool = False,
        df: float | None = None,
    ) -> ReplicateDesign:
        """This sample with given replicate weights, as R ``svrepdesign(repweights=, weights=,
        type=)``.

        ``repweights``: an (n, R) array, a DataFrame, or column names of ``data`` (combined
        weights: full weight x adjustment). ``type`` sets ``scale`` and ``rscales``
        (:func:`hhsurvey.engine.repweights.supplied_scales`): ``"jk1"`` ((R-1)/R),
        ``"jkn"`` (rscales (n_h-1)/n_h, read from each replicate's largest factor
        n_h/(n_h-1)), ``"brr"`` (1/R), ``"fay"`` (1/(R (1-rho)^2), ``rho=`` needed),
        ``"bootstrap"`` (1/(R-1)), ``"sdr"`` or ``"successive-difference"`` (4/R), or
        ``"other"`` (``scale=`` needed, ``rscales`` default 1). ``mse=True`` centres the
        replicates at the full-sample estimate. ``df`` defaults to R's rule, the rank of the
        replicate weights minus 1.
        """
        return ReplicateDesign.from_weights(
            self, repweights, type, rho=rho, scale=scale, rscales=rscales, mse=mse, df=df
        )

    # ------------------------------------------------------------------ categorical variables
    def categorical(
        self,
        y: str,
        by: By = None,
        where: Where = None,
        kind: Literal["proportion", "total"] = "proportion",
        level: float = 0.95,
    ) -> pd.DataFrame:
        """Every level of a categorical variable in one call (R ``svymean(~factor(y))``,
        ``svytotal(~factor(y))``, with ``svyby``).

        One tidy row per domain and level: the ``by`` columns, ``y`` (the level), then the
        usual columns. ``kind="proportion"``: the share of each level among the domain's rows
        with a value of ``y``, with the logit interval; ``kind="total"``: the weighted count of
        each level, with the t interval. ``n`` and ``n_weighted`` are those of the domain (the
        denominator). Missing values of ``y`` are outside every domain (or dropped, under
        ``missing="drop"``).
        """
        d, where = self._sample([y], by, where)
        return tables.categorical(d, y, by, where, kind, level)

    def crosstab(self, row: str, col: str, where: Where = None, level: float = 0.95) -> CrossTab:
        """Two-way table of ``row`` x ``col`` with the Rao-Scott tests of independence.

        :attr:`~hhsurvey.engine.tables.CrossTab.table`: one tidy row per cell, the cell's share
        of the (``where``) domain with its SE and logit interval.
        :attr:`~hhsurvey.engine.tables.CrossTab.tests`: the second-order Rao-Scott F test
        (R ``svychisq(statistic="F")``) and the first-order corrected chi-square
        (``statistic="Chisq"``).
        """
        d, where = self._sample([row, col], None, where)
        return tables.crosstab(d, row, col, where, level)

    # ------------------------------------------------------------------ regression
    def _model_sample(self, y: str, X: str | Sequence[str], where: Where):
        """The design and ``where=`` of a regression (``missing="drop"``: complete rows of y and
        of the model matrix)."""
        if self.missing != "drop":
            return self, where
        keep = glm.complete_model_rows(self.data, y, X)
        cols = [y, *([X] if isinstance(X, str) else list(X))]
        return self._sample(cols, None, where, keep=keep)

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
        ``df`` = domain degf + 1 - number of coefficients (R's ``df.residual``), or the design
        df under Stata's convention (``e(df_r)``), used for t CIs and p-values. Rows with
        missing y or X are excluded as a domain.
        """
        d, where = self._model_sample(y, X, where)
        return glm.logistic(d, y, X, where, level)

    def linear(
        self,
        y: str,
        X: str | Sequence[str],
        where: Where = None,
        level: float = 0.95,
    ) -> pd.DataFrame:
        """Design-based linear regression (R ``svyglm(family=gaussian())``).

        ``X`` as for :meth:`logistic`. Coefficients are weighted least squares; SEs the
        linearised sandwich with strata and PSUs; ``df`` = domain degf + 1 - number of
        coefficients (R's ``df.residual``), or the design df under Stata's convention. One
        row per ``term``: ``estimate, se, ci_low, ci_high, df, p_value``. Rows with missing y
        or X are excluded as a domain.
        """
        d, where = self._model_sample(y, X, where)
        return glm.linear(d, y, X, where, level)
