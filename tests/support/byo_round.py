"""A round as another survey firm would deliver it, for the codebook tests (unit and workflow).

The demo baseline round is converted to Stata files: variables renamed to opaque names (keys
`clust`, `hhnum`, `pline`; the others `hh_q05`, …), variable labels prefixed with the question
number, sex recoded 0/1 (was 1/2; 1 = female) and every yes/no item recoded 1/0 (was 1/2), each
with matching value labels, or (``value_labels=False``) with no value label at all and the
frame's stratum renamed too. The known answer of every canonical column is the renaming
itself, and of every code the recode itself. :func:`planted_round` is a copy of the baseline
with five problems of different kinds.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pyreadstat
import yaml
from testpaths import REPO

ROOT = REPO
SRC = ROOT / "raw" / "demo" / "baseline"
BASELINE_CB = ROOT / "config" / "codebooks" / "baseline.yaml"
KEYS = {"HH1": "clust", "HH2": "hhnum", "HL1": "pline"}
YESNO = {1.0: "yes", 2.0: "no", 8.0: "don't know", 9.0: "no response"}
# the known answers of the recodes
SEX_CODES = {0: "male", 1: "female"}
YESNO_CODES = {1: "yes", 0: "no", 8: "dont_know", 9: "no_response"}
INSURED_CODES = {1: "yes", 0: "no", 8: "dont_know"}


# the frame's stratum column in the round without value labels
BARE_FRAME = {"HH1": "clust", "area": "v3"}


def convert_round(dst: Path, value_labels: bool = True) -> dict[str, dict[str, str]]:
    """Write the baseline round as another firm's Stata files; return file -> {old: new}.

    ``value_labels=False``: no value label in any file (a plain export), and the frame's
    stratum column renamed as well (``BARE_FRAME``)."""
    dst.mkdir(parents=True, exist_ok=True)
    renames: dict[str, dict[str, str]] = {}
    for p in sorted(SRC.glob("*.sav")):
        df, meta = pyreadstat.read_sav(str(p), user_missing=True, apply_value_formats=False)
        ren, labels, vls = {}, {}, {}
        for i, c in enumerate(df.columns):
            new = KEYS.get(c, f"{p.stem[:2]}_q{i:02d}")
            ren[c] = new
            lab = meta.column_names_to_labels.get(c) or ""
            labels[new] = lab if c in KEYS else f"Q{i}. {lab}"
            vl = meta.variable_value_labels.get(c)
            if vl == YESNO or c == "INS1":  # yes/no items: no = 0 instead of 2
                df[c] = df[c].replace({2.0: 0.0})
                vl = {(0.0 if k == 2.0 else k): t for k, t in vl.items()}
            if c == "HL4":  # sex: 0 male, 1 female instead of 1, 2
                df[c] = df[c].replace({1.0: 0.0, 2.0: 1.0})
                vl = {0.0: "male", 1.0: "female"}
            if vl and value_labels:
                vls[new] = {int(k): t for k, t in vl.items()}
        renames[p.name] = ren
        df = df.rename(columns=ren)
        pyreadstat.write_dta(
            df,
            str(dst / f"{p.stem}.dta"),
            column_labels=[labels[c] for c in df.columns],
            variable_value_labels=vls,
        )
    frame = pd.read_csv(SRC / "frame.csv", dtype=str, keep_default_na=False)
    ren = {"HH1": "clust"} if value_labels else BARE_FRAME
    frame.rename(columns=ren).to_csv(dst / "frame.csv", index=False, lineterminator="\n")
    renames["frame.csv"] = ren
    return renames


def hhsurvey(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(ROOT / "scripts")}
    return subprocess.run(
        [sys.executable, "-m", "hhsurvey", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )


def _source_variables(file: str) -> set[str]:
    """The variables of one file of the demo baseline."""
    path = SRC / file
    if path.suffix == ".csv":
        return set(pd.read_csv(path, nrows=0).columns)
    return set(pyreadstat.read_sav(str(path), metadataonly=True)[1].column_names)


def known_answers(renames: dict[str, dict[str, str]]) -> dict[tuple[str, str], str]:
    """(table, column) -> the raw name the converted round uses (from the renaming); an
    optional column the demo's files do not hold (frame.village_result) has no answer."""
    cb = yaml.safe_load(BASELINE_CB.read_text(encoding="utf-8"))
    out = {}
    for t, spec in cb["tables"].items():
        ren = renames[spec["file"]]
        present = _source_variables(spec["file"])
        for c, cs in spec["columns"].items():
            if cs.get("optional") and cs["raw"] not in present:
                continue
            out[t, c] = ren.get(cs["raw"], cs["raw"])
    return out


