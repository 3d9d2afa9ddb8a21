"""Action plugin: the ClusterRoleBindings that give the cluster's own groups their rights.

The admin kubeconfig's group gets ``cluster-admin`` and the API servers'
kubelet client certificate's group ``system:kubelet-api-admin``
(:data:`hatool.security.objects.BINDINGS`). Made through the API as the
break-glass super-admin (``system:masters``), straight to a ready master,
since nothing else can grant rights before these bindings exist. Supports
check mode.
"""

from __future__ import annotations

from typing import Any

from hatool.action import HatoolAction
from hatool.cluster.model import Cluster
from hatool.errors import HatoolError

DOCUMENTATION = r"""
module: hatool_rbac
short_description: Bind the admin and kubelet-client groups to their cluster roles
description:
  - Runs on the controller and talks to the first master whose API server is ready.
  - Creates each ClusterRoleBinding that is missing, replaces one that grants something else.
options:
  cluster: {description: the resolved cluster (the fact C(hatool)), required: true, type: dict}
"""

EXAMPLES = r"""
- name: Bind the admin and kubelet-client groups to their cluster roles
  hatool_rbac:
    cluster: "{{ hatool }}"
  delegate_to: localhost
  run_once: true
"""

RETURN = r"""
bindings:
  description: the ClusterRoleBindings made or corrected (or, in check mode, that would be)
  type: list
  elements: str
  returned: always
"""


class ActionModule(HatoolAction):
    def act(self, task_vars: dict[str, Any]) -> dict[str, Any]:
        from kubernetes import client as k8s

        from hatool.security import kubeapi, objects

        cluster = Cluster.from_fact(self.args["cluster"])
        try:
            api = kubeapi.api_client(cluster, "super-admin")
        except (HatoolError, OSError) as exc:
            if self.check_mode:  # nothing runs yet: a real run would make them all
                names = [b.name for b in objects.BINDINGS]
                return {"changed": True, "bindings": names, "msg": str(exc)}
            raise HatoolError(str(exc)) from None
        with api:
            changed = objects.ensure_bindings(
                k8s.RbacAuthorizationV1Api(api), check=self.check_mode
            )
        return {"changed": bool(changed), "bindings": changed}
