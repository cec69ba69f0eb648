"""Key messages in plain language, written from the result tables by explicit rules.

Each rule states a condition on the published estimates; when the condition fails, or the rows
it needs are missing or suppressed, the message is not written. The rules:

``size``
    A proportion in words: "about 1 in 14" (below 20 %) or "about 3 in 10", with the estimate
    and its confidence interval. Needs the overall row, not suppressed.
``quintile_gradient``
    The richest fifth (quintile 5) differs from the poorest (quintile 1). Test: the pair's row
    of ``differences.csv`` (:mod:`hhsurvey.analysis.differences`), a design-based contrast of
    the two domain estimates with their covariance, whose p-value is adjusted for the family of
    pairs screened (Benjamini-Hochberg by default): the message is written only when the
    difference is ``significant`` after adjustment, and it states the difference with its CI
    ("8.6 percentage points higher (95% CI 2.1 to 15.1)"). A pair that was not screened (not
    in the config's ``differences`` family) gets no message.
``insurance_gap``
    Insured and not insured people differ (``insured_status`` rows); the same test.
``national``
    The district estimate beside a national figure that supports a verdict
    (:func:`hhsurvey.catalogue.national.comparable`: a survey estimate with the same
    definition and a published uncertainty, the one rule the report and the change report use
    too); the verdict is that of :func:`hhsurvey.analysis.compare.compare_national`.

A message about an indicator that rests on an assumption (a poverty line marked ASSUMPTION;
``assumptions``) carries its mark. Every template is a gettext msgid (``_()``), numbers are
formatted for the locale (:class:`hhsurvey.outputs.i18n.LocaleFormat`) and indicator labels
are translated by the same catalogue. :func:`key_messages` is the only entry point.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from hhsurvey.catalogue.national import comparable
from hhsurvey.outputs.i18n import LocaleFormat
from hhsurvey.prepare.poverty import assumption_marks

__all__ = [
    "KeyMessage",
    "Quantity",
    "assumption_marks_of",
    "difference_row",
    "in_words",
    "key_messages",
    "quantity",
]

Gettext = Callable[[str], str]
RULES = ("size", "quintile_gradient", "insurance_gap", "national")
#: Verdicts of hhsurvey.analysis.compare.compare_national.
VERDICT_HIGHER = "higher than national"
VERDICT_LOWER = "lower than national"
VERDICT_SAME = "not distinguishable from national"


@dataclass(frozen=True)
class KeyMessage:
    """One key message: the rule that wrote it, its text, the indicators and numbers it uses.

    *values* holds the numbers in the units of indicators.csv (proportions 0-1, LAK), keyed
    by name (``estimate``, ``ci_low``, ``q1``, ``insured`` ...), so a test can match the text
    against the table.
    """

    rule: str
    text: str
    indicator_ids: tuple[str, ...]
    values: dict[str, float] = field(default_factory=dict)


@dataclass(frozen=True)
class Quantity:
    """One published estimate with its interval (a row of indicators.csv)."""

    estimate: float
    ci_low: float
    ci_high: float
    flag: str

    @property
    def usable(self) -> bool:
        return self.flag != "suppressed" and all(
            math.isfinite(x) for x in (self.estimate, self.ci_low, self.ci_high)
        )


def _level_key(domain: str, level: Any) -> str:
    """Normalise a level: quintiles may be read back as 1, 1.0 or "1"."""
    text = str(level).strip()
    if domain == "quintile":
        try:
            return str(int(float(text)))
        except ValueError:
            return text.removeprefix("Q")
    return text


def quantity(indicators: pd.DataFrame, iid: str, domain: str, level: str) -> Quantity | None:
    """The row of *iid* in (*domain*, *level*), or None when it is absent."""
    rows = indicators.loc[
        (indicators["indicator"] == iid) & (indicators["domain"].astype("str") == domain)
    ]
    rows = rows.loc[[_level_key(domain, v) == level for v in rows["level"]]]
    if len(rows) != 1:
        return None
    r = rows.iloc[0]
    flag = r.get("flag", "")
    return Quantity(
        float(r["estimate"]),
        float(r["ci_low"]),
        float(r["ci_high"]),
        "" if pd.isna(flag) else str(flag),
    )


def difference_row(
    differences: pd.DataFrame | None, iid: str, by: str, a: str, b: str
) -> dict[str, Any] | None:
    """The tested difference a - b of *iid* between two levels of *by* (a row of
    ``differences.csv``), oriented as asked (a row stored as b - a is negated); None when the
    pair was not screened."""
    if differences is None or differences.empty:
        return None
    d = differences.loc[(differences["indicator"] == iid) & (differences["by"].astype("str") == by)]
    for r in d.to_dict("records"):
        la, lb = _level_key(by, r["level_a"]), _level_key(by, r["level_b"])
        if (la, lb) == (a, b):
            return r
        if (la, lb) == (b, a):
            flip = {
                "difference": -_num(r["difference"]),
                "ci_low": -_num(r["ci_high"]),
                "ci_high": -_num(r["ci_low"]),
            }
            return (
                r
                | flip
                | {
                    "level_a": r["level_b"],
                    "level_b": r["level_a"],
                    "estimate_a": r["estimate_b"],
                    "estimate_b": r["estimate_a"],
                    "flag_a": r.get("flag_b"),
                    "flag_b": r.get("flag_a"),
                }
            )
    return None


def _num(x: Any) -> float:
    try:
        return float(x)
    except (TypeError, ValueError):
        return math.nan


def _significant(r: Mapping[str, Any]) -> bool:
    """Significant after the family's adjustment, with a finite difference and interval."""
    return str(r.get("significant")).strip().lower() in ("true", "1", "yes") and all(
        math.isfinite(_num(r[k])) for k in ("difference", "ci_low", "ci_high")
    )


