"""ConfigError: every config problem, whatever its source, is one line `key.path: problem (fix)`."""

from __future__ import annotations


class ConfigError(Exception):
    """A missing or wrong config value; str() is one line naming the key path and the fix."""

    def __init__(self, path: str, problem: str, fix: str | None = None) -> None:
        self.path, self.problem, self.fix = path, problem, fix
        super().__init__(f"{path}: {problem}" + (f" ({fix})" if fix else ""))


class NoConfigFound(ConfigError):
    """No source names a cluster config at all (as opposed to a broken one)."""
