"""HA tests. Duration 30 sec - 8 min.

Placeholder: the set needs the `ha` tag (an ha_compact cluster) and nothing here applies to the multinode lab.
The vCenter nova-compute under pacemaker is checked in configuration/test_pacemaker_vcenter_compute.py.
"""
