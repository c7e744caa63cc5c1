"""Proof of detection: each lab fault fails exactly the checks that name it, with an actionable message.

For every fault of the lab's table (devops_envs/local/faults.py) the applicable sets run against the broken
lab; the test asserts which checks fail (no more, no fewer), that a failing message names the cause, that
the run ends within its step timeouts, and that after `heal` the sanity set is green again. The matrix is
written to docs/fault-matrix.md from the run. If a check misses its fault, fix the check, never the matrix.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from cloud import connect, named
from row_verdict import Expect, check_row, expect, first_message, function_of
from suite_run import run_suite

import fuel_health
from devops_envs.local import faults
from devops_envs.local.lab import Lab

DOC = Path(__file__).resolve().parents[2] / "docs" / "fault-matrix.md"
LIBVIRT_DOC = DOC.with_name("fault-matrix-libvirt.md")
# Short step timeouts: a fault must fail fast, not by running out a generous production timeout.
TIMEOUTS = [f"--config-set=timeouts.{k}=40" for k in ("boot", "volume", "attach", "delete")]
RUN_LIMIT_S = 300  # the slowest faults leave every boot or volume waiting out its 40 s step

S = "sanity."
M = "smoke."
X = "smoke.cross_zone."
# Per-unit cases (fuel_health/steps/zones.py): <zone>:<host or cluster>, <zone>, <volume zone>-to-<instance zone>.
K2V = X + "test_kvm_volume_to_vcenter.test_kvm_volume_refused_by_vcenter_instance[nova-to-vcenter]"
V2K = X + "test_vcenter_volume_to_kvm.test_vcenter_volume_refused_by_kvm_instance[vcenter-to-nova]"
KVM_COMPUTE = S + "test_nova_compute.test_kvm_nova_compute_up[nova:node-2]"
VC_COMPUTE = S + "test_nova_compute.test_vcenter_nova_compute_up[vcenter:vmcluster1]"
KVM_CINDER = S + "test_cinder_volume.test_kvm_cinder_volume_up[nova]"
VMDK_IN_KVM = X + "test_vmdk_image_in_kvm_zone.test_vmdk_image_not_run_by_kvm"
KVM_SMOKE = M + "kvm.test_instance_volume.test_kvm_instance_with_volume[nova]"
VC_SMOKE = M + "vcenter.test_instance_volume.test_vcenter_instance_with_volume[vcenter]"
NOVA_CONTROL = S + "test_control_services.test_nova_control_services_up"
CINDER_SCHEDULER = S + "test_control_services.test_cinder_scheduler_up"
SANITY_VC_COMPUTE = {VC_COMPUTE,
                     S + "test_hypervisors.test_vcenter_hypervisor_type[vcenter]"}
SANITY_VC_VOLUME = {S + "test_cinder_volume.test_vcenter_cinder_volume_up[vcenter]",
                    S + "test_cinder_vmdk_ha.test_cinder_vmdk_ha_is_one_host[vcenter]"}
SMOKE_VC_BOOT = {VC_SMOKE}  # plus the users of the shared vCenter instance, see VC_SHARED
SMOKE_KVM_BOOT = {KVM_SMOKE, V2K}
SMOKE_VC_VOLUME = {VC_SMOKE, V2K, "tests_platform.test_vcenter_volume_disk.test_vcenter_volume_is_vm_disk"}
VC_ZONES = S + "test_zones.test_vcenter_zones_match[vcenter]"
VC_ORPHANS = "tests_platform.test_vcenter_instances_have_vms.test_vcenter_instances_have_vms[vcenter]"
# Users of the per-worker shared vCenter instance: when it can't boot, the first user on each xdist worker
# fails and the later ones are skipped as dependants; which is first depends on how tests reach workers.
VC_SHARED = {K2V, "tests_platform.test_vcenter_instance_vm.test_vcenter_instance_is_vm_in_cluster",
             "tests_platform.test_vcenter_volume_disk.test_vcenter_volume_is_vm_disk"}
HA_VMDK = "ha.test_cinder_vmdk_consumers.test_cinder_vmdk_queue_consumed_by_every_node"
HA_VC_ONCE = "ha.test_vcenter_compute_once.test_vcenter_compute_runs_once[vmcluster1]"
HA_RABBIT = "ha.test_backends_reachable.test_rabbitmq_reachable"
HA_DB = "ha.test_backends_reachable.test_database_reachable"
# A row runs only the checks its fault can touch (fails, maybe, touches) plus one canary per set: the first
# candidate the row does not expect to fail. A canary must PASS (a skip or an error fails the row, see
# check_row): it proves the fault broke no more than its checks (a set left without any candidate is wholly
# touched by the fault). Ids without [param] mean all.
CANARIES = {
    "sanity": [S + "test_images.test_kvm_image", S + "test_control_services.test_cinder_scheduler_up"],
    "smoke": [function_of(KVM_SMOKE), function_of(VC_SMOKE)],
    "configuration": ["configuration.test_libvirt_type.test_libvirt_type",
                      "configuration.test_cinder_vmdk_driver.test_cinder_vmdk_driver"],
    "tests_platform": ["tests_platform.test_vcenter_login.test_vcenter_login",
                       "tests_platform.test_vcenter_datastores.test_vcenter_datastores"],
    "ha": [HA_DB, HA_RABBIT],
}


def vc_boot_broken(fails: set[str], says: str) -> Expect:
    """The fault stops vCenter instances from booting: the shared instance's users fail or are skipped."""
    return expect(fails | SMOKE_VC_BOOT, says, maybe=VC_SHARED)


