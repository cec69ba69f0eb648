"""Indicators from a declarative catalogue (``config/indicators.yaml``), each design-based.

Every indicator is a domain of one of three designs, never a design built on a module file
alone (DEFINITIONS.md "Domains"):

- ``person``: all persons of responding households, household weight;
- ``household``: responding households, household weight;
- ``household_pop``: responding households, weight x household size (population-weighted).

Episode, admission, birth and child indicators are person-level domains (a person has at most
one episode, one last birth and one child record; admissions are summed per person).

A catalogue entry names the unit, a universe (a boolean expression), a definition (an
expression evaluated on the analysis frame, or the name of a registered function), an
estimator type and the disaggregations. Adding an indicator that reuses an existing
definition is a catalogue entry only.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
import yaml

from hhsurvey.design import SurveyDesign
from hhsurvey.errors import InputError

log = logging.getLogger(__name__)

OUTPUT_COLUMNS = [
    "indicator",
    "domain",
    "level",
    "estimate",
    "se",
    "ci_low",
    "ci_high",
    "df",
    "deff",
    "n_unweighted",
    "n_weighted",
    "flag",
]
UNITS = ("person", "household", "household_pop")
ESTIMATORS = ("proportion", "mean", "ratio", "total", "quantile", "composite")
AGE_BINS = [-1, 4, 14, 24, 49, 64, 200]
AGE_LABELS = ["0-4", "5-14", "15-24", "25-49", "50-64", "65+"]
PROVIDER_GROUPS = {
    "public_central": "public",
    "public_district": "public",
    "health_centre": "public",
    "private": "private",
    "pharmacy": "pharmacy",
    "traditional": "traditional",
    "abroad": "abroad",
    "vhv": "vhv",
    "other": "other",
}


@dataclass(frozen=True)
class Indicator:
    """One catalogue entry."""

    id: str
    label: str
    unit: str
    unit_of_analysis: str
    estimator: str
    definition: str
    universe: str = "all"
    denominator: str | None = None
    by: tuple[str, ...] = ()
    standard: str = ""
    national: str | None = None
    quantile: float = 0.5
    scale: float = 1.0
    headline: bool = False
    params: dict = field(default_factory=dict)


def load_catalogue(path: str) -> list[Indicator]:
    """Read and check the catalogue; unknown units or estimators are errors with the entry id."""
    with open(path, encoding="utf-8") as fh:
        doc = yaml.safe_load(fh)
    entries = doc.get("indicators") if isinstance(doc, dict) else None
    if not entries:
        raise InputError(
            "the indicator catalogue has no `indicators:` list", path, "see config/indicators.yaml"
        )
    out: list[Indicator] = []
    seen: set[str] = set()
    for e in entries:
        iid = e.get("id", "?")
        if iid in seen:
            raise InputError(
                f"indicator id '{iid}' is used twice", path, "give each indicator a unique id"
            )
        seen.add(iid)
        if e.get("unit_of_analysis") not in UNITS:
            raise InputError(
                f"indicator '{iid}' has unit_of_analysis '{e.get('unit_of_analysis')}'",
                path,
                f"use one of {list(UNITS)}",
            )
        if e.get("estimator") not in ESTIMATORS:
            raise InputError(
                f"indicator '{iid}' has estimator '{e.get('estimator')}'",
                path,
                f"use one of {list(ESTIMATORS)}",
            )
        if e["estimator"] == "ratio" and not e.get("denominator"):
            raise InputError(
                f"ratio indicator '{iid}' has no `denominator`", path, "add `denominator:`"
            )
        known = {f for f in Indicator.__dataclass_fields__}
        extra = set(e) - known
        if extra:
            raise InputError(
                f"indicator '{iid}' has unknown key(s) {sorted(extra)}",
                path,
                f"use only {sorted(known)}",
            )
        out.append(Indicator(**{**e, "by": tuple(e.get("by", ()))}))
    return out


# ---------------------------------------------------------------------------------------------
# Analysis frames


def person_frame(
    tables: dict[str, pd.DataFrame],
    agg: pd.DataFrame,
    *,
    strata: str,
    u5_excluded_sources: list[str],
) -> pd.DataFrame:
    """All persons of responding households, with household and module information attached."""
    key3 = ["village", "hh", "line"]
    per = tables["person"]
    hh = agg[["village", "hh", strata, "weight", "quintile", "hhsize", "pc_total"]]
    df = per.drop(columns=[strata], errors="ignore").merge(
        hh, on=["village", "hh"], how="inner", validate="many_to_one"
    )
    ep = tables["episode"].rename(
        columns={c: f"ep_{c}" for c in tables["episode"].columns if c not in key3}
    )
    adm = tables["admission"]
    adm_pp = (
        adm.groupby(key3)
        .agg(
            adm_count=("admission", "size"),
            adm_nights=("nights", "sum"),
        )
        .reset_index()
    )
    birth = tables["birth"].rename(
        columns={c: f"b_{c}" for c in tables["birth"].columns if c not in key3}
    )
    child = tables["child"].rename(
        columns={c: f"c_{c}" for c in tables["child"].columns if c not in key3}
    )
    df = (
        df.merge(ep, on=key3, how="left", validate="one_to_one")
        .merge(adm_pp, on=key3, how="left", validate="one_to_one")
        .merge(birth, on=key3, how="left", validate="one_to_one")
        .merge(child, on=key3, how="left", validate="one_to_one")
    )
    has_ep = df["ep_sought"].notna()
    ep_oop = sum(
        df[f"ep_{c}"].fillna(0.0)
        for c in ("cost_consult", "cost_medicine", "cost_tests", "cost_informal")
    )
    return df.assign(
        age_group=pd.Categorical(
            pd.cut(df["age"], AGE_BINS, labels=AGE_LABELS), categories=AGE_LABELS
        ),
        insured_status=np.where(df["insured"] == "yes", "insured", "not insured"),
        has_episode=has_ep,
        ep_oop=ep_oop.where(has_ep),
        ep_provider_group=df["ep_provider"].map(PROVIDER_GROUPS).astype("str"),
        adm_count=df["adm_count"].fillna(0).astype("float64"),
        adm_nights=df["adm_nights"].astype("float64"),
        has_birth=df["b_months_since"].notna(),
        has_child=df["c_sought"].notna(),
        c_source_excluded=df["c_source"].isin(u5_excluded_sources),
        one=1.0,
    )


def poverty_lines_lak(poverty_lines: dict) -> dict[str, float]:
    """Annual per-person poverty lines in LAK of the base year (national and US$2.15 PPP)."""
    national = float(poverty_lines["national"]["lak_per_person_month"]) * 12.0
    intl = (
        float(poverty_lines["international"]["usd_ppp_per_day"])
        * float(poverty_lines["lak_per_usd_ppp"])
        * 365.0
    )
    return {"pl_national": national, "pl_215": intl}


def household_frame(agg: pd.DataFrame, poverty_lines: dict) -> pd.DataFrame:
    """Responding households with their aggregates and the poverty lines as columns."""
    return agg.assign(**poverty_lines_lak(poverty_lines), one=1.0)


# ---------------------------------------------------------------------------------------------
# Estimation

FUNCTIONS: dict[str, Callable[..., pd.DataFrame]] = {}


def register(name: str) -> Callable:
    """Register a named definition for composite indicators."""

    def deco(fn: Callable) -> Callable:
        FUNCTIONS[name] = fn
        return fn

    return deco


def _eval(frame: pd.DataFrame, expr: str, what: str, iid: str) -> pd.Series:
    try:
        out = frame.eval(expr, engine="python")
    except Exception as err:
        raise InputError(
            f"the {what} of indicator '{iid}' cannot be evaluated: {err}",
            f"config/indicators.yaml, indicator {iid}: `{expr}`",
            "use column names of the analysis frame (README: Indicators) and pandas expression syntax",
        ) from None
    if np.isscalar(out):
        out = pd.Series(out, index=frame.index)
    return out


def flag(n: pd.Series, suppress_below: int, caution_below: int) -> pd.Series:
    """DHS small-sample flag on the unweighted denominator."""
    return pd.Series(
        np.select([n < suppress_below, n < caution_below], ["suppressed", "caution"], ""),
        index=n.index,
    )


def estimate_one(
    ind: Indicator,
    frames: dict[str, pd.DataFrame],
    design_args: dict[str, Any],
    *,
    level: float,
) -> pd.DataFrame:
    """Estimate one linear indicator overall and by each of its disaggregations."""
    unit = ind.unit_of_analysis
    frame = frames[unit]
    weight = "pop_weight" if unit == "household_pop" else "weight"
    universe = (
        pd.Series(True, index=frame.index)
        if ind.universe in ("all", "", None)
        else _eval(frame, ind.universe, "universe", ind.id).fillna(False).astype(bool)
    )
    y = _eval(frame, ind.definition, "definition", ind.id).astype("float64")
    data = frame.assign(_y=y.where(universe), _where=universe)
    if ind.estimator == "ratio":
        data = data.assign(
            _den=_eval(frame, ind.denominator, "denominator", ind.id)
            .astype("float64")
            .where(universe)
        )
    d = SurveyDesign(data, weight=weight, **design_args)
    rows = []
    for by in (None, *ind.by):
        kw: dict[str, Any] = {"by": by, "where": "_where", "level": level}
        if ind.estimator == "proportion":
            res = d.proportion("_y", **kw)
        elif ind.estimator == "mean":
            res = d.mean("_y", **kw)
        elif ind.estimator == "total":
            res = d.total("_y", **kw)
        elif ind.estimator == "ratio":
            res = d.ratio("_y", "_den", **kw)
        elif ind.estimator == "quantile":
            res = d.quantile("_y", ind.quantile, **kw)
        else:  # pragma: no cover - composite handled by caller
            raise ValueError(ind.estimator)
        res = res.assign(
            domain=by or "total",
            level=res[by].astype("str") if by else "total",
        )
        rows.append(res)
    out = pd.concat(rows, ignore_index=True)
    scale = float(ind.scale)
    for c in ("estimate", "se", "ci_low", "ci_high"):
        out[c] = out[c] * scale
    return out.assign(indicator=ind.id).rename(columns={"n": "n_unweighted"})


def estimate_catalogue(
    catalogue: list[Indicator],
    frames: dict[str, pd.DataFrame],
    design_args: dict[str, Any],
    *,
    level: float,
    suppress_below: int,
    caution_below: int,
    context: dict[str, Any] | None = None,
) -> pd.DataFrame:
    """Estimate every catalogue entry; one tidy long table."""
    parts = []
    for ind in catalogue:
        if ind.estimator == "composite":
            if ind.definition not in FUNCTIONS:
                raise InputError(
                    f"indicator '{ind.id}' names the function '{ind.definition}', which does not exist",
                    "config/indicators.yaml",
                    f"use one of {sorted(FUNCTIONS)}",
                )
            res = FUNCTIONS[ind.definition](
                ind, frames, design_args, level=level, context=context or {}
            )
            res = res.assign(indicator=ind.id)
        else:
            res = estimate_one(ind, frames, design_args, level=level)
        parts.append(res)
        log.info("%s: %d rows", ind.id, len(res))
    out = pd.concat(parts, ignore_index=True)
    out = out.assign(flag=flag(out["n_unweighted"], suppress_below, caution_below))
    out["n_unweighted"] = out["n_unweighted"].astype("int64")
    return out[OUTPUT_COLUMNS]


def write_indicator_tables(result: pd.DataFrame, csv: str, parquet: str, xlsx: str) -> None:
    """Write the tidy table as CSV, Parquet and a formatted Excel sheet."""
    result.to_csv(csv, index=False)
    result.to_parquet(parquet, index=False)
    with pd.ExcelWriter(xlsx, engine="openpyxl") as xl:
        result.to_excel(xl, sheet_name="indicators", index=False)
        sheet = xl.sheets["indicators"]
        sheet.freeze_panes = "A2"
        for col, width in zip(
            "ABCDEFGHIJKL", [28, 16, 16, 12, 12, 12, 12, 6, 8, 12, 14, 11], strict=True
        ):
            sheet.column_dimensions[col].width = width
        sheet.auto_filter.ref = sheet.dimensions
