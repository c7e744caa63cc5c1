"""Suite benchmark: wall time per set and for all sets (serial, 2 and 4 xdist workers), per-test duration,
API calls per test (counted at the HTTP layer), polls per wait and how late waiters see a state change.

The figures come from the suite's own JUnit properties (fuel_health/clients/metrics.py), so a Jenkins run carries
the same numbers. Overhead of a serial run = (wall - sum of test durations: start-up, preflight, collection,
reports) + how late the waiters saw state changes: half of each detection gap on average (the cloud was
done, the suite had not looked yet); the bound, with whole gaps, is reported too.
usage: python -m benchmarks.suite_timing [--quick] [--out DIR]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from benchmarks import common

SETS = ("sanity", "smoke", "tests_platform", "configuration")
FUEL_HEALTH = Path(sys.executable).with_name("fuel-health")
MODES = {"serial": (), "workers_2": ("-n", "2"), "workers_4": ("-n", "4")}
TARGETS = {"all_sets_with_workers_s": 60, "overhead_pct": 10, "sanity_whole_command_s": 2.5,
           "all_sets_serial_s": 14}
REPEAT = 5  # whole-command figures are medians of this many runs (--quick: 2)


@dataclass
class Case:
    id: str
    outcome: str
    duration_s: float
    props: dict[str, str] = field(default_factory=dict)

    def num(self, key: str) -> float:
        return float(self.props.get(key) or 0)

    @property
    def gaps(self) -> list[float]:
        raw = self.props.get("detect_gaps_s") or ""
        return [float(g) for g in raw.split(",") if g]


@dataclass
class Run:
    args: list[str]
    wall_s: float
    exit_code: int
    cases: list[Case]

    @property
    def ran(self) -> list[Case]:
        return [c for c in self.cases if c.outcome != "skipped"]


def run_suite(*args: str) -> Run:
    """One `fuel-health run` with its own JUnit file; wall time from start to exit."""
    with tempfile.TemporaryDirectory(prefix="fh-bench-") as tmp:
        junit = Path(tmp) / "junit.xml"
        cmd = [str(FUEL_HEALTH), "run", "--junit", str(junit), "--allure-dir", str(Path(tmp) / "allure"), *args]
        t0 = time.monotonic()
        res = subprocess.run(cmd, capture_output=True, text=True, timeout=1800)
        wall = time.monotonic() - t0
        if res.returncode not in (0, 1):
            raise SystemExit(f"benchmark: `{' '.join(cmd[1:])}` could not run (exit {res.returncode}): "
                             + (res.stdout.strip().splitlines() or ["no output"])[-1])
        return Run(list(args), round(wall, 2), res.returncode, parse_junit(junit))


def parse_junit(path: Path) -> list[Case]:
    cases = []
    for tc in ET.parse(path).getroot().iter("testcase"):
        outcome = ("failed" if tc.find("failure") is not None or tc.find("error") is not None
                   else "skipped" if tc.find("skipped") is not None else "passed")
        props = {p.get("name", ""): p.get("value", "") for p in tc.iter("property")}
        cases.append(Case(f"{tc.get('classname')}.{tc.get('name')}".removeprefix("fuel_health.tests."), outcome,
                          float(tc.get("time") or 0), props))
    return cases


def summarize(run: Run, workers: int = 1) -> dict[str, Any]:
    ran = run.ran
    busy = sum(c.duration_s for c in ran)
    gaps = sum(sum(c.gaps) for c in ran)
    out: dict[str, Any] = {"wall_s": run.wall_s, "tests": len(ran),
                           "failed": [c.id for c in ran if c.outcome == "failed"],
                           "sum_of_test_durations_s": round(busy, 2)}
    if workers == 1:
        outside = max(run.wall_s - busy, 0.0)
        late = gaps / 2  # the state changed somewhere in each gap: on average half-way
        out |= {"outside_tests_s": round(outside, 2), "detection_gaps_s": round(gaps, 2),
                "detection_late_s": round(late, 2), "overhead_s": round(outside + late, 2),
                "overhead_pct": round(100 * (outside + late) / run.wall_s, 1),
                "overhead_bound_pct": round(100 * (outside + gaps) / run.wall_s, 1)}
    else:
        out["worker_idle_pct"] = round(100 * max(workers * run.wall_s - busy, 0.0) / (workers * run.wall_s), 1)
    return out


def per_test(run: Run) -> list[dict[str, Any]]:
    rows = []
    for c in sorted(run.ran, key=lambda c: -c.duration_s):
        waits = int(c.num("waits"))
        rows.append({"test": c.id, "outcome": c.outcome, "duration_s": round(c.duration_s, 2),
                     "api_calls": int(c.num("api_calls")), "http_s": c.num("http_s"), "waits": waits,
                     "polls_per_wait": round(c.num("polls") / waits, 1) if waits else None,
                     "max_detect_gap_s": max(c.gaps, default=None)})
    return rows


def waits_summary(runs: list[Run]) -> dict[str, Any]:
    waits = sum(int(c.num("waits")) for r in runs for c in r.ran)
    polls = sum(int(c.num("polls")) for r in runs for c in r.ran)
    gaps = sorted(g for r in runs for c in r.ran for g in c.gaps)
    if not gaps:
        return {"waits": waits, "polls": polls}
    return {"waits": waits, "polls": polls, "polls_per_wait": round(polls / max(waits, 1), 2),
            "detect_gap_median_s": round(statistics.median(gaps), 3),
            "detect_gap_p90_s": round(gaps[int(0.9 * (len(gaps) - 1))], 3), "detect_gap_max_s": round(gaps[-1], 3),
            "backoff": backoff_text()}


def backoff_text() -> str:
    """The waiters' polling schedule as measured (read from the code, so the report never goes stale)."""
    from fuel_health.clients.waiters import Backoff

    b = Backoff()
    return f"{b.start:g} s x{b.factor:g}, capped at {b.cap:g} s (fuel_health/clients/waiters.py)"


