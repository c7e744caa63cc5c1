"""Validation of raw config data (the file schema of docs/cluster-config.md) into a ClusterConfig.

Every problem raises ConfigError with ONE line: `<key path>: <what is wrong> (<what to do>)`.
"""

from __future__ import annotations

import copy
import math
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from fuel_health import roles as fuel_roles
from fuel_health.config_model import (
    CONTROLLERS,
    HYPERVISORS,
    CloudAccess,
    ClusterConfig,
    ClusterInfo,
    ConfigError,
    Hypervisors,
    Node,
    NovaCompute,
    Storage,
    Timeouts,
    VCenter,
    Zone,
)
from fuel_health.secret import Secret, is_secret_key, reveal, warn_plain_http

MODES = ("multinode", "ha", "ha_compact", "ha_full")
NET_PROVIDERS = ("nova_network", "neutron")
NOVA_NETWORK_MODES = ("multi_host", "single_host")
LIBVIRT_TYPES = ("kvm", "qemu")
STORAGE_KEYS = ("volumes_lvm", "volumes_vmdk", "volumes_ceph", "images_vcenter")
TIMEOUT_DEFAULTS = {"api": 30.0, "boot": 180.0, "volume": 120.0, "attach": 120.0, "delete": 120.0,
                    "vcenter": 60.0}
# Images Fuel's serializer uploads (fuel-facts.md); the zone itself is never guessed.
DEFAULT_IMAGES = {"kvm": "TestVM", "vcenter": "TestVM-VMDK"}
DEFAULT_FLAVOR = "m1.tiny"


PREFIX_RE = _PREFIX_RE = re.compile(r"^[A-Za-z][A-Za-z0-9_]{0,31}$")
_PLACEHOLDER_RE = re.compile(r"\{\{\s*\w+\s*\}\}")


# --- reading raw data with key paths ---------------------------------------------------------------


def _join(path: str, key: str | int) -> str:
    if isinstance(key, int):
        return f"{path}[{key}]"
    return f"{path}.{key}" if path else key


def _show(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


_REQUIRED: Any = object()  # default meaning "no default: the key must be there"


class _Section:
    """A mapping being read; remembers its key path so every error names the exact key."""

    def __init__(self, data: Any, path: str, known: tuple[str, ...] | None = None) -> None:
        if not isinstance(data, Mapping):
            raise ConfigError(path or "config", f"expected a mapping, got {_show(data)}")
        self.data, self.path = data, path
        if known is not None:
            for key in data:
                if key not in known:
                    raise ConfigError(_join(path, str(key)), "unknown key", f"known: {', '.join(known)}")

    def has(self, key: str) -> bool:
        return self.data.get(key) is not None

    def p(self, key: str) -> str:
        return _join(self.path, key)

    def _absent(self, key: str, fix: str | None, default: Any) -> Any:
        if default is _REQUIRED:
            raise ConfigError(self.p(key), "missing", fix)
        return default

    def get(self, key: str, fix: str | None = None, default: Any = _REQUIRED) -> Any:
        return self.data[key] if self.has(key) else self._absent(key, fix, default)

    def str_(self, key: str, fix: str | None = None, default: Any = _REQUIRED) -> Any:
        if not self.has(key):
            return self._absent(key, fix, default)
        value = self.data[key]
        if isinstance(value, bool) or not isinstance(value, str | int | float):
            raise ConfigError(self.p(key), f"expected a string, got {_show(value)}", fix)
        text = str(value).strip()
        if not text:
            raise ConfigError(self.p(key), "empty", fix)
        return text

    def choice(self, key: str, choices: tuple[str, ...], default: Any = _REQUIRED) -> Any:
        fix = f"one of {', '.join(choices)}"
        if not self.has(key):
            return self._absent(key, fix, default)
        value = self.str_(key, fix)
        if value not in choices:
            raise ConfigError(self.p(key), f"{_show(value)} is not valid", fix)
        return value

    def bool_(self, key: str, default: Any = _REQUIRED) -> Any:
        if not self.has(key):
            return self._absent(key, "true or false", default)
        value = self.data[key]
        if not isinstance(value, bool):
            raise ConfigError(self.p(key), f"expected true or false, got {_show(value)}")
        return value

    def int_(self, key: str, fix: str | None = None, default: Any = _REQUIRED) -> Any:
        if not self.has(key):
            return self._absent(key, fix, default)
        value = self.data[key]
        if isinstance(value, bool) or not isinstance(value, int):
            raise ConfigError(self.p(key), f"expected an integer, got {_show(value)}", fix)
        return value

    def seconds(self, key: str, default: float) -> float:
        value = self.get(key, None, default)
        if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value) or value <= 0:
            raise ConfigError(self.p(key), f"expected a positive number of seconds, got {_show(value)}")
        return float(value)

    def strings(self, key: str, fix: str | None = None, default: Any = _REQUIRED) -> Any:
        if not self.has(key):
            return self._absent(key, fix, default)
        value = self.data[key]
        if not isinstance(value, list | tuple) or not all(isinstance(v, str) and v for v in value):
            raise ConfigError(self.p(key), f"expected a list of names, got {_show(value)}", fix)
        return tuple(value)

    def secret(self, key: str, fix: str | None = None) -> Secret:
        value = self.get(key, fix)
        if not isinstance(value, str | Secret) or not value:
            raise ConfigError(self.p(key), "expected a non-empty string", fix)
        return Secret(value)

    def section(self, key: str, known: tuple[str, ...] | None = None, fix: str | None = None,
                required: bool = False) -> _Section | None:
        if not self.has(key):
            return self._absent(key, fix, _REQUIRED if required else None)
        return _Section(self.data[key], self.p(key), known)

    def items(self, key: str, fix: str | None = None, required: bool = False) -> list[Any]:
        if not self.has(key):
            return self._absent(key, fix, _REQUIRED if required else [])
        value = self.data[key]
        if not isinstance(value, list):
            raise ConfigError(self.p(key), f"expected a list, got {_show(value)}", fix)
        return value