MATRIX: dict[str, Expect] = {
    "vcenter-compute-stopped": vc_boot_broken(SANITY_VC_COMPUTE | {HA_VC_ONCE}, r"nova-compute on vcenter-\w+ is down"),
    "kvm-compute-stopped": expect({KVM_COMPUTE,
                                   S + "test_hypervisors.test_kvm_hypervisor_type[nova]"} | SMOKE_KVM_BOOT
                                  | {VMDK_IN_KVM},  # a dead KVM zone refuses everything: no proof of the filter
                                  r"nova-compute on node-2 is down"),
    "compute-disabled": vc_boot_broken(SANITY_VC_COMPUTE | {VC_ZONES} | SMOKE_VC_BOOT,
                               r"nova-compute on vcenter-\w+ is disabled"),
    "vcenter-host-out-of-aggregate": vc_boot_broken(
        {VC_COMPUTE, S + "test_hypervisors.test_kvm_hypervisor_type[nova]",
         VC_ZONES} | SMOKE_VC_BOOT, r"is in zone nova, not vcenter \(add the host to an aggregate"),
    "cross-az-attach-on": expect(
        {f"configuration.test_cross_az_attach.test_cross_az_attach_is_off[{n}]" for n in ("node-1", "node-2", "node-4")}
        | {K2V,
           V2K},
        r"cross_az_attach is 'True'"),
    "testvm-vmdk-deleted": vc_boot_broken({S + "test_images.test_vcenter_image[vcenter]",
                                   VMDK_IN_KVM}
                                  | SMOKE_VC_BOOT, r"image 'TestVM-VMDK' not found in glance"),
    "testvm-vmdk-no-hypervisor-type": expect(
        {S + "test_images.test_vcenter_image[vcenter]", VMDK_IN_KVM},
        r"property hypervisor_type is None, expected 'vmware'"),
    "vcenter-cinder-zone-renamed": expect(
        {f"configuration.test_volume_zones.test_volume_zone_is_nova_zone[vcenter:{n}-cinder-vmdk]"
         for n in ("node-5", "node-6")}
        | SANITY_VC_VOLUME | {VC_ZONES} | SMOKE_VC_VOLUME, r"storage_availability_zone = vcenter-cinder"),
    "cinder-vmdk-host-differs": expect({"configuration.test_cinder_vmdk_host.test_cinder_vmdk_nodes_share_host",
                                        S + "test_cinder_vmdk_ha.test_cinder_vmdk_ha_is_one_host[vcenter]", HA_VMDK},
                                       r"do not share one \[DEFAULT\] host"),
    # HA: one node of the pair down still serves every VMDK volume; only the ha set sees the pair is half gone.
    "cinder-vmdk-node-stopped": expect({HA_VMDK}, r"node-6: no cinder-volume consumes RPC queue cinder-volume\.",
                                       touches=SANITY_VC_VOLUME | {VC_ZONES} | SMOKE_VC_VOLUME),
    "vcenter-compute-twin": expect({HA_VC_ONCE}, r"consumed by 2 nova-compute processes \(node-4: pid \d+, \d+\)",
                                   touches=SANITY_VC_COMPUTE),
    "node-rabbit-port-wrong": expect({HA_RABBIT + "[node-2]"}, r"node-2: RabbitMQ at 127.0.0.1:5673 .*refused or "
                                     r"unreachable", touches={S + "test_nova_compute.test_kvm_nova_compute_up"}),
    "node-db-user-wrong": expect({HA_DB + "[node-3]"}, r"node-3: MariaDB at 127.0.0.1:3306 \(database cinder\) as "
                                 r"cinder_typo refused", touches={S + "test_cinder_volume.test_kvm_cinder_volume_up"}),
    "vcenter-vm-deleted": expect({VC_ORPHANS}, r"no VM in vCenter .*lab-fault-orphan .*behind nova's back"),
    "nova-conductor-stopped": vc_boot_broken(
        {NOVA_CONTROL, KVM_COMPUTE,
         S + "test_hypervisors.test_kvm_hypervisor_type[nova]"} | SANITY_VC_COMPUTE | SMOKE_VC_BOOT | SMOKE_KVM_BOOT
        | {VMDK_IN_KVM},
        r"nova-conductor on node-1 is down"),
    "nova-scheduler-stopped": vc_boot_broken(
        {NOVA_CONTROL} | SMOKE_VC_BOOT | SMOKE_KVM_BOOT
        | {VMDK_IN_KVM},
        r"nova-scheduler on node-1 is down"),
    "cinder-api-stopped": expect(
        {KVM_CINDER, S + "test_zones.test_kvm_zones_match[nova]",
         KVM_SMOKE, CINDER_SCHEDULER,
         K2V}
        | SANITY_VC_VOLUME | {VC_ZONES} | SMOKE_VC_VOLUME, r"Unable to establish connection to http://127.0.0.1:8776"),
    "cinder-scheduler-stopped": expect(
        {CINDER_SCHEDULER, KVM_SMOKE,
         K2V} | SMOKE_VC_VOLUME,
        r"cinder-scheduler on node-1 is down"),
    "glance-api-stopped": vc_boot_broken(
        {S + "test_images.test_kvm_image[nova]", S + "test_images.test_vcenter_image[vcenter]",
         VMDK_IN_KVM} | SMOKE_VC_BOOT | SMOKE_KVM_BOOT,
        r"image service .* does not have any supported versions"),
    # An endpoint down is a health failure (exit 1) of the checks that need it; all the others still run.
    "keystone-stopped": expect(
        {S + t for t in ("test_cinder_vmdk_ha.test_cinder_vmdk_ha_is_one_host[vcenter]",
                         "test_zones.test_kvm_zones_match[nova]",
                         "test_cinder_volume.test_kvm_cinder_volume_up[nova]", "test_images.test_kvm_image[nova]",
                         "test_cinder_volume.test_vcenter_cinder_volume_up[vcenter]",
                         "test_images.test_vcenter_image[vcenter]",
                         "test_nova_compute.test_kvm_nova_compute_up[nova:node-2]",
                         "test_nova_compute.test_kvm_nova_compute_up[nova]",
                         "test_hypervisors.test_kvm_hypervisor_type[nova]",
                         "test_nova_compute.test_vcenter_nova_compute_up[vcenter:vmcluster1]",
                         "test_nova_compute.test_vcenter_nova_compute_up[vcenter]",
                         "test_zones.test_vcenter_zones_match[vcenter]")}
        | SANITY_VC_COMPUTE | {NOVA_CONTROL, CINDER_SCHEDULER, K2V, V2K, VMDK_IN_KVM, KVM_SMOKE, VC_SMOKE}
        | VC_SHARED | {VC_ORPHANS},
        r"keystone at http://127.0.0.1:5000/v3 is unreachable"),
    # NoValidHost does not say why: the VMDK check's control boot (the zone's own image) tells a full zone from
    # the image's hypervisor_type=vmware, and fails naming the capacity.
    "kvm-zone-full": expect(SMOKE_KVM_BOOT | {VMDK_IN_KVM},
                            r"zone nova cannot take an instance of flavor m1.tiny at all",
                            touches={S + "test_nova_compute.test_kvm_nova_compute_up",
                                     S + "test_hypervisors.test_kvm_hypervisor_type[nova]"}),
    # cinder-vmdk creates its VMDK lazily (at attach), so the refused vCenter-to-KVM attach still runs and passes.
    "vcenter-down": vc_boot_broken(
        {"tests_platform.test_vcenter_login.test_vcenter_login[vcenter]",
         "tests_platform.test_vcenter_clusters.test_vcenter_cluster[vcenter:Cluster1]",
         "tests_platform.test_vcenter_datastores.test_vcenter_datastores[vcenter:Cluster1]",
         VC_ORPHANS,
         V2K},  # no vCenter volume is made while vCenter is down: cinder-vmdk could not delete it again
        r"vCenter at 127.0.0.1:\d+ is unreachable"),
    # The expected KVM hosts come from the cluster description, not from what the cloud happens to report.
    "kvm-compute-unregistered": expect(
        {S + "test_nova_compute.test_kvm_nova_compute_up[nova:node-99]",
         S + "test_hypervisors.test_kvm_hypervisor_type[nova]",
         "configuration.test_libvirt_type.test_libvirt_type[node-99]",
         "configuration.test_cross_az_attach.test_cross_az_attach_is_off[node-99]"},
        r"no nova-compute registered as host node-99"),
}

