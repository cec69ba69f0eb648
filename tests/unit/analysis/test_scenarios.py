"""Benefit-package scenarios (issue 16) on the hand-worked round of ``indicator_fixture``.

Checks: the amounts shifted to the scheme by hand; cost, benefit incidence and the paired
change of SDG 3.8.2 against R ``survey`` (``tests/fixtures/r/make_scenarios.R``); the two
identities (a package covering nothing reproduces the actual estimates with change 0 and SE 0;
one covering all OOP for everyone leaves no catastrophe and no impoverishment and costs the
estimated total OOP with its SE); eligibility; the configuration's checks.
"""

from __future__ import annotations

import dataclasses
import json
import warnings

import jsonschema
import numpy as np
import pandas as pd
import pytest
import yaml
from demo_config import packages
from indicator_fixture import HOUSEHOLDS, indicator_round, weights_table
from scenario_fixture import (
    CATALOGUE,
    CONFIG,
    DESIGN,
    EVERYTHING,
    FP,
    IND_CFG,
    NOTHING,
    OPD_CAPPED,
    POOR,
    POVERTY,
    run,
)
from testpaths import REPO

from hhsurvey.analysis.indicators.estimate import estimate_catalogue
from hhsurvey.analysis.scenarios import (
    covered_records,
    scenario_frame,
    shifted_by_household,
    simulate,
)
from hhsurvey.catalogue.scenarios import load_packages
from hhsurvey.engine.design import SurveyDesign
from hhsurvey.errors import InputError
from hhsurvey.prepare.aggregate import household_aggregates, oop_records
from hhsurvey.prepare.frames import build_frames, household_frame

ROOT = REPO
GOLDEN = json.loads((ROOT / "tests" / "fixtures" / "r" / "scenarios.json").read_text())
IDS = ["H1", "H2", "H3", "H4", "H5", "H6", "H7", "H8"]


@pytest.fixture(scope="module")
def tables() -> dict[str, pd.DataFrame]:
    return indicator_round()


@pytest.fixture(scope="module")
def agg(tables) -> pd.DataFrame:
    a = household_aggregates(
        tables,
        weights_table(),
        strata="area",
        ctp_excluded_food=IND_CFG["ctp"]["exclude_food_items"],
        eq_beta=IND_CFG["ctp"]["beta"],
    )
    # the hand-worked OOP of indicator_fixture (the tests below rest on it)
    hand = HOUSEHOLDS.set_index(["village", "hh"])["oop"]
    assert a.set_index(["village", "hh"])["oop"].to_numpy() == pytest.approx(hand.to_numpy())
    return a


@pytest.fixture(scope="module")
def result(tables, agg) -> pd.DataFrame:
    # quintile as households.parquet gives it back (int64, not categorical)
    return run(tables, agg.astype({"quintile": "int64"}), [OPD_CAPPED, NOTHING, EVERYTHING])


def pick(res, scenario, measure, indicator, domain="total", level="total") -> pd.Series:
    rows = res[
        (res["scenario"] == scenario)
        & (res["measure"] == measure)
        & (res["indicator"] == indicator)
        & (res["domain"] == domain)
        & (res["level"] == level)
    ]
    assert len(rows) == 1, (scenario, measure, indicator, domain, level, len(rows))
    return rows.iloc[0]


# ---------------------------------------------------------------------------------------------
# Amounts shifted, by hand and against R


def test_shifted_amounts_by_hand(tables, agg):
    """make_scenarios.R's header works the capped episode amounts out by hand."""
    pkg = load_packages({"packages": [OPD_CAPPED]})[0]
    frame = household_frame(agg, POVERTY)
    cov = covered_records(oop_records(tables), tables["person"], frame, pkg)
    got = shifted_by_household(cov, frame, pkg)
    assert dict(zip(IDS, got, strict=True)) == GOLDEN["shifted"]


def test_quintiles_are_those_of_the_r_data(agg):
    assert agg["quintile"].astype(int).tolist() == [5, 5, 1, 3, 4, 4, 2, 1]


