"""Image steps: find a test image and check it is fit for its hypervisor."""

from __future__ import annotations

from collections.abc import Collection, Mapping
from typing import Any

from openstack import exceptions as os_exc
from openstack.image.v2.image import Image

from fuel_health.clients.context import RunContext


def find(ctx: RunContext, name: str) -> Image:
    """Return the one active image of that name; AssertionError if missing, ambiguous or not active."""
    try:
        image = ctx.conn.image.find_image(name, ignore_missing=False)
    except os_exc.NotFoundException:
        image = None
    except os_exc.DuplicateResource:
        ids = [i.id for i in ctx.conn.image.images(name=name)]
        raise AssertionError(f"{len(ids)} images are named {name!r} ({', '.join(ids)}): boots would pick one "
                             "at random; delete or rename the extra ones") from None
    if image is None:
        raise AssertionError(f"image {name!r} not found in glance (Fuel uploads it at deployment; upload it "
                             "again, or set hypervisors.<zone>.image to the right name)")
    if image.status != "active":
        raise AssertionError(f"image {name} ({image.id}) is {image.status}, not active: its upload did not "
                             "finish; check glance-api's log and the image store")
    return image


def _property(image: Any, key: str) -> Any:
    # openstacksdk maps some well-known properties to attributes; the others stay in .properties.
    value = getattr(image, key, None)
    return value if value is not None else (image.properties or {}).get(key)


def check_active_with(ctx: RunContext, name: str, disk_formats: Collection[str],
                      properties: Mapping[str, str] | None = None) -> Image:
    """Check the image exists, is active, has one of the disk formats and these properties; return it."""
    image = find(ctx, name)
    problems = []
    if image.disk_format not in disk_formats:
        problems.append(f"disk_format is {image.disk_format}, expected {' or '.join(sorted(disk_formats))}")
    for key, want in (properties or {}).items():
        have = _property(image, key)
        if have != want:
            problems.append(f"property {key} is {have!r}, expected {want!r}")
    if problems:
        raise AssertionError(f"image {name} ({image.id}): {'; '.join(problems)} (fix with `openstack image set`, "
                             "or upload the image again)")
    return image


def check_not_marked(ctx: RunContext, name: str, properties: Mapping[str, str]) -> None:
    """Check the image does NOT carry these property values (a KVM image marked for vmware cannot boot on KVM)."""
    image = find(ctx, name)
    wrong = [f"{key}={want}" for key, want in properties.items() if _property(image, key) == want]
    if wrong:
        raise AssertionError(f"image {name} ({image.id}) has {', '.join(wrong)}: the scheduler will never place "
                             "it on a KVM/QEMU host; unset it (`openstack image unset --property ...`)")
