"""The local backend: the Deployment steps realised on the local lab (devops_envs/local).

    create_cluster(t)       Lab.reset(); Lab.up(t)   the lab file devops_envs/local/<t>.yaml deploys all its nodes
                                                     (checked first to match fixtures/clusters/<t>.yaml)
    add_nodes(...)          checked against fixtures/roles.yaml, then queued; nodes Lab.up already deployed with
                            the same roles are no-ops; a deployed node's roles cannot change
    update_settings(...)    only what Lab.add_node derives itself: common.use_vcenter (with VMware settings)
                            and storage.volumes_vmdk (with a cinder-vmdk node); anything else is refused
    set_vmware_attributes   validated, queued; handed to Lab.add_node with the vcenter-compute node it targets
    deploy_changes          Lab.add_node(name, roles, vmware_attributes, vcenter) per queued node, target first
    run_ostf                `python -m fuel_health run --set ... --junit ... --config <lab suite config>`, JUnit parsed
    diagnostic_snapshot     tar.gz of the lab's logs/ and state.yaml (no configs: they hold passwords)

Snapshots: NONE. The lab's state lives in MariaDB, RabbitMQ and the vCenter simulator's memory, and nothing
copies it. make_snapshot(name) only notes a checkpoint and returns False; revert_snapshot(name) returns True
only while the lab is still exactly at that checkpoint (the fuel-qa chain runs in one process), else False.

Names: fixtures' fuel-devops slave-0N is the lab's node-N. Release: the lab runs neutron-server (nova-network is
gone upstream); roles are checked with the rules of the release chosen by --release (fixtures/releases).
6.1-8.0 path: target_node `controllers` is the lab node `vcenter-on-controllers` (no pacemaker here); it keeps
Cluster1 for good, and a compute-vmware node that joins gets a nova_compute of its own for Cluster2 (the lab's
vCenter has both clusters: devops_envs/local/kvm_vcenter_controllers.yaml vcenter.clusters), as on Fuel 8.0.
"""

from __future__ import annotations

import contextlib
import copy
import re
import subprocess
import sys
import tarfile
import textwrap
import threading
import time
from collections import deque
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any, ClassVar, Protocol

from devops_envs.local import topology
from devops_envs.local.errors import LabError
from devops_envs.local.topology import Topology
from fuel_health import cli as fuel_health_cli
from fuel_health import fuel_data
from system_tests.helpers import ostf_results, roles, vmware
from system_tests.helpers.deployment import Deployment
from system_tests.helpers.errors import DeploymentError, OstfError
from system_tests.helpers.ostf_results import OstfResult

# Fuel runs the 6.1-8.0 path's first vCenter nova-compute on the controllers (pacemaker, target_node `controllers`).
# The lab has no pacemaker: its nearest real way is this node of its own (devops_envs/local/
# kvm_vcenter_controllers.yaml) running exactly that nova-compute, for as long as the cluster lives
# (docs/system-tests.md).
STANDIN = "vcenter-on-controllers"
CONTROLLERS = vmware.CONTROLLERS
# Settings Lab.add_node turns on by itself, and what makes it do so.
LAB_DERIVED_SETTINGS = {("common", "use_vcenter"): True, ("storage", "volumes_vmdk"): True}
VCENTER_LAB_FILE = "dual_hv"  # where the simulator's vmware_attributes and vcenter sections live
_SLAVE = re.compile(r"^slave-0*(\d+)$")
_EXIT_MEANING = {2: "interrupted or usage error", 3: "cannot run: config, cloud unreachable or no test applies"}

# --show-plan prints the step -> Lab call table and the snapshot paragraph of this module's docstring.
_PLAN_NOTES = tuple(textwrap.dedent("\n".join((__doc__ or "\n\n\n").split("\n\n")[1:3])).splitlines())

CommandRunner = Callable[[Sequence[str], float], tuple[int, list[str]]]


def say(msg: str) -> None:
    print(f"[local] {msg}", flush=True)


class LabLike(Protocol):
    """The part of devops_envs.local.lab.Lab this backend calls."""

    paths: Any

    def reset(self) -> None: ...
    def up(self, lab_file: str | None = None) -> Topology: ...
    def add_node(self, name: str, roles: list[str], vmware_attributes: dict[str, Any] | None = None,
                 vcenter: dict[str, Any] | None = None) -> Topology: ...
    def topology(self) -> Topology | None: ...


def lab_node_name(node: str) -> str:
    """fuel-devops slave-0N -> the lab's node-N (a lab name passes through)."""
    match = _SLAVE.match(node)
    return f"node-{int(match.group(1))}" if match else node


def fuel_health_command(test_sets: Sequence[str], junit: Path, config: Path) -> list[str]:
    """The `fuel-health run` command line for the lab (same interpreter, so the same installed suite)."""
    return [sys.executable, "-m", "fuel_health", "run", "--set", ",".join(test_sets), "--junit", str(junit),
            "--config", str(config)]


