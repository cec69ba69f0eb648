"""Skip rules (issue 27): a filter question left blank while its follow-ups are answered is
an error, or imputed from the follow-ups with a log entry, for every filter question."""

from __future__ import annotations

import pandas as pd
import pytest
from canonical_fixture import PARAMS, tiny_round

from hhsurvey.errors import InputError
from hhsurvey.prepare.clean import clean_tables
from hhsurvey.prepare.skips import FILTERS, blank_filters, impute_filters
from hhsurvey.prepare.validate import raise_on_errors, run_checks

FILES = {"episode": "opd.sav", "person": "persons.sav", "child": "u5.sav", "household": "hh.sav"}
NAMES = {"episode.sought": "OP1", "episode.provider": "OP2", "person.insured": "INS1"}
CLEAN = PARAMS | {"strata": "area", "extreme_amounts": "keep", "cap_percentile": 99}


def blanked() -> dict[str, pd.DataFrame]:
    """tiny_round with every filter question blank where its follow-ups are answered: the
    episode that sought care at a health centre (OP1), the episode whose reason for not
    seeking care is cost (OP1, the "no" branch), the insured person's INS1 (scheme sass),
    the ill person's ILL1 (an episode record), and a child's CA6 with a source."""
    t = tiny_round()
    t["episode"]["sought"] = (
        t["episode"]["sought"]
        .astype("category")
        .cat.set_categories(t["episode"]["sought"].cat.categories)
    )
    t["episode"].loc[:, "sought"] = None
    t["person"].loc[0, "insured"] = None  # village 1 hh 1 line 1: scheme sass
    t["person"].loc[4, "ill_30d"] = None  # village 2 hh 1 line 3: has an episode
    child = t["child"]
    child["source"] = pd.Categorical(
        ["health_centre"], categories=t["episode"]["provider"].cat.categories
    )
    child.loc[0, "sought"] = None
    return t


def test_every_filter_question_is_found_with_the_answer_its_follow_ups_imply():
    found = blank_filters(blanked())
    got = sorted(
        zip(found["table"], found["column"], found["imputed"], found["answered"], strict=True)
    )
    assert got == [
        ("child", "sought", "yes", "source"),
        ("episode", "sought", "no", "reason_no_care"),
        ("episode", "sought", "yes", "provider, visits"),
        ("person", "ill_30d", "yes", "record in episode"),
        ("person", "insured", "yes", "scheme"),
    ]
    assert {f.column for f in FILTERS} == {"insured", "ill_30d", "sought"}


def test_impute_is_the_default_a_warning_and_a_log_row_each():
    t = blanked()
    f = run_checks(t, PARAMS, FILES)
    mine = f[f["check"].str.startswith("blank_filter")]
    assert len(mine) == 5 and (mine["severity"] == "warning").all()
    raise_on_errors(f)  # nothing stops
    clean, log, _, _ = clean_tables(t, pd.DataFrame(), CLEAN)
    assert clean["episode"]["sought"].astype(str).tolist() == ["yes", "no"]
    assert (
        clean["person"]["insured"].iloc[0] == "yes" and clean["person"]["ill_30d"].iloc[4] == "yes"
    )
    assert clean["child"]["sought"].iloc[0] == "yes"
    rows = log[log["rule"] == "filter_imputed"]
    assert len(rows) == 5
    row = rows[(rows["table"] == "episode") & (rows["new_value"] == "yes")].iloc[0]
    assert row["keys"] == "village=1, hh=1, line=1" and row["old_value"] == "missing"
    assert "follow-up(s) provider, visits are answered" in row["reason"]


def test_stop_makes_them_errors_with_the_round_s_names():
    t = blanked()
    f = run_checks(t, PARAMS | {"blank_filter": "stop", "raw_names": NAMES}, FILES)
    with pytest.raises(InputError) as err:
        raise_on_errors(f, t, NAMES, {}, FILES)
    text = err.value.message
    assert (
        "[blank_filter_episode_sought] the filter question OP1 is answered whenever the questions it opens (OP2, "
        in text
    )
    assert "village=1, hh=1, line=1" in text
    assert "set cleaning.blank_filter: impute" in text
    # and cleaning imputes nothing under stop
    _, log, _, _ = clean_tables(t, pd.DataFrame(), CLEAN | {"blank_filter": "stop"})
    assert not (log["rule"] == "filter_imputed").any()


def test_follow_ups_of_both_answers_cannot_be_imputed():
    t = tiny_round()
    t["episode"].loc[0, "sought"] = None
    t["episode"].loc[0, "reason_no_care"] = "cost"  # and the provider is health_centre
    f = run_checks(t, PARAMS, FILES)
    mine = f[f["check"] == "blank_filter_unresolved"]
    assert (
        mine["keys"].tolist() == ["village=1, hh=1, line=1"] and (mine["severity"] == "error").all()
    )
    out, logs = impute_filters(t)
    assert logs == [] and pd.isna(out["episode"]["sought"].iloc[0])


def test_nothing_to_find_in_a_complete_round():
    assert blank_filters(tiny_round()).empty
