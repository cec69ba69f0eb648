"""Cluster-level plausibility (issue 27): a village whose amounts are recorded in thousands
(or hundreds) of kip is one village-level finding, not hundreds of record warnings; the
config stops the run or rescales the village, every change logged."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from canonical_fixture import PARAMS, tiny_round

from hhsurvey.errors import InputError
from hhsurvey.prepare.amounts import AMOUNT_COLUMNS
from hhsurvey.prepare.clean import clean_tables
from hhsurvey.prepare.validate import raise_on_errors, run_checks
from hhsurvey.prepare.village_scale import rescale_villages, village_scale

ITEMS = ["fish", "meat", "vegetables"]
FILES = {"food": "food.sav", "household": "hh.sav", "episode": "opd.sav"}


def food(villages: int = 10, per_village: int = 12) -> pd.DataFrame:
    """Weekly food purchases of `per_village` households per village, three items, amounts
    spread over a factor of about 5 (log-normal, sd 0.4) around each item's level."""
    rng = np.random.default_rng(27)
    level = {"fish": 20_000.0, "meat": 50_000.0, "vegetables": 8_000.0}
    rows = [
        (v, h, item, round(level[item] * float(np.exp(rng.normal(0, 0.4)))))
        for v in range(1, villages + 1)
        for h in range(1, per_village + 1)
        for item in ITEMS
    ]
    df = pd.DataFrame(rows, columns=["village", "hh", "item", "buy"])
    return df.assign(item=pd.Categorical(df["item"]), own=0.0, gift=0.0)


def episodes() -> pd.DataFrame:
    """Two episodes in village 3, one elsewhere: too few to judge alone."""
    costs = {c: [0.0] * 4 for c in AMOUNT_COLUMNS["episode"]}
    costs["cost_medicine"] = [15_000.0, 30_000.0, 20_000.0, 25_000.0]
    return pd.DataFrame({"village": [3, 3, 4, 5], "hh": [1, 2, 1, 1], "line": [1, 1, 1, 1]} | costs)


def test_natural_spread_is_not_flagged():
    assert village_scale({"food": food()}, 30.0).empty


def test_a_village_in_thousands_is_one_finding_with_its_power_of_ten():
    t = {"food": food(), "episode": episodes()}
    for name in t:
        df = t[name]
        cols = list(AMOUNT_COLUMNS[name])
        t[name] = df.assign(**{c: df[c].where(df["village"] != 3, df[c] / 1000) for c in cols})
    found = village_scale(t, 30.0)
    assert found[["village", "table", "factor"]].values.tolist() == [
        [3, "food", 1000.0],
        [3, "episode", 1000.0],  # two amounts only: follows the village's other amounts
    ]
    assert found.loc[0, "amounts"] == 36  # 12 households x 3 items, all positive
    assert found.loc[0, "ratio"] == pytest.approx(0.001, rel=0.3)


def test_a_village_far_off_but_not_by_a_power_of_ten_is_never_rescaled():
    t = {"food": food()}
    df = t["food"]
    t["food"] = df.assign(buy=df["buy"].where(df["village"] != 3, df["buy"] * 35))
    found = village_scale(t, 30.0)
    assert found["village"].tolist() == [3] and np.isnan(found["factor"].iloc[0])


def test_rescaling_restores_the_amounts_and_logs_each():
    original = food()
    t = {
        "food": original.assign(
            buy=original["buy"].where(original["village"] != 3, original["buy"] / 100)
        )
    }
    out, logs = rescale_villages(t, village_scale(t, 30.0))
    assert out["food"]["buy"].to_numpy() == pytest.approx(original["buy"].to_numpy(), rel=1e-12)
    log = pd.concat(logs)
    assert len(log) == 36 and set(log["rule"]) == {"village_rescaled"}
    assert (
        log["reason"].iloc[0].endswith("multiplied by 100 (cleaning.village_amount_scale: rescale)")
    )


def _round() -> dict[str, pd.DataFrame]:
    """A round of ten villages (twelve responding households each, one member each) with the
    food module of :func:`food`, village 3's amounts in thousands; other modules empty."""
    t = {n: df.iloc[:0] for n, df in tiny_round().items()}
    cat = tiny_round()
    f = food()
    t["food"] = f.assign(
        buy=f["buy"].where(f["village"] != 3, f["buy"] / 1000),
        item=pd.Categorical(f["item"].astype(str), categories=cat["food"]["item"].cat.categories),
    )
    keys = f[["village", "hh"]].drop_duplicates().reset_index(drop=True)
    n = len(keys)
    one = cat["household"].iloc[[0]]
    t["household"] = keys.assign(
        **{c: np.repeat(one[c].to_numpy(), n) for c in one.columns if c not in ("village", "hh")}
    ).assign(area=pd.Categorical(["rural"] * n, categories=one["area"].cat.categories))
    p = cat["person"].iloc[[1]]
    t["person"] = keys.assign(line=1).assign(
        **{
            c: np.repeat(p[c].to_numpy(), n)
            for c in p.columns
            if c not in ("village", "hh", "line")
        }
    )
    t["frame"] = pd.DataFrame(
        {
            "village": range(1, 11),
            "area": pd.Categorical(["rural"] * 10, categories=one["area"].cat.categories),
            "mos_hh": 100.0,
            "selected": 1,
            "listed_hh": 100.0,
            "sampled_hh": 12.0,
        }
    )
    return t


PARAMS_10 = PARAMS | {"strata": "area", "village_scale_ratio": 30.0}


def test_stop_is_one_village_level_message():
    t = _round()
    f = run_checks(t, PARAMS_10, FILES)
    mine = f[f["check"] == "village_amount_scale"]
    assert mine["keys"].tolist() == ["village=3"] and (mine["severity"] == "error").all()
    assert "rescaled, it would be multiplied by 1,000" in mine["value"].iloc[0]
    with pytest.raises(InputError) as err:
        raise_on_errors(f, t, {}, {}, FILES)
    text = err.value.message
    assert text.count("[village_amount_scale]") == 1 and "village=3" in text
    assert "cleaning.village_amount_scale: rescale" in text


def test_rescale_is_a_warning_and_no_record_level_warning_for_the_village():
    t = _round()
    f = run_checks(t, PARAMS_10 | {"village_amount_scale": "rescale"}, FILES)
    mine = f[f["check"] == "village_amount_scale"]
    assert (mine["severity"] == "warning").all() and len(mine) == 1
    assert not f["check"].str.startswith("extreme_amount").any()
    raise_on_errors(f, t, {}, {}, FILES)  # nothing stops


def test_cleaning_rescales_under_the_config_and_logs():
    t = _round()
    params = PARAMS_10 | {
        "extreme_amounts": "keep",
        "cap_percentile": 99,
        "village_amount_scale": "rescale",
    }
    special = pd.DataFrame(columns=["table", "keys", "column", "raw_variable", "code", "meaning"])
    clean, log, _, _ = clean_tables(t, special, params)
    back = food()["buy"].to_numpy()
    assert clean["food"]["buy"].to_numpy() == pytest.approx(back, rel=1e-12)
    assert (log["rule"] == "village_rescaled").sum() == 36
    # under stop (the default) cleaning changes nothing: validation has stopped the run
    clean, log, _, _ = clean_tables(t, special, params | {"village_amount_scale": "stop"})
    assert not (log["rule"] == "village_rescaled").any()
