"""Benefit-package scenarios: what a scheme paying for some care would do (issue 16).

A package (``config.yaml`` ``scenarios.packages``; :class:`hhsurvey.catalogue.scenarios.Package`,
with the names of ``scenarios.csv``) covers OOP records (:func:`hhsurvey.prepare.aggregate.
oop_records`) by type of care, cost item and provider, pays a share of them, optionally up to a
cap per record (one episode, admission, delivery, household self-medication or other-spending
question) and per household and year, for the persons it makes eligible (everyone, the insured
or uninsured, the members of schemes, the households of some quintiles).

For each package the household frame (``results/{round}/frames/household.parquet``, built
by :func:`hhsurvey.prepare.frames.build_frames`) is copied with OOP reduced by the amount
shifted to the scheme; total consumption, food, the poverty lines, the capacity-to-pay
subsistence line and the quintiles stay those of the actual situation (a static simulation:
people use the care they used, and the money a household no longer pays is spent on something
else). Then:

- ``level``: the financial-protection indicators of the catalogue, recomputed exactly as in
  ``indicators.csv`` (linear ones linearised, composites on JKn replicates);
- ``change``: actual minus scenario, a paired difference on the one sample. For a linear
  indicator it is the mean of the per-household difference on the same design (R ``svycontrast``
  of the two estimates on one design); for a composite, the difference of the two shares is
  recomputed on every replicate. Positive = fewer households in catastrophe or poverty;
- ``cost``: the weighted total of the shifted amounts (LAK per year, base-year prices) and per
  capita (ratio to the household members), linearised;
- ``incidence``: the share of the district's cost that goes to each quintile (a ratio).

Every estimate goes through :func:`hhsurvey.analysis.indicators.estimate.estimate_catalogue`, so flags,
intervals and the treatment of domains without degrees of freedom are those of the indicators.
"""

from __future__ import annotations

import dataclasses
import logging
import re
from typing import Any

import numpy as np
import pandas as pd

from hhsurvey.analysis.indicators.composites import (
    COMPOSITE_FLAGS,
    composite_flags,
    household_pop_share,
)
from hhsurvey.analysis.indicators.definitions import indicator_data, register
from hhsurvey.analysis.indicators.estimate import estimate_catalogue
from hhsurvey.catalogue.model import Indicator
from hhsurvey.catalogue.scenarios import (
    ACTUAL,
    COST_PER_CAPITA,
    COST_PER_COVERED,
    COST_TOTAL,
    INCIDENCE,
    WHERE,
    Package,
    load_packages,
)
from hhsurvey.engine.columns import N_UNWEIGHTED, OUTPUT_COLUMNS, N
from hhsurvey.errors import InputError
from hhsurvey.prepare.aggregate import KEY, UNKNOWN_PROVIDER, oop_records

log = logging.getLogger(__name__)

#: Columns of scenarios.csv: scenario and measure, then an indicator table's keys and the
#: engine's tidy columns, the DHS flag (or "not applicable") and the precision flag (low, not
#: estimable) with its note, as in indicators.csv.
COLUMNS = [
    "scenario",
    "measure",
    "indicator",
    "domain",
    "level",
    *OUTPUT_COLUMNS,
    "flag",
    "precision",
    "precision_note",
]
#: Estimators of the linear indicators a scenario recomputes.
LINEAR = ("proportion", "mean")


def _categories(s: pd.Series) -> set[str]:
    if isinstance(s.dtype, pd.CategoricalDtype):
        return {str(c) for c in s.cat.categories}
    return {str(v) for v in s.dropna().unique()}


