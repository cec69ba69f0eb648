"""The translated summaries: a round's (``results/report/{round}_summary_{lang}.html``) and the
change report's (``results/report/change_summary_{lang}.html``), printed to PDF with the
round's other documents.

Ministry and NHI Bureau staff read Lao first. The summaries carry, in the language, what the
English reports open with: for a round, the four numbers, the key messages, the scenario line,
the key findings, "What this means for the NHI" with its evidence and the scenario summary;
for the change, the summary in words, "a change is not an effect" and the headline changes.
They are rendered from the same partials (``_summary.html.j2``, ``_change_summary.html.j2``)
and the same gettext catalogues as the reports, with the Lao font embedded as a subset; a
draft catalogue prints the draft-translation mark in the language and in English.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from hhsurvey.outputs.brief.build import load_spec as load_brief_spec
from hhsurvey.outputs.brief.build import tiles as brief_tiles
from hhsurvey.outputs.brief.messages import assumption_marks_of
from hhsurvey.outputs.i18n import LocaleFormat, load_translations, review_status
from hhsurvey.outputs.implications import read_differences
from hhsurvey.outputs.money import load_money
from hhsurvey.outputs.report.format import finite, read_csv
from hhsurvey.outputs.report.render import write_html
from hhsurvey.outputs.summary import Words, round_summary
from hhsurvey.prepare.poverty import assumption_marks

__all__ = ["change_headline", "write_change_summary", "write_round_summary"]


def write_round_summary(
    *,
    paths: Mapping[str, str],
    round_meta: Mapping[str, Any],
    config: Mapping[str, Any],
    lang: str,
    template: str | os.PathLike[str],
    css: str | os.PathLike[str],
    locale_dir: str | os.PathLike[str],
    out: str | os.PathLike[str],
    fonts: Sequence[str] = (),
) -> str:
    """Read the round's tables, render its summary in *lang*, write *out*; return the HTML.

    *paths*: ``indicators``, ``comparison``, ``weights_diagnostics``, ``catalogue``,
    ``brief`` (config/brief.yaml), ``implications`` (config/implications.yaml) and,
    optional, ``scenarios`` and ``differences``."""
    from hhsurvey.catalogue.model import load_catalogue

    indicators = read_csv(paths["indicators"])
    comparison = read_csv(paths["comparison"])
    comparison = comparison.assign(status=comparison["status"].fillna("").astype(str))
    diagnostics = read_csv(paths["weights_diagnostics"])
    scenarios = read_csv(paths["scenarios"]) if paths.get("scenarios") else None
    money = load_money(config, indicators, diagnostics)
    translations = load_translations(locale_dir, lang)
    _ = translations.gettext
    brief = load_brief_spec(paths["brief"])
    summary = round_summary(
        indicators=indicators,
        comparison=comparison,
        scenarios=scenarios,
        differences=read_differences(paths.get("differences")),
        catalogue_path=paths["catalogue"],
        brief_spec=brief,
        rules_path=paths.get("implications") or None,
        config=config,
        money=money,
        lang=lang,
        translations=translations,
    )
    fmt = LocaleFormat(lang)
    level = float(config["design"]["level"])
    entries = {e.id: e for e in load_catalogue(str(paths["catalogue"]))}
    indicator = (brief.get("scenario") or {}).get("indicator", "")
    fw = round_meta.get("fieldwork") or {}
    context = summary | {
        "lang": lang,
        "title": _(str(round_meta.get("title") or round_meta.get("name", ""))),
        "synthetic": bool(round_meta.get("synthetic", False)),
        "draft_translation": review_status(locale_dir, lang) != "reviewed",
        "fieldwork_start": str(fw.get("start", "")),
        "fieldwork_end": str(fw.get("end", "")),
        "price_year": str((config.get("prices") or {}).get("base_year", "")),
        "tiles": brief_tiles(
            indicators,
            entries,
            brief,
            _,
            fmt,
            fmt.number(100 * level) + "%",
            money,
            assumption_marks_of(entries, config),
        ),
        "scenario_indicator": _(entries[indicator].label) if indicator in entries else "",
        # the N-tags lead to the report's comparison table, which this page has not
        "national_links": False,
    }
    Path(out).parent.mkdir(parents=True, exist_ok=True)
    return write_html(context, template, css, out, translations=translations, fonts=fonts)


# --------------------------------------------------------------------------- the change


def N_(text: str) -> str:  # noqa: N802 - gettext convention: a msgid translated later
    return text


#: The two rounds as the translated change summary names them (msgids): a round's id
#: ("baseline") is a configuration key, not a word of the reader's language.
ROUND_NAMES = {"baseline": N_("the baseline round"), "endline": N_("the endline round")}
#: Units of a change as the summary names them (msgids).
CHANGE_UNITS = {"percent": N_("percentage points"), "lak": N_("LAK")}


def change_headline(
    catalogue: Any,
    change: pd.DataFrame,
    flags: Mapping[str, Any],
    suppress_below: int,
    w: Words,
    assumptions: Mapping[str, str] | None = None,
) -> list[dict[str, Any]]:
    """The headline changes in *w*'s language, with the keys of
    :func:`hhsurvey.outputs.change_report.headline_findings` (one template for both); an
    indicator resting on an assumed poverty line (*assumptions*) carries the mark."""
    from hhsurvey.outputs.change_report import headline_rows

    _ = w._
    out = []

    def shown(x: Any, unit: str, flag: str) -> str:
        text = w.value(x, unit)
        return f"({text})" if flag == "caution" else text

    def detectable(x: Any, unit: str) -> str:
        if unit == "percent":
            return f"{w.fmt.number(100.0 * float(x), 1)} {_(CHANGE_UNITS['percent'])}"
        return w.value(x, unit)

    def signed(x: Any, unit: str) -> str:
        v = float(x) * (100.0 if unit == "percent" else 1.0)
        text = w.fmt.number(v, 1 if unit == "percent" else 0)
        return text if text.startswith("-") else "+" + text

    alpha = 1.0 - w.level_value
    for iid, unit, r, cells in headline_rows(catalogue, change, flags, suppress_below, alpha):
        hidden = [role for role in ("baseline", "endline") if cells[f"{role}_flag"] == "suppressed"]
        adjusted = bool(r.get("adjusted"))
        p = r.get("p_adjusted") if adjusted else r.get("p_value")
        p_name = _("adjusted p") if adjusted else "p"
        why = _("not shown: fewer than {n} unweighted cases in the {rounds} round").format(
            n=suppress_below, rounds=" / ".join(hidden)
        )
        if cells["flag"] == "not applicable":
            why = _("not applicable: impossible in this group by construction")
        out.append(
            {
                "id": iid,
                "label": _(catalogue.label(iid)),
                "flag": cells["flag"],
                "why": why,
                "baseline_text": shown(r["baseline"], unit, cells["baseline_flag"]),
                "endline_text": shown(r["endline"], unit, cells["endline_flag"]),
                "change": signed(r["change"], unit),
                "change_unit": _(CHANGE_UNITS.get(unit, unit)),
                "change_ci": _("{low} to {high}").format(
                    low=signed(r["ci_low"], unit), high=signed(r["ci_high"], unit)
                )
                if finite(r["ci_low"])
                and finite(r["ci_high"])
                and cells["change_ci"] != "not estimable"
                else _("not estimable"),
                "significant": cells["significant"],
                "sig": cells["sig"],
                # the detectable change in the page's language (cells hold it in English)
                "mdc": detectable(r.get("mdc"), unit) if cells["mdc"] else "",
                "p_text": (
                    f"{p_name} < 0.001" if float(p) < 0.001 else f"{p_name} = {float(p):.3f}"
                )
                if finite(p) and cells["p"]
                else "",
                "assumption": _(
                    "this figure rests on a poverty line that is an assumption, not an official line"
                )
                if iid in (assumptions or {})
                else "",
            }
        )
    return out


def write_change_summary(
    *,
    paths: Mapping[str, Any],
    rounds: Mapping[str, Mapping[str, Any]],
    config: Mapping[str, Any],
    lang: str,
    template: str | os.PathLike[str],
    css: str | os.PathLike[str],
    locale_dir: str | os.PathLike[str],
    out: str | os.PathLike[str],
    fonts: Sequence[str] = (),
) -> str:
    """The change report's summary in *lang*: the summary in words, "a change is not an
    effect" and the headline changes. *paths*: ``change``, ``catalogue`` and per role
    (``baseline``, ``endline``) its ``indicators``."""
    from hhsurvey.outputs.change_report import (
        ROLES,
        change_summary,
        read_change,
        round_flags,
    )
    from hhsurvey.outputs.report.spec import load_catalogue

    translations = load_translations(locale_dir, lang)
    _ = translations.gettext
    level = float(config["design"]["level"])
    w = Words(lang, _, load_money(config), level)
    change = read_change(str(paths["change"]))
    catalogue = load_catalogue(paths["catalogue"])
    flags = {role: round_flags(read_csv(paths[role]["indicators"])) for role in ROLES}
    suppress_below = int((config.get("indicators") or {}).get("suppress_below", 25))
    lines, prices = config.get("poverty_lines"), config.get("prices")
    marks = assumption_marks(catalogue.entries, lines, prices) if lines and prices else {}
    items = change_headline(catalogue, change, flags, suppress_below, w, marks)
    summary = change_summary(items)
    names = {role: _(str(rounds[role].get("title") or rounds[role]["name"])) for role in ROLES}
    short = {role: _(ROUND_NAMES[role]) for role in ROLES}
    context = {
        "lang": lang,
        "title": _("Change between the baseline and the endline survey"),
        "names": short,
        "titles": names,
        "national_links": False,
        "synthetic": any(bool(r.get("synthetic")) for r in rounds.values()),
        "draft_translation": review_status(locale_dir, lang) != "reviewed",
        "level": w.level,
        "summary": summary,
        "headline": items,
        "base_year": str((config.get("prices") or {}).get("base_year", "")),
        "power": w.fmt.percent(float((config.get("planning") or {}).get("power", 0.8)), 0),
        "multiplicity": (config.get("change") or {}).get("multiplicity", "benjamini_hochberg")
        not in ("none", None, False),
    }
    Path(out).parent.mkdir(parents=True, exist_ok=True)
    return write_html(context, template, css, out, translations=translations, fonts=fonts)
