"""What a fault-matrix row expects, and its verdict on one run (pure: unit-tested without a lab)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from suite_run import SuiteRun


@dataclass(frozen=True)
class Expect:
    fails: frozenset[str]
    says: str  # a regex: some failing message (or the one-line "cannot run" reason) names the cause like this
    cannot_run: bool = False  # exit 3 before any test: the preflight found the cloud unusable
    # Dependants of a shared resource that the fault breaks: the first test (per xdist worker) that needs
    # it fails, the later ones are skipped, and which comes first depends on how tests reach the workers.
    maybe: frozenset[str] = frozenset()
    touches: frozenset[str] = frozenset()  # checks the fault could break that must stay green (run them too)


def expect(fails: set[str], says: str, cannot_run: bool = False, maybe: set[str] = frozenset(),
           touches: set[str] = frozenset()) -> Expect:
    return Expect(frozenset(fails), says, cannot_run, frozenset(maybe), frozenset(touches))


def function_of(test_id: str) -> str:
    """`configuration.test_x.test_y[node-1]` -> `configuration.test_x.test_y`."""
    return test_id.split("[", 1)[0]


def first_message(want: Expect, run: SuiteRun) -> str:
    """The first failing message that names the cause as the row says (empty: none does)."""
    return next((run.results[t].message for t in sorted(run.failed)
                 if re.search(want.says, run.results[t].message)), "")


def check_row(want: Expect, selected: set[str], run: SuiteRun) -> None:
    """AssertionError (one line saying what is wrong) unless the run is exactly what the row expects.

    A row holds when: the run ran exactly its selection; the expected checks failed, naming the cause; and
    every other check, each canary and each `touches` check, PASSED. A skip or an error there is no proof
    that the fault left it alone (a skip can hide a failure), so it fails the row. Only `maybe` (dependants
    of a shared resource the fault breaks) may be skipped.
    """
    if want.cannot_run:
        reason = next((line for line in run.output.splitlines() if line.startswith("Exit: ")), "")
        assert run.exit_code == 3 and not run.results, run.output[-2000:]
        assert re.search(want.says, reason), reason
        return
    ran = {function_of(t) for t in run.results}
    # -k ran exactly the selection: no id of the row is a typo, nothing else slipped in.
    assert ran == selected, f"selected but not run: {selected - ran}, run but not selected: {ran - selected}"
    failing = run.failed
    unexpected, missed = failing - want.fails - want.maybe, want.fails - failing
    assert not unexpected and not missed, f"unexpected: {unexpected}, missed: {missed}"
    assert not want.maybe or failing & want.maybe, f"none of {sorted(want.maybe)} failed"
    not_passed = {t: r.status for t, r in run.results.items()
                  if r.status != "passed" and t not in want.fails | want.maybe}
    assert not not_passed, ("canary or touches checks did not pass, so the row proves nothing about them: "
                            + ", ".join(f"{t} {s}: {run.results[t].message[:160]}" for t, s in
                                        sorted(not_passed.items())))
    assert run.exit_code == (1 if want.fails else 0), run.output[-2000:]
    if want.fails:
        assert first_message(want, run), f"no failing message says /{want.says}/"
