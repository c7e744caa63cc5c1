"""Smoke tests across the two zones (e.g. cross-zone attach must be refused)."""
