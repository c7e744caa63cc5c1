"""A CONTRACT double of a Fuel master for pytest-httpserver: Nailgun's /api and the OSTF adapter's /ostf/v1.

It answers with the shapes of fuel-web 8.0's handlers and fuel-ostf 8.0's adapter (docs fuel-facts.md):
clusters, releases, `{"editable": ...}` attributes, `{"editable": {"metadata", "value"}}` vmware_attributes,
node lists, tasks (running -> ready/error with progress), logs/package, testruns. It is what a real Fuel lab
would say, for the calls system_tests makes; it validates nothing Nailgun validates server-side.
"""

from __future__ import annotations

import copy
import json
import re
from typing import Any

from werkzeug import Request, Response

TOKEN = "gAAAA-fuel-token"
MACS = {f"slave-0{i}": f"64:52:00:00:00:0{i}" for i in range(1, 7)}

RELEASES = [
    {"id": 1, "name": "Liberty on CentOS 6.5", "version": "liberty-8.0", "operating_system": "CentOS",
     "state": "unavailable", "is_deployable": False},
    {"id": 2, "name": "Liberty on Ubuntu 14.04", "version": "liberty-8.0", "operating_system": "Ubuntu",
     "state": "available", "is_deployable": True},
]
ATTRIBUTES = {"editable": {
    "access": {"metadata": {"label": "OpenStack Access", "weight": 10},
               "user": {"value": "admin", "type": "text"}, "password": {"value": "os-pw", "type": "password"},
               "tenant": {"value": "admin", "type": "text"}},
    "common": {"metadata": {"label": "Common", "weight": 30},
               "libvirt_type": {"value": "kvm", "type": "radio"}, "use_vcenter": {"value": False, "type": "hidden"}},
    "storage": {"metadata": {"label": "Storage", "weight": 60},
                "volumes_lvm": {"value": True, "type": "checkbox"},
                "volumes_vmdk": {"value": False, "type": "checkbox"},
                "volumes_ceph": {"value": False, "type": "checkbox"},
                "images_vcenter": {"value": False, "type": "checkbox"}},
}}
VMWARE = {"editable": {"metadata": [{"name": "availability_zones", "type": "array"},
                                    {"name": "network", "type": "object"}, {"name": "glance", "type": "object"}],
                       "value": {"availability_zones": [], "network": {"esxi_vlan_interface": ""}, "glance": {}}}}


def discovered_node(node_id: int, mac: str) -> dict[str, Any]:
    """An unallocated node as GET /api/nodes lists it after bootstrap discovery."""
    return {"id": node_id, "name": f"Untitled ({mac[-5:]})", "hostname": f"node-{node_id}", "mac": mac,
            "cluster": None, "roles": [], "pending_roles": [], "pending_addition": False, "online": True,
            "status": "discover", "ip": f"10.109.0.{node_id + 2}", "group_id": None, "progress": 0,
            "meta": {"interfaces": [{"name": "eth0", "mac": mac}, {"name": "eth1", "mac": "64:52:00:ff:00:00"}]}}


