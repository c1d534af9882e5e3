"""Every write that matters in appraisal/ (Art. 27): one function per use case, one transaction.

The cycle is a state machine: self-assessment → peer review → democratic ballot →
organizational rating → publicity → closed (publicity is skipped when the rules do not use it).
`cycle_move` is the only way forward; it refuses moves out of order, refuses a move whose hard
condition is unmet (an unapproved rating, unanswered objections), and lets a move whose step is
merely incomplete go ahead only with a written reason, which it records.

The functions live in one module per use case; this package re-exports the public ones so
that other apps keep calling `appraisal.services.<name>`.
"""

from .. import permissions  # noqa: F401  (registers the appraisal permissions)
from .ballot import (
    ballot_cast,
    ballot_is_valid,
    ballots_counted,
    paper_ballot_enter,
    paper_ballots_issue,
)
from .cycles import (
    cycle_open,
    cycle_update,
    cycle_void,
    cycles_open_many,
    rules_for,
)
from .meetings import (
    life_meeting_save,
    life_meeting_void,
    rectification_add,
    rectification_complete,
)
from .moves import (
    cycle_move,
    move_blockers,
)
from .notices import (
    REMIND_DAYS_BEFORE,
    ballot_closing_reminders_send,
    ballot_open_notices_send,
    publicity_ending_reminders_send,
    rectification_reminders_send,
    self_assessment_reminders_send,
)
from .participation import (
    peer_review_save,
    self_assessment_return,
    self_assessment_save,
    talk_log,
)
from .publicity import (
    export_logged,
    objection_answer,
    objection_file,
    publicity_close_finished,
    record_amend,
)
from .rating import (
    rating_decide,
    rating_submit,
    ratings_save,
)

__all__ = [
    "REMIND_DAYS_BEFORE",
    "ballot_cast",
    "ballot_closing_reminders_send",
    "ballot_is_valid",
    "ballot_open_notices_send",
    "ballots_counted",
    "cycle_move",
    "cycle_open",
    "cycle_update",
    "cycle_void",
    "cycles_open_many",
    "export_logged",
    "life_meeting_save",
    "life_meeting_void",
    "move_blockers",
    "objection_answer",
    "objection_file",
    "paper_ballot_enter",
    "paper_ballots_issue",
    "peer_review_save",
    "publicity_close_finished",
    "publicity_ending_reminders_send",
    "rating_decide",
    "rating_submit",
    "ratings_save",
    "record_amend",
    "rectification_add",
    "rectification_complete",
    "rectification_reminders_send",
    "rules_for",
    "self_assessment_reminders_send",
    "self_assessment_return",
    "self_assessment_save",
    "talk_log",
]
