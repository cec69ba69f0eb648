"""The raw layout of the survey export (QUESTIONNAIRE.md, docs/raw_layout.md).

Which files there are, their variables in order with labels, kinds and value-label sets, the codes
that carry a meaning (don't know, refused, public providers, facility places), and how the endline
instrument differs from the baseline one (renamed variables, the NHI scheme code). Also the keys
that tie the files together (HH1, HH2, HL1). Shared by the generator, the recording and the writer.
"""

from __future__ import annotations

import copy

import numpy as np
import pandas as pd

AMOUNT_DK, AMOUNT_REFUSED = 9_999_998, 9_999_999
AGE_DK = 98
PUBLIC_PROVIDERS = (1, 2, 3)
FACILITY_PLACES = (21, 22, 23, 31)
OPD_COMPONENTS = ("OP5A", "OP5B", "OP5C", "OP5D", "OP5E", "OP5F")
IPD_COMPONENTS = ("IP3A", "IP3B", "IP3C", "IP3D", "IP3E", "IP3F")
SDG_COMPONENTS = (
    0,
    1,
    2,
    5,
)  # registration, medicines, tests, informal payments (not transport, food)
PII_COLUMNS = ("HH_HEAD_NAME", "HH_PHONE", "GPS_LAT", "GPS_LON")
ENDLINE_RENAMES = {
    "persons": {"ILL1": "ILL30"},
    "opd": {f"OP5{c}": f"OP5_{i}" for i, c in enumerate("ABCDEF", start=1)},
}
MODULE_FILES = ("hh", "food", "nonfood", "persons", "opd", "ipd", "births", "u5")

# --------------------------------------------------------------------------------------------
# Layout of the raw export (QUESTIONNAIRE.md). kind decides format, labels and missing codes.
# --------------------------------------------------------------------------------------------

VALUE_LABELS: dict[str, dict[int, str]] = {
    "area": {1: "urban", 2: "rural"},
    "yesno": {1: "yes", 2: "no", 8: "don't know", 9: "no response"},
    "result": {
        1: "completed",
        2: "no competent member at home",
        3: "refused",
        4: "dwelling vacant / not found",
        5: "partly completed",
        6: "other",
    },
    "relation": {
        1: "head",
        2: "spouse",
        3: "child",
        4: "child-in-law",
        5: "grandchild",
        6: "parent",
        7: "other relative",
        8: "not related",
    },
    "sex": {1: "male", 2: "female"},
    "education": {
        0: "none",
        1: "primary",
        2: "lower secondary",
        3: "upper secondary",
        4: "vocational / higher",
    },
    "activity": {
        1: "civil servant / military / police",
        2: "private formal employee",
        3: "self-employed non-farm",
        4: "farmer",
        5: "student",
        6: "household work",
        7: "unemployed",
        8: "too old / ill",
        9: "child not working",
    },
    "scheme": {
        1: "SASS (civil servants)",
        2: "SSO (private employees)",
        3: "CBHI (community-based)",
        4: "Health Equity Fund",
        5: "private insurance",
        6: "other",
    },
    "provider": {
        1: "central / provincial hospital",
        2: "district hospital",
        3: "health centre",
        4: "private hospital or clinic",
        5: "pharmacy or drug seller",
        6: "traditional healer",
        7: "facility abroad",
        8: "village health volunteer",
        96: "other",
    },
    "reason": {
        1: "not serious",
        2: "too expensive",
        3: "too far / no transport",
        4: "treated self with medicines at home",
        5: "no time",
        6: "poor quality / no staff or drugs",
        7: "did not know where to go",
        96: "other",
    },
    "payment": {
        1: "current income or savings",
        2: "borrowing",
        3: "sale of assets or livestock",
        4: "insurance paid",
        5: "relatives",
        6: "free / Health Equity Fund",
        96: "other",
    },
    "place": {
        11: "home",
        21: "central / provincial hospital",
        22: "district hospital",
        23: "health centre",
        31: "private facility",
        96: "other",
    },
    "assistant": {
        1: "doctor",
        2: "nurse / midwife",
        3: "auxiliary midwife",
        4: "traditional birth attendant",
        5: "relative / friend",
        6: "no one",
    },
    "food_item": {
        1: "glutinous rice",
        2: "ordinary rice",
        3: "other cereals and bread",
        4: "meat",
        5: "fish and seafood",
        6: "eggs",
        7: "milk and dairy",
        8: "vegetables",
        9: "fruit",
        10: "oil and fat",
        11: "sugar and sweets",
        12: "salt, spices, condiments",
        13: "non-alcoholic drinks",
        14: "alcohol and tobacco",
        15: "meals eaten outside the home",
    },
    "nf_item": {
        1: "firewood and charcoal",
        2: "gas and fuel",
        3: "electricity",
        4: "water",
        5: "transport (not for health)",
        6: "telephone and internet",
        7: "soap and personal care",
        8: "household supplies",
        9: "clothing and footwear",
        10: "education fees and supplies",
        11: "ceremonies and festivals",
        12: "house repairs and rent",
        13: "durable goods purchases",
        14: "taxes and fees",
    },
    "recall": {1: "last 30 days", 2: "last 12 months"},
    "amount": {AMOUNT_DK: "don't know", AMOUNT_REFUSED: "refused"},
    "age": {AGE_DK: "don't know"},
}

