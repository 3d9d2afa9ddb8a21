"""A lab: a Docker network, one container per host, an SSH key pair and an inventory.

Use :func:`up` and :func:`down` to create and remove one; :meth:`Lab.load`
and :class:`LabHost` to act on a running lab's hosts (stop, start, kill,
pause, cut off the network), which the failover drills and molecule use.
"""

from __future__ import annotations

import ipaddress
import json
import shutil
import subprocess
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import yaml
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from hatool.artifacts import server
from hatool.artifacts.cache import mirror_dir
from hatool.errors import EXIT_BAD_INPUT, CommandFailed, HatoolError
from hatool.lab import docker
from hatool.lab.image import ensure_image
from hatool.paths import state_dir
from hatool.progress import Progress
from hatool.versions import OFFLINE_ETCD_VERSION, OFFLINE_KUBE_VERSION

LABEL = "hatool.lab"
SUBNET_POOL = ipaddress.IPv4Network("10.213.0.0/16")
FIRST_HOST_OCTET = 11
ARTIFACT_PORT = 8780
SSH_USER = "ops"
TOPOLOGIES = ("stacked", "external")
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


def labs_dir() -> Path:
    return state_dir() / "labs"


def check_name(name: str) -> str:
    """Lab names become container and network names: letters, digits and dashes."""
    ok = name and len(name) <= 40 and name[0].isalnum()
    if not ok or not all(c.isalnum() or c == "-" for c in name) or name != name.lower():
        raise HatoolError(
            f"lab name {name!r} is not allowed: use lower-case letters, digits and '-', "
            "starting with a letter or digit, at most 40 characters"
        )
    return name


@dataclass
class LabHost:
    """One lab host: a container with its own address on the lab network."""

    lab: str
    name: str
    groups: list[str]
    address: str

    @property
    def container(self) -> str:
        return f"hatool-{self.lab}-{self.name}"

    @property
    def network(self) -> str:
        return f"hatool-{self.lab}"

    def _inspect(self) -> dict[str, Any] | None:
        return docker.inspect("container", self.container)

    def state(self) -> str:
        """``running``, ``paused``, ``exited``, ... or ``missing``."""
        info = self._inspect()
        return "missing" if info is None else str(info["State"]["Status"])

    def connected(self) -> bool:
        info = self._inspect()
        return info is not None and self.network in (info["NetworkSettings"]["Networks"] or {})

    def stop(self, timeout: int = 10) -> None:
        docker.run("stop", "-t", str(timeout), self.container)

    def start(self) -> None:
        docker.run("start", self.container)

    def kill(self, signal: str = "KILL") -> None:
        docker.run("kill", "--signal", signal, self.container)

    def pause(self) -> None:
        docker.run("pause", self.container)

    def unpause(self) -> None:
        docker.run("unpause", self.container)

    def disconnect(self) -> None:
        """Cut the host off the lab network (it keeps running)."""
        docker.run("network", "disconnect", self.network, self.container)

    def connect(self) -> None:
        """Put the host back on the lab network, with the same address."""
        docker.run("network", "connect", "--ip", self.address, self.network, self.container)

    def exec(
        self, argv: list[str], *, check: bool = True, input_bytes: bytes | None = None
    ) -> subprocess.CompletedProcess[str]:
        """Run ``argv`` inside the host as root."""
        cmd = ["docker", "exec", "-i", self.container, *argv]
        done = subprocess.run(
            cmd, input=input_bytes.decode() if input_bytes else None,
            capture_output=True, text=True, check=False,
        )  # fmt: skip
        if check and done.returncode != 0:
            raise CommandFailed(cmd, done.returncode, done.stderr)
        return done


