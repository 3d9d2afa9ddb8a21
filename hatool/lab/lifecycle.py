"""Create and remove labs: a Docker network, one container per host, an SSH key pair
and an inventory.

:func:`up` turns a :class:`~hatool.lab.plan.Lab` plan into running hosts,
:func:`down` removes exactly what it made, :func:`status` and
:func:`list_labs` report on them.
"""

from __future__ import annotations

import shutil
import time
from pathlib import Path

import yaml
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from hatool.artifacts import server
from hatool.artifacts.cache import mirror_dir
from hatool.errors import EXIT_BAD_INPUT, HatoolError
from hatool.lab import docker
from hatool.lab.hosts import LabHostControl
from hatool.lab.image import ensure_image
from hatool.lab.plan import (
    ARTIFACT_PORT,
    Lab,
    LabHost,
    check_name,
    choose_subnet,
    labs_dir,
    state_file,
)
from hatool.progress import Progress

LABEL = "hatool.lab"
BOOT_TIMEOUT = 120.0

RUN_OPTIONS = (
    "--cap-add", "SYS_ADMIN",
    "--cap-add", "NET_ADMIN",
    "--security-opt", "seccomp=unconfined",
    "--security-opt", "apparmor=unconfined",
    "-v", "/sys/fs/cgroup:/sys/fs/cgroup:rw",
    "--tmpfs", "/run",
    "--tmpfs", "/run/lock",
    "--stop-signal", "SIGRTMIN+3",
)  # fmt: skip


def _write_private(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.touch(mode=0o600)
    path.chmod(0o600)
    path.write_bytes(data)


def _ensure_key(lab: Lab) -> bytes:
    """Create the lab's ed25519 key pair once; return the public key line."""
    public = lab.key_path.with_suffix(".pub")
    if not lab.key_path.exists() or not public.exists():
        key = Ed25519PrivateKey.generate()
        private_pem = key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.OpenSSH,
            serialization.NoEncryption(),
        )
        _write_private(lab.key_path, private_pem)
        line = key.public_key().public_bytes(
            serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH
        )
        public.write_bytes(line + f" hatool-lab-{lab.name}\n".encode())
    return public.read_bytes()


def _wait_booted(host: LabHostControl) -> None:
    deadline = time.monotonic() + BOOT_TIMEOUT
    state = ""
    while time.monotonic() < deadline:
        done = host.exec(["systemctl", "is-system-running"], check=False)
        state = done.stdout.strip()
        if state in ("running", "degraded"):
            ssh = host.exec(["systemctl", "is-active", "ssh.service"], check=False)
            if ssh.stdout.strip() == "active":
                return
        time.sleep(0.5)
    raise HatoolError(
        f"{host.name} ({host.container}) did not finish booting in {BOOT_TIMEOUT:.0f}s "
        f"(systemctl is-system-running: {state or 'no answer'}); "
        f"see 'docker exec {host.container} systemctl --failed'"
    )


def _install_key(host: LabHostControl, public_key: bytes) -> None:
    script = (
        "install -d -m 0700 -o ops -g ops /home/ops/.ssh && "
        "cat > /home/ops/.ssh/authorized_keys && "
        "chown ops:ops /home/ops/.ssh/authorized_keys && chmod 0600 /home/ops/.ssh/authorized_keys"
    )
    host.exec(["sh", "-c", script], input_bytes=public_key)


def _host_key(host: LabHostControl) -> str:
    key = host.exec(["cat", "/etc/ssh/ssh_host_ed25519_key.pub"]).stdout.split()
    return f"{host.address} {key[0]} {key[1]}\n"


def _create_container(lab: Lab, host: LabHostControl) -> None:
    docker.run(
        "run", "-d", "--name", host.container, "--hostname", host.name,
        "--label", f"{LABEL}={lab.name}", "--label", f"hatool.host={host.name}",
        "--network", lab.network, "--ip", host.address,
        *RUN_OPTIONS, lab.image,
    )  # fmt: skip


def _ensure_network(lab: Lab) -> None:
    if docker.inspect("network", lab.network) is None:
        docker.run(
            "network", "create", "--driver", "bridge",
            "--subnet", lab.subnet, "--gateway", lab.gateway,
            "--label", f"{LABEL}={lab.name}", lab.network,
        )  # fmt: skip


def start_artifact_server(lab: Lab, progress: Progress) -> bool:
    """Serve the artifact mirror on the lab's gateway; ``False`` if there is nothing to serve."""
    root = mirror_dir()
    if not root.is_dir():
        progress.say(
            f"warning: no artifact mirror at {root}: run 'hatool artifacts' before deploying"
        )
        return False
    server.start(
        root, lab.gateway, ARTIFACT_PORT, lab.dir / "artifacts.pid", lab.dir / "artifacts.log"
    )
    return True


def _planned(name: str, topology: str, masters: int, etcd: int, lbs: int) -> Lab:
    """The lab's plan: the saved one if it has the shape asked for, else a new one."""
    if state_file(name).exists():
        lab = Lab.load(name)
        wanted = Lab.plan(name, topology, masters=masters, etcd=etcd, lbs=lbs, subnet=lab.subnet)
        if wanted.shape() != lab.shape():
            raise HatoolError(
                f"lab {name!r} exists as {lab.shape().describe()}; "
                f"run 'hatool lab down --name {name}' first to change its shape",
                exit_code=EXIT_BAD_INPUT,
            )
        return lab
    orphans = docker.names("ps", f"{LABEL}={name}") + docker.names("network", f"{LABEL}={name}")
    if orphans:
        raise HatoolError(
            f"lab {name!r} has no state but Docker still has {', '.join(orphans)}; "
            f"run 'hatool lab down --name {name}' to remove them"
        )
    subnet = choose_subnet(docker.network_subnets())
    return Lab.plan(name, topology, masters=masters, etcd=etcd, lbs=lbs, subnet=subnet)


