"""What the data say about a code mapping: cross-file and within-file plausibility rules.

A value label can be missing, or wrong; the data rarely are. Every mother of the births file
is a woman; a person with an outpatient record was ill in the last 30 days; a person who names
a scheme is insured; an episode that names a provider is one where care was sought. Each
:class:`Rule` names the category column it speaks about, the category its *members* must have,
and how to find the members from other columns (keys of another table, a column that is filled
in) that no recode can change.

The same rules serve two commands:

* ``codebook draft`` (:func:`code_evidence`) reads which raw *code* the members hold, so that a
  code set without value labels, or with labels that disagree, is proposed from the data
  (``1: female`` because all 62 mothers in births.dta have sex = 1);
* ``codebook check`` and ingest (:func:`mapping_problems`) read which *category* the codebook
  gives the members, so that a mapping with the sexes swapped is an error naming ``person.sex``
  and the evidence, before any validation rule sees a birth "to a man".

The ``area`` code set has no such members; :func:`area_evidence` compares the frame's strata
(villages, census households) and the survey's share of households per code with those of the
reference round's files.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from itertools import permutations

import numpy as np
import pandas as pd

Frames = dict[str, pd.DataFrame]

PERSON_KEYS = ["village", "hh", "line"]
MIN_MEMBERS = 10  # fewer members than this: no evidence either way
STRONG = 0.9  # share of members holding one code for a strong guess
# a code held by women of reproductive age (15-49) at a share outside this range is not
# "female" (the demo: 49 %; a sex ratio beyond 30:70 is no household survey's roster)
WRA_SHARE = (0.3, 0.7)
WRA_AGES = (15, 49)


@dataclass(frozen=True)
class Rule:
    """Members of ``table`` (found by ``find``) must have ``category`` in ``column``; the other
    records mostly have ``other``, or (``iff``) all have it: an ill person without an outpatient
    record is rare, a woman who is not a mother is not."""

    table: str
    column: str
    category: str
    other: str
    members: str  # in words, with {file} of the table the members come from
    source: str  # the canonical table whose file the members are read from
    needs: tuple[str, ...]  # canonical "table.column" the members are found from
    find: Callable[[Frames], pd.Series]
    iff: bool = True

    @property
    def target(self) -> str:
        return f"{self.table}.{self.column}"


def _has_record(other: str) -> Callable[[Frames], pd.Series]:
    def find(f: Frames) -> pd.Series:
        keys = f[other][PERSON_KEYS].dropna().drop_duplicates()
        idx = pd.MultiIndex.from_frame(keys.astype("int64"))
        own = f["person"][PERSON_KEYS]
        ok = own.notna().all(axis=1)
        mask = pd.Series(False, index=own.index)
        mask[ok] = pd.MultiIndex.from_frame(own[ok].astype("int64")).isin(idx)
        return mask

    return find


def _filled(table: str, column: str) -> Callable[[Frames], pd.Series]:
    def find(f: Frames) -> pd.Series:
        return f[table][column].notna()

    return find


RULES: tuple[Rule, ...] = (
    Rule(
        "person", "sex", "female", "male", "mothers in {file}", "birth",
        ("birth.village", "birth.hh", "birth.line", "person.village", "person.hh", "person.line"),
        _has_record("birth"), iff=False,
    ),
    Rule(
        "person", "ill_30d", "yes", "no", "persons with an outpatient record in {file}",
        "episode",
        ("episode.village", "episode.hh", "episode.line", "person.village", "person.hh",
         "person.line"),
        _has_record("episode"),
    ),
    Rule(
        "person", "insured", "yes", "no", "persons who name a scheme ({file}, scheme)",
        "person", ("person.scheme",), _filled("person", "scheme"),
    ),
    Rule(
        "episode", "sought", "yes", "no", "episodes that name a provider ({file}, provider)",
        "episode", ("episode.provider",), _filled("episode", "provider"),
    ),
    Rule(
        "child", "sought", "yes", "no", "children whose source of care is named ({file}, source)",
        "child", ("child.source",), _filled("child", "source"),
    ),
)  # fmt: skip


def rules_for(target: str) -> list[Rule]:
    return [r for r in RULES if r.target == target]


def _usable(rule: Rule, frames: Frames) -> bool:
    cols = [rule.target, *rule.needs]
    return all(t in frames and c in frames[t].columns for t, c in (x.split(".", 1) for x in cols))


def split(rule: Rule, frames: Frames) -> tuple[pd.Series, pd.Series] | None:
    """Values of the rule's column among its members and among the other records (non-missing
    values only), or None when a column it needs is not mapped."""
    if not _usable(rule, frames):
        return None
    try:
        mask = rule.find(frames).astype(bool)
    except (KeyError, ValueError, TypeError):
        return None
    values = frames[rule.table][rule.column]
    return values[mask].dropna(), values[~mask].dropna()


def _share(values: pd.Series, what) -> float:
    return float((values == what).mean()) if len(values) else 0.0


def _fmt(x: float) -> str:
    return f"{int(x)}" if float(x).is_integer() else f"{x:g}"


@dataclass(frozen=True)
class CodeEvidence:
    """What the data say about the raw codes of a column (draft)."""

    target: str  # "person.sex"
    codes: dict[int, str]  # e.g. the members' code -> category, the others' code -> other
    strong: bool
    text: str


def _wra(frames: Frames, code: float) -> tuple[bool, str]:
    """Share of persons aged 15-49 holding ``code``: a woman's code is about half of them."""
    p = frames.get("person")
    if p is None or "age" not in p.columns:
        return True, ""
    age = pd.to_numeric(p["age"], errors="coerce")
    wra = p.loc[(age >= WRA_AGES[0]) & (age <= WRA_AGES[1]), "sex"].dropna()
    if len(wra) < MIN_MEMBERS:
        return True, ""
    share = _share(wra, code)
    ok = WRA_SHARE[0] <= share <= WRA_SHARE[1]
    return ok, f"; {_fmt(code)} is {share:.0%} of the {len(wra)} persons aged 15-49"


