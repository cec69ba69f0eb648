"""Round configuration checks at parse time (issue 17, "Config checks").

* a round under `rounds:` that `analyse:` does not list: a warning naming it (snakemake -n);
* `revisits:`: the shared villages of the two frames, counted here by hand from frame.csv, and
  the config refused below `design.revisit_min_share` (snakemake -n, before any rule).
"""

from __future__ import annotations

import os
import subprocess
import sys

import pandas as pd
import pytest
import yaml
from testpaths import REPO
from workflow_tools import feature_config

from hhsurvey.errors import InputError
from hhsurvey.survey.rounds import check_revisits, revisit_overlap, selected_frame

ROOT = REPO


def _config(**endline) -> dict:
    c = yaml.safe_load((ROOT / "config/config.yaml").read_text(encoding="utf-8"))
    e = yaml.safe_load((ROOT / "config/endline.yaml").read_text(encoding="utf-8"))
    c["rounds"].update(e["rounds"])
    c["rounds"]["endline"].update(endline)
    return c


def _dry_run(*configfiles: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(ROOT / "scripts")}
    return subprocess.run(
        [sys.executable, "-m", "snakemake", "-n", "--cores", "1", "--configfile", *configfiles],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )


def test_shared_villages_counted_as_by_hand():
    b = pd.read_csv(ROOT / "raw/demo/baseline/frame.csv")
    e = pd.read_csv(ROOT / "raw/demo/endline/frame.csv")
    sb, se = set(b.loc[b["selected"] == 1, "HH1"]), set(e.loc[e["selected"] == 1, "HH1"])
    c = _config(revisits="baseline")
    o = revisit_overlap(
        selected_frame(c["rounds"]["baseline"]), selected_frame(c["rounds"]["endline"])
    )
    assert o["shared_villages"] == len(sb & se)
    assert o["shared_share"] == pytest.approx(len(sb & se) / len(sb))
    same_mos = b.set_index("HH1")["mos_hh"].equals(e.set_index("HH1")["mos_hh"])
    assert o["frames_agree"] is same_mos


def test_revisits_below_the_minimum_share_is_refused():
    c = _config(revisits="baseline")
    with pytest.raises(InputError) as err:
        check_revisits(c, ["config/endline.yaml"])
    assert "shares only 7 of the 20 villages selected at baseline (35%" in err.value.what
    assert "revisits: null" in err.value.fix


def test_revisits_at_or_above_the_share_gives_the_numbers():
    c = _config(revisits="baseline")
    c["design"]["revisit_min_share"] = 0.3
    out = check_revisits(c, ["x"]).iloc[0]
    assert (out["shared_villages"], out["baseline_villages"]) == (7, 20)
    # an independent endline: no check, but the overlap is reported for the change
    c = _config(revisits=None)
    c["change"] = {"baseline": "baseline", "endline": "endline"}
    row = check_revisits(c, ["x"]).iloc[0]
    assert (row["revisits"], row["shared_villages"]) == ("", 7)
    del c["change"]
    assert check_revisits(c, ["x"]).empty


@pytest.mark.slow
def test_parse_time_warning_and_error():
    # a round described but not analysed (.test/config/endline_round.yaml): a warning naming
    # it; the run goes on
    proc = _dry_run(feature_config("endline_round.yaml"))
    assert proc.returncode == 0, proc.stderr[-3000:]
    out = proc.stdout + proc.stderr
    assert (
        "WARNING: round(s) ['endline'] are described under `rounds:` but not listed in `analyse:`"
        in out
    )
    # revisits with 7 of 20 shared villages: refused before any rule
    proc = _dry_run("config/endline.yaml", feature_config("endline_revisits_baseline.yaml"))
    assert proc.returncode != 0
    assert "shares only 7 of the 20 villages" in proc.stdout + proc.stderr


def test_unanalysed_warning_only_for_rounds_of_the_users_own_config(tmp_path):
    """The user's own round config (analyse: [myround], rounds: {myround}) inherits the demo
    baseline from config/config.yaml: not the user's doing, no warning. A round the user's
    file describes without analysing it is warned about."""
    from hhsurvey.survey.rounds import described_rounds, own_config_files, unanalysed_rounds

    own = tmp_path / "my_round.yaml"
    own.write_text(
        yaml.safe_dump({"analyse": ["myround"], "rounds": {"myround": {"raw_dir": "x"}}}),
        encoding="utf-8",
    )
    merged = _config()
    merged["analyse"] = ["myround"]
    merged["rounds"]["myround"] = {"raw_dir": "x"}
    files = own_config_files(["config/config.yaml", str(own)])
    assert files == [str(own)]
    assert unanalysed_rounds(merged, described_rounds(files)) == []
    # without the filter the inherited rounds would be named
    assert unanalysed_rounds(merged) == ["baseline", "endline"]
    # a round the user's own file describes and does not analyse
    merged["rounds"]["spare"] = {}
    own.write_text(
        yaml.safe_dump({"analyse": ["myround"], "rounds": {"myround": {}, "spare": {}}}),
        encoding="utf-8",
    )
    assert unanalysed_rounds(merged, described_rounds(files)) == ["spare"]
    # no --configfile: config/config.yaml is the user's own
    assert own_config_files(["config/config.yaml"]) == ["config/config.yaml"]
