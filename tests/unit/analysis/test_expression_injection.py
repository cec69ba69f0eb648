"""Catalogue expressions cannot run code (issue 27): an expression that calls a method of a
column (`age.to_csv(...)`) wrote a file outside results/ and overwrote a raw file, while the
estimates stayed the same. Every expression of the catalogue still gives what pandas gave."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import yaml
from indicator_fixture import indicator_round, weights_table
from testpaths import REPO

from hhsurvey.analysis.indicators.definitions import evaluate
from hhsurvey.catalogue.model import expressions_of, load_catalogue
from hhsurvey.errors import InputError
from hhsurvey.prepare.aggregate import household_aggregates
from hhsurvey.prepare.frames import build_frames
from hhsurvey.prepare.poverty import resolve_lines

CONFIG = yaml.safe_load((REPO / "config" / "config.yaml").read_text(encoding="utf-8"))
IND = CONFIG["indicators"]


@pytest.fixture(scope="module")
def frames() -> dict[str, pd.DataFrame]:
    tables = indicator_round()
    agg = household_aggregates(
        tables,
        weights_table(),
        strata="area",
        ctp_excluded_food=IND["ctp"]["exclude_food_items"],
        eq_beta=IND["ctp"]["beta"],
    )
    lines = resolve_lines(CONFIG["poverty_lines"], CONFIG["prices"])
    return build_frames(
        tables,
        agg,
        strata="area",
        u5_excluded_sources=IND["u5_excluded_sources"],
        poverty_lines=lines,
    )


def test_an_expression_cannot_write_a_file(frames, tmp_path, monkeypatch):
    """Fails on the code before the grammar: pandas' eval called the method and wrote."""
    work = tmp_path / "repo"
    (work / "raw").mkdir(parents=True)
    raw = work / "raw" / "frame.csv"
    raw.write_text("HH1\n1\n", encoding="utf-8")
    monkeypatch.chdir(work)
    attacks = [
        "age.to_csv('../outside.csv')",
        "age.to_csv('raw/frame.csv')",
        "age.to_frame().to_csv('../outside2.csv')",
    ]
    for expr in attacks:
        with pytest.raises(InputError) as err:
            evaluate(frames["person"], expr, "definition", "coverage_any")
        assert "indicator coverage_any (definition)" in err.value.where
        assert "does not allow" in err.value.what
    assert sorted(p.name for p in tmp_path.iterdir()) == ["repo"]  # nothing outside
    assert raw.read_text(encoding="utf-8") == "HH1\n1\n"  # raw/ untouched


def test_every_catalogue_expression_gives_what_pandas_eval_gave(frames):
    """The independent computation: pandas' own evaluator on the same frame."""
    n = 0
    for ind in load_catalogue(str(REPO / "config/indicators.yaml")):
        frame = frames[ind.unit_of_analysis]
        for what, expr in expressions_of(ind):
            ours = evaluate(frame, expr, what, ind.id, ind.instrument)
            theirs = frame.eval(expr, engine="python")
            if np.isscalar(theirs):
                theirs = pd.Series(theirs, index=frame.index)
            pd.testing.assert_series_equal(
                ours.reset_index(drop=True),
                theirs.reset_index(drop=True),
                check_names=False,
                check_dtype=False,
            )
            n += 1
    assert n > 100


def test_a_misspelt_category_stops_the_indicator(frames):
    with pytest.raises(InputError) as err:
        evaluate(frames["person"], "(insured == 'yes') & (scheme == 'CBHI')", "definition", "x")
    assert "'CBHI' is not a category of `scheme`" in err.value.what
    assert "write 'cbhi'" in err.value.fix
    with pytest.raises(InputError, match="'Public' is not a category of `ep_provider_group`"):
        evaluate(frames["person"], "ep_provider_group == 'Public'", "definition", "x")
