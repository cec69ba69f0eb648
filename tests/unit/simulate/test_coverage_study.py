"""Coverage study (issue 3, "Validation"): repeated samples from the simulated population.

The finite population is generated once (the demo's: ``config/simulate.yaml``, its master seed,
baseline, scale 1) and its finite-population values of care-seeking (OP1 = 1 among persons ill in
the last 30 days) and of the household mean annual OOP (SDG 3.8.2 scope) are the simulator's own
``compute_truth``; the test checks them against an independent computation from the module
tables (docs/definitions.md) and against the committed ``raw/demo/baseline/truth.csv``.

Each replicate sample is drawn with the real design by ``simulate.draw_sample_indices``: villages by
systematic PPS to census households within the urban/rural strata in frame order (urban first,
then by remoteness), the large town-centre village a certainty unit; 15 households by systematic
sampling from each selected village's listing; the interview result HH9 of every sampled
household. Non-response is INCLUDED as the pipeline handles it (docs/definitions.md "Weights"):
design weight 1 / (pi1 pi2), vacant dwellings (HH9 = 4) ineligible, respondents (HH9 = 1) weighted
up within their village (stratum fallback). The weights are computed vectorised here and checked
equal to ``weights.household_weights`` on the first samples. Estimates: ``SurveyDesign(strata=
"area", psu="village")``, ``.proportion("care", where="ill")`` over all persons of responding
households and ``.mean("oop")`` over responding households; 95 % intervals (logit interval on
df = PSUs - strata for the proportion, t interval for the mean).

Results (seed: ``SeedSequence([20130304, 3]).spawn(2)``, from the simulator's master seed, fixed
before the test's first run and not searched; 500 samples per study, about 10 s in all):

=================  =======================  ============================  =================
study              care-seeking coverage    mean OOP coverage             5,000 samples
=================  =======================  ============================  =================
real design        0.900 (var. ratio 1.29)  0.832 (var. ratio 1.01)       0.894 / 0.821
random-order PPS   0.968 (var. ratio 0.79)  0.848 (var. ratio 0.90)       0.955 / 0.845
=================  =======================  ============================  =================

(variance ratio = Monte-Carlo variance of the estimates / mean estimated variance; > 1 means
the SEs are too small.) Under the real design both coverages are below the 93-97 % asked for:

* Care-seeking: the shortfall is a property of systematic PPS on this population's frame order.
  The engine's variance is the with-replacement approximation of docs/definitions.md, which stands
  for random-order PPS; for the demo population, systematic selection in remoteness order
  happens to be LESS efficient than that (exact stage-1 variance, by enumerating the random
  start: 1.56 x the with-replacement variance of the non-certainty villages; 2.0 x in the urban
  and 1.5 x in the rural stratum). Systematic sampling has no design-unbiased variance estimator,
  so no interval built from one sample can see this. Control: the same study with the frame
  shuffled within strata before each draw (random-order PPS, all else unchanged) covers 95-97 %.
  Other simulated populations under the real design (8 other master seeds, 500 samples each)
  cover 0.93-0.98, mostly conservatively (variance ratios 0.6-1.0), as ordering by remoteness
  is meant to stratify implicitly. Reproduce with ``benchmarks/coverage_study.py 5000``.
* Mean OOP: the shortfall is skewness. Household annual OOP is very skewed (a 30-day episode is
  multiplied by 12; admissions and deliveries are lumpy); with 300 households in 20 villages
  (df = 18) the sampling distribution of the mean is still right-skewed (skewness about 1.1) and
  the estimate and its SE are strongly correlated (about 0.85): samples that miss the big
  spenders have a low mean AND a small SE, so every miss is an interval lying wholly below the
  truth. The variance estimator is unbiased (ratio about 1); the same under-coverage is found
  under random-order PPS and in every other simulated population (0.82-0.90). It is a limit of
  the symmetric t interval for this variable, not of the design or the engine.
* Both estimators are ratios with an O(1/n) bias: 5,000 real-design samples give -0.0021 for
  care-seeking (-0.3 % relative, 0.035 SD; the same in a second run of 5,000) and -0.5 % for
  mean OOP (-1.3 Monte-Carlo SEs).

What is asserted, each with its reason in the test's docstring: the truth; the inclusion
probabilities and weights; unbiasedness within 2 Monte-Carlo SEs plus a 0.05 SD allowance for
ratio bias; care-seeking coverage in [0.93, 0.97] and a variance ratio near 1 under random-order
PPS, where the variance approximation holds; under the real design, coverage floors (care
>= 0.85, OOP >= 0.77: 3 Monte-Carlo SEs below the 5,000-sample values) and the explanations: the
variance shortfall for care-seeking; an unbiased variance, skewness and one-sided misses for OOP.
"""

