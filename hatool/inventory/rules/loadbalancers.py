"""Rules on the virtual IP in front of the load balancers."""

from __future__ import annotations

import ipaddress

from hatool.inventory.findings import ERROR, Findings, declare
from hatool.inventory.model import Model
from hatool.inventory.rules.network import ip

VIP = "loadbalancer_vip"


@declare(
    ("loadbalancer-vip-invalid", ERROR, "`loadbalancer_vip` is an IP address"),
    ("loadbalancer-vip-taken", ERROR, "`loadbalancer_vip` is no host's address"),
    ("loadbalancer-vip-service-cidr", ERROR, "`loadbalancer_vip` is outside the Service network"),
    ("loadbalancer-vip-needs-two", ERROR, "a virtual IP needs 2 or more load balancers"),
    ("loadbalancer-vrrp-router-id", ERROR, "`loadbalancer_vrrp_router_id` is 1-255"),
)
def virtual_ip(model: Model, out: Findings) -> None:
    value = model.value(VIP)
    if value in (None, ""):
        return
    address = ip(value)
    if address is None:
        message = f"{VIP} {value!r} is not an IP address (for example 10.0.0.100)"
        out.add("loadbalancer-vip-invalid", ERROR, message, variable=VIP)
        return
    for host in model.hatool_hosts():
        if ip(model.hostvars.get(host, {}).get("ansible_host")) == address:
            out.add(
                "loadbalancer-vip-taken",
                ERROR,
                f"{VIP} {address} is {host}'s own address; the virtual IP must be a free "
                "address on the load balancers' network that keepalived moves between them",
                host=host,
                variable=VIP,
            )
    try:
        services = ipaddress.ip_network(str(model.value("kube_service_cidr")), strict=False)
    except ValueError:
        services = None  # service-cidr-invalid reports it
    if services is not None and address in services:
        message = (
            f"{VIP} {address} is inside kube_service_cidr {services}, which belongs to "
            "Services; pick a free address on the load balancers' network"
        )
        out.add("loadbalancer-vip-service-cidr", ERROR, message, variable=VIP)
    count = len(model.hosts_of("loadbalancer"))
    if count < 2:
        out.add(
            "loadbalancer-vip-needs-two",
            ERROR,
            f"{VIP} is set, but group loadbalancer has {count} host(s): a virtual IP moves "
            "between 2 or more load balancers; add one, or remove loadbalancer_vip",
            group="loadbalancer",
            variable=VIP,
        )
    router = model.value("loadbalancer_vrrp_router_id")
    if router is not None and not (str(router).isdigit() and 1 <= int(str(router)) <= 255):
        message = f"loadbalancer_vrrp_router_id is {router!r}; use 1-255"
        out.add(
            "loadbalancer-vrrp-router-id", ERROR, message, variable="loadbalancer_vrrp_router_id"
        )
