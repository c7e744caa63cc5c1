"""Sample sanity checks."""

from fuel_health.pytest_plugin import ostf


@ostf.scenario(title="Keystone answers", steps=["Request a token"], duration="5 s", since="6.1")
def test_keystone(ctx, step):
    """Checks that keystone issues tokens."""
    with step(1):
        assert ctx.conn.authorize()
