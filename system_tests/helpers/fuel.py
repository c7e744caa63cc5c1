"""The Fuel backend: the Deployment steps through Nailgun's REST API, the OSTF adapter's API and fuel-devops.

    create_cluster(t)       POST /api/clusters {name, release, mode: ha_compact, net_provider (+ net_segment_type
                            vlan on neutron)} as the release allows (fixtures/releases/<release>.yaml), then the
                            template's settings (GET, change, PUT attributes), then the network configuration
                            from the fuel-devops address pools (PUT .../network_configuration/<provider>)
    update_settings(...)    PUT /api/clusters/<id>/attributes; refused locally on a locked (deployed) cluster
    add_nodes(...)          roles checked against the release first; the fuel-devops slave is found in Nailgun by
                            MAC (started and waited for when not discovered yet); new nodes: POST
                            /api/clusters/<id>/assignment (Nailgun checks roles there), then each NIC's networks
                            from the template (PUT /api/nodes/<id>/interfaces); more roles: PUT /api/nodes
    set_vmware_attributes   merged into the value from GET (keys Nailgun keeps stay), validated locally (duplicates,
                            targets, what a deployed cluster refuses), then PUT .../vmware_attributes
    deploy_changes          PUT /api/clusters/<id>/changes, poll /api/tasks/<id> (running/ready/error, progress);
                            diagnostic snapshot on error or timeout
    run_ostf                GET <nailgun>/ostf/tests/<cluster_id>, then POST <nailgun>/ostf/testruns, poll
                            GET <nailgun>/ostf/testruns/last/<cluster_id> until finished (fuel-qa's order)
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

from fuel_health import fuel_data
from fuel_health.config.nailgun_client import NailgunClient, NailgunError
from system_tests.helpers import ostf_results, roles, vmware
from system_tests.helpers.deployment import Deployment
from system_tests.helpers.devops import DevopsEnv
from system_tests.helpers.errors import DeploymentError, OstfError, VmwareSettingsError
from system_tests.helpers.ostf_results import OstfResult

_PLAN_NOTES = tuple(line[4:] for line in (__doc__ or "\n\n").split("\n\n")[1].splitlines())


def say(msg: str) -> None:
    print(f"[fuel] {msg}", flush=True)


@dataclass(frozen=True)
class FuelSettings:
    """Where the Fuel lab is and how long to wait; from the environment as fuel-qa jobs set it."""

    nailgun_url: str = "http://10.109.0.2:8000"
    ostf_url: str = ""  # default <nailgun_url>/ostf: nginx maps /ostf/<x> to the adapter's /v1/<x>
    fuel_release: str = fuel_data.newest_release()  # the Fuel master's version: whose rules apply (--release)
    username: str = "admin"
    password: str = "admin"
    env_name: str = "dual_hv_fuel_lab"
    release_name: str = ""  # a part of the OpenStack release name (fuel-qa's OPENSTACK_RELEASE, e.g. ubuntu)
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
            "env_name": env.get("ENV_NAME", cls.env_name), "release_name": env.get("OPENSTACK_RELEASE", ""),
            "vcenter": {"vcenter_host": env.get("VCENTER_IP", ""), "vcenter_username": env.get("VCENTER_USERNAME", ""),
                        "vcenter_password": env.get("VCENTER_PASSWORD", "")},
        }
        values.update({k: v for k, v in overrides.items() if v is not None})
        return cls(**values)


class OstfApi:
    """JSON calls to the OSTF REST adapter behind the Fuel master's nginx, with Nailgun's token.

    fuel-library <tag>:deployment/puppet/nailgun/templates/services.conf.erb: `location ~ ^/ostf/(.*)` proxies to
    the adapter's /v1/$1, so the base is <nailgun>/ostf; <nailgun>/ostf/v1/... would reach /v1/v1/..."""

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


# Template settings our local lab takes but no Fuel release has: realised by roles on Fuel, never PUT.
NOT_NAILGUN_SETTINGS = frozenset({("storage", "volumes_vmdk")})


