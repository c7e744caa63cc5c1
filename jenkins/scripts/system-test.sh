#!/bin/bash -x
# Builder of the fuel-dualhv-system-test.<group> jobs (jenkins/system-tests.yaml), after fuel-qa's
# utils/jenkins/system_tests.sh (fuel-qa mitaka-eol): a venv with fuel-devops, ENV_NAME and ISO_PATH exported,
# the group run with an xunit report. Jenkins runs it as `/bin/bash -x <tmpfile>` in $WORKSPACE.
# Exit codes are python -m system_tests's: 0 passed -> SUCCESS; anything else -> FAILURE (1 a scenario failed,
# its diagnostic snapshot under reports/system_tests/diagnostics/; 2 unknown group; 3 the backend cannot start).
# KEYSTONE_*/VCENTER_* come from credentials-binding and are read by the runner from the environment.

fail() {
    echo "RESULT: FAILURE: $*"
    exit 3
}

[ -n "${WORKSPACE:-}" ] && cd "$WORKSPACE" || fail "no WORKSPACE to run in"
[ -n "${TEST_GROUP:-}" ] || fail "set the TEST_GROUP parameter"
[ -n "${FUEL_RELEASE:-}" ] || fail "set the FUEL_RELEASE parameter (6.1, 7.0, 8.0 or 9.0)"
if [ -n "${VENV_PATH:-}" ]; then
    [ -f "$VENV_PATH/bin/activate" ] || fail "no virtualenv at VENV_PATH=$VENV_PATH"
    . "$VENV_PATH/bin/activate"
fi
rm -rf reports && mkdir -p reports/system_tests || fail "cannot create $WORKSPACE/reports"
args=(run --group "$TEST_GROUP" --release "$FUEL_RELEASE" --backend fuel --xunit reports/system_tests.xml --reports-dir reports/system_tests)
[ -n "${NAILGUN_URL:-}" ] && args+=(--nailgun-url "$NAILGUN_URL")
[ -n "${ENV_NAME:-}" ] && args+=(--env-name "$ENV_NAME")

if [ "${DRY_RUN:-false}" = true ]; then
    python -m system_tests "${args[@]}" --show-plan 2>&1 | tee reports/system-test.log
    rc=${PIPESTATUS[0]}
    [ "$rc" = 0 ] && echo "RESULT: SUCCESS: dry run: plan of $TEST_GROUP printed" \
        || echo "RESULT: FAILURE: dry run: python -m system_tests exited $rc"
    exit "$rc"
fi

# fuel-qa's system_tests.sh refuses a missing ISO before touching fuel-devops (its NOISOFOUND_ERR).
[ -n "${ISO_PATH:-}" ] && [ -f "$ISO_PATH" ] || fail "no ISO at ISO_PATH='${ISO_PATH:-}'"
# The fuel backend reads OPENSTACK_RELEASE (and the bound KEYSTONE_*/VCENTER_*) from the environment, as fuel-qa.
export ENV_NAME ISO_PATH OPENSTACK_RELEASE NAILGUN_URL VCENTER_IP
python -m system_tests "${args[@]}" 2>&1 | tee reports/system-test.log
rc=${PIPESTATUS[0]}
case "$rc" in
    0) echo "RESULT: SUCCESS: $TEST_GROUP passed" ;;
    1) echo "RESULT: FAILURE: a scenario of $TEST_GROUP failed (diagnostic snapshot archived)" ;;
    *) reason=$(grep -m1 -E '^system_tests: ' reports/system-test.log)
       echo "RESULT: FAILURE: ${reason:-python -m system_tests exited $rc}" ;;
esac
exit "$rc"