class FakeFuelMaster:
    """Stateful contract double: cluster 1, nodes by id, tasks advancing one step per poll."""

    def __init__(self, discovered: tuple[str, ...] = tuple(MACS)) -> None:
        self.clusters: dict[int, dict[str, Any]] = {}
        self.attributes = copy.deepcopy(ATTRIBUTES)
        self.vmware = copy.deepcopy(VMWARE)
        self.nodes = {i: discovered_node(i, MACS[name]) for i, name in enumerate(discovered, 1)}
        self.deploy_outcome = ("ready", None)
        self.tasks: dict[int, list[dict[str, Any]]] = {}
        self.ostf_outcome: dict[str, str] = {}  # test id -> final status
        self.testruns: list[dict[str, Any]] = []
        self.requests: list[tuple[str, str, Any]] = []

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
                status, answer = handler(body, *match.groups())
                return Response(json.dumps(answer), status=status, content_type="application/json") \
                    if not isinstance(answer, bytes) else Response(answer, status=status)
        return Response('{"message": "Not found"}', status=404)

    def routes(self) -> list[tuple[str, str, Any]]:
        return [
            ("GET", r"/api/releases", lambda b: (200, RELEASES)),
            ("GET", r"/api/clusters", lambda b: (200, list(self.clusters.values()))),
            ("POST", r"/api/clusters", self.create_cluster),
            ("GET", r"/api/clusters/(\d+)", lambda b, c: (200, self.clusters[int(c)])),
            ("GET", r"/api/clusters/\d+/attributes", lambda b: (200, self.attributes)),
            ("PUT", r"/api/clusters/\d+/attributes", self.put_attributes),
            ("GET", r"/api/clusters/\d+/vmware_attributes", lambda b: (200, self.vmware)),
            ("PUT", r"/api/clusters/\d+/vmware_attributes", self.put_vmware),
            ("GET", r"/api/nodes", lambda b: (200, [n for n in self.nodes.values()
                                                    if not b or n["cluster"] == b["cluster_id"]])),
            ("PUT", r"/api/nodes", self.put_nodes),
            ("PUT", r"/api/clusters/(\d+)/changes", self.deploy),
            ("GET", r"/api/tasks/(\d+)", lambda b, t: (200, self.tasks[int(t)].pop(0) if len(self.tasks[int(t)]) > 1
                                                       else self.tasks[int(t)][0])),
            ("PUT", r"/api/logs/package", self.logs_package),
            ("GET", r"/dump/(.+)", lambda b, name: (200, b"tar.xz bytes")),
            ("POST", r"/ostf/v1/testruns", self.start_testruns),
            ("GET", r"/ostf/v1/testruns/last/(\d+)", self.last_testruns),
        ]

    def create_cluster(self, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        cid = len(self.clusters) + 1
        self.clusters[cid] = {"id": cid, "name": body["name"], "mode": body["mode"], "status": "new",
                              "net_provider": body["net_provider"], "release_id": body["release"],
                              "is_customized": False, "changes": [], "fuel_version": "8.0"}
        return 201, self.clusters[cid]

    def put_attributes(self, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        self.attributes = body
        return 200, body

    def put_vmware(self, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        self.vmware = body
        return 200, body

    def put_nodes(self, body: list[dict[str, Any]]) -> tuple[int, list[dict[str, Any]]]:
        for update in body:
            node = self.nodes[update["id"]]
            node.update(cluster=update["cluster_id"], pending_roles=update["pending_roles"],
                        pending_addition=update["pending_addition"])
        return 200, [self.nodes[u["id"]] for u in body]

    def new_task(self, name: str, cluster: int | None, final: str, message: str | None) -> dict[str, Any]:
        tid = 100 + len(self.tasks)
        base = {"id": tid, "name": name, "cluster": cluster, "uuid": f"uuid-{tid}", "result": {}, "parent_id": None}
        self.tasks[tid] = [{**base, "status": "running", "progress": 0, "message": None},
                           {**base, "status": "running", "progress": 60, "message": None},
                           {**base, "status": final, "progress": 100, "message": message}]
        return self.tasks[tid].pop(0)

    def deploy(self, body: Any, cluster: str) -> tuple[int, dict[str, Any]]:
        status, message = self.deploy_outcome
        if status == "ready":
            for node in self.nodes.values():
                if node["cluster"] == int(cluster):
                    node.update(roles=[*node["roles"], *node["pending_roles"]], pending_roles=[], status="ready",
                                pending_addition=False)
        return 202, self.new_task("deploy", int(cluster), status, message)

    def logs_package(self, body: Any) -> tuple[int, dict[str, Any]]:
        return 202, self.new_task("dump", None, "ready", "/dump/fuel-snapshot-2016-03-01_10-00-00.tar.xz")

    def start_testruns(self, body: list[dict[str, Any]]) -> tuple[int, Any]:
        if any(r["status"] == "running" for r in self.testruns):
            return 409, {"message": "a run of these test sets is still running on cluster 1"}
        self.testruns = []
        for i, item in enumerate(body, 11):
            tests = [{"id": tid, "testset": item["testset"], "name": tid.rsplit(".", 1)[-1], "description": "",
                      "duration": "", "message": None, "step": None, "status": "wait_running", "taken": None}
                     for tid in self.ostf_outcome if f".{item['testset']}." in tid]
            self.testruns.append({"id": i, "testset": item["testset"], "meta": None, "status": "running",
                                  "cluster_id": item["metadata"]["cluster_id"], "started_at": "2016-03-01 10:00:00",
                                  "ended_at": None, "tests": tests})
        return 200, copy.deepcopy(self.testruns)

    def last_testruns(self, body: Any, cluster: str) -> tuple[int, list[dict[str, Any]]]:
        answer = copy.deepcopy(self.testruns)
        for run in self.testruns:  # the next poll sees them finished
            run["status"] = "finished"
            for test in run["tests"]:
                test["status"] = self.ostf_outcome[test["id"]]
                test["message"] = "Step 1 failed: Boot: ERROR" if test["status"] == "failure" else None
        return 200, answer
