"""Figures of the report: seaborn on the Agg backend, one palette, deterministic SVG.

Every figure is a pure function of result tables returning a matplotlib ``Figure``;
:func:`save_svg` writes it byte-identically across runs (fixed ``svg.hashsalt``, no date in the
metadata, text drawn as paths so the file does not depend on installed fonts). The report embeds
each SVG as an ``<img>`` data URI, so the fixed salt cannot make ids collide between figures.

Style rules (WORKFLOW_STYLE.md §4.3): one colour-blind-safe palette (Okabe & Ito 2008) set in
:func:`setup_style`, marker shapes as well as colours, 95 % confidence intervals drawn wherever the
result table has them, axis labels with units, and sizes readable when printed on A4.
Estimates flagged ``suppressed`` are never drawn; ``caution`` estimates are drawn hollow.
"""

from __future__ import annotations

import math
import re
import textwrap
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import seaborn as sns  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402
from matplotlib.lines import Line2D  # noqa: E402
from matplotlib.ticker import FuncFormatter, MaxNLocator, PercentFormatter  # noqa: E402

from hhsurvey.catalogue.national import comparable  # noqa: E402

__all__ = [
    "BUILDERS",
    "FigureData",
    "PALETTE",
    "change_dumbbell",
    "che_curve",
    "concentration_curve",
    "make_figures",
    "national_comparison",
    "oop_by_quintile",
    "overview_dots",
    "provider_mix",
    "quintile_gradient",
    "save_svg",
    "setup_style",
]

#: Okabe-Ito colour-blind-safe palette: blue, orange, bluish green, reddish purple, sky blue,
#: vermillion, yellow, black. Blue is always Vang Vieng; orange is always Lao PDR.
PALETTE = ["#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#000000"]
LOCAL, NATIONAL, GREY = PALETTE[0], PALETTE[1], "#666666"
WIDTH = 6.6  # inches: the text width of an A4 page with 18 mm/15 mm margins, less a little
SVG_SALT = "hhsurvey-report"
NOT_ESTIMATED = "not estimated in this run"
NOT_APPLICABLE = "not applicable"  # a structural zero (flag of indicators.csv)


def setup_style() -> None:
    """The one place where the look of every figure is set."""
    sns.set_theme(
        context="paper",
        style="whitegrid",
        palette=PALETTE,
        font="DejaVu Sans",
        rc={
            "svg.hashsalt": SVG_SALT,
            "svg.fonttype": "path",
            "font.size": 9,
            "axes.titlesize": 9.5,
            "axes.labelsize": 9,
            "xtick.labelsize": 8.5,
            "ytick.labelsize": 8.5,
            "legend.fontsize": 8.5,
            "axes.edgecolor": "#444444",
            "grid.color": "#dddddd",
            "lines.linewidth": 1.6,
            "errorbar.capsize": 3,
            "figure.dpi": 100,
        },
    )


def save_svg(fig: Figure, path: str | Path) -> None:
    """Write *fig* as a byte-reproducible SVG and close it."""
    with plt.rc_context({"svg.hashsalt": SVG_SALT, "svg.fonttype": "path"}):
        fig.savefig(path, format="svg", bbox_inches="tight", metadata={"Date": None})
    plt.close(fig)


# --------------------------------------------------------------------------- helpers


def _overall(indicators: pd.DataFrame) -> pd.DataFrame:
    return indicators.loc[indicators["domain"] == "total"].set_index("indicator")


def _flag(x: object) -> str:
    return "" if pd.isna(x) else str(x)


def _wrap(text: str, width: int) -> str:
    """Wrap a label; dollar signs are escaped so that matplotlib never reads them as maths."""
    text = str(text)
    return ("\n".join(textwrap.wrap(text, width)) or text).replace("$", r"\$")


def _empty(fig: Figure, ax, message: str) -> Figure:
    ax.set_axis_off()
    ax.text(0.5, 0.5, message, ha="center", va="center", fontsize=10, color=GREY, wrap=True)
    return fig


