"""fixtures/ is data only, complete for both roles, and its pieces agree with each other and with the lab."""

from __future__ import annotations

import yaml

from fuel_health import fuel_data
from system_tests.helpers import vmware
from system_tests.helpers.local import LocalDeployment


def test_fixtures_hold_no_code():
    kinds = {p.suffix for p in fuel_data.FIXTURES.rglob("*") if p.is_file()}
    assert kinds <= {".yaml", ".conf", ".md"}, kinds
    for path in fuel_data.FIXTURES.rglob("*.yaml"):
        assert yaml.safe_load(path.read_text()) is not None, path


def test_vcenter_roles_carry_fuels_metadata():
    meta = fuel_data.roles_metadata()
    assert meta["aliases"] == {"compute-vmware": "vcenter-compute", "cinder-vmware": "cinder-vmdk"}
    for name in ("vcenter-compute", "cinder-vmdk"):
        role = fuel_data.role(name)
        assert role["name"] and role["description"] and role["notes"]["seed_blueprint"], name
        assert role["volumes"] == ["os"], name
        assert "conflicts" not in role and "restrictions" not in role, "rules live in fixtures/releases"
    assert fuel_data.role("cinder-vmdk")["ha"] == {"min_nodes": 2, "identical_host": True}


def test_every_release_file_cites_upstream_and_says_what_changes_after_deployment():
    """Each role names its line in fuel-web <tag>:nailgun/nailgun/fixtures/openstack.yaml (checked against the
    mirror once by hand: docs/system-tests.md); conflicts name only roles the release has."""
    for release in fuel_data.releases():
        text = (fuel_data.FIXTURES / "releases" / f"{release}.yaml").read_text()
        assert f"fuel-web {release}:nailgun/nailgun/fixtures/openstack.yaml" in text.splitlines()[0]
        rules = fuel_data.release_rules(release)
        assert rules["release"] == release and rules["modes"] == ["ha_compact"]
        for name, meta in rules["roles"].items():
            assert str(meta["source"]).startswith("OS:"), (release, name)
            listed = meta.get("conflicts") or []
            assert listed == "*" or set(listed) <= set(rules["roles"]), (release, name)
        after = rules["after_deploy"]
        assert {"unlocked_statuses", "attributes_when_locked", "vmware_when_locked"} <= set(after)
        assert rules["scenario"]["path"] in ("grow_later", "vcenter_first")
    assert [r for r in fuel_data.releases() if "nova_network" in fuel_data.release_rules(r)["net_providers"]] == [
        "6.1", "7.0"]
    assert "compute-vmware" not in fuel_data.release_rules("6.1")["roles"]


def test_kvm_only_plus_the_scale_steps_is_the_dual_hv_template():
    nodes, settings = fuel_data.nodes_of(fuel_data.cluster_template("kvm_only")), {}
    base = fuel_data.cluster_template("kvm_only")["settings"]
    for step in ("add_vcenter_compute", "add_cinder_vmdk_ha"):
        data = fuel_data.scale_step(step)
        nodes |= fuel_data.nodes_of(data)
        settings = fuel_data.merge_settings(settings, data["settings"])
    dual = fuel_data.cluster_template("dual_hv")

    def canonical(n: dict[str, list[str]]) -> dict[str, list[str]]:
        return {k: [fuel_data.canonical_role(r) for r in v] for k, v in n.items()}

    assert canonical(nodes) == canonical(fuel_data.nodes_of(dual))
    assert fuel_data.merge_settings(base, settings) == dual["settings"]


def test_the_vmware_example_is_what_the_local_backend_sends(lab):
    example = fuel_data.load("examples/vmware_attributes_add_vcenter_compute.yaml")
    local = LocalDeployment(lab=lab)
    step = fuel_data.scale_step("add_vcenter_compute")

    sent = vmware.attributes(local.vcenter_values(), local.hostname(step["target_node"]), step["vmware_attributes"])

    assert sent == example
    assert example["availability_zones"][0]["vcenter_password"] == "{{generated}}"
    vmware.validate(example, ["node-4"])
