# SLURM runs (workflow/profiles/slurm, docs/cluster.md): the jobs' account is checked before
# anything is submitted (one message, no retry), and when a run fails, why each SLURM job
# failed is printed at the end: state and memory from sacct where accounting exists, the
# telling lines of its SLURM log. Logic in scripts/hhsurvey/cluster.py.
import getpass

from hhsurvey.cluster import account_problem, failure_report


def slurm_run():
    """True when this Snakemake submits jobs to SLURM (not in a job step, not locally)."""
    name = getattr(workflow.executor_plugin, "name", "") or ""
    return name.replace("snakemake-executor-plugin-", "") == "slurm"


def job_accounts():
    """The SLURM accounts of the jobs this run would submit."""
    return {
        str(job.resources.get("slurm_account"))
        for job in workflow.dag.needrun_jobs()
        if not job.is_local and job.resources.get("slurm_account")
    }


onstart:
    if slurm_run():
        problem = account_problem(job_accounts(), getpass.getuser())
        if problem is not None:  # the message alone, no traceback; nothing was submitted
            logger.error(problem.message)
            raise SystemExit(1)


onerror:
    if slurm_run():
        try:
            report = failure_report(log)
        except Exception as err:  # never a traceback on top of the run's own error
            report = f"(could not read why the SLURM jobs failed: {err})"
        if report:
            logger.error(report)
