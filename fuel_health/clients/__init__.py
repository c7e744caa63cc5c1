"""The clients layer: connections to the cloud under test, waiters, request ids, metrics, the run context, cleanup."""
