"""A one-node SLURM cluster with accounting, started and stopped by `make test-cluster`.

Everything runs on 127.0.0.1 from a work directory of the test: munged (own key and socket),
MariaDB (own data directory, a free port, no system configuration read), slurmdbd, slurmctld
and slurmd. Memory limits are enforced by Linux cgroups (v1: task/cgroup, proctrack/cgroup,
``ConstrainRAMSpace``) when this machine lets the test create a memory cgroup; otherwise the
cluster runs without enforcement and :attr:`Cluster.no_cgroup` says why.

The SLURM commands and the executor plugin's job step read /etc/slurm (the plugin drops
SLURM_CONF from the job's environment), so the configuration is written there: slurm.conf,
slurmdbd.conf and cgroup.conf, each marked as the test's own. A file there that the test did
not write, or a busy SLURM port, stops the test before anything is changed; every file the
test wrote, every daemon it started (by PID) and every cgroup directory it left is removed in
:meth:`Cluster.stop`.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

PACKAGES = ["munge", "slurmctld", "slurmd", "slurm-client", "slurmdbd", "mariadb-server"]
ETC = Path("/etc/slurm")
CONFS = ("slurm.conf", "slurmdbd.conf", "cgroup.conf")
OWN_CONF = "# written by tests/cluster/run_cluster.py (hhsurvey test cluster)"
PORTS = (6817, 6818, 6819)  # slurmctld, slurmd, slurmdbd
CLUSTER = "hhtest"
# The README's site profile names this placeholder account: the test registers it for the
# user, as a cluster's administrators would (an unknown account is tested separately).
ACCOUNT = "my_project"
DB_USER, DB_PASS = "slurm", "hhtest"
CGROUP = Path("/sys/fs/cgroup")
CGROUP_CONTROLLERS = ("memory", "freezer", "cpuacct", "cpuset", "devices")
POLICY_RC = Path("/usr/sbin/policy-rc.d")


def sh(cmd: list[str], **kw) -> subprocess.CompletedProcess:
    return subprocess.run(cmd, check=True, text=True, capture_output=True, **kw)


def installed(package: str) -> bool:
    """Installed, not merely known to dpkg (a removed package keeps its configuration)."""
    out = subprocess.run(
        ["dpkg-query", "-W", "-f=${Status}", package], capture_output=True, text=True
    )
    return out.returncode == 0 and out.stdout.strip() == "install ok installed"


def install_packages() -> None:
    """munge, SLURM (controller, node, client, accounting daemon) and MariaDB from Debian.
    Their services are not started by the installation (policy-rc.d, for the time of the
    install only, when the machine has none): the test starts its own daemons."""
    missing = [p for p in PACKAGES if not installed(p)]
    if not missing:
        return
    if os.geteuid() != 0:
        sys.exit(f"test-cluster: install {' '.join(missing)} (apt-get, as root) first")
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    policy = not POLICY_RC.exists()
    if policy:
        POLICY_RC.write_text("#!/bin/sh\n# written by tests/cluster/run_cluster.py\nexit 101\n")
        POLICY_RC.chmod(0o755)
    try:
        sh(["apt-get", "update", "-qq"], env=env)
        sh(["apt-get", "install", "-y", "-qq", "--no-install-recommends", *missing], env=env)
    finally:
        if policy:
            POLICY_RC.unlink(missing_ok=True)


def machine_memory_mb() -> int:
    for line in Path("/proc/meminfo").read_text().splitlines():
        if line.startswith("MemTotal:"):
            return int(line.split()[1]) // 1024
    raise RuntimeError("no MemTotal in /proc/meminfo")


def cgroup_problem() -> str | None:
    """None when SLURM's cgroup v1 plugins can enforce memory limits here; else why not."""
    if not (CGROUP / "memory").is_dir():
        if (CGROUP / "cgroup.controllers").exists():
            return (
                "only cgroup v2 is mounted, and Slurm 22.05's cgroup/v2 plugin needs slurmd "
                "started by systemd with a delegated cgroup (no systemd here)"
            )
        return f"no memory cgroup is mounted at {CGROUP / 'memory'}"
    missing = [c for c in ("memory", "freezer") if not (CGROUP / c).is_dir()]
    if missing:
        return f"the cgroup v1 controller(s) {missing} that task/cgroup needs are not mounted"
    probe = CGROUP / "memory" / f"hhsurvey_probe_{os.getpid()}"
    try:
        probe.mkdir()
        (probe / "memory.limit_in_bytes").write_text("104857600")
    except OSError as err:
        return f"this process cannot create a memory cgroup ({err})"
    finally:
        if probe.exists():
            probe.rmdir()
    return None


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def slurm_conf(work: Path, cgroups: bool) -> str:
    enforce = (
        "ProctrackType=proctrack/cgroup\nTaskPlugin=task/cgroup\n"
        "JobAcctGatherType=jobacct_gather/cgroup\n"
        if cgroups
        else "ProctrackType=proctrack/linuxproc\nTaskPlugin=task/none\n"
        "JobAcctGatherType=jobacct_gather/linux\n"
    )
    return f"""{OWN_CONF}
ClusterName={CLUSTER}
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
{enforce}JobAcctGatherFrequency=task=1
AccountingStorageType=accounting_storage/slurmdbd
AccountingStorageHost=localhost
AccountingStoragePort={PORTS[2]}
AccountingStoragePass={work}/munge/munge.socket
AccountingStorageEnforce=associations,limits
SchedulerType=sched/backfill
SelectType=select/cons_tres
SelectTypeParameters=CR_Core_Memory
MinJobAge=300
ReturnToService=2
MpiDefault=none
NodeName=localhost NodeAddr=127.0.0.1 CPUs=2 RealMemory={machine_memory_mb()} State=UNKNOWN
PartitionName=normal Nodes=localhost Default=YES MaxTime=INFINITE State=UP
"""


