"""Household aggregates: annual consumption and out-of-pocket spending (docs/definitions.md).

All amounts are annual LAK per household, in the prices of the round (deflation to base-year
prices is applied by :func:`deflate`).

- food = sum over items of (buy + own + gift) x 365/7
- non-food = 30-day items x 12 + 12-month items, excluding durables and taxes/fees
- OOP (SDG 3.8.2 scope) = 12 x episodes (consultation + medicines + tests + informal)
  + 12 x self-medication (HE1) + admissions (same four) + other 12-month spending (HE2)
  + delivery cost of births less than 12 months ago; the "incl. transport and food" variant
  adds the transport and food/lodging components of episodes and admissions
- total consumption = food + non-food + OOP
"""

from __future__ import annotations

import numpy as np
import pandas as pd

KEY = ["village", "hh"]
SDG_COMPONENTS = ["cost_consult", "cost_medicine", "cost_tests", "cost_informal"]
EXTRA_COMPONENTS = ["cost_transport", "cost_food"]
NONFOOD_EXCLUDED = ["durables", "taxes_fees"]
# Amount columns of the aggregate table (annual LAK), deflated to base-year prices together.
AMOUNT_OUTPUTS = ["food", "food_ctp", "nonfood", "oop", "total", "pc_total", "ae_total"]


def amount_columns(agg: pd.DataFrame) -> list[str]:
    """Every amount column of the aggregate table: the totals and each OOP component."""
    return [c for c in agg.columns if c in AMOUNT_OUTPUTS or c.startswith("oop_")]


def _positions(df: pd.DataFrame, index: pd.MultiIndex) -> np.ndarray:
    """The position in ``index`` of each row's household (-1: not a household of ``index``)."""
    return index.get_indexer(pd.MultiIndex.from_frame(df[KEY]))


def _sum_by_hh(values: pd.Series, at: np.ndarray, index: pd.MultiIndex) -> pd.Series:
    """``values`` summed per household of ``index`` (0 for one without rows): the sums of
    ``values.groupby([village, hh]).sum()``, grouped on the households' positions ``at``
    (:func:`_positions`, found once per table) instead of coding the two keys every time."""
    sums = values.groupby(at).sum()
    sums = sums[sums.index >= 0]
    sums.index = index[sums.index]
    return sums.reindex(index, fill_value=0.0)


# OOP records (SDG 3.8.2 scope): type of care, cost item and provider of each amount.
OOP_TYPES = ("opd", "ipd", "delivery", "selfmed", "other")
OOP_ITEMS = ("consult", "medicine", "tests", "informal", "unitemised")
# Provider of an amount the questionnaire does not attribute to one (self-medication, other
# 12-month spending, an episode or admission whose provider is missing).
UNKNOWN_PROVIDER = "unknown"
RECORD_COLUMNS = [
    "village",
    "hh",
    "line",
    "record",
    "type",
    "item",
    "provider",
    "recorded",
    "annual_factor",
]


def _records(
    df: pd.DataFrame,
    kind: str,
    items: dict[str, pd.Series],
    provider: pd.Series | str,
    factor: float,
    line: pd.Series | None = None,
) -> pd.DataFrame:
    prov = (
        pd.Series(provider, index=df.index)
        if isinstance(provider, str)
        else provider.astype("object").where(provider.notna(), UNKNOWN_PROVIDER)
    )
    rec = [f"{kind}:{i}" for i in range(len(df))]
    parts = [
        pd.DataFrame(
            {
                "village": df["village"].to_numpy(),
                "hh": df["hh"].to_numpy(),
                "line": (pd.Series(pd.NA, index=df.index) if line is None else line).to_numpy(),
                "record": rec,
                "type": kind,
                "item": item,
                "provider": prov.to_numpy(),
                "recorded": values.fillna(0.0).to_numpy(dtype="float64"),
                "annual_factor": factor,
            }
        )
        for item, values in items.items()
    ]
    return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=RECORD_COLUMNS)


