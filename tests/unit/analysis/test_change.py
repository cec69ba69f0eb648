"""Change between rounds: independent samples, and revisited villages (shared PSUs).

The change is the contrast of the engine's estimates of both rounds stacked into one design
(``hhsurvey.engine.design.stack``); each test checks it against an independent computation (the
rounds' own variances, a hand calculation, R in ``tests/golden/test_design_estimate_golden.py``).
"""

import numpy as np
import pandas as pd
import pytest

from hhsurvey.analysis.change import change_table, did_row
from hhsurvey.catalogue.model import Indicator
from hhsurvey.engine.design import SurveyDesign
from hhsurvey.engine.results import stack


def round_frame(y, village, stratum, w):
    return pd.DataFrame({"area": stratum, "village": village, "weight": w, "_y": y, "_where": True})


def design(f: pd.DataFrame) -> SurveyDesign:
    return SurveyDesign(f, weight="weight", strata="area", psu="village")


def test_independent_rounds_add_variances_exactly():
    rng = np.random.default_rng(5)
    frames = []
    for _ in range(2):
        v = rng.integers(0, 12, size=300)
        frames.append(
            round_frame(
                (rng.random(300) < 0.3 + 0.03 * v % 4).astype(float),
                v,
                np.where(v < 5, "u", "r"),
                rng.uniform(1, 3, 300),
            )
        )
    ests = [design(f).estimate("proportion", "_y") for f in frames]
    ses = [design(f).proportion("_y")["se"].iloc[0] for f in frames]
    st = stack(ests, shared_psus=False)
    res = st.contrast([-1, 1]).iloc[0]
    assert res["se"] == pytest.approx(np.hypot(*ses), rel=1e-12)
    assert res["df"] == (12 - 2) * 2
    assert res["estimate"] == pytest.approx(ests[1].estimates[0] - ests[0].estimates[0])


def test_revisited_villages_by_hand():
    # Two strata with two villages each, the same villages in both rounds; one person each
    # village and round, weight 1. Means: baseline (1+3+5+7)/4 = 4, endline (2+5+6+9)/4 = 5.5.
    strata = ["a", "a", "b", "b"]
    villages = [1, 2, 3, 4]
    base = round_frame([1.0, 3.0, 5.0, 7.0], villages, strata, [1.0] * 4)
    end = round_frame([2.0, 5.0, 6.0, 9.0], villages, strata, [1.0] * 4)
    eb, ee = design(base).estimate("mean", "_y"), design(end).estimate("mean", "_y")
    np.testing.assert_allclose(eb.influence[:, 0], np.array([-3, -1, 1, 3]) / 4)
    # per-village difference of influence values, then with-replacement variance in strata:
    d = ee.influence[:, 0] - eb.influence[:, 0]
    np.testing.assert_allclose(d, np.array([-0.5, 0.5, -0.5, 0.5]) / 4)
    by_hand = sum(
        2 / (2 - 1) * ((d[i] - d[i : i + 2].mean()) ** 2 + (d[i + 1] - d[i : i + 2].mean()) ** 2)
        for i in (0, 2)
    )
    shared = stack({"b": eb, "e": ee}, shared_psus=True).contrast([-1, 1]).iloc[0]
    assert shared["estimate"] == pytest.approx(1.5)
    assert shared["se"] ** 2 == pytest.approx(by_hand)  # = 4 x 2 x (1/8)^2 = 0.125
    assert by_hand == pytest.approx(0.125)
    # independent treatment ignores the strong positive covariance and is much larger
    indep = stack({"b": eb, "e": ee}, shared_psus=False).contrast([-1, 1]).iloc[0]
    var_b = design(base).mean("_y")["se"].iloc[0] ** 2
    var_e = design(end).mean("_y")["se"].iloc[0] ** 2
    assert indep["se"] ** 2 == pytest.approx(var_b + var_e)
    # df: 4 villages - 2 strata when shared; 8 villages - 4 round x strata when independent
    assert shared["se"] < indep["se"] and (shared["df"], indep["df"]) == (2, 4)


