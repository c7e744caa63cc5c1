"""The scale benchmark's steps (issue 14) are labs the lab itself accepts, with exactly the clusters and hosts
their ids say (benchmarks/scale.py; measuring them brings real labs up, in `make bench` only)."""

from __future__ import annotations

import pytest

from benchmarks import scale
from devops_envs.local import topology


@pytest.mark.parametrize("step", scale.STEPS, ids=scale.step_id)
def test_each_step_is_a_valid_lab_of_its_size(step):
    zones, clusters, kvm = step
    topo = topology.from_dict(scale.topology(step), where=scale.step_id(step))

    assert len(topo.nodes_with("compute")) == kvm
    assert len(topo.az_names) == zones
    assert [len(topo.zone_computes(az)) for az in topo.az_names] == [clusters] * zones
    assert len(topo.nodes_with("vcenter-compute")) == zones * clusters
    assert len(topo.nodes_with("cinder-vmdk")) == 2


def test_the_steps_cover_the_issues_table_and_its_target():
    assert {s[0] * s[1] for s in scale.STEPS if s[2] == 1} == {1, 2, 4, 8}
    assert {s[2] for s in scale.STEPS if s[:2] == (1, 1)} == {1, 2, 4}
    assert scale.TARGET in scale.STEPS and scale.STEPS[0] == (1, 1, 1)  # the ratio's base comes first


def test_a_step_is_read_as_zones_x_clusters_plus_kvm_hosts():
    assert scale.parse_step("2x2+4") == (2, 2, 4)
    with pytest.raises(SystemExit, match="ZONESxCLUSTERS\\+KVM"):
        scale.parse_step("2+4")
    with pytest.raises(SystemExit, match="at least 1"):
        scale.parse_step("0x1+1")


def test_the_ratio_is_to_the_one_plus_one_step_and_missing_steps_are_named():
    rest = {"up_s": 60.0, "runs_s": [], "tests": 50, "failed": [], "load_1min": []}
    rows = [{"step": "1x1+1", "vcenter_zones": 1, "clusters": 1, "kvm_hosts": 1, "wall_s": 20.0, "api_calls": 400,
             **rest},
            {"step": "2x2+4", "vcenter_zones": 2, "clusters": 4, "kvm_hosts": 4, "wall_s": 31.0, "api_calls": 900,
             **rest}]
    f = scale.with_ratios(rows)

    assert (rows[1]["wall_ratio"], rows[1]["api_ratio"]) == (1.55, 2.25)
    assert f["target"]["ratio"] == 1.55
    assert f["not_measured"] == ["1x2+1", "1x4+1", "1x8+1", "1x1+2", "1x1+4"]
    assert "NOT met" in scale.table(f)
