"""A tiny but complete canonical round for checking every catalogue indicator by hand.

Two strata (urban: villages 1, 2; rural: villages 3, 4), two responding households per village
(village 3 also has a refused household), 16 persons, 11 illness episodes (6 with care, one
"don't know"), 3 admissions of 2 persons, 4 last births (3 in the last 24 months, 1 in the
last 12 months), 3 children under five with fever / diarrhoea / ARI, food and non-food items
(including items excluded from capacity-to-pay food and from non-food consumption).

Household weights are one value per village (the non-response adjustment is within village):

    village 1: 100   village 2: 150   village 3: 200   village 4: 250

Households, written H1..H8 below and in the tests (v = village, hh = household number):

    H1 v1/1 urban  2 persons   H2 v1/2 urban  1 person    H3 v2/1 urban  2 persons
    H4 v2/2 urban  2 persons   H5 v3/1 rural  3 persons   H6 v3/2 rural  2 persons
    H7 v4/1 rural  3 persons   H8 v4/2 rural  1 person    (v3/3 refused: no persons)

The annual household amounts implied by these raw values are worked out by hand in
``HOUSEHOLDS`` (the tests compare them with ``household_aggregates`` before using them).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from canonical_fixture import _cat

VILLAGE_WEIGHT = {1: 100.0, 2: 150.0, 3: 200.0, 4: 250.0}

# Hand-computed annual LAK per household (docs/definitions.md "Consumption and out-of-pocket"):
# food = weekly (buy + own + gift) x 365/7; food_ctp drops alcohol_tobacco and meals_outside;
# non-food = 30-day x 12 + 12-month, durables and taxes_fees excluded;
# OOP = 12 x episodes (consult + medicine + tests + informal) + 12 x HE1 + admissions (same four)
#       + HE2 + delivery cost of births < 12 months ago.
#
# H1: food (49,000 + 21,000 alcohol) x 365/7 = 3,650,000; ctp 49,000 x 365/7 = 2,555,000
#     non-food 100,000 x 12 + 300,000 + 1,430,000 (durables 1,000,000 out) = 2,930,000
#     OOP 12 x 35,000 = 420,000 (birth 20 months ago not OOP); total 7,000,000
# H2: food (14,000 + 14,000 + 7,000 meals out) x 365/7 = 1,825,000; ctp 28,000 x 365/7 = 1,460,000
#     non-food 50,000 x 12 + 2,045,000 = 2,645,000 (taxes 200,000 out)
#     OOP 12 x 105,000 + 12 x HE1 10,000 = 1,380,000; total 5,850,000
# H3: food (28,000 + 7,000) x 365/7 = 1,825,000; non-food 25,000 x 12 = 300,000
#     OOP 0 (episode without care); total 2,125,000
# H4: food (35,000 + 7,000 gift) x 365/7 = 2,190,000
#     non-food (60,000 + 100,000) x 12 + 346,000 = 2,266,000
#     OOP 12 x 12,000 + admission 200,000 = 344,000; total 4,800,000
# H5: food (70,000 + 28,000 + 14,000) x 365/7 = 5,840,000
#     non-food 60,000 x 12 + 660,000 = 1,380,000
#     OOP 12 x 75,000 + 12 x HE1 5,000 + birth 10 months ago 200,000 + HE2 1,340,000
#     = 2,500,000 ("don't know" episode has no amounts); total 9,720,000
# H6: food (56,000 + 14,000 alcohol) x 365/7 = 3,650,000; ctp 56,000 x 365/7 = 2,920,000
#     non-food (10,000 + 60,000) x 12 + 200,000 = 1,040,000
#     OOP 12 x 50,000 = 600,000 (birth 30 months ago); total 5,290,000
# H7: food (49,000 + 14,000) x 365/7 = 3,285,000; non-food 15,000 x 12 = 180,000 (durables out)
#     OOP 12 x 15,000 = 180,000 (birth 18 months ago not OOP); total 3,645,000
# H8: food 14,000 x 365/7 = 730,000; non-food 5,000 x 12 = 60,000
#     OOP admissions 60,000 + 140,000 + HE2 100,000 = 300,000; total 1,090,000
HOUSEHOLDS = pd.DataFrame(
    [
        # id,  village, hh, area, hhsize, food, food_ctp, nonfood, oop, borrowed, sold
        ("H1", 1, 1, "urban", 2, 3_650_000, 2_555_000, 2_930_000, 420_000, False, False),
        # H2 answered "don't know" to selling assets: missing, not "no"
        ("H2", 1, 2, "urban", 1, 1_825_000, 1_460_000, 2_645_000, 1_380_000, False, None),
        ("H3", 2, 1, "urban", 2, 1_825_000, 1_825_000, 300_000, 0, False, False),
        ("H4", 2, 2, "urban", 2, 2_190_000, 2_190_000, 2_266_000, 344_000, True, False),
        ("H5", 3, 1, "rural", 3, 5_840_000, 5_840_000, 1_380_000, 2_500_000, False, False),
        ("H6", 3, 2, "rural", 2, 3_650_000, 2_920_000, 1_040_000, 600_000, False, True),
        ("H7", 4, 1, "rural", 3, 3_285_000, 3_285_000, 180_000, 180_000, False, False),
        ("H8", 4, 2, "rural", 1, 730_000, 730_000, 60_000, 300_000, True, True),
    ],
    columns=[
        "id",
        "village",
        "hh",
        "area",
        "hhsize",
        "food",
        "food_ctp",
        "nonfood",
        "oop",
        "fin_borrowed",
        "fin_sold_assets",
    ],
)
HOUSEHOLDS = HOUSEHOLDS.assign(
    weight=HOUSEHOLDS["village"].map(VILLAGE_WEIGHT),
    total=HOUSEHOLDS["food"] + HOUSEHOLDS["nonfood"] + HOUSEHOLDS["oop"],
)

COSTS = ["cost_consult", "cost_medicine", "cost_tests", "cost_transport", "cost_food"]
COSTS = [*COSTS, "cost_informal"]


def _frame(rows: list[tuple], columns: list[str], table: str, cats: list[str]) -> pd.DataFrame:
    df = pd.DataFrame(rows, columns=columns)
    for c in cats:
        df[c] = _cat(table, c, [None if pd.isna(v) else v for v in df[c]])
    return df


def indicator_round() -> dict[str, pd.DataFrame]:
    """Canonical tables of the round (as ingest and clean write them)."""
    household = _frame(
        [
            # village, hh, area, result, HE1 30d, HE2 12m, borrowed, sold, dist_hc
            (1, 1, "urban", "completed", 0.0, 0.0, "no", "no", 10.0),
            (1, 2, "urban", "completed", 10_000.0, 0.0, "no", "dont_know", 15.0),
            (2, 1, "urban", "completed", 0.0, 0.0, "no", "no", 20.0),
            (2, 2, "urban", "completed", 0.0, 0.0, "yes", "no", 5.0),
            (3, 1, "rural", "completed", 5_000.0, 1_340_000.0, "no", "no", 45.0),
            (3, 2, "rural", "completed", 0.0, 0.0, "no", "yes", 60.0),
            (3, 3, "rural", "refused", None, None, None, None, None),
            (4, 1, "rural", "completed", 0.0, 0.0, "no", "no", 90.0),
            (4, 2, "rural", "completed", 0.0, 100_000.0, "yes", "yes", 30.0),
        ],
        [
            "village",
            "hh",
            "area",
            "result",
            "med_self_30d",
            "other_health_12m",
            "fin_borrowed",
            "fin_sold_assets",
            "dist_hc",
        ],
        "household",
        ["area", "result", "fin_borrowed", "fin_sold_assets"],
    )
    household["interview_date"] = pd.Timestamp("2013-03-15").as_unit("s")

    person = _frame(
        [
            # village, hh, line, relation, sex, age, insured, scheme, ill_30d
            (1, 1, 1, "head", "male", 45.0, "yes", "sass", "yes"),
            (1, 1, 2, "spouse", "female", 40.0, "yes", "sass", "no"),
            (1, 2, 1, "head", "female", 30.0, "yes", "sso", "yes"),
            (2, 1, 1, "head", "male", 55.0, "no", None, "yes"),
            (2, 1, 2, "spouse", "female", 52.0, "yes", "cbhi", "no"),
            (2, 2, 1, "head", "male", 70.0, "yes", "hef", "yes"),
            (2, 2, 2, "spouse", "female", 68.0, "no", None, "dont_know"),
            (3, 1, 1, "head", "male", 35.0, "no", None, "yes"),
            (3, 1, 2, "spouse", "female", 25.0, "no", None, "no"),
            (3, 1, 3, "child", "male", 1.0, "no", None, "yes"),
            (3, 2, 1, "head", "female", 28.0, "yes", "cbhi", "yes"),
            (3, 2, 2, "child", "female", 2.0, "yes", "cbhi", "yes"),
            (4, 1, 1, "head", "male", 33.0, "no", None, "no"),
            (4, 1, 2, "spouse", "female", 24.0, "no", None, "yes"),
            (4, 1, 3, "child", "female", 0.0, "no", None, "yes"),
            (4, 2, 1, "head", "female", 66.0, "dont_know", None, "yes"),
        ],
        ["village", "hh", "line", "relation", "sex", "age", "insured", "scheme", "ill_30d"],
        "person",
        ["relation", "sex", "insured", "scheme", "ill_30d"],
    )
    # cleaning adds the categories that post-coding codes into (config cleaning.post_coding)
    person["scheme"] = person["scheme"].cat.add_categories(["military_police"])

    food = _frame(
        [
            # village, hh, item, buy, own, gift (weekly LAK)
            (1, 1, "ordinary_rice", 49_000.0, None, None),
            (1, 1, "alcohol_tobacco", 21_000.0, 0.0, 0.0),
            (1, 2, "ordinary_rice", 14_000.0, 0.0, 0.0),
            (1, 2, "meat", 14_000.0, 0.0, 0.0),
            (1, 2, "meals_outside", 7_000.0, 0.0, 0.0),
            (2, 1, "glutinous_rice", 0.0, 28_000.0, 0.0),
            (2, 1, "vegetables", 0.0, 7_000.0, 0.0),
            (2, 2, "ordinary_rice", 35_000.0, 0.0, 0.0),
            (2, 2, "fish", 0.0, 0.0, 7_000.0),
            (3, 1, "glutinous_rice", 0.0, 70_000.0, 0.0),
            (3, 1, "meat", 28_000.0, 0.0, 0.0),
            (3, 1, "eggs", 14_000.0, 0.0, 0.0),
            (3, 2, "glutinous_rice", 0.0, 56_000.0, 0.0),
            (3, 2, "alcohol_tobacco", 14_000.0, 0.0, 0.0),
            (4, 1, "glutinous_rice", 0.0, 49_000.0, 0.0),
            (4, 1, "fish", 0.0, 14_000.0, 0.0),
            (4, 2, "glutinous_rice", 0.0, 14_000.0, 0.0),
        ],
        ["village", "hh", "item", "buy", "own", "gift"],
        "food",
        ["item"],
    )

    nonfood = _frame(
        [
            # village, hh, item, recall, value
            (1, 1, "electricity", "days30", 100_000.0),
            (1, 1, "clothing", "months12", 300_000.0),
            (1, 1, "education", "months12", 1_430_000.0),
            (1, 1, "durables", "months12", 1_000_000.0),
            (1, 2, "housing", "days30", 50_000.0),
            (1, 2, "education", "months12", 2_045_000.0),
            (1, 2, "taxes_fees", "months12", 200_000.0),
            (2, 1, "fuel_wood_charcoal", "days30", 25_000.0),
            (2, 2, "electricity", "days30", 60_000.0),
            (2, 2, "housing", "days30", 100_000.0),
            (2, 2, "ceremonies", "months12", 346_000.0),
            (3, 1, "fuel_wood_charcoal", "days30", 60_000.0),
            (3, 1, "education", "months12", 660_000.0),
            (3, 2, "water", "days30", 10_000.0),
            (3, 2, "housing", "days30", 60_000.0),
            (3, 2, "ceremonies", "months12", 200_000.0),
            (4, 1, "fuel_wood_charcoal", "days30", 15_000.0),
            (4, 1, "durables", "months12", 500_000.0),
            (4, 2, "fuel_wood_charcoal", "days30", 5_000.0),
        ],
        ["village", "hh", "item", "recall", "value"],
        "nonfood",
        ["item", "recall"],
    )

    n = None
    episode = _frame(
        [
            # village, hh, line, sought, provider, visits, reason_no_care,
            # consult, medicine, tests, transport, food, informal   (LAK, last 30 days)
            (1, 1, 1, "yes", "public_district", 2.0, n, 10_000, 20_000, 5_000, 8_000, 2_000, 0),
            (1, 2, 1, "yes", "private", 1.0, n, 30_000, 50_000, 20_000, 5_000, 0, 5_000),
            (2, 1, 1, "no", n, n, "cost", n, n, n, n, n, n),
            (2, 2, 1, "yes", "pharmacy", 1.0, n, 0, 12_000, 0, 0, 0, 0),
            (3, 1, 1, "dont_know", n, n, n, n, n, n, n, n, n),
            (3, 1, 3, "yes", "health_centre", 1.0, n, 5_000, 60_000, 10_000, 10_000, 3_000, 0),
            (3, 2, 1, "no", n, n, "distance", n, n, n, n, n, n),
            (3, 2, 2, "yes", "traditional", 1.0, n, 20_000, 30_000, 0, 0, 0, 0),
            (4, 1, 2, "no", n, n, "not_serious", n, n, n, n, n, n),
            (4, 1, 3, "yes", "vhv", 3.0, n, 0, 15_000, 0, 0, 0, 0),
            (4, 2, 1, "no", n, n, "self_treated", n, n, n, n, n, n),
        ],
        ["village", "hh", "line", "sought", "provider", "visits", "reason_no_care", *COSTS],
        "episode",
        ["sought", "provider", "reason_no_care"],
    )
    episode = episode.astype({c: "float64" for c in [*COSTS, "visits"]})

    admission = pd.DataFrame(
        [
            # village, hh, line, admission, nights, consult, medicine, tests, transport,
            # food, informal
            (2, 2, 1, 1, 3.0, 50_000, 100_000, 30_000, 20_000, 10_000, 20_000),
            (4, 2, 1, 1, 2.0, 0, 60_000, 0, 0, 0, 0),
            (4, 2, 1, 2, 6.0, 40_000, 100_000, 0, 15_000, 5_000, 0),
        ],
        columns=["village", "hh", "line", "admission", "nights", *COSTS],
    ).astype({c: "float64" for c in COSTS})

    birth = _frame(
        [
            # village, hh, line, months_since, place, assistant, cost
            (1, 1, 2, 20.0, "public_district", "doctor", 300_000.0),
            (3, 1, 2, 10.0, "other", "nurse_midwife", 200_000.0),
            (3, 2, 1, 30.0, "home", "relative", 0.0),
            (4, 1, 2, 18.0, "home", "traditional_attendant", 50_000.0),
        ],
        ["village", "hh", "line", "months_since", "place", "assistant", "cost"],
        "birth",
        ["place", "assistant"],
    )

    child_cols = ["diarrhoea", "fever", "cough", "fast_breathing", "chest", "sought", "source"]
    child = _frame(
        [
            # village, hh, line, diarrhoea, fever, cough, fast_breathing, chest, sought, source
            (3, 1, 3, "yes", "yes", "yes", "yes", "yes", "yes", "health_centre"),
            (3, 2, 2, "yes", "yes", "no", "no", "no", "yes", "traditional"),
            (4, 1, 3, "yes", "dont_know", "yes", "yes", "yes", "no", None),
        ],
        ["village", "hh", "line", *child_cols],
        "child",
        child_cols,
    )
    return {
        "household": household,
        "person": person,
        "food": food,
        "nonfood": nonfood,
        "episode": episode,
        "admission": admission,
        "birth": birth,
        "child": child,
    }


def weights_table() -> pd.DataFrame:
    """Final household weights (one value per village; the refused household has weight 0)."""
    hh = indicator_round()["household"]
    return pd.DataFrame(
        {
            "village": hh["village"],
            "hh": hh["hh"],
            "area": hh["area"],
            "weight": np.where(hh["result"] == "completed", hh["village"].map(VILLAGE_WEIGHT), 0.0),
            "responding": (hh["result"] == "completed").to_numpy(),
        }
    )
