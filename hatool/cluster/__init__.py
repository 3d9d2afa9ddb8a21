"""The cluster model: every fact about a cluster, resolved once from its inventory.

:mod:`hatool.cluster.model` holds the typed, immutable :class:`Cluster` (its
etcd in :mod:`hatool.cluster.etcd`, its files on the controller in
:mod:`hatool.cluster.paths`); :mod:`hatool.cluster.resolve` builds it;
:mod:`hatool.cluster.fact` rebuilds it from the playbooks' fact;
:mod:`hatool.cluster.quorum` is the one place that judges an etcd member count.
"""
