"""Read raw survey files (SPSS, Stata, CSV) and map them to canonical tables via a codebook.

Value labels and user-missing codes are read from the file. Only the columns the codebook
maps are kept, so personal identifiers (names, phones, GPS) never leave this module. Cells
holding a user-missing code (don't know, refused) become missing, and each one is listed in a
long "special codes" table that the cleaning stage writes to the cleaning log.
"""

from __future__ import annotations

import csv
import difflib
import hashlib
import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from io import StringIO
from pathlib import Path

import numpy as np
import pandas as pd
import pyreadstat

from hhsurvey.errors import InputError, first_keys
from hhsurvey.paths import is_inside
from hhsurvey.survey.codebook.model import Codebook, Column, Table, categories
from hhsurvey.survey.privacy import Redactor, collect_identifiers
from hhsurvey.survey.text import strip_invisible

log = logging.getLogger(__name__)

SPECIAL_COLUMNS = ["table", "keys", "column", "raw_variable", "code", "meaning"]


@dataclass
class RawFile:
    """A raw module file as read: data with raw names, plus the file's own metadata."""

    path: Path
    data: pd.DataFrame
    value_labels: dict[str, dict] = field(default_factory=dict)
    missing_values: dict[str, set[float]] = field(default_factory=dict)
    missing_ranges: dict[str, list[tuple[float, float]]] = field(default_factory=dict)
    #: Stata extended missing values (.a to .z) of numeric variables, per variable: the
    #: letter of each such cell, by row position (the cell itself reads as missing).
    extended_missing: dict[str, pd.Series] = field(default_factory=dict)


def sha256(path: str | Path) -> str:
    """Checksum of a file (provenance and the raw/ integrity test)."""
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def _missing_from_meta(meta) -> tuple[dict[str, set[float]], dict[str, list[tuple[float, float]]]]:
    """User-missing codes declared in an SPSS/Stata file, per variable: discrete values, and
    ranges (SPSS `MISSING VALUES x (LO THRU HI)`)."""
    out: dict[str, set[float]] = {}
    spans: dict[str, list[tuple[float, float]]] = {}
    for var, ranges in (getattr(meta, "missing_ranges", None) or {}).items():
        vals: set[float] = set()
        for r in ranges:
            lo, hi = r.get("lo"), r.get("hi")
            if not isinstance(lo, (int, float)) or not isinstance(hi, (int, float)):
                continue
            if lo == hi:
                vals.add(float(lo))
            else:
                spans.setdefault(var, []).append((float(lo), float(hi)))
        out[var] = vals
    return out, spans


#: Separators recognised in a CSV header besides the comma (semicolon: Excel in many locales).
CSV_SEPARATORS = {",": "comma", ";": "semicolon", "\t": "tab", "|": "vertical bar"}


