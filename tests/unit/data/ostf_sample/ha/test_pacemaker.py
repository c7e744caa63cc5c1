"""Sample HA checks (the ha set needs the `ha` tag)."""

from fuel_health.pytest_plugin import ostf


@ostf.scenario(title="Pacemaker runs the vCenter nova-compute", steps=["Check pacemaker"], duration="10 s")
def test_pacemaker(cluster_config, step):
    """Checks p_nova_compute_vmware is started."""
