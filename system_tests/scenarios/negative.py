"""Negative cases: assignments the release forbids (fixtures/releases/<release>.yaml) are refused before
anything is deployed."""

from __future__ import annotations

from fuel_health import fuel_data
from system_tests.proboscis_compat import test
from system_tests.scenarios.base import collect_diagnostics, deployment, expect_refused


@test(groups=["dual_hv", "negative", "vcenter_compute_with_compute_refused"], depends_on_groups=["deploy_kvm"])
@collect_diagnostics
def vcenter_compute_with_compute_refused() -> None:
    """vcenter-compute on a node with compute is refused before deploy, and the cluster is unchanged.

    Scenario:
        1. Revert snapshot deploy_kvm when the backend has it (nothing below changes the cluster)
        2. Ask for a new node slave-04 with compute and vcenter-compute: refused
        3. Ask for compute-vmware on slave-02, a deployed compute: refused
        4. Check that no node's roles changed and nothing is pending
    """
    d = deployment()
    d.revert_snapshot("deploy_kvm")
    before = d.node_roles()
    # 6.1 has no compute-vmware at all (its Nailgun would drop it silently): that is the refusal there.
    why = ("does not exist in Fuel 6.1" if fuel_data.release_role(d.release, "compute-vmware") is None
           else "cannot be combined with compute")
    expect_refused(lambda: d.add_nodes({"slave-04": ["compute", "vcenter-compute"]}),
                   why, "compute + vcenter-compute on a new node")
    expect_refused(lambda: d.add_nodes({"slave-02": ["compute-vmware"]}),
                   why, "compute-vmware on the compute node slave-02")
    after = d.node_roles()
    assert after == before, f"a refused assignment changed the cluster: {before} -> {after}"
