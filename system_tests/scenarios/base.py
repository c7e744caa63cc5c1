"""What every scenario shares: the deployment under test, fuel-qa's snapshot chain, OSTF expectations."""

from __future__ import annotations

import contextlib
import functools
from collections.abc import Callable, Collection, Iterator
from pathlib import Path
from typing import Any, TypeVar

from fuel_health import fuel_data
from system_tests.helpers.deployment import Deployment
from system_tests.helpers.errors import DeploymentError, OstfError, RoleRestrictionError, SystemTestError
from system_tests.helpers.ostf_results import OstfResult
from system_tests.proboscis_compat import SkipTest

F = TypeVar("F", bound=Callable[..., Any])

OSTF_SETS = ("sanity", "smoke", "configuration")  # configuration: the per-role config changes
DEPLOY_TIMEOUT = 90 * 60  # a Fuel deployment of a few nodes (the local lab takes minutes)
OSTF_TIMEOUT = 30 * 60

_current: dict[str, Any] = {}


@contextlib.contextmanager
def using(deployment: Deployment, reports_dir: Path) -> Iterator[Deployment]:
    """Make `deployment` the one the scenarios drive (the runner sets it around a proboscis run)."""
    _current.update(deployment=deployment, reports_dir=reports_dir)
    try:
        yield deployment
    finally:
        _current.clear()


def deployment() -> Deployment:
    """The deployment under test."""
    if "deployment" not in _current:
        raise SkipTest("no backend: run scenarios through `python -m system_tests run --backend ...`")
    return _current["deployment"]


def collect_diagnostics(func: F) -> F:
    """On failure, take the backend's diagnostic snapshot before the error goes up (fuel-qa's habit)."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except SkipTest:
            raise
        except Exception as exc:
            if getattr(exc, "diagnostics", None):
                raise  # the backend took one already (e.g. after a failed deployment task)
            where = Path(_current.get("reports_dir") or "reports/system_tests") / "diagnostics" / func.__name__
            try:
                print(f"[system_tests] {func.__name__} failed: diagnostic snapshot "
                      f"{deployment().diagnostic_snapshot(where)}", flush=True)
            except Exception as exc:  # never hide the scenario's own error
                print(f"[system_tests] {func.__name__} failed; no diagnostic snapshot: {exc}", flush=True)
            raise

    return wrapper  # type: ignore[return-value]


def start_from(snapshot: str) -> Deployment:
    """Revert to a snapshot of the chain, or fail saying why (the local lab only 'reverts' to where it is)."""
    d = deployment()
    if not d.revert_snapshot(snapshot):
        raise DeploymentError(f"cannot start from snapshot {snapshot} on the {d.backend} backend: run the chain "
                              f"from its start (`--group {snapshot}` and later groups run their prerequisites)")
    return d


def expect_ran(result: OstfResult, hypervisors: Collection[str], what: str, keyword: str = "") -> None:
    """At least one test of those hypervisors (and keyword) ran; run_ostf already made sure all passed."""
    if not result.ran(hypervisors, keyword):
        kind = "/".join(sorted(hypervisors)) + (f" '{keyword}'" if keyword else "")
        raise OstfError(f"{what}: no {kind} test ran ({result.summary()}, {result.source}): they do not apply "
                        "to this cluster, or the suite has none")


def expect_not_ran(result: OstfResult, hypervisors: Collection[str], what: str) -> None:
    """No test of those hypervisors ran: they must not apply here."""
    ran = result.ran(hypervisors)
    if ran:
        raise OstfError(f"{what}: {len(ran)} {'/'.join(sorted(hypervisors))} test(s) applied and ran: "
                        f"{', '.join(t.id for t in ran[:5])}")


def path_of(d: Deployment) -> str:
    """The scenario path of the deployment's Fuel release (fixtures/releases/<release>.yaml scenario.path)."""
    return str(fuel_data.release_rules(d.release)["scenario"]["path"])


def vmdk_volume_tests(test_sets: Collection[str], vcenter_zones: int = 1) -> list[str]:
    """Ids of the suite's tests that need VMDK volumes (a tag term `volumes_vmdk` alone) in those sets, among
    those a cloud with that many vCenter zones runs (the vCenter-to-vCenter check needs two: `multi_vcenter`).

    With volumes_vmdk on and no cinder-vmdk node yet (6.1-8.0 before add_cinder_vmdk_ha: the setting cannot wait
    for the nodes), the vCenter zone has no cinder-volume: these fail, on Fuel as on the lab. Counting a test the
    cloud does not run would raise fuel-qa's should_fail above what can fail."""
    from fuel_health.pytest_plugin import ostf, tags

    return [m.id for m in ostf.discover() if m.test_set in test_sets
            and frozenset({"volumes_vmdk"}) in tags.parse(m.tags)
            and (vcenter_zones > 1 or frozenset({"multi_vcenter"}) not in tags.parse(m.tags))]


def run_ostf_for(d: Deployment, test_sets: Collection[str], timeout: float) -> OstfResult:
    """Run OSTF with fuel-qa's rule. While VMDK volumes are on and no cinder-vmdk node exists (6.1-8.0 before
    add_cinder_vmdk_ha) the vCenter volume tests may fail, and only they: any other failure fails the step."""
    roles = d.node_roles()
    expected: list[str] = []
    if path_of(d) == "vcenter_first" and d.vmdk_before_cinder_nodes \
            and not any("cinder-vmdk" in r for r in roles.values()):
        zones = len(d.vmware_attributes().get("availability_zones") or [])
        expected = vmdk_volume_tests(test_sets, zones)
        print(f"[system_tests] Fuel {d.release}: volumes_vmdk is on before any cinder-vmdk node: "
              f"{len(expected)} vCenter volume test(s) may fail", flush=True)
    result = d.run_ostf(tuple(test_sets), should_fail=len(expected), timeout=timeout)
    other = [t for t in result.failed() if t.id not in expected]
    if other:
        shown = "; ".join(f"{t.id}: {t.status}: {t.message}" for t in other[:5])
        raise OstfError(f"OSTF ({result.summary()}): {len(other)} failed that only a missing cinder-vmdk node "
                        f"would excuse, but they are not volume tests: {shown} [{result.source}]")
    return result


def expect_refused(call: Callable[[], object], must_say: str, what: str) -> str:
    """The call raises RoleRestrictionError mentioning `must_say`; return its message."""
    try:
        call()
    except (RoleRestrictionError, SystemTestError) as exc:
        if must_say not in str(exc):
            raise AssertionError(f"{what}: refused, but not for the expected reason ({must_say!r}): {exc}") from exc
        print(f"[system_tests] refused as expected: {exc}", flush=True)
        return str(exc)
    raise AssertionError(f"{what}: accepted, but the release's rules (fixtures/releases) forbid it")
