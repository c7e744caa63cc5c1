"""Smoke tests of the VMware vCenter availability zone."""