from __future__ import annotations

import time

import numpy as np
import pandas as pd
import pytest
from population_study import (
    INDICATORS,
    Population,
    household_key,
    make_population,
    nonresponse_weights,
)
from scipy import stats
from testpaths import REPO

from hhsurvey.engine.design import SurveyDesign
from hhsurvey.prepare.weights import household_weights, stage1_probabilities
from hhsurvey.simulate.sample import draw_sample_indices

ROOT = REPO
N_SAMPLES = 500
LEVEL = 0.95
STRATA, PSU = "area", "village"
LONELY_PSU = "adjust"  # config/config.yaml design.lonely_psu
# HH9 codes -> canonical labels (config/codebooks/baseline.yaml) and the config's weight rules.
RESULT_LABELS = {
    1: "completed",
    2: "not_at_home",
    3: "refused",
    4: "vacant",
    5: "partly_completed",
    6: "other",
}
INELIGIBLE, RESPONDING = ["vacant"], ["completed"]
RATIO_BIAS_SD = 0.05  # allowance for the O(1/n) bias of a ratio estimator, in SDs
WEIGHT_CHECKS = 10  # samples whose vectorised weights are compared with household_weights


def pipeline_weights(idx: dict[str, pd.DataFrame]) -> np.ndarray:
    """The same weights from the pipeline's ``weights.household_weights`` (canonical names)."""
    v, h = idx["villages"], idx["households"]
    frame = pd.DataFrame(
        {
            "village": v["HH1"],
            STRATA: v["area"],
            "selected": v["selected"],
            "mos_hh": v["mos_hh"],
            "listed_hh": v["listed_hh"],
            "sampled_hh": v["sampled_hh"],
        }
    )
    household = pd.DataFrame(
        {
            "village": h["HH1"],
            "hh": h["HH2"],
            STRATA: h["HH6"],
            "result": h["HH9"].map(RESULT_LABELS),
        }
    )
    w = household_weights(
        frame, household, strata=STRATA, ineligible=INELIGIBLE, responding=RESPONDING
    )
    return w["weight"].to_numpy(np.float64)


def shuffled_frame(frame: pd.DataFrame, rng: np.random.Generator) -> pd.DataFrame:
    """The frame in a random order within strata (systematic PPS on it = random-order PPS)."""
    perm = rng.permutation(len(frame))
    order = np.lexsort((perm, frame["area"].to_numpy()))
    return frame.iloc[order].reset_index(drop=True)


