"""Build the local lab's vCenter simulator and generate the vim WSDL it serves.

The simulator (``vcsimd``) is a small Go main of our own (``vcsim/main.go``, ``vcsim/extend.go``) over the
``simulator`` package of govmomi 0.24.2 as Debian ships it (``golang-github-vmware-govmomi-dev``), with the
fixes in ``vcsim/patches/*.patch`` applied at build time. It is built offline in GOPATH mode: nothing is
fetched, and Debian's source tree is never modified (the build works on a symlink overlay of it).

oslo.vmware (nova's and cinder's VMware drivers) reads the vim WSDL from ``https://<vc>/sdk/vimService.wsdl``,
which the simulator does not have. :func:`make_wsdl` generates one at install time from the vSphere 5.x
WSDL inside the PyPI sdist ``infi.pyvisdk`` merged with the 8.0 types that oslo.vmware ships. VMware's WSDL
files are generated into the lab's home only and are never committed.

Only the standard library is used, so this runs before any lab venv exists. Try it by hand with
``python -m devops_envs.local.vcsim_build build|wsdl``.
"""

import argparse
import contextlib
import fcntl
import hashlib
import os
import re
import shutil
import subprocess
import sys
import tarfile
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any, TextIO

#: Debian's govmomi source tree (golang-github-vmware-govmomi-dev) and the GOPATH entry holding it.
GOCODE = Path("/usr/share/gocode")
GOVMOMI_IMPORT_PATH = "github.com/vmware/govmomi"
GOVMOMI_SRC = GOCODE / "src" / GOVMOMI_IMPORT_PATH
INSTALL_HINT = "apt-get install golang-go golang-github-vmware-govmomi-dev"

#: The Go sources of the simulator shipped with the repository (main.go, extend.go, patches/).
SRC_DIR = Path(__file__).resolve().parent / "vcsim"
BINARY_NAME = "vcsimd"
#: GOPATH package name the main is copied to inside the build directory.
GO_PACKAGE = "vcsimd"
GO_BUILD_TIMEOUT = 1800

#: The PyPI sdist holding a vSphere 5.x WSDL set (pyvisdk/wsdl/) and what is taken from it.
PYVISDK_REQUIREMENT = "infi.pyvisdk==0.9.45"
PYVISDK_SDIST_PREFIX = "infi.pyvisdk-0.9.45"
PYVISDK_WSDL_DIR = "pyvisdk/wsdl/"
#: Files taken as they are from the 5.x set: the service definition and its message types.
OLD_WSDL_FILES = (
    "vim.wsdl",
    "vimService.wsdl",
    "vim-messagetypes.xsd",
    "query-messagetypes.xsd",
    "reflect-messagetypes.xsd",
    "cli-types.xsd",
)
#: Files taken from oslo.vmware's wsdl/8.0 (the current data types).
NEW_WSDL_FILES = ("core-types.xsd", "query-types.xsd", "reflect-types.xsd", "vim-types.xsd")
#: 5.x type files whose definitions are added back when the 5.x message types still need them.
OLD_TYPE_FILES = ("vim-types.xsd", "query-types.xsd")

#: A top-level type definition of VMware's schema files (indented by 3 spaces, closed at the same depth).
_TYPE_BLOCK = re.compile(r'   <(complexType|simpleType) name="([^"]+)".*?\n   </\1>\n', re.S)
#: Names a file defines (types and elements: a name defined either way is not copied back).
_TYPE_NAME = re.compile(r'<(?:complexType|simpleType|element) name="([^"]+)"')
#: Names of the vim25 namespace a file refers to.
_TYPE_REF = re.compile(r'(?:type|base)="vim25:([^"]+)"')


def default_home() -> Path:
    """The lab's home directory: ``$FUEL_LAB_HOME`` or ``~/.local/share/fuel-dualhv-lab``."""
    return Path(os.environ.get("FUEL_LAB_HOME") or Path.home() / ".local/share/fuel-dualhv-lab")


def binary_path(build_dir: Path) -> Path:
    """Where :func:`build_vcsim` puts the simulator binary."""
    return build_dir / "bin" / BINARY_NAME