def _points(ax, x, est, lo, hi, flags, *, color, marker="o", horizontal=False, label=None):
    """Estimates with CI whiskers; suppressed points skipped, caution points hollow."""
    first = True
    for xi, e, low, high, f in zip(x, est, lo, hi, flags, strict=True):
        if f == "suppressed" or not math.isfinite(e):
            continue
        hollow = f == "caution"
        kw = {
            "fmt": marker,
            "color": color,
            "ecolor": color,
            "elinewidth": 1.4,
            "markersize": 6,
            "markerfacecolor": "white" if hollow else color,
            "markeredgewidth": 1.4,
            "label": label if first else None,
        }
        if math.isfinite(low) and math.isfinite(high):
            err = [[e - low], [high - e]]
            if horizontal:
                ax.errorbar([e], [xi], xerr=err, **kw)
            else:
                ax.errorbar([xi], [e], yerr=err, **kw)
        elif horizontal:
            ax.errorbar([e], [xi], **kw)
        else:
            ax.errorbar([xi], [e], **kw)
        first = False


def _legend_flags(ax, extra: Sequence[Line2D] = (), ncol: int = 2) -> None:
    """Legend above the axes, so that it never hides data."""
    handles = list(extra) + [
        Line2D([], [], marker="o", ls="-", color=LOCAL, label="Estimate with 95 % CI"),
        Line2D(
            [],
            [],
            marker="o",
            ls="",
            color=LOCAL,
            markerfacecolor="white",
            label="( ) 25-49 cases: use with caution",
        ),
    ]
    ax.legend(
        handles=handles,
        loc="lower left",
        bbox_to_anchor=(0.0, 1.01),
        ncol=ncol,
        frameon=False,
        borderaxespad=0.2,
    )


# --------------------------------------------------------------------------- figures


def national_comparison(comparison: pd.DataFrame) -> Figure:
    """Dot-and-whisker chart: Vang Vieng (95 % CI) against each national figure in percent.

    Only comparators in the same unit (fractions) are drawn; macro shares (``percent_che``) and
    rows without a national figure are listed in the report's table instead.
    """
    setup_style()
    rows = comparison.loc[
        (comparison["national_unit"] == "fraction")
        & comparison["national_value"].notna()
        & (comparison["flag"].fillna("") != "suppressed")
    ].reset_index(drop=True)
    fig, ax = plt.subplots(figsize=(WIDTH, 0.55 * max(len(rows), 2) + 1.3))
    if rows.empty:
        return _empty(fig, ax, "No national figure in the same unit for this round")
    y = np.arange(len(rows))[::-1]
    # for context only: every figure the one verdict rule does not accept (catalogue.national)
    context = ~comparable(rows)
    labels = []
    for r, ctx in zip(rows.itertuples(), context, strict=True):
        tag = " (context only)" if ctx else ""
        labels.append(_wrap(f"{r.label or r.indicator}", 44) + f"\nLao PDR {r.national_year}{tag}")
    _points(
        ax,
        y,
        rows["estimate"] * 100,
        rows["ci_low"] * 100,
        rows["ci_high"] * 100,
        rows["flag"].map(_flag),
        color=LOCAL,
        horizontal=True,
    )
    ax.scatter(
        rows.loc[~context, "national_value"] * 100,
        y[~context.to_numpy()],
        marker="D",
        s=42,
        color=NATIONAL,
        edgecolor="black",
        linewidth=0.6,
        zorder=3,
    )
    ax.scatter(
        rows.loc[context, "national_value"] * 100,
        y[context.to_numpy()],
        marker="D",
        s=42,
        facecolor="white",
        edgecolor=NATIONAL,
        linewidth=1.4,
        zorder=3,
    )
    ax.set_yticks(y, labels)
    ax.set_ylim(-0.7, len(rows) - 0.3)
    ax.set_xlabel("Percent (%)")
    ax.xaxis.set_major_formatter(PercentFormatter(decimals=0))
    ax.set_xlim(left=0)
    ax.grid(axis="y", visible=False)
    _legend_flags(
        ax,
        [
            Line2D([], [], marker="D", ls="", color=NATIONAL, mec="black", label="Lao PDR"),
            Line2D(
                [],
                [],
                marker="D",
                ls="",
                mec=NATIONAL,
                mfc="white",
                label="Lao PDR, for context only (no verdict)",
            ),
        ],
    )
    return fig


