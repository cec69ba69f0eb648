"""Running on a SLURM cluster: the account check before submission, and why a job failed.

The Snakemake SLURM executor plugin reports a failed job as ``SLURM status is: 'FAILED'.
Detailed failure reason unavailable``, and its account check runs once per job (an invalid
account is printed once per attempt, with a traceback). The workflow (workflow/rules/cluster.smk)
calls this module instead:

* ``onstart`` -> :func:`account_problem`: the accounts the jobs would use, against
  ``sacctmgr show assoc`` for the user; one clear message before anything is submitted. A
  cluster without accounting (``sacctmgr`` fails) accepts any account: nothing to check.
* ``onerror`` -> :func:`failure_report`: every SLURM job of the run that failed, read from
  Snakemake's own log (the plugin's submission and status lines, the rule's resources), the
  job's state, exit code, memory and time from ``sacct`` where accounting exists, and the
  telling lines of the job's SLURM log. An out-of-memory job reads
  ``out of memory (limit 300 MB, used 1.6 GB): raise mem_mb for rule X in
  workflow/profiles/slurm/config.yaml``.
"""

from __future__ import annotations

import re
import subprocess
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from hhsurvey.errors import InputError

PROFILE = "workflow/profiles/slurm/config.yaml"
SUBMITTED = re.compile(r"Job (\d+) has been submitted with SLURM jobid (\d+) \(log: (.+?)\)\.?$")
STATUS = re.compile(r"SLURM-job '(\d+)' failed, SLURM status is: '(\w+)'")
RESOURCES = re.compile(r"^\s+resources: (.*)$")
RULE_DIR = re.compile(r"rule_(\w+)$")
# lines of a SLURM log that tell a cluster problem from a data problem
TELLING = re.compile(
    r"oom[-_ ]kill|out of memory|DUE TO TIME LIMIT|CANCELLED|srun: error|slurmstepd|"
    r"Not retried|No such file|Killed",
    re.I,
)
SACCT_FIELDS = ("JobID", "State", "ExitCode", "ReqMem", "MaxRSS", "Elapsed", "Timelimit", "Reason")

Runner = Callable[[list[str]], subprocess.CompletedProcess]


def _run(cmd: list[str]) -> subprocess.CompletedProcess:
    return subprocess.run(cmd, capture_output=True, text=True, timeout=60, check=False)


# ------------------------------------------------------------------------------ account


def registered_accounts(user: str, run: Runner = _run) -> set[str] | None:
    """The accounts of the user's associations (``sacctmgr show assoc``), or None when the
    cluster has no accounting to ask (the command fails or is missing)."""
    try:
        proc = run(["sacctmgr", "-n", "-P", "show", "assoc", f"user={user}", "format=account"])
    except (OSError, subprocess.SubprocessError):
        return None
    if proc.returncode != 0:
        return None
    return {line.strip().lower() for line in proc.stdout.splitlines() if line.strip()}


def account_problem(accounts: set[str], user: str, run: Runner = _run) -> InputError | None:
    """An error naming the accounts the jobs would use that are not registered for ``user``."""
    registered = registered_accounts(user, run)
    if registered is None or not accounts:
        return None
    unknown = sorted(a for a in accounts if a.lower() not in registered)
    if not unknown:
        return None
    return InputError(
        f"the SLURM account(s) {unknown} are not registered for user {user} on this cluster "
        f"(`sacctmgr show assoc user={user}` lists: {sorted(registered) or 'none'}); no job "
        "was submitted",
        "`slurm_account` under `default-resources:` of your site profile "
        '(~/.config/snakemake/hhsurvey-site/config.yaml, README "Cluster"), or '
        "--default-resources slurm_account=...",
        f"set slurm_account to one of {sorted(registered)}, or ask the cluster's "
        f"administrators to register you (sacctmgr add user {user} account={unknown[0]})",
    )


# ------------------------------------------------------------------------------- failure


@dataclass
class FailedJob:
    """One SLURM job of the run that failed, as Snakemake's log tells it."""

    slurm_id: str
    snakemake_id: str
    rule: str
    wildcards: str
    log: Path
    attempt: int
    status: str = ""
    resources: dict[str, str] = field(default_factory=dict)


def failed_jobs(text: str) -> list[FailedJob]:
    """The SLURM jobs of a Snakemake log that the plugin reported failed, in order."""
    jobs: dict[str, FailedJob] = {}
    attempts: dict[str, int] = {}
    resources: dict[str, str] = {}
    for line in text.splitlines():
        r = RESOURCES.match(line)
        if r:
            resources = dict(part.split("=", 1) for part in r.group(1).split(", ") if "=" in part)
            continue
        m = SUBMITTED.search(line)
        if m:
            sid, slurm_id, log = m.group(1), m.group(2), Path(m.group(3))
            attempts[sid] = attempts.get(sid, 0) + 1
            rule_dir = next((p for p in log.parents if RULE_DIR.match(p.name)), None)
            rule = RULE_DIR.match(rule_dir.name).group(1) if rule_dir else "?"
            wildcards = str(log.parent.relative_to(rule_dir)) if rule_dir else ""
            jobs[slurm_id] = FailedJob(
                slurm_id, sid, rule, wildcards, log, attempts[sid], resources=resources
            )
            continue
        s = STATUS.search(line)
        if s and s.group(1) in jobs:
            jobs[s.group(1)].status = s.group(2)
    return [j for j in jobs.values() if j.status]


