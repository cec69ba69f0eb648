"""Codebooks: how the raw files of one round map to the canonical tables.

A codebook is a YAML file (format in ``config/codebooks/README.md``). It names, for every
canonical table, the raw file, its keys and, for every canonical column, the raw variable,
its value type and (for categories) the raw codes with their canonical category. Two
instruments that differ in names or codes (baseline, endline) are harmonised by giving each
its own codebook that maps onto the same canonical categories.

The loader keeps the line number of every entry so that errors can say which line to edit.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from hhsurvey.errors import InputError
from hhsurvey.yamlsafe import compose_bounded, load_yaml

VALUE_TYPES = ("integer", "number", "amount", "age", "category", "date", "text")
TABLES = (
    "frame",
    "household",
    "food",
    "nonfood",
    "person",
    "episode",
    "admission",
    "birth",
    "child",
)


@dataclass(frozen=True)
class Column:
    """One canonical column: where it comes from and how to read it."""

    name: str
    raw: str
    type: str
    codes: dict[int, str] = field(default_factory=dict)
    optional: bool = False
    line: int = 0
    missing: dict[int, str] = field(default_factory=dict)
    format: str | None = None


@dataclass(frozen=True)
class Table:
    """One canonical table read from one raw file."""

    name: str
    file: str
    keys: tuple[str, ...]
    columns: dict[str, Column]
    pii: tuple[str, ...] = ()
    row_number: str | None = None
    line: int = 0


@dataclass(frozen=True)
class Codebook:
    """A parsed, checked codebook."""

    path: str
    round: str
    tables: dict[str, Table]
    missing_codes: dict[str, dict[int, str]]
    #: Names of canonical categories as value labels may write them, in any script
    #: (``category_labels``): the label check compares Lao-script labels with them.
    labels: dict[str, tuple[str, ...]] = field(default_factory=dict)

    def where(self, table: str, column: str | None = None) -> str:
        """'codebook.yaml line N' for a table or column entry."""
        t = self.tables[table]
        line = t.columns[column].line if column else t.line
        return f"{self.path} line {line}"


def _compose_lines(text: str) -> dict[tuple[str, ...], int]:
    """Map every mapping key path in the YAML document to its 1-based line number."""
    lines: dict[tuple[str, ...], int] = {}

    def walk(node: yaml.Node, path: tuple[str, ...]) -> None:
        if isinstance(node, yaml.MappingNode):
            for key, value in node.value:
                sub = (*path, str(key.value))
                lines[sub] = key.start_mark.line + 1
                walk(value, sub)

    _, root = compose_bounded(text, "the YAML document")
    if root is not None:
        walk(root, ())
    return lines


def _codes(
    spec: Any, codesets: dict[str, dict], where: str, allow_merge: list[str]
) -> dict[int, str]:
    """Resolve a code map (inline or a named code set) and check it is one-to-one."""
    if isinstance(spec, str):
        if spec not in codesets:
            raise InputError(
                f"unknown code set '{spec}'",
                where,
                f"define '{spec}' under `codesets:` or write the codes inline",
            )
        spec = codesets[spec]
    if not isinstance(spec, dict) or not spec:
        raise InputError("a category column needs a non-empty `codes` map", where, "add `codes:`")
    out: dict[int, str] = {}
    for raw, canon in spec.items():
        try:
            code = int(raw)
        except (TypeError, ValueError):
            raise InputError(
                f"raw code '{raw}' is not a whole number", where, "use numeric raw codes"
            ) from None
        out[code] = str(canon)
    seen: dict[str, list[int]] = {}
    for code, canon in out.items():
        seen.setdefault(canon, []).append(code)
    dupes = {c: v for c, v in seen.items() if len(v) > 1 and c not in allow_merge}
    if dupes:
        desc = "; ".join(f"codes {v} -> '{c}'" for c, v in dupes.items())
        raise InputError(
            f"two raw codes map to one canonical category ({desc})",
            where,
            "correct the mapping, or list the category under `allow_merge:` if the merge is intended",
        )
    return out


def _is_int(x: Any) -> bool:
    try:
        return int(x) == float(x)
    except (TypeError, ValueError):
        return False


def safe_load_yaml(text: str, where: str) -> Any:
    """Parse YAML without running anything, within the size and alias bounds of
    :mod:`hhsurvey.yamlsafe`; any YAML error becomes a what/where/how-to-fix.

    A tag (`!!python/object`, `!include`...) is refused by name: a configuration or codebook
    is data and never constructs objects."""
    return load_yaml(text, where)


def check_config_file(path: str | Path) -> dict:
    """Read a configuration file as data: YAML errors and tags become messages, and a file
    that turns on Snakemake's YTE templating (`__use_yte__: true`, Python expressions inside
    the YAML) is refused."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as err:
        raise InputError(
            f"cannot read the configuration file ({err.strerror})",
            str(path),
            "check the path given to --configfile",
        ) from None
    doc = safe_load_yaml(text, str(path))
    if isinstance(doc, dict) and "__use_yte__" in doc:
        line = next(
            (i for i, ln in enumerate(text.splitlines(), 1) if ln.startswith("__use_yte__")), 0
        )
        raise InputError(
            "the configuration turns on YTE templating (`__use_yte__`), which evaluates Python "
            "expressions written in the file; this project does not accept executable "
            "configuration",
            f"{path} line {line}",
            "remove `__use_yte__` and write plain values; compute derived values in the "
            "pipeline, not in the configuration",
        )
    return doc if isinstance(doc, dict) else {}


