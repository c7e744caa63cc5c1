"""`make bench`: every benchmark on the local lab, then one summary against the targets.

Writes <out>/bench.json (all figures, machine info) and <out>/bench.md (the summary table), next to each
benchmark's own detailed files. Figures are reported, never gated. --quick proves the benchmarks work (CI):
fewer repeats, no cold start, results under reports/bench/ so the committed figures stay.
usage: python -m benchmarks [--quick] [--out DIR]
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from benchmarks import adapter_latency, lab_lifecycle, scale, suite_timing, tempest_compare
from benchmarks.common import RESULTS, write

QUICK_OUT = Path(__file__).resolve().parents[1] / "reports" / "bench"
PARTS = ("lab", "suite", "tempest", "adapter", "scale")


def _met(value: float | None, limit: float) -> str:
    return "n/a" if value is None else ("met" if value < limit else "NOT met")


def _at_most(value: float | None, limit: float) -> str:
    return "n/a" if value is None else ("met" if value <= limit else "NOT met")


def targets(f: dict[str, Any]) -> list[tuple[str, Any, str, str]]:
    """Each target of issue 15 with its measured value, met or not, and where the time goes (the why)."""
    suite, tempest = f["suite"], f["tempest"]
    out: list[tuple[str, Any, str, str]] = []
    sanity = suite.get("sanity")
    if sanity:
        mid = sanity["median_run"]
        out.append((f"`fuel-health run --set sanity` < 2.5 s whole command (median of {len(sanity['runs_s'])})",
                    f"{sanity['median_s']} s", _met(sanity["median_s"], 2.5),
                    f"{mid['sum_of_test_durations_s']} s in its {mid['tests']} tests (the cloud answering), "
                    f"{mid['outside_tests_s']} s outside them: Python and pytest start-up, the preflight's keystone "
                    f"and vCenter logins, collection, reports; runs {sanity['runs_s']}"))
    else:
        out.append(("`fuel-health run --set sanity` < 2.5 s whole command", "not measured", "n/a",
                    "these suite figures predate the sanity benchmark"))
    serial = suite["all_sets"]["serial"]
    rep = serial.get("repeat", {"median_s": serial["wall_s"], "runs_s": [serial["wall_s"]]})
    slowest = (suite.get("tests") or [{}])[0]
    out.append((f"all sets, serial < 14 s (median of {len(rep['runs_s'])})", f"{rep['median_s']} s",
                _met(rep["median_s"], 14),
                f"{serial['sum_of_test_durations_s']} s in {serial['tests']} tests, {serial['outside_tests_s']} s "
                f"outside them; slowest `{slowest.get('test')}` {slowest.get('duration_s')} s (boots, volumes and "
                f"attaches the lab's services take); runs {rep['runs_s']}"))
    out.append(("suite overhead < 10 % (serial run)", f"{serial['overhead_pct']} %", _met(serial["overhead_pct"], 10),
                f"{serial['outside_tests_s']} s outside tests + {serial['detection_late_s']} s waiters late (half "
                f"of {serial['detection_gaps_s']} s of poll gaps) of {serial['wall_s']} s; bound "
                f"{serial['overhead_bound_pct']} %"))
    for zone, z in tempest.get("zones", {}).items():
        if "not_compared" in z:
            out.append((f"ours/Tempest <= 0.4, whole command, {zone} zone", "not compared", "n/a", z["not_compared"]))
            continue
        w = z["wall_s"]
        out.append((f"ours/Tempest <= 0.4, whole command, {zone} zone", w["ratio_ours_to_tempest"],
                    _at_most(w["ratio_ours_to_tempest"], 0.4),
                    f"ours {w['ours']['median']} s vs Tempest {w['tempest']['median']} s for boot, volume, attach, "
                    f"detach, delete; same work alone {z['same_work_s']['ratio_ours_to_tempest']}"))
    if not tempest.get("zones"):
        out.append(("ours/Tempest <= 0.4, whole command, per zone", "not measured", "n/a",
                    tempest.get("error", "the Tempest part was not run")))
    return out


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
        ("lab, real KVM zone: cold `up`", lab.get("libvirt_cold_up_s", "not measured (--quick)"), "s",
         f"< 90 s: {_met(lab.get('libvirt_cold_up_s'), 90)}"),
        ("lab, real KVM zone: boot to TestVM's marker", lab.get("kvm_boot_marker_s", "not measured (--quick)"),
         "s", f"< 10 s: {_met(lab.get('kvm_boot_marker_s'), 10)}"),
        ("suite: all sets, serial", serial["wall_s"], "s", ""),
        *[(f"suite: all sets, {k.replace('_', ' ')}", v["wall_s"], "s", "")
          for k, v in suite["all_sets"].items() if k.startswith("workers")],
        ("suite: all sets with workers, best", best, "s", f"< 60 s: {_met(best, 60)}"),
        ("suite: overhead of the serial run", serial["overhead_pct"], "%",
         f"< 10 %: {_met(serial['overhead_pct'], 10)} (at most {serial['overhead_bound_pct']} %)"),
        ("suite: polls per wait", waits.get("polls_per_wait"), "", f"backoff {waits.get('backoff')}"),
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
    grown = (f.get("scale") or {}).get("target") or {}
    rows.append((f"scale: suite wall {grown.get('step', '2x2+4')} / 1x1+1 (issue 14)", grown.get("ratio", "n/a"), "",
                 f"<= 1.5: {_at_most(grown.get('ratio'), 1.5)}; every step in `scale.md`"))
    lines = ["## Targets (issue 15)", "", "| target | measured | met? | why |", "|---|---|---|---|"]
    lines += [f"| {name} | {value} | {met} | {why} |" for name, value, met, why in targets(f)]
    lines += ["", "## All figures", "", "| figure | value | unit | target / note |", "|---|---|---|---|"]
    lines += [f"| {name} | {value} | {unit} | {note} |" for name, value, unit, note in rows]
    for name, when in f.get("reused", {}).items():
        lines.append(f"\n{name}: not re-run this time; its figures are from its last run ({when}).")
    lines += ["", "Details: `lab_lifecycle.md`, `suite_timing.md` (per test: duration, API calls, polls, gaps), "
              "`tempest_compare.md`, `adapter_latency.md`, `scale.md` in the same folder."]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="prove the benchmarks work (CI), do not publish")
    parser.add_argument("--out", type=Path, help=f"results folder (default {RESULTS}, --quick: {QUICK_OUT})")
    parser.add_argument("--parts", default=",".join(PARTS),
                        help="benchmarks to run now (default: all); the others' figures are read from their "
                             "last results in the folder, and the summary says so")
    parser.add_argument("--no-per-set", action="store_true",
                        help="skip each set's own walls (12 runs): only sanity, all sets serial and with workers")
    args = parser.parse_args()
    out = args.out or (QUICK_OUT if args.quick else RESULTS)
    chosen = {p.strip() for p in args.parts.split(",") if p.strip()}
    if chosen - set(PARTS):
        parser.error(f"--parts: unknown {', '.join(sorted(chosen - set(PARTS)))} (known: {', '.join(PARTS)})")
    parts = {
        "lab": (lab_lifecycle, lambda: lab_lifecycle.measure(args.quick)),
        "suite": (suite_timing, lambda: suite_timing.measure(args.quick, per_set=not args.no_per_set)),
        "tempest": (tempest_compare, lambda: tempest_compare.measure(1 if args.quick else 3)),
        "adapter": (adapter_latency, lambda: adapter_latency.measure(100 if args.quick else 1000, None,
                                                                     1 if args.quick else 5)),
        # --quick validates the steps' lab files only: each step is a lab of its own (minutes each).
        "scale": (scale, lambda: scale.measure(args.quick, out=out)),
    }
    figures: dict[str, Any] = {}
    reused: dict[str, str] = {}
    for name, (module, run) in parts.items():
        stem = module.__name__.rsplit(".", 1)[1]
        if name not in chosen:
            previous = out / f"{stem}.json"
            if not previous.is_file():
                raise SystemExit(f"bench: {name} not run (--parts) and no earlier {previous}: run it once")
            doc = json.loads(previous.read_text())
            figures[name] = doc["figures"]
            reused[name] = f"commit {doc['commit']}, {doc['machine']['date']}"
            continue
        print(f"[bench] {name} ...", flush=True)
        figures[name] = run()
        write(stem, figures[name], module.table(figures[name]), out=out)
    if reused:
        figures["reused"] = reused
    print(write("bench", figures, summary(figures), out=out))
    print((out / "bench.md").read_text())


if __name__ == "__main__":
    main()
