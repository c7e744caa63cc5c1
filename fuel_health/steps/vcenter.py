"""vCenter steps (pyvmomi): login, clusters, datastores, and the VM behind an instance."""

from __future__ import annotations

import re
import ssl
from typing import Any

from openstack.block_storage.v3.volume import Volume
from openstack.compute.v2.server import Server

from fuel_health.clients import connections
from fuel_health.clients.context import RunContext
from fuel_health.config import NovaCompute, VCenter
from fuel_health.steps import compute
from fuel_health.steps import volume as volume_steps

GiB = 1024**3
MIN_FREE_GIB = 1  # room for at least one m1.tiny-sized disk


def _vc(ctx: RunContext, vc: VCenter | None = None) -> VCenter:
    # vc: a zone's own vCenter; None: the first vCenter zone's (what the single-zone checks use).
    if vc is not None:
        return vc
    if ctx.cfg.vcenter is None:
        raise AssertionError("the cluster config has no vCenter (vmware_attributes) though the cluster uses one")
    return ctx.cfg.vcenter


def _login_problem(ctx: RunContext, exc: BaseException, vc: VCenter | None = None) -> str:
    from pyVmomi import vim

    vc = _vc(ctx, vc)
    where = f"vCenter {vc.host}:{vc.port} of zone {vc.az_name}"  # several zones may share a host: say which one
    if isinstance(exc, vim.fault.InvalidLogin):
        return (f"{where} refused user {vc.username} (InvalidLogin): check vcenter_username / vcenter_password of "
                "that zone in the VMware settings; nova-compute and cinder-volume of the zone use the same")
    if isinstance(exc, ssl.SSLError):
        return f"{where}: TLS verification failed ({exc}); set vcenter.insecure for a self-signed certificate"
    if isinstance(exc, OSError):
        return f"{where} is unreachable: {exc.strerror or exc} (check the zone's vcenter_host and vcenter.port)"
    text = getattr(exc, "msg", None) or " ".join(str(exc).split())
    return f"cannot log in to {where}: {type(exc).__name__}: {text}"


def session(ctx: RunContext, vc: VCenter | None = None) -> Any:
    """Return this worker's session (pyvmomi ServiceInstance) of vc's zone, one per zone, opened on first use.

    A zone whose vCenter the preflight found down fails naming it, without a login attempt that would wait out
    the connect timeout in every check; a failed login says what to fix.
    """
    vc = _vc(ctx, vc)
    down = ctx.down.get(connections.vcenter_endpoint(vc))
    if down:
        raise AssertionError(f"{down}: this check needs it (found by the preflight)")
    try:
        # The first zone's is the worker's `vcenter` fixture, itself taken from the same per-zone sessions.
        return ctx.vcenter if vc == ctx.cfg.vcenter else ctx.vcenters.get(vc)
    except Exception as exc:
        raise AssertionError(_login_problem(ctx, exc, vc)) from exc


def login(ctx: RunContext, vc: VCenter | None = None) -> Any:
    """Log in to vCenter with the configured credentials (a fresh session, closed again); return its `about`."""
    try:
        with connections.vcenter_session(ctx.cfg, vc=_vc(ctx, vc)) as si:
            return si.content.about
    except Exception as exc:
        raise AssertionError(_login_problem(ctx, exc, vc)) from exc


def check_is_vcenter(ctx: RunContext, about: Any, vc: VCenter | None = None) -> str:
    """Check the server logged in to is a vCenter (nova's VMwareVCDriver does not drive a lone ESXi)."""
    vc = _vc(ctx, vc)
    if about.apiType != "VirtualCenter":
        raise AssertionError(f"{vc.host}:{vc.port} is {about.fullName} (apiType {about.apiType}), not a vCenter: "
                             "nova's VMwareVCDriver needs vCenter; fix vcenter_host in the VMware settings")
    return str(about.fullName)


def _datacenters(ctx: RunContext, si: Any, vc: VCenter) -> list[Any]:
    from pyVmomi import vim

    wanted = vc.datacenter
    found = [e for e in si.content.rootFolder.childEntity if isinstance(e, vim.Datacenter)]
    if wanted:
        mine = [dc for dc in found if dc.name == wanted]
        if not mine:
            raise AssertionError(f"vCenter {vc.host} has no datacenter {wanted} (datacenters: "
                                 f"{', '.join(dc.name for dc in found) or 'none'}): check vcenter.datacenter")
        return mine
    return found


