#!/bin/bash -xe
# Builder of fuel-dualhv-ostf-ci (jenkins/project-ci.yaml): the README's Quick start, in a fresh clone
# ($WORKSPACE) on a clean Debian 12 node. `make test` is what .ci/run runs. Any failure -> FAILURE.
cd "$WORKSPACE"
command -v make >/dev/null || { apt-get update -qq && apt-get install -y -q make; }
make health
make test
