"""Check a round's raw files against its codebook and report every problem in one pass.

``check_round`` collects, for every table of the codebook, what ingest would stop on:
module files that are missing or in another format than the codebook names, files that cannot
be read, variables that are missing or differ from the codebook only in case, codes the
codebook does not map (with a "possible recode" hint when codes of the codebook never occur in
the same variable), value labels in the file that contradict the codebook's categories and,
with ``deep=True``, anything else the canonical mapping of ``io.to_canonical`` raises (text in
a numeric variable, blank keys, ...). The command line (``hhsurvey codebook check``) prints
them all; the ingest rule raises them all at once (``raise_problems``).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd
from rapidfuzz import process

from hhsurvey.errors import InputError
from hhsurvey.survey.codebook.evidence import mapping_problems
from hhsurvey.survey.codebook.match import category_score, contradictions, uncompared
from hhsurvey.survey.codebook.model import Codebook, Column, Table
from hhsurvey.survey.io import RawFile, outside_round, read_raw, to_canonical
from hhsurvey.yamlsafe import compose_bounded

READABLE = (".sav", ".dta", ".csv")
FORMATS = {".sav": "SPSS", ".dta": "Stata", ".csv": "CSV"}


@dataclass(frozen=True)
class Problem:
    """One problem: its kind, severity (error stops ingest; note does not) and message."""

    kind: str
    what: str
    where: str
    fix: str
    severity: str = "error"

    def render(self, number: int | None = None) -> str:
        head = f"{number}. " if number is not None else ""
        pad = " " * len(head)
        return f"{head}[{self.kind}] {self.what}\n{pad}  where: {self.where}\n{pad}  how to fix: {self.fix}"


def codeset_users(codebook: Codebook) -> dict[str, tuple[int, list[tuple[str, str, str]]]]:
    """Named code sets: their codebook line and the (table, column, raw variable) using them."""
    text = Path(codebook.path).read_text(encoding="utf-8")
    loader, root = compose_bounded(text, codebook.path)
    doc = (loader.construct_document(root) if root is not None else None) or {}
    lines: dict[str, int] = {}
    for key, value in getattr(root, "value", []):
        if key.value == "codesets" and hasattr(value, "value"):
            lines = {k.value: k.start_mark.line + 1 for k, _ in value.value}
    users: dict[str, tuple[int, list[tuple[str, str, str]]]] = {
        n: (ln, []) for n, ln in lines.items()
    }
    for tname, tspec in (doc.get("tables") or {}).items():
        for cname, cspec in ((tspec or {}).get("columns") or {}).items():
            ref = cspec.get("codes") if isinstance(cspec, dict) else None
            if isinstance(ref, str) and ref in users:
                users[ref][1].append((tname, cname, str(cspec.get("raw"))))
    return users


def shared_codeset_note(col: Column, table: Table, codebook: Codebook, users: dict) -> str:
    """The sentence saying that a column's codes are a shared code set, and who else uses it."""
    for name, (line, used_by) in users.items():
        if any(t == table.name and c == col.name for t, c, _ in used_by):
            names = ", ".join(f"{t}.{c} ({r})" for t, c, r in used_by)
            return (
                f" Note: {table.name}.{col.name} uses the shared code set `{name}` "
                f"({codebook.path} line {line}); adding or changing a code there changes every "
                f"variable that uses it ({len(used_by)}: {names}). To change this variable "
                f"alone, write its codes inline under {table.name}.{col.name}."
            )
    return ""


def _find_file(raw_dir: Path, name: str) -> tuple[Path | None, str]:
    """The file the codebook names, or a near miss: ('case' | 'format', path) or (None, '')."""
    path = raw_dir / name
    listing = sorted(p for p in raw_dir.iterdir() if p.is_file())
    if path.exists() and path.name in {p.name for p in listing}:
        return path, "ok"
    for p in listing:
        if p.name.lower() == name.lower():
            return p, "case"
    stem = Path(name).stem.lower()
    for p in listing:
        if p.stem.lower() == stem and p.suffix.lower() in READABLE:
            return p, "format"
    return None, ""


def _codes_seen(raw: RawFile, col: Column) -> set[int] | None:
    s = raw.data[col.raw]
    if not pd.api.types.is_numeric_dtype(s):
        s = pd.to_numeric(s.astype("string").str.strip().replace({"": pd.NA}), errors="coerce")
    v = s.dropna()
    if (v != v.round()).any():
        return None
    return {int(x) for x in v.unique()}


