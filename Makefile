# The two commands a newcomer needs (see README): `make health` and `make test`.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
LAB    := $(PY) -m devops_envs.local
STAMP  := $(VENV)/.installed

.PHONY: health test test-deps test-libvirt test-multi-vc unit system-tests system-tests-vcenter-first lab-up lab-down lab-status lab-reset lint bench bench-quick clean
# Debian packages only the project's own tests need (the lab installs its own): the adapter's page test
# drives Chromium, its database test starts a private PostgreSQL, its Fuel-master test a private nginx.
TEST_APT := chromium postgresql nginx

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --disable-pip-version-check -U pip
	$(PY) -m pip install -q --disable-pip-version-check -e '.[dev]'
	touch $(STAMP)

# Install everything, start the local lab, run every applicable health check, print the summary.
health: $(STAMP) lab-up
	$(VENV)/bin/fuel-health run

# Everything, as CI runs it, from a fresh dual-hypervisor lab state: the project's own tests (unit, system-test helpers, adapter, lab), the whole
# suite against the local lab, the Jenkins jobs (rendered, their builders run on the lab), the proof of detection (fault matrix), the real KVM zone (test-libvirt), several vCenter zones (test-multi-vc), then the system-test scenario along
# both paths, each resetting the lab: 6.1-8.0 first, then 9.0 (KVM-only grown to dual-hypervisor, as the benchmarks
# found it before), then the benchmarks once in quick mode.
# Under make test a skipped test of ours fails with its reason (root conftest.py): CI must have everything.
test: export FUEL_TESTS_NO_SKIPS := 1
test: $(STAMP) test-deps
	$(LAB) reset
	$(LAB) up --topology dual_hv
	$(VENV)/bin/pytest -p no:cacheprovider tests/unit tests/system tests/adapter tests/lab tests/security
	$(VENV)/bin/fuel-health run
	$(VENV)/bin/pytest -p no:cacheprovider tests/jenkins
	$(VENV)/bin/pytest -p no:cacheprovider tests/detection
	$(MAKE) test-libvirt
	$(MAKE) test-multi-vc
	$(MAKE) system-tests-vcenter-first
	$(MAKE) system-tests
	$(MAKE) bench-quick

# The real KVM zone: a fresh lab whose KVM node runs nova's libvirt driver with QEMU guests and loop-device volumes
# (topology dual_hv_libvirt), the whole suite on it (console checks included), then the fault rows only such a lab
# has (-m libvirt: libvirtd, QEMU, loop devices, a panicking TestVM). About 8 minutes; the next stage resets the lab.
test-libvirt: $(STAMP)
	$(LAB) reset
	$(LAB) up --topology dual_hv_libvirt
	$(VENV)/bin/fuel-health run
	$(VENV)/bin/pytest -p no:cacheprovider tests/detection/test_fault_matrix.py -m libvirt

# Several vCenter zones (issue 14): a fresh multi_vc lab (two vCenter zones, each its own simulator, one with two
# clusters; two KVM hosts; a cinder-vmdk pair per zone), the whole suite on it (a case per host, cluster and zone),
# then the per-unit rows: a broken KVM host, vSphere cluster or zone's vCenter fails its own cases only.
test-multi-vc: $(STAMP)
	$(LAB) reset
	$(LAB) up --topology multi_vc
	$(VENV)/bin/fuel-health run
	$(VENV)/bin/pytest -p no:cacheprovider tests/detection/test_per_unit.py

# Both reset the lab and leave it grown. system-tests: the 9.0 path (KVM only, then vCenter, then the cinder-vmdk
# pair). system-tests-vcenter-first: the 6.1-8.0 path as Fuel 8.0 runs it (vCenter on the controllers from the first
# deploy, then a compute-vmware node with Cluster2); both also run against the strict Nailgun double in tests/system.
system-tests: $(STAMP)
	$(PY) -m system_tests run --group add_cinder_vmdk_ha --backend local --release 9.0 --xunit reports/system_tests.xml

system-tests-vcenter-first: $(STAMP)
	$(PY) -m system_tests run --group add_cinder_vmdk_ha --backend local --release 8.0 \
	  --xunit reports/system_tests_8.0.xml --reports-dir reports/system_tests_8.0

test-deps:
	@missing=""; for p in $(TEST_APT); do dpkg-query -W -f='$${Status}' $$p 2>/dev/null | \
	  grep -q "install ok installed" || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then echo "apt-get install$$missing"; apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends $$missing >/dev/null; fi

unit: $(STAMP)
	$(VENV)/bin/pytest tests/unit

lab-up: $(STAMP)
	$(LAB) up

lab-down: $(STAMP)
	$(LAB) down

lab-status: $(STAMP)
	$(LAB) status

lab-reset: $(STAMP)
	$(LAB) reset

lint: $(STAMP)
	$(VENV)/bin/ruff check .

# Every benchmark on the local lab; results and the summary table in benchmarks/results/ (bench.md). The scale
# part (issue 14) brings a lab of each size up in a network namespace of its own (root; tens of minutes).
bench: $(STAMP) lab-up
	$(PY) -m benchmarks

# Proves the benchmarks work (CI), figures not gated; results in reports/bench/.
bench-quick: $(STAMP) lab-up
	$(PY) -m benchmarks --quick

clean:
	rm -rf $(VENV) reports .pytest_cache