class FuelDeployment(Deployment):
    """Deployment on a Fuel master (Nailgun + OSTF adapter) whose slaves are fuel-devops nodes."""

    backend = "fuel"
    plan_notes: ClassVar[tuple[str, ...]] = _PLAN_NOTES
    vmdk_before_cinder_nodes: ClassVar[bool] = False  # no storage.volumes_vmdk on Fuel: NOT_NAILGUN_SETTINGS

    def __init__(self, nailgun: NailgunClient, devops: DevopsEnv, settings: FuelSettings, *,
                 ostf: OstfApi | None = None, sleep: Callable[[float], None] = time.sleep,
                 clock: Callable[[], float] = time.monotonic, log: Callable[[str], None] = say) -> None:
        self.nailgun = nailgun
        self.devops = devops
        self.settings = settings
        self.release = settings.fuel_release
        self.rules = fuel_data.release_rules(self.release)
        self.ostf = ostf or OstfApi(settings.ostf_url or f"{nailgun.url}/ostf", nailgun.session)
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
        """The cluster's net_provider, status, lock and settings values (cached until a revert or a change)."""
        if self._facts is None:
            cluster = self._api("read the cluster", lambda: self.nailgun.cluster(self.cluster_id))
            editable = self._api("read the settings", lambda: self.nailgun.attributes(self.cluster_id))
            settings = {g: {k: v.get("value") for k, v in items.items() if isinstance(v, Mapping) and "value" in v}
                        for g, items in editable.items() if isinstance(items, Mapping)}
            self._facts = roles.ClusterFacts(cluster={"net_provider": cluster.get("net_provider"),
                                                      "status": cluster.get("status")},
                                             settings=settings, locked=self._locked(cluster))
        return self._facts

    def _locked(self, cluster: Mapping[str, Any]) -> bool:
        """Nailgun's Cluster.is_locked for this release (fuel-web <tag>:nailgun/nailgun/db/sqlalchemy/models/
        cluster.py is_locked): by status, and on 6.1-8.0 also as soon as one node of the cluster is ready."""
        rule = self.rules["after_deploy"]
        if cluster.get("status") not in rule["unlocked_statuses"]:
            return True
        if rule.get("locked_if_a_node_is_ready"):
            nodes = self._api("list the cluster's nodes", lambda: self.nailgun.nodes(self.cluster_id))
            return any(n.get("status") == "ready" for n in nodes)
        return False

    def _release_id(self) -> int:
        """The deployable release of this Fuel version (`version` ends in -<fuel release>), by name if given."""
        releases = self._api("list releases", self.nailgun.releases)
        want = self.settings.release_name.lower()
        for rel in releases:
            if rel.get("is_deployable", True) and str(rel.get("version", "")).endswith(f"-{self.release}") \
                    and want in str(rel.get("name", "")).lower():
                return int(rel["id"])
        names = ", ".join(f"{r.get('name')} ({r.get('version')})" for r in releases) or "none"
        raise DeploymentError(f"no deployable Fuel {self.release} release matching {self.settings.release_name!r} "
                              f"on {self.nailgun.url} (releases: {names}): check --release")

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

    def net_provider(self, template: Mapping[str, Any]) -> str:
        """The provider this release accepts for the template: nova-network with vCenter where the release
        demands it (6.1/7.0 wizard), else neutron (8.0+ refuse nova-network: objects/cluster.py)."""
        use_vcenter = bool((template.get("settings") or {}).get("common", {}).get("use_vcenter"))
        if use_vcenter and self.rules.get("vcenter_net_provider"):
            return str(self.rules["vcenter_net_provider"])
        return "neutron" if "neutron" in self.rules["net_providers"] else str(self.rules["net_providers"][0])

    def create_cluster(self, template: str) -> None:
        """A new cluster named after fixtures/clusters/<template>.yaml, with that template's settings and networks."""
        data = fuel_data.cluster_template(template)
        if data["mode"] not in self.rules["modes"]:
            raise DeploymentError(f"fixtures/clusters/{template}.yaml mode {data['mode']!r}: Fuel {self.release} "
                                  f"only has {', '.join(self.rules['modes'])} (fixtures/releases/{self.release}.yaml)")
        provider = self.net_provider(data)
        body: dict[str, Any] = {"name": data["name"], "release": self._release_id(), "mode": data["mode"],
                                "net_provider": provider}
        if provider == "neutron":
            body["net_segment_type"] = self.rules.get("net_segment_type") or "vlan"
        cluster = self._api("create the cluster", lambda: self.nailgun.create_cluster(body))
        self._cluster_id, self._facts = int(cluster["id"]), None
        self.log(f"cluster {data['name']} created: id {self._cluster_id} ({data['mode']}, {provider})")
        self.update_settings(data["settings"])
        self.configure_networks(provider)

    def configure_networks(self, provider: str) -> None:
        """Nailgun's network configuration from the fuel-devops pools, as fuel-qa's update_network_configuration:
        CIDR, gateway and VLAN of public/management/storage, public's default range, the floating range, and
        (neutron vlan) the private VLAN range; nova-network's `fixed` network takes the private pool."""
        pools = self.devops.address_pools()
        path = f"clusters/{self.cluster_id}/network_configuration/{provider}"
        config = self._api("read the network configuration", lambda: self.nailgun.get(path))
        for net in config.get("networks") or []:
            name = "private" if net.get("name") == "fixed" else net.get("name")
            pool = pools.get(str(name))
            if pool is None or name == "fuelweb_admin":
                continue  # the admin (PXE) network stays as the master set it up
            net["cidr"], net["gateway"] = pool.cidr, pool.gateway
            net["vlan_start"] = pool.vlan_start or None
            if name == "public" and "default" in pool.ranges:
                net["ip_ranges"] = [list(pool.ranges["default"])]
                net.setdefault("meta", {})["notation"] = "ip_ranges"
        params = config.setdefault("networking_parameters", {})
        public = pools.get("public")
        if public and "floating" in public.ranges:
            params["floating_ranges"] = [list(public.ranges["floating"])]
        private = pools.get("private")
        if provider == "neutron" and private and private.vlan_start:
            end = private.vlan_end or private.vlan_start
            params["vlan_range"] = [private.vlan_start, end]
        if provider == "nova_network" and private:
            params["fixed_networks_cidr"] = private.cidr
        self._api("set the network configuration", lambda: self.nailgun.request("PUT", path, config))
        self.log(f"network configuration from the fuel-devops pools: {', '.join(sorted(pools))}")

    def update_settings(self, settings: Mapping[str, Mapping[str, Any]]) -> None:
        """Change settings values, keeping the others; a locked cluster's refusal is said before the PUT.

        storage.volumes_vmdk is not sent: no Fuel release has it (fuel-web 6.1-9.0 nailgun/nailgun/fixtures/
        openstack.yaml; removed by "Remove VMware vCenter settings out of the Settings tab"), Nailgun would
        store it without effect. VMDK volumes come with use_vcenter and the cinder-vmware nodes (fuel-library
        9.0 openstack_tasks/manifests/roles/cinder.pp:100), as fuel_health/config/nailgun_client.py reads them back."""
        settings = {g: {k: v for k, v in items.items() if (g, k) not in NOT_NAILGUN_SETTINGS}
                    for g, items in settings.items()}
        settings = {g: items for g, items in settings.items() if items}
        if not settings:
            return
        if self.facts().locked:
            rule = self.rules["after_deploy"]["attributes_when_locked"]
            changed = ", ".join(f"{g}.{k}" for g, items in settings.items() for k in items)
            raise DeploymentError(f"Fuel {self.release} refuses settings changes on a deployed cluster ({changed}): "
                                  f"HTTP {rule['status']}, only {', '.join(rule['editable'])} stay editable "
                                  f"(fixtures/releases/{self.release}.yaml after_deploy); set them before the "
                                  "first deploy")
        self._api("update settings", lambda: self.nailgun.update_attributes(self.cluster_id, settings))
        self._facts = None

    def add_nodes(self, nodes: Mapping[str, Sequence[str]]) -> None:
        """Check roles locally, find each slave in Nailgun, assign (new nodes) or add roles, then set its NICs."""
        for name, wanted in nodes.items():  # roles unknown to the release, conflicts: before any API call
            roles.check_node(name, wanted, None, self.release)
        facts = self.facts()
        listing = self._api("list nodes", self.nailgun.all_nodes)
        assign, more = [], []
        for name, wanted in nodes.items():
            node = self._find_node(name, listing)
            in_cluster = node.get("cluster") == self.cluster_id
            have = [*(node.get("roles") or []), *(node.get("pending_roles") or [])] if in_cluster else []
            if node.get("cluster") not in (None, self.cluster_id):
                raise DeploymentError(f"{name} (Nailgun node {node['id']}) belongs to cluster {node['cluster']}")
            checked = roles.check_node(f"{name} ({node.get('hostname') or node['id']})", [*have, *wanted], facts,
                                       self.release, added=wanted)
            fuel_roles = [fuel_data.fuel_role(r) for r in checked]
            if in_cluster:
                deployed = {fuel_data.canonical_role(r) for r in node.get("roles") or []}
                more.append({"id": node["id"], "cluster_id": self.cluster_id,
                             "pending_roles": [fuel_data.fuel_role(r) for r in checked if r not in deployed]})
            else:
                assign.append((name, node, fuel_roles))
        if assign:
            body = [{"id": node["id"], "roles": fuel_roles} for _, node, fuel_roles in assign]
            self._api("assign roles", lambda: self.nailgun.request("POST", f"clusters/{self.cluster_id}/assignment",
                                                                  body))
        if more:
            self._api("add roles", lambda: self.nailgun.update_nodes(more))
        for name, node, _ in assign:
            self.assign_networks(name, int(node["id"]))
        self.log("roles assigned: " + ", ".join(f"{n} -> {', '.join(r)}" for n, r in nodes.items()))

    def assign_networks(self, name: str, node_id: int) -> None:
        """Each NIC carries the networks the fuel-devops template gives it (fuel-qa update_node_networks):
        GET /api/nodes/<id>/interfaces, move the networks, PUT it back."""
        wanted = self.devops.node_networks(name)
        provider = self.facts().cluster.get("net_provider")
        if provider == "nova_network":  # nova-network calls the private network `fixed`
            wanted = {nic: ["fixed" if n == "private" else n for n in nets] for nic, nets in wanted.items()}
        path = f"nodes/{node_id}/interfaces"
        interfaces = self._api(f"read {name}'s interfaces", lambda: self.nailgun.get(path))
        known = {net["name"]: net for nic in interfaces for net in nic.get("assigned_networks") or []}
        names = {nic["name"] for nic in interfaces}
        unknown = sorted(set(wanted) - names)
        if unknown:
            raise DeploymentError(f"{name}: the fuel-devops template names interfaces {', '.join(unknown)} that "
                                  f"Nailgun does not see on node {node_id} (it has {', '.join(sorted(names))})")
        for nic in interfaces:
            nic["assigned_networks"] = [known[n] for n in wanted.get(nic["name"], []) if n in known]
        placed = {n["name"] for nic in interfaces for n in nic["assigned_networks"]}
        lost = sorted(set(known) - placed)
        if lost:
            raise DeploymentError(f"{name}: the fuel-devops template puts networks {', '.join(lost)} on no "
                                  "interface: every network Nailgun has must be on one")
        self._api(f"set {name}'s interfaces", lambda: self.nailgun.request("PUT", path, interfaces))

    def vmware_attributes(self) -> dict[str, Any]:
        """The cluster's VMware settings value (GET .../vmware_attributes editable.value)."""
        return self._api("read VMware settings", lambda: self.nailgun.vmware_attributes(self.cluster_id))

    def set_vmware_attributes(self, attrs: Mapping[str, Any]) -> None:
        """Merge into the value from GET, check what Nailgun would refuse, then PUT the whole object back."""
        if not (self.facts().settings.get("common") or {}).get("use_vcenter"):
            raise VmwareSettingsError("VMware settings need common.use_vcenter on first (Nailgun answers 400 "
                                      "'Cluster doesn't support vmware configuration': handlers/cluster.py)")
        path = f"clusters/{self.cluster_id}/vmware_attributes"
        data = self._api("read VMware settings", lambda: self.nailgun.get(path)) or {}
        editable = data.setdefault("editable", {})
        current = editable.get("value") or {}
        value = vmware.for_release(vmware.merged(current, attrs), self.release)
        hosts = [h for h, r in self.node_roles().items() if "vcenter-compute" in r]
        vmware.validate(value, hosts, self.release)
        if self.facts().locked:
            vmware.check_change_on_deployed(current, value, self.release)
        editable["value"] = value
        self._api("set VMware settings", lambda: self.nailgun.request("PUT", path, data))

    def deploy_changes(self, timeout: float) -> None:
        """PUT /api/clusters/<id>/changes and wait for the deployment task."""
        for warning in roles.check_cluster(self.node_roles(), self.release):
            self.log(f"warning: {warning}")
        task = self._api("deploy changes", lambda: self.nailgun.deploy_changes(self.cluster_id))
        self._facts = None  # the cluster locks (6.1-8.0) as soon as it deploys
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
        # fuel-qa mitaka-eol:core/models/fuel_client/ostf_client.py run_tests: GET tests/<cid> first (fuel-ostf
        # builds the cluster's test list there; a POST before it fails with 500), cluster_id as a string.
        known = self.ostf.request("GET", f"tests/{cid}") or []
        if not known:
            raise OstfError(f"the OSTF adapter lists no test for cluster {cid} ({self.ostf.url}/tests/{cid})")
        body = [{"testset": s, "metadata": {"config": {}, "cluster_id": str(cid),
                                            "ostf_os_access_creds": self._os_creds()}} for s in test_sets]
        started = self.ostf.request("POST", "testruns", body)
        started = started.get("objects", started) if isinstance(started, Mapping) else started
        if not started:
            raise OstfError(f"the OSTF adapter started nothing for {', '.join(test_sets)} on cluster {cid} "
                            f"(a run of these sets may still be going: see {self.ostf.url}/testruns/last/{cid})")
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
            fuel_data.canonical_role(r) for r in [*(n.get("roles") or []), *(n.get("pending_roles") or [])]))
            for n in nodes}