def slurmdbd_conf(work: Path, db_port: int) -> str:
    return f"""{OWN_CONF}
AuthType=auth/munge
AuthInfo=socket={work}/munge/munge.socket
DbdHost=localhost
DbdAddr=127.0.0.1
DbdPort={PORTS[2]}
SlurmUser=root
PidFile={work}/slurmdbd.pid
LogFile={work}/log/slurmdbd.log
StorageType=accounting_storage/mysql
StorageHost=127.0.0.1
StoragePort={db_port}
StorageUser={DB_USER}
StoragePass={DB_PASS}
StorageLoc=slurm_acct_db
"""


CGROUP_CONF = f"""{OWN_CONF}
CgroupPlugin=cgroup/v1
CgroupMountpoint={CGROUP}
ConstrainCores=no
ConstrainRAMSpace=yes
ConstrainSwapSpace=no
"""


class Cluster:
    """The daemons started by this process; stopped by PID in stop()."""

    def __init__(self, work: Path) -> None:
        self.work = work
        self.procs: list[tuple[str, subprocess.Popen]] = []
        self.wrote: list[Path] = []
        self.no_cgroup = cgroup_problem()
        self.cgroup_dirs = [
            CGROUP / c / "slurm_localhost"
            for c in CGROUP_CONTROLLERS
            if not (CGROUP / c / "slurm_localhost").exists()
        ]

    def _start(self, name: str, cmd: list[str]) -> None:
        out = open(self.work / "log" / f"{name}.out", "w")  # noqa: SIM115 (kept by the daemon)
        proc = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT)
        self.procs.append((name, proc))
        print(f"started {name} (pid {proc.pid})", flush=True)

    def _write(self, name: str, text: str, mode: int = 0o644) -> None:
        path = ETC / name
        path.write_text(text)
        path.chmod(mode)
        self.wrote.append(path)

    def _preflight(self) -> None:
        for name in CONFS:
            p = ETC / name
            if p.exists() and OWN_CONF not in p.read_text(errors="replace"):
                sys.exit(f"test-cluster: {p} exists and was not written by this test")
        busy = subprocess.run(["ss", "-ltnH"], capture_output=True, text=True).stdout
        for port in PORTS:
            if f":{port} " in busy:
                sys.exit(f"test-cluster: port {port} is in use (another SLURM daemon?)")

    def start(self) -> None:
        self._preflight()
        w = self.work
        for d in ("munge", "state", "spool", "log", "mysql"):
            (w / d).mkdir(mode=0o700, parents=True, exist_ok=True)
        key = w / "munge" / "munge.key"
        key.write_bytes(os.urandom(1024))
        key.chmod(0o600)
        ETC.mkdir(parents=True, exist_ok=True)
        self._start(
            "munged",
            [
                "munged", "--foreground", "--force", f"--socket={w}/munge/munge.socket",
                f"--key-file={key}", f"--log-file={w}/log/munged.log",
                f"--pid-file={w}/munge/munged.pid", f"--seed-file={w}/munge/munged.seed",
                "--origin=127.0.0.1",
            ],
        )  # fmt: skip
        self._wait(lambda: (w / "munge" / "munge.socket").exists(), "munged's socket", 20)
        db_port = self._start_database()
        self._write("slurmdbd.conf", slurmdbd_conf(w, db_port), 0o600)
        self._write("slurm.conf", slurm_conf(w, self.no_cgroup is None))
        if self.no_cgroup is None:
            self._write("cgroup.conf", CGROUP_CONF)
        self._start("slurmdbd", ["slurmdbd", "-D"])
        self._wait(self._dbd_up, "slurmdbd to answer", 60)
        for cmd in (
            ["add", "cluster", CLUSTER],
            ["add", "account", ACCOUNT, f"Cluster={CLUSTER}"],
            ["add", "user", "root", f"Account={ACCOUNT}", f"Cluster={CLUSTER}"],
        ):
            sh(["sacctmgr", "-i", *cmd])
        self._start("slurmctld", ["slurmctld", "-D", "-i"])
        self._start("slurmd", ["slurmd", "-D", "-N", "localhost"])
        self._wait(self._idle, "sinfo to show the node idle", 90)
        print(sh(["sinfo"]).stdout, flush=True)
        print(sh(["sacctmgr", "-n", "-P", "show", "assoc", "format=cluster,account,user"]).stdout)

    def _start_database(self) -> int:
        """MariaDB in the work directory (no system configuration read), a user for slurmdbd."""
        w = self.work
        sh(
            [
                "mariadb-install-db", "--no-defaults", f"--datadir={w}/mysql", "--user=root",
                "--auth-root-authentication-method=socket", "--skip-test-db",
            ]
        )  # fmt: skip
        port = free_port()
        sock = w / "mysql.sock"
        self._start(
            "mariadbd",
            [
                "mariadbd", "--no-defaults", f"--datadir={w}/mysql", "--user=root",
                f"--socket={sock}", "--bind-address=127.0.0.1", f"--port={port}",
                f"--pid-file={w}/mysql.pid", f"--log-error={w}/log/mariadb.log",
                "--innodb-buffer-pool-size=64M", "--innodb-lock-wait-timeout=900",
            ],
        )  # fmt: skip
        client = ["mariadb", "--no-defaults", f"--socket={sock}", "-u", "root"]
        self._wait(
            lambda: (
                subprocess.run([*client, "-e", "SELECT 1"], capture_output=True).returncode == 0
            ),
            "MariaDB to accept connections",
            60,
        )
        sh(
            [
                *client,
                "-e",
                f"CREATE USER '{DB_USER}'@'127.0.0.1' IDENTIFIED BY '{DB_PASS}'; "
                f"GRANT ALL ON slurm_acct_db.* TO '{DB_USER}'@'127.0.0.1';",
            ]
        )
        return port

    def _check_alive(self) -> None:
        for name, proc in self.procs:
            if proc.poll() is not None:
                log = (self.work / "log" / f"{name}.out").read_text(errors="replace")
                raise RuntimeError(f"{name} exited ({proc.returncode}):\n{log[-2000:]}")

    def _dbd_up(self) -> bool:
        self._check_alive()
        out = subprocess.run(["sacctmgr", "-n", "list", "cluster"], capture_output=True)
        return out.returncode == 0

    def _idle(self) -> bool:
        self._check_alive()
        out = subprocess.run(["sinfo", "-h", "-o", "%T"], capture_output=True, text=True)
        return out.stdout.strip() == "idle"

    @staticmethod
    def _wait(ready, what: str, seconds: int) -> None:
        end = time.monotonic() + seconds
        while not ready():
            if time.monotonic() > end:
                raise RuntimeError(f"timed out waiting for {what}")
            time.sleep(0.5)

    def logs(self) -> str:
        out = []
        for name in ("slurmctld.log", "slurmd.log", "slurmdbd.log"):
            log = self.work / "log" / name
            if log.exists():
                out.append(f"--- {log} (tail)\n{log.read_text(errors='replace')[-3000:]}")
        return "\n".join(out)

    def stop(self) -> None:
        if any(proc.poll() is None for name, proc in self.procs if name == "slurmctld"):
            subprocess.run(["scancel", "--full", "--partition", "normal"], capture_output=True)
        for name, proc in reversed(self.procs):
            if proc.poll() is None:
                proc.terminate()
                try:
                    proc.wait(timeout=30)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait()
            print(f"stopped {name} (pid {proc.pid})", flush=True)
        for path in self.wrote:
            path.unlink(missing_ok=True)
        for d in self.cgroup_dirs:  # job cgroups slurmd left behind (empty once it stopped)
            if d.is_dir():
                subs = sorted((p for p in d.rglob("*") if p.is_dir()), key=lambda p: -len(p.parts))
                for sub in [*subs, d]:
                    try:
                        sub.rmdir()
                    except OSError as err:
                        print(f"could not remove {sub}: {err}", flush=True)
        shutil.rmtree(self.work / "mysql", ignore_errors=True)
