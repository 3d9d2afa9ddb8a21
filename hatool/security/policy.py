"""What hatool hardens and how, per release: worked out once, for the roles and for verify.

The values follow the CIS Kubernetes Benchmark (v1.9: control-plane sections
1.1-1.4, etcd section 2). Where a release lacks a flag, the choice is made
here, not in a template.
"""

from __future__ import annotations

from hatool.cluster.model import Security
from hatool.versions import parse

#: kube-apiserver's --tls-min-version.
TLS_MIN_VERSION = "VersionTLS12"
#: etcd's --tls-min-version (etcd 3.5.8 and later).
ETCD_TLS_MIN_VERSION = "TLS1.2"
#: TLS 1.2 cipher suites: ECDHE key exchange with an AEAD cipher only (the strong
#: suites of CIS 1.2.29). The CHACHA20 names without ``_SHA256`` are the ones every
#: supported Kubernetes and etcd release accepts. Go offers the TLS 1.3 suites on
#: its own (all strong, not configurable).
CIPHER_SUITES = (
    "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256",
    "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384",
    "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305",
    "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256",
    "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384",
    "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305",
)
#: The admin kubeconfig's group, bound to ``cluster-admin`` by a ClusterRoleBinding:
#: deleting the binding revokes it (a ``system:masters`` certificate cannot be revoked).
ADMIN_GROUP = "hatool:cluster-admins"
#: The API server's kubelet client certificate's group, bound to ``system:kubelet-api-admin``.
KUBELET_CLIENT_GROUP = "hatool:kubelet-api-admins"
#: The group that bypasses RBAC: only the break-glass super-admin.conf is in it.
MASTERS_GROUP = "system:masters"
#: The system user (and group) etcd runs as (CIS 1.1.12: its data is etcd:etcd).
ETCD_USER = "etcd"
#: The health endpoints an AuthenticationConfiguration opens to anonymous requests.
HEALTH_PATHS = ("/livez", "/readyz", "/healthz")
#: Where the API servers' configuration files go on every master (0600).
ENCRYPTION_CONFIG = "/etc/kubernetes/encryption-config.yaml"
AUTHENTICATION_CONFIG = "/etc/kubernetes/authentication-config.yaml"

#: Kubernetes minor from which anonymous access can be limited to chosen paths
#: (AuthenticationConfiguration ``anonymous.conditions``: beta and on by default in v1.32).
ANONYMOUS_CONDITIONS_FROM = (1, 32)
#: Kubernetes minor from which the DenyServiceExternalIPs admission plugin exists.
DENY_EXTERNAL_IPS_FROM = (1, 21)
#: etcd release from which --tls-min-version exists (backported to 3.5.8).
ETCD_TLS_MIN_VERSION_FROM = (3, 5, 8)


def _version(version: str) -> tuple[int, int, int]:
    parsed = parse(version if version.startswith("v") else f"v{version}")
    if parsed is None:
        raise ValueError(f"not a release: {version}")
    return parsed


def security(
    kube_version: str,
    etcd_version: str,
    *,
    csr_signer: bool = False,
    terminated_pod_gc_threshold: int = 1000,
) -> Security:
    """How a cluster of these releases is hardened."""
    kube = _version(kube_version)[:2]
    return Security(
        tls_min_version=TLS_MIN_VERSION,
        tls_cipher_suites=CIPHER_SUITES,
        etcd_tls_min_version=(
            ETCD_TLS_MIN_VERSION if _version(etcd_version) >= ETCD_TLS_MIN_VERSION_FROM else None
        ),
        anonymous_health_only=kube >= ANONYMOUS_CONDITIONS_FROM,
        health_paths=HEALTH_PATHS,
        deny_service_external_ips=kube >= DENY_EXTERNAL_IPS_FROM,
        encryption_config=ENCRYPTION_CONFIG,
        authentication_config=AUTHENTICATION_CONFIG,
        admin_group=ADMIN_GROUP,
        kubelet_client_group=KUBELET_CLIENT_GROUP,
        etcd_user=ETCD_USER,
        csr_signer=csr_signer,
        terminated_pod_gc_threshold=terminated_pod_gc_threshold,
    )