# --------------------------------------------------------------------------------------------------------
# build_vcsim
# --------------------------------------------------------------------------------------------------------


@contextlib.contextmanager
def _locked(lock_file: Path) -> Iterator[None]:
    """Hold an exclusive lock on lock_file, so concurrent builds (pytest -n, the supervisor) serialize."""
    lock_file.parent.mkdir(parents=True, exist_ok=True)
    with lock_file.open("w") as f:
        fcntl.flock(f, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(f, fcntl.LOCK_UN)


def _sources(src_dir: Path) -> list[Path]:
    """The files the binary is built from: our Go files and the govmomi patches."""
    return sorted(src_dir.glob("*.go")) + sorted((src_dir / "patches").glob("*.patch"))


def _toolchain_fingerprint(go: str, src_dir: Path) -> str:
    """A digest of what the build depends on: the Go version, our source files (names and contents) and
    every file of Debian's govmomi tree (path, size, mtime), so that an upgrade of golang-go or of the govmomi
    package, a removed patch, or a changed source triggers a rebuild. Contents, not only mtimes: a source
    changed by a checkout or a copy that kept an older mtime than the binary's still rebuilds."""
    h = hashlib.sha256()
    version = subprocess.run([go, "version"], capture_output=True, text=True, check=False).stdout
    h.update(version.encode())
    for p in _sources(src_dir):
        h.update(p.name.encode() + b"\0" + hashlib.sha256(p.read_bytes()).digest())
    for root, dirs, files in os.walk(GOVMOMI_SRC):
        dirs.sort()
        for name in sorted(files):
            path = os.path.join(root, name)
            st = os.stat(path)
            h.update(f"{os.path.relpath(path, GOVMOMI_SRC)} {st.st_size} {st.st_mtime_ns}\n".encode())
    return h.hexdigest()


def _up_to_date(binary: Path, stamp: Path, sources: list[Path], fingerprint: str) -> bool:
    """True when the binary exists, is newer than every source and was built from these sources with this toolchain."""
    if not binary.is_file() or not stamp.is_file():
        return False
    built = binary.stat().st_mtime_ns
    if any(p.stat().st_mtime_ns > built for p in sources):
        return False
    return stamp.read_text().strip() == fingerprint


def _link_tree(src: Path, dst: Path) -> None:
    """Mirror directory src at dst: real directories, each file a symlink to the original (cp -rs)."""
    for root, _dirs, files in os.walk(src):
        target = dst / os.path.relpath(root, src)
        target.mkdir(parents=True, exist_ok=True)
        for name in files:
            (target / name).symlink_to(os.path.join(root, name))


def patched_files(patch: Path) -> list[str]:
    """The paths (relative to the patched tree, ``-p1``) that a unified diff modifies."""
    files = []
    for line in patch.read_text().splitlines():
        if line.startswith("+++ "):
            name = line[4:].split("\t")[0].strip()
            files.append(name.split("/", 1)[1] if "/" in name else name)
    return files


def _run_logged(cmd: list[str], log: TextIO, **kwargs: Any) -> subprocess.CompletedProcess[str]:
    """Run cmd, appending the command line and its whole output to the open log file."""
    log.write(f"$ {' '.join(cmd)}\n")
    log.flush()
    proc = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, check=False, **kwargs)
    log.write(proc.stdout)
    log.write(f"[exit {proc.returncode}]\n\n")
    log.flush()
    return proc


def _first_error(output: str) -> str:
    """The line of a failed command's output that best says what went wrong, for a one-line message:
    the first line that looks like an error (``Hunk #1 FAILED``, ``main.go:12:3: undefined: x``), else
    the first line that is not a heading (go build prints ``# package`` first)."""
    lines = [line.strip() for line in output.splitlines() if line.strip() and not line.startswith("#")]
    for line in lines:
        if re.search(r"FAILED|[Ee]rror|malformed|can't|cannot|[Nn]o such|not found|undefined|\.go:\d+", line):
            return line
    return lines[0] if lines else "no output"


