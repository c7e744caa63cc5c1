"""Sample cross-zone checks."""

from fuel_health.pytest_plugin import ostf


@ostf.scenario(title="Refuse a cross-zone attach", steps=["Boot in KVM", "Volume in vCenter", "Attach is refused"],
               tags="use_vcenter, kvm_compute", duration="60 s")
def test_cross_zone_attach_refused(ctx, step):
    """A volume of one zone must not attach to an instance of the other."""
