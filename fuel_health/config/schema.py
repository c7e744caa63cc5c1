"""The file schema of docs/cluster-config.md as pydantic models, and `build`: raw data -> ClusterConfig.

Three passes, each refusing with one line `<key path>: <what is wrong> (<what to do>)`:
  1. `precheck` walks the raw tree against these models before anything copies it: unknown keys, depth,
     size, non-finite numbers (a huge unknown subtree costs nothing, and no secret of it gets wrapped);
  2. pydantic validates each value (the leaf types below raise our own wording, and `_one_line` maps the
     first pydantic error to the key path of the raw data: `nodes[node-3].roles`, `hypervisors.kvm.zone`);
  3. `build` checks what spans sections (zones against vmware_attributes and nodes) and makes the model.
"""

from __future__ import annotations

import copy
import math
import re
import types
import typing
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Annotated, Any, TypeVar, Union

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationError, model_validator
from pydantic_core import PydanticCustomError

from fuel_health.config.errors import ConfigError
from fuel_health.config.model import (
    CONTROLLERS,
    CloudAccess,
    ClusterConfig,
    ClusterInfo,
    Node,
    NovaCompute,
    Storage,
    Timeouts,
    VCenter,
    Zone,
)
from fuel_health.config.secret import Secret, is_secret_key, reveal, warn_plain_http
from fuel_health.fuel_data import roles as fuel_roles

MODES = ("multinode", "ha", "ha_compact", "ha_full")
NET_PROVIDERS = ("nova_network", "neutron")
NOVA_NETWORK_MODES = ("multi_host", "single_host")
LIBVIRT_TYPES = ("kvm", "qemu")
STORAGE_KEYS = ("volumes_lvm", "volumes_vmdk", "volumes_ceph", "images_vcenter")
TIMEOUT_DEFAULTS = {"api": 30.0, "boot": 180.0, "volume": 120.0, "attach": 120.0, "delete": 120.0,
                    "vcenter": 60.0}
# Images Fuel's serializer uploads; the zone itself is never guessed.
DEFAULT_IMAGES = {"kvm": "TestVM", "vcenter": "TestVM-VMDK"}
DEFAULT_FLAVOR = "m1.tiny"
# keystoneauth's `password` plugin options: anything else in cloud.auth is a typo or a misplaced secret.
AUTH_KEYS = ("auth_url", "username", "user_id", "password", "project_name", "project_id", "user_domain_name",
             "user_domain_id", "project_domain_name", "project_domain_id", "domain_name", "domain_id",
             "system_scope", "trust_id", "default_domain_id", "default_domain_name")
MAX_DEPTH = 32  # the same bound as the YAML loader's
MAX_ITEMS = 20_000  # values in the whole tree, counted with repeats: a shared sub-tree counts each time

PREFIX_RE = re.compile(r"^[A-Za-z][A-Za-z0-9_]{0,31}$")
_PLACEHOLDER_RE = re.compile(r"\{\{\s*\w+\s*\}\}")
_AZ_NAME_RE = re.compile(r"^(?!nova$)\w+$")  # Nailgun's own rule for az_name


