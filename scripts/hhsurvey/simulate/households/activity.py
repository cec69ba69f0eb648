"""Step 3 of a block: education (persons 6 and over) and main activity.

Highest level completed from an ordered latent score (wealth, area, sex, birth cohort), capped
by age; the adult activity a multinomial choice by education, area, sex and age; children and
young people at school or (from 12) on the farm.
"""

from __future__ import annotations

import numpy as np

from hhsurvey.simulate.draws import expit, gumbel_argmax
from hhsurvey.simulate.households.block import Block


def education_and_activity(b: Block) -> None:
    """Sets ed (NaN under 6) and emp (EMP1 codes)."""
    P, rng, n = b.P, b.rng, b.n
    age, female, urb_p, w_p = b.age, b.female, b.urb_p, b.w_p
    E = P["education"]
    cohort = np.select(
        [age < 30, age < 45, age < 60],
        [E["cohort_15_29"], 0.0, E["cohort_45_59"]],
        E["cohort_60plus"],
    )
    lat_ed = (
        E["wealth"] * w_p
        + E["urban"] * urb_p
        + E["female"] * female
        + cohort
        + rng.standard_normal(n)
    )
    ed = np.searchsorted(np.array(E["cuts"]), lat_ed)
    ed_cap = np.searchsorted(np.array(E["min_age_for_level"]), age, side="right") - 1
    ed = np.minimum(ed, ed_cap).astype(float)
    ed[age < 6] = np.nan
    A = P["activity"]
    ad = age >= 15  # the adult activity model is only needed from age 15
    edn = np.nan_to_num(ed[ad])
    util = (
        np.array(A["intercept"])
        + np.outer(edn, A["education"])
        + np.outer(urb_p[ad], A["urban"])
        + np.outer(female[ad], A["female"])
    )
    util[:, -1] += A["age_old"] * age[ad]
    adult_act = np.full(n, 9)
    adult_act[ad] = np.array(A["codes"])[gumbel_argmax(rng, util)]
    stud_child = rng.random(n) < expit(
        A["student_6_14"] + 0.7 * w_p + 0.5 * urb_p - 0.3 * np.maximum(age - 11, 0)
    )
    stud_youth = rng.random(n) < expit(
        A["student_15_24"] + 0.8 * w_p + 0.5 * urb_p - 0.45 * (age - 16)
    )
    farm_child = rng.random(n) < A["child_farm_work_12_14"]
    emp = np.select(
        [
            age < 6,
            (age < 15) & stud_child,
            (age < 15) & (age >= 12) & farm_child,
            age < 15,
            (age < 25) & stud_youth,
        ],
        [9, 5, 4, 9, 5],
        adult_act,
    )
    b.ed, b.emp = ed, emp
