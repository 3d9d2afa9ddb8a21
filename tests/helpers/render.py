"""Render a role's templates in-process, as a real run would: its defaults, its vars, the fact."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from ansible.parsing.dataloader import DataLoader
from ansible.template import Templar, trust_as_template

from hatool.cluster.model import Cluster
from hatool.paths import PROJECT_ROOT

ROLES = PROJECT_ROOT / "roles"


def _trusted(value: Any) -> Any:
    """Mark every string as a template, as Ansible does for a role's own files."""
    if isinstance(value, str):
        return trust_as_template(value)
    if isinstance(value, dict):
        return {k: _trusted(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_trusted(v) for v in value]
    return value


def role_file(role: str, folder: str) -> dict[str, Any]:
    """A role's defaults or vars, as a real run sees them."""
    path = ROLES / role / folder / "main.yml"
    if not path.is_file():
        return {}
    return dict(_trusted(yaml.safe_load(path.read_text()) or {}))


def role_variables(
    role: str, cluster: Cluster, host: str, overrides: dict[str, Any] | None = None
) -> dict[str, Any]:
    """What a template of ``role`` sees on ``host``: defaults < inventory < role vars, the fact."""
    variables: dict[str, Any] = {}
    variables.update(role_file(role, "defaults"))
    variables.update(overrides or {})
    variables.update(role_file(role, "vars"))
    variables.update(
        hatool=cluster.to_fact(),
        inventory_hostname=host,
        ansible_managed="Ansible managed",
        ansible_facts={
            "architecture": "x86_64",
            "nodename": host,
            "interfaces": ["lo", "eth0"],
            "eth0": {"device": "eth0", "ipv4": {"address": cluster.hosts().get(host, "")}},
            "lo": {"device": "lo", "ipv4": {"address": "127.0.0.1"}},
        },
    )
    return variables


def render_text(text: str, variables: dict[str, Any]) -> str:
    templar = Templar(loader=DataLoader(), variables=variables)
    return str(templar.template(trust_as_template(text)))


def render(
    role: str,
    template: str,
    cluster: Cluster,
    host: str = "m1",
    overrides: dict[str, Any] | None = None,
    **extra: Any,
) -> str:
    """Template ``roles/<role>/templates/<template>`` for ``host``."""
    variables = {**role_variables(role, cluster, host, overrides), **extra}
    return render_text((ROLES / role / "templates" / template).read_text(), variables)


def templates(role: str) -> list[Path]:
    return sorted((ROLES / role / "templates").glob("*.j2"))
