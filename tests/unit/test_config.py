"""ClusterConfig: loading, one-line errors naming the key, aliases, overrides, secrets."""

from __future__ import annotations

import dataclasses

import pytest
import yaml

from fuel_health import config
from fuel_health.config.secret import Secret


def test_dual_config_loads_with_vcenter_derived_from_vmware_attributes(dual_raw, write_config, vc_password):
    cfg = config.load_file(write_config(dual_raw))

    assert cfg.cluster.use_vcenter and cfg.cluster.nova_network_mode == "single_host"
    # The zone now also says what it holds: the KVM zone its compute hosts, the vCenter zone its vCenter.
    assert cfg.zone("kvm") == config.Zone("kvm", "nova", "TestVM", "m1.tiny", hosts=("node-2",))
    vc = cfg.vcenter
    assert cfg.zone("vcenter") == config.Zone("vcenter", "vcenter", "TestVM-VMDK", "m1.tiny", vcenter=vc)
    assert cfg.zones == (cfg.zone("kvm"), cfg.zone("vcenter"))
    assert (vc.host, vc.port, vc.username, vc.insecure, vc.datacenter) == (
        "127.0.0.1", 18990, "administrator@vsphere.local", True, "Datacenter")
    assert vc.password.reveal() == vc_password
    assert vc.nova_computes == (config.NovaCompute("Cluster1", "vmcluster1", "^datastore.*", "node-4"),)
    assert vc.compute_host(vc.nova_computes[0]) == "vcenter-vmcluster1"
    assert cfg.cloud.kind == "clouds.yaml"


def test_role_aliases_are_normalised(dual_raw):
    cfg = config.build(dual_raw)

    assert cfg.node("node-4").roles == ("vcenter-compute",)
    assert cfg.node("node-5").roles == ("cinder-vmdk",)
    assert [n.name for n in cfg.nodes_with_role("compute-vmware")] == ["node-4"]
    assert [n.name for n in cfg.nodes_with_role("cinder-vmdk")] == ["node-5"]
    assert cfg.node("node-5").services == ("cinder-volume",)


def test_node_defaults(kvm_raw):
    kvm_raw["nodes"] = [{"name": "node-7", "roles": ["compute"]}]
    node = config.build(kvm_raw).node("node-7")
    assert (node.hostname, node.host, node.root) == ("node-7", "ssh://root@node-7", "/")


def test_vcenter_zone_defaults_to_az_name_never_to_a_hard_coded_name(dual_raw):
    dual_raw["vmware_attributes"]["availability_zones"][0]["az_name"] = "vc_east"

    cfg = config.build(dual_raw)

    assert cfg.zone("vcenter").zone == "vc_east"
    assert cfg.vcenter.az_name == "vc_east"


def test_tls_is_verified_unless_the_config_says_insecure(dual_raw):
    del dual_raw["vcenter"]["insecure"]
    assert config.build(dual_raw).vcenter.insecure is False


def test_config_is_frozen(dual_raw):
    cfg = config.build(dual_raw)
    with pytest.raises(dataclasses.FrozenInstanceError):
        cfg.resource_prefix = "other"  # type: ignore[misc]
    with pytest.raises(dataclasses.FrozenInstanceError):
        cfg.zones[0].zone = "other"  # type: ignore[misc]


def _drop(raw, *path):
    target = raw
    for key in path[:-1]:
        target = target[key]
    del target[path[-1]]


def _set(raw, value, *path):
    target = raw
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value


def _az(raw):
    return raw["vmware_attributes"]["availability_zones"][0]


