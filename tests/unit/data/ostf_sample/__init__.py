"""A tiny suite in the shape of fuel_health.tests, for discovery and CLI tests."""
