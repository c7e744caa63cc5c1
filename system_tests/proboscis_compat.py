"""proboscis 1.2.6.0 (pinned; its last release, 2013) on Python 3.11: the small shim it needs.

- proboscis imports `imp`, deprecated since 3.4 and removed in 3.12: the DeprecationWarning of that one import
  is silenced here, and on 3.12+ this module says clearly that proboscis cannot run.
- proboscis runs on nose when nose is importable; nose does not work on Python 3.10+, so nose must be absent
  (proboscis then runs on plain unittest, as here). Checked at import.
- proboscis names each test "proboscis.case.FunctionTest (f)" and skips dependants with "Failure in <function
  f at 0x...>": system_tests/xunit.py reports module.function names and says which prerequisite failed and why.
Everything else of proboscis (groups, depends_on_groups, ordering, skip on a failed dependency) is used as is.
"""

from __future__ import annotations

import sys
import warnings

if sys.version_info >= (3, 12):  # pragma: no cover - the project pins Python 3.11
    raise ImportError("proboscis 1.2.6.0 imports `imp`, removed in Python 3.12: run system_tests on Python 3.11")

with warnings.catch_warnings():
    warnings.filterwarnings("ignore", category=DeprecationWarning, message=r".*\bimp\b")
    import proboscis
    from proboscis import case, core, decorators, dependencies

if dependencies.use_nose:  # pragma: no cover - nose is not installed here
    raise ImportError("nose is installed: proboscis would run on it and nose is broken on Python 3.11; "
                      "uninstall nose")

test = proboscis.test
SkipTest = proboscis.SkipTest
TestProgram = proboscis.TestProgram
TestRegistry = core.TestRegistry
DEFAULT_REGISTRY = decorators.DEFAULT_REGISTRY
ProboscisResult = case.TestResult

__all__ = ["DEFAULT_REGISTRY", "ProboscisResult", "SkipTest", "TestProgram", "TestRegistry", "test"]
