"""How a catalogue entry becomes columns of its analysis frame, and the named definitions.

A linear indicator's ``definition``, ``universe`` and ``denominator`` are pandas expressions
evaluated on the frame of its unit of analysis (:func:`evaluate`, :func:`indicator_data`). A
composite indicator's ``definition`` names a function registered with :func:`register`
(:mod:`hhsurvey.analysis.indicators.composites`, and the scenarios' paired change), looked up in
:data:`FUNCTIONS` by :func:`hhsurvey.analysis.indicators.estimate.estimate_catalogue`.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd

from hhsurvey.catalogue.model import Indicator
from hhsurvey.errors import InputError

__all__ = ["FUNCTIONS", "evaluate", "indicator_data", "register"]

#: Named definitions of composite indicators: ``fn(ind, frames, design_args, *, level, context)``
#: returns the indicator's tidy rows.
FUNCTIONS: dict[str, Callable[..., pd.DataFrame]] = {}


def register(name: str) -> Callable:
    """Register a named definition for composite indicators."""

    def deco(fn: Callable) -> Callable:
        FUNCTIONS[name] = fn
        return fn

    return deco


def evaluate(frame: pd.DataFrame, expr: str, what: str, iid: str) -> pd.Series:
    """``expr`` evaluated on ``frame`` (a column, or a scalar broadcast to one); an expression
    that cannot be evaluated is an error naming the indicator and its ``what`` (definition,
    universe, ...)."""
    try:
        out = frame.eval(expr, engine="python")
    except Exception as err:
        raise InputError(
            f"the {what} of indicator '{iid}' cannot be evaluated: {err}",
            f"config/indicators.yaml, indicator {iid}: `{expr}`",
            "use column names of the analysis frame (README: Indicators) and pandas expression syntax",
        ) from None
    if np.isscalar(out):
        out = pd.Series(out, index=frame.index)
    return out


def indicator_data(ind: Indicator, frames: dict[str, pd.DataFrame]) -> tuple[pd.DataFrame, str]:
    """The frame of a linear indicator with ``_y`` (and ``_den``) set to missing outside its
    universe, plus ``_where``; and the name of its weight column."""
    unit = ind.unit_of_analysis
    frame = frames[unit]
    weight = "pop_weight" if unit == "household_pop" else "weight"
    universe = (
        pd.Series(True, index=frame.index)
        if ind.universe in ("all", "", None)
        else evaluate(frame, ind.universe, "universe", ind.id).fillna(False).astype(bool)
    )
    y = evaluate(frame, ind.definition, "definition", ind.id).astype("float64")
    data = frame.assign(_y=y.where(universe), _where=universe)
    if ind.estimator == "ratio":
        den = evaluate(frame, ind.denominator, "denominator", ind.id).astype("float64")
        data = data.assign(_den=den.where(universe))
    return data, weight
