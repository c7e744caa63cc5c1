"""The end-of-run summary: per test set, per hypervisor, failures and what did not apply; one screen."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Mapping
from typing import Any

from fuel_health.pytest_plugin.ostf import TEST_SETS

MAX_LINES = 8  # per list: the summary has to fit one screen
COLUMNS = ("passed", "failed", "error", "skipped")
EXIT_INTERRUPTED = 2
EXIT_NO_TESTS = 5  # pytest's; the plugin turns it into 3


def failure_line(report: Any) -> str:
    """Return a failed test report as one line (the `Step N failed: ...` message when there is one)."""
    crash = getattr(getattr(report, "longrepr", None), "reprcrash", None)
    text = (getattr(crash, "message", None) or str(getattr(report, "longrepr", "") or "")).strip()
    first = text.splitlines()[0] if text else "failed"
    head, sep, rest = first.partition(": ")
    if sep and ("." in head or head == "Failed") and " " not in head:  # drop "fuel_health.<module>.StepFailed: "
        first = rest
    where = "" if report.when == "call" else f" (in {report.when})"
    return (first if len(first) <= 160 else first[:157] + "...") + where


def _table(title: str, outcomes: Mapping[str, tuple[str, str, str, str]], index: int) -> list[str]:
    counts: dict[str, Counter[str]] = defaultdict(Counter)
    for outcome in outcomes.values():
        counts[outcome[index]][outcome[3]] += 1
    if not counts:
        return []
    order = sorted(counts, key=lambda k: (TEST_SETS[k].priority if k in TEST_SETS else 99, k))
    return [f"{title:<16}" + "".join(f"{c:>9}" for c in COLUMNS),
            *(f"{key:<16}" + "".join(f"{counts[key][c]:>9}" for c in COLUMNS) for key in order)]


def summary_lines(
    run_id: str,
    cluster: str,
    outcomes: Mapping[str, tuple[str, str, str, str]],
    failures: Mapping[str, str],
    deselected: Mapping[str, str],
    exitstatus: int,
) -> list[str]:
    """Return the summary lines; outcomes map nodeid -> (ostf id, test set, hypervisor, outcome)."""
    lines = [f"==== fuel-health: run {run_id} on {cluster} ===="]
    lines += _table("test set", outcomes, 1) + _table("hypervisor", outcomes, 2)
    if not outcomes:
        verdict = ": exit code 3 (cannot run)" if exitstatus == EXIT_NO_TESTS else ""
        lines.append(f"no check ran{verdict}" + (", see why below" if deselected else ""))
    if failures:
        lines.append(f"failed ({len(failures)}):")
        lines += [f"  {test_id}: {message}" for test_id, message in list(failures.items())[:MAX_LINES]]
        if len(failures) > MAX_LINES:
            lines.append(f"  ... and {len(failures) - MAX_LINES} more (see the JUnit report)")
    if deselected:
        by_reason: dict[str, list[str]] = defaultdict(list)
        for test_id, reason in deselected.items():
            by_reason[reason].append(test_id)
        lines.append(f"not applicable here ({len(deselected)}):")
        for reason, ids in sorted(by_reason.items(), key=lambda kv: -len(kv[1]))[:MAX_LINES]:
            shown = ", ".join(i.rsplit(".", 1)[-1] for i in ids[:3]) + (", ..." if len(ids) > 3 else "")
            lines.append(f"  {len(ids)} x {reason}: {shown}")
        if len(by_reason) > MAX_LINES:
            lines.append("  ... more reasons: `fuel-health list` shows every test and why")
    if failures or exitstatus == EXIT_INTERRUPTED:
        lines.append(f"leftovers, if any: fuel-health cleanup --run-id {run_id}")
    return lines
