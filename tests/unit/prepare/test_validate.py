"""Each validation check: a minimal bad input that triggers it, and the exact message."""

from __future__ import annotations

import pandas as pd
import pytest
from canonical_fixture import PARAMS, tiny_round

from hhsurvey.errors import InputError
from hhsurvey.prepare.validate import catalogue, raise_on_errors, run_checks

FILES = {
    "household": "hh.sav",
    "person": "persons.sav",
    "episode": "opd.sav",
    "birth": "births.sav",
    "admission": "ipd.sav",
    "child": "u5.sav",
    "food": "food.sav",
    "nonfood": "nonfood.sav",
}


def findings(t):
    return run_checks(t, PARAMS, FILES)


def test_clean_round_has_no_findings():
    assert findings(tiny_round()).empty


def test_weighted_total_vs_frame_by_hand():
    """Village 1 (urban, the only one of its stratum: pi1 = 1) has 2 eligible households
    sampled of 110 listed; village 2 (rural, size 80 of 80 + 60: pi1 = 80/140) 1 of 85. The
    weights add up to 2 x 110 / 2 / 1 + 1 x 85 / 1 / (80/140) = 110 + 148.75 = 258.75
    households, 7.8 % above the frame's census count 100 + 80 + 60 = 240: a warning beyond a
    5 % tolerance, none within 10 %."""
    t = tiny_round()
    f = run_checks(t, PARAMS | {"frame_total_tolerance": 0.05}, FILES)
    row = f.loc[f["check"] == "weighted_total_vs_frame"]
    assert len(row) == 1 and row["severity"].iloc[0] == "warning"
    assert row["value"].iloc[0] == (
        "weighted 259 households vs 240 in the frame's census counts (+7.8%; tolerance 5%)"
    )
    assert row["keys"].iloc[0] == "district=total"
    assert findings(t).empty  # PARAMS: tolerance 10 %


def test_duplicate_person_key_is_an_error_with_keys_and_fix():
    t = tiny_round()
    t["person"] = pd.concat([t["person"], t["person"].iloc[[0]]], ignore_index=True)
    f = findings(t)
    with pytest.raises(InputError) as err:
        raise_on_errors(f)
    assert err.value.message.splitlines()[1].strip() == (
        "[duplicate_keys_person] the keys ['village', 'hh', 'line'] identify each record of the "
        "person table — violated by 2 record(s) in persons.sav (variable village+hh+line): "
        "village=1, hh=1, line=1, village=1, hh=1, line=1. Fix: remove or renumber the "
        "duplicated records in the export."
    )


@pytest.mark.parametrize(
    ("mutate", "check", "keys"),
    [
        (
            lambda t: t.update(person=pd.concat([t["person"], t["person"].iloc[[0]].assign(hh=9)])),
            "orphan_person",
            "village=1, hh=9, line=1",
        ),
        (
            lambda t: t.update(
                person=t["person"].assign(hh=t["person"]["hh"].mask(t["person"]["village"] == 1, 2))
            ),
            # household 1/2 is in hh.sav, not as a respondent: its own check, which names
            # weights.responding_results (test_records_of_a_partly_completed_household)
            "records_of_nonresponding_household",
            "village=1, hh=2",
        ),
        (
            lambda t: t.update(episode=t["episode"].assign(line=[7, 3])),
            "orphan_episode",
            "village=1, hh=1, line=7",
        ),
        (
            lambda t: t.update(admission=t["admission"].assign(line=[5])),
            "orphan_admission",
            "village=1, hh=1, line=5, admission=1",
        ),
        (
            lambda t: t.update(birth=t["birth"].assign(line=[1])),
            "birth_to_man",
            "village=2, hh=1, line=1",
        ),
        (
            lambda t: t.update(person=t["person"][t["person"]["village"] == 2]),
            "completed_without_roster",
            "village=1, hh=1",
        ),
    ],
)
def test_error_checks(mutate, check, keys):
    t = tiny_round()
    mutate(t)
    f = findings(t)
    hit = f[f["check"] == check]
    assert (hit["severity"] == "error").all() and keys in set(hit["keys"])
    with pytest.raises(InputError, match=rf"\[{check}\]"):
        raise_on_errors(f)