def find_cluster(ctx: RunContext, name: str, vc: VCenter | None = None) -> Any:
    """Return the vSphere cluster of that name in vc (default: the first vCenter zone's), in its datacenter."""
    from pyVmomi import vim

    vc = _vc(ctx, vc)
    si = session(ctx, vc)
    content = si.content
    found = []
    for dc in _datacenters(ctx, si, vc):
        view = content.viewManager.CreateContainerView(dc.hostFolder, [vim.ClusterComputeResource], True)
        try:
            found += list(view.view)
        finally:
            view.Destroy()
    for cluster in found:
        if cluster.name == name:
            return cluster
    raise AssertionError(f"vCenter {vc.host} (zone {vc.az_name}) has no cluster {name} (clusters: "
                         f"{', '.join(sorted(c.name for c in found)) or 'none'}): nova-compute for it cannot start; "
                         "fix vsphere_cluster in the VMware settings or create the cluster")


def check_cluster_hosts(ctx: RunContext, cluster: Any) -> list[str]:
    """Check the cluster has ESXi hosts that are connected and not in maintenance mode (room to run VMs)."""
    usable, problems = [], []
    for host in cluster.host:
        state, maintenance = host.runtime.connectionState, host.runtime.inMaintenanceMode
        if state == "connected" and not maintenance:
            usable.append(host.name)
        else:
            problems.append(f"{host.name} is {state}" + (", in maintenance mode" if maintenance else ""))
    if not usable:
        raise AssertionError(f"cluster {cluster.name} has no usable ESXi host"
                             + (f" ({'; '.join(problems)})" if problems else " (it has no host at all)")
                             + ": instances of the vCenter zone cannot be placed")
    return usable


def check_datastores(ctx: RunContext, cluster: Any, nova_compute: NovaCompute) -> list[str]:
    """Check the cluster has accessible datastores matching datastore_regex, at least one with free space."""
    try:
        pattern = re.compile(nova_compute.datastore_regex)
    except re.error as exc:
        raise AssertionError(f"datastore_regex {nova_compute.datastore_regex!r} of {nova_compute.service_name} "
                             f"is not a valid regex: {exc}") from None
    all_names = [ds.name for ds in cluster.datastore]
    matching = [ds for ds in cluster.datastore if pattern.match(ds.name)]
    if not matching:
        raise AssertionError(f"no datastore of cluster {cluster.name} matches datastore_regex "
                             f"{nova_compute.datastore_regex!r} (datastores: {', '.join(all_names) or 'none'}): "
                             "nova has nowhere to put instance disks; fix datastore_regex in the VMware settings")
    seen = [f"{ds.name} {ds.summary.freeSpace / GiB:.1f} GiB free"
            + ("" if ds.summary.accessible else " (inaccessible)") for ds in matching]
    if not any(ds.summary.accessible and ds.summary.freeSpace >= MIN_FREE_GIB * GiB for ds in matching):
        raise AssertionError(f"no datastore of cluster {cluster.name} matching {nova_compute.datastore_regex!r} is "
                             f"accessible with {MIN_FREE_GIB} GiB free ({'; '.join(seen)}): instances cannot be "
                             "created; free space or mount the datastores")
    return seen


def nova_compute_of(ctx: RunContext, server: Server) -> NovaCompute:
    """Return the configured nova_computes entry whose nova-compute host runs the server."""
    vc = _vc(ctx)
    server = ctx.conn.compute.get_server(server.id)
    for nc in vc.nova_computes:
        if vc.compute_host(nc) == server.compute_host:
            return nc
    raise AssertionError(f"{compute.label(server)} runs on compute host {server.compute_host}, which is none of the "
                         f"configured vCenter computes ({', '.join(vc.compute_host(nc) for nc in vc.nova_computes)})")


def find_vm(ctx: RunContext, server: Server) -> Any:
    """Return the vCenter VM of an instance (instanceUuid = server id)."""
    vm = session(ctx).content.searchIndex.FindByUuid(None, server.id, True, True)
    if vm is None:
        raise AssertionError(f"vCenter {_vc(ctx).host} has no VM with instanceUuid {server.id} for "
                             f"{compute.label(server)}: nova thinks it runs, vCenter does not know it; check "
                             "nova-compute's log on the vCenter compute node")
    return vm


def _vm_label(vm: Any) -> str:
    # nova names a VM after its instance uuid; say it once.
    uuid = vm.config.instanceUuid if vm.config else None
    return f"VM {vm.name}" + (f" (instanceUuid {uuid})" if uuid and uuid != vm.name else "")


