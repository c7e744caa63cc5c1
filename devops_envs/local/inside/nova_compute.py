"""nova-compute that can load the lab's virt driver: nova loads drivers only from nova.virt.*, so
register lab_virt under that name first (the venv itself is never patched)."""

import os
import sys

from nova.cmd import compute  # first: nova's eventlet monkey patching must come before anything else

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import lab_virt  # noqa: E402

sys.modules["nova.virt.lab_virt"] = lab_virt
sys.argv[0] = "nova-compute"
sys.exit(compute.main())
