"""Organization figures: per-organization aggregates that the owning apps keep (README,
"Organization figures")."""

from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .organizations import Organization


class OrganizationFigures(models.Model):
    """Figures over an organization's subtree, kept by the app that owns them (see README,
    "Organization figures"); each app's concrete table adds its own figures.

    A branch's row is written by the services that change its data, inside their
    transaction; each write raises `version`. The rows of the organizations above are
    recomputed from their children's rows by a coalesced task (members.figures.propagate),
    which sets `propagated` to the version it included: a branch row with
    version > propagated is "dirty" (its ancestors do not include it yet).
    """

    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="+", verbose_name=_("organization")
    )
    # The organization's parent, copied here so that an ancestor is recomputed from its
    # children's rows alone (an index on parent), whatever the size of its subtree.
    parent = models.ForeignKey(Organization, on_delete=models.CASCADE, null=True, related_name="+")
    version = models.PositiveBigIntegerField(default=0)
    propagated = models.PositiveBigIntegerField(default=0)
    computed_at = models.DateTimeField(_("computed at"), default=timezone.now)

    class Meta:
        abstract = True


def figures_keys(prefix, *by):
    """(constraints, indexes) of a figures table, named after `prefix`: one row per
    organization (and `by`, e.g. "year"), the children of an organization by their parent,
    and the dirty rows that members.figures.propagate reads."""
    constraints = [models.UniqueConstraint(fields=["organization", *by], name=f"{prefix}_once")]
    indexes = [
        models.Index(fields=["parent", *by], name=f"{prefix}_parent"),
        models.Index(
            fields=["organization"],
            name=f"{prefix}_dirty",
            condition=Q(version__gt=F("propagated")),
        ),
    ]
    return constraints, indexes


class YearSummary(models.Model):
    """A summary row of one owner (OWNER: the foreign key naming it) for one calendar year."""

    OWNER = ""

    year = models.PositiveSmallIntegerField(_("year"))

    class Meta:
        abstract = True

    def __str__(self):
        return f"{getattr(self, f'{self.OWNER}_id')} {self.year}"


class OrganizationYearFigures(OrganizationFigures, YearSummary):
    """Figures of an organization's subtree for one calendar year (members.figures keys the
    rows by `year`)."""

    OWNER = "organization"

    class Meta:
        abstract = True


class OrganizationMemberFigures(OrganizationFigures):
    """Current members (full + probationary) and probationary members below an
    organization (its own members for a branch)."""

    members = models.PositiveIntegerField(default=0)
    probationary = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("organization member figures")
        verbose_name_plural = _("organization member figures")
        constraints, indexes = figures_keys("member_figures")

    def __str__(self):
        return f"{self.organization_id}: {self.members}"