def _read_csv(path: Path) -> pd.DataFrame:
    """A UTF-8 CSV as text columns, its separator taken from the header line.

    Every data line must have as many fields as the header; otherwise the message names the
    line and the column where the fields stop matching (an unquoted comma in a village name
    shifts every later column, which is why this is checked before any value is read)."""
    text = path.read_bytes().decode("utf-8")  # UnicodeDecodeError: caller names the byte
    if text.startswith("\ufeff"):
        text = text[1:]
    header = text.split("\n", 1)[0]
    counts = {sep: header.count(sep) for sep in CSV_SEPARATORS}
    sep = max(counts, key=lambda k: (counts[k], k == ","))
    if sep != ",":
        log.warning(
            "%s: the header is separated by %s ('%s'), not commas; read with that separator",
            path,
            CSV_SEPARATORS[sep],
            sep,
        )
    reader = csv.reader(StringIO(text, newline=""), delimiter=sep, strict=True)
    rows = []
    last = 0  # the line on which the last complete record ended
    try:
        for row in reader:
            rows.append(row)
            last = reader.line_num
    except csv.Error as err:
        start = last + 1
        line_text = text.splitlines()[start - 1] if start <= len(text.splitlines()) else ""
        if "field larger than field limit" in str(err) and text.count('"') % 2 == 0:
            raise InputError(
                f"the record starting on line {start} holds a value longer than "
                f"{csv.field_size_limit():,} characters (the quotes of the file are balanced, "
                "so this is a value of that length, not an unclosed quote)",
                f"{path}, line {start}",
                "no answer of a survey module is that long: remove or shorten the value in the "
                "export (a free-text answer pasted many times, or a binary blob)",
            ) from None
        raise InputError(
            f"cannot read the file as CSV: {err} in the record starting on line {start} "
            f"(read up to line {reader.line_num}): {line_text[:120]!r}",
            f"{path}, line {start}",
            "a quote opened in a value must be closed (write a quote inside a value as two "
            'quotes: ""); fix that line, or re-export the module as UTF-8 CSV',
        ) from None
    while rows and not any(cell.strip() for cell in rows[-1]):
        rows.pop()
    if not rows:
        raise InputError("the CSV file is empty", str(path), "export the module again")
    names = [c.strip() for c in rows[0]]
    twice = sorted({n for n in names if names.count(n) > 1})
    if twice:
        cols = [i + 1 for i, n in enumerate(names) if n in twice]
        raise InputError(
            f"the header names column(s) {twice} more than once (columns {cols}); the file "
            "cannot say which one the codebook means",
            f"{path}, line 1",
            "rename or remove the repeated column in the export, so that every column has "
            "its own name",
        )
    for i, row in enumerate(rows[1:], start=2):
        if len(row) != len(names) and any(cell.strip() for cell in row):
            column = min(len(row), len(names)) + 1
            col_name = names[column - 1] if column <= len(names) else "(none: beyond the header)"
            raise InputError(
                f"line {i} has {len(row)} fields where the header has {len(names)} "
                f"(separator: {CSV_SEPARATORS[sep]} '{sep}'); the fields stop matching at "
                f"column {column} ({col_name}): {sep.join(row)[:120]!r}",
                f"{path}, line {i}, column {column}",
                "a value holding the separator (e.g. a comma in a village name) must be quoted "
                '("Ban Na, upper"); re-export the file with quoting, or remove the stray separator',
            )
    data = [r for r in rows[1:] if any(cell.strip() for cell in r)]
    return pd.DataFrame(data, columns=names, dtype="str")


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


def outside_round(raw_dir: str | Path, table: Table, codebook: Codebook) -> InputError | None:
    """The error for a codebook ``file:`` that leaves the round's raw folder (``..``, an
    absolute path, or a symbolic link pointing out of it), or None when it stays inside."""
    if is_inside(Path(raw_dir) / table.file, raw_dir):
        return None
    return InputError(
        f"the codebook's `file: {table.file}` (table {table.name}) leaves the round's raw "
        f"folder {raw_dir}; a round reads only the files of its own folder",
        f"{codebook.where(table.name)}: tables.{table.name}.file",
        f"name a file inside {raw_dir} (e.g. `file: {Path(table.file).name}`), and copy the "
        "file into that folder if it belongs to the round",
    )


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
            return RawFile(path=path, data=_read_csv(path))
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
    except csv.Error as err:
        raise InputError(
            f"cannot read the file as CSV: {err}",
            str(path),
            "check the quoting of the line named (a quote opened and never closed); "
            "re-export the module as UTF-8 CSV",
        ) from None
    except Exception as err:  # pyreadstat raises several private error types
        kind = {".sav": "SPSS", ".dta": "Stata"}.get(ext, "CSV")
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
    values, spans = _missing_from_meta(meta)
    df, extended = _stata_extended(df, meta) if ext == ".dta" else (df, {})
    return RawFile(
        path=path,
        data=df,
        value_labels=dict(meta.variable_value_labels or {}),
        missing_values=values,
        missing_ranges=spans,
        extended_missing=extended,
    )


def _stata_extended(df: pd.DataFrame, meta) -> tuple[pd.DataFrame, dict[str, pd.Series]]:
    """Numeric Stata variables holding extended missing values (.a to .z, read by pyreadstat
    as the letters): the variable as numbers with those cells missing, and the letters."""
    kinds = getattr(meta, "readstat_variable_types", None) or {}
    found: dict[str, pd.Series] = {}
    for var in df.columns:
        s = df[var]
        if kinds.get(var) == "string" or pd.api.types.is_numeric_dtype(s):
            continue
        letter = s.map(lambda v: isinstance(v, str) and len(v) == 1 and "a" <= v <= "z")
        letter = letter.astype(bool)
        if not letter.any():
            continue
        found[var] = (
            s[letter].astype(str).reset_index(drop=True).set_axis(np.flatnonzero(letter.to_numpy()))
        )
        df = df.assign(**{var: pd.to_numeric(s.mask(letter), errors="coerce")})
    return df, found


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


