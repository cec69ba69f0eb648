"""Read raw survey files (SPSS, Stata, CSV) and map them to canonical tables via a codebook.

Value labels and user-missing codes are read from the file. Only the columns the codebook
maps are kept, so personal identifiers (names, phones, GPS) never leave this module. Cells
holding a user-missing code (don't know, refused) become missing, and each one is listed in a
long "special codes" table that the cleaning stage writes to the cleaning log.
"""

from __future__ import annotations

import difflib
import hashlib
import logging
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import pyreadstat

from hhsurvey.codebook import Codebook, Column, Table, categories
from hhsurvey.errors import InputError, first_keys

log = logging.getLogger(__name__)

SPECIAL_COLUMNS = ["table", "keys", "column", "raw_variable", "code", "meaning"]


@dataclass
class RawFile:
    """A raw module file as read: data with raw names, plus the file's own metadata."""

    path: Path
    data: pd.DataFrame
    value_labels: dict[str, dict] = field(default_factory=dict)
    missing_values: dict[str, set[float]] = field(default_factory=dict)


def sha256(path: str | Path) -> str:
    """Checksum of a file (provenance and the raw/ integrity test)."""
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def _missing_from_meta(meta) -> dict[str, set[float]]:
    """User-missing codes declared in an SPSS/Stata file, per variable (discrete values only)."""
    out: dict[str, set[float]] = {}
    for var, ranges in (getattr(meta, "missing_ranges", None) or {}).items():
        vals: set[float] = set()
        for r in ranges:
            lo, hi = r.get("lo"), r.get("hi")
            if isinstance(lo, (int, float)) and lo == hi:
                vals.add(float(lo))
        out[var] = vals
    return out


def _first_bad_utf8(path: Path) -> str:
    """Where the first byte that is not UTF-8 lies: line, column and the bytes around it.

    (The decoder's own position is relative to the chunk pandas was reading.)"""
    data = path.read_bytes()
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as err:
        line_start = data.rfind(b"\n", 0, err.start) + 1
        line = data.count(b"\n", 0, err.start) + 1
        context = data[max(line_start, err.start - 20) : err.start + 10]
        return (
            f"{err.reason}: byte 0x{data[err.start]:02x} on line {line}, column "
            f"{err.start - line_start + 1}, in {context!r}"
        )
    return "undecodable bytes"


def read_raw(path: str | Path) -> RawFile:
    """Read one raw file by its extension; raise InputError if it is not what it claims."""
    path = Path(path)
    ext = path.suffix.lower()
    try:
        if ext == ".sav":
            df, meta = pyreadstat.read_sav(str(path), user_missing=True, apply_value_formats=False)
        elif ext == ".dta":
            df, meta = pyreadstat.read_dta(str(path), user_missing=True, apply_value_formats=False)
        elif ext == ".csv":
            df = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8")
            return RawFile(path=path, data=df)
        else:
            raise InputError(
                f"unsupported file type '{ext}'",
                str(path),
                "export the module as SPSS (.sav), Stata (.dta) or UTF-8 CSV",
            )
    except InputError:
        raise
    except UnicodeDecodeError:
        raise InputError(
            f"the file is not valid UTF-8 text ({_first_bad_utf8(path)})",
            str(path),
            "re-save the CSV as UTF-8 (Lao script must be UTF-8 encoded; in Excel: "
            "'CSV UTF-8'), or fix the characters on that line",
        ) from None
    except Exception as err:  # pyreadstat raises several private error types
        kind = {".sav": "SPSS", ".dta": "Stata"}[ext]
        if "encoding" in str(err):
            raise InputError(
                f"the {kind} file holds text (a label or a string value) that is not valid in "
                f"the file's declared encoding (UTF-8 for current SPSS/Stata files): {err}",
                str(path),
                "re-export the file in Unicode (UTF-8) mode (SPSS: SET UNICODE=ON before saving; "
                "Stata 14+: unicode translate), so that Lao script and accents are stored as UTF-8",
            ) from None
        raise InputError(
            f"cannot read the file as {kind or ext}: {type(err).__name__}: {err}",
            str(path),
            "the file is truncated, corrupt or not really this format; export it again from "
            "CSPro/SPSS and check that the copy is complete",
        ) from None
    return RawFile(
        path=path,
        data=df,
        value_labels=dict(meta.variable_value_labels or {}),
        missing_values=_missing_from_meta(meta),
    )


