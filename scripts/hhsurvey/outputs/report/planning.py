"""The report's endline-planning annex: the planning table in display form.

``results/{round}/endline_planning.csv`` (:func:`hhsurvey.analysis.planning.plan_endline`) gives
numbers; here they become the annex's text (percentage points for proportions, villages and
households needed) and the planned sample the annex describes.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = ["DISPLAY_HEADINGS", "display_table", "report_context"]

#: Column headings of the display table (one place, for translation with the report's strings).
DISPLAY_HEADINGS = {
    "indicator": "Indicator",
    "baseline": "Baseline",
    "deff": "Design effect",
    "icc": "ICC",
    "mdc_independent": "MDC, new sample",
    "mdc_revisit": "MDC, same villages",
    "target": "Target change",
    "needed_independent": "Villages (households) needed, new sample",
    "needed_revisit": "Villages (households) needed, same villages",
}


def display_table(
    plan: pd.DataFrame,
    labels: dict[str, str],
    units: dict[str, str],
    headings: dict[str, str] | None = None,
) -> pd.DataFrame:
    """The planning table in display form (percentage points for proportions), for the report.

    ``labels`` and ``units`` map indicator ids to the catalogue's label and unit; ``headings``
    (default ``DISPLAY_HEADINGS``) names the columns, e.g. in the report's language."""
    headings = headings or DISPLAY_HEADINGS

    def fmt(ind: str, x: float) -> str:
        if not np.isfinite(x):
            return "–"
        if units.get(ind) == "percent":
            return f"{100 * x:.1f} pp"
        return f"{x:,.0f}" if abs(x) >= 100 else f"{x:.2f}"

    def count(x: float) -> str:
        return "–" if not np.isfinite(x) else f"{int(x):,}"

    out = []
    for _, r in plan.iterrows():
        i = r["indicator"]
        out.append(
            {
                "indicator": labels.get(i, i),
                "baseline": (
                    f"{100 * r['estimate']:.1f} %"
                    if units.get(i) == "percent"
                    else fmt(i, r["estimate"])
                ),
                "deff": "–" if not np.isfinite(r["deff"]) else f"{r['deff']:.2f}",
                "icc": "–" if not np.isfinite(r["icc"]) else f"{r['icc']:.3f}",
                "mdc_independent": fmt(i, r["mdc_independent"]),
                "mdc_revisit": fmt(i, r["mdc_revisit"]),
                "target": fmt(i, r["target_change"]),
                "needed_independent": (
                    f"{count(r['villages_needed_independent'])} "
                    f"({count(r['households_needed_independent'])})"
                ),
                "needed_revisit": (
                    f"{count(r['villages_needed_revisit'])} "
                    f"({count(r['households_needed_revisit'])})"
                ),
            }
        )
    return pd.DataFrame(out, columns=list(headings)).rename(columns=headings)


def report_context(
    plan: pd.DataFrame | None,
    labels: dict[str, str],
    units: dict[str, str],
    config: dict,
) -> dict:
    """The report's planning annex: headings and rows as text, and the planned sample."""
    cfg = config.get("planning") or {}
    if plan is None or plan.empty or not cfg:
        return {"available": False}
    table = display_table(plan, labels, units)
    return {
        "available": True,
        "headings": list(table.columns),
        "rows": [[str(v) for v in row] for row in table.itertuples(index=False)],
        "villages": f"{int(cfg['endline_villages'])}",
        "households": f"{int(cfg['endline_households_per_village'])}",
        "power": f"{100 * float(cfg['power']):g} %",
        "alpha": f"{100 * float(cfg['alpha']):g} %",
        "correlation": f"{float(cfg['revisit_correlation']):g}",
    }
