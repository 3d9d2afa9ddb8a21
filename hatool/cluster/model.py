"""The resolved cluster: every fact about a cluster, worked out once from its inventory.

A :class:`Cluster` is immutable and typed. :func:`hatool.cluster.resolve.resolve`
builds it from a validated inventory; the validation rules, ``hatool verify``,
the certificates and the playbooks all read this one object. The playbooks
get it as the fact ``hatool`` (:meth:`Cluster.to_fact`), set by their first
play, so no role derives a member list, a URL, a port or a path again.

Its etcd (:mod:`hatool.cluster.etcd`) and its files on the controller
(:mod:`hatool.cluster.paths`) are re-exported here; :mod:`hatool.cluster.fact`
rebuilds it from the fact (:meth:`Cluster.from_fact`).
"""

from __future__ import annotations

import ipaddress
from dataclasses import asdict, dataclass, field, replace
from typing import Any

from hatool.cluster.etcd import ETCDCTL_TIMEOUTS, Etcd, EtcdMember
from hatool.cluster.fact import build
from hatool.cluster.paths import Paths, cluster_dir
from hatool.inventory.durations import parse_duration

__all__ = [
    "ARCHES",
    "ETCDCTL_TIMEOUTS",
    "JITTER_FACTOR",
    "ApiServer",
    "Artifacts",
    "Certificates",
    "Cluster",
    "Component",
    "Election",
    "Etcd",
    "EtcdMember",
    "Host",
    "LoadBalancers",
    "Paths",
    "Security",
    "Vrrp",
    "cluster_dir",
    "first_service_ip",
]

#: client-go's leader election multiplies the retry period by up to this jitter factor.
JITTER_FACTOR = 1.2
#: A host's architecture (Ansible's fact) -> the name release downloads use.
ARCHES = {"x86_64": "amd64", "aarch64": "arm64"}


def first_service_ip(cidr: str) -> str:
    """The first address of the Service network: the ``kubernetes`` Service's."""
    return str(next(ipaddress.ip_network(cidr, strict=False).hosts()))


@dataclass(frozen=True)
class Host:
    """An inventory host: its name and the address the other hosts reach it at."""

    name: str
    address: str


@dataclass(frozen=True)
class Election:
    """One component's leader-election timings, as Go durations and in seconds."""

    lease_duration: str
    renew_deadline: str
    retry_period: str

    @property
    def seconds(self) -> tuple[float, float, float]:
        return (
            parse_duration(self.lease_duration),
            parse_duration(self.renew_deadline),
            parse_duration(self.retry_period),
        )

    def takeover_window(self) -> tuple[float, float]:
        """Earliest and latest time a standby takes a dead leader's Lease.

        A standby judges expiry on its own clock from when it last saw the
        Lease change, so a new holder appears no sooner than LD - RP after the
        leader's last renewal; it retries every RP scaled by a jitter of up to
        1.2, and may need two such retries, hence LD + 2 * (1 + 1.2) * RP.
        """
        lease, _, retry = self.seconds
        return lease - retry, lease + 2 * (1 + JITTER_FACTOR) * retry


@dataclass(frozen=True)
class Component:
    """An active-passive component: its binary, systemd unit and Lease share one name."""

    name: str  # kube-controller-manager
    role: str  # kube_controller_manager
    election: Election
    restart_delay: str  # systemd RestartSec after a crash
    kubeconfig: str  # on every master, 0600, with its client certificate embedded
    healthz_port: int = 0  # its secure port on 127.0.0.1, where /healthz answers


