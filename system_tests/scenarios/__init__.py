"""proboscis scenarios (fuel-qa style groups). Importing this package registers them:

    deploy_kvm -> add_vcenter_compute -> add_cinder_vmdk_ha     (dual_hv.py, each depends_on_groups the previous)
    vcenter_compute_with_compute_refused (group negative)      (negative.py, depends on deploy_kvm)
All of them are also in group dual_hv.
"""

from system_tests.scenarios import dual_hv, negative

__all__ = ["dual_hv", "negative"]
