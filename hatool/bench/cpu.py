"""Where a deploy's CPU goes: the lab's hosts, their services, and the rest of each host.

On a machine with few cores a deploy of more masters is slower chiefly because
there is more work for the same cores: more services starting, more tasks
run on more hosts, more of Ansible's per-task work on the controller. This
module reads the kernel's own accounting, before and after a run:

- each lab host's container: the CPU seconds of its cgroup (cgroup v2
  ``cpu.stat`` ``usage_usec``, or v1 ``cpuacct.usage``), everything the host
  ran (its services, and the modules, downloads and unpacking of the deploy);
- each control-plane service on it: ``utime + stime`` of the unit's main
  process (``/proc/PID/stat``). A process that started during the run counts
  whole; one that ran before counts its growth. A process that ended during
  the run is not counted (its host's total still is).

The controller's share (``hatool deploy``, ``ansible-playbook`` and its workers,
ssh) is the run's own CPU time (:func:`hatool.bench.measure.run_timed`).

Whether the cores were the limit is the kernel's pressure stall information
(``/proc/pressure/cpu``, ``some`` line): the time during which at least one
runnable task waited for a core. A run that waited most of its wall time
would have been faster with more cores, whatever the deploy did.
"""

from __future__ import annotations

import subprocess
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from hatool.lab.hosts import LabHostControl

#: the units whose CPU the report shows apart
SERVICES = (
    "etcd",
    "kube-apiserver",
    "kube-controller-manager",
    "kube-scheduler",
    "nginx",
    "haproxy",
    "keepalived",
)
#: the machine's CPU pressure stall information (Linux 4.20 and later, when enabled)
PRESSURE = Path("/proc/pressure/cpu")
CGROUP_ROOTS = (Path("/sys/fs/cgroup/unified"), Path("/sys/fs/cgroup"))
CPUACCT_DIRS = ("cpuacct", "cpu,cpuacct", "cpuacct,cpu")
#: utime and stime in ``/proc/PID/stat`` (fields 14 and 15), counted from field 3, the first
#: after the command name
_UTIME, _STIME = 14 - 3, 15 - 3

#: prints, per service that runs, ``unit pid <the rest of /proc/pid/stat>``; then CLK_TCK
_SERVICE_SCRIPT = """
for u in {units}; do
  p=$(systemctl show -p MainPID --value "$u" 2>/dev/null)
  if [ -n "$p" ] && [ "$p" != 0 ] && [ -r "/proc/$p/stat" ]; then
    echo "$u $p $(cat /proc/$p/stat)"
  fi
done
echo "CLK_TCK $(getconf CLK_TCK)"
""".format(units=" ".join(SERVICES))


def parse_cpu_stat(text: str) -> float | None:
    """Seconds from a cgroup v2 ``cpu.stat``."""
    for line in text.splitlines():
        key, _, value = line.partition(" ")
        if key == "usage_usec":
            return int(value) / 1e6
    return None


def parse_pressure(text: str) -> float | None:
    """Seconds during which some runnable task waited for a core, from ``/proc/pressure/cpu``."""
    for line in text.splitlines():
        kind, *fields = line.split()
        if kind == "some":
            for field in fields:
                key, _, value = field.partition("=")
                if key == "total":
                    return int(value) / 1e6
    return None


def pressure_seconds(path: Path = PRESSURE) -> float | None:
    """The machine's CPU stall seconds so far, or None where the kernel does not tell."""
    try:
        return parse_pressure(path.read_text())
    except OSError:
        return None


def waited(before: float | None, after: float | None) -> float | None:
    """The seconds some task waited for a core between two :func:`pressure_seconds`."""
    return round(after - before, 2) if before is not None and after is not None else None


