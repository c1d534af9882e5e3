"""Each endpoint's sliding send window, shared by every worker through a locked row."""

import time
from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from ..models import RateWindow

# --- the rate window -------------------------------------------------------------------------


def _acquire_many(wanted: dict) -> dict:
    """Take send slots from each endpoint's sliding window: wanted {endpoint: (limits, n)} ->
    {endpoint: (slots granted, when the next slot frees or None)}. The windows are locked
    together (in name order, so two senders never deadlock): every worker shares them."""
    if not wanted:
        return {}
    names = sorted(wanted)
    RateWindow.objects.bulk_create([RateWindow(name=name) for name in names], ignore_conflicts=True)
    grants = {}
    with transaction.atomic():
        rows = list(RateWindow.objects.select_for_update().filter(name__in=names).order_by("name"))
        now = time.time()
        for row in rows:
            limits, n = wanted[row.name]
            row.recent, grants[row.name] = _take(row.recent, limits, n, now)
        RateWindow.objects.bulk_update(rows, ["recent"])
    return grants


def _take(recent, limits, wanted, now):
    """(the window's new send times, (granted, retry_at)) for `wanted` sends at `now`."""
    longest = max(seconds for seconds, _n in limits)
    recent = [t for t in recent if t > now - longest]
    granted = 0
    while granted < wanted and all(
        sum(1 for t in recent if t > now - seconds) < n for seconds, n in limits
    ):
        recent.append(now)
        granted += 1
    retry_at = None
    if granted < wanted:
        frees = [
            sorted(t for t in recent if t > now - seconds)[-n] + seconds
            for seconds, n in limits
            if sum(1 for t in recent if t > now - seconds) >= n
        ]
        wait = max(frees) - now if frees else 1
        retry_at = timezone.now() + timedelta(seconds=max(wait, 0.5))
    return recent, (granted, retry_at)
