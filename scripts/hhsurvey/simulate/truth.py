"""The truth: finite-population values of the headline indicators (truth.csv).

docs/definitions.md formulas with weight 1 over every household of the population, computed from the
tables in the raw layout (baseline or endline names). :func:`truth_sums` gives numerators and
denominators of a set of households, so blocks of villages can be summed as they are generated;
:func:`truth_values` turns the sums into the indicators.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from hhsurvey.simulate.layout import ENDLINE_RENAMES, FACILITY_PLACES, hh_key
from hhsurvey.simulate.params import round_params

TRUTH_INDICATORS: dict[str, str] = {
    "coverage_any": "Persons covered by any health insurance / social health protection (INS1 = 1) among all persons",
    "illness_30d": "Persons ill or injured in the last 30 days among all persons",
    "care_seeking": "Persons ill in the last 30 days who sought any care or advice (OP1 = 1)",
    "forgone_cost": "Ill persons who did not seek care, main reason too expensive (OP4 = 2)",
    "opd_visits_per_capita": "Outpatient visits per person per year: 12 x sum OP3 / population",
    "admissions_per_1000": "Hospital admissions per 1,000 persons per year",
    "oop_episode_mean": "Mean OOP per outpatient episode with care sought, OP5A+OP5B+OP5C+OP5F (LAK, round prices)",
    "oop_annual_hh_mean": "Household mean annual OOP, SDG 3.8.2 scope (LAK, round prices; households unweighted)",
    "oop_budget_share_mean": "Population-weighted mean OOP budget share (OOP / total consumption)",
    "che_sdg_10": "Population-weighted share with OOP > 10 % of total consumption (SDG 3.8.2)",
    "che_sdg_25": "Population-weighted share with OOP > 25 % of total consumption (SDG 3.8.2)",
    "distress_financing": "Population-weighted share living in a household that borrowed (HF1) or sold assets (HF2) to pay for care",
    "distress_financing_hh": "Households that borrowed (HF1) or sold assets (HF2) to pay for care (household share)",
    "institutional_delivery": "Last births in the last 24 months delivered in a health facility (MN2 in 21,22,23,31)",
    "skilled_birth_attendance": "Last births in the last 24 months attended by a doctor, nurse/midwife or auxiliary midwife",
    "u5_fever_care": "Children under 5 with fever in the last 2 weeks for whom care was sought, not from a traditional healer",
}
TRUTH_CONTEXT: dict[str, str] = {
    "population_persons": "Persons in the population (all households of the district at survey time)",
    "population_households": "Households in the population",
    "mean_household_size": "Mean household size (persons per household)",
    "poverty_headcount": "Population-weighted share with total consumption per person per month below the national line (round prices)",
    "food_share_mean": "Population-weighted mean food share of total consumption",
    "consumption_pc_month_mean": "Mean total consumption per person per month, population-weighted (LAK, round prices)",
}
MONETARY = ("oop_episode_mean", "oop_annual_hh_mean", "consumption_pc_month_mean")


def truth_sums(t, poverty_line_month: float) -> dict[str, float]:
    """Sums (numerators and denominators) of the truth over a set of complete households.

    `t` maps table names to DataFrames or dicts of column arrays (baseline or endline names).
    Plain docs/definitions.md formulas with weight 1; no don't-knows exist in true values.
    """
    ren = {v: k for m in ENDLINE_RENAMES.values() for k, v in m.items()}

    def col(table: str, c: str) -> np.ndarray:
        tab = t[table]
        return np.asarray(tab[c] if c in tab else tab[next(k for k, v in ren.items() if v == c)])

    keys = hh_key(t["hh"])
    index = pd.Index(keys)
    H = len(keys)

    def pos(table: str, rows=slice(None)) -> np.ndarray:
        return index.get_indexer(hh_key(t[table])[rows])

    def amounts(table: str, cols, rows) -> np.ndarray:
        return np.nan_to_num(np.column_stack([col(table, c)[rows] for c in cols])).sum(axis=1)

    m = np.bincount(pos("persons"), minlength=H).astype(float)
    food_v = col("food", "FOOD_BUY") + col("food", "FOOD_OWN") + col("food", "FOOD_GIFT")
    food_a = np.bincount(pos("food"), weights=food_v, minlength=H) * 365 / 7
    nf_in = ~np.isin(col("nonfood", "NF_ITEM"), [13, 14])  # durables and taxes excluded
    nf_v = col("nonfood", "NF_VALUE") * np.where(col("nonfood", "NF_RECALL") == 1, 12, 1)
    nf_a = np.bincount(pos("nonfood", nf_in), weights=nf_v[nf_in], minlength=H)
    op1 = col("opd", "OP1")
    cared = op1 == 1
    ep_oop = amounts("opd", ("OP5A", "OP5B", "OP5C", "OP5F"), cared)
    ip_oop = amounts("ipd", ("IP3A", "IP3B", "IP3C", "IP3F"), slice(None))
    mn1 = col("births", "MN1")
    b12 = mn1 < 12
    oop = (
        12 * np.bincount(pos("opd", cared), weights=ep_oop, minlength=H)
        + 12 * col("hh", "HE1")
        + np.bincount(pos("ipd"), weights=ip_oop, minlength=H)
        + col("hh", "HE2")
        + np.bincount(pos("births", b12), weights=col("births", "MN4")[b12], minlength=H)
    )
    total = food_a + nf_a + oop
    s = oop / total
    b24 = mn1 < 24
    fever = col("u5", "CA2") == 1
    distress = (col("hh", "HF1") == 1) | (col("hh", "HF2") == 1)
    return {
        "persons": m.sum(),
        "households": float(H),
        "covered": float((col("persons", "INS1") == 1).sum()),
        "ill": float((col("persons", "ILL1") == 1).sum()),
        "episodes": float(len(op1)),  # one opd row per ill person
        "cared": float(cared.sum()),
        "not_cared": float((op1 == 2).sum()),
        "forgone_cost": float(((op1 == 2) & (col("opd", "OP4") == 2)).sum()),
        "visits": float(np.nansum(col("opd", "OP3")[cared])),
        "admissions": float(len(ip_oop)),
        "oop_episodes": float(ep_oop.sum()),
        "oop_hh": float(oop.sum()),
        "share_pop": float((m * s).sum()),
        "che10_pop": float((m * (s > 0.10)).sum()),
        "che25_pop": float((m * (s > 0.25)).sum()),
        "distress": float(distress.sum()),
        "distress_pop": float((m * distress).sum()),
        "births24": float(b24.sum()),
        "institutional": float((b24 & np.isin(col("births", "MN2"), FACILITY_PLACES)).sum()),
        "skilled": float((b24 & np.isin(col("births", "MN3"), [1, 2, 3])).sum()),
        "fever": float(fever.sum()),
        "fever_care": float((fever & (col("u5", "CA6") == 1) & (col("u5", "CA7") != 6)).sum()),
        "poor_pop": float((m * (total / m / 12 < poverty_line_month)).sum()),
        "food_share_pop": float((m * food_a / total).sum()),
        "cons_total": float(total.sum()),
    }


def add_sums(a: dict[str, float] | None, b: dict[str, float]) -> dict[str, float]:
    """Sums of two sets of households (`a` None: a copy of `b`)."""
    return dict(b) if a is None else {k: a[k] + b[k] for k in a}


def truth_values(S: dict[str, float]) -> dict[str, float]:
    """The indicators (TRUTH_INDICATORS and TRUTH_CONTEXT) from the sums of :func:`truth_sums`."""
    return {
        "coverage_any": S["covered"] / S["persons"],
        "illness_30d": S["ill"] / S["persons"],
        "care_seeking": S["cared"] / S["episodes"],
        "forgone_cost": S["forgone_cost"] / S["not_cared"],
        "opd_visits_per_capita": 12 * S["visits"] / S["persons"],
        "admissions_per_1000": 1000 * S["admissions"] / S["persons"],
        "oop_episode_mean": S["oop_episodes"] / S["cared"],
        "oop_annual_hh_mean": S["oop_hh"] / S["households"],
        "oop_budget_share_mean": S["share_pop"] / S["persons"],
        "che_sdg_10": S["che10_pop"] / S["persons"],
        "che_sdg_25": S["che25_pop"] / S["persons"],
        "distress_financing": S["distress_pop"] / S["persons"],
        "distress_financing_hh": S["distress"] / S["households"],
        "institutional_delivery": S["institutional"] / S["births24"],
        "skilled_birth_attendance": S["skilled"] / S["births24"],
        "u5_fever_care": S["fever_care"] / S["fever"],
        "population_persons": S["persons"],
        "population_households": S["households"],
        "mean_household_size": S["persons"] / S["households"],
        "poverty_headcount": S["poor_pop"] / S["persons"],
        "food_share_mean": S["food_share_pop"] / S["persons"],
        "consumption_pc_month_mean": S["cons_total"] / S["persons"] / 12,
    }


def compute_truth(
    population: dict[str, pd.DataFrame], params: dict, round: str | None = None
) -> pd.DataFrame:
    """Finite-population values (indicator, value, description) of a population from
    :func:`simulate_population`."""
    meta = population.get("meta")
    round = round or (str(meta["round"].iloc[0]) if meta is not None else "baseline")
    P = round_params(params, round)
    line = P["wealth"]["poverty_line_pc_month"] * P["price_index"]
    return truth_frame(truth_values(truth_sums(population, line)))


def truth_frame(
    values: dict[str, float], extra: list[tuple[str, float, str]] | None = None
) -> pd.DataFrame:
    """truth.csv rows (indicator, value, description), the `extra` rows last."""
    desc = {**TRUTH_INDICATORS, **TRUTH_CONTEXT}
    rows = [(k, values[k], desc[k]) for k in desc]
    rows += extra or []
    return pd.DataFrame(rows, columns=["indicator", "value", "description"])