# --- building ---------------------------------------------------------------------------------------

TOP_KEYS = ("cluster", "cloud", "hypervisors", "vmware_attributes", "vcenter", "nodes", "timeouts",
            "resource_prefix")


# Keys each fixed section may hold, checked on the raw data BEFORE anything else walks or copies it.
# vmware_attributes is Fuel's own shape, read field by field later; `nodes` entries are checked per item.
KNOWN_KEYS: dict[str, tuple[str, ...]] = {
    "": TOP_KEYS,
    "cluster": ("id", "name", "release", "mode", "net_provider", "nova_network_mode", "libvirt_type",
                "use_vcenter", "storage", "additional_components"),
    "cluster.storage": STORAGE_KEYS,
    "cloud": ("name", "clouds_yaml", "auth", "region"),
    "hypervisors": HYPERVISORS,
    "hypervisors.kvm": ("zone", "image", "flavor", "console_ready", "console_disks"),
    "hypervisors.vcenter": ("zone", "image", "flavor"),
    "vcenter": ("port", "insecure", "datacenter", "cafile"),
    "timeouts": tuple(TIMEOUT_DEFAULTS),
    "nodes[]": ("name", "hostname", "roles", "host", "root", "services"),
}
# keystoneauth's `password` plugin options: anything else in cloud.auth is a typo or a misplaced secret.
AUTH_KEYS = ("auth_url", "username", "user_id", "password", "project_name", "project_id", "user_domain_name",
             "user_domain_id", "project_domain_name", "project_domain_id", "domain_name", "domain_id",
             "system_scope", "trust_id", "default_domain_id", "default_domain_name")
KNOWN_KEYS["cloud.auth"] = AUTH_KEYS
MAX_DEPTH = 32  # the same bound as the YAML loader's
MAX_ITEMS = 20_000  # values in the whole tree, counted with repeats: a shared sub-tree counts each time


