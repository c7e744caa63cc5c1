"""The local lab is a real dual-hypervisor cloud: proven through openstacksdk against its own APIs."""

from __future__ import annotations

import pytest
from helpers import attach, boot, detach, volume
from openstack import exceptions

HV_TYPES = {"kvm": {"QEMU", "KVM"}, "vcenter": {"VMware vCenter Server"}}


@pytest.fixture(params=["kvm", "vcenter"])
def hv(request, topo):
    """(hypervisor, zone, image) for each hypervisor of the running lab."""
    if request.param == "vcenter" and not topo.use_vcenter:
        pytest.skip("this lab has no vCenter zone")
    if request.param == "kvm":
        return "kvm", topo.kvm_zone, "TestVM"
    return "vcenter", topo.vcenter_zone.az_name, "TestVM-VMDK"


def test_both_zones_exist_for_compute_and_volumes(conn, topo):
    expected = {topo.kvm_zone} | ({topo.vcenter_zone.az_name} if topo.use_vcenter else set())
    compute = {z.name for z in conn.compute.availability_zones() if z.state["available"]}
    volumes = {z.name for z in conn.block_storage.availability_zones() if z.state["available"]}
    assert expected <= compute
    assert volumes == expected


def test_hypervisor_types(conn, topo):
    types = {h.hypervisor_type for h in conn.compute.hypervisors(details=True)}
    assert types & HV_TYPES["kvm"]
    assert ("VMware vCenter Server" in types) == topo.use_vcenter


def test_server_boots_and_volume_attaches_in_its_zone(conn, hv, name, cleanup):
    kind, zone, image = hv
    server = boot(conn, name, zone, image, cleanup)
    assert server.status == "ACTIVE" and server.availability_zone == zone
    hypervisor = next(h for h in conn.compute.hypervisors(details=True) if h.name == server.hypervisor_hostname)
    assert hypervisor.hypervisor_type in HV_TYPES[kind]
    vol = volume(conn, name, zone, cleanup)
    assert attach(conn, server, vol).attachments[0]["server_id"] == server.id
    assert detach(conn, server, vol).status == "available"


def test_attach_across_zones_is_refused(conn, topo, name, cleanup):
    if not topo.use_vcenter:
        pytest.skip("this lab has no vCenter zone")
    server = boot(conn, name, topo.kvm_zone, "TestVM", cleanup)
    vol = volume(conn, name, topo.vcenter_zone.az_name, cleanup)
    with pytest.raises(exceptions.BadRequestException) as err:
        conn.compute.create_volume_attachment(server, volume_id=vol.id)
    assert err.value.status_code == 400
    assert "not in the same availability_zone" in str(err.value)
    assert conn.block_storage.get_volume(vol.id).status == "available"


def test_image_backed_volume(conn, hv, name, cleanup):
    _, zone, image = hv
    img = conn.image.find_image(image, ignore_missing=False)
    vol = volume(conn, name, zone, cleanup, image_id=img.id)
    assert vol.is_bootable and vol.availability_zone == zone
