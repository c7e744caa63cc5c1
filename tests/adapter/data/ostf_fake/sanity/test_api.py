"""Fake sanity checks: one passes, one fails at step 2."""

from fuel_health.pytest_plugin import ostf


@ostf.scenario(title="Keystone answers", steps=["Request a token"], duration="5 s")
def test_keystone(step):
    """Checks that keystone issues tokens."""
    with step(1):
        assert True


@ostf.scenario(title="Volume attaches", steps=["Create a volume", "Attach it"], duration="20 s")
def test_attach(step):
    """Checks that a volume attaches."""
    with step(1):
        pass
    with step(2):
        raise RuntimeError("Invalid volume: not in the same availability_zone")
