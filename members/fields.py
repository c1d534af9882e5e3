"""Model fields that the apps declare alike (members is the base app: education and
appraisal import them from here)."""

from django.conf import settings
from django.db import models


def actor_field(verbose_name=None, *, blank=True):
    """Who did something: a user account, emptied if the account is deleted, with no reverse
    accessor on the user."""
    return models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=verbose_name,
        on_delete=models.SET_NULL,
        null=True,
        blank=blank,
        related_name="+",
    )
