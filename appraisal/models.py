# ruff: noqa: E402  (the commendations import must stay the last line, see below)
"""Appraisal cycles, self-assessments, ballots, ratings, publicity, records, life meetings.

Art. 27 of the Regulations on the Online Behavior of Party Members: Party organizations
include members' online conduct in the self-criticism of democratic life meetings,
organizational life meetings and the democratic appraisal of members.

Ballot secrecy (DESIGN.md "Known traps", README "Ballot secrecy"): who voted lives in
BallotParticipation (random UUID key, no timestamp); what was voted lives only in
BallotCount counters, one per (cycle, appraised member, grade), created when the ballot opens
and only ever incremented. Neither is tracked by simple_history.
"""

import uuid

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from simple_history.models import HistoricalRecords

from members.concurrency import Versioned
from members.models import Member, Organization, OrganizationFigures


class Grade(models.TextChoices):
    EXCELLENT = "excellent", _("Excellent")
    QUALIFIED = "qualified", _("Qualified")
    BASICALLY_QUALIFIED = "basically_qualified", _("Basically qualified")
    UNQUALIFIED = "unqualified", _("Unqualified")


# Grades that a rating may only give with a written reason.
GRADES_NEEDING_REASON = (Grade.BASICALLY_QUALIFIED, Grade.UNQUALIFIED)


class Step(models.TextChoices):
    SELF_ASSESSMENT = "self_assessment", _("Self-assessment")
    PEER_REVIEW = "peer_review", _("Peer review")
    BALLOT = "ballot", _("Democratic ballot")
    RATING = "rating", _("Organizational rating")
    PUBLICITY = "publicity", _("Publicity")
    CLOSED = "closed", pgettext_lazy("appraisal cycle step", "Closed")


STEP_ORDER = [s.value for s in Step]


class RatingState(models.TextChoices):
    DRAFT = "draft", _("Being prepared")
    SUBMITTED = "submitted", _("Waiting for approval")
    APPROVED = "approved", _("Approved")
    RETURNED = "returned", _("Returned for changes")


class AppraisalRules(Versioned):
    """An organization's appraisal rules; the nearest organization above a branch wins.

    year empty: the rules of every year without rules of their own. A cycle copies the rules
    when it opens, so later changes never alter a cycle under way.
    """

    organization = models.ForeignKey(
        Organization,
        verbose_name=_("organization"),
        on_delete=models.CASCADE,
        related_name="appraisal_rules",
    )
    year = models.PositiveSmallIntegerField(
        _("year"), null=True, blank=True, help_text=_("Leave empty for every year.")
    )
    uses_publicity = models.BooleanField(_("publish results (公示)"), default=True)
    publicity_days = models.PositiveSmallIntegerField(_("publicity days"), default=5)
    excellent_cap_numerator = models.PositiveSmallIntegerField(
        _("excellent cap: numerator"), default=1
    )
    excellent_cap_denominator = models.PositiveSmallIntegerField(
        _("excellent cap: denominator"),
        default=3,
        help_text=_("At most numerator/denominator of the graded members may be excellent."),
    )
    quorum_numerator = models.PositiveSmallIntegerField(_("quorum: numerator"), default=1)
    quorum_denominator = models.PositiveSmallIntegerField(
        _("quorum: denominator"),
        default=2,
        help_text=_("The ballot is valid when more than this share of the voters took part."),
    )
    min_ballots_for_result = models.PositiveSmallIntegerField(
        _("fewest ballots for a per-member result"), default=3
    )
    probationary_graded = models.BooleanField(_("probationary members are graded"), default=False)
    peer_reviews_shown_to_reviewed = models.BooleanField(
        _("members see peer comments on themselves (without names)"), default=False
    )

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("appraisal rules")
        verbose_name_plural = _("appraisal rules")
        constraints = [
            models.UniqueConstraint(fields=["organization", "year"], name="appraisal_rules_once"),
            models.UniqueConstraint(
                fields=["organization"],
                condition=Q(year__isnull=True),
                name="appraisal_rules_default_once",
            ),
            models.CheckConstraint(
                condition=Q(excellent_cap_denominator__gt=0)
                & Q(quorum_denominator__gt=0)
                & Q(excellent_cap_numerator__lte=F("excellent_cap_denominator"))
                & Q(quorum_numerator__lt=F("quorum_denominator")),
                name="appraisal_rules_fractions",
            ),
        ]

    def __str__(self):
        return f"{self.organization} · {self.year or '*'}"


