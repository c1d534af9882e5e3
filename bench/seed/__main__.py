"""`python -m bench.seed --members N` (see bench/seed/__init__.py)."""

import os
import sys

from bench.seed import main

if __name__ == "__main__":
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "branchsite.settings")
    sys.exit(main())
