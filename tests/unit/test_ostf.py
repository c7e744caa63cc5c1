"""OSTF metadata, discovery on a sample suite, StepFailed and the step runner."""

from __future__ import annotations

import pickle

import pytest

from fuel_health.pytest_plugin import ostf
from fuel_health.pytest_plugin.ostf import OstfMetadataError, StepFailed, StepRunner


def declare(module: str = "pkg.tests.smoke.kvm.test_x", **kw):
    """Decorate a fresh function as if it lived in `module`."""
    kw.setdefault("title", "A check")
    kw.setdefault("steps", ["First", "Second"])

    def test_sample(ctx, step):
        """Proves a thing.

        In detail.
        """

    test_sample.__module__ = module
    return ostf.scenario(**kw)(test_sample)


def test_metadata_is_stored_with_a_stable_id_and_markers():
    fn = declare(tags="kvm | qemu, volumes_lvm", duration="40 s", since="6.1")
    meta = ostf.meta_of(fn)
    assert meta == ostf.TestMeta(
        id="pkg.tests.smoke.kvm.test_x.test_sample", title="A check", description="Proves a thing.\n\nIn detail.",
        steps=("First", "Second"), tags="kvm | qemu, volumes_lvm", duration="40 s", hypervisor="kvm",
        test_set="smoke", since="6.1")
    assert {m.name for m in fn.pytestmark} == {"ostf", "smoke", "hypervisor_kvm"}
    assert meta.priority == 2


def test_explicit_hypervisor_wins_and_cross_zone_means_both():
    assert ostf.meta_of(declare("p.tests.configuration.test_c", hypervisor="vcenter")).hypervisor == "vcenter"
    assert ostf.meta_of(declare("p.tests.smoke.cross_zone.test_c")).hypervisor == "both"
    assert ostf.meta_of(declare("p.tests.sanity.test_c")).hypervisor is None


@pytest.mark.parametrize(("kw", "module", "message"), [
    ({"steps": []}, "p.smoke.t", "steps must be a non-empty list"),
    ({"title": " "}, "p.smoke.t", "empty title"),
    ({"tags": "kvm |, qemu"}, "p.smoke.t", "empty tag"),
    ({"hypervisor": "xen"}, "p.smoke.t", "hypervisor 'xen' is not one of kvm, vcenter, both"),
    ({"since": "liberty"}, "p.smoke.t", "since='liberty' is not a Fuel version"),
    ({}, "p.misc.t", "module is not under a test set package"),
])
def test_bad_metadata_fails_at_import_naming_the_test(kw, module, message):
    with pytest.raises(OstfMetadataError, match=message) as err:
        declare(module, **kw)
    assert str(err.value).startswith(f"{module}.test_sample: ")


def test_a_step_number_beyond_the_scenario_fails_at_import():
    def test_steps(step):
        with step(1):
            pass
        with step(3):
            pass

    test_steps.__module__ = "p.smoke.t"
    with pytest.raises(OstfMetadataError, match=r"^p.smoke.t.test_steps: step\(3\) but the scenario lists 2 steps"):
        ostf.scenario(title="t", steps=["a", "b"])(test_steps)


# --- discovery ---


def test_discover_reads_the_sample_suite_in_ostf_order(sample_suite):
    metas = ostf.discover(sample_suite)

    assert [(m.test_set, m.id.removeprefix("ostf_sample.")) for m in metas] == [
        ("sanity", "sanity.test_api.test_keystone"),
        ("smoke", "smoke.cross_zone.test_attach.test_cross_zone_attach_refused"),
        ("smoke", "smoke.kvm.test_boot.test_boot_and_attach"),
        ("smoke", "smoke.vcenter.test_boot.test_boot"),
        ("smoke", "smoke.vcenter.test_boot.test_attach_vmdk"),
        ("ha", "ha.test_pacemaker.test_pacemaker"),
        ("configuration", "configuration.test_nova_conf.test_vmware_driver"),
    ]
    boot = metas[2]
    assert (boot.hypervisor, boot.tags, boot.duration) == ("kvm", "kvm | qemu, volumes_lvm", "40 s")
    assert boot.description == "Checks that the KVM zone runs an instance with a volume."
    assert boot.step_title(3) == "Attach the volume"


def test_discover_the_real_suite_imports_cleanly():
    assert all(m.id.startswith("fuel_health.tests.") for m in ostf.discover())


def test_test_sets_are_ostfs():
    assert [(s.id, s.priority) for s in ostf.TEST_SETS.values()] == [
        ("sanity", 1), ("smoke", 2), ("ha", 3), ("tests_platform", 4), ("configuration", 6)]


# --- steps ---


def test_step_failed_message_and_number():
    err = StepFailed(3, "Attach the volume: HTTP 400")
    assert str(err) == "Step 3 failed: Attach the volume: HTTP 400"
    assert err.step == 3 and isinstance(err, AssertionError)
    assert ostf.STEP_MESSAGE_RE.match(str(err)).group(1) == "3"
    again = pickle.loads(pickle.dumps(err))  # xdist ships exceptions between processes
    assert (again.step, str(again)) == (3, str(err))


@pytest.fixture
def step():
    return StepRunner(ostf.meta_of(declare(steps=["Boot an instance", "Attach a volume"])))


def test_a_failure_inside_a_step_is_numbered_with_the_step_title(step):
    with pytest.raises(StepFailed) as err, step(2):
        raise RuntimeError("Invalid volume:\n not in the same availability_zone")
    assert str(err.value) == ("Step 2 failed: Attach a volume: RuntimeError: Invalid volume: not in the same "
                              "availability_zone")
    assert isinstance(err.value.__cause__, RuntimeError)
    assert step.current == 2


def test_assertions_keep_their_own_first_line(step):
    with pytest.raises(StepFailed, match=r"^Step 1 failed: Boot an instance: server went to ERROR$"), step(1):
        raise AssertionError("server went to ERROR\nmore detail")
    with pytest.raises(StepFailed, match=r"^Step 1 failed: Boot an instance: gave up$"), step(1):
        pytest.fail("gave up")


def test_an_already_numbered_failure_is_kept(step):
    with pytest.raises(StepFailed) as err, step(2), step(1):
        raise ValueError("inner")
    assert err.value.step == 1


@pytest.mark.parametrize("exc", [KeyboardInterrupt(), pytest.skip.Exception("no vCenter")])
def test_skips_and_interrupts_pass_through(step, exc):
    with pytest.raises(type(exc)), step(1):
        raise exc


def test_a_step_outside_the_scenario_is_a_clear_error(step):
    with pytest.raises(OstfMetadataError, match=r"step\(5\) but the scenario lists 2 steps"):
        step(5)
