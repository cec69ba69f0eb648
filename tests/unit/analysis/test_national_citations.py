"""Every national comparator cites its primary source (issue 14): publisher, document or
dataset, table or indicator code, year; a repository or web copy is only a secondary note."""

from __future__ import annotations

import re

import pandas as pd
import pytest
from testpaths import REPO

from hhsurvey.analysis.compare import load_national

TABLE = REPO / "raw" / "reference" / "national_lao.csv"
PUBLISHERS = (
    "World Health Organization",
    "Lao Statistics Bureau",
    "Ministry of Health",
    "International Labour Organization",
    "World Bank",
    "P4H",
)
#: A source that is only a place where a copy lives.
REPOSITORY = re.compile(r"github|gitlab|https?://|www\.|\.xlsx|\.csv|\.xml|commit ", re.I)


def primary_source_problems(row: pd.Series) -> list[str]:
    """What is wrong with one row's citation (empty when it names a primary source)."""
    source = str(row["source"])
    problems = []
    if REPOSITORY.search(source):
        problems.append("the source names a repository or URL: move it to read_in")
    if not any(p in source for p in PUBLISHERS):
        problems.append("no primary publisher named")
    if "NATIONAL_FIGURES" in f"{source} {row['table_page']}":
        problems.append("cites an internal file")
    if not re.search(r"\b(19|20)\d\d\b|not stated", f"{source} {row['year']}"):
        problems.append("no year")
    return problems


def test_every_row_cites_a_primary_source():
    table = load_national(TABLE)
    bad = {r["comparator_id"]: p for _, r in table.iterrows() if (p := primary_source_problems(r))}
    assert not bad, bad
    assert table["read_in"].str.len().gt(0).all()  # where each was read: a secondary note


@pytest.mark.parametrize(
    "source",
    [
        "GitHub sekeundanielyu/lao_nhi, output/fig_01_population_scheme.xlsx, commit 73b2772",
        "https://p4h.world/en/countries/lao-peoples-democratic-republic/",
    ],
)
def test_a_row_whose_only_source_is_a_repository_fails(source):
    row = pd.Series({"source": source, "table_page": "", "year": "2013"})
    assert primary_source_problems(row)


def test_oop_share_of_health_expenditure_is_never_compared_with_the_budget_share():
    table = load_national(TABLE)
    che = table.loc[table["unit"] == "percent_che"]
    assert len(che) and (che["comparability"] == "context_only").all()
    assert che["definition_note"].str.contains("not a household's budget share").all()
