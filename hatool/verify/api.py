"""The Kubernetes API as verify sees it: /readyz over TLS and Leases through the client library."""

from __future__ import annotations

import http.client
import logging
import ssl
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from kubernetes import client as k8s
from kubernetes import config as k8s_config

REQUEST_TIMEOUT = 5.0
HTTP_CONFLICT = 409


def tls_context(pki: Path, user: str = "admin") -> ssl.SSLContext:
    """Trust the cluster CA and present ``user``'s client certificate."""
    context = ssl.create_default_context(cafile=str(pki / "ca.crt"))
    context.load_cert_chain(str(pki / f"{user}.crt"), str(pki / f"{user}.key"))
    return context


def drill_context(pki: Path) -> ssl.SSLContext:
    """The identity of the drills' client traffic: the break-glass super-admin where there is one.

    A starting API server serves requests a moment before its RBAC cache has
    synced, and a load balancer with passive health checks (nginx) already
    sends it some: an RBAC-bound client (admin.conf, any service account) may
    get 403 then. The drills measure whether the API answers through a lost
    server, as a ``system:masters`` client that RBAC cannot slow down (which
    admin.conf was before it became revocable); the README's Security section
    says what RBAC-bound clients see, and load balancers that check /readyz
    close that window.
    """
    user = "super-admin" if (pki / "super-admin.crt").is_file() else "admin"
    return tls_context(pki, user)


def get(
    context: ssl.SSLContext, address: str, port: int, path: str, timeout: float = REQUEST_TIMEOUT
) -> tuple[int, str]:
    """(status, body) of an HTTPS GET; status 0 and the reason when no answer came."""
    conn = http.client.HTTPSConnection(address, port, context=context, timeout=timeout)
    try:
        conn.request("GET", path)
        response = conn.getresponse()
        return response.status, response.read().decode(errors="replace").strip()
    except (OSError, http.client.HTTPException) as exc:
        return 0, f"{type(exc).__name__}: {exc}"
    finally:
        conn.close()


@dataclass(frozen=True)
class Lease:
    name: str
    holder: str | None
    duration_seconds: int | None
    transitions: int | None
    renew_time: datetime | None
    acquire_time: datetime | None = None

    @property
    def holder_hostname(self) -> str | None:
        """client-go's identity is ``<hostname>_<uuid>``."""
        if not self.holder:
            return None
        return self.holder.rsplit("_", 1)[0]


class LeaseClient:
    """``kube-system`` Leases through the admin kubeconfig (the load balancer): read them,
    and release one whose holder is known to be gone."""

    def __init__(self, kubeconfig: Path, timeout: float = 2.0) -> None:
        self._api = k8s.CoordinationV1Api(
            k8s_config.new_client_from_config(config_file=str(kubeconfig))  # type: ignore[no-untyped-call]
        )
        self._timeout = timeout
        # A poller expects failed reads while a drill breaks things: no retry chatter.
        logging.getLogger("urllib3.connectionpool").setLevel(logging.ERROR)

    def read(self, name: str, namespace: str = "kube-system") -> Lease | None:
        """The Lease, or None when it does not exist or the API did not answer."""
        try:
            lease: Any = self._api.read_namespaced_lease(
                name, namespace, _request_timeout=self._timeout
            )
        except Exception:
            return None
        spec = lease.spec
        return Lease(
            name=name,
            holder=spec.holder_identity,
            duration_seconds=spec.lease_duration_seconds,
            transitions=spec.lease_transitions,
            renew_time=spec.renew_time,
            acquire_time=spec.acquire_time,
        )

    def release(self, name: str, holder: str, namespace: str = "kube-system") -> bool:
        """Clear the holder of Lease ``name`` if it is still ``holder``; True if it was cleared.

        The caller must know that ``holder`` (an identity, which names one process)
        is no longer running: a standby then takes the Lease at its next retry
        instead of waiting a lease duration. The write carries the resourceVersion
        just read, so a renewal or takeover in between wins (409 Conflict), and the
        Lease is left alone.
        """
        try:
            lease: Any = self._api.read_namespaced_lease(
                name, namespace, _request_timeout=self._timeout
            )
            if lease.spec.holder_identity != holder:
                return False
            lease.spec.holder_identity = ""
            self._api.replace_namespaced_lease(
                name, namespace, lease, _request_timeout=self._timeout
            )
        except k8s.ApiException as exc:
            if exc.status == HTTP_CONFLICT:
                return False
            raise
        return True
