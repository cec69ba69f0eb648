"""The two-page district brief, in each language of ``report.languages``.

Page 1: the round and (for simulated data) a first-line warning, four headline tiles (estimate,
confidence interval, the uncertainty in words) and the key messages of
:mod:`hhsurvey.outputs.brief.messages`. Page 2: the care cascade (:mod:`hhsurvey.outputs.brief.cascade`), the national
figures whose definition matches ours, one line on the sample and the method, and where the
full report is. Everything is read from indicators.csv and national_comparison.csv, the same
files as the report.

The page is self-contained: inline CSS, the cascade as a data-URI SVG, the Lao font subset as a
data-URI @font-face (:mod:`hhsurvey.outputs.fonts`), and a Content-Security-Policy that lets nothing else
load. Every string is a gettext msgid (jinja2.ext.i18n, catalogues in report/locale) and
numbers follow the locale (Babel). :func:`hhsurvey.outputs.pdf.print_pdf` prints the page with
Debian's Chromium, as it prints the report.
"""

from __future__ import annotations

import base64
import gettext as _gettext
import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import jsonschema
import pandas as pd
import yaml

from hhsurvey.catalogue.model import load_catalogue
from hhsurvey.catalogue.national import comparable
from hhsurvey.engine.columns import DIFFERENCE_COLUMNS
from hhsurvey.errors import InputError
from hhsurvey.outputs.brief.cascade import cascade_data, cascade_figure, cascade_svg
from hhsurvey.outputs.brief.messages import (
    KeyMessage,
    assumption_marks_of,
    key_messages,
    quantity,
)
from hhsurvey.outputs.fonts import FONT_FAMILY, embedded_font_css
from hhsurvey.outputs.i18n import LocaleFormat, load_translations, review_status
from hhsurvey.outputs.money import Money, load_money
from hhsurvey.outputs.report.format import MULTIPLICITY_NAMES
from hhsurvey.outputs.report.render import csp, environment, trusted
from hhsurvey.outputs.report.scenarios import headline
from hhsurvey.outputs.summary import Words, scenario_line
from hhsurvey.paths import REPO
from hhsurvey.yamlsafe import load_yaml

__all__ = [
    "brief_context",
    "load_spec",
    "render_brief",
    "tiles",
    "write_brief",
]

SCHEMA = REPO / "workflow" / "schemas" / "brief.schema.yaml"

#: Columns the brief reads from each result table.
INDICATOR_COLUMNS = ("indicator", "domain", "level", "estimate", "ci_low", "ci_high", "flag")
COMPARISON_COLUMNS = (
    "indicator",
    "estimate",
    "flag",
    "national_value",
    "national_year",
    "verdict",
    "comparability",
    "source_type",
)


def _read_csv(path: str, columns: Sequence[str]) -> pd.DataFrame:
    """A result CSV (empty cells missing, nothing else reinterpreted) with *columns*."""
    try:
        df = pd.read_csv(path, keep_default_na=False, na_values=[""])
    except FileNotFoundError:
        raise InputError(
            "a result table the brief needs is missing", str(path), "run the workflow first"
        ) from None
    missing = [c for c in columns if c not in df.columns]
    if missing:
        raise InputError(
            f"the table lacks column(s) {', '.join(missing)}",
            str(path),
            "rebuild it with the current pipeline",
        )
    return df.assign(flag=df["flag"].fillna("").astype("str")) if "flag" in df else df


def load_spec(path: str | os.PathLike[str]) -> dict[str, Any]:
    """config/brief.yaml, validated against workflow/schemas/brief.schema.yaml."""
    try:
        spec = load_yaml(Path(path).read_text(encoding="utf-8"), str(path))
        schema = yaml.safe_load(SCHEMA.read_text(encoding="utf-8"))
        jsonschema.validate(spec, schema)
    except OSError as err:
        raise InputError(f"cannot read {path}: {err}", str(path), "restore the file") from err
    except jsonschema.ValidationError as err:
        raise InputError(
            f"the brief configuration is invalid: {err.message}",
            f"{path}: {'/'.join(map(str, err.absolute_path))}",
            "compare it with workflow/schemas/brief.schema.yaml",
        ) from err
    return spec


