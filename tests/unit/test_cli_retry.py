"""run_rule under a profile that resubmits failed jobs (workflow/profiles/slurm: `retries: 1`).

An input error is not redone: the first attempt leaves its message in `<log>.input-error`, a
resubmission that finds it exits with code 2 at once (the rule's work is not called again) and
its log says so in one line; a resubmission after a resource failure (no marker) runs normally.
Without the profile's attempt resource (local runs) nothing changes.
"""

from __future__ import annotations

import logging
from pathlib import Path
from types import SimpleNamespace

import pytest

from hhsurvey.cli import run_rule
from hhsurvey.errors import InputError

BAD = InputError("a planted problem", "raw/x.sav", "fix it")


def _smk(log: Path, attempt: int | None) -> SimpleNamespace:
    resources = SimpleNamespace() if attempt is None else SimpleNamespace(hhsurvey_attempt=attempt)
    return SimpleNamespace(log=[str(log)], resources=resources)


def _run(main, smk) -> int | None:
    try:
        run_rule(main, smk)
    except SystemExit as stop:
        return stop.code
    finally:
        root = logging.getLogger()
        for handler in list(root.handlers):  # release the log file
            handler.close()
            root.removeHandler(handler)
    return None


def _fails(smk) -> None:
    raise BAD


def test_first_attempt_input_error_leaves_marker_and_message_in_log_only(tmp_path, capsys):
    log = tmp_path / "rule.log"
    assert _run(_fails, _smk(log, 1)) == 2
    assert log.read_text(encoding="utf-8").count("how to fix: fix it") == 1
    marker = Path(f"{log}.input-error")
    assert marker.read_text(encoding="utf-8") == BAD.message + "\n"
    # the job's stderr is the SLURM log, printed next to the rule log: not a second copy
    assert "how to fix" not in capsys.readouterr().err


def test_resubmission_after_input_error_exits_without_redoing_the_work(tmp_path):
    log = tmp_path / "rule.log"
    _run(_fails, _smk(log, 1))
    calls = []
    assert _run(calls.append, _smk(log, 2)) == 2
    assert calls == []
    text = log.read_text(encoding="utf-8")
    assert text.startswith("Not retried") and "how to fix" not in text
    assert f"{log}.input-error" in text


def test_resubmission_after_a_resource_failure_runs_normally(tmp_path):
    log = tmp_path / "rule.log"  # attempt 1 was killed by SLURM: no marker
    calls = []
    assert _run(calls.append, _smk(log, 2)) is None
    assert len(calls) == 1


def test_a_new_run_forgets_the_marker_of_an_earlier_run(tmp_path):
    log = tmp_path / "rule.log"
    _run(_fails, _smk(log, 1))
    calls = []
    assert _run(calls.append, _smk(log, 1)) is None  # input fixed, new run: attempt 1
    assert len(calls) == 1
    assert not Path(f"{log}.input-error").exists()


def test_without_the_profile_nothing_changes(tmp_path, capsys):
    log = tmp_path / "rule.log"
    assert _run(_fails, _smk(log, None)) == 2
    assert not Path(f"{log}.input-error").exists()
    assert "how to fix: fix it" in capsys.readouterr().err
    assert "how to fix: fix it" in log.read_text(encoding="utf-8")


@pytest.mark.parametrize("attempt", [1, 2])
def test_success_leaves_no_marker(tmp_path, attempt):
    log = tmp_path / "rule.log"
    assert _run(lambda smk: None, _smk(log, attempt)) is None
    assert not Path(f"{log}.input-error").exists()
