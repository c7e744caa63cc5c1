"""The suite's steps catch the faults they are named after, with messages that say what to fix.

The cloud is faked (plain objects shaped like openstacksdk's); the lab runs the healthy paths.
"""

from __future__ import annotations

from types import SimpleNamespace as NS

import pytest
import requests
from openstack import exceptions as os_exc

from fuel_health import config
from fuel_health.clients import waiters
from fuel_health.clients.context import RunContext, Shared
from fuel_health.clients.resources import Cleanup, ResourceNames
from fuel_health.pytest_plugin import params
from fuel_health.steps import compute, nodes, services, vcenter, volume


def http_error(cls, status, message):
    response = requests.Response()
    response.status_code, response._content = status, b""
    response.headers["x-openstack-request-id"] = "req-1"
    return cls(message=message, response=response)


def svc(host, zone, binary="nova-compute", status="enabled", state="up", reason=None):
    return NS(host=host, availability_zone=zone, binary=binary, status=status, state=state, disabled_reason=reason,
              updated_at="2026-11-21T20:00:00")


def hyp(name, host, kind, state="up", status="enabled"):
    return NS(name=name, hypervisor_type=kind, state=state, status=status, service_details={"host": host})


class FakeCompute:
    def __init__(self, services=(), aggregates=(), hypervisors=(), zones=("nova", "vcenter")):
        self._services, self._aggregates, self._hypervisors = list(services), list(aggregates), list(hypervisors)
        self._zones = zones
        self.servers: dict[str, NS] = {}
        self.attach_error: Exception | None = None
        self.attached: list[tuple[str, str]] = []
        self.calls: list[str] = []  # the listings asked for, in order

    def services(self, binary=None, host=None):
        # os-services filters by host and binary exactly as nova does (nova/api/openstack/compute/services.py:71-80).
        self.calls.append(f"services host={host}" if host else "services")
        return [s for s in self._services if binary in (None, s.binary) and host in (None, s.host)]

    def aggregates(self):
        self.calls.append("aggregates")
        return self._aggregates

    # Discovery as nova 2026.2 answers it (min 2.1, max 2.104: nova/api/openstack/api_version_request.py
    # _MAX_API_VERSION), for openstack.utils.supports_microversion.
    default_microversion = None

    def get_endpoint_data(self):
        return NS(min_microversion="2.1", max_microversion="2.104")

    def hypervisors(self, details=False, microversion=None):
        self.calls.append(f"hypervisors microversion={microversion}")
        return self._hypervisors

    def availability_zones(self):
        return [NS(name=z, state={"available": True}) for z in self._zones]

    def get_server(self, server_id):
        return self.servers[server_id]

    def create_volume_attachment(self, server_id, volume_id):
        if self.attach_error:
            raise self.attach_error
        self.attached.append((server_id, volume_id))


class FakeVolumes:
    def __init__(self, services=(), zones=("nova", "vcenter")):
        self._services, self._zones = list(services), zones
        self.volumes: dict[str, list[NS]] = {}  # id -> statuses to answer, the last one repeats

    def services(self, binary=None):
        return [s for s in self._services if binary in (None, s.binary)]

    def availability_zones(self):
        return [NS(name=z, state={"available": True}) for z in self._zones]

    def get_volume(self, volume_id):
        answers = self.volumes[volume_id]
        return answers.pop(0) if len(answers) > 1 else answers[0]


@pytest.fixture
def make_ctx(dual_raw):
    def make(compute_api=None, volume_api=None, si=None, raw=None):
        conn = NS(compute=compute_api or FakeCompute(), block_storage=volume_api or FakeVolumes())
        return RunContext(cfg=config.build(raw or dual_raw), tags=frozenset(), run_id="3fa2c01b",
                          names=ResourceNames("ostf", "3fa2c01b"), cleanup=Cleanup(), connect=lambda: conn,
                          connect_vcenter=lambda: si)
    return make


# --- services (sanity) ---


def test_a_down_or_disabled_nova_compute_fails_its_own_case_only(make_ctx):
    ctx = make_ctx(FakeCompute([svc("node-2", "nova", state="down"),
                                svc("node-7", "nova", status="disabled", reason="maintenance"),
                                svc("node-8", "nova")]))
    with pytest.raises(AssertionError) as err:
        services.check_compute_host(ctx, "nova", "node-2")
    assert str(err.value) == "zone nova: nova-compute on node-2 is down (last heartbeat 2026-11-21T20:00:00)"
    with pytest.raises(AssertionError, match=r"^zone nova: nova-compute on node-7 is disabled \(maintenance\)$"):
        services.check_compute_host(ctx, "nova", "node-7")
    assert services.check_compute_host(ctx, "nova", "node-8") == "nova-compute node-8 up in zone nova"
    # The zone's own case checks only the hosts the description does not list.
    assert services.check_other_computes(ctx, "nova", ["node-2", "node-7"]) == ["node-8"]


def test_n_host_cases_list_the_zone_once_and_each_host_by_itself(make_ctx):
    """Each host's case listed every nova-compute of the cloud and the zone's hosts again: 2N listings of the
    whole cloud for N hosts. Now: the zone once per run (the worker's cache), then one host-filtered answer each."""
    import dataclasses

    hosts = [f"node-{i}" for i in range(2, 7)]
    api = FakeCompute([svc(h, "nova") for h in hosts] + [svc("vcenter-vmcluster1", "vcenter")])
    ctx = make_ctx(api)
    for host in hosts:
        # a new context per case, as pytest makes one per test; the worker's cache is the same object
        case = dataclasses.replace(ctx, cleanup=Cleanup())
        assert services.check_compute_host(case, "nova", host) == f"nova-compute {host} up in zone nova"
    assert api.calls == ["services host=node-2", "aggregates", "services",
                         *(f"services host={h}" for h in hosts[1:])]


