"""Draft a codebook for a new round's raw files from the codebook of a similar round.

``draft_codebook(raw_dir, like)`` matches every canonical column of the ``like`` codebook to a
variable of the new files by its name, its variable label and its value labels (RapidFuzz
scores, one-to-one assignment per table), proposes the code mapping of every category
(:mod:`hhsurvey.survey.codebook.proposal`: from the data's own evidence, the value labels and
the reference codes) and writes YAML text in which every guess carries its evidence as a
comment and every open point says ``TODO``. When the raw files of the ``like`` round are given
(``like_raw``), their labels are what the new labels are compared with, and their frame and
households are what the new round's strata are compared with; otherwise the canonical names
are.

A code mapping that differs from the ``like`` codebook (sex 0/1 instead of 1/2, "no" coded 0
instead of 2) is a *possible recode*: it always says so, with its evidence, and is a ``TODO``
unless the data back it (:mod:`hhsurvey.survey.codebook.evidence`). The format of the output
is docs/codebook.md.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import pyreadstat
from rapidfuzz import fuzz
from scipy.optimize import linear_sum_assignment

from hhsurvey.errors import InputError
from hhsurvey.survey.codebook.check import READABLE, codeset_users
from hhsurvey.survey.codebook.evidence import (
    RULES,
    CodeEvidence,
    area_evidence,
    code_evidence,
    raw_frames,
)
from hhsurvey.survey.codebook.match import label_similarity, tokens
from hhsurvey.survey.codebook.model import Codebook, Column, Table, load_codebook
from hhsurvey.survey.codebook.proposal import Proposal, propose
from hhsurvey.survey.io import read_raw
from hhsurvey.yamlsafe import load_yaml

ACCEPT = 70.0  # a match scoring below this (0-100) is a TODO ...
LEAD = 15.0  # ... unless its label matches (>= 90) and it leads the next candidate by this
CLOSE = 5.0  # a second candidate within this many points is named in a TODO
NUMERIC_TYPES = ("integer", "number", "amount", "age", "category")
IDENTIFIER = re.compile(r"name|phone|gps|latitude|longitude|address|mobile number", re.I)
YAML_WORDS = {"yes", "no", "on", "off", "true", "false", "null", "y", "n", "todo"}
# a question number in front of a variable label ("Q4. Sex", "q12) ...", "3a: ...")
QUESTION_NUMBER = re.compile(r"^\s*(?:q(?:uestion)?\s*)?\d+[a-z]?\s*[.):-]\s*", re.I)
# canonical columns that must agree, record by record, with a column of another table
# (frame.area is household.area of the same village)
AGREE = {("frame", "area"): ("household", "area", "village")}


@dataclass
class Var:
    """One raw variable as the draft sees it."""

    name: str
    label: str = ""
    value_labels: dict[int, str] = field(default_factory=dict)
    numeric: bool = True
    text: bool = False
    codes: set[int] | None = None


@dataclass
class RoundFiles:
    """The variables and the data of every readable file of a round's folder."""

    vars: dict[str, dict[str, Var]]
    data: dict[str, pd.DataFrame]


def _var(name: str, s: pd.Series, label: str, value_labels: dict) -> Var:
    if pd.api.types.is_numeric_dtype(s):
        num = s
    else:
        num = pd.to_numeric(s.astype("string").str.strip().replace({"": pd.NA}), errors="coerce")
    nonblank = s.astype("string").str.strip().replace({"": pd.NA}).notna()
    numeric = bool(
        pd.api.types.is_numeric_dtype(s) or (nonblank.any() and (num.notna() == nonblank).all())
    )
    is_date = pd.api.types.is_datetime64_any_dtype(s) or (
        s.dtype == object and s.dropna().map(lambda x: hasattr(x, "year")).all() and s.notna().any()
    )
    codes = None
    if numeric and not is_date:
        v = num.dropna()
        if len(v) and (v == v.round()).all() and v.nunique() <= 60:
            codes = {int(x) for x in v.unique()}
    return Var(
        name=name,
        label=label,
        value_labels={  # (Stata's extended missing .a is labelled by its letter: no code)
            int(k): str(t) for k, t in (value_labels or {}).items() if isinstance(k, (int, float))
        },
        numeric=numeric and not is_date,
        text=not numeric and not is_date,
        codes=codes,
    )


