"""Compare district estimates with national reference figures for Lao PDR.

Pure functions: :func:`load_national` reads and validates ``raw/reference/national_lao.csv``
(format: ``raw/reference/README.md``). :func:`compare_national` builds the table written to
``results/{round}/national_comparison.csv``.

Which comparator may get a verdict (higher, lower, not distinguishable) is decided by one rule,
:func:`hhsurvey.catalogue.national.verdict_basis`, which the report, the brief and the change
report read too: a national **survey** estimate with the **same definition**
(``comparability: comparable``), not marked uncertain, whose **uncertainty is published** (an
SE or a CI), against a district estimate that rests on no assumption (a poverty line marked
ASSUMPTION, ``context`` argument of :func:`compare_national`). Every other row reads "for
context only" (``context_only`` column) with the reason in ``caveat``: administrative figures,
national accounts, definitions that differ, uncertain or assumption-based figures. No current
figure qualifies.

Statistical rule. The difference is tested with ``se_diff = sqrt(se_local**2 +
se_national**2)`` (the national SE, or its CI's half-width / z(0.975) when only a CI is
published). This treats the district survey and the national survey as **independent
samples** (the national sample overlaps the district by a negligible share). The reference
distribution is Student's t on the local design degrees of freedom, or the normal when the df
is missing. Suppressed local estimates are never tested.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from os import PathLike
from typing import Any

import numpy as np
import pandas as pd

from hhsurvey.catalogue.national import INDICATOR_UNITS, SOURCE_TYPES, verdict_basis
from hhsurvey.engine.distributions import norm_ppf, norm_sf, t_sf

__all__ = [
    "COMPARISON_COLUMNS",
    "HEADLINE_INDICATORS",
    "NATIONAL_DTYPES",
    "compare_national",
    "load_national",
]

UNITS = ("fraction", "per_capita", "per_1000", "lak", "percent_che")
COMPARABILITY = ("comparable", "definition_differs", "context_only")
ROUNDS = ("baseline", "endline", "all")

#: Columns of the national table and their dtypes after :func:`load_national`.
NATIONAL_DTYPES: dict[str, str] = {
    "comparator_id": "str",
    "indicator": "str",
    "national_label": "str",
    "value": "float64",
    "unit": "str",
    "se": "float64",
    "ci_low": "float64",
    "ci_high": "float64",
    "year": "str",
    "source": "str",
    "read_in": "str",
    "table_page": "str",
    "definition_note": "str",
    "comparability": "str",
    "round": "str",
    "uncertain": "bool",
    "source_type": "str",
}
#: ``read_in``: where the primary figure was read (a copy, mirror or news page): a secondary
#: note; ``source`` names the primary publisher, document, table or indicator code and year.
#: ``source_type`` (survey, administrative, accounts, other): blank reads "not stated", and
#: such a figure gets no verdict.
_OPTIONAL_NATIONAL = ("national_label", "read_in", "source_type")
_NUMERIC_NATIONAL = ("value", "se", "ci_low", "ci_high")

#: Headline indicators (id -> label). Each appears in the comparison even when it has no
#: national figure for the round, so that the report can say "no national figure".
HEADLINE_INDICATORS: dict[str, str] = {
    "coverage_any": "Covered by any health protection scheme",
    "coverage_sass": "Covered by SASS (civil servants)",
    "coverage_sso": "Covered by SSO (private employees)",
    "coverage_cbhi": "Covered by CBHI",
    "coverage_hef": "Covered by the Health Equity Fund",
    "illness_30d": "Ill or injured in the last 30 days",
    "care_seeking": "Sought care when ill (30 days)",
    "forgone_cost": "Forwent care because of cost",
    "opd_visits_per_capita": "Outpatient visits per person per year",
    "admissions_per_1000": "Hospital admissions per 1,000 per year",
    "oop_annual_hh_mean": "Annual household OOP spending, mean",
    "oop_budget_share_mean": "OOP share of household consumption, mean",
    "che_sdg_10": "Catastrophic spending > 10 % of consumption (SDG 3.8.2)",
    "che_sdg_25": "Catastrophic spending > 25 % of consumption (SDG 3.8.2)",
    "che_ctp_40": "Catastrophic spending >= 40 % of capacity to pay (WHO)",
    "che_sdg_revised": "Large OOP > 40 % of discretionary budget (revised SDG 3.8.2)",
    "impoverished_national": "Impoverished by OOP (national line)",
    "impoverished_215": "Impoverished by OOP (US$2.15/day)",
    "further_impoverished_national": "Further impoverished by OOP (national line)",
    "poverty_headcount_pre": "Poverty headcount before OOP (national line)",
    "distress_financing": "Distress financing of health spending",
    "institutional_delivery": "Institutional delivery",
    "skilled_birth_attendance": "Skilled birth attendance",
    "u5_ari_care": "Under-5 ARI: care sought from a provider",
    "u5_fever_care": "Under-5 fever: care sought",
    "u5_diarrhoea_care": "Under-5 diarrhoea: care sought from a provider",
}

#: Columns of the comparison table, in order (the first 18 are the documented interface).
COMPARISON_COLUMNS: dict[str, str] = {
    "indicator": "str",
    "label": "str",
    "estimate": "float64",
    "ci_low": "float64",
    "ci_high": "float64",
    "se": "float64",
    "flag": "str",
    "national_value": "float64",
    "national_year": "str",
    "source": "str",
    "table_page": "str",
    "difference": "float64",
    "test": "str",
    "z_or_t": "float64",
    "p_value": "float64",
    "national_in_ci": "boolean",
    "verdict": "str",
    "caveat": "str",
    "status": "str",
    "comparator_id": "str",
    "national_label": "str",
    "national_unit": "str",
    "comparability": "str",
    "context_only": "str",
    "read_in": "str",
    # the columns of the verdict rule (hhsurvey.catalogue.national.verdict_basis)
    "source_type": "str",
    "uncertain": "boolean",
    "national_se": "float64",
    "national_ci_low": "float64",
    "national_ci_high": "float64",
    "assumption": "str",
}

VERDICT_HIGHER = "higher than national"
VERDICT_LOWER = "lower than national"
VERDICT_SAME = "not distinguishable from national"
CONTEXT_ONLY = "for context only"
VERDICT_SUPPRESSED = "estimate suppressed (n < 25)"
VERDICT_UNTESTED = "not tested (no local standard error or CI)"
NO_FIGURE = "no national figure"

_TRUE = {"true", "1", "yes"}
_FALSE = {"false", "0", "no"}


# --------------------------------------------------------------------------- loading


def load_national(
    path: str | PathLike[str], units: Mapping[str, str] | None = None
) -> pd.DataFrame:
    """Read and validate the national reference table.

    Reads every cell as text first so that a bad cell is reported with its line and column
    instead of silently becoming NaN. Raises ``ValueError`` listing every problem found.
    *units*: indicator id -> expected unit (:func:`hhsurvey.catalogue.national.catalogue_units`;
    default :data:`~hhsurvey.catalogue.national.INDICATOR_UNITS`, which a test keeps equal to
    the catalogue).
    """
    raw = pd.read_csv(path, dtype=str, keep_default_na=False, na_filter=False)
    raw = raw.rename(columns=str.strip)
    missing = [c for c in NATIONAL_DTYPES if c not in raw.columns and c not in _OPTIONAL_NATIONAL]
    if missing:
        raise ValueError(
            f"{path}: missing column(s) {', '.join(missing)}; "
            f"the header must contain {', '.join(NATIONAL_DTYPES)} (see raw/reference/README.md)"
        )
    raw = raw.assign(**{c: "" for c in _OPTIONAL_NATIONAL if c not in raw.columns})
    text = raw[list(NATIONAL_DTYPES)].apply(lambda col: col.str.strip())

    errors = _validate_national(text, str(path), INDICATOR_UNITS if units is None else units)
    if errors:
        raise ValueError(
            f"{path}: invalid national reference table ({len(errors)} problem(s)):\n  "
            + "\n  ".join(errors)
        )

    numeric = {
        c: pd.to_numeric(text[c].replace("", np.nan), errors="raise") for c in _NUMERIC_NATIONAL
    }
    uncertain = text["uncertain"].str.lower().isin(_TRUE)
    out = text.assign(**numeric, uncertain=uncertain)
    return out.astype(NATIONAL_DTYPES).reset_index(drop=True)


def _validate_national(text: pd.DataFrame, path: str, units: Mapping[str, str]) -> list[str]:
    """Return one message per bad cell: file, line, comparator, column, problem and fix."""
    errors: list[str] = []
    seen: set[str] = set()
    for i, row in enumerate(text.to_dict("records")):
        cid = row["comparator_id"] or "?"

        def err(column: str, problem: str, fix: str, _i: int = i, _cid: str = cid) -> None:
            # Line numbers count the header as line 1, as a text editor does.
            errors.append(
                f"{path}, line {_i + 2} (comparator_id '{_cid}'), column '{column}': {problem}; {fix}"
            )

        if not row["comparator_id"]:
            err("comparator_id", "empty", "give the row a unique id")
        elif row["comparator_id"] in seen:
            err("comparator_id", f"duplicate id '{cid}'", "ids must be unique")
        seen.add(row["comparator_id"])
        for col in ("indicator", "source"):
            if not row[col]:
                fix = "cite the publication/page it comes from" if col == "source" else ""
                err(col, "missing", fix or "name the pipeline indicator id")
        if row["unit"] not in UNITS:
            err("unit", f"unknown unit '{row['unit']}'", f"use one of {', '.join(UNITS)}")
        if row["comparability"] not in COMPARABILITY:
            err(
                "comparability",
                f"unknown value '{row['comparability']}'",
                f"use one of {', '.join(COMPARABILITY)}",
            )
        if row["round"] not in ROUNDS:
            err("round", f"unknown round '{row['round']}'", f"use one of {', '.join(ROUNDS)}")
        if row["uncertain"].lower() not in _TRUE | _FALSE:
            err("uncertain", f"'{row['uncertain']}' is not a boolean", "write true or false")
        if row["source_type"] and row["source_type"] not in SOURCE_TYPES:
            err(
                "source_type",
                f"unknown source type '{row['source_type']}'",
                f"use one of {', '.join(SOURCE_TYPES)}",
            )

        nums: dict[str, float] = {}
        for col in _NUMERIC_NATIONAL:
            cell = row[col]
            if cell == "":
                if col == "value":
                    err(col, "missing", "enter the published figure")
                continue
            try:
                nums[col] = float(cell)
            except ValueError:
                err(
                    col,
                    f"'{cell}' is not a number",
                    "write a plain decimal number (0.275, not 27.5 %)",
                )
                continue
            if not math.isfinite(nums[col]):
                err(col, f"'{cell}' is not finite", "write a finite number or leave it blank")
        value = nums.get("value")
        if value is not None and row["unit"] == "fraction" and not 0 <= value <= 1:
            err("value", f"{value} is outside 0-1 for unit fraction", "write 27.5 % as 0.275")
        if nums.get("se", 0.0) < 0:
            err("se", "negative standard error", "a published SE is >= 0")
        if ("ci_low" in nums) != ("ci_high" in nums):
            err("ci_low/ci_high", "only one CI bound given", "give both bounds or neither")
        elif (
            value is not None
            and "ci_low" in nums
            and not nums["ci_low"] <= value <= nums["ci_high"]
        ):
            err(
                "ci_low/ci_high",
                "the CI does not contain the value",
                "check the bounds and the unit",
            )
        expected = units.get(row["indicator"])
        if expected and row["unit"] in UNITS and row["unit"] not in (expected, "percent_che"):
            err(
                "unit",
                f"unit '{row['unit']}' does not fit indicator '{row['indicator']}' (in {expected})",
                f"convert the figure to {expected} or attach it to another indicator",
            )
        if row["unit"] == "percent_che" and row["comparability"] != "context_only":
            err(
                "comparability",
                "a percent_che figure (share of current health expenditure) is a macro share",
                "set comparability to context_only",
            )
    return errors


# --------------------------------------------------------------------------- comparing


def compare_national(
    indicators: pd.DataFrame,
    national: pd.DataFrame,
    round: str,
    level: float = 0.95,
    headline: Mapping[str, str] | Sequence[str] | None = None,
    context: Mapping[str, str] | None = None,
) -> pd.DataFrame:
    """Compare overall (``domain == "total"``) estimates with the national figures of a round.

    One row per comparator with ``round`` equal to *round* or ``"all"`` whose indicator is
    estimated, plus one ``"no national figure"`` row per *headline* indicator (default
    :data:`HEADLINE_INDICATORS`) that is estimated but has no comparator for the round.
    *level* is the confidence level of ``ci_low``/``ci_high`` in *indicators*. It also sets
    the significance level of the test (alpha = 1 - level). *context* maps indicator ids
    that rest on an assumption (e.g. a poverty line marked ASSUMPTION) to the reason: their
    rows get no verdict and read "for context only".
    """
    if not 0 < level < 1:
        raise ValueError(f"level must be between 0 and 1, got {level}")
    labels = _headline_labels(headline)
    overall = _overall_estimates(indicators)

    serving = national.loc[
        national["round"].isin([round, "all"]) & national["indicator"].isin(overall.index)
    ]
    rows = [
        _compare_one(
            overall.loc[nat["indicator"]], nat, level, labels, (context or {}).get(nat["indicator"])
        )
        for nat in serving.to_dict("records")
    ]
    compared = set(serving["indicator"])
    rows += [
        _no_figure_row(overall.loc[ind], labels)
        for ind in labels
        if ind in overall.index and ind not in compared
    ]

    out = pd.DataFrame(rows, columns=list(COMPARISON_COLUMNS))
    # Headline order first, then other indicators in the order of the national table.
    rank: dict[str, int] = {}
    for ind in [*labels, *serving["indicator"]]:
        rank.setdefault(ind, len(rank))
    order = np.argsort(out["indicator"].map(rank).to_numpy(), kind="stable")
    return out.iloc[order].reset_index(drop=True).astype(COMPARISON_COLUMNS)


def _headline_labels(headline: Mapping[str, str] | Sequence[str] | None) -> dict[str, str]:
    """Normalise the headline argument to an ordered id -> label mapping."""
    if headline is None:
        return dict(HEADLINE_INDICATORS)
    if isinstance(headline, Mapping):
        return dict(headline)
    return {ind: HEADLINE_INDICATORS.get(ind, "") for ind in headline}


def _overall_estimates(indicators: pd.DataFrame) -> pd.DataFrame:
    """Overall rows of the indicator table, indexed by indicator id (one per id)."""
    needed = ["indicator", "domain", "estimate", "se", "ci_low", "ci_high", "df", "flag"]
    missing = [c for c in needed if c not in indicators.columns]
    if missing:
        raise ValueError(f"indicators table lacks column(s) {', '.join(missing)}")
    overall = indicators.loc[indicators["domain"] == "total", needed]
    dup = overall["indicator"][overall["indicator"].duplicated()].unique()
    if len(dup):
        raise ValueError(
            f"indicators table has several overall (domain == 'total') rows for {', '.join(dup)}"
        )
    return overall.set_index("indicator")


def _num(x: Any) -> float:
    """Float or NaN from a cell that may be missing."""
    try:
        return float(x)
    except (TypeError, ValueError):
        return math.nan


def _flag(x: Any) -> str:
    """Normalised local flag: 'suppressed', 'caution' or ''."""
    return "" if pd.isna(x) else str(x)


def _local_part(local: pd.Series, indicator: str, labels: Mapping[str, str]) -> dict[str, Any]:
    """Local columns of a comparison row; a suppressed estimate is blanked, never shown."""
    flag = _flag(local["flag"])
    hide = flag == "suppressed"
    return {
        "indicator": indicator,
        "label": labels.get(indicator, ""),
        "estimate": math.nan if hide else _num(local["estimate"]),
        "ci_low": math.nan if hide else _num(local["ci_low"]),
        "ci_high": math.nan if hide else _num(local["ci_high"]),
        "se": math.nan if hide else _num(local["se"]),
        "flag": flag,
    }


def _level_text(level: float) -> str:
    return f"{level * 100:g} %"


def _compare_one(
    local: pd.Series,
    nat: Mapping[str, Any],
    level: float,
    labels: Mapping[str, str],
    assumption: str | None = None,
) -> dict[str, Any]:
    """One comparison row: local estimate against one national comparator (*assumption*: why
    the local estimate itself is for context only, or None)."""
    row = _local_part(local, nat["indicator"], labels)
    est, se, lo, hi = row["estimate"], row["se"], row["ci_low"], row["ci_high"]
    df = _num(local["df"])
    value, unit = _num(nat["value"]), nat["unit"]
    se_nat, nlo, nhi = _num(nat["se"]), _num(nat["ci_low"]), _num(nat["ci_high"])
    basis = {
        "source_type": nat.get("source_type", ""),
        "comparability": nat["comparability"],
        "uncertain": bool(nat["uncertain"]),
        "national_se": se_nat,
        "national_ci_low": nlo,
        "national_ci_high": nhi,
        "assumption": assumption or "",
    }
    why = verdict_basis(**basis)
    note = (
        str(nat["definition_note"]).strip().rstrip(".") if pd.notna(nat["definition_note"]) else ""
    )
    caveats = [note] if note else []
    if bool(nat["uncertain"]):
        caveats.append("uncertain source")
    if why:
        caveats.append(why)
    if row["flag"] == "caution":
        caveats.append("local estimate based on 25-49 unweighted observations")
    row |= {
        "national_value": value,
        "national_year": nat["year"],
        "source": nat["source"],
        "read_in": nat["read_in"],
        "table_page": nat["table_page"],
        # A percent of health expenditure is on another scale: no difference is shown.
        "difference": math.nan if unit == "percent_che" else est - value,
        "z_or_t": math.nan,
        "p_value": math.nan,
        "national_in_ci": pd.NA,
        "caveat": "; ".join(caveats),
        "comparator_id": nat["comparator_id"],
        "national_label": nat.get("national_label", ""),
        "national_unit": unit,
        "comparability": nat["comparability"],
        "context_only": CONTEXT_ONLY if why else "",
        **basis,
    }
    if row["flag"] == "suppressed":
        return row | {
            "test": "none (estimate suppressed)",
            "verdict": VERDICT_SUPPRESSED,
            "status": "estimate suppressed",
        }
    if why:
        return row | {
            "test": "none (for context only)",
            "verdict": CONTEXT_ONLY,
            "status": "context only",
        }
    if math.isfinite(lo) and math.isfinite(hi):
        row["national_in_ci"] = bool(lo <= value <= hi)
    z = norm_ppf(0.5 + level / 2)
    from_ci = not math.isfinite(se_nat)
    se_nat = (nhi - nlo) / (2 * z) if from_ci else se_nat
    se_diff = math.sqrt(se**2 + se_nat**2) if math.isfinite(se) else math.nan
    if not (math.isfinite(se_diff) and se_diff > 0):
        return row | {
            "test": "none (no local standard error)",
            "verdict": VERDICT_UNTESTED,
            "status": "not tested",
        }
    stat = (est - value) / se_diff
    if math.isfinite(df) and df > 0:
        p = 2 * t_sf(abs(stat), df)
        test = f"t-test of the difference (independent samples, df = {df:g})"
    else:
        p = 2 * norm_sf(abs(stat))
        test = "z-test of the difference (independent samples, normal approximation)"
    if from_ci:
        test += f"; national SE from its {_level_text(level)} CI"
    if p < 1 - level:
        verdict = VERDICT_HIGHER if stat > 0 else VERDICT_LOWER
    else:
        verdict = VERDICT_SAME
    return row | {
        "test": test,
        "z_or_t": stat,
        "p_value": p,
        "verdict": verdict,
        "status": "compared",
    }


def _no_figure_row(local: pd.Series, labels: Mapping[str, str]) -> dict[str, Any]:
    """Row for a headline indicator with no national comparator for the round."""
    row = _local_part(local, str(local.name), labels)
    return row | {
        "national_value": math.nan,
        "national_year": "",
        "source": "",
        "read_in": "",
        "table_page": "",
        "difference": math.nan,
        "test": "",
        "z_or_t": math.nan,
        "p_value": math.nan,
        "national_in_ci": pd.NA,
        "verdict": NO_FIGURE,
        "caveat": "",
        "status": NO_FIGURE,
        "comparator_id": "",
        "national_label": "",
        "national_unit": "",
        "comparability": "",
        "context_only": "",
        "source_type": "",
        "uncertain": pd.NA,
        "national_se": math.nan,
        "national_ci_low": math.nan,
        "national_ci_high": math.nan,
        "assumption": "",
    }