def _quintile_rows(indicators: pd.DataFrame, iid: str) -> pd.DataFrame:
    q = indicators.loc[(indicators["indicator"] == iid) & (indicators["domain"] == "quintile")]
    return (
        q.assign(q=pd.to_numeric(q["level"], errors="coerce")).dropna(subset=["q"]).sort_values("q")
    )


def quintile_gradient(
    indicators: pd.DataFrame, ids: Sequence[str], labels: Mapping[str, str]
) -> Figure:
    """Small multiples: percent indicators by consumption quintile, with 95 % CIs."""
    setup_style()
    # Panels only for indicators with at least three quintiles that can be shown.
    ids = [
        i
        for i in ids
        if (_quintile_rows(indicators, i)["flag"].map(_flag) != "suppressed").sum() >= 3
    ][:6]
    ncol = min(3, max(len(ids), 1))
    nrow = max(math.ceil(len(ids) / ncol), 1)
    fig, axes = plt.subplots(
        nrow, ncol, figsize=(WIDTH, 2.5 * nrow + 1.1), squeeze=False, sharex=True
    )
    if not ids:
        for ax in axes.flat[1:]:
            ax.set_axis_off()
        return _empty(fig, axes.flat[0], f"Quintile breakdowns {NOT_ESTIMATED}")
    overall = _overall(indicators)
    for ax, iid in zip(axes.flat, ids, strict=False):
        q = _quintile_rows(indicators, iid)
        shown = q.loc[q["flag"].map(_flag) != "suppressed"]
        ax.plot(shown["q"], shown["estimate"] * 100, color=LOCAL, lw=1, alpha=0.6)
        _points(
            ax,
            q["q"],
            q["estimate"] * 100,
            q["ci_low"] * 100,
            q["ci_high"] * 100,
            q["flag"].map(_flag),
            color=LOCAL,
        )
        for qq in q.loc[q["flag"].map(_flag) == "suppressed", "q"]:
            ax.annotate("*", (qq, 0), xycoords=("data", "axes fraction"), ha="center", va="bottom")
        # a structural zero is not a finding: no point, the words instead
        for qq in q.loc[q["flag"].map(_flag) == NOT_APPLICABLE, "q"]:
            ax.annotate(
                "n/a",
                (qq, 0.02),
                xycoords=("data", "axes fraction"),
                ha="center",
                va="bottom",
                fontsize=7,
                color=GREY,
            )
        if iid in overall.index and _flag(overall.loc[iid, "flag"]) != "suppressed":
            ax.axhline(overall.loc[iid, "estimate"] * 100, color=GREY, ls="--", lw=1)
        ax.set_title(_wrap(labels.get(iid, iid), 30), loc="left", fontsize=8)
        ax.set_xticks([1, 2, 3, 4, 5])
        ax.yaxis.set_major_formatter(PercentFormatter(decimals=0))
        ax.set_ylim(bottom=0)
    for ax in axes.flat[len(ids) :]:
        ax.set_axis_off()
    for ax in axes[:, 0]:
        ax.set_ylabel("Percent (%)")
    for ax in axes[-1, :]:
        ax.set_xlabel("Consumption quintile\n(1 = poorest, 5 = richest)")
    fig.legend(
        handles=[
            Line2D([], [], marker="o", color=LOCAL, label="Estimate with 95 % CI"),
            Line2D([], [], marker="o", ls="", color=LOCAL, mfc="white", label="( ) 25-49 cases"),
            Line2D([], [], color=GREY, ls="--", label="All households / persons"),
            Line2D([], [], marker="$*$", ls="", color="black", label="* fewer than 25 cases"),
            Line2D(
                [],
                [],
                ls="",
                color=GREY,
                marker="$n/a$",
                markersize=12,
                label="n/a not applicable (impossible by construction)",
            ),
        ],
        loc="lower center",
        ncol=2,
        bbox_to_anchor=(0.5, 0.0),
        frameon=False,
    )
    # Room for the two legend rows below the panels, and for two-line panel titles.
    fig.tight_layout(rect=(0, 0.6 / (2.7 * nrow + 1.1), 1, 1), h_pad=1.6)
    return fig


