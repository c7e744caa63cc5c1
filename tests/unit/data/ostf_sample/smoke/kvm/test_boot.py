"""Sample KVM zone checks."""

from fuel_health.pytest_plugin import ostf


@ostf.scenario(
    title="Boot TestVM in the KVM zone and attach a volume",
    steps=["Boot an instance from TestVM in the KVM zone", "Create a volume", "Attach the volume"],
    tags="kvm | qemu, volumes_lvm", duration="40 s", since="6.1")
def test_boot_and_attach(ctx, step):
    """Checks that the KVM zone runs an instance with a volume."""
    with step(1):
        pass
    with step(3):
        pass
