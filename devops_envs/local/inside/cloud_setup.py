"""Make the running lab cloud ready to judge, or clear what can't survive a restart.

usage: cloud_setup.py catalog|ready|purge-zone  < spec.json

One process with openstacksdk does in seconds what one `openstack` CLI call per object does in minutes.
Every action is idempotent: `up` runs it on every start.
"""

import datetime
import json
import os
import subprocess
import sys
import time

import openstack
from openstack import exceptions as sdk_exc

SPEC = json.load(sys.stdin)
ENDPOINTS = (
    ("compute", "nova", "http://127.0.0.1:8774/v2.1"),
    ("placement", "placement", "http://127.0.0.1:8778"),
    ("image", "glance", "http://127.0.0.1:9292"),
    ("block-storage", "cinderv3", "http://127.0.0.1:8776/v3"),
    ("network", "neutron", "http://127.0.0.1:9696"),
)


def connect():
    config = openstack.config.OpenStackConfig(config_files=[SPEC["clouds_yaml"]])
    return openstack.connection.Connection(config=config.get_one(SPEC["cloud"]), compute_api_version="2.37")


def say(msg):
    print(msg, flush=True)


def catalog(conn):
    """Service project, service users with admin+service roles, and the endpoint catalog."""
    project = conn.identity.find_project("service") or conn.identity.create_project(
        name="service", domain_id="default")
    roles = [conn.identity.find_role(r) or conn.identity.create_role(name=r) for r in ("admin", "service")]
    for name in ("nova", "placement", "glance", "cinder", "neutron"):
        user = conn.identity.find_user(name, domain_id="default")
        if user:
            conn.identity.update_user(user, password=SPEC["service_password"])
        else:
            user = conn.identity.create_user(name=name, password=SPEC["service_password"], domain_id="default")
        for role in roles:
            conn.identity.assign_project_role_to_user(project, user, role)
    for stype, name, url in ENDPOINTS:
        if conn.identity.find_service(name):
            continue
        service = conn.identity.create_service(name=name, type=stype)
        for interface in ("public", "internal", "admin"):
            conn.identity.create_endpoint(service_id=service.id, interface=interface, url=url,
                                          region_id="RegionOne")
    say("catalog ok")


def wait_services(conn):
    """Wait until every expected nova-compute and cinder-volume reports up, and cinder's scheduler has each
    volume backend's pool.

    A cinder-volume's heartbeat in the database is not enough: the scheduler places volumes only on backends
    whose capabilities it has received since it started, so right after a restart a volume in that zone ends
    in NoValidBackend ("AvailabilityZoneFilter: (start: 1, end: 0)") until the next report.
    """
    want_compute = set(SPEC["compute_hosts"])
    want_volume = set(SPEC["volume_hosts"])
    deadline = time.monotonic() + SPEC.get("timeout", 180)
    missing = want_compute | want_volume
    while time.monotonic() < deadline:
        try:
            up_c = {s.host for s in conn.compute.services(binary="nova-compute") if s.state == "up"}
            up_v = {s.host for s in conn.block_storage.services(binary="cinder-volume") if s.state == "up"}
            pooled = {p.name.split("#", 1)[0] for p in conn.block_storage.backend_pools()}
            missing = (want_compute - up_c) | {h for h in want_volume if h not in up_v}
            missing |= {f"{h} (no pool in cinder-scheduler yet)" for h in want_volume & up_v if h not in pooled}
            if not missing:
                return
        except sdk_exc.SDKException:
            pass
        time.sleep(1)
    sys.exit(f"services not up after {SPEC.get('timeout', 180)} s: {', '.join(sorted(missing))}")


def enable_computes(conn):
    """Expected nova-computes are enabled (heals the `compute-disabled` fault too)."""
    for svc in conn.compute.services(binary="nova-compute"):
        if svc.host in SPEC["compute_hosts"] and svc.status == "disabled":
            conn.compute.enable_service(svc)


def wait_down(conn):
    """Wait until the APIs report the given services down (a stopped service is seen after service_down_time)."""
    deadline = time.monotonic() + SPEC.get("timeout", 60)
    want = {tuple(x) for x in SPEC["down"]}  # (binary, host)
    while time.monotonic() < deadline:
        states = {(s.binary, s.host): s.state for s in conn.compute.services()}
        states.update({(s.binary, s.host): s.state for s in conn.block_storage.services()})
        if all(states.get(key) == "down" for key in want):
            return
        time.sleep(1)
    sys.exit(f"still up after {SPEC.get('timeout', 60)} s: {sorted(want)}")


def wait_reported(conn):
    """Wait until each (binary, host) row was updated after SPEC["since"] (epoch s): a report of the new process.

    The rows keep whole seconds at best, so a row updated in the second the old process stopped is not counted."""
    since = datetime.datetime.fromtimestamp(int(SPEC["since"]), datetime.UTC).replace(tzinfo=None)
    deadline = time.monotonic() + SPEC.get("timeout", 60)
    want = {tuple(x) for x in SPEC["services"]}
    stale = want
    while time.monotonic() < deadline:
        seen = {(s.binary, s.host): s.updated_at for s in conn.compute.services()}
        seen.update({(s.binary, s.host): s.updated_at for s in conn.block_storage.services()})
        stale = {key for key in want if not seen.get(key) or _utc(seen[key]) <= since}
        if not stale:
            return
        time.sleep(0.5)
    sys.exit(f"no report since the restart after {SPEC.get('timeout', 60)} s: {sorted(stale)}")


