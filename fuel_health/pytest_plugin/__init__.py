"""The pytest plugin: its hooks, fixtures, parametrization, selection and tags, summary, metrics."""
