"""Action plugin: the keys that encrypt Secrets at rest, one step of their life at a time.

Runs on the controller with :mod:`hatool.security.encryption`: makes the
keyring and the EncryptionConfiguration in the cluster's folder (0600), adds,
promotes or drops a key, or rewrites every Secret through the API (as the
admin kubeconfig's certificate, straight to a ready master). The result holds
key names, never key material. Supports check mode.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ansible.module_utils.parsing.convert_bool import boolean

from hatool.action import HatoolAction
from hatool.cluster.model import Cluster
from hatool.errors import HatoolError
from hatool.security import encryption

DOCUMENTATION = r"""
module: hatool_encryption
short_description: Make, rotate and apply the keys that encrypt Secrets at rest
description:
  - Runs on the controller; the keys stay in the cluster's folder (encryption/, 0600).
  - C(ensure) makes the keyring if there is none (a new key that writes at once on a new
    cluster; a read key first on a cluster whose API servers already run without encryption).
  - C(add) adds a new read key unless a rotation is under way; C(promote) makes the newest key
    the write key; C(rewrite) writes every Secret again when some may be under another key;
    C(drop) keeps only the write key.
  - Each step changes nothing when there is nothing to do.
options:
  cluster: {description: the resolved cluster (the fact C(hatool)), required: true, type: dict}
  step:
    description: what to do
    required: true
    type: str
    choices: [ensure, add, promote, rewrite, drop]
  running:
    description: with C(ensure), some master already runs kube-apiserver
    type: bool
    default: false
  masters_have_config:
    description: with C(ensure), some master already has an encryption configuration
    type: bool
    default: false
"""

EXAMPLES = r"""
- name: Make the encryption keys on the controller
  hatool_encryption:
    cluster: "{{ hatool }}"
    step: ensure
    running: false
  delegate_to: localhost
  run_once: true
"""

RETURN = r"""
key_names:
  description: the key names the API servers can read, oldest first
  type: list
  elements: str
  returned: always
write:
  description: the name of the key that encrypts new writes (C(identity) before encryption)
  type: str
  returned: when there is a keyring
steady:
  description: one key, which writes, and every Secret under it
  type: bool
  returned: always
config:
  description: the EncryptionConfiguration on the controller that the masters get
  type: str
  returned: always
rewritten_secrets:
  description: with C(rewrite), how many Secrets were written again
  type: int
  returned: when Secrets were rewritten
"""


class ActionModule(HatoolAction):
    def act(self, task_vars: dict[str, Any]) -> dict[str, Any]:
        cluster = Cluster.from_fact(self.args["cluster"])
        step = str(self.args["step"])
        folder = encryption.KeyringFolder(
            Path(cluster.paths.encryption).expanduser(), check=self.check_mode
        )
        if step == "ensure":
            outcome = encryption.ensure(
                folder,
                running=boolean(self.args.get("running", False)),
                masters_have_config=boolean(self.args.get("masters_have_config", False)),
            )
            return outcome.result(folder)
        if step == "rewrite":
            return self._rewrite(cluster, folder)
        if step not in encryption.STEPS:
            raise HatoolError(f"step {step!r}: use ensure, add, promote, rewrite or drop")
        try:
            outcome = encryption.STEPS[step](folder)
        except HatoolError:
            if self.check_mode:  # the steps before this one have not really run
                return {"changed": True, "msg": f"would {step} once the earlier steps ran"}
            raise
        return outcome.result(folder)

    def _rewrite(self, cluster: Cluster, folder: encryption.KeyringFolder) -> dict[str, Any]:
        keyring = folder.load()
        if keyring is None or not keyring.needs_rewrite:
            return {"changed": keyring is None and self.check_mode,
                    **(keyring.summary() if keyring else {})}  # fmt: skip
        if self.check_mode:
            return {"changed": True, **keyring.summary()}
        from kubernetes import client as k8s

        from hatool.security import kubeapi, objects

        with kubeapi.api_client(cluster, "admin") as api:
            done = objects.rewrite_secrets(k8s.CoreV1Api(api))
        outcome = encryption.mark_rewritten(folder)
        return {
            **outcome.result(folder),
            "changed": True,
            "rewritten_secrets": done.rewritten,
            "skipped_secrets": done.skipped,
        }