def one_sample(
    P: Population, rng: np.random.Generator, order: str = "frame", check_weights: bool = False
) -> dict[str, pd.Series]:
    """Draw one sample and return the tidy estimate rows of both indicators."""
    design_pop = {"frame": P.pop["frame"], "meta": P.pop["meta"]}
    if order == "random":
        design_pop["frame"] = shuffled_frame(P.pop["frame"], rng)
    elif order != "frame":
        raise ValueError(f"order must be 'frame' or 'random', got {order!r}")
    idx = draw_sample_indices(design_pop, P.params, rng)
    h = idx["households"]
    w = nonresponse_weights(h)
    if check_weights:
        np.testing.assert_allclose(w, pipeline_weights(idx), rtol=1e-12)
    keep = w > 0
    key = household_key(h["HH1"], h["HH2"])[keep]
    pos = np.searchsorted(P.hh_key, key)
    if not np.array_equal(P.hh_key[pos], key):
        raise AssertionError("sampled household not in the population")
    w, area, village = w[keep], h["HH6"].to_numpy()[keep], h["HH1"].to_numpy()[keep]
    households = pd.DataFrame({"w": w, STRATA: area, PSU: village, "oop": P.oop[pos]})
    n = P.size[pos]
    ppos = np.repeat(P.first[pos], n) + np.arange(n.sum()) - np.repeat(np.cumsum(n) - n, n)
    persons = pd.DataFrame(
        {
            "w": np.repeat(w, n),
            STRATA: np.repeat(area, n),
            PSU: np.repeat(village, n),
            "ill": P.ill[ppos],
            "care": P.care[ppos],
        }
    )
    dp = SurveyDesign(persons, "w", strata=STRATA, psu=PSU, lonely_psu=LONELY_PSU)
    dh = SurveyDesign(households, "w", strata=STRATA, psu=PSU, lonely_psu=LONELY_PSU)
    return {
        "care_seeking": dp.proportion("care", where="ill", level=LEVEL).iloc[0],
        "oop_annual_hh_mean": dh.mean("oop", level=LEVEL).iloc[0],
    }


def run_study(
    P: Population, n_samples: int, rng: np.random.Generator, order: str = "frame"
) -> dict[str, pd.DataFrame]:
    """``n_samples`` replicate samples: one DataFrame of tidy estimate rows per indicator."""
    rows: dict[str, list[pd.Series]] = {k: [] for k in INDICATORS}
    for i in range(n_samples):
        est = one_sample(P, rng, order, check_weights=i < WEIGHT_CHECKS)
        for k in INDICATORS:
            rows[k].append(est[k])
    return {k: pd.DataFrame(v).reset_index(drop=True) for k, v in rows.items()}


def summarise(res: pd.DataFrame, truth: float) -> dict[str, float]:
    """Coverage, misses by side, bias in Monte-Carlo SEs and the variance ratio of one study."""
    est, se = res["estimate"].to_numpy(), res["se"].to_numpy()
    n = len(res)
    sd = float(est.std(ddof=1))
    mcse = sd / np.sqrt(n)
    below = float((res["ci_high"] < truth).mean())  # interval wholly below the truth
    above = float((res["ci_low"] > truth).mean())
    cover = float(((res["ci_low"] <= truth) & (truth <= res["ci_high"])).mean())
    return {
        "samples": n,
        "truth": truth,
        "coverage": cover,
        "coverage_mcse": float(np.sqrt(cover * (1 - cover) / n)),
        "miss_below": below,
        "miss_above": above,
        "mean_estimate": float(est.mean()),
        "bias": float(est.mean() - truth),
        "bias_in_mcse": float((est.mean() - truth) / mcse),
        "relative_bias": float((est.mean() - truth) / truth),
        "empirical_sd": sd,
        "rms_se": float(np.sqrt(np.mean(se**2))),
        # Monte-Carlo variance / mean estimated variance: > 1 means the SE is too small
        "variance_ratio": float(sd**2 / np.mean(se**2)),
        "skewness": float(stats.skew(est)),
        "corr_estimate_se": float(np.corrcoef(est, se)[0, 1]),
        "min_df": float(res["df"].min()),
    }


def study_seeds(params: dict) -> list[np.random.SeedSequence]:
    """Streams of the study: [real design, random-order control], from the master seed."""
    return np.random.SeedSequence([int(params["seed"]), 3]).spawn(2)


# ------------------------------------------------------------------------------------ fixtures
@pytest.fixture(scope="module")
def population() -> Population:
    return make_population()


@pytest.fixture(scope="module")
def real_design(population: Population) -> dict[str, dict[str, float]]:
    t0 = time.perf_counter()
    rng = np.random.default_rng(study_seeds(population.params)[0])
    res = run_study(population, N_SAMPLES, rng, order="frame")
    out = {k: summarise(res[k], population.truth[k]) for k in INDICATORS}
    print(f"\nreal design, {N_SAMPLES} samples in {time.perf_counter() - t0:.1f} s")
    for k, s in out.items():
        print(k, {m: round(v, 4) for m, v in s.items()})
    return out


