""" "What this means for the NHI": statements written by rules (``config/implications.yaml``)
from tested results, each with its evidence.

A rule is a list of conditions and an English text (a gettext msgid). The statement is written
only when every condition holds; a condition whose table or row is missing fails, so a run
without the table simply has no such statement. Conditions:

``difference``
    A tested difference between two groups of one round, a row of ``differences.csv``
    (:data:`DIFFERENCE_COLUMNS`, the table of design-based contrasts with the multiplicity
    correction of its ``family``). ``test``: ``higher`` / ``lower`` (``significant`` with that
    sign of a - b), ``differs`` (``significant``), ``not_different`` (not significant). The
    pair may be stored either way round (b, a): the sign is turned.
``estimate``
    A published estimate of ``indicators.csv``: it supplies a number, it tests nothing.
``scenario``
    The benefit packages of ``scenarios.csv`` (:func:`hhsurvey.outputs.report.scenarios.headline`):
    the package with the largest fall in the indicator (``largest``) or the largest fall per
    LAK per person among packages whose fall has a CI above zero (``best_value``).

Every statement carries its evidence: for each condition the estimates with their CIs, the
test (difference, CI, p-value, its adjustment) and the table it comes from. The texts name no
cause (the survey shows associations; the scenarios are simulations); a test checks the
config for causal words. The executive summary lists the same statements.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import jsonschema
import pandas as pd
import yaml

from hhsurvey.engine.columns import DIFFERENCE_COLUMNS
from hhsurvey.errors import InputError
from hhsurvey.outputs.i18n import LocaleFormat
from hhsurvey.outputs.money import Money
from hhsurvey.outputs.report.format import MULTIPLICITY_NAMES, finite, truthy
from hhsurvey.outputs.report.scenarios import headline as scenario_headline
from hhsurvey.paths import REPO

__all__ = [
    "Statement",
    "evaluate",
    "load_rules",
    "read_differences",
]

SCHEMA = REPO / "workflow" / "schemas" / "implications.schema.yaml"
Gettext = Callable[[str], str]


@dataclass(frozen=True)
class Statement:
    """One statement: the rule's id, its title and text with the numbers filled in, and the
    evidence lines (one per condition)."""

    id: str
    title: str
    text: str
    evidence: tuple[str, ...]
    indicators: tuple[str, ...] = ()
    values: dict[str, float] = field(default_factory=dict)


def load_rules(path: str | os.PathLike[str]) -> list[dict[str, Any]]:
    """config/implications.yaml, validated against its schema."""
    try:
        doc = yaml.safe_load(Path(path).read_text(encoding="utf-8")) or {}
        jsonschema.validate(doc, yaml.safe_load(SCHEMA.read_text(encoding="utf-8")))
    except OSError as err:
        raise InputError(f"cannot read {path}: {err}", str(path), "restore the file") from err
    except jsonschema.ValidationError as err:
        raise InputError(
            f"the statements of 'What this means' are invalid: {err.message}",
            f"{path}: {'/'.join(map(str, err.absolute_path))}",
            "compare it with workflow/schemas/implications.schema.yaml",
        ) from err
    for rule in doc["statements"]:
        for cond in rule["when"]:
            if "difference" in cond and "test" not in cond:
                raise InputError(
                    f"statement '{rule['id']}': a difference condition without a test",
                    str(path),
                    "add test: higher | lower | differs | not_different",
                )
    return list(doc["statements"])


def read_differences(path: str | os.PathLike[str] | None) -> pd.DataFrame | None:
    """differences.csv, or None when the run has none (its statements are then left out)."""
    if not path or not Path(path).is_file():
        return None
    df = pd.read_csv(path, keep_default_na=False, na_values=[""])
    missing = [c for c in DIFFERENCE_COLUMNS if c not in df.columns]
    if missing:
        raise InputError(
            f"the table of tested differences lacks column(s) {', '.join(missing)}",
            str(path),
            "rebuild it with the current pipeline",
        )
    return df.assign(
        level_a=df["level_a"].astype(str),
        level_b=df["level_b"].astype(str),
        by=df["by"].astype(str),
    )


class _Words:
    """Numbers and group names in the statement's language."""

    def __init__(
        self, lang: str, _: Gettext, units: Mapping[str, str], money: Money, level: float
    ) -> None:
        self.fmt, self._, self.units, self.money = LocaleFormat(lang), _, units, money
        self.level = self.fmt.number(100 * level) + "%"

    def value(self, x: float, iid: str) -> str:
        unit = self.units.get(iid, "")
        if unit == "percent":
            return self.fmt.percent(x, 1)
        if unit == "lak":
            return self.money.lak_usd(x, self.fmt, self._)
        return self.fmt.number(x, 2)

    def diff(self, x: float, iid: str) -> str:
        if self.units.get(iid) == "percent":
            sign = "+" if x > 0 else ""
            return self._("{value} points").format(value=sign + self.fmt.number(100 * x, 1))
        return ("+" if x > 0 else "") + self.value(x, iid)

    def ci(self, lo: float, hi: float, iid: str, diff: bool = False) -> str:
        f = self.diff if diff else self.value
        if diff and self.units.get(iid) == "percent":  # "points" once, after the difference

            def f(x: float, _iid: str) -> str:
                return ("+" if x > 0 else "") + self.fmt.number(100 * x, 1)

        return self._("{level} CI {low} to {high}").format(
            level=self.level, low=f(lo, iid), high=f(hi, iid)
        )

    def group(self, by: str, level: str) -> str:
        _ = self._
        names = {
            "quintile": {"1": _("the poorest fifth"), "5": _("the richest fifth")},
            "insured_status": {"insured": _("insured"), "not insured": _("not insured")},
            "area": {"urban": _("urban"), "rural": _("rural")},
        }
        if by == "quintile" and level not in names["quintile"]:
            return _("quintile {q}").format(q=level)
        return names.get(by, {}).get(level, level)


