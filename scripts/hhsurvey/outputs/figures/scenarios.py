"""The figure of the scenarios section: fall in catastrophic spending against cost per capita."""

from __future__ import annotations

import base64
import io
import math
from collections.abc import Mapping

import pandas as pd
from matplotlib.figure import Figure

from hhsurvey.outputs.figures.charts import GREY, PALETTE, WIDTH, save_svg, setup_style


def _row(df: pd.DataFrame, scenario: str, measure: str, indicator: str) -> pd.Series | None:
    rows = df[
        (df["scenario"] == scenario)
        & (df["measure"] == measure)
        & (df["indicator"] == indicator)
        & (df["domain"] == "total")
    ]
    return rows.iloc[0] if len(rows) else None


def cost_effect(
    df: pd.DataFrame,
    labels: Mapping[str, str],
    *,
    indicator: str,
    xlabel: str,
    ylabel: str,
    empty: str,
) -> Figure:
    """One point per package: x = cost per capita (LAK a year), y = fall of ``indicator`` in
    percentage points (actual - scenario), each with its confidence interval.

    Points are numbered in the order of ``labels``; the legend gives the labels.
    """
    setup_style()
    fig = Figure(figsize=(WIDTH, 3.6))
    ax = fig.subplots()
    drawn = 0
    for i, (sid, label) in enumerate(labels.items()):
        cost = _row(df, sid, "cost", "cost_per_capita")
        fall = _row(df, sid, "change", indicator)
        if cost is None or fall is None or not math.isfinite(cost["estimate"]):
            continue
        color = PALETTE[i % len(PALETTE)]

        def err(r: pd.Series, scale: float) -> list[list[float]] | None:
            lo, hi, e = r["ci_low"], r["ci_high"], r["estimate"]
            if not (math.isfinite(lo) and math.isfinite(hi)):
                return None
            return [[(e - lo) * scale], [(hi - e) * scale]]

        x, y = cost["estimate"], fall["estimate"] * 100.0
        ax.errorbar(
            [x],
            [y],
            xerr=err(cost, 1.0),
            yerr=err(fall, 100.0),
            fmt="o",
            color=color,
            ecolor=color,
            elinewidth=1.3,
            markersize=6,
            label=f"{i + 1}. {label}".replace("$", r"\$"),
        )
        ax.annotate(
            str(i + 1), (x, y), xytext=(5, 5), textcoords="offset points", fontsize=9, color=color
        )
        drawn += 1
    if not drawn:
        ax.set_axis_off()
        ax.text(0.5, 0.5, empty, ha="center", va="center", color=GREY)
        return fig
    ax.axhline(0.0, color=GREY, linewidth=0.8)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.xaxis.set_major_formatter(lambda v, _pos: f"{v:,.0f}")
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.2), frameon=False, fontsize=8)
    return fig


def svg_data_uri(fig: Figure) -> str:
    """The figure as a byte-reproducible SVG data URI (the report's settings)."""
    buf = io.BytesIO()
    save_svg(fig, buf)
    return "data:image/svg+xml;base64," + base64.b64encode(buf.getvalue()).decode("ascii")
