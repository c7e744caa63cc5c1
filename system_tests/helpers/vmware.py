"""VMware settings in Nailgun's vmware_attributes shape: filled from fixtures/vmware_attributes.yaml, merged into
what the cluster holds, and checked with Nailgun's own rules before any API or lab call.

Upstream rules replayed here (fuel-web 8.0/9.0:nailgun/nailgun/api/v1/validators/cluster.py
VmwareAttributesValidator): empty or duplicate vsphere_cluster, service_name and target_node are refused
(`controllers` may repeat); on a deployed (locked) cluster only `nova_computes` may change
(`editable_for_deployed`), and a nova_compute on `controllers` may be neither removed nor changed
(check_operational_controllers_settings). 6.1/7.0 refuse every change once deployed (handlers/cluster.py:324).
"""

from __future__ import annotations

import copy
import re
from collections.abc import Collection, Mapping
from typing import Any

from fuel_health import fuel_data
from system_tests.helpers.errors import VmwareSettingsError

CONTROLLERS = "controllers"
CREDENTIALS = ("vcenter_host", "vcenter_username", "vcenter_password")


def attributes(values: Mapping[str, str], target_node: str,
               template: str = "vmware_attributes.yaml") -> dict[str, Any]:
    """The template with {{vcenter_host}}, {{vcenter_username}}, {{vcenter_password}}, {{target_node}} filled."""
    data, _ = fuel_data.vmware_template(template)
    return fuel_data.fill(data, {**values, "target_node": target_node}, where=f"fixtures/{template}")


def with_nova_compute(attrs: Mapping[str, Any], nova_compute: Mapping[str, Any], target_node: str) -> dict[str, Any]:
    """The settings plus one more nova_compute in the first zone, targeting `target_node` (kept: the others)."""
    out = copy.deepcopy(dict(attrs))
    zones = out.get("availability_zones") or []
    if not zones:
        raise VmwareSettingsError("vmware_attributes: no availability zone to add a nova_compute to")
    entry = {**dict(nova_compute), "target_node": {"current": {"id": target_node, "label": target_node}}}
    zones[0].setdefault("nova_computes", []).append(entry)
    return out


def merged(current: Mapping[str, Any], wanted: Mapping[str, Any]) -> dict[str, Any]:
    """`wanted` laid over the value Nailgun holds, keeping every key Nailgun keeps there and we do not send.

    PUT vmware_attributes replaces editable.value, so keys such as `cinder` (6.1/7.0) or an AZ's
    `vcenter_security_disabled` / `vcenter_ca_file` (9.x) would be lost (docs/system-tests.md). Zones match by
    az_name and nova_computes by vsphere_cluster; lists otherwise follow `wanted`."""
    def merge(have: Any, want: Any, key: str = "") -> Any:
        if isinstance(have, Mapping) and isinstance(want, Mapping):
            return {**copy.deepcopy(dict(have)), **{k: merge(have.get(k), v, k) for k, v in want.items()}}
        if isinstance(have, list) and isinstance(want, list) and key in ("availability_zones", "nova_computes"):
            by = "az_name" if key == "availability_zones" else "vsphere_cluster"
            old = {item.get(by): item for item in have if isinstance(item, Mapping)}
            return [merge(old.get(item.get(by)), item) if isinstance(item, Mapping) else item for item in want]
        return copy.deepcopy(want)

    return merge(current, wanted)


def for_release(attrs: Mapping[str, Any], release: str) -> dict[str, Any]:
    """The value in the release's own shape: 6.1's nova_computes have no target_node (fixtures/releases/6.1.yaml
    vmware.nova_compute_fields; every vCenter nova-compute runs on the controllers there)."""
    out = copy.deepcopy(dict(attrs))
    fields = fuel_data.release_rules(release)["vmware"].get("nova_compute_fields")
    if fields:
        for az in out.get("availability_zones") or []:
            az["nova_computes"] = [{k: v for k, v in nc.items() if k in fields} for nc in az.get("nova_computes") or []]
    return out


def target_nodes(attrs: Mapping[str, Any]) -> list[str]:
    """The target_node ids of every nova_compute (`controllers` or a node hostname; 6.1 has no target_node:
    its nova-computes run on the controllers)."""
    return [CONTROLLERS if "target_node" not in nc else ((nc.get("target_node") or {}).get("current") or {}).get(
        "id", "") for az in attrs.get("availability_zones") or [] for nc in az.get("nova_computes") or []]


