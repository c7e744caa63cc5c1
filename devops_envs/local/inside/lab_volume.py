"""The lab's stand-in for the LVM backend: cinder's storage-less fake driver, with each volume kept
as a sparse file under state_path, so that image -> volume copies really write somewhere.

volume_driver = lab_volume.FileBackedFakeDriver (inside/ is on cinder-volume's PYTHONPATH)."""

import contextlib
import os
import subprocess

from cinder import exception
from cinder.tests import fake_driver
from oslo_config import cfg


class FileBackedFakeDriver(fake_driver.FakeLoggingVolumeDriver):
    def _dir(self) -> str:
        path = os.path.join(cfg.CONF.state_path, "lab-volumes")
        os.makedirs(path, exist_ok=True)
        return path

    def local_path(self, volume, vg=None):
        return os.path.join(self._dir(), volume.name)

    def create_volume(self, volume):
        result = super().create_volume(volume)
        with open(self.local_path(volume), "wb") as disk:
            disk.truncate(volume.size * 1024**3)
        return result

    def delete_volume(self, volume):
        super().delete_volume(volume)
        with contextlib.suppress(FileNotFoundError):
            os.unlink(self.local_path(volume))

    def extend_volume(self, volume, new_size):
        super().extend_volume(volume, new_size)
        with open(self.local_path(volume), "r+b") as disk:
            disk.truncate(new_size * 1024**3)


class LoopDeviceDriver(FileBackedFakeDriver):
    """The real KVM zone's backend: the sparse file of a volume becomes a loop device when it is attached.

    initialize_connection answers `driver_volume_type = local` with the loop device: nova's os-brick local
    connector passes the path on, nova's libvirt driver hot-plugs it as a virtio disk. terminate_connection and
    delete_volume release the loop device, so a detached volume holds none."""

    def _loops(self, volume):
        res = subprocess.run(["losetup", "-j", self.local_path(volume)], capture_output=True, text=True, check=True)
        return [line.split(":", 1)[0] for line in res.stdout.splitlines() if line.strip()]

    def _release(self, volume):
        for dev in self._loops(volume):
            subprocess.run(["losetup", "-d", dev], capture_output=True, text=True, check=False)

    def validate_connector(self, connector):
        """A local device needs no initiator (the fake driver's check is iSCSI's): compute and storage share a host."""

    def initialize_connection(self, volume, connector, **kwargs):
        loops = self._loops(volume)
        if not loops:
            res = subprocess.run(["losetup", "--find", "--show", self.local_path(volume)], capture_output=True,
                                 text=True)
            if res.returncode != 0:
                raise exception.VolumeBackendAPIException(
                    data=f"no loop device for {volume.name}: losetup: {res.stderr.strip() or res.returncode}")
            loops = [res.stdout.strip()]
        return {"driver_volume_type": "local", "data": {"device_path": loops[0], "volume_id": volume.id}}

    def terminate_connection(self, volume, connector, **kwargs):
        self._release(volume)

    def delete_volume(self, volume):
        self._release(volume)
        super().delete_volume(volume)
