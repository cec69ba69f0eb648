"""The annex as files beside the report (hhsurvey.outputs.report.files): the configuration one
row per setting, the estimates with label and unit, byte-reproducible workbooks, relative
links."""

from __future__ import annotations

import zipfile

import pandas as pd

from hhsurvey.outputs.report.files import (
    configuration_table,
    files_folder,
    write_report_files,
    write_xlsx,
)


def test_configuration_one_row_per_setting_keys_sorted():
    cfg = {
        "report": {"date": "2026-11-23", "languages": ["en", "lo"]},
        "design": {"level": 0.95},
        "scenarios": {"packages": [{"id": "a", "share": 0.8}, {"id": "b", "share": 1.0}]},
        "empty": {},
    }
    table = configuration_table(cfg)
    rows = dict(zip(table["key"], table["value"], strict=True))
    assert rows == {
        "design.level": "0.95",
        "empty": "{}",
        "report.date": "2026-11-23",
        "report.languages": '["en", "lo"]',
        "scenarios.packages[0].id": "a",
        "scenarios.packages[0].share": "0.8",
        "scenarios.packages[1].id": "b",
        "scenarios.packages[1].share": "1.0",
    }
    assert table["key"].tolist() == sorted(table["key"])


def test_files_beside_the_report_relative_links_and_same_bytes(tmp_path):
    out = tmp_path / "results" / "report" / "baseline.html"
    folder = files_folder(out)
    assert folder.name == "baseline_files" and folder.parent == out.parent
    src = tmp_path / "national_comparison.csv"
    src.write_text("indicator,estimate\nx,1\n", encoding="utf-8")
    df = pd.DataFrame({"a": [1, 2], "b": ["x", "ຢ"]})
    files = write_report_files(
        folder, tables={"estimates": df}, copies={"national_comparison.csv": src,
                                                    "missing.csv": tmp_path / "nope.csv"},
        labels={"estimates.csv": "Every estimate"},
    )  # fmt: skip
    names = [f["file"] for f in files]
    assert names == ["estimates.csv", "estimates.xlsx", "national_comparison.csv"]
    assert all(f["href"] == f"baseline_files/{f['file']}" for f in files)
    assert files[0]["label"] == "Every estimate"
    assert (folder / "national_comparison.csv").read_bytes() == src.read_bytes()
    assert pd.read_csv(folder / "estimates.csv").equals(df)
    # the workbook: fixed timestamps, so a second write gives the same bytes
    first = (folder / "estimates.xlsx").read_bytes()
    write_xlsx(df, folder / "again.xlsx", "estimates")
    assert (folder / "again.xlsx").read_bytes() == first
    with zipfile.ZipFile(folder / "estimates.xlsx") as z:
        assert {i.date_time for i in z.infolist()} == {(1980, 1, 1, 0, 0, 0)}
        assert b"2000-01-01T00:00:00Z" in z.read("docProps/core.xml")
