"""Appraisal cycles, self-assessments, ballots, ratings, publicity, records, life meetings.

Art. 27 of the Regulations on the Online Behavior of Party Members: Party organizations
include members' online conduct in the self-criticism of democratic life meetings,
organizational life meetings and the democratic appraisal of members.

Ballot secrecy (DESIGN.md "Known traps", README "Ballot secrecy"): who voted lives in
BallotParticipation (random UUID key, no timestamp); what was voted lives only in
BallotCount counters, one per (cycle, appraised member, grade), created when the ballot opens
and only ever incremented. Neither is tracked by simple_history.

One module per use case; every model is imported here so that Django finds it and other apps
keep importing from `appraisal.models`.
"""

# Commendations keep their models in their own module; importing them here registers them
# with the appraisal app.
from ..commendations.models import (
    Commendation,
    CommendationDocument,
    CommendationStatus,
    CommendationTitle,
)
from .ballot import (
    BallotBox,
    BallotCount,
    BallotParticipation,
)
from .cycles import (
    ELIGIBLE_VOTER,
    GRADES_NEEDING_REASON,
    RULE_FIELDS,
    STEP_ORDER,
    AppraisalCycle,
    AppraisalRules,
    CycleMove,
    Grade,
    Participant,
    ParticipantQuerySet,
    RatingState,
    RuleFields,
    Step,
)
from .figures import (
    OrganizationAppraisalFigures,
)
from .meetings import (
    LifeMeeting,
    MeetingKind,
    Rectification,
    RectificationStatus,
)
from .participation import (
    AssessmentStatus,
    HeartToHeartTalk,
    PeerReview,
    SelfAssessment,
)
from .results import (
    AppraisalRecord,
    ImmutableRecordError,
    Objection,
    Rating,
    RecordAmendment,
)

__all__ = [
    "ELIGIBLE_VOTER",
    "GRADES_NEEDING_REASON",
    "RULE_FIELDS",
    "STEP_ORDER",
    "AppraisalCycle",
    "AppraisalRecord",
    "AppraisalRules",
    "AssessmentStatus",
    "BallotBox",
    "BallotCount",
    "BallotParticipation",
    "Commendation",
    "CommendationDocument",
    "CommendationStatus",
    "CommendationTitle",
    "CycleMove",
    "Grade",
    "HeartToHeartTalk",
    "ImmutableRecordError",
    "LifeMeeting",
    "MeetingKind",
    "Objection",
    "OrganizationAppraisalFigures",
    "Participant",
    "ParticipantQuerySet",
    "PeerReview",
    "Rating",
    "RatingState",
    "RecordAmendment",
    "Rectification",
    "RectificationStatus",
    "RuleFields",
    "SelfAssessment",
    "Step",
]