_HC = [
    "electricity",
    "improved water source",
    "improved toilet",
    "finished floor",
    "radio",
    "television",
    "refrigerator",
    "mobile phone",
    "motorcycle",
    "car / truck",
]
_HF = [
    "borrowed money",
    "sold assets or livestock",
    "used savings",
    "received help from relatives",
    "reduced spending on food or schooling",
]
_COMP = [
    "registration and consultation",
    "medicines",
    "tests",
    "transport",
    "food and lodging",
    "informal payments and gifts",
]

# (name, label, kind, value-label set)
LAYOUT: dict[str, list[tuple[str, str, str, str | None]]] = {
    "hh": [
        ("HH1", "Village (cluster) number", "key", None),
        ("HH2", "Household number (listing line)", "key", None),
        ("HH6", "Area", "code", "area"),
        ("HH9", "Result of household interview", "code", "result"),
        ("HH12", "Date of interview", "date", None),
        ("HH_HEAD_NAME", "Name of household head", "text", None),
        ("HH_PHONE", "Household phone number", "text", None),
        ("GPS_LAT", "GPS latitude", "gps", None),
        ("GPS_LON", "GPS longitude", "gps", None),
        *[(f"HC{i + 1}", f"Dwelling/assets: {t}", "yesno", "yesno") for i, t in enumerate(_HC)],
        ("DIST_HC", "Travel time to nearest health centre (minutes)", "count", None),
        ("DIST_HOSP", "Travel time to district hospital (minutes)", "count", None),
        ("HE1", "Medicines bought without consulting, last 30 days (LAK)", "amount", "amount"),
        ("HE2", "Other health spending, last 12 months (LAK)", "amount", "amount"),
        *[
            (f"HF{i + 1}", f"To pay for care, 12 months: {t}", "yesno", "yesno")
            for i, t in enumerate(_HF)
        ],
    ],
    "food": [
        ("HH1", "Village (cluster) number", "key", None),
        ("HH2", "Household number (listing line)", "key", None),
        ("FOOD_ITEM", "Food item", "code", "food_item"),
        ("FOOD_BUY", "Value purchased, last 7 days (LAK)", "amount", "amount"),
        ("FOOD_OWN", "Value of own production consumed, last 7 days (LAK)", "amount", "amount"),
        ("FOOD_GIFT", "Value received in kind, last 7 days (LAK)", "amount", "amount"),
    ],
    "nonfood": [
        ("HH1", "Village (cluster) number", "key", None),
        ("HH2", "Household number (listing line)", "key", None),
        ("NF_ITEM", "Non-food item", "code", "nf_item"),
        ("NF_RECALL", "Recall period", "code", "recall"),
        ("NF_VALUE", "Value (LAK)", "amount", "amount"),
    ],
    "persons": [
        ("HH1", "Village (cluster) number", "key", None),
        ("HH2", "Household number (listing line)", "key", None),
        ("HL1", "Line number", "key", None),
        ("HL3", "Relationship to head", "code", "relation"),
        ("HL4", "Sex", "code", "sex"),
        ("HL6", "Age in completed years", "age", "age"),
        ("ED4", "Highest level completed", "code", "education"),
        ("EMP1", "Main activity, last 12 months", "code", "activity"),
        ("INS1", "Covered by any health insurance / social health protection", "yesno", "yesno"),
        ("INS2", "Health protection scheme", "code", "scheme"),
        ("INS2_OTHER", "Scheme: other, specify", "text", None),
        ("ILL1", "Ill or injured in the last 30 days", "yesno", "yesno"),
        ("CHR1", "Chronic illness or disability", "yesno", "yesno"),
    ],
    "opd": [
        ("HH1", "Village (cluster) number", "key", None),
        ("HH2", "Household number (listing line)", "key", None),
        ("HL1", "Line number", "key", None),
        ("OP1", "Sought any care or advice", "yesno", "yesno"),
        ("OP2", "First provider", "code", "provider"),
        ("OP3", "Number of visits for this episode", "count", None),
        ("OP4", "Main reason for not seeking care", "code", "reason"),
        ("OP4_OTHER", "Reason: other, specify", "text", None),
        *[
            (c, f"Episode spending: {t} (LAK)", "amount", "amount")
            for c, t in zip(OPD_COMPONENTS, _COMP, strict=True)
        ],
        ("OP6", "Used an insurance or HEF card", "yesno", "yesno"),
    ],
    "ipd": [
        ("HH1", "Village (cluster) number", "key", None),
        ("HH2", "Household number (listing line)", "key", None),
        ("HL1", "Line number", "key", None),
        ("IP1", "Facility of admission", "code", "provider"),
        ("IP2", "Number of nights", "count", None),
        *[
            (c, f"Admission spending: {t} (LAK)", "amount", "amount")
            for c, t in zip(IPD_COMPONENTS, _COMP, strict=True)
        ],
        ("IP4", "Main source of payment", "code", "payment"),
    ],
    "births": [
        ("HH1", "Village (cluster) number", "key", None),
        ("HH2", "Household number (listing line)", "key", None),
        ("HL1", "Line number of the mother", "key", None),
        ("MN1", "Months since the last live birth", "count", None),
        ("MN2", "Place of delivery", "code", "place"),
        ("MN3", "Main assistant at delivery", "code", "assistant"),
        ("MN4", "Total spending on the delivery (LAK)", "amount", "amount"),
    ],
    "u5": [
        ("HH1", "Village (cluster) number", "key", None),
        ("HH2", "Household number (listing line)", "key", None),
        ("HL1", "Line number of the child", "key", None),
        ("CA1", "Diarrhoea in the last 2 weeks", "yesno", "yesno"),
        ("CA2", "Fever in the last 2 weeks", "yesno", "yesno"),
        ("CA3", "Cough in the last 2 weeks", "yesno", "yesno"),
        ("CA4", "Short rapid breaths or difficulty breathing", "yesno", "yesno"),
        ("CA5", "Problem in the chest (not only a blocked nose)", "yesno", "yesno"),
        ("CA6", "Sought advice or treatment", "yesno", "yesno"),
        ("CA7", "Where advice or treatment was first sought", "code", "provider"),
    ],
}


