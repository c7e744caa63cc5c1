"""The control services every request passes through are up: without them nothing is scheduled or built."""

from fuel_health.pytest_plugin import ostf
from fuel_health.steps import services


@ostf.scenario(title="nova-conductor and nova-scheduler are up",
               steps=["Check nova-conductor and nova-scheduler each have an enabled service that is up"],
               duration="1 s", since="6.1")
def test_nova_control_services_up(ctx, step):
    """Both hypervisors need them: a stopped scheduler or conductor leaves every new instance in BUILD."""
    with step(1):
        services.check_control_services(ctx, "nova", ("nova-conductor", "nova-scheduler"))


@ostf.scenario(title="cinder-scheduler is up",
               steps=["Check cinder-scheduler has an enabled service that is up"],
               tags="volumes_lvm | volumes_ceph | volumes_vmdk", duration="1 s", since="6.1")
def test_cinder_scheduler_up(ctx, step):
    """Both zones' volumes are placed by it: when it is down, every new volume stays `creating`."""
    with step(1):
        services.check_control_services(ctx, "cinder", ("cinder-scheduler",))
