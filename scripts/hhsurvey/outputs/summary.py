"""The executive summary of a round in one language, shared by the report and the translated
summary document (``results/report/{round}_summary_{lang}.html``).

One builder, :func:`round_summary`, for every language: the key messages of the brief's rules
(:mod:`hhsurvey.outputs.brief.messages`), the scenario line (the package with the largest fall
in catastrophic spending, :func:`hhsurvey.outputs.report.scenarios.headline`), the statements of
"What this means for the NHI" (:mod:`hhsurvey.outputs.implications`), the key findings and the
scenario summary. Every word is a gettext msgid (the report renders with English, the summary
document with its language's catalogue); numbers follow the locale (Babel); every LAK amount
carries its US dollars and its yardsticks (:mod:`hhsurvey.outputs.money`).
"""

from __future__ import annotations

import gettext as _gettext
import math
import os
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import pandas as pd

from hhsurvey.catalogue.model import load_catalogue as load_entries
from hhsurvey.catalogue.scenarios import ACTUAL
from hhsurvey.outputs.brief.cascade import cascade_data, cascade_figure, cascade_svg
from hhsurvey.outputs.brief.messages import assumption_marks_of, key_messages
from hhsurvey.outputs.i18n import LocaleFormat
from hhsurvey.outputs.implications import evaluate, load_rules
from hhsurvey.outputs.money import Money
from hhsurvey.outputs.report.format import (
    NO_FIGURE,
    PRECISION_MARKS,
    finite,
    flag_of,
    precision_class,
    text_of,
)
from hhsurvey.outputs.report.scenarios import headline

__all__ = [
    "MAX_KEY_FINDINGS",
    "VERDICTS",
    "findings",
    "round_summary",
    "scenario_line",
    "scenario_rows",
]

Gettext = Callable[[str], str]
MAX_KEY_FINDINGS = 10


def N_(text: str) -> str:  # noqa: N802 - the gettext convention: marks a msgid, translates later
    return text


#: The verdicts of national_comparison.csv (hhsurvey.analysis.compare), as msgids.
VERDICTS = (
    N_("higher than national"),
    N_("lower than national"),
    N_("not distinguishable from national"),
    N_("not comparable"),
    N_("no verdict (uncertain comparator or assumption)"),
    N_("estimate suppressed (n < 25)"),
    N_("not tested (no local standard error or CI)"),
    N_("for context only, not compared"),
)


class Words:
    """Numbers, units and fixed phrases in one language."""

    def __init__(self, lang: str, _: Gettext, money: Money, level: float) -> None:
        self.lang, self._, self.money = lang, _, money
        self.level_value = float(level)
        self.fmt = LocaleFormat(lang)
        self.level = self.fmt.number(100 * level) + "%"

    def value(self, x: Any, unit: str) -> str:
        if not finite(x):
            return ""
        if unit == "percent":
            return self.fmt.percent(float(x), 1)
        if unit == "lak":
            return self._("{amount} LAK").format(amount=self.fmt.number(float(x), 0))
        decimals = {"index": 3, "ratio": 2, "rate": 2}.get(unit, 1)
        return self.fmt.number(float(x), decimals)

    def points(self, x: float) -> str:
        return self._("{value} points").format(value=self.fmt.number(100 * x, 1))

    def ci(self, lo: Any, hi: Any, unit: str) -> str:
        # an interval of points says "points" once, after the estimate it goes with
        f = (
            (lambda v: self.fmt.number(100 * v, 1))
            if unit == "points"
            else (lambda v: self.value(v, unit))
        )
        if not (finite(lo) and finite(hi)):
            return ""
        return self._("{level} CI {low} to {high}").format(
            level=self.level, low=f(float(lo)), high=f(float(hi))
        )

    def money_note(self, lak_per_household_year: float) -> str:
        """The yardsticks of an amount per household and year."""
        return self.money.yardsticks(lak_per_household_year, self.fmt, self._)

    def lak_ci(self, estimate: Any, lo: Any, hi: Any) -> str:
        """``US$136; 95% CI 700,492 to 1,637,733 LAK, US$89.1 to US$208``: the dollars of
        the estimate, then the interval in LAK and in dollars."""
        if not (finite(lo) and finite(hi)):
            return ""
        text = self._("{level} CI {low} to {high}").format(
            level=self.level,
            low=self.fmt.number(float(lo), 0),
            high=self._("{amount} LAK").format(amount=self.fmt.number(float(hi), 0)),
        )
        if not self.money.has_usd:
            return text
        usd = self._("{low} to {high}").format(
            low=self.money.fmt_usd(float(lo), self.fmt),
            high=self.money.fmt_usd(float(hi), self.fmt),
        )
        return f"{self.money.fmt_usd(float(estimate), self.fmt)}; {text}, {usd}"


