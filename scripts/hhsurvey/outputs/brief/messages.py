"""Key messages in plain language, written from indicators.csv by explicit rules.

Each rule states a condition on the published estimates; when the condition fails, or the rows
it needs are missing or suppressed, the message is not written. The rules:

``size``
    A proportion in words: "about 1 in 14" (below 20 %) or "about 3 in 10", with the estimate
    and its confidence interval. Needs the overall row, not suppressed.
``quintile_gradient``
    The richest fifth (quintile 5) differs from the poorest (quintile 1). Test: the two
    confidence intervals do not overlap. The two rows' covariance is not in indicators.csv,
    and this test needs none: the standard error of a difference never exceeds the sum of the
    two standard errors, whatever their covariance, so two symmetric intervals that do not
    overlap imply a difference significant at (at least) the same level. It is conservative:
    some real differences are not reported. (Intervals of proportions are logit-based and
    slightly asymmetric; the argument then holds approximately.)
``insurance_gap``
    Insured and not insured people differ (``insured_status`` rows); the same test.

Both comparisons need two intervals of positive width: a group with an estimate of 0 % and a
zero-width interval (no case in the sample) supports no test and gets no message.
``national``
    The district estimate beside a national figure whose definition matches ours (the
    ``comparability`` column of national_comparison.csv is in the configured set); the verdict
    is that of :func:`hhsurvey.analysis.compare.compare_national` (a z or t test of the difference).

Every template is a gettext msgid (``_()``), numbers are formatted for the locale
(:class:`hhsurvey.outputs.i18n.LocaleFormat`) and indicator labels are translated by the same
catalogue. :func:`key_messages` is the only entry point.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from hhsurvey.outputs.i18n import LocaleFormat

__all__ = ["KeyMessage", "Quantity", "in_words", "key_messages", "quantity"]

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

    @property
    def testable(self) -> bool:
        """An interval of positive width: an estimate of 0 % or 100 % with a zero-width
        interval (no case, or every case, in the sample) supports no test of a difference."""
        return self.usable and self.ci_high > self.ci_low


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


def _overlap(a: Quantity, b: Quantity) -> bool:
    return not (a.ci_low > b.ci_high or b.ci_low > a.ci_high)


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

    def __init__(self, catalogue: Mapping[str, Any], gettext: Gettext, lang: str, level: float):
        self.catalogue = catalogue
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
    return KeyMessage("size", text + w.caution(q), (iid,), values)


def _pair(
    ind: pd.DataFrame, iid: str, domain: str, levels: tuple[str, str]
) -> tuple[Quantity, Quantity] | None:
    a, b = (quantity(ind, iid, domain, lv) for lv in levels)
    if a is None or b is None or not (a.testable and b.testable) or _overlap(a, b):
        return None
    return a, b


def _gradient(ind: pd.DataFrame, w: _Writer, iid: str) -> KeyMessage | None:
    _ = w._
    pair = _pair(ind, iid, "quintile", ("5", "1"))
    if pair is None:
        return None
    q5, q1 = pair
    if q5.estimate > q1.estimate:
        template = _(
            "{label} is higher in the richest fifth of the population ({q5}; {ci5}) than in "
            "the poorest fifth ({q1}; {ci1}). The two intervals do not overlap."
        )
    else:
        template = _(
            "{label} is lower in the richest fifth of the population ({q5}; {ci5}) than in "
            "the poorest fifth ({q1}; {ci1}). The two intervals do not overlap."
        )
    text = template.format(
        label=w.label(iid),
        q5=w.value(iid, q5.estimate),
        ci5=w.ci(iid, q5),
        q1=w.value(iid, q1.estimate),
        ci1=w.ci(iid, q1),
    )
    values = {
        "q5": q5.estimate,
        "q5_ci_low": q5.ci_low,
        "q5_ci_high": q5.ci_high,
        "q1": q1.estimate,
        "q1_ci_low": q1.ci_low,
        "q1_ci_high": q1.ci_high,
    }
    return KeyMessage("quintile_gradient", text + w.caution(q5, q1), (iid,), values)


def _insurance(ind: pd.DataFrame, w: _Writer, iid: str) -> KeyMessage | None:
    _ = w._
    pair = _pair(ind, iid, "insured_status", ("insured", "not insured"))
    if pair is None:
        return None
    ins, un = pair
    if ins.estimate > un.estimate:
        template = _(
            "{label} is higher among insured people ({a}; {ci_a}) than among people without "
            "insurance ({b}; {ci_b}). The two intervals do not overlap."
        )
    else:
        template = _(
            "{label} is lower among insured people ({a}; {ci_a}) than among people without "
            "insurance ({b}; {ci_b}). The two intervals do not overlap."
        )
    text = template.format(
        label=w.label(iid),
        a=w.value(iid, ins.estimate),
        ci_a=w.ci(iid, ins),
        b=w.value(iid, un.estimate),
        ci_b=w.ci(iid, un),
    )
    values = {
        "insured": ins.estimate,
        "insured_ci_low": ins.ci_low,
        "insured_ci_high": ins.ci_high,
        "not_insured": un.estimate,
        "not_insured_ci_low": un.ci_low,
        "not_insured_ci_high": un.ci_high,
    }
    return KeyMessage("insurance_gap", text + w.caution(ins, un), (iid,), values)


def _national(
    ind: pd.DataFrame, comparison: pd.DataFrame, w: _Writer, iid: str, allowed: Sequence[str]
) -> list[KeyMessage]:
    _ = w._
    q = quantity(ind, iid, "total", "total")
    if q is None or not q.usable or comparison.empty:
        return []
    rows = comparison.loc[
        (comparison["indicator"] == iid)
        & comparison["comparability"].isin(list(allowed))
        & comparison["national_value"].notna()
    ]
    templates = {
        VERDICT_HIGHER: _(
            "{label}: {estimate} in the district ({ci}), higher than the national figure of "
            "{national} ({year}), which uses the same definition."
        ),
        VERDICT_LOWER: _(
            "{label}: {estimate} in the district ({ci}), lower than the national figure of "
            "{national} ({year}), which uses the same definition."
        ),
        VERDICT_SAME: _(
            "{label}: {estimate} in the district ({ci}), not distinguishable from the national "
            "figure of {national} ({year}), which uses the same definition."
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
        out.append(KeyMessage("national", text + w.caution(q), (iid,), values))
    return out


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
) -> list[KeyMessage]:
    """Key messages the rules support, at most ``config["max"]``, in the order of ``rules``.

    *config* is the ``messages`` block of config/brief.yaml: ``rules`` (priority order),
    ``max``, and per rule the indicator ids it may speak about (``size``,
    ``quintile_gradient``, ``insurance_gap``, ``national``, ``national_comparability``).
    *catalogue* maps indicator id to an entry with ``label`` and ``unit`` (or is a list of
    entries with ``id``). Indicators missing from the catalogue are skipped.
    """
    cat = _catalogue_map(catalogue)
    w = _Writer(cat, gettext, lang, level)
    allowed = list(config.get("national_comparability", ["comparable"]))
    groups: list[list[KeyMessage]] = []
    for rule in config.get("rules", RULES):
        ids = [i for i in config.get(rule, []) if i in cat]
        found: list[KeyMessage] = []
        for iid in ids:
            if rule == "size":
                m = _size(indicators, w, iid)
            elif rule == "quintile_gradient":
                m = _gradient(indicators, w, iid)
            elif rule == "insurance_gap":
                m = _insurance(indicators, w, iid)
            elif rule == "national":
                found += _national(indicators, comparison, w, iid, allowed)
                continue
            else:
                raise ValueError(f"unknown key-message rule {rule!r} (known: {RULES})")
            if m is not None:
                found.append(m)
        groups.append(found)
    return _round_robin(groups, int(config.get("max", 5)))
