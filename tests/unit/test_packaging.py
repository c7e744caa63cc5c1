"""An installed (non-editable) fuel_health carries fixtures/ and reads it from its own files, not from a checkout.

The package is built with setuptools' build_py, the step that fills a wheel: bdist_wheel runs build, then zips
build/lib. A whole wheel is not built here: the venv's setuptools (65.5, from ensurepip) has no bdist_wheel without
the `wheel` package, which is no dependency of ours, and build isolation would fetch a newer setuptools. The
build runs on a copy of the sources, so the shared checkout gets no build/ or egg-info.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

from fuel_health import fuel_data

REPO = Path(__file__).resolve().parents[2]

# Run by a python that sees the built package first (before the editable install's finder): where fuel_data
# found fixtures/ and a little of what it read there.
PROBE = """
import json, sys
sys.path.insert(0, sys.argv[1])
import fuel_health
from fuel_health import fuel_data as f
print(json.dumps({"package": fuel_health.__file__, "fixtures": str(f.FIXTURES), "releases": f.releases(),
                  "role": f.role("compute-vmware")["name"],
                  "fragment": f.config_fragment_path("vcenter-compute", "nova.conf").is_file()}))
"""


def test_the_built_package_holds_fixtures_and_reads_them_from_itself(tmp_path):
    src, lib = tmp_path / "src", tmp_path / "lib"
    src.mkdir()
    shutil.copy2(REPO / "pyproject.toml", src)
    for top in ("fuel_health", "fixtures"):  # symlinks kept: fuel_health/_fixtures points at ../fixtures
        shutil.copytree(REPO / top, src / top, symlinks=True, ignore=shutil.ignore_patterns("__pycache__"))
    build = subprocess.run([sys.executable, "-c", "from setuptools import setup; setup()", "-q", "build_py",
                            "--build-lib", str(lib)], cwd=src, capture_output=True, text=True, timeout=120)
    assert build.returncode == 0, f"build_py failed: {build.stderr.strip()[-500:]}"

    shipped = lib / "fuel_health" / "_fixtures"
    assert shipped.is_dir() and not shipped.is_symlink(), "the built package has no fuel_health/_fixtures files"
    data = {p.relative_to(fuel_data.FIXTURES) for p in fuel_data.FIXTURES.rglob("*")
            if p.is_file() and p.suffix != ".md"}  # README.md files document the folder; nothing reads them
    built = {p.relative_to(shipped) for p in shipped.rglob("*") if p.is_file()}
    assert len(data) > 10 and sorted(map(str, data - built)) == [], "fixtures/ files the package does not ship"

    probe = subprocess.run([sys.executable, "-I", "-c", PROBE, str(lib)], cwd=tmp_path, capture_output=True,
                           text=True, timeout=60)
    assert probe.returncode == 0, probe.stderr.strip()[-500:]
    seen = json.loads(probe.stdout)
    assert Path(seen["package"]).is_relative_to(lib), f"imported the checkout, not the build: {seen['package']}"
    assert Path(seen["fixtures"]) == shipped.resolve()
    assert seen["releases"] == list(fuel_data.releases()) and seen["role"] and seen["fragment"]
