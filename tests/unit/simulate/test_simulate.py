"""Tests of the synthetic survey simulator (hhsurvey.simulate.simulator)."""

from __future__ import annotations

import filecmp

import numpy as np
import pandas as pd
import pyreadstat
import pytest
from testpaths import REPO

from hhsurvey.simulate import simulator as sim
from hhsurvey.simulate.params import load_params
from hhsurvey.simulate.sample import draw_sample, draw_sample_indices, pps_systematic
from hhsurvey.simulate.truth import compute_truth

ROOT = REPO
DEMO = ROOT / "raw" / "demo"
FILES = [
    "frame.csv",
    "hh.sav",
    "food.sav",
    "nonfood.sav",
    "persons.sav",
    "opd.sav",
    "ipd.sav",
    "births.sav",
    "u5.sav",
    "planted_errors.csv",
    "truth.csv",
]
HEADLINE = [
    "coverage_any",
    "illness_30d",
    "care_seeking",
    "forgone_cost",
    "opd_visits_per_capita",
    "admissions_per_1000",
    "oop_episode_mean",
    "oop_annual_hh_mean",
    "oop_budget_share_mean",
    "che_sdg_10",
    "che_sdg_25",
    "distress_financing",
    "institutional_delivery",
    "skilled_birth_attendance",
    "u5_fever_care",
]


@pytest.fixture(scope="module")
def params():
    return load_params(ROOT / "config" / "simulate.yaml")


@pytest.fixture(scope="module")
def baseline_dirs(tmp_path_factory, params):
    """The baseline written twice: through write_demo and through the command line."""
    a = tmp_path_factory.mktemp("base_a")
    b = tmp_path_factory.mktemp("base_b")
    sim.write_demo(a, params, round="baseline", scale=1)
    sim.main(
        ["--round", "baseline", "--out", str(b), "--config", str(ROOT / "config" / "simulate.yaml")]
    )
    return a, b


@pytest.fixture(scope="module")
def population(params):
    return sim.simulate_population(params, round="baseline")


# ---------------------------------------------------------------------------- determinism


def test_regeneration_is_byte_identical(baseline_dirs):
    a, b = baseline_dirs
    for f in FILES:
        assert (a / f).read_bytes() == (b / f).read_bytes(), f


def test_committed_baseline_reproduced(baseline_dirs):
    a, _ = baseline_dirs
    match, mismatch, errors = filecmp.cmpfiles(a, DEMO / "baseline", FILES, shallow=False)
    assert not mismatch and not errors, (mismatch, errors)


def test_committed_endline_reproduced(tmp_path, params):
    if not (DEMO / "endline" / "hh.sav").exists():
        pytest.skip("endline demo not committed yet")
    sim.write_demo(tmp_path, params, round="endline", scale=1)
    match, mismatch, errors = filecmp.cmpfiles(tmp_path, DEMO / "endline", FILES, shallow=False)
    assert not mismatch and not errors, (mismatch, errors)


def test_sav_header_timestamp_fixed(baseline_dirs, params):
    a, _ = baseline_dirs
    head = (a / "hh.sav").read_bytes()[:120]
    assert head[:4] == b"$FL2"
    assert head[92:109] == b"30 Apr 1312:00:00"
    _, meta = pyreadstat.read_sav(a / "hh.sav", metadataonly=True)
    assert str(meta.creation_time) == "2013-04-30 12:00:00"


def test_seed_changes_output(tmp_path, params):
    other = {**params, "seed": params["seed"] + 1}
    sim.write_demo(tmp_path, other, round="baseline", scale=1)
    assert (tmp_path / "hh.sav").read_bytes() != (DEMO / "baseline" / "hh.sav").read_bytes()


# ---------------------------------------------------------------------------- population


