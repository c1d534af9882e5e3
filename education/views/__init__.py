"""education/ pages: thin — check, read or call one service, render.

Objects are fetched through the user's scope (404 outside it); a logged-in user who lacks a
permission gets 403. The views keep their old import path (education.views.X) for other code
and tests; urls.py and the rest of education import from the submodules."""

from .attendance import (
    MAX_REASON_LENGTH,
    MAX_ROW_HOURS,
    attendance_context,
    session_log,
    session_mark,
)
from .calendar import (
    calendar_feed,
    calendar_page,
    calendar_regenerate,
    calendar_revoke,
    session_ics,
)
from .checkin import (
    _CHECKIN_SESSION_KEY,  # bench/measure.py reads the check-in pass
    CHECKIN_POLL_SECONDS,
    checkin_confirm,
    checkin_qr,
    checkin_scan,
    checkin_screen,
    session_close,
)
from .compliance import (
    compliance_branch,
    compliance_rollup,
)
from .hours import (
    hours_branch,
    hours_branch_export,
    hours_member,
    hours_member_export,
    hours_rollup,
    hours_rollup_export,
)
from .makeups import (
    makeup_create,
    makeup_evidence,
    makeup_list,
    makeup_review,
    makeup_review_list,
)
from .materials import (
    material_add,
    material_delete,
    material_download,
)
from .pickers import (
    PICKER_LIMIT,
    chosen_branch,
    rollup_org,
)
from .sessions import (
    session_cancel,
    session_create,
    session_detail,
    session_edit,
    session_expected,
    session_list,
)
from .settings import (
    org_settings,
)

__all__ = [
    "CHECKIN_POLL_SECONDS",
    "MAX_REASON_LENGTH",
    "MAX_ROW_HOURS",
    "PICKER_LIMIT",
    "_CHECKIN_SESSION_KEY",
    "attendance_context",
    "calendar_feed",
    "calendar_page",
    "calendar_regenerate",
    "calendar_revoke",
    "checkin_confirm",
    "checkin_qr",
    "checkin_scan",
    "checkin_screen",
    "chosen_branch",
    "compliance_branch",
    "compliance_rollup",
    "hours_branch",
    "hours_branch_export",
    "hours_member",
    "hours_member_export",
    "hours_rollup",
    "hours_rollup_export",
    "makeup_create",
    "makeup_evidence",
    "makeup_list",
    "makeup_review",
    "makeup_review_list",
    "material_add",
    "material_delete",
    "material_download",
    "org_settings",
    "rollup_org",
    "session_cancel",
    "session_close",
    "session_create",
    "session_detail",
    "session_edit",
    "session_expected",
    "session_ics",
    "session_list",
    "session_log",
    "session_mark",
]
