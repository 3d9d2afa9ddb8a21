"""Which certificates a cluster needs: the CAs, and every leaf with its issuer and identity.

Pure data, worked out from the cluster's hosts and settings: no files, no
cryptography. :mod:`hatool.pki.store` makes the files this describes.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from hatool.cluster.model import Cluster, Host, first_service_ip
from hatool.security.policy import ADMIN_GROUP, KUBELET_CLIENT_GROUP, MASTERS_GROUP

RENEW_BEFORE_DAYS = 30

#: CA file stem -> common name
CAS = {"ca": "kubernetes-ca", "etcd/ca": "etcd-ca", "front-proxy-ca": "front-proxy-ca"}


@dataclass(frozen=True)
class CertSpec:
    """One leaf certificate: file stem (``apiserver``, ``etcd/m1-server``), issuer, identity."""

    stem: str
    ca: str
    cn: str
    orgs: tuple[str, ...] = ()
    sans: tuple[str, ...] = ()
    server: bool = False
    client: bool = False


@dataclass
class Spec:
    """Every leaf certificate, and how close to expiry a certificate is renewed."""

    certs: list[CertSpec] = field(default_factory=list)
    renew_before_days: int = RENEW_BEFORE_DAYS


def _unique_in_order(*groups: Iterable[str]) -> tuple[str, ...]:
    """The non-empty items of ``groups``, each once, in the order first seen."""
    seen: dict[str, None] = {}
    for group in groups:
        for item in group:
            if item:
                seen.setdefault(str(item), None)
    return tuple(seen)


def cluster_spec(
    *,
    masters: list[Host],
    etcd_members: list[Host],
    loadbalancers: list[Host],
    service_cidr: str,
    extra_sans: Iterable[str] = (),
    cluster_domain: str = "cluster.local",
) -> Spec:
    """Every leaf certificate a cluster with these hosts needs."""
    api_sans = _unique_in_order(
        (h.name for h in masters),
        (h.address for h in masters),
        (h.name for h in loadbalancers),
        (h.address for h in loadbalancers),
        extra_sans,
        (
            "kubernetes",
            "kubernetes.default",
            "kubernetes.default.svc",
            f"kubernetes.default.svc.{cluster_domain}",
            first_service_ip(service_cidr),
            "127.0.0.1",
            "localhost",
        ),
    )
    # Only the break-glass super-admin is in system:masters, which RBAC cannot
    # revoke; the others are in groups that ClusterRoleBindings grant rights to.
    certs = [
        CertSpec("apiserver", "ca", "kube-apiserver", sans=api_sans, server=True),
        CertSpec(
            "apiserver-kubelet-client", "ca", "kube-apiserver-kubelet-client",
            orgs=(KUBELET_CLIENT_GROUP,), client=True,
        ),
        CertSpec("apiserver-etcd-client", "etcd/ca", "kube-apiserver-etcd-client", client=True),
        # the API servers' readiness probes (no group: any authenticated user may read /readyz)
        CertSpec(
            "apiserver-healthcheck-client", "ca", "kube-apiserver-healthcheck-client", client=True,
        ),
        CertSpec("front-proxy-client", "front-proxy-ca", "front-proxy-client", client=True),
        CertSpec("controller-manager", "ca", "system:kube-controller-manager", client=True),
        CertSpec("scheduler", "ca", "system:kube-scheduler", client=True),
        CertSpec("admin", "ca", "kubernetes-admin", orgs=(ADMIN_GROUP,), client=True),
        CertSpec("super-admin", "ca", "kubernetes-super-admin", orgs=(MASTERS_GROUP,), client=True),
        CertSpec("etcd/healthcheck-client", "etcd/ca", "kube-etcd-healthcheck-client", client=True),
    ]  # fmt: skip
    for member in etcd_members:
        sans = _unique_in_order((member.name, member.address, "localhost", "127.0.0.1"))
        for kind in ("server", "peer"):
            certs.append(
                CertSpec(
                    f"etcd/{member.name}-{kind}",
                    "etcd/ca",
                    f"{member.name}-etcd-{kind}",
                    sans=sans,
                    server=True,
                    client=True,
                )
            )
    return Spec(certs)


def spec_for(cluster: Cluster, renew_before_days: int = RENEW_BEFORE_DAYS) -> Spec:
    """Every certificate ``cluster`` needs."""
    spec = cluster_spec(
        masters=list(cluster.masters),
        etcd_members=[Host(m.name, m.address) for m in cluster.etcd.members],
        loadbalancers=list(cluster.loadbalancers.hosts),
        service_cidr=cluster.apiserver.service_cidr,
        extra_sans=(*cluster.apiserver.extra_sans, *filter(None, [cluster.loadbalancers.vip])),
    )
    spec.renew_before_days = renew_before_days
    return spec