def _difference(cond, k, differences, labels, w) -> tuple[dict, str] | None:
    sel = cond["difference"]
    if differences is None:
        return None
    d = differences.loc[
        (differences["indicator"] == sel["indicator"]) & (differences["by"] == sel["by"])
    ]
    a, b = str(sel["a"]), str(sel["b"])
    row, sign = None, 1.0
    for la, lb, s in ((a, b, 1.0), (b, a, -1.0)):
        hit = d.loc[(d["level_a"] == la) & (d["level_b"] == lb)]
        if len(hit):
            row, sign = hit.iloc[0], s
            break
    if row is None or not all(finite(row[c]) for c in ("estimate_a", "estimate_b", "difference")):
        return None
    ea, eb = (
        (row["estimate_a"], row["estimate_b"])
        if sign > 0
        else (row["estimate_b"], row["estimate_a"])
    )
    diff = sign * float(row["difference"])
    lo, hi = sorted((sign * float(row["ci_low"]), sign * float(row["ci_high"])))
    sig = truthy(row["significant"])
    ok = {
        "higher": sig and diff > 0,
        "lower": sig and diff < 0,
        "differs": sig,
        "not_different": not sig,
    }[cond["test"]]
    if not ok:
        return None
    iid, _ = sel["indicator"], w._
    p = row["p_adjusted"] if finite(row["p_adjusted"]) else row["p_value"]
    p_text = (
        "p < 0.001"
        if finite(p) and float(p) < 0.001
        else f"p = {float(p):.3f}"
        if finite(p)
        else ""
    )
    adjusted = finite(row["p_adjusted"])
    evidence = _(
        "{label}, {a} against {b}: {est_a} and {est_b}; difference {diff} ({ci}), {p}{adjusted};"
        " a design-based test of the difference; table differences.csv"
    ).format(
        label=_(labels.get(iid, iid)),
        a=w.group(sel["by"], a),
        b=w.group(sel["by"], b),
        est_a=w.value(float(ea), iid),
        est_b=w.value(float(eb), iid),
        diff=w.diff(diff, iid),
        ci=w.ci(lo, hi, iid, diff=True),
        p=p_text,
        adjusted=(
            " "
            + _("adjusted for the {n} differences screened ({method})").format(
                n=w.fmt.number(int(row["tests_in_family"])),
                method=MULTIPLICITY_NAMES.get(str(row["multiplicity"]), str(row["multiplicity"])),
            )
        )
        if adjusted
        else "",
    )
    values = {f"a{k}": float(ea), f"b{k}": float(eb), f"d{k}": diff}
    words = {
        f"a{k}": w.value(float(ea), iid),
        f"b{k}": w.value(float(eb), iid),
        f"d{k}": w.diff(diff, iid),
    }
    return {"values": values, "words": words, "ids": (iid,)}, evidence


