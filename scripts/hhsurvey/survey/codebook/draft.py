"""Draft a codebook for a new round's raw files from the codebook of a similar round.

``draft_codebook(raw_dir, like)`` matches every canonical column of the ``like`` codebook to a
variable of the new files by its name, its variable label and its value labels (RapidFuzz
scores, one-to-one assignment per table), proposes the code mapping of every category from
the value labels, and writes YAML text in which every guess carries its evidence as a comment
and every open point says ``TODO``. When the raw files of the ``like`` round are given
(``like_raw``), their labels are what the new labels are compared with; otherwise the
canonical names are.

A code mapping that differs from the ``like`` codebook (sex 0/1 instead of 1/2, "no" coded 0
instead of 2) is a *possible recode*: it is proposed from the labels, never silently, and
marked ``TODO``. The format of the output is docs/codebook.md.
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
from hhsurvey.survey.codebook.match import best_category, label_similarity, tokens
from hhsurvey.survey.codebook.model import Codebook, Column, Table, load_codebook
from hhsurvey.survey.io import read_raw
from hhsurvey.yamlsafe import load_yaml

ACCEPT = 70.0  # a match scoring below this (0-100) is a TODO
CLOSE = 5.0  # a second candidate within this many points is named in a TODO
NUMERIC_TYPES = ("integer", "number", "amount", "age", "category")
IDENTIFIER = re.compile(r"name|phone|gps|latitude|longitude|address|mobile number", re.I)
YAML_WORDS = {"yes", "no", "on", "off", "true", "false", "null", "y", "n", "todo"}


@dataclass
class Var:
    """One raw variable as the draft sees it."""

    name: str
    label: str = ""
    value_labels: dict[int, str] = field(default_factory=dict)
    numeric: bool = True
    text: bool = False
    codes: set[int] | None = None


def read_vars(path: Path) -> dict[str, Var]:
    """Variables of one raw file: names, labels, value labels, kind and codes seen."""
    raw = read_raw(path)
    labels: dict[str, str] = {}
    if path.suffix.lower() in (".sav", ".dta"):
        reader = pyreadstat.read_sav if path.suffix.lower() == ".sav" else pyreadstat.read_dta
        _, meta = reader(str(path), metadataonly=True)
        labels = {k: v for k, v in (meta.column_names_to_labels or {}).items() if v}
    out: dict[str, Var] = {}
    for name in raw.data.columns:
        s = raw.data[name]
        if pd.api.types.is_numeric_dtype(s):
            num = s
        else:
            num = pd.to_numeric(
                s.astype("string").str.strip().replace({"": pd.NA}), errors="coerce"
            )
        nonblank = s.astype("string").str.strip().replace({"": pd.NA}).notna()
        numeric = bool(
            pd.api.types.is_numeric_dtype(s) or (nonblank.any() and (num.notna() == nonblank).all())
        )
        is_date = pd.api.types.is_datetime64_any_dtype(s) or (
            s.dtype == object
            and s.dropna().map(lambda x: hasattr(x, "year")).all()
            and s.notna().any()
        )
        codes = None
        if numeric and not is_date:
            v = num.dropna()
            if len(v) and (v == v.round()).all() and v.nunique() <= 60:
                codes = {int(x) for x in v.unique()}
        vl = {  # (Stata's extended missing .a is labelled by its letter: not a code)
            int(k): str(t)
            for k, t in (raw.value_labels.get(name) or {}).items()
            if isinstance(k, (int, float))
        }
        out[name] = Var(
            name=name,
            label=labels.get(name, ""),
            value_labels=vl,
            numeric=numeric and not is_date,
            text=not numeric and not is_date,
            codes=codes,
        )
    return out


def _raw_files(raw_dir: Path) -> dict[str, dict[str, Var]]:
    if not raw_dir.is_dir():
        raise InputError("raw data folder not found", str(raw_dir), "give the folder of the round")
    files = sorted(p for p in raw_dir.iterdir() if p.suffix.lower() in READABLE)
    if not files:
        raise InputError(
            "no .sav, .dta or .csv file in the folder", str(raw_dir), "give the round's folder"
        )
    return {p.name: read_vars(p) for p in files}


def _words(name: str) -> str:
    return " ".join(tokens(name))


def column_score(col: Column, ref: Var | None, var: Var) -> tuple[float, str]:
    """Score (0-100) of raw variable ``var`` for canonical column ``col``, with its evidence."""
    name = max(
        fuzz.ratio(var.name.lower(), col.raw.lower()), fuzz.ratio(var.name.lower(), col.name)
    )
    targets = [ref.label] if ref is not None and ref.label else []
    targets.append(_words(col.name))
    lab = max(
        0.7 * label_similarity(var.label, t)
        + 0.3 * fuzz.token_sort_ratio(_words(var.label), _words(t))
        for t in targets
    )
    vals = 0.0
    if col.type == "category":
        want = (
            list(ref.value_labels.values())
            if ref is not None and ref.value_labels
            else list(dict.fromkeys(col.codes.values()))
        )
        have = list(var.value_labels.values())
        if have and want:
            vals = float(np.mean([max(label_similarity(w, h) for h in have) for w in want]))
        elif not have:
            vals = 30.0
    if var.label:
        total = (
            0.45 * lab + 0.35 * vals + 0.2 * name
            if col.type == "category"
            else 0.75 * lab + 0.25 * name
        )
    else:
        total = 0.8 * name + 0.2 * vals if col.type == "category" else float(name)
    fits = (
        (col.type == "text" and var.text)
        or (col.type in NUMERIC_TYPES and var.numeric)
        or (col.type == "date" and not var.numeric and not var.text)
        or (col.type == "date" and var.text)
    )
    if col.type == "category" and var.codes is None:
        fits = False
    if not fits:
        total *= 0.2
    ev = (
        f"label {lab:.0f}"
        + (f", value labels {vals:.0f}" if col.type == "category" else "")
        + f", name {name:.0f}"
    )
    if var.label:
        ev = f"'{var.label}'; " + ev
    return float(total), ev


@dataclass
class Match:
    var: str | None
    score: float
    evidence: str
    alternative: str | None = None


def match_table(table: Table, refs: dict[str, Var], vars_: dict[str, Var]) -> dict[str, Match]:
    """One-to-one assignment of the table's canonical columns to the file's variables."""
    cols = list(table.columns.values())
    names = list(vars_)
    if not names:
        return {c.name: Match(None, 0.0, "the file has no variable") for c in cols}
    scores = np.zeros((len(cols), len(names)))
    evid: dict[tuple[int, int], str] = {}
    for i, c in enumerate(cols):
        for j, n in enumerate(names):
            scores[i, j], evid[i, j] = column_score(c, refs.get(c.raw), vars_[n])
    rows, cj = linear_sum_assignment(-scores)
    out: dict[str, Match] = {}
    for i, j in zip(rows, cj, strict=True):
        others = np.delete(scores[i], j)
        alt = None
        if len(others) and others.max() >= scores[i, j] - CLOSE:
            alt = names[int(np.argmax(np.where(np.arange(len(names)) == j, -1, scores[i])))]
        out[cols[i].name] = Match(names[j], float(scores[i, j]), evid[i, j], alt)
    for c in cols:
        out.setdefault(c.name, Match(None, 0.0, "no variable left to match"))
    return out


def match_files(
    codebook: Codebook, refs: dict[str, dict[str, Var]], files: dict[str, dict[str, Var]]
) -> dict[str, tuple[str | None, float, dict[str, Match]]]:
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
    out = {t.name: (None, 0.0, {}) for t in tables}
    for i, j in zip(rows, cj, strict=True):
        out[tables[i].name] = (fnames[j], float(score[i, j]), matches[i, j])
    return out


def _propagate_keys(codebook: Codebook, assigned: dict, files: dict[str, dict[str, Var]]) -> None:
    """A key left unsure in one table (the frame's CSV has no labels) takes the variable that
    the same canonical key has, surely, in the other tables, when the file has it."""
    sure: dict[str, dict[str, int]] = {}
    for tname, (_, _, matches) in assigned.items():
        for k in codebook.tables[tname].keys:
            m = matches.get(k)
            if m and m.var and m.score >= ACCEPT:
                sure.setdefault(k, {}).setdefault(m.var, 0)
                sure[k][m.var] += 1
    for tname, (fname, _, matches) in assigned.items():
        for k in codebook.tables[tname].keys:
            m = matches.get(k)
            if fname is None or m is None or m.score >= ACCEPT or k not in sure:
                continue
            var, n = max(sure[k].items(), key=lambda x: x[1])
            if var in files[fname]:
                matches[k] = Match(var, ACCEPT, f"the key {k} is {var} in {n} other table(s)")


def propose_codes(
    col: Column, ref: Var | None, var: Var
) -> tuple[dict[int, str], list[str], list[str]]:
    """Code -> category for the file's codes, the evidence, and the TODOs (recodes, unknowns)."""
    cats = list(dict.fromkeys(col.codes.values()))
    ref_by_label = {lab: code for code, lab in (ref.value_labels if ref else {}).items()}
    codes = sorted(set(var.value_labels) | (var.codes or set()))
    out: dict[int, str] = {}
    evidence: list[str] = []
    todo: list[str] = []
    for k in codes:
        label = var.value_labels.get(k)
        cat = None
        in_data = var.codes is None or k in var.codes
        if label is not None and ref_by_label:
            best = max(ref_by_label, key=lambda lab: fuzz.ratio(lab.lower(), label.lower()))
            if fuzz.ratio(best.lower(), label.lower()) >= 85:
                cat = col.codes.get(ref_by_label[best])
                if cat is None:  # a label the reference codebook leaves unmapped too
                    if in_data:
                        todo.append(
                            f"code {k} ('{label}') occurs but the reference maps no such code"
                        )
                    continue
        if cat is None and label is not None:
            cat, _ = best_category(label, cats)
        if cat is None and label is None and k in col.codes:
            cat = col.codes[k]
            evidence.append(f"{k}: no label, same code as the reference")
        if cat is None:
            if in_data:
                todo.append(
                    f"code {k}" + (f" ('{label}')" if label else "") + " matches no category"
                )
            continue
        out[k] = cat
    recoded = [k for k in out if k in col.codes and col.codes[k] != out[k]]
    new = [k for k in out if k not in col.codes]
    if recoded or new:
        ref_code = {c: k for k, c in col.codes.items()}
        parts = [
            f"'{out[k]}' is {k} here"
            + (f", {ref_code[out[k]]} in the reference" if out[k] in ref_code else "")
            for k in sorted(set(recoded) | set(new))
        ]
        gone = sorted(
            k for k in col.codes if k not in out and (var.codes is None or k not in var.codes)
        )
        todo.append(
            "possible recode: "
            + "; ".join(parts)
            + (f"; reference code(s) {gone} never occur" if gone else "")
            + " (proposed from the file's value labels: confirm)"
        )
    return out, evidence, todo


def _scalar(s: str) -> str:
    if re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", s) and s.lower() not in YAML_WORDS:
        return s
    return json.dumps(s, ensure_ascii=False)


def _codes_flow(codes: dict[int, str]) -> str:
    return "{" + ", ".join(f"{k}: {json.dumps(v)}" for k, v in sorted(codes.items())) + "}"


Proposal = tuple[dict[int, str], list[str], list[str]]  # codes, evidence, TODOs


@dataclass
class _Draft:
    """What the YAML writer needs: the reference, the new files, the matches and proposals."""

    cb: Codebook
    doc: dict
    files: dict[str, dict[str, Var]]
    assigned: dict[str, tuple[str | None, float, dict[str, Match]]]
    users: dict
    codeset_of: dict[tuple[str, str], str]
    proposals: dict[tuple[str, str], Proposal]
    codesets: dict[str, tuple[dict[int, str], list[str]]]
    n_todo: int = 0
    n_matched: int = 0


def draft_codebook(
    raw_dir: str | Path, like: str | Path, like_raw: str | Path | None = None
) -> str:
    """The draft codebook (YAML text with comments) for the files of ``raw_dir``."""
    raw_dir = Path(raw_dir)
    d = _match(raw_dir, like, like_raw)
    lines = _header(raw_dir, like, like_raw) + _codeset_lines(d) + ["", "tables:"]
    for tname in d.cb.tables:
        lines += _table_lines(d, tname)
    n_cols = sum(len(t.columns) for t in d.cb.tables.values())
    lines.insert(
        4,
        f"# Summary: {d.n_matched} of {n_cols} canonical columns matched with confidence; "
        f"{d.n_todo} TODO item(s).",
    )
    return "\n".join(lines) + "\n"


def _match(raw_dir: Path, like: str | Path, like_raw: str | Path | None) -> _Draft:
    """Match the files of ``raw_dir`` to the ``like`` codebook and propose every code set."""
    cb = load_codebook(like)
    doc = load_yaml(Path(like).read_text(encoding="utf-8"), str(like))
    files = _raw_files(raw_dir)
    refs: dict[str, dict[str, Var]] = {}
    if like_raw:
        for t in cb.tables.values():
            p = Path(like_raw) / t.file
            if p.exists():
                refs[t.name] = read_vars(p)
    assigned = match_files(cb, refs, files)
    _propagate_keys(cb, assigned, files)
    users = codeset_users(cb)
    codeset_of = {(t, c): name for name, (_, us) in users.items() for t, c, _ in us}

    # code proposals of every matched category column
    proposals: dict[tuple[str, str], Proposal] = {}
    for tname, (fname, _, matches) in assigned.items():
        for col in cb.tables[tname].columns.values():
            m = matches.get(col.name)
            if col.type == "category" and fname and m and m.var:
                proposals[tname, col.name] = propose_codes(
                    col, refs.get(tname, {}).get(col.raw), files[fname][m.var]
                )
    # a named code set stays named when every user gets the same proposal
    codesets: dict[str, tuple[dict[int, str], list[str]]] = {}
    for name, (_, us) in users.items():
        props = [proposals.get((t, c)) for t, c, _ in us]
        props = [p for p in props if p is not None]
        ref_map = {int(k): str(v) for k, v in doc["codesets"][name].items()}
        if props and all(p[0] == props[0][0] for p in props):
            codesets[name] = (props[0][0], props[0][2])
        else:
            codesets[name] = (ref_map, [])
    return _Draft(cb, doc, files, assigned, users, codeset_of, proposals, codesets)


def _header(raw_dir: Path, like: str | Path, like_raw: str | Path | None) -> list[str]:
    """The opening comments, the round and the instrument (the summary is inserted later)."""
    return [
        f"# DRAFT codebook for {raw_dir} (hhsurvey codebook draft, like {like}"
        + (f", labels of {like_raw}" if like_raw else "")
        + ").",
        "# Each mapping carries its evidence (the file's label; label, value-label and name",
        "# scores 0-100). Every open point says TODO. Resolve them, then run",
        "#   hhsurvey codebook check CONFIG   (format: docs/codebook.md)",
        f"round: {_scalar(raw_dir.name)}",
        f"instrument: {json.dumps('TODO: describe the instrument (' + raw_dir.name + ')')}",
        "",
    ]


def _codeset_lines(d: _Draft) -> list[str]:
    """The ``codesets:`` and ``missing_codes:`` sections."""
    lines = ["codesets:"]
    for name, (codes, todo) in d.codesets.items():
        users_txt = ", ".join(f"{t}.{c}" for t, c, _ in d.users[name][1])
        comment = f"  # TODO {'; '.join(todo)}" if todo else ""
        lines.append(f"  # used by {users_txt}")
        lines.append(f"  {name}: {_codes_flow(codes)}{comment}")
    lines += ["", "missing_codes:"]
    for kind, codes in (d.doc.get("missing_codes") or {}).items():
        lines.append(
            f"  {kind}: {_codes_flow({int(k): str(v) for k, v in codes.items()})}  # as the reference: check"
        )
    return lines


def _table_lines(d: _Draft, tname: str) -> list[str]:
    """One table: its file, keys, identifiers, columns and the variables left unmapped."""
    table = d.cb.tables[tname]
    fname, _, matches = d.assigned[tname]
    lines = [f"  {tname}:"]
    if fname is None:
        lines.append(f"    file: TODO  # no file left for this table (reference: {table.file})")
        d.n_todo += 1
        fvars: dict[str, Var] = {}
    else:
        why = (
            "same name"
            if Path(fname).stem.lower() == Path(table.file).stem.lower()
            else "by its variables"
        )
        lines.append(f"    file: {_scalar(fname)}  # reference {table.file}: {why}")
        fvars = d.files[fname]
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
            f"    pii: [{', '.join(_scalar(p) for p in pii)}]  # identifiers guessed from names and labels"
            + ("" if pii else " TODO: none found, the reference had " + str(list(table.pii)))
        )
    lines.append("    columns:")
    for col in table.columns.values():
        lines.append(_column_line(d, tname, col, matches.get(col.name) or Match(None, 0.0, "")))
    if fname:
        left = [v for v in fvars if v not in used and v not in pii]
        if left:
            lines.append(f"    # variables of {fname} not mapped: {', '.join(left)}")
    return lines


