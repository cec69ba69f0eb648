"""The household generator's driver: the topic steps of one block of villages, in order.

Every step draws from the block's one random generator, so the order below is part of the
result: changing it changes every file written after the first moved draw.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from hhsurvey.simulate.households.activity import education_and_activity
from hhsurvey.simulate.households.admissions import admissions
from hhsurvey.simulate.households.births import births
from hhsurvey.simulate.households.block import Block
from hhsurvey.simulate.households.children import under_fives
from hhsurvey.simulate.households.consumption import consumption, health_spending
from hhsurvey.simulate.households.coping import oop_and_coping
from hhsurvey.simulate.households.dwelling import dwelling
from hhsurvey.simulate.households.episodes import illness_and_care, outpatient_spending
from hhsurvey.simulate.households.insurance import insurance
from hhsurvey.simulate.households.roster import roster
from hhsurvey.simulate.households.tables import tables
from hhsurvey.simulate.households.wealth import wealth_and_size
from hhsurvey.simulate.layout import Tables

STEPS = (
    wealth_and_size,
    roster,
    education_and_activity,
    dwelling,
    insurance,
    illness_and_care,
    outpatient_spending,
    admissions,
    births,
    under_fives,
    health_spending,
    consumption,
    oop_and_coping,
)


def generate_block(P: dict, vil: pd.DataFrame, rng: np.random.Generator) -> Tables:
    """True records of every household of the villages in `vil` (canonical baseline names),
    as {table: {column: array}} (DataFrames are built only for what is kept)."""
    b = Block(P, vil, rng)
    for step in STEPS:
        step(b)
    return tables(b)
