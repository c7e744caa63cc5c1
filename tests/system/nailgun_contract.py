"""A STRICT contract double of a Fuel master (Nailgun's /api and the OSTF adapter behind nginx's /ostf), per release.

A real Fuel master cannot run here. This double answers with the shapes of fuel-web's handlers and refuses what
that release's Nailgun refuses; each rule's docstring names the upstream file it replays (bare mirrors under
/work/.mirror/openstack+<repo>/repo; `FW` = fuel-web <release>:nailgun/nailgun). Release facts come from
fixtures/releases/<release>.yaml (themselves read from fuel-web's openstack.yaml), so the double and our
backend cannot silently drift apart: a test changes one, the other's contract test fails.
"""

from __future__ import annotations

import copy
import json
import re
from typing import Any

from werkzeug import Request, Response

from fuel_health import fuel_data
from fuel_health.pytest_plugin import ostf as suite
from fuel_health.pytest_plugin import tags as tag_rules

TOKEN = "gAAAA-fuel-token"
MACS = {f"slave-0{i}": f"64:52:00:00:00:0{i}" for i in range(1, 7)}
RELEASE_VERSIONS = {"6.1": "2014.2.2-6.1", "7.0": "2015.1.0-7.0", "8.0": "liberty-8.0", "9.0": "mitaka-9.0"}
NIC_NAMES = ("eth0", "eth1", "eth2", "eth3", "eth4")


class Refused(Exception):
    """An HTTP error answer of the double: status and Nailgun's message."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


def attributes_for(release: str) -> dict[str, Any]:
    """GET /clusters/<id>/attributes `editable`: the groups our backend touches, with Nailgun's metadata. No
    storage.volumes_vmdk: no release 6.1-9.0 has it (FW <tag>:nailgun/nailgun/fixtures/openstack.yaml); a PUT of
    an unknown key is stored and does nothing (cluster_tags ignores it)."""
    always = fuel_data.release_rules(release)["after_deploy"]["attributes_when_locked"]["editable"]
    editable: dict[str, Any] = {
        "access": {"metadata": {"label": "OpenStack Access", "weight": 10},
                   "user": {"value": "admin", "type": "text"}, "password": {"value": "os-pw", "type": "password"},
                   "tenant": {"value": "admin", "type": "text"}},
        "common": {"metadata": {"label": "Common", "weight": 30},
                   "libvirt_type": {"value": "kvm", "type": "radio"},
                   "use_vcenter": {"value": False, "type": "hidden"}},
        "storage": {"metadata": {"label": "Storage", "weight": 60},
                    "volumes_lvm": {"value": True, "type": "checkbox"},
                    "volumes_ceph": {"value": False, "type": "checkbox"},
                    "images_vcenter": {"value": False, "type": "checkbox"}},
    }
    for group in always:
        editable[group] = {"metadata": {"label": group, "weight": 50, "always_editable": True},
                           "repos": {"value": [], "type": "custom_repo_configuration"}}
    return {"editable": editable}


def vmware_for(release: str) -> dict[str, Any]:
    """GET vmware_attributes: metadata (nova_computes editable_for_deployed on 8.0+) and Nailgun's default value
    (FW/fixtures/openstack.yaml vmware_attributes_metadata `value`: one empty zone `vcenter`; 7.0+ nova_computes
    carry target_node `controllers`; 6.1/7.0 zones keep `cinder: {enable: true}`)."""
    rules = fuel_data.release_rules(release)
    editable_ncs = "nova_computes" in rules["after_deploy"]["vmware_when_locked"]["editable"]
    metadata = [{"name": "availability_zones", "type": "array", "fields": [
        {"name": "az_name", "type": "text"}, {"name": "vcenter_host", "type": "text"},
        {"name": "vcenter_username", "type": "text"}, {"name": "vcenter_password", "type": "password"},
        {"name": "nova_computes", "type": "array", "editable_for_deployed": editable_ncs}]},
        {"name": "network", "type": "object"}, {"name": "glance", "type": "object"}]
    compute: dict[str, Any] = {"vsphere_cluster": "", "service_name": "", "datastore_regex": ""}
    if "target_node" in (rules["vmware"].get("nova_compute_fields") or ["target_node"]):
        compute["target_node"] = {"options": [{"id": "controllers", "label": "controllers"}],
                                  "current": {"id": "controllers", "label": "controllers"}}
    zone: dict[str, Any] = {"az_name": "vcenter", "vcenter_host": "", "vcenter_username": "", "vcenter_password": "",
                            "nova_computes": [compute]}
    for key in rules["vmware"]["kept_az_keys"]:
        zone[key] = {"enable": True}
    value = {"availability_zones": [zone], "network": {"esxi_vlan_interface": ""},
             "glance": {k: "" for k in ("vcenter_host", "vcenter_username", "vcenter_password", "datacenter",
                                        "datastore")}}
    return {"editable": {"metadata": metadata, "value": value}}


def discovered_node(node_id: int, mac: str) -> dict[str, Any]:
    """An unallocated node as GET /api/nodes lists it after bootstrap discovery."""
    return {"id": node_id, "name": f"Untitled ({mac[-5:]})", "hostname": f"node-{node_id}", "mac": mac,
            "cluster": None, "roles": [], "pending_roles": [], "pending_addition": False, "online": True,
            "status": "discover", "ip": f"10.109.0.{node_id + 2}", "group_id": None, "progress": 0,
            "meta": {"interfaces": [{"name": n, "mac": mac if n == "eth0" else f"64:52:00:ff:0{node_id}:0{i}"}
                                    for i, n in enumerate(NIC_NAMES)]}}


def default_interfaces(provider: str) -> list[dict[str, Any]]:
    """GET /nodes/<id>/interfaces after assignment: Nailgun's default puts every network on eth0."""
    names = ["fuelweb_admin", "public", "management", "storage", "private" if provider == "neutron" else "fixed"]
    nets = [{"id": i, "name": n} for i, n in enumerate(names, 1)]
    return [{"name": n, "type": "ether", "assigned_networks": nets if n == "eth0" else []} for n in NIC_NAMES]


