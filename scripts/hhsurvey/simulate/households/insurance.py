"""Step 5 of a block: chronic illness and health insurance of each person.

Civil servants, the military and police, and private employees have their own schemes (and
their dependants may be covered); chronic illness is drawn next, because CBHI enrolment is
adverse-selected. The baseline has CBHI and the Health Equity Fund in the villages that offer
them; the endline has National Health Insurance (households that report HEF keep that answer).
"""

from __future__ import annotations

import numpy as np

from hhsurvey.simulate.draws import expit, logit
from hhsurvey.simulate.households.block import Block


def insurance(b: Block) -> None:
    """Sets poor, chronic, scheme (0 = none), insured, hef_card and ins_other (INS2_OTHER)."""
    P, rng, H, n, h, w = b.P, b.rng, b.H, b.n, b.h, b.w
    emp, age, urb_p, w_p = b.emp, b.age, b.urb_p, b.w_p
    W, A = P["wealth"], P["activity"]

    INS = P["insurance"]
    poor = b.pc_month < W["poverty_line_pc_month"] * b.price
    civil = emp == 1
    mil = civil & (rng.random(n) < A["military_police_share"])
    r = rng.random((6, n))
    own_sass = civil & ~mil & (r[0] < INS["sass_own"])
    own_mil = mil & (r[1] < INS["military_own"])
    own_sso = (emp == 2) & (r[2] < INS["sso_registered"])

    scheme = np.zeros(n, np.int64)
    scheme[own_sass] = 1
    scheme[(scheme == 0) & own_mil] = 6
    scheme[(scheme == 0) & own_sso] = 2
    scheme[(scheme == 0) & b.any_in_hh(own_sass)[h] & (r[3] < INS["sass_dependant"])] = 1
    scheme[(scheme == 0) & b.any_in_hh(own_mil)[h] & (r[4] < INS["military_dependant"])] = 6
    scheme[(scheme == 0) & b.any_in_hh(own_sso)[h] & (r[5] < INS["sso_dependant"])] = 2
    formal_hh = b.any_in_hh(scheme > 0)
    priv = rng.random(n) < expit(
        INS["private_intercept"] + INS["private_wealth"] * w_p + INS["private_urban"] * urb_p
    )
    # chronic illness first: CBHI enrolment is adverse-selected
    C = P["chronic"]
    chronic = rng.random(n) < expit(
        np.array(C["logit_by_age"])[np.searchsorted(np.array([15, 45, 60]), age, side="right")]
    )
    if not b.endline:
        p_cbhi = expit(
            INS["cbhi_intercept"]
            + INS["cbhi_wealth"] * w
            + INS["cbhi_chronic"] * b.any_in_hh(chronic)
        )
        cbhi_hh = b.vcol("_cbhi") & ~formal_hh & (rng.random(H) < p_cbhi)
        hef_hh = b.vcol("_hef") & (
            rng.random(H) < np.where(poor, INS["hef_poor"], INS["hef_nonpoor"])
        )
        scheme[(scheme == 0) & cbhi_hh[h]] = 3
        scheme[(scheme == 0) & hef_hh[h]] = 4
        scheme[(scheme == 0) & priv] = 5
        hef_card = scheme == 4
    else:
        scheme[(scheme == 0) & priv] = 5
        nhi_hh = rng.random(H) < expit(logit(INS["nhi"]) + INS["nhi_wealth"] * w)
        says_hef = poor & (rng.random(H) < INS["hef_reported"])
        new = (scheme == 0) & nhi_hh[h]
        scheme[new] = np.where(says_hef[h][new], 4, 7)
        hef_card = (scheme == 4) | ((scheme == 7) & poor[h])
    insured = scheme > 0
    other_txt = np.array(INS["other_texts_military"], dtype=object)
    ins_other = np.where(scheme == 6, other_txt[rng.integers(0, len(other_txt), n)], "")
    b.poor, b.chronic, b.scheme, b.insured = poor, chronic, scheme, insured
    b.hef_card, b.ins_other = hef_card, ins_other
