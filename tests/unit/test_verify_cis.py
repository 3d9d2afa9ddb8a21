"""hatool verify's CIS rows, judged on fake probe results: no network, no hosts.

The "running processes" are the roles' own unit templates rendered for the
cluster, so a healthy host here is exactly what a deploy makes; each test
then changes one thing back, as an operator or an attacker might, and
expects exactly that row to fail, naming the host and the item.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path
from typing import Any

import pytest

from hatool.cluster.model import Cluster
from hatool.security import encryption
from hatool.verify import cis
from hatool.verify.hostfacts import Ask, FileInfo, HostFacts, Process, parse, script
from hatool.verify.target import Target
from tests.helpers.inventories import model, target_of
from tests.helpers.render import render

UNITS = {
    "kube-apiserver": ("kube_apiserver", "kube-apiserver.service.j2"),
    "kube-controller-manager": ("kube_controller_manager", "kube-controller-manager.service.j2"),
    "kube-scheduler": ("kube_scheduler", "kube-scheduler.service.j2"),
    "etcd": ("etcd", "etcd.service.j2"),
}
KUBE_PKI = [
    "ca.crt", "front-proxy-ca.crt", "apiserver.crt", "apiserver.key", "apiserver-kubelet-client.crt",
    "apiserver-kubelet-client.key", "apiserver-etcd-client.crt", "apiserver-etcd-client.key",
    "apiserver-healthcheck-client.crt", "apiserver-healthcheck-client.key",
    "front-proxy-client.crt", "front-proxy-client.key", "sa.key", "sa.pub", "etcd-ca.crt",
]  # fmt: skip
ETCD_PKI = ["ca.crt", "server.crt", "server.key", "peer.crt", "peer.key",
            "healthcheck-client.crt", "healthcheck-client.key"]  # fmt: skip


def flags_of(unit_text: str) -> dict[str, str]:
    joined = unit_text.replace("\\\n", " ")
    line = next(x for x in joined.splitlines() if x.startswith("ExecStart="))
    pairs = (word.split("=", 1) for word in line.split() if word.startswith("--"))
    return {p[0]: p[1] if len(p) > 1 else "true" for p in pairs}


def controller(tmp_path: Path) -> Path:
    """The cluster folder on the controller: PKI CAs and the keyring, as a deploy leaves them."""
    folder = tmp_path / "inv" / ".hatool" / "hatool"
    (folder / "pki" / "etcd").mkdir(parents=True)
    (folder / "pki" / "ca.crt").write_text("cluster CA\n")
    (folder / "pki" / "etcd" / "ca.crt").write_text("etcd CA\n")
    keys = encryption.KeyringFolder(folder / "encryption")
    encryption.ensure(keys, running=False, masters_have_config=False)
    for name in ("admin.conf", "super-admin.conf"):
        (folder / name).write_text("kubeconfig\n")
        (folder / name).chmod(0o600)
    (folder / "pki" / "ca.key").write_text("key\n")
    (folder / "pki" / "ca.key").chmod(0o600)
    folder.chmod(0o700)
    return folder


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def healthy(target: Target, host: str) -> HostFacts:
    """What the probe sees on a freshly deployed host."""
    cluster = target.cluster
    facts = HostFacts(host)
    masters = [n.name for n in target.masters]
    members = [n.name for n in target.etcd_members]
    paths: list[tuple[str, int, str, str]] = []
    if host in masters:
        for unit in ("kube-apiserver", "kube-controller-manager", "kube-scheduler"):
            facts.processes[unit] = Process("root", flags_of(render(*UNITS[unit], cluster, host)))
            paths.append((cis.unit_file(unit), 0o644, "root:root", "f"))
        pki = cluster.apiserver.pki_dir
        paths.append((pki, 0o700, "root:root", "d"))
        paths += [(f"{pki}/{name}", 0o600, "root:root", "f") for name in KUBE_PKI]
        paths += [(cluster.component(c).kubeconfig, 0o600, "root:root", "f")
                  for c in ("kube-controller-manager", "kube-scheduler")]  # fmt: skip
        paths.append((cluster.security.encryption_config, 0o600, "root:root", "f"))
        if cluster.security.anonymous_health_only:
            paths.append((cluster.security.authentication_config, 0o600, "root:root", "f"))
        config = Path(cluster.paths.encryption) / encryption.CONFIG
        facts.sha256[cluster.security.encryption_config] = sha(config)
    if host in members:
        flags = flags_of(render(*UNITS["etcd"], cluster, host))
        facts.processes["etcd"] = Process("etcd", flags)
        paths.append((cis.unit_file("etcd"), 0o644, "root:root", "f"))
        paths.append((cluster.etcd.data_dir, 0o700, "etcd:etcd", "d"))
        etcd_pki = cluster.etcd.pki_dir
        paths.append((etcd_pki, 0o700, "etcd:etcd", "d"))
        paths += [(f"{etcd_pki}/{name}", 0o600, "etcd:etcd", "f") for name in ETCD_PKI]
        facts.sha256[flags["--trusted-ca-file"]] = sha(Path(cluster.paths.pki) / "etcd" / "ca.crt")
    for path, mode, owner, kind in paths:
        user, group = owner.split(":")
        facts.files[path] = FileInfo(path, mode, user, group, kind)
    return facts


@pytest.fixture(
    params=[("stacked", "v1.20.2"), ("external", "v1.20.2"), ("stacked", "v1.35.0")],
    ids=["stacked-1.20", "external-1.20", "stacked-1.35"],
)
def deployed(request: pytest.FixtureRequest, tmp_path: Path) -> tuple[Target, dict[str, HostFacts]]:
    folder = controller(tmp_path)
    topology, version = request.param
    inventory = model({"kube_version": version}, topology=topology)
    target = target_of(inventory, str(folder.parent.parent))
    hosts = [n.name for n in [*target.masters, *target.etcd_members]]
    return target, {h: healthy(target, h) for h in hosts}


def rows(target: Target, facts: dict[str, HostFacts]) -> dict[str, Any]:
    return {c.name: c for c in cis.host_rows(target, facts)}


def failed(target: Target, facts: dict[str, HostFacts]) -> dict[str, dict[str, list[str]]]:
    return {name: c.data["failed"] for name, c in rows(target, facts).items() if not c.ok}


def test_every_row_holds_on_what_a_deploy_makes(
    deployed: tuple[Target, dict[str, HostFacts]],
) -> None:
    target, facts = deployed
    checks = rows(target, facts)
    assert failed(target, facts) == {}
    assert len(checks) == len(cis.ITEMS) + 1  # and whether the probe reached every host
    assert all(c.area == "cis" for c in checks.values())
    items = [c.data["item"] for c in checks.values()]
    for prefix in ("1.1.", "1.2.", "1.3.", "1.4.", "2."):
        assert any(i.startswith(prefix) for i in items), prefix


def only(target: Target, facts: dict[str, HostFacts], item: str) -> dict[str, list[str]]:
    """The one failing row, which must be ``item``: host -> problems."""
    found = failed(target, facts)
    assert len(found) == 1, found
    (name, hosts) = next(iter(found.items()))
    assert name.startswith(f"{item} "), name
    return hosts


def test_a_certificate_made_world_readable_fails_exactly_1_1_20_on_that_host(
    deployed: tuple[Target, dict[str, HostFacts]],
) -> None:
    target, facts = deployed
    path = "/etc/kubernetes/pki/apiserver.crt"
    info = facts["m2"].files[path]
    facts["m2"].files[path] = FileInfo(path, 0o644, info.user, info.group, info.kind)
    assert only(target, facts, "1.1.20") == {"m2": [f"{path} is 0644"]}


def test_the_encryption_flag_removed_from_the_running_unit_fails_1_2_27(
    deployed: tuple[Target, dict[str, HostFacts]],
) -> None:
    target, facts = deployed
    del facts["m3"].processes["kube-apiserver"].flags["--encryption-provider-config"]
    assert only(target, facts, "1.2.27") == {"m3": ["--encryption-provider-config=(unset)"]}


def test_a_stale_encryption_configuration_fails_1_2_28(
    deployed: tuple[Target, dict[str, HostFacts]],
) -> None:
    target, facts = deployed
    facts["m1"].sha256[target.cluster.security.encryption_config] = "0" * 64
    hosts = only(target, facts, "1.2.28")
    assert list(hosts) == ["m1"]
    assert "differs from the controller's keyring" in hosts["m1"][0]


@pytest.mark.parametrize(
    ("unit", "flag", "value", "item"),
    [
        ("kube-apiserver", "--anonymous-auth", "true", "1.2.1"),
        ("kube-apiserver", "--tls-cipher-suites", "TLS_RSA_WITH_3DES_EDE_CBC_SHA", "1.2.29"),
        ("kube-apiserver", "--authorization-mode", "Node,RBAC,AlwaysAllow", "1.2.6"),
        ("kube-apiserver", "--token-auth-file", "/etc/tokens.csv", "1.2.2"),
        ("kube-apiserver", "--audit-log-maxage", "7", "1.2.17"),
        ("kube-controller-manager", "--terminated-pod-gc-threshold", "12500", "1.3.1"),
        ("kube-controller-manager", "--bind-address", "0.0.0.0", "1.3.7"),  # noqa: S104 - a value to refuse
        ("kube-scheduler", "--profiling", "true", "1.4.1"),
    ],
)
def test_one_flag_changed_on_one_master_fails_its_row(
    deployed: tuple[Target, dict[str, HostFacts]], unit: str, flag: str, value: str, item: str
) -> None:
    target, facts = deployed
    facts["m2"].processes[unit].flags[flag] = value
    assert only(target, facts, item) == {"m2": [f"{flag}={value}"]}


def test_etcd_running_as_root_and_owning_nothing_fails_1_1_12(
    deployed: tuple[Target, dict[str, HostFacts]],
) -> None:
    target, facts = deployed
    member = target.etcd_members[0].name
    facts[member].processes["etcd"].user = "root"
    data = target.cluster.etcd.data_dir
    facts[member].files[data] = FileInfo(data, 0o700, "root", "root", "d")
    assert only(target, facts, "1.1.12") == {member: [f"{data} is root:root", "etcd runs as root"]}


def test_etcd_with_weak_ciphers_fails_its_hatool_row(
    deployed: tuple[Target, dict[str, HostFacts]],
) -> None:
    target, facts = deployed
    member = target.etcd_members[-1].name
    del facts[member].processes["etcd"].flags["--cipher-suites"]
    found = failed(target, facts)
    assert found == {"hatool etcd: TLS 1.2 minimum and strong cipher suites only":
                     {member: ["--cipher-suites=(unset)"]}}  # fmt: skip


def test_the_ca_key_on_a_master_fails_its_row(
    deployed: tuple[Target, dict[str, HostFacts]],
) -> None:
    target, facts = deployed
    key = "/etc/kubernetes/pki/ca.key"
    facts["m1"].files[key] = FileInfo(key, 0o600, "root", "root", "f")
    assert failed(target, facts) == {
        "hatool cluster CA key only on the controller (unless the CSR signer is on)":
        {"m1": [f"{key} is on the host"]}
    }  # fmt: skip


def test_an_unreachable_host_fails_one_row_and_is_named_in_the_others(
    deployed: tuple[Target, dict[str, HostFacts]],
) -> None:
    target, facts = deployed
    facts["m3"] = HostFacts("m3", reached=False, error="ssh: timed out")
    assert failed(target, facts) == {
        "CIS probe reached every master and etcd member over SSH": {"m3": ["ssh: timed out"]}
    }
    row = rows(target, facts)["1.2.27 --encryption-provider-config, the file 600 root:root"]
    assert row.data["skipped"] == {"m3": ["not reached"]}
    assert "m3" not in row.data["hosts"]


def test_a_stopped_service_is_left_to_its_own_row(
    deployed: tuple[Target, dict[str, HostFacts]],
) -> None:
    """As for the election flags: "leader and standbys active" reports a stopped scheduler."""
    target, facts = deployed
    del facts["m1"].processes["kube-scheduler"]
    assert failed(target, facts) == {}
    row = rows(target, facts)["1.4.2 kube-scheduler --bind-address=127.0.0.1"]
    assert row.detail == "holds on m2, m3; not judged: m1 (kube-scheduler is not running)"


def test_a_stopped_service_does_not_hide_what_else_is_wrong(
    deployed: tuple[Target, dict[str, HostFacts]],
) -> None:
    target, facts = deployed
    member = target.etcd_members[0].name
    del facts[member].processes["etcd"]
    data = target.cluster.etcd.data_dir
    facts[member].files[data] = FileInfo(data, 0o700, "root", "root", "d")
    assert only(target, facts, "1.1.12") == {
        member: [f"{data} is root:root", "etcd is not running"]
    }


def test_deny_service_external_ips_is_not_asked_of_v1_20(tmp_path: Path) -> None:
    folder = controller(tmp_path)
    old = target_of(model({"kube_version": "v1.20.2"}), str(folder.parent.parent))
    new = target_of(model({"kube_version": "v1.31.4"}), str(folder.parent.parent))
    row = next(i for i in cis.ITEMS if i.id == "1.2.3")
    assert row.note is not None
    assert "not applicable" in row.note(old.cluster)
    facts = healthy(old, "m1")
    assert row.judge(facts, old.cluster) == []
    facts_new = healthy(new, "m1")
    assert row.judge(facts_new, new.cluster) == []
    plugins = facts_new.processes["kube-apiserver"].flags
    plugins["--enable-admission-plugins"] = "NodeRestriction"
    assert row.judge(facts_new, new.cluster) == ["--enable-admission-plugins=NodeRestriction"]


def test_v1_35_is_judged_by_its_authentication_configuration(tmp_path: Path) -> None:
    folder = controller(tmp_path)
    target = target_of(model({"kube_version": "v1.35.0"}), str(folder.parent.parent))
    facts = healthy(target, "m1")
    row = next(i for i in cis.ITEMS if i.id == "1.2.1")
    path = target.cluster.security.authentication_config
    del facts.files[path]
    assert row.judge(facts, target.cluster) == [f"{path} is missing"]
    facts.files[path] = FileInfo(path, 0o600, "root", "root", "f")
    assert row.judge(facts, target.cluster) == []
    facts.processes["kube-apiserver"].flags["--anonymous-auth"] = "true"
    assert row.judge(facts, target.cluster) == ["--anonymous-auth=true"]


# -- the probe script and its output ---------------------------------------------------------


def test_the_probe_output_is_read_back() -> None:
    output = "\n".join([
        "==unit kube-apiserver",
        "==user root",
        "/usr/local/bin/kube-apiserver",
        "--anonymous-auth=false",
        "--profiling=false",
        "--enable-bootstrap-token-auth",
        "",
        "==unit etcd",
        "==files",
        "700 root root d /etc/kubernetes/pki",
        "600 root root f /etc/kubernetes/pki/ca.crt",
        "644 root root f /etc/kubernetes/pki/with space.crt",
        "==sha256",
        "abc123  /etc/kubernetes/encryption-config.yaml",
    ])  # fmt: skip
    facts = parse("m1", output)
    api = facts.process("kube-apiserver")
    assert api is not None
    assert api.user == "root"
    assert api.flags == {"--anonymous-auth": "false", "--profiling": "false",
                         "--enable-bootstrap-token-auth": "true"}  # fmt: skip
    assert facts.process("etcd") is None  # no ==user line: not running
    assert facts.files["/etc/kubernetes/pki/with space.crt"].mode == 0o644
    assert [i.path for i in facts.under("/etc/kubernetes/pki", ".crt")] == [
        "/etc/kubernetes/pki/ca.crt", "/etc/kubernetes/pki/with space.crt",
    ]  # fmt: skip
    assert len(facts.under("/etc/kubernetes/pki")) == 3  # the folder itself too
    assert facts.sha256 == {"/etc/kubernetes/encryption-config.yaml": "abc123"}


def test_the_probe_script_asks_for_modes_and_hashes_never_contents() -> None:
    text = script(Ask(("etcd",), ("/etc/etcd/pki",), ("/var/lib/etcd",),
                      ("/etc/etcd/pki/ca.crt",), (("kube-controller-manager", "--root-ca-file"),)))  # fmt: skip
    assert "cat " not in text
    assert "/proc/$pid/cmdline" in text
    assert "sha256sum /etc/etcd/pki/ca.crt" in text
    assert "find /etc/etcd/pki -xdev -printf" in text


def test_what_each_host_is_asked(tmp_path: Path) -> None:
    folder = controller(tmp_path)
    target = target_of(model(topology="external"), str(folder.parent.parent))
    master = cis.ask_for(target, target.masters[0])
    member = cis.ask_for(target, target.etcd_members[0])
    assert master.units == ("kube-apiserver", "kube-controller-manager", "kube-scheduler")
    assert member.units == ("etcd",)
    assert "/etc/kubernetes/encryption-config.yaml" in master.hashes
    assert "/var/lib/etcd" in member.paths


# -- rows about the running cluster and the controller -------------------------------------------


def cluster_of(kube_version: str) -> Cluster:
    return target_of(model({"kube_version": kube_version})).cluster


@pytest.mark.parametrize(
    ("version", "namespaces", "anonymous", "client", "ok"),
    [
        ("v1.20.2", 401, (401, "Unauthorized"), (200, "ok"), True),
        ("v1.20.2", 200, (401, "Unauthorized"), (200, "ok"), False),  # anonymous list served
        ("v1.20.2", 401, (401, ""), (0, "timed out"), False),  # /readyz not served at all
        ("v1.35.0", 403, (200, "ok"), (200, "ok"), True),
        ("v1.35.0", 401, (401, ""), (200, "ok"), False),  # health endpoints shut to anonymous
    ],
)
def test_anonymous_requests_on_the_wire(
    version: str, namespaces: int, anonymous: tuple[int, str], client: tuple[int, str], ok: bool
) -> None:
    row = cis.anonymous_row(
        cluster_of(version), "lb (127.0.9.4:6443)", namespaces, anonymous, client
    )
    assert row.ok is ok
    assert row.name.startswith("1.2.1 ")
    assert f"HTTP {namespaces}" in row.detail


def test_a_secret_is_judged_by_its_raw_prefix_in_etcd() -> None:
    raw = b"k8s:enc:aescbc:v1:key-1:\x8b\x01\x00secret-bytes"
    prefix = cis.printable_prefix(raw)
    assert prefix == "k8s:enc:aescbc:v1:key-1:"
    good = cis.at_rest_row(prefix, "key-1")
    assert good.ok
    assert good.data["key"] == "key-1"
    assert not cis.at_rest_row(prefix, "key-2").ok  # an old key still writes
    plain = cis.printable_prefix(b"k8s\x00\n\x0c\n\x02v1\x12\x06Secret")
    assert not cis.at_rest_row(plain, "key-1").ok
    assert not cis.at_rest_row("", "key-1", "etcdctl get on a member failed").ok


def test_admins_in_system_masters_are_caught() -> None:
    good = cis.bindings_row(
        {"admin.crt": ("hatool:cluster-admins",), "apiserver-kubelet-client.crt": ("x",)},
        {"hatool:cluster-admins": True, "hatool:kubelet-api-admins": True},
    )
    assert good.ok
    bad = cis.bindings_row({"admin.crt": ("system:masters",)}, {"hatool:cluster-admins": False})
    assert not bad.ok
    assert bad.detail == (
        "admin.crt is in system:masters; ClusterRoleBinding hatool:cluster-admins missing or changed"
    )


def test_the_controller_rows(tmp_path: Path) -> None:
    folder = controller(tmp_path)
    cluster = target_of(model(), str(folder.parent.parent)).cluster
    assert all(c.ok for c in cis.controller_rows(cluster))
    (folder / "admin.conf").chmod(0o644)
    (folder / "encryption" / "keyring.json").chmod(0o640)
    found = {c.name: c for c in cis.controller_rows(cluster) if not c.ok}
    assert set(found) == {
        "1.1.13 admin.conf and super-admin.conf 600, on the controller",
        "hatool cluster folder 700, its keys 600, on the controller",
    }
    assert (
        "admin.conf is 0644"
        in found["1.1.13 admin.conf and super-admin.conf 600, on the controller"].detail
    )
    assert os.getuid() >= 0
