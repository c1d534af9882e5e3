"""Make-up study (补学): what a member studied for a session they missed, and its review."""

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from members.fields import actor_field
from members.models import Member
from members.uploads import PrivateFile, random_upload_path

from .sessions import HOURS_FIELD, Session


def makeup_evidence_upload_to(instance, filename):
    # Kept for the migrations that name it; evidence is a MakeupEvidence (a PrivateFile) now.
    return random_upload_path("education/makeups", filename)


class MakeupState(models.TextChoices):
    SUBMITTED = "submitted", _("Waiting for confirmation")
    CONFIRMED = "confirmed", _("Confirmed")
    REJECTED = "rejected", _("Rejected")


class Makeup(models.Model):
    """Make-up study (补学) a member records for a missed session; counts once confirmed."""

    member = models.ForeignKey(
        Member, verbose_name=_("member"), on_delete=models.PROTECT, related_name="makeups"
    )
    session = models.ForeignKey(
        Session,
        verbose_name=_("missed session"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="makeups",
    )
    description = models.TextField(_("what was studied"))
    studied_on = models.DateField(_("studied on"))
    hours = models.DecimalField(_("hours"), **HOURS_FIELD)
    state = models.CharField(
        _("state"), max_length=12, choices=MakeupState.choices, default=MakeupState.SUBMITTED
    )
    reviewed_by = actor_field()
    reviewed_at = models.DateTimeField(null=True, blank=True)
    review_note = models.CharField(_("review note"), max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("make-up study")
        verbose_name_plural = _("make-up studies")
        ordering = ["-studied_on", "-id"]
        indexes = [models.Index(fields=["member", "state", "studied_on"], name="makeup_member")]
        constraints = [
            models.CheckConstraint(condition=Q(hours__gt=0), name="makeup_hours_positive"),
            models.UniqueConstraint(
                fields=["member", "session"],
                condition=~Q(state="rejected") & Q(session__isnull=False),
                name="makeup_once_per_session",
            ),
        ]

    def __str__(self):
        return f"{self.member} · {self.studied_on}"


class MakeupEvidence(PrivateFile):
    """The evidence file of a make-up study (one at most): served only by
    education:makeup_evidence after a permission check."""

    UPLOAD_FOLDER = "education/makeups"

    makeup = models.OneToOneField(
        Makeup, on_delete=models.PROTECT, related_name="evidence", verbose_name=_("make-up study")
    )

    class Meta:
        verbose_name = _("make-up evidence")
        verbose_name_plural = _("make-up evidence")
