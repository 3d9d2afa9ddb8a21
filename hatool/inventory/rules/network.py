"""Rules on addresses, ports and the Service network."""

from __future__ import annotations

import ipaddress
import re
from typing import Any

from hatool.inventory.findings import ERROR, Findings, declare
from hatool.inventory.model import Model

_HOSTNAME = re.compile(
    r"^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$",
    re.I,
)
#: Every port of the contract; each must be a TCP port.
PORTS = ("kube_apiserver_port", "loadbalancer_port", "etcd_client_port", "etcd_peer_port")


def ip(value: Any) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address(str(value))
    except ValueError:
        return None


@declare(
    ("host-address-missing", ERROR, "every host has an `ansible_host`"),
    ("host-address-invalid", ERROR, "`ansible_host` is an IP address or a host name"),
    ("host-address-duplicate", ERROR, "no two hosts share an address"),
)
def addresses(model: Model, out: Findings) -> None:
    seen: dict[str, str] = {}
    for host in model.hatool_hosts():
        group = model.group_of(host)
        value = model.hostvars.get(host, {}).get("ansible_host")
        where = {"group": group, "host": host, "variable": "ansible_host"}
        if value in (None, ""):
            message = (
                f"{host} has no ansible_host; set it to the address hatool and the other "
                "hosts reach it at (an IP address or a DNS name)"
            )
            out.add("host-address-missing", ERROR, message, **where)
            continue
        text = str(value)
        parsed = ip(text)
        looks_numeric = bool(re.fullmatch(r"[\d.]+", text))
        if parsed is None and (looks_numeric or not _HOSTNAME.match(text)):
            message = (
                f"{host}: ansible_host {text!r} is neither an IP address nor a valid host name"
            )
            out.add("host-address-invalid", ERROR, message, **where)
            continue
        key = str(parsed) if parsed else text.lower()
        if key in seen:
            message = (
                f"{host} and {seen[key]} share the address {text}; every inventory host needs "
                "its own address (put one host in several groups instead, where the topology "
                "allows it)"
            )
            out.add("host-address-duplicate", ERROR, message, **where)
        else:
            seen[key] = host


def port_of(model: Model, name: str) -> int | None:
    value = model.value(name)
    if isinstance(value, bool) or not str(value).isdigit() or not 1 <= int(value) <= 65535:
        return None
    return int(value)


@declare(
    ("port-invalid", ERROR, "ports are 1-65535"),
    (
        "loadbalancer-port-conflict",
        ERROR,
        "a load balancer on a master does not take the API server's port",
    ),
    ("etcd-port-conflict", ERROR, "etcd's client and peer ports differ"),
)
def ports(model: Model, out: Findings) -> None:
    valid = {}
    for name in PORTS:
        valid[name] = port_of(model, name)
        if valid[name] is None:
            message = f"{name} is {model.value(name)!r}; use a TCP port from 1 to 65535"
            out.add("port-invalid", ERROR, message, variable=name)
    client, peer = valid["etcd_client_port"], valid["etcd_peer_port"]
    if client is not None and client == peer:
        message = f"etcd_client_port and etcd_peer_port are both {client}; give each its own port"
        out.add("etcd-port-conflict", ERROR, message, variable="etcd_peer_port")
    api, lb = valid["kube_apiserver_port"], valid["loadbalancer_port"]
    if api is None or lb is None or api != lb:
        return
    masters = model.hosts_of("control_plane")
    master_addresses = {str(model.hostvars.get(h, {}).get("ansible_host")): h for h in masters}
    for host in model.hosts_of("loadbalancer"):
        address = str(model.hostvars.get(host, {}).get("ansible_host"))
        shared = host if host in masters else master_addresses.get(address)
        if shared:
            out.add(
                "loadbalancer-port-conflict",
                ERROR,
                f"load balancer {host} runs on control-plane host {shared}, where "
                f"kube-apiserver already listens on {api}; set loadbalancer_port to another "
                "port (for example 8443)",
                group="loadbalancer",
                host=host,
                variable="loadbalancer_port",
            )


@declare(
    (
        "service-cidr-invalid",
        ERROR,
        "the Service network is a valid network of 4 or more addresses",
    ),
    ("service-cidr-contains-host", ERROR, "the Service network holds no host address"),
)
def service_cidr(model: Model, out: Findings) -> None:
    value = model.value("kube_service_cidr")
    where = {"variable": "kube_service_cidr"}
    try:
        network = ipaddress.ip_network(str(value), strict=True)
    except ValueError as exc:
        message = f"kube_service_cidr {value!r} is not a network: {exc} (for example 10.96.0.0/12)"
        out.add("service-cidr-invalid", ERROR, message, **where)
        return
    if network.num_addresses < 4:
        message = f"kube_service_cidr {value} is too small for Services; use a /24 or larger"
        out.add("service-cidr-invalid", ERROR, message, **where)
    for host in model.hatool_hosts():
        address = ip(model.hostvars.get(host, {}).get("ansible_host"))
        if address is not None and address in network:
            out.add(
                "service-cidr-contains-host",
                ERROR,
                f"kube_service_cidr {value} contains {host}'s address {address}; Service IPs "
                "would shadow the host; pick a range no host uses",
                host=host,
                **where,
            )
