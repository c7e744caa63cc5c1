"""The lab's life cycle: up, down, status, logs, reset, add a node."""

from __future__ import annotations

import contextlib
import dataclasses
import json
import shutil
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psutil
import yaml

from devops_envs.local import (
    bootstrap,
    faults,
    fuel_data,
    install,
    kvm_zone,
    render,
    secrets,
    services,
    supervisor,
    topology,
)
from devops_envs.local.errors import LabError
from devops_envs.local.paths import LabPaths
from devops_envs.local.services import Service
from devops_envs.local.topology import Topology

CLOUD_NAME = "fuel-dualhv-lab"
STAGE_TIMEOUT = {services.INFRA: 90, services.IDENTITY: 90, services.OPENSTACK: 240}


def say(msg: str) -> None:
    print(f"[lab] {msg}", flush=True)


@dataclass
class Lab:
    paths: LabPaths

    @classmethod
    def default(cls) -> Lab:
        return cls(LabPaths.from_env())

    # ---- state -------------------------------------------------------------------------------------
    def saved_state(self) -> dict[str, Any] | None:
        if not self.paths.state.exists():
            return None
        return yaml.safe_load(self.paths.state.read_text())

    def connect(self, compute_api_version: str | None = None) -> Any:
        """An openstacksdk connection to the lab's cloud, from its clouds.yaml (for the project's own tests)."""
        import openstack  # the suite's venv has it; the lab's CLI does not need it

        config = openstack.config.OpenStackConfig(config_files=[str(self.paths.clouds_yaml)])
        extra = {"compute_api_version": compute_api_version} if compute_api_version else {}
        return openstack.connection.Connection(config=config.get_one(CLOUD_NAME), **extra)

    def topology(self) -> Topology | None:
        state = self.saved_state()
        return topology.from_dict(state["topology"], where=str(self.paths.state)) if state else None

    def save_state(self, topo: Topology, initialized: bool, faults: list[str] | None = None) -> None:
        self.paths.home.mkdir(mode=0o700, parents=True, exist_ok=True)
        if faults is None:
            faults = self.active_faults()
        self.paths.state.write_text(yaml.safe_dump(
            {"initialized": initialized, "topology": topo.to_dict(), "faults": faults}, sort_keys=False))

    def active_faults(self) -> list[str]:
        return list((self.saved_state() or {}).get("faults") or [])

    def secrets(self) -> dict[str, str]:
        return secrets.load_or_create(self.paths.secrets)

    def services(self, topo: Topology) -> list[Service]:
        return services.all_services(self.paths, topo)

    def supervisor(self) -> supervisor.Supervisor:
        return supervisor.Supervisor(self.paths, self.secrets())

    # ---- up ----------------------------------------------------------------------------------------
    def up(self, lab_file: str | None = None, install_missing: bool = True) -> Topology:
        """Install what is missing, then start everything; harmless when the lab already runs."""
        t0 = time.monotonic()
        saved = self.saved_state()
        if saved and lab_file and topology.load(lab_file).name != saved["topology"]["name"]:
            raise LabError(f"the lab holds topology {saved['topology']['name']!r}; run `reset` before "
                           f"starting {lab_file!r}")
        topo = topology.from_dict(saved["topology"]) if saved else topology.load(lab_file or "dual_hv")
        initialized = bool(saved and saved.get("initialized"))
        if self.active_faults():
            say(f"healing faults left from before: {', '.join(self.active_faults())}")
            self.heal()
        if install_missing:
            install.ensure_installed(self.paths, with_vcenter=topo.use_vcenter)
            if topo.kvm_virt == "libvirt":
                kvm_zone.ensure_installed(self.paths)
        secret = self.secrets()
        self.save_state(topo, initialized)
        bootstrap.prepare_dirs(self.paths, topo)
        kvm_zone.prepare(self.paths, topo)
        render.render_all(self.paths, topo, secret)
        bootstrap.init_mariadb_datadir(self.paths)
        sup = supervisor.Supervisor(self.paths, secret)
        all_svcs = self.services(topo)
        with self._undo_on_failure(sup, all_svcs):
            self._start_stage(sup, all_svcs, services.INFRA)
            bootstrap.ensure_databases(self.paths, secret)
            bootstrap.ensure_rabbit_user(self.paths, secret)
            if not initialized:
                say("creating schemas and bootstrapping keystone")
                bootstrap.sync_schemas(self.paths, topo, secret)
            self.write_clouds_yaml(secret)
            self._start_stage(sup, all_svcs, services.IDENTITY)
            if not initialized:
                self.cloud_setup("catalog", {"service_password": secret["service_password"]})
            self._start_stage(sup, all_svcs, services.OPENSTACK)
            self.make_ready(topo)
        self.save_state(topo, initialized=True)
        self.write_suite_config(topo, secret)
        say(f"ready in {time.monotonic() - t0:.0f} s: {len(all_svcs)} services")
        say(f"clouds.yaml: {self.paths.clouds_yaml} (cloud {CLOUD_NAME})")
        say(f"suite config: {self.paths.suite_config}")
        return topo

    @contextlib.contextmanager
    def _undo_on_failure(self, sup: supervisor.Supervisor, all_svcs: list[Service]) -> Iterator[None]:
        """`up` never leaves half-started processes: on failure stop what this call started."""
        before = {s.key for s in all_svcs if sup.pid(s)}
        try:
            yield
        except BaseException:
            started = [s for s in all_svcs if s.key not in before]
            sup.stop(list(reversed(started)), timeout=10)
            raise

    def _start_stage(self, sup: supervisor.Supervisor, all_svcs: list[Service], stage: int) -> None:
        svcs = [s for s in all_svcs if s.stage == stage]
        # HA peers (same host, same RPC queue) start after the first is serving: started together on fresh
        # state, both insert the service row and leave a dead duplicate behind.
        seen: set[str] = set()
        first, peers = [], []
        for svc in svcs:
            (peers if svc.queue and svc.queue in seen else first).append(svc)
            if svc.queue:
                seen.add(svc.queue)
        for group in (first, peers):
            started = [s.key for s in group if sup.start(s)]
            if started:
                say(f"started {', '.join(started)}")
            self.wait_ready(sup, group, STAGE_TIMEOUT[stage])

    def wait_ready(self, sup: supervisor.Supervisor, svcs: list[Service], timeout: float) -> None:
        deadline = time.monotonic() + timeout
        pending = list(svcs)
        while pending:
            for svc in pending:
                if not sup.pid(svc):
                    raise LabError(f"{svc.key} died during start (log {sup.logfile(svc)}); last lines:\n"
                                   + sup.log_tail(svc))
            queues = supervisor.rpc_consumers(self.paths) if any(s.queue for s in pending) else None
            pending = [s for s in pending if not supervisor.ready(self.paths, s, queues)]
            if not pending:
                return
            if time.monotonic() > deadline:
                names = ", ".join(s.key + (f" (no consumer on {s.queue})" if s.queue else "") for s in pending)
                raise LabError(f"not ready after {timeout:.0f} s: {names}")
            time.sleep(1)

    def make_ready(self, topo: Topology) -> None:
        """Zones (aggregates), flavor and test images: the cloud a health check expects."""
        compute_hosts, volume_hosts = [], []
        aggregates: dict[str, dict[str, Any]] = {}
        for node in topo.nodes:
            for name in node.services:
                if name == "nova-compute":
                    host = services.service_host(self.paths, node, name)
                    compute_hosts.append(host)
                    nc = topo.nova_compute_for(node.name) if "vcenter-compute" in node.roles else None
                    zone = nc.az_name if nc else topo.kvm_zone
                    # One aggregate per zone: kvm-hosts, vcenter-hosts (the first vCenter zone), vcenter-<az>-hosts.
                    key = "kvm" if nc is None else "vcenter" if zone == topo.az_names[0] else f"vcenter-{zone}"
                    agg = aggregates.setdefault(key, {"name": f"{key}-hosts", "zone": zone, "hosts": []})
                    agg["hosts"].append(host)
                if name == "cinder-volume":
                    volume_hosts.append(services.service_host(self.paths, node, name))
            if "cinder-vmdk" in node.roles:
                volume_hosts += [services.vmdk_zone_host(self.paths, node, zone.az_name)
                                 for zone in topo.vcenter_zones[1:]]
        images_dir = self.paths.data / "images"
        self.run_inside("images.py", str(images_dir))
        images = [{"name": "TestVM", "file": str(images_dir / "testvm.qcow2"), "disk_format": "qcow2"}]
        if topo.kvm_virt == "libvirt":
            images = kvm_zone.images(self.paths)
        if topo.use_vcenter:
            # Nailgun's names and properties when vCenter is on: users tell the images apart by name.
            images.append({"name": "TestVM-VMDK", "file": str(images_dir / "testvm.vmdk"), "disk_format": "vmdk",
                           "properties": {"vmware_disktype": "sparse", "vmware_adaptertype": "lsiLogic",
                                          "hypervisor_type": "vmware"}})
        controller_etc = self.paths.node_etc(topo.controller.name)
        self.cloud_setup("ready", {
            "compute_hosts": sorted(set(compute_hosts)), "volume_hosts": sorted(set(volume_hosts)),
            "nova_manage": str(self.paths.bin / "nova-manage"), "nova_conf": str(controller_etc / "nova/nova.conf"),
            "aggregates": list(aggregates.values()), "images": images,
            "flavor": {"name": "m1.tiny", "ram": 512, "vcpus": 1, "disk": 1, "id": "1"}, "timeout": 180})

    def add_node(self, name: str, roles: list[str], vmware_attributes: dict[str, Any] | None = None,
                 vcenter: dict[str, Any] | None = None) -> Topology:
        """Add a node to the running lab and deploy it, as Fuel's "deploy changes" would.

        Restrictions are checked first, so a forbidden role combination is refused before anything runs.
        Giving VMware settings turns vCenter on for the cluster (the blueprint's upgrade path). `vcenter` (the
        simulator's section) is taken only by a lab without one: a running simulator's clusters cannot change."""
        old = self.topology()
        if old is None:
            raise LabError("no lab to add a node to: run `python -m devops_envs.local up` first")
        data = old.to_dict()
        data["nodes"].append({"name": name, "roles": roles})
        if vmware_attributes:
            data["vmware_attributes"] = vmware_attributes
            data["cluster"]["settings"]["common"]["use_vcenter"] = True
            data["vcenter"] = data.get("vcenter") or vcenter or topology.load("dual_hv").vcenter
        if any(fuel_data.canonical_role(r) == "cinder-vmdk" for r in roles):
            data["cluster"]["settings"]["storage"]["volumes_vmdk"] = True
        topo = topology.from_dict(data, where=f"node {name}")
        if topo.use_vcenter and not old.use_vcenter:
            install.ensure_installed(self.paths, with_vcenter=True)
        secret = self.secrets()
        bootstrap.prepare_dirs(self.paths, topo)
        render.render_all(self.paths, topo, secret)
        self.save_state(topo, initialized=True)
        sup = supervisor.Supervisor(self.paths, secret)
        all_svcs = self.services(topo)
        with self._undo_on_failure(sup, all_svcs):
            for stage in (services.INFRA, services.IDENTITY, services.OPENSTACK):
                self._start_stage(sup, all_svcs, stage)
            self.make_ready(topo)
        self.write_suite_config(topo, secret)
        say(f"node {name} ({', '.join(topo.nodes[-1].roles)}) deployed")
        return topo

    # ---- faults --------------------------------------------------------------------------------------
    def fault(self, name: str) -> faults.Fault:
        """Break exactly one thing (see faults.py); harmless when that fault is already on."""
        fault = faults.by_name(name)
        topo = self._running_topology()
        if not fault.applies_to(topo):
            need = "a real KVM zone (kvm_virt: libvirt)" if fault.needs_libvirt else "a vCenter zone"
            raise LabError(f"fault {name} needs {need}; this lab ({topo.name}) has none")
        active = self.active_faults()
        if name in active:
            return fault
        self.save_state(topo, initialized=True, faults=[*active, name])
        if fault.phantom:
            self.write_suite_config(topo, self.secrets())
        sup = self.supervisor()
        stopped = self._select(topo, fault.stop)
        sup.stop(stopped)
        self._wait_seen_down(topo, stopped)
        if fault.stop and fault.libvirt_client:
            self._wait_compute_status(topo, fault.libvirt_client, disabled=True)
        if fault.config:
            self._render_with_faults(topo)
            if fault.restart:
                self._restart(sup, topo, self._config_services(topo, fault))
        if fault.cloud:
            self._fault_cloud_setup(topo, faults.cloud_args(fault, topo))
        if fault.flag:
            kvm_zone.set_flag(self.paths, topo, fault.flag, on=True)
            restarted = self._select(topo, fault.flag_restart)
            if fault.libvirt_client:
                # Stopped first, so nova's auto-disable (connection lost) is over before the daemon is back;
                # then its reconnect re-enables the service: the fault's steady state, whatever the load.
                sup.stop(restarted, timeout=15)
                self._wait_compute_status(topo, fault.libvirt_client, disabled=True)
            self._restart(sup, topo, restarted)
            if fault.libvirt_client:
                self._wait_compute_status(topo, fault.libvirt_client, disabled=False)
        for twin in self._twins(topo, fault):
            self._start_twin(sup, twin)
        say(f"fault on: {name}: {fault.breaks}")
        return fault

    def heal(self, name: str | None = None) -> list[str]:
        """Undo one fault, or all of them; returns the faults healed."""
        topo = self._running_topology()
        active = self.active_faults()
        healing = [n for n in active if name in (None, n)]
        if name and name not in active:
            faults.by_name(name)  # an unknown name is an error; a known, inactive one is a no-op
            return []
        # The hosts services registered under while faulty: a changed `host` leaves a dead row to remove.
        stale = {svc.key: services.service_host(self.paths, n, svc.name)
                 for fault in map(faults.by_name, healing) for svc, n in self._config_services_with_nodes(topo, fault)}
        self.save_state(topo, initialized=True, faults=[n for n in active if n not in healing])
        if any(faults.by_name(n).phantom for n in healing):
            self.write_suite_config(topo, self.secrets())
        sup = self.supervisor()
        self._render_with_faults(topo)
        all_svcs = self.services(topo)
        for fault in map(faults.by_name, healing):
            sup.stop(self._twins(topo, fault))
            if fault.flag:
                kvm_zone.set_flag(self.paths, topo, fault.flag, on=False)
                sup.stop(self._select(topo, fault.flag_restart))  # started again below, without the flag
                if fault.libvirt_client:
                    # nova's own auto-disable lands before `ready` re-enables the service, never after it.
                    self._wait_compute_status(topo, fault.libvirt_client, disabled=True)
            if fault.config and fault.restart:
                self._restart(sup, topo, self._config_services(topo, fault))
                self._forget_stale_services(topo, fault, stale)
        for stage in (services.INFRA, services.IDENTITY, services.OPENSTACK):
            self._start_stage(sup, all_svcs, stage)
        for fault in map(faults.by_name, healing):
            if fault.restart_on_heal:
                self._restart(sup, topo, self._select(topo, fault.restart_on_heal))
            if fault.heal_cloud:
                self._fault_cloud_setup(topo, faults.cloud_args(fault, topo, heal=True))
            if fault.libvirt_client:
                # nova's own reconnect, not `ready`'s API enable: else the service looks healed while nova has
                # no connection yet, and the next fault that drops libvirt's connection finds none to drop.
                self._wait_compute_status(topo, fault.libvirt_client, disabled=False)
        if healing:
            self.make_ready(topo)  # also waits until every worker is seen up again
        for n in healing:
            say(f"healed: {n}")
        return healing

    @contextlib.contextmanager
    def unit_stopped(self, key: str) -> Iterator[Service]:
        """Stop one service of the running lab for a per-unit proof (a KVM host's or a vSphere cluster's
        nova-compute, a vCenter zone's simulator), then start it again, with what held a session to it.

        Unlike a fault, the unit is named by its service key (`status` lists them), so any host, cluster or
        zone of a multi-zone lab can be picked, not only the last node with a role."""
        topo = self._running_topology()
        sup = self.supervisor()
        svc = next((s for s in self.services(topo) if s.key == key), None)
        if svc is None:
            raise LabError(f"no service {key} in this lab ({topo.name}): `python -m devops_envs.local status` "
                           "lists them")
        sup.stop([svc])
        self._wait_seen_down(topo, [svc])
        try:
            yield svc
        finally:
            sup.start(svc)
            self.wait_ready(sup, [svc], STAGE_TIMEOUT[services.OPENSTACK])
            if svc.name == "vcsim":
                # The simulator restarts empty and its clients' sessions died with it, as after `vcenter-down`.
                self._restart(sup, topo, self._zone_services(topo, self._simulated_zone(topo, svc)))
            self.make_ready(topo)

    def _simulated_zone(self, topo: Topology, vcsim: Service) -> str:
        return topo.az_names[0] if vcsim.node == "vcenter" else vcsim.node.removeprefix("vcenter-")

    def _zone_services(self, topo: Topology, az_name: str) -> list[Service]:
        """The nova-computes of a vCenter zone's clusters and the cinder-volumes of its cinder-vmdk pair."""
        first = az_name == topo.az_names[0]
        cluster_nodes = {nc.target_node for nc in topo.zone_computes(az_name)}
        vmdk_nodes = {n.name for n in topo.nodes_with("cinder-vmdk")}
        volume = "cinder-volume" if first else f"cinder-volume-vmware-{az_name}"
        return [s for s in self.services(topo) if (s.node in cluster_nodes and s.name == "nova-compute")
                or (s.node in vmdk_nodes and s.name == volume)]

    def _fault_cloud_setup(self, topo: Topology, args: list[str]) -> None:
        spec: dict[str, Any] = {"args": args[1:]}
        zone = topo.vcenter_zone
        if zone is not None:
            spec["vcenter"] = {"host": zone.host, "port": topo.simulator(zone.az_name).port,
                               "username": zone.username, "password": render.vcenter_password(topo, self.secrets())}
        self.cloud_setup(args[0], spec)

    def _twins(self, topo: Topology, fault: faults.Fault) -> list[Service]:
        """Second processes of services (same argv, config and host), under their own pid file and log."""
        return [dataclasses.replace(s, name=f"{s.name}-twin") for s in self._select(topo, fault.twin)]

    def _start_twin(self, sup: supervisor.Supervisor, twin: Service) -> None:
        """Start it and wait until it consumes the service's RPC queue next to the original."""
        before = supervisor.rpc_consumers(self.paths).get(twin.queue or "", 0)
        sup.start(twin)
        deadline = time.monotonic() + STAGE_TIMEOUT[services.OPENSTACK]
        while supervisor.rpc_consumers(self.paths).get(twin.queue or "", 0) <= before:
            if not sup.pid(twin):
                raise LabError(f"{twin.key} died during start (log {sup.logfile(twin)}):\n{sup.log_tail(twin)}")
            if time.monotonic() > deadline:
                raise LabError(f"{twin.key}: no consumer on {twin.queue} after {STAGE_TIMEOUT[services.OPENSTACK]} s")
            time.sleep(1)

    def _wait_seen_down(self, topo: Topology, stopped: list[Service]) -> None:
        """Return once the APIs show stopped workers as down, as an operator would see them."""
        down = []
        for svc in stopped:
            if svc.name in ("nova-compute", "cinder-volume", "nova-conductor", "nova-scheduler", "cinder-scheduler"):
                node = next(n for n in topo.nodes if n.name == svc.node)
                host = services.service_host(self.paths, node, svc.name)
                # An HA peer with the same host keeps the row up: that is the point of the pair.
                peers = [s for s in self.services(topo) if s.name == svc.name and s.key != svc.key and
                         services.service_host(self.paths, next(n for n in topo.nodes if n.name == s.node),
                                               s.name) == host]
                if not peers:
                    down.append([svc.name, host])
        if down:
            self.cloud_setup("wait-down", {"down": down, "timeout": 60})

    def _wait_compute_status(self, topo: Topology, selector: str, disabled: bool) -> None:
        """Return once nova shows the nova-compute auto-disabled (its libvirt connection lost) or enabled again.

        The re-enable comes with nova's reconnect, at its next periodic task (60 s apart), hence the 120 s."""
        svc = self._select(topo, (selector,))[0]
        host = services.service_host(self.paths, next(n for n in topo.nodes if n.name == svc.node), svc.name)
        self.cloud_setup("wait-compute-status", {"host": host, "disabled": disabled,
                                                 "timeout": 60 if disabled else 120})

    def _running_topology(self) -> Topology:
        topo = self.topology()
        if topo is None:
            raise LabError("no lab here: run `python -m devops_envs.local up` first")
        return topo

    def _select(self, topo: Topology, selectors: tuple[str, ...]) -> list[Service]:
        """Services by "<role>:<service>" (on the LAST node with that role; "<role>!:" the first) or "vcenter:vcsim"."""
        all_svcs = self.services(topo)
        out = []
        for sel in selectors:
            role, name = sel.split(":")
            first = role.endswith("!")
            role = role.rstrip("!")
            nodes = topo.nodes_with(role)
            node = "vcenter" if role == "vcenter" else (nodes[0] if first else nodes[-1]).name
            out += [s for s in all_svcs if s.node == node and s.name == name and s not in out]
        return out

    def _config_services_with_nodes(self, topo: Topology, fault: faults.Fault) -> list[tuple[Service, Any]]:
        out = []
        for edit in fault.config:
            nodes = topo.nodes_with(edit.role)
            for node in nodes[-1:] if edit.one_node else nodes:
                out += [(s, node) for s in services.openstack(self.paths, topo, node)
                        if edit.file in render.SERVICE_FILES.get(s.name, ())]
        return out

    def _config_services(self, topo: Topology, fault: faults.Fault) -> list[Service]:
        return [s for s, _ in self._config_services_with_nodes(topo, fault)]

    def _render_with_faults(self, topo: Topology) -> None:
        render.render_all(self.paths, topo, self.secrets())
        edits = []
        for fault in map(faults.by_name, self.active_faults()):
            for edit in fault.config:
                nodes = topo.nodes_with(edit.role)
                for node in nodes[-1:] if edit.one_node else nodes:
                    edits.append((node.name, edit.file, edit.section, edit.key, edit.value(topo)))
        render.apply_edits(self.paths, topo, edits)

    def _restart(self, sup: supervisor.Supervisor, topo: Topology, svcs: list[Service]) -> None:
        # Rebuild the specs: a restarted worker may consume another queue now (its `host` changed).
        keys = {s.key for s in svcs}
        fresh = [s for s in self.services(topo) if s.key in keys]
        sup.stop(fresh, timeout=15)
        stopped_at = time.time()
        for svc in fresh:
            sup.start(svc)
        self.wait_ready(sup, fresh, STAGE_TIMEOUT[services.OPENSTACK])
        self._wait_reported(topo, fresh, stopped_at)

    def _wait_reported(self, topo: Topology, svcs: list[Service], since: float) -> None:
        """Return once each restarted nova-compute/cinder-volume has reported its state since `since`.

        Consuming its RPC queue is not enough: a worker writes its new config's zone into its service row only
        at its first report (cinder's Service.report_state), a report_interval after start-up. Until then the
        APIs show the old zone, and a check run at once judges the old config (seen in CI under load)."""
        rows = sorted({(s.name, services.service_host(self.paths, next(n for n in topo.nodes if n.name == s.node),
                                                      s.name)) for s in svcs if s.name in ("nova-compute",
                                                                                          "cinder-volume")})
        if rows:
            self.cloud_setup("wait-reported", {"services": [list(r) for r in rows], "since": since,
                                               "timeout": STAGE_TIMEOUT[services.OPENSTACK]})

    def _forget_stale_services(self, topo: Topology, fault: faults.Fault, before: dict[str, str]) -> None:
        """A service that ran under a fault's `host` leaves a dead row behind: remove it, as an operator would."""
        for svc, node in self._config_services_with_nodes(topo, fault):
            old, new = before[svc.key], services.service_host(self.paths, node, svc.name)
            if old != new and svc.name == "cinder-volume":
                conf = self.paths.node_etc(topo.controller.name) / "cinder/cinder.conf"
                bootstrap.run([str(self.paths.bin / "cinder-manage"), "--config-file", str(conf), "service",
                               "remove", "cinder-volume", old], self.paths.logs / "setup.log")

    # ---- helpers running inside the OpenStack venv ---------------------------------------------------
    def run_inside(self, script: str, *args: str, stdin: str | None = None, timeout: float = 600) -> str:
        cmd = [str(self.paths.python), str(self.paths.inside / script), *args]
        try:
            res = subprocess.run(cmd, input=stdin, capture_output=True, text=True, timeout=timeout,
                                 env={"PYTHONWARNINGS": "ignore", "PATH": f"{self.paths.bin}:/usr/bin:/bin"})
        except subprocess.TimeoutExpired:
            raise LabError(f"{script} {' '.join(args)} timed out after {timeout:.0f} s") from None
        with bootstrap.private_log(self.paths.logs / "setup.log") as log:
            log.write(f"$ {script} {' '.join(args)}\n{res.stdout}{res.stderr}\n")
        if res.returncode != 0:
            last = (res.stderr.strip() or res.stdout.strip() or "no output").splitlines()[-1]
            raise LabError(f"{script} {' '.join(args)} failed: {last} (see {self.paths.logs / 'setup.log'})")
        return res.stdout

    def cloud_setup(self, action: str, spec: dict[str, Any], timeout: float = 600) -> str:
        spec = {"cloud": CLOUD_NAME, "clouds_yaml": str(self.paths.clouds_yaml), **spec}
        return self.run_inside("cloud_setup.py", action, stdin=json.dumps(spec), timeout=timeout)

    # ---- outputs -------------------------------------------------------------------------------------
    def write_clouds_yaml(self, secret: dict[str, str]) -> None:
        clouds = {"clouds": {CLOUD_NAME: {
            "auth": {"auth_url": "http://127.0.0.1:5000/v3", "username": "admin",
                     "password": secret["admin_password"], "project_name": "admin",
                     "user_domain_name": "Default", "project_domain_name": "Default"},
            "region_name": "RegionOne", "identity_api_version": 3}}}
        _write_private(self.paths.clouds_yaml, yaml.safe_dump(clouds, sort_keys=False))

    def write_suite_config(self, topo: Topology, secret: dict[str, str]) -> None:
        """The suite's description of this cloud (docs/cluster-config.md)."""
        settings = topo.cluster["settings"]
        hypervisors: dict[str, Any] = {"kvm": {"zone": topo.kvm_zone, "image": "TestVM", "flavor": "m1.tiny"}}
        if topo.kvm_virt == "libvirt":  # a real guest: the suite may read its console
            hypervisors["kvm"].update(kvm_zone.CONSOLE)
        cfg: dict[str, Any] = {
            "cluster": {"id": topo.cluster.get("id", 1), "name": f"local-lab-{topo.name}", "release": "2026.2",
                        "mode": topo.cluster.get("mode", "multinode"), "net_provider": topo.cluster["net_provider"],
                        "nova_network_mode": topo.cluster.get("nova_network_mode"),
                        "libvirt_type": settings["common"].get("libvirt_type", "qemu"),
                        "use_vcenter": topo.use_vcenter, "storage": settings.get("storage", {}),
                        "additional_components": []},
            "cloud": {"name": CLOUD_NAME, "clouds_yaml": str(self.paths.clouds_yaml), "region": "RegionOne"},
            "hypervisors": hypervisors,
        }
        zone = topo.vcenter_zone
        if zone is not None:
            hypervisors["vcenter"] = {"zone": zone.az_name, "image": "TestVM-VMDK", "flavor": "m1.tiny"}
            attrs = json.loads(json.dumps(topo.vmware_attributes))
            for az in attrs["availability_zones"]:
                az["vcenter_password"] = render.vcenter_password(topo, secret, az["az_name"])
            cfg["vmware_attributes"] = attrs
            first = topo.simulator(zone.az_name)
            cfg["vcenter"] = {"port": first.port, "insecure": True, "datacenter": first.datacenter}
            if len(topo.vcenter_zones) > 1:  # each further zone: its own simulator's port and datacenter
                hypervisors["vcenter"] = [hypervisors["vcenter"]] + [
                    {"zone": z.az_name, "image": "TestVM-VMDK", "flavor": "m1.tiny",
                     "port": topo.simulator(z.az_name).port, "datacenter": topo.simulator(z.az_name).datacenter}
                    for z in topo.vcenter_zones[1:]]
        cfg["nodes"] = [{"name": n.name, "hostname": n.name, "roles": list(n.roles), "host": "local://",
                         "root": str(self.paths.node_root(n.name)), "services": list(n.services)}
                        for n in topo.nodes]
        for fault in map(faults.by_name, self.active_faults()):
            if fault.phantom:  # listed as Nailgun would list it, but never deployed: nova never heard of it
                cfg["nodes"].append({"name": faults.PHANTOM_NODE, "hostname": faults.PHANTOM_NODE,
                                     "roles": list(fault.phantom), "host": "local://",
                                     "root": str(self.paths.node_root(faults.PHANTOM_NODE)),
                                     "services": ["nova-compute"] if "compute" in fault.phantom else []})
        cfg["timeouts"] = {"api": 30, "boot": 120, "volume": 90, "attach": 90, "delete": 90, "vcenter": 30}
        cfg["resource_prefix"] = "ostf"
        _write_private(self.paths.suite_config, yaml.safe_dump(cfg, sort_keys=False))

    # ---- down / status / reset -------------------------------------------------------------------------
    def down(self) -> list[str]:
        """Stop everything, newest stage first; returns the strays (processes, loop devices) that had to be released."""
        topo = self.topology()
        if topo is None:
            return self.kill_strays()
        sup = self.supervisor()
        all_svcs = self.services(topo)
        if topo.vcenter_zones and all(sup.pid(s) for s in all_svcs):
            # The simulators keep their inventory in memory: what lives in a vCenter zone can't survive.
            for zone in topo.vcenter_zones:
                with contextlib.suppress(LabError):
                    say(self.cloud_setup("purge-zone", {"zone": zone.az_name}, timeout=240).strip())
        for stage in (services.OPENSTACK, services.IDENTITY):
            sup.stop([s for s in all_svcs if s.stage == stage])
        kvm_zone.stop(self.paths, topo, sup, all_svcs)  # libvirtd, then any QEMU guest it leaves behind
        infra = [s for s in all_svcs if s.stage == services.INFRA]
        for name in ("vcsim", "rabbitmq", "epmd", "mariadb"):
            sup.stop([s for s in infra if s.name == name], timeout=30)
        return self.kill_strays()

    def kill_strays(self) -> list[str]:
        """What still belongs to the lab home gets released and reported: processes (e.g. an Erlang helper) are
        killed, loop devices backed by its files are detached."""
        home = str(self.paths.home)
        strays = []
        for proc in psutil.process_iter(["pid", "cmdline", "name"]):
            with contextlib.suppress(psutil.Error):
                if proc.pid != psutil.Process().pid and any(home in a for a in proc.info["cmdline"] or []):
                    strays.append(f"{proc.pid} {proc.info['name']}")
                    proc.kill()
        return strays + kvm_zone.release_loops(self.paths)

    def status(self) -> list[dict[str, Any]]:
        topo = self.topology()
        if topo is None:
            return []
        sup = self.supervisor()
        rows = []
        for svc in self.services(topo):
            pid = sup.pid(svc)
            rows.append({"service": svc.key, "state": "up" if pid else "down", "pid": pid or "",
                         "port": svc.port or "", "memory_mib": round(sup.memory(svc) / 2**20) if pid else "",
                         "log": str(sup.logfile(svc))})
        return rows

    def reset(self) -> None:
        """Stop everything and wipe the state; installed packages, the venv and the simulator build stay."""
        self.down()
        for path in (self.paths.nodes, self.paths.data, self.paths.run, self.paths.logs):
            shutil.rmtree(path, ignore_errors=True)
        for path in (self.paths.state, self.paths.secrets, self.paths.clouds_yaml, self.paths.suite_config):
            path.unlink(missing_ok=True)


def _write_private(path: Path, text: str) -> None:
    render.write_private(path, text)  # 0600 from the first byte, never chmodded after
