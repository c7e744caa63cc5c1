"""fixtures/ is data only, complete for both roles, and its pieces agree with each other and with the lab."""

from __future__ import annotations

import yaml

from system_tests.helpers import fixtures, vmware
from system_tests.helpers.local import LocalDeployment


def test_fixtures_hold_no_code():
    kinds = {p.suffix for p in fixtures.FIXTURES.rglob("*") if p.is_file()}
    assert kinds <= {".yaml", ".conf", ".md"}, kinds
    for path in fixtures.FIXTURES.rglob("*.yaml"):
        assert yaml.safe_load(path.read_text()) is not None, path


def test_vcenter_roles_carry_fuels_metadata():
    meta = fixtures.roles_metadata()
    assert meta["aliases"] == {"compute-vmware": "vcenter-compute", "cinder-vmware": "cinder-vmdk"}
    for name in ("vcenter-compute", "cinder-vmdk"):
        role = fixtures.role(name)
        assert role["name"] and role["description"] and role["conflicts"] and role["limits"], name
        assert role["volumes"] == ["os"], name
    network = [r for r in fixtures.role("vcenter-compute")["restrictions"] if "net_provider" in r["condition"]]
    assert network[0]["variant"] == "neutron_dvs"
    assert fixtures.role("cinder-vmdk")["ha"] == {"min_nodes": 2, "identical_host": True}


def test_kvm_only_plus_the_scale_steps_is_the_dual_hv_template():
    nodes, settings = fixtures.nodes_of(fixtures.cluster_template("kvm_only")), {}
    base = fixtures.cluster_template("kvm_only")["settings"]
    for step in ("add_vcenter_compute", "add_cinder_vmdk_ha"):
        data = fixtures.scale_step(step)
        nodes |= fixtures.nodes_of(data)
        settings = fixtures.merge_settings(settings, data["settings"])
    dual = fixtures.cluster_template("dual_hv")

    def canonical(n: dict[str, list[str]]) -> dict[str, list[str]]:
        return {k: [fixtures.canonical_role(r) for r in v] for k, v in n.items()}

    assert canonical(nodes) == canonical(fixtures.nodes_of(dual))
    assert fixtures.merge_settings(base, settings) == dual["settings"]


def test_the_vmware_example_is_what_the_local_backend_sends(lab):
    example = yaml.safe_load((fixtures.FIXTURES / "examples/vmware_attributes_add_vcenter_compute.yaml").read_text())
    local = LocalDeployment(lab=lab)
    step = fixtures.scale_step("add_vcenter_compute")

    sent = vmware.attributes(local.vcenter_values(), local.hostname(step["target_node"]), step["vmware_attributes"])

    assert sent == example
    assert example["availability_zones"][0]["vcenter_password"] == "{{generated}}"
    vmware.validate(example, ["node-4"])
