"""The block of villages the household generator works on, and the arrays its steps share.

A :class:`Block` starts from the parameters of the round, the villages of the block and the
block's random generator; each topic step reads the arrays of the steps before it and adds its
own (attributes grouped below by the step that sets them). Household arrays have one entry per
household of the block, person arrays one per person (households in order, roster order within),
episode, admission, birth and child arrays one per such record.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from hhsurvey.simulate.draws import within


@dataclass(eq=False, repr=False)
class Block:
    """Shared state of the steps generating one block of villages (see the module docstring)."""

    P: dict  # parameters of the round (round_params)
    vil: pd.DataFrame  # the villages of the block (frame rows)
    rng: np.random.Generator  # the block's content stream: every step draws from it, in order
    # households, from the villages
    endline: bool = field(init=False)
    price: float = field(init=False)  # price index of the round
    H: int = field(init=False)  # number of households
    vh: np.ndarray = field(init=False)  # village position of each household
    HH1: np.ndarray = field(init=False)
    HH2: np.ndarray = field(init=False)
    urban: np.ndarray = field(init=False)
    # wealth and household size (wealth.py)
    head_female: np.ndarray = field(init=False)
    head_age: np.ndarray = field(init=False)
    size: np.ndarray = field(init=False)
    w: np.ndarray = field(init=False)  # wealth score
    pc_month: np.ndarray = field(init=False)  # non-health consumption per person per month
    # roster (roster.py): persons
    n: int = field(init=False)  # number of persons
    h: np.ndarray = field(init=False)  # household position of each person
    rel: np.ndarray = field(init=False)
    age: np.ndarray = field(init=False)
    female: np.ndarray = field(init=False)
    HL1: np.ndarray = field(init=False)
    pv: np.ndarray = field(init=False)  # village position of each person
    urb_p: np.ndarray = field(init=False)
    w_p: np.ndarray = field(init=False)
    # education and activity (activity.py)
    ed: np.ndarray = field(init=False)
    emp: np.ndarray = field(init=False)
    # dwelling, assets, distances (dwelling.py)
    hc: np.ndarray = field(init=False)  # (H, 10) dwelling and asset answers
    dist_hc: np.ndarray = field(init=False)
    dist_hosp: np.ndarray = field(init=False)
    # chronic illness and insurance (insurance.py)
    poor: np.ndarray = field(init=False)
    chronic: np.ndarray = field(init=False)
    scheme: np.ndarray = field(init=False)
    insured: np.ndarray = field(init=False)
    hef_card: np.ndarray = field(init=False)
    ins_other: np.ndarray = field(init=False)
    # illness and outpatient care (episodes.py): episodes
    ab: np.ndarray = field(init=False)  # age band of each person
    ill: np.ndarray = field(init=False)
    ep: np.ndarray = field(init=False)  # person index of each episode
    ne: int = field(init=False)
    eh: np.ndarray = field(init=False)  # household position of each episode
    care: np.ndarray = field(init=False)
    kprov: np.ndarray = field(init=False)  # provider index (into the provider parameters)
    prov: np.ndarray = field(init=False)
    pub: np.ndarray = field(init=False)
    visits: np.ndarray = field(init=False)
    reason: np.ndarray = field(init=False)
    reason_other: np.ndarray = field(init=False)
    card: np.ndarray = field(init=False)
    u_sp_p: np.ndarray = field(init=False)  # village spending effect of each person
    opd_amt: np.ndarray = field(init=False)  # (ne, 6) episode spending components
    # admissions (admissions.py)
    ap: np.ndarray = field(init=False)  # person index of each admission
    na: int = field(init=False)
    fac: np.ndarray = field(init=False)
    nights: np.ndarray = field(init=False)
    ipd_amt: np.ndarray = field(init=False)  # (na, 6) admission spending components
    icard: np.ndarray = field(init=False)
    # births (births.py)
    mothers: np.ndarray = field(init=False)  # person index of each mother
    bh: np.ndarray = field(init=False)
    mn1: np.ndarray = field(init=False)
    place: np.ndarray = field(init=False)
    assistant: np.ndarray = field(init=False)
    mn4: np.ndarray = field(init=False)
    # under-fives (children.py)
    kid: np.ndarray = field(init=False)  # person index of each child
    ca1: np.ndarray = field(init=False)
    ca2: np.ndarray = field(init=False)
    ca3: np.ndarray = field(init=False)
    ca4: np.ndarray = field(init=False)
    ca5: np.ndarray = field(init=False)
    sym: np.ndarray = field(init=False)
    ca6: np.ndarray = field(init=False)
    ca7: np.ndarray = field(init=False)
    # household spending and consumption (consumption.py)
    he1: np.ndarray = field(init=False)
    he2: np.ndarray = field(init=False)
    food: dict[str, np.ndarray] = field(init=False)  # food item rows ("_h": household position)
    nonfood: dict[str, np.ndarray] = field(init=False)  # non-food item rows
    # OOP and coping (coping.py)
    food_ann: np.ndarray = field(init=False)
    nf_ann: np.ndarray = field(init=False)
    oop: np.ndarray = field(init=False)
    share: np.ndarray = field(init=False)
    hf: np.ndarray = field(init=False)  # (H, 5) coping answers
    ip4: np.ndarray = field(init=False)

    def __post_init__(self) -> None:
        self.endline = self.P["round"] == "endline"
        self.price = float(self.P["price_index"])
        nv = self.vil["hh_count"].to_numpy(np.int64)
        self.H = int(nv.sum())
        self.vh = np.repeat(np.arange(len(self.vil)), nv)
        self.HH1 = self.vil["HH1"].to_numpy(np.int64)[self.vh]
        self.HH2 = within(nv) + 1
        self.urban = self.vil["area"].to_numpy()[self.vh] == 1

    def vcol(self, c: str) -> np.ndarray:
        """Village column `c` for each household."""
        return self.vil[c].to_numpy()[self.vh]

    def any_in_hh(self, mask: np.ndarray) -> np.ndarray:
        """Households with at least one person where `mask` holds."""
        return np.bincount(self.h, weights=mask, minlength=self.H) > 0
