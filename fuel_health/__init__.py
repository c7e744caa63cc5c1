"""OSTF health checks for dual-hypervisor (KVM/QEMU + VMware vCenter) OpenStack clouds deployed by Fuel."""

__version__ = "0.1.0"