def run_streaming(cmd: Sequence[str], timeout: float) -> tuple[int, list[str]]:
    """Run a command, echo its output as it comes, return (exit code, last lines); OstfError on timeout."""
    tail: deque[str] = deque(maxlen=30)
    proc = subprocess.Popen(list(cmd), stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, bufsize=1)

    def pump() -> None:
        assert proc.stdout is not None
        for line in proc.stdout:
            tail.append(line.rstrip("\n"))
            print(f"  | {line}", end="", flush=True)

    reader = threading.Thread(target=pump, daemon=True)
    reader.start()
    try:
        code = proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
        raise OstfError(f"`{' '.join(cmd[2:5])} ...` did not finish in {timeout:.0f} s: killed") from None
    reader.join(timeout=5)
    return code, list(tail)


def template_mismatch(template: str) -> list[str]:
    """Differences between devops_envs/local/<t>.yaml and fixtures/clusters/<t>.yaml (nodes, settings)."""
    lab = topology.load(template)
    fixture = fuel_data.cluster_template(template)
    want = {lab_node_name(n): tuple(fuel_data.canonical_role(r) for r in roles_)
            for n, roles_ in fuel_data.nodes_of(fixture).items()}
    have = {n.name: n.roles for n in lab.nodes if n.name != STANDIN}  # the controllers' nova-compute
    out = [f"node {n}: lab {have.get(n)} vs fixtures {want.get(n)}" for n in sorted(set(want) | set(have))
           if want.get(n) != have.get(n)]
    for group, values in fixture["settings"].items():
        lab_group = lab.cluster["settings"].get(group, {})
        out += [f"settings {group}.{k}: lab {lab_group.get(k)!r} vs fixtures {v!r}" for k, v in values.items()
                if lab_group.get(k) != v]
    return out