@dataclass(frozen=True)
class ApiServer:
    port: int
    pki_dir: str
    service_cidr: str
    first_service_ip: str
    extra_sans: tuple[str, ...]
    #: master -> its --etcd-servers
    etcd_servers: dict[str, str] = field(default_factory=dict)
    #: a graceful stop serves this long after /readyz fails (Go duration)
    shutdown_delay: str = "5s"
    #: then watches get this long to end (v1.27+; Go duration)
    shutdown_watch_grace: str = "10s"
    #: systemd's TimeoutStopSec, seconds: both of the above and a margin
    stop_timeout: int = 75
    #: a started API server is ready after this many good /readyz answers in a row
    ready_consecutive: int = 3

    def readyz_probe(self) -> list[str]:
        """A command for the API server's host: exits 0 once its /readyz has answered 'ok'
        ``ready_consecutive`` times in a row, 1 s apart; else 1 with the reason. It
        presents the health-check client certificate (anonymous requests are refused),
        once that is installed: a host deployed by an earlier release has none yet."""
        client = f"{self.pki_dir}/apiserver-healthcheck-client"
        script = (
            "import os, ssl, sys, time, urllib.request\n"
            f"ctx = ssl.create_default_context(cafile='{self.pki_dir}/ca.crt')\n"
            f"if os.path.exists('{client}.key'):\n"
            f"    ctx.load_cert_chain('{client}.crt', '{client}.key')\n"
            f"for attempt in range({self.ready_consecutive}):\n"
            "    time.sleep(1 if attempt else 0)\n"
            "    try:\n"
            f"        body = urllib.request.urlopen('https://127.0.0.1:{self.port}/readyz', "
            "context=ctx, timeout=5).read()\n"
            "    except OSError as exc:\n"
            "        sys.exit(f'not ready: {exc}')\n"
            "    if body != b'ok':\n"
            "        sys.exit(f'not ready: {body[:200]!r}')\n"
        )
        return ["/usr/bin/python3", "-c", script]


@dataclass(frozen=True)
class Vrrp:
    """keepalived's settings for the virtual IP."""

    router_id: int  # 1-255, one per cluster on a segment
    auth: str  # VRRP PASS authentication: different clusters never accept each other
    advert_int: int  # seconds between advertisements
    check_interval: int  # seconds between checks of the local load balancer
    check_fall: int  # failed checks before the host gives the virtual IP up
    check_rise: int

    def failover_bound(self) -> float:
        """Latest the virtual IP moves after its holder is lost: a backup declares the
        master dead after 3 missed advertisements (plus skew), or the holder fails its
        own check ``fall`` times and gives the address up."""
        return 3 * self.advert_int + self.check_interval * self.check_fall


@dataclass(frozen=True)
class LoadBalancers:
    hosts: tuple[Host, ...]
    port: int
    engine: str  # nginx or haproxy
    #: where clients reach the API: the virtual IP, else the first load balancer
    entry: Host
    vip: str | None = None
    vrrp: Vrrp | None = None

    @property
    def url(self) -> str:
        return f"https://{self.entry.address}:{self.port}"

    @property
    def units(self) -> tuple[str, ...]:
        """The services that make a host a working load balancer."""
        return (self.engine, "keepalived") if self.vip else (self.engine,)


@dataclass(frozen=True)
class Security:
    """How the control plane is hardened (CIS Kubernetes Benchmark), worked out for its releases.

    The roles render these as flags and files; ``hatool verify`` checks the
    running processes and files against the same values.
    """

    #: --tls-min-version of kube-apiserver
    tls_min_version: str
    #: --tls-cipher-suites of kube-apiserver and --cipher-suites of etcd (TLS 1.2; Go
    #: always offers every TLS 1.3 suite, which are all strong)
    tls_cipher_suites: tuple[str, ...]
    #: etcd's --tls-min-version where the release has the flag (3.5.8 and later); None: etcd
    #: 3.4, which refuses anything below TLS 1.2 without a flag
    etcd_tls_min_version: str | None
    #: True (v1.32+): an AuthenticationConfiguration lets anonymous requests reach only
    #: /livez, /readyz and /healthz; False: --anonymous-auth=false
    anonymous_health_only: bool
    #: The paths anonymous requests may reach when ``anonymous_health_only``
    health_paths: tuple[str, ...]
    #: The DenyServiceExternalIPs admission plugin exists (v1.21+)
    deny_service_external_ips: bool
    #: Files on every master (0600): the EncryptionConfiguration, the AuthenticationConfiguration
    encryption_config: str
    authentication_config: str
    #: The groups of the admin kubeconfig's and the API server's kubelet client certificates,
    #: each bound to its ClusterRole by a ClusterRoleBinding the deploy creates
    admin_group: str
    kubelet_client_group: str
    #: The system user etcd runs as; it owns the data directory (0700) and the member's keys
    etcd_user: str
    #: kube-controller-manager signs CSRs with the cluster CA (its key then goes to the masters)
    csr_signer: bool
    #: kube-controller-manager --terminated-pod-gc-threshold
    terminated_pod_gc_threshold: int


