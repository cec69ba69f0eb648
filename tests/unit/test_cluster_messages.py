"""Why a SLURM job failed, and the account check (hhsurvey.cluster, issue 26).

The inputs are what Snakemake 9.27 with snakemake-executor-plugin-slurm 2.8 and Slurm 22.05
wrote on the test cluster (`make test-cluster`) for a job killed by the cgroup memory limit:
the plugin's submission and status lines in Snakemake's log, sacct's rows, the SLURM log. The
end-to-end run on a real cluster is tests/cluster/run_cluster.py.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

from hhsurvey.cluster import account_problem, diagnose, failed_jobs, failure_report, megabytes

LOG = """\
rule ingest_round:
    log: results/logs/ingest_round/baseline.log
    resources: tmpdir=<TBD>, mem_mb=300, mem=300 MB, mem_mib=287, slurm_account=my_project, slurm_partition=normal, hhsurvey_attempt=1, runtime=20
Job 5 has been submitted with SLURM jobid 2 (log: {d}/.snakemake/slurm_logs/rule_ingest_round/baseline/2.log).
Error in rule ingest_round:
    message: SLURM-job '2' failed, SLURM status is: 'OUT_OF_MEMORY'. Detailed failure reason unavailable (status command is not 'sacct').
Trying to restart job 5.
rule ingest_round:
    resources: tmpdir=<TBD>, mem_mb=600, mem=600 MB, mem_mib=573, slurm_account=my_project, slurm_partition=normal, hhsurvey_attempt=2, runtime=40
Job 5 has been submitted with SLURM jobid 3 (log: {d}/.snakemake/slurm_logs/rule_ingest_round/baseline/3.log).
Error in rule ingest_round:
    message: SLURM-job '3' failed, SLURM status is: 'FAILED'. Detailed failure reason unavailable (status command is not 'sacct').
"""
SACCT = {
    "2": "2|OUT_OF_MEMORY|0:125|300M||00:00:10|00:20:00|None\n"
    "2.batch|OUT_OF_MEMORY|0:125||121752K|00:00:10||\n",
    # the retry: the batch step FAILED because its srun step was killed for memory
    "3": "3|FAILED|1:0|600M||00:00:16|00:40:00|None\n"
    "3.batch|FAILED|1:0||122152K|00:00:16||\n"
    "3.0|OUT_OF_MEMORY|0:125||424104K|00:00:10||\n",
}
SLURM_LOG = (
    "Building DAG of jobs...\n"
    "slurmstepd-localhost: error: Detected 1 oom-kill event(s) in StepId=3.0. Some of your "
    "processes may have been killed by the cgroup out-of-memory handler.\n"
    "srun: error: localhost: task 0: Out Of Memory\n"
    "Shutting down, this might take some time.\n"
)


def _sacct(cmd: list[str]) -> subprocess.CompletedProcess:
    assert cmd[:3] == ["sacct", "-j", cmd[2]]
    return subprocess.CompletedProcess(cmd, 0, SACCT[cmd[2]], "")


def _no_accounting(cmd: list[str]) -> subprocess.CompletedProcess:
    return subprocess.CompletedProcess(
        cmd, 1, "", "sacct: error: Slurm accounting storage is disabled\n"
    )


def _write(tmp_path: Path) -> Path:
    log = tmp_path / "snakemake.log"
    log.write_text(LOG.format(d=tmp_path), encoding="utf-8")
    for j in ("2", "3"):
        p = tmp_path / ".snakemake/slurm_logs/rule_ingest_round/baseline" / f"{j}.log"
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(SLURM_LOG.replace("3.0", f"{j}.0"), encoding="utf-8")
    return log


def test_failed_jobs_are_read_from_snakemakes_log(tmp_path):
    jobs = failed_jobs(_write(tmp_path).read_text(encoding="utf-8"))
    assert [(j.slurm_id, j.rule, j.wildcards, j.attempt, j.status) for j in jobs] == [
        ("2", "ingest_round", "baseline", 1, "OUT_OF_MEMORY"),
        ("3", "ingest_round", "baseline", 2, "FAILED"),
    ]
    assert jobs[1].resources["mem_mb"] == "600"


def test_out_of_memory_says_the_limit_and_what_to_raise_even_when_the_retry_reads_failed(
    tmp_path,
):
    report = failure_report(str(_write(tmp_path)), run=_sacct)
    lines = report.splitlines()
    first = next(ln for ln in lines if "SLURM job 2," in ln)
    second = next(ln for ln in lines if "SLURM job 3," in ln)
    assert "attempt 1: out of memory (limit 300 MB, reached (last measured at 119 MB))" in first
    # the plugin says FAILED; the srun step's state in sacct says why
    assert "attempt 2: out of memory (limit 600 MB, reached (last measured at 414 MB))" in second
    assert "raise mem_mb for rule ingest_round in workflow/profiles/slurm/config.yaml" in second
    assert second.endswith("[sacct]")
    assert "    srun: error: localhost: task 0: Out Of Memory" in lines
    assert "Building DAG" not in report


def test_without_accounting_the_slurm_log_and_the_rules_resources_tell_it(tmp_path):
    report = failure_report([str(_write(tmp_path))], run=_no_accounting)
    assert "attempt 2: out of memory (limit 600 MB): raise mem_mb for rule ingest_round" in report
    assert "[the SLURM log (no accounting)]" in report


def test_a_job_above_its_limit_where_nothing_enforces_it_reads_used():
    (job,) = failed_jobs(LOG.format(d="/x").split("Trying")[0])
    rows = [{"JobID": "2", "State": "OUT_OF_MEMORY", "ReqMem": "300M"}, {"MaxRSS": "1.6G"}]
    assert "(limit 300 MB, used 1.6 GB)" in diagnose(job, rows, [])


def test_time_and_input_errors():
    (job,) = failed_jobs(LOG.format(d="/x").split("Trying")[0])
    job.status = "TIMEOUT"
    rows = [{"State": "TIMEOUT", "Timelimit": "00:20:00", "Elapsed": "00:20:03"}]
    assert diagnose(job, rows, []).startswith(
        "out of time (limit 00:20:00, ran 00:20:03): raise runtime for rule ingest_round"
    )
    job.status = "FAILED"
    rows = [{"State": "FAILED", "ExitCode": "2:0", "ReqMem": "4000M"}]
    assert diagnose(job, rows, []).startswith("stopped on an input error")


def test_sizes():
    assert megabytes("300M") == 300 and megabytes("121752K") == 121752 / 1024
    assert megabytes("1.5G") == 1536 and megabytes("4000Mn") == 4000 and megabytes("") is None


def _assoc(accounts: str, code: int = 0):
    def run(cmd: list[str]) -> subprocess.CompletedProcess:
        assert cmd[:4] == ["sacctmgr", "-n", "-P", "show"] and "user=ana" in cmd
        return subprocess.CompletedProcess(cmd, code, accounts, "")

    return run


def test_an_unknown_account_is_one_message_naming_it_and_the_registered_ones():
    err = account_problem({"my_project"}, "ana", run=_assoc("lab_a\nlab_b\n"))
    assert err is not None
    assert "the SLURM account(s) ['my_project'] are not registered for user ana" in err.what
    assert "['lab_a', 'lab_b']" in err.fix and "sacctmgr add user ana account=my_project" in err.fix
    assert account_problem({"LAB_A"}, "ana", run=_assoc("lab_a\n")) is None
    # no accounting: nothing to check (SLURM accepts any account)
    assert account_problem({"x"}, "ana", run=_assoc("", code=1)) is None