# The real KVM zone's faults (lab file `kvm_virt: libvirt`, e.g. `up --topology dual_hv_libvirt`): its guest's
# console is read (kvm_console tags), and what breaks QEMU breaks every KVM boot. They join the matrix only on
# such a lab: on the stand-in KVM zone there is no libvirtd, QEMU or guest console to break.
CONSOLE_BOOT = M + "kvm.test_instance_console.test_kvm_instance_console_boot"
CONSOLE_VOLUME = M + "kvm.test_instance_console.test_kvm_instance_console_volume"
KVM_BOOT_FAILED = r"Exhausted all hosts available for retrying build failures"
LIBVIRT_MATRIX: dict[str, Expect] = {
    # nova's libvirt driver disables its own service when the connection drops, and the hypervisor's status
    # follows the service (the fault waits until nova shows it disabled); a dead zone proves no filter.
    "libvirtd-stopped": expect(SMOKE_KVM_BOOT | {CONSOLE_BOOT, CONSOLE_VOLUME, VMDK_IN_KVM,
                                                 KVM_COMPUTE, S + "test_hypervisors.test_kvm_hypervisor_type[nova]"},
                               r"nova-compute on node-2 is disabled \(AUTO: Connection to libvirt lost"),
    # libvirtd runs and serves, so nova reconnects and re-enables its service (the fault waits for that): only
    # what starts a guest fails, each boot rescheduled until nova gives up.
    "qemu-unusable": expect(SMOKE_KVM_BOOT | {CONSOLE_BOOT, CONSOLE_VOLUME, VMDK_IN_KVM}, KVM_BOOT_FAILED,
                            touches={S + "test_hypervisors.test_kvm_hypervisor_type[nova]",
                                     S + "test_nova_compute.test_kvm_nova_compute_up"}),
    # cinder's lab backend refuses the attach (losetup finds no device): nova rolls it back, the volume is available.
    "no-free-loop-device": expect({KVM_SMOKE, CONSOLE_VOLUME},
                                  r"went to available while waiting for in-use",
                                  touches={S + "test_cinder_volume.test_kvm_cinder_volume_up"}),
    # The instance is ACTIVE (QEMU runs), but its volume's fate is a race no fault can settle: attached before
    # the guest's kernel took its PCIe slots (its first seconds), QEMU alone unplugs it and the smoke check
    # passes; attached later, the hot-unplug (q35) waits for a guest that panicked and never releases it, and
    # the detach fails (nova gives up after 40 s, see overrides-libvirt). So the smoke check is a `maybe`, and
    # so is the console volume check that always fails at the marker, before any attach (a `maybe` must fail).
    "testvm-corrupted": expect({CONSOLE_BOOT}, r"kernel panicked \(Kernel panic - not syncing",
                               maybe={KVM_SMOKE, CONSOLE_VOLUME},
                               touches={S + "test_images.test_kvm_image[nova]", V2K}),
}
_SAVED = Lab.default().topology()
if _SAVED is not None and _SAVED.kvm_virt == "libvirt":
    MATRIX.update(LIBVIRT_MATRIX)


