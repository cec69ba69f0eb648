"""hhsurvey: design-based analysis of household health surveys.

The public entry point is :class:`hhsurvey.design.SurveyDesign`; the other modules
(io, codebook, validate, clean, aggregate, weights, indicators, compare, report,
simulate) each own one stage of the pipeline.
"""

from __future__ import annotations

__all__ = ["SurveyDesign", "__version__"]
__version__ = "0.1.0"


def __getattr__(name: str):
    # Lazy import keeps `import hhsurvey` cheap for rule scripts that do not estimate.
    if name == "SurveyDesign":
        from hhsurvey.design import SurveyDesign

        return SurveyDesign
    raise AttributeError(name)
