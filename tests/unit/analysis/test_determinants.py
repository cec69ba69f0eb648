"""Determinants of care-seeking: coefficients as statsmodels' weighted binomial GLM."""

import numpy as np
import pandas as pd
import statsmodels.api as sm

from hhsurvey.analysis.indicators.determinants import DETERMINANTS, determinants


def test_coefficients_equal_statsmodels_weighted_glm():
    rng = np.random.default_rng(3)
    n = 1500
    village = rng.integers(0, 30, size=n)
    person = pd.DataFrame(
        {
            "village": village,
            "area": np.where(village < 10, "urban", "rural"),
            "weight": rng.uniform(50, 150, size=n),
            "quintile": rng.integers(1, 6, size=n),
            "insured": np.where(rng.random(n) < 0.3, "yes", "no"),
            "dist_hc": rng.uniform(0, 120, size=n),
            "sex": np.where(rng.random(n) < 0.5, "male", "female"),
            "age": rng.integers(0, 80, size=n).astype(float),
            "has_episode": rng.random(n) < 0.4,
        }
    )
    lin = (
        -0.5
        + 0.3 * person["quintile"]
        + 0.8 * (person["insured"] == "yes")
        - 0.01 * person["dist_hc"]
    )
    sought = rng.random(n) < 1 / (1 + np.exp(-lin))
    person["ep_sought"] = np.where(person["has_episode"], np.where(sought, "yes", "no"), None)
    out = determinants(
        person, {"strata": "area", "psu": "village", "lonely_psu": "fail"}, level=0.95
    )

    sub = person[person["has_episode"]]
    X = pd.get_dummies(
        sub.assign(
            quintile_group="Q" + sub["quintile"].astype(str),
            insurance=sub["insured"],
            dist_hc_30min=sub["dist_hc"] / 30,
            age_band=pd.cut(
                sub["age"], [-1, 14, 49, 200], labels=["a0-14", "a15-49", "a50+"]
            ).astype(str),
        )[DETERMINANTS],
        drop_first=True,
        dtype=float,
    )
    glm = sm.GLM(
        (sub["ep_sought"] == "yes").astype(float),
        sm.add_constant(X),
        family=sm.families.Binomial(),
        freq_weights=sub["weight"],
    ).fit()
    ref = glm.params.rename(index={"const": "(Intercept)"})
    ref.index = [
        next((f"{v}[T.{c[len(v) + 1 :]}]" for v in DETERMINANTS if c.startswith(v + "_")), c)
        for c in ref.index
    ]
    got = out.set_index("term")["estimate"]
    assert sorted(got.index) == sorted(ref.index)
    np.testing.assert_allclose(got.to_numpy(), ref[got.index].to_numpy(), rtol=1e-8)
    assert out["term"].iloc[0] == "(Intercept)" and len(out) == 1 + 4 + 1 + 1 + 1 + 2
    # design df: 30 PSUs - 2 strata + 1 - 10 coefficients
    assert (out["df"] == 30 - 2 + 1 - 10).all()
    assert (out["odds_ratio"] == np.exp(out["estimate"])).all()