def test_population_plausible(population):
    per, ht = population["persons"], population["hh_true"]
    assert 50_000 <= len(per) <= 62_000  # ~55,900 persons expected in 2013
    assert 4.8 <= ht["hhsize"].mean() <= 5.8
    age = per["HL6"]
    assert 0.10 <= (age < 5).mean() <= 0.16  # LSB: under-5 12.3 % in 2015
    assert 0.22 <= ((per["HL4"] == 2) & age.between(15, 49)).mean() <= 0.30
    assert age.max() <= 95 and age.min() >= 0
    assert ((per["HL3"] == 1).groupby([per["HH1"], per["HH2"]]).sum() == 1).all()
    frame = population["frame"]
    assert (frame["area"] == 1).sum() == 20 and (frame["area"] == 2).sum() == 80
    assert frame["hh_count"].sum() == len(population["hh"])
    assert (frame["mos_hh"] != frame["hh_count"]).mean() > 0.8  # listing differs from census


def test_population_relationships(population):
    per = population["persons"]
    ins = per["INS2"]
    shares = ins.value_counts() / len(per)
    assert 0.20 <= (per["INS1"] == 1).mean() <= 0.35
    for code in (1, 2, 3, 4, 6):
        assert shares.get(code, 0) > 0.01, code
    # SASS goes with civil servants, SSO with private formal employees
    assert (per.loc[per["EMP1"] == 1, "INS1"] == 1).mean() > 0.8
    assert (per.loc[per["INS2"] == 2, "EMP1"] == 2).mean() > 0.3
    # HEF households are poorer
    ht = population["hh_true"].set_index(["HH1", "HH2"])
    w = ht["wealth"].reindex(pd.MultiIndex.from_frame(per[["HH1", "HH2"]])).to_numpy()
    assert w[per["INS2"] == 4].mean() < w[per["INS1"] == 2].mean() - 0.5
    # care-seeking rises with wealth; the cost reason falls with wealth
    opd = population["opd"]
    wo = ht["wealth"].reindex(pd.MultiIndex.from_frame(opd[["HH1", "HH2"]])).to_numpy()
    rich = wo > np.median(wo)
    assert (opd["OP1"][rich] == 1).mean() > (opd["OP1"][~rich] == 1).mean()
    # admissions 3-6 per 100 persons per year
    assert 0.03 <= len(population["ipd"]) / len(per) <= 0.06


def test_truth_consistent_with_generator(population, params):
    """compute_truth (layout tables, DEFINITIONS formulas) matches the generator's own sums."""
    truth = compute_truth(population, params).set_index("indicator")["value"]
    ht = population["hh_true"]
    m = ht["hhsize"].to_numpy()
    s = ht["budget_share"].to_numpy()
    assert truth["oop_budget_share_mean"] == pytest.approx((m * s).sum() / m.sum(), rel=1e-9)
    assert truth["che_sdg_10"] == pytest.approx((m * (s > 0.1)).sum() / m.sum(), rel=1e-9)
    assert truth["oop_annual_hh_mean"] == pytest.approx(ht["oop_annual"].mean(), rel=1e-9)
    committed = pd.read_csv(DEMO / "baseline" / "truth.csv").set_index("indicator")["value"]
    for k in HEADLINE:
        assert committed[k] == pytest.approx(truth[k], rel=1e-8), k


def test_distress_truth_population_and_household_shares(population, params):
    """distress_financing is the catalogue's population share (persons in households that
    borrowed or sold assets, as household weight x size); distress_financing_hh the household
    share. Recomputed here from the roster and the household module with pandas."""
    truth = compute_truth(population, params).set_index("indicator")["value"]
    hh = population["hh"].set_index(["HH1", "HH2"])
    distress = (hh["HF1"] == 1) | (hh["HF2"] == 1)
    size = population["persons"].groupby(["HH1", "HH2"]).size().reindex(hh.index, fill_value=0)
    assert truth["distress_financing"] == pytest.approx(
        size[distress].sum() / size.sum(), rel=1e-12
    )
    assert truth["distress_financing_hh"] == pytest.approx(distress.mean(), rel=1e-12)
    # persons and households differ, so the two definitions are told apart
    assert truth["distress_financing"] != pytest.approx(truth["distress_financing_hh"], rel=1e-6)
    committed = pd.read_csv(DEMO / "baseline" / "truth.csv").set_index("indicator")["value"]
    assert committed["distress_financing_hh"] == pytest.approx(distress.mean(), rel=1e-9)