def build_vcsim(src_dir: Path, build_dir: Path) -> Path:
    """Build the simulator from src_dir (main.go, extend.go, patches/) into build_dir; return the binary.

    build_dir/gopath gets a symlink overlay of Debian's govmomi source; files a patch touches are replaced
    by real copies before ``patch`` runs, so /usr/share/gocode stays untouched. ``go build`` runs in GOPATH
    mode without network (``GO111MODULE=off GOPROXY=off``), with its own GOCACHE in build_dir (a cold
    build takes 30-60 s, a rebuild a few seconds) and without cgo (no C compiler needed, static binary).

    Nothing is done when the binary is newer than all sources and patches and the toolchain is unchanged.
    On failure a RuntimeError says in one line what went wrong and names the log file with the details.
    """
    src_dir, build_dir = Path(src_dir).resolve(), Path(build_dir).resolve()
    go = shutil.which("go")
    if go is None or not GOVMOMI_SRC.is_dir():
        what = "golang-go" if go is None else f"govmomi source ({GOVMOMI_SRC})"
        raise RuntimeError(f"{what} missing: {INSTALL_HINT}")
    patch_tool = shutil.which("patch")
    if patch_tool is None:
        raise RuntimeError("patch missing: apt-get install patch")
    sources = _sources(src_dir)
    if not (src_dir / "main.go").is_file():
        raise RuntimeError(f"no main.go in {src_dir}")

    binary = binary_path(build_dir)
    stamp = binary.with_name(BINARY_NAME + ".stamp")
    with _locked(build_dir / ".build.lock"):
        fingerprint = _toolchain_fingerprint(go, src_dir)
        if _up_to_date(binary, stamp, sources, fingerprint):
            return binary

        log_path = build_dir / "build.log"
        gopath = build_dir / "gopath"
        with log_path.open("w") as log:
            shutil.rmtree(gopath, ignore_errors=True)
            overlay = gopath / "src" / GOVMOMI_IMPORT_PATH
            _link_tree(GOVMOMI_SRC, overlay)
            log.write(f"overlay {overlay} -> {GOVMOMI_SRC}\n")

            for patch in sorted((src_dir / "patches").glob("*.patch")):
                for rel in patched_files(patch):
                    target = overlay / rel
                    if target.is_symlink():
                        target.unlink()
                        shutil.copyfile(GOVMOMI_SRC / rel, target)
                proc = _run_logged(
                    [patch_tool, "-p1", "--batch", "--forward", "-d", str(overlay), "-i", str(patch)], log
                )
                if proc.returncode != 0:
                    raise RuntimeError(
                        f"patch {patch.name} does not apply to {GOVMOMI_SRC}: {_first_error(proc.stdout)}"
                        f" (log: {log_path})"
                    )

            pkg = gopath / "src" / GO_PACKAGE
            pkg.mkdir(parents=True)
            for f in src_dir.glob("*.go"):
                shutil.copyfile(f, pkg / f.name)

            binary.parent.mkdir(parents=True, exist_ok=True)
            tmp_binary = binary.with_name(f".{BINARY_NAME}.tmp{os.getpid()}")
            env = dict(
                os.environ,
                GOPATH=f"{gopath}:{GOCODE}",
                GO111MODULE="off",
                GOPROXY="off",
                GOFLAGS="",
                CGO_ENABLED="0",
                GOCACHE=str(build_dir / "gocache"),
            )
            cmd = [go, "build", "-trimpath", "-ldflags=-s -w", "-o", str(tmp_binary), GO_PACKAGE]
            try:
                proc = _run_logged(cmd, log, cwd=build_dir, env=env, timeout=GO_BUILD_TIMEOUT)
            except subprocess.TimeoutExpired as e:
                raise RuntimeError(f"go build of {BINARY_NAME} timed out after {e.timeout} s (log: {log_path})") from e
            if proc.returncode != 0:
                tmp_binary.unlink(missing_ok=True)
                raise RuntimeError(f"go build of {BINARY_NAME} failed: {_first_error(proc.stdout)} (log: {log_path})")
            os.replace(tmp_binary, binary)  # atomic: a running simulator keeps its old inode
            stamp.write_text(fingerprint + "\n")
            log.write(f"built {binary}\n")
    return binary


