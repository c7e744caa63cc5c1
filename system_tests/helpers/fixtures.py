"""fixtures/ for the system tests: fuel_health.fixture_data, the one reader of fixtures/ (nothing is read here).

RELEASES are the releases with rules; DEFAULT_RELEASE, the newest, is the one the lab stands for.
"""

from __future__ import annotations

from fuel_health.fixture_data import (
    FIXTURES,
    canonical_role,
    cluster_template,
    fill,
    fuel_role,
    merge_settings,
    newest_release,
    nodes_of,
    release_role,
    release_rules,
    releases,
    role,
    roles_metadata,
    scale_step,
    scenario_refusal,
    vmware_template,
)

RELEASES = releases()
DEFAULT_RELEASE = newest_release()

__all__ = ["DEFAULT_RELEASE", "FIXTURES", "RELEASES", "canonical_role", "cluster_template", "fill", "fuel_role",
           "merge_settings", "nodes_of", "release_role", "release_rules", "role", "roles_metadata", "scale_step",
           "scenario_refusal", "vmware_template"]