class LocalDeployment(Deployment):
    """Deployment on the local lab; see the module docstring for how each step maps to Lab calls."""

    backend = "local"
    plan_notes: ClassVar[tuple[str, ...]] = _PLAN_NOTES

    def __init__(self, lab: LabLike | None = None, reports_dir: Path = Path("reports/system_tests"),
                 run_command: CommandRunner = run_streaming, log: Callable[[str], None] = say,
                 release: str = fuel_data.newest_release()) -> None:
        self.rules = fuel_data.release_rules(release)  # an unknown release: refused here, the lab untouched
        self.release = release
        self._lab = lab
        self.reports_dir = reports_dir
        self._run_command = run_command
        self.log = log
        self._topology: Topology | None = None
        self._pending_nodes: dict[str, tuple[str, ...]] = {}
        self._pending_settings: dict[str, dict[str, Any]] = {}
        self._pending_vmware: dict[str, Any] | None = None
        self._checkpoint: str | None = None
        self._ostf_runs = 0

    @property
    def lab(self) -> LabLike:
        """The lab (Lab.default() on first use: nothing is touched before a step needs it)."""
        if self._lab is None:
            from devops_envs.local.lab import Lab

            self._lab = Lab.default()
        return self._lab

    def _current(self) -> Topology:
        topo = self._topology or self.lab.topology()
        if topo is None:
            raise DeploymentError("the local lab has no cluster: run the deploy_kvm group first")
        return topo

    def _facts(self, topo: Topology) -> roles.ClusterFacts:
        settings = fuel_data.merge_settings(topo.cluster["settings"], self._pending_settings)
        # Every lab node is deployed once `up` returns: 6.1-8.0 lock such a cluster (a node is ready).
        locked = bool(self.rules["after_deploy"].get("locked_if_a_node_is_ready"))
        return roles.ClusterFacts(cluster=topo.cluster, settings=settings, locked=locked)

    def _lab_call(self, what: str, call: Callable[[], Any]) -> Any:
        try:
            return call()
        except LabError as exc:
            raise DeploymentError(f"local lab: {what}: {exc}") from None

    # --- the steps ---

    def create_cluster(self, template: str) -> None:
        """Lab.reset() + Lab.up(template), after checking the lab file matches fixtures/clusters/<template>."""
        differences = self._lab_call(f"lab file {template}", lambda: template_mismatch(template))
        if differences:
            raise DeploymentError(f"devops_envs/local/{template}.yaml does not match fixtures/clusters/"
                                  f"{template}.yaml: {'; '.join(differences)}")
        self.log(f"create_cluster({template}): Lab.reset(), then Lab.up({template!r})")
        self._lab_call("reset", self.lab.reset)
        self._topology = self._lab_call(f"up {template}", lambda: self.lab.up(template))
        self._pending_nodes, self._pending_settings, self._pending_vmware = {}, {}, None
        self._checkpoint = None

    def update_settings(self, settings: Mapping[str, Mapping[str, Any]]) -> None:
        """Queue settings the lab derives itself; refuse any other (the lab has no settings API)."""
        for group, values in settings.items():
            for name, value in values.items():
                if LAB_DERIVED_SETTINGS.get((group, name)) != value:
                    raise DeploymentError(f"the local lab cannot set {group}.{name}={value!r}: it only turns on "
                                          "common.use_vcenter (with VMware settings) and storage.volumes_vmdk "
                                          "(with a cinder-vmdk node)")
        self._pending_settings = fuel_data.merge_settings(self._pending_settings, dict(settings))

    def add_nodes(self, nodes: Mapping[str, Sequence[str]]) -> None:
        """Check every node's roles against fixtures/roles.yaml, then queue the new ones (all or none)."""
        topo = self._current()
        deployed = {n.name: n.roles for n in topo.nodes}
        facts = self._facts(topo)
        queued: dict[str, tuple[str, ...]] = {}
        for name, wanted in nodes.items():
            lab_name = lab_node_name(name)
            label = name if name == lab_name else f"{name} ({lab_name})"
            have = deployed.get(lab_name, ()) + self._pending_nodes.get(lab_name, ())
            checked = roles.check_node(label, [*have, *wanted], facts, self.release, added=wanted)
            if lab_name in deployed:
                if set(checked) != set(deployed[lab_name]):
                    raise DeploymentError(f"node {label} is deployed as {', '.join(deployed[lab_name])}: the local "
                                          "lab adds nodes but cannot change a deployed node's roles")
                self.log(f"node {label} ({', '.join(checked)}): already deployed by the lab file")
                continue
            queued[lab_name] = checked
        self._pending_nodes.update(queued)

    def set_vmware_attributes(self, attrs: Mapping[str, Any]) -> None:
        """Validate like Nailgun (deployed cluster included), then queue in the lab's terms."""
        hosts = [n for n, r in self.node_roles().items() if "vcenter-compute" in r]
        vmware.validate(attrs, hosts, self.release)
        current = self.vmware_attributes()
        if vmware.nova_computes(current) and vmware.nova_computes(attrs) == vmware.nova_computes(current):
            self.log("VMware settings: as the lab file deployed them")
            return
        if current and self._facts(self._current()).locked:
            vmware.check_change_on_deployed(current, attrs, self.release)
        self._pending_vmware = self._lab_value(attrs)

    def _lab_value(self, attrs: Mapping[str, Any]) -> dict[str, Any]:
        """The settings as the lab runs them: target_node `controllers` is the stand-in node."""
        value = copy.deepcopy(dict(attrs))
        for nc in vmware.nova_computes(value):
            if vmware.target_nodes({"availability_zones": [{"nova_computes": [nc]}]}) == [CONTROLLERS]:
                nc["target_node"] = {"current": {"id": STANDIN, "label": STANDIN}}
        return value

    def _deploy_order(self) -> list[str]:
        targets = vmware.target_nodes(self._pending_vmware) if self._pending_vmware else []
        order = sorted(self._pending_nodes, key=lambda n: n not in targets)
        if self._pending_vmware and not (order and order[0] in targets):
            raise DeploymentError("the local lab takes VMware settings only together with the vcenter-compute "
                                  f"node they target (target_node {', '.join(targets)}; queued: "
                                  f"{', '.join(order) or 'nothing'})")
        settings = fuel_data.merge_settings(self._current().cluster["settings"], self._pending_settings)
        after = {**{n.name: n.roles for n in self._current().nodes}, **self._pending_nodes}
        if settings["common"].get("use_vcenter") and not (self._pending_vmware or self._current().vmware_attributes):
            raise DeploymentError("use_vcenter is on but no VMware settings are queued (set_vmware_attributes)")
        if settings["storage"].get("volumes_vmdk") and not any("cinder-vmdk" in r for r in after.values()) \
                and not self._facts(self._current()).locked:  # 6.1-8.0: on before the nodes, it cannot wait
            raise DeploymentError("volumes_vmdk is on but no cinder-vmdk node is deployed or queued")
        for warning in roles.check_cluster(after, self.release):
            self.log(f"warning: {warning}")
        return order

    def deploy_changes(self, timeout: float) -> None:
        """Lab.add_node for each queued node (the VMware target first); the lab's own stage timeouts apply."""
        if not self._pending_nodes:
            if self._pending_vmware:
                raise DeploymentError("the local lab cannot change VMware settings without adding their node")
            self.log("deploy_changes: nothing queued (the lab file deployed every node)")
            return
        order = self._deploy_order()
        t0 = time.monotonic()
        for name in order:
            node_roles = list(self._pending_nodes[name])
            attrs = self._pending_vmware if self._pending_vmware and name in vmware.target_nodes(
                self._pending_vmware) else None
            # The simulator's section comes with the first VMware settings; a lab that has one keeps it.
            vcenter = topology.load(VCENTER_LAB_FILE).vcenter if attrs and not self._current().vcenter else None
            self.log(f"Lab.add_node({name!r}, {node_roles}" + (", vmware_attributes" if attrs else "")
                     + (", vcenter)" if vcenter else ")"))
            self._topology = self._lab_call(f"add-node {name}",
                                            lambda n=name, r=node_roles, a=attrs, v=vcenter:
                                            self.lab.add_node(n, r, a, v))
            del self._pending_nodes[name]
            if attrs:
                self._pending_vmware = None
        self._pending_settings = {}
        self._checkpoint = None
        elapsed = time.monotonic() - t0
        if elapsed > timeout:
            self.log(f"warning: deploy took {elapsed:.0f} s, more than the {timeout:.0f} s asked")

    def run_ostf(self, test_sets: Sequence[str], should_fail: int = 0, failed_test_names: Sequence[str] = (),
                 timeout: float = 1800) -> OstfResult:
        """Run fuel-health against the lab's suite config; parse its JUnit; apply fuel-qa's rule."""
        self._ostf_runs += 1
        self.reports_dir.mkdir(parents=True, exist_ok=True)
        junit = self.reports_dir / f"ostf-{self._ostf_runs:02d}-{'-'.join(test_sets)}.xml"
        junit.unlink(missing_ok=True)
        cmd = fuel_health_command(test_sets, junit, self.lab.paths.suite_config)
        self.log(f"OSTF: {' '.join(cmd[1:])}")
        code, tail = self._run_command(cmd, timeout)
        if code not in (fuel_health_cli.EXIT_OK, fuel_health_cli.EXIT_UNHEALTHY) or not junit.exists():
            last = next((line for line in reversed(tail) if line.strip()), "no output")
            raise OstfError(f"fuel-health run exited {code} ({_EXIT_MEANING.get(code, 'no JUnit report')}): {last}")
        result = ostf_results.from_junit(junit)
        self.log(f"OSTF: {result.summary()}")
        ostf_results.check(result, should_fail, failed_test_names)
        return result

    def make_snapshot(self, name: str) -> bool:
        """No snapshot on the local lab: note the checkpoint and return False."""
        self._checkpoint = name
        self.log(f"snapshot {name}: not supported on the local lab (state is live); checkpoint noted")
        return False

    def revert_snapshot(self, name: str) -> bool:
        """True when the lab is still at checkpoint `name` (nothing to undo); False otherwise."""
        at = self._checkpoint == name and self._topology is not None
        if at:
            self._pending_nodes, self._pending_settings, self._pending_vmware = {}, {}, None
        self.log(f"revert {name}: " + ("the lab is still there" if at else
                                       f"not possible on the local lab (checkpoint: {self._checkpoint or 'none'})"))
        return at

    def diagnostic_snapshot(self, path: Path) -> Path:
        """tar.gz of the lab's logs and state.yaml (configs and secrets stay out)."""
        path.mkdir(parents=True, exist_ok=True)
        out = path / f"local-lab-{time.strftime('%Y%m%d-%H%M%S')}.tar.gz"
        paths = self.lab.paths
        with tarfile.open(out, "w:gz") as tar:
            for item in (paths.logs, paths.state):
                if Path(item).exists():
                    with contextlib.suppress(OSError):
                        tar.add(str(item), arcname=Path(item).name)
        return out

    def hostname(self, node: str) -> str:
        """The lab's node name (node-N for slave-0N)."""
        return lab_node_name(node)

    def vcenter_values(self) -> dict[str, str]:
        """The simulator's address and credentials from devops_envs/local/dual_hv.yaml ({{generated}} password)."""
        attrs = self._lab_call("lab file dual_hv", lambda: topology.load(VCENTER_LAB_FILE).vmware_attributes) or {}
        az = (attrs.get("availability_zones") or [{}])[0]
        return {k: str(az.get(k, "")) for k in vmware.CREDENTIALS}

    def vmware_attributes(self) -> dict[str, Any]:
        """The VMware settings the lab runs with, {} when vCenter is off; the stand-in reads `controllers`."""
        value = copy.deepcopy(self._current().vmware_attributes or {})
        for nc in vmware.nova_computes(value):
            if vmware.target_nodes({"availability_zones": [{"nova_computes": [nc]}]}) == [STANDIN]:
                nc["target_node"] = {"current": {"id": CONTROLLERS, "label": CONTROLLERS}}
        return value

    def node_roles(self) -> dict[str, tuple[str, ...]]:
        """Deployed nodes of the lab plus the queued ones."""
        return {**{n.name: n.roles for n in self._current().nodes}, **self._pending_nodes}
