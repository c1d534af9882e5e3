"""Who is who: organizations (one tree), members, positions, transfers, notifications, audit.

Roles are never stored twice: "secretary of X" and "organizer over X" are derived from
Position rows (see members.permissions).

One module per kind of record, each imported here so that Django finds its models; other apps
import them from `members.models`. The feature subpackages (protection, channels) keep theirs in
their own `models` module, imported from there.
"""

# Feature subpackages keep their models in their own module (import them from there);
# importing the modules here registers those models with the members app.
from ..channels import models as channels_models  # noqa: F401
from ..protection import models as protection_models  # noqa: F401
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
    ParentPath,
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
    "AuditEntry",
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
    "ParentPath",
    "Position",
    "PositionQuerySet",
    "Role",
    "Transfer",
    "YearSummary",
    "figures_keys",
    "member_organizes",
    "organizer_position_q",
    "subtree_range_q",
    "subtree_upper_bound",
]
