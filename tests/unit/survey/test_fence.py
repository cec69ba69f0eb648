"""The fence around a round: a codebook's `file:` and the config's paths stay inside their
folders, and every year the CPI converts is in the CPI table. Each refusal is one message
naming the key; nothing outside the fence is read."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pandas as pd
import pytest
import yaml
from testpaths import REPO

from hhsurvey.errors import InputError
from hhsurvey.paths import is_inside
from hhsurvey.survey.codebook.check import check_round
from hhsurvey.survey.codebook.model import load_codebook
from hhsurvey.survey.io import read_round
from hhsurvey.survey.rounds import check_paths, check_price_years

BASELINE_RAW = REPO / "raw" / "demo" / "baseline"
CONFIG = yaml.safe_load((REPO / "config" / "config.yaml").read_text(encoding="utf-8"))


@pytest.fixture
def round_with_outside_frame(tmp_path):
    """A round folder whose codebook's frame is `../../../outside/frame.csv`, a file that
    exists outside it (with a text that would reach the report)."""
    raw = tmp_path / "a" / "b" / "c" / "round"
    shutil.copytree(BASELINE_RAW, raw)
    outside = tmp_path / "a" / "outside"
    outside.mkdir(parents=True)
    frame = pd.read_csv(raw / "frame.csv", dtype=str, keep_default_na=False)
    frame.assign(village_en="SECRET FROM OUTSIDE").to_csv(outside / "frame.csv", index=False)
    assert (raw / "../../../outside/frame.csv").resolve() == (outside / "frame.csv").resolve()
    text = (REPO / "config/codebooks/baseline.yaml").read_text(encoding="utf-8")
    assert text.count("file: frame.csv") == 1
    cb = tmp_path / "codebook.yaml"
    cb.write_text(text.replace("file: frame.csv", "file: ../../../outside/frame.csv"), "utf-8")
    return raw, load_codebook(cb)


def test_path_traversal_in_a_codebook_is_refused_naming_the_key(round_with_outside_frame):
    """On the code before the fence, read_round read the outside file without a word."""
    raw, codebook = round_with_outside_frame
    with pytest.raises(InputError) as err:
        read_round(raw, codebook)
    e = err.value
    assert (
        "`file: ../../../outside/frame.csv` (table frame) leaves the round's raw folder" in e.what
    )
    assert "tables.frame.file" in e.where and f"{codebook.path} line " in e.where
    assert "name a file inside" in e.fix and "`file: frame.csv`" in e.fix
    # the check the ingest rule runs first reports it too, as one problem of the round
    problems = check_round(raw, codebook, deep=False)
    assert [p.kind for p in problems if p.severity == "error"] == ["outside_round"]


def test_a_symbolic_link_out_of_the_round_is_refused(tmp_path):
    raw = tmp_path / "round"
    shutil.copytree(BASELINE_RAW, raw)
    secret = tmp_path / "secret.csv"
    secret.write_text("HH1\n1\n", encoding="utf-8")
    (raw / "frame.csv").unlink()
    os.symlink(secret, raw / "frame.csv")
    codebook = load_codebook(REPO / "config/codebooks/baseline.yaml")
    with pytest.raises(InputError, match="leaves the round's raw folder"):
        read_round(raw, codebook)


def test_is_inside():
    assert is_inside("raw/demo/baseline", "raw")
    assert is_inside("raw/demo/../demo/baseline/frame.csv", "raw/demo/baseline")
    assert not is_inside("raw/../../../../../etc", "raw")
    assert not is_inside("/etc/passwd", "raw")
    assert not is_inside("raw/demo/baseline/../../../config", "raw")


def _config(**rounds) -> dict:
    cfg = yaml.safe_load(yaml.safe_dump(CONFIG))
    cfg["rounds"]["baseline"].update(rounds)
    return cfg


def test_raw_dir_leaving_raw_is_one_message_naming_the_key():
    cfg = _config(raw_dir="raw/../../../../../etc")
    with pytest.raises(InputError) as err:
        check_paths(cfg, ["config/config.yaml"], project=REPO)
    e = err.value
    assert e.what.count("rounds.baseline.raw_dir") == 1
    assert (
        "rounds.baseline.raw_dir = 'raw/../../../../../etc' (resolves to /etc), outside raw/"
        in e.what
    )
    assert e.where == "config/config.yaml: rounds.baseline.raw_dir"
    assert "under raw/" in e.fix and "ln -s" in e.fix


def test_every_input_path_of_the_config_is_fenced():
    cfg = _config(codebook="/etc/hosts")
    cfg["national_reference"] = "../outside/national.csv"
    cfg["indicators"]["catalogue"] = "config/../../x.yaml"
    with pytest.raises(InputError) as err:
        check_paths(cfg, ["config/config.yaml"], project=REPO)
    for key in ("rounds.baseline.codebook", "national_reference", "indicators.catalogue"):
        assert key in err.value.where
    check_paths(CONFIG, ["config/config.yaml"], project=REPO)  # the demo config passes


def test_a_raw_folder_linked_into_raw_is_allowed(tmp_path):
    project = tmp_path / "project"
    (project / "raw").mkdir(parents=True)
    data = tmp_path / "disk" / "endline"
    data.mkdir(parents=True)
    os.symlink(data, project / "raw" / "endline")
    cfg = {"rounds": {"endline": {"raw_dir": "raw/endline", "codebook": "config/e.yaml"}}}
    check_paths(cfg, ["c.yaml"], project=project)


def test_price_year_outside_the_cpi_table_is_a_config_error():
    cfg = _config(price_year=2024)
    with pytest.raises(InputError) as err:
        check_price_years(cfg, ["config/config.yaml"])
    e = err.value
    assert "rounds.baseline.price_year = 2024" in e.what and "(2010-2020)" in e.what
    assert e.where == "config/config.yaml: rounds.baseline.price_year"
    assert "add the CPI of 2024 under prices.cpi" in e.fix
    check_price_years(CONFIG, ["config/config.yaml"])
    cfg = _config()
    cfg["poverty_lines"]["national"]["price_year"] = 2008
    with pytest.raises(InputError, match="poverty_lines.national.price_year = 2008"):
        check_price_years(cfg, ["config/config.yaml"])


def test_the_demo_codebooks_stay_inside_their_rounds():
    for name in ("baseline", "endline"):
        codebook = load_codebook(REPO / f"config/codebooks/{name}.yaml")
        raw = Path(REPO / "raw/demo" / name)
        assert all(is_inside(raw / t.file, raw) for t in codebook.tables.values())
