"""Rules on cluster-wide values: one value per cluster, the right type, a valid name."""

from __future__ import annotations

import json
import re

from hatool.inventory.contract import variables
from hatool.inventory.findings import ERROR, Findings, declare
from hatool.inventory.model import Model

_DNS_LABEL = re.compile(r"^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$")


@declare(
    ("cluster-value-differs", ERROR, "a cluster variable has different values on different hosts")
)
def consistent_cluster_values(model: Model, out: Findings) -> None:
    hosts = model.hatool_hosts()
    for name in variables():
        if not model.is_set(name):
            continue
        values: dict[str, list[str]] = {}
        for host in hosts:
            rendered = json.dumps(model.value(name, host), sort_keys=True, default=str)
            values.setdefault(rendered, []).append(host)
        if len(values) > 1:
            parts = [
                f"{json.loads(v)!r} on {', '.join(h[:3])}{'...' if len(h) > 3 else ''}"
                for v, h in values.items()
            ]
            out.add(
                "cluster-value-differs",
                ERROR,
                f"{name} must be the same on every host, but it is {'; '.join(parts)}; "
                "set it once for group all",
                variable=name,
            )


@declare(
    (
        "variable-type",
        ERROR,
        "a role variable has the type (and one of the choices) its role's argument spec states",
    )
)
def variable_types(model: Model, out: Findings) -> None:
    for name, variable in variables().items():
        if variable.role == "cluster" or not model.is_set(name):
            continue
        value = model.value(name)
        if not variable.accepts(value):
            wanted = (
                f"one of {', '.join(map(str, variable.choices))}"
                if variable.choices
                else f"a {variable.type}"
            )
            out.add(
                "variable-type",
                ERROR,
                f"{name} is {value!r}, but roles/{variable.role} takes {wanted} "
                f"({variable.doc.rstrip('.')}; default {variable.default!r})",
                variable=name,
            )


@declare(("cluster-name-invalid", ERROR, "`cluster_name` is a DNS label"))
def cluster_name(model: Model, out: Findings) -> None:
    name = model.value("cluster_name")
    if not isinstance(name, str) or not _DNS_LABEL.match(name):
        out.add(
            "cluster-name-invalid",
            ERROR,
            f"cluster_name {name!r} is not a DNS label (lower-case letters, digits and '-', "
            "at most 63 characters)",
            variable="cluster_name",
        )
