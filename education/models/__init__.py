"""education/ models: every model is imported here (Django finds them through this module), and the
names other apps and migrations use keep their old import path. Inside education, import
from the submodule."""

from .calendar import (
    CalendarFeed,
    _new_feed_token,  # named by migration 0001
)
from .makeups import (
    Makeup,
    MakeupEvidence,
    MakeupState,
    makeup_evidence_upload_to,
)
from .org_settings import (
    DEFAULT_CADENCE,
    ComplianceCadence,
    Frequency,
    HoursRequirement,
    ReminderSettings,
)
from .sessions import (
    CREDITED_STATUSES,
    HOURS_FIELD,
    REGULAR_KINDS,
    SESSION_FIELDS,
    Attendance,
    AttendanceStatus,
    Material,
    Session,
    SessionKind,
    SessionState,
    Topic,
    held_meeting_q,
)
from .summaries import (
    BranchYearMeetings,
    MemberYearHours,
    OrganizationStudyFigures,
    YearSummary,
)

__all__ = [
    "CREDITED_STATUSES",
    "DEFAULT_CADENCE",
    "HOURS_FIELD",
    "REGULAR_KINDS",
    "SESSION_FIELDS",
    "Attendance",
    "AttendanceStatus",
    "BranchYearMeetings",
    "CalendarFeed",
    "ComplianceCadence",
    "Frequency",
    "HoursRequirement",
    "Makeup",
    "MakeupEvidence",
    "MakeupState",
    "Material",
    "MemberYearHours",
    "OrganizationStudyFigures",
    "ReminderSettings",
    "Session",
    "SessionKind",
    "SessionState",
    "Topic",
    "YearSummary",
    "_new_feed_token",
    "held_meeting_q",
    "makeup_evidence_upload_to",
]
