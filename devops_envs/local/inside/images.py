"""Write tiny but structurally valid test images: glance inspects uploads and rejects bytes that
do not match disk_format, and there is no qemu-img here.

usage: images.py OUT_DIR   -> OUT_DIR/testvm.qcow2 (qcow2 v2, 1 MiB virtual) and testvm.vmdk
(monolithicSparse, 1 MiB virtual)."""

import struct
import sys
from pathlib import Path

CLUSTER = 1 << 16
VIRTUAL = 1 << 20


def qcow2() -> bytes:
    """Header, refcount table, one refcount block and an empty L1 table: an empty 1 MiB disk."""
    header = struct.pack(">4sIQIIQIIQQIIQ", b"QFI\xfb", 2, 0, 0, 16, VIRTUAL, 0, 1, 3 * CLUSTER, CLUSTER, 1, 0, 0)
    img = bytearray(4 * CLUSTER)
    img[: len(header)] = header
    img[CLUSTER : CLUSTER + 8] = struct.pack(">Q", 2 * CLUSTER)
    for i in range(4):  # clusters 0..3 are in use: refcount 1 each (16-bit entries)
        img[2 * CLUSTER + 2 * i : 2 * CLUSTER + 2 * i + 2] = struct.pack(">H", 1)
    return bytes(img)


def vmdk() -> bytes:
    """Sparse extent header, descriptor at sector 1, then the grain directory and tables."""
    sectors = VIRTUAL // 512
    desc = (b'# Disk DescriptorFile\nversion=1\nCID=fffffffe\nparentCID=ffffffff\n'
            b'createType="monolithicSparse"\n\n# Extent description\n'
            b'RW %d SPARSE "testvm.vmdk"\n\n# The Disk Data Base\n#DDB\n\n'
            b'ddb.virtualHWVersion = "4"\nddb.adapterType = "lsilogic"\n' % sectors)
    desc_sectors, gt_entries, grain = 20, 512, 128
    n_gt = max(1, -(-sectors // (gt_entries * grain)))
    gd_off = 1 + desc_sectors
    gt_off = gd_off + 1
    overhead = ((gt_off + n_gt * 4 + grain - 1) // grain) * grain
    header = struct.pack("<4sIIQQQQIQQQBccccH", b"KDMV", 1, 3, sectors, grain, 1, desc_sectors, gt_entries,
                         0, gd_off, overhead, 0, b"\n", b" ", b"\r", b"\n", 0)
    img = bytearray(overhead * 512)
    img[: len(header)] = header
    img[512 : 512 + len(desc)] = desc
    for i in range(n_gt):
        img[gd_off * 512 + 4 * i : gd_off * 512 + 4 * i + 4] = struct.pack("<I", gt_off + 4 * i)
    return bytes(img)


if __name__ == "__main__":
    out = Path(sys.argv[1])
    out.mkdir(parents=True, exist_ok=True)
    (out / "testvm.qcow2").write_bytes(qcow2())
    (out / "testvm.vmdk").write_bytes(vmdk())
    from oslo_utils.imageutils import format_inspector

    for name in ("testvm.qcow2", "testvm.vmdk"):
        inspector = format_inspector.detect_file_format(str(out / name))
        inspector.safety_check()