@pytest.mark.parametrize(
    ("case", "measure", "indicator", "domain", "level"),
    [
        ("cost_total", "cost", "cost_total", "total", "total"),
        ("cost_per_capita", "cost", "cost_per_capita", "total", "total"),
        ("incidence_q4", "incidence", "benefit_incidence", "quintile", "4"),
        ("che_sdg_10_scenario", "level", "che_sdg_10", "total", "total"),
        ("che_sdg_10_change", "change", "che_sdg_10", "total", "total"),
        ("che_sdg_10_change_rural", "change", "che_sdg_10", "area", "rural"),
    ],
)
def test_against_r_survey(result, case, measure, indicator, domain, level):
    """R, tests/fixtures/r/make_scenarios.R, e.g. ``svytotal(~shifted, dh)`` for the cost and
    ``svycontrast(svymean(~che10_actual + che10_scenario, dp), c(1, -1))`` for the paired
    change of SDG 3.8.2 at 10 % (dh: household weights, dp: weight x household size, both
    ``svydesign(ids=~village, strata=~area, nest=TRUE)``)."""
    gold = GOLDEN["cases"][case]
    row = pick(result, "opd_capped", measure, indicator, domain, level)
    assert row["estimate"] == pytest.approx(gold["estimate"], rel=1e-12, abs=1e-12), gold["call"]
    assert row["se"] == pytest.approx(gold["se"], rel=1e-9), gold["call"]


def test_change_is_not_the_independent_samples_formula(result):
    """The paired SE is far from sqrt(se_actual^2 + se_scenario^2) here (positive covariance)."""
    change = pick(result, "opd_capped", "change", "che_sdg_10")
    a = pick(result, "actual", "level", "che_sdg_10")
    s = pick(result, "opd_capped", "level", "che_sdg_10")
    assert change["estimate"] == pytest.approx(a["estimate"] - s["estimate"], abs=1e-15)
    assert change["se"] < 0.75 * np.hypot(a["se"], s["se"])


def test_composite_change_is_the_difference_of_the_levels(result):
    for iid in ("che_ctp_40", "che_sdg_revised"):
        for domain, level in (("total", "total"), ("area", "rural"), ("quintile", "4")):
            a = pick(result, "actual", "level", iid, domain, level)["estimate"]
            s = pick(result, "opd_capped", "level", iid, domain, level)["estimate"]
            ch = pick(result, "opd_capped", "change", iid, domain, level)["estimate"]
            assert ch == pytest.approx(a - s, abs=1e-15)


# ---------------------------------------------------------------------------------------------
# Identities


def test_covering_nothing_reproduces_the_actual_estimates(result, tables, agg):
    """Levels equal those of the indicator pipeline itself (estimate_catalogue on the frames of
    estimate_indicators), bit for bit; every change and SE is 0; the cost is 0."""
    frames = build_frames(
        tables,
        agg,
        strata="area",
        u5_excluded_sources=IND_CFG["u5_excluded_sources"],
        poverty_lines=POVERTY,
    )
    inds = [dataclasses.replace(i, by=("area", "quintile")) for i in CATALOGUE if i.id in FP + POOR]
    with np.errstate(invalid="ignore"), warnings.catch_warnings():
        warnings.filterwarnings("ignore", "1 replicates gave NaN", RuntimeWarning)
        ref = estimate_catalogue(
            inds,
            frames,
            DESIGN,
            level=0.95,
            suppress_below=25,
            caution_below=50,
            context={"indicators": IND_CFG, "poverty_lines": POVERTY},
        )
    lv = result[(result["scenario"] == "nothing") & (result["measure"] == "level")]
    key = ["indicator", "domain", "level"]
    cols = [*key, "estimate", "se", "ci_low", "ci_high", "df"]
    pd.testing.assert_frame_equal(
        lv[cols].sort_values(key, ignore_index=True),
        ref[cols].sort_values(key, ignore_index=True),
        check_exact=True,
    )
    ch = result[(result["scenario"] == "nothing") & (result["measure"] == "change")]
    assert len(ch) == len(lv)
    ok = ch["df"] > 0
    # a structural zero (impoverishment where nobody is above the line) has no estimate
    na = ch["flag"] == "not applicable"
    assert (ch.loc[~na, "estimate"] == 0).all() and ch.loc[na, "estimate"].isna().all()
    # every change is 0 in every household: SE 0, so "not estimable" and no interval
    assert (ch.loc[~na & ok, "precision"] == "not estimable").all()
    assert ch.loc[~na, ["se", "ci_low", "ci_high"]].isna().all().all()
    cost = result[(result["scenario"] == "nothing") & (result["measure"] == "cost")]
    assert (cost["estimate"] == 0).all()


