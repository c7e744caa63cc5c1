"""The vCenter zone runs nova's and cinder's real VMware drivers: what they do shows up in the simulator."""

from __future__ import annotations

import ssl

import pytest
import yaml
from helpers import attach, boot, volume
from pyVim.connect import Disconnect, SmartConnect
from pyVmomi import vim


@pytest.fixture(scope="module")
def vc(lab, topo):
    if not topo.use_vcenter:
        pytest.skip("this lab has no vCenter zone")
    cfg = yaml.safe_load(lab.paths.suite_config.read_text())
    az = cfg["vmware_attributes"]["availability_zones"][0]
    ctx = ssl.create_default_context()
    ctx.check_hostname, ctx.verify_mode = False, ssl.CERT_NONE  # the lab's self-signed simulator
    si = SmartConnect(host=az["vcenter_host"], port=cfg["vcenter"]["port"], user=az["vcenter_username"],
                      pwd=az["vcenter_password"], sslContext=ctx)
    yield si
    Disconnect(si)


def find_vm(si, instance_uuid: str):
    return si.content.searchIndex.FindByUuid(None, instance_uuid, True, True)


def test_wrong_vcenter_password_is_refused(lab, topo):
    if not topo.use_vcenter:
        pytest.skip("this lab has no vCenter zone")
    ctx = ssl._create_unverified_context()
    with pytest.raises(vim.fault.InvalidLogin):
        SmartConnect(host="127.0.0.1", port=topo.vcenter["port"], user=topo.vcenter_zone.username,
                     pwd="not-the-password", sslContext=ctx)


def test_vcenter_server_is_a_vm_in_the_cluster_with_its_volume_as_a_disk(vc, conn, topo, name, cleanup):
    zone = topo.vcenter_zone
    server = boot(conn, name, zone.az_name, "TestVM-VMDK", cleanup)
    vm = find_vm(vc, server.id)
    assert vm is not None, f"no VM with instanceUuid {server.id} in vCenter"
    assert vm.runtime.powerState == "poweredOn"
    cluster = vm.runtime.host.parent
    assert isinstance(cluster, vim.ClusterComputeResource) and cluster.name == zone.vsphere_cluster
    vol = volume(conn, name, zone.az_name, cleanup)
    attach(conn, server, vol)
    disks = [d for d in vm.config.hardware.device if isinstance(d, vim.vm.device.VirtualDisk)]
    assert vol.id in {getattr(d.backing, "uuid", None) for d in disks}