# --------------------------------------------------------------------------------------------------------
# make_wsdl
# --------------------------------------------------------------------------------------------------------


def _oslo_vmware_wsdl_dir(venv_python: Path) -> Path:
    """oslo.vmware's wsdl/8.0 directory in the venv of venv_python."""
    try:
        proc = subprocess.run(
            [str(venv_python), "-c", "import oslo_vmware,os;print(os.path.dirname(oslo_vmware.__file__))"],
            capture_output=True,
            text=True,
            check=False,
        )
    except OSError as e:
        raise RuntimeError(f"cannot run the lab venv's python {venv_python}: {e.strerror}") from e
    if proc.returncode != 0:
        raise RuntimeError(f"oslo.vmware not importable with {venv_python}: {_first_error(proc.stderr)}")
    wsdl = Path(proc.stdout.strip()) / "wsdl" / "8.0"
    missing = [f for f in NEW_WSDL_FILES if not (wsdl / f).is_file()]
    if missing:
        raise RuntimeError(f"oslo.vmware has no {', '.join(missing)} in {wsdl}")
    return wsdl


def _find_sdist(cache_dir: Path) -> Path | None:
    for suffix in (".zip", ".tar.gz"):
        p = cache_dir / (PYVISDK_SDIST_PREFIX + suffix)
        if p.is_file():
            return p
    return None


def _download_pyvisdk(venv_python: Path, cache_dir: Path) -> Path:
    """The infi.pyvisdk sdist in cache_dir, fetched from PyPI with the venv's pip unless already there."""
    sdist = _find_sdist(cache_dir)
    if sdist is not None:
        return sdist
    cache_dir.mkdir(parents=True, exist_ok=True)
    log_path = cache_dir / "pip-download.log"
    cmd = [
        str(venv_python), "-m", "pip", "download", "--no-deps", "--no-binary", ":all:",
        "--disable-pip-version-check", "-d", str(cache_dir), PYVISDK_REQUIREMENT,
    ]  # fmt: skip
    with log_path.open("w") as log:
        proc = _run_logged(cmd, log, timeout=600)
    sdist = _find_sdist(cache_dir)
    if proc.returncode != 0 or sdist is None:
        raise RuntimeError(f"pip download {PYVISDK_REQUIREMENT} failed: {_first_error(proc.stdout)} (log: {log_path})")
    return sdist


def _wsdl_member(member: str) -> str | None:
    """The file name of an sdist member that lies directly in pyvisdk/wsdl/, else None."""
    rel = member.split("/", 1)[-1]  # drop the sdist's top directory
    if not rel.startswith(PYVISDK_WSDL_DIR):
        return None
    name = rel[len(PYVISDK_WSDL_DIR) :]
    return name if name and "/" not in name else None


def _read_sdist_wsdl(sdist: Path) -> dict[str, str]:
    """The files of pyvisdk/wsdl/ in the sdist (zip or tar.gz), by file name, with Unix newlines.

    They are read in memory: nothing of the archive is extracted to disk."""
    files: dict[str, bytes] = {}
    if sdist.name.endswith(".zip"):
        with zipfile.ZipFile(sdist) as z:
            for member in z.namelist():
                if name := _wsdl_member(member):
                    files[name] = z.read(member)
    else:
        with tarfile.open(sdist) as t:
            for m in t.getmembers():
                if m.isfile() and (name := _wsdl_member(m.name)) and (f := t.extractfile(m)):
                    files[name] = f.read()
    texts = {name: data.decode("utf-8").replace("\r\n", "\n") for name, data in files.items()}
    missing = [f for f in OLD_WSDL_FILES + OLD_TYPE_FILES if f not in texts]
    if missing:
        raise RuntimeError(f"{sdist.name} has no {', '.join(missing)} under {PYVISDK_WSDL_DIR}")
    return texts


