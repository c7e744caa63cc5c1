"""Configuration tests. Duration 30 sec - 2 min."""
