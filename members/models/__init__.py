"""Who is who: organizations (one tree), members, positions, transfers, notifications, audit.

Roles are never stored twice: "secretary of X" and "organizer over X" are derived from
Position rows (see members.permissions).

One module per kind of record; every model is imported here so that Django finds it and other
apps keep importing from `members.models`.
"""

# Feature subpackages keep their models in their own module; importing them here registers
# them with the members app.
from ..channels.models import (
    BranchChannel,
    ChannelKind,
    ChannelPreference,
    Delivery,
    RateWindow,
)
from ..protection.models import (
    OPEN_CASE_STATUSES,
    CaseAction,
    CaseActionKind,
    CaseAssignment,
    CaseEvidence,
    CaseKind,
    CaseStatus,
    CaseView,
    Clarification,
    ProtectionCase,
)
from .figures import (
    OrganizationFigures,
    OrganizationMemberFigures,
    OrganizationYearFigures,
    YearSummary,
    figures_keys,
)
from .organizations import (
    Organization,
    OrganizationKind,
    subtree_range_q,
    subtree_upper_bound,
)
from .people import (
    ACTIVE_STATUSES,
    COMMITTEE_ROLES,
    Education,
    Gender,
    Member,
    MemberQuerySet,
    MemberStatus,
    Position,
    PositionQuerySet,
    Role,
    Transfer,
    member_organizes,
    organizer_position_q,
)
from .records import (
    AuditEntry,
    Notification,
)

__all__ = [
    "ACTIVE_STATUSES",
    "COMMITTEE_ROLES",
    "OPEN_CASE_STATUSES",
    "AuditEntry",
    "BranchChannel",
    "CaseAction",
    "CaseActionKind",
    "CaseAssignment",
    "CaseEvidence",
    "CaseKind",
    "CaseStatus",
    "CaseView",
    "ChannelKind",
    "ChannelPreference",
    "Clarification",
    "Delivery",
    "Education",
    "Gender",
    "Member",
    "MemberQuerySet",
    "MemberStatus",
    "Notification",
    "Organization",
    "OrganizationFigures",
    "OrganizationKind",
    "OrganizationMemberFigures",
    "OrganizationYearFigures",
    "Position",
    "PositionQuerySet",
    "ProtectionCase",
    "RateWindow",
    "Role",
    "Transfer",
    "YearSummary",
    "figures_keys",
    "member_organizes",
    "organizer_position_q",
    "subtree_range_q",
    "subtree_upper_bound",
]