def in_words(p: float, _: Gettext, fmt: LocaleFormat) -> str | None:
    """A proportion in words: "about 1 in 14" under 20 %, "about 3 in 10" up to 95 %."""
    if not (0 < p < 1):
        return None
    if p < 0.2:
        return _("about 1 in {n}").format(n=fmt.number(round(1 / p)))
    k = round(10 * p)
    if k >= 10:
        return _("almost everyone")
    return _("about {k} in 10").format(k=fmt.number(k))


class _Writer:
    """Formats numbers and labels for one language (shared by the rules)."""

    def __init__(
        self,
        catalogue: Mapping[str, Any],
        gettext: Gettext,
        lang: str,
        level: float,
        assumptions: Mapping[str, str] | None = None,
    ):
        self.catalogue = catalogue
        self.assumptions = dict(assumptions or {})
        self._ = gettext
        self.fmt = LocaleFormat(lang)
        self.level = self.fmt.number(100 * level) + "%"

    def unit(self, iid: str) -> str:
        return str(_attr(self.catalogue[iid], "unit"))

    def label(self, iid: str) -> str:
        return self._(str(_attr(self.catalogue[iid], "label")))

    def value(self, iid: str, x: float) -> str:
        unit = self.unit(iid)
        if unit == "percent":
            return self.fmt.percent(x, 1)
        if unit == "lak":
            return self._("{amount} LAK").format(amount=self.fmt.number(x, 0))
        return self.fmt.number(x, 1)

    def ci(self, iid: str, q: Quantity) -> str:
        return self._("{level} CI {low} to {high}").format(
            level=self.level, low=self.value(iid, q.ci_low), high=self.value(iid, q.ci_high)
        )

    def caution(self, *qs: Quantity) -> str:
        if any(q.flag == "caution" for q in qs):
            return " " + self._("Small sample: use with caution.")
        return ""

    def gap(self, iid: str, x: float) -> str:
        """The size of a difference (non-negative) in the indicator's unit: percentage points
        for a percentage."""
        unit = self.unit(iid)
        if unit == "percent":
            return self._("{n} percentage points").format(n=self.fmt.number(100 * x, 1))
        return self.value(iid, x)

    def gap_ci(self, iid: str, low: float, high: float) -> str:
        unit = self.unit(iid)

        def num(x: float) -> str:
            return self.fmt.number(100 * x, 1) if unit == "percent" else self.value(iid, x)

        return self._("{level} CI {low} to {high}").format(
            level=self.level, low=num(low), high=num(high)
        )

    def mark(self, iid: str) -> str:
        """The mark of an indicator that rests on an assumption ("" otherwise)."""
        if iid not in self.assumptions:
            return ""
        return " " + self._(
            "This figure rests on a poverty line that is an assumption, not an official line."
        )


