"""Admin for appraisal (Art. 27).

Ballot tables are read-only and never shown side by side: participations say who voted,
counts say how many ballots gave each grade, and nothing here links one to the other.
Closed records and their amendments are append-only (a correction is a new amendment).
"""

from django import forms
from django.contrib import admin
from django.utils.translation import gettext_lazy as _
from simple_history.admin import SimpleHistoryAdmin

from members.admin import KeptRecordAdmin
from members.readonly_admin import ReadOnlyAdmin, ReadOnlyInline

from .models.ballot import BallotBox, BallotCount, BallotParticipation
from .models.cycles import RULE_FIELDS, AppraisalCycle, AppraisalRules, CycleMove, Participant, Step
from .models.meetings import LifeMeeting, Rectification
from .models.participation import HeartToHeartTalk, PeerReview, SelfAssessment
from .models.results import AppraisalRecord, Objection, Rating, RecordAmendment


@admin.register(AppraisalRules)
class AppraisalRulesAdmin(SimpleHistoryAdmin):
    list_display = (
        "organization",
        "year",
        "uses_publicity",
        "publicity_days",
        "excellent_cap_numerator",
        "excellent_cap_denominator",
        "probationary_graded",
    )
    list_select_related = ("organization",)
    autocomplete_fields = ("organization",)


def _ballot_reached(cycle):
    return cycle is not None and cycle.reached(Step.BALLOT)


class ParticipantInline(admin.TabularInline):
    """Who takes part; frozen once the ballot opened (counters and voters are set then)."""

    model = Participant
    extra = 0
    raw_id_fields = ("member",)

    def has_add_permission(self, request, obj=None):
        return not _ballot_reached(obj) and super().has_add_permission(request, obj)

    def has_change_permission(self, request, obj=None):
        return not _ballot_reached(obj) and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return not _ballot_reached(obj) and super().has_delete_permission(request, obj)


class CycleMoveInline(ReadOnlyInline):
    model = CycleMove
    fields = ("from_step", "to_step", "actor", "moved_at", "incomplete", "reason")


@admin.register(AppraisalCycle)
class AppraisalCycleAdmin(KeptRecordAdmin, SimpleHistoryAdmin):
    list_display = ("branch", "year", "step", "rating_state", "publicity_ends_on")
    list_filter = ("step", "rating_state", "year")
    search_fields = ("branch__name",)
    list_select_related = ("branch",)
    autocomplete_fields = ("branch",)
    # The step moves only through the services (cycle_move), which check and log each move;
    # the rules were copied when the cycle opened and never change under way (the peer-comment
    # choice excepted, as in services.cycle_update).
    readonly_fields = (
        "step",
        "rating_state",
        "closed_at",
        "opened_by",
        "rating_decided_by",
        *(f for f in RULE_FIELDS if f != "peer_reviews_shown_to_reviewed"),
    )
    inlines = [ParticipantInline, CycleMoveInline]


@admin.register(CycleMove)
class CycleMoveAdmin(ReadOnlyAdmin):
    list_display = ("cycle", "from_step", "to_step", "actor", "moved_at", "forced")
    list_select_related = ("cycle__branch", "actor")


class ParticipantAdminForm(forms.ModelForm):
    class Meta:
        model = Participant
        fields = ("cycle", "member", "graded", "votes")

    def clean_cycle(self):
        cycle = self.cleaned_data.get("cycle")
        if _ballot_reached(cycle):
            raise forms.ValidationError(
                _("The ballot of this cycle has opened: its participants can no longer change.")
            )
        return cycle


@admin.register(Participant)
class ParticipantAdmin(admin.ModelAdmin):
    form = ParticipantAdminForm
    list_display = ("cycle", "member", "graded", "votes")
    list_filter = ("graded", "votes")
    search_fields = ("member__full_name", "cycle__branch__name")
    list_select_related = ("cycle__branch", "member")
    raw_id_fields = ("cycle", "member")

    def has_change_permission(self, request, obj=None):
        if obj is not None and _ballot_reached(obj.cycle):
            return False
        return super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        if obj is not None and _ballot_reached(obj.cycle):
            return False
        return super().has_delete_permission(request, obj)

    def get_actions(self, request):
        # Bulk deletion would not ask about each cycle's step: one at a time only.
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)
        return actions


@admin.register(SelfAssessment)
class SelfAssessmentAdmin(KeptRecordAdmin, SimpleHistoryAdmin):
    list_display = ("member", "cycle", "status", "submitted_at")
    list_filter = ("status",)
    search_fields = ("member__full_name",)
    list_select_related = ("member", "cycle__branch")
    raw_id_fields = ("cycle", "member", "returned_by")