def _ensure_running(lab: Lab, host: LabHostControl, progress: Progress) -> None:
    state = host.state()
    if state == "missing":
        with progress.step(f"create container {host.container} at {host.address}", host.name):
            _create_container(lab, host)
    elif state == "paused":
        host.unpause()
    elif state != "running":
        host.start()
    if not host.connected():
        host.connect()


def up(
    name: str,
    *,
    topology: str = "stacked",
    masters: int = 3,
    etcd: int | None = None,
    lbs: int = 1,
    progress: Progress | None = None,
) -> Lab:
    """Create the lab, or bring an existing one of the same shape back to running."""
    progress = progress or Progress()
    check_name(name)
    docker.ensure_engine()
    etcd_count = (3 if topology == "external" else 0) if etcd is None else etcd
    lab = _planned(name, topology, masters, etcd_count, lbs)
    lab.image = ensure_image(progress)
    lab.save()
    public_key = _ensure_key(lab)
    _ensure_network(lab)
    hosts = lab.controls()
    for host in hosts:
        _ensure_running(lab, host, progress)
    known_hosts = []
    with progress.step(f"wait for systemd and sshd on {len(hosts)} hosts"):
        for host in hosts:
            _wait_booted(host)
            _install_key(host, public_key)
            known_hosts.append(_host_key(host))
    lab.known_hosts_path.write_text("".join(known_hosts))
    _write_inventory(lab)
    start_artifact_server(lab, progress)
    return lab


def _write_inventory(lab: Lab) -> None:
    lab.inventory_path.write_text(
        f"# Ansible inventory of hatool lab {lab.name!r}, written by 'hatool lab'.\n"
        + yaml.safe_dump(lab.inventory(), sort_keys=False, default_flow_style=False)
    )


def add_host(name: str, group: str, progress: Progress | None = None) -> LabHost:
    """A fresh host in ``group`` of a running lab, at a new address, in its inventory."""
    progress = progress or Progress()
    docker.ensure_engine()
    lab = Lab.load(name)
    spec = lab.added_host(group)
    lab.hosts.append(spec)
    lab.save()
    host = spec.control()
    _ensure_running(lab, host, progress)
    with progress.step(f"wait for systemd and sshd on {spec.name}"):
        _wait_booted(host)
        _install_key(host, _ensure_key(lab))
    with lab.known_hosts_path.open("a") as known:
        known.write(_host_key(host))
    _write_inventory(lab)
    return spec


def remove_host(name: str, host_name: str, progress: Progress | None = None) -> LabHost:
    """Remove one host of a lab: its container (disk and all), and it from the inventory."""
    progress = progress or Progress()
    docker.ensure_engine()
    lab = Lab.load(name)
    spec = lab.find(host_name)
    if docker.inspect("container", spec.container) is not None:
        with progress.step(f"remove container {spec.container}", spec.name):
            docker.run("rm", "-f", "-v", spec.container)
    lab.hosts.remove(spec)
    lab.retired.append(spec)
    lab.save()
    if lab.known_hosts_path.exists():
        lines = lab.known_hosts_path.read_text().splitlines(keepends=True)
        kept = [line for line in lines if not line.startswith(f"{spec.address} ")]
        lab.known_hosts_path.write_text("".join(kept))
    _write_inventory(lab)
    return spec


def down(name: str, progress: Progress | None = None) -> list[str]:
    """Remove exactly what :func:`up` created for ``name``; return what was removed."""
    progress = progress or Progress()
    check_name(name)
    docker.ensure_engine()
    removed: list[str] = []
    lab_dir = labs_dir() / name
    server.stop(lab_dir / "artifacts.pid")
    containers = set(docker.names("ps", f"{LABEL}={name}"))
    networks = set(docker.names("network", f"{LABEL}={name}"))
    if state_file(name).exists():
        lab = Lab.load(name)
        containers |= {h.container for h in lab.hosts if docker.inspect("container", h.container)}
        if docker.inspect("network", lab.network):
            networks.add(lab.network)
    if containers:
        with progress.step(f"remove {len(containers)} containers of lab {name}"):
            docker.run("rm", "-f", "-v", *sorted(containers))
        removed += sorted(containers)
    for network in sorted(networks):
        docker.run("network", "rm", network)
        removed.append(network)
    if lab_dir.exists():
        shutil.rmtree(lab_dir)
        removed.append(str(lab_dir))
    return removed


def list_labs() -> list[str]:
    base = labs_dir()
    if not base.is_dir():
        return []
    return sorted(p.name for p in base.iterdir() if state_file(p.name).is_file())


def _status_row(spec: LabHost) -> dict[str, str]:
    host = spec.control()
    state = host.state()
    network = "connected" if state != "missing" and host.connected() else "disconnected"
    return {
        "host": spec.name,
        "groups": ",".join(spec.groups),
        "address": spec.address,
        "container": spec.container,
        "state": state,
        "network": network if state != "missing" else "-",
    }


def status(lab: Lab) -> list[dict[str, str]]:
    """One row per host: its plan, its container's state and whether it is on the network."""
    return [_status_row(spec) for spec in lab.hosts]
