"""Analysis frames of a round, built once and read by every estimate.

Rule ``build_frames`` builds the three analysis frames of a round with :func:`build_frames`
(persons, households, and households for population-weighted measures; amounts in base-year
prices) and writes them to ``results/{round}/frames/{unit}.parquet``. ``estimate_indicators``,
``estimate_change``, ``simulate_scenarios`` and any later consumer read them with
:func:`read_frames` (or one unit's file) and never rebuild them, so that every estimate of a
round rests on the same rows.

The frames hold canonical survey variables only: personal identifiers (names, phones, GPS)
never leave ingest (``hhsurvey.survey.io``), and ``tests/workflow/test_workflow.py`` scans every file under
``results/`` for them.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from hhsurvey.errors import InputError

__all__ = [
    "AGE_BINS",
    "AGE_LABELS",
    "DESIGN_PSU",
    "DESIGN_STRATUM",
    "FRAME_UNITS",
    "PROVIDER_GROUPS",
    "build_frames",
    "design_args",
    "design_columns",
    "household_frame",
    "person_frame",
    "poverty_lines_lak",
    "read_frames",
    "write_frames",
]

FRAME_UNITS: tuple[str, ...] = ("person", "household", "household_pop")
#: The design columns of every frame: the stratum and the PSU the variance is computed with
#: (:func:`design_columns`; every estimate of the pipeline uses them, :func:`design_args`).
DESIGN_STRATUM, DESIGN_PSU = "design_stratum", "design_psu"
#: Age groups of the person frame (``age_group``).
AGE_BINS = [-1, 4, 14, 24, 49, 64, 200]
AGE_LABELS = ["0-4", "5-14", "15-24", "25-49", "50-64", "65+"]
#: Provider groups of an episode's provider (``ep_provider_group``).
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


def design_columns(
    households: pd.DataFrame,
    pi1: pd.Series,
    *,
    strata: str,
    psu: str,
    certainty_own_stratum: bool = True,
    round_name: str = "",
) -> pd.DataFrame:
    """The stratum and PSU of every household for the variance (:data:`DESIGN_STRATUM`,
    :data:`DESIGN_PSU`), as text.

    ``pi1`` is the stage-1 selection probability of each household's PSU (aligned with
    ``households``). A PSU selected with certainty (pi1 = 1) is not a sampled unit: with
    ``certainty_own_stratum`` it becomes a stratum of its own, ``"<stratum> certainty <psu>"``,
    whose PSUs are its households (``"<psu>-<hh> (<round>)"``, never shared between rounds), as
    DHS and R ``survey`` users do. Otherwise, or for every other PSU, the design's own stratum
    and PSU.
    """
    stratum = households[strata].astype("str")
    unit = households[psu].astype("str")
    if certainty_own_stratum:
        certain = pd.Series(np.asarray(pi1, dtype="float64") >= 1.0 - 1e-12, index=households.index)
        tag = f" ({round_name})" if round_name else ""
        stratum = stratum.where(~certain, stratum + " certainty " + unit)
        unit = unit.where(~certain, unit + "-" + households["hh"].astype("str") + tag)
    return pd.DataFrame(
        {
            "village": households["village"],
            "hh": households["hh"],
            DESIGN_STRATUM: stratum,
            DESIGN_PSU: unit,
        },
        index=households.index,
    )


def design_args(design: Mapping[str, Any]) -> dict[str, Any]:
    """The keyword arguments of :class:`~hhsurvey.engine.design.SurveyDesign` for every estimate
    on the analysis frames (config ``design``): the frames' design columns (certainty villages as
    their own strata), the lonely-PSU rule and the convention (``r`` when absent)."""
    return {
        "strata": DESIGN_STRATUM,
        "psu": DESIGN_PSU,
        "lonely_psu": design["lonely_psu"],
        "convention": design.get("convention", "r"),
    }


def _check_units(units: set[str], where: str) -> None:
    if units != set(FRAME_UNITS):
        raise InputError(
            f"analysis frames {sorted(units)} do not match the units {list(FRAME_UNITS)}",
            where,
            "build the frames with rule build_frames (results/{round}/frames/)",
        )


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
    cols = ["village", "hh", strata, "weight", "quintile", "hhsize", "pc_total", "dist_hc"]
    hh = agg[cols + [c for c in (DESIGN_STRATUM, DESIGN_PSU) if c in agg]]
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
    design: pd.DataFrame | None = None,
) -> dict[str, pd.DataFrame]:
    """The three analysis frames of a round, amounts in base-year prices.

    ``agg`` (households.parquet) is already deflated; the person-level amounts (episode and
    delivery spending) are multiplied by ``price_factor`` here. ``design``: the design columns
    of the households (:func:`design_columns`, keyed by village and hh); without it the design
    columns are the stratum and the village.
    """
    if design is None:
        design = agg[["village", "hh"]].assign(
            **{DESIGN_STRATUM: agg[strata].astype("str"), DESIGN_PSU: agg["village"].astype("str")}
        )
    agg = agg.merge(
        design[["village", "hh", DESIGN_STRATUM, DESIGN_PSU]],
        on=["village", "hh"],
        how="left",
        validate="one_to_one",
    )
    person = person_frame(tables, agg, strata=strata, u5_excluded_sources=u5_excluded_sources)
    amounts = [
        c for c in person.columns if c.startswith("ep_cost_") and not c.endswith("_imputed")
    ] + ["ep_oop", "b_cost"]  # the *_imputed columns are flags, not amounts
    person = person.assign(**{c: person[c] * price_factor for c in amounts})
    hh = household_frame(agg, poverty_lines)
    return {"person": person, "household": hh, "household_pop": hh}


def write_frames(frames: Mapping[str, pd.DataFrame], paths: Mapping[str, str]) -> None:
    """Write each unit's frame to its path (Parquet, no index; deterministic)."""
    _check_units(set(frames), "hhsurvey.prepare.frames.build_frames")
    _check_units(set(paths), "rule build_frames: output")
    for unit in FRAME_UNITS:
        frames[unit].reset_index(drop=True).to_parquet(paths[unit], index=False)


def read_frames(paths: Mapping[str, str]) -> dict[str, pd.DataFrame]:
    """The analysis frames of one round, read from ``results/{round}/frames/``."""
    _check_units(set(paths), "rule input: frames")
    return {unit: pd.read_parquet(paths[unit]) for unit in FRAME_UNITS}