def cgroup_seconds(proc_cgroup: str, roots: Iterable[Path] = CGROUP_ROOTS) -> float | None:
    """CPU seconds of the cgroup named in a ``/proc/PID/cgroup`` text, or None if unreadable.

    A path of ``/`` means the process's cgroup is this reader's own root (a
    cgroup namespace): its figure would be the whole machine's, so None.
    """
    roots = list(roots)
    for line in proc_cgroup.splitlines():
        hierarchy, controllers, path = line.split(":", 2)
        if path in ("", "/"):
            continue
        relative = path.lstrip("/")
        if hierarchy == "0":
            for root in roots:
                stat = root / relative / "cpu.stat"
                if stat.is_file():
                    return parse_cpu_stat(stat.read_text())
        elif "cpuacct" in controllers.split(","):
            for root in roots:
                for name in CPUACCT_DIRS:
                    usage = root / name / relative / "cpuacct.usage"
                    if usage.is_file():
                        return int(usage.read_text()) / 1e9
    return None


def parse_services(text: str) -> dict[str, tuple[int, float]]:
    """``{unit: (pid, CPU seconds)}`` out of what :data:`_SERVICE_SCRIPT` printed."""
    lines = text.splitlines()
    ticks = 100
    for line in lines:
        if line.startswith("CLK_TCK "):
            ticks = int(line.split()[1])
    found: dict[str, tuple[int, float]] = {}
    for line in lines:
        unit, _, rest = line.partition(" ")
        if unit not in SERVICES:
            continue
        pid, _, stat = rest.partition(" ")
        # after the command name in parentheses: state (field 3), ... utime, stime (14, 15)
        fields = stat.rpartition(")")[2].split()
        if len(fields) > _STIME:
            found[unit] = (int(pid), (int(fields[_UTIME]) + int(fields[_STIME])) / ticks)
    return found


@dataclass(frozen=True)
class HostCpu:
    """One host at one moment: its container's CPU seconds and its services'."""

    total: float | None
    services: dict[str, tuple[int, float]]


def look(host: LabHostControl) -> HostCpu:
    """The CPU seconds of ``host``'s container and of each of its services, now."""
    total = None
    info = subprocess.run(
        ["docker", "inspect", "-f", "{{.State.Pid}}", host.container],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    pid = info.stdout.strip()
    if info.returncode == 0 and pid.isdigit() and pid != "0":
        try:
            total = cgroup_seconds(Path(f"/proc/{pid}/cgroup").read_text())
        except OSError:
            total = None
    done = host.exec(["sh", "-c", _SERVICE_SCRIPT], check=False)
    return HostCpu(total, parse_services(done.stdout) if done.returncode == 0 else {})


def snapshot(hosts: Iterable[LabHostControl]) -> dict[str, HostCpu]:
    return {host.name: look(host) for host in hosts}


def difference(before: dict[str, HostCpu], after: dict[str, HostCpu]) -> dict[str, Any]:
    """Per host and in all: CPU seconds of the container, of its services, and of the rest."""
    hosts: dict[str, dict[str, Any]] = {}
    for name, end in after.items():
        start = before.get(name, HostCpu(None, {}))
        services: dict[str, float] = {}
        for unit, (pid, seconds) in end.services.items():
            old = start.services.get(unit)
            services[unit] = round(seconds - old[1] if old and old[0] == pid else seconds, 2)
        total = (
            round(end.total - start.total, 2)
            if end.total is not None and start.total is not None
            else None
        )
        hosts[name] = {"total": total, "services": services}
    totals = [h["total"] for h in hosts.values()]
    services_sum = round(sum(sum(h["services"].values()) for h in hosts.values()), 2)
    by_service: dict[str, float] = {}
    for h in hosts.values():
        for unit, seconds in h["services"].items():
            by_service[unit] = round(by_service.get(unit, 0.0) + seconds, 2)
    hosts_total = (
        round(sum(t for t in totals if t is not None), 2) if totals and None not in totals else None
    )
    return {
        "hosts": hosts,
        "hosts_total": hosts_total,
        "services": services_sum,
        "by_service": by_service,
        "tasks_on_hosts": (
            round(hosts_total - services_sum, 2) if hosts_total is not None else None
        ),
    }