def resolve(draft: dict, renames: dict[str, dict[str, str]]) -> dict:
    """Apply the known answers to the draft: what an evaluator does with its TODOs."""
    doc = dict(draft)
    answers = known_answers(renames)
    for (t, c), raw in answers.items():
        doc["tables"][t]["columns"][c]["raw"] = raw
    # an optional column the round does not hold keeps the reference's name (absent: missing)
    ref = yaml.safe_load(BASELINE_CB.read_text(encoding="utf-8"))["tables"]
    for t, spec in ref.items():
        for c, cs in spec["columns"].items():
            if cs.get("optional") and (t, c) not in answers:
                doc["tables"][t]["columns"][c]["raw"] = cs["raw"]
    doc["tables"]["person"]["columns"]["sex"]["codes"] = SEX_CODES
    doc["tables"]["person"]["columns"]["insured"]["codes"] = INSURED_CODES
    doc["codesets"]["yesno"] = YESNO_CODES
    for t, spec in doc["tables"].items():
        spec["file"] = Path(spec["file"]).stem + (".csv" if t == "frame" else ".dta")
    return doc


def planted_round(root: Path) -> Path:
    """A copy of the baseline round with five problems of different kinds."""
    raw = root / "raw"
    shutil.copytree(SRC, raw)

    def edit(name: str, fn) -> None:
        df, meta = pyreadstat.read_sav(
            str(raw / name), user_missing=True, apply_value_formats=False
        )
        df, vl = fn(df, dict(meta.variable_value_labels))
        cols = list(df.columns)
        keep = {k: v for k, v in meta.missing_ranges.items() if k in cols}
        pyreadstat.write_sav(
            df,
            str(raw / name),
            column_labels={c: meta.column_names_to_labels.get(c) for c in cols},
            variable_value_labels={k: v for k, v in vl.items() if k in cols},
            missing_ranges=keep,
        )

    def persons(df, vl):
        df = df.rename(columns={"CHR1": "chr1"})  # 1. case-only difference
        vl["chr1"] = vl.pop("CHR1")
        ins = df["INS2"].copy()  # 2. scheme codes 3 and 4 swapped, labels included
        df["INS2"] = ins.replace({3.0: 4.0, 4.0: 3.0})
        lab = vl["INS2"]
        vl["INS2"] = {**lab, 3.0: lab[4.0], 4.0: lab[3.0]}
        return df, vl

    def opd(df, vl):
        return df.drop(columns=["OP3"]), vl  # 3. missing variable

    def u5(df, vl):  # 4. yes/no item recoded 1/0: code 0 unmapped, code 2 never seen
        df["CA2"] = df["CA2"].replace({2.0: 0.0})
        vl["CA2"] = {1.0: "yes", 0.0: "no", 8.0: "don't know", 9.0: "no response"}
        return df, vl

    edit("persons.sav", persons)
    edit("opd.sav", opd)
    edit("u5.sav", u5)
    # 5. a module delivered in another format: births.dta instead of births.sav
    df, meta = pyreadstat.read_sav(str(raw / "births.sav"), apply_value_formats=False)
    pyreadstat.write_dta(df, str(raw / "births.dta"))
    (raw / "births.sav").unlink()
    cfg = root / "config.yaml"
    cfg.write_text(
        yaml.safe_dump(
            {"rounds": {"planted": {"raw_dir": str(raw), "codebook": str(BASELINE_CB)}}}
        ),
        encoding="utf-8",
    )
    return cfg
