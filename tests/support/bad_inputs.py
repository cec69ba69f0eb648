"""Bad inputs planted in a copy of the repository, and the whole workflow run on it.

Shared by tests/workflow/test_bad_inputs.py (the cases that stop with a message) and
tests/workflow/test_bad_input_treatments.py (the cases the run treats and goes on): raw SPSS
files read and written back with their metadata, villages made to refuse, one case run with
raw/ checked unchanged and no file written outside results/ and Snakemake's own folder, and
the clear-error outcome.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pyreadstat
from workflow_tools import copy_repo, snakemake

RAW = Path("raw/demo/baseline")
REPORT = Path("results/report/baseline.html")
INDICATORS = Path("results/baseline/indicators.csv")


# ---------------------------------------------------------------------------------------------
# Helpers: read and write raw files of a repository copy


def read_sav(path: Path) -> tuple[pd.DataFrame, object]:
    """A .sav file as stored: user-missing codes kept as values, codes not labelled."""
    return pyreadstat.read_sav(str(path), user_missing=True, apply_value_formats=False)


def write_sav(df: pd.DataFrame, meta, path: Path) -> None:
    """Write ``df`` keeping the labels, value labels, missing codes and formats of ``meta``."""
    cols = list(df.columns)

    def keep(d: dict) -> dict:
        return {k: v for k, v in (d or {}).items() if k in cols}

    formats = keep(meta.original_variable_types)
    labels, missing = keep(meta.variable_value_labels), keep(meta.missing_ranges)
    for c in cols:  # a numeric column turned into text: string format, no numeric codes
        if df[c].dtype == object and not str(formats.get(c, "A")).startswith(("A", "DATE")):
            formats[c] = "A40"
            labels.pop(c, None)
            missing.pop(c, None)
    pyreadstat.write_sav(
        df.reset_index(drop=True),
        str(path),
        column_labels=keep(meta.column_names_to_labels),
        variable_value_labels=labels,
        missing_ranges=missing,
        variable_format=formats,
        variable_measure=keep(meta.variable_measure),
    )


def edit_sav(root: Path, name: str, fn: Callable[[pd.DataFrame], pd.DataFrame]) -> None:
    path = root / RAW / name
    df, meta = read_sav(path)
    write_sav(fn(df), meta, path)


def edit_frame(root: Path, fn: Callable[[pd.DataFrame], pd.DataFrame]) -> None:
    path = root / RAW / "frame.csv"
    df = pd.read_csv(path, dtype=str, keep_default_na=False)
    fn(df).to_csv(path, index=False, lineterminator="\n")


MODULES = ["persons.sav", "food.sav", "nonfood.sav", "opd.sav", "ipd.sav", "births.sav", "u5.sav"]


def make_nonresponding(root: Path, villages: list[int]) -> None:
    """Every sampled household of ``villages`` refuses (HH9 = 3): no module records remain."""
    edit_sav(root, "hh.sav", lambda d: d.assign(HH9=d["HH9"].where(~d["HH1"].isin(villages), 3.0)))
    for name in MODULES:
        edit_sav(root, name, lambda d: d[~d["HH1"].isin(villages)])


def checksums(folder: Path) -> dict[str, str]:
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def edit_text(root: Path, rel: str, old: str, new: str) -> None:
    """Replace the one occurrence of ``old`` in a text file of the copy."""
    p = root / rel
    text = p.read_text(encoding="utf-8")
    assert text.count(old) == 1, (rel, old)
    p.write_text(text.replace(old, new), encoding="utf-8")


def outside_results(root: Path) -> dict[str, str]:
    """Checksums of every file around the run (the copy and the folder holding it) but those
    the workflow may write: results/ (its job logs included), Snakemake's .snakemake/ (its
    log and metadata) and Python's byte-code caches."""
    base = root.parent
    out = {}
    for p in sorted(base.rglob("*")):
        rel = p.relative_to(base)
        skip = rel.parts[:2] in ((root.name, "results"), (root.name, ".snakemake"))
        if skip or "__pycache__" in rel.parts or not p.is_file():
            continue
        out[str(rel)] = hashlib.sha256(p.read_bytes()).hexdigest()
    return out


def all_logs(root: Path) -> str:
    """Every job log and Snakemake's own log of the run, concatenated."""
    files = sorted((root / "results" / "logs").rglob("*.log"))
    files += sorted((root / ".snakemake" / "log").glob("*.log"))
    return "\n".join(p.read_text(encoding="utf-8", errors="replace") for p in files)


@dataclass
class Run:
    root: Path
    returncode: int
    output: str  # Snakemake's stdout + stderr
    logs: str  # job logs and Snakemake's log file

    def read(self, rel: str) -> pd.DataFrame:
        return (
            pd.read_csv(self.root / rel)
            if rel.endswith(".csv")
            else pd.read_parquet(self.root / rel)
        )


def run_case(tmp: Path, corrupt: Callable[[Path], None], *args: str) -> Run:
    """Copy the repo, corrupt it, run the whole workflow; raw/ must not change during the run,
    and no file may be written outside results/ and .snakemake/ (the copy or around it)."""
    root = copy_repo(tmp / "repo")
    corrupt(root)
    return run_in(root, *args)


def run_in(root: Path, *args: str) -> Run:
    """Run the whole workflow in a repository copy already planted (or already run): raw/
    must not change, and no file may be written outside results/ and .snakemake/."""
    before = checksums(root / "raw")
    around = outside_results(root)
    proc = snakemake(root, "--cores", "2", *args, check=False)
    assert checksums(root / "raw") == before, "the workflow changed a file under raw/"
    after = outside_results(root)
    changed = sorted(k for k in set(around) | set(after) if around.get(k) != after.get(k))
    assert not changed, f"the workflow wrote outside results/ and .snakemake/: {changed}"
    return Run(root, proc.returncode, proc.stdout + proc.stderr, all_logs(root))


def assert_clear_error(run: Run, *expected: str) -> str:
    """Non-zero exit, an ERROR/where/how-to-fix message with ``expected`` parts, no traceback,
    and nothing that looks like a finished result. Returns the message."""
    text = run.output + "\n" + run.logs
    assert run.returncode != 0, run.output[-3000:]
    assert "Traceback" not in text, text[-6000:]
    m = re.search(r"ERROR: .*?\n  where: .*?\n  how to fix: [^\n]*", text, re.S)
    assert m, f"no ERROR/where/how to fix message:\n{text[-4000:]}"
    message = m.group(0)
    for part in expected:
        assert part in message, f"{part!r} not in:\n{message}"
    assert not (run.root / REPORT).exists() and not (run.root / INDICATORS).exists()
    return message