def oop_records(tables: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """Every amount of OOP (SDG 3.8.2 scope) as one row, in the prices of the round.

    ``recorded`` is the amount as asked (30-day episode and self-medication amounts, the cost
    of one admission, of one delivery less than 12 months ago, 12-month other spending) and
    ``annual_factor`` turns it into annual LAK (12 or 1). ``record`` identifies the episode,
    admission, birth or household question the amount belongs to; ``line`` the person (missing
    for the household-level self-medication and other spending). Type of care: opd (illness
    episode), ipd (admission), delivery, selfmed, other; cost item: consult, medicine, tests,
    informal, or unitemised (delivery and other spending); provider: the codebook's provider or
    place of delivery, ``unknown`` when not attributed. Self-medication is medicines by
    definition. Transport and food are outside the SDG scope and not records.
    """
    ep, adm, birth, hh = (tables[t] for t in ("episode", "admission", "birth", "household"))
    recent = birth.loc[birth["months_since"] < 12]

    def attr(df: pd.DataFrame, col: str) -> pd.Series | str:
        return df[col] if col in df.columns else UNKNOWN_PROVIDER

    parts = [
        _records(
            ep,
            "opd",
            {c[5:]: ep[c] for c in SDG_COMPONENTS},
            attr(ep, "provider"),
            12.0,
            ep["line"],
        ),
        _records(
            adm,
            "ipd",
            {c[5:]: adm[c] for c in SDG_COMPONENTS},
            attr(adm, "facility"),
            1.0,
            adm["line"],
        ),
        _records(
            recent,
            "delivery",
            {"unitemised": recent["cost"]},
            attr(recent, "place"),
            1.0,
            recent["line"],
        ),
        _records(hh, "selfmed", {"medicine": hh["med_self_30d"]}, UNKNOWN_PROVIDER, 12.0),
        _records(hh, "other", {"unitemised": hh["other_health_12m"]}, UNKNOWN_PROVIDER, 1.0),
    ]
    out = pd.concat(parts, ignore_index=True)
    return out.assign(
        line=out["line"].astype("Int64"),
        provider=out["provider"].astype("str"),
        annual=out["recorded"] * out["annual_factor"],
    )


def oop_by_household(records: pd.DataFrame, index: pd.MultiIndex) -> pd.DataFrame:
    """Annual OOP of each household (rows in ``index``) by type of care (columns OOP_TYPES)."""
    wide = (
        records.groupby(["village", "hh", "type"])["annual"].sum().unstack("type", fill_value=0.0)
    )
    return wide.reindex(index=index, columns=list(OOP_TYPES), fill_value=0.0)


def household_aggregates(
    tables: dict[str, pd.DataFrame],
    weights: pd.DataFrame,
    *,
    strata: str,
    ctp_excluded_food: list[str],
    eq_beta: float,
) -> pd.DataFrame:
    """One row per responding household with consumption, OOP, composition and quintile."""
    hh = weights.loc[weights["responding"], [*KEY, strata, "weight"]].sort_values(KEY)
    idx = pd.MultiIndex.from_frame(hh[KEY])
    food, nonfood = tables["food"], tables["nonfood"]
    ep, adm, per = tables["episode"], tables["admission"], tables["person"]
    hhraw = tables["household"].set_index(KEY).reindex(idx)
    tabs = {"food": food, "nonfood": nonfood, "episode": ep, "admission": adm, "person": per}
    at = {name: _positions(t, idx) for name, t in tabs.items()}

    food_value = food[["buy", "own", "gift"]].fillna(0.0).sum(axis=1) * 365.0 / 7.0
    f_total = _sum_by_hh(food_value, at["food"], idx)
    f_ctp = _sum_by_hh(
        food_value.where(~food["item"].isin(ctp_excluded_food), 0.0), at["food"], idx
    )
    nf_keep = ~nonfood["item"].isin(NONFOOD_EXCLUDED)
    nf_annual = nonfood["value"].fillna(0.0) * np.where(nonfood["recall"] == "days30", 12.0, 1.0)
    nf_total = _sum_by_hh(nf_annual.where(nf_keep, 0.0), at["nonfood"], idx)

    comps: dict[str, pd.Series] = {}
    for c in SDG_COMPONENTS + EXTRA_COMPONENTS:
        comps[f"oop_opd_{c[5:]}"] = _sum_by_hh(ep[c].fillna(0.0) * 12.0, at["episode"], idx)
        comps[f"oop_ipd_{c[5:]}"] = _sum_by_hh(adm[c].fillna(0.0), at["admission"], idx)
    by_type = oop_by_household(oop_records(tables), idx)
    opd, ipd, selfmed, other, delivery = (
        by_type[t] for t in ("opd", "ipd", "selfmed", "other", "delivery")
    )
    oop = opd + ipd + selfmed + other + delivery
    extra = sum(comps[f"oop_{s}_{c[5:]}"] for s in ("opd", "ipd") for c in EXTRA_COMPONENTS)

    size = per.groupby(["village", "hh"]).size().reindex(idx, fill_value=0).astype("int64")
    age = per["age"]
    counts = {
        "n_u5": age < 5,
        "n_65plus": age >= 65,
        "n_women_15_49": (per["sex"] == "female") & age.between(15, 49),
        "n_insured": per["insured"] == "yes",
        "n_ill_30d": per["ill_30d"] == "yes",
    }
    comp = {
        k: _sum_by_hh(v.astype("float64"), at["person"], idx).astype("int64")
        for k, v in counts.items()
    }
    for scheme in per["scheme"].cat.categories:
        comp[f"n_scheme_{scheme}"] = _sum_by_hh(
            (per["scheme"] == scheme).astype("float64"), at["person"], idx
        ).astype("int64")
    head = per[per["relation"] == "head"].drop_duplicates(KEY).set_index(KEY)
    out = hh.assign(
        hhsize=size.to_numpy(),
        food=f_total.to_numpy(),
        food_ctp=f_ctp.to_numpy(),
        nonfood=nf_total.to_numpy(),
        oop_opd=opd.to_numpy(),
        oop_ipd=ipd.to_numpy(),
        oop_selfmed=selfmed.to_numpy(),
        oop_other=other.to_numpy(),
        oop_delivery=delivery.to_numpy(),
        oop=oop.to_numpy(),
        oop_incl_transport_food=(oop + extra).to_numpy(),
        **{k: v.to_numpy() for k, v in comps.items()},
        **{k: v.to_numpy() for k, v in comp.items()},
        head_sex=head["sex"].reindex(idx).astype("str").to_numpy(),
        dist_hc=hhraw["dist_hc"].to_numpy(),
        # yes / no / missing (nullable boolean): a missing answer stays missing, never "no"
        fin_borrowed=_yes_no(hhraw["fin_borrowed"]),
        fin_sold_assets=_yes_no(hhraw["fin_sold_assets"]),
    )
    out = out.assign(
        total=out["food"] + out["nonfood"] + out["oop"],
        eqsize=out["hhsize"].astype("float64") ** eq_beta,
    )
    out = out.assign(
        pc_total=out["total"] / out["hhsize"].where(out["hhsize"] > 0),
        ae_total=out["total"] / out["eqsize"].where(out["hhsize"] > 0),
        budget_share=out["oop"] / out["total"].where(out["total"] > 0),
        food_share=out["food"] / out["total"].where(out["total"] > 0),
        pop_weight=out["weight"] * out["hhsize"],
    )
    return out.assign(quintile=weighted_quintiles(out["pc_total"], out["pop_weight"])).reset_index(
        drop=True
    )


def _yes_no(col: pd.Series) -> pd.array:
    """A yes/no item as a nullable boolean array: True for yes, False for no, and missing
    (pd.NA) for a blank, "don't know" or any other answer (excluded, never counted as no)."""
    answered = col.isin(["yes", "no"])
    return pd.array((col == "yes").where(answered), dtype="boolean")


def weighted_quintiles(x: pd.Series, w: pd.Series) -> pd.Series:
    """Quintile (1 = poorest) so that each holds a fifth of the weighted population.

    Households are sorted by x; a household falls in quintile q when the cumulative weight
    share at its midpoint lies in ((q-1)/5, q/5].
    """
    order = np.argsort(x.to_numpy(), kind="stable")
    ws = w.to_numpy(dtype="float64")[order]
    cum = np.cumsum(ws) - ws / 2.0
    share = cum / ws.sum()
    q = np.clip(np.ceil(share * 5.0), 1, 5).astype("int64")
    out = np.empty_like(q)
    out[order] = q
    return pd.Series(pd.Categorical(out, categories=[1, 2, 3, 4, 5]), index=x.index)


def deflate(agg: pd.DataFrame, factor: float, columns: list[str]) -> pd.DataFrame:
    """Multiply amount columns by a price factor (base-year CPI / round CPI)."""
    return agg.assign(**{c: agg[c] * factor for c in columns})
