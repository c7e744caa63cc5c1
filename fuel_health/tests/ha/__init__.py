"""HA tests. Duration 30 sec - 8 min.

The set needs the `ha` tag: every Fuel cluster from 6.1 on is ha_compact, even with one controller. Modelled on
fuel-ostf 9.0's ha set (fuel_health/tests/ha/: RabbitMQ, MySQL/Galera, Pacemaker, HAProxy), with what a
dual-hypervisor cluster adds: the cinder-vmdk pair really served by both nodes, the vCenter nova-compute running
exactly once, and RabbitMQ and MariaDB reached by every node with its own settings. Pacemaker, Galera and HAProxy
are not checked here: no lab runs them, so no check of them could be proven (docs/checks.md).
The vCenter nova-compute under pacemaker is checked in configuration/test_pacemaker_vcenter_compute.py.
"""
