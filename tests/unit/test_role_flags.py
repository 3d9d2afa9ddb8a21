"""Every flag the unit templates render, for every supported release, exists in that release.

The templates are rendered in-process with Ansible's own templating, the
roles' defaults and vars, and the cluster fact that the first play sets;
the flag lists in tests/data/flags/ are the components' ``--help`` (v1.20,
from the binaries) and the reference pages of later releases. kube-scheduler
has no v1.35 page: v1.36's stands in. The v1.35 kube-controller-manager list
is partial (some --concurrent-* rows are missing); hatool renders none of those.
"""

from __future__ import annotations

import pytest
import yaml
from ansible.template import trust_as_template

from hatool.cluster.model import Cluster
from hatool.paths import PROJECT_ROOT
from hatool.versions import SUPPORTED
from tests.helpers.inventories import cluster_of, model
from tests.helpers.render import ROLES, render, render_text, role_variables

FLAGS = PROJECT_ROOT / "tests" / "data" / "flags"
LIST_FOR = {"kube-scheduler": {"v1.35": "v1.36"}}
#: Deprecated flags rendered on purpose, and why.
DELIBERATELY_DEPRECATED = {
    # Before v1.24 this is the only way to switch off the plain-HTTP port.
    ("kube-controller-manager", "--port"),
    ("kube-scheduler", "--port"),
    # Deprecated in favour of a KubeSchedulerConfiguration file (--config) but
    # honoured by every supported release; the leader-election flags beside
    # them are not deprecated. Moving to --config is a planned change.
    ("kube-scheduler", "--kubeconfig"),
    ("kube-scheduler", "--profiling"),
}

UNITS = {
    "kube-apiserver": ("kube_apiserver", "kube-apiserver.service.j2"),
    "kube-controller-manager": ("kube_controller_manager", "kube-controller-manager.service.j2"),
    "kube-scheduler": ("kube_scheduler", "kube-scheduler.service.j2"),
    "etcd": ("etcd", "etcd.service.j2"),
}


def cluster(kube_version: str = "v1.20.2", **extra: object) -> Cluster:
    """A stacked cluster of masters m1-m3 on 127.0.9.x, as the roles are handed it."""
    return cluster_of(model({"kube_version": kube_version, **extra}))


def exec_flags(unit: str) -> list[str]:
    joined = unit.replace("\\\n", " ")
    exec_line = next(line for line in joined.splitlines() if line.startswith("ExecStart="))
    return [word.split("=", 1)[0] for word in exec_line.split() if word.startswith("--")]


def reference(component: str, version: str) -> dict[str, bool]:
    """Flag -> deprecated, from the list for ``component`` at ``version``."""
    name = f"etcd-{version}" if component == "etcd" else f"{component}-{version}"
    flags = {}
    for line in (FLAGS / f"{name}.txt").read_text().splitlines():
        if line.startswith("--"):
            flag, _, note = line.partition(" ")
            flags[flag] = "deprecated" in note
    return flags


CASES = [
    (component, kube_version)
    for component in UNITS
    for kube_version in (f"{minor}.0" for minor in SUPPORTED)
]


@pytest.mark.parametrize(("component", "kube_version"), CASES)
def test_rendered_flags_exist_and_are_not_deprecated(component: str, kube_version: str) -> None:
    role, template = UNITS[component]
    unit = render(role, template, cluster(kube_version))
    flags = exec_flags(unit)
    assert len(flags) >= 6, unit
    minor = kube_version.rsplit(".", 1)[0]
    if component == "etcd":
        version = SUPPORTED[minor].etcd_minor
    else:
        version = LIST_FOR.get(component, {}).get(minor, minor)
    known = reference(component, version)
    unknown = [f for f in flags if f not in known]
    assert unknown == [], f"{component} {kube_version}: not in the {version} list: {unknown}"
    deprecated = [f for f in flags if known[f] and (component, f) not in DELIBERATELY_DEPRECATED]
    assert deprecated == [], f"{component} {kube_version}: deprecated in {version}: {deprecated}"
    assert len(set(flags)) == len(flags), f"a flag is rendered twice: {flags}"


@pytest.mark.parametrize("component", ["kube-controller-manager", "kube-scheduler"])
def test_leader_election_flags_follow_the_inventory(component: str) -> None:
    role, template = UNITS[component]
    timings = {"leader_elect_lease_duration": "20s", "leader_elect_retry_period": "3s",
               f"{role}_leader_elect_renew_deadline": "12s"}  # fmt: skip
    unit = render(role, template, cluster(**timings))
    assert "--leader-elect=true" in unit
    assert "--leader-elect-lease-duration=20s" in unit
    assert "--leader-elect-renew-deadline=12s" in unit
    assert "--leader-elect-retry-period=3s" in unit
    assert "--bind-address=127.0.0.1" in unit
    assert "--profiling=false" in unit


