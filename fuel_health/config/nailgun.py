"""The Nailgun loader: a Fuel environment read from Nailgun, in the config file schema, then built.

vmware_attributes is taken as Nailgun gives it: every availability zone becomes a vCenter zone with its
own vCenter and its nova_computes (fuel-web 8.0/9.0 nailgun/fixtures/openstack.yaml,
vmware_attributes_metadata).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from fuel_health.config.model import ClusterConfig
from fuel_health.config.nailgun_client import NailgunClient, ca_bundle
from fuel_health.config.schema import STORAGE_KEYS, build
from fuel_health.config.secret import Secret


def _value(editable: Mapping[str, Any], group: str, name: str, default: Any = None) -> Any:
    # Nailgun settings are {"group": {"name": {"value": ..., "label": ...}}}.
    item = (editable.get(group) or {}).get(name)
    return item.get("value", default) if isinstance(item, Mapping) else default


def _public_endpoint(net: Mapping[str, Any], nodes: list[dict[str, Any]]) -> str | None:
    # The public VIP is what an operator's machine can reach (OSTF on the master used a proxy to the
    # management VIP instead). Fuel 8.0+ also has "vips"; multinode clusters have no VIP at all.
    vips = net.get("vips") or {}
    if isinstance(vips.get("public"), Mapping) and vips["public"].get("ipaddr"):
        return vips["public"]["ipaddr"]
    if net.get("public_vip"):
        return net["public_vip"]
    for node in nodes:
        if "controller" in (node.get("roles") or []):
            for nic in node.get("network_data") or []:
                if nic.get("name") == "public" and nic.get("ip"):
                    return str(nic["ip"]).split("/")[0]
    return None


def _storage(editable: Mapping[str, Any], use_vcenter: bool, nodes: list[dict[str, Any]]) -> dict[str, bool]:
    """The storage flags. No Fuel release has a storage.volumes_vmdk setting (fuel-web 6.1-9.0
    nailgun/nailgun/fixtures/openstack.yaml: none; removed by "Remove VMware vCenter settings out of the Settings
    tab"): VMDK volumes are on when vCenter is on and a cinder-vmware node is deployed (fuel-library 9.0
    openstack_tasks/manifests/roles/cinder.pp:100). A volumes_vmdk value, when present (fuel-ostf style
    clusters), is still read as is."""
    flags = {k: bool(_value(editable, "storage", k, False)) for k in STORAGE_KEYS}
    if "volumes_vmdk" not in (editable.get("storage") or {}):
        flags["volumes_vmdk"] = use_vcenter and any("cinder-vmware" in (n.get("roles") or []) for n in nodes)
    return flags


def _node_name(node: Mapping[str, Any]) -> str:
    # Nailgun's "name" is a UI label ("Untitled (8a:5f)"); target_node and fuel-qa use node-<id>.
    return node.get("hostname") or f"node-{node['id']}"


def raw_config(client: NailgunClient, cluster_id: int, *,
               os_creds: Mapping[str, str] | None = None) -> dict[str, Any]:
    """Read a cluster from Nailgun and return it in the config file schema (docs/cluster-config.md)."""
    cluster = client.cluster(cluster_id)
    release = client.release(cluster["release_id"]) if cluster.get("release_id") else {}
    editable = client.attributes(cluster_id)
    nodes = [n for n in client.nodes(cluster_id) if n.get("roles")]  # deployed nodes only
    provider = cluster.get("net_provider") or "nova_network"
    net = client.network_configuration(cluster_id, provider) or {}
    use_vcenter = bool(_value(editable, "common", "use_vcenter", False))
    # VmwareAttributesHandler answers 400 when vCenter is off: only ask when it is on.
    vmware = client.vmware_attributes(cluster_id) if use_vcenter else None

    endpoint = _public_endpoint(net, nodes)
    scheme = "https" if _value(editable, "public_ssl", "services", False) else "http"
    creds = os_creds or {}
    auth = {
        "auth_url": f"{scheme}://{endpoint}:5000/v3" if endpoint else None,
        "username": creds.get("ostf_os_username") or _value(editable, "access", "user"),
        "password": creds.get("ostf_os_password") or _value(editable, "access", "password"),
        "project_name": creds.get("ostf_os_tenant_name") or _value(editable, "access", "tenant"),
        "user_domain_name": "Default",
        "project_domain_name": "Default",
    }
    has_kvm_compute = any("compute" in (n.get("roles") or []) for n in nodes)
    hypervisors: dict[str, Any] = {}
    if has_kvm_compute or not use_vcenter:
        hypervisors["kvm"] = {"zone": "nova"}  # Fuel puts KVM/QEMU computes in nova's default zone
    return {
        "cluster": {
            "id": cluster.get("id", cluster_id),
            "name": cluster.get("name") or f"cluster-{cluster_id}",
            "release": release.get("version") or "",
            "mode": cluster.get("mode") or "ha_compact",
            "net_provider": provider,
            # Fuel runs nova-network single-host (p_vcenter_nova_network) when vCenter is on.
            "nova_network_mode": (("single_host" if use_vcenter else "multi_host")
                                  if provider == "nova_network" else None),
            "libvirt_type": _value(editable, "common", "libvirt_type"),
            "use_vcenter": use_vcenter,
            "storage": _storage(editable, use_vcenter, nodes),
            "additional_components": sorted(
                name for name, item in (editable.get("additional_components") or {}).items()
                if isinstance(item, Mapping) and item.get("value") is True),
        },
        "cloud": {"auth": auth, "region": "RegionOne"},
        "hypervisors": hypervisors,  # the vCenter zone defaults to vmware_attributes' az_name
        "vmware_attributes": vmware,
        "nodes": [{
            "name": _node_name(n),
            # nova registers a Fuel node's services under its FQDN (fuel-qa mitaka-eol
            # fuelweb_test/tests/test_support_hugepages.py:69-74 pins and checks `OS-EXT-SRV-ATTR:host` == fqdn).
            "hostname": n.get("fqdn") or _node_name(n),
            "roles": list(n["roles"]),
            "host": f"ssh://root@{n['ip']}" if n.get("ip") else f"ssh://root@{_node_name(n)}",
            "root": "/",
        } for n in nodes],
    }


def from_nailgun(
    url: str,
    cluster_id: int,
    *,
    token: str | Secret | None = None,
    username: str | None = None,
    password: str | Secret | None = None,
    keystone_url: str | None = None,
    os_creds: Mapping[str, str] | None = None,
    timeout: float = 30.0,
    cacert: str | None = None,
) -> ClusterConfig:
    """Build the ClusterConfig of a Fuel environment from Nailgun (token, or username + password)."""
    verify = ca_bundle(cacert)
    if token:
        client = NailgunClient(url, token=token, timeout=timeout, verify=verify)
    elif username and password:
        client = NailgunClient.login(url, username, password, keystone_url=keystone_url, timeout=timeout,
                                     verify=verify)
    else:
        client = NailgunClient(url, timeout=timeout, verify=verify)  # a master with auth off (dev setups)
    raw = raw_config(client, cluster_id, os_creds=os_creds)
    return build(raw, source=f"{client.url} cluster {cluster_id}")
