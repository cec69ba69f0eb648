""" "What this means for the NHI" (hhsurvey.outputs.implications): each statement is written only
when every condition of its rule holds in tested results, carries its evidence, and names no
cause. The tables are planted here (differences.csv in its documented columns, a few
indicators.csv and scenarios.csv rows), so each test knows what must and must not be said."""

from __future__ import annotations

import re

import pandas as pd
import pytest
import yaml
from testpaths import REPO

from hhsurvey.engine.columns import DIFFERENCE_COLUMNS
from hhsurvey.errors import InputError
from hhsurvey.outputs.implications import evaluate, load_rules
from hhsurvey.outputs.money import Money

RULES = REPO / "config" / "implications.yaml"
LABELS = {
    "che_sdg_10": "Catastrophic health spending (>10%)",
    "care_seeking": "Sought care when ill",
    "coverage_hef": "Covered by HEF",
    "oop_any_episode": "Paid out of pocket",
}
UNITS = dict.fromkeys(LABELS, "percent")
#: Words a statement may not use: the survey shows associations, the scenarios are simulations.
CAUSAL = re.compile(
    r"\b(because|caus\w*|due to|leads? to|led to|effect of|impact of|results? in|thanks to|"
    r"drives?|driven)\b",
    re.I,
)


def difference(indicator, by, a, b, ea, eb, significant, p=0.01) -> dict:
    d = ea - eb
    return {
        "indicator": indicator,
        "by": by,
        "level_a": a,
        "level_b": b,
        "estimate_a": ea,
        "estimate_b": eb,
        "difference": d,
        "se": 0.02,
        "ci_low": d - 0.04,
        "ci_high": d + 0.04,
        "df": 18,
        "p_value": p / 2,
        "p_adjusted": p,
        "significant": significant,
        "family": "key_messages",
        "multiplicity": "benjamini_hochberg",
        "tests_in_family": 8,
        "method": "design-based contrast",
    }


def planted(significant: bool = True) -> pd.DataFrame:
    rows = [
        difference("che_sdg_10", "insured_status", "insured", "not insured", 0.124, 0.048, significant),
        difference("care_seeking", "insured_status", "insured", "not insured", 0.89, 0.54, True),
    ]  # fmt: skip
    return pd.DataFrame(rows, columns=list(DIFFERENCE_COLUMNS))


def run(differences, scenarios=None, rules=None) -> dict:
    out = evaluate(
        rules or load_rules(RULES),
        indicators=pd.DataFrame(
            {
                "indicator": [],
                "domain": [],
                "level": [],
                "estimate": [],
                "ci_low": [],
                "ci_high": [],
                "flag": [],
            }
        ),  # fmt: skip
        differences=differences,
        scenarios=scenarios,
        scenario_cfg={},
        labels=LABELS,
        units=UNITS,
        money=Money(lak_per_usd=8000),
    )
    return {s.id: s for s in out}


def test_the_rule_fires_on_tested_results_and_shows_its_evidence():
    st = run(planted())["insured_pay_more_and_use_more"]
    assert "12.4% against 4.8%" in st.text and "89.0% against 54.0%" in st.text
    assert len(st.evidence) == 2
    che = st.evidence[0]
    # the estimate of each group, the difference with its CI, the adjusted p and the table
    assert "insured against not insured: 12.4% and 4.8%" in che
    assert "difference +7.6 points (95% CI +3.6 to +11.6)" in che
    assert "p = 0.010 adjusted for the 8 differences screened (Benjamini-Hochberg)" in che
    assert "key_messages" not in che and "differences.csv" in che
    assert st.values["d1"] == pytest.approx(0.076)


def test_a_planted_non_significant_difference_removes_the_statement():
    """The same numbers, but the test of the catastrophic-spending difference does not pass:
    the statement is not written at all."""
    assert "insured_pay_more_and_use_more" not in run(planted(significant=False))


def test_no_table_of_differences_no_statement_that_needs_it():
    assert "insured_pay_more_and_use_more" not in run(None)


