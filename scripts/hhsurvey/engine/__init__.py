"""The estimation engine: design objects, variance by linearisation and replicates, intervals.

The lowest layer of the library: it imports nothing of the project but :mod:`hhsurvey.errors`.
Everything above it (analysis, outputs) receives estimates in one tidy vocabulary
(``estimate, se, ci_low, ci_high, df, deff, n``) or as :class:`~hhsurvey.engine.design.Estimate`
objects that carry their influence values.
"""
