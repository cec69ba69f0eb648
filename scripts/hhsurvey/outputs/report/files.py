"""The report's annex as files: written beside the report, linked from the page.

The printed annex keeps data quality, methods, the planning table and provenance; what a
reader consults rather than reads goes into ``results/report/<report>_files/`` beside the HTML
and the PDF: every estimate (with its label, unit and precision note) and the configuration of
the run, each as CSV and XLSX; the catalogue's definitions as computed; and the result tables
the report names (national comparison, validation findings, cleaning log, scenarios, endline
planning, changes). The page links them with relative links (``baseline_files/estimates.csv``),
which open from the HTML and, rewritten by the printer, from the PDF. The HTML also embeds each
file as a download (a data URI), so the page alone stays complete; print hides those.

Every file is byte-reproducible (the XLSX container carries fixed timestamps).
"""

from __future__ import annotations

import base64
import json
import os
import re
import zipfile
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from hhsurvey.outputs.report.format import (
    DESIGN_TEXT,
    NOT_IN_INSTRUMENT,
    UNIT_TEXT,
    plain,
    text_of,
)
from hhsurvey.outputs.report.spec import Catalogue
from hhsurvey.paths import final, staged

__all__ = [
    "configuration_table",
    "definitions_table",
    "estimates_table",
    "files_folder",
    "files_link",
    "inputs_table",
    "write_report_files",
    "write_xlsx",
]