def read_file(path: Path) -> tuple[dict[str, Var], pd.DataFrame]:
    """Variables of one raw file (names, labels, value labels, kind, codes seen) and its data."""
    raw = read_raw(path)
    labels: dict[str, str] = {}
    if path.suffix.lower() in (".sav", ".dta"):
        reader = pyreadstat.read_sav if path.suffix.lower() == ".sav" else pyreadstat.read_dta
        _, meta = reader(str(path), metadataonly=True)
        labels = {k: v for k, v in (meta.column_names_to_labels or {}).items() if v}
    out = {
        name: _var(name, raw.data[name], labels.get(name, ""), raw.value_labels.get(name))
        for name in raw.data.columns
    }
    return out, raw.data


def read_vars(path: Path) -> dict[str, Var]:
    """Variables of one raw file: names, labels, value labels, kind and codes seen."""
    return read_file(path)[0]


def _raw_files(raw_dir: Path) -> RoundFiles:
    if not raw_dir.is_dir():
        raise InputError("raw data folder not found", str(raw_dir), "give the folder of the round")
    files = sorted(p for p in raw_dir.iterdir() if p.suffix.lower() in READABLE)
    if not files:
        raise InputError(
            "no .sav, .dta or .csv file in the folder", str(raw_dir), "give the round's folder"
        )
    read = {p.name: read_file(p) for p in files}
    return RoundFiles({k: v[0] for k, v in read.items()}, {k: v[1] for k, v in read.items()})


def _words(name: str) -> str:
    return " ".join(tokens(name))


def _label(text: str) -> str:
    """A variable label without its question number ('Q4. Sex' -> 'Sex')."""
    return QUESTION_NUMBER.sub("", text or "")


def _codes_fit(col: Column, var: Var) -> bool:
    """The file's codes could be the reference's, as they are or shifted by one (0/1 for 1/2)."""
    if not var.codes or not col.codes:
        return True
    ref = set(col.codes)
    best = max(len(var.codes & ref), len({k + 1 for k in var.codes} & ref))
    return best >= 0.5 * len(var.codes)


def column_score(col: Column, ref: Var | None, var: Var) -> tuple[float, str]:
    """Score (0-100) of raw variable ``var`` for canonical column ``col``, with its evidence."""
    name = max(
        fuzz.ratio(var.name.lower(), col.raw.lower()), fuzz.ratio(var.name.lower(), col.name)
    )
    targets = [_label(ref.label)] if ref is not None and ref.label else []
    targets.append(_words(col.name))
    own = _label(var.label)
    lab = max(
        0.7 * label_similarity(own, t) + 0.3 * fuzz.token_sort_ratio(_words(own), _words(t))
        for t in targets
    )
    vals: float | None = None
    if col.type == "category":
        want = (
            list(ref.value_labels.values())
            if ref is not None and ref.value_labels
            else list(dict.fromkeys(col.codes.values()))
        )
        have = list(var.value_labels.values())
        if have and want:
            vals = float(np.mean([max(label_similarity(w, h) for h in have) for w in want]))
    if var.label:
        total = (
            0.45 * lab + 0.35 * vals + 0.2 * name if vals is not None else 0.75 * lab + 0.25 * name
        )
    else:
        total = 0.8 * name + 0.2 * vals if vals is not None else float(name)
    fits = (
        (col.type == "text" and var.text)
        or (col.type in NUMERIC_TYPES and var.numeric)
        or (col.type == "date" and not var.numeric)
    )
    if col.type == "category" and (var.codes is None or not _codes_fit(col, var)):
        fits = False
    # a name, phone number or coordinate (many distinct values) is never a canonical column
    identifier = var.codes is None and (IDENTIFIER.search(var.name) or IDENTIFIER.search(var.label))
    if not fits or (identifier and col.type != "text"):
        total *= 0.2
    ev = f"label {lab:.0f}"
    if col.type == "category":
        ev += f", value labels {vals:.0f}" if vals is not None else ", no value labels"
    ev += f", name {name:.0f}"
    if var.label:
        ev = f"'{var.label}'; " + ev
    return float(total), ev


