"""The indicator table on disk: CSV, Parquet and a formatted Excel sheet, byte for byte
the same from one run to the next (fixed timestamps inside the xlsx container)."""

from __future__ import annotations

import datetime as dt
import re
import zipfile

import pandas as pd

__all__ = ["write_indicator_tables"]


def _normalise_zip(path: str, stamp: str) -> None:
    """Rewrite a zip container (xlsx) with fixed timestamps, for byte-identical output.

    openpyxl stamps the save time into docProps/core.xml and into every zip entry.
    """
    with zipfile.ZipFile(path) as zin:
        entries = [(i.filename, zin.read(i.filename)) for i in zin.infolist()]
    fixed = f"{stamp}T00:00:00Z".encode()
    entries = [
        (n, re.sub(rb"(<dcterms:(?:created|modified)[^>]*>)[^<]*", rb"\g<1>" + fixed, d))
        if n == "docProps/core.xml"
        else (n, d)
        for n, d in entries
    ]
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as zout:
        for name, data in entries:
            info = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            zout.writestr(info, data)


def write_indicator_tables(
    result: pd.DataFrame, csv: str, parquet: str, xlsx: str, created: str = "2000-01-01"
) -> None:
    """Write the tidy table as CSV, Parquet and a formatted Excel sheet (deterministic)."""
    result.to_csv(csv, index=False)
    result.to_parquet(parquet, index=False)
    with pd.ExcelWriter(xlsx, engine="openpyxl") as xl:
        result.to_excel(xl, sheet_name="indicators", index=False)
        sheet = xl.sheets["indicators"]
        sheet.freeze_panes = "A2"
        for col, width in zip(
            "ABCDEFGHIJKLMN",
            [28, 16, 16, 12, 12, 12, 12, 6, 8, 12, 14, 11, 10, 40],
            strict=True,
        ):
            sheet.column_dimensions[col].width = width
        sheet.auto_filter.ref = sheet.dimensions
        stamp = dt.datetime.fromisoformat(created)
        xl.book.properties.created = stamp
        xl.book.properties.modified = stamp
    _normalise_zip(xlsx, created[:10])
