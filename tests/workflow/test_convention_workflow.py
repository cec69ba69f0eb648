"""The demo round under Stata's convention (``design.convention: stata``) against R's (the
default): the config reaches every estimate of ``estimate_indicators`` (issue 25).

Checked against independent facts, not the code's own output under the other convention alone:
the point estimates of the two conventions are equal (they never differ); under Stata's every
row's df is the design df of its estimation sample, which for an indicator whose households
all answer is the frame's PSUs minus strata, counted here from the frame; a breakdown has fewer
df under R's (its own PSUs) than under Stata's; and the care-seeking model's coefficients are
tested on R's residual df under R's convention and on that df + coefficients - 1 (the design
df of the same complete rows, Stata's ``e(df_r)``) under Stata's.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from workflow_tools import copy_repo, feature_config, snakemake

TARGETS = ("results/baseline/indicators.csv", "results/baseline/determinants.csv")


@pytest.fixture(scope="module")
def runs(tmp_path_factory) -> dict[str, dict[str, pd.DataFrame]]:
    out = {}
    for convention in ("r", "stata"):
        root = copy_repo(tmp_path_factory.mktemp(convention) / "repo")
        extra = ["--configfile", feature_config("convention_stata.yaml")]
        # the targets before --configfile, which takes every following argument as a file
        snakemake(root, "--cores", "2", *TARGETS, *(extra if convention == "stata" else []))
        out[convention] = {
            "indicators": pd.read_csv(root / TARGETS[0]),
            "determinants": pd.read_csv(root / TARGETS[1]),
            "household": pd.read_parquet(root / "results/baseline/frames/household.parquet"),
        }
    return out


def _paired(runs) -> pd.DataFrame:
    keys = ["indicator", "domain", "level"]
    r, s = runs["r"]["indicators"], runs["stata"]["indicators"]
    return r.merge(s, on=keys, suffixes=("_r", "_stata"), validate="one_to_one")


def test_the_estimates_are_the_same_under_both_conventions(runs):
    both = _paired(runs).dropna(subset=["estimate_r", "estimate_stata"])
    assert len(both) > 100
    np.testing.assert_allclose(both["estimate_stata"], both["estimate_r"], rtol=1e-9, atol=1e-12)


def test_stata_gives_every_row_the_design_df_of_its_sample(runs):
    hh = runs["stata"]["household"]
    design_df = hh["design_psu"].nunique() - hh["design_stratum"].nunique()
    s = runs["stata"]["indicators"].dropna(subset=["df"])
    # one df per indicator and breakdown (the rows left after dropping the missing values),
    # never more than the frame's, and the frame's wherever every household answers
    assert (s.groupby(["indicator", "domain"])["df"].nunique() == 1).all()
    assert (s["df"] <= design_df).all()
    totals = s[s["domain"] == "total"]
    assert (totals["df"] == design_df).sum() >= 10


def test_r_gives_a_breakdown_its_own_fewer_df(runs):
    both = _paired(runs).dropna(subset=["df_r", "df_stata"])
    assert (both["df_r"] <= both["df_stata"]).all()
    by = both[both["domain"] != "total"]
    assert (by["df_r"] < by["df_stata"]).mean() > 0.5


def test_the_model_is_tested_on_the_residual_df_under_r_and_the_design_df_under_stata(runs):
    r, s = runs["r"]["determinants"], runs["stata"]["determinants"]
    assert len(r) == len(s) > 3 and r["term"].tolist() == s["term"].tolist()
    np.testing.assert_allclose(s["estimate"], r["estimate"], rtol=1e-9)
    p = len(r)
    assert r["df"].nunique() == s["df"].nunique() == 1
    assert s["df"].iloc[0] == r["df"].iloc[0] + p - 1