def _attr(entry: Any, name: str) -> Any:
    return entry[name] if isinstance(entry, Mapping) else getattr(entry, name)


def _size(ind: pd.DataFrame, w: _Writer, iid: str) -> KeyMessage | None:
    _ = w._
    if w.unit(iid) != "percent":
        return None
    q = quantity(ind, iid, "total", "total")
    if q is None or not q.usable:
        return None
    words = in_words(q.estimate, _, w.fmt)
    if words is None:
        return None
    text = _("{label}: {words} ({estimate}; {ci}).").format(
        label=w.label(iid), words=words, estimate=w.value(iid, q.estimate), ci=w.ci(iid, q)
    )
    values = {"estimate": q.estimate, "ci_low": q.ci_low, "ci_high": q.ci_high}
    return KeyMessage("size", text + w.caution(q) + w.mark(iid), (iid,), values)


#: The two comparisons of the key messages: rule -> (by column, level a, level b).
PAIRS = {
    "quintile_gradient": ("quintile", "5", "1"),
    "insurance_gap": ("insured_status", "insured", "not insured"),
}


def _templates(_: Gettext, rule: str) -> dict[bool, str]:
    """The message of a significant difference, by direction (True: a higher than b)."""
    if rule == "quintile_gradient":
        return {
            True: _(
                "{label}: {a} in the richest fifth of the population against {b} in the "
                "poorest fifth, {difference} higher ({ci})."
            ),
            False: _(
                "{label}: {a} in the richest fifth of the population against {b} in the "
                "poorest fifth, {difference} lower ({ci})."
            ),
        }
    return {
        True: _(
            "{label}: {a} among insured people against {b} among people without insurance, "
            "{difference} higher ({ci})."
        ),
        False: _(
            "{label}: {a} among insured people against {b} among people without insurance, "
            "{difference} lower ({ci})."
        ),
    }


def _difference(
    differences: pd.DataFrame | None, w: _Writer, iid: str, rule: str
) -> KeyMessage | None:
    """A significant difference between the two groups of *rule* (``PAIRS``), stated with its
    CI; None when the pair was not screened, not tested or not significant after adjustment."""
    by, a, b = PAIRS[rule]
    r = difference_row(differences, iid, by, a, b)
    if r is None or not _significant(r):
        return None
    d, lo, hi = _num(r["difference"]), _num(r["ci_low"]), _num(r["ci_high"])
    higher = d > 0
    text = _templates(w._, rule)[higher].format(
        label=w.label(iid),
        a=w.value(iid, _num(r["estimate_a"])),
        b=w.value(iid, _num(r["estimate_b"])),
        difference=w.gap(iid, abs(d)),
        ci=w.gap_ci(iid, lo, hi) if higher else w.gap_ci(iid, -hi, -lo),
    )
    caution = any(str(r.get(k, "")) == "caution" for k in ("flag_a", "flag_b"))
    if caution:
        text += " " + w._("Small sample: use with caution.")
    values = {
        "a": _num(r["estimate_a"]),
        "b": _num(r["estimate_b"]),
        "difference": d,
        "difference_ci_low": lo,
        "difference_ci_high": hi,
        "p_adjusted": _num(r["p_adjusted"]),
    }
    return KeyMessage(rule, text + w.mark(iid), (iid,), values)


