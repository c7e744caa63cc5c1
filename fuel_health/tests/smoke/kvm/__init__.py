"""Smoke tests of the KVM/QEMU availability zone."""