ERRORS = [
    ("kvm zone missing", lambda r: _drop(r, "hypervisors", "kvm"),
     "hypervisors.kvm.zone: missing (set the KVM availability zone name; Fuel's is nova)"),
    ("kvm entry without a zone", lambda r: _set(r, {"image": "cirros"}, "hypervisors", "kvm"),
     "hypervisors.kvm.zone: missing (set the KVM availability zone name; Fuel's is nova)"),
    ("vcenter zone not in vmware_attributes", lambda r: _set(r, {"zone": "vc9"}, "hypervisors", "vcenter"),
     "hypervisors.vcenter.zone: 'vc9' is no az_name of vmware_attributes (there: vcenter)"),
    ("several vCenter zones, an entry naming none",
     lambda r: (r["vmware_attributes"]["availability_zones"].append(dict(_az(r), az_name="vc2")),
                _set(r, {"image": "TestVM-VMDK"}, "hypervisors", "vcenter")),
     "hypervisors.vcenter.zone: missing (vmware_attributes has several zones (vcenter, vc2): name the one this "
     "entry is for)"),
    ("vmware_attributes missing", lambda r: _drop(r, "vmware_attributes"),
     "vmware_attributes: missing (use_vcenter is true: give Fuel's vmware_attributes editable.value)"),
    ("same zone twice", lambda r: _set(r, {"zone": "vcenter"}, "hypervisors", "kvm"),
     "hypervisors.vcenter.zone: 'vcenter' is also the KVM zone "
     "(the two hypervisors need distinct availability zones)"),
    ("bad mode", lambda r: _set(r, "single", "cluster", "mode"),
     "cluster.mode: 'single' is not valid (one of multinode, ha, ha_compact, ha_full)"),
    ("use_vcenter not a bool", lambda r: _set(r, "maybe", "cluster", "use_vcenter"),
     "cluster.use_vcenter: expected true or false, got 'maybe'"),
    ("storage key missing", lambda r: _drop(r, "cluster", "storage", "volumes_ceph"),
     "cluster.storage.volumes_ceph: missing (true or false)"),
    ("unknown timeout", lambda r: _set(r, 5, "timeouts", "bot"),
     "timeouts.bot: unknown key (known: api, boot, volume, attach, delete, vcenter)"),
    ("negative timeout", lambda r: _set(r, -1, "timeouts", "boot"),
     "timeouts.boot: expected a positive number of seconds, got -1"),
    ("unknown role", lambda r: _set(r, ["compute-vmwar"], "nodes", 2, "roles"),
     "nodes[node-3].roles: node node-3 has unknown role 'compute-vmwar'"),
    ("target node unknown", lambda r: _set(r, {"current": {"id": "node-9"}}, "vmware_attributes",
                                           "availability_zones", 0, "nova_computes", 0, "target_node"),
     "vmware_attributes.availability_zones[0].nova_computes[0].target_node: 'node-9' is not a node"),
    ("target node without the role", lambda r: _set(r, "node-2", "vmware_attributes", "availability_zones", 0,
                                                    "nova_computes", 0, "target_node"),
     "vmware_attributes.availability_zones[0].nova_computes[0].target_node: node node-2 has no "
     "vcenter-compute role"),
    ("placeholder left", lambda r: _set(r, "{{vcenter_host}}", "vmware_attributes", "availability_zones", 0,
                                        "vcenter_host"),
     "vmware_attributes.availability_zones[0].vcenter_host: unfilled placeholder {{vcenter_host}}"),
    ("vcenter password missing", lambda r: _drop(_az(r), "vcenter_password"),
     "vmware_attributes.availability_zones[0].vcenter_password: missing (the vCenter password)"),
    ("prefix with a dash", lambda r: _set(r, "ostf-x", "resource_prefix"),
     "resource_prefix: 'ostf-x' is not valid"),
    ("name and auth", lambda r: _set(r, {"auth_url": "x"}, "cloud", "auth"),
     "cloud: both name and auth are set"),
    ("unknown section", lambda r: _set(r, {}, "hypervisor"), "hypervisor: unknown key"),
    ("console pattern not a regex", lambda r: _set(r, "login:(", "hypervisors", "kvm", "console_ready"),
     "hypervisors.kvm.console_ready: 'login:(' is not a regular expression"),
    ("duplicate node", lambda r: r["nodes"].append({"name": "node-1", "roles": ["compute"]}),
     "nodes[node-1].name: duplicate node name"),
]


@pytest.mark.parametrize(("mutate", "message"), [e[1:] for e in ERRORS], ids=[e[0] for e in ERRORS])
def test_wrong_or_missing_values_give_one_line_naming_the_key(dual_raw, mutate, message, vc_password):
    mutate(dual_raw)

    with pytest.raises(config.ConfigError) as err:
        config.build(dual_raw)

    assert str(err.value).startswith(message)
    assert "\n" not in str(err.value)
    assert vc_password not in str(err.value)


def test_kvm_only_cluster_needs_no_vcenter_section(kvm_raw):
    cfg = config.build(kvm_raw)
    assert cfg.vcenter is None and cfg.hypervisors.vcenter is None
    with pytest.raises(config.ConfigError, match=r"^hypervisors.vcenter: not configured"):
        cfg.zone("vcenter")