def che_curve(
    households: pd.DataFrame | None,
    indicators: pd.DataFrame,
    *,
    z_max: float,
    z_step: float,
    curve_id: str = "che_curve",
) -> Figure:
    """Catastrophic headcount curve H(z): share with OOP above z of total consumption.

    When the indicator table has the design-based curve (indicator *curve_id*, domain
    ``threshold``, level = z) it is drawn with its 95 % confidence band; otherwise the
    population-weighted curve is computed from ``households.parquet`` (point estimates only).
    The household-weighted curve comes from the household file. The SDG 3.8.2 points are
    overlaid with their design-based 95 % CIs.
    """
    setup_style()
    fig, ax = plt.subplots(figsize=(WIDTH, 3.6))
    design = indicators.loc[
        (indicators["indicator"] == curve_id) & (indicators["domain"] == "threshold")
    ]
    design = design.assign(z=pd.to_numeric(design["level"], errors="coerce")).dropna(subset=["z"])
    design = design.loc[design["flag"].map(_flag) != "suppressed"]
    has_hh = households is not None and not households.empty and "budget_share" in households
    if design.empty and not has_hh:
        return _empty(fig, ax, f"Catastrophic headcount curve {NOT_ESTIMATED}")
    z = che_grid(z_max, z_step)
    if not design.empty:
        design = design.sort_values("z")
        ax.fill_between(
            design["z"] * 100,
            design["ci_low"] * 100,
            design["ci_high"] * 100,
            color=LOCAL,
            alpha=0.18,
            lw=0,
            label="95 % confidence band (population)",
        )
        ax.plot(
            design["z"] * 100,
            design["estimate"] * 100,
            color=LOCAL,
            label="Population (weight x household size)",
        )
    curves = {}
    if has_hh:
        share = households["budget_share"].to_numpy(dtype="float64")
        if design.empty:
            curves["Population (weight x household size)"] = (households["pop_weight"], LOCAL, "-")
        curves["Households (household weight)"] = (households["weight"], PALETTE[2], "--")
        for label, (w, color, ls) in curves.items():
            h = headcount_curve(share, w.to_numpy(dtype="float64"), z)
            ax.plot(z * 100, h * 100, color=color, ls=ls, label=label)
    overall = _overall(indicators)
    points = {"che_sdg_10": LOCAL, "che_sdg_25": LOCAL, "che_sdg_10_hh": PALETTE[2]}
    points["che_sdg_25_hh"] = PALETTE[2]
    for iid, color in points.items():
        if iid not in overall.index:
            continue
        r = overall.loc[iid]
        thr = 0.10 if "_10" in iid else 0.25
        _points(
            ax,
            [thr * 100],
            [r["estimate"] * 100],
            [r["ci_low"] * 100],
            [r["ci_high"] * 100],
            [_flag(r["flag"])],
            color=color,
            marker="s" if iid.endswith("_hh") else "o",
        )
    for thr in (10, 25):
        ax.axvline(thr, color=GREY, lw=0.8, ls=":")
        ax.annotate(
            f"SDG 3.8.2: {thr} %",
            (thr, 1),
            xycoords=("data", "axes fraction"),
            xytext=(3, -12),
            textcoords="offset points",
            fontsize=8,
            color=GREY,
        )
    ax.set_xlabel("Threshold z: out-of-pocket spending as a share of total consumption (%)")
    ax.set_ylabel("With OOP share above z (%)")
    ax.xaxis.set_major_formatter(PercentFormatter(decimals=0))
    ax.yaxis.set_major_formatter(PercentFormatter(decimals=0))
    ax.set_xlim(0, z_max * 100)
    ax.set_ylim(bottom=0)
    handles, _ = ax.get_legend_handles_labels()
    handles += [
        Line2D([], [], marker="o", ls="-", color=LOCAL, label="SDG 3.8.2, population, 95 % CI"),
        Line2D([], [], marker="s", ls="-", color=PALETTE[2], label="Households, 95 % CI"),
    ]
    ax.legend(handles=handles, loc="lower left", bbox_to_anchor=(0.0, 1.01), ncol=2, frameon=False)
    return fig