@pytest.fixture(scope="module")
def random_order(population: Population) -> dict[str, dict[str, float]]:
    t0 = time.perf_counter()
    rng = np.random.default_rng(study_seeds(population.params)[1])
    res = run_study(population, N_SAMPLES, rng, order="random")
    out = {k: summarise(res[k], population.truth[k]) for k in INDICATORS}
    print(f"\nrandom-order PPS, {N_SAMPLES} samples in {time.perf_counter() - t0:.1f} s")
    for k, s in out.items():
        print(k, {m: round(v, 4) for m, v in s.items()})
    return out


# --------------------------------------------------------------------------------------- tests
def test_truth_is_the_simulators_and_the_committed_demo(population: Population) -> None:
    P = population
    # independent recomputation from the population tables (docs/definitions.md)
    np.testing.assert_allclose(P.oop, P.pop["hh_true"]["oop_annual"].to_numpy(), rtol=1e-12)
    assert P.oop.mean() == pytest.approx(P.truth["oop_annual_hh_mean"], rel=1e-12)
    assert P.care[P.ill].mean() == pytest.approx(P.truth["care_seeking"], rel=1e-12)
    # the population is the demo's: the committed truth.csv (printed to 10 digits)
    committed = pd.read_csv(ROOT / "raw" / "demo" / "baseline" / "truth.csv")
    committed = committed.set_index("indicator")["value"]
    for k in INDICATORS:
        assert P.truth[k] == pytest.approx(committed[k], rel=1e-9), k


def test_design_probabilities_and_weights_are_the_pipelines(population: Population) -> None:
    P = population
    rng = np.random.default_rng(study_seeds(P.params)[0].spawn(1)[0])
    idx = draw_sample_indices(P.pop, P.params, rng)
    v = idx["villages"]
    assert (v.groupby("area")["selected"].sum().to_dict()) == {1: 7, 2: 13}
    assert (v["pi1"] == 1).sum() >= 1  # the town centre is a certainty unit
    pi1 = stage1_probabilities(
        pd.DataFrame({"village": v["HH1"], "area": v["area"], "mos_hh": v["mos_hh"]}).assign(
            selected=v["selected"]
        )
    )
    np.testing.assert_allclose(v["pi1"].to_numpy(), pi1.to_numpy(), rtol=1e-12)
    h = idx["households"]
    assert (h.groupby("HH1").size() == 15).all()
    np.testing.assert_allclose(nonresponse_weights(h), pipeline_weights(idx), rtol=1e-12)
    # run_study also checks the first WEIGHT_CHECKS samples of each study


def test_estimators_are_unbiased(
    real_design: dict[str, dict[str, float]], random_order: dict[str, dict[str, float]]
) -> None:
    """Mean of the estimates within 2 Monte-Carlo SEs of the finite-population value, plus an
    allowance of 0.05 x SD of the estimator for the O(1/n) bias of a ratio estimator (both are
    ratios: sum w y / sum w). Without the allowance the real-design care-seeking check reads
    -2.2 Monte-Carlo SEs; 5,000 samples put its bias at -0.0021 (-0.3 % relative, 0.035 SD,
    -2.5 of their smaller MCSEs): real, and negligible against an SE of 0.05 (a bias under
    0.1 SD has no visible effect on coverage)."""
    for name, study in (("real design", real_design), ("random order", random_order)):
        for k, s in study.items():
            tol = 2 * s["empirical_sd"] / np.sqrt(s["samples"]) + RATIO_BIAS_SD * s["empirical_sd"]
            assert abs(s["bias"]) <= tol, (name, k, s)


def test_care_seeking_coverage_under_random_order_pps(
    random_order: dict[str, dict[str, float]],
) -> None:
    """Where the engine's with-replacement variance approximation holds (random-order PPS),
    the 95 % logit interval for care-seeking covers 93-97 % of the time (0.955 +- 0.003 from
    5,000 samples). The approximation is conservative without replacement (stage-1 sampling
    fractions about 0.15-0.3), so the Monte-Carlo / estimated variance ratio is about 0.9
    (5,000 samples); bounds about 3 Monte-Carlo SEs (0.06 at 500 samples) around it."""
    s = random_order["care_seeking"]
    assert 0.93 <= s["coverage"] <= 0.97, s
    assert 0.7 <= s["variance_ratio"] <= 1.1, s