def test_the_zone_case_names_a_host_the_description_does_not_list(make_ctx):
    ctx = make_ctx(FakeCompute([svc("node-2", "nova"), svc("node-9", "nova", state="down")]))
    with pytest.raises(AssertionError, match=r"^zone nova: nova-compute on node-9 is down \(last heartbeat "
                                             r"2026-11-21T20:00:00\) \(a host the cluster description does not "
                                             r"list; listed: node-2\)$"):
        services.check_other_computes(ctx, "nova", ["node-2"])


def test_a_vcenter_compute_outside_its_zone_or_missing_is_named(make_ctx):
    ctx = make_ctx(FakeCompute([svc("vcenter-vmcluster1", "nova")]))
    with pytest.raises(AssertionError, match=r"nova-compute vcenter-vmcluster1 \(vSphere cluster Cluster1\) is in "
                                             r"zone nova, not vcenter \(add"):
        services.check_compute_host(ctx, "vcenter", "vcenter-vmcluster1", "Cluster1")
    with pytest.raises(AssertionError, match=r"^zone vcenter: no nova-compute registered as host vcenter-vmcluster2 "
                                             r"for vSphere cluster Cluster2 "):
        services.check_compute_host(ctx, "vcenter", "vcenter-vmcluster2", "Cluster2")
    ctx = make_ctx(FakeCompute([], aggregates=[NS(availability_zone="vcenter", hosts=["vcenter-vmcluster1"])]))
    with pytest.raises(AssertionError, match=r"host vcenter-vmcluster1 is in an aggregate of zone vcenter but no "
                                             r"nova-compute runs as vcenter-vmcluster1"):
        services.check_other_computes(ctx, "vcenter", [])


def test_an_empty_zone_fails_its_zone_case_when_it_lists_no_host(make_ctx):
    with pytest.raises(AssertionError, match=r"^zone nova: no compute host at all "):
        services.check_other_computes(make_ctx(FakeCompute()), "nova", [])
    # Listed hosts have their own cases, which fail for a host that is missing.
    assert services.check_other_computes(make_ctx(FakeCompute()), "nova", ["node-2"]) == []


def test_two_cinder_vmdk_hosts_break_ha(make_ctx):
    ctx = make_ctx(volume_api=FakeVolumes([svc("node-5@vmdk", "vcenter", "cinder-volume"),
                                           svc("node-6@vmdk", "vcenter", "cinder-volume")]))
    with pytest.raises(AssertionError, match=r"volume zone vcenter has 2 cinder-volume hosts \(node-5@vmdk, "
                                             r"node-6@vmdk\) for the 2 cinder-vmdk nodes node-5, node-6: they must "
                                             r"share one \[DEFAULT\] host"):
        services.check_one_volume_host(ctx, "vcenter", ["node-6", "node-5"])


def test_no_cinder_volume_in_a_zone_lists_the_zones_there_are(make_ctx):
    ctx = make_ctx(volume_api=FakeVolumes([svc("cinder-vmdk@vmdk", "vcenter-cinder", "cinder-volume")]))
    with pytest.raises(AssertionError, match=r"no cinder-volume in volume zone vcenter \(cinder-volume zones: "
                                             r"vcenter-cinder\)"):
        services.check_cinder_volume(ctx, "vcenter")


def test_a_kvm_host_reporting_another_hypervisor_type_is_flagged(make_ctx):
    ctx = make_ctx(FakeCompute(hypervisors=[hyp("node-2", "node-2", "VMware vCenter Server")]))
    with pytest.raises(AssertionError, match=r"host node-2 reports hypervisor node-2 of type VMware vCenter Server, "
                                             r"expected KVM or QEMU \(check compute_driver"):
        services.check_hypervisors(ctx, ctx.zone("kvm"), ["node-2"])
    with pytest.raises(AssertionError, match=r"^zone vcenter: host vcenter-vmcluster1 reports no hypervisor"):
        services.check_hypervisors(ctx, ctx.zone("vcenter"), ["vcenter-vmcluster1"])
    # Below 2.88, where nova-api does not ask each nova-compute its uptime (steps/compute.hypervisors).
    assert ctx.conn.compute.calls == ["hypervisors microversion=2.87"] * 2


def test_a_volume_zone_named_az_cinder_is_flagged(make_ctx):
    ctx = make_ctx(FakeCompute(zones=("nova", "vcenter")), FakeVolumes(zones=("nova", "vcenter-cinder")))
    services.check_zones_match(ctx, ctx.zone("kvm"))
    with pytest.raises(AssertionError) as err:
        services.check_zones_match(ctx, ctx.zone("vcenter"))
    assert str(err.value) == (
        "vcenter zone vcenter: no volume zone vcenter (volume zones: nova, vcenter-cinder); volume zone(s) "
        "vcenter-cinder match no compute zone: with [cinder] cross_az_attach = False no volume can be attached to "
        "instances of zone vcenter; set storage_availability_zone=vcenter on the cinder-vmdk nodes, or fix the "
        "zone's aggregate")


# --- compute and volume (smoke) ---


def server(status="ACTIVE", zone="nova", host="node-2", hv="node-2", sid="s1", task=None, fault=None):
    return NS(id=sid, name="ostf-3fa2c01b-main-server-1", status=status, availability_zone=zone, compute_host=host,
              hypervisor_hostname=hv, task_state=task, fault=fault)


def test_an_instance_on_the_wrong_hypervisor_type_is_flagged(make_ctx):
    api = FakeCompute(hypervisors=[hyp("node-2", "node-2", "VMware vCenter Server")])
    api.servers["s1"] = server()
    with pytest.raises(AssertionError, match=r"landed on hypervisor node-2 of type VMware vCenter Server \(compute "
                                             r"host node-2\), expected KVM or QEMU"):
        compute.check_hypervisor(make_ctx(api), api.servers["s1"], make_ctx(api).zone("kvm"))