def network_configuration(provider: str) -> dict[str, Any]:
    """GET network_configuration/<provider>: Nailgun's defaults (public 172.16.0.0/24), not the devops lab's."""
    names = ["fuelweb_admin", "public", "management", "storage"] + (["private"] if provider == "neutron" else
                                                                     ["fixed"])
    return {"networks": [{"id": i, "name": n, "cidr": "172.16.0.0/24" if n == "public" else f"192.168.{i}.0/24",
                          "gateway": "172.16.0.1" if n == "public" else None, "vlan_start": None,
                          "ip_ranges": [["172.16.0.2", "172.16.0.126"]] if n == "public" else [], "meta": {}}
                         for i, n in enumerate(names, 1)],
            "networking_parameters": {"floating_ranges": [["172.16.0.130", "172.16.0.254"]]}}


class FakeFuelMaster:
    """Stateful strict double of one Fuel master of `release`: clusters, nodes by id, tasks advancing per poll."""

    def __init__(self, release: str = "8.0", discovered: tuple[str, ...] = tuple(MACS)) -> None:
        self.release = release
        self.rules = fuel_data.release_rules(release)
        self.clusters: dict[int, dict[str, Any]] = {}
        self.attributes = attributes_for(release)
        self.vmware = vmware_for(release)
        self.networks: dict[str, Any] = {}
        self.nodes = {i: discovered_node(i, MACS[name]) for i, name in enumerate(discovered, 1)}
        self.interfaces: dict[int, list[dict[str, Any]]] = {}
        self.deploy_outcome = ("ready", None)
        self.tasks: dict[int, list[dict[str, Any]]] = {}
        self.ostf_outcome: dict[str, str] = {}  # test id -> final status; empty: derived from the cluster
        self.ostf_listed: set[int] = set()
        self.testruns: list[dict[str, Any]] = []
        self.requests: list[tuple[str, str, Any]] = []
        self.refusals: list[tuple[int, str]] = []

    # --- plumbing ---

    def handle(self, request: Request) -> Response:
        if request.headers.get("X-Auth-Token") != TOKEN:
            return Response('{"message": "Unauthorized"}', status=401)
        body = request.get_json(silent=True)
        if request.args.get("cluster_id"):  # GET /api/nodes?cluster_id=<id>: that cluster's nodes only
            body = {"cluster_id": int(request.args["cluster_id"])}
        self.requests.append((request.method, request.full_path.rstrip("?"), body))
        for method, pattern, handler in self.routes():
            match = re.fullmatch(pattern, request.path)
            if match and method == request.method:
                try:
                    status, answer = handler(body, *match.groups())
                except Refused as exc:
                    self.refusals.append((exc.status, str(exc)))
                    return Response(json.dumps({"message": str(exc)}), status=exc.status,
                                    content_type="application/json")
                return Response(json.dumps(answer), status=status, content_type="application/json") \
                    if not isinstance(answer, bytes) else Response(answer, status=status)
        return Response('{"message": "Not found"}', status=404)

    def routes(self) -> list[tuple[str, str, Any]]:
        return [
            ("GET", r"/api/releases", lambda b: (200, self.releases())),
            ("GET", r"/api/clusters", lambda b: (200, list(self.clusters.values()))),
            ("POST", r"/api/clusters", self.create_cluster),
            ("GET", r"/api/clusters/(\d+)", lambda b, c: (200, self.clusters[int(c)])),
            ("GET", r"/api/clusters/\d+/attributes", lambda b: (200, self.attributes)),
            ("PUT", r"/api/clusters/(\d+)/attributes", self.put_attributes),
            ("GET", r"/api/clusters/(\d+)/vmware_attributes", self.get_vmware),
            ("PUT", r"/api/clusters/(\d+)/vmware_attributes", self.put_vmware),
            ("GET", r"/api/clusters/(\d+)/network_configuration/(\w+)", self.get_networks),
            ("PUT", r"/api/clusters/(\d+)/network_configuration/(\w+)", self.put_networks),
            ("POST", r"/api/clusters/(\d+)/assignment", self.assign),
            ("GET", r"/api/nodes", lambda b: (200, [n for n in self.nodes.values()
                                                    if not b or n["cluster"] == b["cluster_id"]])),
            ("PUT", r"/api/nodes", self.put_nodes),
            ("GET", r"/api/nodes/(\d+)/interfaces", lambda b, n: (200, self.interfaces[int(n)])),
            ("PUT", r"/api/nodes/(\d+)/interfaces", self.put_interfaces),
            ("PUT", r"/api/clusters/(\d+)/changes", self.deploy),
            ("GET", r"/api/tasks/(\d+)", lambda b, t: (200, self.tasks[int(t)].pop(0) if len(self.tasks[int(t)]) > 1
                                                       else self.tasks[int(t)][0])),
            ("PUT", r"/api/logs/package", self.logs_package),
            ("GET", r"/dump/(.+)", lambda b, name: (200, b"tar.xz bytes")),
            ("GET", r"/ostf/tests/(\d+)", self.ostf_tests),
            ("POST", r"/ostf/testruns", self.start_testruns),
            ("GET", r"/ostf/testruns/last/(\d+)", self.last_testruns),
        ]

    def releases(self) -> list[dict[str, Any]]:
        version = RELEASE_VERSIONS[self.release]
        return [{"id": 1, "name": "OpenStack on CentOS 6.5", "version": version, "operating_system": "CentOS",
                 "state": "unavailable", "is_deployable": False},
                {"id": 2, "name": "OpenStack on Ubuntu 14.04", "version": version, "operating_system": "Ubuntu",
                 "state": "available", "is_deployable": True}]

    def cluster_nodes(self, cid: int) -> list[dict[str, Any]]:
        return [n for n in self.nodes.values() if n["cluster"] == cid]

    def is_locked(self, cid: int) -> bool:
        """FW/db/sqlalchemy/models/cluster.py is_locked (6.1:124, 8.0:145-154, 9.0:144-152): locked unless the
        status is in the release's allowed list (so update_error etc. lock too); 6.1-8.0 also once any node of
        the cluster is ready."""
        rule = self.rules["after_deploy"]
        if self.clusters[cid]["status"] not in rule["unlocked_statuses"]:
            return True
        return bool(rule.get("locked_if_a_node_is_ready")) and any(
            n["status"] == "ready" for n in self.cluster_nodes(cid))

    def setting(self, group: str, name: str) -> Any:
        return ((self.attributes["editable"].get(group) or {}).get(name) or {}).get("value")

    # --- clusters ---

    def create_cluster(self, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        """POST /clusters. FW api/v1/validators/cluster.py _validate_mode (6.1:131-137, 8.0:223-225, 9.0:184-186):
        `if mode and mode not in release.modes` -> 400, so a missing mode passes and the column default
        ha_compact applies (FW db/sqlalchemy/models/cluster.py `mode` default). nova_network on 8.0+: FW
        objects/cluster.py get_network_manager raises NovaNetworkNotSupported (8.0:436), which create (8.0:170-188)
        does not convert, so the request ends as 500 (8.0 handlers/base.py content re-raises; 9.0
        handlers/base.py:299-310 wraps it in a 500). The release must exist and be deployable."""
        mode = body.get("mode")
        if mode and mode not in self.rules["modes"]:
            raise Refused(400, f"Cannot deploy in {mode} mode in current release. Need to be one of "
                               f"{', '.join(self.rules['modes'])}")
        if body.get("net_provider") not in self.rules["net_providers"]:
            raise Refused(500, "Nova network is not supported in current release")
        release = next((r for r in self.releases() if str(r["id"]) == str(body.get("release"))), None)
        if release is None or not release["is_deployable"]:
            raise Refused(400, f"Release {body.get('release')} is not deployable")
        cid = len(self.clusters) + 1
        self.clusters[cid] = {"id": cid, "name": body["name"], "mode": mode or "ha_compact", "status": "new",
                              "net_provider": body["net_provider"], "release_id": int(body["release"]),
                              "net_segment_type": body.get("net_segment_type"), "is_customized": False,
                              "changes": [], "fuel_version": self.release}
        self.networks = network_configuration(body["net_provider"])
        return 201, self.clusters[cid]

    def put_attributes(self, body: dict[str, Any], cid: str) -> tuple[int, dict[str, Any]]:
        """PUT attributes. On a locked cluster every group in the request must be always_editable, else 403
        (FW 6.1/7.0 api/v1/handlers/cluster.py:171; 8.0 api/v1/validators/cluster.py:384 and 9.0 :291
        validate_allowed_attributes -> errors.NotAllowed)."""
        if self.is_locked(int(cid)):
            for group in body.get("editable") or {}:
                meta = (self.attributes["editable"].get(group) or {}).get("metadata") or {}
                if not meta.get("always_editable"):
                    raise Refused(403, f"Environment attribute '{group}' couldn't be changed after or during "
                                       "deployment.")
        self.attributes = body
        return 200, body

    def get_vmware(self, body: Any, cid: str) -> tuple[int, dict[str, Any]]:
        """GET vmware_attributes: 400 unless vCenter is on (FW api/v1/handlers/cluster.py VmwareAttributesHandler:
        'Cluster doesn't support vmware configuration')."""
        if not self.setting("common", "use_vcenter"):
            raise Refused(400, "Cluster doesn't support vmware configuration")
        return 200, self.vmware

    def has_compute_vmware_changes(self, cid: int) -> bool:
        """FW 8.0 objects/cluster.py:1319-1332 has_compute_vmware_changes: a node of the cluster has compute-vmware
        pending (pending_roles), or has it and is pending deletion. 8.0+ handlers/cluster.py (8.0:318-321,
        9.0:401-404) answer 403 to a vmware_attributes PUT on a locked cluster unless this holds."""
        return any("compute-vmware" in n["pending_roles"]
                   or ("compute-vmware" in n["roles"] and n.get("pending_deletion"))
                   for n in self.cluster_nodes(cid))

    def put_vmware(self, body: dict[str, Any], cid: str) -> tuple[int, dict[str, Any]]:
        """PUT vmware_attributes (replaces editable.value). FW api/v1/handlers/cluster.py: 400 when vCenter is
        off; 6.1/7.0 (handlers/cluster.py:324): 403 on a locked cluster; 8.0/9.0 (handlers/cluster.py 8.0:318-321,
        9.0:401-404): 403 on a locked cluster unless a compute-vmware node is pending. 8.0+ validators/cluster.py
        VmwareAttributesValidator: metadata may not change; on a locked cluster only editable_for_deployed
        fields (nova_computes) may change (_validate_updated_attributes) and a `controllers` nova_compute may be
        neither removed, changed nor added (check_operational_controllers_settings); always: empty or duplicate
        vsphere_cluster / service_name / target_node (check_nova_compute_duplicate_and_empty_values); a
        deployed compute-vmware node's nova_compute may not go or change (check_operational_node_settings)."""
        c = int(cid)
        self.get_vmware(None, cid)
        locked = self.is_locked(c)
        when_locked = self.rules["after_deploy"]["vmware_when_locked"]
        if locked and (when_locked["status"] == 403 or not self.has_compute_vmware_changes(c)):
            raise Refused(403, "Environment attributes can't be changed after or during deployment.")
        new = (body.get("editable") or {})
        if "metadata" in new and new["metadata"] != self.vmware["editable"]["metadata"]:
            raise Refused(400, "Metadata shouldn't change")
        old_value, value = self.vmware["editable"]["value"], new.get("value") or {}
        if "target_node" in self.rules["vmware"]["unique_nonempty"]:
            for nc in _computes(value):  # FW 8.0 validators/cluster.py:455 (9.0:367) _get_target_node_id indexes
                try:                     # target_node.current.id: a KeyError nothing converts, i.e. a 500
                    nc["target_node"]["current"]["id"]
                except (KeyError, TypeError) as exc:
                    raise Refused(500, f"KeyError: {exc}") from None
        if self.rules["vmware"]["unique_nonempty"]:
            seen: dict[str, set[str]] = {k: set() for k in self.rules["vmware"]["unique_nonempty"]}
            for nc in _computes(value):
                for key in seen:
                    have = _target(nc) if key == "target_node" else nc.get(key)
                    if key == "target_node" and have == "controllers":
                        continue
                    if not have:
                        raise Refused(400, f"Empty value for attribute '{key}' is not allowed")
                    if have in seen[key]:
                        raise Refused(400, f"Duplicate value '{have}' for attribute '{key}' is not allowed")
                    seen[key].add(have)
        if locked:
            if _without_computes(old_value) != _without_computes(value):
                raise Refused(400, "Value of 'availability_zones' attribute couldn't be changed.")
            was = {nc["vsphere_cluster"]: nc for nc in _computes(old_value) if _target(nc) == "controllers"}
            now = {nc.get("vsphere_cluster"): nc for nc in _computes(value)}
            for name, nc in was.items():
                if name not in now:
                    raise Refused(400, f"Nova compute instance with target 'controllers' and vSphere cluster {name} "
                                       "couldn't be deleted from operational environment.")
                changed = _changed_key(nc, now[name], compare_target=True)
                if changed:
                    raise Refused(400, f"Parameter '{changed}' of nova compute instance with vSphere cluster name "
                                       f"'{name}' couldn't be changed")
            added = [n for n, nc in now.items() if n not in was and _target(nc) == "controllers"]
            if added:
                raise Refused(400, "Nova compute instances with target 'controllers' couldn't be added to "
                                   f"operational environment: {', '.join(added)}")
        by_target = {_target(nc): nc for nc in _computes(value)}
        for node in self.cluster_nodes(c):
            if node["status"] == "ready" and "compute-vmware" in node["roles"]:
                old = {_target(nc): nc for nc in _computes(old_value)}.get(node["hostname"]) or {}
                if by_target.get(node["hostname"]) is None:
                    raise Refused(400, f"The following compute-vmware node couldn't be deleted from vSphere "
                                       f"cluster: {node['hostname']}")
                changed = _changed_key(old, by_target[node["hostname"]], compare_target=False)
                if changed:
                    raise Refused(400, f"Parameter '{changed}' of nova compute instance with target node "
                                       f"'{node['hostname']}' couldn't be changed")
        self.vmware = {"editable": {"metadata": self.vmware["editable"]["metadata"], "value": value}}
        return 200, self.vmware

    def get_networks(self, body: Any, cid: str, provider: str) -> tuple[int, dict[str, Any]]:
        if provider != self.clusters[int(cid)]["net_provider"]:
            raise Refused(400, f"Wrong net provider - environment uses '{self.clusters[int(cid)]['net_provider']}'")
        return 200, self.networks

    def put_networks(self, body: dict[str, Any], cid: str, provider: str) -> tuple[int, dict[str, Any]]:
        """PUT network_configuration/<provider>: the cluster's provider only (FW api/v1/handlers/
        network_configuration.py), 403 on a locked cluster (6.1 handlers/network_configuration.py:62), every
        network needs a CIDR."""
        self.get_networks(None, cid, provider)
        if self.is_locked(int(cid)):
            raise Refused(403, "Network configuration can't be changed after, or in deploy.")
        for net in body.get("networks") or []:
            if not net.get("cidr"):
                raise Refused(400, f"Network {net.get('name')} has no CIDR")
        self.networks = body
        return 200, body

    # --- nodes ---

    def release_roles(self) -> dict[str, Any]:
        return self.rules["roles"]

    def assign(self, body: list[dict[str, Any]], cid: str) -> tuple[int, Any]:
        """POST /clusters/<id>/assignment (FW api/v1/validators/assignment.py NodeAssignmentValidator): nodes
        must exist and be unassigned, roles must exist in the release and not conflict (check_roles_for_conflicts,
        `*` = every other role); then they join the cluster with pending_roles and Nailgun's default NICs."""
        roles_meta = self.release_roles()
        c = int(cid)
        for item in body:
            node = self.nodes.get(item["id"])
            if node is None:
                raise Refused(400, f"Nodes with ids {item['id']} were not found.")
            if node["cluster"] is not None:
                raise Refused(400, f"Nodes with ids {item['id']} already assigned to environments.")
            wanted = set(item["roles"])
            unknown = wanted - set(roles_meta)
            if unknown:
                raise Refused(400, f"{', '.join(sorted(unknown))} are not valid roles for node in environment {c}")
            for role in sorted(wanted):
                listed = roles_meta[role].get("conflicts") or []
                banned = set(roles_meta) - {role} if listed == "*" else set(listed)
                clash = banned & (wanted - {role})
                if clash:
                    raise Refused(400, f'Role "{role}" in conflict with role {", ".join(sorted(clash))}')
        for item in body:
            self.nodes[item["id"]].update(cluster=c, pending_roles=list(item["roles"]), pending_addition=True)
            self.interfaces[item["id"]] = default_interfaces(self.clusters[c]["net_provider"])
        return 200, [self.nodes[i["id"]] for i in body]

    def put_nodes(self, body: list[dict[str, Any]]) -> tuple[int, list[dict[str, Any]]]:
        """PUT /nodes: no role validation (FW api/v1/validators/node.py validate_roles checks only the type). 6.1
        silently drops roles its release lacks (FW 6.1 objects/node.py:605 update_pending_roles filters by the
        release's roles); 7.0+ store them as sent."""
        for update in body:
            node = self.nodes[update["id"]]
            pending = list(update.get("pending_roles", node["pending_roles"]))
            if self.release == "6.1":
                pending = [r for r in pending if r in self.release_roles()]
            node.update(cluster=update.get("cluster_id", node["cluster"]), pending_roles=pending,
                        pending_addition=update.get("pending_addition", node["pending_addition"]))
        return 200, [self.nodes[u["id"]] for u in body]

    def put_interfaces(self, body: list[dict[str, Any]], node_id: str) -> tuple[int, Any]:
        """PUT /nodes/<id>/interfaces (FW api/v1/validators/network.py NetAssignmentValidator): known interfaces
        only, every network of the node assigned exactly once."""
        have = self.interfaces[int(node_id)]
        if {i["name"] for i in body} != {i["name"] for i in have}:
            raise Refused(400, f"Node '{node_id}': interfaces differ from the node's")
        want = sorted(n["name"] for i in have for n in i["assigned_networks"])
        got = sorted(n["name"] for i in body for n in i["assigned_networks"])
        if want != got:
            raise Refused(400, f"Node '{node_id}': networks {want} must each be on one interface, got {got}")
        self.interfaces[int(node_id)] = body
        return 200, body

    # --- deployment ---

    def new_task(self, name: str, cluster: int | None, final: str, message: str | None) -> dict[str, Any]:
        tid = 100 + len(self.tasks)
        base = {"id": tid, "name": name, "cluster": cluster, "uuid": f"uuid-{tid}", "result": {}, "parent_id": None}
        self.tasks[tid] = [{**base, "status": "running", "progress": 0, "message": None},
                           {**base, "status": "running", "progress": 60, "message": None},
                           {**base, "status": final, "progress": 100, "message": message}]
        return self.tasks[tid].pop(0)

    def deploy(self, body: Any, cluster: str) -> tuple[int, dict[str, Any]]:
        """PUT /clusters/<id>/changes: at least one controller (openstack.yaml controller limits.min 1)."""
        c = int(cluster)
        if not any("controller" in n["roles"] + n["pending_roles"] for n in self.cluster_nodes(c)):
            raise Refused(400, "Not enough controllers, controller mode requires at least 1 controller")
        status, message = self.deploy_outcome
        if status == "ready":
            for node in self.cluster_nodes(c):
                node.update(roles=[*node["roles"], *node["pending_roles"]], pending_roles=[], status="ready",
                            pending_addition=False)
            self.clusters[c]["status"] = "operational"
        else:
            self.clusters[c]["status"] = "error"
        return 202, self.new_task("deploy", c, status, message)

    def logs_package(self, body: Any) -> tuple[int, dict[str, Any]]:
        return 202, self.new_task("dump", None, "ready", "/dump/fuel-snapshot-2016-03-01_10-00-00.tar.xz")

    # --- OSTF (fuel-library services.conf.erb: nginx `location ~ ^/ostf/(.*)` -> adapter /v1/$1) ---

    def cluster_tags(self, cid: int) -> set[str]:
        """The deployment tags the adapter derives from Nailgun (fuel_health/pytest_plugin/tags.py), from this double's
        state."""
        roles = [r for n in self.cluster_nodes(cid) if n["status"] == "ready" for r in n["roles"]]
        out = {"ha", self.clusters[cid]["net_provider"], str(self.setting("common", "libvirt_type"))}
        out |= {k for k in ("volumes_lvm", "volumes_ceph", "images_vcenter") if self.setting("storage", k)}
        if self.setting("common", "use_vcenter"):
            out.add("use_vcenter")
            if "cinder-vmware" in roles:  # VMDK volumes: the role with vCenter on, not a setting
                out.add("volumes_vmdk")
            targets = [_target(nc) for nc in _computes(self.vmware["editable"]["value"])]
            if len(self.vmware["editable"]["value"].get("availability_zones") or []) >= 2:
                out.add("multi_vcenter")
            if "controllers" in targets:
                out.add("vcenter_on_controllers")
            if set(targets) - {"controllers"}:
                out.add("vcenter_on_node")
        if "compute" in roles:
            out.add("kvm_compute")
        if "compute-vmware" in roles:
            out.add("vcenter_compute_node")
        if roles.count("cinder-vmware"):
            out.add("cinder_vmdk_node")
        if roles.count("cinder-vmware") >= 2:
            out.add("cinder_vmdk_ha")
        return out

    def ostf_catalogue(self, cid: int) -> dict[str, str]:
        """The real suite's tests that apply to the cluster, passing as on a healthy Fuel cloud (the vCenter volume
        tests apply only once a cinder-vmware node is deployed: volumes_vmdk comes with it)."""
        if self.ostf_outcome:
            return dict(self.ostf_outcome)
        tags = self.cluster_tags(cid)
        out = {}
        for meta in suite.discover():
            if tag_rules.matches(meta.tags, tags):
                out[meta.id] = "success"
        return out

    def ostf_tests(self, body: Any, cid: str) -> tuple[int, list[dict[str, Any]]]:
        self.ostf_listed.add(int(cid))
        return 200, [{"id": t, "testset": _test_set(t), "name": t.rsplit(".", 1)[-1], "status": None}
                     for t in self.ostf_catalogue(int(cid))]

    def start_testruns(self, body: list[dict[str, Any]]) -> tuple[int, Any]:
        """POST testruns: fuel-qa GETs tests/<cid> first, "otherwise 500" (fuel-qa mitaka-eol:core/models/
        fuel_client/ostf_client.py run_tests); our adapter answers 409 when a run of the set still goes."""
        cids = {int(item["metadata"]["cluster_id"]) for item in body}
        if not cids <= self.ostf_listed:
            raise Refused(500, "Internal Server Error: no tests known for the cluster (GET tests/<cid> first)")
        if any(r["status"] == "running" for r in self.testruns):
            raise Refused(409, "a run of these test sets is still running on cluster 1")
        self.testruns = []
        for i, item in enumerate(body, 11):
            cid = int(item["metadata"]["cluster_id"])
            catalogue = self.ostf_catalogue(cid)
            tests = [{"id": tid, "testset": item["testset"], "name": tid.rsplit(".", 1)[-1], "description": "",
                      "duration": "", "message": None, "step": None, "status": "wait_running", "taken": None,
                      "_final": final} for tid, final in catalogue.items() if _test_set(tid) == item["testset"]]
            self.testruns.append({"id": i, "testset": item["testset"], "meta": None, "status": "running",
                                  "cluster_id": cid, "started_at": "2016-03-01 10:00:00", "ended_at": None,
                                  "tests": tests})
        return 200, _public(self.testruns)

    def last_testruns(self, body: Any, cluster: str) -> tuple[int, list[dict[str, Any]]]:
        answer = _public(self.testruns)
        for run in self.testruns:  # the next poll sees them finished
            run["status"] = "finished"
            for test in run["tests"]:
                test["status"] = test["_final"]
                test["message"] = "Step 1 failed: no volume service in the zone" if test["status"] == "failure" \
                    else None
        return 200, answer


def _public(runs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    out = copy.deepcopy(runs)
    for run in out:
        for test in run["tests"]:
            test.pop("_final", None)
    return out


def _test_set(test_id: str) -> str:
    parts = test_id.split(".")
    return parts[2] if len(parts) > 2 else ""


def _computes(value: dict[str, Any]) -> list[dict[str, Any]]:
    return [nc for az in value.get("availability_zones") or [] for nc in az.get("nova_computes") or []]


def _changed_key(stored: dict[str, Any], sent: dict[str, Any], *, compare_target: bool) -> str | None:
    """The first STORED key whose sent value differs; keys only in `sent` are not looked at, target_node is
    compared by current.id (FW 8.0 validators/cluster.py:664-676 check_operational_controllers_settings) or
    skipped (:623-631 check_operational_node_settings)."""
    for key, was in stored.items():
        if key == "target_node":
            if compare_target and _target(stored) != _target(sent):
                return key
        elif was != sent.get(key):
            return key
    return None


def _target(nc: dict[str, Any]) -> str:
    if "target_node" not in nc:  # 6.1/7.0 only (8.0+ answer 500 first): the vCenter nova-compute is on controllers
        return "controllers"
    return str(((nc.get("target_node") or {}).get("current") or {}).get("id") or "")


def _without_computes(value: dict[str, Any]) -> Any:
    out = copy.deepcopy(value)
    for az in out.get("availability_zones") or []:
        az.pop("nova_computes", None)
    return out
