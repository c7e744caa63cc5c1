"""Per-host smoke (issue 14): one boot-and-attach case per KVM host and per vSphere cluster of every zone, the id
naming zone and host; the paths behind them run at once in a bounded pool (steps/hosts.py, proven on the lab)."""

from __future__ import annotations

from fuel_health.pytest_plugin import ostf
from fuel_health.steps import hosts
from tests.unit.test_zone_cases import _four_zones, cases, collected


def test_each_host_and_cluster_of_every_zone_has_its_own_smoke_case(dual_raw, write_config):
    ids = collected(write_config(_four_zones(dual_raw)))

    assert cases(ids, "test_kvm_instance_with_volume_on_host") == {"nova:node-2", "nova:node-6.domain.tld",
                                                                   "kvm_b:node-7"}
    assert cases(ids, "test_vcenter_instance_with_volume_on_cluster") == {"vcenter:vmcluster1", "vc_west:west1",
                                                                          "vc_west:west2"}


def test_the_one_plus_one_cloud_has_one_case_per_hypervisor(dual_raw, write_config):
    ids = collected(write_config(dual_raw))

    assert cases(ids, "test_kvm_instance_with_volume_on_host") == {"nova:node-2"}
    assert cases(ids, "test_vcenter_instance_with_volume_on_cluster") == {"vcenter:vmcluster1"}


def test_a_zone_without_listed_hosts_fails_naming_what_is_missing(dual_raw, write_config):
    dual_raw["hypervisors"]["kvm"] = [{"zone": "nova", "hosts": []}]
    ids = collected(write_config(dual_raw))

    # The [none] case fails at run time with the reason (params.NothingToCheck): never a silent pass.
    assert cases(ids, "test_kvm_instance_with_volume_on_host") == {"none"}


def test_the_pin_is_zone_colon_nova_compute_host(dual_raw):
    from fuel_health import config

    cfg = config.build(_four_zones(dual_raw))
    assert [hosts.pin(c) for _, c in hosts.kvm_hosts(cfg)] == ["nova:node-2", "nova:node-6.domain.tld",
                                                               "kvm_b:node-7"]
    # A vSphere cluster's nova-compute registers as <az_name>-<service_name> (docs/checks.md).
    assert [hosts.pin(c) for _, c in hosts.vcenter_clusters(cfg)] == ["vcenter:vcenter-vmcluster1",
                                                                      "vc_west:vc_west-west1", "vc_west:vc_west-west2"]


def test_the_per_host_checks_have_as_many_steps_as_their_paths():
    metas = {m.id.rsplit(".", 1)[1]: m for m in ostf.discover()}
    for name in ("test_kvm_instance_with_volume_on_host", "test_vcenter_instance_with_volume_on_cluster"):
        assert len(metas[name].steps) == hosts.STEPS, name


def test_a_paths_calls_and_waits_count_to_its_own_case():
    from fuel_health.clients import metrics

    other = metrics.Tally()
    other.calls["POST :8774"] += 2
    other.http_s = 0.5
    other.polls.waits, other.polls.polls, other.polls.gaps = 1, 3, [0.1]
    with metrics.tally() as case:
        case.calls["GET :8774"] += 1
        metrics.merge(other)
        metrics.merge(case)  # its own tally: never counted twice
    assert dict(case.calls) == {"GET :8774": 1, "POST :8774": 2}
    assert (case.http_s, case.polls.waits, case.polls.polls, case.polls.gaps) == (0.5, 1, 3, [0.1])


def test_the_pool_leaves_the_project_quota_room_for_the_case_beside_it():
    # The 2x2+4 lab with a pool of 8: 3 servers of the cross-zone checks + 8 pinned boots passed nova's default
    # 10 instances, and its conductor set a healthy cluster's boot ERROR ("Quota exceeded for instances").
    assert hosts.fit(8, hosts.room(10, 3), hosts.room(10, 2)) == 6
    assert hosts.fit(8, hosts.room(-1, 30), hosts.room(None, None)) == 8  # unlimited or not reported
    assert hosts.fit(4, hosts.room(10, 0), hosts.room(100, 0)) == 4
    assert hosts.fit(8, hosts.room(10, 10), hosts.room(10, 0)) == 1  # full: the case fails naming the quota
