"""Tables branchsite itself owns (the feature apps own everything else)."""

from django.db import models


class ThrottleCount(models.Model):
    """How many times one key (a hashed client address or account name) hit one throttled
    action (`scope`) in the fixed window that starts at `window_start`.

    Kept in the database, not the cache: a limit must hold when the cache is down or flushed,
    and one atomic upsert per attempt is cheap next to a password hash.
    """

    scope = models.CharField(max_length=40)
    key = models.CharField(max_length=64)
    window_start = models.DateTimeField()
    hits = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["scope", "key", "window_start"], name="throttle_one_count_per_window"
            )
        ]
        indexes = [models.Index(fields=["window_start"], name="throttle_window_start")]

    def __str__(self):
        return f"{self.scope} {self.key[:8]} {self.window_start:%Y-%m-%d %H:%M}: {self.hits}"