def precheck(raw: Any) -> None:
    """Refuse unknown keys, deep nesting, huge trees and non-finite numbers, before secrets are wrapped."""
    if not isinstance(raw, Mapping):
        raise ConfigError("config", f"expected a mapping of sections, got {_show(raw)}")
    count = 0

    def walk(data: Any, path: str, schema: str | None, depth: int) -> None:
        nonlocal count
        count += 1
        if count > MAX_ITEMS:
            raise ConfigError(path or "config", f"more than {MAX_ITEMS} values", "is this a cluster config?")
        if depth > MAX_DEPTH:
            raise ConfigError(path, f"nested deeper than {MAX_DEPTH} levels", "is this a cluster config?")
        if isinstance(data, float) and not math.isfinite(data):
            raise ConfigError(path, f"{data} is not a finite number", "give a plain number")
        if isinstance(data, Mapping):
            known = KNOWN_KEYS.get(schema) if schema is not None else None
            for key, value in data.items():
                if known is not None and key not in known:
                    raise ConfigError(_join(path, str(key)), "unknown key", f"known: {', '.join(known)}")
                sub = _join(schema, str(key)) if schema is not None else None
                walk(value, _join(path, str(key)), sub if sub in KNOWN_KEYS or sub == "nodes" else None,
                     depth + 1)
        elif isinstance(data, list | tuple):
            for i, value in enumerate(data):
                walk(value, _join(path, i), "nodes[]" if schema == "nodes" else None, depth + 1)

    walk(raw, "", "", 0)


def build(raw: Mapping[str, Any], source: str = "<dict>") -> ClusterConfig:
    """Validate raw data in the file schema and return the frozen ClusterConfig."""
    precheck(raw)  # first: nothing below may walk a tree that is too big, or wrap an unknown key's value
    raw = wrap_secrets(copy.deepcopy(dict(raw)))
    top = _Section(raw, "", TOP_KEYS)
    _check_placeholders(raw, "")
    cluster = _cluster(top)
    nodes = _nodes(top)
    vcenter = _vcenter(top, cluster, nodes)
    prefix = top.str_("resource_prefix", None, "ostf")
    if not _PREFIX_RE.match(prefix):
        raise ConfigError("resource_prefix", f"{prefix!r} is not valid",
                          "a letter then letters, digits or _ (no '-'): the cleanup sweep matches on it")
    return ClusterConfig(
        cluster=cluster,
        cloud=_cloud(top),
        hypervisors=_hypervisors(top, cluster, nodes, vcenter),
        vcenter=vcenter,
        nodes=nodes,
        timeouts=_timeouts(top),
        resource_prefix=prefix,
        source=source,
        _raw=raw,
    )


def wrap_secrets(data: Any) -> Any:
    """Wrap every value under a password/token-like key in Secret, at any depth."""
    if isinstance(data, Mapping):
        # Numbers too: `password: 123456` is a secret even though YAML reads it as an int.
        return {k: (Secret(str(v)) if isinstance(k, str) and is_secret_key(k) and isinstance(v, str | int | float)
                    and not isinstance(v, bool) else wrap_secrets(v)) for k, v in data.items()}
    if isinstance(data, list):
        return [wrap_secrets(v) for v in data]
    return data


def _check_placeholders(data: Any, path: str) -> None:
    # Templates (fixtures/vmware_attributes.yaml) use {{name}}: one left in is the writer's bug.
    if isinstance(data, Mapping):
        for key, value in data.items():
            _check_placeholders(value, _join(path, str(key)))
    elif isinstance(data, list):
        for i, value in enumerate(data):
            _check_placeholders(value, _join(path, i))
    elif isinstance(data, Secret | str) and (m := _PLACEHOLDER_RE.search(reveal(data) or "")):
        raise ConfigError(path, f"unfilled placeholder {m.group(0)}", "the config writer must fill it")


