"""vCenter answers to the configured credentials."""

from fuel_health import ostf
from fuel_health.steps import vcenter


@ostf.scenario(title="vCenter is reachable with the configured credentials",
               steps=["Log in to vCenter with the VMware settings' host, user and password",
                      "Check it is a vCenter server, not a standalone ESXi host"],
               tags="use_vcenter", hypervisor="vcenter", duration="2 s", since="6.1")
def test_vcenter_login(ctx, step):
    """nova-compute and cinder-volume log in the same way: if this fails, the vCenter zone is down."""
    with step(1):
        about = vcenter.login(ctx)
    with step(2):
        vcenter.check_is_vcenter(ctx, about)