def test_a_vmdk_image_active_on_qemu_fails_and_only_no_valid_host_passes(make_ctx):
    api = FakeCompute(hypervisors=[hyp("node-2", "node-2", "QEMU")])
    ctx = make_ctx(api)
    api.servers["s1"] = server()
    with pytest.raises(AssertionError, match=r"went ACTIVE in zone nova on hypervisor node-2 \(QEMU, host node-2\): "
                                             r"the scheduler does not check the image's hypervisor_type"):
        compute.check_scheduler_refused(ctx, compute.BootOutcome(api.servers["s1"], None), "kvm", "TestVM-VMDK")
    failed = server(status="ERROR", host=None, hv=None, fault={"message": "No valid host was found. "})
    assert compute.check_scheduler_refused(ctx, compute.BootOutcome(failed, None), "kvm", "TestVM-VMDK") == \
        "ERROR: No valid host was found.  (the scheduler refused it: no valid host for hypervisor_type=vmware)"


def test_a_vmdk_boot_that_fails_for_another_reason_is_not_a_pass(make_ctx):
    # The old check counted any 4xx and any non-ACTIVE state as "refused": a dead KVM zone passed.
    ctx = make_ctx(FakeCompute())
    quota = http_error(os_exc.ForbiddenException, 403, "Quota exceeded for instances")
    with pytest.raises(AssertionError, match=r"nova-api refused to boot x in zone nova before any scheduling: HTTP "
                                             r"403 Quota exceeded"):
        compute.check_scheduler_refused(ctx, compute.BootOutcome(None, quota), "kvm", "x")
    broken = server(status="ERROR", fault={"message": "Build of instance aborted: Failed to allocate the network"})
    with pytest.raises(AssertionError, match=r"ended ERROR with fault 'Build of instance aborted.*not the "
                                             r"scheduler's 'No valid host was found'"):
        compute.check_scheduler_refused(ctx, compute.BootOutcome(broken, None), "kvm", "x")
    stuck = server(status="BUILD")
    with pytest.raises(AssertionError, match=r"ended BUILD"):
        compute.check_scheduler_refused(ctx, compute.BootOutcome(stuck, None), "kvm", "x")


def test_a_kvm_zone_without_a_usable_compute_cannot_judge_a_refusal(make_ctx):
    ctx = make_ctx(FakeCompute([svc("node-2", "nova", state="down")], hypervisors=[hyp("node-2", "node-2", "QEMU")]))
    with pytest.raises(AssertionError, match=r"zone nova has no usable KVM/QEMU compute \(nova-compute on node-2 is "
                                             r"down .*\): a refused boot there would prove nothing"):
        services.check_zone_usable(ctx, "kvm")
    ctx = make_ctx(FakeCompute([svc("node-2", "nova")], hypervisors=[hyp("node-2", "node-2", "QEMU")]))
    assert services.check_zone_usable(ctx, "kvm") == ["node-2"]


class SchedulingCompute(FakeCompute):
    """nova booting in the KVM zone (one QEMU host, node-2) that has room for `room` more instances.

    An image with hypervisor_type=vmware never gets the host (ImagePropertiesFilter); neither does any image
    once the room is gone. Both end ERROR with the same fault: nova's NoValidHost ("No valid host was found.
    %(reason)s", nova/exception.py:1360) with the one reason the scheduler gives for any cause
    (nova/scheduler/manager.py:571).
    """

    IMAGES = {"TestVM": NS(id="img-qcow2", status="active", hypervisor_type=None),
              "TestVM-VMDK": NS(id="img-vmdk", status="active", hypervisor_type="vmware")}

    def __init__(self, room: int) -> None:
        super().__init__([svc("node-2", "nova")], hypervisors=[hyp("node-2", "node-2", "QEMU")])
        self.room = room
        self.booted: list[str] = []  # image ids in boot order

    def find_image(self, name, ignore_missing=True):
        return self.IMAGES[name]

    def find_flavor(self, name, ignore_missing=True):
        return NS(id="1", name=name)

    def create_server(self, name, image_id, flavor_id, networks, availability_zone):
        sid = f"s{len(self.servers) + 1}"
        self.booted.append(image_id)
        if image_id == "img-vmdk" or self.room == 0:
            self.servers[sid] = server(status="ERROR", host=None, hv=None, sid=sid, fault={
                "code": 500, "message": "No valid host was found. There are not enough hosts available."})
        else:
            self.room -= 1
            self.servers[sid] = server(sid=sid)
        return self.servers[sid]


def run_vmdk_in_kvm_check(api: SchedulingCompute, dual_raw) -> None:
    from fuel_health.pytest_plugin import ostf
    from fuel_health.tests.smoke.cross_zone import test_vmdk_image_in_kvm_zone as check

    conn = NS(compute=api, block_storage=FakeVolumes(), image=api)
    ctx = RunContext(cfg=config.build(dual_raw), tags=frozenset(), run_id="3fa2c01b",
                     names=ResourceNames("ostf", "3fa2c01b"), cleanup=Cleanup(), connect=lambda: conn,
                     connect_vcenter=lambda: None)
    func = check.test_vmdk_image_not_run_by_kvm
    func(ctx, ostf.StepRunner(ostf.meta_of(func)))


