"""Appraisal cycles and the rules they run by: grades, steps, moves, participants."""

from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext, pgettext_lazy
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from members.concurrency import Versioned
from members.errors import DomainError
from members.fields import actor_field
from members.models import Member, Organization
from members.voiding import Voidable


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


class RuleFields(models.Model):
    """The rules an appraisal runs by: set by an organization (AppraisalRules) and copied into
    each cycle when it opens (AppraisalCycle), so later changes never alter a cycle under way.
    A new rule is a field here, and both get it."""

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

    class Meta:
        abstract = True

    def rule_values(self):
        """{field name: value} of every rule field: what a cycle copies."""
        return {f.name: getattr(self, f.name) for f in RuleFields._meta.local_fields}


# The names of the rule fields (the admin shows them read-only on a cycle).
RULE_FIELDS = tuple(f.name for f in RuleFields._meta.local_fields)


class AppraisalRules(RuleFields, Versioned):
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


class CycleQuerySet(models.QuerySet):
    def not_voided(self):
        """The cycles that count: every one but those voided."""
        return self.filter(voided_at__isnull=True)

    def locked(self, cycle):
        """`cycle` read again, its row locked until the transaction ends (its branch read with
        it, not locked): what a service that moves or decides a cycle starts from."""
        return self.select_for_update(of=("self",)).select_related("branch").get(pk=cycle.pk)


# A cycle's deadline fields, in the order of the steps they close: each date is on or after
# the one before (services.cycles checks it when a cycle is opened or changed; the edit form
# shows these fields).
DEADLINE_FIELDS = (
    "self_assessment_due",
    "peer_review_due",
    "ballot_opens_on",
    "ballot_closes_on",
    "rating_due",
)


class AppraisalCycle(RuleFields, Voidable, Versioned):
    """One branch's democratic appraisal of its members (民主评议党员) for one year.

    A cycle opened or run in error is voided with a reason (services.cycles.cycle_void), never
    deleted: it stays readable, stops counting in the figures, its records stop being the
    members' results, and the branch may open a new cycle for the year.
    """

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

    # The RuleFields are copied from AppraisalRules when the cycle opens.

    rating_state = models.CharField(
        _("rating"), max_length=20, choices=RatingState.choices, default=RatingState.DRAFT
    )
    rating_comment = models.TextField(_("comment of the organization above"), blank=True)
    rating_decided_by = actor_field()
    rating_decided_at = models.DateTimeField(null=True, blank=True)
    publicity_starts_on = models.DateField(_("publicity starts on"), null=True, blank=True)
    publicity_ends_on = models.DateField(_("publicity ends on"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)

    opened_by = actor_field()
    created_at = models.DateTimeField(default=timezone.now)

    objects = CycleQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("appraisal cycle")
        verbose_name_plural = _("appraisal cycles")
        ordering = ["-year", "branch__path"]
        constraints = [
            models.UniqueConstraint(
                fields=["branch", "year"],
                condition=Q(voided_at__isnull=True),
                name="appraisal_cycle_once_a_year",
            ),
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
    def is_running(self):
        """Open for work: neither closed nor voided."""
        return not (self.is_closed or self.is_voided)

    def refuse_unless_running(self, closed_message=None):
        """Raise the DomainError a write into a voided or closed cycle gets."""
        if self.is_voided:
            message = gettext("This appraisal cycle was voided: %(reason)s")
            raise DomainError(message % {"reason": self.void_reason})
        if self.is_closed:
            raise DomainError(closed_message or gettext("This appraisal is closed."))

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
        if not self.is_running:
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
    actor = actor_field()
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


# "Eligible voter", the one definition: a participant whose `votes` flag is set (fixed when
# the cycle opens). Counts, turnout, reminders and the ballot itself all read it from here.
ELIGIBLE_VOTER = Q(votes=True)


class ParticipantQuerySet(models.QuerySet):
    def voters(self):
        """The participants who may vote in the democratic ballot."""
        return self.filter(ELIGIBLE_VOTER)


class Participant(models.Model):
    """A member taking part in a cycle: snapshot of the branch when the cycle opened."""

    cycle = models.ForeignKey(AppraisalCycle, on_delete=models.PROTECT, related_name="participants")
    member = models.ForeignKey(
        Member, on_delete=models.PROTECT, related_name="appraisal_participations"
    )
    graded = models.BooleanField(_("appraised"), default=True)
    votes = models.BooleanField(_("votes"), default=True)

    objects = ParticipantQuerySet.as_manager()

    class Meta:
        verbose_name = _("participant")
        verbose_name_plural = _("participants")
        constraints = [
            models.UniqueConstraint(fields=["cycle", "member"], name="participant_once"),
        ]

    def __str__(self):
        return f"{self.cycle} · {self.member}"
