"""The hand-checked indicator round with planted missing items, for the R golden tests of
issue 13 (missing values excluded, distress financing population-weighted).

``planted_round()`` is ``indicator_fixture.indicator_round()`` with:

- the visit count of the episode of v4/1 line 3 (care sought) missing;
- three admissions of zero cost added: v1/1 line 1 (4 nights), v3/1 line 1 (5 nights) and
  v2/1 line 1 (nights missing), so that the length of stay has a PSU in each stratum after
  the missing one leaves it.

``export_tables(tables)`` gives the raw columns R reads (``tests/fixtures/r/data/numbers_*.csv``,
written by ``python tests/numbers_fixture.py``); ``make_golden_numbers.R`` builds every
definition itself from them.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from indicator_fixture import COSTS, indicator_round, weights_table
from testpaths import R_DATA

DATA = R_DATA


def planted_round() -> dict[str, pd.DataFrame]:
    t = indicator_round()
    ep = t["episode"]
    miss = (ep["village"] == 4) & (ep["hh"] == 1) & (ep["line"] == 3)
    assert miss.sum() == 1 and (ep.loc[miss, "sought"] == "yes").all()
    t["episode"] = ep.assign(visits=ep["visits"].mask(miss))
    extra = pd.DataFrame(
        [(1, 1, 1, 1, 4.0), (3, 1, 1, 1, 5.0), (2, 1, 1, 1, np.nan)],
        columns=["village", "hh", "line", "admission", "nights"],
    ).assign(**dict.fromkeys(COSTS, 0.0))
    t["admission"] = pd.concat([t["admission"], extra], ignore_index=True)
    return t


def export_tables(t: dict[str, pd.DataFrame]) -> dict[str, pd.DataFrame]:
    """The raw columns R needs: persons with their household weight, episodes, admissions,
    households with size and the two distress answers."""
    w = weights_table()
    w = w.loc[w["responding"], ["village", "hh", "area", "weight"]].astype({"area": "str"})
    keys = ["village", "hh", "line"]
    person = t["person"][keys].merge(w, on=["village", "hh"], validate="many_to_one")
    size = person.groupby(["village", "hh"]).size().rename("hhsize").reset_index()
    hh = t["household"][["village", "hh", "fin_borrowed", "fin_sold_assets"]].astype(
        {"fin_borrowed": "str", "fin_sold_assets": "str"}
    )
    hh = w.merge(size, on=["village", "hh"]).merge(hh, on=["village", "hh"])
    return {
        "person": person,
        "episode": t["episode"][[*keys, "sought", "visits"]].astype({"sought": "str"}),
        "admission": t["admission"][[*keys, "nights"]],
        "household": hh,
    }


if __name__ == "__main__":
    for name, df in export_tables(planted_round()).items():
        df.to_csv(DATA / f"numbers_{name}.csv", index=False, na_rep="NA")