def selection(want: Expect) -> set[str]:
    """The functions a row runs: what the fault can touch, plus each set's first canary not expected to fail."""
    touched = {function_of(t) for t in want.fails | want.maybe | want.touches}
    canaries = {next((c for c in candidates if c not in touched), None) for candidates in CANARIES.values()}
    return touched | (canaries - {None})


def keyword(functions: set[str]) -> str:
    """A pytest -k expression for exactly these functions (the run checks it got them all).

    -k matches substrings: `test_kvm_instance_with_volume` alone also selects `..._with_volume_on_host`, so each
    name excludes the other checks whose names contain it."""
    names = sorted({f.rsplit(".", 1)[1] for f in functions})
    every = _check_names()
    return " or ".join(
        " and ".join([name, *(f"not {other}" for other in sorted(every) if name in other and other != name)])
        for name in names)


def _check_names() -> set[str]:
    """Every check function's name in the suite (read from the source: nothing to import or collect)."""
    checks = Path(fuel_health.__file__).parent / "tests"
    return {m.group(1) for path in checks.rglob("test_*.py")
            for m in re.finditer(r"^def (test_\w+)\(", path.read_text(), re.M)}


@pytest.fixture(scope="module")
def rows():
    """Collects the matrix while it runs; when a whole table ran, writes it: docs/fault-matrix.md for the lab's
    own faults, docs/fault-matrix-libvirt.md for the real KVM zone's (`make test-libvirt` runs only those)."""
    collected: list[tuple[str, str, list[str], str]] = []
    yield collected
    names = {name for name, *_ in collected}
    if set(LIBVIRT_MATRIX) <= names:
        _write(LIBVIRT_DOC, "Fault matrix of the real KVM zone (libvirt and QEMU)",
               "on a lab whose KVM zone runs nova's libvirt driver (`make test-libvirt`, topology "
               "dual_hv_libvirt)", [r for r in collected if r[0] in LIBVIRT_MATRIX])
    if set(MATRIX) - set(LIBVIRT_MATRIX) <= names:
        _write(DOC, "Fault matrix: what each lab fault makes fail", "on the local lab (`make test`)",
               [r for r in collected if r[0] not in LIBVIRT_MATRIX])


