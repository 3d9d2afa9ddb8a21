"""A Kubernetes API client for the deploy's own API work, straight to one of the masters.

The deploy talks to the API servers before any load balancer exists (a first
deploy runs the load balancers later), so it picks the first master whose
API server answers ``/readyz`` and connects to it directly, as one of the
cluster's client certificates in the PKI folder on the controller.
"""

from __future__ import annotations

import http.client
import logging
import ssl
from pathlib import Path

from kubernetes import client as k8s

from hatool.cluster.model import Cluster, Host
from hatool.errors import HatoolError

TIMEOUT = 5.0


def _url(address: str, port: int) -> str:
    return f"https://[{address}]:{port}" if ":" in address else f"https://{address}:{port}"


def _ready(context: ssl.SSLContext, host: Host, port: int) -> bool:
    conn = http.client.HTTPSConnection(host.address, port, context=context, timeout=TIMEOUT)
    try:
        conn.request("GET", "/readyz")
        response = conn.getresponse()
        return response.status == 200 and response.read().strip() == b"ok"
    except (OSError, http.client.HTTPException):
        return False
    finally:
        conn.close()


def ready_master(cluster: Cluster, user: str) -> Host:
    """The first master whose API server is ready, asked as ``user``; an error if none is."""
    pki = Path(cluster.paths.pki)
    context = ssl.create_default_context(cafile=str(pki / "ca.crt"))
    context.load_cert_chain(str(pki / f"{user}.crt"), str(pki / f"{user}.key"))
    for master in cluster.masters:
        if _ready(context, master, cluster.apiserver.port):
            return master
    names = ", ".join(m.name for m in cluster.masters)
    raise HatoolError(f"no API server answers /readyz (masters {names})")


def api_client(cluster: Cluster, user: str) -> k8s.ApiClient:
    """A client of a ready master's API server, as the client certificate ``pki/<user>.crt``."""
    pki = Path(cluster.paths.pki)
    master = ready_master(cluster, user)
    configuration = k8s.Configuration()
    configuration.host = _url(master.address, cluster.apiserver.port)
    configuration.ssl_ca_cert = str(pki / "ca.crt")
    configuration.cert_file = str(pki / f"{user}.crt")
    configuration.key_file = str(pki / f"{user}.key")
    configuration.verify_ssl = True
    logging.getLogger("urllib3.connectionpool").setLevel(logging.ERROR)
    return k8s.ApiClient(configuration)