def test_a_full_kvm_zone_is_not_taken_for_the_refusal_of_the_vmdk_image(dual_raw):
    # The old check passed here: any NoValidHost counted, and a full zone refuses every image with it.
    full = SchedulingCompute(room=0)
    with pytest.raises(AssertionError, match=r"Step 4 failed: .*zone nova cannot take an instance of flavor m1.tiny "
                                             r"at all: the control boot of zone nova's own image TestVM .*refused "
                                             r"too \(No valid host was found.*the zone's capacity, not "
                                             r"hypervisor_type=vmware"):
        run_vmdk_in_kvm_check(full, dual_raw)
    # Room for one: the VMDK image is refused first, then the control takes the room (booted after, never before).
    room = SchedulingCompute(room=1)
    run_vmdk_in_kvm_check(room, dual_raw)
    assert room.booted == ["img-vmdk", "img-qcow2"] and room.servers["s2"].status == "ACTIVE"


def test_no_boot_in_the_vcenter_zone_while_vcenter_is_down(make_ctx):
    # It booted anyway: the instance went to ERROR and could not be deleted either (a cleanup error on a random test).
    import dataclasses

    api = FakeCompute()
    api.create_server = lambda **kw: pytest.fail("booted although vCenter is down")
    ctx = dataclasses.replace(make_ctx(api), down={"vcenter:vcenter": "vCenter at 127.0.0.1:18990 is unreachable"})
    with pytest.raises(AssertionError, match=r"^vCenter at 127.0.0.1:18990 is unreachable: an instance in zone "
                                             r"vcenter can be neither built nor deleted"):
        compute.boot(ctx, ctx.zone("vcenter"))


def two_vcenter_zones(raw):
    """dual_raw plus a second vCenter zone, vcenter2, with its own vCenter (port 18991) and cluster."""
    raw["vmware_attributes"]["availability_zones"].append({
        "az_name": "vcenter2", "vcenter_host": "127.0.0.1", "vcenter_username": "ops", "vcenter_password": "x",
        "nova_computes": [{"vsphere_cluster": "West1", "service_name": "west1", "datastore_regex": "",
                           "target_node": {"current": {"id": "node-4"}}}]})
    raw["hypervisors"]["vcenter"] = [{"zone": "vcenter"}, {"zone": "vcenter2", "port": 18991}]
    return raw


def test_the_guard_takes_each_vcenter_zones_own_endpoint(make_ctx, dual_raw):
    """vcenter2's vCenter down: nothing is created in vcenter2 (a volume there could never be deleted), while the
    first vCenter zone and the KVM zone, their endpoints up, still create. The guard read only the first zone's."""
    import dataclasses

    made: list[str] = []
    api = FakeCompute()
    api.create_server = lambda **kw: pytest.fail("booted in vcenter2 although its vCenter is down")
    volumes = FakeVolumes()
    volumes.create_volume = lambda **kw: made.append(f"volume {kw['availability_zone']}") or pytest.fail("stop here")
    down = {"vcenter:vcenter2": "vCenter at 127.0.0.1:18991 is unreachable: Connection refused"}
    ctx = dataclasses.replace(make_ctx(api, volumes, raw=two_vcenter_zones(dual_raw)), down=down)
    second = ctx.cfg.zone_named("vcenter2")

    with pytest.raises(AssertionError, match=r"^vCenter at 127.0.0.1:18991 is unreachable: Connection refused: an "
                                             r"instance in zone vcenter2 can be neither built nor deleted without "
                                             r"it, so none is booted$"):
        compute.boot(ctx, second)
    with pytest.raises(AssertionError, match=r"^vCenter at 127.0.0.1:18991 .*: a volume in zone vcenter2 can be "
                                             r"neither built nor deleted without it, so none is created$"):
        volume.create(ctx, second)
    assert made == []
    for zone in (ctx.zone("vcenter"), ctx.zone("kvm")):  # their endpoints are up: the guard lets them through
        compute.check_zone_endpoint(ctx, zone)
        with pytest.raises(pytest.fail.Exception, match="stop here"):
            volume.create(ctx, zone)
    assert made == ["volume vcenter", "volume nova"]


def test_a_namesake_hypervisor_on_another_host_or_without_service_is_not_the_servers(make_ctx):
    namesake = hyp("node-2", "node-9", "QEMU")
    bare = NS(name="node-2", hypervisor_type="QEMU", state="up", status="enabled", service_details=None)
    api = FakeCompute(hypervisors=[namesake, bare])
    api.servers["s1"] = server()
    with pytest.raises(AssertionError, match=r"runs on hypervisor node-2 \(compute host node-2\), which is not in the "
                                             r"hypervisor list on that host \(found: node-2 on node-9, node-2 on no "
                                             r"host\)"):
        compute.hypervisor_of(make_ctx(api), api.servers["s1"])
    # The same for the sanity check: a hypervisor without service details is on no host.
    with pytest.raises(AssertionError, match=r"host node-2 reports no hypervisor"):
        ctx = make_ctx(FakeCompute(hypervisors=[bare]))
        services.check_hypervisors(ctx, ctx.zone("kvm"), ["node-2"])


def test_a_kvm_compute_node_of_the_config_that_never_registered_fails(make_ctx, dual_raw):
    # The cloud knows only node-2; the config also lists node-7 as a compute node. Old: hosts came from the cloud.
    dual_raw["nodes"].append({"name": "node-7", "roles": ["compute"], "host": "local://"})
    ctx = make_ctx(FakeCompute([svc("node-2", "nova")], hypervisors=[hyp("node-2", "node-2", "QEMU")]), raw=dual_raw)
    assert services.hypervisor_hosts(ctx, ctx.zone("kvm")) == {"node-2", "node-7"}
    with pytest.raises(AssertionError, match=r"^zone nova: no nova-compute registered as host node-7 "):
        services.check_compute_host(ctx, "nova", "node-7")
    with pytest.raises(AssertionError, match=r"^zone nova: host node-7 reports no hypervisor"):
        services.check_hypervisors(ctx, ctx.zone("kvm"), services.hypervisor_hosts(ctx, ctx.zone("kvm")))