def _write(doc: Path, title: str, where: str, collected: list[tuple[str, str, list[str], str]]) -> None:
    lines = [f"# {title}",
             "", f"Generated by `tests/detection/test_fault_matrix.py` {where}. Each fault "
             "breaks exactly one thing (`python -m devops_envs.local fault <name>`); the suite runs with 40 s step "
             "timeouts. Each row runs only the checks its fault can touch plus one canary per set (`CANARIES`), which "
             "must pass, as must the `touches` checks (a skip fails the row). Test ids are relative to "
             "`fuel_health.tests`.", "",
             "| fault | what it breaks | failing checks | first message |", "|---|---|---|---|"]
    for name, breaks, failing, message in collected:
        fails = "<br>".join(f"`{t}`" for t in failing) or "none (must stay green)"
        lines.append(f"| `{name}` | {breaks} | {fails} | {message.replace('|', '/')} |")
    doc.write_text("\n".join(lines) + "\n")


@pytest.mark.parametrize("fault", [pytest.param(f, marks=[pytest.mark.libvirt] if f in LIBVIRT_MATRIX else [])
                                   for f in MATRIX])
def test_fault_is_detected(lab, tmp_path, rows, fault):
    spec, want = faults.by_name(fault), MATRIX[fault]
    selected = selection(want)
    try:
        lab.fault(fault)  # inside: a fault that fails half-way is healed too, so it cannot poison the next rows
        run = run_suite(tmp_path, "-n", "2", *TIMEOUTS, "-k", keyword(selected))
    finally:
        lab.heal(fault)
    if want.cannot_run:
        reason = next((line for line in run.output.splitlines() if line.startswith("Exit: ")), "")
        rows.append((fault, spec.breaks, ["(none run: exit 3, cannot run)"], _one_line(reason.removeprefix("Exit: "))))
    else:
        failing = sorted(run.failed)
        shown = first_message(want, run) or (run.results[failing[0]].message if failing else "")
        rows.append((fault, spec.breaks, failing, _one_line(shown)))
    check_row(want, selected, run)  # canaries and touches checks must have PASSED, not skipped
    assert run.wall_s < RUN_LIMIT_S
    assert named(connect(lab), f"ostf-{run.run_id}-") == [], "the run left resources behind"
    after = run_suite(tmp_path, "--set", "sanity")
    bad = sorted(after.failed | after.with_status("skipped"))
    assert after.exit_code == 0 and not bad, f"not green after heal: {bad}"


def test_healthy_lab_is_green_ten_times_in_a_row(lab, tmp_path):
    # No false alarms: ten full runs in a row, not one failure, error or skip (a skip can hide a failure).
    for i in range(10):
        run = run_suite(tmp_path, "-n", "2")
        bad = sorted(run.failed | run.with_status("skipped"))
        assert run.exit_code == 0 and not bad, f"run {i + 1}: {bad}\n{run.output[-1500:]}"
        # Nor noise: a warnings summary in an operator's report (the sdk warns on fields nova dropped in 2.88).
        assert "warning" not in run.output.lower(), f"run {i + 1} printed warnings:\n{run.output[-1500:]}"
        assert named(connect(lab), f"ostf-{run.run_id}-") == []


def _one_line(text: str) -> str:
    text = text.replace("fuel_health.pytest_plugin.ostf.StepFailed: ", "").splitlines()[0] if text else ""
    return text[:240] + ("..." if len(text) > 240 else "")
