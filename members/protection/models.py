"""Protection cases (Art. 24): a member subjected to false accusation, cyberbullying or threats
asks the organization for protection; handlers record what they did; a clarification
(澄清正名) may be issued.

Confidential: a case is seen only by the member it concerns, the handlers assigned to it and
members who hold a case-handler position at an organization above (Role.CASE_HANDLER). Every
read goes through members.protection.permissions.cases_visible_to and is logged (CaseView).
"""

import uuid

from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from simple_history.models import HistoricalRecords

from ..concurrency import Versioned
from ..fields import actor_field
from ..uploads import PrivateFile, random_upload_path
from ..voiding import Voidable, voided_status_check

__all__ = [
    "OPEN_CASE_STATUSES",
    "CaseAction",
    "CaseActionKind",
    "CaseAssignment",
    "CaseEvidence",
    "CaseKind",
    "CaseStatus",
    "CaseView",
    "Clarification",
    "ProtectionCase",
]


class CaseKind(models.TextChoices):
    FALSE_ACCUSATION = "false_accusation", _("False accusation or framing")
    CYBERBULLYING = "cyberbullying", _("Cyberbullying")
    THREAT = "threat", _("Threat or intimidation")
    OTHER = "other", pgettext_lazy("protection case kind", "Other")


class CaseStatus(models.TextChoices):
    REPORTED = "reported", _("Reported")
    ACCEPTED = "accepted", _("Accepted")
    DECLINED = "declined", _("Declined")
    IN_PROGRESS = "in_progress", _("In progress")
    RESOLVED = "resolved", _("Resolved")
    CLOSED = "closed", pgettext_lazy("protection case status", "Closed")
    VOIDED = "voided", pgettext_lazy("protection case status", "Voided")


# Cases that still need the handlers' attention.
OPEN_CASE_STATUSES = (CaseStatus.REPORTED, CaseStatus.ACCEPTED, CaseStatus.IN_PROGRESS)


class CaseActionKind(models.TextChoices):
    TALK = "talk", _("Talked with the member")
    PLATFORM_REMOVAL = "platform_removal", _("Asked a platform to remove content")
    REFERRAL = "referral", _("Referred to the relevant department")
    LEGAL_HELP = "legal_help", _("Legal help arranged")
    OTHER = "other", pgettext_lazy("case action kind", "Other")


class CaseQuerySet(models.QuerySet):
    def locked(self, case):
        """`case` read again, locked until the transaction ends, with its member, the member's
        branch and its own branch: what a service that changes a case starts from."""
        return (
            self.select_for_update()
            .select_related("member", "member__branch", "branch")
            .get(pk=case.pk)
        )