@dataclass
class Match:
    var: str | None
    score: float
    evidence: str
    alternative: str | None = None
    lead: float = 0.0  # points ahead of the next candidate
    label: float = 0.0  # the label score alone

    @property
    def sure(self) -> bool:
        return self.var is not None and (
            self.score >= ACCEPT or (self.label >= 90 and self.lead >= LEAD)
        )


def match_table(
    table: Table,
    refs: dict[str, Var],
    vars_: dict[str, Var],
    fixed: dict[str, Match] | None = None,
) -> dict[str, Match]:
    """One-to-one assignment of the table's canonical columns to the file's variables (the
    ``fixed`` columns keep their match and their variable)."""
    fixed = fixed or {}
    taken = {m.var for m in fixed.values()}
    cols = [c for c in table.columns.values() if c.name not in fixed]
    names = [n for n in vars_ if n not in taken]
    if not names:
        return {c.name: Match(None, 0.0, "the file has no variable") for c in cols} | fixed
    scores = np.zeros((len(cols), len(names)))
    labels = np.zeros((len(cols), len(names)))
    evid: dict[tuple[int, int], str] = {}
    for i, c in enumerate(cols):
        for j, n in enumerate(names):
            scores[i, j], evid[i, j] = column_score(c, refs.get(c.raw), vars_[n])
            m = re.search(r"label (\d+)", evid[i, j])
            labels[i, j] = float(m.group(1)) if m else 0.0
    rows, cj = linear_sum_assignment(-scores)
    out: dict[str, Match] = {}
    for i, j in zip(rows, cj, strict=True):
        others = np.where(np.arange(len(names)) == j, -np.inf, scores[i])
        # a close alternative scores within CLOSE points, and its label does too (a yes/no
        # item's value labels and an opaque name do not tell 'radio' from 'electricity')
        close = (others >= scores[i, j] - CLOSE) & (labels[i] >= labels[i, j] - CLOSE)
        alt = names[int(np.argmax(np.where(close, others, -np.inf)))] if close.any() else None
        lead = float(scores[i, j] - others.max()) if len(names) > 1 else 100.0
        out[cols[i].name] = Match(
            names[j], float(scores[i, j]), evid[i, j], alt, lead, float(labels[i, j])
        )
    for c in cols:
        out.setdefault(c.name, Match(None, 0.0, "no variable left to match"))
    return {c: (fixed.get(c) or out[c]) for c in table.columns}


Assigned = dict[str, tuple[str | None, float, dict[str, Match]]]


def match_files(
    codebook: Codebook, refs: dict[str, dict[str, Var]], files: dict[str, dict[str, Var]]
) -> Assigned:
    """Assign every table of the codebook a file of the new round (name and content)."""
    tables = list(codebook.tables.values())
    fnames = list(files)
    score = np.zeros((len(tables), len(fnames)))
    matches: dict[tuple[int, int], dict[str, Match]] = {}
    for i, t in enumerate(tables):
        for j, f in enumerate(fnames):
            m = match_table(t, refs.get(t.name, {}), files[f])
            matches[i, j] = m
            content = float(np.mean([x.score for x in m.values()])) if m else 0.0
            same = Path(f).stem.lower() == Path(t.file).stem.lower()
            score[i, j] = content + (
                20.0 if same else 0.1 * fuzz.ratio(Path(f).stem, Path(t.file).stem)
            )
    rows, cj = linear_sum_assignment(-score)
    out: Assigned = {t.name: (None, 0.0, {}) for t in tables}
    for i, j in zip(rows, cj, strict=True):
        out[tables[i].name] = (fnames[j], float(score[i, j]), matches[i, j])
    return out