def test_covering_everything_leaves_no_catastrophe_and_costs_total_oop(result, agg):
    lv = result[(result["scenario"] == "everything") & (result["measure"] == "level")]
    assert set(lv["indicator"]) == set(FP + POOR)
    na = lv["flag"] == "not applicable"
    assert (lv.loc[~na, "estimate"] == 0).all() and lv.loc[na, "estimate"].isna().all()
    # the change is then the actual level itself
    for iid in FP + POOR:
        ch = pick(result, "everything", "change", iid)["estimate"]
        assert ch == pytest.approx(pick(result, "actual", "level", iid)["estimate"], abs=1e-15)
    # the cost is the estimated total OOP (the engine on households.parquet), with its SE
    d = SurveyDesign(agg, weight="weight", **DESIGN)
    # (every quintile of this tiny round lies in one PSU per stratum: no df, SE left blank)
    for by, level in ((None, "total"), ("area", "rural"), ("area", "urban"), ("quintile", "2")):
        ref = d.total("oop", by=by)
        if by is not None:
            ref = ref[ref[by].astype(str) == level]
        cost = pick(result, "everything", "cost", "cost_total", by or "total", level)
        assert cost["estimate"] == pytest.approx(ref["estimate"].iloc[0], rel=1e-12)
        if by != "quintile":
            assert cost["se"] == pytest.approx(ref["se"].iloc[0], rel=1e-9)
    assert pick(result, "everything", "cost", "cost_total")["estimate"] == pytest.approx(
        (HOUSEHOLDS["weight"] * HOUSEHOLDS["oop"]).sum()
    )
    # benefit incidence shares add up to one
    inc = result[(result["scenario"] == "everything") & (result["measure"] == "incidence")]
    assert inc["estimate"].sum() == pytest.approx(1.0)


# ---------------------------------------------------------------------------------------------
# Eligibility, shares and caps


def test_uninsured_only_leaves_insured_persons_oop_unchanged(tables, agg):
    pkg = load_packages(
        {
            "packages": [
                {
                    "id": "u",
                    "label": "u",
                    "covers": {},
                    "share": 1.0,
                    "eligible": {"insurance": "uninsured"},
                }
            ]
        }
    )[0]
    frame = household_frame(agg, POVERTY)
    cov = covered_records(oop_records(tables), tables["person"], frame, pkg)
    per = tables["person"].set_index(["village", "hh", "line"])["insured"]
    person_rec = cov[cov["line"].notna()]
    keys = pd.MultiIndex.from_frame(person_rec[["village", "hh", "line"]].astype({"line": "int64"}))
    insured = (per.reindex(keys) == "yes").to_numpy()
    assert insured.any() and (~insured).any()
    # insured persons' records: nothing covered, their OOP stays whole
    assert (person_rec.loc[insured, "covered"] == 0).all()
    assert person_rec.loc[insured, "annual"].sum() > 0
    # uninsured persons' records: all of it covered (H5 child's episode 12 x 75,000; H4's
    # admission belongs to an insured person (hef), H8's to a "don't know": uninsured)
    assert (person_rec.loc[~insured, "covered"] == person_rec.loc[~insured, "annual"]).all()
    # household questions: share of uninsured members (H2: 0 of 1; H5: 3 of 3)
    hq = cov[cov["line"].isna()].set_index(["village", "hh", "type"])
    assert hq.loc[(1, 2, "selfmed"), "covered"] == 0
    assert hq.loc[(3, 1, "selfmed"), "covered"] == 12 * 5_000
    assert hq.loc[(3, 1, "other"), "covered"] == 1_340_000
    assert hq.loc[(4, 2, "other"), "covered"] == 100_000  # "don't know" counts as uninsured


