"""Each load balancer: nginx from the OS packages, proxying to every master, and no Kubernetes."""

from __future__ import annotations

testinfra_hosts = ["loadbalancer"]


def test_nginx_runs_and_starts_at_boot(host):
    assert host.package("nginx").is_installed
    assert host.service("nginx").is_running
    assert host.service("nginx").is_enabled


def test_it_listens_on_the_api_port(host):
    assert host.socket("tcp://0.0.0.0:6443").is_listening


def test_its_configuration_is_valid(host):
    with host.sudo():
        assert host.run("nginx -t").rc == 0


def test_it_proxies_to_every_master(host):
    config = host.file("/etc/nginx/nginx.conf").content_string
    variables = host.ansible.get_variables()
    masters = variables["groups"]["control_plane"]
    upstreams = [
        line.split()[1]
        for line in config.splitlines()
        if line.strip().startswith("server ") and ":" in line
    ]
    assert len(upstreams) == len(masters)
    for master in masters:
        assert f"# {master}" in config


def test_no_kubernetes_component_on_a_load_balancer(host):
    for binary in ("kube-apiserver", "kube-controller-manager", "etcd"):
        assert not host.file(f"/usr/local/bin/{binary}").exists