def check_packages(packages: list[Package], tables: dict[str, pd.DataFrame]) -> None:
    """Providers and schemes must be labels of the codebook (types and items: the schema)."""
    providers = {UNKNOWN_PROVIDER}
    for table, col in (("episode", "provider"), ("admission", "facility"), ("birth", "place")):
        if col in tables[table].columns:
            providers |= _categories(tables[table][col])
    schemes = _categories(tables["person"]["scheme"]) if "scheme" in tables["person"] else set()
    for p in packages:
        for what, given, known in (
            ("provider", p.providers, providers),
            ("scheme", p.schemes, schemes),
        ):
            bad = sorted(set(given or ()) - known)
            if bad:
                raise InputError(
                    f"scenario '{p.id}' names {what}(s) {bad}, which the codebook does not know",
                    WHERE,
                    f"use {what} labels of the codebook: {sorted(known)}",
                )


# ---------------------------------------------------------------------------------------------
# Amounts shifted to the scheme


def eligible_persons(
    person: pd.DataFrame, households: pd.DataFrame, package: Package
) -> pd.DataFrame:
    """Persons of responding households with ``eligible`` (bool) under the package."""
    per = person[[*KEY, "line", "insured", "scheme"]].merge(
        households[[*KEY, "quintile"]], on=KEY, how="inner", validate="many_to_one"
    )
    ok = np.ones(len(per), dtype=bool)
    insured = (per["insured"] == "yes").to_numpy(dtype=bool)
    if package.insurance == "insured":
        ok &= insured
    elif package.insurance == "uninsured":
        ok &= ~insured
    if package.schemes is not None:
        ok &= per["scheme"].isin(package.schemes).to_numpy(dtype=bool)
    if package.quintiles is not None:
        q = pd.to_numeric(per["quintile"].astype("object"), errors="coerce")
        ok &= q.isin(package.quintiles).to_numpy(dtype=bool)
    return per.assign(eligible=ok)


def covered_records(
    records: pd.DataFrame,
    person: pd.DataFrame,
    households: pd.DataFrame,
    package: Package,
    *,
    price_factor: float = 1.0,
) -> pd.DataFrame:
    """One row per OOP record (episode, admission, delivery, household question) of a
    responding household: ``annual`` OOP and ``covered`` (paid by the scheme), both annual LAK
    in base-year prices, before the household's yearly cap.

    covered = min(share x covered items of the record, cap_per_record) x annual factor
    x eligibility, where eligibility is that of the record's person, or for the household's
    self-medication and other spending the share of eligible members.
    """
    rec = records.merge(households[KEY], on=KEY, how="inner")
    match = np.ones(len(rec), dtype=bool)
    for col, allowed in (
        ("type", package.types),
        ("item", package.items),
        ("provider", package.providers),
    ):
        if allowed is not None:
            match &= rec[col].isin(allowed).to_numpy(dtype=bool)
    amount = rec["recorded"].to_numpy(dtype="float64") * price_factor
    rec = rec.assign(_amount=amount, _covered=np.where(match, amount * package.share, 0.0))
    per_rec = (
        rec.groupby("record", sort=False)
        .agg(
            village=("village", "first"),
            hh=("hh", "first"),
            line=("line", "first"),
            type=("type", "first"),
            provider=("provider", "first"),
            annual_factor=("annual_factor", "first"),
            amount=("_amount", "sum"),
            covered=("_covered", "sum"),
        )
        .reset_index()
    )
    covered = per_rec["covered"]
    if package.cap_per_record is not None:
        covered = covered.clip(upper=float(package.cap_per_record))
    factor = per_rec["annual_factor"].to_numpy(dtype="float64")
    elig = np.ones(len(per_rec))
    if not package.everyone:
        per = eligible_persons(person, households, package)
        by_person = per.set_index([*KEY, "line"])["eligible"]
        has_line = per_rec["line"].notna().to_numpy()
        keys = pd.MultiIndex.from_frame(
            per_rec.loc[has_line, [*KEY, "line"]].astype({"line": "int64"})
        )
        elig[has_line] = by_person.reindex(keys).fillna(False).to_numpy(dtype="float64")
        share = per.groupby(KEY)["eligible"].mean()
        hh_keys = pd.MultiIndex.from_frame(per_rec.loc[~has_line, KEY])
        elig[~has_line] = share.reindex(hh_keys).fillna(0.0).to_numpy(dtype="float64")
    return per_rec.assign(
        annual=per_rec["amount"] * factor,
        covered=covered.to_numpy(dtype="float64") * factor * elig,
    ).drop(columns=["amount"])


