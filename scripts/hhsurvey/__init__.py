"""hhsurvey: design-based analysis of household health surveys.

The library is layered; each layer is a subpackage and imports only the layers below it
(``tests/unit/test_layers.py`` holds the table):

- :mod:`hhsurvey.engine` - design objects, Taylor and replicate variance, intervals;
- :mod:`hhsurvey.catalogue` - what each indicator is (``config/indicators.yaml``), the scenario
  packages and the units of national figures;
- :mod:`hhsurvey.survey` - raw files, codebooks, privacy, round configuration;
- :mod:`hhsurvey.prepare` - validation, cleaning, weights, household aggregates, frames;
- :mod:`hhsurvey.analysis` - indicators, national comparison, change, scenarios, planning;
- :mod:`hhsurvey.outputs` - reports, briefs, figures, the PDF printer;
- :mod:`hhsurvey.simulate` - the synthetic demo survey.

This facade exposes the public entry points lazily, so ``import hhsurvey`` stays cheap for a
rule script that does not estimate.
"""

from __future__ import annotations

import importlib

__all__ = ["Estimate", "SurveyDesign", "__version__", "load_catalogue", "stack"]
__version__ = "0.1.0"

_PUBLIC = {
    "SurveyDesign": "hhsurvey.engine.design",
    "Estimate": "hhsurvey.engine.results",
    "stack": "hhsurvey.engine.results",
    "load_catalogue": "hhsurvey.catalogue.model",
}


def __getattr__(name: str):
    if name in _PUBLIC:
        return getattr(importlib.import_module(_PUBLIC[name]), name)
    raise AttributeError(name)
