"""The cache as every app uses it: an optimization that may fail, and version stamps.

- `quietly(call, fallback)`: a cache call that never fails the request or the write (Redis
  down: log, and go on as if nothing were kept).
- Stamps: a value kept in the cache is stored under (or with) the current stamps of what it
  was computed from; a write sets new stamps (`stamp`) so nothing kept before it is used
  again. `read_stamps` reads them in one round trip with whatever else the caller needs.
- Writes stamp and forget twice: at once, and when the transaction commits — a reader that
  ran in between saw the old rows and must not keep its result under the new stamp.

Used by education (rollups) and members.selectors (subtree counts).
"""

import logging
import time

from django.core.cache import cache
from django.db import transaction

logger = logging.getLogger(__name__)


def quietly(call, fallback=None):
    """call() against the cache; when the cache fails, log it and return fallback."""
    try:
        return call()
    except Exception:
        logger.warning("cache unavailable", exc_info=True)
        return fallback


def _set_stamps(keys):
    stamp = time.time_ns()
    try:
        cache.set_many(dict.fromkeys(keys, stamp), None)
    except Exception:
        # A stamp that cannot be renewed must not outlive the write: drop it, and nothing is
        # kept under it again until a fresh one is set.
        logger.exception("cache stamps not renewed")
        quietly(lambda: cache.delete_many(list(keys)))


def stamp_now(keys):
    """New stamps for these keys, now only (no transaction: tests, the benchmark)."""
    _set_stamps(list(keys))


def stamp(keys):
    """New stamps for these keys, now and again when the transaction commits."""
    keys = list(keys)
    _set_stamps(keys)
    transaction.on_commit(lambda: _set_stamps(keys))


def forget(keys):
    """Delete these kept values, now and again when the transaction commits."""
    keys = list(keys)
    if not keys:
        return

    def delete():
        quietly(lambda: cache.delete_many(keys))

    delete()
    transaction.on_commit(delete)


def read_stamps(stamp_keys, other_keys=()):
    """(the stamps' values in order, or None when one is missing, {other key: value}) in one
    round trip. A missing stamp (never set, or evicted) is set now; until the next request
    nothing may be kept or read under it. Raises when the cache fails (see quietly)."""
    got = cache.get_many([*stamp_keys, *other_keys])
    missing = [k for k in stamp_keys if got.get(k) is None]
    for key in missing:
        cache.add(key, time.time_ns(), None)
    stamps = None if missing else [got[k] for k in stamp_keys]
    return stamps, {k: got[k] for k in other_keys if k in got}