def _key_votes(codebook: Codebook, assigned: Assigned, sure: bool) -> dict[str, dict[str, int]]:
    votes: dict[str, dict[str, int]] = {}
    for tname, (_, _, matches) in assigned.items():
        for k in codebook.tables[tname].keys:
            m = matches.get(k)
            if m and m.var and m.sure == sure:
                votes.setdefault(k, {}).setdefault(m.var, 0)
                votes[k][m.var] += 1
    return votes


def _propagate_keys(
    codebook: Codebook,
    assigned: Assigned,
    files: dict[str, dict[str, Var]],
    refs: dict[str, dict[str, Var]],
) -> None:
    """A key left unsure in one table (the frame's CSV has no labels) takes the variable that
    the same canonical key has, surely, in the other tables, when the file has it; when no
    table is sure, the variable that is the best guess in at least three tables. The table is
    then matched again around its keys."""
    sure = _key_votes(codebook, assigned, True)
    guess = _key_votes(codebook, assigned, False)
    for tname, (fname, score, matches) in assigned.items():
        table = codebook.tables[tname]
        fixed: dict[str, Match] = {}
        for k in table.keys:
            m = matches.get(k)
            if fname is None or m is None or m.sure:
                continue
            for votes, least, how in ((sure, 1, "surely"), (guess, 3, "as the best guess")):
                cands = [(v, n) for v, n in (votes.get(k) or {}).items() if v in files[fname]]
                if cands and max(n for _, n in cands) >= least:
                    var, n = max(cands, key=lambda x: x[1])
                    ev = f"the key {k} is {var} in {n} other table(s), {how}"
                    fixed[k] = Match(var, ACCEPT, ev)
                    break
        if fixed and any(matches[k].var != m.var for k, m in fixed.items()):
            keep = {c: m for c, m in matches.items() if c in table.keys and m.sure}
            matches = match_table(table, refs.get(tname, {}), files[fname], keep | fixed)
        else:
            matches.update(fixed)
        assigned[tname] = (fname, score, matches)


def _agreement(assigned: Assigned, rf: RoundFiles) -> None:
    """A column that must equal a column of another table record by record (frame.area and
    household.area of the same village) takes the variable that does, when its own match is
    unsure."""
    for (tname, cname), (other, ocol, key) in AGREE.items():
        fname, _, matches = assigned.get(tname, (None, 0.0, {}))
        oname, _, omatches = assigned.get(other, (None, 0.0, {}))
        m, om = matches.get(cname), omatches.get(ocol)
        keys = (matches.get(key), omatches.get(key))
        if not (fname and oname and om and om.sure and all(k and k.sure for k in keys)):
            continue
        if m is not None and m.sure:
            continue
        theirs = pd.DataFrame(
            {
                "k": pd.to_numeric(rf.data[oname][keys[1].var], errors="coerce"),
                "v": pd.to_numeric(rf.data[oname][om.var], errors="coerce"),
            }
        ).dropna()
        best: tuple[float, str] | None = None
        for var, info in rf.vars[fname].items():
            if var == keys[0].var or not info.codes or len(info.codes) < 2:
                continue
            own = pd.DataFrame(
                {
                    "k": pd.to_numeric(rf.data[fname][keys[0].var], errors="coerce"),
                    "own": pd.to_numeric(rf.data[fname][var], errors="coerce"),
                }
            ).drop_duplicates("k")
            j = theirs.merge(own, on="k", how="inner")
            share = float((j["v"] == j["own"]).mean()) if len(j) else 0.0
            if share >= 0.95 and (best is None or share > best[0]):
                best = (share, var)
        if best is not None:
            n = len(theirs)
            matches[cname] = Match(
                best[1],
                ACCEPT,
                f"equals {other}.{ocol} ({om.var}) of the same {key} for {best[0]:.0%} of the "
                f"{n} records of {oname}",
            )