@pytest.mark.parametrize(("kube_version", "has_port_flag"), [("v1.20.2", True), ("v1.31.4", False)])
def test_insecure_port_is_switched_off_only_where_the_flag_exists(
    kube_version: str, has_port_flag: bool
) -> None:
    for component in ("kube-controller-manager", "kube-scheduler"):
        role, template = UNITS[component]
        assert ("--port=0" in render(role, template, cluster(kube_version))) is has_port_flag


def test_a_stacked_api_server_uses_only_its_own_member_and_is_bound_to_it() -> None:
    unit = render("kube_apiserver", "kube-apiserver.service.j2", cluster())
    assert "--etcd-servers=https://127.0.0.1:2379 " in unit
    assert "BindsTo=etcd.service" in unit
    assert "After=etcd.service" in unit
    assert "WantedBy=multi-user.target etcd.service" in unit
    for flag in ("--authorization-mode=Node,RBAC", "--profiling=false", "--audit-log-path="):
        assert flag in unit


def test_an_external_etcd_api_server_uses_every_member_and_is_not_bound() -> None:
    external = cluster_of(model({"kube_version": "v1.20.2"}, topology="external"))
    unit = render("kube_apiserver", "kube-apiserver.service.j2", external)
    members = ",".join(m.client_url for m in external.etcd.members)
    assert f"--etcd-servers={members} " in unit
    assert len(external.etcd.members) == 3
    assert "BindsTo" not in unit
    assert "WantedBy=multi-user.target\n" in unit


def test_etcd_requires_client_certificates_on_both_sides() -> None:
    unit = render("etcd", "etcd.service.j2", cluster())
    assert "--client-cert-auth=true" in unit
    assert "--peer-client-cert-auth=true" in unit
    assert "EnvironmentFile=-/etc/etcd/etcd.env" in unit
    assert "--initial-cluster" not in unit  # in the environment file, written once


@pytest.mark.parametrize("minor", sorted(SUPPORTED))
def test_a_new_cluster_bootstraps_from_every_member(minor: str) -> None:
    # as service.yml writes it for a new cluster
    env = render(
        "etcd", "etcd.env.j2", cluster(f"{minor}.0"),
        __etcd_env_state="new", __etcd_env_cluster=trust_as_template("{{ hatool.etcd.initial_cluster }}"),
    )  # fmt: skip
    settings = dict(line.split("=", 1) for line in env.splitlines() if line.startswith("ETCD_"))
    assert settings == {
        "ETCD_INITIAL_CLUSTER_STATE": "new",
        "ETCD_INITIAL_CLUSTER_TOKEN": "hatool-etcd",
        "ETCD_INITIAL_CLUSTER": "m1=https://127.0.9.1:2380,m2=https://127.0.9.2:2380,"
        "m3=https://127.0.9.3:2380",
    }
    # Each variable is the environment form of a flag the etcd release has.
    flags = reference("etcd", SUPPORTED[minor].etcd_minor)
    for name in settings:
        flag = "--" + name.removeprefix("ETCD_").lower().replace("_", "-")
        assert flag in flags
        assert not flags[flag]


def test_every_template_starts_with_the_managed_header() -> None:
    templates = sorted(ROLES.glob("*/templates/*.j2"))
    assert templates
    for template in templates:
        first = template.read_text().splitlines()[0]
        assert first == "{{ ansible_managed | comment }}", template


# -- hardening (CIS Kubernetes Benchmark) ---------------------------------------------------


def running_flags(unit: str) -> dict[str, str]:
    joined = unit.replace("\\\n", " ")
    exec_line = next(line for line in joined.splitlines() if line.startswith("ExecStart="))
    pairs = (word.split("=", 1) for word in exec_line.split() if word.startswith("--"))
    return {pair[0]: pair[1] if len(pair) > 1 else "true" for pair in pairs}


@pytest.mark.parametrize("minor", sorted(SUPPORTED))
def test_the_api_server_is_hardened_on_every_release(minor: str) -> None:
    flags = running_flags(
        render("kube_apiserver", "kube-apiserver.service.j2", cluster(f"{minor}.0"))
    )
    assert flags["--encryption-provider-config"] == "/etc/kubernetes/encryption-config.yaml"
    assert flags["--kubelet-certificate-authority"] == "/etc/kubernetes/pki/ca.crt"
    assert flags["--tls-min-version"] == "VersionTLS12"
    suites = flags["--tls-cipher-suites"].split(",")
    assert len(suites) == 6
    assert all(s.startswith("TLS_ECDHE_") and ("GCM" in s or "CHACHA20" in s) for s in suites)
    assert "--token-auth-file" not in flags
    assert flags["--profiling"] == "false"


