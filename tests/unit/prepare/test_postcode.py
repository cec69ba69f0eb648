"""Post-coding of "other, specify" answers (issue 14): hand-made table, every change logged."""

from __future__ import annotations

import logging

import pandas as pd
import pytest
import yaml

from hhsurvey.errors import InputError
from hhsurvey.prepare.clean import LOG_COLUMNS
from hhsurvey.prepare.postcode import normalise, post_code

RULE = {
    "table": "person",
    "text": "scheme_other",
    "target": "scheme",
    "from": "other",
    "map": {"military health scheme": "military_police", "ກອງທຶນສຸຂະພາບຕຳຫຼວດ": "military_police"},
}
KEYS = ["village", "hh", "line"]


def _person() -> pd.DataFrame:
    cats = ["sass", "sso", "cbhi", "hef", "private", "other"]
    return pd.DataFrame(
        {
            "village": [1, 1, 1, 2, 2],
            "hh": [1, 1, 2, 1, 1],
            "line": [1, 2, 1, 1, 2],
            "scheme": pd.Categorical(["other", "other", "sass", "other", "other"], categories=cats),
            # 1: matches after normalisation; 2: no entry; 3: not "other": untouched even if it
            # matched; 4: Lao text; 5: matching text but an unknown phrase
            "scheme_other": [
                "  Military   HEALTH scheme ",
                "company fund",
                "Military health scheme",
                "ກອງທຶນສຸຂະພາບຕຳຫຼວດ",
                None,
            ],
        }
    )


def test_normalise():
    assert normalise("  Military   HEALTH scheme ") == "military health scheme"
    assert normalise(None) == "" and normalise(float("nan")) == ""


def test_post_code_changes_only_matching_other_answers_and_logs_each():
    out, log = post_code(_person(), "person", RULE, KEYS, LOG_COLUMNS)
    # by hand: rows 1 and 4 move to military_police; 2 and 5 stay "other"; 3 stays "sass"
    assert out["scheme"].astype(str).tolist() == [
        "military_police",
        "other",
        "sass",
        "military_police",
        "other",
    ]
    assert "military_police" in out["scheme"].cat.categories
    assert list(log.columns) == LOG_COLUMNS
    assert len(log) == 2
    assert log["keys"].tolist() == ["village=1, hh=1, line=1", "village=2, hh=1, line=1"]
    assert set(log["old_value"]) == {"other"} and set(log["new_value"]) == {"military_police"}
    assert (log["rule"] == "post_code").all()


def test_post_code_with_nothing_to_change_returns_the_table():
    person = _person().assign(scheme_other=None)
    out, log = post_code(person, "person", RULE, KEYS, LOG_COLUMNS)
    assert log.empty and out["scheme"].astype(str).tolist() == person["scheme"].astype(str).tolist()


def test_post_code_names_a_missing_column():
    with pytest.raises(InputError, match="scheme_text"):
        post_code(_person(), "person", dict(RULE, text="scheme_text"), KEYS, LOG_COLUMNS)


def test_config_maps_every_demo_military_answer():
    """Every military/police text the simulator writes is in the configured table."""
    cfg = yaml.safe_load(open("config/config.yaml", encoding="utf-8"))
    sim = yaml.safe_load(open("config/simulate.yaml", encoding="utf-8"))
    (rule,) = [r for r in cfg["cleaning"]["post_coding"] if r["target"] == "scheme"]
    texts = sim["insurance"]["other_texts_military"]
    assert {normalise(t) for t in texts} <= {normalise(k) for k in rule["map"]}


def test_a_zero_width_space_inside_a_lao_answer_still_post_codes(caplog):
    """Three Lao answers with a zero-width space were no longer post-coded, nothing logged."""
    person = _person()
    person.loc[1, "scheme_other"] = "ກອງທຶນສຸຂະພາບ\u200bຕຳຫຼວດ"
    person.loc[4, "scheme_other"] = "\u200bກອງທຶນ\u200cສຸຂະພາບຕຳຫຼວດ "
    with caplog.at_level(logging.INFO):
        out, log = post_code(person, "person", RULE, KEYS, LOG_COLUMNS)
    assert out["scheme"].astype(str).tolist() == [
        "military_police",
        "military_police",
        "sass",
        "military_police",
        "military_police",
    ]
    assert len(log) == 4
    assert "left uncoded" not in caplog.text


def test_answers_left_uncoded_are_counted_in_the_log(caplog):
    with caplog.at_level(logging.INFO):
        post_code(_person(), "person", RULE, KEYS, LOG_COLUMNS)
    # row 2 ("company fund") is "other" with text matching no entry; row 5 has no text
    assert "person.scheme_other: 1 'other, specify' answer(s) left uncoded" in caplog.text
    assert "company fund" not in caplog.text  # counted, never shown


def test_the_categories_a_rule_codes_into_exist_even_when_unused():
    person = _person().assign(scheme_other=None)
    out, log = post_code(person, "person", RULE, KEYS, LOG_COLUMNS)
    assert log.empty and "military_police" in out["scheme"].cat.categories
