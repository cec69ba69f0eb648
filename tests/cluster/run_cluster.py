"""`make test-cluster`: the README's cluster command on a real one-node SLURM cluster.

Run as root on a Debian machine (CI runs it after `make test`):

    .venv/bin/python tests/cluster/run_cluster.py

1. Installs munge, slurmctld, slurmd and the SLURM client tools from Debian when missing.
2. Writes a one-node `/etc/slurm/slurm.conf` (node `localhost` at 127.0.0.1, 2 CPUs, the
   machine's memory, partition `normal`, no accounting, MinJobAge 300 s), starts munged (own
   key and socket), slurmctld and slurmd on the loopback address and waits until `sinfo` shows
   the node idle. The executor plugin's job step drops SLURM_CONF from the job's environment,
   so the configuration must sit where every SLURM command looks by default; an existing
   /etc/slurm/slurm.conf that this script did not write stops the test (a real cluster's
   configuration is never replaced).
3. Three fresh copies of the repository, three runs side by side (a SLURM job of the demo
   waits on status checks far longer than it computes):
   - local reference: `snakemake --cores 2`;
   - the README: the site profile of the README's "Cluster" section is written to
     $XDG_CONFIG_HOME/snakemake/hhsurvey-site/ (its placeholders `my_project` and `normal`
     work here: the test cluster's partition is `normal` and, without accounting, SLURM
     accepts any account name), plus two test-only lines that shorten the plugin's waits;
     then the README's command, exactly as written, through bash;
   - a planted bad input: the same command on a copy whose hh.sav is cut in half.
4. The README run's result files (indicators.csv, indicators.xlsx and the report among
   them) have the sha256 of the local run's (SOURCE_DATE_EPOCH fixes the timestamps).
5. The bad-input run fails with the project's message printed once (the resubmission of the
   job exits at once, see hhsurvey.cli.run_rule), no result file besides the logs, raw/
   otherwise untouched.
6. Always (also on failure or Ctrl-C): cancels the cluster's jobs, stops the three daemons by
   their PIDs and removes the slurm.conf it wrote. Prints the wall time of each step.
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

REPO = Path(__file__).resolve().parents[2]
sys.path[:0] = [str(REPO / "tests" / "support"), str(REPO / "tests" / "workflow")]

from test_profiles import readme_cluster_command, readme_site_profile  # noqa: E402
from workflow_tools import copy_repo  # noqa: E402

PACKAGES = ["munge", "slurmctld", "slurmd", "slurm-client"]
SLURM_CONF = Path("/etc/slurm/slurm.conf")
OWN_CONF = "# written by tests/cluster/run_cluster.py (hhsurvey test cluster)"
PORTS = (6817, 6818)
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
# Budget of the three runs together, in seconds: the whole test stays under 10 minutes on an
# idle 2-core machine. A machine shared with other work can need more:
# HHSURVEY_CLUSTER_TIMEOUT=900 make test-cluster
RUN_TIMEOUT = int(os.environ.get("HHSURVEY_CLUSTER_TIMEOUT", "540"))


def step(msg: str) -> None:
    print(f"\n== {msg}", flush=True)


def sh(cmd: list[str], **kw) -> subprocess.CompletedProcess:
    return subprocess.run(cmd, check=True, text=True, capture_output=True, **kw)


def install_packages() -> None:
    missing = [
        p for p in PACKAGES if subprocess.run(["dpkg", "-s", p], capture_output=True).returncode
    ]
    if not missing:
        return
    if os.geteuid() != 0:
        sys.exit(f"test-cluster: install {' '.join(missing)} (apt-get, as root) first")
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    sh(["apt-get", "update", "-qq"], env=env)
    sh(["apt-get", "install", "-y", "-qq", "--no-install-recommends", *missing], env=env)


def machine_memory_mb() -> int:
    for line in Path("/proc/meminfo").read_text().splitlines():
        if line.startswith("MemTotal:"):
            return int(line.split()[1]) // 1024
    raise RuntimeError("no MemTotal in /proc/meminfo")


def slurm_conf(work: Path) -> str:
    return f"""{OWN_CONF}
