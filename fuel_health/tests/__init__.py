"""The suite's test sets: one package per OSTF test set (sanity, smoke, ha, tests_platform, configuration)."""
