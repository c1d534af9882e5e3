"""Commendations (Art. 23): a member or an organization (collective) is commended by an
organization; proposed by a branch committee or an organizer, approved at the awarding
level, then published. Rejected proposals keep their reason."""

from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from simple_history.models import HistoricalRecords

from members.concurrency import Versioned
from members.fields import actor_field
from members.uploads import PrivateFile, random_upload_path
from members.voiding import Voidable, voided_status_check

__all__ = [
    "Commendation",
    "CommendationDocument",
    "CommendationStatus",
    "CommendationTitle",
]


class CommendationTitle(models.TextChoices):
    OUTSTANDING_MEMBER = "outstanding_member", _("Outstanding Party member")
    OUTSTANDING_PARTY_WORKER = "outstanding_party_worker", _("Outstanding Party worker")
    ADVANCED_ORGANIZATION = "advanced_organization", _("Advanced grassroots Party organization")
    POSITIVE_ONLINE_CONTENT = (
        "positive_online_content",
        _("Outstanding contribution to positive online content"),
    )
    OTHER = "other", pgettext_lazy("commendation title", "Other")


def title_text(title, detail, label):
    """How a commendation's title reads (`label`: the title's label): "other" by its
    detail, any other by its detail, if any, before its label."""
    if title == CommendationTitle.OTHER:
        return detail
    return f"{detail} {label}" if detail else str(label)


# Titles that only an individual, or only an organization, can receive.
MEMBER_ONLY_TITLES = (
    CommendationTitle.OUTSTANDING_MEMBER,
    CommendationTitle.OUTSTANDING_PARTY_WORKER,
)
ORGANIZATION_ONLY_TITLES = (CommendationTitle.ADVANCED_ORGANIZATION,)


class CommendationStatus(models.TextChoices):
    PROPOSED = "proposed", _("Proposed")
    APPROVED = "approved", _("Approved")
    PUBLISHED = "published", pgettext_lazy("commendation status", "Published")
    REJECTED = "rejected", _("Rejected")
    VOIDED = "voided", pgettext_lazy("commendation status", "Voided")


class Commendation(Voidable, Versioned):
    """One commendation of a member or of an organization (collective).

    One recorded in error is voided with a reason (services.commendation_void): its status
    becomes "voided" and it no longer counts anywhere a published commendation does."""

    member = models.ForeignKey(
        "members.Member",
        verbose_name=_("member"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="commendations",
    )
    organization = models.ForeignKey(
        "members.Organization",
        verbose_name=_("organization (collective)"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="collective_commendations",
    )
    # The recipient's organization when proposed (the member's branch, or the collective
    # itself): lists and scopes use it, and it does not move when the member transfers.
    home_organization = models.ForeignKey(
        "members.Organization",
        verbose_name=_("recipient's organization"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    title = models.CharField(
        pgettext_lazy("commendation", "title"), max_length=40, choices=CommendationTitle.choices
    )
    title_detail = models.CharField(
        _("name of the honour"),
        max_length=120,
        blank=True,
        help_text=_('Required for "other"; optional otherwise, e.g. "2024 annual".'),
    )
    awarding_organization = models.ForeignKey(
        "members.Organization",
        verbose_name=_("awarding organization"),
        on_delete=models.PROTECT,
        related_name="commendations_awarded",
        help_text=_(
            "The organization that awards it: the recipient's own or one above it. Its level "
            "decides who approves: an organizer at or above it, or, for a branch commending "
            "within itself, the branch secretary."
        ),
    )
    reason = models.TextField(_("reason"))
    awarded_on = models.DateField(_("date"))
    status = models.CharField(
        _("status"),
        max_length=20,
        choices=CommendationStatus.choices,
        default=CommendationStatus.PROPOSED,
    )
    proposed_by = actor_field(_("proposed by"), blank=False)
    proposed_at = models.DateTimeField(_("proposed at"), default=timezone.now)
    decided_by = actor_field(_("decided by"))
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    rejection_reason = models.TextField(_("reason for rejection"), blank=True)
    published_by = actor_field(_("published by"))
    published_at = models.DateTimeField(_("published at"), null=True, blank=True)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("commendation")
        verbose_name_plural = _("commendations")
        ordering = ["-awarded_on", "-id"]
        indexes = [
            models.Index(fields=["home_organization", "awarded_on"], name="commendation_home_year"),
            models.Index(fields=["status", "awarding_organization"], name="commendation_waiting"),
            models.Index(fields=["member", "status", "awarded_on"], name="commendation_member"),
            # The lists read newest first and stop at a page (or at the bounded count):
            # walked in this order, a whole tree's list costs a page, not the tree.
            models.Index(fields=["awarded_on", "id"], name="commendation_awarded"),
            # Proposals waiting for a decision, oldest first (the organizer's "waiting" box).
            models.Index(
                fields=["proposed_at", "id"],
                condition=Q(status__in=["proposed", "approved"]),
                name="commendation_waiting_order",
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(member__isnull=False, organization__isnull=True)
                | Q(member__isnull=True, organization__isnull=False),
                name="commendation_one_recipient",
            ),
            models.CheckConstraint(
                condition=~Q(status="rejected") | ~Q(rejection_reason=""),
                name="commendation_rejected_has_reason",
            ),
            voided_status_check("commendation_voided_has_reason"),
            models.CheckConstraint(
                condition=~Q(title="other") | ~Q(title_detail=""),
                name="commendation_other_is_named",
            ),
        ]

    def __str__(self):
        return f"{self.recipient_name} · {self.display_title}"

    @property
    def is_collective(self):
        return self.organization_id is not None

    @property
    def recipient_name(self):
        return self.organization.name if self.is_collective else self.member.full_name

    @property
    def display_title(self):
        return title_text(self.title, self.title_detail, self.get_title_display())

    def clean(self):
        from django.core.exceptions import ValidationError

        if self.member_id and self.title in ORGANIZATION_ONLY_TITLES:
            raise ValidationError({"title": _("This title goes to an organization.")})
        if self.organization_id and self.title in MEMBER_ONLY_TITLES:
            raise ValidationError({"title": _("This title goes to a member.")})
        if self.title == CommendationTitle.OTHER and not self.title_detail.strip():
            raise ValidationError({"title_detail": _("Name the honour.")})


def commendation_document_upload_to(instance, filename):
    # Kept for the migrations that name it; new rows use PrivateFile's private_upload_to.
    return random_upload_path("commendations", filename)


class CommendationDocument(PrivateFile):
    """A supporting document; served only by appraisal:commendation_document after a check."""

    UPLOAD_FOLDER = "commendations"

    commendation = models.ForeignKey(
        Commendation, on_delete=models.PROTECT, related_name="documents"
    )

    class Meta:
        verbose_name = _("supporting document")
        verbose_name_plural = _("supporting documents")
        ordering = ["uploaded_at", "id"]
