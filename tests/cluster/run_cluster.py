"""`make test-cluster`: the README's cluster command on a real one-node SLURM cluster.

Run as root on a Debian machine (CI runs it after `make test`):

    .venv/bin/python tests/cluster/run_cluster.py

1. Installs munge, slurmctld, slurmd, the SLURM client tools, slurmdbd and MariaDB from Debian
   when missing (their services are not started by the installation).
2. Starts a one-node cluster with accounting (tests/cluster/slurm_cluster.py): munged, MariaDB
   (own data directory), slurmdbd, slurmctld and slurmd on 127.0.0.1, node `localhost` with
   2 CPUs and the machine's memory, partition `normal`, MinJobAge 300 s, memory limits
   enforced by cgroups (v1) where this machine allows it (otherwise the reason is printed and
   the out-of-memory run is skipped). The README's placeholder account `my_project` is
   registered for root, as a cluster's administrators would. The configuration goes to
   /etc/slurm (the executor plugin's job step drops SLURM_CONF); a file there that the test
   did not write stops the test.
3. Five fresh copies of the repository, each with `.venv` linked as a clone's own would be,
   five runs side by side, each from a fresh shell (no `.venv/bin` on PATH, no PYTHONPATH):
   - local reference: `.venv/bin/snakemake --cores 2`;
   - the README: its site profile written to $XDG_CONFIG_HOME/snakemake/hhsurvey-site/ plus
     two test-only lines that shorten the plugin's waits, then the README's command exactly
     as written, through bash;
   - a planted bad input: the same command on a copy whose hh.sav is cut in half;
   - a planted memory hog: ingest_round allocates 2 GB in 50 MB steps under a limit of
     300 MB (600 MB on the resubmission), in the copy's workflow profile;
   - an unknown account: the same command with a site profile naming `no_such_project`.
4. The README run's result files (indicators.csv, indicators.xlsx and the report among them)
   have the sha256 of the local run's (SOURCE_DATE_EPOCH fixes the timestamps).
5. The bad input stops the run with the project's message printed once, no result file
   besides the logs, raw/ otherwise untouched; the memory hog ends with "out of memory (limit
   300 MB ...): raise mem_mb for rule ingest_round in workflow/profiles/slurm/config.yaml" for
   both attempts, read from sacct; the unknown account stops the run before any job is
   submitted, with one message naming the account.
6. Always (also on failure or Ctrl-C): cancels the cluster's jobs, stops every daemon by its
   PID, removes the configuration files and cgroup directories it created. Prints the wall
   time of each step.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[2]
sys.path[:0] = [str(REPO / "tests" / "support"), str(REPO / "tests" / "workflow")]

from slurm_cluster import Cluster, install_packages  # noqa: E402
from test_profiles import readme_cluster_command, readme_site_profile  # noqa: E402
from workflow_tools import copy_repo  # noqa: E402

SITE_PROFILE = "hhsurvey-site"
# Test-only settings appended to the README's site profile: the plugin waits 40 s before the
# first status check of every job (8 jobs in a chain); 5 s keeps the test well under 10 min.
TEST_ONLY = "slurm-init-seconds-before-status-checks: 5\nseconds-between-status-checks: 5\n"
COMPARED = [
    "results/baseline/indicators.csv",
    "results/baseline/indicators.xlsx",
    "results/report/baseline.html",
]
EPOCH = "1700000000"
MESSAGE = "how to fix: the file is truncated"
PROFILE = "workflow/profiles/slurm/config.yaml"
BAD_ACCOUNT = "no_such_project"
# The planted memory hog: 2 GB in 50 MB steps, so that sacct measures it on the way up.
HOG = (
    "    import time  # planted by tests/cluster/run_cluster.py: a memory hog\n\n"
    "    hog = []\n"
    "    for _ in range(40):\n"
    "        hog.append(b'\\x01' * 50_000_000)\n"
    "        time.sleep(0.3)\n"
)
HOG_MB = 300
# Budget of the runs together, in seconds: the whole test stays under 10 minutes on an idle
# 2-core machine. A machine shared with other work can need more:
# HHSURVEY_CLUSTER_TIMEOUT=900 make test-cluster
RUN_TIMEOUT = int(os.environ.get("HHSURVEY_CLUSTER_TIMEOUT", "540"))


def step(msg: str) -> None:
    print(f"\n== {msg}", flush=True)


def fresh_env(xdg: Path) -> dict[str, str]:
    """The environment of a fresh login shell: no virtual environment on PATH, no PYTHONPATH,
    no SLURM variables of an enclosing job."""
    path = [p for p in os.environ["PATH"].split(":") if not p.rstrip("/").endswith(".venv/bin")]
    drop = ("SLURM_", "VIRTUAL_ENV", "PYTHONPATH", "PYTHONHOME", "CONDA_")
    return {
        **{k: v for k, v in os.environ.items() if not k.startswith(drop)},
        "PATH": ":".join(path),
        "SOURCE_DATE_EPOCH": EPOCH,
        "XDG_CONFIG_HOME": str(xdg),
    }


RUNNING: list[Run] = []


class Run:
    """One `bash -c CMD` in a repository copy, started now; output to a file (no pipe to fill)."""

    def __init__(self, name: str, cmd: str, root: Path, xdg: Path) -> None:
        self.name, self.cmd, self.root = name, cmd, root
        self.out = root.parent / f"{name}.out"
        self.t0 = time.monotonic()
        self.seconds: float | None = None
        print(f"[{name}] $ {cmd}", flush=True)
        with open(self.out, "w") as fh:
            self.proc = subprocess.Popen(
                ["bash", "-c", cmd],
                cwd=root,
                env=fresh_env(xdg),
                stdout=fh,
                stderr=fh,
                start_new_session=True,  # its own process group, killed as one in stop()
            )
        RUNNING.append(self)

    def stop(self) -> None:
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait()

    def wait(self, deadline: float) -> tuple[int, str]:
        """Exit code and output; a run still going at `deadline` (monotonic) is killed."""
        try:
            code = self.proc.wait(timeout=max(1.0, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            self.stop()
            raise AssertionError(f"{self.name}: still running at the deadline, killed") from None
        if self.seconds is None:
            self.seconds = time.monotonic() - self.t0
        return code, self.out.read_text(errors="replace")


def hashes(root: Path) -> dict[str, str]:
    files = sorted(
        p
        for p in (root / "results").rglob("*")
        if p.is_file() and p.relative_to(root / "results").parts[0] not in ("logs", "benchmarks")
    )
    return {str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest() for p in files}


def clone(root: Path) -> Path:
    """A fresh copy of the repository with its own `.venv` (a link to this one's)."""
    copy_repo(root)
    (root / ".venv").symlink_to(REPO / ".venv", target_is_directory=True)
    return root


def site_profile(xdg: Path, account: str | None = None) -> Path:
    site = xdg / "snakemake" / SITE_PROFILE
    site.mkdir(parents=True)
    text = readme_site_profile()
    if account:
        text = text.replace('"my_project"', f'"{account}"')
    (site / "config.yaml").write_text(text + TEST_ONLY)
    return xdg


def plant_memory_hog(root: Path) -> None:
    """ingest_round allocates 2 GB, under a limit of 300 MB (600 MB on the resubmission)."""
    script = root / "scripts" / "ingest_round.py"
    text = script.read_text(encoding="utf-8")
    head = "def main(smk) -> None:\n"
    assert text.count(head) == 1
    script.write_text(text.replace(head, head + HOG), encoding="utf-8")
    prof = root / PROFILE
    cfg = yaml.safe_load(prof.read_text(encoding="utf-8"))
    res = cfg["set-resources"]
    res["ingest_round"] = {**res["ingest_round"], "mem_mb": f"{HOG_MB} * attempt"}
    prof.write_text(yaml.safe_dump(cfg, sort_keys=False), encoding="utf-8")


def check_readme_run(results: dict, roots: dict) -> None:
    step("the README's command: outputs identical to the local run (accounting on)")
    code, text = results["local"]
    assert code == 0, "local run failed:\n" + text[-6000:]
    reference = hashes(roots["local"])
    code, text = results["cluster"]
    assert code == 0, "cluster run failed:\n" + text[-8000:]
    assert "has been submitted with SLURM jobid" in text, "no job went through SLURM"
    got = hashes(roots["cluster"])
    for name in COMPARED:
        assert name in reference and name in got, f"{name} missing"
    differ = sorted(k for k in reference if got.get(k) != reference[k])
    assert not differ and set(got) == set(reference), f"differ from the local run: {differ}"
    print(f"{len(got)} result files byte-identical to the local run, among them:")
    for name in COMPARED:
        print(f"  {got[name]}  {name}")


def check_bad_input(results: dict, roots: dict, before: dict) -> None:
    step("the planted bad input (hh.sav cut in half) under SLURM")
    code, text = results["bad"]
    root = roots["bad"]
    assert code != 0, "the bad input did not stop the run"
    assert "has been submitted with SLURM jobid" in text, "no job went through SLURM"
    assert text.count(MESSAGE) == 1, f"message printed {text.count(MESSAGE)} times:\n{text}"
    assert "Not retried" in text, "the resubmission did not say it skipped the job"
    want = "attempt 1: stopped on an input error: the message is in results/logs/ingest_round"
    assert want in text, text[-4000:]
    assert "Traceback" not in text
    left = sorted(
        str(p.relative_to(root))
        for p in (root / "results").rglob("*")
        if p.is_file() and p.relative_to(root / "results").parts[0] != "logs"
    )
    assert not left, f"partial output left: {left}"
    raw = root / "raw" / "demo" / "baseline"
    assert {p.name: p.read_bytes() for p in raw.iterdir()} == before, "raw/ was modified"
    print("stopped with the message printed once, no output besides the logs")


def check_memory_hog(results: dict) -> None:
    step("the planted memory hog: out of memory, both attempts, read from sacct")
    code, text = results["oom"]
    assert code != 0, "the memory hog did not fail"
    assert "has been submitted with SLURM jobid" in text, "no job went through SLURM"
    for attempt, limit in ((1, HOG_MB), (2, 2 * HOG_MB)):
        want = f"attempt {attempt}: out of memory (limit {limit} MB"
        assert want in text, f"{want!r} not in:\n{text[-6000:]}"
    advice = f"raise mem_mb for rule ingest_round in {PROFILE}"
    assert advice in text and "[sacct]" in text, text[-6000:]
    assert "Traceback" not in text
    print(next(ln for ln in text.splitlines() if "attempt 2: out of memory" in ln))


def check_account(results: dict) -> None:
    step(f"an unknown account ({BAD_ACCOUNT}): one message, nothing submitted")
    code, text = results["account"]
    assert code != 0, "the unknown account did not stop the run"
    msg = f"the SLURM account(s) ['{BAD_ACCOUNT}'] are not registered for user"
    assert text.count(msg) == 1, f"message printed {text.count(msg)} times:\n{text[-4000:]}"
    assert "has been submitted with SLURM jobid" not in text, "a job was submitted"
    assert "Traceback" not in text and 'File "' not in text, text[-4000:]
    print(next(ln for ln in text.splitlines() if msg in ln))


def start_runs(work: Path, command: str, cluster: Cluster) -> tuple[dict, dict, dict]:
    names = ["local", "cluster", "bad", "account"] + (["oom"] if not cluster.no_cgroup else [])
    roots = {name: clone(work / name / "repo") for name in names}
    raw = roots["bad"] / "raw" / "demo" / "baseline"
    sav = raw / "hh.sav"
    data = sav.read_bytes()
    sav.write_bytes(data[: len(data) // 2])  # truncated
    before = {p.name: p.read_bytes() for p in raw.iterdir()}
    if "oom" in roots:
        plant_memory_hog(roots["oom"])
    xdg = site_profile(work / "xdg")
    bad_xdg = site_profile(work / "xdg_account", BAD_ACCOUNT)
    runs = {
        "local": Run("local", ".venv/bin/snakemake --cores 2", roots["local"], xdg),
        "cluster": Run("cluster", command, roots["cluster"], xdg),
        "bad": Run("bad", command, roots["bad"], xdg),
        "account": Run("account", command, roots["account"], bad_xdg),
    }
    if "oom" in roots:
        runs["oom"] = Run("oom", command, roots["oom"], xdg)
    return runs, roots, before


def main() -> int:
    t0 = time.monotonic()
    times: dict[str, float] = {}
    command = readme_cluster_command()
    work = Path(tempfile.mkdtemp(prefix="hhsurvey-cluster-"))
    cluster = Cluster(work / "slurm")

    def on_signal(signum, frame):
        raise KeyboardInterrupt(f"signal {signum}")

    signal.signal(signal.SIGTERM, on_signal)
    failed = False
    try:
        step("install munge, SLURM, slurmdbd and MariaDB (Debian)")
        t = time.monotonic()
        install_packages()
        times["install"] = time.monotonic() - t
        step("start the one-node cluster with accounting")
        t = time.monotonic()
        cluster.start()
        times["cluster up"] = time.monotonic() - t
        if cluster.no_cgroup:
            print(f"SKIPPED the out-of-memory run: no memory enforcement ({cluster.no_cgroup})")
        step("local run and four cluster runs, side by side")
        runs, roots, before = start_runs(work, command, cluster)
        deadline = time.monotonic() + RUN_TIMEOUT
        while any(r.proc.poll() is None for r in runs.values()) and time.monotonic() < deadline:
            for r in runs.values():  # note each run's own end time
                if r.proc.poll() is not None and r.seconds is None:
                    r.seconds = time.monotonic() - r.t0
            time.sleep(1)
        results = {name: r.wait(deadline) for name, r in runs.items()}
        for name, r in runs.items():
            times[f"{name} run"] = r.seconds
            print(f"[{name}] exit {results[name][0]} after {r.seconds:.0f} s; output: {r.out}")
        check_readme_run(results, roots)
        check_bad_input(results, roots, before)
        check_account(results)
        if "oom" in results:
            check_memory_hog(results)
    except BaseException as err:  # noqa: BLE001 (report, clean up, exit non-zero)
        failed = True
        print(f"\nFAILED: {err}", flush=True)
        print(cluster.logs())
    finally:
        step("stop the runs and the daemons")
        for r in RUNNING:
            r.stop()
        cluster.stop()
        times["total"] = time.monotonic() - t0
        for name, sec in times.items():
            print(f"{name:>16}: {sec:6.0f} s")
        if not failed:
            shutil.rmtree(work, ignore_errors=True)
        else:
            print(f"logs kept in {work}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
