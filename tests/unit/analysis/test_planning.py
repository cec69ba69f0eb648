"""Endline planning (issue 17, "Endline planning"): hand computation and a power simulation.

Hand computation: the demo baseline's estimates of two headline indicators (a proportion and a
mean, as in results/baseline/indicators.csv) are planned by hand below, step by step with the
formulas of docs/methods.md, and the sample needed is found by stepping the number of villages
up one at a time (the module bisects).

Simulation: the simulator's finite population (config/simulate.yaml, as tests/unit/simulate/test_coverage_study.py)
is sampled repeatedly with the real design (20 villages x 15 households). Illness in the last
30 days is the indicator. The planning inputs (SE, deff, n, df) are the design's average over
pilot samples; a second population is made by turning exactly MDC x N healthy persons ill at
random; pairs of independent samples (baseline from the first, endline from the second) are
tested with the t test of the plan. The rejection rate must be 0.80 within 3 Monte-Carlo SEs.
"""

from __future__ import annotations

import math
from dataclasses import replace

import numpy as np
import pandas as pd
import pytest
from planning_hand import hand
from population_study import household_key, make_population, nonresponse_weights
from scipy import stats

from hhsurvey.analysis.planning import plan_endline
from hhsurvey.engine.design import SurveyDesign
from hhsurvey.outputs.report.planning import display_table
from hhsurvey.simulate.sample import draw_sample_indices

PLANNING = {
    "endline_villages": 20,
    "endline_households_per_village": 15,
    "power": 0.80,
    "alpha": 0.05,
    "revisit_correlation": 0.5,
    "target_relative_change": 0.25,
    "target_change": {"coverage_any": 0.10},
}
# demo baseline (results/baseline/indicators.csv, total rows): 20 villages, 284 households, 2 strata
ROWS = pd.DataFrame(
    {
        "indicator": ["coverage_any", "oop_annual_hh_mean", "coverage_any"],
        "domain": ["total", "total", "area"],
        "level": ["total", "total", "rural"],
        "estimate": [0.24372041644551948, 1_250_000.0, 0.19],
        "se": [0.02900822460256215, 90_000.0, 0.03],
        "df": [18.0, 18.0, 12.0],
        "deff": [6.816688837597771, 1.9, 7.0],
        "n_unweighted": [1453, 284, 972],
    }
)


def test_plan_reproduces_a_hand_computation_for_two_indicators():
    plan = plan_endline(ROWS, ["coverage_any", "oop_annual_hh_mean"], 20, 284, 2, PLANNING)
    plan = plan.set_index("indicator")
    assert list(plan.index) == ["coverage_any", "oop_annual_hh_mean"]  # total rows only
    cov = hand(0.24372041644551948, 0.02900822460256215, 6.816688837597771, 18.0, 1453, 0.10)
    oop = hand(1_250_000.0, 90_000.0, 1.9, 18.0, 284, 0.25 * 1_250_000.0)
    for ind, h in (("coverage_any", cov), ("oop_annual_hh_mean", oop)):
        for k, v in h.items():
            assert plan.loc[ind, k] == pytest.approx(v, rel=1e-9, nan_ok=True), (ind, k)
        assert (
            plan.loc[ind, "households_needed_independent"] == 15 * h["villages_needed_independent"]
        )
    # sanity of the hand numbers: coverage (deff 6.8) needs more villages than 20 for 10 pp
    assert cov["mdc_independent"] > 0.10 and cov["villages_needed_independent"] > 20
    assert cov["mdc_revisit"] < cov["mdc_independent"]


def test_target_out_of_reach_of_the_baseline_is_said_so():
    plan = plan_endline(
        ROWS, ["coverage_any"], 20, 284, 2, PLANNING | {"target_change": {"coverage_any": 0.02}}
    )
    assert np.isnan(plan.loc[0, "villages_needed_independent"])
    assert "too large" in plan.loc[0, "note"]


def test_display_table_in_percentage_points():
    plan = plan_endline(ROWS, ["coverage_any"], 20, 284, 2, PLANNING)
    t = display_table(plan, {"coverage_any": "Covered"}, {"coverage_any": "percent"})
    assert t.loc[0, "Indicator"] == "Covered"
    assert t.loc[0, "MDC, new sample"] == f"{100 * plan.loc[0, 'mdc_independent']:.1f} pp"


# ---------------------------------------------------------------------------- simulation
PILOT, PAIRS = 150, 400