def test_truth_plausible():
    t = pd.read_csv(DEMO / "baseline" / "truth.csv")
    assert list(t.columns) == ["indicator", "value", "description"]
    v = t.set_index("indicator")["value"]
    assert set(HEADLINE) <= set(v.index)
    ranges = {
        "coverage_any": (0.20, 0.35),
        "illness_30d": (0.08, 0.15),
        "care_seeking": (0.45, 0.80),
        "forgone_cost": (0.05, 0.30),
        "opd_visits_per_capita": (0.6, 2.5),
        "admissions_per_1000": (30, 60),
        "oop_episode_mean": (30_000, 400_000),
        "oop_annual_hh_mean": (300_000, 3_000_000),
        "oop_budget_share_mean": (0.01, 0.08),
        "che_sdg_10": (0.05, 0.12),
        "che_sdg_25": (0.005, 0.05),
        "distress_financing": (0.02, 0.15),
        "institutional_delivery": (0.30, 0.60),
        "skilled_birth_attendance": (0.35, 0.60),
        "u5_fever_care": (0.35, 0.80),
        "poverty_headcount": (0.20, 0.30),
        "food_share_mean": (0.45, 0.65),
        "mean_household_size": (4.8, 5.8),
    }
    for k, (lo, hi) in ranges.items():
        assert lo <= v[k] <= hi, (k, v[k])


def test_endline_truth_changes():
    path = DEMO / "endline" / "truth.csv"
    if not path.exists():
        pytest.skip("endline demo not committed yet")
    v = pd.read_csv(path).set_index("indicator")["value"]
    assert 0.70 <= v["coverage_any"] <= 0.90
    assert v["change_coverage_any"] > 0.4
    assert v["change_care_seeking"] > 0.05
    assert v["change_che_sdg_10"] < 0
    assert v["change_oop_episode_mean"] < 0  # in baseline prices
    assert v["oop_episode_mean_base_prices"] < v["oop_episode_mean"]
    base = pd.read_csv(DEMO / "baseline" / "truth.csv").set_index("indicator")["value"]
    for k in HEADLINE:
        assert v[f"baseline_{k}"] == pytest.approx(base[k], rel=1e-8), k
        if k not in ("oop_episode_mean", "oop_annual_hh_mean"):
            assert v[f"change_{k}"] == pytest.approx(v[k] - base[k], abs=1e-8), k


# ---------------------------------------------------------------------------- design


def test_design_shape_of_demo():
    frame = pd.read_csv(DEMO / "baseline" / "frame.csv")
    sel = frame[frame["selected"] == 1]
    assert len(frame) == 100
    assert len(sel) == 20
    assert sel.groupby("area").size().to_dict() == {1: 7, 2: 13}
    assert (sel["sampled_hh"] == 15).all()
    assert (sel["listed_hh"] >= 15).all()
    assert (sel["listed_hh"] != sel["mos_hh"]).any()
    hh, _ = pyreadstat.read_sav(DEMO / "baseline" / "hh.sav")
    assert len(hh) == 300
    done = (hh["HH9"] == 1).mean()
    assert 0.88 <= done <= 0.99
    assert hh.loc[hh["HH9"] != 1, "HH9"].nunique() >= 2
    per, _ = pyreadstat.read_sav(DEMO / "baseline" / "persons.sav")
    assert 1_200 <= len(per) <= 1_900


def test_pps_certainty_and_probabilities():
    rng = np.random.default_rng(3)
    mos = np.array([500, 40, 60, 80, 100, 20, 50, 150], float)
    sel, pi = pps_systematic(mos, 3, rng)
    assert sel.sum() == 3 and sel[0] and pi[0] == 1.0
    assert pi.sum() == pytest.approx(3)
    rest = mos[1:]
    assert pi[1:] == pytest.approx(2 * rest / rest.sum())
    # selection frequencies match the inclusion probabilities
    hits = np.zeros(len(mos))
    for _ in range(4000):
        hits += pps_systematic(mos, 3, rng)[0]
    assert np.abs(hits / 4000 - pi).max() < 0.03