def _cluster(top: _Section) -> ClusterInfo:
    sec = top.section("cluster", required=True, fix="describe the environment: mode, net_provider, ...",
                      known=("id", "name", "release", "mode", "net_provider", "nova_network_mode",
                             "libvirt_type", "use_vcenter", "storage", "additional_components"))
    assert sec is not None
    net_provider = sec.choice("net_provider", NET_PROVIDERS)
    nn_mode = sec.choice("nova_network_mode", NOVA_NETWORK_MODES, None)
    if nn_mode and net_provider != "nova_network":
        raise ConfigError(sec.p("nova_network_mode"), f"set, but net_provider is {net_provider}",
                          "remove it or set net_provider: nova_network")
    storage = sec.section("storage", STORAGE_KEYS, required=True, fix=f"set {', '.join(STORAGE_KEYS)}")
    assert storage is not None
    return ClusterInfo(
        id=sec.int_("id", None, None),
        name=sec.str_("name", None, "unnamed"),
        release=str(sec.get("release", None, "")),
        mode=sec.choice("mode", MODES),
        net_provider=net_provider,
        nova_network_mode=nn_mode,
        libvirt_type=sec.choice("libvirt_type", LIBVIRT_TYPES),
        use_vcenter=sec.bool_("use_vcenter"),
        storage=Storage(**{k: storage.bool_(k) for k in STORAGE_KEYS}),
        additional_components=sec.strings("additional_components", None, ()),
    )


def _cloud(top: _Section) -> CloudAccess:
    sec = top.section("cloud", ("name", "clouds_yaml", "auth", "region")) or _Section({}, "cloud")
    name = sec.str_("name", None, None)
    auth = sec.section("auth", AUTH_KEYS)
    if name and auth:
        raise ConfigError("cloud", "both name and auth are set",
                          "keep one: a clouds.yaml entry or an auth dict")
    clouds_yaml = sec.str_("clouds_yaml", None, None)
    if clouds_yaml and not name:
        raise ConfigError("cloud.name", "missing", f"name the entry of {clouds_yaml} to use")
    auth_map: dict[str, str | Secret] | None = None
    if auth is not None:
        fix = "give auth_url, username, password, project_name"
        auth_map = {k: (v if isinstance(v, Secret) else str(v)) for k, v in auth.data.items()}
        for key in ("auth_url", "username", "project_name"):
            auth_map[key] = auth.str_(key, fix)
        auth_map["password"] = auth.secret("password", fix)
        warn_plain_http(str(auth_map["auth_url"]), f"the OpenStack password of {auth_map['username']}")
        auth_map.setdefault("user_domain_name", "Default")
        auth_map.setdefault("project_domain_name", "Default")
    return CloudAccess(
        name=name,
        clouds_yaml=str(Path(clouds_yaml).expanduser()) if clouds_yaml else None,
        auth=auth_map,
        region=sec.str_("region", None, None),
    )


def _nodes(top: _Section) -> tuple[Node, ...]:
    nodes: list[Node] = []
    for i, item in enumerate(top.items("nodes")):
        label = _join("nodes", i)
        if _Section(item, label).has("name"):
            label = f"nodes[{item['name']}]"  # errors name the node, not its position
        sec = _Section(item, label, ("name", "hostname", "roles", "host", "root", "services"))
        name = sec.str_("name", "name the node, e.g. node-1")
        canonical: list[str] = []
        for role in sec.strings("roles", "list the node's roles, e.g. [controller]"):
            norm = fuel_roles.normalize_role(role)
            if norm is None:
                known = ", ".join(sorted(fuel_roles.KNOWN_ROLES | set(fuel_roles.ALIASES)))
                raise ConfigError(sec.p("roles"), f"node {name} has unknown role {role!r}", f"known: {known}")
            if norm not in canonical:
                canonical.append(norm)
        hostname = sec.str_("hostname", None, name)
        node_roles = tuple(canonical)
        nodes.append(Node(
            name=name,
            hostname=hostname,
            roles=node_roles,
            # Fuel's way in: root over ssh from the master.
            host=sec.str_("host", None, f"ssh://root@{hostname}"),
            root=str(Path(sec.str_("root", None, "/")).expanduser()),
            services=sec.strings("services", None, fuel_roles.services_for(node_roles)),
        ))
        if any(n.name == name for n in nodes[:-1]):
            raise ConfigError(f"{label}.name", "duplicate node name", "each node needs its own name")
    return tuple(nodes)


