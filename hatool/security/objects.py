"""What the deploy does through the Kubernetes API: its ClusterRoleBindings, and rewriting Secrets.

Both are idempotent and check-mode aware. Nothing here prints, logs or
returns a Secret's content: a failed request is reported by its status and
reason, never its body.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from kubernetes import client as k8s
from kubernetes.client.exceptions import ApiException

from hatool.errors import HatoolError
from hatool.security.policy import ADMIN_GROUP, KUBELET_CLIENT_GROUP

HTTP_NOT_FOUND = 404
HTTP_CONFLICT = 409
HTTP_GONE = 410
MANAGED_BY = {"app.kubernetes.io/managed-by": "hatool"}


@dataclass(frozen=True)
class Binding:
    """A ClusterRoleBinding that grants a ClusterRole to one group of client certificates."""

    name: str
    cluster_role: str
    group: str
    why: str

    def body(self) -> k8s.V1ClusterRoleBinding:
        return k8s.V1ClusterRoleBinding(
            metadata=k8s.V1ObjectMeta(
                name=self.name, labels=dict(MANAGED_BY), annotations={"hatool/why": self.why}
            ),
            role_ref=k8s.V1RoleRef(
                api_group="rbac.authorization.k8s.io", kind="ClusterRole", name=self.cluster_role
            ),
            subjects=[
                k8s.RbacV1Subject(
                    api_group="rbac.authorization.k8s.io", kind="Group", name=self.group
                )
            ],
        )

    def matches(self, found: Any) -> bool:
        """Whether an existing binding grants exactly this role to exactly this group."""
        ref, subjects = found.role_ref, found.subjects or []
        return (ref.kind, ref.name) == ("ClusterRole", self.cluster_role) and [
            (s.kind, s.name) for s in subjects
        ] == [("Group", self.group)]


#: The deploy's bindings. Deleting ``hatool:cluster-admins`` revokes admin.conf.
BINDINGS = (
    Binding(
        "hatool:cluster-admins", "cluster-admin", ADMIN_GROUP,
        "admin.conf: an administrator that RBAC can revoke (not system:masters)",
    ),
    Binding(
        "hatool:kubelet-api-admins", "system:kubelet-api-admin", KUBELET_CLIENT_GROUP,
        "the API servers' kubelet client certificate: the kubelet API, nothing more",
    ),
)  # fmt: skip


def _failure(what: str, exc: ApiException) -> HatoolError:
    return HatoolError(f"{what}: HTTP {exc.status} {exc.reason}")


def ensure_bindings(
    api: k8s.RbacAuthorizationV1Api, bindings: tuple[Binding, ...] = BINDINGS, *, check: bool
) -> list[str]:
    """Create or correct each binding; return the names that changed (or would)."""
    changed = []
    for binding in bindings:
        try:
            found = api.read_cluster_role_binding(binding.name)
        except ApiException as exc:
            if exc.status != HTTP_NOT_FOUND:
                raise _failure(f"reading ClusterRoleBinding {binding.name}", exc) from None
            found = None
        if found is not None and binding.matches(found):
            continue
        changed.append(binding.name)
        if check:
            continue
        try:
            if found is not None:  # a roleRef cannot change: replace the whole binding
                api.delete_cluster_role_binding(binding.name)
            api.create_cluster_role_binding(binding.body())
        except ApiException as exc:
            raise _failure(f"writing ClusterRoleBinding {binding.name}", exc) from None
    return changed


@dataclass
class Rewritten:
    """How many Secrets were written again, and how many changed or went meanwhile."""

    rewritten: int = 0
    skipped: int = 0


def _secrets(api: k8s.CoreV1Api, page: int) -> Iterator[Any]:
    """Every Secret in every namespace, a page at a time (from the start if the list expired)."""
    token: str | None = None
    while True:
        try:
            listing = api.list_secret_for_all_namespaces(limit=page, _continue=token)
        except ApiException as exc:
            if exc.status == HTTP_GONE and token is not None:
                token = None  # the continue token expired: rewriting twice does no harm
                continue
            raise _failure("listing Secrets", exc) from None
        yield from listing.items
        token = listing.metadata._continue if listing.metadata else None
        if not token:
            return


def rewrite_secrets(api: k8s.CoreV1Api, *, page: int = 200) -> Rewritten:
    """Write every Secret back unchanged, so that the API server stores it with its write key.

    The API server writes an unchanged object again when it read it through
    a provider or key other than the one that writes (the value is "stale").
    A Secret changed meanwhile (409) was written with the write key already;
    one deleted meanwhile (404) needs nothing.
    """
    done = Rewritten()
    for secret in _secrets(api, page):
        meta = secret.metadata
        try:
            api.replace_namespaced_secret(meta.name, meta.namespace, secret)
            done.rewritten += 1
        except ApiException as exc:
            if exc.status in (HTTP_NOT_FOUND, HTTP_CONFLICT):
                done.skipped += 1
                continue
            raise _failure(f"rewriting Secret {meta.namespace}/{meta.name}", exc) from None
    return done