def _show(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _join(path: str, key: str | int) -> str:
    if isinstance(key, int):
        return f"{path}[{key}]"
    return f"{path}.{key}" if path else key


# --- leaf types: each says what is wrong in our words (pydantic's own wording never reaches a user) ------


def _bad(problem: str, fix: str | None = None) -> PydanticCustomError:
    # The text goes through ctx, not the template: a problem may hold braces ("{name, content}").
    return PydanticCustomError("fuel_health", "{problem}", {"problem": problem, "fix": fix})


def _text(value: Any) -> str:
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise _bad(f"expected a string, got {_show(value)}")
    text = str(value).strip()
    if not text:
        raise _bad("empty")
    return text


def _bool(value: Any) -> bool:
    if not isinstance(value, bool):
        raise _bad(f"expected true or false, got {_show(value)}", "")
    return value


def _int(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise _bad(f"expected an integer, got {_show(value)}")
    return value


def _seconds(value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value) or value <= 0:
        raise _bad(f"expected a positive number of seconds, got {_show(value)}", "")
    return float(value)


def _names(value: Any) -> tuple[str, ...]:
    if not isinstance(value, list | tuple) or not all(isinstance(v, str) and v for v in value):
        raise _bad(f"expected a list of names, got {_show(value)}")
    return tuple(value)


def _secret(value: Any) -> Secret:
    if not isinstance(value, str | Secret) or not value:
        raise _bad("expected a non-empty string")
    return Secret(value)


def _choice(choices: tuple[str, ...]) -> Callable[[Any], str]:
    def check(value: Any) -> str:
        text = _text(value)
        if text not in choices:
            raise _bad(f"{_show(text)} is not valid")
        return text
    return check


def _regex(value: Any) -> str:
    # A regular expression the checks will search with: a typo is a config error now, not a traceback later.
    pattern = _text(value)
    try:
        re.compile(pattern)
    except re.error as exc:
        raise _bad(f"{pattern!r} is not a regular expression ({exc})", "e.g. 'login:' or 'TESTVM READY'") from None
    return pattern


def _as_str(value: Any) -> Any:
    return value if isinstance(value, Secret) else str(value)


def _one_or_many(value: Any) -> Any:
    # A hypervisor's zones: one mapping (the single-zone form) or a list of them.
    if isinstance(value, Mapping):
        return [value]
    if not isinstance(value, list):
        raise _bad(f"expected a mapping or a list of them, got {_show(value)}")
    return value


Text = Annotated[str, BeforeValidator(_text)]
Bool = Annotated[bool, BeforeValidator(_bool)]
Int = Annotated[int, BeforeValidator(_int)]
Seconds = Annotated[float, BeforeValidator(_seconds)]
Names = Annotated[tuple[str, ...], BeforeValidator(_names)]
SecretText = Annotated[Secret, BeforeValidator(_secret)]
Regex = Annotated[str, BeforeValidator(_regex)]
AnyText = Annotated[Any, BeforeValidator(_as_str)]


def fix(text: str, default: Any = ..., **kwargs: Any) -> Any:
    """A Field whose `missing`/wrong-value error ends with this fix."""
    return Field(default, json_schema_extra={"fix": text}, **kwargs)


def _choice_field(choices: tuple[str, ...], default: Any = ...) -> Any:
    return fix(f"one of {', '.join(choices)}", default)


class _Section(BaseModel):
    """A closed section: unknown keys are refused, and `key: null` means the key is absent."""

    model_config = ConfigDict(extra="forbid", arbitrary_types_allowed=True, defer_build=True)

    @model_validator(mode="before")
    @classmethod
    def _mapping_without_nulls(cls, data: Any) -> Any:
        if not isinstance(data, Mapping):
            raise _bad(f"expected a mapping, got {_show(data)}")
        return {k: v for k, v in data.items() if v is not None}


class _Fuel(_Section):
    """Fuel's own shape (vmware_attributes): keys we do not read are Fuel's business, kept as they are."""

    model_config = ConfigDict(extra="allow", arbitrary_types_allowed=True, defer_build=True)


# --- the file schema -----------------------------------------------------------------------------------


class StorageSection(_Section):
    volumes_lvm: Bool = fix("true or false")
    volumes_vmdk: Bool = fix("true or false")
    volumes_ceph: Bool = fix("true or false")
    images_vcenter: Bool = fix("true or false")


class ClusterSection(_Section):
    id: Int | None = None
    name: Text = "unnamed"
    release: AnyText = ""
    mode: Annotated[str, BeforeValidator(_choice(MODES))] = _choice_field(MODES)
    net_provider: Annotated[str, BeforeValidator(_choice(NET_PROVIDERS))] = _choice_field(NET_PROVIDERS)
    nova_network_mode: Annotated[str | None, BeforeValidator(_choice(NOVA_NETWORK_MODES))] = \
        _choice_field(NOVA_NETWORK_MODES, None)
    libvirt_type: Annotated[str, BeforeValidator(_choice(LIBVIRT_TYPES))] = _choice_field(LIBVIRT_TYPES)
    use_vcenter: Bool = fix("true or false")
    storage: StorageSection = fix(f"set {', '.join(STORAGE_KEYS)}")
    additional_components: Names = ()


class AuthSection(_Section):
    auth_url: Text = fix("give auth_url, username, password, project_name")
    username: Text = fix("give auth_url, username, password, project_name")
    user_id: AnyText | None = None
    password: SecretText = fix("give auth_url, username, password, project_name")
    project_name: Text = fix("give auth_url, username, password, project_name")
    project_id: AnyText | None = None
    user_domain_name: AnyText = "Default"
    user_domain_id: AnyText | None = None
    project_domain_name: AnyText = "Default"
    project_domain_id: AnyText | None = None
    domain_name: AnyText | None = None
    domain_id: AnyText | None = None
    system_scope: AnyText | None = None
    trust_id: AnyText | None = None
    default_domain_id: AnyText | None = None
    default_domain_name: AnyText | None = None


class CloudSection(_Section):
    @model_validator(mode="before")
    @classmethod
    def _one_way_in(cls, data: Any) -> Any:
        # Said before either is read: a half-written auth dict next to a name is still "keep one".
        if isinstance(data, Mapping) and data.get("name") is not None and data.get("auth") is not None:
            raise _bad("both name and auth are set", "keep one: a clouds.yaml entry or an auth dict")
        return data

    name: Text | None = None
    clouds_yaml: Text | None = None
    auth: AuthSection | None = None
    region: Text | None = None


_KVM_ZONE_FIX = "set the KVM availability zone name; Fuel's is nova"


class KvmZoneEntry(_Section):
    zone: Text = fix(_KVM_ZONE_FIX)
    image: Text = DEFAULT_IMAGES["kvm"]
    flavor: Text = DEFAULT_FLAVOR
    console_ready: Regex | None = None
    console_disks: Text | None = None
    hosts: Names | None = fix("the zone's compute nodes, e.g. [node-2, node-3]", None)


class VCenterZoneEntry(_Section):
    """One vCenter zone's choices; endpoint keys override the `vcenter` section for this zone only."""

    zone: Text | None = fix("set the vCenter availability zone name", None)
    image: Text = DEFAULT_IMAGES["vcenter"]
    flavor: Text = DEFAULT_FLAVOR
    port: Int | None = None
    insecure: Bool | None = None
    datacenter: Text | None = None
    cafile: Text | None = fix("a PEM file of the CA that signed vCenter's certificate", None)


class HypervisorsSection(_Section):
    kvm: Annotated[list[KvmZoneEntry], BeforeValidator(_one_or_many)] = Field(default_factory=list)
    vcenter: Annotated[list[VCenterZoneEntry], BeforeValidator(_one_or_many)] = Field(default_factory=list)


class VCenterSection(_Section):
    """What vmware_attributes does not say, for every vCenter zone (a zone's entry may override it)."""

    port: Int | None = None
    insecure: Bool | None = None
    datacenter: Text | None = None
    cafile: Text | None = fix("a PEM file of the CA that signed vCenter's certificate", None)


class NodeEntry(_Section):
    name: Text = fix("name the node, e.g. node-1")
    hostname: Text | None = None
    roles: Names = fix("list the node's roles, e.g. [controller]")
    host: Text | None = None
    root: Text | None = None
    services: Names | None = None


class TimeoutsSection(_Section):
    api: Seconds = TIMEOUT_DEFAULTS["api"]
    boot: Seconds = TIMEOUT_DEFAULTS["boot"]
    volume: Seconds = TIMEOUT_DEFAULTS["volume"]
    attach: Seconds = TIMEOUT_DEFAULTS["attach"]
    delete: Seconds = TIMEOUT_DEFAULTS["delete"]
    vcenter: Seconds = TIMEOUT_DEFAULTS["vcenter"]


# vmware_attributes' editable.value as fuel-web 8.0/9.0 define it (nailgun/fixtures/openstack.yaml,
# vmware_attributes_metadata): availability_zones[] {az_name, vcenter_host, vcenter_username,
# vcenter_password, nova_computes[] {vsphere_cluster, service_name, datastore_regex, target_node}}, glance {}.
class NovaComputeEntry(_Fuel):
    vsphere_cluster: Text = fix("the vSphere cluster nova-compute manages")
    service_name: Text = fix("a name like vmcluster1")
    datastore_regex: AnyText = ""
    target_node: Any = fix(f"'{CONTROLLERS}' or the name of a vcenter-compute node")


class AvailabilityZoneEntry(_Fuel):
    az_name: Text = fix("name the vCenter availability zone")
    vcenter_host: Text = fix("the vCenter address")
    vcenter_username: Text = fix("the vCenter user")
    vcenter_password: SecretText = fix("the vCenter password")
    vcenter_insecure: Bool = False  # Fuel 9.0 carries it per zone
    vcenter_ca_file: Any = None  # Fuel 9.1+: {name, content}
    nova_computes: list[NovaComputeEntry] = Field(default_factory=list)


class GlanceEntry(_Fuel):
    datacenter: Any = None


class VmwareAttributes(_Fuel):
    availability_zones: list[AvailabilityZoneEntry] = fix("list the vCenter availability zones")
    glance: GlanceEntry | None = None


class RawConfig(_Section):
    cluster: ClusterSection = fix("describe the environment: mode, net_provider, ...")
    cloud: CloudSection = Field(default_factory=CloudSection)
    hypervisors: HypervisorsSection = Field(default_factory=HypervisorsSection)
    # Fuel's shape, read only when use_vcenter is on (Nailgun answers 400 for it when vCenter is off).
    vmware_attributes: Any = None
    vcenter: VCenterSection = Field(default_factory=VCenterSection)
    nodes: list[NodeEntry] = Field(default_factory=list)
    timeouts: TimeoutsSection = Field(default_factory=TimeoutsSection)
    resource_prefix: Text = "ostf"


TOP_KEYS = tuple(RawConfig.model_fields)
_M = TypeVar("_M", bound=BaseModel)


def _model_in(annotation: Any) -> type[BaseModel] | None:
    """The model (if any) that describes a field's value: inside Annotated, Optional, a list or a union."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    origin = typing.get_origin(annotation)
    if origin is Annotated:
        return _model_in(typing.get_args(annotation)[0])
    if origin in (list, tuple, Union, types.UnionType):
        for arg in typing.get_args(annotation):
            found = _model_in(arg)
            if found is not None:
                return found
    return None


def _field(model: type[BaseModel] | None, key: Any) -> tuple[Any, type[BaseModel] | None]:
    """The FieldInfo of `key` in `model` and the model of its value (None: no model applies)."""
    if model is None or not isinstance(key, str) or key not in model.model_fields:
        return None, None
    info = model.model_fields[key]
    return info, _model_in(info.annotation)


def known_keys(model: type[BaseModel]) -> tuple[str, ...]:
    """The keys a section may hold, in the order docs/cluster-config.md lists them."""
    return tuple(model.model_fields)


# --- pass 1: the raw tree, before anything copies or wraps it -----------------------------------------


def precheck(raw: Any) -> None:
    """Refuse unknown keys, deep nesting, huge trees and non-finite numbers, before secrets are wrapped."""
    if not isinstance(raw, Mapping):
        raise ConfigError("config", f"expected a mapping of sections, got {_show(raw)}")
    count = 0

    def walk(data: Any, path: str, model: type[BaseModel] | None, depth: int) -> None:
        nonlocal count
        count += 1
        if count > MAX_ITEMS:
            raise ConfigError(path or "config", f"more than {MAX_ITEMS} values", "is this a cluster config?")
        if depth > MAX_DEPTH:
            raise ConfigError(path, f"nested deeper than {MAX_DEPTH} levels", "is this a cluster config?")
        if isinstance(data, float) and not math.isfinite(data):
            raise ConfigError(path, f"{data} is not a finite number", "give a plain number")
        if isinstance(data, Mapping):
            closed = model is not None and model.model_config.get("extra") == "forbid"
            for key, value in data.items():
                if closed and key not in model.model_fields:  # type: ignore[union-attr]
                    raise ConfigError(_join(path, str(key)), "unknown key",
                                      f"known: {', '.join(known_keys(model))}")  # type: ignore[arg-type]
                info, sub = _field(model, key)
                # A mapping where only a list belongs (`nodes: {...}`) is pydantic's to refuse, as a whole.
                if isinstance(value, Mapping) and info is not None and _list_only(info):
                    sub = None
                walk(value, _join(path, str(key)), sub, depth + 1)
        elif isinstance(data, list | tuple):
            for i, value in enumerate(data):
                walk(value, _join(path, i), model, depth + 1)  # a list of entries: each is the model

    walk(raw, "", RawConfig, 0)


def _list_only(info: Any) -> bool:
    """Tell whether a field takes a list only (not also one mapping, as a hypervisor's zones do)."""
    return typing.get_origin(info.annotation) is list and not any(
        getattr(m, "func", None) is _one_or_many for m in info.metadata)


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


# --- pass 2: pydantic, its first error as one line --------------------------------------------------------


def _validate(model: type[_M], data: Any, path: str) -> _M:
    """Validate `data` (the raw subtree at `path`) with `model`; its first error becomes one ConfigError."""
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise _one_line(exc, model, data, path) from None


def raw_path(raw: Any, loc: tuple[Any, ...], path: str = "") -> str:
    """The key path of a pydantic error location in the raw data's own terms.

    A list index over a single mapping (`hypervisors.kvm` given as one zone) is dropped, and a node is
    named by its name (`nodes[node-3]`), so the path is the one the user wrote.
    """
    here = raw
    for part in loc:
        if isinstance(part, int):
            if isinstance(here, Mapping):
                continue  # the one-mapping form of a list
            item = here[part] if isinstance(here, list) and part < len(here) else None
            named = path == "nodes" and isinstance(item, Mapping) and isinstance(item.get("name"), str)
            path = f"{path}[{item['name']}]" if named else _join(path, part)  # type: ignore[index]
            here = item
        else:
            path = _join(path, str(part))
            here = here.get(part) if isinstance(here, Mapping) else None
    return path or "config"


def _one_line(exc: ValidationError, model: type[BaseModel], raw: Any, path: str) -> ConfigError:
    err = exc.errors(include_url=False)[0]
    loc = tuple(err["loc"])
    where = raw_path(raw, loc, path)
    # The field the error is about, for its fix.
    info, current = None, model
    for part in loc:
        if isinstance(part, str):
            info, current = _field(current, part)
    field_fix = ((info.json_schema_extra or {}) if info is not None else {}).get("fix")  # type: ignore[union-attr]
    kind, value = err["type"], err.get("input")
    if kind == "fuel_health":
        ctx = err.get("ctx") or {}
        return ConfigError(where, ctx["problem"], field_fix if ctx.get("fix") is None else ctx["fix"] or None)
    if kind == "missing":
        return ConfigError(where, "missing", field_fix)
    if kind == "extra_forbidden":
        parent = model
        for part in loc[:-1]:
            if isinstance(part, str):
                parent = _field(parent, part)[1]  # type: ignore[assignment]
        return ConfigError(where, "unknown key", f"known: {', '.join(known_keys(parent))}" if parent else None)
    if kind in ("list_type", "tuple_type"):
        return ConfigError(where, f"expected a list, got {_show(value)}", field_fix)
    if kind in ("model_type", "dict_type", "model_attributes_type"):
        return ConfigError(where, f"expected a mapping, got {_show(value)}", field_fix)
    return ConfigError(where, " ".join(str(err["msg"]).split()), field_fix)


# --- pass 3: what spans sections -------------------------------------------------------------------------


def build(raw: Mapping[str, Any], source: str = "<dict>") -> ClusterConfig:
    """Validate raw data in the file schema and return the frozen ClusterConfig."""
    precheck(raw)  # first: nothing below may walk a tree that is too big, or wrap an unknown key's value
    raw = wrap_secrets(copy.deepcopy(dict(raw)))
    _check_placeholders(raw, "")
    doc = _validate(RawConfig, raw, "")
    cluster = _cluster(doc.cluster)
    nodes = _nodes(doc.nodes)
    vcenter_zones = _vcenter_zones(doc, raw, cluster, nodes)
    if not PREFIX_RE.match(doc.resource_prefix):
        raise ConfigError("resource_prefix", f"{doc.resource_prefix!r} is not valid",
                          "a letter then letters, digits or _ (no '-'): the cleanup sweep matches on it")
    cloud = _cloud(doc.cloud)
    kvm_zones = _kvm_zones(doc, raw, cluster, nodes)
    _distinct(kvm_zones, vcenter_zones, raw)
    return ClusterConfig(
        cluster=cluster,
        cloud=cloud,
        zones=kvm_zones + vcenter_zones,
        nodes=nodes,
        timeouts=Timeouts(**doc.timeouts.model_dump()),
        resource_prefix=doc.resource_prefix,
        source=source,
        raw=raw,
    )


def _cluster(sec: ClusterSection) -> ClusterInfo:
    if sec.nova_network_mode and sec.net_provider != "nova_network":
        raise ConfigError("cluster.nova_network_mode", f"set, but net_provider is {sec.net_provider}",
                          "remove it or set net_provider: nova_network")
    return ClusterInfo(
        id=sec.id, name=sec.name, release=sec.release, mode=sec.mode, net_provider=sec.net_provider,
        nova_network_mode=sec.nova_network_mode, libvirt_type=sec.libvirt_type, use_vcenter=sec.use_vcenter,
        storage=Storage(**sec.storage.model_dump()), additional_components=sec.additional_components,
    )


def _cloud(sec: CloudSection) -> CloudAccess:
    if sec.clouds_yaml and not sec.name:
        raise ConfigError("cloud.name", "missing", f"name the entry of {sec.clouds_yaml} to use")
    auth: dict[str, Any] | None = None
    if sec.auth is not None:
        auth = {k: v for k, v in sec.auth.model_dump().items() if v is not None}
        warn_plain_http(str(auth["auth_url"]), f"the OpenStack password of {auth['username']}")
    return CloudAccess(
        name=sec.name,
        clouds_yaml=str(Path(sec.clouds_yaml).expanduser()) if sec.clouds_yaml else None,
        auth=auth,
        region=sec.region,
    )


def _nodes(entries: list[NodeEntry]) -> tuple[Node, ...]:
    nodes: list[Node] = []
    for entry in entries:
        label = f"nodes[{entry.name}]"  # errors name the node, not its position
        canonical: list[str] = []
        for role in entry.roles:
            norm = fuel_roles.normalize_role(role)
            if norm is None:
                known = ", ".join(sorted(fuel_roles.KNOWN_ROLES | set(fuel_roles.ALIASES)))
                raise ConfigError(f"{label}.roles", f"node {entry.name} has unknown role {role!r}", f"known: {known}")
            if norm not in canonical:
                canonical.append(norm)
        hostname = entry.hostname or entry.name
        node_roles = tuple(canonical)
        if any(n.name == entry.name for n in nodes):
            raise ConfigError(f"{label}.name", "duplicate node name", "each node needs its own name")
        nodes.append(Node(
            name=entry.name,
            hostname=hostname,
            roles=node_roles,
            host=entry.host or f"ssh://root@{hostname}",  # Fuel's way in: root over ssh from the master
            root=str(Path(entry.root or "/").expanduser()),
            services=entry.services if entry.services is not None else fuel_roles.services_for(node_roles),
        ))
    return tuple(nodes)


def _entry_path(raw: Any, hypervisor: str, index: int) -> str:
    """`hypervisors.kvm` for the one-mapping form, `hypervisors.kvm[1]` for an entry of a list."""
    given = (raw.get("hypervisors") or {}).get(hypervisor) if isinstance(raw, Mapping) else None
    return f"hypervisors.{hypervisor}" + (f"[{index}]" if isinstance(given, list) else "")


def _kvm_zones(doc: RawConfig, raw: Any, cluster: ClusterInfo, nodes: tuple[Node, ...]) -> tuple[Zone, ...]:
    entries = doc.hypervisors.kvm
    computes = [n for n in nodes if n.has_role("compute")]
    if not entries:
        if computes or not cluster.use_vcenter:  # the KVM zone is never guessed
            raise ConfigError("hypervisors.kvm.zone", "missing", _KVM_ZONE_FIX)
        return ()
    zones: list[Zone] = []
    owner: dict[str, str] = {}  # compute hostname -> path of the zone that lists it
    for i, entry in enumerate(entries):
        path = _entry_path(raw, "kvm", i)
        if entry.hosts is None:
            if len(entries) > 1:
                raise ConfigError(f"{path}.hosts", "missing",
                                  "with several KVM zones, list each zone's compute nodes")
            hosts = tuple(n.hostname for n in computes)  # one KVM zone: every compute node is in it
        else:
            hosts = tuple(_compute_host(name, nodes, f"{path}.hosts") for name in entry.hosts)
        for host in hosts:
            if host in owner:
                raise ConfigError(f"{path}.hosts", f"{host} is also in {owner[host]}",
                                  "a compute host is in one availability zone")
            owner[host] = path
        zones.append(Zone(hypervisor="kvm", zone=entry.zone, image=entry.image, flavor=entry.flavor,
                          console_ready=entry.console_ready, console_disks=entry.console_disks, hosts=hosts))
    if len(entries) > 1:
        for node in computes:
            if node.hostname not in owner:
                raise ConfigError(f"nodes[{node.name}]", "a compute node in no KVM zone",
                                  "list it in the hosts of one hypervisors.kvm entry")
    return tuple(zones)


def _compute_host(name: str, nodes: tuple[Node, ...], path: str) -> str:
    if not nodes:  # no node list: the names are nova's host names, as given
        return name
    match = [n for n in nodes if name in (n.name, n.hostname)]
    if not match or not match[0].has_role("compute"):
        known = ", ".join(n.name for n in nodes if n.has_role("compute")) or "none"
        raise ConfigError(path, f"{name!r} is not a compute node", f"compute nodes: {known}")
    return match[0].hostname


def _vcenter_zones(doc: RawConfig, raw: Any, cluster: ClusterInfo, nodes: tuple[Node, ...]) -> tuple[Zone, ...]:
    if not cluster.use_vcenter:
        return ()  # with vCenter off there is no vCenter zone, whatever hypervisors.vcenter says
    if doc.vmware_attributes is None:
        raise ConfigError("vmware_attributes", "missing",
                          "use_vcenter is true: give Fuel's vmware_attributes editable.value")
    attrs = _validate(VmwareAttributes, raw["vmware_attributes"], "vmware_attributes")
    azs = attrs.availability_zones
    if not azs:
        raise ConfigError("vmware_attributes.availability_zones", "empty", "describe the vCenter zones")
    names = [az.az_name for az in azs]
    for j, name in enumerate(names):
        where = f"vmware_attributes.availability_zones[{j}].az_name"
        if not _AZ_NAME_RE.match(name):
            raise ConfigError(where, f"{name!r} is not a valid vCenter zone name",
                              f"Nailgun's rule: {_AZ_NAME_RE.pattern}")
        if name in names[:j]:
            raise ConfigError(where, f"{name!r} twice", "each vCenter availability zone needs its own name")
    chosen: dict[str, tuple[VCenterZoneEntry, str]] = {}  # az_name -> its hypervisors.vcenter entry, path
    for i, entry in enumerate(doc.hypervisors.vcenter):
        path = _entry_path(raw, "vcenter", i)
        name = entry.zone
        if name is None:
            if len(azs) > 1:
                raise ConfigError(f"{path}.zone", "missing", f"vmware_attributes has several zones "
                                                             f"({', '.join(names)}): name the one this entry is for")
            name = names[0]
        if name not in names:
            raise ConfigError(f"{path}.zone", f"{name!r} is no az_name of vmware_attributes",
                              f"there: {', '.join(names)}")
        if name in chosen:
            raise ConfigError(f"{path}.zone", f"{name!r} is described twice", f"see {chosen[name][1]}")
        chosen[name] = (entry, path)
    # The zones the config lists come first, in its order (the first is what single-zone checks use),
    # then the other availability zones in vmware_attributes' order.
    order = list(chosen) + [n for n in names if n not in chosen]
    default_dc = attrs.glance.datacenter if attrs.glance else None
    zones = []
    for name in order:
        j = names.index(name)
        entry, path = chosen.get(name, (VCenterZoneEntry(), "vcenter"))
        vcenter = _vcenter(azs[j], f"vmware_attributes.availability_zones[{j}]", entry, path if name in chosen
                           else None, doc.vcenter, default_dc, nodes)
        zones.append(Zone(hypervisor="vcenter", zone=name, image=entry.image, flavor=entry.flavor, vcenter=vcenter))
    return tuple(zones)


def _vcenter(az: AvailabilityZoneEntry, az_path: str, entry: VCenterZoneEntry, entry_path: str | None,
             common: VCenterSection, default_dc: Any, nodes: tuple[Node, ...]) -> VCenter:
    """One zone's vCenter: vmware_attributes' entry, then the zone's own keys, then the `vcenter` section."""

    def pick(key: str) -> tuple[Any, str]:
        own = getattr(entry, key)
        return (own, f"{entry_path}.{key}") if own is not None and entry_path else (getattr(common, key),
                                                                                   f"vcenter.{key}")

    port, port_path = pick("port")
    port = 443 if port is None else port
    if not 0 < port < 65536:
        raise ConfigError(port_path, f"{port} is not a TCP port", "1-65535; vCenter listens on 443")
    cafile, cafile_path = pick("cafile")
    if cafile is not None:
        cafile = str(Path(cafile).expanduser())
        if not Path(cafile).is_file():
            raise ConfigError(cafile_path, f"{cafile} is not a file",
                              "give the PEM bundle of the CA that signed vCenter's certificate")
    # Fuel 9.1+: vcenter_ca_file is a `file` attribute, {name, content}; {} when none was uploaded
    # (fuel-web 9.1:nailgun/nailgun/db/migration/alembic_migrations/versions/fuel_9_1.py:681).
    ca_file = az.vcenter_ca_file
    if ca_file not in (None, {}, "") and not (isinstance(ca_file, Mapping) and isinstance(
            ca_file.get("content", ""), str)):
        raise ConfigError(f"{az_path}.vcenter_ca_file", f"expected Fuel's file shape {{name, content}}, got "
                                                        f"{_show(ca_file)}", "upload the CA file in Fuel's VMware tab")
    insecure, _ = pick("insecure")
    datacenter, _ = pick("datacenter")
    computes = tuple(NovaCompute(
        vsphere_cluster=nc.vsphere_cluster,
        service_name=nc.service_name,
        datastore_regex=nc.datastore_regex,
        target_node=_target_node(nc.target_node, f"{az_path}.nova_computes[{k}].target_node", nodes),
    ) for k, nc in enumerate(az.nova_computes))
    return VCenter(
        host=az.vcenter_host,
        port=port,
        username=az.vcenter_username,
        password=az.vcenter_password,
        insecure=az.vcenter_insecure if insecure is None else insecure,
        datacenter=datacenter or (str(default_dc) if default_dc else None),
        az_name=az.az_name,
        nova_computes=computes,
        cafile=cafile,
        cadata=(ca_file.get("content") or None) if isinstance(ca_file, Mapping) else None,
    )


def _target_node(value: Any, path: str, nodes: tuple[Node, ...]) -> str:
    fix_ = f"'{CONTROLLERS}' or the name of a vcenter-compute node"
    if isinstance(value, Mapping):  # Nailgun: {current: {id: ..., label: ...}, options: [...]}
        value = (value.get("current") or {}).get("id") if isinstance(value.get("current"), Mapping) else None
    if not isinstance(value, str) or not value:
        raise ConfigError(path, f"expected {fix_}", "Nailgun shape: {current: {id: ...}}")
    if value == CONTROLLERS or not nodes:
        return value
    match = [n for n in nodes if value in (n.name, n.hostname)]
    if not match:
        known = ", ".join(n.name for n in nodes)
        raise ConfigError(path, f"{value!r} is not a node", f"known: {known}; or {fix_}")
    if not match[0].has_role("vcenter-compute"):
        raise ConfigError(path, f"node {value} has no vcenter-compute role",
                          f"give it the role, or target '{CONTROLLERS}'")
    return match[0].name


def _distinct(kvm: tuple[Zone, ...], vcenter: tuple[Zone, ...], raw: Any) -> None:
    """Every zone has its own availability zone name: two hypervisors in one zone is a broken wall."""
    seen: dict[str, str] = {}
    for i, zone in enumerate(kvm):
        path = _entry_path(raw, "kvm", i)
        if zone.zone in seen:
            raise ConfigError(f"{path}.zone", f"{zone.zone!r} is also the zone of {seen[zone.zone]}",
                              "each KVM zone needs its own availability zone")
        seen[zone.zone] = path
    for zone in vcenter:
        if zone.zone in seen:
            entries = (raw.get("hypervisors") or {}).get("vcenter") if isinstance(raw, Mapping) else None
            if isinstance(entries, list):
                index = next((i for i, e in enumerate(entries) if isinstance(e, Mapping)
                              and e.get("zone") == zone.zone), None)
                path = f"hypervisors.vcenter[{index}]" if index is not None else "hypervisors.vcenter"
            else:
                path = "hypervisors.vcenter"
            raise ConfigError(f"{path}.zone", f"{zone.zone!r} is also the KVM zone",
                              "the two hypervisors need distinct availability zones")
