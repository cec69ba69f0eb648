"""The village frame of the synthetic district: names, sizes, characteristics and random effects.

One row per village of the (scaled) district: census measure of size, true household count at
survey time, remoteness, travel times, wealth and grid access, scheme availability, and the
village random effects the household generator uses. The endline frame is the same villages some
years later (grown counts, the later census as measure of size, optionally the baseline villages
revisited).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from hhsurvey.simulate.draws import expit, logit
from hhsurvey.simulate.params import (
    ROUND_ID,
    STREAM_ENDLINE_FRAME,
    STREAM_FRAME,
    STREAM_SAMPLE,
    round_params,
    stream,
)
from hhsurvey.simulate.sample import select_villages

_NAME_PARTS = [
    ("ນາ", "Na"),
    ("ໂພນ", "Phon"),
    ("ໄຊ", "Xai"),
    ("ທອງ", "Thong"),
    ("ຄຳ", "Kham"),
    ("ໃໝ່", "Mai"),
    ("ດອນ", "Don"),
    ("ຫ້ວຍ", "Houay"),
    ("ນ້ຳ", "Nam"),
    ("ພູ", "Phou"),
    ("ຜາ", "Pha"),
    ("ຫີນ", "Hin"),
    ("ແສງ", "Saeng"),
    ("ສະຫວ່າງ", "Savang"),
    ("ວັງ", "Vang"),
    ("ວຽງ", "Vieng"),
    ("ໂຄກ", "Khok"),
    ("ທ່າ", "Tha"),
    ("ສົມ", "Som"),
    ("ແກ້ວ", "Keo"),
    ("ສີ", "Si"),
    ("ຈັນ", "Chan"),
    ("ມ່ວງ", "Muang"),
    ("ເງິນ", "Ngoen"),
    ("ດີ", "Di"),
    ("ງາມ", "Ngam"),
    ("ຊອງ", "Xong"),
    ("ລາດ", "Lat"),
    ("ບົວ", "Bua"),
    ("ຫຼວງ", "Luang"),
]


def _village_names(rng: np.random.Generator, n: int) -> tuple[list[str], list[str]]:
    k = len(_NAME_PARTS)
    if n <= k * (k - 1):
        pairs = rng.choice(k * k, size=n * 2, replace=False)
        pairs = pairs[pairs // k != pairs % k][:n]
        if len(pairs) < n:  # extremely unlikely; fall back to with replacement
            pairs = np.concatenate([pairs, rng.integers(0, k * k, n - len(pairs))])
    else:
        pairs = rng.integers(0, k * k, n)
    en, lo = [], []
    for p in pairs:
        a, b = _NAME_PARTS[p // k], _NAME_PARTS[p % k]
        en.append(f"Ban {a[1]}{b[1].lower()}")
        lo.append(f"ບ້ານ{a[0]}{b[0]}")
    return en, lo


def village_frame(params: dict, seed: int, round: str = "baseline", scale: int = 1) -> pd.DataFrame:
    """All villages of the (scaled) district with census size, true household count and effects.

    Public columns: HH1, village_en, village_lo, area, mos_hh (census households), hh_count (true
    households at survey time = what a complete listing finds). Columns starting with "_" are
    village characteristics and random effects used by the generator.
    """
    scale = int(scale)
    if scale < 1:
        raise ValueError("scale must be >= 1")
    P = round_params(params, "baseline")
    V, pop, RE = P["villages"], P["population"], P["random_effects"]
    rng = stream(seed, STREAM_FRAME, scale)
    n_u, n_r = V["n_urban"] * scale, V["n_rural"] * scale
    n = n_u + n_r
    urban = np.r_[np.ones(n_u, bool), np.zeros(n_r, bool)]
    g = pop["annual_growth"]
    persons = (
        pop["reference_population"]
        * (1 + g) ** (pop["survey_year"] - pop["reference_year"])
        * scale
    )
    hs = P["households"]
    su = V["urban_household_share"]
    mean_size = su * hs["mean_size_urban"] + (1 - su) * hs["mean_size_rural"]
    H = persons / mean_size
    weight = np.exp(V["size_sd_log"] * rng.standard_normal(n))
    n_town = V["town_centre_villages"] * scale
    weight[:n_town] *= V["town_centre_size_factor"]
    n_hh = np.empty(n)
    n_hh[urban] = su * H * weight[urban] / weight[urban].sum()
    n_hh[~urban] = (1 - su) * H * weight[~urban] / weight[~urban].sum()
    n_hh = np.maximum(np.round(n_hh), V["min_households"]).astype(np.int64)
    # remoteness score (standard normal) drives travel times, wealth and grid access
    remote = rng.standard_normal(n)
    remote[urban] = -1.5 + 0.3 * remote[urban]
    zs = rng.standard_normal((2, n))
    dist_hc = np.where(
        urban,
        V["remoteness_dist_hc_median_urban"] * np.exp(0.3 * zs[0]),
        V["remoteness_dist_hc_median_rural"] * np.exp(V["dist_sd_log"] * remote),
    )
    dist_hosp = np.where(
        urban,
        V["remoteness_dist_hosp_median_urban"] * np.exp(0.3 * zs[1]),
        V["remoteness_dist_hosp_median_rural"]
        * np.exp(V["dist_sd_log"] * (0.8 * remote + 0.6 * zs[1])),
    )
    rho = RE["wealth_remoteness_corr"]
    e = rng.standard_normal((9, n))
    u_w = RE["wealth_sd"] * np.where(urban, e[0], -rho * remote + np.sqrt(1 - rho**2) * e[0])
    electrified = urban | (rng.random(n) < expit(logit(V["electrified_rural"]) - 0.8 * remote))
    hef = rng.random(n) < V["hef_village_share"]
    cbhi = rng.random(n) < np.where(urban, V["cbhi_available_urban"], V["cbhi_available_rural"])
    # census measure of size: the count at the census year with village-specific growth noise
    years = pop["survey_year"] - pop["census_year"]
    mos = np.maximum(
        np.round(n_hh * (1 + g) ** (-years) * np.exp(pop["census_noise_sd_log"] * e[1])), 5
    ).astype(np.int64)
    ang = rng.uniform(0, 2 * np.pi, n)
    rad = np.sqrt(rng.random(n)) * np.where(urban, V["spread_deg_urban"], V["spread_deg_rural"])
    lat = V["centre_lat"] + rad * np.sin(ang)
    lon = V["centre_lon"] + rad * np.cos(ang)
    en, lo = _village_names(rng, n)
    df = pd.DataFrame(
        {
            "area": np.where(urban, 1, 2),
            "mos_hh": mos,
            "hh_count": n_hh,
            "village_en": en,
            "village_lo": lo,
            "_remote": remote,
            "_dist_hc": dist_hc,
            "_dist_hosp": dist_hosp,
            "_u_wealth": u_w,
            "_u_ill": RE["illness_sd"] * e[2],
            "_u_care": RE["care_sd"] * e[3],
            "_u_spend": RE["spend_sd"] * e[4],
            "_u_birth": RE["birth_sd"] * e[5],
            "_u_child": RE["child_sd"] * e[6],
            "_u_adm": RE["admission_sd"] * e[7],
            "_u_resp": RE["response_sd"] * e[8],
            "_electrified": electrified,
            "_hef": hef,
            "_cbhi": cbhi,
            "_lat": lat,
            "_lon": lon,
        }
    )
    # frame order: urban first, then by remoteness (geographic order: implicit stratification)
    df = df.sort_values(["area", "_remote"], kind="stable").reset_index(drop=True)
    df.insert(0, "HH1", np.arange(1, n + 1, dtype=np.int64))
    if round == "endline":
        df = _endline_frame(df, params, seed, scale)
    return df


def _endline_frame(base: pd.DataFrame, params: dict, seed: int, scale: int) -> pd.DataFrame:
    """The same villages some years later: grown household counts, the later census as size."""
    PB, PE = round_params(params, "baseline"), round_params(params, "endline")
    rng = stream(seed, STREAM_ENDLINE_FRAME, scale)
    g = PB["population"]["annual_growth"]
    y0, y1 = PB["population"]["survey_year"], PE["population"]["survey_year"]
    c1 = PE["population"]["census_year"]
    e = rng.standard_normal((2, len(base)))
    df = base.copy()
    df["_baseline_mos_hh"] = base["mos_hh"]
    df["hh_count"] = np.maximum(
        np.round(
            base["hh_count"] * (1 + g) ** (y1 - y0) * np.exp(PE["village_growth_sd_log"] * e[0])
        ),
        PB["villages"]["min_households"],
    ).astype(np.int64)
    census = np.round(
        base["hh_count"]
        * (1 + g) ** (c1 - y0)
        * np.exp(0.5 * PB["population"]["census_noise_sd_log"] * e[1])
    )
    df["mos_hh"] = np.maximum(census, 5).astype(np.int64)
    if PE.get("revisit_baseline_villages", False):
        # revisit: the baseline PPS selection, so the frame keeps the baseline measure of size
        base_sel = select_villages(
            base, PB, stream(seed, STREAM_SAMPLE, ROUND_ID["baseline"], scale), scale
        )
        df["_revisit"] = base_sel["selected"].to_numpy() == 1
        df["mos_hh"] = base["mos_hh"]
    return df
