"""The code mapping the draft proposes for one category column or one shared code set.

Three sources, in this order of trust:

* the data (:mod:`hhsurvey.survey.codebook.evidence`): which code the mothers, the persons with
  an outpatient record, the persons naming a scheme hold. Strong data evidence is filled in,
  with the evidence in the comment, whether or not the file has value labels;
* the file's value labels, matched to the reference round's labels (or to the categories);
* the reference codebook's own codes, for the codes of the file that it also has.

A mapping that differs from the reference codebook (sex 0/1 instead of 1/2, "no" coded 0
instead of 2) is a *possible recode* and always says so, with its evidence. It is a ``TODO``
only where the evidence is weak: value labels alone, or codes that could be the reference's
shifted by one (0/1 for 1/2) with no data to tell which.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from rapidfuzz import fuzz

from hhsurvey.survey.codebook.evidence import CodeEvidence
from hhsurvey.survey.codebook.match import best_category
from hhsurvey.survey.codebook.model import Column


@dataclass
class Proposal:
    """Code -> category, the evidence (comments) and the open points (TODOs)."""

    codes: dict[int, str]
    notes: list[str] = field(default_factory=list)
    todo: list[str] = field(default_factory=list)


def from_labels(
    col: Column, ref_labels: dict[int, str], labels: dict[int, str], seen: set[int] | None
) -> tuple[dict[int, str], list[str]]:
    """Code -> category from the file's value labels (labelled codes only), and the TODOs."""
    cats = list(dict.fromkeys(col.codes.values()))
    ref_by_label = {lab: code for code, lab in ref_labels.items()}
    out: dict[int, str] = {}
    todo: list[str] = []
    for k, label in sorted(labels.items()):
        in_data = seen is None or k in seen
        cat = None
        if ref_by_label:
            best = max(ref_by_label, key=lambda lab: fuzz.ratio(lab.lower(), label.lower()))
            if fuzz.ratio(best.lower(), label.lower()) >= 85:
                cat = col.codes.get(ref_by_label[best])
                if cat is None:  # a label the reference codebook leaves unmapped too
                    if in_data:
                        todo.append(
                            f"code {k} ('{label}') occurs but the reference maps no such code"
                        )
                    continue
        if cat is None:
            cat, _ = best_category(label, cats)
        if cat is None or cat in out.values():
            if in_data:
                taken = [c for c, v in out.items() if v == cat]
                todo.append(
                    f"code {k} ('{label}') matches no category"
                    + (f" ('{cat}' is code {taken[0]})" if taken else "")
                )
            continue
        out[k] = cat
    return out, todo


def _shifted(seen: set[int], ref: set[int]) -> bool:
    """The codes could be the reference's shifted down by one (0/1 where it has 1/2)."""
    low = {k for k in seen if k + 1 in ref}
    return bool(seen - ref) and len(low) >= 2 and any(k not in ref for k in low)


def _agree(evidence: list[CodeEvidence]) -> tuple[dict[int, str], list[CodeEvidence]]:
    """The codes every strong piece of evidence agrees on; evidence that conflicts is dropped
    (and so makes the guess weak)."""
    codes: dict[int, str] = {}
    used: list[CodeEvidence] = []
    for e in evidence:
        if not e.strong:
            continue
        if any(codes.get(k, v) != v for k, v in e.codes.items()):
            return {}, []
        codes.update(e.codes)
        used.append(e)
    return codes, used


def _fill_reference(col: Column, out: dict[int, str], codes: list[int]) -> tuple[list, list]:
    """Codes of the file that the reference also has keep its category (when that category is
    not taken yet): the codes so filled, and the codes left over."""
    filled, left = [], []
    for k in codes:
        cat = col.codes.get(k)
        if cat is not None and cat not in out.values():
            out[k] = cat
            filled.append(k)
        else:
            left.append(k)
    return filled, left


def propose(
    col: Column,
    ref_labels: dict[int, str],
    labels: dict[int, str],
    seen: set[int] | None,
    evidence: list[CodeEvidence] | None = None,
) -> Proposal:
    """The proposal for one column (or code set): ``labels`` are the file's value labels,
    ``seen`` the codes in the data (None: not known), ``evidence`` what the data say."""
    codes = sorted(set(labels) | (seen or set()))
    data_codes, used = _agree(evidence or [])
    data_codes = {k: v for k, v in data_codes.items() if k in codes}
    weak = [e for e in evidence or [] if not e.strong]
    p = Proposal({})
    labelled, p.todo = from_labels(col, ref_labels, labels, seen)
    why = "; ".join(e.text for e in used)
    p.codes = dict(labelled)
    clash = {k: v for k, v in data_codes.items() if k in labelled and labelled[k] != v}
    if clash:
        p.todo.append(
            "the value labels disagree with the data: "
            + ", ".join(f"{k} is labelled '{labels[k]}'" for k in clash)
            + f", but {why}; the data's mapping is filled in: check the export"
        )
    elif data_codes and labelled:
        p.notes.append(f"value labels and data agree: {why}")
    elif data_codes:
        p.notes.append(f"no value labels; from the data: {why}")
    p.codes.update(data_codes)
    filled, left = _fill_reference(
        col, p.codes, [k for k in codes if k not in p.codes and k not in labels]
    )
    if filled:
        p.notes.append(
            "no value labels: codes as the reference"
            if not labels and not data_codes
            else f"code(s) {filled} unlabelled: as the reference"
        )
    gone = sorted(k for k in col.codes if k not in p.codes and (seen is None or k not in seen))
    free = [col.codes[g] for g in gone if col.codes[g] not in p.codes.values()]
    left = [k for k in left if seen is None or k in seen]
    if len(left) == 1 and len(free) == 1:
        p.codes[left[0]] = free[0]
        p.notes.append(f"{left[0]} takes '{free[0]}', whose reference code never occurs")
    else:
        p.todo += [f"code {k} matches no category" for k in left]
    _flag_recode(col, p, labels, seen, gone, data_codes, weak)
    return p


def _flag_recode(
    col: Column,
    p: Proposal,
    labels: dict[int, str],
    seen: set[int] | None,
    gone: list[int],
    data_codes: dict[int, str],
    weak: list[CodeEvidence],
) -> None:
    """Say 'possible recode' for every code mapped otherwise than in the reference; a TODO
    unless the data back every recoded code."""
    ref_code = {c: k for k, c in col.codes.items()}
    recoded = sorted(k for k, c in p.codes.items() if col.codes.get(k) != c)
    shifted = not labels and not data_codes and seen is not None and _shifted(seen, set(col.codes))
    if not recoded and not shifted:
        return
    parts = [
        f"'{p.codes[k]}' is {k} here"
        + (f", {ref_code[p.codes[k]]} in the reference" if p.codes[k] in ref_code else "")
        for k in recoded
    ]
    text = "possible recode: " + "; ".join(parts)
    if gone:
        text += f"; reference code(s) {gone} never occur"
    if shifted:
        text += "; the codes could also be the reference's shifted by one (0/1 for 1/2)"
    backed = all(data_codes.get(k) == p.codes[k] for k in recoded) and not shifted
    if backed and not any("disagree" in t for t in p.todo):
        p.notes.insert(0, text + " (backed by the data)")
        return
    how = "proposed from the file's value labels" if labels else "no value labels"
    weak_txt = "; ".join(e.text for e in weak)
    p.todo.append(
        text + f" ({how}" + (f"; weak evidence: {weak_txt}" if weak_txt else "") + ": confirm)"
    )
