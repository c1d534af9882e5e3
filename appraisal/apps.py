from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AppraisalConfig(AppConfig):
    name = "appraisal"
    verbose_name = _("Appraisal and commendations")

    def ready(self):
        # Register this app's `rules` permissions before any request checks one.
        from . import permissions as _permissions  # noqa: F401
        from .commendations import permissions as _commendation_permissions  # noqa: F401