def vol(status="available", zone="nova", attachments=(), vid="v1"):
    return NS(id=vid, name="ostf-3fa2c01b-main-volume-1", status=status, availability_zone=zone,
              attachments=list(attachments))


def test_an_accepted_cross_zone_attach_fails_and_is_undone(make_ctx):
    api = FakeCompute()
    ctx = make_ctx(api)
    with pytest.raises(AssertionError, match=r"was accepted .*set \[cinder\] cross_az_attach = False in nova.conf"):
        volume.check_attach_refused(ctx, server(zone="vcenter"), vol(zone="nova"))
    assert api.attached == [("s1", "v1")]
    assert ctx.cleanup.pending() == ["detach volume ostf-3fa2c01b-main-volume-1 (v1) from server "
                                     "ostf-3fa2c01b-main-server-1 (s1)"]


def test_a_refusal_for_another_reason_is_not_the_cross_zone_refusal(make_ctx):
    api = FakeCompute()
    api.attach_error = http_error(os_exc.HttpException, 409, "Volume v1 is not available")
    with pytest.raises(AssertionError, match=r"failed, but not with the cross-zone refusal: HTTP 409 Volume v1 is "
                                             r"not available \(request id req-1\)"):
        volume.check_attach_refused(make_ctx(api), server(zone="vcenter"), vol())
    api.attach_error = http_error(os_exc.BadRequestException, 400,
                                  "Invalid volume: Instance s1 and volume v1 are not in the same availability_zone")
    assert volume.check_attach_refused(make_ctx(api), server(zone="vcenter"), vol()) is api.attach_error
    api.attach_error = http_error(os_exc.BadRequestException, 400,  # Kilo's wording
                                  "Invalid volume: Instance and volume not in same availability_zone")
    assert volume.check_attach_refused(make_ctx(api), server(zone="vcenter"), vol()) is api.attach_error


def test_an_attach_that_nova_rolls_back_fails_fast(make_ctx, monkeypatch):
    monkeypatch.setattr(compute, "action_error", lambda ctx, srv, action: "nova action attach_volume req-1: "
                                                                          "compute_attach_volume failed: boom")
    volumes = FakeVolumes()
    volumes.volumes["v1"] = [vol("reserved"), vol("attaching"), vol("available")]
    ctx = make_ctx(volume_api=volumes)
    with pytest.raises(AssertionError, match=r"went to available while waiting for in-use .*; nova action "
                                             r"attach_volume req-1: compute_attach_volume failed: boom; see "
                                             r"nova-compute's log on host node-2"):
        volume.attach(ctx, server(), vol())


def test_cinder_and_nova_must_agree_on_the_attachment(make_ctx):
    volumes = FakeVolumes()
    volumes.volumes["v1"] = [vol("in-use", attachments=[{"server_id": "s1"}])]
    api = FakeCompute()
    api.volume_attachments = lambda server_id: []
    with pytest.raises(AssertionError, match=r"nova lists no volumes for it: nova and cinder disagree"):
        volume.check_attached(make_ctx(api, volumes), vol(), server())


def test_a_refused_attach_must_leave_no_attachment_in_cinder_or_nova(make_ctx):
    # The old step read only the volume's status: `available` with a stray attachment passed.
    volumes = FakeVolumes()
    volumes.volumes["v1"] = [vol("available", attachments=[{"server_id": "s1"}])]
    api = FakeCompute()
    api.volume_attachments = lambda server_id: []
    with pytest.raises(AssertionError, match=r"is available, but cinder lists attachments to s1 after a refused"):
        volume.check_unattached_everywhere(make_ctx(api, volumes), vol(), server())
    volumes.volumes["v1"] = [vol("available")]
    api.volume_attachments = lambda server_id: [NS(volume_id="v1")]
    with pytest.raises(AssertionError, match=r"is available, but nova lists it among the volumes of server "):
        volume.check_unattached_everywhere(make_ctx(api, volumes), vol(), server())
    api.volume_attachments = lambda server_id: []
    assert volume.check_unattached_everywhere(make_ctx(api, volumes), vol(), server()).status == "available"


def test_a_server_nova_gives_up_deleting_fails_fast(make_ctx):
    api = FakeCompute()
    api.delete_server = lambda server_id: None
    api.servers["s1"] = server(status="ERROR", task=None, fault={"message": "disk busy", "code": 500})
    with pytest.raises(waiters.ResourceFailed, match=r"went to delete-failed while being deleted \(fault: disk busy"):
        compute.delete(make_ctx(api), server())


# --- shared resources ---


def test_a_shared_resource_that_failed_skips_the_later_users(make_ctx):
    shared = Shared(make_ctx())

    def boom(ctx):
        raise AssertionError("server went to ERROR\nmore")

    with pytest.raises(AssertionError):
        shared.get("vcenter server", boom)
    with pytest.raises(pytest.skip.Exception, match=r"needs the shared vcenter server, which could not be made "
                                                    r"earlier in this run: server went to ERROR$"):
        shared.get("vcenter server", boom)
    assert shared.get("kvm server", lambda ctx: 42) == 42 == shared.get("kvm server", boom)


# --- configuration (nodes) ---


@pytest.fixture
def node_files(dual_raw, tmp_path, make_ctx):
    """Write config files under per-node roots; return (ctx, write)."""
    for n in dual_raw["nodes"]:
        n.update(root=str(tmp_path / n["name"]), host="local://")
    ctx = make_ctx(raw=dual_raw)

    def write(node, path, text):
        f = tmp_path / node / path.lstrip("/")
        f.parent.mkdir(parents=True, exist_ok=True)
        f.write_text(text)

    return ctx, write