class ProtectionCase(Voidable, Versioned):
    """One request for protection, concerning one member (Art. 24).

    `branch` is the member's branch when the case was opened: the case stays with the
    organizations that took it up even if the member later moves (its handlers are chosen
    from above this branch). `ref` is the case's public name (URLs, notices, pages), so that
    nobody learns how many cases exist from a sequential number. A case opened in error
    (twice, for the wrong member) is voided with a reason by its handlers, from any state
    (services.case_void): status "voided", kept and readable, no longer open anywhere.
    """

    ref = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    member = models.ForeignKey(
        "members.Member",
        verbose_name=_("member concerned"),
        on_delete=models.PROTECT,
        related_name="protection_cases",
    )
    branch = models.ForeignKey(
        "members.Organization",
        verbose_name=_("branch"),
        on_delete=models.PROTECT,
        related_name="+",
        help_text=_("The member's branch when the case was opened."),
    )
    kind = models.CharField(_("what happened"), max_length=30, choices=CaseKind.choices)
    description = models.TextField(
        _("description"), help_text=_("What happened, in your own words.")
    )
    place = models.CharField(
        _("where"),
        max_length=200,
        help_text=_("The platform, website or place where it happened."),
    )
    occurred_on = models.DateField(_("when (date)"))
    occurred_note = models.CharField(
        _("when (details)"),
        max_length=200,
        blank=True,
        help_text=_("For example: over three weeks, still going on."),
    )
    evidence_text = models.TextField(
        _("evidence (text)"), blank=True, help_text=_("Messages or statements, copied out.")
    )
    evidence_links = models.TextField(
        _("evidence (links)"),
        blank=True,
        help_text=_("One address per line. They are written down only; nobody opens them here."),
    )
    help_requested = models.TextField(_("help asked for"))
    status = models.CharField(
        _("status"), max_length=20, choices=CaseStatus.choices, default=CaseStatus.REPORTED
    )
    decline_reason = models.TextField(_("reason for declining"), blank=True)
    opened_by = actor_field(_("opened by"))
    opened_on_behalf = models.BooleanField(_("opened by the branch on the member's behalf"))
    reported_at = models.DateTimeField(_("reported at"), default=timezone.now)
    accepted_at = models.DateTimeField(_("accepted at"), null=True, blank=True)
    resolved_at = models.DateTimeField(_("resolved at"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    reopened_count = models.PositiveSmallIntegerField(_("times reopened"), default=0)
    updated_at = models.DateTimeField(auto_now=True)

    objects = CaseQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("protection case")
        verbose_name_plural = _("protection cases")
        ordering = ["-reported_at", "-id"]
        indexes = [
            models.Index(fields=["member", "status"], name="case_member_status"),
            models.Index(fields=["status", "reported_at"], name="case_status_reported"),
            # The lists read newest first and stop at a page (members.protection.permissions).
            models.Index(fields=["reported_at", "id"], name="case_reported"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=~Q(status="declined") | ~Q(decline_reason=""),
                name="case_declined_has_reason",
            ),
            voided_status_check("case_voided_has_reason"),
        ]

    def __str__(self):
        return _("Protection case %(ref)s") % {"ref": self.short_ref}

    @property
    def short_ref(self):
        return self.ref.hex[:8]

    @property
    def is_open(self):
        return self.status in OPEN_CASE_STATUSES

    @property
    def links(self):
        return [line.strip() for line in self.evidence_links.splitlines() if line.strip()]


class CaseAssignment(models.Model):
    """A handler assigned to one case; ending the assignment ends their access."""

    case = models.ForeignKey(ProtectionCase, on_delete=models.PROTECT, related_name="assignments")
    handler = models.ForeignKey(
        "members.Member",
        verbose_name=_("handler"),
        on_delete=models.PROTECT,
        related_name="case_assignments",
    )
    assigned_by = actor_field(blank=False)
    assigned_at = models.DateTimeField(default=timezone.now)
    removed_at = models.DateTimeField(null=True, blank=True)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("case assignment")
        verbose_name_plural = _("case assignments")
        ordering = ["assigned_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["case", "handler"],
                condition=Q(removed_at__isnull=True),
                name="case_assignment_one_open",
            )
        ]
        indexes = [models.Index(fields=["handler", "removed_at"], name="case_assignment_handler")]

    def __str__(self):
        return f"{self.handler} · {self.case}"


def evidence_upload_to(instance, filename):
    # Kept for the migrations that name it; new rows use PrivateFile's private_upload_to.
    return random_upload_path("protection", filename)


class CaseEvidence(PrivateFile):
    """A file of evidence; served only by members:case_evidence after a permission check."""

    UPLOAD_FOLDER = "protection"

    ref = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    case = models.ForeignKey(ProtectionCase, on_delete=models.PROTECT, related_name="evidence")
    note = models.CharField(_("note"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("evidence file")
        verbose_name_plural = _("evidence files")
        ordering = ["uploaded_at", "id"]


class HandlerRecord(models.Model):
    """A row a handler writes on the case's file: who recorded it and when."""

    recorded_by = actor_field(blank=False)
    recorded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        abstract = True


class CaseAction(HandlerRecord):
    """One step on the case's timeline, with its outcome and an optional follow-up."""

    case = models.ForeignKey(ProtectionCase, on_delete=models.PROTECT, related_name="actions")
    kind = models.CharField(_("action"), max_length=30, choices=CaseActionKind.choices)
    acted_on = models.DateField(_("date"))
    description = models.TextField(_("what was done"))
    outcome = models.TextField(_("outcome"), blank=True)
    follow_up_due = models.DateField(
        _("follow up by"),
        null=True,
        blank=True,
        help_text=_(
            "The handlers are reminded the day before, and again a week after the date if "
            "the follow-up is still not done."
        ),
    )
    follow_up_note = models.CharField(_("follow-up"), max_length=200, blank=True)
    follow_up_done_at = models.DateTimeField(_("follow-up done at"), null=True, blank=True)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("case action")
        verbose_name_plural = _("case actions")
        ordering = ["acted_on", "recorded_at", "id"]
        indexes = [
            models.Index(
                fields=["follow_up_due", "follow_up_done_at"], name="case_action_follow_up"
            )
        ]

    def __str__(self):
        return f"{self.get_kind_display()} · {self.acted_on}"


class Clarification(HandlerRecord):
    """A clarification (澄清正名) issued for the member; on their record only with consent."""

    case = models.ForeignKey(
        ProtectionCase, on_delete=models.PROTECT, related_name="clarifications"
    )
    text = models.TextField(_("text of the clarification"))
    issued_on = models.DateField(_("issued on"))
    published_where = models.CharField(
        _("published where"), max_length=200, help_text=_("For example: a branch meeting.")
    )
    published_to = models.CharField(
        _("published to whom"), max_length=200, help_text=_("For example: all branch members.")
    )
    approving_organization = models.ForeignKey(
        "members.Organization",
        verbose_name=_("approved by"),
        on_delete=models.PROTECT,
        related_name="+",
        help_text=_("The organization that approved the clarification."),
    )
    approval_reference = models.CharField(
        _("approval"),
        max_length=200,
        help_text=_("The decision behind it, e.g. the meeting and date or the document number."),
    )
    member_consents = models.BooleanField(_("shown on the member's record"), default=False)
    consent_changed_at = models.DateTimeField(null=True, blank=True)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("clarification")
        verbose_name_plural = _("clarifications")
        ordering = ["issued_on", "id"]

    def __str__(self):
        return f"{self.issued_on} · #{self.case_id}"


class CaseView(models.Model):
    """One read of a case (its page or one of its files): who looked and when."""

    case = models.ForeignKey(ProtectionCase, on_delete=models.PROTECT, related_name="views")
    viewer = actor_field(blank=False)
    # Kept as text so the member still sees who looked after an account is removed.
    viewer_name = models.CharField(max_length=120)
    evidence = models.ForeignKey(
        CaseEvidence, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    viewed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("case view")
        verbose_name_plural = _("case views")
        ordering = ["-viewed_at", "-id"]
        indexes = [models.Index(fields=["case", "viewed_at"], name="case_view_case")]

    def __str__(self):
        return f"{self.viewer_name} · #{self.case_id} · {self.viewed_at:%Y-%m-%d %H:%M}"
