"""The cluster's certificates and keys, made on the controller with ``cryptography``.

:func:`cluster_spec` says which certificates a cluster needs (from its hosts
and settings); :func:`ensure` makes exactly what is missing or must change,
and leaves every valid file untouched, byte for byte; :func:`describe` and
:func:`inventory_of` say what the certificates on disk hold and when they expire.

One job per module:

- :mod:`hatool.pki.spec`: which certificates a cluster needs (pure data)
- :mod:`hatool.pki.certs`: one certificate in memory: issue it, check it against its spec
- :mod:`hatool.pki.store`: the PKI folder on disk, kept current
- :mod:`hatool.pki.certinfo`: what the certificate files say, read only
- :mod:`hatool.pki.kubeconfig`: kubeconfigs that embed a client certificate
"""

from __future__ import annotations

from hatool.pki.certinfo import CertInfo, describe, describe_pem, inventory_of
from hatool.pki.spec import CAS, CertSpec, Spec, cluster_spec, spec_for
from hatool.pki.store import PKI, ensure

__all__ = [
    "CAS",
    "PKI",
    "CertInfo",
    "CertSpec",
    "Spec",
    "cluster_spec",
    "describe",
    "describe_pem",
    "ensure",
    "inventory_of",
    "spec_for",
]