def merge_wsdl(old: dict[str, str], new: dict[str, str]) -> tuple[dict[str, str], list[str]]:
    """Merge a 5.x vim WSDL set (old) with newer data types (new); return the files and the added types.

    The result has the 5.x service and message definitions (``OLD_WSDL_FILES``) over the newer type files
    (``NEW_WSDL_FILES``). Internal types that the 5.x messages still reference but the newer files dropped
    are copied back from the 5.x type files, with everything they reference in turn, each into the file
    it came from. This gives suds (oslo.vmware) a WSDL that describes the simulator's API 6.5 well enough.
    """
    files = {name: old[name] for name in OLD_WSDL_FILES}
    files.update({name: new[name] for name in NEW_WSDL_FILES})

    blocks: dict[str, tuple[str, str]] = {}  # type name -> (definition, 5.x file it is in)
    for f in OLD_TYPE_FILES:
        for m in _TYPE_BLOCK.finditer(old[f]):
            blocks[m.group(2)] = (m.group(0), f)

    have: set[str] = set()
    needed: set[str] = set()
    for text in files.values():
        have.update(_TYPE_NAME.findall(text))
        needed.update(_TYPE_REF.findall(text))

    added: list[str] = []
    todo = sorted(needed - have)
    while todo:
        name = todo.pop()
        if name in have or name not in blocks:
            continue
        have.add(name)
        added.append(name)
        todo.extend(r for r in _TYPE_REF.findall(blocks[name][0]) if r not in have)

    for f in OLD_TYPE_FILES:
        extra = "".join(blocks[n][0] for n in added if blocks[n][1] == f)
        if extra:
            head, sep, tail = files[f].rpartition("</schema>")
            files[f] = head + extra + sep + tail
    return files, added


def make_wsdl(venv_python: Path, out_dir: Path, cache_dir: Path) -> Path:
    """Generate the vim WSDL for the simulator into out_dir and return out_dir (the ``-wsdl-dir``).

    The 5.x WSDL comes from the PyPI sdist infi.pyvisdk (``pip download --no-deps`` with venv_python's
    pip, kept in cache_dir), the 8.0 types from oslo.vmware in that venv. Nothing is done when
    out_dir/vimService.wsdl exists; the files are written to a temporary directory first and moved into
    place at the end, so an interrupted run leaves no half-made WSDL behind.
    """
    out_dir, cache_dir = Path(out_dir), Path(cache_dir)
    if (out_dir / "vimService.wsdl").is_file():
        return out_dir
    new_dir = _oslo_vmware_wsdl_dir(Path(venv_python))
    old = _read_sdist_wsdl(_download_pyvisdk(Path(venv_python), cache_dir))
    new = {name: (new_dir / name).read_text(encoding="utf-8") for name in NEW_WSDL_FILES}  # universal newlines
    files, _added = merge_wsdl(old, new)

    out_dir.parent.mkdir(parents=True, exist_ok=True)
    tmp = out_dir.with_name(f".{out_dir.name}.tmp{os.getpid()}")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir()
    for name, text in files.items():
        (tmp / name).write_text(text, encoding="utf-8")
    if out_dir.exists():  # a leftover without vimService.wsdl
        shutil.rmtree(out_dir)
    os.replace(tmp, out_dir)
    return out_dir


# --------------------------------------------------------------------------------------------------------
# command line
# --------------------------------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    """``build``: build the simulator; ``wsdl``: generate the WSDL. Both print the resulting path."""
    home = default_home()
    parser = argparse.ArgumentParser(
        prog="python -m devops_envs.local.vcsim_build", description=(__doc__ or "").split("\n")[0]
    )
    sub = parser.add_subparsers(dest="command", required=True)
    b = sub.add_parser("build", help="build the simulator binary")
    b.add_argument("--src-dir", type=Path, default=SRC_DIR)
    b.add_argument("--build-dir", type=Path, default=home / "vcsim")
    w = sub.add_parser("wsdl", help="generate the vim WSDL served under /sdk/")
    w.add_argument("--venv-python", type=Path, default=home / "venv" / "bin" / "python")
    w.add_argument("--out-dir", type=Path, default=home / "wsdl")
    w.add_argument("--cache-dir", type=Path, default=home / "cache")
    args = parser.parse_args(argv)
    try:
        if args.command == "build":
            print(build_vcsim(args.src_dir, args.build_dir))
        else:
            print(make_wsdl(args.venv_python, args.out_dir, args.cache_dir))
    except RuntimeError as e:
        print(f"error: {e}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