def _vcenter(top: _Section, cluster: ClusterInfo, nodes: tuple[Node, ...]) -> VCenter | None:
    extra = top.section("vcenter", KNOWN_KEYS["vcenter"]) or _Section({}, "vcenter")
    attrs = top.section("vmware_attributes")
    if not cluster.use_vcenter:
        return None
    if attrs is None:
        raise ConfigError("vmware_attributes", "missing",
                          "use_vcenter is true: give Fuel's vmware_attributes editable.value")
    zones = attrs.items("availability_zones", "list the vCenter availability zones", required=True)
    if not zones:
        raise ConfigError("vmware_attributes.availability_zones", "empty", "describe the vCenter zone")
    az_names = [z.get("az_name") if isinstance(z, Mapping) else None for z in zones]
    hv = top.section("hypervisors")
    vc_zone = hv.section("vcenter") if hv else None
    wanted = vc_zone.data.get("zone") if vc_zone else None
    if wanted is not None:
        if wanted not in az_names:
            raise ConfigError("hypervisors.vcenter.zone", f"{wanted!r} is no az_name of vmware_attributes",
                              f"there: {', '.join(map(str, az_names))}")
        index = az_names.index(wanted)
    elif len(zones) == 1:
        index = 0
    else:
        raise ConfigError("hypervisors.vcenter.zone", "missing",
                          f"vmware_attributes has several zones ({', '.join(map(str, az_names))}): pick one")
    az = _Section(zones[index], _join("vmware_attributes.availability_zones", index))
    fix_az = r"Nailgun's rule: ^(?!nova$)\w+$"
    az_name = az.str_("az_name", "name the vCenter availability zone")
    if not re.match(r"^(?!nova$)\w+$", az_name):
        raise ConfigError(az.p("az_name"), f"{az_name!r} is not a valid vCenter zone name", fix_az)
    computes = []
    for j, item in enumerate(az.items("nova_computes")):
        nc = _Section(item, _join(az.p("nova_computes"), j))
        computes.append(NovaCompute(
            vsphere_cluster=nc.str_("vsphere_cluster", "the vSphere cluster nova-compute manages"),
            service_name=nc.str_("service_name", "a name like vmcluster1"),
            datastore_regex=str(nc.get("datastore_regex", None, "")),
            target_node=_target_node(nc, nodes),
        ))
    glance = attrs.section("glance")
    default_dc = glance.data.get("datacenter") if glance else None
    default_insecure = az.bool_("vcenter_insecure", False)  # Fuel 9.0 carries it per zone
    port = extra.int_("port", None, 443)
    if not 0 < port < 65536:
        raise ConfigError("vcenter.port", f"{port} is not a TCP port", "1-65535; vCenter listens on 443")
    cafile = extra.str_("cafile", "a PEM file of the CA that signed vCenter's certificate", None)
    if cafile is not None:
        cafile = str(Path(cafile).expanduser())
        if not Path(cafile).is_file():
            raise ConfigError("vcenter.cafile", f"{cafile} is not a file",
                              "give the PEM bundle of the CA that signed vCenter's certificate")
    # Fuel 9.1+: vcenter_ca_file is a `file` attribute, {name, content}; {} when none was uploaded
    # (fuel-web 9.1:nailgun/nailgun/db/migration/alembic_migrations/versions/fuel_9_1.py:681).
    ca_file = az.data.get("vcenter_ca_file")
    if ca_file not in (None, {}, "") and not (isinstance(ca_file, Mapping) and isinstance(
            ca_file.get("content", ""), str)):
        raise ConfigError(az.p("vcenter_ca_file"), f"expected Fuel's file shape {{name, content}}, got "
                                                   f"{_show(ca_file)}", "upload the CA file in Fuel's VMware tab")
    cadata = (ca_file.get("content") or None) if isinstance(ca_file, Mapping) else None
    return VCenter(
        host=az.str_("vcenter_host", "the vCenter address"),
        port=port,
        username=az.str_("vcenter_username", "the vCenter user"),
        password=az.secret("vcenter_password", "the vCenter password"),
        insecure=extra.bool_("insecure", default_insecure),
        datacenter=extra.str_("datacenter", None, default_dc or None),
        az_name=az_name,
        nova_computes=tuple(computes),
        cafile=cafile,
        cadata=cadata,
    )