def _user_missing(
    v: pd.Series, raw: RawFile, col: Column, codebook: Codebook, unmapped_only: bool = False
) -> tuple[pd.Series, pd.DataFrame | None]:
    """Blank the user-missing codes of a numeric column; return it and the cells blanked.

    Codes come from three places: `missing_codes` of the codebook by value type (amount, age),
    `missing:` of the column in the codebook, and the missing values declared in the SPSS/Stata
    file for this variable (single values and ranges)."""
    labels = raw.value_labels.get(col.raw, {})
    codes: dict[float, str] = {
        float(k): m for k, m in codebook.missing_codes.get(col.type, {}).items()
    }
    codes.update({float(k): m for k, m in col.missing.items()})
    for code in raw.missing_values.get(col.raw, set()):
        codes.setdefault(float(code), str(labels.get(code, "missing")))
    if unmapped_only:
        codes = {k: m for k, m in codes.items() if k not in col.codes}
    hit = v.isin(list(codes))
    for lo, hi in raw.missing_ranges.get(col.raw, []):
        if unmapped_only:
            continue
        hit |= (v >= lo) & (v <= hi)
    if not hit.any():
        return v, None
    vals = v[hit]
    meaning = vals.map(codes).fillna("declared missing range").astype("str")
    found = pd.DataFrame(
        {
            "column": col.name,
            "raw_variable": col.raw,
            "code": vals.round().astype("int64").astype("str"),
            "meaning": meaning,
            "_row": np.flatnonzero(hit.to_numpy()),
        }
    )
    return v.mask(hit), found


#: Text dates that read the same whatever the convention: ISO 8601 (year first).
ISO_DATE = r"^\d{4}-\d{1,2}-\d{1,2}([ T]\d{1,2}:\d{2}(:\d{2})?)?$"


def _dates(s: pd.Series, raw: RawFile, col: Column, table: Table, codebook: Codebook) -> pd.Series:
    """Dates of the file: SPSS/Stata dates as stored, text dates in ISO form or in the format
    the codebook names (`format: "%d/%m/%Y"`); any other text date is ambiguous, an error."""
    if pd.api.types.is_datetime64_any_dtype(s) or not (
        s.dtype == object or pd.api.types.is_string_dtype(s)
    ):
        return pd.to_datetime(s, errors="coerce").astype("datetime64[s]")
    text = s.astype("string").str.strip().replace({"": pd.NA})
    is_text = text.notna() & ~s.map(lambda x: hasattr(x, "year")).astype(bool)
    if col.format:
        parsed = pd.to_datetime(text.where(is_text), format=col.format, errors="coerce")
        bad = is_text & parsed.isna()
        if bad.any():
            rows = list(np.flatnonzero(bad.to_numpy())[:10] + 1)
            raise InputError(
                f"variable {col.raw} holds {int(bad.sum())} date(s) that do not follow the "
                f"codebook's format '{col.format}' (e.g. {sorted(set(text[bad]))[:3]}; rows {rows})",
                f"{raw.path}, variable {col.raw}",
                f"correct those dates, or the `format:` at {codebook.where(table.name, col.name)}",
            )
        other = pd.to_datetime(s.where(~is_text), errors="coerce")
        return parsed.fillna(other).astype("datetime64[s]")
    ambiguous = is_text & ~text.fillna("").str.match(ISO_DATE)
    if ambiguous.any():
        rows = list(np.flatnonzero(ambiguous.to_numpy())[:10] + 1)
        raise InputError(
            f"variable {col.raw} holds {int(ambiguous.sum())} text date(s) in a format that is "
            f"not ISO (year-month-day), e.g. {sorted(set(text[ambiguous]))[:3]} (rows {rows}): "
            "03/04/2013 may be 3 April or 4 March",
            f"{raw.path}, variable {col.raw} (codebook: {table.name}.{col.name})",
            f"name the format at {codebook.where(table.name, col.name)}, e.g. "
            '`format: "%d/%m/%Y"` (day first) or `"%m/%d/%Y"`, or export the dates as '
            "SPSS dates or ISO text (2013-04-03)",
        )
    return pd.to_datetime(s, errors="coerce").astype("datetime64[s]")