def _estimate(cond, k, indicators, labels, w) -> tuple[dict, str] | None:
    sel = cond["estimate"]
    iid = sel["indicator"]
    domain, level = str(sel.get("domain", "total")), str(sel.get("level", "total"))
    rows = indicators.loc[
        (indicators["indicator"] == iid)
        & (indicators["domain"].astype(str) == domain)
        & (indicators["level"].astype(str) == level)
    ]
    if rows.empty:
        return None
    r = rows.iloc[0]
    flag = "" if pd.isna(r.get("flag")) else str(r.get("flag"))
    if flag == "suppressed" or not finite(r["estimate"]):
        return None
    est = float(r["estimate"])
    evidence = w._("{label}: {estimate} ({ci}); table indicators.csv").format(
        label=w._(labels.get(iid, iid)),
        estimate=w.value(est, iid),
        ci=w.ci(float(r["ci_low"]), float(r["ci_high"]), iid),
    )
    return {
        "values": {f"e{k}": est},
        "words": {f"e{k}": w.value(est, iid)},
        "ids": (iid,),
    }, evidence


def _scenario(cond, k, scenarios, scenario_cfg, labels, w) -> tuple[dict, str] | None:
    sel = cond["scenario"]
    iid = sel["indicator"]
    if scenarios is None or scenarios.empty:
        return None
    h = scenario_headline(scenarios, scenario_cfg, iid)
    if h is None:
        return None
    p = h if sel["select"] == "largest" else h["best_value"]
    if p is None or p["cost_per_capita"] is None:
        return None
    _ = w._
    fall = p["fall"]
    fall_text = w.diff(fall["estimate"], iid)
    cost = w.money.lak_usd(p["cost_per_capita"]["estimate"], w.fmt, _)
    evidence = _(
        "{label} under “{package}”: a fall of {fall} ({ci}), a paired difference on the same"
        " households; cost to the fund {cost} per person a year; table scenarios.csv"
    ).format(
        label=_(labels.get(iid, iid)),
        package=_(p["label"]),
        fall=fall_text,
        ci=w.ci(fall["ci_low"], fall["ci_high"], iid, diff=True),
        cost=cost,
    )
    words = {
        f"package{k}": _(p["label"]),
        f"fall{k}": fall_text,
        f"cost{k}": cost,
        f"n{k}": w.fmt.number(h["n_packages"]),
    }
    values = {f"fall{k}": fall["estimate"], f"cost{k}": p["cost_per_capita"]["estimate"]}
    return {"values": values, "words": words, "ids": (iid,)}, evidence


def evaluate(
    rules: Sequence[Mapping[str, Any]],
    *,
    indicators: pd.DataFrame,
    differences: pd.DataFrame | None,
    scenarios: pd.DataFrame | None,
    scenario_cfg: Mapping[str, Any],
    labels: Mapping[str, str],
    units: Mapping[str, str],
    money: Money,
    level: float = 0.95,
    lang: str = "en",
    _: Gettext = str,
) -> list[Statement]:
    """The statements whose conditions all hold, in the order of the rules."""
    w = _Words(lang, _, units, money, level)
    out = []
    for rule in rules:
        words: dict[str, str] = {}
        values: dict[str, float] = {}
        evidence, ids = [], []
        for k, cond in enumerate(rule["when"], start=1):
            if "difference" in cond:
                got = _difference(cond, k, differences, labels, w)
            elif "estimate" in cond:
                got = _estimate(cond, k, indicators, labels, w)
            else:
                got = _scenario(cond, k, scenarios, scenario_cfg, labels, w)
            if got is None:
                break
            part, line = got
            words |= part["words"]
            values |= part["values"]
            ids += [i for i in part["ids"] if i not in ids]
            evidence.append(line)
        else:
            msgid, title = (" ".join(rule[k].split()) for k in ("text", "title"))
            text = " ".join(_(msgid).split())
            out.append(
                Statement(
                    id=rule["id"],
                    title=_(title),
                    text=text.format(**words),
                    evidence=tuple(evidence),
                    indicators=tuple(ids),
                    values=values,
                )
            )
    return out