def _numeric(series: pd.Series, raw: RawFile, col: Column, table: Table) -> pd.Series:
    """Coerce a raw column to float64, failing clearly if it holds text."""
    if pd.api.types.is_numeric_dtype(series):
        return series.astype("float64")
    text = series.astype("string").str.strip().replace({"": pd.NA})
    num = pd.to_numeric(text, errors="coerce")
    bad = text.notna() & num.isna()
    if bad.any():
        examples = sorted(set(text[bad].astype(str)))[:5]
        raise InputError(
            f"variable {col.raw} holds text where {col.type} values are expected (e.g. {examples})",
            f"{raw.path}, variable {col.raw} (codebook: {table.name}.{col.name})",
            "store the variable as numeric in the export (no thousands separators, no units)",
        )
    return num.astype("float64")


def format_keys(df: pd.DataFrame, keys: list[str]) -> list[str]:
    """Render the key columns of each row as 'village=3, hh=12' for logs and messages."""
    return [
        ", ".join(f"{k}={v}" for k, v in zip(keys, row, strict=True))
        for row in df[keys].itertuples(index=False)
    ]


def empty_special() -> pd.DataFrame:
    """An empty special-codes table with its dtypes."""
    return pd.DataFrame(
        {
            "table": pd.Series(dtype="str"),
            "keys": pd.Series(dtype="str"),
            "column": pd.Series(dtype="str"),
            "raw_variable": pd.Series(dtype="str"),
            "code": pd.Series(dtype="int64"),
            "meaning": pd.Series(dtype="str"),
        }
    )