@dataclass
class Lab:
    """The plan and state of one lab, as kept in ``state.json``."""

    name: str
    topology: str
    subnet: str
    gateway: str
    image: str = ""
    hosts: list[LabHost] = field(default_factory=list)

    @property
    def dir(self) -> Path:
        return labs_dir() / self.name

    @property
    def network(self) -> str:
        return f"hatool-{self.name}"

    @property
    def inventory_path(self) -> Path:
        return self.dir / "hosts.yml"

    @property
    def key_path(self) -> Path:
        return self.dir / "id_ed25519"

    @property
    def known_hosts_path(self) -> Path:
        return self.dir / "known_hosts"

    @property
    def artifact_url(self) -> str:
        return f"http://{self.gateway}:{ARTIFACT_PORT}"

    def host(self, name: str) -> LabHost:
        for host in self.hosts:
            if host.name == name:
                return host
        raise HatoolError(f"lab {self.name} has no host {name!r}; it has {self.host_names()}")

    def host_names(self) -> str:
        return ", ".join(h.name for h in self.hosts)

    def group(self, group: str) -> list[LabHost]:
        return [h for h in self.hosts if group in h.groups]

    def shape(self) -> tuple[str, int, int, int]:
        counts = [len(self.group(g)) for g in ("control_plane", "etcd", "loadbalancer")]
        return (self.topology, counts[0], counts[1], counts[2])

    @classmethod
    def plan(
        cls, name: str, topology: str, *, masters: int, etcd: int, lbs: int, subnet: str
    ) -> Lab:
        """The lab to create: host names, groups and addresses, without touching Docker."""
        if topology not in TOPOLOGIES:
            raise HatoolError(f"--topology {topology!r}: use one of {', '.join(TOPOLOGIES)}")
        if topology == "stacked" and etcd:
            raise HatoolError("--etcd is for --topology external; stacked etcd runs on the masters")
        if masters < 1 or lbs < 1 or (topology == "external" and etcd < 1):
            raise HatoolError(
                "a lab needs at least 1 master, 1 load balancer and, if external, 1 etcd host"
            )
        network = ipaddress.IPv4Network(subnet)
        addresses = list(network.hosts())[FIRST_HOST_OCTET - 1 :]
        layout = [
            ("master", "control_plane", masters),
            ("etcd", "etcd", etcd),
            ("lb", "loadbalancer", lbs),
        ]
        if masters + etcd + lbs > len(addresses):
            raise HatoolError(f"{masters + etcd + lbs} hosts do not fit in {subnet}")
        hosts: list[LabHost] = []
        for prefix, group, count in layout:
            for index in range(1, count + 1):
                address = str(addresses[len(hosts)])
                hosts.append(LabHost(name, f"{prefix}-{index}", [group], address))
        return cls(name, topology, str(network), str(next(network.hosts())), hosts=hosts)

    @classmethod
    def load(cls, name: str) -> Lab:
        path = labs_dir() / check_name(name) / "state.json"
        try:
            data = json.loads(path.read_text())
        except FileNotFoundError:
            raise HatoolError(
                f"no lab named {name!r} (no {path}); create it with 'hatool lab up --name {name}'"
            ) from None
        hosts = [LabHost(**h) for h in data.pop("hosts")]
        return cls(**data, hosts=hosts)

    def save(self) -> None:
        self.dir.mkdir(parents=True, exist_ok=True)
        data = asdict(self)
        (self.dir / "state.json").write_text(json.dumps(data, indent=2) + "\n")

    def inventory(self) -> dict[str, Any]:
        """The lab's Ansible inventory, as a YAML-ready dict."""
        variables: dict[str, Any] = {
            "ansible_user": SSH_USER,
            "ansible_become": True,
            "ansible_python_interpreter": "/usr/bin/python3",
            "ansible_ssh_private_key_file": str(self.key_path),
            "ansible_ssh_common_args": (
                f"-o UserKnownHostsFile={self.known_hosts_path} -o StrictHostKeyChecking=yes"
            ),
            "etcd_topology": self.topology,
            "kube_version": OFFLINE_KUBE_VERSION,
            "etcd_version": OFFLINE_ETCD_VERSION,
            "artifact_source": "mirror",
            "artifact_mirror_url": self.artifact_url,
        }
        children: dict[str, Any] = {}
        for group in ("control_plane", "etcd", "loadbalancer"):
            members = self.group(group)
            if members:
                children[group] = {"hosts": {h.name: {"ansible_host": h.address} for h in members}}
        return {"all": {"vars": variables, "children": children}}


