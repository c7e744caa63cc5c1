"""proboscis imports and runs where Python has neither `imp` nor `unittest._TextTestResult` (3.12+).

The check runs in a fresh interpreter (this one has proboscis imported already) in which a sys.meta_path
blocker hides `imp` and `unittest._TextTestResult` is deleted: what Python 3.12+ looks like to proboscis,
on whatever Python runs the tests. On 3.12+ itself the blocker changes nothing.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]

AS_ON_PY312 = textwrap.dedent("""
    import importlib.abc, io, sys, unittest

    class NoImp(importlib.abc.MetaPathFinder):
        def find_spec(self, name, path=None, target=None):
            if name == "imp":
                raise ModuleNotFoundError("No module named 'imp'", name="imp")
            return None

    sys.meta_path.insert(0, NoImp())
    sys.modules.pop("imp", None)
    if hasattr(unittest, "_TextTestResult"):
        del unittest._TextTestResult

    from system_tests import proboscis_compat

    # The stand-ins lived only while proboscis imported.
    assert "imp" not in sys.modules, "a stand-in imp was left in sys.modules"
    assert not hasattr(unittest, "_TextTestResult"), "unittest._TextTestResult was left behind"

    registry = proboscis_compat.TestRegistry()
    ran = []

    def first():
        ran.append("first")
        raise AssertionError("first failed")

    def second():
        ran.append("second")

    registry.register(first, groups=["a"])
    registry.register(second, groups=["b"], depends_on_groups=["a"])
    program = proboscis_compat.TestProgram(registry=registry, groups=["b"], argv=["x"], stream=io.StringIO(),
                                           exit=False)
    program.run_and_exit()
    result = program.result
    print(ran, result.testsRun, len(result.failures), len(result.skipped))
""")


def test_proboscis_imports_and_runs_without_imp_and_TextTestResult():
    proc = subprocess.run([sys.executable, "-W", "error::DeprecationWarning", "-c", AS_ON_PY312], cwd=REPO,
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr[-2000:]
    # The first group failed, so proboscis skipped its dependant without running it.
    assert proc.stdout.split("\n")[0] == "['first'] 2 1 1"


def test_the_system_tests_list_their_groups_without_imp():
    """`python -m system_tests groups` (imports every scenario and proboscis) with `imp` hidden."""
    code = ("import importlib.abc, runpy, sys\n"
            "class NoImp(importlib.abc.MetaPathFinder):\n"
            "    def find_spec(self, name, path=None, target=None):\n"
            "        return None if name != 'imp' else (_ for _ in ()).throw(ModuleNotFoundError(name))\n"
            "sys.meta_path.insert(0, NoImp()); sys.modules.pop('imp', None)\n"
            "sys.argv = ['system_tests', 'groups']\n"
            "runpy.run_module('system_tests', run_name='__main__')\n")
    proc = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "add_cinder_vmdk_ha" in proc.stdout.split(), proc.stdout