def test_positive_psu_covariance_shrinks_the_se():
    rng = np.random.default_rng(11)
    n_v, per = 20, 15
    village = np.repeat(np.arange(n_v), per)
    stratum = np.where(village < 8, "u", "r")
    effect = rng.normal(0, 1, n_v)[village]  # a village effect shared by both rounds
    base = round_frame(effect + rng.normal(0, 0.5, n_v * per), village, stratum, np.ones(n_v * per))
    end = round_frame(
        0.3 + effect + rng.normal(0, 0.5, n_v * per), village, stratum, np.ones(n_v * per)
    )
    ests = [design(f).estimate("mean", "_y") for f in (base, end)]
    se_shared = stack(ests, shared_psus=True).contrast([-1, 1])["se"].iloc[0]
    se_indep = stack(ests, shared_psus=False).contrast([-1, 1])["se"].iloc[0]
    assert se_shared < 0.6 * se_indep


def test_ratio_influence_gives_the_engine_se():
    rng = np.random.default_rng(2)
    v = rng.integers(0, 10, 200)
    f = round_frame(
        rng.gamma(2, 3, 200), v, np.where(v < 4, "u", "r"), rng.uniform(1, 2, 200)
    ).assign(_den=rng.gamma(3, 2, 200))
    eng = design(f).ratio("_y", "_den")
    e = design(f).estimate("ratio", "_y", "_den")
    # influence by hand: w (y - R x) / sum(w x)
    w, y, x = f["weight"].to_numpy(), f["_y"].to_numpy(), f["_den"].to_numpy()
    r = (w * y).sum() / (w * x).sum()
    np.testing.assert_allclose(e.influence[:, 0], w * (y - r * x) / (w * x).sum(), rtol=1e-12)
    assert e.contrast([1.0])["se"].iloc[0] == pytest.approx(eng["se"].iloc[0], rel=1e-12)


def _two_rounds(seed: int, revisit: bool) -> dict[str, pd.DataFrame]:
    """Person frames of two rounds: 14 villages in 2 strata, villages 0-5 urban."""
    rng = np.random.default_rng(seed)
    out = {}
    for r, shift in (("b", 0.0), ("e", 0.5)):
        villages = np.arange(14) if revisit or r == "b" else np.arange(14) + 100
        v = np.repeat(villages, 20)
        area = np.where(v % 100 < 6, "urban", "rural")
        y = rng.normal(2 + shift, 1, len(v)) + 0.3 * (area == "urban")
        out[r] = pd.DataFrame(
            {
                "area": area,
                "village": v,
                "weight": rng.uniform(1, 2, len(v)),
                "y": y,
                "quintile": rng.integers(1, 6, len(v)),
            }
        )
    return out


@pytest.mark.parametrize("revisit", [False, True])
def test_change_table_df_counts_the_domain_psus(revisit):
    frames = _two_rounds(3, revisit)
    ind = Indicator(
        id="y",
        label="y",
        unit="LAK",
        unit_of_analysis="person",
        estimator="mean",
        definition="y",
        by=("area", "quintile"),
    )
    indicators = {}
    for r, f in frames.items():
        d = design(f)
        rows = [d.mean("y").assign(domain="total", level="total")]
        for by in ("area", "quintile"):
            res = d.mean("y", by=by)
            rows.append(res.assign(domain=by, level=res[by].astype("str")))
        indicators[r] = pd.concat(rows, ignore_index=True).assign(indicator="y")
    out = change_table(
        [ind],
        {r: {"person": f} for r, f in frames.items()},
        indicators,
        baseline="b",
        endline="e",
        design_args={"strata": "area", "psu": "village", "lonely_psu": "adjust"},
        revisited=revisit,
        by=["area", "quintile"],
    ).set_index(["domain", "level"])
    # urban: 6 villages per round. Independent: 12 PSUs in 2 round x area strata -> 10;
    # revisited: the same 6 villages in 1 stratum -> 5. Rural: 8 villages.
    want = {
        ("area", "urban"): 5 if revisit else 10,
        ("area", "rural"): 7 if revisit else 14,
        ("total", "total"): 12 if revisit else 24,
    }
    for key, df in want.items():
        assert out.loc[key, "df"] == df, key
    # quintiles: count by hand the villages (and their strata) holding the quintile
    both = pd.concat([f.assign(_r="" if revisit else r) for r, f in frames.items()])
    for q in range(1, 6):
        sub = both[both["quintile"] == q]
        psus = sub[["_r", "area", "village"]].drop_duplicates()
        strata = psus[["_r", "area"]].drop_duplicates()
        assert out.loc[("quintile", str(q)), "df"] == len(psus) - len(strata), q
    # the change itself is the difference of the rounds' estimates
    b, e = (indicators[r].set_index(["domain", "level"])["estimate"] for r in ("b", "e"))
    np.testing.assert_allclose(out["change"], (e - b).loc[out.index], rtol=1e-12)