def choose_subnet(used: set[str], pool: ipaddress.IPv4Network = SUBNET_POOL) -> str:
    """The first /24 of ``pool`` that overlaps no subnet in ``used``."""
    taken = [ipaddress.ip_network(s, strict=False) for s in used if ":" not in s]
    for candidate in pool.subnets(new_prefix=24):
        if not any(candidate.overlaps(t) for t in taken):
            return str(candidate)
    raise HatoolError(f"every /24 of {pool} is taken by a Docker network; remove unused labs")


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


def _wait_booted(host: LabHost) -> None:
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


def _install_key(host: LabHost, public_key: bytes) -> None:
    script = (
        "install -d -m 0700 -o ops -g ops /home/ops/.ssh && "
        "cat > /home/ops/.ssh/authorized_keys && "
        "chown ops:ops /home/ops/.ssh/authorized_keys && chmod 0600 /home/ops/.ssh/authorized_keys"
    )
    host.exec(["sh", "-c", script], input_bytes=public_key)


def _host_key(host: LabHost) -> str:
    key = host.exec(["cat", "/etc/ssh/ssh_host_ed25519_key.pub"]).stdout.split()
    return f"{host.address} {key[0]} {key[1]}\n"


def _create_container(lab: Lab, host: LabHost) -> None:
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
    state_file = labs_dir() / name / "state.json"
    if state_file.exists():
        lab = Lab.load(name)
        wanted = Lab.plan(
            name, topology, masters=masters, etcd=etcd_count, lbs=lbs, subnet=lab.subnet
        )
        if wanted.shape() != lab.shape():
            raise HatoolError(
                f"lab {name!r} exists as {lab.shape()[0]} with {lab.shape()[1]} masters, "
                f"{lab.shape()[2]} etcd hosts and {lab.shape()[3]} load balancers; "
                f"run 'hatool lab down --name {name}' first to change its shape",
                exit_code=EXIT_BAD_INPUT,
            )
    else:
        orphans = docker.names("ps", f"{LABEL}={name}") + docker.names("network", f"{LABEL}={name}")
        if orphans:
            raise HatoolError(
                f"lab {name!r} has no state but Docker still has {', '.join(orphans)}; "
                f"run 'hatool lab down --name {name}' to remove them"
            )
        subnet = choose_subnet(docker.network_subnets())
        lab = Lab.plan(name, topology, masters=masters, etcd=etcd_count, lbs=lbs, subnet=subnet)
    lab.image = ensure_image(progress)
    lab.save()
    public_key = _ensure_key(lab)
    _ensure_network(lab)
    for host in lab.hosts:
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
    known_hosts = []
    with progress.step(f"wait for systemd and sshd on {len(lab.hosts)} hosts"):
        for host in lab.hosts:
            _wait_booted(host)
            _install_key(host, public_key)
            known_hosts.append(_host_key(host))
    lab.known_hosts_path.write_text("".join(known_hosts))
    lab.inventory_path.write_text(
        f"# Ansible inventory of hatool lab {name!r}, written by 'hatool lab up'.\n"
        + yaml.safe_dump(lab.inventory(), sort_keys=False, default_flow_style=False)
    )
    start_artifact_server(lab, progress)
    return lab


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
    if (lab_dir / "state.json").exists():
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
    return sorted(p.name for p in base.iterdir() if (p / "state.json").is_file())


def status(lab: Lab) -> list[dict[str, str]]:
    rows = []
    for host in lab.hosts:
        state = host.state()
        network = "connected" if state != "missing" and host.connected() else "disconnected"
        rows.append(
            {
                "host": host.name,
                "groups": ",".join(host.groups),
                "address": host.address,
                "container": host.container,
                "state": state,
                "network": network if state != "missing" else "-",
            }
        )
    return rows
