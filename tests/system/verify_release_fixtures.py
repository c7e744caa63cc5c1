"""Check fixtures/releases/*.yaml against fuel-web's own openstack.yaml of each tag (needs the bare mirror).

    python tests/system/verify_release_fixtures.py [/work/.mirror/openstack+fuel-web/repo]

For every role of every release file: its `source: OS:<line>` is that role's line in fuel-web
<tag>:nailgun/nailgun/fixtures/openstack.yaml, its conflicts equal upstream's, its limits equal upstream's
(overrides aside); and upstream has no role the file leaves out. Prints one line per difference; exit 1 if any.
Not part of pytest: CI machines have no mirror (docs/system-tests.md records the last run).
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[2]
MIRROR = Path("/work/.mirror/openstack+fuel-web/repo")


def differences(mirror: Path, release: str) -> list[str]:
    ours = yaml.safe_load((REPO / "fixtures" / "releases" / f"{release}.yaml").read_text())
    text = subprocess.run(["git", "-C", str(mirror), "show", f"{release}:nailgun/nailgun/fixtures/openstack.yaml"],
                          capture_output=True, text=True, check=True).stdout
    lines = text.splitlines()
    upstream = yaml.safe_load(text)[0]["fields"]["roles_metadata"]
    out = []
    for role, meta in ours["roles"].items():
        line = int(str(meta["source"]).split(":")[1])
        if lines[line - 1].strip() != f"{role}:":
            out.append(f"{release} {role}: OS:{line} is {lines[line - 1].strip()!r}")
        theirs = upstream.get(role) or {}
        if (theirs.get("conflicts") or []) != (meta.get("conflicts") or []):
            out.append(f"{release} {role}: conflicts {meta.get('conflicts')} vs upstream {theirs.get('conflicts')}")
        limits = {k: v for k, v in (theirs.get("limits") or {}).items() if k != "overrides"}
        if limits != (meta.get("limits") or {}):
            out.append(f"{release} {role}: limits {meta.get('limits')} vs upstream {limits}")
    out += [f"{release}: upstream role {r} missing here" for r in sorted(set(upstream) - set(ours["roles"]))]
    if f"modes: {ours['modes']!r}".replace('"', "'") not in text:
        out.append(f"{release}: modes {ours['modes']} not found upstream")
    return out


def main(argv: list[str]) -> int:
    mirror = Path(argv[0]) if argv else MIRROR
    if not mirror.exists():
        print(f"no fuel-web mirror at {mirror}: pass its path", file=sys.stderr)
        return 2
    found = [d for release in ("6.1", "7.0", "8.0", "9.0") for d in differences(mirror, release)]
    print("\n".join(found) or "fixtures/releases match fuel-web's openstack.yaml (6.1, 7.0, 8.0, 9.0)")
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
