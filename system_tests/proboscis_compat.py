"""proboscis 1.2.6.0 (pinned; its last release, 2013) on Python 3.11+: the small shim it needs.

- proboscis imports `imp` (removed in Python 3.12) for one name, `imp.reload`
  (proboscis/compatability/__init__.py:29-30), and subclasses `unittest._TextTestResult` (removed in 3.12;
  proboscis/dependencies.py:62, the plain-unittest branch used here). Where they are missing, stand-ins
  (`importlib.reload`, `unittest.TextTestResult`, what they were aliases of) exist only while proboscis
  imports, so nothing else sees a fake `imp`. On 3.11 the real ones are used and the DeprecationWarning of
  that one `import imp` is silenced.
- proboscis runs on nose when nose is importable; nose does not work on Python 3.10+, so nose must be absent
  (proboscis then runs on plain unittest, as here). Checked at import.
- proboscis names each test "proboscis.case.FunctionTest (f)" and skips dependants with "Failure in <function
  f at 0x...>": system_tests/xunit.py reports module.function names and says which prerequisite failed and why.
Everything else of proboscis (groups, depends_on_groups, ordering, skip on a failed dependency) is used as is.
"""

from __future__ import annotations

import importlib
import sys
import types
import unittest
import warnings
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def _py312_stand_ins() -> Iterator[None]:
    """`imp.reload` and `unittest._TextTestResult` for proboscis' import, where Python no longer has them."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", category=DeprecationWarning, message=r".*\bimp\b")
        try:
            import imp  # noqa: F401 - Python 3.11: the real one
            added_imp = False
        except ImportError:
            stand_in = types.ModuleType("imp", "stand-in for proboscis' import (system_tests/proboscis_compat.py)")
            stand_in.reload = importlib.reload  # type: ignore[attr-defined]
            sys.modules["imp"] = stand_in
            added_imp = True
        added_result = not hasattr(unittest, "_TextTestResult")
        if added_result:
            unittest._TextTestResult = unittest.TextTestResult  # type: ignore[attr-defined]
        try:
            yield
        finally:
            if added_imp:
                del sys.modules["imp"]
            if added_result:
                del unittest._TextTestResult  # type: ignore[attr-defined]


with _py312_stand_ins():
    import proboscis
    from proboscis import case, core, decorators, dependencies

if dependencies.use_nose:  # pragma: no cover - nose is not installed here
    raise ImportError("nose is installed: proboscis would run on it and nose is broken on Python 3.10+; "
                      "uninstall nose")

test = proboscis.test
SkipTest = proboscis.SkipTest
TestProgram = proboscis.TestProgram
TestRegistry = core.TestRegistry
DEFAULT_REGISTRY = decorators.DEFAULT_REGISTRY
ProboscisResult = case.TestResult

__all__ = ["DEFAULT_REGISTRY", "ProboscisResult", "SkipTest", "TestProgram", "TestRegistry", "test"]
