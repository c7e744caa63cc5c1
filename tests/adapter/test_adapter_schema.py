"""Schemathesis against the adapter's OpenAPI schema: nothing a client sends may give a 500.

Bounded: 25 valid and 25 invalid requests per operation (about 350 in all), and `serve --no-execute`, so no
run starts a pytest process (runs are recorded, their tests marked skipped) and nothing touches a cloud.
Half the valid requests are steered to the known cluster (1) and to existing runs, so starting, stopping
and restarting runs are fuzzed too, not only the 404s of random ids.
"""

from __future__ import annotations

import copy
from collections import Counter

import pytest
import requests
import schemathesis
import yaml
from adapter_harness import FAKE_CONFIG
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.errors import Unsatisfiable
from schemathesis.checks import not_a_server_error
from schemathesis.generation import GenerationMode


def _steer(case, how: int):
    items = case.body.get("objects") if isinstance(case.body, dict) else case.body
    if how and isinstance(items, list):
        for n, item in enumerate(i for i in items if isinstance(i, dict)):
            if isinstance(item.get("metadata"), dict):
                item["metadata"]["cluster_id"] = 1
                item["testset"] = ("sanity", "smoke")[n % 2]  # the sets the fake suite has
            if "id" in item:
                item["id"] = n % 3 + 1
            if how == 2:
                item.pop("tests", None)  # all the set's tests, not random ids
    return case


@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE])
def test_no_request_gets_a_server_error(serve, tmp_path, mode):
    raw = copy.deepcopy(FAKE_CONFIG)
    raw["cluster"]["id"] = 1
    config = tmp_path / "cluster-1.yaml"
    config.write_text(yaml.safe_dump(raw))
    server = serve(configs=(config,), args=("--no-execute",))
    schema = schemathesis.openapi.from_url(f"{server.url}/openapi.json")
    session, seen = requests.Session(), Counter()

    for operation in (result.ok() for result in schema.get_all_operations()):
        @given(case=st.builds(_steer, operation.as_strategy(mode), st.integers(0, 2)))
        @settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck), database=None,
                  derandomize=True)
        def check(case):
            resp = case.call_and_validate(session=session, checks=[not_a_server_error])
            seen[f"{case.method} {resp.status_code}"] += 1

        try:
            check()
        except Unsatisfiable:  # an operation without parameters has no invalid request (GET /v1/clusters)
            assert mode == GenerationMode.NEGATIVE
    if mode == GenerationMode.POSITIVE:
        assert seen["POST 200"] and seen["PUT 200"] + seen["PUT 409"], seen  # the steering reached real runs