def shifted_by_household(
    covered: pd.DataFrame, households: pd.DataFrame, package: Package
) -> np.ndarray:
    """Annual amount the scheme pays for each household (rows of ``households``)."""
    idx = pd.MultiIndex.from_frame(households[KEY])
    total = covered.groupby(KEY)["covered"].sum().reindex(idx, fill_value=0.0)
    if package.cap_per_household_year is not None:
        total = total.clip(upper=float(package.cap_per_household_year))
    return total.to_numpy(dtype="float64")


def covered_persons(person: pd.DataFrame, households: pd.DataFrame, package: Package) -> np.ndarray:
    """Members of each household (rows of ``households``) whom the package makes eligible:
    every member for a package open to everyone."""
    if package.everyone:
        return households["hhsize"].to_numpy(dtype="float64")
    per = eligible_persons(person, households, package)
    idx = pd.MultiIndex.from_frame(households[KEY])
    n = per.groupby(KEY)["eligible"].sum().reindex(idx, fill_value=0)
    return n.to_numpy(dtype="float64")


def scenario_frame(
    frame: pd.DataFrame, shifted: np.ndarray, covered: np.ndarray | None = None
) -> pd.DataFrame:
    """The household frame with OOP less the shifted amount (consumption unchanged).

    Households the scheme pays nothing keep their row exactly (so a package covering nothing
    reproduces the actual estimates bit for bit).

    Residuals below a millionth of the household's OOP are rounding (OOP is deflated after
    summing, the records before) and set to zero. *covered*: the members the package makes
    eligible (:func:`covered_persons`; default every member), the denominator of the cost per
    covered person.
    """
    oop = frame["oop"].to_numpy(dtype="float64")
    paid = shifted > 0
    rest = np.where(paid, oop - shifted, oop)
    rest = np.where(paid & (rest <= 1e-6 * np.maximum(oop, 1.0)), 0.0, rest)
    total = frame["total"]
    return frame.assign(
        oop=rest,
        budget_share=frame["budget_share"].where(~paid, rest / total.where(total > 0)),
        shifted=shifted,
        covered_persons=frame["hhsize"].to_numpy(dtype="float64") if covered is None else covered,
    )


# ---------------------------------------------------------------------------------------------
# Estimation


def scenario_indicators(
    catalogue: list[Indicator], ids: list[str], by: list[str]
) -> list[Indicator]:
    """The catalogue entries a scenario recomputes, with the scenario disaggregations."""
    known = {i.id: i for i in catalogue}
    out = []
    for iid in ids:
        ind = known.get(iid)
        if ind is None:
            raise InputError(
                f"scenarios.indicators names '{iid}', which is not in the indicator catalogue",
                "config/config.yaml, scenarios.indicators",
                "use ids of config/indicators.yaml",
            )
        ok = (ind.estimator in LINEAR and ind.unit_of_analysis != "person") or (
            ind.estimator == "composite" and ind.definition in COMPOSITE_FLAGS
        )
        if not ok:
            raise InputError(
                f"scenarios.indicators names '{iid}' (estimator {ind.estimator}, "
                f"{ind.unit_of_analysis}), which a scenario cannot recompute",
                "config/config.yaml, scenarios.indicators",
                "use household indicators estimated as proportion or mean, or the composites "
                f"{sorted(COMPOSITE_FLAGS)}",
            )
        out.append(dataclasses.replace(ind, by=tuple(by)))
    return out