def che_grid(z_max: float, z_step: float) -> np.ndarray:
    """Thresholds 0, step, ..., z_max (inclusive), rounded to avoid float drift."""
    n = int(round(z_max / z_step))
    return np.round(np.arange(n + 1) * z_step, 10)


def headcount_curve(share: np.ndarray, weight: np.ndarray, z: np.ndarray) -> np.ndarray:
    """Weighted share of units with ``share > z`` for each z (missing shares count as not above)."""
    above = np.nan_to_num(share, nan=-np.inf)[None, :] > z[:, None]
    return (above * weight[None, :]).sum(axis=1) / weight.sum()


def concentration_points(
    households: pd.DataFrame, value: str, weight: str = "weight"
) -> tuple[np.ndarray, np.ndarray]:
    """Cumulative population share (ranked by per-capita consumption) and cumulative share of
    the household total ``value`` (household weight); both start at 0."""
    h = households.sort_values(["pc_total", "village", "hh"], kind="stable")
    pop = h["pop_weight"].to_numpy(dtype="float64")
    val = h[value].to_numpy(dtype="float64") * h[weight].to_numpy(dtype="float64")
    x = np.concatenate([[0.0], np.cumsum(pop) / pop.sum()])
    y = np.concatenate([[0.0], np.cumsum(val) / val.sum()]) if val.sum() > 0 else x * np.nan
    return x, y


def concentration_curve(households: pd.DataFrame | None) -> Figure:
    """Concentration curve of OOP spending and Lorenz curve of consumption."""
    setup_style()
    fig, ax = plt.subplots(figsize=(4.6, 4.4))
    if households is None or households.empty:
        return _empty(fig, ax, f"Concentration curve {NOT_ESTIMATED}")
    ax.plot([0, 100], [0, 100], color=GREY, lw=0.9, ls=":", label="Line of equality")
    x, y = concentration_points(households, "total")
    ax.plot(x * 100, y * 100, color=PALETTE[2], ls="--", label="Total consumption (Lorenz)")
    x, y = concentration_points(households, "oop")
    ax.plot(x * 100, y * 100, color=LOCAL, label="Out-of-pocket spending")
    ax.set_xlabel("Cumulative % of population,\nranked by per-capita consumption (poorest first)")
    ax.set_ylabel("Cumulative % of the total")
    ax.set_xlim(0, 100)
    ax.set_ylim(0, 100)
    ax.set_aspect("equal")
    ax.xaxis.set_major_formatter(PercentFormatter(decimals=0))
    ax.yaxis.set_major_formatter(PercentFormatter(decimals=0))
    ax.legend(loc="upper left")
    return fig