# The fields a cycle copies from its rules.
RULE_FIELDS = (
    "uses_publicity",
    "publicity_days",
    "excellent_cap_numerator",
    "excellent_cap_denominator",
    "quorum_numerator",
    "quorum_denominator",
    "min_ballots_for_result",
    "probationary_graded",
    "peer_reviews_shown_to_reviewed",
)


class AppraisalCycle(Versioned):
    """One branch's democratic appraisal of its members (民主评议党员) for one year."""

    branch = models.ForeignKey(
        Organization,
        verbose_name=_("branch"),
        on_delete=models.PROTECT,
        related_name="appraisal_cycles",
    )
    year = models.PositiveSmallIntegerField(_("year"))
    step = models.CharField(
        _("step"), max_length=20, choices=Step.choices, default=Step.SELF_ASSESSMENT
    )
    self_assessment_due = models.DateField(_("self-assessments due"))
    peer_review_due = models.DateField(_("peer review due"))
    ballot_opens_on = models.DateField(_("ballot opens on"))
    ballot_closes_on = models.DateField(_("ballot closes on"))
    rating_due = models.DateField(_("rating due"))

    # Copied from AppraisalRules when the cycle opens.
    uses_publicity = models.BooleanField(_("publish results (公示)"), default=True)
    publicity_days = models.PositiveSmallIntegerField(_("publicity days"), default=5)
    excellent_cap_numerator = models.PositiveSmallIntegerField(default=1)
    excellent_cap_denominator = models.PositiveSmallIntegerField(default=3)
    quorum_numerator = models.PositiveSmallIntegerField(default=1)
    quorum_denominator = models.PositiveSmallIntegerField(default=2)
    min_ballots_for_result = models.PositiveSmallIntegerField(default=3)
    probationary_graded = models.BooleanField(default=False)
    peer_reviews_shown_to_reviewed = models.BooleanField(
        _("members see peer comments on themselves (without names)"), default=False
    )

    rating_state = models.CharField(
        _("rating"), max_length=20, choices=RatingState.choices, default=RatingState.DRAFT
    )
    rating_comment = models.TextField(_("comment of the organization above"), blank=True)
    rating_decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    rating_decided_at = models.DateTimeField(null=True, blank=True)
    publicity_starts_on = models.DateField(_("publicity starts on"), null=True, blank=True)
    publicity_ends_on = models.DateField(_("publicity ends on"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)

    opened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("appraisal cycle")
        verbose_name_plural = _("appraisal cycles")
        ordering = ["-year", "branch__path"]
        constraints = [
            models.UniqueConstraint(fields=["branch", "year"], name="appraisal_cycle_once_a_year"),
            models.CheckConstraint(
                condition=Q(ballot_closes_on__gte=F("ballot_opens_on")),
                name="appraisal_cycle_ballot_dates",
            ),
        ]
        indexes = [models.Index(fields=["step", "year"], name="appraisal_cycle_step")]

    def __str__(self):
        return _("%(branch)s · appraisal %(year)s") % {"branch": self.branch, "year": self.year}

    @property
    def is_closed(self):
        return self.step == Step.CLOSED

    @property
    def step_index(self):
        return STEP_ORDER.index(self.step)

    def reached(self, step):
        return self.step_index >= STEP_ORDER.index(step)

    @property
    def ballot_closed(self):
        return self.reached(Step.RATING)

    @property
    def results_published(self):
        """Members may see the approved results (publicity started, or closed)."""
        return self.reached(Step.PUBLICITY)

    def next_step(self):
        if self.step == Step.CLOSED:
            return None
        nxt = STEP_ORDER[self.step_index + 1]
        if nxt == Step.PUBLICITY and not self.uses_publicity:
            return Step.CLOSED
        return nxt

    def excellent_cap(self, n_graded):
        """How many members may be excellent out of n_graded."""
        return (n_graded * self.excellent_cap_numerator) // self.excellent_cap_denominator


class CycleMove(models.Model):
    """One move of a cycle to its next step, and why it went ahead if a step was incomplete."""

    cycle = models.ForeignKey(AppraisalCycle, on_delete=models.PROTECT, related_name="moves")
    from_step = models.CharField(max_length=20, choices=Step.choices)
    to_step = models.CharField(max_length=20, choices=Step.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    moved_at = models.DateTimeField(default=timezone.now)
    incomplete = models.JSONField(_("what was incomplete"), default=list, blank=True)
    reason = models.TextField(_("reason for going ahead"), blank=True)

    class Meta:
        verbose_name = _("cycle move")
        verbose_name_plural = _("cycle moves")
        ordering = ["moved_at", "id"]

    def __str__(self):
        return f"{self.cycle}: {self.from_step} → {self.to_step}"

    @property
    def forced(self):
        return bool(self.incomplete)


class Participant(models.Model):
    """A member taking part in a cycle: snapshot of the branch when the cycle opened."""

    cycle = models.ForeignKey(AppraisalCycle, on_delete=models.PROTECT, related_name="participants")
    member = models.ForeignKey(
        Member, on_delete=models.PROTECT, related_name="appraisal_participations"
    )
    graded = models.BooleanField(_("appraised"), default=True)
    votes = models.BooleanField(_("votes"), default=True)

    class Meta:
        verbose_name = _("participant")
        verbose_name_plural = _("participants")
        constraints = [
            models.UniqueConstraint(fields=["cycle", "member"], name="participant_once"),
        ]

    def __str__(self):
        return f"{self.cycle} · {self.member}"


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
    returned_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
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
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
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


# --- the secret ballot ---------------------------------------------------------------------


class BallotBox(models.Model):
    """The ballot of a cycle: when it opened and closed, and its paper ballots.

    Locked (select_for_update) by every cast, so two tabs of one voter are serialized and the
    second finds the first's participation row. Changes on no online vote.
    """

    cycle = models.OneToOneField(
        AppraisalCycle, on_delete=models.PROTECT, primary_key=True, related_name="ballot_box"
    )
    opened_at = models.DateTimeField(default=timezone.now)
    closed_at = models.DateTimeField(null=True, blank=True)
    paper_issued = models.PositiveIntegerField(_("paper ballots issued"), default=0)
    paper_entered = models.PositiveIntegerField(_("paper ballots entered"), default=0)

    class Meta:
        verbose_name = _("ballot box")
        verbose_name_plural = _("ballot boxes")
        constraints = [
            models.CheckConstraint(
                condition=Q(paper_entered__lte=F("paper_issued")), name="ballot_paper_counted"
            )
        ]

    def __str__(self):
        return str(self.cycle)


class BallotParticipation(models.Model):
    """That a voter took part in a cycle's ballot (online or by a paper ballot) — nothing else.

    No timestamp, no sequential key (a random UUID), no link to any grade: the unique
    constraint is what makes "one ballot per voter" hold under concurrent submission.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    cycle = models.ForeignKey(AppraisalCycle, on_delete=models.PROTECT, related_name="+")
    voter = models.ForeignKey(Member, on_delete=models.PROTECT, related_name="+")

    class Meta:
        verbose_name = _("ballot participation")
        verbose_name_plural = _("ballot participations")
        constraints = [
            models.UniqueConstraint(fields=["cycle", "voter"], name="ballot_one_per_voter"),
        ]

    def __str__(self):
        return f"{self.cycle} · {self.voter}"


class BallotCount(models.Model):
    """How many ballots gave one grade to one appraised member.

    Every row is created (at zero) when the ballot opens and only ever incremented with F(),
    so neither the rows nor their keys follow the order or time of voting.
    """

    cycle = models.ForeignKey(AppraisalCycle, on_delete=models.PROTECT, related_name="+")
    member = models.ForeignKey(Member, on_delete=models.PROTECT, related_name="+")
    grade = models.CharField(max_length=20, choices=Grade.choices)
    count = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("ballot count")
        verbose_name_plural = _("ballot counts")
        constraints = [
            models.UniqueConstraint(fields=["cycle", "member", "grade"], name="ballot_count_once"),
        ]

    def __str__(self):
        return f"{self.cycle} · {self.member} · {self.grade}: {self.count}"


# --- rating, publicity, record -------------------------------------------------------------


def _reason_q():
    return Q(grade__in=[Grade.EXCELLENT, Grade.QUALIFIED]) | ~Q(reason="")


class Rating(models.Model):
    """The grade the branch committee proposes for a member (组织评定)."""

    cycle = models.ForeignKey(AppraisalCycle, on_delete=models.PROTECT, related_name="ratings")
    member = models.ForeignKey(Member, on_delete=models.PROTECT, related_name="+")
    grade = models.CharField(_("grade"), max_length=20, choices=Grade.choices)
    reason = models.TextField(_("reason"), blank=True)
    proposed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
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
    answered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
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
    amended_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
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


# --- life meetings ---------------------------------------------------------------------------


class MeetingKind(models.TextChoices):
    ORGANIZATIONAL = "organizational_life_meeting", _("Organizational life meeting")
    DEMOCRATIC = "democratic_life_meeting", _("Democratic life meeting")


class LifeMeeting(Versioned):
    """An organizational life meeting (组织生活会) or democratic life meeting (民主生活会)."""

    organization = models.ForeignKey(
        Organization,
        verbose_name=_("organization"),
        on_delete=models.PROTECT,
        related_name="life_meetings",
    )
    kind = models.CharField(_("kind"), max_length=40, choices=MeetingKind.choices)
    held_on = models.DateField(_("held on"))
    title = models.CharField(_("title"), max_length=200)
    topics = models.TextField(_("topics"), blank=True)
    self_examination = models.BooleanField(
        _("self-examination against the regulations"), default=True
    )
    online_conduct = models.BooleanField(_("online conduct included (Art. 27)"), default=True)
    minutes = models.TextField(_("minutes of criticism and self-criticism"), blank=True)
    attendees = models.ManyToManyField(
        Member, verbose_name=_("attendees"), related_name="life_meetings", blank=True
    )
    cycle = models.ForeignKey(
        AppraisalCycle,
        verbose_name=_("appraisal cycle"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="life_meetings",
    )
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("life meeting")
        verbose_name_plural = _("life meetings")
        ordering = ["-held_on", "-id"]
        indexes = [models.Index(fields=["organization", "held_on"], name="life_meeting_org")]

    def __str__(self):
        return f"{self.held_on} {self.title}"


class RectificationStatus(models.TextChoices):
    OPEN = "open", pgettext_lazy("rectification status", "Open")
    DONE = "done", pgettext_lazy("rectification status", "Done")


class Rectification(models.Model):
    """A rectification item (整改) from a life meeting, with an owner and a due date."""

    meeting = models.ForeignKey(
        LifeMeeting, on_delete=models.PROTECT, related_name="rectifications"
    )
    description = models.TextField(_("what to rectify"))
    owner = models.ForeignKey(
        Member, verbose_name=_("owner"), on_delete=models.PROTECT, related_name="rectifications"
    )
    due_on = models.DateField(_("due on"))
    status = models.CharField(
        _("status"),
        max_length=10,
        choices=RectificationStatus.choices,
        default=RectificationStatus.OPEN,
    )
    done_on = models.DateField(_("done on"), null=True, blank=True)
    done_note = models.TextField(_("what was done"), blank=True)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("rectification item")
        verbose_name_plural = _("rectification items")
        ordering = ["due_on", "id"]
        indexes = [models.Index(fields=["status", "due_on"], name="rectification_due")]
        constraints = [
            models.CheckConstraint(
                condition=Q(status="open", done_on__isnull=True)
                | Q(status="done", done_on__isnull=False),
                name="rectification_done_has_date",
            )
        ]

    def __str__(self):
        return self.description[:60]

    @property
    def is_done(self):
        return self.status == RectificationStatus.DONE


# Commendations keep their models in their own module; importing them here registers them
# with the appraisal app. Keep this line at the end of the file.
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


from .commendations.models import *  # noqa: F403
