"""run_rule around a rule script (issue 27): outputs written to a temporary file and renamed,
a full disk named with what could not be written and nothing partial left behind, a truncated
file under results/ named with "delete it and rerun", and every failure in the rule's log."""

from __future__ import annotations

import errno
import logging
from pathlib import Path
from types import SimpleNamespace

import pandas as pd
from snakemake.iocontainers import Namedlist

from hhsurvey.cli import run_rule
from hhsurvey.errors import InputError
from hhsurvey.survey.io import write_parquet


def smk(tmp: Path, inputs=(), **outputs) -> SimpleNamespace:
    return SimpleNamespace(
        log=[str(tmp / "rule.log")],
        resources=SimpleNamespace(),
        input=Namedlist(toclone=list(inputs)),
        output=Namedlist(fromdict=outputs),
    )


def run(main, job) -> int | None:
    try:
        run_rule(main, job)
    except SystemExit as stop:
        return stop.code
    finally:
        root = logging.getLogger()
        for handler in list(root.handlers):  # release the log file
            handler.close()
            root.removeHandler(handler)
    return None


def files(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


def test_outputs_are_renamed_only_when_the_script_succeeds(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    out = tmp_path / "out"
    out.mkdir()
    seen = []

    def main(s):
        seen.append(Path(s.output.table).name)
        write_parquet(pd.DataFrame({"a": [1]}), s.output.table)
        Path(s.output.csv).write_text("a\n1\n", encoding="utf-8")

    job = smk(tmp_path, table=str(out / "t.parquet"), csv=str(out / "t.csv"))
    assert run(main, job) is None
    assert seen == [".t.partial.parquet"]  # the script wrote to the temporary name
    assert files(out) == ["t.csv", "t.parquet"]
    assert pd.read_parquet(out / "t.parquet")["a"].tolist() == [1]


def test_a_full_disk_names_what_could_not_be_written_and_leaves_nothing(tmp_path, capsys):
    out = tmp_path / "out"
    out.mkdir()

    def main(s):
        Path(s.output.csv).write_text("a\n1\n", encoding="utf-8")
        with open(s.output.table, "wb") as fh:  # half of the file, then the disk is full
            fh.write(b"PAR1" + b"\0" * 100)
            raise OSError(errno.ENOSPC, "No space left on device")

    job = smk(tmp_path, table=str(out / "t.parquet"), csv=str(out / "t.csv"))
    assert run(main, job) == 2
    assert files(out) == []  # no partial file, not even the complete csv's temporary
    log = (tmp_path / "rule.log").read_text(encoding="utf-8")
    assert "ERROR: the disk is full (No space left on device): could not write" in log
    assert str(out / "t.parquet") in log and str(out / "t.csv") in log
    assert "no partial file was left behind" in log and "how to fix: free space" in log
    assert "Traceback" not in log + capsys.readouterr().err


def test_a_truncated_parquet_in_results_is_named_with_delete_it_and_rerun(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "results").mkdir()
    path = Path("results/person.parquet")
    write_parquet(pd.DataFrame({"a": range(1000)}), path)
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])  # an interrupted run
    calls = []
    job = smk(tmp_path, inputs=[str(path)], out=str(tmp_path / "o.csv"))
    assert run(calls.append, job) == 2
    assert calls == []  # the script never ran
    log = (tmp_path / "rule.log").read_text(encoding="utf-8")
    assert "ERROR: the file results/person.parquet is truncated or unreadable" in log
    assert "how to fix: delete it and rerun: rm results/person.parquet" in log
    assert "Traceback" not in log


def test_a_csv_cut_off_in_results_is_named(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "results").mkdir()
    Path("results/validation.csv").write_text("check,keys\nage,village=1, h", encoding="utf-8")
    job = smk(tmp_path, inputs=["results/validation.csv"])
    assert run(lambda s: None, job) == 2
    assert "cut off in the middle of a line" in (tmp_path / "rule.log").read_text("utf-8")


def test_an_unexpected_error_is_in_the_rule_log(tmp_path):
    """The rule's log held nothing when a script failed with a traceback on the console."""

    def main(s):
        raise ValueError("a bug")

    assert run(main, smk(tmp_path)) == 1
    log = (tmp_path / "rule.log").read_text(encoding="utf-8")
    assert "unexpected error (a bug of the pipeline, not of the data)" in log
    assert "ValueError: a bug" in log


def test_a_page_and_its_folder_of_files_are_staged_and_renamed_together(tmp_path, monkeypatch):
    """A report writes its page and the folder beside it (``directory()`` output): the folder
    the page derives from its temporary name is the folder's temporary name, the page links
    to the final name, and a failure leaves neither behind."""
    from hhsurvey.outputs.report.files import files_folder, files_link

    monkeypatch.chdir(tmp_path)
    out = tmp_path / "report"
    out.mkdir()

    def main(s):
        folder = files_folder(s.output.html)
        assert folder == Path(s.output.files)  # one name for the folder, as Snakemake staged it
        folder.mkdir()
        (folder / "estimates.csv").write_text("a\n1\n", encoding="utf-8")
        Path(s.output.html).write_text(f'<a href="{files_link(s.output.html)}/x">', "utf-8")

    job = smk(tmp_path, html=str(out / "baseline.html"), files=str(out / "baseline_files"))
    assert run(main, job) is None
    assert files(out) == ["baseline.html", "baseline_files"]
    assert (out / "baseline.html").read_text(encoding="utf-8") == '<a href="baseline_files/x">'
    assert files(out / "baseline_files") == ["estimates.csv"]

    def fails(s):
        main(s)
        raise InputError("planted", "here", "nothing")

    out2 = tmp_path / "report2"
    out2.mkdir()
    job = smk(tmp_path, html=str(out2 / "baseline.html"), files=str(out2 / "baseline_files"))
    assert run(fails, job) == 2
    assert files(out2) == []  # neither the page nor the folder, not even a temporary one
