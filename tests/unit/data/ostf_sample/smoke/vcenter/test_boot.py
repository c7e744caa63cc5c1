"""Sample vCenter zone checks."""

from fuel_health.pytest_plugin import ostf


@ostf.scenario(title="Boot TestVM-VMDK in the vCenter zone", steps=["Boot", "Check it runs on vCenter"],
               tags="use_vcenter", duration="60 s", since="6.1")
def test_boot(ctx, step):
    """Checks that the vCenter zone runs an instance."""


@ostf.scenario(title="Attach a VMDK volume", steps=["Boot", "Attach"], tags="use_vcenter, volumes_vmdk",
               duration="90 s", since="8.0")
def test_attach_vmdk(ctx, step):
    """Checks VMDK volumes attach in the vCenter zone."""