def sacct_steps(slurm_id: str, run: Runner = _run) -> list[dict[str, str]] | None:
    """The job's rows in ``sacct`` (the job, then its steps), or None without accounting."""
    try:
        proc = run(["sacct", "-j", slurm_id, "-P", "-n", "-o", ",".join(SACCT_FIELDS)])
    except (OSError, subprocess.SubprocessError):
        return None
    if proc.returncode != 0 or "disabled" in proc.stdout + proc.stderr:
        return None
    rows = [dict(zip(SACCT_FIELDS, ln.split("|"), strict=False)) for ln in proc.stdout.splitlines()]
    return [r for r in rows if r.get("JobID")] or None


def megabytes(text: str) -> float | None:
    """'300M', '121752K', '1.5G', '4000Mn' (sacct) or '300' (MB) -> megabytes."""
    m = re.fullmatch(r"([\d.]+)([KMGT]?)[nc]?", (text or "").strip())
    if not m:
        return None
    factor = {"": 1.0, "K": 1 / 1024, "M": 1.0, "G": 1024.0, "T": 1024.0**2}[m.group(2)]
    return float(m.group(1)) * factor


def _size(mb: float) -> str:
    return f"{mb / 1024:.1f} GB" if mb >= 1024 else f"{mb:.0f} MB"


def telling_lines(log: Path, limit: int = 10) -> list[str]:
    """The lines of a SLURM log that say what happened (the last ``limit`` of them), or its
    last lines when none does."""
    try:
        lines = log.read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError:
        return [f"(no SLURM log at {log})"]
    found = [ln for ln in lines if TELLING.search(ln)]
    return (found or lines)[-limit:]


def diagnose(job: FailedJob, steps: list[dict[str, str]] | None, lines: list[str]) -> str:
    """One sentence: why the job failed and what to change."""
    states = {job.status} | {s.get("State", "").split(" ")[0] for s in steps or []}
    text = "\n".join(lines)
    head = (steps or [{}])[0]
    limit = megabytes(head.get("ReqMem", "")) or megabytes(job.resources.get("mem_mb", ""))
    used = max((megabytes(s.get("MaxRSS", "")) or 0.0 for s in steps or []), default=0.0)
    if "OUT_OF_MEMORY" in states or re.search(r"oom[-_ ]kill|out of memory", text, re.I):
        mem = f"limit {_size(limit)}" if limit else "its memory limit"
        if used and limit and used < limit:  # sacct samples: the kill came at the limit
            mem += f", reached (last measured at {_size(used)})"
        elif used:
            mem += f", used {_size(used)}"
        return (
            f"out of memory ({mem}): raise mem_mb for rule {job.rule} in {PROFILE} (set-resources)"
        )
    if "TIMEOUT" in states or "DUE TO TIME LIMIT" in text:
        limit_t = head.get("Timelimit") or f"{job.resources.get('runtime', '?')} min"
        ran = f", ran {head['Elapsed']}" if head.get("Elapsed") else ""
        return (
            f"out of time (limit {limit_t}{ran}): raise runtime for rule {job.rule} in "
            f"{PROFILE} (set-resources)"
        )
    code = head.get("ExitCode", "")
    rule_log = f"results/logs/{job.rule}/{job.wildcards}.log"
    # the marker a job that stopped on an input error leaves (hhsurvey.cli.run_rule)
    if code.startswith("2:") or Path(f"{rule_log}.input-error").exists() or "Not retried" in text:
        return f"stopped on an input error: the message is in {rule_log}"
    state = "/".join(sorted(s for s in states if s)) or "FAILED"
    detail = f", exit code {code}" if code else ""
    reason = head.get("Reason", "")
    if reason and reason != "None":
        detail += f", reason {reason}"
    return f"failed (state {state}{detail}): see the SLURM log lines below"


def failure_report(snakemake_log: str | Path | list, run: Runner = _run) -> str:
    """Why each SLURM job of the run failed, with the telling lines of its SLURM log
    (``snakemake_log``: Snakemake's log file of the run, or the list Snakemake hands over)."""
    paths = snakemake_log if isinstance(snakemake_log, list | tuple) else [snakemake_log]
    text = ""
    for p in paths:
        try:
            text += Path(p).read_text(encoding="utf-8", errors="replace") + "\n"
        except OSError:
            continue
    jobs = failed_jobs(text)
    if not jobs:
        return ""
    out = [f"Why the SLURM job(s) failed ({len(jobs)}):"]
    for job in jobs:
        steps = sacct_steps(job.slurm_id, run)
        lines = telling_lines(job.log)
        where = f"rule {job.rule}" + (f" ({job.wildcards})" if job.wildcards else "")
        source = "sacct" if steps else "the SLURM log (no accounting)"
        out.append(
            f"- {where}, SLURM job {job.slurm_id}, attempt {job.attempt}: "
            f"{diagnose(job, steps, lines)} [{source}]"
        )
        out.append(f"  {job.log} (telling lines):")
        out += [f"    {ln}" for ln in dict.fromkeys(lines)]
    return "\n".join(out)