def check_vm_in_cluster(ctx: RunContext, vm: Any, cluster: str) -> str:
    """Check the VM runs on a host of the named cluster and is powered on."""
    host = vm.runtime.host
    where = host.parent.name if host is not None else None
    if where != cluster:
        raise AssertionError(f"{_vm_label(vm)} is in {where or 'no cluster'}, not in cluster {cluster}: the "
                             f"nova-compute meant for {cluster} drives another cluster (its [vmware] cluster_name), "
                             "or vsphere_cluster in the VMware settings is wrong")
    if vm.runtime.powerState != "poweredOn":
        raise AssertionError(f"{_vm_label(vm)} in cluster {cluster} is {vm.runtime.powerState} though nova says the "
                             "instance is ACTIVE")
    return f"{vm.name} on {host.name} in {cluster}"


def check_disk_attached(ctx: RunContext, vm: Any, volume: Volume) -> str:
    """Check the VM has a virtual disk whose backing uuid is the volume's id (the attached VMDK)."""
    from pyVmomi import vim

    disks = [d for d in vm.config.hardware.device if isinstance(d, vim.vm.device.VirtualDisk)]
    for disk in disks:
        if getattr(disk.backing, "uuid", None) == volume.id:
            return f"{disk.deviceInfo.label}: {getattr(disk.backing, 'fileName', '?')}"
    uuids = [getattr(d.backing, "uuid", None) for d in disks]
    raise AssertionError(f"{_vm_label(vm)} has no disk for {volume_steps.label(volume)} (its {len(disks)} disk(s) have "
                         f"uuids {', '.join(map(str, uuids)) or 'none'}): cinder/nova say attached, vCenter does not")


# Statuses in which nova's VMware driver has a VM for the instance (ERROR and BUILD may have none).
SETTLED = frozenset({"ACTIVE", "SHUTOFF", "PAUSED", "SUSPENDED"})


def _settled(server: Server) -> bool:
    return server.status in SETTLED and not server.task_state


def settled_instances(ctx: RunContext, vc: VCenter | None = None) -> list[Server]:
    """Return every project's settled instances (no task running) on the computes of vc's zone (default: the
    first vCenter zone's)."""
    vc = _vc(ctx, vc)
    found = []
    for nc in vc.nova_computes:
        servers = ctx.conn.compute.servers(all_projects=True, compute_host=vc.compute_host(nc))
        found += [s for s in servers if _settled(s)]
    return found


def vm_instance_uuids(ctx: RunContext, vc: VCenter | None = None) -> set[str]:
    """Return the instanceUuid of every VM in vc (default: the first vCenter zone's), in one property-collector
    pass (not one call per VM)."""
    from pyVmomi import vim, vmodl

    content = session(ctx, vc).content
    pc = vmodl.query.PropertyCollector
    view = content.viewManager.CreateContainerView(content.rootFolder, [vim.VirtualMachine], True)
    try:
        spec = pc.FilterSpec(
            objectSet=[pc.ObjectSpec(obj=view, skip=True, selectSet=[
                pc.TraversalSpec(name="vms", path="view", skip=False, type=vim.view.ContainerView)])],
            propSet=[pc.PropertySpec(type=vim.VirtualMachine, pathSet=["config.instanceUuid"])])
        uuids: set[str] = set()
        result = content.propertyCollector.RetrievePropertiesEx([spec], pc.RetrieveOptions())
        while result is not None:
            uuids |= {prop.val for obj in result.objects for prop in (obj.propSet or []) if prop.val}
            token = result.token
            result = content.propertyCollector.ContinueRetrievePropertiesEx(token) if token else None
        return uuids
    finally:
        view.Destroy()


def check_instances_have_vms(ctx: RunContext, servers: list[Server], uuids: set[str], vc: VCenter | None = None) -> str:
    """Check each settled instance of vc's zone has a VM in its vCenter; one that lost it is named with the fix."""
    vc = _vc(ctx, vc)
    orphans = []
    for server in (s for s in servers if s.id not in uuids):
        # Another run may have started deleting it since the list: only a still-settled instance counts.
        fresh = ctx.conn.compute.find_server(server.id, all_projects=True)
        if fresh is not None and _settled(fresh):
            orphans.append(f"{compute.label(fresh)} {fresh.status} on {fresh.compute_host}")
    if orphans:
        raise AssertionError(f"{len(orphans)} instance(s) nova runs in vCenter zone {vc.az_name} have no VM in "
                             f"vCenter {vc.host}:{vc.port}: {'; '.join(orphans)}. Their VMs were deleted or "
                             "unregistered in vCenter behind nova's back; restore or re-register the VMs, or delete "
                             "the servers")
    return f"{len(servers)} instance(s), each with its VM"