def test_cross_az_attach_in_default_or_missing_counts_as_on(node_files):
    ctx, write = node_files
    write("node-1", nodes.NOVA_CONF, "[DEFAULT]\ncross_az_attach = False\n[cinder]\nos_region_name = R\n")
    with pytest.raises(AssertionError, match=r"^node-1: nova-api: \[cinder\] cross_az_attach is not set \(nova's "
                                             r"default is True\)"):
        nodes.check_cross_az_attach_off({"nova-api": nodes.read(ctx, ctx.cfg.node("node-1"), nodes.NOVA_CONF)})
    write("node-1", nodes.NOVA_CONF, "[cinder]\ncross_az_attach = false\n")
    nodes.check_cross_az_attach_off(nodes.nova_configs(ctx, ctx.cfg.node("node-1")))


def test_a_later_file_wins_and_is_named(node_files):
    ctx, write = node_files
    write("node-4", nodes.NOVA_CONF, "[DEFAULT]\nhost = vcenter-vmcluster1\n")
    write("node-4", nodes.NOVA_COMPUTE_CONF, "[DEFAULT]\nhost = node-4\n")
    nc = ctx.cfg.vcenter.nova_computes[0]
    conf = nodes.nova_compute_config(ctx, ctx.cfg.node("node-4"), nc)
    with pytest.raises(AssertionError, match=r"^node-4 \(/etc/nova/nova.conf \+ /etc/nova/nova-compute.conf\): "
                                             r"\[DEFAULT\] host is 'node-4' \(in /etc/nova/nova-compute.conf\), "
                                             r"expected 'vcenter-vmcluster1'"):
        nodes.check_vcenter_compute_host(ctx.cfg.vcenter, nc, conf)


def test_cinder_vmdk_host_unset_on_one_node(node_files, dual_raw):
    ctx, write = node_files
    write("node-5", nodes.CINDER_CONF, "[DEFAULT]\nhost = cinder-vmdk-vcenter\n")
    write("node-5", nodes.CINDER_VMDK_CONF, "[DEFAULT]\nhost = other\n")
    configs = [nodes.cinder_config(ctx, ctx.cfg.node("node-5"), "cinder-vmdk")]
    assert nodes.check_same_host(configs) == "node-5: other"
    write("node-4", nodes.CINDER_CONF, "[DEFAULT]\n")
    configs.append(nodes.cinder_config(ctx, ctx.cfg.node("node-4"), "cinder-vmdk"))
    with pytest.raises(AssertionError, match=r"node-5: other, node-4: not set \(defaults to its hostname\)"):
        nodes.check_same_host(configs)


def test_volume_zone_checks_the_backend_zone_too(node_files):
    ctx, write = node_files
    write("node-5", nodes.CINDER_CONF, "[DEFAULT]\nstorage_availability_zone = vcenter\nenabled_backends = vmdk\n"
                                       "[vmdk]\nvolume_driver = x.Other\nbackend_availability_zone = vcenter-cinder\n")
    (_, backend), = [b for b in nodes.volume_nodes(ctx.cfg) if b[1].role == "cinder-vmdk"]
    conf = nodes.cinder_config(ctx, backend.node, backend.role, backend.zones[0])
    with pytest.raises(AssertionError, match=r"\[vmdk\] backend_availability_zone = vcenter-cinder "
                                             r"\(/etc/cinder/cinder.conf\), expected vcenter \(the nova zone this "
                                             r"cinder-vmdk serves\)"):
        nodes.check_volume_zone(conf, backend)
    with pytest.raises(AssertionError, match=r"\[vmdk\] volume_driver is 'x.Other'"):
        nodes.check_vmdk_driver(conf)


def test_libvirt_type_defaults_to_kvm(node_files):
    ctx, write = node_files  # the sample cluster says qemu
    write("node-2", nodes.NOVA_CONF, "[DEFAULT]\ncompute_driver = libvirt.LibvirtDriver\n")
    with pytest.raises(AssertionError, match=r"virt_type is kvm \(not set, default\), expected qemu"):
        nodes.check_libvirt_type(ctx, nodes.nova_compute_config(ctx, ctx.cfg.node("node-2")))


def test_a_missing_main_config_file_names_node_and_path(node_files):
    ctx, _ = node_files
    with pytest.raises(AssertionError, match=r"^node-3: /etc/cinder/cinder.conf not found \(looked at .*node-3/etc/"):
        nodes.cinder_config(ctx, ctx.cfg.node("node-3"), "cinder")


@pytest.mark.parametrize(("output", "where"), [
    ("resource p_x is running on: node-1.test.domain.local\n", ["node-1.test.domain.local"]),
    ("resource p_x is NOT running\n", []),
    ("resource p_x is running on: node-1\nresource p_x is running on: node-2\n", ["node-1", "node-2"]),
])
def test_crm_resource_locate_output(output, where):
    assert nodes.parse_locate(output) == where


def test_a_vcenter_compute_running_twice_or_nowhere_fails(make_ctx, dual_raw):
    dual_raw["nodes"].append({"name": "node-9", "roles": ["controller"], "host": "local://"})
    ctx = make_ctx(raw=dual_raw)
    with pytest.raises(AssertionError, match=r"runs on 2 nodes \(node-1, node-9\).*two nova-computes drive one"):
        nodes.check_runs_once(ctx, "p_nova_compute_vmware_vcenter-vmcluster1", ["node-1", "node-9"])
    with pytest.raises(AssertionError, match=r"runs on 0 nodes \(none\).*has no nova-compute"):
        nodes.check_runs_once(ctx, "p_x", [])
    with pytest.raises(AssertionError, match=r"runs on node-2, which is not a controller"):
        nodes.check_runs_once(ctx, "p_x", ["node-2"])
    assert nodes.check_runs_once(ctx, "p_x", ["node-9.domain.tld"]) == "p_x on node-9.domain.tld"


