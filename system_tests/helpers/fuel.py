"""The Fuel backend: the Deployment steps through Nailgun's REST API, the OSTF adapter's API and fuel-devops.

    create_cluster(t)       POST /api/clusters {name, release, mode, net_provider}, then the template's
                            settings (GET, change, PUT /api/clusters/<id>/attributes)
    update_settings(...)    PUT /api/clusters/<id>/attributes (values changed, the rest kept)
    add_nodes(...)          roles checked locally (fixtures/roles.yaml: conflicts before any API call, then
                            restrictions on the cluster's settings); the fuel-devops slave is found in Nailgun
                            by MAC (started and waited for when not discovered yet); PUT /api/nodes with
                            pending_roles in Fuel's names (compute-vmware, cinder-vmware)
    set_vmware_attributes   validated locally, then PUT /api/clusters/<id>/vmware_attributes (editable.value)
    deploy_changes          PUT /api/clusters/<id>/changes, poll /api/tasks/<id> (running/ready/error, progress);
                            diagnostic snapshot on error or timeout
    run_ostf                POST /ostf/v1/testruns, poll GET /ostf/v1/testruns/last/<cluster_id> until finished
    snapshots               fuel-devops: suspend, snapshot (force), resume; revert + resume, wait for Nailgun
    diagnostic_snapshot     PUT /api/logs/package, wait for the task, download the file its message names
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

import requests

from fuel_health.nailgun import NailgunClient, NailgunError
from system_tests.helpers import fixtures, ostf_results, roles, vmware
from system_tests.helpers.deployment import Deployment
from system_tests.helpers.devops import DevopsEnv
from system_tests.helpers.errors import DeploymentError, OstfError
from system_tests.helpers.ostf_results import OstfResult

_PLAN_NOTES = tuple(line[4:] for line in (__doc__ or "\n\n").split("\n\n")[1].splitlines())


def say(msg: str) -> None:
    print(f"[fuel] {msg}", flush=True)


@dataclass(frozen=True)
class FuelSettings:
    """Where the Fuel lab is and how long to wait; from the environment as fuel-qa jobs set it."""

    nailgun_url: str = "http://10.109.0.2:8000"
    ostf_url: str = ""  # default <nailgun_url>/ostf/v1
    username: str = "admin"
    password: str = "admin"
    env_name: str = "dual_hv_fuel_lab"
    release: str = ""  # a part of the release name (fuel-qa's OPENSTACK_RELEASE); default: first deployable
    vcenter: Mapping[str, str] = field(default_factory=dict)  # vcenter_host, vcenter_username, vcenter_password
    reports_dir: Path = Path("reports/system_tests")
    poll_interval: float = 10.0
    discovery_timeout: float = 900.0
    revert_timeout: float = 600.0
    snapshot_timeout: float = 1800.0

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None, **overrides: Any) -> FuelSettings:
        """NAILGUN_URL, OSTF_URL, KEYSTONE_USERNAME/PASSWORD, ENV_NAME, OPENSTACK_RELEASE, VCENTER_IP/_USERNAME/
        _PASSWORD (fuel-qa's names); explicit overrides (e.g. from the command line) win when not None."""
        env = os.environ if environ is None else environ
        values: dict[str, Any] = {
            "nailgun_url": env.get("NAILGUN_URL", cls.nailgun_url), "ostf_url": env.get("OSTF_URL", ""),
            "username": env.get("KEYSTONE_USERNAME", cls.username),
            "password": env.get("KEYSTONE_PASSWORD", cls.password),
            "env_name": env.get("ENV_NAME", cls.env_name), "release": env.get("OPENSTACK_RELEASE", ""),
            "vcenter": {"vcenter_host": env.get("VCENTER_IP", ""), "vcenter_username": env.get("VCENTER_USERNAME", ""),
                        "vcenter_password": env.get("VCENTER_PASSWORD", "")},
        }
        values.update({k: v for k, v in overrides.items() if v is not None})
        return cls(**values)


class OstfApi:
    """JSON calls to the OSTF REST adapter (under /ostf/v1 on the Fuel master), with Nailgun's token."""

    def __init__(self, url: str, session: requests.Session, timeout: float = 30.0) -> None:
        self.url = url.rstrip("/")
        self.session = session
        self.timeout = timeout

    def request(self, method: str, path: str, body: Any = None) -> Any:
        """Send one request; return the decoded JSON or raise OstfError (409 carries the adapter's reason)."""
        url = f"{self.url}/{path.lstrip('/')}"
        try:
            resp = self.session.request(method, url, json=body, timeout=self.timeout)
        except requests.RequestException as exc:
            raise OstfError(f"cannot reach the OSTF adapter at {self.url}: {type(exc).__name__}") from None
        if not resp.ok:
            raise OstfError(f"OSTF adapter {method} {url}: HTTP {resp.status_code} {' '.join(resp.text.split())[:200]}")
        try:
            return resp.json() if resp.content else None
        except ValueError:
            raise OstfError(f"OSTF adapter {method} {url}: answer is not JSON") from None


class FuelDeployment(Deployment):
    """Deployment on a Fuel master (Nailgun + OSTF adapter) whose slaves are fuel-devops nodes."""

    backend = "fuel"
    plan_notes: ClassVar[tuple[str, ...]] = _PLAN_NOTES

    def __init__(self, nailgun: NailgunClient, devops: DevopsEnv, settings: FuelSettings, *,
                 ostf: OstfApi | None = None, sleep: Callable[[float], None] = time.sleep,
                 clock: Callable[[], float] = time.monotonic, log: Callable[[str], None] = say) -> None:
        self.nailgun = nailgun
        self.devops = devops
        self.settings = settings
        self.ostf = ostf or OstfApi(settings.ostf_url or f"{nailgun.url}/ostf/v1", nailgun.session)
        self.sleep, self.clock, self.log = sleep, clock, log
        self._cluster_id: int | None = None
        self._facts: roles.ClusterFacts | None = None

    @classmethod
    def connect(cls, settings: FuelSettings) -> FuelDeployment:
        """Log in to the Fuel master's keystone and open the fuel-devops environment."""
        from system_tests.helpers.devops import FuelDevopsEnv

        devops = FuelDevopsEnv.open(settings.env_name)  # first: it fails fast where fuel-devops is missing
        try:
            client = NailgunClient.login(settings.nailgun_url, settings.username, settings.password)
        except NailgunError as exc:
            raise DeploymentError(str(exc)) from None
        return cls(client, devops, settings)

    # --- helpers ---

    def _api(self, what: str, call: Callable[[], Any]) -> Any:
        try:
            return call()
        except NailgunError as exc:
            raise DeploymentError(f"{what}: {exc}") from None

    @property
    def cluster_id(self) -> int:
        """This run's cluster, or after a revert the last created one (as fuel-qa's get_last_created_cluster)."""
        if self._cluster_id is None:
            clusters = self._api("find the cluster", self.nailgun.clusters)
            if not clusters:
                raise DeploymentError(f"Nailgun at {self.nailgun.url} has no cluster: run the deploy_kvm group first")
            self._cluster_id = max(int(c["id"]) for c in clusters)
        return self._cluster_id

    def facts(self) -> roles.ClusterFacts:
        """The cluster's net_provider and settings values (cached until a revert or a settings change)."""
        if self._facts is None:
            cluster = self._api("read the cluster", lambda: self.nailgun.cluster(self.cluster_id))
            editable = self._api("read the settings", lambda: self.nailgun.attributes(self.cluster_id))
            settings = {g: {k: v.get("value") for k, v in items.items() if isinstance(v, Mapping) and "value" in v}
                        for g, items in editable.items() if isinstance(items, Mapping)}
            self._facts = roles.ClusterFacts(cluster={"net_provider": cluster.get("net_provider")}, settings=settings)
        return self._facts

    def _release_id(self) -> int:
        releases = self._api("list releases", self.nailgun.releases)
        want = self.settings.release.lower()
        for rel in releases:
            if rel.get("is_deployable", True) and want in str(rel.get("name", "")).lower():
                return int(rel["id"])
        names = ", ".join(str(r.get("name")) for r in releases) or "none"
        raise DeploymentError(f"no deployable release matching {self.settings.release!r} (releases: {names})")

    def _find_node(self, name: str, listing: list[dict[str, Any]] | None = None) -> dict[str, Any]:
        """The Nailgun node of a fuel-devops slave, matched by MAC; boot it and wait when not discovered yet."""
        macs = self.devops.node_macs(name)
        deadline = self.clock() + self.settings.discovery_timeout
        started = False
        while True:
            for node in listing if listing is not None else self._api("list nodes", self.nailgun.all_nodes):
                theirs = {str(node.get("mac", "")).lower()} | {
                    str(i.get("mac", "")).lower() for i in (node.get("meta") or {}).get("interfaces") or []}
                if macs & theirs:
                    return node
            listing = None
            if not started:
                self.log(f"{name} not discovered by Nailgun yet: starting it (PXE bootstrap)")
                self.devops.start_node(name)
                started = True
            if self.clock() > deadline:
                raise DeploymentError(f"{name} (MACs {', '.join(sorted(macs))}) not discovered by Nailgun in "
                                      f"{self.settings.discovery_timeout:.0f} s: check its console and the admin "
                                      "network's PXE")
            self.sleep(self.settings.poll_interval)

    def _wait_task(self, task: Mapping[str, Any], timeout: float, what: str) -> dict[str, Any]:
        """Poll /api/tasks/<id> until ready; DeploymentError (with a diagnostic snapshot) on error or timeout."""
        task_id = task["id"]
        deadline = self.clock() + timeout
        last = None
        current = dict(task)
        while True:
            status, progress = current.get("status"), current.get("progress")
            if (status, progress) != last:
                self.log(f"{what}: task {task_id} ({current.get('name', '?')}) {status} {progress}%")
                last = (status, progress)
            if status == "ready":
                return current
            if status == "error" or self.clock() > deadline:
                why = (f"error: {' '.join(str(current.get('message') or 'no message').split())[:300]}"
                       if status == "error" else f"not done after {timeout:.0f} s (last: {status} {progress}%)")
                snapshot, note = self._diagnostics(what)
                error = DeploymentError(f"{what}: task {task_id} {why}{note}")
                error.diagnostics = snapshot
                raise error
            self.sleep(self.settings.poll_interval)
            current = self._api(f"{what}: read task {task_id}", lambda: self.nailgun.task(task_id))

    def _diagnostics(self, what: str) -> tuple[Path | None, str]:
        """Take Fuel's diagnostic snapshot after a failed task: (file or None, a note for the error)."""
        if what == "diagnostic snapshot":
            return None, ""
        try:
            path = self.diagnostic_snapshot(self.settings.reports_dir)
        except Exception as exc:  # the deploy error matters more than a failed snapshot
            return None, f" (no diagnostic snapshot: {exc})"
        return path, f" (diagnostic snapshot: {path})"

    # --- the steps ---

    def create_cluster(self, template: str) -> None:
        """A new cluster named after fixtures/clusters/<template>.yaml, with that template's settings."""
        data = fixtures.cluster_template(template)
        body = {"name": data["name"], "release": self._release_id(), "mode": data["mode"],
                "net_provider": data["net_provider"]}
        cluster = self._api("create the cluster", lambda: self.nailgun.create_cluster(body))
        self._cluster_id, self._facts = int(cluster["id"]), None
        self.log(f"cluster {data['name']} created: id {self._cluster_id}")
        self.update_settings(data["settings"])

    def update_settings(self, settings: Mapping[str, Mapping[str, Any]]) -> None:
        """Change settings values, keeping the others."""
        self._api("update settings", lambda: self.nailgun.update_attributes(self.cluster_id, settings))
        self._facts = None

    def add_nodes(self, nodes: Mapping[str, Sequence[str]]) -> None:
        """Check roles locally, find each slave in Nailgun, then assign pending_roles in one PUT /api/nodes."""
        for name, wanted in nodes.items():
            roles.check_node(name, wanted, None)  # unknown roles, conflicts: refused before any API call
        facts = self.facts()
        listing = self._api("list nodes", self.nailgun.all_nodes)
        updates = []
        for name, wanted in nodes.items():
            node = self._find_node(name, listing)
            in_cluster = node.get("cluster") == self.cluster_id
            have = [*(node.get("roles") or []), *(node.get("pending_roles") or [])] if in_cluster else []
            if node.get("cluster") not in (None, self.cluster_id):
                raise DeploymentError(f"{name} (Nailgun node {node['id']}) belongs to cluster {node['cluster']}")
            checked = roles.check_node(f"{name} ({node.get('hostname') or node['id']})", [*have, *wanted], facts)
            deployed = {fixtures.canonical_role(r) for r in node.get("roles") or []} if in_cluster else set()
            updates.append({"id": node["id"], "cluster_id": self.cluster_id,
                            "pending_roles": [fixtures.fuel_role(r) for r in checked if r not in deployed],
                            "pending_addition": not deployed})
        self._api("assign roles", lambda: self.nailgun.update_nodes(updates))
        self.log("roles assigned: " + ", ".join(f"{n} -> {', '.join(r)}" for n, r in nodes.items()))

    def set_vmware_attributes(self, attrs: Mapping[str, Any]) -> None:
        """Validate against the cluster's vcenter-compute nodes, then PUT the VMware settings."""
        hosts = [h for h, r in self.node_roles().items() if "vcenter-compute" in r]
        vmware.validate(attrs, hosts)
        self._api("set VMware settings", lambda: self.nailgun.update_vmware_attributes(self.cluster_id, attrs))

    def deploy_changes(self, timeout: float) -> None:
        """PUT /api/clusters/<id>/changes and wait for the deployment task."""
        for warning in roles.check_cluster(self.node_roles()):
            self.log(f"warning: {warning}")
        task = self._api("deploy changes", lambda: self.nailgun.deploy_changes(self.cluster_id))
        self._wait_task(task, timeout, "deploy changes")

    def _os_creds(self) -> dict[str, str]:
        access = self.facts().settings.get("access") or {}
        return {"ostf_os_username": str(access.get("user") or "admin"),
                "ostf_os_password": str(access.get("password") or "admin"),
                "ostf_os_tenant_name": str(access.get("tenant") or "admin")}

    def run_ostf(self, test_sets: Sequence[str], should_fail: int = 0, failed_test_names: Sequence[str] = (),
                 timeout: float = 1800) -> OstfResult:
        """Start the sets through the adapter, wait until every run is finished, apply fuel-qa's rule."""
        cid = self.cluster_id
        body = [{"testset": s, "metadata": {"cluster_id": cid, "ostf_os_access_creds": self._os_creds()}}
                for s in test_sets]
        started = self.ostf.request("POST", "testruns", body)
        started = started.get("objects", started) if isinstance(started, Mapping) else started
        if not started:
            raise OstfError(f"the OSTF adapter started nothing for {', '.join(test_sets)} on cluster {cid} "
                            "(a run of these sets may still be going: see GET /ostf/v1/testruns/last)")
        run_ids = {r["id"] for r in started}
        deadline = self.clock() + timeout
        while True:
            runs = self.ostf.request("GET", f"testruns/last/{cid}") or []
            runs = [runs] if isinstance(runs, Mapping) else runs
            mine = [r for r in runs if r.get("id") in run_ids]
            tests = [t for r in mine for t in r.get("tests") or [] if t.get("status") != "disabled"]
            done = [t for t in tests if t.get("status") not in ("wait_running", "running")]
            if mine and all(r.get("status") == "finished" for r in mine):
                break
            if self.clock() > deadline:
                busy = ", ".join(t["id"] for t in tests if t not in done)[:300]
                raise OstfError(f"OSTF on cluster {cid} not finished after {timeout:.0f} s ({len(done)}/{len(tests)} "
                                f"tests done; still going: {busy or 'none listed'})")
            self.log(f"OSTF: {len(done)}/{len(tests)} tests done")
            self.sleep(self.settings.poll_interval)
        result = ostf_results.from_testruns(mine, test_sets, source=f"{self.ostf.url}/testruns/last/{cid}")
        self.log(f"OSTF: {result.summary()}")
        ostf_results.check(result, should_fail, failed_test_names)
        return result

    def make_snapshot(self, name: str) -> bool:
        """fuel-devops snapshot of every node (an older one of that name is replaced)."""
        self.devops.snapshot(name, description=f"system_tests: after {name} (cluster {self.cluster_id})")
        self.log(f"snapshot {name} made")
        return True

    def revert_snapshot(self, name: str) -> bool:
        """Revert every node to the snapshot and wait until Nailgun answers; False when there is none."""
        if not self.devops.has_snapshot(name):
            self.log(f"revert {name}: no such fuel-devops snapshot")
            return False
        self.devops.revert(name)
        self._cluster_id, self._facts = None, None
        deadline = self.clock() + self.settings.revert_timeout
        while True:
            try:
                self.nailgun.clusters()
                break
            except NailgunError as exc:
                if self.clock() > deadline:
                    raise DeploymentError(f"Nailgun not answering {self.settings.revert_timeout:.0f} s after "
                                          f"reverting {name}: {exc}") from None
                self.sleep(self.settings.poll_interval)
        self.log(f"reverted to {name}")
        return True

    def diagnostic_snapshot(self, path: Path) -> Path:
        """Fuel's diagnostic snapshot (PUT /api/logs/package), downloaded under `path`."""
        task = self._api("diagnostic snapshot", self.nailgun.logs_package)
        task = self._wait_task(task, self.settings.snapshot_timeout, "diagnostic snapshot")
        where = str(task.get("message") or "")
        if not where.startswith("/"):
            raise DeploymentError(f"diagnostic snapshot: task {task['id']} names no file ({where!r})")
        path.mkdir(parents=True, exist_ok=True)
        out = path / where.rsplit("/", 1)[-1]
        try:
            with self.nailgun.session.get(f"{self.nailgun.url}{where}", stream=True, timeout=300) as resp:
                resp.raise_for_status()
                with open(out, "wb") as f:
                    for chunk in resp.iter_content(1 << 20):
                        f.write(chunk)
        except requests.RequestException as exc:
            raise DeploymentError(f"diagnostic snapshot: cannot download {where}: {type(exc).__name__}") from None
        self.log(f"diagnostic snapshot: {out}")
        return out

    def hostname(self, node: str) -> str:
        """Nailgun's hostname of a fuel-devops slave (node-<id>)."""
        found = self._find_node(node)
        return str(found.get("hostname") or f"node-{found['id']}")

    def vcenter_values(self) -> dict[str, str]:
        """The vCenter of the lab from VCENTER_IP / VCENTER_USERNAME / VCENTER_PASSWORD."""
        missing = [k for k in vmware.CREDENTIALS if not self.settings.vcenter.get(k)]
        if missing:
            raise DeploymentError(f"no vCenter for the fuel backend: set VCENTER_IP, VCENTER_USERNAME and "
                                  f"VCENTER_PASSWORD (missing: {', '.join(missing)})")
        return {k: self.settings.vcenter[k] for k in vmware.CREDENTIALS}

    def node_roles(self) -> dict[str, tuple[str, ...]]:
        """Nailgun's nodes of the cluster: hostname -> roles and pending roles (canonical names)."""
        nodes = self._api("list the cluster's nodes", lambda: self.nailgun.nodes(self.cluster_id))
        return {str(n.get("hostname") or f"node-{n['id']}"): tuple(dict.fromkeys(
            fixtures.canonical_role(r) for r in [*(n.get("roles") or []), *(n.get("pending_roles") or [])]))
            for n in nodes}