@pytest.mark.parametrize(
    ("mutate", "check", "value"),
    [
        (
            lambda t: t["person"].__setitem__("age", [120.0, 30, 35, 28, 2]),
            "age_out_of_range",
            "120.0",
        ),
        (lambda t: t["episode"].__setitem__("visits", [75.0, None]), "visits_out_of_range", "75.0"),
        (lambda t: t["admission"].__setitem__("nights", [200.0]), "nights_out_of_range", "200.0"),
        (
            lambda t: t["episode"].__setitem__(
                "reason_no_care", t["episode"]["reason_no_care"].fillna("cost")
            ),
            "skip_op4_when_care_sought",
            "cost",
        ),
        (
            lambda t: t["episode"].__setitem__("cost_medicine", [1_000.0, 5_000.0]),
            "spending_without_care",
            "5000.0",
        ),
        (
            lambda t: t["person"].__setitem__("age", [40.0, 30, 35, 12, 2]),
            "mother_age_at_birth",
            "10.3",
        ),
        (
            lambda t: t["household"].__setitem__(
                "interview_date",
                pd.to_datetime(["2013-03-10", "2013-03-10", "2014-01-01"]).astype("datetime64[s]"),
            ),
            "date_outside_fieldwork",
            "2014-01-01",
        ),
        (
            lambda t: t["household"].__setitem__("med_self_30d", [-5.0, None, 0.0]),
            "negative_amount_household",
            "-5.0",
        ),
        (
            lambda t: t["person"].__setitem__(
                "ill_30d", t["person"]["ill_30d"].where(t["person"]["line"] != 1, "no")
            ),
            "episode_not_ill",
            "no",
        ),
    ],
)
def test_warning_checks(mutate, check, value):
    t = tiny_round()
    mutate(t)
    f = findings(t)
    hit = f[f["check"] == check]
    assert len(hit) >= 1, f"{check} not triggered"
    assert (hit["severity"] == "warning").all() and value in set(hit["value"])
    raise_on_errors(f)  # warnings never stop the run


def test_extreme_amount_rule_on_log_scale():
    t = tiny_round()
    n = 30
    food = pd.DataFrame(
        {
            "village": 1,
            "hh": 1,
            "item": pd.Categorical(["fish"] * n, categories=t["food"]["item"].cat.categories),
            "buy": [10_000.0 + 100 * i for i in range(n - 1)] + [450_000_000.0],
            "own": 0.0,
            "gift": 0.0,
        }
    )
    t["food"] = food
    f = findings(t)
    hit = f[f["check"] == "extreme_amount_food"]
    assert hit["value"].tolist() == ["450000000.0"] and hit["variable"].tolist() == ["buy"]


def test_every_check_has_a_unique_id_and_fix():
    ids = [c.id for c in catalogue()]
    assert len(ids) == len(set(ids))
    assert all(c.severity in ("error", "warning") and c.fix for c in catalogue())


def test_birth_to_man_names_the_sex_mapping_before_the_raw_export():
    """Every mother coded male (the sexes swapped by the codebook, issue 26): the message names
    the codebook entry person.sex (its raw variable and line) first, then the data."""
    t = tiny_round()
    sex = t["person"]["sex"]
    t["person"]["sex"] = sex.map({"male": "female", "female": "male"}).astype(sex.dtype)
    names = {"person.sex": "HL4", "birth.line": "HL1"}
    lines = {"person.sex": "config/codebooks/baseline.yaml line 144"}
    with pytest.raises(InputError) as err:
        raise_on_errors(findings(t), t, names, lines, FILES)
    msg = err.value.message
    line = next(ln for ln in msg.splitlines() if "[birth_to_man]" in ln)
    first = line.index("person.sex (HL4, config/codebooks/baseline.yaml line 144)")
    assert first < line.index("correct the mother's line number")
    assert "Every record of the table fails this check" in line
    assert err.value.fix.startswith("check the codebook mappings named above first")


def test_a_check_no_mapping_can_break_still_blames_the_export():
    t = tiny_round()
    t["person"] = pd.concat([t["person"], t["person"].iloc[[0]]], ignore_index=True)
    with pytest.raises(InputError) as err:
        raise_on_errors(findings(t))
    assert err.value.fix.startswith("correct the raw export")