ClusterName=hhtest
SlurmctldHost=localhost(127.0.0.1)
SlurmctldPort={PORTS[0]}
SlurmdPort={PORTS[1]}
CommunicationParameters=NoInAddrAny
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
AuthInfo=socket={work}/munge/munge.socket
CredType=cred/munge
StateSaveLocation={work}/state
SlurmdSpoolDir={work}/spool
SlurmctldPidFile={work}/slurmctld.pid
SlurmdPidFile={work}/slurmd.pid
SlurmctldLogFile={work}/log/slurmctld.log
SlurmdLogFile={work}/log/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
SchedulerType=sched/backfill
SelectType=select/cons_tres
SelectTypeParameters=CR_Core_Memory
MinJobAge=300
ReturnToService=2
MpiDefault=none
NodeName=localhost NodeAddr=127.0.0.1 CPUs=2 RealMemory={machine_memory_mb()} State=UNKNOWN
PartitionName=normal Nodes=localhost Default=YES MaxTime=INFINITE State=UP
"""


class Cluster:
    """munged, slurmctld and slurmd started by this process; stopped by PID in stop()."""

    def __init__(self, work: Path) -> None:
        self.work = work
        self.procs: list[tuple[str, subprocess.Popen]] = []
        self.wrote_conf = False

    def _start(self, name: str, cmd: list[str]) -> None:
        out = open(self.work / "log" / f"{name}.out", "w")  # noqa: SIM115 (kept by the daemon)
        proc = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT)
        self.procs.append((name, proc))
        print(f"started {name} (pid {proc.pid})", flush=True)

    def start(self) -> None:
        if SLURM_CONF.exists() and OWN_CONF not in SLURM_CONF.read_text(errors="replace"):
            sys.exit(f"test-cluster: {SLURM_CONF} exists and was not written by this test")
        busy = subprocess.run(["ss", "-ltnH"], capture_output=True, text=True).stdout
        for port in PORTS:
            if f":{port} " in busy:
                sys.exit(f"test-cluster: port {port} is in use (another SLURM daemon?)")
        w = self.work
        for d in ("munge", "state", "spool", "log"):
            (w / d).mkdir(mode=0o700, parents=True, exist_ok=True)
        key = w / "munge" / "munge.key"
        key.write_bytes(os.urandom(1024))
        key.chmod(0o600)
        SLURM_CONF.parent.mkdir(parents=True, exist_ok=True)
        SLURM_CONF.write_text(slurm_conf(w))
        self.wrote_conf = True
        self._start(
            "munged",
            [
                "munged",
                "--foreground",
                "--force",
                f"--socket={w}/munge/munge.socket",
                f"--key-file={key}",
                f"--log-file={w}/log/munged.log",
                f"--pid-file={w}/munge/munged.pid",
                f"--seed-file={w}/munge/munged.seed",
                "--origin=127.0.0.1",
            ],
        )
        self._wait(lambda: (w / "munge" / "munge.socket").exists(), "munged's socket", 20)
        self._start("slurmctld", ["slurmctld", "-D", "-i"])
        self._start("slurmd", ["slurmd", "-D", "-N", "localhost"])
        self._wait(self._idle, "sinfo to show the node idle", 90)
        print(sh(["sinfo"]).stdout, flush=True)

    def _idle(self) -> bool:
        for name, proc in self.procs:
            if proc.poll() is not None:
                log = (self.work / "log" / f"{name}.out").read_text(errors="replace")
                raise RuntimeError(f"{name} exited ({proc.returncode}):\n{log[-2000:]}")
        out = subprocess.run(["sinfo", "-h", "-o", "%T"], capture_output=True, text=True)
        return out.stdout.strip() == "idle"

    @staticmethod
    def _wait(ready, what: str, seconds: int) -> None:
        end = time.monotonic() + seconds
        while not ready():
            if time.monotonic() > end:
                raise RuntimeError(f"timed out waiting for {what}")
            time.sleep(0.5)

    def stop(self) -> None:
        if any(proc.poll() is None for name, proc in self.procs if name == "slurmctld"):
            subprocess.run(["scancel", "--full", "--partition", "normal"], capture_output=True)
        for name, proc in reversed(self.procs):
            if proc.poll() is None:
                proc.terminate()
                try:
                    proc.wait(timeout=20)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait()
            print(f"stopped {name} (pid {proc.pid})", flush=True)
        if self.wrote_conf:
            SLURM_CONF.unlink(missing_ok=True)


def run_env(root: Path, xdg: Path) -> dict[str, str]:
    return {
        **{k: v for k, v in os.environ.items() if not k.startswith("SLURM_")},
        "PATH": f"{REPO / '.venv' / 'bin'}:{os.environ['PATH']}",
        # the copy's library, whatever an editable install of the venv points to
        "PYTHONPATH": str(root / "scripts"),
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
                env=run_env(root, xdg),
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


def main() -> int:
    t0 = time.monotonic()
    times: dict[str, float] = {}
    command = readme_cluster_command()
    work = Path(tempfile.mkdtemp(prefix="hhsurvey-cluster-"))
    xdg = work / "xdg"
    site = xdg / "snakemake" / SITE_PROFILE
    site.mkdir(parents=True)
    (site / "config.yaml").write_text(readme_site_profile() + TEST_ONLY)
    cluster = Cluster(work / "slurm")

    def on_signal(signum, frame):
        raise KeyboardInterrupt(f"signal {signum}")

    signal.signal(signal.SIGTERM, on_signal)
    failed = False
    try:
        step("install munge, slurmctld, slurmd (Debian)")
        install_packages()
        step("start the one-node cluster")
        t = time.monotonic()
        cluster.start()
        times["cluster up"] = time.monotonic() - t

        # Three runs side by side (each SLURM job waits on status checks far more than it
        # computes): the local reference, the README's command, the planted bad input. Each
        # in its own fresh copy; results do not depend on the copy's path
        # (tests/workflow/test_workflow.py::test_two_runs_are_byte_identical).
        step("local run, README command and planted bad input, side by side")
        roots = {name: work / name / "repo" for name in ("local", "cluster", "bad")}
        for root in roots.values():
            copy_repo(root)
        raw = roots["bad"] / "raw" / "demo" / "baseline"
        sav = raw / "hh.sav"
        data = sav.read_bytes()
        sav.write_bytes(data[: len(data) // 2])  # truncated
        before = {p.name: p.read_bytes() for p in raw.iterdir()}
        deadline = time.monotonic() + RUN_TIMEOUT
        runs = {
            "local": Run("local", "snakemake --cores 2", roots["local"], xdg),
            "cluster": Run("cluster", command, roots["cluster"], xdg),
            "bad": Run("bad", command, roots["bad"], xdg),
        }
        while any(r.proc.poll() is None for r in runs.values()) and time.monotonic() < deadline:
            for r in runs.values():  # note each run's own end time
                if r.proc.poll() is not None and r.seconds is None:
                    r.seconds = time.monotonic() - r.t0
            time.sleep(1)
        results = {name: r.wait(deadline) for name, r in runs.items()}
        for name, r in runs.items():
            times[f"{name} run"] = r.seconds
            print(f"[{name}] exit {results[name][0]} after {r.seconds:.0f} s; output: {r.out}")

        code, text = results["local"]
        assert code == 0, "local run failed:\n" + text[-6000:]
        reference = hashes(roots["local"])

        step("the README's command: outputs identical to the local run")
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

        step("the planted bad input (hh.sav cut in half) under SLURM")
        code, text = results["bad"]
        root = roots["bad"]
        assert code != 0, "the bad input did not stop the run"
        assert "has been submitted with SLURM jobid" in text, "no job went through SLURM"
        assert text.count(MESSAGE) == 1, f"message printed {text.count(MESSAGE)} times:\n{text}"
        assert "Not retried" in text, "the resubmission did not say it skipped the job"
        assert "Traceback" not in text
        left = sorted(
            str(p.relative_to(root))
            for p in (root / "results").rglob("*")
            if p.is_file() and p.relative_to(root / "results").parts[0] != "logs"
        )
        assert not left, f"partial output left: {left}"
        assert {p.name: p.read_bytes() for p in raw.iterdir()} == before, "raw/ was modified"
        print("stopped with the message printed once, no output besides the logs")
    except BaseException as err:  # noqa: BLE001 (report, clean up, exit non-zero)
        failed = True
        print(f"\nFAILED: {err}", flush=True)
        for name in ("slurmctld.log", "slurmd.log"):
            log = work / "slurm" / "log" / name
            if log.exists():
                print(f"--- {log} (tail)\n{log.read_text(errors='replace')[-3000:]}")
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