def _extended_found(raw: RawFile, col: Column) -> pd.DataFrame:
    """The special-code rows of a variable's Stata extended missing values (.a to .z)."""
    letters = raw.extended_missing[col.raw]
    labels = raw.value_labels.get(col.raw, {})
    return pd.DataFrame(
        {
            "column": col.name,
            "raw_variable": col.raw,
            "code": ("." + letters).to_numpy(),
            "meaning": [str(labels.get(x, "Stata extended missing value")) for x in letters],
            "_row": letters.index.to_numpy(),
        }
    )


def _whole_numbers(v: pd.Series, raw: RawFile, col: Column, table: Table) -> None:
    """An integer variable (a key, a count) holding a fraction is an error naming the rows:
    a key of 3.9999999999 (shown as 4 by SPSS) would otherwise be cut to 3."""
    frac = v.notna() & (v != v.round())
    if not frac.any():
        return
    rows = np.flatnonzero(frac.to_numpy())
    shown = ", ".join(f"row {r + 1}: {float(v.iloc[r])!r}" for r in rows[:10])
    raise InputError(
        f"variable {col.raw} ({table.name}.{col.name}) must hold whole numbers but holds "
        f"{len(rows)} fraction(s) ({shown}); a record keyed 3.9999999999 (shown as 4) would "
        "attach to the wrong household or person",
        f"{raw.path}, variable {col.raw}, row(s) {[int(r) + 1 for r in rows[:10]]}",
        "round the value(s) to the intended whole number in the export (after checking which "
        "record each belongs to), e.g. SPSS: COMPUTE HL1 = RND(HL1)",
    )


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
            "code": pd.Series(dtype="str"),
            "meaning": pd.Series(dtype="str"),
        }
    )


def _categorical(values: pd.Series, codes: Mapping, cats: list[str]) -> pd.Categorical:
    """The categories of numeric ``values`` by the codebook's ``codes`` (code -> category), as
    ``pd.Categorical(values.map(codes), categories=cats)`` gives them (a missing value, or a
    category not among ``cats``, is missing), looked up in the sorted codes instead of hashing
    a text per row."""
    where = {c: i for i, c in enumerate(cats)}
    by_code = {float(k): where.get(v, -1) for k, v in codes.items()}
    keys = np.array(sorted(by_code), dtype="float64")
    target = np.array([by_code[k] for k in keys], dtype="int64")
    x = values.to_numpy(dtype="float64", na_value=np.nan)
    if not len(keys):
        return pd.Categorical.from_codes(np.full(len(x), -1), categories=cats)
    pos = np.minimum(np.searchsorted(keys, x), len(keys) - 1)
    return pd.Categorical.from_codes(np.where(keys[pos] == x, target[pos], -1), categories=cats)


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
        if col.raw in raw.extended_missing:
            specials.append(_extended_found(raw, col))
        if col.type in ("integer", "number", "amount", "age"):
            v = _numeric(s, raw, col, table)
            if col.type == "integer":
                _whole_numbers(v, raw, col, table)
            if col.name not in table.keys:
                v, found = _user_missing(v, raw, col, codebook)
                if found is not None:
                    specials.append(found)
            out[col.name] = v
        elif col.type == "category":
            v = _numeric(s, raw, col, table)
            # a code the file (or the codebook) declares missing and the codebook does not map
            # is a missing value, logged; a mapped code keeps its category
            v, found = _user_missing(v, raw, col, codebook, unmapped_only=True)
            if found is not None:
                specials.append(found)
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
            out[col.name] = pd.Series(
                _categorical(v, col.codes, cats), index=df.index, name=col.name
            )
        elif col.type == "date":
            out[col.name] = _dates(s, raw, col, table, codebook)
        else:  # text, without the zero-width characters a keyboard leaves inside words
            t = s.astype("string").str.strip()
            t, invisible = strip_invisible(t.mask(t == "").astype("str"))
            if invisible:
                log.info(
                    "%s.%s (%s): zero-width characters removed from %d answer(s)",
                    table.name,
                    col.name,
                    col.raw,
                    invisible,
                )
            out[col.name] = t
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
    tables, special, manifest, _ = read_round(raw_dir, codebook)
    return tables, special, manifest