def oop_by_quintile(indicators: pd.DataFrame, iid: str = "oop_annual_hh_mean") -> Figure:
    """Mean annual OOP spending per household (LAK) by consumption quintile, with 95 % CIs."""
    setup_style()
    fig, ax = plt.subplots(figsize=(WIDTH * 0.75, 3.2))
    q = _quintile_rows(indicators, iid)
    if q.empty:
        return _empty(fig, ax, f"OOP spending by quintile {NOT_ESTIMATED}")
    _points(ax, q["q"], q["estimate"], q["ci_low"], q["ci_high"], q["flag"].map(_flag), color=LOCAL)
    for qq in q.loc[q["flag"].map(_flag) == "suppressed", "q"]:
        ax.annotate("*", (qq, 0), xycoords=("data", "axes fraction"), ha="center", va="bottom")
    overall = _overall(indicators)
    if iid in overall.index and _flag(overall.loc[iid, "flag"]) != "suppressed":
        ax.axhline(overall.loc[iid, "estimate"], color=GREY, ls="--", lw=1, label="All households")
    ax.set_xticks([1, 2, 3, 4, 5])
    ax.set_xlabel("Consumption quintile (1 = poorest, 5 = richest)")
    ax.set_ylabel("LAK per household per year")
    ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:,.0f}"))
    ax.set_ylim(bottom=0)
    _legend_flags(ax, [Line2D([], [], color=GREY, ls="--", label="All households")], ncol=3)
    return fig


def provider_mix(indicators: pd.DataFrame, ids: Sequence[str], labels: Mapping[str, str]) -> Figure:
    """First provider among persons who sought care (percent, 95 % CI)."""
    setup_style()
    overall = _overall(indicators)
    ids = [i for i in ids if i in overall.index]
    fig, ax = plt.subplots(figsize=(WIDTH, 0.45 * max(len(ids), 2) + 1.0))
    if not ids:
        return _empty(fig, ax, f"First-provider shares {NOT_ESTIMATED}")
    rows = overall.loc[ids]
    y = np.arange(len(ids))[::-1]
    _points(
        ax,
        y,
        rows["estimate"] * 100,
        rows["ci_low"] * 100,
        rows["ci_high"] * 100,
        rows["flag"].map(_flag),
        color=LOCAL,
        horizontal=True,
    )
    for yy, f in zip(y, rows["flag"].map(_flag), strict=True):
        if f == "suppressed":
            ax.annotate("*", (0, yy), xytext=(4, 0), textcoords="offset points", va="center")
    ax.set_yticks(y, [_wrap(_provider_label(labels.get(i, i)), 36) for i in ids])
    ax.set_xlabel("Percent of persons who sought care (%)")
    ax.xaxis.set_major_formatter(PercentFormatter(decimals=0))
    ax.set_xlim(left=0)
    ax.grid(axis="y", visible=False)
    _legend_flags(ax)
    return fig


def overview_dots(
    indicators: pd.DataFrame, ids: Sequence[str], labels: Mapping[str, str]
) -> Figure:
    """The headline chart of a section: each indicator's overall estimate in percent with its
    95 % CI, one row each, in catalogue order (suppressed rows marked *)."""
    setup_style()
    overall = _overall(indicators)
    ids = [i for i in ids if i in overall.index]
    fig, ax = plt.subplots(figsize=(WIDTH, 0.42 * max(len(ids), 2) + 1.0))
    if not ids:
        return _empty(fig, ax, f"Estimates {NOT_ESTIMATED}")
    rows = overall.loc[ids]
    y = np.arange(len(ids))[::-1]
    flags = rows["flag"].map(_flag)
    _points(
        ax,
        y,
        rows["estimate"] * 100,
        rows["ci_low"] * 100,
        rows["ci_high"] * 100,
        flags,
        color=LOCAL,
        horizontal=True,
    )
    for yy, f in zip(y, flags, strict=True):
        if f == "suppressed":
            ax.annotate("*", (0, yy), xytext=(4, 0), textcoords="offset points", va="center")
    ax.set_yticks(y, [_wrap(labels.get(i, i), 44) for i in ids])
    ax.set_xlabel("Percent (%)")
    ax.xaxis.set_major_formatter(PercentFormatter(decimals=0))
    ax.set_xlim(left=0)
    ax.grid(axis="y", visible=False)
    _legend_flags(ax)
    return fig


