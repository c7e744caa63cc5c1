"""The one error type of the lab: its message is a single line that says what to fix."""


class LabError(Exception):
    """A lab problem the operator can act on; printed as one line, never as a traceback."""