def _frames(assigned: Assigned, rf: RoundFiles) -> dict[str, pd.DataFrame]:
    """Canonical-named frames of the new round's raw codes, for the evidence rules."""
    return raw_frames(
        {
            t: (rf.data[fname], {c: m.var for c, m in matches.items() if m.var})
            for t, (fname, _, matches) in assigned.items()
            if fname is not None
        }
    )


def _evidence(
    cb: Codebook, assigned: Assigned, rf: RoundFiles, ref: RoundFiles | None
) -> dict[str, list[CodeEvidence]]:
    """What the data say about each category column ("table.column" -> evidence)."""
    frames = _frames(assigned, rf)
    files = {t: f for t, (f, _, _) in assigned.items() if f}
    out: dict[str, list[CodeEvidence]] = {}
    for rule in RULES:
        e = code_evidence(rule, frames, files)
        if e is not None:
            out.setdefault(e.target, []).append(e)
    if ref is not None and "frame" in cb.tables:
        ref_frames = raw_frames(
            {
                t.name: (ref.data[t.file], {c.name: c.raw for c in t.columns.values()})
                for t in cb.tables.values()
                if t.file in ref.data
            }
        )
        e = area_evidence(frames, ref_frames, cb.tables["frame"].columns["area"].codes)
        if e is not None:
            out.setdefault("household.area", []).append(e)
            out.setdefault("frame.area", []).append(e)
    return out


def _reference_round(cb: Codebook, like_raw: str | Path | None) -> RoundFiles | None:
    if not like_raw:
        return None
    read = {
        t.file: read_file(Path(like_raw) / t.file)
        for t in cb.tables.values()
        if (Path(like_raw) / t.file).exists()
    }
    return RoundFiles({k: v[0] for k, v in read.items()}, {k: v[1] for k, v in read.items()})


@dataclass
class Plan:
    """Everything the draft writes: matches, code proposals and code sets."""

    cb: Codebook
    doc: dict
    assigned: Assigned
    files: RoundFiles
    columns: dict[tuple[str, str], Proposal]  # inline proposals of category columns
    sets: dict[str, Proposal]  # proposal of each named code set
    set_users: dict[str, list[tuple[str, str]]]  # the columns that name the set in the draft
    confirmed: dict[tuple[str, str], str]  # unsure matches the data confirm (the evidence)


def _user_var(plan_like, tname: str, cname: str) -> Var | None:
    fname, _, matches = plan_like.assigned[tname]
    m = matches.get(cname)
    return plan_like.files.vars[fname][m.var] if fname and m and m.var else None


def _plan_codes(
    cb: Codebook,
    doc: dict,
    assigned: Assigned,
    rf: RoundFiles,
    refs: dict[str, dict[str, Var]],
    evidence: dict[str, list[CodeEvidence]],
) -> Plan:
    """Proposals for every matched category column and every named code set: a column names
    the set when its own codes are the set's (it is listed as the set's user)."""
    users = codeset_users(cb)
    set_of = {(t, c): name for name, (_, us) in users.items() for t, c, _ in us}
    plan = Plan(cb, doc, assigned, rf, {}, {}, {}, {})
    for name, (_, us) in users.items():
        ref_map = {int(k): str(v) for k, v in doc["codesets"][name].items()}
        col = Column(name=name, raw="", type="category", codes=ref_map)
        labels: dict[int, str] = {}
        ref_labels: dict[int, str] = {}
        seen: set[int] = set()
        ev: list[CodeEvidence] = []
        for t, c, raw in us:
            v = _user_var(plan, t, c)
            if v is not None:
                seen |= v.codes or set()
                labels = {**v.value_labels, **labels}
            r = refs.get(t, {}).get(raw)
            if r is not None:
                ref_labels = {**r.value_labels, **ref_labels}
            ev += [e for e in evidence.get(f"{t}.{c}", []) if e not in ev]
        plan.sets[name] = propose(col, ref_labels, labels, seen, ev)
        plan.set_users[name] = []
    for tname, table in cb.tables.items():
        for col in table.columns.values():
            v = _user_var(plan, tname, col.name)
            if col.type != "category" or v is None:
                continue
            name = set_of.get((tname, col.name))
            ev = list(evidence.get(f"{tname}.{col.name}", []))
            if name:
                ev = [e for t, c, _ in users[name][1] for e in evidence.get(f"{t}.{c}", [])]
            ref = refs.get(tname, {}).get(col.raw)
            p = propose(col, ref.value_labels if ref else {}, v.value_labels, v.codes, ev)
            if name and all(plan.sets[name].codes.get(k) == c for k, c in p.codes.items()):
                plan.set_users[name].append((tname, col.name))
            else:
                plan.columns[tname, col.name] = p
            if any(e.strong for e in evidence.get(f"{tname}.{col.name}", [])):
                strong = [e.text for e in evidence[f"{tname}.{col.name}"] if e.strong]
                plan.confirmed[tname, col.name] = strong[0]
    return plan