@dataclass(frozen=True)
class Artifacts:
    source: str  # official or mirror
    kube_base: str  # dl.k8s.io/release layout
    etcd_base: str  # GitHub releases/download layout


@dataclass(frozen=True)
class Certificates:
    """The certificate lifecycle: leaves are renewed, and verify fails, this close to expiry."""

    renew_before_days: int = 30


@dataclass(frozen=True)
class Cluster:
    name: str
    topology: str  # stacked or external
    kube_version: str  # v1.20.2
    kube_minor: str  # 1.20
    masters: tuple[Host, ...]
    etcd: Etcd
    apiserver: ApiServer
    loadbalancers: LoadBalancers
    components: tuple[Component, ...]
    artifacts: Artifacts
    paths: Paths
    security: Security
    certificates: Certificates = field(default_factory=Certificates)
    #: a role is skipped on hosts that are as it left them (hatool.hoststate)
    skip_unchanged: bool = True

    @property
    def component_names(self) -> list[str]:
        """The active-passive components; each name is its binary, unit and Lease."""
        return [c.name for c in self.components]

    def component(self, name: str) -> Component:
        for component in self.components:
            if name in (component.name, component.role):
                return component
        raise KeyError(name)

    @property
    def local_api_url(self) -> str:
        """How a master's own components reach its API server."""
        return f"https://127.0.0.1:{self.apiserver.port}"

    def hosts(self) -> dict[str, str]:
        """Every host hatool deploys to -> its address."""
        found = {h.name: h.address for h in self.masters}
        found.update({m.name: m.address for m in self.etcd.members})
        found.update({h.name: h.address for h in self.loadbalancers.hosts})
        return found

    def without_master(self, name: str) -> Cluster:
        """This cluster once master ``name`` is gone: from the masters, and with stacked
        etcd from the members and every API server's ``--etcd-servers``.

        ``playbooks/remove-master.yml`` renders the load balancers from it, so the
        master leaves every upstream before the inventory is edited.
        """
        if name not in [h.name for h in self.masters]:
            raise KeyError(name)
        masters = tuple(h for h in self.masters if h.name != name)
        etcd = self.etcd
        if self.topology == "stacked":
            etcd = replace(etcd, members=tuple(m for m in etcd.members if m.name != name))
        servers = {h.name: self.apiserver.etcd_servers[h.name] for h in masters}
        if self.topology == "stacked":
            servers = dict.fromkeys(servers, etcd.endpoints())
        apiserver = replace(self.apiserver, etcd_servers=servers)
        return replace(self, masters=masters, etcd=etcd, apiserver=apiserver)

    def to_fact(self) -> dict[str, Any]:
        """The cluster as the playbooks see it (the ``hatool`` fact): plain data, and the
        lists and maps the templates need, so no role derives them again."""
        fact = asdict(self)
        fact["hosts"] = self.hosts()
        fact["masters_names"] = [h.name for h in self.masters]
        fact["components"] = {
            c.name: {**asdict(c), "lease_seconds": c.election.seconds[0]} for c in self.components
        }
        fact["local_api_url"] = self.local_api_url
        fact["apiserver"]["readyz"] = self.apiserver.readyz_probe()
        fact["arches"] = dict(ARCHES)
        fact["loadbalancers"]["url"] = self.loadbalancers.url
        etcd = fact["etcd"]
        etcd["member_names"] = [m.name for m in self.etcd.members]
        etcd["endpoints"] = self.etcd.endpoints()
        etcd["initial_cluster"] = self.etcd.initial_cluster
        etcd["client_url_of"] = {m.name: m.client_url for m in self.etcd.members}
        etcd["peer_url_of"] = {m.name: m.peer_url for m in self.etcd.members}
        etcd["name_of_peer_url"] = {m.peer_url: m.name for m in self.etcd.members}
        etcd["ctl"] = self.etcd.ctl()
        etcd["binaries"] = list(self.etcd.binaries)
        return fact

    @classmethod
    def from_fact(cls, fact: dict[str, Any]) -> Cluster:
        """The cluster back from its fact (what the action plugins are handed)."""
        fact = dict(fact)
        fact["components"] = list(fact["components"].values())
        return build(cls, fact)
