"""The cluster model: every fact about a cluster, resolved once from its inventory.

:mod:`hatool.cluster.model` holds the typed, immutable :class:`Cluster`;
:mod:`hatool.cluster.resolve` builds it; :mod:`hatool.cluster.quorum` is the one
place that judges an etcd member count.
"""