def code_evidence(rule: Rule, frames: Frames, files: dict[str, str]) -> CodeEvidence | None:
    """The codes the rule's members and the other records hold, as a proposed mapping."""
    got = split(rule, frames)
    if got is None:
        return None
    members, others = got
    if len(members) < MIN_MEMBERS:
        return None
    counts = members.value_counts()
    code, n_code = counts.index[0], int(counts.iloc[0])
    share = n_code / len(members)
    rest = others[others != code]
    words = rule.members.format(file=files.get(rule.source, rule.source))
    text = f"{n_code} of {len(members)} {words} have {rule.column} = {_fmt(code)}"
    codes = {int(code): rule.category}
    other_ok = True
    if len(rest):
        oc = rest.value_counts()
        other, n_other = oc.index[0], int(oc.iloc[0])
        other_ok = n_other / len(rest) >= 0.8
        codes[int(other)] = rule.other
        text += f", {n_other} of the {len(others)} others {_fmt(other)}"
    strong = share >= STRONG and other_ok
    if rule.iff:
        strong = strong and _share(others, code) <= 1 - STRONG
    if rule.column == "sex":
        ok, more = _wra(frames, code)
        strong, text = strong and ok, text + more
    return CodeEvidence(rule.target, codes, strong, text)


def raw_frames(
    tables: dict[str, tuple[pd.DataFrame, dict[str, str]]],
) -> Frames:
    """Canonical-named frames of raw codes: table -> (file data, canonical column -> raw name)."""
    out: Frames = {}
    for t, (data, cols) in tables.items():
        out[t] = pd.DataFrame(
            {
                c: pd.to_numeric(data[raw], errors="coerce")
                for c, raw in cols.items()
                if raw in data.columns
            },
            index=data.index,
        )
    return out


# ------------------------------------------------------------------------------ check


@dataclass(frozen=True)
class MappingProblem:
    """A category mapping the data contradict (codebook check and ingest)."""

    rule: Rule
    what: str
    dominant: str  # the category most members have

    @property
    def target(self) -> str:
        return self.rule.target