def test_difference_in_differences_by_hand():
    rng = np.random.default_rng(9)
    designs = {}
    ses = []
    means = {}
    for r, shift in (("b", 0.0), ("e", 1.0)):
        v = rng.integers(0, 12, 400)
        area = np.where(v < 6, "T", "C")
        y = rng.normal(2, 1, 400) + shift * (area == "T") + 0.3 * shift
        f = round_frame(y, v, area, rng.uniform(1, 2, 400))
        designs[r] = design(f)
        res = designs[r].mean("_y", by="area")
        for row in res.itertuples():
            means[(r, row.area)] = row.estimate
            ses.append(row.se)
    ind = Indicator(
        id="x", label="x", unit="rate", unit_of_analysis="person", estimator="mean", definition="x"
    )
    row = did_row(
        ind,
        designs,
        baseline="b",
        endline="e",
        column="area",
        treated="T",
        comparison="C",
        revisited=False,
        level=0.95,
    )
    did = (means[("e", "T")] - means[("b", "T")]) - (means[("e", "C")] - means[("b", "C")])
    assert row["change"] == pytest.approx(did, rel=1e-12)
    # treated and comparison areas are separate strata and rounds are independent: the four
    # domain variances add up
    assert row["se"] == pytest.approx(np.sqrt(np.sum(np.square(ses))), rel=1e-10)
    assert row["ci_low"] < 1.0 < row["ci_high"]  # the simulated effect is 1
    # df: both areas in both rounds, 12 villages each -> 24 PSUs - 4 strata
    assert row["df"] == 20


# ------------------------------------------------------------------------ flags that travel


def _round_rows(flags: dict) -> pd.DataFrame:
    """indicators.csv of one round: (indicator, domain, level) -> (flag, precision)."""
    return pd.DataFrame(
        [
            {"indicator": i, "domain": d, "level": lv, "flag": f, "precision": p}
            for (i, d, lv), (f, p) in flags.items()
        ]
    )


def _change_row(iid, domain, level, change, se, df, p):
    return {
        "indicator": iid,
        "domain": domain,
        "level": level,
        "baseline": 0.2,
        "baseline_ci_low": 0.1,
        "baseline_ci_high": 0.3,
        "endline": 0.2 + change,
        "endline_ci_low": 0.1 + change,
        "endline_ci_high": 0.3 + change,
        "change": change,
        "se": se,
        "ci_low": change - 2 * se,
        "ci_high": change + 2 * se,
        "df": df,
        "p_value": p,
        "significant": p < 0.05,
        "method": "linearised, stacked design",
    }