@pytest.mark.parametrize(
    ("minor", "anonymous_flag", "authentication_config"),
    [("v1.20", "false", False), ("v1.30", "false", False), ("v1.31", "false", False),
     ("v1.35", None, True)],
)  # fmt: skip
def test_anonymous_requests_reach_only_the_health_endpoints(
    minor: str, anonymous_flag: str | None, authentication_config: bool
) -> None:
    """--anonymous-auth=false up to v1.31; from v1.32 an AuthenticationConfiguration
    lets anonymous requests reach /livez, /readyz and /healthz only (the two exclude
    each other: the flag must not be set with the file)."""
    assert set(SUPPORTED) == {"v1.20", "v1.30", "v1.31", "v1.35"}  # a new line needs a row here
    flags = running_flags(
        render("kube_apiserver", "kube-apiserver.service.j2", cluster(f"{minor}.0"))
    )
    assert flags.get("--anonymous-auth") == anonymous_flag
    assert ("--authentication-config" in flags) is authentication_config
    if authentication_config:
        config = yaml.safe_load(
            render("kube_apiserver", "authentication-config.yaml.j2", cluster(f"{minor}.0"))
        )
        assert config["kind"] == "AuthenticationConfiguration"
        assert config["anonymous"] == {
            "enabled": True,
            "conditions": [{"path": "/livez"}, {"path": "/readyz"}, {"path": "/healthz"}],
        }
        assert flags["--authentication-config"] == "/etc/kubernetes/authentication-config.yaml"


@pytest.mark.parametrize(("minor", "deny"), [("v1.20", False), ("v1.30", True), ("v1.35", True)])
def test_deny_service_external_ips_where_the_release_has_it(minor: str, deny: bool) -> None:
    flags = running_flags(
        render("kube_apiserver", "kube-apiserver.service.j2", cluster(f"{minor}.0"))
    )
    plugins = flags["--enable-admission-plugins"].split(",")
    assert plugins[0] == "NodeRestriction"
    assert ("DenyServiceExternalIPs" in plugins) is deny


def test_an_operator_who_lists_deny_service_external_ips_gets_it_once() -> None:
    overrides = {"kube_apiserver_admission_plugins": ["NodeRestriction", "DenyServiceExternalIPs"]}
    unit = render(
        "kube_apiserver", "kube-apiserver.service.j2", cluster("v1.31.0"), overrides=overrides
    )
    assert (
        running_flags(unit)["--enable-admission-plugins"]
        == "NodeRestriction,DenyServiceExternalIPs"
    )


@pytest.mark.parametrize(
    ("minor", "tls_min"), [("v1.20", None), ("v1.30", "TLS1.2"), ("v1.35", "TLS1.2")]
)
def test_etcd_runs_as_its_user_with_strong_tls(minor: str, tls_min: str | None) -> None:
    unit = render("etcd", "etcd.service.j2", cluster(f"{minor}.0"))
    flags = running_flags(unit)
    assert flags.get("--tls-min-version") == tls_min  # etcd 3.4 has no flag: TLS 1.2 is built in
    api = running_flags(
        render("kube_apiserver", "kube-apiserver.service.j2", cluster(f"{minor}.0"))
    )
    assert flags["--cipher-suites"] == api["--tls-cipher-suites"]
    assert "\nUser=etcd\n" in unit
    assert "\nGroup=etcd\n" in unit
    assert "\nExecStartPre=+/bin/chown -R etcd:etcd /var/lib/etcd\n" in unit


def test_etcd_tls_min_version_follows_the_etcd_release_not_the_kubernetes_one() -> None:
    """--tls-min-version came to etcd in 3.5.8: an operator's older 3.5 release has none."""
    old = running_flags(
        render("etcd", "etcd.service.j2", cluster("v1.30.0", etcd_version="v3.5.7"))
    )
    assert "--tls-min-version" not in old
    new = running_flags(
        render("etcd", "etcd.service.j2", cluster("v1.30.0", etcd_version="v3.5.8"))
    )
    assert new["--tls-min-version"] == "TLS1.2"


@pytest.mark.parametrize("minor", sorted(SUPPORTED))
def test_the_controller_manager_signs_nothing_unless_asked(minor: str) -> None:
    kcm = ("kube_controller_manager", "kube-controller-manager.service.j2")
    flags = running_flags(render(*kcm, cluster(f"{minor}.0")))
    assert flags["--terminated-pod-gc-threshold"] == "1000"
    assert not [f for f in flags if f.startswith("--cluster-signing")]
    assert flags["--root-ca-file"] == "/etc/kubernetes/pki/ca.crt"
    signer = {"kube_controller_manager_csr_signer": True,
              "kube_controller_manager_terminated_pod_gc_threshold": 50}  # fmt: skip
    flags = running_flags(render(*kcm, cluster(f"{minor}.0", **signer), overrides=signer))
    assert flags["--cluster-signing-key-file"] == "/etc/kubernetes/pki/ca.key"
    assert flags["--cluster-signing-cert-file"] == "/etc/kubernetes/pki/ca.crt"
    assert flags["--terminated-pod-gc-threshold"] == "50"


def test_the_readiness_probe_presents_the_health_check_certificate() -> None:
    """Anonymous requests are refused: the roles' /readyz probe must authenticate."""
    variables = role_variables("kube_apiserver", cluster(), "m1")
    argv = render_text("{{ __kube_apiserver_readyz }}", variables)
    assert "load_cert_chain('/etc/kubernetes/pki/apiserver-healthcheck-client.crt'" in argv
    assert "/etc/kubernetes/pki" in argv
    assert "https://127.0.0.1:6443/readyz" in argv
