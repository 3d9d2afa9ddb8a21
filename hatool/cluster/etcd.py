"""The cluster's etcd: its members, their URLs, and the etcdctl command line that reaches them.

Part of the resolved cluster (:class:`hatool.cluster.model.Cluster`, which
re-exports these names); :func:`hatool.cluster.resolve.resolve` fills it in.
"""

from __future__ import annotations

from dataclasses import dataclass

from hatool.versions import etcd_binaries

#: How long etcdctl waits, in the roles (a member may be busy after a restart).
ETCDCTL_TIMEOUTS = ("5s", "15s")


@dataclass(frozen=True)
class EtcdMember:
    name: str
    address: str
    client_url: str
    peer_url: str


@dataclass(frozen=True)
class Etcd:
    version: str  # v3.4.23
    minor: str  # 3.4: the flag set the templates render
    members: tuple[EtcdMember, ...]
    client_port: int
    peer_port: int
    data_dir: str
    pki_dir: str
    install_dir: str
    env_file: str
    initial_cluster_token: str

    def member(self, name: str) -> EtcdMember:
        for member in self.members:
            if member.name == name:
                return member
        raise KeyError(name)

    def endpoints(self, names: list[str] | None = None) -> str:
        """Client URLs, comma-separated: of ``names``, else of every member."""
        chosen = self.members if names is None else [self.member(n) for n in names]
        return ",".join(m.client_url for m in chosen)

    @property
    def initial_cluster(self) -> str:
        """``name=peer-url,...``: how the members of a new cluster find each other."""
        return ",".join(f"{m.name}={m.peer_url}" for m in self.members)

    def ctl(
        self, endpoints: str | None = None, *, timeouts: tuple[str, str] = ETCDCTL_TIMEOUTS
    ) -> list[str]:
        """The etcdctl command line with the health-check client certificate (arguments follow).

        Without ``endpoints`` the caller appends ``--endpoints=...`` itself.
        """
        argv = [
            "/usr/local/bin/etcdctl",
            f"--cacert={self.pki_dir}/ca.crt",
            f"--cert={self.pki_dir}/healthcheck-client.crt",
            f"--key={self.pki_dir}/healthcheck-client.key",
            f"--dial-timeout={timeouts[0]}",
            f"--command-timeout={timeouts[1]}",
        ]
        return argv + ([f"--endpoints={endpoints}"] if endpoints else [])

    @property
    def binaries(self) -> tuple[str, ...]:
        """What the release tarball holds and the role links into /usr/local/bin."""
        return etcd_binaries(self.version)
