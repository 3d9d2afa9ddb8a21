"""Hardening the control plane: the CIS Kubernetes Benchmark items hatool implements.

One job per module:

- :mod:`hatool.security.policy`: what is hardened, per release (ciphers, groups,
  anonymous access, admission), worked out once for the cluster model
- :mod:`hatool.security.encryption`: the keys that encrypt Secrets at rest, their
  rotation, and the EncryptionConfiguration made from them (on the controller)
- :mod:`hatool.security.kubeapi`: a Kubernetes API client for one of the masters,
  as one of the cluster's client certificates
- :mod:`hatool.security.objects`: what the deploy does through the API: the
  ClusterRoleBindings of its groups, rewriting every Secret with the write key
"""
