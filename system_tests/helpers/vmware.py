"""VMware settings in Nailgun's vmware_attributes shape: filled from fixtures/vmware_attributes.yaml, checked
with the validation rules kept beside the template (fuel-web 7.0+ rules) before any API or lab call."""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping
from typing import Any

from system_tests.helpers import fixtures
from system_tests.helpers.errors import VmwareSettingsError

CONTROLLERS = "controllers"
CREDENTIALS = ("vcenter_host", "vcenter_username", "vcenter_password")


def attributes(values: Mapping[str, str], target_node: str,
               template: str = "vmware_attributes.yaml") -> dict[str, Any]:
    """The template with {{vcenter_host}}, {{vcenter_username}}, {{vcenter_password}}, {{target_node}} filled."""
    data, _ = fixtures.vmware_template(template)
    return fixtures.fill(data, {**values, "target_node": target_node}, where=f"fixtures/{template}")


def target_nodes(attrs: Mapping[str, Any]) -> list[str]:
    """The target_node ids of every nova_compute (`controllers` or a node hostname)."""
    return [((nc.get("target_node") or {}).get("current") or {}).get("id", "")
            for az in attrs.get("availability_zones") or [] for nc in az.get("nova_computes") or []]


def validate(attrs: Mapping[str, Any], vcenter_compute_hosts: Collection[str]) -> None:
    """Raise VmwareSettingsError (one line) for what Nailgun would refuse; target nodes must be known hosts."""
    _, rules = fixtures.vmware_template()
    azs = attrs.get("availability_zones") or []
    if not azs:
        raise VmwareSettingsError("vmware_attributes: no availability_zones")
    clusters: set[str] = set()
    services: set[str] = set()
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
            cluster, service = nc.get("vsphere_cluster") or "", nc.get("service_name") or ""
            if not cluster or cluster in clusters:
                raise VmwareSettingsError(f"{at}.vsphere_cluster {cluster!r} is empty or used twice")
            if not re.fullmatch(rules["service_name"], service) or service in services:
                raise VmwareSettingsError(f"{at}.service_name {service!r} is used twice or does not match "
                                          f"{rules['service_name']}")
            clusters.add(cluster)
            services.add(service)
            target = ((nc.get("target_node") or {}).get("current") or {}).get("id")
            if target != CONTROLLERS and target not in vcenter_compute_hosts:
                known = ", ".join(sorted(vcenter_compute_hosts)) or "none"
                raise VmwareSettingsError(f"{at}.target_node {target!r} is not {CONTROLLERS} or a vcenter-compute "
                                          f"node (vcenter-compute nodes: {known})")