def _national(c: Mapping[str, Any], refs: Mapping[str, str], w: Words) -> dict[str, Any]:
    from hhsurvey.outputs.report.tables import context_only, national_value

    year = text_of(c["national_year"])
    context = context_only(c)
    verdict = "for context only, not compared" if context else text_of(c["verdict"])
    return {
        "ref": refs.get(c["comparator_id"], ""),
        "anchor": f"cmp-{c['comparator_id']}",
        # a share in the page's number format; other units as the comparison table gives them
        "value": w.fmt.percent(float(c["national_value"]), 1)
        if c["national_unit"] == "fraction" and finite(c["national_value"])
        else national_value(c["national_value"], c["national_unit"]).replace("\u00a0%", "%"),
        "when": w._("year not stated")
        if year.strip().lower() in ("", "not stated")
        else w._("in {year}").format(year=year),
        "what": text_of(c["national_label"]) if w.lang == "en" else "",
        "verdict": w._(verdict) if verdict else "",
        "uncertain": "uncertain source" in text_of(c["caveat"]),
        "differs": c["comparability"] == "definition_differs",
    }


def findings(
    catalogue: Mapping[str, Any],
    indicators: pd.DataFrame,
    comparison: pd.DataFrame,
    refs: Mapping[str, str],
    w: Words,
    not_in_instrument: set[str] = frozenset(),
    assumptions: Mapping[str, str] | None = None,
) -> list[dict[str, Any]]:
    """Up to ten key findings, the catalogue's ``key_rank`` order: estimate, CI, precision mark,
    US$ and yardsticks of an amount, and every national comparator. Suppressed estimates are
    skipped; caution ones keep their parentheses. A finding that rests on an assumption
    (*assumptions*: id -> reason, e.g. an assumed poverty line) carries the mark and the reason
    (in English; in another language the reason in general words)."""
    overall = indicators.loc[indicators["domain"].astype(str) == "total"]
    overall = overall.drop_duplicates("indicator").set_index("indicator")
    ranked = sorted(
        (e for e in catalogue.values() if e.key_rank is not None), key=lambda e: e.key_rank
    )
    out = []
    for e in ranked:
        if len(out) >= MAX_KEY_FINDINGS:
            break
        if e.id not in overall.index or e.id in not_in_instrument:
            continue
        r = overall.loc[e.id].to_dict()
        flag = flag_of(r["flag"])
        if flag == "suppressed" or not finite(r["estimate"]):
            continue
        lak = e.unit == "lak"
        value = w.value(r["estimate"], e.unit)
        comps = comparison.loc[
            (comparison["indicator"] == e.id) & (comparison["status"] != NO_FIGURE)
        ]
        out.append(
            {
                "id": e.id,
                "label": w._(e.label),
                "estimate": f"({value})" if flag == "caution" else value,
                "ci": w.lak_ci(r["estimate"], r["ci_low"], r["ci_high"])
                if lak
                else w.ci(r["ci_low"], r["ci_high"], e.unit),
                "caution": flag == "caution",
                "precision_mark": PRECISION_MARKS.get(precision_class(r), ""),
                "money": w.money_note(float(r["estimate"])) if e.unit == "lak" else "",
                "assumption": _assumption_text(e.id, assumptions, w),
                "national": [_national(c, refs, w) for c in comps.to_dict("records")],
            }
        )
    return out


def _assumption_text(iid: str, assumptions: Mapping[str, str] | None, w: Words) -> str:
    if iid not in (assumptions or {}):
        return ""
    if w.lang == "en":
        return f"this figure {assumptions[iid]}"
    return w._("this figure rests on a poverty line that is an assumption, not an official line")


def _fall(v: Mapping[str, Any] | None, w: Words) -> tuple[str, str]:
    if v is None:
        return "", ""
    return w.points(v["estimate"]), w.ci(v["ci_low"], v["ci_high"], "points")


def scenario_line(
    h: Mapping[str, Any] | None, labels: Mapping[str, str], w: Words
) -> dict[str, Any] | None:
    """The scenario line as words: package, fall with its CI, the levels, the costs in LAK and
    US$ (total, per person, per covered person beside the NHI payment)."""
    if h is None:
        return None
    _, fmt, money = w._, w.fmt, w.money
    fall, fall_ci = _fall(h["fall"], w)
    cost = h["cost_total"]
    per = h["cost_per_capita"]
    covered = h["cost_per_covered"]
    return {
        "id": h["id"],
        "package": _(h["label"]),
        "n": fmt.number(h["n_packages"]),
        "indicator": _(labels.get(h["indicator"], h["indicator"])),
        "fall": fall,
        "fall_ci": fall_ci,
        "significant": bool(h["significant"]),
        "actual": w.value(h["actual"]["estimate"], "percent") if h["actual"] else "",
        "level": w.value(h["level"]["estimate"], "percent") if h["level"] else "",
        "cost_total": money.lak_usd(cost["estimate"], fmt, _, scale=1e6) if cost else "",
        "cost_per_capita": money.lak_usd(per["estimate"], fmt, _) if per else "",
        "per_day": money.lak_usd(per["estimate"] / 365.0, fmt, _) if per else "",
        "share": fmt.percent(money.share_of_consumption_per_person(per["estimate"]) or 0, 2)
        if per and money.share_of_consumption_per_person(per["estimate"]) is not None
        else "",
        "cost_per_covered": money.lak_usd(covered["estimate"], fmt, _)
        if covered and not h["everyone"]
        else "",
        "nhi": money.nhi_text(fmt, _),
        "values": {
            "fall": h["fall"]["estimate"],
            "cost_total": cost["estimate"] if cost else math.nan,
            "cost_per_capita": per["estimate"] if per else math.nan,
        },
    }


