"""The errors of the system tests; each message is one line that says what failed and what to look at."""

from fuel_health import fuel_data


class SystemTestError(Exception):
    """Base of the system tests' own errors (a problem in fixtures/ is a FixtureError, below)."""

    diagnostics: object = None  # the diagnostic snapshot already taken for this error, if any


# fixtures/ is missing something or holds something unusable: the error of the one reader of fixtures/.
FixtureError = fuel_data.FixtureError


class RoleRestrictionError(SystemTestError):
    """A role assignment that fixtures/roles.yaml forbids; raised before any API or lab call."""


class VmwareSettingsError(SystemTestError):
    """VMware settings that Nailgun's validation rules (kept in fixtures/vmware_attributes.yaml) reject."""


class DeploymentError(SystemTestError):
    """A deployment step failed (task error, timeout, a backend that cannot do what was asked)."""


class OstfError(SystemTestError):
    """OSTF could not run, or its result is not what the scenario expects."""
