import sys

from devops_envs.local.cli import main

sys.exit(main())