def _check_codes(
    raw: RawFile, col: Column, table: Table, codebook: Codebook, users: dict
) -> list[Problem]:
    seen = _codes_seen(raw, col)
    if seen is None:
        return []
    labels = {  # (a Stata extended missing value .a is labelled by its letter: not a code)
        int(k): str(v)
        for k, v in raw.value_labels.get(col.raw, {}).items()
        if isinstance(k, (int, float))
    }
    declared_missing = {int(x) for x in raw.missing_values.get(col.raw, set())}
    where_cb = codebook.where(table.name, col.name)
    out: list[Problem] = []
    unmapped = sorted(seen - set(col.codes))
    # codebook codes the data never use and the file does not label either
    unseen = sorted(
        k for k in set(col.codes) - seen if k not in labels and k not in declared_missing
    )
    if unmapped:
        desc = ", ".join(f"{u}" + (f" ('{labels[u]}')" if u in labels else "") for u in unmapped)
        hint = ""
        if unseen:
            pairs = []
            for u in unmapped:
                for k in unseen:
                    if u in labels and category_score(labels[u], col.codes[k]) >= 1.0:
                        pairs.append(f"{u} ('{labels[u]}') is what the codebook codes as {k}")
            hint = (
                f" The codebook's code(s) {unseen} ({', '.join(repr(col.codes[k]) for k in unseen)})"
                f" never occur in the data: possible recode"
                + (f" ({'; '.join(pairs)})" if pairs else "")
                + "."
            )
        out.append(
            Problem(
                "unmapped_code",
                f"variable {col.raw} has code(s) {desc} that the codebook does not map "
                f"(codes seen in the data: {sorted(seen)}).{hint}",
                f"{raw.path}, variable {col.raw}",
                f"add each code with its canonical category under `codes:` of "
                f"{table.name}.{col.name} at {where_cb}, e.g. `{unmapped[0]}: <category>`"
                + (", and remove the codes that no longer exist" if hint else "")
                + "."
                + shared_codeset_note(col, table, codebook, users),
            )
        )
    elif unseen and labels:
        out.append(
            Problem(
                "unseen_code",
                f"the codebook's code(s) {unseen} of {col.raw} never occur in the data and the "
                "file does not label them",
                f"{raw.path}, variable {col.raw}",
                f"nothing to do if they are merely rare; otherwise check {where_cb}",
                severity="note",
            )
        )
    found = contradictions(labels, col.codes, codebook.labels)
    unread = uncompared(labels, col.codes, codebook.labels)
    if unread:
        out.append(
            Problem(
                "label_not_compared",
                f"{len(unread)} value label(s) of {col.raw} are in a script the codebook gives "
                f"no category names for, so they could not be compared with the codebook: "
                + "; ".join(f"{c} '{lab}'" for c, lab in unread[:5]),
                f"{raw.path}, variable {col.raw}; {where_cb}",
                "add the categories' names as the labels write them under `category_labels:` "
                "of the codebook (docs/codebook.md), so that swapped codes are caught",
                severity="note",
            )
        )
    if found:
        parts = [
            f"code {code} is labelled '{label}' in the file, but the codebook maps it to "
            f"'{col.codes[code]}' (the label names '{named}')"
            for code, label, named in found
        ]
        swapped = {named for _, _, named in found} == {col.codes[c] for c, _, _ in found}
        out.append(
            Problem(
                "label_contradiction",
                f"value labels of {col.raw} contradict the codebook: "
                + "; ".join(parts)
                + (" -- the codes look swapped" if swapped and len(found) > 1 else ""),
                f"{raw.path}, variable {col.raw}; {where_cb}",
                f"check the export and the codebook: if this instrument numbers the categories "
                f"differently, correct the codes under {table.name}.{col.name} at {where_cb}."
                + shared_codeset_note(col, table, codebook, users),
            )
        )
    return out


