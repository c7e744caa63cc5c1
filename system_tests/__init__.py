"""System tests (fuel-qa style): deploy a KVM cloud, grow it a vCenter zone, check it with OSTF at each step.

    helpers/     the Deployment interface and its backends (fuel.py: Nailgun + OSTF adapter + fuel-devops,
                 local.py: the local lab), role and VMware checks from fixtures/, OSTF results
    scenarios/   proboscis groups: deploy_kvm -> add_vcenter_compute -> add_cinder_vmdk_ha, negative
    runner.py    `python -m system_tests run --group GROUP --backend local|fuel [--show-plan] [--xunit PATH]`

system_tests may import fuel_health and devops_envs; neither imports system_tests.
"""
