"""Members, their positions (roles are derived from Position rows, see members.permissions)
and their transfers."""

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from simple_history.models import HistoricalRecords

from ..concurrency import Versioned
from .organizations import Organization, OrganizationKind


class Gender(models.TextChoices):
    MALE = "male", _("Male")
    FEMALE = "female", _("Female")


class Education(models.TextChoices):
    SECONDARY = "secondary", _("Secondary school or below")
    VOCATIONAL = "vocational", _("Vocational college")
    BACHELOR = "bachelor", _("Bachelor's degree")
    MASTER = "master", _("Master's degree")
    DOCTORATE = "doctorate", _("Doctorate")


class MemberStatus(models.TextChoices):
    PROBATIONARY = "probationary", _("Probationary member")
    FULL = "full", _("Full member")
    TRANSFERRED_OUT = "transferred_out", _("Transferred out")
    DECEASED = "deceased", _("Deceased")


ACTIVE_STATUSES = (MemberStatus.PROBATIONARY, MemberStatus.FULL)


class MemberQuerySet(models.QuerySet):
    def active(self):
        return self.filter(status__in=ACTIVE_STATUSES)

    def in_subtree(self, organization):
        return self.filter(branch__path__startswith=organization.path)


class Member(Versioned):
    """A Party member and the branch that holds their organizational relationship."""

    full_name = models.CharField(_("full name"), max_length=60, db_index=True)
    gender = models.CharField(_("gender"), max_length=10, choices=Gender.choices)
    birth_date = models.DateField(_("date of birth"), null=True, blank=True)
    ethnicity = models.CharField(_("ethnicity"), max_length=20, default="汉族", blank=True)
    education = models.CharField(
        _("education"), max_length=20, choices=Education.choices, blank=True
    )
    phone = models.CharField(_("phone"), max_length=20, blank=True)
    email = models.EmailField(_("e-mail"), blank=True)
    joined_on = models.DateField(_("joined the Party on"))
    full_member_on = models.DateField(_("became a full member on"), null=True, blank=True)
    status = models.CharField(
        _("status"), max_length=20, choices=MemberStatus.choices, default=MemberStatus.FULL
    )
    branch = models.ForeignKey(
        Organization,
        verbose_name=_("branch"),
        on_delete=models.PROTECT,
        related_name="members",
    )
    group = models.ForeignKey(
        Organization,
        verbose_name=pgettext_lazy("party group", "group"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="group_members",
    )
    account = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("login account"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="member",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    history = HistoricalRecords()
    objects = MemberQuerySet.as_manager()

    class Meta:
        verbose_name = _("member")
        verbose_name_plural = _("members")
        ordering = ["full_name", "id"]
        indexes = [models.Index(fields=["branch", "status", "full_name"], name="member_roster")]
        constraints = [
            models.CheckConstraint(
                condition=Q(full_member_on__isnull=True) | Q(full_member_on__gte=F("joined_on")),
                name="member_full_after_joined",
            ),
        ]

    def __str__(self):
        return self.full_name

    @property
    def is_active(self):
        return self.status in ACTIVE_STATUSES


class Role(models.TextChoices):
    SECRETARY = "secretary", _("Secretary")
    DEPUTY_SECRETARY = "deputy_secretary", _("Deputy secretary")
    COMMITTEE_MEMBER = "committee_member", _("Committee member")
    ORGANIZATION_OFFICER = "organization_officer", _("Organization officer")
    PUBLICITY_OFFICER = "publicity_officer", _("Publicity officer")
    DISCIPLINE_OFFICER = "discipline_officer", _("Discipline officer")
    GROUP_LEADER = "group_leader", _("Group leader")
    # Staff of the organization department of a committee: organizer over its subtree.
    ORGANIZER = "organizer", _("Organization department staff")
    # Handles the protection cases (Art. 24) of a committee's or general branch's subtree,
    # while also an organizer reaching it (members.protection.permissions.handler_paths).
    CASE_HANDLER = "case_handler", _("Protection case handler")


# Roles that make someone part of the leadership (支委会 / 党委) of the organization they are in.
COMMITTEE_ROLES = (
    Role.SECRETARY,
    Role.DEPUTY_SECRETARY,
    Role.COMMITTEE_MEMBER,
    Role.ORGANIZATION_OFFICER,
    Role.PUBLICITY_OFFICER,
    Role.DISCIPLINE_OFFICER,
)


class PositionQuerySet(models.QuerySet):
    def current(self, on=None):
        on = on or timezone.localdate()
        return self.filter(Q(ended_on__isnull=True) | Q(ended_on__gte=on), started_on__lte=on)


class Position(models.Model):
    """A member's role in an organization for a period (end open while it lasts)."""

    member = models.ForeignKey(
        Member, verbose_name=_("member"), on_delete=models.CASCADE, related_name="positions"
    )
    organization = models.ForeignKey(
        Organization,
        verbose_name=_("organization"),
        on_delete=models.CASCADE,
        related_name="positions",
    )
    role = models.CharField(_("role"), max_length=30, choices=Role.choices)
    started_on = models.DateField(_("started on"))
    ended_on = models.DateField(_("ended on"), null=True, blank=True)
    note = models.CharField(_("note"), max_length=200, blank=True, default="")

    history = HistoricalRecords()
    objects = PositionQuerySet.as_manager()

    class Meta:
        verbose_name = _("position")
        verbose_name_plural = _("positions")
        ordering = ["organization_id", "role", "started_on"]
        indexes = [models.Index(fields=["member", "ended_on"], name="position_member_current")]
        constraints = [
            models.CheckConstraint(
                condition=Q(ended_on__isnull=True) | Q(ended_on__gte=F("started_on")),
                name="position_end_after_start",
            ),
            models.UniqueConstraint(
                fields=["member", "organization", "role"],
                condition=Q(ended_on__isnull=True),
                name="position_one_open_per_role",
            ),
        ]

    def __str__(self):
        return f"{self.member} · {self.get_role_display()} · {self.organization}"

    @property
    def is_current(self):
        today = timezone.localdate()
        return self.started_on <= today and (self.ended_on is None or self.ended_on >= today)

    def clean(self):
        if self.role == Role.CASE_HANDLER:
            self._clean_case_handler()

    def _clean_case_handler(self):
        """Only committees and general branches (the organizations *above* a branch) have case
        handlers, and only an organizer reaching the organization can be one."""
        from django.core.exceptions import ValidationError

        if self.organization_id and self.organization.kind not in (
            OrganizationKind.COMMITTEE,
            OrganizationKind.GENERAL_BRANCH,
        ):
            raise ValidationError(
                {
                    "organization": _(
                        "Protection cases are handled by a Party committee or general branch."
                    )
                }
            )
        if (
            self.organization_id
            and self.member_id
            and not member_organizes(self.member, self.organization)
        ):
            raise ValidationError(
                {
                    "member": _(
                        "Only an organizer at this organization or one above it can handle "
                        "its protection cases."
                    )
                }
            )


def organizer_position_q(prefix=""):
    """Q over Position: the positions that make someone an organizer over their organization
    (the organizer role, or a committee role in a committee or general branch)."""
    return Q(**{f"{prefix}role": Role.ORGANIZER}) | Q(
        **{
            f"{prefix}role__in": COMMITTEE_ROLES,
            f"{prefix}organization__kind__in": (
                OrganizationKind.COMMITTEE,
                OrganizationKind.GENERAL_BRANCH,
            ),
        }
    )


def member_organizes(member, organization, on=None):
    """True when the member currently holds an organizer position reaching the organization
    (at it or above) — the same rule as members.permissions.scope_for."""
    if member.status not in ACTIVE_STATUSES:
        return False
    step = organization.steplen
    above = [organization.path[:i] for i in range(step, len(organization.path) + 1, step)]
    return (
        Position.objects.current(on)
        .filter(member=member, organization__path__in=above)
        .filter(organizer_position_q())
        .exists()
    )


class Transfer(models.Model):
    """A move of a member's organizational relationship (组织关系转接) between organizations.

    to_organization is empty when the member leaves the system (transferred out).
    """

    member = models.ForeignKey(
        Member, verbose_name=_("member"), on_delete=models.CASCADE, related_name="transfers"
    )
    from_organization = models.ForeignKey(
        Organization,
        verbose_name=_("from"),
        on_delete=models.PROTECT,
        related_name="transfers_out",
    )
    to_organization = models.ForeignKey(
        Organization,
        verbose_name=_("to"),
        on_delete=models.PROTECT,
        related_name="transfers_in",
        null=True,
        blank=True,
    )
    transferred_on = models.DateField(_("transferred on"))
    note = models.CharField(_("note"), max_length=200, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("transfer")
        verbose_name_plural = _("transfers")
        ordering = ["-transferred_on", "-id"]

    def __str__(self):
        return f"{self.member} {self.from_organization} → {self.to_organization or '-'}"
