"""The CIS rows of ``hatool verify``: the benchmark's control-plane items, on the running hosts.

Each row is one item of the CIS Kubernetes Benchmark v1.9 (1.1.x files,
1.2.x the API server, 1.3.x the controller manager, 1.4.x the scheduler,
2.x etcd), judged on every master or etcd member it applies to, from the
running processes' command lines and the files' modes and owners
(:mod:`hatool.verify.hostfacts`, one SSH command per host). A failing row
names the item and every host where it fails, with what was seen. Rows named
``hatool`` are promises beyond the benchmark (etcd's TLS, the CA key,
revocable admins). Three rows ask the running cluster itself: an anonymous
request through the load balancer, a Secret read raw from etcd, and the
ClusterRoleBindings of the cluster's own groups.

What is expected comes from the resolved cluster (``Cluster.security``), the
same values the roles rendered from.

One job per module:

- :mod:`hatool.verify.cis.judges`: how one host is judged on one item (the
  flag and file building blocks, and the items' own judges)
- :mod:`hatool.verify.cis.items`: the table of items: number, title, hosts, judge
- :mod:`hatool.verify.cis.rows`: the rows: what to ask each host, every item
  judged on its hosts, the controller's files, the running cluster; :func:`checks`
"""

from __future__ import annotations

from hatool.verify.cis.items import ITEMS, Item
from hatool.verify.cis.judges import Judge, unit_file
from hatool.verify.cis.rows import (
    AREA,
    anonymous_row,
    ask_for,
    at_rest_row,
    bindings_row,
    checks,
    controller_rows,
    host_rows,
    judge_item,
    printable_prefix,
    reach_row,
)

__all__ = [
    "AREA",
    "ITEMS",
    "Item",
    "Judge",
    "anonymous_row",
    "ask_for",
    "at_rest_row",
    "bindings_row",
    "checks",
    "controller_rows",
    "host_rows",
    "judge_item",
    "printable_prefix",
    "reach_row",
    "unit_file",
]