def check_table(
    raw_dir: Path,
    table: Table,
    codebook: Codebook,
    users: dict,
    deep: bool = True,
    canonical: dict[str, pd.DataFrame] | None = None,
    raws: dict[str, RawFile] | None = None,
) -> list[Problem]:
    """Every problem of one table of the codebook against its file in ``raw_dir`` (with
    ``deep``, the canonical table is kept in ``canonical`` for the cross-file checks; the file
    read at the codebook's own name is kept in ``raws``, so that the ingest reads it once)."""
    if (err := outside_round(raw_dir, table, codebook)) is not None:
        return [Problem("outside_round", err.what, err.where, err.fix)]
    path, how = _find_file(raw_dir, table.file)
    out: list[Problem] = []
    if path is None:
        return [
            Problem(
                "missing_file",
                f"module file '{table.file}' (table {table.name}) is missing",
                str(raw_dir),
                f"copy {table.file} into {raw_dir}, or correct `file:` at "
                f"{codebook.where(table.name)}",
            )
        ]
    if how == "case":
        out.append(
            Problem(
                "name_case",
                f"module file '{table.file}' (table {table.name}) is there only as '{path.name}' "
                "(the names differ in case)",
                str(path),
                f"change `file: {table.file}` at {codebook.where(table.name)} to "
                f"`file: {path.name}` (names are case-sensitive on Linux and macOS)",
            )
        )
    elif how == "format":
        want, got = Path(table.file).suffix.lower(), path.suffix.lower()
        out.append(
            Problem(
                "file_format",
                f"module file '{table.file}' (table {table.name}) is missing; '{path.name}' "
                f"({FORMATS.get(got, got)}) is there instead of the expected "
                f"{FORMATS.get(want, want)} file",
                str(path),
                f"if '{path.name}' is the module, change `file: {table.file}` at "
                f"{codebook.where(table.name)} to `file: {path.name}` (.sav, .dta and UTF-8 .csv "
                "are all read)",
            )
        )
    try:
        raw = read_raw(path)
    except InputError as err:
        return [*out, Problem("unreadable", err.what, err.where, err.fix)]
    if raws is not None and how == "ok":
        raws[table.name] = raw
    present = list(raw.data.columns)
    lower = {c.lower(): c for c in present}
    mapped = {c.raw for c in table.columns.values()} | set(table.pii)
    unmapped = [c for c in present if c not in mapped]
    n_before = len(out)
    for col in table.columns.values():
        if col.raw in present:
            if col.type == "category":
                out += _check_codes(raw, col, table, codebook, users)
            continue
        if col.raw.lower() in lower:
            actual = lower[col.raw.lower()]
            out.append(
                Problem(
                    "name_case",
                    f"variable {col.raw} (canonical {table.name}.{col.name}) is in the file only "
                    f"as {actual} (the names differ in case)",
                    str(path),
                    f"change `raw: {col.raw}` at {codebook.where(table.name, col.name)} to "
                    f"`raw: {actual}`",
                )
            )
            continue
        if col.optional:
            continue
        close = [m[0] for m in process.extract(col.raw, unmapped, limit=3, score_cutoff=40)]
        out.append(
            Problem(
                "missing_variable",
                f"variable {col.raw} (canonical {table.name}.{col.name}) is not in the file.",
                str(path),
                f"if the variable was renamed in this instrument, change `raw: {col.raw}` at "
                f"{codebook.where(table.name, col.name)} to the new name"
                + (f" (similar names in the file: {close})" if close else "")
                + "; `hhsurvey codebook draft` proposes names from the file's labels.",
            )
        )
    # a value label that contradicts the codebook does not stop the mapping itself
    blocking = [
        p for p in out[n_before:] if p.severity == "error" and p.kind != "label_contradiction"
    ]
    if deep and how == "ok" and not blocking:
        try:
            canon, _ = to_canonical(raw, table, codebook)
        except InputError as err:
            out.append(Problem("ingest", err.what, err.where, err.fix))
        else:
            if canonical is not None:
                canonical[table.name] = canon
    return out


def _swap_hint(codebook: Codebook, target: str, have: str, want: str) -> str:
    """`codes: {...}` with the two categories swapped, for a mapping the data contradict."""
    t, c = target.split(".")
    codes = codebook.tables[t].columns[c].codes
    swap = {have: want, want: have}
    new = {k: swap.get(v, v) for k, v in sorted(codes.items())}
    return "{" + ", ".join(f"{k}: {v}" for k, v in new.items()) + "}"