def draft_codebook(
    raw_dir: str | Path, like: str | Path, like_raw: str | Path | None = None
) -> str:
    """The draft codebook (YAML text with comments) for the files of ``raw_dir``."""
    raw_dir = Path(raw_dir)
    cb = load_codebook(like)
    doc = load_yaml(Path(like).read_text(encoding="utf-8"), str(like))
    rf = _raw_files(raw_dir)
    ref = _reference_round(cb, like_raw)
    refs = {
        t.name: ref.vars[t.file]
        for t in cb.tables.values()
        if ref is not None and t.file in ref.vars
    }
    assigned = match_files(cb, refs, rf.vars)
    _propagate_keys(cb, assigned, rf.vars, refs)
    _agreement(assigned, rf)
    evidence = _evidence(cb, assigned, rf, ref)
    plan = _plan_codes(cb, doc, assigned, rf, refs, evidence)
    body = _codeset_lines(plan) + _missing_lines(doc) + ["", "tables:"]
    for tname, table in cb.tables.items():
        body += _table_lines(plan, tname, table)
    n_cols = sum(len(t.columns) for t in cb.tables.values())
    n_matched = sum(
        1
        for t, (_, _, ms) in assigned.items()
        for c in cb.tables[t].columns
        if c in ms and (ms[c].sure or (t, c) in plan.confirmed)
    )
    head = [
        f"# DRAFT codebook for {raw_dir} (hhsurvey codebook draft, like {like}"
        + (f", labels of {like_raw}" if like_raw else "")
        + ").",
        "# Each mapping carries its evidence (the file's label; label, value-label and name",
        "# scores 0-100; what the data say). Every open point is marked TODO. Resolve them, then",
        "#   hhsurvey codebook check CONFIG   (format: docs/codebook.md)",
    ]
    meta = [
        f"round: {_scalar(raw_dir.name)}",
        f"instrument: {json.dumps('describe the instrument (' + raw_dir.name + ')')}"
        "  # TODO describe the instrument",
    ]
    n_todo = sum("TODO" in line for line in meta + body)
    lines = [
        *head,
        f"# Summary: {n_matched} of {n_cols} canonical columns matched with confidence; "
        f"{n_todo} line(s) marked TODO.",
        *meta,
        *body,
    ]
    return "\n".join(lines) + "\n"


def _scalar(s: str) -> str:
    if re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", s) and s.lower() not in YAML_WORDS:
        return s
    return json.dumps(s, ensure_ascii=False)


def _codes_flow(codes: dict[int, str]) -> str:
    return "{" + ", ".join(f"{k}: {json.dumps(v)}" for k, v in sorted(codes.items())) + "}"


def _comment(p: Proposal) -> list[str]:
    out = ["; ".join(p.notes)] if p.notes else []
    if p.todo:
        out.append("TODO " + "; ".join(p.todo))
    return out


def _codeset_lines(plan: Plan) -> list[str]:
    lines = ["", "codesets:"]
    for name, p in plan.sets.items():
        us = plan.set_users[name]
        if not us:
            continue  # no column of the draft names it
        lines.append(f"  # used by {', '.join(f'{t}.{c}' for t, c in us)}")
        comment = _comment(p)
        tail = f"  # {' | '.join(comment)}" if comment else ""
        lines.append(f"  {name}: {_codes_flow(p.codes)}{tail}")
    return lines if len(lines) > 2 else []