def nova_computes(attrs: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Every nova_compute of every zone."""
    return [nc for az in attrs.get("availability_zones") or [] for nc in az.get("nova_computes") or []]


def validate(attrs: Mapping[str, Any], vcenter_compute_hosts: Collection[str],
             release: str = fuel_data.newest_release()) -> None:
    """Raise VmwareSettingsError (one line) for what Nailgun would refuse; target nodes must be known hosts."""
    _, rules = fuel_data.vmware_template()
    allowed_targets = fuel_data.release_rules(release)["vmware"]["target_node"]
    azs = attrs.get("availability_zones") or []
    if not azs:
        raise VmwareSettingsError("vmware_attributes: no availability_zones")
    seen: dict[str, set[str]] = {"vsphere_cluster": set(), "service_name": set(), "target_node": set()}
    for i, az in enumerate(azs):
        where = f"vmware_attributes availability_zones[{i}]"
        if not re.fullmatch(rules["az_name"], str(az.get("az_name", ""))):
            raise VmwareSettingsError(f"{where}.az_name {az.get('az_name')!r} does not match {rules['az_name']} "
                                      "(and it may not be 'nova', the KVM zone)")
        missing = [k for k in CREDENTIALS if not az.get(k)]
        if missing:
            raise VmwareSettingsError(f"{where}: empty {', '.join(missing)}")
        for j, nc in enumerate(az.get("nova_computes") or []):
            at = f"{where}.nova_computes[{j}]"
            # 6.1 has no target_node: its nova-computes all run on the controllers
            target = CONTROLLERS if "target_node" not in nc else \
                ((nc.get("target_node") or {}).get("current") or {}).get("id") or ""
            values = {"vsphere_cluster": nc.get("vsphere_cluster") or "", "service_name": nc.get("service_name") or "",
                      "target_node": target}
            for key, value in values.items():
                if key == "target_node" and value == CONTROLLERS:
                    continue  # every controllers-targeted nova_compute shares that target
                if not value or value in seen[key]:
                    raise VmwareSettingsError(f"{at}.{key} {value!r} is empty or used twice (Nailgun: validators/"
                                              "cluster.py check_nova_compute_duplicate_and_empty_values)")
                seen[key].add(value)
            if not re.fullmatch(rules["service_name"], values["service_name"]):
                raise VmwareSettingsError(f"{at}.service_name {values['service_name']!r} does not match "
                                          f"{rules['service_name']}")
            if target == CONTROLLERS:
                continue
            if CONTROLLERS in allowed_targets and len(allowed_targets) == 1:
                raise VmwareSettingsError(f"{at}.target_node {target!r}: Fuel {release} runs every vCenter "
                                          f"nova-compute on the controllers (fixtures/releases/{release}.yaml)")
            if target not in vcenter_compute_hosts:
                known = ", ".join(sorted(vcenter_compute_hosts)) or "none"
                raise VmwareSettingsError(f"{at}.target_node {target!r} is not {CONTROLLERS} or a vcenter-compute "
                                          f"node (vcenter-compute nodes: {known})")


def check_change_on_deployed(old: Mapping[str, Any], new: Mapping[str, Any], release: str) -> None:
    """What a deployed (locked) cluster of that release refuses, before the PUT is sent (one line)."""
    rules = fuel_data.release_rules(release)
    when_locked = rules["after_deploy"]["vmware_when_locked"]
    where = f"fixtures/releases/{release}.yaml after_deploy.vmware_when_locked"
    if not when_locked["editable"]:
        raise VmwareSettingsError(f"Fuel {release} refuses any vmware_attributes change on a deployed cluster "
                                  f"(HTTP {when_locked['status']}; {where})")

    def strip(value: Mapping[str, Any]) -> Any:
        out = copy.deepcopy(dict(value))
        for az in out.get("availability_zones") or []:
            az.pop("nova_computes", None)
        return out

    if strip(old) != strip(new):
        raise VmwareSettingsError(f"Fuel {release} lets only nova_computes change on a deployed cluster ({where})")
    if rules["vmware"].get("controllers_frozen_when_locked"):
        was = {nc["vsphere_cluster"]: nc for nc in nova_computes(old) if target_nodes({"availability_zones": [
            {"nova_computes": [nc]}]}) == [CONTROLLERS]}
        now = {nc.get("vsphere_cluster"): nc for nc in nova_computes(new)}
        for name, nc in was.items():
            if now.get(name) != nc:
                raise VmwareSettingsError(
                    f"nova_compute {name} runs on the controllers of a deployed Fuel {release} cluster: it can be "
                    "neither removed nor changed, target_node included (validators/cluster.py "
                    "check_operational_controllers_settings); add a new nova_compute for a compute-vmware node")
        added = {n for n, nc in now.items() if n not in was and target_nodes(
            {"availability_zones": [{"nova_computes": [nc]}]}) == [CONTROLLERS]}
        if added:
            raise VmwareSettingsError(f"nova_computes {', '.join(sorted(added))} cannot be added on the controllers "
                                      f"of a deployed Fuel {release} cluster (check_operational_controllers_settings)")
