"""Every write on protection cases: one function per use case, one transaction each.

By use case: `cases` (opening a case, evidence, the state machine), `handlers` (case-handler
positions and assignments), `timeline` (actions, follow-ups, clarification, the view log),
`reminders` (periodic notices). Import from here:
`from members.protection.services import case_open`.
"""

from .cases import (
    TRANSITION_ACTIONS,
    allowed_transitions,
    case_accept,
    case_evidence_add,
    case_open,
    case_transition,
    case_void,
)
from .handlers import (
    case_assign,
    case_unassign,
    handler_designate,
)
from .reminders import (
    FOLLOW_UP_LEAD_DAYS,
    FOLLOW_UP_OVERDUE_DAYS,
    case_follow_up_reminders_send,
    case_new_report_reminders_send,
    supervisor_ids_above,
)
from .timeline import (
    case_action_record,
    case_follow_up_done,
    case_view_record,
    clarification_consent_set,
    clarification_record,
)

__all__ = [
    "FOLLOW_UP_LEAD_DAYS",
    "FOLLOW_UP_OVERDUE_DAYS",
    "TRANSITION_ACTIONS",
    "allowed_transitions",
    "case_accept",
    "case_action_record",
    "case_assign",
    "case_evidence_add",
    "case_follow_up_done",
    "case_follow_up_reminders_send",
    "case_new_report_reminders_send",
    "case_open",
    "case_transition",
    "case_unassign",
    "case_view_record",
    "case_void",
    "clarification_consent_set",
    "clarification_record",
    "handler_designate",
    "supervisor_ids_above",
]
