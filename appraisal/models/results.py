"""Ratings, objections during publicity, and the append-only records and amendments."""

from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from members.fields import actor_field
from members.models import Member

from .cycles import AppraisalCycle, Grade

# --- rating, publicity, record -------------------------------------------------------------


def _reason_q():
    return Q(grade__in=[Grade.EXCELLENT, Grade.QUALIFIED]) | ~Q(reason="")


class Rating(models.Model):
    """The grade the branch committee proposes for a member (组织评定)."""

    cycle = models.ForeignKey(AppraisalCycle, on_delete=models.PROTECT, related_name="ratings")
    member = models.ForeignKey(Member, on_delete=models.PROTECT, related_name="+")
    grade = models.CharField(_("grade"), max_length=20, choices=Grade.choices)
    reason = models.TextField(_("reason"), blank=True)
    proposed_by = actor_field()
    updated_at = models.DateTimeField(auto_now=True)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("rating")
        verbose_name_plural = _("ratings")
        constraints = [
            models.UniqueConstraint(fields=["cycle", "member"], name="rating_once"),
            models.CheckConstraint(condition=_reason_q(), name="rating_reason_when_low"),
        ]

    def __str__(self):
        return f"{self.member}: {self.get_grade_display()}"


class Objection(models.Model):
    """A member's objection during publicity (公示), and the committee's answer."""

    cycle = models.ForeignKey(AppraisalCycle, on_delete=models.PROTECT, related_name="objections")
    filed_by = models.ForeignKey(Member, on_delete=models.PROTECT, related_name="+")
    about = models.ForeignKey(
        Member,
        verbose_name=_("about"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    text = models.TextField(_("objection"))
    filed_at = models.DateTimeField(default=timezone.now)
    answer = models.TextField(_("answer"), blank=True)
    answered_by = actor_field()
    answered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("objection")
        verbose_name_plural = _("objections")
        ordering = ["filed_at", "id"]

    def __str__(self):
        return f"{self.cycle} · {self.filed_by}"

    @property
    def is_answered(self):
        return self.answered_at is not None


class ImmutableRecordError(Exception):
    """A closed appraisal record or an amendment was about to be changed or deleted."""


class _AppendOnlyQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise ImmutableRecordError("append-only table")

    def delete(self):
        raise ImmutableRecordError("append-only table")


class _AppendOnly(models.Model):
    objects = _AppendOnlyQuerySet.as_manager()

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise ImmutableRecordError(f"{type(self).__name__} {self.pk} cannot be changed")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ImmutableRecordError(f"{type(self).__name__} {self.pk} cannot be deleted")


class AppraisalRecord(_AppendOnly):
    """A member's appraisal result for a year, written when the cycle closes; never edited.

    A correction is a RecordAmendment; the record's grade stays as it was decided.
    """

    cycle = models.ForeignKey(AppraisalCycle, on_delete=models.PROTECT, related_name="records")
    member = models.ForeignKey(Member, on_delete=models.PROTECT, related_name="appraisal_records")
    year = models.PositiveSmallIntegerField(_("year"))
    graded = models.BooleanField(_("appraised"), default=True)
    grade = models.CharField(_("grade"), max_length=20, choices=Grade.choices, blank=True)
    reason = models.TextField(_("reason"), blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("appraisal record")
        verbose_name_plural = _("appraisal records")
        ordering = ["-year", "member__full_name"]
        constraints = [
            models.UniqueConstraint(fields=["cycle", "member"], name="appraisal_record_once"),
        ]

    def __str__(self):
        return f"{self.member} · {self.year}"

    def current_amendment(self):
        """The latest amendment (amendments must be prefetched or are queried once)."""
        amendments = list(self.amendments.all())
        return max(amendments, key=lambda a: (a.amended_at, a.pk)) if amendments else None

    @property
    def current_grade(self):
        latest = self.current_amendment()
        return latest.grade if latest else self.grade

    def get_current_grade_display(self):
        return Grade(self.current_grade).label if self.current_grade else ""


class RecordAmendment(_AppendOnly):
    """A correction of a closed record: the new grade and why. Kept beside the original."""

    record = models.ForeignKey(AppraisalRecord, on_delete=models.PROTECT, related_name="amendments")
    grade = models.CharField(_("corrected grade"), max_length=20, choices=Grade.choices)
    reason = models.TextField(_("reason for the correction"))
    amended_by = actor_field()
    amended_at = models.DateTimeField(default=timezone.now)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("record amendment")
        verbose_name_plural = _("record amendments")
        ordering = ["amended_at", "id"]
        constraints = [
            models.CheckConstraint(condition=~Q(reason=""), name="record_amendment_has_reason"),
        ]

    def __str__(self):
        return f"{self.record} → {self.grade}"
