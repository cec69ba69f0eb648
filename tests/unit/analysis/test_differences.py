"""The screened differences between groups (hhsurvey.analysis.differences): the family from
the config, pairs that cannot be tested, the multiplicity adjustment within each family, the
minimum detectable difference. The numbers themselves are checked against R in
tests/golden/test_claims_golden.py; here the bookkeeping around them, by hand.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import pytest
from claims_fixture import DESIGN, catalogue, frames
from scipy import stats

from hhsurvey.analysis.differences import comparisons, domain_differences
from hhsurvey.analysis.inference import adjust_p
from hhsurvey.engine.columns import DIFFERENCE_COLUMNS
from hhsurvey.errors import InputError

PAIRS = [
    {"by": "quintile", "a": "5", "b": "1", "indicators": ["che_sdg_10", "care_seeking"]},
    {"by": "insured_status", "a": "insured", "b": "not insured", "indicators": ["care_seeking"]},
]


def inds():
    return [
        dataclasses.replace(catalogue()[i], by=("quintile", "insured_status"))
        for i in ("che_sdg_10", "care_seeking", "coverage_any")
    ]


def published(flags=None) -> pd.DataFrame:
    """indicators.csv rows of the pairs' sides: flags given, counts made up."""
    rows = [
        {"indicator": i, "domain": d, "level": lv, "flag": "", "n_unweighted": 60}
        for i in ("che_sdg_10", "care_seeking")
        for d, lv in (("quintile", "5"), ("quintile", "1"), ("insured_status", "insured"),
                      ("insured_status", "not insured"))
    ]  # fmt: skip
    out = pd.DataFrame(rows)
    for (i, d, lv), f in (flags or {}).items():
        out.loc[(out["indicator"] == i) & (out["domain"] == d) & (out["level"] == lv), "flag"] = f
    return out


def run(config, flags=None):
    return domain_differences(inds(), frames(), published(flags), config, DESIGN)


def test_the_family_is_read_from_the_config_in_order():
    got = comparisons({"families": [{"id": "f", "comparisons": PAIRS}]}, inds())
    assert got[["indicator", "by", "level_a", "level_b"]].values.tolist() == [
        ["che_sdg_10", "quintile", "5", "1"],
        ["care_seeking", "quintile", "5", "1"],
        ["care_seeking", "insured_status", "insured", "not insured"],
    ]
    assert (got["multiplicity"] == "benjamini_hochberg").all()  # the default
    assert comparisons(None, inds()).empty and comparisons({"families": []}, inds()).empty


@pytest.mark.parametrize(
    ("comp", "message"),
    [
        ({"by": "quintile", "a": 5, "b": 1, "indicators": ["nope"]}, "not in the indicator"),
        ({"by": "quintile", "a": 5, "b": 1, "indicators": ["ci_oop"]}, "estimated as 'composite'"),
        ({"by": "sex", "a": "male", "b": "female", "indicators": ["che_sdg_10"]}, "no disaggregation by sex"),
    ],
)  # fmt: skip
def test_a_bad_family_is_an_input_error_naming_it(comp, message):
    cat = [*inds(), catalogue()["ci_oop"]]
    with pytest.raises(InputError, match=message) as err:
        comparisons({"families": [{"id": "screen", "comparisons": [comp]}]}, cat)
    assert "family 'screen'" in err.value.message


def test_pairs_that_cannot_be_tested_stay_out_of_the_adjustment():
    """A suppressed side: listed, not tested (no difference, SE, CI or p), the suppressed
    estimate blank; the family's adjustment counts only the tested pairs (two here)."""
    config = {"families": [{"id": "f", "comparisons": PAIRS}]}
    full = run(config).set_index(["indicator", "by"])
    out = run(config, {("care_seeking", "quintile", "1"): "suppressed"})
    assert list(out.columns) == DIFFERENCE_COLUMNS
    out = out.set_index(["indicator", "by"])
    hidden = out.loc[("care_seeking", "quintile")]
    assert hidden["note"] == "not tested: an estimate of the pair is suppressed"
    assert hidden[["difference", "se", "ci_low", "ci_high", "p_value", "p_adjusted"]].isna().all()
    assert np.isnan(hidden["estimate_b"]) and hidden["estimate_a"] > 0 and not hidden["significant"]
    tested = out.loc[out["p_value"].notna()]
    assert len(tested) == 2 and (out["tests_in_family"] == 2).all()
    # Benjamini-Hochberg by hand over the two tested p-values: min(2 p_(1), p_(2)), p_(2)
    p = sorted(tested["p_value"])
    want = {p[0]: min(2 * p[0], p[1]), p[1]: p[1]}
    for r in tested.itertuples():
        assert r.p_adjusted == pytest.approx(want[r.p_value], rel=1e-12)
        assert r.significant == (r.p_adjusted < 0.05)
    # the three tests of the full family: its own adjustment
    assert (full["tests_in_family"] == 3).all()
    np.testing.assert_allclose(
        full["p_adjusted"], adjust_p(full["p_value"], "benjamini_hochberg"), rtol=1e-12
    )


def test_families_are_adjusted_separately_and_mdc_of_a_difference_not_significant():
    config = {
        "families": [
            {"id": "one", "multiplicity": "bonferroni", "comparisons": PAIRS[:1]},
            {"id": "two", "multiplicity": "none", "comparisons": PAIRS[1:]},
        ]
    }
    out = run(config)
    one, two = out[out["family"] == "one"], out[out["family"] == "two"]
    np.testing.assert_allclose(one["p_adjusted"], np.minimum(2 * one["p_value"], 1), rtol=1e-12)
    np.testing.assert_allclose(two["p_adjusted"], two["p_value"], rtol=1e-12)
    assert one["method"].str.contains("Bonferroni").all()
    assert one["method"].str.contains("2 test").all() and two["method"].str.contains("1 test").all()
    for r in out.itertuples():
        if r.significant:
            assert np.isnan(r.mdc)
        else:  # MDC = (t(0.975, df) + t(0.80, df)) x SE
            hand = (stats.t.ppf(0.975, r.df) + stats.t.ppf(0.80, r.df)) * r.se
            assert r.mdc == pytest.approx(hand, rel=1e-12)