def _utc(stamp):
    return datetime.datetime.fromisoformat(stamp.rstrip("Z")).replace(tzinfo=None)


def wait_compute_status(conn):
    """Wait until a nova-compute is auto-disabled by its libvirt driver (reason "AUTO: ...") or enabled again."""
    deadline = time.monotonic() + SPEC["timeout"]
    want = "disabled" if SPEC["disabled"] else "enabled"
    seen = None
    while time.monotonic() < deadline:
        seen = next((s for s in conn.compute.services(binary="nova-compute") if s.host == SPEC["host"]), None)
        if seen is not None and seen.status == want and (
                want == "enabled" or (seen.disabled_reason or "").startswith("AUTO: ")):
            return
        time.sleep(0.5)
    now = f"{seen.status} ({seen.disabled_reason})" if seen is not None else "not registered"
    sys.exit(f"nova-compute on {SPEC['host']} still {now} after {SPEC['timeout']} s, not {want} by its libvirt "
             "driver: see its log")


def discover_hosts():
    subprocess.run([SPEC["nova_manage"], "--config-file", SPEC["nova_conf"], "cell_v2", "discover_hosts"],
                   check=True, capture_output=True)


def aggregates(conn):
    """One aggregate per hypervisor; its availability_zone metadata makes the zone."""
    for agg in SPEC["aggregates"]:
        found = conn.compute.find_aggregate(agg["name"])
        if not found:
            found = conn.compute.create_aggregate(name=agg["name"], availability_zone=agg["zone"])
        elif found.availability_zone != agg["zone"]:
            conn.compute.set_aggregate_metadata(found, {"availability_zone": agg["zone"]})
        for host in agg["hosts"]:
            if host not in (found.hosts or []):
                conn.compute.add_host_to_aggregate(found, host)
    say("aggregates ok")


def flavor(conn):
    spec = SPEC["flavor"]
    if not conn.compute.find_flavor(spec["name"]):
        conn.compute.create_flavor(**spec)
    say("flavor ok")


def images(conn):
    for spec in SPEC["images"]:
        # kernel_id/ramdisk_id name images uploaded before this one (the real KVM zone's direct kernel boot).
        links = {k: conn.image.find_image(v, ignore_missing=False).id for k, v in spec.get("links", {}).items()}
        spec = {**spec, "properties": {**spec.get("properties", {}), **links}}
        old = conn.image.find_image(spec["name"])
        if old and old.status == "active" and old.disk_format == spec["disk_format"]:
            props = spec.get("properties", {})
            # openstacksdk maps well-known properties (vmware_disktype, hypervisor_type...) to attributes.
            current = {k: getattr(old, k, None) or (old.properties or {}).get(k) for k in props}
            missing = {k: v for k, v in props.items() if current[k] != v}
            if missing:
                conn.image.update_image(old, **missing)
            continue
        if old:
            conn.image.delete_image(old)
        conn.image.create_image(name=spec["name"], filename=spec["file"], disk_format=spec["disk_format"],
                                container_format=spec.get("container_format", "bare"), visibility="public", wait=True,
                                allow_duplicates=True, **spec.get("properties", {}))
    say("images ok")


def purge_zone(conn):
    """Delete the servers and volumes of a zone (the simulator forgets them when it stops)."""
    zone = SPEC["zone"]
    servers = [s for s in conn.compute.servers(all_projects=True) if s.availability_zone == zone]
    for server in servers:
        conn.compute.delete_server(server, force=False)
    for server in servers:
        conn.compute.wait_for_delete(server, wait=120)
    volumes = [v for v in conn.block_storage.volumes(all_projects=True) if v.availability_zone == zone]
    for volume in volumes:
        if volume.status in ("in-use", "attaching", "detaching", "error_attaching"):
            conn.block_storage.reset_volume_status(volume, status="available", attach_status="detached",
                                                   migration_status=None)
        conn.block_storage.delete_volume(volume, force=True)
    for volume in volumes:
        conn.block_storage.wait_for_delete(volume, wait=120)
    say(f"purged zone {zone}: {len(servers)} servers, {len(volumes)} volumes")


def fault_disable_compute(conn, host):
    svc = next(s for s in conn.compute.services(binary="nova-compute") if s.host == host)
    conn.compute.disable_service(svc, disabled_reason="lab fault: compute-disabled")


def fault_aggregate_remove(conn, host):
    for agg in conn.compute.aggregates():
        if host in (agg.hosts or []):
            conn.compute.remove_host_from_aggregate(agg, host)


def fault_delete_image(conn, name):
    conn.image.delete_image(conn.image.find_image(name, ignore_missing=False))