def test_parameter_sources_follow_the_config(make_ctx, dual_raw):
    cfg = make_ctx().cfg
    assert [i for i, _ in nodes.running("nova-api", "nova-compute")(cfg)] == ["node-1", "node-2", "node-4"]
    assert [i for i, _ in nodes.vcenter_computes(cfg)] == ["vcenter:vmcluster1@node-4"]
    assert [i for i, _ in nodes.volume_nodes(cfg)] == ["node-3-cinder", "vcenter:node-5-cinder-vmdk"]
    assert nodes.controller_computes(cfg) == []
    dual_raw["vmware_attributes"]["availability_zones"][0]["nova_computes"][0]["target_node"] = "controllers"
    cfg = make_ctx(raw=dual_raw).cfg
    assert [i for i, _ in nodes.vcenter_computes(cfg)] == ["vcenter:vmcluster1@node-1"]
    assert [i for i, _ in nodes.controller_computes(cfg)] == ["vcenter:vmcluster1"]


def test_nothing_to_parametrize_is_one_failing_case_not_a_skip(make_ctx):
    # The old `[none]` case was skipped: a cluster whose config lists no such node still exited 0.
    calls = []
    meta = NS(definition=NS(iter_markers=lambda name: [NS(args=("node", lambda cfg: []), kwargs={"what": "x"})]),
              parametrize=lambda *a, **kw: calls.append((a, kw)))
    params.parametrize(meta, make_ctx().cfg)
    (argname, values), kw = calls[0]
    assert argname == "node" and kw == {"ids": ["none"]}
    assert isinstance(values[0], params.NothingToCheck)
    assert values[0].reason.startswith("nothing to check: the cluster config lists no x, though this check applies")
    assert params.nothing_to_check(NS(callspec=NS(params={"node": values[0]}))) == values[0].reason


# --- vCenter (tests_platform) ---


def test_no_datastore_with_room_is_flagged(make_ctx):
    ctx = make_ctx()
    nc = ctx.cfg.vcenter.nova_computes[0]  # datastore_regex ^datastore.*
    full = NS(name="datastore1", summary=NS(accessible=True, freeSpace=10 * 1024**2))
    other = NS(name="LocalDS_0", summary=NS(accessible=True, freeSpace=100 * 1024**3))
    cluster = NS(name="Cluster1", datastore=[full, other])
    with pytest.raises(AssertionError, match=r"no datastore of cluster Cluster1 matching '\^datastore\.\*' is "
                                             r"accessible with 1 GiB free \(datastore1 0.0 GiB free\)"):
        vcenter.check_datastores(ctx, cluster, nc)


def test_a_vm_in_another_cluster_or_powered_off_is_flagged(make_ctx):
    ctx = make_ctx()
    vm = NS(name="s1", config=NS(instanceUuid="s1"),
            runtime=NS(host=NS(name="esx1", parent=NS(name="Cluster2")), powerState="poweredOn"))
    with pytest.raises(AssertionError, match=r"^VM s1 is in Cluster2, not in cluster Cluster1"):
        vcenter.check_vm_in_cluster(ctx, vm, "Cluster1")
    vm.runtime = NS(host=NS(name="esx1", parent=NS(name="Cluster1")), powerState="poweredOff")
    with pytest.raises(AssertionError, match=r"is poweredOff though nova says the instance is ACTIVE"):
        vcenter.check_vm_in_cluster(ctx, vm, "Cluster1")


def test_a_volume_missing_from_the_vm_disks_is_flagged(make_ctx):
    from pyVmomi import vim

    disk = vim.vm.device.VirtualDisk(key=2000, backing=vim.vm.device.VirtualDisk.FlatVer2BackingInfo(
        uuid="root-disk", fileName="[datastore1] s1/s1.vmdk", diskMode="persistent"))
    vm = NS(name="s1", config=NS(instanceUuid="s1", hardware=NS(device=[disk])))
    with pytest.raises(AssertionError, match=r"VM s1 has no disk for volume .* \(v1\) \(its 1 disk\(s\) have uuids "
                                             r"root-disk\)"):
        vcenter.check_disk_attached(make_ctx(), vm, vol())


class ScriptedConsole:
    """nova's os-getConsoleOutput over time: each call returns the next (growing) log, then the last."""

    def __init__(self, *logs: str) -> None:
        self.logs = list(logs)

    def get_server_console_output(self, server_id):
        return {"output": self.logs.pop(0) if len(self.logs) > 1 else self.logs[0]}


def console_ctx(*logs: str) -> NS:
    zone = NS(console_ready="TESTVM READY", console_disks="TESTVM DISKS:", image="TestVM")
    return NS(conn=NS(compute=ScriptedConsole(*logs)), timeouts=NS(boot=1, attach=1), zone=lambda hv: zone)


def test_the_boot_time_disk_list_is_not_taken_for_an_attached_disk():
    """The marker can be read before the guest's first disk line: that line must not pass as the new disk."""
    from fuel_health.steps import console

    booting = "TESTVM READY\n"
    booted = booting + "TESTVM DISKS: vda \n"
    ctx = console_ctx(booting, booting, booted)  # the disk line comes a poll after the marker
    after = console.check_booted(ctx, NS(id="s1", name="x"))
    assert after == len(booted)
    with pytest.raises(AssertionError, match="never saw a disk added"):
        console.wait_disks(ctx, NS(id="s1", name="x"), after, "added", NS(id="v1"))

    ctx = console_ctx(booted + "TESTVM DISKS: vda vdb \n")
    assert console.wait_disks(ctx, NS(id="s1", name="x"), len(booted), "added", NS(id="v1"))[0] == ["vda", "vdb"]