def test_care_seeking_coverage_under_the_real_design(
    real_design: dict[str, dict[str, float]],
) -> None:
    """Real design: about 0.89 (0.894 +- 0.004 from 5,000 samples), because systematic PPS in
    this frame's order is less efficient than the with-replacement variance assumes: the
    Monte-Carlo variance is about 1.4 x the mean estimated variance (1.37 and 1.40 in two runs
    of 5,000); see the module docstring. Floor and bound: about 3 Monte-Carlo SEs (0.014 and
    0.09 at 500 samples) below those values."""
    s = real_design["care_seeking"]
    assert s["coverage"] >= 0.85, s
    assert s["variance_ratio"] >= 1.1, s  # the explanation: the SE is too small


def test_mean_oop_is_too_skewed_for_any_normal_interval_at_this_size(
    population: Population,
) -> None:
    """Why no interval built on the normal or t approximation can reach 93 % for mean OOP here.

    Cochran's rule (Cochran 1977, *Sampling Techniques*, 3rd ed., section 2.15): the mean of a
    sample from a population with skewness G1 is close enough to normal for a 95 % interval
    only when n > 25 G1^2 (simple random sampling; a cluster sample needs more). Household
    annual OOP has G1 about 22 (a 30-day episode abroad, annualised x 12, reaches 228 M LAK
    against a median of 210,000), so the rule asks for more households than the district has;
    care-seeking, a 0/1 variable with p about 0.68, asks for about 15 ill persons.
    The mechanism of the one-sided misses: the top 0.5 % of households (51 of 10,347) hold
    23 % of all OOP, and a sample of 300 households contains none of them about 22 % of the
    time; such a sample has a low mean and a small SE. A log-scale interval (delta method on
    log mean, asymmetric) moves coverage only from 0.82-0.85 to 0.85-0.88
    (``benchmarks/coverage_study.py``), so the pipeline keeps R's t interval and the report
    shows medians beside means."""
    P = population
    oop = P.oop
    g1 = float(stats.skew(oop))  # population skewness (moments with divisor N)
    assert g1 > 15, g1
    assert 25 * g1**2 > len(oop), (g1, len(oop))  # more households than the district has
    p = P.truth["care_seeking"]
    g1_care = (1 - 2 * p) / np.sqrt(p * (1 - p))
    assert 25 * g1_care**2 < 50  # the rule is no obstacle for care-seeking
    top = np.sort(oop)[::-1][: int(0.005 * len(oop))]
    assert top.sum() / oop.sum() > 0.2
    n_households = 300  # the demo's sample size (20 villages x 15)
    assert (1 - len(top) / len(oop)) ** n_households > 0.15


def test_mean_oop_coverage_is_short_only_by_skewness(
    real_design: dict[str, dict[str, float]], random_order: dict[str, dict[str, float]]
) -> None:
    """Mean OOP: coverage 0.82-0.85 under either order (real design 0.821 and 0.831, random
    order 0.845 and 0.832, in two runs of 5,000 samples). The variance is estimated without
    bias (ratios 0.92-1.02); the misses are one-sided (interval wholly below the truth)
    because the estimate is right-skewed and correlated with its SE; see the module docstring.
    Floor: 3 Monte-Carlo SEs (0.017 at 500 samples) below 0.82; variance-ratio bounds about
    3 Monte-Carlo SEs around 1."""
    for name, study in (("real design", real_design), ("random order", random_order)):
        s = study["oop_annual_hh_mean"]
        assert s["coverage"] >= 0.77, (name, s)
        assert 0.75 <= s["variance_ratio"] <= 1.3, (name, s)
        misses = s["miss_below"] + s["miss_above"]
        assert s["miss_below"] >= 0.9 * misses, (name, s)
        assert s["skewness"] > 0.5 and s["corr_estimate_se"] > 0.5, (name, s)
