"""Lab benchmark: cold `up` (installed, empty state), warm `up` (existing state), `down`, memory.

Targets (issue: the local lab): cold < 90 s, warm < 45 s, all services < 2.5 GiB. Reported, not gated.
usage: python -m benchmarks.lab_lifecycle [--quick]   (--quick: warm up/down only, keeps the state)"""

from __future__ import annotations

import argparse
import time
from typing import Any

from benchmarks import common
from devops_envs.local import kvm_zone
from devops_envs.local.lab import Lab

TARGETS = {"cold_up_s": 90, "warm_up_s": 45, "memory_gib": 2.5, "kvm_boot_marker_s": 10}


def timed(fn) -> float:
    t0 = time.monotonic()
    fn()
    return round(time.monotonic() - t0, 1)


def measure(quick: bool) -> dict[str, Any]:
    lab = Lab.default()
    lab.up()  # installed and running before measuring anything
    figures: dict[str, Any] = {"mode": "quick" if quick else "full", "topology": lab.topology().name}
    if not quick:
        # The cold start is of the standard dual-hypervisor lab, whatever this one was grown into.
        lab.reset()
        figures["topology"] = "dual_hv"
        figures["cold_up_s"] = timed(lambda: lab.up("dual_hv"))
    figures["down_s"] = timed(lab.down)
    figures["warm_up_s"] = timed(lab.up)
    rows = lab.status()
    figures["memory_gib"] = round(sum(r["memory_mib"] or 0 for r in rows) / 1024, 2)
    figures["services"] = len(rows)
    figures["memory_mib_per_service"] = {r["service"]: r["memory_mib"] for r in rows}
    if lab.topology().kvm_virt == "libvirt":
        # The real KVM zone: boot request -> ACTIVE, and -> TestVM's ready marker on the console.
        out = lab.cloud_setup("boot-marker", {"zone": lab.topology().kvm_zone, "marker": kvm_zone.CONSOLE[
            "console_ready"]}, timeout=180).split()
        figures["kvm_active_s"], figures["kvm_boot_marker_s"] = float(out[-2]), float(out[-1])
    return figures


def table(figures: dict[str, Any]) -> str:
    keys = [k for k in ("cold_up_s", "warm_up_s", "down_s", "memory_gib", "services", "kvm_active_s",
                        "kvm_boot_marker_s") if k in figures]
    out = "| figure | value | target |\n|---|---|---|\n" + "\n".join(
        f"| {k} | {figures[k]} | {'< ' + str(TARGETS[k]) if k in TARGETS else ''} |" for k in keys)
    return out + "\n\nMemory per service (PSS, MiB):\n\n| service | MiB |\n|---|---|\n" + "\n".join(
        f"| {name} | {mib} |" for name, mib in figures["memory_mib_per_service"].items())


def main() -> None:
    parser = argparse.ArgumentParser(description="lab life cycle")
    parser.add_argument("--quick", action="store_true", help="skip the cold start (no reset)")
    common.main("lab_lifecycle", lambda a: measure(a.quick), table, parser)


if __name__ == "__main__":
    main()
