"""The declarations analysis and outputs share: what each indicator is, and more.

- :mod:`~hhsurvey.catalogue.model` - the indicator catalogue (``config/indicators.yaml``):
  :class:`~hhsurvey.catalogue.model.Indicator` and its checks;
- :mod:`~hhsurvey.catalogue.scenarios` - the benefit-package scenarios (config ``scenarios:``)
  and the names of ``scenarios.csv``;
- :mod:`~hhsurvey.catalogue.national` - the unit a national reference figure must have.

Read by analysis (to estimate) and by outputs (to label, place and describe); it imports no
part of the engine, so a report or a brief that only reads the catalogue stays small.
"""