def fault_drop_image_property(conn, name, prop):
    image = conn.image.find_image(name, ignore_missing=False)
    conn.image.patch(f"/images/{image.id}", json=[{"op": "remove", "path": f"/{prop}"}],
                     headers={"Content-Type": "application/openstack-images-v2.1-json-patch"})


# An operator's long-lived server, not the suite's: the suite must find the orphan without having made it.
ORPHAN = "lab-fault-orphan"


def _vcenter_session():
    from oslo_vmware import api

    vc = SPEC["vcenter"]
    return api.VMwareAPISession(vc["host"], vc["username"], vc["password"], api_retry_count=2,
                                task_poll_interval=0.3, port=vc["port"], insecure=True)


def fault_delete_vm(conn, zone):
    """Boot a server in the vCenter zone, then destroy its VM in vCenter: nova still says ACTIVE."""
    server = conn.compute.find_server(ORPHAN)
    if server is None:
        image = conn.image.find_image("TestVM-VMDK", ignore_missing=False)
        flavor = conn.compute.find_flavor("m1.tiny", ignore_missing=False)
        server = conn.compute.create_server(name=ORPHAN, image_id=image.id, flavor_id=flavor.id, networks="none",
                                            availability_zone=zone)
    server = conn.compute.wait_for_server(server, status="ACTIVE", wait=120, interval=1)
    session = _vcenter_session()
    try:
        vim = session.vim
        vm = session.invoke_api(vim, "FindByUuid", vim.service_content.searchIndex, uuid=server.id,
                                vmSearch=True, instanceUuid=True)
        if vm is None:
            return
        session.wait_for_task(session.invoke_api(vim, "PowerOffVM_Task", vm))
        session.wait_for_task(session.invoke_api(vim, "Destroy_Task", vm))
    finally:
        session.logout()


def heal_delete_vm(conn, zone):
    """The operator's fix: delete the orphaned server (nova's VMware driver deletes a server whose VM is gone)."""
    server = conn.compute.find_server(ORPHAN)
    if server is not None:
        conn.compute.delete_server(server)
        conn.compute.wait_for_delete(server, wait=120, interval=1)


CORRUPT = "{}-ramdisk-corrupted"


def fault_corrupt_ramdisk(conn, name):
    """Point the image's ramdisk_id at random bytes: the guest's kernel finds no init and panics."""
    image = conn.image.find_image(name, ignore_missing=False)
    bad = conn.image.find_image(CORRUPT.format(name)) or conn.image.create_image(
        name=CORRUPT.format(name), data=os.urandom(256 * 1024), disk_format="ari", container_format="ari",
        visibility="public", wait=True, allow_duplicates=True)
    conn.image.update_image(image, ramdisk_id=bad.id)


def heal_corrupt_ramdisk(conn, name):
    """Delete the corrupt ramdisk; `ready` points the image at its real one again."""
    bad = conn.image.find_image(CORRUPT.format(name))
    if bad is not None:
        conn.image.delete_image(bad)


FAULTS = {"corrupt-ramdisk": fault_corrupt_ramdisk, "heal-corrupt-ramdisk": heal_corrupt_ramdisk,
          "disable-compute": fault_disable_compute, "aggregate-remove": fault_aggregate_remove,
          "delete-image": fault_delete_image, "drop-image-property": fault_drop_image_property,
          "delete-vm": fault_delete_vm, "heal-delete-vm": heal_delete_vm}


def boot_marker(conn):
    """Benchmark: boot TestVM in the zone; print seconds to ACTIVE and to the console's ready marker."""
    image = conn.image.find_image("TestVM", ignore_missing=False)
    flavor = conn.compute.find_flavor("m1.tiny", ignore_missing=False)
    t0 = time.monotonic()
    server = conn.compute.create_server(name="lab-bench-boot", image_id=image.id, flavor_id=flavor.id,
                                        networks="none", availability_zone=SPEC["zone"])
    try:
        server = conn.compute.wait_for_server(server, status="ACTIVE", wait=120, interval=0.2)
        active = time.monotonic() - t0
        while SPEC["marker"] not in (conn.compute.get_server_console_output(server).get("output") or ""):
            if time.monotonic() - t0 > 120:
                sys.exit("no ready marker on the console after 120 s")
            time.sleep(0.2)
        say(f"{active:.1f} {time.monotonic() - t0:.1f}")
    finally:
        conn.compute.delete_server(server)
        conn.compute.wait_for_delete(server, wait=120)


def main():
    conn = connect()
    action = sys.argv[1]
    if action == "catalog":
        catalog(conn)
    elif action == "ready":
        wait_services(conn)
        enable_computes(conn)
        discover_hosts()
        aggregates(conn)
        flavor(conn)
        images(conn)
    elif action == "wait-down":
        wait_down(conn)
    elif action == "wait-reported":
        wait_reported(conn)
    elif action == "wait-compute-status":
        wait_compute_status(conn)
    elif action == "purge-zone":
        purge_zone(conn)
    elif action == "boot-marker":
        boot_marker(conn)
    elif action in FAULTS:
        FAULTS[action](conn, *SPEC["args"])
        say(f"fault applied: {action} {' '.join(SPEC['args'])}")
    else:
        sys.exit(f"unknown action {action}")


if __name__ == "__main__":
    main()
