"""The plan of a lab: host names, groups, addresses, subnet choice and inventory.

Nothing here runs Docker. :meth:`Lab.plan` works out a new lab, :meth:`Lab.load`
and :meth:`Lab.save` keep it in ``state.json``, and :meth:`Lab.host` hands out
a :class:`~hatool.lab.hosts.LabHostControl` for acting on a running host.
Creating and removing labs is :mod:`hatool.lab.lifecycle`.
"""

from __future__ import annotations

import ipaddress
import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from hatool.errors import HatoolError
from hatool.lab.hosts import LabHostControl
from hatool.paths import state_dir
from hatool.versions import OFFLINE_ETCD_VERSION, OFFLINE_KUBE_VERSION

SUBNET_POOL = ipaddress.IPv4Network("10.213.0.0/16")
FIRST_HOST_OCTET = 11
#: With 2 or more load balancers, the lab's virtual IP: this host number of its subnet.
VIP_OCTET = 250
ARTIFACT_PORT = 8780
SSH_USER = "ops"
TOPOLOGIES = ("stacked", "external")
GROUPS = ("control_plane", "etcd", "loadbalancer")
#: Host names of each group: master-1, etcd-1, lb-1...
PREFIXES = {"control_plane": "master", "etcd": "etcd", "loadbalancer": "lb"}


def labs_dir() -> Path:
    return state_dir() / "labs"


def state_file(name: str) -> Path:
    """Where lab ``name`` keeps its plan and state."""
    return labs_dir() / name / "state.json"


def check_name(name: str) -> str:
    """Lab names become container and network names: letters, digits and dashes."""
    ok = name and len(name) <= 40 and name[0].isalnum()
    if not ok or not all(c.isalnum() or c == "-" for c in name) or name != name.lower():
        raise HatoolError(
            f"lab name {name!r} is not allowed: use lower-case letters, digits and '-', "
            "starting with a letter or digit, at most 40 characters"
        )
    return name


def choose_subnet(used: set[str], pool: ipaddress.IPv4Network = SUBNET_POOL) -> str:
    """The first /24 of ``pool`` that overlaps no subnet in ``used``."""
    taken = [ipaddress.ip_network(s, strict=False) for s in used if ":" not in s]
    for candidate in pool.subnets(new_prefix=24):
        if not any(candidate.overlaps(t) for t in taken):
            return str(candidate)
    raise HatoolError(f"every /24 of {pool} is taken by a Docker network; remove unused labs")


@dataclass(frozen=True)
class Shape:
    """What a lab is made of; a lab can only be started again with the same shape."""

    topology: str
    masters: int
    etcd: int
    loadbalancers: int

    def describe(self) -> str:
        return (
            f"{self.topology} with {self.masters} masters, {self.etcd} etcd hosts "
            f"and {self.loadbalancers} load balancers"
        )


@dataclass(frozen=True)
class LabHost:
    """One planned lab host: its groups and its address on the lab network."""

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

    def control(self) -> LabHostControl:
        """The controls of this host's container (it need not exist yet)."""
        return LabHostControl(self.name, self.address, self.container, self.network)


@dataclass
class Lab:
    """The plan and state of one lab, as kept in ``state.json``."""

    name: str
    topology: str
    subnet: str
    gateway: str
    image: str = ""
    hosts: list[LabHost] = field(default_factory=list)
    #: hosts removed with ``hatool lab remove-host``: their names and addresses stay unused
    retired: list[LabHost] = field(default_factory=list)

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

    @property
    def vip(self) -> str | None:
        """The virtual IP over the load balancers (2 or more of them), from the lab's subnet."""
        if len(self.group("loadbalancer")) < 2:
            return None
        return str(ipaddress.IPv4Network(self.subnet)[VIP_OCTET])

    def host(self, name: str) -> LabHostControl:
        """The controls of host ``name`` (stop, start, disconnect, exec...)."""
        for host in self.hosts:
            if host.name == name:
                return host.control()
        raise HatoolError(f"lab {self.name} has no host {name!r}; it has {self.host_names()}")

    def controls(self) -> list[LabHostControl]:
        """The controls of every host, in plan order."""
        return [h.control() for h in self.hosts]

    def host_names(self) -> str:
        return ", ".join(h.name for h in self.hosts)

    def group(self, group: str) -> list[LabHost]:
        return [h for h in self.hosts if group in h.groups]

    def shape(self) -> Shape:
        masters, etcd, loadbalancers = (len(self.group(g)) for g in GROUPS)
        return Shape(self.topology, masters, etcd, loadbalancers)

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
            (PREFIXES[group], group, count)
            for group, count in (("control_plane", masters), ("etcd", etcd), ("loadbalancer", lbs))
        ]
        if masters + etcd + lbs > len(addresses):
            raise HatoolError(f"{masters + etcd + lbs} hosts do not fit in {subnet}")
        hosts: list[LabHost] = []
        for prefix, group, count in layout:
            for index in range(1, count + 1):
                address = str(addresses[len(hosts)])
                hosts.append(LabHost(name, f"{prefix}-{index}", [group], address))
        return cls(name, topology, str(network), str(next(network.hosts())), hosts=hosts)

    def added_host(self, group: str) -> LabHost:
        """A new host for ``group``: the next free name, and an address after every one used.

        Names and addresses of removed hosts are never given again, so a fresh
        host is always a new machine to the cluster (``hatool lab add-host``).
        """
        if group not in PREFIXES:
            raise HatoolError(f"--group {group!r}: use one of {', '.join(PREFIXES)}")
        if group == "etcd" and self.topology != "external":
            raise HatoolError(f"lab {self.name} is stacked: its etcd members are its masters")
        known = [*self.hosts, *self.retired]
        prefix = PREFIXES[group]
        numbers = [int(h.name.rsplit("-", 1)[1]) for h in known if h.name.startswith(f"{prefix}-")]
        network = ipaddress.IPv4Network(self.subnet)
        last = max((ipaddress.IPv4Address(h.address) for h in known), default=None)
        address = (last + 1) if last is not None else list(network.hosts())[FIRST_HOST_OCTET - 1]
        if address not in network or address == network.broadcast_address:
            raise HatoolError(f"lab {self.name}: no address left in {self.subnet}")
        return LabHost(self.name, f"{prefix}-{max(numbers, default=0) + 1}", [group], str(address))

    def find(self, name: str) -> LabHost:
        for host in self.hosts:
            if host.name == name:
                return host
        raise HatoolError(f"lab {self.name} has no host {name!r}; it has {self.host_names()}")

    @classmethod
    def load(cls, name: str) -> Lab:
        path = state_file(check_name(name))
        try:
            data = json.loads(path.read_text())
        except FileNotFoundError:
            raise HatoolError(
                f"no lab named {name!r} (no {path}); create it with 'hatool lab up --name {name}'"
            ) from None
        hosts = [LabHost(**h) for h in data.pop("hosts")]
        retired = [LabHost(**h) for h in data.pop("retired", [])]
        return cls(**data, hosts=hosts, retired=retired)

    def save(self) -> None:
        self.dir.mkdir(parents=True, exist_ok=True)
        state_file(self.name).write_text(json.dumps(asdict(self), indent=2) + "\n")

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
        if self.vip:
            variables["loadbalancer_vip"] = self.vip
        children: dict[str, Any] = {}
        for group in GROUPS:
            members = self.group(group)
            if members:
                children[group] = {"hosts": {h.name: {"ansible_host": h.address} for h in members}}
        return {"all": {"vars": variables, "children": children}}