def _missing_lines(doc: dict) -> list[str]:
    lines = ["", "missing_codes:"]
    for kind, codes in (doc.get("missing_codes") or {}).items():
        lines.append(
            f"  {kind}: {_codes_flow({int(k): str(v) for k, v in codes.items()})}"
            "  # as the reference: check"
        )
    return lines


def _table_lines(plan: Plan, tname: str, table: Table) -> list[str]:
    fname, _, matches = plan.assigned[tname]
    lines = [f"  {tname}:"]
    if fname is None:
        lines.append(f"    file: TODO  # no file left for this table (reference: {table.file})")
        fvars: dict[str, Var] = {}
    else:
        same = Path(fname).stem.lower() == Path(table.file).stem.lower()
        why = "same name" if same else "by its variables"
        lines.append(f"    file: {_scalar(fname)}  # reference {table.file}: {why}")
        fvars = plan.files.vars[fname]
    lines.append(f"    keys: [{', '.join(table.keys)}]")
    if table.row_number:
        lines.append(f"    row_number: {table.row_number}")
    used = {m.var for m in matches.values() if m.var}
    pii = [
        v
        for v in fvars
        if v not in used and (IDENTIFIER.search(v) or IDENTIFIER.search(fvars[v].label))
    ]
    if pii or table.pii:
        lines.append(
            f"    pii: [{', '.join(_scalar(p) for p in pii)}]  # identifiers guessed from names "
            "and labels"
            + ("" if pii else f" TODO: none found, the reference had {list(table.pii)}")
        )
    lines.append("    columns:")
    for col in table.columns.values():
        lines.append(_column_line(plan, tname, table, col))
    left = [v for v in fvars if v not in used and v not in pii]
    if fname and left:
        lines.append(f"    # variables of {fname} not mapped: {', '.join(left)}")
    return lines


def _column_line(plan: Plan, tname: str, table: Table, col: Column) -> str:
    m = plan.assigned[tname][2].get(col.name) or Match(None, 0.0, "")
    cspec = plan.doc["tables"][tname]["columns"][col.name]
    extra = ", optional: true" if cspec.get("optional") else ""
    if cspec.get("allow_merge"):
        extra += f", allow_merge: [{', '.join(cspec['allow_merge'])}]"
    confirmed = plan.confirmed.get((tname, col.name))
    comments: list[str] = []
    if m.var is None:
        comments.append(f"TODO no variable found for {table.file}:{col.raw}")
    elif m.sure or confirmed:
        comments.append(f"was {col.raw}: {m.evidence}; score {m.score:.0f}")
        if not m.sure:
            comments.append("the data confirm the match")
        elif m.alternative:
            comments.append(f"TODO close alternative: {m.alternative}")
    else:
        comments.append(
            f"TODO no sure match for {table.file}:{col.raw}; best guess ({m.evidence}; "
            f"score {m.score:.0f})"
        )
    codes_txt = ""
    if col.type == "category":
        set_name = next((n for n, us in plan.set_users.items() if (tname, col.name) in us), None)
        if set_name:
            codes_txt = f", codes: {set_name}"
            if plan.sets[set_name].todo:
                comments.append(f"TODO shared code set {set_name}: see its possible recode")
        elif (tname, col.name) in plan.columns:
            p = plan.columns[tname, col.name]
            codes_txt = f", codes: {_codes_flow(p.codes or col.codes)}"
            comments += _comment(p)
        else:
            codes_txt = f", codes: {_codes_flow(col.codes)}"
            comments.append("TODO codes copied from the reference")
    raw = _scalar(m.var) if m.var else "TODO"
    return (
        f"      {col.name}: {{raw: {raw}, type: {col.type}{codes_txt}{extra}}}"
        f"  # {' | '.join(comments)}"
    )
