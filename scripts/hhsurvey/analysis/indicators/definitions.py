"""How a catalogue entry becomes columns of its analysis frame, and the named definitions.

A linear indicator's ``definition``, ``universe`` and ``denominator`` are expressions of the
catalogue's grammar (:mod:`hhsurvey.catalogue.expressions`, docs/expressions.md: columns,
literals, arithmetic, comparisons, boolean operators and a named list of functions; nothing
else is evaluated) on the frame of its unit of analysis (:func:`evaluate`,
:func:`indicator_data`). A
composite indicator's ``definition`` names a function registered with :func:`register`
(:mod:`hhsurvey.analysis.indicators.composites`, and the scenarios' paired change), looked up in
:data:`FUNCTIONS` by :func:`hhsurvey.analysis.indicators.estimate.estimate_catalogue`.
"""

from __future__ import annotations

from collections.abc import Callable

import pandas as pd

from hhsurvey.catalogue import expressions
from hhsurvey.catalogue.model import Indicator
from hhsurvey.prepare.frames import PROVIDER_GROUPS

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


#: Text columns of the analysis frames that are not categorical, with their possible values:
#: a literal compared with them is checked like a category.
TEXT_VALUES: dict[str, set[str]] = {
    "ep_provider_group": set(PROVIDER_GROUPS.values()),
    "insured_status": {"insured", "not insured"},
}


def evaluate(
    frame: pd.DataFrame, expr: str, what: str, iid: str, instrument: dict | None = None
) -> pd.Series:
    """``expr`` evaluated on ``frame`` by the catalogue's expression grammar (a column, or a
    literal broadcast to one); an expression outside the grammar, naming a column the frame
    lacks or a category its column lacks, is an error naming the indicator and its ``what``
    (definition, universe, ...). ``instrument`` (the indicator's ``{variable, category}``) is
    a category the round may lack: "not in this round's instrument" in the report."""
    inst = instrument or {}
    allowed = {str(inst["variable"]): {str(inst["category"])}} if inst.get("variable") else {}
    return expressions.evaluate(
        frame,
        expr,
        f"config/indicators.yaml, indicator {iid} ({what})",
        values=TEXT_VALUES,
        allowed=allowed,
    )


def indicator_data(ind: Indicator, frames: dict[str, pd.DataFrame]) -> tuple[pd.DataFrame, str]:
    """The frame of a linear indicator with ``_y`` (and ``_den``) set to missing outside its
    universe, plus ``_where``; and the name of its weight column."""
    unit = ind.unit_of_analysis
    frame = frames[unit]
    weight = "pop_weight" if unit == "household_pop" else "weight"
    universe = (
        pd.Series(True, index=frame.index)
        if ind.universe in ("all", "", None)
        else evaluate(frame, ind.universe, "universe", ind.id, ind.instrument)
        .fillna(False)
        .astype(bool)
    )
    y = evaluate(frame, ind.definition, "definition", ind.id, ind.instrument).astype("float64")
    data = frame.assign(_y=y.where(universe), _where=universe)
    if ind.estimator == "ratio":
        den = evaluate(frame, ind.denominator, "denominator", ind.id, ind.instrument)
        den = den.astype("float64")
        data = data.assign(_den=den.where(universe))
    return data, weight