def _precision(q: Any, spec: Mapping[str, Any]) -> str:
    """Key of the uncertainty in words (relative half-width of the CI)."""
    if q.estimate == 0:
        return "rough"
    rel = (q.ci_high - q.ci_low) / 2 / abs(q.estimate)
    if rel < spec["precision"]["fairly_precise"]:
        return "fairly_precise"
    if rel < spec["precision"]["approximate"]:
        return "approximate"
    return "rough"


def tiles(
    ind, catalogue, spec, _, fmt, level_text, money=None, assumptions=None
) -> list[dict[str, Any]]:
    """The four headline tiles of config/brief.yaml (``tiles``): estimate, CI, the uncertainty
    in words, for an amount its US dollars, and the mark of a figure resting on an assumed
    poverty line."""
    precision_text = {
        "fairly_precise": _("fairly precise"),
        "approximate": _("approximate"),
        "rough": _("rough: read with care"),
    }
    tiles = []
    for iid in spec["tiles"]:
        e = catalogue.get(iid)
        q = quantity(ind, iid, "total", "total")
        tile = {"id": iid, "label": _(e.label) if e else iid, "available": False}
        if e is None or q is None or not q.usable:
            tile["missing"] = _("not available") if q is None else "*"
            tiles.append(tile)
            continue

        def value(x: float, unit: str = e.unit) -> str:
            if unit == "percent":
                return fmt.percent(x, 1)
            if unit == "lak":
                if money is not None:
                    return money.lak_usd(x, fmt, _)
                return _("{amount} LAK").format(amount=fmt.number(x, 0))
            return fmt.number(x, 1)

        tile |= {
            "available": True,
            "estimate": value(q.estimate),
            "ci": _("{level} CI {low} to {high}").format(
                level=level_text, low=value(q.ci_low), high=value(q.ci_high)
            ),
            "words": _("The true value is probably between {low} and {high}: {precision}.").format(
                low=value(q.ci_low),
                high=value(q.ci_high),
                precision=precision_text[_precision(q, spec)],
            ),
            "caution": q.flag == "caution",
            # a figure resting on an assumed poverty line is never shown without its mark
            "assumption": _("Rests on an assumed poverty line (no official line was found).")
            if iid in (assumptions or {})
            else "",
            "values": {"estimate": q.estimate, "ci_low": q.ci_low, "ci_high": q.ci_high},
        }
        tiles.append(tile)
    return tiles


def _attr_label(e: Any) -> str:
    return str(e["label"] if isinstance(e, Mapping) else e.label)


def _national_rows(comparison, catalogue, _, fmt) -> list[dict[str, Any]]:
    """The national figures that support a verdict (the one rule of the report and the change
    report too: :func:`hhsurvey.catalogue.national.comparable`)."""
    if comparison.empty:
        return []
    rows = comparison.loc[comparable(comparison)]
    out = []
    for r in rows.to_dict("records"):
        e = catalogue.get(r["indicator"])
        if e is None or e.unit != "percent" or str(r.get("flag", "")) == "suppressed":
            continue
        out.append(
            {
                "label": _(e.label),
                "estimate": fmt.percent(float(r["estimate"]), 1),
                "national": fmt.percent(float(r["national_value"]), 1),
                "year": str(r["national_year"]),
                "verdict": {
                    "higher than national": _("higher than national"),
                    "lower than national": _("lower than national"),
                    "not distinguishable from national": _("not distinguishable"),
                }.get(str(r["verdict"]), ""),
                "values": {"estimate": float(r["estimate"]), "national": r["national_value"]},
            }
        )
    return out


