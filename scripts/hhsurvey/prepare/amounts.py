"""Amounts: which columns of each canonical table hold them.

:data:`AMOUNT_COLUMNS` names the amount columns of each table with the item column their
rules group by: the record-level rules (:mod:`hhsurvey.prepare.outliers`), validation,
cleaning and the village-level rule (:mod:`hhsurvey.prepare.village_scale`) read it here.
"""

from __future__ import annotations

__all__ = ["AMOUNT_COLUMNS", "CARE_COSTS"]

# The six spending components of an outpatient episode (OP5A-F) and an admission (IP3A-F).
CARE_COSTS = (
    "cost_consult",
    "cost_medicine",
    "cost_tests",
    "cost_transport",
    "cost_food",
    "cost_informal",
)
# Amount columns per table, with the item column their outlier rule and imputation group by.
AMOUNT_COLUMNS = {
    "household": {"med_self_30d": None, "other_health_12m": None},
    "food": {"buy": "item", "own": "item", "gift": "item"},
    "nonfood": {"value": "item"},
    "episode": dict.fromkeys(CARE_COSTS),
    "admission": dict.fromkeys(CARE_COSTS),
    "birth": {"cost": None},
}
