"""The indicator catalogue's model: :class:`Indicator` and :func:`load_catalogue`.

A catalogue entry (``config/indicators.yaml``) names the unit of analysis, a universe (a
boolean expression), a definition (an expression evaluated on the analysis frame, or the name of
a registered function), an estimator type, the unit of the estimate and the disaggregations,
plus the fields the report reads (section, breakdowns shown, figures, description).

This module holds the declarations and their checks only: analysis estimates the entries
(:mod:`hhsurvey.analysis.indicators.estimate`), outputs label and place them. It imports no part
of the engine, so a report or a brief that only reads the catalogue stays small.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from hhsurvey.catalogue.expressions import parse
from hhsurvey.errors import InputError
from hhsurvey.yamlsafe import load_yaml

__all__ = [
    "ESTIMATORS",
    "NON_NEGATIVE_UNITS",
    "SUPPORTS",
    "UNITS",
    "VALUE_UNITS",
    "Indicator",
    "expressions_of",
    "load_catalogue",
]

#: Units of analysis: the analysis frame (and design) an indicator is a domain of.
UNITS = ("person", "household", "household_pop")
#: Units of the estimates (catalogue ``unit``); each indicator has exactly one.
VALUE_UNITS = (
    "percent",
    "percentage_points",
    "lak",
    "ratio",
    "rate",
    "per_1000",
    "nights",
    "index",
)
#: Units whose estimates are means, totals or ratios of non-negative amounts (log-scale interval).
NON_NEGATIVE_UNITS = ("lak", "ratio", "rate", "per_1000", "nights")
#: Estimator types (catalogue ``estimator``); ``composite`` names a registered function.
ESTIMATORS = ("proportion", "mean", "ratio", "total", "quantile", "composite")
#: Supports of an indicator's value (catalogue ``support``): a proportion in [0, 1], a
#: non-negative amount, or any real value; the interval follows the support
#: (:mod:`hhsurvey.engine.intervals`).
SUPPORTS = ("proportion", "non_negative", "real")


@dataclass(frozen=True)
class Indicator:
    """One catalogue entry."""

    id: str
    label: str
    unit: str
    unit_of_analysis: str
    estimator: str
    definition: str
    universe: str = "all"
    denominator: str | None = None
    by: tuple[str, ...] = ()
    standard: str = ""
    national: str | None = None
    quantile: float = 0.5
    scale: float = 1.0
    headline: bool = False
    params: dict = field(default_factory=dict)
    support: str | None = None
    range: tuple[float, float] | None = None
    # Boolean expression of the units for which the event is possible at all (e.g. being at or
    # above the poverty line for impoverishment): a domain with none of them is "not
    # applicable" (a structural zero), not an estimate of 0.
    applicable: str | None = None
    # Presentation (read by the report only; config/report.yaml names the sections).
    section: str = "other"
    show_by: tuple[str, ...] = ()
    key_rank: int | None = None
    plot: tuple[str, ...] = ()
    description: str = ""
    instrument: dict = field(default_factory=dict)

    @property
    def value_support(self) -> str:
        """The kind of quantity, which chooses the interval (:mod:`hhsurvey.engine.intervals`):
        the catalogue's ``support``, else ``proportion`` for proportion estimators and every
        ``percent`` indicator (a proportion, a share of a total, a mean of shares: in [0, 1]),
        ``non_negative`` for amounts, rates and counts, ``real`` for indices and percentage
        points (differences)."""
        if self.support:
            return self.support
        if self.estimator == "proportion" or self.unit == "percent":
            return "proportion"
        return "non_negative" if self.unit in NON_NEGATIVE_UNITS else "real"

    @property
    def is_proportion(self) -> bool:
        """A proportion of units (a proportion estimator, or a composite share of people): the
        estimates the NCHS standard for proportions judges. Shares of a total and means of
        shares have a proportion's interval but the relative-SE rule."""
        return self.value_support == "proportion" and (
            self.estimator == "proportion"
            or (self.estimator == "composite" and self.unit == "percent")
        )


def load_catalogue(path: str) -> list[Indicator]:
    """Read and check the catalogue; unknown units or estimators are errors with the entry id."""
    with open(path, encoding="utf-8") as fh:
        doc = load_yaml(fh.read(), str(path))
    entries = doc.get("indicators") if isinstance(doc, dict) else None
    if not entries:
        raise InputError(
            "the indicator catalogue has no `indicators:` list", path, "see config/indicators.yaml"
        )
    out: list[Indicator] = []
    seen: set[str] = set()
    for e in entries:
        iid = e.get("id", "?")
        if iid in seen:
            raise InputError(
                f"indicator id '{iid}' is used twice", path, "give each indicator a unique id"
            )
        seen.add(iid)
        if e.get("unit_of_analysis") not in UNITS:
            raise InputError(
                f"indicator '{iid}' has unit_of_analysis '{e.get('unit_of_analysis')}'",
                path,
                f"use one of {list(UNITS)}",
            )
        if e.get("estimator") not in ESTIMATORS:
            raise InputError(
                f"indicator '{iid}' has estimator '{e.get('estimator')}'",
                path,
                f"use one of {list(ESTIMATORS)}",
            )
        if e["estimator"] == "ratio" and not e.get("denominator"):
            raise InputError(
                f"ratio indicator '{iid}' has no `denominator`", path, "add `denominator:`"
            )
        if e.get("unit") not in VALUE_UNITS:
            raise InputError(
                f"indicator '{iid}' has unit '{e.get('unit')}'",
                path,
                f"use one of {list(VALUE_UNITS)}",
            )
        if e.get("support") is not None and e["support"] not in SUPPORTS:
            raise InputError(
                f"indicator '{iid}' has support '{e['support']}'", path, f"use one of {SUPPORTS}"
            )
        known = {f for f in Indicator.__dataclass_fields__}
        extra = set(e) - known
        if extra:
            raise InputError(
                f"indicator '{iid}' has unknown key(s) {sorted(extra)}",
                path,
                f"use only {sorted(known)}",
            )
        if e.get("applicable") is not None and e["estimator"] not in ("proportion", "mean"):
            raise InputError(
                f"indicator '{iid}' has `applicable:` with estimator '{e['estimator']}'",
                path,
                "`applicable` is read for proportion and mean estimators only; remove it",
            )
        rng = tuple(e["range"]) if e.get("range") is not None else None
        tuples = {k: tuple(e.get(k, ())) for k in ("by", "show_by", "plot")}
        ind = Indicator(**{**e, **tuples, "range": rng})
        for what, expr in expressions_of(ind):
            parse(expr, f"{path}, indicator {iid} ({what})")
        out.append(ind)
    return out


def expressions_of(ind: Indicator) -> list[tuple[str, str]]:
    """(key, expression) of every expression of an entry: the universe, the definition and
    denominator of a linear indicator, and ``params.variable`` of a composite one. A
    composite's ``definition`` names a registered function and is no expression."""
    out = []
    if ind.universe not in ("all", "", None):
        out.append(("universe", str(ind.universe)))
    if ind.estimator != "composite":
        out.append(("definition", str(ind.definition)))
    if ind.denominator:
        out.append(("denominator", str(ind.denominator)))
    if isinstance(ind.params, dict) and ind.params.get("variable"):
        out.append(("params.variable", str(ind.params["variable"])))
    return out
