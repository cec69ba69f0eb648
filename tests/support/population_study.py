"""The simulator's finite population reduced to what repeated samples need (coverage study,
planning power simulation): household keys, true OOP per household, persons per household,
illness and care flags, and the vectorised non-response weights of the documented design."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from hhsurvey.simulate.params import load_params
from hhsurvey.simulate.simulator import simulate_population
from hhsurvey.simulate.truth import compute_truth

INELIGIBLE_CODES, RESPONDING_CODES = (4,), (1,)
INDICATORS = ("care_seeking", "oop_annual_hh_mean")


def household_key(hh1, hh2) -> np.ndarray:
    return np.asarray(hh1, np.int64) * 1_000_000 + np.asarray(hh2, np.int64)


def household_oop(pop: dict[str, pd.DataFrame]) -> np.ndarray:
    """Annual OOP (SDG 3.8.2 scope) of every household of ``pop["hh"]``, from the module tables
    with the docs/definitions.md formula (true values: no don't-knows)."""
    hh = pop["hh"]
    index = pd.Index(household_key(hh["HH1"], hh["HH2"]))
    H = len(index)

    def per_hh(df: pd.DataFrame, values: np.ndarray) -> np.ndarray:
        pos = index.get_indexer(household_key(df["HH1"], df["HH2"]))
        return np.bincount(pos, weights=values, minlength=H)

    def amounts(df: pd.DataFrame, cols: tuple[str, ...]) -> np.ndarray:
        return np.nan_to_num(df[list(cols)].to_numpy(np.float64)).sum(axis=1)

    opd = pop["opd"][pop["opd"]["OP1"] == 1]
    births = pop["births"][pop["births"]["MN1"] < 12]
    return (
        12 * per_hh(opd, amounts(opd, ("OP5A", "OP5B", "OP5C", "OP5F")))
        + 12 * hh["HE1"].to_numpy(np.float64)
        + per_hh(pop["ipd"], amounts(pop["ipd"], ("IP3A", "IP3B", "IP3C", "IP3F")))
        + hh["HE2"].to_numpy(np.float64)
        + per_hh(births, births["MN4"].to_numpy(np.float64))
    )


@dataclass(frozen=True)
class Population:
    """The finite population, reduced to what one sample needs (arrays indexed by household
    position in ``pop["hh"]`` and person position in ``pop["persons"]``)."""

    pop: dict[str, pd.DataFrame]
    params: dict
    truth: dict[str, float]
    hh_key: np.ndarray  # sorted household keys HH1 * 1e6 + HH2
    oop: np.ndarray  # annual OOP per household
    size: np.ndarray  # persons per household
    first: np.ndarray  # position of the household's first person
    ill: np.ndarray  # person ill in the last 30 days (ILL1 = 1)
    care: np.ndarray  # person sought care (OP1 = 1); 0 for persons not ill


def make_population(params: dict | None = None) -> Population:
    params = load_params() if params is None else params
    pop = simulate_population(params)
    tr = compute_truth(pop, params).set_index("indicator")["value"]
    hh, per, opd = pop["hh"], pop["persons"], pop["opd"]
    hh_key = household_key(hh["HH1"], hh["HH2"])
    if not (np.diff(hh_key) > 0).all():
        raise AssertionError("population households are not sorted by key")
    pk = household_key(per["HH1"], per["HH2"])
    if not (np.diff(pk) >= 0).all():
        raise AssertionError("population persons are not grouped by household")
    size = np.bincount(np.searchsorted(hh_key, pk), minlength=len(hh_key))
    first = np.concatenate([[0], np.cumsum(size)[:-1]])
    op1 = (
        opd.set_index(["HH1", "HH2", "HL1"])["OP1"]
        .reindex(pd.MultiIndex.from_frame(per[["HH1", "HH2", "HL1"]]))
        .to_numpy(np.float64)
    )
    ill = per["ILL1"].to_numpy() == 1
    if not np.array_equal(~np.isnan(op1), ill):
        raise AssertionError("the opd module must hold exactly one episode per ill person")
    return Population(
        pop=pop,
        params=params,
        truth={k: float(tr[k]) for k in INDICATORS},
        hh_key=hh_key,
        oop=household_oop(pop),
        size=size,
        first=first,
        ill=ill,
        care=(op1 == 1).astype(np.float64),
    )


def nonresponse_weights(h: pd.DataFrame) -> np.ndarray:
    """Final weight of every sampled household (docs/definitions.md "Weights"), vectorised:
    design weight x eligible / responding within village, stratum fallback; 0 if not responding."""
    dw = h["design_weight"].to_numpy(np.float64)
    elig = ~h["HH9"].isin(INELIGIBLE_CODES).to_numpy()
    resp = h["HH9"].isin(RESPONDING_CODES).to_numpy()
    v, vcode = np.unique(h["HH1"].to_numpy(), return_inverse=True)
    n_elig = np.bincount(vcode, weights=elig, minlength=len(v))
    n_resp = np.bincount(vcode, weights=resp, minlength=len(v))
    with np.errstate(divide="ignore", invalid="ignore"):
        vf = np.where(n_resp > 0, n_elig / n_resp, 0.0)[vcode]
    s, scode = np.unique(h["HH6"].to_numpy(), return_inverse=True)
    elig_w = np.bincount(scode, weights=dw * elig, minlength=len(s))
    adj_w = np.bincount(scode, weights=dw * resp * vf, minlength=len(s))
    sf = (elig_w / adj_w)[scode]
    return np.where(resp, dw * vf * sf, 0.0)
