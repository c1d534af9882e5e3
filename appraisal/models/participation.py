"""What members write before the ballot: self-assessments, heart-to-heart talks, peer reviews."""

from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from members.fields import actor_field
from members.models import Member

from .cycles import AppraisalCycle


class AssessmentStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    SUBMITTED = "submitted", _("Submitted")
    RETURNED = "returned", _("Returned")


class SelfAssessment(models.Model):
    """A member's own account of the year (个人自评), in the sections Art. 27 asks about."""

    cycle = models.ForeignKey(
        AppraisalCycle, on_delete=models.PROTECT, related_name="self_assessments"
    )
    member = models.ForeignKey(Member, on_delete=models.PROTECT, related_name="self_assessments")
    study = models.TextField(_("study"), blank=True)
    duties = models.TextField(_("conduct of duties"), blank=True)
    discipline = models.TextField(_("discipline"), blank=True)
    online_conduct = models.TextField(
        _("online conduct"),
        blank=True,
        help_text=_(
            "Your own account of how you conducted yourself online (Art. 27). "
            "Nothing is collected from your accounts."
        ),
    )
    improvements = models.TextField(_("what I will improve"), blank=True)
    status = models.CharField(
        _("status"), max_length=20, choices=AssessmentStatus.choices, default=AssessmentStatus.DRAFT
    )
    submitted_at = models.DateTimeField(null=True, blank=True)
    return_comment = models.TextField(_("comment on return"), blank=True)
    returned_at = models.DateTimeField(null=True, blank=True)
    returned_by = actor_field()
    updated_at = models.DateTimeField(auto_now=True)

    history = HistoricalRecords()

    SECTIONS = ("study", "duties", "discipline", "online_conduct", "improvements")

    class Meta:
        verbose_name = _("self-assessment")
        verbose_name_plural = _("self-assessments")
        constraints = [
            models.UniqueConstraint(fields=["cycle", "member"], name="self_assessment_once"),
        ]

    def __str__(self):
        return f"{self.cycle} · {self.member}"

    @property
    def is_submitted(self):
        return self.status == AssessmentStatus.SUBMITTED

    def sections(self):
        return [
            (self._meta.get_field(name).verbose_name, getattr(self, name)) for name in self.SECTIONS
        ]


class HeartToHeartTalk(models.Model):
    """A heart-to-heart talk (谈心谈话) held before the appraisal meeting."""

    cycle = models.ForeignKey(AppraisalCycle, on_delete=models.PROTECT, related_name="talks")
    talker = models.ForeignKey(
        Member, verbose_name=_("talked"), on_delete=models.PROTECT, related_name="+"
    )
    talked_with = models.ForeignKey(
        Member, verbose_name=_("with"), on_delete=models.PROTECT, related_name="+"
    )
    held_on = models.DateField(_("held on"))
    note = models.CharField(_("note"), max_length=300, blank=True)
    recorded_by = actor_field()
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("heart-to-heart talk")
        verbose_name_plural = _("heart-to-heart talks")
        ordering = ["-held_on", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(talker=F("talked_with")), name="talk_between_two_people"
            )
        ]

    def __str__(self):
        return f"{self.talker} · {self.talked_with} · {self.held_on}"


class PeerReview(models.Model):
    """A signed comment by one member on a fellow member of the branch (党员互评)."""

    cycle = models.ForeignKey(AppraisalCycle, on_delete=models.PROTECT, related_name="peer_reviews")
    reviewer = models.ForeignKey(Member, on_delete=models.PROTECT, related_name="+")
    reviewed = models.ForeignKey(
        Member, verbose_name=_("member"), on_delete=models.PROTECT, related_name="+"
    )
    comment = models.TextField(_("comment"))
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("peer review")
        verbose_name_plural = _("peer reviews")
        constraints = [
            models.UniqueConstraint(
                fields=["cycle", "reviewer", "reviewed"], name="peer_review_once"
            ),
            models.CheckConstraint(
                condition=~Q(reviewer=F("reviewed")), name="peer_review_not_self"
            ),
        ]

    def __str__(self):
        return f"{self.reviewer} → {self.reviewed}"