@admin.register(HeartToHeartTalk)
class HeartToHeartTalkAdmin(KeptRecordAdmin, admin.ModelAdmin):
    list_display = ("talker", "talked_with", "held_on", "cycle")
    search_fields = ("talker__full_name", "talked_with__full_name")
    list_select_related = ("talker", "talked_with", "cycle__branch")
    raw_id_fields = ("cycle", "talker", "talked_with", "recorded_by")


@admin.register(PeerReview)
class PeerReviewAdmin(admin.ModelAdmin):
    list_display = ("reviewer", "reviewed", "cycle", "created_at")
    search_fields = ("reviewer__full_name", "reviewed__full_name")
    list_select_related = ("reviewer", "reviewed", "cycle__branch")
    raw_id_fields = ("cycle", "reviewer", "reviewed")


@admin.register(BallotBox)
class BallotBoxAdmin(ReadOnlyAdmin):
    list_display = ("cycle", "opened_at", "closed_at", "paper_issued", "paper_entered")
    list_select_related = ("cycle__branch",)


@admin.register(BallotParticipation)
class BallotParticipationAdmin(ReadOnlyAdmin):
    """Who took part — nothing about how they voted."""

    list_display = ("voter", "cycle")
    list_select_related = ("voter", "cycle__branch")
    search_fields = ("voter__full_name",)
    ordering = ("cycle", "voter__full_name")


@admin.register(BallotCount)
class BallotCountAdmin(ReadOnlyAdmin):
    """Totals per appraised member and grade — nothing about who voted."""

    list_display = ("cycle", "member", "grade", "count")
    list_select_related = ("cycle__branch", "member")
    list_filter = ("grade",)
    ordering = ("cycle", "member__full_name", "grade")

    def get_queryset(self, request):
        # Only closed ballots: live counts, watched between two votes, would give a vote away.
        return super().get_queryset(request).filter(cycle__ballot_box__closed_at__isnull=False)


@admin.register(Rating)
class RatingAdmin(KeptRecordAdmin, SimpleHistoryAdmin):
    list_display = ("member", "cycle", "grade", "updated_at")
    list_filter = ("grade",)
    search_fields = ("member__full_name",)
    list_select_related = ("member", "cycle__branch")
    raw_id_fields = ("cycle", "member", "proposed_by")


@admin.register(Objection)
class ObjectionAdmin(KeptRecordAdmin, admin.ModelAdmin):
    list_display = ("cycle", "filed_by", "about", "filed_at", "answered_at")
    list_select_related = ("cycle__branch", "filed_by", "about")
    raw_id_fields = ("cycle", "filed_by", "about", "answered_by")


class RecordAmendmentInline(ReadOnlyInline):
    model = RecordAmendment
    fields = ("grade", "reason", "amended_by", "amended_at")


@admin.register(AppraisalRecord)
class AppraisalRecordAdmin(SimpleHistoryAdmin, ReadOnlyAdmin):
    list_display = ("member", "year", "grade", "cycle")
    list_filter = ("year", "grade")
    search_fields = ("member__full_name",)
    list_select_related = ("member", "cycle__branch")
    inlines = [RecordAmendmentInline]


@admin.register(RecordAmendment)
class RecordAmendmentAdmin(SimpleHistoryAdmin, ReadOnlyAdmin):
    list_display = ("record", "grade", "amended_by", "amended_at")
    list_select_related = ("record__member", "amended_by")


class RectificationInline(admin.TabularInline):
    can_delete = False
    model = Rectification
    extra = 0
    raw_id_fields = ("owner",)


@admin.register(LifeMeeting)
class LifeMeetingAdmin(KeptRecordAdmin, SimpleHistoryAdmin):
    list_display = ("held_on", "title", "kind", "organization")
    list_filter = ("kind",)
    search_fields = ("title", "organization__name")
    list_select_related = ("organization",)
    autocomplete_fields = ("organization",)
    raw_id_fields = ("attendees", "cycle", "recorded_by")
    inlines = [RectificationInline]


@admin.register(Rectification)
class RectificationAdmin(KeptRecordAdmin, SimpleHistoryAdmin):
    list_display = ("description", "owner", "due_on", "status", "done_on")
    list_filter = ("status",)
    search_fields = ("description", "owner__full_name")
    list_select_related = ("owner",)
    raw_id_fields = ("meeting", "owner")


# Commendation admin lives beside its models; importing it registers it.
from .commendations import admin as _commendations_admin  # noqa: E402, F401