def _category_labels(names: Any, where: str) -> dict[str, tuple[str, ...]]:
    """``category_labels:`` of a codebook: canonical category -> its names in any script."""
    names = names or {}
    if not isinstance(names, dict) or not all(isinstance(v, (list, str)) for v in names.values()):
        raise InputError(
            "`category_labels:` must map each canonical category to its names (a list)",
            where,
            'write e.g. `cbhi: ["CBHI", "ປະກັນສຸຂະພາບຊຸມຊົນ"]`',
        )
    return {
        str(k): tuple(str(x) for x in ([v] if isinstance(v, str) else v)) for k, v in names.items()
    }


def load_codebook(path: str | Path) -> Codebook:
    """Read and check a codebook; raise InputError naming the line of any problem."""
    path = Path(path)
    if not path.exists():
        raise InputError(
            "codebook not found",
            str(path),
            "set `rounds.<round>.codebook` in the config to an existing file",
        )
    text = path.read_text(encoding="utf-8")
    doc = safe_load_yaml(text, str(path))
    lines = _compose_lines(text)
    if not isinstance(doc, dict) or "tables" not in doc:
        raise InputError(
            "codebook has no `tables:` section", str(path), "see config/codebooks/README.md"
        )

    def at(*keys: str) -> str:
        return f"{path} line {lines.get(tuple(keys), 0)}"

    codesets = doc.get("codesets") or {}
    missing = {
        kind: {int(k): str(v) for k, v in (codes or {}).items()}
        for kind, codes in (doc.get("missing_codes") or {}).items()
    }
    unknown_tables = set(doc["tables"]) - set(TABLES)
    if unknown_tables:
        raise InputError(
            f"unknown canonical table(s) {sorted(unknown_tables)}",
            at("tables"),
            f"use only {list(TABLES)}",
        )
    tables: dict[str, Table] = {}
    for tname, tspec in doc["tables"].items():
        for req in ("file", "keys", "columns"):
            if req not in tspec:
                raise InputError(
                    f"table '{tname}' has no `{req}`", at("tables", tname), f"add `{req}:`"
                )
        cols: dict[str, Column] = {}
        for cname, cspec in tspec["columns"].items():
            where = at("tables", tname, "columns", cname)
            if not isinstance(cspec, dict) or "raw" not in cspec or "type" not in cspec:
                raise InputError(
                    f"column '{tname}.{cname}' needs `raw:` and `type:`",
                    where,
                    "complete the entry",
                )
            if cspec["type"] not in VALUE_TYPES:
                raise InputError(
                    f"column '{tname}.{cname}' has unknown type '{cspec['type']}'",
                    where,
                    f"use one of {list(VALUE_TYPES)}",
                )
            codes = (
                _codes(cspec.get("codes"), codesets, where, cspec.get("allow_merge", []))
                if cspec["type"] == "category"
                else {}
            )
            miss = cspec.get("missing") or {}
            if not isinstance(miss, dict) or not all(_is_int(k) for k in miss):
                raise InputError(
                    f"`missing:` of column '{tname}.{cname}' must map whole-number codes to "
                    f"their meaning (got {miss!r})",
                    where,
                    "write e.g. `missing: {998: dont_know, 999: refused}`",
                )
            fmt = cspec.get("format")
            if fmt is not None and (cspec["type"] != "date" or not isinstance(fmt, str)):
                raise InputError(
                    f"`format:` of column '{tname}.{cname}' applies to text dates only",
                    where,
                    'give `format: "%d/%m/%Y"` (a strftime pattern) on a `type: date` column',
                )
            cols[cname] = Column(
                name=cname,
                raw=str(cspec["raw"]),
                type=cspec["type"],
                codes=codes,
                optional=bool(cspec.get("optional", False)),
                line=lines.get(("tables", tname, "columns", cname), 0),
                missing={int(k): str(v) for k, v in miss.items()},
                format=fmt,
            )
        row_number = tspec.get("row_number")
        keys = tuple(tspec["keys"])
        bad_keys = [k for k in keys if k not in cols and k != row_number]
        if bad_keys:
            raise InputError(
                f"keys {bad_keys} of table '{tname}' are not columns",
                at("tables", tname, "keys"),
                "declare them under `columns:`",
            )
        tables[tname] = Table(
            name=tname,
            file=str(tspec["file"]),
            keys=keys,
            columns=cols,
            pii=tuple(tspec.get("pii", [])),
            row_number=row_number,
            line=lines.get(("tables", tname), 0),
        )
    absent = [t for t in TABLES if t not in tables]
    if absent:
        raise InputError(
            f"codebook lacks table(s) {absent}",
            at("tables"),
            "describe every module file of the round (see config/codebooks/README.md)",
        )
    labels = _category_labels(doc.get("category_labels"), at("category_labels"))
    return Codebook(
        path=str(path),
        round=str(doc.get("round", "")),
        tables=tables,
        missing_codes=missing,
        labels=labels,
    )


def categories(codebook: Codebook, table: str, column: str) -> list[str]:
    """Canonical categories of a category column, in code order, without duplicates."""
    codes = codebook.tables[table].columns[column].codes
    return list(dict.fromkeys(codes[k] for k in sorted(codes)))
