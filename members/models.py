"""Who is who: organizations (one tree), members, positions, transfers, notifications, audit.

Roles are never stored twice: "secretary of X" and "organizer over X" are derived from
Position rows (see members.permissions).
"""

from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from simple_history.models import HistoricalRecords
from treebeard.mp_tree import MP_Node

from .concurrency import Versioned
from .fields import actor_field


class OrganizationKind(models.TextChoices):
    COMMITTEE = "committee", _("Party committee")
    GENERAL_BRANCH = "general_branch", _("General Party branch")
    BRANCH = "branch", _("Party branch")
    GROUP = "group", _("Party group")


class Organization(MP_Node):
    """One node of the organization tree (materialized path, see DESIGN.md "Known traps").

    Create children through members.services.organization_create, which locks the parent so
    that concurrent inserts cannot compute the same path.
    """

    # Four characters per level: 36**4 = 1.6 million children per node, paths stay short.
    steplen = 4

    name = models.CharField(_("name"), max_length=120)
    kind = models.CharField(_("kind"), max_length=20, choices=OrganizationKind.choices)
    code = models.CharField(_("code"), max_length=40, blank=True)
    established_on = models.DateField(_("established on"), null=True, blank=True)
    is_active = models.BooleanField(_("active"), default=True)

    history = HistoricalRecords(excluded_fields=["numchild"])

    class Meta:
        verbose_name = _("organization")
        verbose_name_plural = _("organizations")
        indexes = [
            # Prefix (LIKE 'path%') queries on PostgreSQL need a pattern-ops index.
            models.Index(
                fields=["path"], name="org_path_prefix", opclasses=["varchar_pattern_ops"]
            ),
            models.Index(fields=["kind", "path"], name="org_kind_path"),
            # Direct children (depth = d + 1, path prefix) without reading the whole subtree.
            models.Index(
                fields=["depth", "path"],
                name="org_depth_path",
                opclasses=["int4_ops", "varchar_pattern_ops"],
            ),
        ]

    def __str__(self):
        return self.name

    @property
    def is_branch(self):
        return self.kind == OrganizationKind.BRANCH

    def subtree_q(self, prefix=""):
        """Q matching this organization and everything below it, on a field path prefix."""
        return Q(**{f"{prefix}path__startswith": self.path})


def subtree_range_q(path, field="path", *, upper=None):
    """Q matching the organization at `path` and everything below it as a range of paths
    (path >= '0001' AND path < '0002'), not a LIKE: an index on the path then reads the
    subtree in path order, so `ORDER BY path LIMIT n` stops after n rows whatever the
    collation (a LIKE prefix only uses the pattern-ops index, which does not sort).
    A compiled queryset's builder gives `path` as a Param and its `upper` bound (a Param
    deriving `subtree_upper_bound`, or False where there is none)."""
    if upper is None:
        upper = subtree_upper_bound(path) or False
    q = Q(**{f"{field}__gte": path})
    if upper is not False:
        q &= Q(**{f"{field}__lt": upper})
    return q


def subtree_upper_bound(path):
    """The first path after `path`'s subtree, or None when `path` is the last possible one
    of its length (nothing can follow it)."""
    alphabet = Organization.alphabet
    head = path
    while head and head[-1] == alphabet[-1]:
        head = head[:-1]
    if not head:
        return None
    return head[:-1] + alphabet[alphabet.index(head[-1]) + 1]


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


class Notification(models.Model):
    """An in-app message to a member, also e-mailed; reminders are unique per key.

    The key (kind, subject, recipient, due date) is what makes a retried or re-run task
    harmless: members.services.notify inserts under it and a second insert does nothing.
    """

    class EmailState(models.TextChoices):
        NONE = "none", _("No e-mail")
        PENDING = "pending", _("Waiting to be sent")
        SENDING = "sending", _("Being sent")
        SENT = "sent", _("Sent")
        FAILED = "failed", _("Failed")

    recipient = models.ForeignKey(Member, on_delete=models.CASCADE, related_name="notifications")
    kind = models.CharField(max_length=60)
    subject_type = models.ForeignKey(ContentType, on_delete=models.CASCADE)
    subject_id = models.CharField(max_length=40)
    subject = GenericForeignKey("subject_type", "subject_id")
    due_date = models.DateField()
    title = models.CharField(_("title"), max_length=200)
    body = models.TextField(_("message"), blank=True)
    url = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    read_at = models.DateTimeField(null=True, blank=True)
    email_state = models.CharField(
        max_length=10, choices=EmailState.choices, default=EmailState.PENDING
    )
    email_attempts = models.PositiveSmallIntegerField(default=0)
    # When a sender claimed it (pending -> sending): a claim left behind by a dead sender is
    # released to pending after a while and sent again (members.services.pending_emails_send).
    email_claimed_at = models.DateTimeField(null=True, blank=True)
    emailed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["kind", "subject_type", "subject_id", "recipient", "due_date"],
                name="notification_once_per_key",
            )
        ]
        indexes = [
            models.Index(fields=["recipient", "read_at"], name="notification_inbox"),
            models.Index(fields=["email_state", "created_at"], name="notification_outbox"),
        ]

    def __str__(self):
        return self.title


class AuditEntry(models.Model):
    """Who did what to which object, for actions that history tables do not capture:
    exports of personal data, views of confidential records, workflow moves."""

    actor = actor_field(blank=False)
    action = models.CharField(_("action"), max_length=80, db_index=True)
    object_type = models.ForeignKey(ContentType, on_delete=models.CASCADE, null=True)
    object_id = models.CharField(max_length=40, blank=True)
    data = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        verbose_name = _("audit entry")
        verbose_name_plural = _("audit entries")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["object_type", "object_id"], name="audit_object")]

    def __str__(self):
        return f"{self.action} {self.object_type_id}:{self.object_id}"


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


# Feature subpackages keep their models in their own module; importing them here registers
# them with the members app.
from .channels.models import (  # noqa: E402, F401 (registered with the app, importable from here)
    BranchChannel,
    ChannelKind,
    ChannelPreference,
    Delivery,
    RateWindow,
)
from .protection.models import (  # noqa: E402, F401 (registered with the app, importable from here)
    OPEN_CASE_STATUSES,
    CaseAction,
    CaseActionKind,
    CaseAssignment,
    CaseEvidence,
    CaseKind,
    CaseStatus,
    CaseView,
    Clarification,
    ProtectionCase,
)