def _column_line(d: _Draft, tname: str, col: Column, m: Match) -> str:
    """One canonical column: its raw variable, type and codes, with the evidence and TODOs."""
    table = d.cb.tables[tname]
    cspec = d.doc["tables"][tname]["columns"][col.name]
    extra = ""
    if cspec.get("optional"):
        extra += ", optional: true"
    if cspec.get("allow_merge"):
        extra += f", allow_merge: [{', '.join(cspec['allow_merge'])}]"
    comments: list[str] = []
    if m.var is None or m.score < ACCEPT:
        raw = m.var if m.var and m.score >= 40 else "TODO"
        comments.append(
            f"TODO no sure match for {table.file}:{col.raw}"
            + (f"; best guess {m.var} ({m.evidence}; score {m.score:.0f})" if m.var else "")
        )
    else:
        raw = m.var
        d.n_matched += 1
        comments.append(f"was {col.raw}: {m.evidence}; score {m.score:.0f}")
        if m.alternative:
            comments.append(f"TODO close alternative: {m.alternative}")
    codes_txt = ""
    if col.type == "category":
        set_name = d.codeset_of.get((tname, col.name))
        prop = d.proposals.get((tname, col.name))
        if set_name and (prop is None or prop[0] == d.codesets[set_name][0]):
            codes_txt = f", codes: {set_name}"
            if d.codesets[set_name][1]:
                comments.append(f"TODO shared code set {set_name}: see its possible recode")
        elif prop is not None:
            codes_txt = f", codes: {_codes_flow(prop[0] or col.codes)}"
            if prop[1]:
                comments.append("; ".join(prop[1]))
            if prop[2]:
                comments.append("TODO " + "; ".join(prop[2]))
        else:
            codes_txt = f", codes: {_codes_flow(col.codes)}"
            comments.append("TODO codes copied from the reference")
    d.n_todo += sum("TODO" in c for c in comments)
    return (
        f"      {col.name}: {{raw: {_scalar(raw)}, type: {col.type}{codes_txt}{extra}}}"
        f"  # {' | '.join(comments)}"
    )