REDACTION_LOG_COLUMNS = ["table", "keys", "column", "raw_variable", "kinds"]


def read_round(
    raw_dir: str | Path,
    codebook: Codebook,
    show_verbatim: bool = True,
    raws: Mapping[str, RawFile] | None = None,
) -> tuple[dict[str, pd.DataFrame], pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Read every module of a round: canonical tables, special codes, file manifest, and the
    free-text cells redacted or withheld (table, keys, column, raw_variable, kinds; never the
    value). Free text (`type: text` outside the frame) is scanned against every identifier of
    the round (:mod:`hhsurvey.survey.privacy`); with ``show_verbatim=False`` it is withheld entirely.
    ``raws``: files already read from this folder (by
    :func:`hhsurvey.survey.codebook.check.check_round`), by table, not read again."""
    raw_dir = Path(raw_dir)
    if not raw_dir.is_dir():
        raise InputError(
            "raw data folder not found",
            str(raw_dir),
            "set `rounds.<round>.raw_dir` in the config to the folder holding the module files",
        )
    read: dict[str, RawFile] = {}
    manifest: list[dict] = []
    for name, table in codebook.tables.items():
        if (err := outside_round(raw_dir, table, codebook)) is not None:
            raise err
        path = raw_dir / table.file
        if not path.exists():
            raise InputError(
                f"module file '{table.file}' (table {name}) is missing",
                str(raw_dir),
                f"copy {table.file} into {raw_dir}, or correct `file:` at {codebook.where(name)}",
            )
        read[name] = (raws or {}).get(name) or read_raw(path)
        manifest.append(
            {
                "table": name,
                "file": table.file,
                "sha256": sha256(path),
                "rows": len(read[name].data),
            }
        )
    ids = collect_identifiers(
        [
            read[n].data[c]
            for n, t in codebook.tables.items()
            for c in t.pii
            if c in read[n].data.columns
        ]
    )
    redactor = Redactor(ids) if show_verbatim else None  # the matchers, built once per round
    tables: dict[str, pd.DataFrame] = {}
    specials: list[pd.DataFrame] = []
    redactions: list[pd.DataFrame] = []
    for name, table in codebook.tables.items():
        canon, special = to_canonical(read[name], table, codebook)
        if name != "frame":
            for col in table.columns.values():
                if col.type != "text" or col.name in table.keys:
                    continue
                if redactor is not None:
                    new, kinds = redactor.redact(canon[col.name])
                else:
                    new = pd.Series(np.nan, index=canon.index, dtype="str")
                    kinds = pd.Series("", index=canon.index, dtype="str").mask(
                        canon[col.name].notna(), "withheld (report.show_verbatim: false)"
                    )
                hit = kinds != ""
                if hit.any():
                    redactions.append(
                        pd.DataFrame(
                            {
                                "table": name,
                                "keys": format_keys(canon.loc[hit], list(table.keys)),
                                "column": col.name,
                                "raw_variable": col.raw,
                                "kinds": kinds[hit].to_numpy(),
                            }
                        )
                    )
                    log.warning(
                        "%s.%s (%s): %d free-text answer(s) %s",
                        name,
                        col.name,
                        col.raw,
                        int(hit.sum()),
                        "withheld" if not show_verbatim else "with personal identifiers redacted",
                    )
                canon[col.name] = new
        tables[name] = canon
        specials.append(special)
    special = pd.concat(specials, ignore_index=True)
    redacted = (
        pd.concat(redactions, ignore_index=True)
        if redactions
        else pd.DataFrame({c: pd.Series(dtype="str") for c in REDACTION_LOG_COLUMNS})
    )
    return tables, special, pd.DataFrame(manifest), redacted


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
    "read_round",
    "sha256",
    "to_canonical",
]


def write_parquet(df: pd.DataFrame, path: str | Path) -> None:
    """Write a table as Parquet without the index (deterministic for the same inputs)."""
    df.reset_index(drop=True).to_parquet(path, index=False)
