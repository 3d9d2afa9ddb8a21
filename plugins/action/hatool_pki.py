"""Action plugin: the cluster's certificates, keys and kubeconfigs, on the controller.

Makes what is missing or must change with :mod:`hatool.pki`, for the
certificates the resolved cluster needs, writes the admin, break-glass
super-admin, controller-manager and scheduler kubeconfigs, keeps the cluster
folder 0700, and reports which files changed: names only, never key material.
Supports check mode.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from hatool.action import HatoolAction
from hatool.cluster.model import Cluster
from hatool.pki import ensure, kubeconfig, spec_for

DOCUMENTATION = r"""
module: hatool_pki
short_description: Make the cluster's certificates, keys and kubeconfigs on the controller
options:
  cluster: {description: the resolved cluster (the fact C(hatool)), required: true, type: dict}
  renew_before_days: {description: renew leaves expiring sooner, type: int, default: 30}
  renew_leaves: {description: renew every leaf now (the CAs stay), type: bool, default: false}
"""

EXAMPLES = r"""
- name: Make certificates, keys and kubeconfigs
  hatool_pki:
    cluster: "{{ hatool }}"
    renew_before_days: 30
  delegate_to: localhost
  run_once: true
"""

RETURN = r"""
files:
  description: the files made or remade, relative to the cluster folder (never their content)
  type: list
  elements: str
  returned: always
pki_dir:
  description: the folder that holds the certificates and keys
  type: str
  returned: always
"""


class ActionModule(HatoolAction):
    def act(self, task_vars: dict[str, Any]) -> dict[str, Any]:
        cluster = Cluster.from_fact(self.args["cluster"])
        spec = spec_for(cluster, int(self.args.get("renew_before_days", 30)))
        folder = Path(cluster.paths.cluster_dir).expanduser()
        if not self.check_mode:
            # The cluster's keys and credentials: only the operator may enter.
            folder.mkdir(parents=True, exist_ok=True, mode=0o700)
            folder.chmod(0o700)
        pki = folder / "pki"
        renew = bool(self.args.get("renew_leaves", False))
        changed = ensure(pki, spec, check=self.check_mode, renew_leaves=renew)
        configs = {
            "admin.conf": ("kubernetes-admin", "admin", cluster.loadbalancers.url),
            # break-glass: system:masters, never copied to a host
            "super-admin.conf": (
                "kubernetes-super-admin", "super-admin", cluster.loadbalancers.url,
            ),
            "kubeconfigs/controller-manager.conf": (
                "system:kube-controller-manager", "controller-manager", cluster.local_api_url,
            ),
            "kubeconfigs/scheduler.conf": (
                "system:kube-scheduler", "scheduler", cluster.local_api_url,
            ),
        }  # fmt: skip
        for name, (user, stem, server) in configs.items():
            written = kubeconfig.ensure(
                folder / name,
                pki,
                cluster=cluster.name,
                server=server,
                user=user,
                stem=stem,
                check=self.check_mode,
            )
            if written:
                changed.append(name)
        return {"changed": bool(changed), "files": sorted(changed), "pki_dir": str(pki)}
