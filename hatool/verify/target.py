"""What ``hatool verify`` looks at: the resolved cluster, and how to reach each of its hosts.

Every fact about the cluster (members, ports, paths, timings) comes from the
one :class:`~hatool.cluster.model.Cluster` the playbooks deployed from; this
module adds only what verify needs besides: how to reach each host over SSH,
as the inventory tells Ansible.
"""

from __future__ import annotations

import shlex
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from hatool.cluster.model import Cluster, Component, Election
from hatool.errors import HatoolError

#: etcdctl's timeouts in verify: short, since a drill asks while members are down.
ETCDCTL_TIMEOUTS = ("3s", "5s")


@dataclass(frozen=True)
class Node:
    """One inventory host as verify reaches it."""

    name: str
    address: str
    user: str | None = None
    port: int = 22
    key_file: str | None = None
    known_hosts: str | None = None
    strict_host_keys: bool = True


@dataclass(frozen=True)
class Target:
    """A deployed cluster and the SSH details of its hosts."""

    inventory: str
    cluster: Cluster
    nodes: Mapping[str, Node]

    @property
    def cluster_name(self) -> str:
        return self.cluster.name

    @property
    def topology(self) -> str:
        return self.cluster.topology

    def _nodes(self, names: list[str]) -> list[Node]:
        return [self.nodes[name] for name in names]

    @property
    def masters(self) -> list[Node]:
        return self._nodes([h.name for h in self.cluster.masters])

    @property
    def loadbalancers(self) -> list[Node]:
        return self._nodes([h.name for h in self.cluster.loadbalancers.hosts])

    @property
    def etcd_members(self) -> list[Node]:
        return self._nodes([m.name for m in self.cluster.etcd.members])

    @property
    def client_entry(self) -> Node:
        """Where clients reach the API, as the admin kubeconfig says: the virtual IP, else
        the first load balancer."""
        entry = self.cluster.loadbalancers.entry
        return self.nodes.get(entry.name) or Node(entry.name, entry.address)

    @property
    def apiserver_port(self) -> int:
        return self.cluster.apiserver.port

    @property
    def loadbalancer_port(self) -> int:
        return self.cluster.loadbalancers.port

    @property
    def components(self) -> tuple[Component, ...]:
        """The active-passive components; each name is its binary, unit and Lease."""
        return self.cluster.components

    def election(self, component: str) -> Election:
        return self.cluster.component(component).election

    @property
    def pki(self) -> Path:
        return Path(self.cluster.paths.pki)

    @property
    def admin_kubeconfig(self) -> Path:
        return Path(self.cluster.paths.admin_kubeconfig)

    def node(self, name: str) -> Node:
        return self.nodes[name]

    def etcd_endpoints(self, members: list[Node] | None = None) -> str:
        return self.cluster.etcd.endpoints(None if members is None else [n.name for n in members])

    def etcdctl(self, *args: str, members: list[Node] | None = None) -> str:
        """A shell line running etcdctl on a member with the health-check client certificate.

        ``members``: talk only to these (default: every member).
        """
        argv = self.cluster.etcd.ctl(self.etcd_endpoints(members), timeouts=ETCDCTL_TIMEOUTS)
        return shlex.join(["env", "ETCDCTL_API=3", *argv, *args])

    def check_files(self) -> None:
        """The controller-side files that deploy wrote; a clear error if they are absent."""
        for path in (self.admin_kubeconfig, self.pki / "ca.crt", self.pki / "admin.key"):
            if not path.is_file():
                raise HatoolError(
                    f"{path} is missing: deploy this inventory first (hatool deploy "
                    f"{self.inventory}), on this machine, since the cluster's certificates "
                    "are kept next to the inventory"
                )


def _ssh_options(common_args: str) -> dict[str, str]:
    """``-o Key=Value`` pairs from ansible_ssh_common_args / ansible_ssh_extra_args."""
    options: dict[str, str] = {}
    words = shlex.split(common_args)
    for index, word in enumerate(words):
        pair = None
        if word == "-o" and index + 1 < len(words):
            pair = words[index + 1]
        elif word.startswith("-o") and len(word) > 2:
            pair = word[2:]
        if pair and "=" in pair:
            key, value = pair.split("=", 1)
            options[key.strip().lower()] = value.strip()
    return options


def ssh_node(name: str, address: str, hostvars: Mapping[str, Any]) -> Node:
    """How to reach ``name`` over SSH, from its Ansible connection variables."""
    args = " ".join(
        str(hostvars.get(v, "")) for v in ("ansible_ssh_common_args", "ansible_ssh_extra_args")
    )
    options = _ssh_options(args)
    key = hostvars.get("ansible_ssh_private_key_file") or hostvars.get("ansible_private_key_file")
    return Node(
        name=name,
        address=address,
        user=str(hostvars["ansible_user"]) if hostvars.get("ansible_user") else None,
        port=int(hostvars.get("ansible_port") or 22),
        key_file=str(Path(str(key)).expanduser()) if key else None,
        known_hosts=options.get("userknownhostsfile"),
        strict_host_keys=options.get("stricthostkeychecking", "yes") not in ("no", "off"),
    )


def target(inventory: str, cluster: Cluster, hostvars: Mapping[str, Mapping[str, Any]]) -> Target:
    """The target for ``cluster``, its hosts reached with the inventory's ``hostvars``."""
    nodes = {
        name: ssh_node(name, address, hostvars.get(name, {}))
        for name, address in cluster.hosts().items()
    }
    return Target(inventory, cluster, nodes)
