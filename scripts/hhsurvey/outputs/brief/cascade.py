"""The care cascade: population, ill, sought care, paid out of pocket, catastrophic spending,
impoverished, by insurance status, with confidence intervals.

The steps and groups are configuration (``cascade`` in config/brief.yaml): each step names an
indicator of indicators.csv and the base it is a share of, because the steps have different
denominators (care-seeking is a share of the ill, paying out of pocket a share of those who
sought care, catastrophic spending a share of all persons). Every bar is a published estimate
with its published interval; nothing is recombined here. A row that is missing (for example a
household indicator not yet broken down by insurance status) is marked "not available", a
suppressed one "*", never drawn as zero.

Labels are msgids translated by the caller's gettext; Lao is drawn with Noto Sans Lao, the rest
with DejaVu Sans (text is written as paths in the SVG, so the figure needs no font on the
reader's machine).
"""

from __future__ import annotations

import io
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from matplotlib import font_manager  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

from hhsurvey.outputs.brief.messages import quantity  # noqa: E402
from hhsurvey.outputs.i18n import LocaleFormat  # noqa: E402

__all__ = ["CASCADE_COLUMNS", "cascade_data", "cascade_figure", "cascade_svg"]

Gettext = Callable[[str], str]
CASCADE_COLUMNS = ["step", "indicator", "group", "estimate", "ci_low", "ci_high", "flag", "status"]
#: Okabe-Ito colours (as in hhsurvey.outputs.figures.charts): all, insured, not insured.
COLOURS = ["#555555", "#0072B2", "#E69F00", "#009E73", "#CC79A7"]
SVG_SALT = "hhsurvey-brief"
WIDTH_IN = 6.9


def cascade_data(indicators: pd.DataFrame, spec: Mapping[str, Any]) -> pd.DataFrame:
    """One row per step and group: the indicators.csv estimate and CI, or the reason it is not
    drawn (``status``: ``ok``, ``population``, ``suppressed``, ``not available``)."""
    rows = []
    for i, step in enumerate(spec["steps"]):
        iid = step["indicator"]
        for g in spec["groups"]:
            base = {"step": i, "indicator": iid or "", "group": g["label"]}
            if not iid:
                rows.append(
                    base
                    | dict(estimate=1.0, ci_low=1.0, ci_high=1.0, flag="")
                    | {"status": "population"}
                )
                continue
            q = quantity(indicators, iid, str(g["domain"]), str(g["level"]))
            if q is None:
                rows.append(
                    base
                    | dict(estimate=np.nan, ci_low=np.nan, ci_high=np.nan, flag="")
                    | {"status": "not available"}
                )
                continue
            status = "suppressed" if q.flag == "suppressed" else "ok"
            rows.append(
                base
                | dict(estimate=q.estimate, ci_low=q.ci_low, ci_high=q.ci_high, flag=q.flag)
                | {"status": status}
            )
    return pd.DataFrame(rows, columns=CASCADE_COLUMNS).astype(
        {"step": "int64", "estimate": "float64", "ci_low": "float64", "ci_high": "float64"}
    )


def _register_fonts(fonts: Sequence[str]) -> list[str]:
    """Add the Lao font files to matplotlib; return the family fallback list.

    The Lao font comes first: it has no Latin letters or digits (only the spaces), so
    matplotlib's per-glyph fallback draws Lao with it and everything else with DejaVu Sans,
    whose own Lao glyphs are not as well shaped (stacked tone marks).
    """
    families = []
    for f in fonts:
        if Path(f).is_file():
            font_manager.fontManager.addfont(str(f))
            name = font_manager.FontProperties(fname=str(f)).get_name()
            if name not in families:
                families.append(name)
    return [*families, "DejaVu Sans"]


def cascade_figure(
    data: pd.DataFrame,
    spec: Mapping[str, Any],
    gettext: Gettext,
    lang: str = "en",
    fonts: Sequence[str] = (),
    level: float = 0.95,
) -> Figure:
    """Horizontal grouped bars: one block per step (top to bottom), one bar per group, CIs as
    error bars and the value printed at the end of each bar (locale number format)."""
    _ = gettext
    fmt = LocaleFormat(lang)
    families = _register_fonts(fonts)
    steps = spec["steps"]
    groups = [g["label"] for g in spec["groups"]]
    n_g = len(groups)
    height = 0.8 / n_g
    with plt.rc_context(
        {
            "font.family": families,
            "font.size": 8,
            "svg.hashsalt": SVG_SALT,
            "svg.fonttype": "path",
            "axes.spines.top": False,
            "axes.spines.right": False,
        }
    ):
        fig, ax = plt.subplots(figsize=(WIDTH_IN, 3.5), layout="constrained")
        for j, g in enumerate(groups):
            sub = data.loc[data["group"] == g].set_index("step")
            for i in range(len(steps)):
                r = sub.loc[i]
                y = i + (j - (n_g - 1) / 2) * height
                if r["status"] in ("ok", "population"):
                    est = 100 * r["estimate"]
                    ax.barh(
                        y,
                        est,
                        height=height * 0.9,
                        color=COLOURS[j % len(COLOURS)],
                        label=_(g) if i == 0 else None,
                        gid=f"bar-{i}-{j}",
                    )
                    if r["status"] == "ok":
                        ax.errorbar(
                            est,
                            y,
                            xerr=[[est - 100 * r["ci_low"]], [100 * r["ci_high"] - est]],
                            fmt="none",
                            ecolor="#222222",
                            elinewidth=0.8,
                            capsize=2,
                        )
                    right = 100 * (r["ci_high"] if r["status"] == "ok" else r["estimate"])
                    text = fmt.percent(r["estimate"], 0 if r["status"] == "population" else 1)
                    if r["flag"] == "caution":
                        text = f"({text})"
                    ax.text(right + 1.2, y, text, va="center", fontsize=7)
                else:
                    text = "*" if r["status"] == "suppressed" else _("not available")
                    ax.text(1.2, y, text, va="center", fontsize=7, color="#555555")
        ax.set_yticks(range(len(steps)))
        ax.set_yticklabels([f"{_(s['label'])}\n{_(s['base'])}" for s in steps])
        ax.invert_yaxis()
        ax.set_xlim(0, 118)
        ax.set_xticks([0, 20, 40, 60, 80, 100])
        ax.set_xticklabels([fmt.number(t) + "%" for t in (0, 20, 40, 60, 80, 100)])
        ax.set_xlabel(
            _("Per cent of the base shown under each step; lines show {level} CIs").format(
                level=fmt.number(100 * level) + "%"
            )
        )
        ax.grid(axis="x", color="#dddddd", linewidth=0.6)
        ax.set_axisbelow(True)
        ax.legend(loc="lower right", frameon=False, fontsize=7.5)
    return fig


def cascade_svg(fig: Figure) -> str:
    """The figure as SVG text (reproducible: fixed hash salt, no date), and close it."""
    buf = io.StringIO()
    with plt.rc_context({"svg.hashsalt": SVG_SALT, "svg.fonttype": "path"}):
        fig.savefig(buf, format="svg", metadata={"Date": None})
    plt.close(fig)
    return buf.getvalue()
