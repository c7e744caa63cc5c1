"""Lab benchmark: cold `up` (installed, empty state), warm `up` (existing state), `down`, memory.

Targets (issue: the local lab): cold < 90 s, warm < 45 s, all services < 2.5 GiB. Reported, not gated.
usage: python -m benchmarks.lab_lifecycle [--quick]   (--quick: warm up/down only, keeps the state)"""

from __future__ import annotations

import argparse
import time

from benchmarks.common import write
from devops_envs.local.lab import Lab

TARGETS = {"cold_up_s": 90, "warm_up_s": 45, "memory_gib": 2.5}


def timed(fn) -> float:
    t0 = time.monotonic()
    fn()
    return round(time.monotonic() - t0, 1)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true", help="skip the cold start (no reset)")
    args = parser.parse_args()
    lab = Lab.default()
    lab.up()  # installed and running before measuring anything
    topo_name = lab.topology().name
    figures: dict[str, float] = {}
    if not args.quick:
        lab.reset()
        figures["cold_up_s"] = timed(lambda: lab.up(topo_name))
    figures["down_s"] = timed(lab.down)
    figures["warm_up_s"] = timed(lab.up)
    rows = lab.status()
    figures["memory_gib"] = round(sum(r["memory_mib"] or 0 for r in rows) / 1024, 2)
    figures["services"] = len(rows)
    table = "| figure | value | target |\n|---|---|---|\n" + "\n".join(
        f"| {k} | {v} | {'< ' + str(TARGETS[k]) if k in TARGETS else ''} |" for k, v in figures.items())
    table += "\n\nMemory per service (PSS, MiB):\n\n| service | MiB |\n|---|---|\n" + "\n".join(
        f"| {r['service']} | {r['memory_mib']} |" for r in rows)
    print(write("lab_lifecycle", figures, table))


if __name__ == "__main__":
    main()