def mapping_problems(
    tables: Frames, files: dict[str, str], raw: dict[str, str]
) -> list[MappingProblem]:
    """Rules whose members mostly have another category than theirs: the mapping (codes or
    variable) of the rule's column is wrong. ``raw``: "table.column" -> raw variable."""
    out: list[MappingProblem] = []
    for rule in RULES:
        got = split(rule, tables)
        if got is None:
            continue
        members, _ = got
        members = members.astype("string")
        if len(members) < MIN_MEMBERS or _share(members, rule.category) >= 0.5:
            continue
        counts = members.value_counts()
        words = rule.members.format(file=files.get(rule.source, rule.source))
        var = raw.get(rule.target, rule.column)
        seen = ", ".join(f"{n} are '{c}'" for c, n in counts.items())
        out.append(
            MappingProblem(
                rule,
                f"the codebook's mapping of {rule.target} ({var}) contradicts the data: of the "
                f"{len(members)} {words}, {seen} by this mapping; "
                f"{words.split(' in ')[0].split(' (')[0]} are '{rule.category}'",
                str(counts.index[0]),
            )
        )
    return out


# ------------------------------------------------------------------------------- area


def _strata(frame: pd.DataFrame) -> pd.DataFrame:
    mos = pd.to_numeric(frame.get("mos_hh"), errors="coerce") if "mos_hh" in frame else None
    g = pd.DataFrame({"area": frame["area"], "mos": mos if mos is not None else np.nan})
    return (
        g.dropna(subset=["area"]).groupby("area").agg(villages=("area", "size"), mos=("mos", "sum"))
    )


def area_evidence(new: Frames, ref: Frames, ref_codes: dict[int, str]) -> CodeEvidence | None:
    """Which code of ``area`` is which category, from the strata of the frame (villages and
    census households per code) and the survey's share of households per code, against the
    reference round's files (whose codes are ``ref_codes``)."""
    if any("area" not in f.get(t, pd.DataFrame()).columns for f in (new, ref) for t in ("frame",)):
        return None
    a, b = _strata(new["frame"]), _strata(ref["frame"])
    if len(a) != len(b) or len(a) < 2 or not set(b.index) <= set(ref_codes):
        return None
    share = {}
    for name, f in (("new", new), ("ref", ref)):
        hh = f.get("household")
        if hh is not None and "area" in hh.columns and hh["area"].notna().any():
            share[name] = hh["area"].value_counts(normalize=True)
    codes = list(a.index)
    cats = list(b.index)

    def cost(perm) -> float:
        c = 0.0
        for code, rc in zip(codes, perm, strict=True):
            c += abs(a.at[code, "villages"] - b.at[rc, "villages"]) / b["villages"].sum()
            if b["mos"].sum() > 0:
                c += abs(a.at[code, "mos"] / a["mos"].sum() - b.at[rc, "mos"] / b["mos"].sum())
            if len(share) == 2:
                c += abs(share["new"].get(code, 0.0) - share["ref"].get(rc, 0.0))
        return c

    ranked = sorted(permutations(cats), key=cost)
    best = ranked[0]
    margin = cost(ranked[1]) - cost(best) if len(ranked) > 1 else 1.0
    mapping = {int(code): ref_codes[int(rc)] for code, rc in zip(codes, best, strict=True)}
    parts = []
    for code, rc in zip(codes, best, strict=True):
        part = (
            f"{_fmt(code)}: {int(a.at[code, 'villages'])} villages, "
            f"{_fmt(a.at[code, 'mos'])} census households"
            f" (reference {ref_codes[int(rc)]}: {int(b.at[rc, 'villages'])}, {_fmt(b.at[rc, 'mos'])})"
        )
        if len(share) == 2:
            part += (
                f", {share['new'].get(code, 0.0):.0%} of the surveyed households"
                f" (reference {share['ref'].get(rc, 0.0):.0%})"
            )
        parts.append(part)
    strong = cost(best) < 0.25 and margin > 0.25
    return CodeEvidence(
        "household.area",
        mapping,
        strong,
        "the frame's strata and the survey's shares: " + "; ".join(parts),
    )