def _sample(diagnostics: pd.DataFrame, frame: pd.DataFrame, lang: str) -> dict[str, Any]:
    overall = diagnostics.loc[diagnostics["scope"] == "overall"].set_index("measure")["value"]

    def get(measure: str) -> float | None:
        v = overall.get(measure)
        return None if v is None or pd.isna(v) else float(v)

    name_col = "village_lo" if lang == "lo" and "village_lo" in frame.columns else "village_en"
    selected = frame
    if "selected" in frame.columns:
        selected = frame.loc[frame["selected"].astype("float64") == 1]
    names = [str(x) for x in selected[name_col].dropna()] if name_col in selected.columns else []
    return {
        "households": get("households_responding"),
        "villages": get("villages_with_respondents") or float(len(names)),
        "response_rate": get("response_rate"),
        "village_names": names,
    }


def brief_context(
    *,
    indicators: pd.DataFrame,
    comparison: pd.DataFrame,
    catalogue: Mapping[str, Any],
    spec: Mapping[str, Any],
    config: Mapping[str, Any],
    round_meta: Mapping[str, Any],
    diagnostics: pd.DataFrame,
    frame: pd.DataFrame,
    lang: str,
    translations: _gettext.NullTranslations,
    reviewed: str = "reviewed",
    scenarios: pd.DataFrame | None = None,
    money: Money | None = None,
    differences: pd.DataFrame | None = None,
) -> dict[str, Any]:
    """Everything the brief template shows, translated and formatted for *lang*.

    *differences*: the round's differences.csv (the tested pairs of the key messages)."""
    _ = translations.gettext
    money = money or Money()
    fmt = LocaleFormat(lang)
    level = float(config["design"]["level"])
    level_text = fmt.number(100 * level) + "%"
    assumptions = assumption_marks_of(catalogue, config)
    messages: list[KeyMessage] = key_messages(
        indicators,
        comparison,
        catalogue,
        spec["messages"],
        _,
        lang=lang,
        level=level,
        differences=differences,
        assumptions=assumptions,
    )
    fonts = list(config.get("report", {}).get("fonts", {}).get("lao", [])) or []
    data = cascade_data(indicators, spec["cascade"])
    fig = cascade_figure(data, spec["cascade"], _, lang=lang, fonts=fonts, level=level)
    svg = cascade_svg(fig)
    alt_parts = []
    for s_i, step in enumerate(spec["cascade"]["steps"]):
        cells = []
        for r in data.loc[data["step"] == s_i].to_dict("records"):
            shown = fmt.percent(r["estimate"], 1) if r["status"] == "ok" else _("not available")
            if r["status"] == "population":
                shown = fmt.percent(1.0, 0)
            cells.append(f"{_(r['group'])} {shown}")
        alt_parts.append(f"{_(step['label'])} ({_(step['base'])}): " + ", ".join(cells))
    sample = _sample(diagnostics, frame, lang)
    n_compared = int(comparison["national_value"].notna().sum()) if not comparison.empty else 0
    indicator = (spec.get("scenario") or {}).get("indicator", "")
    scfg = dict(config.get("scenarios") or {})
    h = headline(scenarios, scfg, indicator) if indicator and scenarios is not None else None
    labels = {i: _attr_label(e) for i, e in catalogue.items()}
    return {
        "lang": lang,
        "round": str(round_meta["name"]),
        "title": _(str(round_meta.get("title") or round_meta["name"])),
        "scenario": scenario_line(h, labels, Words(lang, _, money, level)),
        "synthetic": bool(round_meta.get("synthetic", False)),
        "draft_translation": reviewed != "reviewed",
        "fieldwork_start": str(round_meta["fieldwork"]["start"]),
        "fieldwork_end": str(round_meta["fieldwork"]["end"]),
        "level": level_text,
        "tiles": tiles(indicators, catalogue, spec, _, fmt, level_text, money, assumptions),
        "messages": messages,
        "testing": _testing(differences, _),
        "cascade_src": "data:image/svg+xml;base64,"
        + base64.b64encode(svg.encode("utf-8")).decode("ascii"),
        "cascade_alt": _("Care cascade by insurance status.") + " " + "; ".join(alt_parts) + ".",
        "cascade": data,
        "national": _national_rows(comparison, catalogue, _, fmt),
        "n_national_other": n_compared,
        "households": fmt.number(sample["households"] or 0),
        "villages": fmt.number(sample["villages"] or 0),
        "response_rate": fmt.percent(sample["response_rate"] or 0, 0),
        "village_names": sample["village_names"],
        "report_file": f"{round_meta['name']}.html",
        "font_family": FONT_FAMILY,
    }


