"""Sample configuration checks."""

from fuel_health.pytest_plugin import ostf


@ostf.scenario(title="vcenter-compute nodes use the VMware driver", steps=["Read nova.conf"],
               tags="vcenter_compute_node", hypervisor="vcenter", duration="5 s")
def test_vmware_driver(cluster_config, step):
    """Checks compute_driver on vcenter-compute nodes."""