def test_auth_dict_gets_default_domains_and_a_secret_password(kvm_raw, os_password):
    auth = config.build(kvm_raw).cloud.auth
    assert auth["user_domain_name"] == "Default" and auth["project_domain_name"] == "Default"
    assert isinstance(auth["password"], Secret) and auth["password"].reveal() == os_password


def test_bad_yaml_is_one_line_with_the_line_number(tmp_path):
    path = tmp_path / "bad.yaml"
    path.write_text("cluster:\n  mode: [oops\n")
    with pytest.raises(config.ConfigError) as err:
        config.load_file(path)
    assert str(err.value).startswith(f"config: {path} line ")
    assert "\n" not in str(err.value)


def test_missing_file(tmp_path):
    with pytest.raises(config.ConfigError, match=r"^config: cannot read .*nope.yaml"):
        config.load_file(tmp_path / "nope.yaml")


# --- secrets ---


def test_secret_never_shows_its_value():
    s = Secret("hunter2")
    assert repr(s) == str(s) == f"{s}" == f"{s:>3}".strip() == "***"
    assert "hunter2" not in repr([s]) and "hunter2" not in "%s %r" % (s, s)  # noqa: UP031
    assert s == "hunter2" and s == Secret("hunter2") and s != "other"
    assert s.reveal() == "hunter2" and bool(s) and len(s) == 7


def test_secrets_are_masked_in_repr_and_show(dual_raw, kvm_raw, vc_password, os_password):
    for raw, password in ((dual_raw, vc_password), (kvm_raw, os_password)):
        cfg = config.build(raw)
        text = repr(cfg) + config.show(cfg) + str(cfg.to_dict())
        assert password not in text
        assert "***" in config.show(cfg)


# --- overrides ---


def test_apply_overrides_reads_yaml_scalars_and_validates_again(dual_raw):
    cfg = config.build(dual_raw)

    new = config.apply_overrides(cfg, {"timeouts.boot": "300", "vcenter.insecure": "false",
                                       "hypervisors.kvm.flavor": "m1.small"})

    assert new.timeouts.boot == 300.0 and new.vcenter.insecure is False and new.zone("kvm").flavor == "m1.small"
    assert cfg.timeouts.boot == 180.0  # the original is untouched
    with pytest.raises(config.ConfigError, match=r"^timeouts.boot: expected a positive number"):
        config.apply_overrides(cfg, {"timeouts.boot": "soon"})
    with pytest.raises(config.ConfigError, match=r"^nodes.node-1.host: cannot override inside a list"):
        config.apply_overrides(cfg, {"nodes.node-1.host": "x"})


def test_env_overrides_naming():
    env = {"FUEL_HEALTH_TIMEOUTS__BOOT": "300", "FUEL_HEALTH_HYPERVISORS__VCENTER__ZONE": "vc1",
           "FUEL_HEALTH_RESOURCE_PREFIX": "ci", "FUEL_HEALTH_CONFIG": "/x.yaml", "OTHER": "1"}
    assert config.env_overrides(env) == {"timeouts.boot": "300", "hypervisors.vcenter.zone": "vc1",
                                         "resource_prefix": "ci"}


def test_load_applies_env_then_cli_overrides(dual_raw, write_config):
    path = write_config(dual_raw)
    env = {"FUEL_HEALTH_CONFIG": str(path), "FUEL_HEALTH_TIMEOUTS__BOOT": "300", "FUEL_HEALTH_TIMEOUTS__API": "9"}

    cfg = config.load(environ=env, overrides=config.parse_assignments(["timeouts.boot=400"]))

    assert (cfg.timeouts.boot, cfg.timeouts.api) == (400.0, 9.0)


def test_load_finds_the_lab_file_and_says_when_there_is_none(dual_raw, tmp_path):
    with pytest.raises(config.NoConfigFound, match=r"^config: no cluster config found"):
        config.load(environ={"FUEL_LAB_HOME": str(tmp_path)})
    (tmp_path / "fuel-health.yaml").write_text(yaml.safe_dump(dual_raw))
    assert config.load(environ={"FUEL_LAB_HOME": str(tmp_path)}).cluster.name == "lab-dual_hv"


def test_bad_assignment():
    with pytest.raises(config.ConfigError, match=r"^--config-set: 'boot' is not key.path=value"):
        config.parse_assignments(["boot"])