def _national(
    ind: pd.DataFrame, comparison: pd.DataFrame, w: _Writer, iid: str
) -> list[KeyMessage]:
    _ = w._
    q = quantity(ind, iid, "total", "total")
    if q is None or not q.usable or comparison.empty:
        return []
    rows = comparison.loc[(comparison["indicator"] == iid) & comparable(comparison)]
    templates = {
        VERDICT_HIGHER: _(
            "{label}: {estimate} in the district ({ci}), higher than the national survey "
            "figure of {national} ({year}), which uses the same definition."
        ),
        VERDICT_LOWER: _(
            "{label}: {estimate} in the district ({ci}), lower than the national survey "
            "figure of {national} ({year}), which uses the same definition."
        ),
        VERDICT_SAME: _(
            "{label}: {estimate} in the district ({ci}), not distinguishable from the national "
            "survey figure of {national} ({year}), which uses the same definition."
        ),
    }
    out = []
    for r in rows.to_dict("records"):
        template = templates.get(str(r.get("verdict", "")))
        if template is None:
            continue
        nat = float(r["national_value"])
        text = template.format(
            label=w.label(iid),
            estimate=w.value(iid, q.estimate),
            ci=w.ci(iid, q),
            national=w.value(iid, nat),
            year=str(r["national_year"]),
        )
        values = {"estimate": q.estimate, "ci_low": q.ci_low, "ci_high": q.ci_high}
        values["national"] = nat
        out.append(KeyMessage("national", text + w.caution(q) + w.mark(iid), (iid,), values))
    return out


def assumption_marks_of(catalogue: Any, config: Mapping[str, Any]) -> dict[str, str]:
    """Indicators resting on a poverty line marked ASSUMPTION (config ``poverty_lines`` and
    ``prices``): id -> reason; empty when the config lacks either."""
    lines, prices = config.get("poverty_lines"), config.get("prices")
    if not lines or not prices:
        return {}
    return assumption_marks(_catalogue_map(catalogue).values(), lines, prices)


def _catalogue_map(catalogue: Any) -> Mapping[str, Any]:
    if isinstance(catalogue, Mapping):
        return catalogue
    return {_attr(e, "id"): e for e in catalogue}


def _round_robin(groups: Iterable[list[KeyMessage]], limit: int) -> list[KeyMessage]:
    """First message of each rule in priority order, then the second of each, ..."""
    queues = [list(g) for g in groups]
    out: list[KeyMessage] = []
    while any(queues) and len(out) < limit:
        for q in queues:
            if q and len(out) < limit:
                out.append(q.pop(0))
    return out


def key_messages(
    indicators: pd.DataFrame,
    comparison: pd.DataFrame,
    catalogue: Any,
    config: Mapping[str, Any],
    gettext: Gettext,
    lang: str = "en",
    level: float = 0.95,
    differences: pd.DataFrame | None = None,
    assumptions: Mapping[str, str] | None = None,
) -> list[KeyMessage]:
    """Key messages the rules support, at most ``config["max"]``, in the order of ``rules``.

    *config* is the ``messages`` block of config/brief.yaml: ``rules`` (priority order),
    ``max``, and per rule the indicator ids it may speak about (``size``,
    ``quintile_gradient``, ``insurance_gap``, ``national``). *catalogue* maps indicator id to
    an entry with ``label`` and ``unit`` (or is a list of entries with ``id``). Indicators
    missing from the catalogue are skipped. *differences* is the round's differences.csv (the
    tested pairs; without it no difference is stated); *assumptions* maps the ids of
    indicators resting on an assumption to the reason (their messages carry the mark).
    """
    cat = _catalogue_map(catalogue)
    w = _Writer(cat, gettext, lang, level, assumptions)
    groups: list[list[KeyMessage]] = []
    for rule in config.get("rules", RULES):
        ids = [i for i in config.get(rule, []) if i in cat]
        found: list[KeyMessage] = []
        for iid in ids:
            if rule == "size":
                m = _size(indicators, w, iid)
            elif rule in PAIRS:
                m = _difference(differences, w, iid, rule)
            elif rule == "national":
                found += _national(indicators, comparison, w, iid)
                continue
            else:
                raise ValueError(f"unknown key-message rule {rule!r} (known: {RULES})")
            if m is not None:
                found.append(m)
        groups.append(found)
    return _round_robin(groups, int(config.get("max", 5)))