def test_the_cinder_vmdk_queue_must_be_consumed_by_the_pair_and_only_by_it():
    from fuel_health.steps import ha

    pair = [NS(name="node-5"), NS(name="node-6")]
    queue = "cinder-volume.cinder-vmdk@vmdk"
    assert ha.check_every_node_consumes(queue, {"node-5": {11}, "node-6": {12}}, [], pair)
    with pytest.raises(AssertionError, match="node-6: no cinder-volume consumes"):
        ha.check_every_node_consumes(queue, {"node-5": {11, 13}}, [], pair)  # one node, two consumers
    with pytest.raises(AssertionError, match="also consumed by cinder-volume on node-3, which is not a cinder-vmdk"):
        ha.check_every_node_consumes(queue, {"node-5": {11}, "node-6": {12}, "node-3": {9}}, [], pair)
    with pytest.raises(AssertionError, match="no cinder-volume of node-5, node-6"):
        ha.check_every_node_consumes(queue, {"node-5": {11}, "node-6": {12}}, [("10.0.0.9", 40000)], pair)
    with pytest.raises(AssertionError, match="has no consumer"):
        ha.check_every_node_consumes(queue, {}, [], pair)


@pytest.mark.parametrize("users", ['users:(("cinder-volume",pid=1234,fd=12),("cinder-volume",pid=99,fd=3))',
                                   'users:(("cinder-volume",1234,12),("cinder-volume",99,3))'])
def test_ss_owners_are_read_from_new_and_old_iproute2(users):
    from fuel_health.steps import ha

    assert ha.socket_pids(users) == [1234, 99]


def test_cleanup_of_a_volume_caught_mid_attach_detaches_it_once_the_attach_lands(make_ctx):
    """A Ctrl-C between nova's attach call and the registration of its detach: the volume is `attaching` with no
    attachment yet, then in-use; the cleanup must detach it, not wait for `available` that never comes."""
    volumes, compute = FakeVolumes(), FakeCompute()
    attached = NS(id="v1", name="ostf-v", status="in-use", attachments=[{"server_id": "s1"}])
    volumes.volumes["v1"] = [NS(id="v1", name="ostf-v", status="attaching", attachments=[]), attached, attached]
    detached: list[tuple[str, str]] = []

    def delete_volume_attachment(server_id, volume_id):
        detached.append((server_id, volume_id))
        volumes.volumes["v1"] = [NS(id="v1", name="ostf-v", status="available", attachments=[])]

    deleted: list[str] = []

    def delete_volume(vid, force=False):
        deleted.append(vid)
        volumes.volumes["v1"] = [os_exc.NotFoundException]

    compute.delete_volume_attachment, volumes.delete_volume = delete_volume_attachment, delete_volume
    real_get = volumes.get_volume

    def get_volume(volume_id):
        answer = real_get(volume_id)
        if answer is os_exc.NotFoundException:
            raise os_exc.NotFoundException()
        return answer

    volumes.get_volume = get_volume
    ctx = make_ctx(compute, volumes)

    volume.remove(ctx, NS(id="v1", name="ostf-v"))

    assert detached == [("s1", "v1")] and deleted == ["v1"]


def test_work_started_in_the_background_fails_in_its_step_and_never_escapes_the_cleanup(make_ctx):
    import threading

    from fuel_health import steps

    ctx = make_ctx()
    release, undone = threading.Event(), []

    def create() -> str:
        release.wait(5)  # still creating when the test (and its cleanup) goes on
        ctx.cleanup.add("delete volume v1", lambda: undone.append("v1"))
        return "v1"

    creating = steps.start(ctx, "creating the volume", create)
    threading.Timer(0.05, release.set).start()
    ctx.cleanup.run()  # the test failed before it needed the volume: the cleanup waits for it, then deletes it
    assert undone == ["v1"] and creating.result() == "v1"

    failing = steps.start(ctx, "creating the volume", lambda: (_ for _ in ()).throw(AssertionError("cinder: no")))
    with pytest.raises(AssertionError, match="cinder: no"):  # raised in the step that needs the result
        failing.result()


def test_two_shared_resources_build_at_once(make_ctx):
    import threading

    shared = Shared(make_ctx())
    volume_started = threading.Event()

    def boot(ctx) -> str:  # the instance is still booting when the volume's build starts, and waits for it
        assert volume_started.wait(5), "the volume's build waited for the instance's (one lock for all)"
        return "server"

    def make_volume(ctx) -> str:
        volume_started.set()
        return "volume"

    booted: list[str] = []
    booting = threading.Thread(target=lambda: booted.append(shared.get("kvm server", boot)))
    booting.start()
    assert shared.get("vcenter volume", make_volume) == "volume"
    booting.join(10)
    assert booted == ["server"]  # with one lock for all, the boot gave up waiting (and nothing was appended)


def test_a_boot_stuck_with_no_host_names_the_zone_s_dead_nova_compute(make_ctx):
    # The reliability test kills the vCenter nova-compute while the boot is in BUILD: when the scheduler sent the
    # boot there before nova saw it down, the server never gets a host, and blaming the scheduler misleads.
    api = FakeCompute(services=[svc("node-2", "nova"), svc("vcenter-vmcluster1", "vcenter", state="down")])
    api.servers["s1"] = server(status="BUILD", zone="vcenter", host=None, hv=None, task=None)
    hint = compute.stuck_hint(make_ctx(api), api.servers["s1"])
    assert hint.startswith("; task_state None, host none: nova-compute on vcenter-vmcluster1 is down in zone vcenter")
    api._services[1].state = "up"  # nothing down in the zone: the scheduler or the conductor, as before
    assert compute.stuck_hint(make_ctx(api), api.servers["s1"]) == (
        "; task_state None, host none: nova-conductor or nova-scheduler never picked it up")
