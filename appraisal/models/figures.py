"""Appraisal progress figures per organization (see appraisal.figures)."""

from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from members.models import OrganizationFigures


class OrganizationAppraisalFigures(OrganizationFigures):
    """Democratic appraisal progress over an organization's subtree for one year (a
    branch's own for a branch): cycles opened and closed. See appraisal.figures."""

    year = models.PositiveSmallIntegerField(_("year"))
    cycles = models.PositiveIntegerField(default=0)
    closed = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("organization appraisal figures")
        verbose_name_plural = _("organization appraisal figures")
        constraints = [
            models.UniqueConstraint(fields=["organization", "year"], name="appraisal_figures_once"),
        ]
        indexes = [
            models.Index(fields=["parent", "year"], name="appraisal_figures_parent"),
            models.Index(
                fields=["organization"],
                name="appraisal_figures_dirty",
                condition=Q(version__gt=F("propagated")),
            ),
        ]

    def __str__(self):
        return f"{self.organization_id} {self.year}"