def test_share_caps_providers_and_quintiles(tables, agg):
    frame = household_frame(agg, POVERTY)
    records = oop_records(tables)
    pkg = load_packages(
        {
            "packages": [
                {
                    "id": "ipd",
                    "label": "ipd",
                    "covers": {"types": ["ipd"], "items": ["medicine", "consult"]},
                    "share": 0.8,
                    "cap_per_household_year": 150_000,
                    "eligible": {"quintiles": [1, 3]},
                }
            ]
        }
    )[0]
    got = dict(
        zip(
            IDS,
            shifted_by_household(
                covered_records(records, tables["person"], frame, pkg), frame, pkg
            ),
            strict=True,
        )
    )
    # H4 (quintile 3): 0.8 x (50,000 + 100,000) = 120,000; H8 (quintile 1): 0.8 x (60,000 +
    # 40,000 + 100,000) = 160,000, capped at 150,000 a year
    assert got == {
        "H1": 0,
        "H2": 0,
        "H3": 0,
        "H4": 120_000,
        "H5": 0,
        "H6": 0,
        "H7": 0,
        "H8": 150_000,
    }
    pkg = load_packages(
        {
            "packages": [
                {
                    "id": "hc",
                    "label": "hc",
                    "covers": {"providers": ["health_centre", "public_district"]},
                    "share": 1.0,
                }
            ]
        }
    )[0]
    got = dict(
        zip(
            IDS,
            shifted_by_household(
                covered_records(records, tables["person"], frame, pkg), frame, pkg
            ),
            strict=True,
        )
    )
    # H1's episode at the district hospital (12 x 35,000), H5 child's at the health centre
    # (12 x 75,000); H5's delivery was "other", H1's too long ago
    assert got == {
        "H1": 420_000,
        "H2": 0,
        "H3": 0,
        "H4": 0,
        "H5": 900_000,
        "H6": 0,
        "H7": 0,
        "H8": 0,
    }


def test_price_factor_applies_to_records_and_caps_are_base_year(tables, agg):
    """A later round: records in its prices x factor, the cap in base-year LAK."""
    pkg = load_packages({"packages": [OPD_CAPPED]})[0]
    frame = household_frame(agg, POVERTY)
    cov = covered_records(oop_records(tables), tables["person"], frame, pkg, price_factor=0.5)
    got = dict(zip(IDS, shifted_by_household(cov, frame, pkg), strict=True))
    # H2: 105,000 x 0.5 = 52,500 -> capped 50,000 -> 600,000; H1: 35,000 x 0.5 x 12 = 210,000
    assert got["H2"] == 600_000 and got["H1"] == 210_000


def test_scenario_frame_keeps_consumption_and_clips_rounding(agg):
    frame = household_frame(agg, POVERTY)
    shifted = frame["oop"].to_numpy() * (1 - 1e-12)
    s = scenario_frame(frame, shifted)
    assert (s["oop"] == 0).all()
    assert (s["total"] == frame["total"]).all() and (s["pc_total"] == frame["pc_total"]).all()


# ---------------------------------------------------------------------------------------------
# Configuration


def test_demo_config_packages_are_schema_valid_and_the_issue_s_four():
    schema = yaml.safe_load((ROOT / "workflow/schemas/config.schema.yaml").read_text())
    jsonschema.validate(CONFIG, schema)
    ids = [p.id for p in load_packages(CONFIG["scenarios"])]
    # every package of config/config.yaml (read as YAML), in its order; the issue's four among
    # them (the demo may add more)
    assert ids == packages()
    issue = ["free_delivery", "free_public_outpatient", "inpatient_80", "poorest_two_quintiles"]
    assert [i for i in ids if i in issue] == issue
    bad = {**CONFIG, "scenarios": {**CONFIG["scenarios"], "packages": [{**NOTHING, "share": 1.5}]}}
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(bad, schema)
    bad = {
        **CONFIG,
        "scenarios": {
            **CONFIG["scenarios"],
            "packages": [{**NOTHING, "covers": {"types": ["dental"]}}],
        },
    }
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(bad, schema)