@register("scenario_change")
def _composite_change(ind, frames, design_args, *, level, context) -> pd.DataFrame:
    """Actual minus scenario share of a composite catastrophe, recomputed on each replicate.

    ``frames["household"]`` is the actual frame, ``frames["scenario"]`` the scenario's.
    """
    of = ind.params["of"]
    actual = composite_flags(of, frames["household"], context)
    scen = composite_flags(of, frames["scenario"], context)

    def flags(w: np.ndarray, pw: np.ndarray) -> np.ndarray:
        return actual(w, pw).astype("float64") - scen(w, pw).astype("float64")

    return household_pop_share(
        ind, frames, design_args, level=level, context=context, flags=flags, proportion=False
    )


def _estimate(
    inds: list[Indicator], frames: dict[str, pd.DataFrame], est: dict[str, Any], measure: str
) -> pd.DataFrame:
    res = estimate_catalogue(inds, frames, est["design_args"], **est["catalogue_args"])
    return res.rename(columns={N_UNWEIGHTED: N}).assign(measure=measure)


def change_rows(
    inds: list[Indicator],
    actual: pd.DataFrame,
    scen: pd.DataFrame,
    est: dict[str, Any],
) -> pd.DataFrame:
    """Paired change (actual - scenario) of each indicator on the one sample."""
    frame = actual
    changes = []
    for ind in inds:
        if ind.estimator == "composite":
            changes.append(
                dataclasses.replace(
                    ind,
                    definition="scenario_change",
                    params={"of": ind.definition},
                    support="non_negative",
                )
            )
            continue
        data_a, _ = indicator_data(ind, {ind.unit_of_analysis: actual})
        data_s, _ = indicator_data(ind, {ind.unit_of_analysis: scen})
        both = data_a["_where"] & data_s["_where"]
        frame = frame.assign(
            **{f"_dy_{ind.id}": data_a["_y"] - data_s["_y"], f"_in_{ind.id}": both}
        )
        changes.append(
            dataclasses.replace(
                ind,
                estimator="mean",
                definition=f"_dy_{ind.id}",
                universe=f"_in_{ind.id}",
                # an effect that is non-negative by construction: its interval is in [0, inf)
                support="non_negative",
            )
        )
    frames = {"household": frame, "household_pop": frame, "scenario": scen}
    return _estimate(changes, frames, est, "change")


def cost_rows(
    scen: pd.DataFrame, by: list[str], est: dict[str, Any], unit: str = "lak"
) -> pd.DataFrame:
    """Cost to the fund (total, per capita and per covered person, by domain) and benefit
    incidence by quintile."""
    base = {"label": "", "unit": unit, "unit_of_analysis": "household"}
    inds = [
        Indicator(id=COST_TOTAL, estimator="total", definition="shifted", by=tuple(by), **base),
        Indicator(
            id=COST_PER_CAPITA,
            estimator="ratio",
            definition="shifted",
            denominator="hhsize",
            by=tuple(by),
            **base,
        ),
        Indicator(
            id=COST_PER_COVERED,
            estimator="ratio",
            definition="shifted",
            denominator="covered_persons",
            by=tuple(by),
            **base,
        ),
    ]
    # categorical in memory, integer once read back from households.parquet
    quintiles = sorted({int(q) for q in scen["quintile"].dropna().astype("object")})
    # the share of the cost going to each quintile: a share of a total, in [0, 1]
    share = base | {"unit": "percent", "support": "proportion"}
    inds += [
        Indicator(
            id=f"{INCIDENCE}_{q}",
            estimator="ratio",
            definition=f"shifted * (quintile == {q})",
            denominator="shifted",
            **share,
        )
        for q in quintiles
    ]
    frames = {"household": scen, "household_pop": scen}
    with np.errstate(divide="ignore", invalid="ignore"):
        res = _estimate(inds, frames, est, "cost")
    inc = res["indicator"].str.startswith(f"{INCIDENCE}_")
    q = res.loc[inc, "indicator"].str.removeprefix(f"{INCIDENCE}_")
    res.loc[inc, "domain"], res.loc[inc, "level"] = "quintile", q
    res.loc[inc, "indicator"], res.loc[inc, "measure"] = INCIDENCE, "incidence"
    return res