def _target_node(nc: _Section, nodes: tuple[Node, ...]) -> str:
    fix = f"'{CONTROLLERS}' or the name of a vcenter-compute node"
    value = nc.get("target_node", fix)
    if isinstance(value, Mapping):  # Nailgun: {current: {id: ..., label: ...}, options: [...]}
        value = (value.get("current") or {}).get("id") if isinstance(value.get("current"), Mapping) else None
    if not isinstance(value, str) or not value:
        raise ConfigError(nc.p("target_node"), f"expected {fix}", "Nailgun shape: {current: {id: ...}}")
    if value == CONTROLLERS or not nodes:
        return value
    match = [n for n in nodes if value in (n.name, n.hostname)]
    if not match:
        known = ", ".join(n.name for n in nodes)
        raise ConfigError(nc.p("target_node"), f"{value!r} is not a node", f"known: {known}; or {fix}")
    if not match[0].has_role("vcenter-compute"):
        raise ConfigError(nc.p("target_node"), f"node {value} has no vcenter-compute role",
                          f"give it the role, or target '{CONTROLLERS}'")
    return match[0].name


def _regex(entry: _Section, key: str) -> str | None:
    """A regular expression the checks will search with: a typo is a config error now, not a traceback later."""
    pattern = entry.str_(key, None, None)
    if pattern is not None:
        try:
            re.compile(pattern)
        except re.error as exc:
            raise ConfigError(entry.p(key), f"{pattern!r} is not a regular expression ({exc})",
                              "e.g. 'login:' or 'TESTVM READY'") from None
    return pattern


def _hypervisors(top: _Section, cluster: ClusterInfo, nodes: tuple[Node, ...],
                 vcenter: VCenter | None) -> Hypervisors:
    sec = top.section("hypervisors", HYPERVISORS) or _Section({}, "hypervisors")
    zones: dict[str, Zone | None] = {}
    kvm_needed = any(n.has_role("compute") for n in nodes) or not cluster.use_vcenter
    for hv in HYPERVISORS:
        entry = sec.section(hv, ("zone", "image", "flavor", "console_ready", "console_disks") if hv == "kvm"
                            else ("zone", "image", "flavor"))
        # The vCenter zone may default to vmware_attributes' az_name; the KVM zone is never guessed.
        default_zone = vcenter.az_name if hv == "vcenter" and vcenter else _REQUIRED
        if entry is None:
            needed = kvm_needed if hv == "kvm" else cluster.use_vcenter
            if needed and default_zone is _REQUIRED:
                raise ConfigError(f"hypervisors.{hv}.zone", "missing", _ZONE_FIX[hv])
            entry = _Section({}, f"hypervisors.{hv}") if needed else None
        zones[hv] = None if entry is None else Zone(
            hypervisor=hv,
            zone=entry.str_("zone", _ZONE_FIX[hv], default_zone),
            image=entry.str_("image", None, DEFAULT_IMAGES[hv]),
            flavor=entry.str_("flavor", None, DEFAULT_FLAVOR),
            console_ready=_regex(entry, "console_ready") if hv == "kvm" else None,
            console_disks=entry.str_("console_disks", None, None) if hv == "kvm" else None,
        )
    kvm, vc = zones["kvm"], zones["vcenter"]
    if kvm and vc and kvm.zone == vc.zone:
        raise ConfigError("hypervisors.vcenter.zone", f"{vc.zone!r} is also the KVM zone",
                          "the two hypervisors need distinct availability zones")
    return Hypervisors(kvm=kvm, vcenter=vc)


_ZONE_FIX = {
    "kvm": "set the KVM availability zone name; Fuel's is nova",
    "vcenter": "set the vCenter availability zone name",
}


def _timeouts(top: _Section) -> Timeouts:
    sec = top.section("timeouts", tuple(TIMEOUT_DEFAULTS)) or _Section({}, "timeouts")
    return Timeouts(**{k: sec.seconds(k, d) for k, d in TIMEOUT_DEFAULTS.items()})


