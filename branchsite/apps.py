from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class BranchsiteConfig(AppConfig):
    name = "branchsite"
    verbose_name = _("branchsite")

    def ready(self):
        # Failed logins count towards the limits; a login decides if a second step is needed.
        from . import second_factor, throttle  # noqa: F401