def layout_columns(file: str, round: str = "baseline") -> list[str]:
    """Variable names of one raw file in the instrument of `round`."""
    ren = ENDLINE_RENAMES.get(file, {}) if round == "endline" else {}
    return [ren.get(v[0], v[0]) for v in LAYOUT[file]]


def value_labels(round: str) -> dict[str, dict[int, str]]:
    """The value-label sets of the round's instrument (the endline adds the NHI scheme)."""
    vl = copy.deepcopy(VALUE_LABELS)
    if round == "endline":
        vl["scheme"][7] = "National Health Insurance (NHI)"
    return vl


def rename_round(tables: dict[str, pd.DataFrame], round: str) -> dict[str, pd.DataFrame]:
    """The tables with the variable names of the round's instrument (endline renames)."""
    if round != "endline":
        return tables
    return {
        k: (v.rename(columns=ENDLINE_RENAMES[k]) if k in ENDLINE_RENAMES else v)
        for k, v in tables.items()
    }


# --------------------------------------------------------------------------------------------
# Keys and tables
# --------------------------------------------------------------------------------------------

Tables = dict[str, dict[str, np.ndarray]]


def hh_key(df) -> np.ndarray:
    """Household key HH1 * 1e6 + HH2 of a DataFrame or a dict of column arrays."""
    return np.asarray(df["HH1"], dtype=np.int64) * 1_000_000 + np.asarray(df["HH2"], dtype=np.int64)


def person_key(df) -> np.ndarray:
    """Person key (household key * 100 + HL1) of a DataFrame or a dict of column arrays."""
    return hh_key(df) * 100 + np.asarray(df["HL1"], dtype=np.int64)


def to_frame(cols: dict[str, np.ndarray]) -> pd.DataFrame:
    """A DataFrame of columns of arrays; object (text) columns become strings."""
    df = pd.DataFrame(cols)
    for c, v in cols.items():
        if np.asarray(v).dtype == object:
            df[c] = df[c].astype("str")
    return df