def test_draw_sample_indices_unbiased(population, params):
    rng = np.random.default_rng(11)
    frame = population["frame"]
    d = draw_sample_indices(population, params, rng)
    v, h = d["villages"], d["households"]
    assert v["selected"].sum() == 20
    assert np.isclose(v.groupby("area")["pi1"].sum().to_numpy(), [7, 13]).all()
    assert (v.loc[v["pi1"] == 1, "selected"] == 1).all()  # certainty units are taken
    assert (v["pi1"] == 1).sum() >= 1  # the town-centre village is a certainty unit
    assert len(h) == 300 and not h.duplicated(["HH1", "HH2"]).any()
    listed = frame.set_index("HH1").loc[h["HH1"], "hh_count"].to_numpy()
    assert np.allclose(h["pi2"].to_numpy(), 15 / listed)
    # Horvitz-Thompson estimate of the number of households is unbiased over repeated draws
    est = [
        draw_sample_indices(population, params, rng)["households"]["design_weight"].sum()
        for _ in range(300)
    ]
    assert np.mean(est) == pytest.approx(frame["hh_count"].sum(), rel=0.02)
    # response is 93-96 % on average
    resp = np.mean(
        [
            (draw_sample_indices(population, params, rng)["households"]["HH9"] == 1).mean()
            for _ in range(50)
        ]
    )
    assert 0.93 <= resp <= 0.97


def test_draw_sample_records(population, params):
    s = draw_sample(population, params, np.random.default_rng(5))
    hh = s["hh"]
    assert len(hh) == 300
    resp = hh[hh["HH9"] == 1]
    keys = set(zip(resp["HH1"], resp["HH2"], strict=True))
    assert set(zip(s["persons"]["HH1"], s["persons"]["HH2"], strict=True)) <= keys
    assert hh.loc[hh["HH9"] != 1, "HC1"].isna().all()
    assert s["frame"]["selected"].sum() == 20


def test_scale_option(tmp_path, params):
    sim.write_demo(tmp_path, params, round="baseline", scale=3)
    frame = pd.read_csv(tmp_path / "frame.csv")
    assert len(frame) == 300 and frame["selected"].sum() == 60
    hh, _ = pyreadstat.read_sav(tmp_path / "hh.sav")
    assert len(hh) == 900 and not hh.duplicated(["HH1", "HH2"]).any()
    t = pd.read_csv(tmp_path / "truth.csv").set_index("indicator")["value"]
    assert 140_000 <= t["population_persons"] <= 190_000
    assert 0.20 <= t["coverage_any"] <= 0.35


# ---------------------------------------------------------------------------- planted errors


ROUNDS = [r for r in ("baseline", "endline") if (DEMO / r / "planted_errors.csv").exists()]
WINDOW = {"baseline": ("2013-03-04", "2013-04-19"), "endline": ("2019-03-04", "2019-04-19")}


@pytest.mark.parametrize("round_", ROUNDS)
def test_planted_errors_present(round_):
    err = pd.read_csv(DEMO / round_ / "planted_errors.csv")
    assert list(err.columns) == [
        "error_id",
        "file",
        "keys",
        "variable",
        "value",
        "description",
        "expected_check",
    ]
    assert err["error_id"].is_unique and len(err) >= 8
    cache = {}
    for _, e in err.iterrows():
        if e["file"] not in cache:
            cache[e["file"]] = pyreadstat.read_sav(DEMO / round_ / e["file"], user_missing=True)[0]
        df = cache[e["file"]]
        keys = dict(kv.split("=") for kv in e["keys"].split(";"))
        m = np.ones(len(df), bool)
        for k, val in keys.items():
            m &= (df[k] == float(val)).to_numpy()
        assert m.sum() >= 1, e["error_id"]
        got = df.loc[m, e["variable"]]
        if e["variable"] == "HH12":
            assert str(got.iloc[0]) == e["value"]
        else:
            assert (got == float(e["value"])).any(), (e["error_id"], got.tolist())
    checks = set(err["expected_check"])
    assert {
        "age_out_of_range",
        "visits_out_of_range",
        "nights_out_of_range",
        "date_outside_fieldwork",
    } <= checks


