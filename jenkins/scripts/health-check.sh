#!/bin/bash -x
# Builder of the fuel-health-<env> jobs (jenkins/health-check.yaml).
#
# Jenkins runs this as `/bin/bash -x <tmpfile>` (a command starting with #! names its interpreter:
# hudson.tasks.Shell#buildCommandLine) in $WORKSPACE, with the job's parameters and the credentials bound by
# the credentials-binding plugin in the environment. The exit code is fuel-health's and Jenkins maps it:
#   0 -> SUCCESS; 1 -> UNSTABLE (the step's unstable-return: 1; the JUnit publisher shows the failed checks);
#   anything else -> FAILURE (3 = cannot run, with its one-line reason on the RESULT line).
# So this script must never exit 1 on its own: its own problems exit 3. No `set -e`/`-u` for that reason.
#
# Secrets are never expanded here: fuel-health reads FUEL_HEALTH_NAILGUN_TOKEN (or
# FUEL_HEALTH_NAILGUN_USERNAME/_PASSWORD) from the environment itself, so they appear on no command line and
# in no line of this trace.

cannot_run() {
    echo "RESULT: FAILURE: cannot run: $*"
    exit 3
}

[ -n "${WORKSPACE:-}" ] && cd "$WORKSPACE" || cannot_run "no WORKSPACE to run in"
command -v fuel-health >/dev/null || cannot_run "fuel-health is not on PATH (install the project on this node)"

reports=reports
rm -rf "$reports" && mkdir -p "$reports" || cannot_run "cannot create $WORKSPACE/$reports"
args=(run --junit "$reports/junit.xml" --allure-dir "$reports/allure")

# The cloud: Nailgun (the job's primary form) or, when CLUSTER_CONFIG is set, a cluster config file.
if [ -n "${CLUSTER_CONFIG:-}" ]; then
    args+=(--config "$CLUSTER_CONFIG")
elif [ -n "${NAILGUN_URL:-}" ] && [ -n "${CLUSTER_ID:-}" ]; then
    args+=(--nailgun-url "$NAILGUN_URL" --cluster-id "$CLUSTER_ID")
else
    cannot_run "set the NAILGUN_URL and CLUSTER_ID parameters (or CLUSTER_CONFIG)"
fi
if [ -n "${TEST_SETS:-}" ]; then
    args+=(--set "$TEST_SETS")
fi
case "${HYPERVISOR:-all}" in
    all | "") ;;
    kvm | vcenter) args+=(--hypervisor "$HYPERVISOR") ;;
    *) cannot_run "HYPERVISOR must be all, kvm or vcenter, not '$HYPERVISOR'" ;;
esac
case "${WORKERS:-}" in
    "") ;;
    auto | [0-9] | [0-9][0-9]) args+=(-n "$WORKERS") ;;
    *) cannot_run "WORKERS must be a number or auto, not '$WORKERS'" ;;
esac

# Both streams into the console and into the archived log; PIPESTATUS keeps fuel-health's own code.
fuel-health "${args[@]}" 2>&1 | tee "$reports/fuel-health.log"
rc=${PIPESTATUS[0]}

case "$rc" in
    0) echo "RESULT: SUCCESS: healthy: every selected check passed" ;;
    1) failed=$(grep -cE '^(FAILED|ERROR) ' "$reports/fuel-health.log")
       echo "RESULT: UNSTABLE: not healthy: $failed check(s) failed (Test Result lists them)" ;;
    3) reason=$(grep -m1 -o 'fuel-health: cannot run: .*' "$reports/fuel-health.log")
       reason=${reason#fuel-health: cannot run: }
       echo "RESULT: FAILURE: cannot run: ${reason:-fuel-health gave no reason (see the log above)}" ;;
    2) echo "RESULT: FAILURE: fuel-health was interrupted or given a wrong option (exit 2)" ;;
    *) echo "RESULT: FAILURE: fuel-health exited $rc" ;;
esac
exit "$rc"
