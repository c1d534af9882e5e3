from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class EducationConfig(AppConfig):
    name = "education"
    verbose_name = _("Education")

    def ready(self):
        from members import member_facts
        from members.signals import branches_changed

        # Register this app's `rules` permissions before any request checks one.
        from . import permissions as _permissions  # noqa: F401
        from .figures import on_branches_changed
        from .selectors.hours import member_year_facts

        branches_changed.connect(on_branches_changed, dispatch_uid="education.figures")
        # Study hours and attendance beside each member on the appraisal rating page.
        member_facts.register(member_year_facts)
