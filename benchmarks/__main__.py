"""`make bench`: every benchmark on the local lab, then one summary against the targets.

Writes <out>/bench.json (all figures, machine info) and <out>/bench.md (the summary table), next to each
benchmark's own detailed files. Figures are reported, never gated. --quick proves the benchmarks work (CI):
fewer repeats, no cold start, results under reports/bench/ so the committed figures stay.
usage: python -m benchmarks [--quick] [--out DIR]
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from benchmarks import adapter_latency, lab_lifecycle, suite_timing, tempest_compare
from benchmarks.common import RESULTS, write

QUICK_OUT = Path(__file__).resolve().parents[1] / "reports" / "bench"


def _met(value: float | None, limit: float) -> str:
    return "n/a" if value is None else ("met" if value < limit else "NOT met")


def summary(f: dict[str, Any]) -> str:
    lab, suite, tempest, adapter = f["lab"], f["suite"], f["tempest"], f["adapter"]
    serial = suite["all_sets"]["serial"]
    with_workers = [v["wall_s"] for k, v in suite["all_sets"].items() if k.startswith("workers")]
    best = min(with_workers) if with_workers else None
    waits = suite["waits"]
    rows = [
        ("lab: cold `up` (installed)", lab.get("cold_up_s", "not measured (--quick)"), "s", ""),
        ("lab: warm `up`", lab["warm_up_s"], "s", ""),
        ("lab: `down`", lab["down_s"], "s", ""),
        ("lab: memory of all services (PSS)", lab["memory_gib"], "GiB", ""),
        ("suite: all sets, serial", serial["wall_s"], "s", ""),
        *[(f"suite: all sets, {k.replace('_', ' ')}", v["wall_s"], "s", "")
          for k, v in suite["all_sets"].items() if k.startswith("workers")],
        ("suite: all sets with workers, best", best, "s", f"< 60 s: {_met(best, 60)}"),
        ("suite: overhead of the serial run", serial["overhead_pct"], "%",
         f"< 10 %: {_met(serial['overhead_pct'], 10)} (at most {serial['overhead_bound_pct']} %)"),
        ("suite: polls per wait", waits.get("polls_per_wait"), "", "backoff 0.1 s x1.4 to 2 s, no 1 s busy polling"),
        ("suite: waiter detection gap, median / max", f"{waits.get('detect_gap_median_s')} / "
         f"{waits.get('detect_gap_max_s')}", "s", ""),
        ("suite: API calls, all tests of the serial run", suite["api_calls_total_serial"], "", ""),
    ]
    for zone, z in tempest.get("zones", {}).items():
        if "not_compared" in z:
            rows.append((f"ours/Tempest, {zone} zone", "not compared", "", z["not_compared"]))
        else:
            ratio = z["same_work_s"]["ratio_ours_to_tempest"]
            rows.append((f"ours/Tempest, {zone} zone, same work (median)", ratio, "",
                         f"< 1.0: {_met(ratio, 1.0)}; whole command {z['wall_s']['ratio_ours_to_tempest']}"))
    if "error" in tempest:
        rows.append(("ours/Tempest", "not compared", "", tempest["error"]))
    get_last = adapter["get"].get("GET /v1/testruns/last/1", {}).get("median_ms")
    post = adapter.get("post_to_first_running_lab_sanity") or adapter.get("post_to_first_running_fake_suite", {})
    rows += [(f"adapter: GET last run, {adapter['stored_runs']} stored runs (median)", get_last, "ms", ""),
             ("adapter: POST to first test `running` (median)", post.get("median_ms"), "ms", "")]
    lines = ["| figure | value | unit | target / note |", "|---|---|---|---|"]
    lines += [f"| {name} | {value} | {unit} | {note} |" for name, value, unit, note in rows]
    lines += ["", "Details: `lab_lifecycle.md`, `suite_timing.md` (per test: duration, API calls, polls, gaps), "
              "`tempest_compare.md`, `adapter_latency.md` in the same folder."]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="prove the benchmarks work (CI), do not publish")
    parser.add_argument("--out", type=Path, help=f"results folder (default {RESULTS}, --quick: {QUICK_OUT})")
    args = parser.parse_args()
    out = args.out or (QUICK_OUT if args.quick else RESULTS)
    parts = {
        "lab": (lab_lifecycle, lambda: lab_lifecycle.measure(args.quick)),
        "suite": (suite_timing, lambda: suite_timing.measure(args.quick)),
        "tempest": (tempest_compare, lambda: tempest_compare.measure(1 if args.quick else 3)),
        "adapter": (adapter_latency, lambda: adapter_latency.measure(100 if args.quick else 1000, None,
                                                                     1 if args.quick else 5)),
    }
    figures: dict[str, Any] = {}
    for name, (module, run) in parts.items():
        print(f"[bench] {name} ...", flush=True)
        figures[name] = run()
        write(module.__name__.rsplit(".", 1)[1], figures[name], module.table(figures[name]), out=out)
    print(write("bench", figures, summary(figures), out=out))
    print((out / "bench.md").read_text())


if __name__ == "__main__":
    main()
