from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class EducationConfig(AppConfig):
    name = "education"
    verbose_name = _("Education")

    def ready(self):
        # Register this app's `rules` permissions before any request checks one.
        from members.signals import branches_changed

        from . import permissions as _permissions  # noqa: F401
        from .figures import on_branches_changed

        branches_changed.connect(on_branches_changed, dispatch_uid="education.figures")
