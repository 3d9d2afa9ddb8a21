"""Action plugin: read a leader-election Lease, or release it once its holder is gone.

A planned restart of kube-controller-manager or kube-scheduler stops the
leader, makes sure its process is gone, then releases its Lease with this
plugin, so that a standby takes over within one retry period instead of a
whole lease duration. The release is conditional: only the identity that was
read before the stop is cleared, with the Lease's resourceVersion as a
precondition, so a renewal or another holder in between always wins.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from hatool.action import HatoolAction
from hatool.cluster.model import Cluster
from hatool.errors import HatoolError
from hatool.verify.api import LeaseClient

DOCUMENTATION = r"""
module: hatool_lease
short_description: Read a kube-system Lease, or release it from a holder that is gone
options:
  cluster: {description: the resolved cluster (the fact C(hatool)), required: true, type: dict}
  name:
    description: the Lease (kube-controller-manager or kube-scheduler)
    required: true
    type: str
  release:
    description:
      - The holder identity to release. The Lease is cleared only if it still names it.
      - Give it only once the process with this identity is known to be gone.
    type: str
"""

EXAMPLES = r"""
- name: Find the leader
  hatool_lease:
    cluster: "{{ hatool }}"
    name: kube-scheduler
  register: lease

- name: Release the stopped leader's Lease
  hatool_lease:
    cluster: "{{ hatool }}"
    name: kube-scheduler
    release: "{{ lease.holder }}"
"""

RETURN = r"""
holder:
  description: the holder identity (C(<hostname>_<uuid>)), or empty
  type: str
  returned: always
holder_hostname:
  description: the host name in the holder identity, or empty
  type: str
  returned: always
released:
  description: whether this call cleared the holder
  type: bool
  returned: with release
"""


class ActionModule(HatoolAction):
    _supports_check_mode = True

    def act(self, task_vars: dict[str, Any]) -> dict[str, Any]:
        cluster = Cluster.from_fact(self.args["cluster"])
        name = str(self.args["name"])
        if name not in cluster.component_names:
            raise HatoolError(f"hatool_lease: {name} is not one of {cluster.component_names}")
        client = LeaseClient(Path(cluster.paths.admin_kubeconfig), timeout=5.0)
        result: dict[str, Any] = {}
        release = self.args.get("release")
        if release and not self.check_mode:
            released = client.release(name, str(release))
            result.update(released=released, changed=released)
        lease = client.read(name)
        result.update(
            holder=(lease.holder or "") if lease else "",
            holder_hostname=(lease.holder_hostname or "") if lease else "",
        )
        return result