# Columns of the household frame a scenario reads besides those its indicators name.
FRAME_COLUMNS = [
    *KEY,
    "weight",
    "pop_weight",
    "hhsize",
    "food_ctp",
    "total",
    "pc_total",
    "oop",
    "budget_share",
    "quintile",
]


def _slim(
    frame: pd.DataFrame, inds: list[Indicator], by: list[str], design_args: dict[str, Any]
) -> pd.DataFrame:
    """The columns the scenarios use (pandas' eval resolves every column of its frame, and
    the household frame has dozens)."""
    exprs = " ".join(f"{i.definition} {i.universe} {i.denominator or ''}" for i in inds)
    named = [c for c in frame.columns if re.search(rf"\b{re.escape(str(c))}\b", exprs)]
    design = [design_args.get(k) for k in ("strata", "psu")]
    keep = dict.fromkeys([*FRAME_COLUMNS, *by, *named, *(c for c in design if c)])
    return frame[[c for c in keep if c in frame.columns]]


def simulate(
    tables: dict[str, pd.DataFrame],
    household: pd.DataFrame,
    catalogue: list[Indicator],
    scenarios: dict,
    *,
    design_args: dict[str, Any],
    level: float,
    indicators: dict,
    poverty_lines: dict,
    price_factor: float = 1.0,
) -> pd.DataFrame:
    """Every package of ``scenarios`` (config ``scenarios:``), one tidy table.

    ``household`` is the round's household analysis frame (``frames/household.parquet``,
    base-year prices, the poverty lines as columns); ``tables`` the clean tables of the round
    (prices of the round: multiplied by ``price_factor``); ``poverty_lines`` the lines in
    base-year prices (:func:`hhsurvey.prepare.poverty.resolve_lines`), read by the composites.
    """
    packages = load_packages(scenarios)
    check_packages(packages, tables)
    by = list(scenarios.get("by", []))
    inds = scenario_indicators(catalogue, scenarios["indicators"], by)
    actual = _slim(household, inds, by, design_args)
    est = {
        "design_args": design_args,
        "catalogue_args": {
            "level": level,
            "suppress_below": indicators["suppress_below"],
            "caution_below": indicators["caution_below"],
            # the composites' flags per replicate, kept for the actual frame (its levels and
            # every package's paired change) and for one package at a time
            "context": {
                "indicators": indicators,
                "poverty_lines": poverty_lines,
                "flag_cache": (cache := {}),
            },
        },
    }
    frames = {"household": actual, "household_pop": actual}
    parts = [_estimate(inds, frames, est, "level").assign(scenario=ACTUAL)]
    kept = set(cache)  # the actual frame's flags
    records = oop_records(tables)
    for p in packages:
        cov = covered_records(records, tables["person"], actual, p, price_factor=price_factor)
        scen = scenario_frame(
            actual,
            shifted_by_household(cov, actual, p),
            covered_persons(tables["person"], actual, p),
        )
        log.info(
            "scenario %s: %d of %d records covered", p.id, int((cov["covered"] > 0).sum()), len(cov)
        )
        frames = {"household": scen, "household_pop": scen}
        parts += [
            _estimate(inds, frames, est, "level").assign(scenario=p.id),
            change_rows(inds, actual, scen, est).assign(scenario=p.id),
            cost_rows(scen, by, est).assign(scenario=p.id),
        ]
        for key in set(cache) - kept:  # this package's flags are not needed again
            del cache[key]
    out = pd.concat(parts, ignore_index=True)
    return out[COLUMNS]


__all__ = [
    "COLUMNS",
    "check_packages",
    "covered_persons",
    "covered_records",
    "eligible_persons",
    "scenario_frame",
    "shifted_by_household",
    "simulate",
]