def _sample_illness(P, ill: np.ndarray, rng: np.random.Generator) -> pd.Series:
    """One sample with the real design: the tidy estimate row of illness in the last 30 days."""
    idx = draw_sample_indices({"frame": P.pop["frame"], "meta": P.pop["meta"]}, P.params, rng)
    h = idx["households"]
    w = nonresponse_weights(h)
    keep = w > 0
    pos = np.searchsorted(P.hh_key, household_key(h["HH1"], h["HH2"])[keep])
    n = P.size[pos]
    ppos = np.repeat(P.first[pos], n) + np.arange(n.sum()) - np.repeat(np.cumsum(n) - n, n)
    persons = pd.DataFrame(
        {
            "w": np.repeat(w[keep], n),
            "area": np.repeat(h["HH6"].to_numpy()[keep], n),
            "village": np.repeat(h["HH1"].to_numpy()[keep], n),
            "ill": ill[ppos].astype(np.float64),
        }
    )
    d = SurveyDesign(persons, "w", strata="area", psu="village", lonely_psu="adjust")
    row = d.proportion("ill").iloc[0].copy()
    row["households"] = int(keep.sum())
    row["villages"] = int(persons["village"].nunique())
    return row


@pytest.mark.slow
def test_stated_power_holds_in_repeated_samples():
    P = make_population()
    rng = np.random.default_rng(np.random.SeedSequence([int(P.params["seed"]), 17]))
    pilot = pd.DataFrame([_sample_illness(P, P.ill, rng) for _ in range(PILOT)])
    # the design's expected planning inputs: mean variance, deff, n, households per sample
    rows = pd.DataFrame(
        {
            "indicator": ["illness_30d"],
            "domain": ["total"],
            "estimate": [float(P.ill.mean())],
            "se": [math.sqrt(float((pilot["se"] ** 2).mean()))],
            "df": [float(pilot["df"].median())],
            "deff": [float(pilot["deff"].mean())],
            "n_unweighted": [float(pilot["n"].mean())],
        }
    )
    plan = plan_endline(
        rows,
        ["illness_30d"],
        villages=20,
        households=float(pilot["households"].mean()),
        strata=2,
        planning=PLANNING,
    ).iloc[0]
    delta = float(plan["mdc_independent"])
    # endline population: exactly round(delta N) healthy persons become ill
    healthy = np.flatnonzero(~P.ill)
    flip = rng.choice(healthy, size=round(delta * len(P.ill)), replace=False)
    ill1 = P.ill.copy()
    ill1[flip] = True
    assert ill1.mean() - P.ill.mean() == pytest.approx(delta, abs=1 / len(P.ill))
    reject = []
    for _ in range(PAIRS):
        b, e = _sample_illness(P, P.ill, rng), _sample_illness(replace(P), ill1, rng)
        se = math.sqrt(b["se"] ** 2 + e["se"] ** 2)
        df = b["df"] + e["df"]
        reject.append(abs(e["estimate"] - b["estimate"]) / se > stats.t.ppf(0.975, df))
    power = float(np.mean(reject))
    mcse = math.sqrt(0.8 * 0.2 / PAIRS)
    print(f"\nillness_30d: MDC {delta:.4f}, simulated power {power:.3f} (MC SE {mcse:.3f})")
    assert abs(power - 0.80) <= 3 * mcse, (power, delta, plan.to_dict())


def test_revisit_target_reachable_only_near_the_best_endline_size():
    """With revisited villages the MDC falls, then rises again as the endline grows (the
    covariance term shrinks): a target between its minimum and its limit k·SE is reachable
    with a middling endline only. The hand scan finds the first size that reaches it."""
    rows = pd.DataFrame(
        {
            "indicator": ["x"],
            "domain": ["total"],
            "estimate": [0.6],
            "se": [0.045],
            "df": [18.0],
            "deff": [1.3],
            "n_unweighted": [149],
        }
    )
    plan = plan_endline(rows, ["x"], 20, 284, 2, PLANNING | {"target_change": {"x": 0.125}})
    h = hand(0.6, 0.045, 1.3, 18.0, 149, 0.125)
    assert np.isnan(h["villages_needed_independent"]) and h["villages_needed_revisit"] == 25
    assert plan.loc[0, "villages_needed_revisit"] == 25
    assert np.isnan(plan.loc[0, "villages_needed_independent"])
