"""`python -m system_tests` = the system test runner (system_tests/runner.py)."""

import sys

from system_tests.runner import main

sys.exit(main())
