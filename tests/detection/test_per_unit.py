"""Per unit on a multi-vCenter cloud (issue 14), on the running multi_vc lab (`make test-multi-vc`).

Operators run health checks to find the one broken host. Each row breaks one unit of the multi_vc lab: a KVM
compute host, one vSphere cluster's nova-compute, or a whole vCenter zone's vCenter. Then it proves:
- the cases of that unit fail, naming it;
- every failing case names the unit (or its zone, for zone-level cases);
- every case of every other host, cluster and zone that ran PASSED (a skip is no proof: it fails the row;
  only a case of the unit itself may be skipped, when it needs the unit's shared resource);
- nothing the run made is left behind.
"""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from cloud import connect, named
from suite_run import run_suite

from devops_envs.local.lab import Lab

TIMEOUTS = [f"--config-set=timeouts.{k}=40" for k in ("boot", "volume", "attach", "delete")]


@dataclass(frozen=True)
class Unit:
    service: str  # the lab service the row stops ("<node>.<service>", as `status` lists it)
    names: tuple[str, ...]  # what a failing case's id must contain (the unit, or its zone for zone-level cases)
    fails: frozenset[str]  # the cases that must fail
    says: str  # what each of their messages must name (the host, the cluster's nova-compute host, the zone)
    select: str | None  # a -k expression: the checks the unit can touch, and their twins of the other units


PER_HOST = ("test_kvm_nova_compute_up or test_vcenter_nova_compute_up or test_kvm_instance_with_volume_on_host "
            "or test_vcenter_instance_with_volume_on_cluster or test_kvm_hypervisor_type "
            "or test_vcenter_hypervisor_type")
UNITS = {
    # The second KVM host: the first one (node-2) and every vSphere cluster must still pass.
    "kvm-host-node-7": Unit("node-7.nova-compute", ("nova:node-7", "[nova]"), frozenset({
        "sanity.test_nova_compute.test_kvm_nova_compute_up[nova:node-7]",
        "smoke.kvm.test_instance_per_host.test_kvm_instance_with_volume_on_host[nova:node-7]"}), "node-7", PER_HOST),
    # One of vcenter2's two clusters: its sibling ClusterA and the first zone's Cluster1 must still pass.
    "vsphere-cluster-vmclusterb": Unit("node-9.nova-compute", ("vcenter2:vmclusterb", "[vcenter2]"), frozenset({
        "sanity.test_nova_compute.test_vcenter_nova_compute_up[vcenter2:vmclusterb]",
        "smoke.vcenter.test_instance_per_cluster.test_vcenter_instance_with_volume_on_cluster[vcenter2:vmclusterb]"}),
        "vcenter2-vmclusterb", PER_HOST),
    # A whole vCenter zone's vCenter: the whole suite runs; the first vCenter zone and the KVM zone must pass.
    "vcenter2-down": Unit("vcenter-vcenter2.vcsim", ("vcenter2",), frozenset({
        "tests_platform.test_vcenter_login.test_vcenter_login[vcenter2]",
        "smoke.vcenter.test_instance_volume.test_vcenter_instance_with_volume[vcenter2]",
        "tests_platform.test_vcenter_clusters.test_vcenter_cluster[vcenter2:ClusterA]",
        "tests_platform.test_vcenter_clusters.test_vcenter_cluster[vcenter2:ClusterB]",
        "smoke.vcenter.test_instance_per_cluster.test_vcenter_instance_with_volume_on_cluster[vcenter2:vmclustera]",
        "smoke.vcenter.test_instance_per_cluster.test_vcenter_instance_with_volume_on_cluster[vcenter2:vmclusterb]"}),
        "vcenter2", None),
}


@pytest.fixture(scope="module")
def multi_vc_lab(lab: Lab) -> Lab:
    topo = lab.topology()
    assert topo is not None and topo.name == "multi_vc", (
        f"the lab runs {topo.name if topo else 'nothing'}: run `python -m devops_envs.local up --topology multi_vc`")
    return lab


@pytest.mark.multi_vc
@pytest.mark.parametrize("unit", list(UNITS))
def test_a_broken_unit_fails_only_its_own_cases(multi_vc_lab, tmp_path, unit):
    spec = UNITS[unit]
    lab = multi_vc_lab
    with lab.unit_stopped(spec.service):
        run = run_suite(tmp_path, "-n", "2", *TIMEOUTS, *(["-k", spec.select] if spec.select else []))
    assert run.results, f"no results: {run.output[-1500:]}"
    missed = spec.fails - run.failed
    assert not missed, f"{unit}: these did not fail: {sorted(missed)}"
    elsewhere = sorted(t for t in run.failed if not any(n in t for n in spec.names))
    assert not elsewhere, f"{unit}: failures outside the broken unit: {elsewhere}"
    for tid in spec.fails:
        assert spec.says in run.results[tid].text, f"{tid} does not name {spec.says}: {run.results[tid].message[:300]}"
    # A case that needs the unit's shared resource (e.g. a zone's shared instance) may be skipped with it; any
    # other skip is no proof that the unit left it alone.
    skipped = sorted(t for t in run.with_status("skipped") if not any(n in t for n in spec.names))
    assert not skipped, f"{unit}: skipped outside the broken unit, no proof it left them alone: {skipped}"
    assert named(connect(lab), f"ostf-{run.run_id}-") == [], "the run left resources behind"
