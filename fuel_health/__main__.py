"""`python -m fuel_health` = the fuel-health command."""

import sys

from fuel_health.cli import main

sys.exit(main())