def test_a_pair_stored_the_other_way_round_keeps_its_sign():
    df = planted()
    flipped = df.assign(
        level_a=df["level_b"],
        level_b=df["level_a"],
        estimate_a=df["estimate_b"],
        estimate_b=df["estimate_a"],
        difference=-df["difference"],
        ci_low=-df["ci_high"],
        ci_high=-df["ci_low"],
    )
    st = run(flipped)["insured_pay_more_and_use_more"]
    assert "12.4% against 4.8%" in st.text and "difference +7.6 points" in st.evidence[0]


def test_not_different_fires_only_without_a_significant_difference():
    hef = difference("coverage_hef", "quintile", "1", "5", 0.09, 0.05, False, p=0.4)
    ind = pd.DataFrame(
        {
            "indicator": ["coverage_hef"],
            "domain": ["total"],
            "level": ["total"],
            "estimate": [0.059],
            "ci_low": [0.04],
            "ci_high": [0.08],
            "flag": [""],
        }
    )
    rules = load_rules(RULES)

    def fire(sig: bool) -> dict:
        out = evaluate(
            rules,
            indicators=ind,
            differences=pd.DataFrame([hef | {"significant": sig}]),
            scenarios=None,
            scenario_cfg={},
            labels=LABELS,
            units=UNITS,
            money=Money(),
        )
        return {s.id: s for s in out}

    st = fire(False)["hef_reach_poorest"]
    assert "covers 5.9% of all people: 9.0% of people in the poorest fifth and 5.0%" in st.text
    assert "indicators.csv" in st.evidence[1]
    assert "hef_reach_poorest" not in fire(True)


def test_the_package_with_the_largest_fall_per_kip():
    """Package b: fall 2 points for 10,000 LAK a person (2e-4 per LAK) beats package a
    (3 points for 30,000 LAK: 1e-4); package c falls more but its CI includes 0."""
    rows = []

    def add(sid, measure, iid, est, lo, hi):
        rows.append(
            {"scenario": sid, "measure": measure, "indicator": iid, "domain": "total",
             "level": "total", "estimate": est, "ci_low": lo, "ci_high": hi, "flag": ""}
        )  # fmt: skip

    for sid, fall, lo, cost in (("a", 0.03, 0.01, 30_000), ("b", 0.02, 0.005, 10_000),
                                ("c", 0.05, -0.01, 20_000)):  # fmt: skip
        add(sid, "change", "che_sdg_10", fall, lo, fall + 0.02)
        add(sid, "cost", "cost_per_capita", cost, cost * 0.5, cost * 1.5)
        add(sid, "cost", "cost_total", cost * 50_000, 0, cost * 1e5)
    add("actual", "level", "che_sdg_10", 0.07, 0.05, 0.1)
    cfg = {
        "packages": [{"id": p, "label": f"Package {p}", "covers": {}, "share": 1.0} for p in "abc"]
    }
    out = evaluate(
        load_rules(RULES),
        indicators=pd.DataFrame(columns=["indicator", "domain", "level", "estimate"]),
        differences=None,
        scenarios=pd.DataFrame(rows),
        scenario_cfg=cfg,
        labels=LABELS,
        units=UNITS,
        money=Money(lak_per_usd=8000),
    )
    st = {s.id: s for s in out}["package_value_for_money"]
    assert "“Package b”" in st.text and "+2.0 points for 10,000 LAK (US$1.25)" in st.text
    assert "Of the 3 benefit packages" in st.text and "scenarios.csv" in st.evidence[0]


def test_no_rule_names_a_cause_and_every_condition_is_evidenced():
    doc = yaml.safe_load(RULES.read_text(encoding="utf-8"))
    for rule in doc["statements"]:
        assert not CAUSAL.search(rule["text"] + " " + rule["title"]), rule["id"]
    # the planted run: one evidence line per condition of the rule
    rules = {r["id"]: r for r in doc["statements"]}
    for sid, st in run(planted()).items():
        assert len(st.evidence) == len(rules[sid]["when"])


def test_a_difference_condition_needs_its_test(tmp_path):
    bad = {"statements": [{"id": "x", "title": "X", "text": "A text of twenty characters",
                           "when": [{"difference": {"indicator": "a", "by": "b", "a": "1",
                                                    "b": "2"}}]}]}  # fmt: skip
    path = tmp_path / "implications.yaml"
    path.write_text(yaml.safe_dump(bad), encoding="utf-8")
    with pytest.raises(InputError, match="without a test"):
        load_rules(path)