def plausibility_problems(
    tables: dict[str, pd.DataFrame], codebook: Codebook, raw_dir: str | Path = ""
) -> list[Problem]:
    """The cross-file plausibility rules of :mod:`hhsurvey.survey.codebook.evidence` on the
    canonical tables: a mapping the data contradict (all mothers 'male') is an error naming
    the codebook entry of the column and the evidence."""
    files = {t.name: t.file for t in codebook.tables.values()}
    raw = {
        f"{t.name}.{c.name}": c.raw for t in codebook.tables.values() for c in t.columns.values()
    }
    users = codeset_users(codebook)
    out: list[Problem] = []
    for found in mapping_problems(tables, files, raw):
        tname, cname = found.target.split(".")
        table, col = codebook.tables[tname], codebook.tables[tname].columns[cname]
        rule, have = found.rule, found.dominant
        hint = ""
        if have in col.codes.values() and rule.category in col.codes.values():
            hint = (
                f" If this instrument numbers them the other way round, write `codes: "
                f"{_swap_hint(codebook, found.target, have, rule.category)}`"
                f" (or `raw:` names the wrong variable)."
            )
        out.append(
            Problem(
                "implausible_mapping",
                found.what,
                f"{codebook.where(tname, cname)} ({found.target}: raw {col.raw}, codes "
                f"{col.codes}); {Path(raw_dir) / table.file if raw_dir else table.file}",
                f"correct the mapping of {found.target} at {codebook.where(tname, cname)} "
                f"(its `codes:`, or its `raw:` variable): the code that the "
                f"{rule.members.format(file=table.file).split(' in ')[0]} hold is "
                f"'{rule.category}'." + hint + shared_codeset_note(col, table, codebook, users),
            )
        )
    return out


def check_round(
    raw_dir: str | Path,
    codebook: Codebook,
    deep: bool = True,
    raws: dict[str, RawFile] | None = None,
) -> list[Problem]:
    """Every problem of a round's raw files against its codebook, errors first; the files
    read are kept in ``raws`` (table -> :class:`RawFile`) when given, for
    :func:`hhsurvey.survey.io.read_round`."""
    raw_dir = Path(raw_dir)
    if not raw_dir.is_dir():
        return [
            Problem(
                "missing_folder",
                "raw data folder not found",
                str(raw_dir),
                "set `rounds.<round>.raw_dir` in the config to the folder holding the module files",
            )
        ]
    users = codeset_users(codebook)
    out: list[Problem] = []
    canonical: dict[str, pd.DataFrame] = {}
    for table in codebook.tables.values():
        out += check_table(
            raw_dir, table, codebook, users, deep=deep, canonical=canonical, raws=raws
        )
    out += plausibility_problems(canonical, codebook, raw_dir)
    return sorted(out, key=lambda p: p.severity != "error")


def errors(problems: list[Problem]) -> list[Problem]:
    return [p for p in problems if p.severity == "error"]


def raise_problems(problems: list[Problem], codebook: Codebook, config_hint: str = "") -> None:
    """Raise one InputError holding every error (as it is when there is one)."""
    errs = errors(problems)
    if not errs:
        return
    if len(errs) == 1:
        p = errs[0]
        raise InputError(p.what, p.where, p.fix)
    body = "\n".join("    " + p.render(i).replace("\n", "\n    ") for i, p in enumerate(errs, 1))
    raise InputError(
        f"{len(errs)} problems between the round's files and its codebook (all listed at once):\n"
        + body,
        f"{codebook.path} and the round's raw files",
        "fix each problem above (its own where / how to fix), then run "
        f"`hhsurvey codebook check {config_hint or 'CONFIG'}` to confirm before the next run",
    )


def format_report(problems: list[Problem], round_name: str, codebook: Codebook, raw_dir) -> str:
    """The command line's report of one round."""
    errs = errors(problems)
    notes = [p for p in problems if p.severity != "error"]
    head = f"round {round_name}: {raw_dir} against {codebook.path}"
    if not errs:
        lines = [f"{head}: OK, no problem ingest would stop on"]
    else:
        lines = [f"{head}: {len(errs)} problem(s)"]
        lines += ["  " + p.render(i).replace("\n", "\n  ") for i, p in enumerate(errs, 1)]
    if notes:
        lines.append(f"  {len(notes)} note(s) (not errors):")
        lines += ["    - " + p.what for p in notes]
    return "\n".join(lines)
