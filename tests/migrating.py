"""Moving the test database back to a migration and forward again, for the tests of data
migrations."""

from contextlib import contextmanager

from django.db import connection
from django.db.migrations.executor import MigrationExecutor


def migrate(target):
    """Migrate the test database to `target` ((app, migration name)); returns the apps
    registry of the project at that migration."""
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate([target])
    return executor.loader.project_state([target]).apps


@contextmanager
def every_app_at_its_latest_after():
    """Inside, a test moves the database where it likes; after it, even on a failure, every
    app is at its latest migration again. Going back to an app's migration also takes back
    the later migrations of other apps that depend on it, which going forward to that app's
    next migration alone would leave out: the tests that follow on this database (one per
    pytest-xdist worker) need the whole schema."""
    try:
        yield
    finally:
        executor = MigrationExecutor(connection)
        executor.loader.build_graph()
        executor.migrate(executor.loader.graph.leaf_nodes())