def to_canonical(
    raw: RawFile, table: Table, codebook: Codebook
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Map one raw file to its canonical table; return it and its special-code cells."""
    df = raw.data
    present = set(df.columns)
    missing_vars = [c for c in table.columns.values() if c.raw not in present and not c.optional]
    if missing_vars:
        c = missing_vars[0]
        mapped = {m.raw for m in table.columns.values()} | set(table.pii)
        unmapped = sorted(str(v) for v in present - mapped)
        close = difflib.get_close_matches(c.raw, unmapped, n=3, cutoff=0.4)
        hint = (
            f" Variables in the file that the codebook does not map: {unmapped[:10]}"
            + (f"; closest: {close}." if close else ".")
            if unmapped
            else ""
        )
        raise InputError(
            f"variable {c.raw} (canonical {table.name}.{c.name}) is not in the file."
            + (
                f" Also missing: {[m.raw for m in missing_vars[1:]]}."
                if len(missing_vars) > 1
                else ""
            ),
            f"{raw.path}",
            f"if the variable was renamed in this instrument, change `raw: {c.raw}` at "
            f"{codebook.where(table.name, c.name)} to the new name.{hint}",
        )
    mapped_pii = [c.raw for c in table.columns.values() if c.raw in table.pii]
    if mapped_pii:
        raise InputError(
            f"personal identifier(s) {mapped_pii} are mapped to canonical columns",
            codebook.where(table.name),
            "remove these columns from the codebook: identifiers must not reach results/",
        )
    out: dict[str, pd.Series] = {}
    specials: list[pd.DataFrame] = []
    for col in table.columns.values():
        if col.raw not in present:
            out[col.name] = pd.Series(np.nan, index=df.index, dtype="float64")
            continue
        s = df[col.raw]
        if col.type in ("integer", "number", "amount", "age"):
            v = _numeric(s, raw, col, table)
            if col.type in ("amount", "age"):
                codes = dict(codebook.missing_codes.get(col.type, {}))
                for code in raw.missing_values.get(col.raw, set()):
                    codes.setdefault(
                        int(code), str(raw.value_labels.get(col.raw, {}).get(code, "missing"))
                    )
                hit = v.isin(list(codes))
                if hit.any():
                    specials.append(
                        pd.DataFrame(
                            {
                                "column": col.name,
                                "raw_variable": col.raw,
                                "code": v[hit].astype("int64"),
                                "meaning": v[hit].astype("int64").map(codes).astype("str"),
                                "_row": np.flatnonzero(hit.to_numpy()),
                            }
                        )
                    )
                    v = v.mask(hit)
            out[col.name] = v
        elif col.type == "category":
            v = _numeric(s, raw, col, table)
            unknown = sorted(set(v.dropna().unique()) - set(col.codes))
            if unknown:
                labels = raw.value_labels.get(col.raw, {})
                seen = ", ".join(
                    f"{int(u)}" + (f" ('{labels[u]}')" if u in labels else "") for u in unknown
                )
                raise InputError(
                    f"variable {col.raw} has code(s) {seen} that the codebook does not map "
                    f"(codes seen in the data: {sorted(int(x) for x in v.dropna().unique())})",
                    f"{raw.path}, variable {col.raw}",
                    f"add each code with its canonical category under `codes:` of "
                    f"{table.name}.{col.name} at {codebook.where(table.name, col.name)}, "
                    f"e.g. `{int(unknown[0])}: <category>`",
                )
            cats = categories(codebook, table.name, col.name)
            mapped = v.map({float(k): val for k, val in col.codes.items()})
            out[col.name] = pd.Series(
                pd.Categorical(mapped, categories=cats), index=df.index, name=col.name
            )
        elif col.type == "date":
            out[col.name] = pd.to_datetime(s, errors="coerce").astype("datetime64[s]")
        else:  # text
            t = s.astype("string").str.strip()
            out[col.name] = t.mask(t == "").astype("str")
    canon = pd.DataFrame(out, index=df.index).reset_index(drop=True)
    key_cols = [k for k in table.keys if k != table.row_number]
    for k in key_cols:
        if canon[k].isna().any():
            rows = np.flatnonzero(canon[k].isna().to_numpy())[:20] + 1
            raise InputError(
                f"key variable {table.columns[k].raw} is blank in {int(canon[k].isna().sum())} row(s) "
                f"(rows {list(rows)})",
                f"{raw.path}",
                "every record needs its identifying keys; fix the export",
            )
        if table.columns[k].type == "integer":
            canon[k] = canon[k].astype("int64")
    if table.row_number:
        canon[table.row_number] = canon.groupby(key_cols, sort=False).cumcount().astype("int64") + 1
    if specials:
        special = pd.concat(specials, ignore_index=True)
        rows = special.pop("_row").to_numpy()
        special = special.assign(
            table=table.name, keys=format_keys(canon.iloc[rows], list(table.keys))
        )[SPECIAL_COLUMNS]
    else:
        special = empty_special()
    log.info("%s: %d rows, %d special-code cells", table.name, len(canon), len(special))
    return canon, special


def ingest(
    raw_dir: str | Path, codebook: Codebook
) -> tuple[dict[str, pd.DataFrame], pd.DataFrame, pd.DataFrame]:
    """Read every module of a round; return canonical tables, special codes and a file manifest."""
    raw_dir = Path(raw_dir)
    if not raw_dir.is_dir():
        raise InputError(
            "raw data folder not found",
            str(raw_dir),
            "set `rounds.<round>.raw_dir` in the config to the folder holding the module files",
        )
    tables: dict[str, pd.DataFrame] = {}
    specials: list[pd.DataFrame] = []
    manifest: list[dict] = []
    for name, table in codebook.tables.items():
        path = raw_dir / table.file
        if not path.exists():
            raise InputError(
                f"module file '{table.file}' (table {name}) is missing",
                str(raw_dir),
                f"copy {table.file} into {raw_dir}, or correct `file:` at {codebook.where(name)}",
            )
        raw = read_raw(path)
        canon, special = to_canonical(raw, table, codebook)
        tables[name] = canon
        specials.append(special)
        manifest.append(
            {"table": name, "file": table.file, "sha256": sha256(path), "rows": len(raw.data)}
        )
    special = pd.concat(specials, ignore_index=True)
    return tables, special, pd.DataFrame(manifest)


def duplicate_keys(df: pd.DataFrame, keys: list[str]) -> list[str]:
    """Keys (as text) that occur more than once."""
    return sorted(set(format_keys(df[df.duplicated(keys, keep=False)], keys)))


__all__ = [
    "RawFile",
    "duplicate_keys",
    "first_keys",
    "format_keys",
    "ingest",
    "read_raw",
    "sha256",
    "to_canonical",
]


def write_parquet(df: pd.DataFrame, path: str | Path) -> None:
    """Write a table as Parquet without the index (deterministic for the same inputs)."""
    df.reset_index(drop=True).to_parquet(path, index=False)
