"""Production settings plus the benchmark's floor view: what gunicorn and the worker run under
`python -m bench.run`.

Everything comes from branchsite.settings (read from the same environment variables). The
differences: the URLconf adds /bench/floor/ (branchsite.bench_views.floor), and with
BENCH_SYNCDB=1 (bench/run.py sets it for `migrate` while the repository's migrations are being
regenerated) every table is created straight from the models, as `pytest --no-migrations` does.
"""

import os

from branchsite.settings import *  # noqa: F403

BRANCHSITE_BENCH_ENDPOINTS = True
ROOT_URLCONF = "bench.urls"


class _NoMigrations(dict):
    def __contains__(self, app_label):
        return True

    def __getitem__(self, app_label):
        return None


if os.environ.get("BENCH_SYNCDB") == "1":
    MIGRATION_MODULES = _NoMigrations()
