"""The benefit-package scenarios as declared (config ``scenarios:``): packages and their names.

A package (``scenarios.packages``) covers OOP records by type of care, cost item and provider,
pays a share of them, optionally up to caps, for the persons it makes eligible
(:class:`Package`). The names here are the vocabulary of ``results/{round}/scenarios.csv``
shared by the analysis that writes it (:mod:`hhsurvey.analysis.scenarios`) and the report that
reads it (:mod:`hhsurvey.outputs.report.scenarios`): the reserved id of the actual situation,
the measures, the cost indicators, and each scenario's label.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from hhsurvey.errors import InputError

__all__ = [
    "ACTUAL",
    "ACTUAL_LABEL",
    "COST_PER_CAPITA",
    "COST_TOTAL",
    "INCIDENCE",
    "INSURANCE",
    "MEASURES",
    "WHERE",
    "Package",
    "labels",
    "load_packages",
]

#: Scenario id of the actual situation (no package), reserved.
ACTUAL = "actual"
ACTUAL_LABEL = "Actual situation"
#: Measures of scenarios.csv: each indicator's level, its change (actual - scenario), the
#: cost to the fund and the benefit incidence by quintile.
MEASURES = ("level", "change", "cost", "incidence")
#: Eligibility by insurance (``eligible.insurance``).
INSURANCE = ("any", "insured", "uninsured")
#: Indicator ids of the cost rows (total and per capita) and of the benefit incidence.
COST_TOTAL, COST_PER_CAPITA, INCIDENCE = "cost_total", "cost_per_capita", "benefit_incidence"
#: Where the packages are declared (error messages).
WHERE = "config/config.yaml, scenarios.packages"


@dataclass(frozen=True)
class Package:
    """One benefit package. ``None`` for types, items, providers, quintiles or schemes: any."""

    id: str
    label: str
    types: tuple[str, ...] | None = None
    items: tuple[str, ...] | None = None
    providers: tuple[str, ...] | None = None
    share: float = 1.0
    cap_per_record: float | None = None
    cap_per_household_year: float | None = None
    insurance: str = "any"
    quintiles: tuple[int, ...] | None = None
    schemes: tuple[str, ...] | None = None

    @property
    def everyone(self) -> bool:
        return self.insurance == "any" and self.quintiles is None and self.schemes is None


def _tuple(x: Any) -> tuple | None:
    return None if x is None else tuple(x)


def load_packages(cfg: dict) -> list[Package]:
    """The packages of ``scenarios.packages`` (schema-validated), with unique ids."""
    out, seen = [], set()
    for p in cfg.get("packages") or []:
        pid = p["id"]
        if pid in seen or pid == ACTUAL:
            raise InputError(
                f"scenario id '{pid}' is used twice or is the reserved id '{ACTUAL}'",
                WHERE,
                "give each package a unique id",
            )
        seen.add(pid)
        covers, elig = p.get("covers") or {}, p.get("eligible") or {}
        out.append(
            Package(
                id=pid,
                label=p["label"],
                types=_tuple(covers.get("types")),
                items=_tuple(covers.get("items")),
                providers=_tuple(covers.get("providers")),
                share=float(p.get("share", 1.0)),
                cap_per_record=p.get("cap_per_record"),
                cap_per_household_year=p.get("cap_per_household_year"),
                insurance=elig.get("insurance", "any"),
                quintiles=_tuple(elig.get("quintiles")),
                schemes=_tuple(elig.get("schemes")),
            )
        )
    return out


def labels(scenarios: dict) -> dict[str, str]:
    """Scenario id -> label, the actual situation first."""
    return {ACTUAL: ACTUAL_LABEL} | {p.id: p.label for p in load_packages(scenarios)}
