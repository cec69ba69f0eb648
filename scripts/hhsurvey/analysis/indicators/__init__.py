"""Indicators from the declarative catalogue, each estimated with the design-based engine.

- :mod:`~hhsurvey.analysis.indicators.estimate` - the estimation loop over the catalogue;
- :mod:`~hhsurvey.analysis.indicators.definitions` - expressions of an entry evaluated on its
  frame, and the registry of named (composite) definitions;
- :mod:`~hhsurvey.analysis.indicators.composites` - statistics not linear in the weights
  (catastrophe, concentration, Kakwani, CHE curve) with jackknife standard errors;
- :mod:`~hhsurvey.analysis.indicators.precision` - small-sample flags, intervals inside the
  support, precision defaults;
- :mod:`~hhsurvey.analysis.indicators.determinants` - the logistic model of care-seeking;
- :mod:`~hhsurvey.analysis.indicators.export` - the indicator table as CSV, Parquet and xlsx.

The catalogue itself is :mod:`hhsurvey.catalogue.model`; the frames, :mod:`hhsurvey.prepare.frames`.
"""
