"""HA tests. Duration 30 sec - 8 min."""
