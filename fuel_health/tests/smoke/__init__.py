"""Functional tests. Duration 3 min - 14 min."""
