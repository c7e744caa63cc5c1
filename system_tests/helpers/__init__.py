"""Deployment helpers: one interface (deployment.py), two backends (fuel.py, local.py), shared checks."""