#: Media types of the files embedded as downloads in the HTML.
MEDIA = {
    ".csv": "text/csv;charset=utf-8",
    ".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


def files_folder(out_html: str | os.PathLike[str]) -> Path:
    """``results/report/baseline_files`` for ``results/report/baseline.html``; for the
    temporary name a rule writes the page under (``.baseline.partial.html``,
    :func:`hhsurvey.paths.staged`), the temporary name of that folder, which the rule renames
    with the page."""
    out = Path(out_html)
    folder = final(out).with_name(f"{final(out).stem}_files")
    return staged(folder) if final(out) != out else folder


def files_link(out_html: str | os.PathLike[str]) -> str:
    """The folder's name as the page links to it (its final name)."""
    return files_folder(final(out_html)).name


def estimates_table(
    indicators: pd.DataFrame, catalogue: Catalogue, not_in_instrument: set[str] = frozenset()
) -> pd.DataFrame:
    """Every row of indicators.csv with the indicator's label and unit in front; proportions
    stay fractions (the ``unit`` column says so), the precision note keeps its numbers. An
    indicator the round's questionnaire cannot measure has no estimate, and its ``note`` says
    so (never a 0)."""
    label = indicators["indicator"].map(lambda i: catalogue.label(str(i)))
    unit = indicators["indicator"].map(lambda i: catalogue.unit(str(i)))
    out = indicators.copy()
    out.insert(1, "label", label)
    out.insert(2, "unit", unit.map(lambda u: "fraction" if u == "percent" else u))
    missing = out["indicator"].isin(sorted(not_in_instrument))
    for col in ("estimate", "se", "ci_low", "ci_high", "deff"):
        if col in out:
            out[col] = out[col].where(~missing)
    out["note"] = pd.Series("", index=out.index, dtype="object").where(~missing, NOT_IN_INSTRUMENT)
    return out


def inputs_table(paths: Mapping[str, str]) -> pd.DataFrame:
    """The report's inputs in words (name of the input, file name) with their SHA-256."""
    from hhsurvey.outputs.report.provenance import input_name, sha256_file

    rows = [
        {"input": input_name(k), "file": Path(v).name, "sha256": sha256_file(v)}
        for k, v in sorted(paths.items())
        if v and Path(v).is_file()
    ]
    return pd.DataFrame(rows, columns=["input", "file", "sha256"])


def _flatten(value: Any, prefix: str, rows: list[tuple[str, str]]) -> None:
    if isinstance(value, Mapping):
        if not value:
            rows.append((prefix, "{}"))
        for k in sorted(value, key=str):
            _flatten(value[k], f"{prefix}.{k}" if prefix else str(k), rows)
    elif isinstance(value, list) and value and all(isinstance(v, Mapping) for v in value):
        for i, v in enumerate(value):
            _flatten(v, f"{prefix}[{i}]", rows)
    else:
        text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
        rows.append((prefix, text))


def configuration_table(config: Mapping[str, Any]) -> pd.DataFrame:
    """The validated configuration of the run, one row per setting: ``key`` (dotted path,
    ``scenarios.packages[0].share``) and ``value``, keys sorted."""
    rows: list[tuple[str, str]] = []
    _flatten(plain(config), "", rows)
    return pd.DataFrame(rows, columns=["key", "value"])


def definitions_table(catalogue: Catalogue) -> pd.DataFrame:
    """The catalogue as computed: expressions, estimator, standard and the words."""
    return pd.DataFrame(
        [
            {
                "indicator": e.id,
                "label": e.label,
                "unit": UNIT_TEXT.get(e.unit, e.unit),
                "population": DESIGN_TEXT.get(e.unit_of_analysis, e.unit_of_analysis),
                "universe": text_of(e.universe) or "all",
                "definition": e.definition,
                "denominator": text_of(e.denominator),
                "estimator": e.estimator,
                "standard": e.standard,
                "description": e.description,
            }
            for e in catalogue.entries
        ]
    )


def _normalise_zip(path: Path, stamp: str = "2000-01-01") -> None:
    """The xlsx container with fixed timestamps (openpyxl stamps the save time)."""
    with zipfile.ZipFile(path) as zin:
        entries = [(i.filename, zin.read(i.filename)) for i in zin.infolist()]
    fixed = f"{stamp}T00:00:00Z".encode()
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as zout:
        for name, data in entries:
            if name == "docProps/core.xml":
                data = re.sub(
                    rb"(<dcterms:(?:created|modified)[^>]*>)[^<]*", rb"\g<1>" + fixed, data
                )
            info = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            zout.writestr(info, data)


def write_xlsx(df: pd.DataFrame, path: str | os.PathLike[str], sheet: str) -> None:
    """One sheet, header frozen, filter on, byte-reproducible."""
    import datetime as dt

    with pd.ExcelWriter(path, engine="openpyxl") as xl:
        df.to_excel(xl, sheet_name=sheet[:31], index=False)
        ws = xl.sheets[sheet[:31]]
        ws.freeze_panes = "A2"
        ws.auto_filter.ref = ws.dimensions
        for i, col in enumerate(df.columns):
            width = min(max(len(str(col)), *(len(str(v)) for v in df[col].head(200))), 60)
            ws.column_dimensions[ws.cell(row=1, column=i + 1).column_letter].width = width + 2
        stamp = dt.datetime(2000, 1, 1)
        xl.book.properties.created = stamp
        xl.book.properties.modified = stamp
    _normalise_zip(Path(path))


def write_report_files(
    folder: str | os.PathLike[str],
    *,
    tables: Mapping[str, pd.DataFrame],
    copies: Mapping[str, str | os.PathLike[str]],
    labels: Mapping[str, str],
) -> list[dict[str, str]]:
    """Write each table of *tables* (file stem -> frame) as CSV and XLSX and copy each file of
    *copies* (file name -> source path, those that exist) into *folder*; return the files in
    the order given as ``{label, file, href, data, size}``: ``href`` relative to the report
    (``baseline_files/estimates.csv``), ``data`` the data URI of the embedded download."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    written: list[tuple[str, Path]] = []
    for stem, df in tables.items():
        csv, xlsx = folder / f"{stem}.csv", folder / f"{stem}.xlsx"
        df.to_csv(csv, index=False)
        write_xlsx(df, xlsx, stem)
        written += [(f"{stem}.csv", csv), (f"{stem}.xlsx", xlsx)]
    for name, src in copies.items():
        if src and Path(src).is_file():
            dest = folder / name
            dest.write_bytes(Path(src).read_bytes())
            written.append((name, dest))
    out = []
    for name, path in written:
        data = path.read_bytes()
        out.append(
            {
                "label": labels.get(name, name),
                "file": name,
                "href": f"{final(folder).name}/{name}",
                "data": f"data:{MEDIA.get(path.suffix, 'application/octet-stream')};base64,"
                + base64.b64encode(data).decode("ascii"),
                "size": f"{max(len(data) // 1024, 1):,d} KB",
            }
        )
    return out


def linked(files: Sequence[Mapping[str, str]], name: str) -> Mapping[str, str] | None:
    """The written file called *name*, or None."""
    return next((f for f in files if f["file"] == name), None)