@pytest.mark.parametrize(
    ("packages", "indicators", "message"),
    [
        ([{**NOTHING, "covers": {"providers": ["hospital"]}}], FP, "provider"),
        ([{**NOTHING, "eligible": {"schemes": ["nhis"]}}], FP, "scheme"),
        ([NOTHING, NOTHING], FP, "used twice"),
        ([{**NOTHING, "id": "actual"}], FP, "reserved"),
        ([NOTHING], ["no_such_indicator"], "not in the indicator catalogue"),
        ([NOTHING], ["oop_annual_hh_median"], "cannot recompute"),
    ],
)
def test_bad_scenarios_are_clear_input_errors(tables, agg, packages, indicators, message):
    cfg = {"indicators": indicators, "by": [], "packages": packages}
    with pytest.raises(InputError, match=message):
        simulate(
            tables,
            household_frame(agg, POVERTY),
            CATALOGUE,
            cfg,
            design_args=DESIGN,
            level=0.95,
            indicators=IND_CFG,
            poverty_lines=POVERTY,
        )


def test_scheme_members_only(tables, agg):
    frame = household_frame(agg, POVERTY)
    pkg = load_packages(
        {
            "packages": [
                {
                    "id": "cbhi",
                    "label": "cbhi",
                    "covers": {},
                    "share": 1.0,
                    "eligible": {"schemes": ["cbhi"]},
                }
            ]
        }
    )[0]
    cov = covered_records(oop_records(tables), tables["person"], frame, pkg)
    got = dict(zip(IDS, shifted_by_household(cov, frame, pkg), strict=True))
    # CBHI members: H3's spouse (no spending) and both members of H6, whose only OOP is the
    # child's episode at a traditional healer (12 x 50,000)
    assert got == {"H1": 0, "H2": 0, "H3": 0, "H4": 0, "H5": 0, "H6": 600_000, "H7": 0, "H8": 0}


def test_cost_per_covered_person_counts_only_whom_the_package_covers(tables, agg):
    """Everything free for quintiles 1 and 2 (households H3, H8: quintile 1; H7: quintile 2):
    the members covered are those households' members only, and the cost per covered person
    is the ratio of weighted totals sum(w * shifted) / sum(w * covered), by hand from the
    hand-worked OOP of indicator_fixture (all OOP is shifted for those households)."""
    poorest = {**EVERYTHING, "id": "poorest", "eligible": {"quintiles": [1, 2]}}
    res = run(tables, agg.astype({"quintile": "int64"}), [poorest, EVERYTHING])
    hh = HOUSEHOLDS.assign(quintile=[5, 5, 1, 3, 4, 4, 2, 1])
    covered = hh["hhsize"].where(hh["quintile"] <= 2, 0)
    shifted = hh["oop"].where(hh["quintile"] <= 2, 0.0)
    w = hh["weight"]
    want = (w * shifted).sum() / (w * covered).sum()
    got = pick(res, "poorest", "cost", "cost_per_covered")
    assert got["estimate"] == pytest.approx(want, rel=1e-9)
    assert pick(res, "poorest", "cost", "cost_per_capita")["estimate"] == pytest.approx(
        (w * shifted).sum() / (w * hh["hhsize"]).sum(), rel=1e-9
    )
    # a package open to everyone covers every member: per covered person = per capita
    every = [pick(res, "everything", "cost", i)["estimate"] for i in ("cost_per_covered", "cost_per_capita")]  # fmt: skip
    assert every[0] == pytest.approx(every[1], rel=1e-12)
