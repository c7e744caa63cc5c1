"""Deployment tags: a pure function of the config, and OSTF's tag expressions.

The adapter, `fuel-health list` and pytest collection all ask here whether a test applies, so they
always agree. Expression syntax (OSTF's `Deployment tags:`): `,` is AND, `|` is OR inside one
AND-term, whitespace and case do not matter, an empty expression always matches.
Example: `kvm | qemu, volumes_lvm` = (kvm OR qemu) AND volumes_lvm.
"""

from __future__ import annotations

from collections.abc import Iterable

from fuel_health.config import CONTROLLERS, ClusterConfig


def deployment_tags(cfg: ClusterConfig) -> frozenset[str]:
    """Return the deployment tags of the cluster (OSTF's tags plus the dual-hypervisor ones)."""
    c = cfg.cluster
    tags = {"ha" if c.mode.startswith("ha") else "multinode", c.net_provider, c.libvirt_type}
    if c.net_provider == "nova_network" and c.nova_network_mode:
        tags.add(f"nova_network_{c.nova_network_mode}")
    if c.use_vcenter:
        tags.add("use_vcenter")
    tags.update(k for k, on in vars(c.storage).items() if on)
    tags.update(c.additional_components)
    if c.additional_components:
        tags.add("additional_components")  # the tests_platform set requires it (as in fuel-ostf)

    # What fuel-ostf could not say: which dual-hypervisor roles really exist.
    if cfg.nodes_with_role("compute") or (not c.use_vcenter and cfg.hypervisors.kvm is not None):
        tags.add("kvm_compute")
    kvm = cfg.hypervisors.kvm
    if kvm is not None and kvm.console_ready:
        tags.add("kvm_console")  # the KVM image says on its console that it booted
        if kvm.console_disks:
            tags.add("kvm_console_disks")  # ...and which disks it sees
    if cfg.nodes_with_role("vcenter-compute"):
        tags.add("vcenter_compute_node")
    vmdk = cfg.nodes_with_role("cinder-vmdk")
    if vmdk:
        tags.add("cinder_vmdk_node")
    if len(vmdk) >= 2:
        tags.add("cinder_vmdk_ha")
    if len(cfg.vcenter_zones) >= 2:
        tags.add("multi_vcenter")  # several vCenter zones: volumes refused across them (vCenter with vCenter)
    if cfg.vcenter is not None:
        targets = {nc.target_node for nc in cfg.vcenter.nova_computes}
        if CONTROLLERS in targets:
            tags.add("vcenter_on_controllers")
        if targets - {CONTROLLERS}:
            tags.add("vcenter_on_node")
    return frozenset(tags)


class TagExpressionError(ValueError):
    """A malformed tag expression (e.g. an empty alternative in `a | , b`)."""


def parse(expr: str) -> tuple[frozenset[str], ...]:
    """Parse an expression into AND-terms, each a set of OR-alternatives; raise TagExpressionError."""
    if not expr or not expr.strip():
        return ()
    terms = []
    for term in expr.split(","):
        alternatives = [a.strip().lower() for a in term.split("|")]
        if not all(alternatives):
            raise TagExpressionError(f"empty tag in {expr!r} (use 'a | b, c')")
        if any(" " in a for a in alternatives):
            raise TagExpressionError(f"tags have no spaces: {expr!r} (use ',' for AND and '|' for OR)")
        terms.append(frozenset(alternatives))
    return tuple(terms)


def matches(expr: str, tags: Iterable[str]) -> bool:
    """Tell whether the cluster's tags satisfy the expression."""
    have = {t.lower() for t in tags}
    return all(term & have for term in parse(expr))


def explain(expr: str, tags: Iterable[str]) -> str | None:
    """Return why the expression does not match (None when it does)."""
    have = {t.lower() for t in tags}
    missing = [" | ".join(sorted(term)) if len(term) > 1 else next(iter(term))
               for term in parse(expr) if not term & have]
    if not missing:
        return None
    need = ", ".join(f"one of {m}" if "|" in m else m for m in missing)
    return f"needs {need} (cluster has: {', '.join(sorted(have)) or 'no tags'})"