def test_change_flags_by_hand():
    """The flags of both rounds travel into the change table; a change resting on a
    suppressed estimate or a structural zero is not published; SE 0 is not estimable; a change
    that is not significant carries its MDC = (t(0.975, df) + t(0.80, df)) x SE; the headline
    family (key_rank indicators, total rows) gets Benjamini-Hochberg adjusted p-values."""
    from scipy import stats

    from hhsurvey.analysis.change import change_flags

    cat = [
        Indicator(id="a", label="A", unit="percent", unit_of_analysis="person",
                  estimator="proportion", definition="x", key_rank=1),
        Indicator(id="b", label="B", unit="lak", unit_of_analysis="household",
                  estimator="mean", definition="x", key_rank=2),
        Indicator(id="c", label="C", unit="percent", unit_of_analysis="person",
                  estimator="proportion", definition="x"),
    ]  # fmt: skip
    table = pd.DataFrame(
        [
            _change_row("a", "total", "total", 0.10, 0.02, 30.0, 0.0001),  # significant
            _change_row("b", "total", "total", 50.0, 40.0, 20.0, 0.22),  # not significant
            _change_row("a", "area", "urban", 0.05, 0.04, 12.0, 0.23),  # caution at endline
            _change_row("a", "area", "rural", 0.05, 0.04, 12.0, 0.23),  # suppressed baseline
            _change_row("c", "total", "total", 0.0, 0.0, 20.0, float("nan")),  # SE 0
            _change_row("c", "quintile", "1", 0.0, 0.0, 14.0, float("nan")),  # impossible
            _change_row("c", "area", "rural", 0.20, 0.10, 6.0, 0.07),  # wide, few df
        ]
    )
    rounds = {
        "base": _round_rows(
            {
                ("a", "area", "rural"): ("suppressed", ""),
                ("c", "quintile", "1"): ("not applicable", ""),
                ("c", "total", "total"): ("", "not estimable"),
            }
        ),
        "end": _round_rows(
            {("a", "area", "urban"): ("caution", "low"), ("b", "total", "total"): ("", "low")}
        ),
    }
    out = change_flags(
        table, rounds, cat, baseline="base", endline="end", level=0.95, power=0.8,
        rules={"max_ci_width": 0.30, "review_df_below": 8},
    ).set_index(["indicator", "domain", "level"])  # fmt: skip
    urban, rural = out.loc[("a", "area", "urban")], out.loc[("a", "area", "rural")]
    assert (urban["baseline_flag"], urban["endline_flag"], urban["flag"]) == (
        "",
        "caution",
        "caution",
    )
    assert urban["endline_precision"] == "low" and urban["change"] == 0.05
    assert (rural["baseline_flag"], rural["flag"]) == ("suppressed", "suppressed")
    hidden = ["change", "se", "ci_low", "ci_high", "df", "p_value", "mdc", "baseline"]
    assert rural[hidden].isna().all() and not rural["significant"]
    assert rural["endline"] == pytest.approx(0.25)  # the other round stays published
    na = out.loc[("c", "quintile", "1")]
    assert na["flag"] == "not applicable" and na[hidden].isna().all()
    zero = out.loc[("c", "total", "total")]
    assert zero["precision"] == "not estimable" and zero[["ci_low", "ci_high"]].isna().all()
    assert zero["baseline_precision"] == "not estimable" and not zero["significant"]
    wide = out.loc[("c", "area", "rural")]
    assert wide["precision"] == "low"
    assert wide["precision_note"] == (
        "confidence interval 40 points wide (limit 30); 6 degrees of freedom (fewer than 8): review"
    )
    # MDC by hand for two rows
    for key, se, df in ((("b", "total", "total"), 40.0, 20), (("c", "area", "rural"), 0.10, 6)):
        hand = (stats.t.ppf(0.975, df) + stats.t.ppf(0.80, df)) * se
        assert out.loc[key, "mdc"] == pytest.approx(hand, rel=1e-12)
    assert np.isnan(out.loc[("a", "total", "total"), "mdc"])  # significant: no MDC
    # the headline family: a and b totals (c has no key_rank); BH on (0.0001, 0.22)
    fam = out["p_adjusted"].dropna()
    assert set(fam.index) == {("a", "total", "total"), ("b", "total", "total")}
    assert fam[("a", "total", "total")] == pytest.approx(0.0002)
    assert fam[("b", "total", "total")] == pytest.approx(0.22)
