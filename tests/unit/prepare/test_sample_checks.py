"""The frame and the sample agree (issue 27), each rule on a small table: census sizes of
every village within their stratum, a stratum for every village and household, every
selected village in the data or marked not visited, listing counts before weighting, and
module records of non-responding households named with weights.responding_results."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from canonical_fixture import PARAMS, tiny_round

from hhsurvey.errors import InputError
from hhsurvey.prepare.validate import raise_on_errors, run_checks
from hhsurvey.prepare.weights import diagnostics, household_weights

FILES = {"frame": "frame.csv", "household": "hh.sav", "person": "persons.sav"}
NAMES = {"household.area": "HH6", "frame.area": "area", "household.result": "HH9"}


def frame_of(sizes: list[float], selected: list[int]) -> pd.DataFrame:
    """A frame of one stratum: villages 1.., census sizes, 2 households drawn in selected."""
    n = len(sizes)
    return pd.DataFrame(
        {
            "village": list(range(1, n + 1)),
            "area": pd.Categorical(["rural"] * n, categories=["urban", "rural"]),
            "mos_hh": sizes,
            "selected": selected,
            "listed_hh": [s if k else np.nan for s, k in zip(sizes, selected, strict=True)],
            "sampled_hh": [2.0 if k else np.nan for k in selected],
        }
    )


def errors(t, **params) -> pd.DataFrame:
    f = run_checks(t, PARAMS | {"strata": "area", "raw_names": NAMES} | params, FILES)
    return f[f["severity"] == "error"]


def message(t, **params) -> str:
    f = run_checks(t, PARAMS | {"strata": "area", "raw_names": NAMES} | params, FILES)
    with pytest.raises(InputError) as err:
        raise_on_errors(f, t, NAMES, {}, FILES)
    return err.value.message


def test_a_census_size_keyed_x1000_for_an_unselected_village_stops_the_run():
    """Village 3 (not selected) at 60,000 instead of 60: the rural median is 30,040 with
    only two villages, so a frame of five shows it: median 80, ratio 750."""
    t = tiny_round()
    t["frame"] = pd.concat(
        [
            t["frame"],
            t["frame"].iloc[[1, 2]].assign(village=[4, 5], selected=0, mos_hh=[90.0, 70.0]),
        ],
        ignore_index=True,
    )
    t["frame"].loc[t["frame"]["village"] == 3, "mos_hh"] = 60_000.0
    found = errors(t)
    hit = found[found["check"] == "frame_size_outlier"]
    # rural sizes 80, 60,000, 90, 70: median (80 + 90) / 2 = 85; 60,000 / 85 = 705.9
    assert hit["keys"].tolist() == ["village=3"]
    assert hit["value"].iloc[0] == "60,000 households, 706 times the median of its stratum (85)"
    text = message(t)
    assert "[frame_size_outlier]" in text and "selected or not" in text
    assert "widen validation.mos_ratio" in text
    # the natural spread passes, and the bound is the config's
    t["frame"].loc[t["frame"]["village"] == 3, "mos_hh"] = 600.0  # 7.1 times the median
    assert "frame_size_outlier" not in set(errors(t)["check"])
    assert "frame_size_outlier" in set(errors(t, mos_ratio=[0.5, 5.0])["check"])


def test_a_blank_stratum_anywhere_in_the_frame_or_the_households():
    t = tiny_round()
    t["frame"].loc[t["frame"]["village"] == 3, "area"] = None  # not selected
    t["household"].loc[t["household"]["hh"] == 2, "area"] = None
    found = errors(t)
    assert found.loc[found["check"] == "frame_blank_stratum", "keys"].tolist() == ["village=3"]
    assert found.loc[found["check"] == "household_blank_stratum", "keys"].tolist() == [
        "village=1, hh=2"
    ]
    text = message(t)
    assert "enter HH6 for these households in hh.sav" in text


def test_a_selected_village_with_no_record_unless_marked_not_visited():
    t = tiny_round()
    t["frame"].loc[t["frame"]["village"] == 3, "selected"] = 1
    t["frame"].loc[t["frame"]["village"] == 3, ["listed_hh", "sampled_hh"]] = [70.0, 2.0]
    hit = errors(t)
    hit = hit[hit["check"] == "selected_village_without_data"]
    assert hit[["keys", "value"]].values.tolist() == [["village=3", "no household record"]]
    assert "village_result to 2 (not visited)" in message(t)
    # marked not visited: no error; marked but with households: an error
    t["frame"]["village_result"] = pd.Categorical(
        ["visited", "not_visited", "not_visited"], categories=["visited", "not_visited"]
    )
    hit = errors(t)
    hit = hit[hit["check"] == "selected_village_without_data"]
    assert hit[["keys", "value"]].values.tolist() == [
        ["village=2", "marked not visited, but 1 household record(s)"]
    ]


@pytest.mark.parametrize(
    ("listed", "sampled", "why"),
    [(85.0, 0.0, "zero or negative"), (85.0, np.nan, "blank"), (85.0, 1.5, "not whole numbers")],
)
def test_listing_counts_are_checked_before_weighting(listed, sampled, why):
    t = tiny_round()
    t["frame"].loc[t["frame"]["village"] == 2, ["listed_hh", "sampled_hh"]] = [listed, sampled]
    hit = errors(t)
    hit = hit[hit["check"] == "frame_listing_counts"]
    assert hit["keys"].tolist() == ["village=2"] and hit["value"].iloc[0].startswith(why)


def test_records_of_a_partly_completed_household_name_responding_results():
    """They were reported as persons without a household, never naming the config key."""
    t = tiny_round()
    t["household"]["result"] = t["household"]["result"].cat.add_categories([])
    t["household"].loc[t["household"]["village"] == 2, "result"] = "partly_completed"
    text = message(t)
    assert "[records_of_nonresponding_household] a household with roster, food or non-food" in text
    assert "violated by 1 record(s) (partly_completed (records in persons.sav: 3, " in text
    assert "add their result code to weights.responding_results" in text
    assert "[orphan_person]" not in text


def test_a_village_not_visited_is_carried_by_its_stratum():
    """Rural villages of sizes 200, 200, 400, 200, two drawn (1 and 3), village 3 not
    visited. By hand: pi1 = 2 x 200 / 1000 = 0.4 for village 1, 0.8 for village 3; the
    visited villages carry (200/0.4 + 400/0.8) / (200/0.4) = 2 (n_h / r_h under PPS), so a
    household of village 1 (2 drawn of 200 listed) weighs 2 x 200 / (0.4 x 2) = 500."""
    fr = frame_of([200.0, 200.0, 400.0, 200.0], [1, 0, 1, 0]).assign(
        village_result=pd.Categorical([1, None, 2, None]).rename_categories(
            ["visited", "not_visited"]
        )
    )
    fr.loc[2, ["listed_hh", "sampled_hh"]] = np.nan  # never listed
    hh = pd.DataFrame(
        {"village": [1, 1], "hh": [1, 2], "area": ["rural", "rural"], "result": ["completed"] * 2}
    )
    w = household_weights(fr, hh, ineligible=["vacant"], responding=["completed"])
    assert w["weight"].tolist() == pytest.approx([500.0, 500.0])
    # the census households of the stratum: 1,000, all carried
    assert w["weight"].sum() == pytest.approx(1000.0)
    diag = diagnostics(
        w,
        fr,
        pd.Series([3, 3], index=pd.MultiIndex.from_frame(hh[["village", "hh"]])),
        strata="area",
        flag_above=2.0,
    )
    d = diag.set_index(["scope", "level", "measure"])["value"]
    assert d[("overall", "total", "villages_selected")] == 2
    assert d[("overall", "total", "villages_not_visited")] == 1
    assert d[("stratum", "rural", "village_nonresponse_factor")] == pytest.approx(2.0)


def test_no_village_visited_in_a_stratum_is_a_message():
    fr = frame_of([200.0, 200.0], [1, 0]).assign(
        village_result=pd.Categorical(["not_visited", None], categories=["visited", "not_visited"])
    )
    hh = pd.DataFrame({"village": [], "hh": [], "area": [], "result": []})
    with pytest.raises(InputError, match=r"no selected village of stratum \['rural'\] was visited"):
        household_weights(fr, hh, ineligible=["vacant"], responding=["completed"])
