"""A minimal clean round of canonical tables (as ingest writes them), for unit tests."""

from __future__ import annotations

import pandas as pd
from testpaths import REPO

from hhsurvey.prepare.validate import AMOUNT_COLUMNS
from hhsurvey.survey.codebook.model import categories, load_codebook

CODEBOOK = load_codebook(REPO / "config" / "codebooks" / "baseline.yaml")


def _cat(table: str, col: str, values: list) -> pd.Categorical:
    return pd.Categorical(values, categories=categories(CODEBOOK, table, col))


def tiny_round() -> dict[str, pd.DataFrame]:
    """Two villages, three households (one refused), five persons, every module populated."""
    household = pd.DataFrame(
        {
            "village": [1, 1, 2],
            "hh": [1, 2, 1],
            "area": _cat("household", "area", ["urban", "urban", "rural"]),
            "result": _cat("household", "result", ["completed", "refused", "completed"]),
            "interview_date": pd.to_datetime(["2013-03-10", "2013-03-10", "2013-03-12"]).astype(
                "datetime64[s]"
            ),
            "med_self_30d": [10_000.0, None, 0.0],
            "other_health_12m": [0.0, None, 20_000.0],
            "fin_borrowed": _cat("household", "fin_borrowed", ["no", None, "yes"]),
            "fin_sold_assets": _cat("household", "fin_sold_assets", ["no", None, "no"]),
        }
    )
    person = pd.DataFrame(
        {
            "village": [1, 1, 2, 2, 2],
            "hh": [1, 1, 1, 1, 1],
            "line": [1, 2, 1, 2, 3],
            "relation": _cat("person", "relation", ["head", "spouse", "head", "spouse", "child"]),
            "sex": _cat("person", "sex", ["male", "female", "male", "female", "female"]),
            "age": [40.0, 30.0, 35.0, 28.0, 2.0],
            "insured": _cat("person", "insured", ["yes", "no", "no", "no", "no"]),
            "scheme": _cat("person", "scheme", ["sass", None, None, None, None]),
            "ill_30d": _cat("person", "ill_30d", ["yes", "no", "no", "no", "yes"]),
        }
    )
    food = pd.DataFrame(
        {
            "village": [1, 2],
            "hh": [1, 1],
            "item": _cat("food", "item", ["fish", "fish"]),
            "buy": [7_000.0, 0.0],
            "own": [0.0, 14_000.0],
            "gift": [0.0, 0.0],
        }
    )
    nonfood = pd.DataFrame(
        {
            "village": [1, 2],
            "hh": [1, 1],
            "item": _cat("nonfood", "item", ["water", "water"]),
            "recall": _cat("nonfood", "recall", ["days30", "days30"]),
            "value": [5_000.0, 3_000.0],
        }
    )
    costs = list(AMOUNT_COLUMNS["episode"])
    episode = pd.DataFrame(
        {
            "village": [1, 2],
            "hh": [1, 1],
            "line": [1, 3],
            "sought": _cat("episode", "sought", ["yes", "no"]),
            "provider": _cat("episode", "provider", ["health_centre", None]),
            "visits": [1.0, None],
            "reason_no_care": _cat("episode", "reason_no_care", [None, "cost"]),
        }
        | {c: [1_000.0, None] for c in costs}
    )
    admission = pd.DataFrame(
        {"village": [1], "hh": [1], "line": [1], "admission": [1], "nights": [2.0]}
        | {c: [10_000.0] for c in costs}
    )
    birth = pd.DataFrame(
        {
            "village": [2],
            "hh": [1],
            "line": [2],
            "months_since": [20.0],
            "place": _cat("birth", "place", ["health_centre"]),
            "assistant": _cat("birth", "assistant", ["nurse_midwife"]),
            "cost": [50_000.0],
        }
    )
    child = pd.DataFrame(
        {"village": [2], "hh": [1], "line": [3]}
        | {
            c: _cat("child", c, ["no"])
            for c in ["diarrhoea", "fever", "cough", "fast_breathing", "chest", "sought"]
        }
    )
    frame = pd.DataFrame(
        {
            "village": [1, 2, 3],
            "area": _cat("frame", "area", ["urban", "rural", "rural"]),
            "mos_hh": [100.0, 80.0, 60.0],
            "selected": [1, 1, 0],
            "listed_hh": [110.0, 85.0, None],
            "sampled_hh": [2.0, 1.0, None],
        }
    )
    return {
        "frame": frame,
        "household": household,
        "person": person,
        "food": food,
        "nonfood": nonfood,
        "episode": episode,
        "admission": admission,
        "birth": birth,
        "child": child,
    }


PARAMS = {
    "max_age": 105,
    "max_visits": 60,
    "max_nights": 180,
    "min_mother_age": 12,
    "fieldwork_start": "2013-03-04",
    "fieldwork_end": "2013-04-19",
    "responding": ["completed"],
    "extreme_mad_threshold": 5.0,
    # the tiny round's weights add up to 7.8 % more households than its frame's census counts
    # (tests/unit/prepare/test_validate.py, by hand): within this tolerance, no finding
    "frame_total_tolerance": 0.10,
}