def _provider_label(label: str) -> str:
    """ "First provider pharmacy or drug seller, among those who sought care" -> "Pharmacy or
    drug seller"."""
    text = re.sub(r"^first provider\s+", "", label, flags=re.IGNORECASE)
    text = re.sub(r",\s*among those who sought care$", "", text, flags=re.IGNORECASE)
    return text[:1].upper() + text[1:]


#: Axis label of each unit in the change chart (LAK: the caller names the price year).
UNIT_AXIS = {
    "percent": "Percent (%)",
    "lak": "LAK",
    "rate": "Per person per year",
    "per_1000": "Per 1,000 per year",
    "nights": "Nights",
    "index": "Index (-1 to 1)",
}
ROUND_OFFSET = 0.17  # vertical offset of each round's point from the indicator's line


def change_dumbbell(
    rows: pd.DataFrame,
    round_labels: Mapping[str, str],
    axis_labels: Mapping[str, str] | None = None,
) -> Figure:
    """Dumbbell chart of the change since baseline, one line per indicator.

    *rows* (see :func:`hhsurvey.outputs.change_report.headline_frame`): ``label``, ``note`` (second line
    of the tick label), ``unit`` and, for ``baseline`` and ``endline``, the estimate, its CI
    bounds and its DHS flag. The baseline (grey circle) sits just above the line, the endline
    (blue square) just below, each with its 95 % CI; an arrow joins them. Indicators in
    different units get their own panel, so that scales never mix. Suppressed estimates are not
    drawn (a ``*`` marks them), caution ones are hollow.
    """
    setup_style()
    axis = UNIT_AXIS | dict(axis_labels or {})
    units = list(dict.fromkeys(rows["unit"]))
    counts = [int((rows["unit"] == u).sum()) for u in units] or [1]
    fig, axes = plt.subplots(
        len(counts),
        1,
        figsize=(WIDTH, 0.62 * sum(counts) + 1.0 * len(counts) + 0.5),
        height_ratios=[c + 0.8 for c in counts],
        squeeze=False,
    )
    if rows.empty:
        return _empty(fig, axes[0, 0], "No headline indicator was estimated in both rounds")
    styles = {"baseline": (GREY, "o", ROUND_OFFSET), "endline": (LOCAL, "s", -ROUND_OFFSET)}
    for ax, unit in zip(axes[:, 0], units, strict=True):
        sub = rows.loc[rows["unit"] == unit].reset_index(drop=True)
        scale = 100.0 if unit == "percent" else 1.0
        y = np.arange(len(sub))[::-1]
        for role, (color, marker, dy) in styles.items():
            _points(
                ax,
                y + dy,
                sub[role] * scale,
                sub[f"{role}_ci_low"] * scale,
                sub[f"{role}_ci_high"] * scale,
                sub[f"{role}_flag"].map(_flag),
                color=color,
                marker=marker,
                horizontal=True,
            )
            for yy, f in zip(y + dy, sub[f"{role}_flag"].map(_flag), strict=True):
                if f == "suppressed":
                    ax.annotate(
                        "*", (0, yy), xytext=(4, 0), textcoords="offset points", va="center"
                    )
        for yy, r in zip(y, sub.to_dict("records"), strict=True):
            if "suppressed" in (_flag(r["baseline_flag"]), _flag(r["endline_flag"])):
                continue
            ax.annotate(
                "",
                xy=(r["endline"] * scale, yy - ROUND_OFFSET),
                xytext=(r["baseline"] * scale, yy + ROUND_OFFSET),
                arrowprops={
                    "arrowstyle": "->",
                    "color": GREY,
                    "lw": 1.0,
                    "shrinkA": 4,
                    "shrinkB": 4,
                },
            )
        ax.set_yticks(
            y, [_wrap(r["label"], 42) + "\n" + _wrap(r["note"], 42) for r in sub.to_dict("records")]
        )
        ax.set_ylim(-0.7, len(sub) - 0.3)
        ax.set_xlim(left=0)
        ax.grid(axis="y", visible=False)
        ax.set_xlabel(axis.get(unit, unit))
        ax.xaxis.set_major_locator(MaxNLocator(6))
        if unit == "percent":
            ax.xaxis.set_major_formatter(PercentFormatter(decimals=0))
        else:
            ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:,.0f}"))
            ax.tick_params(axis="x", labelrotation=20)
    axes[0, 0].legend(
        handles=[
            Line2D(
                [], [], marker="o", ls="-", color=GREY, label=f"{round_labels['baseline']}, 95 % CI"
            ),
            Line2D(
                [], [], marker="s", ls="-", color=LOCAL, label=f"{round_labels['endline']}, 95 % CI"
            ),
            Line2D(
                [],
                [],
                marker="o",
                ls="",
                color=GREY,
                mfc="white",
                label="( ) 25-49 cases: use with caution",
            ),
            Line2D(
                [], [], marker="$*$", ls="", color="black", label="* fewer than 25 cases: not shown"
            ),
        ],
        loc="lower left",
        bbox_to_anchor=(0.0, 1.01),
        ncol=2,
        frameon=False,
        borderaxespad=0.2,
    )
    fig.tight_layout()
    return fig


