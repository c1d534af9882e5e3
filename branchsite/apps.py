from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class BranchsiteConfig(AppConfig):
    name = "branchsite"
    verbose_name = _("branchsite")