def _testing(differences: pd.DataFrame | None, _: Any) -> str:
    """How a difference between groups is tested, in words (the brief's method note)."""
    if differences is None or differences.empty:
        return _("No difference between groups was tested for this round.")
    n = int(pd.to_numeric(differences["tests_in_family"], errors="coerce").max() or 0)
    method = MULTIPLICITY_NAMES.get(str(differences["multiplicity"].iloc[0]))
    if method is None:
        return _(
            "A difference between two groups is stated only when a design-based test of that "
            "difference is significant ({n} differences screened, without adjustment for "
            "multiple comparisons)."
        ).format(n=n)
    return _(
        "A difference between two groups is stated only when a design-based test of that "
        "difference is significant after the {method} adjustment for the {n} differences "
        "screened."
    ).format(method=method, n=n)


def render_brief(
    context: Mapping[str, Any],
    template: str | os.PathLike[str],
    css: str | os.PathLike[str],
    translations: _gettext.NullTranslations,
    fonts: Sequence[str] = (),
) -> str:
    """The brief's HTML: the template rendered with the stylesheet and Lao font inlined."""
    template = Path(template)
    env = environment(template.parent, translations)
    tpl = env.get_template(template.name)
    # First pass without the font, to learn which Lao characters the page holds.
    base_css = Path(css).read_text(encoding="utf-8")
    draft = tpl.render(**context, css=trusted(""), csp="")
    font_css = embedded_font_css(draft, fonts) if fonts else ""
    css_text = font_css + "\n" + base_css
    return tpl.render(**context, css=trusted(css_text, str(css)), csp=csp(css_text))


def write_brief(
    *,
    paths: Mapping[str, str],
    round_meta: Mapping[str, Any],
    config: Mapping[str, Any],
    lang: str,
    template: str,
    css: str,
    locale_dir: str,
    out: str,
) -> str:
    """Read the inputs named in *paths*, render the brief in *lang*, write *out*."""
    indicators = _read_csv(paths["indicators"], INDICATOR_COLUMNS)
    comparison = _read_csv(paths["comparison"], COMPARISON_COLUMNS)
    # the tested differences between groups (rule estimate_differences); without them the
    # brief states no difference
    differences = (
        _read_csv(paths["differences"], DIFFERENCE_COLUMNS) if paths.get("differences") else None
    )
    diagnostics = _read_csv(paths["weights_diagnostics"], ("scope", "measure", "value"))
    frame = pd.read_parquet(paths["frame"])
    catalogue = {e.id: e for e in load_catalogue(paths["catalogue"])}
    spec = load_spec(paths["brief"])
    translations = load_translations(locale_dir, lang)
    scenarios = None
    if paths.get("scenarios"):
        scenarios = pd.read_csv(paths["scenarios"], keep_default_na=False, na_values=[""])
    money = load_money(config, indicators, diagnostics)
    context = brief_context(
        indicators=indicators,
        comparison=comparison,
        catalogue=catalogue,
        spec=spec,
        config=config,
        round_meta=round_meta,
        diagnostics=diagnostics,
        frame=frame,
        lang=lang,
        translations=translations,
        reviewed=review_status(locale_dir, lang),
        scenarios=scenarios,
        money=money,
        differences=differences,
    )
    fonts = list(config.get("report", {}).get("fonts", {}).get("lao", []))
    html = render_brief(context, template, css, translations, fonts=fonts)
    Path(out).parent.mkdir(parents=True, exist_ok=True)
    Path(out).write_text(html, encoding="utf-8")
    return html
