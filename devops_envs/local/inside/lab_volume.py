"""The lab's stand-in for the LVM backend: cinder's storage-less fake driver, with each volume kept
as a sparse file under state_path, so that image -> volume copies really write somewhere.

volume_driver = lab_volume.FileBackedFakeDriver (inside/ is on cinder-volume's PYTHONPATH)."""

import contextlib
import os

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
