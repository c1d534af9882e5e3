"""Appraisal progress figures per organization (see appraisal.figures)."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from members.models import OrganizationYearFigures, figures_keys


class OrganizationAppraisalFigures(OrganizationYearFigures):
    """Democratic appraisal progress over an organization's subtree for one year (a
    branch's own for a branch): cycles opened and closed. See appraisal.figures."""

    cycles = models.PositiveIntegerField(default=0)
    closed = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("organization appraisal figures")
        verbose_name_plural = _("organization appraisal figures")
        constraints, indexes = figures_keys("appraisal_figures", "year")
