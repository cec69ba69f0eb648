"""The estimation engine: design objects, variance by linearisation and replicates, intervals.

The lowest layer of the library: it imports nothing of the project but :mod:`hhsurvey.errors`.
Everything above it (analysis, outputs) receives estimates in one tidy vocabulary
(:data:`hhsurvey.engine.results.OUTPUT_COLUMNS`) or as :class:`~hhsurvey.engine.results.Estimate`
objects that carry their influence values.

Modules, from the bottom up: ``structure`` (design arrays, lonely-PSU rules), ``conventions``
(R's or Stata's handling of missing values and domain df), ``hadamard`` (matrices for BRR),
``kernels`` (sums, covariance within strata, inference), ``results`` (tidy tables,
``Estimate``, ``stack``; the one engine module the output layer may import), ``domains`` (the
domain of an estimator call), ``calibrate``, ``taylor``, ``quantile``, ``glm`` (logistic and
linear models), ``tables`` (categorical variables, Rao-Scott tests), ``repweights`` and
``replicates`` (replicate weights generated or supplied, and their designs), and ``design``
(:class:`~hhsurvey.engine.design.SurveyDesign`, which delegates to them); ``intervals`` stands
apart (intervals by the support of an indicator).
"""
