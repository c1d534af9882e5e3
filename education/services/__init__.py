"""Every write that matters in education/, one function per use case and one transaction each,
grouped by use case in the modules of this package.

Other apps and tests import them from here (education.services.X), as before the split;
inside education, code imports from the submodule."""

from members.services import DomainError  # what they raise; tests catch it from here

from .attendance import (
    MARKED_STATUSES,
    attendance_mark,
    session_log,
)
from .calendar import (
    calendar_feed_regenerate,
    calendar_feed_revoke,
)
from .checkin import (
    CHECKIN_OPENS_BEFORE,
    check_in,
    checkin_can_close,
    checkin_window,
    session_close_checkin,
)
from .makeups import (
    makeup_confirm,
    makeup_reject,
    makeup_submit,
)
from .materials import (
    material_add,
    material_delete,
)
from .org_settings import (
    settings_save,
)
from .sessions import (
    clean_session,
    default_branches,
    default_expected_members,
    session_cancel,
    session_plan,
    session_set_expected,
    session_update,
    session_void,
    set_session_fields,
)

__all__ = [
    "CHECKIN_OPENS_BEFORE",
    "MARKED_STATUSES",
    "DomainError",
    "attendance_mark",
    "calendar_feed_regenerate",
    "calendar_feed_revoke",
    "check_in",
    "checkin_can_close",
    "checkin_window",
    "clean_session",
    "default_branches",
    "default_expected_members",
    "makeup_confirm",
    "makeup_reject",
    "makeup_submit",
    "material_add",
    "material_delete",
    "session_cancel",
    "session_close_checkin",
    "session_log",
    "session_plan",
    "session_set_expected",
    "session_update",
    "session_void",
    "set_session_fields",
    "settings_save",
]
