"""Action plugin: the cluster's certificates, keys and kubeconfigs, on the controller.

Builds the certificate list from the inventory (groups and hostvars), makes
what is missing or must change with :mod:`hatool.pki`, writes the admin,
controller-manager and scheduler kubeconfigs, and reports which files
changed: names only, never key material. Supports check mode.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from ansible.errors import AnsibleActionFail
from ansible.plugins.action import ActionBase

try:
    import hatool  # noqa: F401 - only checks that hatool is importable
except ImportError:  # hatool is not pip-installed: use the checkout this plugin lives in
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from hatool.pki import Host, cluster_spec, ensure, kubeconfig

DOCUMENTATION = r"""
module: hatool_pki
short_description: Make the cluster's certificates, keys and kubeconfigs on the controller
options:
  cluster_dir: {description: per-cluster folder on the controller, required: true, type: path}
  cluster_name: {description: the cluster's name, required: true, type: str}
  masters: {description: control-plane host names, required: true, type: list, elements: str}
  etcd_members: {description: etcd member host names, required: true, type: list, elements: str}
  loadbalancers: {description: load balancer host names, required: true, type: list, elements: str}
  service_cidr: {description: Service network, required: true, type: str}
  extra_sans: {description: extra API certificate names, type: list, elements: str, default: []}
  admin_server: {description: API URL in the admin kubeconfig, required: true, type: str}
  local_server: {description: API URL in the components' kubeconfigs, required: true, type: str}
  renew_before_days: {description: renew leaves expiring sooner, type: int, default: 30}
"""


def _hosts(names: list[str], hostvars: Any) -> list[Host]:
    """Inventory host names with their addresses (``ansible_host``, else the name)."""
    return [Host(str(n), str(hostvars[n].get("ansible_host", n))) for n in names]


class ActionModule(ActionBase):  # type: ignore[misc]
    TRANSFERS_FILES = False
    _requires_connection = False

    def run(
        self, tmp: str | None = None, task_vars: dict[str, Any] | None = None
    ) -> dict[str, Any]:
        result: dict[str, Any] = super().run(tmp, task_vars)
        args = self._task.args
        hostvars = (task_vars or {})["hostvars"]
        try:
            cluster_dir = Path(str(args["cluster_dir"])).expanduser()
            spec = cluster_spec(
                masters=_hosts(args["masters"], hostvars),
                etcd_members=_hosts(args["etcd_members"], hostvars),
                loadbalancers=_hosts(args["loadbalancers"], hostvars),
                service_cidr=str(args["service_cidr"]),
                extra_sans=[str(s) for s in args.get("extra_sans") or []],
            )
            spec.renew_before_days = int(args.get("renew_before_days", 30))
        except (KeyError, ValueError) as exc:
            raise AnsibleActionFail(f"hatool_pki: bad argument: {exc}") from None
        check = bool(self._task.check_mode)
        pki = cluster_dir / "pki"
        changed = ensure(pki, spec, check=check)
        cluster = str(args["cluster_name"])
        configs = {
            "admin.conf": ("kubernetes-admin", "admin", str(args["admin_server"])),
            "kubeconfigs/controller-manager.conf": (
                "system:kube-controller-manager", "controller-manager", str(args["local_server"]),
            ),
            "kubeconfigs/scheduler.conf": (
                "system:kube-scheduler", "scheduler", str(args["local_server"]),
            ),
        }  # fmt: skip
        for name, (user, stem, server) in configs.items():
            if kubeconfig.ensure(
                cluster_dir / name,
                pki,
                cluster=cluster,
                server=server,
                user=user,
                stem=stem,
                check=check,
            ):
                changed.append(name)
        result.update(changed=bool(changed), files=sorted(changed), pki_dir=str(pki))
        return result
