from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AppraisalConfig(AppConfig):
    name = "appraisal"
    verbose_name = _("Appraisal and commendations")

    def ready(self):
        from members import page_sections

        # Register this app's `rules` permissions before any request checks one.
        from . import permissions as _permissions  # noqa: F401
        from .commendations import permissions as _commendation_permissions  # noqa: F401
        from .commendations.selectors import member_page_commendations

        # A manager's page of a member lists the member's published commendations.
        page_sections.register(
            member_page_commendations, "appraisal/_member_page_commendations.html"
        )