def medians(runs: list[Run]) -> dict[str, Any]:
    walls = sorted(r.wall_s for r in runs)
    return {"median_s": round(statistics.median(walls), 2), "runs_s": [r.wall_s for r in runs],
            "failed_runs": sum(r.exit_code != 0 for r in runs)}


def measure(quick: bool, per_set: bool = True) -> dict[str, Any]:
    figures: dict[str, Any] = {"mode": "quick" if quick else "full"}
    repeat = 2 if quick else REPEAT
    if not quick:
        run_suite()  # warm-up, not counted: the first vCenter boot copies the image into the datastore cache
    if not quick and per_set:
        figures["sets_s"] = {s: {mode: run_suite("--set", s, *args).wall_s for mode, args in MODES.items()}
                             for s in SETS}
    sanity = [run_suite("--set", "sanity") for _ in range(repeat)]
    # Where a sanity run's time goes: outside its tests is start-up, preflight, collection and reports.
    mid = sorted(sanity, key=lambda r: r.wall_s)[len(sanity) // 2]
    figures["sanity"] = medians(sanity) | {"median_run": summarize(mid)}
    serials = [run_suite() for _ in range(1 if quick else repeat)]
    serial = sorted(serials, key=lambda r: r.wall_s)[len(serials) // 2]  # the median run, for its breakdown
    figures["all_sets"] = {"serial": summarize(serial) | {"repeat": medians(serials)}}
    runs = [serial]
    for workers in (2,) if quick else (2, 4):
        run = run_suite("-n", str(workers))
        figures["all_sets"][f"workers_{workers}"] = summarize(run, workers)
        runs.append(run)
    figures["waits"] = waits_summary(runs)
    figures["tests"] = per_test(serial)
    figures["api_calls_total_serial"] = sum(t["api_calls"] for t in figures["tests"])
    return figures


def table(f: dict[str, Any]) -> str:
    lines = ["| run | wall s | tests | failed | notes |", "|---|---|---|---|---|"]
    if "sanity" in f:
        sn = f["sanity"]
        lines.append(f"| sanity, whole command (median of {len(sn['runs_s'])}) | {sn['median_s']} | "
                     f"{sn['median_run']['tests']} | {sn['failed_runs']} runs | runs {sn['runs_s']}; outside tests "
                     f"{sn['median_run']['outside_tests_s']} s |")
    for name, s in f["all_sets"].items():
        note = (f"overhead {s['overhead_s']} s = {s['overhead_pct']} % (outside tests {s['outside_tests_s']} s, "
                f"waiters late {s['detection_late_s']} s: half the {s['detection_gaps_s']} s of gaps; at most "
                f"{s['overhead_bound_pct']} %)" if "overhead_s" in s
                else f"workers idle {s['worker_idle_pct']} %")
        lines.append(f"| all sets, {name.replace('_', ' ')} | {s['wall_s']} | {s['tests']} | {len(s['failed'])} | "
                     f"{note} |")
    for name, walls in f.get("sets_s", {}).items():
        lines.append(f"| {name} | {' / '.join(str(w) for w in walls.values())} | | | serial / 2 / 4 workers |")
    w = f["waits"]
    lines += ["", f"Waits: {w['waits']}, polls: {w['polls']}"
              + (f", {w['polls_per_wait']} polls per wait; detection gap median {w['detect_gap_median_s']} s, "
                 f"p90 {w['detect_gap_p90_s']} s, max {w['detect_gap_max_s']} s (upper bounds: the time between "
                 f"the last poll that saw the old state and the first that saw the new). Backoff: {w['backoff']}."
                 if "polls_per_wait" in w else ""),
              "", "Per test (serial run, slowest first):", "",
              "| test | outcome | s | API calls | cloud answering s | waits | polls/wait | max gap s |",
              "|---|---|---|---|---|---|---|---|"]
    for t in f["tests"]:
        lines.append(f"| `{t['test']}` | {t['outcome']} | {t['duration_s']} | {t['api_calls']} | {t['http_s']} | "
                     f"{t['waits']} | {t['polls_per_wait'] if t['polls_per_wait'] is not None else ''} | "
                     f"{t['max_detect_gap_s'] if t['max_detect_gap_s'] is not None else ''} |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description="suite timing")
    parser.add_argument("--quick", action="store_true", help="all sets serial and with 2 workers only")
    common.main("suite_timing", lambda a: measure(a.quick), table, parser)


if __name__ == "__main__":
    main()