@pytest.mark.parametrize("round_", ROUNDS)
def test_planted_errors_violate_their_checks(round_):
    def read(f):
        return pyreadstat.read_sav(DEMO / round_ / f"{f}.sav", user_missing=True)[0]

    per, opd, ipd, bir, hh = (read(f) for f in ("persons", "opd", "ipd", "births", "hh"))
    if round_ == "endline":
        opd = opd.rename(columns={f"OP5_{i}": f"OP5{c}" for i, c in enumerate("ABCDEF", 1)})
    assert (per["HL6"].between(96, 97) | (per["HL6"] > 98)).sum() == 1  # only the age of 120
    assert ((opd["OP1"] == 1) & opd["OP4"].notna()).sum() == 1
    assert ((opd["OP1"] == 2) & (opd["OP5B"] > 0)).sum() == 1
    assert (opd["OP3"] > 30).sum() == 1
    assert (ipd["IP2"] > 90).sum() == 1
    amounts = opd[[f"OP5{c}" for c in "ABCDEF"]]
    big = amounts.mask(amounts.isin([9_999_998, 9_999_999]))
    assert (big > 100_000_000).sum().sum() == 1
    mothers = bir.merge(per, on=["HH1", "HH2", "HL1"])
    young = mothers[(mothers["HL6"] < 98) & (mothers["HL6"] - mothers["MN1"] / 12 < 12)]
    assert len(young) == 1
    d = pd.to_datetime(hh["HH12"])
    outside = (d < WINDOW[round_][0]) | (d > WINDOW[round_][1])
    assert outside.sum() == 1
    # the rest is clean: no other skip-pattern violations
    assert ((opd["OP1"] == 2) & opd["OP2"].notna()).sum() == 0
    assert (bir["MN1"] >= 24).sum() == 0


# ---------------------------------------------------------------------------- entry points


def test_snakemake_script(tmp_path):
    import runpy
    import types

    ns = runpy.run_path(str(ROOT / "scripts" / "simulate_demo.py"), run_name="simulate_demo")
    smk = types.SimpleNamespace(
        input=types.SimpleNamespace(params=str(ROOT / "config" / "simulate.yaml")),
        params=types.SimpleNamespace(rounds=["baseline"], scale=1, outdir=str(tmp_path / "out")),
        output=types.SimpleNamespace(manifest=str(tmp_path / "manifest.txt")),
        log=[str(tmp_path / "sim.log")],
    )
    ns["main"](smk)
    for f in FILES:
        assert (tmp_path / "out" / "baseline" / f).read_bytes() == (
            DEMO / "baseline" / f
        ).read_bytes(), f
    manifest = (tmp_path / "manifest.txt").read_text()
    assert manifest.count("\n") == len(list((tmp_path / "out" / "baseline").iterdir()))


@pytest.mark.slow  # worker processes: about 10 s; make test runs it, make unit does not
def test_result_independent_of_worker_processes(tmp_path, params):
    """Two blocks of villages (scale 21): serial and parallel generation give the same bytes."""
    out = {}
    for w in (1, 2):
        p = {**params, "performance": {"workers": w}}
        out[w] = tmp_path / f"w{w}"
        sim.write_demo(out[w], p, round="baseline", scale=21)
    match, mismatch, errors = filecmp.cmpfiles(out[1], out[2], FILES, shallow=False)
    assert not mismatch and not errors
    hh, _ = pyreadstat.read_sav(out[1] / "hh.sav")
    assert len(hh) == 21 * 300