def scenario_rows(
    df: pd.DataFrame | None, cfg: Mapping[str, Any], indicator: str, w: Words
) -> list[dict[str, str]]:
    """One row per package for the summary's table: fall in *indicator* with its CI and the
    cost per person a year in LAK and US$."""
    from hhsurvey.catalogue.scenarios import COST_PER_CAPITA, load_packages

    if df is None or df.empty or not cfg.get("packages"):
        return []
    total = df.loc[(df["domain"].astype(str) == "total") & (df["scenario"] != ACTUAL)]
    rows = []
    for p in load_packages(dict(cfg)):
        mine = total.loc[total["scenario"] == p.id]
        fall = mine.loc[(mine["measure"] == "change") & (mine["indicator"] == indicator)]
        cost = mine.loc[(mine["measure"] == "cost") & (mine["indicator"] == COST_PER_CAPITA)]
        f = fall.iloc[0] if len(fall) else None
        c = cost.iloc[0] if len(cost) else None
        hidden = f is None or flag_of(f["flag"]) == "suppressed"
        rows.append(
            {
                "id": p.id,
                "label": w._(p.label),
                "fall": "*" if hidden else w.points(float(f["estimate"])),
                "ci": "" if hidden else w.ci(f["ci_low"], f["ci_high"], "points"),
                "cost": w.money.lak_usd(float(c["estimate"]), w.fmt, w._) if c is not None else "",
            }
        )
    return rows


def round_summary(
    *,
    indicators: pd.DataFrame,
    comparison: pd.DataFrame,
    scenarios: pd.DataFrame | None,
    differences: pd.DataFrame | None,
    catalogue_path: str | os.PathLike[str],
    brief_spec: Mapping[str, Any],
    rules_path: str | os.PathLike[str] | None,
    config: Mapping[str, Any],
    money: Money,
    lang: str = "en",
    translations: _gettext.NullTranslations | None = None,
    not_in_instrument: set[str] = frozenset(),
    refs: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    """Everything the executive summary shows, in *lang*."""
    _ = (translations or _gettext.NullTranslations()).gettext
    level = float(config["design"]["level"])
    w = Words(lang, _, money, level)
    entries = {e.id: e for e in load_entries(str(catalogue_path))}
    labels = {i: e.label for i, e in entries.items()}
    units = {i: e.unit for i, e in entries.items()}
    assumptions = assumption_marks_of(entries, config)
    messages = key_messages(
        indicators,
        comparison,
        entries,
        brief_spec["messages"],
        _,
        lang=lang,
        level=level,
        differences=differences,
        assumptions=assumptions,
    )
    fonts = list(config.get("report", {}).get("fonts", {}).get("lao", [])) or []
    data = cascade_data(indicators, brief_spec["cascade"])
    fig = cascade_figure(data, brief_spec["cascade"], _, lang=lang, fonts=fonts, level=level)
    scfg = dict(config.get("scenarios") or {})
    indicator = (brief_spec.get("scenario") or {}).get("indicator", "")
    h = headline(scenarios, scfg, indicator) if indicator and scenarios is not None else None
    statements = []
    if rules_path:
        statements = evaluate(
            load_rules(rules_path),
            indicators=indicators,
            differences=differences,
            scenarios=scenarios,
            scenario_cfg=scfg,
            labels=labels,
            units=units,
            money=money,
            level=level,
            lang=lang,
            _=_,
        )
    if refs is None:
        from hhsurvey.outputs.report.tables import national_refs

        refs = national_refs(comparison.assign(status=comparison["status"].map(text_of)))
    return {
        "messages": [{"text": m.text, "indicators": list(m.indicator_ids)} for m in messages],
        "cascade_svg": cascade_svg(fig).encode("utf-8"),
        "scenario": scenario_line(h, labels, w),
        "scenario_rows": scenario_rows(scenarios, scfg, indicator, w) if indicator else [],
        "statements": [
            {"id": s.id, "title": s.title, "text": s.text, "evidence": list(s.evidence)}
            for s in statements
        ],
        "findings": findings(
            entries, indicators, comparison, refs, w, not_in_instrument, assumptions
        ),
        "level": w.level,
    }


def used_indicators(rules: Sequence[Mapping[str, Any]]) -> list[str]:
    """Indicator ids the statements' conditions name (their labels are msgids)."""
    out: list[str] = []
    for rule in rules:
        for cond in rule["when"]:
            for key in ("difference", "estimate", "scenario"):
                if key in cond and cond[key]["indicator"] not in out:
                    out.append(cond[key]["indicator"])
    return out
