"""The lab's vCenter simulator: build it, start it with lab-like flags and check it the way clients see it.

No OpenStack is needed. The binary is built into ``$FUEL_LAB_HOME/vcsim`` (the lab's own build directory,
so a built lab makes this fast: the build is skipped when up to date) and started on 127.0.0.1:18992.
"""

import importlib.util
import os
import shutil
import ssl
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from types import ModuleType

import pytest
from helpers import first_line

REPO = Path(__file__).resolve().parents[2]
PORT = 18992
USER, PASSWORD = "lab", "s3cret"
DATACENTER, CLUSTER, DATASTORES = "LabDatacenter", "LabCluster", ("lab-ds1", "lab-ds2")
MODEL_UUID = "dbed6e0c-bd88-4ef6-b594-21283e1c677f"  # govmomi simulator/vpx/service_content.go InstanceUuid
SECOND_UUID = "4e74da87-d114-5c8b-93e3-811098482081"
WSDL_TEXT = '<?xml version="1.0"?>\n<definitions name="stand-in for the generated vimService.wsdl"/>\n'
START_TIMEOUT = 10.0


def _load_vcsim_build() -> ModuleType:
    """devops_envs/local/vcsim_build.py by file path: it is stdlib-only and needs no installed package."""
    path = REPO / "devops_envs" / "local" / "vcsim_build.py"
    spec = importlib.util.spec_from_file_location("vcsim_build_under_test", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


vcsim_build = _load_vcsim_build()

needs_go = pytest.mark.skipif(
    shutil.which("go") is None or not vcsim_build.GOVMOMI_SRC.is_dir(),
    reason=f"Go toolchain or Debian's govmomi source missing ({vcsim_build.INSTALL_HINT})",
)


def _ssl_context() -> ssl.SSLContext:
    """The simulator has a self-signed certificate: no verification (what the lab's clients do too)."""
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    return ctx


# --------------------------------------------------------------------------------------------------------
# fixtures
# --------------------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def vcsimd() -> Path:
    """The simulator binary, built (or found up to date) in the lab's build directory."""
    return vcsim_build.build_vcsim(vcsim_build.SRC_DIR, vcsim_build.default_home() / "vcsim")


@pytest.fixture(scope="module")
def wsdl_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A stand-in WSDL directory: what is checked here is the serving, not VMware's WSDL itself."""
    d = tmp_path_factory.mktemp("wsdl")
    (d / "vimService.wsdl").write_text(WSDL_TEXT)
    return d


@pytest.fixture(scope="module")
def simulator(vcsimd: Path, wsdl_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A running simulator with lab-like flags; yields the URL it printed. Killed at teardown."""
    err = tmp_path_factory.mktemp("vcsimd") / "stderr.log"
    cmd = [
        str(vcsimd), "-l", f"127.0.0.1:{PORT}", "-user", USER, "-pass", PASSWORD,
        "-datacenter", DATACENTER, "-cluster", CLUSTER, "-datastores", ",".join(DATASTORES),
        "-wsdl-dir", str(wsdl_dir),
    ]  # fmt: skip
    with err.open("w") as err_file:
        proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=err_file, text=True)
    try:
        line = first_line(proc, START_TIMEOUT)
        if not line or not line.startswith("ready "):
            proc.kill()
            proc.wait()
            stderr = err.read_text()[-2000:]
            pytest.fail(f"vcsimd did not get ready (exit {proc.returncode}): {line!r} {stderr}")
        yield line.split(None, 1)[1].strip()
    finally:
        if proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        if proc.stdout is not None:
            proc.stdout.close()


@pytest.fixture(scope="module")
def pyvmomi() -> ModuleType:
    return pytest.importorskip("pyVmomi", reason="pyvmomi (a project dependency) is not installed")


@pytest.fixture(scope="module")
def content(simulator: str, pyvmomi: ModuleType) -> Iterator[object]:
    """The service content of a pyvmomi session logged in with the right credentials."""
    from pyVim.connect import Disconnect, SmartConnect

    si = SmartConnect(host="127.0.0.1", port=PORT, user=USER, pwd=PASSWORD, sslContext=_ssl_context())
    try:
        yield si.RetrieveContent()
    finally:
        Disconnect(si)


# --------------------------------------------------------------------------------------------------------
# the running simulator
# --------------------------------------------------------------------------------------------------------


@needs_go
def test_ready_line_names_the_sdk_url_without_credentials(simulator: str) -> None:
    assert simulator == f"https://127.0.0.1:{PORT}/sdk"


@needs_go
def test_login_with_the_flag_credentials(content) -> None:
    assert content.about.apiType == "VirtualCenter"
    assert content.sessionManager.currentSession.userName == USER


@needs_go
@pytest.mark.parametrize("user,password", [(USER, "wrong"), ("someone", PASSWORD), (USER, "")])
def test_wrong_credentials_are_refused(simulator: str, pyvmomi: ModuleType, user: str, password: str) -> None:
    from pyVim.connect import SmartConnect

    with pytest.raises(pyvmomi.vim.fault.InvalidLogin):
        SmartConnect(host="127.0.0.1", port=PORT, user=user, pwd=password, sslContext=_ssl_context())


@needs_go
def test_inventory_names_come_from_the_flags(content, pyvmomi: ModuleType) -> None:
    vim = pyvmomi.vim
    (dc,) = content.rootFolder.childEntity
    assert dc.name == DATACENTER
    (cluster,) = dc.hostFolder.childEntity  # no standalone host: its ComputeResource would be listed here
    assert isinstance(cluster, vim.ClusterComputeResource)
    assert cluster.name == CLUSTER
    assert [h.name for h in cluster.host] == ["127.0.0.1"]
    assert cluster.host[0].summary.config.name == "127.0.0.1"


@needs_go
def test_datastores_are_vmfs_and_mounted_on_the_host(content) -> None:
    (dc,) = content.rootFolder.childEntity
    types = {ds.name: ds.summary.type for ds in dc.datastore}
    assert set(DATASTORES) <= set(types)
    assert set(types.values()) == {"VMFS"}
    host = dc.hostFolder.childEntity[0].host[0]
    assert set(DATASTORES) <= {ds.name for ds in host.datastore}


@needs_go
def test_wsdl_is_served_under_sdk(simulator: str) -> None:
    base = f"https://127.0.0.1:{PORT}/sdk/"
    with urllib.request.urlopen(base + "vimService.wsdl", context=_ssl_context(), timeout=5) as r:
        assert r.status == 200
        assert r.read().decode() == WSDL_TEXT
    with pytest.raises(urllib.error.HTTPError) as e:
        urllib.request.urlopen(base + "absent.wsdl", context=_ssl_context(), timeout=5)
    assert e.value.code == 404


@needs_go
def test_added_methods_and_task_entity_fix(content, pyvmomi: ModuleType) -> None:
    """ExtensionManager, FindAllByUuid and ExtendVirtualDisk_Task exist; the disk manager's task has no
    entity (pyvmomi 9 cannot read a TaskInfo whose entity is not a ManagedEntity)."""
    vim = pyvmomi.vim
    em = content.extensionManager
    key = "org.example.vcsim-test"
    assert em.FindExtension(key) is None
    em.RegisterExtension(
        vim.Extension(
            key=key, version="1.0", company="lab", description=vim.Description(label="t", summary="t"),
            lastHeartbeatTime=datetime.now(UTC),
        )
    )  # fmt: skip
    assert em.FindExtension(key).key == key
    em.UnregisterExtension(key)
    assert em.FindExtension(key) is None

    found = content.searchIndex.FindAllByUuid(uuid="no-such-uuid", vmSearch=True, instanceUuid=True)
    assert list(found) == []

    (dc,) = content.rootFolder.childEntity
    task = content.virtualDiskManager.ExtendVirtualDisk_Task(
        name=f"[{DATASTORES[0]}] absent/absent.vmdk", datacenter=dc, newCapacityKb=2048
    )
    deadline = time.monotonic() + 5
    while task.info.state in ("queued", "running") and time.monotonic() < deadline:
        time.sleep(0.05)
    assert task.info.state == "error"
    assert isinstance(task.info.error, vim.fault.FileNotFound)
    assert task.info.entity is None


@pytest.fixture(scope="module")
def two_clusters(vcsimd: Path, wsdl_dir: Path, pyvmomi: ModuleType) -> Iterator[object]:
    """A second simulator serving two clusters (the lab's 6.1-8.0 path); yields a logged-in service content."""
    from pyVim.connect import Disconnect, SmartConnect

    cmd = [
        str(vcsimd), "-l", f"127.0.0.1:{PORT + 1}", "-user", USER, "-pass", PASSWORD, "-datacenter", DATACENTER,
        "-cluster", f"{CLUSTER},{CLUSTER}2", "-datastores", ",".join(DATASTORES), "-wsdl-dir", str(wsdl_dir),
        "-instance-uuid", SECOND_UUID,
    ]  # fmt: skip
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        line = first_line(proc, START_TIMEOUT)
        assert line and line.startswith("ready "), f"vcsimd -cluster a,b did not get ready: {line!r}"
        si = SmartConnect(host="127.0.0.1", port=PORT + 1, user=USER, pwd=PASSWORD, sslContext=_ssl_context())
        try:
            yield si.RetrieveContent()
        finally:
            Disconnect(si)
    finally:
        proc.kill()
        proc.wait()
        if proc.stdout is not None:
            proc.stdout.close()


@needs_go
def test_several_clusters_each_with_a_host_and_every_datastore(two_clusters, pyvmomi: ModuleType) -> None:
    """The first cluster is the model's own (its moref as with one cluster), the others follow in flag order; the
    datastores are shared: each cluster and host lists all of them, and each datastore lists every host's mount."""
    (dc,) = two_clusters.rootFolder.childEntity
    clusters = dc.hostFolder.childEntity
    assert [c.name for c in clusters] == [CLUSTER, f"{CLUSTER}2"]
    every = {ds.name for ds in dc.datastore}
    assert set(DATASTORES) < every  # and the model's LocalDS_0
    for cluster in clusters:
        (host,) = cluster.host
        assert (host.name, host.runtime.connectionState) == ("127.0.0.1", "connected")
        assert {ds.name for ds in cluster.datastore} == every == {ds.name for ds in host.datastore}
    assert len({c.host[0].summary.hardware.uuid for c in clusters}) == 2
    for ds in dc.datastore:
        assert {m.key for m in ds.host} == {c.host[0] for c in clusters}
    assert all(ds.summary.type == "VMFS" for ds in dc.datastore)


@needs_go
def test_a_vm_of_the_second_cluster_lands_there_on_a_shared_datastore(two_clusters, pyvmomi: ModuleType) -> None:
    """What nova's VMware driver does for Cluster2: create the VM in that cluster's resource pool on a datastore
    its host mounts (the simulator refuses a datastore the host does not list)."""
    vim = pyvmomi.vim
    (dc,) = two_clusters.rootFolder.childEntity
    second = dc.hostFolder.childEntity[1]
    spec = vim.vm.ConfigSpec(name="vm-in-cluster2", guestId="otherGuest",
                             files=vim.vm.FileInfo(vmPathName=f"[{DATASTORES[0]}]"))
    task = dc.vmFolder.CreateVM_Task(config=spec, pool=second.resourcePool)
    deadline = time.monotonic() + 5
    while task.info.state in ("queued", "running") and time.monotonic() < deadline:
        time.sleep(0.05)
    assert task.info.state == "success", task.info.error
    vm = task.info.result
    assert vm.runtime.host.parent.name == second.name
    assert [ds.name for ds in vm.datastore] == [DATASTORES[0]]


@needs_go
def test_each_simulator_can_have_its_own_instance_uuid(content, two_clusters) -> None:
    """nova's VMware node is <cluster moref>.<instance uuid>: the lab's second vCenter zone needs a uuid of its own
    (its first cluster has the same moref), else its nova-compute's placement provider clashes with the first's."""
    assert content.about.instanceUuid == MODEL_UUID  # without the flag: the model's, as before
    assert two_clusters.about.instanceUuid == SECOND_UUID


@needs_go
def test_instance_uuid_is_checked(vcsimd: Path) -> None:
    cmd = [str(vcsimd), "-l", "127.0.0.1:0", "-user", USER, "-pass", PASSWORD, "-instance-uuid", "vcenter2"]
    proc = subprocess.run(cmd, capture_output=True, text=True)
    assert (proc.returncode, proc.stderr.strip()) == (
        2, 'vcsimd: -instance-uuid "vcenter2" is not a uuid (8-4-4-4-12 hex digits)')


@needs_go
def test_cluster_names_are_checked(vcsimd: Path) -> None:
    for value, message in (("", "-cluster must name at least one cluster"),
                           ("A,A", 'bad or repeated cluster name "A"'), ("A/B", 'bad or repeated cluster name "A/B"')):
        cmd = [str(vcsimd), "-l", "127.0.0.1:0", "-user", USER, "-pass", PASSWORD, "-cluster", value]
        proc = subprocess.run(cmd, capture_output=True, text=True)
        assert (proc.returncode, proc.stderr.strip()) == (2, f"vcsimd: {message}")


@needs_go
def test_credentials_are_required(vcsimd: Path) -> None:
    proc = subprocess.run([str(vcsimd), "-l", "127.0.0.1:0", "-user", USER], capture_output=True, text=True)
    assert proc.returncode == 2
    assert "-user and -pass (or $VCSIM_PASSWORD) are required" in proc.stderr


# --------------------------------------------------------------------------------------------------------
# the build and WSDL helpers
# --------------------------------------------------------------------------------------------------------


@needs_go
def test_build_is_skipped_when_up_to_date(vcsimd: Path) -> None:
    before = vcsimd.stat().st_mtime_ns
    started = time.monotonic()
    again = vcsim_build.build_vcsim(vcsim_build.SRC_DIR, vcsimd.parent.parent)
    assert again == vcsimd
    assert vcsimd.stat().st_mtime_ns == before
    assert time.monotonic() - started < 5


def test_a_changed_source_rebuilds_even_with_an_older_mtime(tmp_path: Path) -> None:
    """The stamp holds our sources' contents: a change that kept an old mtime (a copy with -p, a checkout of
    an older file) is still seen. `true` stands in for go: only `go version` is run."""
    src = tmp_path / "src"
    shutil.copytree(vcsim_build.SRC_DIR, src)
    binary, stamp = tmp_path / "bin" / "vcsimd", tmp_path / "bin" / "vcsimd.stamp"
    binary.parent.mkdir()
    binary.write_text("built")
    before = vcsim_build._toolchain_fingerprint("true", src)
    stamp.write_text(before + "\n")
    assert vcsim_build._up_to_date(binary, stamp, vcsim_build._sources(src), before)

    main = src / "main.go"
    old = main.stat()
    main.write_text(main.read_text() + "// changed\n")
    os.utime(main, ns=(old.st_atime_ns, old.st_mtime_ns))
    after = vcsim_build._toolchain_fingerprint("true", src)
    assert after != before
    assert not vcsim_build._up_to_date(binary, stamp, vcsim_build._sources(src), after)


def test_patched_files_lists_the_targets_of_our_patches() -> None:
    patches = sorted((vcsim_build.SRC_DIR / "patches").glob("*.patch"))
    assert len(patches) == 8
    targets = {f for p in patches for f in vcsim_build.patched_files(p)}
    assert "simulator/property_collector.go" in targets
    if vcsim_build.GOVMOMI_SRC.is_dir():  # every patch targets an existing file of Debian's govmomi
        assert all((vcsim_build.GOVMOMI_SRC / f).is_file() for f in targets)


def _schema(*types: str) -> str:
    return '<schema>\n<include schemaLocation="core-types.xsd" />\n' + "".join(types) + "</schema>\n"


def _type(name: str, ref: str | None = None) -> str:
    body = f'      <element name="x" type="vim25:{ref}" />\n' if ref else ""
    return f'   <complexType name="{name}">\n{body}   </complexType>\n'


def test_merge_wsdl_adds_back_types_the_old_messages_still_need() -> None:
    old = dict.fromkeys(vcsim_build.OLD_WSDL_FILES, "<definitions/>\n")
    old["vim-messagetypes.xsd"] = _schema(_type("GoneRequestType", "Gone"))
    old["vim-types.xsd"] = _schema(_type("Kept"), _type("Gone", "GoneToo"), _type("GoneToo"), _type("Unused"))
    old["query-types.xsd"] = _schema()
    new = dict.fromkeys(vcsim_build.NEW_WSDL_FILES, _schema())
    new["vim-types.xsd"] = _schema(_type("Kept", "Kept"))

    files, added = vcsim_build.merge_wsdl(old, new)

    assert sorted(added) == ["Gone", "GoneToo"]
    assert set(files) == set(vcsim_build.OLD_WSDL_FILES) | set(vcsim_build.NEW_WSDL_FILES)
    vim_types = files["vim-types.xsd"]
    assert vim_types.count('complexType name="Kept"') == 1  # the new definition, not the old one
    assert 'complexType name="Gone"' in vim_types and 'complexType name="GoneToo"' in vim_types
    assert "Unused" not in vim_types
    assert vim_types.rstrip().endswith("</schema>")


def test_make_wsdl_is_skipped_when_generated(tmp_path: Path) -> None:
    out = tmp_path / "wsdl"
    out.mkdir()
    (out / "vimService.wsdl").write_text(WSDL_TEXT)
    # neither the venv's python nor PyPI is touched when the WSDL is already there
    assert vcsim_build.make_wsdl(tmp_path / "no-python", out, tmp_path / "cache") == out
    assert not (tmp_path / "cache").exists()


def test_module_needs_nothing_but_the_standard_library() -> None:
    code = (
        "import sys; sys.path.insert(0, sys.argv[1]); import devops_envs.local.vcsim_build; "
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('fuel_health', 'yaml', 'pytest')))"
    )
    out = subprocess.run([sys.executable, "-c", code, str(REPO)], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
