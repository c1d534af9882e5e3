from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MembersConfig(AppConfig):
    name = "members"
    verbose_name = _("Members and organizations")

    def ready(self):
        # Register this app's `rules` permissions before any request checks one.
        from . import permissions as _permissions  # noqa: F401
        from .choice_labels import use_label_tables
        from .protection import permissions as _protection_permissions  # noqa: F401

        # Every model's get_FOO_display() reads a label table instead of re-translating
        # every choice on each call (it was most of a list page's translations).
        use_label_tables()
