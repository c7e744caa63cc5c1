"""Platform services functional tests. Duration 3 min - 60 min."""
