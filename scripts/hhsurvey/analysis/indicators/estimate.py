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

from hhsurvey.engine.design import SurveyDesign
from hhsurvey.engine.intervals import (
    SUPPORTS,
    clip_to_range,
    korn_graubard,
    log_interval,
    precision,
)
from hhsurvey.errors import InputError, first_keys

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
    "precision",
    "precision_note",
]
UNITS = ("person", "household", "household_pop")
#: Units of the estimates (catalogue ``unit``); each indicator has exactly one.
VALUE_UNITS = (
    "percent",
    "percentage_points",
    "lak",
    "ratio",
    "rate",
    "per_1000",
    "nights",
    "index",
)
#: Units whose estimates are means, totals or ratios of non-negative amounts (log-scale interval).
NON_NEGATIVE_UNITS = ("percent", "lak", "ratio", "rate", "per_1000", "nights")
# Composite indicators: JKn with one replicate per PSU up to this many PSUs, groups of PSUs
# above (config indicators.jkn_max_psus).
JKN_MAX_PSUS = 200
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
    support: str | None = None
    range: tuple[float, float] | None = None
    # Presentation (read by the report only; config/report.yaml names the sections).
    section: str = "other"
    show_by: tuple[str, ...] = ()
    key_rank: int | None = None
    plot: tuple[str, ...] = ()
    description: str = ""
    instrument: dict = field(default_factory=dict)

    @property
    def value_support(self) -> str:
        """``proportion`` (in [0, 1]), ``non_negative`` or ``real``: the catalogue's
        ``support``, else proportions for proportion estimators and percent composites,
        non-negative for amounts, shares, rates and counts, real for indices and
        percentage points (differences)."""
        if self.support:
            return self.support
        if self.estimator == "proportion" or (
            self.estimator == "composite" and self.unit == "percent"
        ):
            return "proportion"
        return "non_negative" if self.unit in NON_NEGATIVE_UNITS else "real"


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
        if e.get("unit") not in VALUE_UNITS:
            raise InputError(
                f"indicator '{iid}' has unit '{e.get('unit')}'",
                path,
                f"use one of {list(VALUE_UNITS)}",
            )
        if e.get("support") is not None and e["support"] not in SUPPORTS:
            raise InputError(
                f"indicator '{iid}' has support '{e['support']}'", path, f"use one of {SUPPORTS}"
            )
        known = {f for f in Indicator.__dataclass_fields__}
        extra = set(e) - known
        if extra:
            raise InputError(
                f"indicator '{iid}' has unknown key(s) {sorted(extra)}",
                path,
                f"use only {sorted(known)}",
            )
        rng = tuple(e["range"]) if e.get("range") is not None else None
        tuples = {k: tuple(e.get(k, ())) for k in ("by", "show_by", "plot")}
        out.append(Indicator(**{**e, **tuples, "range": rng}))
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
    hh = agg[["village", "hh", strata, "weight", "quintile", "hhsize", "pc_total", "dist_hc"]]
    df = per.drop(columns=[strata], errors="ignore").merge(
        hh, on=["village", "hh"], how="inner", validate="many_to_one"
    )
    ep = tables["episode"].rename(
        columns={c: f"ep_{c}" for c in tables["episode"].columns if c not in key3}
    )
    adm = tables["admission"]
    # nights of a person's admissions; missing (not 0) when a number of nights is missing after
    # cleaning, so that the person leaves the length-of-stay ratio (numerator and denominator)
    adm_pp = (
        adm.assign(_nights_missing=adm["nights"].isna())
        .groupby(key3)
        .agg(
            adm_count=("admission", "size"),
            adm_nights=("nights", "sum"),
            _nights_missing=("_nights_missing", "any"),
        )
        .reset_index()
    )
    adm_pp = adm_pp.assign(adm_nights=adm_pp["adm_nights"].mask(adm_pp["_nights_missing"])).drop(
        columns="_nights_missing"
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
    # the four SDG components (imputed by cleaning when missing); a component still missing
    # leaves the episode's OOP missing, never 0
    ep_oop = sum(
        df[f"ep_{c}"] for c in ("cost_consult", "cost_medicine", "cost_tests", "cost_informal")
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
    """Annual per-person poverty lines in LAK of the base year (national and US$2.15 PPP),
    from lines already converted by :func:`hhsurvey.prepare.poverty.resolve_lines`."""
    if "annual_lak" not in poverty_lines:
        raise ValueError(
            "poverty lines are not yet in base-year prices: pass "
            "hhsurvey.prepare.poverty.resolve_lines(config['poverty_lines'], config['prices'])"
        )
    return {k: float(v) for k, v in poverty_lines["annual_lak"].items()}


DETERMINANTS = ["quintile_group", "insurance", "dist_hc_30min", "sex", "age_band"]
DETERMINANT_COLUMNS = [
    "term",
    "estimate",
    "se",
    "ci_low",
    "ci_high",
    "df",
    "odds_ratio",
    "or_ci_low",
    "or_ci_high",
    "p_value",
    "n",
]
# Fewer persons with an episode than this (the DHS suppression threshold): no regression.
MIN_DETERMINANTS_N = 25


def determinants(
    person: pd.DataFrame, design_args: dict[str, Any], *, level: float
) -> pd.DataFrame:
    """Design-based logistic regression of care-seeking among the ill (odds ratios).

    Covariates: consumption quintile (reference Q1), insurance (reference not insured),
    travel time to the health centre per 30 minutes, sex (reference female) and age band
    (reference 0-14). Coefficients solve the weighted score equations (the same estimates as a
    weighted binomial GLM); standard errors are linearised with strata and PSUs, as R
    ``svyglm(family=quasibinomial())``; the domain (persons with an episode) is kept by
    zero-weighting.
    """
    age_band = pd.cut(person["age"], [-1, 14, 49, 200], labels=["a0-14", "a15-49", "a50+"])
    data = person.assign(
        _y=(person["ep_sought"] == "yes").astype("float64").where(person["has_episode"]),
        quintile_group="Q" + person["quintile"].astype("str"),
        insurance=np.where(person["insured"] == "yes", "yes", "no"),
        dist_hc_30min=person["dist_hc"] / 30.0,
        sex=person["sex"].astype("str"),
        age_band=age_band.astype("str").where(age_band.notna()),
    )
    y = data.loc[data["has_episode"], "_y"]
    if len(y) < MIN_DETERMINANTS_N or y.nunique() < 2:
        # e.g. a round where nobody was ill: there is nothing to regress (the report says so)
        log.warning(
            "determinants of care-seeking not estimated: %d person(s) with an episode, "
            "outcomes %s (at least %d and both outcomes are needed)",
            len(y),
            sorted(y.dropna().unique().tolist()),
            MIN_DETERMINANTS_N,
        )
        return pd.DataFrame({c: pd.Series(dtype="float64") for c in DETERMINANT_COLUMNS}).astype(
            {"term": "str"}
        )
    d = SurveyDesign(data, weight="weight", **design_args)
    fit = d.logistic("_y", DETERMINANTS, where="has_episode", level=level)
    # n: persons with an episode in the model (the report prints it beside the design df).
    used = data["has_episode"] & data[["_y", *DETERMINANTS]].notna().all(axis=1)
    return fit.assign(n=int(used.sum()))


def household_frame(agg: pd.DataFrame, poverty_lines: dict) -> pd.DataFrame:
    """Responding households with their aggregates and the poverty lines as columns.

    ``insured_status`` is "insured" when any member is insured (``n_insured > 0``), else
    "not insured": the household-level counterpart of the person column of the same name, so
    that ``domain == "insured_status"`` rows exist for household indicators too."""
    extra: dict[str, Any] = {}
    if "n_insured" in agg:
        extra["insured_status"] = np.where(agg["n_insured"] > 0, "insured", "not insured")
    return agg.assign(**poverty_lines_lak(poverty_lines), one=1.0, **extra)


def build_frames(
    tables: dict[str, pd.DataFrame],
    agg: pd.DataFrame,
    *,
    strata: str,
    u5_excluded_sources: list[str],
    poverty_lines: dict,
    price_factor: float = 1.0,
) -> dict[str, pd.DataFrame]:
    """The three analysis frames of a round, amounts in base-year prices.

    ``agg`` (households.parquet) is already deflated; the person-level amounts (episode and
    delivery spending) are multiplied by ``price_factor`` here.
    """
    person = person_frame(tables, agg, strata=strata, u5_excluded_sources=u5_excluded_sources)
    amounts = [
        c for c in person.columns if c.startswith("ep_cost_") and not c.endswith("_imputed")
    ] + ["ep_oop", "b_cost"]  # the *_imputed columns are flags, not amounts
    person = person.assign(**{c: person[c] * price_factor for c in amounts})
    hh = household_frame(agg, poverty_lines)
    return {"person": person, "household": hh, "household_pop": hh}


def indicator_data(ind: Indicator, frames: dict[str, pd.DataFrame]) -> tuple[pd.DataFrame, str]:
    """The frame of a linear indicator with ``_y`` (and ``_den``) set to missing outside its
    universe, plus ``_where``; and the name of its weight column."""
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
        den = _eval(frame, ind.denominator, "denominator", ind.id).astype("float64")
        data = data.assign(_den=den.where(universe))
    return data, weight


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


def log_lonely_strata(households: pd.DataFrame, design_args: dict[str, Any]) -> list[str]:
    """Log the strata with a single responding PSU and the rule their variance follows."""
    desc = SurveyDesign(households, weight="weight", **design_args).describe()
    lonely = [str(s) for s in desc.loc[desc["n_psu"] == 1, "stratum"]]
    if lonely and design_args["lonely_psu"] == "fail":
        raise InputError(
            f"stratum {lonely} has a single responding village (lonely PSU), and the config says "
            "design.lonely_psu: fail",
            "config/config.yaml (design.lonely_psu); hh.sav (HH9 result codes of the stratum)",
            "set design.lonely_psu to adjust (default), remove or certainty, or collapse the "
            "stratum with a similar one in frame.csv",
        )
    rule = {
        "adjust": "centred at the grand mean of PSU totals (R survey.lonely.psu = 'adjust')",
        "remove": "contributes no variance (R 'remove')",
        "certainty": "treated as sampled with certainty: no variance (R 'certainty')",
        "fail": "stops the estimation (R 'fail')",
    }[design_args["lonely_psu"]]
    for s in lonely:
        log.warning(
            "stratum %s has a single responding village (lonely PSU); lonely_psu = %s: its "
            "variance contribution is %s. Estimates within that stratum alone have no design "
            "degree of freedom (SE and CI left blank, flagged caution).",
            s,
            design_args["lonely_psu"],
            rule,
        )
    return lonely


def _denominator_counts(
    res: pd.DataFrame, data: pd.DataFrame, weight: str, by: str | None
) -> pd.DataFrame:
    """Set ``n`` and ``n_weighted`` of ratio rows to the units of the denominator.

    The DHS small-sample rule reads the unweighted denominator. For a ratio of totals that is
    the number of units with a non-zero denominator (for mean positive overshoot: the
    households above the threshold), not every unit of the universe: a ratio resting on one
    catastrophic household must be suppressed, not shown with a zero SE.
    """
    units = (
        data["_where"].to_numpy(bool)
        & data["_den"].fillna(0).ne(0).to_numpy()
        & data["_y"].notna().to_numpy()
    )
    w = data[weight].to_numpy("float64")
    if by is None:
        return res.assign(n=int(units.sum()), n_weighted=float(w[units].sum()))
    keys = data.loc[units, by]
    n = keys.value_counts()
    nw = pd.Series(w[units], index=keys.index).groupby(keys, observed=True).sum()
    return res.assign(
        n=res[by].map(n).fillna(0).astype("int64").to_numpy(),
        n_weighted=res[by].map(nw).fillna(0.0).astype("float64").to_numpy(),
    )


def estimate_one(
    ind: Indicator,
    frames: dict[str, pd.DataFrame],
    design_args: dict[str, Any],
    *,
    level: float,
) -> pd.DataFrame:
    """Estimate one linear indicator overall and by each of its disaggregations."""
    data, weight = indicator_data(ind, frames)
    d = SurveyDesign(data, weight=weight, **design_args)
    rows = []
    for by in (None, *ind.by):
        if by is not None and not data.loc[data["_where"], by].notna().any():
            # e.g. no episode at all in the round: no provider to break the estimate down by
            log.warning("%s: no %s value in the universe; no rows by %s", ind.id, by, by)
            continue
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
        if ind.estimator == "ratio":
            res = _denominator_counts(res, data, weight, by)
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
    support = out["indicator"].map({ind.id: ind.value_support for ind in catalogue})
    quantile = out["indicator"].map({ind.id: ind.estimator == "quantile" for ind in catalogue})
    ranges = out["indicator"].map({ind.id: ind.range for ind in catalogue if ind.range})
    out = support_intervals(out, support, level=level, keep=quantile.to_numpy(bool), ranges=ranges)
    out = out.assign(flag=flag(out["n_unweighted"], suppress_below, caution_below))
    # No design degree of freedom left (the domain lies in one PSU, or in the lonely PSU of a
    # stratum): the variance cannot be estimated. Its SE is not zero but unknown.
    no_df = ~(out["df"] > 0) & out["estimate"].notna()
    if no_df.any():
        out.loc[no_df, ["se", "ci_low", "ci_high", "deff"]] = np.nan
        out.loc[no_df & (out["flag"] == ""), "flag"] = "caution"
        log.warning(
            "%d estimate(s) with no design degree of freedom (one PSU): SE and CI left blank, "
            "flagged caution: %s",
            int(no_df.sum()),
            first_keys(sorted(set(out.loc[no_df, "indicator"] + "/" + out.loc[no_df, "level"]))),
        )
    out["n_unweighted"] = out["n_unweighted"].astype("int64")
    rules = ((context or {}).get("indicators") or {}).get("precision") or PRECISION_DEFAULTS
    out = out.assign(**precision(out, support, rules, level=level))
    low = out["precision"] == "low"
    if low.any():
        log.info(
            "%d estimate(s) of low precision (NCHS proportions standard, relative SE): %s",
            int(low.sum()),
            first_keys(sorted(set(out.loc[low, "indicator"] + "/" + out.loc[low, "level"]))),
        )
    return out[OUTPUT_COLUMNS]


#: NCHS Data Presentation Standards for Proportions (Parker et al. 2017) and the relative-SE
#: rule, used when the config gives no ``indicators.precision`` (the config states the same).
PRECISION_DEFAULTS = {
    "min_effective_n": 30,
    "ci_width_always_ok": 0.05,
    "max_ci_width": 0.30,
    "max_relative_ci_width": 1.30,
    "review_df_below": 8,
    "max_relative_se": 0.30,
}


def support_intervals(
    out: pd.DataFrame,
    support: pd.Series,
    *,
    level: float,
    keep: np.ndarray | None = None,
    ranges: pd.Series | None = None,
) -> pd.DataFrame:
    """Replace intervals that leave the support of the estimate (:mod:`hhsurvey.engine.intervals`).

    Proportions at 0 or 1: Korn-Graubard (R ``svyciprop(method = "beta")``, limit case n_eff
    = n); means, totals and ratios of non-negative values: the log-scale interval. Rows marked
    in ``keep`` (quantiles: their Woodruff interval lies in the data's range) are left as they
    are. ``ranges`` gives, per row, the theoretical range (low, high) of an index (catalogue
    ``range``; missing for other rows): its interval is clipped to that range.
    """
    est = out["estimate"].to_numpy("float64")
    has_se = out["se"].notna().to_numpy()
    edge = (support == "proportion").to_numpy() & ((est == 0) | (est == 1)) & has_se
    keep = np.zeros(len(out), bool) if keep is None else np.asarray(keep, bool)
    nonneg = (support == "non_negative").to_numpy() & has_se & ~keep
    lo = out["ci_low"].to_numpy("float64").copy()
    hi = out["ci_high"].to_numpy("float64").copy()
    if edge.any():
        kl, kh = korn_graubard(
            est[edge],
            out["se"].to_numpy("float64")[edge],
            out["df"].to_numpy("float64")[edge],
            out["n_unweighted"].to_numpy("float64")[edge],
            level,
        )
        lo[edge], hi[edge] = kl, kh
    if nonneg.any():
        below = out["ci_low"].to_numpy("float64")[nonneg] < 0
        ll, lh = log_interval(
            est[nonneg],
            out["se"].to_numpy("float64")[nonneg],
            out["df"].to_numpy("float64")[nonneg],
            level,
        )
        lo[nonneg], hi[nonneg] = ll, lh
        log.info(
            "log-scale intervals for %d estimate(s) of non-negative amounts (%d t interval(s) "
            "would have gone below 0)",
            int(nonneg.sum()),
            int(below.sum()),
        )
    if ranges is not None:
        bounds = [r if isinstance(r, tuple | list) else (-np.inf, np.inf) for r in ranges]
        low = np.array([b[0] for b in bounds], dtype="float64")
        high = np.array([b[1] for b in bounds], dtype="float64")
        outside = (lo < low) | (hi > high)
        if outside.any():
            lo, hi = clip_to_range(lo, hi, low, high)
            log.info(
                "%d interval(s) of indices clipped to the index's theoretical range: %s",
                int(outside.sum()),
                first_keys(sorted(set(out.loc[outside, "indicator"].astype(str)))),
            )
    return out.assign(ci_low=lo, ci_high=hi)


def _normalise_zip(path: str, stamp: str) -> None:
    """Rewrite a zip container (xlsx) with fixed timestamps, for byte-identical output.

    openpyxl stamps the save time into docProps/core.xml and into every zip entry.
    """
    import re
    import zipfile

    with zipfile.ZipFile(path) as zin:
        entries = [(i.filename, zin.read(i.filename)) for i in zin.infolist()]
    fixed = f"{stamp}T00:00:00Z".encode()
    entries = [
        (n, re.sub(rb"(<dcterms:(?:created|modified)[^>]*>)[^<]*", rb"\g<1>" + fixed, d))
        if n == "docProps/core.xml"
        else (n, d)
        for n, d in entries
    ]
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as zout:
        for name, data in entries:
            info = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            zout.writestr(info, data)


def write_indicator_tables(
    result: pd.DataFrame, csv: str, parquet: str, xlsx: str, created: str = "2000-01-01"
) -> None:
    """Write the tidy table as CSV, Parquet and a formatted Excel sheet (deterministic)."""
    import datetime as dt

    result.to_csv(csv, index=False)
    result.to_parquet(parquet, index=False)
    with pd.ExcelWriter(xlsx, engine="openpyxl") as xl:
        result.to_excel(xl, sheet_name="indicators", index=False)
        sheet = xl.sheets["indicators"]
        sheet.freeze_panes = "A2"
        for col, width in zip(
            "ABCDEFGHIJKLMN",
            [28, 16, 16, 12, 12, 12, 12, 6, 8, 12, 14, 11, 10, 40],
            strict=True,
        ):
            sheet.column_dimensions[col].width = width
        sheet.auto_filter.ref = sheet.dimensions
        stamp = dt.datetime.fromisoformat(created)
        xl.book.properties.created = stamp
        xl.book.properties.modified = stamp
    _normalise_zip(xlsx, created[:10])


# ---------------------------------------------------------------------------------------------
# Composite indicators: statistics that are not linear in the weights. Each is computed with the
# full-sample weights and its standard error from JKn replicate weights that recompute the
# whole statistic (estimated subsistence line, median-based societal line and ranks included).


def weighted_percentile(x: np.ndarray, w: np.ndarray, p: float) -> float:
    """Smallest value whose cumulative weight share is >= p (DEFINITIONS.md, capacity to pay)."""
    order = np.argsort(x, kind="stable")
    xs, ws = x[order], w[order]
    cum = np.cumsum(ws) / ws.sum()
    return float(xs[np.searchsorted(cum, p - 1e-12, side="left")])


def _sorted_percentile(xs: np.ndarray, ws: np.ndarray, p: float) -> float:
    """:func:`weighted_percentile` on values already sorted (``ws`` in the same order).

    Zero weights may be included: they never move the cumulative share, so the result is
    the one of the positive-weight values alone (replicates sort once, not once each).
    """
    cum = np.cumsum(ws) / ws.sum()
    return float(xs[np.searchsorted(cum, p - 1e-12, side="left")])


def weighted_median(x: np.ndarray, w: np.ndarray) -> float:
    """Weighted median as the smallest value with cumulative weight share >= 0.5."""
    return weighted_percentile(x, w, 0.5)


def food_share(food: np.ndarray, total: np.ndarray) -> np.ndarray:
    """Food share of total consumption (0 where the total is not positive)."""
    return np.divide(food, total, out=np.zeros_like(food, dtype="float64"), where=total > 0)


def ctp_catastrophic(
    food: np.ndarray,
    total: np.ndarray,
    oop: np.ndarray,
    hhsize: np.ndarray,
    w: np.ndarray,
    *,
    beta: float,
    band: tuple[float, float],
    threshold: float,
    order: np.ndarray | None = None,
) -> tuple[np.ndarray, float]:
    """WHO capacity-to-pay catastrophe (Xu et al. 2003) for each household, and the line pl.

    ``order``: optional stable argsort of :func:`food_share` (replicates sort once).

    eqsize = hhsize^beta; the households whose food share lies between the band's
    percentiles (inclusive, household-weighted) give pl = weighted mean of food / eqsize;
    subsistence = pl x eqsize; capacity to pay = total - subsistence if food >= subsistence,
    else total - food; catastrophic if OOP >= threshold x capacity to pay.
    """
    eqsize = hhsize.astype("float64") ** beta
    share = food_share(food, total)
    pos = w > 0
    if order is None:
        lo = weighted_percentile(share[pos], w[pos], band[0])
        hi = weighted_percentile(share[pos], w[pos], band[1])
    else:
        xs, ws = share[order], w[order]
        lo, hi = _sorted_percentile(xs, ws, band[0]), _sorted_percentile(xs, ws, band[1])
    inband = pos & (share >= lo) & (share <= hi)
    pl = float(np.sum(w[inband] * food[inband] / eqsize[inband]) / np.sum(w[inband]))
    subsistence = pl * eqsize
    ctp = np.where(food >= subsistence, total - subsistence, total - food)
    return (oop > 0) & (oop >= threshold * ctp), pl


def revised_sdg_catastrophic(
    pc_total: np.ndarray,
    total: np.ndarray,
    oop: np.ndarray,
    hhsize: np.ndarray,
    pop_w: np.ndarray,
    *,
    lak_per_usd_ppp: float,
    ipl_usd: float,
    threshold: float,
    order: np.ndarray | None = None,
) -> tuple[np.ndarray, float]:
    """Revised SDG 3.8.2: OOP > 0 and OOP > threshold x (total - SPL x hhsize x 365).

    SPL = max(international line, 1.15 + 0.5 x population median of daily per-capita
    consumption), in 2017 PPP $ per person per day, converted to LAK with the PPP factor.
    ``order``: optional stable argsort of ``pc_total`` (replicates sort once).
    """
    daily_ppp = pc_total / 365.0 / lak_per_usd_ppp
    pos = pop_w > 0
    if order is None:
        median = weighted_median(daily_ppp[pos], pop_w[pos])
    else:
        median = _sorted_percentile(daily_ppp[order], pop_w[order], 0.5)
    spl = max(ipl_usd, 1.15 + 0.5 * median)
    discretionary = total - spl * lak_per_usd_ppp * 365.0 * hhsize
    return (oop > 0) & (oop > threshold * discretionary), spl


def fractional_rank(x: np.ndarray, w: np.ndarray) -> np.ndarray:
    """Weighted fractional rank in (0, 1); tied values share the rank of their group's midpoint."""
    order = np.argsort(x, kind="stable")
    xs, ws = x[order], w[order]
    total = ws.sum()
    # group ties: cumulative weight before the group + half the group's weight
    uniq, start = np.unique(xs, return_index=True)
    gw = np.add.reduceat(ws, start)
    before = np.concatenate([[0.0], np.cumsum(gw)[:-1]])
    grp_rank = (before + gw / 2.0) / total
    ranks_sorted = np.repeat(grp_rank, np.diff(np.append(start, len(xs))))
    out = np.empty_like(ranks_sorted)
    out[order] = ranks_sorted
    return out


class RankedConcentration:
    """Concentration index of ``h`` by ``rank_by`` for many weight vectors, sorting once.

    Same value as :func:`concentration_index` (ties share their group's midpoint rank;
    rows with a missing ``h`` or ``rank_by`` are left out; zero weights contribute nothing),
    at O(n) per call instead of O(n log n): replicate weights reuse the order.
    """

    def __init__(self, h: np.ndarray, rank_by: np.ndarray, keep: np.ndarray | None = None) -> None:
        ok = ~np.isnan(h) & ~np.isnan(rank_by)
        if keep is not None:  # rows whose weight is always zero (outside the universe)
            ok &= keep
        self.ok = np.flatnonzero(ok)
        x = rank_by[self.ok]
        order = np.argsort(x, kind="stable")
        self.order = self.ok[order]
        xs = x[order]
        self.hs = h[self.order]
        new_group = np.concatenate([[True], xs[1:] != xs[:-1]]) if len(xs) else np.array([], bool)
        self.group = np.cumsum(new_group) - 1
        self.n_groups = int(new_group.sum())

    def __call__(self, w: np.ndarray) -> float:
        ws = w[self.order]
        total = ws.sum()
        gw = np.bincount(self.group, weights=ws, minlength=self.n_groups)
        before = np.cumsum(gw) - gw
        r = ((before + gw / 2.0) / total)[self.group]
        mu = np.sum(ws * self.hs) / total
        rbar = np.sum(ws * r) / total
        cov = np.sum(ws * (self.hs - mu) * (r - rbar)) / total
        return float(2.0 * cov / mu)


def concentration_index(h: np.ndarray, rank_by: np.ndarray, w: np.ndarray) -> float:
    """C = 2 cov_w(h, r) / mean_w(h), r the weighted fractional rank by living standard."""
    pos = (w > 0) & ~np.isnan(h) & ~np.isnan(rank_by)
    h, x, w = h[pos], rank_by[pos], w[pos]
    r = fractional_rank(x, w)
    mu = np.sum(w * h) / np.sum(w)
    rbar = np.sum(w * r) / np.sum(w)
    cov = np.sum(w * (h - mu) * (r - rbar)) / np.sum(w)
    return float(2.0 * cov / mu)


def jackknife_groups(
    data: pd.DataFrame, strata: str | None, psu: str, max_psus: int
) -> np.ndarray | None:
    """Replicate groups of PSUs for a delete-a-group jackknife (Kott 2001; Wolter 2007, ch. 4).

    None when the design has at most ``max_psus`` PSUs (one replicate per PSU, plain JKn).
    Otherwise each stratum's PSUs, in PSU order, are dealt systematically into
    G_h = max(2, round(max_psus x n_h / n)) groups (all n_h when fewer), so that about
    ``max_psus`` replicates remain; returns one group code per row. A group of PSUs drawn with
    replacement is again such a draw, so the jackknife on groups estimates the same variance
    with fewer degrees of freedom (groups - strata).
    """
    keys = [c for c in (strata, psu) if c]
    units = data[keys].drop_duplicates().sort_values(keys, kind="stable")
    n = len(units)
    if n <= max_psus:
        return None
    st = units[strata] if strata else pd.Series(0, index=units.index)
    n_h = st.map(st.value_counts()).to_numpy()
    g_h = np.minimum(np.maximum(np.rint(max_psus * n_h / n), 2), n_h).astype("int64")
    rank = units.groupby(st, observed=True, sort=False).cumcount().to_numpy()
    units = units.assign(_g=rank % g_h)
    codes = pd.MultiIndex.from_frame(units[[strata, "_g"]] if strata else units[["_g"]])
    units = units.assign(_code=pd.factorize(codes)[0])
    out = data[keys].merge(units, on=keys, how="left", validate="many_to_one")["_code"]
    log.info(
        "%d PSUs: jackknife replicates of composite indicators by %d groups of PSUs "
        "(indicators.jkn_max_psus = %d)",
        n,
        int(units["_code"].nunique()),
        max_psus,
    )
    return out.to_numpy()


def replicate_rows(
    d: SurveyDesign,
    statistic: Callable[[pd.DataFrame, np.ndarray], np.ndarray],
    labels: list[tuple[str, str, np.ndarray]],
    *,
    level: float,
    method: str = "jkn",
    weight: str = "weight",
    proportion: bool = False,
    n_weight: np.ndarray | None = None,
    max_psus: int | None = None,
) -> pd.DataFrame:
    """Tidy rows for a vector statistic: estimate with full weights, SE from replicates.

    ``labels`` gives (domain, level, row mask) for each element of the statistic. The engine
    (:meth:`hhsurvey.engine.replicates.ReplicateDesign.estimate_statistic` with ``domains=``) gives
    the SE, the design df within each domain and the interval: estimate +- t(df) x SE, or for
    a ``proportion`` the logit interval, as for linear proportions, so that it stays inside
    [0, 1]. A JKn design with more than ``max_psus`` PSUs is replicated by groups of PSUs
    (:func:`jackknife_groups`), so that the cost stays linear in the sample.
    """
    data = d.data
    nw = data[weight].to_numpy(dtype="float64") if n_weight is None else n_weight
    rd = d
    if method == "jkn" and max_psus and d.psu is not None:
        groups = jackknife_groups(data, d.strata, d.psu, max_psus)
        if groups is not None:
            rd = SurveyDesign(
                data.assign(_jk_group=groups),
                weight=weight,
                strata=d.strata,
                psu="_jk_group",
                lonely_psu=d.lonely_psu,
            )
    masks = [mask for _, _, mask in labels]
    res = rd.replicates(method=method).estimate_statistic(
        statistic,
        level=level,
        domains=np.stack(masks, axis=1),
        interval="logit" if proportion else "t",
    )
    return res.drop(columns=["n", "n_weighted"]).assign(
        domain=[dom for dom, _, _ in labels],
        level=[lev for _, lev, _ in labels],
        n_unweighted=[int(m.sum()) for m in masks],
        n_weighted=[float(nw[m].sum()) for m in masks],
    )[
        [
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
        ]
    ]


def _domains(
    frame: pd.DataFrame, by: tuple[str, ...], universe: np.ndarray
) -> list[tuple[str, str, np.ndarray]]:
    out = [("total", "total", universe)]
    for b in by:
        col = frame[b]
        levels = (
            col.cat.categories
            if isinstance(col.dtype, pd.CategoricalDtype)
            else sorted(col.dropna().unique())
        )
        for lev in levels:
            m = universe & (col == lev).to_numpy()
            if m.any():
                out.append((b, str(lev), m))
    return out


class _DomainShares:
    """Weighted share of a 0/1 flag in each domain of ``labels`` (one bincount per by=)."""

    def __init__(self, labels: list[tuple[str, str, np.ndarray]]) -> None:
        n = len(labels[0][2])
        self.k = len(labels)
        self.parts = []
        for name in dict.fromkeys(d for d, _, _ in labels):
            idx = [i for i, (d, _, _) in enumerate(labels) if d == name]
            codes = np.full(n, len(idx), dtype=np.intp)  # last code: outside every level
            for j, i in enumerate(idx):  # levels of one by= are disjoint
                codes[labels[i][2]] = j
            self.parts.append((codes, np.array(idx), len(idx)))

    def __call__(self, flag: np.ndarray, w: np.ndarray) -> np.ndarray:
        out = np.empty(self.k)
        wf = w * flag
        for codes, idx, k in self.parts:
            num = np.bincount(codes, weights=wf, minlength=k + 1)[:k]
            den = np.bincount(codes, weights=w, minlength=k + 1)[:k]
            out[idx] = num / den
        return out


def household_pop_share(
    ind: Indicator,
    frames: dict[str, pd.DataFrame],
    design_args: dict[str, Any],
    *,
    level: float,
    context: dict,
    flags: Callable[[np.ndarray, np.ndarray], np.ndarray],
    proportion: bool = True,
) -> pd.DataFrame:
    """A population-weighted share of households flagged by ``flags(w, pop_w)``, overall and
    by the indicator's domains, with JKn SEs that recompute the flags on every replicate.

    The share is linear in the flags: ``flags`` returning the difference of two 0/1 flag
    vectors gives the difference of the two shares (``proportion=False``: t interval)."""
    frame = frames["household"]
    d = SurveyDesign(frame, weight="weight", **design_args)
    labels = _domains(frame, ind.by, np.ones(len(frame), dtype=bool))
    share = _DomainShares(labels)
    hhsize = frame["hhsize"].to_numpy()

    def stat(data: pd.DataFrame, w: np.ndarray) -> np.ndarray:
        pw = w * hhsize
        return share(flags(w, pw), pw)

    return replicate_rows(
        d,
        stat,
        labels,
        level=level,
        method=context["indicators"]["replicate_method"],
        max_psus=context["indicators"].get("jkn_max_psus", JKN_MAX_PSUS),
        proportion=proportion,
        n_weight=(frame["weight"] * frame["hhsize"]).to_numpy(dtype="float64"),
    )


def ctp_flags(frame: pd.DataFrame, context: dict) -> Callable[[np.ndarray, np.ndarray], np.ndarray]:
    """``flags(w, pop_w)``: capacity-to-pay catastrophe of each household of ``frame``."""
    cfg = context["indicators"]["ctp"]
    food, total = frame["food_ctp"].to_numpy(), frame["total"].to_numpy()
    oop, hhsize = frame["oop"].to_numpy(), frame["hhsize"].to_numpy()
    order = np.argsort(food_share(food, total), kind="stable")

    def flags(w: np.ndarray, pw: np.ndarray) -> np.ndarray:
        cat_, _ = ctp_catastrophic(
            food,
            total,
            oop,
            hhsize,
            w,
            beta=cfg["beta"],
            band=tuple(cfg["food_share_band"]),
            threshold=cfg["threshold"],
            order=order,
        )
        return cat_

    return flags


@register("ctp_catastrophic")
def _ctp_indicator(ind, frames, design_args, *, level, context) -> pd.DataFrame:
    flags = ctp_flags(frames["household"], context)
    return household_pop_share(ind, frames, design_args, level=level, context=context, flags=flags)


def revised_sdg_flags(
    frame: pd.DataFrame, context: dict
) -> Callable[[np.ndarray, np.ndarray], np.ndarray]:
    """``flags(w, pop_w)``: revised SDG 3.8.2 catastrophe of each household of ``frame``."""
    pl = context["poverty_lines"]
    pc_total, total = frame["pc_total"].to_numpy(), frame["total"].to_numpy()
    oop, hhsize = frame["oop"].to_numpy(), frame["hhsize"].to_numpy()
    order = np.argsort(pc_total, kind="stable")

    def flags(w: np.ndarray, pw: np.ndarray) -> np.ndarray:
        cat_, _ = revised_sdg_catastrophic(
            pc_total,
            total,
            oop,
            hhsize,
            pw,
            lak_per_usd_ppp=pl["lak_per_usd_ppp_base"],
            ipl_usd=pl["international"]["usd_ppp_per_day"],
            threshold=context["indicators"]["revised_sdg"]["threshold"],
            order=order,
        )
        return cat_

    return flags


@register("revised_sdg_catastrophic")
def _revised_sdg_indicator(ind, frames, design_args, *, level, context) -> pd.DataFrame:
    flags = revised_sdg_flags(frames["household"], context)
    return household_pop_share(ind, frames, design_args, level=level, context=context, flags=flags)


# Flag builders of the composite catastrophe indicators, by catalogue definition (scenarios).
COMPOSITE_FLAGS = {"ctp_catastrophic": ctp_flags, "revised_sdg_catastrophic": revised_sdg_flags}


@register("concentration_index")
def _ci_indicator(ind, frames, design_args, *, level, context) -> pd.DataFrame:
    """Concentration index of ``params.variable`` by per-capita consumption (params.unit)."""
    unit = ind.unit_of_analysis
    frame = frames[unit]
    universe = (
        np.ones(len(frame), dtype=bool)
        if ind.universe in ("all", "", None)
        else _eval(frame, ind.universe, "universe", ind.id).fillna(False).to_numpy(dtype=bool)
    )
    h_all = _eval(frame, ind.params["variable"], "variable", ind.id).astype("float64").to_numpy()
    rank_by = frame["pc_total"].to_numpy(dtype="float64")
    pop = unit == "household_pop"
    d = SurveyDesign(frame, weight="weight", **design_args)
    size = frame["hhsize"].to_numpy(dtype="float64") if pop else np.ones(len(frame))

    conc = RankedConcentration(h_all, rank_by, keep=universe)

    def stat(data: pd.DataFrame, w: np.ndarray) -> np.ndarray:
        return np.array([conc(w * size * universe)])

    return replicate_rows(
        d,
        stat,
        [("total", "total", universe)],
        level=level,
        method=context["indicators"]["replicate_method"],
        max_psus=context["indicators"].get("jkn_max_psus", JKN_MAX_PSUS),
        n_weight=frame["weight"].to_numpy(dtype="float64") * size,
    )


@register("kakwani")
def _kakwani_indicator(ind, frames, design_args, *, level, context) -> pd.DataFrame:
    """Kakwani index of OOP: concentration of OOP per capita minus Gini of consumption per capita."""
    frame = frames["household"]
    d = SurveyDesign(frame, weight="weight", **design_args)
    size = frame["hhsize"].to_numpy(dtype="float64")
    x = frame["pc_total"].to_numpy(dtype="float64")
    oop_pc = (frame["oop"] / frame["hhsize"]).to_numpy(dtype="float64")

    conc_oop, gini = RankedConcentration(oop_pc, x), RankedConcentration(x, x)

    def stat(data: pd.DataFrame, w: np.ndarray) -> np.ndarray:
        pw = w * size
        return np.array([conc_oop(pw) - gini(pw)])

    return replicate_rows(
        d,
        stat,
        [("total", "total", np.ones(len(frame), dtype=bool))],
        level=level,
        method=context["indicators"]["replicate_method"],
        max_psus=context["indicators"].get("jkn_max_psus", JKN_MAX_PSUS),
        n_weight=frame["weight"].to_numpy(dtype="float64") * size,
    )


@register("che_curve")
def _che_curve(ind, frames, design_args, *, level, context) -> pd.DataFrame:
    """Catastrophic headcount H(z) over a grid of thresholds (population-weighted, linear)."""
    cfg = context["indicators"]
    frame = frames["household_pop"]
    grid = np.round(np.arange(0.0, cfg["che_curve_max"] + 1e-9, cfg["che_curve_step"]), 4)
    rows = []
    for z in grid:
        data = frame.assign(_y=(frame["budget_share"] > z).astype("float64"))
        res = SurveyDesign(data, weight="pop_weight", **design_args).proportion("_y", level=level)
        rows.append(res.assign(domain="threshold", level=f"{z:.2f}"))
    return pd.concat(rows, ignore_index=True).rename(columns={"n": "n_unweighted"})