# --------------------------------------------------------------------------- driver


@dataclass(frozen=True)
class FigureData:
    """What the round figures are drawn from. ``plotted``: figure name -> the catalogue ids
    whose ``plot`` names it."""

    indicators: pd.DataFrame
    comparison: pd.DataFrame
    households: pd.DataFrame | None
    labels: Mapping[str, str]
    plotted: Mapping[str, Sequence[str]]
    che_curve_max: float
    che_curve_step: float


#: Builder name (config/report.yaml ``figures.<name>.builder``) -> function of the data and the
#: figure's name. A new figure is one registry entry in config/report.yaml and one builder here.
BUILDERS: dict[str, Callable[[FigureData, str], Figure]] = {
    "national_comparison": lambda d, name: national_comparison(d.comparison),
    "quintile_gradient": lambda d, name: quintile_gradient(
        d.indicators, d.plotted.get(name, ()), d.labels
    ),
    "che_curve": lambda d, name: che_curve(
        d.households,
        d.indicators,
        z_max=d.che_curve_max,
        z_step=d.che_curve_step,
        curve_id=(list(d.plotted.get(name, ())) or ["che_curve"])[0],
    ),
    "concentration_curve": lambda d, name: concentration_curve(d.households),
    "oop_by_quintile": lambda d, name: oop_by_quintile(
        d.indicators, (list(d.plotted.get(name, ())) or ["oop_annual_hh_mean"])[0]
    ),
    "provider_mix": lambda d, name: provider_mix(d.indicators, d.plotted.get(name, ()), d.labels),
    "overview_dots": lambda d, name: overview_dots(d.indicators, d.plotted.get(name, ()), d.labels),
}


def make_figures(
    names: Sequence[str],
    paths: Sequence[str | Path],
    *,
    indicators: pd.DataFrame,
    comparison: pd.DataFrame,
    households: pd.DataFrame | None,
    labels: Mapping[str, str],
    plotted: Mapping[str, Sequence[str]],
    che_curve_max: float,
    che_curve_step: float,
    builders: Mapping[str, str] | None = None,
) -> None:
    """Draw each named figure with its builder (*builders*: figure name -> builder name,
    from the registry; by default the builder of the same name) and write it to its path."""
    builders = dict(builders or {})
    chosen = {n: builders.get(n, n) for n in names}
    unknown = [n for n, b in chosen.items() if b not in BUILDERS]
    if unknown:
        raise ValueError(f"unknown figure name(s) {unknown}; known: {sorted(BUILDERS)}")
    data = FigureData(
        indicators=indicators,
        comparison=comparison,
        households=households,
        labels=labels,
        plotted=plotted,
        che_curve_max=che_curve_max,
        che_curve_step=che_curve_step,
    )
    for name, path in zip(names, paths, strict=True):
        save_svg(BUILDERS[chosen[name]](data, name), path)
